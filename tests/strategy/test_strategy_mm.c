/* Market maker: quotes around the microprice, inventory skew, position cap,
 * one request in flight per side, config errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <ps/config.h>
#include <ps/err.h>
#include <ps/strategy.h>

struct fx {
	struct ps_book_set *books;
	struct ps_config *cfg;
	struct ps_strategy *s;
	struct ps_order_intent buf[8];
	struct ps_strategy_out out;
};

#define MM_KEYS                   \
	"kind = mm\n"             \
	"tick = 0.01\n"           \
	"qty = 100\n"             \
	"half_spread_ticks = 1\n" \
	"skew_ticks = 2\n"        \
	"requote_ticks = 1\n"     \
	"max_position = 200\n"

static const char *cfg_text = "[strategy.mm1]\n" MM_KEYS "min_requote_us = 0\n";
/* The same with one requote per side per millisecond at most. */
static const char *cfg_gated_text = "[strategy.mm1]\n" MM_KEYS "min_requote_us = 1000\n";

static int setup_text(void **state, const char *text)
{
	static struct fx f;
	struct ps_book_config bc = { .instrument_count = 1, .max_orders = 64, .max_levels = 16 };
	char err[256];

	memset(&f, 0, sizeof(f));
	assert_int_equal(ps_book_set_create(&f.books, &bc), 0);
	assert_int_equal(ps_config_load_string(&f.cfg, text, "mm.ini", err, sizeof(err)), 0);
	assert_int_equal(ps_strategy_create(&f.s, f.cfg, "strategy.mm1", 7, 0, err, sizeof(err)),
			 0);
	f.out = (struct ps_strategy_out){ .intents = f.buf, .cap = 8 };
	*state = &f;
	return 0;
}

static int setup(void **state)
{
	return setup_text(state, cfg_text);
}

static int setup_gated(void **state)
{
	return setup_text(state, cfg_gated_text);
}

static int teardown(void **state)
{
	struct fx *f = *state;
	ps_strategy_destroy(f->s);
	ps_config_destroy(f->cfg);
	ps_book_set_destroy(f->books);
	return 0;
}

/* Book: bid 100.00 x 300, ask 100.10 x 100 -> microprice 100.075. */
static void seed(struct fx *f, uint32_t bid_qty, uint32_t ask_qty)
{
	struct ps_book *b = ps_book_set_get(f->books, 0);
	assert_int_equal(ps_book_add(b, 1, PS_SIDE_BUY, 1000000, bid_qty), 0);
	assert_int_equal(ps_book_add(b, 2, PS_SIDE_SELL, 1001000, ask_qty), 0);
}

static void on_book_at(struct fx *f, uint64_t now_ns)
{
	struct ps_md_event ev = { .type = PS_MD_ADD, .recv_tsc = 42 };
	f->out.count = 0;
	ps_strategy_on_book(f->s, ps_book_set_get(f->books, 0), &ev, now_ns, &f->out);
}

static void on_book(struct fx *f)
{
	on_book_at(f, 1000);
}

static void report(struct fx *f, uint8_t type, uint32_t tag, uint8_t side, int64_t price,
		   uint32_t qty, uint32_t leaves)
{
	struct ps_exec_report r = { .type = type,
				    .tag = tag,
				    .side = side,
				    .price = price,
				    .qty = qty,
				    .leaves_qty = leaves };
	f->out.count = 0;
	ps_strategy_on_report(f->s, &r, 2000, &f->out);
}

static void test_strategy_mm_quotes_around_microprice(void **state)
{
	struct fx *f = *state;

	seed(f, 300, 100);
	on_book(f);
	assert_int_equal(f->out.count, 2);
	/* microprice = (100.00*100 + 100.10*300)/400 = 100.075; +-1 tick. */
	assert_int_equal(f->buf[0].action, PS_ORDER_NEW);
	assert_int_equal(f->buf[0].side, PS_SIDE_BUY);
	assert_int_equal(f->buf[0].price, 1000600); /* floor(100.065) = 100.06 */
	assert_int_equal(f->buf[1].side, PS_SIDE_SELL);
	assert_int_equal(f->buf[1].price, 1000900); /* ceil(100.085) = 100.09 */
	assert_int_equal(f->buf[0].qty, 100);
	assert_int_equal(f->buf[0].strategy_id, 7);
	assert_int_equal(f->buf[0].md_tsc, 42);
	assert_int_equal(f->buf[0].tag, 1);
	assert_int_equal(f->buf[1].tag, 2);
	/* In flight: the next update sends nothing. */
	on_book(f);
	assert_int_equal(f->out.count, 0);
}

