/*
 * Order management: the state of every order this process sent to one venue
 * session, driven by our requests and the venue's answers (OUCH 4.2).
 *
 * Design
 * - Orders live in a preallocated table and are named by index handles
 *   (uint32_t). A token -> handle open-addressing hash (linear probing,
 *   backward-shift delete, at least 2x the capacity) finds the order a venue
 *   message is about. No allocation after init.
 * - Every state change goes through one transition table [state][event]:
 *   a legal pair gives the next state, an illegal pair is refused. A refused
 *   event (or an unknown token, an overfill, an over-cancel) changes nothing,
 *   bumps a counter and appends a diagnostic record (struct ps_oms_diag) to
 *   a small ring the cold path reads with ps_oms_diag_get(); it never aborts.
 * - Client order ids are OUCH order tokens: a fixed prefix followed by a
 *   zero-padded decimal counter filling the 14 bytes. The counter starts at
 *   the value passed to init (the persisted high-water mark) and only grows,
 *   so tokens are unique across restarts as long as the caller persists
 *   ps_oms_token_hwm() before it sends the order (the journal does).
 * - Orders waiting for an answer (pending new / cancel / replace) sit on a
 *   list in deadline order (one timeout for all, so appending keeps it
 *   sorted); ps_oms_poll_timeouts() moves the expired ones to UNKNOWN.
 * - Terminal orders stay findable (late fills, broken trades) until their
 *   slot is needed: when the free list is empty the oldest terminal order is
 *   recycled. PS_EFULL only when every slot holds a live order.
 *
 * Cancel on disconnect (our side). When the session drops,
 * ps_oms_on_disconnect() marks every live order UNKNOWN (remembering the
 * state it was in): we cannot know what the venue did meanwhile. After the
 * reconnect the SoupBinTCP login asks for the next sequence number we
 * expect, so the venue replays everything we missed and those messages
 * resolve UNKNOWN orders normally (accepted, filled, canceled...). Once the
 * replay is done (ps_soup_client reports PS_SOUP_CLIENT_EV_CAUGHT_UP), the
 * caller calls ps_oms_on_reconnect(), which applies the policy to orders
 * still UNKNOWN:
 *   PS_OMS_COD_CANCEL (default): request a cancel for each (-> PENDING_CANCEL,
 *     handles returned so the caller sends Cancel Order messages). Safe
 *     whether or not the venue itself cancels on disconnect: a cancel for a
 *     dead order is ignored by the venue and times out to UNKNOWN here.
 *   PS_OMS_COD_RESUME: return each to the state it had before the drop (for
 *     venues that keep orders across disconnects, after the replay).
 *
 * Replace races: if the original order dies (fully filled, canceled) while
 * the replace is in flight, the venue drops the replace; the replacement
 * stays PENDING_NEW until its timeout moves it to UNKNOWN, and a late
 * Rejected for it leaves the dead original as it is.
 *
 * Worst cases: mass cancel, disconnect and reconnect scan the whole table
 * (cold paths, O(capacity)). A venue answer for a recycled (very old) order
 * counts as an unknown token. Broken trades are counted and recorded as
 * diagnostics but do not reverse fills (OUCH gives no share count).
 *
 * Threads: single-threaded (the exec stage). The diagnostics ring is read
 * by the same thread (or with the stage stopped).
 */
#ifndef PS_OMS_H
#define PS_OMS_H

#include <ps/common.h>
#include <ps/err.h>
#include <ps/ouch.h>

#define PS_OMS_NIL             UINT32_MAX
#define PS_OMS_ALL_INSTRUMENTS UINT32_MAX
#define PS_OMS_DIAG_COUNT      64u
#define PS_OMS_PREFIX_MAX      8u

enum ps_oms_state {
	PS_OMS_STATE_FREE = 0, /* slot not in use */
	PS_OMS_STATE_PENDING_NEW,
	PS_OMS_STATE_NEW,
	PS_OMS_STATE_PARTIALLY_FILLED,
	PS_OMS_STATE_FILLED,
	PS_OMS_STATE_PENDING_CANCEL,
	PS_OMS_STATE_CANCELED,
	PS_OMS_STATE_PENDING_REPLACE,
	PS_OMS_STATE_REPLACED,
	PS_OMS_STATE_REJECTED,
	PS_OMS_STATE_EXPIRED,
	PS_OMS_STATE_UNKNOWN, /* sent, no answer in time, or session dropped */
	PS_OMS_STATE_COUNT
};

