/* Matching engine: price-time priority, partial fills, IOC and market
 * orders, cancels and replaces as OUCH defines them, replayed aggressors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include <ps/err.h>
#include <ps/venue_match.h>

#define P(d) ((int64_t)((d)*10000 + 0.5))

struct fx {
	struct ps_book_set *books;
	struct ps_match m;
	struct ps_match_event ev[32];
	unsigned n;
};

static void record(void *ctx, const struct ps_match_event *ev)
{
	struct fx *f = ctx;
	assert_true(f->n < 32);
	f->ev[f->n++] = *ev;
}

static int setup(void **state)
{
	static struct fx f;
	struct ps_book_config bc = { .instrument_count = 2, .max_orders = 64, .max_levels = 16 };

	memset(&f, 0, sizeof(f));
	assert_int_equal(ps_book_set_create(&f.books, &bc), 0);
	assert_int_equal(ps_match_init(&f.m, f.books, record, &f), 0);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	ps_book_set_destroy(f->books);
	return 0;
}

static void test_venue_match_price_then_time_priority(void **state)
{
	struct fx *f = *state;

	assert_int_equal(ps_match_order(&f->m, 0, 1, PS_SIDE_SELL, P(10.02), 100, PS_TIF_DAY), 0);
	assert_int_equal(ps_match_order(&f->m, 0, 2, PS_SIDE_SELL, P(10.01), 100, PS_TIF_DAY), 0);
	assert_int_equal(ps_match_order(&f->m, 0, 3, PS_SIDE_SELL, P(10.01), 100, PS_TIF_DAY), 0);
	f->n = 0;
	/* Buy 250 @ 10.02: 2 (best price, oldest), 3, then 50 of 1. */
	assert_int_equal(ps_match_order(&f->m, 0, 9, PS_SIDE_BUY, P(10.02), 250, PS_TIF_DAY), 250);
	assert_int_equal(f->n, 4);
	assert_int_equal(f->ev[0].type, PS_MATCH_EV_EXECUTE);
	assert_int_equal(f->ev[0].id, 2);
	assert_int_equal(f->ev[0].price, P(10.01));
	assert_int_equal(f->ev[0].qty, 100);
	assert_int_equal(f->ev[0].leaves, 0);
	assert_int_equal(f->ev[0].taker_id, 9);
	assert_int_equal(f->ev[0].side, PS_SIDE_SELL);
	assert_int_equal(f->ev[1].id, 3);
	assert_int_equal(f->ev[2].id, 1);
	assert_int_equal(f->ev[2].price, P(10.02));
	assert_int_equal(f->ev[2].qty, 50);
	assert_int_equal(f->ev[2].leaves, 50);
	assert_true(f->ev[2].match_number > f->ev[1].match_number);
	assert_int_equal(f->ev[3].type, PS_MATCH_EV_DONE);
	assert_int_equal(f->ev[3].leaves, 0);
	assert_false(f->ev[3].rests);
	const struct ps_book_level *ask = ps_book_best(ps_book_set_get(f->books, 0), PS_SIDE_SELL);
	assert_int_equal(ask->price, P(10.02));
	assert_int_equal(ask->qty, 50);
}

static void test_venue_match_partial_fill_rests_day_order(void **state)
{
	struct fx *f = *state;

	assert_int_equal(ps_match_order(&f->m, 0, 1, PS_SIDE_BUY, P(9.99), 100, PS_TIF_DAY), 0);
	f->n = 0;
	assert_int_equal(ps_match_order(&f->m, 0, 2, PS_SIDE_SELL, P(9.98), 300, PS_TIF_DAY), 100);
	assert_int_equal(f->n, 3);
	assert_int_equal(f->ev[1].type, PS_MATCH_EV_DONE);
	assert_int_equal(f->ev[1].leaves, 200);
	assert_true(f->ev[1].rests);
	assert_int_equal(f->ev[2].type, PS_MATCH_EV_ADD);
	assert_int_equal(f->ev[2].qty, 200);
	assert_int_equal(f->ev[2].price, P(9.98));
	const struct ps_book_level *ask = ps_book_best(ps_book_set_get(f->books, 0), PS_SIDE_SELL);
	assert_int_equal(ask->qty, 200);
	assert_null(ps_book_best(ps_book_set_get(f->books, 0), PS_SIDE_BUY));
}

