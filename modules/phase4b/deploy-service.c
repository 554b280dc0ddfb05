/* deploy's last stage: the ECS service, created (again, if DRAINING or
 * INACTIVE) or updated in one update-service carrying every flag that
 * differs. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploy.h"

#define CIRCUIT_BREAKER "deploymentCircuitBreaker={enable=true,rollback=true}"

static const char *jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

/* awsvpcConfiguration={subnets=[a,b],securityGroups=[sg],assignPublicIp=X}, the
 * runbook's shorthand, one argv element. */
static void network_arg(char *out, size_t size, const char *const *subnets, size_t n,
			const char *sg, const char *assign)
{
	size_t i, len;

	len = (size_t)snprintf(out, size, "awsvpcConfiguration={subnets=[");
	for (i = 0; i < n && len < size; i++)
		len += (size_t)snprintf(out + len, size - len, "%s%s", i ? "," : "", subnets[i]);
	if (len < size)
		snprintf(out + len, size - len, "],securityGroups=[%s],assignPublicIp=%s}", sg, assign);
}

static const char *revision(const char *arn)
{
	const char *slash = arn ? strrchr(arn, '/') : NULL;

	return slash ? slash + 1 : arn ? arn : "(none)";
}

static void service_done(struct deploy *d, struct awsphase_call *call, const void *arg)
{
	const struct awsphase_host *h = d->h;
	const cJSON *svc = h->json_get(h->call_json(call), "service");
	const cJSON *primary;
	int create = arg != NULL;

	if (h->call_state(call) == AWSPHASE_CALL_DRY_RUN) {
		p4b_placeholder(d->service_arn, d->c->service, "arn");
		if (create)
			p4b_resource(d, "service", d->c->service, NULL, "would create");
		else
			p4b_resource_why(d, "service", d->c->service, NULL, "would update: %s", &d->why);
		return;
	}
	p4b_copy(d->service_arn, jstr(svc, "serviceArn"));
	primary = p4b_primary(svc);
	p4b_copy(d->dep_id, jstr(primary, "id"));
	d->started = jstr(primary, "id") && (create || !jstr(p4b_primary(d->v.service), "id") ||
		     strcmp(jstr(p4b_primary(d->v.service), "id"), d->dep_id) != 0);
	cJSON_Delete(d->service_after);
	d->service_after = cJSON_Duplicate(svc, 1);
	p4b_record(d, "SERVICE_ARN", d->service_arn);
	p4b_record(d, "TASK_DEF_ARN", jstr(svc, "taskDefinition"));
	if (create)
		p4b_resource(d, "service", d->c->service, d->service_arn, "created: %s, %d task%s",
			     revision(jstr(svc, "taskDefinition")), d->c->desired,
			     d->c->desired == 1 ? "" : "s");
	else
		p4b_resource_why(d, "service", d->c->service, d->service_arn, "updated: %s",
				 &d->why);
}

/* DRAINING ends in INACTIVE once its tasks are gone; only then can a
 * service of that name be created again. */
struct drain {
	struct deploy *d;
};

static int drained(void *ctx, char *state, size_t size, int *exit_code)
{
	struct drain *w = ctx;
	const struct p4b *c = w->d->c;
	cJSON *doc = NULL;
	const char *status;
	int rc;

	rc = w->d->h->aws(&doc, "ecs", "describe-services", "--cluster", c->cluster, "--services",
			  c->service, NULL);
	if (rc) {
		*exit_code = rc;
		return -1;
	}
	status = w->d->h->json_str(doc, "services.0.status");
	snprintf(state, size, w->d->h->text("status %s, %d running"), status ? status : w->d->h->text("gone"),
		 (int)w->d->h->json_num(doc, "services.0.runningCount", 0));
	rc = !status || strcmp(status, "INACTIVE") == 0;
	cJSON_Delete(doc);
	return rc;
}

static int wait_drained(struct deploy *d)
{
	struct drain ctx = { d };
	char what[400];
	struct awsphase_wait w = { 0 };

	snprintf(what, sizeof(what), d->h->text("DRAINING service %s to become INACTIVE"), d->c->service);
	w.what = what;
	w.interval_s = 4;
	w.poll = drained;
	w.ctx = &ctx;
	d->h->say("… service %s is DRAINING: waiting until it is INACTIVE to create it again",
		  d->c->service);
	return d->h->wait(&w);
}

