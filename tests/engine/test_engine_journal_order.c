/* The exec stage's deferred order records (core/engine/stage_exec.c): an
 * order's journal record waits until its batch's send (eng_journal_drain),
 * and any other record written meanwhile writes the waiting ones first, so
 * the journal ring holds every record in the order it was made; a full
 * queue drains itself; with the journal off nothing reaches the ring. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <ps/alloc.h>

#include "engine_internal.h"

#define RING_BYTES 8192u

struct fx {
	struct ps_engine *e;
	void *mem;
};

static int setup(void **state)
{
	struct fx *f = ps_calloc(1, sizeof(*f));

	assert_non_null(f);
	f->e = ps_calloc_aligned(PS_CACHE_LINE, sizeof(*f->e));
	f->mem = ps_alloc_hot(ps_ring_bytes_memsize(RING_BYTES));
	assert_non_null(f->e);
	assert_non_null(f->mem);
	assert_int_equal(ps_ring_bytes_init(&f->e->jring, f->mem, RING_BYTES), 0);
	f->e->cfg.journal_on = true;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	ps_ring_bytes_fini(&f->e->jring);
	ps_free(f->mem);
	ps_free(f->e);
	ps_free(f);
	return 0;
}

static struct ps_jrec_order order_rec(uint32_t n)
{
	struct ps_jrec_order r;

	memset(&r, 0, sizeof(r));
	snprintf(r.token, sizeof(r.token), "T%012u", n);
	r.token_hwm = n;
	r.qty = n;
	return r;
}

/* Takes the next record off the ring, checks its header (type, length,
 * time) and copies its payload to payload. */
static void expect(struct ps_engine *e, uint16_t type, uint32_t len, uint64_t ts, void *payload)
{
	uint32_t n = 0;
	const uint8_t *p = ps_ring_bytes_peek(&e->jring, &n);
	uint16_t t = 0;
	uint32_t l = 0;
	uint64_t at = 0;

	assert_non_null(p);
	if (!p)
		return;
	assert_int_equal(n, 16 + len);
	memcpy(&t, p, 2);
	memcpy(&l, p + 4, 4);
	memcpy(&at, p + 8, 8);
	assert_int_equal(t, type);
	assert_int_equal(l, len);
	assert_int_equal(at, ts);
	memcpy(payload, p + 16, len);
	ps_ring_bytes_release(&e->jring);
}

static void expect_order(struct ps_engine *e, uint16_t type, uint64_t ts, uint32_t n)
{
	struct ps_jrec_order got, want = order_rec(n);

	memset(&got, 0, sizeof(got));
	expect(e, type, sizeof(got), ts, &got);
	assert_memory_equal(&got, &want, sizeof(got));
}

static void test_deferred_orders_precede_a_later_record(void **state)
{
	struct fx *f = *state;
	struct ps_engine *e = f->e;
	struct ps_jrec_order a = order_rec(1), b = order_rec(2);
	struct ps_jrec_reject rej = { .reason = 7 }, got = { .reason = 0 };

	eng_journal_defer_order(e, PS_JREC_ORDER_SENT, &a, 100);
	eng_journal_defer_order(e, PS_JREC_CANCEL_SENT, &b, 200);
	assert_int_equal(ps_ring_bytes_used(&e->jring), 0); /* not yet: after the send */
	assert_true(eng_journal_put_at(e, PS_JREC_RISK_REJECT, &rej, sizeof(rej), 300));
	expect_order(e, PS_JREC_ORDER_SENT, 100, 1);
	expect_order(e, PS_JREC_CANCEL_SENT, 200, 2);
	expect(e, PS_JREC_RISK_REJECT, sizeof(got), 300, &got);
	assert_int_equal(got.reason, 7);
	assert_null(ps_ring_bytes_peek(&e->jring, &(uint32_t){ 0 }));
	assert_int_equal(e->jdefer_n, 0);
}

static void test_drain_writes_the_queue_in_order_once(void **state)
{
	struct fx *f = *state;
	struct ps_engine *e = f->e;

	for (uint32_t i = 1; i <= 3; i++) {
		struct ps_jrec_order r = order_rec(i);
		eng_journal_defer_order(e, PS_JREC_ORDER_SENT, &r, 10 * i);
	}
	eng_journal_drain(e);
	eng_journal_drain(e); /* nothing left: writes nothing */
	for (uint32_t i = 1; i <= 3; i++)
		expect_order(e, PS_JREC_ORDER_SENT, 10 * i, i);
	assert_null(ps_ring_bytes_peek(&e->jring, &(uint32_t){ 0 }));
}

static void test_a_full_queue_drains_itself(void **state)
{
	struct fx *f = *state;
	struct ps_engine *e = f->e;

	for (uint32_t i = 1; i <= ENG_OUT_INTENTS + 1; i++) {
		struct ps_jrec_order r = order_rec(i);
		eng_journal_defer_order(e, PS_JREC_ORDER_SENT, &r, i);
	}
	assert_int_equal(e->jdefer_n, 1);
	for (uint32_t i = 1; i <= ENG_OUT_INTENTS; i++)
		expect_order(e, PS_JREC_ORDER_SENT, i, i);
	assert_null(ps_ring_bytes_peek(&e->jring, &(uint32_t){ 0 }));
	eng_journal_drain(e);
	expect_order(e, PS_JREC_ORDER_SENT, ENG_OUT_INTENTS + 1, ENG_OUT_INTENTS + 1);
}

static void test_journal_off_writes_nothing(void **state)
{
	struct fx *f = *state;
	struct ps_engine *e = f->e;
	struct ps_jrec_order r = order_rec(9);

	e->cfg.journal_on = false;
	eng_journal_defer_order(e, PS_JREC_ORDER_SENT, &r, 1);
	assert_true(eng_journal_put_at(e, PS_JREC_ORDER_SENT, &r, sizeof(r), 2));
	eng_journal_drain(e);
	assert_int_equal(e->jdefer_n, 0);
	assert_int_equal(ps_ring_bytes_used(&e->jring), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_deferred_orders_precede_a_later_record, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_drain_writes_the_queue_in_order_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_a_full_queue_drains_itself, setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal_off_writes_nothing, setup, teardown),
	};
	return cmocka_run_group_tests_name("engine_journal_order", tests, NULL, NULL);
}
