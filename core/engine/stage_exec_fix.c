/*
 * exec stage, FIX 4.4 order entry ([venue.NAME] protocol = fix): the
 * session (exec/fix_session.c) over the io_uring TCP transport
 * (exec/tcp_uring.c), and the adapter between FIX and the exec stage's one
 * vocabulary for venue events, OUCH 4.2 outbound messages (see
 * engine_internal.h).
 *
 * Out: intents become NewOrderSingle (ClOrdID = the OMS token),
 * OrderCancelRequest (ClOrdID = a fresh token from the same counter,
 * OrigClOrdID = the order's token) and OrderCancelReplaceRequest (ClOrdID =
 * the replacement's token). FIX OrderQty is the total order quantity, so a
 * replace asks for the new open quantity plus what the chain of orders it
 * continues has filled (CumQty: the OMS's cum): the same meaning as OUCH's
 * shares (the new open shares).
 *
 * In: every ExecutionReport and OrderCancelReject becomes the OUCH message
 * that means the same (New -> Accepted, Replaced -> Replaced, Trade ->
 * Executed, Canceled/Expired/DoneForDay -> Canceled, Rejected -> Rejected;
 * a cancel refused for a live order -> Cancel Reject, for an order the
 * venue no longer holds -> Canceled, a refused replace -> Rejected for the
 * replacement). It is journaled with the FIX MsgSeqNum and applied like an
 * OUCH message, so OMS, risk, journal and recovery have one code path.
 *
 * Sequence numbers and restarts: the session's numbers live in
 * JOURNAL_DIR/fix-SENDER-TARGET.seq (a shared mapping: no system call per
 * message). After a restart the outgoing number comes from that file and
 * the incoming one from the journal (the last VENUE_MSG + 1), not from the
 * file: a message received but not yet journaled when the process died is
 * asked for again with a ResendRequest instead of being lost. FIX has no
 * end-of-replay marker like SoupBinTCP's first heartbeat: we are caught up
 * once logged on with no ResendRequest outstanding (the venue answers
 * ours before anything newer, so every message it had for us has been
 * applied).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <ps/alloc.h>
#include <ps/err.h>
#include <ps/fix.h>
#include <ps/fix_session.h>
#include <ps/tcp_uring.h>

#include "engine_internal.h"

#define FIX_SCALE          4u /* prices: 4 decimals, as OUCH and ITCH */
#define FIX_TX_CAP         (256u * 1024u)
#define FIX_RX_CAP         (64u * 1024u)
#define CONNECT_TIMEOUT_NS 2000000000ull
#define BACKOFF_MIN_NS     100000000ull
#define BACKOFF_MAX_NS     5000000000ull
/* Room for one order message (header ~90 bytes, body < 200). */
#define ORDER_MSG_ROOM 512u

enum { FX_IDLE = 0, FX_CONNECTING, FX_ONLINE, FX_BACKOFF, FX_STOPPED };

struct eng_fix {
	struct eng_exec *x;
	struct ps_fix_session sess;
	void *sess_mem;
	struct ps_tcp_uring tcp;
	void *tcp_mem;
	struct sockaddr_in addr;
	int64_t rt_off; /* CLOCK_REALTIME - eng_now_ns(): SendingTime is UTC wall time */
	uint64_t deadline_ns, retry_at_ns, backoff_ns;
	uint8_t state;
	bool logged_on, caught_up, stopping;
	bool sess_ok, tcp_ok; /* initialised (for close) */
	uint64_t ignored, malformed, connects;
	uint64_t replayed;  /* messages applied between Logon and caught up */
	uint8_t body[1024]; /* message bodies are built here (at PS_FIX_PREFIX_ROOM) */
	char path[352];     /* JOURNAL_DIR/fix-SENDER-TARGET.seq */
};

/* ---- the adapter ---------------------------------------------------------- */

