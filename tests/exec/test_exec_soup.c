/*
 * SoupBinTCP 3.0 codec: exact bytes of every packet type, decode errors,
 * the stream decoder fed at every split offset and byte by byte, and inputs
 * ending at a PROT_NONE page.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <ps/soup.h>

static void test_soup_login_request_exact_bytes(void **state)
{
	(void)state;
	uint8_t out[64];
	int n = ps_soup_encode_login_request(out, "abc", "pw", "SESS1", 12);
	assert_int_equal(n, 49);
	static const char want[] = "\x00\x2f"
				   "L"
				   "abc   "
				   "pw        "
				   "     SESS1"
				   "                  12";
	assert_memory_equal(out, want, 49);

	struct ps_soup_login_request req;
	assert_int_equal(ps_soup_decode_login_request(out + 3, 46, &req), 0);
	assert_string_equal(req.username, "abc");
	assert_string_equal(req.password, "pw");
	assert_string_equal(req.session, "SESS1");
	assert_int_equal(req.seq, 12);

	/* Blank session, sequence 0 (most recent), full-width fields. */
	n = ps_soup_encode_login_request(out, "USER01", "0123456789", "", 0);
	assert_int_equal(n, 49);
	assert_memory_equal(out + 3, "USER010123456789          ", 26);
	assert_memory_equal(out + 29, "                   0", 20);
	assert_int_equal(ps_soup_decode_login_request(out + 3, 46, &req), 0);
	assert_string_equal(req.session, "");
	assert_int_equal(req.seq, 0);

	/* Largest sequence number that fits in 20 digits. */
	n = ps_soup_encode_login_request(out, "u", "p", "S", UINT64_MAX);
	assert_int_equal(n, 49);
	assert_int_equal(ps_soup_decode_login_request(out + 3, 46, &req), 0);
	assert_true(req.seq == UINT64_MAX);
}

/* Writes the 20-byte sequence number field of a login request payload. */
static void put_seq(uint8_t *payload, const char *text)
{
	for (size_t i = 0; i < 20; i++)
		payload[26 + i] = (uint8_t)text[i];
}

static void test_soup_login_request_rejects_bad_fields(void **state)
{
	(void)state;
	uint8_t out[64];
	assert_int_equal(ps_soup_encode_login_request(out, "toolong", "p", "", 1), -EINVAL);
	assert_int_equal(ps_soup_encode_login_request(out, "u", "passwordlong", "", 1), -EINVAL);
	assert_int_equal(ps_soup_encode_login_request(out, "u", "p", "SESSIONLONG", 1), -EINVAL);
	assert_int_equal(ps_soup_encode_login_request(out, "u\n", "p", "", 1), -EINVAL);

	struct ps_soup_login_request req;
	uint8_t p[46];
	memset(p, ' ', sizeof(p));
	put_seq(p, "            12x34567");
	assert_int_equal(ps_soup_decode_login_request(p, 46, &req), PS_ESYNTAX);
	put_seq(p, "   1 2              ");
	assert_int_equal(ps_soup_decode_login_request(p, 46, &req), PS_ESYNTAX);
	put_seq(p, "99999999999999999999"); /* > UINT64_MAX */
	assert_int_equal(ps_soup_decode_login_request(p, 46, &req), PS_ESYNTAX);
	put_seq(p, "                    "); /* blank = 0 */
	p[1] = 0;                           /* a NUL inside the username */
	assert_int_equal(ps_soup_decode_login_request(p, 46, &req), PS_ESYNTAX);
	p[1] = ' ';
	assert_int_equal(ps_soup_decode_login_request(p, 46, &req), 0);
	assert_int_equal(req.seq, 0);
	assert_int_equal(ps_soup_decode_login_request(p, 45, &req), PS_EBADLEN);
}

