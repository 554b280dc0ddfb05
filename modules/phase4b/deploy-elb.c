/* deploy's load balancer side: the target group, the ALB, the HTTP:80
 * listener, and what of them cannot change in place. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploy.h"

static const char *jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

static int jis(const cJSON *o, const char *key, const char *want)
{
	const char *s = jstr(o, key);

	return s && strcmp(s, want) == 0;
}

static const char *or_none(const char *s)
{
	return s ? s : "(none)";
}

int p4b_conflicts(struct deploy *d)
{
	const struct p4b *c = d->c;
	const struct awsphase_host *h = d->h;
	const cJSON *tg = d->v.tg, *alb = d->v.alb, *svc = d->v.service;
	const cJSON *port = cJSON_GetObjectItemCaseSensitive(tg, "Port");
	int bad = 0;

	if (tg && (!jis(tg, "Protocol", "HTTP") || !cJSON_IsNumber(port) || port->valueint != c->port ||
		   !jis(tg, "VpcId", c->vpc) || !jis(tg, "TargetType", "ip"))) {
		h->log(AWSPHASE_LOG_ERROR, "target group %s: is %s %d, target type %s, in %s; the "
		       "runbook's is HTTP %d, target type ip, in %s, and these cannot change in place; "
		       "delete it (aws elbv2 delete-target-group --target-group-arn %s) or set TG_NAME "
		       "to another name", c->tg_name, or_none(jstr(tg, "Protocol")),
		       cJSON_IsNumber(port) ? port->valueint : 0, or_none(jstr(tg, "TargetType")),
		       or_none(jstr(tg, "VpcId")), c->port, c->vpc, or_none(jstr(tg, "TargetGroupArn")));
		bad++;
	}
	if (alb && (!jis(alb, "Scheme", "internet-facing") || !jis(alb, "Type", "application") ||
		    !jis(alb, "VpcId", c->vpc))) {
		h->log(AWSPHASE_LOG_ERROR, "load balancer %s: is %s %s in %s; the runbook's is an "
		       "internet-facing application load balancer in %s, and this cannot change in "
		       "place; delete it (see the runbook's \"Rollback completo\") or set ALB_NAME to "
		       "another name", c->alb_name, or_none(jstr(alb, "Scheme")),
		       or_none(jstr(alb, "Type")), or_none(jstr(alb, "VpcId")), c->vpc);
		bad++;
	}
	if (svc && jis(svc, "status", "ACTIVE") && jstr(svc, "launchType") &&
	    !jis(svc, "launchType", "FARGATE")) {
		h->log(AWSPHASE_LOG_ERROR, "service %s: launch type %s; the runbook's is FARGATE and "
		       "a service cannot change it in place; delete the service (runbook: \"Rollback "
		       "completo\") and deploy again", c->service, jstr(svc, "launchType"));
		bad++;
	}
	return bad ? AWSPHASE_EXIT_FAILED : 0;
}

/* ---- target group ------------------------------------------------------------------ */

static struct p4b_why tg_why;

static void tg_done(struct deploy *d, struct awsphase_call *call, const void *arg)
{
	const struct awsphase_host *h = d->h;
	cJSON *doc = NULL;

	if (arg) { /* modified */
		if (d->dry_run)
			p4b_resource_why(d, "target group", d->c->tg_name, d->tg_arn, "would update: %s",
					 &tg_why);
		else
			p4b_resource_why(d, "target group", d->c->tg_name, d->tg_arn, "updated: %s",
					 &tg_why);
		return;
	}
	switch (h->call_state(call)) {
	case AWSPHASE_CALL_DRY_RUN:
		p4b_placeholder(d->tg_arn, d->c->tg_name, "arn");
		p4b_resource(d, "target group", d->c->tg_name, NULL, "would create");
		return;
	case AWSPHASE_CALL_ACCEPTED:
		d->collided = 1;
		if (d->first)
			return; /* deploy reads everything again */
		if (h->aws(&doc, "elbv2", "describe-target-groups", "--names", d->c->tg_name, NULL) == 0)
			p4b_copy(d->tg_arn, h->json_str(doc, "TargetGroups.0.TargetGroupArn"));
		cJSON_Delete(doc);
		p4b_resource(d, "target group", d->c->tg_name, d->tg_arn, "already there");
		break;
	default:
		p4b_copy(d->tg_arn, h->json_str(h->call_json(call), "TargetGroups.0.TargetGroupArn"));
		p4b_resource(d, "target group", d->c->tg_name, d->tg_arn, "created");
	}
	p4b_record(d, "TG_ARN", d->tg_arn);
}