/* A ClOrdID (or OrigClOrdID) field as a space-padded 14-byte token. */
static bool token_of(const struct ps_fix_msg *m, int32_t tag, char *tok)
{
	int32_t i = ps_fix_msg_find(m, tag);
	if (i < 0 || m->fields[i].len == 0 || m->fields[i].len > PS_OUCH_TOKEN_LEN)
		return false;
	memset(tok, ' ', PS_OUCH_TOKEN_LEN);
	memcpy(tok, ps_fix_msg_value(m, (uint32_t)i), m->fields[i].len);
	return true;
}

static char field_char(const struct ps_fix_msg *m, int32_t tag)
{
	int32_t i = ps_fix_msg_find(m, tag);
	return i >= 0 && m->fields[i].len == 1 ? (char)*ps_fix_msg_value(m, (uint32_t)i) : 0;
}

/* The digits of an id ("E123" -> 123): OUCH's numeric order reference and
 * match number; FIX ids are strings. */
static uint64_t id_number(const uint8_t *p, uint32_t n)
{
	uint64_t v = 0;
	for (uint32_t i = 0; i < n; i++)
		if (p[i] >= '0' && p[i] <= '9')
			v = v * 10 + (uint64_t)(p[i] - '0');
	return v;
}

/* Open shares of our order with this token as the OMS holds them. */
static uint32_t oms_open(const struct ps_oms *oms, const char *tok, bool *found)
{
	uint32_t h = ps_oms_find(oms, tok);
	*found = h != PS_OMS_NIL;
	if (!*found)
		return 0;
	const struct ps_oms_order *o = ps_oms_order_get(oms, h);
	return o->qty > o->filled ? o->qty - o->filled : 0;
}

static int from_exec_report(const struct ps_fix_msg *m, const struct ps_oms *oms,
			    struct ps_ouch_msg *out)
{
	struct ps_fix_exec_report er;
	char tok[PS_OUCH_TOKEN_LEN];
	bool found;

