/*
 * The journal as the cold thread drives it: 64-byte records appended, the
 * buffer handed to io_uring whenever it fills (and after every 4096
 * records, as the cold stage does after each drain), to a real file in a
 * temporary directory, fsync policy none (the kernel's page cache) and
 * batch (fdatasync after every written batch).
 *
 *   engine/journal/perseus/append64/none    items/s = records per second
 *   engine/journal/perseus/append64/batch
 *
 * Goal: at least 2M records of 64 bytes per second sustained.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ps/journal.h>

#include "harness.h"

static void bench_journal(struct ps_bench *b)
{
	char dir[] = "/tmp/ps-bench-journal-XXXXXX", cmd[64];
	struct ps_journal_config cfg = { .dir = dir,
					 .segment_bytes = 256u << 20,
					 .fsync = (enum ps_journal_fsync)ps_bench_arg(b) };
	struct ps_journal *j;
	uint8_t rec[64];
	uint64_t n, total = 0;

	if (!mkdtemp(dir) || ps_journal_open(&j, &cfg, 1)) {
		ps_bench_skip(b, "cannot open a journal in /tmp");
		return;
	}
	memset(rec, 0xA5, sizeof(rec));
	while ((n = ps_bench_batch(b, 4096)) != 0) {
		for (uint64_t i = 0; i < n; i++) {
			memcpy(rec, &total, sizeof(total));
			if (ps_journal_append(j, 3, 0, total, rec, sizeof(rec)) < 0) {
				ps_bench_skip(b, "journal append failed");
				goto out;
			}
			total++;
		}
		ps_journal_flush(j, false);
	}
	ps_journal_flush(j, true);
	ps_bench_items(b, (int64_t)total);
out:
	ps_journal_close(j);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		ps_bench_label(b, "could not remove the temporary journal");
}
PS_BENCH("engine/journal/perseus/append64/none", bench_journal, PS_JOURNAL_FSYNC_NONE,
	 PS_BENCH_F_REAL_TIME);
PS_BENCH("engine/journal/perseus/append64/batch", bench_journal, PS_JOURNAL_FSYNC_BATCH,
	 PS_BENCH_F_REAL_TIME);
