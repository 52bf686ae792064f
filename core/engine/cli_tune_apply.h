/* `perseus tune apply`, dispatched from cli_tune.c (one "tune" command). */
#ifndef PS_ENGINE_CLI_TUNE_APPLY_H
#define PS_ENGINE_CLI_TUNE_APPLY_H

/* argv[0] = "apply". Returns 0 ok, 1 failure, 2 usage (cli.h). */
int ps_cli_tune_apply(int argc, char **argv);

#endif /* PS_ENGINE_CLI_TUNE_APPLY_H */
