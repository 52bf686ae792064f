/* Journal record names and printing (cold path: `perseus journal dump`). */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <ps/jrec.h>
#include <ps/json.h>
#include <ps/ouch.h>
#include <ps/risk_keys.h>

static const char *const names[PS_JREC__COUNT] = {
	[PS_JREC_START] = "START",
	[PS_JREC_ORDER_SENT] = "ORDER_SENT",
	[PS_JREC_CANCEL_SENT] = "CANCEL_SENT",
	[PS_JREC_VENUE_MSG] = "VENUE_MSG",
	[PS_JREC_FILL] = "FILL",
	[PS_JREC_RISK_REJECT] = "RISK_REJECT",
	[PS_JREC_RISK_EVENT] = "RISK_EVENT",
	[PS_JREC_STOP] = "STOP",
	[PS_JREC_MD_STATUS] = "MD_STATUS",
};

const char *ps_jrec_type_name(unsigned type)
{
	return type < PS_JREC__COUNT ? names[type] : NULL;
}

/* One field: text "k=v", csv "v", jsonl "\"k\":v". */
struct out {
	FILE *f;
	enum ps_jrec_format fmt;
	bool first;
};

static void sep(struct out *o)
{
	if (!o->first)
		fputc(o->fmt == PS_JREC_FORMAT_TEXT ? ' ' : ',', o->f);
	o->first = false;
}

static void fu(struct out *o, const char *k, uint64_t v)
{
	sep(o);
	if (o->fmt == PS_JREC_FORMAT_JSONL)
		fprintf(o->f, "\"%s\":%" PRIu64, k, v);
	else if (o->fmt == PS_JREC_FORMAT_TEXT)
		fprintf(o->f, "%s=%" PRIu64, k, v);
	else
		fprintf(o->f, "%s=%" PRIu64, k, v);
}

static void fi(struct out *o, const char *k, int64_t v)
{
	sep(o);
	if (o->fmt == PS_JREC_FORMAT_JSONL)
		fprintf(o->f, "\"%s\":%" PRId64, k, v);
	else
		fprintf(o->f, "%s=%" PRId64, k, v);
}

/* A string field of up to len bytes (NUL-terminated or space-padded). Its
 * bytes come from the disk and from the venue (tokens, symbols), so any
 * byte may be in it: jsonl writes a JSON string (ps_json_put_string);
 * text and csv write what would split or hide a field (space, comma, '=',
 * a control byte, a backslash, a byte above 0x7e) as \xNN. */
static void fs(struct out *o, const char *k, const char *v, size_t len)
{
	size_t n = strnlen(v, len);
	while (n && v[n - 1] == ' ')
		n--;
	sep(o);
	if (o->fmt == PS_JREC_FORMAT_JSONL) {
		fprintf(o->f, "\"%s\":", k);
		ps_json_put_string(o->f, v, n);
		return;
	}
	fprintf(o->f, "%s=", k);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c <= ' ' || c >= 0x7f || c == ',' || c == '=' || c == '\\')
			fprintf(o->f, "\\x%02x", c);
		else
			fputc(c, o->f);
	}
}

static const char *side_name(uint8_t side)
{
	return side == 0 ? "buy" : side == 1 ? "sell" : "?";
}

/* The order fields of a journaled OUCH message (token, shares, price). */
static void print_ouch(struct out *o, const uint8_t *msg, uint16_t len)
{
	struct ps_ouch_msg m;

	if (ps_ouch_decode_outbound(msg, len, &m))
		return;
	switch (m.type) {
	case PS_OUCH_ACCEPTED:
	case PS_OUCH_REPLACED:
		fs(o, "token", m.u.accepted.token, PS_OUCH_TOKEN_LEN);
		if (m.type == PS_OUCH_REPLACED)
			fs(o, "previous_token", m.u.accepted.previous_token, PS_OUCH_TOKEN_LEN);
		fs(o, "side", m.u.accepted.side == PS_OUCH_SIDE_BUY ? "buy" : "sell", 8);
		fu(o, "shares", m.u.accepted.shares);
		fu(o, "price", m.u.accepted.price);
		break;
	case PS_OUCH_EXECUTED:
		fs(o, "token", m.u.executed.token, PS_OUCH_TOKEN_LEN);
		fu(o, "shares", m.u.executed.shares);
		fu(o, "price", m.u.executed.price);
		fu(o, "match", m.u.executed.match_number);
		break;
	case PS_OUCH_CANCELED:
	case PS_OUCH_AIQ_CANCELED:
		fs(o, "token", m.u.canceled.token, PS_OUCH_TOKEN_LEN);
		fu(o, "shares", m.u.canceled.decrement_shares);
		break;
	case PS_OUCH_REJECTED:
		fs(o, "token", m.u.token_event.token, PS_OUCH_TOKEN_LEN);
		break;
	default:
		break;
	}
}

