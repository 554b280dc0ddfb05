/* awsphase 4b diagnose: target-timeout (the ECS security group must admit
 * the ALB's on the container port) and alb-503 (no healthy target, or the
 * ALB does not answer). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose.h"

#define TASK_PROBE_TIMEOUT_S 3.0

/* ---- target-timeout: the ECS SG must admit the ALB SG on the port ---- */

static void describe_ingress(struct diag *d, struct awsphase_finding *p, const cJSON *sg)
{
	char line[1024];

	d->h->engine->sg_ingress_words(sg, line, sizeof(line));
	d->f->evidence(p, "ingress of %s (%s): %s", d->o.c.ecs_sg_name, d->h->json_str(sg, "GroupId"), line);
}

void diag_targets(struct diag *d, struct awsphase_finding *p, int *healthy, int *timeouts, int *total)
{
	const struct awsphase_host *h = d->h;
	const cJSON *t, *all = obs_json(&d->o, "targets"), *shown = p ? all : NULL;

	*healthy = (int)h->json_count(all, "TargetHealth.State", "healthy");
	*timeouts = (int)h->json_count(all, "TargetHealth.Reason", "Target.Timeout");
	*total = cJSON_IsArray(all) ? cJSON_GetArraySize(all) : 0;
	cJSON_ArrayForEach(t, shown) {
		const char *state = h->json_str(t, "TargetHealth.State");
		const char *reason = h->json_str(t, "TargetHealth.Reason");

		d->f->evidence(p, "target %s:%.0f %s%s%s%s", h->json_str(t, "Target.Id") ? h->json_str(t, "Target.Id") : "?",
			 h->json_num(t, "Target.Port", 0), state ? state : "?", reason ? " (" : "",
			 reason ? reason : "", reason ? ")" : "");
	}
}

void diag_sg(struct diag *d)
{
	const struct awsphase_host *h = d->h;
	const struct p4b *c = &d->o.c;
	const cJSON *ecs = obs_json(&d->o, "ecs-sg"), *alb = obs_json(&d->o, "alb-sg");
	const cJSON *sgs = h->json_get(obs_awsvpc(&d->o), "securityGroups");
	int healthy, timeouts, total;
	char cmd[1024], port[16];
	struct awsphase_finding *p;

	diag_targets(d, NULL, &healthy, &timeouts, &total);
	d->ecs_sg = h->json_str(ecs, "GroupId");
	d->alb_sg = h->json_str(alb, "GroupId");
	if ((!ecs && obs_unknown(&d->o, "ecs-sg")) || (!alb && obs_unknown(&d->o, "alb-sg"))) {
		p = d->f->finding(d->found, C_TIMEOUT, "security group %s: unknown, describe-security-groups "
				 "failed: %s", !ecs ? c->ecs_sg_name : c->alb_sg_name,
				 obs_unknown(&d->o, !ecs ? "ecs-sg" : "alb-sg"));
		d->sg_problem = diag_fix_unknown(d, p);
		return;
	}
	if (!ecs || !alb) {
		p = d->f->finding(d->found, C_TIMEOUT, "security group %s does not exist in %s; targets cannot be reached",
			    !ecs ? c->ecs_sg_name : c->alb_sg_name, c->vpc ? c->vpc : h->text("the VPC"));
		d->f->fix(p, "awsphase 4b deploy   (creates %s and %s with the ALB → %d rule)", c->alb_sg_name,
		    c->ecs_sg_name, c->port);
		d->sg_problem = p;
		return;
	}
	d->rule_ok = P4B_E->sg_allows(ecs, c->port, d->alb_sg, NULL);
	if (!d->rule_ok && (timeouts || !healthy)) {
		const char *args[] = { "--group-id", d->ecs_sg, "--protocol", "tcp", "--port", port,
				       "--source-group", d->alb_sg, NULL };

		snprintf(port, sizeof(port), "%d", c->port);
		p = d->f->finding(d->found, C_TIMEOUT, "%s (%s) does not let %s (%s) in on tcp/%d, so the ALB's health "
			    "checks time out", c->ecs_sg_name, d->ecs_sg, c->alb_sg_name, d->alb_sg, c->port);
		diag_targets(d, p, &healthy, &timeouts, &total);
		if (!total)
			d->f->evidence(p, "no target registered in %s", c->tg_name);
		describe_ingress(d, p, ecs);
		d->h->cmdline(cmd, sizeof(cmd), "ec2", "authorize-security-group-ingress", args);
		d->f->fix(p, "awsphase 4b fix-sg   (the runbook's ./fix-ecs-sg.sh)");
		d->f->fix(p, "%s", cmd);
		d->f->autofix(p, FIX_SG_RULE);
		d->sg_problem = p;
	}
	if (obs_json(&d->o, "service") && sgs && !p4b_h->json_find(sgs, NULL, d->ecs_sg)) {
		char *list = cJSON_PrintUnformatted(sgs);

		p = d->f->finding(d->found, C_TIMEOUT, "the service's tasks do not carry %s (%s): they have %s", c->ecs_sg_name,
			    d->ecs_sg, list ? list : "?");
		free(list);
		diag_targets(d, p, &healthy, &timeouts, &total);
		d->f->fix(p, "awsphase 4b fix-sg   (the runbook's ./fix-ecs-sg.sh: gives the service %s)", c->ecs_sg_name);
		if (!d->sg_problem)
			d->sg_problem = p;
		return;
	}
	if (timeouts && d->rule_ok) {
		p = d->f->finding(d->found, C_TIMEOUT, "%d target%s time out although %s admits %s on tcp/%d: look at the "
			    "ALB security group's egress, the subnets' network ACLs and whether the container "
			    "listens on %d", timeouts, timeouts == 1 ? "" : "s", c->ecs_sg_name, c->alb_sg_name,
			    c->port, c->port);
		diag_targets(d, p, &healthy, &timeouts, &total);
		describe_ingress(d, p, ecs);
		d->sg_problem = p;
	}
}

