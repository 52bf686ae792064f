/*
 * SoupBinTCP server connection against the Soup client, both driven from
 * this one thread over real sockets on 127.0.0.1: login with replay from a
 * message store, unsequenced orders answered with sequenced messages,
 * heartbeats both ways, logout, reconnect from the next sequence number,
 * login rejected, End of Session, a silent client and a client that never
 * logs in. Exits 77 when io_uring is unavailable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ps/ouch.h>
#include <ps/soup_client.h>
#include <ps/soup_server.h>

#define MS 1000000ull

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The "venue": a message store, one server connection, a listener. */
struct venue {
	struct ps_soup_server_conn conn;
	void *mem;
	int lfd;
	struct sockaddr_in addr;
	uint8_t store[64][PS_OUCH_MAX_LEN];
	uint16_t store_len[64];
	uint32_t nstore; /* messages 1..nstore exist */
	uint64_t replay; /* next stored message to send on this connection */
	int reject;      /* reject reason for the next login, 0 = accept */
	int ev[32];
	int err[32];
	int nev;
	int orders;
	struct ps_soup_login_request last_login;
};

/* Client side. */
struct cli {
	struct ps_soup_client c;
	void *mem;
	uint64_t seqs[64];
	uint8_t types[64];
	int nmsg;
	int ev[32];
	int err[32];
	int nev;
};

static void store_add(struct venue *v, const uint8_t *m, size_t len)
{
	memcpy(v->store[v->nstore], m, len);
	v->store_len[v->nstore] = (uint16_t)len;
	v->nstore++;
}

/* Sends stored messages from v->replay on, as far as the buffer allows. */
static void venue_pump(struct venue *v)
{
	while (v->replay >= 1 && v->replay <= v->nstore &&
	       ps_soup_server_conn_state(&v->conn) == PS_SOUP_SERVER_LOGGED_IN) {
		uint16_t len = v->store_len[v->replay - 1];
		uint8_t *p = ps_soup_server_conn_claim(&v->conn, len);
		if (!p)
			break;
		memcpy(p, v->store[v->replay - 1], len);
		assert_int_equal(ps_soup_server_conn_next_seq(&v->conn), v->replay);
		ps_soup_server_conn_commit(&v->conn, now_ns());
		v->replay++;
	}
}

static int on_login(void *ctx, const struct ps_soup_login_request *req, char *session,
		    uint64_t *next_seq)
{
	struct venue *v = ctx;
	v->last_login = *req;
	if (v->reject)
		return v->reject;
	strcpy(session, "VENUE1");
	*next_seq = req->seq ? req->seq : v->nstore + 1;
	v->replay = *next_seq;
	return 0;
}

static void on_order(void *ctx, const uint8_t *msg, uint16_t len)
{
	struct venue *v = ctx;
	struct ps_ouch_msg m = { 0 };
	if (ps_ouch_decode_inbound(msg, len, &m) != 0 || m.type != PS_OUCH_ENTER_ORDER)
		return;
	v->orders++;
	struct ps_ouch_accepted a = { .shares = m.u.enter.shares,
				      .price = m.u.enter.price,
				      .order_state = 'L',
				      .side = m.u.enter.side };
	memcpy(a.token, m.u.enter.token, 14);
	memcpy(a.stock, m.u.enter.stock, 8);
	uint8_t out[PS_OUCH_MAX_LEN];
	size_t n = ps_ouch_encode_accepted(out, PS_OUCH_ACCEPTED, &a);
	store_add(v, out, n);
}

static void on_venue_event(void *ctx, int ev, int err)
{
	struct venue *v = ctx;
	if (v->nev < 32) {
		v->ev[v->nev] = ev;
		v->err[v->nev] = err;
		v->nev++;
	}
}

static void on_cli_msg(void *ctx, uint64_t seq, const uint8_t *msg, uint16_t len)
{
	struct cli *c = ctx;
	if (c->nmsg < 64 && len > 0) {
		c->seqs[c->nmsg] = seq;
		c->types[c->nmsg] = msg[0];
		c->nmsg++;
	}
}

