/*
 * Single-thread semantics of the SPSC byte ring: init errors, variable
 * lengths, padding at every wrap offset, full and empty edges, records that
 * are too large, claim/commit and peek/release pairing.
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

#include <ps/ring_bytes.h>

#define MEM_LEN 4096u

static alignas(64) uint8_t ring_mem[MEM_LEN];

static void fill_payload(uint8_t *p, uint32_t len, uint32_t seq)
{
	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seq * 13u + i * 5u + 1u);
}

static void check_payload(const uint8_t *p, uint32_t len, uint32_t seq)
{
	for (uint32_t i = 0; i < len; i++)
		assert_int_equal(p[i], (uint8_t)(seq * 13u + i * 5u + 1u));
}

/* Claim, fill and commit one record; false if the claim failed. */
static bool put(struct ps_ring_bytes *r, uint32_t len, uint32_t seq)
{
	uint8_t *p = ps_ring_bytes_claim(r, len);

	if (p == NULL)
		return false;
	assert_int_equal((uintptr_t)p % 8, 0);
	fill_payload(p, len, seq);
	ps_ring_bytes_commit(r);
	return true;
}

/* Peek, check and release one record of payload want_len. */
static void get(struct ps_ring_bytes *r, uint32_t want_len, uint32_t seq)
{
	uint32_t len = UINT32_MAX;
	const uint8_t *p = ps_ring_bytes_peek(r, &len);

	assert_non_null(p);
	assert_int_equal((uintptr_t)p % 8, 0);
	assert_int_equal(len, want_len);
	check_payload(p, len, seq);
	ps_ring_bytes_release(r);
}

static void test_ring_bytes_memsize_and_init_reject_bad_arguments(void **state)
{
	struct ps_ring_bytes r;

	(void)state;
	assert_int_equal(ps_ring_bytes_memsize(0), 0);
	assert_int_equal(ps_ring_bytes_memsize(16), 0); /* below the minimum */
	assert_int_equal(ps_ring_bytes_memsize(33), 0);
	assert_int_equal(ps_ring_bytes_memsize(48), 0);
	assert_int_equal(ps_ring_bytes_memsize(UINT32_MAX), 0);
	assert_int_equal(ps_ring_bytes_memsize(32), 32);
	assert_int_equal(ps_ring_bytes_memsize(UINT32_C(1) << 31), (size_t)1 << 31);
	assert_int_equal(ps_ring_bytes_init(NULL, ring_mem, 64), -EINVAL);
	assert_int_equal(ps_ring_bytes_init(&r, NULL, 64), -EINVAL);
	assert_int_equal(ps_ring_bytes_init(&r, ring_mem + 4, 64), -EINVAL);
	assert_int_equal(ps_ring_bytes_init(&r, ring_mem, 0), -EINVAL);
	assert_int_equal(ps_ring_bytes_init(&r, ring_mem, 16), -EINVAL);
	assert_int_equal(ps_ring_bytes_init(&r, ring_mem, 96), -EINVAL);
	for (uint32_t c = 0; c <= 1024; c++) {
		bool ok = c >= 32 && (c & (c - 1)) == 0;
		int rc = ps_ring_bytes_init(&r, ring_mem, c);

		assert_int_equal(rc, ok ? 0 : -EINVAL);
		if (rc == 0) {
			assert_int_equal(ps_ring_bytes_capacity(&r), c);
			assert_int_equal(ps_ring_bytes_max_len(&r), c / 2 - 8);
			assert_int_equal(ps_ring_bytes_used(&r), 0);
			ps_ring_bytes_fini(&r);
		}
	}
	ps_ring_bytes_fini(NULL);
}

static void test_ring_bytes_record_len_rounds_to_8(void **state)
{
	(void)state;
	assert_int_equal(ps_ring_bytes_record_len(0), 8);
	assert_int_equal(ps_ring_bytes_record_len(1), 16);
	assert_int_equal(ps_ring_bytes_record_len(8), 16);
	assert_int_equal(ps_ring_bytes_record_len(9), 24);
	assert_int_equal(ps_ring_bytes_record_len(32), 40);
}

