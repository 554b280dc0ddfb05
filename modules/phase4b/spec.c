/* The settings of a run, the reads every action shares, and what the
 * runbook's resources should look like. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"

static int bad(const struct awsphase_host *h, const char *fmt, ...) AWSPHASE_PRINTF(2, 3);

static int bad(const struct awsphase_host *h, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	h->log(AWSPHASE_LOG_ERROR, "%s", msg);
	return 1;
}

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
	const struct awsphase_host *h = c->h;
	struct awsphase_call *batch[16], *svc = NULL, *td = NULL, *sgs = NULL, *tg = NULL,
		*alb = NULL, *lis = NULL, *lg = NULL, *iam = NULL, *th = NULL, *lt = NULL;
	const char *env_alb = h->env_get("ALB_ARN"), *env_tg = h->env_get("TG_ARN");
	const char *alb_arn, *tg_arn;
	const cJSON *doc, *item;
	size_t n = 0;
	int rc;

	memset(v, 0, sizeof(*v));
	v->h = h;
	v->read = what;
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
	if (td)
		v->taskdef = h->json_get(ok_json(h, td), "taskDefinition");
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

/* ---- lookups --------------------------------------------------------------- */

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

static int str_is(const cJSON *o, const char *key, const char *want)
{
	const char *s = str(o, key);

	return s && want && strcmp(s, want) == 0;
}

int p4b_json_has(const cJSON *array, const char *s)
{
	const cJSON *item;

	cJSON_ArrayForEach(item, array)
		if (cJSON_IsString(item) && item->valuestring && s && strcmp(item->valuestring, s) == 0)
			return 1;
	return 0;
}

int p4b_json_same_set(const cJSON *a, const char *const *b, size_t nb)
{
	const cJSON *item;
	size_t i;

	for (i = 0; i < nb; i++)
		if (b[i] && !p4b_json_has(a, b[i]))
			return 0;
	cJSON_ArrayForEach(item, a) {
		int found = 0;

		for (i = 0; i < nb && !found; i++)
			found = cJSON_IsString(item) && b[i] && strcmp(item->valuestring, b[i]) == 0;
		if (!found)
			return 0;
	}
	return 1;
}

const cJSON *p4b_sg_named(const struct p4b_view *v, const char *name)
{
	const cJSON *sg;

	cJSON_ArrayForEach(sg, v->sgs)
		if (str_is(sg, "GroupName", name))
			return sg;
	return NULL;
}

const cJSON *p4b_sg_by_id(const struct p4b_view *v, const char *id)
{
	const cJSON *sg;

	cJSON_ArrayForEach(sg, v->sgs)
		if (str_is(sg, "GroupId", id))
			return sg;
	return NULL;
}

const char *p4b_sg_id(const cJSON *sg)
{
	return str(sg, "GroupId");
}

static int rule_covers(const cJSON *perm, int port)
{
	const char *proto = str(perm, "IpProtocol");
	const cJSON *from = cJSON_GetObjectItemCaseSensitive(perm, "FromPort");
	const cJSON *to = cJSON_GetObjectItemCaseSensitive(perm, "ToPort");

	if (!proto)
		return 0;
	if (strcmp(proto, "-1") == 0 || strcmp(proto, "all") == 0)
		return 1;
	if (strcmp(proto, "tcp") != 0 && strcmp(proto, "6") != 0)
		return 0;
	return cJSON_IsNumber(from) && cJSON_IsNumber(to) && from->valueint <= port &&
	       port <= to->valueint;
}

int p4b_sg_allows(const cJSON *sg, int port, const char *src_sg, const char *cidr)
{
	const cJSON *perm, *item;

	cJSON_ArrayForEach(perm, cJSON_GetObjectItemCaseSensitive(sg, "IpPermissions")) {
		if (!rule_covers(perm, port))
			continue;
		if (src_sg)
			cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(perm, "UserIdGroupPairs"))
				if (str_is(item, "GroupId", src_sg))
					return 1;
		if (cidr)
			cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(perm, "IpRanges"))
				if (str_is(item, "CidrIp", cidr))
					return 1;
	}
	return 0;
}