void p4b_target_group(struct deploy *d, int stage)
{
	const struct p4b *c = d->c;
	const cJSON *tg = d->v.tg;
	struct awsphase_call *call;
	char port[16];
	const char *hc_port, *path, *code;
	int new_path, new_port, new_protocol, new_matcher, new_enabled;

	if (stage != 1)
		return;
	snprintf(port, sizeof(port), "%d", c->port);
	if (!tg) {
		if (!p4b_change(d))
			return;
		call = p4b_stage_call(d, "elbv2", "create-target-group", tg_done, NULL);
		p4b_args(d, call, "--name", c->tg_name, "--protocol", "HTTP", "--port", port,
			 "--vpc-id", c->vpc, "--target-type", "ip", "--health-check-protocol", "HTTP",
			 "--health-check-path", c->health_path, "--matcher", "HttpCode=200", NULL);
		d->h->call_accept(call, "DuplicateTargetGroupName");
		return;
	}
	/* what to change, decided here; tg_why only says it */
	p4b_why_reset(&tg_why);
	path = jstr(tg, "HealthCheckPath");
	hc_port = jstr(tg, "HealthCheckPort");
	code = d->h->json_str(tg, "Matcher.HttpCode");
	if ((new_path = !path || strcmp(path, c->health_path) != 0))
		p4b_why_add(d->h, &tg_why, "health check path %s → %s", or_none(path), c->health_path);
	if ((new_port = hc_port && strcmp(hc_port, "traffic-port") != 0 && strcmp(hc_port, port) != 0))
		p4b_why_add(d->h, &tg_why, "health check port %s → traffic-port", hc_port);
	if ((new_protocol = jstr(tg, "HealthCheckProtocol") && !jis(tg, "HealthCheckProtocol", "HTTP")))
		p4b_why_add(d->h, &tg_why, "health check protocol → HTTP");
	if ((new_matcher = !code || strcmp(code, "200") != 0))
		p4b_why_add(d->h, &tg_why, "matcher %s → 200", or_none(code));
	if ((new_enabled = cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(tg, "HealthCheckEnabled"))))
		p4b_why_add(d->h, &tg_why, "health check enabled");
	if (!new_path && !new_port && !new_protocol && !new_matcher && !new_enabled) {
		if (!d->planning)
			p4b_resource(d, "target group", c->tg_name, d->tg_arn, "unchanged");
		return;
	}
	if (!p4b_change(d))
		return;
	call = p4b_stage_call(d, "elbv2", "modify-target-group", tg_done, &tg_why);
	p4b_args(d, call, "--target-group-arn", d->tg_arn, NULL);
	if (new_path)
		p4b_args(d, call, "--health-check-path", c->health_path, NULL);
	if (new_port)
		p4b_args(d, call, "--health-check-port", "traffic-port", NULL);
	if (new_protocol)
		p4b_args(d, call, "--health-check-protocol", "HTTP", NULL);
	if (new_matcher)
		p4b_args(d, call, "--matcher", "HttpCode=200", NULL);
	if (new_enabled)
		p4b_args(d, call, "--health-check-enabled", NULL);
}

/* ---- load balancer ---------------------------------------------------------------- */

static void alb_done(struct deploy *d, struct awsphase_call *call, const void *arg)
{
	const struct awsphase_host *h = d->h;
	const cJSON *doc = h->call_json(call);
	cJSON *again = NULL;

	if (arg) {
		if (d->dry_run)
			p4b_resource_why(d, "load balancer", d->c->alb_name, d->alb_arn,
					 "would update: %s", arg);
		else
			p4b_resource_why(d, "load balancer", d->c->alb_name, d->alb_arn, "updated: %s",
					 arg);
		return;
	}
	switch (h->call_state(call)) {
	case AWSPHASE_CALL_DRY_RUN:
		p4b_placeholder(d->alb_arn, d->c->alb_name, "arn");
		p4b_placeholder(d->alb_dns, d->c->alb_name, "dns");
		p4b_resource(d, "load balancer", d->c->alb_name, NULL, "would create");
		return;
	case AWSPHASE_CALL_ACCEPTED:
		d->collided = 1;
		if (d->first)
			return; /* deploy reads everything again */
		if (h->aws(&again, "elbv2", "describe-load-balancers", "--names", d->c->alb_name,
			   NULL) == 0)
			doc = again;
		/* fall through */
	default:
		p4b_copy(d->alb_arn, h->json_str(doc, "LoadBalancers.0.LoadBalancerArn"));
		p4b_copy(d->alb_dns, h->json_str(doc, "LoadBalancers.0.DNSName"));
		if (again)
			p4b_resource(d, "load balancer", d->c->alb_name, d->alb_dns, "already there");
		else
			p4b_resource(d, "load balancer", d->c->alb_name, d->alb_dns, "created");
	}
	cJSON_Delete(again);
	p4b_record(d, "ALB_ARN", d->alb_arn);
	p4b_record(d, "ALB_DNS", d->alb_dns);
}

