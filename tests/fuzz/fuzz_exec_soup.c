/*
 * SoupBinTCP stream decoder: arbitrary bytes fed in arbitrary chunks (the
 * first input byte picks the chunk size and the direction) must give the
 * same packets as one parse over the whole input, never read past what was
 * fed, and stop with a sticky error on garbage. Login payloads are decoded too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ps/soup.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_payload(const struct ps_soup_packet *pkt)
{
	/* Zeroed so padding bytes compare equal below. */
	struct ps_soup_login_request req;
	struct ps_soup_login_request back;
	struct ps_soup_login_accepted acc;
	memset(&req, 0, sizeof(req));
	memset(&back, 0, sizeof(back));
	if (pkt->type == PS_SOUP_LOGIN_REQUEST &&
	    ps_soup_decode_login_request(pkt->payload, pkt->payload_len, &req) == 0) {
		uint8_t again[64];
		if (ps_soup_encode_login_request(again, req.username, req.password, req.session,
						 req.seq) != 49)
			return; /* a decoded field may hold bytes the encoder refuses */
		if (ps_soup_decode_login_request(again + 3, 46, &back) != 0 ||
		    memcmp(&back, &req, sizeof(req)) != 0)
			abort();
	}
	if (pkt->type == PS_SOUP_LOGIN_ACCEPTED)
		(void)ps_soup_decode_login_accepted(pkt->payload, pkt->payload_len, &acc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned chunk = (data[0] & 0x3f) + 1;
	unsigned dir = (data[0] >> 6) % 3;
	data++;
	size--;

	/* Reference: parse the whole input at once, in an exact-size copy so
	 * ASan catches any read past the end. */
	uint8_t *copy = malloc(size ? size : 1);
	memcpy(copy, data, size);
	struct ps_soup_packet ref[512];
	size_t nref = 0;
	size_t off = 0;
	int ref_err = 0;
	while (nref < 512) {
		int n = ps_soup_parse(copy + off, size - off, dir, &ref[nref]);
		if (n <= 0) {
			ref_err = n;
			break;
		}
		check_payload(&ref[nref]);
		off += (size_t)n;
		nref++;
	}

	/* Stream: same bytes in chunks through a buffer big enough for any packet. */
	static uint8_t mem[PS_SOUP_MAX_PACKET];
	struct ps_soup_stream s;
	if (ps_soup_stream_init(&s, mem, sizeof(mem), dir) != 0)
		abort();
	size_t got = 0;
	size_t fed = 0;
	int err = 0;
	while (fed < size && err == 0 && got < nref) {
		size_t k = size - fed < chunk ? size - fed : chunk;
		fed += ps_soup_stream_feed(&s, data + fed, k);
		struct ps_soup_packet pkt;
		int rc;
		while (got < nref && (rc = ps_soup_stream_next(&s, &pkt)) == 1) {
			if (pkt.type != ref[got].type || pkt.payload_len != ref[got].payload_len ||
			    memcmp(pkt.payload, ref[got].payload, pkt.payload_len) != 0)
				abort();
			got++;
		}
		if (got < nref && rc < 0)
			err = rc;
	}
	if (got != nref || err != 0)
		abort();
	/* Once the reference hit an error, the stream must report the same. */
	if (ref_err < 0 && nref < 512) {
		while (fed < size)
			fed += ps_soup_stream_feed(&s, data + fed, size - fed);
		struct ps_soup_packet pkt;
		if (ps_soup_stream_next(&s, &pkt) != ref_err)
			abort();
	}
	ps_soup_stream_fini(&s);
	free(copy);
	return 0;
}
