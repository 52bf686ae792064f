/*
 * ps_fixed_parse on arbitrary bytes: never reads past len, and whatever it
 * accepts formats back to a string that parses to the same value.
 */
#include <ps/err.h>
#include <ps/fixed.h>

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned scale = data[0] % (PS_FIXED_MAX_SCALE + 1);
	const char *s = (const char *)data + 1;
	size_t len = size - 1;
	int64_t v, back;
	int rc = ps_fixed_parse(s, len, scale, &v);
	if (rc != 0) {
		if (rc != PS_ESYNTAX && rc != PS_EDECIMALS && rc != PS_EOVERFLOW)
			abort();
		return 0;
	}
	char buf[PS_FIXED_STR_MAX];
	int n = ps_fixed_format(v, scale, buf, sizeof(buf));
	if (n <= 0 || ps_fixed_parse(buf, (size_t)n, scale, &back) != 0 || back != v)
		abort();
	return 0;
}
