/*
 * Order-entry benchmarks.
 *
 *   exec/ouch/perseus/encode_enter      Soup-framed OUCH 4.2 Enter Order from
 *                                       the precomputed template (goal <= 20 ns)
 *   exec/ouch/perseus/decode_executed   decode one Executed message
 *   exec/oms/perseus/transition         one checked OMS transition (cancel
 *                                       request / cancel reject, alternating;
 *                                       each also links or unlinks the timeout
 *                                       list) (goal <= 30 ns)
 *   exec/oms/perseus/find               the order a venue answer names, by
 *                                       token: 17,000 live orders (a demo
 *                                       run's) in the engine's 65,536-order
 *                                       table, looked up in scattered order
 *   exec/rtt/uring/enter_accept         Enter Order sent -> Accepted received
 *   exec/rtt/blocking/enter_accept      over loopback TCP to an in-benchmark
 *                                       server thread answering Accepted; the
 *                                       io_uring transport vs plain blocking
 *                                       send()/recv() in the same run.
 *   exec/rtt/uring_wait/enter_accept    io_uring, but sleeping in
 *                                       io_uring_enter for the answer instead
 *                                       of spinning (the "park" idle mode)
 *                                       Counters p50/p99/p999/max_ns (each RTT
 *                                       timed with CLOCK_MONOTONIC).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ps/oms.h>
#include <ps/ouch.h>
#include <ps/soup.h>
#include <ps/tcp_uring.h>

#include "harness.h"

#ifndef RTT_SAMPLES
#define RTT_SAMPLES (1u << 16)
#endif

static void make_template(struct ps_ouch_enter_tmpl *t)
{
	struct ps_ouch_enter_order d = { .tif = PS_OUCH_TIF_MARKET_HOURS,
					 .display = 'Y',
					 .capacity = 'A',
					 .ise = 'N',
					 .cross_type = 'N',
					 .customer_type = 'N' };
	ps_ouch_pad(d.firm, 4, "PRSS");
	ps_ouch_enter_tmpl_init(t, &d);
}

static void bench_exec_ouch_encode_enter(struct ps_bench *b)
{
	struct ps_ouch_enter_tmpl t;
	make_template(&t);
	alignas(64) uint8_t out[64];
	char token[14];
	char stock[8];
	ps_ouch_pad(token, 14, "PSX00000000001");
	ps_ouch_pad(stock, 8, "AAPL");
	uint64_t n;
	uint32_t k = 0;
	while ((n = ps_bench_batch(b, 1000)) != 0) {
		for (uint64_t i = 0; i < n; i++, k++) {
			token[13] = (char)('0' + (k & 7));
			ps_ouch_enter_tmpl_encode(&t, out, token, 'B', 100 + (k & 63), stock,
						  1234500 + k);
			ps_bench_keep(out);
		}
	}
	ps_bench_items(b, (int64_t)k);
}
PS_BENCH("exec/ouch/perseus/encode_enter", bench_exec_ouch_encode_enter, 0, 0);

static void bench_exec_ouch_decode_executed(struct ps_bench *b)
{
	uint8_t w[PS_OUCH_EXECUTED_LEN];
	struct ps_ouch_executed e = {
		.timestamp_ns = 1, .match_number = 2, .shares = 3, .price = 4
	};
	memcpy(e.token, "PSX00000000001", 14);
	ps_ouch_encode_executed(w, &e);
	struct ps_ouch_msg m;
	uint64_t n;
	while ((n = ps_bench_batch(b, 1000)) != 0) {
		for (uint64_t i = 0; i < n; i++) {
			ps_bench_keep(w);
			if (ps_ouch_decode_outbound(w, sizeof(w), &m) != 0)
				ps_bench_skip(b, "decode failed");
			ps_bench_keep(&m);
		}
	}
}
PS_BENCH("exec/ouch/perseus/decode_executed", bench_exec_ouch_decode_executed, 0, 0);

/* An OMS of capacity orders over malloc'd memory (tokens prefix1...), or
 * NULL with the benchmark skipped. Free the memory after ps_oms_fini. */
