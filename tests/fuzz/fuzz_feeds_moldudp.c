/*
 * libFuzzer target: MoldUDP64 packet validation and iteration, request
 * decoding, and a session fed a stream of packets cut from the input.
 *
 * Input layout: a sequence of records [u16 len][u8 time step][len bytes]; each
 * record is one packet handed to the session at a clock that advances by the
 * step (ms), with ps_moldudp_session_poll run between packets. Invariants
 * checked: iteration never leaves the packet, validation agrees with the walk,
 * and the session delivers strictly increasing sequence numbers.
 */
#include <ps/moldudp.h>

#include <stdlib.h>
#include <string.h>

struct fuzz_ctx {
	uint64_t last_seq;
	bool any;
	uint32_t requests;
};

static void on_msg(void *ctx, uint64_t seq, const uint8_t *msg, uint16_t len)
{
	struct fuzz_ctx *f = ctx;
	volatile uint8_t sink = 0;

	if (f->any && seq <= f->last_seq)
		abort(); /* out of order or duplicate delivery */
	f->any = true;
	f->last_seq = seq;
	for (uint16_t i = 0; i < len; i++)
		sink ^= msg[i]; /* touches every byte: ASan flags an over-read */
	(void)sink;
}

static int on_send(void *ctx, const uint8_t *pkt, size_t len)
{
	struct fuzz_ctx *f = ctx;
	struct ps_moldudp_request r;

	if (ps_moldudp_request_decode(pkt, len, &r) != 0)
		abort(); /* the session must only send valid requests */
	f->requests++;
	return 0;
}

static void walk(const uint8_t *data, size_t size)
{
	struct ps_moldudp_hdr h;
	struct ps_moldudp_iter it;
	const uint8_t *msg;
	uint16_t len;
	uint64_t seq;
	size_t off = 0;
	int rc, v;

	v = ps_moldudp_packet_validate(data, size, &h, &off);
	if (v != 0 && off > size)
		abort();
	if (ps_moldudp_hdr_decode(data, size, &h) != 0)
		return;
	ps_moldudp_iter_init(&it, data, size, &h);
	while ((rc = ps_moldudp_iter_next(&it, &seq, &msg, &len)) > 0)
		if (msg < data || msg + len > data + size)
			abort();
	if (v == 0 && (rc != 0 || it.off != size))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint64_t mem[(4 * 64 + 4 * 256) / 8 + 64];
	struct ps_moldudp_session_config cfg;
	struct ps_moldudp_session s;
	struct ps_moldudp_request req;
	struct fuzz_ctx f = { 0 };
	uint64_t now = 0;

	walk(data, size);
	(void)ps_moldudp_request_decode(data, size, &req);

	ps_moldudp_session_config_default(&cfg);
	cfg.reorder_slots = 4;
	cfg.slot_len = 256;
	cfg.max_retries = 2;
	cfg.on_msg = on_msg;
	cfg.send_request = on_send;
	cfg.ctx = &f;
	if (ps_moldudp_session_memsize(&cfg) > sizeof(mem))
		abort();
	if (ps_moldudp_session_init(&s, mem, &cfg) != 0)
		abort();
	while (size >= 3) {
		size_t len = ps_load_be16(data);
		uint8_t step = data[2];

		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		/* A private copy of exactly len bytes, so ASan sees any over-read. */
		uint8_t *pkt = malloc(len ? len : 1);
		if (!pkt)
			abort();
		memcpy(pkt, data, len);
		walk(pkt, len);
		(void)ps_moldudp_session_on_packet(&s, pkt, len, 0, now);
		free(pkt);
		now += (uint64_t)step * 1000000u;
		(void)ps_moldudp_session_poll(&s, now);
		data += len;
		size -= len;
	}
	ps_moldudp_session_fini(&s);
	return 0;
}
