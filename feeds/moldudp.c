/*
 * MoldUDP64 codec helpers (cold) and the receiver session.
 */
#include <ps/moldudp.h>

#include <errno.h>

/* A future packet copied out of the receive buffer while a gap is open. */
struct ps_moldudp_slot {
	uint64_t seq; /* first message */
	uint64_t end; /* one past the last message */
	uint64_t recv_tsc;
	uint32_t len; /* packet bytes held in slot_data; 0 = free */
	uint32_t reserved;
};

#define SESSION_MAX_SLOTS 4096u

int ps_moldudp_packet_validate(const uint8_t *pkt, size_t len, struct ps_moldudp_hdr *h,
			       size_t *err_off)
{
	struct ps_moldudp_iter it;
	const uint8_t *msg;
	uint16_t msg_len;
	uint64_t seq;
	int rc;

	rc = ps_moldudp_hdr_decode(pkt, len, h);
	if (rc < 0) {
		if (err_off)
			*err_off = 0;
		return rc;
	}
	ps_moldudp_iter_init(&it, pkt, len, h);
	while ((rc = ps_moldudp_iter_next(&it, &seq, &msg, &msg_len)) > 0)
		;
	if (rc < 0) {
		if (err_off)
			*err_off = it.off;
		return rc;
	}
	if (it.off != len) {
		if (err_off)
			*err_off = it.off;
		return PS_EPROTOCOL;
	}
	return 0;
}

int ps_moldudp_builder_begin(struct ps_moldudp_builder *b, uint8_t *buf, size_t cap,
			     const char *session, uint64_t seq)
{
	if (cap < PS_MOLDUDP_HDR_LEN)
		return -EINVAL;
	b->buf = buf;
	b->cap = PS_MIN(cap, (size_t)PS_MOLDUDP_MAX_PACKET_LEN);
	b->len = PS_MOLDUDP_HDR_LEN;
	b->seq = seq;
	b->count = 0;
	memcpy(buf, session, PS_MOLDUDP_SESSION_LEN);
	ps_store_be64(buf + 10, seq);
	ps_store_be16(buf + 18, 0);
	return 0;
}

int ps_moldudp_heartbeat_encode(uint8_t *buf, size_t cap, const char *session, uint64_t next_seq,
				bool end_of_session)
{
	if (cap < PS_MOLDUDP_HDR_LEN)
		return -EINVAL;
	memcpy(buf, session, PS_MOLDUDP_SESSION_LEN);
	ps_store_be64(buf + 10, next_seq);
	ps_store_be16(buf + 18, end_of_session ? PS_MOLDUDP_COUNT_END : 0);
	return PS_MOLDUDP_HDR_LEN;
}

void ps_moldudp_session_copy(char dst[PS_MOLDUDP_SESSION_LEN], const char *src)
{
	size_t n = strnlen(src, PS_MOLDUDP_SESSION_LEN);

	memcpy(dst, src, n);
	memset(dst + n, ' ', PS_MOLDUDP_SESSION_LEN - n);
}

int ps_moldudp_request_encode(uint8_t *buf, size_t cap, const struct ps_moldudp_request *r)
{
	if (cap < PS_MOLDUDP_REQUEST_LEN)
		return -EINVAL;
	memcpy(buf, r->session, PS_MOLDUDP_SESSION_LEN);
	ps_store_be64(buf + 10, r->seq);
	ps_store_be16(buf + 18, r->count);
	return PS_MOLDUDP_REQUEST_LEN;
}

int ps_moldudp_request_decode(const uint8_t *buf, size_t len, struct ps_moldudp_request *r)
{
	if (len < PS_MOLDUDP_REQUEST_LEN)
		return PS_ETRUNCATED;
	if (len > PS_MOLDUDP_REQUEST_LEN)
		return PS_EPROTOCOL;
	memcpy(r->session, buf, PS_MOLDUDP_SESSION_LEN);
	r->seq = ps_load_be64(buf + 10);
	r->count = ps_load_be16(buf + 18);
	/* A request for nothing, or the end-of-session marker as a count, asks for nothing valid. */
	if (r->count == 0 || r->count == PS_MOLDUDP_COUNT_END)
		return PS_EPROTOCOL;
	return 0;
}

