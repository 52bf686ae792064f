/* perseus venue: the venue simulator as a separate process. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ps/config.h>
#include <ps/err.h>
#include <ps/venue.h>

#include "cli.h"

static volatile sig_atomic_t venue_stop;

static void on_signal(int sig)
{
	(void)sig;
	venue_stop = 1;
}

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: perseus venue --config FILE [--speed X] [--duration S] [--quiet]\n"
	    "\n"
	    "Runs the venue simulator: OUCH 4.2 over SoupBinTCP order entry, ITCH 5.0 over\n"
	    "MoldUDP64 market data with a re-request server, a real LOBSTER day replayed as\n"
	    "background flow, fault injection. Stops on SIGINT/SIGTERM, or when the replay\n"
	    "(plus linger_s) or duration_s ends, and prints a summary.\n"
	    "\n"
	    "options:\n"
	    "  --config FILE   INI file (sections below); required\n"
	    "  --speed X       override [venue.replay] speed\n"
	    "  --duration S    override [venue.replay] duration_s\n"
	    "  --quiet         do not print each fill\n"
	    "\n"
	    "[venue]\n"
	    "  session = PERSEUS001          SoupBinTCP / MoldUDP64 session name\n"
	    "  ouch_listen = 127.0.0.1:0     OUCH order entry (TCP); port 0 = any\n"
	    "  md_dest = 127.0.0.1:26400     ITCH/MoldUDP64 destination (unicast or multicast)\n"
	    "  rerequest_listen = 127.0.0.1:0  MoldUDP64 re-request server (UDP)\n"
	    "  control_listen = 127.0.0.1:0  fault-injection control port (UDP text commands:\n"
	    "                                md_drop N, md_dup N, md_reorder N, reject N "
	    "(permille),\n"
	    "                                delay_us N, withhold FROM COUNT, disconnect, status,\n"
	    "                                position USER [SEQ])\n"
	    "  ports_file =                  write the bound ports here (key=value lines)\n"
	    "  users_file =                  user:password lines, mode 0600; or the environment\n"
	    "                                variable PERSEUS_VENUE_USERS=user:password[,...]\n"
	    "  mtu = 1400                    largest market-data UDP payload\n"
	    "  book_levels = 16384           price levels per side the matching book holds\n"
	    "                                (1-65536); an order or replace that needs one\n"
	    "                                more is cancelled (OUCH reason Z)\n"
	    "  heartbeat_ms = 1000           SoupBinTCP and MoldUDP64 heartbeat interval\n"
	    "  idle_timeout_ms = 15000       disconnect a client silent this long\n"
	    "  print_fills = true            print each client fill\n"
	    "  fix_listen =                  FIX 4.4 order entry (TCP) beside OUCH; empty = off.\n"
	    "                                A user logs on with SenderCompID = user name and\n"
	    "                                Password (554) = the user's password; ClOrdID is\n"
	    "                                the OUCH token (1..14 characters)\n"
	    "  fix_comp_id = PERSEUS         the venue's FIX SenderCompID\n"
	    "  fix_store_dir =               keep each user's FIX sequence numbers here\n"
	    "                                (fix-USER.seq; survive restarts); empty = memory\n"
	    "  fix_app = trade               trade, or echo: the FIX acceptance-test application\n"
	    "                                (for perseus fix-scenarios --venue)\n"
	    "[venue.replay]\n"
	    "  lobster =                     LOBSTER zip (or message CSV) to replay; empty = none\n"
	    "  orderbook =                   orderbook CSV when lobster is a CSV\n"
	    "  symbol = AMZN                 the replayed instrument\n"
	    "  levels = 0                    depth of the orderbook file (0: from the file)\n"
	    "  speed = 1                     x real time; 0 = as fast as possible\n"
	    "  skip_s = 0                    start this many seconds into the day\n"
	    "  duration_s = 0                stop after this long (0: at the end of the data)\n"
	    "  linger_s = 0                  keep serving after the replay ends\n"
	    "[venue.faults]\n"
	    "  md_drop_permille = 0, md_dup_permille = 0, md_reorder_permille = 0\n"
	    "  reject_permille = 0, delay_us = 0, disconnect_after = 0 (orders per session)\n"
	    "  withhold_from = 0, withhold_count = 0 (re-requests left unanswered)\n"
	    "  seed = 1                      PRNG seed for the faults\n");
}

static int cli_venue(int argc, char **argv)
{
	const char *path = NULL;
	double speed = -1, duration = -1;
	bool quiet = false;
	struct ps_config *cfg = NULL;
	struct ps_venue_config vc;
	struct ps_venue *v = NULL;
	char err[1024] = "";
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--config") && i + 1 < argc) {
			path = argv[++i];
		} else if (!strcmp(argv[i], "--speed") && i + 1 < argc) {
			speed = strtod(argv[++i], NULL);
		} else if (!strcmp(argv[i], "--duration") && i + 1 < argc) {
			duration = strtod(argv[++i], NULL);
		} else if (!strcmp(argv[i], "--quiet")) {
			quiet = true;
		} else {
			ps_cli_error("venue", "unknown or incomplete option '%s'", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (!path) {
		ps_cli_error("venue", "--config FILE is required");
		usage(stderr);
		return 2;
	}
	if (ps_config_load(&cfg, path, err, sizeof(err)) ||
	    ps_venue_config_read(&vc, cfg, err, sizeof(err))) {
		ps_cli_error("venue", "%s", err);
		ps_config_destroy(cfg);
		return 1;
	}
	ps_config_destroy(cfg);
	if (speed >= 0)
		vc.speed = speed;
	if (duration >= 0)
		vc.duration_s = duration;
	if (quiet)
		vc.print_fills = false;
	if (ps_venue_create(&v, &vc, err, sizeof(err))) {
		ps_cli_error("venue", "%s", err);
		return 1;
	}
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	fprintf(stderr,
		"venue: session %s, OUCH on port %u, market data to %s, re-requests on "
		"port %u, control on port %u\n",
		vc.session, ps_venue_ouch_port(v), vc.md_dest, ps_venue_rerequest_port(v),
		ps_venue_control_port(v));
	setvbuf(stdout, NULL, _IOLBF, 0);
	rc = ps_venue_run(v, &venue_stop);
	ps_venue_print_summary(v, stdout);
	ps_venue_destroy(v);
	if (rc) {
		ps_cli_error("venue", "%s", ps_strerror(rc));
		return 1;
	}
	return 0;
}
PS_CLI_COMMAND("venue", "run the venue simulator (OUCH/SoupBinTCP, ITCH/MoldUDP64, replay, faults)",
	       cli_venue);
