/* Private to core/worker*.c, which plug into the runner through run-int.h. */
#ifndef AWSPHASE_WORKER_INT_H
#define AWSPHASE_WORKER_INT_H

#include <stdint.h>
#include <sys/types.h>
#include "run-int.h"
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

/* Starts the helper with the aws script's interpreter, in its own process
 * group, stdin and stdout on pipes whose other ends (non-blocking,
 * close-on-exec) come back in to and from, stderr on /dev/null.  Returns 0
 * or an errno. */
int worker_spawn(const struct worker_cli *cli, const char *helper, pid_t *pid, int *to, int *from);
/* From /proc: the process's peak RSS (-1 when gone) and CPU so far. */
long worker_proc_peak_rss_kib(pid_t pid);
double worker_proc_cpu_ms(pid_t pid);
/* A frame's big-endian u32. */
uint32_t worker_get_u32(const char *p);

#endif
