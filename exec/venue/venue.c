/*
 * The venue simulator's event loop: replay, matching, OUCH sessions, ITCH
 * publishing and fault injection on one thread (see <ps/venue.h>).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ps/alloc.h>
#include <ps/book.h>
#include <ps/err.h>
#include <ps/itch.h>
#include <ps/lobster.h>
#include <ps/moldudp.h>
#include <ps/ouch.h>
#include <ps/soup.h>
#include <ps/venue.h>
#include <ps/venue_match.h>

#include "venue_internal.h"

/* Venue order ids: client orders carry CLIENT_BIT (the low bits index the
 * order table); replayed aggressors carry TAKER_BIT; replayed resting orders
 * keep the converter's ids, which stay below both. */
#define CLIENT_BIT       (1ull << 62)
#define TAKER_BIT        (1ull << 61)
#define MAX_ORDERS       (1u << 20)
#define TOKEN_SLOTS_LOG2 21
#define TOKEN_SLOTS      (1u << TOKEN_SLOTS_LOG2)
#define MAX_CONNS        64
#define DELAY_SLOTS      4096
#define RX_BUF           16384
#define MAX_OUT          (16u << 20)
#define STORE_COUNT      (1u << 20)
#define MARKET_PRICE     0x7FFFFFFFu

struct vuser {
	struct ps_venue_user u;
	uint8_t *log; /* sequenced messages, each u16 length + bytes */
	size_t log_len, log_cap;
	uint32_t *offs; /* offset of message i (sequence i + 1) */
	uint64_t count, offs_cap;
	int conn; /* live connection, -1 if none */
	uint64_t orders, fills, filled_qty;
	int64_t net; /* signed filled shares: the user's position as the venue sees it */
};

struct vconn {
	int fd;
	int user; /* -1 until logged in */
	struct ps_soup_stream rx;
	uint8_t rxbuf[RX_BUF];
	uint8_t *out;
	size_t out_len, out_cap;
	uint64_t last_rx_ns, last_tx_ns;
	uint32_t orders;
	uint64_t id; /* unique over the venue's life: conns[] slots are reused */
	bool close_after_flush;
};

struct vorder {
	uint64_t ref;
	char token[PS_OUCH_TOKEN_LEN];
	int16_t user;
	uint8_t side; /* enum ps_side */
	bool live;
	uint32_t instrument;
	uint32_t qty; /* open shares */
	uint32_t price;
	uint32_t tif;
	char firm[PS_OUCH_FIRM_LEN];
};

struct delayed {
	uint64_t due_ns;
	int conn;
	uint64_t conn_id; /* the connection it came on (vconn.id) */
	uint16_t len;
	uint8_t msg[PS_OUCH_MAX_LEN];
};

struct venue_stats {
	uint64_t enters, accepted, rejected, cancels, replaces, fills, filled_qty;
	uint64_t bg_msgs, md_msgs, md_packets, md_dropped, md_duped, md_reordered;
	uint64_t logins, login_rejects, disconnects, bad_packets, dup_tokens;
};

struct ps_venue {
	struct ps_venue_config cfg;
	int ep;
	int listen_fd, md_fd, ctl_fd;
	struct sockaddr_in md_addr;
	struct ps_moldudp_server rereq;
	struct ps_moldudp_store store;
	void *store_mem;
	uint8_t pkt[PS_MOLDUDP_MAX_PACKET_LEN];
	struct ps_moldudp_builder builder;
	uint8_t held[PS_MOLDUDP_MAX_PACKET_LEN]; /* reorder fault: packet held back */
	size_t held_len;
	uint64_t next_md_seq;
	uint64_t last_md_ns;
	char session[PS_MOLDUDP_SESSION_LEN];

	struct ps_book_set *books;
	struct ps_match match;
	char symbol[PS_OUCH_STOCK_LEN]; /* instrument 0, space padded */

	/* replay: ITCH messages framed as u16 length + bytes */
	uint8_t *replay;
	size_t replay_len, replay_cap, replay_off;
	uint64_t replay_msgs;
	uint64_t day0_ns, wall0_ns, day_now_ns;
	bool replay_done;
	uint64_t done_ns, start_ns;
	uint64_t next_taker;

	struct vuser users[PS_VENUE_MAX_USERS];
	struct vconn *conns[MAX_CONNS];
	struct vorder *orders;
	uint32_t order_count;
	uint32_t *tokens; /* hash of (user, token) -> order index + 1 */

	struct delayed *delay;
	uint32_t delay_head, delay_tail;
	uint64_t last_conn_id;

	/* what caused the match events being handled */
	bool in_client_cancel, in_replace;

	uint64_t rng;
	struct venue_stats st;
	struct venue_fix *fix; /* FIX 4.4 gateway (venue_fix.c); NULL = off */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: a fixed seed gives the same faults every run. */
static uint32_t rnd_permille(struct ps_venue *v)
{
	v->rng ^= v->rng >> 12;
	v->rng ^= v->rng << 25;
	v->rng ^= v->rng >> 27;
	return (uint32_t)((v->rng * 2685821657736338717ull) >> 32) % 1000;
}

static int parse_hostport(const char *s, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	char *end;
	long port;

	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535)
		return -EINVAL;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, strcmp(host, "localhost") ? host : "127.0.0.1", &sa->sin_addr) != 1)
		return -EINVAL;
	return 0;
}

static uint16_t bound_port(int fd)
{
	struct sockaddr_in sa = { 0 };
	socklen_t len = sizeof(sa);
	if (fd < 0 || getsockname(fd, (struct sockaddr *)&sa, &len))
		return 0;
	return ntohs(sa.sin_port);
}

/* ---- market data ---------------------------------------------------------- */

static void md_send(struct ps_venue *v, const uint8_t *pkt, size_t len)
{
	sendto(v->md_fd, pkt, len, MSG_DONTWAIT, (const struct sockaddr *)&v->md_addr,
	       sizeof(v->md_addr));
	v->st.md_packets++;
	v->last_md_ns = mono_ns();
}

/* Send one finished packet through the fault injector. */
static void md_emit(struct ps_venue *v, const uint8_t *pkt, size_t len)
{
	const struct ps_venue_faults *f = &v->cfg.faults;

	if (f->md_drop_permille && rnd_permille(v) < f->md_drop_permille) {
		v->st.md_dropped++;
		return;
	}
	if (f->md_reorder_permille && !v->held_len && rnd_permille(v) < f->md_reorder_permille) {
		memcpy(v->held, pkt, len);
		v->held_len = len;
		v->st.md_reordered++;
		return;
	}
	md_send(v, pkt, len);
	if (f->md_dup_permille && rnd_permille(v) < f->md_dup_permille) {
		md_send(v, pkt, len);
		v->st.md_duped++;
	}
	if (v->held_len) {
		md_send(v, v->held, v->held_len);
		v->held_len = 0;
	}
}

static void md_flush(struct ps_venue *v)
{
	if (v->builder.count) {
		size_t n = ps_moldudp_builder_finish(&v->builder);
		md_emit(v, v->pkt, n);
	}
	ps_moldudp_builder_begin(&v->builder, v->pkt, v->cfg.mtu, v->session, v->next_md_seq);
}

static void md_append(struct ps_venue *v, const uint8_t *msg, uint16_t len)
{
	ps_moldudp_store_put(&v->store, v->next_md_seq, msg, len);
	if (ps_moldudp_builder_append(&v->builder, msg, len)) {
		md_flush(v);
		ps_moldudp_builder_append(&v->builder, msg, len);
	}
	v->next_md_seq++;
	v->st.md_msgs++;
}

