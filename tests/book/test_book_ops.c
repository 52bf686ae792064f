/*
 * Every ps_book operation on small hand-built books: FIFO priority, level
 * creation and removal, top-N, anonymous size, replace, each error counted
 * with its exact code, table overflow, clear, and no allocation across a
 * 1M-operation loop.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <ps/alloc.h>
#include <ps/book.h>
#include <ps/book_view.h>

struct fixture {
	struct ps_book_set *set;
	struct ps_book *book;
};

static int setup_cfg(void **state, uint32_t instruments, uint32_t orders, uint32_t levels)
{
	static struct fixture f;
	struct ps_book_config cfg = { .instrument_count = instruments,
				      .max_orders = orders,
				      .max_levels = levels };

	memset(&f, 0, sizeof(f));
	if (ps_book_set_create(&f.set, &cfg) != 0)
		return -1;
	f.book = &f.set->books[0];
	*state = &f;
	return 0;
}

static int setup(void **state)
{
	return setup_cfg(state, 2, 1024, 64);
}

static int setup_small(void **state)
{
	return setup_cfg(state, 1, 4, 3);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	for (uint32_t i = 0; i < f->set->book_count; i++)
		assert_int_equal(ps_book_validate(&f->set->books[i]), 0);
	ps_book_set_destroy(f->set);
	return 0;
}

/* Order ids in the FIFO of the level at side/price, oldest first. */
static uint32_t fifo(const struct ps_book *b, enum ps_side side, int64_t price, uint64_t *ids,
		     uint32_t max)
{
	const struct ps_book_level *l = ps_book_level_at(b, side, price);
	uint32_t n = 0;

	if (!l)
		return 0;
	for (uint32_t oi = l->head; oi != PS_BOOK_NIL && n < max; oi = b->orders->pool[oi].next)
		ids[n++] = b->orders->pool[oi].id;
	return n;
}

static void test_book_config_rejects_zero_sizes(void **state)
{
	struct ps_book_config cfg = { .instrument_count = 1, .max_orders = 0, .max_levels = 1 };
	struct ps_book_set *set = NULL;
	struct ps_book_set local;
	char mem[64] __attribute__((aligned(64)));

	(void)state;
	assert_int_equal(ps_book_set_memsize(&cfg), 0);
	assert_int_equal(ps_book_set_create(&set, &cfg), -EINVAL);
	cfg.max_orders = 1;
	cfg.max_levels = 0;
	assert_int_equal(ps_book_set_init(&local, mem, &cfg), -EINVAL);
	cfg.max_levels = 1;
	cfg.instrument_count = 0;
	assert_int_equal(ps_book_set_memsize(&cfg), 0);
	cfg.instrument_count = 1;
	assert_true(ps_book_set_memsize(&cfg) > 0);
	cfg.max_levels = PS_BOOK_MAX_LEVELS + 1;
	assert_int_equal(ps_book_set_memsize(&cfg), 0);
	cfg.max_levels = 1;
	assert_int_equal(ps_book_set_init(&local, mem + 1, &cfg), -EINVAL);
	ps_book_set_destroy(NULL);
}

static void test_book_memory_per_order_at_most_64_bytes(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct ps_book_order), 32);
	assert_int_equal(sizeof(struct ps_book_slot), 8);
	/* Worst rounding: slots = 2^k just above 2 * orders, so up to 4 per order. */
	for (uint32_t n = 1000; n < 3000000; n = n * 3 + 7) {
		struct ps_book_config cfg = { .instrument_count = 1,
					      .max_orders = n,
					      .max_levels = 1 };
		size_t bytes = ps_book_set_memsize(&cfg);

		assert_true(bytes <= 64 * (size_t)n + 4096);
	}
}