static void test_ring_bytes_variable_lengths_in_order(void **state)
{
	struct ps_ring_bytes r;
	uint32_t seq_in = 0, seq_out = 0;

	(void)state;
	assert_int_equal(ps_ring_bytes_init(&r, ring_mem, 1024), 0);
	/* Lengths 0..504 in a row, draining whenever the ring is full. */
	for (uint32_t len = 0; len <= ps_ring_bytes_max_len(&r); len++) {
		while (!put(&r, len, seq_in)) {
			assert_true(seq_out < seq_in);
			get(&r, seq_out, seq_out); /* record n has length n */
			seq_out++;
		}
		seq_in++;
	}
	while (seq_out < seq_in) {
		get(&r, seq_out, seq_out);
		seq_out++;
	}
	assert_int_equal(seq_out, ps_ring_bytes_max_len(&r) + 1);
	assert_int_equal(ps_ring_bytes_used(&r), 0);
	ps_ring_bytes_fini(&r);
}

/* The producer's prefetch hint changes nothing the ring holds, at every
 * offset and for spans longer than the ring (it wraps). */
static void test_ring_bytes_prefetch_changes_nothing(void **state)
{
	const uint32_t cap = 128;

	(void)state;
	for (uint32_t off = 0; off < cap; off += 8) {
		struct ps_ring_bytes r;

		assert_int_equal(ps_ring_bytes_init(&r, ring_mem, cap), 0);
		for (uint32_t i = 0; i < off / 8; i++) {
			assert_true(put(&r, 0, i));
			get(&r, 0, i);
		}
		assert_true(put(&r, 24, 3));
		assert_true(put(&r, 8, 4));
		uint32_t used = ps_ring_bytes_used(&r);
		ps_ring_bytes_prefetch(&r, 0);
		ps_ring_bytes_prefetch(&r, 256);
		ps_ring_bytes_prefetch(&r, 3 * cap);
		assert_int_equal(ps_ring_bytes_used(&r), used);
		get(&r, 24, 3);
		get(&r, 8, 4);
		assert_int_equal(ps_ring_bytes_used(&r), 0);
		ps_ring_bytes_fini(&r);
	}
}

/* has_room agrees with the free space the ring really has once the
 * producer's cached head is refreshed, and is never more optimistic: filled
 * record by record and drained record by record, at every step it answers
 * exactly capacity - used >= n for n around the free space. */
static void test_ring_bytes_has_room_follows_the_free_space(void **state)
{
	const uint32_t cap = 256;
	struct ps_ring_bytes r;
	uint32_t in = 0, out = 0;

	(void)state;
	assert_int_equal(ps_ring_bytes_init(&r, ring_mem, cap), 0);
	assert_true(ps_ring_bytes_has_room(&r, cap));
	assert_false(ps_ring_bytes_has_room(&r, cap + 1));
	for (int round = 0; round < 3; round++) {
		while (put(&r, 16, in)) {
			in++;
			uint32_t free_now = cap - ps_ring_bytes_used(&r);
			assert_true(ps_ring_bytes_has_room(&r, free_now));
			assert_false(ps_ring_bytes_has_room(&r, free_now + 1));
		}
		assert_false(ps_ring_bytes_has_room(&r, cap - ps_ring_bytes_used(&r) + 1));
		while (out < in) {
			get(&r, 16, out);
			out++;
			/* The consumer freed bytes the producer has not seen yet:
			 * asking for them refreshes its view. */
			uint32_t free_now = cap - ps_ring_bytes_used(&r);
			assert_true(ps_ring_bytes_has_room(&r, free_now));
			assert_false(ps_ring_bytes_has_room(&r, free_now + 1));
		}
		assert_true(ps_ring_bytes_has_room(&r, cap));
	}
	ps_ring_bytes_fini(&r);
}

