/*
 * perseus itch-dump FILE: every message of a BinaryFILE as one JSON object per line.
 * perseus itch-replay FILE [--book] [--max-levels N]: decode (and apply to L3
 * books), print counts per type, books touched and messages per second.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ps/binfile.h>
#include <ps/book.h>
#include <ps/err.h>
#include <ps/itch.h>

#include "cli.h"

static int dump_usage(FILE *f)
{
	fprintf(f, "usage: perseus itch-dump FILE\n"
		   "  Print each ITCH 5.0 message of a BinaryFILE (2-byte big-endian length,\n"
		   "  then the message) as one JSON object per line: type, stock_locate,\n"
		   "  tracking_number, timestamp (ns since midnight), then every field under\n"
		   "  its specification name in snake_case. Prices are integers in wire units\n"
		   "  (Price(4): 1e-4 dollars, Price(8): 1e-8); alpha fields are right-trimmed.\n"
		   "  A truncated file prints what was complete, then fails naming the offset.\n");
	return f == stdout ? 0 : 2;
}

static int cli_itch_dump(int argc, char **argv)
{
	static char obuf[1 << 16];
	struct ps_binfile_reader r;
	const uint8_t *msg = NULL;
	size_t len = 0;
	uint64_t index = 0;
	int rc;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
		return dump_usage(stdout);
	if (argc != 2 || argv[1][0] == '-')
		return dump_usage(stderr);
	rc = ps_binfile_reader_open(&r, argv[1]);
	if (rc < 0) {
		ps_cli_error(argv[0], "%s: %s", argv[1], ps_strerror(rc));
		return 1;
	}
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	while ((rc = ps_binfile_next(&r, &msg, &len)) == 1) {
		struct ps_itch_msg m;
		size_t off = r.off - len - 2;
		int err = ps_itch_msg_decode(&m, msg, len);

		index++;
		if (err < 0) {
			fflush(stdout);
			ps_cli_error(argv[0],
				     "%s: message %llu at offset %zu (length %zu, type 0x%02x): %s",
				     argv[1], (unsigned long long)index - 1, off, len,
				     len ? msg[0] : 0, ps_strerror(err));
			ps_binfile_reader_close(&r);
			return 1;
		}
		ps_itch_msg_print_json(stdout, &m);
		fputc('\n', stdout);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		ps_cli_error(argv[0], "writing stdout: %s", strerror(errno));
		ps_binfile_reader_close(&r);
		return 1;
	}
	if (rc < 0) {
		ps_cli_error(argv[0], "%s: truncated record at offset %zu (%zu bytes left): %s",
			     argv[1], r.off, r.len - r.off, ps_strerror(rc));
		ps_binfile_reader_close(&r);
		return 1;
	}
	ps_binfile_reader_close(&r);
	return 0;
}
PS_CLI_COMMAND("itch-dump", "print an ITCH 5.0 BinaryFILE as JSON lines", cli_itch_dump);

static int replay_usage(FILE *f)
{
	fprintf(f, "usage: perseus itch-replay FILE [--book] [--max-levels N]\n"
		   "  Decode every message of an ITCH 5.0 BinaryFILE with the hot-path decoder\n"
		   "  and print counts per message type, errors, books touched and messages\n"
		   "  per second. --book also applies each event to L3 order books (ps_book),\n"
		   "  sized from a first pass over the file (--max-levels: price levels per\n"
		   "  side per book, default 256), and prints the book error counters.\n");
	return f == stdout ? 0 : 2;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* First pass: largest locate and an upper bound of live orders (adds + replaces). */
static void scan_sizes(struct ps_binfile_reader *r, uint32_t *max_locate, uint32_t *max_orders)
{
	const uint8_t *msg = NULL;
	size_t len = 0;
	uint64_t adds = 0;

	*max_locate = 0;
	while (ps_binfile_next(r, &msg, &len) == 1) {
		if (len >= 3) {
			uint32_t loc = ps_load_be16(msg + 1);

			if (loc > *max_locate)
				*max_locate = loc;
		}
		if (len >= 1 && (msg[0] == 'A' || msg[0] == 'F' || msg[0] == 'U'))
			adds++;
	}
	*max_orders = adds + 1 > PS_BOOK_MAX_ORDERS ? PS_BOOK_MAX_ORDERS : (uint32_t)adds + 1;
	ps_binfile_reader_rewind(r);
}

