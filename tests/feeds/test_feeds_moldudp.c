/*
 * MoldUDP64 codec, session (driven time, no sockets) and re-request server
 * answer logic.
 */
#include <ps/alloc.h>
#include <ps/moldudp.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#define MS 1000000ull

static const char SESSION[PS_MOLDUDP_SESSION_LEN] = { 'T', 'E', 'S', 'T', '0',
						      '0', '0', '0', '0', '1' };

/* Message payload for sequence seq: deterministic length 1..40 and bytes. */
static uint16_t msg_for(uint64_t seq, uint8_t *out)
{
	uint16_t len = (uint16_t)(1 + seq % 40);

	for (uint16_t i = 0; i < len; i++)
		out[i] = (uint8_t)(seq * 31 + i);
	return len;
}

/* Packet with messages [seq, seq + count). */
static size_t make_packet(uint8_t *buf, size_t cap, uint64_t seq, uint16_t count)
{
	struct ps_moldudp_builder b;
	uint8_t m[64];

	assert_int_equal(ps_moldudp_builder_begin(&b, buf, cap, SESSION, seq), 0);
	for (uint16_t i = 0; i < count; i++) {
		uint16_t len = msg_for(seq + i, m);
		assert_int_equal(ps_moldudp_builder_append(&b, m, len), 0);
	}
	return ps_moldudp_builder_finish(&b);
}

/* ---- codec -------------------------------------------------------------- */

static void test_moldudp_codec_round_trip(void **state)
{
	(void)state;
	uint8_t buf[1500], m[64];
	size_t n = make_packet(buf, sizeof(buf), 1000, 7);
	struct ps_moldudp_hdr h;
	struct ps_moldudp_iter it;
	const uint8_t *msg = NULL;
	uint16_t len = 0;
	uint64_t seq = 0;
	size_t off = 99;

	assert_int_equal(ps_moldudp_packet_validate(buf, n, &h, &off), 0);
	assert_memory_equal(h.session, SESSION, PS_MOLDUDP_SESSION_LEN);
	assert_int_equal(h.seq, 1000);
	assert_int_equal(h.count, 7);
	assert_false(ps_moldudp_hdr_is_heartbeat(&h));
	ps_moldudp_iter_init(&it, buf, n, &h);
	for (uint64_t i = 0; i < 7; i++) {
		assert_int_equal(ps_moldudp_iter_next(&it, &seq, &msg, &len), 1);
		assert_int_equal(seq, 1000 + i);
		assert_int_equal(len, msg_for(seq, m));
		assert_memory_equal(msg, m, len);
	}
	assert_int_equal(ps_moldudp_iter_next(&it, &seq, &msg, &len), 0);
	assert_int_equal(it.off, n);
}

