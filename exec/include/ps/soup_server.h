/*
 * SoupBinTCP 3.0 server side of one connection, for the venue simulator:
 * wraps an accepted socket (ps_tcp_accept) in the io_uring transport,
 * answers the login through a callback, sends Sequenced Data and server
 * heartbeats, receives Unsequenced Data and client heartbeats, detects a
 * silent client, and handles Logout Request and End of Session.
 *
 * Sequence numbers and the message store belong to the caller (one store
 * per session, shared by its connections): on_login decides the first
 * sequence number this connection sends (usually the client's requested
 * number, or the next new message when it asked for 0), and after
 * PS_SOUP_SERVER_EV_LOGGED_IN the caller sends the stored messages from
 * there on with ps_soup_server_conn_claim/commit, then new ones as they
 * happen. ps_soup_server_conn_next_seq() is the number of the next message
 * this connection will send. claim returns NULL when the send buffer is
 * full: replay the rest on a later poll (back-pressure, nothing dropped).
 *
 * Threads: one thread per connection object (the venue's I/O thread).
 */
#ifndef PS_SOUP_SERVER_H
#define PS_SOUP_SERVER_H

#include <ps/soup.h>
#include <ps/tcp_uring.h>

enum ps_soup_server_state {
	PS_SOUP_SERVER_IDLE = 0,    /* no connection */
	PS_SOUP_SERVER_AWAIT_LOGIN, /* connected, waiting for Login Request */
	PS_SOUP_SERVER_LOGGED_IN,
	PS_SOUP_SERVER_CLOSING, /* sending the last packets, then closing */
};

enum ps_soup_server_event {
	PS_SOUP_SERVER_EV_LOGGED_IN = 1,  /* err 0 */
	PS_SOUP_SERVER_EV_LOGIN_REJECTED, /* err PS_ELOGIN */
	PS_SOUP_SERVER_EV_LOGGED_OUT,     /* client sent Logout Request */
	PS_SOUP_SERVER_EV_DISCONNECTED,   /* err: PS_ETIMEOUT (client silent or
					   * no login in time), PS_EDISCONNECTED,
					   * a decode error, -errno; also after
					   * End of Session (err 0) */
};

/*
 * Decides a login. Return 0 to accept, writing the session id (<= 10
 * characters) to session and the first sequence number to send to
 * *next_seq; or a reject reason (PS_SOUP_REJECT_NOT_AUTHORIZED,
 * PS_SOUP_REJECT_SESSION_UNAVAILABLE).
 */
typedef int (*ps_soup_server_login_fn)(void *ctx, const struct ps_soup_login_request *req,
				       char *session, uint64_t *next_seq);
/* One Unsequenced Data payload from the client (a view, valid during the call). */
typedef void (*ps_soup_server_msg_fn)(void *ctx, const uint8_t *msg, uint16_t len);
typedef void (*ps_soup_server_event_fn)(void *ctx, int event, int err);

struct ps_soup_server_config {
	uint64_t heartbeat_ns;     /* send a heartbeat after this long without sending; 0 = 1 s */
	uint64_t timeout_ns;       /* client silent this long = dead; 0 = 15 s */
	uint64_t login_timeout_ns; /* connected without a login this long; 0 = 5 s */
	uint32_t rx_cap;           /* receive buffer; 0 = 4096 (client packets are small) */
	uint32_t tx_cap;           /* send buffer; 0 = 1 MiB (room for a replay burst) */
	ps_soup_server_login_fn on_login;
	ps_soup_server_msg_fn on_msg;
	ps_soup_server_event_fn on_event;
	void *ctx;
};

struct ps_soup_server_stats {
	uint64_t logins;
	uint64_t rejects;
	uint64_t sequenced_tx;
	uint64_t unsequenced_rx;
	uint64_t heartbeats_tx;
	uint64_t heartbeats_rx;
};

struct ps_soup_server_conn {
	struct ps_tcp_uring tcp;
	struct ps_soup_stream rx;
	ps_soup_server_login_fn on_login;
	ps_soup_server_msg_fn on_msg;
	ps_soup_server_event_fn on_event;
	void *ctx;
	uint64_t heartbeat_ns, timeout_ns, login_timeout_ns;
	uint64_t last_rx_ns, last_tx_ns, deadline_ns;
	uint64_t next_seq;
	uint8_t state;
	char session[PS_SOUP_SESSION_LEN + 1];
	struct ps_soup_login_request login; /* the accepted login */
	struct ps_soup_server_stats stats;
};

/* Bytes of caller memory (receive + send buffers). */
PS_API size_t ps_soup_server_conn_memsize(const struct ps_soup_server_config *cfg);
/* @return 0, -EINVAL (no on_login or on_msg, buffers < 64 bytes), or the
 *   transport's init error. */
PS_API int ps_soup_server_conn_init(struct ps_soup_server_conn *c, void *mem,
				    const struct ps_soup_server_config *cfg);
PS_API void ps_soup_server_conn_fini(struct ps_soup_server_conn *c);

/* Takes an accepted socket (the object owns it from now on).
 * @return 0 or -EBUSY (a connection is open). */
PS_API int ps_soup_server_conn_adopt(struct ps_soup_server_conn *c, int fd, uint64_t now_ns);
/* Drives the connection; callbacks run from here. @return Unsequenced Data
 * payloads delivered. */
PS_API uint32_t ps_soup_server_conn_poll(struct ps_soup_server_conn *c, uint64_t now_ns);

/*
 * Room for one Sequenced Data packet with len payload bytes: returns where
 * the payload goes, or NULL (not logged in, or the send buffer is full).
 * Then ps_soup_server_conn_commit, which numbers it next_seq.
 */
PS_API uint8_t *ps_soup_server_conn_claim(struct ps_soup_server_conn *c, uint16_t len);
PS_API void ps_soup_server_conn_commit(struct ps_soup_server_conn *c, uint64_t now_ns);
/* Submits queued sends now. @return 0 or an error. */
PS_API int ps_soup_server_conn_flush(struct ps_soup_server_conn *c);
/* Sends End of Session and closes once it is out. @return 0 or -ENOTCONN. */
PS_API int ps_soup_server_conn_end_session(struct ps_soup_server_conn *c, uint64_t now_ns);
/* Closes at once (no event). */
PS_API void ps_soup_server_conn_close(struct ps_soup_server_conn *c);

static inline uint64_t ps_soup_server_conn_next_seq(const struct ps_soup_server_conn *c)
{
	return c->next_seq;
}

static inline unsigned ps_soup_server_conn_state(const struct ps_soup_server_conn *c)
{
	return c->state;
}

#endif /* PS_SOUP_SERVER_H */
