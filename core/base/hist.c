#include <ps/alloc.h>
#include <ps/hist.h>

#include <errno.h>
#include <math.h>
#include <string.h>

_Static_assert(PS_HIST_BUCKET_COUNT == 3840, "bucket layout changed: update the header comment");

size_t ps_hist_memsize(void)
{
	return PS_HIST_BUCKET_COUNT * sizeof(uint64_t);
}

int ps_hist_init(struct ps_hist *h, void *mem)
{
	if (!h || !mem || ((uintptr_t)mem & (alignof(uint64_t) - 1)) != 0)
		return -EINVAL;
	memset(h, 0, sizeof(*h));
	h->counts = mem;
	ps_hist_reset(h);
	return 0;
}

void ps_hist_fini(struct ps_hist *h)
{
	if (!h)
		return;
#ifndef NDEBUG
	/* Poison: a record after fini faults instead of scribbling. */
	memset(h, 0xff, sizeof(*h));
	h->counts = NULL;
#endif
}

int ps_hist_create(struct ps_hist **out)
{
	if (!out)
		return -EINVAL;
	*out = NULL;
	struct ps_hist *h = ps_alloc(sizeof(*h));
	void *mem = ps_alloc_aligned(PS_CACHE_LINE, ps_hist_memsize());
	if (!h || !mem) {
		ps_free(mem);
		ps_free(h);
		return -ENOMEM;
	}
	ps_hist_init(h, mem);
	h->owns_mem = true;
	*out = h;
	return 0;
}

void ps_hist_destroy(struct ps_hist *h)
{
	if (!h || !h->owns_mem) /* not from ps_hist_create: not ours to free */
		return;
	ps_free(h->counts);
	ps_free(h);
}

uint64_t ps_hist_bucket_low(uint32_t i)
{
	if (i < 2 * PS_HIST_SUB_COUNT)
		return i;
	unsigned shift = (i >> PS_HIST_SUB_BITS) - 1;
	uint64_t sub = (i & (PS_HIST_SUB_COUNT - 1)) + PS_HIST_SUB_COUNT;
	return sub << shift;
}

uint64_t ps_hist_bucket_high(uint32_t i)
{
	if (i < 2 * PS_HIST_SUB_COUNT)
		return i;
	unsigned shift = (i >> PS_HIST_SUB_BITS) - 1;
	return ps_hist_bucket_low(i) + (UINT64_C(1) << shift) - 1;
}

/* The value reported for bucket i: its highest equivalent value, kept
 * inside the recorded [min, max] so the extremes are exact. */
static uint64_t report_value(const struct ps_hist *h, uint32_t i)
{
	uint64_t v = ps_hist_bucket_high(i);
	if (v > h->max)
		v = h->max;
	if (v < h->min)
		v = h->min;
	return v;
}

uint64_t ps_hist_percentile(const struct ps_hist *h, double pct)
{
	if (h->total == 0)
		return 0;
	if (!(pct > 0.0)) /* also NaN */
		return h->min;
	if (pct >= 100.0)
		return h->max;
	/* Rank of the wanted recording, rounded as HdrHistogram does. */
	uint64_t rank = (uint64_t)(pct / 100.0 * (double)h->total + 0.5);
	if (rank == 0)
		rank = 1;
	uint64_t cum = 0;
	for (uint32_t i = 0; i < PS_HIST_BUCKET_COUNT; i++) {
		cum += h->counts[i];
		if (cum >= rank)
			return report_value(h, i);
	}
	return h->max;
}

uint64_t ps_hist_count(const struct ps_hist *h)
{
	return h->total;
}

uint64_t ps_hist_min(const struct ps_hist *h)
{
	return h->total ? h->min : 0;
}

uint64_t ps_hist_max(const struct ps_hist *h)
{
	return h->total ? h->max : 0;
}

double ps_hist_mean(const struct ps_hist *h)
{
	return h->total ? (double)h->sum / (double)h->total : 0.0;
}

double ps_hist_stddev(const struct ps_hist *h)
{
	if (h->total == 0)
		return 0.0;
	double mean = ps_hist_mean(h), acc = 0.0;
	for (uint32_t i = 0; i < PS_HIST_BUCKET_COUNT; i++) {
		if (!h->counts[i])
			continue;
		double mid = ((double)ps_hist_bucket_low(i) + (double)ps_hist_bucket_high(i)) / 2.0;
		acc += (double)h->counts[i] * (mid - mean) * (mid - mean);
	}
	return sqrt(acc / (double)h->total);
}

void ps_hist_merge(struct ps_hist *dst, const struct ps_hist *src)
{
	if (src->total == 0)
		return;
	for (uint32_t i = 0; i < PS_HIST_BUCKET_COUNT; i++)
		dst->counts[i] += src->counts[i];
	dst->total += src->total;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

void ps_hist_reset(struct ps_hist *h)
{
	memset(h->counts, 0, ps_hist_memsize());
	h->total = 0;
	h->sum = 0;
	h->min = UINT64_MAX;
	h->max = 0;
}

/*
 * HdrHistogram's percentile iteration: report levels start at 0% and step by
 * 100 / (ticks * 2^(floor(log2(100 / (100 - level))) + 1)), so every halving
 * of the distance to 100% gets the same number of rows (5 per half, as
 * HdrHistogram's default). A bucket emits a row for each level its
 * cumulative count reaches; after the last recording comes one 100% row.
 */
#define TICKS_PER_HALF 5

static double next_level(double level)
{
	double halvings = floor(log2(100.0 / (100.0 - level)));
	double ticks = TICKS_PER_HALF * pow(2.0, halvings + 1.0);
	return level + 100.0 / ticks;
}

int ps_hist_print_hdr_scaled(const struct ps_hist *h, FILE *f, double unit_ratio)
{
	if (!(unit_ratio > 0.0))
		unit_ratio = 1.0;
	fprintf(f, "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount",
		"1/(1-Percentile)");

	double level = 0.0;
	uint64_t cum = 0;
	uint32_t last = 0;
	for (uint32_t i = 0; i < PS_HIST_BUCKET_COUNT && cum < h->total; i++) {
		if (!h->counts[i])
			continue;
		cum += h->counts[i];
		last = i;
		while (100.0 * (double)cum / (double)h->total >= level) {
			double p = level / 100.0;
			fprintf(f, "%12.3f %2.12f %10llu %14.2f\n",
				(double)report_value(h, i) / unit_ratio, p, (unsigned long long)cum,
				1.0 / (1.0 - p));
			level = next_level(level);
			if (cum == h->total)
				break;
		}
	}
	if (h->total)
		fprintf(f, "%12.3f %2.12f %10llu\n", (double)report_value(h, last) / unit_ratio,
			1.0, (unsigned long long)h->total);

	fprintf(f, "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n", ps_hist_mean(h) / unit_ratio,
		ps_hist_stddev(h) / unit_ratio);
	fprintf(f, "#[Max     = %12.3f, Total count    = %12llu]\n",
		(double)ps_hist_max(h) / unit_ratio, (unsigned long long)h->total);
	fprintf(f, "#[Buckets = %12d, SubBuckets     = %12d]\n",
		(int)(PS_HIST_MAX_BITS - PS_HIST_SUB_BITS + 1), (int)(2 * PS_HIST_SUB_COUNT));
	fflush(f);
	return ferror(f) ? -EIO : 0;
}

int ps_hist_print_hdr(const struct ps_hist *h, FILE *f)
{
	return ps_hist_print_hdr_scaled(h, f, 1000.0);
}