static void test_strategy_mm_skews_and_caps_with_inventory(void **state)
{
	struct fx *f = *state;

	seed(f, 300, 100);
	on_book(f);
	report(f, PS_REPORT_ACCEPTED, 1, PS_SIDE_BUY, 1000600, 0, 100);
	report(f, PS_REPORT_ACCEPTED, 2, PS_SIDE_SELL, 1000900, 0, 100);
	/* Bid filled twice over two NEW quotes: position 200 = max -> bid cancelled side. */
	report(f, PS_REPORT_FILL, 1, PS_SIDE_BUY, 1000600, 100, 0);
	assert_int_equal(f->s->position, 100);
	on_book(f);
	/* skew = 100/100 * 2 ticks = 0.02: bid floor(100.045) = 100.04 (NEW), ask
	 * ceil(100.065) = 100.07 (replace from 100.09). */
	assert_int_equal(f->out.count, 2);
	assert_int_equal(f->buf[0].action, PS_ORDER_NEW);
	assert_int_equal(f->buf[0].price, 1000400);
	assert_int_equal(f->buf[1].action, PS_ORDER_REPLACE);
	assert_int_equal(f->buf[1].price, 1000700);
	report(f, PS_REPORT_ACCEPTED, 1, PS_SIDE_BUY, 1000400, 0, 100);
	report(f, PS_REPORT_FILL, 1, PS_SIDE_BUY, 1000400, 100, 0);
	assert_int_equal(f->s->position, 200);
	report(f, PS_REPORT_REPLACED, 2, PS_SIDE_SELL, 1000700, 0, 100);
	on_book(f);
	/* At max_position: no bid; the ask moves down with the skew (0.04). */
	for (uint32_t i = 0; i < f->out.count; i++)
		assert_int_not_equal(f->buf[i].side, PS_SIDE_BUY);
	assert_int_equal(f->out.count, 1);
	assert_int_equal(f->buf[0].price, 1000500); /* ceil(100.045) = 100.05 */
}

/* Events that leave the top of the book and the position as they were are
 * skipped when the last evaluation could not have turned out otherwise; a
 * requote held back by min_requote_us is not such a case (it goes out once
 * the time has passed, on an event that changes nothing), nor is one after
 * a report (a cancelled quote is sent again on the next event). */
static void test_strategy_mm_same_top_skips_only_settled_evaluations(void **state)
{
	struct fx *f = *state;
	const uint64_t t0 = 1000000;

	seed(f, 300, 100);
	on_book_at(f, t0);
	assert_int_equal(f->out.count, 2);
	report(f, PS_REPORT_ACCEPTED, 1, PS_SIDE_BUY, 1000600, 0, 100);
	report(f, PS_REPORT_ACCEPTED, 2, PS_SIDE_SELL, 1000900, 0, 100);
	on_book_at(f, t0 + 1000);
	assert_int_equal(f->out.count, 0); /* settled: both quotes where wanted */
	on_book_at(f, t0 + 2000);
	assert_int_equal(f->out.count, 0);
	/* 200 more to sell at 100.10: microprice (100.00*300 + 100.10*300)/600 =
	 * 100.05, so the bid wants 100.04 and the ask 100.07 (100.06 would meet
	 * our own bid): both 2+ ticks away, held back for 1 ms. */
	assert_int_equal(ps_book_add(ps_book_set_get(f->books, 0), 3, PS_SIDE_SELL, 1001000, 200),
			 0);
	on_book_at(f, t0 + 10000);
	assert_int_equal(f->out.count, 0);
	on_book_at(f, t0 + 20000);
	assert_int_equal(f->out.count, 0);
	/* Nothing changed but the clock: the requotes go out. */
	on_book_at(f, t0 + 2000000);
	assert_int_equal(f->out.count, 2);
	assert_int_equal(f->buf[0].action, PS_ORDER_REPLACE);
	assert_int_equal(f->buf[0].side, PS_SIDE_BUY);
	assert_int_equal(f->buf[0].price, 1000400);
	assert_int_equal(f->buf[1].action, PS_ORDER_REPLACE);
	assert_int_equal(f->buf[1].side, PS_SIDE_SELL);
	assert_int_equal(f->buf[1].price, 1000700);
	report(f, PS_REPORT_REPLACED, 1, PS_SIDE_BUY, 1000400, 0, 100);
	report(f, PS_REPORT_REPLACED, 2, PS_SIDE_SELL, 1000700, 0, 100);
	/* Our bid moved away: the ask may come down to 100.06 (a report, then
	 * the time gate again, as above). */
	on_book_at(f, t0 + 2500000);
	assert_int_equal(f->out.count, 0);
	on_book_at(f, t0 + 3000000);
	assert_int_equal(f->out.count, 1);
	assert_int_equal(f->buf[0].action, PS_ORDER_REPLACE);
	assert_int_equal(f->buf[0].price, 1000600);
	report(f, PS_REPORT_REPLACED, 2, PS_SIDE_SELL, 1000600, 0, 100);
	on_book_at(f, t0 + 3500000);
	assert_int_equal(f->out.count, 0);
	on_book_at(f, t0 + 5000000);
	assert_int_equal(f->out.count, 0);
	/* The venue cancels our bid: the same top now asks for a new one. */
	report(f, PS_REPORT_CANCELED, 1, PS_SIDE_BUY, 1000400, 0, 0);
	on_book_at(f, t0 + 5001000);
	assert_int_equal(f->out.count, 1);
	assert_int_equal(f->buf[0].action, PS_ORDER_NEW);
	assert_int_equal(f->buf[0].side, PS_SIDE_BUY);
	assert_int_equal(f->buf[0].price, 1000400);
}

