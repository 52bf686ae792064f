/*
 * SoupBinTCP 3.0 client session over the io_uring transport.
 *
 * One session with one venue: connect, log in asking for the session and the
 * next sequence number we expect (so after a restart or a reconnect the
 * venue replays what we missed), deliver sequenced messages in order with
 * their sequence numbers, exchange heartbeats, detect a silent or vanished
 * peer, and reconnect with exponential backoff. Time is passed in by the
 * caller (ns, any monotonic clock); the session never reads a clock.
 *
 * Lifecycle: init -> start -> poll in a loop (sends heartbeats, reconnects)
 * -> logout or stop -> fini. Events and messages are delivered through the
 * callbacks, from inside poll, on the polling thread.
 *
 * Sequence numbers: next_seq is the number of the next sequenced message we
 * expect (the first message of a session is 1). It starts at
 * cfg.start_seq (persist ps_soup_client_next_seq() and pass it back after a
 * restart; 0 asks for the most recent message only), is set from Login
 * Accepted, and grows by one per sequenced message delivered.
 *
 * "Caught up": SoupBinTCP has no end-of-replay marker. A server sends
 * heartbeats only when it has had nothing else to send for a while, so the
 * first Server Heartbeat after login means the replay is over:
 * PS_SOUP_CLIENT_EV_CAUGHT_UP is raised then (the OMS applies its
 * cancel-on-disconnect policy at that point).
 *
 * Retry: a failed connect, a dropped or silent connection and a login
 * rejected with "session not available" retry after a backoff that starts
 * at backoff_min_ns and doubles up to backoff_max_ns (reset by a successful
 * login). A login rejected as "not authorized" and End of Session stop the
 * session (STOPPED): retrying cannot help.
 */
#ifndef PS_SOUP_CLIENT_H
#define PS_SOUP_CLIENT_H

#include <ps/soup.h>
#include <ps/tcp_uring.h>

enum ps_soup_client_state {
	PS_SOUP_CLIENT_IDLE = 0, /* not started */
	PS_SOUP_CLIENT_CONNECTING,
	PS_SOUP_CLIENT_LOGIN_SENT,
	PS_SOUP_CLIENT_LOGGED_IN,
	PS_SOUP_CLIENT_LOGGING_OUT, /* logout sent, closing once flushed */
	PS_SOUP_CLIENT_BACKOFF,     /* waiting to reconnect */
	PS_SOUP_CLIENT_STOPPED,     /* logged out, ended, or not authorized */
};

enum ps_soup_client_event {
	PS_SOUP_CLIENT_EV_LOGGED_IN = 1,  /* err 0 */
	PS_SOUP_CLIENT_EV_CAUGHT_UP,      /* first heartbeat after login */
	PS_SOUP_CLIENT_EV_LOGIN_REJECTED, /* err PS_ELOGIN; reason in last_reject */
	PS_SOUP_CLIENT_EV_DISCONNECTED,   /* err: PS_ETIMEOUT (peer silent or login
					   * too slow), PS_EDISCONNECTED (peer
					   * closed), a decode error, -errno */
	PS_SOUP_CLIENT_EV_CONNECT_FAILED, /* err: -ETIMEDOUT, -ECONNREFUSED, ... */
	PS_SOUP_CLIENT_EV_END_OF_SESSION,
	PS_SOUP_CLIENT_EV_LOGGED_OUT,
};

typedef void (*ps_soup_client_msg_fn)(void *ctx, uint64_t seq, const uint8_t *msg, uint16_t len);
typedef void (*ps_soup_client_event_fn)(void *ctx, int event, int err);

struct ps_soup_client_config {
	struct sockaddr_in addr;
	const char *username; /* <= 6 characters */
	const char *password; /* <= 10 */
	const char *session;  /* <= 10; "" or NULL = current session */
	uint64_t start_seq;
	uint64_t heartbeat_ns;       /* send a heartbeat after this long without sending; 0 = 1 s */
	uint64_t timeout_ns;         /* peer silent this long = dead; 0 = 15 s */
	uint64_t connect_timeout_ns; /* TCP connect, and again for the login answer; 0 = 2 s */
	uint64_t backoff_min_ns;     /* 0 = 100 ms */
	uint64_t backoff_max_ns;     /* 0 = 5 s */
	uint32_t rx_cap;             /* receive buffer; 0 = PS_SOUP_MAX_PACKET */
	uint32_t tx_cap;             /* send buffer; 0 = 64 KiB */
	ps_soup_client_msg_fn on_msg;
	ps_soup_client_event_fn on_event;
	void *ctx;
};

