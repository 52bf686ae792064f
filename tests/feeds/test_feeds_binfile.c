/* BinaryFILE framing: writer -> reader round trip, truncated tails, real files. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <ps/binfile.h>

static void test_binfile_memory_round_trip(void **state)
{
	uint8_t buf[4096], msg[300];
	struct ps_binfile_writer w;
	struct ps_binfile_reader r;
	const uint8_t *p = NULL;
	size_t len = 0;

	(void)state;
	ps_binfile_writer_init_mem(&w, buf, sizeof(buf));
	for (size_t n = 0; n < 40; n++) {
		for (size_t i = 0; i < n; i++)
			msg[i] = (uint8_t)(n + i);
		assert_int_equal(ps_binfile_write(&w, msg, n), 0);
	}
	assert_int_equal(w.count, 40);
	assert_int_equal(ps_binfile_write(&w, msg, 70000), -EINVAL);
	ps_binfile_reader_init_mem(&r, buf, w.len);
	for (size_t n = 0; n < 40; n++) {
		assert_int_equal(ps_binfile_next(&r, &p, &len), 1);
		assert_int_equal(len, n);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(p[i], (uint8_t)(n + i));
	}
	assert_int_equal(ps_binfile_next(&r, &p, &len), 0);
	ps_binfile_reader_rewind(&r);
	assert_int_equal(ps_binfile_next(&r, &p, &len), 1);
	assert_int_equal(len, 0);
	assert_int_equal(ps_binfile_writer_close(&w), 0);
}

static void test_binfile_memory_writer_reports_full(void **state)
{
	uint8_t buf[10], msg[8] = { 0 };
	struct ps_binfile_writer w;

	(void)state;
	ps_binfile_writer_init_mem(&w, buf, sizeof(buf));
	assert_int_equal(ps_binfile_write(&w, msg, 8), 0);
	assert_int_equal(ps_binfile_write(&w, msg, 0), -ENOSPC);
	assert_int_equal(w.len, 10);
}

/* Every cut of a two-record stream: the first record comes back while whole,
 * then the tail is TRUNCATED at the second record's offset, repeatedly. */
static void test_binfile_truncated_tail_reports_offset(void **state)
{
	uint8_t buf[64], msg[20];
	struct ps_binfile_writer w;

	(void)state;
	memset(msg, 7, sizeof(msg));
	ps_binfile_writer_init_mem(&w, buf, sizeof(buf));
	assert_int_equal(ps_binfile_write(&w, msg, 12), 0);
	assert_int_equal(ps_binfile_write(&w, msg, 20), 0);
	for (size_t cut = 0; cut <= w.len; cut++) {
		struct ps_binfile_reader r;
		const uint8_t *p = NULL;
		size_t len = 0;
		int rc;

		ps_binfile_reader_init_mem(&r, buf, cut);
		rc = ps_binfile_next(&r, &p, &len);
		if (cut == 0) {
			assert_int_equal(rc, 0);
			continue;
		}
		if (cut < 14) {
			assert_int_equal(rc, PS_ETRUNCATED);
			assert_int_equal(r.off, 0);
			continue;
		}
		assert_int_equal(rc, 1);
		rc = ps_binfile_next(&r, &p, &len);
		if (cut == 14) {
			assert_int_equal(rc, 0);
		} else if (cut < w.len) {
			assert_int_equal(rc, PS_ETRUNCATED);
			assert_int_equal(r.off, 14);
			assert_int_equal(ps_binfile_next(&r, &p, &len), PS_ETRUNCATED);
			assert_int_equal(r.off, 14);
		} else {
			assert_int_equal(rc, 1);
			assert_int_equal(ps_binfile_next(&r, &p, &len), 0);
		}
	}
}

static void test_binfile_file_round_trip_and_real_file(void **state)
{
	char path[4096];
	struct ps_binfile_writer w;
	struct ps_binfile_reader r, copy;
	const uint8_t *p = NULL, *q = NULL;
	size_t len = 0, qlen = 0;
	int rc, n = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/feeds/data/itch50/12302019_SNIPPET.NASDAQ_ITCH50",
		 PS_SOURCE_DIR);
	if (ps_binfile_reader_open(&r, path) != 0)
		exit(77);
	assert_int_equal(r.len, 35570);
	snprintf(path, sizeof(path), "%s/test_binfile_copy.%d.itch", PS_BINARY_DIR, (int)getpid());
	assert_int_equal(ps_binfile_writer_open(&w, path), 0);
	while ((rc = ps_binfile_next(&r, &p, &len)) == 1) {
		assert_int_equal(ps_binfile_write(&w, p, len), 0);
		n++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n, 1000);
	assert_int_equal(w.count, 1000);
	assert_int_equal(ps_binfile_writer_close(&w), 0);
	assert_int_equal(ps_binfile_reader_open(&copy, path), 0);
	assert_int_equal(copy.len, r.len);
	assert_memory_equal(copy.base, r.base, r.len);
	ps_binfile_reader_rewind(&r);
	while (ps_binfile_next(&r, &p, &len) == 1) {
		assert_int_equal(ps_binfile_next(&copy, &q, &qlen), 1);
		assert_int_equal(len, qlen);
	}
	ps_binfile_reader_close(&copy);
	ps_binfile_reader_close(&r);
	unlink(path);
	assert_int_equal(ps_binfile_reader_open(&r, "/nonexistent/x.itch"), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_binfile_memory_round_trip),
		cmocka_unit_test(test_binfile_memory_writer_reports_full),
		cmocka_unit_test(test_binfile_truncated_tail_reports_offset),
		cmocka_unit_test(test_binfile_file_round_trip_and_real_file),
	};
	return cmocka_run_group_tests_name("feeds_binfile", tests, NULL, NULL);
}
