/* Phase 4B's ECS side for the engine: the cluster, the log group, the task
 * definition and the service. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rollback.h"
#include "stack.h"

/* The circuit breaker with rollback, and MIN_HEALTHY_PERCENT / MAX_PERCENT. */
static void deployment_arg(struct awsphase_res *r, struct awsphase_call *call)
{
	const struct p4b *c = p4b_run_of(r)->c;

	p4b_h->call_arg(call, "--deployment-configuration");
	p4b_h->call_argf(call, "deploymentCircuitBreaker={enable=true,rollback=true},"
			 "maximumPercent=%d,minimumHealthyPercent=%d", c->max_percent, c->min_healthy);
}

static const char *const describe_service[] = { "--cluster", "{ECS_CLUSTER}", "--services",
	"{ECS_SERVICE}", NULL };
static const char *const no_cluster[] = { "ClusterNotFoundException", NULL };

static const char *status_of(const cJSON *o)
{
	return p4b_h->json_str(o, "status");
}

static int is(const char *s, const char *want)
{
	return s && strcmp(s, want) == 0;
}

/* ---- cluster ----------------------------------------------------------------------- */

/* Found with the service's describe-services (no read of its own on a
 * converged deploy): there while the service is ACTIVE or DRAINING in it.
 * Otherwise describe-clusters says — an INACTIVE cluster (teardown --all)
 * answers describe-services as a live one without the service would — and
 * teardown always asks it, for the other services the cluster holds. */
static int cluster_pick(struct awsphase_res *r, const cJSON *answer, int step, const cJSON **item)
{
	const cJSON *svc = p4b_h->json_get(answer, "services.0");
	struct awsphase_call *call;

	if (step == 0 && P4B_E->mode(r) != AWSPHASE_MODE_TEARDOWN &&
	    (is(status_of(svc), "ACTIVE") || is(status_of(svc), "DRAINING"))) {
		*item = svc;
		return AWSPHASE_FOUND;
	}
	if (step == 0) {
		call = P4B_E->again(r, "ecs", "describe-clusters", NULL);
		P4B_E->args(r, call, "--clusters", "{name}", NULL);
		return AWSPHASE_AGAIN;
	}
	*item = p4b_h->json_get(answer, "clusters.0");
	return is(status_of(*item), "ACTIVE") ? AWSPHASE_FOUND : AWSPHASE_ABSENT;
}

/* A cluster that holds services other than ours is not 4B's to delete. */
static void cluster_remove(struct awsphase_res *r)
{
	const cJSON *svc = P4B_E->item(r, "service");
	int others = (int)p4b_h->json_num(P4B_E->item(r, NULL), "activeServicesCount", 0) -
		     (svc && !is(status_of(svc), "INACTIVE"));

	if (others > 0)
		P4B_E->keep(r, "cluster %s keeps %d other service(s): not deleting it", P4B_E->name(r),
			    others);
}

static const char *const cluster_create[] = { "--cluster-name", "{name}", NULL };
static const char *const cluster_remove_args[] = { "--cluster", "{name}", NULL };
static const char *const cluster_busy[] = { "ClusterContainsTasksException",
	"ClusterContainsServicesException", NULL };
/* the cluster goes last: after the runbook's steps and what ran in it */
static const char *const cluster_last[] = { "tg", "td", "exec-role", "task-role", "log-group",
	"alb-sg", "ecs-sg", NULL };

const struct awsphase_resource p4b_cluster = {
	AWSPHASE_RESOURCE, .key = "cluster", .kind = N_("cluster"), .name = "{ECS_CLUSTER}",
	.find = { "ecs", "describe-services", describe_service, no_cluster },
	.pick = cluster_pick, .id = "clusterArn",
	.create = { "ecs", "create-cluster", cluster_create }, .created = "cluster",
	.remove = { "ecs", "delete-cluster", cluster_remove_args, no_cluster, cluster_busy },
	.remove_fn = cluster_remove, .remove_after = cluster_last,
};

/* ---- log group ----------------------------------------------------------------------- */

