/*
 * Source dispatch and the helpers the backends share (cold path, except
 * ps_source__udp_payload which runs per frame for PCAP and DPDK).
 */
#include "source_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void ps_source_config_default(struct ps_source_config *cfg, uint32_t kind)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->kind = kind;
	cfg->batch = 64;
	cfg->buf_count = 1024;
	cfg->buf_len = 2048;
}

static const struct ps_source_ops *ops_for(uint32_t kind)
{
	switch (kind) {
	case PS_SOURCE_URING:
		return &ps_source__uring_ops;
	case PS_SOURCE_RECVMMSG:
		return &ps_source__recvmmsg_ops;
	case PS_SOURCE_PCAP:
		return &ps_source__pcap_ops;
#ifdef PS_HAVE_DPDK
	case PS_SOURCE_DPDK:
		return &ps_source__dpdk_ops;
#endif
	default:
		return NULL;
	}
}

bool ps_source_kind_available(uint32_t kind)
{
	return ops_for(kind) != NULL;
}

int ps_source_open(struct ps_source *s, const struct ps_source_config *cfg)
{
	const struct ps_source_ops *ops;
	int rc;

	if (!s || !cfg)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	if (cfg->kind < PS_SOURCE_URING || cfg->kind > PS_SOURCE_DPDK ||
	    (cfg->flags & ~PS_SOURCE_F_MASK) || cfg->batch == 0 || cfg->buf_len < 64)
		return -EINVAL;
	ops = ops_for(cfg->kind);
	if (!ops)
		return -ENOTSUP;
	s->cfg = *cfg;
	rc = ops->open(s, cfg);
	if (rc < 0) {
		s->ops = NULL;
		return rc;
	}
	s->ops = ops;
	return 0;
}

void ps_source_close(struct ps_source *s)
{
	if (!s || !s->ops)
		return;
	s->ops->close(s);
	s->ops = NULL;
	s->impl = NULL;
	s->fd = -1;
}

uint16_t ps_source_port(const struct ps_source *s)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);

	memset(&sa, 0, sizeof(sa));
	if (s->fd < 0 || getsockname(s->fd, (struct sockaddr *)&sa, &sl) < 0)
		return 0;
	return ntohs(sa.sin_port);
}

void *ps_source__map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	/* Huge pages where the kernel gives them (best effort), and every page
	 * faulted in now: the kernel writes each datagram into these buffers on
	 * the receive path, and a first touch there is a page fault per 4 KiB
	 * during the first pass through the ring. */
	(void)madvise(p, len, MADV_HUGEPAGE);
	memset(p, 0, len);
	return p;
}

void ps_source__unmap(void *p, size_t len)
{
	if (p)
		munmap(p, len);
}

int ps_source__udp_socket(const struct ps_source_config *cfg)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(cfg->port) };
	int one = 1;
	int fd, err;

	if (cfg->bind_ip && inet_pton(AF_INET, cfg->bind_ip, &sa.sin_addr) != 1)
		return -EINVAL;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* SO_RCVBUFFORCE passes net.core.rmem_max when privileged; otherwise the clamped one. */
	if (cfg->rcvbuf_bytes > 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &cfg->rcvbuf_bytes, sizeof(int)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &cfg->rcvbuf_bytes, sizeof(int)) < 0)
		goto err;
	if (cfg->mcast_group) {
		struct ip_mreq mr;

		memset(&mr, 0, sizeof(mr));
		if (inet_pton(AF_INET, cfg->mcast_group, &mr.imr_multiaddr) != 1 ||
		    (cfg->mcast_if && inet_pton(AF_INET, cfg->mcast_if, &mr.imr_interface) != 1)) {
			close(fd);
			return -EINVAL;
		}
		/* Several receivers of one group on a host each bind the group's port. */
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
			goto err;
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			goto err;
		if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
			goto err;
		return fd;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto err;
	return fd;
err:
	err = -errno;
	close(fd);
	return err;
}

int ps_source__udp_payload(const uint8_t *frame, uint32_t len, int linktype, uint16_t port,
			   const uint8_t **payload)
{
	uint32_t off;
	uint16_t ethertype;

	switch (linktype) {
	case PS_SOURCE_LINK_EN10MB:
		if (len < 14)
			return -1;
		ethertype = ps_load_be16(frame + 12);
		off = 14;
		/* 802.1Q / QinQ tags: skip up to two. */
		for (int tags = 0; tags < 2 && (ethertype == 0x8100 || ethertype == 0x88a8);
		     tags++) {
			if (len < off + 4)
				return -1;
			ethertype = ps_load_be16(frame + off + 2);
			off += 4;
		}
		if (ethertype != 0x0800)
			return -1;
		break;
	case PS_SOURCE_LINK_LINUX_SLL:
		if (len < 16 || ps_load_be16(frame + 14) != 0x0800)
			return -1;
		off = 16;
		break;
	case PS_SOURCE_LINK_RAW:
	case PS_SOURCE_LINK_RAW_A:
	case PS_SOURCE_LINK_RAW_B:
	case PS_SOURCE_LINK_IPV4:
		off = 0;
		break;
	default:
		return -1;
	}
	/* IPv4 header: version 4, IHL >= 5, protocol UDP, not a fragment. */
	if (len < off + 20)
		return -1;
	const uint8_t *ip = frame + off;
	uint32_t ihl = (uint32_t)(ip[0] & 0x0f) * 4;
	if ((ip[0] >> 4) != 4 || ihl < 20 || ip[9] != 17)
		return -1;
	if (ps_load_be16(ip + 6) & 0x3fff) /* MF flag or a fragment offset */
		return -1;
	uint32_t ip_len = ps_load_be16(ip + 2);
	if (ip_len < ihl + 8 || len < off + ip_len)
		return -1;
	const uint8_t *udp = ip + ihl;
	uint32_t udp_len = ps_load_be16(udp + 4);
	if (udp_len < 8 || udp_len > ip_len - ihl)
		return -1;
	if (port && ps_load_be16(udp + 2) != port)
		return -1;
	*payload = udp + 8;
	return (int)(udp_len - 8);
}
