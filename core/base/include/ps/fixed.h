/*
 * Fixed-point prices and quantities: int64 with a per-instrument decimal
 * scale (ITCH: 4 decimals; crypto: up to 8). Never double in anything that is
 * compared or summed.
 */
#ifndef PS_FIXED_H
#define PS_FIXED_H

#include <ps/common.h>

#define PS_FIXED_MAX_SCALE 9

/* 10^scale for scale 0..18. */
PS_API int64_t ps_fixed_pow10(unsigned scale);

/**
 * Parse a decimal string ("123", "-12.5", "0.0001") into fixed point with
 * `scale` decimals. The whole of s[0..len) must be the number.
 * @return 0; -PS_ESYNTAX-like codes: PS_ESYNTAX (not a number),
 *   PS_EDECIMALS (more decimals than scale), PS_EOVERFLOW (does not fit int64),
 *   -EINVAL (scale > PS_FIXED_MAX_SCALE).
 */
PS_API int ps_fixed_parse(const char *s, size_t len, unsigned scale, int64_t *out);

/**
 * Format v with `scale` decimals into buf (always NUL-terminated, trailing
 * zeros kept so the scale is visible). Cold path.
 * @return characters written (without NUL), or -ENOSPC.
 */
PS_API int ps_fixed_format(int64_t v, unsigned scale, char *buf, size_t buf_len);

/* Convert between scales; returns PS_EOVERFLOW or PS_EDECIMALS (precision lost). */
PS_API int ps_fixed_rescale(int64_t v, unsigned from, unsigned to, int64_t *out);

#endif /* PS_FIXED_H */
