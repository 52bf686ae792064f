/*
 * perseus lobster-to-itch: convert a LOBSTER day (message + orderbook CSV,
 * plain or zipped) to ITCH 5.0 in BinaryFILE framing, and optionally to
 * MoldUDP64 packets in a pcap (Ethernet / IPv4 / UDP) for replay through
 * the packet sources.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ps/binfile.h>
#include <ps/err.h>
#include <ps/lobster.h>
#include <ps/moldudp.h>

#include "cli.h"

/* Ethernet 14 + IPv4 20 + UDP 8. */
#define NET_HDR_LEN     42
#define MAX_UDP_PAYLOAD 1472 /* 1500-byte MTU less IPv4 and UDP headers */
/* 2012-06-21 00:00:00 UTC: the day of the LOBSTER samples, as pcap epoch. */
#define DEFAULT_EPOCH 1340236800ull

struct pcap_out {
	FILE *f;
	struct ps_moldudp_builder b;
	uint8_t pkt[NET_HDR_LEN + MAX_UDP_PAYLOAD];
	char session[PS_MOLDUDP_SESSION_LEN];
	uint64_t next_seq;
	uint64_t first_ts; /* ITCH timestamp of the packet's first message */
	uint64_t epoch_s;
	uint64_t packets;
	uint16_t port;
	bool open;
};

struct out_ctx {
	struct ps_binfile_writer w;
	struct pcap_out *pcap;
};

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, (uint16_t)v);
	put_le16(p + 2, (uint16_t)(v >> 16));
}

static int pcap_header(FILE *f)
{
	uint8_t h[24];

	put_le32(h, 0xa1b2c3d4u); /* microsecond timestamps */
	put_le16(h + 4, 2);
	put_le16(h + 6, 4);
	put_le32(h + 8, 0);
	put_le32(h + 12, 0);
	put_le32(h + 16, 65535);
	put_le32(h + 20, 1); /* LINKTYPE_ETHERNET */
	return fwrite(h, 1, sizeof(h), f) == sizeof(h) ? 0 : -EIO;
}

/* Ethernet to multicast 239.1.1.1 (MAC 01:00:5e:01:01:01), IPv4, UDP. */
static void net_headers(uint8_t *p, size_t payload, uint16_t port)
{
	static const uint8_t eth[14] = { 0x01, 0x00, 0x5e, 0x01, 0x01, 0x01, 0x02,
					 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00 };
	uint8_t *ip = p + 14, *udp = p + 34;
	uint32_t sum = 0;

	memcpy(p, eth, sizeof(eth));
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ps_store_be16(ip + 2, (uint16_t)(20 + 8 + payload));
	ip[8] = 64;  /* TTL */
	ip[9] = 17;  /* UDP */
	ip[12] = 10; /* source 10.0.0.1 */
	ip[15] = 1;
	ip[16] = 239; /* destination 239.1.1.1 */
	ip[17] = 1;
	ip[18] = 1;
	ip[19] = 1;
	for (int i = 0; i < 20; i += 2)
		sum += ps_load_be16(ip + i);
	while (sum >> 16)
		sum = (sum & 0xFFFF) + (sum >> 16);
	ps_store_be16(ip + 10, (uint16_t)~sum);
	ps_store_be16(udp, port);
	ps_store_be16(udp + 2, port);
	ps_store_be16(udp + 4, (uint16_t)(8 + payload));
	ps_store_be16(udp + 6, 0); /* no UDP checksum (allowed over IPv4) */
}

