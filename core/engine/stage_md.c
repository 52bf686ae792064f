/*
 * md stage: packets from the source, in sequence through the MoldUDP64
 * session (gaps re-requested, duplicates dropped), ITCH 5.0 decoded into
 * md events for the tracked instruments, handed to the book stage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ps/alloc.h>
#include <ps/err.h>

#include "engine_internal.h"

/* Deliver one md event to the book stage: direct call when fused; ring A
 * otherwise. The ring never drops: when full, md waits for the book (the
 * kernel socket buffer absorbs the burst; beyond it MoldUDP64 re-requests). */
static void to_book(struct eng_md *md, const struct ps_md_event *ev)
{
	struct ps_engine *e = md->e;

	if (!e->split_md_book) {
		eng_book_on_md(&e->book, ev);
		return;
	}
	if (ps_likely(ps_ring_spsc_enqueue(&e->ring_a, ev)))
		return;
	eng_count(e, ENG_C_RING_FULL, 1);
	while (!ps_ring_spsc_enqueue(&e->ring_a, ev)) {
		if (eng_phase(e) >= ENG_STOP_COLD)
			return;
		ps_cpu_relax();
	}
}

/* A stock directory message maps a locate code to a tracked instrument. */
static void on_directory(struct eng_md *md, const uint8_t *msg, uint16_t len)
{
	struct ps_itch_msg m;
	uint32_t id;

	if (ps_itch_msg_decode(&m, msg, len))
		return;
	id = ps_instrument_table_find(md->e->instruments, m.u.stock_directory.stock);
	md->locmap[m.stock_locate] = id;
}

static void on_msg(void *ctx, uint64_t seq, const uint8_t *msg, uint16_t len)
{
	struct eng_md *md = ctx;
	struct ps_md_event ev;
	int rc = ps_itch_decode(msg, len, &ev, &md->itch);

	if (rc == PS_ITCH_RC_EVENT) {
		uint32_t id = md->locmap[ev.instrument];
		if (id == PS_INSTRUMENT_ID_NONE)
			return;
		ev.instrument = id;
		ev.seq = seq;
		ev.recv_tsc = md->sess.cur_recv_tsc;
		md->events++;
		to_book(md, &ev);
	} else if (rc == PS_ITCH_RC_NONE && msg[0] == 'R') {
		on_directory(md, msg, len);
	}
}

static void on_event(void *ctx, const struct ps_moldudp_event *mev)
{
	struct eng_md *md = ctx;
	struct ps_md_event ev;

	switch (mev->type) {
	case PS_MOLDUDP_EV_GAP:
		eng_count(md->e, ENG_C_MD_GAPS, 1);
		break;
	case PS_MOLDUDP_EV_STALE:
		/* A gap that cannot be filled: the books are wrong from here on.
		 * Tell the book stage, which marks every instrument stale (risk then
		 * refuses orders on it) and clears the books. */
		PS_LOG(PS_LOG_ERROR,
		       "market data gap [%llu, %llu) could not be recovered: books marked stale, "
		       "trading on them stops",
		       (unsigned long long)mev->from, (unsigned long long)mev->to);
		ps_moldudp_stale_md_event(mev, &ev);
		md->stale_events++;
		eng_count(md->e, ENG_C_MD_STALE, 1);
		to_book(md, &ev);
		break;
	case PS_MOLDUDP_EV_END_OF_SESSION:
		/* Relaxed: a flag for the main thread's watchdog (partner: its load). */
		atomic_store_explicit(&md->ended, true, memory_order_relaxed);
		break;
	default:
		break;
	}
}

static int send_request(void *ctx, const uint8_t *pkt, size_t len)
{
	struct eng_md *md = ctx;

	if (md->req_fd < 0)
		return -ENOTCONN;
	return sendto(md->req_fd, pkt, len, MSG_DONTWAIT, (struct sockaddr *)&md->req_addr,
		      sizeof(md->req_addr)) < 0
		   ? -errno
		   : 0;
}

static void on_packet(void *ctx, const uint8_t *data, uint32_t len, uint64_t recv_tsc)
{
	struct eng_md *md = ctx;
	uint64_t t0 = ps_tsc();

	md->packets++;
	ps_moldudp_session_on_packet(&md->sess, data, len, recv_tsc, ps_tsc_to_ns(t0));
	ps_hist_record(&md->hist, ps_tsc_to_ns(ps_tsc() - recv_tsc));
}