static void test_moldudp_codec_wire_layout(void **state)
{
	(void)state;
	uint8_t buf[64];
	struct ps_moldudp_builder b;
	static const uint8_t want[] = { 'T', 'E', 'S', 'T', '0', '0', '0', '0',  '0',
					'1', 0,   0,   0,   0,   0,   0,   0x01, 0x02, /* seq 258 */
					0,   2,                                        /* count */
					0,   1,   'A',                                 /* block 1 */
					0,   3,   'x', 'y', 'z' };                     /* block 2 */

	assert_int_equal(ps_moldudp_builder_begin(&b, buf, sizeof(buf), SESSION, 258), 0);
	assert_int_equal(ps_moldudp_builder_append(&b, "A", 1), 0);
	assert_int_equal(ps_moldudp_builder_append(&b, "xyz", 3), 0);
	assert_int_equal(ps_moldudp_builder_finish(&b), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
}

static void test_moldudp_codec_builder_full(void **state)
{
	(void)state;
	uint8_t buf[30];
	struct ps_moldudp_builder b;
	uint8_t m[8] = { 0 };

	assert_int_equal(ps_moldudp_builder_begin(&b, buf, 19, SESSION, 1), -EINVAL);
	assert_int_equal(ps_moldudp_builder_begin(&b, buf, sizeof(buf), SESSION, 1), 0);
	assert_int_equal(ps_moldudp_builder_append(&b, m, 8), 0); /* 20 + 10 = 30 */
	assert_int_equal(ps_moldudp_builder_append(&b, m, 0), PS_EFULL);
	assert_int_equal(b.count, 1);
	assert_int_equal(ps_moldudp_builder_finish(&b), 30);
}

static void test_moldudp_codec_heartbeat_and_end(void **state)
{
	(void)state;
	uint8_t buf[32];
	struct ps_moldudp_hdr h;

	assert_int_equal(ps_moldudp_heartbeat_encode(buf, 19, SESSION, 5, false), -EINVAL);
	assert_int_equal(ps_moldudp_heartbeat_encode(buf, sizeof(buf), SESSION, 5, false), 20);
	assert_int_equal(ps_moldudp_packet_validate(buf, 20, &h, NULL), 0);
	assert_true(ps_moldudp_hdr_is_heartbeat(&h));
	assert_int_equal(h.seq, 5);
	assert_int_equal(ps_moldudp_heartbeat_encode(buf, sizeof(buf), SESSION, 9, true), 20);
	assert_int_equal(ps_moldudp_packet_validate(buf, 20, &h, NULL), 0);
	assert_true(ps_moldudp_hdr_is_end(&h));
	assert_int_equal(ps_moldudp_hdr_msg_count(&h), 0);
	/* A heartbeat with bytes after the header is malformed. */
	buf[20] = 0;
	size_t off = 0;
	assert_int_equal(ps_moldudp_packet_validate(buf, 21, &h, &off), PS_EPROTOCOL);
	assert_int_equal(off, 20);
}

static void test_moldudp_codec_malformed_exact_errors(void **state)
{
	(void)state;
	uint8_t buf[256];
	size_t n = make_packet(buf, sizeof(buf), 1, 3); /* lens 2, 3, 4 */
	struct ps_moldudp_hdr h;
	size_t off = 0;

	assert_int_equal(n, 20 + 4 + 5 + 6);
	/* Header cut. */
	assert_int_equal(ps_moldudp_packet_validate(buf, 19, &h, &off), PS_ETRUNCATED);
	assert_int_equal(off, 0);
	/* Count says 4 but the packet ends: the 4th block's length is missing. */
	ps_store_be16(buf + 18, 4);
	assert_int_equal(ps_moldudp_packet_validate(buf, n, &h, &off), PS_ETRUNCATED);
	assert_int_equal(off, n);
	/* Only one byte of a block length. */
	assert_int_equal(ps_moldudp_packet_validate(buf, 20 + 4 + 5 + 1, &h, &off), PS_ETRUNCATED);
	assert_int_equal(off, 29);
	ps_store_be16(buf + 18, 3);
	/* Second block claims more than is left. */
	ps_store_be16(buf + 24, 200);
	assert_int_equal(ps_moldudp_packet_validate(buf, n, &h, &off), PS_EBADLEN);
	assert_int_equal(off, 24);
	ps_store_be16(buf + 24, 3);
	/* Trailing garbage. */
	assert_int_equal(ps_moldudp_packet_validate(buf, n + 1, &h, &off), PS_EPROTOCOL);
	assert_int_equal(off, n);
	assert_int_equal(ps_moldudp_packet_validate(buf, n, &h, &off), 0);
}

/* Every prefix of a valid packet placed against a PROT_NONE page: no over-read. */
static void test_moldudp_codec_never_reads_past_packet(void **state)
{
	(void)state;
	long pg = sysconf(_SC_PAGESIZE);
	uint8_t *map =
	    mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t pkt[512];
	struct ps_moldudp_hdr h;

	assert_ptr_not_equal(map, MAP_FAILED);
	assert_int_equal(mprotect(map + pg, (size_t)pg, PROT_NONE), 0);
	size_t n = make_packet(pkt, sizeof(pkt), 77, 10);
	for (size_t len = 0; len <= n; len++) {
		uint8_t *p = map + pg - len;
		memcpy(p, pkt, len);
		int rc = ps_moldudp_packet_validate(p, len, &h, NULL);
		if (len == n)
			assert_int_equal(rc, 0);
		else
			assert_true(rc == PS_ETRUNCATED || rc == PS_EBADLEN);
	}
	munmap(map, (size_t)pg * 2);
}

static void test_moldudp_codec_request_round_trip(void **state)
{
	(void)state;
	struct ps_moldudp_request r = { .seq = 0x0102030405060708ull, .count = 513 }, d;
	uint8_t buf[32];

	memcpy(r.session, SESSION, sizeof(SESSION));
	assert_int_equal(ps_moldudp_request_encode(buf, 19, &r), -EINVAL);
	assert_int_equal(ps_moldudp_request_encode(buf, sizeof(buf), &r), 20);
	assert_int_equal(buf[10], 1);
	assert_int_equal(buf[17], 8);
	assert_int_equal(buf[18], 2);
	assert_int_equal(buf[19], 1);
	assert_int_equal(ps_moldudp_request_decode(buf, 20, &d), 0);
	assert_memory_equal(&d.session, SESSION, sizeof(SESSION));
	assert_int_equal(d.seq, r.seq);
	assert_int_equal(d.count, 513);
	assert_int_equal(ps_moldudp_request_decode(buf, 19, &d), PS_ETRUNCATED);
	assert_int_equal(ps_moldudp_request_decode(buf, 21, &d), PS_EPROTOCOL);
	ps_store_be16(buf + 18, 0);
	assert_int_equal(ps_moldudp_request_decode(buf, 20, &d), PS_EPROTOCOL);
}

static void test_moldudp_codec_session_copy_pads(void **state)
{
	(void)state;
	char s[PS_MOLDUDP_SESSION_LEN];

	ps_moldudp_session_copy(s, "ABC");
	assert_memory_equal(s, "ABC       ", PS_MOLDUDP_SESSION_LEN);
	ps_moldudp_session_copy(s, "0123456789XYZ");
	assert_memory_equal(s, "0123456789", PS_MOLDUDP_SESSION_LEN);
}

/* ---- session ------------------------------------------------------------ */

struct fix {
	struct ps_moldudp_session s;
	void *mem;
	uint64_t delivered[4096];
	uint32_t ndelivered;
	uint64_t checksum;
	struct ps_moldudp_event events[64];
	uint32_t nevents;
	struct ps_moldudp_request reqs[64];
	uint32_t nreqs;
	int send_rc;
};

static void on_msg(void *ctx, uint64_t seq, const uint8_t *msg, uint16_t len)
{
	struct fix *f = ctx;
	uint8_t m[64];

	assert_int_equal(len, msg_for(seq, m));
	assert_memory_equal(msg, m, len);
	assert_true(f->ndelivered < PS_ARRAY_SIZE(f->delivered));
	f->delivered[f->ndelivered++] = seq;
}

static void on_event(void *ctx, const struct ps_moldudp_event *ev)
{
	struct fix *f = ctx;

	assert_true(f->nevents < PS_ARRAY_SIZE(f->events));
	f->events[f->nevents++] = *ev;
}

static int send_req(void *ctx, const uint8_t *pkt, size_t len)
{
	struct fix *f = ctx;

	assert_true(f->nreqs < PS_ARRAY_SIZE(f->reqs));
	assert_int_equal(ps_moldudp_request_decode(pkt, len, &f->reqs[f->nreqs]), 0);
	f->nreqs++;
	return f->send_rc;
}

static struct fix *fix_new(uint32_t slots, uint64_t first_seq)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct ps_moldudp_session_config cfg;

	assert_non_null(f);
	ps_moldudp_session_config_default(&cfg);
	cfg.first_seq = first_seq;
	cfg.reorder_slots = slots;
	cfg.slot_len = 512;
	cfg.gap_wait_ns = 1 * MS;
	cfg.retry_timeout_ns = 10 * MS;
	cfg.retry_max_timeout_ns = 40 * MS;
	cfg.max_retries = 3;
	cfg.max_request_count = 100;
	cfg.on_msg = on_msg;
	cfg.on_event = on_event;
	cfg.send_request = send_req;
	cfg.ctx = f;
	size_t sz = ps_moldudp_session_memsize(&cfg);
	if (sz == 0)
		abort();
	f->mem = malloc(sz);
	assert_int_equal(ps_moldudp_session_init(&f->s, f->mem, &cfg), 0);
	return f;
}

