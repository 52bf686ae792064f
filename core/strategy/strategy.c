/* Strategy registry and lifecycle (cold path). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <ps/alloc.h>
#include <ps/config.h>
#include <ps/err.h>
#include <ps/strategy.h>

#include "strategy_internal.h"

static const struct ps_strategy_ops *const kinds[] = {
	&ps_strategy_mm_ops,
	&ps_strategy_momentum_ops,
	&ps_strategy_probe_ops,
};

const struct ps_strategy_ops *ps_strategy_kind(const char *kind)
{
	for (size_t i = 0; i < PS_ARRAY_SIZE(kinds); i++)
		if (!strcmp(kinds[i]->kind, kind))
			return kinds[i];
	return NULL;
}

int ps_strategy_create(struct ps_strategy **out, struct ps_config *cfg, const char *section,
		       uint16_t id, uint32_t instrument, char *err, size_t err_len)
{
	static const char *const kind_names[] = { "mm", "momentum", "probe", NULL };
	const struct ps_strategy_ops *ops;
	struct ps_strategy *s;
	bool enabled;
	int kind, rc;

	*out = NULL;
	rc = ps_config_get_enum(cfg, section, "kind", kind_names, -1, &kind, err, err_len);
	if (rc)
		return rc;
	if (kind < 0) {
		snprintf(err, err_len,
			 "%s:%d: [%s] missing key 'kind' (accepted: mm, momentum, probe)",
			 ps_config_path(cfg), ps_config_section_line(cfg, section), section);
		return PS_ECONFIG;
	}
	rc = ps_config_get_bool(cfg, section, "enabled", true, &enabled, err, err_len);
	if (rc)
		return rc;
	ops = ps_strategy_kind(kind_names[kind]);
	s = ps_calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->state = ps_calloc_aligned(PS_CACHE_LINE, ops->state_len ? ops->state_len : 1);
	if (!s->state) {
		ps_free(s);
		return -ENOMEM;
	}
	s->ops = ops;
	s->id = id;
	s->instrument = instrument;
	s->enabled = enabled;
	snprintf(s->name, sizeof(s->name), "%s", ps_config_section_suffix(section));
	rc = ops->init(s, cfg, section, err, err_len);
	if (rc) {
		ps_strategy_destroy(s);
		return rc;
	}
	*out = s;
	return 0;
}

void ps_strategy_destroy(struct ps_strategy *s)
{
	if (!s)
		return;
	ps_free(s->state);
	ps_free(s);
}

int ps_strategy__get_price(struct ps_config *cfg, const char *section, const char *key, int64_t def,
			   int64_t *out, char *err, size_t err_len)
{
	int rc =
	    ps_config_get_fixed(cfg, section, key, def, PS_STRATEGY_PRICE_SCALE, out, err, err_len);
	if (rc)
		return rc;
	if (*out <= 0) {
		snprintf(err, err_len, "%s:%d: [%s] %s must be above zero", ps_config_path(cfg),
			 ps_config_line(cfg, section, key), section, key);
		return PS_ECONFIG;
	}
	return 0;
}
