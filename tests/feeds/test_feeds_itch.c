/* ITCH 5.0 codec: round trips of every type, the real sample files, guard pages. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <ps/binfile.h>
#include <ps/itch.h>

static const char all_types[] = "SRHYLVWKJhAFECXDUPQBINO";

static const size_t all_lens[] = {
	12, 39, 25, 20, 26, 35, 12, 28, 35, 21, 36, 40, 31, 36, 23, 19, 35, 44, 40, 19, 50, 20, 48,
};

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint8_t rnd8(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint8_t)(rng_state >> 24);
}

/* A message of type t with every byte after the type random. */
static size_t random_msg(uint8_t *buf, char t)
{
	size_t len = ps_itch_msg_len((uint8_t)t);

	buf[0] = (uint8_t)t;
	for (size_t i = 1; i < len; i++)
		buf[i] = rnd8();
	return len;
}

static void test_itch_lengths_match_the_specification(void **state)
{
	(void)state;
	assert_int_equal(strlen(all_types), PS_ARRAY_SIZE(all_lens));
	for (size_t i = 0; all_types[i]; i++) {
		assert_int_equal(ps_itch_msg_len((uint8_t)all_types[i]), all_lens[i]);
		assert_non_null(ps_itch_type_name((uint8_t)all_types[i]));
	}
	assert_int_equal(ps_itch_msg_len('Z'), 0);
	assert_null(ps_itch_type_name('Z'));
}

/* Random bytes -> decode -> encode gives the same bytes: every byte of every
 * type belongs to a field, and every field survives the round trip. */
static void test_itch_every_type_round_trips_all_bytes(void **state)
{
	(void)state;
	for (int rep = 0; rep < 200; rep++) {
		for (size_t i = 0; all_types[i]; i++) {
			uint8_t in[64], out[64];
			struct ps_itch_msg m;
			size_t len = random_msg(in, all_types[i]);

			assert_int_equal(ps_itch_msg_decode(&m, in, len), 0);
			assert_int_equal(m.type, (uint8_t)all_types[i]);
			memset(out, 0, sizeof(out));
			assert_int_equal(ps_itch_msg_encode(out, sizeof(out), &m), (int)len);
			assert_memory_equal(in, out, len);
			assert_int_equal(ps_itch_msg_encode(out, len - 1, &m), -ENOSPC);
		}
	}
}

/* Fields set by name -> encode -> decode gives the same fields. */
static void test_itch_fields_round_trip_by_name(void **state)
{
	struct ps_itch_msg m, d;
	uint8_t buf[64];

	(void)state;
	memset(&m, 0, sizeof(m));
	m.type = 'F';
	m.stock_locate = 0xBEEF;
	m.tracking_number = 7;
	m.timestamp = 57599999999999ull;
	m.u.add_order.order_reference_number = 0x0123456789ABCDEFull;
	m.u.add_order.buy_sell_indicator = 'S';
	m.u.add_order.shares = 4000000000u;
	memcpy(m.u.add_order.stock, "AMZN    ", 8);
	m.u.add_order.price = 19999999999LL % 4294967296LL;
	memcpy(m.u.add_order.attribution, "GSCO", 4);
	assert_int_equal(ps_itch_msg_encode(buf, sizeof(buf), &m), 40);
	assert_int_equal(ps_itch_msg_decode(&d, buf, 40), 0);
	assert_memory_equal(&m, &d, sizeof(m));

	memset(&m, 0, sizeof(m));
	m.type = 'V';
	m.u.mwcb_decline_level.level_1 = 300000000000LL; /* Price(8): $3000.00000000 */
	m.u.mwcb_decline_level.level_2 = 280000000000LL;
	m.u.mwcb_decline_level.level_3 = 250000000000LL;
	assert_int_equal(ps_itch_msg_encode(buf, sizeof(buf), &m), 35);
	assert_int_equal(ps_load_be64(buf + 11), 300000000000ull);
	assert_int_equal(ps_itch_msg_decode(&d, buf, 35), 0);
	assert_memory_equal(&m, &d, sizeof(m));

	memset(&m, 0, sizeof(m));
	m.type = 'O';
	memcpy(m.u.dlcr_price_discovery.stock, "NEWCO   ", 8);
	m.u.dlcr_price_discovery.open_eligibility_status = 'Y';
	m.u.dlcr_price_discovery.minimum_allowable_price = 200000;
	m.u.dlcr_price_discovery.maximum_allowable_price = 800000;
	m.u.dlcr_price_discovery.near_execution_price = 500000;
	m.u.dlcr_price_discovery.near_execution_time = 34200123456789ull;
	m.u.dlcr_price_discovery.lower_price_range_collar = 450000;
	m.u.dlcr_price_discovery.upper_price_range_collar = 550000;
	assert_int_equal(ps_itch_msg_encode(buf, sizeof(buf), &m), 48);
	assert_int_equal(ps_itch_msg_decode(&d, buf, 48), 0);
	assert_memory_equal(&m, &d, sizeof(m));
}

