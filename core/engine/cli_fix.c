/*
 * perseus fix-scenarios DIR [--venue HOST:PORT] [--only NAME]: plays the
 * QuickFIX acceptance scenarios (*.def) against a FIX 4.4 acceptor over TCP
 * and compares every reply field by field.
 *
 * Scenario lines: "iCONNECT" / "iN,CONNECT" opens connection N (default 1),
 * "iN,DISCONNECT" closes it, "eDISCONNECT" expects the acceptor to close it,
 * "I<msg>" sends (after filling <TIME>, <TIME+n>, <TIME-n> and adding
 * BodyLength and CheckSum when the line has none: a line that carries its
 * own, wrong ones tests that the acceptor drops it), "E<msg>" reads the next
 * message and compares it: same fields in the same order, BodyLength and
 * CheckSum checked as received (not compared with the placeholders), time
 * placeholders ("00000000-00:00:00..." or "<TIME>") match any timestamp.
 *
 * Without --venue it starts an acceptor in-process (SenderCompID ISLD,
 * TargetCompID TW44, sequence numbers reset on disconnect, the
 * acceptance-test echo application), as QuickFIX's own suite does.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ps/fix_server.h>

#include "cli.h"

#define MAX_CONNS   4
#define READ_MS     20000
#define LINE_MAX_SZ 8192

/* Scenarios that do not apply, with the reason (printed as SKIP). */
static const struct {
	const char *name;
	const char *why;
} skips[] = {
	{ NULL, NULL },
};

struct conn {
	int fd;
	uint8_t buf[65536];
	uint32_t len;
};

struct runner {
	struct sockaddr_in addr;
	struct conn conns[MAX_CONNS + 1];
	char why[512];
};

static int usage(FILE *f)
{
	fprintf(f, "usage: perseus fix-scenarios DIR [--venue HOST:PORT] [--only NAME]\n"
		   "  Plays every *.def file of DIR (QuickFIX acceptance-test format) against a\n"
		   "  FIX 4.4 acceptor over TCP and compares each reply field by field. Without\n"
		   "  --venue it starts its own acceptor (SenderCompID ISLD, TargetCompID TW44,\n"
		   "  echo application). --only NAME runs the scenarios whose file name starts\n"
		   "  with NAME. Prints PASS/FAIL/SKIP per scenario, then\n"
		   "  'scenarios S passed P failed F skipped K'; exits 0 only when F is 0.\n");
	return f == stdout ? 0 : 2;
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->len = 0;
}

static int conn_open(struct runner *r, struct conn *c)
{
	conn_close(c);
	for (int tries = 0; tries < 50; tries++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (connect(fd, (struct sockaddr *)&r->addr, sizeof(r->addr)) == 0) {
			int one = 1;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			c->fd = fd;
			return 0;
		}
		close(fd);
		struct timespec ts = { 0, 100000000 };
		nanosleep(&ts, NULL);
	}
	return -ECONNREFUSED;
}

static void put_time(char *out, int64_t offset_s)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	time_t t = ts.tv_sec + offset_s;
	struct tm tm;
	gmtime_r(&t, &tm);
	size_t n = strftime(out, 24, "%Y%m%d-%H:%M:%S", &tm);
	int ms = (int)(ts.tv_nsec / 1000000);
	out[n] = '.';
	out[n + 1] = (char)('0' + ms / 100);
	out[n + 2] = (char)('0' + ms / 10 % 10);
	out[n + 3] = (char)('0' + ms % 10);
	out[n + 4] = 0;
}

/* Fills time placeholders of src into dst. @return length. */
static size_t fill_times(const char *src, char *dst, size_t cap)
{
	size_t n = 0;
	while (*src && n + 32 < cap) {
		if (!strncmp(src, "<TIME", 5)) {
			const char *e = strchr(src, '>');
			if (e) {
				int64_t off = 0;
				if (src[5] == '+' || src[5] == '-')
					off = strtoll(src + 5, NULL, 10);
				put_time(dst + n, off);
				n += strlen(dst + n);
				src = e + 1;
				continue;
			}
		}
		dst[n++] = *src++;
	}
	dst[n] = 0;
	return n;
}