	if (ps_fix_exec_report_decode(m, FIX_SCALE, &er) || !er.cl_ord_id_len ||
	    er.cl_ord_id_len > PS_OUCH_TOKEN_LEN)
		return PS_EPROTOCOL;
	memset(out, 0, sizeof(*out));
	memset(tok, ' ', sizeof(tok));
	memcpy(tok, er.cl_ord_id, er.cl_ord_id_len);
	switch (er.exec_type) {
	case '0': /* New */
	case '5': /* Replaced */ {
		struct ps_ouch_accepted *a = &out->u.accepted;
		if (er.exec_type == '5' && !token_of(m, 41, a->previous_token))
			return PS_EPROTOCOL;
		out->type = er.exec_type == '0' ? PS_OUCH_ACCEPTED : PS_OUCH_REPLACED;
		memcpy(a->token, tok, PS_OUCH_TOKEN_LEN);
		memset(a->stock, ' ', PS_OUCH_STOCK_LEN);
		memcpy(a->stock, er.symbol,
		       er.symbol_len < PS_OUCH_STOCK_LEN ? er.symbol_len : PS_OUCH_STOCK_LEN);
		memset(a->firm, ' ', PS_OUCH_FIRM_LEN);
		if (er.exec_type == '0')
			memset(a->previous_token, ' ', PS_OUCH_TOKEN_LEN);
		a->order_ref = id_number(er.order_id, er.order_id_len);
		/* OUCH: the open shares (a replacement's fills stay with the original). */
		a->shares = (uint32_t)er.leaves_qty;
		a->price = er.price > 0 && er.price <= UINT32_MAX ? (uint32_t)er.price : 0;
		a->side = er.side == '1' ? PS_OUCH_SIDE_BUY : PS_OUCH_SIDE_SELL;
		a->tif = field_char(m, 59) == '3' ? PS_OUCH_TIF_IOC : PS_OUCH_TIF_SYSTEM_HOURS;
		a->display = 'Y';
		a->capacity = 'A';
		a->ise = 'N';
		a->cross_type = 'N';
		a->order_state = PS_OUCH_ORDER_STATE_LIVE;
		return 1;
	}
	case 'F': /* Trade (partial or full fill) */
		if (!er.last_qty || er.last_qty > UINT32_MAX || er.last_px <= 0 ||
		    er.last_px > UINT32_MAX)
			return PS_EPROTOCOL;
		out->type = PS_OUCH_EXECUTED;
		memcpy(out->u.executed.token, tok, PS_OUCH_TOKEN_LEN);
		out->u.executed.shares = (uint32_t)er.last_qty;
		out->u.executed.price = (uint32_t)er.last_px;
		out->u.executed.match_number = id_number(er.exec_id, er.exec_id_len);
		{
			char liq = field_char(m, 851); /* LastLiquidityInd: 1 added, 2 removed */
			out->u.executed.liquidity_flag = liq == '1' ? 'A' : liq == '2' ? 'R' : ' ';
		}
		return 1;
	case '4': /* Canceled */
	case 'C': /* Expired */
	case '3': /* Done for day */ {
		/* The answer to our cancel names the order in OrigClOrdID. */
		if (er.orig_cl_ord_id_len && !token_of(m, 41, tok))
			return PS_EPROTOCOL;
		uint32_t open = oms_open(oms, tok, &found);
		if (!found) /* not ours: what FIX says went */
			open =
			    er.order_qty > er.cum_qty ? (uint32_t)(er.order_qty - er.cum_qty) : 0;
		out->type = PS_OUCH_CANCELED;
		memcpy(out->u.canceled.token, tok, PS_OUCH_TOKEN_LEN);
		/* FIX says what is left, OUCH what went. */
		out->u.canceled.decrement_shares =
		    open > er.leaves_qty ? open - (uint32_t)er.leaves_qty : 0;
		out->u.canceled.reason = er.exec_type == 'C'     ? 'T'
					 : er.exec_type == '3'   ? 'Z'
					 : er.orig_cl_ord_id_len ? 'U'
								 : 'I';
		return out->u.canceled.decrement_shares ? 1 : 0;
	}
	case '8': /* Rejected */
		out->type = PS_OUCH_REJECTED;
		memcpy(out->u.token_event.token, tok, PS_OUCH_TOKEN_LEN);
		/* A one-character Text is the venue's OUCH reason; else "other". */
		out->u.token_event.reason = er.text_len == 1 ? er.text[0] : 'O';
		return 1;
	default: /* Restated, OrderStatus, TradeCancel...: nothing for the OMS */
		return 0;
	}
}

static int from_cancel_reject(const struct ps_fix_msg *m, const struct ps_oms *oms,
			      struct ps_ouch_msg *out)
{
	char tok[PS_OUCH_TOKEN_LEN], orig[PS_OUCH_TOKEN_LEN];
	char to = field_char(m, 434), status = field_char(m, 39);
	bool found;

	if (!token_of(m, 11, tok) || !token_of(m, 41, orig) || (to != '1' && to != '2'))
		return PS_EPROTOCOL;
	memset(out, 0, sizeof(*out));
	if (to == '2') {
		/* A refused replace: the replacement is rejected; the OMS puts the
		 * original back (or leaves it dead if it died meanwhile). */
		out->type = PS_OUCH_REJECTED;
		memcpy(out->u.token_event.token, tok, PS_OUCH_TOKEN_LEN);
		out->u.token_event.reason = 'O';
		return 1;
	}
	switch (status) {
	case '0': /* New */
	case '1': /* Partially filled */
	case '5': /* Replaced */
	case '6': /* Pending cancel */
	case 'A': /* Pending new */
	case 'E': /* Pending replace */
		/* Too late or refused, but the order still works. */
		out->type = PS_OUCH_CANCEL_REJECT;
		memcpy(out->u.token_event.token, orig, PS_OUCH_TOKEN_LEN);
		return 1;
	default: {
		/* Canceled, filled, rejected, expired, or unknown to the venue
		 * (CxlRejReason 1): the order does not work there any more. A
		 * fill would have come before this answer (FIX sequences both);
		 * what is still open in the OMS is gone. OUCH leaves such a
		 * cancel unanswered and the OMS times it out; FIX says so. */
		uint32_t open = oms_open(oms, orig, &found);
		if (!found || !open)
			return 0;
		out->type = PS_OUCH_CANCELED;
		memcpy(out->u.canceled.token, orig, PS_OUCH_TOKEN_LEN);
		out->u.canceled.decrement_shares = open;
		out->u.canceled.reason = 'U';
		return 1;
	}
	}
}

