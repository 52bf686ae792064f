/*
 * ITCH 5.0 cold path: the full-view decoder, the encoder and the JSON
 * printer. All three walk one table that lists every field of every message
 * type (name, wire offset, wire width, kind, place in struct ps_itch_msg),
 * so the layout is written down once and the three cannot disagree.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <ps/itch.h>
#include <ps/json.h>

enum field_kind {
	K_INT,    /* unsigned integer, 1/2/4/8 wire bytes -> uint16/32/64 member */
	K_PRICE4, /* Price(4): 4 wire bytes -> int64 member */
	K_PRICE8, /* Price(8): 8 wire bytes -> int64 member */
	K_ALPHA,  /* wire_len bytes -> char[wire_len] (or char) member */
};

struct field {
	const char *name;
	uint8_t wire_off;
	uint8_t wire_len;
	uint8_t kind;
	uint8_t mem_len;  /* sizeof the member */
	uint16_t mem_off; /* offsetof(struct ps_itch_msg, ...) */
};

struct msg_def {
	uint8_t type;
	uint8_t len;
	const char *name;
	const struct field *fields;
	size_t field_count;
};

#define F(name, off, len, kind, m)                                            \
	{                                                                     \
		name, off, len, kind, sizeof(((struct ps_itch_msg *)0)->u.m), \
		    offsetof(struct ps_itch_msg, u.m)                         \
	}

static const struct field f_system_event[] = {
	F("event_code", 11, 1, K_ALPHA, system_event.event_code),
};

static const struct field f_stock_directory[] = {
	F("stock", 11, 8, K_ALPHA, stock_directory.stock),
	F("market_category", 19, 1, K_ALPHA, stock_directory.market_category),
	F("financial_status_indicator", 20, 1, K_ALPHA, stock_directory.financial_status_indicator),
	F("round_lot_size", 21, 4, K_INT, stock_directory.round_lot_size),
	F("round_lots_only", 25, 1, K_ALPHA, stock_directory.round_lots_only),
	F("issue_classification", 26, 1, K_ALPHA, stock_directory.issue_classification),
	F("issue_sub_type", 27, 2, K_ALPHA, stock_directory.issue_sub_type),
	F("authenticity", 29, 1, K_ALPHA, stock_directory.authenticity),
	F("short_sale_threshold_indicator", 30, 1, K_ALPHA,
	  stock_directory.short_sale_threshold_indicator),
	F("ipo_flag", 31, 1, K_ALPHA, stock_directory.ipo_flag),
	F("luld_reference_price_tier", 32, 1, K_ALPHA, stock_directory.luld_reference_price_tier),
	F("etp_flag", 33, 1, K_ALPHA, stock_directory.etp_flag),
	F("etp_leverage_factor", 34, 4, K_INT, stock_directory.etp_leverage_factor),
	F("inverse_indicator", 38, 1, K_ALPHA, stock_directory.inverse_indicator),
};

static const struct field f_stock_trading_action[] = {
	F("stock", 11, 8, K_ALPHA, stock_trading_action.stock),
	F("trading_state", 19, 1, K_ALPHA, stock_trading_action.trading_state),
	F("reserved", 20, 1, K_ALPHA, stock_trading_action.reserved),
	F("reason", 21, 4, K_ALPHA, stock_trading_action.reason),
};

static const struct field f_reg_sho_restriction[] = {
	F("stock", 11, 8, K_ALPHA, reg_sho_restriction.stock),
	F("reg_sho_action", 19, 1, K_ALPHA, reg_sho_restriction.reg_sho_action),
};

static const struct field f_market_participant_position[] = {
	F("mpid", 11, 4, K_ALPHA, market_participant_position.mpid),
	F("stock", 15, 8, K_ALPHA, market_participant_position.stock),
	F("primary_market_maker", 23, 1, K_ALPHA, market_participant_position.primary_market_maker),
	F("market_maker_mode", 24, 1, K_ALPHA, market_participant_position.market_maker_mode),
	F("market_participant_state", 25, 1, K_ALPHA,
	  market_participant_position.market_participant_state),
};

