/*
 * Test helper shared by the pcap and DPDK source tests: writes a capture with
 * libpcap's pcap_dump (UDP to the feed port, UDP to another port, VLAN-tagged
 * frames, ARP, an IP fragment, a truncated frame) whose feed payloads are
 * payload_for(0..n-1), and a receive callback that checks them in order.
 * Header-only: each test program includes it once.
 */
#ifndef PS_TEST_FEEDS_CAPTURE_H
#define PS_TEST_FEEDS_CAPTURE_H

#include <pcap/pcap.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define FEED_PORT  26400
#define OTHER_PORT 999

/* Ethernet (optionally one 802.1Q tag) + IPv4 + UDP frame around payload. */
static size_t make_frame(uint8_t *f, const uint8_t *payload, size_t plen, uint16_t dport, bool vlan,
			 bool fragment)
{
	size_t off = 0;

	memset(f, 0, 64);
	static const uint8_t macs[12] = { 0x01, 0x00, 0x5e, 0x01, 0x02, 0x03,   /* dst */
					  0x02, 0x00, 0x00, 0x00, 0x00, 0x01 }; /* src */
	memcpy(f, macs, sizeof(macs));
	off = 12;
	if (vlan) {
		f[off++] = 0x81;
		f[off++] = 0x00;
		f[off++] = 0x00;
		f[off++] = 0x05;
	}
	f[off++] = 0x08;
	f[off++] = 0x00;
	uint8_t *ip = f + off;
	size_t ip_len = 20 + 8 + plen;
	ip[0] = 0x45;
	ip[2] = (uint8_t)(ip_len >> 8);
	ip[3] = (uint8_t)ip_len;
	if (fragment)
		ip[6] = 0x20; /* more fragments */
	ip[8] = 64;
	ip[9] = 17;
	static const uint8_t src_ip[4] = { 10, 0, 0, 1 }, dst_ip[4] = { 239, 1, 2, 3 };
	memcpy(ip + 12, src_ip, 4);
	memcpy(ip + 16, dst_ip, 4);
	uint8_t *udp = ip + 20;
	udp[0] = 0x30;
	udp[1] = 0x39;
	udp[2] = (uint8_t)(dport >> 8);
	udp[3] = (uint8_t)dport;
	udp[4] = (uint8_t)((8 + plen) >> 8);
	udp[5] = (uint8_t)(8 + plen);
	memcpy(udp + 8, payload, plen);
	return off + ip_len;
}

static void dump(pcap_dumper_t *d, const uint8_t *frame, size_t len, size_t caplen)
{
	struct pcap_pkthdr h;

	memset(&h, 0, sizeof(h));
	h.caplen = (bpf_u_int32)caplen;
	h.len = (bpf_u_int32)len;
	pcap_dump((u_char *)d, &h, frame);
}

static size_t payload_for(uint32_t i, uint8_t *p)
{
	size_t len = 1 + (i * 13u) % 300u;

	for (size_t k = 0; k < len; k++)
		p[k] = (uint8_t)(i * 7 + k);
	return len;
}

/* Writes the test capture; feed payloads are payload_for(0..n-1). */
static void write_capture(const char *path, uint32_t n)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d = pcap_dump_open(dead, path);
	uint8_t frame[2048], p[512];

	assert_non_null(d);
	for (uint32_t i = 0; i < n; i++) {
		size_t plen = payload_for(i, p);
		size_t len = make_frame(frame, p, plen, FEED_PORT, i % 5 == 3, false);
		dump(d, frame, len, len);
		/* Noise between feed frames. */
		len = make_frame(frame, p, plen, OTHER_PORT, false, false);
		dump(d, frame, len, len);
	}
	static const uint8_t arp[42] = { [12] = 0x08, [13] = 0x06 };
	dump(d, arp, sizeof(arp), sizeof(arp));
	size_t len = make_frame(frame, p, 10, FEED_PORT, false, true);
	dump(d, frame, len, len); /* fragment */
	len = make_frame(frame, p, 100, FEED_PORT, false, false);
	dump(d, frame, len, 40); /* snapped short */
	pcap_dump_close(d);
	pcap_close(dead);
}

struct rx {
	uint32_t n;
	uint32_t bad;
};

static void on_pkt(void *ctx, const uint8_t *data, uint32_t len, uint64_t tsc)
{
	struct rx *r = ctx;
	uint8_t want[512];
	size_t wl = payload_for(r->n, want);

	(void)tsc;
	if (len != wl || memcmp(data, want, len) != 0)
		r->bad++;
	r->n++;
}

#endif /* PS_TEST_FEEDS_CAPTURE_H */
