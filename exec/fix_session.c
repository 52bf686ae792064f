/*
 * FIX 4.4 session layer. See <ps/fix_session.h>. All now_ns values are
 * real (UTC) time, because SendingTime is compared with them.
 */
#include <ps/fix_session.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <ps/clock.h>

#define SEQ_MAGIC         0x5053464958534551ull /* "PSFIXSEQ" */
#define DEFAULT_HB_S      30u
#define DEFAULT_TOL_S     120u
#define DEFAULT_STORE     1024u
#define DEFAULT_SLOT      512u
#define DEFAULT_QUEUE     64u
#define DEFAULT_RX        65536u
#define QUEUE_SLOT        2048u
#define LOGON_TIMEOUT_NS  10000000000ull
#define LOGOUT_TIMEOUT_NS 2000000000ull
#define NS                1000000000ull

/* A stored message: seq, body length, MsgType, original SendingTime, body. */
struct slot_hdr {
	uint64_t seq;
	uint32_t len;
	char type[2];
	uint8_t orig_time[21];
};

struct queue_hdr {
	uint64_t seq;
	uint32_t len; /* 0 = free */
};

static uint32_t store_count_of(const struct ps_fix_session_config *c)
{
	return c->store_count ? c->store_count : DEFAULT_STORE;
}

static uint32_t slot_len_of(const struct ps_fix_session_config *c)
{
	return (c->store_slot_len ? c->store_slot_len : DEFAULT_SLOT) +
	       (uint32_t)sizeof(struct slot_hdr);
}

static uint32_t queue_count_of(const struct ps_fix_session_config *c)
{
	return c->queue_count ? c->queue_count : DEFAULT_QUEUE;
}

static uint32_t rx_cap_of(const struct ps_fix_session_config *c)
{
	return c->rx_cap ? c->rx_cap : DEFAULT_RX;
}

static uint32_t scratch_of(const struct ps_fix_session_config *c)
{
	/* a resent message: its body plus a full header and trailer */
	return slot_len_of(c) + 512u + QUEUE_SLOT;
}

size_t ps_fix_session_memsize(const struct ps_fix_session_config *cfg)
{
	if (!cfg)
		return 0;
	return (size_t)store_count_of(cfg) * slot_len_of(cfg) +
	       (size_t)queue_count_of(cfg) * (QUEUE_SLOT + sizeof(struct queue_hdr)) +
	       rx_cap_of(cfg) + scratch_of(cfg);
}

uint64_t ps_fix_realtime_ns(void)
{
	return ps_clock_realtime_ns();
}

static uint32_t num(const uint8_t *p, uint32_t n)
{
	uint32_t v = 0;
	for (uint32_t i = 0; i < n; i++)
		v = v * 10 + (uint32_t)(p[i] - '0');
	return v;
}

static bool all_digits(const uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

bool ps_fix_parse_utc(const uint8_t *p, uint32_t n, uint64_t *ns)
{
	if ((n != 17 && n != 21) || !all_digits(p, 8) || p[8] != '-' || !all_digits(p + 9, 2) ||
	    p[11] != ':' || !all_digits(p + 12, 2) || p[14] != ':' || !all_digits(p + 15, 2))
		return false;
	uint32_t ms = 0;
	if (n == 21) {
		if (p[17] != '.' || !all_digits(p + 18, 3))
			return false;
		ms = num(p + 18, 3);
	}
	unsigned mo = num(p + 4, 2), d = num(p + 6, 2);
	if (mo < 1 || mo > 12 || d < 1 || d > 31)
		return false;
	int64_t days = days_from_civil(num(p, 4), mo, d);
	int64_t secs = days * 86400 + num(p + 9, 2) * 3600 + num(p + 12, 2) * 60 + num(p + 15, 2);
	if (secs < 0)
		return false;
	*ns = (uint64_t)secs * NS + (uint64_t)ms * 1000000ull;
	return true;
}

static int open_seq_file(struct ps_fix_session *s, const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, sizeof(struct ps_fix_seq_file)) != 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	void *m =
	    mmap(NULL, sizeof(struct ps_fix_seq_file), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		int e = -errno;
		close(fd);
		return e;
	}
	s->seq = m;
	s->seq_fd = fd;
	if (s->seq->magic != SEQ_MAGIC || s->seq->next_out == 0 || s->seq->next_in == 0) {
		s->seq->next_out = 1;
		s->seq->next_in = 1;
		s->seq->magic = SEQ_MAGIC;
	}
	return 0;
}

