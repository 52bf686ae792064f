/*
 * NASDAQ TotalView-ITCH 5.0: decode and encode every message type.
 *
 * Design. There are two decoders, for two kinds of caller:
 *
 *  1. ps_itch_decode() is the hot path (md stage). It turns one message into
 *     a struct ps_md_event straight from the wire bytes: no intermediate
 *     struct, no copy. One switch on the type byte's class (a 256-byte
 *     table maps the byte to a dense class, so the switch is a jump table
 *     with no range check); each case compares the length with the exact
 *     length the specification gives that type, then loads
 *     the few fields the book needs with big-endian loads at constant
 *     offsets. It never reads a byte at or past msg + len: the length check
 *     comes before any field load, and the type byte is read only when
 *     len >= 1. It returns a small enum (event / no event / error kind) and
 *     counts every valid message per type and every error per kind in a
 *     caller-owned struct ps_itch_stats (events are what the caller counts
 *     from the return value). Measured: 38 instructions per message
 *     including the BinaryFILE frame walk, on the AMZN day, built for
 *     x86-64-v3 (bench/feeds/bench_feeds_itch.c).
 *
 *  2. ps_itch_msg_decode() / ps_itch_msg_encode() are the cold path (tools,
 *     the venue publisher, tests): struct ps_itch_msg is a tagged union with
 *     one member per message type holding every field of the specification
 *     under its snake_case name. Encoding a decoded message gives back the
 *     same bytes (the round-trip tests rely on it).
 *
 * Wire format facts (specification, version 5.0): every message starts with
 * Message Type (1 byte), Stock Locate (2), Tracking Number (2) and Timestamp
 * (6 bytes, ns since midnight); integers are big-endian and unsigned; Alpha
 * fields are left-justified and padded on the right with spaces; Price(4) is
 * an unsigned 32-bit integer with 4 implied decimals, Price(8) an unsigned
 * 64-bit integer with 8 implied decimals (only the MWCB decline levels, 'V').
 * Messages have one fixed length per type (PS_ITCH_LEN_*); a message whose
 * length differs is rejected (shorter: TRUNCATED, longer: BADLEN).
 *
 * Units in this API: Price(4) fields become int64 in 1e-4 dollars (the
 * scale of ps_md_event.price); Price(8) fields stay int64 in 1e-8 dollars;
 * timestamps are uint64 ns since midnight.
 *
 * Mapping to ps_md_event (ps_itch_decode):
 *   A, F  ADD      order_id, side, price, qty
 *   E     EXECUTE  order_id, qty, new_order_id = match number, price 0,
 *                  flags PRINTABLE
 *   C     EXECUTE  as E, price = execution price, PRINTABLE when Printable = 'Y'
 *   X     CANCEL   order_id, qty = canceled shares
 *   D     DELETE   order_id
 *   U     REPLACE  order_id = original, new_order_id = new, price, qty
 *   P     TRADE    order_id (0 on NASDAQ), side, price, qty, new_order_id =
 *                  match number, PRINTABLE
 *   Q     TRADE    price = cross price, qty = shares (saturated at
 *                  UINT32_MAX), new_order_id = match number, side BUY,
 *                  PRINTABLE
 *   H     STATUS   status from Trading State (H halted, P paused,
 *                  Q quotation only, T trading); another value: no event
 *   h     STATUS   Operational Halt with Market Code 'Q' (NASDAQ): action
 *                  'H' halted, 'T' trading; other markets: no event
 *   every other valid message (S R Y L V W K J B I N O): no event. A broken
 *   trade (B) does not change resting orders and ps_md_event has no type
 *   for it; a consumer that needs it decodes the full view.
 * ps_itch_decode writes every field of the event except recv_tsc and seq,
 * which belong to the transport (MoldUDP64 / replay) and are left as found.
 *
 * Worst cases: an unknown type or a wrong length costs the same as a valid
 * message (one switch, one compare). The per-type counters are 1 KiB; keep
 * one struct ps_itch_stats per md thread (it is not shared).
 */
