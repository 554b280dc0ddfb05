/* Phase 4B's resources, declared for the host's resource engine
 * (<awsphase/engine.h>): the runbook's roles, security groups and rules,
 * cluster, log group, task definition, target group, load balancer,
 * listener and service, and what the read-only actions look at (target
 * health, tasks, logs, ENIs, the preflight's subnets and image).
 *
 *   key             kind            found by                           needs
 *   exec-role       IAM role        get-account-authorization-details  -
 *   task-role       IAM role        (the same answer)                  -
 *   db-secret       secret          describe-secret (+ its value)      -
 *   exec-policy     its inline      exec-role's item                   exec-role, db-secret
 *   task-policy     its inline      task-role's item                   task-role
 *   alb-sg          security group  describe-security-groups of VPC_ID -
 *   ecs-sg          security group  (the same answer)                  -
 *   alb-http        its rule        alb-sg's item                      alb-sg
 *   ecs-from-alb    its rule        ecs-sg's item                      alb-sg, ecs-sg
 *   rds-sg, redis-sg (data)         the VPC's groups, else by id       -
 *   rds-from-ecs, redis-from-ecs    their item                         ecs-sg
 *   cluster         cluster         describe-services (+ clusters)     -
 *   log-group       log group       describe-log-groups                -
 *   td              task definition describe-task-definition           roles, policies,
 *                                                                      log-group, db-secret
 *   tg              target group    describe-target-groups             -
 *   alb             load balancer   describe-load-balancers            alb-sg
 *   listener        listener        describe-listeners of the ALB      alb, tg
 *   service         service         describe-services                  all the above
 */
#ifndef P4B_STACK_H
#define P4B_STACK_H

#include <awsphase/engine.h>

#include "spec.h"

/* What one run of an action tells the resources' functions (e->ctx). */
struct p4b_run {
	struct p4b *c;
	int force;              /* deploy --force-new-deployment */
	int retention_days;     /* deploy --log-retention-days */
	int only_sg;            /* fix-sg: the service's security groups alone */
	long long logs_start_ms;/* the logs resource's window, epoch ms */
	const char *logs_filter;/* its --filter-pattern, or NULL */
	int tg_attrs;           /* read the target group's attributes (deploy always) */
};

extern const struct awsphase_stack_spec p4b_stack;

/* The keys of what teardown (and --all) act on, NULL-terminated.  What
 * --all adds goes after the runbook's own steps: p4b_after_runbook. */
extern const char *const p4b_teardown_keys[];
extern const char *const p4b_teardown_all_keys[];
extern const char *const p4b_after_runbook[];

/* Opens the stack over run's settings; NULL after reporting. */
struct awsphase_stack *p4b_open(const struct awsphase_host *h, struct p4b_run *run);

/* The resource tables of stack-*.c, each NULL-terminated in p4b_stack. */
extern const struct awsphase_resource p4b_exec_role, p4b_task_role;
extern const struct awsphase_resource p4b_db_secret, p4b_exec_policy, p4b_task_policy;
extern const struct awsphase_resource p4b_alb_sg, p4b_ecs_sg, p4b_alb_http, p4b_ecs_from_alb;
extern const struct awsphase_resource p4b_rds_sg, p4b_redis_sg, p4b_rds_from_ecs, p4b_redis_from_ecs;
extern const struct awsphase_resource p4b_cluster, p4b_log_group, p4b_td, p4b_service;
extern const struct awsphase_resource p4b_tg, p4b_alb, p4b_listener;
extern const struct awsphase_resource p4b_targets, p4b_tasks, p4b_stopped_tasks, p4b_logs_res;
extern const struct awsphase_resource p4b_service_td, p4b_enis;
extern const struct awsphase_resource p4b_subnets, p4b_image, p4b_route_tables,
	p4b_endpoints;

/* stack-iam.c: the database secret's ARN the task reads (DB_SECRET_ARN, else
 * the db-secret made from DB_PASSWORD; "" when neither), *json_keys set when
 * it is phase 3's JSON secret; the ARN of an SQS queue URL (0, or -1). */
const char *p4b_db_secret_arn(struct awsphase_res *r, int *json_keys);
int p4b_queue_arn(const char *url, const char *region, char *out, size_t size);

/* The target group's deregistration delay in the answer of
 * describe-target-group-attributes (the tg's read step 1), -1 when unknown. */
int p4b_dereg_delay(const cJSON *attributes);

/* The host of the run (set by the module's init; one run per process). */
extern const struct awsphase_host *p4b_h;
#define P4B_E (p4b_h->engine)

/* The run of a resource's function. */
static inline struct p4b_run *p4b_run_of(struct awsphase_res *r)
{
	return P4B_E->ctx(r);
}

#endif