static void md_publish(struct ps_venue *v, struct ps_itch_msg *m)
{
	uint8_t buf[64];
	int n;

	m->timestamp = v->day_now_ns;
	n = ps_itch_msg_encode(buf, sizeof(buf), m);
	if (n > 0)
		md_append(v, buf, (uint16_t)n);
}

static bool withhold(void *ctx, uint64_t seq, uint16_t count)
{
	const struct ps_venue *v = ctx;
	const struct ps_venue_faults *f = &v->cfg.faults;

	return !(f->withhold_count && seq < f->withhold_from + f->withhold_count &&
		 seq + count > f->withhold_from);
}

/* ---- order entry: connections and sequenced messages --------------------- */

static void conn_flush(struct vconn *c)
{
	while (c->out_len) {
		ssize_t n = send(c->fd, c->out, c->out_len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n <= 0)
			return;
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
	}
}

static int conn_put(struct vconn *c, uint8_t type, const void *payload, uint16_t len)
{
	size_t need = c->out_len + PS_SOUP_HDR_LEN + len;

	if (need > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		while (cap < need)
			cap *= 2;
		if (cap > MAX_OUT)
			return -ENOBUFS; /* slow consumer */
		uint8_t *o = ps_realloc(c->out, cap);
		if (!o)
			return -ENOMEM;
		c->out = o;
		c->out_cap = cap;
	}
	c->out_len += len ? ps_soup_encode_data(c->out + c->out_len, type, payload, len)
			  : ps_soup_encode_empty(c->out + c->out_len, type);
	c->last_tx_ns = mono_ns();
	return 0;
}

