/*
 * io_uring transport + SoupBinTCP client session against a scripted server
 * thread over real sockets on 127.0.0.1: login, sequenced data, heartbeats
 * both ways, heartbeat timeout, a server that drops mid-packet, reconnect
 * asking for the next sequence number (the server replays what was
 * missed), refused connects with backoff, login rejected. Exits 77 when
 * io_uring is unavailable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include <ps/soup_client.h>

#include "soup_test_server.h"

#define MS 1000000ull

struct cl {
	struct ps_soup_client c;
	void *mem;
	uint64_t seqs[64];
	uint8_t first_byte[64];
	int nmsg;
	int ev[64];
	int err[64];
	int nev;
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void on_msg(void *ctx, uint64_t seq, const uint8_t *msg, uint16_t len)
{
	struct cl *c = ctx;
	if (c->nmsg < 64) {
		c->seqs[c->nmsg] = seq;
		c->first_byte[c->nmsg] = len ? msg[len - 1] : 0;
		c->nmsg++;
	}
}

static void on_event(void *ctx, int ev, int err)
{
	struct cl *c = ctx;
	if (c->nev < 64) {
		c->ev[c->nev] = ev;
		c->err[c->nev] = err;
		c->nev++;
	}
}

static int count_ev(const struct cl *c, int ev)
{
	int n = 0;
	for (int i = 0; i < c->nev; i++)
		n += c->ev[i] == ev;
	return n;
}

static int last_err_of(const struct cl *c, int ev)
{
	for (int i = c->nev - 1; i >= 0; i--)
		if (c->ev[i] == ev)
			return c->err[i];
	return 1;
}

static struct cl *cl_new(struct sockaddr_in addr, uint64_t timeout_ns)
{
	struct cl *c = calloc(1, sizeof(*c));
	struct ps_soup_client_config cfg = {
		.addr = addr,
		.username = "tester",
		.password = "secret",
		.session = "",
		.start_seq = 1,
		.heartbeat_ns = 30 * MS,
		.timeout_ns = timeout_ns,
		.connect_timeout_ns = 500 * MS,
		.backoff_min_ns = 20 * MS,
		.backoff_max_ns = 80 * MS,
		.rx_cap = 4096,
		.tx_cap = 4096,
		.on_msg = on_msg,
		.on_event = on_event,
		.ctx = c,
	};
	c->mem = malloc(ps_soup_client_memsize(&cfg));
	int rc = ps_soup_client_init(&c->c, c->mem, &cfg);
	if (rc == -ENOSYS || rc == -EPERM) {
		fprintf(stderr, "io_uring unavailable (%d): skip\n", rc);
		exit(77);
	}
	assert_int_equal(rc, 0);
	return c;
}

static void cl_free(struct cl *c)
{
	ps_soup_client_fini(&c->c);
	free(c->mem);
	free(c);
}

/* Polls until pred(c) or timeout_ms; @return pred's last value. */
static bool run_until(struct cl *c, bool (*pred)(const struct cl *), int timeout_ms)
{
	uint64_t end = now_ns() + (uint64_t)timeout_ms * MS;
	while (now_ns() < end) {
		ps_soup_client_poll(&c->c, now_ns());
		if (pred(c))
			return true;
	}
	return pred(c);
}

static void run_for(struct cl *c, int ms)
{
	uint64_t end = now_ns() + (uint64_t)ms * MS;
	while (now_ns() < end)
		ps_soup_client_poll(&c->c, now_ns());
}

static void log_msgs(struct srv *s, int n)
{
	for (int i = 0; i < n; i++) {
		uint8_t m[PS_OUCH_MAX_LEN];
		size_t len =
		    ps_ouch_encode_system_event(m, 1000u + (uint64_t)i, (uint8_t)('a' + i));
		memcpy(s->log[s->nlog], m, len);
		s->log_len[s->nlog] = (uint16_t)len;
		s->nlog++;
	}
}

static bool logged_in_3_caught_up(const struct cl *c)
{
	return c->nmsg == 3 && count_ev(c, PS_SOUP_CLIENT_EV_CAUGHT_UP) == 1;
}