/* The hot decoder agrees with the full view on every book message. */
static void test_itch_hot_decode_matches_full_view(void **state)
{
	struct ps_itch_stats st;

	(void)state;
	ps_itch_stats_reset(&st);
	for (int rep = 0; rep < 500; rep++) {
		for (size_t i = 0; all_types[i]; i++) {
			uint8_t in[64];
			struct ps_itch_msg m;
			struct ps_md_event ev;
			size_t len = random_msg(in, all_types[i]);
			int rc;

			memset(&ev, 0xA5, sizeof(ev));
			rc = ps_itch_decode(in, len, &ev, &st);
			assert_true(rc == PS_ITCH_RC_EVENT || rc == PS_ITCH_RC_NONE);
			assert_int_equal(ps_itch_msg_decode(&m, in, len), 0);
			if (rc != PS_ITCH_RC_EVENT)
				continue;
			assert_int_equal(ev.instrument, m.stock_locate);
			assert_int_equal(ev.venue_ts_ns, m.timestamp);
			switch (m.type) {
			case 'A':
			case 'F':
				assert_int_equal(ev.type, PS_MD_ADD);
				assert_int_equal(ev.order_id, m.u.add_order.order_reference_number);
				assert_int_equal(ev.qty, m.u.add_order.shares);
				assert_int_equal(ev.price, m.u.add_order.price);
				assert_int_equal(ev.side, m.u.add_order.buy_sell_indicator == 'S'
							      ? PS_SIDE_SELL
							      : PS_SIDE_BUY);
				break;
			case 'E':
			case 'C':
				assert_int_equal(ev.type, PS_MD_EXECUTE);
				assert_int_equal(ev.order_id,
						 m.u.order_executed.order_reference_number);
				assert_int_equal(ev.qty, m.u.order_executed.executed_shares);
				assert_int_equal(ev.new_order_id, m.u.order_executed.match_number);
				assert_int_equal(ev.price, m.u.order_executed.execution_price);
				break;
			case 'X':
				assert_int_equal(ev.type, PS_MD_CANCEL);
				assert_int_equal(ev.order_id,
						 m.u.order_cancel.order_reference_number);
				assert_int_equal(ev.qty, m.u.order_cancel.canceled_shares);
				break;
			case 'D':
				assert_int_equal(ev.type, PS_MD_DELETE);
				assert_int_equal(ev.order_id,
						 m.u.order_delete.order_reference_number);
				break;
			case 'U':
				assert_int_equal(ev.type, PS_MD_REPLACE);
				assert_int_equal(ev.order_id,
						 m.u.order_replace.original_order_reference_number);
				assert_int_equal(ev.new_order_id,
						 m.u.order_replace.new_order_reference_number);
				assert_int_equal(ev.qty, m.u.order_replace.shares);
				assert_int_equal(ev.price, m.u.order_replace.price);
				break;
			case 'P':
				assert_int_equal(ev.type, PS_MD_TRADE);
				assert_int_equal(ev.qty, m.u.trade.shares);
				assert_int_equal(ev.price, m.u.trade.price);
				assert_int_equal(ev.new_order_id, m.u.trade.match_number);
				break;
			case 'Q':
				assert_int_equal(ev.type, PS_MD_TRADE);
				assert_int_equal(ev.qty, m.u.cross_trade.shares > UINT32_MAX
							     ? UINT32_MAX
							     : m.u.cross_trade.shares);
				assert_int_equal(ev.price, m.u.cross_trade.cross_price);
				break;
			case 'H':
			case 'h':
				assert_int_equal(ev.type, PS_MD_STATUS);
				break;
			default:
				fail_msg("event from type %c", m.type);
			}
		}
	}
	assert_int_equal(st.truncated + st.badlen + st.unknown, 0);
	assert_int_equal(ps_itch_stats_messages(&st), 500 * strlen(all_types));
}

