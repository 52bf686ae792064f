/*
 * FIX 4.4 order entry for the venue simulator, beside OUCH. See
 * venue_internal.h.
 *
 * One FIX session per venue user: the user's SenderCompID is the user
 * name, ours is [venue] fix_comp_id, and the Logon must carry the user's
 * password in Password (554). Orders go through the same code as OUCH
 * orders (ps_venue__enter and friends); ClOrdID is the OUCH token (at most
 * 14 characters), so both protocols share one order book and one token
 * space per user.
 *
 * The gateway keeps, per order, what an ExecutionReport needs and OUCH does
 * not say (cumulative quantity, average price, the ClOrdID of a pending
 * cancel or replace). Prices are at the OUCH scale (4 decimals).
 *
 * [venue] fix_app = echo turns the gateway into the FIX acceptance-test
 * application (application messages echoed back, sequence numbers reset
 * on disconnect), for `perseus fix-scenarios --venue`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <ps/alloc.h>
#include <ps/fix_server.h>

#include "venue_internal.h"

#define FORDERS      (1u << 16) /* open-addressing table of FIX orders */
#define MARKET_PRICE 0x7FFFFFFFu
#define SCALE        4u

struct forder {
	char token[PS_OUCH_TOKEN_LEN];   /* ClOrdID, space padded; token[0]==0: free */
	char pending[PS_OUCH_TOKEN_LEN]; /* ClOrdID of a pending cancel */
	char orig[PS_OUCH_TOKEN_LEN];    /* a replacement: the order it replaces */
	int16_t user;
	char side; /* FIX 54 */
	bool live;
	bool has_pending;
	bool is_replacement;
	char symbol[PS_OUCH_STOCK_LEN];
	uint64_t order_ref;
	uint32_t order_qty, cum_qty, leaves_qty;
	uint32_t price;
	int64_t px_qty; /* sum of fill price x qty, for AvgPx */
};

struct venue_fix;

struct user_ctx {
	struct venue_fix *f;
	int user;
};

struct venue_fix {
	struct ps_venue *v;
	struct user_ctx ctxs[PS_VENUE_MAX_USERS];
	struct ps_fix_server srv;
	struct ps_fix_session *sessions[PS_VENUE_MAX_USERS];
	struct ps_venue_user users[PS_VENUE_MAX_USERS];
	uint32_t user_count;
	bool echo;
	uint64_t exec_id;
	struct forder *orders;
	uint8_t buf[PS_FIX_MAX_MSG];
};

static uint32_t hash_token(int user, const char *t)
{
	uint32_t h = 2166136261u ^ (uint32_t)user;
	for (unsigned i = 0; i < PS_OUCH_TOKEN_LEN; i++)
		h = (h ^ (uint8_t)t[i]) * 16777619u;
	return h;
}

static struct forder *forder_find(struct venue_fix *f, int user, const char *token, bool create)
{
	uint32_t h = hash_token(user, token);
	for (uint32_t k = 0; k < FORDERS; k++) {
		struct forder *o = &f->orders[(h + k) & (FORDERS - 1)];
		if (!o->token[0]) {
			if (!create)
				return NULL;
			memset(o, 0, sizeof(*o));
			memcpy(o->token, token, PS_OUCH_TOKEN_LEN);
			o->user = (int16_t)user;
			return o;
		}
		if (o->user == user && !memcmp(o->token, token, PS_OUCH_TOKEN_LEN))
			return o;
	}
	return NULL;
}

/* ClOrdID field -> padded token. @return false when empty or too long. */
static bool token_of(const struct ps_fix_msg *m, int32_t tag, char *token)
{
	int32_t i = ps_fix_msg_find(m, tag);
	if (i < 0 || m->fields[i].len == 0 || m->fields[i].len > PS_OUCH_TOKEN_LEN)
		return false;
	memset(token, ' ', PS_OUCH_TOKEN_LEN);
	memcpy(token, m->buf + m->fields[i].off, m->fields[i].len);
	return true;
}

static uint32_t token_len(const char *t)
{
	uint32_t n = PS_OUCH_TOKEN_LEN;
	while (n && t[n - 1] == ' ')
		n--;
	return n;
}

