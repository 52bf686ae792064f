/*
 * FIX 4.4 session layer, both sides (initiator and acceptor), independent of
 * the transport: the caller feeds received bytes in (rx_buf/rx_commit),
 * drives timers with poll, and gives it a send callback that puts bytes on
 * the wire. When the session decides the connection must end it sets
 * want_close; the caller then flushes, closes and calls disconnected().
 *
 * What it does (FIX 4.4 session rules):
 * - Logon / Logout (a Logout we send waits for the peer's Logout, bounded),
 *   Heartbeat after HeartBtInt without sending, TestRequest after 1.2 x
 *   HeartBtInt without receiving, disconnect after 2.4 x.
 * - Sequence numbers: MsgSeqNum too high queues the message and sends one
 *   ResendRequest (BeginSeqNo = expected, EndSeqNo = 0) until the gap is
 *   filled, then the queued messages are processed in order; too low
 *   without PossDupFlag ends the session with a Logout; too low with
 *   PossDupFlag is ignored after checking OrigSendingTime.
 * - ResendRequest: application messages from the store are sent again with
 *   PossDupFlag=Y and OrigSendingTime; session messages and anything no
 *   longer stored are replaced by SequenceReset-GapFill.
 * - SequenceReset in both modes; ResetSeqNumFlag on Logon resets both sides.
 * - Session-level Reject (35=3) with the SessionRejectReason the dictionary
 *   check (ps_fix_validate) or the session checks (CompID, SendingTime
 *   accuracy, missing OrigSendingTime) found; garbled messages (bad
 *   BodyLength or CheckSum) are dropped, except before Logon, where they
 *   end the connection.
 * - Sequence numbers survive restarts when store_path names a file: both
 *   numbers live in a small shared mapping of it, so updating them costs no
 *   system call. The resend store itself is memory only: after a restart
 *   older messages are gap-filled.
 *
 * Threads: one thread per session object. Not for the hot path's hottest
 * part: messages are built in a scratch buffer and handed to send().
 */
#ifndef PS_FIX_SESSION_H
#define PS_FIX_SESSION_H

#include <ps/fix.h>

enum ps_fix_session_state {
	PS_FIX_SESSION_DISCONNECTED = 0,
	PS_FIX_SESSION_AWAIT_LOGON, /* acceptor: connected; initiator: Logon sent */
	PS_FIX_SESSION_LOGGED_ON,
	PS_FIX_SESSION_LOGOUT_SENT, /* waiting for the peer's Logout */
};

enum ps_fix_session_event {
	PS_FIX_SESSION_EV_LOGGED_ON = 1,
	PS_FIX_SESSION_EV_LOGGED_OUT, /* a Logout exchange finished */
	PS_FIX_SESSION_EV_CLOSE,      /* the session wants the connection closed (err) */
};

struct ps_fix_session;

/* Puts len bytes on the wire (copy them). @return false when it cannot. */
typedef bool (*ps_fix_send_fn)(void *ctx, const uint8_t *msg, uint32_t len);
/* One application message, in sequence, after the session checks. */
typedef void (*ps_fix_app_fn)(void *ctx, struct ps_fix_session *s, const struct ps_fix_msg *m,
			      uint64_t now_ns);
typedef void (*ps_fix_event_fn)(void *ctx, struct ps_fix_session *s, int event, int err);
/* Acceptor: decides a Logon (after the CompID check). @return 0 to accept. */
typedef int (*ps_fix_logon_fn)(void *ctx, struct ps_fix_session *s, const struct ps_fix_msg *m);

struct ps_fix_session_config {
	const char *sender_comp_id; /* ours */
	const char *target_comp_id; /* theirs */
	bool initiator;
	uint32_t heart_bt_int_s; /* initiator: HeartBtInt to ask for; 0 = 30 */
	const char *username;    /* initiator: 553 in Logon (optional) */
	const char *password;    /* initiator: 554 in Logon (optional) */
	const char *store_path;  /* sequence numbers file; NULL = memory only */
	bool reset_on_logon;     /* initiator: send 141=Y; acceptor: reset on every Logon */
	bool reset_on_disconnect;
	uint32_t sending_time_tolerance_s; /* 0 = 120 */
	uint32_t store_count;    /* sent application messages kept; power of two; 0 = 1024 */
	uint32_t store_slot_len; /* bytes per stored message; 0 = 512 */
	uint32_t queue_count;    /* out-of-order messages kept; 0 = 64 */
	uint32_t rx_cap;         /* receive buffer; 0 = 64 KiB */
	ps_fix_send_fn send;
	ps_fix_app_fn on_app;
	ps_fix_event_fn on_event;
	ps_fix_logon_fn on_logon;
	void *ctx;
};

struct ps_fix_session_stats {
	uint64_t rx_msgs, tx_msgs, garbled, rejects_tx, resends_rx, gap_fills_tx;
	uint64_t resend_requests_tx, heartbeats_tx, test_requests_tx;
};

/* Sequence numbers as stored in the file (store_path). */
struct ps_fix_seq_file {
	uint64_t magic;
	uint64_t next_out;
	uint64_t next_in;
};