static void test_itch_status_mapping(void **state)
{
	uint8_t in[64];
	struct ps_md_event ev;
	struct ps_itch_stats st;

	(void)state;
	ps_itch_stats_reset(&st);
	random_msg(in, 'H');
	in[19] = 'H';
	assert_int_equal(ps_itch_decode(in, 25, &ev, &st), PS_ITCH_RC_EVENT);
	assert_int_equal(ev.status, PS_MD_STATUS_HALTED);
	in[19] = 'P';
	assert_int_equal(ps_itch_decode(in, 25, &ev, &st), PS_ITCH_RC_EVENT);
	assert_int_equal(ev.status, PS_MD_STATUS_PAUSED);
	in[19] = 'Q';
	assert_int_equal(ps_itch_decode(in, 25, &ev, &st), PS_ITCH_RC_EVENT);
	assert_int_equal(ev.status, PS_MD_STATUS_QUOTATION);
	in[19] = 'T';
	assert_int_equal(ps_itch_decode(in, 25, &ev, &st), PS_ITCH_RC_EVENT);
	assert_int_equal(ev.status, PS_MD_STATUS_TRADING);
	in[19] = '?';
	assert_int_equal(ps_itch_decode(in, 25, &ev, &st), PS_ITCH_RC_NONE);
	random_msg(in, 'h');
	in[19] = 'Q';
	in[20] = 'H';
	assert_int_equal(ps_itch_decode(in, 21, &ev, &st), PS_ITCH_RC_EVENT);
	assert_int_equal(ev.status, PS_MD_STATUS_HALTED);
	in[19] = 'B';
	assert_int_equal(ps_itch_decode(in, 21, &ev, &st), PS_ITCH_RC_NONE);
	assert_int_equal(st.type_count['H'], 5);
	assert_int_equal(st.type_count['h'], 2);
}

static void test_itch_rejects_bad_lengths_and_types(void **state)
{
	uint8_t in[64];
	struct ps_md_event ev;
	struct ps_itch_stats st;
	struct ps_itch_msg m;

	(void)state;
	ps_itch_stats_reset(&st);
	for (size_t i = 0; all_types[i]; i++) {
		size_t len = random_msg(in, all_types[i]);

		assert_int_equal(ps_itch_decode(in, len - 1, &ev, &st), PS_ITCH_RC_TRUNCATED);
		assert_int_equal(ps_itch_decode(in, len + 1, &ev, &st), PS_ITCH_RC_BADLEN);
		assert_int_equal(ps_itch_msg_decode(&m, in, len - 1), PS_ETRUNCATED);
		assert_int_equal(ps_itch_msg_decode(&m, in, len + 1), PS_EBADLEN);
	}
	in[0] = 'z';
	assert_int_equal(ps_itch_decode(in, 36, &ev, &st), PS_ITCH_RC_UNKNOWN);
	assert_int_equal(ps_itch_msg_decode(&m, in, 36), PS_EUNKNOWN_MSG);
	assert_int_equal(ps_itch_decode(in, 0, &ev, &st), PS_ITCH_RC_TRUNCATED);
	assert_int_equal(ps_itch_msg_decode(&m, in, 0), PS_ETRUNCATED);
	m.type = 'z';
	assert_int_equal(ps_itch_msg_encode(in, sizeof(in), &m), PS_EUNKNOWN_MSG);
	assert_int_equal(st.truncated, strlen(all_types) + 1);
	assert_int_equal(st.badlen, strlen(all_types));
	assert_int_equal(st.unknown, 1);
	assert_int_equal(ps_itch_stats_messages(&st), 0);
}

