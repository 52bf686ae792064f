/*
 * book stage: applies md events to the L3 books, runs the strategies of the
 * instrument, and hands their intents (and new reference prices for risk)
 * to the exec stage; execution reports from exec go back to the strategy
 * that owns the order.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <ps/alloc.h>
#include <ps/err.h>

#include "engine_internal.h"

static void to_exec(struct eng_book *b, const struct eng_b2e *m)
{
	struct ps_engine *e = b->e;

	if (!e->split_book_exec) {
		eng_exec_on_b2e(&e->exec, m);
		return;
	}
	if (ps_likely(ps_ring_spsc_enqueue(&e->ring_b, m)))
		return;
	eng_count(e, ENG_C_RING_FULL, 1);
	while (!ps_ring_spsc_enqueue(&e->ring_b, m)) {
		if (eng_phase(e) >= ENG_STOP_COLD)
			return;
		ps_cpu_relax();
	}
}

static uint32_t dtsc(uint64_t from, uint64_t to)
{
	return to <= from ? 0 : to - from >= UINT32_MAX ? UINT32_MAX : (uint32_t)(to - from);
}

/* Tick-to-trade stamps: when this stage took the event, when the intent left. */
static void stamp_intents(struct ps_strategy_out *out, uint64_t took, uint64_t emitted)
{
	for (uint32_t i = 0; i < out->count; i++) {
		struct ps_order_intent *in = &out->intents[i];
		if (in->md_tsc) {
			in->book_dtsc = dtsc(in->md_tsc, took);
			in->intent_dtsc = dtsc(in->md_tsc, emitted);
		}
	}
}

static void send_intents(struct eng_book *b, struct ps_strategy_out *out)
{
	struct eng_b2e m = { .kind = B2E_INTENT };

	for (uint32_t i = 0; i < out->count; i++) {
		m.u.intent = out->intents[i];
		to_exec(b, &m);
	}
	if (!b->e->split_book_exec)
		eng_exec_flush(&b->e->exec);
	b->intents += out->count;
	b->dropped_intents += out->dropped;
	out->count = 0;
	out->dropped = 0;
}

/* Reference prices for risk (collar, marks), sent only when they change. */
static void send_ref(struct eng_book *b, uint32_t instrument, bool force)
{
	const struct ps_book *bk = ps_book_set_get(b->books, instrument);
	const struct ps_book_level *bid = ps_book_best(bk, PS_SIDE_BUY);
	const struct ps_book_level *ask = ps_book_best(bk, PS_SIDE_SELL);
	int64_t bp = bid ? bid->price : 0, ap = ask ? ask->price : 0;
	struct eng_b2e m = { .kind = B2E_MDREF };

	if (!force && bp == b->sent_bid[instrument] && ap == b->sent_ask[instrument])
		return;
	b->sent_bid[instrument] = bp;
	b->sent_ask[instrument] = ap;
	m.u.ref = (struct eng_mdref){ .bid = bp,
				      .ask = ap,
				      .last = b->last_trade[instrument],
				      .instrument = instrument,
				      .stale = b->stale[instrument] };
	to_exec(b, &m);
}

static void mark_all_stale(struct eng_book *b)
{
	for (uint32_t i = 0; i < b->books->book_count; i++) {
		b->stale[i] = true;
		ps_book_clear(ps_book_set_get(b->books, i));
		send_ref(b, i, true);
	}
}

void eng_book_on_md(struct eng_book *b, const struct ps_md_event *ev)
{
	struct ps_strategy_out out = { .intents = b->out_buf, .cap = ENG_OUT_INTENTS };
	uint64_t t0 = ps_tsc();

	b->events++;
	/* ev is a ring slot or the md stage's local, always fully written.
	 * NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult) */
	if (ps_unlikely(ev->type == PS_MD_STATUS)) {
		if (ev->status == PS_MD_STATUS_STALE) {
			mark_all_stale(b);
			return;
		}
		if (ev->instrument < b->books->book_count) {
			struct eng_b2e m = { .kind = B2E_MDREF };
			m.u.ref = (struct eng_mdref){
				.bid = b->sent_bid[ev->instrument],
				.ask = b->sent_ask[ev->instrument],
				.last = b->last_trade[ev->instrument],
				.instrument = ev->instrument,
				.halted = ev->status == PS_MD_STATUS_HALTED ||
					  ev->status == PS_MD_STATUS_PAUSED,
				.stale = b->stale[ev->instrument],
			};
			to_exec(b, &m);
		}
		return;
	}
	if (ps_unlikely(ps_book_apply(b->books, ev) != 0))
		b->book_errors++;
	if (ev->instrument >= b->books->book_count || b->stale[ev->instrument])
		return;
	if (ev->type == PS_MD_EXECUTE || ev->type == PS_MD_TRADE)
		b->last_trade[ev->instrument] = ev->price;
	send_ref(b, ev->instrument, false);
	const struct ps_book *bk = ps_book_set_get(b->books, ev->instrument);
	uint64_t now_ns = ps_tsc_to_ns(t0);
	for (uint32_t i = 0; i < b->strategy_count; i++) {
		struct ps_strategy *s = b->strategies[i];
		if (s->instrument == ev->instrument)
			ps_strategy_on_book(s, bk, ev, now_ns, &out);
	}
	uint64_t t1 = ps_tsc();
	/* Own time only: when fused, send_intents runs the exec stage inline. */
	ps_hist_record(&b->hist, ps_tsc_to_ns(t1 - t0));
	if (out.count | out.dropped) {
		stamp_intents(&out, t0, t1);
		send_intents(b, &out);
	}
}

