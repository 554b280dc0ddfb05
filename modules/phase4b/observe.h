/* Phase 4B read-only lookups shared by validate, diagnose and status: the
 * stack's resources read through the engine, and small readers over their
 * answers. */
#ifndef PHASE4B_OBSERVE_H
#define PHASE4B_OBSERVE_H

#include <stddef.h>

#include "phase4b.h"
#include "stack.h"

struct obs {
	const struct awsphase_host *h;
	struct p4b c;
	struct p4b_run run;         /* logs_start_ms and logs_filter for "logs" */
	struct awsphase_stack *s;   /* the stack's resources (stack.h) */
	int rc;                     /* first failure class, 0 if none */
};

/* Reads the names (p4b_config) and opens the stack; 0 or an exit code. */
int obs_init(struct obs *o, const struct awsphase_host *h);
void obs_free(struct obs *o);

/* Reads keys (NULL-terminated, stack.h) not read yet, in as few rounds as
 * they allow; returns the failure class (0 when every read answered or
 * found none), kept in o->rc. */
int obs_read(struct obs *o, const char *const *keys);

/* The item of a resource, NULL when not read, not found or failed; "CODE:
 * message" of a read that failed or found none, NULL otherwise. */
const cJSON *obs_json(const struct obs *o, const char *key);
const char *obs_error(const struct obs *o, const char *key);
/* The service was looked for and its cluster does not exist; it was
 * looked for (whatever the answer). */
int obs_cluster_missing(const struct obs *o);
/* Why nothing is known of key: its read, or a read it needs (targets: the
 * target group's), failed (the aws CLI could not run, credentials, an
 * answer that is not JSON).  NULL when it was read, found or not: unknown
 * is not absent. */
const char *obs_unknown(const struct obs *o, const char *key);

/* The PRIMARY deployment of the service (found in any status); NULL when
 * absent.  The items themselves: obs_json(o, "service"), "tg", "alb",
 * "targets" (TargetHealthDescriptions), "enis" (NetworkInterfaces). */
const cJSON *obs_primary(const struct obs *o);
/* The awsvpcConfiguration the service's PRIMARY deployment starts tasks
 * with, else the service's own. */
const cJSON *obs_awsvpc(const struct obs *o);

/* Tasks of "tasks" and "stopped-tasks": the n-th whose desiredStatus is
 * STOPPED (stopped set) or RUNNING (stopped not set); NULL past the end. */
const cJSON *obs_task(const struct obs *o, int stopped, size_t n);
/* s, or "?" when NULL. */
const char *obs_or_unknown(const char *s);
/* The last path element of an ARN ("…/abc123" → "abc123"). */
const char *obs_short_id(const char *arn);

#endif
