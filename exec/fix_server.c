/*
 * FIX 4.4 acceptor over non-blocking sockets. See <ps/fix_server.h>.
 */
#include <ps/fix_server.h>

#include <errno.h>
#include <poll.h>
#include <ps/alloc.h>
#include <ps/tcp_uring.h>
#include <sys/socket.h>
#include <unistd.h>

#define PRE_CAP 8192u
#define TX_CAP  (1u << 20)

int ps_fix_server_init(struct ps_fix_server *srv, const struct sockaddr_in *addr)
{
	if (!srv || !addr)
		return -EINVAL;
	memset(srv, 0, sizeof(*srv));
	for (uint32_t i = 0; i < PS_FIX_SERVER_MAX_CONNS; i++)
		srv->conns[i].fd = -1;
	int fd = ps_tcp_listen(addr, 16);
	if (fd < 0)
		return fd;
	int port = ps_tcp_local_port(fd);
	if (port < 0) {
		close(fd);
		return port;
	}
	srv->listen_fd = fd;
	srv->port = (uint16_t)port;
	return 0;
}

static void conn_close(struct ps_fix_server_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	if (c->session) {
		struct ps_fix_server_slot *slot = (struct ps_fix_server_slot *)c->session;
		slot->conn = NULL;
		ps_fix_session_disconnected(c->session);
	}
	c->session = NULL;
	c->pre_len = 0;
	c->tx_len = 0;
}

uint32_t ps_fix_server_disconnect_all(struct ps_fix_server *srv)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < PS_FIX_SERVER_MAX_CONNS; i++) {
		if (srv->conns[i].fd >= 0) {
			conn_close(&srv->conns[i]);
			n++;
		}
	}
	return n;
}

void ps_fix_server_fini(struct ps_fix_server *srv)
{
	if (!srv)
		return;
	for (uint32_t i = 0; i < PS_FIX_SERVER_MAX_CONNS; i++) {
		struct ps_fix_server_conn *c = &srv->conns[i];
		if (c->fd >= 0)
			conn_close(c);
		ps_free(c->pre);
		ps_free(c->tx);
	}
	for (uint32_t i = 0; i < srv->slot_count; i++) {
		ps_fix_session_fini(&srv->slots[i]->session);
		ps_free(srv->slots[i]->mem);
		ps_free(srv->slots[i]);
	}
	if (srv->listen_fd > 0)
		close(srv->listen_fd);
	memset(srv, 0, sizeof(*srv));
}

/* Sends what the kernel takes now. @return false on a socket error. */
static bool conn_flush(struct ps_fix_server_conn *c)
{
	uint32_t off = 0;
	while (off < c->tx_len) {
		ssize_t w = send(c->fd, c->tx + off, c->tx_len - off, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return false;
		}
		off += (uint32_t)w;
	}
	memmove(c->tx, c->tx + off, c->tx_len - off);
	c->tx_len -= off;
	return true;
}

static bool slot_send(void *ctx, const uint8_t *msg, uint32_t len)
{
	struct ps_fix_server_slot *slot = ctx;
	struct ps_fix_server_conn *c = slot->conn;
	if (!c || c->fd < 0)
		return false;
	if (c->tx_len == 0) {
		ssize_t w = send(c->fd, msg, len, MSG_NOSIGNAL);
		if (w == (ssize_t)len)
			return true;
		if (w < 0) {
			if (errno != EAGAIN && errno != EINTR)
				return false;
			w = 0;
		}
		msg += w;
		len -= (uint32_t)w;
	}
	if (c->tx_len + len > TX_CAP)
		return false;
	memcpy(c->tx + c->tx_len, msg, len);
	c->tx_len += len;
	return true;
}

static void slot_app(void *ctx, struct ps_fix_session *s, const struct ps_fix_msg *m,
		     uint64_t now_ns)
{
	struct ps_fix_server_slot *slot = ctx;
	if (slot->on_app)
		slot->on_app(slot->ctx, s, m, now_ns);
}

static void slot_event(void *ctx, struct ps_fix_session *s, int ev, int err)
{
	struct ps_fix_server_slot *slot = ctx;
	if (slot->on_event)
		slot->on_event(slot->ctx, s, ev, err);
}

static int slot_logon(void *ctx, struct ps_fix_session *s, const struct ps_fix_msg *m)
{
	struct ps_fix_server_slot *slot = ctx;
	return slot->on_logon ? slot->on_logon(slot->ctx, s, m) : 0;
}

