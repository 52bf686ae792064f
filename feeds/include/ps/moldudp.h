/*
 * MoldUDP64: codec, receiver session (sequence, gaps, re-request) and a
 * re-request server.
 *
 * Wire format (all integers big-endian):
 *   downstream packet = header (20 bytes) + message blocks
 *     header  = session (10 bytes, ASCII, space padded)
 *               sequence number (8 bytes): sequence of the first message
 *               message count (2 bytes): 0 = heartbeat, 0xFFFF = end of session
 *               (both carry the next sequence the sender will use)
 *     block   = message length (2 bytes) + that many bytes of payload
 *   request packet = session (10) + sequence (8) + requested count (2), sent
 *     unicast to a re-request server, answered with ordinary downstream
 *     packets sent to the requester's address.
 *
 * Codec: ps_moldudp_iter walks a packet without copying and never reads past
 * the packet; a malformed block stops the walk with an error code and the byte
 * offset of the bad block. ps_moldudp_builder writes a packet into a caller
 * buffer (begin, append*, finish).
 *
 * Session (receiver side, one thread): delivers every message exactly once in
 * sequence order through a callback. In-order packets are delivered straight
 * from the receive buffer (zero copy). A packet from the future is copied into
 * one of a bounded number of reorder slots and the gap before it is first given
 * gap_wait_ns to fill by itself (reordering), then re-requested through a send
 * callback with a timeout that doubles per retry (bounded). When the retries
 * are spent, the session emits PS_MOLDUDP_EV_STALE naming the lost range, skips
 * past it, and carries on with what it has buffered. The clock is the
 * caller's: every entry point takes now_ns, so tests drive time.
 * Worst cases: the reorder slots are scanned linearly (they are few: the scan
 * runs only while a gap is open); a burst of future packets beyond the slot
 * count is dropped (counted) and later re-requested.
 *
 * Re-request server: ps_moldudp_store is a ring of the most recent messages by
 * sequence (the retransmission buffer); ps_moldudp_server answers request
 * packets from it over UDP.
 */
#ifndef PS_MOLDUDP_H
#define PS_MOLDUDP_H

#include <ps/common.h>
#include <ps/err.h>
#include <ps/md.h>

#include <string.h>

#define PS_MOLDUDP_SESSION_LEN    10
#define PS_MOLDUDP_HDR_LEN        20
#define PS_MOLDUDP_REQUEST_LEN    20
#define PS_MOLDUDP_BLOCK_HDR_LEN  2
#define PS_MOLDUDP_COUNT_END      0xFFFFu /* end of session */
#define PS_MOLDUDP_MAX_COUNT      0xFFFEu /* most messages one packet can announce */
#define PS_MOLDUDP_MAX_PACKET_LEN 65507u  /* largest UDP payload over IPv4 */

/* Instrument id used on a feed-wide STALE md event: every instrument of the feed. */
#define PS_MOLDUDP_ALL_INSTRUMENTS UINT32_MAX

struct ps_moldudp_hdr {
	char session[PS_MOLDUDP_SESSION_LEN]; /* not NUL-terminated */
	uint64_t seq;
	uint16_t count;
};

/*
 * Decodes the 20-byte header.
 * @return 0, or PS_ETRUNCATED when len < PS_MOLDUDP_HDR_LEN.
 */
static inline int ps_moldudp_hdr_decode(const uint8_t *pkt, size_t len, struct ps_moldudp_hdr *h)
{
	if (ps_unlikely(len < PS_MOLDUDP_HDR_LEN))
		return PS_ETRUNCATED;
	memcpy(h->session, pkt, PS_MOLDUDP_SESSION_LEN);
	h->seq = ps_load_be64(pkt + 10);
	h->count = ps_load_be16(pkt + 18);
	return 0;
}

static inline bool ps_moldudp_hdr_is_heartbeat(const struct ps_moldudp_hdr *h)
{
	return h->count == 0;
}

static inline bool ps_moldudp_hdr_is_end(const struct ps_moldudp_hdr *h)
{
	return h->count == PS_MOLDUDP_COUNT_END;
}

/* Messages carried: 0 for heartbeat and end of session. */
static inline uint16_t ps_moldudp_hdr_msg_count(const struct ps_moldudp_hdr *h)
{
	return h->count == PS_MOLDUDP_COUNT_END ? 0 : h->count;
}

/*
 * Iterator over the message blocks of one packet. Embedded by the caller;
 * points into the packet, which must outlive it.
 */
