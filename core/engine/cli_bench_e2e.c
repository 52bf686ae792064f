/*
 * perseus bench-e2e: the venue side of the wire-to-wire latency benchmark.
 *
 * It publishes ITCH 5.0 over MoldUDP64 to a running engine at a fixed
 * offered rate and accepts the engine's OUCH 4.2 / SoupBinTCP session; the
 * engine trades the probe strategy, which answers every Add Order with one
 * IOC order at the add's price and size (and is answered Accepted, then
 * Canceled, so nothing piles up in its OMS). Latency is the time from the
 * send of the market data packet to the receipt of the order the engine sent
 * because of it: one UDP hop in, the engine's whole path (md, book,
 * strategy, risk, OMS, encode), one TCP hop out.
 *
 * Open loop: send times come from the clock (t0 + k / rate), never from
 * answers. Two histograms: from the scheduled send time, so a stall that
 * delays later sends is charged to them (no coordinated omission), and from
 * the actual send (wire to wire proper). Both ends are in this process and
 * read the same TSC, so no clock synchronisation is involved.
 *
 * Packet k (sequence numbers from 2; 1 is the Stock Directory that maps the
 * locate) carries Delete Order of add k-1 (so the book stays one order deep)
 * and Add Order k: order reference k, price BASE + (k mod 4096) ten-thousandths
 * and 1 + (k / 4096 mod 256) shares. The (price, shares) of the Enter Order
 * names k mod 2^20, whose scheduled send time the publisher keeps, so an
 * order can be matched for 2^20 packets (seconds at any rate here).
 *
 * Each rate runs for --step-s seconds after --warmup-s of warm-up at that
 * rate (not recorded), then --drain-ms without sending so late orders still
 * count. The steps stop at the knee: p99 above --knee-factor times the p99
 * of the first step, more than 1% of the orders missing, or the publisher
 * unable to keep the schedule (the sends lag it by more than 200 ms). Output:
 * a summary table on stdout, --json FILE with every step, and with
 * --hdr-dir DIR two HdrHistogram percentile-distribution files per step.
 * Cold-path tool: it formats and allocates as it likes outside its send and
 * receive loop, which only encodes, sends and records.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ps/alloc.h>
#include <ps/clock.h>
#include <ps/err.h>
#include <ps/hist.h>
#include <ps/itch.h>
#include <ps/moldudp.h>
#include <ps/ouch.h>
#include <ps/soup_server.h>
#include <ps/tcp_uring.h>

#include "cli.h"

#define CMD "bench-e2e"

#define MAX_RATES  32
#define ID_BITS    20u
#define ID_MASK    ((1u << ID_BITS) - 1u)
#define PRICE_BITS 12u
#define PRICE_BASE 1000000u /* $100.0000 */
#define LOCATE     1u
/* Publisher this far behind its schedule: it cannot keep up (a short stall,
 * a preemption, is caught up and charged to the packets it delayed). */
#define LAG_KNEE_NS 200000000u
/* --idle wait: wake this long before a send is due, then spin to it (timer
 * slack is set to 1 ns, so the wake-up is this early, not 50 us late). */
#define WAKE_EARLY_NS 30000u
/* Session heartbeats after this long without sending: the engine counts its
 * session as caught up (and sends orders) from the first one after login. */
#define HEARTBEAT_NS 50000000u
#define RX_CAP       (64u << 10)
#define TX_CAP       (8u << 20)

struct e2e_opts {
	struct sockaddr_in md_addr;
	struct sockaddr_in ouch_addr;
	const char *netns;
	const char *json;
	const char *hdr_dir;
	const char *symbol;
	const char *session;
	double step_s, warmup_s, connect_s, knee_factor;
	uint32_t drain_ms;
	uint32_t rates[MAX_RATES];
	uint32_t rate_count;
	int cpu;
	bool no_stop;
	bool wait;    /* --idle wait: sleep between sends */
	bool sock_io; /* --session-io socket: plain recv/send for the OUCH session */
};

/* Latency percentiles of one histogram, ns. */
struct e2e_pcts {
	uint64_t min, p50, p90, p99, p999, p9999, max;
	double mean;
};

/* Send times of packet k, kept at k & ID_MASK. sched_tsc 0: free (matched,
 * or never sent); 1: an untimed warm-up packet. */
struct e2e_slot {
	uint64_t sched_tsc; /* when the schedule said to send it */
	uint64_t sent_tsc;  /* just before sendto */
};

struct e2e_step {
	uint32_t rate;
	double seconds;
	uint64_t sent;
	uint64_t received;
	uint64_t unmatched;
	uint64_t max_lag_ns;
	struct e2e_pcts lat;  /* from the scheduled send (open loop) */
	struct e2e_pcts wire; /* from the actual send (wire to wire) */
	const char *stop;     /* why the sweep stopped here, or NULL */
	/* wall clock (ms since the epoch) of the step, warm-up and drain
	 * included: to line it up with the engine's metrics lines */
	uint64_t t0_unix_ms, t1_unix_ms;
};