/* Builds the message to send: adds 9 and 10 where the line has none. */
static size_t build_msg(const char *line, uint8_t *out, size_t cap)
{
	char filled[LINE_MAX_SZ];
	size_t len = fill_times(line, filled, sizeof(filled));
	if (len && filled[len - 1] != PS_FIX_SOH && len + 1 < sizeof(filled)) {
		filled[len++] = PS_FIX_SOH;
		filled[len] = 0;
	}
	const char *first = memchr(filled, PS_FIX_SOH, len);
	if (!first)
		return 0;
	size_t head = (size_t)(first + 1 - filled);
	bool has9 = !strncmp(first + 1, "9=", 2);
	bool has10 = strstr(filled, "\00110=") != NULL;
	size_t n = 0;
	if (has9) {
		memcpy(out, filled, len);
		n = len;
	} else {
		size_t body = len - head;
		if (has10) { /* length up to the given trailer */
			const char *t = strstr(filled, "\00110=");
			body = (size_t)(t + 1 - (filled + head));
		}
		memcpy(out, filled, head);
		n = head + (size_t)snprintf((char *)out + head, cap - head, "9=%zu\001", body);
		memcpy(out + n, filled + head, len - head);
		n += len - head;
	}
	if (!has10) {
		uint32_t ck = ps_fix_checksum(out, (uint32_t)n);
		n += (size_t)snprintf((char *)out + n, cap - n, "10=%03u\001", ck);
	}
	return n;
}

/* Next message on c within ms. @return 1 message, 0 closed, -1 timeout,
 * -2 garbled. */
static int read_msg(struct conn *c, struct ps_fix_msg *m, uint8_t *copy, int ms)
{
	for (;;) {
		int32_t f = ps_fix_frame(c->buf, c->len);
		if (f < 0)
			return -2;
		if (f > 0) {
			memcpy(copy, c->buf, (size_t)f);
			memmove(c->buf, c->buf + f, c->len - (uint32_t)f);
			c->len -= (uint32_t)f;
			return ps_fix_parse(copy, (uint32_t)f, m) == 0 ? 1 : -2;
		}
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		int rc = poll(&p, 1, ms);
		if (rc <= 0)
			return -1;
		ssize_t r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
		if (r <= 0)
			return 0;
		c->len += (uint32_t)r;
	}
}

static bool is_time_placeholder(const char *v, size_t n)
{
	return (n >= 17 && !strncmp(v, "00000000-00:00:00", 17)) ||
	       (n == 6 && !strncmp(v, "<TIME>", 6));
}

/* Compares m with the expected line. */
static bool compare(struct runner *r, const char *exp, const struct ps_fix_msg *m)
{
	uint32_t ai = 0;
	const char *p = exp;
	while (*p) {
		const char *e = strchr(p, PS_FIX_SOH);
		size_t flen = e ? (size_t)(e - p) : strlen(p);
		const char *eq = memchr(p, '=', flen);
		if (!eq) {
			snprintf(r->why, sizeof(r->why), "bad expected field '%.*s'", (int)flen, p);
			return false;
		}
		long tag = strtol(p, NULL, 10);
		const char *v = eq + 1;
		size_t vlen = flen - (size_t)(v - p);
		p = e ? e + 1 : p + flen;
		if (tag == 9 || tag == 10)
			continue;
		while (ai < m->field_count && (m->fields[ai].tag == 9 || m->fields[ai].tag == 10))
			ai++;
		if (ai >= m->field_count) {
			snprintf(r->why, sizeof(r->why), "missing field %ld=%.*s", tag, (int)vlen,
				 v);
			return false;
		}
		const struct ps_fix_field *f = &m->fields[ai++];
		const char *av = (const char *)m->buf + f->off;
		if (f->tag != tag) {
			snprintf(r->why, sizeof(r->why), "expected field %ld=%.*s, got %d=%.*s",
				 tag, (int)vlen, v, f->tag, (int)f->len, av);
			return false;
		}
		if (is_time_placeholder(v, vlen) ? f->len < 17
						 : (f->len != vlen || memcmp(av, v, vlen) != 0)) {
			snprintf(r->why, sizeof(r->why), "field %ld: expected '%.*s', got '%.*s'",
				 tag, (int)vlen, v, (int)f->len, av);
			return false;
		}
	}
	while (ai < m->field_count && (m->fields[ai].tag == 9 || m->fields[ai].tag == 10))
		ai++;
	if (ai < m->field_count) {
		snprintf(r->why, sizeof(r->why), "unexpected field %d=%.*s", m->fields[ai].tag,
			 (int)m->fields[ai].len, (const char *)m->buf + m->fields[ai].off);
		return false;
	}
	return true;
}

