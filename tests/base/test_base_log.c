/* Async log: formatting, ordering across threads, drops, levels, flush, crash. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <ps/alloc.h>
#include <ps/clock.h>
#include <ps/err.h>
#include <ps/log.h>

#define RING_LEN (64u * 1024u)

static unsigned scale(unsigned n)
{
	const char *s = getenv("PS_STRESS_SCALE");
	double f = s ? strtod(s, NULL) : 1.0;

	if (f <= 0)
		f = 1.0;
	n = (unsigned)(n * f);
	return n ? n : 1;
}

struct fx {
	struct ps_log log;
	char path[64];
	int fd;
	void *buf;
	void *ring;
	struct ps_log_thread t;
	char *text; /* what the log wrote, after read_back */
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct ps_log_config cfg = { .level = PS_LOG_DEBUG };

	if (!f)
		return -1;
	snprintf(f->path, sizeof(f->path), "/tmp/ps_log_test_XXXXXX");
	f->fd = mkstemp(f->path);
	if (f->fd < 0)
		goto err;
	cfg.fd = f->fd;
	f->buf = malloc(ps_log_memsize(&cfg));
	f->ring = aligned_alloc(64, ps_log_thread_memsize(RING_LEN));
	if (!f->buf || !f->ring || ps_log_init(&f->log, f->buf, &cfg))
		goto err;
	*state = f;
	return 0;
err:
	if (f->fd >= 0) {
		close(f->fd);
		unlink(f->path);
	}
	free(f->buf);
	free(f->ring);
	free(f);
	return -1;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	if (ps_log__self)
		ps_log_thread_unregister(ps_log__self);
	if (ps_log_fini(&f->log) != 0)
		return -1;
	close(f->fd);
	unlink(f->path);
	free(f->buf);
	free(f->ring);
	free(f->text);
	free(f);
	return 0;
}

/* Everything written to the log's file so far. */
static const char *read_back(struct fx *f)
{
	off_t len = lseek(f->fd, 0, SEEK_END);

	free(f->text);
	f->text = calloc(1, (size_t)len + 1);
	assert_non_null(f->text);
	assert_int_equal(pread(f->fd, f->text, (size_t)len, 0), len);
	return f->text;
}

