/* The venue over real TCP on loopback: SoupBinTCP login (good, bad
 * password), OUCH enter/accept/execute between two users, cancel, replace,
 * IOC remainder, and a re-login with a sequence number that replays exactly
 * what was missed. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <ps/config.h>
#include <ps/ouch.h>
#include <ps/soup.h>
#include <ps/venue.h>

struct fx {
	struct ps_venue *v;
	pthread_t thr;
	volatile sig_atomic_t stop;
	uint16_t port;
};

static void *run(void *arg)
{
	struct fx *f = arg;
	ps_venue_run(f->v, &f->stop);
	return NULL;
}

static int setup_with(void **state, const char *extra)
{
	static struct fx f;
	struct ps_config *c;
	struct ps_venue_config vc;
	char err[512], text[512];

	memset(&f, 0, sizeof(f));
	setenv("PERSEUS_VENUE_USERS", "alice:secret,bob:hunter2", 1);
	snprintf(text, sizeof(text),
		 "[venue]\nmd_dest = 127.0.0.1:26481\n"
		 "print_fills = false\n%s[venue.replay]\nsymbol = AMZN\n",
		 extra);
	assert_int_equal(ps_config_load_string(&c, text, "venue.ini", err, sizeof(err)), 0);
	assert_int_equal(ps_venue_config_read(&vc, c, err, sizeof(err)), 0);
	ps_config_destroy(c);
	assert_int_equal(ps_venue_create(&f.v, &vc, err, sizeof(err)), 0);
	f.port = ps_venue_ouch_port(f.v);
	assert_int_equal(pthread_create(&f.thr, NULL, run, &f), 0);
	*state = &f;
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, "");
}

/* A book of two price levels a side: the third price has no room. */
static int setup_two_levels(void **state)
{
	return setup_with(state, "book_levels = 2\n");
}

static int teardown(void **state)
{
	struct fx *f = *state;
	f->stop = 1;
	pthread_join(f->thr, NULL);
	ps_venue_destroy(f->v);
	return 0;
}

struct client {
	int fd;
	struct ps_soup_stream rx;
	uint8_t buf[65536];
};

static void client_connect(struct client *c, uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct timeval tv = { .tv_sec = 5 };

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(c->fd >= 0);
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(
	    ps_soup_stream_init(&c->rx, c->buf, sizeof(c->buf), PS_SOUP_DIR_FROM_SERVER), 0);
}

/* Next packet that is not a heartbeat; type 0 on EOF/timeout. */
static struct ps_soup_packet next(struct client *c)
{
	struct ps_soup_packet p = { 0 };
	for (;;) {
		int rc = ps_soup_stream_next(&c->rx, &p);
		assert_true(rc >= 0);
		if (rc == 1 && p.type != PS_SOUP_SERVER_HEARTBEAT)
			return p;
		if (rc == 1)
			continue;
		uint32_t room;
		uint8_t *w = ps_soup_stream_write_ptr(&c->rx, &room);
		ssize_t n = recv(c->fd, w, room, 0);
		if (n <= 0)
			return (struct ps_soup_packet){ 0 };
		ps_soup_stream_commit(&c->rx, (uint32_t)n);
	}
}

static uint64_t login(struct client *c, uint16_t port, const char *user, const char *pw,
		      uint64_t seq)
{
	uint8_t b[64];
	struct ps_soup_login_accepted acc;

	client_connect(c, port);
	int n = ps_soup_encode_login_request(b, user, pw, "", seq);
	assert_int_equal(send(c->fd, b, (size_t)n, 0), n);
	struct ps_soup_packet p = next(c);
	if (p.type != PS_SOUP_LOGIN_ACCEPTED)
		return 0;
	assert_int_equal(ps_soup_decode_login_accepted(p.payload, p.payload_len, &acc), 0);
	assert_string_equal(acc.session, "PERSEUS001");
	return acc.seq;
}

static void send_ouch(struct client *c, const uint8_t *msg, size_t len)
{
	uint8_t b[128];
	size_t n = ps_soup_encode_data(b, PS_SOUP_UNSEQUENCED, msg, (uint16_t)len);
	assert_int_equal(send(c->fd, b, n, 0), (ssize_t)n);
}

static void enter(struct client *c, const char *token, uint8_t side, uint32_t shares,
		  uint32_t price, uint32_t tif)
{
	struct ps_ouch_enter_order e = { .shares = shares,
					 .price = price,
					 .tif = tif,
					 .side = side,
					 .display = 'Y',
					 .capacity = 'A',
					 .ise = 'N',
					 .cross_type = 'N',
					 .customer_type = ' ' };
	uint8_t b[PS_OUCH_MAX_LEN];

	ps_ouch_pad(e.token, PS_OUCH_TOKEN_LEN, token);
	ps_ouch_pad(e.stock, PS_OUCH_STOCK_LEN, "AMZN");
	ps_ouch_pad(e.firm, PS_OUCH_FIRM_LEN, "PRSS");
	send_ouch(c, b, ps_ouch_encode_enter_order(b, &e));
}