struct ps_moldudp_iter {
	const uint8_t *pkt;
	size_t len;
	size_t off;    /* next block; after an error: the offset of the bad block */
	uint64_t seq;  /* sequence number of the next message */
	uint16_t left; /* blocks still to read */
};

/*
 * Starts iterating a packet whose header h was decoded from it.
 */
static inline void ps_moldudp_iter_init(struct ps_moldudp_iter *it, const uint8_t *pkt, size_t len,
					const struct ps_moldudp_hdr *h)
{
	it->pkt = pkt;
	it->len = len;
	it->off = PS_MOLDUDP_HDR_LEN;
	it->seq = h->seq;
	it->left = ps_moldudp_hdr_msg_count(h);
}

/*
 * Next message. On 1, msg and msg_len view the payload and seq is its sequence.
 * @return 1 message read; 0 all count messages read (trailing bytes are not
 *   checked here: ps_moldudp_packet_validate does);
 *   PS_ETRUNCATED the 2-byte block length runs past the packet;
 *   PS_EBADLEN the block's payload runs past the packet.
 *   On error it->off is the offset of the bad block and the walk stays stopped.
 */
static inline int ps_moldudp_iter_next(struct ps_moldudp_iter *it, uint64_t *seq,
				       const uint8_t **msg, uint16_t *msg_len)
{
	if (it->left == 0)
		return 0;
	if (ps_unlikely(it->len - it->off < PS_MOLDUDP_BLOCK_HDR_LEN)) {
		it->left = 0;
		return PS_ETRUNCATED;
	}
	uint16_t n = ps_load_be16(it->pkt + it->off);
	if (ps_unlikely(it->len - it->off - PS_MOLDUDP_BLOCK_HDR_LEN < n)) {
		it->left = 0;
		return PS_EBADLEN;
	}
	*msg = it->pkt + it->off + PS_MOLDUDP_BLOCK_HDR_LEN;
	*msg_len = n;
	*seq = it->seq++;
	it->off += PS_MOLDUDP_BLOCK_HDR_LEN + (size_t)n;
	it->left--;
	return 1;
}

/*
 * Checks a whole packet: header present, every block inside the packet, no
 * bytes after the last block, no payload on heartbeat / end of session.
 * @param err_off  set to the offset of the first bad byte on error (may be NULL)
 * @return 0; PS_ETRUNCATED (header or a block length cut off); PS_EBADLEN (a
 *   block's payload runs past the packet); PS_EPROTOCOL (bytes left over).
 */
PS_API int ps_moldudp_packet_validate(const uint8_t *pkt, size_t len, struct ps_moldudp_hdr *h,
				      size_t *err_off);

/*
 * Packet builder: writes a downstream packet into a caller buffer.
 *   ps_moldudp_builder_begin(&b, buf, cap, session, seq);
 *   while (...) ps_moldudp_builder_append(&b, msg, len);
 *   size_t n = ps_moldudp_builder_finish(&b);
 */
struct ps_moldudp_builder {
	uint8_t *buf;
	size_t cap;
	size_t len;
	uint64_t seq;   /* sequence of the first message */
	uint16_t count; /* messages appended */
};

/*
 * @param session  PS_MOLDUDP_SESSION_LEN bytes (shorter strings: use
 *   ps_moldudp_session_copy first)
 * @return 0, or -EINVAL when cap < PS_MOLDUDP_HDR_LEN.
 */
PS_API int ps_moldudp_builder_begin(struct ps_moldudp_builder *b, uint8_t *buf, size_t cap,
				    const char *session, uint64_t seq);

/*
 * Appends one message.
 * @return 0; PS_EFULL when it does not fit in cap or the packet already holds
 *   PS_MOLDUDP_MAX_COUNT messages (nothing is written then).
 */
static inline int ps_moldudp_builder_append(struct ps_moldudp_builder *b, const void *msg,
					    uint16_t len)
{
	if (ps_unlikely(b->cap - b->len < PS_MOLDUDP_BLOCK_HDR_LEN + (size_t)len ||
			b->count == PS_MOLDUDP_MAX_COUNT))
		return PS_EFULL;
	ps_store_be16(b->buf + b->len, len);
	memcpy(b->buf + b->len + PS_MOLDUDP_BLOCK_HDR_LEN, msg, len);
	b->len += PS_MOLDUDP_BLOCK_HDR_LEN + (size_t)len;
	b->count++;
	return 0;
}