static int pcap_flush(struct pcap_out *o)
{
	uint8_t rec[16];
	size_t n;
	uint64_t us;

	if (!o->open)
		return 0;
	n = ps_moldudp_builder_finish(&o->b);
	net_headers(o->pkt, n, o->port);
	us = o->first_ts / 1000;
	put_le32(rec, (uint32_t)(o->epoch_s + us / 1000000));
	put_le32(rec + 4, (uint32_t)(us % 1000000));
	put_le32(rec + 8, (uint32_t)(NET_HDR_LEN + n));
	put_le32(rec + 12, (uint32_t)(NET_HDR_LEN + n));
	if (fwrite(rec, 1, sizeof(rec), o->f) != sizeof(rec) ||
	    fwrite(o->pkt, 1, NET_HDR_LEN + n, o->f) != NET_HDR_LEN + n)
		return -EIO;
	o->next_seq += o->b.count;
	o->packets++;
	o->open = false;
	return 0;
}

/* Messages with one timestamp share a packet while they fit. */
static int pcap_msg(struct pcap_out *o, const uint8_t *msg, size_t len)
{
	uint64_t ts = ps_load_be48(msg + 5);
	int rc;

	if (o->open && (ts != o->first_ts || ps_moldudp_builder_room(&o->b) < len + 2)) {
		rc = pcap_flush(o);
		if (rc)
			return rc;
	}
	if (!o->open) {
		rc = ps_moldudp_builder_begin(&o->b, o->pkt + NET_HDR_LEN, MAX_UDP_PAYLOAD,
					      o->session, o->next_seq);
		if (rc)
			return rc;
		o->first_ts = ts;
		o->open = true;
	}
	return ps_moldudp_builder_append(&o->b, msg, (uint16_t)len);
}

static int emit(void *ctx, const uint8_t *msg, size_t len)
{
	struct out_ctx *o = ctx;
	int rc = ps_binfile_write(&o->w, msg, len);

	if (rc == 0 && o->pcap)
		rc = pcap_msg(o->pcap, msg, len);
	return rc;
}

static int usage(FILE *f)
{
	fprintf(f,
		"usage: perseus lobster-to-itch (--zip FILE | --messages M --orderbook B)\n"
		"                               [--levels N] --out FILE.itch [--pcap FILE.pcap]\n"
		"                               [--stock SYMBOL] [--locate N] [--port N]\n"
		"  Convert a LOBSTER day to ITCH 5.0 (BinaryFILE: 2-byte big-endian length,\n"
		"  then the message). M and B are CSV files or zip archives (the members whose\n"
		"  names contain \"message\" / \"orderbook\" are used); --zip FILE names one\n"
		"  archive holding both. Orderbook row 0 becomes Add Orders with synthetic ids;\n"
		"  levels that come into view from beyond depth N are refilled with synthetic\n"
		"  Add Orders (the data README's rule 4). --levels defaults to the orderbook's\n"
		"  depth. --stock (default AMZN) and --locate (default 1) name the instrument.\n"
		"  --pcap also writes the messages as MoldUDP64 packets (session PERSEUS001,\n"
		"  UDP port --port, default 26477, to 239.1.1.1) in an Ethernet pcap, one\n"
		"  packet per timestamp (split at 1472 bytes).\n");
	return f == stdout ? 0 : 2;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || *end || !*s || *out > max ? -EINVAL : 0;
}

