/*
 * MoldUDP64 retransmission store and re-request server (venue side).
 */
#include <ps/moldudp.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

/* Requests answered per ps_moldudp_server_poll call, so one flood cannot starve the caller. */
#define SERVER_POLL_BATCH 64

size_t ps_moldudp_store_memsize(uint32_t count, uint16_t max_len)
{
	if (count == 0 || (count & (count - 1)) != 0 || max_len == 0)
		return 0;
	return (size_t)count * sizeof(uint16_t) + (size_t)count * max_len;
}

int ps_moldudp_store_init(struct ps_moldudp_store *st, void *mem, uint32_t count, uint16_t max_len,
			  uint64_t first_seq)
{
	if (!st || !mem || ps_moldudp_store_memsize(count, max_len) == 0)
		return -EINVAL;
	st->mask = count - 1;
	st->max_len = max_len;
	st->first_seq = first_seq;
	st->next_seq = first_seq;
	st->lens = mem;
	st->data = (uint8_t *)mem + (size_t)count * sizeof(uint16_t);
	return 0;
}

void ps_moldudp_store_fini(struct ps_moldudp_store *st)
{
	if (st)
		memset(st, 0, sizeof(*st));
}

int ps_moldudp_store_put(struct ps_moldudp_store *st, uint64_t seq, const void *msg, uint16_t len)
{
	if (ps_unlikely(seq != st->next_seq))
		return -EINVAL;
	if (ps_unlikely(len > st->max_len))
		return PS_EBADLEN;
	uint32_t i = (uint32_t)(seq & st->mask);
	memcpy(st->data + (size_t)i * st->max_len, msg, len);
	st->lens[i] = len;
	st->next_seq = seq + 1;
	/* Once the ring is full each put overwrites the oldest message. */
	if (st->next_seq - st->first_seq > (uint64_t)st->mask + 1)
		st->first_seq = st->next_seq - ((uint64_t)st->mask + 1);
	return 0;
}

const uint8_t *ps_moldudp_store_get(const struct ps_moldudp_store *st, uint64_t seq, uint16_t *len)
{
	if (seq < st->first_seq || seq >= st->next_seq)
		return NULL;
	uint32_t i = (uint32_t)(seq & st->mask);
	*len = st->lens[i];
	return st->data + (size_t)i * st->max_len;
}

int ps_moldudp_server_open(struct ps_moldudp_server *srv,
			   const struct ps_moldudp_server_config *cfg, const char *bind_ip,
			   uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd;

	if (srv)
		srv->fd = -1;
	if (!srv || !cfg || !cfg->store || cfg->mtu_payload < PS_MOLDUDP_HDR_LEN + 2 ||
	    cfg->max_answer_count == 0 || !bind_ip ||
	    inet_pton(AF_INET, bind_ip, &sa.sin_addr) != 1)
		return -EINVAL;
	memset(&srv->stats, 0, sizeof(srv->stats));
	srv->cfg = *cfg;
	if (srv->cfg.mtu_payload > PS_MOLDUDP_MAX_PACKET_LEN)
		srv->cfg.mtu_payload = PS_MOLDUDP_MAX_PACKET_LEN;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	srv->fd = fd;
	return 0;
}

void ps_moldudp_server_close(struct ps_moldudp_server *srv)
{
	if (!srv || srv->fd < 0)
		return;
	close(srv->fd);
	srv->fd = -1;
}

uint16_t ps_moldudp_server_port(const struct ps_moldudp_server *srv)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);

	memset(&sa, 0, sizeof(sa));
	if (getsockname(srv->fd, (struct sockaddr *)&sa, &sl) < 0)
		return 0;
	return ntohs(sa.sin_port);
}

int ps_moldudp_server_answer(struct ps_moldudp_server *srv, const uint8_t *req, size_t len,
			     ps_moldudp_answer_fn fn, void *ctx)
{
	const struct ps_moldudp_store *st = srv->cfg.store;
	struct ps_moldudp_builder b;
	struct ps_moldudp_request r;
	int rc = ps_moldudp_request_decode(req, len, &r);

	srv->stats.requests++;
	if (rc == 0 && memcmp(r.session, srv->cfg.session, PS_MOLDUDP_SESSION_LEN) != 0)
		rc = PS_EPROTOCOL;
	if (rc < 0) {
		srv->stats.bad_requests++;
		return rc;
	}
	if (srv->cfg.filter && !srv->cfg.filter(srv->cfg.filter_ctx, r.seq, r.count)) {
		srv->stats.filtered++;
		return 0;
	}
	if (r.seq < st->first_seq || r.seq >= st->next_seq) {
		srv->stats.unavailable++;
		return PS_ENOTFOUND;
	}

	uint64_t last = PS_MIN(r.seq + PS_MIN(r.count, srv->cfg.max_answer_count), st->next_seq);
	int sent = 0;
	uint64_t seq = r.seq;
	while (seq < last) {
		(void)ps_moldudp_builder_begin(&b, srv->buf, srv->cfg.mtu_payload, srv->cfg.session,
					       seq);
		for (; seq < last; seq++) {
			uint16_t mlen = 0;
			const uint8_t *m = ps_moldudp_store_get(st, seq, &mlen);

			/* m is never NULL here: [r.seq, last) lies inside the store. */
			if (!m || ps_moldudp_builder_append(&b, m, mlen) < 0)
				break;
		}
		if (b.count == 0) {
			/* One message larger than mtu_payload: it can never be answered. */
			srv->stats.unavailable++;
			break;
		}
		size_t n = ps_moldudp_builder_finish(&b);
		if (fn(ctx, srv->buf, n) < 0)
			srv->stats.send_errors++;
		srv->stats.answer_packets++;
		srv->stats.answered_msgs += b.count;
		sent += b.count;
	}
	return sent;
}

struct answer_to {
	int fd;
	const struct sockaddr_in *to;
};

static int answer_sendto(void *ctx, const uint8_t *pkt, size_t len)
{
	const struct answer_to *a = ctx;

	if (sendto(a->fd, pkt, len, 0, (const struct sockaddr *)a->to, sizeof(*a->to)) < 0)
		return -errno;
	return 0;
}

int ps_moldudp_server_poll(struct ps_moldudp_server *srv)
{
	uint8_t req[64];
	int handled = 0;

	while (handled < SERVER_POLL_BATCH) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(srv->fd, req, sizeof(req), MSG_DONTWAIT,
				     (struct sockaddr *)&from, &fl);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -errno;
		}
		struct answer_to a = { .fd = srv->fd, .to = &from };
		(void)ps_moldudp_server_answer(srv, req, (size_t)n, answer_sendto, &a);
		handled++;
	}
	return handled;
}
