/*
 * Packet sources: one interface in front of every way a datagram reaches the
 * md stage.
 *
 *   PS_SOURCE_URING     UDP socket read by one multishot recv on io_uring with
 *                       a provided-buffer ring (zero copy out of the ring,
 *                       buffers recycled after the callback). The ring is set
 *                       up with DEFER_TASKRUN|SINGLE_ISSUER where the kernel has
 *                       it, so completions are produced only inside our one
 *                       io_uring_enter per poll: a poll costs at most one
 *                       syscall however many datagrams it returns.
 *   PS_SOURCE_RECVMMSG  the same socket read with recvmmsg (one syscall per
 *                       poll); baseline, and for hosts that forbid io_uring.
 *   PS_SOURCE_PCAP      replay of a capture file (libpcap): Ethernet, Linux
 *                       cooked or raw IPv4 framing; UDP payloads to `port`.
 *   PS_SOURCE_DPDK      DPDK poll-mode driver (only when built with DPDK:
 *                       PS_HAVE_DPDK); EAL arguments come from the config, so
 *                       virtual devices (net_pcap, net_ring, net_af_packet)
 *                       work without a NIC. Ethernet/IPv4/UDP parsed here.
 *
 * Delivery is zero-copy through a callback: the data pointer is valid only
 * during the call. The socket sources use non-blocking reads, so poll returns
 * 0 at once when nothing is waiting (busy-poll friendly); PS_SOURCE_F_WAIT asks
 * io_uring/recvmmsg to block until at least one datagram arrives.
 *
 * Threads: a source belongs to one thread; open/close are cold, poll is hot
 * (no allocation, no syscalls other than the receive itself).
 */
#ifndef PS_SOURCE_H
#define PS_SOURCE_H

#include <ps/common.h>

enum ps_source_kind {
	PS_SOURCE_URING = 1,
	PS_SOURCE_RECVMMSG,
	PS_SOURCE_PCAP,
	PS_SOURCE_DPDK,
};

#define PS_SOURCE_F_WAIT     0x1u /* poll blocks until a datagram arrives (sockets) */
#define PS_SOURCE_F_NO_DEFER 0x2u /* io_uring: do not ask for DEFER_TASKRUN */
#define PS_SOURCE_F_MASK     0x3u

/*
 * One datagram: data/len view memory valid only during the call; recv_tsc is
 * ps_tsc() (<ps/clock.h>) when the poll that produced it read it.
 */
typedef void (*ps_source_pkt_fn)(void *ctx, const uint8_t *data, uint32_t len, uint64_t recv_tsc);

struct ps_source_config {
	uint32_t kind;  /* enum ps_source_kind */
	uint32_t flags; /* PS_SOURCE_F_* */
	/* sockets (URING, RECVMMSG) */
	const char *bind_ip; /* IPv4 to bind; NULL = 0.0.0.0 */
	uint16_t port;       /* UDP port (0 = ephemeral, see ps_source_port); PCAP/DPDK: filter */
	const char *mcast_group; /* join this IPv4 group (NULL = none) */
	const char *mcast_if;    /* local interface address for the join (NULL = any) */
	int rcvbuf_bytes;        /* SO_RCVBUF (0 = kernel default) */
	uint32_t batch;          /* most datagrams per poll (default 64) */
	uint32_t buf_count;      /* URING: provided buffers, power of two (default 1024) */
	uint32_t buf_len;        /* largest datagram kept (default 2048) */
	/* PCAP */
	const char *path;
	/* DPDK */
	const char *eal_args; /* space separated, e.g. "--no-huge -m 256 --no-pci --vdev=..." */
	uint16_t dpdk_port;   /* ethdev port id */
};

/* Zeroes cfg and sets the defaults above for kind. */
PS_API void ps_source_config_default(struct ps_source_config *cfg, uint32_t kind);

struct ps_source_stats {
	uint64_t polls;
	uint64_t packets; /* datagrams delivered */
	uint64_t bytes;
	uint64_t syscalls;  /* receive syscalls made (io_uring_enter, recvmmsg) */
	uint64_t truncated; /* datagrams longer than buf_len (dropped) */
	uint64_t filtered;  /* PCAP/DPDK frames that were not UDP to `port` */
	uint64_t rearms;    /* URING: multishot recv re-armed (F_MORE cleared) */
	uint64_t nobufs;    /* URING: buffer ring ran dry (-ENOBUFS) */
	uint64_t errors;
};

struct ps_source;

struct ps_source_ops {
	const char *name;
	int (*open)(struct ps_source *s, const struct ps_source_config *cfg);
	/* Delivers up to cfg.batch datagrams. Returns how many, or a negative errno. */
	int (*poll)(struct ps_source *s, ps_source_pkt_fn fn, void *ctx);
	void (*close)(struct ps_source *s);
};

/* Embedded by the caller; ps_source_open fills it. */
struct ps_source {
	const struct ps_source_ops *ops;
	void *impl;                  /* backend state, owned by the backend */
	struct ps_source_config cfg; /* copy (strings still point at the caller's) */
	int fd;                      /* socket backends: the socket; else -1 */
	bool eof;                    /* PCAP: the file is exhausted */
	struct ps_source_stats stats;
};

/*
 * Opens a source of cfg->kind.
 * @return 0; -EINVAL (bad config, unknown flag bits, buf_count not a power of
 *   two); -ENOTSUP (kind not built in, e.g. DPDK); -ENOSYS/-EPERM (io_uring
 *   unavailable); other -errno from socket, bind, setsockopt, mmap, EAL.
 */
PS_API int ps_source_open(struct ps_source *s, const struct ps_source_config *cfg);

/* Closes and frees the backend state; safe on a source that failed to open. */
PS_API void ps_source_close(struct ps_source *s);

/*
 * Reads what is waiting and calls fn once per datagram.
 * @return datagrams delivered (0: none waiting, or end of file for PCAP; see
 *   s->eof), or a negative errno.
 */
static inline int ps_source_poll(struct ps_source *s, ps_source_pkt_fn fn, void *ctx)
{
	return s->ops->poll(s, fn, ctx);
}

/* Local UDP port of a socket source (after binding port 0), else 0. */
PS_API uint16_t ps_source_port(const struct ps_source *s);

/* True when this build has the backend (DPDK is optional). */
PS_API bool ps_source_kind_available(uint32_t kind);

#endif /* PS_SOURCE_H */