/* ---- alb-503: no healthy target, or the ALB does not answer ---- */

static void probe_task(struct diag *d, struct awsphase_finding *p)
{
	const struct awsphase_host *h = d->h;
	const cJSON *task = obs_task(&d->o, 0, 0);
	const char *ip = p4b_task_detail(task, "privateIPv4Address");
	char url[256], err[256], excerpt[160];
	char *body = NULL;
	long status;

	if (!ip) {
		d->f->evidence(p, "no running task to probe directly");
		return;
	}
	snprintf(url, sizeof(url), "http://%s:%d%s", ip, d->o.c.port, d->o.c.health_path);
	if (h->http_get(url, TASK_PROBE_TIMEOUT_S, &status, &body, err, sizeof(err)) < 0) {
		d->f->evidence(p, "direct probe %s: %s (task IPs are reachable only from inside the VPC)", url, err);
		return;
	}
	p4b_h->excerpt(body, 100, excerpt, sizeof(excerpt));
	d->f->evidence(p, "direct probe %s: HTTP %ld %s%s", url, status, excerpt,
		 getenv("http_proxy") || getenv("HTTP_PROXY") ? h->text(" (through http_proxy)") : "");
	free(body);
}

void diag_alb(struct diag *d)
{
	const struct awsphase_host *h = d->h;
	const struct p4b *c = &d->o.c;
	const cJSON *tg = obs_json(&d->o, "tg"), *alb = obs_json(&d->o, "alb");
	char excerpt[200];
	size_t mismatch, unused;
	int healthy, timeouts, total;
	const char *path = h->json_str(tg, "HealthCheckPath");
	struct awsphase_finding *p;

	if (!alb && obs_unknown(&d->o, "alb")) {
		p = d->f->finding(d->found, C_ALB, "load balancer %s: unknown, describe-load-balancers failed: %s",
				 c->alb_name, obs_unknown(&d->o, "alb"));
		diag_fix_unknown(d, p);
		return;
	}
	if (!tg && obs_unknown(&d->o, "tg")) {
		p = d->f->finding(d->found, C_ALB, "target group %s: unknown, describe-target-groups failed: %s",
				 c->tg_name, obs_unknown(&d->o, "tg"));
		diag_fix_unknown(d, p);
		return;
	}
	if (!alb) {
		p = d->f->finding(d->found, C_ALB, "load balancer %s does not exist", c->alb_name);
		d->f->evidence(p, "describe-load-balancers --names %s: LoadBalancerNotFound", c->alb_name);
		d->f->fix(p, "awsphase 4b deploy");
		return;
	}
	if (!tg) {
		p = d->f->finding(d->found, C_ALB, "target group %s does not exist", c->tg_name);
		d->f->evidence(p, "describe-target-groups --names %s: TargetGroupNotFound", c->tg_name);
		d->f->fix(p, "awsphase 4b deploy");
		return;
	}
	if (d->probed && d->status == 200 && d->body && strstr(d->body, "\"success\""))
		return;
	if (!d->probed) {
		p = d->f->finding(d->found, C_ALB, "%s does not answer: %s", d->url, d->probe_err);
		d->f->evidence(p, "ALB %s state %s", h->json_str(alb, "DNSName"),
			 h->json_str(alb, "State.Code") ? h->json_str(alb, "State.Code") : "?");
		d->f->fix(p, "check that %s admits you on port 80 and that the ALB is active", c->alb_sg_name);
		return;
	}
	p4b_h->excerpt(d->body, 120, excerpt, sizeof(excerpt));
	if (d->status != 503) {
		p = d->f->finding(d->found, C_ALB, "%s answers HTTP %ld, not 200 with {\"success\": true}", d->url, d->status);
		d->f->evidence(p, "body: %s", excerpt);
		if (d->status == 504)
			d->f->fix(p, "check that %s admits tcp/80 from your address and that the listener exists",
			    c->alb_sg_name);
		else
			d->f->fix(p, "check HEALTH_PATH (%s) against the backend's routes", c->health_path);
		return;
	}
	diag_targets(d, NULL, &healthy, &timeouts, &total);
	mismatch = h->json_count(obs_json(&d->o, "targets"), "TargetHealth.Reason", "Target.ResponseCodeMismatch");
	unused = h->json_count(obs_json(&d->o, "targets"), "TargetHealth.Reason", "Target.NotInUse");
	p = d->f->finding(d->found, C_ALB, "%s answers 503: no healthy target in %s", d->url, c->tg_name);
	d->f->evidence(p, "health check of %s: path %s, interval %.0f s, timeout %.0f s, healthy/unhealthy "
		 "threshold %.0f/%.0f, matcher %s", c->tg_name, path ? path : "?",
		 h->json_num(tg, "HealthCheckIntervalSeconds", 0), h->json_num(tg, "HealthCheckTimeoutSeconds", 0),
		 h->json_num(tg, "HealthyThresholdCount", 0), h->json_num(tg, "UnhealthyThresholdCount", 0),
		 h->json_str(tg, "Matcher.HttpCode") ? h->json_str(tg, "Matcher.HttpCode") : "?");
	diag_targets(d, p, &healthy, &timeouts, &total);
	if (path && strcmp(path, c->health_path) != 0) {
		const char *args[] = { "--target-group-arn", h->json_str(tg, "TargetGroupArn"),
				       "--health-check-path", c->health_path, NULL };
		char cmd[1024];

		d->f->cause(p, 1, ": its health check asks for %s, but the backend answers on %s%s", path, c->health_path,
			 mismatch ? " (Target.ResponseCodeMismatch)" : "");
		d->h->cmdline(cmd, sizeof(cmd), "elbv2", "modify-target-group", args);
		d->f->fix(p, "%s", cmd);
		d->f->fix(p, "or: awsphase 4b deploy   (puts the target group's health check back to %s)", c->health_path);
	} else if (mismatch) {
		d->f->cause(p, 1, ": the targets answer the health check with an unexpected code (Target.ResponseCodeMismatch)");
		d->f->fix(p, "check the health check matcher of %s and the backend's %s", c->tg_name, c->health_path);
	} else if (timeouts) {
		d->f->cause(p, 1, ": the targets time out (see target-timeout)");
		d->f->follows(p, d->sg_problem);
	} else if (unused) {
		d->f->cause(p, 1, ": no listener of %s forwards to it (Target.NotInUse)", c->alb_name);
		d->f->fix(p, "awsphase 4b deploy   (creates the HTTP:80 listener)");
	} else if (!total) {
		d->f->cause(p, 1, ": no target is registered, because no task runs (see %s)",
			 d->service_problem ? "service-state" : "tasks-starting");
		d->f->follows(p, d->service_problem ? d->service_problem : d->tasks_problem);
	} else {
		d->f->cause(p, 1, ": the targets are still being registered or checked; wait a health-check interval");
	}
	probe_task(d, p);
}