static void conn_close(struct ps_venue *v, int ci, const char *why)
{
	struct vconn *c = v->conns[ci];

	if (!c)
		return;
	if (c->user >= 0) {
		if (v->users[c->user].conn == ci)
			v->users[c->user].conn = -1;
		fprintf(stderr, "venue: session %s closed: %s\n", v->users[c->user].u.name, why);
	}
	epoll_ctl(v->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	ps_free(c->out);
	ps_free(c);
	v->conns[ci] = NULL;
	v->st.disconnects++;
}

/* Keep a sequenced message for the user, and send it if they are logged in. */
static void user_send(struct ps_venue *v, int ui, const uint8_t *msg, uint16_t len)
{
	struct vuser *u = &v->users[ui];

	if (u->count == u->offs_cap) {
		uint64_t cap = u->offs_cap ? u->offs_cap * 2 : 1024;
		uint32_t *o = ps_realloc(u->offs, cap * sizeof(*o));
		if (!o)
			return;
		u->offs = o;
		u->offs_cap = cap;
	}
	if (u->log_len + 2 + len > u->log_cap) {
		size_t cap = u->log_cap ? u->log_cap * 2 : 65536;
		uint8_t *l = ps_realloc(u->log, cap);
		if (!l)
			return;
		u->log = l;
		u->log_cap = cap;
	}
	u->offs[u->count++] = (uint32_t)u->log_len;
	memcpy(u->log + u->log_len, &len, 2);
	memcpy(u->log + u->log_len + 2, msg, len);
	u->log_len += 2 + (size_t)len;
	ps_venue__fix_on_ouch(v->fix, ui, msg, len);
	if (u->conn >= 0 && v->conns[u->conn] &&
	    conn_put(v->conns[u->conn], PS_SOUP_SEQUENCED, msg, len))
		conn_close(v, u->conn, "output buffer overflow (slow consumer)");
}

/* ---- orders ---------------------------------------------------------------- */

/* The top bits of the token's key (ps_ouch_token_key) and the user, times an
 * odd constant, as the engine's OMS does. The FNV-1a hash used before left
 * the last byte out of the index bits it took: a 17,000-order session walked
 * 24 slots per lookup. */
static uint32_t token_hash(int user, const char *token)
{
	uint64_t k = ps_ouch_token_key(token) + (uint64_t)user * 0xc2b2ae3d27d4eb4full;
	return (uint32_t)((k * 0x9e3779b97f4a7c15ull) >> (64 - TOKEN_SLOTS_LOG2));
}

static struct vorder *order_by_token(struct ps_venue *v, int user, const char *token)
{
	for (uint32_t i = token_hash(user, token);; i = (i + 1) & (TOKEN_SLOTS - 1)) {
		uint32_t e = v->tokens[i];
		if (!e)
			return NULL;
		struct vorder *o = &v->orders[e - 1];
		if (o->user == user && !memcmp(o->token, token, PS_OUCH_TOKEN_LEN))
			return o;
	}
}

static struct vorder *order_new(struct ps_venue *v, int user, const char *token)
{
	uint32_t i;

	if (v->order_count == MAX_ORDERS)
		return NULL;
	for (i = token_hash(user, token); v->tokens[i]; i = (i + 1) & (TOKEN_SLOTS - 1))
		;
	struct vorder *o = &v->orders[v->order_count];
	memset(o, 0, sizeof(*o));
	o->ref = CLIENT_BIT | v->order_count;
	o->user = (int16_t)user;
	memcpy(o->token, token, PS_OUCH_TOKEN_LEN);
	v->tokens[i] = ++v->order_count;
	return o;
}

static struct vorder *order_by_ref(struct ps_venue *v, uint64_t ref)
{
	if (!(ref & CLIENT_BIT))
		return NULL;
	uint64_t i = ref & ~CLIENT_BIT;
	return i < v->order_count ? &v->orders[i] : NULL;
}

static void send_executed(struct ps_venue *v, struct vorder *o, uint32_t qty, int64_t price,
			  uint64_t match, char liquidity)
{
	struct ps_ouch_executed e = { .timestamp_ns = v->day_now_ns,
				      .match_number = match,
				      .shares = qty,
				      .price = (uint32_t)price,
				      .liquidity_flag = (uint8_t)liquidity };
	uint8_t buf[PS_OUCH_MAX_LEN] = { 0 };
	struct vuser *u = &v->users[o->user];

	memcpy(e.token, o->token, PS_OUCH_TOKEN_LEN);
	user_send(v, o->user, buf, (uint16_t)ps_ouch_encode_executed(buf, &e));
	u->fills++;
	u->filled_qty += qty;
	u->net += o->side == PS_SIDE_BUY ? (int64_t)qty : -(int64_t)qty;
	v->st.fills++;
	v->st.filled_qty += qty;
	if (v->cfg.print_fills)
		printf("fill user=%s token=%.14s side=%c qty=%u price=%lld.%04lld liquidity=%c "
		       "match=%llu\n",
		       u->u.name, o->token, o->side == PS_SIDE_BUY ? 'B' : 'S', qty,
		       (long long)(price / 10000), (long long)(price % 10000), liquidity,
		       (unsigned long long)match);
}

static void send_canceled(struct ps_venue *v, struct vorder *o, uint32_t qty, char reason)
{
	struct ps_ouch_canceled c = { .timestamp_ns = v->day_now_ns,
				      .decrement_shares = qty,
				      .reason = (uint8_t)reason };
	uint8_t buf[PS_OUCH_MAX_LEN] = { 0 };

	memcpy(c.token, o->token, PS_OUCH_TOKEN_LEN);
	user_send(v, o->user, buf, (uint16_t)ps_ouch_encode_canceled(buf, PS_OUCH_CANCELED, &c));
}

static void send_rejected(struct ps_venue *v, int user, const char *token, char reason)
{
	struct ps_ouch_token_event r = { .timestamp_ns = v->day_now_ns, .reason = (uint8_t)reason };
	uint8_t buf[PS_OUCH_MAX_LEN] = { 0 };

	memcpy(r.token, token, PS_OUCH_TOKEN_LEN);
	user_send(v, user, buf, (uint16_t)ps_ouch_encode_token_event(buf, PS_OUCH_REJECTED, &r));
	v->st.rejected++;
}

static void send_accepted(struct ps_venue *v, const struct vorder *o, uint8_t type,
			  const char *previous_token)
{
	struct ps_ouch_accepted a = {
		.timestamp_ns = v->day_now_ns,
		.order_ref = o->ref,
		.shares = o->qty,
		.price = o->price,
		.tif = o->tif,
		.side = o->side == PS_SIDE_BUY ? PS_OUCH_SIDE_BUY : PS_OUCH_SIDE_SELL,
		.display = 'Y',
		.capacity = 'A',
		.ise = 'N',
		.cross_type = 'N',
		.order_state = PS_OUCH_ORDER_STATE_LIVE,
		.bbo_weight = ' ',
	};
	uint8_t buf[PS_OUCH_MAX_LEN] = { 0 };

	memcpy(a.token, o->token, PS_OUCH_TOKEN_LEN);
	memcpy(a.stock, v->symbol, PS_OUCH_STOCK_LEN);
	memcpy(a.firm, o->firm, PS_OUCH_FIRM_LEN);
	if (previous_token)
		memcpy(a.previous_token, previous_token, PS_OUCH_TOKEN_LEN);
	user_send(v, o->user, buf, (uint16_t)ps_ouch_encode_accepted(buf, type, &a));
}

/* Every change of the book: ITCH for everyone, OUCH for the owners. */
static void on_match(void *ctx, const struct ps_match_event *ev)
{
	struct ps_venue *v = ctx;
	struct ps_itch_msg m = { .stock_locate = (uint16_t)(ev->instrument + 1) };
	struct vorder *o;

	switch (ev->type) {
	case PS_MATCH_EV_ADD:
		m.type = 'A';
		m.u.add_order.order_reference_number = ev->id;
		m.u.add_order.buy_sell_indicator = ev->side == PS_SIDE_BUY ? 'B' : 'S';
		m.u.add_order.shares = ev->qty;
		memcpy(m.u.add_order.stock, v->symbol, 8);
		m.u.add_order.price = ev->price;
		md_publish(v, &m);
		break;
	case PS_MATCH_EV_EXECUTE:
		if (ev->id) {
			m.type = 'E';
			m.u.order_executed.order_reference_number = ev->id;
			m.u.order_executed.executed_shares = ev->qty;
			m.u.order_executed.match_number = ev->match_number;
		} else {
			m.type = 'P';
			m.u.trade.buy_sell_indicator = ev->side == PS_SIDE_BUY ? 'B' : 'S';
			m.u.trade.shares = ev->qty;
			memcpy(m.u.trade.stock, v->symbol, 8);
			m.u.trade.price = ev->price;
			m.u.trade.match_number = ev->match_number;
		}
		md_publish(v, &m);
		if ((o = order_by_ref(v, ev->id))) {
			o->qty = ev->leaves;
			o->live = ev->leaves > 0;
			send_executed(v, o, ev->qty, ev->price, ev->match_number, 'A');
		}
		if ((o = order_by_ref(v, ev->taker_id))) {
			o->qty -= ev->qty;
			send_executed(v, o, ev->qty, ev->price, ev->match_number, 'R');
		}
		break;
	case PS_MATCH_EV_DONE:
		if ((o = order_by_ref(v, ev->id))) {
			o->qty = ev->leaves;
			o->live = ev->rests;
			/* An IOC's rest, or a DAY order the book had no room for
			 * (a system cancel: OUCH 'Z'). */
			if (ev->leaves && !ev->rests)
				send_canceled(v, o, ev->leaves,
					      o->tif == PS_OUCH_TIF_IOC ? 'I' : 'Z');
		}
		break;
	case PS_MATCH_EV_CANCEL:
	case PS_MATCH_EV_DELETE:
		if (ev->type == PS_MATCH_EV_CANCEL) {
			m.type = 'X';
			m.u.order_cancel.order_reference_number = ev->id;
			m.u.order_cancel.canceled_shares = ev->qty;
		} else {
			m.type = 'D';
			m.u.order_delete.order_reference_number = ev->id;
		}
		md_publish(v, &m);
		if ((o = order_by_ref(v, ev->id))) {
			o->qty = ev->leaves;
			o->live = ev->leaves > 0;
			if (v->in_client_cancel)
				send_canceled(v, o, ev->qty, 'U');
		}
		break;
	case PS_MATCH_EV_REPLACE:
		m.type = 'U';
		m.u.order_replace.original_order_reference_number = ev->id;
		m.u.order_replace.new_order_reference_number = ev->new_id;
		m.u.order_replace.shares = ev->qty;
		m.u.order_replace.price = ev->price;
		md_publish(v, &m);
		break;
	default:
		break;
	}
}

static int instrument_of(const struct ps_venue *v, const char *stock)
{
	return memcmp(stock, v->symbol, PS_OUCH_STOCK_LEN) ? -1 : 0;
}

static void do_enter(struct ps_venue *v, int ui, const struct ps_ouch_enter_order *e)
{
	struct vorder *o;
	int instr;

	v->st.enters++;
	v->users[ui].orders++;
	if (order_by_token(v, ui, e->token)) {
		v->st.dup_tokens++; /* OUCH: a reused token is ignored */
		return;
	}
	instr = instrument_of(v, e->stock);
	if (instr < 0)
		return send_rejected(v, ui, e->token, 'S');
	if (e->shares == 0 || e->shares > 1000000)
		return send_rejected(v, ui, e->token, 'Z');
	if (e->price == 0 || (e->price == MARKET_PRICE && e->tif != PS_OUCH_TIF_IOC))
		return send_rejected(v, ui, e->token, 'X');
	if (e->side != PS_OUCH_SIDE_BUY && e->side != PS_OUCH_SIDE_SELL &&
	    e->side != PS_OUCH_SIDE_SELL_SHORT && e->side != PS_OUCH_SIDE_SELL_SHORT_EXEMPT)
		return send_rejected(v, ui, e->token, 'O');
	if (v->cfg.faults.reject_permille && rnd_permille(v) < v->cfg.faults.reject_permille)
		return send_rejected(v, ui, e->token, 'O');
	o = order_new(v, ui, e->token);
	if (!o)
		return send_rejected(v, ui, e->token, 'O');
	o->instrument = (uint32_t)instr;
	o->side = e->side == PS_OUCH_SIDE_BUY ? PS_SIDE_BUY : PS_SIDE_SELL;
	o->qty = e->shares;
	o->price = e->price;
	o->tif = e->tif;
	o->live = true;
	memcpy(o->firm, e->firm, PS_OUCH_FIRM_LEN);
	send_accepted(v, o, PS_OUCH_ACCEPTED, NULL);
	v->st.accepted++;
	int64_t limit = e->price == MARKET_PRICE
			    ? (o->side == PS_SIDE_BUY ? PS_MATCH_MARKET_BUY : PS_MATCH_MARKET_SELL)
			    : (int64_t)e->price;
	ps_match_order(&v->match, o->instrument, o->ref, (enum ps_side)o->side, limit, e->shares,
		       e->tif == PS_OUCH_TIF_IOC ? PS_TIF_IOC : PS_TIF_DAY);
}

static void do_cancel(struct ps_venue *v, int ui, const struct ps_ouch_cancel_order *c)
{
	struct vorder *o = order_by_token(v, ui, c->token);

	v->st.cancels++;
	if (!o || !o->live || c->shares >= o->qty)
		return; /* OUCH: nothing to do for a dead order or a larger size */
	v->in_client_cancel = true;
	ps_match_cancel(&v->match, o->instrument, o->ref, c->shares);
	v->in_client_cancel = false;
}

static void do_replace(struct ps_venue *v, int ui, const struct ps_ouch_replace_order *r)
{
	struct vorder *o = order_by_token(v, ui, r->existing_token), *n;

	v->st.replaces++;
	if (!o || !o->live)
		return; /* OUCH: a replace of a dead order is ignored */
	if (order_by_token(v, ui, r->replacement_token)) {
		v->st.dup_tokens++;
		return;
	}
	if (r->shares == 0 || r->shares > 1000000 || r->price == 0 || r->price == MARKET_PRICE)
		return send_rejected(v, ui, r->replacement_token, r->shares ? 'X' : 'Z');
	/* The reject fault refuses replaces too (the original order stays). */
	if (v->cfg.faults.reject_permille && rnd_permille(v) < v->cfg.faults.reject_permille)
		return send_rejected(v, ui, r->replacement_token, 'O');
	n = order_new(v, ui, r->replacement_token);
	if (!n)
		return send_rejected(v, ui, r->replacement_token, 'O');
	o = order_by_token(v, ui, r->existing_token); /* table may not move, but be exact */
	n->instrument = o->instrument;
	n->side = o->side;
	n->qty = r->shares;
	n->price = r->price;
	n->tif = o->tif;
	n->live = true;
	memcpy(n->firm, o->firm, PS_OUCH_FIRM_LEN);
	o->live = false;
	o->qty = 0;
	send_accepted(v, n, PS_OUCH_REPLACED, o->token);
	v->in_replace = true;
	int64_t rc =
	    ps_match_replace(&v->match, n->instrument, o->ref, n->ref, r->price, r->shares);
	v->in_replace = false;
	if (rc < 0 && n->live) {
		/* The book could not rest the replacement (PS_EFULL: no level left
		 * for its price; the original's end went out on the feed as a
		 * delete; the other refusals cannot reach here: checked above).
		 * The client was told Replaced: it now hears the end. */
		send_canceled(v, n, n->qty, 'Z');
		n->live = false;
		n->qty = 0;
	}
}

static void handle_ouch(struct ps_venue *v, int ci, const uint8_t *p, size_t len)
{
	struct vconn *c = v->conns[ci];
	struct ps_ouch_msg m;

	if (ps_ouch_decode_inbound(p, len, &m)) {
		v->st.bad_packets++;
		return;
	}
	switch (m.type) {
	case PS_OUCH_ENTER_ORDER:
		do_enter(v, c->user, &m.u.enter);
		break;
	case PS_OUCH_CANCEL_ORDER:
		do_cancel(v, c->user, &m.u.cancel);
		break;
	case PS_OUCH_REPLACE_ORDER:
		do_replace(v, c->user, &m.u.replace);
		break;
	default:
		v->st.bad_packets++; /* modify is not offered by this venue */
		break;
	}
	if (v->cfg.faults.disconnect_after && ++c->orders >= v->cfg.faults.disconnect_after)
		c->close_after_flush = true;
}

/* A delayed request is handled only on the connection it came on: one that
 * closed meanwhile takes its requests with it (lost in flight, as on a real
 * link), and its slot, reused by the client's next connection, must not
 * get them (they would be handled after that session's catch-up, where the
 * client's reconnect logic has already given them up). */
static void handle_delayed(struct ps_venue *v, const struct delayed *d)
{
	const struct vconn *c = v->conns[d->conn];

	if (c && c->id == d->conn_id)
		handle_ouch(v, d->conn, d->msg, d->len);
}

static void queue_or_handle(struct ps_venue *v, int ci, const uint8_t *p, uint16_t len)
{
	if (!v->cfg.faults.delay_us || len > PS_OUCH_MAX_LEN) {
		handle_ouch(v, ci, p, len);
		return;
	}
	if (v->delay_tail - v->delay_head == DELAY_SLOTS) {
		/* Queue full: handle the oldest now rather than drop an order. */
		handle_delayed(v, &v->delay[v->delay_head++ % DELAY_SLOTS]);
	}
	struct delayed *d = &v->delay[v->delay_tail++ % DELAY_SLOTS];
	d->due_ns = mono_ns() + (uint64_t)v->cfg.faults.delay_us * 1000;
	d->conn = ci;
	d->conn_id = v->conns[ci]->id;
	d->len = len;
	memcpy(d->msg, p, len);
}

static void do_login(struct ps_venue *v, int ci, const struct ps_soup_packet *pkt)
{
	struct vconn *c = v->conns[ci];
	struct ps_soup_login_request req;
	uint8_t buf[64];
	int ui = -1;

	if (ps_soup_decode_login_request(pkt->payload, pkt->payload_len, &req)) {
		conn_close(v, ci, "bad login request");
		return;
	}
	for (uint32_t i = 0; i < v->cfg.user_count; i++)
		if (!strcmp(v->users[i].u.name, req.username) &&
		    !strcmp(v->users[i].u.password, req.password))
			ui = (int)i;
	if (ui < 0 || (req.session[0] && strcmp(req.session, v->cfg.session) != 0)) {
		uint8_t reason =
		    ui < 0 ? PS_SOUP_REJECT_NOT_AUTHORIZED : PS_SOUP_REJECT_SESSION_UNAVAILABLE;
		conn_put(c, PS_SOUP_LOGIN_REJECTED, &reason, 1);
		c->close_after_flush = true;
		v->st.login_rejects++;
		fprintf(stderr, "venue: login rejected for user '%s' (%s)\n", req.username,
			ui < 0 ? "bad user or password" : "unknown session");
		return;
	}
	struct vuser *u = &v->users[ui];
	if (u->conn >= 0 && u->conn != ci)
		conn_close(v, u->conn, "replaced by a new login");
	uint64_t next = req.seq == 0 || req.seq > u->count + 1 ? u->count + 1 : req.seq;
	int n = ps_soup_encode_login_accepted(buf, v->cfg.session, next);
	conn_put(c, PS_SOUP_LOGIN_ACCEPTED, buf + PS_SOUP_HDR_LEN, (uint16_t)(n - PS_SOUP_HDR_LEN));
	for (uint64_t s = next; s <= u->count; s++) {
		uint16_t len;
		memcpy(&len, u->log + u->offs[s - 1], 2);
		conn_put(c, PS_SOUP_SEQUENCED, u->log + u->offs[s - 1] + 2, len);
	}
	c->user = ui;
	u->conn = ci;
	v->st.logins++;
	fprintf(stderr, "venue: session %s logged in, next sequence %llu (replayed %llu)\n",
		u->u.name, (unsigned long long)next, (unsigned long long)(u->count + 1 - next));
}

static void conn_read(struct ps_venue *v, int ci)
{
	struct vconn *c = v->conns[ci];
	struct ps_soup_packet pkt;
	uint32_t room;
	int rc;

	for (;;) {
		uint8_t *p = ps_soup_stream_write_ptr(&c->rx, &room);
		ssize_t n = room ? recv(c->fd, p, room, MSG_DONTWAIT) : 0;
		if (n == 0 && room) {
			conn_close(v, ci, "peer closed the connection");
			return;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			conn_close(v, ci, strerror(errno));
			return;
		}
		ps_soup_stream_commit(&c->rx, (uint32_t)n);
		c->last_rx_ns = mono_ns();
		while ((rc = ps_soup_stream_next(&c->rx, &pkt)) == 1) {
			if (pkt.type == PS_SOUP_LOGIN_REQUEST) {
				if (c->user < 0)
					do_login(v, ci, &pkt);
			} else if (c->user < 0) {
				conn_close(v, ci, "data before login");
				return;
			} else if (pkt.type == PS_SOUP_UNSEQUENCED) {
				queue_or_handle(v, ci, pkt.payload, pkt.payload_len);
			} else if (pkt.type == PS_SOUP_LOGOUT_REQUEST) {
				conn_close(v, ci, "logout");
				return;
			}
			if (!v->conns[ci])
				return;
		}
		if (rc < 0) {
			v->st.bad_packets++;
			conn_close(v, ci, ps_strerror(rc));
			return;
		}
		if (room == 0)
			break;
	}
}

/* ---- replay ---------------------------------------------------------------- */

static int replay_keep(void *ctx, const uint8_t *msg, size_t len)
{
	struct ps_venue *v = ctx;

	if (v->replay_len + 2 + len > v->replay_cap) {
		size_t cap = v->replay_cap ? v->replay_cap * 2 : (8u << 20);
		uint8_t *r = ps_realloc(v->replay, cap);
		if (!r)
			return -ENOMEM;
		v->replay = r;
		v->replay_cap = cap;
	}
	uint16_t l = (uint16_t)len;
	memcpy(v->replay + v->replay_len, &l, 2);
	memcpy(v->replay + v->replay_len + 2, msg, len);
	v->replay_len += 2 + len;
	v->replay_msgs++;
	return 0;
}

/* One background ITCH message through the matching engine (or straight out). */
static void replay_one(struct ps_venue *v, const uint8_t *p, uint16_t len)
{
	struct ps_itch_msg m;
	const struct ps_book_order *o;
	struct ps_book *b = ps_book_set_get(v->books, 0);

	if (ps_itch_msg_decode(&m, p, len))
		return;
	v->st.bg_msgs++;
	v->day_now_ns = m.timestamp;
	switch (m.type) {
	case 'A':
	case 'F':
		ps_match_order(&v->match, 0, m.u.add_order.order_reference_number,
			       m.u.add_order.buy_sell_indicator == 'B' ? PS_SIDE_BUY : PS_SIDE_SELL,
			       m.u.add_order.price, m.u.add_order.shares, PS_TIF_DAY);
		break;
	case 'X':
		if ((o = ps_book_order_get(b, m.u.order_cancel.order_reference_number)))
			ps_match_cancel(&v->match, 0, o->id,
					o->qty > m.u.order_cancel.canceled_shares
					    ? o->qty - m.u.order_cancel.canceled_shares
					    : 0);
		break;
	case 'D':
		if ((o = ps_book_order_get(b, m.u.order_delete.order_reference_number)))
			ps_match_cancel(&v->match, 0, o->id, 0);
		break;
	case 'E':
	case 'C':
		/* Replayed as the aggressor that caused it: it fills by priority,
		 * our resting orders included. Gone already: our orders took it. */
		if ((o = ps_book_order_get(b, m.u.order_executed.order_reference_number)))
			ps_match_aggress(&v->match, 0, TAKER_BIT | ++v->next_taker,
					 (enum ps_side)o->side,
					 b->side[o->side].levels[o->level].price,
					 m.u.order_executed.executed_shares);
		break;
	case 'U':
		if ((o = ps_book_order_get(b, m.u.order_replace.original_order_reference_number)))
			ps_match_replace(&v->match, 0, o->id,
					 m.u.order_replace.new_order_reference_number,
					 m.u.order_replace.price, m.u.order_replace.shares);
		break;
	default:
		/* System events, directory, halts, hidden trades: as they are. */
		md_append(v, p, len);
		break;
	}
}

static void replay_step(struct ps_venue *v, uint64_t now)
{
	unsigned budget = 4096; /* stay responsive to order entry while catching up */

	while (!v->replay_done && budget--) {
		if (v->replay_off >= v->replay_len) {
			v->replay_done = true;
			v->done_ns = now;
			if (v->cfg.lobster[0])
				fprintf(stderr, "venue: replay finished (%llu messages)\n",
					(unsigned long long)v->st.bg_msgs);
			break;
		}
		uint16_t len;
		memcpy(&len, v->replay + v->replay_off, 2);
		const uint8_t *p = v->replay + v->replay_off + 2;
		uint64_t ts = ps_load_be48(p + 5);
		if (!v->day0_ns) {
			v->day0_ns = ts;
			v->wall0_ns = now;
		}
		if (v->cfg.speed > 0 && ts > v->day0_ns &&
		    (double)(ts - v->day0_ns) / v->cfg.speed > (double)(now - v->wall0_ns))
			break; /* not due yet */
		replay_one(v, p, len);
		v->replay_off += 2u + len;
	}
}

/* Next due time of the replay in monotonic ns (0: now or nothing). */
static uint64_t replay_due(const struct ps_venue *v)
{
	if (v->replay_done || v->replay_off >= v->replay_len || v->cfg.speed <= 0 || !v->day0_ns)
		return 0;
	uint64_t ts = ps_load_be48(v->replay + v->replay_off + 2 + 5);
	return v->wall0_ns + (uint64_t)((double)(ts - v->day0_ns) / v->cfg.speed);
}

static int load_replay(struct ps_venue *v, char *err, size_t err_len)
{
	struct ps_lobster_conv_cfg cc = { .levels = v->cfg.levels, .stock_locate = 1 };
	struct ps_lobster_conv_stats cs;
	const char *book = v->cfg.lobster_book[0] ? v->cfg.lobster_book : v->cfg.lobster;
	int rc;

	memcpy(cc.stock, v->symbol, 8);
	rc = ps_lobster_convert(v->cfg.lobster, book, &cc, replay_keep, v, &cs);
	if (rc) {
		snprintf(err, err_len, "%s: cannot replay: %s", v->cfg.lobster, ps_strerror(rc));
		return rc;
	}
	/* skip_s: start later in the day (the book is still built from the start,
	 * as fast as possible, before the clock starts). */
	if (v->cfg.skip_ns) {
		uint64_t first = 0;
		while (v->replay_off < v->replay_len) {
			uint16_t len;
			memcpy(&len, v->replay + v->replay_off, 2);
			const uint8_t *p = v->replay + v->replay_off + 2;
			uint64_t ts = ps_load_be48(p + 5);
			if (!first)
				first = ts;
			if (ts - first >= v->cfg.skip_ns)
				break;
			replay_one(v, p, len);
			v->replay_off += 2u + len;
		}
	}
	fprintf(stderr, "venue: replay of %s loaded: %llu ITCH messages from %llu rows\n",
		v->cfg.lobster, (unsigned long long)v->replay_msgs, (unsigned long long)cs.rows);
	return 0;
}

/* ---- setup ----------------------------------------------------------------- */

static int listen_tcp(const char *hostport, int *fd_out)
{
	struct sockaddr_in sa;
	int one = 1, fd;

	if (parse_hostport(hostport, &sa))
		return -EINVAL;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 16)) {
		int e = -errno;
		close(fd);
		return e;
	}
	*fd_out = fd;
	return 0;
}

