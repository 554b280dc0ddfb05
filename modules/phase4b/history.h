/* Phase 4B's deploy history: one JSON event per deploy, rollback or run,
 * kept in AWS (a CloudWatch Logs group of the stack) so that every
 * operator's machine sees the same history, not one laptop's env file.
 *
 * The group is /awsphase/NAME/history, NAME the cluster's name less a
 * trailing "-cluster" (kaviar-cluster → /awsphase/kaviar/history), one
 * stream "events", kept P4B_HISTORY_DAYS days.  It is made the first time
 * an event finds it missing, so recording costs one put-log-events (and
 * the caller's identity, which the host has asked already) from then on. */
#ifndef P4B_HISTORY_H
#define P4B_HISTORY_H

#include "phase4b.h"

#define P4B_HISTORY_DAYS 400

/* One operation.  Strings may be NULL (empty in the event). */
struct p4b_event {
	const char *action;       /* "deploy", "rollback", "run" */
	const char *result;       /* completed, rolled-back-by-circuit-breaker,
				   * rolled-back-by-awsphase, failed, timed-out;
				   * NULL for run: exit_code is the result */
	int exit_code;            /* run: the essential container's exit code */
	const char *td_arn;       /* the revision: its ARN */
	const char *image;        /* NULL: read from td_arn's task definition */
	const char *image_tag;    /* NULL: from image (…:TAG) */
	const char *image_digest; /* NULL: from image (…@sha256:…) */
	const char *deployment;   /* the ECS deployment id */
	double started;           /* h->now() when the operation began */
};

/* Records ev in the history.  Never fails the operation: a history that
 * cannot be written is a warning.  Under --dry-run the put-log-events is
 * shown, not run. */
void p4b_history_record(struct p4b *c, const struct p4b_event *ev);

/* The revision (an ARN) of the newest completed deploy or rollback in the
 * history that is not current, into out; 1 found, 0 none (or no history),
 * or an exit code (reported) when the history could not be read. */
int p4b_history_last_good(struct p4b *c, const char *current, char *out, size_t size);

/* The result of a deploy or rollback that ended with exit code rc, for the
 * history and --output json. */
const char *p4b_result_of(const struct p4b *c, int rc, int rolled_back);

/* teardown --all: the history is data, kept (said, verbose) unless
 * delete (--delete-data) deletes its log group.  0 or an exit code. */
int p4b_history_drop(struct p4b *c, int delete);

#endif