static void fix_free(struct fix *f)
{
	ps_moldudp_session_fini(&f->s);
	assert_null(f->s.slots);
	free(f->mem);
	free(f);
}

static int feed(struct fix *f, uint64_t seq, uint16_t count, uint64_t now)
{
	uint8_t pkt[1500];
	size_t n = make_packet(pkt, sizeof(pkt), seq, count);

	return ps_moldudp_session_on_packet(&f->s, pkt, n, seq * 10, now);
}

static void assert_delivered_range(const struct fix *f, uint64_t from, uint64_t to)
{
	assert_int_equal(f->ndelivered, to - from);
	for (uint32_t i = 0; i < f->ndelivered; i++)
		assert_int_equal(f->delivered[i], from + i);
}

static void test_moldudp_session_rejects_bad_config(void **state)
{
	(void)state;
	struct ps_moldudp_session_config cfg;
	struct ps_moldudp_session s;
	uint64_t mem[64];

	ps_moldudp_session_config_default(&cfg);
	assert_int_equal(ps_moldudp_session_memsize(&cfg), 0); /* no on_msg */
	assert_int_equal(ps_moldudp_session_init(&s, mem, &cfg), -EINVAL);
	cfg.on_msg = on_msg;
	cfg.reorder_slots = 0;
	assert_int_equal(ps_moldudp_session_init(&s, mem, &cfg), -EINVAL);
	cfg.reorder_slots = 4;
	cfg.slot_len = 19;
	assert_int_equal(ps_moldudp_session_init(&s, mem, &cfg), -EINVAL);
	cfg.slot_len = 64;
	cfg.max_request_count = 0;
	assert_int_equal(ps_moldudp_session_init(&s, mem, &cfg), -EINVAL);
}