static void test_book_add_sets_best_and_levels(void **state)
{
	struct fixture *f = *state;
	struct ps_book *b = f->book;

	assert_null(ps_book_best(b, PS_SIDE_BUY));
	assert_int_equal(ps_book_add(b, 1, PS_SIDE_BUY, 1000, 10), 0);
	assert_int_equal(ps_book_add(b, 2, PS_SIDE_BUY, 1010, 20), 0);
	assert_int_equal(ps_book_add(b, 3, PS_SIDE_BUY, 990, 30), 0);
	assert_int_equal(ps_book_add(b, 4, PS_SIDE_SELL, 1030, 5), 0);
	assert_int_equal(ps_book_add(b, 5, PS_SIDE_SELL, 1020, 6), 0);
	assert_int_equal(ps_book_add(b, 6, PS_SIDE_SELL, 1020, 7), 0);

	assert_int_equal(ps_book_best(b, PS_SIDE_BUY)->price, 1010);
	assert_int_equal(ps_book_best(b, PS_SIDE_BUY)->qty, 20);
	assert_int_equal(ps_book_best(b, PS_SIDE_SELL)->price, 1020);
	assert_int_equal(ps_book_best(b, PS_SIDE_SELL)->qty, 13);
	assert_int_equal(ps_book_best(b, PS_SIDE_SELL)->order_count, 2);
	assert_int_equal(ps_book_depth(b, PS_SIDE_BUY), 3);
	assert_int_equal(ps_book_depth(b, PS_SIDE_SELL), 2);
	assert_int_equal(b->orders->live, 6);
	assert_int_equal(ps_book_order_get(b, 3)->qty, 30);
	assert_null(ps_book_order_get(b, 99));
	assert_int_equal(ps_book_validate(b), 0);
}

static void test_book_top_n_best_first(void **state)
{
	struct fixture *f = *state;
	struct ps_book *b = f->book;
	struct ps_book_level_view v[8];

	for (int i = 0; i < 5; i++) {
		assert_int_equal(ps_book_add(b, 100 + i, PS_SIDE_BUY, 900 + 10 * i, 1 + i), 0);
		assert_int_equal(ps_book_add(b, 200 + i, PS_SIDE_SELL, 1000 + 10 * i, 10 + i), 0);
	}
	assert_int_equal(ps_book_add(b, 300, PS_SIDE_BUY, 940, 100), 0);

	assert_int_equal(ps_book_top(b, PS_SIDE_BUY, 3, v), 3);
	assert_int_equal(v[0].price, 940);
	assert_int_equal(v[0].qty, 105);
	assert_int_equal(v[0].order_count, 2);
	assert_int_equal(v[1].price, 930);
	assert_int_equal(v[2].price, 920);
	assert_int_equal(ps_book_top(b, PS_SIDE_SELL, 8, v), 5);
	assert_int_equal(v[0].price, 1000);
	assert_int_equal(v[4].price, 1040);
	assert_int_equal(v[4].qty, 14);
	assert_int_equal(ps_book_top(b, PS_SIDE_SELL, 0, v), 0);
}

static void test_book_fifo_priority_kept_by_partial_fills(void **state)
{
	struct fixture *f = *state;
	struct ps_book *b = f->book;
	uint64_t ids[8] = { 0 };

	for (uint64_t id = 1; id <= 4; id++)
		assert_int_equal(ps_book_add(b, id, PS_SIDE_SELL, 500, 10), 0);
	assert_int_equal(fifo(b, PS_SIDE_SELL, 500, ids, 8), 4);
	assert_int_equal(ids[0], 1);
	assert_int_equal(ids[3], 4);

	/* Partial execute and cancel keep the place in the queue. */
	assert_int_equal(ps_book_execute(b, 1, 3, PS_SIDE_SELL, 500), 0);
	assert_int_equal(ps_book_cancel(b, 3, 4, PS_SIDE_SELL, 0), 0);
	assert_int_equal(fifo(b, PS_SIDE_SELL, 500, ids, 8), 4);
	assert_int_equal(ids[0], 1);
	assert_int_equal(ids[2], 3);
	assert_int_equal(ps_book_best(b, PS_SIDE_SELL)->qty, 33);

	/* Full execution of the head removes it; the next in line is first. */
	assert_int_equal(ps_book_execute(b, 1, 7, PS_SIDE_SELL, 0), 0);
	assert_null(ps_book_order_get(b, 1));
	assert_int_equal(fifo(b, PS_SIDE_SELL, 500, ids, 8), 3);
	assert_int_equal(ids[0], 2);
	/* Delete from the middle. */
	assert_int_equal(ps_book_delete(b, 3, PS_SIDE_SELL, 0, 0), 0);
	assert_int_equal(fifo(b, PS_SIDE_SELL, 500, ids, 8), 2);
	assert_int_equal(ids[0], 2);
	assert_int_equal(ids[1], 4);
	assert_int_equal(ps_book_best(b, PS_SIDE_SELL)->qty, 20);
	assert_int_equal(ps_book_best(b, PS_SIDE_SELL)->order_count, 2);
	assert_int_equal(ps_book_stats_total(&b->stats), 0);
}

