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

/* deploy-verdict.c: GETs http://dns/HEALTH_PATH until HEALTH_EXPECT_COUNT
 * answers in a row are 200 with a body matching HEALTH_EXPECT (one 200
 * without it); 1 after a few more tries with the last body said, 4 at the
 * deadline.  0 at once when DESIRED_COUNT is 0. */
int p4b_probe_alb(struct p4b *c, const char *dns);

#endif
