/* Phase 4B rollback: what deploy shares with the rollback action.
 *
 * awsphase remembers which revisions deployed successfully in the env file,
 * not in AWS, so that recording one costs no aws call and a no-op deploy
 * stays free of mutating calls:
 *   LAST_GOOD_TASK_DEF_ARN      the revision of the last deploy or rollback
 *                               whose wait ended stable with healthy targets;
 *   PREVIOUS_GOOD_TASK_DEF_ARN  the good revision it replaced.
 * `rollback --previous` takes the newer of the two that is not the one in
 * service, so it goes back after a good deploy and after a bad one alike.
 */
#ifndef P4B_ROLLBACK_H
#define P4B_ROLLBACK_H

#include "phase4b.h"

#define P4B_LAST_GOOD_KEY "LAST_GOOD_TASK_DEF_ARN"
#define P4B_PREVIOUS_GOOD_KEY "PREVIOUS_GOOD_TASK_DEF_ARN"

/* Records td_arn as the revision that last deployed successfully (the one
 * it replaces becomes the previous good one).  Env file only, nothing under
 * --dry-run.  0, or -1 when the env file could not be written (reported). */
int p4b_record_good(const struct awsphase_host *h, const char *td_arn);

/* After a failed deploy of failed_td (its wait ended with a FAILED
 * deployment, a task that cannot start, or the deadline; why says which,
 * in English, marked N_(): the report keeps it, the line says it looked up):
 * moves the service back to LAST_GOOD_TASK_DEF_ARN, or follows the rollback
 * ECS's circuit breaker already started to it, and waits as deploy does.
 * Says what it did either way.  0 when the service is stable on the last
 * good revision again, else an exit code (also when there is nothing to
 * roll back to). */
int p4b_rollback_to_last_good(struct p4b *c, const char *failed_td, const char *why);

#endif
