/* Phase 4B read-only lookups shared by validate, diagnose and status: the
 * runbook's describe/list calls, fetched in rounds (each round's calls run
 * at once), and small readers over their answers. */
#ifndef PHASE4B_OBSERVE_H
#define PHASE4B_OBSERVE_H

#include <stddef.h>

#include "phase4b.h"
#include "spec.h"

/* What observe fetches beyond p4b_read (spec.h).  Items skip themselves
 * when their inputs are missing. */
enum obs_item {
	OBS_TASK_ARNS,    /* ecs list-tasks --cluster C --service-name S */
	OBS_STOPPED_ARNS, /* the same with --desired-status STOPPED */
	OBS_LOGS,         /* logs filter-log-events --log-group-name G --start-time … */
	OBS_TASKS,        /* ecs describe-tasks of OBS_TASK_ARNS and OBS_STOPPED_ARNS */
	OBS_TASKDEF,      /* ecs describe-task-definition of the service's revision */
	OBS_ENIS,         /* ec2 describe-network-interfaces of the live tasks' ENIs */
	OBS_N
};

#define OBS_BIT(i) (1u << (i))

struct obs {
	const struct awsphase_host *h;
	struct p4b c;
	struct p4b_view v;          /* what obs_read got through p4b_read */
	struct awsphase_call *call[OBS_N];
	int rc;                     /* first failure class, 0 if none */
	long long logs_start_ms;    /* OBS_LOGS window start, epoch ms */
	const char *logs_filter;    /* OBS_LOGS --filter-pattern, or NULL */
};

/* Reads the names (p4b_config); 0 or an exit code. */
int obs_init(struct obs *o, const struct awsphase_host *h);
void obs_free(struct obs *o);

/* p4b_read(what) into o->v (once per obs); returns its failure class. */
int obs_read(struct obs *o, unsigned what);
/* Runs the calls for the items in mask that are not fetched yet and whose
 * inputs are there, all at once.  Returns the round's failure class (0
 * when every call succeeded or failed with an accepted "not found"). */
int obs_fetch(struct obs *o, unsigned mask);

/* The answer of an item, NULL when not fetched, not found or failed. */
const cJSON *obs_json(const struct obs *o, enum obs_item i);
/* "CODE: message" of a failed or not-found item, NULL when it answered or
 * was not fetched. */
const char *obs_error(const struct obs *o, enum obs_item i, char *buf, size_t size);

/* From the view: services[0] in any status, TargetGroups[0],
 * LoadBalancers[0], the PRIMARY deployment, TargetHealthDescriptions;
 * NULL when absent. */
const cJSON *obs_service(const struct obs *o);
const cJSON *obs_tg(const struct obs *o);
const cJSON *obs_alb(const struct obs *o);
const cJSON *obs_primary(const struct obs *o);
const cJSON *obs_targets(const struct obs *o);

/* Tasks of the view and of OBS_TASKS: the n-th whose desiredStatus is
 * STOPPED (stopped set) or RUNNING (stopped not set); NULL past the end. */
const cJSON *obs_task(const struct obs *o, int stopped, size_t n);
/* attachments[].details[name == key].value of a task, or NULL. */
const char *obs_task_detail(const cJSON *task, const char *key);
/* s, or "?" when NULL. */
const char *obs_or_unknown(const char *s);
/* The last path element of an ARN ("…/abc123" → "abc123"). */
const char *obs_short_id(const char *arn);
/* The ENI of that id in OBS_ENIS, the TargetHealthDescription of that IP;
 * NULL when absent. */
const cJSON *obs_eni(const struct obs *o, const char *eni_id);
const cJSON *obs_target(const struct obs *o, const char *ip);

/* Time: epoch seconds of a JSON timestamp as either CLI prints it (v1:
 * epoch number; v2: ISO 8601 string), or -1. */
double obs_time(const cJSON *v);
double obs_parse_iso8601(const char *s);
double obs_now(void);
/* "2024-05-01T12:03:04Z" (UTC); with ms, "…04.123Z". */
void obs_fmt_time(double t, int ms, char *buf, size_t size);
/* "30s", "5m", "2h", "1d", "1w" → seconds; -1 when unreadable. */
double obs_duration(const char *s);

/* The first len bytes of s on one line in buf: runs of blanks and control
 * characters as one space, "…" when cut. */
void obs_excerpt(const char *s, size_t len, char *buf, size_t size);

/* An aws call with the region etc. added by the host, as a shell line for a
 * "fix:" hint: "aws ecs update-service --cluster … --region R". */
void obs_cmdline(const struct obs *o, char *buf, size_t size, const char *service,
		 const char *operation, const char *const *args);

#endif
