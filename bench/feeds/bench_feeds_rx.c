/*
 * UDP receive benchmarks: the io_uring source (multishot recv + provided
 * buffer ring) against the recvmmsg source, in the same binary and run.
 *
 *   feeds/rx/<impl>/udp        live: a sender thread blasts, the receiver
 *                              busy-polls; one iteration = one datagram
 *   feeds/rx/<impl>/udp_burst  under load: the socket queue holds a burst of
 *                              RX_BURST datagrams before every drain, so the
 *                              receiver is the bottleneck; only the drain is
 *                              timed (manual time = the receiving thread's CPU
 *                              time, kernel included, so preemption by other
 *                              load on the box does not count; rx_per_second
 *                              is the wall-clock rate)
 *   feeds/moldudp/session/inorder   session cost per in-order 64-byte packet
 *   (<impl> = uring | recvmmsg)
 *
 * Datagrams are 64 bytes: a MoldUDP64 header plus one 42-byte message (a
 * typical ITCH add order), sent to 127.0.0.1 with sendmmsg, 64 per call.
 * Live mode: the sender thread is pinned to the first allowed CPU, the
 * benchmark thread to the second. On loopback the sender's CPU also runs the
 * whole kernel receive path (softirq), so the sender is the bottleneck there
 * and a busy-polling receiver mostly finds 0 or 1 datagram per poll; the
 * burst mode is the one that shows the receive path's cost and its batching.
 * Counters: items_per_second (datagrams received), dgrams_per_syscall
 * (receive syscalls: io_uring_enter or recvmmsg; empty polls count),
 * sent_per_second and loss_pct (live: dropped on a full socket buffer).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ps/moldudp.h>
#include <ps/source.h>

#include "harness.h"

#ifndef RX_DGRAM_LEN
#define RX_DGRAM_LEN 64u
#endif
#ifndef RX_SEND_BATCH
#define RX_SEND_BATCH 64u
#endif
#ifndef RX_BURST
#define RX_BURST 2048u
#endif
#define RX_POLL_BATCH 256u
#define RX_STALL_NS   5000000000ull

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* CPU time of this thread, kernel time included: the receive syscalls run here. */
static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int nth_cpu(const cpu_set_t *set, int idx)
{
	int seen = 0;

	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, set) && seen++ == idx)
			return c;
	return -1;
}

static void pin_self(const cpu_set_t *allowed, int idx)
{
	int cpu = nth_cpu(allowed, idx);
	cpu_set_t one;

	if (cpu < 0)
		return;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	(void)pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
}

struct blaster {
	uint16_t port;
	cpu_set_t allowed;
	_Atomic int stop;      /* set by the benchmark thread; a flag, no data rides on it */
	_Atomic uint64_t sent; /* read after join only */
};

static void *blast(void *arg)
{
	struct blaster *bl = arg;
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(bl->port) };
	uint8_t pkt[RX_SEND_BATCH][RX_DGRAM_LEN];
	struct iovec iov[RX_SEND_BATCH];
	struct mmsghdr msgs[RX_SEND_BATCH];
	char session[PS_MOLDUDP_SESSION_LEN];
	uint8_t body[RX_DGRAM_LEN - PS_MOLDUDP_HDR_LEN - 2];
	uint64_t seq = 1, sent = 0;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	pin_self(&bl->allowed, 0);
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	ps_moldudp_session_copy(session, "BENCH");
	memset(body, 'A', sizeof(body));
	memset(msgs, 0, sizeof(msgs));
	for (unsigned i = 0; i < RX_SEND_BATCH; i++) {
		iov[i].iov_base = pkt[i];
		iov[i].iov_len = RX_DGRAM_LEN;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &to;
		msgs[i].msg_hdr.msg_namelen = sizeof(to);
	}
	/* Relaxed: stop is a plain flag; nothing is published through it. */
	while (!atomic_load_explicit(&bl->stop, memory_order_relaxed)) {
		for (unsigned i = 0; i < RX_SEND_BATCH; i++) {
			struct ps_moldudp_builder b;
			ps_moldudp_builder_begin(&b, pkt[i], RX_DGRAM_LEN, session, seq++);
			ps_moldudp_builder_append(&b, body, sizeof(body));
			ps_moldudp_builder_finish(&b);
		}
		int n = sendmmsg(fd, msgs, RX_SEND_BATCH, 0);
		if (n > 0)
			sent += (uint64_t)n;
	}
	close(fd);
	/* Relaxed: read by the benchmark thread after pthread_join, which orders it. */
	atomic_store_explicit(&bl->sent, sent, memory_order_relaxed);
	return NULL;
}

static void count_pkt(void *ctx, const uint8_t *data, uint32_t len, uint64_t tsc)
{
	uint64_t *n = ctx;

	(void)tsc;
	ps_bench_keep(data);
	*n += len == RX_DGRAM_LEN;
}

