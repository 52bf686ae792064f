/*
 * A small scripted SoupBinTCP + OUCH 4.2 server for the exec tests: one
 * thread, blocking sockets on 127.0.0.1, the codecs under test for framing.
 * It is deliberately simple (one client at a time, one script entry per
 * connection); the venue simulator is the real server.
 */
#ifndef PS_TEST_SOUP_SERVER_H
#define PS_TEST_SOUP_SERVER_H

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ps/ouch.h>
#include <ps/soup.h>
#include <ps/tcp_uring.h>

#define SRV_MAX_MSGS  32
#define SRV_MAX_CONNS 4

/* What the server does on one connection. */
struct srv_script {
	int send_count;     /* sequenced messages to send from the log (-1 = all) */
	bool cut_mid;       /* then send half a packet and close */
	bool close_after;   /* close right after sending (no heartbeats) */
	bool silent;        /* never send heartbeats */
	bool answer_orders; /* answer O/U/X with A+E / U / C */
	int heartbeat_ms;   /* 0 = 50 */
	uint8_t reject;     /* answer the login with Login Rejected (reason) */
	bool end_session;   /* send End of Session after the messages */
};

struct srv {
	int lfd;
	uint16_t port;
	pthread_t th;
	struct srv_script script[SRV_MAX_CONNS];
	int nscript;
	uint8_t log[SRV_MAX_MSGS][PS_OUCH_MAX_LEN];
	uint16_t log_len[SRV_MAX_MSGS];
	uint32_t nlog; /* sequenced messages in the session so far (seq = index + 1) */
	/* Observed, read by the test after srv_join. */
	int conns;
	uint64_t login_seq[SRV_MAX_CONNS];
	char login_user[SRV_MAX_CONNS][8];
	char login_session[SRV_MAX_CONNS][12];
	int client_heartbeats;
	int logouts;
	int unsequenced;
	uint8_t ouch_types[16];
	int nouch;
	atomic_int stop;
};

