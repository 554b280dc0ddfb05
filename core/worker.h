/* aws CLI calls answered by a pool of persistent workers instead of one aws
 * process each: a helper (core/aws-worker.py, installed as
 * $(libexecdir)/awsphase/aws-worker) run by the aws script's own Python
 * imports the CLI's driver once and runs each command line it is sent, in a
 * fresh session, with the environment an exec'd aws would get.  A call costs
 * ~25 ms instead of ~1 s of Python start-up.  Workers start lazily (no more
 * than a batch needs, at most the pool size), run in their own process
 * groups, and are killed on interrupt and at exit.  A worker that dies or
 * misses a call's deadline is killed, replaced, and that call is rerun once
 * as an ordinary aws process. */
#ifndef AWSPHASE_WORKER_H
#define AWSPHASE_WORKER_H

#include <stddef.h>
#include "run.h"
#include "strbuf.h"

enum worker_mode {
	WORKER_MODE_AUTO = 0,  /* workers when the aws CLI can run in one, else exec */
	WORKER_MODE_EXEC,      /* one aws process per call */
	WORKER_MODE_WORKER,    /* workers; a CLI that cannot run in one is an error */
};

/* "auto", "exec", "worker" → 0 and *out; else -1. */
int worker_parse_mode(const char *name, enum worker_mode *out);

/* How batches run from now on: aws_path as argv[0] of each call (looked up
 * on PATH unless it has a '/'), at most pool workers.  Starts nothing; a
 * running pool for another CLI or mode is shut down. */
void worker_configure(enum worker_mode mode, const char *aws_path, size_t pool);

/* Runs n aws command lines (argv[0] the configured aws) as run_cmds() does,
 * with the same results in each struct run_cmd; pid is 0 for a call a worker
 * answered.  Falls back to run_cmds() in exec mode, in auto mode when the CLI
 * cannot run in a worker (said once at -v), and for calls with stdin_data.
 * In worker mode such a CLI fails each call as not executable (ENOEXEC), with
 * the reason reported once.  Returns the number that could not be started. */
int worker_run_cmds(struct run_cmd *cmds, size_t n, size_t max_parallel);

/* Ends every worker: EOF on its stdin, then SIGTERM, then SIGKILL to its
 * process group.  Safe to call twice; also run at exit. */
void worker_shutdown(void);

struct worker_stats {
	unsigned started;      /* worker processes started */
	unsigned calls;        /* calls a worker answered */
	unsigned lost;         /* workers that died or were killed mid-call */
	unsigned fallbacks;    /* calls rerun as an aws process after that */
	long peak_rss_kib;     /* the largest worker's peak RSS */
	double cpu_ms;         /* CPU of the workers, live and ended */
	int active;            /* 1 when calls go to workers */
	char version[96];      /* the hello: "aws-cli/2.9.19 Python/3.11.2 v2 proto/1" */
};
void worker_get_stats(struct worker_stats *out);

/* The wire format, for tests: a request frame (length included) for argv
 * with env laid on top for this call only; and the parts of a reply frame
 * (length excluded, 'R' first), pointing into frame.  Returns 0 or -1. */
void worker_encode_request(struct strbuf *sb, const char *const *env, const char *const *argv);
int worker_decode_reply(const char *frame, size_t len, int *exit_code, const char **out,
			size_t *out_len, const char **err, size_t *err_len);

/* pids of the live workers, for tests; returns how many (at most max). */
size_t worker_pids(int *pids, size_t max);

#endif