/* For every tail offset and every length: a record that fits before the end
 * goes there; one that does not is preceded by padding and lands at 0. */
static void test_ring_bytes_wraps_at_every_offset(void **state)
{
	const uint32_t caps[] = { 32, 64, 128, 256 };

	(void)state;
	for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
		uint32_t cap = caps[c];

		for (uint32_t off = 0; off < cap; off += 8) {
			struct ps_ring_bytes r;

			for (uint32_t len = 0; len <= cap / 2 - 8; len++) {
				uint32_t rec = ps_ring_bytes_record_len(len);
				uint32_t to_end = cap - off;
				uint8_t *p;

				assert_int_equal(ps_ring_bytes_init(&r, ring_mem, cap), 0);
				/* Move head and tail to off with empty records. */
				for (uint32_t i = 0; i < off / 8; i++) {
					assert_true(put(&r, 0, i));
					get(&r, 0, i);
				}
				p = ps_ring_bytes_claim(&r, len);
				assert_non_null(p);
				if (rec <= to_end)
					assert_ptr_equal(p, ring_mem + off + 8);
				else
					assert_ptr_equal(p, ring_mem + 8);
				fill_payload(p, len, len);
				assert_int_equal(ps_ring_bytes_used(&r), 0); /* not yet */
				ps_ring_bytes_commit(&r);
				assert_int_equal(ps_ring_bytes_used(&r),
						 rec <= to_end ? rec : to_end + rec);
				get(&r, len, len);
				assert_int_equal(ps_ring_bytes_used(&r), 0);
				uint32_t l;
				assert_null(ps_ring_bytes_peek(&r, &l));
				/* And the ring keeps working from there. */
				assert_true(put(&r, len, 7));
				get(&r, len, 7);
				ps_ring_bytes_fini(&r);
			}
		}
	}
}

static void test_ring_bytes_full_and_empty_edges(void **state)
{
	struct ps_ring_bytes r;
	uint32_t len;

	(void)state;
	assert_int_equal(ps_ring_bytes_init(&r, ring_mem, 64), 0);
	assert_null(ps_ring_bytes_peek(&r, &len));
	/* 16-byte records: exactly four fit. */
	for (uint32_t i = 0; i < 4; i++)
		assert_true(put(&r, 8, i));
	assert_int_equal(ps_ring_bytes_used(&r), 64);
	assert_null(ps_ring_bytes_claim(&r, 0));
	assert_null(ps_ring_bytes_claim(&r, 8));
	ps_ring_bytes_commit(&r); /* after a failed claim: nothing new */
	assert_int_equal(ps_ring_bytes_used(&r), 64);
	get(&r, 8, 0);
	assert_int_equal(ps_ring_bytes_used(&r), 48);
	/* Tail is at 64 = offset 0 and head at 16: one 16-byte record fits. */
	assert_true(put(&r, 3, 4));
	assert_null(ps_ring_bytes_claim(&r, 0));
	for (uint32_t i = 1; i < 4; i++)
		get(&r, 8, i);
	get(&r, 3, 4);
	assert_null(ps_ring_bytes_peek(&r, &len));
	assert_int_equal(ps_ring_bytes_used(&r), 0);
	ps_ring_bytes_release(&r); /* after an empty peek: nothing changes */
	assert_int_equal(ps_ring_bytes_used(&r), 0);
	ps_ring_bytes_fini(&r);
}

/* A record that needs padding fails cleanly when padding + record do not fit,
 * even though the record alone would fit at offset 0 later. */
