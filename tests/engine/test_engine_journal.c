/* Journal: records round-trip across segment rotation; torn tails are cut
 * and reported; flipped bits are corruption, never applied; records lost off
 * an earlier segment are found; fsync policies. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <ps/err.h>
#include <ps/journal.h>
#include <ps/jrec.h>

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

/* The last (or first) segment's file name (segments sort by name). */
static void segment_file(char *out, size_t len, bool last)
{
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "ls %s/journal-*.psj | %s -1", dir, last ? "tail" : "head");
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	assert_non_null(fgets(out, (int)len, f));
	out[strcspn(out, "\n")] = '\0';
	pclose(f);
}

static void last_segment(char *out, size_t len)
{
	segment_file(out, len, true);
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

static void first_segment(char *out, size_t len)
{
	segment_file(out, len, false);
}

/* Records cut off the end of a segment that is not the last (its file
 * shortened at a record boundary: data lost while a later segment reached
 * the disk) are lost records, not a torn tail: the next segment's header
 * says where it starts, and the scan stops there. Even when the records
 * lost are all there was before (found with fuzz_engine_journal: before
 * the headers were read, such a journal scanned clean from record 11 on). */
static void test_engine_journal_records_cut_off_an_earlier_segment_are_lost(void **state)
{
	char seg[512];
	struct ps_journal_scan res;
	struct check c = { .next = 1 };
	(void)state;

	write_records(1, 10, PS_JOURNAL_FSYNC_NONE, 64u << 20);
	write_records(11, 10, PS_JOURNAL_FSYNC_NONE, 64u << 20);
	first_segment(seg, sizeof(seg));
	assert_int_equal(truncate(seg, PS_JOURNAL_HEADER_LEN), 0); /* records 1-10 gone */
	assert_int_equal(ps_journal_scan(dir, PS_JOURNAL_SCAN_TRUNCATE, check_rec, &c, &res),
			 PS_ESEQGAP);
	assert_int_equal(c.seen, 0);
	assert_non_null(strstr(res.error, "starts at sequence 11, but 1 was next"));
	assert_false(res.truncated);

	/* The same with records before the cut: 1-5 are read, 6-10 lost. */
	teardown(state);
	setup(state);
	write_records(1, 10, PS_JOURNAL_FSYNC_NONE, 64u << 20);
	write_records(11, 10, PS_JOURNAL_FSYNC_NONE, 64u << 20);
	first_segment(seg, sizeof(seg));
	struct stat st;
	assert_int_equal(stat(seg, &st), 0);
	off_t cut = PS_JOURNAL_HEADER_LEN;
	for (uint64_t i = 1; i <= 5; i++)
		cut += (off_t)((32 + 16 + i % 40 + 7) & ~7ull);
	assert_int_equal(truncate(seg, cut), 0);
	c = (struct check){ .next = 1 };
	assert_int_equal(ps_journal_scan(dir, 0, check_rec, &c, &res), PS_ESEQGAP);
	assert_int_equal(c.seen, 5);
	assert_non_null(strstr(res.error, "starts at sequence 11, but 6 was next"));
}

/* A run that died before its first record leaves a segment with only its
 * header: the journal goes on from the sequence that header announces. */
static void test_engine_journal_empty_last_segment_gives_the_next_sequence(void **state)
{
	struct ps_journal_scan res;
	struct check c = { .next = 1 };
	(void)state;

	write_records(1, 10, PS_JOURNAL_FSYNC_NONE, 64u << 20);
	write_records(11, 0, PS_JOURNAL_FSYNC_NONE, 64u << 20);
	assert_int_equal(ps_journal_scan(dir, 0, check_rec, &c, &res), 0);
	assert_int_equal(res.segments, 2);
	assert_int_equal(res.last_seq, 10);
	assert_int_equal(res.next_seq, 11);
	/* Only an empty segment, numbered on from an archived journal's end. */
	teardown(state);
	setup(state);
	write_records(500, 0, PS_JOURNAL_FSYNC_NONE, 64u << 20);
	assert_int_equal(ps_journal_scan(dir, 0, check_rec, &c, &res), 0);
	assert_int_equal(res.last_seq, 0);
	assert_int_equal(res.next_seq, 500);
	write_records(500, 3, PS_JOURNAL_FSYNC_NONE, 64u << 20);
	c = (struct check){ .next = 500 };
	assert_int_equal(ps_journal_scan(dir, 0, check_rec, &c, &res), 0);
	assert_int_equal(c.seen, 3);
	assert_int_equal(res.next_seq, 503);
}

/* `perseus journal dump`: a string field holds whatever bytes the disk or
 * the venue put there; jsonl stays one valid JSON object per line, text and
 * csv one line with every field whole (fuzz_engine_journal checks this for
 * any payload; before, a token with a quote or a newline broke the line). */
static void test_engine_journal_dump_escapes_string_fields(void **state)
{
	struct ps_jrec_order r;
	static const char tok[PS_JREC_TOKEN_LEN] = { 'A',    '"', 'B', '\\', 'C', '\n', 'D',
						     '\xff', ',', 'E', ' ',  'F', ' ',  ' ' };
	char *buf = NULL;
	size_t len = 0;
	(void)state;

	memset(&r, 0, sizeof(r));
	memcpy(r.token, tok, sizeof(tok));
	r.qty = 100;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(
	    ps_jrec_print(f, PS_JREC_FORMAT_JSONL, 7, 9, PS_JREC_ORDER_SENT, &r, sizeof(r)), 0);
	assert_int_equal(
	    ps_jrec_print(f, PS_JREC_FORMAT_TEXT, 7, 9, PS_JREC_ORDER_SENT, &r, sizeof(r)), 0);
	fclose(f);
	char *nl = strchr(buf, '\n');
	assert_non_null(nl);
	*nl = '\0';
	assert_non_null(strstr(buf, "{\"seq\":7,\"ts_ns\":9,\"type\":\"ORDER_SENT\","));
	assert_non_null(strstr(buf, ",\"token\":\"A\\\"B\\\\C\\nD\\u00ff,E F\","));
	assert_non_null(strstr(nl + 1, " token=A\"B\\x5cC\\x0aD\\xff\\x2cE\\x20F "));
	char *end = strchr(nl + 1, '\n');
	assert_non_null(end);
	assert_int_equal(end[1], '\0'); /* the text record is one line too */
	free(buf);
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
		cmocka_unit_test_setup_teardown(
		    test_engine_journal_records_cut_off_an_earlier_segment_are_lost, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_engine_journal_empty_last_segment_gives_the_next_sequence, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_engine_journal_dump_escapes_string_fields,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_engine_journal_bad_args, setup, teardown),
	};
	return cmocka_run_group_tests_name("engine_journal", tests, NULL, NULL);
}
