/*
 * [risk] and [risk.SYMBOL] sections into struct ps_risk_limits. Cold path.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <ps/err.h>
#include <ps/fixed.h>
#include <ps/risk_config.h>

const char *const ps_risk_config_keys[] = {
#define PS_XX(name, key, kind, def, min, max, doc) key,
	PS_RISK_GLOBAL_KEYS(PS_XX) PS_RISK_INSTR_KEYS(PS_XX)
#undef PS_XX
	    NULL
};

const char *const ps_risk_config_symbol_keys[] = {
#define PS_XX(name, key, kind, def, min, max, doc) key,
	PS_RISK_INSTR_KEYS(PS_XX)
#undef PS_XX
	    NULL
};

static const char *const action_names[] = { "reduce", "halt", NULL };
static const char *const sizing_names[] = { "fixed", "fraction", "risk", "volatility", NULL };

/* One key of one section; def is the value when the key is absent. */
static int get(struct ps_config *c, const char *sec, const struct ps_risk_key_info *ki, int64_t def,
	       unsigned scale, int64_t *out, char *err, size_t err_len)
{
	int rc = 0, e = 0;
	bool b = false;

	if (def == PS_RISK_REQUIRED && !ps_config_has(c, sec, ki->name)) {
		snprintf(err, err_len, "%s: [%s] %s: required (%s)", ps_config_path(c), sec,
			 ki->name, ki->doc);
		return PS_ECONFIG;
	}
	switch (ki->kind) {
	case PS_RISK_KIND_MONEY:
		rc = ps_config_get_fixed(c, sec, ki->name, def, scale, out, err, err_len);
		break;
	case PS_RISK_KIND_BOOL:
		rc = ps_config_get_bool(c, sec, ki->name, def != 0, &b, err, err_len);
		*out = b;
		return rc;
	case PS_RISK_KIND_ACTION:
	case PS_RISK_KIND_SIZING:
		rc = ps_config_get_enum(
		    c, sec, ki->name, ki->kind == PS_RISK_KIND_ACTION ? action_names : sizing_names,
		    (int)def, &e, err, err_len);
		*out = e;
		return rc;
	default:
		return ps_config_get_int(c, sec, ki->name, def, ki->min, ki->max, out, err,
					 err_len);
	}
	if (rc == 0 && (*out < ki->min || *out > ki->max)) {
		char lo[PS_FIXED_STR_MAX], hi[PS_FIXED_STR_MAX];

		ps_fixed_format(ki->min, scale, lo, sizeof(lo));
		ps_fixed_format(ki->max, scale, hi, sizeof(hi));
		snprintf(err, err_len, "%s:%d: [%s] %s: expected a decimal number in [%s, %s]",
			 ps_config_path(c), ps_config_line(c, sec, ki->name), sec, ki->name, lo,
			 hi);
		return PS_ECONFIG;
	}
	return rc;
}

int ps_risk_config_load(struct ps_config *c, const struct ps_instrument_table *t,
			struct ps_risk_limits *g, struct ps_risk_instr_limits *il, char *err,
			size_t err_len)
{
	struct ps_risk_instr_limits dflt;
	struct ps_config_iter it = { 0 };
	const char *sec;
	uint32_t n;
	unsigned scale;
	int rc;

	if (!c || !t || !g || !il || (n = ps_instrument_table_count(t)) == 0)
		return -EINVAL;
	scale = ps_instrument_table_get(t, 0)->price_scale;
	for (uint32_t i = 1; i < n; i++)
		if (ps_instrument_table_get(t, i)->price_scale != scale) {
			snprintf(err, err_len,
				 "%s: [risk] instruments have different price scales (%u and %u): "
				 "risk sums notionals in one scale",
				 ps_config_path(c), scale,
				 ps_instrument_table_get(t, i)->price_scale);
			return PS_ECONFIG;
		}

	ps_risk_limits_defaults(g);
	for (unsigned k = 0; k < PS_RISK_G__COUNT; k++) {
		const struct ps_risk_key_info *ki = ps_risk_key_info(PS_RISK_SCOPE_GLOBAL, k);

		rc = get(c, "risk", ki, ki->def, scale, &g->g[k], err, err_len);
		if (rc)
			return rc;
	}
	for (unsigned k = 0; k < PS_RISK_I__COUNT; k++) {
		const struct ps_risk_key_info *ki = ps_risk_key_info(PS_RISK_SCOPE_INSTR, k);

		rc = get(c, "risk", ki, ki->def, scale, &dflt.v[k], err, err_len);
		if (rc)
			return rc;
	}
	for (uint32_t i = 0; i < n; i++) {
		const struct ps_instrument *ins = ps_instrument_table_get(t, i);

		il[i] = dflt;
		if (il[i].v[PS_RISK_I_TICK] == 0)
			il[i].v[PS_RISK_I_TICK] = ins->tick_size;
		if (il[i].v[PS_RISK_I_LOT] == 0)
			il[i].v[PS_RISK_I_LOT] = ins->lot_size;
	}
	while ((sec = ps_config_section_next(c, "risk.*", &it)) != NULL) {
		uint32_t id = ps_instrument_table_find_str(t, ps_config_section_suffix(sec));

		if (id == PS_INSTRUMENT_ID_NONE) {
			snprintf(err, err_len, "%s:%d: [%s] unknown symbol '%s'", ps_config_path(c),
				 ps_config_section_line(c, sec), sec,
				 ps_config_section_suffix(sec));
			return PS_ECONFIG;
		}
		for (unsigned k = 0; k < PS_RISK_I__COUNT; k++) {
			const struct ps_risk_key_info *ki =
			    ps_risk_key_info(PS_RISK_SCOPE_INSTR, k);

			rc = get(c, sec, ki, il[id].v[k], scale, &il[id].v[k], err, err_len);
			if (rc)
				return rc;
		}
	}

	/* Consistency, per instrument so the message names the symbol. */
	char msg[256];
	rc = ps_risk_limits_validate(g, il, 0, msg, sizeof(msg));
	if (rc) {
		snprintf(err, err_len, "%s: %s", ps_config_path(c), msg);
		return rc;
	}
	for (uint32_t i = 0; i < n; i++) {
		rc = ps_risk_limits_validate(g, &il[i], 1, msg, sizeof(msg));
		if (rc) {
			char sym[16];
			const char *rest = strstr(msg, "] ");

			ps_instrument_symbol_str(ps_instrument_table_get(t, i), sym, sizeof(sym));
			snprintf(err, err_len, "%s: [risk.%s] %s", ps_config_path(c), sym,
				 rest ? rest + 2 : msg);
			return rc;
		}
	}
	return 0;
}