static bool stopped(const struct cl *c)
{
	return ps_soup_client_state(&c->c) == PS_SOUP_CLIENT_STOPPED;
}

static void test_session_login_data_heartbeats_logout(void **state)
{
	(void)state;
	struct srv *s = calloc(1, sizeof(*s));
	assert_int_equal(srv_open(s), 0);
	log_msgs(s, 3);
	s->script[0] = (struct srv_script){ .send_count = -1, .heartbeat_ms = 20 };
	s->nscript = 1;
	srv_start(s);
	struct cl *c = cl_new(srv_addr(s), 2000 * MS);
	assert_int_equal(ps_soup_client_start(&c->c, now_ns()), 0);
	assert_int_equal(ps_soup_client_start(&c->c, now_ns()), -EBUSY);
	assert_true(run_until(c, logged_in_3_caught_up, 3000));
	assert_int_equal(ps_soup_client_state(&c->c), PS_SOUP_CLIENT_LOGGED_IN);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(c->seqs[i], i + 1);
		assert_int_equal(c->first_byte[i], 'a' + i);
	}
	assert_int_equal(ps_soup_client_next_seq(&c->c), 4);
	assert_int_equal(c->ev[0], PS_SOUP_CLIENT_EV_LOGGED_IN);
	assert_string_equal(c->c.session, "TESTSESS");
	run_for(c, 150); /* several heartbeat intervals each way */
	assert_true(c->c.stats.heartbeats_rx >= 2);
	assert_true(c->c.stats.heartbeats_tx >= 2);
	assert_int_equal(ps_soup_client_state(&c->c), PS_SOUP_CLIENT_LOGGED_IN);
	assert_int_equal(ps_soup_client_logout(&c->c, now_ns()), 0);
	assert_true(run_until(c, stopped, 2000));
	assert_int_equal(count_ev(c, PS_SOUP_CLIENT_EV_LOGGED_OUT), 1);
	srv_join(s);
	assert_int_equal(s->conns, 1);
	assert_int_equal(s->login_seq[0], 1);
	assert_string_equal(s->login_user[0], "tester");
	assert_string_equal(s->login_session[0], "");
	assert_true(s->client_heartbeats >= 2);
	assert_int_equal(s->logouts, 1);
	cl_free(c);
	free(s);
}

static bool disconnected(const struct cl *c)
{
	return count_ev(c, PS_SOUP_CLIENT_EV_DISCONNECTED) > 0;
}

static void test_session_heartbeat_timeout_detected(void **state)
{
	(void)state;
	struct srv *s = calloc(1, sizeof(*s));
	assert_int_equal(srv_open(s), 0);
	s->script[0] = (struct srv_script){ .send_count = -1, .silent = true };
	s->nscript = 1;
	srv_start(s);
	struct cl *c = cl_new(srv_addr(s), 200 * MS);
	uint64_t t0 = now_ns();
	assert_int_equal(ps_soup_client_start(&c->c, t0), 0);
	assert_true(run_until(c, disconnected, 3000));
	uint64_t took = now_ns() - t0;
	assert_int_equal(last_err_of(c, PS_SOUP_CLIENT_EV_DISCONNECTED), PS_ETIMEOUT);
	assert_true(took >= 200 * MS);
	assert_int_equal(count_ev(c, PS_SOUP_CLIENT_EV_LOGGED_IN), 1);
	assert_int_equal(ps_soup_client_state(&c->c), PS_SOUP_CLIENT_BACKOFF);
	ps_soup_client_stop(&c->c);
	srv_join(s);
	cl_free(c);
	free(s);
}

