/*
 * exec stage: every intent through the pre-trade risk checks, then the OMS,
 * then OUCH over SoupBinTCP; every venue message journaled, applied to the
 * OMS and risk, and reported to the strategy that owns the order.
 *
 * The journal record of an order is made as the order is encoded and queued
 * to the journal ring right after the send of its batch, before any venue
 * message is read (a record reaches the file only through the cold thread,
 * so the ring order is what counts, and an order lost with a crashed
 * process before its record was written is adopted from the venue's replay
 * on restart). A venue message is journaled (with its sequence number) in
 * the same step that applies it, so recovery sees exactly what was done.
 * The journal ring never drops: new orders are refused while it lacks room,
 * and the venue session is not read until it has room again.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ps/alloc.h>
#include <ps/err.h>
#include <ps/ouch.h>
#include <ps/risk_config.h>

#include "engine_internal.h"

/*
 * The venue protocol: OUCH over SoupBinTCP here, FIX 4.4 in
 * stage_exec_fix.c (x->fix set). Each send site has one branch on x->fix,
 * always taken the same way in a run, so the OUCH path pays a predicted
 * branch and nothing else.
 */
static inline void venue_flush(struct eng_exec *x)
{
	if (ps_likely(!x->fix))
		ps_soup_client_flush(&x->soup);
	else
		eng_fix_flush(x->fix);
}

void eng_exec_take_token(struct eng_exec *x, char token[PS_OUCH_TOKEN_LEN])
{
	memcpy(token, x->oms.token_text, PS_OUCH_TOKEN_LEN);
	ps_oms_token_seek(&x->oms, ps_oms_token_hwm(&x->oms) + 1);
}

#define OMS_CAPACITY (1u << 16)
#define RISK_ORDERS  (1u << 16)
#define JOURNAL_ROOM (1u << 20) /* free bytes needed before reading the venue */

static struct ps_ouch_enter_tmpl enter_tmpl[2]; /* by enum ps_tif; read-only after open */

/* ---- reports to the book stage -------------------------------------------- */

/* Hand a report to the book stage: a direct call when both run on this
 * thread, ring C otherwise (waiting, never dropping, while it is full). */
static void to_book(struct ps_engine *e, const struct ps_exec_report *r)
{
	if (!e->split_book_exec) {
		eng_book_on_report(&e->book, r);
		return;
	}
	while (!ps_ring_spsc_enqueue(&e->ring_c, r)) {
		if (eng_phase(e) >= ENG_STOP_COLD)
			return;
		ps_cpu_relax();
	}
}

static void report(struct eng_exec *x, uint32_t h, uint8_t type, int64_t price, uint32_t qty,
		   uint32_t leaves, int32_t reason)
{
	const struct eng_order_meta *mt = &x->meta[h];
	const struct ps_oms_order *o = ps_oms_order_get(&x->oms, h);
	struct ps_exec_report r = {
		.tsc = ps_tsc(),
		.client_order_id = h,
		.price = price,
		.qty = qty,
		.leaves_qty = leaves,
		.instrument = o->instrument,
		.tag = mt->tag,
		.reason = reason,
		.strategy_id = mt->strategy_id,
		.type = type,
		.side = mt->side,
	};

	to_book(x->e, &r);
}

/* A refused intent goes straight back to its strategy. */
static void report_intent(struct eng_exec *x, const struct ps_order_intent *in, int32_t reason,
			  uint32_t leaves)
{
	struct ps_exec_report r = {
		.tsc = ps_tsc(),
		.price = in->price,
		.leaves_qty = leaves,
		.instrument = in->instrument,
		.tag = in->tag,
		.reason = reason,
		.strategy_id = in->strategy_id,
		.type = PS_REPORT_REJECTED,
		.side = in->side,
	};

	to_book(x->e, &r);
}

/* ---- tags: (strategy, tag) -> live OMS handle -------------------------------- */

static struct eng_strategy_slot *tag_slot(struct eng_exec *x, uint16_t strategy, uint32_t tag)
{
	return &x->tags[strategy % ENG_MAX_STRATEGIES][tag % ENG_TAG_SLOTS];
}

static uint32_t tag_find(struct eng_exec *x, uint16_t strategy, uint32_t tag)
{
	struct eng_strategy_slot *s = tag_slot(x, strategy, tag);
	return s->tag == tag ? s->h : PS_OMS_NIL;
}

static void tag_set(struct eng_exec *x, uint16_t strategy, uint32_t tag, uint32_t h)
{
	struct eng_strategy_slot *s = tag_slot(x, strategy, tag);
	s->tag = tag;
	s->h = h;
}

static void tag_clear(struct eng_exec *x, uint32_t h)
{
	struct eng_strategy_slot *s = tag_slot(x, x->meta[h].strategy_id, x->meta[h].tag);
	if (s->h == h)
		s->h = PS_OMS_NIL;
}

static bool working(unsigned state)
{
	return state == PS_OMS_STATE_NEW || state == PS_OMS_STATE_PARTIALLY_FILLED;
}

static bool terminal(unsigned state)
{
	return state == PS_OMS_STATE_FILLED || state == PS_OMS_STATE_CANCELED ||
	       state == PS_OMS_STATE_REJECTED || state == PS_OMS_STATE_EXPIRED ||
	       state == PS_OMS_STATE_REPLACED || state == PS_OMS_STATE_FREE;
}

/*
 * The open shares a refused CANCEL or REPLACE intent leaves working: those of
 * the order under its tag, unless that order has ended. An order waiting for
 * an answer (a cancel of ours in flight, unknown after a drop) may still work
 * until the answer comes; told 0, a strategy would quote that side again
 * beside it. A refused NEW leaves nothing.
 */
static uint32_t open_under_tag(struct eng_exec *x, const struct ps_order_intent *in)
{
	if (in->action == PS_ORDER_NEW)
		return 0;
	uint32_t h = tag_find(x, in->strategy_id, in->tag);
	if (h == PS_OMS_NIL)
		return 0;
	const struct ps_oms_order *o = ps_oms_order_get(&x->oms, h);
	return terminal(o->state) ? 0 : o->qty - o->filled;
}

/* ---- journal ---------------------------------------------------------------- */

/* Less than `room` bytes free in the journal ring (always false without a journal). */
static inline bool jring_low_by(struct ps_engine *e, uint32_t room)
{
	return e->cfg.journal_on && !ps_ring_bytes_has_room(&e->jring, room);
}

static inline bool jring_low(struct ps_engine *e)
{
	return jring_low_by(e, 4096);
}

bool eng_journal_put(struct ps_engine *e, uint16_t type, const void *payload, uint32_t len)
{
	return eng_journal_put_at(e, type, payload, len, eng_now_ns());
}

static bool journal_write(struct ps_engine *e, uint16_t type, const void *payload, uint32_t len,
			  uint64_t ts)
{
	/* Record in the ring: u16 type, u16 pad, u32 len, u64 ts_ns, payload. */
	uint8_t *p = ps_ring_bytes_claim(&e->jring, 16 + len);

	if (!p)
		return false;
	memcpy(p, &type, 2);
	memset(p + 2, 0, 2);
	memcpy(p + 4, &len, 4);
	memcpy(p + 8, &ts, 8);
	memcpy(p + 16, payload, len);
	ps_ring_bytes_commit(&e->jring);
	/* The next records' lines, fetched for writing now: the 16 MiB ring's
	 * lines ahead are out of every cache. Exec p50 on the demo 341-355 ns
	 * with this against 383-475 without (3 interleaved pairs of runs). */
	ps_ring_bytes_prefetch(&e->jring, 256);
	eng_count(e, ENG_C_JOURNAL_RECORDS, 1);
	return true;
}

void eng_journal_drain(struct ps_engine *e)
{
	for (uint32_t i = 0; i < e->jdefer_n; i++) {
		const struct eng_jdefer *d = &e->jdefer[i];
		/* Room was checked before each order (jring_low keeps more than a
		 * batch of records free); should it ever lack, wait for the cold
		 * thread rather than lose the record. */
		while (!journal_write(e, d->type, &d->rec, sizeof(d->rec), d->ts))
			ps_cpu_relax();
	}
	e->jdefer_n = 0;
}