const cJSON *p4b_role(const struct p4b_view *v, const char *name)
{
	const cJSON *role;

	cJSON_ArrayForEach(role, v->roles)
		if (str_is(role, "RoleName", name))
			return role;
	return NULL;
}

static int hexval(int ch)
{
	return isdigit(ch) ? ch - '0' : tolower(ch) - 'a' + 10;
}

/* IAM documents arrive decoded from both CLIs; a URL-encoded string is
 * what the API itself sends, so take that too. */
static cJSON *policy_doc(const cJSON *v)
{
	const char *s;
	char *dec, *d;
	cJSON *doc;

	if (cJSON_IsObject(v))
		return cJSON_Duplicate(v, 1);
	if (!cJSON_IsString(v) || !v->valuestring)
		return NULL;
	s = v->valuestring;
	dec = d = malloc(strlen(s) + 1);
	if (!dec)
		return NULL;
	while (*s) {
		if (s[0] == '%' && isxdigit((unsigned char)s[1]) && isxdigit((unsigned char)s[2])) {
			*d++ = (char)(hexval((unsigned char)s[1]) * 16 + hexval((unsigned char)s[2]));
			s += 3;
		} else {
			*d++ = *s == '+' ? ' ' : *s;
			s++;
		}
	}
	*d = '\0';
	doc = cJSON_Parse(dec);
	free(dec);
	return doc;
}

static int one_or_many_has(const cJSON *v, const char *want)
{
	if (cJSON_IsString(v))
		return strcmp(v->valuestring, want) == 0;
	return p4b_json_has(v, want);
}

int p4b_role_trusts_ecs_tasks(const cJSON *role)
{
	cJSON *doc = policy_doc(cJSON_GetObjectItemCaseSensitive(role, "AssumeRolePolicyDocument"));
	const cJSON *stmts, *st;
	int ok = 0;

	if (!doc)
		return 0;
	stmts = cJSON_GetObjectItemCaseSensitive(doc, "Statement");
	if (cJSON_IsObject(stmts)) {
		ok = str_is(stmts, "Effect", "Allow") &&
		     one_or_many_has(cJSON_GetObjectItemCaseSensitive(stmts, "Action"), "sts:AssumeRole") &&
		     one_or_many_has(cJSON_GetObjectItemCaseSensitive(
			     cJSON_GetObjectItemCaseSensitive(stmts, "Principal"), "Service"),
			     P4B_TRUSTED_SERVICE);
	} else {
		cJSON_ArrayForEach(st, stmts) {
			const cJSON *principal = cJSON_GetObjectItemCaseSensitive(st, "Principal");

			if (str_is(st, "Effect", "Allow") &&
			    one_or_many_has(cJSON_GetObjectItemCaseSensitive(st, "Action"), "sts:AssumeRole") &&
			    one_or_many_has(cJSON_GetObjectItemCaseSensitive(principal, "Service"),
					    P4B_TRUSTED_SERVICE))
				ok = 1;
		}
	}
	cJSON_Delete(doc);
	return ok;
}

int p4b_role_has_policy(const cJSON *role, const char *policy_arn)
{
	const cJSON *p;

	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(role, "AttachedManagedPolicies"))
		if (str_is(p, "PolicyArn", policy_arn))
			return 1;
	return 0;
}

const char *p4b_partition(const char *region)
{
	if (region && strncmp(region, "cn-", 3) == 0)
		return "aws-cn";
	if (region && strncmp(region, "us-gov-", 7) == 0)
		return "aws-us-gov";
	return "aws";
}

const char *p4b_exec_policy_arn(const struct p4b *c)
{
	static char arn[128];

	snprintf(arn, sizeof(arn), "arn:%s:" P4B_EXEC_POLICY, p4b_partition(c->region));
	return arn;
}

const char *p4b_trust_policy(void)
{
	return "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
	       "\"Principal\":{\"Service\":\"" P4B_TRUSTED_SERVICE "\"},"
	       "\"Action\":\"sts:AssumeRole\"}]}";
}

const cJSON *p4b_listener_on(const struct p4b_view *v, int port)
{
	const cJSON *l;

	cJSON_ArrayForEach(l, v->listeners) {
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(l, "Port");

		if (cJSON_IsNumber(p) && p->valueint == port)
			return l;
	}
	return NULL;
}