static void copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strlen(src) : 0;
	if (n >= cap)
		n = cap - 1;
	if (n)
		memcpy(dst, src, n);
	dst[n] = 0;
}

int ps_fix_session_init(struct ps_fix_session *s, void *mem,
			const struct ps_fix_session_config *cfg)
{
	if (!s || !mem || !cfg || !cfg->send)
		return -EINVAL;
	uint32_t sc = store_count_of(cfg);
	if (sc & (sc - 1))
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	int rc = ps_fix_enc_init(&s->enc, cfg->sender_comp_id, cfg->target_comp_id);
	if (rc)
		return rc;
	uint8_t *m = mem;
	s->store = m;
	s->store_count = sc;
	s->store_slot_len = slot_len_of(cfg);
	m += (size_t)sc * s->store_slot_len;
	s->queue = m;
	s->queue_count = queue_count_of(cfg);
	s->queue_slot_len = QUEUE_SLOT + (uint32_t)sizeof(struct queue_hdr);
	m += (size_t)s->queue_count * s->queue_slot_len;
	s->rx = m;
	s->rx_cap = rx_cap_of(cfg);
	m += s->rx_cap;
	s->scratch = m;
	s->scratch_len = scratch_of(cfg);
	for (uint32_t i = 0; i < sc; i++)
		((struct slot_hdr *)(s->store + (size_t)i * s->store_slot_len))->seq = 0;
	for (uint32_t i = 0; i < s->queue_count; i++)
		((struct queue_hdr *)(s->queue + (size_t)i * s->queue_slot_len))->len = 0;
	s->initiator = cfg->initiator;
	s->heart_bt_int_s = cfg->heart_bt_int_s ? cfg->heart_bt_int_s : DEFAULT_HB_S;
	s->tolerance_s =
	    cfg->sending_time_tolerance_s ? cfg->sending_time_tolerance_s : DEFAULT_TOL_S;
	s->reset_on_logon = cfg->reset_on_logon;
	s->reset_on_disconnect = cfg->reset_on_disconnect;
	copy_str(s->username, sizeof(s->username), cfg->username);
	copy_str(s->password, sizeof(s->password), cfg->password);
	s->send = cfg->send;
	s->on_app = cfg->on_app;
	s->on_event = cfg->on_event;
	s->on_logon = cfg->on_logon;
	s->ctx = cfg->ctx;
	s->seq_fd = -1;
	s->seq = &s->mem_seq;
	s->mem_seq.next_out = 1;
	s->mem_seq.next_in = 1;
	if (cfg->store_path) {
		rc = open_seq_file(s, cfg->store_path);
		if (rc)
			return rc;
	}
	return 0;
}

void ps_fix_session_fini(struct ps_fix_session *s)
{
	if (!s)
		return;
	if (s->seq_fd >= 0) {
		munmap(s->seq, sizeof(struct ps_fix_seq_file));
		close(s->seq_fd);
	}
	memset(s, 0, sizeof(*s));
	s->seq_fd = -1;
}

void ps_fix_session_set_seq(struct ps_fix_session *s, uint64_t next_out, uint64_t next_in)
{
	s->seq->next_out = next_out;
	s->seq->next_in = next_in;
	for (uint32_t i = 0; i < s->store_count; i++)
		((struct slot_hdr *)(s->store + (size_t)i * s->store_slot_len))->seq = 0;
}

static void request_close(struct ps_fix_session *s, int err)
{
	if (s->want_close)
		return;
	s->want_close = true;
	s->close_err = err;
	if (s->on_event)
		s->on_event(s->ctx, s, PS_FIX_SESSION_EV_CLOSE, err);
}

/* --- building messages ---------------------------------------------- */

/* Views of a field of the message being handled, for reverse routing. */
static bool cur_value(const struct ps_fix_session *s, int32_t tag, const uint8_t **v, uint32_t *n)
{
	if (!s->cur)
		return false;
	int32_t i = ps_fix_msg_find(s->cur, tag);
	if (i < 0 || s->cur->fields[i].len == 0)
		return false;
	*v = ps_fix_msg_value(s->cur, (uint32_t)i);
	*n = s->cur->fields[i].len;
	return true;
}

/*
 * Header in tag order: 35, 34, [43], 49, 52, 56, then OrigSendingTime (122)
 * and the reverse route of the message being handled (115/116/144 answered
 * with 128/129/145 and the other way round), in tag order.
 * orig_time: OrigSendingTime for a resend (21 bytes), else NULL.
 */