static int bind_udp(const char *hostport, int *fd_out)
{
	struct sockaddr_in sa;
	int fd;

	if (parse_hostport(hostport, &sa))
		return -EINVAL;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = -errno;
		close(fd);
		return e;
	}
	*fd_out = fd;
	return 0;
}

static int epoll_add(int ep, int fd, uint64_t tag)
{
	struct epoll_event e = { .events = EPOLLIN, .data.u64 = tag };
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) ? -errno : 0;
}

enum { TAG_LISTEN = 1000, TAG_REREQ, TAG_CTL };

/* The ports file appears whole or not at all (written aside, then renamed
 * over the old one): a script waiting for it never reads a previous venue's
 * ports or half of ours. */
static int write_ports_file(struct ps_venue *v, const struct ps_venue_config *vc, char *err,
			    size_t err_len)
{
	char tmp[sizeof(vc->ports_file) + 8];
	snprintf(tmp, sizeof(tmp), "%s.tmp", vc->ports_file);
	FILE *f = fopen(tmp, "w");
	bool opened = f != NULL;
	if (opened) {
		fprintf(f, "ouch=%u\nrerequest=%u\ncontrol=%u\nmd=%s\n", bound_port(v->listen_fd),
			ps_moldudp_server_port(&v->rereq), bound_port(v->ctl_fd), vc->md_dest);
		if (v->fix)
			fprintf(f, "fix=%u\n", ps_venue__fix_port(v->fix));
		if (fclose(f) == 0 && rename(tmp, vc->ports_file) == 0)
			return 0;
	}
	int rc = -errno;
	snprintf(err, err_len, "[venue] ports_file = %s: %s", vc->ports_file, strerror(errno));
	if (opened)
		unlink(tmp);
	return rc;
}

