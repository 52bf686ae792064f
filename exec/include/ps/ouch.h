/*
 * NASDAQ OUCH 4.2 codec, both directions: the client encodes Enter / Replace /
 * Cancel / Modify Order and decodes the venue's messages; the venue
 * simulator does the reverse with the same layouts.
 *
 * Every message has a fixed length, starts with a 1-byte type and carries
 * big-endian binary integers and space-padded ASCII alpha fields (kept here
 * as raw byte arrays, not NUL-terminated). Prices are 4-byte unsigned with 4
 * implied decimals (1e-4). Timestamps are 8-byte nanoseconds since midnight.
 * Lengths include the type byte:
 *
 *   client -> venue        venue -> client
 *   O Enter Order   49     S System Event        10   E Executed         40
 *   U Replace Order 47     A Accepted            66   B Broken Trade     32
 *   X Cancel Order  19     U Replaced            80   J Rejected         24
 *   M Modify Order  20     C Canceled            28   P Cancel Pending   23
 *                          D AIQ Canceled        37   I Cancel Reject    23
 *                          T Priority Update     36   M Order Modified   28
 *
 * 'U' and 'M' mean different messages in the two directions, so there is one
 * decoder per direction. Decoders check the exact length; they read only the
 * bytes they are given. Encoders write exactly the message length into a
 * caller buffer that must hold it (PS_OUCH_*_LEN bytes); nothing is checked
 * on that hot path. Alpha arguments are fixed-width byte arrays (token 14,
 * stock 8, firm 4), already padded by the caller (ps_ouch_pad() helps).
 *
 * Hot path: ps_ouch_enter_tmpl_encode() copies a precomputed SoupBinTCP +
 * Enter Order packet and patches the five per-order fields.
 */
#ifndef PS_OUCH_H
#define PS_OUCH_H

#include <string.h>

#include <ps/common.h>
#include <ps/err.h>
#include <ps/soup.h>

#define PS_OUCH_TOKEN_LEN 14u
#define PS_OUCH_STOCK_LEN 8u
#define PS_OUCH_FIRM_LEN  4u

#define PS_OUCH_ENTER_ORDER_LEN     49u
#define PS_OUCH_REPLACE_ORDER_LEN   47u
#define PS_OUCH_CANCEL_ORDER_LEN    19u
#define PS_OUCH_MODIFY_ORDER_LEN    20u
#define PS_OUCH_SYSTEM_EVENT_LEN    10u
#define PS_OUCH_ACCEPTED_LEN        66u
#define PS_OUCH_REPLACED_LEN        80u
#define PS_OUCH_CANCELED_LEN        28u
#define PS_OUCH_AIQ_CANCELED_LEN    37u
#define PS_OUCH_EXECUTED_LEN        40u
#define PS_OUCH_BROKEN_TRADE_LEN    32u
#define PS_OUCH_REJECTED_LEN        24u
#define PS_OUCH_CANCEL_PENDING_LEN  23u
#define PS_OUCH_CANCEL_REJECT_LEN   23u
#define PS_OUCH_PRIORITY_UPDATE_LEN 36u
#define PS_OUCH_ORDER_MODIFIED_LEN  28u
#define PS_OUCH_MAX_LEN             80u

/* Message types (wire byte). */
enum ps_ouch_type {
	PS_OUCH_ENTER_ORDER = 'O',
	PS_OUCH_REPLACE_ORDER = 'U', /* client -> venue */
	PS_OUCH_CANCEL_ORDER = 'X',
	PS_OUCH_MODIFY_ORDER = 'M', /* client -> venue */
	PS_OUCH_SYSTEM_EVENT = 'S',
	PS_OUCH_ACCEPTED = 'A',
	PS_OUCH_REPLACED = 'U', /* venue -> client */
	PS_OUCH_CANCELED = 'C',
	PS_OUCH_AIQ_CANCELED = 'D',
	PS_OUCH_EXECUTED = 'E',
	PS_OUCH_BROKEN_TRADE = 'B',
	PS_OUCH_REJECTED = 'J',
	PS_OUCH_CANCEL_PENDING = 'P',
	PS_OUCH_CANCEL_REJECT = 'I',
	PS_OUCH_PRIORITY_UPDATE = 'T',
	PS_OUCH_ORDER_MODIFIED = 'M', /* venue -> client */
};

