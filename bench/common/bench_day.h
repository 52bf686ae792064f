/*
 * The real day the benchmarks replay: the bundled NASDAQ AMZN 2012-06-21
 * level-5 LOBSTER sample, converted once (untimed, on first use) to ITCH 5.0
 * by the LOBSTER converter and kept in memory in BinaryFILE framing (2-byte
 * big-endian length, then the message). Shared by the benchmarks of every
 * component that replays real flow.
 */
#ifndef PS_BENCH_DAY_H
#define PS_BENCH_DAY_H

#include <stddef.h>
#include <stdint.h>

#define PS_BENCH_DAY_LOCATE 1 /* stock locate of AMZN in the converted day */

struct ps_bench_day {
	const uint8_t *itch; /* framed messages */
	size_t itch_len;
	uint64_t msg_count;
};

/* The day (loaded on the first call). @return 0, or the loader's error. */
int ps_bench_day_get(const struct ps_bench_day **day);

#endif /* PS_BENCH_DAY_H */