#ifndef PS_ITCH_H
#define PS_ITCH_H

#include <stdio.h>
#include <string.h>

#include <ps/common.h>
#include <ps/err.h>
#include <ps/md.h>

/* Message type codes (the first byte). */
enum ps_itch_type {
	PS_ITCH_SYSTEM_EVENT = 'S',
	PS_ITCH_STOCK_DIRECTORY = 'R',
	PS_ITCH_STOCK_TRADING_ACTION = 'H',
	PS_ITCH_REG_SHO_RESTRICTION = 'Y',
	PS_ITCH_MARKET_PARTICIPANT_POSITION = 'L',
	PS_ITCH_MWCB_DECLINE_LEVEL = 'V',
	PS_ITCH_MWCB_STATUS = 'W',
	PS_ITCH_IPO_QUOTING_PERIOD_UPDATE = 'K',
	PS_ITCH_LULD_AUCTION_COLLAR = 'J',
	PS_ITCH_OPERATIONAL_HALT = 'h',
	PS_ITCH_ADD_ORDER = 'A',
	PS_ITCH_ADD_ORDER_MPID = 'F',
	PS_ITCH_ORDER_EXECUTED = 'E',
	PS_ITCH_ORDER_EXECUTED_WITH_PRICE = 'C',
	PS_ITCH_ORDER_CANCEL = 'X',
	PS_ITCH_ORDER_DELETE = 'D',
	PS_ITCH_ORDER_REPLACE = 'U',
	PS_ITCH_TRADE = 'P',
	PS_ITCH_CROSS_TRADE = 'Q',
	PS_ITCH_BROKEN_TRADE = 'B',
	PS_ITCH_NOII = 'I',
	PS_ITCH_RPII = 'N',
	PS_ITCH_DLCR_PRICE_DISCOVERY = 'O',
};

/* Exact message lengths in bytes, type byte included (specification tables). */
#define PS_ITCH_LEN_SYSTEM_EVENT                12
#define PS_ITCH_LEN_STOCK_DIRECTORY             39
#define PS_ITCH_LEN_STOCK_TRADING_ACTION        25
#define PS_ITCH_LEN_REG_SHO_RESTRICTION         20
#define PS_ITCH_LEN_MARKET_PARTICIPANT_POSITION 26
#define PS_ITCH_LEN_MWCB_DECLINE_LEVEL          35
#define PS_ITCH_LEN_MWCB_STATUS                 12
#define PS_ITCH_LEN_IPO_QUOTING_PERIOD_UPDATE   28
#define PS_ITCH_LEN_LULD_AUCTION_COLLAR         35
#define PS_ITCH_LEN_OPERATIONAL_HALT            21
#define PS_ITCH_LEN_ADD_ORDER                   36
#define PS_ITCH_LEN_ADD_ORDER_MPID              40
#define PS_ITCH_LEN_ORDER_EXECUTED              31
#define PS_ITCH_LEN_ORDER_EXECUTED_WITH_PRICE   36
#define PS_ITCH_LEN_ORDER_CANCEL                23
#define PS_ITCH_LEN_ORDER_DELETE                19
#define PS_ITCH_LEN_ORDER_REPLACE               35
#define PS_ITCH_LEN_TRADE                       44
#define PS_ITCH_LEN_CROSS_TRADE                 40
#define PS_ITCH_LEN_BROKEN_TRADE                19
#define PS_ITCH_LEN_NOII                        50
#define PS_ITCH_LEN_RPII                        20
#define PS_ITCH_LEN_DLCR_PRICE_DISCOVERY        48
#define PS_ITCH_MAX_LEN                         50 /* longest message (NOII) */
#define PS_ITCH_HEADER_LEN                      11 /* type, locate, tracking, timestamp */

