/*
 * JSON output for the cold path's text tools (`perseus itch-dump`,
 * `journal dump --format jsonl`, `tune check --json`): strings whose bytes
 * come from files, the network or the host, so any byte may be in them.
 */
#ifndef PS_JSON_H
#define PS_JSON_H

#include <stdio.h>

#include <ps/common.h>

/*
 * Writes the n bytes at s as one JSON string, quotes included: '"' and '\'
 * escaped with a backslash, newline, tab and carriage return as \n, \t,
 * \r, other control bytes and bytes from 0x7f up as \u00XX
 * (the code point of the byte's value), so the output is ASCII and valid
 * JSON whatever the input (a NUL byte too: \u0000).
 */
PS_API void ps_json_put_string(FILE *f, const char *s, size_t n);

#endif /* PS_JSON_H */
