/*
 * cold stage: drains the journal ring into the journal (segment files,
 * batched io_uring writes), writes a metrics line per interval, and does
 * nothing that a hot thread waits for.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include <ps/err.h>

#include "engine_internal.h"

static int drain_journal(struct eng_cold *c)
{
	struct ps_engine *e = c->e;
	const uint8_t *p;
	uint32_t len;
	int n = 0;

	while (n < 4096 && (p = ps_ring_bytes_peek(&e->jring, &len))) {
		uint16_t type;
		uint32_t plen;
		uint64_t ts;
		memcpy(&type, p, 2);
		memcpy(&plen, p + 4, 4);
		memcpy(&ts, p + 8, 8);
		if (c->journal) {
			int64_t rc = ps_journal_append(c->journal, type, 0, ts, p + 16, plen);
			if (rc < 0 && !c->error) {
				c->error = (int)rc;
				fprintf(stderr, "perseus: journal write failed: %s\n",
					ps_strerror((int)rc));
			}
		}
		ps_ring_bytes_release(&e->jring);
		c->records++;
		n++;
	}
	if (n && c->journal)
		ps_journal_flush(c->journal, false);
	return n;
}

void eng_publish_metrics(struct ps_engine *e, enum eng_stage s, uint64_t events,
			 const struct ps_hist *h)
{
	struct eng_stage_metrics m = {
		.events = events,
		.count = ps_hist_count(h),
		.p50_ns = ps_hist_percentile(h, 50.0),
		.p99_ns = ps_hist_percentile(h, 99.0),
		.p999_ns = ps_hist_percentile(h, 99.9),
		.max_ns = ps_hist_max(h),
	};
	ps_seqlock_write(&e->metrics_lock[s], &e->metrics[s], &m, sizeof(m));
}

static void write_metrics(struct eng_cold *c, uint64_t now)
{
	static const char *const names[ENG_STAGES] = { "md", "book", "exec", "cold" };
	struct ps_engine *e = c->e;
	FILE *f = c->metrics;

	fprintf(f,
		"{\"t_ms\":%llu,\"md_packets\":%llu,\"md_events\":%llu,\"book_events\":%llu,"
		"\"intents\":%llu,\"orders\":%llu,\"risk_rejects\":%llu,\"fills\":%llu,"
		"\"filled_qty\":%llu,\"journal_records\":%llu,\"md_gaps\":%llu,\"md_stale\":%llu,"
		"\"realized\":%lld,\"unix_ms\":%llu,\"ring_full\":%llu,\"rx_nobufs\":%llu",
		(unsigned long long)((now - e->start_ns) / 1000000u),
		(unsigned long long)eng_get(e, ENG_C_MD_PACKETS),
		(unsigned long long)eng_get(e, ENG_C_MD_EVENTS),
		(unsigned long long)eng_get(e, ENG_C_BOOK_EVENTS),
		(unsigned long long)eng_get(e, ENG_C_INTENTS),
		(unsigned long long)eng_get(e, ENG_C_ORDER_MSGS),
		(unsigned long long)eng_get(e, ENG_C_RISK_REJECTS),
		(unsigned long long)eng_get(e, ENG_C_FILLS),
		(unsigned long long)eng_get(e, ENG_C_FILLED_QTY),
		(unsigned long long)eng_get(e, ENG_C_JOURNAL_RECORDS),
		(unsigned long long)eng_get(e, ENG_C_MD_GAPS),
		(unsigned long long)eng_get(e, ENG_C_MD_STALE),
		(long long)(int64_t)eng_get(e, ENG_C_REALIZED),
		(unsigned long long)ps_clock_realtime_ns() / 1000000u,
		(unsigned long long)eng_get(e, ENG_C_RING_FULL),
		(unsigned long long)eng_get(e, ENG_C_RX_NOBUFS));
	for (int s = 0; s < ENG_STAGES - 1; s++) {
		struct eng_stage_metrics m;
		ps_seqlock_read(&e->metrics_lock[s], &m, &e->metrics[s], sizeof(m));
		fprintf(f,
			",\"%s\":{\"count\":%llu,\"p50_ns\":%llu,\"p99_ns\":%llu,\"p999_ns\":%llu,"
			"\"max_ns\":%llu}",
			names[s], (unsigned long long)m.count, (unsigned long long)m.p50_ns,
			(unsigned long long)m.p99_ns, (unsigned long long)m.p999_ns,
			(unsigned long long)m.max_ns);
	}
	fputs("}\n", f);
	fflush(f);
}

int eng_cold_poll(struct eng_cold *c)
{
	struct ps_engine *e = c->e;
	int n = drain_journal(c);
	int logged = eng_log_drain(e);

	if (logged > 0)
		n += logged;
	if (c->metrics) {
		uint64_t now = eng_now_ns();
		if (now >= c->next_metrics_ns) {
			c->next_metrics_ns = now + (uint64_t)e->cfg.metrics_interval_ms * 1000000u;
			write_metrics(c, now);
		}
	}
	return n;
}

int eng_cold_open(struct eng_cold *c, struct ps_engine *e, char *err, size_t err_len)
{
	int rc;

	c->e = e;
	if (e->cfg.journal_on) {
		/* The journal's io_uring workers (buffered writes can block, so the
		 * kernel hands them to worker threads) go where the cold stage runs,
		 * or anywhere but the pinned hot threads' CPUs: a worker scheduled
		 * on a hot CPU preempts the stage spinning there. */
		struct ps_journal_config jc = e->cfg.journal;
		cpu_set_t cold;
		jc.worker_cpus = eng_housekeeping_cpus(e, &cold) ? &cold : NULL;
		rc = ps_journal_open(&c->journal, &jc, e->journal_next_seq);
		if (rc) {
			snprintf(err, err_len, "[journal] dir = %s: cannot open: %s",
				 e->cfg.journal_dir, ps_strerror(rc));
			return rc;
		}
	}
	if (e->cfg.metrics_file[0]) {
		c->metrics = fopen(e->cfg.metrics_file, "a");
		if (!c->metrics) {
			rc = -errno;
			snprintf(err, err_len, "[engine] metrics_file = %s: %s",
				 e->cfg.metrics_file, strerror(errno));
			return rc;
		}
	}
	return 0;
}

void eng_cold_close(struct eng_cold *c)
{
	drain_journal(c);
	if (c->journal) {
		int rc = ps_journal_close(c->journal);
		if (rc && !c->error)
			c->error = rc;
		c->journal = NULL;
	}
	if (c->metrics) {
		write_metrics(c, eng_now_ns());
		fclose(c->metrics);
		c->metrics = NULL;
	}
}