/* ---- session ----------------------------------------------------------- */

void ps_moldudp_session_config_default(struct ps_moldudp_session_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->first_seq = 1;
	cfg->reorder_slots = 64;
	cfg->slot_len = 2048;
	cfg->gap_wait_ns = 1000000;
	cfg->retry_timeout_ns = 5000000;
	cfg->retry_max_timeout_ns = 80000000;
	cfg->max_retries = 5;
	cfg->max_request_count = 1024;
}

static bool config_valid(const struct ps_moldudp_session_config *cfg)
{
	return cfg->on_msg && cfg->reorder_slots >= 1 && cfg->reorder_slots <= SESSION_MAX_SLOTS &&
	       cfg->slot_len >= PS_MOLDUDP_HDR_LEN && cfg->slot_len <= PS_MOLDUDP_MAX_PACKET_LEN &&
	       cfg->max_request_count >= 1 && cfg->max_request_count <= PS_MOLDUDP_MAX_COUNT &&
	       cfg->retry_timeout_ns > 0;
}

size_t ps_moldudp_session_memsize(const struct ps_moldudp_session_config *cfg)
{
	if (!config_valid(cfg))
		return 0;
	size_t slot_len = ((size_t)cfg->slot_len + 7u) & ~(size_t)7u;
	return (size_t)cfg->reorder_slots * (sizeof(struct ps_moldudp_slot) + slot_len);
}

int ps_moldudp_session_init(struct ps_moldudp_session *s, void *mem,
			    const struct ps_moldudp_session_config *cfg)
{
	static const char no_session[PS_MOLDUDP_SESSION_LEN];

	if (!s || !mem || !config_valid(cfg))
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	if (s->cfg.retry_max_timeout_ns < s->cfg.retry_timeout_ns)
		s->cfg.retry_max_timeout_ns = s->cfg.retry_timeout_ns;
	s->cfg.slot_len = (cfg->slot_len + 7u) & ~7u;
	s->have_session = memcmp(cfg->session, no_session, sizeof(no_session)) != 0;
	s->next_seq = cfg->first_seq;
	s->hi_seq = cfg->first_seq;
	s->slots = mem;
	s->slot_data = (uint8_t *)mem + (size_t)cfg->reorder_slots * sizeof(struct ps_moldudp_slot);
	memset(s->slots, 0, (size_t)cfg->reorder_slots * sizeof(struct ps_moldudp_slot));
	return 0;
}

void ps_moldudp_session_fini(struct ps_moldudp_session *s)
{
	if (!s)
		return;
	/* Poison: a use after fini dereferences NULL slots and crashes loudly. */
	memset(s, 0, sizeof(*s));
}

static void emit(struct ps_moldudp_session *s, uint32_t type, uint64_t from, uint64_t to,
		 uint64_t recv_tsc)
{
	struct ps_moldudp_event ev = { .type = type, .from = from, .to = to, .recv_tsc = recv_tsc };

	if (s->cfg.on_event)
		s->cfg.on_event(s->cfg.ctx, &ev);
}

/*
 * Delivers the messages of a validated packet from next_seq on (the first
 * next_seq - first messages were delivered before) and advances next_seq.
 */
static int deliver(struct ps_moldudp_session *s, const uint8_t *pkt, size_t len,
		   const struct ps_moldudp_hdr *h, uint64_t recv_tsc)
{
	struct ps_moldudp_iter it;
	const uint8_t *msg;
	uint16_t msg_len;
	uint64_t seq;
	int n = 0;

	s->cur_recv_tsc = recv_tsc;
	ps_moldudp_iter_init(&it, pkt, len, h);
	/* The packet was validated on arrival, so next() returns 1 until the end. */
	while (ps_moldudp_iter_next(&it, &seq, &msg, &msg_len) > 0) {
		if (seq < s->next_seq)
			continue;
		s->cfg.on_msg(s->cfg.ctx, seq, msg, msg_len);
		n++;
	}
	s->next_seq = h->seq + ps_moldudp_hdr_msg_count(h);
	s->stats.messages += (uint64_t)n;
	return n;
}

static uint8_t *slot_bytes(const struct ps_moldudp_session *s, uint32_t i)
{
	return s->slot_data + (size_t)i * s->cfg.slot_len;
}