/* ps_itch_decode results. */
enum ps_itch_rc {
	PS_ITCH_RC_EVENT = 1,      /* *ev holds a book/status event */
	PS_ITCH_RC_NONE = 0,       /* valid message, nothing for the book */
	PS_ITCH_RC_TRUNCATED = -1, /* shorter than its type's length (or empty) */
	PS_ITCH_RC_BADLEN = -2,    /* longer than its type's length */
	PS_ITCH_RC_UNKNOWN = -3,   /* type byte is not an ITCH 5.0 message */
};

/*
 * Decode outcome counters, owned by the caller (one per decoding thread,
 * zeroed with memset or ps_itch_stats_reset). type_count is indexed by the
 * type byte of every valid message; all ITCH 5.0 codes are below 128.
 */
struct ps_itch_stats {
	uint64_t type_count[128];
	uint64_t truncated; /* PS_ITCH_RC_TRUNCATED results */
	uint64_t badlen;    /* PS_ITCH_RC_BADLEN results */
	uint64_t unknown;   /* PS_ITCH_RC_UNKNOWN results */
};

/* ---- full views (cold path) ------------------------------------------- */
/* Alpha fields are raw bytes, space padded, not NUL terminated. */

struct ps_itch_system_event {
	char event_code;
};

struct ps_itch_stock_directory {
	char stock[8];
	char market_category;
	char financial_status_indicator;
	uint32_t round_lot_size;
	char round_lots_only;
	char issue_classification;
	char issue_sub_type[2];
	char authenticity;
	char short_sale_threshold_indicator;
	char ipo_flag;
	char luld_reference_price_tier;
	char etp_flag;
	uint32_t etp_leverage_factor;
	char inverse_indicator;
};

struct ps_itch_stock_trading_action {
	char stock[8];
	char trading_state;
	char reserved;
	char reason[4];
};

struct ps_itch_reg_sho_restriction {
	char stock[8];
	char reg_sho_action;
};

struct ps_itch_market_participant_position {
	char mpid[4];
	char stock[8];
	char primary_market_maker;
	char market_maker_mode;
	char market_participant_state;
};

struct ps_itch_mwcb_decline_level {
	int64_t level_1; /* Price(8): 1e-8 dollars */
	int64_t level_2;
	int64_t level_3;
};

struct ps_itch_mwcb_status {
	char breached_level;
};

struct ps_itch_ipo_quoting_period_update {
	char stock[8];
	uint32_t ipo_quotation_release_time; /* seconds since midnight */
	char ipo_quotation_release_qualifier;
	int64_t ipo_price; /* Price(4) */
};

struct ps_itch_luld_auction_collar {
	char stock[8];
	int64_t auction_collar_reference_price; /* Price(4) */
	int64_t upper_auction_collar_price;     /* Price(4) */
	int64_t lower_auction_collar_price;     /* Price(4) */
	uint32_t auction_collar_extension;
};

struct ps_itch_operational_halt {
	char stock[8];
	char market_code;
	char operational_halt_action;
};

struct ps_itch_add_order { /* 'A' and 'F' (attribution only in 'F') */
	uint64_t order_reference_number;
	char buy_sell_indicator;
	uint32_t shares;
	char stock[8];
	int64_t price; /* Price(4) */
	char attribution[4];
};

struct ps_itch_order_executed { /* 'E' and 'C' (printable, price only in 'C') */
	uint64_t order_reference_number;
	uint32_t executed_shares;
	uint64_t match_number;
	char printable;
	int64_t execution_price; /* Price(4) */
};

struct ps_itch_order_cancel {
	uint64_t order_reference_number;
	uint32_t canceled_shares;
};

struct ps_itch_order_delete {
	uint64_t order_reference_number;
};

struct ps_itch_order_replace {
	uint64_t original_order_reference_number;
	uint64_t new_order_reference_number;
	uint32_t shares;
	int64_t price; /* Price(4) */
};

struct ps_itch_trade {
	uint64_t order_reference_number;
	char buy_sell_indicator;
	uint32_t shares;
	char stock[8];
	int64_t price; /* Price(4) */
	uint64_t match_number;
};

struct ps_itch_cross_trade {
	uint64_t shares;
	char stock[8];
	int64_t cross_price; /* Price(4) */
	uint64_t match_number;
	char cross_type;
};

