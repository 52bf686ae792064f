/* perseus run: the config file (cold path). Risk and strategy sections are
 * read by their own components; this file reads the rest and checks that no
 * section or key is unknown. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ps/err.h>
#include <ps/risk_config.h>

#include "engine_internal.h"

#define GET(call)                   \
	do {                        \
		int rc_ = (call);   \
		if (rc_)            \
			return rc_; \
	} while (0)

static int bad(struct ps_config *c, const char *sec, const char *key, char *err, size_t err_len,
	       const char *what)
{
	snprintf(err, err_len, "%s:%d: [%s] %s: %s", ps_config_path(c),
		 key ? ps_config_line(c, sec, key) : ps_config_section_line(c, sec), sec,
		 key ? key : "", what);
	return PS_ECONFIG;
}

static int read_threads(struct eng_cfg *e, struct ps_config *c, char *err, size_t err_len)
{
	static const char *const stage_names[] = { "md", "book", "exec", "cold" };
	struct ps_config_iter it = { 0 };
	const char *sec;
	uint32_t all = 0;

	while ((sec = ps_config_section_next(c, "thread.*", &it))) {
		struct eng_thread_cfg *t;
		const char *stages, *idle;
		int64_t v;
		char list[64];

		if (e->thread_count == ENG_MAX_THREADS)
			return bad(c, sec, NULL, err, err_len, "too many [thread.*] sections");
		t = &e->threads[e->thread_count++];
		snprintf(t->name, sizeof(t->name), "%s", ps_config_section_suffix(sec));
		GET(ps_config_get_int(c, sec, "cpu", -1, -1, 1023, &v, err, err_len));
		t->cpu = (int)v;
		GET(ps_config_get_int(c, sec, "priority", 0, 0, 99, &v, err, err_len));
		t->priority = (int)v;
		GET(ps_config_get_str(c, sec, "idle", "yield", &idle, err, err_len));
		char ierr[128];
		if (ps_idle_parse(idle, &t->idle, ierr, sizeof(ierr)))
			return bad(c, sec, "idle", err, err_len, ierr);
		GET(ps_config_get_str(c, sec, "stages", "", &stages, err, err_len));
		snprintf(list, sizeof(list), "%s", stages);
		char *save = NULL;
		for (char *s = strtok_r(list, ", ", &save); s; s = strtok_r(NULL, ", ", &save)) {
			unsigned i;
			for (i = 0; i < ENG_STAGES; i++)
				if (!strcmp(s, stage_names[i]))
					break;
			if (i == ENG_STAGES)
				return bad(c, sec, "stages", err, err_len,
					   "expected a comma list of md, book, exec, cold");
			if (all & (1u << i))
				return bad(c, sec, "stages", err, err_len,
					   "a stage runs on exactly one thread");
			t->stages |= 1u << i;
			all |= 1u << i;
		}
		if (!t->stages)
			return bad(c, sec, "stages", err, err_len, "no stages");
	}
	if (e->thread_count == 0) {
		/* Default: everything hot on one thread, cold on another. */
		e->threads[0] =
		    (struct eng_thread_cfg){ .name = "hot",
					     .cpu = -1,
					     .idle = PS_IDLE_YIELD,
					     .stages = (1u << ENG_MD) | (1u << ENG_BOOK) |
						       (1u << ENG_EXEC) };
		e->threads[1] = (struct eng_thread_cfg){
			.name = "cold", .cpu = -1, .idle = PS_IDLE_SLEEP, .stages = 1u << ENG_COLD
		};
		e->thread_count = 2;
		all = 0xF;
	}
	if (all != 0xF) {
		snprintf(err, err_len,
			 "%s: [thread.*] sections must place every stage (md, book, exec, cold)",
			 ps_config_path(c));
		return PS_ECONFIG;
	}
	return 0;
}

