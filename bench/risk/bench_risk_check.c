/*
 * Pre-trade check and fill update latency.
 *
 *   risk/check/accepted        the whole check chain, order accepted
 *   risk/check/rejected        rejected at the last check (confidence)
 *   risk/fill                  one fill: position, PnL, equity, escalation
 *   risk/check/call/accepted   the chain behind a noinline call, for
 *   risk/check/call/rejected   instruction counts under callgrind
 *
 * Setup is the users' configuration (every default limit on: collar 5%,
 * duplicates 1 s, position 10% and exposure 80% of equity, 20 open
 * positions, 8 working orders, rates, confidence 60%) over 8192 instruments,
 * with working orders resting on the instruments the intents use.
 *
 * Latency: BATCH calls are timed together with rdtsc (begin) / rdtscp (end);
 * the mean per call of each batch, less the timer overhead measured the same
 * way around an empty batch, goes into a histogram in picoseconds. Counters
 * p50_ns and p99_9_ns are its percentiles; overhead_ns is the subtracted timer
 * cost per call.
 */
#include <string.h>

#include <ps/alloc.h>
#include <ps/clock.h>
#include <ps/hist.h>
#include <ps/risk.h>

#include "harness.h"

#ifndef BENCH_RISK_INSTR
#define BENCH_RISK_INSTR 8192u
#endif
#define BATCH   8u
#define NINTENT 16u
#define PX      INT64_C(1000000) /* 100.0000 */

struct rb {
	struct ps_risk_board board;
	struct ps_risk *r;
	void *board_mem;
	struct ps_order_intent in[NINTENT];
	uint32_t buy, sell; /* fill bench: resting orders */
	uint64_t now;
};

static void rb_fini(struct rb *x)
{
	ps_risk_destroy(x->r);
	ps_risk_board_fini(&x->board);
	ps_free(x->board_mem);
}

static int rb_init(struct rb *x, uint16_t confidence)
{
	struct ps_risk_limits g;
	struct ps_risk_instr_limits *il;
	struct ps_risk_params p;
	int rc;

	memset(x, 0, sizeof(*x));
	il = ps_calloc(BENCH_RISK_INSTR, sizeof(*il));
	x->board_mem = ps_alloc_aligned(PS_CACHE_LINE, ps_risk_board_memsize(BENCH_RISK_INSTR));
	if (!il || !x->board_mem) {
		ps_free(il);
		return -1;
	}
	ps_risk_limits_defaults(&g);
	g.g[PS_RISK_G_START_EQUITY] = INT64_C(10000000000); /* 1,000,000.0000 */
	g.g[PS_RISK_G_CREDIT_LIMIT] = INT64_C(10000000000);
	for (uint32_t i = 0; i < BENCH_RISK_INSTR; i++) {
		ps_risk_instr_limits_defaults(&il[i]);
		il[i].v[PS_RISK_I_TICK] = 100;
		il[i].v[PS_RISK_I_LOT] = 1;
	}
	rc = ps_risk_board_init(&x->board, x->board_mem, BENCH_RISK_INSTR, &g, il, NULL, 0);
	ps_free(il);
	if (rc)
		return -1;
	memset(&p, 0, sizeof(p));
	p.instrument_count = BENCH_RISK_INSTR;
	p.strategy_count = 4;
	p.order_capacity = 4096;
	p.board = &x->board;
	if (ps_risk_create(&x->r, &p) != 0)
		return -1;
	x->now = UINT64_C(1000000000000);
	for (uint32_t k = 0; k < NINTENT; k++) {
		struct ps_order_intent *in = &x->in[k];
		uint32_t instr = k * 509u % BENCH_RISK_INSTR;

		ps_risk_md_update(x->r, instr, PX - 100, PX + 100, PX, x->now);
		/* a resting order on each side, away from the intents' prices */
		struct ps_order_intent rest;
		memset(&rest, 0, sizeof(rest));
		rest.instrument = instr;
		rest.qty = 10;
		rest.confidence_bp = 10000;
		rest.price = PX - 2000;
		rest.side = PS_SIDE_BUY;
		if (k < 4) {
			ps_risk_on_send(x->r, &rest, PS_RISK_ORDER_NONE, 1, x->now - 2000000000u);
			rest.price = PX + 2000;
			rest.side = PS_SIDE_SELL;
			ps_risk_on_send(x->r, &rest, PS_RISK_ORDER_NONE, 2, x->now - 2000000000u);
		}
		memset(in, 0, sizeof(*in));
		in->instrument = instr;
		in->side = (uint8_t)(k & 1);
		in->price = PX + (k & 1 ? 100 : -100);
		in->qty = 100;
		in->strategy_id = (uint16_t)(k & 3);
		in->confidence_bp = confidence;
		in->action = PS_ORDER_NEW;
	}
	return 0;
}

