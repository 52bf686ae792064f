/*
 * Risk limits and reason codes as X-macro tables: one table generates the
 * enums, the names, the config keys, the README rows and the change records,
 * so they cannot drift apart.
 *
 * Every limit is an int64. "0 disables" holds for every limit where the text
 * says "0 = off"; a negative value is always an error. Money (kind MONEY) is
 * fixed point at the instruments' price scale (ITCH: 4 decimals), so a
 * notional is price * shares in the same units.
 */
#ifndef PS_RISK_KEYS_H
#define PS_RISK_KEYS_H

#include <ps/common.h>

/*
 * Reason codes: the verdict of a pre-trade check (OK or the one limit that
 * failed, in check order) and the cause carried by post-trade events.
 * XX(NAME, "text")
 */
#define PS_RISK_REASON_MAP(XX)                                                        \
	XX(OK, "accepted")                                                            \
	XX(BAD_INTENT, "unknown instrument, strategy, order, side, type or action")   \
	XX(KILL_SWITCH, "kill switch engaged")                                        \
	XX(HALTED, "risk state HALTED")                                               \
	XX(REDUCING, "risk state REDUCING and the order does not reduce")             \
	XX(STRATEGY_OFF, "strategy switched off by the operator")                     \
	XX(EXEC_THROTTLE, "strategy switched off by the repeated-execution throttle") \
	XX(RESTRICTED, "instrument on the restricted list")                           \
	XX(INSTRUMENT_HALTED, "instrument halted by the feed")                        \
	XX(MD_STALE, "market data stale")                                             \
	XX(QTY_ZERO, "quantity is zero")                                              \
	XX(TICK, "price not positive or not on the tick grid")                        \
	XX(LOT, "quantity not a multiple of the lot size")                            \
	XX(MAX_QTY, "order quantity above max_order_qty")                             \
	XX(MAX_NOTIONAL, "order notional above max_order_notional")                   \
	XX(NO_REFERENCE, "no reference price for the collar or a market order")       \
	XX(COLLAR, "price outside the collar around the reference price")             \
	XX(DUPLICATE, "duplicate of a recent order")                                  \
	XX(MAX_LONG, "worst-case long position above max_long")                       \
	XX(MAX_SHORT, "worst-case short position above max_short")                    \
	XX(POSITION_EQUITY, "worst-case position notional above position_equity_bp")  \
	XX(GROSS, "gross exposure above max_gross")                                   \
	XX(GROSS_EQUITY, "gross exposure above gross_equity_bp")                      \
	XX(NET, "net exposure above max_net")                                         \
	XX(NET_EQUITY, "net exposure above net_equity_bp")                            \
	XX(OPEN_POSITIONS, "would open a position beyond max_open_positions")         \
	XX(WORKING_ORDERS, "working orders on the instrument at max_working_orders")  \
	XX(ORDER_TABLE_FULL, "risk order table full")                                 \
	XX(CREDIT, "committed capital above credit_limit")                            \
	XX(RATE_STRATEGY, "strategy order rate")                                      \
	XX(RATE_SESSION, "session order rate")                                        \
	XX(CANCEL_RATE_STRATEGY, "strategy cancel rate")                              \
	XX(CANCEL_RATE_SESSION, "session cancel rate")                                \
	XX(SELF_TRADE, "would trade against our own resting order")                   \
	XX(CONFIDENCE, "strategy confidence below min_confidence_bp")                 \
	XX(DAILY_LOSS, "daily loss (post-trade)")                                     \
	XX(DRAWDOWN, "drawdown from the high-water mark (post-trade)")                \
	XX(STOP_LOSS, "stop loss (exit intent)")                                      \
	XX(TAKE_PROFIT, "take profit (exit intent)")                                  \
	XX(OPERATOR, "operator action")

enum ps_risk_reason {
#define PS_XX(name, text) PS_RISK_##name,
	PS_RISK_REASON_MAP(PS_XX)
#undef PS_XX
	    PS_RISK_REASON__COUNT
};

/* Kinds of limit values (how config parses them, how README shows them). */
enum ps_risk_kind {
	PS_RISK_KIND_INT = 0, /* plain integer (count, bp, ms, rate per second) */
	PS_RISK_KIND_MONEY,   /* fixed point at the price scale */
	PS_RISK_KIND_BOOL,    /* 0 or 1; config accepts true/false, yes/no, on/off */
	PS_RISK_KIND_ACTION,  /* breach action: 0 = reduce, 1 = halt */
	PS_RISK_KIND_SIZING,  /* sizing mode: 0 fixed, 1 fraction, 2 risk, 3 volatility */
};

