/* Phase 4B's stack: the table of its resources, the IAM roles, the
 * security groups and their rules (stack.h lists them all). */
#include <stdio.h>
#include <string.h>

#include "stack.h"

const struct awsphase_host *p4b_h;

const struct awsphase_stack_spec p4b_stack = {
	AWSPHASE_STACK,
	.resources = (const struct awsphase_resource *const[]){
		&p4b_exec_role, &p4b_task_role, &p4b_db_secret, &p4b_exec_policy, &p4b_task_policy,
		&p4b_alb_sg, &p4b_ecs_sg, &p4b_alb_http,
		&p4b_ecs_from_alb, &p4b_rds_sg, &p4b_redis_sg, &p4b_rds_from_ecs, &p4b_redis_from_ecs,
		&p4b_cluster, &p4b_log_group, &p4b_td, &p4b_tg, &p4b_alb, &p4b_listener, &p4b_service,
		&p4b_targets, &p4b_tasks, &p4b_stopped_tasks, &p4b_logs_res, &p4b_service_td, &p4b_enis,
		&p4b_subnets, &p4b_image, &p4b_route_tables, &p4b_endpoints, NULL },
	/* no cluster and none of the keys deploy writes: a first deploy */
	.anchor = "cluster",
};

const char *const p4b_teardown_keys[] = { "service", "listener", "alb", "tg", NULL };
/* the runbook's "Rollback completo" ends with the target group */
const char *const p4b_after_runbook[] = { "tg", NULL };
const char *const p4b_teardown_all_keys[] = {
	"service", "listener", "alb", "tg", "exec-role", "task-role", "alb-sg", "ecs-sg", "alb-http",
	"ecs-from-alb", "rds-from-ecs", "redis-from-ecs", "rds-sg", "redis-sg", "cluster", "log-group",
	"td", NULL
};

/* What the engine says of two of 4B's kinds, with the kind as context, for
 * the catalogue: in Portuguese a role and a task definition are feminine
 * (the engine's words alone are masculine). */
static const char *const feminine[] __attribute__((unused)) = {
	NC_("IAM role", "created"), NC_("IAM role", "would create"), NC_("IAM role", "already there"),
	NC_("IAM role", "unchanged"), NC_("IAM role", "updated: %s"), NC_("IAM role", "would update: %s"),
	NC_("IAM role", "delete|deleted"),
	NC_("task definition", "registered"), NC_("task definition", "would register"),
	NC_("task definition", "registered: %s"), NC_("task definition", "would register: %s"),
	NC_("task definition", "unchanged"), NC_("task definition", "deregister|deregistered"),
};

struct awsphase_stack *p4b_open(const struct awsphase_host *h, struct p4b_run *run)
{
	return h->engine->open(&p4b_stack, run);
}

/* ---- IAM roles ------------------------------------------------------------------- */

/* The engine's kind (engine.h: trusts), found in one read:
 * get-account-authorization-details --filter Role gives every role with its
 * trust policy and attached policies, so a converged deploy reads 8 times,
 * not 10; the price is a larger answer in an account with many roles and
 * iam:GetAccountAuthorizationDetails, which ReadOnlyAccess and SecurityAudit
 * include. */
static const char *const exec_managed[] = { P4B_EXEC_POLICY_PATH, NULL };

#define ROLE(var, key_, name_, managed_)                                                         \
	const struct awsphase_resource var = {                                                   \
		AWSPHASE_RESOURCE, .key = key_, .kind = N_("IAM role"), .name = name_,           \
		.flags = AWSPHASE_RES_LAZY, .remove_after = p4b_after_runbook,                   \
		.trusts = P4B_TRUSTED_SERVICE, .managed = managed_,                              \
	}
ROLE(p4b_exec_role, "exec-role", "{EXEC_ROLE_NAME}", exec_managed);
ROLE(p4b_task_role, "task-role", "{TASK_ROLE_NAME}", NULL);

/* ---- security groups --------------------------------------------------------------- */