static void test_venue_match_ioc_and_market_never_rest(void **state)
{
	struct fx *f = *state;

	assert_int_equal(ps_match_order(&f->m, 0, 1, PS_SIDE_SELL, P(10.00), 100, PS_TIF_DAY), 0);
	assert_int_equal(ps_match_order(&f->m, 0, 2, PS_SIDE_BUY, P(10.00), 150, PS_TIF_IOC), 100);
	assert_null(ps_book_best(ps_book_set_get(f->books, 0), PS_SIDE_BUY));
	assert_int_equal(ps_match_order(&f->m, 0, 3, PS_SIDE_SELL, P(10.50), 100, PS_TIF_DAY), 0);
	assert_int_equal(ps_match_order(&f->m, 0, 4, PS_SIDE_SELL, P(11.00), 100, PS_TIF_DAY), 0);
	f->n = 0;
	assert_int_equal(
	    ps_match_order(&f->m, 0, 5, PS_SIDE_BUY, PS_MATCH_MARKET_BUY, 500, PS_TIF_IOC), 200);
	assert_int_equal(f->ev[2].type, PS_MATCH_EV_DONE);
	assert_int_equal(f->ev[2].leaves, 300);
	assert_false(f->ev[2].rests);
	/* A DAY market order is refused. */
	assert_int_equal(
	    ps_match_order(&f->m, 0, 6, PS_SIDE_BUY, PS_MATCH_MARKET_BUY, 1, PS_TIF_DAY), -EINVAL);
	assert_int_equal(ps_match_order(&f->m, 0, 7, PS_SIDE_BUY, P(1), 0, PS_TIF_DAY), -EINVAL);
	assert_int_equal(ps_match_order(&f->m, 5, 8, PS_SIDE_BUY, P(1), 1, PS_TIF_DAY),
			 PS_ENOTFOUND);
}

static void test_venue_match_cancel_to_remaining(void **state)
{
	struct fx *f = *state;

	assert_int_equal(ps_match_order(&f->m, 0, 1, PS_SIDE_BUY, P(10.00), 300, PS_TIF_DAY), 0);
	f->n = 0;
	assert_int_equal(ps_match_cancel(&f->m, 0, 1, 100), 200);
	assert_int_equal(f->ev[0].type, PS_MATCH_EV_CANCEL);
	assert_int_equal(f->ev[0].qty, 200);
	assert_int_equal(f->ev[0].leaves, 100);
	assert_int_equal(ps_match_cancel(&f->m, 0, 1, 500), 0); /* above: nothing */
	assert_int_equal(ps_match_cancel(&f->m, 0, 1, 0), 100);
	assert_int_equal(f->ev[1].type, PS_MATCH_EV_DELETE);
	assert_int_equal(ps_match_cancel(&f->m, 0, 1, 0), PS_ENOTFOUND);
	assert_null(ps_book_best(ps_book_set_get(f->books, 0), PS_SIDE_BUY));
}

static void test_venue_match_replace_loses_priority_and_can_trade(void **state)
{
	struct fx *f = *state;

	assert_int_equal(ps_match_order(&f->m, 0, 1, PS_SIDE_BUY, P(10.00), 100, PS_TIF_DAY), 0);
	assert_int_equal(ps_match_order(&f->m, 0, 2, PS_SIDE_BUY, P(10.00), 100, PS_TIF_DAY), 0);
	/* Same price replace: 1 -> 11 goes behind 2. */
	assert_int_equal(ps_match_replace(&f->m, 0, 1, 11, P(10.00), 100), 0);
	f->n = 0;
	assert_int_equal(ps_match_order(&f->m, 0, 3, PS_SIDE_SELL, P(10.00), 100, PS_TIF_IOC), 100);
	assert_int_equal(f->ev[0].id, 2);
	/* Marketable replace: resting ask 4 @ 10.05; replace 11 to 10.05 x 50 trades. */
	assert_int_equal(ps_match_order(&f->m, 0, 4, PS_SIDE_SELL, P(10.05), 100, PS_TIF_DAY), 0);
	f->n = 0;
	assert_int_equal(ps_match_replace(&f->m, 0, 11, 12, P(10.05), 50), 50);
	assert_int_equal(f->ev[0].type, PS_MATCH_EV_DELETE);
	assert_int_equal(f->ev[0].id, 11);
	assert_int_equal(f->ev[1].type, PS_MATCH_EV_EXECUTE);
	assert_int_equal(f->ev[1].id, 4);
	assert_int_equal(f->ev[1].taker_id, 12);
	assert_int_equal(ps_match_replace(&f->m, 0, 99, 100, P(10), 1), PS_ENOTFOUND);
}

/* What could not rest is refused before it trades: an id 0 (EXECUTE's name
 * for anonymous size), a DAY price outside the book's range, an id live in
 * another book of the set (the order table is shared). */
