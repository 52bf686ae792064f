/*
 * SoupBinTCP 3.0 codec, both directions (client and server).
 *
 * Wire format: every logical packet is a 2-byte big-endian length (counting
 * the type byte and the payload, not itself), a 1-byte packet type and a
 * payload. Packets do not map onto TCP segments: the stream decoder below
 * reassembles them from reads of any size.
 *
 *   type  dir  payload
 *   '+'   both debug text (any length)
 *   'A'   S->C login accepted: session 10 alpha, sequence number 20 numeric
 *   'J'   S->C login rejected: reason 1 ('A' not authorized, 'S' session n/a)
 *   'S'   S->C sequenced data (one higher-level message, any length)
 *   'H'   S->C server heartbeat (empty)
 *   'Z'   S->C end of session (empty)
 *   'L'   C->S login request: username 6, password 10, requested session 10,
 *              requested sequence number 20
 *   'U'   C->S unsequenced data (one higher-level message, any length)
 *   'R'   C->S client heartbeat (empty)
 *   'O'   C->S logout request (empty)
 *
 * Text fields: alpha fields are written left-justified and padded on the
 * right with spaces (username, password); the session id is right-justified
 * and padded on the left with spaces, as are numeric fields (ASCII decimal,
 * e.g. "                   1"). All-blank session = the current session;
 * requested sequence number 0 = start with the most recent message. The
 * decoders trim spaces on both sides so either padding is accepted.
 *
 * Worst cases: a packet may be as long as 65537 bytes on the wire; the
 * stream decoder's buffer must hold one whole packet, so a buffer smaller
 * than the largest packet a peer sends makes that packet an error
 * (-EMSGSIZE). Views returned by the decoder point into its buffer and stay
 * valid only until the next write/feed call, which may compact the buffer.
 */
#ifndef PS_SOUP_H
#define PS_SOUP_H

#include <errno.h>
#include <string.h>

#include <ps/common.h>
#include <ps/err.h>

#define PS_SOUP_HDR_LEN       3u /* length (2) + type (1) */
#define PS_SOUP_MAX_PACKET    (2u + 65535u)
#define PS_SOUP_USERNAME_LEN  6u
#define PS_SOUP_PASSWORD_LEN  10u
#define PS_SOUP_SESSION_LEN   10u
#define PS_SOUP_SEQ_LEN       20u
#define PS_SOUP_LOGIN_REQ_LEN 46u /* payload bytes of 'L' */
#define PS_SOUP_LOGIN_ACC_LEN 30u /* payload bytes of 'A' */
#define PS_SOUP_LOGIN_REJ_LEN 1u  /* payload bytes of 'J' */

enum ps_soup_type {
	PS_SOUP_DEBUG = '+',
	PS_SOUP_LOGIN_ACCEPTED = 'A',
	PS_SOUP_LOGIN_REJECTED = 'J',
	PS_SOUP_SEQUENCED = 'S',
	PS_SOUP_SERVER_HEARTBEAT = 'H',
	PS_SOUP_END_OF_SESSION = 'Z',
	PS_SOUP_LOGIN_REQUEST = 'L',
	PS_SOUP_UNSEQUENCED = 'U',
	PS_SOUP_CLIENT_HEARTBEAT = 'R',
	PS_SOUP_LOGOUT_REQUEST = 'O',
};

enum ps_soup_reject_reason {
	PS_SOUP_REJECT_NOT_AUTHORIZED = 'A',
	PS_SOUP_REJECT_SESSION_UNAVAILABLE = 'S',
};

/* Which packet types a decoder accepts. */
enum ps_soup_dir {
	PS_SOUP_DIR_ANY = 0,         /* every type in the table above */
	PS_SOUP_DIR_FROM_SERVER = 1, /* a client decodes: + A J S H Z */
	PS_SOUP_DIR_FROM_CLIENT = 2, /* a server decodes: + L U R O */
};

/* One decoded packet: a view into the decoder's input. */
struct ps_soup_packet {
	const uint8_t *payload; /* first payload byte (after the type) */
	uint16_t payload_len;
	uint8_t type; /* enum ps_soup_type */
};

struct ps_soup_login_request {
	char username[PS_SOUP_USERNAME_LEN + 1]; /* NUL-terminated, spaces trimmed */
	char password[PS_SOUP_PASSWORD_LEN + 1];
	char session[PS_SOUP_SESSION_LEN + 1]; /* "" = current session */
	uint64_t seq;                          /* 0 = most recent */
};

struct ps_soup_login_accepted {
	char session[PS_SOUP_SESSION_LEN + 1];
	uint64_t seq; /* sequence number of the next sequenced packet */
};

/*
 * Expected payload length of a packet type: the fixed length, -1 for a
 * variable-length type, -2 for a type the direction does not allow.
 */