/* STOP: totals, then one group of fields per instrument (jsonl: an array). */
static void print_stop(struct out *o, const void *payload, uint32_t len)
{
	const size_t hdr = offsetof(struct ps_jrec_stop, pos);
	struct ps_jrec_stop s;

	if (len < hdr)
		return;
	memset(&s, 0, sizeof(s));
	memcpy(&s, payload, len < sizeof(s) ? len : sizeof(s));
	fu(o, "token_hwm", s.token_hwm);
	fu(o, "next_seq", s.next_seq);
	fi(o, "realized", s.realized);
	fi(o, "unrealized", s.unrealized);
	fu(o, "fills", s.fills);
	fu(o, "pid", s.pid);
	if (s.count > PS_JREC_STOP_MAX_POS || hdr + s.count * sizeof(s.pos[0]) > len)
		s.count = 0; /* a short record: totals only */
	if (o->fmt == PS_JREC_FORMAT_JSONL) {
		sep(o);
		fputs("\"positions\":[", o->f);
	}
	for (uint32_t i = 0; i < s.count; i++) {
		const struct ps_jrec_stop_pos *p = &s.pos[i];
		struct out in = { .f = o->f, .fmt = o->fmt, .first = true };
		struct out *w = o->fmt == PS_JREC_FORMAT_JSONL ? &in : o;
		if (o->fmt == PS_JREC_FORMAT_JSONL)
			fputs(i ? ",{" : "{", o->f);
		fu(w, "instrument", p->instrument);
		fi(w, "pos", p->pos);
		fi(w, "cost", p->cost);
		fi(w, "pos_realized", p->realized);
		fi(w, "pos_unrealized", p->unrealized);
		fi(w, "mark", p->mark);
		if (o->fmt == PS_JREC_FORMAT_JSONL)
			fputc('}', o->f);
	}
	if (o->fmt == PS_JREC_FORMAT_JSONL)
		fputc(']', o->f);
}

int ps_jrec_print(FILE *f, enum ps_jrec_format fmt, uint64_t seq, uint64_t ts_ns, unsigned type,
		  const void *payload, uint32_t len)
{
	struct out o = { .f = f, .fmt = fmt, .first = true };
	const char *name = ps_jrec_type_name(type);

	if (fmt == PS_JREC_FORMAT_JSONL)
		fputc('{', f);
	fu(&o, "seq", seq);
	fu(&o, "ts_ns", ts_ns);
	fs(&o, "type", name ? name : "UNKNOWN", 32);
	switch (type) {
	case PS_JREC_STOP:
		print_stop(&o, payload, len);
		break;
	case PS_JREC_START:
		if (len >= sizeof(struct ps_jrec_start)) {
			struct ps_jrec_start s;
			memcpy(&s, payload, sizeof(s));
			fu(&o, "token_start", s.token_start);
			fu(&o, "next_seq", s.next_seq);
			fu(&o, "pid", s.pid);
		}
		break;
	case PS_JREC_ORDER_SENT:
	case PS_JREC_CANCEL_SENT:
		if (len >= sizeof(struct ps_jrec_order)) {
			struct ps_jrec_order r;
			memcpy(&r, payload, sizeof(r));
			fs(&o, "token", r.token, PS_JREC_TOKEN_LEN);
			if (r.orig_token[0])
				fs(&o, "orig_token", r.orig_token, PS_JREC_TOKEN_LEN);
			fs(&o, "action",
			   r.action == 0   ? "new"
			   : r.action == 1 ? "cancel"
					   : "replace",
			   8);
			fs(&o, "side", side_name(r.side), 8);
			fu(&o, "qty", r.qty);
			fi(&o, "price", r.price);
			fu(&o, "instrument", r.instrument);
			fu(&o, "strategy", r.strategy_id);
			fu(&o, "tag", r.tag);
			fs(&o, "tif", r.tif ? "ioc" : "day", 4);
		}
		break;
	case PS_JREC_VENUE_MSG:
		if (len >= sizeof(struct ps_jrec_venue_msg)) {
			struct ps_jrec_venue_msg v;
			char t[2] = { 0 };
			memcpy(&v, payload, sizeof(v));
			t[0] = (char)v.msg[0];
			fu(&o, "venue_seq", v.seq);
			fs(&o, "ouch_type", t, 1);
			fu(&o, "len", v.len);
			print_ouch(&o, v.msg, v.len < sizeof(v.msg) ? v.len : sizeof(v.msg));
		}
		break;
	case PS_JREC_FILL:
		if (len >= sizeof(struct ps_jrec_fill)) {
			struct ps_jrec_fill r;
			memcpy(&r, payload, sizeof(r));
			fs(&o, "token", r.token, PS_JREC_TOKEN_LEN);
			fs(&o, "side", side_name(r.side), 8);
			fu(&o, "qty", r.qty);
			fi(&o, "price", r.price);
			fu(&o, "instrument", r.instrument);
			fu(&o, "strategy", r.strategy_id);
			fu(&o, "venue_seq", r.seq);
			fu(&o, "match", r.match_number);
		}
		break;
	case PS_JREC_MD_STATUS:
		if (len >= sizeof(struct ps_jrec_md_status)) {
			struct ps_jrec_md_status m;
			memcpy(&m, payload, sizeof(m));
			fu(&o, "instrument", m.instrument);
			fu(&o, "stale", m.stale);
			fu(&o, "halted", m.halted);
		}
		break;
	case PS_JREC_RISK_REJECT:
		if (len >= sizeof(struct ps_jrec_reject)) {
			struct ps_jrec_reject r;
			memcpy(&r, payload, sizeof(r));
			fi(&o, "reason", r.reason);
			const char *rn = r.reason > 0 && r.reason < PS_RISK_REASON__COUNT
					     ? ps_risk_reason_name((unsigned)r.reason)
					     : "?";
			fs(&o, "reason_name", rn, strlen(rn));
			fs(&o, "side", side_name(r.intent.side), 8);
			fu(&o, "qty", r.intent.qty);
			fi(&o, "price", r.intent.price);
			fu(&o, "strategy", r.intent.strategy_id);
		}
		break;
	default:
		fu(&o, "len", len);
		break;
	}
	if (fmt == PS_JREC_FORMAT_JSONL)
		fputc('}', f);
	fputc('\n', f);
	return ferror(f) ? -1 : 0;
}
