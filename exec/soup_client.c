/*
 * SoupBinTCP client session. See <ps/soup_client.h>.
 */
#include <ps/soup_client.h>

#include <errno.h>
#include <string.h>

#define DEFAULT_HEARTBEAT_NS 1000000000ull
#define DEFAULT_TIMEOUT_NS   15000000000ull
#define DEFAULT_CONNECT_NS   2000000000ull
#define DEFAULT_BACKOFF_MIN  100000000ull
#define DEFAULT_BACKOFF_MAX  5000000000ull
#define DEFAULT_TX_CAP       65536u

static uint32_t rx_cap_of(const struct ps_soup_client_config *cfg)
{
	return cfg->rx_cap ? cfg->rx_cap : PS_SOUP_MAX_PACKET;
}

static uint32_t tx_cap_of(const struct ps_soup_client_config *cfg)
{
	return cfg->tx_cap ? cfg->tx_cap : DEFAULT_TX_CAP;
}

size_t ps_soup_client_memsize(const struct ps_soup_client_config *cfg)
{
	if (!cfg)
		return 0;
	return (size_t)rx_cap_of(cfg) + tx_cap_of(cfg);
}

static int copy_field(char *dst, size_t width, const char *src)
{
	if (!src)
		src = "";
	size_t n = strlen(src);
	if (n > width)
		return -EINVAL;
	memcpy(dst, src, n + 1);
	return 0;
}

int ps_soup_client_init(struct ps_soup_client *c, void *mem,
			const struct ps_soup_client_config *cfg)
{
	if (!c || !mem || !cfg || !cfg->on_msg || rx_cap_of(cfg) < 64 || tx_cap_of(cfg) < 64)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	if (copy_field(c->username, PS_SOUP_USERNAME_LEN, cfg->username) ||
	    copy_field(c->password, PS_SOUP_PASSWORD_LEN, cfg->password) ||
	    copy_field(c->session, PS_SOUP_SESSION_LEN, cfg->session))
		return -EINVAL;
	uint8_t *m = mem;
	int rc = ps_soup_stream_init(&c->rx, m, rx_cap_of(cfg), PS_SOUP_DIR_FROM_SERVER);
	if (rc)
		return rc;
	struct ps_tcp_uring_config tc = { .sq_entries = 16, .send_cap = tx_cap_of(cfg) };
	rc = ps_tcp_uring_init(&c->tcp, m + rx_cap_of(cfg), &tc);
	if (rc)
		return rc;
	c->addr = cfg->addr;
	c->on_msg = cfg->on_msg;
	c->on_event = cfg->on_event;
	c->ctx = cfg->ctx;
	c->next_seq = cfg->start_seq;
	c->heartbeat_ns = cfg->heartbeat_ns ? cfg->heartbeat_ns : DEFAULT_HEARTBEAT_NS;
	c->timeout_ns = cfg->timeout_ns ? cfg->timeout_ns : DEFAULT_TIMEOUT_NS;
	c->connect_timeout_ns =
	    cfg->connect_timeout_ns ? cfg->connect_timeout_ns : DEFAULT_CONNECT_NS;
	c->backoff_min_ns = cfg->backoff_min_ns ? cfg->backoff_min_ns : DEFAULT_BACKOFF_MIN;
	c->backoff_max_ns = cfg->backoff_max_ns ? cfg->backoff_max_ns : DEFAULT_BACKOFF_MAX;
	if (c->backoff_max_ns < c->backoff_min_ns)
		c->backoff_max_ns = c->backoff_min_ns;
	c->backoff_ns = c->backoff_min_ns;
	c->state = PS_SOUP_CLIENT_IDLE;
	return 0;
}

void ps_soup_client_fini(struct ps_soup_client *c)
{
	if (!c)
		return;
	ps_tcp_uring_fini(&c->tcp);
	ps_soup_stream_fini(&c->rx);
	memset(c, 0, sizeof(*c));
}

static void emit(struct ps_soup_client *c, int ev, int err)
{
	if (c->on_event)
		c->on_event(c->ctx, ev, err);
}

