/*
 * TCP transport on io_uring: one connection, driven by polling from the
 * stage that owns it; nothing here blocks (except ps_tcp_uring_close, which
 * waits a bounded time for the kernel to hand back in-flight buffers).
 *
 * - Connect: IORING_OP_CONNECT linked to IORING_OP_LINK_TIMEOUT on a
 *   non-blocking socket with TCP_NODELAY. Retry and backoff belong to the
 *   session above (ps_soup_client).
 * - Receive: at most one recv in flight, into a buffer the caller names with
 *   ps_tcp_uring_recv() (typically ps_soup_stream_write_ptr(), so bytes land
 *   where the SoupBinTCP decoder reads them: no copy). The caller must not
 *   move or reuse that memory until poll reports PS_TCP_EV_RX or the
 *   connection is closed.
 * - Send: a caller-owned linear byte buffer; claim/commit appends, and
 *   submit (or the end of poll) sends everything committed in one send, so
 *   messages committed together leave in one system call and usually one
 *   segment. One send is in flight at a time; submit first reaps the
 *   completion of the previous one when it is already there (no system
 *   call), and a partial send is resubmitted for the rest.
 *   While a send is in flight the buffer is not compacted, so claim can say
 *   "no room" (NULL) before the buffer is really full: back-pressure.
 * - The socket is a registered file (fixed slot 0) when the kernel allows,
 *   which saves a file lookup per operation.
 * - The ring runs with COOP_TASKRUN + TASKRUN_FLAG where the kernel allows:
 *   a spinning poller is not interrupted to finish socket completions; poll
 *   enters the kernel (io_uring_get_events) only when the kernel flags
 *   pending work.
 * - Completions are reaped with io_uring_peek_cqe (no system call); SQEs are
 *   submitted by ps_tcp_uring_submit() (one io_uring_enter for everything
 *   queued) and at the end of ps_tcp_uring_poll().
 * - Server side: ps_tcp_listen() / ps_tcp_accept() give connected sockets
 *   (plain non-blocking sockets: accepting is a cold path), and
 *   ps_tcp_uring_adopt() puts one in a transport.
 *
 * Threads: one thread per transport. IPv4 only.
 */
#ifndef PS_TCP_URING_H
#define PS_TCP_URING_H

#include <liburing.h>
#include <netinet/in.h>

#include <ps/common.h>
#include <ps/err.h>

enum ps_tcp_state {
	PS_TCP_IDLE = 0,   /* no socket */
	PS_TCP_CONNECTING, /* connect in flight */
	PS_TCP_CONNECTED,
};

/* Events returned by ps_tcp_uring_poll (a bit mask). */
#define PS_TCP_EV_CONNECTED      0x1u /* connect completed */
#define PS_TCP_EV_CONNECT_FAILED 0x2u /* err: -ETIMEDOUT, -ECONNREFUSED, ...; now IDLE */
#define PS_TCP_EV_RX             0x4u /* *rx_len bytes landed in the recv buffer */
#define PS_TCP_EV_CLOSED         0x8u /* peer closed or error (err); now IDLE */

struct ps_tcp_uring_config {
	uint32_t sq_entries; /* 0 = 16 */
	uint32_t send_cap;   /* bytes of the send buffer (memsize) */
};

struct ps_tcp_uring_stats {
	uint64_t tx_bytes;
	uint64_t rx_bytes;
	uint64_t sends;
	uint64_t partial_sends;
	uint64_t recvs;
	uint64_t submits;
	uint64_t get_events; /* kernel entries to run pending task work */
	/* submits that found the previous send still in the kernel: the new
	 * bytes wait for it (socket buffer full) */
	uint64_t deferred_sends;
};

struct ps_tcp_uring {
	struct io_uring ring;
	struct __kernel_timespec connect_ts;
	uint8_t *tx_buf;
	uint32_t tx_cap;
	uint32_t tx_head; /* next byte to send */
	uint32_t tx_tail; /* end of committed bytes */
	uint32_t tx_claim;
	uint32_t tx_inflight; /* bytes of the send in flight (0 = none) */
	uint32_t inflight;    /* SQEs not yet completed */
	uint32_t epoch;       /* tags completions of the current socket */
	int fd;
	int err;       /* reason of the last CONNECT_FAILED / CLOSED */
	uint8_t state; /* enum ps_tcp_state */
	bool fixed;    /* fd is registered as fixed file 0 */
	bool can_fix;  /* the ring has a sparse file table */
	bool recv_armed;
	bool dirty; /* SQEs queued, not yet submitted */
	/* Completions reaped (by poll or early by send_commit), not yet handed
	 * out by poll. */
	unsigned ev_pending;
	int fail_pending;
	uint32_t rx_pending;
	struct ps_tcp_uring_stats stats;
};