static uint32_t add_token(uint8_t *b, uint32_t n, uint32_t tag, const char *t)
{
	return ps_fix_add_str(b, n, tag, t, token_len(t));
}

/* The user's session, logged on or not (reports for an absent user are kept). */
static struct ps_fix_session *session_any(struct venue_fix *f, int user)
{
	return !f->echo && user >= 0 && user < PS_VENUE_MAX_USERS ? f->sessions[user] : NULL;
}

/* Sends, or keeps for the user's next Logon (they ask with ResendRequest). */
static void deliver(struct ps_fix_session *s, const char *type, const uint8_t *body, uint32_t n,
		    uint64_t now)
{
	if (ps_fix_session_state(s) == PS_FIX_SESSION_LOGGED_ON)
		ps_fix_session_send(s, type, body, n, now);
	else
		ps_fix_session_keep(s, type, body, n, now);
}

/* ExecutionReport for o. exec_type/ord_status are FIX 150/39. */
static void send_er(struct venue_fix *f, const struct forder *o, char exec_type, char status,
		    const char *cl_ord_id, const char *orig, uint32_t last_qty, uint32_t last_px,
		    int rej_reason, const char *text)
{
	struct ps_fix_session *s = session_any(f, o->user);
	if (!s)
		return;
	uint64_t now = ps_fix_realtime_ns();
	uint8_t *b = f->buf;
	uint32_t n = 0;
	n = ps_fix_add_u64(b, n, 37, o->order_ref);
	n = add_token(b, n, 11, cl_ord_id ? cl_ord_id : o->token);
	if (orig)
		n = add_token(b, n, 41, orig);
	uint8_t id[24];
	id[0] = 'E';
	uint32_t idn = 1 + ps_fix_put_u64(id + 1, ++f->exec_id);
	n = ps_fix_add_str(b, n, 17, id, idn);
	n = ps_fix_add_char(b, n, 150, exec_type);
	n = ps_fix_add_char(b, n, 39, status);
	if (rej_reason >= 0)
		n = ps_fix_add_u64(b, n, 103, (uint64_t)rej_reason);
	uint32_t sl = PS_OUCH_STOCK_LEN;
	while (sl && o->symbol[sl - 1] == ' ')
		sl--;
	n = ps_fix_add_str(b, n, 55, o->symbol, sl ? sl : 1);
	n = ps_fix_add_char(b, n, 54, o->side);
	n = ps_fix_add_u64(b, n, 38, o->order_qty);
	if (o->price && o->price != MARKET_PRICE)
		n = ps_fix_add_decimal(b, n, 44, o->price, SCALE);
	if (exec_type == 'F') {
		n = ps_fix_add_u64(b, n, 32, last_qty);
		n = ps_fix_add_decimal(b, n, 31, last_px, SCALE);
	}
	n = ps_fix_add_u64(b, n, 151, o->leaves_qty);
	n = ps_fix_add_u64(b, n, 14, o->cum_qty);
	n = ps_fix_add_decimal(b, n, 6, o->cum_qty ? o->px_qty / o->cum_qty : 0, SCALE);
	n = ps_fix_add_time(&s->enc, b, n, 60, now);
	if (text)
		n = ps_fix_add_str(b, n, 58, text, (uint32_t)strlen(text));
	deliver(s, "8", b + PS_FIX_PREFIX_ROOM, n, now);
}

/* OrderCancelReject (35=9); response_to '1' cancel, '2' replace. */
static void send_cancel_reject(struct venue_fix *f, int user, const char *cl_ord_id,
			       const char *orig, const struct forder *o, char response_to,
			       const char *text)
{
	struct ps_fix_session *s = session_any(f, user);
	if (!s)
		return;
	uint64_t now = ps_fix_realtime_ns();
	uint8_t *b = f->buf;
	uint32_t n = 0;
	if (o)
		n = ps_fix_add_u64(b, n, 37, o->order_ref);
	else
		n = ps_fix_add_str(b, n, 37, "NONE", 4);
	n = add_token(b, n, 11, cl_ord_id);
	n = add_token(b, n, 41, orig);
	n = ps_fix_add_char(b, n, 39, o && o->live ? (o->cum_qty ? '1' : '0') : (o ? '4' : '8'));
	n = ps_fix_add_char(b, n, 434, response_to);
	n = ps_fix_add_u64(b, n, 102, o ? 0 : 1); /* 0 too late, 1 unknown order */
	if (text)
		n = ps_fix_add_str(b, n, 58, text, (uint32_t)strlen(text));
	deliver(s, "9", b + PS_FIX_PREFIX_ROOM, n, now);
}