struct ps_itch_broken_trade {
	uint64_t match_number;
};

struct ps_itch_noii {
	uint64_t paired_shares;
	uint64_t imbalance_shares;
	char imbalance_direction;
	char stock[8];
	int64_t far_price;               /* Price(4) */
	int64_t near_price;              /* Price(4) */
	int64_t current_reference_price; /* Price(4) */
	char cross_type;
	char price_variation_indicator;
};

struct ps_itch_rpii {
	char stock[8];
	char interest_flag;
};

struct ps_itch_dlcr_price_discovery {
	char stock[8];
	char open_eligibility_status;
	int64_t minimum_allowable_price;  /* Price(4) */
	int64_t maximum_allowable_price;  /* Price(4) */
	int64_t near_execution_price;     /* Price(4) */
	uint64_t near_execution_time;     /* integer, as sent */
	int64_t lower_price_range_collar; /* Price(4) */
	int64_t upper_price_range_collar; /* Price(4) */
};

/* One decoded message: the common header plus the member named by type. */
struct ps_itch_msg {
	uint8_t type; /* enum ps_itch_type */
	uint16_t stock_locate;
	uint16_t tracking_number;
	uint64_t timestamp; /* ns since midnight (48 bits on the wire) */
	union {
		struct ps_itch_system_event system_event;
		struct ps_itch_stock_directory stock_directory;
		struct ps_itch_stock_trading_action stock_trading_action;
		struct ps_itch_reg_sho_restriction reg_sho_restriction;
		struct ps_itch_market_participant_position market_participant_position;
		struct ps_itch_mwcb_decline_level mwcb_decline_level;
		struct ps_itch_mwcb_status mwcb_status;
		struct ps_itch_ipo_quoting_period_update ipo_quoting_period_update;
		struct ps_itch_luld_auction_collar luld_auction_collar;
		struct ps_itch_operational_halt operational_halt;
		struct ps_itch_add_order add_order;           /* 'A', 'F' */
		struct ps_itch_order_executed order_executed; /* 'E', 'C' */
		struct ps_itch_order_cancel order_cancel;
		struct ps_itch_order_delete order_delete;
		struct ps_itch_order_replace order_replace;
		struct ps_itch_trade trade;
		struct ps_itch_cross_trade cross_trade;
		struct ps_itch_broken_trade broken_trade;
		struct ps_itch_noii noii;
		struct ps_itch_rpii rpii;
		struct ps_itch_dlcr_price_discovery dlcr_price_discovery;
	} u;
};

/* ---- cold-path API (feeds/itch.c) ------------------------------------- */

/* Exact length of a message of this type, or 0 for a byte that is not an
 * ITCH 5.0 type. Any thread. */
PS_API size_t ps_itch_msg_len(uint8_t type);

/* Readable name ("Add Order"), or NULL for an unknown type. Any thread. */
PS_API const char *ps_itch_type_name(uint8_t type);

/*
 * Decode every field of one message into *m (zeroed first).
 * @return 0; PS_ETRUNCATED (len 0, or shorter than the type's length);
 *         PS_EBADLEN (longer); PS_EUNKNOWN_MSG (unknown type).
 * Reads at most len bytes of buf. Any thread; m owned by the caller.
 */
PS_API int ps_itch_msg_decode(struct ps_itch_msg *m, const uint8_t *buf, size_t len);

/*
 * Encode *m (type given by m->type) into buf.
 * @return the message length written (> 0); -ENOSPC when cap is smaller than
 *         the message (nothing written); PS_EUNKNOWN_MSG for an unknown type.
 * Prices outside the wire range are truncated to the field width; the
 * timestamp keeps its low 48 bits. Alpha fields are copied as they are.
 */
PS_API int ps_itch_msg_encode(uint8_t *buf, size_t cap, const struct ps_itch_msg *m);

