/*
 * The venue simulator (`perseus venue --config FILE`): a separate process
 * that users run for paper trading and certification, and that the demo, the
 * tests and the latency suite trade against.
 *
 * - Matching: price-time priority per instrument (<ps/venue_match.h>).
 * - Order entry: SoupBinTCP 3.0 server speaking OUCH 4.2, several sessions,
 *   login with user and password; every sequenced message is kept per user,
 *   so a client logging in with sequence number N gets everything from N on.
 * - Market data: every book change as ITCH 5.0 in MoldUDP64 packets over UDP
 *   (unicast, or multicast on loopback), with a MoldUDP64 re-request server.
 * - Background flow: a real LOBSTER day converted to ITCH (feeds/lobster),
 *   replayed at a chosen speed through the same matching engine, so client
 *   orders trade against it.
 * - Faults, by config and at run time (UDP control port, one text command
 *   per datagram): drop, duplicate or reorder market-data packets; delay or
 *   reject orders; disconnect sessions.
 *
 * Everything runs on one thread (epoll), which is plenty for a simulator and
 * keeps its event order deterministic for a given input.
 */
#ifndef PS_VENUE_H
#define PS_VENUE_H

#include <signal.h>
#include <stdio.h>

#include <ps/common.h>

struct ps_config;
struct ps_venue;

#define PS_VENUE_MAX_USERS 16

struct ps_venue_user {
	char name[8];      /* up to 6 characters (SoupBinTCP) */
	char password[12]; /* up to 10 characters */
};

struct ps_venue_faults {
	uint32_t md_drop_permille;    /* market-data packets not sent (still re-requestable) */
	uint32_t md_dup_permille;     /* sent twice */
	uint32_t md_reorder_permille; /* held back and sent after the next one */
	uint32_t reject_permille;     /* enter and replace orders rejected (reason 'O') */
	uint32_t delay_us;            /* inbound orders wait this long (lost if the link drops) */
	uint32_t disconnect_after;    /* close a session after this many orders (0: never) */
	uint64_t withhold_from;       /* re-requests for [from, from+count) go unanswered */
	uint64_t withhold_count;
	uint64_t seed; /* PRNG seed, so a faulty run repeats exactly */
};

struct ps_venue_config {
	char session[11];          /* SoupBinTCP and MoldUDP64 session name */
	char ouch_listen[64];      /* HOST:PORT (port 0: any; see ports file) */
	char md_dest[64];          /* HOST:PORT, unicast or multicast (224.0.0.0/4) */
	char rerequest_listen[64]; /* HOST:PORT of the MoldUDP64 re-request server */
	char control_listen[64];   /* HOST:PORT of the fault-injection control port */
	char ports_file[256];      /* written with the bound ports once listening ("" = no) */
	struct ps_venue_user users[PS_VENUE_MAX_USERS];
	uint32_t user_count;
	char lobster[256];      /* zip (or message CSV) of the day to replay; "" = none */
	char lobster_book[256]; /* orderbook CSV when lobster is a CSV */
	char symbol[9];         /* of the replayed day */
	uint32_t levels;        /* 0: from the file */
	double speed;           /* x real time; 0 = as fast as possible */
	uint64_t skip_ns;       /* start the replay this far into the day */
	double duration_s;      /* stop after this long (0: at the end of the data) */
	double linger_s;        /* keep serving after the replay ends */
	uint32_t mtu;           /* largest market-data UDP payload */
	uint32_t book_levels;   /* price levels per side the matching book holds */
	uint32_t heartbeat_ms;
	uint32_t idle_timeout_ms; /* disconnect a client silent for this long */
	bool print_fills;
	struct ps_venue_faults faults;
	/* FIX 4.4 order entry beside OUCH (exec/venue/venue_fix.c) */
	char fix_listen[64];     /* HOST:PORT; "" = no FIX */
	char fix_comp_id[33];    /* our SenderCompID; users log on with theirs = user name */
	char fix_store_dir[256]; /* sequence numbers per user survive restarts here; "" = memory */
	bool fix_echo;           /* fix_app = echo: acceptance-test application */
};

/**
 * Read [venue], [venue.replay] and [venue.faults] from cfg. Users come from
 * the environment (PERSEUS_VENUE_USERS="user:password,...") or from
 * users_file (one user:password per line, readable by its owner only), never
 * from the config itself.
 * @return 0; PS_ECONFIG with err naming file, line and key.
 */
PS_API int ps_venue_config_read(struct ps_venue_config *vc, struct ps_config *cfg, char *err,
				size_t err_len);

/** Bind every socket and load the replay. @return 0 or a negative code with err set. */
PS_API int ps_venue_create(struct ps_venue **v, const struct ps_venue_config *vc, char *err,
			   size_t err_len);

/** Serve until *stop, or the replay (plus linger) ends. @return 0 or -errno. */
PS_API int ps_venue_run(struct ps_venue *v, volatile sig_atomic_t *stop);

/** Apply one control command ("md_drop 50", "disconnect", ...); reply in out. */
PS_API int ps_venue_control(struct ps_venue *v, const char *cmd, char *out, size_t out_len);

PS_API void ps_venue_print_summary(const struct ps_venue *v, FILE *f);
PS_API void ps_venue_destroy(struct ps_venue *v);

/* The bound ports (after ps_venue_create). */
PS_API uint16_t ps_venue_ouch_port(const struct ps_venue *v);
PS_API uint16_t ps_venue_rerequest_port(const struct ps_venue *v);
PS_API uint16_t ps_venue_control_port(const struct ps_venue *v);

#endif /* PS_VENUE_H */