enum ps_oms_event {
	PS_OMS_EV_ACCEPTED = 0,   /* A (or the replacement side of U) */
	PS_OMS_EV_REJECTED,       /* J */
	PS_OMS_EV_FILL_PARTIAL,   /* E leaving open shares */
	PS_OMS_EV_FILL_FULL,      /* E leaving none */
	PS_OMS_EV_CANCEL_REQ,     /* we send X */
	PS_OMS_EV_CANCEL_PENDING, /* P */
	PS_OMS_EV_CANCELED,       /* C leaving no open shares */
	PS_OMS_EV_REDUCED,        /* C leaving open shares */
	PS_OMS_EV_CANCEL_REJECT,  /* I */
	PS_OMS_EV_EXPIRE,         /* C with reason IOC or timeout (TIF ran out) */
	PS_OMS_EV_REPLACE_REQ,    /* we send U */
	PS_OMS_EV_REPLACED,       /* U (the original order's side) */
	PS_OMS_EV_REPLACE_REJECT, /* J for the replacement token */
	PS_OMS_EV_MODIFIED,       /* M */
	PS_OMS_EV_TIMEOUT,        /* pending past the deadline */
	PS_OMS_EV_DISCONNECT,     /* session dropped */
	PS_OMS_EV_RESUME,         /* reconnect, policy RESUME */
	PS_OMS_EV_COUNT
};

enum ps_oms_cod {
	PS_OMS_COD_CANCEL = 0,
	PS_OMS_COD_RESUME = 1,
};

struct ps_oms_config {
	uint32_t capacity;        /* orders (live + recently terminal) */
	uint64_t token_start;     /* first token counter value (persisted hwm) */
	const char *token_prefix; /* 0..8 characters [0-9A-Za-z] */
	uint64_t timeout_ns;      /* pending -> UNKNOWN after this long */
	uint8_t cod_policy;       /* enum ps_oms_cod */
};

struct ps_oms_order {
	char token[PS_OUCH_TOKEN_LEN];
	uint8_t state;      /* enum ps_oms_state */
	uint8_t prev_state; /* state before it became UNKNOWN */
	int64_t price;      /* 1e-4 */
	int64_t notional;   /* sum of fill shares * fill price (1e-4) */
	uint64_t venue_ref; /* order reference number from Accepted */
	uint64_t deadline_ns;
	uint32_t qty;    /* shares ordered (after reductions) */
	uint32_t filled; /* shares executed */
	uint32_t cum;    /* shares executed on this order and the orders it replaced: FIX CumQty */
	uint32_t instrument;
	uint32_t link;                 /* replace: original <-> replacement, else PS_OMS_NIL */
	uint32_t pend_prev, pend_next; /* timeout list */
	uint32_t next;                 /* free list / terminal FIFO */
	uint16_t strategy_id;
	uint8_t side; /* OUCH side byte */
	uint8_t tif;  /* enum ps_tif */
};

struct ps_oms_counters {
	uint64_t orders;      /* ps_oms_order_new successes */
	uint64_t transitions; /* legal transitions applied */
	uint64_t illegal;     /* refused transitions */
	uint64_t unknown_token;
	uint64_t overfill;
	uint64_t overcancel;
	uint64_t timeouts;
	uint64_t broken_trades;
	uint64_t recycled; /* terminal orders reused for new ones */
};

/* One refused event, recorded for the cold path. */
struct ps_oms_diag {
	uint64_t now_ns;
	char token[PS_OUCH_TOKEN_LEN];
	uint32_t handle; /* PS_OMS_NIL for an unknown token */
	int32_t err;     /* PS_ESTATE, PS_ENOTFOUND, PS_EOVERFLOW, PS_EMISMATCH */
	uint8_t state;   /* state at the time */
	uint8_t event;   /* enum ps_oms_event */
	uint32_t qty;    /* shares in the message (fills, cancels), else 0 */
};

struct ps_oms {
	struct ps_oms_order *orders;
	uint32_t *hash; /* handle + 1, 0 = empty */
	uint32_t capacity;
	uint32_t hash_mask;
	uint32_t free_head;
	uint32_t term_head, term_tail; /* terminal FIFO (oldest first) */
	uint32_t pend_head, pend_tail; /* pending list (earliest deadline first) */
	uint32_t live;                 /* orders not FREE */
	uint8_t cod_policy;
	uint8_t prefix_len;
	uint8_t hash_shift; /* 64 - log2(hash slots): the index is the hash's top bits */
	uint64_t timeout_ns;
	uint64_t token_next;                /* counter of the next token */
	uint64_t token_max;                 /* largest counter that fits */
	char token_text[PS_OUCH_TOKEN_LEN]; /* the next token */
	struct ps_oms_counters cnt;
	uint64_t diag_total;
	struct ps_oms_diag diag[PS_OMS_DIAG_COUNT];
};

