/* Platform jitter measurement. See <ps/tune_jitter.h>. */
#include <ps/tune_jitter.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include <ps/clock.h>
#include <ps/hist.h>
#include <ps/thread.h>

void ps_jitter_config_default(struct ps_jitter_config *cfg)
{
	cfg->cpu = -1;
	cfg->priority = 0;
	cfg->duration_ns = 5000000000ull;
	cfg->threshold_ns = 1000;
}

struct spin {
	uint64_t dur_tsc, thr_tsc;
	struct ps_hist *gaps;
	struct ps_jitter_result *out;
};

/* The measuring loop: nothing in it but the clock read, the compare and, on
 * a hiccup, one histogram record (O(1), no allocation). */
static int spin_main(void *arg)
{
	struct spin *s = arg;
	uint64_t reads = 0, hiccups = 0, lost_tsc = 0;
	uint64_t start = ps_tsc(), prev = start, end = start + s->dur_tsc;

	for (;;) {
		uint64_t now = ps_tsc(), d = now - prev;

		reads++;
		if (ps_unlikely(d >= s->thr_tsc)) {
			uint64_t ns = ps_tsc_to_ns(d);
			hiccups++;
			lost_tsc += d;
			ps_hist_record(s->gaps, ns);
		}
		prev = now;
		if (ps_unlikely(now >= end))
			break;
	}
	s->out->reads = reads;
	s->out->hiccups = hiccups;
	s->out->lost_ns = ps_tsc_to_ns(lost_tsc);
	/* The mean gap between reads outside the hiccups. Not the shortest one:
	 * some TSCs advance in steps (AMD EPYC guests here: 26 or 52 ticks,
	 * now and then 1), so the shortest gap says nothing of the loop. */
	s->out->step_ns = reads > hiccups
			      ? ps_tsc_to_ns((prev - start - lost_tsc + (reads - hiccups) / 2) /
					     (reads - hiccups))
			      : 0;
	s->out->elapsed_ns = ps_tsc_to_ns(prev - start);
	return 0;
}

int ps_jitter_measure(const struct ps_jitter_config *cfg, struct ps_hist *gaps,
		      struct ps_jitter_result *out, char *err, size_t err_len)
{
	struct ps_thread_attr attr = PS_THREAD_ATTR_INIT;
	struct ps_thread t;
	struct spin s;
	int rc;

	if (!cfg || !gaps || !out) {
		snprintf(err, err_len, "jitter: no config, histogram or result");
		return -EINVAL;
	}
	if (cfg->duration_ns < 1000000u || cfg->duration_ns > PS_JITTER_MAX_NS) {
		snprintf(err, err_len, "jitter: duration %llu ns: expected 1 ms to 1 hour",
			 (unsigned long long)cfg->duration_ns);
		return -EINVAL;
	}
	if (cfg->threshold_ns < PS_JITTER_MIN_THRESHOLD || cfg->threshold_ns > cfg->duration_ns) {
		snprintf(err, err_len, "jitter: threshold %llu ns: expected %u ns to the duration",
			 (unsigned long long)cfg->threshold_ns, PS_JITTER_MIN_THRESHOLD);
		return -EINVAL;
	}
	*out = (struct ps_jitter_result){ .cpu = cfg->cpu, .threshold_ns = cfg->threshold_ns };
	s = (struct spin){ .dur_tsc = ps_clock_ns_to_tsc(cfg->duration_ns),
			   .thr_tsc = ps_clock_ns_to_tsc(cfg->threshold_ns),
			   .gaps = gaps,
			   .out = out };
	if (s.thr_tsc == 0)
		s.thr_tsc = 1;
	attr.name = "ps-jitter";
	attr.cpu = cfg->cpu;
	attr.priority = cfg->priority;
	rc = ps_thread_start(&t, &attr, spin_main, &s, err, err_len);
	if (rc)
		return rc;
	return ps_thread_join(&t, NULL);
}

double ps_jitter_hit_chance(const struct ps_jitter_result *r, uint64_t path_ns)
{
	double p;

	if (!r || r->elapsed_ns == 0)
		return 0;
	p = (double)r->hiccups * (double)path_ns / (double)r->elapsed_ns;
	return p > 1 ? 1 : p;
}

uint64_t ps_jitter_path_percentile(const struct ps_jitter_result *r, const struct ps_hist *gaps,
				   uint64_t path_ns, double pct)
{
	double allowed; /* hiccups longer than d that may start inside the path */
	uint64_t longer = 0;

	if (!r || !gaps || r->elapsed_ns == 0 || path_ns == 0 || !(pct > 0 && pct < 100))
		return path_ns;
	allowed = (100 - pct) / 100 * (double)r->elapsed_ns / (double)path_ns;
	for (uint32_t i = PS_HIST_BUCKET_COUNT; i-- > 0;) {
		if (!gaps->counts[i])
			continue;
		if ((double)(longer + gaps->counts[i]) > allowed)
			return path_ns + ps_hist_bucket_high(i);
		longer += gaps->counts[i];
	}
	return path_ns;
}

/* Hiccup sizes for the report: [low, next low), the last one open. */
static const uint64_t size_low[] = { 0, 2000, 5000, 10000, 50000, 100000, 1000000 };
static const char *const size_name[] = { "< 2 us",    "2-5 us",   "5-10 us", "10-50 us",
					 "50-100 us", "0.1-1 ms", ">= 1 ms" };
