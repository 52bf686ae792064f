/*
 * Pre-trade risk checks, positions and PnL, kill switch and the risk state
 * machine. One struct ps_risk lives on the exec thread; it has no threads and
 * no locks. Limits are published by an operator thread through a
 * struct ps_risk_board (a seqlock snapshot); the exec thread notices a new
 * snapshot with one load per check and copies it then.
 *
 * Design. Everything the check reads is precomputed when a snapshot, an
 * equity change or a reference price arrives, so the check itself is a chain
 * of integer compares over three cache lines (instrument, strategy, session):
 * - tick and lot grids are divisibility tests by multiplication with a
 *   precomputed modular inverse (no division on the hot path);
 * - the collar band and the market-order protection prices are computed when
 *   the reference price changes (ps_risk_md_update);
 * - equity-fraction caps (position, gross, net) are recomputed on every fill
 *   and mark, so the check compares against a plain number;
 * - rate limits are token buckets in GCRA form (one "theoretical arrival
 *   time" per bucket): conforming when tat <= now + tau;
 * - a failing compare jumps to a cold classifier that names the exact reason
 *   (absolute cap or equity cap, collar or no reference).
 * Orders count against every limit from ps_risk_on_send until the venue ends
 * them (cancelled, rejected, filled): acks change nothing.
 *
 * Worst cases: a replace whose best price leaves the instrument rescans the
 * instrument's working orders (at most max_working_orders); the duplicate
 * check looks at the last PS_RISK_DUP_SLOTS orders of the instrument only. A
 * replace counts with its new price and quantity from the moment it is sent;
 * a venue reject of a replace does not restore the old values.
 *
 * Units: prices are fixed point at the instruments' scale (one scale for the
 * whole book); notional, PnL and equity are price x shares in those units.
 *
 * Threads: every ps_risk_* function on one thread (the exec stage); the
 * ps_risk_board_* writers on one (operator/cold) thread.
 */
#ifndef PS_RISK_H
#define PS_RISK_H

#include <ps/common.h>
#include <ps/order.h>
#include <ps/risk_keys.h>
#include <ps/seqlock.h>
#include <stdatomic.h>

#define PS_RISK_MAX_STRATEGIES 64
#define PS_RISK_DUP_SLOTS      4 /* recent orders per instrument the duplicate check sees */
#define PS_RISK_FILL_RING      256
#define PS_RISK_ORDER_NONE     UINT32_MAX
#define PS_RISK_WHO_LEN        16

/* ---- limits snapshot ------------------------------------------------------- */

/* Session limits and per-strategy switches: values of the key tables. */
struct ps_risk_limits {
	int64_t g[PS_RISK_G__COUNT];
	int64_t s[PS_RISK_S__COUNT][PS_RISK_MAX_STRATEGIES];
};

struct ps_risk_instr_limits {
	int64_t v[PS_RISK_I__COUNT];
};

/* Fill with the table defaults (required keys get 0: set them). */
PS_API void ps_risk_limits_defaults(struct ps_risk_limits *g);
PS_API void ps_risk_instr_limits_defaults(struct ps_risk_instr_limits *il);

/**
 * Check ranges and consistency of a full set of limits.
 * @param il     instrument_count entries
 * @param err    receives "[risk] KEY: ..." or "[risk.<id>] KEY: ..." naming the key
 * @return 0; PS_ECONFIG with a message.
 */
PS_API int ps_risk_limits_validate(const struct ps_risk_limits *g,
				   const struct ps_risk_instr_limits *il, uint32_t instrument_count,
				   char *err, size_t err_len);

/*
 * The published snapshot. Memory (ps_risk_board_memsize bytes, 8-byte
 * aligned) is caller-owned: a struct ps_risk_limits followed by the
 * per-instrument limits, copied by readers as one seqlock-protected block.
 * Writer: one thread. Readers: struct ps_risk (any thread, usually exec).
 */
