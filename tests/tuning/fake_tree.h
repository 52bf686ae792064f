/*
 * Fake /proc + /sys trees for the tuning tests. Include after defining the
 * test's `struct fake`, whose `root` member (char[PATH_MAX]) is the tree's
 * top directory.
 */
#ifndef PS_TEST_TUNING_FAKE_TREE_H
#define PS_TEST_TUNING_FAKE_TREE_H

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <ps/common.h>

/* mkdir -p for every parent of root/rel, then write @text to it. */
static void put(const struct fake *f, const char *rel, const char *text)
{
	char path[PATH_MAX * 2];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", f->root, rel);
	for (char *p = path + strlen(f->root) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		assert_true(mkdir(path, 0755) == 0 || errno == EEXIST);
		*p = '/';
	}
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

/* put() with a printf-style relative path. */
static void putf(const struct fake *f, const char *text, const char *rel_fmt, ...) PS_PRINTF(3, 4);

static void putf(const struct fake *f, const char *text, const char *rel_fmt, ...)
{
	char rel[256];
	va_list ap;

	va_start(ap, rel_fmt);
	vsnprintf(rel, sizeof(rel), rel_fmt, ap);
	va_end(ap);
	put(f, rel, text);
}

#endif /* PS_TEST_TUNING_FAKE_TREE_H */
