/*
 * The market maker skips an event that leaves the top of the book and its
 * position as they were when its last evaluation could not have turned out
 * otherwise (mm.c, mm_on_book). This replays the real AMZN 2012-06-21 day
 * (LOBSTER level 5 -> ITCH 5.0 -> L3 book) through two market makers side by
 * side: one as shipped, one with skip_unchanged = false, which evaluates
 * every event. A simulated venue answers every request at once, and some
 * events later fills one order in seven and cancels one in eleven; the
 * clock moves 1 us per event, so min_requote_us holds requotes back. Every
 * intent of the two must be the same, in the same order. Skips (77) when
 * the data is missing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <ps/book.h>
#include <ps/config.h>
#include <ps/itch.h>
#include <ps/lobster.h>
#include <ps/strategy.h>

#define ZIP5      PS_SOURCE_DIR "/feeds/data/lobster/LOBSTER_SampleFile_AMZN_2012-06-21_5.zip"
#define LOCATE    7
#define FILLS_DUE 64

#define MM_KEYS                   \
	"kind = mm\n"             \
	"tick = 0.01\n"           \
	"qty = 100\n"             \
	"half_spread_ticks = 2\n" \
	"skew_ticks = 1\n"        \
	"max_position = 300\n"    \
	"min_requote_us = 200\n"
static const char *cfg_text =
    "[strategy.mm]\n" MM_KEYS "[strategy.every]\n" MM_KEYS "skip_unchanged = false\n";

struct side_by_side {
	struct ps_book_set *set;
	struct ps_itch_stats st;
	struct ps_strategy *s[2]; /* 0: as shipped; 1: evaluates every event */
	struct ps_order_intent buf[2][8];
	uint64_t now_ns;
	uint64_t events;
	uint64_t intents;
	uint64_t orders[2]; /* new and replaced */
	uint64_t fills[2];
	struct ps_order_intent due[2][FILLS_DUE]; /* orders to fill, and when */
	uint8_t due_type[2][FILLS_DUE];           /* PS_REPORT_FILL or PS_REPORT_CANCELED */
	uint64_t due_at[2][FILLS_DUE];
	uint32_t due_n[2];
	uint64_t mismatches;
};

static void report(struct ps_strategy *s, uint8_t type, const struct ps_order_intent *in,
		   uint32_t qty, uint32_t leaves, uint64_t now_ns)
{
	struct ps_order_intent scratch[8];
	struct ps_strategy_out out = { .intents = scratch, .cap = 8 };
	struct ps_exec_report r = { .type = type,
				    .tag = in->tag,
				    .side = in->side,
				    .price = in->price,
				    .qty = qty,
				    .leaves_qty = leaves };

	ps_strategy_on_report(s, &r, now_ns, &out);
	/* The market maker asks for nothing on a report. */
	assert_int_equal(out.count, 0);
}

/* The venue: every request answered at once; one new or replaced order in
 * seven filled whole and one in eleven cancelled by the venue, FILL_AFTER
 * events later (so that these also reach a market maker whose last
 * evaluation was settled). */
#define FILL_AFTER 50

static void answer(struct side_by_side *x, int k, const struct ps_order_intent *in)
{
	if (in->action == PS_ORDER_CANCEL) {
		report(x->s[k], PS_REPORT_CANCELED, in, 0, 0, x->now_ns);
		return;
	}
	report(x->s[k], in->action == PS_ORDER_NEW ? PS_REPORT_ACCEPTED : PS_REPORT_REPLACED, in, 0,
	       in->qty, x->now_ns);
	x->orders[k]++;
	if ((x->orders[k] % 7 == 0 || x->orders[k] % 11 == 0) && x->due_n[k] < FILLS_DUE) {
		x->due[k][x->due_n[k]] = *in;
		x->due_type[k][x->due_n[k]] =
		    x->orders[k] % 7 == 0 ? PS_REPORT_FILL : PS_REPORT_CANCELED;
		x->due_at[k][x->due_n[k]++] = x->events + FILL_AFTER;
	}
}

static void fill_due(struct side_by_side *x, int k)
{
	uint32_t kept = 0;

	for (uint32_t i = 0; i < x->due_n[k]; i++) {
		if (x->due_at[k][i] > x->events) {
			x->due[k][kept] = x->due[k][i];
			x->due_type[k][kept] = x->due_type[k][i];
			x->due_at[k][kept++] = x->due_at[k][i];
			continue;
		}
		if (x->due_type[k][i] == PS_REPORT_FILL) {
			report(x->s[k], PS_REPORT_FILL, &x->due[k][i], x->due[k][i].qty, 0,
			       x->now_ns);
			x->fills[k]++;
		} else {
			report(x->s[k], PS_REPORT_CANCELED, &x->due[k][i], 0, 0, x->now_ns);
		}
	}
	x->due_n[k] = kept;
}

