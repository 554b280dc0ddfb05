/* The aws calls every environment of a run may have in flight at once
 * (--jobs), and how many AWS lets through: one budget, in a mapping shared
 * across the processes of `awsphase --env a --env b …` (made before they
 * fork), in-process for a single environment.  Throttling cuts the budget
 * for all (halves it, at least 1), successes win it back step by step, as
 * the aws CLI's adaptive retry mode does. */
#ifndef AWSPHASE_SHARE_H
#define AWSPHASE_SHARE_H

#include <stddef.h>

/* Sets the budget to jobs calls at once, the first time only: a pipeline's
 * later phases and the environments' processes keep what is learnt. */
void share_init(int jobs);
/* 1 when one more call may start; mine: the calls this process has in
 * flight.  A process with none may always start one, so that each
 * environment moves on however busy the others keep the budget.  Give
 * back each taken with share_give. */
int share_take(size_t mine);
void share_give(void);
/* What an attempt came to: throttled (cuts the budget), or through. */
void share_note(int throttled);
/* The calls at once allowed now (for tests and verbose lines). */
int share_limit(void);

#endif
