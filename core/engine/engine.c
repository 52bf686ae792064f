/* The engine: build from config, recover, run the threads, stop in order. */
#include <errno.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <ps/alloc.h>
#include <ps/err.h>
#include <ps/tune_host.h>

#include "engine_internal.h"

#define RING_A_SLOTS (1u << 16)
#define RING_B_SLOTS (1u << 12)
#define RING_C_SLOTS (1u << 12)
#define JRING_BYTES  (16u << 20)

static const char *const stage_names[ENG_STAGES] = { "md", "book", "exec", "cold" };

static int ring_make(struct ps_ring_spsc *r, void **mem, uint32_t count, uint32_t slot)
{
	*mem = ps_alloc_hot(ps_ring_spsc_memsize(count, slot));
	if (!*mem)
		return -ENOMEM;
	return ps_ring_spsc_init(r, *mem, count, slot);
}

/* Which thread runs a stage. */
static int stage_thread(const struct ps_engine *e, enum eng_stage s)
{
	for (uint32_t i = 0; i < e->cfg.thread_count; i++)
		if (e->cfg.threads[i].stages & (1u << s))
			return (int)i;
	return -1;
}

/* Say at start where the config and the host disagree (two spinning threads
 * on one CPU, a hot thread on a CPU that takes interrupts, no RT allowed...). */
static void warn_host(const struct eng_cfg *c)
{
	struct ps_tune_thread t[ENG_MAX_THREADS];
	struct ps_tune_warning w[32];
	struct ps_tune_facts *facts = ps_calloc(1, sizeof(*facts));
	int n;

	if (!facts)
		return;
	for (uint32_t i = 0; i < c->thread_count; i++)
		t[i] = (struct ps_tune_thread){ .name = c->threads[i].name,
						.cpu = c->threads[i].cpu,
						.idle = ps_idle_name(c->threads[i].idle),
						.priority = c->threads[i].priority };
	if (!ps_tune_facts_read("/", NULL, facts)) {
		n = ps_tune_threads_check(t, c->thread_count, facts, c->mlock, w, PS_ARRAY_SIZE(w));
		if (n > 0)
			ps_tune_warnings_print(stderr, w, PS_MIN((size_t)n, PS_ARRAY_SIZE(w)));
	}
	ps_free(facts);
}

