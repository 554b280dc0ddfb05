/* The settings of a run and the reads every action shares; the lookups are
 * in spec-lookup.c, the task definition and stop reasons in spec-taskdef.c. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"

/* An error in the settings; counts 1.  A macro, so that the format reaches
 * the host, which looks it up in the awsphase catalogue (po/xgettext.sh). */
#define bad(h, ...) ((h)->log(AWSPHASE_LOG_ERROR, __VA_ARGS__), 1)

/* Fargate's CPU/memory pairs: memory in [lo, hi] MiB in steps of step. */
static int fargate_size_ok(int cpu, int mem)
{
	static const struct { int cpu, lo, hi, step; } sizes[] = {
		{ 256, 512, 2048, 512 }, { 512, 1024, 4096, 1024 }, { 1024, 2048, 8192, 1024 },
		{ 2048, 4096, 16384, 1024 }, { 4096, 8192, 30720, 1024 },
		{ 8192, 16384, 61440, 4096 }, { 16384, 32768, 122880, 8192 },
	};
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (sizes[i].cpu == cpu)
			return mem >= sizes[i].lo && mem <= sizes[i].hi &&
			       (mem - sizes[i].lo) % sizes[i].step == 0;
	return 0;
}

/* The host's env_get strings live only until its next env_set (the file
 * is parsed again), and deploy writes keys back while it runs: the settings
 * are copied here.  One run per process; no allocation to free. */
static char arena[32768];
static size_t arena_used;

static const char *keep(const char *v)
{
	size_t n;

	if (!v)
		return NULL;
	n = strlen(v) + 1;
	if (arena_used + n > sizeof(arena))
		return NULL;
	memcpy(arena + arena_used, v, n);
	arena_used += n;
	return arena + arena_used - n;
}

static const char *get(const struct awsphase_host *h, const char *key)
{
	return keep(h->env_get(key));
}

static const char *need(const struct awsphase_host *h, const char *key, int *problems,
			const char *why)
{
	const char *v = get(h, key);

	if (!v || !*v) {
		*problems += bad(h, "%s: %s is not set; %s", h->settings->env_file, key, why);
		return NULL;
	}
	return v;
}

