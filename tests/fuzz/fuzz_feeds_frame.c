/*
 * The frame parser of the pcap and DPDK sources (ps_source__udp_payload):
 * raw frames off a capture file or a NIC queue. For every link type and
 * with and without a port filter, any input either is refused (-1) or
 * yields a UDP payload that lies inside the frame, whose length the IPv4
 * and UDP length fields agree on, sent to the port asked for.
 *
 * Input: byte 0 picks the link type; byte 1 how far from the frame's own
 * port the other port filter tried lies (a refused frame is tried with a
 * filter too when it is not 0); the rest is the frame.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "source_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int links[] = { PS_SOURCE_LINK_EN10MB,
			     PS_SOURCE_LINK_RAW_A,
			     PS_SOURCE_LINK_RAW_B,
			     PS_SOURCE_LINK_RAW,
			     PS_SOURCE_LINK_LINUX_SLL,
			     PS_SOURCE_LINK_IPV4,
			     0 /* unknown: always refused */ };

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2 || size > 65536 + 2)
		return 0;
	int link = links[data[0] % (sizeof(links) / sizeof(links[0]))];
	uint32_t len = (uint32_t)(size - 2);
	/* An exact-size copy, so that ASan sees any read past the frame. */
	uint8_t *frame = malloc(len ? len : 1);
	if (!frame)
		abort();
	memcpy(frame, data + 2, len);

	const uint8_t *payload = NULL;
	int n = ps_source__udp_payload(frame, len, link, 0, &payload);
	if (n < -1)
		abort();
	if (n >= 0) {
		if (link == 0 || payload < frame + 8 || payload + n > frame + len)
			abort();
		const uint8_t *udp = payload - 8;
		if (be16(udp + 4) != (uint32_t)n + 8)
			abort();
		/* The same frame filtered by its own port, and by another one. */
		uint16_t port = be16(udp + 2);
		const uint8_t *p2 = NULL;
		if (ps_source__udp_payload(frame, len, link, port, &p2) != n || p2 != payload)
			abort();
		uint16_t other = data[1] ? (uint16_t)(port + data[1]) : (uint16_t)(port + 1);
		if (!other) /* 0 is no filter */
			other = port == 1 ? 2 : 1;
		if (ps_source__udp_payload(frame, len, link, other, &p2) != -1)
			abort();
	} else if (data[1]) {
		/* Refused with any port: a filter never makes a frame acceptable. */
		if (ps_source__udp_payload(frame, len, link, 26400, &payload) != -1)
			abort();
	}
	free(frame);
	return 0;
}
