/*
 * Interoperability with QuickFIX (libquickfix-dev, libquickfix-doc): the
 * example executor acceptor shipped in libquickfix-doc is built now with
 * g++ -std=c++14 into a temporary directory (exit 77 when that is not
 * possible), started on a free port with UseDataDictionary=N, and our
 * initiator session logs on to it, sends NewOrderSingles, checks the
 * ExecutionReports it fills them with, and logs out cleanly. Then the other
 * way round: a QuickFIX initiator (test_exec_fix_qf_client.cc, built the
 * same way) trades with two sessions against the venue simulator's FIX
 * acceptor (in-process), crossing two orders, cancelling one and getting
 * an OrderCancelReject for an unknown order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <pthread.h>

#include <ps/fix_session.h>
#include <ps/venue.h>

#define EXAMPLES "/usr/share/doc/libquickfix-doc/examples/executor/C++"

static char dir[64];
static int port;
static pid_t executor = -1;

static int run(const char *cmd)
{
	int rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(a);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &l) != 0)
		return -1;
	close(fd);
	return ntohs(a.sin_port);
}

/* @return 0, or 77 when the executor cannot be built here. */
static int build_executor(void)
{
	snprintf(dir, sizeof(dir), "/tmp/ps_fix_qf_XXXXXX");
	if (!mkdtemp(dir))
		return 77;
	char cmd[2048];
	snprintf(cmd, sizeof(cmd),
		 "cd %s && cp " EXAMPLES "/Application.h " EXAMPLES "/executor.cpp . && "
		 "zcat " EXAMPLES "/Application.cpp.gz > Application.cpp && touch config.h && "
		 "g++ -std=c++14 -w -O1 -I. executor.cpp Application.cpp -o executor "
		 "$(pkg-config --cflags --libs quickfix) -lpthread > build.log 2>&1",
		 dir);
	if (run(cmd) != 0) {
		fprintf(stderr, "cannot build the QuickFIX executor (see %s/build.log): skip\n",
			dir);
		return 77;
	}
	port = free_port();
	if (port <= 0)
		return 77;
	snprintf(cmd, sizeof(cmd), "%s/executor.cfg", dir);
	FILE *f = fopen(cmd, "w");
	if (!f)
		return 77;
	fprintf(f,
		"[DEFAULT]\nConnectionType=acceptor\nSocketAcceptPort=%d\n"
		"SocketReuseAddress=Y\nStartTime=00:00:00\nEndTime=00:00:00\n"
		"FileStorePath=%s/store\nUseDataDictionary=N\nResetOnLogon=Y\n"
		"[SESSION]\nBeginString=FIX.4.4\nSenderCompID=EXECUTOR\nTargetCompID=CLIENT1\n",
		port, dir);
	fclose(f);
	return 0;
}

static int build_client(void)
{
	char cmd[2048];
	snprintf(
	    cmd, sizeof(cmd),
	    "cd %s && g++ -std=c++14 -w -O1 %s/tests/exec/test_exec_fix_qf_client.cc -o client "
	    "$(pkg-config --cflags --libs quickfix) -lpthread > client_build.log 2>&1",
	    dir, PS_SOURCE_DIR);
	return run(cmd);
}

static int start_executor(void)
{
	char exe[300], cfg[300], log[300];
	snprintf(exe, sizeof(exe), "%s/executor", dir);
	snprintf(cfg, sizeof(cfg), "%s/executor.cfg", dir);
	snprintf(log, sizeof(log), "%s/executor.log", dir);
	executor = fork();
	if (executor == 0) {
		FILE *o = freopen(log, "w", stdout);
		(void)o;
		dup2(fileno(stdout), 2);
		int in = open("/dev/null", 0);
		if (in >= 0)
			dup2(in, 0);
		execl(exe, exe, cfg, (char *)NULL);
		_exit(127);
	}
	return executor > 0 ? 0 : -1;
}

static void stop_executor(void)
{
	if (executor > 0) {
		kill(executor, SIGTERM);
		waitpid(executor, NULL, 0);
		executor = -1;
	}
}

struct client {
	int fd;
	struct ps_fix_session s;
	void *mem;
	struct ps_fix_exec_report er[8];
	char cl[8][16];
	uint32_t ers;
	uint8_t keep[8][1024]; /* the reports' bytes (er holds views into them) */
};

static bool sock_send(void *ctx, const uint8_t *msg, uint32_t len)
{
	struct client *c = ctx;
	return send(c->fd, msg, len, MSG_NOSIGNAL) == (ssize_t)len;
}

