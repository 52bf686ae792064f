/*
 * MoldUDP64 over real UDP on 127.0.0.1: a sender thread publishes a stream of
 * packets with faults (drops, duplicates, reordering) and runs a re-request
 * server; the receiver (a packet source + a session) must deliver every
 * message exactly once, in order. With the server withholding a range, the
 * session must raise the stale signal and carry on.
 */
#include <ps/moldudp.h>
#include <ps/source.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define MS 1000000ull

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t scale_count(uint64_t n)
{
	const char *s = getenv("PS_STRESS_SCALE");
	double f = s ? strtod(s, NULL) : 1.0;

	if (f <= 0 || f > 1)
		f = 1;
	return (uint64_t)((double)n * f) + 100;
}

static uint16_t msg_for(uint64_t seq, uint8_t *out)
{
	uint16_t len = (uint16_t)(8 + seq % 33);

	ps_store_be64(out, seq);
	for (uint16_t i = 8; i < len; i++)
		out[i] = (uint8_t)(seq ^ i);
	return len;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h;
}

static uint64_t msg_hash(uint64_t h, uint64_t seq, const uint8_t *m, uint16_t len)
{
	h = mix(h, seq);
	for (uint16_t i = 0; i < len; i++)
		h = mix(h, m[i]);
	return h;
}

struct sender {
	uint64_t total;                      /* messages to publish, seq 1..total */
	uint16_t rx_port;                    /* receiver's port */
	uint64_t withhold_from, withhold_to; /* server ignores requests starting in [from, to) */
	uint16_t srv_port;                   /* out: the re-request server's port */
	_Atomic int ready;                   /* A0/R0: srv_port written before ready */
	_Atomic int stop;                    /* set by the receiver when it is done */
	uint64_t sent_pkts, dropped, duplicated, reordered;
	int err;
};

static bool withhold(void *ctx, uint64_t seq, uint16_t count)
{
	const struct sender *sd = ctx;

	(void)count;
	return !(seq >= sd->withhold_from && seq < sd->withhold_to);
}

static void *sender_main(void *arg)
{
	struct sender *sd = arg;
	struct ps_moldudp_store st;
	struct ps_moldudp_server *srv = calloc(1, sizeof(*srv));
	uint32_t store_count = 1u << 16;
	void *mem = malloc(ps_moldudp_store_memsize(store_count, 64));
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(sd->rx_port) };
	char session[PS_MOLDUDP_SESSION_LEN];
	uint8_t m[64], pkt[1400], held[1400];
	size_t held_len = 0;
	uint64_t rng = 0x1234567;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	ps_moldudp_session_copy(session, "UDPTEST01");
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	ps_moldudp_store_init(&st, mem, store_count, 64, 1);
	struct ps_moldudp_server_config cfg = { .store = &st,
						.mtu_payload = 1400,
						.max_answer_count = 512,
						.filter = withhold,
						.filter_ctx = sd };
	memcpy(cfg.session, session, sizeof(session));
	sd->err = ps_moldudp_server_open(srv, &cfg, "127.0.0.1", 0);
	if (sd->err == 0)
		sd->srv_port = ps_moldudp_server_port(srv);
	/* R0: pairs with A0 in the receiver; srv_port and err are visible before ready. */
	atomic_store_explicit(&sd->ready, 1, memory_order_release);
	if (sd->err)
		goto out;

	uint64_t seq = 1;
	while (seq <= sd->total) {
		struct ps_moldudp_builder b;
		uint16_t n = (uint16_t)(1 + (rng >> 60)); /* 1..16 messages */

		ps_moldudp_builder_begin(&b, pkt, sizeof(pkt), session, seq);
		for (uint16_t i = 0; i < n && seq <= sd->total; i++, seq++) {
			uint16_t len = msg_for(seq, m);
			ps_moldudp_store_put(&st, seq, m, len);
			ps_moldudp_builder_append(&b, m, len);
		}
		size_t len = ps_moldudp_builder_finish(&b);
		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		uint32_t r = (uint32_t)(rng >> 33) % 100;
		if (r < 3) { /* drop */
			sd->dropped++;
		} else if (r < 6) { /* duplicate */
			sendto(fd, pkt, len, 0, (struct sockaddr *)&to, sizeof(to));
			sendto(fd, pkt, len, 0, (struct sockaddr *)&to, sizeof(to));
			sd->duplicated++;
		} else if (r < 9 && held_len == 0) { /* reorder: send after the next one */
			memcpy(held, pkt, len);
			held_len = len;
			sd->reordered++;
			continue;
		} else {
			sendto(fd, pkt, len, 0, (struct sockaddr *)&to, sizeof(to));
		}
		if (held_len) {
			sendto(fd, held, held_len, 0, (struct sockaddr *)&to, sizeof(to));
			held_len = 0;
		}
		sd->sent_pkts++;
		ps_moldudp_server_poll(srv);
		/* Pace a little so loopback's socket buffer does not overflow. */
		if ((sd->sent_pkts & 31) == 0)
			usleep(200);
	}
	if (held_len)
		sendto(fd, held, held_len, 0, (struct sockaddr *)&to, sizeof(to));
	/* Keep heartbeating and answering until the receiver is done. */
	uint64_t last_hb = 0;
	while (!atomic_load_explicit(&sd->stop, memory_order_relaxed)) { /* flag only, no data */
		ps_moldudp_server_poll(srv);
		if (now_ns() - last_hb > 2 * MS) {
			ps_moldudp_heartbeat_encode(pkt, sizeof(pkt), session, seq, false);
			sendto(fd, pkt, PS_MOLDUDP_HDR_LEN, 0, (struct sockaddr *)&to, sizeof(to));
			last_hb = now_ns();
		}
		usleep(100);
	}
