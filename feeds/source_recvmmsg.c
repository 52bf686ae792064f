/*
 * recvmmsg(2) source: one syscall per poll returns up to batch datagrams into
 * preallocated buffers. The baseline the io_uring source is measured against.
 */
#include "source_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct mmsg_state {
	size_t map_len;
	uint32_t batch;
	uint32_t buf_len;
	int flags; /* recvmmsg flags */
	struct mmsghdr *msgs;
	struct iovec *iov;
	uint8_t *bufs;
};

static void mmsg_close(struct ps_source *s)
{
	struct mmsg_state *st = s->impl;

	if (s->fd >= 0)
		close(s->fd);
	if (st)
		ps_source__unmap(st, st->map_len);
}

static int mmsg_open(struct ps_source *s, const struct ps_source_config *cfg)
{
	size_t hdr = sizeof(struct mmsg_state) +
		     (size_t)cfg->batch * (sizeof(struct mmsghdr) + sizeof(struct iovec));
	size_t len = ((hdr + 63) & ~(size_t)63) + (size_t)cfg->batch * cfg->buf_len;
	struct mmsg_state *st;
	int fd = ps_source__udp_socket(cfg);

	if (fd < 0)
		return fd;
	if (cfg->flags & PS_SOURCE_F_WAIT) {
		/* Blocking reads: MSG_WAITFORONE then waits for the first datagram only. */
		int fl = fcntl(fd, F_GETFL);
		if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
			int err = -errno;
			close(fd);
			return err;
		}
	}
	st = ps_source__map(len);
	if (!st) {
		close(fd);
		return -ENOMEM;
	}
	st->map_len = len;
	st->batch = cfg->batch;
	st->buf_len = cfg->buf_len;
	st->flags = (cfg->flags & PS_SOURCE_F_WAIT) ? MSG_WAITFORONE : MSG_DONTWAIT;
	st->msgs = (struct mmsghdr *)(st + 1);
	st->iov = (struct iovec *)(st->msgs + cfg->batch);
	st->bufs = (uint8_t *)st + ((hdr + 63) & ~(size_t)63);
	for (uint32_t i = 0; i < cfg->batch; i++) {
		st->iov[i].iov_base = st->bufs + (size_t)i * cfg->buf_len;
		st->iov[i].iov_len = cfg->buf_len;
		st->msgs[i].msg_hdr.msg_iov = &st->iov[i];
		st->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	s->fd = fd;
	s->impl = st;
	return 0;
}

static int mmsg_poll(struct ps_source *s, ps_source_pkt_fn fn, void *ctx)
{
	struct mmsg_state *st = s->impl;
	int n, delivered = 0;

	s->stats.polls++;
	s->stats.syscalls++;
	n = recvmmsg(s->fd, st->msgs, st->batch, st->flags, NULL);
	if (n <= 0) {
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			s->stats.errors++;
			return -errno;
		}
		return 0;
	}
	uint64_t tsc = ps_tsc();
	for (int i = 0; i < n; i++) {
		struct mmsghdr *m = &st->msgs[i];

		if (ps_unlikely(m->msg_hdr.msg_flags & MSG_TRUNC)) {
			s->stats.truncated++;
			continue;
		}
		fn(ctx, st->iov[i].iov_base, m->msg_len, tsc);
		s->stats.bytes += m->msg_len;
		delivered++;
	}
	s->stats.packets += (uint64_t)delivered;
	return delivered;
}

const struct ps_source_ops ps_source__recvmmsg_ops = {
	.name = "recvmmsg",
	.open = mmsg_open,
	.poll = mmsg_poll,
	.close = mmsg_close,
};
