/*
 * FIX 4.4 session layer, initiator against acceptor in memory (a byte pipe
 * each way that the test pumps): Logon, orders and execution reports,
 * Logout, a lost message recovered by ResendRequest with PossDup resends,
 * heartbeat / test request / timeout timers, and sequence numbers that
 * survive a restart through store_path.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ps/fix_session.h>

#define NS 1000000000ull

struct pipe {
	uint8_t buf[1 << 16];
	uint32_t len;
	int drop_next; /* drop the n-th next message (1 = the next) */
};

struct side {
	struct ps_fix_session s;
	void *mem;
	struct pipe *out;
	char apps[32][4]; /* MsgTypes delivered */
	uint64_t app_seq[32];
	uint32_t app_count;
};

static bool pipe_send(void *ctx, const uint8_t *msg, uint32_t len)
{
	struct side *sd = ctx;
	struct pipe *p = sd->out;
	if (p->drop_next && --p->drop_next == 0)
		return true;
	if (p->len + len > sizeof(p->buf))
		return false;
	memcpy(p->buf + p->len, msg, len);
	p->len += len;
	return true;
}

static void on_app(void *ctx, struct ps_fix_session *s, const struct ps_fix_msg *m, uint64_t now_ns)
{
	(void)s;
	(void)now_ns;
	struct side *sd = ctx;
	if (sd->app_count < 32) {
		memcpy(sd->apps[sd->app_count], m->buf + m->type_off, m->type_len);
		sd->apps[sd->app_count][m->type_len] = 0;
		ps_fix_msg_u64(m, 34, &sd->app_seq[sd->app_count]);
		sd->app_count++;
	}
}

static void side_init(struct side *sd, struct pipe *out, bool initiator, const char *store)
{
	memset(sd, 0, sizeof(*sd));
	sd->out = out;
	struct ps_fix_session_config c = {
		.sender_comp_id = initiator ? "PERSEUS" : "VENUE",
		.target_comp_id = initiator ? "VENUE" : "PERSEUS",
		.initiator = initiator,
		.heart_bt_int_s = 1,
		.store_path = store,
		.send = pipe_send,
		.on_app = on_app,
		.ctx = sd,
		.store_count = 64,
	};
	sd->mem = malloc(ps_fix_session_memsize(&c));
	assert_non_null(sd->mem);
	assert_int_equal(ps_fix_session_init(&sd->s, sd->mem, &c), 0);
}

static void side_fini(struct side *sd)
{
	ps_fix_session_fini(&sd->s);
	free(sd->mem);
}

/* Moves bytes from p into sd until both pipes are empty. */
static void deliver(struct pipe *p, struct side *sd, uint64_t now)
{
	while (p->len) {
		uint32_t room;
		uint8_t *dst = ps_fix_session_rx_buf(&sd->s, &room);
		uint32_t n = p->len < room ? p->len : room;
		memcpy(dst, p->buf, n);
		memmove(p->buf, p->buf + n, p->len - n);
		p->len -= n;
		ps_fix_session_rx_commit(&sd->s, n, now);
	}
}

static void pump(struct pipe *to_a, struct pipe *to_i, struct side *a, struct side *i, uint64_t now)
{
	for (int k = 0; k < 16 && (to_a->len || to_i->len); k++) {
		deliver(to_a, a, now);
		deliver(to_i, i, now);
	}
}

struct pair {
	struct pipe to_a, to_i;
	struct side a, i;
	uint64_t now;
};

static void pair_logon(struct pair *p, const char *store_a, const char *store_i)
{
	memset(&p->to_a, 0, sizeof(p->to_a));
	memset(&p->to_i, 0, sizeof(p->to_i));
	side_init(&p->a, &p->to_i, false, store_a);
	side_init(&p->i, &p->to_a, true, store_i);
	p->now = ps_fix_realtime_ns();
	ps_fix_session_connected(&p->a.s, p->now);
	ps_fix_session_connected(&p->i.s, p->now);
	pump(&p->to_a, &p->to_i, &p->a, &p->i, p->now);
	assert_int_equal(ps_fix_session_state(&p->a.s), PS_FIX_SESSION_LOGGED_ON);
	assert_int_equal(ps_fix_session_state(&p->i.s), PS_FIX_SESSION_LOGGED_ON);
}

