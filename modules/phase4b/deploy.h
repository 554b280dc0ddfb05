/* What deploy, fix-sg, rollback and preflight share inside the module. */
#ifndef P4B_DEPLOY_H
#define P4B_DEPLOY_H

#include "stack.h"

#define P4B_ID_SIZE 512

/* Waits (deploy-wait.c) until the deployment dep_id (or, if "", the
 * service) is COMPLETED with running = desired and at least one healthy
 * target, showing new service events; fails fast (1) on a stopped task
 * whose reason waiting cannot cure or a FAILED deployment; 4 at the
 * deadline.  before: the service as last read (its events are not shown
 * again); may be NULL. */
int p4b_wait_service(struct p4b *c, const char *tg_arn, const char *dep_id,
		     const cJSON *before, int just_started);

/* deploy-pace.c: when the wait looks.  Feed it each service event shown
 * and each describe call made; p4b_pace_plan sets the next look (old: an
 * older deployment is still there to drain), p4b_pace_sleep waits for it:
 * 0, -1 interrupted, 1 the run's deadline came first. */
#define P4B_PACE_CALLS 6       /* describe calls in any minute, at most */
struct p4b_pace {
	double start, next;     /* the wait's start, the next look: epoch s */
	double reg_at, drain_at;/* events: targets registered, old tasks draining */
	double ramp;            /* the next quick look's pause */
	double calls[P4B_PACE_CALLS];
	unsigned ncalls;
};
void p4b_pace_event(struct p4b_pace *p, const cJSON *event);
void p4b_pace_call(struct p4b_pace *p);
void p4b_pace_plan(struct p4b_pace *p, const struct p4b *c, int old);
int p4b_pace_sleep(const struct p4b_pace *p);

/* 1 when the service needs no wait: one deployment, COMPLETED (or no
 * rollout state), running = desired, none pending. */
int p4b_service_settled(const struct awsphase_host *h, const cJSON *service);

/* After apply: the deployment to wait for (the PRIMARY of the service as
 * create/update-service answered, into dep) and whether this run started
 * it (1), or 0. */
int p4b_started(struct awsphase_stack *s, char *dep, size_t size);

/* preflight.c: the AWS checks deploy runs before its first change
 * (describe-subnets, ecr describe-images; route tables and VPC endpoints
 * for the private tier), read through s.  with_identity adds sts
 * get-caller-identity.  0, or 2 (bad input) / 3 (AWS) after one line per
 * problem. */
int p4b_preflight_aws(struct awsphase_stack *s, struct p4b *c, int with_identity, int as_checks);

/* oneoff.c: runs argv (argc words) as the command of the container
 * CONTAINER_NAME in a one-off task of revision td (an ARN or FAMILY:N) with
 * the network awsvpc (an awsvpcConfiguration object), reading its log
 * lines (live: printed as they come) and waiting until it is STOPPED; what
 * ("--before: ", or "") starts its lines.  Into out: revision, task, exit_code,
 * reason, log (its last lines).  0 when its essential container exited 0,
 * 1 when not, 4 or 130 after stopping it (ecs stop-task), or an exit code;
 * reported. */
int p4b_oneoff(struct p4b *c, const char *td, const cJSON *awsvpc, const char *const *argv,
	       int argc, const char *what, int live, cJSON *out);
/* deploy --before: command (sh -c) as a one-off task of the revision the
 * stack's td holds, with the network the service is to have; "before" in
 * the report.  0 when it exited 0, else as p4b_oneoff (reported, with the
 * task's last lines and the service left as it is). */
int p4b_before_deploy(struct awsphase_stack *s, struct p4b *c, const char *command);
/* deploy-verdict.c: GETs http://dns/HEALTH_PATH until HEALTH_EXPECT_COUNT
 * answers in a row are 200 with a body matching HEALTH_EXPECT (one 200
 * without it); 1 after a few more tries with the last body said, 4 at the
 * deadline.  0 at once when DESIRED_COUNT is 0. */
int p4b_probe_alb(struct p4b *c, const char *dns);

#endif