struct ps_fix_session *ps_fix_server_add_session(struct ps_fix_server *srv,
						 const struct ps_fix_session_config *cfg, int *err)
{
	int e = -EINVAL;
	if (!srv || !cfg || srv->slot_count == PS_FIX_SERVER_MAX_SESSIONS)
		goto out;
	struct ps_fix_server_slot *slot = ps_calloc(1, sizeof(*slot));
	if (!slot) {
		e = -ENOMEM;
		goto out;
	}
	struct ps_fix_session_config c = *cfg;
	c.initiator = false;
	c.send = slot_send;
	c.on_app = slot_app;
	c.on_event = slot_event;
	c.on_logon = slot_logon;
	c.ctx = slot;
	slot->mem = ps_alloc(ps_fix_session_memsize(&c));
	if (!slot->mem) {
		ps_free(slot);
		e = -ENOMEM;
		goto out;
	}
	e = ps_fix_session_init(&slot->session, slot->mem, &c);
	if (e) {
		ps_free(slot->mem);
		ps_free(slot);
		goto out;
	}
	/* the session is the first member: a session pointer is its slot */
	slot->srv = srv;
	slot->on_app = cfg->on_app;
	slot->on_event = cfg->on_event;
	slot->on_logon = cfg->on_logon;
	slot->ctx = cfg->ctx;
	srv->slots[srv->slot_count++] = slot;
	if (err)
		*err = 0;
	return &slot->session;
out:
	if (err)
		*err = e;
	return NULL;
}

static void accept_all(struct ps_fix_server *srv)
{
	for (;;) {
		int fd = ps_tcp_accept(srv->listen_fd);
		if (fd < 0)
			return;
		struct ps_fix_server_conn *c = NULL;
		for (uint32_t i = 0; i < PS_FIX_SERVER_MAX_CONNS && !c; i++)
			if (srv->conns[i].fd < 0)
				c = &srv->conns[i];
		if (!c) {
			close(fd);
			srv->refused++;
			continue;
		}
		if (!c->pre)
			c->pre = ps_alloc(PRE_CAP);
		if (!c->tx)
			c->tx = ps_alloc(TX_CAP);
		if (!c->pre || !c->tx) {
			close(fd);
			srv->refused++;
			continue;
		}
		c->fd = fd;
		c->session = NULL;
		c->pre_len = 0;
		c->tx_len = 0;
		srv->accepted++;
	}
}

static bool view_eq(const struct ps_fix_msg *m, int32_t tag, const uint8_t *s, uint32_t n)
{
	int32_t i = ps_fix_msg_find(m, tag);
	return i >= 0 && m->fields[i].len == n && memcmp(m->buf + m->fields[i].off, s, n) == 0;
}

/* First bytes of an unbound connection: find its session from the Logon. */
static void bind_conn(struct ps_fix_server *srv, struct ps_fix_server_conn *c, uint64_t now_ns)
{
	int32_t f = ps_fix_frame(c->pre, c->pre_len);
	if (f == 0) {
		if (c->pre_len == PRE_CAP)
			conn_close(c);
		return;
	}
	struct ps_fix_msg m;
	if (f < 0 || ps_fix_parse(c->pre, (uint32_t)f, &m) != 0 || !ps_fix_msg_is(&m, "A")) {
		conn_close(c);
		return;
	}
	struct ps_fix_server_slot *slot = NULL;
	for (uint32_t i = 0; i < srv->slot_count && !slot; i++) {
		struct ps_fix_session *s = &srv->slots[i]->session;
		if (view_eq(&m, 49, s->enc.target + 3, s->enc.target_len - 4) &&
		    view_eq(&m, 56, s->enc.sender + 3, s->enc.sender_len - 4))
			slot = srv->slots[i];
	}
	if (!slot || slot->conn) {
		srv->refused++;
		conn_close(c);
		return;
	}
	slot->conn = c;
	c->session = &slot->session;
	ps_fix_session_connected(&slot->session, now_ns);
	uint32_t room;
	uint8_t *p = ps_fix_session_rx_buf(&slot->session, &room);
	uint32_t n = c->pre_len < room ? c->pre_len : room;
	memcpy(p, c->pre, n);
	c->pre_len = 0;
	ps_fix_session_rx_commit(&slot->session, n, now_ns);
}

static void conn_read(struct ps_fix_server *srv, struct ps_fix_server_conn *c, uint64_t now_ns)
{
	for (;;) {
		uint8_t *p;
		uint32_t room;
		if (c->session) {
			p = ps_fix_session_rx_buf(c->session, &room);
		} else {
			p = c->pre + c->pre_len;
			room = PRE_CAP - c->pre_len;
		}
		if (room == 0)
			return;
		ssize_t r = recv(c->fd, p, room, 0);
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
			conn_close(c);
			return;
		}
		if (r < 0)
			return;
		if (c->session) {
			ps_fix_session_rx_commit(c->session, (uint32_t)r, now_ns);
		} else {
			c->pre_len += (uint32_t)r;
			bind_conn(srv, c, now_ns);
		}
		if (c->fd < 0 || (c->session && ps_fix_session_want_close(c->session)))
			return;
	}
}