struct ps_risk_board {
	alignas(PS_CACHE_LINE) struct ps_seqlock lock;
	uint32_t instrument_count;
	uint64_t change_seq;      /* writer only: numbers the change records */
	struct ps_risk_limits *g; /* shared; written under lock */
	struct ps_risk_instr_limits *il;
	size_t len; /* bytes of the snapshot block */
};

/* One change, for the journal: who changed what from old to new. */
struct ps_risk_change {
	uint64_t seq;
	int64_t old_value;
	int64_t new_value;
	uint32_t index; /* instrument id (INSTR) or strategy id (STRATEGY); 0 for GLOBAL */
	uint16_t key;
	uint8_t scope; /* enum ps_risk_scope */
	char who[PS_RISK_WHO_LEN];
};

PS_API size_t ps_risk_board_memsize(uint32_t instrument_count);

/**
 * Initialise a board over mem with validated limits.
 * @return 0; -EINVAL (NULL, count 0, misaligned mem); PS_ECONFIG (limits fail
 *   validation; err names the key).
 */
PS_API int ps_risk_board_init(struct ps_risk_board *b, void *mem, uint32_t instrument_count,
			      const struct ps_risk_limits *g, const struct ps_risk_instr_limits *il,
			      char *err, size_t err_len);
PS_API void ps_risk_board_fini(struct ps_risk_board *b);

/**
 * Change one limit and publish it. Writer thread only.
 * @param who    operator name (truncated to PS_RISK_WHO_LEN - 1)
 * @param index  instrument id (INSTR scope), strategy id (STRATEGY), ignored for GLOBAL
 * @param rec    receives the change record (may be NULL)
 * @return 0; -EINVAL (bad scope, key or index); PS_ECONFIG (value out of range
 *   or inconsistent with the other limits; nothing changes).
 */
PS_API int ps_risk_board_set(struct ps_risk_board *b, const char *who, enum ps_risk_scope scope,
			     unsigned key, uint32_t index, int64_t value,
			     struct ps_risk_change *rec, char *err, size_t err_len);

/* Operator shortcuts over ps_risk_board_set. */
PS_API int ps_risk_board_kill(struct ps_risk_board *b, const char *who, bool on,
			      struct ps_risk_change *rec);
/* Clear a latched REDUCING/HALTED state (and the escalation level). */
PS_API int ps_risk_board_reset(struct ps_risk_board *b, const char *who,
			       struct ps_risk_change *rec);
PS_API int ps_risk_board_strategy_enable(struct ps_risk_board *b, const char *who,
					 uint32_t strategy, bool on, struct ps_risk_change *rec);
/* Turn a strategy back on after the repeated-execution throttle. */
PS_API int ps_risk_board_strategy_release(struct ps_risk_board *b, const char *who,
					  uint32_t strategy, struct ps_risk_change *rec);

/* ---- events for the cold path --------------------------------------------- */

enum ps_risk_event_type {
	PS_RISK_EV_LIMIT_REACHED = 1, /* reason DAILY_LOSS / DRAWDOWN: state latched */
	PS_RISK_EV_WARNING,           /* reason DAILY_LOSS / DRAWDOWN at warn_at_bp */
	PS_RISK_EV_KILL_SWITCH_ON,
	PS_RISK_EV_KILL_SWITCH_OFF,
	PS_RISK_EV_THROTTLED,     /* session (DAILY_LOSS/DRAWDOWN) or strategy (EXEC_THROTTLE) */
	PS_RISK_EV_STATE_CHANGED, /* value = new state, limit = old state */
	PS_RISK_EV_EXIT,          /* exit intent: instrument, side, qty, price (mark) */
};

enum ps_risk_state {
	PS_RISK_STATE_ACTIVE = 0,
	PS_RISK_STATE_REDUCING = 1,
	PS_RISK_STATE_HALTED = 2,
};