static void send_body(struct side *sd, const char *type, const char *bars, uint64_t now)
{
	uint8_t body[512];
	size_t n = strlen(bars);
	for (size_t k = 0; k < n; k++)
		body[k] = bars[k] == '|' ? PS_FIX_SOH : (uint8_t)bars[k];
	assert_int_equal(ps_fix_session_send(&sd->s, type, body, (uint32_t)n, now), 0);
}

#define NOS "11=PS1|21=1|55=AAPL|54=1|60=20260102-03:04:05|38=100|40=2|44=10|59=0|"
#define ER  "37=O1|11=PS1|17=E1|150=0|39=0|55=AAPL|54=1|151=100|14=0|6=0|"

static void test_fix_session_logon_order_report_logout(void **state)
{
	(void)state;
	struct pair p;
	pair_logon(&p, NULL, NULL);
	send_body(&p.i, "D", NOS, p.now);
	pump(&p.to_a, &p.to_i, &p.a, &p.i, p.now);
	assert_int_equal(p.a.app_count, 1);
	assert_string_equal(p.a.apps[0], "D");
	send_body(&p.a, "8", ER, p.now);
	pump(&p.to_a, &p.to_i, &p.a, &p.i, p.now);
	assert_int_equal(p.i.app_count, 1);
	assert_string_equal(p.i.apps[0], "8");
	assert_int_equal(ps_fix_session_next_out(&p.i.s), 3);
	assert_int_equal(ps_fix_session_next_in(&p.a.s), 3);

	assert_int_equal(ps_fix_session_logout(&p.i.s, NULL, p.now), 0);
	pump(&p.to_a, &p.to_i, &p.a, &p.i, p.now);
	assert_true(ps_fix_session_want_close(&p.a.s));
	assert_true(ps_fix_session_want_close(&p.i.s));
	ps_fix_session_disconnected(&p.a.s);
	ps_fix_session_disconnected(&p.i.s);
	assert_int_equal(p.a.s.stats.garbled + p.i.s.stats.garbled, 0);
	side_fini(&p.a);
	side_fini(&p.i);
}

static void test_fix_session_lost_message_is_resent(void **state)
{
	(void)state;
	struct pair p;
	pair_logon(&p, NULL, NULL);
	send_body(&p.a, "8", ER, p.now);
	p.to_i.drop_next = 1; /* the next one is lost */
	send_body(&p.a, "8", ER, p.now);
	send_body(&p.a, "8", ER, p.now);
	pump(&p.to_a, &p.to_i, &p.a, &p.i, p.now);
	/* 2, 3, 4 delivered once each, in order */
	assert_int_equal(p.i.app_count, 3);
	assert_int_equal(p.i.app_seq[0], 2);
	assert_int_equal(p.i.app_seq[1], 3);
	assert_int_equal(p.i.app_seq[2], 4);
	assert_int_equal(p.i.s.stats.resend_requests_tx, 1);
	assert_int_equal(p.a.s.stats.resends_rx, 1);
	assert_int_equal(ps_fix_session_next_in(&p.i.s), 5);
	side_fini(&p.a);
	side_fini(&p.i);
}