static void on_cli_event(void *ctx, int ev, int err)
{
	struct cli *c = ctx;
	if (c->nev < 32) {
		c->ev[c->nev] = ev;
		c->err[c->nev] = err;
		c->nev++;
	}
}

static int count(const int *evs, int n, int ev)
{
	int k = 0;
	for (int i = 0; i < n; i++)
		k += evs[i] == ev;
	return k;
}

static struct venue *venue_new(uint64_t timeout_ns, uint64_t login_timeout_ns)
{
	struct venue *v = calloc(1, sizeof(*v));
	struct ps_soup_server_config cfg = { .heartbeat_ns = 20 * MS,
					     .timeout_ns = timeout_ns,
					     .login_timeout_ns = login_timeout_ns,
					     .tx_cap = 4096,
					     .on_login = on_login,
					     .on_msg = on_order,
					     .on_event = on_venue_event,
					     .ctx = v };
	v->mem = malloc(ps_soup_server_conn_memsize(&cfg));
	int rc = ps_soup_server_conn_init(&v->conn, v->mem, &cfg);
	if (rc == -ENOSYS || rc == -EPERM) {
		fprintf(stderr, "io_uring unavailable (%d): skip\n", rc);
		exit(77);
	}
	assert_int_equal(rc, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	v->lfd = ps_tcp_listen(&a, 4);
	assert_true(v->lfd >= 0);
	a.sin_port = htons((uint16_t)ps_tcp_local_port(v->lfd));
	v->addr = a;
	return v;
}

static void venue_free(struct venue *v)
{
	ps_soup_server_conn_fini(&v->conn);
	close(v->lfd);
	free(v->mem);
	free(v);
}

static struct cli *cli_new(const struct venue *v, uint64_t start_seq, uint64_t heartbeat_ns)
{
	struct cli *c = calloc(1, sizeof(*c));
	struct ps_soup_client_config cfg = { .addr = v->addr,
					     .username = "alice",
					     .password = "pw1",
					     .session = "VENUE1",
					     .start_seq = start_seq,
					     .heartbeat_ns = heartbeat_ns,
					     .timeout_ns = 2000 * MS,
					     .backoff_min_ns = 10 * MS,
					     .rx_cap = 4096,
					     .tx_cap = 4096,
					     .on_msg = on_cli_msg,
					     .on_event = on_cli_event,
					     .ctx = c };
	c->mem = malloc(ps_soup_client_memsize(&cfg));
	assert_int_equal(ps_soup_client_init(&c->c, c->mem, &cfg), 0);
	return c;
}

static void cli_free(struct cli *c)
{
	ps_soup_client_fini(&c->c);
	free(c->mem);
	free(c);
}

/* One round: client, accept, server, replay. */
static void step(struct venue *v, struct cli *c)
{
	uint64_t t = now_ns();
	if (c)
		ps_soup_client_poll(&c->c, t);
	if (ps_soup_server_conn_state(&v->conn) == PS_SOUP_SERVER_IDLE) {
		int fd = ps_tcp_accept(v->lfd);
		if (fd >= 0)
			assert_int_equal(ps_soup_server_conn_adopt(&v->conn, fd, t), 0);
	}
	ps_soup_server_conn_poll(&v->conn, t);
	venue_pump(v);
}

#define RUN_UNTIL(v, c, cond, ms)                             \
	do {                                                  \
		uint64_t end_ = now_ns() + (uint64_t)(ms)*MS; \
		while (!(cond) && now_ns() < end_)            \
			step((v), (c));                       \
		assert_true(cond);                            \
	} while (0)

static void run_for(struct venue *v, struct cli *c, int ms)
{
	uint64_t end = now_ns() + (uint64_t)ms * MS;
	while (now_ns() < end)
		step(v, c);
}

static void send_enter(struct cli *c, uint32_t k)
{
	struct ps_ouch_enter_order o = { .side = 'B', .shares = 100 + k, .price = 1234500 };
	ps_ouch_pad(o.token, 14, "TOKEN");
	o.token[13] = (char)('0' + k);
	ps_ouch_pad(o.stock, 8, "AAPL");
	uint8_t *p = ps_soup_client_claim(&c->c, PS_OUCH_ENTER_ORDER_LEN);
	assert_non_null(p);
	ps_ouch_encode_enter_order(p, &o);
	ps_soup_client_commit(&c->c, now_ns());
	ps_soup_client_flush(&c->c);
}

static void test_soup_server_session_replay_orders_logout_reconnect(void **state)
{
	(void)state;
	struct venue *v = venue_new(2000 * MS, 2000 * MS);
	/* Three messages already in the session. */
	for (int i = 0; i < 3; i++) {
		uint8_t m[PS_OUCH_MAX_LEN];
		size_t n = ps_ouch_encode_system_event(m, (uint64_t)i, 'S');
		store_add(v, m, n);
	}
	struct cli *c = cli_new(v, 1, 15 * MS);
	assert_int_equal(ps_soup_client_start(&c->c, now_ns()), 0);
	RUN_UNTIL(v, c, c->nmsg == 3, 3000);
	assert_int_equal(ps_soup_client_state(&c->c), PS_SOUP_CLIENT_LOGGED_IN);
	assert_string_equal(v->last_login.username, "alice");
	assert_string_equal(v->last_login.password, "pw1");
	assert_string_equal(v->last_login.session, "VENUE1");
	assert_int_equal(v->last_login.seq, 1);
	assert_string_equal(c->c.session, "VENUE1");
	for (int i = 0; i < 3; i++) {
		assert_int_equal(c->seqs[i], i + 1);
		assert_int_equal(c->types[i], 'S');
	}
	/* Two orders, each answered with a sequenced Accepted. */
	send_enter(c, 1);
	send_enter(c, 2);
	RUN_UNTIL(v, c, c->nmsg == 5, 3000);
	assert_int_equal(v->orders, 2);
	assert_int_equal(c->types[3], 'A');
	assert_int_equal(c->seqs[4], 5);
	assert_int_equal(ps_soup_server_conn_next_seq(&v->conn), 6);
	run_for(v, c, 100);
	assert_true(v->conn.stats.heartbeats_rx >= 2);
	assert_true(c->c.stats.heartbeats_rx >= 2);
	assert_int_equal(count(c->ev, c->nev, PS_SOUP_CLIENT_EV_CAUGHT_UP), 1);
	assert_int_equal(ps_soup_client_logout(&c->c, now_ns()), 0);
	RUN_UNTIL(v, c, count(v->ev, v->nev, PS_SOUP_SERVER_EV_LOGGED_OUT) == 1, 3000);
	assert_int_equal(ps_soup_server_conn_state(&v->conn), PS_SOUP_SERVER_IDLE);
	uint64_t next = ps_soup_client_next_seq(&c->c);
	assert_int_equal(next, 6);
	cli_free(c);

	/* Meanwhile the session moves on; a restarted client asks for 6. */
	uint8_t m[PS_OUCH_MAX_LEN];
	size_t mlen = ps_ouch_encode_system_event(m, 99, 'E');
	store_add(v, m, mlen);
	c = cli_new(v, next, 15 * MS);
	assert_int_equal(ps_soup_client_start(&c->c, now_ns()), 0);
	RUN_UNTIL(v, c, c->nmsg == 1, 3000);
	assert_int_equal(v->last_login.seq, 6);
	assert_int_equal(c->seqs[0], 6);
	assert_int_equal(c->types[0], 'S');
	assert_int_equal(count(v->ev, v->nev, PS_SOUP_SERVER_EV_LOGGED_IN), 2);

	/* End of Session from the venue. */
	assert_int_equal(ps_soup_server_conn_end_session(&v->conn, now_ns()), 0);
	RUN_UNTIL(v, c, count(c->ev, c->nev, PS_SOUP_CLIENT_EV_END_OF_SESSION) == 1, 3000);
	RUN_UNTIL(v, c, ps_soup_server_conn_state(&v->conn) == PS_SOUP_SERVER_IDLE, 3000);
	assert_int_equal(ps_soup_client_state(&c->c), PS_SOUP_CLIENT_STOPPED);
	assert_int_equal(ps_soup_server_conn_end_session(&v->conn, now_ns()), -ENOTCONN);
	cli_free(c);
	venue_free(v);
}

static void test_soup_server_rejects_login(void **state)
{
	(void)state;
	struct venue *v = venue_new(2000 * MS, 2000 * MS);
	v->reject = PS_SOUP_REJECT_NOT_AUTHORIZED;
	struct cli *c = cli_new(v, 1, 15 * MS);
	assert_int_equal(ps_soup_client_start(&c->c, now_ns()), 0);
	RUN_UNTIL(v, c, count(c->ev, c->nev, PS_SOUP_CLIENT_EV_LOGIN_REJECTED) == 1, 3000);
	assert_int_equal(c->c.last_reject, 'A');
	RUN_UNTIL(v, c, ps_soup_server_conn_state(&v->conn) == PS_SOUP_SERVER_IDLE, 3000);
	assert_int_equal(count(v->ev, v->nev, PS_SOUP_SERVER_EV_LOGIN_REJECTED), 1);
	assert_int_equal(v->conn.stats.rejects, 1);
	cli_free(c);
	venue_free(v);
}

static void test_soup_server_detects_silent_client(void **state)
{
	(void)state;
	struct venue *v = venue_new(100 * MS, 2000 * MS);
	/* The client sends a heartbeat only every 10 s: silent for the server. */
	struct cli *c = cli_new(v, 1, 10000 * MS);
	assert_int_equal(ps_soup_client_start(&c->c, now_ns()), 0);
	RUN_UNTIL(v, c, count(v->ev, v->nev, PS_SOUP_SERVER_EV_LOGGED_IN) == 1, 3000);
	uint64_t t0 = now_ns();
	RUN_UNTIL(v, c, count(v->ev, v->nev, PS_SOUP_SERVER_EV_DISCONNECTED) == 1, 3000);
	assert_true(now_ns() - t0 >= 90 * MS);
	assert_int_equal(v->err[v->nev - 1], PS_ETIMEOUT);
	ps_soup_client_stop(&c->c);
	cli_free(c);
	venue_free(v);
}

static void test_soup_server_drops_client_that_never_logs_in(void **state)
{
	(void)state;
	struct venue *v = venue_new(2000 * MS, 80 * MS);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&v->addr, sizeof(v->addr)), 0);
	RUN_UNTIL(v, NULL, ps_soup_server_conn_state(&v->conn) == PS_SOUP_SERVER_AWAIT_LOGIN, 3000);
	RUN_UNTIL(v, NULL, count(v->ev, v->nev, PS_SOUP_SERVER_EV_DISCONNECTED) == 1, 3000);
	assert_int_equal(v->err[0], PS_ETIMEOUT);
	/* Garbage instead of a login is a protocol error. */
	close(fd);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&v->addr, sizeof(v->addr)), 0);
	uint8_t junk[3] = { 0, 1, 'R' };
	assert_int_equal(send(fd, junk, 3, 0), 3);
	RUN_UNTIL(v, NULL, count(v->ev, v->nev, PS_SOUP_SERVER_EV_DISCONNECTED) == 2, 3000);
	assert_int_equal(v->err[1], PS_EPROTOCOL);
	close(fd);
	venue_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_soup_server_session_replay_orders_logout_reconnect),
		cmocka_unit_test(test_soup_server_rejects_login),
		cmocka_unit_test(test_soup_server_detects_silent_client),
		cmocka_unit_test(test_soup_server_drops_client_that_never_logs_in),
	};
	return cmocka_run_group_tests_name("exec_soup_server", tests, NULL, NULL);
}
