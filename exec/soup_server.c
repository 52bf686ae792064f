/*
 * SoupBinTCP server connection. See <ps/soup_server.h>.
 */
#include <ps/soup_server.h>

#include <errno.h>
#include <string.h>

#define DEFAULT_HEARTBEAT_NS 1000000000ull
#define DEFAULT_TIMEOUT_NS   15000000000ull
#define DEFAULT_LOGIN_NS     5000000000ull
#define DEFAULT_RX_CAP       4096u
#define DEFAULT_TX_CAP       (1u << 20)

static uint32_t rx_cap_of(const struct ps_soup_server_config *cfg)
{
	return cfg->rx_cap ? cfg->rx_cap : DEFAULT_RX_CAP;
}

static uint32_t tx_cap_of(const struct ps_soup_server_config *cfg)
{
	return cfg->tx_cap ? cfg->tx_cap : DEFAULT_TX_CAP;
}

size_t ps_soup_server_conn_memsize(const struct ps_soup_server_config *cfg)
{
	if (!cfg)
		return 0;
	return (size_t)rx_cap_of(cfg) + tx_cap_of(cfg);
}

int ps_soup_server_conn_init(struct ps_soup_server_conn *c, void *mem,
			     const struct ps_soup_server_config *cfg)
{
	if (!c || !mem || !cfg || !cfg->on_login || !cfg->on_msg || rx_cap_of(cfg) < 64 ||
	    tx_cap_of(cfg) < 64)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	uint8_t *m = mem;
	int rc = ps_soup_stream_init(&c->rx, m, rx_cap_of(cfg), PS_SOUP_DIR_FROM_CLIENT);
	if (rc)
		return rc;
	struct ps_tcp_uring_config tc = { .sq_entries = 16, .send_cap = tx_cap_of(cfg) };
	rc = ps_tcp_uring_init(&c->tcp, m + rx_cap_of(cfg), &tc);
	if (rc)
		return rc;
	c->on_login = cfg->on_login;
	c->on_msg = cfg->on_msg;
	c->on_event = cfg->on_event;
	c->ctx = cfg->ctx;
	c->heartbeat_ns = cfg->heartbeat_ns ? cfg->heartbeat_ns : DEFAULT_HEARTBEAT_NS;
	c->timeout_ns = cfg->timeout_ns ? cfg->timeout_ns : DEFAULT_TIMEOUT_NS;
	c->login_timeout_ns = cfg->login_timeout_ns ? cfg->login_timeout_ns : DEFAULT_LOGIN_NS;
	c->state = PS_SOUP_SERVER_IDLE;
	return 0;
}

void ps_soup_server_conn_fini(struct ps_soup_server_conn *c)
{
	if (!c)
		return;
	ps_tcp_uring_fini(&c->tcp);
	ps_soup_stream_fini(&c->rx);
	memset(c, 0, sizeof(*c));
}

int ps_soup_server_conn_adopt(struct ps_soup_server_conn *c, int fd, uint64_t now_ns)
{
	if (c->state != PS_SOUP_SERVER_IDLE)
		return -EBUSY;
	int rc = ps_tcp_uring_adopt(&c->tcp, fd);
	if (rc)
		return rc;
	ps_soup_stream_reset(&c->rx);
	c->state = PS_SOUP_SERVER_AWAIT_LOGIN;
	c->deadline_ns = now_ns + c->login_timeout_ns;
	c->last_rx_ns = c->last_tx_ns = now_ns;
	c->next_seq = 0;
	return 0;
}

void ps_soup_server_conn_close(struct ps_soup_server_conn *c)
{
	ps_tcp_uring_close(&c->tcp);
	ps_soup_stream_reset(&c->rx);
	c->state = PS_SOUP_SERVER_IDLE;
}

static void drop(struct ps_soup_server_conn *c, int ev, int err)
{
	ps_soup_server_conn_close(c);
	if (ev && c->on_event)
		c->on_event(c->ctx, ev, err);
}

static bool send_packet(struct ps_soup_server_conn *c, const uint8_t *pkt, uint32_t len,
			uint64_t now_ns)
{
	uint8_t *p = ps_tcp_uring_send_claim(&c->tcp, len);
	if (!p)
		return false;
	memcpy(p, pkt, len);
	ps_tcp_uring_send_commit(&c->tcp, len);
	c->last_tx_ns = now_ns;
	return true;
}