/* A new order request. */
struct ps_oms_new {
	int64_t price; /* 1e-4, must fit OUCH's 32 bits */
	uint32_t qty;
	uint32_t instrument;
	uint16_t strategy_id;
	uint8_t side; /* OUCH side byte: 'B', 'S', 'T', 'E' */
	uint8_t tif;  /* enum ps_tif */
};

/* Bytes of caller memory for cfg (0 when cfg is invalid). */
PS_API size_t ps_oms_memsize(const struct ps_oms_config *cfg);
/*
 * @param mem ps_oms_memsize(cfg) bytes, 8-byte aligned, caller-owned.
 * @return 0, or -EINVAL (capacity 0 or > 2^30, bad prefix, timeout 0, bad
 *   policy, token_start beyond what the digits after the prefix can hold).
 */
PS_API int ps_oms_init(struct ps_oms *oms, void *mem, const struct ps_oms_config *cfg);
PS_API void ps_oms_fini(struct ps_oms *oms);

static inline const struct ps_oms_order *ps_oms_order_get(const struct ps_oms *oms, uint32_t h)
{
	return &oms->orders[h];
}

/*
 * Fetch for writing the lines the next ps_oms_order_new or
 * ps_oms_order_replace will write: the slot it will take and the token
 * hash bucket of the next token. Changes nothing. Slots are taken in free
 * list order and each is new to the cache the first time round (the
 * table is megabytes); call this off the critical path, after an order is
 * sent, so the next order does not wait for memory.
 *
 * @return the handle the next order will get, or PS_OMS_NIL if none is free
 */
PS_API uint32_t ps_oms_prefetch_next(const struct ps_oms *oms);

/* Counter value of the next token: persist it (high-water mark) before
 * sending an order; pass it as token_start after a restart. */
static inline uint64_t ps_oms_token_hwm(const struct ps_oms *oms)
{
	return oms->token_next;
}

/*
 * The transition table: next state for (state, event), or one of the
 * values below. Tests use it as the reference; the OMS applies it.
 */
#define PS_OMS_NEXT_ILLEGAL 0xffu /* refused */
#define PS_OMS_NEXT_WORKING 0xfeu /* NEW, or PARTIALLY_FILLED when filled > 0 */
#define PS_OMS_NEXT_PREV    0xfdu /* the state before UNKNOWN */
PS_API uint8_t ps_oms_next_state(unsigned state, unsigned event);

/*
 * Applies one event to order h (the core transition; the on_* functions
 * below compute the event from a venue message and call it).
 * @return 0, or PS_ESTATE (refused: counted, diagnostic recorded, nothing
 *   changed), -EINVAL for a handle out of range or a FREE slot.
 */
PS_API int ps_oms_apply(struct ps_oms *oms, uint32_t h, unsigned event, uint64_t now_ns);

/*
 * Creates an order in PENDING_NEW with the next token.
 * @return 0 with *h set; -EINVAL (qty 0, price < 0 or > UINT32_MAX);
 *   PS_EFULL (every slot live); PS_EOVERFLOW (token counter exhausted).
 */
PS_API int ps_oms_order_new(struct ps_oms *oms, const struct ps_oms_new *req, uint64_t now_ns,
			    uint32_t *h);
/* Marks h PENDING_CANCEL (the caller sends X). @return 0, PS_ESTATE, -EINVAL. */
PS_API int ps_oms_order_cancel(struct ps_oms *oms, uint32_t h, uint64_t now_ns);
/*
 * Cancel/replace: h becomes PENDING_REPLACE and a replacement order with a
 * new token is created in PENDING_NEW (linked both ways); the caller sends
 * U with both tokens. @return 0 with *new_h; PS_ESTATE, PS_EFULL,
 * PS_EOVERFLOW, -EINVAL (qty 0 or price out of range).
 */
PS_API int ps_oms_order_replace(struct ps_oms *oms, uint32_t h, int64_t price, uint32_t qty,
				uint64_t now_ns, uint32_t *new_h);
/*
 * Requests a cancel of every working order (NEW, PARTIALLY_FILLED,
 * PENDING_NEW, UNKNOWN), of one instrument or PS_OMS_ALL_INSTRUMENTS.
 * Writes the handles to cancel to out (at most cap; call again for more).
 * @return handles written.
 */
PS_API uint32_t ps_oms_mass_cancel(struct ps_oms *oms, uint32_t instrument, uint32_t *out,
				   uint32_t cap, uint64_t now_ns);