static const char *const sg_find[] = { "--filters", "Name=vpc-id,Values={VPC_ID}", NULL };
static const char *const sg_exists[] = { "InvalidGroup.Duplicate", NULL };
static const char *const sg_gone[] = { "InvalidGroup.NotFound", NULL };
static const char *const sg_busy[] = { "DependencyViolation", NULL };
static const char *const sg_by_id[] = { "--group-id", "{id}", NULL };
static const char *const alb_sg_create[] = { "--group-name", "{name}", "--description",
	"Kaviar ALB - HTTP 80 from the internet", "--vpc-id", "{VPC_ID}", NULL };
static const char *const ecs_sg_create[] = { "--group-name", "{name}", "--description",
	"Kaviar ECS tasks - port {CONTAINER_PORT} from the ALB", "--vpc-id", "{VPC_ID}", NULL };
static const struct awsphase_output alb_sg_out[] = { { "ALB_SG_ID", "GroupId" }, { NULL } };
static const struct awsphase_output ecs_sg_out[] = { { "ECS_SG_ID", "GroupId" }, { NULL } };

/* Before a 4B group goes: the rules other groups hold on it (the VPC's,
 * and RDS_SG_ID / REDIS_SG_ID outside it). */
static void sg_remove(struct awsphase_res *r)
{
	const cJSON *sg, *outside[2] = { P4B_E->item(r, "rds-sg"), P4B_E->item(r, "redis-sg") };
	size_t i;

	cJSON_ArrayForEach(sg, p4b_h->json_get(P4B_E->answer(r, 0), "SecurityGroups"))
		P4B_E->sg_revoke_naming(r, sg);
	for (i = 0; i < 2; i++) {
		const char *oid = p4b_h->json_str(outside[i], "GroupId");
		int listed = 0;

		cJSON_ArrayForEach(sg, p4b_h->json_get(P4B_E->answer(r, 0), "SecurityGroups"))
			listed |= oid && p4b_h->json_str(sg, "GroupId") &&
				  strcmp(oid, p4b_h->json_str(sg, "GroupId")) == 0;
		if (oid && !listed)
			P4B_E->sg_revoke_naming(r, outside[i]);
	}
}

/* kaviar-ecs-sg: the runbook lets only the ALB in. */
static int ecs_sg_pick(struct awsphase_res *r, const cJSON *answer, int step, const cJSON **item)
{
	const struct p4b *c = p4b_run_of(r)->c;

	*item = P4B_E->select(r, answer);
	if (*item && P4B_E->mode(r) == AWSPHASE_MODE_DEPLOY &&
	    P4B_E->sg_allows(*item, c->port, NULL, "0.0.0.0/0"))
		p4b_h->log(AWSPHASE_LOG_WARN, "%s also lets tcp %d in from 0.0.0.0/0; the runbook lets "
			   "only %s in: aws ec2 revoke-security-group-ingress --group-id %s --protocol "
			   "tcp --port %d --cidr 0.0.0.0/0", c->ecs_sg_name, c->port, c->alb_sg_name,
			   p4b_str(*item, "GroupId"), c->port);
	return *item ? AWSPHASE_FOUND : AWSPHASE_ABSENT;
}

#define SECURITY_GROUP(var, key_, name_, create_, out_, pick_)                                   \
	const struct awsphase_resource var = {                                                   \
		AWSPHASE_RESOURCE, .key = key_, .kind = N_("security group"), .name = name_,     \
		.find = { "ec2", "describe-security-groups", sg_find },                          \
		.list = "SecurityGroups", .match = "GroupName", .pick = pick_, .id = "GroupId",  \
		.show = "{.GroupId}", .outputs = out_,                                           \
		.create = { "ec2", "create-security-group", create_, sg_exists }, .created = "", \
		.remove = { "ec2", "delete-security-group", sg_by_id, sg_gone, sg_busy },        \
		.remove_fn = sg_remove, .remove_after = p4b_after_runbook,                       \
	}
SECURITY_GROUP(p4b_alb_sg, "alb-sg", "{ALB_SG_NAME}", alb_sg_create, alb_sg_out, NULL);
SECURITY_GROUP(p4b_ecs_sg, "ecs-sg", "{ECS_SG_NAME}", ecs_sg_create, ecs_sg_out, ecs_sg_pick);