static const char *const lg_find[] = { "--log-group-name-prefix", "{name}", NULL };
static const char *const lg_name[] = { "--log-group-name", "{name}", NULL };
static const char *const lg_exists[] = { "ResourceAlreadyExistsException", NULL };
static const char *const lg_gone[] = { "ResourceNotFoundException", NULL };

/* have NULL: just created, keeping logs forever. */
static void lg_differs(struct awsphase_res *r, const cJSON *have)
{
	int days = p4b_run_of(r)->retention_days;
	const cJSON *now = cJSON_GetObjectItemCaseSensitive(have, "retentionInDays");

	if (!cJSON_IsNumber(now))
		P4B_E->differs(r, 1, "retention never expire → %d days", days);
	else if (now->valueint != days)
		P4B_E->differs(r, 1, "retention %d days → %d days", now->valueint, days);
	P4B_E->note(r, "retention %d days", days);
}

static void lg_fix(struct awsphase_res *r, const cJSON *have, unsigned what)
{
	struct awsphase_call *call = P4B_E->call(r, "logs", "put-retention-policy");

	P4B_E->args(r, call, "--log-group-name", "{name}", "--retention-in-days", NULL);
	p4b_h->call_argf(call, "%d", p4b_run_of(r)->retention_days);
}

const struct awsphase_resource p4b_log_group = {
	AWSPHASE_RESOURCE, .key = "log-group", .kind = N_("log group"), .name = "{LOG_GROUP}",
	.flags = AWSPHASE_RES_LAZY,
	.find = { "logs", "describe-log-groups", lg_find }, .list = "logGroups",
	.match = "logGroupName",
	.create = { "logs", "create-log-group", lg_name, lg_exists },
	.differs = lg_differs, .fix = lg_fix,
	.remove = { "logs", "delete-log-group", lg_name, lg_gone },
	.remove_after = p4b_after_runbook,
};

/* ---- task definition ------------------------------------------------------------------- */

/* image: the digest IMAGE_PINNING=digest registers (pin.c) */
static const char *const td_after[] = { "service", "exec-role", "task-role", "db-secret", "image",
	NULL };
/* "Unable to describe task definition." */
static const char *const td_none[] = { "ClientException", NULL };
/* the policies first: a task started before its role may read the secret
 * stops with ResourceInitializationError */
static const char *const td_needs[] = { "exec-role", "task-role", "log-group", "db-secret",
	"exec-policy", "task-policy", NULL };

static int active(const cJSON *td)
{
	return td && (!status_of(td) || is(status_of(td), "ACTIVE"));
}

static cJSON *td_want_from(struct awsphase_res *r, const cJSON *keep_from)
{
	cJSON *td = p4b_taskdef_want(p4b_run_of(r)->c, P4B_E->id(r, "exec-role"),
				     P4B_E->id(r, "task-role"), keep_from);
	int json_keys;
	const char *arn = p4b_db_secret_arn(r, &json_keys);
	char ref[512];
	cJSON *ct = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(td, "containerDefinitions"), 0);

	cJSON_ReplaceItemInObjectCaseSensitive(ct, "image", cJSON_CreateString(p4b_image_ref(
		p4b_run_of(r)->c, P4B_E->item(r, "image"), ref, sizeof(ref))));
	p4b_taskdef_db_secret(td, arn, json_keys);
	return td;
}

/* The revision td_find_args names; a deregistered one is none (a service
 * cannot run it).  When the service runs one that is not what the env file
 * wants, the family's latest may be (registered by an earlier run that did
 * not finish): then it is the one, and nothing is registered again.
 * Teardown: every ACTIVE revision of the family. */
