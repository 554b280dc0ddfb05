/* The settings of a run, read from the env file; the lookups are in
 * spec-lookup.c, the task definition and stop reasons in spec-taskdef.c. */
#include <stdlib.h>
#include <string.h>

#include <awsphase/engine.h>

#include "spec.h"

/* An error in the settings; counts 1.  A macro, so that the format reaches
 * the host, which looks it up in the awsphase catalogue (po/xgettext.sh). */
#define bad(h, ...) ((h)->log(AWSPHASE_LOG_ERROR, __VA_ARGS__), 1)

static const char *need(const struct awsphase_host *h, const char *key, int *problems,
			const char *why)
{
	const char *v = h->env_get(key);

	if (!v || !*v) {
		*problems += bad(h, "%s: %s is not set; %s", h->settings->env_file, key, why);
		return NULL;
	}
	return v;
}

/* A whole number key in [lo, hi]; counts 1 when it is not. */
static int number(const struct awsphase_host *h, const char *key, int lo, int hi, int *out)
{
	const char *v = h->env_get(key);
	char *end;
	long n = strtol(v ? v : "", &end, 10);

	*out = (int)n;
	if (v && *v && !*end && n >= lo && n <= hi)
		return 0;
	return bad(h, "%s: %s=%s: give a whole number %d-%d (AWS's range)", h->settings->env_file, key,
		   v ? v : "", lo, hi);
}

/* The rollout settings (issue 19): AWS's ranges, and what AWS or ECS would
 * refuse or get stuck on together. */
static int rollout(const struct awsphase_host *h, struct p4b *c)
{
	const char *env = h->settings->env_file;
	int problems = number(h, "HEALTH_CHECK_INTERVAL", 5, 300, &c->hc_interval) +
		       number(h, "HEALTH_CHECK_TIMEOUT", 2, 120, &c->hc_timeout) +
		       number(h, "HEALTHY_THRESHOLD", 2, 10, &c->healthy) +
		       number(h, "UNHEALTHY_THRESHOLD", 2, 10, &c->unhealthy) +
		       number(h, "DEREGISTRATION_DELAY", 0, 3600, &c->dereg_delay) +
		       number(h, "MIN_HEALTHY_PERCENT", 0, 100, &c->min_healthy) +
		       number(h, "MAX_PERCENT", 100, 200, &c->max_percent);

	if (!problems && c->hc_timeout >= c->hc_interval)
		problems += bad(h, "%s: HEALTH_CHECK_TIMEOUT=%d is not less than HEALTH_CHECK_INTERVAL=%d; "
				"AWS refuses it: give a shorter timeout", env, c->hc_timeout, c->hc_interval);
	if (!problems && c->min_healthy == 100 && c->max_percent == 100)
		problems += bad(h, "%s: MIN_HEALTHY_PERCENT=100 with MAX_PERCENT=100 leaves ECS no room "
				"to start a new task: a deploy would never finish; raise MAX_PERCENT "
				"(200 is ECS's default)", env);
	return problems;
}