static void test_soup_login_accepted_and_rejected_exact_bytes(void **state)
{
	(void)state;
	uint8_t out[64];
	assert_int_equal(ps_soup_encode_login_accepted(out, "S42", 1001), 33);
	static const char want[] = "\x00\x1f"
				   "A"
				   "       S42"
				   "                1001";
	assert_memory_equal(out, want, 33);
	struct ps_soup_login_accepted acc;
	assert_int_equal(ps_soup_decode_login_accepted(out + 3, 30, &acc), 0);
	assert_string_equal(acc.session, "S42");
	assert_int_equal(acc.seq, 1001);
	assert_int_equal(ps_soup_decode_login_accepted(out + 3, 31, &acc), PS_EBADLEN);
	assert_int_equal(ps_soup_encode_login_accepted(out, "ELEVENCHARS", 1), -EINVAL);

	assert_int_equal(ps_soup_encode_login_rejected(out, PS_SOUP_REJECT_NOT_AUTHORIZED), 4);
	assert_memory_equal(out, "\x00\x02JA", 4);
	assert_int_equal(ps_soup_encode_login_rejected(out, PS_SOUP_REJECT_SESSION_UNAVAILABLE), 4);
	assert_memory_equal(out, "\x00\x02JS", 4);
}

static void test_soup_empty_and_data_packets_round_trip(void **state)
{
	(void)state;
	static const uint8_t empty_types[] = { 'H', 'Z', 'R', 'O' };
	for (size_t i = 0; i < sizeof(empty_types); i++) {
		uint8_t out[3];
		assert_int_equal(ps_soup_encode_empty(out, empty_types[i]), 3);
		assert_int_equal(out[0], 0);
		assert_int_equal(out[1], 1);
		assert_int_equal(out[2], empty_types[i]);
		struct ps_soup_packet pkt;
		assert_int_equal(ps_soup_parse(out, 3, PS_SOUP_DIR_ANY, &pkt), 3);
		assert_int_equal(pkt.type, empty_types[i]);
		assert_int_equal(pkt.payload_len, 0);
	}
	static const uint8_t data_types[] = { 'S', 'U', '+' };
	for (size_t i = 0; i < sizeof(data_types); i++) {
		uint8_t out[16];
		assert_int_equal(ps_soup_encode_data(out, data_types[i], "hello", 5), 8);
		assert_memory_equal(out, "\x00\x06", 2);
		assert_int_equal(out[2], data_types[i]);
		struct ps_soup_packet pkt;
		assert_int_equal(ps_soup_parse(out, 8, PS_SOUP_DIR_ANY, &pkt), 8);
		assert_int_equal(pkt.type, data_types[i]);
		assert_int_equal(pkt.payload_len, 5);
		assert_memory_equal(pkt.payload, "hello", 5);
		assert_ptr_equal(pkt.payload, out + 3);
	}
	/* An empty sequenced packet is legal (length 1). */
	uint8_t s[3] = { 0, 1, 'S' };
	struct ps_soup_packet pkt;
	assert_int_equal(ps_soup_parse(s, 3, PS_SOUP_DIR_FROM_SERVER, &pkt), 3);
	assert_int_equal(pkt.payload_len, 0);
}