static void bench_rx(struct ps_bench *b, uint32_t kind)
{
	struct ps_source s;
	struct ps_source_config cfg;
	struct blaster bl;
	cpu_set_t saved;
	pthread_t th;
	uint64_t got = 0, want = 0;
	int rc;

	ps_source_config_default(&cfg, kind);
	cfg.bind_ip = "127.0.0.1";
	cfg.rcvbuf_bytes = 8 << 20;
	cfg.batch = RX_POLL_BATCH;
	cfg.buf_count = 1024;
	rc = ps_source_open(&s, &cfg);
	if (rc < 0) {
		ps_bench_skip(b, "source did not open (io_uring unavailable?)");
		while (ps_bench_batch(b, 1))
			;
		return;
	}
	memset(&bl, 0, sizeof(bl));
	bl.port = ps_source_port(&s);
	sched_getaffinity(0, sizeof(bl.allowed), &bl.allowed);
	pthread_getaffinity_np(pthread_self(), sizeof(saved), &saved);
	pin_self(&bl.allowed, 1);
	pthread_create(&th, NULL, blast, &bl);

	uint64_t t0 = mono_ns();
	uint64_t polls0 = s.stats.polls;
	uint64_t sys0 = s.stats.syscalls;
	uint64_t n;
	bool stalled = false;
	while ((n = ps_bench_batch(b, 4096)) != 0) {
		want += n;
		uint64_t last = mono_ns();
		while (got < want) {
			if (ps_source_poll(&s, count_pkt, &got) > 0) {
				last = mono_ns();
			} else if (mono_ns() - last > RX_STALL_NS) {
				stalled = true;
				break;
			}
		}
		if (stalled)
			break;
	}
	double secs = (double)(mono_ns() - t0) / 1e9;
	/* Relaxed: a flag; the blaster's counter is read after the join. */
	atomic_store_explicit(&bl.stop, 1, memory_order_relaxed);
	pthread_join(th, NULL);
	pthread_setaffinity_np(pthread_self(), sizeof(saved), &saved);

	uint64_t sent = atomic_load_explicit(&bl.sent, memory_order_relaxed);
	uint64_t sys = s.stats.syscalls - sys0;
	if (stalled)
		ps_bench_skip(b, "receiver stalled: no datagram for 5 s");
	ps_bench_items(b, (int64_t)got);
	ps_bench_counter(b, "dgrams_per_syscall", sys ? (double)s.stats.packets / (double)sys : 0);
	ps_bench_counter(b, "dgrams_per_poll",
			 (double)s.stats.packets / (double)(s.stats.polls - polls0 + 1));
	ps_bench_counter(b, "sent_per_second", secs > 0 ? (double)sent / secs : 0);
	ps_bench_counter(b, "loss_pct",
			 sent ? 100.0 * (double)(sent - PS_MIN(sent, got)) / (double)sent : 0);
	if (kind == PS_SOURCE_URING) {
		ps_bench_counter(b, "rearms", (double)s.stats.rearms);
		ps_bench_counter(b, "nobufs", (double)s.stats.nobufs);
	}
	ps_source_close(&s);
}

static void bench_feeds_rx_uring(struct ps_bench *b)
{
	bench_rx(b, PS_SOURCE_URING);
}

static void bench_feeds_rx_recvmmsg(struct ps_bench *b)
{
	bench_rx(b, PS_SOURCE_RECVMMSG);
}

PS_BENCH("feeds/rx/uring/udp", bench_feeds_rx_uring, 0, PS_BENCH_F_REAL_TIME);
PS_BENCH("feeds/rx/recvmmsg/udp", bench_feeds_rx_recvmmsg, 0, PS_BENCH_F_REAL_TIME);

/* ---- under load: drain a full socket queue ------------------------------- */

static int open_rx(struct ps_source *s, uint32_t kind)
{
	struct ps_source_config cfg;

	ps_source_config_default(&cfg, kind);
	cfg.bind_ip = "127.0.0.1";
	cfg.rcvbuf_bytes = 32 << 20;
	cfg.batch = RX_POLL_BATCH;
	cfg.buf_count = 1024;
	return ps_source_open(s, &cfg);
}

/* Queues n datagrams on the receiver's socket (not timed). */
static void fill_queue(int fd, struct mmsghdr *msgs, uint64_t n)
{
	while (n) {
		unsigned k = (unsigned)PS_MIN(n, (uint64_t)RX_SEND_BATCH);
		int sent = sendmmsg(fd, msgs, k, 0);
		if (sent <= 0)
			break;
		n -= (uint64_t)sent;
	}
}

