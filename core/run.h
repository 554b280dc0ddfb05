/* Child processes: argv arrays only, never a shell.  Both pipes are pumped
 * with poll so a child that writes megabytes to stdout and stderr cannot
 * deadlock; each child runs in its own process group, which a deadline or an
 * interrupt kills (SIGTERM, then SIGKILL). */
#ifndef AWSPHASE_RUN_H
#define AWSPHASE_RUN_H

#include <stddef.h>
#include <sys/types.h>

/* The most of a child's stdout (and, apart, of its stderr) that is kept:
 * an aws answer past it is an error, not a reason to grow without bound. */
#define RUN_MAX_OUTPUT ((size_t)32 << 20)
#define RUN_MAX_OUTPUT_MIB 32

struct run_cmd {
	/* in */
	const char *const *argv;  /* argv[0] is looked up on PATH unless it has a '/' */
	const char *const *env;   /* "KEY=VALUE" set on top of environ; NULL-terminated, may be NULL */
	int timeout_ms;           /* 0: none */
	const char *stdin_data;   /* NULL: stdin is /dev/null */
	size_t stdin_len;
	/* called once, as soon as the out fields below are final (before the
	 * batch of run_cmds() or worker_run_cmds() has ended); may be NULL */
	void (*done)(const struct run_cmd *cmd, void *arg);
	void *done_arg;

	/* out */
	char *out;                /* stdout, NUL-terminated (malloc'd, never NULL after run) */
	size_t out_len;
	char *err;                /* stderr, likewise */
	size_t err_len;
	int exit_code;            /* exit status, or 128 + signal when killed */
	int signal;               /* the signal that ended it, 0 if it exited */
	int timed_out;            /* the deadline killed it */
	int interrupted;          /* run_interrupt() killed it */
	int spawn_errno;          /* ENOENT: not found; EACCES: not executable; 0: it ran */
	int too_big;              /* stdout or stderr passed RUN_MAX_OUTPUT: the rest was
				     not read, the child was killed, out/err hold the start */
	long ms;                  /* wall time */

	/* private */
	pid_t pid;
	int fd_in, fd_out, fd_err;
	size_t in_off;
	long start_ms;
	int killed_stage;
};

/* Runs one command to completion.  Returns 0 when the child ran (whatever
 * its exit code), -1 when it could not be started: spawn_errno says why,
 * and nothing is reported, since what to tell the user is the caller's to
 * say. */
int run_cmd(struct run_cmd *cmd);

/* Runs n commands, at most max_parallel at a time (0: all at once).
 * Returns the number that could not be started. */
int run_cmds(struct run_cmd *cmds, size_t n, size_t max_parallel);

/* Frees out and err. */
void run_cmd_release(struct run_cmd *cmd);

/* Async-signal-safe: asks every running child to stop (its process group
 * gets SIGTERM, then SIGKILL) and makes further runs fail at once.  Called
 * from the handler of the terminating signals. */
void run_interrupt(void);
int run_interrupted(void);
/* Clears an interrupt: what an action runs after it (stopping what it
 * started) runs, and a new signal interrupts it.  1 when there was one. */
int run_resume(void);

/* The whole run's deadline (--timeout): seconds from run_mark_start(), 0
 * for none.  Callers cap their own deadlines with run_time_left_ms(). */
void run_mark_start(void);
void run_set_deadline(double seconds);
double run_deadline_s(void);   /* what was set; 0: none */
/* A deadline there is ends seconds from now, if that is later: the time a
 * recovery (a rollback after the deadline) gets of its own. */
void run_extend_deadline(double seconds);
/* Milliseconds until the deadline (<= 0 once it passed); LONG_MAX without one. */
long run_time_left_ms(void);
/* timeout_ms (0: none) cut to the time left, at least 1 ms: run_cmds()
 * applies it to every child, the worker pool to every call. */
int run_capped_timeout(int timeout_ms);
/* Sleeps until the run_now_ms() time when_ms, in steps of at most 100 ms so
 * that an interrupt ends it early.  Returns 0, or -1 when interrupted. */
int run_sleep_until(long when_ms);

/* Monotonic milliseconds. */
long run_now_ms(void);

#endif
