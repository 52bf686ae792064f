/* Private to core/strategy: the shipped kinds and shared config helpers. */
#ifndef PS_STRATEGY_INTERNAL_H
#define PS_STRATEGY_INTERNAL_H

#include <ps/strategy.h>

/* Prices in strategy parameters use the ITCH scale (4 decimals). */
#define PS_STRATEGY_PRICE_SCALE 4

extern const struct ps_strategy_ops ps_strategy_mm_ops;
extern const struct ps_strategy_ops ps_strategy_momentum_ops;
extern const struct ps_strategy_ops ps_strategy_probe_ops;

/* A price parameter ("tick = 0.01") at PS_STRATEGY_PRICE_SCALE, above zero. */
int ps_strategy__get_price(struct ps_config *cfg, const char *section, const char *key, int64_t def,
			   int64_t *out, char *err, size_t err_len);

/* Round down / up to a multiple of tick (tick > 0). */
static inline int64_t ps_strategy__floor_tick(int64_t p, int64_t tick)
{
	int64_t r = p % tick;
	return r < 0 ? p - r - tick : p - r;
}

static inline int64_t ps_strategy__ceil_tick(int64_t p, int64_t tick)
{
	int64_t f = ps_strategy__floor_tick(p, tick);
	return f == p ? p : f + tick;
}

#endif /* PS_STRATEGY_INTERNAL_H */