/* Field codes (a few; the fields carry any byte the venue sends). */
#define PS_OUCH_SIDE_BUY               'B'
#define PS_OUCH_SIDE_SELL              'S'
#define PS_OUCH_SIDE_SELL_SHORT        'T'
#define PS_OUCH_SIDE_SELL_SHORT_EXEMPT 'E'
#define PS_OUCH_TIF_IOC                0u
#define PS_OUCH_TIF_MARKET_HOURS       99998u
#define PS_OUCH_TIF_SYSTEM_HOURS       99999u
#define PS_OUCH_ORDER_STATE_LIVE       'L'
#define PS_OUCH_ORDER_STATE_DEAD       'D'
#define PS_OUCH_EVENT_START_OF_DAY     'S'
#define PS_OUCH_EVENT_END_OF_DAY       'E'

struct ps_ouch_enter_order {
	char token[PS_OUCH_TOKEN_LEN];
	char stock[PS_OUCH_STOCK_LEN];
	char firm[PS_OUCH_FIRM_LEN];
	uint32_t shares;
	uint32_t price;
	uint32_t tif;
	uint32_t min_qty;
	uint8_t side;
	uint8_t display;
	uint8_t capacity;
	uint8_t ise; /* intermarket sweep eligibility */
	uint8_t cross_type;
	uint8_t customer_type;
};

struct ps_ouch_replace_order {
	char existing_token[PS_OUCH_TOKEN_LEN];
	char replacement_token[PS_OUCH_TOKEN_LEN];
	uint32_t shares;
	uint32_t price;
	uint32_t tif;
	uint32_t min_qty;
	uint8_t display;
	uint8_t ise;
};

struct ps_ouch_cancel_order {
	char token[PS_OUCH_TOKEN_LEN];
	uint32_t shares; /* new intended size: 0 cancels the order */
};

struct ps_ouch_modify_order {
	char token[PS_OUCH_TOKEN_LEN];
	uint32_t shares;
	uint8_t side;
};

struct ps_ouch_system_event {
	uint64_t timestamp_ns;
	uint8_t event_code;
};

/* Accepted ('A') and Replaced ('U'); previous_token only in Replaced. */
struct ps_ouch_accepted {
	uint64_t timestamp_ns;
	uint64_t order_ref;
	char token[PS_OUCH_TOKEN_LEN]; /* Replaced: the replacement token */
	char stock[PS_OUCH_STOCK_LEN];
	char firm[PS_OUCH_FIRM_LEN];
	char previous_token[PS_OUCH_TOKEN_LEN];
	uint32_t shares;
	uint32_t price;
	uint32_t tif;
	uint32_t min_qty;
	uint8_t side;
	uint8_t display;
	uint8_t capacity;
	uint8_t ise;
	uint8_t cross_type;
	uint8_t order_state;
	uint8_t bbo_weight;
};

/* Canceled ('C') and AIQ Canceled ('D'; the last three fields). */
struct ps_ouch_canceled {
	uint64_t timestamp_ns;
	char token[PS_OUCH_TOKEN_LEN];
	uint32_t decrement_shares;
	uint32_t qty_prevented;
	uint32_t execution_price;
	uint8_t reason;
	uint8_t liquidity_flag;
};

struct ps_ouch_executed {
	uint64_t timestamp_ns;
	uint64_t match_number;
	char token[PS_OUCH_TOKEN_LEN];
	uint32_t shares;
	uint32_t price;
	uint8_t liquidity_flag;
};

struct ps_ouch_broken_trade {
	uint64_t timestamp_ns;
	uint64_t match_number;
	char token[PS_OUCH_TOKEN_LEN];
	uint8_t reason;
};

