/*
 * Private to core/engine: the stages of one run and how they are wired.
 *
 *   md    source -> MoldUDP64 session -> ITCH decode -> struct ps_md_event
 *   book  L3 books, strategies -> order intents; exec reports -> strategies
 *   exec  risk -> OMS -> OUCH over SoupBinTCP, or FIX 4.4 (stage_exec_fix.c);
 *         venue messages -> OMS, risk
 *   cold  journal, metrics, final summary
 *
 * A stage is a poll function. Stages on the same thread call each other
 * directly; across threads an SPSC ring carries the message (md -> book:
 * ring A of md events; book -> exec: ring B of b2e messages; exec -> book:
 * ring C of exec reports; exec -> cold: the journal byte ring). The
 * send_* helpers below hide which it is, so the stage code is the same
 * either way.
 */
#ifndef PS_ENGINE_INTERNAL_H
#define PS_ENGINE_INTERNAL_H

#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>

#include <ps/book.h>
#include <ps/clock.h>
#include <ps/config.h>
#include <ps/engine.h>
#include <ps/hist.h>
#include <ps/instrument.h>
#include <ps/itch.h>
#include <ps/journal.h>
#include <ps/jrec.h>
#include <ps/log.h>
#include <ps/moldudp.h>
#include <ps/oms.h>
#include <ps/ring_bytes.h>
#include <ps/ring_spsc.h>
#include <ps/risk.h>
#include <ps/seqlock.h>
#include <ps/soup_client.h>
#include <ps/source.h>
#include <ps/strategy.h>
#include <ps/thread.h>

#define ENG_MAX_THREADS     8
#define ENG_MAX_STRATEGIES  16
#define ENG_MAX_INSTRUMENTS 64
#define ENG_TAG_SLOTS       64
#define ENG_OUT_INTENTS     16

enum eng_stage { ENG_MD = 0, ENG_BOOK, ENG_EXEC, ENG_COLD, ENG_STAGES };

/* book -> exec: an intent, or new reference prices / status of an instrument. */
enum { B2E_INTENT = 1, B2E_MDREF = 2 };
struct eng_mdref {
	int64_t bid, ask, last;
	uint32_t instrument;
	bool halted, stale;
};
struct eng_b2e {
	uint32_t kind;
	uint32_t pad;
	union {
		struct ps_order_intent intent;
		struct eng_mdref ref;
	} u;
};

/* Figures a stage's owner thread publishes once a second (seqlock), read by cold. */
struct eng_stage_metrics {
	uint64_t events;
	uint64_t count;
	uint64_t p50_ns, p99_ns, p999_ns, max_ns;
};

struct eng_thread_cfg {
	char name[24];
	int cpu;
	int priority;
	enum ps_idle_kind idle;
	uint32_t stages; /* bit per enum eng_stage */
};

struct eng_feed_cfg {
	uint32_t kind; /* enum ps_source_kind */
	char bind_ip[64];
	uint16_t port;
	char group[64];
	char rerequest[64]; /* HOST:PORT, "" = no re-requests */
	char session[11];
	char pcap[256];
	char eal_args[192]; /* dpdk: EAL arguments, e.g. "--no-huge -m 256 --vdev=..." */
};

enum eng_venue_protocol { ENG_PROTO_OUCH = 0, ENG_PROTO_FIX };

struct eng_venue_cfg {
	uint32_t protocol; /* enum eng_venue_protocol */
	char connect[64];
	char user[8];
	char password[12];
	char session[11];
	char firm[5];
	char token_prefix[9];
	uint32_t heartbeat_ms;
	uint32_t timeout_ms;
	uint32_t order_timeout_ms;
	/* protocol = fix */
	char sender_comp_id[33];  /* ours (49) */
	char target_comp_id[33];  /* the venue's (56) */
	char fix_password[64];    /* Password (554); from password_env / password_file */
	uint32_t heartbeat_s;     /* HeartBtInt (108) */
	uint32_t fix_store_count; /* sent messages kept for the venue's ResendRequest */
};