int p4b_config(const struct awsphase_host *h, struct p4b *c)
{
	const char *env = h->settings->env_file;
	const char *port, *count;
	char why[300];
	int problems = 0;
	char *end;
	long n;

	memset(c, 0, sizeof(*c));
	c->h = h;
	c->region = h->settings->region ? h->settings->region : h->env_get("AWS_REGION");
	c->vpc = need(h, "VPC_ID", &problems, "add the VPC of phase 1 (vpc-…)");
	c->public_subnet[0] = need(h, "PUBLIC_SUBNET_1", &problems, "add a public subnet of phase 1");
	c->public_subnet[1] = need(h, "PUBLIC_SUBNET_2", &problems,
				   "add a second public subnet, in another AZ");
	/* the host keeps what env_get hands out for the whole run (module.h) */
	c->private_subnet[0] = h->env_get("PRIVATE_SUBNET_1");
	c->private_subnet[1] = h->env_get("PRIVATE_SUBNET_2");
	c->ecr_uri = need(h, "ECR_URI", &problems, "add the image phase 4A pushed "
			  "(ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG)");
	c->rds_sg = h->env_get("RDS_SG_ID");
	c->redis_sg = h->env_get("REDIS_SG_ID");
	c->cluster = h->env_get("ECS_CLUSTER");
	c->service = h->env_get("ECS_SERVICE");
	c->family = h->env_get("TASK_FAMILY");
	c->container = h->env_get("CONTAINER_NAME");
	c->health_path = h->env_get("HEALTH_PATH");
	c->tg_name = h->env_get("TG_NAME");
	c->alb_name = h->env_get("ALB_NAME");
	c->alb_sg_name = h->env_get("ALB_SG_NAME");
	c->ecs_sg_name = h->env_get("ECS_SG_NAME");
	c->log_group = h->env_get("LOG_GROUP");
	c->exec_role = h->env_get("EXEC_ROLE_NAME");
	c->task_role = h->env_get("TASK_ROLE_NAME");
	c->cpu = h->env_get("TASK_CPU");
	c->memory = h->env_get("TASK_MEMORY");
	c->tier = h->env_get("SUBNET_TIER");
	c->pin_tag = h->env_get("IMAGE_PINNING") && strcmp(h->env_get("IMAGE_PINNING"), "tag") == 0;
	if (c->rds_sg && !*c->rds_sg)
		c->rds_sg = NULL;
	if (c->redis_sg && !*c->redis_sg)
		c->redis_sg = NULL;

	port = h->env_get("CONTAINER_PORT");
	n = strtol(port ? port : "", &end, 10);
	if (!port || *end || n < 1 || n > 65535)
		problems += bad(h, "%s: CONTAINER_PORT=%s: not a port; give 1-65535 (the runbook's is 3001)",
				env, port ? port : "");
	c->port = (int)n;
	count = h->env_get("DESIRED_COUNT");
	n = strtol(count ? count : "", &end, 10);
	if (!count || *end || n < 0 || n > 9999)
		problems += bad(h, "%s: DESIRED_COUNT=%s: not a task count; give 0-9999", env,
				count ? count : "");
	c->desired = (int)n;
	c->desired_set = h->env_in_file("DESIRED_COUNT");

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
	if (c->cpu && c->memory && !h->engine->fargate_size_ok(atoi(c->cpu), atoi(c->memory)))
		problems += bad(h, "%s: TASK_CPU=%s with TASK_MEMORY=%s is not a Fargate size; "
				"e.g. 256 → 512-2048, 512 → 1024-4096, 1024 → 2048-8192 MiB "
				"(the runbook's: 512/1024)", env, c->cpu, c->memory);
	if (c->alb_sg_name && c->ecs_sg_name && strcmp(c->alb_sg_name, c->ecs_sg_name) == 0)
		problems += bad(h, "%s: ALB_SG_NAME and ECS_SG_NAME are both '%s'; the ALB and the "
				"tasks need two groups", env, c->alb_sg_name);
	if (c->exec_role && c->task_role && strcmp(c->exec_role, c->task_role) == 0)
		problems += bad(h, "%s: EXEC_ROLE_NAME and TASK_ROLE_NAME are both '%s'; give two roles",
				env, c->exec_role);
	c->health_expect = h->env_get("HEALTH_EXPECT");
	if (c->health_expect && !*c->health_expect)
		c->health_expect = NULL;
	c->health_expect_count = atoi(h->env_get("HEALTH_EXPECT_COUNT") ? h->env_get("HEALTH_EXPECT_COUNT") : "3");
	if (c->health_expect && h->pattern_why(c->health_expect, why, sizeof(why)) < 0)
		problems += bad(h, "%s: HEALTH_EXPECT=%s: not a PCRE2 pattern: %s; fix the pattern "
				"(e.g. \"version\":\"v2\")", env, c->health_expect, why);
	if (c->health_path && strlen(c->health_path) > 1024)
		problems += bad(h, "%s: HEALTH_PATH is longer than 1024 characters", env);
	problems += rollout(h, c);
	if (problems)
		return AWSPHASE_EXIT_USAGE;
	return 0;
}