static int read_feed(struct eng_cfg *e, struct ps_config *c, char *err, size_t err_len)
{
	static const char *const kinds[] = { "uring", "recvmmsg", "pcap", "dpdk", NULL };
	struct ps_config_iter it = { 0 };
	const char *sec = ps_config_section_next(c, "feed.*", &it), *listen;
	struct eng_feed_cfg *f = &e->feed;
	int kind;

	if (!sec) {
		snprintf(err, err_len, "%s: no [feed.NAME] section", ps_config_path(c));
		return PS_ECONFIG;
	}
	if (ps_config_section_next(c, "feed.*", &it))
		return bad(c, sec, NULL, err, err_len, "one [feed.*] section per run");
	GET(ps_config_get_enum(c, sec, "source", kinds, 0, &kind, err, err_len));
	f->kind = (uint32_t)kind + PS_SOURCE_URING;
	GET(ps_config_get_str(c, sec, "listen", "127.0.0.1:26400", &listen, err, err_len));
	{
		const char *colon = strrchr(listen, ':');
		char *end;
		long port = colon ? strtol(colon + 1, &end, 10) : -1;
		if (!colon || *end || port < 0 || port > 65535 ||
		    (size_t)(colon - listen) >= sizeof(f->bind_ip))
			return bad(c, sec, "listen", err, err_len, "expected IPv4:PORT");
		memcpy(f->bind_ip, listen, (size_t)(colon - listen));
		f->bind_ip[colon - listen] = '\0';
		f->port = (uint16_t)port;
	}
	GET(ps_config_get_strbuf(c, sec, "group", "", f->group, sizeof(f->group), err, err_len));
	GET(ps_config_get_strbuf(c, sec, "rerequest", "", f->rerequest, sizeof(f->rerequest), err,
				 err_len));
	GET(ps_config_get_strbuf(c, sec, "session", "", f->session, sizeof(f->session), err,
				 err_len));
	GET(ps_config_get_strbuf(c, sec, "pcap", "", f->pcap, sizeof(f->pcap), err, err_len));
	GET(ps_config_get_strbuf(c, sec, "eal_args", "", f->eal_args, sizeof(f->eal_args), err,
				 err_len));
	if (f->kind == PS_SOURCE_PCAP && !f->pcap[0])
		return bad(c, sec, "pcap", err, err_len, "source = pcap needs pcap = FILE");
	return 0;
}

/* The venue password into pw (at most max characters: 10 for SoupBinTCP). */
static int read_password(char *pw_out, size_t cap, size_t max, struct ps_config *c, const char *sec,
			 char *err, size_t err_len)
{
	const char *env_name, *file;
	GET(ps_config_get_str(c, sec, "password_env", "PERSEUS_VENUE_PASSWORD", &env_name, err,
			      err_len));
	GET(ps_config_get_str(c, sec, "password_file", "", &file, err, err_len));
	if (*file) {
		struct stat st;
		FILE *f;
		if (stat(file, &st) || (st.st_mode & (S_IRWXG | S_IRWXO)))
			return bad(c, sec, "password_file", err, err_len,
				   "must exist and be readable by its owner only (chmod 600)");
		f = fopen(file, "r");
		if (!f || !fgets(pw_out, (int)cap, f)) {
			if (f)
				fclose(f);
			return bad(c, sec, "password_file", err, err_len, "cannot read it");
		}
		fclose(f);
		pw_out[strcspn(pw_out, "\r\n")] = '\0';
		if (strlen(pw_out) > max)
			return bad(c, sec, "password_file", err, err_len,
				   max == 10 ? "the password is longer than 10 characters"
					     : "the password is too long");
		return 0;
	}
	const char *pw = getenv(env_name);
	if (!pw || strlen(pw) > max) {
		snprintf(err, err_len,
			 "%s: [%s] venue password: set the environment variable %s (at most %zu "
			 "characters) or password_file",
			 ps_config_path(c), sec, env_name, max);
		return PS_ECONFIG;
	}
	snprintf(pw_out, cap, "%s", pw);
	return 0;
}

/* A CompID: 1-32 printable characters, no '=' (it goes into tag=value). */
static bool comp_id_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 32)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == '=')
			return false;
	return true;
}

/* protocol = fix: the FIX 4.4 session keys. Keys of the other protocol are errors. */
static int read_venue_fix(struct eng_venue_cfg *v, struct ps_config *c, const char *sec, char *err,
			  size_t err_len)
{
	static const char *const ouch_only[] = { "session", "firm", "heartbeat_ms", "timeout_ms",
						 NULL };
	for (const char *const *k = ouch_only; *k; k++)
		if (ps_config_has(c, sec, *k))
			return bad(c, sec, *k, err, err_len, "only for protocol = ouch");
	GET(ps_config_get_strbuf(c, sec, "sender_comp_id", v->user, v->sender_comp_id,
				 sizeof(v->sender_comp_id), err, err_len));
	if (!comp_id_ok(v->sender_comp_id))
		return bad(c, sec, "sender_comp_id", err, err_len,
			   "1-32 printable characters, no spaces or '='");
	GET(ps_config_get_strbuf(c, sec, "target_comp_id", "PERSEUS", v->target_comp_id,
				 sizeof(v->target_comp_id), err, err_len));
	if (!comp_id_ok(v->target_comp_id))
		return bad(c, sec, "target_comp_id", err, err_len,
			   "1-32 printable characters, no spaces or '='");
	int64_t n;
	GET(ps_config_get_int(c, sec, "heartbeat_s", 5, 1, 3600, &n, err, err_len));
	v->heartbeat_s = (uint32_t)n;
	GET(ps_config_get_int(c, sec, "resend_store", 8192, 64, 1 << 20, &n, err, err_len));
	if (n & (n - 1))
		return bad(c, sec, "resend_store", err, err_len, "a power of two");
	v->fix_store_count = (uint32_t)n;
	return read_password(v->fix_password, sizeof(v->fix_password), 63, c, sec, err, err_len);
}