struct e2e {
	struct e2e_opts o;
	int md_fd;
	int lfd;
	struct ps_soup_server_conn conn; /* --session-io uring */
	void *conn_mem;
	/* --session-io socket: the accepted connection, its receive stream and
	 * the bytes not yet sent. */
	int fd;
	struct ps_soup_stream rx;
	uint8_t *rx_mem;
	uint8_t *tx;
	uint32_t tx_len;
	uint64_t last_tx_ns;
	struct e2e_slot *slots;
	struct ps_hist hist;  /* from the scheduled send */
	struct ps_hist whist; /* from the actual send */
	void *hist_mem, *whist_mem;
	uint64_t received;
	uint64_t unmatched;
	uint64_t enters;    /* Enter Orders received, all steps and warm-ups */
	uint64_t order_ref; /* venue order reference numbers for Accepted */
	uint64_t seq;       /* next MoldUDP64 sequence number */
	uint64_t prev_ref;  /* last Add Order's reference (0: none) */
	bool logged_in;
	bool gone;
	char stock[8];
	char session[PS_MOLDUDP_SESSION_LEN];
};

static volatile sig_atomic_t e2e_stop;

static void on_signal(int sig)
{
	(void)sig;
	e2e_stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: perseus bench-e2e --md HOST:PORT --ouch-listen HOST:PORT [options]\n"
		"\n"
		"Wire-to-wire latency of a running engine (perseus run trading the probe\n"
		"strategy, see configs/bench-e2e-run.ini): publishes ITCH 5.0 Add Orders in\n"
		"MoldUDP64 packets at fixed offered rates (open loop) and times each order\n"
		"the engine sends back over OUCH 4.2 / SoupBinTCP against the scheduled send\n"
		"of the packet that caused it.\n"
		"\n"
		"  --md HOST:PORT           where the engine listens for market data\n"
		"  --ouch-listen HOST:PORT  where to accept the engine's OUCH session\n"
		"  --rates LIST             packets (= add orders) per second, comma separated,\n"
		"                           rising (default 10000)\n"
		"  --step-s S               seconds recorded per rate (default 2)\n"
		"  --warmup-s S             seconds at each rate before recording (default 0.3)\n"
		"  --drain-ms MS            wait for late orders after each rate (default 100)\n"
		"  --knee-factor F          knee: p99 above F x the first rate's p99 (default 10)\n"
		"  --no-stop                run every rate, even past the knee\n"
		"  --connect-s S            wait this long for the engine's login (default 20)\n"
		"  --symbol SYM             stock in the directory and adds (default PRSB)\n"
		"  --session NAME           MoldUDP64 session (default BENCH)\n"
		"  --md-netns NAME          open the market-data socket in network namespace\n"
		"                           NAME (ip netns), e.g. to reach a veth for DPDK\n"
		"  --cpu N                  pin this process to CPU N\n"
		"  --idle spin|wait         between sends: poll the order session (spin,\n"
		"                           default) or sleep until an order arrives or the\n"
		"                           next send is due (wait: for hosts where this\n"
		"                           process shares its CPU)\n"
		"  --session-io socket|uring  the OUCH session's I/O: plain non-blocking\n"
		"                           recv/send (socket, default: the leanest receive\n"
		"                           path, as sockperf's) or Perseus's io_uring\n"
		"                           transport (uring)\n"
		"  --json FILE              write every step as JSON\n"
		"  --hdr-dir DIR            write DIR/e2e-RATE.hdr and DIR/wire-RATE.hdr\n"
		"                           (HdrHistogram percentile distributions in\n"
		"                           microseconds; from the scheduled and from the\n"
		"                           actual send) per step\n"
		"\n"
		"The last packet is a MoldUDP64 End of Session, which stops an engine\n"
		"configured with feed_idle_exit_s > 0. Exit status: 0 when every step\n"
		"recorded latencies, 1 otherwise.\n");
}

static int parse_hostport(const char *s, struct sockaddr_in *a)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	char *end;
	long port;

	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -EINVAL;
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535)
		return -EINVAL;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -EINVAL;
}

static int parse_rates(struct e2e_opts *o, const char *s)
{
	char buf[512];
	char *save = NULL;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", s);
	o->rate_count = 0;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *end;
		double v = strtod(t, &end);
		if (*end == 'k' || *end == 'K') {
			v *= 1e3;
			end++;
		} else if (*end == 'M') {
			v *= 1e6;
			end++;
		}
		if (*end || v < 1 || v > 1e8 || o->rate_count == MAX_RATES)
			return -EINVAL;
		o->rates[o->rate_count++] = (uint32_t)v;
	}
	return o->rate_count ? 0 : -EINVAL;
}

static bool arg_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (*end || !(v >= lo && v <= hi))
		return false;
	*out = v;
	return true;
}

