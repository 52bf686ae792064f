/*
 * Recovery: before the engine trades, the journal is read back (a torn tail
 * is cut off, corruption stops the start), and every record is applied to a
 * fresh OMS and risk exactly as the live run applied it: orders re-created
 * with their own tokens, venue messages applied in sequence. The venue
 * session then asks for the message after the last one journaled, so the
 * venue replays precisely what we missed: nothing lost, nothing twice.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <ps/err.h>

#include "engine_internal.h"

struct rec_ctx {
	struct ps_engine *e;
	uint64_t last_seq;
	uint64_t token_hwm;
	uint64_t orders, fills, venue_msgs, repaired;
	int error;
};

static void strategy_fill(struct ps_engine *e, const struct ps_jrec_fill *f)
{
	for (uint32_t i = 0; i < e->book.strategy_count; i++) {
		struct ps_strategy *s = e->book.strategies[i];
		if (s->id == f->strategy_id)
			s->position += f->side == PS_SIDE_BUY ? (int64_t)f->qty : -(int64_t)f->qty;
	}
}

/* An execution replayed from its VENUE_MSG whose FILL record never reached
 * the disk (the process died between the two records): write it now, so
 * the journal holds every fill exactly once. */
static void repair_fill(struct rec_ctx *c)
{
	struct eng_exec *x = &c->e->exec;

	if (!x->rec_fill_pending)
		return;
	x->rec_fill_pending = false;
	eng_journal_put(c->e, PS_JREC_FILL, &x->rec_fill, sizeof(x->rec_fill));
	strategy_fill(c->e, &x->rec_fill);
	c->fills++;
	c->repaired++;
}

static int on_record(void *ctx, const struct ps_journal_record *rec)
{
	struct rec_ctx *c = ctx;
	struct ps_engine *e = c->e;

	switch (rec->type) {
	case PS_JREC_START:
		if (rec->len >= sizeof(struct ps_jrec_start)) {
			struct ps_jrec_start s;
			memcpy(&s, rec->payload, sizeof(s));
			if (s.token_start > c->token_hwm)
				c->token_hwm = s.token_start;
		}
		break;
	case PS_JREC_ORDER_SENT:
	case PS_JREC_CANCEL_SENT:
		if (rec->len >= sizeof(struct ps_jrec_order)) {
			struct ps_jrec_order o;
			memcpy(&o, rec->payload, sizeof(o));
			eng_exec_restore_order(&e->exec, &o, rec->type);
			if (o.token_hwm > c->token_hwm)
				c->token_hwm = o.token_hwm;
			c->orders++;
		}
		break;
	case PS_JREC_VENUE_MSG:
		if (rec->len >= sizeof(struct ps_jrec_venue_msg)) {
			struct ps_jrec_venue_msg v;
			memcpy(&v, rec->payload, sizeof(v));
			if (v.len > sizeof(v.msg))
				break;
			repair_fill(c);
			eng_exec_apply(&e->exec, v.seq, v.msg, v.len, false);
			if (v.seq > c->last_seq)
				c->last_seq = v.seq;
			c->venue_msgs++;
		}
		break;
	case PS_JREC_FILL:
		if (rec->len >= sizeof(struct ps_jrec_fill)) {
			struct ps_jrec_fill f;
			memcpy(&f, rec->payload, sizeof(f));
			if (e->exec.rec_fill_pending && e->exec.rec_fill.seq == f.seq)
				e->exec.rec_fill_pending = false;
			strategy_fill(e, &f);
			c->fills++;
		}
		break;
	default:
		break;
	}
	return 0;
}

/*
 * The journal's venue sequence numbers belong to one venue session: OUCH's
 * SoupBinTCP numbers, or one FIX session's MsgSeqNums, whose outgoing
 * numbers live beside the journal in fix-SENDER-TARGET.seq. A journal with
 * venue messages must match the configured session, or the sequence
 * numbers asked for after the restart would be another session's.
 */
static int check_session(struct ps_engine *e, char *err, size_t err_len)
{
	const struct eng_venue_cfg *v = &e->cfg.venue;
	char mine[128] = "", other[256] = "";
	DIR *d = opendir(e->cfg.journal_dir);
	struct dirent *de;
	bool found = false;

	if (!d)
		return 0;
	if (v->protocol == ENG_PROTO_FIX)
		snprintf(mine, sizeof(mine), "fix-%s-%s.seq", v->sender_comp_id, v->target_comp_id);
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n < 8 || strncmp(de->d_name, "fix-", 4) != 0 ||
		    strcmp(de->d_name + n - 4, ".seq") != 0)
			continue;
		if (mine[0] && !strcmp(de->d_name, mine))
			found = true;
		else if (!other[0])
			snprintf(other, sizeof(other), "%s", de->d_name);
	}
	closedir(d);
	if (v->protocol == ENG_PROTO_FIX && !found) {
		snprintf(err, err_len,
			 "journal %s holds venue messages of another session (%s%s), not of the "
			 "FIX session %s -> %s (no %s beside it): refusing to start (use a new "
			 "journal dir for a new session)",
			 e->cfg.journal_dir, other[0] ? other : "OUCH",
			 other[0] ? "" : " or a lost sequence file", v->sender_comp_id,
			 v->target_comp_id, mine);
		return PS_ECONFIG;
	}
	if (v->protocol == ENG_PROTO_OUCH && other[0]) {
		snprintf(err, err_len,
			 "journal %s holds venue messages of a FIX session (%s), and [venue] "
			 "protocol is ouch: refusing to start (use a new journal dir for a new "
			 "session)",
			 e->cfg.journal_dir, other);
		return PS_ECONFIG;
	}
	return 0;
}

