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
	int64_t
	    price; /* fixed point, instrument scale; MARKET: ignored (risk sets a protection price) */
	uint32_t qty;        /* shares; CANCEL: 0 */
	uint32_t instrument; /* dense instrument id */
	uint16_t strategy_id;
	uint16_t confidence_bp; /* strategy confidence, basis points 0..10000 */
	uint8_t action;         /* enum ps_order_action */
	uint8_t side;           /* enum ps_side */
	uint8_t type;           /* enum ps_order_type */
	uint8_t tif;            /* enum ps_tif */
	uint32_t reserved[6];
};

static_assert(sizeof(struct ps_order_intent) == 64, "order intent must be one cache line");

#endif /* PS_ORDER_H */