static int read_venue(struct eng_cfg *e, struct ps_config *c, char *err, size_t err_len)
{
	struct ps_config_iter it = { 0 };
	const char *sec = ps_config_section_next(c, "venue.*", &it), *proto;
	struct eng_venue_cfg *v = &e->venue;
	int64_t n;

	if (!sec) {
		if (e->mode == PS_ENGINE_REPLAY)
			return 0;
		snprintf(err, err_len, "%s: mode %s needs a [venue.NAME] section",
			 ps_config_path(c), e->mode == PS_ENGINE_LIVE ? "live" : "paper");
		return PS_ECONFIG;
	}
	GET(ps_config_get_str(c, sec, "protocol", "ouch", &proto, err, err_len));
	if (!strcmp(proto, "fix"))
		v->protocol = ENG_PROTO_FIX;
	else if (strcmp(proto, "ouch") != 0)
		return bad(c, sec, "protocol", err, err_len, "expected ouch or fix");
	GET(ps_config_get_strbuf(c, sec, "connect", "127.0.0.1:15000", v->connect,
				 sizeof(v->connect), err, err_len));
	GET(ps_config_get_strbuf(c, sec, "user", "", v->user, 7, err, err_len));
	if (!v->user[0])
		return bad(c, sec, "user", err, err_len, "required (1-6 characters)");
	GET(ps_config_get_strbuf(c, sec, "token_prefix", "P", v->token_prefix, 3, err, err_len));
	GET(ps_config_get_int(c, sec, "heartbeat_ms", 1000, 10, 60000, &n, err, err_len));
	v->heartbeat_ms = (uint32_t)n;
	GET(ps_config_get_int(c, sec, "timeout_ms", 15000, 100, 600000, &n, err, err_len));
	v->timeout_ms = (uint32_t)n;
	GET(ps_config_get_int(c, sec, "order_timeout_ms", 5000, 10, 600000, &n, err, err_len));
	v->order_timeout_ms = (uint32_t)n;
	if (v->protocol == ENG_PROTO_FIX)
		return read_venue_fix(v, c, sec, err, err_len);
	static const char *const fix_only[] = { "sender_comp_id", "target_comp_id", "heartbeat_s",
						"resend_store", NULL };
	for (const char *const *k = fix_only; *k; k++)
		if (ps_config_has(c, sec, *k))
			return bad(c, sec, *k, err, err_len, "only for protocol = fix");
	GET(ps_config_get_strbuf(c, sec, "session", "", v->session, sizeof(v->session), err,
				 err_len));
	GET(ps_config_get_strbuf(c, sec, "firm", "PRSS", v->firm, sizeof(v->firm), err, err_len));
	return read_password(v->password, sizeof(v->password), 10, c, sec, err, err_len);
}