static void show(char *dst, size_t cap, const struct ps_fix_msg *m)
{
	size_t n = m->len < cap - 1 ? m->len : cap - 1;
	for (size_t i = 0; i < n; i++)
		dst[i] = m->buf[i] == PS_FIX_SOH ? '|' : (char)m->buf[i];
	dst[n] = 0;
}

/* Parses an optional "N," connection prefix. */
static int conn_index(const char **line)
{
	const char *p = *line;
	if (p[0] >= '1' && p[0] <= '9' && p[1] == ',') {
		*line = p + 2;
		return p[0] - '0';
	}
	return 1;
}

/* @return 1 pass, 0 fail (r->why says where). */
static int run_one(struct runner *r, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(r->why, sizeof(r->why), "cannot open: %s", strerror(errno));
		return 0;
	}
	char line[LINE_MAX_SZ];
	static uint8_t out[LINE_MAX_SZ + 64];
	static uint8_t copy[PS_FIX_MAX_MSG];
	int lineno = 0;
	int ok = 1;
	while (ok && fgets(line, sizeof(line), f)) {
		lineno++;
		size_t n = strlen(line);
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = 0;
		if (n == 0 || line[0] == '#')
			continue;
		const char *rest = line + 1;
		int ci = conn_index(&rest);
		if (ci > MAX_CONNS) {
			snprintf(r->why, sizeof(r->why), "line %d: connection %d", lineno, ci);
			ok = 0;
			break;
		}
		struct conn *c = &r->conns[ci];
		char why[400] = "";
		switch (line[0]) {
		case 'i':
			if (!strcmp(rest, "CONNECT")) {
				if (conn_open(r, c) != 0)
					snprintf(why, sizeof(why), "cannot connect");
			} else if (!strcmp(rest, "DISCONNECT")) {
				conn_close(c);
			}
			break;
		case 'I': {
			size_t len = build_msg(rest, out, sizeof(out));
			if (c->fd < 0 || len == 0 ||
			    send(c->fd, out, len, MSG_NOSIGNAL) != (ssize_t)len)
				snprintf(why, sizeof(why), "cannot send");
			break;
		}
		case 'E': {
			struct ps_fix_msg m;
			int rc = c->fd < 0 ? 0 : read_msg(c, &m, copy, READ_MS);
			if (rc == 1 && !compare(r, rest, &m)) {
				char got[300];
				show(got, sizeof(got), &m);
				snprintf(why, sizeof(why), "%.150s (got %.200s)", r->why, got);
			} else if (rc != 1) {
				snprintf(why, sizeof(why), "%s",
					 rc == 0    ? "disconnected"
					 : rc == -1 ? "timed out"
						    : "garbled reply");
			}
			break;
		}
		case 'e':
			if (!strcmp(rest, "DISCONNECT")) {
				/* session messages may come first (Logout, Reject, Heartbeat) */
				for (;;) {
					struct ps_fix_msg m;
					int rc = c->fd < 0 ? 0 : read_msg(c, &m, copy, READ_MS);
					if (rc == 0)
						break;
					if (rc == 1 &&
					    (ps_fix_msg_is(&m, "5") || ps_fix_msg_is(&m, "3") ||
					     ps_fix_msg_is(&m, "0") || ps_fix_msg_is(&m, "1")))
						continue;
					if (rc == 1) {
						char got[300];
						show(got, sizeof(got), &m);
						snprintf(why, sizeof(why),
							 "expected disconnect, got %.300s", got);
					} else {
						snprintf(why, sizeof(why),
							 "expected disconnect: %s",
							 rc == -1 ? "timed out" : "garbled");
					}
					break;
				}
				conn_close(c);
			}
			break;
		default:
			snprintf(why, sizeof(why), "unknown line kind '%c'", line[0]);
			break;
		}
		if (why[0]) {
			snprintf(r->why, sizeof(r->why), "line %d: %s", lineno, why);
			ok = 0;
		}
	}
	fclose(f);
	for (int i = 0; i <= MAX_CONNS; i++)
		conn_close(&r->conns[i]);
	return ok;
}

struct acceptor {
	struct ps_fix_server srv;
	pthread_t thread;
	atomic_bool stop;
};