int ps_engine_create(struct ps_engine **out, const char *path, char *err, size_t err_len)
{
	struct ps_engine *e;
	int rc;

	*out = NULL;
	err[0] = '\0';
	if ((rc = ps_clock_init()))
		fprintf(stderr, "perseus: TSC clock unavailable (%s): using CLOCK_MONOTONIC\n",
			ps_strerror(rc));
	e = ps_calloc_aligned(PS_CACHE_LINE, sizeof(*e));
	if (!e)
		return -ENOMEM;
	for (int s = 0; s < ENG_STAGES; s++)
		ps_seqlock_init(&e->metrics_lock[s]);
	e->md.req_fd = -1;
	e->log_fd = -1;
	if ((rc = ps_config_load(&e->config, path, err, err_len)) ||
	    (rc = eng_config_read(&e->cfg, e->config, err, err_len)))
		goto fail;
	warn_host(&e->cfg);
	if ((rc = eng_log_open(e, err, err_len)))
		goto fail;
	if ((rc = ps_instrument_table_create(&e->instruments, ENG_MAX_INSTRUMENTS)))
		goto fail;
	for (uint32_t i = 0; i < e->cfg.symbol_count; i++)
		if ((rc = ps_instrument_table_add(e->instruments, e->cfg.symbols[i],
						  strlen(e->cfg.symbols[i]), 100, 1, 4, NULL))) {
			snprintf(err, err_len, "[engine] symbols: '%s': %s", e->cfg.symbols[i],
				 ps_strerror(rc));
			goto fail;
		}
	e->split_md_book = stage_thread(e, ENG_MD) != stage_thread(e, ENG_BOOK);
	e->split_book_exec = stage_thread(e, ENG_BOOK) != stage_thread(e, ENG_EXEC);
	if ((rc = ring_make(&e->ring_a, &e->ring_mem[0], RING_A_SLOTS,
			    sizeof(struct ps_md_event))) ||
	    (rc = ring_make(&e->ring_b, &e->ring_mem[1], RING_B_SLOTS, sizeof(struct eng_b2e))) ||
	    (rc = ring_make(&e->ring_c, &e->ring_mem[2], RING_C_SLOTS,
			    sizeof(struct ps_exec_report))))
		goto fail;
	/* Faulted in now, in huge pages where the kernel gives them: the exec
	 * stage writes a record per order into it, and each first touch of a
	 * 4 KiB page would be a page fault on the hot path (16 MiB: 4096 of them
	 * in the first pass, several microseconds each). */
	e->jring_mem = ps_alloc_hot(ps_ring_bytes_memsize(JRING_BYTES));
	if (!e->jring_mem || (rc = ps_ring_bytes_init(&e->jring, e->jring_mem, JRING_BYTES))) {
		rc = rc ? rc : -ENOMEM;
		goto fail;
	}
	if ((rc = eng_book_open(&e->book, e, err, err_len)) ||
	    (rc = eng_exec_open(&e->exec, e, err, err_len)))
		goto fail;
	if ((rc = ps_config_check_unused(e->config, err, err_len)))
		goto fail;
	if ((rc = eng_recover(e, err, err_len)) || (rc = eng_cold_open(&e->cold, e, err, err_len)))
		goto fail;
	struct ps_jrec_start st = { .token_start = e->token_start,
				    .next_seq = e->next_seq,
				    .pid = (uint32_t)getpid(),
				    .mode = (uint8_t)e->cfg.mode };
	eng_journal_put(e, PS_JREC_START, &st, sizeof(st));
	if ((rc = eng_md_open(&e->md, e, err, err_len)) ||
	    (rc = eng_exec_connect(&e->exec, err, err_len)))
		goto fail;
	if (e->cfg.mlock && mlockall(MCL_CURRENT | MCL_FUTURE))
		fprintf(stderr, "perseus: mlockall failed (%s): memory may be paged\n",
			strerror(errno));
	*out = e;
	return 0;
fail:
	if (!err[0])
		snprintf(err, err_len, "%s", ps_strerror(rc));
	ps_engine_destroy(e);
	return rc;
}

static int stage_poll(struct ps_engine *e, enum eng_stage s)
{
	switch (s) {
	case ENG_MD:
		return eng_md_poll(&e->md);
	case ENG_BOOK:
		return eng_book_poll(&e->book);
	case ENG_EXEC:
		return eng_exec_poll(&e->exec);
	default:
		return eng_cold_poll(&e->cold);
	}
}

/* Is stage s finished for the current phase? */
static bool stage_finished(struct ps_engine *e, enum eng_stage s, int phase)
{
	switch (s) {
	case ENG_MD:
		return phase >= ENG_STOP_MD;
	case ENG_BOOK:
		/* Done when md has stopped and ring A and C are empty. */
		return phase >= ENG_STOP_MD &&
		       (atomic_load_explicit(&e->done, memory_order_acquire) & (1u << ENG_MD)) &&
		       (!e->split_md_book || !ps_ring_spsc_peek(&e->ring_a));
	case ENG_EXEC:
		return phase >= ENG_STOP_COLD;
	default:
		return phase >= ENG_EXIT;
	}
}

