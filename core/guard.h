/* The account and region guard: an env file belongs to the account that
 * first changed something with it (AWS_ACCOUNT_ID, recorded then) and to
 * the region its ARNs carry.  A run with other credentials or another
 * region is refused before it changes anything; a read-only or --dry-run
 * run is warned and goes on. */
#ifndef AWSPHASE_GUARD_H
#define AWSPHASE_GUARD_H

#include "awsphase/module.h"
#include "envfile.h"

#define GUARD_ACCOUNT_KEY "AWS_ACCOUNT_ID"

/* The caller's account and ARN (sts get-caller-identity), asked once a
 * process and kept; 0, or the call's exit code (reported).  The host's
 * caller_identity. */
int guard_identity(const char **account, const char **arn);

/* Before an action: compares ef's ARNs' region with this run's now (no
 * call), and sets the aws runner's gate, which compares the caller's
 * account (AWS_ACCOUNT_ID, the ARNs' account) before the action's first
 * call, so that bad input the module finds offline still costs none.
 * refuse: the action is to change things; a mismatch is one error line
 * and AWSPHASE_EXIT_USAGE, here or as every call's failure.  Else each
 * mismatch is a warning (once a process) and a "warnings" entry of the
 * JSON document, and the action goes on.  profile: --profile, NULL when
 * not given.  Returns 0 or the refusal's exit code. */
int guard_begin(struct envfile *ef, const char *region, const char *profile, int refuse);

/* A read-only action is to change things after all (h->lock()): from now
 * on a mismatch refuses.  0, or the refusal's exit code (said). */
int guard_lock(void);

/* After the action, with its exit code: the refusal's when the gate
 * refused, else rc.  (The caller's account was recorded in the env file,
 * when it had none, before the action's first mutating call.) */
int guard_end(int rc);

#endif