struct ps_risk_event {
	uint64_t ts_ns;
	int64_t value; /* the measured figure (loss, drawdown, fills) */
	int64_t limit; /* the threshold it crossed */
	int64_t price; /* EXIT: reference (mark) price */
	uint32_t instrument;
	uint32_t qty; /* EXIT: shares to close */
	uint16_t strategy;
	uint8_t type;   /* enum ps_risk_event_type */
	uint8_t reason; /* enum ps_risk_reason */
	uint8_t state;  /* enum ps_risk_state after the event */
	uint8_t side;   /* EXIT: enum ps_side of the closing order */
	uint8_t pad[18];
};
static_assert(sizeof(struct ps_risk_event) == 64, "risk event is one cache line");
static_assert(offsetof(struct ps_order_intent, side) ==
		      offsetof(struct ps_order_intent, action) + 1 &&
		  offsetof(struct ps_order_intent, type) ==
		      offsetof(struct ps_order_intent, action) + 2,
	      "the check reads action, side and type as one word");

/* Event sink: called on the risk thread, must not block (push to a ring). */
typedef void (*ps_risk_event_fn)(void *ctx, const struct ps_risk_event *ev);

/* ---- runtime state --------------------------------------------------------- */

#define PS_RISK_IF_RESTRICTED 0x1u
#define PS_RISK_IF_HALTED     0x2u
#define PS_RISK_IF_STALE      0x4u

#define PS_RISK_GATE_KILL     0x1u
#define PS_RISK_GATE_HALTED   0x2u
#define PS_RISK_GATE_REDUCING 0x4u

#define PS_RISK_SOFF_OPERATOR 0x1u
#define PS_RISK_SOFF_THROTTLE 0x2u
#define PS_RISK_SOFF_GATE     0x4u /* copy of gate != 0, so the check tests one byte */

struct ps_risk_dup {
	uint64_t key; /* qty | side << 32 | strategy << 33; 0 = empty */
	int64_t price;
	uint64_t ns;
};

/* Per instrument; indexed by dense instrument id. Written only by the risk thread. */
struct ps_risk_instr {
	/* line 0-1: what the check reads */
	alignas(PS_CACHE_LINE) uint8_t flags; /* PS_RISK_IF_* */
	uint8_t tick_shift;
	uint8_t lot_shift;
	uint8_t dup_next;
	uint8_t open; /* a position or a working order: counts in open_count */
	uint32_t working_count;
	uint32_t max_working;   /* 0 = off -> UINT32_MAX */
	uint32_t max_order_qty; /* 0 = off -> UINT32_MAX */
	uint64_t tick_inv;      /* odd part of tick: inverse mod 2^64 */
	uint64_t tick_thr;      /* UINT64_MAX / tick */
	uint64_t lot_inv;
	uint64_t lot_thr;
	int64_t max_notional;
	int64_t collar_lo; /* accepted limit prices: [lo, hi]; no reference: lo > hi */
	int64_t collar_hi;
	int64_t prot[2];    /* market-order protection price per side; 0 = no reference */
	uint64_t md_ns;     /* last market-data update */
	int64_t pos;        /* filled, signed shares */
	int64_t dir_pos[2]; /* pos, -pos: the position in a side's direction */
	int64_t work_qty[2];
	/* self-trade band per side: a price p crosses our own resting orders when
	 * (uint64_t)(p - st_base) <= st_span. BUY: [best own sell, INT64_MAX];
	 * SELL: [1, best own buy]; none: base 0, span 0 (p >= 1 never hits it). */
	int64_t st_base[2];
	uint64_t st_span[2];
	int64_t max_pos[2]; /* max_long, max_short (0 = off -> INT64_MAX) */
	struct ps_risk_dup dup[PS_RISK_DUP_SLOTS];
	/* post-trade (not read by the check) */
	int64_t cost;     /* signed cost of the open position (price x shares) */
	int64_t realized; /* realized PnL */
	int64_t mark;
	int64_t gross; /* |pos| * mark, as summed into the totals */
	int64_t net;   /* pos * mark */
	int64_t abs_cost;
	int64_t bid, ask, last, ref;
	int64_t tick;
	int64_t lot;
	int64_t collar_bps, collar_ticks;
	double ewma_var; /* EWMA variance of mark-to-mark returns (sizing only) */
	uint32_t head;   /* first working order of this instrument */
	uint8_t exit_latched;
	uint8_t has_mark;
};

