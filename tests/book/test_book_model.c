/*
 * ps_book against a brute-force reference model: random add / execute /
 * cancel / delete / replace / anonymous operations on two books sharing one
 * small order table (so the hash wraps and backward-shift deletion runs on
 * long probe chains), with sparse 64-bit ids and with dense ids. After every
 * operation the book must validate; every 256 operations every order, every
 * level total and every FIFO order is compared with the model.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <ps/book.h>

#define MODEL_ORDERS 600
#define PRICES       24 /* prices 0..23: bids 1..11, asks 12..23 (never cross) */

struct model_order {
	uint64_t id;
	uint64_t seq; /* time priority */
	int64_t price;
	uint32_t qty;
	uint32_t book;
	uint8_t side;
	bool live;
};

struct model {
	struct model_order o[MODEL_ORDERS];
	uint64_t anon[2][2][PRICES]; /* book, side, price */
	uint64_t seq;
	uint64_t rnd;
	bool sparse;
};

static uint64_t next_rand(struct model *m)
{
	/* xorshift64*: a fixed seed makes every failure reproducible. */
	m->rnd ^= m->rnd >> 12;
	m->rnd ^= m->rnd << 25;
	m->rnd ^= m->rnd >> 27;
	return m->rnd * 0x2545F4914F6CDD1Dull;
}

static int64_t pick_price(struct model *m, unsigned side)
{
	uint64_t r = next_rand(m) % 11;

	return side == PS_SIDE_BUY ? (int64_t)(1 + r) : (int64_t)(12 + r);
}

static uint64_t new_id(struct model *m, uint64_t *dense)
{
	return m->sparse ? next_rand(m) | 1u : ++*dense;
}

static void compare(struct ps_book_set *set, const struct model *m)
{
	for (uint32_t bi = 0; bi < 2; bi++) {
		const struct ps_book *b = &set->books[bi];

		assert_int_equal(ps_book_validate(b), 0);
		for (unsigned side = 0; side < 2; side++) {
			for (int64_t p = 0; p < PRICES; p++) {
				uint64_t qty = m->anon[bi][side][p], last_seq = 0;
				uint32_t count = 0;

				for (int i = 0; i < MODEL_ORDERS; i++) {
					const struct model_order *o = &m->o[i];

					if (o->live && o->book == bi && o->side == side &&
					    o->price == p) {
						qty += o->qty;
						count++;
					}
				}
				const struct ps_book_level *l = ps_book_level_at(b, side, p);
				if (qty == 0) {
					assert_null(l);
					continue;
				}
				assert_non_null(l);
				assert_int_equal(l->qty, qty);
				assert_int_equal(l->order_count, count);
				assert_int_equal(l->anon_qty, m->anon[bi][side][p]);
				/* FIFO: sequence numbers increase from head to tail. */
				for (uint32_t oi = l->head; oi != PS_BOOK_NIL;
				     oi = b->orders->pool[oi].next) {
					uint64_t id = b->orders->pool[oi].id;
					uint64_t seq = 0;

					for (int i = 0; i < MODEL_ORDERS; i++)
						if (m->o[i].live && m->o[i].id == id)
							seq = m->o[i].seq;
					assert_true(seq > last_seq);
					last_seq = seq;
				}
			}
		}
	}
}

static void run_model(bool sparse, uint64_t seed)
{
	static struct model m;
	struct ps_book_config cfg = { .instrument_count = 2,
				      .max_orders = MODEL_ORDERS,
				      .max_levels = PRICES };
	struct ps_book_set *set;
	uint64_t dense = 0, overdrawn = 0;
	uint32_t ops = 100000;
	const char *scale = getenv("PS_STRESS_SCALE");

	double factor = scale ? strtod(scale, NULL) : 0;

	if (factor > 0)
		ops = (uint32_t)(ops * factor);
	memset(&m, 0, sizeof(m));
	m.sparse = sparse;
	m.rnd = seed;
	assert_int_equal(ps_book_set_create(&set, &cfg), 0);

	for (uint32_t n = 0; n < ops; n++) {
		uint64_t r = next_rand(&m);
		int slot = (int)(r % MODEL_ORDERS);
		struct model_order *o = &m.o[slot];
		uint32_t bi = (uint32_t)((r >> 16) & 1);
		struct ps_book *b = &set->books[o->live ? o->book : bi];
		unsigned op = (unsigned)((r >> 20) % 8);

		if (!o->live) {
			if (op == 7) { /* anonymous size */
				unsigned side = (r >> 24) & 1;
				int64_t p = pick_price(&m, side);
				uint32_t q = 1 + (uint32_t)(r >> 40) % 50;

				assert_int_equal(ps_book_add_anonymous(b, side, p, q), 0);
				m.anon[bi][side][p] += q;
				continue;
			}
			if (op == 6) { /* unknown id eats anonymous size */
				unsigned side = (r >> 24) & 1;
				int64_t p = pick_price(&m, side);
				uint64_t have = m.anon[bi][side][p];
				uint32_t q = 1 + (uint32_t)(r >> 40) % 20;

				if (have == 0)
					continue;
				int rc = ps_book_cancel(b, 0xdeadull << 40, q, side, p);
				assert_int_equal(rc, q > have ? -ERANGE : 0);
				m.anon[bi][side][p] = q > have ? 0 : have - q;
				overdrawn += q > have;
				continue;
			}
			o->id = new_id(&m, &dense);
			o->side = (r >> 24) & 1;
			o->price = pick_price(&m, o->side);
			o->qty = 1 + (uint32_t)(r >> 40) % 100;
			o->book = bi;
			o->seq = ++m.seq;
			o->live = true;
			assert_int_equal(ps_book_add(b, o->id, o->side, o->price, o->qty), 0);
		} else {
			uint32_t q = 1 + (uint32_t)(r >> 40) % 60;

			switch (op) {
			case 0:
			case 1:
			case 2:
				if (q >= o->qty) {
					q = o->qty;
					o->live = false;
				}
				assert_int_equal(ps_book_execute(b, o->id, q, o->side, 0), 0);
				o->qty -= q;
				break;
			case 3:
			case 4:
				if (q >= o->qty) {
					q = o->qty;
					o->live = false;
				}
				assert_int_equal(ps_book_cancel(b, o->id, q, o->side, o->price), 0);
				o->qty -= q;
				break;
			case 5:
				assert_int_equal(ps_book_delete(b, o->id, o->side, 0, 0), 0);
				o->live = false;
				break;
			default: {
				uint64_t id = new_id(&m, &dense);

				o->price = pick_price(&m, o->side);
				assert_int_equal(ps_book_replace(b, o->id, id, o->price, q), 0);
				o->id = id;
				o->qty = q;
				o->seq = ++m.seq;
				break;
			}
			}
		}
		if ((n & 255) == 0)
			compare(set, &m);
	}
	compare(set, &m);
	struct ps_book_stats st;
	ps_book_set_stats(set, &st);
	assert_int_equal(st.negative_qty, overdrawn);
	assert_int_equal(ps_book_stats_total(&st), overdrawn);
	ps_book_set_destroy(set);
}

static void test_book_model_sparse_ids(void **state)
{
	(void)state;
	run_model(true, 0x1234567887654321ull);
}

static void test_book_model_dense_ids(void **state)
{
	(void)state;
	run_model(false, 0x0badc0ffee0ddf00ull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_book_model_sparse_ids),
		cmocka_unit_test(test_book_model_dense_ids),
	};

	return cmocka_run_group_tests_name("book_model", tests, NULL, NULL);
}