static void test_book_level_removed_when_empty(void **state)
{
	struct fixture *f = *state;
	struct ps_book *b = f->book;

	assert_int_equal(ps_book_add(b, 1, PS_SIDE_BUY, 100, 5), 0);
	assert_int_equal(ps_book_add(b, 2, PS_SIDE_BUY, 101, 5), 0);
	assert_int_equal(ps_book_add(b, 3, PS_SIDE_BUY, 99, 5), 0);
	assert_int_equal(ps_book_delete(b, 2, PS_SIDE_BUY, 0, 0), 0);
	assert_int_equal(ps_book_best(b, PS_SIDE_BUY)->price, 100);
	assert_int_equal(ps_book_depth(b, PS_SIDE_BUY), 2);
	assert_null(ps_book_level_at(b, PS_SIDE_BUY, 101));
	assert_int_equal(ps_book_execute(b, 3, 5, PS_SIDE_BUY, 99), 0);
	assert_int_equal(ps_book_depth(b, PS_SIDE_BUY), 1);
	assert_int_equal(ps_book_cancel(b, 1, 5, PS_SIDE_BUY, 100), 0);
	assert_int_equal(ps_book_depth(b, PS_SIDE_BUY), 0);
	assert_null(ps_book_best(b, PS_SIDE_BUY));
	assert_int_equal(b->orders->live, 0);
}

static void test_book_deep_levels_use_binary_search(void **state)
{
	struct fixture *f = *state;
	struct ps_book *b = f->book;
	struct ps_book_level_view v[64];

	/* 60 levels in shuffled order: inserts deep in the array. */
	for (uint32_t i = 0; i < 60; i++) {
		int64_t price = 1000 + (int64_t)((i * 37) % 60) * 5;

		assert_int_equal(ps_book_add(b, 1000 + i, PS_SIDE_SELL, price, i + 1), 0);
	}
	assert_int_equal(ps_book_validate(b), 0);
	assert_int_equal(ps_book_top(b, PS_SIDE_SELL, 64, v), 60);
	for (uint32_t i = 0; i < 60; i++)
		assert_int_equal(v[i].price, 1000 + 5 * (int64_t)i);
	/* Remove deep ones first. */
	for (uint32_t i = 0; i < 60; i += 2)
		assert_int_equal(ps_book_delete(b, 1000 + i, PS_SIDE_SELL, 0, 0), 0);
	assert_int_equal(ps_book_validate(b), 0);
	assert_int_equal(ps_book_depth(b, PS_SIDE_SELL), 30);
	assert_non_null(ps_book_level_at(b, PS_SIDE_SELL, 1000 + 5 * ((1 * 37) % 60)));
	assert_null(ps_book_level_at(b, PS_SIDE_SELL, 1000));
}

static void test_book_replace_moves_order_and_loses_priority(void **state)
{
	struct fixture *f = *state;
	struct ps_book *b = f->book;
	uint64_t ids[8] = { 0 };

	assert_int_equal(ps_book_add(b, 1, PS_SIDE_BUY, 100, 10), 0);
	assert_int_equal(ps_book_add(b, 2, PS_SIDE_BUY, 100, 10), 0);
	assert_int_equal(ps_book_add(b, 3, PS_SIDE_BUY, 99, 10), 0);

	/* Same price, new id, new qty: goes to the back of the queue. */
	assert_int_equal(ps_book_replace(b, 1, 11, 100, 4), 0);
	assert_null(ps_book_order_get(b, 1));
	assert_int_equal(ps_book_order_get(b, 11)->qty, 4);
	assert_int_equal(fifo(b, PS_SIDE_BUY, 100, ids, 8), 2);
	assert_int_equal(ids[0], 2);
	assert_int_equal(ids[1], 11);
	assert_int_equal(ps_book_best(b, PS_SIDE_BUY)->qty, 14);

	/* New price: old level empties and goes, new level appears, side kept. */
	assert_int_equal(ps_book_replace(b, 3, 13, 98, 7), 0);
	assert_null(ps_book_level_at(b, PS_SIDE_BUY, 99));
	assert_int_equal(ps_book_level_at(b, PS_SIDE_BUY, 98)->qty, 7);
	assert_int_equal(ps_book_order_get(b, 13)->side, PS_SIDE_BUY);
	/* Replace the only order of the best level to a better price. */
	assert_int_equal(ps_book_replace(b, 13, 23, 105, 1), 0);
	assert_int_equal(ps_book_best(b, PS_SIDE_BUY)->price, 105);
	assert_int_equal(ps_book_depth(b, PS_SIDE_BUY), 2);
	assert_int_equal(b->orders->live, 3);
	assert_int_equal(ps_book_stats_total(&b->stats), 0);
}