/* One working order (sent and not yet done). */
struct ps_risk_order {
	uint64_t coid;
	int64_t price;
	uint32_t leaves;
	uint32_t instrument;
	uint32_t prev, next; /* instrument list; free list uses next */
	uint16_t strategy;
	uint8_t side;
	uint8_t live;
};

struct ps_risk_strategy {
	alignas(PS_CACHE_LINE) uint8_t off; /* PS_RISK_SOFF_* */
	uint64_t tat_order;
	uint64_t tat_cancel;
	uint64_t fill_count;
	uint64_t dup_tag[2]; /* strategy << 33 | side << 32: duplicate key without qty */
	int64_t release_gen;
	uint64_t *fills; /* PS_RISK_FILL_RING fill times */
};

struct ps_risk_params {
	uint32_t instrument_count; /* must equal the board's */
	uint32_t strategy_count;   /* 1..PS_RISK_MAX_STRATEGIES */
	uint32_t order_capacity;   /* working orders at once, >= 1 */
	struct ps_risk_board *board;
	ps_risk_event_fn sink; /* may be NULL */
	void *sink_ctx;
};

struct ps_risk {
	/* line 0: read by every check */
	alignas(PS_CACHE_LINE) uint8_t gate; /* PS_RISK_GATE_* */
	uint8_t state;                       /* enum ps_risk_state */
	uint8_t level; /* escalation: 0 none, 1 warned, 2 throttled, 3 breached */
	uint8_t throttled;
	uint32_t instrument_count;
	uint32_t strategy_count;
	uint32_t seen_seq;
	uint32_t free_head;
	uint32_t open_count;
	uint32_t max_open; /* 0 = off -> UINT32_MAX */
	uint16_t min_conf;
	uint64_t stale_ns; /* 0 = off -> UINT64_MAX */
	uint64_t dup_ns;
	int64_t pos_eq_cap;
	int64_t gross_cap;
	int64_t net_cap;
	/* line 1 */
	int64_t credit;
	int64_t work_notional[2];
	int64_t gross_total;
	int64_t net_total;
	int64_t dir_net[2]; /* net_total, -net_total */
	int64_t abs_cost_total;
	uint64_t tat_order; /* session buckets */
	uint64_t tat_cancel;
	/* line 2 */
	uint64_t t_order_s, tau_order_s; /* strategy order bucket: interval and tolerance, ns */
	uint64_t t_cancel_s, tau_cancel_s;
	uint64_t t_order_x, tau_order_x; /* session */
	uint64_t t_cancel_x, tau_cancel_x;
	struct ps_risk_instr *instr;
	struct ps_risk_strategy *strat;
	struct ps_risk_order *orders;
	struct ps_risk_board *board;
	/* post-trade */
	int64_t cost_total;
	int64_t realized_total;
	int64_t equity;
	int64_t hwm;
	int64_t sod_equity;
	int64_t loss_th[3]; /* daily loss: warn, throttle, breach (INT64_MAX = off) */
	int64_t dd_th[3];   /* drawdown from hwm: warn, throttle, breach */
	int64_t dd_base;    /* hwm that dd_th was computed from */
	uint32_t dd_gen;    /* seen_seq that dd_th was computed with */
	int64_t max_gross_abs, max_net_abs;
	uint64_t fill_window_ns;
	uint32_t fill_n;
	uint32_t order_capacity;
	int64_t reset_gen;
	uint64_t last_ns;
	ps_risk_event_fn sink;
	void *sink_ctx;
	int64_t start_equity;
	struct ps_risk_limits *lim; /* private copy of the snapshot (one block with il) */
	struct ps_risk_instr_limits *il;
	uint64_t counters[PS_RISK_REASON__COUNT]; /* verdicts per reason */
	uint64_t events;
};

