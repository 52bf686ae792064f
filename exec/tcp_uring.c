/*
 * TCP transport on io_uring. See <ps/tcp_uring.h>.
 *
 * user_data of every SQE = (epoch << 8) | op. The epoch changes with every
 * socket, so a completion left over from an earlier connection (there
 * should be none: close drains) is recognised and only counted off.
 */
#include <ps/tcp_uring.h>

#include <errno.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum op {
	OP_CONNECT = 1,
	OP_LINK_TIMEOUT,
	OP_RECV,
	OP_SEND,
	OP_CANCEL,
};

static uint64_t tag(const struct ps_tcp_uring *t, enum op op)
{
	return ((uint64_t)t->epoch << 8) | (uint64_t)op;
}

size_t ps_tcp_uring_memsize(const struct ps_tcp_uring_config *cfg)
{
	return cfg ? cfg->send_cap : 0;
}

int ps_tcp_uring_init(struct ps_tcp_uring *t, void *mem, const struct ps_tcp_uring_config *cfg)
{
	if (!t || !mem || !cfg || cfg->send_cap < 64)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	/*
	 * COOP_TASKRUN: completions of socket operations are finished by task
	 * work in this thread; without the flag the kernel interrupts the
	 * spinning thread (an IPI) to run it. TASKRUN_FLAG makes the kernel
	 * raise IORING_SQ_TASKRUN instead, and poll enters the kernel only then.
	 * Older kernels refuse the flags: fall back to the default mode.
	 */
	unsigned entries = cfg->sq_entries ? cfg->sq_entries : 16;
	struct io_uring_params p;
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
	int rc = io_uring_queue_init_params(entries, &t->ring, &p);
	if (rc == -EINVAL)
		rc = io_uring_queue_init(entries, &t->ring, 0);
	if (rc < 0)
		return rc;
	/* A one-slot sparse file table; if the kernel refuses, use plain fds. */
	t->can_fix = io_uring_register_files_sparse(&t->ring, 1) == 0;
	t->tx_buf = mem;
	t->tx_cap = cfg->send_cap;
	t->fd = -1;
	t->state = PS_TCP_IDLE;
	return 0;
}

void ps_tcp_uring_fini(struct ps_tcp_uring *t)
{
	if (!t || !t->tx_buf)
		return;
	ps_tcp_uring_close(t);
	io_uring_queue_exit(&t->ring);
	memset(t, 0, sizeof(*t));
	t->fd = -1;
}

static struct io_uring_sqe *get_sqe(struct ps_tcp_uring *t)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&t->ring);
	if (ps_unlikely(!sqe)) {
		/* SQ full: push what is queued to make room. */
		io_uring_submit(&t->ring);
		t->stats.submits++;
		sqe = io_uring_get_sqe(&t->ring);
	}
	return sqe;
}

/* Points sqe at the socket: fixed slot 0 when registered. */
static void set_fd(struct ps_tcp_uring *t, struct io_uring_sqe *sqe)
{
	if (t->fixed) {
		sqe->fd = 0;
		sqe->flags |= IOSQE_FIXED_FILE;
	} else {
		sqe->fd = t->fd;
	}
}

static void attach(struct ps_tcp_uring *t, int fd)
{
	t->fd = fd;
	t->epoch++;
	t->tx_head = t->tx_tail = t->tx_claim = t->tx_inflight = 0;
	t->recv_armed = false;
	t->err = 0;
	t->fixed = t->can_fix && io_uring_register_files_update(&t->ring, 0, &fd, 1) == 1;
}