int ps_venue_create(struct ps_venue **out, const struct ps_venue_config *vc, char *err,
		    size_t err_len)
{
	/* book_levels 0 (a config built by hand): the default of [venue]. */
	struct ps_book_config bc = { .instrument_count = 1,
				     .max_orders = 1u << 20,
				     .max_levels = vc->book_levels ? vc->book_levels : 1u << 14 };
	struct ps_venue *v;
	char host[64];
	int rc;

	*out = NULL;
	v = ps_calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->cfg = *vc;
	v->listen_fd = v->md_fd = v->ctl_fd = v->ep = -1;
	v->rereq.fd = -1;
	v->rng = vc->faults.seed ? vc->faults.seed : 1;
	v->next_md_seq = 1;
	ps_moldudp_session_copy(v->session, vc->session);
	memset(v->symbol, ' ', sizeof(v->symbol));
	memcpy(v->symbol, vc->symbol, strnlen(vc->symbol, sizeof(v->symbol)));
	for (uint32_t i = 0; i < vc->user_count; i++) {
		v->users[i].u = vc->users[i];
		v->users[i].conn = -1;
	}
	v->orders = ps_calloc(MAX_ORDERS, sizeof(*v->orders));
	v->tokens = ps_calloc(TOKEN_SLOTS, sizeof(*v->tokens));
	v->delay = ps_calloc(DELAY_SLOTS, sizeof(*v->delay));
	v->store_mem = ps_alloc(ps_moldudp_store_memsize(STORE_COUNT, 64));
	if (!v->orders || !v->tokens || !v->delay || !v->store_mem) {
		rc = -ENOMEM;
		goto err;
	}
	if ((rc = ps_book_set_create(&v->books, &bc)) ||
	    (rc = ps_match_init(&v->match, v->books, on_match, v)) ||
	    (rc = ps_moldudp_store_init(&v->store, v->store_mem, STORE_COUNT, 64, 1)))
		goto err;
	ps_moldudp_builder_begin(&v->builder, v->pkt, vc->mtu, v->session, v->next_md_seq);

	if ((rc = listen_tcp(vc->ouch_listen, &v->listen_fd))) {
		snprintf(err, err_len, "[venue] ouch_listen = %s: %s", vc->ouch_listen,
			 ps_strerror(rc));
		goto err;
	}
	if ((rc = parse_hostport(vc->md_dest, &v->md_addr))) {
		snprintf(err, err_len, "[venue] md_dest = %s: expected IPv4:PORT", vc->md_dest);
		goto err;
	}
	v->md_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (v->md_fd < 0) {
		rc = -errno;
		goto err;
	}
	if (IN_MULTICAST(ntohl(v->md_addr.sin_addr.s_addr))) {
		struct in_addr lo = { .s_addr = htonl(INADDR_LOOPBACK) };
		unsigned char loop = 1, ttl = 0;
		setsockopt(v->md_fd, IPPROTO_IP, IP_MULTICAST_IF, &lo, sizeof(lo));
		setsockopt(v->md_fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof(loop));
		setsockopt(v->md_fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl));
	}
	struct ps_moldudp_server_config sc = { .store = &v->store,
					       .mtu_payload = vc->mtu,
					       .max_answer_count = 1024,
					       .filter = withhold,
					       .filter_ctx = v };
	memcpy(sc.session, v->session, PS_MOLDUDP_SESSION_LEN);
	{
		struct sockaddr_in sa;
		if (parse_hostport(vc->rerequest_listen, &sa)) {
			rc = -EINVAL;
			snprintf(err, err_len, "[venue] rerequest_listen = %s: expected IPv4:PORT",
				 vc->rerequest_listen);
			goto err;
		}
		inet_ntop(AF_INET, &sa.sin_addr, host, sizeof(host));
		if ((rc = ps_moldudp_server_open(&v->rereq, &sc, host, ntohs(sa.sin_port)))) {
			snprintf(err, err_len, "[venue] rerequest_listen = %s: %s",
				 vc->rerequest_listen, ps_strerror(rc));
			goto err;
		}
	}
	if ((rc = bind_udp(vc->control_listen, &v->ctl_fd))) {
		snprintf(err, err_len, "[venue] control_listen = %s: %s", vc->control_listen,
			 ps_strerror(rc));
		goto err;
	}
	v->ep = epoll_create1(EPOLL_CLOEXEC);
	if (v->ep < 0 || epoll_add(v->ep, v->listen_fd, TAG_LISTEN) ||
	    epoll_add(v->ep, v->rereq.fd, TAG_REREQ) || epoll_add(v->ep, v->ctl_fd, TAG_CTL)) {
		rc = -errno;
		goto err;
	}
	if (vc->lobster[0] && (rc = load_replay(v, err, err_len)))
		goto err;
	if ((rc = ps_venue__fix_create(v, vc, &v->fix, err, err_len)))
		goto err;
	if (vc->ports_file[0] && (rc = write_ports_file(v, vc, err, err_len)))
		goto err;
	*out = v;
	return 0;
