/* `perseus book-check`: replay a LOBSTER day through ps_book against its orderbook file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ps/book_check.h>
#include <ps/err.h>

#include "cli.h"

#define REPORT_MAX 5 /* mismatches printed in full */

static void book_check_usage(FILE *f)
{
	fprintf(f,
		"usage: perseus book-check (--zip Z | --messages M --orderbook B) [--levels N]\n"
		"\n"
		"Replay a LOBSTER day through the L3 book: seed it from orderbook row 0 as\n"
		"anonymous size, apply messages 1.. and compare the top N levels with the\n"
		"orderbook row after each; a level that comes into view from beyond depth N\n"
		"is refilled from the row (counted). Prints the first %d mismatches, then\n"
		"`rows R mismatches M refills F` as the last line; exits 0 only when M is 0.\n"
		"\n"
		"  --zip Z          LOBSTER zip holding both the message and orderbook files\n"
		"  --messages M     message CSV (or a zip holding it)\n"
		"  --orderbook B    orderbook CSV (or a zip holding it)\n"
		"  --levels N       levels compared per side (default: the file's depth)\n",
		REPORT_MAX);
}

static int cli_book_check(int argc, char **argv)
{
	struct ps_book_check_cfg cfg = { .report = stdout, .max_report = REPORT_MAX };
	struct ps_book_check_result res;
	const char *cmd = argv[0];
	int rc;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has_value = i + 1 < argc;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			book_check_usage(stdout);
			return 0;
		} else if (!strcmp(a, "--zip") && has_value) {
			cfg.msg_path = cfg.book_path = argv[++i];
		} else if (!strcmp(a, "--messages") && has_value) {
			cfg.msg_path = argv[++i];
		} else if (!strcmp(a, "--orderbook") && has_value) {
			cfg.book_path = argv[++i];
		} else if (!strcmp(a, "--levels") && has_value) {
			char *end;
			unsigned long n = strtoul(argv[++i], &end, 10);

			if (*end || n == 0 || n > PS_LOBSTER_MAX_LEVELS) {
				ps_cli_error(cmd, "--levels wants 1..%d, not '%s'",
					     PS_LOBSTER_MAX_LEVELS, argv[i]);
				return 2;
			}
			cfg.levels = (uint32_t)n;
		} else {
			ps_cli_error(cmd, "unknown or incomplete argument '%s'", a);
			book_check_usage(stderr);
			return 2;
		}
	}
	if (!cfg.msg_path || !cfg.book_path) {
		ps_cli_error(cmd, "give --zip, or both --messages and --orderbook");
		book_check_usage(stderr);
		return 2;
	}
	rc = ps_book_check_lobster(&cfg, &res);
	if (rc == -EINVAL && res.levels) {
		ps_cli_error(cmd, "--levels %u is deeper than the orderbook file", res.levels);
		return 2;
	}
	if (rc) {
		ps_cli_error(cmd, "%s (after %llu rows)", ps_strerror(rc),
			     (unsigned long long)res.rows);
		return 1;
	}
	printf("levels %u skipped %llu drops %llu book errors: unknown_id %llu duplicate_id %llu "
	       "crossed %llu "
	       "negative_qty %llu full %llu invalid %llu\n",
	       res.levels, (unsigned long long)res.skipped, (unsigned long long)res.drops,
	       (unsigned long long)res.errors.unknown_id,
	       (unsigned long long)res.errors.duplicate_id, (unsigned long long)res.errors.crossed,
	       (unsigned long long)res.errors.negative_qty, (unsigned long long)res.errors.full,
	       (unsigned long long)res.errors.invalid);
	printf("rows %llu mismatches %llu refills %llu\n", (unsigned long long)res.rows,
	       (unsigned long long)res.mismatches, (unsigned long long)res.refills);
	return res.mismatches ? 1 : 0;
}
PS_CLI_COMMAND("book-check", "replay a LOBSTER day through the book and compare (--zip Z)",
	       cli_book_check);