static const struct field f_mwcb_decline_level[] = {
	F("level_1", 11, 8, K_PRICE8, mwcb_decline_level.level_1),
	F("level_2", 19, 8, K_PRICE8, mwcb_decline_level.level_2),
	F("level_3", 27, 8, K_PRICE8, mwcb_decline_level.level_3),
};

static const struct field f_mwcb_status[] = {
	F("breached_level", 11, 1, K_ALPHA, mwcb_status.breached_level),
};

static const struct field f_ipo_quoting_period_update[] = {
	F("stock", 11, 8, K_ALPHA, ipo_quoting_period_update.stock),
	F("ipo_quotation_release_time", 19, 4, K_INT,
	  ipo_quoting_period_update.ipo_quotation_release_time),
	F("ipo_quotation_release_qualifier", 23, 1, K_ALPHA,
	  ipo_quoting_period_update.ipo_quotation_release_qualifier),
	F("ipo_price", 24, 4, K_PRICE4, ipo_quoting_period_update.ipo_price),
};

static const struct field f_luld_auction_collar[] = {
	F("stock", 11, 8, K_ALPHA, luld_auction_collar.stock),
	F("auction_collar_reference_price", 19, 4, K_PRICE4,
	  luld_auction_collar.auction_collar_reference_price),
	F("upper_auction_collar_price", 23, 4, K_PRICE4,
	  luld_auction_collar.upper_auction_collar_price),
	F("lower_auction_collar_price", 27, 4, K_PRICE4,
	  luld_auction_collar.lower_auction_collar_price),
	F("auction_collar_extension", 31, 4, K_INT, luld_auction_collar.auction_collar_extension),
};

static const struct field f_operational_halt[] = {
	F("stock", 11, 8, K_ALPHA, operational_halt.stock),
	F("market_code", 19, 1, K_ALPHA, operational_halt.market_code),
	F("operational_halt_action", 20, 1, K_ALPHA, operational_halt.operational_halt_action),
};

static const struct field f_add_order[] = {
	F("order_reference_number", 11, 8, K_INT, add_order.order_reference_number),
	F("buy_sell_indicator", 19, 1, K_ALPHA, add_order.buy_sell_indicator),
	F("shares", 20, 4, K_INT, add_order.shares),
	F("stock", 24, 8, K_ALPHA, add_order.stock),
	F("price", 32, 4, K_PRICE4, add_order.price),
};

static const struct field f_add_order_mpid[] = {
	F("order_reference_number", 11, 8, K_INT, add_order.order_reference_number),
	F("buy_sell_indicator", 19, 1, K_ALPHA, add_order.buy_sell_indicator),
	F("shares", 20, 4, K_INT, add_order.shares),
	F("stock", 24, 8, K_ALPHA, add_order.stock),
	F("price", 32, 4, K_PRICE4, add_order.price),
	F("attribution", 36, 4, K_ALPHA, add_order.attribution),
};

static const struct field f_order_executed[] = {
	F("order_reference_number", 11, 8, K_INT, order_executed.order_reference_number),
	F("executed_shares", 19, 4, K_INT, order_executed.executed_shares),
	F("match_number", 23, 8, K_INT, order_executed.match_number),
};

static const struct field f_order_executed_with_price[] = {
	F("order_reference_number", 11, 8, K_INT, order_executed.order_reference_number),
	F("executed_shares", 19, 4, K_INT, order_executed.executed_shares),
	F("match_number", 23, 8, K_INT, order_executed.match_number),
	F("printable", 31, 1, K_ALPHA, order_executed.printable),
	F("execution_price", 32, 4, K_PRICE4, order_executed.execution_price),
};

static const struct field f_order_cancel[] = {
	F("order_reference_number", 11, 8, K_INT, order_cancel.order_reference_number),
	F("canceled_shares", 19, 4, K_INT, order_cancel.canceled_shares),
};

static const struct field f_order_delete[] = {
	F("order_reference_number", 11, 8, K_INT, order_delete.order_reference_number),
};