static void test_ring_bytes_pad_needs_room(void **state)
{
	struct ps_ring_bytes r;

	(void)state;
	assert_int_equal(ps_ring_bytes_init(&r, ring_mem, 64), 0);
	assert_true(put(&r, 24, 0)); /* 32 bytes: tail at 32 */
	assert_true(put(&r, 8, 1));  /* 16 bytes: tail at 48 */
	get(&r, 24, 0);              /* head at 32 */
	/* 24-byte payload = 32-byte record; 16 bytes to the end, so it needs
	 * 16 + 32 = 48 bytes, and only 64 - 16 = 48 are free: fits exactly. */
	assert_true(put(&r, 24, 2));
	assert_int_equal(ps_ring_bytes_used(&r), 64);
	get(&r, 8, 1);
	get(&r, 24, 2); /* skips the padding */
	assert_int_equal(ps_ring_bytes_used(&r), 0);
	ps_ring_bytes_fini(&r);

	/* Records [0,16) [16,48) [48,56), then free the first: head 16, tail 56,
	 * 24 bytes free, 8 to the end. */
	assert_int_equal(ps_ring_bytes_init(&r, ring_mem, 64), 0);
	assert_true(put(&r, 8, 0));
	assert_true(put(&r, 24, 1));
	assert_true(put(&r, 0, 2));
	get(&r, 8, 0);
	/* A 16-byte payload (24-byte record) would fit in 24 free bytes, but
	 * not after 8 bytes of padding: refused, and nothing changes. */
	assert_null(ps_ring_bytes_claim(&r, 16));
	assert_int_equal(ps_ring_bytes_used(&r), 40);
	/* An 8-byte payload (16 bytes) plus 8 of padding fits exactly. */
	uint8_t *p = ps_ring_bytes_claim(&r, 8);
	assert_ptr_equal(p, ring_mem + 8);
	fill_payload(p, 8, 3);
	ps_ring_bytes_commit(&r);
	assert_int_equal(ps_ring_bytes_used(&r), 64);
	get(&r, 24, 1);
	get(&r, 0, 2);
	get(&r, 8, 3);
	assert_int_equal(ps_ring_bytes_used(&r), 0);
	ps_ring_bytes_fini(&r);
}

static void test_ring_bytes_rejects_too_large(void **state)
{
	struct ps_ring_bytes r;
	uint32_t len;

	(void)state;
	assert_int_equal(ps_ring_bytes_init(&r, ring_mem, 256), 0);
	assert_int_equal(ps_ring_bytes_max_len(&r), 120);
	assert_null(ps_ring_bytes_claim(&r, 121));
	assert_null(ps_ring_bytes_claim(&r, 256));
	assert_null(ps_ring_bytes_claim(&r, UINT32_MAX));
	assert_null(ps_ring_bytes_claim(&r, UINT32_MAX - 7));
	ps_ring_bytes_commit(&r);
	assert_int_equal(ps_ring_bytes_used(&r), 0);
	assert_null(ps_ring_bytes_peek(&r, &len));
	/* The largest record fits from every offset once the ring is empty. */
	for (uint32_t off = 0; off < 256; off += 8) {
		assert_true(put(&r, 120, off));
		get(&r, 120, off);
		assert_true(put(&r, 0, off));
		get(&r, 0, off);
	}
	ps_ring_bytes_fini(&r);
}

static void test_ring_bytes_claim_again_replaces_claim(void **state)
{
	struct ps_ring_bytes r;
	uint32_t len = 0;
	uint8_t *a, *b;
	const uint8_t *p;

	(void)state;
	assert_int_equal(ps_ring_bytes_init(&r, ring_mem, 128), 0);
	a = ps_ring_bytes_claim(&r, 40);
	assert_non_null(a);
	b = ps_ring_bytes_claim(&r, 5);
	assert_ptr_equal(a, b);
	memcpy(b, (const uint8_t[5]){ 'h', 'e', 'l', 'l', 'o' }, 5);
	ps_ring_bytes_commit(&r);
	assert_int_equal(ps_ring_bytes_used(&r), 16);
	p = ps_ring_bytes_peek(&r, &len);
	assert_int_equal(len, 5);
	assert_memory_equal(p, "hello", 5);
	assert_ptr_equal(ps_ring_bytes_peek(&r, &len), p); /* same until release */
	ps_ring_bytes_release(&r);
	ps_ring_bytes_release(&r); /* a second release frees nothing more */
	assert_int_equal(ps_ring_bytes_used(&r), 0);
	ps_ring_bytes_commit(&r); /* a second commit publishes nothing */
	assert_null(ps_ring_bytes_peek(&r, &len));
	ps_ring_bytes_fini(&r);
}