int eng_fix_normalize(const struct ps_fix_msg *m, const struct ps_oms *oms, struct ps_ouch_msg *out)
{
	if (ps_fix_msg_is(m, "8"))
		return from_exec_report(m, oms, out);
	if (ps_fix_msg_is(m, "9"))
		return from_cancel_reject(m, oms, out);
	return 0;
}

/* ---- session callbacks ---------------------------------------------------- */

static bool fx_send(void *ctx, const uint8_t *msg, uint32_t len)
{
	struct eng_fix *f = ctx;
	uint8_t *p = ps_tcp_uring_send_claim(&f->tcp, len);
	if (!p)
		return false;
	memcpy(p, msg, len);
	ps_tcp_uring_send_commit(&f->tcp, len);
	return true;
}

static void fx_app(void *ctx, struct ps_fix_session *s, const struct ps_fix_msg *m, uint64_t now_ns)
{
	struct eng_fix *f = ctx;
	struct ps_ouch_msg o;
	uint64_t seq = 0;
	(void)s;
	(void)now_ns;

	ps_fix_msg_u64(m, 34, &seq);
	f->replayed += !f->caught_up;
	int rc = eng_fix_normalize(m, &f->x->oms, &o);
	if (rc == 1) {
		eng_exec_on_venue_msg(f->x, seq, &o);
	} else if (rc == 0) {
		f->ignored++;
	} else {
		f->malformed++;
		PS_LOG(PS_LOG_WARN, "FIX message %llu from the venue not understood: ignored",
		       (unsigned long long)seq);
	}
}

static void fx_event(void *ctx, struct ps_fix_session *s, int event, int err)
{
	struct eng_fix *f = ctx;
	(void)s;
	(void)err;
	if (event == PS_FIX_SESSION_EV_LOGGED_ON) {
		f->logged_on = true;
		f->backoff_ns = BACKOFF_MIN_NS;
		eng_exec_session_event(f->x, PS_SOUP_CLIENT_EV_LOGGED_IN, 0);
	}
}

/* ---- transport ------------------------------------------------------------- */

static uint64_t rt_now(const struct eng_fix *f, uint64_t now_ns)
{
	return (uint64_t)((int64_t)now_ns + f->rt_off);
}

static void connect_now(struct eng_fix *f, uint64_t now_ns)
{
	f->rt_off = (int64_t)ps_fix_realtime_ns() - (int64_t)eng_now_ns();
	f->connects++;
	int rc = ps_tcp_uring_connect(&f->tcp, &f->addr, CONNECT_TIMEOUT_NS);
	if (rc < 0) {
		f->state = FX_BACKOFF;
		f->retry_at_ns = now_ns + f->backoff_ns;
		f->backoff_ns = PS_MIN(f->backoff_ns * 2, BACKOFF_MAX_NS);
		return;
	}
	f->state = FX_CONNECTING;
	f->deadline_ns = now_ns + CONNECT_TIMEOUT_NS;
}

/* The connection is gone (or must go): close it, tell the exec stage, and
 * reconnect after the backoff unless we are stopping. */
static void drop(struct eng_fix *f, uint64_t now_ns, int err)
{
	bool was_on = f->logged_on, was_connected = f->state == FX_ONLINE;
	ps_tcp_uring_close(&f->tcp);
	ps_fix_session_disconnected(&f->sess);
	f->logged_on = false;
	f->caught_up = false;
	if (f->stopping) {
		/* Our Logout at the stop (main thread, stage threads joined):
		 * nothing left to tell the stage. */
		f->state = FX_STOPPED;
		f->x->logged_in = false;
		f->x->caught_up = false;
		return;
	}
	f->state = FX_BACKOFF;
	f->retry_at_ns = now_ns + f->backoff_ns;
	f->backoff_ns = PS_MIN(f->backoff_ns * 2, BACKOFF_MAX_NS);
	/* Connected but never logged on: the venue refused the Logon. */
	int ev = was_on          ? PS_SOUP_CLIENT_EV_DISCONNECTED
		 : was_connected ? PS_SOUP_CLIENT_EV_LOGIN_REJECTED
				 : PS_SOUP_CLIENT_EV_CONNECT_FAILED;
	eng_exec_session_event(f->x, ev, err ? err : PS_EDISCONNECTED);
}