/*
 * Print *m as one JSON object on one line (no newline): "type",
 * "stock_locate", "tracking_number", "timestamp", then every field under its
 * specification name in snake_case. Prices are integers in wire units; alpha
 * fields are right-trimmed strings. @return 0, or -EIO when f reports an error.
 */
PS_API int ps_itch_msg_print_json(FILE *f, const struct ps_itch_msg *m);

/* Zero all counters. */
PS_API void ps_itch_stats_reset(struct ps_itch_stats *st);

/* Sum of type_count (valid messages). */
PS_API uint64_t ps_itch_stats_messages(const struct ps_itch_stats *st);

/* ---- hot path --------------------------------------------------------- */

/* Dense class of each type byte (0: not an ITCH 5.0 type), so the decoder's
 * switch is a jump table indexed without rebasing or a range check. */
enum ps_itch__class {
	PS_ITCH__C_UNKNOWN = 0,
	PS_ITCH__C_ADD_ORDER,
	PS_ITCH__C_ADD_ORDER_MPID,
	PS_ITCH__C_ORDER_EXECUTED,
	PS_ITCH__C_ORDER_EXECUTED_WITH_PRICE,
	PS_ITCH__C_ORDER_CANCEL,
	PS_ITCH__C_ORDER_DELETE,
	PS_ITCH__C_ORDER_REPLACE,
	PS_ITCH__C_TRADE,
	PS_ITCH__C_CROSS_TRADE,
	PS_ITCH__C_STOCK_TRADING_ACTION,
	PS_ITCH__C_OPERATIONAL_HALT,
	PS_ITCH__C_SYSTEM_EVENT,
	PS_ITCH__C_STOCK_DIRECTORY,
	PS_ITCH__C_REG_SHO_RESTRICTION,
	PS_ITCH__C_MARKET_PARTICIPANT_POSITION,
	PS_ITCH__C_MWCB_DECLINE_LEVEL,
	PS_ITCH__C_MWCB_STATUS,
	PS_ITCH__C_IPO_QUOTING_PERIOD_UPDATE,
	PS_ITCH__C_LULD_AUCTION_COLLAR,
	PS_ITCH__C_BROKEN_TRADE,
	PS_ITCH__C_NOII,
	PS_ITCH__C_RPII,
	PS_ITCH__C_DLCR_PRICE_DISCOVERY,
};

/* Type byte -> enum ps_itch__class. A copy per translation unit (256 bytes)
 * keeps the lookup a RIP-relative load, with no GOT indirection. */
static const uint8_t ps_itch__class[256] = {
	['A'] = PS_ITCH__C_ADD_ORDER,
	['F'] = PS_ITCH__C_ADD_ORDER_MPID,
	['E'] = PS_ITCH__C_ORDER_EXECUTED,
	['C'] = PS_ITCH__C_ORDER_EXECUTED_WITH_PRICE,
	['X'] = PS_ITCH__C_ORDER_CANCEL,
	['D'] = PS_ITCH__C_ORDER_DELETE,
	['U'] = PS_ITCH__C_ORDER_REPLACE,
	['P'] = PS_ITCH__C_TRADE,
	['Q'] = PS_ITCH__C_CROSS_TRADE,
	['H'] = PS_ITCH__C_STOCK_TRADING_ACTION,
	['h'] = PS_ITCH__C_OPERATIONAL_HALT,
	['S'] = PS_ITCH__C_SYSTEM_EVENT,
	['R'] = PS_ITCH__C_STOCK_DIRECTORY,
	['Y'] = PS_ITCH__C_REG_SHO_RESTRICTION,
	['L'] = PS_ITCH__C_MARKET_PARTICIPANT_POSITION,
	['V'] = PS_ITCH__C_MWCB_DECLINE_LEVEL,
	['W'] = PS_ITCH__C_MWCB_STATUS,
	['K'] = PS_ITCH__C_IPO_QUOTING_PERIOD_UPDATE,
	['J'] = PS_ITCH__C_LULD_AUCTION_COLLAR,
	['B'] = PS_ITCH__C_BROKEN_TRADE,
	['I'] = PS_ITCH__C_NOII,
	['N'] = PS_ITCH__C_RPII,
	['O'] = PS_ITCH__C_DLCR_PRICE_DISCOVERY,
};

