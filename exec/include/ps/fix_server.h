/*
 * FIX 4.4 acceptor: a listening TCP socket, its connections and the
 * sessions they may log on to, driven by ps_fix_server_poll from one
 * thread (the venue's loop, or the fix-scenarios runner's own thread).
 *
 * A new connection is bound to a session by its first message: that must
 * be a well-formed Logon whose SenderCompID/TargetCompID name a configured
 * session (else the connection is closed: unknown CompIDs, a garbled first
 * message). A session already bound to a live connection refuses a second
 * one (the new connection is closed; the first is untouched).
 *
 * Plain non-blocking sockets with poll(): accepting and the session layer
 * are not on the trading hot path of the engine (this is the venue side).
 * Sends go straight to the socket; what the kernel does not take waits in a
 * per-connection buffer and goes with the next poll.
 *
 * Threads: one thread per server object.
 */
#ifndef PS_FIX_SERVER_H
#define PS_FIX_SERVER_H

#include <netinet/in.h>
#include <ps/fix_session.h>

#define PS_FIX_SERVER_MAX_CONNS    16u
#define PS_FIX_SERVER_MAX_SESSIONS 64u

struct ps_fix_server_conn {
	int fd;
	struct ps_fix_session *session; /* NULL until its Logon */
	uint8_t *pre;                   /* bytes before the session is known */
	uint32_t pre_len;
	uint8_t *tx; /* bytes the kernel did not take yet */
	uint32_t tx_len;
};

struct ps_fix_server_slot {
	struct ps_fix_session session;
	void *mem;
	struct ps_fix_server_conn *conn;
	struct ps_fix_server *srv;
	ps_fix_app_fn on_app;
	ps_fix_event_fn on_event;
	ps_fix_logon_fn on_logon;
	void *ctx;
};

struct ps_fix_server {
	int listen_fd;
	uint16_t port;
	uint32_t slot_count;
	struct ps_fix_server_slot *slots[PS_FIX_SERVER_MAX_SESSIONS];
	struct ps_fix_server_conn conns[PS_FIX_SERVER_MAX_CONNS];
	uint64_t accepted, refused;
};

/*
 * Listens on addr (port 0 = any; read it back from srv->port).
 * @return 0 or a negative errno.
 */
PS_API int ps_fix_server_init(struct ps_fix_server *srv, const struct sockaddr_in *addr);
/* Closes every connection and session. */
PS_API void ps_fix_server_fini(struct ps_fix_server *srv);
/*
 * Adds a session (acceptor side: cfg->initiator is ignored). The server
 * supplies send; on_app/on_event/on_logon get cfg->ctx.
 * @return the session, or NULL (-ENOMEM, too many, bad config: *err).
 */
PS_API struct ps_fix_session *ps_fix_server_add_session(struct ps_fix_server *srv,
							const struct ps_fix_session_config *cfg,
							int *err);
/*
 * Waits up to timeout_ms for socket activity, then accepts, reads, runs
 * the sessions' timers and closes what they asked to close.
 * @return 0 or a negative errno from poll.
 */
PS_API int ps_fix_server_poll(struct ps_fix_server *srv, int timeout_ms);
/* Drops every connection at once, as a network failure would (no Logout):
 * each session keeps its sequence numbers and stored messages for the next
 * Logon. @return how many connections were closed. */
PS_API uint32_t ps_fix_server_disconnect_all(struct ps_fix_server *srv);
/* File descriptors a caller's own poll/epoll may watch (listen + conns).
 * @return how many were written to fds (at most cap). */
PS_API uint32_t ps_fix_server_fds(const struct ps_fix_server *srv, int *fds, uint32_t cap);

/*
 * Application of the FIX acceptance tests (usable as on_app): echoes each
 * application message back on the session (same MsgType, same body and
 * the header fields that are not the session's own), and answers an
 * ExecutionReport with BusinessMessageReject 380=3 (unsupported type).
 */
PS_API void ps_fix_server_echo_app(void *ctx, struct ps_fix_session *s, const struct ps_fix_msg *m,
				   uint64_t now_ns);

#endif /* PS_FIX_SERVER_H */