static uint32_t begin(struct ps_fix_session *s, const char *type, uint64_t seq, uint64_t now_ns,
		      const uint8_t *orig_time)
{
	uint8_t *b = s->scratch;
	uint8_t *p = b + PS_FIX_PREFIX_ROOM;
	uint32_t n = 0;
	p[n++] = '3';
	p[n++] = '5';
	p[n++] = '=';
	p[n++] = (uint8_t)type[0];
	if (type[1])
		p[n++] = (uint8_t)type[1];
	p[n++] = PS_FIX_SOH;
	n = ps_fix_add_u64(b, n, 34, seq);
	if (orig_time)
		n = ps_fix_add_char(b, n, 43, 'Y');
	memcpy(p + n, s->enc.sender, s->enc.sender_len);
	n += s->enc.sender_len;
	n = ps_fix_add_time(&s->enc, b, n, 52, now_ns);
	memcpy(p + n, s->enc.target, s->enc.target_len);
	n += s->enc.target_len;
	/* reverse route, in tag order around OrigSendingTime (122) */
	static const int32_t route[][2] = { { 128, 115 }, { 129, 116 }, { 0, 122 },  { 115, 128 },
					    { 116, 129 }, { 145, 144 }, { 144, 145 } };
	for (unsigned i = 0; i < sizeof(route) / sizeof(route[0]); i++) {
		const uint8_t *v;
		uint32_t vn;
		if (route[i][0] == 0) {
			if (orig_time)
				n = ps_fix_add_str(b, n, 122, orig_time, 21);
		} else if (cur_value(s, route[i][0], &v, &vn) && vn < 64) {
			n = ps_fix_add_str(b, n, (uint32_t)route[i][1], v, vn);
		}
	}
	return n;
}

static bool finish_send(struct ps_fix_session *s, uint32_t body_len, uint64_t now_ns)
{
	uint32_t start;
	uint32_t len = ps_fix_enc_finish(s->scratch, body_len, &start);
	s->last_tx_ns = now_ns;
	s->stats.tx_msgs++;
	return s->send(s->ctx, s->scratch + start, len);
}

/* Session message with the next sequence number. */
static uint32_t begin_next(struct ps_fix_session *s, const char *type, uint64_t now_ns)
{
	return begin(s, type, s->seq->next_out++, now_ns, NULL);
}

static void send_heartbeat(struct ps_fix_session *s, const uint8_t *id, uint32_t id_len,
			   uint64_t now_ns)
{
	uint32_t n = begin_next(s, "0", now_ns);
	if (id)
		n = ps_fix_add_str(s->scratch, n, 112, id, id_len);
	s->stats.heartbeats_tx++;
	finish_send(s, n, now_ns);
}

static void send_logout(struct ps_fix_session *s, const char *text, uint64_t now_ns)
{
	uint32_t n = begin_next(s, "5", now_ns);
	if (text)
		n = ps_fix_add_str(s->scratch, n, 58, text, (uint32_t)strlen(text));
	finish_send(s, n, now_ns);
}

static void send_logon(struct ps_fix_session *s, bool reset, uint64_t now_ns)
{
	uint32_t n = begin_next(s, "A", now_ns);
	n = ps_fix_add_char(s->scratch, n, 98, '0');
	n = ps_fix_add_u64(s->scratch, n, 108, s->heart_bt_int_s);
	if (reset)
		n = ps_fix_add_char(s->scratch, n, 141, 'Y');
	if (s->initiator && s->username[0])
		n = ps_fix_add_str(s->scratch, n, 553, s->username, (uint32_t)strlen(s->username));
	if (s->initiator && s->password[0])
		n = ps_fix_add_str(s->scratch, n, 554, s->password, (uint32_t)strlen(s->password));
	finish_send(s, n, now_ns);
}

static void send_resend_request(struct ps_fix_session *s, uint64_t from, uint64_t upto,
				uint64_t now_ns)
{
	uint32_t n = begin_next(s, "2", now_ns);
	n = ps_fix_add_u64(s->scratch, n, 7, from);
	n = ps_fix_add_u64(s->scratch, n, 16, 0);
	s->resend_active = true;
	s->resend_begin = from;
	s->resend_end = upto;
	s->stats.resend_requests_tx++;
	finish_send(s, n, now_ns);
}

