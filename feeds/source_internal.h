/*
 * Private to feeds/source_*.c: the backend tables and helpers they share.
 */
#ifndef PS_SOURCE_INTERNAL_H
#define PS_SOURCE_INTERNAL_H

#include <ps/clock.h>
#include <ps/source.h>

#include <sys/mman.h>

extern const struct ps_source_ops ps_source__uring_ops;
extern const struct ps_source_ops ps_source__recvmmsg_ops;
extern const struct ps_source_ops ps_source__pcap_ops;
#ifdef PS_HAVE_DPDK
extern const struct ps_source_ops ps_source__dpdk_ops;
#endif

/*
 * Backend state and buffers come from anonymous mappings: page aligned, zeroed,
 * and outside the allocator the hot path counts.
 */
void *ps_source__map(size_t len);
void ps_source__unmap(void *p, size_t len);

/*
 * Non-blocking UDP socket bound to cfg->bind_ip:cfg->port with SO_RCVBUF and
 * the multicast join applied. Returns the fd or a negative errno.
 */
int ps_source__udp_socket(const struct ps_source_config *cfg);

/* Link types (libpcap DLT_* values; raw IP has three numbers across platforms). */
#define PS_SOURCE_LINK_EN10MB    1
#define PS_SOURCE_LINK_RAW_A     12
#define PS_SOURCE_LINK_RAW_B     14
#define PS_SOURCE_LINK_RAW       101
#define PS_SOURCE_LINK_LINUX_SLL 113
#define PS_SOURCE_LINK_IPV4      228

/*
 * Finds the UDP payload of a frame. linktype: PS_SOURCE_LINK_*. Returns the payload length (>= 0) and sets *payload, or -1
 * when the frame is not an unfragmented IPv4/UDP datagram to port (0 = any).
 */
int ps_source__udp_payload(const uint8_t *frame, uint32_t len, int linktype, uint16_t port,
			   const uint8_t **payload);

#endif /* PS_SOURCE_INTERNAL_H */