static void connect_now(struct ps_soup_client *c, uint64_t now_ns)
{
	ps_soup_stream_reset(&c->rx);
	c->caught_up = false;
	c->stats.connects++;
	int rc = ps_tcp_uring_connect(&c->tcp, &c->addr, c->connect_timeout_ns);
	if (rc < 0) {
		emit(c, PS_SOUP_CLIENT_EV_CONNECT_FAILED, rc);
		c->state = PS_SOUP_CLIENT_BACKOFF;
		c->retry_at_ns = now_ns + c->backoff_ns;
		c->backoff_ns = PS_MIN(c->backoff_ns * 2, c->backoff_max_ns);
		return;
	}
	c->state = PS_SOUP_CLIENT_CONNECTING;
	c->deadline_ns = now_ns + c->connect_timeout_ns;
}

int ps_soup_client_start(struct ps_soup_client *c, uint64_t now_ns)
{
	if (c->state != PS_SOUP_CLIENT_IDLE && c->state != PS_SOUP_CLIENT_STOPPED)
		return -EBUSY;
	c->backoff_ns = c->backoff_min_ns;
	connect_now(c, now_ns);
	return 0;
}

/* Closes the connection; retries after the backoff unless retry is false. */
static void drop(struct ps_soup_client *c, int ev, int err, bool retry, uint64_t now_ns)
{
	ps_tcp_uring_close(&c->tcp);
	ps_soup_stream_reset(&c->rx);
	c->stats.disconnects++;
	if (retry) {
		c->state = PS_SOUP_CLIENT_BACKOFF;
		c->retry_at_ns = now_ns + c->backoff_ns;
		c->backoff_ns = PS_MIN(c->backoff_ns * 2, c->backoff_max_ns);
	} else {
		c->state = PS_SOUP_CLIENT_STOPPED;
	}
	if (ev)
		emit(c, ev, err);
}

static void arm_recv(struct ps_soup_client *c)
{
	if (c->tcp.recv_armed || c->tcp.state != PS_TCP_CONNECTED)
		return;
	uint32_t room;
	uint8_t *p = ps_soup_stream_write_ptr(&c->rx, &room);
	if (room)
		ps_tcp_uring_recv(&c->tcp, p, room);
}

static bool send_packet(struct ps_soup_client *c, const uint8_t *pkt, uint32_t len, uint64_t now)
{
	uint8_t *p = ps_tcp_uring_send_claim(&c->tcp, len);
	if (!p)
		return false;
	memcpy(p, pkt, len);
	ps_tcp_uring_send_commit(&c->tcp, len);
	c->last_tx_ns = now;
	return true;
}

static void on_connected(struct ps_soup_client *c, uint64_t now_ns)
{
	uint8_t pkt[PS_SOUP_HDR_LEN + PS_SOUP_LOGIN_REQ_LEN];
	/* Fields were length-checked at init, so encoding cannot fail. */
	ps_soup_encode_login_request(pkt, c->username, c->password, c->session, c->next_seq);
	send_packet(c, pkt, sizeof(pkt), now_ns);
	c->state = PS_SOUP_CLIENT_LOGIN_SENT;
	c->deadline_ns = now_ns + c->connect_timeout_ns;
	c->last_rx_ns = now_ns;
	arm_recv(c);
}

