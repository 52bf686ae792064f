/*
 * Risk limits from the run's INI file: [risk] holds the session limits and
 * the defaults of the per-instrument limits; [risk.SYMBOL] overrides the
 * per-instrument limits of one symbol. Every key, its default and its unit is
 * in the key tables of <ps/risk_keys.h> (and in risk/README.md). Cold path.
 */
#ifndef PS_RISK_CONFIG_H
#define PS_RISK_CONFIG_H

#include <ps/config.h>
#include <ps/instrument.h>
#include <ps/risk.h>

/* Keys accepted in [risk] and in [risk.SYMBOL] (NULL-terminated), for a
 * struct ps_config_schema. */
PS_API extern const char *const ps_risk_config_keys[];
PS_API extern const char *const ps_risk_config_symbol_keys[];

/**
 * Read the risk limits.
 * @param c   a loaded config (getters mark the keys they read)
 * @param t   instruments: [risk.SYMBOL] must name one; tick and lot default to
 *            the table's; money keys use the instruments' price scale (one
 *            scale for all)
 * @param g   receives the session limits
 * @param il  receives ps_instrument_table_count(t) per-instrument limits
 * @param err receives "FILE:LINE: [risk] key = value: expected ..." or
 *            "FILE: [risk.SYM] key: ..." naming the key
 * @return 0; PS_ECONFIG (a required key missing, a bad, negative or
 *   out-of-range value, an unknown symbol, limits inconsistent with each
 *   other); -EINVAL (NULL arguments or an empty instrument table).
 */
PS_API int ps_risk_config_load(struct ps_config *c, const struct ps_instrument_table *t,
			       struct ps_risk_limits *g, struct ps_risk_instr_limits *il, char *err,
			       size_t err_len);

#endif /* PS_RISK_CONFIG_H */