/* Map a Stock Trading Action 'Trading State' to PS_MD_STATUS_*, -1 if none. */
static inline int ps_itch__trading_state(uint8_t s)
{
	switch (s) {
	case 'H':
		return PS_MD_STATUS_HALTED;
	case 'P':
		return PS_MD_STATUS_PAUSED;
	case 'Q':
		return PS_MD_STATUS_QUOTATION;
	case 'T':
		return PS_MD_STATUS_TRADING;
	default:
		return -1;
	}
}

/* Fill the fields every event shares (header at msg[1..10]). The 48-bit
 * timestamp is read as the big-endian 64-bit word at msg + 5 (Timestamp and
 * the first 2 bytes of the next field) shifted right by 16: one load and a
 * shift, no mask constant. So the caller must have checked len >= 13:
 * every type that makes an event is at least 19 bytes long. */
static inline void ps_itch__event_head(struct ps_md_event *ev, const uint8_t *msg, uint8_t type)
{
	ev->instrument = ps_load_be16(msg + 1);
	ev->venue_ts_ns = ps_load_be64(msg + 5) >> 16;
	ev->type = type;
	ev->flags = 0;
	ev->status = 0;
	ev->reserved = 0;
}

/* In ps_itch_decode: compare len with a constant (an immediate operand) and
 * leave through badlen with that length when they differ. */
#define PS_ITCH__LEN_CHECK(n)                  \
	do {                                   \
		if (ps_unlikely(len != (n))) { \
			want = (n);            \
			goto badlen;           \
		}                              \
	} while (0)

/*
 * Decode one ITCH 5.0 message (type byte first, no framing) of len bytes.
 *
 * @param msg  the message; only msg[0..len-1] is ever read
 * @param len  its length as framed by the transport
 * @param ev   event to fill (every field but recv_tsc and seq) when the
 *             result is PS_ITCH_RC_EVENT; untouched fields otherwise are
 *             unspecified
 * @param st   counters (caller-owned, not shared between threads)
 * @return PS_ITCH_RC_EVENT, PS_ITCH_RC_NONE, PS_ITCH_RC_TRUNCATED,
 *         PS_ITCH_RC_BADLEN or PS_ITCH_RC_UNKNOWN (see enum ps_itch_rc).
 * Hot path: no allocation, no branches beyond the type switch, one length
 * compare and the field-specific choices (side, printable, status).
 */
static inline int ps_itch_decode(const uint8_t *msg, size_t len, struct ps_md_event *ev,
				 struct ps_itch_stats *st)
{
	size_t want;
	uint8_t t;