/* Rejected ('J'; reason), Cancel Pending ('P') and Cancel Reject ('I'). */
struct ps_ouch_token_event {
	uint64_t timestamp_ns;
	char token[PS_OUCH_TOKEN_LEN];
	uint8_t reason;
};

struct ps_ouch_priority_update {
	uint64_t timestamp_ns;
	uint64_t order_ref;
	char token[PS_OUCH_TOKEN_LEN];
	uint32_t price;
	uint8_t display;
};

struct ps_ouch_order_modified {
	uint64_t timestamp_ns;
	char token[PS_OUCH_TOKEN_LEN];
	uint32_t shares;
	uint8_t side;
};

/* A decoded message; type is the wire byte, the member follows from it and
 * from the direction it was decoded in. */
struct ps_ouch_msg {
	uint8_t type;
	union {
		struct ps_ouch_enter_order enter;
		struct ps_ouch_replace_order replace;
		struct ps_ouch_cancel_order cancel;
		struct ps_ouch_modify_order modify;
		struct ps_ouch_system_event system_event;
		struct ps_ouch_accepted accepted; /* A, and U (Replaced) */
		struct ps_ouch_canceled canceled; /* C and D */
		struct ps_ouch_executed executed;
		struct ps_ouch_broken_trade broken;
		struct ps_ouch_token_event token_event; /* J, P, I */
		struct ps_ouch_priority_update priority;
		struct ps_ouch_order_modified modified;
	} u;
};

/*
 * A hash key of a PS_OUCH_TOKEN_LEN-byte token for tables indexed by the top
 * bits of key * an odd constant (Fibonacci hashing). Tokens are usually a
 * fixed prefix and a decimal counter, so consecutive ones differ in their
 * last bytes: bytes 6..13 are loaded big-endian (last byte lowest), so those
 * digits land in the low bits, which a multiply carries into every higher
 * bit; bytes 0..7 (the prefix and the slow digits) are folded in as they are.
 */
static inline uint64_t ps_ouch_token_key(const char *token)
{
	uint64_t a;
	uint64_t b;

	memcpy(&a, token, 8);
	memcpy(&b, token + 6, 8);
	return a ^ __builtin_bswap64(b);
}

/* Copies s into a width-byte alpha field, left-justified, space-padded
 * (truncates). Cold-path helper for building tokens, stocks and firms. */
static inline void ps_ouch_pad(char *field, size_t width, const char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; i < width; i++)
		field[i] = i < n ? s[i] : ' ';
}

/* ---- client -> venue: encode --------------------------------------------- */

static inline size_t ps_ouch_encode_enter_order(uint8_t *out, const struct ps_ouch_enter_order *m)
{
	out[0] = PS_OUCH_ENTER_ORDER;
	memcpy(out + 1, m->token, 14);
	out[15] = m->side;
	ps_store_be32(out + 16, m->shares);
	memcpy(out + 20, m->stock, 8);
	ps_store_be32(out + 28, m->price);
	ps_store_be32(out + 32, m->tif);
	memcpy(out + 36, m->firm, 4);
	out[40] = m->display;
	out[41] = m->capacity;
	out[42] = m->ise;
	ps_store_be32(out + 43, m->min_qty);
	out[47] = m->cross_type;
	out[48] = m->customer_type;
	return PS_OUCH_ENTER_ORDER_LEN;
}

static inline size_t ps_ouch_encode_replace_order(uint8_t *out,
						  const struct ps_ouch_replace_order *m)
{
	out[0] = PS_OUCH_REPLACE_ORDER;
	memcpy(out + 1, m->existing_token, 14);
	memcpy(out + 15, m->replacement_token, 14);
	ps_store_be32(out + 29, m->shares);
	ps_store_be32(out + 33, m->price);
	ps_store_be32(out + 37, m->tif);
	out[41] = m->display;
	out[42] = m->ise;
	ps_store_be32(out + 43, m->min_qty);
	return PS_OUCH_REPLACE_ORDER_LEN;
}