static void arm_recv(struct eng_fix *f)
{
	uint32_t room;
	if (f->tcp.recv_armed || f->tcp.state != PS_TCP_CONNECTED)
		return;
	uint8_t *p = ps_fix_session_rx_buf(&f->sess, &room);
	if (room)
		ps_tcp_uring_recv(&f->tcp, p, room);
}

uint32_t eng_fix_poll(struct eng_fix *f, uint64_t now_ns)
{
	uint32_t work = 0, n = 0;

	switch (f->state) {
	case FX_IDLE:
	case FX_STOPPED:
		return 0;
	case FX_BACKOFF:
		if (now_ns >= f->retry_at_ns)
			connect_now(f, now_ns);
		return 0;
	default:
		break;
	}
	uint64_t rt = rt_now(f, now_ns);
	unsigned ev = ps_tcp_uring_poll(&f->tcp, &n);
	if (ev & PS_TCP_EV_CONNECTED) {
		f->state = FX_ONLINE;
		f->replayed = 0;
		ps_fix_session_connected(&f->sess, rt); /* sends Logon */
	}
	if (ev & PS_TCP_EV_RX) {
		ps_fix_session_rx_commit(&f->sess, n, rt);
		work++;
	}
	if (ps_unlikely(ev & (PS_TCP_EV_CONNECT_FAILED | PS_TCP_EV_CLOSED))) {
		drop(f, now_ns, f->tcp.err);
		return work;
	}
	if (f->state == FX_CONNECTING && now_ns >= f->deadline_ns) {
		drop(f, now_ns, -ETIMEDOUT);
		return work;
	}
	if (f->state == FX_ONLINE)
		ps_fix_session_poll(&f->sess, rt);
	if (ps_unlikely(ps_fix_session_want_close(&f->sess))) {
		ps_tcp_uring_submit(&f->tcp); /* a Logout on its way first */
		drop(f, now_ns, f->sess.close_err);
		return work;
	}
	if (ps_unlikely(f->logged_on && !f->caught_up && !f->sess.resend_active &&
			ps_fix_session_state(&f->sess) == PS_FIX_SESSION_LOGGED_ON)) {
		f->caught_up = true;
		PS_LOG(PS_LOG_INFO,
		       "FIX session caught up: next sequence in %llu, out %llu; %llu messages "
		       "recovered since the Logon",
		       (unsigned long long)ps_fix_session_next_in(&f->sess),
		       (unsigned long long)ps_fix_session_next_out(&f->sess),
		       (unsigned long long)f->replayed);
		eng_exec_session_event(f->x, PS_SOUP_CLIENT_EV_CAUGHT_UP, 0);
	}
	arm_recv(f);
	ps_tcp_uring_submit(&f->tcp);
	return work;
}

/* ---- orders out ------------------------------------------------------------- */

bool eng_fix_can_send(struct eng_fix *f)
{
	return f->caught_up && ps_tcp_uring_send_claim(&f->tcp, ORDER_MSG_ROOM) != NULL;
}

static uint32_t stock_len(const char *stock)
{
	uint32_t n = PS_OUCH_STOCK_LEN;
	while (n > 1 && stock[n - 1] == ' ')
		n--;
	return n;
}