err:
	if (!err[0])
		snprintf(err, err_len, "venue setup failed: %s", ps_strerror(rc));
	ps_venue_destroy(v);
	return rc;
}

void ps_venue_destroy(struct ps_venue *v)
{
	if (!v)
		return;
	for (int i = 0; i < MAX_CONNS; i++)
		if (v->conns[i])
			conn_close(v, i, "venue shutting down");
	if (v->rereq.fd >= 0)
		ps_moldudp_server_close(&v->rereq);
	if (v->listen_fd >= 0)
		close(v->listen_fd);
	if (v->md_fd >= 0)
		close(v->md_fd);
	if (v->ctl_fd >= 0)
		close(v->ctl_fd);
	if (v->ep >= 0)
		close(v->ep);
	for (uint32_t i = 0; i < PS_VENUE_MAX_USERS; i++) {
		ps_free(v->users[i].log);
		ps_free(v->users[i].offs);
	}
	ps_venue__fix_destroy(v->fix);
	ps_book_set_destroy(v->books);
	ps_free(v->store_mem);
	ps_free(v->orders);
	ps_free(v->tokens);
	ps_free(v->delay);
	ps_free(v->replay);
	ps_free(v);
}

uint16_t ps_venue_ouch_port(const struct ps_venue *v)
{
	return bound_port(v->listen_fd);
}