	if (ps_unlikely(len == 0)) {
		st->truncated++;
		return PS_ITCH_RC_TRUNCATED;
	}
	t = msg[0];
	switch (ps_itch__class[t]) {
	case PS_ITCH__C_ADD_ORDER:
		PS_ITCH__LEN_CHECK(PS_ITCH_LEN_ADD_ORDER);
		goto add;
	case PS_ITCH__C_ADD_ORDER_MPID:
		PS_ITCH__LEN_CHECK(PS_ITCH_LEN_ADD_ORDER_MPID);
	add:
		ps_itch__event_head(ev, msg, PS_MD_ADD);
		ev->order_id = ps_load_be64(msg + 11);
		ev->side = msg[19] == 'S' ? PS_SIDE_SELL : PS_SIDE_BUY;
		ev->qty = ps_load_be32(msg + 20);
		ev->price = ps_load_be32(msg + 32);
		ev->new_order_id = 0;
		break;
	case PS_ITCH__C_ORDER_EXECUTED:
		PS_ITCH__LEN_CHECK(PS_ITCH_LEN_ORDER_EXECUTED);
		ps_itch__event_head(ev, msg, PS_MD_EXECUTE);
		ev->order_id = ps_load_be64(msg + 11);
		ev->qty = ps_load_be32(msg + 19);
		ev->new_order_id = ps_load_be64(msg + 23);
		ev->price = 0;
		ev->side = 0;
		ev->flags = PS_MD_F_PRINTABLE;
		break;
	case PS_ITCH__C_ORDER_EXECUTED_WITH_PRICE:
		PS_ITCH__LEN_CHECK(PS_ITCH_LEN_ORDER_EXECUTED_WITH_PRICE);
		ps_itch__event_head(ev, msg, PS_MD_EXECUTE);
		ev->order_id = ps_load_be64(msg + 11);
		ev->qty = ps_load_be32(msg + 19);
		ev->new_order_id = ps_load_be64(msg + 23);
		ev->flags = msg[31] == 'Y' ? PS_MD_F_PRINTABLE : 0;
		ev->price = ps_load_be32(msg + 32);
		ev->side = 0;
		break;
	case PS_ITCH__C_ORDER_CANCEL:
		PS_ITCH__LEN_CHECK(PS_ITCH_LEN_ORDER_CANCEL);
		ps_itch__event_head(ev, msg, PS_MD_CANCEL);
		ev->order_id = ps_load_be64(msg + 11);
		ev->qty = ps_load_be32(msg + 19);
		ev->new_order_id = 0;
		ev->price = 0;
		ev->side = 0;
		break;
	case PS_ITCH__C_ORDER_DELETE:
		PS_ITCH__LEN_CHECK(PS_ITCH_LEN_ORDER_DELETE);
		ps_itch__event_head(ev, msg, PS_MD_DELETE);
		ev->order_id = ps_load_be64(msg + 11);
		ev->qty = 0;
		ev->new_order_id = 0;
		ev->price = 0;
		ev->side = 0;
		break;
	case PS_ITCH__C_ORDER_REPLACE:
		PS_ITCH__LEN_CHECK(PS_ITCH_LEN_ORDER_REPLACE);
		ps_itch__event_head(ev, msg, PS_MD_REPLACE);
		ev->order_id = ps_load_be64(msg + 11);
		ev->new_order_id = ps_load_be64(msg + 19);
		ev->qty = ps_load_be32(msg + 27);
		ev->price = ps_load_be32(msg + 31);
		ev->side = 0;
		break;
	case PS_ITCH__C_TRADE:
		PS_ITCH__LEN_CHECK(PS_ITCH_LEN_TRADE);
		ps_itch__event_head(ev, msg, PS_MD_TRADE);
		ev->order_id = ps_load_be64(msg + 11);
		ev->side = msg[19] == 'S' ? PS_SIDE_SELL : PS_SIDE_BUY;
		ev->qty = ps_load_be32(msg + 20);
		ev->price = ps_load_be32(msg + 32);
		ev->new_order_id = ps_load_be64(msg + 36);
		ev->flags = PS_MD_F_PRINTABLE;
		break;
	case PS_ITCH__C_CROSS_TRADE: {
		uint64_t shares;

		PS_ITCH__LEN_CHECK(PS_ITCH_LEN_CROSS_TRADE);
		ps_itch__event_head(ev, msg, PS_MD_TRADE);
		shares = ps_load_be64(msg + 11);
		ev->qty = shares > UINT32_MAX ? UINT32_MAX : (uint32_t)shares;
		ev->price = ps_load_be32(msg + 27);
		ev->new_order_id = ps_load_be64(msg + 31);
		ev->order_id = 0;
		ev->side = PS_SIDE_BUY;
		ev->flags = PS_MD_F_PRINTABLE;
		break;
	}
	case PS_ITCH__C_STOCK_TRADING_ACTION: {
		int s;

		PS_ITCH__LEN_CHECK(PS_ITCH_LEN_STOCK_TRADING_ACTION);
		st->type_count['H']++;
		s = ps_itch__trading_state(msg[19]);
		if (s < 0)
			return PS_ITCH_RC_NONE;
		ps_itch__event_head(ev, msg, PS_MD_STATUS);
		ev->status = (uint8_t)s;
		ev->order_id = 0;
		ev->new_order_id = 0;
		ev->price = 0;
		ev->qty = 0;
		ev->side = 0;
		return PS_ITCH_RC_EVENT;
	}
	case PS_ITCH__C_OPERATIONAL_HALT:
		PS_ITCH__LEN_CHECK(PS_ITCH_LEN_OPERATIONAL_HALT);
		st->type_count['h']++;
		if (msg[19] != 'Q' || (msg[20] != 'H' && msg[20] != 'T'))
			return PS_ITCH_RC_NONE;
		ps_itch__event_head(ev, msg, PS_MD_STATUS);
		ev->status = msg[20] == 'H' ? PS_MD_STATUS_HALTED : PS_MD_STATUS_TRADING;
		ev->order_id = 0;
		ev->new_order_id = 0;
		ev->price = 0;
		ev->qty = 0;
		ev->side = 0;
		return PS_ITCH_RC_EVENT;
	case PS_ITCH__C_SYSTEM_EVENT:
		PS_ITCH__LEN_CHECK(PS_ITCH_LEN_SYSTEM_EVENT);
		goto none;
	case PS_ITCH__C_STOCK_DIRECTORY:
		PS_ITCH__LEN_CHECK(PS_ITCH_LEN_STOCK_DIRECTORY);
		goto none;
	case PS_ITCH__C_REG_SHO_RESTRICTION:
		PS_ITCH__LEN_CHECK(PS_ITCH_LEN_REG_SHO_RESTRICTION);
		goto none;
	case PS_ITCH__C_MARKET_PARTICIPANT_POSITION:
		PS_ITCH__LEN_CHECK(PS_ITCH_LEN_MARKET_PARTICIPANT_POSITION);
		goto none;
	case PS_ITCH__C_MWCB_DECLINE_LEVEL:
		PS_ITCH__LEN_CHECK(PS_ITCH_LEN_MWCB_DECLINE_LEVEL);
		goto none;
	case PS_ITCH__C_MWCB_STATUS:
		PS_ITCH__LEN_CHECK(PS_ITCH_LEN_MWCB_STATUS);
		goto none;
	case PS_ITCH__C_IPO_QUOTING_PERIOD_UPDATE:
		PS_ITCH__LEN_CHECK(PS_ITCH_LEN_IPO_QUOTING_PERIOD_UPDATE);
		goto none;
	case PS_ITCH__C_LULD_AUCTION_COLLAR:
		PS_ITCH__LEN_CHECK(PS_ITCH_LEN_LULD_AUCTION_COLLAR);
		goto none;
	case PS_ITCH__C_BROKEN_TRADE:
		PS_ITCH__LEN_CHECK(PS_ITCH_LEN_BROKEN_TRADE);
		goto none;
	case PS_ITCH__C_NOII:
		PS_ITCH__LEN_CHECK(PS_ITCH_LEN_NOII);
		goto none;
	case PS_ITCH__C_RPII:
		PS_ITCH__LEN_CHECK(PS_ITCH_LEN_RPII);
		goto none;
	case PS_ITCH__C_DLCR_PRICE_DISCOVERY:
		PS_ITCH__LEN_CHECK(PS_ITCH_LEN_DLCR_PRICE_DISCOVERY);
		goto none;
	case PS_ITCH__C_UNKNOWN:
		st->unknown++;
		return PS_ITCH_RC_UNKNOWN;
	default:
		__builtin_unreachable(); /* every class value has a case */
	}
	st->type_count[t]++;
	return PS_ITCH_RC_EVENT;
none:
	st->type_count[t]++;
	return PS_ITCH_RC_NONE;
badlen:
	if (len < want) {
		st->truncated++;
		return PS_ITCH_RC_TRUNCATED;
	}
	st->badlen++;
	return PS_ITCH_RC_BADLEN;
}
#undef PS_ITCH__LEN_CHECK

#endif /* PS_ITCH_H */