struct ps_fix_session {
	struct ps_fix_enc enc;
	struct ps_fix_seq_file mem_seq; /* when there is no file */
	struct ps_fix_seq_file *seq;    /* mem_seq or the mapping */
	int seq_fd;
	uint8_t state;
	bool initiator;
	bool want_close;
	bool reset_on_logon, reset_on_disconnect;
	bool resend_active;
	bool sent_reset; /* our Logon carried 141=Y */
	int close_err;
	uint32_t heart_bt_int_s;
	uint32_t tolerance_s;
	uint32_t test_requests; /* sent since the last message received */
	uint64_t resend_begin, resend_end;
	uint64_t last_rx_ns, last_tx_ns, deadline_ns;
	/* store of sent application messages: slot = seq & (store_count-1) */
	uint8_t *store;
	uint32_t store_count, store_slot_len;
	/* queue of out-of-order messages (raw frames) */
	uint8_t *queue;
	uint32_t queue_count, queue_slot_len;
	uint8_t *rx;
	uint32_t rx_cap, rx_len;
	uint8_t *scratch;
	uint32_t scratch_len;
	char username[64], password[64];
	ps_fix_send_fn send;
	ps_fix_app_fn on_app;
	ps_fix_event_fn on_event;
	ps_fix_logon_fn on_logon;
	void *ctx;
	/* routing of the message being handled (115/116/144 -> 128/129/145) */
	const struct ps_fix_msg *cur;
	struct ps_fix_session_stats stats;
};

PS_API size_t ps_fix_session_memsize(const struct ps_fix_session_config *cfg);
/*
 * @return 0; -EINVAL (no send, bad CompIDs, store_count not a power of
 *   two); or the open/mmap error of store_path (negative errno).
 */
PS_API int ps_fix_session_init(struct ps_fix_session *s, void *mem,
			       const struct ps_fix_session_config *cfg);
PS_API void ps_fix_session_fini(struct ps_fix_session *s);

/* The transport is up: an initiator sends Logon, an acceptor waits for one. */
PS_API void ps_fix_session_connected(struct ps_fix_session *s, uint64_t now_ns);
/* The transport is gone (after want_close, or the peer closed). */
PS_API void ps_fix_session_disconnected(struct ps_fix_session *s);
/* Where received bytes go (room bytes free). */
PS_API uint8_t *ps_fix_session_rx_buf(struct ps_fix_session *s, uint32_t *room);
/* n bytes landed at rx_buf: processes every complete message. */
PS_API void ps_fix_session_rx_commit(struct ps_fix_session *s, uint32_t n, uint64_t now_ns);
/* Timers: heartbeats, test requests, timeouts. */
PS_API void ps_fix_session_poll(struct ps_fix_session *s, uint64_t now_ns);
/*
 * Sends an application message: MsgType type, then the body bytes
 * ("tag=value<SOH>..."), which the caller built. Kept in the store.
 * @return 0, -ENOTCONN (not logged on), -EMSGSIZE, PS_EFULL (send refused).
 */
PS_API int ps_fix_session_send(struct ps_fix_session *s, const char *type, const uint8_t *body,
			       uint32_t body_len, uint64_t now_ns);
/*
 * Sequences and keeps an application message while the peer is not logged
 * on, without sending it (what a venue does with the execution reports of
 * a client that is away): after its next Logon the peer sees our higher
 * MsgSeqNum, sends a ResendRequest and gets the message from the store,
 * with PossDupFlag. @return 0, -EISCONN (logged on: use send), -EMSGSIZE
 * (larger than a store slot).
 */
PS_API int ps_fix_session_keep(struct ps_fix_session *s, const char *type, const uint8_t *body,
			       uint32_t body_len, uint64_t now_ns);
/* Sends Logout (text may be NULL) and waits for the peer's. @return 0 or -ENOTCONN. */
PS_API int ps_fix_session_logout(struct ps_fix_session *s, const char *text, uint64_t now_ns);
/* Sets both sequence numbers (cold; e.g. operator action). */
PS_API void ps_fix_session_set_seq(struct ps_fix_session *s, uint64_t next_out, uint64_t next_in);
/* Sends a BusinessMessageReject (35=j) for m. */
PS_API void ps_fix_session_business_reject(struct ps_fix_session *s, const struct ps_fix_msg *m,
					   uint32_t reason, const char *text, uint64_t now_ns);

static inline unsigned ps_fix_session_state(const struct ps_fix_session *s)
{
	return s->state;
}

static inline bool ps_fix_session_want_close(const struct ps_fix_session *s)
{
	return s->want_close;
}

static inline uint64_t ps_fix_session_next_out(const struct ps_fix_session *s)
{
	return s->seq->next_out;
}

static inline uint64_t ps_fix_session_next_in(const struct ps_fix_session *s)
{
	return s->seq->next_in;
}

/* Real time (CLOCK_REALTIME) in ns: FIX SendingTime is UTC wall time. */
PS_API uint64_t ps_fix_realtime_ns(void);
/* Parses "YYYYMMDD-HH:MM:SS[.sss]" to Unix ns. @return false when malformed. */
PS_API bool ps_fix_parse_utc(const uint8_t *p, uint32_t n, uint64_t *ns);

#endif /* PS_FIX_SESSION_H */