static void reject_new(struct venue_fix *f, int user, const struct ps_fix_msg *m, const char *token,
		       int reason, const char *text)
{
	struct forder tmp = { .user = (int16_t)user, .side = '1' };
	memcpy(tmp.token, token, PS_OUCH_TOKEN_LEN);
	memset(tmp.symbol, ' ', sizeof(tmp.symbol));
	int32_t i = ps_fix_msg_find(m, 55);
	if (i >= 0)
		memcpy(tmp.symbol, m->buf + m->fields[i].off,
		       m->fields[i].len < PS_OUCH_STOCK_LEN ? m->fields[i].len : PS_OUCH_STOCK_LEN);
	i = ps_fix_msg_find(m, 54);
	if (i >= 0 && m->fields[i].len == 1)
		tmp.side = (char)m->buf[m->fields[i].off];
	send_er(f, &tmp, '8', '8', NULL, NULL, 0, 0, reason, text);
}

static bool price_of(const struct ps_fix_msg *m, uint32_t *price)
{
	int32_t i = ps_fix_msg_find(m, 44);
	int64_t p;
	if (i < 0 || !ps_fix_view_decimal(m->buf + m->fields[i].off, m->fields[i].len, SCALE, &p) ||
	    p <= 0 || p >= MARKET_PRICE)
		return false;
	*price = (uint32_t)p;
	return true;
}

static void on_new_order(struct venue_fix *f, int user, const struct ps_fix_msg *m)
{
	char token[PS_OUCH_TOKEN_LEN];
	if (!token_of(m, 11, token)) {
		memset(token, ' ', sizeof(token));
		token[0] = '?';
		return reject_new(f, user, m, token, 99, "ClOrdID must be 1..14 characters");
	}
	if (forder_find(f, user, token, false))
		return reject_new(f, user, m, token, 6, "duplicate ClOrdID");
	struct ps_ouch_enter_order e;
	memset(&e, 0, sizeof(e));
	memcpy(e.token, token, PS_OUCH_TOKEN_LEN);
	memset(e.stock, ' ', sizeof(e.stock));
	int32_t i = ps_fix_msg_find(m, 55);
	if (i < 0 || m->fields[i].len > PS_OUCH_STOCK_LEN)
		return reject_new(f, user, m, token, 1, "unknown symbol");
	memcpy(e.stock, m->buf + m->fields[i].off, m->fields[i].len);
	uint64_t qty = 0;
	if (!ps_fix_msg_u64(m, 38, &qty) || qty == 0 || qty > 1000000)
		return reject_new(f, user, m, token, 13, "bad OrderQty");
	i = ps_fix_msg_find(m, 54);
	char side = i >= 0 && m->fields[i].len == 1 ? (char)m->buf[m->fields[i].off] : 0;
	switch (side) {
	case '1':
		e.side = PS_OUCH_SIDE_BUY;
		break;
	case '2':
		e.side = PS_OUCH_SIDE_SELL;
		break;
	case '5':
		e.side = PS_OUCH_SIDE_SELL_SHORT;
		break;
	case '6':
		e.side = PS_OUCH_SIDE_SELL_SHORT_EXEMPT;
		break;
	default:
		return reject_new(f, user, m, token, 99, "unsupported Side");
	}
	i = ps_fix_msg_find(m, 59);
	char tif = i >= 0 && m->fields[i].len == 1 ? (char)m->buf[m->fields[i].off] : '0';
	if (tif != '0' && tif != '3')
		return reject_new(f, user, m, token, 99, "TimeInForce must be 0 (day) or 3 (IOC)");
	e.tif = tif == '3' ? PS_OUCH_TIF_IOC : PS_OUCH_TIF_MARKET_HOURS;
	i = ps_fix_msg_find(m, 40);
	char type = i >= 0 && m->fields[i].len == 1 ? (char)m->buf[m->fields[i].off] : 0;
	if (type == '1') {
		e.price = MARKET_PRICE;
	} else if (type != '2' || !price_of(m, &e.price)) {
		return reject_new(f, user, m, token, 99,
				  "OrdType must be 1 (market) or 2 (limit with Price)");
	}
	e.shares = (uint32_t)qty;
	memset(e.firm, ' ', sizeof(e.firm));
	e.display = 'Y';
	e.capacity = 'A';
	e.ise = 'N';
	e.cross_type = 'N';
	e.customer_type = ' ';
	struct forder *o = forder_find(f, user, token, true);
	if (!o)
		return reject_new(f, user, m, token, 99, "order table full");
	o->side = side;
	o->order_qty = e.shares;
	o->leaves_qty = e.shares;
	o->price = e.price;
	memcpy(o->symbol, e.stock, PS_OUCH_STOCK_LEN);
	ps_venue__enter(f->v, user, &e);
}

