/* [venue], [venue.replay], [venue.faults]: read and check (cold path). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ps/book.h>
#include <ps/config.h>
#include <ps/err.h>
#include <ps/venue.h>

#define GET(call)                   \
	do {                        \
		int rc_ = (call);   \
		if (rc_)            \
			return rc_; \
	} while (0)

static int get_permille(struct ps_config *c, const char *sec, const char *key, uint32_t *out,
			char *err, size_t err_len)
{
	int64_t v;
	GET(ps_config_get_int(c, sec, key, 0, 0, 1000, &v, err, err_len));
	*out = (uint32_t)v;
	return 0;
}

/* "user:password,user:password" into vc->users. */
static int parse_users(struct ps_venue_config *vc, const char *list, const char *origin, char *err,
		       size_t err_len)
{
	char buf[1024];
	char *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	for (char *tok = strtok_r(buf, ",\n", &save); tok; tok = strtok_r(NULL, ",\n", &save)) {
		while (*tok == ' ')
			tok++;
		if (!*tok || *tok == '#')
			continue;
		char *colon = strchr(tok, ':');
		size_t ulen = colon ? (size_t)(colon - tok) : 0;
		if (!colon || ulen == 0 || ulen > 6 || strlen(colon + 1) > 10 ||
		    strlen(colon + 1) == 0) {
			snprintf(err, err_len,
				 "%s: user entries are user:password with a user of 1-6 and a "
				 "password of 1-10 characters",
				 origin);
			return PS_ECONFIG;
		}
		if (vc->user_count == PS_VENUE_MAX_USERS) {
			snprintf(err, err_len, "%s: more than %d users", origin,
				 PS_VENUE_MAX_USERS);
			return PS_ECONFIG;
		}
		struct ps_venue_user *u = &vc->users[vc->user_count++];
		memcpy(u->name, tok, ulen);
		u->name[ulen] = '\0';
		snprintf(u->password, sizeof(u->password), "%s", colon + 1);
	}
	return 0;
}

static int read_users_file(struct ps_venue_config *vc, const char *path, char *err, size_t err_len)
{
	struct stat st;
	char buf[1024];
	size_t n;
	FILE *f;

	if (stat(path, &st)) {
		snprintf(err, err_len, "%s: cannot read users file: %s", path, strerror(errno));
		return PS_ECONFIG;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, err_len,
			 "%s: users file must be readable by its owner only (chmod 600 it)", path);
		return PS_ECONFIG;
	}
	f = fopen(path, "r");
	if (!f) {
		snprintf(err, err_len, "%s: %s", path, strerror(errno));
		return PS_ECONFIG;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return parse_users(vc, buf, path, err, err_len);
}