/* Closes once everything queued is on the wire (see poll). */
static void close_after_flush(struct ps_soup_server_conn *c, uint64_t now_ns)
{
	c->state = PS_SOUP_SERVER_CLOSING;
	c->deadline_ns = now_ns + c->login_timeout_ns;
}

static void on_login(struct ps_soup_server_conn *c, const struct ps_soup_packet *pkt,
		     uint64_t now_ns)
{
	struct ps_soup_login_request req;
	int rc = ps_soup_decode_login_request(pkt->payload, pkt->payload_len, &req);
	if (rc) {
		drop(c, PS_SOUP_SERVER_EV_DISCONNECTED, rc);
		return;
	}
	char session[PS_SOUP_SESSION_LEN + 1] = { 0 };
	uint64_t next = 0;
	int verdict = c->on_login(c->ctx, &req, session, &next);
	uint8_t out[PS_SOUP_HDR_LEN + PS_SOUP_LOGIN_ACC_LEN];
	if (verdict != 0 || ps_soup_encode_login_accepted(out, session, next) < 0) {
		uint8_t rej[PS_SOUP_HDR_LEN + 1];
		ps_soup_encode_login_rejected(
		    rej, verdict ? (uint8_t)verdict : (uint8_t)PS_SOUP_REJECT_SESSION_UNAVAILABLE);
		send_packet(c, rej, sizeof(rej), now_ns);
		c->stats.rejects++;
		close_after_flush(c, now_ns);
		if (c->on_event)
			c->on_event(c->ctx, PS_SOUP_SERVER_EV_LOGIN_REJECTED, PS_ELOGIN);
		return;
	}
	send_packet(c, out, sizeof(out), now_ns);
	memcpy(c->session, session, sizeof(c->session));
	c->login = req;
	c->next_seq = next;
	c->state = PS_SOUP_SERVER_LOGGED_IN;
	c->stats.logins++;
	if (c->on_event)
		c->on_event(c->ctx, PS_SOUP_SERVER_EV_LOGGED_IN, 0);
}

/* @return false when the connection is gone or closing. */
static bool on_packet(struct ps_soup_server_conn *c, const struct ps_soup_packet *pkt,
		      uint64_t now_ns, uint32_t *delivered)
{
	if (c->state == PS_SOUP_SERVER_AWAIT_LOGIN) {
		if (pkt->type != PS_SOUP_LOGIN_REQUEST) {
			if (pkt->type == PS_SOUP_DEBUG)
				return true;
			drop(c, PS_SOUP_SERVER_EV_DISCONNECTED, PS_EPROTOCOL);
			return false;
		}
		on_login(c, pkt, now_ns);
		return c->state == PS_SOUP_SERVER_LOGGED_IN;
	}
	switch (pkt->type) {
	case PS_SOUP_UNSEQUENCED:
		c->stats.unsequenced_rx++;
		(*delivered)++;
		c->on_msg(c->ctx, pkt->payload, pkt->payload_len);
		return c->state == PS_SOUP_SERVER_LOGGED_IN;
	case PS_SOUP_CLIENT_HEARTBEAT:
		c->stats.heartbeats_rx++;
		return true;
	case PS_SOUP_LOGOUT_REQUEST:
		drop(c, PS_SOUP_SERVER_EV_LOGGED_OUT, 0);
		return false;
	case PS_SOUP_DEBUG:
		return true;
	default: /* a second Login Request */
		drop(c, PS_SOUP_SERVER_EV_DISCONNECTED, PS_EPROTOCOL);
		return false;
	}
}

static void arm_recv(struct ps_soup_server_conn *c)
{
	if (c->tcp.recv_armed || c->tcp.state != PS_TCP_CONNECTED)
		return;
	uint32_t room;
	uint8_t *p = ps_soup_stream_write_ptr(&c->rx, &room);
	if (room)
		ps_tcp_uring_recv(&c->tcp, p, room);
}

