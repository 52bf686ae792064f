/*
 * FIX 4.4 parser and session layer: arbitrary bytes. The codec part runs
 * frame / parse / validate / ExecutionReport decode on an exact-size heap
 * copy (so any over-read is caught), and checks the fast number parsers
 * against the plain ones; the session part feeds the bytes to an
 * acceptor in chunks (the first byte picks the size) and checks that every
 * message the session sends back parses with a correct BodyLength and
 * CheckSum and passes the dictionary check.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ps/fix_session.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool check_sent(void *ctx, const uint8_t *msg, uint32_t len)
{
	(void)ctx;
	struct ps_fix_msg m;
	if (ps_fix_frame(msg, len) != (int32_t)len || ps_fix_parse(msg, len, &m) != 0)
		abort();
	struct ps_fix_reject r;
	/* a reject echoes the peer's MsgType, which may itself be invalid */
	if (!ps_fix_validate(&m, &r) && r.reason != PS_FIX_REJ_INVALID_MSG_TYPE &&
	    !ps_fix_msg_is(&m, "3") && !ps_fix_msg_is(&m, "j"))
		abort();
	return true;
}

static void codec(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return;
	memcpy(buf, data, size);
	uint32_t off = 0;
	while (off < size) {
		int32_t f = ps_fix_frame(buf + off, (uint32_t)(size - off));
		if (f == 0)
			break;
		if (f < 0) {
			off += (uint32_t)-f;
			continue;
		}
		if ((uint32_t)f > size - off)
			abort();
		struct ps_fix_msg m;
		if (ps_fix_parse(buf + off, (uint32_t)f, &m) == 0) {
			struct ps_fix_reject r;
			struct ps_fix_exec_report er;
			(void)ps_fix_validate(&m, &r);
			(void)ps_fix_exec_report_decode(&m, 4, &er);
			/* the eight-byte number paths agree with the byte-by-byte ones */
			for (uint32_t k = 0; k < m.field_count; k++) {
				const struct ps_fix_field *fl = &m.fields[k];
				uint64_t a = 0, b = 0;
				int64_t c = 0, d = 0;
				bool fa = ps_fix__field_u64(&m, fl, &a);
				bool fb = ps_fix_view_u64(m.buf + fl->off, fl->len, &b);
				if (fa != fb || a != b)
					abort();
				fa = ps_fix__field_decimal(&m, fl, 4, &c);
				fb = ps_fix_view_decimal(m.buf + fl->off, fl->len, 4, &d);
				if (fa != fb || c != d)
					abort();
			}
		}
		off += (uint32_t)f;
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	codec(data, size);
	static struct ps_fix_session s;
	static void *mem;
	static const struct ps_fix_session_config cfg = {
		.sender_comp_id = "ISLD",
		.target_comp_id = "TW44",
		.sending_time_tolerance_s = 4000000000u, /* any SendingTime */
		.store_count = 16,
		.queue_count = 8,
		.rx_cap = 8192,
		.send = check_sent,
	};
	if (!mem) {
		mem = malloc(ps_fix_session_memsize(&cfg));
		if (!mem || ps_fix_session_init(&s, mem, &cfg) != 0)
			abort();
	}
	if (size == 0)
		return 0;
	uint32_t chunk = (uint32_t)data[0] % 64 + 1;
	uint64_t now = 1767323045ull * 1000000000ull;
	ps_fix_session_connected(&s, now);
	for (size_t off = 1; off < size && !ps_fix_session_want_close(&s);) {
		uint32_t room;
		uint8_t *p = ps_fix_session_rx_buf(&s, &room);
		uint32_t n = (uint32_t)(size - off) < chunk ? (uint32_t)(size - off) : chunk;
		if (n > room)
			n = room;
		memcpy(p, data + off, n);
		off += n;
		ps_fix_session_rx_commit(&s, n, now);
		now += 100000000ull;
		ps_fix_session_poll(&s, now);
	}
	ps_fix_session_disconnected(&s);
	ps_fix_session_set_seq(&s, 1, 1);
	return 0;
}