/* Each message placed so its last byte is the last byte before a PROT_NONE
 * page; every truncation length is decoded. An over-read faults. */
static void test_itch_decoder_never_reads_past_the_end(void **state)
{
	long pg = sysconf(_SC_PAGESIZE);
	uint8_t *mem =
	    mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *end;
	struct ps_itch_stats st;

	(void)state;
	assert_true(mem != MAP_FAILED);
	assert_int_equal(mprotect(mem + pg, (size_t)pg, PROT_NONE), 0);
	end = mem + pg;
	ps_itch_stats_reset(&st);
	for (size_t i = 0; all_types[i]; i++) {
		uint8_t in[64];
		size_t len = random_msg(in, all_types[i]);

		for (size_t l = 0; l <= len; l++) {
			struct ps_md_event ev;
			struct ps_itch_msg m;
			uint8_t *p = end - l;
			int rc;

			memcpy(p, in, l);
			rc = ps_itch_decode(p, l, &ev, &st);
			if (l < len)
				assert_int_equal(rc, PS_ITCH_RC_TRUNCATED);
			else
				assert_true(rc >= 0);
			rc = ps_itch_msg_decode(&m, p, l);
			assert_int_equal(rc, l < len ? PS_ETRUNCATED : 0);
		}
		/* The same through BinaryFILE framing: prefix + message cut at every length. */
		for (size_t l = 0; l <= len + 2; l++) {
			struct ps_binfile_reader r;
			uint8_t framed[66];
			const uint8_t *msg;
			size_t mlen;
			int rc;

			ps_store_be16(framed, (uint16_t)len);
			memcpy(framed + 2, in, len);
			memcpy(end - l, framed, l);
			ps_binfile_reader_init_mem(&r, end - l, l);
			rc = ps_binfile_next(&r, &msg, &mlen);
			if (l == 0)
				assert_int_equal(rc, 0);
			else if (l < len + 2)
				assert_int_equal(rc, PS_ETRUNCATED);
			else
				assert_int_equal(rc, 1);
		}
	}
	munmap(mem, (size_t)pg * 2);
}