static int thread_main(void *arg)
{
	struct eng_thread *t = arg;
	struct ps_engine *e = t->e;
	uint32_t mine = t->cfg.stages, done = 0;
	uint64_t next_pub = 0;
	int rc = eng_log_thread_start(e, t);

	if (rc)
		fprintf(stderr, "perseus: [thread.%s]: no log ring: %s\n", t->cfg.name,
			ps_strerror(rc));
	ps_idle_init(&t->idle, t->cfg.idle);
	while (done != mine) {
		int work = 0, phase = eng_phase(e);
		for (int s = 0; s < ENG_STAGES; s++) {
			if (!(mine & (1u << s)) || (done & (1u << s)))
				continue;
			work += stage_poll(e, (enum eng_stage)s);
			if (stage_finished(e, (enum eng_stage)s, phase)) {
				done |= 1u << s;
				eng_stage_done(e, (enum eng_stage)s);
			}
		}
		uint64_t tsc = ps_tsc();
		if (tsc >= next_pub) {
			/* Once a second: latency figures for the cold thread. */
			next_pub = tsc + ps_clock_ns_to_tsc(1000000000u);
			if (mine & (1u << ENG_MD))
				eng_publish_metrics(e, ENG_MD, e->md.events, &e->md.hist);
			if (mine & (1u << ENG_BOOK))
				eng_publish_metrics(e, ENG_BOOK, e->book.events, &e->book.hist);
			if (mine & (1u << ENG_EXEC))
				eng_publish_metrics(e, ENG_EXEC, e->exec.sent,
						    &e->exec.lat[ENG_LAT_T2T]);
		}
		ps_idle_wait(&t->idle, work > 0);
	}
	eng_log_thread_stop(e, t);
	return 0;
}

static void set_phase(struct ps_engine *e, int phase)
{
	/* R1: pairs with A1 in eng_phase. */
	atomic_store_explicit(&e->phase, phase, memory_order_release);
}

static bool wait_done(struct ps_engine *e, uint32_t mask, double timeout_s)
{
	uint64_t end = eng_now_ns() + (uint64_t)(timeout_s * 1e9);

	/* A2: pairs with R2 in eng_stage_done. */
	while ((atomic_load_explicit(&e->done, memory_order_acquire) & mask) != mask) {
		if (eng_now_ns() > end)
			return false;
		usleep(1000);
	}
	return true;
}

/* The last record: what risk holds per instrument, so a reader can check
 * the PnL against the fills. Written by the main thread once every stage
 * thread has been joined (the join orders it after their last record). */
static void write_stop(struct ps_engine *e)
{
	struct ps_jrec_stop st; /* 3 KB, main thread */
	struct ps_risk_totals t;
	uint32_t n = ps_instrument_table_count(e->instruments);

	if (!e->exec.risk)
		return;
	memset(&st, 0, sizeof(st));
	ps_risk_totals_get(e->exec.risk, &t);
	st.token_hwm = ps_oms_token_hwm(&e->exec.oms);
	st.next_seq = e->exec.soup_mem ? ps_soup_client_next_seq(&e->exec.soup)
		      : e->exec.fix    ? eng_fix_next_in(e->exec.fix)
				       : e->next_seq;
	st.realized = t.realized;
	st.unrealized = t.unrealized;
	st.fills = e->exec.fills;
	st.pid = (uint32_t)getpid();
	for (uint32_t i = 0; i < n && st.count < PS_JREC_STOP_MAX_POS; i++) {
		struct ps_risk_position p;
		if (ps_risk_position_get(e->exec.risk, i, &p))
			continue;
		st.pos[st.count++] = (struct ps_jrec_stop_pos){ .pos = p.pos,
								.cost = p.cost,
								.realized = p.realized,
								.unrealized = p.unrealized,
								.mark = p.mark,
								.instrument = i };
	}
	eng_journal_put(
	    e, PS_JREC_STOP, &st,
	    (uint32_t)(offsetof(struct ps_jrec_stop, pos) + st.count * sizeof(st.pos[0])));
}