static inline size_t ps_ouch_encode_cancel_order(uint8_t *out, const char *token, uint32_t shares)
{
	out[0] = PS_OUCH_CANCEL_ORDER;
	memcpy(out + 1, token, 14);
	ps_store_be32(out + 15, shares);
	return PS_OUCH_CANCEL_ORDER_LEN;
}

static inline size_t ps_ouch_encode_modify_order(uint8_t *out, const struct ps_ouch_modify_order *m)
{
	out[0] = PS_OUCH_MODIFY_ORDER;
	memcpy(out + 1, m->token, 14);
	out[15] = m->side;
	ps_store_be32(out + 16, m->shares);
	return PS_OUCH_MODIFY_ORDER_LEN;
}

/* ---- venue -> client: encode (venue simulator) --------------------------- */

static inline size_t ps_ouch_encode_system_event(uint8_t *out, uint64_t ts, uint8_t code)
{
	out[0] = PS_OUCH_SYSTEM_EVENT;
	ps_store_be64(out + 1, ts);
	out[9] = code;
	return PS_OUCH_SYSTEM_EVENT_LEN;
}

/* Accepted ('A') when type is PS_OUCH_ACCEPTED, Replaced ('U') when it is
 * PS_OUCH_REPLACED (then previous_token is written too). */
static inline size_t ps_ouch_encode_accepted(uint8_t *out, uint8_t type,
					     const struct ps_ouch_accepted *m)
{
	out[0] = type;
	ps_store_be64(out + 1, m->timestamp_ns);
	memcpy(out + 9, m->token, 14);
	out[23] = m->side;
	ps_store_be32(out + 24, m->shares);
	memcpy(out + 28, m->stock, 8);
	ps_store_be32(out + 36, m->price);
	ps_store_be32(out + 40, m->tif);
	memcpy(out + 44, m->firm, 4);
	out[48] = m->display;
	ps_store_be64(out + 49, m->order_ref);
	out[57] = m->capacity;
	out[58] = m->ise;
	ps_store_be32(out + 59, m->min_qty);
	out[63] = m->cross_type;
	out[64] = m->order_state;
	if (type == PS_OUCH_REPLACED) {
		memcpy(out + 65, m->previous_token, 14);
		out[79] = m->bbo_weight;
		return PS_OUCH_REPLACED_LEN;
	}
	out[65] = m->bbo_weight;
	return PS_OUCH_ACCEPTED_LEN;
}

/* Canceled ('C') or AIQ Canceled ('D', with the three extra fields). */
static inline size_t ps_ouch_encode_canceled(uint8_t *out, uint8_t type,
					     const struct ps_ouch_canceled *m)
{
	out[0] = type;
	ps_store_be64(out + 1, m->timestamp_ns);
	memcpy(out + 9, m->token, 14);
	ps_store_be32(out + 23, m->decrement_shares);
	out[27] = m->reason;
	if (type != PS_OUCH_AIQ_CANCELED)
		return PS_OUCH_CANCELED_LEN;
	ps_store_be32(out + 28, m->qty_prevented);
	ps_store_be32(out + 32, m->execution_price);
	out[36] = m->liquidity_flag;
	return PS_OUCH_AIQ_CANCELED_LEN;
}

static inline size_t ps_ouch_encode_executed(uint8_t *out, const struct ps_ouch_executed *m)
{
	out[0] = PS_OUCH_EXECUTED;
	ps_store_be64(out + 1, m->timestamp_ns);
	memcpy(out + 9, m->token, 14);
	ps_store_be32(out + 23, m->shares);
	ps_store_be32(out + 27, m->price);
	out[31] = m->liquidity_flag;
	ps_store_be64(out + 32, m->match_number);
	return PS_OUCH_EXECUTED_LEN;
}

static inline size_t ps_ouch_encode_broken_trade(uint8_t *out, const struct ps_ouch_broken_trade *m)
{
	out[0] = PS_OUCH_BROKEN_TRADE;
	ps_store_be64(out + 1, m->timestamp_ns);
	memcpy(out + 9, m->token, 14);
	ps_store_be64(out + 23, m->match_number);
	out[31] = m->reason;
	return PS_OUCH_BROKEN_TRADE_LEN;
}