out:
	ps_moldudp_server_close(srv);
	close(fd);
	free(srv);
	free(mem);
	return NULL;
}

struct receiver {
	struct ps_moldudp_session s;
	struct ps_source src;
	struct sockaddr_in srv_addr;
	uint64_t count, hash, last_seq, order_errors;
	uint64_t stale_events, stale_from, stale_to;
	struct ps_moldudp_session_stats stats; /* copied before fini */
};

static void rx_msg(void *ctx, uint64_t seq, const uint8_t *msg, uint16_t len)
{
	struct receiver *r = ctx;
	uint8_t want[64];

	if (seq != r->last_seq + 1 || len != msg_for(seq, want) || memcmp(msg, want, len) != 0)
		r->order_errors++;
	r->last_seq = seq;
	r->count++;
	r->hash = msg_hash(r->hash, seq, msg, len);
}

static void rx_event(void *ctx, const struct ps_moldudp_event *ev)
{
	struct receiver *r = ctx;

	if (ev->type == PS_MOLDUDP_EV_STALE) {
		r->stale_events++;
		r->stale_from = ev->from;
		r->stale_to = ev->to;
		/* The session skips the hole; the next delivered sequence is ev->to. */
		r->last_seq = ev->to - 1;
	}
}

/* Requests go out of the receiving socket so answers come back to it (MoldUDP64 rule). */
static int rx_send(void *ctx, const uint8_t *pkt, size_t len)
{
	struct receiver *r = ctx;

	if (sendto(r->src.fd, pkt, len, 0, (struct sockaddr *)&r->srv_addr, sizeof(r->srv_addr)) <
	    0)
		return -errno;
	return 0;
}

static void rx_pkt(void *ctx, const uint8_t *data, uint32_t len, uint64_t tsc)
{
	struct receiver *r = ctx;

	ps_moldudp_session_on_packet(&r->s, data, len, tsc, now_ns());
}

static void run_stream(uint32_t kind, uint64_t total, uint64_t wfrom, uint64_t wto,
		       struct receiver *r, struct sender *sd)
{
	struct ps_source_config scfg;
	struct ps_moldudp_session_config cfg;
	pthread_t th;
	int rc;

	ps_source_config_default(&scfg, kind);
	scfg.bind_ip = "127.0.0.1";
	scfg.rcvbuf_bytes = 4 << 20;
	rc = ps_source_open(&r->src, &scfg);
	if (rc == -ENOSYS || rc == -EPERM) {
		fprintf(stderr, "skip: io_uring unavailable (%d)\n", rc);
		exit(77);
	}
	assert_int_equal(rc, 0);

	ps_moldudp_session_config_default(&cfg);
	cfg.reorder_slots = 256;
	cfg.gap_wait_ns = 500000;
	cfg.retry_timeout_ns = 3 * MS;
	cfg.retry_max_timeout_ns = 12 * MS;
	cfg.max_retries = 4;
	cfg.max_request_count = 512;
	cfg.on_msg = rx_msg;
	cfg.on_event = rx_event;
	cfg.send_request = rx_send;
	cfg.ctx = r;
	void *mem = malloc(ps_moldudp_session_memsize(&cfg));
	assert_int_equal(ps_moldudp_session_init(&r->s, mem, &cfg), 0);