static int td_pick(struct awsphase_res *r, const cJSON *answer, int step, const cJSON **item)
{
	const char *runs;
	const cJSON *running;
	struct awsphase_call *call;
	cJSON *want;
	int same;

	if (P4B_E->mode(r) == AWSPHASE_MODE_TEARDOWN) {
		if (step == 0) {
			call = P4B_E->again(r, "ecs", "list-task-definitions", NULL);
			P4B_E->args(r, call, "--family-prefix", "{name}", NULL);
			return AWSPHASE_AGAIN;
		}
		*item = answer;
		return cJSON_GetArraySize(p4b_h->json_get(answer, "taskDefinitionArns")) ?
		       AWSPHASE_FOUND : AWSPHASE_ABSENT;
	}
	*item = p4b_h->json_get(answer, "taskDefinition");
	if (P4B_E->mode(r) != AWSPHASE_MODE_DEPLOY)
		return active(*item) ? AWSPHASE_FOUND : AWSPHASE_ABSENT;
	if (step == 0) {
		runs = p4b_h->json_str(P4B_E->item(r, "service"), "taskDefinition");
		if (!*item || !runs || !is(p4b_h->json_str(*item, "taskDefinitionArn"), runs))
			return active(*item) ? AWSPHASE_FOUND : AWSPHASE_ABSENT; /* the family's */
		want = td_want_from(r, *item);
		same = active(*item) && p4b_taskdef_same(want, *item);
		cJSON_Delete(want);
		if (same)
			return AWSPHASE_FOUND;
		call = P4B_E->again(r, "ecs", "describe-task-definition", td_none);
		P4B_E->args(r, call, "--task-definition", "{name}", NULL);
		return AWSPHASE_AGAIN;
	}
	want = td_want_from(r, *item);
	same = active(*item) && p4b_taskdef_same(want, *item);
	cJSON_Delete(want);
	if (same)
		return AWSPHASE_FOUND;
	running = p4b_h->json_get(P4B_E->answer(r, 0), "taskDefinition");
	*item = active(running) ? running : active(*item) ? *item : NULL;
	return *item ? AWSPHASE_FOUND : AWSPHASE_ABSENT;
}

/* Deploy compares what the env file wants with the revision the service
 * runs, not the family's latest: others may register revisions (CI, a
 * rollback's), and one the service does not run is no reason to register
 * and roll.  Without an ACTIVE service of this family: its latest. */
static int td_find_args(struct awsphase_res *r, struct awsphase_call *call)
{
	const cJSON *svc = P4B_E->item(r, "service");
	const char *runs = p4b_h->json_str(svc, "taskDefinition");
	const char *family = P4B_E->name(r), *rev = runs ? strrchr(runs, '/') : NULL;
	size_t flen = strlen(family);

	if (P4B_E->mode(r) != AWSPHASE_MODE_DEPLOY || !is(status_of(svc), "ACTIVE") || !rev ||
	    strncmp(rev + 1, family, flen) != 0 || rev[1 + flen] != ':')
		runs = NULL;
	/* the runbook's form, family:revision */
	p4b_h->call_arg(call, "--task-definition");
	p4b_h->call_arg(call, runs ? rev + 1 : family);
	return AWSPHASE_FOUND;
}

static cJSON *td_want(struct awsphase_res *r)
{
	return td_want_from(r, P4B_E->item(r, NULL));
}

/* A task definition is not changed: a new revision is registered (it has
 * no fix), its line saying what differed. */
static void td_differs(struct awsphase_res *r, const cJSON *have)
{
	cJSON *want;

	if (!have)
		return;
	want = td_want(r);
	p4b_taskdef_differs(r, want, have);
	cJSON_Delete(want);
}

static int td_register(struct awsphase_res *r, struct awsphase_call *call)
{
	const struct p4b *c = p4b_run_of(r)->c;
	cJSON *want = td_want(r);
	char *containers = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(want,
										 "containerDefinitions"));

	P4B_E->args(r, call, "--family", "{name}", "--task-role-arn", "{@task-role}",
		    "--execution-role-arn", "{@exec-role}", "--network-mode", "awsvpc",
		    "--requires-compatibilities", "FARGATE", NULL);
	p4b_h->call_arg(call, "--cpu");
	p4b_h->call_arg(call, c->cpu);
	p4b_h->call_arg(call, "--memory");
	p4b_h->call_arg(call, c->memory);
	p4b_h->call_arg(call, "--container-definitions");
	p4b_h->call_arg(call, containers);
	cJSON_free(containers);
	cJSON_Delete(want);
	return 0;
}