static void test_moldudp_session_in_order_delivery(void **state)
{
	(void)state;
	struct fix *f = fix_new(8, 1);

	assert_int_equal(feed(f, 1, 3, 0), 3);
	assert_int_equal(feed(f, 4, 1, 0), 1);
	assert_int_equal(feed(f, 5, 10, 0), 10);
	assert_delivered_range(f, 1, 15);
	assert_int_equal(ps_moldudp_session_next_seq(&f->s), 15);
	assert_int_equal(f->s.stats.packets, 3);
	assert_int_equal(f->nevents, 0);
	assert_int_equal(ps_moldudp_session_poll(&f->s, 100 * MS), 0);
	assert_int_equal(f->nreqs, 0);
	fix_free(f);
}

static void test_moldudp_session_duplicates_discarded(void **state)
{
	(void)state;
	struct fix *f = fix_new(8, 1);

	assert_int_equal(feed(f, 1, 5, 0), 5);
	assert_int_equal(feed(f, 1, 5, 0), 0); /* whole packet again */
	assert_int_equal(feed(f, 3, 2, 0), 0); /* inside what we have */
	assert_int_equal(feed(f, 4, 4, 0), 2); /* overlaps: only 6, 7 are new */
	assert_delivered_range(f, 1, 8);
	assert_int_equal(f->s.stats.duplicates, 2);
	assert_false(ps_moldudp_session_gap_open(&f->s));
	fix_free(f);
}

static void test_moldudp_session_reordered_packets(void **state)
{
	(void)state;
	struct fix *f = fix_new(8, 1);

	assert_int_equal(feed(f, 1, 2, 0), 2);
	assert_int_equal(feed(f, 6, 2, 0), 0); /* early: 3..5 are late */
	assert_int_equal(feed(f, 6, 2, 0), 0); /* duplicate of a buffered packet */
	assert_true(ps_moldudp_session_gap_open(&f->s));
	assert_int_equal(f->nevents, 1);
	assert_int_equal(f->events[0].type, PS_MOLDUDP_EV_GAP);
	assert_int_equal(f->events[0].from, 3);
	assert_int_equal(f->events[0].to, 6);
	assert_int_equal(f->s.stats.duplicates, 1);
	/* The late packet arrives within the gap wait: no request goes out. */
	assert_int_equal(ps_moldudp_session_poll(&f->s, MS / 2), 0);
	assert_int_equal(feed(f, 3, 3, MS / 2), 5); /* 3-5, then 6-7 from the slot */
	assert_delivered_range(f, 1, 8);
	assert_false(ps_moldudp_session_gap_open(&f->s));
	assert_int_equal(ps_moldudp_session_poll(&f->s, 100 * MS), 0);
	assert_int_equal(f->nreqs, 0);
	fix_free(f);

	f = fix_new(8, 1);
	assert_int_equal(feed(f, 4, 2, 0), 0);
	assert_int_equal(feed(f, 2, 2, 0), 0);
	assert_int_equal(feed(f, 1, 1, 0), 5); /* 1, then 2-3 and 4-5 from the slots */
	assert_delivered_range(f, 1, 6);
	assert_false(ps_moldudp_session_gap_open(&f->s));
	assert_int_equal(f->events[f->nevents - 1].type, PS_MOLDUDP_EV_RECOVERED);
	assert_int_equal(f->s.stats.reordered, 2);
	assert_int_equal(f->nreqs, 0);
	fix_free(f);
}

static void test_moldudp_session_gap_rerequest_fill(void **state)
{
	(void)state;
	struct fix *f = fix_new(8, 1);

	assert_int_equal(feed(f, 1, 2, 0), 2);
	assert_int_equal(feed(f, 10, 3, 0), 0); /* 3..9 missing */
	assert_int_equal(ps_moldudp_session_poll(&f->s, MS - 1), 0);
	assert_int_equal(f->nreqs, 0);
	assert_int_equal(ps_moldudp_session_poll(&f->s, MS), 0);
	assert_int_equal(f->nreqs, 1);
	assert_memory_equal(f->reqs[0].session, SESSION, PS_MOLDUDP_SESSION_LEN);
	assert_int_equal(f->reqs[0].seq, 3);
	assert_int_equal(f->reqs[0].count, 7);
	/* The answer comes in two packets; the first one re-arms the retry budget. */
	assert_int_equal(feed(f, 3, 4, 2 * MS), 4);
	assert_true(ps_moldudp_session_gap_open(&f->s));
	assert_int_equal(feed(f, 7, 3, 2 * MS), 6); /* 7-9 plus 10-12 from the slot */
	assert_delivered_range(f, 1, 13);
	assert_false(ps_moldudp_session_gap_open(&f->s));
	assert_int_equal(f->events[f->nevents - 1].type, PS_MOLDUDP_EV_RECOVERED);
	assert_int_equal(f->events[f->nevents - 1].from, 3);
	assert_int_equal(f->events[f->nevents - 1].to, 13);
	assert_int_equal(ps_moldudp_session_poll(&f->s, 1000 * MS), 0);
	assert_int_equal(f->nreqs, 1);
	fix_free(f);
}