/* Session-level Reject of m. */
static void send_reject(struct ps_fix_session *s, const struct ps_fix_msg *m, uint64_t ref_seq,
			bool has_seq, const struct ps_fix_reject *r, uint64_t now_ns)
{
	uint32_t n = begin_next(s, "3", now_ns);
	if (has_seq)
		n = ps_fix_add_u64(s->scratch, n, 45, ref_seq);
	const char *text = ps_fix_reject_text(r->reason);
	n = ps_fix_add_str(s->scratch, n, 58, text, (uint32_t)strlen(text));
	if (r->has_ref_tag) {
		/* RefTagID is an int: a negative tag is written as the peer sent it */
		uint8_t tmp[16];
		uint32_t k = 0;
		if (r->ref_tag < 0)
			tmp[k++] = '-';
		k += ps_fix_put_u64(tmp + k, (uint64_t)(r->ref_tag < 0 ? -(int64_t)r->ref_tag
								       : (int64_t)r->ref_tag));
		n = ps_fix_add_str(s->scratch, n, 371, tmp, k);
	}
	n = ps_fix_add_str(s->scratch, n, 372, m->buf + m->type_off, m->type_len);
	n = ps_fix_add_u64(s->scratch, n, 373, (uint64_t)r->reason);
	s->stats.rejects_tx++;
	finish_send(s, n, now_ns);
}

void ps_fix_session_business_reject(struct ps_fix_session *s, const struct ps_fix_msg *m,
				    uint32_t reason, const char *text, uint64_t now_ns)
{
	if (s->state != PS_FIX_SESSION_LOGGED_ON)
		return;
	uint64_t seq = 0;
	uint32_t n = begin_next(s, "j", now_ns);
	if (ps_fix_msg_u64(m, 34, &seq))
		n = ps_fix_add_u64(s->scratch, n, 45, seq);
	if (text)
		n = ps_fix_add_str(s->scratch, n, 58, text, (uint32_t)strlen(text));
	n = ps_fix_add_str(s->scratch, n, 372, m->buf + m->type_off, m->type_len);
	n = ps_fix_add_u64(s->scratch, n, 380, reason);
	finish_send(s, n, now_ns);
}

static struct slot_hdr *slot_of(struct ps_fix_session *s, uint64_t seq)
{
	return (struct slot_hdr *)(s->store +
				   (size_t)(seq & (s->store_count - 1)) * s->store_slot_len);
}

int ps_fix_session_send(struct ps_fix_session *s, const char *type, const uint8_t *body,
			uint32_t body_len, uint64_t now_ns)
{
	if (s->state != PS_FIX_SESSION_LOGGED_ON)
		return -ENOTCONN;
	if (body_len + 256u > s->scratch_len)
		return -EMSGSIZE;
	uint64_t seq = s->seq->next_out;
	uint32_t n = begin_next(s, type, now_ns);
	memcpy(s->scratch + PS_FIX_PREFIX_ROOM + n, body, body_len);
	struct slot_hdr *h = slot_of(s, seq);
	if (body_len <= s->store_slot_len - sizeof(*h)) {
		h->seq = seq;
		h->len = body_len;
		h->type[0] = type[0];
		h->type[1] = type[1];
		ps_fix_put_time(&s->enc, h->orig_time, now_ns);
		memcpy(h + 1, body, body_len);
	} else {
		h->seq = 0; /* too big to keep: gap-filled on resend */
	}
	return finish_send(s, n + body_len, now_ns) ? 0 : PS_EFULL;
}

int ps_fix_session_keep(struct ps_fix_session *s, const char *type, const uint8_t *body,
			uint32_t body_len, uint64_t now_ns)
{
	if (s->state == PS_FIX_SESSION_LOGGED_ON)
		return -EISCONN;
	if (body_len > s->store_slot_len - sizeof(struct slot_hdr))
		return -EMSGSIZE;
	uint64_t seq = s->seq->next_out++;
	struct slot_hdr *h = slot_of(s, seq);
	h->seq = seq;
	h->len = body_len;
	h->type[0] = type[0];
	h->type[1] = type[1];
	ps_fix_put_time(&s->enc, h->orig_time, now_ns);
	memcpy(h + 1, body, body_len);
	return 0;
}

static void send_gap_fill(struct ps_fix_session *s, uint64_t seq, uint64_t new_seq, uint64_t now_ns)
{
	uint8_t t[21];
	ps_fix_put_time(&s->enc, t, now_ns);
	uint32_t n = begin(s, "4", seq, now_ns, t);
	n = ps_fix_add_u64(s->scratch, n, 36, new_seq);
	n = ps_fix_add_char(s->scratch, n, 123, 'Y');
	s->stats.gap_fills_tx++;
	finish_send(s, n, now_ns);
}