static int create(struct deploy *d, const char *status)
{
	const struct p4b *c = d->c;
	const char *subnets[2];
	char net[2048], lb[P4B_ID_SIZE + 256], count[16], grace[16];
	struct awsphase_call *call;
	int rc;

	if (!p4b_change(d))
		return 0;
	if (status && strcmp(status, "DRAINING") == 0 && !d->dry_run) {
		rc = wait_drained(d);
		if (rc)
			return rc;
	}
	p4b_task_subnets(c, subnets);
	network_arg(net, sizeof(net), subnets, 2, d->ecs_sg, p4b_assign_public_ip(c));
	snprintf(lb, sizeof(lb), "targetGroupArn=%s,containerName=%s,containerPort=%d", d->tg_arn,
		 c->container, c->port);
	snprintf(count, sizeof(count), "%d", c->desired);
	snprintf(grace, sizeof(grace), "%d", P4B_GRACE_S);
	call = p4b_stage_call(d, "ecs", "create-service", service_done, "create");
	p4b_args(d, call, "--cluster", c->cluster, "--service-name", c->service,
		 "--task-definition", d->td_arn, "--desired-count", count, "--launch-type", "FARGATE",
		 "--network-configuration", net, "--load-balancers", lb,
		 "--health-check-grace-period-seconds", grace,
		 "--deployment-configuration", CIRCUIT_BREAKER, NULL);
	return 0;
}

static int lb_matches(const struct deploy *d, const cJSON *lbs)
{
	const cJSON *lb = cJSON_GetArrayItem(lbs, 0);
	const cJSON *port = cJSON_GetObjectItemCaseSensitive(lb, "containerPort");

	return cJSON_GetArraySize(lbs) == 1 && jstr(lb, "targetGroupArn") &&
	       strcmp(jstr(lb, "targetGroupArn"), d->tg_arn) == 0 && jstr(lb, "containerName") &&
	       strcmp(jstr(lb, "containerName"), d->c->container) == 0 && cJSON_IsNumber(port) &&
	       port->valueint == d->c->port;
}