int p4b_listener_forwards_to(const cJSON *listener, const char *tg_arn)
{
	const cJSON *actions = cJSON_GetObjectItemCaseSensitive(listener, "DefaultActions");
	const cJSON *a = cJSON_GetArrayItem(actions, 0), *groups, *g;

	if (cJSON_GetArraySize(actions) != 1 || !str_is(a, "Type", "forward"))
		return 0;
	if (str(a, "TargetGroupArn"))
		return str_is(a, "TargetGroupArn", tg_arn);
	groups = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(a, "ForwardConfig"),
						  "TargetGroups");
	if (cJSON_GetArraySize(groups) != 1)
		return 0;
	g = cJSON_GetArrayItem(groups, 0);
	return str_is(g, "TargetGroupArn", tg_arn);
}

int p4b_targets_in(const cJSON *targets, const char *state)
{
	const cJSON *t;
	int n = 0;

	cJSON_ArrayForEach(t, targets)
		if (str_is(cJSON_GetObjectItemCaseSensitive(t, "TargetHealth"), "State", state))
			n++;
	return n;
}

const char *p4b_targets_reason(const cJSON *targets, const char *state)
{
	const cJSON *t;

	cJSON_ArrayForEach(t, targets) {
		const cJSON *th = cJSON_GetObjectItemCaseSensitive(t, "TargetHealth");

		if (str_is(th, "State", state) && str(th, "Reason"))
			return str(th, "Reason");
	}
	return NULL;
}

const cJSON *p4b_primary(const cJSON *service)
{
	const cJSON *d;

	cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(service, "deployments"))
		if (str_is(d, "status", "PRIMARY"))
			return d;
	return NULL;
}

const cJSON *p4b_awsvpc(const cJSON *o)
{
	return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o,
		"networkConfiguration"), "awsvpcConfiguration");
}

void p4b_task_subnets(const struct p4b *c, const char *out[2])
{
	int priv = c->tier && strcmp(c->tier, "private") == 0;

	out[0] = priv ? c->private_subnet[0] : c->public_subnet[0];
	out[1] = priv ? c->private_subnet[1] : c->public_subnet[1];
}

const char *p4b_assign_public_ip(const struct p4b *c)
{
	return c->tier && strcmp(c->tier, "private") == 0 ? "DISABLED" : "ENABLED";
}

/* ---- the task definition ----------------------------------------------------- */

static void add_env(const struct p4b *c, cJSON *env, const char *name, const char *value)
{
	cJSON *kv;

	(void)c;
	if (!value || !*value)
		return;
	kv = cJSON_CreateObject();
	cJSON_AddStringToObject(kv, "name", name);
	cJSON_AddStringToObject(kv, "value", value);
	cJSON_AddItemToArray(env, kv);
}