static void resend(struct ps_fix_session *s, uint64_t from, uint64_t to, uint64_t now_ns)
{
	uint64_t last = s->seq->next_out - 1;
	if (to == 0 || to > last)
		to = last;
	if (from == 0)
		from = 1;
	uint64_t gap = 0; /* first seq of a pending gap fill, 0 = none */
	for (uint64_t q = from; q <= to; q++) {
		struct slot_hdr *h = slot_of(s, q);
		if (h->seq != q) {
			if (!gap)
				gap = q;
			continue;
		}
		if (gap) {
			send_gap_fill(s, gap, q, now_ns);
			gap = 0;
		}
		char type[3] = { h->type[0], h->type[1], 0 };
		uint32_t n = begin(s, type, q, now_ns, h->orig_time);
		memcpy(s->scratch + PS_FIX_PREFIX_ROOM + n, h + 1, h->len);
		finish_send(s, n + h->len, now_ns);
	}
	if (gap)
		send_gap_fill(s, gap, to + 1, now_ns);
}

/* --- receiving -------------------------------------------------------- */

static bool field_is(const struct ps_fix_msg *m, int32_t tag, const uint8_t *v, uint32_t n)
{
	int32_t i = ps_fix_msg_find(m, tag);
	return i >= 0 && m->fields[i].len == n && memcmp(m->buf + m->fields[i].off, v, n) == 0;
}

static bool flag_set(const struct ps_fix_msg *m, int32_t tag)
{
	int32_t i = ps_fix_msg_find(m, tag);
	return i >= 0 && m->fields[i].len == 1 && m->buf[m->fields[i].off] == 'Y';
}

static bool comp_ok(const struct ps_fix_session *s, const struct ps_fix_msg *m)
{
	/* theirs is our target, ours is their target */
	return field_is(m, 49, s->enc.target + 3, s->enc.target_len - 4) &&
	       field_is(m, 56, s->enc.sender + 3, s->enc.sender_len - 4);
}

static bool time_ok(const struct ps_fix_session *s, const struct ps_fix_msg *m, uint64_t now_ns)
{
	int32_t i = ps_fix_msg_find(m, 52);
	uint64_t t;
	if (i < 0 || !ps_fix_parse_utc(m->buf + m->fields[i].off, m->fields[i].len, &t))
		return false;
	uint64_t tol = (uint64_t)s->tolerance_s * NS;
	return t + tol >= now_ns && t <= now_ns + tol;
}

static void queue_put(struct ps_fix_session *s, uint64_t seq, const struct ps_fix_msg *m)
{
	if (m->len > QUEUE_SLOT)
		return;
	struct queue_hdr *free_slot = NULL;
	for (uint32_t i = 0; i < s->queue_count; i++) {
		struct queue_hdr *q =
		    (struct queue_hdr *)(s->queue + (size_t)i * s->queue_slot_len);
		if (q->len && q->seq == seq)
			return;
		if (!q->len && !free_slot)
			free_slot = q;
	}
	if (!free_slot)
		return; /* full: the peer resends it when asked */
	free_slot->seq = seq;
	free_slot->len = m->len;
	memcpy(free_slot + 1, m->buf, m->len);
}

static void logout_and_close(struct ps_fix_session *s, const char *text, uint64_t now_ns)
{
	send_logout(s, text, now_ns);
	s->state = PS_FIX_SESSION_LOGOUT_SENT;
	s->deadline_ns = now_ns + LOGOUT_TIMEOUT_NS;
}

