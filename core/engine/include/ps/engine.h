/*
 * The engine: `perseus run --config FILE` builds the md, book, exec and cold
 * stages from the config, maps them to pinned threads, joins split stages
 * with SPSC rings, recovers from the journal, trades, and stops cleanly on a
 * signal (drain, cancel working orders if configured, flush, summary).
 */
#ifndef PS_ENGINE_H
#define PS_ENGINE_H

#include <signal.h>
#include <stdio.h>

#include <ps/common.h>

enum ps_engine_mode {
	PS_ENGINE_PAPER = 0, /* against the venue simulator */
	PS_ENGINE_REPLAY,    /* market data from a file source, no venue */
	PS_ENGINE_LIVE,      /* a real venue: same code, only the config differs */
};

struct ps_engine;

/**
 * Build an engine from an INI file: every section and key is checked
 * (unknown keys and bad values name file, line and key), the journal is
 * recovered, sockets are opened. Nothing runs yet.
 * @return 0; PS_ECONFIG / -errno with err set.
 */
PS_API int ps_engine_create(struct ps_engine **e, const char *config_path, char *err,
			    size_t err_len);

/**
 * Start the threads and run until *stop, duration_s, or the end of the feed;
 * then shut down in order. @return 0, or a negative code when a stage failed.
 */
PS_API int ps_engine_run(struct ps_engine *e, volatile sig_atomic_t *stop);

/* After ps_engine_run: why the engine refused to trade (its state and the
 * venue's disagreed), or NULL when it did not. */
PS_API const char *ps_engine_refused(const struct ps_engine *e);

/* The final summary table (after ps_engine_run). */
PS_API void ps_engine_print_summary(struct ps_engine *e, FILE *f);

/*
 * After ps_engine_run: every latency histogram of the summary, whole, as
 * DIR/NAME.hgrm in HdrHistogram's percentile-distribution format (values in
 * microseconds): the order path per order sent (md, book, exec, t2t, send,
 * t2s) and every event (md-event, book-event). DIR is created if missing.
 * @return 0, or a negative errno with err naming the file.
 */
PS_API int ps_engine_write_latency(struct ps_engine *e, const char *dir, char *err, size_t err_len);

/* Realized + unrealized PnL at the end, price units x shares (for tests). */
PS_API int64_t ps_engine_pnl(const struct ps_engine *e);

PS_API void ps_engine_destroy(struct ps_engine *e);

#endif /* PS_ENGINE_H */