static void test_moldudp_session_retry_backoff_then_stale(void **state)
{
	(void)state;
	struct fix *f = fix_new(8, 1);
	struct ps_md_event md;

	assert_int_equal(feed(f, 1, 1, 0), 1);
	assert_int_equal(feed(f, 5, 2, 0), 0); /* 2..4 missing for good */
	/* Requests at 1 ms, then +10, +20, +40 (capped) ms; stale after the 3rd times out. */
	ps_moldudp_session_poll(&f->s, 1 * MS);
	assert_int_equal(f->nreqs, 1);
	ps_moldudp_session_poll(&f->s, 10 * MS);
	assert_int_equal(f->nreqs, 1);
	ps_moldudp_session_poll(&f->s, 11 * MS);
	assert_int_equal(f->nreqs, 2);
	ps_moldudp_session_poll(&f->s, 30 * MS);
	assert_int_equal(f->nreqs, 2);
	ps_moldudp_session_poll(&f->s, 31 * MS);
	assert_int_equal(f->nreqs, 3);
	for (uint32_t i = 0; i < 3; i++) {
		assert_int_equal(f->reqs[i].seq, 2);
		assert_int_equal(f->reqs[i].count, 3);
	}
	assert_int_equal(ps_moldudp_session_poll(&f->s, 70 * MS), 0);
	assert_int_equal(f->s.stats.stale, 0);
	/* 31 + 40 (capped backoff) = 71 ms: give up, skip to 5, deliver 5-6 from the slot. */
	assert_int_equal(ps_moldudp_session_poll(&f->s, 71 * MS), 2);
	assert_int_equal(f->nreqs, 3);
	assert_int_equal(f->s.stats.stale, 1);
	assert_int_equal(f->s.stats.stale_messages, 3);
	const struct ps_moldudp_event *ev = NULL;
	for (uint32_t i = 0; i < f->nevents; i++)
		if (f->events[i].type == PS_MOLDUDP_EV_STALE)
			ev = &f->events[i];
	if (!ev)
		abort();
	assert_int_equal(ev->from, 2);
	assert_int_equal(ev->to, 5);
	ps_moldudp_stale_md_event(ev, &md);
	assert_int_equal(md.type, PS_MD_STATUS);
	assert_int_equal(md.status, PS_MD_STATUS_STALE);
	assert_int_equal(md.seq, 2);
	assert_int_equal(md.instrument, PS_MOLDUDP_ALL_INSTRUMENTS);
	assert_int_equal(f->ndelivered, 3);
	assert_int_equal(f->delivered[1], 5);
	assert_int_equal(f->delivered[2], 6);
	assert_false(ps_moldudp_session_gap_open(&f->s));
	/* The stream goes on. */
	assert_int_equal(feed(f, 7, 1, 72 * MS), 1);
	fix_free(f);
}

static void test_moldudp_session_heartbeat_reveals_tail_gap(void **state)
{
	(void)state;
	struct fix *f = fix_new(8, 1);
	uint8_t hb[32];

	assert_int_equal(feed(f, 1, 2, 0), 2);
	ps_moldudp_heartbeat_encode(hb, sizeof(hb), SESSION, 6, false);
	assert_int_equal(ps_moldudp_session_on_packet(&f->s, hb, 20, 0, 0), 0);
	assert_true(ps_moldudp_session_gap_open(&f->s));
	ps_moldudp_session_poll(&f->s, MS);
	assert_int_equal(f->nreqs, 1);
	assert_int_equal(f->reqs[0].seq, 3);
	assert_int_equal(f->reqs[0].count, 3);
	assert_int_equal(feed(f, 3, 3, 2 * MS), 3);
	assert_false(ps_moldudp_session_gap_open(&f->s));
	assert_int_equal(f->s.stats.heartbeats, 1);
	fix_free(f);
}