static void test_soup_parse_errors(void **state)
{
	(void)state;
	struct ps_soup_packet pkt;
	uint8_t zero[3] = { 0, 0, 'S' };
	assert_int_equal(ps_soup_parse(zero, 3, PS_SOUP_DIR_ANY, &pkt), PS_EBADLEN);
	assert_int_equal(ps_soup_parse(zero, 2, PS_SOUP_DIR_ANY, &pkt), PS_EBADLEN);
	uint8_t unknown[3] = { 0, 1, 'Q' };
	assert_int_equal(ps_soup_parse(unknown, 3, PS_SOUP_DIR_ANY, &pkt), PS_EUNKNOWN_MSG);
	/* Heartbeat with a payload; login accepted too short: bad length even
	 * before the packet is complete. */
	uint8_t hb[4] = { 0, 2, 'H', 0 };
	assert_int_equal(ps_soup_parse(hb, 3, PS_SOUP_DIR_ANY, &pkt), PS_EBADLEN);
	uint8_t acc[3] = { 0, 30, 'A' };
	assert_int_equal(ps_soup_parse(acc, 3, PS_SOUP_DIR_ANY, &pkt), PS_EBADLEN);
	uint8_t rej[3] = { 0, 3, 'J' };
	assert_int_equal(ps_soup_parse(rej, 3, PS_SOUP_DIR_ANY, &pkt), PS_EBADLEN);
	uint8_t login[3] = { 0, 46, 'L' };
	assert_int_equal(ps_soup_parse(login, 3, PS_SOUP_DIR_ANY, &pkt), PS_EBADLEN);
	/* Direction: a client never receives L/U/R/O, a server never S/A/J/H/Z. */
	static const uint8_t c2s[] = { 'L', 'U', 'R', 'O' };
	static const uint8_t s2c[] = { 'S', 'A', 'J', 'H', 'Z' };
	for (size_t i = 0; i < sizeof(c2s); i++) {
		uint8_t p[3] = { 0, 1, c2s[i] };
		assert_int_equal(ps_soup_parse(p, 3, PS_SOUP_DIR_FROM_SERVER, &pkt),
				 PS_EUNKNOWN_MSG);
	}
	for (size_t i = 0; i < sizeof(s2c); i++) {
		uint8_t p[3] = { 0, 1, s2c[i] };
		assert_int_equal(ps_soup_parse(p, 3, PS_SOUP_DIR_FROM_CLIENT, &pkt),
				 PS_EUNKNOWN_MSG);
	}
	/* Incomplete input is not an error. */
	uint8_t part[5] = { 0, 6, 'S', 'a', 'b' };
	for (size_t n = 0; n <= sizeof(part); n++)
		assert_int_equal(ps_soup_parse(part, n, PS_SOUP_DIR_ANY, &pkt), 0);
}

/* A server-to-client stream of every server packet type. */
static size_t build_server_stream(uint8_t *buf)
{
	size_t n = 0;
	n += (size_t)ps_soup_encode_login_accepted(buf + n, "SESSION001", 7);
	n += ps_soup_encode_data(buf + n, 'S', "first message", 13);
	n += ps_soup_encode_empty(buf + n, 'H');
	n += ps_soup_encode_data(buf + n, '+', "debug", 5);
	n += ps_soup_encode_data(buf + n, 'S', "", 0);
	static uint8_t big[300];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)i;
	n += ps_soup_encode_data(buf + n, 'S', big, sizeof(big));
	n += ps_soup_encode_empty(buf + n, 'Z');
	return n;
}

struct expect {
	uint8_t type;
	uint16_t len;
};

static const struct expect server_expect[] = {
	{ 'A', 30 }, { 'S', 13 }, { 'H', 0 }, { '+', 5 }, { 'S', 0 }, { 'S', 300 }, { 'Z', 0 },
};

static size_t drain(struct ps_soup_stream *s, size_t seen)
{
	struct ps_soup_packet pkt;
	int rc;
	while ((rc = ps_soup_stream_next(s, &pkt)) == 1) {
		assert_true(seen < PS_ARRAY_SIZE(server_expect));
		assert_int_equal(pkt.type, server_expect[seen].type);
		assert_int_equal(pkt.payload_len, server_expect[seen].len);
		if (pkt.type == 'S' && pkt.payload_len == 300)
			for (uint32_t i = 0; i < 300; i++)
				assert_int_equal(pkt.payload[i], (uint8_t)i);
		seen++;
	}
	assert_int_equal(rc, 0);
	return seen;
}

static void test_soup_stream_every_split_offset(void **state)
{
	(void)state;
	uint8_t wire[1024];
	size_t len = build_server_stream(wire);
	uint8_t mem[512];
	for (size_t split = 0; split <= len; split++) {
		struct ps_soup_stream s;
		assert_int_equal(ps_soup_stream_init(&s, mem, sizeof(mem), PS_SOUP_DIR_FROM_SERVER),
				 0);
		size_t seen = 0;
		assert_int_equal(ps_soup_stream_feed(&s, wire, split), split);
		seen = drain(&s, seen);
		size_t off = split;
		while (off < len) {
			off += ps_soup_stream_feed(&s, wire + off, len - off);
			seen = drain(&s, seen);
		}
		assert_int_equal(seen, PS_ARRAY_SIZE(server_expect));
		assert_int_equal(ps_soup_stream_pending(&s), 0);
		ps_soup_stream_fini(&s);
	}
}