static void test_session_server_disconnect_mid_stream(void **state)
{
	(void)state;
	struct srv *s = calloc(1, sizeof(*s));
	assert_int_equal(srv_open(s), 0);
	log_msgs(s, 2);
	s->script[0] = (struct srv_script){ .send_count = 1, .cut_mid = true };
	s->nscript = 1;
	srv_start(s);
	struct cl *c = cl_new(srv_addr(s), 2000 * MS);
	assert_int_equal(ps_soup_client_start(&c->c, now_ns()), 0);
	assert_true(run_until(c, disconnected, 3000));
	assert_int_equal(last_err_of(c, PS_SOUP_CLIENT_EV_DISCONNECTED), PS_EDISCONNECTED);
	assert_int_equal(c->nmsg, 1);
	/* The half packet was not delivered; we still expect message 2. */
	assert_int_equal(ps_soup_client_next_seq(&c->c), 2);
	ps_soup_client_stop(&c->c);
	srv_join(s);
	cl_free(c);
	free(s);
}

static bool got_10(const struct cl *c)
{
	return c->nmsg >= 10;
}

static void test_session_reconnect_requests_next_sequence(void **state)
{
	(void)state;
	struct srv *s = calloc(1, sizeof(*s));
	assert_int_equal(srv_open(s), 0);
	log_msgs(s, 10);
	s->script[0] = (struct srv_script){ .send_count = 4, .close_after = true };
	s->script[1] = (struct srv_script){ .send_count = -1 };
	s->nscript = 2;
	srv_start(s);
	struct cl *c = cl_new(srv_addr(s), 2000 * MS);
	assert_int_equal(ps_soup_client_start(&c->c, now_ns()), 0);
	assert_true(run_until(c, got_10, 5000));
	run_for(c, 50);
	assert_int_equal(c->nmsg, 10);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(c->seqs[i], i + 1);
		assert_int_equal(c->first_byte[i], 'a' + i);
	}
	assert_int_equal(ps_soup_client_next_seq(&c->c), 11);
	assert_int_equal(count_ev(c, PS_SOUP_CLIENT_EV_LOGGED_IN), 2);
	assert_int_equal(count_ev(c, PS_SOUP_CLIENT_EV_DISCONNECTED), 1);
	assert_int_equal(last_err_of(c, PS_SOUP_CLIENT_EV_DISCONNECTED), PS_EDISCONNECTED);
	assert_int_equal(c->c.stats.seq_jumps, 0);
	assert_int_equal(ps_soup_client_logout(&c->c, now_ns()), 0);
	assert_true(run_until(c, stopped, 2000));
	srv_join(s);
	assert_int_equal(s->conns, 2);
	assert_int_equal(s->login_seq[0], 1);
	assert_int_equal(s->login_seq[1], 5);
	cl_free(c);
	free(s);
}

static bool two_connect_failures(const struct cl *c)
{
	return count_ev(c, PS_SOUP_CLIENT_EV_CONNECT_FAILED) >= 2;
}

static void test_session_connect_refused_retries_with_backoff(void **state)
{
	(void)state;
	/* A port nobody listens on: bind one, note it, close it. */
	static struct srv tmp;
	assert_int_equal(srv_open(&tmp), 0);
	struct sockaddr_in a = srv_addr(&tmp);
	close(tmp.lfd);
	struct cl *c = cl_new(a, 2000 * MS);
	uint64_t t0 = now_ns();
	assert_int_equal(ps_soup_client_start(&c->c, t0), 0);
	assert_true(run_until(c, two_connect_failures, 3000));
	assert_true(now_ns() - t0 >= 20 * MS); /* waited out the first backoff */
	assert_int_equal(last_err_of(c, PS_SOUP_CLIENT_EV_CONNECT_FAILED), -ECONNREFUSED);
	assert_true(c->c.stats.connects >= 2);
	ps_soup_client_stop(&c->c);
	cl_free(c);
}

static bool rejected(const struct cl *c)
{
	return count_ev(c, PS_SOUP_CLIENT_EV_LOGIN_REJECTED) > 0;
}