static void test_book_replace_errors_change_nothing(void **state)
{
	struct fixture *f = *state;
	struct ps_book *b = f->book;

	assert_int_equal(ps_book_add(b, 1, PS_SIDE_SELL, 100, 10), 0);
	assert_int_equal(ps_book_add(b, 2, PS_SIDE_SELL, 101, 10), 0);
	assert_int_equal(ps_book_replace(b, 7, 8, 100, 1), PS_ENOTFOUND);
	assert_int_equal(ps_book_replace(b, 1, 2, 100, 1), PS_EDUPLICATE);
	assert_int_equal(ps_book_replace(b, 1, 9, 100, 0), -EINVAL);
	assert_int_equal(b->stats.unknown_id, 1);
	assert_int_equal(b->stats.duplicate_id, 1);
	assert_int_equal(b->stats.invalid, 1);
	assert_int_equal(ps_book_order_get(b, 1)->qty, 10);
	assert_int_equal(ps_book_best(b, PS_SIDE_SELL)->qty, 10);
	assert_int_equal(b->orders->live, 2);
}

static void test_book_anonymous_size_reduced_by_unknown_ids(void **state)
{
	struct fixture *f = *state;
	struct ps_book *b = f->book;

	assert_int_equal(ps_book_add_anonymous(b, PS_SIDE_BUY, 100, 50), 0);
	assert_int_equal(ps_book_add(b, 1, PS_SIDE_BUY, 100, 10), 0);
	const struct ps_book_level *l = ps_book_best(b, PS_SIDE_BUY);
	assert_int_equal(l->qty, 60);
	assert_int_equal(l->anon_qty, 50);
	assert_int_equal(l->order_count, 1);

	/* Unknown ids at a price eat anonymous size, not the known order. */
	assert_int_equal(ps_book_execute(b, 77, 20, PS_SIDE_BUY, 100), 0);
	assert_int_equal(ps_book_cancel(b, 78, 5, PS_SIDE_BUY, 100), 0);
	assert_int_equal(ps_book_delete(b, 79, PS_SIDE_BUY, 100, 5), 0);
	assert_int_equal(l->qty, 30);
	assert_int_equal(l->anon_qty, 20);
	assert_int_equal(ps_book_order_get(b, 1)->qty, 10);

	/* More than is there: counted, clamped to zero. */
	assert_int_equal(ps_book_execute(b, 80, 25, PS_SIDE_BUY, 100), -ERANGE);
	assert_int_equal(b->stats.negative_qty, 1);
	assert_int_equal(l->anon_qty, 0);
	assert_int_equal(l->qty, 10);
	/* No anonymous size left: unknown id. */
	assert_int_equal(ps_book_execute(b, 81, 1, PS_SIDE_BUY, 100), PS_ENOTFOUND);
	/* No price: unknown id. */
	assert_int_equal(ps_book_execute(b, 81, 1, PS_SIDE_BUY, 0), PS_ENOTFOUND);
	/* No level there. */
	assert_int_equal(ps_book_cancel(b, 81, 1, PS_SIDE_BUY, 90), PS_ENOTFOUND);
	assert_int_equal(b->stats.unknown_id, 3);

	/* A level of only anonymous size goes away when it reaches zero. */
	assert_int_equal(ps_book_add_anonymous(b, PS_SIDE_SELL, 110, 5), 0);
	assert_int_equal(ps_book_delete(b, 90, PS_SIDE_SELL, 110, 5), 0);
	assert_null(ps_book_best(b, PS_SIDE_SELL));
	assert_int_equal(ps_book_add_anonymous(b, PS_SIDE_SELL, 110, 0), -EINVAL);
}