/**
 * Bytes of memory for ps_risk_init (per-instrument state, order table, fill
 * rings, the private snapshot copy). 0 on bad params.
 */
PS_API size_t ps_risk_memsize(const struct ps_risk_params *p);

/**
 * Initialise over caller-owned mem (ps_risk_memsize bytes, PS_CACHE_LINE
 * aligned) and take the board's current snapshot.
 * @return 0; -EINVAL (NULL, misaligned mem, counts out of range or not the board's).
 */
PS_API int ps_risk_init(struct ps_risk *r, void *mem, const struct ps_risk_params *p);
PS_API void ps_risk_fini(struct ps_risk *r);

/* Allocate (ps_alloc) and init; destroy frees. @return 0, -EINVAL, -ENOMEM. */
PS_API int ps_risk_create(struct ps_risk **r, const struct ps_risk_params *p);
PS_API void ps_risk_destroy(struct ps_risk *r);

/* Copy a new snapshot and recompute derived limits. Called by the check when
 * the board's sequence moved; may be called directly. Cold. */
PS_API void ps_risk_refresh(struct ps_risk *r, uint64_t now_ns);

/* Cold classifiers behind the inline check (not for direct use). */
PS_API enum ps_risk_reason ps_risk__blocked(const struct ps_risk *r,
					    const struct ps_order_intent *in, int64_t old_qty);
PS_API enum ps_risk_reason ps_risk__instr_flags(const struct ps_risk_instr *ins);
PS_API enum ps_risk_reason ps_risk__collar(const struct ps_risk_instr *ins);
PS_API enum ps_risk_reason ps_risk__gross(const struct ps_risk *r, int64_t gross_after);
PS_API enum ps_risk_reason ps_risk__net(const struct ps_risk *r, int64_t net_after);

/* Divisibility by d = odd * 2^shift via the inverse of odd: n*inv rotated
 * right by shift is <= UINT64_MAX/d exactly when d divides n. */
static inline bool ps_risk__divisible(uint64_t n, uint64_t inv, uint64_t thr, unsigned shift)
{
	uint64_t x = n * inv;

	x = (x >> shift) | (x << ((64u - shift) & 63u));
	return x <= thr;
}

static inline uint32_t ps_risk__board_seq(const struct ps_risk_board *b)
{
	/* Relaxed: only a hint that a new snapshot exists; the copy itself goes
	 * through ps_seqlock_read (A1/A2 pair with the writer's R1/R2). */
	return atomic_load_explicit(&b->lock.seq, memory_order_relaxed);
}

/* Cancels pass every state; with the kill switch on or HALTED they are not
 * even rate-limited (de-risking must not queue). */
static inline enum ps_risk_reason
ps_risk__check_cancel(const struct ps_risk *r, const struct ps_risk_strategy *st, uint64_t now_ns)
{
	if (r->gate & (PS_RISK_GATE_KILL | PS_RISK_GATE_HALTED))
		return PS_RISK_OK;
	if (st->tat_cancel > now_ns + r->tau_cancel_s)
		return PS_RISK_CANCEL_RATE_STRATEGY;
	if (r->tat_cancel > now_ns + r->tau_cancel_x)
		return PS_RISK_CANCEL_RATE_SESSION;
	return PS_RISK_OK;
}

/**
 * Check one intent against every limit, in the documented order, and count
 * the verdict. Hot path; no side effects on limits (on_send commits).
 * @param in     the intent; for an accepted MARKET order, price is set to the
 *               protection price
 * @param order  REPLACE: the handle (from ps_risk_on_send) of the order it
 *               replaces; ignored otherwise
 * @param now_ns caller's clock (token buckets, windows, staleness)
 * @return PS_RISK_OK or the reason of the first failing check.
 */