/* Delivers buffered packets that are now in order; frees the ones made redundant. */
static int drain(struct ps_moldudp_session *s)
{
	int n = 0;

	while (s->used_slots) {
		uint32_t best = UINT32_MAX;

		for (uint32_t i = 0; i < s->cfg.reorder_slots; i++) {
			const struct ps_moldudp_slot *sl = &s->slots[i];

			if (sl->len && sl->seq <= s->next_seq &&
			    (best == UINT32_MAX || sl->seq < s->slots[best].seq))
				best = i;
		}
		if (best == UINT32_MAX)
			break;
		struct ps_moldudp_slot *sl = &s->slots[best];
		if (sl->end > s->next_seq) {
			struct ps_moldudp_hdr h;
			/* Validated when it was buffered: decoding cannot fail. */
			if (ps_moldudp_hdr_decode(slot_bytes(s, best), sl->len, &h) == 0)
				n += deliver(s, slot_bytes(s, best), sl->len, &h, sl->recv_tsc);
		}
		sl->len = 0;
		s->used_slots--;
	}
	return n;
}

/* Lowest buffered sequence above next_seq, else hi_seq: the end of the hole. */
static uint64_t gap_end(const struct ps_moldudp_session *s)
{
	uint64_t end = s->hi_seq;

	if (s->used_slots)
		for (uint32_t i = 0; i < s->cfg.reorder_slots; i++)
			if (s->slots[i].len && s->slots[i].seq < end)
				end = s->slots[i].seq;
	return end;
}

static void gap_open(struct ps_moldudp_session *s, uint64_t now_ns, uint64_t recv_tsc)
{
	s->gap_open = true;
	s->gap_from = s->next_seq;
	s->req_end = 0;
	s->retries = 0;
	s->timeout_ns = s->cfg.retry_timeout_ns;
	s->deadline_ns = now_ns + s->cfg.gap_wait_ns;
	s->stats.gaps++;
	emit(s, PS_MOLDUDP_EV_GAP, s->next_seq, gap_end(s), recv_tsc);
}

/* After next_seq moved: close the gap when nothing is missing any more. */
static void gap_progress(struct ps_moldudp_session *s, uint64_t now_ns, uint64_t recv_tsc)
{
	if (s->next_seq >= s->hi_seq) {
		emit(s, PS_MOLDUDP_EV_RECOVERED, s->gap_from, s->next_seq, recv_tsc);
		s->gap_open = false;
		return;
	}
	s->retries = 0;
	s->timeout_ns = s->cfg.retry_timeout_ns;
	if (s->next_seq < s->req_end) {
		/* Part of the requested range arrived: the answer is flowing, give it time. */
		s->deadline_ns = now_ns + s->timeout_ns;
	} else {
		/* Everything asked for arrived; what is missing now is a new hole. */
		s->stats.gaps++;
		s->deadline_ns = now_ns + s->cfg.gap_wait_ns;
	}
}

static void buffer_future(struct ps_moldudp_session *s, const uint8_t *pkt, size_t len,
			  const struct ps_moldudp_hdr *h, uint64_t recv_tsc)
{
	uint32_t free_slot = UINT32_MAX;

	for (uint32_t i = 0; i < s->cfg.reorder_slots; i++) {
		const struct ps_moldudp_slot *sl = &s->slots[i];

		if (!sl->len) {
			if (free_slot == UINT32_MAX)
				free_slot = i;
		} else if (sl->seq == h->seq && sl->end >= h->seq + h->count) {
			s->stats.duplicates++;
			return;
		}
	}
	if (free_slot == UINT32_MAX || len > s->cfg.slot_len) {
		s->stats.slot_drops++;
		return;
	}
	struct ps_moldudp_slot *sl = &s->slots[free_slot];
	memcpy(slot_bytes(s, free_slot), pkt, len);
	sl->seq = h->seq;
	sl->end = h->seq + h->count;
	sl->recv_tsc = recv_tsc;
	sl->len = (uint32_t)len;
	s->used_slots++;
	s->stats.reordered++;
}