int eng_recover(struct ps_engine *e, char *err, size_t err_len)
{
	struct rec_ctx c = { .e = e };
	struct ps_journal_scan res;
	struct timespec ts;
	int rc;

	/* Token counter floor from the clock, one step per 10 us: even an order
	 * whose journal record died with the process (sent, not yet written)
	 * had a smaller counter, so no token is ever reused as long as no run
	 * sends more than 100,000 orders per second of its uptime. (A floor in
	 * whole seconds reused tokens when the engine restarted within the
	 * second it had started in.) */
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t floor = ts.tv_sec > 1700000000 ? (uint64_t)(ts.tv_sec - 1700000000) * 100000u +
						      (uint64_t)ts.tv_nsec / 10000u
						: 1;
	e->next_seq = 1;
	e->journal_next_seq = 1;
	if (e->cfg.journal_on) {
		e->exec.recovering = true;
		rc = ps_journal_scan(e->cfg.journal_dir, PS_JOURNAL_SCAN_TRUNCATE, on_record, &c,
				     &res);
		e->exec.recovering = false;
		if (!rc) {
			repair_fill(&c);
			eng_exec_journal_adopted(&e->exec);
		}
		if (rc == -ENOENT) {
			rc = 0;
			memset(&res, 0, sizeof(res));
		}
		if (rc) {
			snprintf(err, err_len,
				 "journal %s: %s: refusing to start (fix or move the journal)",
				 e->cfg.journal_dir, res.error[0] ? res.error : ps_strerror(rc));
			return rc;
		}
		if (res.truncated)
			fprintf(
			    stderr,
			    "perseus: journal: cut a torn record of %llu bytes at offset %llu of "
			    "%s (never applied)\n",
			    (unsigned long long)res.torn_bytes, (unsigned long long)res.torn_offset,
			    res.torn_file);
		e->recovered_records = res.last_seq;
		/* Past an empty last segment too (its header says where it starts). */
		e->journal_next_seq = res.next_seq ? res.next_seq : 1;
		e->recovered = res.records > 0;
		e->recovered_fills = c.fills;
		e->recovered_orders = c.orders;
		if (c.last_seq)
			e->next_seq = c.last_seq + 1;
		if (c.venue_msgs && e->cfg.mode != PS_ENGINE_REPLAY &&
		    (rc = check_session(e, err, err_len)))
			return rc;
	}
	e->token_start = c.token_hwm > floor ? c.token_hwm : floor;
	if ((rc = ps_oms_token_seek(&e->exec.oms, e->token_start))) {
		snprintf(err, err_len, "oms: token counter %llu does not fit the token",
			 (unsigned long long)e->token_start);
		return rc;
	}
	if (e->recovered) {
		/* What the venue did with our working orders while we were away is in
		 * its replay; until it is caught up they are UNKNOWN, and those it
		 * does not settle are cancelled (cancel-on-disconnect policy). */
		uint32_t n = ps_oms_on_disconnect(&e->exec.oms, eng_now_ns());
		fprintf(
		    stderr,
		    "perseus: recovered %llu journal records: %llu orders, %llu venue messages, "
		    "%llu fills (%llu rewritten), %u orders to reconcile; asking the venue from "
		    "sequence %llu\n",
		    (unsigned long long)e->recovered_records, (unsigned long long)c.orders,
		    (unsigned long long)c.venue_msgs, (unsigned long long)c.fills,
		    (unsigned long long)c.repaired, n, (unsigned long long)e->next_seq);
		for (uint32_t i = 0; i < ps_instrument_table_count(e->instruments); i++) {
			struct ps_risk_position p;
			if (!ps_risk_position_get(e->exec.risk, i, &p))
				fprintf(stderr,
					"perseus: recovered position %s %lld shares, cost %lld, "
					"realized %lld, through venue sequence %llu\n",
					e->cfg.symbols[i], (long long)p.pos, (long long)p.cost,
					(long long)p.realized, (unsigned long long)c.last_seq);
		}
	}
	return 0;
}
