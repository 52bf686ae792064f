#include <ps/alloc.h>
#include <ps/err.h>
#include <ps/instrument.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static void test_instrument_symbol_pack_pads_with_spaces(void **state)
{
	(void)state;
	char s[8];
	assert_int_equal(ps_instrument_symbol_pack(s, "AAPL", 4), 0);
	assert_memory_equal(s, "AAPL    ", 8);
	assert_int_equal(ps_instrument_symbol_pack(s, "ABCDEFGH", 8), 0);
	assert_memory_equal(s, "ABCDEFGH", 8);
	assert_int_equal(ps_instrument_symbol_pack(s, "MSFT    ", 8), 0); /* ITCH field */
	assert_memory_equal(s, "MSFT    ", 8);
	assert_int_equal(ps_instrument_symbol_pack(s, "BTC-USD", 7), 0);
	assert_int_equal(ps_instrument_symbol_pack(s, "", 0), -EINVAL);
	assert_int_equal(ps_instrument_symbol_pack(s, "        ", 8), -EINVAL);
	assert_int_equal(ps_instrument_symbol_pack(s, "ABCDEFGHI", 9), -EINVAL);
	assert_int_equal(ps_instrument_symbol_pack(s, "A B", 3), -EINVAL);
	assert_int_equal(ps_instrument_symbol_pack(s, "A\n", 2), -EINVAL);
	assert_int_equal(ps_instrument_symbol_pack(s, "\xc3\xa9", 2), -EINVAL);
}

static void test_instrument_add_and_find(void **state)
{
	(void)state;
	struct ps_instrument_table t;
	void *mem = ps_alloc_aligned(64, ps_instrument_table_memsize(4));
	assert_int_equal(ps_instrument_table_init(&t, mem, 4), 0);
	uint32_t id = 99;
	assert_int_equal(ps_instrument_table_add(&t, "AAPL", 4, 100, 1, 4, &id), 0);
	assert_int_equal(id, 0);
	assert_int_equal(ps_instrument_table_add(&t, "MSFT", 4, 100, 1, 4, &id), 0);
	assert_int_equal(id, 1);
	assert_int_equal(ps_instrument_table_add(&t, "BTC-USD", 7, 1, 1000, 8, &id), 0);
	assert_int_equal(id, 2);
	assert_int_equal(ps_instrument_table_count(&t), 3);

	assert_int_equal(ps_instrument_table_find(&t, "AAPL    "), 0);
	assert_int_equal(ps_instrument_table_find(&t, "MSFT    "), 1);
	assert_int_equal(ps_instrument_table_find(&t, "BTC-USD "), 2);
	assert_int_equal(ps_instrument_table_find(&t, "GOOG    "), PS_INSTRUMENT_ID_NONE);
	assert_int_equal(ps_instrument_table_find_str(&t, "MSFT"), 1);
	assert_int_equal(ps_instrument_table_find_str(&t, "toolongsymbol"), PS_INSTRUMENT_ID_NONE);

	const struct ps_instrument *in = ps_instrument_table_get(&t, 2);
	assert_non_null(in);
	assert_int_equal(in->id, 2);
	assert_int_equal(in->price_scale, 8);
	assert_int_equal(in->tick_size, 1);
	assert_int_equal(in->lot_size, 1000);
	char buf[16];
	assert_string_equal(ps_instrument_symbol_str(in, buf, sizeof(buf)), "BTC-USD");
	assert_null(ps_instrument_table_get(&t, 3));
	assert_null(ps_instrument_table_get(&t, PS_INSTRUMENT_ID_NONE));
	ps_instrument_table_fini(&t);
	ps_free(mem);
}

static void test_instrument_add_errors(void **state)
{
	(void)state;
	struct ps_instrument_table *t;
	assert_int_equal(ps_instrument_table_create(&t, 2), 0);
	assert_int_equal(ps_instrument_table_add(t, "A", 1, 1, 1, 4, NULL), 0);
	assert_int_equal(ps_instrument_table_add(t, "A", 1, 1, 1, 4, NULL), PS_EDUPLICATE);
	assert_int_equal(ps_instrument_table_add(t, "A   ", 4, 1, 1, 4, NULL), PS_EDUPLICATE);
	assert_int_equal(ps_instrument_table_add(t, "B", 1, 0, 1, 4, NULL), -EINVAL);
	assert_int_equal(ps_instrument_table_add(t, "B", 1, 1, -1, 4, NULL), -EINVAL);
	assert_int_equal(ps_instrument_table_add(t, "B", 1, 1, 1, 10, NULL), -EINVAL);
	assert_int_equal(ps_instrument_table_add(t, "", 0, 1, 1, 4, NULL), -EINVAL);
	assert_int_equal(ps_instrument_table_add(t, "B", 1, 1, 1, 4, NULL), 0);
	assert_int_equal(ps_instrument_table_add(t, "C", 1, 1, 1, 4, NULL), PS_EFULL);
	/* Duplicate wins over full: the caller learns the real problem. */
	assert_int_equal(ps_instrument_table_add(t, "B", 1, 1, 1, 4, NULL), PS_EDUPLICATE);
	assert_int_equal(ps_instrument_table_count(t), 2);
	ps_instrument_table_destroy(t);
	ps_instrument_table_destroy(NULL);

	struct ps_instrument_table s;
	uint64_t mem[64];
	assert_int_equal(ps_instrument_table_memsize(0), 0);
	assert_int_equal(ps_instrument_table_memsize(PS_INSTRUMENT_MAX + 1), 0);
	assert_int_equal(ps_instrument_table_init(&s, mem, 0), -EINVAL);
	assert_int_equal(ps_instrument_table_init(&s, (char *)mem + 1, 1), -EINVAL);
	assert_int_equal(ps_instrument_table_init(NULL, mem, 1), -EINVAL);
	assert_int_equal(ps_instrument_table_create(&t, 0), -EINVAL);
}

/* A full table of many symbols: every one found with its id, absent ones
 * not found, and lookups allocate nothing. */
static void test_instrument_many_symbols(void **state)
{
	(void)state;
	enum { N = 10000 };
	struct ps_instrument_table *t;
	assert_int_equal(ps_instrument_table_create(&t, N), 0);
	char sym[16];
	for (uint32_t i = 0; i < N; i++) {
		int n = snprintf(sym, sizeof(sym), "S%05u", i);
		uint32_t id;
		assert_int_equal(ps_instrument_table_add(t, sym, (size_t)n, 1, 1, 4, &id), 0);
		assert_int_equal(id, i);
	}
	uint64_t before = ps_alloc_count();
	for (uint32_t i = 0; i < N; i++) {
		char key[8];
		snprintf(sym, sizeof(sym), "S%05u", i);
		ps_instrument_symbol_pack(key, sym, strlen(sym));
		assert_int_equal(ps_instrument_table_find(t, key), i);
		snprintf(sym, sizeof(sym), "X%05u", i);
		ps_instrument_symbol_pack(key, sym, strlen(sym));
		assert_int_equal(ps_instrument_table_find(t, key), PS_INSTRUMENT_ID_NONE);
	}
	assert_int_equal(ps_alloc_count(), before);
	ps_instrument_table_destroy(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_instrument_symbol_pack_pads_with_spaces),
		cmocka_unit_test(test_instrument_add_and_find),
		cmocka_unit_test(test_instrument_add_errors),
		cmocka_unit_test(test_instrument_many_symbols),
	};
	return cmocka_run_group_tests_name("base_instrument", tests, NULL, NULL);
}
