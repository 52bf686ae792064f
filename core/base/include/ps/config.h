/*
 * Configuration: one INI file per run, parsed by libinih into an in-memory
 * table of (section, key, value, line). Cold path only.
 *
 * File syntax (libinih): "[section]" headers, "key = value" lines, comments
 * start a line with ';' or '#', or follow a value after " ;". Whitespace
 * around keys and values is stripped. Continuation lines are NOT accepted (an
 * indented line is an ordinary "key = value"). A key may appear once per
 * section; a section may be opened more than once (its keys are merged).
 * Lines are limited to PS_CONFIG_LINE_MAX characters (libinih's line buffer
 * as Debian builds it is 200 bytes); a longer line is an error, never split.
 *
 * Reading values: typed getters with a default. Each getter marks the key as
 * used; it returns 0 and the default when the key is absent, and PS_ECONFIG
 * with a message in err when the value is bad:
 *   "run.ini:12: [thread.md] cpu = abc: expected an integer in [0, 1023]"
 *
 * Checking keys: either declare a schema (the sections and keys a program
 * accepts; section names and keys may end in ".*" to accept any suffix, e.g.
 * "thread.*", "risk.*") and call ps_config_check, or read everything with the
 * getters and then call ps_config_check_unused. Both report every offending
 * key with file, line and key:
 *   "run.ini:7: [engine] unknown key 'cpus' (accepted: name, log_level, ...)"
 *   "run.ini:9: unknown section [egnine] (accepted: engine, thread.*, ...)"
 *
 * Repeated sections with a name suffix ([thread.md], [thread.exec]) are
 * enumerated with ps_config_section_next(c, "thread.*", &it).
 *
 * Thread-safety: a struct ps_config is used by one thread at a time.
 * ps_config_load* changes libinih's process-wide option ini_allow_multiline
 * for the duration of the parse, so do not run other libinih parses
 * concurrently with it.
 */
#ifndef PS_CONFIG_H
#define PS_CONFIG_H

#include <ps/common.h>

/* Longest accepted line, without the newline. */
#define PS_CONFIG_LINE_MAX 197

struct ps_config;

/**
 * Load and parse an INI file.
 * @param c        receives the new config (NULL on error)
 * @param path     file to read
 * @param err      message buffer ("FILE:LINE: ..." or "FILE: ..."), may be NULL
 * @return 0; -ENOENT / -EACCES / other -errno when the file cannot be read
 *   ("FILE: cannot open: No such file or directory"); PS_ESYNTAX on a line
 *   that is not a header, key = value or comment ("FILE:LINE: syntax error:
 *   TEXT"), a duplicate key or a line too long; -ENOMEM.
 */
PS_API int ps_config_load(struct ps_config **c, const char *path, char *err, size_t err_len);

/* As ps_config_load, from a NUL-terminated string; name is used in messages. */
PS_API int ps_config_load_string(struct ps_config **c, const char *text, const char *name,
				 char *err, size_t err_len);

/* Free a config; NULL does nothing. Strings returned by getters die with it. */
PS_API void ps_config_destroy(struct ps_config *c);

/* The path (or name) the config was loaded from. */
PS_API const char *ps_config_path(const struct ps_config *c);

/* ---- sections ---------------------------------------------------------- */

/* Section iterator; zero-initialise ({ 0 }) before the first call. */
struct ps_config_iter {
	uint32_t pos;
};

/**
 * Next section whose name matches pattern (exact name, or "prefix.*" for any
 * non-empty suffix; NULL matches all), in file order; NULL at the end.
 * Sections that appear with no keys are included.
 */
PS_API const char *ps_config_section_next(const struct ps_config *c, const char *pattern,
					  struct ps_config_iter *it);

/* True when the file has the section (possibly empty). */
PS_API bool ps_config_has_section(const struct ps_config *c, const char *section);

/* Line of the section's first header; 0 when absent. */
PS_API int ps_config_section_line(const struct ps_config *c, const char *section);

/* The part after the first '.' ("md" for "thread.md"); "" when there is none. */
PS_API const char *ps_config_section_suffix(const char *section);