/* Default that marks a key the config must give. */
#define PS_RISK_REQUIRED INT64_MIN
#define PS_RISK_BIG      INT64_C(1000000000000000000) /* 1e18: upper bound of money keys */

/*
 * Session-wide limits: [risk].
 * XX(NAME, "key", kind, default, min, max, "what it limits")
 */
#define PS_RISK_GLOBAL_KEYS(XX)                                                                \
	XX(KILL_SWITCH, "kill_switch", PS_RISK_KIND_BOOL, 0, 0, 1,                             \
	   "kill switch engaged at start: rejects everything but cancels")                     \
	XX(RESET_GEN, "reset_gen", PS_RISK_KIND_INT, 0, 0, INT64_MAX,                          \
	   "operator reset counter: raising it clears a latched REDUCING/HALTED state")        \
	XX(START_EQUITY, "start_equity", PS_RISK_KIND_MONEY, PS_RISK_REQUIRED, 1, PS_RISK_BIG, \
	   "account equity at start (money); required")                                        \
	XX(CREDIT_LIMIT, "credit_limit", PS_RISK_KIND_MONEY, PS_RISK_REQUIRED, 1, PS_RISK_BIG, \
	   "capital committed (cost of filled positions plus notional of working orders); "    \
	   "required")                                                                         \
	XX(POSITION_EQUITY_BP, "position_equity_bp", PS_RISK_KIND_INT, 1000, 0, 100000,        \
	   "worst-case position notional per instrument as bp of equity; 0 = off")             \
	XX(MAX_GROSS, "max_gross", PS_RISK_KIND_MONEY, 0, 0, PS_RISK_BIG,                      \
	   "gross exposure (sum of abs(position) x mark plus working notional); 0 = off")      \
	XX(GROSS_EQUITY_BP, "gross_equity_bp", PS_RISK_KIND_INT, 8000, 0, 1000000,             \
	   "gross exposure as bp of equity; 0 = off")                                          \
	XX(MAX_NET, "max_net", PS_RISK_KIND_MONEY, 0, 0, PS_RISK_BIG,                          \
	   "worst-case net exposure in the order's direction; 0 = off")                        \
	XX(NET_EQUITY_BP, "net_equity_bp", PS_RISK_KIND_INT, 8000, 0, 1000000,                 \
	   "net exposure as bp of equity; 0 = off")                                            \
	XX(MAX_OPEN_POSITIONS, "max_open_positions", PS_RISK_KIND_INT, 20, 0, 1000000,         \
	   "instruments with a position or a working order; 0 = off")                          \
	XX(MIN_CONFIDENCE_BP, "min_confidence_bp", PS_RISK_KIND_INT, 6000, 0, 10000,           \
	   "minimum strategy confidence, bp; 0 = off")                                         \
	XX(DUP_WINDOW_MS, "dup_window_ms", PS_RISK_KIND_INT, 1000, 0, 86400000,                \
	   "duplicate window: same instrument, side, price, qty, strategy among the last 4 "   \
	   "orders of the instrument; 0 = off")                                                \
	XX(MD_STALE_MS, "md_stale_ms", PS_RISK_KIND_INT, 0, 0, 86400000,                       \
	   "market data older than this is stale; 0 = only the feed's stale flag")             \
	XX(ORDER_RATE, "order_rate", PS_RISK_KIND_INT, 100, 0, 1000000000,                     \
	   "orders (new + replace) per second per strategy; 0 = off")                          \
	XX(ORDER_BURST, "order_burst", PS_RISK_KIND_INT, 20, 1, 1000000,                       \
	   "token-bucket depth of order_rate")                                                 \
	XX(SESSION_ORDER_RATE, "session_order_rate", PS_RISK_KIND_INT, 500, 0, 1000000000,     \
	   "orders per second for the session; 0 = off")                                       \
	XX(SESSION_ORDER_BURST, "session_order_burst", PS_RISK_KIND_INT, 100, 1, 1000000,      \
	   "token-bucket depth of session_order_rate")                                         \
	XX(CANCEL_RATE, "cancel_rate", PS_RISK_KIND_INT, 200, 0, 1000000000,                   \
	   "cancels per second per strategy; 0 = off")                                         \
	XX(CANCEL_BURST, "cancel_burst", PS_RISK_KIND_INT, 40, 1, 1000000,                     \
	   "token-bucket depth of cancel_rate")                                                \
	XX(SESSION_CANCEL_RATE, "session_cancel_rate", PS_RISK_KIND_INT, 1000, 0, 1000000000,  \
	   "cancels per second for the session; 0 = off")                                      \
	XX(SESSION_CANCEL_BURST, "session_cancel_burst", PS_RISK_KIND_INT, 200, 1, 1000000,    \
	   "token-bucket depth of session_cancel_rate")                                        \
	XX(FILL_THROTTLE_COUNT, "fill_throttle_count", PS_RISK_KIND_INT, 100, 0, 256,          \
	   "fills of one strategy within fill_throttle_ms that switch it off; 0 = off")        \
	XX(FILL_THROTTLE_MS, "fill_throttle_ms", PS_RISK_KIND_INT, 1000, 0, 86400000,          \
	   "window of fill_throttle_count")                                                    \
	XX(DAILY_LOSS_BP, "daily_loss_bp", PS_RISK_KIND_INT, 500, 0, 10000,                    \
	   "daily loss limit as bp of start-of-day equity; 0 = off")                           \
	XX(MAX_DRAWDOWN_BP, "max_drawdown_bp", PS_RISK_KIND_INT, 1000, 0, 10000,               \
	   "drawdown from the high-water mark as bp of it; 0 = off")                           \
	XX(BREACH_ACTION, "breach_action", PS_RISK_KIND_ACTION, 1, 0, 1,                       \
	   "state latched on a loss or drawdown breach: reduce or halt")                       \
	XX(WARN_AT_BP, "warn_at_bp", PS_RISK_KIND_INT, 5000, 1, 9999,                          \
	   "RISK_WARNING at this fraction (bp) of the loss and drawdown limits")               \
	XX(THROTTLE_AT_BP, "throttle_at_bp", PS_RISK_KIND_INT, 8000, 1, 9999,                  \
	   "THROTTLED at this fraction (bp) of the limits: session order rate divided by "     \
	   "throttle_factor")                                                                  \
	XX(THROTTLE_FACTOR, "throttle_factor", PS_RISK_KIND_INT, 4, 1, 1000,                   \
	   "session order interval multiplier while throttled")                                \
	XX(STOP_LOSS_BP, "stop_loss_bp", PS_RISK_KIND_INT, 800, 0, 10000,                      \
	   "exit intent when a position loses this bp of its cost; 0 = off")                   \
	XX(TAKE_PROFIT_BP, "take_profit_bp", PS_RISK_KIND_INT, 1500, 0, 1000000,               \
	   "exit intent when a position gains this bp of its cost; 0 = off")                   \
	XX(MIN_REWARD_RISK_PCT, "min_reward_risk_pct", PS_RISK_KIND_INT, 150, 0, 100000,       \
	   "sizing: minimum reward/risk of an entry, percent (150 = 1.5); 0 = off")            \
	XX(SIZING_MODE, "sizing_mode", PS_RISK_KIND_SIZING, 0, 0, 3,                           \
	   "sizing: fixed, fraction, risk or volatility")                                      \
	XX(SIZING_QTY, "sizing_qty", PS_RISK_KIND_INT, 100, 1, 4294967295,                     \
	   "sizing fixed: shares per entry")                                                   \
	XX(SIZING_FRACTION_BP, "sizing_fraction_bp", PS_RISK_KIND_INT, 100, 1, 10000,          \
	   "sizing fraction: entry notional as bp of equity")                                  \
	XX(SIZING_RISK_BP, "sizing_risk_bp", PS_RISK_KIND_INT, 50, 1, 10000,                   \
	   "sizing risk: amount at risk (bp of equity) divided by the stop distance")          \
	XX(SIZING_VOL_BP, "sizing_vol_bp", PS_RISK_KIND_INT, 20, 1, 10000,                     \
	   "sizing volatility: bp of equity per one EWMA sigma of the instrument")             \
	XX(EWMA_LAMBDA_BP, "ewma_lambda_bp", PS_RISK_KIND_INT, 9400, 1, 9999,                  \
	   "decay of the EWMA variance of mark-to-mark returns, bp (9400 = 0.94)")