uint16_t ps_venue_rerequest_port(const struct ps_venue *v)
{
	return ps_moldudp_server_port(&v->rereq);
}

uint16_t ps_venue_control_port(const struct ps_venue *v)
{
	return bound_port(v->ctl_fd);
}

/* ---- control ----------------------------------------------------------------- */

/* "position USER [SEQ]": the user's net position and fills from the venue's
 * side, over all its sequenced messages or the first SEQ of them (what a
 * client that has applied messages 1..SEQ must hold), and how many of the
 * user's orders are working now (live with open shares; always the current
 * count, SEQ or not). */
static int control_position(struct ps_venue *v, const char *cmd, char *out, size_t out_len)
{
	char buf[128], *save = NULL, *end = NULL;
	unsigned long long upto = 0;
	int ui = -1;

	snprintf(buf, sizeof(buf), "%s", cmd);
	strtok_r(buf, " \t", &save);
	const char *name = strtok_r(NULL, " \t", &save);
	const char *seq_s = strtok_r(NULL, " \t", &save);
	for (uint32_t i = 0; name && i < v->cfg.user_count; i++)
		if (strcmp(v->users[i].u.name, name) == 0)
			ui = (int)i;
	if (seq_s) {
		errno = 0;
		upto = strtoull(seq_s, &end, 10);
		if (errno || *end)
			ui = -1;
	}
	if (ui < 0) {
		snprintf(out, out_len, "error: position USER [SEQ]: unknown user or bad SEQ");
		return -EINVAL;
	}
	struct vuser *u = &v->users[ui];
	int64_t net = u->net;
	uint64_t fills = u->fills, shares = u->filled_qty, seq = u->count, working = 0;
	for (uint32_t i = 0; i < v->order_count; i++)
		working += v->orders[i].user == ui && v->orders[i].live && v->orders[i].qty > 0;
	if (seq_s) {
		seq = upto < u->count ? upto : u->count;
		net = 0;
		fills = shares = 0;
		for (uint64_t s = 0; s < seq; s++) {
			struct ps_ouch_msg m;
			uint16_t len;
			const struct vorder *o;
			memcpy(&len, u->log + u->offs[s], 2);
			if (ps_ouch_decode_outbound(u->log + u->offs[s] + 2, len, &m) ||
			    m.type != PS_OUCH_EXECUTED ||
			    !(o = order_by_token(v, ui, m.u.executed.token)))
				continue;
			net += o->side == PS_SIDE_BUY ? (int64_t)m.u.executed.shares
						      : -(int64_t)m.u.executed.shares;
			fills++;
			shares += m.u.executed.shares;
		}
	}
	snprintf(out, out_len,
		 "ok position user=%s net=%lld fills=%llu shares=%llu seq=%llu messages=%llu "
		 "dup_tokens=%llu working=%llu",
		 u->u.name, (long long)net, (unsigned long long)fills, (unsigned long long)shares,
		 (unsigned long long)seq, (unsigned long long)u->count,
		 (unsigned long long)v->st.dup_tokens, (unsigned long long)working);
	return 0;
}

/* "WORD [A [B]]": the word, and how many of WORD, A, B were read (numbers
 * must be plain decimal; the first non-number ends the list). */
static int control_words(const char *cmd, char *word, size_t word_len, unsigned long long *a,
			 unsigned long long *b)
{
	const char *p = cmd;
	size_t n = 0;
	int got = 0;

	while (*p == ' ')
		p++;
	while (*p && *p != ' ' && n + 1 < word_len)
		word[n++] = *p++;
	word[n] = '\0';
	if (!n)
		return 0;
	got = 1;
	for (unsigned long long *out = a; out; out = out == a ? b : NULL) {
		char *end;
		while (*p == ' ')
			p++;
		if (*p < '0' || *p > '9')
			break;
		errno = 0;
		*out = strtoull(p, &end, 10);
		if (errno || (*end && *end != ' '))
			break;
		p = end;
		got++;
	}
	return got;
}

int ps_venue_control(struct ps_venue *v, const char *cmd, char *out, size_t out_len)
{
	struct ps_venue_faults *f = &v->cfg.faults;
	char word[32] = "";
	unsigned long long a = 0, b = 0;
	int n = control_words(cmd, word, sizeof(word), &a, &b);
	uint32_t *knob = NULL;

	if (n < 1) {
		snprintf(out, out_len, "error: empty command");
		return -EINVAL;
	}
	if (!strcmp(word, "position"))
		return control_position(v, cmd, out, out_len);
	if (!strcmp(word, "md_drop"))
		knob = &f->md_drop_permille;
	else if (!strcmp(word, "md_dup"))
		knob = &f->md_dup_permille;
	else if (!strcmp(word, "md_reorder"))
		knob = &f->md_reorder_permille;
	else if (!strcmp(word, "reject"))
		knob = &f->reject_permille;
	if (knob) {
		if (n < 2 || a > 1000) {
			snprintf(out, out_len, "error: %s takes a rate in permille (0-1000)", word);
			return -EINVAL;
		}
		*knob = (uint32_t)a;
	} else if (!strcmp(word, "delay_us") && n >= 2 && a <= 10000000) {
		f->delay_us = (uint32_t)a;
	} else if (!strcmp(word, "withhold") && n == 3) {
		f->withhold_from = a;
		f->withhold_count = b;
	} else if (!strcmp(word, "disconnect")) {
		for (int i = 0; i < MAX_CONNS; i++)
			if (v->conns[i])
				conn_close(v, i, "disconnected by the control port");
		uint32_t nfix = ps_venue__fix_disconnect(v->fix);
		if (nfix) {
			v->st.disconnects += nfix;
			fprintf(stderr,
				"venue: %u FIX connection%s disconnected by the control port\n",
				nfix, nfix == 1 ? "" : "s");
		}
	} else if (strcmp(word, "status") != 0) {
		snprintf(out, out_len,
			 "error: unknown command '%s' (md_drop N, md_dup N, md_reorder N, "
			 "reject N, delay_us N, withhold FROM COUNT, disconnect, status, "
			 "position USER [SEQ])",
			 word);
		return -EINVAL;
	}
	snprintf(out, out_len,
		 "ok md_drop=%u md_dup=%u md_reorder=%u reject=%u delay_us=%u withhold=%llu+%llu "
		 "md_seq=%llu fills=%llu rejected=%llu dup_tokens=%llu",
		 f->md_drop_permille, f->md_dup_permille, f->md_reorder_permille,
		 f->reject_permille, f->delay_us, (unsigned long long)f->withhold_from,
		 (unsigned long long)f->withhold_count, (unsigned long long)v->next_md_seq,
		 (unsigned long long)v->st.fills, (unsigned long long)v->st.rejected,
		 (unsigned long long)v->st.dup_tokens);
	return 0;
}

static void control_read(struct ps_venue *v)
{
	char buf[256], reply[512];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ssize_t n;

	while ((n = recvfrom(v->ctl_fd, buf, sizeof(buf) - 1, MSG_DONTWAIT,
			     (struct sockaddr *)&from, &fl)) > 0) {
		buf[n] = '\0';
		buf[strcspn(buf, "\r\n")] = '\0';
		ps_venue_control(v, buf, reply, sizeof(reply));
		fprintf(stderr, "venue: control '%s': %s\n", buf, reply);
		sendto(v->ctl_fd, reply, strlen(reply), MSG_DONTWAIT, (struct sockaddr *)&from, fl);
		fl = sizeof(from);
	}
}