static inline enum ps_risk_reason ps_risk__check(struct ps_risk *r, struct ps_order_intent *in,
						 uint32_t order, uint64_t now_ns)
{
	if (ps_unlikely(ps_risk__board_seq(r->board) != r->seen_seq))
		ps_risk_refresh(r, now_ns);
	/* action, side, type as one word: side and type 0..1, action 0..2. */
	uint32_t ast;
	__builtin_memcpy(&ast, &in->action, sizeof(ast));
	if (ps_unlikely(in->instrument >= r->instrument_count ||
			in->strategy_id >= r->strategy_count || (ast & 0x00FEFEFFu) > 2u))
		return PS_RISK_BAD_INTENT;

	struct ps_risk_strategy *st = &r->strat[in->strategy_id];
	unsigned side = in->side;

	const struct ps_risk_instr *ins = &r->instr[in->instrument];
	int64_t old_q = 0, old_n = 0;
	bool is_new = true;

	if (ps_unlikely(in->action != PS_ORDER_NEW)) {
		if (in->action == PS_ORDER_CANCEL)
			return ps_risk__check_cancel(r, st, now_ns);

		const struct ps_risk_order *o;

		if (ps_unlikely(order >= r->order_capacity))
			return PS_RISK_BAD_INTENT;
		o = &r->orders[order];
		if (ps_unlikely(!o->live || o->instrument != in->instrument || o->side != side))
			return PS_RISK_BAD_INTENT;
		old_q = o->leaves;
		old_n = (int64_t)o->leaves * o->price;
		is_new = false;
	}

	/* 1. state: kill switch, HALTED, REDUCING and the strategy switches all
	 * show in st->off (the gate is copied into every strategy) */
	if (ps_unlikely(st->off)) {
		enum ps_risk_reason v = ps_risk__blocked(r, in, old_q);
		if (v != PS_RISK_OK)
			return v;
	}

	/* 2. instrument */
	if (ps_unlikely(ins->flags))
		return ps_risk__instr_flags(ins);
	if (ps_unlikely(now_ns - ins->md_ns > r->stale_ns))
		return PS_RISK_MD_STALE;

	int64_t p = in->price;
	if (in->type == PS_ORDER_MARKET) {
		p = ins->prot[side];
		if (ps_unlikely(p <= 0))
			return PS_RISK_NO_REFERENCE;
	}

	/* 3. shape */
	uint32_t q = in->qty;
	if (ps_unlikely(q == 0))
		return PS_RISK_QTY_ZERO;
	if (ps_unlikely(p <= 0 || !ps_risk__divisible((uint64_t)p, ins->tick_inv, ins->tick_thr,
						      ins->tick_shift)))
		return PS_RISK_TICK;
	if (ps_unlikely(!ps_risk__divisible(q, ins->lot_inv, ins->lot_thr, ins->lot_shift)))
		return PS_RISK_LOT;
	if (ps_unlikely(q > ins->max_order_qty))
		return PS_RISK_MAX_QTY;
	int64_t n;
	if (ps_unlikely(__builtin_mul_overflow(p, (int64_t)q, &n) || n > ins->max_notional))
		return PS_RISK_MAX_NOTIONAL;

	/* 4. collar */
	if (ps_unlikely(p < ins->collar_lo || p > ins->collar_hi))
		return ps_risk__collar(ins);

	/* 5. duplicate (NEW only: a replace changes a working order, it cannot
	 * double the exposure, and a quote may well move back to a recent price) */
	uint64_t key = st->dup_tag[side] | q;
	for (unsigned k = 0; is_new && k < PS_RISK_DUP_SLOTS; k++) {
		const struct ps_risk_dup *d = &ins->dup[k];
		if (ps_unlikely(d->key == key && d->price == p && now_ns - d->ns < r->dup_ns))
			return PS_RISK_DUPLICATE;
	}

	/* 6. position: worst case in the order's direction */
	int64_t worst = ins->dir_pos[side] + ins->work_qty[side] - old_q + q, wn;
	if (ps_unlikely(worst > ins->max_pos[side]))
		return side == PS_SIDE_BUY ? PS_RISK_MAX_LONG : PS_RISK_MAX_SHORT;
	/* an overflowing product is beyond any cap when positive, below when negative */
	if (ps_unlikely(__builtin_mul_overflow(worst, p, &wn) ? worst > 0 : wn > r->pos_eq_cap))
		return PS_RISK_POSITION_EQUITY;

	/* 7. exposure */
	int64_t work_total = r->work_notional[0] + r->work_notional[1] - old_n + n;
	int64_t gross = r->gross_total + work_total;
	if (ps_unlikely(gross > r->gross_cap))
		return ps_risk__gross(r, gross);
	int64_t net = r->dir_net[side] + r->work_notional[side] - old_n + n;
	if (ps_unlikely(net > r->net_cap))
		return ps_risk__net(r, net);
	if (ps_unlikely(!ins->open && r->open_count >= r->max_open))
		return PS_RISK_OPEN_POSITIONS;
	if (is_new) {
		if (ps_unlikely(ins->working_count >= ins->max_working))
			return PS_RISK_WORKING_ORDERS;
		if (ps_unlikely(r->free_head == PS_RISK_ORDER_NONE))
			return PS_RISK_ORDER_TABLE_FULL;
	}

	/* 8. credit */
	if (ps_unlikely(r->abs_cost_total + work_total > r->credit))
		return PS_RISK_CREDIT;

	/* 9. rate */
	if (ps_unlikely(st->tat_order > now_ns + r->tau_order_s))
		return PS_RISK_RATE_STRATEGY;
	if (ps_unlikely(r->tat_order > now_ns + r->tau_order_x))
		return PS_RISK_RATE_SESSION;

	/* 10. self-trade: buy at or above our best sell, sell at or below our best buy */
	if (ps_unlikely((uint64_t)(p - ins->st_base[side]) <= ins->st_span[side]))
		return PS_RISK_SELF_TRADE;

	/* 11. signal */
	if (ps_unlikely(in->confidence_bp < r->min_conf))
		return PS_RISK_CONFIDENCE;

	in->price = p;
	return PS_RISK_OK;
}