/* RDS_SG_ID and REDIS_SG_ID (phase 3): in the VPC's listing, else read by
 * id — a group elsewhere is reachable only through peering; none is bad
 * input. */
static int data_sg_pick(struct awsphase_res *r, const cJSON *answer, int step, const cJSON **item)
{
	const struct p4b *c = p4b_run_of(r)->c;
	const char *key = strcmp(P4B_E->name(r), c->rds_sg ? c->rds_sg : "") == 0 ? "RDS_SG_ID" :
			  "REDIS_SG_ID";
	static const char *const none[] = { "InvalidGroup.NotFound", "InvalidGroupId.Malformed", NULL };
	struct awsphase_call *call;

	*item = P4B_E->select(r, answer);
	if (*item && step == 1)
		p4b_h->log(AWSPHASE_LOG_WARN, "%s=%s is in %s, not in VPC_ID=%s: a rule from %s "
			   "reaches it only through VPC peering", key, P4B_E->name(r),
			   p4b_h->json_str(*item, "VpcId") ? p4b_h->json_str(*item, "VpcId") :
			   "another VPC", c->vpc, c->ecs_sg_name);
	if (*item)
		return AWSPHASE_FOUND;
	if (step == 0) {
		call = P4B_E->again(r, "ec2", "describe-security-groups", none);
		P4B_E->args(r, call, "--group-ids", "{name}", NULL);
		return AWSPHASE_AGAIN;
	}
	p4b_h->log(AWSPHASE_LOG_ERROR, "%s=%s: no such security group in %s; fix %s in %s (phase 3) "
		   "or remove the key", key, P4B_E->name(r), c->region, key, p4b_h->settings->env_file);
	return -AWSPHASE_EXIT_USAGE;
}

#define DATA_SG(var, key_, envkey)                                                               \
	const struct awsphase_resource var = {                                                   \
		AWSPHASE_RESOURCE, .key = key_, .kind = N_("security group"),                    \
		.name = "{" envkey "}", .label = "{.GroupName}", .show = "{.GroupId}",           \
		.flags = AWSPHASE_RES_DATA, .only_if = envkey,                                   \
		.find = { "ec2", "describe-security-groups", sg_find },                          \
		.list = "SecurityGroups", .match = "GroupId", .pick = data_sg_pick,              \
		.id = "GroupId",                                                                 \
	}
DATA_SG(p4b_rds_sg, "rds-sg", "RDS_SG_ID");
DATA_SG(p4b_redis_sg, "redis-sg", "REDIS_SG_ID");

/* ---- ingress rules: parts of their groups ------------------------------------------ */

/* The engine's kind (engine.h: ingress_port): tcp port from a group, or
 * from 0.0.0.0/0. */
static const char *const needs_alb_sg[] = { "alb-sg", NULL };
static const char *const needs_both_sgs[] = { "alb-sg", "ecs-sg", NULL };
static const char *const needs_ecs_sg[] = { "ecs-sg", NULL };

#define RULE(var, key_, parent, only, needs_, port, from_)                                       \
	const struct awsphase_resource var = {                                                   \
		AWSPHASE_RESOURCE, .key = key_, .kind = N_("security group"), .name = key_,      \
		.only_if = only, .needs = needs_, .part_of = parent, .from = parent,             \
		.read_after = needs_, .ingress_port = port, .ingress_from = from_,               \
	}
RULE(p4b_alb_http, "alb-http", "alb-sg", NULL, needs_alb_sg, "80", NULL);
RULE(p4b_ecs_from_alb, "ecs-from-alb", "ecs-sg", NULL, needs_both_sgs, "{CONTAINER_PORT}", "alb-sg");
RULE(p4b_rds_from_ecs, "rds-from-ecs", "rds-sg", "RDS_SG_ID", needs_ecs_sg, "5432", "ecs-sg");
RULE(p4b_redis_from_ecs, "redis-from-ecs", "redis-sg", "REDIS_SG_ID", needs_ecs_sg, "6379",
     "ecs-sg");