static void accept_conns(struct ps_venue *v)
{
	for (;;) {
		int fd = accept4(v->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		int one = 1, ci = -1;
		if (fd < 0)
			return;
		for (int i = 0; i < MAX_CONNS; i++)
			if (!v->conns[i]) {
				ci = i;
				break;
			}
		struct vconn *c = ci >= 0 ? ps_calloc(1, sizeof(*c)) : NULL;
		if (!c) {
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->fd = fd;
		c->id = ++v->last_conn_id;
		c->user = -1;
		c->last_rx_ns = c->last_tx_ns = mono_ns();
		ps_soup_stream_init(&c->rx, c->rxbuf, RX_BUF, PS_SOUP_DIR_FROM_CLIENT);
		v->conns[ci] = c;
		epoll_add(v->ep, fd, (uint64_t)ci);
	}
}

/* Heartbeats both ways, idle timeouts, output, delayed orders. */
static void housekeeping(struct ps_venue *v, uint64_t now)
{
	uint64_t hb = (uint64_t)v->cfg.heartbeat_ms * 1000000u;

	while (v->delay_head != v->delay_tail) {
		struct delayed *d = &v->delay[v->delay_head % DELAY_SLOTS];
		if (d->due_ns > now)
			break;
		v->delay_head++;
		handle_delayed(v, d);
	}
	for (int i = 0; i < MAX_CONNS; i++) {
		struct vconn *c = v->conns[i];
		if (!c)
			continue;
		if (now - c->last_rx_ns > (uint64_t)v->cfg.idle_timeout_ms * 1000000u) {
			conn_close(v, i, "no heartbeat from the client");
			continue;
		}
		if (c->user >= 0 && now - c->last_tx_ns >= hb)
			conn_put(c, PS_SOUP_SERVER_HEARTBEAT, NULL, 0);
		conn_flush(c);
		if (c->close_after_flush && !c->out_len)
			conn_close(v, i, "closed by the venue (fault injection or login reject)");
	}
	if (now - v->last_md_ns >= hb) {
		uint8_t pkt[PS_MOLDUDP_HDR_LEN];
		int n = ps_moldudp_heartbeat_encode(pkt, sizeof(pkt), v->session, v->next_md_seq,
						    false);
		if (n > 0)
			md_send(v, pkt, (size_t)n);
	}
}

int ps_venue_run(struct ps_venue *v, volatile sig_atomic_t *stop)
{
	struct epoll_event evs[32];

	v->start_ns = mono_ns();
	while (!*stop) {
		uint64_t now = mono_ns();
		int timeout_ms = 50;

		replay_step(v, now);
		md_flush(v);
		housekeeping(v, now);
		if (v->cfg.duration_s > 0 && (double)(now - v->start_ns) / 1e9 >= v->cfg.duration_s)
			break;
		if (v->replay_done && v->cfg.lobster[0] &&
		    (double)(now - v->done_ns) / 1e9 >= v->cfg.linger_s)
			break;
		uint64_t due = replay_due(v);
		if (!v->replay_done && v->cfg.lobster[0] && (v->cfg.speed <= 0 || due <= now))
			timeout_ms = 0;
		else if (due && due > now && (due - now) / 1000000u < (uint64_t)timeout_ms)
			timeout_ms = (int)((due - now) / 1000000u);
		if (v->delay_head != v->delay_tail)
			timeout_ms = timeout_ms > 1 ? 1 : timeout_ms;
		for (int i = 0; i < MAX_CONNS; i++)
			if (v->conns[i] && v->conns[i]->out_len)
				timeout_ms = timeout_ms > 1 ? 1 : timeout_ms;
		if (v->fix) { /* FIX sockets are polled here, so wake at least every ms */
			ps_venue__fix_poll(v->fix);
			timeout_ms = timeout_ms > 1 ? 1 : timeout_ms;
		}
		int n = epoll_wait(v->ep, evs, 32, timeout_ms);
		if (n < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; i < n; i++) {
			uint64_t tag = evs[i].data.u64;
			if (tag == TAG_LISTEN)
				accept_conns(v);
			else if (tag == TAG_REREQ)
				ps_moldudp_server_poll(&v->rereq);
			else if (tag == TAG_CTL)
				control_read(v);
			else if (tag < MAX_CONNS && v->conns[tag])
				conn_read(v, (int)tag);
		}
		md_flush(v);
		for (int i = 0; i < MAX_CONNS; i++)
			if (v->conns[i])
				conn_flush(v->conns[i]);
	}
	/* End of session on the feed, then let clients read what is pending. */
	uint8_t pkt[PS_MOLDUDP_HDR_LEN];
	int n = ps_moldudp_heartbeat_encode(pkt, sizeof(pkt), v->session, v->next_md_seq, true);
	md_flush(v);
	if (n > 0)
		md_send(v, pkt, (size_t)n);
	for (int i = 0; i < MAX_CONNS; i++)
		if (v->conns[i]) {
			conn_put(v->conns[i], PS_SOUP_END_OF_SESSION, NULL, 0);
			conn_flush(v->conns[i]);
		}
	return 0;
}

void ps_venue_print_summary(const struct ps_venue *v, FILE *f)
{
	const struct venue_stats *s = &v->st;

	fprintf(f, "venue summary\n");
	fprintf(f, "  replayed messages   %llu\n", (unsigned long long)s->bg_msgs);
	fprintf(f,
		"  md messages         %llu in %llu packets (dropped %llu, duplicated %llu, "
		"reordered %llu)\n",
		(unsigned long long)s->md_msgs, (unsigned long long)s->md_packets,
		(unsigned long long)s->md_dropped, (unsigned long long)s->md_duped,
		(unsigned long long)s->md_reordered);
	fprintf(f, "  re-requests         %llu (%llu messages resent)\n",
		(unsigned long long)v->rereq.stats.requests,
		(unsigned long long)v->rereq.stats.answered_msgs);
	fprintf(f, "  logins              %llu (rejected %llu), disconnects %llu\n",
		(unsigned long long)s->logins, (unsigned long long)s->login_rejects,
		(unsigned long long)s->disconnects);
	fprintf(f,
		"  orders              %llu entered, %llu accepted, %llu rejected, "
		"%llu cancels, %llu replaces\n",
		(unsigned long long)s->enters, (unsigned long long)s->accepted,
		(unsigned long long)s->rejected, (unsigned long long)s->cancels,
		(unsigned long long)s->replaces);
	fprintf(f, "  client fills        %llu for %llu shares\n", (unsigned long long)s->fills,
		(unsigned long long)s->filled_qty);
	fprintf(f, "  matching            %llu executions for %llu shares\n",
		(unsigned long long)v->match.stats.executions,
		(unsigned long long)v->match.stats.executed_qty);
	for (uint32_t i = 0; i < v->cfg.user_count; i++)
		fprintf(f,
			"  user %-6s          %llu orders, %llu fills, %llu shares, %llu "
			"sequenced messages\n",
			v->users[i].u.name, (unsigned long long)v->users[i].orders,
			(unsigned long long)v->users[i].fills,
			(unsigned long long)v->users[i].filled_qty,
			(unsigned long long)v->users[i].count);
}

/* ---- for the FIX gateway (venue_internal.h) -------------------------------- */

void ps_venue__enter(struct ps_venue *v, int user, const struct ps_ouch_enter_order *e)
{
	do_enter(v, user, e);
}

void ps_venue__cancel(struct ps_venue *v, int user, const struct ps_ouch_cancel_order *c)
{
	do_cancel(v, user, c);
}

void ps_venue__replace(struct ps_venue *v, int user, const struct ps_ouch_replace_order *r)
{
	do_replace(v, user, r);
}
