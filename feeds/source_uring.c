/*
 * io_uring UDP source: one multishot recv (IORING_RECV_MULTISHOT) reading into
 * a provided-buffer ring. The kernel picks a buffer per datagram and posts one
 * CQE for it; we hand the buffer to the callback and give it back to the ring
 * right after. The recv stays armed while CQEs carry IORING_CQE_F_MORE; when
 * that flag is cleared (buffer ring ran dry, error) it is re-armed on the next
 * poll.
 *
 * Syscalls: with DEFER_TASKRUN the kernel runs the completion work only inside
 * io_uring_enter(GETEVENTS), so a poll with work pending makes exactly one
 * enter (that also submits a pending re-arm) and then reaps every CQE it
 * produced. Under a
 * backlog that enter asks for a whole batch (get_events_nowait), so one
 * syscall returns up to cfg.batch datagrams, not the kernel's 32 per
 * multishot round. With TASKRUN_FLAG the kernel also says in the SQ ring
 * flags when it holds work for us, so a poll that finds nothing makes no
 * syscall. Without DEFER_TASKRUN (older kernels, or PS_SOURCE_F_NO_DEFER) the
 * ring uses COOP_TASKRUN with the same flag, or plain mode, where completions
 * arrive on their own and a poll enters only to submit or to wait.
 *
 * liburing 2.3 has no io_uring_setup_buf_ring, so the buffer ring is mapped
 * here, initialised with io_uring_buf_ring_init and registered with
 * io_uring_register_buf_ring.
 *
 * Limit: a plain recv cannot report MSG_TRUNC, so a datagram longer than
 * buf_len is cut to buf_len (the default 2048 is above any Ethernet MTU).
 */
#include "source_internal.h"

#include <errno.h>
#include <liburing.h>
#include <string.h>
#include <unistd.h>

#define URING_BGID      7     /* buffer group id; any value, one group per ring */
#define URING_MAX_BUFS  32768 /* kernel limit on buffer ring entries */
#define URING_RECV_DATA 1     /* user_data of the multishot recv */
/* Datagrams a multishot recv takes per round before the kernel requeues it
 * (MULTISHOT_MAX_RETRY + 1 on 6.x); a poll that got this many saw a backlog. */
#define URING_ROUND 32

struct uring_state {
	struct io_uring ring;
	struct io_uring_buf_ring *br;
	size_t br_len;
	uint8_t *bufs;
	size_t bufs_len;
	struct io_uring_cqe **cqes;
	size_t map_len;
	uint32_t buf_count;
	uint32_t buf_len;
	uint32_t batch;
	uint32_t min_complete; /* recv rounds one enter may run (see get_events_nowait) */
	int mask;
	bool ring_ok;
	bool registered;
	bool enabled;      /* the ring is created disabled; the polling thread enables it */
	bool defer;        /* DEFER_TASKRUN: completions only inside io_uring_enter */
	bool coop;         /* COOP_TASKRUN: completion work waits for our next enter */
	bool taskrun_flag; /* the kernel flags IORING_SQ_TASKRUN when work is pending */
	bool armed;        /* a multishot recv is (or is about to be) in flight */
	bool pending;      /* an SQE waits for submission */
	bool wait;
	bool backlog; /* the last poll filled a whole kernel round: data is queued */
};

static void uring_close(struct ps_source *s)
{
	struct uring_state *st = s->impl;

	if (st) {
		if (st->registered)
			io_uring_unregister_buf_ring(&st->ring, URING_BGID);
		if (st->ring_ok)
			io_uring_queue_exit(&st->ring);
		ps_source__unmap(st->br, st->br_len);
		ps_source__unmap(st->bufs, st->bufs_len);
	}
	if (s->fd >= 0)
		close(s->fd);
	if (st)
		ps_source__unmap(st, st->map_len);
}

/*
 * The ring starts disabled so that SINGLE_ISSUER binds it to the thread that
 * first polls (enable), not to the thread that opened it.
 */
static int ring_setup(struct uring_state *st, uint32_t flags)
{
	static const uint32_t modes[] = {
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
		IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
		0,
	};
	int rc = -EINVAL;

	for (size_t i = (flags & PS_SOURCE_F_NO_DEFER) ? 2 : 0; i < PS_ARRAY_SIZE(modes); i++) {
		struct io_uring_params p;

		memset(&p, 0, sizeof(p));
		/* One CQE per datagram: room for every buffer in flight, twice over. */
		p.cq_entries = st->buf_count * 2;
		p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_R_DISABLED | modes[i];
		rc = io_uring_queue_init_params(8, &st->ring, &p);
		if (rc == 0) {
			st->defer = (modes[i] & IORING_SETUP_DEFER_TASKRUN) != 0;
			st->coop = (modes[i] & IORING_SETUP_COOP_TASKRUN) != 0;
			st->taskrun_flag = (modes[i] & IORING_SETUP_TASKRUN_FLAG) != 0;
			return 0;
		}
		if (rc != -EINVAL)
			return rc; /* -ENOSYS, -EPERM, -ENOMEM: no point trying lesser modes */
	}
	return rc;
}