static uint32_t add_common(struct eng_fix *f, uint32_t n, const char *stock, uint8_t ouch_side,
			   uint64_t rt)
{
	uint8_t *b = f->body;
	n = ps_fix_add_char(b, n, 21, '1'); /* HandlInst: automated, private */
	n = ps_fix_add_str(b, n, 55, stock, stock_len(stock));
	n = ps_fix_add_char(b, n, 54, ouch_side == PS_OUCH_SIDE_BUY ? '1' : '2');
	return ps_fix_add_time(&f->sess.enc, b, n, 60, rt);
}

static void send_body(struct eng_fix *f, const char *type, uint32_t n, uint64_t rt)
{
	/* Cannot fail here: can_send checked the session and the room. */
	(void)ps_fix_session_send(&f->sess, type, f->body + PS_FIX_PREFIX_ROOM, n, rt);
}

void eng_fix_send_new(struct eng_fix *f, const struct ps_order_intent *in, const char *token,
		      const char *stock)
{
	uint64_t rt = rt_now(f, eng_now_ns());
	uint8_t *b = f->body;
	uint32_t n = ps_fix_add_str(b, 0, 11, token, PS_OUCH_TOKEN_LEN);
	n = add_common(f, n, stock, in->side == PS_SIDE_BUY ? PS_OUCH_SIDE_BUY : PS_OUCH_SIDE_SELL,
		       rt);
	n = ps_fix_add_u64(b, n, 38, in->qty);
	if (in->type == PS_ORDER_MARKET) {
		n = ps_fix_add_char(b, n, 40, '1');
	} else {
		n = ps_fix_add_char(b, n, 40, '2');
		n = ps_fix_add_decimal(b, n, 44, in->price, FIX_SCALE);
	}
	n = ps_fix_add_char(b, n, 59, in->tif == PS_TIF_IOC ? '3' : '0');
	send_body(f, "D", n, rt);
}

void eng_fix_send_cancel(struct eng_fix *f, const struct ps_oms_order *o, const char *cxl_token,
			 const char *stock)
{
	uint64_t rt = rt_now(f, eng_now_ns());
	uint8_t *b = f->body;
	uint32_t n = ps_fix_add_str(b, 0, 11, cxl_token, PS_OUCH_TOKEN_LEN);
	n = ps_fix_add_str(b, n, 41, o->token, PS_OUCH_TOKEN_LEN);
	n = add_common(f, n, stock, o->side, rt);
	n = ps_fix_add_u64(b, n, 38, o->qty);
	send_body(f, "F", n, rt);
}

void eng_fix_send_replace(struct eng_fix *f, const struct ps_oms_order *o, const char *new_token,
			  const struct ps_order_intent *in, const char *stock)
{
	uint64_t rt = rt_now(f, eng_now_ns());
	uint8_t *b = f->body;
	uint32_t n = ps_fix_add_str(b, 0, 11, new_token, PS_OUCH_TOKEN_LEN);
	n = ps_fix_add_str(b, n, 41, o->token, PS_OUCH_TOKEN_LEN);
	n = add_common(f, n, stock, o->side, rt);
	/* FIX OrderQty is the whole order: the new open shares plus what the
	 * order and the ones it replaced have filled (CumQty). */
	n = ps_fix_add_u64(b, n, 38, (uint64_t)in->qty + o->cum);
	n = ps_fix_add_char(b, n, 40, '2');
	n = ps_fix_add_decimal(b, n, 44, in->price, FIX_SCALE);
	n = ps_fix_add_char(b, n, 59, o->tif == PS_TIF_IOC ? '3' : '0');
	send_body(f, "G", n, rt);
}

void eng_fix_flush(struct eng_fix *f)
{
	ps_tcp_uring_submit(&f->tcp);
}

uint64_t eng_fix_next_in(const struct eng_fix *f)
{
	return ps_fix_session_next_in(&f->sess);
}

/* ---- setup ------------------------------------------------------------------ */