static void replace(struct client *c, const char *existing, const char *replacement,
		    uint32_t shares, uint32_t price)
{
	struct ps_ouch_replace_order r = { .shares = shares,
					   .price = price,
					   .tif = PS_OUCH_TIF_SYSTEM_HOURS,
					   .display = 'Y',
					   .ise = 'N' };
	uint8_t b[PS_OUCH_MAX_LEN];

	ps_ouch_pad(r.existing_token, PS_OUCH_TOKEN_LEN, existing);
	ps_ouch_pad(r.replacement_token, PS_OUCH_TOKEN_LEN, replacement);
	send_ouch(c, b, ps_ouch_encode_replace_order(b, &r));
}

static struct ps_ouch_msg expect(struct client *c, uint8_t type)
{
	struct ps_ouch_msg m = { 0 };
	struct ps_soup_packet p = next(c);

	assert_int_equal(p.type, PS_SOUP_SEQUENCED);
	assert_int_equal(ps_ouch_decode_outbound(p.payload, p.payload_len, &m), 0);
	assert_int_equal(m.type, type);
	return m;
}

static void test_venue_session_bad_password_is_rejected(void **state)
{
	struct fx *f = *state;
	struct client c;
	uint8_t b[64];

	client_connect(&c, f->port);
	int n = ps_soup_encode_login_request(b, "alice", "wrong", "", 1);
	assert_int_equal(send(c.fd, b, (size_t)n, 0), n);
	struct ps_soup_packet p = next(&c);
	assert_int_equal(p.type, PS_SOUP_LOGIN_REJECTED);
	assert_int_equal(p.payload[0], PS_SOUP_REJECT_NOT_AUTHORIZED);
	assert_int_equal(next(&c).type, 0); /* then closed */
	close(c.fd);
}

static void test_venue_session_orders_trade_and_replay(void **state)
{
	struct fx *f = *state;
	struct client a, b;
	struct ps_ouch_msg m;
	uint8_t buf[PS_OUCH_MAX_LEN];

	assert_int_equal(login(&a, f->port, "alice", "secret", 1), 1);
	assert_int_equal(login(&b, f->port, "bob", "hunter2", 0), 1);

	/* Alice rests 300 @ 100.00; Bob sells 100 @ 99.99: trades at 100.00. */
	enter(&a, "A1", 'B', 300, 1000000, PS_OUCH_TIF_SYSTEM_HOURS);
	m = expect(&a, PS_OUCH_ACCEPTED);
	assert_int_equal(m.u.accepted.shares, 300);
	assert_int_equal(m.u.accepted.order_state, 'L');
	enter(&b, "B1", 'S', 100, 999900, PS_OUCH_TIF_SYSTEM_HOURS);
	expect(&b, PS_OUCH_ACCEPTED);
	m = expect(&b, PS_OUCH_EXECUTED);
	assert_int_equal(m.u.executed.shares, 100);
	assert_int_equal(m.u.executed.price, 1000000);
	assert_int_equal(m.u.executed.liquidity_flag, 'R');
	m = expect(&a, PS_OUCH_EXECUTED);
	assert_int_equal(m.u.executed.shares, 100);
	assert_int_equal(m.u.executed.liquidity_flag, 'A');
	uint64_t match = m.u.executed.match_number;

	/* Alice cancels down to 50 (OUCH: shares = new intended size). */
	send_ouch(&a, buf, ps_ouch_encode_cancel_order(buf, "A1            ", 50));
	m = expect(&a, PS_OUCH_CANCELED);
	assert_int_equal(m.u.canceled.decrement_shares, 150);
	assert_int_equal(m.u.canceled.reason, 'U');

	/* Alice replaces A1 -> A2 at 100.01 for 80: Replaced names both tokens. */
	replace(&a, "A1", "A2", 80, 1000100);
	m = expect(&a, PS_OUCH_REPLACED);
	assert_int_equal(m.u.accepted.shares, 80);
	assert_int_equal(m.u.accepted.price, 1000100);
	assert_memory_equal(m.u.accepted.previous_token, "A1            ", 14);

	/* Alice disconnects; Bob's IOC sell of 200 fills 80 and cancels 120. */
	close(a.fd);
	enter(&b, "B2", 'S', 200, 1000000, PS_OUCH_TIF_IOC);
	expect(&b, PS_OUCH_ACCEPTED);
	m = expect(&b, PS_OUCH_EXECUTED);
	assert_int_equal(m.u.executed.shares, 80);
	assert_int_equal(m.u.executed.price, 1000100);
	m = expect(&b, PS_OUCH_CANCELED);
	assert_int_equal(m.u.canceled.decrement_shares, 120);
	assert_int_equal(m.u.canceled.reason, 'I');

	/* Alice logs in again asking for message 5: she missed the execution of
	 * A2 (her 5th sequenced message) and gets exactly that, then live. */
	assert_int_equal(login(&a, f->port, "alice", "secret", 5), 5);
	m = expect(&a, PS_OUCH_EXECUTED);
	assert_memory_equal(m.u.executed.token, "A2            ", 14);
	assert_int_equal(m.u.executed.shares, 80);
	assert_true(m.u.executed.match_number > match);
	/* Asking from 1 replays all five: accepted, executed, canceled, replaced, executed. */
	close(a.fd);
	assert_int_equal(login(&a, f->port, "alice", "secret", 1), 1);
	expect(&a, PS_OUCH_ACCEPTED);
	expect(&a, PS_OUCH_EXECUTED);
	expect(&a, PS_OUCH_CANCELED);
	expect(&a, PS_OUCH_REPLACED);
	expect(&a, PS_OUCH_EXECUTED);

	/* Unknown stock and zero shares are rejected with the OUCH reasons. */
	struct ps_ouch_enter_order e = { .shares = 10, .price = 1000000, .side = 'B' };
	ps_ouch_pad(e.token, PS_OUCH_TOKEN_LEN, "A3");
	ps_ouch_pad(e.stock, PS_OUCH_STOCK_LEN, "MSFT");
	send_ouch(&a, buf, ps_ouch_encode_enter_order(buf, &e));
	m = expect(&a, PS_OUCH_REJECTED);
	assert_int_equal(m.u.token_event.reason, 'S');
	enter(&a, "A4", 'B', 0, 1000000, 0);
	m = expect(&a, PS_OUCH_REJECTED);
	assert_int_equal(m.u.token_event.reason, 'Z');
	close(a.fd);
	close(b.fd);
}