struct eng_cfg {
	enum ps_engine_mode mode;
	char symbols[ENG_MAX_INSTRUMENTS][9];
	uint32_t symbol_count;
	uint32_t max_orders, max_levels;
	bool cancel_on_exit;
	double duration_s;
	double feed_idle_exit_s; /* stop when the feed is silent this long after it ended */
	char metrics_file[256];
	uint32_t metrics_interval_ms;
	struct eng_thread_cfg threads[ENG_MAX_THREADS];
	uint32_t thread_count;
	struct eng_feed_cfg feed;
	struct eng_venue_cfg venue;
	bool journal_on;
	struct ps_journal_config journal;
	char journal_dir[256];
	char log_file[256]; /* "-" = stderr; "" = no log */
	enum ps_log_level log_level;
	bool mlock;
};

struct eng_strategy_slot {
	uint32_t tag;
	uint32_t h; /* OMS handle, PS_OMS_NIL when free */
};

/* Per OMS handle: who asked for the order and its risk handle. */
struct eng_order_meta {
	uint32_t risk;
	uint32_t tag;
	uint16_t strategy_id;
	uint8_t side;
	bool live;         /* counted by risk (sent, not yet ended) */
	uint32_t race_qty; /* filled while a replace of it was in flight */
};

struct ps_engine;

/*
 * Latency of the order path, per order message sent, from TSC stamps taken
 * along it (packet received, book stage takes the event, strategy emits the
 * intent, bytes handed to the socket, send call returns). Split stages add
 * the ring hop to the stage that dequeues.
 */
enum eng_lat {
	ENG_LAT_MD = 0, /* packet received -> book stage takes the event */
	ENG_LAT_BOOK,   /* book apply + strategy -> intent */
	ENG_LAT_EXEC,   /* intent -> risk, OMS, encode -> bytes handed to the socket */
	ENG_LAT_T2T,    /* tick-to-trade: packet received -> bytes handed to the socket */
	ENG_LAT_SEND,   /* the send call (io_uring submit: the kernel's TCP send) */
	ENG_LAT_T2S,    /* packet received -> send call returned */
	ENG_LAT__COUNT
};

/* Stamps of an order message waiting for eng_exec_flush. */
struct eng_sent {
	uint64_t md_tsc;
	uint32_t book_dtsc, intent_dtsc; /* as in ps_order_intent */
	uint32_t exec_ns;                /* intent -> message committed */
};

struct eng_md {
	struct ps_engine *e;
	struct ps_source src;
	struct ps_moldudp_session sess;
	void *sess_mem;
	int req_fd;
	struct sockaddr_in req_addr;
	uint32_t locmap[65536]; /* stock locate -> dense instrument, NONE if untracked */
	struct ps_itch_stats itch;
	struct ps_hist hist; /* decode time per packet, ns */
	void *hist_mem;
	uint64_t packets, events, stale_events;
	/* Written by the md thread, read by the main thread's watchdog: relaxed
	 * atomics, since nothing else is published through them. */
	_Atomic uint64_t last_pkt_ns;
	_Atomic bool ended;
};

struct eng_book {
	struct ps_engine *e;
	struct ps_book_set *books;
	struct ps_strategy *strategies[ENG_MAX_STRATEGIES];
	uint32_t strategy_count;
	int64_t sent_bid[ENG_MAX_INSTRUMENTS], sent_ask[ENG_MAX_INSTRUMENTS];
	int64_t last_trade[ENG_MAX_INSTRUMENTS];
	bool stale[ENG_MAX_INSTRUMENTS];
	struct ps_order_intent out_buf[ENG_OUT_INTENTS];
	struct ps_hist hist; /* book apply + strategy per event, ns */
	void *hist_mem;
	uint64_t events, book_errors, intents, dropped_intents, reports;
};