void eng_journal_defer_order(struct ps_engine *e, uint16_t type, const struct ps_jrec_order *r,
			     uint64_t ts)
{
	if (!e->cfg.journal_on)
		return;
	if (ps_unlikely(e->jdefer_n == ENG_OUT_INTENTS))
		eng_journal_drain(e);
	struct eng_jdefer *d = &e->jdefer[e->jdefer_n++];
	d->ts = ts;
	d->type = type;
	d->rec = *r;
}

bool eng_journal_put_at(struct ps_engine *e, uint16_t type, const void *payload, uint32_t len,
			uint64_t ts)
{
	if (!e->cfg.journal_on)
		return true;
	if (e->jdefer_n) /* what came before is written before */
		eng_journal_drain(e);
	return journal_write(e, type, payload, len, ts);
}

/* The venue message is journaled whole; its effects are re-derived on recovery. */
static void journal_venue(struct eng_exec *x, uint64_t seq, const uint8_t *msg, uint16_t len)
{
	struct ps_jrec_venue_msg r = { .seq = seq, .len = len };

	memcpy(r.msg, msg, len < sizeof(r.msg) ? len : sizeof(r.msg));
	while (!eng_journal_put(x->e, PS_JREC_VENUE_MSG, &r, sizeof(r))) {
		/* Cannot happen while JOURNAL_ROOM is kept before each read; if it
		 * does, wait for the cold thread rather than lose the record. */
		x->journal_waits++;
		ps_cpu_relax();
	}
}

/* Stamped with the time the intent reached the exec stage (now): a clock
 * read less per order, and the same microsecond. An order sent in a batch
 * (defer) is written after the batch's send (eng_exec_flush): before any
 * venue message is read, so before anything about the order can be. */
static void journal_order(struct eng_exec *x, const struct ps_order_intent *in, uint32_t h,
			  uint32_t orig_h, uint8_t type, uint64_t now, bool defer)
{
	const struct ps_oms_order *o = ps_oms_order_get(&x->oms, h);
	struct ps_jrec_order r = {
		.token_hwm = ps_oms_token_hwm(&x->oms),
		.price = in->price,
		.qty = in->qty,
		.instrument = in->instrument,
		.tag = in->tag,
		.strategy_id = in->strategy_id,
		.side = in->side,
		.tif = in->tif,
		.type = in->type,
		.action = in->action,
	};

	memcpy(r.token, o->token, PS_JREC_TOKEN_LEN);
	if (orig_h != PS_OMS_NIL)
		memcpy(r.orig_token, ps_oms_order_get(&x->oms, orig_h)->token, PS_JREC_TOKEN_LEN);
	/* Room was checked before the OMS changed; this cannot fail. */
	if (defer)
		eng_journal_defer_order(x->e, type, &r, now);
	else
		eng_journal_put_at(x->e, type, &r, sizeof(r), now);
}

/* ---- intents ------------------------------------------------------------------ */

static int32_t refuse(struct eng_exec *x, const struct ps_order_intent *in, enum ps_risk_reason v)
{
	struct ps_jrec_reject rec = { .intent = *in, .reason = (int32_t)v };

	x->risk_rejects++;
	x->reject_by_reason[v % 64]++;
	eng_count(x->e, ENG_C_RISK_REJECTS, 1);
	eng_journal_put(x->e, PS_JREC_RISK_REJECT, &rec, sizeof(rec));
	return (int32_t)v;
}

/*
 * An order message is encoded and committed to the send buffer: note its
 * stamps. eng_exec_flush hands every committed message to the socket in one
 * send once the batch of intents is done (a quote pair leaves together).
 */
static void cancel_handles(struct eng_exec *x, const uint32_t *hs, uint32_t n, uint64_t now);

/*
 * Our state and the venue's disagree: stop trading for the rest of the run
 * and say why (log, summary). Orders we know to be working are cancelled;
 * venue messages are still applied, so fills keep reaching the position.
 * Cold path.
 */
static void fail_closed(struct eng_exec *x, const char *why, uint64_t now)
{
	uint32_t hs[64], n;

	if (x->fail_closed)
		return;
	x->fail_closed = true;
	snprintf(x->fail_reason, sizeof(x->fail_reason), "%s", why);
	PS_LOG(PS_LOG_ERROR, "refusing to trade: %s", x->fail_reason);
	if (x->caught_up && !x->recovering)
		while ((n = ps_oms_mass_cancel(&x->oms, PS_OMS_ALL_INSTRUMENTS, hs,
					       PS_ARRAY_SIZE(hs), now)))
			cancel_handles(x, hs, n, now);
}

static void mark_sent(struct eng_exec *x, const struct ps_order_intent *in, uint64_t t0)
{
	if (ps_unlikely(x->batch_n == ENG_OUT_INTENTS))
		eng_exec_flush(x);
	struct eng_sent *b = &x->batch[x->batch_n++];
	b->md_tsc = in->md_tsc;
	b->book_dtsc = in->book_dtsc;
	b->intent_dtsc = in->intent_dtsc;
	b->exec_ns = (uint32_t)ps_tsc_to_ns(ps_tsc() - t0);
}

/*
 * The next order's OMS slot, token bucket and metadata, fetched now, while
 * the thread waits for the next event: each order takes a slot the cache
 * has not seen (the tables are megabytes), and without this its writes miss
 * on the critical path.
 */
static void prefetch_next(struct eng_exec *x)
{
	uint32_t h = ps_oms_prefetch_next(&x->oms);

	if (h != PS_OMS_NIL)
		__builtin_prefetch(&x->meta[h], 1, 3);
}

void eng_exec_flush(struct eng_exec *x)
{
	/* Order records wait only for a batch that holds their orders (every
	 * deferring do_* ends in mark_sent), so an empty batch has none. */
	if (!x->batch_n)
		return;
	/* The orders' bytes are committed: handing them to the socket now. */
	uint64_t t1 = ps_tsc();
	venue_flush(x);
	uint64_t t2 = ps_tsc();
	/* The batch's order records, now that its bytes are on their way. */
	eng_journal_drain(x->e);
	ps_hist_record(&x->lat[ENG_LAT_SEND], ps_tsc_to_ns(t2 - t1));
	for (uint32_t i = 0; i < x->batch_n; i++) {
		const struct eng_sent *b = &x->batch[i];
		ps_hist_record(&x->lat[ENG_LAT_EXEC], b->exec_ns);
		if (!b->md_tsc || t1 <= b->md_tsc)
			continue;
		ps_hist_record(&x->lat[ENG_LAT_MD], ps_tsc_to_ns(b->book_dtsc));
		if (b->intent_dtsc >= b->book_dtsc)
			ps_hist_record(&x->lat[ENG_LAT_BOOK],
				       ps_tsc_to_ns(b->intent_dtsc - b->book_dtsc));
		ps_hist_record(&x->lat[ENG_LAT_T2T], ps_tsc_to_ns(t1 - b->md_tsc));
		ps_hist_record(&x->lat[ENG_LAT_T2S], ps_tsc_to_ns(t2 - b->md_tsc));
	}
	x->batch_n = 0;
	eng_set(x->e, ENG_C_ORDER_MSGS, x->sent + x->cancels + x->replaces);
	prefetch_next(x);
}