/* Common checks of a logged-on message. @return true to process it. */
static bool verify(struct ps_fix_session *s, const struct ps_fix_msg *m, uint64_t seq,
		   bool check_high, bool check_low, uint64_t now_ns)
{
	struct ps_fix_reject r = { 0 };
	if (!comp_ok(s, m)) {
		r.reason = PS_FIX_REJ_COMP_ID;
		send_reject(s, m, seq, true, &r, now_ns);
		logout_and_close(s, NULL, now_ns);
		return false;
	}
	if (!time_ok(s, m, now_ns)) {
		r.reason = PS_FIX_REJ_SENDING_TIME;
		send_reject(s, m, seq, true, &r, now_ns);
		logout_and_close(s, NULL, now_ns);
		return false;
	}
	uint64_t expect = s->seq->next_in;
	if (check_high && seq > expect) {
		queue_put(s, seq, m);
		if (!(s->resend_active && seq >= s->resend_begin))
			send_resend_request(s, expect, seq - 1, now_ns);
		return false;
	}
	if (check_low && seq < expect) {
		if (flag_set(m, 43)) {
			int32_t oi = ps_fix_msg_find(m, 122);
			int32_t si = ps_fix_msg_find(m, 52);
			uint64_t ot, st;
			if (oi < 0) {
				r.reason = PS_FIX_REJ_REQUIRED_MISSING;
				r.ref_tag = 122;
				r.has_ref_tag = true;
				send_reject(s, m, seq, true, &r, now_ns);
			} else if (si >= 0 &&
				   ps_fix_parse_utc(m->buf + m->fields[oi].off, m->fields[oi].len,
						    &ot) &&
				   ps_fix_parse_utc(m->buf + m->fields[si].off, m->fields[si].len,
						    &st) &&
				   ot > st) {
				r.reason = PS_FIX_REJ_SENDING_TIME;
				send_reject(s, m, seq, true, &r, now_ns);
				logout_and_close(s, NULL, now_ns);
			}
			return false;
		}
		char text[96];
		snprintf(text, sizeof(text), "MsgSeqNum too low, expecting %llu but received %llu",
			 (unsigned long long)expect, (unsigned long long)seq);
		send_logout(s, text, now_ns);
		request_close(s, PS_EPROTOCOL);
		return false;
	}
	if (s->resend_active && seq >= s->resend_end)
		s->resend_active = false;
	return true;
}

static void incr_if_expected(struct ps_fix_session *s, uint64_t seq)
{
	if (seq == s->seq->next_in)
		s->seq->next_in++;
}

static void logged_on(struct ps_fix_session *s, uint64_t now_ns)
{
	s->state = PS_FIX_SESSION_LOGGED_ON;
	s->test_requests = 0;
	s->last_rx_ns = now_ns;
	if (s->on_event)
		s->on_event(s->ctx, s, PS_FIX_SESSION_EV_LOGGED_ON, 0);
}

static void on_logon(struct ps_fix_session *s, const struct ps_fix_msg *m, uint64_t seq,
		     uint64_t now_ns)
{
	bool reset = flag_set(m, 141);
	if (s->state == PS_FIX_SESSION_LOGGED_ON) {
		if (!reset) {
			if (verify(s, m, seq, true, true, now_ns))
				incr_if_expected(s, seq);
			return;
		}
		/* in-session reset: both sides start again at 1 */
		ps_fix_session_set_seq(s, 1, seq + 1);
		send_logon(s, true, now_ns);
		return;
	}
	if (!comp_ok(s, m) || !time_ok(s, m, now_ns)) {
		request_close(s, PS_ELOGIN);
		return;
	}
	uint64_t hb = 0;
	if (!ps_fix_msg_u64(m, 108, &hb) || hb > 3600) {
		request_close(s, PS_ELOGIN);
		return;
	}
	if (!s->initiator) {
		if (s->on_logon && s->on_logon(s->ctx, s, m) != 0) {
			send_logout(s, "Logon rejected", now_ns);
			request_close(s, PS_ELOGIN);
			return;
		}
		s->heart_bt_int_s = (uint32_t)hb;
		if (reset || s->reset_on_logon)
			ps_fix_session_set_seq(s, 1, 1);
		if (seq < s->seq->next_in) {
			char text[96];
			snprintf(text, sizeof(text),
				 "MsgSeqNum too low, expecting %llu but received %llu",
				 (unsigned long long)s->seq->next_in, (unsigned long long)seq);
			send_logout(s, text, now_ns);
			request_close(s, PS_ESEQLOW);
			return;
		}
		send_logon(s, reset, now_ns);
	} else if (s->sent_reset && reset) {
		s->seq->next_in = 1;
	} else if (seq < s->seq->next_in) {
		send_logout(s, "MsgSeqNum too low", now_ns);
		request_close(s, PS_ESEQLOW);
		return;
	}
	logged_on(s, now_ns);
	if (seq > s->seq->next_in)
		send_resend_request(s, s->seq->next_in, seq - 1, now_ns);
	else
		s->seq->next_in++;
}

static void handle(struct ps_fix_session *s, const struct ps_fix_msg *m, uint64_t now_ns);