#define ENG_REC_ADOPT  16
#define ENG_SETTLE_MAX 1024
struct eng_adopted {
	uint32_t h, orig_h;
	struct ps_order_intent intent;
};

struct eng_exec {
	struct ps_engine *e;
	struct ps_risk *risk;
	struct ps_risk_board board;
	void *board_mem;
	struct ps_oms oms;
	void *oms_mem;
	struct ps_soup_client soup;
	void *soup_mem;
	/* protocol = fix: the FIX 4.4 session (stage_exec_fix.c); NULL = OUCH.
	 * Read once per order on the hot path, beside the session it replaces
	 * (same lines as soup_mem): a well-predicted branch, no extra miss. */
	struct eng_fix *fix;
	struct eng_order_meta *meta; /* [oms capacity] */
	struct eng_strategy_slot tags[ENG_MAX_STRATEGIES][ENG_TAG_SLOTS];
	char stock[ENG_MAX_INSTRUMENTS][8];
	/* The order path, one sample per order message sent (eng_lat). */
	struct ps_hist lat[ENG_LAT__COUNT];
	void *lat_mem[ENG_LAT__COUNT];
	/* Order messages committed, not yet handed to the socket (eng_exec_flush). */
	struct eng_sent batch[ENG_OUT_INTENTS];
	uint32_t batch_n;
	uint64_t intents, sent, cancels, replaces, risk_rejects, venue_rejects, fills, filled_qty;
	uint64_t journal_waits, venue_msgs, unknown_msgs;
	uint64_t cancel_timeouts; /* cancels never answered: order taken as gone */
	uint64_t req_timeouts;    /* live requests unanswered within order_timeout_ms */
	uint64_t reject_by_reason[64];
	bool logged_in, caught_up, cancel_sent_at_exit;
	uint64_t exit_deadline_ns;
	bool fail_closed;
	char fail_reason[256];
	/* Recovery: the FILL record of the last execution replayed from the
	 * journal, until its own FILL record is read (a crash between the two
	 * records loses it; recovery then writes it again). */
	struct ps_jrec_fill rec_fill;
	bool rec_fill_pending;
	uint8_t md_flags[ENG_MAX_INSTRUMENTS]; /* last journaled: 1 stale, 2 halted */
	/* Recovery: orders re-created from venue answers, journaled at its end
	 * unless their own ORDER_SENT record turns up (see adopt in stage_exec.c). */
	struct eng_adopted rec_adopt[ENG_REC_ADOPT];
	uint32_t rec_adopt_count;
	uint64_t adopted, risk_resyncs;
	uint64_t replaces_dropped; /* original died with the replace in flight */
	bool recovering;           /* eng_recover is replaying the journal */
	/* Start-up reconciliation (stage_exec.c, settle_*): the orders an earlier
	 * run left working, cancelled at the first catch-up; no intent is taken
	 * while any is listed. settle_more: more than ENG_SETTLE_MAX of them. */
	bool reconciled, settle_more;
	uint32_t settle_n;
	uint64_t settle_check_ns, settle_total;
	struct eng_settle {
		uint32_t h;
		char token[PS_OUCH_TOKEN_LEN];
	} settle[ENG_SETTLE_MAX];
};

struct eng_cold {
	struct ps_engine *e;
	struct ps_journal *journal;
	FILE *metrics;
	uint64_t next_metrics_ns;
	uint64_t records;
	int error;
};

struct eng_thread {
	struct ps_engine *e;
	struct eng_thread_cfg cfg;
	struct ps_thread t;
	struct ps_idle idle;
	struct ps_log_thread log; /* this thread's log ring */
	void *log_mem;
};

struct ps_engine {
	struct eng_cfg cfg;
	struct ps_config *config;
	struct ps_instrument_table *instruments;