bool eng_housekeeping_cpus(const struct ps_engine *e, cpu_set_t *out)
{
	cpu_set_t hot;

	CPU_ZERO(out);
	CPU_ZERO(&hot);
	for (uint32_t i = 0; i < e->cfg.thread_count; i++) {
		const struct eng_thread_cfg *t = &e->cfg.threads[i];
		if (t->cpu < 0 || t->cpu >= CPU_SETSIZE)
			continue;
		if (t->stages & (1u << ENG_COLD))
			CPU_SET(t->cpu, out);
		else
			CPU_SET(t->cpu, &hot);
	}
	if (!CPU_COUNT(out) && CPU_COUNT(&hot) && !sched_getaffinity(0, sizeof(*out), out))
		for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
			if (CPU_ISSET(cpu, &hot))
				CPU_CLR(cpu, out);
	return CPU_COUNT(out) > 0;
}

int ps_engine_run(struct ps_engine *e, volatile sig_atomic_t *stop)
{
	char err[256];
	int rc = 0;

	e->start_ns = eng_now_ns();
	for (uint32_t i = 0; i < e->cfg.thread_count; i++) {
		struct eng_thread *t = &e->threads[i];
		struct ps_thread_attr attr = PS_THREAD_ATTR_INIT;
		t->e = e;
		t->cfg = e->cfg.threads[i];
		attr.name = t->cfg.name;
		attr.cpu = t->cfg.cpu;
		attr.priority = t->cfg.priority;
		rc = ps_thread_start(&t->t, &attr, thread_main, t, err, sizeof(err));
		if (rc) {
			fprintf(stderr, "perseus: [thread.%s]: %s\n", t->cfg.name, err);
			set_phase(e, ENG_EXIT);
			break;
		}
		e->thread_count++;
	}
	/* The main thread only watches the clock and the signal flag, waking
	 * every few milliseconds: off the hot threads' CPUs, where each wake-up
	 * would preempt a stage (after the threads started: an unpinned thread
	 * inherits the mask of the thread that creates it). */
	cpu_set_t hk;
	if (!rc && eng_housekeeping_cpus(e, &hk))
		(void)sched_setaffinity(0, sizeof(hk), &hk);
	while (!rc && !*stop) {
		uint64_t now = eng_now_ns();
		if (e->cfg.duration_s > 0 && (double)(now - e->start_ns) / 1e9 >= e->cfg.duration_s)
			break;
		/* Relaxed loads: partners of the md thread's relaxed stores; a
		 * late view only delays the stop by one round. The packet time is
		 * read after now, and a newer one than now means "just now". */
		uint64_t last = atomic_load_explicit(&e->md.last_pkt_ns, memory_order_relaxed);
		if (atomic_load_explicit(&e->md.ended, memory_order_relaxed) &&
		    e->cfg.feed_idle_exit_s > 0) {
			fprintf(stderr, "perseus: the feed ended its session: shutting down\n");
			break;
		}
		if (e->cfg.feed_idle_exit_s > 0 && last && last < now &&
		    (double)(now - last) / 1e9 >= e->cfg.feed_idle_exit_s) {
			fprintf(stderr, "perseus: no market data for %.1f s: shutting down\n",
				e->cfg.feed_idle_exit_s);
			break;
		}
		if (e->cfg.mode == PS_ENGINE_PAPER && e->exec.soup_mem &&
		    ps_soup_client_state(&e->exec.soup) == PS_SOUP_CLIENT_STOPPED) {
			fprintf(stderr, "perseus: venue session stopped: shutting down\n");
			break;
		}
		usleep(10000);
	}
	if (!rc) {
		/* Stop in order: feed, then book drains, exec cancels and settles,
		 * then cold writes the last records. */
		set_phase(e, ENG_STOP_MD);
		wait_done(e, (1u << ENG_MD) | (1u << ENG_BOOK), 5.0);
		set_phase(e, ENG_STOP_EXEC);
		/* A3: pairs with R3 in eng_exec_poll: exec says its orders are settled
		 * (cancels answered) or gives up after a second. */
		uint64_t until = eng_now_ns() + 1500000000u;
		while (eng_now_ns() < until &&
		       !atomic_load_explicit(&e->exec_settled, memory_order_acquire))
			usleep(2000);
		set_phase(e, ENG_STOP_COLD);
		wait_done(e, 1u << ENG_EXEC, 5.0);
		set_phase(e, ENG_EXIT);
	}
	for (uint32_t i = 0; i < e->thread_count; i++)
		ps_thread_join(&e->threads[i].t, NULL);
	e->thread_count = 0;
	if (e->exec.soup_mem && e->exec.logged_in) {
		ps_soup_client_logout(&e->exec.soup, eng_now_ns());
		for (int i = 0;
		     i < 50 && ps_soup_client_state(&e->exec.soup) == PS_SOUP_CLIENT_LOGGING_OUT;
		     i++) {
			ps_soup_client_poll(&e->exec.soup, eng_now_ns());
			usleep(1000);
		}
	}
	eng_fix_logout(e->exec.fix);
	write_stop(e);
	eng_cold_close(&e->cold);
	return rc ? rc : e->cold.error;
}

