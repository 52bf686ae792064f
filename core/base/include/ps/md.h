/*
 * The normalized market-data event: what the md stage hands the book stage,
 * one per order-book-relevant feed message. Fixed size (one cache line), no
 * pointers, so it travels through an SPSC ring by value.
 *
 * Producers: feed decoders (ITCH 5.0 now, crypto feeds later).
 * Consumers: ps_book, strategies (trades, status).
 */
#ifndef PS_MD_H
#define PS_MD_H

#include <assert.h>
#include <ps/common.h>

enum ps_side {
	PS_SIDE_BUY = 0,
	PS_SIDE_SELL = 1,
};

enum ps_md_type {
	PS_MD_NONE = 0,
	PS_MD_ADD,     /* new resting order: order_id, side, price, qty */
	PS_MD_EXECUTE, /* resting order executed: order_id, qty (price = exec price if known, else 0) */
	PS_MD_CANCEL,  /* partial cancel: order_id, qty removed */
	PS_MD_DELETE,  /* order removed in full: order_id */
	PS_MD_REPLACE, /* order_id replaced by new_order_id at price, qty (side kept) */
	PS_MD_TRADE,   /* trade against a non-displayed order or a cross: side, price, qty */
	PS_MD_CLEAR,   /* drop the whole book of instrument (venue reset, stale resync) */
	PS_MD_STATUS,  /* trading status change: status holds PS_MD_STATUS_* */
};

enum ps_md_status {
	PS_MD_STATUS_TRADING = 0,
	PS_MD_STATUS_HALTED = 1,
	PS_MD_STATUS_PAUSED = 2,
	PS_MD_STATUS_QUOTATION = 3,
	PS_MD_STATUS_STALE = 4, /* feed gap that could not be filled: book must resync */
};

/* flags */
#define PS_MD_F_PRINTABLE      0x01u /* execution is printable (counts toward volume) */
#define PS_MD_F_LAST_IN_PACKET 0x02u /* last event of a feed packet: a good place to act */

struct ps_md_event {
	uint64_t recv_tsc;     /* TSC when the packet carrying it entered the process */
	uint64_t seq;          /* feed sequence number (MoldUDP64 message sequence) */
	uint64_t order_id;     /* venue order reference number */
	uint64_t new_order_id; /* REPLACE: the new reference; EXECUTE/TRADE: match number */
	int64_t price;         /* fixed point, instrument scale (ITCH: 1e-4) */
	uint64_t venue_ts_ns;  /* venue timestamp, ns since midnight */
	uint32_t qty;          /* shares */
	uint32_t instrument;   /* dense instrument id (ITCH: stock locate) */
	uint8_t type;          /* enum ps_md_type */
	uint8_t side;          /* enum ps_side */
	uint8_t flags;         /* PS_MD_F_* */
	uint8_t status;        /* STATUS: enum ps_md_status */
	uint32_t reserved;
};

static_assert(sizeof(struct ps_md_event) == 64, "md event must be one cache line");

#endif /* PS_MD_H */
