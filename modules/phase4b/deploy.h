/* What deploy, fix-sg and preflight share inside the module (not for the
 * other actions: they use spec.h). */
#ifndef P4B_DEPLOY_H
#define P4B_DEPLOY_H

#include "spec.h"

#define P4B_ID_SIZE 512
#define P4B_MAX_BATCH 24

struct deploy;
typedef void (*p4b_done_fn)(struct deploy *d, struct awsphase_call *call, const void *arg);

/* One run of deploy (or fix-sg): what was read, what is known of each
 * resource (real ids, or "<name id>" placeholders under --dry-run), the
 * calls of the stage being built. */
struct deploy {
	struct p4b *c;
	const struct awsphase_host *h;
	struct p4b_view v;
	int planning;           /* 1: only count the changes */
	int changes;            /* counted while planning; made while applying */
	int dry_run;
	int force;              /* --force-new-deployment */
	int retention_days;

	char exec_arn[P4B_ID_SIZE], task_arn[P4B_ID_SIZE];
	char alb_sg[P4B_ID_SIZE], ecs_sg[P4B_ID_SIZE];
	char tg_arn[P4B_ID_SIZE], alb_arn[P4B_ID_SIZE], alb_dns[P4B_ID_SIZE];
	char listener_arn[P4B_ID_SIZE], td_arn[P4B_ID_SIZE], service_arn[P4B_ID_SIZE];
	char dep_id[P4B_ID_SIZE];  /* the PRIMARY deployment after create/update-service */
	int started;               /* dep_id is new: this run started it */
	int exec_created, task_created, alb_sg_created, ecs_sg_created, log_created;
	int cluster_missing;
	cJSON *service_after;         /* as create/update-service answered */
	cJSON *extra_sgs;             /* RDS/Redis groups outside the VPC listing */
	int rule_added;               /* an ingress rule was authorized */
	int only_ecs_sg;              /* fix-sg: the ECS group and its rule alone */
	int record_failed;            /* the env file could not be written */
	int first;                    /* a first deploy: creating without looking first */
	int collided;                 /* a create found its resource already there */
	struct p4b_why why;           /* what the service update changes */

	struct awsphase_call *calls[P4B_MAX_BATCH];
	p4b_done_fn done[P4B_MAX_BATCH];
	const void *arg[P4B_MAX_BATCH];
	size_t n;
	cJSON *resources;       /* for --output json */
};

/* A change is needed: while planning count it and return 0, else return 1
 * (the caller adds the call). */
int p4b_change(struct deploy *d);
/* A new call in the stage being built; done runs after the batch when the
 * call succeeded, was accepted or was a dry run. */
struct awsphase_call *p4b_stage_call(struct deploy *d, const char *service, const char *op,
				     p4b_done_fn done, const void *arg);
/* Runs the stage's calls at once; 0 or the first failure's exit code. */
int p4b_stage_run(struct deploy *d);
/* Adds NULL-terminated args. */
void p4b_args(struct deploy *d, struct awsphase_call *call, ...);

/* "✓ security group kaviar-ecs-sg sg-… (created)" and the JSON entry. */
void p4b_resource(struct deploy *d, const char *kind, const char *name, const char *id,
		  const char *fmt, ...) AWSPHASE_PRINTF(5, 6);
/* The same with a list of what differs: fmt takes it as its one %s. */
void p4b_resource_why(struct deploy *d, const char *kind, const char *name, const char *id,
		      const char *fmt, const struct p4b_why *why) AWSPHASE_PRINTF(5, 0);
/* Writes key=value back to the env file when it differs (never a
 * placeholder, never under --dry-run). */
void p4b_record(struct deploy *d, const char *key, const char *value);
/* "<name id>" placeholder for what a dry run did not create. */
void p4b_placeholder(char *dst, const char *name, const char *what);
int p4b_is_placeholder(const char *id);

void p4b_copy(char *dst, const char *src);   /* into a P4B_ID_SIZE buffer */

void p4b_deploy_init(struct deploy *d, struct p4b *c, const struct awsphase_host *h);
/* Frees what d holds and hands its resources to the report. */
void p4b_deploy_release(struct deploy *d);

/* After p4b_read: the ids of what exists (also written back to the env
 * file), and RDS_SG_ID / REDIS_SG_ID looked up when outside the VPC's
 * listing.  0 or an exit code. */
int p4b_known(struct deploy *d);
/* What deploy cannot change in place (target group port, protocol, VPC or
 * type; load balancer scheme or type): 1 after saying what to do, else 0. */
int p4b_conflicts(struct deploy *d);
/* Security group of the view or of extra_sgs by id. */
const cJSON *p4b_deploy_sg(const struct deploy *d, const char *id);

/* The resources, each called once per stage (1-4) while planning and
 * while applying; each adds the calls its stage needs (deploy-resources.c,
 * deploy-elb.c). */
void p4b_roles(struct deploy *d, int stage);
void p4b_security_groups(struct deploy *d, int stage);
void p4b_cluster(struct deploy *d, int stage);
void p4b_log_group(struct deploy *d, int stage);
void p4b_task_definition(struct deploy *d, int stage);
void p4b_target_group(struct deploy *d, int stage);
void p4b_load_balancer(struct deploy *d, int stage);
void p4b_listener(struct deploy *d, int stage);

/* The service stage of deploy (deploy-service.c): create, recreate or update
 * only what differs.  Also used by fix-sg with only_sg set: then it changes
 * nothing but the security groups (and forces a new deployment if asked). */
int p4b_service_stage(struct deploy *d, int only_sg);

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

/* preflight.c: the AWS checks deploy runs before its first change
 * (describe-subnets, ecr describe-images; route tables and VPC endpoints
 * for the private tier).  with_identity adds sts get-caller-identity.
 * 0, or 2 (bad input) / 3 (AWS) after one line per problem. */
int p4b_preflight_aws(struct p4b *c, int with_identity, int as_checks);

#endif