/* Processes queued messages that are now in sequence. */
static void drain_queue(struct ps_fix_session *s, uint64_t now_ns)
{
	bool again = true;
	while (again && s->state == PS_FIX_SESSION_LOGGED_ON && !s->want_close) {
		again = false;
		for (uint32_t i = 0; i < s->queue_count; i++) {
			struct queue_hdr *q =
			    (struct queue_hdr *)(s->queue + (size_t)i * s->queue_slot_len);
			if (!q->len)
				continue;
			if (q->seq < s->seq->next_in) {
				q->len = 0;
				continue;
			}
			if (q->seq != s->seq->next_in)
				continue;
			/* copy out: handling may queue into this slot again */
			uint32_t len = q->len;
			uint8_t *tmp = s->scratch + s->scratch_len - QUEUE_SLOT;
			memcpy(tmp, q + 1, len);
			q->len = 0;
			struct ps_fix_msg msg;
			if (ps_fix_parse(tmp, len, &msg) == 0) {
				const struct ps_fix_msg *saved = s->cur;
				handle(s, &msg, now_ns);
				s->cur = saved;
			}
			again = true;
			break;
		}
	}
}

static void handle(struct ps_fix_session *s, const struct ps_fix_msg *m, uint64_t now_ns)
{
	s->cur = m;
	uint64_t seq = 0;
	int32_t si = ps_fix_msg_find(m, 34);
	bool has_seq =
	    si >= 0 && ps_fix_view_u64(m->buf + m->fields[si].off, m->fields[si].len, &seq);
	bool awaiting = s->state == PS_FIX_SESSION_AWAIT_LOGON;
	if (awaiting && !ps_fix_msg_is(m, "A")) {
		request_close(s, PS_ELOGIN);
		return;
	}
	struct ps_fix_reject r;
	if (!ps_fix_validate(m, &r)) {
		if (awaiting || ps_fix_msg_is(m, "A")) {
			request_close(s, PS_ELOGIN);
			return;
		}
		send_reject(s, m, seq, has_seq, &r, now_ns);
		if (has_seq && seq == s->seq->next_in) {
			s->seq->next_in++;
			drain_queue(s, now_ns);
		}
		return;
	}
	if (m->type_len == 1) {
		switch (m->buf[m->type_off]) {
		case 'A':
			on_logon(s, m, seq, now_ns);
			break;
		case '0':
			if (verify(s, m, seq, true, true, now_ns))
				incr_if_expected(s, seq);
			break;
		case '1':
			if (verify(s, m, seq, true, true, now_ns)) {
				int32_t i = ps_fix_msg_find(m, 112);
				send_heartbeat(s, ps_fix_msg_value(m, (uint32_t)i),
					       m->fields[i].len, now_ns);
				incr_if_expected(s, seq);
			}
			break;
		case '2':
			if (verify(s, m, seq, false, false, now_ns)) {
				uint64_t from = 0, to = 0;
				ps_fix_msg_u64(m, 7, &from);
				ps_fix_msg_u64(m, 16, &to);
				s->stats.resends_rx++;
				s->cur = NULL;
				resend(s, from, to, now_ns);
				s->cur = m;
				incr_if_expected(s, seq);
			}
			break;
		case '3':
			if (verify(s, m, seq, true, true, now_ns))
				incr_if_expected(s, seq);
			break;
		case '4': {
			bool gap_fill = flag_set(m, 123);
			if (!verify(s, m, seq, gap_fill, gap_fill, now_ns))
				break;
			uint64_t nx = 0;
			ps_fix_msg_u64(m, 36, &nx);
			if (nx < s->seq->next_in) {
				r.reason = PS_FIX_REJ_VALUE_OUT_OF_RANGE;
				r.ref_tag = 36;
				r.has_ref_tag = true;
				send_reject(s, m, seq, has_seq, &r, now_ns);
				break;
			}
			s->seq->next_in = nx;
			if (s->resend_active && nx > s->resend_end)
				s->resend_active = false;
			break;
		}
		case '5':
			if (!verify(s, m, seq, false, false, now_ns))
				break;
			incr_if_expected(s, seq);
			if (s->state != PS_FIX_SESSION_LOGOUT_SENT)
				send_logout(s, NULL, now_ns);
			if (s->on_event)
				s->on_event(s->ctx, s, PS_FIX_SESSION_EV_LOGGED_OUT, 0);
			request_close(s, 0);
			return;
		default:
			goto app;
		}
		drain_queue(s, now_ns);
		return;
	}
app:
	if (!verify(s, m, seq, true, true, now_ns))
		return;
	if (flag_set(m, 43) && ps_fix_msg_find(m, 122) < 0) {
		r.reason = PS_FIX_REJ_REQUIRED_MISSING;
		r.ref_tag = 122;
		r.has_ref_tag = true;
		send_reject(s, m, seq, true, &r, now_ns);
		incr_if_expected(s, seq);
		drain_queue(s, now_ns);
		return;
	}
	incr_if_expected(s, seq);
	if (s->on_app)
		s->on_app(s->ctx, s, m, now_ns);
	s->cur = m;
	drain_queue(s, now_ns);
}

