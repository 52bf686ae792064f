#include <ps/alloc.h>

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

static void test_alloc_counts_each_allocation(void **state)
{
	(void)state;
	uint64_t a0 = ps_alloc_count(), f0 = ps_free_count();
	void *p = ps_alloc(100);
	void *q = ps_calloc(10, 10);
	void *r = ps_alloc_aligned(64, 100);
	void *s = ps_calloc_aligned(4096, 100);
	char *d = ps_strdup("perseus");
	assert_non_null(p);
	assert_non_null(q);
	assert_non_null(r);
	assert_non_null(s);
	assert_non_null(d);
	assert_int_equal(ps_alloc_count() - a0, 5);
	p = ps_realloc(p, 10000);
	assert_non_null(p);
	assert_int_equal(ps_alloc_count() - a0, 6);
	ps_free(p);
	ps_free(q);
	ps_free(r);
	ps_free(s);
	ps_free(d);
	ps_free(NULL);
	assert_int_equal(ps_free_count() - f0, 5);
}

static void test_alloc_zeroes_and_aligns(void **state)
{
	(void)state;
	unsigned char *q = ps_calloc(1000, 3);
	assert_non_null(q);
	for (size_t i = 0; i < 3000; i++)
		assert_int_equal(q[i], 0);
	for (size_t align = sizeof(void *); align <= 65536; align <<= 1) {
		unsigned char *p = ps_calloc_aligned(align, 333);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % align, 0);
		for (size_t i = 0; i < 333; i++)
			assert_int_equal(p[i], 0);
		ps_free(p);
	}
	ps_free(q);
	char *s = ps_strdup("abc");
	assert_string_equal(s, "abc");
	ps_free(s);
}

/* ps_alloc_hot: zeroed, counted, cache-line aligned when small, on a 2 MiB
 * boundary when large, and every page resident before it returns (no page
 * fault left for the hot path). */
static void test_alloc_hot_is_zeroed_aligned_and_resident(void **state)
{
	(void)state;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uint64_t a0 = ps_alloc_count();
	unsigned char *small = ps_alloc_hot(1000);
	size_t big_len = 3 * ((size_t)1 << 20) + 1;
	unsigned char *big = ps_alloc_hot(big_len);

	assert_non_null(small);
	assert_non_null(big);
	assert_int_equal(ps_alloc_count() - a0, 2);
	assert_int_equal((uintptr_t)small % 64, 0);
	assert_int_equal((uintptr_t)big % ((size_t)2 << 20), 0);
	for (size_t i = 0; i < 1000; i++)
		assert_int_equal(small[i], 0);
	size_t pages = (big_len + page - 1) / page;
	unsigned char *vec = ps_alloc(pages);
	assert_non_null(vec);
	assert_int_equal(mincore(big, pages * page, vec), 0);
	for (size_t i = 0; i < pages; i++)
		assert_true(vec[i] & 1);
	for (size_t i = 0; i < big_len; i += 4093)
		assert_int_equal(big[i], 0);
	assert_int_equal(big[big_len - 1], 0);
	big[big_len - 1] = 1; /* the whole length is writable */
	assert_null(ps_alloc_hot(0));
	assert_null(ps_alloc_hot(SIZE_MAX));
	ps_free(vec);
	ps_free(small);
	ps_free(big);
}

static void test_alloc_rejects_bad_requests(void **state)
{
	(void)state;
	uint64_t a0 = ps_alloc_count();
	assert_null(ps_alloc_aligned(3, 10));
	assert_null(ps_alloc_aligned(2, 10)); /* below sizeof(void *) */
	assert_null(ps_calloc_aligned(48, 10));
	assert_null(ps_calloc(SIZE_MAX / 2, 3)); /* n * size overflows */
	assert_int_equal(ps_alloc_count(), a0);
	void *z = ps_alloc(0); /* a unique minimal block */
	assert_non_null(z);
	ps_free(z);
	void *n = ps_realloc(NULL, 16);
	assert_non_null(n);
	ps_free(n);
}

static void *other_thread(void *arg)
{
	uint64_t *count = arg;
	for (int i = 0; i < 10; i++)
		ps_free(ps_alloc(8));
	*count = ps_alloc_count();
	return NULL;
}

static void test_alloc_count_is_per_thread(void **state)
{
	(void)state;
	uint64_t mine = ps_alloc_count(), theirs = 0;
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, other_thread, &theirs), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(theirs, 10);
	assert_int_equal(ps_alloc_count(), mine);
}

static void test_alloc_count_still_across_loop_without_allocation(void **state)
{
	(void)state;
	uint64_t *buf = ps_calloc(1024, sizeof(*buf));
	uint64_t before = ps_alloc_count();
	for (uint32_t i = 0; i < 1000000; i++)
		buf[i & 1023] += i;
	assert_int_equal(ps_alloc_count(), before);
	ps_free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_counts_each_allocation),
		cmocka_unit_test(test_alloc_zeroes_and_aligns),
		cmocka_unit_test(test_alloc_hot_is_zeroed_aligned_and_resident),
		cmocka_unit_test(test_alloc_rejects_bad_requests),
		cmocka_unit_test(test_alloc_count_is_per_thread),
		cmocka_unit_test(test_alloc_count_still_across_loop_without_allocation),
	};
	return cmocka_run_group_tests_name("base_alloc", tests, NULL, NULL);
}
