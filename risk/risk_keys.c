/*
 * Key tables, reason names, defaults and validation of a full set of limits.
 * Cold path.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <ps/err.h>
#include <ps/risk.h>

static const struct ps_risk_key_info gkeys[] = {
#define PS_XX(name, key, kind, def, min, max, doc) { key, doc, def, min, max, kind },
	PS_RISK_GLOBAL_KEYS(PS_XX)
#undef PS_XX
};

static const struct ps_risk_key_info ikeys[] = {
#define PS_XX(name, key, kind, def, min, max, doc) { key, doc, def, min, max, kind },
	PS_RISK_INSTR_KEYS(PS_XX)
#undef PS_XX
};

static const struct ps_risk_key_info skeys[] = {
#define PS_XX(name, key, kind, def, min, max, doc) { key, doc, def, min, max, kind },
	PS_RISK_STRATEGY_KEYS(PS_XX)
#undef PS_XX
};

static const char *const reason_names[] = {
#define PS_XX(name, text) #name,
	PS_RISK_REASON_MAP(PS_XX)
#undef PS_XX
};

static const char *const reason_texts[] = {
#define PS_XX(name, text) text,
	PS_RISK_REASON_MAP(PS_XX)
#undef PS_XX
};

const struct ps_risk_key_info *ps_risk_key_info(enum ps_risk_scope scope, unsigned key)
{
	switch (scope) {
	case PS_RISK_SCOPE_GLOBAL:
		return key < PS_RISK_G__COUNT ? &gkeys[key] : NULL;
	case PS_RISK_SCOPE_INSTR:
		return key < PS_RISK_I__COUNT ? &ikeys[key] : NULL;
	case PS_RISK_SCOPE_STRATEGY:
		return key < PS_RISK_S__COUNT ? &skeys[key] : NULL;
	}
	return NULL;
}

const char *ps_risk_reason_name(unsigned reason)
{
	return reason < PS_RISK_REASON__COUNT ? reason_names[reason] : "?";
}

const char *ps_risk_reason_text(unsigned reason)
{
	return reason < PS_RISK_REASON__COUNT ? reason_texts[reason] : "?";
}

void ps_risk_limits_defaults(struct ps_risk_limits *g)
{
	memset(g, 0, sizeof(*g));
	for (unsigned k = 0; k < PS_RISK_G__COUNT; k++)
		g->g[k] = gkeys[k].def == PS_RISK_REQUIRED ? 0 : gkeys[k].def;
}

void ps_risk_instr_limits_defaults(struct ps_risk_instr_limits *il)
{
	for (unsigned k = 0; k < PS_RISK_I__COUNT; k++)
		il->v[k] = ikeys[k].def;
}

PS_PRINTF(5, 6)
static int bad(char *err, size_t err_len, const char *section, const char *key, const char *fmt,
	       ...)
{
	if (err && err_len) {
		va_list ap;
		int n = snprintf(err, err_len, "[%s] %s: ", section, key);

		va_start(ap, fmt);
		if (n >= 0 && (size_t)n < err_len)
			vsnprintf(err + n, err_len - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return PS_ECONFIG;
}

static int range(const struct ps_risk_key_info *ki, int64_t v, const char *section, char *err,
		 size_t err_len)
{
	if (v < ki->min || v > ki->max)
		return bad(err, err_len, section, ki->name, "%lld is outside [%lld, %lld]",
			   (long long)v, (long long)ki->min, (long long)ki->max);
	return 0;
}

#define LL(x) ((long long)(x))

int ps_risk_limits_validate(const struct ps_risk_limits *g, const struct ps_risk_instr_limits *il,
			    uint32_t instrument_count, char *err, size_t err_len)
{
	const int64_t *v = g->g;
	int rc;

	if (err && err_len)
		err[0] = '\0';
	for (unsigned k = 0; k < PS_RISK_G__COUNT; k++)
		if ((rc = range(&gkeys[k], v[k], "risk", err, err_len)) != 0)
			return rc;
	for (unsigned k = 0; k < PS_RISK_S__COUNT; k++)
		for (unsigned s = 0; s < PS_RISK_MAX_STRATEGIES; s++)
			if ((rc = range(&skeys[k], g->s[k][s], "risk", err, err_len)) != 0)
				return rc;
	if (v[PS_RISK_G_WARN_AT_BP] >= v[PS_RISK_G_THROTTLE_AT_BP])
		return bad(err, err_len, "risk", "warn_at_bp",
			   "%lld must be below throttle_at_bp (%lld)", LL(v[PS_RISK_G_WARN_AT_BP]),
			   LL(v[PS_RISK_G_THROTTLE_AT_BP]));
	if (v[PS_RISK_G_MAX_GROSS] && v[PS_RISK_G_MAX_NET] > v[PS_RISK_G_MAX_GROSS])
		return bad(err, err_len, "risk", "max_net", "%lld is above max_gross (%lld)",
			   LL(v[PS_RISK_G_MAX_NET]), LL(v[PS_RISK_G_MAX_GROSS]));
	if (v[PS_RISK_G_FILL_THROTTLE_COUNT] && v[PS_RISK_G_FILL_THROTTLE_MS] == 0)
		return bad(err, err_len, "risk", "fill_throttle_ms",
			   "0: must be set when fill_throttle_count is %lld",
			   LL(v[PS_RISK_G_FILL_THROTTLE_COUNT]));
	for (uint32_t i = 0; i < instrument_count; i++) {
		const int64_t *x = il[i].v;
		int64_t max_pos = PS_MAX(x[PS_RISK_I_MAX_LONG], x[PS_RISK_I_MAX_SHORT]);
		char sec[32];

		snprintf(sec, sizeof(sec), "risk.%u", i);
		for (unsigned k = 0; k < PS_RISK_I__COUNT; k++)
			if ((rc = range(&ikeys[k], x[k], sec, err, err_len)) != 0)
				return rc;
		if (x[PS_RISK_I_TICK] <= 0)
			return bad(err, err_len, sec, "tick", "%lld: must be above 0",
				   LL(x[PS_RISK_I_TICK]));
		if (x[PS_RISK_I_LOT] <= 0)
			return bad(err, err_len, sec, "lot", "%lld: must be above 0",
				   LL(x[PS_RISK_I_LOT]));
		if (x[PS_RISK_I_MAX_ORDER_NOTIONAL] > v[PS_RISK_G_CREDIT_LIMIT])
			return bad(err, err_len, sec, "max_order_notional",
				   "%lld is above credit_limit (%lld)",
				   LL(x[PS_RISK_I_MAX_ORDER_NOTIONAL]),
				   LL(v[PS_RISK_G_CREDIT_LIMIT]));
		if (x[PS_RISK_I_MAX_LONG] && x[PS_RISK_I_MAX_SHORT] && x[PS_RISK_I_MAX_ORDER_QTY] &&
		    x[PS_RISK_I_MAX_ORDER_QTY] > max_pos)
			return bad(err, err_len, sec, "max_order_qty",
				   "%lld is above both max_long and max_short (%lld)",
				   LL(x[PS_RISK_I_MAX_ORDER_QTY]), LL(max_pos));
		if (x[PS_RISK_I_MAX_ORDER_QTY] && x[PS_RISK_I_MAX_ORDER_QTY] < x[PS_RISK_I_LOT])
			return bad(err, err_len, sec, "max_order_qty", "%lld is below lot (%lld)",
				   LL(x[PS_RISK_I_MAX_ORDER_QTY]), LL(x[PS_RISK_I_LOT]));
	}
	return 0;
}