static void do_new(struct eng_exec *x, struct ps_order_intent *in, uint64_t t0, uint64_t now)
{
	enum ps_risk_reason v;
	uint32_t h;
	struct ps_oms_new req = { .price = in->price,
				  .qty = in->qty,
				  .instrument = in->instrument,
				  .strategy_id = in->strategy_id,
				  .side = in->side == PS_SIDE_BUY ? PS_OUCH_SIDE_BUY
								  : PS_OUCH_SIDE_SELL,
				  .tif = in->tif };

	v = ps_risk_check(x->risk, in, PS_RISK_ORDER_NONE, now);
	if (v != PS_RISK_OK) {
		report_intent(x, in, refuse(x, in, v), 0);
		return;
	}
	if (jring_low(x->e) || ps_oms_order_new(&x->oms, &req, now, &h)) {
		x->journal_waits++;
		report_intent(x, in, PS_EFULL, 0);
		return;
	}
	bool fix = x->fix != NULL;
	uint8_t *p = NULL;
	if (ps_likely(!fix))
		p = ps_soup_client_claim_packet(&x->soup, PS_OUCH_ENTER_PKT_LEN);
	if (fix ? !eng_fix_can_send(x->fix) : !p) {
		/* Not logged in, or the send buffer is full: the order never left. */
		ps_oms_apply(&x->oms, h, PS_OMS_EV_REJECTED, now);
		report_intent(x, in, PS_EDISCONNECTED, 0);
		return;
	}
	struct eng_order_meta *mt = &x->meta[h];
	mt->risk = ps_risk_on_send(x->risk, in, PS_RISK_ORDER_NONE, h, now);
	mt->race_qty = 0;
	mt->tag = in->tag;
	mt->strategy_id = in->strategy_id;
	mt->side = in->side;
	mt->live = true;
	tag_set(x, in->strategy_id, in->tag, h);
	journal_order(x, in, h, PS_OMS_NIL, PS_JREC_ORDER_SENT, now, true);
	if (ps_likely(!fix)) {
		ps_ouch_enter_tmpl_encode(&enter_tmpl[in->tif == PS_TIF_IOC], p,
					  ps_oms_order_get(&x->oms, h)->token, req.side, in->qty,
					  x->stock[in->instrument], (uint32_t)in->price);
		ps_soup_client_commit(&x->soup, now);
	} else {
		eng_fix_send_new(x->fix, in, ps_oms_order_get(&x->oms, h)->token,
				 x->stock[in->instrument]);
	}
	x->sent++;
	mark_sent(x, in, t0);
}

static void do_cancel(struct eng_exec *x, struct ps_order_intent *in, uint64_t t0, uint64_t now)
{
	uint32_t h = tag_find(x, in->strategy_id, in->tag);
	const struct ps_oms_order *o;
	enum ps_risk_reason v;

	if (h == PS_OMS_NIL || !working((o = ps_oms_order_get(&x->oms, h))->state)) {
		report_intent(x, in, PS_ENOTFOUND, open_under_tag(x, in));
		return;
	}
	v = ps_risk_check(x->risk, in, x->meta[h].risk, now);
	if (v != PS_RISK_OK) {
		report_intent(x, in, refuse(x, in, v), o->qty - o->filled);
		return;
	}
	bool fix = x->fix != NULL;
	uint8_t *p = NULL;
	char cxl[PS_OUCH_TOKEN_LEN];
	if (ps_likely(!fix))
		p = ps_soup_client_claim(&x->soup, PS_OUCH_CANCEL_ORDER_LEN);
	if ((fix ? !eng_fix_can_send(x->fix) : !p) || jring_low(x->e) ||
	    ps_oms_order_cancel(&x->oms, h, now)) {
		report_intent(x, in, PS_EDISCONNECTED, o->qty - o->filled);
		return;
	}
	ps_risk_on_send(x->risk, in, x->meta[h].risk, h, now);
	if (ps_unlikely(fix)) /* before the record, so its token_hwm covers it */
		eng_exec_take_token(x, cxl);
	journal_order(x, in, h, PS_OMS_NIL, PS_JREC_CANCEL_SENT, now, true);
	if (ps_likely(!fix)) {
		ps_ouch_encode_cancel_order(p, o->token, 0);
		ps_soup_client_commit(&x->soup, now);
	} else {
		eng_fix_send_cancel(x->fix, o, cxl, x->stock[o->instrument]);
	}
	x->cancels++;
	mark_sent(x, in, t0);
}

static void do_replace(struct eng_exec *x, struct ps_order_intent *in, uint64_t t0, uint64_t now)
{
	uint32_t h = tag_find(x, in->strategy_id, in->tag), nh;
	const struct ps_oms_order *o;
	enum ps_risk_reason v;

	if (h == PS_OMS_NIL || !working((o = ps_oms_order_get(&x->oms, h))->state)) {
		report_intent(x, in, PS_ENOTFOUND, open_under_tag(x, in));
		return;
	}
	uint32_t open = o->qty - o->filled;
	v = ps_risk_check(x->risk, in, x->meta[h].risk, now);
	if (v != PS_RISK_OK) {
		report_intent(x, in, refuse(x, in, v), open);
		return;
	}
	bool fix = x->fix != NULL;
	uint8_t *p = NULL;
	if (ps_likely(!fix))
		p = ps_soup_client_claim(&x->soup, PS_OUCH_REPLACE_ORDER_LEN);
	if ((fix ? !eng_fix_can_send(x->fix) : !p) || jring_low(x->e) ||
	    ps_oms_order_replace(&x->oms, h, in->price, in->qty, now, &nh)) {
		report_intent(x, in, PS_EDISCONNECTED, open);
		return;
	}
	o = ps_oms_order_get(&x->oms, h);
	struct eng_order_meta *mt = &x->meta[nh];
	*mt = x->meta[h];
	mt->race_qty = 0;
	mt->risk = ps_risk_on_send(x->risk, in, x->meta[h].risk, h, now);
	mt->live = true;
	tag_set(x, in->strategy_id, in->tag, nh);
	journal_order(x, in, nh, h, PS_JREC_ORDER_SENT, now, true);
	if (ps_unlikely(fix)) {
		eng_fix_send_replace(x->fix, o, ps_oms_order_get(&x->oms, nh)->token, in,
				     x->stock[o->instrument]);
		x->replaces++;
		mark_sent(x, in, t0);
		return;
	}
	struct ps_ouch_replace_order r = {
		.shares = in->qty,
		.price = (uint32_t)in->price,
		.tif = o->tif == PS_TIF_IOC ? PS_OUCH_TIF_IOC : PS_OUCH_TIF_SYSTEM_HOURS,
		.display = 'Y',
		.ise = 'N',
	};
	memcpy(r.existing_token, o->token, PS_OUCH_TOKEN_LEN);
	memcpy(r.replacement_token, ps_oms_order_get(&x->oms, nh)->token, PS_OUCH_TOKEN_LEN);
	ps_ouch_encode_replace_order(p, &r);
	ps_soup_client_commit(&x->soup, now);
	x->replaces++;
	mark_sent(x, in, t0);
}

void eng_exec_on_b2e(struct eng_exec *x, const struct eng_b2e *m)
{
	uint64_t t0 = ps_tsc();
	uint64_t now = ps_tsc_to_ns(t0);

	/* m comes from a ring slot or a caller's stack; always written before.
	 * NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult) */
	if (m->kind == B2E_MDREF) {
		const struct eng_mdref *r = &m->u.ref;
		ps_risk_md_update(x->risk, r->instrument, r->bid, r->ask, r->last, now);
		ps_risk_md_status(x->risk, r->instrument, r->halted, r->stale);
		uint8_t flags = (uint8_t)((r->stale ? 1 : 0) | (r->halted ? 2 : 0));
		if (ps_unlikely(r->instrument < ENG_MAX_INSTRUMENTS &&
				flags != x->md_flags[r->instrument])) {
			/* Rare: a state change, journaled so a reader sees where
			 * trading on the instrument stopped or resumed. */
			struct ps_jrec_md_status st = { .instrument = r->instrument,
							.stale = r->stale,
							.halted = r->halted };
			x->md_flags[r->instrument] = flags;
			while (!eng_journal_put(x->e, PS_JREC_MD_STATUS, &st, sizeof(st)))
				ps_cpu_relax(); /* never dropped; cold drains the ring */
		}
		if (r->bid && r->ask)
			ps_risk_on_mark(x->risk, r->instrument, (r->bid + r->ask) / 2, now);
		return;
	}
	struct ps_order_intent in = m->u.intent;
	x->intents++;
	eng_count(x->e, ENG_C_INTENTS, 1);
	if (ps_unlikely(x->fail_closed || !x->caught_up || x->settle_n ||
			eng_phase(x->e) >= ENG_STOP_EXEC)) {
		report_intent(x, &in, x->fail_closed ? PS_EMISMATCH : PS_EDISCONNECTED,
			      open_under_tag(x, &in));
		return;
	}
	switch (in.action) {
	case PS_ORDER_NEW:
		do_new(x, &in, t0, now);
		break;
	case PS_ORDER_CANCEL:
		do_cancel(x, &in, t0, now);
		break;
	case PS_ORDER_REPLACE:
		do_replace(x, &in, t0, now);
		break;
	default:
		report_intent(x, &in, -EINVAL, 0);
		break;
	}
}