int eng_config_read(struct eng_cfg *e, struct ps_config *c, char *err, size_t err_len)
{
	static const char *const engine_keys[] = { "mode",
						   "symbols",
						   "max_orders",
						   "max_levels",
						   "cancel_on_exit",
						   "duration_s",
						   "feed_idle_exit_s",
						   "metrics_file",
						   "metrics_interval_ms",
						   "mlock",
						   NULL };
	static const char *const thread_keys[] = { "cpu", "stages", "idle", "priority", NULL };
	static const char *const feed_keys[] = { "source",  "listen", "group",    "rerequest",
						 "session", "pcap",   "eal_args", NULL };
	static const char *const venue_keys[] = { "protocol",
						  "connect",
						  "user",
						  "password_env",
						  "password_file",
						  "session",
						  "firm",
						  "token_prefix",
						  "heartbeat_ms",
						  "timeout_ms",
						  "order_timeout_ms",
						  "sender_comp_id",
						  "target_comp_id",
						  "heartbeat_s",
						  "resend_store",
						  NULL };
	static const char *const journal_keys[] = { "enabled",           "dir",        "fsync",
						    "fsync_interval_ms", "segment_mb", NULL };
	static const char *const log_keys[] = { "file", "level", NULL };
	static const char *const levels[] = {
		"debug", "info", "warn", "error", "fatal", "off", NULL
	};
	static const char *const modes[] = { "paper", "replay", "live", NULL };
	static const char *const fsyncs[] = { "none", "interval", "batch", NULL };
	const struct ps_config_schema schema[] = {
		{ "engine", engine_keys },       { "thread.*", thread_keys },
		{ "feed.*", feed_keys },         { "venue.*", venue_keys },
		{ "risk", ps_risk_config_keys }, { "risk.*", ps_risk_config_symbol_keys },
		{ "strategy.*", NULL }, /* each strategy kind checks its own keys */
		{ "journal", journal_keys },     { "log", log_keys },
	};
	const char *symbols;
	int64_t n;
	int mode, fs;
	bool b;

	memset(e, 0, sizeof(*e));
	GET(ps_config_check(c, schema, PS_ARRAY_SIZE(schema), err, err_len));
	GET(ps_config_get_enum(c, "engine", "mode", modes, 0, &mode, err, err_len));
	e->mode = (enum ps_engine_mode)mode;
	GET(ps_config_get_str(c, "engine", "symbols", "AMZN", &symbols, err, err_len));
	{
		char list[256];
		char *save = NULL;
		snprintf(list, sizeof(list), "%s", symbols);
		for (char *s = strtok_r(list, ", ", &save); s; s = strtok_r(NULL, ", ", &save)) {
			if (strlen(s) > 8 || e->symbol_count == ENG_MAX_INSTRUMENTS)
				return bad(c, "engine", "symbols", err, err_len,
					   "symbols are 1-8 characters, at most 64 of them");
			snprintf(e->symbols[e->symbol_count++], 9, "%s", s);
		}
		if (!e->symbol_count)
			return bad(c, "engine", "symbols", err, err_len, "at least one symbol");
	}
	GET(ps_config_get_int(c, "engine", "max_orders", 1 << 20, 1, 1 << 26, &n, err, err_len));
	e->max_orders = (uint32_t)n;
	GET(ps_config_get_int(c, "engine", "max_levels", 4096, 16, PS_BOOK_MAX_LEVELS, &n, err,
			      err_len));
	e->max_levels = (uint32_t)n;
	GET(ps_config_get_bool(c, "engine", "cancel_on_exit", true, &e->cancel_on_exit, err,
			       err_len));
	GET(ps_config_get_bool(c, "engine", "mlock", false, &e->mlock, err, err_len));
	GET(ps_config_get_double(c, "engine", "duration_s", 0, 0, 86400 * 7, &e->duration_s, err,
				 err_len));
	GET(ps_config_get_double(c, "engine", "feed_idle_exit_s", 3, 0, 86400, &e->feed_idle_exit_s,
				 err, err_len));
	GET(ps_config_get_strbuf(c, "engine", "metrics_file", "", e->metrics_file,
				 sizeof(e->metrics_file), err, err_len));
	GET(ps_config_get_int(c, "engine", "metrics_interval_ms", 1000, 10, 3600000, &n, err,
			      err_len));
	e->metrics_interval_ms = (uint32_t)n;
	GET(read_threads(e, c, err, err_len));
	GET(read_feed(e, c, err, err_len));
	GET(read_venue(e, c, err, err_len));

	GET(ps_config_get_bool(c, "journal", "enabled", e->mode != PS_ENGINE_REPLAY, &b, err,
			       err_len));
	e->journal_on = b;
	GET(ps_config_get_strbuf(c, "journal", "dir", "perseus-journal", e->journal_dir,
				 sizeof(e->journal_dir), err, err_len));
	GET(ps_config_get_enum(c, "journal", "fsync", fsyncs, 1, &fs, err, err_len));
	GET(ps_config_get_int(c, "journal", "fsync_interval_ms", 10, 1, 60000, &n, err, err_len));
	e->journal.fsync_interval_ns = (uint64_t)n * 1000000u;
	e->journal.fsync = (enum ps_journal_fsync)fs;
	GET(ps_config_get_int(c, "journal", "segment_mb", 64, 1, 4096, &n, err, err_len));
	e->journal.segment_bytes = (uint64_t)n << 20;
	e->journal.dir = e->journal_dir;
	int lvl;
	GET(ps_config_get_strbuf(c, "log", "file", "-", e->log_file, sizeof(e->log_file), err,
				 err_len));
	GET(ps_config_get_enum(c, "log", "level", levels, PS_LOG_INFO, &lvl, err, err_len));
	e->log_level = (enum ps_log_level)lvl;
	return 0;
}