static unsigned count_lines(const char *s)
{
	unsigned n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* The message part of line @idx (after "TIMESTAMP LEVEL file:line "), into @out. */
static void line_msg(const char *text, unsigned idx, char *out, size_t len, char *level,
		     size_t level_len)
{
	const char *p = text, *eol, *sp;

	for (unsigned i = 0; i < idx; i++) {
		p = strchr(p, '\n');
		assert_non_null(p);
		p++;
	}
	eol = strchr(p, '\n');
	assert_non_null(eol);
	/* 2026-11-22T03:04:05.123456789 */
	assert_true(eol - p > 30);
	assert_true(p[4] == '-' && p[7] == '-' && p[10] == 'T' && p[13] == ':' && p[16] == ':' &&
		    p[19] == '.' && p[29] == ' ');
	p += 30;
	sp = strchr(p, ' ');
	snprintf(level, level_len, "%.*s", (int)(sp - p), p);
	p = strchr(sp + 1, ' ') + 1; /* skip file:line */
	snprintf(out, len, "%.*s", (int)(eol - p), p);
}

static void expect_line(const char *text, unsigned idx, const char *level, const char *msg)
{
	char got[PS_LOG_LINE_MAX], lv[16];

	line_msg(text, idx, got, sizeof(got), lv, sizeof(lv));
	assert_string_equal(lv, level);
	assert_string_equal(got, msg);
}

static void test_log_formats_every_argument_type(void **state)
{
	struct fx *f = *state;
	char long_str[100], want[200];
	const char *null_str = NULL;
	const char *text;
	int line;

	assert_int_equal(ps_log_thread_register(&f->log, &f->t, f->ring, RING_LEN, "main"), 0);
	memset(long_str, 'x', sizeof(long_str) - 1);
	long_str[sizeof(long_str) - 1] = '\0';

	line = __LINE__ + 1;
	PS_LOG(PS_LOG_INFO, "plain text");
	PS_LOG(PS_LOG_INFO, "int %d neg %d uint %u", 42, -7, 4000000000u);
	PS_LOG(PS_LOG_WARN, "i64 %ld u64 %lu ll %lld", (long)INT64_MIN, (unsigned long)UINT64_MAX,
	       -5LL);
	PS_LOG(PS_LOG_ERROR, "hex %x %X %#x oct %o", 255u, 0xabcu, 16u, 8u);
	PS_LOG(PS_LOG_INFO, "char %c short %hd uchar %hhu bool %d", 'z', (short)-3,
	       (unsigned char)200, (int)true);
	PS_LOG(PS_LOG_INFO, "double %f %.2f %g %e", 1.5, 3.14159, 0.25, 12345.0);
	PS_LOG(PS_LOG_INFO, "str [%s] [%s] lit [%s] null [%s]", "abc", (char *)long_str,
	       PS_LOG_LIT("literal"), null_str);
	PS_LOG(PS_LOG_INFO, "width [%5d] [%-4d] [%05u] [%6s] [%-6s] [%.2s]", 42, 7, 9u, "ab", "cd",
	       "xyz");
	PS_LOG(PS_LOG_INFO, "ptr %p nil %p pct %% star [%*d]", (void *)0x1234, (void *)NULL, 4, 5);
	PS_LOG(PS_LOG_FATAL, "eight %d %d %d %d %d %d %d %d", 1, 2, 3, 4, 5, 6, 7, 8);
	PS_LOG(PS_LOG_DEBUG, "float %.1f size %zu", 2.5f, (size_t)77);

	assert_int_equal(ps_log_flush(&f->log), 0);
	text = read_back(f);
	assert_int_equal(count_lines(text), 11);
	expect_line(text, 0, "INFO", "plain text");
	expect_line(text, 1, "INFO", "int 42 neg -7 uint 4000000000");
	expect_line(text, 2, "WARN", "i64 -9223372036854775808 u64 18446744073709551615 ll -5");
	expect_line(text, 3, "ERROR", "hex ff ABC 0x10 oct 10");
	expect_line(text, 4, "INFO", "char z short -3 uchar 200 bool 1");
	expect_line(text, 5, "INFO", "double 1.500000 3.14 0.25 1.234500e+04");
	snprintf(want, sizeof(want), "str [abc] [%.*s] lit [literal] null [(null)]", PS_LOG_STR_MAX,
		 long_str);
	expect_line(text, 6, "INFO", want);
	expect_line(text, 7, "INFO", "width [   42] [7   ] [00009] [    ab] [cd    ] [xy]");
	expect_line(text, 8, "INFO", "ptr 0x1234 nil (nil) pct % star [   5]");
	expect_line(text, 9, "FATAL", "eight 1 2 3 4 5 6 7 8");
	expect_line(text, 10, "DEBUG", "float 2.5 size 77");

	/* file:line of the first record */
	snprintf(want, sizeof(want), " INFO test_base_log.c:%d plain text\n", line);
	assert_non_null(strstr(text, want));
}

static void test_log_timestamp_is_utc_wall_clock(void **state)
{
	struct fx *f = *state;
	struct tm tm = { 0 };
	long nsec = 0;
	time_t now = time(NULL), then;

	assert_int_equal(ps_log_thread_register(&f->log, &f->t, f->ring, RING_LEN, "main"), 0);
	PS_LOG(PS_LOG_INFO, "tick");
	assert_int_equal(ps_log_flush(&f->log), 0);
	read_back(f);
	{
		char *p = f->text;

		tm.tm_year = (int)strtol(p, &p, 10);
		tm.tm_mon = (int)strtol(p + 1, &p, 10);
		tm.tm_mday = (int)strtol(p + 1, &p, 10);
		assert_int_equal(*p, 'T');
		tm.tm_hour = (int)strtol(p + 1, &p, 10);
		tm.tm_min = (int)strtol(p + 1, &p, 10);
		tm.tm_sec = (int)strtol(p + 1, &p, 10);
		assert_int_equal(*p, '.');
		nsec = strtol(p + 1, &p, 10);
		assert_int_equal(*p, ' ');
	}
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	then = timegm(&tm);
	assert_true(then >= now - 2 && then <= now + 2);
	assert_true(nsec >= 0 && nsec < 1000000000);
}

static int side_effects;

static int bump(void)
{
	return ++side_effects;
}

static void test_log_level_filters_without_evaluating(void **state)
{
	struct fx *f = *state;

	assert_int_equal(ps_log_thread_register(&f->log, &f->t, f->ring, RING_LEN, "main"), 0);
	ps_log_set_level(PS_LOG_WARN);
	assert_int_equal(ps_log_get_level(), PS_LOG_WARN);
	side_effects = 0;
	PS_LOG(PS_LOG_DEBUG, "debug %d", bump());
	PS_LOG(PS_LOG_INFO, "info %d", bump());
	assert_int_equal(side_effects, 0);
	PS_LOG(PS_LOG_WARN, "warn %d", bump());
	PS_LOG(PS_LOG_ERROR, "error %d", bump());
	assert_int_equal(side_effects, 2);
	ps_log_set_level(PS_LOG_OFF);
	PS_LOG(PS_LOG_FATAL, "fatal %d", bump());
	assert_int_equal(side_effects, 2);
	assert_false(ps_log_enabled(PS_LOG_FATAL));
	assert_int_equal(ps_log_flush(&f->log), 0);
	read_back(f);
	assert_int_equal(count_lines(f->text), 2);
	expect_line(f->text, 0, "WARN", "warn 1");
	expect_line(f->text, 1, "ERROR", "error 2");
	assert_string_equal(ps_log_level_name(PS_LOG_ERROR), "ERROR");
}

static void test_log_drops_counted_when_ring_full(void **state)
{
	struct fx *f = *state;
	const uint32_t small = 4096;
	void *ring = aligned_alloc(64, ps_log_thread_memsize(small));
	struct ps_log_stats st;
	char want[96];
	unsigned kept, dropped;

	assert_non_null(ring);
	assert_int_equal(ps_log_thread_register(&f->log, &f->t, ring, small, "tiny"), 0);
	/* 16-byte header + 2 slots = 32 payload bytes + 8 ring header: 40 per record. */
	for (unsigned i = 0; i < 1000; i++)
		PS_LOG(PS_LOG_INFO, "rec %u %u", i, i);
	dropped = (unsigned)ps_log_thread_drops(&f->t);
	kept = 1000 - dropped;
	assert_true(dropped > 0);
	assert_true(kept >= small / 40 - 2 && kept <= small / 40);
	ps_log_stats(&f->log, &st);
	assert_int_equal(st.drops, dropped);

	assert_int_equal(ps_log_drain(&f->log), kept);
	/* Room again: the next record is kept. */
	PS_LOG(PS_LOG_INFO, "after %d", 1);
	assert_int_equal(ps_log_thread_drops(&f->t), dropped);
	assert_int_equal(ps_log_thread_unregister(&f->t), 0);
	assert_int_equal(ps_log_flush(&f->log), 0);
	read_back(f);
	/* kept records, the drop report, the record after */
	assert_int_equal(count_lines(f->text), kept + 2);
	expect_line(f->text, 0, "INFO", "rec 0 0");
	snprintf(want, sizeof(want), "thread 'tiny' dropped %u records (ring full)", dropped);
	expect_line(f->text, kept, "WARN", want);
	expect_line(f->text, kept + 1, "INFO", "after 1");
	ps_log_stats(&f->log, &st);
	assert_int_equal(st.drops, dropped);
	assert_int_equal(st.records, kept + 1);
	free(ring);
}

struct producer {
	struct ps_log *log;
	unsigned id, count;
	uint64_t drops;
	int err;
};

static void *producer_main(void *arg)
{
	struct producer *p = arg;
	struct ps_log_thread t;
	void *ring = aligned_alloc(64, ps_log_thread_memsize(RING_LEN));
	char name[16];

	snprintf(name, sizeof(name), "p%u", p->id);
	p->err = ps_log_thread_register(p->log, &t, ring, RING_LEN, name);
	if (p->err)
		return NULL;
	for (unsigned i = 0; i < p->count; i++) {
		/* Back off while the ring is over half full so no record is lost. */
		while (ps_ring_bytes_used(&t.ring) > RING_LEN / 2)
			sched_yield();
		PS_LOG(PS_LOG_INFO, "p%u seq %u str %s", p->id, i, "payload");
	}
	p->drops = ps_log_thread_drops(&t);
	p->err = ps_log_thread_unregister(&t);
	free(ring);
	return NULL;
}

static void test_log_threads_arrive_complete_in_order(void **state)
{
	struct fx *f = *state;
	enum { NT = 4 };
	struct producer p[NT];
	pthread_t th[NT];
	unsigned n = scale(20000), next[NT] = { 0 }, lines = 0;
	const char *s;

	assert_int_equal(ps_log_drainer_start(&f->log, 100000), 0);
	assert_int_equal(ps_log_drainer_start(&f->log, 100000), -EBUSY);
	for (unsigned i = 0; i < NT; i++) {
		p[i] = (struct producer){ .log = &f->log, .id = i, .count = n };
		assert_int_equal(pthread_create(&th[i], NULL, producer_main, &p[i]), 0);
	}
	for (unsigned i = 0; i < NT; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(p[i].err, 0);
		assert_int_equal(p[i].drops, 0);
	}
	assert_int_equal(ps_log_drainer_stop(&f->log), 0);
	assert_int_equal(ps_log_flush(&f->log), 0);
	read_back(f);
	for (s = f->text; *s; s = strchr(s, '\n') + 1) {
		const char *m = strstr(s, " INFO test_base_log.c:");
		unsigned id, seq;

		assert_non_null(m);
		m = strchr(m + 6, ' ') + 1;
		{
			char *e;

			assert_int_equal(*m, 'p');
			id = (unsigned)strtoul(m + 1, &e, 10);
			assert_int_equal(strncmp(e, " seq ", 5), 0);
			seq = (unsigned)strtoul(e + 5, &e, 10);
			assert_int_equal(strncmp(e, " str payload\n", 13), 0);
		}
		assert_true(id < NT);
		assert_int_equal(seq, next[id]);
		next[id]++;
		lines++;
	}
	assert_int_equal(lines, NT * n);
}

static void *orphan_main(void *arg)
{
	(void)arg;
	PS_LOG(PS_LOG_ERROR, "nobody hears %d", 1);
	return NULL;
}

static void test_log_unregistered_thread_drops_are_reported(void **state)
{
	struct fx *f = *state;
	struct ps_log_stats before, after;
	pthread_t th;

	ps_log_stats(&f->log, &before);
	assert_int_equal(pthread_create(&th, NULL, orphan_main, NULL), 0);
	pthread_join(th, NULL);
	ps_log_stats(&f->log, &after);
	assert_int_equal(after.orphan_drops, before.orphan_drops + 1);
	assert_int_equal(ps_log_flush(&f->log), 0);
	read_back(f);
	assert_int_equal(count_lines(f->text), 1);
	expect_line(f->text, 0, "WARN", "1 records dropped by threads that are not registered");
}

static void test_log_register_and_fini_errors(void **state)
{
	struct fx *f = *state;
	struct ps_log_thread other;
	struct ps_log_config bad = { .fd = -1 };
	struct ps_log l2;
	char mem[8192];

	assert_int_equal(ps_log_thread_register(&f->log, &f->t, f->ring, 1000, "x"), -EINVAL);
	assert_int_equal(ps_log_thread_register(&f->log, &f->t, f->ring, 1024, "x"), -EINVAL);
	assert_int_equal(ps_log_thread_register(NULL, &f->t, f->ring, RING_LEN, "x"), -EINVAL);
	assert_int_equal(ps_log_thread_register(&f->log, &f->t, f->ring, RING_LEN, NULL), 0);
	assert_int_equal(ps_log_thread_register(&f->log, &other, f->ring, RING_LEN, "x"), -EBUSY);
	assert_int_equal(ps_log_thread_unregister(&other), -EINVAL);
	assert_int_equal(ps_log_fini(&f->log), -EBUSY);
	assert_int_equal(ps_log_init(&l2, mem, &bad), -EINVAL);
	bad = (struct ps_log_config){ .fd = 1, .buf_len = 100 };
	assert_int_equal(ps_log_init(&l2, mem, &bad), -EINVAL);
	bad = (struct ps_log_config){ .fd = 1, .level = (enum ps_log_level)9 };
	assert_int_equal(ps_log_init(&l2, mem, &bad), -EINVAL);
	assert_int_equal(ps_log_thread_unregister(&f->t), 0);
	assert_null(ps_log__self);
	assert_int_equal(ps_log_thread_memsize(1000), 0);
	assert_int_equal(ps_log_thread_memsize(4096), 4096);
}

static void test_log_hot_path_does_not_allocate(void **state)
{
	struct fx *f = *state;
	uint64_t before;

	assert_int_equal(ps_log_thread_register(&f->log, &f->t, f->ring, RING_LEN, "main"), 0);
	before = ps_alloc_count();
	for (unsigned i = 0; i < 100000; i++) {
		PS_LOG(PS_LOG_INFO, "order %u px %ld sym %s", i, -5L, "AAPL");
		if (i % 512 == 0)
			assert_true(ps_log_drain(&f->log) >= 0);
	}
	assert_int_equal(ps_alloc_count(), before);
	assert_int_equal(ps_log_thread_drops(&f->t), 0);
}

/* A child writes records, crashes; the parent finds them in the file. */
static void crash_child(struct fx *f, int sig)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL };

	/* cmocka's handlers (inherited) would longjmp back into the runner:
	 * start from the default dispositions, which the log chains to. */
	for (size_t i = 0; i < PS_ARRAY_SIZE(sigs); i++)
		signal(sigs[i], SIG_DFL);
	assert_int_equal(ps_log_thread_register(&f->log, &f->t, f->ring, RING_LEN, "child"), 0);
	assert_int_equal(ps_log_install_crash_handler(&f->log), 0);
	PS_LOG(PS_LOG_INFO, "before crash %d", 1);
	PS_LOG(PS_LOG_WARN, "price %.2f sym %s", 101.25, "MSFT");