static uint64_t decode_file(const char *name, struct ps_itch_stats *st, uint32_t *locates,
			    uint64_t *n_locates)
{
	char path[4096];
	struct ps_binfile_reader r;
	const uint8_t *msg;
	size_t len;
	uint64_t last_ts = 0, events = 0;
	int rc;

	snprintf(path, sizeof(path), "%s/feeds/data/itch50/%s", PS_SOURCE_DIR, name);
	if (ps_binfile_reader_open(&r, path) != 0) {
		print_message("missing %s\n", path);
		exit(77);
	}
	ps_itch_stats_reset(st);
	*n_locates = 0;
	while ((rc = ps_binfile_next(&r, &msg, &len)) == 1) {
		struct ps_md_event ev;
		struct ps_itch_msg m;
		uint16_t loc;
		bool seen = false;

		rc = ps_itch_decode(msg, len, &ev, st);
		assert_true(rc >= 0);
		events += rc == PS_ITCH_RC_EVENT;
		assert_int_equal(ps_itch_msg_decode(&m, msg, len), 0);
		assert_true(m.timestamp >= last_ts);
		last_ts = m.timestamp;
		loc = m.stock_locate;
		for (uint64_t i = 0; i < *n_locates; i++)
			seen |= locates[i] == loc;
		if (!seen)
			locates[(*n_locates)++] = loc;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(r.off, r.len);
	ps_binfile_reader_close(&r);
	return events;
}

static void test_itch_snippet_decodes_with_readme_counts(void **state)
{
	static uint32_t locates[70000];
	struct ps_itch_stats st;
	uint64_t n;

	(void)state;
	uint64_t events = decode_file("12302019_SNIPPET.NASDAQ_ITCH50", &st, locates, &n);

	assert_int_equal(st.type_count['A'], 367);
	assert_int_equal(st.type_count['U'], 225);
	assert_int_equal(st.type_count['F'], 193);
	assert_int_equal(st.type_count['D'], 167);
	assert_int_equal(st.type_count['E'], 28);
	assert_int_equal(st.type_count['X'], 6);
	assert_int_equal(st.type_count['I'], 4);
	assert_int_equal(st.type_count['P'], 4);
	assert_int_equal(st.type_count['Q'], 4);
	assert_int_equal(st.type_count['S'], 1);
	assert_int_equal(st.type_count['C'], 1);
	assert_int_equal(ps_itch_stats_messages(&st), 1000);
	assert_int_equal(st.truncated + st.badlen + st.unknown, 0);
	assert_int_equal(n, 322);
	/* every message but S and I is a book event */
	assert_int_equal(events, 1000 - 1 - 4);
}

static void test_itch_start_of_day_decodes_with_readme_counts(void **state)
{
	static uint32_t locates[70000];
	struct ps_itch_stats st;
	uint64_t n;

	(void)state;
	decode_file("start_of_day_sample.NASDAQ_ITCH50", &st, locates, &n);
	assert_int_equal(st.type_count['S'], 1);
	assert_int_equal(st.type_count['R'], 993);
	assert_int_equal(st.type_count['H'], 3);
	assert_int_equal(st.type_count['Y'], 3);
	assert_int_equal(ps_itch_stats_messages(&st), 1000);
	assert_int_equal(n, 994); /* 993 stocks + locate 0 of the system event */
}

/* JSON of real messages, expected values read independently from the raw
 * bytes with python3 struct (offsets of the specification). */
static void test_itch_json_of_known_real_messages(void **state)
{
	static const struct {
		const char *file;
		int index;
		const char *json;
	} cases[] = {
		{ "12302019_SNIPPET.NASDAQ_ITCH50", 5,
		  "{\"type\":\"A\",\"stock_locate\":8381,\"tracking_number\":0,\"timestamp\":"
		  "34200000092539,\"order_reference_number\":9899132,\"buy_sell_indicator\":\"B\","
		  "\"shares\":100,\"stock\":\"VIXM\",\"price\":213300}" },
		{ "12302019_SNIPPET.NASDAQ_ITCH50", 7,
		  "{\"type\":\"F\",\"stock_locate\":6148,\"tracking_number\":0,\"timestamp\":"
		  "34200000096611,\"order_reference_number\":7508039,\"buy_sell_indicator\":\"B\","
		  "\"shares\":100,\"stock\":\"PGF\",\"price\":183000,\"attribution\":\"FLTG\"}" },
		{ "12302019_SNIPPET.NASDAQ_ITCH50", 308,
		  "{\"type\":\"Q\",\"stock_locate\":3672,\"tracking_number\":2,\"timestamp\":"
		  "34200000995068,\"shares\":6185,\"stock\":\"HDS\",\"cross_price\":404300,"
		  "\"match_number\":53497,\"cross_type\":\"O\"}" },
		{ "12302019_SNIPPET.NASDAQ_ITCH50", 4,
		  "{\"type\":\"U\",\"stock_locate\":4436,\"tracking_number\":0,\"timestamp\":"
		  "34200000091476,\"original_order_reference_number\":5588594,"
		  "\"new_order_reference_number\":5676634,\"shares\":1000,\"price\":1865100}" },
		{ "start_of_day_sample.NASDAQ_ITCH50", 81,
		  "{\"type\":\"H\",\"stock_locate\":1,\"tracking_number\":0,\"timestamp\":"
		  "11354328694637,\"stock\":\"A\",\"trading_state\":\"T\",\"reserved\":\"\","
		  "\"reason\":\"\"}" },
	};

	(void)state;
	for (size_t c = 0; c < PS_ARRAY_SIZE(cases); c++) {
		char path[4096], out[1024];
		struct ps_binfile_reader r;
		struct ps_itch_msg m;
		const uint8_t *msg = NULL;
		size_t len = 0;
		FILE *f;

		snprintf(path, sizeof(path), "%s/feeds/data/itch50/%s", PS_SOURCE_DIR,
			 cases[c].file);
		assert_int_equal(ps_binfile_reader_open(&r, path), 0);
		for (int i = 0; i <= cases[c].index; i++)
			assert_int_equal(ps_binfile_next(&r, &msg, &len), 1);
		assert_int_equal(ps_itch_msg_decode(&m, msg, len), 0);
		memset(out, 0, sizeof(out));
		f = fmemopen(out, sizeof(out) - 1, "w");
		assert_non_null(f);
		assert_int_equal(ps_itch_msg_print_json(f, &m), 0);
		fclose(f);
		assert_string_equal(out, cases[c].json);
		ps_binfile_reader_close(&r);
	}
}

/* The perseus binary, when built: itch-dump prints the same JSON, and a
 * truncated file fails with exit 1 naming the offset after printing what
 * was complete. */
static void test_itch_dump_cli(void **state)
{
	char bin[2048], cmd[8192], line[4096], cut[2048];
	FILE *p, *in, *out;
	char buf[35000];
	int n = 0, status;

	(void)state;
	snprintf(bin, sizeof(bin), "%s/perseus", PS_BINARY_DIR);
	if (access(bin, X_OK) != 0) {
		skip();
		return;
	}
	snprintf(cmd, sizeof(cmd),
		 "%s itch-dump %s/feeds/data/itch50/12302019_SNIPPET.NASDAQ_ITCH50", bin,
		 PS_SOURCE_DIR);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		if (n == 5)
			assert_string_equal(
			    line, "{\"type\":\"A\",\"stock_locate\":8381,\"tracking_number\":0,"
				  "\"timestamp\":34200000092539,\"order_reference_number\":9899132,"
				  "\"buy_sell_indicator\":\"B\",\"shares\":100,\"stock\":\"VIXM\","
				  "\"price\":213300}\n");
		n++;
	}
	assert_int_equal(pclose(p), 0);
	assert_int_equal(n, 1000);

	/* the first 35,000 of 35,570 bytes: the record at 34,990 is cut */
	snprintf(cut, sizeof(cut), "%s/test_itch_cut.%d.itch", PS_BINARY_DIR, (int)getpid());
	snprintf(cmd, sizeof(cmd), "%s/feeds/data/itch50/12302019_SNIPPET.NASDAQ_ITCH50",
		 PS_SOURCE_DIR);
	in = fopen(cmd, "rb");
	out = fopen(cut, "wb");
	assert_non_null(in);
	assert_non_null(out);
	assert_int_equal(fread(buf, 1, sizeof(buf), in), sizeof(buf));
	assert_int_equal(fwrite(buf, 1, sizeof(buf), out), sizeof(buf));
	fclose(in);
	fclose(out);
	snprintf(cmd, sizeof(cmd), "%s itch-dump %s 2>&1 >/dev/null", bin, cut);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(line, sizeof(line), p));
	status = pclose(p);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
	assert_non_null(strstr(line, "offset 34990"));
	snprintf(cmd, sizeof(cmd), "%s itch-dump %s 2>/dev/null | wc -l", bin, cut);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(line, sizeof(line), p));
	pclose(p);
	assert_int_equal(strtol(line, NULL, 10), 984); /* complete records before the cut */
	unlink(cut);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_itch_lengths_match_the_specification),
		cmocka_unit_test(test_itch_every_type_round_trips_all_bytes),
		cmocka_unit_test(test_itch_fields_round_trip_by_name),
		cmocka_unit_test(test_itch_hot_decode_matches_full_view),
		cmocka_unit_test(test_itch_status_mapping),
		cmocka_unit_test(test_itch_rejects_bad_lengths_and_types),
		cmocka_unit_test(test_itch_decoder_never_reads_past_the_end),
		cmocka_unit_test(test_itch_snippet_decodes_with_readme_counts),
		cmocka_unit_test(test_itch_start_of_day_decodes_with_readme_counts),
		cmocka_unit_test(test_itch_json_of_known_real_messages),
		cmocka_unit_test(test_itch_dump_cli),
	};
	return cmocka_run_group_tests_name("feeds_itch", tests, NULL, NULL);
}