/* Random lengths and a random mix of claims and releases against a model of
 * the free space: a claim must succeed exactly when the model says it fits. */
static void test_ring_bytes_random_against_model(void **state)
{
	struct ps_ring_bytes r;
	const uint32_t cap = 512;
	uint32_t tail = 0, head = 0, seq_in = 0, seq_out = 0;
	uint32_t lens[1024];
	uint64_t x = 88172645463325252ull;

	(void)state;
	assert_int_equal(ps_ring_bytes_init(&r, ring_mem, cap), 0);
	for (int i = 0; i < 200000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (x & 1) {
			uint32_t len = (uint32_t)(x >> 8) % (cap / 2 - 7);
			uint32_t rec = ps_ring_bytes_record_len(len);
			uint32_t to_end = cap - (tail & (cap - 1));
			uint32_t need = rec <= to_end ? rec : to_end + rec;
			bool fits = cap - (tail - head) >= need;

			assert_int_equal(put(&r, len, seq_in), fits);
			if (fits) {
				lens[seq_in++ % 1024] = len;
				tail += need;
			}
		} else if (seq_out != seq_in) {
			uint32_t len = lens[seq_out % 1024];
			uint32_t pos = head & (cap - 1);

			if (ps_ring_bytes_record_len(len) > cap - pos)
				head += cap - pos; /* padding */
			get(&r, len, seq_out++);
			head += ps_ring_bytes_record_len(len);
		} else {
			uint32_t l;

			assert_null(ps_ring_bytes_peek(&r, &l));
		}
		assert_int_equal(ps_ring_bytes_used(&r), tail - head);
	}
	ps_ring_bytes_fini(&r);
}

static void test_ring_bytes_dump_and_fini(void **state)
{
	struct ps_ring_bytes r;
	char buf[512] = { 0 };
	FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");

	(void)state;
	assert_non_null(f);
	assert_int_equal(ps_ring_bytes_init(&r, ring_mem, 64), 0);
	assert_true(put(&r, 4, 0));
	ps_ring_bytes_dump(&r, f);
	fclose(f);
	assert_non_null(strstr(buf, "capacity=64 max_len=24"));
	assert_non_null(strstr(buf, "used=16"));
	ps_ring_bytes_fini(&r);
#ifndef NDEBUG
	assert_int_equal(r.prod.mask, UINT32_MAX);
	assert_ptr_equal(r.cons.buf, (uint8_t *)UINTPTR_MAX);
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_bytes_memsize_and_init_reject_bad_arguments),
		cmocka_unit_test(test_ring_bytes_record_len_rounds_to_8),
		cmocka_unit_test(test_ring_bytes_variable_lengths_in_order),
		cmocka_unit_test(test_ring_bytes_has_room_follows_the_free_space),
		cmocka_unit_test(test_ring_bytes_wraps_at_every_offset),
		cmocka_unit_test(test_ring_bytes_prefetch_changes_nothing),
		cmocka_unit_test(test_ring_bytes_full_and_empty_edges),
		cmocka_unit_test(test_ring_bytes_pad_needs_room),
		cmocka_unit_test(test_ring_bytes_rejects_too_large),
		cmocka_unit_test(test_ring_bytes_claim_again_replaces_claim),
		cmocka_unit_test(test_ring_bytes_random_against_model),
		cmocka_unit_test(test_ring_bytes_dump_and_fini),
	};
	return cmocka_run_group_tests_name("ring_bytes", tests, NULL, NULL);
}