cJSON *p4b_taskdef_want(const struct p4b *c, const char *exec_role_arn,
			const char *task_role_arn, const cJSON *keep_from)
{
	static const char *const phase3[] = {
		"RDS_ENDPOINT", "REDIS_ENDPOINT", "S3_BUCKET", "SQS_QUEUE_URL", NULL
	};
	const struct awsphase_host *h = c->h;
	cJSON *td = cJSON_CreateObject(), *defs, *ct, *a, *pm, *lc, *opts, *env;
	const cJSON *secrets;
	char port[16];
	size_t i;

	snprintf(port, sizeof(port), "%d", c->port);
	cJSON_AddStringToObject(td, "family", c->family);
	cJSON_AddStringToObject(td, "networkMode", "awsvpc");
	a = cJSON_AddArrayToObject(td, "requiresCompatibilities");
	cJSON_AddItemToArray(a, cJSON_CreateString("FARGATE"));
	cJSON_AddStringToObject(td, "cpu", c->cpu);
	cJSON_AddStringToObject(td, "memory", c->memory);
	cJSON_AddStringToObject(td, "executionRoleArn", exec_role_arn);
	cJSON_AddStringToObject(td, "taskRoleArn", task_role_arn);
	defs = cJSON_AddArrayToObject(td, "containerDefinitions");
	ct = cJSON_CreateObject();
	cJSON_AddItemToArray(defs, ct);
	cJSON_AddStringToObject(ct, "name", c->container);
	cJSON_AddStringToObject(ct, "image", c->ecr_uri);
	cJSON_AddBoolToObject(ct, "essential", 1);
	a = cJSON_AddArrayToObject(ct, "portMappings");
	pm = cJSON_CreateObject();
	cJSON_AddNumberToObject(pm, "containerPort", c->port);
	cJSON_AddStringToObject(pm, "protocol", "tcp");
	cJSON_AddItemToArray(a, pm);
	env = cJSON_AddArrayToObject(ct, "environment");
	add_env(c, env, "NODE_ENV", "production");
	add_env(c, env, "PORT", port);
	for (i = 0; phase3[i]; i++)
		add_env(c, env, phase3[i], h->env_get(phase3[i]));
	add_env(c, env, "AWS_REGION", c->region);
	lc = cJSON_AddObjectToObject(ct, "logConfiguration");
	cJSON_AddStringToObject(lc, "logDriver", "awslogs");
	opts = cJSON_AddObjectToObject(lc, "options");
	cJSON_AddStringToObject(opts, "awslogs-group", c->log_group);
	cJSON_AddStringToObject(opts, "awslogs-region", c->region);
	cJSON_AddStringToObject(opts, "awslogs-stream-prefix", P4B_LOG_STREAM_PREFIX);
	secrets = h->json_get(keep_from, "containerDefinitions.0.secrets");
	if (cJSON_GetArraySize(secrets) > 0)
		cJSON_AddItemToObject(ct, "secrets", cJSON_Duplicate(secrets, 1));
	return td;
}

static void why_add(char *why, size_t size, const char *fmt, ...) AWSPHASE_PRINTF(3, 4);

static void why_add(char *why, size_t size, const char *fmt, ...)
{
	size_t len = strlen(why);
	va_list ap;

	if (len + 4 >= size)
		return;
	if (len)
		len += (size_t)snprintf(why + len, size - len, ", ");
	va_start(ap, fmt);
	vsnprintf(why + len, size - len, fmt, ap);
	va_end(ap);
}

static void cmp_str(const cJSON *want, const cJSON *have, const char *key, const char *label,
		    char *why, size_t size, int *differs)
{
	const char *w = str(want, key), *h = str(have, key);

	if (!w || (h && strcmp(w, h) == 0))
		return;
	*differs = 1;
	why_add(why, size, "%s %s → %s", label, h ? h : "(none)", w);
}

/* name=value pairs of an array of {name, value} (or of an options object)
 * as one sorted, newline-separated string, for comparing as sets. */
static char *pairs(const cJSON *o)
{
	const cJSON *item;
	char **lines = NULL, *out;
	size_t n = 0, len = 1, i, j;

	cJSON_ArrayForEach(item, o) {
		const char *k = cJSON_IsObject(item) ? str(item, "name") : item->string;
		const char *v = cJSON_IsObject(item) ? str(item, "value") :
				cJSON_IsString(item) ? item->valuestring : NULL;
		char **grown = realloc(lines, (n + 1) * sizeof(*lines));
		size_t sz = strlen(k ? k : "") + strlen(v ? v : "") + 3;

		if (!grown)
			break;
		lines = grown;
		lines[n] = malloc(sz);
		if (!lines[n])
			break;
		snprintf(lines[n], sz, "%s=%s\n", k ? k : "", v ? v : "");
		len += sz;
		n++;
	}
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(lines[j - 1], lines[j]) > 0; j--) {
			char *t = lines[j];

			lines[j] = lines[j - 1];
			lines[j - 1] = t;
		}
	out = malloc(len);
	if (out) {
		out[0] = '\0';
		for (i = 0; i < n; i++)
			strcat(out, lines[i]);
	}
	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	return out;
}

static int same_pairs(const cJSON *a, const cJSON *b)
{
	char *x = pairs(a), *y = pairs(b);
	int same = x && y && strcmp(x, y) == 0;

	free(x);
	free(y);
	return same;
}