static void on_cancel(struct venue_fix *f, int user, const struct ps_fix_msg *m)
{
	char token[PS_OUCH_TOKEN_LEN], orig[PS_OUCH_TOKEN_LEN];
	if (!token_of(m, 11, token) || !token_of(m, 41, orig))
		return;
	struct forder *o = forder_find(f, user, orig, false);
	if (!o || !o->live)
		return send_cancel_reject(f, user, token, orig, o, '1',
					  o ? "order is not live" : "unknown order");
	memcpy(o->pending, token, PS_OUCH_TOKEN_LEN);
	o->has_pending = true;
	struct ps_ouch_cancel_order c;
	memcpy(c.token, orig, PS_OUCH_TOKEN_LEN);
	c.shares = 0;
	ps_venue__cancel(f->v, user, &c);
}

static void on_replace(struct venue_fix *f, int user, const struct ps_fix_msg *m)
{
	char token[PS_OUCH_TOKEN_LEN], orig[PS_OUCH_TOKEN_LEN];
	if (!token_of(m, 11, token) || !token_of(m, 41, orig))
		return;
	struct forder *o = forder_find(f, user, orig, false);
	if (!o || !o->live)
		return send_cancel_reject(f, user, token, orig, o, '2',
					  o ? "order is not live" : "unknown order");
	if (forder_find(f, user, token, false))
		return send_cancel_reject(f, user, token, orig, o, '2', "duplicate ClOrdID");
	uint64_t qty = 0;
	uint32_t price = o->price;
	if (!ps_fix_msg_u64(m, 38, &qty) || qty <= o->cum_qty || qty > 1000000 ||
	    (ps_fix_msg_find(m, 44) >= 0 && !price_of(m, &price)) || price == MARKET_PRICE)
		return send_cancel_reject(f, user, token, orig, o, '2', "bad OrderQty or Price");
	struct forder *n = forder_find(f, user, token, true);
	if (!n)
		return send_cancel_reject(f, user, token, orig, o, '2', "order table full");
	o = forder_find(f, user, orig, false);
	n->side = o->side;
	memcpy(n->symbol, o->symbol, PS_OUCH_STOCK_LEN);
	memcpy(n->orig, orig, PS_OUCH_TOKEN_LEN);
	n->is_replacement = true;
	n->order_qty = (uint32_t)qty;
	n->cum_qty = o->cum_qty;
	n->px_qty = o->px_qty;
	n->leaves_qty = (uint32_t)qty - o->cum_qty;
	n->price = price;
	n->order_ref = o->order_ref;
	struct ps_ouch_replace_order r;
	memset(&r, 0, sizeof(r));
	memcpy(r.existing_token, orig, PS_OUCH_TOKEN_LEN);
	memcpy(r.replacement_token, token, PS_OUCH_TOKEN_LEN);
	r.shares = n->leaves_qty;
	r.price = price;
	r.display = 'Y';
	r.ise = 'N';
	ps_venue__replace(f->v, user, &r);
}