/* Bytes still free in the buffer (a message of len needs len + 2). */
static inline size_t ps_moldudp_builder_room(const struct ps_moldudp_builder *b)
{
	return b->cap - b->len;
}

/* Writes the count; returns the packet length. The builder may be reused with begin. */
static inline size_t ps_moldudp_builder_finish(struct ps_moldudp_builder *b)
{
	ps_store_be16(b->buf + 18, b->count);
	return b->len;
}

/*
 * Heartbeat (count 0) or end of session (count 0xFFFF) carrying next_seq.
 * @return PS_MOLDUDP_HDR_LEN, or -EINVAL when cap is too small.
 */
PS_API int ps_moldudp_heartbeat_encode(uint8_t *buf, size_t cap, const char *session,
				       uint64_t next_seq, bool end_of_session);

/* Copies a C string into a 10-byte session field, space padded (longer: cut). */
PS_API void ps_moldudp_session_copy(char dst[PS_MOLDUDP_SESSION_LEN], const char *src);

struct ps_moldudp_request {
	char session[PS_MOLDUDP_SESSION_LEN];
	uint64_t seq;
	uint16_t count;
};

/* @return PS_MOLDUDP_REQUEST_LEN, or -EINVAL when cap is too small. */
PS_API int ps_moldudp_request_encode(uint8_t *buf, size_t cap, const struct ps_moldudp_request *r);

/*
 * @return 0; PS_ETRUNCATED (len < 20); PS_EPROTOCOL (len > 20, or count 0).
 */
PS_API int ps_moldudp_request_decode(const uint8_t *buf, size_t len, struct ps_moldudp_request *r);

/* ---- receiver session -------------------------------------------------- */

/* Messages in sequence order; msg views memory valid only during the call. */
typedef void (*ps_moldudp_msg_fn)(void *ctx, uint64_t seq, const uint8_t *msg, uint16_t len);

enum ps_moldudp_event_type {
	PS_MOLDUDP_EV_GAP = 1,        /* a gap opened: [from, to) missing (informational) */
	PS_MOLDUDP_EV_RECOVERED,      /* the open gap was filled: [from, to) */
	PS_MOLDUDP_EV_STALE,          /* [from, to) could not be filled and was skipped */
	PS_MOLDUDP_EV_END_OF_SESSION, /* sender ended the session; from = next seq */
};

struct ps_moldudp_event {
	uint32_t type; /* enum ps_moldudp_event_type */
	uint64_t from;
	uint64_t to;
	uint64_t recv_tsc; /* of the packet that triggered it (0 from a timer) */
};

typedef void (*ps_moldudp_event_fn)(void *ctx, const struct ps_moldudp_event *ev);

/*
 * Sends one request packet (PS_MOLDUDP_REQUEST_LEN bytes) to the re-request
 * server. Returns 0, or a negative errno (counted; the retry timer still runs).
 */
typedef int (*ps_moldudp_send_fn)(void *ctx, const uint8_t *pkt, size_t len);

struct ps_moldudp_session_config {
	char session[PS_MOLDUDP_SESSION_LEN]; /* all zero: adopt the first packet's */
	uint64_t first_seq;        /* first expected sequence; 0: join at the first packet seen */
	uint32_t reorder_slots;    /* future packets kept while a gap is open (1..4096) */
	uint32_t slot_len;         /* largest packet kept (>= PS_MOLDUDP_HDR_LEN) */
	uint64_t gap_wait_ns;      /* wait this long for reordered packets before re-requesting */
	uint64_t retry_timeout_ns; /* first re-request timeout; doubles per retry */
	uint64_t retry_max_timeout_ns; /* cap on the backoff */
	uint32_t max_retries;          /* re-requests per gap before it is declared stale */
	uint16_t max_request_count;    /* messages asked for in one request (1..0xFFFE) */
	ps_moldudp_msg_fn on_msg;
	ps_moldudp_event_fn on_event;    /* may be NULL */
	ps_moldudp_send_fn send_request; /* may be NULL: gaps then go stale without asking */
	void *ctx;                       /* passed to all three callbacks */
};

/* Sensible defaults: 64 slots of 2048 bytes, 1 ms gap wait, 5 ms timeout, 5 retries. */
PS_API void ps_moldudp_session_config_default(struct ps_moldudp_session_config *cfg);

