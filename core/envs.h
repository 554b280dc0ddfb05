/* Several environments at once: `awsphase --env staging --env prod 4b
 * status` runs the action once per environment, each in a process of its
 * own with its own env file, lock and report, side by side within one
 * --jobs budget (share.h); one report (or JSON document) for all, and the
 * worst exit code. */
#ifndef AWSPHASE_ENVS_H
#define AWSPHASE_ENVS_H

/* After options_check, with the action parsed: with fewer than two --env,
 * -1 (go on, nothing done).  Else forks a process per environment: in
 * each, -1 (go on: options.env and env_file are that environment's); in
 * this one, once every one has ended and its report is printed, the worst
 * exit code (envs_worse). */
int envs_fork(void);
/* Of two exit codes, the worse: a signal's (128 + N) first, then a failure
 * (the higher first), then plan's 6 (changes to make), then 0. */
int envs_worse(int a, int b);

#endif