static int new_socket(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

int ps_tcp_uring_connect(struct ps_tcp_uring *t, const struct sockaddr_in *addr,
			 uint64_t timeout_ns)
{
	if (t->state != PS_TCP_IDLE)
		return -EBUSY;
	int fd = new_socket();
	if (fd < 0)
		return fd;
	attach(t, fd);
	struct io_uring_sqe *sqe = get_sqe(t);
	io_uring_prep_connect(sqe, 0, (const struct sockaddr *)addr, sizeof(*addr));
	set_fd(t, sqe);
	sqe->flags |= IOSQE_IO_LINK;
	io_uring_sqe_set_data64(sqe, tag(t, OP_CONNECT));
	t->connect_ts.tv_sec = (long long)(timeout_ns / 1000000000u);
	t->connect_ts.tv_nsec = (long long)(timeout_ns % 1000000000u);
	sqe = get_sqe(t);
	io_uring_prep_link_timeout(sqe, &t->connect_ts, 0);
	io_uring_sqe_set_data64(sqe, tag(t, OP_LINK_TIMEOUT));
	t->inflight += 2;
	t->state = PS_TCP_CONNECTING;
	t->dirty = true;
	int rc = ps_tcp_uring_submit(t);
	if (rc < 0) {
		ps_tcp_uring_close(t);
		return rc;
	}
	return 0;
}

int ps_tcp_uring_adopt(struct ps_tcp_uring *t, int fd)
{
	if (t->state != PS_TCP_IDLE)
		return -EBUSY;
	attach(t, fd);
	t->state = PS_TCP_CONNECTED;
	return 0;
}

static void reap(struct ps_tcp_uring *t);
static void queue_send(struct ps_tcp_uring *t);

/* @return true when bytes wait behind a send still in the kernel. */
static bool queue_unsent(struct ps_tcp_uring *t)
{
	if (t->tx_tail > t->tx_head && t->state == PS_TCP_CONNECTED) {
		/* The last send has usually completed already (a send with room in
		 * the socket buffer completes inside the submit that carried it):
		 * reaping its completion (no system call) lets these bytes go now
		 * rather than at the next poll. */
		if (t->tx_inflight)
			reap(t);
		if (t->tx_inflight)
			return true;
		if (!(t->ev_pending & PS_TCP_EV_CLOSED))
			queue_send(t);
	}
	return false;
}

static int submit_queued(struct ps_tcp_uring *t)
{
	if (!t->dirty)
		return 0;
	t->dirty = false;
	t->stats.submits++;
	int rc = io_uring_submit(&t->ring);
	return rc < 0 ? rc : 0;
}

int ps_tcp_uring_submit(struct ps_tcp_uring *t)
{
	if (queue_unsent(t))
		t->stats.deferred_sends++;
	return submit_queued(t);
}

int ps_tcp_uring_recv(struct ps_tcp_uring *t, void *buf, uint32_t len)
{
	if (ps_unlikely(t->state != PS_TCP_CONNECTED))
		return -ENOTCONN;
	if (ps_unlikely(t->recv_armed))
		return -EBUSY;
	if (ps_unlikely(len == 0))
		return -EINVAL;
	struct io_uring_sqe *sqe = get_sqe(t);
	io_uring_prep_recv(sqe, 0, buf, len, 0);
	set_fd(t, sqe);
	io_uring_sqe_set_data64(sqe, tag(t, OP_RECV));
	t->recv_armed = true;
	t->inflight++;
	t->dirty = true;
	return 0;
}

static void queue_send(struct ps_tcp_uring *t)
{
	uint32_t n = t->tx_tail - t->tx_head;
	struct io_uring_sqe *sqe = get_sqe(t);
	io_uring_prep_send(sqe, 0, t->tx_buf + t->tx_head, n, MSG_NOSIGNAL);
	set_fd(t, sqe);
	io_uring_sqe_set_data64(sqe, tag(t, OP_SEND));
	t->tx_inflight = n;
	t->inflight++;
	t->dirty = true;
	t->stats.sends++;
}

uint8_t *ps_tcp_uring_send_claim(struct ps_tcp_uring *t, uint32_t len)
{
	if (ps_unlikely(t->state != PS_TCP_CONNECTED))
		return NULL;
	if (ps_unlikely(t->tx_tail + len > t->tx_cap)) {
		/* Compact only when the kernel is not reading the buffer. */
		if (t->tx_inflight || t->tx_tail - t->tx_head + len > t->tx_cap)
			return NULL;
		memmove(t->tx_buf, t->tx_buf + t->tx_head, t->tx_tail - t->tx_head);
		t->tx_tail -= t->tx_head;
		t->tx_head = 0;
	}
	t->tx_claim = len;
	return t->tx_buf + t->tx_tail;
}

void ps_tcp_uring_send_commit(struct ps_tcp_uring *t, uint32_t len)
{
	if (ps_unlikely(len > t->tx_claim))
		len = t->tx_claim;
	t->tx_claim = 0;
	t->tx_tail += len;
}

static void drop(struct ps_tcp_uring *t, int err)
{
	if (t->fd >= 0) {
		shutdown(t->fd, SHUT_RDWR);
		/* Ask the kernel to give up on everything of this socket. */
		if (t->inflight) {
			struct io_uring_sqe *sqe = get_sqe(t);
			io_uring_prep_cancel64(sqe, 0,
					       IORING_ASYNC_CANCEL_ALL | IORING_ASYNC_CANCEL_FD);
			if (t->fixed)
				sqe->cancel_flags |= IORING_ASYNC_CANCEL_FD_FIXED;
			sqe->fd = t->fixed ? 0 : t->fd;
			io_uring_sqe_set_data64(sqe, tag(t, OP_CANCEL));
			t->inflight++;
			t->dirty = true;
			submit_queued(t);
		}
		/* The kernel may still write into the recv buffer or read the send
		 * buffer until each operation completes: wait for them (bounded). */
		struct timespec t0;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		while (t->inflight) {
			struct io_uring_cqe *cqe;
			struct __kernel_timespec ts = { .tv_sec = 0, .tv_nsec = 10000000 };
			if (io_uring_wait_cqe_timeout(&t->ring, &cqe, &ts) == 0) {
				t->inflight--;
				io_uring_cqe_seen(&t->ring, cqe);
				continue;
			}
			struct timespec t1;
			clock_gettime(CLOCK_MONOTONIC, &t1);
			if (t1.tv_sec - t0.tv_sec >= 1)
				break;
		}
		if (t->fixed) {
			int none = -1;
			io_uring_register_files_update(&t->ring, 0, &none, 1);
			t->fixed = false;
		}
		close(t->fd);
		t->fd = -1;
	}
	t->inflight = 0;
	t->epoch++;
	t->state = PS_TCP_IDLE;
	t->recv_armed = false;
	t->tx_head = t->tx_tail = t->tx_claim = t->tx_inflight = 0;
	t->err = err;
	t->rx_pending = 0;
	t->ev_pending = 0;
	t->fail_pending = 0;
}

void ps_tcp_uring_close(struct ps_tcp_uring *t)
{
	if (t->state == PS_TCP_IDLE && t->fd < 0)
		return;
	drop(t, 0);
}

/*
 * The next completion, without a system call. io_uring_peek_cqe finds an
 * empty CQ out of line, in liburing's wait path (about 120 instructions per
 * empty poll here, counted with callgrind); the ready count is two loads,
 * and with it non-zero the peek stays inline. (The ready count's acquire
 * load of the CQ tail pairs with the kernel's release store when it posts
 * a completion: the CQE is complete before we read it.)
 */
static bool next_cqe(struct ps_tcp_uring *t, struct io_uring_cqe **cqe)
{
	return io_uring_cq_ready(&t->ring) && io_uring_peek_cqe(&t->ring, cqe) == 0;
}

/*
 * Reaps every ready completion into t->ev_pending / rx_pending / fail_pending
 * (handed out by the next poll). A finished send queues the bytes committed
 * since, so callers that reap early (send_commit) hand them over at once.
 */
static void reap(struct ps_tcp_uring *t)
{
	struct io_uring_cqe *cqe;
	for (;;) {
		if (!next_cqe(t, &cqe)) {
			/*
			 * Relaxed load of the kernel's SQ flags word: the syscall below
			 * is what orders us with the kernel; a stale 0 only delays the
			 * completion to the next poll. TASKRUN: completion work the
			 * kernel holds for this thread; CQ_OVERFLOW: completions that
			 * did not fit the CQ ring, flushed by the same enter (liburing's
			 * out-of-line peek did both).
			 */
			if (!(__atomic_load_n(t->ring.sq.kflags, __ATOMIC_RELAXED) &
			      (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW)))
				break;
			t->stats.get_events++;
			io_uring_get_events(&t->ring);
			if (!next_cqe(t, &cqe))
				break;
		}
		uint64_t ud = io_uring_cqe_get_data64(cqe);
		int res = cqe->res;
		io_uring_cqe_seen(&t->ring, cqe);
		/* A completion left over after a timed-out close is not counted. */
		if (t->inflight)
			t->inflight--;
		if ((uint32_t)(ud >> 8) != t->epoch)
			continue;
		switch ((enum op)(ud & 0xff)) {
		case OP_CONNECT:
			if (res == 0) {
				t->state = PS_TCP_CONNECTED;
				t->ev_pending |= PS_TCP_EV_CONNECTED;
			} else {
				/* -ECANCELED: the linked timeout fired first. */
				t->fail_pending = res == -ECANCELED ? -ETIMEDOUT : res;
				t->ev_pending |= PS_TCP_EV_CONNECT_FAILED;
			}
			break;
		case OP_RECV:
			t->recv_armed = false;
			if (res > 0) {
				t->rx_pending = (uint32_t)res;
				t->stats.rx_bytes += (uint64_t)res;
				t->stats.recvs++;
				t->ev_pending |= PS_TCP_EV_RX;
			} else if (!t->fail_pending) {
				t->fail_pending = res == 0 ? PS_EDISCONNECTED : res;
				t->ev_pending |= PS_TCP_EV_CLOSED;
			}
			break;
		case OP_SEND:
			if (res < 0) {
				if (!t->fail_pending)
					t->fail_pending = res;
				t->ev_pending |= PS_TCP_EV_CLOSED;
				break;
			}
			t->stats.tx_bytes += (uint64_t)res;
			t->tx_head += (uint32_t)res;
			if ((uint32_t)res < t->tx_inflight)
				t->stats.partial_sends++;
			t->tx_inflight = 0;
			if (t->tx_head == t->tx_tail)
				t->tx_head = t->tx_tail = 0;
			break;
		default:
			break;
		}
	}
}

unsigned ps_tcp_uring_poll(struct ps_tcp_uring *t, uint32_t *rx_len)
{
	reap(t);
	unsigned ev = t->ev_pending;
	int fail = t->fail_pending;
	*rx_len = t->rx_pending;
	t->ev_pending = 0;
	t->fail_pending = 0;
	t->rx_pending = 0;
	if (ps_unlikely(ev & (PS_TCP_EV_CONNECT_FAILED | PS_TCP_EV_CLOSED))) {
		bool connecting = t->state == PS_TCP_CONNECTING;
		drop(t, fail);
		ev &= ~(PS_TCP_EV_CONNECT_FAILED | PS_TCP_EV_CLOSED | PS_TCP_EV_CONNECTED);
		ev |= connecting ? PS_TCP_EV_CONNECT_FAILED : PS_TCP_EV_CLOSED;
		return ev;
	}
	queue_unsent(t);
	submit_queued(t);
	return ev;
}

int ps_tcp_uring_wait(struct ps_tcp_uring *t, uint64_t timeout_ns)
{
	struct io_uring_cqe *cqe;
	struct __kernel_timespec ts = { .tv_sec = (long long)(timeout_ns / 1000000000u),
					.tv_nsec = (long long)(timeout_ns % 1000000000u) };
	queue_unsent(t);
	if (t->inflight == 0)
		return submit_queued(t);
	t->dirty = false;
	t->stats.submits++;
	int rc = io_uring_submit_and_wait_timeout(&t->ring, &cqe, 1, &ts, NULL);
	return rc < 0 ? rc : 0;
}

int ps_tcp_listen(const struct sockaddr_in *addr, int backlog)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (const struct sockaddr *)addr, sizeof(*addr)) < 0 || listen(fd, backlog) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

int ps_tcp_accept(int listen_fd)
{
	int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	int one = 1;
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

int ps_tcp_local_port(int fd)
{
	struct sockaddr_in a = { 0 };
	socklen_t len = sizeof(a);
	if (getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		return -errno;
	return ntohs(a.sin_port);
}