/*
 * Per-instrument limits: defaults in [risk], overrides in [risk.SYMBOL].
 */
#define PS_RISK_INSTR_KEYS(XX)                                                          \
	XX(RESTRICTED, "restricted", PS_RISK_KIND_BOOL, 0, 0, 1,                        \
	   "instrument on the restricted list")                                         \
	XX(TICK, "tick", PS_RISK_KIND_MONEY, 0, 0, PS_RISK_BIG,                         \
	   "price grid; 0 = the instrument table's tick size")                          \
	XX(LOT, "lot", PS_RISK_KIND_INT, 0, 0, 4294967295,                              \
	   "quantity grid; 0 = the instrument table's lot size")                        \
	XX(MAX_ORDER_QTY, "max_order_qty", PS_RISK_KIND_INT, 10000, 0, 4294967295,      \
	   "shares per order; 0 = off")                                                 \
	XX(MAX_ORDER_NOTIONAL, "max_order_notional", PS_RISK_KIND_MONEY, 1000000000, 0, \
	   PS_RISK_BIG, "price x qty per order (default 100000.0000); 0 = off")         \
	XX(COLLAR_BPS, "collar_bps", PS_RISK_KIND_INT, 500, 0, 10000,                   \
	   "price collar around the reference (mid, else last), bp; 0 = off")           \
	XX(COLLAR_TICKS, "collar_ticks", PS_RISK_KIND_INT, 0, 0, 1000000,               \
	   "price collar in ticks; when set it replaces collar_bps")                    \
	XX(MAX_LONG, "max_long", PS_RISK_KIND_INT, 100000, 0, 4294967295,               \
	   "worst-case long position, shares; 0 = off")                                 \
	XX(MAX_SHORT, "max_short", PS_RISK_KIND_INT, 100000, 0, 4294967295,             \
	   "worst-case short position, shares; 0 = off")                                \
	XX(MAX_WORKING_ORDERS, "max_working_orders", PS_RISK_KIND_INT, 8, 0, 65535,     \
	   "working orders on the instrument (sent, not yet done); 0 = off")