static void bench_rx_burst(struct ps_bench *b, uint32_t kind)
{
	struct ps_source s;
	struct sockaddr_in to = { .sin_family = AF_INET };
	uint8_t pkt[RX_DGRAM_LEN];
	struct iovec iov = { .iov_base = pkt, .iov_len = RX_DGRAM_LEN };
	struct mmsghdr msgs[RX_SEND_BATCH];
	char session[PS_MOLDUDP_SESSION_LEN];
	struct ps_moldudp_builder bld;
	uint64_t n, got = 0, want = 0, queued = 0;
	double busy = 0;

	if (open_rx(&s, kind) < 0) {
		ps_bench_skip(b, "source did not open (io_uring unavailable?)");
		while (ps_bench_batch(b, 1))
			;
		return;
	}
	to.sin_port = htons(ps_source_port(&s));
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	ps_moldudp_session_copy(session, "BENCH");
	ps_moldudp_builder_begin(&bld, pkt, sizeof(pkt), session, 1);
	ps_moldudp_builder_append(&bld, pkt, RX_DGRAM_LEN - PS_MOLDUDP_HDR_LEN - 2);
	ps_moldudp_builder_finish(&bld);
	memset(msgs, 0, sizeof(msgs));
	for (unsigned i = 0; i < RX_SEND_BATCH; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &to;
		msgs[i].msg_hdr.msg_namelen = sizeof(to);
	}
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	/* Arm the source (io_uring: first submit) before the first burst lands. */
	(void)ps_source_poll(&s, count_pkt, &got);
	uint64_t polls0 = s.stats.polls, sys0 = s.stats.syscalls, pk0 = s.stats.packets;
	while ((n = ps_bench_batch(b, RX_BURST)) != 0) {
		fill_queue(fd, msgs, n);
		queued += n;
		want += n;
		uint64_t t0 = mono_ns(), last = t0, c0 = thread_cpu_ns();
		while (got < want) {
			if (ps_source_poll(&s, count_pkt, &got) > 0)
				last = mono_ns();
			else if (mono_ns() - last > 1000000000ull)
				break; /* lost datagrams: report loss, do not hang */
		}
		busy += (double)(mono_ns() - t0) / 1e9;
		/* Thread CPU time: on a shared 2-CPU box, time spent preempted is not ours. */
		ps_bench_set_iteration_time(b, (double)(thread_cpu_ns() - c0) / 1e9);
		if (got < want)
			want = got;
	}
	uint64_t sys = s.stats.syscalls - sys0, pk = s.stats.packets - pk0;
	ps_bench_items(b, (int64_t)got);
	ps_bench_counter(b, "dgrams_per_syscall", sys ? (double)pk / (double)sys : 0);
	ps_bench_counter(b, "dgrams_per_poll", (double)pk / (double)(s.stats.polls - polls0 + 1));
	ps_bench_counter(b, "loss_pct",
			 queued ? 100.0 * (double)(queued - PS_MIN(queued, got)) / (double)queued
				: 0);
	ps_bench_counter(b, "rx_per_second", busy > 0 ? (double)got / busy : 0);
	if (kind == PS_SOURCE_URING) {
		ps_bench_counter(b, "rearms", (double)s.stats.rearms);
		ps_bench_counter(b, "nobufs", (double)s.stats.nobufs);
	}
	close(fd);
	ps_source_close(&s);
}

static void bench_feeds_rx_uring_burst(struct ps_bench *b)
{
	bench_rx_burst(b, PS_SOURCE_URING);
}

static void bench_feeds_rx_recvmmsg_burst(struct ps_bench *b)
{
	bench_rx_burst(b, PS_SOURCE_RECVMMSG);
}

PS_BENCH("feeds/rx/uring/udp_burst", bench_feeds_rx_uring_burst, 0, PS_BENCH_F_MANUAL_TIME);
PS_BENCH("feeds/rx/recvmmsg/udp_burst", bench_feeds_rx_recvmmsg_burst, 0, PS_BENCH_F_MANUAL_TIME);

/* ---- session cost per in-order packet ------------------------------------ */

static void sink_msg(void *ctx, uint64_t seq, const uint8_t *msg, uint16_t len)
{
	uint64_t *sum = ctx;

	*sum += seq + len + msg[0];
}

static void bench_feeds_moldudp_session_inorder(struct ps_bench *b)
{
	struct ps_moldudp_session_config cfg;
	struct ps_moldudp_session s;
	uint8_t pkt[RX_DGRAM_LEN], body[RX_DGRAM_LEN - PS_MOLDUDP_HDR_LEN - 2];
	char session[PS_MOLDUDP_SESSION_LEN];
	uint64_t sum = 0, seq = 1, n;

	ps_moldudp_session_config_default(&cfg);
	cfg.on_msg = sink_msg;
	cfg.ctx = &sum;
	void *mem = malloc(ps_moldudp_session_memsize(&cfg));
	ps_moldudp_session_init(&s, mem, &cfg);
	ps_moldudp_session_copy(session, "BENCH");
	memset(body, 'A', sizeof(body));
	while ((n = ps_bench_batch(b, 4096)) != 0) {
		for (uint64_t i = 0; i < n; i++) {
			struct ps_moldudp_builder bld;
			/* Rewriting the header only: the sequence is the one field that moves. */
			ps_moldudp_builder_begin(&bld, pkt, sizeof(pkt), session, seq++);
			ps_moldudp_builder_append(&bld, body, sizeof(body));
			size_t len = ps_moldudp_builder_finish(&bld);
			ps_moldudp_session_on_packet(&s, pkt, len, 0, 0);
		}
	}
	ps_bench_keep(&sum);
	ps_bench_counter(b, "messages", (double)s.stats.messages);
	ps_moldudp_session_fini(&s);
	free(mem);
}

PS_BENCH("feeds/moldudp/session/inorder", bench_feeds_moldudp_session_inorder, 0, 0);