/* ---- venue messages ------------------------------------------------------------ */

/* Apply one venue message to OMS and risk. live: also report to strategies. */

static void order_ended(struct eng_exec *x, uint32_t h, bool canceled, uint64_t now)
{
	struct eng_order_meta *mt = &x->meta[h];

	if (mt->live) {
		if (canceled)
			ps_risk_on_cancel(x->risk, mt->risk, now);
		mt->live = false;
	}
	tag_clear(x, h);
}

/*
 * Order o died (filled, canceled) while a replace of it was in flight. The
 * venue drops a replace of a dead order (OUCH 4.2: silently; FIX: with an
 * OrderCancelReject), so the replacement never works: it stops counting
 * against risk now. Risk carries the original and the replacement as one
 * order with the replacement's price and size; without this, the shares the
 * original did not fill would stay working there at the new price for good
 * (blocking our own quotes as a self-trade), and a NEW the strategy sends
 * at the replacement's terms would be refused as its duplicate. The OMS entry of the
 * replacement times out on its own; a late reject for it finds it ended.
 */
static void drop_replacement(struct eng_exec *x, const struct ps_oms_order *o, uint64_t now)
{
	if (o->link == PS_OMS_NIL)
		return;
	uint32_t nh = o->link;
	const struct ps_oms_order *n = ps_oms_order_get(&x->oms, nh);
	struct eng_order_meta *nm = &x->meta[nh];
	/* Not answered yet, whatever the OMS holds for it: pending, UNKNOWN
	 * (the session dropped with the replace in flight, and the venue's
	 * cancel on disconnect ended the original), or with our cancel in
	 * flight (sent after the reconnect for what the drop hid). Accepted, it
	 * would have ended the original as REPLACED, not this way. */
	if (working(n->state) || terminal(n->state) || !nm->live)
		return;
	if (ps_risk_order_counts(x->risk, nm->risk, n->instrument, nm->side, nm->strategy_id))
		ps_risk_on_cancel(x->risk, nm->risk, now);
	/* Nor is it a duplicate of the order the strategy sends in its place. */
	struct ps_order_intent in = { .price = n->price,
				      .qty = n->qty,
				      .instrument = n->instrument,
				      .strategy_id = nm->strategy_id,
				      .side = nm->side };
	ps_risk_dup_forget(x->risk, &in);
	nm->live = false;
	tag_clear(x, nh);
	x->replaces_dropped++;
}

/*
 * An Accepted or Replaced message for one of our tokens that no order in the
 * OMS carries: the process died after sending the order and before its
 * ORDER_SENT record reached the disk. The message holds the whole order
 * (side, shares, price, stock, previous token), so it is re-created from it
 * and journaled, and its fills count; the token counter stays where it was,
 * so the token is never issued again. @return its handle, or PS_OMS_NIL.
 */
static uint32_t adopt(struct eng_exec *x, const struct ps_ouch_msg *m, uint64_t now, bool live)
{
	const struct ps_ouch_accepted *a = &m->u.accepted;
	struct ps_engine *e = x->e;
	uint64_t counter = 0, hwm = ps_oms_token_hwm(&x->oms);
	uint32_t h, oh = PS_OMS_NIL, instr, ni = ps_instrument_table_count(e->instruments);
	uint16_t sid = 0;

	if (memcmp(a->token, x->oms.token_text, x->oms.prefix_len) != 0)
		return PS_OMS_NIL;
	for (unsigned i = x->oms.prefix_len; i < PS_OUCH_TOKEN_LEN; i++) {
		if (a->token[i] < '0' || a->token[i] > '9')
			return PS_OMS_NIL;
		counter = counter * 10 + (uint64_t)(a->token[i] - '0');
	}
	for (instr = 0; instr < ni; instr++)
		if (!memcmp(x->stock[instr], a->stock, PS_OUCH_STOCK_LEN))
			break;
	if (instr == ni)
		return PS_OMS_NIL;
	if (m->type == PS_OUCH_REPLACED)
		oh = ps_oms_find(&x->oms, a->previous_token);
	if (oh != PS_OMS_NIL) {
		sid = x->meta[oh].strategy_id;
	} else {
		for (uint32_t i = 0; i < e->book.strategy_count; i++)
			if (e->book.strategies[i]->instrument == instr) {
				sid = e->book.strategies[i]->id;
				break;
			}
	}
	struct ps_order_intent in = {
		.price = a->price,
		.qty = a->shares,
		.instrument = instr,
		.strategy_id = sid,
		.confidence_bp = 10000,
		.action = oh != PS_OMS_NIL ? PS_ORDER_REPLACE : PS_ORDER_NEW,
		.side = a->side == PS_OUCH_SIDE_BUY ? PS_SIDE_BUY : PS_SIDE_SELL,
		.type = PS_ORDER_LIMIT,
		.tif = a->tif == PS_OUCH_TIF_IOC ? PS_TIF_IOC : PS_TIF_DAY,
		.tag = oh != PS_OMS_NIL ? x->meta[oh].tag : UINT32_MAX,
	};
	struct ps_oms_new req = { .price = a->price,
				  .qty = a->shares,
				  .instrument = instr,
				  .strategy_id = sid,
				  .side = a->side,
				  .tif = in.tif };
	if (ps_oms_token_seek(&x->oms, counter))
		return PS_OMS_NIL;
	/* A replacement of an order the OMS holds as working goes through the
	 * replace request (so the venue's Replaced applies as usual); of one it
	 * holds as UNKNOWN (after a restart), Replaced resolves it directly. */
	unsigned ost = oh != PS_OMS_NIL ? ps_oms_order_get(&x->oms, oh)->state : PS_OMS_STATE_FREE;
	int rc = working(ost) ? ps_oms_order_replace(&x->oms, oh, a->price, a->shares, now, &h)
			      : ps_oms_order_new(&x->oms, &req, now, &h);
	ps_oms_token_seek(&x->oms, hwm > counter ? hwm : counter + 1);
	if (rc)
		return PS_OMS_NIL;
	struct eng_order_meta *mt = &x->meta[h];
	if (oh != PS_OMS_NIL && x->meta[oh].live)
		mt->risk = ps_risk_on_send(x->risk, &in, x->meta[oh].risk, oh, now);
	else
		mt->risk = ps_risk_on_send(x->risk, &in, PS_RISK_ORDER_NONE, h, now);
	mt->race_qty = 0;
	mt->tag = in.tag;
	mt->strategy_id = sid;
	mt->side = in.side;
	mt->live = true;
	x->adopted++;
	if (!live && x->rec_adopt_count < ENG_REC_ADOPT) {
		/* Recovery: a later journal record may be this very order (adopted
		 * and journaled by an earlier run); recovery writes it if not. */
		x->rec_adopt[x->rec_adopt_count++] =
		    (struct eng_adopted){ .h = h, .orig_h = oh, .intent = in };
		return h;
	}
	journal_order(x, &in, h, oh, PS_JREC_ORDER_SENT, eng_now_ns(), false);
	return h;
}

void eng_exec_journal_adopted(struct eng_exec *x)
{
	for (uint32_t i = 0; i < x->rec_adopt_count; i++)
		journal_order(x, &x->rec_adopt[i].intent, x->rec_adopt[i].h, x->rec_adopt[i].orig_h,
			      PS_JREC_ORDER_SENT, eng_now_ns(), false);
	x->rec_adopt_count = 0;
}