#ifndef PS_SANITIZE_ADDRESS /* UBSan would stop at the null store first */
	if (sig == SIGSEGV) {
		/* A real fault; the volatile pointer hides it from the compiler. */
		int *volatile bad = NULL;

		/* cppcheck-suppress nullPointer */
		*bad = 1;
	}
#endif
	raise(sig);
	_exit(3); /* not reached */
}

static void crash_case(struct fx *f, int sig, const char *name)
{
	pid_t pid;
	int status;
	char want[128];

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		crash_child(f, sig);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), sig);
	read_back(f);
	assert_int_equal(count_lines(f->text), 3);
	expect_line(f->text, 0, "INFO", "before crash 1");
	expect_line(f->text, 1, "WARN", "price 101.25 sym MSFT");
	snprintf(want, sizeof(want), "caught %s (%d) after the records above", name, sig);
	expect_line(f->text, 2, "FATAL", want);
}

static void test_log_crash_handler_writes_out_on_sigsegv(void **state)
{
	crash_case(*state, SIGSEGV, "SIGSEGV");
}

static void test_log_crash_handler_writes_out_on_sigabrt(void **state)
{
	crash_case(*state, SIGABRT, "SIGABRT");
}

static int group_setup(void **state)
{
	(void)state;
	return ps_clock_init();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_log_formats_every_argument_type, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_log_timestamp_is_utc_wall_clock, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_log_level_filters_without_evaluating, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_log_drops_counted_when_ring_full, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_log_threads_arrive_complete_in_order, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_log_unregistered_thread_drops_are_reported,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_log_register_and_fini_errors, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_log_hot_path_does_not_allocate, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_log_crash_handler_writes_out_on_sigsegv,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_log_crash_handler_writes_out_on_sigabrt,
						fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests_name("base_log", tests, group_setup, NULL);
}