/* Bytes of caller memory for the send buffer. */
PS_API size_t ps_tcp_uring_memsize(const struct ps_tcp_uring_config *cfg);
/*
 * Sets up the ring. @param mem ps_tcp_uring_memsize(cfg) bytes.
 * @return 0, -EINVAL (send_cap < 64), or the io_uring_queue_init error
 *   (-ENOMEM, -EPERM, -ENOSYS where io_uring is unavailable).
 */
PS_API int ps_tcp_uring_init(struct ps_tcp_uring *t, void *mem,
			     const struct ps_tcp_uring_config *cfg);
/* Closes any connection and the ring. */
PS_API void ps_tcp_uring_fini(struct ps_tcp_uring *t);

/*
 * Starts a non-blocking connect (submitted at once). Completion comes from
 * ps_tcp_uring_poll as PS_TCP_EV_CONNECTED or PS_TCP_EV_CONNECT_FAILED
 * (err -ETIMEDOUT after timeout_ns).
 * @return 0, -EBUSY (not IDLE), or a socket/submit error.
 */
PS_API int ps_tcp_uring_connect(struct ps_tcp_uring *t, const struct sockaddr_in *addr,
				uint64_t timeout_ns);
/* Takes a connected socket (e.g. from ps_tcp_accept) into an IDLE
 * transport; it owns fd from now on. @return 0 or -EBUSY. */
PS_API int ps_tcp_uring_adopt(struct ps_tcp_uring *t, int fd);
/*
 * Shuts the connection down (FIN), waits up to 1 s for in-flight operations
 * to complete (so their buffers are free again), closes the socket and
 * forgets unsent bytes. No-op when IDLE. Cold path.
 */
PS_API void ps_tcp_uring_close(struct ps_tcp_uring *t);

/*
 * Reaps completions without blocking and submits queued SQEs.
 * @param rx_len out: bytes received when PS_TCP_EV_RX is set.
 * @return PS_TCP_EV_* bits (0 = nothing happened).
 */
PS_API unsigned ps_tcp_uring_poll(struct ps_tcp_uring *t, uint32_t *rx_len);

/*
 * Submits queued SQEs and sleeps until at least one completion is ready or
 * timeout_ns passes (for a thread with a "park" idle strategy; a spinning
 * thread just calls poll). Reap with ps_tcp_uring_poll afterwards.
 * @return 0, -ETIME on timeout, or another negative errno.
 */
PS_API int ps_tcp_uring_wait(struct ps_tcp_uring *t, uint64_t timeout_ns);

/* Queues a recv into buf[0..len) (submitted by the next submit or poll).
 * @return 0; -EBUSY (one already armed), -ENOTCONN, -EINVAL (len 0). */
PS_API int ps_tcp_uring_recv(struct ps_tcp_uring *t, void *buf, uint32_t len);

/*
 * Room for len bytes at the end of the send buffer, or NULL (not connected,
 * or no room until in-flight bytes are sent). Write, then commit.
 */
PS_API uint8_t *ps_tcp_uring_send_claim(struct ps_tcp_uring *t, uint32_t len);
/* Appends the len bytes written at the claimed pointer (len <= claimed);
 * they leave at the next submit or poll. */
PS_API void ps_tcp_uring_send_commit(struct ps_tcp_uring *t, uint32_t len);
/* Queues a send of the committed bytes (unless one is still in flight)
 * and submits queued SQEs (one system call). @return 0 or the submit error. */
PS_API int ps_tcp_uring_submit(struct ps_tcp_uring *t);

/* Bytes committed but not yet confirmed sent. */
static inline uint32_t ps_tcp_uring_unsent(const struct ps_tcp_uring *t)
{
	return t->tx_tail - t->tx_head;
}

/*
 * Listening socket on addr (IPv4; port 0 = any, read it back with
 * ps_tcp_local_port). Non-blocking, SO_REUSEADDR.
 * @return the fd, or a negative errno.
 */
PS_API int ps_tcp_listen(const struct sockaddr_in *addr, int backlog);
/* Accepts one connection (non-blocking, TCP_NODELAY).
 * @return the fd, -EAGAIN when none is waiting, or a negative errno. */
PS_API int ps_tcp_accept(int listen_fd);
/* Local port of a bound socket (host order), or a negative errno. */
PS_API int ps_tcp_local_port(int fd);

#endif /* PS_TCP_URING_H */