int p4b_config(const struct awsphase_host *h, struct p4b *c)
{
	const char *env = h->settings->env_file;
	const char *port, *count;
	int problems = 0;
	char *end;
	long n;

	memset(c, 0, sizeof(*c));
	arena_used = 0;
	c->h = h;
	/* settings->region may point into the env file too */
	c->region = keep(h->settings->region ? h->settings->region : h->env_get("AWS_REGION"));
	c->vpc = need(h, "VPC_ID", &problems, "add the VPC of phase 1 (vpc-…)");
	c->public_subnet[0] = need(h, "PUBLIC_SUBNET_1", &problems, "add a public subnet of phase 1");
	c->public_subnet[1] = need(h, "PUBLIC_SUBNET_2", &problems,
				   "add a second public subnet, in another AZ");
	c->private_subnet[0] = get(h, "PRIVATE_SUBNET_1");
	c->private_subnet[1] = get(h, "PRIVATE_SUBNET_2");
	c->ecr_uri = need(h, "ECR_URI", &problems, "add the image phase 4A pushed "
			  "(ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG)");
	c->rds_sg = get(h, "RDS_SG_ID");
	c->redis_sg = get(h, "REDIS_SG_ID");
	c->cluster = get(h, "ECS_CLUSTER");
	c->service = get(h, "ECS_SERVICE");
	c->family = get(h, "TASK_FAMILY");
	c->container = get(h, "CONTAINER_NAME");
	c->health_path = get(h, "HEALTH_PATH");
	c->tg_name = get(h, "TG_NAME");
	c->alb_name = get(h, "ALB_NAME");
	c->alb_sg_name = get(h, "ALB_SG_NAME");
	c->ecs_sg_name = get(h, "ECS_SG_NAME");
	c->log_group = get(h, "LOG_GROUP");
	c->exec_role = get(h, "EXEC_ROLE_NAME");
	c->task_role = get(h, "TASK_ROLE_NAME");
	c->cpu = get(h, "TASK_CPU");
	c->memory = get(h, "TASK_MEMORY");
	c->tier = get(h, "SUBNET_TIER");
	if (c->rds_sg && !*c->rds_sg)
		c->rds_sg = NULL;
	if (c->redis_sg && !*c->redis_sg)
		c->redis_sg = NULL;

	port = get(h, "CONTAINER_PORT");
	n = strtol(port ? port : "", &end, 10);
	if (!port || *end || n < 1 || n > 65535)
		problems += bad(h, "%s: CONTAINER_PORT=%s: not a port; give 1-65535 (the runbook's is 3001)",
				env, port ? port : "");
	c->port = (int)n;
	count = get(h, "DESIRED_COUNT");
	n = strtol(count ? count : "", &end, 10);
	if (!count || *end || n < 0 || n > 9999)
		problems += bad(h, "%s: DESIRED_COUNT=%s: not a task count; give 0-9999", env,
				count ? count : "");
	c->desired = (int)n;

	if (c->public_subnet[0] && c->public_subnet[1] &&
	    strcmp(c->public_subnet[0], c->public_subnet[1]) == 0)
		problems += bad(h, "%s: PUBLIC_SUBNET_1 and PUBLIC_SUBNET_2 are the same subnet; "
				"the ALB needs two, in different AZs", env);
	if (!c->tier || (strcmp(c->tier, "public") != 0 && strcmp(c->tier, "private") != 0))
		problems += bad(h, "%s: SUBNET_TIER=%s: give public or private", env,
				c->tier ? c->tier : "");
	else if (strcmp(c->tier, "private") == 0) {
		if (!c->private_subnet[0] || !*c->private_subnet[0] ||
		    !c->private_subnet[1] || !*c->private_subnet[1])
			problems += bad(h, "%s: SUBNET_TIER=private needs PRIVATE_SUBNET_1 and "
					"PRIVATE_SUBNET_2; add the private subnets of phase 1 or set "
					"SUBNET_TIER=public", env);
		else if (strcmp(c->private_subnet[0], c->private_subnet[1]) == 0)
			problems += bad(h, "%s: PRIVATE_SUBNET_1 and PRIVATE_SUBNET_2 are the same "
					"subnet; give two, in different AZs", env);
	}
	if (c->cpu && c->memory && !fargate_size_ok(atoi(c->cpu), atoi(c->memory)))
		problems += bad(h, "%s: TASK_CPU=%s with TASK_MEMORY=%s is not a Fargate size; "
				"e.g. 256 → 512-2048, 512 → 1024-4096, 1024 → 2048-8192 MiB "
				"(the runbook's: 512/1024)", env, c->cpu, c->memory);
	if (c->alb_sg_name && c->ecs_sg_name && strcmp(c->alb_sg_name, c->ecs_sg_name) == 0)
		problems += bad(h, "%s: ALB_SG_NAME and ECS_SG_NAME are both '%s'; the ALB and the "
				"tasks need two groups", env, c->alb_sg_name);
	if (c->exec_role && c->task_role && strcmp(c->exec_role, c->task_role) == 0)
		problems += bad(h, "%s: EXEC_ROLE_NAME and TASK_ROLE_NAME are both '%s'; give two roles",
				env, c->exec_role);
	if (c->health_path && strlen(c->health_path) > 1024)
		problems += bad(h, "%s: HEALTH_PATH is longer than 1024 characters", env);
	if (problems)
		return AWSPHASE_EXIT_USAGE;
	return 0;
}

/* ---- reads ---------------------------------------------------------------- */

static struct awsphase_call *own(struct p4b_view *v, const struct awsphase_host *h,
				 const char *service, const char *op)
{
	struct awsphase_call *call = h->call_new(service, op);

	if (v->nowned < sizeof(v->owned) / sizeof(v->owned[0]))
		v->owned[v->nowned++] = call;
	return call;
}

static void args(const struct awsphase_host *h, struct awsphase_call *call, ...)
{
	const char *a;
	va_list ap;

	va_start(ap, call);
	while ((a = va_arg(ap, const char *)))
		h->call_arg(call, a);
	va_end(ap);
}

static const cJSON *ok_json(const struct awsphase_host *h, struct awsphase_call *call)
{
	return call && h->call_state(call) == AWSPHASE_CALL_OK ? h->call_json(call) : NULL;
}

static const cJSON *first(const struct awsphase_host *h, const cJSON *doc, const char *key)
{
	const cJSON *a = h->json_get(doc, key);

	return cJSON_IsArray(a) ? cJSON_GetArrayItem(a, 0) : NULL;
}