/*
 * Risk takes the venue's terms for order h: shares open at price. Risk
 * carries an order and its replacement as one risk order and takes a
 * replace's terms when it is sent, and fills racing a replace come off that
 * shared order's leaves; the venue may then hold something else: a
 * replacement opened with its full size (OUCH: the shares of a replace are
 * the new open shares) or with OrderQty less the chain's CumQty (FIX), or
 * the original at its own terms after a refused replace. Risk's working
 * shares must be the venue's, or its self-trade band and limits guard orders
 * that are gone. ps_risk_on_amend counts no send; a new risk order stands in
 * if risk has already ended the old one (its leaves used up by the race).
 */
static void risk_take_venue_terms(struct eng_exec *x, uint32_t h, int64_t price, uint32_t shares,
				  uint64_t now)
{
	struct eng_order_meta *mt = &x->meta[h];
	const struct ps_oms_order *o = ps_oms_order_get(&x->oms, h);
	uint32_t r = PS_RISK_ORDER_NONE;

	if (mt->live &&
	    ps_risk_order_counts(x->risk, mt->risk, o->instrument, mt->side, mt->strategy_id)) {
		ps_risk_on_amend(x->risk, mt->risk, price, shares, now);
		r = shares ? mt->risk : PS_RISK_ORDER_NONE;
	} else if (shares) {
		struct ps_order_intent in = { .price = price,
					      .qty = shares,
					      .instrument = o->instrument,
					      .strategy_id = mt->strategy_id,
					      .confidence_bp = 10000,
					      .action = PS_ORDER_NEW,
					      .side = mt->side,
					      .type = PS_ORDER_LIMIT,
					      .tif = o->tif,
					      .tag = mt->tag };
		r = ps_risk_on_send(x->risk, &in, PS_RISK_ORDER_NONE, h, now);
	}
	mt->risk = r;
	mt->live = r != PS_RISK_ORDER_NONE;
}

void eng_exec_apply(struct eng_exec *x, uint64_t seq, const uint8_t *msg, uint16_t len, bool live)
{
	struct ps_ouch_msg m;

	if (ps_ouch_decode_outbound(msg, len, &m)) {
		x->venue_msgs++;
		x->unknown_msgs++;
		return;
	}
	eng_exec_apply_msg(x, seq, &m, live);
}

/* Apply one venue message (the one vocabulary: see engine_internal.h). */
void eng_exec_apply_msg(struct eng_exec *x, uint64_t seq, const struct ps_ouch_msg *m, bool live)
{
	uint64_t now = eng_now_ns();
	uint32_t h;
	const struct ps_oms_order *o;

	x->venue_msgs++;
	switch (m->type) {
	case PS_OUCH_ACCEPTED:
		h = ps_oms_find(&x->oms, m->u.accepted.token);
		if (ps_unlikely(h == PS_OMS_NIL))
			h = adopt(x, m, now, live);
		if (h == PS_OMS_NIL || ps_oms_on_accepted(&x->oms, m->u.accepted.token,
							  m->u.accepted.order_ref, now)) {
			x->unknown_msgs++;
			break;
		}
		ps_risk_on_ack(x->risk, x->meta[h].risk);
		if (live)
			report(x, h, PS_REPORT_ACCEPTED, m->u.accepted.price, 0,
			       m->u.accepted.shares, 0);
		break;
	case PS_OUCH_REPLACED:
		h = ps_oms_find(&x->oms, m->u.accepted.token);
		if (ps_unlikely(h == PS_OMS_NIL))
			h = adopt(x, m, now, live);
		uint32_t oh = ps_oms_find(&x->oms, m->u.accepted.previous_token);
		uint32_t asked = h != PS_OMS_NIL ? ps_oms_order_get(&x->oms, h)->qty : 0;
		if (h == PS_OMS_NIL ||
		    ps_oms_on_replaced(&x->oms, m->u.accepted.token, m->u.accepted.previous_token,
				       m->u.accepted.shares, m->u.accepted.order_ref, now)) {
			x->unknown_msgs++;
			break;
		}
		if (oh != PS_OMS_NIL) {
			x->meta[oh].live = false; /* the risk order carries on as the replacement */
			tag_clear(x, oh);
			tag_set(x, x->meta[h].strategy_id, x->meta[h].tag, h);
			/* The original filled while the replace was in flight, or the
			 * venue opened the replacement with other shares than asked. */
			if (ps_unlikely(x->meta[oh].race_qty || m->u.accepted.shares != asked)) {
				risk_take_venue_terms(x, h, m->u.accepted.price,
						      m->u.accepted.shares, now);
				x->risk_resyncs++;
			}
		}
		if (live)
			report(x, h, PS_REPORT_REPLACED, m->u.accepted.price, 0,
			       m->u.accepted.shares, 0);
		break;
	case PS_OUCH_EXECUTED: {
		h = ps_oms_find(&x->oms, m->u.executed.token);
		if (h == PS_OMS_NIL ||
		    ps_oms_on_executed(&x->oms, m->u.executed.token, m->u.executed.shares,
				       m->u.executed.price, now)) {
			/* A fill we cannot place: the position the venue holds for
			 * us is not ours any more. */
			char why[192];
			snprintf(
			    why, sizeof(why),
			    "venue message %llu fills %u shares of order %.14s, which we do not "
			    "hold: our position no longer matches the venue's",
			    (unsigned long long)seq, m->u.executed.shares, m->u.executed.token);
			x->unknown_msgs++;
			fail_closed(x, why, now);
			break;
		}
		o = ps_oms_order_get(&x->oms, h);
		struct eng_order_meta *mt = &x->meta[h];
		if (o->state == PS_OMS_STATE_PENDING_REPLACE)
			mt->race_qty += m->u.executed.shares;
		if (mt->live && ps_risk_order_counts(x->risk, mt->risk, o->instrument, mt->side,
						     mt->strategy_id))
			ps_risk_on_fill(x->risk, mt->risk, m->u.executed.price,
					m->u.executed.shares, now);
		else /* ended in risk's view (cancel taken as lost, replace race): the
		      * position still moves */
			ps_risk_on_fill_ended(x->risk, o->instrument, mt->side, mt->strategy_id,
					      m->u.executed.price, m->u.executed.shares, now);
		x->fills++;
		x->filled_qty += m->u.executed.shares;
		eng_count(x->e, ENG_C_FILLS, 1);
		eng_count(x->e, ENG_C_FILLED_QTY, m->u.executed.shares);
		struct ps_jrec_fill f = { .strategy_id = mt->strategy_id,
					  .seq = seq,
					  .match_number = m->u.executed.match_number,
					  .price = m->u.executed.price,
					  .qty = m->u.executed.shares,
					  .instrument = o->instrument,
					  .side = mt->side,
					  .liquidity = m->u.executed.liquidity_flag };
		memcpy(f.token, o->token, PS_JREC_TOKEN_LEN);
		if (live) {
			eng_journal_put(x->e, PS_JREC_FILL, &f, sizeof(f));
		} else {
			/* Recovery: its FILL record should follow (see recovery.c). */
			x->rec_fill = f;
			x->rec_fill_pending = true;
		}
		uint32_t leaves = o->qty - o->filled;
		if (o->state == PS_OMS_STATE_FILLED) {
			drop_replacement(x, o, now);
			mt->live = false; /* risk ends a filled order itself */
			tag_clear(x, h);
		}
		if (live)
			report(x, h, PS_REPORT_FILL, m->u.executed.price, m->u.executed.shares,
			       leaves, 0);
		break;
	}
	case PS_OUCH_CANCELED:
	case PS_OUCH_AIQ_CANCELED:
		h = ps_oms_find(&x->oms, m->u.canceled.token);
		if (h == PS_OMS_NIL ||
		    ps_oms_on_canceled(&x->oms, m->u.canceled.token, m->u.canceled.decrement_shares,
				       m->u.canceled.reason, now)) {
			x->unknown_msgs++;
			break;
		}
		o = ps_oms_order_get(&x->oms, h);
		if (terminal(o->state)) {
			drop_replacement(x, o, now);
			order_ended(x, h, true, now);
			if (live)
				report(x, h, PS_REPORT_CANCELED, o->price, 0, 0, 0);
		}
		break;
	case PS_OUCH_REJECTED:
		h = ps_oms_find(&x->oms, m->u.token_event.token);
		if (h == PS_OMS_NIL || ps_oms_on_rejected(&x->oms, m->u.token_event.token, now)) {
			x->unknown_msgs++;
			break;
		}
		x->venue_rejects++;
		o = ps_oms_order_get(&x->oms, h);
		if (o->link != PS_OMS_NIL && working(ps_oms_order_get(&x->oms, o->link)->state)) {
			/* A refused replacement: the original order still works, at its
			 * own price and open shares, which risk takes back. */
			uint32_t orig = o->link;
			const struct ps_oms_order *oo = ps_oms_order_get(&x->oms, orig);
			struct eng_order_meta *om = &x->meta[orig];
			x->meta[h].live = false;
			risk_take_venue_terms(x, orig, oo->price, oo->qty - oo->filled, now);
			om->race_qty = 0;
			tag_set(x, om->strategy_id, om->tag, orig);
			if (live)
				report(x, h, PS_REPORT_REJECTED, o->price, 0, oo->qty - oo->filled,
				       m->u.token_event.reason);
			break;
		}
		/* Not live: the order ended before, and its strategy heard of the end
		 * then (a replacement dropped when its original filled or was
		 * cancelled; FIX venues answer its replace with a reject). Telling
		 * it again would empty the side a second time, while an order sent
		 * since works there. */
		if (!x->meta[h].live)
			break;
		ps_risk_on_reject(x->risk, x->meta[h].risk, now);
		x->meta[h].live = false;
		tag_clear(x, h);
		if (live)
			report(x, h, PS_REPORT_REJECTED, o->price, 0, 0, m->u.token_event.reason);
		break;
	case PS_OUCH_CANCEL_REJECT:
		/* The venue refuses a cancel (too late, or not cancelable now): the
		 * order still works, with its open shares, and risk still counts
		 * it. Its strategy hears the refusal as for a refused replace, so
		 * that it stops waiting for an answer to the cancel and can ask again. */
		h = ps_oms_find(&x->oms, m->u.token_event.token);
		if (h == PS_OMS_NIL ||
		    ps_oms_on_cancel_reject(&x->oms, m->u.token_event.token, now)) {
			x->unknown_msgs++;
			break;
		}
		x->venue_rejects++;
		o = ps_oms_order_get(&x->oms, h);
		if (live && x->meta[h].live)
			report(x, h, PS_REPORT_REJECTED, o->price, 0, o->qty - o->filled,
			       m->u.token_event.reason);
		break;
	default:
		if (ps_oms_on_ouch(&x->oms, m, now))
			x->unknown_msgs++;
		break;
	}
}