/* Teardown --all: every ACTIVE revision of the family. */
static void td_remove(struct awsphase_res *r)
{
	static const char *const gone[] = { "ClientException", NULL };
	const char *family = P4B_E->name(r);
	size_t flen = strlen(family);
	const cJSON *arn;

	cJSON_ArrayForEach(arn, p4b_h->json_get(P4B_E->item(r, NULL), "taskDefinitionArns")) {
		const char *rev = cJSON_IsString(arn) ? strrchr(arn->valuestring, '/') : NULL;
		struct awsphase_call *call;

		if (!rev || strncmp(rev + 1, family, flen) != 0 || rev[1 + flen] != ':')
			continue;
		call = P4B_E->remove_step(r, "ecs", "deregister-task-definition", gone, NULL, rev + 1,
					  "deregister|deregistered");
		p4b_h->call_arg(call, "--task-definition");
		p4b_h->call_arg(call, rev + 1);
	}
}

const struct awsphase_resource p4b_td = {
	AWSPHASE_RESOURCE, .key = "td", .kind = N_("task definition"), .name = "{TASK_FAMILY}",
	.label = "{.family}:{.revision}", .needs = td_needs,
	.find = { "ecs", "describe-task-definition", NULL, td_none }, .pick = td_pick,
	.find_args = td_find_args, .read_after = td_after,
	.id = "taskDefinitionArn",
	.create = { "ecs", "register-task-definition" }, .create_args = td_register,
	.created = "taskDefinition", .create_verb = "register|registered",
	.differs = td_differs,
	.remove_fn = td_remove, .remove_after = p4b_after_runbook,
};

/* ---- service ----------------------------------------------------------------------------- */

enum {
	SVC_NET = 1 << 0, SVC_LB = 1 << 1, SVC_TD = 1 << 2, SVC_COUNT = 1 << 3, SVC_GRACE = 1 << 4,
	SVC_CB = 1 << 5, SVC_FORCE = 1 << 6,
};

/* Deploy: the ACTIVE service (DRAINING or INACTIVE is one to create again);
 * teardown: one not INACTIVE yet; the read-only actions: in any status. */
static int service_pick(struct awsphase_res *r, const cJSON *answer, int step, const cJSON **item)
{
	const char *status;

	*item = p4b_h->json_get(answer, "services.0");
	status = status_of(*item);
	P4B_E->state(r, "status %s, %d running", status ? status : p4b_h->text("gone"),
		     (int)p4b_h->json_num(*item, "runningCount", 0));
	switch (P4B_E->mode(r)) {
	case AWSPHASE_MODE_DEPLOY:
		return is(status, "ACTIVE") ? AWSPHASE_FOUND : AWSPHASE_ABSENT;
	case AWSPHASE_MODE_TEARDOWN:
		return status && !is(status, "INACTIVE") ? AWSPHASE_FOUND : AWSPHASE_ABSENT;
	default:
		return status ? AWSPHASE_FOUND : AWSPHASE_ABSENT;
	}
}

/* awsvpcConfiguration={subnets=[a,b],securityGroups=[sg],assignPublicIp=X}, the
 * runbook's shorthand, one argv element. */
static void network_arg(struct awsphase_call *call, const char *const *subnets, size_t n,
			const char *sg, const char *assign)
{
	char out[2048];
	size_t i, len;

	len = (size_t)snprintf(out, sizeof(out), "awsvpcConfiguration={subnets=[");
	for (i = 0; i < n && len < sizeof(out); i++)
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s", i ? "," : "", subnets[i]);
	if (len < sizeof(out))
		snprintf(out + len, sizeof(out) - len, "],securityGroups=[%s],assignPublicIp=%s}", sg,
			 assign);
	p4b_h->call_arg(call, "--network-configuration");
	p4b_h->call_arg(call, out);
}

static void lb_arg(struct awsphase_res *r, struct awsphase_call *call)
{
	p4b_h->call_arg(call, "--load-balancers");
	p4b_h->call_arg(call, P4B_E->expand(r, "targetGroupArn={@tg},containerName={CONTAINER_NAME},"
				       "containerPort={CONTAINER_PORT}"));
}