static inline int ps_soup__payload_len(uint8_t type, unsigned dir)
{
	switch (type) {
	case PS_SOUP_DEBUG:
		return -1;
	case PS_SOUP_LOGIN_ACCEPTED:
		return dir == PS_SOUP_DIR_FROM_CLIENT ? -2 : (int)PS_SOUP_LOGIN_ACC_LEN;
	case PS_SOUP_LOGIN_REJECTED:
		return dir == PS_SOUP_DIR_FROM_CLIENT ? -2 : (int)PS_SOUP_LOGIN_REJ_LEN;
	case PS_SOUP_SEQUENCED:
		return dir == PS_SOUP_DIR_FROM_CLIENT ? -2 : -1;
	case PS_SOUP_SERVER_HEARTBEAT:
	case PS_SOUP_END_OF_SESSION:
		return dir == PS_SOUP_DIR_FROM_CLIENT ? -2 : 0;
	case PS_SOUP_LOGIN_REQUEST:
		return dir == PS_SOUP_DIR_FROM_SERVER ? -2 : (int)PS_SOUP_LOGIN_REQ_LEN;
	case PS_SOUP_UNSEQUENCED:
		return dir == PS_SOUP_DIR_FROM_SERVER ? -2 : -1;
	case PS_SOUP_CLIENT_HEARTBEAT:
	case PS_SOUP_LOGOUT_REQUEST:
		return dir == PS_SOUP_DIR_FROM_SERVER ? -2 : 0;
	default:
		return -2;
	}
}

/*
 * Parses one packet at buf[0..len). Reads at most len bytes.
 * @return bytes the packet occupies (> 0) with *pkt filled; 0 when buf holds
 *   only part of a packet; PS_EBADLEN when the length field is 0 or does not
 *   match the fixed length of its type; PS_EUNKNOWN_MSG for a type that is
 *   unknown or not allowed in direction dir.
 */
static inline int ps_soup_parse(const uint8_t *buf, size_t len, unsigned dir,
				struct ps_soup_packet *pkt)
{
	if (len < 2)
		return 0;
	uint16_t plen = ps_load_be16(buf);
	if (ps_unlikely(plen == 0))
		return PS_EBADLEN;
	if (len < 3)
		return 0;
	int want = ps_soup__payload_len(buf[2], dir);
	if (ps_unlikely(want == -2))
		return PS_EUNKNOWN_MSG;
	if (ps_unlikely(want >= 0 && (int)plen - 1 != want))
		return PS_EBADLEN;
	if (len < (size_t)plen + 2)
		return 0;
	pkt->type = buf[2];
	pkt->payload = buf + PS_SOUP_HDR_LEN;
	pkt->payload_len = (uint16_t)(plen - 1);
	return (int)plen + 2;
}

/* Writes the 3-byte header of a packet with payload_len payload bytes. */
static inline void ps_soup_put_header(uint8_t *out, uint8_t type, uint16_t payload_len)
{
	ps_store_be16(out, (uint16_t)(payload_len + 1u));
	out[2] = type;
}

/*
 * Frames payload as a packet of type (S, U or +) into out, which must hold
 * PS_SOUP_HDR_LEN + len bytes; len <= 65534. @return bytes written.
 */
static inline size_t ps_soup_encode_data(uint8_t *out, uint8_t type, const void *payload,
					 uint16_t len)
{
	ps_soup_put_header(out, type, len);
	if (len) /* an empty payload may be NULL */
		memcpy(out + PS_SOUP_HDR_LEN, payload, len);
	return PS_SOUP_HDR_LEN + (size_t)len;
}

/* Encodes an empty packet (H, Z, R, O) into out (3 bytes). @return 3. */
static inline size_t ps_soup_encode_empty(uint8_t *out, uint8_t type)
{
	ps_soup_put_header(out, type, 0);
	return PS_SOUP_HDR_LEN;
}

/* Encodes a login rejected packet (4 bytes). @return 4. */
static inline size_t ps_soup_encode_login_rejected(uint8_t *out, uint8_t reason)
{
	ps_soup_put_header(out, PS_SOUP_LOGIN_REJECTED, 1);
	out[3] = reason;
	return PS_SOUP_HDR_LEN + 1;
}

/*
 * Encodes a login request into out (PS_SOUP_HDR_LEN + 46 = 49 bytes).
 * @param session requested session, "" for the current one.
 * @param seq requested sequence number, 0 for the most recent.
 * @return 49, or -EINVAL when a text field is longer than its width or
 *   contains a byte outside printable ASCII.
 */
PS_API int ps_soup_encode_login_request(uint8_t *out, const char *username, const char *password,
					const char *session, uint64_t seq);

/* Encodes a login accepted (33 bytes). @return 33 or -EINVAL (session too long). */
PS_API int ps_soup_encode_login_accepted(uint8_t *out, const char *session, uint64_t seq);