int eng_md_open(struct eng_md *md, struct ps_engine *e, char *err, size_t err_len)
{
	const struct eng_feed_cfg *f = &e->cfg.feed;
	struct ps_source_config sc;
	struct ps_moldudp_session_config mc;
	int rc;

	md->e = e;
	md->req_fd = -1;
	for (size_t i = 0; i < PS_ARRAY_SIZE(md->locmap); i++)
		md->locmap[i] = PS_INSTRUMENT_ID_NONE;
	md->hist_mem = ps_alloc_hot(ps_hist_memsize());
	if (!md->hist_mem || ps_hist_init(&md->hist, md->hist_mem))
		return -ENOMEM;

	ps_moldudp_session_config_default(&mc);
	if (f->session[0])
		ps_moldudp_session_copy(mc.session, f->session);
	mc.on_msg = on_msg;
	mc.on_event = on_event;
	mc.send_request = send_request;
	mc.ctx = md;
	md->sess_mem = ps_alloc_hot(ps_moldudp_session_memsize(&mc));
	if (!md->sess_mem || ps_moldudp_session_init(&md->sess, md->sess_mem, &mc)) {
		snprintf(err, err_len, "feed: cannot set up the MoldUDP64 session");
		return -ENOMEM;
	}
	if (f->rerequest[0]) {
		char host[64];
		const char *colon = strrchr(f->rerequest, ':');
		if (!colon || (size_t)(colon - f->rerequest) >= sizeof(host)) {
			snprintf(err, err_len, "[feed] rerequest = %s: expected IPv4:PORT",
				 f->rerequest);
			return PS_ECONFIG;
		}
		memcpy(host, f->rerequest, (size_t)(colon - f->rerequest));
		host[colon - f->rerequest] = '\0';
		md->req_addr.sin_family = AF_INET;
		char *end;
		long port = strtol(colon + 1, &end, 10);
		if (*end || port <= 0 || port > 65535) {
			snprintf(err, err_len, "[feed] rerequest = %s: expected IPv4:PORT",
				 f->rerequest);
			return PS_ECONFIG;
		}
		md->req_addr.sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &md->req_addr.sin_addr) != 1) {
			snprintf(err, err_len, "[feed] rerequest = %s: expected IPv4:PORT",
				 f->rerequest);
			return PS_ECONFIG;
		}
		md->req_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (md->req_fd < 0)
			return -errno;
	}
	ps_source_config_default(&sc, f->kind);
	sc.bind_ip = f->bind_ip;
	sc.port = f->port;
	sc.mcast_group = f->group[0] ? f->group : NULL;
	sc.path = f->pcap[0] ? f->pcap : NULL;
	sc.eal_args = f->eal_args[0] ? f->eal_args : NULL;
	sc.rcvbuf_bytes = 8 << 20;
	rc = ps_source_open(&md->src, &sc);
	if (rc) {
		snprintf(err, err_len, "feed: cannot open the %s source on %s:%u: %s",
			 f->kind == PS_SOURCE_URING      ? "io_uring"
			 : f->kind == PS_SOURCE_RECVMMSG ? "recvmmsg"
			 : f->kind == PS_SOURCE_PCAP     ? "pcap"
							 : "dpdk",
			 f->bind_ip, f->port, ps_strerror(rc));
		return rc;
	}
	/* The replies of the re-request server come back to the request socket:
	 * they are fed to the same session by the poll below. */
	return 0;
}

static void on_reply(struct eng_md *md)
{
	uint8_t buf[PS_MOLDUDP_MAX_PACKET_LEN];
	ssize_t n;

	while ((n = recv(md->req_fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		uint64_t tsc = ps_tsc();
		ps_moldudp_session_on_packet(&md->sess, buf, (size_t)n, tsc, ps_tsc_to_ns(tsc));
	}
}

int eng_md_poll(struct eng_md *md)
{
	int n;

	if (eng_phase(md->e) >= ENG_STOP_MD)
		return 0;
	n = ps_source_poll(&md->src, on_packet, md);
	if (n < 0)
		n = 0;
	if (ps_moldudp_session_gap_open(&md->sess)) {
		/* Re-request answers come back on the request socket; the timer
		 * re-requests and, past its retries, declares the gap stale. */
		if (md->req_fd >= 0)
			on_reply(md);
		ps_moldudp_session_poll(&md->sess, eng_now_ns());
	}
	if (n) {
		/* Relaxed: read only by the main thread's idle watchdog. */
		atomic_store_explicit(&md->last_pkt_ns, eng_now_ns(), memory_order_relaxed);
		eng_set(md->e, ENG_C_MD_PACKETS, md->packets);
		eng_set(md->e, ENG_C_MD_EVENTS, md->events);
		eng_set(md->e, ENG_C_RX_NOBUFS, md->src.stats.nobufs);
		if (!md->e->split_md_book) /* fused: the book stage has no poll of its own */
			eng_set(md->e, ENG_C_BOOK_EVENTS, md->e->book.events);
	}
	return n;
}

void eng_md_close(struct eng_md *md)
{
	ps_source_close(&md->src);
	if (md->req_fd >= 0)
		close(md->req_fd);
	ps_moldudp_session_fini(&md->sess);
	ps_free(md->sess_mem);
	ps_hist_fini(&md->hist);
	ps_free(md->hist_mem);
}