static void test_soup_stream_byte_by_byte_with_small_buffer(void **state)
{
	(void)state;
	uint8_t wire[1024];
	size_t len = build_server_stream(wire);
	/* Just big enough for the largest packet: forces compaction. */
	uint8_t mem[303];
	struct ps_soup_stream s;
	assert_int_equal(ps_soup_stream_init(&s, mem, sizeof(mem), PS_SOUP_DIR_FROM_SERVER), 0);
	size_t seen = 0;
	for (size_t i = 0; i < len; i++) {
		uint32_t room;
		uint8_t *p = ps_soup_stream_write_ptr(&s, &room);
		assert_true(room > 0);
		*p = wire[i];
		ps_soup_stream_commit(&s, 1);
		seen = drain(&s, seen);
	}
	assert_int_equal(seen, PS_ARRAY_SIZE(server_expect));
	ps_soup_stream_fini(&s);
}

static void test_soup_stream_errors_are_sticky(void **state)
{
	(void)state;
	uint8_t mem[64];
	struct ps_soup_stream s;
	struct ps_soup_packet pkt;
	assert_int_equal(ps_soup_stream_init(&s, mem, sizeof(mem), PS_SOUP_DIR_FROM_SERVER), 0);
	uint8_t bad[] = { 0, 1, 'H', 0, 1, 'L' };
	ps_soup_stream_feed(&s, bad, sizeof(bad));
	assert_int_equal(ps_soup_stream_next(&s, &pkt), 1);
	assert_int_equal(ps_soup_stream_next(&s, &pkt), PS_EUNKNOWN_MSG);
	assert_int_equal(ps_soup_stream_next(&s, &pkt), PS_EUNKNOWN_MSG);
	ps_soup_stream_reset(&s);
	assert_int_equal(ps_soup_stream_next(&s, &pkt), 0);

	/* A packet that can never fit the buffer. */
	uint8_t huge[] = { 0x01, 0x00, 'S', 'x' };
	ps_soup_stream_feed(&s, huge, sizeof(huge));
	assert_int_equal(ps_soup_stream_next(&s, &pkt), -EMSGSIZE);
	ps_soup_stream_reset(&s);
	uint8_t zero[] = { 0, 0 };
	ps_soup_stream_feed(&s, zero, sizeof(zero));
	assert_int_equal(ps_soup_stream_next(&s, &pkt), PS_EBADLEN);
	ps_soup_stream_fini(&s);

	assert_int_equal(ps_soup_stream_init(&s, mem, 2, PS_SOUP_DIR_ANY), -EINVAL);
	assert_int_equal(ps_soup_stream_init(&s, mem, 64, 7), -EINVAL);
}

/* Every prefix of a packet placed so its last byte is the last readable
 * byte before a PROT_NONE page: any over-read faults. */
static void test_soup_parse_never_reads_past_the_end(void **state)
{
	(void)state;
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *map = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(map != MAP_FAILED);
	assert_int_equal(mprotect(map + page, (size_t)page, PROT_NONE), 0);
	uint8_t wire[1024];
	size_t len = build_server_stream(wire);
	for (size_t n = 0; n <= 40; n++) {
		uint8_t *p = map + page - n;
		memcpy(p, wire, n);
		struct ps_soup_packet pkt;
		int rc = ps_soup_parse(p, n, PS_SOUP_DIR_ANY, &pkt);
		assert_int_equal(rc, n == 33 || n > 33 ? 33 : 0);
	}
	(void)len;
	assert_int_equal(munmap(map, (size_t)page * 2), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_soup_login_request_exact_bytes),
		cmocka_unit_test(test_soup_login_request_rejects_bad_fields),
		cmocka_unit_test(test_soup_login_accepted_and_rejected_exact_bytes),
		cmocka_unit_test(test_soup_empty_and_data_packets_round_trip),
		cmocka_unit_test(test_soup_parse_errors),
		cmocka_unit_test(test_soup_stream_every_split_offset),
		cmocka_unit_test(test_soup_stream_byte_by_byte_with_small_buffer),
		cmocka_unit_test(test_soup_stream_errors_are_sticky),
		cmocka_unit_test(test_soup_parse_never_reads_past_the_end),
	};
	return cmocka_run_group_tests_name("exec_soup", tests, NULL, NULL);
}