struct ps_moldudp_session_stats {
	uint64_t packets;  /* downstream packets accepted */
	uint64_t messages; /* messages delivered */
	uint64_t heartbeats;
	uint64_t duplicates;     /* packets (or leading parts) already delivered */
	uint64_t reordered;      /* future packets buffered */
	uint64_t slot_drops;     /* future packets dropped: slots full or packet too long */
	uint64_t gaps;           /* holes seen (a gap episode may span several) */
	uint64_t requests;       /* request packets sent */
	uint64_t request_errors; /* send_request failures */
	uint64_t stale;          /* gaps given up */
	uint64_t stale_messages; /* messages skipped by those */
	uint64_t malformed;      /* packets rejected by validation */
	uint64_t wrong_session;
};

struct ps_moldudp_slot; /* private: a buffered future packet */

/*
 * One receiver. Single thread: every function below must be called from the
 * thread that owns it.
 */
struct ps_moldudp_session {
	struct ps_moldudp_session_config cfg;
	uint64_t next_seq; /* next sequence to deliver */
	uint64_t hi_seq;   /* one past the highest sequence known to exist */
	bool have_session;
	bool ended;
	bool gap_open;
	uint32_t retries;     /* requests sent for the open gap */
	uint64_t gap_from;    /* next_seq when the gap opened */
	uint64_t req_end;     /* one past the last sequence asked for */
	uint64_t deadline_ns; /* next timer action for the open gap */
	uint64_t timeout_ns;  /* current backoff */
	uint32_t used_slots;
	uint64_t cur_recv_tsc; /* recv_tsc of the packet being delivered (read it in on_msg) */
	struct ps_moldudp_slot *slots; /* cfg.reorder_slots, in caller memory */
	uint8_t *slot_data;
	struct ps_moldudp_session_stats stats;
};

/* Bytes of caller memory ps_moldudp_session_init needs (0 for a bad config). */
PS_API size_t ps_moldudp_session_memsize(const struct ps_moldudp_session_config *cfg);

/*
 * @param mem  ps_moldudp_session_memsize(cfg) bytes, 8-byte aligned, caller-owned
 * @return 0; -EINVAL (NULL on_msg, slots 0 or > 4096, slot_len < 20,
 *   max_request_count 0 or > 0xFFFE, zero retry timeout).
 */
PS_API int ps_moldudp_session_init(struct ps_moldudp_session *s, void *mem,
				   const struct ps_moldudp_session_config *cfg);
PS_API void ps_moldudp_session_fini(struct ps_moldudp_session *s);

/*
 * Feeds one received downstream packet (multicast or a retransmission).
 * Delivers what is now in order, buffers what is early, discards duplicates.
 * @return messages delivered (>= 0); PS_ETRUNCATED / PS_EBADLEN /
 *   PS_EPROTOCOL for a malformed packet (PS_EPROTOCOL also for a sequence
 *   number within 0xFFFF of 2^64, which would wrap); PS_EPROTOCOL for another
 *   session's packet (all counted and dropped; nothing is delivered from them).
 */
PS_API int ps_moldudp_session_on_packet(struct ps_moldudp_session *s, const uint8_t *pkt,
					size_t len, uint64_t recv_tsc, uint64_t now_ns);

/*
 * Timer: sends re-requests and declares gaps stale when their deadline has
 * passed. Call it every poll loop (it returns at once when no gap is open).
 * @return messages delivered from the reorder slots after a stale skip.
 */
PS_API int ps_moldudp_session_poll(struct ps_moldudp_session *s, uint64_t now_ns);

static inline uint64_t ps_moldudp_session_next_seq(const struct ps_moldudp_session *s)
{
	return s->next_seq;
}

static inline bool ps_moldudp_session_gap_open(const struct ps_moldudp_session *s)
{
	return s->gap_open;
}

/*
 * Fills the md event the md stage hands the book when a STALE event fires:
 * type PS_MD_STATUS, status PS_MD_STATUS_STALE, instrument
 * PS_MOLDUDP_ALL_INSTRUMENTS, seq = first lost sequence.
 */
static inline void ps_moldudp_stale_md_event(const struct ps_moldudp_event *ev,
					     struct ps_md_event *md)
{
	memset(md, 0, sizeof(*md));
	md->type = PS_MD_STATUS;
	md->status = PS_MD_STATUS_STALE;
	md->instrument = PS_MOLDUDP_ALL_INSTRUMENTS;
	md->seq = ev->from;
	md->recv_tsc = ev->recv_tsc;
}

