/*
 * Subcommands of the perseus binary. Each cli_<name>.c registers its commands
 * with PS_CLI_COMMAND; main.c finds them in the "ps_cli" linker section, so a
 * new command touches no shared file.
 *
 * A command returns the process exit status: 0 success, 1 failure (after
 * printing a clear message to stderr), 2 usage error.
 */
#ifndef PS_ENGINE_CLI_H
#define PS_ENGINE_CLI_H

typedef int (*ps_cli_fn)(int argc, char **argv);

struct ps_cli_command {
	const char *name;    /* "itch-dump", "tune" */
	const char *summary; /* one line for `perseus help` */
	ps_cli_fn fn;        /* argv[0] is the command name */
};

#define PS_CLI_CONCAT2(a, b) a##b
#define PS_CLI_CONCAT(a, b)  PS_CLI_CONCAT2(a, b)
#define PS_CLI_COMMAND(name_, summary_, fn_)                                                    \
	static const struct ps_cli_command PS_CLI_CONCAT(ps_cli_cmd_, __LINE__) __attribute__(( \
	    used, section("ps_cli"), aligned(sizeof(void *)))) = { (name_), (summary_), (fn_) }

/* Shared by commands: print "perseus NAME: " + message to stderr. */
void ps_cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* PS_ENGINE_CLI_H */