int64_t ps_engine_pnl(const struct ps_engine *e)
{
	struct ps_risk_totals t;

	ps_risk_totals_get(e->exec.risk, &t);
	return t.realized + t.unrealized;
}

static void print_money(FILE *f, const char *label, int64_t v)
{
	/* price units (1e-4) x shares */
	int64_t a = v < 0 ? -v : v;
	fprintf(f, "  %-26s %s%lld.%04lld\n", label, v < 0 ? "-" : "", (long long)(a / 10000),
		(long long)(a % 10000));
}

/* Peak and current resident memory of the process (/proc/self/status). */
static void print_memory(FILE *f)
{
	char line[256], hwm[64] = "?", rss[64] = "?";
	FILE *st = fopen("/proc/self/status", "r");

	if (!st)
		return;
	while (fgets(line, sizeof(line), st)) {
		if (!strncmp(line, "VmHWM:", 6))
			snprintf(hwm, sizeof(hwm), "%s", line + 6 + strspn(line + 6, " \t"));
		else if (!strncmp(line, "VmRSS:", 6))
			snprintf(rss, sizeof(rss), "%s", line + 6 + strspn(line + 6, " \t"));
	}
	fclose(st);
	hwm[strcspn(hwm, "\n")] = '\0';
	rss[strcspn(rss, "\n")] = '\0';
	fprintf(f, "  %-26s peak %s, now %s", "resident memory", hwm, rss);
	/* How much of it the kernel backs with transparent huge pages (the
	 * hot tables ask for them: ps_alloc_hot). */
	if ((st = fopen("/proc/self/smaps_rollup", "r"))) {
		while (fgets(line, sizeof(line), st))
			if (!strncmp(line, "AnonHugePages:", 14))
				fprintf(f, ", %llu kB in huge pages",
					strtoull(line + 14, NULL, 10));
		fclose(st);
	}
	fputc('\n', f);
}

static void print_hist(FILE *f, const char *label, const struct ps_hist *h)
{
	if (!ps_hist_count(h)) {
		fprintf(f, "  %-26s (no samples)\n", label);
		return;
	}
	fprintf(f, "  %-26s p50 %6llu ns  p99 %7llu ns  p99.9 %7llu ns  max %8llu ns  (n=%llu)\n",
		label, (unsigned long long)ps_hist_percentile(h, 50.0),
		(unsigned long long)ps_hist_percentile(h, 99.0),
		(unsigned long long)ps_hist_percentile(h, 99.9), (unsigned long long)ps_hist_max(h),
		(unsigned long long)ps_hist_count(h));
}

const char *ps_engine_refused(const struct ps_engine *e)
{
	return e->exec.fail_closed ? e->exec.fail_reason : NULL;
}

