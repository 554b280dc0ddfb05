/* What the runbook's task definition holds and how a revision compares to
 * it; secrets kept out of it; the runbook's fix for a task that stopped. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "stack.h"

static void add_env(cJSON *env, const char *name, const char *value)
{
	cJSON *kv;

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
	add_env(env, "NODE_ENV", "production");
	add_env(env, "PORT", port);
	for (i = 0; phase3[i]; i++)
		add_env(env, phase3[i], h->env_get(phase3[i]));
	add_env(env, "AWS_REGION", c->region);
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

static void set_secret(cJSON *secrets, const char *name, const char *arn, const char *json_key)
{
	cJSON *s, *next;
	char from[2048];

	for (s = secrets ? secrets->child : NULL; s; s = next) {
		next = s->next;
		if (p4b_str_is(s, "name", name))
			cJSON_Delete(cJSON_DetachItemViaPointer(secrets, s));
	}
	if (json_key)
		snprintf(from, sizeof(from), "%s:%s::", arn, json_key);
	else
		snprintf(from, sizeof(from), "%s", arn);
	s = cJSON_CreateObject();
	cJSON_AddStringToObject(s, "name", name);
	cJSON_AddStringToObject(s, "valueFrom", from);
	cJSON_AddItemToArray(secrets, s);
}

void p4b_taskdef_db_secret(cJSON *td, const char *arn, int json_keys)
{
	cJSON *ct = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(td, "containerDefinitions"), 0);
	cJSON *secrets = cJSON_GetObjectItemCaseSensitive(ct, "secrets");

	if (!ct || !arn || !*arn)
		return;
	if (!secrets)
		secrets = cJSON_AddArrayToObject(ct, "secrets");
	/* the RDS-managed secret is JSON: username and password */
	set_secret(secrets, "DB_PASSWORD", arn, json_keys ? "password" : NULL);
	if (json_keys)
		set_secret(secrets, "DB_USERNAME", arn, "username");
}

/* 1 when want sets key and have holds another value; *w and *o are the two
 * ("(none)" for a missing one). */
static int changed(const cJSON *want, const cJSON *have, const char *key, const char **w,
		   const char **o)
{
	*w = p4b_str(want, key);
	*o = p4b_str(have, key);
	if (!*w || (*o && strcmp(*w, *o) == 0))
		return 0;
	if (!*o)
		*o = "(none)";
	return 1;
}

/* The environment, the secrets and the log options compare as sets
 * (json_same_pairs). */
static int same_pairs(const cJSON *a, const cJSON *b)
{
	return p4b_h->json_same_pairs(a, b);
}

/* -1 when a mapping has none: one registered by hand may carry a
 * containerPortRange instead. */
static int container_port(const cJSON *mapping)
{
	const cJSON *port = cJSON_GetObjectItemCaseSensitive(mapping, "containerPort");

	return cJSON_IsNumber(port) ? port->valueint : -1;
}

/* Each difference counted in *n and, with r, said as e->differs() says
 * it, for the line and the JSON. */
#define why_add(r, ...) ((*n)++, (r) ? h->engine->differs((r), 1, __VA_ARGS__) : (void)0)

static void compare(struct awsphase_res *r, const cJSON *want, const cJSON *have, int *n)
{
	const struct awsphase_host *h = p4b_h;
	const cJSON *wc, *hc, *wp, *hp, *ess, *hl, *wl;
	const char *w, *o;

	if (changed(want, have, "networkMode", &w, &o))
		why_add(r, "network mode %s → %s", o, w);
	if (!p4b_h->json_find(p4b_h->json_get(have, "requiresCompatibilities"), NULL, "FARGATE"))
		why_add(r, "not FARGATE-compatible");
	if (changed(want, have, "cpu", &w, &o))
		why_add(r, "cpu %s → %s", o, w);
	if (changed(want, have, "memory", &w, &o))
		why_add(r, "memory %s → %s", o, w);
	if (changed(want, have, "executionRoleArn", &w, &o))
		why_add(r, "execution role %s → %s", o, w);
	if (changed(want, have, "taskRoleArn", &w, &o))
		why_add(r, "task role %s → %s", o, w);
	wc = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(want, "containerDefinitions"), 0);
	hc = cJSON_GetObjectItemCaseSensitive(have, "containerDefinitions");
	if (cJSON_GetArraySize(hc) != 1) {
		why_add(r, "%d containers → 1", cJSON_GetArraySize(hc));
		return;
	}
	hc = cJSON_GetArrayItem(hc, 0);
	if (changed(wc, hc, "name", &w, &o))
		why_add(r, "container %s → %s", o, w);
	if (changed(wc, hc, "image", &w, &o))
		why_add(r, "image %s → %s", o, w);
	ess = cJSON_GetObjectItemCaseSensitive(hc, "essential");
	if (cJSON_IsFalse(ess))
		why_add(r, "container not essential");
	wp = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(wc, "portMappings"), 0);
	hp = cJSON_GetObjectItemCaseSensitive(hc, "portMappings");
	if (cJSON_GetArraySize(hp) != 1 ||
	    container_port(cJSON_GetArrayItem(hp, 0)) != container_port(wp) ||
	    (p4b_str(cJSON_GetArrayItem(hp, 0), "protocol") &&
	     !p4b_str_is(cJSON_GetArrayItem(hp, 0), "protocol", "tcp")))
		why_add(r, "port mappings");
	if (!same_pairs(cJSON_GetObjectItemCaseSensitive(wc, "environment"),
			cJSON_GetObjectItemCaseSensitive(hc, "environment")))
		why_add(r, "environment");
	if (!same_pairs(cJSON_GetObjectItemCaseSensitive(wc, "secrets"),
			cJSON_GetObjectItemCaseSensitive(hc, "secrets")))
		why_add(r, "secrets");
	wl = cJSON_GetObjectItemCaseSensitive(wc, "logConfiguration");
	hl = cJSON_GetObjectItemCaseSensitive(hc, "logConfiguration");
	if (!p4b_str_is(hl, "logDriver", "awslogs") ||
	    !same_pairs(cJSON_GetObjectItemCaseSensitive(wl, "options"),
			cJSON_GetObjectItemCaseSensitive(hl, "options")))
		why_add(r, "log configuration");
}