static const struct field f_order_replace[] = {
	F("original_order_reference_number", 11, 8, K_INT,
	  order_replace.original_order_reference_number),
	F("new_order_reference_number", 19, 8, K_INT, order_replace.new_order_reference_number),
	F("shares", 27, 4, K_INT, order_replace.shares),
	F("price", 31, 4, K_PRICE4, order_replace.price),
};

static const struct field f_trade[] = {
	F("order_reference_number", 11, 8, K_INT, trade.order_reference_number),
	F("buy_sell_indicator", 19, 1, K_ALPHA, trade.buy_sell_indicator),
	F("shares", 20, 4, K_INT, trade.shares),
	F("stock", 24, 8, K_ALPHA, trade.stock),
	F("price", 32, 4, K_PRICE4, trade.price),
	F("match_number", 36, 8, K_INT, trade.match_number),
};

static const struct field f_cross_trade[] = {
	F("shares", 11, 8, K_INT, cross_trade.shares),
	F("stock", 19, 8, K_ALPHA, cross_trade.stock),
	F("cross_price", 27, 4, K_PRICE4, cross_trade.cross_price),
	F("match_number", 31, 8, K_INT, cross_trade.match_number),
	F("cross_type", 39, 1, K_ALPHA, cross_trade.cross_type),
};

static const struct field f_broken_trade[] = {
	F("match_number", 11, 8, K_INT, broken_trade.match_number),
};

static const struct field f_noii[] = {
	F("paired_shares", 11, 8, K_INT, noii.paired_shares),
	F("imbalance_shares", 19, 8, K_INT, noii.imbalance_shares),
	F("imbalance_direction", 27, 1, K_ALPHA, noii.imbalance_direction),
	F("stock", 28, 8, K_ALPHA, noii.stock),
	F("far_price", 36, 4, K_PRICE4, noii.far_price),
	F("near_price", 40, 4, K_PRICE4, noii.near_price),
	F("current_reference_price", 44, 4, K_PRICE4, noii.current_reference_price),
	F("cross_type", 48, 1, K_ALPHA, noii.cross_type),
	F("price_variation_indicator", 49, 1, K_ALPHA, noii.price_variation_indicator),
};

static const struct field f_rpii[] = {
	F("stock", 11, 8, K_ALPHA, rpii.stock),
	F("interest_flag", 19, 1, K_ALPHA, rpii.interest_flag),
};

static const struct field f_dlcr_price_discovery[] = {
	F("stock", 11, 8, K_ALPHA, dlcr_price_discovery.stock),
	F("open_eligibility_status", 19, 1, K_ALPHA, dlcr_price_discovery.open_eligibility_status),
	F("minimum_allowable_price", 20, 4, K_PRICE4, dlcr_price_discovery.minimum_allowable_price),
	F("maximum_allowable_price", 24, 4, K_PRICE4, dlcr_price_discovery.maximum_allowable_price),
	F("near_execution_price", 28, 4, K_PRICE4, dlcr_price_discovery.near_execution_price),
	F("near_execution_time", 32, 8, K_INT, dlcr_price_discovery.near_execution_time),
	F("lower_price_range_collar", 40, 4, K_PRICE4,
	  dlcr_price_discovery.lower_price_range_collar),
	F("upper_price_range_collar", 44, 4, K_PRICE4,
	  dlcr_price_discovery.upper_price_range_collar),
};

#define DEF(t, l, n, f)                      \
	{                                    \
		t, l, n, f, PS_ARRAY_SIZE(f) \
	}