static void on_app(void *ctx, struct ps_fix_session *s, const struct ps_fix_msg *m, uint64_t now_ns)
{
	struct user_ctx *uc = ctx;
	struct venue_fix *f = uc->f;
	if (f->echo)
		return ps_fix_server_echo_app(NULL, s, m, now_ns);
	if (ps_fix_msg_is(m, "D"))
		on_new_order(f, uc->user, m);
	else if (ps_fix_msg_is(m, "F"))
		on_cancel(f, uc->user, m);
	else if (ps_fix_msg_is(m, "G"))
		on_replace(f, uc->user, m);
	else
		ps_fix_session_business_reject(s, m, 3, "Unsupported Message Type", now_ns);
}

static int on_logon(void *ctx, struct ps_fix_session *s, const struct ps_fix_msg *m)
{
	(void)s;
	struct user_ctx *uc = ctx;
	if (uc->f->echo)
		return 0;
	const char *pw = uc->f->users[uc->user].password;
	int32_t i = ps_fix_msg_find(m, 554);
	size_t n = strlen(pw);
	if (i < 0 || m->fields[i].len != n || memcmp(m->buf + m->fields[i].off, pw, n) != 0) {
		fprintf(stderr, "venue: FIX logon of %s refused: bad password\n",
			uc->f->users[uc->user].name);
		return PS_ELOGIN;
	}
	fprintf(stderr, "venue: FIX session %s logged on\n", uc->f->users[uc->user].name);
	return 0;
}

void ps_venue__fix_on_ouch(struct venue_fix *f, int user, const uint8_t *msg, uint16_t len)
{
	/* Also while the user is away: their reports are kept (see deliver). */
	if (!f || !session_any(f, user))
		return;
	struct ps_ouch_msg m;
	if (ps_ouch_decode_outbound(msg, len, &m) != 0)
		return;
	struct forder *o;
	switch (m.type) {
	case 'A':
		o = forder_find(f, user, m.u.accepted.token, false);
		if (!o)
			return; /* an OUCH order */
		o->live = true;
		o->order_ref = m.u.accepted.order_ref;
		send_er(f, o, '0', '0', NULL, NULL, 0, 0, -1, NULL);
		break;
	case 'U': {
		o = forder_find(f, user, m.u.accepted.token, false);
		struct forder *old = forder_find(f, user, m.u.accepted.previous_token, false);
		if (!o)
			return;
		o->live = true;
		o->is_replacement = false;
		o->order_ref = m.u.accepted.order_ref;
		if (old) {
			old->live = false;
			old->leaves_qty = 0;
		}
		send_er(f, o, '5', o->cum_qty ? '1' : '0', NULL, m.u.accepted.previous_token, 0, 0,
			-1, NULL);
		break;
	}
	case 'E':
		o = forder_find(f, user, m.u.executed.token, false);
		if (!o)
			return;
		o->cum_qty += m.u.executed.shares;
		o->leaves_qty =
		    o->leaves_qty > m.u.executed.shares ? o->leaves_qty - m.u.executed.shares : 0;
		o->px_qty += (int64_t)m.u.executed.price * m.u.executed.shares;
		o->live = o->leaves_qty > 0;
		send_er(f, o, 'F', o->leaves_qty ? '1' : '2', NULL, NULL, m.u.executed.shares,
			m.u.executed.price, -1, NULL);
		break;
	case 'C':
		o = forder_find(f, user, m.u.canceled.token, false);
		if (!o)
			return;
		o->leaves_qty = o->leaves_qty > m.u.canceled.decrement_shares
				    ? o->leaves_qty - m.u.canceled.decrement_shares
				    : 0;
		o->live = o->leaves_qty > 0;
		if (o->has_pending) {
			o->has_pending = false;
			send_er(f, o, '4', o->live ? '1' : '4', o->pending, o->token, 0, 0, -1,
				NULL);
		} else {
			send_er(f, o, '4', o->live ? '1' : '4', NULL, NULL, 0, 0, -1, NULL);
		}
		break;
	case 'J': {
		o = forder_find(f, user, m.u.token_event.token, false);
		if (!o)
			return;
		char reason[2] = { (char)m.u.token_event.reason, 0 };
		o->live = false;
		if (o->is_replacement) {
			struct forder *old = forder_find(f, user, o->orig, false);
			send_cancel_reject(f, user, o->token, o->orig, old, '2', reason);
		} else {
			o->leaves_qty = 0;
			send_er(f, o, '8', '8', NULL, NULL, 0, 0, 0, reason);
		}
		break;
	}
	default:
		break;
	}
}