/*
 * Venue answers, by token (14 bytes). Each returns 0, PS_ENOTFOUND
 * (unknown token), PS_ESTATE (illegal in the order's state), PS_EOVERFLOW
 * (fill larger than the open shares) or PS_EMISMATCH (a fill of 0 shares, a
 * cancel or modify larger than the open shares); every error is counted
 * with a diagnostic and changes nothing.
 */
PS_API int ps_oms_on_accepted(struct ps_oms *oms, const char *token, uint64_t order_ref,
			      uint64_t now_ns);
PS_API int ps_oms_on_rejected(struct ps_oms *oms, const char *token, uint64_t now_ns);
PS_API int ps_oms_on_executed(struct ps_oms *oms, const char *token, uint32_t shares, int64_t price,
			      uint64_t now_ns);
PS_API int ps_oms_on_canceled(struct ps_oms *oms, const char *token, uint32_t decrement,
			      uint8_t reason, uint64_t now_ns);
PS_API int ps_oms_on_replaced(struct ps_oms *oms, const char *new_token, const char *prev_token,
			      uint32_t shares, uint64_t order_ref, uint64_t now_ns);
PS_API int ps_oms_on_cancel_pending(struct ps_oms *oms, const char *token, uint64_t now_ns);
PS_API int ps_oms_on_cancel_reject(struct ps_oms *oms, const char *token, uint64_t now_ns);
PS_API int ps_oms_on_modified(struct ps_oms *oms, const char *token, uint8_t side, uint32_t shares,
			      uint64_t now_ns);
PS_API int ps_oms_on_broken(struct ps_oms *oms, const char *token, uint64_t now_ns);
/* Dispatches a decoded venue message to the functions above (S and T are
 * accepted and ignored). @return as they do; PS_EUNKNOWN_MSG otherwise. */
PS_API int ps_oms_on_ouch(struct ps_oms *oms, const struct ps_ouch_msg *m, uint64_t now_ns);

/*
 * Recovery: make counter the next token's value, so that orders re-created
 * from the journal get the tokens they had. @return 0, or PS_EOVERFLOW when
 * the counter does not fit the token.
 */
PS_API int ps_oms_token_seek(struct ps_oms *oms, uint64_t counter);

/* Handle of the order with this token, or PS_OMS_NIL. */
PS_API uint32_t ps_oms_find(const struct ps_oms *oms, const char *token);

/* Hash slots ps_oms_find(oms, token) reads (1 = its first guess): how well
 * the token hash spreads this session's tokens. For tests and tools. */
PS_API uint32_t ps_oms_find_probes(const struct ps_oms *oms, const char *token);

/*
 * Moves orders pending past their deadline to UNKNOWN, writing their
 * handles to out (at most cap). @return handles written.
 */
PS_API uint32_t ps_oms_poll_timeouts(struct ps_oms *oms, uint64_t now_ns, uint32_t *out,
				     uint32_t cap);
/* Session dropped: every live order -> UNKNOWN. @return orders marked. */
PS_API uint32_t ps_oms_on_disconnect(struct ps_oms *oms, uint64_t now_ns);
/*
 * Session back and caught up: applies the cancel-on-disconnect policy to
 * orders still UNKNOWN (see the top of this file). With PS_OMS_COD_CANCEL
 * writes the handles to send Cancel Order for to out (at most cap).
 * @return handles written (always 0 with PS_OMS_COD_RESUME).
 */
PS_API uint32_t ps_oms_on_reconnect(struct ps_oms *oms, uint64_t now_ns, uint32_t *out,
				    uint32_t cap);

/* Average fill price of h (1e-4, truncated), 0 when nothing is filled. */
static inline int64_t ps_oms_avg_price(const struct ps_oms *oms, uint32_t h)
{
	const struct ps_oms_order *o = &oms->orders[h];
	return o->filled ? o->notional / (int64_t)o->filled : 0;
}

/* Diagnostics: how many were ever recorded, and the i-th newest (0 = latest;
 * i < min(total, PS_OMS_DIAG_COUNT)). @return 0 or PS_ENOTFOUND. */
PS_API uint64_t ps_oms_diag_total(const struct ps_oms *oms);
PS_API int ps_oms_diag_get(const struct ps_oms *oms, uint32_t i, struct ps_oms_diag *out);
/* One line of text for a diagnostic (cold). @return snprintf's result. */
PS_API int ps_oms_diag_format(const struct ps_oms_diag *d, char *buf, size_t len);
PS_API const char *ps_oms_state_name(unsigned state);
PS_API const char *ps_oms_event_name(unsigned event);

#endif /* PS_OMS_H */