static void test_book_errors_counted_with_exact_codes(void **state)
{
	struct fixture *f = *state;
	struct ps_book *b = f->book;
	char text[256];

	assert_int_equal(ps_book_diag_format(&b->diag, text, sizeof(text)), 9);
	assert_string_equal(text, "no errors");
	assert_int_equal(ps_book_add(b, 1, PS_SIDE_BUY, 100, 10), 0);
	assert_int_equal(ps_book_add(b, 1, PS_SIDE_BUY, 100, 10), PS_EDUPLICATE);
	assert_int_equal(ps_book_add(b, 2, PS_SIDE_BUY, 100, 0), -EINVAL);
	assert_int_equal(ps_book_add(b, 2, (enum ps_side)7, 100, 1), -EINVAL);
	assert_int_equal(ps_book_execute(b, 9, 1, PS_SIDE_BUY, 0), PS_ENOTFOUND);
	assert_int_equal(ps_book_execute(b, 1, 0, PS_SIDE_BUY, 0), -EINVAL);
	assert_int_equal(ps_book_delete(b, 9, PS_SIDE_BUY, 0, 0), PS_ENOTFOUND);
	/* Crossing: applied, counted, reported. */
	assert_int_equal(ps_book_add(b, 3, PS_SIDE_SELL, 100, 4), PS_ECROSSED);
	assert_true(ps_book_crossed(b));
	assert_int_equal(ps_book_delete(b, 3, PS_SIDE_SELL, 0, 0), 0);
	assert_false(ps_book_crossed(b));
	assert_int_equal(ps_book_add_anonymous(b, PS_SIDE_SELL, 99, 4), PS_ECROSSED);
	assert_int_equal(ps_book_delete(b, 5, PS_SIDE_SELL, 99, 4), 0);
	/* Overfill of a known order: counted, order removed. */
	assert_int_equal(ps_book_execute(b, 1, 11, PS_SIDE_BUY, 0), -ERANGE);
	assert_null(ps_book_order_get(b, 1));
	assert_null(ps_book_best(b, PS_SIDE_BUY));

	assert_int_equal(b->stats.duplicate_id, 1);
	assert_int_equal(b->stats.invalid, 3);
	assert_int_equal(b->stats.unknown_id, 2);
	assert_int_equal(b->stats.crossed, 2);
	assert_int_equal(b->stats.negative_qty, 1);
	assert_int_equal(ps_book_stats_total(&b->stats), 9);
	assert_int_equal(b->diag.count, 9);
	assert_int_equal(b->diag.err, -ERANGE);
	assert_int_equal(b->diag.op, PS_BOOK_OP_EXECUTE);
	assert_int_equal(b->diag.order_id, 1);
	assert_true(ps_book_diag_format(&b->diag, text, sizeof(text)) > 0);
	assert_non_null(strstr(text, "execute"));
	assert_non_null(strstr(text, "order 1 "));
}

static void test_book_ids_are_per_book(void **state)
{
	struct fixture *f = *state;
	struct ps_book *b0 = &f->set->books[0], *b1 = &f->set->books[1];

	assert_ptr_equal(ps_book_set_get(f->set, 1), b1);

	assert_null(ps_book_set_get(f->set, 2));
	assert_int_equal(ps_book_add(b0, 1, PS_SIDE_BUY, 100, 10), 0);
	/* The table is shared: the id is taken in every book. */
	assert_int_equal(ps_book_add(b1, 1, PS_SIDE_BUY, 100, 10), PS_EDUPLICATE);
	assert_int_equal(ps_book_execute(b1, 1, 1, PS_SIDE_BUY, 0), PS_ENOTFOUND);
	assert_int_equal(ps_book_delete(b1, 1, PS_SIDE_BUY, 0, 0), PS_ENOTFOUND);
	assert_int_equal(ps_book_replace(b1, 1, 2, 100, 1), PS_ENOTFOUND);
	assert_null(ps_book_order_get(b1, 1));
	assert_int_equal(ps_book_order_get(b0, 1)->qty, 10);
}

static void test_book_full_table_returns_efull(void **state)
{
	struct fixture *f = *state;
	struct ps_book *b = f->book;

	/* 4 orders, 3 levels per side. */
	for (uint64_t id = 1; id <= 4; id++)
		assert_int_equal(ps_book_add(b, id, PS_SIDE_BUY, 100, 1), 0);
	assert_int_equal(ps_book_add(b, 5, PS_SIDE_BUY, 100, 1), PS_EFULL);
	assert_int_equal(b->stats.full, 1);
	assert_int_equal(ps_book_best(b, PS_SIDE_BUY)->qty, 4);
	assert_int_equal(ps_book_delete(b, 4, PS_SIDE_BUY, 0, 0), 0);
	assert_int_equal(ps_book_add(b, 5, PS_SIDE_BUY, 101, 1), 0);
	assert_int_equal(ps_book_replace(b, 3, 6, 102, 1), 0);
	/* Levels 100, 101, 102 exist: a fourth price is full. */
	assert_int_equal(ps_book_add_anonymous(b, PS_SIDE_BUY, 103, 1), PS_EFULL);
	assert_int_equal(ps_book_delete(b, 2, PS_SIDE_BUY, 0, 0), 0);
	assert_int_equal(ps_book_add(b, 7, PS_SIDE_BUY, 104, 1), PS_EFULL);
	/* Replace to a new price with no level left: old order gone, counted. */
	assert_int_equal(ps_book_replace(b, 5, 8, 104, 1), PS_EFULL);
	assert_null(ps_book_order_get(b, 5));
	assert_null(ps_book_order_get(b, 8));
	assert_int_equal(b->stats.full, 4);
	assert_int_equal(ps_book_validate(b), 0);
	assert_int_equal(b->orders->live, 2);
}