static void test_session_login_rejected_not_authorized_stops(void **state)
{
	(void)state;
	struct srv *s = calloc(1, sizeof(*s));
	assert_int_equal(srv_open(s), 0);
	s->script[0] = (struct srv_script){ .reject = PS_SOUP_REJECT_NOT_AUTHORIZED };
	s->nscript = 1;
	srv_start(s);
	struct cl *c = cl_new(srv_addr(s), 2000 * MS);
	assert_int_equal(ps_soup_client_start(&c->c, now_ns()), 0);
	assert_true(run_until(c, rejected, 3000));
	assert_int_equal(last_err_of(c, PS_SOUP_CLIENT_EV_LOGIN_REJECTED), PS_ELOGIN);
	assert_int_equal(c->c.last_reject, 'A');
	assert_int_equal(ps_soup_client_state(&c->c), PS_SOUP_CLIENT_STOPPED);
	srv_join(s);
	cl_free(c);
	free(s);
}

static bool ended(const struct cl *c)
{
	return count_ev(c, PS_SOUP_CLIENT_EV_END_OF_SESSION) > 0;
}

static void test_session_end_of_session_stops(void **state)
{
	(void)state;
	struct srv *s = calloc(1, sizeof(*s));
	assert_int_equal(srv_open(s), 0);
	log_msgs(s, 2);
	s->script[0] = (struct srv_script){ .send_count = -1, .end_session = true };
	s->nscript = 1;
	srv_start(s);
	struct cl *c = cl_new(srv_addr(s), 2000 * MS);
	assert_int_equal(ps_soup_client_start(&c->c, now_ns()), 0);
	assert_true(run_until(c, ended, 3000));
	/* Messages before End of Session are delivered; no reconnect after. */
	assert_int_equal(c->nmsg, 2);
	assert_int_equal(ps_soup_client_state(&c->c), PS_SOUP_CLIENT_STOPPED);
	run_for(c, 100);
	assert_int_equal(c->c.stats.connects, 1);
	srv_join(s);
	cl_free(c);
	free(s);
}

/* Transport alone: many committed packets with back-pressure arrive whole
 * and in order (partial sends are resubmitted). */
static void test_tcp_uring_bulk_send_arrives_in_order(void **state)
{
	(void)state;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int lfd = ps_tcp_listen(&a, 4);
	assert_true(lfd >= 0);
	a.sin_port = htons((uint16_t)ps_tcp_local_port(lfd));
	struct ps_tcp_uring t;
	struct ps_tcp_uring_config cfg = { .sq_entries = 8, .send_cap = 8192 };
	void *mem = malloc(ps_tcp_uring_memsize(&cfg));
	int rc = ps_tcp_uring_init(&t, mem, &cfg);
	if (rc == -ENOSYS || rc == -EPERM)
		exit(77);
	assert_int_equal(rc, 0);
	assert_int_equal(ps_tcp_uring_connect(&t, &a, 500 * MS), 0);
	uint32_t n;
	int sfd = -1;
	for (int i = 0; i < 100000 && t.state != PS_TCP_CONNECTED; i++) {
		ps_tcp_uring_poll(&t, &n);
		if (sfd < 0)
			sfd = ps_tcp_accept(lfd);
	}
	while (sfd < 0)
		sfd = ps_tcp_accept(lfd);
	assert_int_equal(t.state, PS_TCP_CONNECTED);
	/* 4 MB of a counting byte pattern in 1000-byte records. */
	const uint32_t total = 4u << 20;
	uint32_t sent = 0;
	uint32_t got = 0;
	uint8_t buf[65536];
	while (got < total) {
		if (sent < total) {
			uint32_t k = PS_MIN(1000u, total - sent);
			uint8_t *p = ps_tcp_uring_send_claim(&t, k);
			if (p) {
				for (uint32_t i = 0; i < k; i++)
					p[i] = (uint8_t)((sent + i) * 7u);
				ps_tcp_uring_send_commit(&t, k);
				sent += k;
			}
		}
		ps_tcp_uring_poll(&t, &n);
		ssize_t r = recv(sfd, buf, sizeof(buf), MSG_DONTWAIT);
		if (r > 0) {
			for (ssize_t i = 0; i < r; i++)
				assert_int_equal(buf[i], (uint8_t)((got + (uint32_t)i) * 7u));
			got += (uint32_t)r;
		}
	}
	/* The receiver has everything; the last completion may still be due. */
	for (int i = 0; i < 1000000 && ps_tcp_uring_unsent(&t) > 0; i++)
		ps_tcp_uring_poll(&t, &n);
	assert_int_equal(ps_tcp_uring_unsent(&t), 0);
	assert_true(t.stats.tx_bytes == total);
	/* Peer closes: the armed recv reports CLOSED. */
	uint8_t rx[64];
	assert_int_equal(ps_tcp_uring_recv(&t, rx, sizeof(rx)), 0);
	assert_int_equal(ps_tcp_uring_recv(&t, rx, sizeof(rx)), -EBUSY);
	close(sfd);
	unsigned ev = 0;
	for (int i = 0; i < 1000000 && !(ev & PS_TCP_EV_CLOSED); i++)
		ev |= ps_tcp_uring_poll(&t, &n);
	assert_true(ev & PS_TCP_EV_CLOSED);
	assert_int_equal(t.err, PS_EDISCONNECTED);
	assert_int_equal(t.state, PS_TCP_IDLE);
	assert_null(ps_tcp_uring_send_claim(&t, 1));
	ps_tcp_uring_fini(&t);
	free(mem);
	close(lfd);
}