int ps_venue__fix_create(struct ps_venue *v, const struct ps_venue_config *vc,
			 struct venue_fix **out, char *err, size_t err_len)
{
	*out = NULL;
	if (!vc->fix_listen[0])
		return 0;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char host[64];
	const char *colon = strrchr(vc->fix_listen, ':');
	if (!colon || (size_t)(colon - vc->fix_listen) >= sizeof(host)) {
		snprintf(err, err_len, "fix_listen: want HOST:PORT, got '%s'", vc->fix_listen);
		return PS_ECONFIG;
	}
	memcpy(host, vc->fix_listen, (size_t)(colon - vc->fix_listen));
	host[colon - vc->fix_listen] = 0;
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535) {
		snprintf(err, err_len, "fix_listen: bad port in '%s'", vc->fix_listen);
		return PS_ECONFIG;
	}
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		snprintf(err, err_len, "fix_listen: bad address '%s'", vc->fix_listen);
		return PS_ECONFIG;
	}
	struct venue_fix *f = ps_calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->orders = ps_calloc(FORDERS, sizeof(*f->orders));
	int rc = f->orders ? ps_fix_server_init(&f->srv, &sa) : -ENOMEM;
	if (rc) {
		snprintf(err, err_len, "fix_listen %s: %s", vc->fix_listen, ps_strerror(rc));
		ps_free(f->orders);
		ps_free(f);
		return rc;
	}
	f->v = v;
	f->echo = vc->fix_echo;
	f->user_count = vc->user_count;
	for (uint32_t i = 0; i < vc->user_count; i++) {
		f->users[i] = vc->users[i];
		f->ctxs[i].f = f;
		f->ctxs[i].user = (int)i;
		char path[512];
		if (vc->fix_store_dir[0])
			snprintf(path, sizeof(path), "%s/fix-%s.seq", vc->fix_store_dir,
				 vc->users[i].name);
		struct ps_fix_session_config sc = {
			.sender_comp_id = vc->fix_comp_id,
			.target_comp_id = vc->users[i].name,
			.store_path = vc->fix_store_dir[0] ? path : NULL,
			.reset_on_disconnect = vc->fix_echo,
			/* Reports kept while a user is away wait here for their
			 * ResendRequest: 4096 x 512 bytes = 2 MiB a user. */
			.store_count = 4096,
			.on_app = on_app,
			.on_logon = on_logon,
			.ctx = &f->ctxs[i],
		};
		f->sessions[i] = ps_fix_server_add_session(&f->srv, &sc, &rc);
		if (!f->sessions[i]) {
			snprintf(err, err_len, "FIX session for %s: %s", vc->users[i].name,
				 ps_strerror(rc));
			ps_venue__fix_destroy(f);
			return rc;
		}
	}
	fprintf(stderr, "venue: FIX 4.4 on %s port %u (CompID %s%s)\n", host, f->srv.port,
		vc->fix_comp_id, f->echo ? ", echo application" : "");
	*out = f;
	return 0;
}

void ps_venue__fix_destroy(struct venue_fix *f)
{
	if (!f)
		return;
	ps_fix_server_fini(&f->srv);
	ps_free(f->orders);
	ps_free(f);
}

void ps_venue__fix_poll(struct venue_fix *f)
{
	if (f)
		ps_fix_server_poll(&f->srv, 0);
}

uint32_t ps_venue__fix_disconnect(struct venue_fix *f)
{
	return f ? ps_fix_server_disconnect_all(&f->srv) : 0;
}

uint16_t ps_venue__fix_port(const struct venue_fix *f)
{
	return f ? f->srv.port : 0;
}
