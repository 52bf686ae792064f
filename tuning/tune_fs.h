/*
 * Private to tuning/: reading and writing small /proc and /sys files under a
 * root prefix, shared by tune_host.c and tune_apply.c. Not part of the
 * public API (no PS_API: hidden outside the library).
 */
#ifndef PS_TUNE_FS_H
#define PS_TUNE_FS_H

#include <stddef.h>

/* Copy @root without trailing '/' into @out ("/" and NULL give "").
 * Returns 0, or -ENAMETOOLONG when it does not fit in @len. */
int ps_tune__root(const char *root, char *out, size_t len);

/* Read @root/@rel whole into @buf (NUL-terminated, trailing whitespace cut).
 * Returns the length, or -errno (-ENAMETOOLONG for a path too long). */
int ps_tune__read(const char *root, const char *rel, char *buf, size_t len);

/* Write @value plus a newline to @root/@rel (an existing file; truncated
 * first so fake trees read back exactly the value). Returns 0 or -errno. */
int ps_tune__write(const char *root, const char *rel, const char *value);

#endif /* PS_TUNE_FS_H */