static int cli_itch_replay(int argc, char **argv)
{
	static uint8_t touched[65536];
	struct ps_binfile_reader r;
	struct ps_itch_stats st;
	struct ps_book_set *books = NULL;
	const char *path = NULL;
	const uint8_t *msg = NULL;
	size_t len = 0;
	uint64_t n_touched = 0, book_errors = 0, events = 0;
	uint32_t max_levels = 256;
	bool use_book = false;
	double t0, t1;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return replay_usage(stdout);
		if (!strcmp(argv[i], "--book")) {
			use_book = true;
		} else if (!strcmp(argv[i], "--max-levels") && i + 1 < argc) {
			char *end;
			unsigned long v = strtoul(argv[++i], &end, 10);

			if (*end || v == 0 || v > PS_BOOK_MAX_LEVELS) {
				ps_cli_error(argv[0], "--max-levels: '%s' is not 1..%u", argv[i],
					     PS_BOOK_MAX_LEVELS);
				return 2;
			}
			max_levels = (uint32_t)v;
		} else if (argv[i][0] != '-' && !path) {
			path = argv[i];
		} else {
			return replay_usage(stderr);
		}
	}
	if (!path)
		return replay_usage(stderr);
	rc = ps_binfile_reader_open(&r, path);
	if (rc < 0) {
		ps_cli_error(argv[0], "%s: %s", path, ps_strerror(rc));
		return 1;
	}
	if (use_book) {
		struct ps_book_config cfg = { .max_levels = max_levels };
		uint32_t max_locate;

		scan_sizes(&r, &max_locate, &cfg.max_orders);
		cfg.instrument_count = max_locate + 1;
		rc = ps_book_set_create(&books, &cfg);
		if (rc < 0) {
			ps_cli_error(argv[0], "book set (%u books, %u orders, %u levels): %s",
				     cfg.instrument_count, cfg.max_orders, cfg.max_levels,
				     ps_strerror(rc));
			ps_binfile_reader_close(&r);
			return 1;
		}
	}
	ps_itch_stats_reset(&st);
	t0 = now_s();
	while ((rc = ps_binfile_next(&r, &msg, &len)) == 1) {
		struct ps_md_event ev;

		if (ps_itch_decode(msg, len, &ev, &st) != PS_ITCH_RC_EVENT)
			continue;
		events++;
		if (!touched[ev.instrument]) {
			touched[ev.instrument] = 1;
			n_touched++;
		}
		if (books && ps_book_apply(books, &ev) < 0)
			book_errors++;
	}
	t1 = now_s();

	printf("file             %s\n", path);
	printf("messages         %llu\n", (unsigned long long)ps_itch_stats_messages(&st));
	for (int t = 0; t < 128; t++)
		if (st.type_count[t])
			printf("  %c %-34s %llu\n", t, ps_itch_type_name((uint8_t)t),
			       (unsigned long long)st.type_count[t]);
	printf("book events      %llu\n", (unsigned long long)events);
	printf("errors           truncated %llu, bad length %llu, unknown type %llu\n",
	       (unsigned long long)st.truncated, (unsigned long long)st.badlen,
	       (unsigned long long)st.unknown);
	printf("books touched    %llu\n", (unsigned long long)n_touched);
	printf("elapsed          %.6f s\n", t1 - t0);
	if (t1 > t0)
		printf("messages/s       %.0f\n", (double)(ps_itch_stats_messages(&st) +
							   st.truncated + st.badlen + st.unknown) /
						      (t1 - t0));
	if (books) {
		struct ps_book_stats bs;

		ps_book_set_stats(books, &bs);
		printf("book errors      %llu (unknown id %llu, duplicate id %llu, crossed %llu, "
		       "negative qty %llu, full %llu, invalid %llu, unknown instrument %llu)\n",
		       (unsigned long long)book_errors, (unsigned long long)bs.unknown_id,
		       (unsigned long long)bs.duplicate_id, (unsigned long long)bs.crossed,
		       (unsigned long long)bs.negative_qty, (unsigned long long)bs.full,
		       (unsigned long long)bs.invalid, (unsigned long long)bs.unknown_instrument);
		ps_book_set_destroy(books);
	}
	if (rc < 0) {
		fflush(stdout);
		ps_cli_error(argv[0], "%s: truncated record at offset %zu: %s", path, r.off,
			     ps_strerror(rc));
		ps_binfile_reader_close(&r);
		return 1;
	}
	ps_binfile_reader_close(&r);
	return 0;
}
PS_CLI_COMMAND("itch-replay", "decode an ITCH 5.0 BinaryFILE (optionally into L3 books)",
	       cli_itch_replay);
