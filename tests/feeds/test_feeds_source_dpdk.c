/*
 * DPDK source: the EAL starts with --no-huge --no-pci and a net_pcap virtual
 * device reading a capture written here with libpcap; the source must deliver
 * the feed port's UDP payloads in order. Skips (77) without DPDK in the build
 * or when the EAL cannot start on this host.
 */
#include <ps/source.h>

#include <errno.h>
#include <pcap/pcap.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_feeds_capture.h"

static char path[512];
static struct ps_source src;

static void test_source_dpdk_net_pcap_delivers_payloads(void **state)
{
	(void)state;
	struct rx r = { 0 };
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* net_pcap hands out the whole file once, then returns empty bursts. */
	for (;;) {
		int n = ps_source_poll(&src, on_pkt, &r);
		assert_true(n >= 0);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (r.n >= 500 || t.tv_sec - t0.tv_sec > 5)
			break;
	}
	assert_int_equal(r.n, 500);
	assert_int_equal(r.bad, 0);
	assert_int_equal(src.stats.packets, 500);
	assert_true(src.stats.filtered >= 500);
}

static void test_source_dpdk_bad_port(void **state)
{
	(void)state;
	struct ps_source s;
	struct ps_source_config cfg;

	ps_source_config_default(&cfg, PS_SOURCE_DPDK);
	cfg.dpdk_port = 77; /* EAL is already up: only the port is wrong */
	assert_int_equal(ps_source_open(&s, &cfg), -ENODEV);
}

int main(void)
{
	struct ps_source_config cfg;
	char args[1024];
	int rc;

	if (!ps_source_kind_available(PS_SOURCE_DPDK)) {
		fprintf(stderr, "skip: built without DPDK\n");
		return 77;
	}
	snprintf(path, sizeof(path), "%s/test_feeds_source_dpdk.%d.pcap", PS_BINARY_DIR,
		 (int)getpid());
	write_capture(path, 500);
	snprintf(args, sizeof(args),
		 "-l 0 --no-huge -m 256 --no-pci --no-telemetry --log-level=4 "
		 "--file-prefix=pstest%d --vdev=net_pcap0,rx_pcap=%s",
		 (int)getpid(), path);
	ps_source_config_default(&cfg, PS_SOURCE_DPDK);
	cfg.eal_args = args;
	cfg.port = FEED_PORT;
	rc = ps_source_open(&src, &cfg);
	if (rc < 0) {
		fprintf(stderr, "skip: DPDK source did not open: %d (%s)\n", rc, strerror(-rc));
		unlink(path);
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_source_dpdk_net_pcap_delivers_payloads),
		cmocka_unit_test(test_source_dpdk_bad_port),
	};
	rc = cmocka_run_group_tests_name("source_dpdk", tests, NULL, NULL);
	ps_source_close(&src);
	unlink(path);
	return rc;
}