int p4b_service_stage(struct deploy *d, int only_sg)
{
	const struct p4b *c = d->c;
	const struct awsphase_host *h = d->h;
	const cJSON *svc = d->v.service;
	const char *status = jstr(svc, "status");
	const cJSON *net = p4b_awsvpc(svc), *grace, *cb;
	const cJSON *subnet_list = cJSON_GetObjectItemCaseSensitive(net, "subnets");
	const char *assign = jstr(net, "assignPublicIp");
	const char *want_subnets[8], *want_assign, *td = jstr(svc, "taskDefinition");
	const char *sg_list[1] = { d->ecs_sg };
	char netarg[2048], lbarg[P4B_ID_SIZE + 256], count[16], gracearg[16];
	int new_net = 0, new_lb = 0, new_td = 0, new_count = 0, new_grace = 0, new_cb = 0;
	size_t nsub = 0;
	struct awsphase_call *call;
	const cJSON *item;

	if (!svc || !status || strcmp(status, "ACTIVE") != 0)
		return only_sg ? 0 : create(d, status);
	p4b_why_reset(&d->why);
	if (only_sg) { /* fix-sg: the service's own subnets and public IP setting */
		cJSON_ArrayForEach(item, subnet_list)
			if (cJSON_IsString(item) && nsub < 8)
				want_subnets[nsub++] = item->valuestring;
		want_assign = assign ? assign : "DISABLED";
	} else {
		p4b_task_subnets(c, want_subnets);
		nsub = 2;
		want_assign = p4b_assign_public_ip(c);
	}
	if (!p4b_json_same_set(cJSON_GetObjectItemCaseSensitive(net, "securityGroups"), sg_list, 1)) {
		new_net = 1;
		p4b_why_add(h, &d->why, "security groups → %s", c->ecs_sg_name);
	}
	if (!only_sg) {
		if (*d->td_arn && (!td || strcmp(td, d->td_arn) != 0)) {
			new_td = 1;
			p4b_why_add(h, &d->why, "task definition %s → %s", revision(td),
				    revision(d->td_arn));
		}
		if ((int)h->json_num(svc, "desiredCount", -1) != c->desired) {
			new_count = 1;
			p4b_why_add(h, &d->why, "desired count %d → %d",
				    (int)h->json_num(svc, "desiredCount", -1),
				c->desired);
		}
		if (!p4b_json_same_set(subnet_list, want_subnets, 2)) {
			new_net = 1;
			p4b_why_add(h, &d->why, "subnets → %s", strcmp(c->tier, "private") == 0 ?
				    "PRIVATE_SUBNET_1/2" : "PUBLIC_SUBNET_1/2");
		}
		if (!assign || strcmp(assign, want_assign) != 0) {
			new_net = 1;
			p4b_why_add(h, &d->why, "assignPublicIp %s → %s", assign ? assign : "(none)",
				    want_assign);
			if (!d->planning && strcmp(want_assign, "ENABLED") == 0)
				h->log(AWSPHASE_LOG_INFO, "note: tasks in public subnets need "
				       "assignPublicIp=ENABLED to reach ECR and CloudWatch Logs "
				       "(runbook, \"Subnets públicas\"); setting it back");
		}
		if (!lb_matches(d, cJSON_GetObjectItemCaseSensitive(svc, "loadBalancers"))) {
			new_lb = 1;
			p4b_why_add(h, &d->why, "load balancer → %s:%s:%d", c->tg_name, c->container,
				    c->port);
		}
		grace = cJSON_GetObjectItemCaseSensitive(svc, "healthCheckGracePeriodSeconds");
		if (!cJSON_IsNumber(grace) || grace->valueint != P4B_GRACE_S) {
			new_grace = 1;
			p4b_why_add(h, &d->why, "grace period %d → %d s",
				    cJSON_IsNumber(grace) ? grace->valueint : 0, P4B_GRACE_S);
		}
		cb = h->json_get(svc, "deploymentConfiguration.deploymentCircuitBreaker");
		if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cb, "enable")) ||
		    !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cb, "rollback"))) {
			new_cb = 1;
			p4b_why_add(h, &d->why, "circuit breaker with rollback");
		}
	}
	if (d->force)
		p4b_why_add(h, &d->why, "new deployment forced");
	if (!new_net && !new_lb && !new_td && !new_count && !new_grace && !new_cb && !d->force) {
		if (!d->planning)
			p4b_resource(d, "service", c->service, d->service_arn, "unchanged");
		return 0;
	}
	if (!p4b_change(d))
		return 0;
	call = p4b_stage_call(d, "ecs", "update-service", service_done, NULL);
	p4b_args(d, call, "--cluster", c->cluster, "--service", c->service, NULL);
	if (new_td)
		p4b_args(d, call, "--task-definition", d->td_arn, NULL);
	if (new_count) {
		snprintf(count, sizeof(count), "%d", c->desired);
		p4b_args(d, call, "--desired-count", count, NULL);
	}
	if (new_net) {
		network_arg(netarg, sizeof(netarg), want_subnets, nsub, d->ecs_sg, want_assign);
		p4b_args(d, call, "--network-configuration", netarg, NULL);
	}
	if (new_lb) {
		snprintf(lbarg, sizeof(lbarg), "targetGroupArn=%s,containerName=%s,containerPort=%d",
			 d->tg_arn, c->container, c->port);
		p4b_args(d, call, "--load-balancers", lbarg, NULL);
	}
	if (new_grace) {
		snprintf(gracearg, sizeof(gracearg), "%d", P4B_GRACE_S);
		p4b_args(d, call, "--health-check-grace-period-seconds", gracearg, NULL);
	}
	if (new_cb)
		p4b_args(d, call, "--deployment-configuration", CIRCUIT_BREAKER, NULL);
	if (d->force)
		p4b_args(d, call, "--force-new-deployment", NULL);
	return 0;
}

int p4b_service_settled(const struct awsphase_host *h, const cJSON *service)
{
	const cJSON *primary = p4b_primary(service);
	const char *rollout = jstr(primary, "rolloutState");

	return service && jstr(service, "status") && strcmp(jstr(service, "status"), "ACTIVE") == 0 &&
	       cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(service, "deployments")) == 1 &&
	       (!rollout || strcmp(rollout, "COMPLETED") == 0) &&
	       h->json_num(service, "runningCount", -1) == h->json_num(service, "desiredCount", -2) &&
	       h->json_num(service, "pendingCount", 0) == 0;
}