int p4b_taskdef_differs(const cJSON *want, const cJSON *have, char *why, size_t why_size)
{
	const cJSON *wc, *hc, *wp, *hp, *ess, *hl, *wl;
	int differs = 0;

	why[0] = '\0';
	if (!have) {
		snprintf(why, why_size, "no ACTIVE revision");
		return 1;
	}
	cmp_str(want, have, "networkMode", "network mode", why, why_size, &differs);
	if (!p4b_json_has(cJSON_GetObjectItemCaseSensitive(have, "requiresCompatibilities"), "FARGATE")) {
		differs = 1;
		why_add(why, why_size, "not FARGATE-compatible");
	}
	cmp_str(want, have, "cpu", "cpu", why, why_size, &differs);
	cmp_str(want, have, "memory", "memory", why, why_size, &differs);
	cmp_str(want, have, "executionRoleArn", "execution role", why, why_size, &differs);
	cmp_str(want, have, "taskRoleArn", "task role", why, why_size, &differs);
	wc = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(want, "containerDefinitions"), 0);
	hc = cJSON_GetObjectItemCaseSensitive(have, "containerDefinitions");
	if (cJSON_GetArraySize(hc) != 1) {
		why_add(why, why_size, "%d containers → 1", cJSON_GetArraySize(hc));
		return 1;
	}
	hc = cJSON_GetArrayItem(hc, 0);
	cmp_str(wc, hc, "name", "container", why, why_size, &differs);
	cmp_str(wc, hc, "image", "image", why, why_size, &differs);
	ess = cJSON_GetObjectItemCaseSensitive(hc, "essential");
	if (cJSON_IsFalse(ess)) {
		differs = 1;
		why_add(why, why_size, "container not essential");
	}
	wp = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(wc, "portMappings"), 0);
	hp = cJSON_GetObjectItemCaseSensitive(hc, "portMappings");
	if (cJSON_GetArraySize(hp) != 1 ||
	    cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(hp, 0), "containerPort")->valueint !=
	    cJSON_GetObjectItemCaseSensitive(wp, "containerPort")->valueint ||
	    (str(cJSON_GetArrayItem(hp, 0), "protocol") &&
	     !str_is(cJSON_GetArrayItem(hp, 0), "protocol", "tcp"))) {
		differs = 1;
		why_add(why, why_size, "port mappings");
	}
	if (!same_pairs(cJSON_GetObjectItemCaseSensitive(wc, "environment"),
			cJSON_GetObjectItemCaseSensitive(hc, "environment"))) {
		differs = 1;
		why_add(why, why_size, "environment");
	}
	wl = cJSON_GetObjectItemCaseSensitive(wc, "logConfiguration");
	hl = cJSON_GetObjectItemCaseSensitive(hc, "logConfiguration");
	if (!str_is(hl, "logDriver", "awslogs") ||
	    !same_pairs(cJSON_GetObjectItemCaseSensitive(wl, "options"),
			cJSON_GetObjectItemCaseSensitive(hl, "options"))) {
		differs = 1;
		why_add(why, why_size, "log configuration");
	}
	return differs;
}

/* ---- secrets ------------------------------------------------------------------- */

static int declared(const char *key)
{
	const struct awsphase_envvar *v;

	for (v = p4b_env; v->key; v++)
		if (strcmp(v->key, key) == 0)
			return 1;
	return 0;
}

/* The host lists no keys, so the names come from the file itself; the
 * values are skipped unread. */
int p4b_warn_secrets(const struct p4b *c)
{
	const struct awsphase_host *h = c->h;
	const char *path = h->settings->env_file;
	char line[4096], key[256];
	FILE *f = path ? fopen(path, "r") : NULL;
	int n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		const char *p = line;
		size_t k = 0;

		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, "export", 6) == 0 && (p[6] == ' ' || p[6] == '\t'))
			for (p += 6; *p == ' ' || *p == '\t'; p++)
				;
		while ((isalnum((unsigned char)*p) || *p == '_') && k + 1 < sizeof(key))
			key[k++] = *p++;
		key[k] = '\0';
		if (!k || *p != '=' || declared(key) ||
		    h->match("(?i)PASSWORD|SECRET|TOKEN|PRIVATE", key) != 1)
			continue;
		n++;
		h->log(AWSPHASE_LOG_WARN, "%s: %s is a secret and is not passed to the task in plain "
		       "environment; store it in Secrets Manager or SSM Parameter Store and reference "
		       "it under the container's `secrets` (valueFrom) in task definition %s",
		       path, key, c->family);
	}
	fclose(f);
	return n;
}

