/*
 * Error codes. Cold-path functions return 0 or a negative errno (-EINVAL,
 * -ENOMEM, ...); codes that errno has no word for live in PS_ERR_MAP, one
 * table that generates both the enum and the ps_strerror() messages.
 * Project codes sit at -1000 and below so they never collide with -errno.
 */
#ifndef PS_ERR_H
#define PS_ERR_H

#include <ps/common.h>

#define PS_ERR_MAP(XX)                                              \
	XX(STALE, -1001, "market data is stale")                    \
	XX(LIMIT, -1002, "risk limit breached")                     \
	XX(SEQGAP, -1003, "feed sequence gap")                      \
	XX(TRUNCATED, -1004, "message truncated")                   \
	XX(UNKNOWN_MSG, -1005, "unknown message type")              \
	XX(BADLEN, -1006, "message length does not match its type") \
	XX(CONFIG, -1007, "configuration error")                    \
	XX(OVERFLOW, -1008, "numeric overflow")                     \
	XX(DECIMALS, -1009, "too many decimal places")              \
	XX(SYNTAX, -1010, "syntax error")                           \
	XX(FULL, -1011, "table or ring full")                       \
	XX(NOTFOUND, -1012, "not found")                            \
	XX(DUPLICATE, -1013, "duplicate id")                        \
	XX(CROSSED, -1014, "book crossed")                          \
	XX(STATE, -1015, "illegal state transition")                \
	XX(CRC, -1016, "checksum mismatch")                         \
	XX(TORN, -1017, "torn record at end of file")               \
	XX(DISCONNECTED, -1018, "session disconnected")             \
	XX(LOGIN, -1019, "login rejected")                          \
	XX(TIMEOUT, -1020, "timed out")                             \
	XX(PROTOCOL, -1021, "protocol violation")                   \
	XX(NOTSC, -1022, "TSC is not invariant")                    \
	XX(MISMATCH, -1023, "state disagrees with the venue")       \
	XX(SEQLOW, -1024, "peer sequence number lower than expected")

enum ps_err {
#define PS_XX(name, val, msg) PS_E##name = (val),
	PS_ERR_MAP(PS_XX)
#undef PS_XX
};

/* Message for a ps_err code or a negative errno; never NULL. Thread-safe. */
PS_API const char *ps_strerror(int err);

#endif /* PS_ERR_H */