static int uring_open(struct ps_source *s, const struct ps_source_config *cfg)
{
	size_t len =
	    sizeof(struct uring_state) + (size_t)cfg->batch * sizeof(struct io_uring_cqe *);
	struct uring_state *st;
	int rc;

	if (cfg->buf_count == 0 || cfg->buf_count > URING_MAX_BUFS ||
	    (cfg->buf_count & (cfg->buf_count - 1)) != 0)
		return -EINVAL;
	st = ps_source__map(len);
	if (!st)
		return -ENOMEM;
	st->map_len = len;
	st->buf_count = cfg->buf_count;
	st->buf_len = cfg->buf_len;
	st->batch = cfg->batch;
	st->min_complete = PS_MAX(1u, PS_MIN(cfg->batch, cfg->buf_count / 2) / URING_ROUND);
	st->wait = (cfg->flags & PS_SOURCE_F_WAIT) != 0;
	st->cqes = (struct io_uring_cqe **)(st + 1);
	s->impl = st;

	rc = ring_setup(st, cfg->flags);
	if (rc < 0)
		goto err;
	st->ring_ok = true;

	st->br_len = (size_t)cfg->buf_count * sizeof(struct io_uring_buf);
	st->br = ps_source__map(st->br_len);
	st->bufs_len = (size_t)cfg->buf_count * cfg->buf_len;
	st->bufs = ps_source__map(st->bufs_len);
	if (!st->br || !st->bufs) {
		rc = -ENOMEM;
		goto err;
	}
	io_uring_buf_ring_init(st->br);
	struct io_uring_buf_reg reg = {
		.ring_addr = (unsigned long)(uintptr_t)st->br,
		.ring_entries = cfg->buf_count,
		.bgid = URING_BGID,
	};
	rc = io_uring_register_buf_ring(&st->ring, &reg, 0);
	if (rc < 0)
		goto err;
	st->registered = true;
	st->mask = io_uring_buf_ring_mask(cfg->buf_count);
	for (uint32_t i = 0; i < cfg->buf_count; i++)
		io_uring_buf_ring_add(st->br, st->bufs + (size_t)i * cfg->buf_len, cfg->buf_len,
				      (unsigned short)i, st->mask, (int)i);
	io_uring_buf_ring_advance(st->br, (int)cfg->buf_count);

	rc = ps_source__udp_socket(cfg);
	if (rc < 0)
		goto err;
	s->fd = rc;
	return 0;
err:
	uring_close(s);
	s->impl = NULL;
	s->fd = -1;
	return rc;
}

/*
 * One io_uring_enter that runs the deferred completion work and never blocks.
 * The kernel stops a multishot recv after a round of 32 datagrams (6.x) and
 * requeues it as task work. Asking for min_complete with an already-expired
 * timeout makes the same enter run up to min_complete such task-work items
 * (the kernel counts items here, not CQEs: measured on 6.18, one item per
 * round) before it returns, -ETIME when the socket ran empty first. So
 * min_complete = batch / 32 rounds gathers about one batch of datagrams per
 * syscall, and never more than the buffer ring holds (a larger value let one
 * enter take every buffer: -ENOBUFS and a re-arm). Used only while a backlog
 * is seen (the last poll got a full round): for a trickle the plain
 * get_events is cheaper (no timer set up).
 */
static int get_events_nowait(struct uring_state *st)
{
	struct __kernel_timespec ts = { 0, 0 };
	struct io_uring_getevents_arg arg = {
		.ts = (uint64_t)(uintptr_t)&ts,
	};

	return io_uring_enter2(
	    st->ring.ring_fd, 0, st->min_complete, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG,
	    (sigset_t *)(void *)&arg, sizeof(arg)); /* EXT_ARG: the sig slot carries arg */
}

static void arm(struct ps_source *s, struct uring_state *st)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&st->ring);

	/* The SQ has 8 entries and holds at most this one SQE: never NULL. */
	io_uring_prep_recv_multishot(sqe, s->fd, NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = URING_BGID;
	io_uring_sqe_set_data64(sqe, URING_RECV_DATA);
	st->armed = true;
	st->pending = true;
}

