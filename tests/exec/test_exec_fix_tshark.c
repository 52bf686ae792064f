/*
 * FIX 4.4 conversation on loopback under tshark: our initiator (Logon,
 * NewOrderSingle, OrderCancelRequest, OrderCancelReplaceRequest, an
 * ExecutionReport the acceptor must refuse, TestRequest, ResendRequest,
 * Logout) against our acceptor (Logon, ExecutionReports, OrderCancelReject,
 * BusinessMessageReject, Heartbeat, SequenceReset-GapFill, Reject, Logout),
 * then `tshark -d tcp.port==P,fix` must decode every message we sent with a
 * good checksum, and report nothing malformed. Exits 77 when tshark is
 * missing or cannot capture on lo (needs root).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ps/fix_server.h>

static uint32_t sent_by_us; /* messages both sides sent, counted by their send paths */

static void add(uint8_t *b, uint32_t *n, uint32_t tag, const char *v)
{
	*n = ps_fix_add_str(b, *n, tag, v, (uint32_t)strlen(v));
}

/* The acceptor's application: reports for orders, rejects for the rest. */
static void venue_app(void *ctx, struct ps_fix_session *s, const struct ps_fix_msg *m,
		      uint64_t now_ns)
{
	(void)ctx;
	uint8_t b[1024];
	uint32_t n = 0;
	if (ps_fix_msg_is(m, "D") || ps_fix_msg_is(m, "G")) {
		bool rep = ps_fix_msg_is(m, "G");
		add(b, &n, 37, "O1");
		add(b, &n, 11, rep ? "PS2" : "PS1");
		add(b, &n, 17, rep ? "E2" : "E1");
		n = ps_fix_add_char(b, n, 150, rep ? '5' : '0');
		n = ps_fix_add_char(b, n, 39, '0');
		add(b, &n, 55, "AAPL");
		n = ps_fix_add_char(b, n, 54, '1');
		n = ps_fix_add_u64(b, n, 38, 100);
		n = ps_fix_add_decimal(b, n, 44, 1502500, 4);
		n = ps_fix_add_u64(b, n, 151, 100);
		n = ps_fix_add_u64(b, n, 14, 0);
		n = ps_fix_add_decimal(b, n, 6, 0, 4);
		n = ps_fix_add_time(&s->enc, b, n, 60, now_ns);
		ps_fix_session_send(s, "8", b + PS_FIX_PREFIX_ROOM, n, now_ns);
	} else if (ps_fix_msg_is(m, "F")) {
		add(b, &n, 37, "NONE");
		add(b, &n, 11, "C1");
		add(b, &n, 41, "NOPE");
		n = ps_fix_add_char(b, n, 39, '8');
		n = ps_fix_add_char(b, n, 434, '1');
		n = ps_fix_add_u64(b, n, 102, 1);
		ps_fix_session_send(s, "9", b + PS_FIX_PREFIX_ROOM, n, now_ns);
	} else {
		ps_fix_session_business_reject(s, m, 3, "Unsupported Message Type", now_ns);
	}
}

struct acceptor {
	struct ps_fix_server srv;
	atomic_bool stop;
	pthread_t th;
};

static void *acceptor_main(void *arg)
{
	struct acceptor *a = arg;
	/* Relaxed: a stop flag only; pthread_join orders the rest. */
	while (!atomic_load_explicit(&a->stop, memory_order_relaxed))
		ps_fix_server_poll(&a->srv, 2);
	return NULL;
}

struct client {
	int fd;
	struct ps_fix_session s;
	uint32_t apps;
};

static bool sock_send(void *ctx, const uint8_t *msg, uint32_t len)
{
	struct client *c = ctx;
	sent_by_us++;
	return send(c->fd, msg, len, MSG_NOSIGNAL) == (ssize_t)len;
}

static void client_app(void *ctx, struct ps_fix_session *s, const struct ps_fix_msg *m,
		       uint64_t now_ns)
{
	(void)s;
	(void)m;
	(void)now_ns;
	((struct client *)ctx)->apps++;
}

static void pump(struct client *c, int ms)
{
	uint64_t end = ps_fix_realtime_ns() + (uint64_t)ms * 1000000ull;
	while (ps_fix_realtime_ns() < end && !ps_fix_session_want_close(&c->s)) {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		if (poll(&p, 1, 10) > 0) {
			uint32_t room;
			uint8_t *buf = ps_fix_session_rx_buf(&c->s, &room);
			ssize_t r = recv(c->fd, buf, room, 0);
			if (r <= 0)
				return;
			ps_fix_session_rx_commit(&c->s, (uint32_t)r, ps_fix_realtime_ns());
		}
		ps_fix_session_poll(&c->s, ps_fix_realtime_ns());
	}
}

static bool file_contains(const char *path, const char *needle)
{
	char buf[4096];
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	return strstr(buf, needle) != NULL;
}