/* A listener that never accepts and whose queue is full drops SYNs: the
 * linked timeout must end the connect with -ETIMEDOUT. */
static void test_tcp_uring_connect_times_out(void **state)
{
	(void)state;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int lfd = ps_tcp_listen(&a, 0);
	assert_true(lfd >= 0);
	a.sin_port = htons((uint16_t)ps_tcp_local_port(lfd));
	/* Fill the accept queue (backlog 0 holds one; a few more to be sure). */
	int fill[4];
	for (int i = 0; i < 4; i++) {
		fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		(void)connect(fill[i], (struct sockaddr *)&a, sizeof(a));
	}
	usleep(50000);
	struct ps_tcp_uring t;
	struct ps_tcp_uring_config cfg = { .sq_entries = 8, .send_cap = 256 };
	void *mem = malloc(ps_tcp_uring_memsize(&cfg));
	int rc = ps_tcp_uring_init(&t, mem, &cfg);
	if (rc == -ENOSYS || rc == -EPERM)
		exit(77);
	assert_int_equal(rc, 0);
	uint64_t t0 = now_ns();
	assert_int_equal(ps_tcp_uring_connect(&t, &a, 150 * MS), 0);
	assert_int_equal(ps_tcp_uring_connect(&t, &a, 150 * MS), -EBUSY);
	unsigned ev = 0;
	uint32_t n;
	while (!(ev & (PS_TCP_EV_CONNECT_FAILED | PS_TCP_EV_CONNECTED)) &&
	       now_ns() - t0 < 3000 * MS)
		ev |= ps_tcp_uring_poll(&t, &n);
	if (ev & PS_TCP_EV_CONNECTED) {
		/* The kernel completed the handshake after all: nothing to test. */
		fprintf(stderr, "accept queue did not fill; connect timeout not exercised\n");
	} else {
		assert_true(ev & PS_TCP_EV_CONNECT_FAILED);
		assert_int_equal(t.err, -ETIMEDOUT);
		assert_true(now_ns() - t0 >= 150 * MS);
		assert_int_equal(t.state, PS_TCP_IDLE);
	}
	ps_tcp_uring_fini(&t);
	free(mem);
	for (int i = 0; i < 4; i++)
		close(fill[i]);
	close(lfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session_login_data_heartbeats_logout),
		cmocka_unit_test(test_session_heartbeat_timeout_detected),
		cmocka_unit_test(test_session_server_disconnect_mid_stream),
		cmocka_unit_test(test_session_reconnect_requests_next_sequence),
		cmocka_unit_test(test_session_connect_refused_retries_with_backoff),
		cmocka_unit_test(test_session_login_rejected_not_authorized_stops),
		cmocka_unit_test(test_session_end_of_session_stops),
		cmocka_unit_test(test_tcp_uring_bulk_send_arrives_in_order),
		cmocka_unit_test(test_tcp_uring_connect_times_out),
	};
	return cmocka_run_group_tests_name("exec_session", tests, NULL, NULL);
}