static void *oms_open(struct ps_bench *b, struct ps_oms *oms, uint32_t capacity, const char *prefix)
{
	struct ps_oms_config cfg = { .capacity = capacity,
				     .token_start = 1,
				     .token_prefix = prefix,
				     .timeout_ns = 1000000000 };
	void *mem = malloc(ps_oms_memsize(&cfg));
	if (!mem || ps_oms_init(oms, mem, &cfg) != 0) {
		free(mem);
		ps_bench_skip(b, "oms init failed");
		return NULL;
	}
	return mem;
}

static void bench_exec_oms_transition(struct ps_bench *b)
{
	struct ps_oms oms;
	void *mem = oms_open(b, &oms, 1024, "B");
	if (!mem)
		return;
	/* Some other live orders so the timeout list is not trivially empty. */
	struct ps_oms_new req = { .price = 1000000, .qty = 100, .side = 'B' };
	uint32_t h = 0;
	for (int i = 0; i < 64; i++)
		ps_oms_order_new(&oms, &req, 0, &h);
	ps_oms_on_accepted(&oms, ps_oms_order_get(&oms, h)->token, 1, 0);
	uint64_t n;
	uint64_t k = 0;
	while ((n = ps_bench_batch(b, 1000)) != 0) {
		for (uint64_t i = 0; i < n; i++, k++) {
			unsigned ev = (k & 1) ? PS_OMS_EV_CANCEL_REJECT : PS_OMS_EV_CANCEL_REQ;
			if (ps_unlikely(ps_oms_apply(&oms, h, ev, k) != 0))
				ps_bench_skip(b, "transition refused");
		}
	}
	ps_bench_items(b, (int64_t)k);
	ps_oms_fini(&oms);
	free(mem);
}
PS_BENCH("exec/oms/perseus/transition", bench_exec_oms_transition, 0, 0);

/* The lookup every venue answer starts with, at a demo run's table size. */
static void bench_exec_oms_find(struct ps_bench *b)
{
	enum { CAPACITY = 65536, LIVE = 17000 };
	static char tokens[LIVE][PS_OUCH_TOKEN_LEN];
	struct ps_oms oms;
	void *mem = oms_open(b, &oms, CAPACITY, "P");
	if (!mem)
		return;
	struct ps_oms_new req = { .price = 1000000, .qty = 100, .side = 'B' };
	for (uint32_t i = 0; i < LIVE; i++) {
		uint32_t h;
		if (ps_oms_order_new(&oms, &req, 0, &h) != 0) {
			ps_bench_skip(b, "order refused");
			break;
		}
		memcpy(tokens[i], ps_oms_order_get(&oms, h)->token, PS_OUCH_TOKEN_LEN);
	}
	uint64_t n, k = 0, sum = 0;
	while ((n = ps_bench_batch(b, 1000)) != 0) {
		for (uint64_t i = 0; i < n; i++, k++) {
			/* 7919 is prime to LIVE: every token once per LIVE lookups. */
			sum += ps_oms_find(&oms, tokens[(k * 7919) % LIVE]);
		}
	}
	ps_bench_keep(&sum);
	ps_bench_items(b, (int64_t)k);
	ps_oms_fini(&oms);
	free(mem);
}
PS_BENCH("exec/oms/perseus/find", bench_exec_oms_find, 0, 0);

/* ---- loopback round trip ------------------------------------------------- */

struct echo {
	int lfd;
	pthread_t th;
};

