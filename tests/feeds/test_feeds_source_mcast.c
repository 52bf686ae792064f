/*
 * Multicast join on loopback: both socket sources join 239.255.77.1 on
 * 127.0.0.1 (IP_ADD_MEMBERSHIP) and receive datagrams sent to the group with
 * IP_MULTICAST_IF = 127.0.0.1 and IP_MULTICAST_LOOP on. Skips (77) when the
 * kernel refuses the join or routes nothing to the group over lo.
 */
#include <ps/source.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define GROUP "239.255.77.1"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void on_pkt(void *ctx, const uint8_t *data, uint32_t len, uint64_t tsc)
{
	uint32_t *n = ctx;

	(void)tsc;
	if (len == 8 && memcmp(data, "mcast-ok", 8) == 0)
		(*n)++;
}

static uint16_t free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	uint16_t port;

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0)
		abort();
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/* Returns datagrams received, or -1 when the join itself was refused. */
static int try_kind(uint32_t kind)
{
	struct ps_source s;
	struct ps_source_config cfg;
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct in_addr lo;
	uint32_t n = 0;
	unsigned char loop = 1;
	int rc;

	ps_source_config_default(&cfg, kind);
	cfg.port = free_port();
	cfg.mcast_group = GROUP;
	cfg.mcast_if = "127.0.0.1";
	rc = ps_source_open(&s, &cfg);
	if (rc < 0) {
		fprintf(stderr, "kind %u: join refused: %s\n", kind, strerror(-rc));
		return -1;
	}
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	inet_pton(AF_INET, "127.0.0.1", &lo);
	assert_int_equal(setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &lo, sizeof(lo)), 0);
	assert_int_equal(setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof(loop)), 0);
	to.sin_port = htons(cfg.port);
	inet_pton(AF_INET, GROUP, &to.sin_addr);
	for (int i = 0; i < 10; i++)
		if (sendto(fd, "mcast-ok", 8, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
			fprintf(stderr, "sendto: %s\n", strerror(errno));
	uint64_t deadline = now_ns() + 500000000ull;
	while (n < 10 && now_ns() < deadline)
		if (ps_source_poll(&s, on_pkt, &n) == 0)
			usleep(1000);
	close(fd);
	ps_source_close(&s);
	return (int)n;
}

static int results[2];

static void test_source_mcast_recvmmsg(void **state)
{
	(void)state;
	assert_int_equal(results[0], 10);
}

static void test_source_mcast_uring(void **state)
{
	(void)state;
	if (!ps_source_kind_available(PS_SOURCE_URING) || results[1] < 0)
		skip(); /* io_uring refused to open here (the join itself worked above) */
	assert_int_equal(results[1], 10);
}

int main(void)
{
	results[0] = try_kind(PS_SOURCE_RECVMMSG);
	if (results[0] <= 0) {
		fprintf(stderr, "skip: multicast on lo not available here\n");
		return 77;
	}
	results[1] = try_kind(PS_SOURCE_URING);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_source_mcast_recvmmsg),
		cmocka_unit_test(test_source_mcast_uring),
	};
	return cmocka_run_group_tests_name("source_mcast", tests, NULL, NULL);
}