uint32_t ps_fix_server_fds(const struct ps_fix_server *srv, int *fds, uint32_t cap)
{
	uint32_t n = 0;
	if (n < cap)
		fds[n++] = srv->listen_fd;
	for (uint32_t i = 0; i < PS_FIX_SERVER_MAX_CONNS && n < cap; i++)
		if (srv->conns[i].fd >= 0)
			fds[n++] = srv->conns[i].fd;
	return n;
}

int ps_fix_server_poll(struct ps_fix_server *srv, int timeout_ms)
{
	struct pollfd pfd[PS_FIX_SERVER_MAX_CONNS + 1];
	struct ps_fix_server_conn *who[PS_FIX_SERVER_MAX_CONNS + 1];
	uint32_t n = 0;
	pfd[n].fd = srv->listen_fd;
	pfd[n].events = POLLIN;
	who[n++] = NULL;
	for (uint32_t i = 0; i < PS_FIX_SERVER_MAX_CONNS; i++) {
		struct ps_fix_server_conn *c = &srv->conns[i];
		if (c->fd < 0)
			continue;
		pfd[n].fd = c->fd;
		pfd[n].events = (short)(POLLIN | (c->tx_len ? POLLOUT : 0));
		who[n++] = c;
	}
	int rc = poll(pfd, n, timeout_ms);
	if (rc < 0 && errno != EINTR)
		return -errno;
	uint64_t now = ps_fix_realtime_ns();
	for (uint32_t i = 1; i < n && rc > 0; i++) {
		struct ps_fix_server_conn *c = who[i];
		if (c->fd < 0)
			continue;
		if ((pfd[i].revents & POLLOUT) && !conn_flush(c)) {
			conn_close(c);
			continue;
		}
		if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
			conn_read(srv, c, now);
	}
	if (rc > 0 && (pfd[0].revents & POLLIN))
		accept_all(srv);
	for (uint32_t i = 0; i < PS_FIX_SERVER_MAX_CONNS; i++) {
		struct ps_fix_server_conn *c = &srv->conns[i];
		if (c->fd < 0 || !c->session)
			continue;
		ps_fix_session_poll(c->session, now);
		if (ps_fix_session_want_close(c->session)) {
			conn_flush(c);
			conn_close(c);
		} else if (c->tx_len && !conn_flush(c)) {
			conn_close(c);
		}
	}
	return 0;
}

/* Header fields first, then the body, each in tag order. */
static int64_t sort_key(int32_t tag)
{
	return (ps_fix_is_header_tag(tag) ? 0 : (1ll << 32)) + tag;
}

void ps_fix_server_echo_app(void *ctx, struct ps_fix_session *s, const struct ps_fix_msg *m,
			    uint64_t now_ns)
{
	(void)ctx;
	if (ps_fix_msg_is(m, "8")) {
		ps_fix_session_business_reject(s, m, 3, "Unsupported Message Type", now_ns);
		return;
	}
	/* fields in tag order, as an engine without a message layout writes
	 * them (a test application: repeating groups would be reordered too) */
	uint32_t order[PS_FIX_MAX_FIELDS];
	uint32_t k = 0;
	for (uint32_t i = 3; i < m->field_count; i++) {
		switch (m->fields[i].tag) {
		case 34:
		case 49:
		case 52:
		case 56:
		case 43:
		case 122:
		case 115:
		case 116:
		case 128:
		case 129:
		case 144:
		case 145:
		case 10:
			continue;
		default:
			break;
		}
		uint32_t j = k++;
		while (j > 0 &&
		       sort_key(m->fields[order[j - 1]].tag) > sort_key(m->fields[i].tag)) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = i;
	}
	uint8_t body[PS_FIX_MAX_MSG];
	uint32_t n = 0;
	for (uint32_t x = 0; x < k; x++) {
		const struct ps_fix_field *f = &m->fields[order[x]];
		if (n + f->len + 16 > sizeof(body))
			return;
		if (f->tag < 0)
			body[n++] = '-';
		n += ps_fix_put_u64(body + n, (uint64_t)(f->tag < 0 ? -(int64_t)f->tag : f->tag));
		body[n++] = '=';
		memcpy(body + n, m->buf + f->off, f->len);
		n += f->len;
		body[n++] = PS_FIX_SOH;
	}
	char type[3] = { (char)m->buf[m->type_off],
			 m->type_len > 1 ? (char)m->buf[m->type_off + 1] : 0, 0 };
	ps_fix_session_send(s, type, body, n, now_ns);
}