void eng_book_on_report(struct eng_book *b, const struct ps_exec_report *r)
{
	struct ps_strategy_out out = { .intents = b->out_buf, .cap = ENG_OUT_INTENTS };

	b->reports++;
	for (uint32_t i = 0; i < b->strategy_count; i++) {
		struct ps_strategy *s = b->strategies[i];
		/* r is a ring slot or exec's local, always fully written.
		 * NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult) */
		if (s->id == r->strategy_id) {
			ps_strategy_on_report(s, r, ps_tsc_to_ns(r->tsc), &out);
			break;
		}
	}
	if (out.count | out.dropped)
		send_intents(b, &out);
}

int eng_book_poll(struct eng_book *b)
{
	struct ps_engine *e = b->e;
	int n = 0;

	if (e->split_md_book) {
		struct ps_md_event ev[32];
		uint32_t k = ps_ring_spsc_dequeue_burst(&e->ring_a, ev, 32);
		for (uint32_t i = 0; i < k; i++)
			eng_book_on_md(b, &ev[i]);
		n += (int)k;
	}
	if (e->split_book_exec) {
		struct ps_exec_report r[16];
		uint32_t k = ps_ring_spsc_dequeue_burst(&e->ring_c, r, 16);
		for (uint32_t i = 0; i < k; i++)
			eng_book_on_report(b, &r[i]);
		n += (int)k;
	}
	if (n)
		eng_set(e, ENG_C_BOOK_EVENTS, b->events);
	return n;
}

int eng_book_open(struct eng_book *b, struct ps_engine *e, char *err, size_t err_len)
{
	struct ps_book_config bc = { .instrument_count = e->cfg.symbol_count,
				     .max_orders = e->cfg.max_orders,
				     .max_levels = e->cfg.max_levels };
	struct ps_config_iter it = { 0 };
	const char *sec;
	int rc;

	b->e = e;
	if ((rc = ps_book_set_create(&b->books, &bc))) {
		snprintf(err, err_len, "book: cannot allocate %u orders x %u levels: %s",
			 bc.max_orders, bc.max_levels, ps_strerror(rc));
		return rc;
	}
	b->hist_mem = ps_alloc_hot(ps_hist_memsize());
	if (!b->hist_mem || ps_hist_init(&b->hist, b->hist_mem))
		return -ENOMEM;
	while ((sec = ps_config_section_next(e->config, "strategy.*", &it))) {
		const char *symbol;
		uint32_t id;
		if (b->strategy_count == ENG_MAX_STRATEGIES) {
			snprintf(err, err_len, "%s: more than %d strategies",
				 ps_config_path(e->config), ENG_MAX_STRATEGIES);
			return PS_ECONFIG;
		}
		if ((rc = ps_config_get_str(e->config, sec, "symbol", e->cfg.symbols[0], &symbol,
					    err, err_len)))
			return rc;
		id = ps_instrument_table_find_str(e->instruments, symbol);
		if (id == PS_INSTRUMENT_ID_NONE) {
			snprintf(err, err_len, "%s:%d: [%s] symbol = %s is not in [engine] symbols",
				 ps_config_path(e->config),
				 ps_config_line(e->config, sec, "symbol"), sec, symbol);
			return PS_ECONFIG;
		}
		rc = ps_strategy_create(&b->strategies[b->strategy_count], e->config, sec,
					(uint16_t)b->strategy_count, id, err, err_len);
		if (rc)
			return rc;
		b->strategy_count++;
	}
	return 0;
}

void eng_book_close(struct eng_book *b)
{
	for (uint32_t i = 0; i < b->strategy_count; i++)
		ps_strategy_destroy(b->strategies[i]);
	ps_book_set_destroy(b->books);
	if (b->hist_mem) {
		ps_hist_fini(&b->hist);
		ps_free(b->hist_mem);
	}
}
