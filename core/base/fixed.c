#include <ps/err.h>
#include <ps/fixed.h>

#include <errno.h>
#include <string.h>

static const int64_t pow10_table[19] = {
	INT64_C(1),
	INT64_C(10),
	INT64_C(100),
	INT64_C(1000),
	INT64_C(10000),
	INT64_C(100000),
	INT64_C(1000000),
	INT64_C(10000000),
	INT64_C(100000000),
	INT64_C(1000000000),
	INT64_C(10000000000),
	INT64_C(100000000000),
	INT64_C(1000000000000),
	INT64_C(10000000000000),
	INT64_C(100000000000000),
	INT64_C(1000000000000000),
	INT64_C(10000000000000000),
	INT64_C(100000000000000000),
	INT64_C(1000000000000000000),
};

int64_t ps_fixed_pow10(unsigned scale)
{
	if (scale >= PS_ARRAY_SIZE(pow10_table))
		return -1;
	return pow10_table[scale];
}

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

int ps_fixed_parse(const char *s, size_t len, unsigned scale, int64_t *out)
{
	if (scale > PS_FIXED_MAX_SCALE || !out)
		return -EINVAL;
	if (len == 0 || !s)
		return PS_ESYNTAX;

	/* Pass 1: the grammar, over the whole string, before any arithmetic, so
	 * a malformed string is always PS_ESYNTAX whatever its magnitude. */
	size_t i = 0;
	bool neg = false;
	if (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-';
		i = 1;
	}
	size_t int_start = i;
	while (i < len && is_digit(s[i]))
		i++;
	size_t int_end = i;
	size_t frac_start = i, frac_end = i;
	if (int_end == int_start)
		return PS_ESYNTAX;
	if (i < len) {
		if (s[i] != '.')
			return PS_ESYNTAX;
		frac_start = ++i;
		while (i < len && is_digit(s[i]))
			i++;
		frac_end = i;
		if (frac_end == frac_start || i != len)
			return PS_ESYNTAX;
	}

	/* Digits past the scale must be zeros: the value stays exact. */
	size_t frac_len = frac_end - frac_start;
	for (size_t k = scale; k < frac_len; k++)
		if (s[frac_start + k] != '0')
			return PS_EDECIMALS;
	if (frac_len > scale)
		frac_len = scale;

	/* Pass 2: accumulate as a negative number so INT64_MIN is reachable:
	 * acc = -(integer digits followed by scale fraction digits). */
	int64_t acc = 0;
	for (size_t k = int_start; k < int_end; k++) {
		int d = s[k] - '0';
		if (acc < (INT64_MIN + d) / 10)
			return PS_EOVERFLOW;
		acc = acc * 10 - d;
	}
	for (size_t k = 0; k < scale; k++) {
		int d = k < frac_len ? s[frac_start + k] - '0' : 0;
		if (acc < (INT64_MIN + d) / 10)
			return PS_EOVERFLOW;
		acc = acc * 10 - d;
	}
	if (!neg) {
		if (acc == INT64_MIN)
			return PS_EOVERFLOW;
		acc = -acc;
	}
	*out = acc;
	return 0;
}

int ps_fixed_format(int64_t v, unsigned scale, char *buf, size_t buf_len)
{
	if (scale > PS_FIXED_MAX_SCALE)
		return -EINVAL;

	/* Build right to left from the magnitude (uint64 holds |INT64_MIN|). */
	char tmp[PS_FIXED_STR_MAX];
	size_t pos = sizeof(tmp);
	uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	unsigned digits = 0;

	do {
		if (scale > 0 && digits == scale)
			tmp[--pos] = '.';
		tmp[--pos] = (char)('0' + mag % 10);
		mag /= 10;
		digits++;
	} while (mag != 0 || digits <= scale);
	if (v < 0)
		tmp[--pos] = '-';

	size_t n = sizeof(tmp) - pos;
	if (!buf || n + 1 > buf_len) {
		if (buf && buf_len > 0)
			buf[0] = '\0';
		return -ENOSPC;
	}
	memcpy(buf, tmp + pos, n);
	buf[n] = '\0';
	return (int)n;
}

int ps_fixed_rescale(int64_t v, unsigned from, unsigned to, int64_t *out)
{
	if (from > PS_FIXED_MAX_SCALE || to > PS_FIXED_MAX_SCALE || !out)
		return -EINVAL;
	if (to >= from) {
		int64_t r;
		if (__builtin_mul_overflow(v, pow10_table[to - from], &r))
			return PS_EOVERFLOW;
		*out = r;
		return 0;
	}
	int64_t p = pow10_table[from - to];
	if (v % p != 0)
		return PS_EDECIMALS;
	*out = v / p;
	return 0;
}
