/*
 * What the engine writes to the journal: one payload struct per record type.
 * Recovery reads them back to rebuild the OMS, risk (positions, working
 * orders, PnL) and the venue session's next sequence number; `perseus
 * journal dump` prints them.
 *
 * Every inbound sequenced venue message is journaled whole (VENUE_MSG, with
 * its SoupBinTCP sequence number) in the same record that makes its effect
 * known, so after a crash the next sequence to ask the venue for is the last
 * journaled one plus one: nothing is applied twice, nothing is lost.
 * Orders are journaled (ORDER_SENT) right after the send of their batch and
 * before any venue message is read, so an order's record always precedes
 * every record about it. Payloads are fixed-size, little-endian, no pointers.
 */
#ifndef PS_JREC_H
#define PS_JREC_H

#include <stdio.h>

#include <ps/common.h>
#include <ps/order.h>

enum ps_jrec_type {
	PS_JREC_START = 1,   /* engine started (struct ps_jrec_start) */
	PS_JREC_ORDER_SENT,  /* a new order or a replacement (struct ps_jrec_order) */
	PS_JREC_CANCEL_SENT, /* struct ps_jrec_order (qty = shares to leave) */
	PS_JREC_VENUE_MSG,   /* struct ps_jrec_venue_msg */
	PS_JREC_FILL,        /* struct ps_jrec_fill (derived from a VENUE_MSG, for PnL) */
	PS_JREC_RISK_REJECT, /* struct ps_jrec_reject */
	PS_JREC_RISK_EVENT,  /* struct ps_risk_event (raw) */
	PS_JREC_STOP,        /* shutdown: final positions and PnL (struct ps_jrec_stop) */
	PS_JREC_MD_STATUS,   /* an instrument's market data went stale/halted or back */
	PS_JREC__COUNT
};

#define PS_JREC_TOKEN_LEN 14

struct ps_jrec_start {
	uint64_t token_start; /* OMS token counter at start */
	uint64_t next_seq;    /* venue session sequence asked for */
	uint32_t pid;
	uint8_t mode; /* enum ps_engine_mode */
	uint8_t pad[3];
};

/* One instrument's book at shutdown, as risk holds it (price units x shares). */
struct ps_jrec_stop_pos {
	int64_t pos;        /* signed shares */
	int64_t cost;       /* signed cost of the open position (average-cost rule) */
	int64_t realized;   /* realized PnL */
	int64_t unrealized; /* pos x mark - cost */
	int64_t mark;       /* last mark (fill or mid) */
	uint32_t instrument;
	uint32_t pad;
};

#define PS_JREC_STOP_MAX_POS 64

/* Variable length: the header, then `count` struct ps_jrec_stop_pos. */
struct ps_jrec_stop {
	uint64_t token_hwm; /* OMS token counter at the end */
	uint64_t next_seq;  /* venue session sequence expected next */
	int64_t realized;   /* totals over every instrument */
	int64_t unrealized;
	uint64_t fills; /* venue executions applied (recovered ones included) */
	uint32_t pid;
	uint32_t count;
	struct ps_jrec_stop_pos pos[PS_JREC_STOP_MAX_POS];
};

/* PS_JREC_MD_STATUS: what risk was told about an instrument's market data;
 * no order on it is sent while stale or halted. */
struct ps_jrec_md_status {
	uint32_t instrument;
	uint8_t stale;
	uint8_t halted;
	uint8_t pad[2];
};

struct ps_jrec_order {
	char token[PS_JREC_TOKEN_LEN];
	char orig_token[PS_JREC_TOKEN_LEN]; /* replace: the order replaced */
	uint32_t pad0;
	uint64_t token_hwm; /* OMS token counter after this order */
	int64_t price;
	uint32_t qty;
	uint32_t instrument;
	uint32_t tag;
	uint16_t strategy_id;
	uint8_t side;   /* enum ps_side */
	uint8_t tif;    /* enum ps_tif */
	uint8_t type;   /* enum ps_order_type */
	uint8_t action; /* enum ps_order_action */
	uint8_t pad[6];
};

struct ps_jrec_venue_msg {
	uint64_t seq; /* SoupBinTCP sequence number */
	uint16_t len;
	uint8_t msg[86]; /* OUCH outbound message (<= 80 bytes) */
};

struct ps_jrec_fill {
	char token[PS_JREC_TOKEN_LEN];
	uint16_t strategy_id;
	uint64_t seq; /* of the venue message */
	uint64_t match_number;
	int64_t price;
	uint32_t qty;
	uint32_t instrument;
	uint8_t side; /* enum ps_side */
	uint8_t liquidity;
	uint8_t pad[6];
};

struct ps_jrec_reject {
	struct ps_order_intent intent;
	int32_t reason; /* enum ps_risk_reason */
	uint32_t pad;
};

/* Record type name ("ORDER_SENT"), or NULL. */
PS_API const char *ps_jrec_type_name(unsigned type);

enum ps_jrec_format {
	PS_JREC_FORMAT_TEXT = 0,
	PS_JREC_FORMAT_CSV,
	PS_JREC_FORMAT_JSONL,
};

/* Print one record (seq, time, type, payload fields) in the format. Cold path. */
PS_API int ps_jrec_print(FILE *f, enum ps_jrec_format fmt, uint64_t seq, uint64_t ts_ns,
			 unsigned type, const void *payload, uint32_t len);

#endif /* PS_JREC_H */