static void test_venue_match_refuses_before_trading(void **state)
{
	struct fx *f = *state;

	assert_int_equal(ps_match_order(&f->m, 0, 1, PS_SIDE_SELL, P(10.00), 100, PS_TIF_DAY), 0);
	assert_int_equal(ps_match_order(&f->m, 1, 2, PS_SIDE_BUY, P(9.00), 100, PS_TIF_DAY), 0);
	f->n = 0;
	assert_int_equal(ps_match_order(&f->m, 0, 0, PS_SIDE_BUY, P(10.00), 10, PS_TIF_DAY),
			 -EINVAL);
	assert_int_equal(
	    ps_match_order(&f->m, 0, 3, PS_SIDE_BUY, PS_BOOK_PRICE_LIMIT, 10, PS_TIF_DAY), -EINVAL);
	assert_int_equal(ps_match_order(&f->m, 0, 2, PS_SIDE_BUY, P(10.00), 10, PS_TIF_DAY),
			 PS_EDUPLICATE);
	assert_int_equal(f->n, 0);
	assert_int_equal(ps_book_order_get(ps_book_set_get(f->books, 0), 1)->qty, 100);
	/* A replace: new id 0, the same id, or one live in the other book. */
	assert_int_equal(ps_match_replace(&f->m, 0, 1, 0, P(10.01), 100), -EINVAL);
	assert_int_equal(ps_match_replace(&f->m, 0, 1, 1, P(10.01), 100), -EINVAL);
	assert_int_equal(ps_match_replace(&f->m, 0, 1, 2, P(10.01), 100), PS_EDUPLICATE);
	assert_int_equal(f->n, 0);
	assert_int_equal(f->m.stats.orders, 2);
	assert_int_equal(f->m.stats.executions, 0);
}

/* A replace to a price with no level left: the book drops the old order and
 * cannot rest the new one, and a DELETE says the old one ended. */
static void test_venue_match_replace_without_a_level_ends_the_order(void **state)
{
	struct fx *f = *state;

	for (uint64_t i = 1; i <= 16; i++) /* the fixture's 16 levels per side */
		assert_int_equal(ps_match_order(&f->m, 0, i, PS_SIDE_BUY, P(9.00) + (int64_t)i,
						10 * (uint32_t)i, PS_TIF_DAY),
				 0);
	f->n = 0;
	assert_int_equal(ps_match_replace(&f->m, 0, 3, 30, P(8.00), 50), PS_EFULL);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->ev[0].type, PS_MATCH_EV_DELETE);
	assert_int_equal(f->ev[0].id, 3);
	assert_int_equal(f->ev[0].qty, 30);
	assert_int_equal(f->ev[0].price, P(9.00) + 3);
	assert_int_equal(f->ev[0].side, PS_SIDE_BUY);
	const struct ps_book *b = ps_book_set_get(f->books, 0);
	assert_null(ps_book_order_get(b, 3));
	assert_null(ps_book_order_get(b, 30));
	assert_int_equal(ps_book_depth(b, PS_SIDE_BUY), 15);
	assert_int_equal(ps_book_validate(b), 0);
	/* At a price that still has its level, the replace goes through. */
	f->n = 0;
	assert_int_equal(ps_match_replace(&f->m, 0, 4, 40, P(9.00) + 5, 5), 0);
	assert_int_equal(f->ev[0].type, PS_MATCH_EV_REPLACE);
}

static void test_venue_match_replayed_aggressor_fills_by_priority(void **state)
{
	struct fx *f = *state;

	/* Background bid 1 @ 10.00; ours (1<<63 | 1) @ 10.01 is better. */
	uint64_t ours = (1ull << 63) | 1;
	assert_int_equal(ps_match_order(&f->m, 0, 1, PS_SIDE_BUY, P(10.00), 100, PS_TIF_DAY), 0);
	assert_int_equal(ps_match_order(&f->m, 0, ours, PS_SIDE_BUY, P(10.01), 100, PS_TIF_DAY), 0);
	f->n = 0;
	/* The day says "bid 1 executed 150 @ 10.00": the seller hits ours first. */
	assert_int_equal(ps_match_aggress(&f->m, 0, 77, PS_SIDE_BUY, P(10.00), 150), 150);
	assert_int_equal(f->ev[0].id, ours);
	assert_int_equal(f->ev[0].qty, 100);
	assert_int_equal(f->ev[0].price, P(10.01));
	assert_int_equal(f->ev[1].id, 1);
	assert_int_equal(f->ev[1].qty, 50);
	assert_int_equal(f->m.stats.executed_qty, 150);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_venue_match_price_then_time_priority, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_venue_match_partial_fill_rests_day_order,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_venue_match_ioc_and_market_never_rest, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_venue_match_cancel_to_remaining, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
		    test_venue_match_replace_loses_priority_and_can_trade, setup, teardown),
		cmocka_unit_test_setup_teardown(test_venue_match_refuses_before_trading, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
		    test_venue_match_replace_without_a_level_ends_the_order, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_venue_match_replayed_aggressor_fills_by_priority, setup, teardown),
	};
	return cmocka_run_group_tests_name("venue_match", tests, NULL, NULL);
}