#define SIZE_CLASSES (sizeof(size_low) / sizeof(size_low[0]))

static void size_counts(const struct ps_hist *h, uint64_t c[SIZE_CLASSES])
{
	for (size_t k = 0; k < SIZE_CLASSES; k++)
		c[k] = 0;
	for (uint32_t i = 0; i < PS_HIST_BUCKET_COUNT; i++) {
		uint64_t n = h->counts[i], low = ps_hist_bucket_low(i);
		size_t k = SIZE_CLASSES - 1;

		if (!n)
			continue;
		while (k > 0 && low < size_low[k])
			k--;
		c[k] += n;
	}
}

static double per_s(uint64_t n, uint64_t ns)
{
	return ns ? (double)n * 1e9 / (double)ns : 0;
}

/* Share of the run the thread was away, in percent. */
static double away_pct(const struct ps_jitter_result *r)
{
	return r->elapsed_ns ? 100.0 * (double)r->lost_ns / (double)r->elapsed_ns : 0.0;
}

int ps_jitter_print(FILE *f, const struct ps_jitter_result *r, const struct ps_hist *gaps)
{
	uint64_t c[SIZE_CLASSES];
	char cpu[16];
	bool any = ps_hist_count(gaps) > 0;

	if (r->cpu >= 0)
		snprintf(cpu, sizeof(cpu), "CPU %d", r->cpu);
	else
		snprintf(cpu, sizeof(cpu), "unpinned");
	size_counts(gaps, c);
	fprintf(f, "%s: %.2f s spun, %llu clock reads (loop step %llu ns)\n", cpu,
		(double)r->elapsed_ns / 1e9, (unsigned long long)r->reads,
		(unsigned long long)r->step_ns);
	fprintf(f, "hiccups >= %llu ns: %llu (%.1f/s), %.3f%% of the time lost\n",
		(unsigned long long)r->threshold_ns, (unsigned long long)r->hiccups,
		per_s(r->hiccups, r->elapsed_ns), away_pct(r));
	if (any)
		fprintf(f, "hiccup length: p50 %llu ns, p99 %llu ns, max %llu ns\n",
			(unsigned long long)ps_hist_percentile(gaps, 50),
			(unsigned long long)ps_hist_percentile(gaps, 99),
			(unsigned long long)ps_hist_max(gaps));
	fprintf(f,
		"a 1 us path starting while the thread runs: hit %.3f%% of the time, p99 %.1f us "
		"from hiccups alone; a 5 us path: hit %.3f%%, p99 %.1f us\n",
		100 * ps_jitter_hit_chance(r, 1000),
		(double)ps_jitter_path_percentile(r, gaps, 1000, 99) / 1e3,
		100 * ps_jitter_hit_chance(r, 5000),
		(double)ps_jitter_path_percentile(r, gaps, 5000, 99) / 1e3);
	fprintf(f,
		"a packet arriving at a random moment finds the thread away %.3f%% of the time\n",
		away_pct(r));
	for (size_t k = 0; k < SIZE_CLASSES; k++)
		if (c[k])
			fprintf(f, "  %-10s %10llu  %8.2f/s\n", size_name[k],
				(unsigned long long)c[k], per_s(c[k], r->elapsed_ns));
	return ferror(f) ? -1 : 0;
}

int ps_jitter_print_json(FILE *f, const struct ps_jitter_result *r, const struct ps_hist *gaps)
{
	uint64_t c[SIZE_CLASSES];
	bool any = ps_hist_count(gaps) > 0;

	size_counts(gaps, c);
	fprintf(f,
		"{\"cpu\":%d,\"threshold_ns\":%llu,\"elapsed_ns\":%llu,\"reads\":%llu,"
		"\"step_ns\":%llu,\"hiccups\":%llu,\"lost_ns\":%llu,\"p50_ns\":%llu,"
		"\"p99_ns\":%llu,\"max_ns\":%llu,\"hit_1us\":%.6f,\"hit_5us\":%.6f,"
		"\"path_p99_1us_ns\":%llu,\"path_p99_5us_ns\":%llu,\"sizes\":{",
		r->cpu, (unsigned long long)r->threshold_ns, (unsigned long long)r->elapsed_ns,
		(unsigned long long)r->reads, (unsigned long long)r->step_ns,
		(unsigned long long)r->hiccups, (unsigned long long)r->lost_ns,
		(unsigned long long)(any ? ps_hist_percentile(gaps, 50) : 0),
		(unsigned long long)(any ? ps_hist_percentile(gaps, 99) : 0),
		(unsigned long long)(any ? ps_hist_max(gaps) : 0), ps_jitter_hit_chance(r, 1000),
		ps_jitter_hit_chance(r, 5000),
		(unsigned long long)ps_jitter_path_percentile(r, gaps, 1000, 99),
		(unsigned long long)ps_jitter_path_percentile(r, gaps, 5000, 99));
	for (size_t k = 0; k < SIZE_CLASSES; k++)
		fprintf(f, "%s\"%s\":%llu", k ? "," : "", size_name[k], (unsigned long long)c[k]);
	fprintf(f, "}}\n");
	return ferror(f) ? -1 : 0;
}