/* Live at the venue: working, or waiting for an answer to a request. */
static bool unsettled(unsigned st)
{
	return working(st) || st == PS_OMS_STATE_PENDING_CANCEL || st == PS_OMS_STATE_PENDING_NEW ||
	       st == PS_OMS_STATE_PENDING_REPLACE;
}

/* Orders still live at the venue (working, or waiting for an answer). */
static uint32_t working_orders(struct eng_exec *x)
{
	uint32_t n = 0;
	for (uint32_t h = 0; h < x->oms.capacity; h++)
		n += unsettled(ps_oms_order_get(&x->oms, h)->state);
	return n;
}

/*
 * Start-up reconciliation, at the first catch-up of this process. Nothing
 * is sent before it, so every order still live was sent by an earlier run,
 * and this run's strategies know none of them: left working, they would
 * quote against them (risk refusing the crossing ones as self-trades) and
 * their answers would reach the strategies as answers about their own
 * quotes. So they are cancelled, and no intent is taken until each is
 * settled (cancelled, filled, or its cancel timed out). Cold path: once
 * per run, then a check of the listed orders at most every millisecond.
 */

/* Lists the orders live at the venue for us, up to ENG_SETTLE_MAX
 * (settle_more: there were more; listed again once these are settled). A
 * replacement the venue drops because its original ended first is not live
 * for us (OUCH says nothing of it; its OMS entry only times out). */
static void settle_collect(struct eng_exec *x)
{
	x->settle_more = false;
	for (uint32_t h = 0; h < x->oms.capacity; h++) {
		const struct ps_oms_order *o = ps_oms_order_get(&x->oms, h);
		if (!unsettled(o->state) || !x->meta[h].live)
			continue;
		if (x->settle_n == ENG_SETTLE_MAX) {
			x->settle_more = true;
			break;
		}
		x->settle[x->settle_n].h = h;
		memcpy(x->settle[x->settle_n].token, o->token, PS_OUCH_TOKEN_LEN);
		x->settle_n++;
		x->settle_total++;
	}
}

static void settle_start(struct eng_exec *x, uint64_t now)
{
	uint32_t hs[64], n;

	x->reconciled = true;
	while (
	    (n = ps_oms_mass_cancel(&x->oms, PS_OMS_ALL_INSTRUMENTS, hs, PS_ARRAY_SIZE(hs), now)))
		cancel_handles(x, hs, n, now);
	settle_collect(x);
	if (x->settle_more)
		PS_LOG(PS_LOG_WARN,
		       "more than %u orders of an earlier run still live at the venue: cancelling "
		       "them before trading",
		       x->settle_n);
	else if (x->settle_n)
		PS_LOG(
		    PS_LOG_WARN,
		    "%u orders of an earlier run still live at the venue: cancelling them before "
		    "trading",
		    x->settle_n);
}

static void settle_check(struct eng_exec *x, uint64_t now)
{
	uint32_t k = 0;

	x->settle_check_ns = now + 1000000u;
	for (uint32_t i = 0; i < x->settle_n; i++) {
		const struct ps_oms_order *o = ps_oms_order_get(&x->oms, x->settle[i].h);
		/* Still the same order (a settled slot may be reused) and live. */
		if (unsettled(o->state) && x->meta[x->settle[i].h].live &&
		    memcmp(o->token, x->settle[i].token, PS_OUCH_TOKEN_LEN) == 0)
			x->settle[k++] = x->settle[i];
	}
	x->settle_n = k;
	if (!k && x->settle_more)
		settle_collect(x);
	if (!x->settle_n)
		PS_LOG(PS_LOG_INFO,
		       "reconciled: the %llu orders of an earlier run are settled; trading",
		       (unsigned long long)x->settle_total);
}

static void on_msg(void *ctx, uint64_t seq, const uint8_t *msg, uint16_t len)
{
	struct eng_exec *x = ctx;

	journal_venue(x, seq, msg, len);
	eng_exec_apply(x, seq, msg, len, true);
	eng_count(x->e, ENG_C_VENUE_MSGS, 1);
}

void eng_exec_on_venue_msg(struct eng_exec *x, uint64_t seq, const struct ps_ouch_msg *m)
{
	uint8_t buf[PS_OUCH_MAX_LEN];
	size_t len = ps_ouch_encode(buf, m, false);

	/* Journaled as the OUCH message it was normalized to: recovery applies
	 * it through eng_exec_apply like any other. */
	journal_venue(x, seq, buf, (uint16_t)len);
	eng_exec_apply_msg(x, seq, m, true);
	eng_count(x->e, ENG_C_VENUE_MSGS, 1);
}

static void cancel_handles(struct eng_exec *x, const uint32_t *hs, uint32_t n, uint64_t now)
{
	for (uint32_t i = 0; i < n; i++) {
		const struct ps_oms_order *o = ps_oms_order_get(&x->oms, hs[i]);
		if (x->fix) {
			char cxl[PS_OUCH_TOKEN_LEN];
			if (!eng_fix_can_send(x->fix))
				break;
			eng_exec_take_token(x, cxl);
			eng_fix_send_cancel(x->fix, o, cxl,
					    x->stock[o->instrument % ENG_MAX_INSTRUMENTS]);
			continue;
		}
		uint8_t *p = ps_soup_client_claim(&x->soup, PS_OUCH_CANCEL_ORDER_LEN);
		if (!p)
			break;
		ps_ouch_encode_cancel_order(p, o->token, 0);
		ps_soup_client_commit(&x->soup, now);
	}
	venue_flush(x);
}

static void on_event(void *ctx, int event, int err)
{
	eng_exec_session_event(ctx, event, err);
}