/* Rejected ('J', with reason), Cancel Pending ('P') or Cancel Reject ('I'). */
static inline size_t ps_ouch_encode_token_event(uint8_t *out, uint8_t type,
						const struct ps_ouch_token_event *m)
{
	out[0] = type;
	ps_store_be64(out + 1, m->timestamp_ns);
	memcpy(out + 9, m->token, 14);
	if (type == PS_OUCH_REJECTED) {
		out[23] = m->reason;
		return PS_OUCH_REJECTED_LEN;
	}
	return PS_OUCH_CANCEL_PENDING_LEN;
}

static inline size_t ps_ouch_encode_priority_update(uint8_t *out,
						    const struct ps_ouch_priority_update *m)
{
	out[0] = PS_OUCH_PRIORITY_UPDATE;
	ps_store_be64(out + 1, m->timestamp_ns);
	memcpy(out + 9, m->token, 14);
	ps_store_be32(out + 23, m->price);
	out[27] = m->display;
	ps_store_be64(out + 28, m->order_ref);
	return PS_OUCH_PRIORITY_UPDATE_LEN;
}

static inline size_t ps_ouch_encode_order_modified(uint8_t *out,
						   const struct ps_ouch_order_modified *m)
{
	out[0] = PS_OUCH_ORDER_MODIFIED;
	ps_store_be64(out + 1, m->timestamp_ns);
	memcpy(out + 9, m->token, 14);
	out[23] = m->side;
	ps_store_be32(out + 24, m->shares);
	return PS_OUCH_ORDER_MODIFIED_LEN;
}

/* ---- decode -------------------------------------------------------------- */

/*
 * Decodes one venue -> client message (S A U C D E B J P I T M).
 * @return 0; PS_ETRUNCATED when len is 0; PS_EUNKNOWN_MSG for another type;
 *   PS_EBADLEN when len is not the type's fixed length.
 */