static int cli_lobster_to_itch(int argc, char **argv)
{
	const char *msgs = NULL, *book = NULL, *zip = NULL, *out = NULL, *pcap = NULL;
	const char *stock = "AMZN";
	struct ps_lobster_conv_cfg cfg = { .stock_locate = 1 };
	struct ps_lobster_conv_stats st;
	struct pcap_out po;
	struct out_ctx ctx;
	unsigned long v, port = 26477;
	int rc;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--help") || !strcmp(a, "-h"))
			return usage(stdout);
		if (!val)
			return usage(stderr);
		i++;
		if (!strcmp(a, "--messages")) {
			msgs = val;
		} else if (!strcmp(a, "--orderbook")) {
			book = val;
		} else if (!strcmp(a, "--zip")) {
			zip = val;
		} else if (!strcmp(a, "--out")) {
			out = val;
		} else if (!strcmp(a, "--pcap")) {
			pcap = val;
		} else if (!strcmp(a, "--stock")) {
			stock = val;
		} else if (!strcmp(a, "--levels")) {
			if (parse_uint(val, PS_LOBSTER_MAX_LEVELS, &v) || v == 0) {
				ps_cli_error(argv[0], "--levels: '%s' is not 1..%d", val,
					     PS_LOBSTER_MAX_LEVELS);
				return 2;
			}
			cfg.levels = (uint32_t)v;
		} else if (!strcmp(a, "--locate")) {
			if (parse_uint(val, 65535, &v)) {
				ps_cli_error(argv[0], "--locate: '%s' is not 0..65535", val);
				return 2;
			}
			cfg.stock_locate = (uint16_t)v;
		} else if (!strcmp(a, "--port")) {
			if (parse_uint(val, 65535, &port) || port == 0) {
				ps_cli_error(argv[0], "--port: '%s' is not 1..65535", val);
				return 2;
			}
		} else {
			return usage(stderr);
		}
	}
	if (zip) {
		msgs = msgs ? msgs : zip;
		book = book ? book : zip;
	}
	if (!msgs || !book || !out)
		return usage(stderr);
	if (strlen(stock) == 0 || strlen(stock) > 8) {
		ps_cli_error(argv[0], "--stock: '%s' must be 1 to 8 characters", stock);
		return 2;
	}
	memset(cfg.stock, ' ', sizeof(cfg.stock));
	memcpy(cfg.stock, stock, strlen(stock));

	memset(&ctx, 0, sizeof(ctx));
	rc = ps_binfile_writer_open(&ctx.w, out);
	if (rc < 0) {
		ps_cli_error(argv[0], "%s: %s", out, ps_strerror(rc));
		return 1;
	}
	if (pcap) {
		memset(&po, 0, sizeof(po));
		po.f = fopen(pcap, "wbe");
		if (!po.f || pcap_header(po.f)) {
			ps_cli_error(argv[0], "%s: %s", pcap, strerror(errno));
			if (po.f)
				fclose(po.f);
			ps_binfile_writer_close(&ctx.w);
			return 1;
		}
		memcpy(po.session, "PERSEUS001", PS_MOLDUDP_SESSION_LEN);
		po.next_seq = 1;
		po.epoch_s = DEFAULT_EPOCH;
		po.port = (uint16_t)port;
		ctx.pcap = &po;
	}
	memset(&st, 0, sizeof(st));
	rc = ps_lobster_convert(msgs, book, &cfg, emit, &ctx, &st);
	if (rc == 0 && pcap)
		rc = pcap_flush(&po);
	if (pcap && fclose(po.f) != 0 && rc == 0)
		rc = -EIO;
	if (ps_binfile_writer_close(&ctx.w) < 0 && rc == 0)
		rc = -EIO;
	if (rc < 0) {
		ps_cli_error(argv[0], "converting %s + %s (after %llu rows): %s", msgs, book,
			     (unsigned long long)st.rows, ps_strerror(rc));
		return 1;
	}
	printf("rows             %llu\n", (unsigned long long)st.rows);
	printf("itch messages    %llu (%zu bytes) -> %s\n", (unsigned long long)st.itch_msgs,
	       ctx.w.len, out);
	printf("seed adds        %llu\n", (unsigned long long)st.seeds);
	printf("refills          %llu\n", (unsigned long long)st.refills);
	printf("unknown ids      %llu\n", (unsigned long long)st.unknown_ids);
	printf("forgotten levels %llu\n", (unsigned long long)st.forgotten);
	printf("top-N mismatches %llu\n", (unsigned long long)st.mismatches);
	if (pcap)
		printf("pcap packets     %llu -> %s\n", (unsigned long long)po.packets, pcap);
	return 0;
}
PS_CLI_COMMAND("lobster-to-itch", "convert a LOBSTER day to ITCH 5.0 (BinaryFILE, pcap)",
	       cli_lobster_to_itch);