int ps_venue_config_read(struct ps_venue_config *vc, struct ps_config *c, char *err, size_t err_len)
{
	static const char *const venue_keys[] = {
		"session",     "ouch_listen", "md_dest",     "rerequest_listen", "control_listen",
		"ports_file",  "users_file",  "mtu",         "heartbeat_ms",     "idle_timeout_ms",
		"print_fills", "fix_listen",  "fix_comp_id", "fix_store_dir",    "fix_app",
		"book_levels", NULL
	};
	static const char *const replay_keys[] = { "lobster",    "orderbook", "symbol",
						   "levels",     "speed",     "skip_s",
						   "duration_s", "linger_s",  NULL };
	static const char *const fault_keys[] = { "md_drop_permille",
						  "md_dup_permille",
						  "md_reorder_permille",
						  "reject_permille",
						  "delay_us",
						  "disconnect_after",
						  "withhold_from",
						  "withhold_count",
						  "seed",
						  NULL };
	const struct ps_config_schema schema[] = {
		{ "venue", venue_keys },
		{ "venue.replay", replay_keys },
		{ "venue.faults", fault_keys },
	};
	const char *users_file, *env;
	int64_t v;
	double d;
	bool b;

	memset(vc, 0, sizeof(*vc));
	GET(ps_config_check(c, schema, PS_ARRAY_SIZE(schema), err, err_len));
	GET(ps_config_get_strbuf(c, "venue", "session", "PERSEUS001", vc->session,
				 sizeof(vc->session), err, err_len));
	GET(ps_config_get_strbuf(c, "venue", "ouch_listen", "127.0.0.1:0", vc->ouch_listen,
				 sizeof(vc->ouch_listen), err, err_len));
	GET(ps_config_get_strbuf(c, "venue", "md_dest", "127.0.0.1:26400", vc->md_dest,
				 sizeof(vc->md_dest), err, err_len));
	GET(ps_config_get_strbuf(c, "venue", "rerequest_listen", "127.0.0.1:0",
				 vc->rerequest_listen, sizeof(vc->rerequest_listen), err, err_len));
	GET(ps_config_get_strbuf(c, "venue", "control_listen", "127.0.0.1:0", vc->control_listen,
				 sizeof(vc->control_listen), err, err_len));
	GET(ps_config_get_strbuf(c, "venue", "ports_file", "", vc->ports_file,
				 sizeof(vc->ports_file), err, err_len));
	GET(ps_config_get_int(c, "venue", "mtu", 1400, 64, 65507, &v, err, err_len));
	vc->mtu = (uint32_t)v;
	GET(ps_config_get_int(c, "venue", "book_levels", 16384, 1, PS_BOOK_MAX_LEVELS, &v, err,
			      err_len));
	vc->book_levels = (uint32_t)v;
	GET(ps_config_get_int(c, "venue", "heartbeat_ms", 1000, 10, 60000, &v, err, err_len));
	vc->heartbeat_ms = (uint32_t)v;
	GET(ps_config_get_int(c, "venue", "idle_timeout_ms", 15000, 100, 3600000, &v, err,
			      err_len));
	vc->idle_timeout_ms = (uint32_t)v;
	GET(ps_config_get_bool(c, "venue", "print_fills", true, &b, err, err_len));
	vc->print_fills = b;
	GET(ps_config_get_strbuf(c, "venue", "fix_listen", "", vc->fix_listen,
				 sizeof(vc->fix_listen), err, err_len));
	GET(ps_config_get_strbuf(c, "venue", "fix_comp_id", "PERSEUS", vc->fix_comp_id,
				 sizeof(vc->fix_comp_id), err, err_len));
	GET(ps_config_get_strbuf(c, "venue", "fix_store_dir", "", vc->fix_store_dir,
				 sizeof(vc->fix_store_dir), err, err_len));
	{
		const char *app;
		GET(ps_config_get_str(c, "venue", "fix_app", "trade", &app, err, err_len));
		if (strcmp(app, "trade") != 0 && strcmp(app, "echo") != 0) {
			snprintf(err, err_len, "%s: [venue] fix_app: want trade or echo, got '%s'",
				 ps_config_path(c), app);
			return PS_ECONFIG;
		}
		vc->fix_echo = strcmp(app, "echo") == 0;
	}

	GET(ps_config_get_str(c, "venue", "users_file", "", &users_file, err, err_len));
	env = getenv("PERSEUS_VENUE_USERS");
	if (env && *env)
		GET(parse_users(vc, env, "PERSEUS_VENUE_USERS", err, err_len));
	if (*users_file)
		GET(read_users_file(vc, users_file, err, err_len));
	if (vc->user_count == 0) {
		snprintf(err, err_len,
			 "%s: no users: set PERSEUS_VENUE_USERS=user:password[,...] or "
			 "[venue] users_file",
			 ps_config_path(c));
		return PS_ECONFIG;
	}

	GET(ps_config_get_strbuf(c, "venue.replay", "lobster", "", vc->lobster, sizeof(vc->lobster),
				 err, err_len));
	GET(ps_config_get_strbuf(c, "venue.replay", "orderbook", "", vc->lobster_book,
				 sizeof(vc->lobster_book), err, err_len));
	GET(ps_config_get_strbuf(c, "venue.replay", "symbol", "AMZN", vc->symbol,
				 sizeof(vc->symbol), err, err_len));
	GET(ps_config_get_int(c, "venue.replay", "levels", 0, 0, 64, &v, err, err_len));
	vc->levels = (uint32_t)v;
	GET(ps_config_get_double(c, "venue.replay", "speed", 1.0, 0.0, 1e9, &vc->speed, err,
				 err_len));
	GET(ps_config_get_double(c, "venue.replay", "skip_s", 0.0, 0.0, 86400.0, &d, err, err_len));
	vc->skip_ns = (uint64_t)(d * 1e9);
	GET(ps_config_get_double(c, "venue.replay", "duration_s", 0.0, 0.0, 86400.0 * 7,
				 &vc->duration_s, err, err_len));
	GET(ps_config_get_double(c, "venue.replay", "linger_s", 0.0, 0.0, 86400.0, &vc->linger_s,
				 err, err_len));

	struct ps_venue_faults *f = &vc->faults;
	GET(get_permille(c, "venue.faults", "md_drop_permille", &f->md_drop_permille, err,
			 err_len));
	GET(get_permille(c, "venue.faults", "md_dup_permille", &f->md_dup_permille, err, err_len));
	GET(get_permille(c, "venue.faults", "md_reorder_permille", &f->md_reorder_permille, err,
			 err_len));
	GET(get_permille(c, "venue.faults", "reject_permille", &f->reject_permille, err, err_len));
	GET(ps_config_get_int(c, "venue.faults", "delay_us", 0, 0, 10000000, &v, err, err_len));
	f->delay_us = (uint32_t)v;
	GET(ps_config_get_int(c, "venue.faults", "disconnect_after", 0, 0, INT32_MAX, &v, err,
			      err_len));
	f->disconnect_after = (uint32_t)v;
	GET(ps_config_get_uint(c, "venue.faults", "withhold_from", 0, UINT64_MAX, &f->withhold_from,
			       err, err_len));
	GET(ps_config_get_uint(c, "venue.faults", "withhold_count", 0, UINT32_MAX,
			       &f->withhold_count, err, err_len));
	GET(ps_config_get_uint(c, "venue.faults", "seed", 1, UINT64_MAX, &f->seed, err, err_len));
	return 0;
}