/* 0 ok, 2 usage error (message printed). */
static int parse_args(struct e2e_opts *o, int argc, char **argv, bool *help)
{
	bool have_md = false, have_ouch = false;

	*o = (struct e2e_opts){ .step_s = 2.0,
				.warmup_s = 0.3,
				.connect_s = 20.0,
				.knee_factor = 10.0,
				.drain_ms = 100,
				.rates = { 10000 },
				.rate_count = 1,
				.cpu = -1,
				.sock_io = true,
				.symbol = "PRSB",
				.session = "BENCH" };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		double d = 0;
		bool ok = true;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			*help = true;
			return 0;
		}
		if (!strcmp(a, "--no-stop")) {
			o->no_stop = true;
			continue;
		}
		if (!v) {
			ps_cli_error(CMD, "option '%s' needs a value (or is unknown)", a);
			return 2;
		}
		i++;
		if (!strcmp(a, "--md")) {
			ok = !parse_hostport(v, &o->md_addr);
			have_md = ok;
		} else if (!strcmp(a, "--ouch-listen")) {
			ok = !parse_hostport(v, &o->ouch_addr);
			have_ouch = ok;
		} else if (!strcmp(a, "--rates")) {
			ok = !parse_rates(o, v);
		} else if (!strcmp(a, "--step-s")) {
			ok = arg_double(v, 0.01, 3600, &o->step_s);
		} else if (!strcmp(a, "--warmup-s")) {
			ok = arg_double(v, 0, 3600, &o->warmup_s);
		} else if (!strcmp(a, "--connect-s")) {
			ok = arg_double(v, 0.1, 3600, &o->connect_s);
		} else if (!strcmp(a, "--knee-factor")) {
			ok = arg_double(v, 1, 1e6, &o->knee_factor);
		} else if (!strcmp(a, "--drain-ms")) {
			ok = arg_double(v, 0, 60000, &d);
			o->drain_ms = (uint32_t)d;
		} else if (!strcmp(a, "--cpu")) {
			ok = arg_double(v, 0, 1023, &d);
			o->cpu = (int)d;
		} else if (!strcmp(a, "--symbol")) {
			ok = strlen(v) >= 1 && strlen(v) <= 8;
			o->symbol = v;
		} else if (!strcmp(a, "--session")) {
			ok = strlen(v) >= 1 && strlen(v) <= PS_MOLDUDP_SESSION_LEN;
			o->session = v;
		} else if (!strcmp(a, "--session-io")) {
			ok = !strcmp(v, "socket") || !strcmp(v, "uring");
			o->sock_io = !strcmp(v, "socket");
		} else if (!strcmp(a, "--idle")) {
			ok = !strcmp(v, "spin") || !strcmp(v, "wait");
			o->wait = !strcmp(v, "wait");
		} else if (!strcmp(a, "--md-netns")) {
			o->netns = v;
		} else if (!strcmp(a, "--json")) {
			o->json = v;
		} else if (!strcmp(a, "--hdr-dir")) {
			o->hdr_dir = v;
		} else {
			ps_cli_error(CMD, "unknown option '%s'", a);
			return 2;
		}
		if (!ok) {
			ps_cli_error(CMD, "bad value '%s' for %s", v, a);
			return 2;
		}
	}
	if (!have_md || !have_ouch) {
		ps_cli_error(CMD, "--md HOST:PORT and --ouch-listen HOST:PORT are required");
		return 2;
	}
	for (uint32_t i = 1; i < o->rate_count; i++)
		if (o->rates[i] <= o->rates[i - 1]) {
			ps_cli_error(CMD, "--rates must rise");
			return 2;
		}
	return 0;
}

/* UDP socket for market data, created in network namespace ns when given
 * (the socket stays in that namespace after we switch back). */