int eng_fix_open(struct eng_exec *x, const struct sockaddr_in *addr, uint64_t next_in_journal,
		 char *err, size_t err_len)
{
	struct ps_engine *e = x->e;
	const struct eng_venue_cfg *v = &e->cfg.venue;
	struct eng_fix *f = ps_calloc(1, sizeof(*f));
	int rc;

	if (!f)
		return -ENOMEM;
	x->fix = f;
	f->x = x;
	f->addr = *addr;
	f->backoff_ns = BACKOFF_MIN_NS;
	if (e->cfg.journal_on)
		snprintf(f->path, sizeof(f->path), "%s/fix-%s-%s.seq", e->cfg.journal_dir,
			 v->sender_comp_id, v->target_comp_id);
	struct ps_fix_session_config sc = {
		.sender_comp_id = v->sender_comp_id,
		.target_comp_id = v->target_comp_id,
		.initiator = true,
		.heart_bt_int_s = v->heartbeat_s,
		.username = v->user,
		.password = v->fix_password,
		.store_path = f->path[0] ? f->path : NULL,
		.store_count = v->fix_store_count,
		.rx_cap = FIX_RX_CAP,
		.send = fx_send,
		.on_app = fx_app,
		.on_event = fx_event,
		.ctx = f,
	};
	struct ps_tcp_uring_config tc = { .sq_entries = 16, .send_cap = FIX_TX_CAP };
	f->sess_mem = ps_alloc_hot(ps_fix_session_memsize(&sc));
	f->tcp_mem = ps_alloc_hot(ps_tcp_uring_memsize(&tc));
	if (!f->sess_mem || !f->tcp_mem) {
		rc = -ENOMEM;
		snprintf(err, err_len, "FIX session: cannot set up: %s", ps_strerror(rc));
		return rc;
	}
	if ((rc = ps_fix_session_init(&f->sess, f->sess_mem, &sc))) {
		snprintf(err, err_len, "FIX session %s -> %s (sequence file %s): %s",
			 v->sender_comp_id, v->target_comp_id, f->path[0] ? f->path : "none",
			 ps_strerror(rc));
		return rc;
	}
	f->sess_ok = true;
	if ((rc = ps_tcp_uring_init(&f->tcp, f->tcp_mem, &tc))) {
		snprintf(err, err_len, "FIX session: io_uring TCP: %s", ps_strerror(rc));
		return rc;
	}
	f->tcp_ok = true;
	uint64_t file_in = ps_fix_session_next_in(&f->sess);
	if (e->cfg.journal_on) {
		/* Incoming: after the last message journaled (see the top). */
		ps_fix_session_set_seq(&f->sess, ps_fix_session_next_out(&f->sess),
				       next_in_journal ? next_in_journal : 1);
	}
	fprintf(stderr,
		"perseus: FIX 4.4 session %s -> %s on %s: next sequence out %llu, in %llu%s%s\n",
		v->sender_comp_id, v->target_comp_id, v->connect,
		(unsigned long long)ps_fix_session_next_out(&f->sess),
		(unsigned long long)ps_fix_session_next_in(&f->sess),
		file_in > ps_fix_session_next_in(&f->sess) ? " (asking again for what the journal "
							     "lacks)"
							   : "",
		f->path[0] ? "" : " (no journal: sequence numbers kept in memory only)");
	connect_now(f, eng_now_ns());
	return 0;
}

void eng_fix_logout(struct eng_fix *f)
{
	if (!f || !f->logged_on)
		return;
	f->stopping = true;
	uint64_t now = eng_now_ns();
	if (ps_fix_session_logout(&f->sess, NULL, rt_now(f, now)))
		return;
	ps_tcp_uring_submit(&f->tcp);
	/* The venue answers with its Logout; the session then wants to close. */
	uint64_t until = now + 500000000ull;
	while (f->state == FX_ONLINE && eng_now_ns() < until) {
		eng_fix_poll(f, eng_now_ns());
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
}

void eng_fix_close(struct eng_exec *x)
{
	struct eng_fix *f = x->fix;
	if (!f)
		return;
	if (f->tcp_ok)
		ps_tcp_uring_fini(&f->tcp);
	if (f->sess_ok)
		ps_fix_session_fini(&f->sess);
	ps_free(f->tcp_mem);
	ps_free(f->sess_mem);
	ps_free(f);
	x->fix = NULL;
}
