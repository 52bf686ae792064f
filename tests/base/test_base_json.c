/* ps_json_put_string: any bytes in, one valid ASCII JSON string out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include <ps/json.h>

static void expect(const char *in, size_t n, const char *want)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	ps_json_put_string(f, in, n);
	fclose(f);
	assert_string_equal(buf, want);
	free(buf);
}

static void test_base_json_plain_text_is_quoted_as_it_is(void **state)
{
	(void)state;
	expect("AMZN 2012/06", 12, "\"AMZN 2012/06\"");
	expect("", 0, "\"\"");
	expect("abc", 2, "\"ab\""); /* n bytes, not the C string */
}

static void test_base_json_quotes_backslashes_and_bytes_outside_ascii_are_escaped(void **state)
{
	(void)state;
	expect("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
	expect("\n\t\r\x01\x1f", 5, "\"\\n\\t\\r\\u0001\\u001f\"");
	expect("\x7f\x80\xff", 3, "\"\\u007f\\u0080\\u00ff\"");
	expect("x\0y", 3, "\"x\\u0000y\""); /* a NUL byte is a byte like any other */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base_json_plain_text_is_quoted_as_it_is),
		cmocka_unit_test(
		    test_base_json_quotes_backslashes_and_bytes_outside_ascii_are_escaped),
	};
	return cmocka_run_group_tests_name("base_json", tests, NULL, NULL);
}
