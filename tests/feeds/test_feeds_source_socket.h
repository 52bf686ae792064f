/*
 * Body shared by test_feeds_source_recvmmsg.c and test_feeds_source_uring.c:
 * socket sources over real UDP on 127.0.0.1. The including file defines
 * SOURCE_KIND and SOURCE_NAME, so both backends pass the same checks.
 */
#ifndef PS_TEST_FEEDS_SOURCE_SOCKET_H
#define PS_TEST_FEEDS_SOURCE_SOCKET_H

#include <ps/source.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
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

/* A variable, not the macro, so the backend checks below are not constant. */
static uint32_t source_kind = SOURCE_KIND;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct rx {
	uint32_t n;
	uint32_t bad;
	uint64_t last_tsc;
	uint32_t lens[4096];
};

/* Datagram i: length 1 + (i * 37) % 1400, bytes derived from i. */
static size_t fill(uint32_t i, uint8_t *buf)
{
	size_t len = 4 + (i * 37u) % 1400u;

	memcpy(buf, &i, 4);
	for (size_t k = 4; k < len; k++)
		buf[k] = (uint8_t)(i + k);
	return len;
}

static void on_pkt(void *ctx, const uint8_t *data, uint32_t len, uint64_t tsc)
{
	struct rx *r = ctx;
	uint8_t want[1500];
	uint32_t i;

	memcpy(&i, data, 4);
	size_t wl = fill(r->n, want);
	if (i != r->n || len != wl || memcmp(data, want, len) != 0 || tsc < r->last_tsc)
		r->bad++;
	r->last_tsc = tsc;
	if (r->n < 4096)
		r->lens[r->n] = len;
	r->n++;
}

static int open_or_skip(struct ps_source *s, struct ps_source_config *cfg)
{
	int rc = ps_source_open(s, cfg);

	if (source_kind == PS_SOURCE_URING && (rc == -ENOSYS || rc == -EPERM)) {
		fprintf(stderr, "skip: io_uring unavailable (%s)\n", strerror(-rc));
		exit(77);
	}
	return rc;
}

static int sender_socket(uint16_t port, struct sockaddr_in *to)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	memset(to, 0, sizeof(*to));
	to->sin_family = AF_INET;
	to->sin_port = htons(port);
	inet_pton(AF_INET, "127.0.0.1", &to->sin_addr);
	return fd;
}

static void drain_until(struct ps_source *s, struct rx *r, uint32_t want)
{
	uint64_t deadline = now_ns() + 5000000000ull;

	while (r->n < want && now_ns() < deadline) {
		int n = ps_source_poll(s, on_pkt, r);
		assert_true(n >= 0);
		if (n == 0)
			usleep(100);
	}
}

static void test_source_rejects_bad_config(void **state)
{
	(void)state;
	struct ps_source s;
	struct ps_source_config cfg;

	ps_source_config_default(&cfg, source_kind);
	cfg.flags = 0x80;
	assert_int_equal(ps_source_open(&s, &cfg), -EINVAL);
	ps_source_config_default(&cfg, source_kind);
	cfg.batch = 0;
	assert_int_equal(ps_source_open(&s, &cfg), -EINVAL);
	ps_source_config_default(&cfg, source_kind);
	cfg.bind_ip = "not-an-ip";
	assert_int_equal(open_or_skip(&s, &cfg), -EINVAL);
	ps_source_config_default(&cfg, 99);
	assert_int_equal(ps_source_open(&s, &cfg), -EINVAL);
	ps_source_close(&s); /* closing a source that failed to open does nothing */
	if (source_kind == PS_SOURCE_URING) {
		ps_source_config_default(&cfg, source_kind);
		cfg.buf_count = 1000;
		assert_int_equal(ps_source_open(&s, &cfg), -EINVAL);
	}
}

static void test_source_receives_in_order(void **state)
{
	(void)state;
	struct ps_source s;
	struct ps_source_config cfg;
	struct rx *r = calloc(1, sizeof(*r));
	struct sockaddr_in to;
	uint8_t buf[1500];
	const uint32_t total = 2000;

	ps_source_config_default(&cfg, source_kind);
	cfg.bind_ip = "127.0.0.1";
	cfg.rcvbuf_bytes = 8 << 20;
	assert_int_equal(open_or_skip(&s, &cfg), 0);
	uint16_t port = ps_source_port(&s);
	assert_true(port != 0);
	assert_int_equal(ps_source_poll(&s, on_pkt, r), 0); /* nothing yet */
	int fd = sender_socket(port, &to);
	for (uint32_t i = 0; i < total; i++) {
		size_t len = fill(i, buf);
		assert_int_equal(sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to)),
				 (ssize_t)len);
		if ((i & 127) == 127)
			drain_until(&s, r, i + 1); /* keep within the socket buffer */
	}
	drain_until(&s, r, total);
	assert_int_equal(r->n, total);
	assert_int_equal(r->bad, 0);
	assert_int_equal(s.stats.packets, total);
	assert_true(s.stats.syscalls > 0);
	fprintf(stderr, "%s: %llu datagrams, %llu syscalls, %llu polls\n", s.ops->name,
		(unsigned long long)s.stats.packets, (unsigned long long)s.stats.syscalls,
		(unsigned long long)s.stats.polls);
	close(fd);
	ps_source_close(&s);
	assert_null(s.ops);
	free(r);
}