static int send_all(int fd, const void *p, size_t n)
{
	const uint8_t *c = p;
	while (n) {
		ssize_t k = send(fd, c, n, MSG_NOSIGNAL);
		if (k <= 0)
			return -1;
		c += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Answers every Enter Order with Sequenced Data carrying Accepted. */
static void *echo_main(void *arg)
{
	struct echo *e = arg;
	int fd = accept(e->lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	static __thread uint8_t mem[8192];
	struct ps_soup_stream s;
	ps_soup_stream_init(&s, mem, sizeof(mem), PS_SOUP_DIR_FROM_CLIENT);
	struct ps_ouch_accepted a = { .shares = 100, .price = 1234500, .order_state = 'L' };
	ps_ouch_pad(a.stock, 8, "AAPL");
	ps_ouch_pad(a.firm, 4, "PRSS");
	uint8_t reply[PS_SOUP_HDR_LEN + PS_OUCH_ACCEPTED_LEN];
	for (;;) {
		uint32_t room;
		uint8_t *w = ps_soup_stream_write_ptr(&s, &room);
		ssize_t k = recv(fd, w, room, 0);
		if (k <= 0)
			break;
		ps_soup_stream_commit(&s, (uint32_t)k);
		struct ps_soup_packet pkt = { 0 };
		while (ps_soup_stream_next(&s, &pkt) == 1) {
			if (pkt.type != PS_SOUP_UNSEQUENCED ||
			    pkt.payload_len != PS_OUCH_ENTER_ORDER_LEN)
				continue;
			memcpy(a.token, pkt.payload + 1, 14);
			a.order_ref++;
			ps_soup_put_header(reply, PS_SOUP_SEQUENCED, PS_OUCH_ACCEPTED_LEN);
			ps_ouch_encode_accepted(reply + PS_SOUP_HDR_LEN, PS_OUCH_ACCEPTED, &a);
			if (send_all(fd, reply, sizeof(reply)))
				goto out;
		}
	}
out:
	close(fd);
	return NULL;
}

static int echo_start(struct echo *e, struct sockaddr_in *addr)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	e->lfd = ps_tcp_listen(&a, 1);
	if (e->lfd < 0)
		return e->lfd;
	/* The echo thread accepts with a blocking call. */
	int fl = 0;
	ioctl(e->lfd, FIONBIO, &fl);
	a.sin_port = htons((uint16_t)ps_tcp_local_port(e->lfd));
	*addr = a;
	return pthread_create(&e->th, NULL, echo_main, e) ? -EAGAIN : 0;
}

static void echo_stop(struct echo *e)
{
	pthread_join(e->th, NULL);
	close(e->lfd);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a;
	uint64_t y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void report(struct ps_bench *b, uint64_t *s, uint32_t n)
{
	if (n == 0)
		return;
	qsort(s, n, sizeof(*s), cmp_u64);
	uint64_t i50 = n / 2;
	uint64_t i99 = (uint64_t)n * 99 / 100;
	uint64_t i999 = (uint64_t)n * 999 / 1000;
	ps_bench_counter(b, "p50_ns", (double)s[i50]);
	ps_bench_counter(b, "p99_ns", (double)s[i99]);
	ps_bench_counter(b, "p999_ns", (double)s[i999]);
	ps_bench_counter(b, "max_ns", (double)s[n - 1]);
	ps_bench_counter(b, "samples", (double)n);
}

static void bench_exec_rtt_uring(struct ps_bench *b)
{
	/* arg 0: spin on poll; arg 1: sleep in io_uring_enter until completion.
	 * (An SQPOLL variant was dropped with the transport's SQPOLL mode: it
	 * lost the connection after some twenty round trips, a completion
	 * failing with -EINVAL, or hung.) */
	bool park = ps_bench_arg(b) == 1;
	struct echo e;
	struct sockaddr_in addr;
	if (echo_start(&e, &addr) != 0) {
		ps_bench_skip(b, "listen failed");
		return;
	}
	struct ps_tcp_uring t;
	struct ps_tcp_uring_config cfg = { .sq_entries = 8, .send_cap = 4096 };
	void *mem = malloc(ps_tcp_uring_memsize(&cfg));
	uint64_t *samples = malloc(sizeof(uint64_t) * RTT_SAMPLES);
	static uint8_t rxmem[8192];
	struct ps_soup_stream rx;
	ps_soup_stream_init(&rx, rxmem, sizeof(rxmem), PS_SOUP_DIR_FROM_SERVER);
	uint32_t n = 0;
	uint32_t got;
	if (!mem || !samples || ps_tcp_uring_init(&t, mem, &cfg) != 0) {
		ps_bench_skip(b, "io_uring unavailable");
		close(e.lfd);
		pthread_cancel(e.th);
		free(mem);
		free(samples);
		return;
	}
	ps_tcp_uring_connect(&t, &addr, 1000000000);
	uint64_t end = mono_ns() + 2000000000ull;
	while (t.state == PS_TCP_CONNECTING && mono_ns() < end)
		ps_tcp_uring_poll(&t, &got);
	if (t.state != PS_TCP_CONNECTED) {
		ps_bench_skip(b, "connect failed");
		goto out;
	}
	struct ps_ouch_enter_tmpl tmpl;
	make_template(&tmpl);
	char stock[8];
	ps_ouch_pad(stock, 8, "AAPL");
	uint32_t room;
	uint8_t *w = ps_soup_stream_write_ptr(&rx, &room);
	ps_tcp_uring_recv(&t, w, room);
	uint64_t it;
	uint32_t k = 0;
	while ((it = ps_bench_batch(b, 100)) != 0) {
		for (uint64_t i = 0; i < it; i++, k++) {
			char token[15];
			ps_ouch_pad(token, 14, "PSX00000000000");
			token[13] = (char)('0' + k % 10);
			uint64_t t0 = mono_ns();
			uint8_t *p = ps_tcp_uring_send_claim(&t, PS_OUCH_ENTER_PKT_LEN);
			if (!p) {
				ps_bench_skip(b, "send buffer full");
				goto out;
			}
			ps_ouch_enter_tmpl_encode(&tmpl, p, token, 'B', 100, stock, 1234500);
			ps_tcp_uring_send_commit(&t, PS_OUCH_ENTER_PKT_LEN);
			ps_tcp_uring_submit(&t);
			struct ps_soup_packet pkt;
			for (;;) {
				if (park)
					ps_tcp_uring_wait(&t, 1000000000);
				unsigned ev = ps_tcp_uring_poll(&t, &got);
				if (ps_unlikely(ev & PS_TCP_EV_CLOSED)) {
					ps_bench_skip(b, "connection closed");
					goto out;
				}
				if (ev & PS_TCP_EV_RX) {
					ps_soup_stream_commit(&rx, got);
					int rc = ps_soup_stream_next(&rx, &pkt);
					w = ps_soup_stream_write_ptr(&rx, &room);
					/* Queued now, submitted with the next send. */
					ps_tcp_uring_recv(&t, w, room);
					if (rc == 1)
						break;
				}
			}
			uint64_t t1 = mono_ns();
			if (n < RTT_SAMPLES)
				samples[n++] = t1 - t0;
		}
	}
	report(b, samples, n);
out:
	ps_tcp_uring_fini(&t);
	echo_stop(&e);
	free(mem);
	free(samples);
}
PS_BENCH("exec/rtt/uring/enter_accept", bench_exec_rtt_uring, 0, PS_BENCH_F_REAL_TIME);
PS_BENCH("exec/rtt/uring_wait/enter_accept", bench_exec_rtt_uring, 1, PS_BENCH_F_REAL_TIME);

static void bench_exec_rtt_blocking(struct ps_bench *b)
{
	struct echo e;
	struct sockaddr_in addr;
	if (echo_start(&e, &addr) != 0) {
		ps_bench_skip(b, "listen failed");
		return;
	}
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	uint64_t *samples = malloc(sizeof(uint64_t) * RTT_SAMPLES);
	uint32_t n = 0;
	if (!samples || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		ps_bench_skip(b, "connect failed");
		goto out;
	}
	struct ps_ouch_enter_tmpl tmpl;
	make_template(&tmpl);
	char stock[8];
	ps_ouch_pad(stock, 8, "AAPL");
	uint8_t pkt[64];
	uint8_t rx[PS_SOUP_HDR_LEN + PS_OUCH_ACCEPTED_LEN];
	uint64_t it;
	uint32_t k = 0;
	while ((it = ps_bench_batch(b, 100)) != 0) {
		for (uint64_t i = 0; i < it; i++, k++) {
			char token[15];
			ps_ouch_pad(token, 14, "PSX00000000000");
			token[13] = (char)('0' + k % 10);
			uint64_t t0 = mono_ns();
			ps_ouch_enter_tmpl_encode(&tmpl, pkt, token, 'B', 100, stock, 1234500);
			if (send_all(fd, pkt, PS_OUCH_ENTER_PKT_LEN)) {
				ps_bench_skip(b, "send failed");
				goto out;
			}
			size_t have = 0;
			while (have < sizeof(rx)) {
				ssize_t r = recv(fd, rx + have, sizeof(rx) - have, 0);
				if (r <= 0) {
					ps_bench_skip(b, "connection closed");
					goto out;
				}
				have += (size_t)r;
			}
			uint64_t t1 = mono_ns();
			if (n < RTT_SAMPLES)
				samples[n++] = t1 - t0;
		}
	}
	report(b, samples, n);
out:
	close(fd);
	echo_stop(&e);
	free(samples);
}
PS_BENCH("exec/rtt/blocking/enter_accept", bench_exec_rtt_blocking, 0, PS_BENCH_F_REAL_TIME);