static const struct msg_def defs[] = {
	DEF('S', PS_ITCH_LEN_SYSTEM_EVENT, "System Event", f_system_event),
	DEF('R', PS_ITCH_LEN_STOCK_DIRECTORY, "Stock Directory", f_stock_directory),
	DEF('H', PS_ITCH_LEN_STOCK_TRADING_ACTION, "Stock Trading Action", f_stock_trading_action),
	DEF('Y', PS_ITCH_LEN_REG_SHO_RESTRICTION, "Reg SHO Restriction", f_reg_sho_restriction),
	DEF('L', PS_ITCH_LEN_MARKET_PARTICIPANT_POSITION, "Market Participant Position",
	    f_market_participant_position),
	DEF('V', PS_ITCH_LEN_MWCB_DECLINE_LEVEL, "MWCB Decline Level", f_mwcb_decline_level),
	DEF('W', PS_ITCH_LEN_MWCB_STATUS, "MWCB Status", f_mwcb_status),
	DEF('K', PS_ITCH_LEN_IPO_QUOTING_PERIOD_UPDATE, "IPO Quoting Period Update",
	    f_ipo_quoting_period_update),
	DEF('J', PS_ITCH_LEN_LULD_AUCTION_COLLAR, "LULD Auction Collar", f_luld_auction_collar),
	DEF('h', PS_ITCH_LEN_OPERATIONAL_HALT, "Operational Halt", f_operational_halt),
	DEF('A', PS_ITCH_LEN_ADD_ORDER, "Add Order", f_add_order),
	DEF('F', PS_ITCH_LEN_ADD_ORDER_MPID, "Add Order with MPID Attribution", f_add_order_mpid),
	DEF('E', PS_ITCH_LEN_ORDER_EXECUTED, "Order Executed", f_order_executed),
	DEF('C', PS_ITCH_LEN_ORDER_EXECUTED_WITH_PRICE, "Order Executed with Price",
	    f_order_executed_with_price),
	DEF('X', PS_ITCH_LEN_ORDER_CANCEL, "Order Cancel", f_order_cancel),
	DEF('D', PS_ITCH_LEN_ORDER_DELETE, "Order Delete", f_order_delete),
	DEF('U', PS_ITCH_LEN_ORDER_REPLACE, "Order Replace", f_order_replace),
	DEF('P', PS_ITCH_LEN_TRADE, "Trade (Non-Cross)", f_trade),
	DEF('Q', PS_ITCH_LEN_CROSS_TRADE, "Cross Trade", f_cross_trade),
	DEF('B', PS_ITCH_LEN_BROKEN_TRADE, "Broken Trade", f_broken_trade),
	DEF('I', PS_ITCH_LEN_NOII, "Net Order Imbalance Indicator", f_noii),
	DEF('N', PS_ITCH_LEN_RPII, "Retail Price Improvement Indicator", f_rpii),
	DEF('O', PS_ITCH_LEN_DLCR_PRICE_DISCOVERY,
	    "Direct Listing with Capital Raise Price Discovery", f_dlcr_price_discovery),
};

static const struct msg_def *find_def(uint8_t type)
{
	for (size_t i = 0; i < PS_ARRAY_SIZE(defs); i++)
		if (defs[i].type == type)
			return &defs[i];
	return NULL;
}

size_t ps_itch_msg_len(uint8_t type)
{
	const struct msg_def *d = find_def(type);

	return d ? d->len : 0;
}

const char *ps_itch_type_name(uint8_t type)
{
	const struct msg_def *d = find_def(type);

	return d ? d->name : NULL;
}

static uint64_t load_be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

