/*
 * The engine's log: every engine thread writes PS_LOG records into its own
 * byte ring (no formatting, no syscall on the hot path); the cold stage
 * drains and formats them into the [log] file. Fatal signals flush what is
 * queued (the log's crash handler).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <ps/alloc.h>
#include <ps/err.h>

#include "engine_internal.h"

#define LOG_RING_BYTES (1u << 20) /* per thread */

int eng_log_open(struct ps_engine *e, char *err, size_t err_len)
{
	struct ps_log_config lc = { .level = e->cfg.log_level };
	int rc;

	if (!e->cfg.log_file[0]) {
		e->log_fd = -1;
		return 0;
	}
	if (strcmp(e->cfg.log_file, "-") == 0)
		e->log_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	else
		e->log_fd = open(e->cfg.log_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (e->log_fd < 0) {
		rc = -errno;
		snprintf(err, err_len, "[log] file = %s: %s", e->cfg.log_file, strerror(errno));
		return rc;
	}
	lc.fd = e->log_fd;
	e->log_mem = ps_alloc_aligned(PS_CACHE_LINE, ps_log_memsize(&lc));
	if (!e->log_mem)
		return -ENOMEM;
	if ((rc = ps_log_init(&e->log, e->log_mem, &lc))) {
		snprintf(err, err_len, "[log]: cannot start the log: %s", ps_strerror(rc));
		return rc;
	}
	e->log_on = true;
	ps_log_install_crash_handler(&e->log);
	return 0;
}

/* The calling engine thread gets its own ring. */
int eng_log_thread_start(struct ps_engine *e, struct eng_thread *t)
{
	if (!e->log_on)
		return 0;
	t->log_mem = ps_alloc_hot(ps_log_thread_memsize(LOG_RING_BYTES));
	if (!t->log_mem)
		return -ENOMEM;
	return ps_log_thread_register(&e->log, &t->log, t->log_mem, LOG_RING_BYTES, t->cfg.name);
}

void eng_log_thread_stop(struct ps_engine *e, struct eng_thread *t)
{
	if (!e->log_on || !t->log_mem)
		return;
	ps_log_thread_unregister(&t->log);
	ps_free(t->log_mem);
	t->log_mem = NULL;
}

/* Format what the rings hold; once they are empty, write the lines out
 * (one write per quiet moment, not one per line). */
int eng_log_drain(struct ps_engine *e)
{
	int n;

	if (!e->log_on)
		return 0;
	n = ps_log_drain(&e->log);
	if (n > 0) {
		e->log_dirty = true;
	} else if (e->log_dirty) {
		ps_log_flush(&e->log);
		e->log_dirty = false;
	}
	return n > 0 ? n : 0;
}

void eng_log_close(struct ps_engine *e)
{
	if (e->log_on) {
		ps_log_flush(&e->log);
		ps_log_fini(&e->log);
		e->log_on = false;
	}
	ps_free(e->log_mem);
	e->log_mem = NULL;
	if (e->log_fd >= 0)
		close(e->log_fd);
	e->log_fd = -1;
}