static void on_app(void *ctx, struct ps_fix_session *s, const struct ps_fix_msg *m, uint64_t now_ns)
{
	(void)s;
	(void)now_ns;
	struct client *c = ctx;
	if (!ps_fix_msg_is(m, "8") || c->ers >= 8 || m->len > sizeof(c->keep[0]))
		return;
	memcpy(c->keep[c->ers], m->buf, m->len);
	struct ps_fix_msg copy;
	assert_int_equal(ps_fix_parse(c->keep[c->ers], m->len, &copy), 0);
	assert_int_equal(ps_fix_exec_report_decode(&copy, 4, &c->er[c->ers]), 0);
	c->ers++;
}

static int connect_retry(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	for (int i = 0; i < 100; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
			int one = 1;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			return fd;
		}
		close(fd);
		usleep(100000);
	}
	return -1;
}

/* Reads and processes until cond holds or ms pass. */
static bool pump_until(struct client *c, bool (*cond)(struct client *), int ms)
{
	uint64_t end = ps_fix_realtime_ns() + (uint64_t)ms * 1000000ull;
	while (!cond(c)) {
		uint64_t now = ps_fix_realtime_ns();
		if (now >= end)
			return false;
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		if (poll(&p, 1, 50) > 0) {
			uint32_t room;
			uint8_t *buf = ps_fix_session_rx_buf(&c->s, &room);
			ssize_t r = recv(c->fd, buf, room, 0);
			if (r <= 0)
				return cond(c);
			ps_fix_session_rx_commit(&c->s, (uint32_t)r, ps_fix_realtime_ns());
		}
		ps_fix_session_poll(&c->s, ps_fix_realtime_ns());
	}
	return true;
}

static bool logged_on(struct client *c)
{
	return ps_fix_session_state(&c->s) == PS_FIX_SESSION_LOGGED_ON;
}

static bool two_reports(struct client *c)
{
	return c->ers >= 2;
}

static bool closing(struct client *c)
{
	return ps_fix_session_want_close(&c->s);
}

static void send_order(struct client *c, const char *id, uint64_t qty, int64_t px)
{
	uint8_t buf[512];
	uint32_t n = 0;
	n = ps_fix_add_str(buf, n, 11, id, (uint32_t)strlen(id));
	n = ps_fix_add_char(buf, n, 21, '1');
	n = ps_fix_add_str(buf, n, 55, "AAPL", 4);
	n = ps_fix_add_char(buf, n, 54, '1');
	n = ps_fix_add_time(&c->s.enc, buf, n, 60, ps_fix_realtime_ns());
	n = ps_fix_add_u64(buf, n, 38, qty);
	n = ps_fix_add_char(buf, n, 40, '2');
	n = ps_fix_add_decimal(buf, n, 44, px, 4);
	assert_int_equal(
	    ps_fix_session_send(&c->s, "D", buf + PS_FIX_PREFIX_ROOM, n, ps_fix_realtime_ns()), 0);
}

static void test_fix_quickfix_executor_fills_our_orders(void **state)
{
	(void)state;
	assert_int_equal(start_executor(), 0);
	static struct client c;
	memset(&c, 0, sizeof(c));
	c.fd = connect_retry();
	assert_true(c.fd >= 0);
	struct ps_fix_session_config cfg = {
		.sender_comp_id = "CLIENT1",
		.target_comp_id = "EXECUTOR",
		.initiator = true,
		.heart_bt_int_s = 30,
		.reset_on_logon = true,
		.send = sock_send,
		.on_app = on_app,
		.ctx = &c,
	};
	c.mem = malloc(ps_fix_session_memsize(&cfg));
	assert_int_equal(ps_fix_session_init(&c.s, c.mem, &cfg), 0);
	ps_fix_session_connected(&c.s, ps_fix_realtime_ns());
	assert_true(pump_until(&c, logged_on, 10000));

	send_order(&c, "PS000000000001", 100, 1502500);
	send_order(&c, "PS000000000002", 7, 99);
	assert_true(pump_until(&c, two_reports, 10000));
	assert_int_equal(c.er[0].exec_type, 'F');
	assert_int_equal(c.er[0].ord_status, '2');
	assert_int_equal(c.er[0].cl_ord_id_len, 14);
	assert_memory_equal(c.er[0].cl_ord_id, "PS000000000001", 14);
	assert_int_equal(c.er[0].last_qty, 100);
	assert_int_equal(c.er[0].cum_qty, 100);
	assert_int_equal(c.er[0].leaves_qty, 0);
	assert_int_equal(c.er[0].last_px, 1502500);
	assert_int_equal(c.er[0].avg_px, 1502500);
	assert_memory_equal(c.er[1].cl_ord_id, "PS000000000002", 14);
	assert_int_equal(c.er[1].last_qty, 7);
	assert_int_equal(c.er[1].last_px, 99);
	assert_int_equal(c.s.stats.garbled, 0);
	assert_int_equal(c.s.stats.rejects_tx, 0);

	/* clean Logout: ours, then theirs, then the session asks to close */
	assert_int_equal(ps_fix_session_logout(&c.s, NULL, ps_fix_realtime_ns()), 0);
	assert_true(pump_until(&c, closing, 10000));
	assert_int_equal(c.s.close_err, 0);
	close(c.fd);
	ps_fix_session_disconnected(&c.s);
	ps_fix_session_fini(&c.s);
	free(c.mem);
	stop_executor();
}

