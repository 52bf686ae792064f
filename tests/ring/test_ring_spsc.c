/*
 * Single-thread semantics of the SPSC slot ring: init errors, FIFO order,
 * full and empty edges at every capacity from 1 to 64 slots and every start
 * offset (so every wrap position), index wrap at 2^32, bursts, claim/commit
 * and peek/release.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <ps/ring_spsc.h>

#define MAX_COUNT 64u
#define MAX_SLOT  72u

static const uint32_t slot_lens[] = { 1, 3, 8, 16, 24, 32, 64, 72 };

/* Memory for the largest ring a test here builds, cache-line aligned. */
static alignas(64) uint8_t slot_mem[MAX_COUNT * MAX_SLOT * 2];

/* Object number seq as slot_len bytes: every byte depends on seq and position. */
static void make_obj(uint8_t *obj, uint32_t slot_len, uint32_t seq)
{
	for (uint32_t i = 0; i < slot_len; i++)
		obj[i] = (uint8_t)(seq * 31u + i * 7u + (seq >> 8));
}

static void check_obj(const uint8_t *obj, uint32_t slot_len, uint32_t seq)
{
	uint8_t want[MAX_SLOT];

	make_obj(want, slot_len, seq);
	assert_memory_equal(obj, want, slot_len);
}

