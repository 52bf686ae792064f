#include <ps/alloc.h>
#include <ps/config.h>
#include <ps/err.h>
#include <ps/fixed.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

struct fixture {
	char dir[64];
	char path[128];
	char err[1024];
	struct ps_config *c;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/ps_test_config.XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/run.ini", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	ps_config_destroy(f->c);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Write text to the fixture's file and load it; returns the load's code. */
static int load(struct fixture *f, const char *text)
{
	FILE *fp = fopen(f->path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	ps_config_destroy(f->c);
	f->c = NULL;
	f->err[0] = '\0';
	return ps_config_load(&f->c, f->path, f->err, sizeof(f->err));
}

/* err with the temp dir replaced by "DIR" so messages compare exactly. */
static const char *msg(struct fixture *f)
{
	static char out[1024];
	size_t dl = strlen(f->dir), o = 0;
	for (const char *p = f->err; *p && o + 1 < sizeof(out);) {
		if (strncmp(p, f->dir, dl) == 0) {
			o += (size_t)snprintf(out + o, sizeof(out) - o, "DIR");
			p += dl;
		} else {
			out[o++] = *p++;
		}
	}
	out[o] = '\0';
	return out;
}

static const char sample[] = "; Perseus run config\n"
			     "[engine]\n"
			     "name = demo\n"
			     "log_level = info\n"
			     "\n"
			     "[thread.md]\n"
			     "cpu = 1\n"
			     "idle = spin\n"
			     "priority = 50 ; inline comment\n"
			     "\n"
			     "[thread.cold]\n"
			     "\n"
			     "[risk]\n"
			     "max_notional = 1000000.50\n"
			     "kill = yes\n"
			     "ratio = 0.25\n"
			     "cpus = 0-2,5\n"
			     "  indented = 7\n"
			     "[risk.AAPL]\n"
			     "max_qty = 0x100\n";

static void test_config_typed_getters(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(load(f, sample), 0);
	struct ps_config *c = f->c;
	const char *s;
	int64_t i;
	uint64_t u;
	bool b;
	double d;
	int e;
	char *err = f->err;
	size_t el = sizeof(f->err);

	assert_int_equal(ps_config_get_str(c, "engine", "name", "x", &s, err, el), 0);
	assert_string_equal(s, "demo");
	assert_int_equal(ps_config_get_str(c, "engine", "missing", "dflt", &s, err, el), 0);
	assert_string_equal(s, "dflt");
	static const char *const levels[] = { "debug", "info", "warn", NULL };
	assert_int_equal(ps_config_get_enum(c, "engine", "log_level", levels, 0, &e, err, el), 0);
	assert_int_equal(e, 1);
	assert_int_equal(ps_config_get_int(c, "thread.md", "cpu", -1, 0, 1023, &i, err, el), 0);
	assert_int_equal(i, 1);
	assert_int_equal(ps_config_get_int(c, "thread.md", "priority", 0, 0, 99, &i, err, el), 0);
	assert_int_equal(i, 50);
	assert_int_equal(ps_config_get_str(c, "thread.md", "idle", "park", &s, err, el), 0);
	assert_string_equal(s, "spin");
	assert_int_equal(ps_config_get_int(c, "thread.cold", "cpu", -1, -1, 1023, &i, err, el), 0);
	assert_int_equal(i, -1);
	assert_int_equal(ps_config_get_fixed(c, "risk", "max_notional", 0, 4, &i, err, el), 0);
	assert_int_equal(i, 10000005000);
	assert_int_equal(ps_config_get_bool(c, "risk", "kill", false, &b, err, el), 0);
	assert_true(b);
	assert_int_equal(ps_config_get_double(c, "risk", "ratio", 1.0, 0.0, 1.0, &d, err, el), 0);
	assert_true(d == 0.25);
	int cpus[8];
	uint32_t n = 0;
	assert_int_equal(ps_config_get_cpulist(c, "risk", "cpus", "", cpus, 8, &n, err, el), 0);
	assert_int_equal(n, 4);
	assert_int_equal(cpus[0], 0);
	assert_int_equal(cpus[2], 2);
	assert_int_equal(cpus[3], 5);
	/* An indented line is an ordinary key, not a continuation. */
	assert_int_equal(ps_config_get_int(c, "risk", "indented", 0, 0, 10, &i, err, el), 0);
	assert_int_equal(i, 7);
	assert_int_equal(ps_config_get_uint(c, "risk.AAPL", "max_qty", 0, 1000, &u, err, el), 0);
	assert_int_equal(u, 256);
	assert_int_equal(ps_config_line(c, "risk.AAPL", "max_qty"), 20);
	assert_int_equal(ps_config_section_line(c, "thread.cold"), 11);
	assert_int_equal(ps_config_get_cpulist(c, "risk", "nope", "3", cpus, 8, &n, err, el), 0);
	assert_int_equal(n, 1);
	assert_int_equal(cpus[0], 3);
	assert_int_equal(ps_config_check_unused(c, err, el), 0);
	assert_string_equal(ps_config_path(c), f->path);
}

static void test_config_sections_enumerate_with_suffix(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(load(f, sample), 0);
	struct ps_config_iter it = { 0 };
	const char *name, *got[3] = { NULL, NULL, NULL };
	int k = 0;
	while ((name = ps_config_section_next(f->c, "thread.*", &it)) != NULL && k < 3)
		got[k++] = name;
	assert_non_null(got[0]);
	assert_non_null(got[1]);
	assert_string_equal(got[0], "thread.md");
	assert_string_equal(got[1], "thread.cold");
	assert_int_equal(k, 2); /* [thread.cold] has no keys and still counts */
	assert_string_equal(ps_config_section_suffix("thread.md"), "md");
	assert_string_equal(ps_config_section_suffix("engine"), "");
	it.pos = 0;
	k = 0;
	while (ps_config_section_next(f->c, NULL, &it))
		k++;
	assert_int_equal(k, 5);
	assert_true(ps_config_has_section(f->c, "thread.cold"));
	assert_false(ps_config_has_section(f->c, "thread"));
	assert_true(ps_config_pattern_match("risk.*", "risk.AAPL"));
	assert_false(ps_config_pattern_match("risk.*", "risk"));
	assert_false(ps_config_pattern_match("risk.*", "risk."));
	assert_false(ps_config_pattern_match("risk", "risk.AAPL"));
}

static void test_config_schema_reports_unknown_key_and_section(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(load(f, "[engine]\n"
				 "name = x\n"
				 "cpus = 3\n"
				 "[thread.md]\n"
				 "cpu = 1\n"
				 "[egnine]\n"
				 "name = y\n"),
			 0);
	static const char *const engine_keys[] = { "name", "log_level", NULL };
	static const char *const thread_keys[] = { "cpu", "idle", "priority", "stages", NULL };
	static const struct ps_config_schema schema[] = {
		{ "engine", engine_keys },
		{ "thread.*", thread_keys },
		{ "strategy.*", NULL },
	};
	assert_int_equal(ps_config_check(f->c, schema, 3, f->err, sizeof(f->err)), PS_ECONFIG);
	assert_string_equal(
	    msg(f), "DIR/run.ini:6: unknown section [egnine] (accepted: engine, thread.*, "
		    "strategy.*)\n"
		    "DIR/run.ini:3: [engine] unknown key 'cpus' (accepted: name, log_level)");

	assert_int_equal(load(f, "[engine]\nname = x\n[strategy.mm]\nanything = 1\n"), 0);
	assert_int_equal(ps_config_check(f->c, schema, 3, f->err, sizeof(f->err)), 0);
	assert_string_equal(f->err, "");
}

static void test_config_unused_key_reported(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(load(f, "[engine]\nname = x\ntypo = 1\n"), 0);
	const char *s;
	assert_int_equal(ps_config_get_str(f->c, "engine", "name", "", &s, NULL, 0), 0);
	assert_int_equal(ps_config_check_unused(f->c, f->err, sizeof(f->err)), PS_ECONFIG);
	assert_string_equal(msg(f), "DIR/run.ini:3: [engine] unknown key 'typo'");
}

static void test_config_bad_values_name_file_line_key(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(load(f, "[thread.md]\n"
				 "cpu = abc\n"
				 "priority = 120\n"
				 "spin = maybe\n"
				 "ratio = 1.5\n"
				 "price = 1.23456\n"
				 "idle = busy\n"
				 "cpus = 3-1\n"
				 "count = -1\n"
				 "big = 99999999999999999999\n"),
			 0);
	struct ps_config *c = f->c;
	char *err = f->err;
	size_t el = sizeof(f->err);
	int64_t i = 77;
	uint64_t u;
	bool b;
	double d;
	int e, cpus[4];
	uint32_t n;

	assert_int_equal(ps_config_get_int(c, "thread.md", "cpu", 0, 0, 1023, &i, err, el),
			 PS_ECONFIG);
	assert_string_equal(msg(f), "DIR/run.ini:2: [thread.md] cpu = abc: expected an integer "
				    "in [0, 1023]");
	char small[5];
	assert_int_equal(
	    ps_config_get_strbuf(c, "thread.md", "idle", "", small, sizeof(small), err, el), 0);
	assert_string_equal(small, "busy");
	assert_int_equal(ps_config_get_strbuf(c, "thread.md", "ratio", "", small, 3, err, el),
			 PS_ECONFIG);
	assert_string_equal(msg(f), "DIR/run.ini:5: [thread.md] ratio = 1.5: expected at most 2 "
				    "characters");
	assert_int_equal(
	    ps_config_get_strbuf(c, "thread.md", "absent", "dflt", small, sizeof(small), err, el),
	    0);
	assert_string_equal(small, "dflt");
	assert_int_equal(i, 77);
	assert_int_equal(ps_config_get_int(c, "thread.md", "priority", 0, 0, 99, &i, err, el),
			 PS_ECONFIG);
	assert_string_equal(msg(f), "DIR/run.ini:3: [thread.md] priority = 120: expected an "
				    "integer in [0, 99]");
	assert_int_equal(ps_config_get_bool(c, "thread.md", "spin", false, &b, err, el),
			 PS_ECONFIG);
	assert_string_equal(msg(f), "DIR/run.ini:4: [thread.md] spin = maybe: expected a boolean "
				    "(true/false, yes/no, on/off, 1/0)");
	assert_int_equal(ps_config_get_double(c, "thread.md", "ratio", 0, 0, 1, &d, err, el),
			 PS_ECONFIG);
	assert_string_equal(msg(f),
			    "DIR/run.ini:5: [thread.md] ratio = 1.5: expected a number in [0, 1]");
	assert_int_equal(ps_config_get_fixed(c, "thread.md", "price", 0, 4, &i, err, el),
			 PS_ECONFIG);
	assert_string_equal(msg(f), "DIR/run.ini:6: [thread.md] price = 1.23456: expected a "
				    "decimal number with at most 4 decimals");
	static const char *const idles[] = { "spin", "yield", "park", NULL };
	assert_int_equal(ps_config_get_enum(c, "thread.md", "idle", idles, 0, &e, err, el),
			 PS_ECONFIG);
	assert_string_equal(msg(f), "DIR/run.ini:7: [thread.md] idle = busy: expected one of: "
				    "spin, yield, park");
	assert_int_equal(ps_config_get_cpulist(c, "thread.md", "cpus", "", cpus, 4, &n, err, el),
			 PS_ECONFIG);
	assert_string_equal(msg(f), "DIR/run.ini:8: [thread.md] cpus = 3-1: expected ranges "
				    "written low-high (like 0-3)");
	assert_int_equal(ps_config_get_uint(c, "thread.md", "count", 0, 100, &u, err, el),
			 PS_ECONFIG);
	assert_string_equal(msg(f), "DIR/run.ini:9: [thread.md] count = -1: expected an unsigned "
				    "integer in [0, 100]");
	assert_int_equal(
	    ps_config_get_int(c, "thread.md", "big", 0, INT64_MIN, INT64_MAX, &i, err, el),
	    PS_ECONFIG);
	assert_non_null(strstr(err, ":10: [thread.md] big = 99999999999999999999: expected"));
}

static void test_config_cpulist_errors(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(load(f, "[t]\na = 0-9\nb = 1,1\nc = 2048\nd = 1,,2\ne = x\n"), 0);
	int cpus[4];
	uint32_t n;
	char *err = f->err;
	size_t el = sizeof(f->err);
	assert_int_equal(ps_config_get_cpulist(f->c, "t", "a", "", cpus, 4, &n, err, el),
			 PS_ECONFIG);
	assert_non_null(strstr(err, "expected at most 4 CPUs"));
	assert_int_equal(ps_config_get_cpulist(f->c, "t", "b", "", cpus, 4, &n, err, el),
			 PS_ECONFIG);
	assert_non_null(strstr(err, "expected each CPU listed once"));
	assert_int_equal(ps_config_get_cpulist(f->c, "t", "c", "", cpus, 4, &n, err, el),
			 PS_ECONFIG);
	assert_non_null(strstr(err, "expected CPU numbers in [0, 1023]"));
	assert_int_equal(ps_config_get_cpulist(f->c, "t", "d", "", cpus, 4, &n, err, el),
			 PS_ECONFIG);
	assert_int_equal(ps_config_get_cpulist(f->c, "t", "e", "", cpus, 4, &n, err, el),
			 PS_ECONFIG);
	assert_int_equal(ps_config_get_cpulist(f->c, "t", "zz", "", cpus, 4, &n, err, el), 0);
	assert_int_equal(n, 0);
}

static void test_config_missing_file(void **state)
{
	struct fixture *f = *state;
	struct ps_config *c = (struct ps_config *)1;
	char path[160];
	snprintf(path, sizeof(path), "%s/nope.ini", f->dir);
	assert_int_equal(ps_config_load(&c, path, f->err, sizeof(f->err)), -ENOENT);
	assert_null(c);
	assert_string_equal(msg(f), "DIR/nope.ini: cannot open: No such file or directory");
}

static void test_config_syntax_error_names_line(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(load(f, "[engine]\nname = x\n\n; fine\nthis is not ini\nlast = 1\n"),
			 PS_ESYNTAX);
	assert_null(f->c);
	assert_string_equal(msg(f), "DIR/run.ini:5: syntax error: 'this is not ini' (expected "
				    "[section], key = value or a comment)");
	assert_int_equal(load(f, "[engine\nname = x\n"), PS_ESYNTAX);
	assert_non_null(strstr(msg(f), "DIR/run.ini:1: syntax error: '[engine'"));
}

static void test_config_duplicate_key_is_error(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(load(f, "[engine]\nname = x\n[risk]\n[engine]\nname = y\n"), PS_ESYNTAX);
	assert_string_equal(msg(f), "DIR/run.ini:5: [engine] name: duplicate key (first set at "
				    "line 2)");
	/* A section opened twice merges. */
	assert_int_equal(load(f, "[engine]\na = 1\n[risk]\n[engine]\nb = 2\n"), 0);
	assert_true(ps_config_has(f->c, "engine", "a"));
	assert_true(ps_config_has(f->c, "engine", "b"));
}

static void test_config_long_line_is_error(void **state)
{
	struct fixture *f = *state;
	char text[600];
	int n = snprintf(text, sizeof(text), "[engine]\nname = ");
	memset(text + n, 'x', 300);
	snprintf(text + n + 300, sizeof(text) - (size_t)n - 300, "\nok = 1\n");
	assert_int_equal(load(f, text), PS_ESYNTAX);
	assert_non_null(strstr(msg(f), "DIR/run.ini:2: line too long (307 characters; max "));
	/* The longest accepted line loads. */
	n = snprintf(text, sizeof(text), "[e]\nk = ");
	memset(text + n, 'y', PS_CONFIG_LINE_MAX - 4);
	snprintf(text + n + PS_CONFIG_LINE_MAX - 4, 16, "\n");
	assert_int_equal(load(f, text), 0);
}

static void test_config_load_string_and_crlf(void **state)
{
	(void)state;
	struct ps_config *c = NULL;
	char err[256];
	assert_int_equal(ps_config_load_string(&c, "[a]\r\nx = 1\r\n", "mem", err, sizeof(err)), 0);
	int64_t v;
	assert_int_equal(ps_config_get_int(c, "a", "x", 0, 0, 9, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 1);
	ps_config_destroy(c);
	ps_config_destroy(NULL);
	assert_int_equal(ps_config_load_string(&c, "x = 1\n", "mem", err, sizeof(err)), 0);
	static const struct ps_config_schema schema[] = { { "a", NULL } };
	assert_int_equal(ps_config_check(c, schema, 1, err, sizeof(err)), PS_ECONFIG);
	assert_string_equal(err, "mem:1: unknown section [] (accepted: a)");
	ps_config_destroy(c);
}

static void test_config_frees_everything(void **state)
{
	struct fixture *f = *state;
	uint64_t a0 = ps_alloc_count(), f0 = ps_free_count();
	assert_int_equal(load(f, sample), 0);
	ps_config_destroy(f->c);
	f->c = NULL;
	assert_int_equal(load(f, "[x]\nbad line\n"), PS_ESYNTAX);
	assert_int_equal(ps_alloc_count() - a0, ps_free_count() - f0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_config_typed_getters),
		T(test_config_sections_enumerate_with_suffix),
		T(test_config_schema_reports_unknown_key_and_section),
		T(test_config_unused_key_reported),
		T(test_config_bad_values_name_file_line_key),
		T(test_config_cpulist_errors),
		T(test_config_missing_file),
		T(test_config_syntax_error_names_line),
		T(test_config_duplicate_key_is_error),
		T(test_config_long_line_is_error),
		cmocka_unit_test(test_config_load_string_and_crlf),
		T(test_config_frees_everything),
	};
#undef T
	return cmocka_run_group_tests_name("base_config", tests, NULL, NULL);
}