void p4b_taskdef_differs(struct awsphase_res *r, const cJSON *want, const cJSON *have)
{
	int n = 0;

	if (have)
		compare(r, want, have, &n);
}

int p4b_taskdef_same(const cJSON *want, const cJSON *have)
{
	int n = 0;

	if (!have)
		return 0;
	compare(NULL, want, have, &n);
	return n == 0;
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

int p4b_warn_secrets(const struct p4b *c)
{
	const struct awsphase_host *h = c->h;
	const char *const *key;
	int n = 0;

	for (key = h->env_keys(); key && *key; key++) {
		if (declared(*key) || !h->secret_key(*key))
			continue;
		n++;
		h->log(AWSPHASE_LOG_WARN, "%s: %s is a secret and is not passed to the task in plain "
		       "environment; store it in Secrets Manager or SSM Parameter Store and reference "
		       "it under the container's `secrets` (valueFrom) in task definition %s",
		       h->settings->env_file, *key, c->family);
	}
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

const char *p4b_reason_fix(const struct p4b *c, const char *reason,
			   const char *assign_public_ip, const char *subnet)
{
	static char fix[1024];
	int iam = has(reason, "AccessDenied") || has(reason, "unable to assume the role") ||
		  has(reason, "not authorized to perform") || has(reason, "no basic auth credentials");
	int public_ip = assign_public_ip && strcmp(assign_public_ip, "ENABLED") == 0;
	int public_subnet = subnet ? p4b_subnet_of(subnet, c->public_subnet) :
			    !(c->tier && strcmp(c->tier, "private") == 0);

	if (!reason)
		return NULL;
	if (iam)
		snprintf(fix, sizeof(fix), c->h->text("check the IAM roles %s (trusting %s, with "
			 "AmazonECSTaskExecutionRolePolicy attached) and %s; awsphase 4b deploy "
			 "creates and repairs them"), c->exec_role, P4B_TRUSTED_SERVICE, c->task_role);
	else if (has(reason, "CannotPullContainerError"))
		snprintf(fix, sizeof(fix), c->h->text("the image cannot be pulled: check ECR_URI in %s (%s) and "
			 "that phase 4A pushed it (aws ecr describe-images)"), c->h->settings->env_file,
			 c->ecr_uri);
	else if (has(reason, "ResourceInitializationError") && has(reason, "did not contain json key"))
		snprintf(fix, sizeof(fix), c->h->text("the secret has no such JSON key: DB_SECRET_ARN must "
			 "name a JSON secret holding username and password (phase 3's, kept by RDS), "
			 "or remove it and keep DB_PASSWORD in %s"), c->h->settings->env_file);
	else if (has(reason, "ResourceInitializationError") && has(reason, "log group does not exist"))
		snprintf(fix, sizeof(fix), c->h->text("the log group %s is missing: awsphase 4b deploy creates it"),
			 c->log_group);
	else if (has(reason, "ResourceInitializationError") && public_subnet && !public_ip)
		snprintf(fix, sizeof(fix), c->h->text("tasks in a public subnet need assignPublicIp=ENABLED to "
			 "reach ECR and CloudWatch Logs (runbook: \"Subnets públicas\"); "
			 "awsphase 4b deploy sets it for SUBNET_TIER=public"));
	else if (has(reason, "ResourceInitializationError") && !public_subnet)
		snprintf(fix, sizeof(fix), c->h->text("tasks in private subnets need a NAT gateway or VPC "
			 "endpoints (ECR api/dkr, CloudWatch Logs, S3, Secrets Manager) to reach ECR, "
			 "CloudWatch Logs and their secret; add them (awsphase 1 deploy with "
			 "PRIVATE_EGRESS=nat or endpoints; awsphase 4b preflight checks) or set "
			 "SUBNET_TIER=public"));
	else if (has(reason, "ResourceInitializationError"))
		snprintf(fix, sizeof(fix), c->h->text("the task cannot reach ECR, CloudWatch Logs or Secrets "
			 "Manager: check the "
			 "subnet's route to the internet gateway, the security group's egress on 443 "
			 "and assignPublicIp=ENABLED"));
	else if (has(reason, "ELB health checks") || has(reason, "Target.Timeout"))
		snprintf(fix, sizeof(fix), c->h->text("the ALB gets no answer on port %d at %s: if targets show "
			 "Target.Timeout, %s lacks the rule from %s (run fix-ecs-sg.sh / awsphase 4b "
			 "fix-sg); else check HEALTH_PATH"), c->port, c->health_path, c->ecs_sg_name,
			 c->alb_sg_name);
	else if (has(reason, "Essential container in task exited") || has(reason, "OutOfMemory"))
		snprintf(fix, sizeof(fix), c->h->text("the container exited: read its logs with aws logs tail %s "
			 "--since 5m (awsphase 4b logs)"), c->log_group);
	else
		return NULL;
	return fix;
}