/* DRAINING ends in INACTIVE once its tasks are gone; only then can a
 * service of that name be created again. */
static int drained(void *ctx, char *state, size_t size, int *exit_code)
{
	const struct p4b *c = ctx;
	cJSON *doc = NULL;
	const char *status;
	int rc;

	rc = p4b_h->aws(&doc, "ecs", "describe-services", "--cluster", c->cluster, "--services",
			c->service, NULL);
	if (rc) {
		*exit_code = rc;
		return -1;
	}
	status = p4b_h->json_str(doc, "services.0.status");
	snprintf(state, size, p4b_h->text("status %s, %d running"), status ? status : p4b_h->text("gone"),
		 (int)p4b_h->json_num(doc, "services.0.runningCount", 0));
	rc = !status || strcmp(status, "INACTIVE") == 0;
	cJSON_Delete(doc);
	return rc;
}

static int service_create(struct awsphase_res *r, struct awsphase_call *call)
{
	struct p4b *c = p4b_run_of(r)->c;
	const char *status = p4b_h->json_str(P4B_E->answer(r, 0), "services.0.status");
	const char *subnets[2];
	struct awsphase_wait w = { 0 };
	char what[400];
	int rc;

	if (is(status, "DRAINING") && !p4b_h->settings->dry_run) {
		snprintf(what, sizeof(what), p4b_h->text("DRAINING service %s to become INACTIVE"),
			 c->service);
		w.what = what;
		w.interval_s = 4;
		w.poll = drained;
		w.ctx = c;
		p4b_h->say("… service %s is DRAINING: waiting until it is INACTIVE to create it again",
			   c->service);
		rc = p4b_h->wait(&w);
		if (rc)
			return -rc;
	}
	p4b_task_subnets(c, subnets);
	P4B_E->args(r, call, "--cluster", "{ECS_CLUSTER}", "--service-name", "{name}",
		    "--task-definition", "{@td}", "--desired-count", "{DESIRED_COUNT}", "--launch-type",
		    "FARGATE", NULL);
	network_arg(call, subnets, 2, P4B_E->id(r, "ecs-sg"), p4b_assign_public_ip(c));
	lb_arg(r, call);
	P4B_E->args(r, call, "--health-check-grace-period-seconds", NULL);
	p4b_h->call_argf(call, "%d", P4B_GRACE_S);
	deployment_arg(r, call);
	return 0;
}

static int lb_matches(struct awsphase_res *r, const cJSON *lbs)
{
	const struct p4b *c = p4b_run_of(r)->c;
	const cJSON *lb = cJSON_GetArrayItem(lbs, 0);
	const char *tg = P4B_E->id(r, "tg");

	return cJSON_GetArraySize(lbs) == 1 && is(p4b_h->json_str(lb, "targetGroupArn"), tg) &&
	       is(p4b_h->json_str(lb, "containerName"), c->container) &&
	       (int)p4b_h->json_num(lb, "containerPort", -1) == c->port;
}

/* The subnets and public IP the service should have: fix-sg keeps its own. */
static size_t want_network(struct awsphase_res *r, const cJSON *have, const char **subnets,
			   const char **assign)
{
	struct p4b_run *run = p4b_run_of(r);
	const cJSON *net = p4b_awsvpc(have), *item;
	size_t n = 0;

	if (run->only_sg) {
		cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(net, "subnets"))
			if (cJSON_IsString(item) && n < 8)
				subnets[n++] = item->valuestring;
		*assign = p4b_h->json_str(net, "assignPublicIp") ? p4b_h->json_str(net, "assignPublicIp") :
			  "DISABLED";
		return n;
	}
	p4b_task_subnets(run->c, subnets);
	*assign = p4b_assign_public_ip(run->c);
	return 2;
}