static struct awsphase_call *listeners_call(struct p4b *c, struct p4b_view *v, const char *alb)
{
	struct awsphase_call *call = own(v, c->h, "elbv2", "describe-listeners");

	args(c->h, call, "--load-balancer-arn", alb, NULL);
	c->h->call_accept(call, "LoadBalancerNotFound");
	c->h->call_accept(call, "ListenerNotFound");
	return call;
}

static struct awsphase_call *targets_call(struct p4b *c, struct p4b_view *v, const char *tg)
{
	struct awsphase_call *call = own(v, c->h, "elbv2", "describe-target-health");

	args(c->h, call, "--target-group-arn", tg, NULL);
	c->h->call_accept(call, "TargetGroupNotFound");
	return call;
}

int p4b_read(struct p4b *c, unsigned what, struct p4b_view *v)
{
	memset(v, 0, sizeof(*v));
	v->h = c->h;
	return p4b_read_more(c, what, v);
}

int p4b_read_more(struct p4b *c, unsigned what, struct p4b_view *v)
{
	const struct awsphase_host *h = c->h;
	struct awsphase_call *batch[16], *svc = NULL, *td = NULL, *sgs = NULL, *tg = NULL,
		*alb = NULL, *lis = NULL, *lg = NULL, *iam = NULL, *th = NULL, *lt = NULL;
	const char *env_alb = h->env_get("ALB_ARN"), *env_tg = h->env_get("TG_ARN");
	const char *alb_arn, *tg_arn;
	const cJSON *doc, *item;
	size_t n = 0;
	int rc;

	what &= ~v->read;
	v->read |= what;
	if (what & P4B_SERVICE) {
		svc = batch[n++] = own(v, h, "ecs", "describe-services");
		args(h, svc, "--cluster", c->cluster, "--services", c->service, NULL);
		h->call_accept(svc, "ClusterNotFoundException");
	}
	if (what & P4B_TASKDEF) {
		td = batch[n++] = own(v, h, "ecs", "describe-task-definition");
		args(h, td, "--task-definition", c->family, NULL);
		h->call_accept(td, "ClientException"); /* "Unable to describe task definition." */
	}
	if (what & P4B_SGS) {
		sgs = batch[n++] = own(v, h, "ec2", "describe-security-groups");
		h->call_arg(sgs, "--filters");
		h->call_argf(sgs, "Name=vpc-id,Values=%s", c->vpc);
	}
	if (what & P4B_TG) {
		tg = batch[n++] = own(v, h, "elbv2", "describe-target-groups");
		args(h, tg, "--names", c->tg_name, NULL);
		h->call_accept(tg, "TargetGroupNotFound");
	}
	if (what & P4B_ALB) {
		alb = batch[n++] = own(v, h, "elbv2", "describe-load-balancers");
		args(h, alb, "--names", c->alb_name, NULL);
		h->call_accept(alb, "LoadBalancerNotFound");
	}
	if ((what & P4B_LISTENERS) && env_alb && *env_alb)
		lis = batch[n++] = listeners_call(c, v, env_alb);
	if (what & P4B_LOGGROUP) {
		lg = batch[n++] = own(v, h, "logs", "describe-log-groups");
		args(h, lg, "--log-group-name-prefix", c->log_group, NULL);
	}
	/* IAM in one call, not three: get-role for each role plus
	 * list-attached-role-policies would make a converged deploy read 10
	 * times instead of 8.  get-account-authorization-details --filter Role
	 * gives every role with its trust policy and attached managed policies;
	 * the price is a larger answer in an account with many roles (the CLI
	 * pages through it) and the iam:GetAccountAuthorizationDetails
	 * permission, which ReadOnlyAccess and SecurityAudit include. */
	if (what & P4B_ROLES) {
		iam = batch[n++] = own(v, h, "iam", "get-account-authorization-details");
		args(h, iam, "--filter", "Role", NULL);
	}
	if ((what & P4B_TARGETS) && env_tg && *env_tg)
		th = batch[n++] = targets_call(c, v, env_tg);
	if (what & P4B_TASKS) {
		lt = batch[n++] = own(v, h, "ecs", "list-tasks");
		args(h, lt, "--cluster", c->cluster, "--service-name", c->service, NULL);
		h->call_accept(lt, "ClusterNotFoundException");
		h->call_accept(lt, "ServiceNotFoundException");
	}
	v->calls += (int)n;
	rc = n ? h->call_run_all(batch, n) : 0;
	if (rc)
		return rc;

	if (svc) {
		v->cluster_missing = h->call_state(svc) == AWSPHASE_CALL_ACCEPTED;
		v->service = first(h, ok_json(h, svc), "services");
	}
	if (td) {
		v->taskdef = h->json_get(ok_json(h, td), "taskDefinition");
		/* a deregistered revision is none: a service cannot run it */
		if (h->json_str(v->taskdef, "status") &&
		    strcmp(h->json_str(v->taskdef, "status"), "ACTIVE") != 0)
			v->taskdef = NULL;
	}
	if (sgs)
		v->sgs = h->json_get(ok_json(h, sgs), "SecurityGroups");
	if (tg)
		v->tg = first(h, ok_json(h, tg), "TargetGroups");
	if (alb)
		v->alb = first(h, ok_json(h, alb), "LoadBalancers");
	if (lg) {
		cJSON_ArrayForEach(item, h->json_get(ok_json(h, lg), "logGroups")) {
			const char *name = h->json_str(item, "logGroupName");

			if (name && strcmp(name, c->log_group) == 0)
				v->log_group = item;
		}
	}
	if (iam)
		v->roles = h->json_get(ok_json(h, iam), "RoleDetailList");

	/* second round: what needs an ARN the first one found */
	n = 0;
	alb_arn = h->json_str(v->alb, "LoadBalancerArn");
	tg_arn = h->json_str(v->tg, "TargetGroupArn");
	if ((what & P4B_LISTENERS) && alb_arn && (!lis || strcmp(alb_arn, env_alb) != 0))
		lis = batch[n++] = listeners_call(c, v, alb_arn);
	if ((what & P4B_TARGETS) && (what & P4B_TG) && tg_arn && (!th || strcmp(tg_arn, env_tg) != 0))
		th = batch[n++] = targets_call(c, v, tg_arn);
	doc = ok_json(h, lt);
	if (cJSON_GetArraySize(h->json_get(doc, "taskArns")) > 0) {
		struct awsphase_call *dt = batch[n++] = own(v, h, "ecs", "describe-tasks");

		args(h, dt, "--cluster", c->cluster, "--tasks", NULL);
		cJSON_ArrayForEach(item, h->json_get(doc, "taskArns"))
			if (cJSON_IsString(item))
				h->call_arg(dt, item->valuestring);
		lt = dt;
	} else {
		lt = NULL;
	}
	v->calls += (int)n;
	rc = n ? h->call_run_all(batch, n) : 0;
	if (rc)
		return rc;
	if (lis && (!(what & P4B_ALB) || alb_arn))
		v->listeners = h->json_get(ok_json(h, lis), "Listeners");
	if (th && (!(what & P4B_TG) || tg_arn))
		v->targets = h->json_get(ok_json(h, th), "TargetHealthDescriptions");
	if (lt)
		v->tasks = h->json_get(ok_json(h, lt), "tasks");
	return 0;
}

void p4b_view_free(struct p4b_view *v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < v->nowned; i++)
		v->h->call_free(v->owned[i]);
	v->nowned = 0;
}

/* ---- resource kinds ---------------------------------------------------------------- */

/* The kinds deploy's and teardown's lines name, marked for the catalogue
 * (their results and verbs take the kind as context). */
static const char *const kinds[] = {
	N_("IAM role"), N_("role"), N_("security group"), N_("cluster"), N_("log group"),
	N_("task definition"), N_("target group"), N_("load balancer"), N_("listener"),
	N_("service"),
};

const char *p4b_kind_text(const struct awsphase_host *h, const char *kind)
{
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i], kind) == 0)
			return h->text(kinds[i]);
	return kind;
}

const char *p4b_text_for(const struct awsphase_host *h, const char *kind, const char *msgid)
{
	char key[700];
	const char *t;

	if ((size_t)snprintf(key, sizeof(key), "%s\004%s", kind, msgid) >= sizeof(key))
		return h->text(msgid);
	t = h->text(key);
	return t == key ? h->text(msgid) : t;
}
