/* perseus run: the engine. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <ps/engine.h>
#include <ps/err.h>

#include "cli.h"

static volatile sig_atomic_t run_stop;

static void on_signal(int sig)
{
	(void)sig;
	run_stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: perseus run --config FILE [--latency-dir DIR]\n"
		   "\n"
		   "Runs the engine: market data (ITCH 5.0 over MoldUDP64), L3 books, strategies,\n"
		   "pre-trade risk, OUCH 4.2 order entry, journal and metrics, with the stages on\n"
		   "the threads and CPUs of the [thread.NAME] sections. Recovers from the journal\n"
		   "first. Stops on SIGINT/SIGTERM, duration_s, or when the feed goes quiet; then\n"
		   "cancels working orders (cancel_on_exit), flushes and prints a summary.\n"
		   "See README.md for every section and key.\n"
		   "\n"
		   "  --latency-dir DIR  at the end, write each latency histogram of the summary\n"
		   "                     whole to DIR/NAME.hgrm (HdrHistogram percentile\n"
		   "                     distribution, microseconds): md, book, exec, t2t,\n"
		   "                     send, t2s (per order sent), md-event, book-event\n");
}

static int cli_run(int argc, char **argv)
{
	const char *path = NULL, *lat_dir = NULL;
	struct ps_engine *e;
	char err[1024];
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--config") && i + 1 < argc) {
			path = argv[++i];
		} else if (!strcmp(argv[i], "--latency-dir") && i + 1 < argc) {
			lat_dir = argv[++i];
		} else {
			ps_cli_error("run", "unknown or incomplete option '%s'", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (!path) {
		ps_cli_error("run", "--config FILE is required");
		usage(stderr);
		return 2;
	}
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (ps_engine_create(&e, path, err, sizeof(err))) {
		ps_cli_error("run", "%s", err);
		return 1;
	}
	rc = ps_engine_run(e, &run_stop);
	ps_engine_print_summary(e, stdout);
	if (lat_dir && ps_engine_write_latency(e, lat_dir, err, sizeof(err))) {
		ps_cli_error("run", "%s", err);
		if (!rc)
			rc = -EIO;
	}
	const char *refused = ps_engine_refused(e);
	if (refused && !rc) {
		/* Exit 1: whoever runs the engine must look at it. */
		ps_cli_error("run", "refused to trade: %s", refused);
		ps_engine_destroy(e);
		return 1;
	}
	ps_engine_destroy(e);
	if (rc) {
		ps_cli_error("run", "%s", ps_strerror(rc));
		return 1;
	}
	return 0;
}
PS_CLI_COMMAND("run", "run the engine (market data, books, strategies, risk, orders)", cli_run);
