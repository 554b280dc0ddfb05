/* Private to core/run.c and core/worker*.c: the pieces of the runner that
 * the worker pool uses too, since it answers struct run_cmd calls in
 * processes of its own and must leave each as run_cmds() would. */
#ifndef AWSPHASE_RUN_INT_H
#define AWSPHASE_RUN_INT_H

#include <spawn.h>
#include "run.h"
#include "strbuf.h"

#define RUN_CHUNK 65536  /* one read from or write to a pipe */

/* Clears cmd's out and private fields before a run: no output, exit code
 * -1, pid -1, no descriptors, nothing sent. */
void run_prepare(struct run_cmd *cmd);
/* Ends cmd: "" for the output it has none of, then its done callback. */
void run_complete(struct run_cmd *cmd);
/* Ends a cmd that was never started: spawn_errno err, the exit code a
 * shell gives (130 interrupted, 127 ENOENT, else 126), pid -1. */
void run_not_started(struct run_cmd *cmd, int err, int interrupted);
/* Records that signal sig ended cmd: signal, and exit code 128 + sig. */
void run_killed_by(struct run_cmd *cmd, int sig);

/* Closes *fd when it is open and sets it to -1. */
void run_close_fd(int *fd);
/* Both ends of a pipe, likewise. */
void run_close_pipe(int p[2]);
/* Sets O_NONBLOCK on fd; 0 or -1. */
int run_set_nonblock(int fd);
/* Appends what the non-blocking fd has to sb, NUL-terminated, in 64 KiB
 * reads until a short one, but not past max bytes in sb (0: no limit).
 * Returns 0 at EOF or on an error, 1 when more may come, 2 when sb holds
 * max bytes and fd had more (what came past max was dropped). */
int run_drain(int fd, struct strbuf *sb, size_t max);

/* environ with extra ("KEY=VALUE", NULL-terminated, may be NULL) laid on
 * top: a key in extra replaces the environment's.  The strings are
 * borrowed; free() the array. */
char **run_environ(const char *const *extra);
/* File actions and attributes for a child in a process group of its own,
 * signals at their defaults and unblocked, nothing open but 0, 1 and 2:
 * in, out and err are dup2'ed onto them, /dev/null where one is -1.  The
 * caller spawns with them, then destroys both. */
void run_spawn_setup(posix_spawn_file_actions_t *fa, posix_spawnattr_t *attr, int in, int out, int err);

#endif
