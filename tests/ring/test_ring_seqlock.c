/*
 * Single-thread semantics of the seqlock: sequence parity, retry detection,
 * and the copy helpers for every length and alignment.
 */
#include <setjmp.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <ps/seqlock.h>

static void test_ring_seqlock_starts_even_and_stable(void **state)
{
	struct ps_seqlock sl;
	uint32_t s;

	(void)state;
	ps_seqlock_init(&sl);
	s = ps_seqlock_read_begin(&sl);
	assert_int_equal(s, 0);
	assert_false(ps_seqlock_read_retry(&sl, s));
}

static void test_ring_seqlock_write_makes_readers_retry(void **state)
{
	struct ps_seqlock sl;
	uint32_t s;

	(void)state;
	ps_seqlock_init(&sl);
	s = ps_seqlock_read_begin(&sl);
	ps_seqlock_write_begin(&sl);
	assert_int_equal(atomic_load(&sl.seq) & 1u, 1u); /* odd while writing */
	assert_true(ps_seqlock_read_retry(&sl, s));
	ps_seqlock_write_end(&sl);
	assert_int_equal(atomic_load(&sl.seq), 2);
	assert_true(ps_seqlock_read_retry(&sl, s)); /* a whole write in between */
	s = ps_seqlock_read_begin(&sl);
	assert_int_equal(s, 2);
	assert_false(ps_seqlock_read_retry(&sl, s));
}

static void test_ring_seqlock_copy_helpers_every_length_and_alignment(void **state)
{
	struct ps_seqlock sl;
	alignas(8) uint8_t shared[160], src[160], dst[160];

	(void)state;
	ps_seqlock_init(&sl);
	for (size_t off = 0; off < 9; off++) {
		for (size_t len = 0; len <= 128; len++) {
			uint32_t before = atomic_load(&sl.seq);

			for (size_t i = 0; i < len; i++)
				src[i] = (uint8_t)(off * 31 + len * 7 + i);
			memset(shared, 0xaa, sizeof(shared));
			memset(dst, 0x55, sizeof(dst));
			ps_seqlock_write(&sl, shared + off, src, len);
			assert_int_equal(atomic_load(&sl.seq), before + 2);
			assert_memory_equal(shared + off, src, len);
			assert_int_equal(shared[off + len], 0xaa); /* no over-write */
			if (off > 0)
				assert_int_equal(shared[off - 1], 0xaa);
			assert_int_equal(
			    ps_seqlock_read(&sl, dst + (8 - off % 8), shared + off, len), 0);
			assert_memory_equal(dst + (8 - off % 8), src, len);
			assert_int_equal(dst[8 - off % 8 + len], 0x55);
		}
	}
}

/* The manual API with relaxed atomic field accesses, as the header says. */
struct limits {
	_Atomic int64_t max_qty;
	_Atomic int64_t max_notional;
};

static void test_ring_seqlock_manual_protocol(void **state)
{
	struct ps_seqlock sl;
	struct limits lim;
	int64_t q, n;
	uint32_t s;

	(void)state;
	ps_seqlock_init(&sl);
	ps_seqlock_write_begin(&sl);
	atomic_store_explicit(&lim.max_qty, 100, memory_order_relaxed);
	atomic_store_explicit(&lim.max_notional, 5000, memory_order_relaxed);
	ps_seqlock_write_end(&sl);
	do {
		s = ps_seqlock_read_begin(&sl);
		q = atomic_load_explicit(&lim.max_qty, memory_order_relaxed);
		n = atomic_load_explicit(&lim.max_notional, memory_order_relaxed);
	} while (ps_seqlock_read_retry(&sl, s));
	assert_int_equal(q, 100);
	assert_int_equal(n, 5000);
	assert_int_equal(s, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_seqlock_starts_even_and_stable),
		cmocka_unit_test(test_ring_seqlock_write_makes_readers_retry),
		cmocka_unit_test(test_ring_seqlock_copy_helpers_every_length_and_alignment),
		cmocka_unit_test(test_ring_seqlock_manual_protocol),
	};
	return cmocka_run_group_tests_name("ring_seqlock", tests, NULL, NULL);
}