	/* wiring */
	bool split_md_book, split_book_exec;
	struct ps_ring_spsc ring_a, ring_b, ring_c;
	void *ring_mem[3];
	struct ps_ring_bytes jring; /* exec -> cold journal records */
	void *jring_mem;
	/* Order records of the batch of intents being sent, written to jring
	 * right after the batch's send (eng_journal_defer_order): the records
	 * of a quote pair no longer sit between its tick and its send. Any other
	 * record writes these first, so the journal's order is unchanged. */
	struct eng_jdefer {
		uint64_t ts;
		uint16_t type;
		struct ps_jrec_order rec;
	} jdefer[ENG_OUT_INTENTS];
	uint32_t jdefer_n;

	struct eng_md md;
	struct eng_book book;
	struct eng_exec exec;
	struct eng_cold cold;

	struct eng_thread threads[ENG_MAX_THREADS];
	uint32_t thread_count;

	/* async log: hot threads write records, the cold stage formats them */
	struct ps_log log;
	void *log_mem;
	int log_fd;
	bool log_on;
	bool log_dirty; /* cold stage: lines formatted, not yet written */

	/* shutdown: main thread raises phases, stages acknowledge with done bits */
	_Atomic int phase;             /* enum eng_phase; written by the main thread */
	_Atomic uint32_t done;         /* bit per stage, set by its owner thread */
	_Atomic bool exec_settled;     /* exec: no working orders left at shutdown */
	_Atomic uint64_t counters[16]; /* relaxed: single writer each, read by cold/main */
	struct ps_seqlock metrics_lock[ENG_STAGES];
	struct eng_stage_metrics metrics[ENG_STAGES];

	uint64_t start_ns;
	uint64_t recovered_records, recovered_fills, recovered_orders;
	uint64_t journal_next_seq; /* the first record this run journals */
	uint64_t token_start, next_seq;
	bool recovered;
};

enum eng_phase {
	ENG_RUN = 0,
	ENG_STOP_MD,   /* md stops reading; book and exec drain */
	ENG_STOP_EXEC, /* exec cancels working orders and logs out */
	ENG_STOP_COLD, /* cold drains the journal and closes it */
	ENG_EXIT,
};

/* Counters shared with the cold thread (index into e->counters). */
enum {
	ENG_C_MD_PACKETS = 0,
	ENG_C_MD_EVENTS,
	ENG_C_BOOK_EVENTS,
	ENG_C_INTENTS,
	ENG_C_RISK_REJECTS,
	ENG_C_FILLS,
	ENG_C_FILLED_QTY,
	ENG_C_JOURNAL_RECORDS,
	ENG_C_MD_GAPS,
	ENG_C_MD_STALE,
	ENG_C_VENUE_MSGS,
	ENG_C_REALIZED,
	ENG_C_POSITION,
	ENG_C_RING_FULL,  /* enqueues that found ring A or B full (the stage waited) */
	ENG_C_RX_NOBUFS,  /* receives the kernel could not place: buffer ring empty */
	ENG_C_ORDER_MSGS, /* order messages sent: new, cancel, replace */
	ENG_C__COUNT
};
static_assert(ENG_C__COUNT <= PS_ARRAY_SIZE(((struct ps_engine *)0)->counters),
	      "ps_engine.counters too small");

static inline void eng_count(struct ps_engine *e, unsigned i, uint64_t n)
{
	/* Relaxed: each counter has one writer thread; readers only report. */
	atomic_fetch_add_explicit(&e->counters[i], n, memory_order_relaxed);
}

static inline void eng_set(struct ps_engine *e, unsigned i, uint64_t v)
{
	/* Relaxed: one writer; readers only report. */
	atomic_store_explicit(&e->counters[i], v, memory_order_relaxed);
}

static inline uint64_t eng_get(struct ps_engine *e, unsigned i)
{
	/* Relaxed: a reporting read; no other data depends on it. */
	return atomic_load_explicit(&e->counters[i], memory_order_relaxed);
}

static inline int eng_phase(struct ps_engine *e)
{
	/* A1: pairs with R1 in ps_engine_run: what the main thread set up
	 * before raising the phase is visible once the new phase is seen. */
	return atomic_load_explicit(&e->phase, memory_order_acquire);
}

