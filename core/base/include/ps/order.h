/*
 * Order intent: what a strategy asks for, handed to risk and then the OMS.
 * Fixed size, no pointers, travels through SPSC ring B by value.
 */
#ifndef PS_ORDER_H
#define PS_ORDER_H

#include <assert.h>
#include <ps/md.h>

enum ps_order_action {
	PS_ORDER_NEW = 0,
	PS_ORDER_CANCEL = 1,
	PS_ORDER_REPLACE = 2,
};

enum ps_order_type {
	PS_ORDER_LIMIT = 0,
	PS_ORDER_MARKET = 1,
};

enum ps_tif {
	PS_TIF_DAY = 0,
	PS_TIF_IOC = 1,
};

struct ps_order_intent {
	uint64_t md_tsc;          /* recv_tsc of the md event that caused it (tick-to-trade) */
	uint64_t client_order_id; /* CANCEL/REPLACE: the order to act on; NEW: 0 (OMS assigns) */
	/* fixed point, instrument scale; MARKET: ignored (risk sets a protection price) */
	int64_t price;
	uint32_t qty;        /* shares; CANCEL: 0 */
	uint32_t instrument; /* dense instrument id */
	uint16_t strategy_id;
	uint16_t confidence_bp; /* strategy confidence, basis points 0..10000 */
	uint8_t action;         /* enum ps_order_action */
	uint8_t side;           /* enum ps_side */
	uint8_t type;           /* enum ps_order_type */
	uint8_t tif;            /* enum ps_tif */
	/* The strategy's own name for the order ("bid quote"): CANCEL and REPLACE
	 * act on the live order with this (strategy_id, tag); reports carry it. */
	uint32_t tag;
	/* Tick-to-trade stamps, TSC ticks after md_tsc (saturating; 0 = none):
	 * when the book stage took the md event, and when the strategy emitted
	 * this intent. The exec stage splits its latency into stages with them. */
	uint32_t book_dtsc;
	uint32_t intent_dtsc;
	uint32_t reserved[3];
};

static_assert(sizeof(struct ps_order_intent) == 64, "order intent must be one cache line");

/*
 * Execution report: what the exec stage hands back to the book/strategy stage
 * (ring C) for every order event that changes what a strategy knows.
 */
enum ps_report_type {
	PS_REPORT_ACCEPTED = 1, /* venue acknowledged the order (or the replace) */
	PS_REPORT_FILL,         /* qty at price filled; leaves_qty remains */
	PS_REPORT_CANCELED,     /* order is gone (cancel, IOC remainder, expiry) */
	/* Risk or the venue refused a request: reason holds the code. A refused
	 * NEW leaves no order (leaves_qty 0); a refused REPLACE or CANCEL leaves
	 * the order working with leaves_qty open shares. Each order's end
	 * (FILL with leaves_qty 0, CANCELED, REJECTED with leaves_qty 0) is
	 * reported once. */
	PS_REPORT_REJECTED,
	PS_REPORT_REPLACED, /* replace took effect: price/leaves_qty are the new terms */
};

struct ps_exec_report {
	uint64_t tsc;             /* when exec produced it */
	uint64_t client_order_id; /* OMS id of the order */
	int64_t price;            /* FILL: execution price; others: order price */
	uint32_t qty;             /* FILL: filled now; others: 0 */
	uint32_t leaves_qty;      /* still working after this event */
	uint32_t instrument;
	uint32_t tag;   /* the intent's tag */
	int32_t reason; /* REJECTED: risk reason code or negative venue/PS_E code */
	uint16_t strategy_id;
	uint8_t type; /* enum ps_report_type */
	uint8_t side; /* enum ps_side */
	uint32_t reserved[4];
};

static_assert(sizeof(struct ps_exec_report) == 64, "exec report must be one cache line");

#endif /* PS_ORDER_H */