static inline enum ps_risk_reason ps_risk_check(struct ps_risk *r, struct ps_order_intent *in,
						uint32_t order, uint64_t now_ns)
{
	enum ps_risk_reason v = ps_risk__check(r, in, order, now_ns);

	r->counters[v]++;
	return v;
}

/* ---- order lifecycle (from the OMS) -------------------------------------- */

/**
 * An intent accepted by ps_risk_check was sent: it counts against every
 * limit from now on. Call right after the check, with the same intent.
 * @param order  REPLACE/CANCEL: the handle of the order acted on
 * @param coid   NEW: the client order id (kept for diagnostics)
 * @return NEW: the handle of the new order (PS_RISK_ORDER_NONE if the table
 *   is full, which the check prevents); REPLACE/CANCEL: order.
 */
PS_API uint32_t ps_risk_on_send(struct ps_risk *r, const struct ps_order_intent *in, uint32_t order,
				uint64_t coid, uint64_t now_ns);
/* A send that never reached the market (a replace the venue drops because
 * its original ended first) leaves the duplicate window: a NEW at the same
 * terms is then no duplicate of it. Takes back the newest matching send. */
PS_API void ps_risk_dup_forget(struct ps_risk *r, const struct ps_order_intent *in);
/* The venue acknowledged the order: no limit changes (it already counts). */
PS_API void ps_risk_on_ack(struct ps_risk *r, uint32_t order);
/* The venue says the order works at price with leaves shares open, not at
 * the terms risk last took from a send (a refused replace leaves the
 * original as it was; a replacement opened with other shares than asked).
 * Only the working quantity and the self-trade band change: no rate, no
 * duplicate accounting. leaves 0 ends the order. */
PS_API void ps_risk_on_amend(struct ps_risk *r, uint32_t order, int64_t price, uint32_t leaves,
			     uint64_t now_ns);