int ps_moldudp_session_on_packet(struct ps_moldudp_session *s, const uint8_t *pkt, size_t len,
				 uint64_t recv_tsc, uint64_t now_ns)
{
	struct ps_moldudp_hdr h;
	int n = 0;
	int rc = ps_moldudp_packet_validate(pkt, len, &h, NULL);

	if (ps_unlikely(rc < 0)) {
		s->stats.malformed++;
		return rc;
	}
	/* Sequence space ends at 2^64 - 1: a packet that would wrap it is bogus. */
	if (ps_unlikely(h.seq > UINT64_MAX - PS_MOLDUDP_COUNT_END)) {
		s->stats.malformed++;
		return PS_EPROTOCOL;
	}
	if (ps_unlikely(!s->have_session)) {
		memcpy(s->cfg.session, h.session, PS_MOLDUDP_SESSION_LEN);
		s->have_session = true;
	} else if (ps_unlikely(memcmp(s->cfg.session, h.session, PS_MOLDUDP_SESSION_LEN) != 0)) {
		s->stats.wrong_session++;
		return PS_EPROTOCOL;
	}
	if (ps_unlikely(s->next_seq == 0)) /* join at the first packet seen */
		s->next_seq = s->hi_seq = h.seq;

	uint64_t end = h.seq + ps_moldudp_hdr_msg_count(&h);
	if (end > s->hi_seq)
		s->hi_seq = end;

	if (ps_unlikely(h.count == 0 || h.count == PS_MOLDUDP_COUNT_END)) {
		if (h.count == 0) {
			s->stats.heartbeats++;
		} else if (!s->ended) {
			s->ended = true;
			emit(s, PS_MOLDUDP_EV_END_OF_SESSION, h.seq, h.seq, recv_tsc);
		}
		/* A heartbeat announcing a later sequence means we missed the tail. */
		if (!s->gap_open && s->hi_seq > s->next_seq)
			gap_open(s, now_ns, recv_tsc);
		return 0;
	}
	s->stats.packets++;
	if (end <= s->next_seq) {
		s->stats.duplicates++;
		return 0;
	}
	if (h.seq > s->next_seq) {
		buffer_future(s, pkt, len, &h, recv_tsc);
		if (!s->gap_open)
			gap_open(s, now_ns, recv_tsc);
		return 0;
	}
	n = deliver(s, pkt, len, &h, recv_tsc);
	if (ps_unlikely(s->used_slots))
		n += drain(s);
	if (ps_unlikely(s->gap_open))
		gap_progress(s, now_ns, recv_tsc);
	return n;
}

int ps_moldudp_session_poll(struct ps_moldudp_session *s, uint64_t now_ns)
{
	if (ps_likely(!s->gap_open) || now_ns < s->deadline_ns)
		return 0;

	uint64_t end = gap_end(s);
	if (s->retries < s->cfg.max_retries && s->cfg.send_request) {
		struct ps_moldudp_request r;
		uint8_t pkt[PS_MOLDUDP_REQUEST_LEN];
		uint64_t want = end - s->next_seq;

		memcpy(r.session, s->cfg.session, PS_MOLDUDP_SESSION_LEN);
		r.seq = s->next_seq;
		r.count = (uint16_t)PS_MIN(want, (uint64_t)s->cfg.max_request_count);
		(void)ps_moldudp_request_encode(pkt, sizeof(pkt), &r);
		if (s->cfg.send_request(s->cfg.ctx, pkt, sizeof(pkt)) < 0)
			s->stats.request_errors++;
		s->stats.requests++;
		s->req_end = r.seq + r.count;
		s->retries++;
		s->deadline_ns = now_ns + s->timeout_ns;
		s->timeout_ns = PS_MIN(s->timeout_ns * 2, s->cfg.retry_max_timeout_ns);
		return 0;
	}

	/* Out of retries: give the hole up, tell the book, go on from what we have. */
	s->stats.stale++;
	s->stats.stale_messages += end - s->next_seq;
	emit(s, PS_MOLDUDP_EV_STALE, s->next_seq, end, 0);
	s->next_seq = end;
	s->gap_open = false;
	int n = drain(s);
	if (s->next_seq < s->hi_seq) {
		/* Another hole lies behind the buffered packets: chase it without the wait. */
		gap_open(s, now_ns, 0);
		s->deadline_ns = now_ns;
	}
	return n;
}