static void service_differs(struct awsphase_res *r, const cJSON *have)
{
	struct p4b_run *run = p4b_run_of(r);
	const struct p4b *c = run->c;
	const cJSON *net = p4b_awsvpc(have), *cb;
	const char *subnets[8], *assign, *now_assign = p4b_h->json_str(net, "assignPublicIp");
	const char *sg[1] = { P4B_E->id(r, "ecs-sg") }, *td = p4b_h->json_str(have, "taskDefinition");
	const char *want_td = P4B_E->id(r, "td");
	size_t n;
	int count;

	if (!have) { /* just created */
		P4B_E->note(r, c->desired == 1 ? "%s, %d task" : "%s, %d tasks",
			    p4b_arn_tail(p4b_h->json_str(P4B_E->item(r, NULL), "taskDefinition")),
			    c->desired);
		return;
	}
	if (p4b_h->json_str(have, "launchType") && !is(p4b_h->json_str(have, "launchType"), "FARGATE"))
		P4B_E->conflict(r, "service %s: launch type %s; the runbook's is FARGATE and a service "
				"cannot change it in place; delete the service (runbook: \"Rollback "
				"completo\") and deploy again", c->service,
				p4b_h->json_str(have, "launchType"));
	n = want_network(r, have, subnets, &assign);
	if (!p4b_h->json_same_set(cJSON_GetObjectItemCaseSensitive(net, "securityGroups"), sg, 1))
		P4B_E->differs(r, SVC_NET, "security groups → %s", c->ecs_sg_name);
	if (run->only_sg) {
		if (run->force || P4B_E->changed(r, "ecs-from-alb"))
			P4B_E->differs(r, SVC_FORCE, "new deployment forced");
		return;
	}
	if (*want_td && !is(td, want_td))
		P4B_E->differs(r, SVC_TD, "task definition %s → %s", p4b_arn_tail(td),
			       p4b_arn_tail(want_td));
	/* DESIRED_COUNT's default is for the create: a service scaled by hand
	 * or by autoscaling keeps its count unless the env file names one */
	count = (int)p4b_h->json_num(have, "desiredCount", -1);
	if (count != c->desired && (c->desired_set || count < 0))
		P4B_E->differs(r, SVC_COUNT, count > c->desired ? "desired count %d → %d (scaling in)" :
			       "desired count %d → %d", count, c->desired);
	if (!p4b_h->json_same_set(cJSON_GetObjectItemCaseSensitive(net, "subnets"), subnets, n))
		P4B_E->differs(r, SVC_NET, "subnets → %s", strcmp(c->tier, "private") == 0 ?
			       "PRIVATE_SUBNET_1/2" : "PUBLIC_SUBNET_1/2");
	if (!is(now_assign, assign))
		P4B_E->differs(r, SVC_NET, "assignPublicIp %s → %s", now_assign ? now_assign : "(none)",
			       assign);
	if (!lb_matches(r, cJSON_GetObjectItemCaseSensitive(have, "loadBalancers")))
		P4B_E->differs(r, SVC_LB, "load balancer → %s:%s:%d", c->tg_name, c->container, c->port);
	if ((int)p4b_h->json_num(have, "healthCheckGracePeriodSeconds", 0) != P4B_GRACE_S)
		P4B_E->differs(r, SVC_GRACE, "grace period %d → %d s",
			       (int)p4b_h->json_num(have, "healthCheckGracePeriodSeconds", 0), P4B_GRACE_S);
	cb = p4b_h->json_get(have, "deploymentConfiguration.deploymentCircuitBreaker");
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cb, "enable")) ||
	    !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cb, "rollback")))
		P4B_E->differs(r, SVC_CB, "circuit breaker with rollback");
	if ((int)p4b_h->json_num(have, "deploymentConfiguration.minimumHealthyPercent", -1) != c->min_healthy ||
	    (int)p4b_h->json_num(have, "deploymentConfiguration.maximumPercent", -1) != c->max_percent)
		P4B_E->differs(r, SVC_CB, "minimum healthy %d%%, maximum %d%% → %d%%, %d%%",
			       (int)p4b_h->json_num(have, "deploymentConfiguration.minimumHealthyPercent", -1),
			       (int)p4b_h->json_num(have, "deploymentConfiguration.maximumPercent", -1),
			       c->min_healthy, c->max_percent);
	if (run->force)
		P4B_E->differs(r, SVC_FORCE, "new deployment forced");
}