static void test_book_apply_dispatches_by_instrument(void **state)
{
	struct fixture *f = *state;
	struct ps_md_event ev = { .type = PS_MD_ADD,
				  .instrument = 1,
				  .order_id = 5,
				  .side = PS_SIDE_SELL,
				  .price = 2000,
				  .qty = 30 };
	struct ps_book *b1 = &f->set->books[1];
	struct ps_book_stats st;

	assert_int_equal(ps_book_apply(f->set, &ev), 0);
	assert_int_equal(ps_book_best(b1, PS_SIDE_SELL)->qty, 30);
	assert_null(ps_book_best(f->book, PS_SIDE_SELL));
	ev.type = PS_MD_EXECUTE;
	ev.qty = 10;
	assert_int_equal(ps_book_apply(f->set, &ev), 0);
	ev.type = PS_MD_CANCEL;
	ev.qty = 5;
	assert_int_equal(ps_book_apply(f->set, &ev), 0);
	assert_int_equal(ps_book_best(b1, PS_SIDE_SELL)->qty, 15);
	ev.type = PS_MD_REPLACE;
	ev.new_order_id = 6;
	ev.price = 2001;
	ev.qty = 8;
	assert_int_equal(ps_book_apply(f->set, &ev), 0);
	assert_int_equal(ps_book_best(b1, PS_SIDE_SELL)->price, 2001);
	ev.type = PS_MD_TRADE;
	assert_int_equal(ps_book_apply(f->set, &ev), 0);
	ev.type = PS_MD_STATUS;
	assert_int_equal(ps_book_apply(f->set, &ev), 0);
	ev.type = PS_MD_DELETE;
	ev.order_id = 6;
	assert_int_equal(ps_book_apply(f->set, &ev), 0);
	assert_null(ps_book_best(b1, PS_SIDE_SELL));
	ev.instrument = 9;
	assert_int_equal(ps_book_apply(f->set, &ev), PS_ENOTFOUND);
	ps_book_set_stats(f->set, &st);
	assert_int_equal(st.unknown_instrument, 1);
	assert_int_equal(ps_book_stats_total(&st), 1);

	/* CLEAR empties one book and frees its orders. */
	ev = (struct ps_md_event){ .type = PS_MD_ADD, .instrument = 1, .side = PS_SIDE_BUY };
	for (uint64_t id = 10; id < 20; id++) {
		ev.order_id = id;
		ev.price = 100 + (int64_t)(id % 3);
		ev.qty = 1;
		assert_int_equal(ps_book_apply(f->set, &ev), 0);
	}
	assert_int_equal(ps_book_add(f->book, 50, PS_SIDE_BUY, 10, 1), 0);
	assert_int_equal(ps_book_add_anonymous(b1, PS_SIDE_SELL, 200, 3), 0);
	ev.type = PS_MD_CLEAR;
	assert_int_equal(ps_book_apply(f->set, &ev), 0);
	assert_null(ps_book_best(b1, PS_SIDE_BUY));
	assert_null(ps_book_best(b1, PS_SIDE_SELL));
	assert_int_equal(f->set->orders.live, 1);
	assert_int_equal(ps_book_order_get(f->book, 50)->qty, 1);
	for (uint64_t id = 10; id < 20; id++)
		assert_int_equal(ps_book_add(b1, id, PS_SIDE_BUY, 100, 1), 0);
}

static void test_book_no_allocation_in_1m_operations(void **state)
{
	struct fixture *f = *state;
	struct ps_book *b = f->book;
	uint64_t before = ps_alloc_count();
	uint64_t next_id = 1, oldest = 1;
	uint32_t rnd = 12345;

	for (uint32_t i = 0; i < 1000000; i++) {
		rnd = rnd * 1103515245u + 12345u;
		uint32_t r = rnd >> 16;
		enum ps_side side = (r & 1) ? PS_SIDE_SELL : PS_SIDE_BUY;
		int64_t price = side == PS_SIDE_BUY ? 1000 - (r >> 1) % 20 : 1001 + (r >> 1) % 20;

		if (next_id - oldest < 500) {
			assert_int_equal(ps_book_add(b, next_id++, side, price, 1 + r % 100), 0);
		} else {
			switch (r % 4) {
			case 0:
				assert_int_equal(ps_book_delete(b, oldest++, side, 0, 0), 0);
				break;
			case 1: {
				/* Keep the side's price range: the order keeps its side. */
				int64_t p = ps_book_order_get(b, oldest)->side == PS_SIDE_BUY
						? 1000 - (r >> 1) % 20
						: 1001 + (r >> 1) % 20;

				assert_int_equal(ps_book_replace(b, oldest++, next_id++, p, 5), 0);
				break;
			}
			default: {
				const struct ps_book_order *o = ps_book_order_get(b, oldest);

				assert_int_equal(ps_book_execute(b, oldest, o->qty, side, 0), 0);
				oldest++;
				break;
			}
			}
		}
	}
	assert_int_equal(ps_alloc_count(), before);
	assert_int_equal(ps_book_stats_total(&b->stats), 0);
	assert_int_equal(ps_book_validate(b), 0);
}