static void test_moldudp_session_no_sender_goes_stale(void **state)
{
	(void)state;
	struct fix *f = fix_new(8, 1);

	f->s.cfg.send_request = NULL;
	assert_int_equal(feed(f, 3, 1, 0), 0);
	assert_int_equal(ps_moldudp_session_poll(&f->s, MS), 1);
	assert_int_equal(f->s.stats.stale, 1);
	assert_delivered_range(f, 3, 4);
	fix_free(f);
}

static void test_moldudp_session_request_capped_and_send_error_counted(void **state)
{
	(void)state;
	struct fix *f = fix_new(8, 1);

	f->send_rc = -ECONNREFUSED;
	assert_int_equal(feed(f, 500, 1, 0), 0);
	ps_moldudp_session_poll(&f->s, MS);
	assert_int_equal(f->nreqs, 1);
	assert_int_equal(f->reqs[0].seq, 1);
	assert_int_equal(f->reqs[0].count, 100); /* max_request_count */
	assert_int_equal(f->s.stats.request_errors, 1);
	fix_free(f);
}

static void test_moldudp_session_slots_full_drop_then_refill(void **state)
{
	(void)state;
	struct fix *f = fix_new(2, 1);

	assert_int_equal(feed(f, 2, 1, 0), 0);
	assert_int_equal(feed(f, 3, 1, 0), 0);
	assert_int_equal(feed(f, 4, 1, 0), 0); /* no slot: dropped */
	assert_int_equal(f->s.stats.slot_drops, 1);
	assert_int_equal(feed(f, 1, 1, 0), 3);
	assert_true(ps_moldudp_session_gap_open(&f->s)); /* 4 is known to exist */
	ps_moldudp_session_poll(&f->s, 100 * MS);
	assert_int_equal(f->nreqs, 1);
	assert_int_equal(f->reqs[0].seq, 4);
	assert_int_equal(f->reqs[0].count, 1);
	assert_int_equal(feed(f, 4, 1, 101 * MS), 1);
	assert_delivered_range(f, 1, 5);
	fix_free(f);
}

static void test_moldudp_session_stale_then_second_gap(void **state)
{
	(void)state;
	struct fix *f = fix_new(2, 1);

	f->s.cfg.send_request = NULL;
	assert_int_equal(feed(f, 3, 1, 0), 0);
	assert_int_equal(feed(f, 4, 1, 0), 0);
	assert_int_equal(feed(f, 9, 1, 0), 0); /* dropped: slots full; 5..8 and 9 unknown */
	assert_int_equal(ps_moldudp_session_poll(&f->s, MS), 2); /* 1-2 stale; 3, 4 delivered */
	assert_true(ps_moldudp_session_gap_open(&f->s));         /* 5..9 still missing */
	assert_int_equal(ps_moldudp_session_poll(&f->s, MS), 0); /* 5..9 stale too */
	assert_int_equal(f->s.stats.stale, 2);
	assert_int_equal(ps_moldudp_session_next_seq(&f->s), 10);
	assert_false(ps_moldudp_session_gap_open(&f->s));
	fix_free(f);
}

static void test_moldudp_session_end_of_session_and_foreign(void **state)
{
	(void)state;
	struct fix *f = fix_new(8, 1);
	uint8_t pkt[64];

	assert_int_equal(feed(f, 1, 1, 0), 1);
	ps_moldudp_heartbeat_encode(pkt, sizeof(pkt), SESSION, 2, true);
	assert_int_equal(ps_moldudp_session_on_packet(&f->s, pkt, 20, 0, 0), 0);
	assert_int_equal(ps_moldudp_session_on_packet(&f->s, pkt, 20, 0, 0), 0);
	assert_int_equal(f->nevents, 1);
	assert_int_equal(f->events[0].type, PS_MOLDUDP_EV_END_OF_SESSION);
	assert_int_equal(f->events[0].from, 2);
	ps_moldudp_heartbeat_encode(pkt, sizeof(pkt), "OTHERSESS1", 2, false);
	assert_int_equal(ps_moldudp_session_on_packet(&f->s, pkt, 20, 0, 0), PS_EPROTOCOL);
	assert_int_equal(f->s.stats.wrong_session, 1);
	assert_int_equal(ps_moldudp_session_on_packet(&f->s, pkt, 10, 0, 0), PS_ETRUNCATED);
	assert_int_equal(f->s.stats.malformed, 1);
	ps_moldudp_heartbeat_encode(pkt, sizeof(pkt), SESSION, UINT64_MAX - 3, false);
	assert_int_equal(ps_moldudp_session_on_packet(&f->s, pkt, 20, 0, 0), PS_EPROTOCOL);
	assert_int_equal(f->s.stats.malformed, 2);
	assert_false(ps_moldudp_session_gap_open(&f->s));
	fix_free(f);
}

