/* perseus: one binary, many subcommands (`perseus help`). */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ps/common.h>

#include "cli.h"

extern const struct ps_cli_command __start_ps_cli[];
extern const struct ps_cli_command __stop_ps_cli[];

void ps_cli_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "perseus %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The linker lays the registered commands out back to back between the two
 * section symbols; count them by address so no pointer compares two objects. */
static size_t cmd_count(void)
{
	return ((uintptr_t)__stop_ps_cli - (uintptr_t)__start_ps_cli) /
	       sizeof(struct ps_cli_command);
}

static int cmp_cmd(const void *a, const void *b)
{
	const struct ps_cli_command *const *x = a, *const *y = b;
	return strcmp((*x)->name, (*y)->name);
}

static void usage(FILE *f)
{
	const struct ps_cli_command *sorted[128] = { 0 };
	size_t n = PS_MIN(cmd_count(), PS_ARRAY_SIZE(sorted));

	for (size_t i = 0; i < n; i++)
		sorted[i] = &__start_ps_cli[i];
	qsort((void *)sorted, n, sizeof(const struct ps_cli_command *), cmp_cmd);
	fprintf(f, "usage: perseus COMMAND [ARGS...]\n\ncommands:\n");
	fprintf(f, "  %-16s %s\n", "help", "list the commands (perseus COMMAND --help for one)");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "  %-16s %s\n", sorted[i]->name, sorted[i]->summary);
}

static int cli_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("perseus 0.1.0\n");
	return 0;
}
PS_CLI_COMMAND("version", "print the version", cli_version);

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "-h")) {
		usage(stdout);
		return argc < 2 ? 2 : 0;
	}
	for (size_t i = 0, n = cmd_count(); i < n; i++)
		if (!strcmp(__start_ps_cli[i].name, argv[1]))
			return __start_ps_cli[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "perseus: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