struct ps_soup_client_stats {
	uint64_t connects;
	uint64_t logins;
	uint64_t disconnects;
	uint64_t messages;
	uint64_t heartbeats_tx;
	uint64_t heartbeats_rx;
	uint64_t debug_rx;
	uint64_t seq_jumps; /* Login Accepted gave another number than we asked */
};

struct ps_soup_client {
	struct ps_tcp_uring tcp;
	struct ps_soup_stream rx;
	struct sockaddr_in addr;
	ps_soup_client_msg_fn on_msg;
	ps_soup_client_event_fn on_event;
	void *ctx;
	uint64_t next_seq;
	uint64_t asked_seq; /* the sequence number our last Login Request asked for */
	uint64_t heartbeat_ns, timeout_ns, connect_timeout_ns;
	uint64_t backoff_min_ns, backoff_max_ns, backoff_ns;
	uint64_t last_rx_ns, last_tx_ns, deadline_ns, retry_at_ns;
	uint8_t state;
	bool caught_up;
	uint8_t last_reject; /* reason of the last Login Rejected */
	char username[PS_SOUP_USERNAME_LEN + 1];
	char password[PS_SOUP_PASSWORD_LEN + 1];
	char session[PS_SOUP_SESSION_LEN + 1]; /* requested; then the accepted one */
	struct ps_soup_client_stats stats;
};

/* Bytes of caller memory (receive + send buffers). */
PS_API size_t ps_soup_client_memsize(const struct ps_soup_client_config *cfg);
/*
 * @param mem ps_soup_client_memsize(cfg) bytes, caller-owned.
 * @return 0; -EINVAL (field too long, no on_msg, rx_cap < 64); the
 *   transport's init error (io_uring unavailable: -ENOSYS, -EPERM, ...).
 */
PS_API int ps_soup_client_init(struct ps_soup_client *c, void *mem,
			       const struct ps_soup_client_config *cfg);
PS_API void ps_soup_client_fini(struct ps_soup_client *c);

/* Starts connecting now. @return 0 or -EBUSY (already started). */
PS_API int ps_soup_client_start(struct ps_soup_client *c, uint64_t now_ns);
/*
 * Drives the session: reaps I/O, delivers messages and events, sends a
 * heartbeat when due, detects timeouts, reconnects when the backoff ends.
 * @return sequenced messages delivered by this call.
 */
PS_API uint32_t ps_soup_client_poll(struct ps_soup_client *c, uint64_t now_ns);
/* Sends Logout Request; the session closes once it is sent (STOPPED). */
PS_API int ps_soup_client_logout(struct ps_soup_client *c, uint64_t now_ns);
/* Closes at once without logging out (STOPPED). */
PS_API void ps_soup_client_stop(struct ps_soup_client *c);

/*
 * Room for one unsequenced packet with len payload bytes: returns where the
 * payload goes (the Soup header is written), or NULL when not logged in or
 * the send buffer has no room. Then ps_soup_client_commit.
 */
PS_API uint8_t *ps_soup_client_claim(struct ps_soup_client *c, uint16_t len);
/*
 * Room for a whole, already framed packet of len bytes (e.g. from
 * ps_ouch_enter_tmpl_encode), or NULL. Then ps_soup_client_commit.
 */
PS_API uint8_t *ps_soup_client_claim_packet(struct ps_soup_client *c, uint32_t len);
/* Queues the claimed packet for sending; ps_soup_client_flush or the next
 * poll submits it. */
PS_API void ps_soup_client_commit(struct ps_soup_client *c, uint64_t now_ns);
/* Submits queued sends now (one system call). @return 0 or an error. */
PS_API int ps_soup_client_flush(struct ps_soup_client *c);

static inline uint64_t ps_soup_client_next_seq(const struct ps_soup_client *c)
{
	return c->next_seq;
}

static inline unsigned ps_soup_client_state(const struct ps_soup_client *c)
{
	return c->state;
}

#endif /* PS_SOUP_CLIENT_H */