static inline int ps_ouch_decode_outbound(const uint8_t *p, size_t len, struct ps_ouch_msg *m)
{
	if (ps_unlikely(len == 0))
		return PS_ETRUNCATED;
	m->type = p[0];
	switch (p[0]) {
	case PS_OUCH_SYSTEM_EVENT:
		if (len != PS_OUCH_SYSTEM_EVENT_LEN)
			return PS_EBADLEN;
		m->u.system_event.timestamp_ns = ps_load_be64(p + 1);
		m->u.system_event.event_code = p[9];
		return 0;
	case PS_OUCH_ACCEPTED:
	case PS_OUCH_REPLACED: {
		struct ps_ouch_accepted *a = &m->u.accepted;
		if (len != (p[0] == PS_OUCH_ACCEPTED ? PS_OUCH_ACCEPTED_LEN : PS_OUCH_REPLACED_LEN))
			return PS_EBADLEN;
		a->timestamp_ns = ps_load_be64(p + 1);
		memcpy(a->token, p + 9, 14);
		a->side = p[23];
		a->shares = ps_load_be32(p + 24);
		memcpy(a->stock, p + 28, 8);
		a->price = ps_load_be32(p + 36);
		a->tif = ps_load_be32(p + 40);
		memcpy(a->firm, p + 44, 4);
		a->display = p[48];
		a->order_ref = ps_load_be64(p + 49);
		a->capacity = p[57];
		a->ise = p[58];
		a->min_qty = ps_load_be32(p + 59);
		a->cross_type = p[63];
		a->order_state = p[64];
		if (p[0] == PS_OUCH_REPLACED) {
			memcpy(a->previous_token, p + 65, 14);
			a->bbo_weight = p[79];
		} else {
			memset(a->previous_token, ' ', 14);
			a->bbo_weight = p[65];
		}
		return 0;
	}
	case PS_OUCH_CANCELED:
	case PS_OUCH_AIQ_CANCELED: {
		struct ps_ouch_canceled *c = &m->u.canceled;
		bool aiq = p[0] == PS_OUCH_AIQ_CANCELED;
		if (len != (aiq ? PS_OUCH_AIQ_CANCELED_LEN : PS_OUCH_CANCELED_LEN))
			return PS_EBADLEN;
		c->timestamp_ns = ps_load_be64(p + 1);
		memcpy(c->token, p + 9, 14);
		c->decrement_shares = ps_load_be32(p + 23);
		c->reason = p[27];
		c->qty_prevented = aiq ? ps_load_be32(p + 28) : 0;
		c->execution_price = aiq ? ps_load_be32(p + 32) : 0;
		c->liquidity_flag = aiq ? p[36] : 0;
		return 0;
	}
	case PS_OUCH_EXECUTED: {
		struct ps_ouch_executed *e = &m->u.executed;
		if (len != PS_OUCH_EXECUTED_LEN)
			return PS_EBADLEN;
		e->timestamp_ns = ps_load_be64(p + 1);
		memcpy(e->token, p + 9, 14);
		e->shares = ps_load_be32(p + 23);
		e->price = ps_load_be32(p + 27);
		e->liquidity_flag = p[31];
		e->match_number = ps_load_be64(p + 32);
		return 0;
	}
	case PS_OUCH_BROKEN_TRADE: {
		struct ps_ouch_broken_trade *b = &m->u.broken;
		if (len != PS_OUCH_BROKEN_TRADE_LEN)
			return PS_EBADLEN;
		b->timestamp_ns = ps_load_be64(p + 1);
		memcpy(b->token, p + 9, 14);
		b->match_number = ps_load_be64(p + 23);
		b->reason = p[31];
		return 0;
	}
	case PS_OUCH_REJECTED:
	case PS_OUCH_CANCEL_PENDING:
	case PS_OUCH_CANCEL_REJECT: {
		struct ps_ouch_token_event *t = &m->u.token_event;
		bool rej = p[0] == PS_OUCH_REJECTED;
		if (len != (rej ? PS_OUCH_REJECTED_LEN : PS_OUCH_CANCEL_PENDING_LEN))
			return PS_EBADLEN;
		t->timestamp_ns = ps_load_be64(p + 1);
		memcpy(t->token, p + 9, 14);
		t->reason = rej ? p[23] : 0;
		return 0;
	}
	case PS_OUCH_PRIORITY_UPDATE: {
		struct ps_ouch_priority_update *t = &m->u.priority;
		if (len != PS_OUCH_PRIORITY_UPDATE_LEN)
			return PS_EBADLEN;
		t->timestamp_ns = ps_load_be64(p + 1);
		memcpy(t->token, p + 9, 14);
		t->price = ps_load_be32(p + 23);
		t->display = p[27];
		t->order_ref = ps_load_be64(p + 28);
		return 0;
	}
	case PS_OUCH_ORDER_MODIFIED: {
		struct ps_ouch_order_modified *t = &m->u.modified;
		if (len != PS_OUCH_ORDER_MODIFIED_LEN)
			return PS_EBADLEN;
		t->timestamp_ns = ps_load_be64(p + 1);
		memcpy(t->token, p + 9, 14);
		t->side = p[23];
		t->shares = ps_load_be32(p + 24);
		return 0;
	}
	default:
		return PS_EUNKNOWN_MSG;
	}
}

/*
 * Decodes one client -> venue message (O U X M).
 * @return as ps_ouch_decode_outbound.
 */