/* One update-service with every flag that differs. */
static void service_fix(struct awsphase_res *r, const cJSON *have, unsigned what)
{
	struct awsphase_call *call = P4B_E->call(r, "ecs", "update-service");
	const char *subnets[8], *assign;
	size_t n = want_network(r, have, subnets, &assign);

	P4B_E->args(r, call, "--cluster", "{ECS_CLUSTER}", "--service", "{name}", NULL);
	if (what & SVC_TD)
		P4B_E->args(r, call, "--task-definition", "{@td}", NULL);
	if (what & SVC_COUNT)
		P4B_E->args(r, call, "--desired-count", "{DESIRED_COUNT}", NULL);
	if (what & SVC_NET)
		network_arg(call, subnets, n, P4B_E->id(r, "ecs-sg"), assign);
	if ((what & SVC_NET) && strcmp(assign, "ENABLED") == 0 &&
	    !is(p4b_h->json_str(p4b_awsvpc(have), "assignPublicIp"), assign))
		p4b_h->log(AWSPHASE_LOG_INFO, "note: tasks in public subnets need assignPublicIp=ENABLED "
			   "to reach ECR and CloudWatch Logs (runbook, \"Subnets públicas\"); setting it "
			   "back");
	if (what & SVC_LB)
		lb_arg(r, call);
	if (what & SVC_GRACE) {
		p4b_h->call_arg(call, "--health-check-grace-period-seconds");
		p4b_h->call_argf(call, "%d", P4B_GRACE_S);
	}
	if (what & SVC_CB)
		deployment_arg(r, call);
	if (what & SVC_FORCE)
		p4b_h->call_arg(call, "--force-new-deployment");
}

/* Teardown: no tasks first, then the service; then it drains. */
static void service_remove(struct awsphase_res *r)
{
	static const char *const gone[] = { "ServiceNotFoundException", "ServiceNotActiveException",
		"ClusterNotFoundException", NULL };
	struct awsphase_call *call;

	if (p4b_h->json_num(P4B_E->item(r, NULL), "desiredCount", 0) > 0 &&
	    is(status_of(P4B_E->item(r, NULL)), "ACTIVE")) {
		call = P4B_E->remove_step(r, "ecs", "update-service", gone, NULL, NULL,
					  "scale to 0 tasks|scaled to 0 tasks");
		P4B_E->args(r, call, "--cluster", "{ECS_CLUSTER}", "--service", "{name}",
			    "--desired-count", "0", NULL);
	}
}

static const char *const service_needs[] = { "cluster", "td", "tg", "ecs-sg", "ecs-from-alb",
	"listener", "log-group", NULL };
static const char *const service_remove_args[] = { "--cluster", "{ECS_CLUSTER}", "--service",
	"{name}", NULL };
static const char *const service_gone[] = { "ServiceNotFoundException", "ServiceNotActiveException",
	"ClusterNotFoundException", NULL };
static const struct awsphase_output service_out[] = {
	{ "SERVICE_ARN", "serviceArn" }, { "TASK_DEF_ARN", "taskDefinition" },
	{ P4B_LAST_GOOD_KEY, NULL }, { P4B_PREVIOUS_GOOD_KEY, NULL }, { NULL },
};

/* What ECS answers a create of a service of that name that is ACTIVE or
 * being created (by another run that got there first): there already, to
 * read again.  The code alone is any bad parameter. */
static const char *const service_there[] = {
	"InvalidParameterException: Creation of service was not idempotent", NULL };

const struct awsphase_resource p4b_service = {
	AWSPHASE_RESOURCE, .key = "service", .kind = N_("service"), .name = "{ECS_SERVICE}",
	.needs = service_needs,
	.find = { "ecs", "describe-services", describe_service, no_cluster }, .pick = service_pick,
	.id = "serviceArn", .show = "{.serviceArn}", .outputs = service_out,
	.create = { "ecs", "create-service", NULL, service_there }, .create_args = service_create,
	.created = "service",
	.differs = service_differs, .fix = service_fix,
	.remove = { "ecs", "delete-service", service_remove_args, service_gone },
	.remove_fn = service_remove, .wait_gone = 1,
};