/*
 * Whether this poll must enter the kernel: to submit the re-arm, to block
 * (F_WAIT), or to run completion work the kernel holds for us (unless a full
 * batch of CQEs is already waiting). With
 * TASKRUN_FLAG that last case is visible in the SQ ring flags, so an empty
 * busy poll costs no syscall at all.
 */
static bool need_enter(struct uring_state *st)
{
	unsigned ready = io_uring_cq_ready(&st->ring);

	if (st->pending)
		return true;
	/* A full batch is already posted: entering would only pile up more CQEs
	 * (and buffers) than one poll hands out, until the buffer ring runs dry. */
	if (ready >= st->batch)
		return false;
	if (st->wait && ready == 0)
		return true;
	if (!st->defer && !st->coop)
		return false; /* completions are posted on their own */
	if (!st->taskrun_flag)
		return true;
	/*
	 * Relaxed: the kernel sets IORING_SQ_TASKRUN after queueing work for us
	 * and clears it when our enter runs that work; a set we miss here is
	 * seen on the next poll, and the work itself is ordered by the enter.
	 * IORING_SQ_CQ_OVERFLOW: completions that did not fit the CQ ring wait
	 * in the kernel until an enter flushes them; among them may be the one
	 * that ends the multishot recv, and without it we would never re-arm.
	 */
	return (IO_URING_READ_ONCE(*st->ring.sq.kflags) &
		(IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW)) != 0;
}

static int uring_poll(struct ps_source *s, ps_source_pkt_fn fn, void *ctx)
{
	struct uring_state *st = s->impl;
	int delivered = 0;
	int rc;

	s->stats.polls++;
	if (ps_unlikely(!st->enabled)) {
		/* liburing 2.3 declares io_uring_enable_rings but does not export it. */
		rc = io_uring_register(st->ring.ring_fd, IORING_REGISTER_ENABLE_RINGS, NULL, 0);
		if (rc < 0)
			return rc;
		st->enabled = true;
	}
	if (ps_unlikely(!st->armed))
		arm(s, st);

	if (need_enter(st)) {
		s->stats.syscalls++;
		if (st->wait && io_uring_cq_ready(&st->ring) == 0)
			rc = io_uring_submit_and_wait(&st->ring, 1);
		else if (st->pending || !st->defer || !st->backlog)
			rc = io_uring_submit_and_get_events(&st->ring);
		else
			rc = get_events_nowait(st);
		if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY && rc != -ETIME) {
			s->stats.errors++;
			return rc;
		}
		if (rc >= 0 || rc == -ETIME)
			st->pending = false;
	}

	/* An empty CQ is the common case of a busy poll: a few loads, not the
	 * out-of-line batch peek (which also flushes an overflowed CQ: the
	 * overflow flag sends us there too; relaxed, as in need_enter). */
	unsigned n = io_uring_cq_ready(&st->ring) ||
			     (IO_URING_READ_ONCE(*st->ring.sq.kflags) & IORING_SQ_CQ_OVERFLOW)
			 ? io_uring_peek_batch_cqe(&st->ring, st->cqes, st->batch)
			 : 0;
	st->backlog = n >= URING_ROUND;
	if (n == 0)
		return 0;
	uint64_t tsc = ps_tsc();
	int recycled = 0;
	for (unsigned i = 0; i < n; i++) {
		const struct io_uring_cqe *cqe = st->cqes[i];
		int res = cqe->res;

		if (ps_unlikely(!(cqe->flags & IORING_CQE_F_MORE))) {
			/* The multishot recv ended (-ENOBUFS when the ring ran dry): re-arm. */
			st->armed = false;
			s->stats.rearms++;
		}
		if (ps_unlikely(res < 0)) {
			if (res == -ENOBUFS)
				s->stats.nobufs++;
			else
				s->stats.errors++;
			continue;
		}
		if (ps_unlikely(!(cqe->flags & IORING_CQE_F_BUFFER)))
			continue;
		unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
		uint8_t *buf = st->bufs + (size_t)bid * st->buf_len;
		fn(ctx, buf, (uint32_t)res, tsc);
		s->stats.bytes += (uint64_t)res;
		delivered++;
		/* Back to the kernel once the callback is done with it. */
		io_uring_buf_ring_add(st->br, buf, st->buf_len, (unsigned short)bid, st->mask,
				      recycled++);
	}
	/* R1 (inside advance): publishes the recycled entries before the new tail. */
	io_uring_buf_ring_advance(st->br, recycled);
	io_uring_cq_advance(&st->ring, n);
	s->stats.packets += (uint64_t)delivered;
	if (ps_unlikely(!st->armed))
		arm(s, st);
	return delivered;
}

const struct ps_source_ops ps_source__uring_ops = {
	.name = "io_uring",
	.open = uring_open,
	.poll = uring_poll,
	.close = uring_close,
};