static inline int ps_ouch_decode_inbound(const uint8_t *p, size_t len, struct ps_ouch_msg *m)
{
	if (ps_unlikely(len == 0))
		return PS_ETRUNCATED;
	m->type = p[0];
	switch (p[0]) {
	case PS_OUCH_ENTER_ORDER: {
		struct ps_ouch_enter_order *o = &m->u.enter;
		if (len != PS_OUCH_ENTER_ORDER_LEN)
			return PS_EBADLEN;
		memcpy(o->token, p + 1, 14);
		o->side = p[15];
		o->shares = ps_load_be32(p + 16);
		memcpy(o->stock, p + 20, 8);
		o->price = ps_load_be32(p + 28);
		o->tif = ps_load_be32(p + 32);
		memcpy(o->firm, p + 36, 4);
		o->display = p[40];
		o->capacity = p[41];
		o->ise = p[42];
		o->min_qty = ps_load_be32(p + 43);
		o->cross_type = p[47];
		o->customer_type = p[48];
		return 0;
	}
	case PS_OUCH_REPLACE_ORDER: {
		struct ps_ouch_replace_order *r = &m->u.replace;
		if (len != PS_OUCH_REPLACE_ORDER_LEN)
			return PS_EBADLEN;
		memcpy(r->existing_token, p + 1, 14);
		memcpy(r->replacement_token, p + 15, 14);
		r->shares = ps_load_be32(p + 29);
		r->price = ps_load_be32(p + 33);
		r->tif = ps_load_be32(p + 37);
		r->display = p[41];
		r->ise = p[42];
		r->min_qty = ps_load_be32(p + 43);
		return 0;
	}
	case PS_OUCH_CANCEL_ORDER:
		if (len != PS_OUCH_CANCEL_ORDER_LEN)
			return PS_EBADLEN;
		memcpy(m->u.cancel.token, p + 1, 14);
		m->u.cancel.shares = ps_load_be32(p + 15);
		return 0;
	case PS_OUCH_MODIFY_ORDER:
		if (len != PS_OUCH_MODIFY_ORDER_LEN)
			return PS_EBADLEN;
		memcpy(m->u.modify.token, p + 1, 14);
		m->u.modify.side = p[15];
		m->u.modify.shares = ps_load_be32(p + 16);
		return 0;
	default:
		return PS_EUNKNOWN_MSG;
	}
}

/*
 * Encodes any decoded message back to the wire (both directions; tests and
 * the venue). inbound selects the meaning of 'U' and 'M'.
 * @return bytes written (<= PS_OUCH_MAX_LEN), or 0 for an unknown type.
 */
PS_API size_t ps_ouch_encode(uint8_t *out, const struct ps_ouch_msg *m, bool inbound);

/* ---- hot path: Enter Order from a template ------------------------------- */

/* Soup 'U' header + Enter Order. */
#define PS_OUCH_ENTER_PKT_LEN (PS_SOUP_HDR_LEN + PS_OUCH_ENTER_ORDER_LEN)

/*
 * A whole SoupBinTCP unsequenced packet carrying an Enter Order with the
 * per-session fields (TIF, firm, display, capacity, ISE, min qty, cross type,
 * customer type) filled in once. Read-only after init; one per session/TIF.
 */
struct ps_ouch_enter_tmpl {
	alignas(64) uint8_t pkt[64];
};

/* Fills t from defaults (token, side, shares, stock, price are ignored). */
PS_API void ps_ouch_enter_tmpl_init(struct ps_ouch_enter_tmpl *t,
				    const struct ps_ouch_enter_order *defaults);

/*
 * Writes a complete Soup-framed Enter Order (PS_OUCH_ENTER_PKT_LEN = 52
 * bytes) to out. token: 14 bytes, stock: 8 bytes, both already padded.
 * @return PS_OUCH_ENTER_PKT_LEN.
 */
static inline size_t ps_ouch_enter_tmpl_encode(const struct ps_ouch_enter_tmpl *t, uint8_t *out,
					       const char *token, uint8_t side, uint32_t shares,
					       const char *stock, uint32_t price)
{
	memcpy(out, t->pkt, PS_OUCH_ENTER_PKT_LEN);
	uint8_t *o = out + PS_SOUP_HDR_LEN;
	memcpy(o + 1, token, 14);
	o[15] = side;
	ps_store_be32(o + 16, shares);
	memcpy(o + 20, stock, 8);
	ps_store_be32(o + 28, price);
	return PS_OUCH_ENTER_PKT_LEN;
}

#endif /* PS_OUCH_H */