/* Handles one packet. @return false when the connection was dropped. */
static bool on_packet(struct ps_soup_client *c, const struct ps_soup_packet *pkt, uint64_t now_ns,
		      uint32_t *delivered)
{
	switch (pkt->type) {
	case PS_SOUP_SEQUENCED:
		if (ps_unlikely(c->state != PS_SOUP_CLIENT_LOGGED_IN &&
				c->state != PS_SOUP_CLIENT_LOGGING_OUT)) {
			drop(c, PS_SOUP_CLIENT_EV_DISCONNECTED, PS_EPROTOCOL, true, now_ns);
			return false;
		}
		c->stats.messages++;
		(*delivered)++;
		c->on_msg(c->ctx, c->next_seq++, pkt->payload, pkt->payload_len);
		return true;
	case PS_SOUP_SERVER_HEARTBEAT:
		c->stats.heartbeats_rx++;
		if (c->state == PS_SOUP_CLIENT_LOGGED_IN && !c->caught_up) {
			c->caught_up = true;
			emit(c, PS_SOUP_CLIENT_EV_CAUGHT_UP, 0);
		}
		return true;
	case PS_SOUP_LOGIN_ACCEPTED: {
		struct ps_soup_login_accepted acc;
		int rc = ps_soup_decode_login_accepted(pkt->payload, pkt->payload_len, &acc);
		if (rc || c->state != PS_SOUP_CLIENT_LOGIN_SENT) {
			drop(c, PS_SOUP_CLIENT_EV_DISCONNECTED, rc ? rc : PS_EPROTOCOL, true,
			     now_ns);
			return false;
		}
		c->asked_seq = c->next_seq;
		if (c->next_seq != 0 && acc.seq != c->next_seq)
			c->stats.seq_jumps++;
		c->next_seq = acc.seq;
		memcpy(c->session, acc.session, sizeof(c->session));
		c->state = PS_SOUP_CLIENT_LOGGED_IN;
		c->backoff_ns = c->backoff_min_ns;
		c->stats.logins++;
		emit(c, PS_SOUP_CLIENT_EV_LOGGED_IN, 0);
		return true;
	}
	case PS_SOUP_LOGIN_REJECTED:
		c->last_reject = pkt->payload[0];
		drop(c, PS_SOUP_CLIENT_EV_LOGIN_REJECTED, PS_ELOGIN,
		     pkt->payload[0] != PS_SOUP_REJECT_NOT_AUTHORIZED, now_ns);
		return false;
	case PS_SOUP_END_OF_SESSION:
		drop(c, PS_SOUP_CLIENT_EV_END_OF_SESSION, 0, false, now_ns);
		return false;
	default: /* debug */
		c->stats.debug_rx++;
		return true;
	}
}

static uint32_t on_rx(struct ps_soup_client *c, uint32_t n, uint64_t now_ns)
{
	uint32_t delivered = 0;
	struct ps_soup_packet pkt = { 0 };
	int rc;
	ps_soup_stream_commit(&c->rx, n);
	c->last_rx_ns = now_ns;
	while ((rc = ps_soup_stream_next(&c->rx, &pkt)) == 1)
		if (!on_packet(c, &pkt, now_ns, &delivered))
			return delivered;
	if (rc < 0) {
		drop(c, PS_SOUP_CLIENT_EV_DISCONNECTED, rc, true, now_ns);
		return delivered;
	}
	return delivered;
}