static int md_socket(const char *ns)
{
	int self = -1, target = -1, fd, rc;
	char path[256];

	if (ns) {
		snprintf(path, sizeof(path), "/run/netns/%s", ns);
		self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		target = open(path, O_RDONLY | O_CLOEXEC);
		if (self < 0 || target < 0 || setns(target, CLONE_NEWNET)) {
			rc = -errno;
			if (self >= 0)
				close(self);
			if (target >= 0)
				close(target);
			return rc;
		}
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	rc = fd < 0 ? -errno : fd;
	if (ns) {
		if (setns(self, CLONE_NEWNET) && fd >= 0) {
			rc = -errno;
			close(fd);
		}
		close(self);
		close(target);
	}
	if (rc >= 0) {
		int sz = 4 << 20;
		setsockopt(rc, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	}
	return rc;
}

static int on_login(void *ctx, const struct ps_soup_login_request *req, char *session,
		    uint64_t *next_seq)
{
	(void)ctx;
	snprintf(session, PS_SOUP_SESSION_LEN + 1, "BENCH");
	*next_seq = req->seq ? req->seq : 1;
	return 0;
}

static void on_event(void *ctx, int event, int err)
{
	struct e2e *b = ctx;

	(void)err;
	if (event == PS_SOUP_SERVER_EV_LOGGED_IN)
		b->logged_in = true;
	else if (event == PS_SOUP_SERVER_EV_DISCONNECTED || event == PS_SOUP_SERVER_EV_LOGGED_OUT)
		b->gone = true;
}

/* Room for one Sequenced Data packet of len payload bytes; NULL when full. */
static uint8_t *claim(struct e2e *b, uint16_t len)
{
	uint8_t *p;

	if (!b->o.sock_io)
		return ps_soup_server_conn_claim(&b->conn, len);
	if (b->fd < 0 || TX_CAP - b->tx_len < PS_SOUP_HDR_LEN + (uint32_t)len)
		return NULL;
	p = b->tx + b->tx_len;
	ps_soup_put_header(p, PS_SOUP_SEQUENCED, len);
	b->tx_len += PS_SOUP_HDR_LEN + len;
	return p + PS_SOUP_HDR_LEN;
}

static void commit(struct e2e *b)
{
	if (!b->o.sock_io)
		ps_soup_server_conn_commit(&b->conn, ps_now_ns());
}

/* Accepted, then Canceled (an IOC that found nothing): the engine's OMS and
 * risk close the order, so nothing piles up however long the run. */
static void answer(struct e2e *b, const struct ps_ouch_enter_order *o)
{
	struct ps_ouch_accepted a = {
		.order_ref = ++b->order_ref,
		.shares = o->shares,
		.price = o->price,
		.tif = o->tif,
		.side = o->side,
		.display = 'Y',
		.capacity = 'A',
		.ise = 'N',
		.cross_type = 'N',
		.order_state = PS_OUCH_ORDER_STATE_LIVE,
		.bbo_weight = ' ',
	};
	struct ps_ouch_canceled c = { .decrement_shares = o->shares, .reason = 'I' };
	uint8_t *p;

	memcpy(a.token, o->token, PS_OUCH_TOKEN_LEN);
	memcpy(a.stock, o->stock, PS_OUCH_STOCK_LEN);
	memcpy(a.firm, o->firm, PS_OUCH_FIRM_LEN);
	memcpy(c.token, o->token, PS_OUCH_TOKEN_LEN);
	p = claim(b, PS_OUCH_ACCEPTED_LEN);
	if (!p)
		return;
	ps_ouch_encode_accepted(p, PS_OUCH_ACCEPTED, &a);
	commit(b);
	p = claim(b, PS_OUCH_CANCELED_LEN);
	if (!p)
		return;
	ps_ouch_encode_canceled(p, PS_OUCH_CANCELED, &c);
	commit(b);
}

static void on_msg(void *ctx, const uint8_t *msg, uint16_t len)
{
	struct e2e *b = ctx;
	uint64_t now = ps_tsc();
	struct ps_ouch_msg m;
	struct e2e_slot *sl;
	uint32_t id, low;

	if (ps_ouch_decode_inbound(msg, len, &m) || m.type != PS_OUCH_ENTER_ORDER)
		return;
	b->enters++;
	answer(b, &m.u.enter);
	low = m.u.enter.price - PRICE_BASE;
	if (m.u.enter.price < PRICE_BASE || low >= (1u << PRICE_BITS) || m.u.enter.shares == 0 ||
	    m.u.enter.shares > (1u << (ID_BITS - PRICE_BITS))) {
		b->unmatched++;
		return;
	}
	id = ((m.u.enter.shares - 1) << PRICE_BITS) | low;
	sl = &b->slots[id];
	if (!sl->sched_tsc) {
		b->unmatched++;
		return;
	}
	if (sl->sched_tsc > 1) { /* 1: a warm-up packet, not recorded */
		ps_hist_record(&b->hist, ps_tsc_to_ns(now - sl->sched_tsc));
		ps_hist_record(&b->whist, ps_tsc_to_ns(now - sl->sent_tsc));
		b->received++;
	}
	sl->sched_tsc = 0;
}

static uint64_t now_ns(void)
{
	return ps_now_ns();
}

static void sock_drop(struct e2e *b)
{
	close(b->fd);
	b->fd = -1;
	b->gone = true;
}

static void sock_flush(struct e2e *b)
{
	ssize_t n;

	if (!b->tx_len)
		return;
	n = send(b->fd, b->tx, b->tx_len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			sock_drop(b);
		return;
	}
	memmove(b->tx, b->tx + n, b->tx_len - (uint32_t)n);
	b->tx_len -= (uint32_t)n;
	b->last_tx_ns = now_ns();
}

static void sock_packet(struct e2e *b, const struct ps_soup_packet *pkt)
{
	struct ps_soup_login_request req;

	switch (pkt->type) {
	case PS_SOUP_UNSEQUENCED:
		on_msg(b, pkt->payload, pkt->payload_len);
		break;
	case PS_SOUP_LOGIN_REQUEST:
		if (ps_soup_decode_login_request(pkt->payload, pkt->payload_len, &req) ||
		    TX_CAP - b->tx_len < PS_SOUP_HDR_LEN + PS_SOUP_LOGIN_ACC_LEN) {
			sock_drop(b);
			return;
		}
		b->tx_len += (uint32_t)ps_soup_encode_login_accepted(b->tx + b->tx_len, "BENCH",
								     req.seq ? req.seq : 1);
		b->logged_in = true;
		break;
	case PS_SOUP_LOGOUT_REQUEST:
		sock_drop(b);
		break;
	default: /* client heartbeats, debug */
		break;
	}
}

/* --session-io socket: the OUCH session over plain non-blocking recv and
 * send, the leanest receive path a venue could have. */
static void sock_poll(struct e2e *b)
{
	struct ps_soup_packet pkt;
	uint32_t room;
	uint8_t *p;
	ssize_t n;
	int rc;

	if (b->fd < 0) {
		if (b->gone || (b->fd = ps_tcp_accept(b->lfd)) < 0) {
			b->fd = -1;
			return;
		}
		ps_soup_stream_reset(&b->rx);
		b->tx_len = 0;
		b->last_tx_ns = now_ns();
	}
	for (;;) {
		p = ps_soup_stream_write_ptr(&b->rx, &room);
		n = room ? recv(b->fd, p, room, MSG_DONTWAIT) : 0;
		if (n <= 0) {
			if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
				sock_drop(b);
			break;
		}
		ps_soup_stream_commit(&b->rx, (uint32_t)n);
		while ((rc = ps_soup_stream_next(&b->rx, &pkt)) == 1 && b->fd >= 0)
			sock_packet(b, &pkt);
		if (rc < 0 && b->fd >= 0)
			sock_drop(b);
		if (b->fd < 0 || (uint32_t)n < room)
			break;
	}
	if (b->fd < 0)
		return;
	if (b->logged_in && !b->tx_len && now_ns() - b->last_tx_ns >= HEARTBEAT_NS)
		b->tx_len = (uint32_t)ps_soup_encode_empty(b->tx, PS_SOUP_SERVER_HEARTBEAT);
	sock_flush(b);
}

/* --idle wait: sleep until the session has bytes or timeout_ns passes. */
static void wait_conn(struct e2e *b, uint64_t timeout_ns)
{
	if (!b->o.sock_io) {
		ps_tcp_uring_wait(&b->conn.tcp, timeout_ns);
		return;
	}
	if (b->fd >= 0) {
		struct pollfd pfd = { .fd = b->fd, .events = POLLIN };
		struct timespec ts = { .tv_sec = (time_t)(timeout_ns / 1000000000u),
				       .tv_nsec = (long)(timeout_ns % 1000000000u) };
		ppoll(&pfd, 1, &ts, NULL);
	}
}

static void poll_conn(struct e2e *b)
{
	uint64_t t = now_ns();

	if (b->o.sock_io) {
		sock_poll(b);
		return;
	}
	if (ps_soup_server_conn_state(&b->conn) == PS_SOUP_SERVER_IDLE) {
		int fd = ps_tcp_accept(b->lfd);
		if (fd >= 0 && ps_soup_server_conn_adopt(&b->conn, fd, t))
			close(fd);
		return;
	}
	ps_soup_server_conn_poll(&b->conn, t);
	ps_soup_server_conn_flush(&b->conn);
}

static int send_pkt(struct e2e *b, const uint8_t *pkt, size_t len)
{
	if (sendto(b->md_fd, pkt, len, 0, (const struct sockaddr *)&b->o.md_addr,
		   sizeof(b->o.md_addr)) < 0) {
		/* A full send buffer is the publisher falling behind, not an error:
		 * the packet is lost like any UDP packet and counted as missing. */
		return errno == ENOBUFS || errno == EAGAIN ? 0 : -errno;
	}
	return 0;
}

static int send_directory(struct e2e *b)
{
	struct ps_itch_msg m = { .type = 'R', .stock_locate = LOCATE };
	uint8_t msg[64], pkt[128];
	struct ps_moldudp_builder mb;
	int n;

	memcpy(m.u.stock_directory.stock, b->stock, 8);
	m.u.stock_directory.market_category = 'Q';
	m.u.stock_directory.financial_status_indicator = 'N';
	m.u.stock_directory.round_lot_size = 1;
	m.u.stock_directory.round_lots_only = 'N';
	m.u.stock_directory.issue_classification = 'C';
	memcpy(m.u.stock_directory.issue_sub_type, "Z ", 2);
	m.u.stock_directory.authenticity = 'P';
	m.u.stock_directory.short_sale_threshold_indicator = 'N';
	m.u.stock_directory.ipo_flag = 'N';
	m.u.stock_directory.luld_reference_price_tier = '1';
	m.u.stock_directory.etp_flag = 'N';
	m.u.stock_directory.inverse_indicator = 'N';
	n = ps_itch_msg_encode(msg, sizeof(msg), &m);
	if (n < 0)
		return n;
	ps_moldudp_builder_begin(&mb, pkt, sizeof(pkt), b->session, b->seq);
	ps_moldudp_builder_append(&mb, msg, (uint16_t)n);
	b->seq += 1;
	return send_pkt(b, pkt, ps_moldudp_builder_finish(&mb));
}

/* Packet k: Delete of the previous add, then Add Order k. */
static int send_add(struct e2e *b, uint64_t k, uint64_t sched_tsc)
{
	static const uint8_t zero_attr[4];
	struct ps_itch_msg add = { .type = 'A', .stock_locate = LOCATE };
	struct ps_itch_msg del = { .type = 'D', .stock_locate = LOCATE };
	uint8_t a[64], d[64], pkt[160];
	struct ps_moldudp_builder mb;
	uint32_t id = (uint32_t)(k & ID_MASK);
	int na, nd = 0;
	size_t len;

	add.u.add_order.order_reference_number = k;
	add.u.add_order.buy_sell_indicator = 'B';
	add.u.add_order.shares = 1 + (id >> PRICE_BITS);
	add.u.add_order.price = PRICE_BASE + (id & ((1u << PRICE_BITS) - 1u));
	memcpy(add.u.add_order.stock, b->stock, 8);
	memcpy(add.u.add_order.attribution, zero_attr, 4);
	na = ps_itch_msg_encode(a, sizeof(a), &add);
	if (b->prev_ref) {
		del.u.order_delete.order_reference_number = b->prev_ref;
		nd = ps_itch_msg_encode(d, sizeof(d), &del);
	}
	if (na < 0 || nd < 0)
		return na < 0 ? na : nd;
	ps_moldudp_builder_begin(&mb, pkt, sizeof(pkt), b->session, b->seq);
	if (nd)
		ps_moldudp_builder_append(&mb, d, (uint16_t)nd);
	ps_moldudp_builder_append(&mb, a, (uint16_t)na);
	b->seq += nd ? 2 : 1;
	b->prev_ref = k;
	b->slots[id].sched_tsc = sched_tsc > 1 ? sched_tsc : 1;
	len = ps_moldudp_builder_finish(&mb);
	b->slots[id].sent_tsc = ps_tsc();
	return send_pkt(b, pkt, len);
}

static void pcts(const struct ps_hist *h, struct e2e_pcts *p)
{
	*p = (struct e2e_pcts){
		.min = ps_hist_min(h),
		.p50 = ps_hist_percentile(h, 50.0),
		.p90 = ps_hist_percentile(h, 90.0),
		.p99 = ps_hist_percentile(h, 99.0),
		.p999 = ps_hist_percentile(h, 99.9),
		.p9999 = ps_hist_percentile(h, 99.99),
		.max = ps_hist_max(h),
		.mean = ps_hist_mean(h),
	};
}

/* One rate: warm-up, record, drain. k is the running add counter. */
static int run_rate(struct e2e *b, uint32_t rate, uint64_t *k, struct e2e_step *st)
{
	/* The schedule is kept in TSC units, the clock the latencies are taken
	 * with: converting elapsed ns back and forth would let a calibration
	 * error of 0.1% pose as a send lag of 1 ms per second of run. */
	double period = (double)ps_clock_ns_to_tsc(1000000000u) / rate;
	uint64_t tsc0 = ps_tsc();
	uint64_t rec_n = (uint64_t)(b->o.warmup_s * rate);
	uint64_t end_n = rec_n + (uint64_t)(b->o.step_s * rate);
	uint64_t n = 0, sent_rec = 0, lag_max = 0;
	uint64_t wait_min = ps_clock_ns_to_tsc(2 * WAKE_EARLY_NS);
	uint64_t t0_ms = ps_clock_realtime_ns() / 1000000u;
	int rc;

	ps_hist_reset(&b->hist);
	ps_hist_reset(&b->whist);
	b->received = 0;
	b->unmatched = 0;
	while (n < end_n && !e2e_stop && !b->gone) {
		uint64_t due = tsc0 + (uint64_t)((double)n * period);
		uint64_t now = ps_tsc();

		if (now < due) {
			if (b->o.wait && due - now > wait_min)
				/* Sleep until an order arrives or shortly before the
				 * next send (then spin to it); the wake-up on an order
				 * is part of what is measured, as in sockperf's
				 * blocking receive. */
				wait_conn(b, ps_tsc_to_ns(due - now) - WAKE_EARLY_NS);
			poll_conn(b);
			continue;
		}
		if (n >= rec_n) {
			uint64_t lag = ps_tsc_to_ns(now - due);
			lag_max = lag > lag_max ? lag : lag_max;
			sent_rec++;
		}
		/* Warm-up packets are sent but not timed: their slot holds 1,
		 * which the order clears without recording. */
		rc = send_add(b, ++*k, n >= rec_n ? due : 0);
		if (rc)
			return rc;
		n++;
		if (lag_max > LAG_KNEE_NS)
			break;
	}
	{
		uint64_t drain_end = now_ns() + (uint64_t)b->o.drain_ms * 1000000u;
		while (now_ns() < drain_end && !b->gone && !e2e_stop && b->received < sent_rec)
			poll_conn(b);
	}
	*st = (struct e2e_step){
		.rate = rate,
		.seconds = b->o.step_s,
		.sent = sent_rec,
		.received = b->received,
		.unmatched = b->unmatched,
		.max_lag_ns = lag_max,
		.t0_unix_ms = t0_ms,
		.t1_unix_ms = ps_clock_realtime_ns() / 1000000u,
	};
	pcts(&b->hist, &st->lat);
	pcts(&b->whist, &st->wire);
	return 0;
}

static int write_hdr(const struct ps_hist *h, const char *dir, const char *name, uint32_t rate)
{
	char path[1024];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/%s-%u.hdr", dir, name, rate);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	rc = ps_hist_print_hdr(h, f);
	if (fclose(f) && !rc)
		rc = -EIO;
	return rc;
}

static void json_pcts(FILE *f, const char *prefix, const struct e2e_pcts *p)
{
	fprintf(
	    f,
	    "\"%smin_ns\": %llu, \"%sp50_ns\": %llu, \"%sp90_ns\": %llu, \"%sp99_ns\": %llu, "
	    "\"%sp999_ns\": %llu, \"%sp9999_ns\": %llu, \"%smax_ns\": %llu, \"%smean_ns\": %.1f",
	    prefix, (unsigned long long)p->min, prefix, (unsigned long long)p->p50, prefix,
	    (unsigned long long)p->p90, prefix, (unsigned long long)p->p99, prefix,
	    (unsigned long long)p->p999, prefix, (unsigned long long)p->p9999, prefix,
	    (unsigned long long)p->max, prefix, p->mean);
}

static int write_json(const struct e2e *b, const struct e2e_step *st, uint32_t n, const char *knee)
{
	FILE *f = fopen(b->o.json, "w");

	if (!f)
		return -errno;
	fprintf(f, "{\n  \"tool\": \"perseus bench-e2e\",\n");
	fprintf(f, "  \"clock\": \"%s\",\n  \"tsc_ghz\": %.4f,\n",
		ps_clock_uses_tsc() ? "tsc" : "clock_monotonic", ps_tsc_ghz());
	fprintf(f, "  \"md_netns\": %s%s%s,\n", b->o.netns ? "\"" : "",
		b->o.netns ? b->o.netns : "null", b->o.netns ? "\"" : "");
	fprintf(f, "  \"step_s\": %.3f,\n  \"knee_factor\": %.2f,\n", b->o.step_s,
		b->o.knee_factor);
	fprintf(f, "  \"orders\": %llu,\n", (unsigned long long)b->enters);
	fprintf(f, "  \"knee\": %s%s%s,\n", knee ? "\"" : "", knee ? knee : "null",
		knee ? "\"" : "");
	fprintf(f, "  \"steps\": [\n");
	for (uint32_t i = 0; i < n; i++) {
		const struct e2e_step *s = &st[i];
		fprintf(f,
			"    {\"offered_rate\": %u, \"sent\": %llu, \"received\": %llu, "
			"\"missing\": %lld, \"unmatched\": %llu, \"max_send_lag_ns\": %llu, ",
			s->rate, (unsigned long long)s->sent, (unsigned long long)s->received,
			(long long)(s->sent - s->received), (unsigned long long)s->unmatched,
			(unsigned long long)s->max_lag_ns);
		json_pcts(f, "", &s->lat);
		fprintf(f, ", ");
		json_pcts(f, "wire_", &s->wire);
		fprintf(f, ", \"t0_unix_ms\": %llu, \"t1_unix_ms\": %llu",
			(unsigned long long)s->t0_unix_ms, (unsigned long long)s->t1_unix_ms);
		fprintf(f, ", \"stop\": %s%s%s}%s\n", s->stop ? "\"" : "",
			s->stop ? s->stop : "null", s->stop ? "\"" : "", i + 1 < n ? "," : "");
	}
	fprintf(f, "  ]\n}\n");
	return fclose(f) ? -EIO : 0;
}

static int setup(struct e2e *b)
{
	struct ps_soup_server_config sc = { .heartbeat_ns = HEARTBEAT_NS,
					    .timeout_ns = 30000000000ull,
					    .login_timeout_ns = 10000000000ull,
					    .tx_cap = TX_CAP,
					    .on_login = on_login,
					    .on_msg = on_msg,
					    .on_event = on_event,
					    .ctx = b };
	int rc;

	b->md_fd = b->lfd = b->fd = -1;
	ps_ouch_pad(b->stock, 8, b->o.symbol);
	ps_moldudp_session_copy(b->session, b->o.session);
	b->seq = 1;
	b->slots = ps_calloc((size_t)ID_MASK + 1, sizeof(*b->slots));
	b->hist_mem = ps_alloc_hot(ps_hist_memsize());
	b->whist_mem = ps_alloc_hot(ps_hist_memsize());
	b->conn_mem = ps_alloc(ps_soup_server_conn_memsize(&sc));
	if (!b->slots || !b->hist_mem || !b->whist_mem || !b->conn_mem ||
	    ps_hist_init(&b->hist, b->hist_mem) || ps_hist_init(&b->whist, b->whist_mem))
		return -ENOMEM;
	if (b->o.sock_io) {
		ps_free(b->conn_mem);
		b->conn_mem = NULL;
		b->rx_mem = ps_alloc(RX_CAP);
		b->tx = ps_alloc(TX_CAP);
		if (!b->rx_mem || !b->tx ||
		    ps_soup_stream_init(&b->rx, b->rx_mem, RX_CAP, PS_SOUP_DIR_FROM_CLIENT))
			return -ENOMEM;
	} else {
		rc = ps_soup_server_conn_init(&b->conn, b->conn_mem, &sc);
		if (rc) {
			ps_free(b->conn_mem);
			b->conn_mem = NULL;
			return rc;
		}
	}
	b->md_fd = md_socket(b->o.netns);
	if (b->md_fd < 0)
		return b->md_fd;
	b->lfd = ps_tcp_listen(&b->o.ouch_addr, 4);
	return b->lfd < 0 ? b->lfd : 0;
}

static void teardown(struct e2e *b)
{
	if (b->conn_mem) {
		ps_soup_server_conn_fini(&b->conn);
		ps_free(b->conn_mem);
	}
	if (b->rx_mem) {
		ps_soup_stream_fini(&b->rx);
		ps_free(b->rx_mem);
	}
	ps_free(b->tx);
	if (b->fd >= 0)
		close(b->fd);
	if (b->lfd >= 0)
		close(b->lfd);
	if (b->md_fd >= 0)
		close(b->md_fd);
	if (b->hist_mem) {
		ps_hist_fini(&b->hist);
		ps_free(b->hist_mem);
	}
	if (b->whist_mem) {
		ps_hist_fini(&b->whist);
		ps_free(b->whist_mem);
	}
	ps_free(b->slots);
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fprintf(stderr, "perseus %s: cannot pin to CPU %d: %s (running unpinned)\n", CMD,
			cpu, strerror(errno));
}

/* Why the sweep stops after this step, or NULL. */
static const char *knee_of(const struct e2e *b, const struct e2e_step *s, uint64_t idle_p99)
{
	if (s->max_lag_ns > LAG_KNEE_NS)
		return "publisher cannot keep the schedule (sends lag > 200 ms)";
	if (s->sent && (s->sent - s->received) * 100 > s->sent)
		return "more than 1% of the orders missing (a queue overflowed)";
	if (idle_p99 && (double)s->lat.p99 > b->o.knee_factor * (double)idle_p99)
		return "p99 above knee-factor x the first rate's p99";
	return NULL;
}

static int run(struct e2e *b)
{
	static struct e2e_step steps[MAX_RATES];
	const char *knee = NULL;
	uint64_t k = 0, idle_p99 = 0, deadline;
	uint32_t n = 0;
	bool all_ok = true;
	uint8_t eos[PS_MOLDUDP_HDR_LEN];
	int rc;

	fprintf(stderr, "perseus %s: waiting for the engine's OUCH login on port %u\n", CMD,
		ntohs(b->o.ouch_addr.sin_port));
	deadline = now_ns() + (uint64_t)(b->o.connect_s * 1e9);
	while (!b->logged_in && !e2e_stop && now_ns() < deadline)
		poll_conn(b);
	if (!b->logged_in) {
		ps_cli_error(CMD, "the engine did not log in within %.1f s", b->o.connect_s);
		return 1;
	}
	if ((rc = send_directory(b))) {
		ps_cli_error(CMD, "cannot send market data: %s", ps_strerror(rc));
		return 1;
	}
	/* Let the first heartbeat reach the engine (it sends orders only once
	 * caught up) and the directory land before the first add. */
	deadline = now_ns() + 150000000u;
	while (now_ns() < deadline)
		poll_conn(b);
	printf("latency in us from the scheduled send (open loop); wire: from the actual send\n");
	printf("%10s %10s %8s %9s %9s %9s %9s %10s %9s %9s\n", "rate/s", "sent", "missing", "p50",
	       "p90", "p99", "p99.9", "max", "wire p50", "wire p99");
	for (uint32_t i = 0; i < b->o.rate_count && !e2e_stop; i++) {
		struct e2e_step *s = &steps[n];
		if ((rc = run_rate(b, b->o.rates[i], &k, s))) {
			ps_cli_error(CMD, "cannot send market data: %s", ps_strerror(rc));
			return 1;
		}
		n++;
		printf("%10u %10llu %8lld %9.1f %9.1f %9.1f %9.1f %10.1f %9.1f %9.1f\n", s->rate,
		       (unsigned long long)s->sent, (long long)(s->sent - s->received),
		       (double)s->lat.p50 / 1e3, (double)s->lat.p90 / 1e3, (double)s->lat.p99 / 1e3,
		       (double)s->lat.p999 / 1e3, (double)s->lat.max / 1e3,
		       (double)s->wire.p50 / 1e3, (double)s->wire.p99 / 1e3);
		fflush(stdout);
		if (!s->received)
			all_ok = false;
		if (b->o.hdr_dir && ((rc = write_hdr(&b->hist, b->o.hdr_dir, "e2e", s->rate)) ||
				     (rc = write_hdr(&b->whist, b->o.hdr_dir, "wire", s->rate))))
			ps_cli_error(CMD, "cannot write to %s: %s", b->o.hdr_dir, ps_strerror(rc));
		if (i == 0)
			idle_p99 = s->lat.p99;
		s->stop = knee_of(b, s, i ? idle_p99 : 0);
		if (s->stop && !knee) {
			knee = s->stop;
			printf("knee at %u/s: %s\n", s->rate, s->stop);
			if (!b->o.no_stop)
				break;
		}
		if (b->gone) {
			ps_cli_error(CMD, "the engine's session ended");
			all_ok = false;
			break;
		}
	}
	ps_moldudp_heartbeat_encode(eos, sizeof(eos), b->session, b->seq, true);
	send_pkt(b, eos, sizeof(eos));
	if (b->o.json && (rc = write_json(b, steps, n, knee))) {
		ps_cli_error(CMD, "cannot write %s: %s", b->o.json, ps_strerror(rc));
		return 1;
	}
	/* Keep the session up briefly so the engine can log out cleanly. */
	deadline = now_ns() + 200000000u;
	while (now_ns() < deadline && !b->gone)
		poll_conn(b);
	return all_ok && n ? 0 : 1;
}

static int cli_bench_e2e(int argc, char **argv)
{
	static struct e2e b;
	bool help = false;
	int rc;

	rc = parse_args(&b.o, argc, argv, &help);
	if (rc || help) {
		usage(help ? stdout : stderr);
		return rc;
	}
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	ps_clock_init();
	/* Timed waits end on time, not up to 50 us (the default slack) late. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	if (b.o.cpu >= 0)
		pin(b.o.cpu);
	rc = setup(&b);
	if (rc) {
		ps_cli_error(CMD, "setup failed: %s", ps_strerror(rc));
		teardown(&b);
		return 1;
	}
	rc = run(&b);
	teardown(&b);
	return rc;
}
PS_CLI_COMMAND(CMD, "wire-to-wire latency of a running engine at fixed offered rates",
	       cli_bench_e2e);