/*
 * Per-strategy operator switches (not config keys; changed by the operator).
 */
#define PS_RISK_STRATEGY_KEYS(XX)                                                    \
	XX(OFF, "strategy_off", PS_RISK_KIND_BOOL, 0, 0, 1, "strategy switched off") \
	XX(RELEASE_GEN, "strategy_release_gen", PS_RISK_KIND_INT, 0, 0, INT64_MAX,   \
	   "raising it turns a strategy back on after the repeated-execution throttle")

enum ps_risk_gkey {
#define PS_XX(name, key, kind, def, min, max, doc) PS_RISK_G_##name,
	PS_RISK_GLOBAL_KEYS(PS_XX)
#undef PS_XX
	    PS_RISK_G__COUNT
};

enum ps_risk_ikey {
#define PS_XX(name, key, kind, def, min, max, doc) PS_RISK_I_##name,
	PS_RISK_INSTR_KEYS(PS_XX)
#undef PS_XX
	    PS_RISK_I__COUNT
};

enum ps_risk_skey {
#define PS_XX(name, key, kind, def, min, max, doc) PS_RISK_S_##name,
	PS_RISK_STRATEGY_KEYS(PS_XX)
#undef PS_XX
	    PS_RISK_S__COUNT
};

enum ps_risk_scope {
	PS_RISK_SCOPE_GLOBAL = 0,
	PS_RISK_SCOPE_INSTR = 1,
	PS_RISK_SCOPE_STRATEGY = 2,
};

/* One row of a key table. */
struct ps_risk_key_info {
	const char *name;
	const char *doc;
	int64_t def;
	int64_t min;
	int64_t max;
	uint8_t kind; /* enum ps_risk_kind */
};

/* Table row of a key in a scope, NULL when key is out of range. Thread-safe. */
PS_API const struct ps_risk_key_info *ps_risk_key_info(enum ps_risk_scope scope, unsigned key);

/* Name of a reason code ("MAX_LONG"); "?" when out of range. */
PS_API const char *ps_risk_reason_name(unsigned reason);
/* One-line text of a reason code. */
PS_API const char *ps_risk_reason_text(unsigned reason);

#endif /* PS_RISK_KEYS_H */