static bool is_pow2(uint32_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

static void test_ring_spsc_memsize_rejects_bad_geometry(void **state)
{
	(void)state;
	assert_int_equal(ps_ring_spsc_memsize(0, 8), 0);
	assert_int_equal(ps_ring_spsc_memsize(3, 8), 0);
	assert_int_equal(ps_ring_spsc_memsize(8, 0), 0);
	assert_int_equal(ps_ring_spsc_memsize(UINT32_MAX, 8), 0);
	assert_int_equal(ps_ring_spsc_memsize(UINT32_C(1) << 31, 8), (size_t)8 << 31);
	assert_int_equal(ps_ring_spsc_memsize(1, 1), 1);
	assert_int_equal(ps_ring_spsc_memsize(16, 64), 1024);
	for (uint32_t c = 0; c <= 4096; c++)
		assert_int_equal(ps_ring_spsc_memsize(c, 8) != 0, is_pow2(c));
}

static void test_ring_spsc_init_rejects_bad_arguments(void **state)
{
	struct ps_ring_spsc r;

	(void)state;
	assert_int_equal(ps_ring_spsc_init(NULL, slot_mem, 8, 8), -EINVAL);
	assert_int_equal(ps_ring_spsc_init(&r, NULL, 8, 8), -EINVAL);
	assert_int_equal(ps_ring_spsc_init(&r, slot_mem + 1, 8, 8), -EINVAL);
	assert_int_equal(ps_ring_spsc_init(&r, slot_mem + 4, 8, 8), -EINVAL);
	assert_int_equal(ps_ring_spsc_init(&r, slot_mem, 0, 8), -EINVAL);
	assert_int_equal(ps_ring_spsc_init(&r, slot_mem, 8, 0), -EINVAL);
	assert_int_equal(ps_ring_spsc_init(&r, slot_mem, UINT32_MAX, 8), -EINVAL);
	assert_int_equal(ps_ring_spsc_init(&r, slot_mem, (UINT32_C(1) << 31) + 1, 8), -EINVAL);
	for (uint32_t c = 0; c <= MAX_COUNT; c++) {
		int rc = ps_ring_spsc_init(&r, slot_mem, c, 8);

		assert_int_equal(rc, is_pow2(c) ? 0 : -EINVAL);
		if (rc == 0) {
			assert_int_equal(ps_ring_spsc_capacity(&r), c);
			assert_int_equal(ps_ring_spsc_slot_len(&r), 8);
			assert_int_equal(ps_ring_spsc_count(&r), 0);
			ps_ring_spsc_fini(&r);
		}
	}
	assert_int_equal(ps_ring_spsc_init(&r, slot_mem + 8, 1, 1), 0);
	ps_ring_spsc_fini(&r);
	ps_ring_spsc_fini(NULL);
}

/* Fill to full, check the full edge, drain to empty, check the empty edge. */
static void fill_drain(struct ps_ring_spsc *r, uint32_t count, uint32_t slot_len, uint32_t *seq)
{
	uint8_t obj[MAX_SLOT + 8];
	uint32_t deq = *seq;

	for (uint32_t i = 0; i < count; i++) {
		assert_int_equal(ps_ring_spsc_count(r), i);
		make_obj(obj, slot_len, *seq + i);
		assert_true(ps_ring_spsc_enqueue(r, obj));
	}
	assert_int_equal(ps_ring_spsc_count(r), count);
	make_obj(obj, slot_len, 0xdead);
	assert_false(ps_ring_spsc_enqueue(r, obj));
	assert_null(ps_ring_spsc_claim(r));
	assert_int_equal(ps_ring_spsc_enqueue_burst(r, obj, 1), 0);
	assert_int_equal(ps_ring_spsc_count(r), count);
	for (uint32_t i = 0; i < count; i++) {
		memset(obj, 0xee, sizeof(obj));
		assert_true(ps_ring_spsc_dequeue(r, obj));
		check_obj(obj, slot_len, deq + i);
		assert_int_equal(obj[slot_len], 0xee); /* no over-write */
	}
	memset(obj, 0x5a, sizeof(obj));
	assert_false(ps_ring_spsc_dequeue(r, obj));
	assert_int_equal(obj[0], 0x5a); /* untouched when empty */
	assert_null(ps_ring_spsc_peek(r));
	assert_int_equal(ps_ring_spsc_dequeue_burst(r, obj, 1), 0);
	assert_int_equal(ps_ring_spsc_count(r), 0);
	*seq += count;
}

static void test_ring_spsc_full_and_empty_edges_at_every_capacity(void **state)
{
	struct ps_ring_spsc r;
	uint8_t obj[MAX_SLOT];

	(void)state;
	for (size_t l = 0; l < sizeof(slot_lens) / sizeof(slot_lens[0]); l++) {
		uint32_t slot_len = slot_lens[l];

		for (uint32_t count = 1; count <= MAX_COUNT; count++) {
			if (!is_pow2(count)) {
				assert_int_equal(ps_ring_spsc_init(&r, slot_mem, count, slot_len),
						 -EINVAL);
				continue;
			}
			/* Every start offset 0..count, so full and empty are reached
			 * at every wrap position. */
			for (uint32_t skew = 0; skew <= count; skew++) {
				uint32_t seq = 0;

				assert_int_equal(ps_ring_spsc_init(&r, slot_mem, count, slot_len),
						 0);
				for (uint32_t i = 0; i < skew; i++) {
					make_obj(obj, slot_len, seq);
					assert_true(ps_ring_spsc_enqueue(&r, obj));
					assert_true(ps_ring_spsc_dequeue(&r, obj));
					check_obj(obj, slot_len, seq++);
				}
				fill_drain(&r, count, slot_len, &seq);
				fill_drain(&r, count, slot_len, &seq);
				ps_ring_spsc_fini(&r);
			}
		}
	}
}

static void test_ring_spsc_fifo_interleaved(void **state)
{
	struct ps_ring_spsc r;
	uint8_t obj[MAX_SLOT];
	uint32_t enq = 0, deq = 0;

	(void)state;
	assert_int_equal(ps_ring_spsc_init(&r, slot_mem, 8, 24), 0);
	/* A pseudo-random mix of enqueues and dequeues keeps every fill level busy. */
	uint32_t x = 12345;
	for (int i = 0; i < 100000; i++) {
		x = x * 1103515245u + 12345u;
		if ((x >> 16) & 1) {
			make_obj(obj, 24, enq);
			bool ok = ps_ring_spsc_enqueue(&r, obj);
			assert_int_equal(ok, enq - deq < 8);
			enq += ok;
		} else {
			bool ok = ps_ring_spsc_dequeue(&r, obj);
			assert_int_equal(ok, enq != deq);
			if (ok)
				check_obj(obj, 24, deq++);
		}
		assert_int_equal(ps_ring_spsc_count(&r), enq - deq);
	}
	ps_ring_spsc_fini(&r);
}

/* Indices run free: start them just below 2^32 and cross it. */
static void test_ring_spsc_index_wraps_at_2_pow_32(void **state)
{
	struct ps_ring_spsc r;
	uint64_t v, out[8] = { 0 };
	uint32_t start = UINT32_MAX - 5;

	(void)state;
	assert_int_equal(ps_ring_spsc_init(&r, slot_mem, 8, 8), 0);
	atomic_store(&r.prod.tail, start);
	r.prod.head_cache = start;
	atomic_store(&r.cons.head, start);
	r.cons.tail_cache = start;
	for (v = 0; v < 8; v++)
		assert_true(ps_ring_spsc_enqueue(&r, &v));
	assert_false(ps_ring_spsc_enqueue(&r, &v));
	assert_int_equal(ps_ring_spsc_count(&r), 8);
	assert_int_equal(ps_ring_spsc_dequeue_burst(&r, out, 8), 8);
	for (v = 0; v < 8; v++)
		assert_int_equal(out[v], v);
	assert_int_equal(ps_ring_spsc_count(&r), 0);
	assert_int_equal(atomic_load(&r.prod.tail), start + 8);
	assert_int_equal(ps_ring_spsc_enqueue_burst(&r, out, 8), 8);
	assert_int_equal(ps_ring_spsc_dequeue_burst(&r, out, 8), 8);
	for (v = 0; v < 8; v++)
		assert_int_equal(out[v], v);
	ps_ring_spsc_fini(&r);
}

static void test_ring_spsc_burst_returns_partial_counts(void **state)
{
	struct ps_ring_spsc r;
	uint64_t in[40], out[40];

	(void)state;
	for (uint64_t i = 0; i < 40; i++)
		in[i] = 1000 + i;
	assert_int_equal(ps_ring_spsc_init(&r, slot_mem, 16, 8), 0);
	assert_int_equal(ps_ring_spsc_enqueue_burst(&r, in, 0), 0);
	assert_int_equal(ps_ring_spsc_enqueue_burst(&r, in, 10), 10);
	assert_int_equal(ps_ring_spsc_enqueue_burst(&r, in + 10, 10), 6); /* 6 left */
	assert_int_equal(ps_ring_spsc_enqueue_burst(&r, in, 1), 0);
	assert_int_equal(ps_ring_spsc_dequeue_burst(&r, out, 0), 0);
	assert_int_equal(ps_ring_spsc_dequeue_burst(&r, out, 5), 5);
	assert_int_equal(ps_ring_spsc_dequeue_burst(&r, out + 5, 40), 11);
	for (int i = 0; i < 16; i++)
		assert_int_equal(out[i], 1000 + i);
	assert_int_equal(ps_ring_spsc_dequeue_burst(&r, out, 40), 0);
	/* Now head = tail = 16: a burst of 12 from offset 0 after moving to 10
	 * wraps: enqueue 10, dequeue 10, then 12 spans the end. */
	assert_int_equal(ps_ring_spsc_enqueue_burst(&r, in, 10), 10);
	assert_int_equal(ps_ring_spsc_dequeue_burst(&r, out, 10), 10);
	assert_int_equal(ps_ring_spsc_enqueue_burst(&r, in, 40), 16);
	assert_int_equal(ps_ring_spsc_dequeue_burst(&r, out, 3), 3);
	assert_int_equal(ps_ring_spsc_dequeue_burst(&r, out + 3, 40), 13);
	for (int i = 0; i < 16; i++)
		assert_int_equal(out[i], 1000 + i);
	ps_ring_spsc_fini(&r);
}

/* Bursts of every size at every offset, 64-byte slots, against a model. */
static void test_ring_spsc_burst_every_size_and_offset(void **state)
{
	struct ps_ring_spsc r;
	static uint8_t in[MAX_COUNT * 64], out[MAX_COUNT * 64];
	const uint32_t count = 16;

	(void)state;
	for (uint32_t skew = 0; skew < count; skew++) {
		for (uint32_t n = 1; n <= count + 2; n++) {
			uint32_t seq = 0, got;

			assert_int_equal(ps_ring_spsc_init(&r, slot_mem, count, 64), 0);
			for (uint32_t i = 0; i < skew; i++) {
				make_obj(in, 64, seq);
				assert_true(ps_ring_spsc_enqueue(&r, in));
				assert_true(ps_ring_spsc_dequeue(&r, out));
				seq++;
			}
			for (uint32_t i = 0; i < n; i++)
				make_obj(in + i * 64, 64, seq + i);
			got = ps_ring_spsc_enqueue_burst(&r, in, n);
			assert_int_equal(got, n < count ? n : count);
			memset(out, 0, sizeof(out));
			assert_int_equal(ps_ring_spsc_dequeue_burst(&r, out, n + 3), got);
			for (uint32_t i = 0; i < got; i++)
				check_obj(out + i * 64, 64, seq + i);
			ps_ring_spsc_fini(&r);
		}
	}
}

static void test_ring_spsc_claim_commit_peek_release(void **state)
{
	struct ps_ring_spsc r;
	uint64_t v;

	(void)state;
	assert_int_equal(ps_ring_spsc_init(&r, slot_mem, 4, 8), 0);
	for (uint64_t i = 0; i < 4; i++) {
		uint64_t *slot = ps_ring_spsc_claim(&r);

		assert_non_null(slot);
		assert_ptr_equal(ps_ring_spsc_claim(&r), slot); /* same until commit */
		assert_int_equal(ps_ring_spsc_peek(&r) != NULL, i > 0);
		*slot = 500 + i;
		ps_ring_spsc_commit(&r);
	}
	assert_null(ps_ring_spsc_claim(&r));
	for (uint64_t i = 0; i < 4; i++) {
		const uint64_t *slot = ps_ring_spsc_peek(&r);

		assert_non_null(slot);
		assert_ptr_equal(ps_ring_spsc_peek(&r), slot); /* same until release */
		assert_int_equal(*slot, 500 + i);
		ps_ring_spsc_release(&r);
	}
	assert_null(ps_ring_spsc_peek(&r));
	/* Mixed: claim/commit then dequeue, enqueue then peek/release. */
	*(uint64_t *)ps_ring_spsc_claim(&r) = 77;
	ps_ring_spsc_commit(&r);
	assert_true(ps_ring_spsc_dequeue(&r, &v));
	assert_int_equal(v, 77);
	v = 88;
	assert_true(ps_ring_spsc_enqueue(&r, &v));
	assert_int_equal(*(const uint64_t *)ps_ring_spsc_peek(&r), 88);
	ps_ring_spsc_release(&r);
	assert_int_equal(ps_ring_spsc_count(&r), 0);
	ps_ring_spsc_fini(&r);
}

static void test_ring_spsc_claim_burst_stops_at_end(void **state)
{
	struct ps_ring_spsc r;
	uint32_t got = 99;
	uint64_t v = 0;

	(void)state;
	assert_int_equal(ps_ring_spsc_init(&r, slot_mem, 8, 8), 0);
	/* Move to offset 5. */
	for (int i = 0; i < 5; i++) {
		assert_true(ps_ring_spsc_enqueue(&r, &v));
		assert_true(ps_ring_spsc_dequeue(&r, &v));
	}
	uint64_t *s = ps_ring_spsc_claim_burst(&r, 8, &got);
	assert_non_null(s);
	assert_int_equal(got, 3); /* slots 5, 6, 7 before the end */
	assert_ptr_equal(s, (uint64_t *)(void *)slot_mem + 5);
	s[0] = 10;
	s[1] = 11;
	ps_ring_spsc_commit_burst(&r, 2); /* commit fewer than claimed */
	s = ps_ring_spsc_claim_burst(&r, 8, &got);
	assert_int_equal(got, 1);
	s[0] = 12;
	ps_ring_spsc_commit_burst(&r, 1);
	s = ps_ring_spsc_claim_burst(&r, 8, &got);
	assert_int_equal(got, 5); /* wrapped: slots 0..4 free */
	assert_ptr_equal(s, (uint64_t *)(void *)slot_mem);
	for (int i = 0; i < 5; i++)
		s[i] = 13 + (uint64_t)i;
	ps_ring_spsc_commit_burst(&r, 5);
	assert_null(ps_ring_spsc_claim_burst(&r, 1, &got));
	assert_int_equal(got, 0);

	const uint64_t *p = ps_ring_spsc_peek_burst(&r, 100, &got);
	assert_int_equal(got, 3);
	assert_int_equal(p[0], 10);
	assert_int_equal(p[2], 12);
	ps_ring_spsc_release_burst(&r, 1);
	p = ps_ring_spsc_peek_burst(&r, 100, &got);
	assert_int_equal(got, 2);
	assert_int_equal(p[0], 11);
	ps_ring_spsc_release_burst(&r, 2);
	p = ps_ring_spsc_peek_burst(&r, 2, &got);
	assert_int_equal(got, 2);
	assert_int_equal(p[1], 14);
	ps_ring_spsc_release_burst(&r, 2);
	p = ps_ring_spsc_peek_burst(&r, 100, &got);
	assert_int_equal(got, 3);
	assert_int_equal(p[2], 17);
	ps_ring_spsc_release_burst(&r, 3);
	assert_null(ps_ring_spsc_peek_burst(&r, 1, &got));
	assert_int_equal(got, 0);
	ps_ring_spsc_fini(&r);
}

static void test_ring_spsc_count_one_holds_one(void **state)
{
	struct ps_ring_spsc r;
	uint64_t a = 1, b = 2, out = 0;

	(void)state;
	assert_int_equal(ps_ring_spsc_init(&r, slot_mem, 1, 8), 0);
	for (int i = 0; i < 5; i++) {
		assert_true(ps_ring_spsc_enqueue(&r, &a));
		assert_false(ps_ring_spsc_enqueue(&r, &b));
		assert_true(ps_ring_spsc_dequeue(&r, &out));
		assert_int_equal(out, a);
		assert_false(ps_ring_spsc_dequeue(&r, &out));
		a += 10;
	}
	ps_ring_spsc_fini(&r);
}

/*
 * The producer's re-read policy (ring_spsc.h, "Throughput"): half the ring
 * while idle; PS_RING_SPSC_BUSY_REFRESH once a re-read found a backlog; back
 * to half once a re-read finds the consumer caught up. A ping-pong (one in,
 * one out) must stay on the idle threshold: re-reading every 64 items there
 * put a miss on the round trip's p99.
 */
static void test_ring_spsc_producer_rereads_early_only_while_busy(void **state)
{
	const uint32_t count = 1024, idle = count - (count - 1) / 2;
	struct ps_ring_spsc r;
	uint64_t v = 0, out = 0, rereads = 0;
	uint32_t seen;

	(void)state;
	assert_true(sizeof(slot_mem) >= (size_t)count * 8);
	assert_int_equal(ps_ring_spsc_init(&r, slot_mem, count, 8), 0);
	assert_int_equal(r.prod.refresh_at, idle);
	/* A backlog builds: the first re-read comes past half and marks it busy. */
	for (uint32_t i = 0; i < idle; i++, v++)
		assert_true(ps_ring_spsc_enqueue(&r, &v));
	assert_int_equal(r.prod.refresh_at, idle);
	assert_true(ps_ring_spsc_enqueue(&r, &v));
	v++;
	assert_int_equal(r.prod.refresh_at, PS_RING_SPSC_BUSY_REFRESH);
	/* Busy: the consumer drains it all; the next enqueue re-reads (more than
	 * 64 look used), finds it empty, and the ring is idle again. */
	for (uint64_t i = 0; i < v; i++) {
		assert_true(ps_ring_spsc_dequeue(&r, &out));
		assert_int_equal(out, i);
	}
	assert_true(ps_ring_spsc_enqueue(&r, &v));
	assert_int_equal(r.prod.head_cache, (uint32_t)v);
	assert_int_equal(r.prod.refresh_at, idle);
	assert_true(ps_ring_spsc_dequeue(&r, &out));
	assert_int_equal(out, v);
	v++;
	/* Ping-pong: the producer re-reads once per half ring, no more. */
	seen = r.prod.head_cache;
	for (uint32_t i = 0; i < 20 * count; i++, v++) {
		assert_true(ps_ring_spsc_enqueue(&r, &v));
		if (r.prod.head_cache != seen) {
			rereads++;
			seen = r.prod.head_cache;
		}
		assert_true(ps_ring_spsc_dequeue(&r, &out));
		assert_int_equal(out, v);
	}
	assert_int_equal(r.prod.refresh_at, idle);
	assert_true(rereads <= 20 * count / (idle - 1) + 1);
	assert_true(rereads >= 20 * count / idle - 1);
	ps_ring_spsc_fini(&r);
}

static void test_ring_spsc_dump_and_fini(void **state)
{
	struct ps_ring_spsc r;
	char buf[512] = { 0 };
	FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");
	uint64_t v = 3;

	(void)state;
	assert_non_null(f);
	assert_int_equal(ps_ring_spsc_init(&r, slot_mem, 4, 8), 0);
	assert_true(ps_ring_spsc_enqueue(&r, &v));
	ps_ring_spsc_dump(&r, f);
	fclose(f);
	assert_non_null(strstr(buf, "count=4 slot_len=8"));
	assert_non_null(strstr(buf, "used=1 free=3"));
	ps_ring_spsc_fini(&r);
#ifndef NDEBUG
	/* Debug builds poison the struct: the geometry is garbage after fini. */
	assert_int_equal(r.prod.mask, UINT32_MAX);
	assert_ptr_equal(r.cons.slots, (uint8_t *)UINTPTR_MAX);
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_spsc_memsize_rejects_bad_geometry),
		cmocka_unit_test(test_ring_spsc_init_rejects_bad_arguments),
		cmocka_unit_test(test_ring_spsc_full_and_empty_edges_at_every_capacity),
		cmocka_unit_test(test_ring_spsc_fifo_interleaved),
		cmocka_unit_test(test_ring_spsc_index_wraps_at_2_pow_32),
		cmocka_unit_test(test_ring_spsc_burst_returns_partial_counts),
		cmocka_unit_test(test_ring_spsc_burst_every_size_and_offset),
		cmocka_unit_test(test_ring_spsc_claim_commit_peek_release),
		cmocka_unit_test(test_ring_spsc_claim_burst_stops_at_end),
		cmocka_unit_test(test_ring_spsc_count_one_holds_one),
		cmocka_unit_test(test_ring_spsc_producer_rereads_early_only_while_busy),
		cmocka_unit_test(test_ring_spsc_dump_and_fini),
	};
	return cmocka_run_group_tests_name("ring_spsc", tests, NULL, NULL);
}
