/*
 * Capture-file replay through libpcap: each frame's UDP payload (to cfg.port,
 * or any port when 0) is delivered as a datagram, as fast as the caller polls.
 * Frames that are not unfragmented IPv4/UDP are counted in stats.filtered.
 */
#include "source_internal.h"

#include <errno.h>
#include <pcap/pcap.h>

struct pcap_state {
	pcap_t *p;
	int linktype;
	uint16_t port;
	uint32_t batch;
};

static void pcap_src_close(struct ps_source *s)
{
	struct pcap_state *st = s->impl;

	if (!st)
		return;
	if (st->p)
		pcap_close(st->p);
	ps_source__unmap(st, sizeof(*st));
}

static int pcap_src_open(struct ps_source *s, const struct ps_source_config *cfg)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_state *st;

	if (!cfg->path)
		return -EINVAL;
	st = ps_source__map(sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->p = pcap_open_offline(cfg->path, errbuf);
	if (!st->p) {
		ps_source__unmap(st, sizeof(*st));
		return -ENOENT;
	}
	st->linktype = pcap_datalink(st->p);
	st->port = cfg->port;
	st->batch = cfg->batch;
	s->impl = st;
	return 0;
}

static int pcap_src_poll(struct ps_source *s, ps_source_pkt_fn fn, void *ctx)
{
	struct pcap_state *st = s->impl;
	int delivered = 0;

	s->stats.polls++;
	for (uint32_t i = 0; i < st->batch && !s->eof; i++) {
		struct pcap_pkthdr *h;
		const u_char *frame;
		const uint8_t *payload;
		int rc = pcap_next_ex(st->p, &h, &frame);

		if (rc == PCAP_ERROR_BREAK) {
			s->eof = true;
			break;
		}
		if (rc != 1) {
			s->stats.errors++;
			return -EIO;
		}
		int len =
		    ps_source__udp_payload(frame, h->caplen, st->linktype, st->port, &payload);
		if (len < 0) {
			s->stats.filtered++;
			continue;
		}
		fn(ctx, payload, (uint32_t)len, ps_tsc());
		s->stats.bytes += (uint64_t)len;
		delivered++;
	}
	s->stats.packets += (uint64_t)delivered;
	return delivered;
}

const struct ps_source_ops ps_source__pcap_ops = {
	.name = "pcap",
	.open = pcap_src_open,
	.poll = pcap_src_poll,
	.close = pcap_src_close,
};
