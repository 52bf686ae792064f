/* perseus journal dump FILE|DIR [--format text|csv|jsonl] */
#include <stdio.h>
#include <string.h>

#include <ps/err.h>
#include <ps/journal.h>
#include <ps/jrec.h>

#include "cli.h"

static int dump_one(void *ctx, const struct ps_journal_record *r)
{
	const enum ps_jrec_format *fmt = ctx;
	return ps_jrec_print(stdout, *fmt, r->seq, r->ts_ns, r->type, r->payload, r->len) ? 1 : 0;
}

static int cli_journal(int argc, char **argv)
{
	enum ps_jrec_format fmt = PS_JREC_FORMAT_TEXT;
	const char *path = NULL;
	struct ps_journal_scan res;
	int rc;

	if (argc < 2 || strcmp(argv[1], "dump") != 0) {
		fprintf(
		    argc >= 2 && !strcmp(argv[1], "--help") ? stdout : stderr,
		    "usage: perseus journal dump FILE|DIR [--format text|csv|jsonl]\n"
		    "Prints every record of a journal segment or directory, checking each CRC;\n"
		    "a torn tail or a corrupt record is reported (and nothing after it "
		    "printed).\n");
		return argc >= 2 && !strcmp(argv[1], "--help") ? 0 : 2;
	}
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--format") && i + 1 < argc) {
			const char *f = argv[++i];
			if (!strcmp(f, "text"))
				fmt = PS_JREC_FORMAT_TEXT;
			else if (!strcmp(f, "csv"))
				fmt = PS_JREC_FORMAT_CSV;
			else if (!strcmp(f, "jsonl"))
				fmt = PS_JREC_FORMAT_JSONL;
			else {
				ps_cli_error("journal", "--format %s: expected text, csv or jsonl",
					     f);
				return 2;
			}
		} else if (!path && argv[i][0] != '-') {
			path = argv[i];
		} else {
			ps_cli_error("journal", "unknown option '%s'", argv[i]);
			return 2;
		}
	}
	if (!path) {
		ps_cli_error("journal", "dump needs a FILE or DIR");
		return 2;
	}
	rc = ps_journal_scan(path, 0, dump_one, &fmt, &res);
	fflush(stdout);
	if (rc) {
		ps_cli_error("journal", "%s", res.error[0] ? res.error : ps_strerror(rc));
		return 1;
	}
	fprintf(stderr, "journal: %llu records in %llu segments\n", (unsigned long long)res.records,
		(unsigned long long)res.segments);
	return 0;
}
PS_CLI_COMMAND("journal", "journal tools: dump FILE|DIR [--format text|csv|jsonl]", cli_journal);