void p4b_load_balancer(struct deploy *d, int stage)
{
	static struct p4b_why sg_why, subnet_why;
	const struct p4b *c = d->c;
	const cJSON *alb = d->v.alb, *az;
	const char *subnets[8];
	const char *sg = *d->alb_sg ? d->alb_sg : "<new>";
	struct awsphase_call *call;
	size_t n = 0;
	int same = 1;

	if (stage != 2)
		return;
	if (!alb) {
		if (!p4b_change(d))
			return;
		call = p4b_stage_call(d, "elbv2", "create-load-balancer", alb_done, NULL);
		p4b_args(d, call, "--name", c->alb_name, "--subnets", c->public_subnet[0],
			 c->public_subnet[1], "--security-groups", sg, "--scheme", "internet-facing",
			 "--type", "application", NULL);
		d->h->call_accept(call, "DuplicateLoadBalancerName");
		return;
	}
	if (!p4b_json_has(cJSON_GetObjectItemCaseSensitive(alb, "SecurityGroups"), sg)) {
		if (p4b_change(d)) {
			p4b_why_reset(&sg_why);
			p4b_why_add(d->h, &sg_why, "security groups → %s", c->alb_sg_name);
			call = p4b_stage_call(d, "elbv2", "set-security-groups", alb_done, &sg_why);
			p4b_args(d, call, "--load-balancer-arn", d->alb_arn, "--security-groups", sg, NULL);
		}
		same = 0;
	}
	cJSON_ArrayForEach(az, cJSON_GetObjectItemCaseSensitive(alb, "AvailabilityZones"))
		if (n < 8 && jstr(az, "SubnetId"))
			subnets[n++] = jstr(az, "SubnetId");
	if (n != 2 || !((strcmp(subnets[0], c->public_subnet[0]) == 0 &&
			 strcmp(subnets[1], c->public_subnet[1]) == 0) ||
			(strcmp(subnets[0], c->public_subnet[1]) == 0 &&
			 strcmp(subnets[1], c->public_subnet[0]) == 0))) {
		if (p4b_change(d)) {
			p4b_why_reset(&subnet_why);
			p4b_why_add(d->h, &subnet_why, "subnets → %s", "PUBLIC_SUBNET_1/2");
			call = p4b_stage_call(d, "elbv2", "set-subnets", alb_done, &subnet_why);
			p4b_args(d, call, "--load-balancer-arn", d->alb_arn, "--subnets",
				 c->public_subnet[0], c->public_subnet[1], NULL);
		}
		same = 0;
	}
	if (same && !d->planning)
		p4b_resource(d, "load balancer", c->alb_name, d->alb_dns, "unchanged");
}

/* ---- listener ----------------------------------------------------------------------- */

static void listener_done(struct deploy *d, struct awsphase_call *call, const void *arg)
{
	const struct awsphase_host *h = d->h;
	const char *arn = h->json_str(h->call_json(call), "Listeners.0.ListenerArn");
	cJSON *doc = NULL;

	if (h->call_state(call) == AWSPHASE_CALL_DRY_RUN) {
		if (arg)
			p4b_resource(d, "listener", "HTTP:80", NULL, "would update: forward → %s",
				     d->c->tg_name);
		else
			p4b_resource(d, "listener", "HTTP:80", NULL, "would create: forward → %s",
				     d->c->tg_name);
		return;
	}
	if (h->call_state(call) == AWSPHASE_CALL_ACCEPTED)
		d->collided = 1;
	if (h->call_state(call) == AWSPHASE_CALL_ACCEPTED &&
	    h->aws(&doc, "elbv2", "describe-listeners", "--load-balancer-arn", d->alb_arn, NULL) == 0) {
		const cJSON *l;

		cJSON_ArrayForEach(l, h->json_get(doc, "Listeners"))
			if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(l, "Port")) &&
			    cJSON_GetObjectItemCaseSensitive(l, "Port")->valueint == 80)
				arn = jstr(l, "ListenerArn");
	}
	p4b_copy(d->listener_arn, arn);
	p4b_record(d, "LISTENER_ARN", d->listener_arn);
	if (arg)
		p4b_resource(d, "listener", "HTTP:80", d->listener_arn, "updated: forward → %s",
			     d->c->tg_name);
	else
		p4b_resource(d, "listener", "HTTP:80", d->listener_arn, "created: forward → %s",
			     d->c->tg_name);
	cJSON_Delete(doc);
}

void p4b_listener(struct deploy *d, int stage)
{
	const cJSON *l = d->v.alb ? p4b_listener_on(&d->v, 80) : NULL;
	const char *tg = *d->tg_arn ? d->tg_arn : "<new>";
	char action[P4B_ID_SIZE + 64];
	struct awsphase_call *call;

	if (stage != 3)
		return;
	if (l && jis(l, "Protocol", "HTTP") && p4b_listener_forwards_to(l, tg)) {
		if (!d->planning)
			p4b_resource(d, "listener", "HTTP:80", d->listener_arn, "unchanged");
		return;
	}
	if (!p4b_change(d))
		return;
	snprintf(action, sizeof(action), "Type=forward,TargetGroupArn=%s", tg);
	if (l) {
		call = p4b_stage_call(d, "elbv2", "modify-listener", listener_done, "modify");
		p4b_args(d, call, "--listener-arn", d->listener_arn, "--protocol", "HTTP", "--port", "80",
			 "--default-actions", action, NULL);
	} else {
		call = p4b_stage_call(d, "elbv2", "create-listener", listener_done, NULL);
		p4b_args(d, call, "--load-balancer-arn", d->alb_arn, "--protocol", "HTTP", "--port",
			 "80", "--default-actions", action, NULL);
		d->h->call_accept(call, "DuplicateListener");
	}
}