void eng_exec_session_event(struct eng_exec *x, int event, int err)
{
	uint64_t now = eng_now_ns();
	uint32_t hs[256], n;

	switch (event) {
	case PS_SOUP_CLIENT_EV_LOGGED_IN:
		x->logged_in = true;
		if (!x->fix && x->soup.asked_seq &&
		    ps_soup_client_next_seq(&x->soup) != x->soup.asked_seq) {
			/* Soup replays from where we ask: a venue that resumes elsewhere
			 * holds another history than our journal. */
			char why[256];
			uint64_t asked = x->soup.asked_seq, got = ps_soup_client_next_seq(&x->soup);
			if (got < asked)
				snprintf(
				    why, sizeof(why),
				    "the venue's session %s resumes at message %llu, but our "
				    "journal holds its messages up to %llu: the journal belongs to "
				    "another session, or the venue lost messages",
				    x->soup.session, (unsigned long long)got,
				    (unsigned long long)(asked - 1));
			else
				snprintf(
				    why, sizeof(why),
				    "the venue's session %s resumes at message %llu, but we have "
				    "its messages only up to %llu: the ones between (fills among "
				    "them, maybe) cannot be replayed",
				    x->soup.session, (unsigned long long)got,
				    (unsigned long long)(asked - 1));
			fail_closed(x, why, now);
		}
		PS_LOG(PS_LOG_INFO, "logged in to the venue, next sequence %llu",
		       (unsigned long long)(x->fix ? eng_fix_next_in(x->fix)
						   : ps_soup_client_next_seq(&x->soup)));
		break;
	case PS_SOUP_CLIENT_EV_CAUGHT_UP:
		x->caught_up = true;
		/* Orders whose fate the drop hid and the replay did not settle. */
		while ((n = ps_oms_on_reconnect(&x->oms, now, hs, PS_ARRAY_SIZE(hs))))
			cancel_handles(x, hs, n, now);
		if (ps_unlikely(!x->reconciled) && !x->fail_closed)
			settle_start(x, now);
		break;
	case PS_SOUP_CLIENT_EV_DISCONNECTED:
	case PS_SOUP_CLIENT_EV_END_OF_SESSION:
	case PS_SOUP_CLIENT_EV_LOGIN_REJECTED:
		if (event == PS_SOUP_CLIENT_EV_END_OF_SESSION)
			PS_LOG(PS_LOG_WARN, "the venue ended the session");
		else if (x->logged_in)
			PS_LOG(PS_LOG_WARN, "venue session lost: %s", ps_strerror(err));
		else if (event == PS_SOUP_CLIENT_EV_LOGIN_REJECTED)
			PS_LOG(PS_LOG_ERROR, "venue login rejected: %s", ps_strerror(err));
		if (event == PS_SOUP_CLIENT_EV_LOGIN_REJECTED && err == PS_ESEQLOW)
			fail_closed(
			    x,
			    "the venue's session is behind our journal (its Logon MsgSeqNum "
			    "is lower than the next one we expect): the journal belongs to "
			    "another session, or the venue lost messages",
			    now);
		x->logged_in = false;
		x->caught_up = false;
		ps_oms_on_disconnect(&x->oms, now);
		break;
	default:
		break;
	}
}

int eng_exec_poll(struct eng_exec *x)
{
	struct ps_engine *e = x->e;
	uint64_t now = eng_now_ns();
	uint32_t hs[64], n;
	int work = 0;

	if (e->split_book_exec) {
		struct eng_b2e m[16];
		uint32_t k = ps_ring_spsc_dequeue_burst(&e->ring_b, m, 16);
		for (uint32_t i = 0; i < k; i++)
			eng_exec_on_b2e(x, &m[i]);
		work += (int)k;
	}
	eng_exec_flush(x);
	if (e->cfg.mode != PS_ENGINE_REPLAY &&
	    (!e->cfg.journal_on || !jring_low_by(e, JOURNAL_ROOM)))
		work += (int)(ps_likely(!x->fix) ? ps_soup_client_poll(&x->soup, now)
						 : eng_fix_poll(x->fix, now));
	if (ps_unlikely(x->settle_n) && now >= x->settle_check_ns)
		settle_check(x, now);
	if ((n = ps_oms_poll_timeouts(&x->oms, now, hs, PS_ARRAY_SIZE(hs)))) {
		work++;
		for (uint32_t i = 0; i < n; i++) {
			/* A cancel the venue never answered while the session was up:
			 * OUCH ignores a cancel for an order it does not hold, and a
			 * live one would have been answered with Canceled. So the order
			 * is not working at the venue: stop counting it against risk
			 * (its side would block our own quotes as a self-trade forever)
			 * and tell the strategy its order is gone. */
			const struct ps_oms_order *o = ps_oms_order_get(&x->oms, hs[i]);
			/* A replacement the venue drops is never answered: not news. */
			x->req_timeouts += x->meta[hs[i]].live;
			if (x->caught_up && o->prev_state == PS_OMS_STATE_PENDING_CANCEL &&
			    x->meta[hs[i]].live) {
				order_ended(x, hs[i], true, now);
				report(x, hs[i], PS_REPORT_CANCELED, o->price, 0, 0, PS_ETIMEOUT);
				x->cancel_timeouts++;
			}
		}
	}
	if (eng_phase(e) >= ENG_STOP_EXEC) {
		if (!x->cancel_sent_at_exit) {
			x->cancel_sent_at_exit = true;
			if (e->cfg.cancel_on_exit && x->caught_up)
				while ((n = ps_oms_mass_cancel(&x->oms, PS_OMS_ALL_INSTRUMENTS, hs,
							       PS_ARRAY_SIZE(hs), now)))
					cancel_handles(x, hs, n, now);
		}
		if (!working_orders(x) || !x->caught_up || !e->cfg.cancel_on_exit)
			/* R3: pairs with A3 in ps_engine_run. */
			atomic_store_explicit(&e->exec_settled, true, memory_order_release);
	}
	if (work) {
		struct ps_risk_totals t;
		ps_risk_totals_get(x->risk, &t);
		eng_set(e, ENG_C_REALIZED, (uint64_t)t.realized);
	}
	return work;
}

/* ---- setup --------------------------------------------------------------------- */

static void risk_sink(void *ctx, const struct ps_risk_event *ev)
{
	struct eng_exec *x = ctx;
	/* Recovery replays what the journal already holds: its events are in it. */
	if (!x->recovering)
		eng_journal_put(x->e, PS_JREC_RISK_EVENT, ev, sizeof(*ev));
}