int ps_engine_write_latency(struct ps_engine *e, const char *dir, char *err, size_t err_len)
{
	static const char *const lat_names[ENG_LAT__COUNT] = {
		[ENG_LAT_MD] = "md",   [ENG_LAT_BOOK] = "book", [ENG_LAT_EXEC] = "exec",
		[ENG_LAT_T2T] = "t2t", [ENG_LAT_SEND] = "send", [ENG_LAT_T2S] = "t2s",
	};
	const struct ps_hist *hs[ENG_LAT__COUNT + 2];
	const char *names[ENG_LAT__COUNT + 2];
	char path[4096];

	if (mkdir(dir, 0755) && errno != EEXIST) {
		snprintf(err, err_len, "cannot create %s: %s", dir, strerror(errno));
		return -errno;
	}
	for (int i = 0; i < ENG_LAT__COUNT; i++) {
		hs[i] = &e->exec.lat[i];
		names[i] = lat_names[i];
	}
	hs[ENG_LAT__COUNT] = &e->md.hist;
	names[ENG_LAT__COUNT] = "md-event";
	hs[ENG_LAT__COUNT + 1] = &e->book.hist;
	names[ENG_LAT__COUNT + 1] = "book-event";
	for (size_t i = 0; i < PS_ARRAY_SIZE(hs); i++) {
		snprintf(path, sizeof(path), "%s/%s.hgrm", dir, names[i]);
		FILE *f = fopen(path, "w");
		int rc = f ? ps_hist_print_hdr(hs[i], f) : -errno;
		if (f && fclose(f) && !rc)
			rc = -EIO;
		if (rc) {
			snprintf(err, err_len, "cannot write %s: %s", path, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

void ps_engine_print_summary(struct ps_engine *e, FILE *f)
{
	double secs = (double)(eng_now_ns() - e->start_ns) / 1e9;
	struct ps_risk_totals t;
	const struct eng_exec *x = &e->exec;

	ps_risk_totals_get(x->risk, &t);
	fprintf(f, "perseus run summary (%.1f s)\n", secs);
	fprintf(f, "  %-26s %llu packets, %llu messages, %llu book events\n", "market data",
		(unsigned long long)e->md.packets,
		(unsigned long long)ps_itch_stats_messages(&e->md.itch),
		(unsigned long long)e->book.events);
	fprintf(f, "  %-26s %.0f /s\n", "book updates",
		secs > 0 ? (double)e->book.events / secs : 0);
	fprintf(
	    f,
	    "  %-26s %s: %llu polls, %llu receive syscalls, %llu re-arms, %llu buffer "
	    "shortages, %llu errors\n",
	    "feed source", e->md.src.ops ? e->md.src.ops->name : "?",
	    (unsigned long long)e->md.src.stats.polls, (unsigned long long)e->md.src.stats.syscalls,
	    (unsigned long long)e->md.src.stats.rearms, (unsigned long long)e->md.src.stats.nobufs,
	    (unsigned long long)e->md.src.stats.errors);
	fprintf(f, "  %-26s gaps %llu, recovered by re-request %llu msgs, stale %llu\n",
		"feed sequencing", (unsigned long long)e->md.sess.stats.gaps,
		(unsigned long long)e->md.sess.stats.requests,
		(unsigned long long)e->md.sess.stats.stale);
	fprintf(f, "  %-26s %llu intents, %llu orders, %llu cancels, %llu replaces\n", "orders",
		(unsigned long long)x->intents, (unsigned long long)x->sent,
		(unsigned long long)x->cancels, (unsigned long long)x->replaces);
	if (x->risk_resyncs)
		fprintf(f,
			"  %-26s %llu (filled while the replace was in flight, or opened "
			"with other shares than asked)\n",
			"replacements resynced", (unsigned long long)x->risk_resyncs);
	if (x->fail_closed)
		fprintf(f, "  %-26s %s\n", "TRADING REFUSED", x->fail_reason);
	if (x->replaces_dropped)
		fprintf(f, "  %-26s %llu (the order ended first; the venue drops those)\n",
			"replaces dropped", (unsigned long long)x->replaces_dropped);
	if (x->adopted)
		fprintf(f, "  %-26s %llu (sent, journal record lost in a crash)\n",
			"orders adopted from venue", (unsigned long long)x->adopted);
	if (x->req_timeouts)
		fprintf(
		    f, "  %-26s %llu (no answer within order_timeout_ms: unknown until one came)\n",
		    "requests timed out", (unsigned long long)x->req_timeouts);
	if (x->cancel_timeouts)
		fprintf(f, "  %-26s %llu (the venue did not hold them)\n", "cancels unanswered",
			(unsigned long long)x->cancel_timeouts);
	fprintf(f, "  %-26s %llu fills, %llu shares\n", "fills", (unsigned long long)x->fills,
		(unsigned long long)x->filled_qty);
	fprintf(f, "  %-26s %llu risk, %llu venue\n", "rejects",
		(unsigned long long)x->risk_rejects, (unsigned long long)x->venue_rejects);
	for (unsigned i = 1; i < PS_ARRAY_SIZE(x->reject_by_reason) && i < PS_RISK_REASON__COUNT;
	     i++)
		if (x->reject_by_reason[i])
			fprintf(f, "    %-24s %llu\n", ps_risk_reason_name(i),
				(unsigned long long)x->reject_by_reason[i]);
	for (uint32_t i = 0; i < ps_instrument_table_count(e->instruments); i++) {
		struct ps_risk_position p;
		if (!ps_risk_position_get(x->risk, i, &p))
			fprintf(f, "  %-26s %s %lld shares, working buy %lld sell %lld\n",
				"position", e->cfg.symbols[i], (long long)p.pos,
				(long long)p.working_buy, (long long)p.working_sell);
	}
	print_money(f, "realized PnL", t.realized);
	print_money(f, "unrealized PnL", t.unrealized);
	print_money(f, "total PnL", t.realized + t.unrealized);
	fprintf(f, "  %-26s %llu records (%s)\n", "journal",
		(unsigned long long)eng_get(e, ENG_C_JOURNAL_RECORDS),
		e->cfg.journal_on ? e->cfg.journal_dir : "off");
	print_memory(f);
	fprintf(f, "latency inside the process, per order sent (the order path)\n");
	print_hist(f, "md: packet -> book", &x->lat[ENG_LAT_MD]);
	print_hist(f, "book: apply + strategy", &x->lat[ENG_LAT_BOOK]);
	print_hist(f, "exec: risk + OMS + encode", &x->lat[ENG_LAT_EXEC]);
	print_hist(f, "tick-to-trade", &x->lat[ENG_LAT_T2T]);
	print_hist(f, "send call (kernel TCP)", &x->lat[ENG_LAT_SEND]);
	print_hist(f, "tick-to-send-returned", &x->lat[ENG_LAT_T2S]);
	fprintf(f, "per event, every event\n");
	print_hist(f, e->split_md_book ? "md: packet" : "md: packet (+ book, exec)", &e->md.hist);
	print_hist(f, "book: apply + strategy", &e->book.hist);
	(void)stage_names;
}

void ps_engine_destroy(struct ps_engine *e)
{
	if (!e)
		return;
	/* Each part was set up only if its open ran (its back pointer is set). */
	if (e->md.e)
		eng_md_close(&e->md);
	if (e->exec.e)
		eng_exec_close(&e->exec);
	if (e->book.e)
		eng_book_close(&e->book);
	if (e->cold.e)
		eng_cold_close(&e->cold);
	eng_log_close(e);
	ps_instrument_table_destroy(e->instruments);
	ps_config_destroy(e->config);
	for (int i = 0; i < 3; i++)
		ps_free(e->ring_mem[i]);
	ps_free(e->jring_mem);
	ps_free(e);
}