/* ---- stopped reasons and the runbook's fixes -------------------------------------- */

static int has(const char *s, const char *needle)
{
	return s && strstr(s, needle) != NULL;
}

int p4b_reason_is_fatal(const char *reason)
{
	return has(reason, "CannotPullContainerError") || has(reason, "ResourceInitializationError") ||
	       has(reason, "unable to assume the role") || has(reason, "CannotStartContainerError") ||
	       has(reason, "AccessDenied");
}

static int is_public_subnet(const struct p4b *c, const char *subnet)
{
	return subnet && ((c->public_subnet[0] && strcmp(subnet, c->public_subnet[0]) == 0) ||
			  (c->public_subnet[1] && strcmp(subnet, c->public_subnet[1]) == 0));
}

const char *p4b_reason_fix(const struct p4b *c, const char *reason,
			   const char *assign_public_ip, const char *subnet)
{
	static char fix[1024];
	int iam = has(reason, "AccessDenied") || has(reason, "unable to assume the role") ||
		  has(reason, "not authorized to perform") || has(reason, "no basic auth credentials");
	int public_ip = assign_public_ip && strcmp(assign_public_ip, "ENABLED") == 0;
	int public_subnet = subnet ? is_public_subnet(c, subnet) :
			    !(c->tier && strcmp(c->tier, "private") == 0);

	if (!reason)
		return NULL;
	if (iam)
		snprintf(fix, sizeof(fix), "check the IAM roles %s (trusting %s, with "
			 "AmazonECSTaskExecutionRolePolicy attached) and %s; awsphase 4b deploy "
			 "creates and repairs them", c->exec_role, P4B_TRUSTED_SERVICE, c->task_role);
	else if (has(reason, "CannotPullContainerError"))
		snprintf(fix, sizeof(fix), "the image cannot be pulled: check ECR_URI in %s (%s) and "
			 "that phase 4A pushed it (aws ecr describe-images)", c->h->settings->env_file,
			 c->ecr_uri);
	else if (has(reason, "ResourceInitializationError") && has(reason, "log group does not exist"))
		snprintf(fix, sizeof(fix), "the log group %s is missing: awsphase 4b deploy creates it",
			 c->log_group);
	else if (has(reason, "ResourceInitializationError") && public_subnet && !public_ip)
		snprintf(fix, sizeof(fix), "tasks in a public subnet need assignPublicIp=ENABLED to "
			 "reach ECR and CloudWatch Logs (runbook: \"Subnets públicas\"); "
			 "awsphase 4b deploy sets it for SUBNET_TIER=public");
	else if (has(reason, "ResourceInitializationError") && !public_subnet)
		snprintf(fix, sizeof(fix), "tasks in private subnets need a NAT gateway or VPC "
			 "endpoints (ECR api/dkr, CloudWatch Logs, S3) to reach ECR and CloudWatch Logs; "
			 "add them (awsphase 4b preflight checks) or set SUBNET_TIER=public");
	else if (has(reason, "ResourceInitializationError"))
		snprintf(fix, sizeof(fix), "the task cannot reach ECR or CloudWatch Logs: check the "
			 "subnet's route to the internet gateway, the security group's egress on 443 "
			 "and assignPublicIp=ENABLED");
	else if (has(reason, "ELB health checks") || has(reason, "Target.Timeout"))
		snprintf(fix, sizeof(fix), "the ALB gets no answer on port %d at %s: if targets show "
			 "Target.Timeout, %s lacks the rule from %s (run fix-ecs-sg.sh / awsphase 4b "
			 "fix-sg); else check HEALTH_PATH", c->port, c->health_path, c->ecs_sg_name,
			 c->alb_sg_name);
	else if (has(reason, "Essential container in task exited") || has(reason, "OutOfMemory"))
		snprintf(fix, sizeof(fix), "the container exited: read its logs with aws logs tail %s "
			 "--since 5m (awsphase 4b logs)", c->log_group);
	else
		return NULL;
	return fix;
}