static void test_book_price_limits_rejected(void **state)
{
	struct fixture *f = *state;
	struct ps_book *b = f->book;
	const int64_t lim = PS_BOOK_PRICE_LIMIT;

	assert_int_equal(ps_book_add(b, 1, PS_SIDE_BUY, lim - 1, 1), 0);
	assert_int_equal(ps_book_add(b, 2, PS_SIDE_SELL, lim, 1), -EINVAL);
	assert_int_equal(ps_book_add(b, 3, PS_SIDE_BUY, -lim, 1), -EINVAL);
	assert_int_equal(ps_book_add(b, 4, PS_SIDE_BUY, -lim + 1, 1), 0);
	assert_int_equal(ps_book_add_anonymous(b, PS_SIDE_BUY, INT64_MAX, 1), -EINVAL);
	assert_int_equal(ps_book_replace(b, 1, 5, INT64_MIN, 1), -EINVAL);
	assert_null(ps_book_level_at(b, PS_SIDE_BUY, INT64_MIN));
	assert_int_equal(ps_book_execute(b, 99, 1, PS_SIDE_BUY, INT64_MAX), PS_ENOTFOUND);
	assert_int_equal(ps_book_best(b, PS_SIDE_BUY)->price, lim - 1);
	/* Negative prices are valid (spreads, some futures). */
	assert_int_equal(ps_book_add(b, 6, PS_SIDE_SELL, lim - 1, 1), PS_ECROSSED);
	assert_int_equal(ps_book_delete(b, 6, PS_SIDE_SELL, 0, 0), 0);
	assert_int_equal(ps_book_add(b, 7, PS_SIDE_SELL, -5, 2), PS_ECROSSED);
	assert_int_equal(ps_book_delete(b, 1, PS_SIDE_BUY, 0, 0), 0);
	assert_false(ps_book_crossed(b));
	assert_int_equal(ps_book_best(b, PS_SIDE_SELL)->price, -5);
	assert_int_equal(b->stats.invalid, 4);
}

static void test_book_level_reset_replaces_orders_with_anonymous(void **state)
{
	struct fixture *f = *state;
	struct ps_book *b = f->book;

	assert_int_equal(ps_book_add(b, 1, PS_SIDE_SELL, 100, 10), 0);
	assert_int_equal(ps_book_add(b, 2, PS_SIDE_SELL, 100, 20), 0);
	assert_int_equal(ps_book_add_anonymous(b, PS_SIDE_SELL, 100, 5), 0);
	assert_int_equal(ps_book_add(b, 3, PS_SIDE_SELL, 101, 1), 0);
	assert_int_equal(ps_book_level_reset(b, PS_SIDE_SELL, 100, 7), 0);
	const struct ps_book_level *l = ps_book_level_at(b, PS_SIDE_SELL, 100);
	assert_non_null(l);
	assert_int_equal(l->qty, 7);
	assert_int_equal(l->anon_qty, 7);
	assert_int_equal(l->order_count, 0);
	assert_null(ps_book_order_get(b, 1));
	assert_null(ps_book_order_get(b, 2));
	/* Events on the forgotten ids fall back to the anonymous size. */
	assert_int_equal(ps_book_execute(b, 1, 3, PS_SIDE_SELL, 100), 0);
	assert_int_equal(l->qty, 4);
	/* qty 0 removes the level; a missing level is created. */
	assert_int_equal(ps_book_level_reset(b, PS_SIDE_SELL, 100, 0), 0);
	assert_null(ps_book_level_at(b, PS_SIDE_SELL, 100));
	assert_int_equal(ps_book_level_reset(b, PS_SIDE_SELL, 105, 9), 0);
	assert_int_equal(ps_book_level_at(b, PS_SIDE_SELL, 105)->qty, 9);
	assert_int_equal(ps_book_level_reset(b, PS_SIDE_SELL, 106, 0), 0);
	assert_int_equal(ps_book_level_reset(b, (enum ps_side)2, 106, 1), -EINVAL);
	assert_int_equal(b->orders->live, 1);
}