static inline void eng_stage_done(struct ps_engine *e, enum eng_stage s)
{
	/* R2: pairs with A2 in ps_engine_run: the stage's final state (stats,
	 * histograms) is visible to the main thread once it sees the bit. */
	atomic_fetch_or_explicit(&e->done, 1u << s, memory_order_release);
}

static inline uint64_t eng_now_ns(void)
{
	return ps_tsc_to_ns(ps_tsc());
}

/* engine_config.c */
int eng_config_read(struct eng_cfg *e, struct ps_config *c, char *err, size_t err_len);

/* stage_*.c: open (cold), poll (hot, returns work done), close (cold) */
int eng_md_open(struct eng_md *md, struct ps_engine *e, char *err, size_t err_len);
int eng_md_poll(struct eng_md *md);
void eng_md_close(struct eng_md *md);
int eng_book_open(struct eng_book *b, struct ps_engine *e, char *err, size_t err_len);
int eng_book_poll(struct eng_book *b);
void eng_book_on_md(struct eng_book *b, const struct ps_md_event *ev);
void eng_book_on_report(struct eng_book *b, const struct ps_exec_report *r);
void eng_book_close(struct eng_book *b);
int eng_exec_open(struct eng_exec *x, struct ps_engine *e, char *err, size_t err_len);
int eng_exec_poll(struct eng_exec *x);
void eng_exec_on_b2e(struct eng_exec *x, const struct eng_b2e *m);
/* Hands the order messages committed by eng_exec_on_b2e to the socket (one
 * send). Called after each batch of intents. */
void eng_exec_flush(struct eng_exec *x);
void eng_exec_close(struct eng_exec *x);
int eng_cold_open(struct eng_cold *c, struct ps_engine *e, char *err, size_t err_len);
int eng_cold_poll(struct eng_cold *c);
void eng_cold_close(struct eng_cold *c);

/* Journal a record from the exec thread (never dropped: false when the
 * ring is full, and the caller holds back until it drains). */
bool eng_journal_put(struct ps_engine *e, uint16_t type, const void *payload, uint32_t len);
/* Queue an order record until eng_journal_drain (the batch's send). Room
 * must have been checked as for eng_journal_put. */
void eng_journal_defer_order(struct ps_engine *e, uint16_t type, const struct ps_jrec_order *r,
			     uint64_t ts);
/* Write the queued order records to the journal ring, in order. */
void eng_journal_drain(struct ps_engine *e);
/* As eng_journal_put, with the record's time given (ns, ps_tsc_to_ns clock). */
bool eng_journal_put_at(struct ps_engine *e, uint16_t type, const void *payload, uint32_t len,
			uint64_t ts);

int eng_exec_connect(struct eng_exec *x, char *err, size_t err_len);
void eng_exec_apply(struct eng_exec *x, uint64_t seq, const uint8_t *msg, uint16_t len, bool live);
void eng_exec_restore_order(struct eng_exec *x, const struct ps_jrec_order *r, unsigned type);
void eng_exec_journal_adopted(struct eng_exec *x);

/*
 * The venue protocol split. The exec stage speaks one vocabulary for venue
 * events: OUCH 4.2 outbound messages (struct ps_ouch_msg). OUCH messages are
 * that already; the FIX adapter (stage_exec_fix.c) turns each
 * ExecutionReport and OrderCancelReject into the one OUCH message that
 * means the same, which is journaled (VENUE_MSG, with the FIX MsgSeqNum)
 * and applied exactly like an OUCH message, so the OMS, risk, the journal
 * and recovery have one code path. Session events use the
 * PS_SOUP_CLIENT_EV_* codes (LOGGED_IN, CAUGHT_UP, DISCONNECTED) whatever
 * the protocol.
 */
struct eng_fix;
struct ps_fix_msg;