static void store_be(uint8_t *p, size_t n, uint64_t v)
{
	for (size_t i = n; i-- > 0;) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static void put_member(struct ps_itch_msg *m, const struct field *f, uint64_t v)
{
	uint8_t *dst = (uint8_t *)m + f->mem_off;

	switch (f->mem_len) {
	case 2: {
		uint16_t x = (uint16_t)v;
		memcpy(dst, &x, sizeof(x));
		break;
	}
	case 4: {
		uint32_t x = (uint32_t)v;
		memcpy(dst, &x, sizeof(x));
		break;
	}
	default: {
		uint64_t x = v;
		memcpy(dst, &x, sizeof(x));
		break;
	}
	}
}

static uint64_t get_member(const struct ps_itch_msg *m, const struct field *f)
{
	const uint8_t *src = (const uint8_t *)m + f->mem_off;

	switch (f->mem_len) {
	case 2: {
		uint16_t x;
		memcpy(&x, src, sizeof(x));
		return x;
	}
	case 4: {
		uint32_t x;
		memcpy(&x, src, sizeof(x));
		return x;
	}
	default: {
		uint64_t x;
		memcpy(&x, src, sizeof(x));
		return x;
	}
	}
}

int ps_itch_msg_decode(struct ps_itch_msg *m, const uint8_t *buf, size_t len)
{
	const struct msg_def *d;

	memset(m, 0, sizeof(*m));
	if (len == 0)
		return PS_ETRUNCATED;
	d = find_def(buf[0]);
	if (!d)
		return PS_EUNKNOWN_MSG;
	if (len < d->len)
		return PS_ETRUNCATED;
	if (len > d->len)
		return PS_EBADLEN;
	m->type = buf[0];
	m->stock_locate = ps_load_be16(buf + 1);
	m->tracking_number = ps_load_be16(buf + 3);
	m->timestamp = ps_load_be48(buf + 5);
	for (size_t i = 0; i < d->field_count; i++) {
		const struct field *f = &d->fields[i];

		if (f->kind == K_ALPHA)
			memcpy((uint8_t *)m + f->mem_off, buf + f->wire_off, f->wire_len);
		else
			put_member(m, f, load_be(buf + f->wire_off, f->wire_len));
	}
	return 0;
}

int ps_itch_msg_encode(uint8_t *buf, size_t cap, const struct ps_itch_msg *m)
{
	const struct msg_def *d = find_def(m->type);

	if (!d)
		return PS_EUNKNOWN_MSG;
	if (cap < d->len)
		return -ENOSPC;
	buf[0] = m->type;
	ps_store_be16(buf + 1, m->stock_locate);
	ps_store_be16(buf + 3, m->tracking_number);
	ps_store_be48(buf + 5, m->timestamp & 0xFFFFFFFFFFFFull);
	for (size_t i = 0; i < d->field_count; i++) {
		const struct field *f = &d->fields[i];

		if (f->kind == K_ALPHA)
			memcpy(buf + f->wire_off, (const uint8_t *)m + f->mem_off, f->wire_len);
		else
			store_be(buf + f->wire_off, f->wire_len, get_member(m, f));
	}
	return d->len;
}

/* Alpha as a JSON string, right-trimmed (any byte gives valid JSON). */
static void print_alpha(FILE *f, const char *s, size_t n)
{
	while (n > 0 && s[n - 1] == ' ')
		n--;
	ps_json_put_string(f, s, n);
}

int ps_itch_msg_print_json(FILE *f, const struct ps_itch_msg *m)
{
	const struct msg_def *d = find_def(m->type);
	char type = (char)m->type;

	fputs("{\"type\":", f);
	print_alpha(f, &type, 1);
	fprintf(f, ",\"stock_locate\":%u,\"tracking_number\":%u,\"timestamp\":%llu",
		(unsigned)m->stock_locate, (unsigned)m->tracking_number,
		(unsigned long long)m->timestamp);
	for (size_t i = 0; d && i < d->field_count; i++) {
		const struct field *fl = &d->fields[i];

		fprintf(f, ",\"%s\":", fl->name);
		if (fl->kind == K_ALPHA)
			print_alpha(f, (const char *)m + fl->mem_off, fl->wire_len);
		else if (fl->kind == K_INT)
			fprintf(f, "%llu", (unsigned long long)get_member(m, fl));
		else
			fprintf(f, "%lld", (long long)(int64_t)get_member(m, fl));
	}
	fputc('}', f);
	return ferror(f) ? -EIO : 0;
}

void ps_itch_stats_reset(struct ps_itch_stats *st)
{
	memset(st, 0, sizeof(*st));
}

uint64_t ps_itch_stats_messages(const struct ps_itch_stats *st)
{
	uint64_t n = 0;

	for (size_t i = 0; i < PS_ARRAY_SIZE(st->type_count); i++)
		n += st->type_count[i];
	return n;
}