/* The check behind a call the compiler may not inline: what callgrind counts. */
static PS_NOINLINE enum ps_risk_reason
bench_risk_check_one(struct ps_risk *r, struct ps_order_intent *in, uint64_t now)
{
	return ps_risk_check(r, in, PS_RISK_ORDER_NONE, now);
}

static uint64_t timer_overhead(void)
{
	uint64_t best[64];

	for (int k = 0; k < 64; k++) {
		uint64_t t0 = ps_tsc();
		__asm__ __volatile__("" ::: "memory");
		best[k] = ps_tscp() - t0;
	}
	/* median of 64 */
	for (int i = 1; i < 64; i++)
		for (int j = i; j > 0 && best[j - 1] > best[j]; j--) {
			uint64_t t = best[j];
			best[j] = best[j - 1];
			best[j - 1] = t;
		}
	return best[32];
}

static void report(struct ps_bench *b, struct ps_hist *h, uint64_t overhead, uint64_t items,
		   double ghz)
{
	ps_bench_items(b, (int64_t)items);
	ps_bench_counter(b, "p50_ns", (double)ps_hist_percentile(h, 50) / 1000.0);
	ps_bench_counter(b, "p99_9_ns", (double)ps_hist_percentile(h, 99.9) / 1000.0);
	ps_bench_counter(b, "overhead_ns", (double)overhead / ghz / BATCH);
}

static void bench_check(struct ps_bench *b, uint16_t confidence, enum ps_risk_reason want)
{
	static bool clock_ready;
	struct ps_hist *h;
	struct rb x;
	uint64_t n, items = 0, over;
	unsigned bad = 0;
	double ghz;

	if (!clock_ready) {
		ps_clock_init();
		clock_ready = true;
	}
	ghz = ps_tsc_ghz();
	if (rb_init(&x, confidence) != 0 || ps_hist_create(&h) != 0) {
		ps_bench_skip(b, "setup failed");
		return;
	}
	for (unsigned k = 0; k < NINTENT; k++)
		if (ps_risk_check(x.r, &x.in[k], PS_RISK_ORDER_NONE, x.now) != want) {
			ps_bench_skip(b, "unexpected verdict at setup");
			ps_hist_destroy(h);
			rb_fini(&x);
			return;
		}
	over = timer_overhead();
	while ((n = ps_bench_batch(b, 1024)) != 0) {
		for (uint64_t i = 0; i < n; i += BATCH) {
			uint64_t t0 = ps_tsc();
			for (unsigned k = 0; k < BATCH; k++)
				bad += ps_risk_check(x.r, &x.in[(i + k) % NINTENT],
						     PS_RISK_ORDER_NONE, x.now) != want;
			uint64_t dt = ps_tscp() - t0;
			dt = dt > over ? dt - over : 0;
			ps_hist_record(h, (uint64_t)((double)dt * 1000.0 / ghz / BATCH) + 1);
		}
		items += n;
	}
	ps_bench_keep(&bad);
	if (bad)
		ps_bench_skip(b, "verdict changed during the run");
	report(b, h, over, items, ghz);
	ps_hist_destroy(h);
	rb_fini(&x);
}

static void bench_risk_check_accepted(struct ps_bench *b)
{
	bench_check(b, 10000, PS_RISK_OK);
}
PS_BENCH("risk/check/accepted", bench_risk_check_accepted, 0, 0);

