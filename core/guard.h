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

/* Compares ef with this run's region and, where it needs to, the
 * caller's account.  refuse: the action is to change things; a mismatch
 * is one error line and AWSPHASE_EXIT_USAGE.  Else each mismatch is a
 * warning (once a process) and a "warnings" entry of the JSON document,
 * and 0.  profile: --profile, NULL when not given. */
int guard_check(const struct envfile *ef, const char *region, const char *profile, int refuse);

/* After an action: records the caller's account in ef when the action
 * made a mutating call (more than mutating_before) and ef has none. */
void guard_record(struct envfile *ef, unsigned mutating_before);

#endif
