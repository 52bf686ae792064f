/* Momentum: EMA trend detection, confidence, IOC orders towards the target
 * position, one in flight, warm-up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
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
	uint64_t next_id;
};

static int setup(void **state)
{
	static struct fx f;
	struct ps_book_config bc = { .instrument_count = 1, .max_orders = 64, .max_levels = 16 };
	char err[256];

	memset(&f, 0, sizeof(f));
	assert_int_equal(ps_book_set_create(&f.books, &bc), 0);
	assert_int_equal(
	    ps_config_load_string(&f.cfg,
				  "[strategy.mo]\nkind = momentum\nfast_shift = 1\n"
				  "medium_shift = 2\nslow_shift = 3\nqty = 100\n"
				  "max_position = 200\ncooldown_us = 0\n"
				  "min_confidence_bp = 6000\nfull_confidence_bps = 10\n",
				  "mo.ini", err, sizeof(err)),
	    0);
	assert_int_equal(ps_strategy_create(&f.s, f.cfg, "strategy.mo", 3, 0, err, sizeof(err)), 0);
	f.out = (struct ps_strategy_out){ .intents = f.buf, .cap = 8 };
	f.next_id = 1;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	ps_strategy_destroy(f->s);
	ps_config_destroy(f->cfg);
	ps_book_set_destroy(f->books);
	return 0;
}

/* Replace the book with a one-level market bid/ask (equal sizes). */
static void market(struct fx *f, int64_t bid, int64_t ask)
{
	struct ps_book *b = ps_book_set_get(f->books, 0);
	struct ps_md_event ev = { .type = PS_MD_ADD, .recv_tsc = 9 };

	ps_book_clear(b);
	assert_int_equal(ps_book_add(b, f->next_id++, PS_SIDE_BUY, bid, 100), 0);
	assert_int_equal(ps_book_add(b, f->next_id++, PS_SIDE_SELL, ask, 100), 0);
	f->out.count = 0;
	ps_strategy_on_book(f->s, b, &ev, 1000, &f->out);
}

static void test_strategy_momentum_buys_an_uptrend(void **state)
{
	struct fx *f = *state;
	int64_t p = 1000000;

	/* Flat warm-up: 8 updates (2^slow_shift) with no trend, no order. */
	for (int i = 0; i < 8; i++) {
		market(f, p, p + 100);
		assert_int_equal(f->out.count, 0);
	}
	/* Rising by 1 cent per update: fast > medium > slow. */
	uint32_t orders = 0;
	for (int i = 0; i < 10 && orders == 0; i++) {
		p += 100;
		market(f, p, p + 100);
		orders = f->out.count;
	}
	assert_int_equal(orders, 1);
	assert_int_equal(f->buf[0].side, PS_SIDE_BUY);
	assert_int_equal(f->buf[0].tif, PS_TIF_IOC);
	assert_int_equal(f->buf[0].price, p + 100); /* marketable at the best ask */
	assert_int_equal(f->buf[0].qty, 100);
	assert_true(f->buf[0].confidence_bp >= 6000);
	assert_int_equal(f->buf[0].strategy_id, 3);
	/* One in flight. */
	p += 100;
	market(f, p, p + 100);
	assert_int_equal(f->out.count, 0);
	/* Filled: the next update buys the rest of the target (200). */
	struct ps_exec_report r = { .type = PS_REPORT_FILL,
				    .tag = f->buf[0].tag,
				    .side = PS_SIDE_BUY,
				    .qty = 100,
				    .leaves_qty = 0 };
	f->out.count = 0;
	ps_strategy_on_report(f->s, &r, 2000, &f->out);
	assert_int_equal(f->s->position, 100);
	p += 100;
	market(f, p, p + 100);
	assert_int_equal(f->out.count, 1);
	assert_int_equal(f->buf[0].side, PS_SIDE_BUY);
	assert_int_equal(f->buf[0].qty, 100);
	r.tag = f->buf[0].tag;
	ps_strategy_on_report(f->s, &r, 2000, &f->out);
	assert_int_equal(f->s->position, 200);
	/* At target: nothing more while the trend lasts. */
	p += 100;
	market(f, p, p + 100);
	assert_int_equal(f->out.count, 0);
	/* Trend reverses: sells, 100 at a time, down to -200. */
	orders = 0;
	for (int i = 0; i < 20 && orders == 0; i++) {
		p -= 300;
		market(f, p, p + 100);
		orders = f->out.count;
	}
	assert_int_equal(orders, 1);
	assert_int_equal(f->buf[0].side, PS_SIDE_SELL);
	assert_int_equal(f->buf[0].price, p); /* at the best bid */
}

static void test_strategy_momentum_ioc_cancel_clears_in_flight(void **state)
{
	struct fx *f = *state;
	int64_t p = 1000000;

	for (int i = 0; i < 8; i++)
		market(f, p, p + 100);
	uint32_t orders = 0;
	for (int i = 0; i < 10 && orders == 0; i++) {
		p += 100;
		market(f, p, p + 100);
		orders = f->out.count;
	}
	assert_int_equal(orders, 1);
	struct ps_exec_report r = { .type = PS_REPORT_CANCELED,
				    .tag = f->buf[0].tag,
				    .side = PS_SIDE_BUY };
	ps_strategy_on_report(f->s, &r, 2000, &f->out);
	assert_int_equal(f->s->position, 0);
	p += 100;
	market(f, p, p + 100);
	assert_int_equal(f->out.count, 1);
}

static void test_strategy_momentum_rejects_bad_shifts(void **state)
{
	struct ps_config *c;
	struct ps_strategy *s;
	char err[256];
	(void)state;

	assert_int_equal(ps_config_load_string(&c,
					       "[strategy.m]\nkind = momentum\nfast_shift = 5\n"
					       "medium_shift = 4\n",
					       "m.ini", err, sizeof(err)),
			 0);
	assert_int_equal(ps_strategy_create(&s, c, "strategy.m", 1, 0, err, sizeof(err)),
			 PS_ECONFIG);
	assert_non_null(strstr(err, "fast_shift < medium_shift"));
	ps_config_destroy(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_strategy_momentum_buys_an_uptrend, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_strategy_momentum_ioc_cancel_clears_in_flight,
						setup, teardown),
		cmocka_unit_test(test_strategy_momentum_rejects_bad_shifts),
	};
	return cmocka_run_group_tests_name("strategy_momentum", tests, NULL, NULL);
}
