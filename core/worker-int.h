/* Private to core/worker*.c. */
#ifndef AWSPHASE_WORKER_INT_H
#define AWSPHASE_WORKER_INT_H

#include "worker.h"

struct worker_cli {
	char *interp;       /* the Python of the aws script's #! line */
	char *interp_arg;   /* its one argument, or NULL */
	char *script;       /* the aws entry script */
	char *path_prefix;  /* put first on PATH, as `pyenv exec` does; or NULL */
};

/* Resolves aws (PATH, pyenv shims, #!) to a script a worker can run.
 * Returns 0, or -1 with why filled in; -2 when aws is not found or not
 * executable. */
int worker_find_cli(const char *aws, struct worker_cli *cli, char *why, size_t whylen);
void worker_cli_release(struct worker_cli *cli);

/* The helper: $AWSPHASE_AWS_WORKER, else the installed one, else the build
 * tree's core/aws-worker next to the running binary; malloc'd or NULL. */
char *worker_find_helper(void);

#endif