static void test_moldudp_session_join_late(void **state)
{
	(void)state;
	struct fix *f = fix_new(8, 0);

	assert_int_equal(feed(f, 1000, 2, 0), 2);
	assert_int_equal(feed(f, 1002, 1, 0), 1);
	assert_delivered_range(f, 1000, 1003);
	assert_false(ps_moldudp_session_gap_open(&f->s));
	fix_free(f);
}

static void count_msg(void *ctx, uint64_t seq, const uint8_t *msg, uint16_t len)
{
	uint64_t *n = ctx;

	(void)seq;
	(void)msg;
	(void)len;
	(*n)++;
}

/* The hot path (in order, duplicates, reorder through the slots) never allocates. */
static void test_moldudp_session_hot_loop_no_alloc(void **state)
{
	(void)state;
	struct ps_moldudp_session_config cfg;
	struct ps_moldudp_session s;
	uint8_t a[64], b[64];
	uint64_t delivered = 0;

	ps_moldudp_session_config_default(&cfg);
	cfg.on_msg = count_msg;
	cfg.ctx = &delivered;
	void *mem = malloc(ps_moldudp_session_memsize(&cfg));
	assert_int_equal(ps_moldudp_session_init(&s, mem, &cfg), 0);
	uint64_t before = ps_alloc_count();
	for (uint64_t seq = 1; seq <= 1000000; seq += 2) {
		size_t la = make_packet(a, sizeof(a), seq, 1);
		size_t lb = make_packet(b, sizeof(b), seq + 1, 1);
		if (seq % 64 == 1) { /* swap a pair: one trip through a reorder slot */
			ps_moldudp_session_on_packet(&s, b, lb, 0, 0);
			ps_moldudp_session_on_packet(&s, a, la, 0, 0);
		} else {
			ps_moldudp_session_on_packet(&s, a, la, 0, 0);
			ps_moldudp_session_on_packet(&s, b, lb, 0, 0);
			ps_moldudp_session_on_packet(&s, b, lb, 0, 0); /* duplicate */
		}
		ps_moldudp_session_poll(&s, 0);
	}
	assert_int_equal(ps_alloc_count(), before);
	assert_int_equal(delivered, 1000000);
	assert_int_equal(s.stats.stale, 0);
	ps_moldudp_session_fini(&s);
	free(mem);
}

/* ---- store and server answers ------------------------------------------ */

struct answers {
	uint8_t pkts[16][1500];
	size_t lens[16];
	uint32_t n;
};

static int collect(void *ctx, const uint8_t *pkt, size_t len)
{
	struct answers *a = ctx;

	assert_true(a->n < 16);
	memcpy(a->pkts[a->n], pkt, len);
	a->lens[a->n++] = len;
	return 0;
}

static bool withhold_50s(void *ctx, uint64_t seq, uint16_t count)
{
	(void)ctx;
	(void)count;
	return seq < 50 || seq >= 60;
}