uint8_t *ps_fix_session_rx_buf(struct ps_fix_session *s, uint32_t *room)
{
	*room = s->rx_cap - s->rx_len;
	return s->rx + s->rx_len;
}

void ps_fix_session_rx_commit(struct ps_fix_session *s, uint32_t n, uint64_t now_ns)
{
	s->rx_len += n;
	uint32_t off = 0;
	while (!s->want_close && off < s->rx_len) {
		int32_t f = ps_fix_frame(s->rx + off, s->rx_len - off);
		if (f == 0)
			break;
		if (f < 0) {
			off += (uint32_t)-f;
			s->stats.garbled++;
			continue;
		}
		struct ps_fix_msg m;
		int rc = ps_fix_parse(s->rx + off, (uint32_t)f, &m);
		off += (uint32_t)f;
		s->last_rx_ns = now_ns;
		s->test_requests = 0;
		if (rc) {
			s->stats.garbled++;
			if (s->state == PS_FIX_SESSION_AWAIT_LOGON)
				request_close(s, PS_EPROTOCOL);
			continue;
		}
		s->stats.rx_msgs++;
		handle(s, &m, now_ns);
		s->cur = NULL;
	}
	if (off) {
		memmove(s->rx, s->rx + off, s->rx_len - off);
		s->rx_len -= off;
	}
	if (s->rx_len == s->rx_cap) /* one frame larger than the buffer: drop it */
		s->rx_len = 0;
}

void ps_fix_session_connected(struct ps_fix_session *s, uint64_t now_ns)
{
	s->want_close = false;
	s->close_err = 0;
	s->rx_len = 0;
	s->resend_active = false;
	s->test_requests = 0;
	s->last_rx_ns = s->last_tx_ns = now_ns;
	s->deadline_ns = now_ns + LOGON_TIMEOUT_NS;
	s->state = PS_FIX_SESSION_AWAIT_LOGON;
	for (uint32_t i = 0; i < s->queue_count; i++)
		((struct queue_hdr *)(s->queue + (size_t)i * s->queue_slot_len))->len = 0;
	if (s->initiator) {
		s->sent_reset = s->reset_on_logon;
		if (s->sent_reset)
			ps_fix_session_set_seq(s, 1, 1);
		send_logon(s, s->sent_reset, now_ns);
	}
}

void ps_fix_session_disconnected(struct ps_fix_session *s)
{
	s->state = PS_FIX_SESSION_DISCONNECTED;
	s->want_close = false;
	s->rx_len = 0;
	if (s->reset_on_disconnect)
		ps_fix_session_set_seq(s, 1, 1);
}

int ps_fix_session_logout(struct ps_fix_session *s, const char *text, uint64_t now_ns)
{
	if (s->state != PS_FIX_SESSION_LOGGED_ON)
		return -ENOTCONN;
	logout_and_close(s, text, now_ns);
	return 0;
}

void ps_fix_session_poll(struct ps_fix_session *s, uint64_t now_ns)
{
	if (s->want_close)
		return;
	switch (s->state) {
	case PS_FIX_SESSION_AWAIT_LOGON:
		if (now_ns >= s->deadline_ns)
			request_close(s, PS_ETIMEOUT);
		break;
	case PS_FIX_SESSION_LOGOUT_SENT:
		if (now_ns >= s->deadline_ns)
			request_close(s, PS_ETIMEOUT);
		break;
	case PS_FIX_SESSION_LOGGED_ON: {
		uint64_t hb = (uint64_t)s->heart_bt_int_s * NS;
		if (hb == 0)
			break;
		uint64_t quiet = now_ns - s->last_rx_ns;
		if (quiet >= hb * 24 / 10) {
			request_close(s, PS_ETIMEOUT);
		} else if (quiet >= hb * 12 / 10 * (s->test_requests + 1)) {
			uint32_t n = begin_next(s, "1", now_ns);
			n = ps_fix_add_str(s->scratch, n, 112, "TEST", 4);
			s->test_requests++;
			s->stats.test_requests_tx++;
			finish_send(s, n, now_ns);
		} else if (now_ns - s->last_tx_ns >= hb && s->test_requests == 0) {
			send_heartbeat(s, NULL, 0, now_ns);
		}
		break;
	}
	default:
		break;
	}
}