/* Few buffers (io_uring: the ring runs dry and the recv is re-armed); nothing is lost. */
static void test_source_small_buffer_pool_recovers(void **state)
{
	(void)state;
	struct ps_source s;
	struct ps_source_config cfg;
	struct rx *r = calloc(1, sizeof(*r));
	struct sockaddr_in to;
	uint8_t buf[1500];

	ps_source_config_default(&cfg, source_kind);
	cfg.bind_ip = "127.0.0.1";
	cfg.buf_count = 4;
	cfg.batch = 4;
	assert_int_equal(open_or_skip(&s, &cfg), 0);
	int fd = sender_socket(ps_source_port(&s), &to);
	for (uint32_t i = 0; i < 40; i++) {
		size_t len = fill(i, buf);
		sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to));
	}
	drain_until(&s, r, 40);
	assert_int_equal(r->n, 40);
	assert_int_equal(r->bad, 0);
	if (source_kind == PS_SOURCE_URING) {
		assert_true(s.stats.rearms >= 1);
		assert_true(s.stats.nobufs >= 1);
	}
	close(fd);
	ps_source_close(&s);
	free(r);
}

/* A queued backlog is read in batches: at least 16 datagrams per syscall. */
static void test_source_backlog_batches_per_syscall(void **state)
{
	(void)state;
	struct ps_source s;
	struct ps_source_config cfg;
	struct rx *r = calloc(1, sizeof(*r));
	struct sockaddr_in to;
	uint8_t buf[1500];

	ps_source_config_default(&cfg, source_kind);
	cfg.bind_ip = "127.0.0.1";
	cfg.rcvbuf_bytes = 8 << 20;
	cfg.batch = 256;
	assert_int_equal(open_or_skip(&s, &cfg), 0);
	assert_int_equal(ps_source_poll(&s, on_pkt, r), 0); /* io_uring: arms the recv */
	int fd = sender_socket(ps_source_port(&s), &to);
	for (uint32_t i = 0; i < 1024; i++) {
		size_t len = fill(i, buf);
		assert_int_equal(sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to)),
				 (ssize_t)len);
	}
	uint64_t sys0 = s.stats.syscalls, pk0 = s.stats.packets;
	drain_until(&s, r, 1024);
	assert_int_equal(r->n, 1024);
	assert_int_equal(r->bad, 0);
	uint64_t sys = s.stats.syscalls - sys0;
	fprintf(stderr, "%s: backlog of 1024: %llu syscalls, %.1f datagrams per syscall\n",
		s.ops->name, (unsigned long long)sys,
		sys ? (double)(s.stats.packets - pk0) / (double)sys : 0.0);
	assert_true(sys > 0 && (s.stats.packets - pk0) / sys >= 16);
	close(fd);
	ps_source_close(&s);
	free(r);
}

/* io_uring: a busy poll that finds nothing makes no syscall (TASKRUN flag). */
static void test_source_empty_polls_are_cheap(void **state)
{
	(void)state;
	struct ps_source s;
	struct ps_source_config cfg;
	struct rx r = { 0 };

	ps_source_config_default(&cfg, source_kind);
	cfg.bind_ip = "127.0.0.1";
	assert_int_equal(open_or_skip(&s, &cfg), 0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(ps_source_poll(&s, on_pkt, &r), 0);
	if (source_kind == PS_SOURCE_URING)
		assert_true(s.stats.syscalls <= 2); /* enable + arm */
	else
		assert_int_equal(s.stats.syscalls, 1000); /* recvmmsg: one per poll, by design */
	assert_int_equal(s.stats.polls, 1000);
	ps_source_close(&s);
}

struct delayed {
	uint16_t port;
};

static void *send_later(void *arg)
{
	const struct delayed *d = arg;
	struct sockaddr_in to;
	uint8_t buf[1500];
	int fd = sender_socket(d->port, &to);

	usleep(50000);
	size_t len = fill(0, buf);
	sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to));
	close(fd);
	return NULL;
}

static void test_source_wait_blocks_until_data(void **state)
{
	(void)state;
	struct ps_source s;
	struct ps_source_config cfg;
	struct rx *r = calloc(1, sizeof(*r));
	struct delayed d;
	pthread_t th;

	ps_source_config_default(&cfg, source_kind);
	cfg.bind_ip = "127.0.0.1";
	cfg.flags = PS_SOURCE_F_WAIT;
	assert_int_equal(open_or_skip(&s, &cfg), 0);
	d.port = ps_source_port(&s);
	assert_int_equal(pthread_create(&th, NULL, send_later, &d), 0);
	uint64_t t0 = now_ns();
	int n = 0;
	/* io_uring may return once with only the arming done; recvmmsg blocks at once. */
	for (int i = 0; i < 3 && n == 0; i++)
		n = ps_source_poll(&s, on_pkt, r);
	assert_int_equal(n, 1);
	assert_true(now_ns() - t0 >= 20000000ull);
	assert_int_equal(r->bad, 0);
	pthread_join(th, NULL);
	ps_source_close(&s);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_source_rejects_bad_config),
		cmocka_unit_test(test_source_receives_in_order),
		cmocka_unit_test(test_source_small_buffer_pool_recovers),
		cmocka_unit_test(test_source_wait_blocks_until_data),
		cmocka_unit_test(test_source_backlog_batches_per_syscall),
		cmocka_unit_test(test_source_empty_polls_are_cheap),
	};
	return cmocka_run_group_tests_name(SOURCE_NAME, tests, NULL, NULL);
}

#endif /* PS_TEST_FEEDS_SOURCE_SOCKET_H */