/* stage_exec.c, for the protocol modules */
void eng_exec_apply_msg(struct eng_exec *x, uint64_t seq, const struct ps_ouch_msg *m, bool live);
/* A normalized venue message from the session, live: journal, apply, count. */
void eng_exec_on_venue_msg(struct eng_exec *x, uint64_t seq, const struct ps_ouch_msg *m);
void eng_exec_session_event(struct eng_exec *x, int event, int err);
/* The next token of the OMS counter, consumed (a FIX cancel's ClOrdID). */
void eng_exec_take_token(struct eng_exec *x, char token[PS_OUCH_TOKEN_LEN]);

/*
 * stage_exec_fix.c: FIX 4.4 order entry over the io_uring TCP transport.
 * The ClOrdID of an order is its OMS token; a cancel gets a fresh token
 * from the same counter (never reused across restarts). The session's
 * sequence numbers live in JOURNAL_DIR/fix-SENDER-TARGET.seq; after a
 * restart the incoming number restarts after the last VENUE_MSG journaled
 * (next_in_journal), so a message received but never journaled is asked
 * for again (ResendRequest) instead of being lost.
 */
int eng_fix_open(struct eng_exec *x, const struct sockaddr_in *addr, uint64_t next_in_journal,
		 char *err, size_t err_len);
void eng_fix_close(struct eng_exec *x);
uint32_t eng_fix_poll(struct eng_fix *f, uint64_t now_ns);
/* Logged on, caught up and room to send one order message. */
bool eng_fix_can_send(struct eng_fix *f);
void eng_fix_send_new(struct eng_fix *f, const struct ps_order_intent *in, const char *token,
		      const char *stock);
/* cxl_token: ClOrdID of the cancel request (eng_exec_take_token). */
void eng_fix_send_cancel(struct eng_fix *f, const struct ps_oms_order *o, const char *cxl_token,
			 const char *stock);
void eng_fix_send_replace(struct eng_fix *f, const struct ps_oms_order *o, const char *new_token,
			  const struct ps_order_intent *in, const char *stock);
void eng_fix_flush(struct eng_fix *f);
/* Main thread, after the stage threads stopped: Logout, bounded wait. */
void eng_fix_logout(struct eng_fix *f);
uint64_t eng_fix_next_in(const struct eng_fix *f);
/*
 * The adapter, pure: one FIX application message -> the OUCH message that
 * means the same for the OMS. oms gives the open shares a Canceled needs
 * (FIX says what is left, OUCH what went). @return 1 with *out set; 0 for a
 * message with no OMS meaning (Restated, OrderStatus, ...); PS_EPROTOCOL
 * for a malformed one.
 */
int eng_fix_normalize(const struct ps_fix_msg *m, const struct ps_oms *oms,
		      struct ps_ouch_msg *out);

/* engine.c: the CPUs for the engine's housekeeping (its main thread, the
 * journal's io_uring workers): those of the threads running the cold stage,
 * or, when none is pinned, every allowed CPU but the pinned hot threads'.
 * @return false when that leaves nothing to choose (no pinning at all). */
bool eng_housekeeping_cpus(const struct ps_engine *e, cpu_set_t *out);

/* engine_log.c */
int eng_log_open(struct ps_engine *e, char *err, size_t err_len);
int eng_log_thread_start(struct ps_engine *e, struct eng_thread *t);
void eng_log_thread_stop(struct ps_engine *e, struct eng_thread *t);
int eng_log_drain(struct ps_engine *e);
void eng_log_close(struct ps_engine *e);

/* recovery.c: replay the journal into the exec stage before it starts. */
int eng_recover(struct ps_engine *e, char *err, size_t err_len);

/* Publish a stage's latency figures for the cold thread (owner thread, ~1/s). */
void eng_publish_metrics(struct ps_engine *e, enum eng_stage s, uint64_t events,
			 const struct ps_hist *h);

#endif /* PS_ENGINE_INTERNAL_H */
