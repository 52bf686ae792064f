/*
 * Latency histogram, HdrHistogram-style log-linear buckets.
 *
 * Values are unsigned integers (ns by convention). Values below 256 get one
 * bucket each (exact). Above, each power of two [2^e, 2^(e+1)) is split into
 * 128 equal sub-buckets, so a bucket is never wider than 1/128 of its lowest
 * value: any reported value is within 0.79% of a recorded one (the brief
 * asks for 1%). The range is 0 .. PS_HIST_MAX (2^36 - 1 ns, about 68.7 s;
 * larger values are clamped to PS_HIST_MAX and counted in the top bucket,
 * while max() still reports the clamped value). 3840 uint64 counters = 30 KiB.
 *
 * Recording is O(1): one leading-zero count, one shift, one add, a clamp and
 * the min/max updates (predictable branches), no allocation. A histogram
 * has ONE writer thread; the usual pattern is one histogram per thread and
 * stage, handed to the cold thread (through a ring or double buffering) and
 * merged there with ps_hist_merge. Readers must not run while the writer records.
 *
 * Percentiles follow HdrHistogram: the value at percentile p is the highest
 * value equivalent to the bucket holding the round(p/100 * count)-th smallest
 * recording, clamped to [min, max] (so p0 = min and p100 = max exactly).
 *
 * Memory: caller-owned (ps_hist_memsize + ps_hist_init) or allocated
 * (ps_hist_create / ps_hist_destroy).
 */
#ifndef PS_HIST_H
#define PS_HIST_H

#include <ps/common.h>
#include <stdio.h>

#define PS_HIST_SUB_BITS     7 /* 128 sub-buckets per power of two: 0.78% */
#define PS_HIST_SUB_COUNT    (1u << PS_HIST_SUB_BITS)
#define PS_HIST_MAX_BITS     36 /* values < 2^36 ns (68.7 s) */
#define PS_HIST_MAX          ((UINT64_C(1) << PS_HIST_MAX_BITS) - 1)
#define PS_HIST_BUCKET_COUNT ((PS_HIST_MAX_BITS - PS_HIST_SUB_BITS + 1) * PS_HIST_SUB_COUNT)

/*
 * Single-writer histogram. counts points at PS_HIST_BUCKET_COUNT counters.
 * All fields are written by the one recording thread only.
 */
struct ps_hist {
	uint64_t *counts;
	uint64_t total; /* number of recordings */
	uint64_t sum;   /* sum of (clamped) values, for the mean */
	uint64_t min;   /* UINT64_MAX while empty */
	uint64_t max;   /* 0 while empty */
	bool owns_mem;  /* set by ps_hist_create */
};

/* Bytes of counter memory ps_hist_init needs (8-byte aligned). */
PS_API size_t ps_hist_memsize(void);

/**
 * Initialise h over caller-owned mem (ps_hist_memsize() bytes, 8-byte
 * aligned); the histogram starts empty.
 * @return 0; -EINVAL when h or mem is NULL or mem is misaligned.
 */
PS_API int ps_hist_init(struct ps_hist *h, void *mem);

/* Release h (init'ed form): the caller frees mem afterwards. */
PS_API void ps_hist_fini(struct ps_hist *h);

/**
 * Allocate and initialise a histogram (ps_alloc).
 * @return 0; -EINVAL (h NULL); -ENOMEM.
 */
PS_API int ps_hist_create(struct ps_hist **h);

/* Free a histogram from ps_hist_create; NULL does nothing. */
PS_API void ps_hist_destroy(struct ps_hist *h);

/* Bucket index of a value (clamped to PS_HIST_MAX). Internal, exposed for the
 * inline record and for tests. */
static inline uint32_t ps_hist__index(uint64_t v)
{
	/* OR-ing 2^SUB_BITS in makes values below 256 land in shift 0 (exact). */
	unsigned e = 63u - (unsigned)__builtin_clzll(v | PS_HIST_SUB_COUNT);
	unsigned shift = e - PS_HIST_SUB_BITS;

	return (uint32_t)((shift << PS_HIST_SUB_BITS) + (v >> shift));
}

/* Record one value. Hot path: O(1), no allocation; single writer. */
static inline void ps_hist_record(struct ps_hist *h, uint64_t value_ns)
{
	if (ps_unlikely(value_ns > PS_HIST_MAX))
		value_ns = PS_HIST_MAX;
	h->counts[ps_hist__index(value_ns)]++;
	h->total++;
	h->sum += value_ns;
	if (value_ns < h->min)
		h->min = value_ns;
	if (value_ns > h->max)
		h->max = value_ns;
}

/* Record `count` occurrences of one value. Hot path; single writer. */
static inline void ps_hist_record_n(struct ps_hist *h, uint64_t value_ns, uint64_t count)
{
	if (ps_unlikely(count == 0))
		return;
	if (ps_unlikely(value_ns > PS_HIST_MAX))
		value_ns = PS_HIST_MAX;
	h->counts[ps_hist__index(value_ns)] += count;
	h->total += count;
	h->sum += value_ns * count;
	if (value_ns < h->min)
		h->min = value_ns;
	if (value_ns > h->max)
		h->max = value_ns;
}

/* Lowest and highest value that land in bucket i (i < PS_HIST_BUCKET_COUNT). */
PS_API uint64_t ps_hist_bucket_low(uint32_t i);
PS_API uint64_t ps_hist_bucket_high(uint32_t i);

/* Value at percentile pct (0..100; clamped); 0 when empty. */
PS_API uint64_t ps_hist_percentile(const struct ps_hist *h, double pct);

PS_API uint64_t ps_hist_count(const struct ps_hist *h);
/* 0 when empty. */
PS_API uint64_t ps_hist_min(const struct ps_hist *h);
PS_API uint64_t ps_hist_max(const struct ps_hist *h);
/* Exact mean of the (clamped) recorded values; 0.0 when empty. */
PS_API double ps_hist_mean(const struct ps_hist *h);
/* Standard deviation estimated from bucket midpoints; 0.0 when empty. */
PS_API double ps_hist_stddev(const struct ps_hist *h);

/* Add src's recordings to dst (src unchanged). Neither may be recorded into
 * meanwhile. */
PS_API void ps_hist_merge(struct ps_hist *dst, const struct ps_hist *src);

/* Forget all recordings. */
PS_API void ps_hist_reset(struct ps_hist *h);

/**
 * Print in HdrHistogram's percentile-distribution text format (the
 * "Value Percentile TotalCount 1/(1-Percentile)" table, 5 ticks per half
 * distance, then the #[Mean ...], #[Max ...], #[Buckets ...] footer), values
 * in microseconds (ns / 1000) with 3 decimals, which HdrHistogram plotters
 * read directly. Cold path.
 * @return 0; -EIO when writing to f fails.
 */
PS_API int ps_hist_print_hdr(const struct ps_hist *h, FILE *f);

/* As ps_hist_print_hdr, values divided by unit_ratio (1.0: ns; 1e6: ms). */
PS_API int ps_hist_print_hdr_scaled(const struct ps_hist *h, FILE *f, double unit_ratio);

#endif /* PS_HIST_H */