static void test_moldudp_store_ring_and_server_answer(void **state)
{
	(void)state;
	struct ps_moldudp_store st;
	struct ps_moldudp_server *srv = calloc(1, sizeof(*srv));
	struct answers *a = calloc(1, sizeof(*a));
	uint8_t m[64], req[20];
	void *mem;

	assert_int_equal(ps_moldudp_store_memsize(100, 64), 0);
	size_t sz = ps_moldudp_store_memsize(128, 64);
	mem = malloc(sz);
	assert_int_equal(ps_moldudp_store_init(&st, mem, 100, 64, 1), -EINVAL);
	assert_int_equal(ps_moldudp_store_init(&st, mem, 128, 64, 1), 0);
	for (uint64_t seq = 1; seq <= 200; seq++) {
		uint16_t len = msg_for(seq, m);
		assert_int_equal(ps_moldudp_store_put(&st, seq, m, len), 0);
	}
	assert_int_equal(ps_moldudp_store_put(&st, 5, m, 1), -EINVAL);
	assert_int_equal(ps_moldudp_store_put(&st, 201, m, 65), PS_EBADLEN);
	uint16_t len;
	assert_null(ps_moldudp_store_get(&st, 72, &len));
	assert_null(ps_moldudp_store_get(&st, 201, &len));
	const uint8_t *p = ps_moldudp_store_get(&st, 73, &len);
	assert_non_null(p);
	assert_int_equal(len, msg_for(73, m));
	assert_memory_equal(p, m, len);

	struct ps_moldudp_server_config cfg = { .store = &st,
						.mtu_payload = 200,
						.max_answer_count = 50 };
	memcpy(cfg.session, SESSION, sizeof(SESSION));
	srv->cfg = cfg;
	srv->fd = -1;
	struct ps_moldudp_request r = { .seq = 100, .count = 60 };
	memcpy(r.session, SESSION, sizeof(SESSION));
	ps_moldudp_request_encode(req, sizeof(req), &r);
	/* 50 messages (cap), split into packets of at most 200 bytes, in order. */
	assert_int_equal(ps_moldudp_server_answer(srv, req, 20, collect, a), 50);
	assert_true(a->n > 1);
	uint64_t next = 100;
	for (uint32_t i = 0; i < a->n; i++) {
		struct ps_moldudp_hdr h;
		assert_true(a->lens[i] <= 200);
		assert_int_equal(ps_moldudp_packet_validate(a->pkts[i], a->lens[i], &h, NULL), 0);
		assert_int_equal(h.seq, next);
		next += h.count;
	}
	assert_int_equal(next, 150);
	/* Too old, too new, wrong session, malformed, filtered. */
	r.seq = 10;
	ps_moldudp_request_encode(req, sizeof(req), &r);
	assert_int_equal(ps_moldudp_server_answer(srv, req, 20, collect, a), PS_ENOTFOUND);
	r.seq = 201;
	ps_moldudp_request_encode(req, sizeof(req), &r);
	assert_int_equal(ps_moldudp_server_answer(srv, req, 20, collect, a), PS_ENOTFOUND);
	r.seq = 190;
	ps_moldudp_request_encode(req, sizeof(req), &r);
	a->n = 0;
	assert_int_equal(ps_moldudp_server_answer(srv, req, 20, collect, a), 11); /* to 200 */
	assert_int_equal(ps_moldudp_server_answer(srv, req, 19, collect, a), PS_ETRUNCATED);
	static const char wrong[PS_MOLDUDP_SESSION_LEN] = { 'W', 'R', 'O', 'N', 'G',
							    'S', 'E', 'S', 'S', '!' };
	memcpy(req, wrong, sizeof(wrong));
	assert_int_equal(ps_moldudp_server_answer(srv, req, 20, collect, a), PS_EPROTOCOL);
	srv->cfg.filter = withhold_50s;
	r.seq = 55;
	srv->cfg.store = &st;
	ps_moldudp_request_encode(req, sizeof(req), &r);
	assert_int_equal(ps_moldudp_server_answer(srv, req, 20, collect, a), 0);
	assert_int_equal(srv->stats.filtered, 1);
	assert_int_equal(srv->stats.bad_requests, 2);
	assert_int_equal(srv->stats.unavailable, 2);
	ps_moldudp_store_fini(&st);
	free(mem);
	free(a);
	free(srv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_moldudp_codec_round_trip),
		cmocka_unit_test(test_moldudp_codec_wire_layout),
		cmocka_unit_test(test_moldudp_codec_builder_full),
		cmocka_unit_test(test_moldudp_codec_heartbeat_and_end),
		cmocka_unit_test(test_moldudp_codec_malformed_exact_errors),
		cmocka_unit_test(test_moldudp_codec_never_reads_past_packet),
		cmocka_unit_test(test_moldudp_codec_request_round_trip),
		cmocka_unit_test(test_moldudp_codec_session_copy_pads),
		cmocka_unit_test(test_moldudp_session_rejects_bad_config),
		cmocka_unit_test(test_moldudp_session_in_order_delivery),
		cmocka_unit_test(test_moldudp_session_duplicates_discarded),
		cmocka_unit_test(test_moldudp_session_reordered_packets),
		cmocka_unit_test(test_moldudp_session_gap_rerequest_fill),
		cmocka_unit_test(test_moldudp_session_retry_backoff_then_stale),
		cmocka_unit_test(test_moldudp_session_heartbeat_reveals_tail_gap),
		cmocka_unit_test(test_moldudp_session_no_sender_goes_stale),
		cmocka_unit_test(test_moldudp_session_request_capped_and_send_error_counted),
		cmocka_unit_test(test_moldudp_session_slots_full_drop_then_refill),
		cmocka_unit_test(test_moldudp_session_stale_then_second_gap),
		cmocka_unit_test(test_moldudp_session_end_of_session_and_foreign),
		cmocka_unit_test(test_moldudp_session_join_late),
		cmocka_unit_test(test_moldudp_session_hot_loop_no_alloc),
		cmocka_unit_test(test_moldudp_store_ring_and_server_answer),
	};
	return cmocka_run_group_tests_name("feeds_moldudp", tests, NULL, NULL);
}
