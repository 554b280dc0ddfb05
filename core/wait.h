/* awsphase's own wait loop (never `aws … wait`, which cannot be tuned):
 * jittered polls, a deadline, a no-progress timeout, fail fast through the
 * poll's return value, and a progress line on a terminal. */
#ifndef AWSPHASE_WAIT_H
#define AWSPHASE_WAIT_H

#include "awsphase/module.h"

/* How long waits may take when neither --timeout nor the wait says. */
#define WAIT_DEFAULT_TIMEOUT_S 900

/* Returns 0 when done, the poll's exit code when it failed fast,
 * AWSPHASE_EXIT_TIMEOUT at the deadline or without progress (reported), or
 * AWSPHASE_EXIT_INTERRUPTED.  default_timeout_s applies when w->timeout_s
 * is 0, WAIT_DEFAULT_TIMEOUT_S when both are. */
int wait_run(const struct awsphase_wait *w, double default_timeout_s);
/* Progress lines on stderr only when it is a terminal; tests may force it. */
void wait_set_progress(int on);
/* Sleeps, ending early on an interrupt; returns -1 when interrupted. */
int wait_sleep(double seconds);

#endif
