/*
 * Fixed-point prices and quantities: int64 with a per-instrument decimal
 * scale (ITCH: 4 decimals; crypto: up to 8). Never double in anything that is
 * compared or summed.
 *
 * A value v at scale s means v / 10^s. All functions here are cold path
 * (config, CLI, text feeds at setup); they are pure and thread-safe.
 *
 * Accepted text (ps_fixed_parse), decided once for every caller:
 *   [+|-] DIGITS [ . DIGITS ]
 * - at least one integer digit and, when a '.' is present, at least one
 *   fraction digit: "", "-", "1.", ".5" are PS_ESYNTAX;
 * - no exponent ("1e3"), no spaces anywhere (trim before calling), no
 *   thousands separators, no "inf"/"nan": all PS_ESYNTAX;
 * - leading zeros are fine ("007.50");
 * - fraction digits beyond `scale` are accepted only when they are all zero
 *   ("1.2500" at scale 2 is 125): the value is exact. A non-zero digit past
 *   the scale is PS_EDECIMALS (we never round silently);
 * - "-0" and "-0.00" parse to 0.
 * Error precedence: PS_ESYNTAX (checked over the whole string first), then
 * PS_EDECIMALS, then PS_EOVERFLOW.
 */
#ifndef PS_FIXED_H
#define PS_FIXED_H

#include <ps/common.h>

/* Largest scale ps_fixed_parse/format/rescale accept. */
#define PS_FIXED_MAX_SCALE 9

/* Enough for any int64 at any scale: sign, 19 digits, '.', leading "0", NUL. */
#define PS_FIXED_STR_MAX 32

/* 10^scale for scale 0..18; -1 when scale > 18. */
PS_API int64_t ps_fixed_pow10(unsigned scale);

/**
 * Parse a decimal string ("123", "-12.5", "0.0001") into fixed point with
 * `scale` decimals. The whole of s[0..len) must be the number (see the
 * grammar above); s need not be NUL-terminated.
 * @param s      text, not NULL unless len is 0
 * @param len    bytes of s to parse
 * @param scale  decimals of the result, 0..PS_FIXED_MAX_SCALE
 * @param out    receives the value; untouched on error
 * @return 0 on success;
 *   PS_ESYNTAX   not a number in the grammar above (includes empty);
 *   PS_EDECIMALS a non-zero digit past `scale` decimals;
 *   PS_EOVERFLOW the value does not fit int64 at this scale;
 *   -EINVAL      scale > PS_FIXED_MAX_SCALE or out is NULL.
 * (The PS_E* codes are already negative.)
 */
PS_API int ps_fixed_parse(const char *s, size_t len, unsigned scale, int64_t *out);

/**
 * Format v with `scale` decimals into buf (always NUL-terminated on success,
 * trailing zeros kept so the scale is visible: 12500 at scale 4 is "1.2500";
 * scale 0 prints no '.'). Cold path.
 * @return characters written (without NUL); -ENOSPC when buf_len is too
 *   small (buf holds "" then, if buf_len > 0); -EINVAL when scale > PS_FIXED_MAX_SCALE.
 */
PS_API int ps_fixed_format(int64_t v, unsigned scale, char *buf, size_t buf_len);

/**
 * Convert v from `from` decimals to `to` decimals, exactly.
 * @return 0; PS_EOVERFLOW (scaling up does not fit int64); PS_EDECIMALS
 *   (scaling down would drop non-zero digits); -EINVAL (a scale above
 *   PS_FIXED_MAX_SCALE or out NULL). *out is untouched on error.
 */
PS_API int ps_fixed_rescale(int64_t v, unsigned from, unsigned to, int64_t *out);

#endif /* PS_FIXED_H */