uint32_t ps_soup_client_poll(struct ps_soup_client *c, uint64_t now_ns)
{
	uint32_t delivered = 0;
	switch (c->state) {
	case PS_SOUP_CLIENT_IDLE:
	case PS_SOUP_CLIENT_STOPPED:
		return 0;
	case PS_SOUP_CLIENT_BACKOFF:
		if (now_ns >= c->retry_at_ns)
			connect_now(c, now_ns);
		return 0;
	default:
		break;
	}

	uint32_t n;
	unsigned ev = ps_tcp_uring_poll(&c->tcp, &n);
	if (ev & PS_TCP_EV_CONNECTED)
		on_connected(c, now_ns);
	if (ev & PS_TCP_EV_RX) {
		delivered = on_rx(c, n, now_ns);
		if (c->tcp.state != PS_TCP_CONNECTED)
			return delivered;
	}
	if (ps_unlikely(ev & PS_TCP_EV_CONNECT_FAILED)) {
		drop(c, PS_SOUP_CLIENT_EV_CONNECT_FAILED, c->tcp.err, true, now_ns);
		return delivered;
	}
	if (ps_unlikely(ev & PS_TCP_EV_CLOSED)) {
		bool out = c->state == PS_SOUP_CLIENT_LOGGING_OUT;
		drop(c, out ? PS_SOUP_CLIENT_EV_LOGGED_OUT : PS_SOUP_CLIENT_EV_DISCONNECTED,
		     out ? 0 : c->tcp.err, !out, now_ns);
		return delivered;
	}

	switch (c->state) {
	case PS_SOUP_CLIENT_CONNECTING:
	case PS_SOUP_CLIENT_LOGIN_SENT:
		if (now_ns >= c->deadline_ns) {
			bool connecting = c->state == PS_SOUP_CLIENT_CONNECTING;
			drop(c,
			     connecting ? PS_SOUP_CLIENT_EV_CONNECT_FAILED
					: PS_SOUP_CLIENT_EV_DISCONNECTED,
			     connecting ? -ETIMEDOUT : PS_ETIMEOUT, true, now_ns);
			return delivered;
		}
		break;
	case PS_SOUP_CLIENT_LOGGED_IN:
		if (now_ns - c->last_rx_ns >= c->timeout_ns) {
			drop(c, PS_SOUP_CLIENT_EV_DISCONNECTED, PS_ETIMEOUT, true, now_ns);
			return delivered;
		}
		if (now_ns - c->last_tx_ns >= c->heartbeat_ns) {
			uint8_t hb[PS_SOUP_HDR_LEN];
			ps_soup_encode_empty(hb, PS_SOUP_CLIENT_HEARTBEAT);
			if (send_packet(c, hb, sizeof(hb), now_ns))
				c->stats.heartbeats_tx++;
		}
		break;
	case PS_SOUP_CLIENT_LOGGING_OUT:
		/* Close once the logout is on the wire (or the peer is silent). */
		if (ps_tcp_uring_unsent(&c->tcp) == 0 || now_ns >= c->deadline_ns) {
			drop(c, PS_SOUP_CLIENT_EV_LOGGED_OUT, 0, false, now_ns);
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

int ps_soup_client_logout(struct ps_soup_client *c, uint64_t now_ns)
{
	if (c->state != PS_SOUP_CLIENT_LOGGED_IN && c->state != PS_SOUP_CLIENT_LOGIN_SENT) {
		ps_soup_client_stop(c);
		return 0;
	}
	uint8_t pkt[PS_SOUP_HDR_LEN];
	ps_soup_encode_empty(pkt, PS_SOUP_LOGOUT_REQUEST);
	if (!send_packet(c, pkt, sizeof(pkt), now_ns))
		return PS_EFULL;
	c->state = PS_SOUP_CLIENT_LOGGING_OUT;
	c->deadline_ns = now_ns + c->connect_timeout_ns;
	return ps_tcp_uring_submit(&c->tcp);
}

void ps_soup_client_stop(struct ps_soup_client *c)
{
	ps_tcp_uring_close(&c->tcp);
	ps_soup_stream_reset(&c->rx);
	c->state = PS_SOUP_CLIENT_STOPPED;
}

uint8_t *ps_soup_client_claim(struct ps_soup_client *c, uint16_t len)
{
	if (ps_unlikely(c->state != PS_SOUP_CLIENT_LOGGED_IN || len > 65534))
		return NULL;
	uint8_t *p = ps_tcp_uring_send_claim(&c->tcp, PS_SOUP_HDR_LEN + (uint32_t)len);
	if (ps_unlikely(!p))
		return NULL;
	ps_soup_put_header(p, PS_SOUP_UNSEQUENCED, len);
	return p + PS_SOUP_HDR_LEN;
}

uint8_t *ps_soup_client_claim_packet(struct ps_soup_client *c, uint32_t len)
{
	if (ps_unlikely(c->state != PS_SOUP_CLIENT_LOGGED_IN))
		return NULL;
	return ps_tcp_uring_send_claim(&c->tcp, len);
}

void ps_soup_client_commit(struct ps_soup_client *c, uint64_t now_ns)
{
	ps_tcp_uring_send_commit(&c->tcp, c->tcp.tx_claim);
	c->last_tx_ns = now_ns;
}

int ps_soup_client_flush(struct ps_soup_client *c)
{
	return ps_tcp_uring_submit(&c->tcp);
}
