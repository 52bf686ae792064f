/*
 * pcap replay source: a capture written here with libpcap's pcap_dump (UDP to
 * the feed port, UDP to another port, a VLAN-tagged frame, ARP, an IP
 * fragment, a truncated frame) is read back; only the feed's UDP payloads come
 * out, in order, byte for byte.
 */
#include <ps/moldudp.h>
#include <ps/source.h>

#include <errno.h>
#include <pcap/pcap.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_feeds_capture.h"

static char path[512];

static int setup(void **state)
{
	(void)state;
	snprintf(path, sizeof(path), "%s/test_feeds_source_pcap.%d.pcap", PS_BINARY_DIR,
		 (int)getpid());
	write_capture(path, 500);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

static void test_source_pcap_replays_feed_port_only(void **state)
{
	(void)state;
	struct ps_source s;
	struct ps_source_config cfg;
	struct rx r = { 0 };
	int n, polls = 0;

	ps_source_config_default(&cfg, PS_SOURCE_PCAP);
	cfg.path = path;
	cfg.port = FEED_PORT;
	cfg.batch = 32;
	assert_int_equal(ps_source_open(&s, &cfg), 0);
	while ((n = ps_source_poll(&s, on_pkt, &r)) > 0 || !s.eof) {
		assert_true(n >= 0 && n <= 32);
		polls++;
	}
	assert_true(s.eof);
	assert_int_equal(ps_source_poll(&s, on_pkt, &r), 0);
	assert_int_equal(r.n, 500);
	assert_int_equal(r.bad, 0);
	assert_int_equal(s.stats.packets, 500);
	assert_int_equal(s.stats.filtered, 500 + 3); /* other port, ARP, fragment, snapped */
	assert_true(polls >= 500 / 32);
	ps_source_close(&s);
}

static void test_source_pcap_port_zero_takes_all_udp(void **state)
{
	(void)state;
	struct ps_source s;
	struct ps_source_config cfg;
	struct rx r = { 0 };

	ps_source_config_default(&cfg, PS_SOURCE_PCAP);
	cfg.path = path;
	assert_int_equal(ps_source_open(&s, &cfg), 0);
	while (!s.eof)
		assert_true(ps_source_poll(&s, on_pkt, &r) >= 0);
	assert_int_equal(s.stats.packets, 1000);
	ps_source_close(&s);
}

static void test_source_pcap_missing_file(void **state)
{
	(void)state;
	struct ps_source s;
	struct ps_source_config cfg;

	ps_source_config_default(&cfg, PS_SOURCE_PCAP);
	cfg.path = "/nonexistent/x.pcap";
	assert_int_equal(ps_source_open(&s, &cfg), -ENOENT);
	cfg.path = NULL;
	assert_int_equal(ps_source_open(&s, &cfg), -EINVAL);
}

/*
 * Independent decoder: packets from our builder, written to a capture, read by
 * tshark's MoldUDP64 dissector (session, sequence, count, block lengths).
 */
static void test_source_pcap_moldudp_decoded_by_tshark(void **state)
{
	(void)state;
	char cap[600], cmd[1400], out[4096] = { 0 };
	uint8_t pkt[256], frame[512];
	char session[PS_MOLDUDP_SESSION_LEN];
	struct ps_moldudp_builder b;

	if (system("command -v tshark >/dev/null 2>&1") != 0)
		skip();
	snprintf(cap, sizeof(cap), "%s.mold.pcap", path);
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d = pcap_dump_open(dead, cap);
	assert_non_null(d);
	ps_moldudp_session_copy(session, "SESSION01");
	ps_moldudp_builder_begin(&b, pkt, sizeof(pkt), session, 100);
	ps_moldudp_builder_append(&b, "abc", 3);
	ps_moldudp_builder_append(&b, "defgh", 5);
	size_t n = ps_moldudp_builder_finish(&b);
	size_t len = make_frame(frame, pkt, n, FEED_PORT, false, false);
	dump(d, frame, len, len);
	n = (size_t)ps_moldudp_heartbeat_encode(pkt, sizeof(pkt), session, 102, false);
	len = make_frame(frame, pkt, n, FEED_PORT, false, false);
	dump(d, frame, len, len);
	ps_moldudp_builder_begin(&b, pkt, sizeof(pkt), session, 102);
	ps_moldudp_builder_append(&b, "1234567", 7);
	n = ps_moldudp_builder_finish(&b);
	len = make_frame(frame, pkt, n, FEED_PORT, false, false);
	dump(d, frame, len, len);
	pcap_dump_close(d);
	pcap_close(dead);

	snprintf(cmd, sizeof(cmd),
		 "tshark -r '%s' -d udp.port==%d,moldudp64 -T fields -e moldudp64.session "
		 "-e moldudp64.sequence -e moldudp64.count -e moldudp64.msglen 2>/dev/null",
		 cap, FEED_PORT);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t got = fread(out, 1, sizeof(out) - 1, p);
	pclose(p);
	unlink(cap);
	out[got] = 0;
	assert_string_equal(out, "SESSION01 \t100\t2\t3,5\n"
				 "SESSION01 \t102\t0\t\n"
				 "SESSION01 \t102\t1\t7\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_source_pcap_replays_feed_port_only),
		cmocka_unit_test(test_source_pcap_port_zero_takes_all_udp),
		cmocka_unit_test(test_source_pcap_missing_file),
		cmocka_unit_test(test_source_pcap_moldudp_decoded_by_tshark),
	};
	return cmocka_run_group_tests_name("source_pcap", tests, setup, teardown);
}