/*
 * Decodes the payload of a login request / login accepted packet.
 * @return 0; PS_EBADLEN when len is not the fixed length; PS_ESYNTAX when a
 *   text field holds a byte outside printable ASCII, or the sequence number
 *   is not digits padded with spaces (or overflows uint64).
 */
PS_API int ps_soup_decode_login_request(const uint8_t *payload, size_t len,
					struct ps_soup_login_request *out);
PS_API int ps_soup_decode_login_accepted(const uint8_t *payload, size_t len,
					 struct ps_soup_login_accepted *out);

/* ---- stream decoder ------------------------------------------------------ */

/*
 * Reassembles packets from a byte stream in a caller-owned buffer.
 * Bytes [head, tail) are received but not yet consumed. A decode error is
 * sticky (err): the stream is out of sync and the connection must be reset
 * (ps_soup_stream_reset). Single-threaded.
 */
struct ps_soup_stream {
	uint8_t *buf;
	uint32_t cap;
	uint32_t head;
	uint32_t tail;
	uint8_t dir; /* enum ps_soup_dir */
	int err;     /* 0 or the first decode error */
};

/*
 * @param mem cap bytes, caller-owned, outliving the stream.
 * @return 0, or -EINVAL when cap < PS_SOUP_HDR_LEN or dir is unknown.
 */
PS_API int ps_soup_stream_init(struct ps_soup_stream *s, void *mem, uint32_t cap, unsigned dir);
PS_API void ps_soup_stream_fini(struct ps_soup_stream *s);
/* Forgets buffered bytes and any error (after a reconnect). */
PS_API void ps_soup_stream_reset(struct ps_soup_stream *s);

/*
 * Where the next received bytes go (e.g. a recv target). Moves unconsumed
 * bytes to the front first when that makes room, which invalidates views.
 * @param room out: bytes writable at the returned pointer (0 = full).
 */
static inline uint8_t *ps_soup_stream_write_ptr(struct ps_soup_stream *s, uint32_t *room)
{
	/* Compact when the buffer is full or the consumed prefix is over half
	 * of it: what is moved is at most one partial packet, usually a few
	 * bytes, and reads then get a large contiguous room. */
	if (s->head > 0 && s->head != s->tail && (s->tail == s->cap || s->head >= s->cap / 2)) {
		uint32_t n = s->tail - s->head;
		memmove(s->buf, s->buf + s->head, n);
		s->head = 0;
		s->tail = n;
	} else if (s->head == s->tail) {
		s->head = s->tail = 0;
	}
	*room = s->cap - s->tail;
	return s->buf + s->tail;
}

/* n bytes were written at the pointer ps_soup_stream_write_ptr returned. */
static inline void ps_soup_stream_commit(struct ps_soup_stream *s, uint32_t n)
{
	s->tail += n;
}

/*
 * Copies up to len bytes of data into the stream.
 * @return bytes taken (< len when the buffer is full: consume packets with
 *   ps_soup_stream_next, then feed the rest).
 */
static inline uint32_t ps_soup_stream_feed(struct ps_soup_stream *s, const void *data, size_t len)
{
	uint32_t room;
	uint8_t *p = ps_soup_stream_write_ptr(s, &room);
	uint32_t n = len < room ? (uint32_t)len : room;
	memcpy(p, data, n);
	s->tail += n;
	return n;
}

/*
 * Next whole packet, as a view into the stream buffer.
 * @return 1 with *pkt filled; 0 when no whole packet is buffered; a negative
 *   code (sticky) when the stream is corrupt: PS_EBADLEN, PS_EUNKNOWN_MSG,
 *   or -EMSGSIZE when a packet is larger than the buffer.
 */
static inline int ps_soup_stream_next(struct ps_soup_stream *s, struct ps_soup_packet *pkt)
{
	/* err is only ever 0 or negative; the "< 0" tests tell the compiler so,
	 * which keeps it from warning that *pkt may be unset on return 1. */
	if (ps_unlikely(s->err < 0))
		return s->err;
	int n = ps_soup_parse(s->buf + s->head, s->tail - s->head, s->dir, pkt);
	if (ps_likely(n > 0)) {
		s->head += (uint32_t)n;
		return 1;
	}
	if (n < 0) {
		s->err = n;
		return n;
	}
	if (ps_unlikely(s->tail - s->head >= 2 &&
			(uint32_t)ps_load_be16(s->buf + s->head) + 2u > s->cap)) {
		s->err = -EMSGSIZE;
		return -EMSGSIZE;
	}
	return 0;
}

/* Bytes buffered but not yet returned as packets. */
static inline uint32_t ps_soup_stream_pending(const struct ps_soup_stream *s)
{
	return s->tail - s->head;
}

#endif /* PS_SOUP_H */
