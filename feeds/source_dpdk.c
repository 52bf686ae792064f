/*
 * DPDK source: EAL started with the arguments from the config (so virtual
 * devices such as net_pcap, net_ring or net_af_packet stand in for a NIC),
 * one RX queue on cfg.dpdk_port, rte_eth_rx_burst per poll, Ethernet/IPv4/UDP
 * parsed here, payloads delivered straight out of the mbufs.
 *
 * The EAL can start only once per process: a second open reuses it (its
 * arguments are then ignored). Built only when libdpdk is found (PS_HAVE_DPDK).
 */
#include "source_internal.h"

#ifdef PS_HAVE_DPDK

#include <errno.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <stdio.h>
#include <string.h>

#define DPDK_MAX_ARGS   32
#define DPDK_MAX_BURST  256
#define DPDK_RX_DESC    512
#define DPDK_POOL_MBUFS 4095 /* 2^n - 1 is the mempool's best size */
#define DPDK_POOL_CACHE 128

static bool eal_started;

struct dpdk_state {
	struct rte_mempool *pool;
	uint16_t port;
	uint16_t filter_port;
	uint32_t batch;
	bool started;
	char pool_name[32];
};

static int eal_start(const char *args)
{
	char buf[1024];
	char *argv[DPDK_MAX_ARGS + 1];
	int argc = 0;
	char *save = NULL;

	if (eal_started)
		return 0;
	if (!args)
		args = "";
	if (strlen(args) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, args);
	argv[argc++] = (char *)"perseus";
	for (char *tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (argc == DPDK_MAX_ARGS)
			return -E2BIG;
		argv[argc++] = tok;
	}
	argv[argc] = NULL;
	if (rte_eal_init(argc, argv) < 0)
		return rte_errno ? -rte_errno : -EIO;
	eal_started = true;
	return 0;
}

static void dpdk_close(struct ps_source *s)
{
	struct dpdk_state *st = s->impl;

	if (!st)
		return;
	if (st->started) {
		rte_eth_dev_stop(st->port);
		rte_eth_dev_close(st->port);
	}
	if (st->pool)
		rte_mempool_free(st->pool);
	ps_source__unmap(st, sizeof(*st));
}

static int dpdk_open(struct ps_source *s, const struct ps_source_config *cfg)
{
	static unsigned pool_id;
	struct rte_eth_conf conf;
	struct dpdk_state *st;
	int rc = eal_start(cfg->eal_args);

	if (rc < 0)
		return rc;
	if (!rte_eth_dev_is_valid_port(cfg->dpdk_port))
		return -ENODEV;
	st = ps_source__map(sizeof(*st));
	if (!st)
		return -ENOMEM;
	s->impl = st;
	st->port = cfg->dpdk_port;
	st->filter_port = cfg->port;
	st->batch = PS_MIN(cfg->batch, (uint32_t)DPDK_MAX_BURST);
	snprintf(st->pool_name, sizeof(st->pool_name), "ps_src_%u", pool_id++);
	st->pool = rte_pktmbuf_pool_create(st->pool_name, DPDK_POOL_MBUFS, DPDK_POOL_CACHE, 0,
					   RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (!st->pool) {
		rc = -ENOMEM;
		goto err;
	}
	memset(&conf, 0, sizeof(conf));
	/* One RX queue; one TX queue because some PMDs refuse a port without one. */
	rc = rte_eth_dev_configure(st->port, 1, 1, &conf);
	if (rc < 0)
		goto err;
	rc = rte_eth_rx_queue_setup(st->port, 0, DPDK_RX_DESC, rte_eth_dev_socket_id(st->port),
				    NULL, st->pool);
	if (rc < 0)
		goto err;
	rc = rte_eth_tx_queue_setup(st->port, 0, DPDK_RX_DESC, rte_eth_dev_socket_id(st->port),
				    NULL);
	if (rc < 0)
		goto err;
	rc = rte_eth_dev_start(st->port);
	if (rc < 0)
		goto err;
	st->started = true;
	return 0;
err:
	dpdk_close(s);
	s->impl = NULL;
	return rc;
}

static int dpdk_poll(struct ps_source *s, ps_source_pkt_fn fn, void *ctx)
{
	struct dpdk_state *st = s->impl;
	struct rte_mbuf *pkts[DPDK_MAX_BURST];
	int delivered = 0;

	s->stats.polls++;
	uint16_t n = rte_eth_rx_burst(st->port, 0, pkts, (uint16_t)st->batch);
	if (n == 0)
		return 0;
	uint64_t tsc = ps_tsc();
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const uint8_t *payload;
		int len = -1;

		/* Chained mbufs (jumbo frames) are not parsed: MoldUDP64 fits in one segment. */
		if (m->nb_segs == 1)
			len = ps_source__udp_payload(rte_pktmbuf_mtod(m, const uint8_t *),
						     rte_pktmbuf_data_len(m), PS_SOURCE_LINK_EN10MB,
						     st->filter_port, &payload);
		if (len < 0) {
			s->stats.filtered++;
		} else {
			fn(ctx, payload, (uint32_t)len, tsc);
			s->stats.bytes += (uint64_t)len;
			delivered++;
		}
		rte_pktmbuf_free(m);
	}
	s->stats.packets += (uint64_t)delivered;
	return delivered;
}

const struct ps_source_ops ps_source__dpdk_ops = {
	.name = "dpdk",
	.open = dpdk_open,
	.poll = dpdk_poll,
	.close = dpdk_close,
};

#else

/* Without DPDK this unit is empty; ISO C wants at least one declaration. */
typedef int ps_source__dpdk_absent;

#endif /* PS_HAVE_DPDK */