/* The venue rejected a NEW order, or the order was cancelled / expired: it stops counting. */
PS_API void ps_risk_on_reject(struct ps_risk *r, uint32_t order, uint64_t now_ns);
PS_API void ps_risk_on_cancel(struct ps_risk *r, uint32_t order, uint64_t now_ns);
/* qty shares of the order filled at price: position, PnL, throttle, exits. */
PS_API void ps_risk_on_fill(struct ps_risk *r, uint32_t order, int64_t price, uint32_t qty,
			    uint64_t now_ns);
/* Whether risk still counts `order` as the working order of this
 * instrument, side and strategy (a slot is reused once its order ends). */
static inline bool ps_risk_order_counts(const struct ps_risk *r, uint32_t order,
					uint32_t instrument, unsigned side, uint16_t strategy)
{
	const struct ps_risk_order *o;

	if (order >= r->order_capacity)
		return false;
	o = &r->orders[order];
	return o->live && o->instrument == instrument && o->side == side && o->strategy == strategy;
}

/* A fill of an order that no longer counts (it ended: cancelled, taken as
 * gone after an unanswered cancel, or its leaves were used up by a replace
 * race): the position and PnL still change; no working quantity does. */
PS_API void ps_risk_on_fill_ended(struct ps_risk *r, uint32_t instrument, unsigned side,
				  uint16_t strategy, int64_t price, uint32_t qty, uint64_t now_ns);
/* Mark-to-market price of an instrument: PnL, equity, escalation, exits. */
PS_API void ps_risk_on_mark(struct ps_risk *r, uint32_t instrument, int64_t price, uint64_t now_ns);

/* ---- market data (from the book) ------------------------------------------ */

/**
 * Reference prices of an instrument (0 = absent): the collar reference is the
 * mid when both sides exist, else the last trade. Recomputes the collar band
 * and the market-order protection prices; refreshes the staleness clock.
 */
PS_API void ps_risk_md_update(struct ps_risk *r, uint32_t instrument, int64_t bid, int64_t ask,
			      int64_t last, uint64_t now_ns);
/* Feed trading status and stale flag of an instrument. */
PS_API void ps_risk_md_status(struct ps_risk *r, uint32_t instrument, bool halted, bool stale);

/* ---- post-trade queries and tools ------------------------------------------ */

/* Start a new trading day: start-of-day equity = current equity. */
PS_API void ps_risk_day_roll(struct ps_risk *r, uint64_t now_ns);

struct ps_risk_position {
	int64_t pos;
	int64_t cost;
	int64_t avg_price; /* cost / pos, truncated; 0 when flat */
	int64_t realized;
	int64_t unrealized;
	int64_t mark;
	int64_t working_buy;
	int64_t working_sell;
};

struct ps_risk_totals {
	int64_t realized;
	int64_t unrealized;
	int64_t equity;
	int64_t hwm;
	int64_t drawdown;
	int64_t daily_pnl;
	int64_t gross;
	int64_t net;
	uint32_t open_positions;
	uint8_t state;
	uint8_t level;
	bool kill_switch;
};

PS_API int ps_risk_position_get(const struct ps_risk *r, uint32_t instrument,
				struct ps_risk_position *out);
PS_API void ps_risk_totals_get(const struct ps_risk *r, struct ps_risk_totals *out);

/**
 * Position size for an entry, by the snapshot's sizing_mode (fixed, fraction
 * of equity, risk = amount at risk / stop distance, volatility = EWMA sigma),
 * then capped by max_order_qty, the room left under max_long/max_short and
 * position_equity_bp, and rounded down to the lot.
 * @param stop    stop price (needed by risk mode and the reward/risk test; 0 = none)
 * @param target  take-profit price (0 = none; the reward/risk test is skipped)
 * @return shares; 0 when below min_reward_risk_pct, no room, or not computable.
 */
PS_API uint32_t ps_risk_size(const struct ps_risk *r, uint32_t instrument, unsigned side,
			     int64_t entry, int64_t stop, int64_t target);

#endif /* PS_RISK_H */