uint32_t ps_soup_server_conn_poll(struct ps_soup_server_conn *c, uint64_t now_ns)
{
	if (c->state == PS_SOUP_SERVER_IDLE)
		return 0;
	uint32_t delivered = 0;
	uint32_t n;
	unsigned ev = ps_tcp_uring_poll(&c->tcp, &n);
	if ((ev & PS_TCP_EV_RX) && c->state != PS_SOUP_SERVER_CLOSING) {
		ps_soup_stream_commit(&c->rx, n);
		c->last_rx_ns = now_ns;
		struct ps_soup_packet pkt = { 0 };
		int rc;
		while ((rc = ps_soup_stream_next(&c->rx, &pkt)) == 1)
			if (!on_packet(c, &pkt, now_ns, &delivered))
				break;
		if (rc < 0) {
			drop(c, PS_SOUP_SERVER_EV_DISCONNECTED, rc);
			return delivered;
		}
		if (c->state == PS_SOUP_SERVER_IDLE)
			return delivered;
	}
	if (ps_unlikely(ev & PS_TCP_EV_CLOSED)) {
		drop(c, PS_SOUP_SERVER_EV_DISCONNECTED,
		     c->state == PS_SOUP_SERVER_CLOSING ? 0 : c->tcp.err);
		return delivered;
	}
	switch (c->state) {
	case PS_SOUP_SERVER_AWAIT_LOGIN:
		if (now_ns >= c->deadline_ns) {
			drop(c, PS_SOUP_SERVER_EV_DISCONNECTED, PS_ETIMEOUT);
			return delivered;
		}
		break;
	case PS_SOUP_SERVER_LOGGED_IN:
		if (now_ns - c->last_rx_ns >= c->timeout_ns) {
			drop(c, PS_SOUP_SERVER_EV_DISCONNECTED, PS_ETIMEOUT);
			return delivered;
		}
		if (now_ns - c->last_tx_ns >= c->heartbeat_ns) {
			uint8_t hb[PS_SOUP_HDR_LEN];
			ps_soup_encode_empty(hb, PS_SOUP_SERVER_HEARTBEAT);
			if (send_packet(c, hb, sizeof(hb), now_ns))
				c->stats.heartbeats_tx++;
		}
		break;
	case PS_SOUP_SERVER_CLOSING:
		if (ps_tcp_uring_unsent(&c->tcp) == 0 || now_ns >= c->deadline_ns) {
			drop(c, PS_SOUP_SERVER_EV_DISCONNECTED, 0);
			return delivered;
		}
		break;
	default:
		break;
	}
	arm_recv(c);
	ps_tcp_uring_submit(&c->tcp);
	return delivered;
}

uint8_t *ps_soup_server_conn_claim(struct ps_soup_server_conn *c, uint16_t len)
{
	if (ps_unlikely(c->state != PS_SOUP_SERVER_LOGGED_IN || len > 65534))
		return NULL;
	uint8_t *p = ps_tcp_uring_send_claim(&c->tcp, PS_SOUP_HDR_LEN + (uint32_t)len);
	if (ps_unlikely(!p))
		return NULL;
	ps_soup_put_header(p, PS_SOUP_SEQUENCED, len);
	return p + PS_SOUP_HDR_LEN;
}

void ps_soup_server_conn_commit(struct ps_soup_server_conn *c, uint64_t now_ns)
{
	ps_tcp_uring_send_commit(&c->tcp, c->tcp.tx_claim);
	c->last_tx_ns = now_ns;
	c->next_seq++;
	c->stats.sequenced_tx++;
}

int ps_soup_server_conn_flush(struct ps_soup_server_conn *c)
{
	return ps_tcp_uring_submit(&c->tcp);
}

int ps_soup_server_conn_end_session(struct ps_soup_server_conn *c, uint64_t now_ns)
{
	if (c->state != PS_SOUP_SERVER_LOGGED_IN)
		return -ENOTCONN;
	uint8_t z[PS_SOUP_HDR_LEN];
	ps_soup_encode_empty(z, PS_SOUP_END_OF_SESSION);
	if (!send_packet(c, z, sizeof(z), now_ns))
		return PS_EFULL;
	close_after_flush(c, now_ns);
	return ps_tcp_uring_submit(&c->tcp);
}