static void *acceptor_main(void *arg)
{
	struct acceptor *a = arg;
	/* Relaxed: a plain stop flag; nothing else is published through it. */
	while (!atomic_load_explicit(&a->stop, memory_order_relaxed))
		ps_fix_server_poll(&a->srv, 5);
	return NULL;
}

static int start_acceptor(struct acceptor *a, struct sockaddr_in *addr)
{
	struct sockaddr_in la = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int rc = ps_fix_server_init(&a->srv, &la);
	if (rc)
		return rc;
	struct ps_fix_session_config sc = {
		.sender_comp_id = "ISLD",
		.target_comp_id = "TW44",
		.reset_on_disconnect = true,
		.on_app = ps_fix_server_echo_app,
	};
	if (!ps_fix_server_add_session(&a->srv, &sc, &rc)) {
		ps_fix_server_fini(&a->srv);
		return rc;
	}
	*addr = la;
	addr->sin_port = htons(a->srv.port);
	atomic_init(&a->stop, false);
	rc = pthread_create(&a->thread, NULL, acceptor_main, a);
	if (rc) {
		ps_fix_server_fini(&a->srv);
		return -rc;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int parse_hostport(const char *s, struct sockaddr_in *a)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	if (!colon || colon == s || (size_t)(colon - s) >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = 0;
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end || port <= 0 || port > 65535)
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	if (!strcmp(host, "localhost"))
		strcpy(host, "127.0.0.1");
	return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -EINVAL;
}

static int cli_fix_scenarios(int argc, char **argv)
{
	const char *dir = NULL, *venue = NULL, *only = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return usage(stdout);
		if (!strcmp(argv[i], "--venue") && i + 1 < argc)
			venue = argv[++i];
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			only = argv[++i];
		else if (argv[i][0] != '-' && !dir)
			dir = argv[i];
		else
			return usage(stderr);
	}
	if (!dir)
		return usage(stderr);
	static struct runner r;
	for (int i = 0; i <= MAX_CONNS; i++)
		r.conns[i].fd = -1;
	static struct acceptor acc;
	bool own = false;
	if (venue) {
		if (parse_hostport(venue, &r.addr)) {
			ps_cli_error(argv[0], "--venue wants HOST:PORT, got '%s'", venue);
			return 2;
		}
	} else {
		int rc = start_acceptor(&acc, &r.addr);
		if (rc) {
			ps_cli_error(argv[0], "cannot start an acceptor: %s", ps_strerror(rc));
			return 1;
		}
		own = true;
	}
	DIR *d = opendir(dir);
	if (!d) {
		ps_cli_error(argv[0], "%s: %s", dir, strerror(errno));
		return 1;
	}
	char *names[512] = { 0 };
	size_t count = 0;
	struct dirent *de;
	while ((de = readdir(d)) && count < 512) {
		size_t n = strlen(de->d_name);
		if (n > 4 && !strcmp(de->d_name + n - 4, ".def") &&
		    (!only || !strncmp(de->d_name, only, strlen(only))))
			names[count++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, count, sizeof(names[0]), cmp_str);
	unsigned passed = 0, failed = 0, skipped = 0;
	for (size_t i = 0; i < count; i++) {
		const char *why = NULL;
		for (size_t k = 0; skips[k].name; k++)
			if (!strcmp(skips[k].name, names[i]))
				why = skips[k].why;
		if (why) {
			printf("SKIP %s: %s\n", names[i], why);
			skipped++;
			free(names[i]);
			continue;
		}
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (run_one(&r, path)) {
			printf("PASS %s\n", names[i]);
			passed++;
		} else {
			printf("FAIL %s: %s\n", names[i], r.why);
			failed++;
		}
		fflush(stdout);
		free(names[i]);
		/* let the acceptor see the close before the next Logon */
		struct timespec ts = { 0, 20000000 };
		nanosleep(&ts, NULL);
	}
	if (own) {
		/* Relaxed: see acceptor_main; join orders the rest. */
		atomic_store_explicit(&acc.stop, true, memory_order_relaxed);
		pthread_join(acc.thread, NULL);
		ps_fix_server_fini(&acc.srv);
	}
	printf("scenarios %zu passed %u failed %u skipped %u\n", count, passed, failed, skipped);
	return failed ? 1 : 0;
}

PS_CLI_COMMAND("fix-scenarios", "play QuickFIX FIX 4.4 acceptance scenarios against an acceptor",
	       cli_fix_scenarios);
