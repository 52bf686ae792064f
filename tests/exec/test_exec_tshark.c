/*
 * Cross-check of our wire formats by an independent decoder: capture a
 * SoupBinTCP + OUCH 4.2 conversation on loopback with tshark while the Soup
 * client (with the OMS and the Enter Order template) sends Enter / Replace /
 * Cancel Order and the test server answers Accepted / Executed / Replaced /
 * Canceled, then decode the capture with `tshark -d tcp.port==P,soupbintcp
 * -V` and require every message to be recognised with the values we sent and
 * no malformed or unknown packet. Exits 77 when tshark is missing or cannot
 * capture (not root).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <ps/oms.h>
#include <ps/soup_client.h>

#include "soup_test_server.h"

#define MS 1000000ull

struct ctx {
	struct ps_oms oms;
	int msgs;
	int oms_errors;
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void on_msg(void *p, uint64_t seq, const uint8_t *msg, uint16_t len)
{
	struct ctx *c = p;
	(void)seq;
	struct ps_ouch_msg m;
	if (ps_ouch_decode_outbound(msg, len, &m) != 0 ||
	    ps_oms_on_ouch(&c->oms, &m, now_ns()) != 0)
		c->oms_errors++;
	c->msgs++;
}

static bool file_contains(const char *path, const char *needle)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	char buf[4096];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

static char *slurp_cmd(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	if (!p)
		return NULL;
	size_t cap = 1 << 20;
	size_t len = 0;
	char *buf = malloc(cap);
	size_t k;
	while ((k = fread(buf + len, 1, cap - 1 - len, p)) > 0) {
		len += k;
		if (len + 1 >= cap) {
			cap *= 2;
			char *bigger = realloc(buf, cap);
			if (!bigger) {
				free(buf);
				pclose(p);
				return NULL;
			}
			buf = bigger;
		}
	}
	buf[len] = '\0';
	pclose(p);
	return buf;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static void poll_until(struct ps_soup_client *sc, struct ctx *c, int msgs, int timeout_ms)
{
	uint64_t end = now_ns() + (uint64_t)timeout_ms * MS;
	while (c->msgs < msgs && now_ns() < end)
		ps_soup_client_poll(sc, now_ns());
}

static void test_tshark_decodes_ouch_conversation(void **state)
{
	(void)state;
	if (system("command -v tshark >/dev/null 2>&1") != 0) {
		fprintf(stderr, "tshark not found: skip\n");
		exit(77);
	}
	char dir[] = "/tmp/ps_exec_tshark_XXXXXX";
	assert_non_null(mkdtemp(dir));
	char pcap[256];
	char errlog[256];
	snprintf(pcap, sizeof(pcap), "%s/x.pcap", dir);
	snprintf(errlog, sizeof(errlog), "%s/tshark.err", dir);

	struct srv *s = calloc(1, sizeof(*s));
	assert_int_equal(srv_open(s), 0);
	s->script[0] =
	    (struct srv_script){ .send_count = -1, .answer_orders = true, .heartbeat_ms = 200 };
	s->nscript = 1;

	char filter[64];
	snprintf(filter, sizeof(filter), "tcp port %u", s->port);
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
		close(s->lfd);
		exit(77);
	}
	/* "Capturing on" is printed a little before packets are really seen. */
	usleep(1500000);
	srv_start(s);

	struct ctx *c = calloc(1, sizeof(*c));
	struct ps_oms_config ocfg = {
		.capacity = 16, .token_start = 42, .token_prefix = "PSX", .timeout_ns = 5000 * MS
	};
	void *omem = malloc(ps_oms_memsize(&ocfg));
	assert_int_equal(ps_oms_init(&c->oms, omem, &ocfg), 0);

	struct ps_soup_client sc;
	struct ps_soup_client_config cfg = { .addr = srv_addr(s),
					     .username = "tester",
					     .password = "secret",
					     .start_seq = 1,
					     .heartbeat_ns = 200 * MS,
					     .timeout_ns = 5000 * MS,
					     .on_msg = on_msg,
					     .ctx = c };
	void *mem = malloc(ps_soup_client_memsize(&cfg));
	int rc = ps_soup_client_init(&sc, mem, &cfg);
	if (rc == -ENOSYS || rc == -EPERM)
		exit(77);
	assert_int_equal(rc, 0);
	assert_int_equal(ps_soup_client_start(&sc, now_ns()), 0);
	uint64_t end = now_ns() + 3000 * MS;
	while (ps_soup_client_state(&sc) != PS_SOUP_CLIENT_LOGGED_IN && now_ns() < end)
		ps_soup_client_poll(&sc, now_ns());
	assert_int_equal(ps_soup_client_state(&sc), PS_SOUP_CLIENT_LOGGED_IN);

	/* Enter Order through the template. */
	struct ps_ouch_enter_order defaults = { .tif = PS_OUCH_TIF_MARKET_HOURS,
						.display = 'Y',
						.capacity = 'A',
						.ise = 'N',
						.min_qty = 0,
						.cross_type = 'N',
						.customer_type = 'N' };
	ps_ouch_pad(defaults.firm, 4, "PRSS");
	struct ps_ouch_enter_tmpl tmpl;
	ps_ouch_enter_tmpl_init(&tmpl, &defaults);
	struct ps_oms_new req = { .price = 1234500, .qty = 100, .instrument = 1, .side = 'B' };
	uint32_t h;
	assert_int_equal(ps_oms_order_new(&c->oms, &req, now_ns(), &h), 0);
	const struct ps_oms_order *o = ps_oms_order_get(&c->oms, h);
	char stock[8];
	ps_ouch_pad(stock, 8, "AAPL");
	uint8_t *p = ps_soup_client_claim_packet(&sc, PS_OUCH_ENTER_PKT_LEN);
	assert_non_null(p);
	ps_ouch_enter_tmpl_encode(&tmpl, p, o->token, o->side, o->qty, stock, (uint32_t)o->price);
	ps_soup_client_commit(&sc, now_ns());
	assert_int_equal(ps_soup_client_flush(&sc), 0);
	poll_until(&sc, c, 2, 3000); /* Accepted + Executed */
	assert_int_equal(c->msgs, 2);
	assert_int_equal(o->state, PS_OMS_STATE_PARTIALLY_FILLED);
	assert_int_equal(o->filled, 25);

	/* Replace: 75 shares at 123.4600. */
	uint32_t r;
	assert_int_equal(ps_oms_order_replace(&c->oms, h, 1234600, 75, now_ns(), &r), 0);
	struct ps_ouch_replace_order rep = { .shares = 75,
					     .price = 1234600,
					     .tif = PS_OUCH_TIF_MARKET_HOURS,
					     .display = 'Y',
					     .ise = 'N' };
	memcpy(rep.existing_token, o->token, 14);
	memcpy(rep.replacement_token, ps_oms_order_get(&c->oms, r)->token, 14);
	p = ps_soup_client_claim(&sc, PS_OUCH_REPLACE_ORDER_LEN);
	assert_non_null(p);
	ps_ouch_encode_replace_order(p, &rep);
	ps_soup_client_commit(&sc, now_ns());
	ps_soup_client_flush(&sc);
	poll_until(&sc, c, 3, 3000);
	assert_int_equal(o->state, PS_OMS_STATE_REPLACED);
	assert_int_equal(ps_oms_order_get(&c->oms, r)->state, PS_OMS_STATE_NEW);

	/* Cancel the replacement. */
	assert_int_equal(ps_oms_order_cancel(&c->oms, r, now_ns()), 0);
	p = ps_soup_client_claim(&sc, PS_OUCH_CANCEL_ORDER_LEN);
	assert_non_null(p);
	ps_ouch_encode_cancel_order(p, ps_oms_order_get(&c->oms, r)->token, 0);
	ps_soup_client_commit(&sc, now_ns());
	ps_soup_client_flush(&sc);
	poll_until(&sc, c, 4, 3000);
	assert_int_equal(ps_oms_order_get(&c->oms, r)->state, PS_OMS_STATE_CANCELED);
	assert_int_equal(c->oms_errors, 0);

	/* A heartbeat or two each way, then log out. */
	end = now_ns() + 450 * MS;
	while (now_ns() < end)
		ps_soup_client_poll(&sc, now_ns());
	assert_int_equal(ps_soup_client_logout(&sc, now_ns()), 0);
	end = now_ns() + 2000 * MS;
	while (ps_soup_client_state(&sc) != PS_SOUP_CLIENT_STOPPED && now_ns() < end)
		ps_soup_client_poll(&sc, now_ns());
	srv_join(s);
	usleep(300000);
	kill(pid, SIGINT);
	waitpid(pid, NULL, 0);

	char cmd[512];
	snprintf(cmd, sizeof(cmd), "tshark -r %s -d tcp.port==%u,soupbintcp -V 2>&1", pcap,
		 s->port);
	char *out = slurp_cmd(cmd);
	assert_non_null(out);
	if (getenv("PS_TSHARK_DUMP"))
		fputs(out, stderr);
	/* Nothing the dissectors could not make sense of. */
	assert_int_equal(count(out, "Malformed"), 0);
	assert_int_equal(count(out, "Unknown"), 0);
	assert_int_equal(count(out, "Expert Info (Error"), 0);
	/* Soup session packets. */
	assert_true(count(out, "Login Request") >= 1);
	assert_true(count(out, "Login Accepted") >= 1);
	assert_true(count(out, "Client Heartbeat") >= 1);
	assert_true(count(out, "Server Heartbeat") >= 1);
	assert_true(count(out, "Logout Request") >= 1);
	/* Every OUCH message we exchanged, with our values. */
	assert_true(count(out, "Enter Order") >= 1);
	assert_true(count(out, "Replace Order") >= 1);
	assert_true(count(out, "Cancel Order") >= 1);
	assert_true(count(out, ", Accepted") >= 1);
	assert_true(count(out, ", Executed") >= 1);
	assert_true(count(out, ", Replaced") >= 1);
	assert_true(count(out, ", Canceled") >= 1);
	assert_true(count(out, "Order Token: PSX00000000042") >= 3);
	assert_true(count(out, "Replacement Order Token: PSX00000000043") >= 2);
	assert_true(count(out, "Shares: 100") >= 2);
	assert_true(count(out, "Shares: 75") >= 2);
	assert_true(count(out, "Executed Shares: 25") == 1);
	assert_true(count(out, "Stock: AAPL") >= 3);
	assert_true(count(out, "Firm: PRSS") >= 2);
	assert_true(count(out, "Price: $123.4500") >= 2);
	assert_true(count(out, "Price: $123.4600") >= 2);
	assert_true(count(out, "User Name: tester") == 1);
	assert_true(count(out, "Requested sequence number: 1") == 1);
	assert_true(count(out, "Next sequence number: 1") == 1);
	assert_true(count(out, "Timestamp: 9:30:00.000000000") == 1);
	assert_true(count(out, "Order Reference Number: 1000") == 1);
	assert_true(count(out, "Time In Force: Market Hours (99998)") >= 3);
	/* Every data packet was handed to OUCH and recognised. */
	assert_int_equal(count(out, "SoupBinTCP, Unsequenced Data"), 3);
	assert_int_equal(count(out, "SoupBinTCP, Sequenced Data"), 4);
	assert_int_equal(count(out, "\nOUCH, "), 7);
	free(out);

	ps_soup_client_fini(&sc);
	free(mem);
	ps_oms_fini(&c->oms);
	free(omem);
	free(c);
	free(s);
	unlink(pcap);
	unlink(errlog);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tshark_decodes_ouch_conversation),
	};
	return cmocka_run_group_tests_name("exec_tshark", tests, NULL, NULL);
}