/* An order or a replace that needs a price level the book does not have
 * room for ends with a cancel (reason Z) after its Accepted or Replaced,
 * never as an order the client thinks works while the book lacks it. */
static void test_venue_session_no_level_left_cancels(void **state)
{
	struct fx *f = *state;
	struct client a, b;
	struct ps_ouch_msg m;

	assert_int_equal(login(&a, f->port, "alice", "secret", 1), 1);
	assert_int_equal(login(&b, f->port, "bob", "hunter2", 1), 1);
	enter(&a, "A1", 'B', 100, 1000000, PS_OUCH_TIF_SYSTEM_HOURS);
	expect(&a, PS_OUCH_ACCEPTED);
	enter(&a, "A2", 'B', 100, 999900, PS_OUCH_TIF_SYSTEM_HOURS);
	expect(&a, PS_OUCH_ACCEPTED);

	/* A new order at a third price: accepted, then cancelled whole. */
	enter(&a, "A3", 'B', 70, 999800, PS_OUCH_TIF_SYSTEM_HOURS);
	expect(&a, PS_OUCH_ACCEPTED);
	m = expect(&a, PS_OUCH_CANCELED);
	assert_memory_equal(m.u.canceled.token, "A3            ", 14);
	assert_int_equal(m.u.canceled.decrement_shares, 70);
	assert_int_equal(m.u.canceled.reason, 'Z');

	/* A1 replaced to a third price: Replaced, then the replacement cancelled. */
	replace(&a, "A1", "A4", 60, 999700);
	m = expect(&a, PS_OUCH_REPLACED);
	assert_memory_equal(m.u.accepted.token, "A4            ", 14);
	m = expect(&a, PS_OUCH_CANCELED);
	assert_memory_equal(m.u.canceled.token, "A4            ", 14);
	assert_int_equal(m.u.canceled.decrement_shares, 60);
	assert_int_equal(m.u.canceled.reason, 'Z');

	/* Neither A1 nor A4 trades any more; A2 still does. Bob's IOC sell of
	 * 300 at 99.97 fills 100 against A2 and cancels the rest. */
	enter(&b, "B1", 'S', 300, 999700, PS_OUCH_TIF_IOC);
	expect(&b, PS_OUCH_ACCEPTED);
	m = expect(&b, PS_OUCH_EXECUTED);
	assert_int_equal(m.u.executed.shares, 100);
	assert_int_equal(m.u.executed.price, 999900);
	m = expect(&b, PS_OUCH_CANCELED);
	assert_int_equal(m.u.canceled.decrement_shares, 200);
	assert_int_equal(m.u.canceled.reason, 'I');
	m = expect(&a, PS_OUCH_EXECUTED);
	assert_memory_equal(m.u.executed.token, "A2            ", 14);
	close(a.fd);
	close(b.fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_venue_session_bad_password_is_rejected, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_venue_session_orders_trade_and_replay, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_venue_session_no_level_left_cancels,
						setup_two_levels, teardown),
	};
	return cmocka_run_group_tests_name("venue_session", tests, NULL, NULL);
}