static uint64_t srv_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int srv_send_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (n) {
		ssize_t k = send(fd, b, n, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Appends a message to the session log and sends it as Sequenced Data. */
static int srv_sequenced(struct srv *s, int fd, const uint8_t *msg, uint16_t len)
{
	uint8_t pkt[PS_SOUP_HDR_LEN + PS_OUCH_MAX_LEN];
	if (s->nlog < SRV_MAX_MSGS) {
		memcpy(s->log[s->nlog], msg, len);
		s->log_len[s->nlog] = len;
		s->nlog++;
	}
	size_t n = ps_soup_encode_data(pkt, PS_SOUP_SEQUENCED, msg, len);
	return srv_send_all(fd, pkt, n);
}

static void srv_answer(struct srv *s, int fd, const uint8_t *msg, uint16_t len)
{
	struct ps_ouch_msg in = { 0 };
	if (ps_ouch_decode_inbound(msg, len, &in) != 0)
		return;
	if (s->nouch < 16)
		s->ouch_types[s->nouch++] = in.type;
	uint8_t out[PS_OUCH_MAX_LEN];
	size_t n;
	if (in.type == PS_OUCH_ENTER_ORDER) {
		struct ps_ouch_accepted a = { 0 };
		a.timestamp_ns = 34200000000000ull; /* 09:30 */
		memcpy(a.token, in.u.enter.token, 14);
		memcpy(a.stock, in.u.enter.stock, 8);
		memcpy(a.firm, in.u.enter.firm, 4);
		a.side = in.u.enter.side;
		a.shares = in.u.enter.shares;
		a.price = in.u.enter.price;
		a.tif = in.u.enter.tif;
		a.display = in.u.enter.display;
		a.order_ref = 1000 + s->nlog;
		a.capacity = in.u.enter.capacity;
		a.ise = in.u.enter.ise;
		a.min_qty = in.u.enter.min_qty;
		a.cross_type = in.u.enter.cross_type;
		a.order_state = PS_OUCH_ORDER_STATE_LIVE;
		a.bbo_weight = ' ';
		n = ps_ouch_encode_accepted(out, PS_OUCH_ACCEPTED, &a);
		srv_sequenced(s, fd, out, (uint16_t)n);
		struct ps_ouch_executed e = { .timestamp_ns = a.timestamp_ns + 1000,
					      .match_number = 777,
					      .shares = in.u.enter.shares / 4,
					      .price = in.u.enter.price,
					      .liquidity_flag = 'A' };
		memcpy(e.token, in.u.enter.token, 14);
		n = ps_ouch_encode_executed(out, &e);
		srv_sequenced(s, fd, out, (uint16_t)n);
	} else if (in.type == PS_OUCH_REPLACE_ORDER) {
		struct ps_ouch_accepted a = { 0 };
		a.timestamp_ns = 34200000002000ull;
		memcpy(a.token, in.u.replace.replacement_token, 14);
		memcpy(a.previous_token, in.u.replace.existing_token, 14);
		ps_ouch_pad(a.stock, 8, "AAPL");
		ps_ouch_pad(a.firm, 4, "PRSS");
		a.side = 'B';
		a.shares = in.u.replace.shares;
		a.price = in.u.replace.price;
		a.tif = in.u.replace.tif;
		a.display = in.u.replace.display;
		a.order_ref = 2000 + s->nlog;
		a.capacity = 'A';
		a.ise = in.u.replace.ise;
		a.min_qty = in.u.replace.min_qty;
		a.cross_type = 'N';
		a.order_state = PS_OUCH_ORDER_STATE_LIVE;
		a.bbo_weight = ' ';
		n = ps_ouch_encode_accepted(out, PS_OUCH_REPLACED, &a);
		srv_sequenced(s, fd, out, (uint16_t)n);
	} else if (in.type == PS_OUCH_CANCEL_ORDER) {
		struct ps_ouch_canceled c = { .timestamp_ns = 34200000003000ull,
					      .decrement_shares = 75,
					      .reason = 'U' };
		memcpy(c.token, in.u.cancel.token, 14);
		n = ps_ouch_encode_canceled(out, PS_OUCH_CANCELED, &c);
		srv_sequenced(s, fd, out, (uint16_t)n);
	}
}

/* Serves one connection according to sc. */
static void srv_conn(struct srv *s, int fd, const struct srv_script *sc)
{
	uint8_t mem[4096];
	struct ps_soup_stream in;
	ps_soup_stream_init(&in, mem, sizeof(mem), PS_SOUP_DIR_FROM_CLIENT);
	int idx = s->conns++;
	bool logged_in = false;
	uint64_t last_hb = srv_now_ms();
	int hb_ms = sc->heartbeat_ms ? sc->heartbeat_ms : 50;
	while (!atomic_load(&s->stop)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, 10);
		if (r > 0) {
			uint32_t room;
			uint8_t *w = ps_soup_stream_write_ptr(&in, &room);
			ssize_t k = recv(fd, w, room, 0);
			if (k <= 0)
				break;
			ps_soup_stream_commit(&in, (uint32_t)k);
			struct ps_soup_packet pkt = { 0 };
			int rc;
			while ((rc = ps_soup_stream_next(&in, &pkt)) == 1) {
				if (pkt.type == PS_SOUP_LOGIN_REQUEST && !logged_in) {
					struct ps_soup_login_request req;
					if (ps_soup_decode_login_request(
						pkt.payload, pkt.payload_len, &req) != 0)
						goto out;
					if (idx < SRV_MAX_CONNS) {
						s->login_seq[idx] = req.seq;
						memcpy(s->login_user[idx], req.username, 7);
						memcpy(s->login_session[idx], req.session, 11);
					}
					if (sc->reject) {
						uint8_t rej[4];
						ps_soup_encode_login_rejected(rej, sc->reject);
						srv_send_all(fd, rej, sizeof(rej));
						goto out;
					}
					uint64_t first = req.seq ? req.seq : s->nlog + 1;
					uint8_t acc[64];
					int n =
					    ps_soup_encode_login_accepted(acc, "TESTSESS", first);
					srv_send_all(fd, acc, (size_t)n);
					logged_in = true;
					/* Replay / send from the log. */
					int sent = 0;
					for (uint64_t q = first; q <= s->nlog; q++) {
						if (sc->send_count >= 0 && sent == sc->send_count)
							break;
						uint8_t pk[PS_SOUP_HDR_LEN + PS_OUCH_MAX_LEN];
						size_t m = ps_soup_encode_data(
						    pk, PS_SOUP_SEQUENCED, s->log[q - 1],
						    s->log_len[q - 1]);
						srv_send_all(fd, pk, m);
						sent++;
					}
					if (sc->cut_mid) {
						uint8_t pk[PS_SOUP_HDR_LEN + PS_OUCH_MAX_LEN];
						size_t m =
						    ps_soup_encode_data(pk, PS_SOUP_SEQUENCED,
									s->log[0], s->log_len[0]);
						srv_send_all(fd, pk, m / 2);
						goto out;
					}
					if (sc->end_session) {
						uint8_t z[3];
						ps_soup_encode_empty(z, PS_SOUP_END_OF_SESSION);
						srv_send_all(fd, z, sizeof(z));
						goto out;
					}
					if (sc->close_after)
						goto out;
				} else if (pkt.type == PS_SOUP_CLIENT_HEARTBEAT) {
					s->client_heartbeats++;
				} else if (pkt.type == PS_SOUP_LOGOUT_REQUEST) {
					s->logouts++;
					goto out;
				} else if (pkt.type == PS_SOUP_UNSEQUENCED) {
					s->unsequenced++;
					if (sc->answer_orders)
						srv_answer(s, fd, pkt.payload, pkt.payload_len);
				}
			}
			if (rc < 0)
				break;
		} else if (r < 0 && errno != EINTR) {
			break;
		}
		if (logged_in && !sc->silent && srv_now_ms() - last_hb >= (uint64_t)hb_ms) {
			uint8_t hb[3];
			ps_soup_encode_empty(hb, PS_SOUP_SERVER_HEARTBEAT);
			if (srv_send_all(fd, hb, 3))
				break;
			last_hb = srv_now_ms();
		}
	}
out:
	close(fd);
}

static void *srv_main(void *arg)
{
	struct srv *s = arg;
	for (int c = 0; c < s->nscript && !atomic_load(&s->stop); c++) {
		int fd = -1;
		while (!atomic_load(&s->stop)) {
			struct pollfd p = { .fd = s->lfd, .events = POLLIN };
			if (poll(&p, 1, 10) > 0) {
				fd = ps_tcp_accept(s->lfd);
				if (fd >= 0)
					break;
			}
		}
		if (fd < 0)
			break;
		/* Blocking I/O in the server thread. */
		int fl = 0;
		ioctl(fd, FIONBIO, &fl);
		srv_conn(s, fd, &s->script[c]);
	}
	return NULL;
}

/* Listens on 127.0.0.1:0 (port in s->port). @return 0 or -errno. */
static int srv_open(struct srv *s)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->lfd = ps_tcp_listen(&a, 8);
	if (s->lfd < 0)
		return s->lfd;
	s->port = (uint16_t)ps_tcp_local_port(s->lfd);
	return 0;
}

static void srv_start(struct srv *s)
{
	atomic_store(&s->stop, 0);
	pthread_create(&s->th, NULL, srv_main, s);
}

static void srv_join(struct srv *s)
{
	atomic_store(&s->stop, 1);
	pthread_join(s->th, NULL);
	close(s->lfd);
}

static struct sockaddr_in srv_addr(const struct srv *s)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(s->port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

#endif /* PS_TEST_SOUP_SERVER_H */