	sd->total = total;
	sd->rx_port = ps_source_port(&r->src);
	sd->withhold_from = wfrom;
	sd->withhold_to = wto;
	assert_int_equal(pthread_create(&th, NULL, sender_main, sd), 0);
	/* A0: pairs with R0 in the sender. */
	while (!atomic_load_explicit(&sd->ready, memory_order_acquire))
		usleep(100);
	assert_int_equal(sd->err, 0);
	r->srv_addr.sin_family = AF_INET;
	r->srv_addr.sin_port = htons(sd->srv_port);
	inet_pton(AF_INET, "127.0.0.1", &r->srv_addr.sin_addr);

	uint64_t deadline = now_ns() + 20000 * MS;
	while (ps_moldudp_session_next_seq(&r->s) <= total && now_ns() < deadline) {
		if (ps_source_poll(&r->src, rx_pkt, r) == 0)
			usleep(50);
		ps_moldudp_session_poll(&r->s, now_ns());
	}
	atomic_store_explicit(&sd->stop, 1, memory_order_relaxed); /* flag only */
	pthread_join(th, NULL);
	fprintf(
	    stderr,
	    "%s: sent %llu pkts (dropped %llu, duplicated %llu, reordered %llu); "
	    "gaps %llu requests %llu stale %llu dup %llu reordered %llu slot drops %llu; "
	    "src syscalls %llu "
	    "packets %llu\n",
	    r->src.ops->name, (unsigned long long)sd->sent_pkts, (unsigned long long)sd->dropped,
	    (unsigned long long)sd->duplicated, (unsigned long long)sd->reordered,
	    (unsigned long long)r->s.stats.gaps, (unsigned long long)r->s.stats.requests,
	    (unsigned long long)r->s.stats.stale, (unsigned long long)r->s.stats.duplicates,
	    (unsigned long long)r->s.stats.reordered, (unsigned long long)r->s.stats.slot_drops,
	    (unsigned long long)r->src.stats.syscalls, (unsigned long long)r->src.stats.packets);
	r->stats = r->s.stats;
	ps_moldudp_session_fini(&r->s);
	free(mem);
	ps_source_close(&r->src);
	assert_int_equal(r->src.fd, -1);
}

static void check_exactly_once(uint32_t kind)
{
	struct receiver *r = calloc(1, sizeof(*r));
	struct sender *sd = calloc(1, sizeof(*sd));
	uint64_t total = scale_count(60000);
	uint64_t want = 0;
	uint8_t m[64];

	run_stream(kind, total, 0, 0, r, sd);
	for (uint64_t seq = 1; seq <= total; seq++)
		want = msg_hash(want, seq, m, msg_for(seq, m));
	assert_true(sd->dropped > 0 && sd->duplicated > 0 && sd->reordered > 0);
	assert_int_equal(r->order_errors, 0);
	assert_int_equal(r->stale_events, 0);
	assert_int_equal(r->count, total);
	assert_int_equal(r->hash, want);
	free(r);
	free(sd);
}

static void test_moldudp_udp_exactly_once_recvmmsg(void **state)
{
	(void)state;
	check_exactly_once(PS_SOURCE_RECVMMSG);
}

static void test_moldudp_udp_exactly_once_uring(void **state)
{
	(void)state;
	check_exactly_once(PS_SOURCE_URING);
}

/*
 * The sender drops packets at random; the server refuses every request that
 * starts inside [1000, 3000). The first gap opening in there goes stale; all
 * other gaps recover; delivery stays in order around the hole.
 */
static void test_moldudp_udp_withheld_range_goes_stale(void **state)
{
	(void)state;
	struct receiver *r = calloc(1, sizeof(*r));
	struct sender *sd = calloc(1, sizeof(*sd));
	uint64_t total = 6000;

	run_stream(PS_SOURCE_RECVMMSG, total, 1000, 3000, r, sd);
	assert_true(r->stale_events >= 1);
	assert_true(r->stale_from >= 1000 && r->stale_from < 3000);
	assert_true(r->stale_to > r->stale_from);
	assert_int_equal(r->order_errors, 0);
	assert_int_equal(r->last_seq, total);
	assert_int_equal(r->count + r->stats.stale_messages, total);
	free(r);
	free(sd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_moldudp_udp_exactly_once_recvmmsg),
		cmocka_unit_test(test_moldudp_udp_exactly_once_uring),
		cmocka_unit_test(test_moldudp_udp_withheld_range_goes_stale),
	};
	return cmocka_run_group_tests_name("feeds_moldudp_udp", tests, NULL, NULL);
}