static char *slurp_cmd(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	if (!p)
		return NULL;
	size_t cap = 1 << 20, n = 0;
	char *out = malloc(cap);
	size_t r;
	while (out && (r = fread(out + n, 1, cap - 1 - n, p)) > 0)
		n += r;
	pclose(p);
	if (out)
		out[n] = 0;
	return out;
}

static void test_fix_tshark_decodes_our_messages(void **state)
{
	(void)state;
	if (system("command -v tshark >/dev/null 2>&1") != 0) {
		fprintf(stderr, "tshark not found: skip\n");
		exit(77);
	}
	char dir[] = "/tmp/ps_fix_tshark_XXXXXX";
	assert_non_null(mkdtemp(dir));
	char pcap[64], errlog[64];
	snprintf(pcap, sizeof(pcap), "%s/x.pcap", dir);
	snprintf(errlog, sizeof(errlog), "%s/tshark.err", dir);

	static struct acceptor a;
	struct sockaddr_in la = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_int_equal(ps_fix_server_init(&a.srv, &la), 0);
	struct ps_fix_session_config sc = { .sender_comp_id = "VENUE",
					    .target_comp_id = "PERSEUS",
					    .on_app = venue_app };
	int rc;
	struct ps_fix_session *vs = ps_fix_server_add_session(&a.srv, &sc, &rc);
	assert_non_null(vs);

	char filter[64];
	snprintf(filter, sizeof(filter), "tcp port %u", a.srv.port);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		FILE *e = freopen(errlog, "w", stderr);
		(void)e;
		FILE *o = freopen("/dev/null", "w", stdout);
		(void)o;
		execlp("tshark", "tshark", "-i", "lo", "-f", filter, "-w", pcap, (char *)NULL);
		_exit(127);
	}
	bool capturing = false;
	for (int i = 0; i < 200 && !capturing; i++) {
		usleep(50000);
		capturing = file_contains(errlog, "Capturing on");
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
	}
	if (!capturing) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		fprintf(stderr, "tshark cannot capture on lo (needs root): skip\n");
		ps_fix_server_fini(&a.srv);
		exit(77);
	}
	usleep(1500000); /* "Capturing on" comes a little before packets are seen */
	atomic_init(&a.stop, false);
	assert_int_equal(pthread_create(&a.th, NULL, acceptor_main, &a), 0);

	static struct client c;
	c.fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in ca = la;
	ca.sin_port = htons(a.srv.port);
	assert_int_equal(connect(c.fd, (struct sockaddr *)&ca, sizeof(ca)), 0);
	struct ps_fix_session_config cc = { .sender_comp_id = "PERSEUS",
					    .target_comp_id = "VENUE",
					    .initiator = true,
					    .heart_bt_int_s = 30,
					    .username = "perseus",
					    .password = "secret",
					    .send = sock_send,
					    .on_app = client_app,
					    .ctx = &c };
	void *mem = malloc(ps_fix_session_memsize(&cc));
	assert_int_equal(ps_fix_session_init(&c.s, mem, &cc), 0);
	ps_fix_session_connected(&c.s, ps_fix_realtime_ns());
	pump(&c, 300);
	assert_int_equal(ps_fix_session_state(&c.s), PS_FIX_SESSION_LOGGED_ON);

	uint64_t now = ps_fix_realtime_ns();
	uint8_t b[1024];
	uint32_t n = 0;
	add(b, &n, 11, "PS1");
	n = ps_fix_add_char(b, n, 21, '1');
	add(b, &n, 55, "AAPL");
	n = ps_fix_add_char(b, n, 54, '1');
	n = ps_fix_add_time(&c.s.enc, b, n, 60, now);
	n = ps_fix_add_u64(b, n, 38, 100);
	n = ps_fix_add_char(b, n, 40, '2');
	n = ps_fix_add_decimal(b, n, 44, 1502500, 4);
	assert_int_equal(ps_fix_session_send(&c.s, "D", b + PS_FIX_PREFIX_ROOM, n, now), 0);
	n = 0;
	add(b, &n, 41, "NOPE");
	add(b, &n, 11, "C1");
	add(b, &n, 55, "AAPL");
	n = ps_fix_add_char(b, n, 54, '1');
	n = ps_fix_add_time(&c.s.enc, b, n, 60, now);
	assert_int_equal(ps_fix_session_send(&c.s, "F", b + PS_FIX_PREFIX_ROOM, n, now), 0);
	n = 0;
	add(b, &n, 41, "PS1");
	add(b, &n, 11, "PS2");
	add(b, &n, 55, "AAPL");
	n = ps_fix_add_char(b, n, 54, '1');
	n = ps_fix_add_time(&c.s.enc, b, n, 60, now);
	n = ps_fix_add_u64(b, n, 38, 200);
	n = ps_fix_add_char(b, n, 40, '2');
	n = ps_fix_add_decimal(b, n, 44, 1501000, 4);
	assert_int_equal(ps_fix_session_send(&c.s, "G", b + PS_FIX_PREFIX_ROOM, n, now), 0);
	n = 0;
	add(b, &n, 37, "X");
	add(b, &n, 17, "X");
	n = ps_fix_add_char(b, n, 150, '0');
	n = ps_fix_add_char(b, n, 39, '0');
	add(b, &n, 55, "AAPL");
	n = ps_fix_add_char(b, n, 54, '1');
	n = ps_fix_add_u64(b, n, 151, 0);
	n = ps_fix_add_u64(b, n, 14, 0);
	n = ps_fix_add_u64(b, n, 6, 0);
	assert_int_equal(ps_fix_session_send(&c.s, "8", b + PS_FIX_PREFIX_ROOM, n, now), 0);
	/* a TestRequest (Heartbeat back), a ResendRequest (resends and gap fills) */
	n = 0;
	add(b, &n, 112, "T1");
	assert_int_equal(ps_fix_session_send(&c.s, "1", b + PS_FIX_PREFIX_ROOM, n, now), 0);
	n = 0;
	n = ps_fix_add_u64(b, n, 7, 1);
	n = ps_fix_add_u64(b, n, 16, 0);
	assert_int_equal(ps_fix_session_send(&c.s, "2", b + PS_FIX_PREFIX_ROOM, n, now), 0);
	/* a Heartbeat with a tag not allowed there: a session Reject back */
	n = 0;
	add(b, &n, 55, "AAPL");
	assert_int_equal(ps_fix_session_send(&c.s, "0", b + PS_FIX_PREFIX_ROOM, n, now), 0);
	pump(&c, 500);
	/* 2 reports, 1 cancel reject, 1 BMR (the PossDup resends of them are dropped) */
	assert_int_equal(c.apps, 4);
	assert_int_equal(ps_fix_session_logout(&c.s, NULL, ps_fix_realtime_ns()), 0);
	pump(&c, 2000);
	assert_true(ps_fix_session_want_close(&c.s));
	usleep(300000);
	close(c.fd);
	ps_fix_session_disconnected(&c.s);
	/* Relaxed: see acceptor_main. */
	atomic_store_explicit(&a.stop, true, memory_order_relaxed);
	pthread_join(a.th, NULL);
	uint64_t venue_sent = vs->stats.tx_msgs;
	ps_fix_server_fini(&a.srv);
	usleep(500000);
	kill(pid, SIGINT);
	waitpid(pid, NULL, 0);

	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "tshark -r %s -d tcp.port==%u,fix -T fields -e fix.MsgType -e fix.checksum_good "
		 "-e fix.checksum_bad -e _ws.malformed -E occurrence=a 2>&1",
		 pcap, a.srv.port);
	char *out = slurp_cmd(cmd);
	assert_non_null(out);
	fprintf(stderr, "%s", out);
	free(out);
	snprintf(cmd, sizeof(cmd),
		 "tshark -r %s -d tcp.port==%u,fix -Y fix -T fields -e fix.checksum_good "
		 "-E occurrence=a -E separator=, 2>/dev/null | tr ',' '\\n' | grep -c '^1$'",
		 pcap, a.srv.port);
	out = slurp_cmd(cmd);
	assert_non_null(out);
	long good_ck = strtol(out, NULL, 10);
	free(out);
	snprintf(cmd, sizeof(cmd),
		 "tshark -r %s -d tcp.port==%u,fix -Y 'fix.checksum_bad == 1 || _ws.malformed || "
		 "fix.checksum_bad.expert' 2>/dev/null | wc -l",
		 pcap, a.srv.port);
	out = slurp_cmd(cmd);
	assert_non_null(out);
	long bad = strtol(out, NULL, 10);
	free(out);
	snprintf(cmd, sizeof(cmd),
		 "tshark -r %s -d tcp.port==%u,fix -Y 'fix.checksum_bad == 1 || _ws.malformed || "
		 "fix.checksum_bad.expert' -T fields -e frame.number -e _ws.expert.message "
		 "-e _ws.expert.severity 2>&1",
		 pcap, a.srv.port);
	out = slurp_cmd(cmd);
	if (out)
		fprintf(stderr, "%s", out);
	free(out);
	fprintf(stderr, "sent %u (client) + %llu (acceptor); tshark good checksums %ld, bad %ld\n",
		sent_by_us, (unsigned long long)venue_sent, good_ck, bad);
	assert_int_equal(bad, 0);
	assert_int_equal(good_ck, (long)(sent_by_us + venue_sent));
	ps_fix_session_fini(&c.s);
	free(mem);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fix_tshark_decodes_our_messages),
	};
	return cmocka_run_group_tests_name("exec_fix_tshark", tests, NULL, NULL);
}