/* ---- retransmission store and re-request server ----------------------- */

/*
 * Ring of the last `count` messages by sequence. Messages must be put in
 * sequence order; older ones are overwritten. One thread, or the caller
 * serialises put and get.
 */
struct ps_moldudp_store {
	uint32_t mask;      /* count - 1 */
	uint16_t max_len;   /* longest message kept */
	uint64_t first_seq; /* oldest sequence still held */
	uint64_t next_seq;  /* sequence the next put must carry */
	uint16_t *lens;
	uint8_t *data; /* count * max_len */
};

/* @param count power of two; max_len longest message. 0 for bad arguments. */
PS_API size_t ps_moldudp_store_memsize(uint32_t count, uint16_t max_len);
/*
 * @param first_seq  sequence of the first message that will be put
 * @return 0; -EINVAL (count not a power of two or 0, max_len 0).
 */
PS_API int ps_moldudp_store_init(struct ps_moldudp_store *st, void *mem, uint32_t count,
				 uint16_t max_len, uint64_t first_seq);
PS_API void ps_moldudp_store_fini(struct ps_moldudp_store *st);

/*
 * Keeps message seq. @return 0; -EINVAL (seq != next_seq); PS_EBADLEN (too long).
 */
PS_API int ps_moldudp_store_put(struct ps_moldudp_store *st, uint64_t seq, const void *msg,
				uint16_t len);

/* Message seq, or NULL when it is too old or not yet put. */
PS_API const uint8_t *ps_moldudp_store_get(const struct ps_moldudp_store *st, uint64_t seq,
					   uint16_t *len);

/*
 * Decides whether to answer a request (fault injection: withhold a range).
 * Return false to ignore the request.
 */
typedef bool (*ps_moldudp_filter_fn)(void *ctx, uint64_t seq, uint16_t count);

struct ps_moldudp_server_config {
	char session[PS_MOLDUDP_SESSION_LEN];
	const struct ps_moldudp_store *store;
	uint32_t mtu_payload;        /* largest answer packet (UDP payload), e.g. 1400 */
	uint16_t max_answer_count;   /* most messages sent for one request */
	ps_moldudp_filter_fn filter; /* may be NULL */
	void *filter_ctx;
};

struct ps_moldudp_server_stats {
	uint64_t requests;
	uint64_t answered_msgs;
	uint64_t answer_packets;
	uint64_t bad_requests; /* malformed or wrong session */
	uint64_t unavailable;  /* requests for sequences the store no longer (or not yet) holds */
	uint64_t filtered;
	uint64_t send_errors;
};

struct ps_moldudp_server {
	struct ps_moldudp_server_config cfg;
	int fd;
	uint8_t buf[PS_MOLDUDP_MAX_PACKET_LEN];
	struct ps_moldudp_server_stats stats;
};

/* Writes an answer packet to the requester. Returns 0 or a negative errno. */
typedef int (*ps_moldudp_answer_fn)(void *ctx, const uint8_t *pkt, size_t len);

/*
 * Opens a UDP socket bound to bind_ip:port (port 0 = ephemeral; see
 * ps_moldudp_server_port) that answers requests from cfg.store.
 * @return 0; -EINVAL (bad address, no store, mtu < 22); -errno from socket/bind.
 */
PS_API int ps_moldudp_server_open(struct ps_moldudp_server *srv,
				  const struct ps_moldudp_server_config *cfg, const char *bind_ip,
				  uint16_t port);
PS_API void ps_moldudp_server_close(struct ps_moldudp_server *srv);
PS_API uint16_t ps_moldudp_server_port(const struct ps_moldudp_server *srv);

/*
 * Answers one request packet through fn (no socket needed: also the unit
 * under test). Answers only what the store holds, in packets of at most
 * mtu_payload bytes.
 * @return messages sent; PS_ETRUNCATED / PS_EPROTOCOL for a bad request or
 *   wrong session; PS_ENOTFOUND when nothing requested is in the store; 0 when
 *   filtered.
 */
PS_API int ps_moldudp_server_answer(struct ps_moldudp_server *srv, const uint8_t *req, size_t len,
				    ps_moldudp_answer_fn fn, void *ctx);

/*
 * Reads the requests waiting on the socket (non-blocking) and answers each.
 * @return requests handled (>= 0) or a negative errno from recvfrom.
 */
PS_API int ps_moldudp_server_poll(struct ps_moldudp_server *srv);

#endif /* PS_MOLDUDP_H */