int eng_exec_open(struct eng_exec *x, struct ps_engine *e, char *err, size_t err_len)
{
	uint32_t ni = ps_instrument_table_count(e->instruments);
	struct ps_risk_limits g;
	struct ps_risk_instr_limits *il;
	int rc;

	x->e = e;
	for (uint32_t i = 0; i < ni; i++) {
		memset(x->stock[i], ' ', 8);
		memcpy(x->stock[i], e->cfg.symbols[i], strlen(e->cfg.symbols[i]));
	}
	for (int i = 0; i < ENG_LAT__COUNT; i++) {
		x->lat_mem[i] = ps_alloc_hot(ps_hist_memsize());
		if (!x->lat_mem[i] || ps_hist_init(&x->lat[i], x->lat_mem[i]))
			return -ENOMEM;
	}

	/* Risk: limits from [risk] / [risk.SYMBOL], published on a board. */
	il = ps_calloc(ni, sizeof(*il));
	if (!il)
		return -ENOMEM;
	rc = ps_risk_config_load(e->config, e->instruments, &g, il, err, err_len);
	if (!rc) {
		x->board_mem = ps_alloc_hot(ps_risk_board_memsize(ni));
		rc = x->board_mem
			 ? ps_risk_board_init(&x->board, x->board_mem, ni, &g, il, err, err_len)
			 : -ENOMEM;
	}
	ps_free(il);
	if (rc)
		return rc;
	struct ps_risk_params rp = { .instrument_count = ni,
				     .strategy_count =
					 e->book.strategy_count ? e->book.strategy_count : 1,
				     .order_capacity = RISK_ORDERS,
				     .board = &x->board,
				     .sink = risk_sink,
				     .sink_ctx = x };
	if ((rc = ps_risk_create(&x->risk, &rp))) {
		snprintf(err, err_len, "risk: cannot set up: %s", ps_strerror(rc));
		return rc;
	}

	/* OMS: tokens continue above everything the journal or an earlier run used. */
	struct ps_oms_config oc = { .capacity = OMS_CAPACITY,
				    .token_start = e->token_start,
				    .token_prefix = e->cfg.venue.token_prefix[0]
							? e->cfg.venue.token_prefix
							: "P",
				    .timeout_ns = (uint64_t)(e->cfg.venue.order_timeout_ms
								 ? e->cfg.venue.order_timeout_ms
								 : 5000) *
						  1000000u,
				    .cod_policy = PS_OMS_COD_CANCEL };
	x->oms_mem = ps_alloc_hot(ps_oms_memsize(&oc));
	if (!x->oms_mem || (rc = ps_oms_init(&x->oms, x->oms_mem, &oc))) {
		snprintf(err, err_len, "oms: cannot set up (token start %llu)",
			 (unsigned long long)oc.token_start);
		return rc ? rc : -ENOMEM;
	}
	x->meta = ps_alloc_hot((size_t)OMS_CAPACITY * sizeof(*x->meta));
	if (!x->meta)
		return -ENOMEM;
	for (unsigned s = 0; s < ENG_MAX_STRATEGIES; s++)
		for (unsigned t = 0; t < ENG_TAG_SLOTS; t++)
			x->tags[s][t].h = PS_OMS_NIL;

	struct ps_ouch_enter_order def = { .tif = PS_OUCH_TIF_SYSTEM_HOURS,
					   .display = 'Y',
					   .capacity = 'A',
					   .ise = 'N',
					   .cross_type = 'N',
					   .customer_type = ' ' };
	ps_ouch_pad(def.firm, PS_OUCH_FIRM_LEN, e->cfg.venue.firm[0] ? e->cfg.venue.firm : "PRSS");
	ps_ouch_enter_tmpl_init(&enter_tmpl[PS_TIF_DAY], &def);
	def.tif = PS_OUCH_TIF_IOC;
	ps_ouch_enter_tmpl_init(&enter_tmpl[PS_TIF_IOC], &def);
	return 0;
}

/* Connect after recovery (the session's start sequence comes from the journal). */
int eng_exec_connect(struct eng_exec *x, char *err, size_t err_len)
{
	struct ps_engine *e = x->e;
	const struct eng_venue_cfg *v = &e->cfg.venue;
	struct ps_soup_client_config sc = { 0 };
	char host[64];
	const char *colon = strrchr(v->connect, ':');
	int rc = 0;

	if (e->cfg.mode == PS_ENGINE_REPLAY) {
		x->caught_up = false;
		return 0;
	}
	if (!colon || (size_t)(colon - v->connect) >= sizeof(host)) {
		snprintf(err, err_len, "[venue] connect = %s: expected IPv4:PORT", v->connect);
		return PS_ECONFIG;
	}
	memcpy(host, v->connect, (size_t)(colon - v->connect));
	host[colon - v->connect] = '\0';
	sc.addr.sin_family = AF_INET;
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end || port <= 0 || port > 65535) {
		snprintf(err, err_len, "[venue] connect = %s: expected IPv4:PORT", v->connect);
		return PS_ECONFIG;
	}
	sc.addr.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sc.addr.sin_addr) != 1) {
		snprintf(err, err_len, "[venue] connect = %s: expected IPv4:PORT", v->connect);
		return PS_ECONFIG;
	}
	if (v->protocol == ENG_PROTO_FIX)
		return eng_fix_open(x, &sc.addr, e->next_seq, err, err_len);
	sc.username = v->user;
	sc.password = v->password;
	sc.session = v->session;
	sc.start_seq = e->next_seq;
	sc.heartbeat_ns = (uint64_t)v->heartbeat_ms * 1000000u;
	sc.timeout_ns = (uint64_t)v->timeout_ms * 1000000u;
	sc.on_msg = on_msg;
	sc.on_event = on_event;
	sc.ctx = x;
	x->soup_mem = ps_alloc_hot(ps_soup_client_memsize(&sc));
	if (!x->soup_mem || (rc = ps_soup_client_init(&x->soup, x->soup_mem, &sc))) {
		snprintf(err, err_len, "venue session: cannot set up: %s",
			 ps_strerror(x->soup_mem ? rc : -ENOMEM));
		return x->soup_mem ? rc : -ENOMEM;
	}
	return ps_soup_client_start(&x->soup, eng_now_ns());
}

void eng_exec_close(struct eng_exec *x)
{
	eng_fix_close(x);
	if (x->soup_mem) {
		ps_soup_client_fini(&x->soup);
		ps_free(x->soup_mem);
	}
	if (x->oms_mem) {
		ps_oms_fini(&x->oms);
		ps_free(x->oms_mem);
	}
	ps_free(x->meta);
	ps_risk_destroy(x->risk);
	if (x->board_mem) {
		ps_risk_board_fini(&x->board);
		ps_free(x->board_mem);
	}
	for (int i = 0; i < ENG_LAT__COUNT; i++)
		ps_free(x->lat_mem[i]);
}

/* Recovery: re-create an order (with its own token) from its journal record. */
void eng_exec_restore_order(struct eng_exec *x, const struct ps_jrec_order *r, unsigned type)
{
	uint64_t now = eng_now_ns();
	struct ps_order_intent in = { .price = r->price,
				      .qty = r->qty,
				      .instrument = r->instrument,
				      .strategy_id = r->strategy_id,
				      .confidence_bp = 10000,
				      .action = r->action,
				      .side = r->side,
				      .type = r->type,
				      .tif = r->tif,
				      .tag = r->tag };
	uint32_t h, orig;
	uint64_t counter = 0;

	for (unsigned i = x->oms.prefix_len; i < PS_OUCH_TOKEN_LEN; i++)
		counter = counter * 10 + (uint64_t)(r->token[i] - '0');
	if (type == PS_JREC_ORDER_SENT && (h = ps_oms_find(&x->oms, r->token)) != PS_OMS_NIL) {
		/* Re-created already from the venue's answer (see adopt). */
		for (uint32_t i = 0; i < x->rec_adopt_count; i++)
			if (x->rec_adopt[i].h == h)
				x->rec_adopt[i] = x->rec_adopt[--x->rec_adopt_count];
		return;
	}
	if (type == PS_JREC_CANCEL_SENT) {
		h = ps_oms_find(&x->oms, r->token);
		if (h != PS_OMS_NIL && !ps_oms_order_cancel(&x->oms, h, now))
			ps_risk_on_send(x->risk, &in, x->meta[h].risk, h, now);
		return;
	}
	if (ps_oms_token_seek(&x->oms, counter))
		return;
	if (r->action == PS_ORDER_REPLACE) {
		orig = ps_oms_find(&x->oms, r->orig_token);
		if (orig == PS_OMS_NIL ||
		    ps_oms_order_replace(&x->oms, orig, r->price, r->qty, now, &h))
			return;
		x->meta[h] = x->meta[orig];
		x->meta[h].race_qty = 0;
		x->meta[h].risk = ps_risk_on_send(x->risk, &in, x->meta[orig].risk, orig, now);
		x->meta[h].live = true;
	} else {
		struct ps_oms_new req = { .price = r->price,
					  .qty = r->qty,
					  .instrument = r->instrument,
					  .strategy_id = r->strategy_id,
					  .side = r->side == PS_SIDE_BUY ? PS_OUCH_SIDE_BUY
									 : PS_OUCH_SIDE_SELL,
					  .tif = r->tif };
		if (ps_oms_order_new(&x->oms, &req, now, &h))
			return;
		x->meta[h] = (struct eng_order_meta){ .risk = ps_risk_on_send(
							  x->risk, &in, PS_RISK_ORDER_NONE, h, now),
						      .tag = r->tag,
						      .strategy_id = r->strategy_id,
						      .side = r->side,
						      .live = true };
	}
	tag_set(x, r->strategy_id, r->tag, h);
}