static bool same_intent(const struct ps_order_intent *a, const struct ps_order_intent *b)
{
	return a->action == b->action && a->side == b->side && a->price == b->price &&
	       a->qty == b->qty && a->tag == b->tag;
}

static void on_event(struct side_by_side *x, const struct ps_md_event *ev)
{
	const struct ps_book *bk = ps_book_set_get(x->set, LOCATE);
	struct ps_strategy_out out[2];

	x->events++;
	x->now_ns += 1000;
	for (int k = 0; k < 2; k++) {
		fill_due(x, k);
		out[k] = (struct ps_strategy_out){ .intents = x->buf[k], .cap = 8 };
		ps_strategy_on_book(x->s[k], bk, ev, x->now_ns, &out[k]);
	}
	if (out[0].count != out[1].count) {
		if (x->mismatches++ < 3)
			print_message("event %llu: %u intents against %u\n",
				      (unsigned long long)x->events, out[0].count, out[1].count);
		return;
	}
	for (uint32_t i = 0; i < out[0].count; i++)
		if (!same_intent(&x->buf[0][i], &x->buf[1][i]) && x->mismatches++ < 3)
			print_message("event %llu: intent %u differs\n",
				      (unsigned long long)x->events, i);
	x->intents += out[0].count;
	for (int k = 0; k < 2; k++)
		for (uint32_t i = 0; i < out[k].count; i++)
			answer(x, k, &x->buf[k][i]);
}

static int on_itch(void *ctx, const uint8_t *msg, size_t len)
{
	struct side_by_side *x = ctx;
	struct ps_md_event ev;
	int rc = ps_itch_decode(msg, len, &ev, &x->st);

	if (rc < 0)
		return rc;
	if (rc == PS_ITCH_RC_EVENT && ps_book_apply(x->set, &ev) == 0 && ev.instrument == LOCATE)
		on_event(x, &ev);
	return 0;
}

static void test_strategy_mm_memo_matches_every_event_evaluation(void **state)
{
	(void)state;
	struct ps_book_config bcfg = { .instrument_count = LOCATE + 1,
				       .max_orders = 1u << 18,
				       .max_levels = 4096 };
	struct ps_lobster_conv_cfg ccfg = { .levels = 0, .stock_locate = LOCATE };
	static struct side_by_side x;
	struct ps_lobster_reader rd;
	struct ps_lobster_conv *conv = NULL;
	struct ps_config *cfg;
	char err[256];
	int rc;

	memset(&x, 0, sizeof(x));
	memcpy(ccfg.stock, "AMZN    ", 8);
	ps_itch_stats_reset(&x.st);
	assert_int_equal(ps_book_set_create(&x.set, &bcfg), 0);
	assert_int_equal(ps_config_load_string(&cfg, cfg_text, "mm.ini", err, sizeof(err)), 0);
	for (int k = 0; k < 2; k++)
		assert_int_equal(ps_strategy_create(&x.s[k], cfg,
						    k ? "strategy.every" : "strategy.mm",
						    (uint16_t)k, LOCATE, err, sizeof(err)),
				 0);
	assert_int_equal(ps_lobster_reader_open(&rd, ZIP5, ZIP5), 0);
	while ((rc = ps_lobster_reader_next(&rd)) == 1) {
		if (!conv) {
			ccfg.levels = rd.book.levels;
			assert_int_equal(ps_lobster_conv_create(&conv, &ccfg, on_itch, &x), 0);
		}
		assert_int_equal(ps_lobster_conv_row(conv, &rd.msg, &rd.book), 0);
	}
	assert_int_equal(rc, 0);
	assert_non_null(conv);
	if (conv) {
		assert_int_equal(ps_lobster_conv_finish(conv), 0);
		ps_lobster_conv_destroy(conv);
	}
	print_message("%llu book events, %llu intents each, %llu orders (%llu filled), "
		      "position %lld / %lld, %llu mismatches\n",
		      (unsigned long long)x.events, (unsigned long long)x.intents,
		      (unsigned long long)x.orders[0], (unsigned long long)x.fills[0],
		      (long long)x.s[0]->position, (long long)x.s[1]->position,
		      (unsigned long long)x.mismatches);
	assert_int_equal(x.mismatches, 0);
	assert_true(x.events > 150000);
	assert_true(x.intents > 1000); /* the comparison is not vacuous */
	assert_true(x.fills[0] > 100);
	assert_int_equal(x.fills[0], x.fills[1]);
	assert_int_equal(x.s[0]->position, x.s[1]->position);
	ps_lobster_reader_close(&rd);
	for (int k = 0; k < 2; k++)
		ps_strategy_destroy(x.s[k]);
	ps_config_destroy(cfg);
	ps_book_set_destroy(x.set);
}

int main(void)
{
	if (access(ZIP5, R_OK)) {
		fprintf(stderr, "skipped: %s not found\n", ZIP5);
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strategy_mm_memo_matches_every_event_evaluation),
	};
	return cmocka_run_group_tests_name("strategy_mm_day", tests, NULL, NULL);
}