struct venue_run {
	struct ps_venue *v;
	volatile sig_atomic_t stop;
};

static void *venue_main(void *arg)
{
	struct venue_run *r = arg;
	ps_venue_run(r->v, &r->stop);
	return NULL;
}

static void test_fix_quickfix_initiator_trades_on_our_venue(void **state)
{
	(void)state;
	if (build_client() != 0) {
		fprintf(stderr, "cannot build the QuickFIX client (see %s/client_build.log)\n",
			dir);
		skip();
	}
	struct ps_venue_config vc;
	memset(&vc, 0, sizeof(vc));
	strcpy(vc.session, "PERSEUS001");
	strcpy(vc.ouch_listen, "127.0.0.1:0");
	snprintf(vc.md_dest, sizeof(vc.md_dest), "127.0.0.1:%d", free_port());
	strcpy(vc.rerequest_listen, "127.0.0.1:0");
	strcpy(vc.control_listen, "127.0.0.1:0");
	snprintf(vc.ports_file, sizeof(vc.ports_file), "%s/ports", dir);
	strcpy(vc.users[0].name, "QF1");
	strcpy(vc.users[0].password, "pw1");
	strcpy(vc.users[1].name, "QF2");
	strcpy(vc.users[1].password, "pw1");
	vc.user_count = 2;
	strcpy(vc.symbol, "AAPL");
	vc.mtu = 1400;
	vc.heartbeat_ms = 1000;
	vc.idle_timeout_ms = 15000;
	vc.linger_s = 3600;
	strcpy(vc.fix_listen, "127.0.0.1:0");
	strcpy(vc.fix_comp_id, "VENUE");
	char err[256] = "";
	static struct venue_run r;
	r.stop = 0;
	int rc = ps_venue_create(&r.v, &vc, err, sizeof(err));
	if (rc)
		fprintf(stderr, "venue: %s\n", err);
	assert_int_equal(rc, 0);
	char path[400];
	snprintf(path, sizeof(path), "%s/ports", dir);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char line[128];
	int fix_port = 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "fix=", 4))
			fix_port = (int)strtol(line + 4, NULL, 10);
	fclose(f);
	assert_true(fix_port > 0);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, venue_main, &r), 0);

	snprintf(path, sizeof(path), "%s/client.cfg", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f,
		"[DEFAULT]\nConnectionType=initiator\nSocketConnectHost=127.0.0.1\n"
		"SocketConnectPort=%d\nHeartBtInt=30\nReconnectInterval=1\n"
		"FileStorePath=%s/cstore\nStartTime=00:00:00\nEndTime=00:00:00\n"
		"UseDataDictionary=N\nResetOnLogon=Y\n"
		"[SESSION]\nBeginString=FIX.4.4\nSenderCompID=QF1\nTargetCompID=VENUE\n"
		"[SESSION]\nBeginString=FIX.4.4\nSenderCompID=QF2\nTargetCompID=VENUE\n",
		fix_port, dir);
	fclose(f);
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "cd %s && timeout 60 ./client client.cfg pw1 > client.out 2>&1",
		 dir);
	rc = run(cmd);
	r.stop = 1;
	pthread_join(th, NULL);
	ps_venue_destroy(r.v);

	snprintf(path, sizeof(path), "%s/client.out", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	char out[4096];
	size_t n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = 0;
	fclose(f);
	fprintf(stderr, "%s", out);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "ER QF1 B1 0 0 0 0 100\n"));
	assert_non_null(strstr(out, "ER QF1 B1 F 2 100 100 0\n"));
	assert_non_null(strstr(out, "ER QF2 S1 F 2 100 100 0\n"));
	assert_non_null(strstr(out, "ER QF1 B2 0 0 0 0 50\n"));
	assert_non_null(strstr(out, "ER QF1 C2 4 4 0 0 0\n"));
	assert_non_null(strstr(out, "CXLREJ QF1 C3\n"));
	assert_non_null(strstr(out, "DONE\n"));
}

int main(void)
{
	int rc = build_executor();
	if (rc)
		return rc;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fix_quickfix_executor_fills_our_orders),
		cmocka_unit_test(test_fix_quickfix_initiator_trades_on_our_venue),
	};
	rc = cmocka_run_group_tests_name("exec_fix_quickfix", tests, NULL, NULL);
	stop_executor();
	char cmd[300];
	if (rc == 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		run(cmd);
	}
	return rc;
}
