/* [venue.NAME] of perseus run: protocol = ouch | fix, the FIX session keys,
 * and errors that name the file, the line and the key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <ps/config.h>
#include <ps/err.h>

#include "engine_internal.h"

#define HEAD "[engine]\nmode = paper\n[feed.f]\nlisten = 127.0.0.1:26400\n[venue.v]\n"

static struct eng_cfg cfg;
static char err[512];

static int load(const char *text)
{
	struct ps_config *c;
	err[0] = '\0';
	assert_int_equal(ps_config_load_string(&c, text, "run.ini", err, sizeof(err)), 0);
	int rc = eng_config_read(&cfg, c, err, sizeof(err));
	ps_config_destroy(c);
	return rc;
}

static int setup(void **state)
{
	(void)state;
	setenv("PS_TEST_VENUE_PW", "s3cret", 1);
	unsetenv("PS_TEST_NO_PW");
	return 0;
}

static void test_venue_config_ouch_is_the_default(void **state)
{
	(void)state;
	assert_int_equal(load(HEAD "user = u1\npassword_env = PS_TEST_VENUE_PW\n"), 0);
	assert_int_equal(cfg.venue.protocol, ENG_PROTO_OUCH);
	assert_string_equal(cfg.venue.password, "s3cret");
	assert_string_equal(cfg.venue.firm, "PRSS");
}

static void test_venue_config_fix_keys(void **state)
{
	(void)state;
	assert_int_equal(load(HEAD "protocol = fix\nuser = u1\npassword_env = PS_TEST_VENUE_PW\n"
				   "target_comp_id = NSDQ\nheartbeat_s = 2\n"),
			 0);
	assert_int_equal(cfg.venue.protocol, ENG_PROTO_FIX);
	assert_string_equal(cfg.venue.sender_comp_id, "u1"); /* defaults to user */
	assert_string_equal(cfg.venue.target_comp_id, "NSDQ");
	assert_string_equal(cfg.venue.fix_password, "s3cret");
	assert_int_equal(cfg.venue.heartbeat_s, 2);
	assert_int_equal(cfg.venue.fix_store_count, 8192);
	assert_int_equal(load(HEAD "protocol = fix\nuser = u1\nsender_comp_id = DESK-7\n"
				   "password_env = PS_TEST_VENUE_PW\n"),
			 0);
	assert_string_equal(cfg.venue.sender_comp_id, "DESK-7");
	assert_string_equal(cfg.venue.target_comp_id, "PERSEUS");
	assert_int_equal(cfg.venue.heartbeat_s, 5);
}

static void test_venue_config_errors_name_file_line_key(void **state)
{
	(void)state;
	assert_int_equal(load(HEAD "protocol = fixt\nuser = u1\npassword_env = PS_TEST_VENUE_PW\n"),
			 PS_ECONFIG);
	assert_non_null(strstr(err, "run.ini:6: [venue.v] protocol: expected ouch or fix"));

	assert_int_equal(load(HEAD "protocol = fix\nuser = u1\nfirm = ABCD\n"
				   "password_env = PS_TEST_VENUE_PW\n"),
			 PS_ECONFIG);
	assert_non_null(strstr(err, "run.ini:8: [venue.v] firm: only for protocol = ouch"));

	assert_int_equal(
	    load(HEAD "user = u1\ntarget_comp_id = X\npassword_env = PS_TEST_VENUE_PW\n"),
	    PS_ECONFIG);
	assert_non_null(
	    strstr(err, "run.ini:7: [venue.v] target_comp_id: only for protocol = fix"));

	assert_int_equal(load(HEAD "protocol = fix\nuser = u1\ntarget_comp_id = A=B\n"
				   "password_env = PS_TEST_VENUE_PW\n"),
			 PS_ECONFIG);
	assert_non_null(strstr(err, "run.ini:8: [venue.v] target_comp_id: 1-32 printable"));

	assert_int_equal(load(HEAD "protocol = fix\nuser = u1\nresend_store = 1000\n"
				   "password_env = PS_TEST_VENUE_PW\n"),
			 PS_ECONFIG);
	assert_non_null(strstr(err, "run.ini:8: [venue.v] resend_store: a power of two"));

	assert_int_equal(load(HEAD "protocol = fix\nuser = u1\nheartbeat_ms = 500\n"
				   "password_env = PS_TEST_VENUE_PW\n"),
			 PS_ECONFIG);
	assert_non_null(strstr(err, "run.ini:8: [venue.v] heartbeat_ms: only for protocol = ouch"));

	assert_int_equal(load(HEAD "protocol = fix\nuser = u1\npassword_env = PS_TEST_NO_PW\n"),
			 PS_ECONFIG);
	assert_non_null(strstr(err, "set the environment variable PS_TEST_NO_PW"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_venue_config_ouch_is_the_default, setup),
		cmocka_unit_test_setup(test_venue_config_fix_keys, setup),
		cmocka_unit_test_setup(test_venue_config_errors_name_file_line_key, setup),
	};
	return cmocka_run_group_tests_name("engine_venue_config", tests, NULL, NULL);
}