static void test_strategy_mm_one_tick_market(void **state)
{
	struct fx *f = *state;

	/* One-tick market: 100.00 / 100.01. */
	struct ps_book *b = ps_book_set_get(f->books, 0);
	assert_int_equal(ps_book_add(b, 1, PS_SIDE_BUY, 1000000, 100), 0);
	assert_int_equal(ps_book_add(b, 2, PS_SIDE_SELL, 1000100, 100), 0);
	on_book(f);
	assert_int_equal(f->out.count, 2);
	/* microprice 100.005: bid floor(99.995) = 99.99, ask ceil(100.015) = 100.02. */
	assert_int_equal(f->buf[0].price, 999900);
	assert_int_equal(f->buf[1].price, 1000200);
}

static void test_strategy_mm_disabled_drops_intents(void **state)
{
	struct fx *f = *state;

	seed(f, 300, 100);
	f->s->enabled = false;
	on_book(f);
	assert_int_equal(f->out.count, 0);
	assert_int_equal(f->out.dropped, 2);
}

static void test_strategy_mm_config_errors(void **state)
{
	struct ps_config *c;
	struct ps_strategy *s;
	char err[256];
	(void)state;

	assert_int_equal(ps_config_load_string(&c,
					       "[strategy.x]\nkind = mm\nqty = 500\n"
					       "max_position = 100\n",
					       "bad.ini", err, sizeof(err)),
			 0);
	assert_int_equal(ps_strategy_create(&s, c, "strategy.x", 1, 0, err, sizeof(err)),
			 PS_ECONFIG);
	assert_non_null(strstr(err, "bad.ini:4"));
	assert_non_null(strstr(err, "max_position"));
	ps_config_destroy(c);

	assert_int_equal(
	    ps_config_load_string(&c, "[strategy.x]\nkind = grid\n", "bad.ini", err, sizeof(err)),
	    0);
	assert_int_equal(ps_strategy_create(&s, c, "strategy.x", 1, 0, err, sizeof(err)),
			 PS_ECONFIG);
	assert_non_null(strstr(err, "kind"));
	ps_config_destroy(c);

	assert_int_equal(ps_config_load_string(&c, "[strategy.x]\nkind = mm\ntick = -0.01\n",
					       "bad.ini", err, sizeof(err)),
			 0);
	assert_int_equal(ps_strategy_create(&s, c, "strategy.x", 1, 0, err, sizeof(err)),
			 PS_ECONFIG);
	assert_non_null(strstr(err, "tick"));
	ps_config_destroy(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_strategy_mm_quotes_around_microprice, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_strategy_mm_skews_and_caps_with_inventory,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_strategy_mm_one_tick_market, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_strategy_mm_same_top_skips_only_settled_evaluations, setup_gated,
		    teardown),
		cmocka_unit_test_setup_teardown(test_strategy_mm_disabled_drops_intents, setup,
						teardown),
		cmocka_unit_test(test_strategy_mm_config_errors),
	};
	return cmocka_run_group_tests_name("strategy_mm", tests, NULL, NULL);
}