/* Reports for a peer that is away are kept and resent after its Logon. */
static void test_fix_session_kept_while_away_are_resent(void **state)
{
	(void)state;
	struct pair p;
	uint8_t body[128];
	size_t n = strlen(ER);

	for (size_t k = 0; k < n; k++)
		body[k] = ER[k] == '|' ? PS_FIX_SOH : (uint8_t)ER[k];
	pair_logon(&p, NULL, NULL);
	assert_int_equal(ps_fix_session_keep(&p.a.s, "8", body, (uint32_t)n, p.now), -EISCONN);
	/* The connection drops without a Logout. */
	ps_fix_session_disconnected(&p.a.s);
	ps_fix_session_disconnected(&p.i.s);
	memset(&p.to_a, 0, sizeof(p.to_a));
	memset(&p.to_i, 0, sizeof(p.to_i));
	assert_int_equal(ps_fix_session_send(&p.a.s, "8", body, (uint32_t)n, p.now), -ENOTCONN);
	assert_int_equal(ps_fix_session_keep(&p.a.s, "8", body, (uint32_t)n, p.now), 0);
	assert_int_equal(ps_fix_session_keep(&p.a.s, "8", body, (uint32_t)n, p.now), 0);
	assert_int_equal(ps_fix_session_next_out(&p.a.s), 4);
	assert_int_equal(p.to_i.len, 0); /* nothing was sent */
	ps_fix_session_connected(&p.a.s, p.now);
	ps_fix_session_connected(&p.i.s, p.now);
	pump(&p.to_a, &p.to_i, &p.a, &p.i, p.now);
	assert_int_equal(ps_fix_session_state(&p.i.s), PS_FIX_SESSION_LOGGED_ON);
	/* Delivered once each, in order, after the initiator's ResendRequest. */
	assert_int_equal(p.i.app_count, 2);
	assert_int_equal(p.i.app_seq[0], 2);
	assert_int_equal(p.i.app_seq[1], 3);
	assert_int_equal(p.i.s.stats.resend_requests_tx, 1);
	assert_false(p.i.s.resend_active);
	assert_int_equal(ps_fix_session_next_in(&p.i.s), 5);
	/* Larger than a store slot: refused. */
	ps_fix_session_disconnected(&p.a.s);
	assert_int_equal(ps_fix_session_keep(&p.a.s, "8", p.to_a.buf, 600, p.now), -EMSGSIZE);
	side_fini(&p.a);
	side_fini(&p.i);
}

static void test_fix_session_heartbeat_test_request_timeout(void **state)
{
	(void)state;
	struct pair p;
	pair_logon(&p, NULL, NULL);
	uint64_t t = p.now;
	/* quiet for one interval: each side sends a heartbeat */
	ps_fix_session_poll(&p.i.s, t + NS);
	assert_int_equal(p.i.s.stats.heartbeats_tx, 1);
	/* nothing received for 1.2 intervals: a TestRequest */
	ps_fix_session_poll(&p.i.s, t + 1200 * 1000000ull);
	assert_int_equal(p.i.s.stats.test_requests_tx, 1);
	/* the acceptor answers it with a Heartbeat, which resets the count */
	pump(&p.to_a, &p.to_i, &p.a, &p.i, t + 1300 * 1000000ull);
	assert_int_equal(p.i.s.test_requests, 0);
	assert_false(ps_fix_session_want_close(&p.i.s));
	/* then silence: 2.4 intervals after the last receive, it gives up */
	ps_fix_session_poll(&p.i.s, t + 3800 * 1000000ull);
	assert_true(ps_fix_session_want_close(&p.i.s));
	side_fini(&p.a);
	side_fini(&p.i);
}

static void test_fix_session_seq_survives_restart(void **state)
{
	(void)state;
	char pa[64], pi[64];
	snprintf(pa, sizeof(pa), "/tmp/ps_fix_seq_a_%d", (int)getpid());
	snprintf(pi, sizeof(pi), "/tmp/ps_fix_seq_i_%d", (int)getpid());
	unlink(pa);
	unlink(pi);
	struct pair p;
	pair_logon(&p, pa, pi);
	send_body(&p.i, "D", NOS, p.now);
	send_body(&p.i, "D", NOS, p.now);
	pump(&p.to_a, &p.to_i, &p.a, &p.i, p.now);
	uint64_t out_i = ps_fix_session_next_out(&p.i.s);
	uint64_t in_a = ps_fix_session_next_in(&p.a.s);
	assert_int_equal(out_i, 4);
	assert_int_equal(in_a, 4);
	side_fini(&p.a);
	side_fini(&p.i);
	/* restart both: the numbers come back, and the next Logon continues them */
	pair_logon(&p, pa, pi);
	assert_int_equal(ps_fix_session_next_out(&p.i.s), out_i + 1);
	assert_int_equal(ps_fix_session_next_in(&p.a.s), in_a + 1);
	side_fini(&p.a);
	side_fini(&p.i);
	unlink(pa);
	unlink(pi);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fix_session_logon_order_report_logout),
		cmocka_unit_test(test_fix_session_lost_message_is_resent),
		cmocka_unit_test(test_fix_session_kept_while_away_are_resent),
		cmocka_unit_test(test_fix_session_heartbeat_test_request_timeout),
		cmocka_unit_test(test_fix_session_seq_survives_restart),
	};
	return cmocka_run_group_tests_name("exec_fix_session", tests, NULL, NULL);
}
