/* Journal: records round-trip across segment rotation; torn tails are cut
 * and reported; flipped bits are corruption, never applied; fsync policies. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <ps/err.h>
#include <ps/journal.h>

struct payload {
	uint64_t i;
	uint64_t sq;
	char text[40];
};

static char dir[256];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/ps-journal-test-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void write_records(uint64_t first, uint64_t n, enum ps_journal_fsync fsync,
			  uint64_t seg_bytes)
{
	struct ps_journal_config cfg = {
		.dir = dir, .segment_bytes = seg_bytes, .buffer_bytes = 1u << 20, .fsync = fsync
	};
	struct ps_journal *j;

	assert_int_equal(ps_journal_open(&j, &cfg, first), 0);
	for (uint64_t i = first; i < first + n; i++) {
		struct payload p = { .i = i, .sq = i * i };
		snprintf(p.text, sizeof(p.text), "record %llu", (unsigned long long)i);
		/* Variable length: exercise padding. */
		uint32_t len = (uint32_t)(16 + i % 40);
		assert_int_equal(ps_journal_append(j, (uint16_t)(i % 7), 0, i * 10, &p, len),
				 (int64_t)i);
	}
	assert_int_equal(ps_journal_next_seq(j), first + n);
	assert_int_equal(ps_journal_close(j), 0);
}

struct check {
	uint64_t next;
	uint64_t seen;
};

static int check_rec(void *ctx, const struct ps_journal_record *r)
{
	struct check *c = ctx;
	struct payload p = { 0 };

	assert_int_equal(r->seq, c->next);
	assert_int_equal(r->type, r->seq % 7);
	assert_int_equal(r->ts_ns, r->seq * 10);
	assert_int_equal(r->len, 16 + r->seq % 40);
	memcpy(&p, r->payload, r->len);
	assert_int_equal(p.i, r->seq);
	assert_int_equal(p.sq, r->seq * r->seq);
	c->next++;
	c->seen++;
	return 0;
}

static void test_engine_journal_round_trip_with_rotation(void **state)
{
	struct ps_journal_scan res;
	struct check c = { .next = 1 };
	(void)state;

	/* 200k records of 48..88 bytes into 4 MiB segments: several rotations. */
	write_records(1, 200000, PS_JOURNAL_FSYNC_NONE, 4u << 20);
	assert_int_equal(ps_journal_scan(dir, 0, check_rec, &c, &res), 0);
	assert_int_equal(c.seen, 200000);
	assert_int_equal(res.records, 200000);
	assert_int_equal(res.last_seq, 200000);
	assert_true(res.segments >= 3);
	assert_int_equal(res.torn_offset, 0);
	/* Reopen continues in a new segment with the next sequence number. */
	write_records(200001, 1000, PS_JOURNAL_FSYNC_BATCH, 4u << 20);
	c = (struct check){ .next = 1 };
	assert_int_equal(ps_journal_scan(dir, 0, check_rec, &c, &res), 0);
	assert_int_equal(res.last_seq, 201000);
}

static void last_segment(char *out, size_t len)
{
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "ls %s/journal-*.psj | tail -1", dir);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	assert_non_null(fgets(out, (int)len, f));
	out[strcspn(out, "\n")] = '\0';
	pclose(f);
}

static void test_engine_journal_torn_tail_is_cut_and_reported(void **state)
{
	char seg[512];
	struct stat st;
	struct ps_journal_scan res;
	struct check c = { .next = 1 };
	(void)state;

	write_records(1, 1000, PS_JOURNAL_FSYNC_BATCH, 64u << 20);
	last_segment(seg, sizeof(seg));
	assert_int_equal(stat(seg, &st), 0);
	/* Cut the last record in half: a write torn by a crash. */
	assert_int_equal(truncate(seg, st.st_size - 20), 0);
	assert_int_equal(ps_journal_scan(dir, 0, check_rec, &c, &res), PS_ETORN);
	assert_int_equal(c.seen, 999);
	assert_non_null(strstr(res.error, "torn record"));
	c = (struct check){ .next = 1 };
	assert_int_equal(ps_journal_scan(dir, PS_JOURNAL_SCAN_TRUNCATE, check_rec, &c, &res), 0);
	assert_true(res.truncated);
	assert_int_equal(res.last_seq, 999);
	assert_int_equal(stat(seg, &st), 0);
	assert_int_equal((uint64_t)st.st_size, res.torn_offset);
	/* Clean now, and appending goes on from 1000. */
	write_records(1000, 10, PS_JOURNAL_FSYNC_NONE, 64u << 20);
	c = (struct check){ .next = 1 };
	assert_int_equal(ps_journal_scan(dir, 0, check_rec, &c, &res), 0);
	assert_int_equal(res.last_seq, 1009);
}

static void flip_bit(const char *path, off_t off)
{
	int fd = open(path, O_RDWR);
	unsigned char b;
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &b, 1, off), 1);
	b ^= 0x10;
	assert_int_equal(pwrite(fd, &b, 1, off), 1);
	close(fd);
}

static void test_engine_journal_flipped_bit_is_corruption(void **state)
{
	char seg[512];
	struct ps_journal_scan res;
	struct check c = { .next = 1 };
	(void)state;

	write_records(1, 1000, PS_JOURNAL_FSYNC_NONE, 64u << 20);
	last_segment(seg, sizeof(seg));
	/* A bit in the middle of the file: records after it are valid, so this
	 * is corruption, not a torn tail; nothing from it on is delivered. */
	flip_bit(seg, 64 + 500 * 56);
	assert_int_equal(ps_journal_scan(dir, PS_JOURNAL_SCAN_TRUNCATE, check_rec, &c, &res),
			 PS_ECRC);
	assert_true(c.seen < 1000);
	assert_non_null(strstr(res.error, "corrupt record"));
	assert_false(res.truncated);
}

static void test_engine_journal_bad_args(void **state)
{
	struct ps_journal_config cfg = { .dir = dir };
	struct ps_journal *j;
	char big[PS_JOURNAL_MAX_PAYLOAD + 1];
	(void)state;

	assert_int_equal(ps_journal_open(&j, &cfg, 0), -EINVAL);
	cfg.buffer_bytes = 4096;
	assert_int_equal(ps_journal_open(&j, &cfg, 1), -EINVAL);
	cfg.buffer_bytes = 0;
	assert_int_equal(ps_journal_open(&j, &cfg, 1), 0);
	assert_int_equal(ps_journal_append(j, 1, 0, 0, big, sizeof(big)), -EMSGSIZE);
	assert_int_equal(ps_journal_close(j), 0);
	assert_int_equal(ps_crc32c("123456789", 9), 0xE3069283u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_engine_journal_round_trip_with_rotation, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_engine_journal_torn_tail_is_cut_and_reported,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_engine_journal_flipped_bit_is_corruption,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_engine_journal_bad_args, setup, teardown),
	};
	return cmocka_run_group_tests_name("engine_journal", tests, NULL, NULL);
}
