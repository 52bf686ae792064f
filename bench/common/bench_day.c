/* Loads the benchmarks' real day once (see bench_day.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ps/alloc.h>
#include <ps/common.h>
#include <ps/lobster.h>

#include "bench_day.h"

#define DAY_ZIP "feeds/data/lobster/LOBSTER_SampleFile_AMZN_2012-06-21_5.zip"

static struct ps_bench_day g_day;
static uint8_t *g_buf; /* g_day.itch, writable while loading */
static size_t g_cap;
static int g_err;
static bool g_loaded;

static int collect(void *ctx, const uint8_t *msg, size_t len)
{
	(void)ctx;
	if (g_day.itch_len + len + 2 > g_cap) {
		size_t cap = g_cap ? g_cap * 2 : (size_t)16 << 20;
		uint8_t *p = ps_realloc(g_buf, cap);
		if (!p)
			return -ENOMEM;
		g_buf = p;
		g_cap = cap;
		g_day.itch = p;
	}
	ps_store_be16(g_buf + g_day.itch_len, (uint16_t)len);
	memcpy(g_buf + g_day.itch_len + 2, msg, len);
	g_day.itch_len += len + 2;
	g_day.msg_count++;
	return 0;
}

/* $PS_SOURCE_DIR/DAY_ZIP, or the tree this file is in (bench/common/ is 3 up). */
static void day_path(char *buf, size_t len)
{
	const char *root = getenv("PS_SOURCE_DIR");

	if (root) {
		snprintf(buf, len, "%s/%s", root, DAY_ZIP);
		return;
	}
	snprintf(buf, len, "%s", __FILE__);
	for (int up = 0; up < 3; up++) {
		char *slash = strrchr(buf, '/');
		if (slash)
			*slash = '\0';
	}
	size_t n = strlen(buf);
	snprintf(buf + n, len - n, "/%s", DAY_ZIP);
}

int ps_bench_day_get(const struct ps_bench_day **day)
{
	struct ps_lobster_conv_cfg cfg = { .levels = 0, .stock_locate = PS_BENCH_DAY_LOCATE };
	char path[4096];

	*day = &g_day;
	if (g_loaded)
		return g_err;
	g_loaded = true;
	memcpy(cfg.stock, "AMZN    ", 8);
	day_path(path, sizeof(path));
	g_err = ps_lobster_convert(path, path, &cfg, collect, NULL, NULL);
	return g_err;
}