static void bench_risk_check_rejected(struct ps_bench *b)
{
	bench_check(b, 5999, PS_RISK_CONFIDENCE);
}
PS_BENCH("risk/check/rejected", bench_risk_check_rejected, 0, 0);

static void bench_call(struct ps_bench *b, uint16_t confidence, enum ps_risk_reason want)
{
	struct rb x;
	uint64_t n, bad = 0;

	if (rb_init(&x, confidence) != 0) {
		ps_bench_skip(b, "setup failed");
		return;
	}
	while ((n = ps_bench_batch(b, 1024)) != 0)
		for (uint64_t i = 0; i < n; i++)
			bad += bench_risk_check_one(x.r, &x.in[i % NINTENT], x.now) != want;
	ps_bench_keep(&bad);
	if (bad)
		ps_bench_skip(b, "unexpected verdict");
	rb_fini(&x);
}

static void bench_risk_check_call_accepted(struct ps_bench *b)
{
	bench_call(b, 10000, PS_RISK_OK);
}
PS_BENCH("risk/check/call/accepted", bench_risk_check_call_accepted, 0, 0);

static void bench_risk_check_call_rejected(struct ps_bench *b)
{
	bench_call(b, 5999, PS_RISK_CONFIDENCE);
}
PS_BENCH("risk/check/call/rejected", bench_risk_check_call_rejected, 0, 0);

/* Fills alternate between a resting buy and a resting sell of one share, so
 * the position goes 0 -> 1 -> 0: opening and closing (realized PnL) in turn. */
static void bench_risk_fill(struct ps_bench *b)
{
	struct ps_order_intent o;
	struct ps_hist *h;
	struct rb x;
	uint64_t n, items = 0, over;
	double ghz;

	ps_clock_init();
	ghz = ps_tsc_ghz();
	if (rb_init(&x, 10000) != 0 || ps_hist_create(&h) != 0) {
		ps_bench_skip(b, "setup failed");
		return;
	}
	memset(&o, 0, sizeof(o));
	o.instrument = 7;
	o.qty = UINT32_MAX;
	o.price = PX - 100;
	o.side = PS_SIDE_BUY;
	x.buy = ps_risk_on_send(x.r, &o, PS_RISK_ORDER_NONE, 10, x.now);
	o.price = PX + 100;
	o.side = PS_SIDE_SELL;
	x.sell = ps_risk_on_send(x.r, &o, PS_RISK_ORDER_NONE, 11, x.now);
	if (x.buy == PS_RISK_ORDER_NONE || x.sell == PS_RISK_ORDER_NONE) {
		ps_bench_skip(b, "setup failed");
		ps_hist_destroy(h);
		rb_fini(&x);
		return;
	}
	over = timer_overhead();
	while ((n = ps_bench_batch(b, 1024)) != 0) {
		for (uint64_t i = 0; i < n; i += BATCH) {
			uint64_t t0 = ps_tsc();
			for (unsigned k = 0; k < BATCH; k += 2) {
				ps_risk_on_fill(x.r, x.buy, PX - 100, 1, x.now);
				ps_risk_on_fill(x.r, x.sell, PX + 100, 1, x.now);
			}
			uint64_t dt = ps_tscp() - t0;
			dt = dt > over ? dt - over : 0;
			ps_hist_record(h, (uint64_t)((double)dt * 1000.0 / ghz / BATCH) + 1);
		}
		items += n;
		if (x.r->orders[x.buy].leaves < UINT32_MAX / 2) {
			/* fresh resting orders long before they run out */
			ps_risk_on_cancel(x.r, x.buy, x.now);
			ps_risk_on_cancel(x.r, x.sell, x.now);
			o.price = PX - 100;
			o.side = PS_SIDE_BUY;
			x.buy = ps_risk_on_send(x.r, &o, PS_RISK_ORDER_NONE, 10, x.now);
			o.price = PX + 100;
			o.side = PS_SIDE_SELL;
			x.sell = ps_risk_on_send(x.r, &o, PS_RISK_ORDER_NONE, 11, x.now);
		}
	}
	report(b, h, over, items, ghz);
	ps_hist_destroy(h);
	rb_fini(&x);
}
PS_BENCH("risk/fill", bench_risk_fill, 0, 0);