/* True when name matches pattern ("x" exact, "x.*" any non-empty suffix). */
PS_API bool ps_config_pattern_match(const char *pattern, const char *name);

/* True when the key is present (does not mark it used). */
PS_API bool ps_config_has(const struct ps_config *c, const char *section, const char *key);

/* Line of the key; 0 when absent. */
PS_API int ps_config_line(const struct ps_config *c, const char *section, const char *key);

/* ---- typed getters: 0 and *out = value or default; PS_ECONFIG on a bad value */

/* Raw string (valid until ps_config_destroy). */
PS_API int ps_config_get_str(struct ps_config *c, const char *section, const char *key,
			     const char *def, const char **out, char *err, size_t err_len);

/* String copied into out (at most out_len - 1 characters; longer is an error). */
PS_API int ps_config_get_strbuf(struct ps_config *c, const char *section, const char *key,
				const char *def, char *out, size_t out_len, char *err,
				size_t err_len);

/* Decimal integer (optional sign; "0x" hex accepted) in [min, max]. */
PS_API int ps_config_get_int(struct ps_config *c, const char *section, const char *key, int64_t def,
			     int64_t min, int64_t max, int64_t *out, char *err, size_t err_len);

/* Unsigned integer (decimal or "0x" hex) in [0, max]. */
PS_API int ps_config_get_uint(struct ps_config *c, const char *section, const char *key,
			      uint64_t def, uint64_t max, uint64_t *out, char *err, size_t err_len);

/* true/false, yes/no, on/off, 1/0 (case-insensitive). */
PS_API int ps_config_get_bool(struct ps_config *c, const char *section, const char *key, bool def,
			      bool *out, char *err, size_t err_len);

/* Finite double in [min, max]; for non-hot settings only (never prices). */
PS_API int ps_config_get_double(struct ps_config *c, const char *section, const char *key,
				double def, double min, double max, double *out, char *err,
				size_t err_len);

/* Fixed point with `scale` decimals, parsed by ps_fixed_parse (grammar in
 * <ps/fixed.h>); def is already at that scale. */
PS_API int ps_config_get_fixed(struct ps_config *c, const char *section, const char *key,
			       int64_t def, unsigned scale, int64_t *out, char *err,
			       size_t err_len);

/* One of names[0..] (NULL-terminated list, exact match); *out = its index. */
PS_API int ps_config_get_enum(struct ps_config *c, const char *section, const char *key,
			      const char *const *names, int def, int *out, char *err,
			      size_t err_len);

/**
 * CPU list in the kernel's cpulist syntax: "3", "0-3", "0,2,4-7" (ascending
 * or not; duplicates rejected). def uses the same syntax ("" for none).
 * @param cpus   receives up to max_count CPU numbers, in the order written
 * @param count  receives how many
 * Error when a number exceeds 1023, a range is reversed, or more than
 * max_count CPUs are listed.
 */
PS_API int ps_config_get_cpulist(struct ps_config *c, const char *section, const char *key,
				 const char *def, int *cpus, uint32_t max_count, uint32_t *count,
				 char *err, size_t err_len);

/* ---- checks ------------------------------------------------------------ */

/* Accepted keys of one section pattern. keys: NULL-terminated list of key
 * names or "prefix.*" patterns; keys == NULL accepts any key. */
struct ps_config_schema {
	const char *section; /* exact name or "prefix.*" */
	const char *const *keys;
};

/**
 * Report every section not matched by the schema and every key not accepted
 * by its section's schema entries, one message per line in err (truncated to
 * err_len; the first messages are kept).
 * @return 0 when all are known; PS_ECONFIG otherwise.
 */
PS_API int ps_config_check(const struct ps_config *c, const struct ps_config_schema *schema,
			   size_t schema_count, char *err, size_t err_len);

/**
 * Report every key that no getter has read ("FILE:LINE: [s] unknown key 'k'").
 * @return 0; PS_ECONFIG when some key was never read.
 */
PS_API int ps_config_check_unused(const struct ps_config *c, char *err, size_t err_len);

#endif /* PS_CONFIG_H */