static void view_set(struct ps_book_view *v, unsigned side, uint32_t i, int64_t price, uint64_t qty)
{
	v->side[side][i].price = price;
	v->side[side][i].qty = qty;
}

static void test_book_view_refill_only_levels_coming_into_view(void **state)
{
	struct fixture *f = *state;
	struct ps_book *b = f->book;
	struct ps_book_view prev, want, got;
	struct ps_md_event ev = { .type = PS_MD_DELETE, .side = PS_SIDE_SELL, .price = 100 };
	uint64_t refills = 0, drops = 0;
	char text[256];

	memset(&prev, 0, sizeof(prev));
	memset(&want, 0, sizeof(want));
	prev.levels = want.levels = got.levels = 2;
	/* Seed: asks 100 x 5, 101 x 6, and the book remembers 102 x 3 deeper. */
	view_set(&prev, PS_SIDE_SELL, 0, 100, 5);
	view_set(&prev, PS_SIDE_SELL, 1, 101, 6);
	assert_int_equal(ps_book_view_refill(b, &prev, NULL, NULL, NULL, NULL), 0);
	assert_int_equal(ps_book_add(b, 1, PS_SIDE_SELL, 102, 3), 0);
	/* 100 is deleted: 101 moves up, 102 comes into view with size 4 (it
	 * changed out of view), so it is refilled; 101 is known, kept. */
	assert_int_equal(ps_book_delete(b, 9, PS_SIDE_SELL, 100, 5), 0);
	view_set(&want, PS_SIDE_SELL, 0, 101, 6);
	view_set(&want, PS_SIDE_SELL, 1, 102, 4);
	assert_int_equal(ps_book_view_refill(b, &want, &prev, &ev, &refills, &drops), 0);
	assert_int_equal(refills, 1);
	assert_int_equal(drops, 0);
	ps_book_view_get(b, &got);
	assert_true(ps_book_view_equal(&want, &got));
	assert_null(ps_book_order_get(b, 1));

	/* A known level with a wrong size is not refilled: a mismatch. */
	prev = want;
	view_set(&want, PS_SIDE_SELL, 0, 101, 7);
	ev.price = 200;
	assert_int_equal(ps_book_view_refill(b, &want, &prev, &ev, &refills, &drops), 0);
	assert_int_equal(refills, 1);
	ps_book_view_get(b, &got);
	assert_false(ps_book_view_equal(&want, &got));
	assert_true(ps_book_view_format(&got, text, sizeof(text)) > 0);
	assert_string_equal(text, "bid - - | ask 6@101 4@102");

	/* A remembered deeper level that is gone when it would come into view
	 * is dropped. */
	view_set(&want, PS_SIDE_SELL, 0, 101, 6);
	assert_int_equal(ps_book_add(b, 2, PS_SIDE_SELL, 103, 1), 0);
	assert_int_equal(ps_book_level_reset(b, PS_SIDE_SELL, 102, 0), 0);
	view_set(&want, PS_SIDE_SELL, 1, 104, 2);
	assert_int_equal(ps_book_view_refill(b, &want, &prev, NULL, &refills, &drops), 0);
	assert_int_equal(drops, 1);
	assert_int_equal(refills, 2);
	ps_book_view_get(b, &got);
	assert_true(ps_book_view_equal(&want, &got));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_book_config_rejects_zero_sizes),
		cmocka_unit_test(test_book_memory_per_order_at_most_64_bytes),
		cmocka_unit_test_setup_teardown(test_book_add_sets_best_and_levels, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_book_top_n_best_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_book_fifo_priority_kept_by_partial_fills,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_book_level_removed_when_empty, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_book_deep_levels_use_binary_search, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_book_replace_moves_order_and_loses_priority,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_book_replace_errors_change_nothing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_book_anonymous_size_reduced_by_unknown_ids,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_book_errors_counted_with_exact_codes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_book_ids_are_per_book, setup, teardown),
		cmocka_unit_test_setup_teardown(test_book_full_table_returns_efull, setup_small,
						teardown),
		cmocka_unit_test_setup_teardown(test_book_apply_dispatches_by_instrument, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_book_no_allocation_in_1m_operations, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_book_price_limits_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_book_level_reset_replaces_orders_with_anonymous, setup, teardown),
		cmocka_unit_test_setup_teardown(test_book_view_refill_only_levels_coming_into_view,
						setup, teardown),
	};

	return cmocka_run_group_tests_name("book_ops", tests, NULL, NULL);
}
