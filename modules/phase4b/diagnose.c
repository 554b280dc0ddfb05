/* awsphase 4b diagnose: the runbook's "Troubleshooting" as a decision
 * procedure.  Each of its four problems is a check; a problem found names
 * its cause, the evidence and the fix, and --fix applies the safe fixes
 * (the ALB → ECS security group rule, a forced deployment). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "observe.h"

#define PROBE_TIMEOUT_S 10.0
#define TASK_PROBE_TIMEOUT_S 3.0
#define MAX_LINES 16
#define MAX_PROBLEMS 8

static int opt_fix;

const struct poptOption p4b_diagnose_options[] = {
	{ "fix", 0, POPT_ARG_NONE, &opt_fix, 0,
	  "apply the safe fixes (security group rule ALB → ECS, forced deployment) after showing them", NULL },
	POPT_TABLEEND
};

/* The runbook's four problems, in its order. */
static const char *const classes[] = { "target-timeout", "service-state", "tasks-starting", "alb-503" };
enum cls { C_TIMEOUT, C_SERVICE, C_TASKS, C_ALB, C_N };

enum fix_kind { FIX_NONE, FIX_SG_RULE, FIX_FORCE_DEPLOY };

struct problem {
	enum cls cls;
	char cause[768];
	char *evidence[MAX_LINES];
	size_t nev;
	char *fix[4];
	size_t nfix;
	enum fix_kind auto_fix;
	struct problem *after; /* its fix ends this one too */
	int fixed;
};

/* Why tasks do not start, from their stopped reasons. */
enum why { WHY_NONE, WHY_IAM, WHY_LOG_GROUP, WHY_IMAGE, WHY_NETWORK, WHY_ELB, WHY_EXITED };

static const struct {
	const char *re;
	enum why why;
} reasons[] = {
	{ "unable to assume the role|not authorized to perform|no basic auth credentials|AccessDenied", WHY_IAM },
	{ "log group does not exist", WHY_LOG_GROUP },
	{ "CannotPullContainerError", WHY_IMAGE },
	{ "ResourceInitializationError|i/o timeout|network configuration", WHY_NETWORK },
	{ "failed ELB health checks", WHY_ELB },
	{ "Essential container in task exited", WHY_EXITED },
};

struct diag {
	struct obs o;
	const struct awsphase_host *h;
	struct problem p[MAX_PROBLEMS];
	size_t n;
	/* the ALB probe */
	int probed;
	long status;
	char probe_err[256];
	char url[1024];
	char *body;
	/* security groups */
	const char *alb_sg, *ecs_sg;
	int rule_ok;
	struct problem *sg_problem, *service_problem, *tasks_problem;
	/* cause-specific lookups */
	struct p4b_view roles;
	struct awsphase_call *extra[4];
	size_t nextra;
	const char *image;
	enum why why;
	const cJSON *why_task;
};

static struct problem *problem(struct diag *d, enum cls cls, const char *fmt, ...) AWSPHASE_PRINTF(3, 4);
static struct problem *problem(struct diag *d, enum cls cls, const char *fmt, ...)
{
	struct problem *p = &d->p[d->n < MAX_PROBLEMS ? d->n++ : MAX_PROBLEMS - 1];
	va_list ap;

	p->cls = cls;
	va_start(ap, fmt);
	vsnprintf(p->cause, sizeof(p->cause), fmt, ap);
	va_end(ap);
	return p;
}

static char *vfmt(const char *fmt, va_list ap) AWSPHASE_PRINTF(1, 0);
static char *vfmt(const char *fmt, va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	return s;
}

static void evidence(struct problem *p, const char *fmt, ...) AWSPHASE_PRINTF(2, 3);
static void evidence(struct problem *p, const char *fmt, ...)
{
	va_list ap;

	if (p->nev >= MAX_LINES)
		return;
	va_start(ap, fmt);
	p->evidence[p->nev] = vfmt(fmt, ap);
	va_end(ap);
	if (p->evidence[p->nev])
		p->nev++;
}

static void fix(struct problem *p, const char *fmt, ...) AWSPHASE_PRINTF(2, 3);
static void fix(struct problem *p, const char *fmt, ...)
{
	va_list ap;

	if (p->nfix >= 4)
		return;
	va_start(ap, fmt);
	p->fix[p->nfix] = vfmt(fmt, ap);
	va_end(ap);
	if (p->fix[p->nfix])
		p->nfix++;
}

/* ---- evidence ---- */

static void add_events(struct diag *d, struct problem *p, int max)
{
	const cJSON *ev;
	char when[40];
	int n = 0;

	cJSON_ArrayForEach(ev, d->h->json_get(obs_service(&d->o), "events")) {
		if (n++ >= max)
			break;
		obs_fmt_time(obs_time(d->h->json_get(ev, "createdAt")), 0, when, sizeof(when));
		evidence(p, "event %s %s", when, d->h->json_str(ev, "message") ? d->h->json_str(ev, "message") : "");
	}
	if (!n)
		evidence(p, "the service has no events");
}

static void add_log_tail(struct diag *d, struct problem *p, int max)
{
	const cJSON *events = d->h->json_get(obs_json(&d->o, OBS_LOGS), "events"), *ev;
	int n = cJSON_GetArraySize(events), i = 0;
	char when[40], err[512];

	if (!events) {
		evidence(p, "logs of %s: %s", d->o.c.log_group,
			 obs_error(&d->o, OBS_LOGS, err, sizeof(err)) ? err : "not read");
		return;
	}
	if (!n)
		evidence(p, "no log line in %s in the last 5 minutes", d->o.c.log_group);
	cJSON_ArrayForEach(ev, events) {
		if (i++ < n - max)
			continue;
		obs_fmt_time(d->h->json_num(ev, "timestamp", 0) / 1000.0, 0, when, sizeof(when));
		evidence(p, "log %s %s %s", when, d->h->json_str(ev, "logStreamName") ?
			 d->h->json_str(ev, "logStreamName") : "?",
			 d->h->json_str(ev, "message") ? d->h->json_str(ev, "message") : "");
	}
}

static double task_when(const struct awsphase_host *h, const cJSON *t)
{
	double w = obs_time(h->json_get(t, "stoppedAt"));

	if (w < 0)
		w = obs_time(h->json_get(t, "stoppingAt"));
	if (w < 0)
		w = obs_time(h->json_get(t, "createdAt"));
	return w;
}

/* The stopped tasks of the PRIMARY deployment (else any), newest first,
 * into out; returns how many. */
static size_t recent_stopped(struct diag *d, const cJSON **out, size_t max)
{
	const struct awsphase_host *h = d->h;
	const char *dep = h->json_str(obs_primary(&d->o), "id");
	const cJSON *t;
	size_t n = 0, i, j;
	int pass;

	for (pass = 0; pass < 2 && !n; pass++) {
		const cJSON *tasks = h->json_get(obs_json(&d->o, OBS_TASKS), "tasks");

		cJSON_ArrayForEach(t, tasks) {
			const char *desired = h->json_str(t, "desiredStatus");
			const char *by = h->json_str(t, "startedBy");

			if (!desired || strcmp(desired, "STOPPED") != 0)
				continue;
			if (pass == 0 && (!dep || !by || strcmp(dep, by) != 0))
				continue;
			/* insertion sort by time, newest first */
			for (i = 0; i < n && task_when(h, out[i]) >= task_when(h, t); i++)
				;
			if (i >= max)
				continue;
			for (j = n < max ? n : max - 1; j > i; j--)
				out[j] = out[j - 1];
			out[i] = t;
			if (n < max)
				n++;
		}
	}
	return n;
}

static enum why classify(struct diag *d, const char *reason)
{
	size_t i;

	for (i = 0; reason && i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (d->h->match(reasons[i].re, reason) == 1)
			return reasons[i].why;
	return WHY_NONE;
}

static const char *container_reason(const struct awsphase_host *h, const cJSON *task)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, h->json_get(task, "containers")) {
		const char *r = h->json_str(c, "reason");

		if (r && *r)
			return r;
	}
	return NULL;
}

static void add_stopped(struct diag *d, struct problem *p, const cJSON *const *tasks, size_t n)
{
	const struct awsphase_host *h = d->h;
	char when[40];
	size_t i;

	for (i = 0; i < n; i++) {
		const char *reason = h->json_str(tasks[i], "stoppedReason");
		const char *creason = container_reason(h, tasks[i]);

		obs_fmt_time(task_when(h, tasks[i]), 0, when, sizeof(when));
		evidence(p, "task %s stopped %s: %s%s%s", obs_short_id(h->json_str(tasks[i], "taskArn")), when,
			 h->json_str(tasks[i], "stopCode") ? h->json_str(tasks[i], "stopCode") : "",
			 h->json_str(tasks[i], "stopCode") ? ": " : "", reason ? reason : "(no reason yet)");
		if (creason && (!reason || strcmp(creason, reason) != 0))
			evidence(p, "container of task %s: %s", obs_short_id(h->json_str(tasks[i], "taskArn")),
				 creason);
	}
}

/* ---- target-timeout: the ECS SG must admit the ALB SG on the port ---- */

static void describe_ingress(struct diag *d, struct problem *p, const cJSON *sg)
{
	const struct awsphase_host *h = d->h;
	const cJSON *perm, *x;
	char line[1024] = "";
	size_t len;

	cJSON_ArrayForEach(perm, h->json_get(sg, "IpPermissions")) {
		const char *proto = h->json_str(perm, "IpProtocol");
		char ports[40];

		if (proto && strcmp(proto, "-1") == 0)
			snprintf(ports, sizeof(ports), "all");
		else if (h->json_num(perm, "FromPort", -1) == h->json_num(perm, "ToPort", -1))
			snprintf(ports, sizeof(ports), "%s/%.0f", proto ? proto : "?", h->json_num(perm, "FromPort", -1));
		else
			snprintf(ports, sizeof(ports), "%s/%.0f-%.0f", proto ? proto : "?",
				 h->json_num(perm, "FromPort", -1), h->json_num(perm, "ToPort", -1));
		cJSON_ArrayForEach(x, h->json_get(perm, "UserIdGroupPairs")) {
			len = strlen(line);
			snprintf(line + len, sizeof(line) - len, "%s%s from %s", *line ? ", " : "", ports,
				 h->json_str(x, "GroupId") ? h->json_str(x, "GroupId") : "?");
		}
		cJSON_ArrayForEach(x, h->json_get(perm, "IpRanges")) {
			len = strlen(line);
			snprintf(line + len, sizeof(line) - len, "%s%s from %s", *line ? ", " : "", ports,
				 h->json_str(x, "CidrIp") ? h->json_str(x, "CidrIp") : "?");
		}
	}
	evidence(p, "ingress of %s (%s): %s", d->o.c.ecs_sg_name, h->json_str(sg, "GroupId"),
		 *line ? line : "none");
}

static const cJSON *service_sgs(struct diag *d)
{
	const struct awsphase_host *h = d->h;
	const cJSON *net = p4b_awsvpc(obs_primary(&d->o));

	return h->json_get(net ? net : p4b_awsvpc(obs_service(&d->o)), "securityGroups");
}

static void targets_summary(struct diag *d, struct problem *p, int *healthy, int *timeouts, int *total)
{
	const struct awsphase_host *h = d->h;
	const cJSON *t;

	*healthy = *timeouts = *total = 0;
	cJSON_ArrayForEach(t, obs_targets(&d->o)) {
		const char *state = h->json_str(t, "TargetHealth.State");
		const char *reason = h->json_str(t, "TargetHealth.Reason");

		(*total)++;
		if (state && strcmp(state, "healthy") == 0)
			(*healthy)++;
		if (reason && strcmp(reason, "Target.Timeout") == 0)
			(*timeouts)++;
		if (p)
			evidence(p, "target %s:%.0f %s%s%s%s", h->json_str(t, "Target.Id") ? h->json_str(t, "Target.Id") : "?",
				 h->json_num(t, "Target.Port", 0), state ? state : "?", reason ? " (" : "",
				 reason ? reason : "", reason ? ")" : "");
	}
}

static void diagnose_sg(struct diag *d)
{
	const struct awsphase_host *h = d->h;
	const struct p4b *c = &d->o.c;
	const cJSON *ecs = p4b_sg_named(&d->o.v, c->ecs_sg_name), *alb = p4b_sg_named(&d->o.v, c->alb_sg_name);
	int healthy, timeouts, total;
	char cmd[1024], port[16];
	struct problem *p;

	targets_summary(d, NULL, &healthy, &timeouts, &total);
	d->ecs_sg = h->json_str(ecs, "GroupId");
	d->alb_sg = h->json_str(alb, "GroupId");
	if (!ecs || !alb) {
		p = problem(d, C_TIMEOUT, "security group %s does not exist in %s; targets cannot be reached",
			    !ecs ? c->ecs_sg_name : c->alb_sg_name, c->vpc ? c->vpc : "the VPC");
		fix(p, "awsphase 4b deploy   (creates %s and %s with the ALB → %d rule)", c->alb_sg_name,
		    c->ecs_sg_name, c->port);
		d->sg_problem = p;
		return;
	}
	d->rule_ok = p4b_sg_allows(ecs, c->port, d->alb_sg, NULL);
	if (!d->rule_ok && (timeouts || !healthy)) {
		const char *args[] = { "--group-id", d->ecs_sg, "--protocol", "tcp", "--port", port,
				       "--source-group", d->alb_sg, NULL };

		snprintf(port, sizeof(port), "%d", c->port);
		p = problem(d, C_TIMEOUT, "%s (%s) does not let %s (%s) in on tcp/%d, so the ALB's health "
			    "checks time out", c->ecs_sg_name, d->ecs_sg, c->alb_sg_name, d->alb_sg, c->port);
		targets_summary(d, p, &healthy, &timeouts, &total);
		if (!total)
			evidence(p, "no target registered in %s", c->tg_name);
		describe_ingress(d, p, ecs);
		obs_cmdline(&d->o, cmd, sizeof(cmd), "ec2", "authorize-security-group-ingress", args);
		fix(p, "awsphase 4b fix-sg   (the runbook's ./fix-ecs-sg.sh)");
		fix(p, "%s", cmd);
		p->auto_fix = FIX_SG_RULE;
		d->sg_problem = p;
	}
	if (obs_service(&d->o) && service_sgs(d) && !p4b_json_has(service_sgs(d), d->ecs_sg)) {
		char *list = cJSON_PrintUnformatted(service_sgs(d));

		p = problem(d, C_TIMEOUT, "the service's tasks do not carry %s (%s): they have %s", c->ecs_sg_name,
			    d->ecs_sg, list ? list : "?");
		free(list);
		targets_summary(d, p, &healthy, &timeouts, &total);
		fix(p, "awsphase 4b fix-sg   (the runbook's ./fix-ecs-sg.sh: gives the service %s)", c->ecs_sg_name);
		if (!d->sg_problem)
			d->sg_problem = p;
		return;
	}
	if (timeouts && d->rule_ok) {
		p = problem(d, C_TIMEOUT, "%d target%s time out although %s admits %s on tcp/%d: look at the "
			    "ALB security group's egress, the subnets' network ACLs and whether the container "
			    "listens on %d", timeouts, timeouts == 1 ? "" : "s", c->ecs_sg_name, c->alb_sg_name,
			    c->port, c->port);
		targets_summary(d, p, &healthy, &timeouts, &total);
		describe_ingress(d, p, ecs);
		d->sg_problem = p;
	}
}

/* ---- service-state: INACTIVE, DRAINING, missing, or a failed deployment ---- */

static void diagnose_service(struct diag *d)
{
	const struct awsphase_host *h = d->h;
	const struct p4b *c = &d->o.c;
	const cJSON *svc = obs_service(&d->o), *dep = obs_primary(&d->o);
	const char *status = h->json_str(svc, "status"), *rollout = h->json_str(dep, "rolloutState");
	char cmd[1024];
	const char *args[] = { "--cluster", c->cluster, "--service", c->service, "--force-new-deployment", NULL };
	struct problem *p;

	obs_cmdline(&d->o, cmd, sizeof(cmd), "ecs", "update-service", args);
	if (!svc) {
		p = problem(d, C_SERVICE, "service %s does not exist in cluster %s%s", c->service, c->cluster,
			    d->o.v.cluster_missing ? " (nor does the cluster)" : "");
		fix(p, "awsphase 4b deploy");
		d->service_problem = p;
		return;
	}
	if (status && (strcmp(status, "INACTIVE") == 0 || strcmp(status, "DRAINING") == 0)) {
		p = problem(d, C_SERVICE, "service %s is %s: the previous deployment failed or is stuck, or "
			    "the service was deleted", c->service, status);
		evidence(p, "status %s, running %.0f, desired %.0f", status, h->json_num(svc, "runningCount", 0),
			 h->json_num(svc, "desiredCount", 0));
		add_events(d, p, 5);
		fix(p, "awsphase 4b deploy   (creates the service again: an %s service cannot be updated, "
		    "so the runbook's forced deployment fails with ServiceNotActiveException)", status);
		fix(p, "once ACTIVE, the runbook's forced deployment: %s", cmd);
		d->service_problem = p;
		return;
	}
	if (rollout && strcmp(rollout, "FAILED") == 0) {
		p = problem(d, C_SERVICE, "deployment %s FAILED: %s", obs_or_unknown(h->json_str(dep, "id")),
			    h->json_str(dep, "rolloutStateReason") ? h->json_str(dep, "rolloutStateReason") : "?");
		evidence(p, "status %s, running %.0f, desired %.0f, failed tasks %.0f", status ? status : "?",
			 h->json_num(svc, "runningCount", 0), h->json_num(svc, "desiredCount", 0),
			 h->json_num(dep, "failedTasks", 0));
		add_events(d, p, 5);
		fix(p, "the runbook's forced deployment, once the cause under tasks-starting is gone: %s", cmd);
		p->auto_fix = FIX_FORCE_DEPLOY;
		d->service_problem = p;
	}
}

/* ---- tasks-starting: PENDING or stopping tasks, and which cause it is ---- */

static int tasks_in_trouble(struct diag *d)
{
	const struct awsphase_host *h = d->h;
	const cJSON *svc = obs_service(&d->o), *dep = obs_primary(&d->o);
	const char *status = h->json_str(svc, "status");
	double desired = h->json_num(svc, "desiredCount", 0);

	if (!svc || !status || strcmp(status, "ACTIVE") != 0 || desired <= 0)
		return 0;
	return h->json_num(svc, "runningCount", 0) < desired ||
	       (dep && h->json_num(dep, "runningCount", 0) < h->json_num(dep, "desiredCount", 0));
}

static const char *taskdef_image(struct diag *d)
{
	const struct awsphase_host *h = d->h;
	const cJSON *cdef, *first = NULL;

	cJSON_ArrayForEach(cdef, h->json_get(obs_json(&d->o, OBS_TASKDEF), "taskDefinition.containerDefinitions")) {
		const char *name = h->json_str(cdef, "name");

		if (!first)
			first = cdef;
		if (name && d->o.c.container && strcmp(name, d->o.c.container) == 0)
			return h->json_str(cdef, "image");
	}
	return h->json_str(first, "image");
}

static const char *role_name(struct diag *d, const char *key, const char *def)
{
	const char *arn = d->h->json_str(obs_json(&d->o, OBS_TASKDEF), key);

	return arn ? obs_short_id(arn) : def;
}

/* The calls that tell one cause from another, by what the tasks stopped with. */
static void plan_extra(struct diag *d)
{
	const struct awsphase_host *h = d->h;
	struct awsphase_call *call;
	char repo[256], tag[160];
	const char *slash, *at, *colon;

	switch (d->why) {
	case WHY_IMAGE:
		d->image = taskdef_image(d);
		if (!d->image || !strstr(d->image, ".dkr.ecr.") || !(slash = strchr(d->image, '/')))
			break;
		at = strchr(slash, '@');
		colon = strrchr(slash, ':');
		snprintf(repo, sizeof(repo), "%.*s", (int)((at ? at : colon ? colon : slash + strlen(slash)) - slash - 1),
			 slash + 1);
		if (at)
			snprintf(tag, sizeof(tag), "imageDigest=%s", at + 1);
		else
			snprintf(tag, sizeof(tag), "imageTag=%s", colon ? colon + 1 : "latest");
		call = h->call_new("ecr", "describe-images");
		h->call_accept(call, "ImageNotFoundException");
		h->call_accept(call, "RepositoryNotFoundException");
		h->call_arg(call, "--repository-name");
		h->call_arg(call, repo);
		h->call_arg(call, "--image-ids");
		h->call_arg(call, tag);
		d->extra[d->nextra++] = call;
		break;
	default:
		break;
	}
}

static int in_list(const char *s, const char *a, const char *b)
{
	return s && ((a && strcmp(s, a) == 0) || (b && strcmp(s, b) == 0));
}

static void cause_image(struct diag *d, struct problem *p)
{
	const struct awsphase_host *h = d->h;
	const char *ecr_uri = d->o.c.ecr_uri;
	struct awsphase_call *call = d->nextra ? d->extra[0] : NULL;
	enum awsphase_call_state st = call ? h->call_state(call) : AWSPHASE_CALL_PENDING;
	const char *image = d->image ? d->image : "?";

	if (st == AWSPHASE_CALL_OK) {
		snprintf(p->cause, sizeof(p->cause), "tasks could not pull %s, but ECR has it now: a forced "
			 "deployment retries", image);
		evidence(p, "ecr describe-images: %s is there (pushed %s)", image,
			 h->json_str(h->call_json(call), "imageDetails.0.imagePushedAt") ?
			 h->json_str(h->call_json(call), "imageDetails.0.imagePushedAt") : "?");
		p->auto_fix = FIX_FORCE_DEPLOY;
	} else {
		snprintf(p->cause, sizeof(p->cause), "the image %s is not in ECR (CannotPullContainerError)", image);
		if (call)
			evidence(p, "ecr describe-images: %s%s%s", h->call_error(call),
				 *h->call_message(call) ? ": " : "", h->call_message(call));
	}
	if (ecr_uri && d->image && strcmp(ecr_uri, d->image) != 0)
		evidence(p, "the task definition uses %s, but ECR_URI in %s is %s", d->image,
			 h->settings->env_file ? h->settings->env_file : "aws-resources.env", ecr_uri);
	else if (ecr_uri)
		evidence(p, "ECR_URI is %s", ecr_uri);
}

static void cause_iam(struct diag *d, struct problem *p)
{
	const struct p4b *c = &d->o.c;
	const char *names[2] = { role_name(d, "taskDefinition.executionRoleArn", c->exec_role),
				 role_name(d, "taskDefinition.taskRoleArn", c->task_role) };
	size_t i;
	int bad = 0;

	for (i = 0; i < 2; i++) {
		const cJSON *role = p4b_role(&d->roles, names[i]);

		if (!d->roles.roles) {
			evidence(p, "the IAM roles could not be read");
			break;
		}
		if (!role) {
			evidence(p, "role %s does not exist", names[i]);
			bad++;
		} else if (!p4b_role_trusts_ecs_tasks(role)) {
			evidence(p, "role %s does not trust %s", names[i], P4B_TRUSTED_SERVICE);
			bad++;
		} else if (i == 0 && !p4b_role_has_policy(role, p4b_exec_policy_arn(c))) {
			evidence(p, "role %s has no AmazonECSTaskExecutionRolePolicy attached", names[i]);
			bad++;
		} else {
			evidence(p, "role %s exists and trusts %s", names[i], P4B_TRUSTED_SERVICE);
		}
	}
	snprintf(p->cause, sizeof(p->cause), "IAM: the task roles %s and %s are missing, not trusted by "
		 "%s or lack permissions%s", names[0], names[1], P4B_TRUSTED_SERVICE,
		 bad ? "" : " (the roles look right now; IAM changes take a moment to apply)");
}

/* The awsvpcConfiguration the service's PRIMARY deployment starts tasks with. */
static const cJSON *task_awsvpc(struct diag *d)
{
	const cJSON *net = p4b_awsvpc(obs_primary(&d->o));

	return net ? net : p4b_awsvpc(obs_service(&d->o));
}

static void cause_network(struct diag *d, struct problem *p)
{
	const struct awsphase_host *h = d->h;
	const struct p4b *c = &d->o.c;
	const cJSON *net = task_awsvpc(d), *s;
	const char *assign = h->json_str(net, "assignPublicIp");
	int public_ = 0, private_ = 0;
	char *subnets;

	cJSON_ArrayForEach(s, h->json_get(net, "subnets")) {
		if (!cJSON_IsString(s))
			continue;
		if (in_list(s->valuestring, c->public_subnet[0], c->public_subnet[1]))
			public_ = 1;
		else if (in_list(s->valuestring, c->private_subnet[0], c->private_subnet[1]))
			private_ = 1;
	}
	if (!public_ && !private_) {
		private_ = strcmp(c->tier, "private") == 0;
		public_ = !private_;
	}
	subnets = cJSON_PrintUnformatted(h->json_get(net, "subnets"));
	evidence(p, "tasks run in %s subnets %s with assignPublicIp=%s", public_ ? "public" : "private",
		 subnets ? subnets : "?", assign ? assign : "DISABLED");
	free(subnets);
	if (public_ && (!assign || strcmp(assign, "ENABLED") != 0)) {
		snprintf(p->cause, sizeof(p->cause), "tasks in a public subnet without assignPublicIp=ENABLED "
			 "cannot reach ECR and CloudWatch Logs");
	} else if (private_) {
		snprintf(p->cause, sizeof(p->cause), "tasks in a private subnet without a NAT gateway or VPC "
			 "endpoints (ecr.api, ecr.dkr, s3, logs) cannot reach ECR and CloudWatch Logs");
	} else {
		snprintf(p->cause, sizeof(p->cause), "tasks cannot reach ECR although they have a public IP: "
			 "the security group's egress on tcp/443 or the subnets' route to the internet "
			 "gateway is missing");
	}
}

static void diagnose_tasks(struct diag *d)
{
	const struct awsphase_host *h = d->h;
	const struct p4b *c = &d->o.c;
	const cJSON *svc = obs_service(&d->o), *dep = obs_primary(&d->o);
	const cJSON *stopped[3];
	size_t n, i;
	struct problem *p;

	if (!tasks_in_trouble(d))
		return;
	n = recent_stopped(d, stopped, 3);
	for (i = 0; i < n && d->why == WHY_NONE; i++) {
		d->why = classify(d, h->json_str(stopped[i], "stoppedReason"));
		if (d->why == WHY_NONE)
			d->why = classify(d, container_reason(h, stopped[i]));
		d->why_task = stopped[i];
	}
	p = problem(d, C_TASKS, "tasks do not reach RUNNING: %.0f of %.0f running, %.0f pending",
		    h->json_num(svc, "runningCount", 0), h->json_num(svc, "desiredCount", 0),
		    h->json_num(svc, "pendingCount", 0));
	d->tasks_problem = p;
	if (dep)
		evidence(p, "deployment %s %s: %.0f/%.0f running, %.0f failed tasks",
			 obs_or_unknown(h->json_str(dep, "id")), h->json_str(dep, "rolloutState") ?
			 h->json_str(dep, "rolloutState") : "?", h->json_num(dep, "runningCount", 0),
			 h->json_num(dep, "desiredCount", 0), h->json_num(dep, "failedTasks", 0));
	add_events(d, p, 5);
	add_stopped(d, p, stopped, n);
	add_log_tail(d, p, 5);
	switch (d->why) {
	case WHY_IMAGE:
		cause_image(d, p);
		break;
	case WHY_IAM:
		cause_iam(d, p);
		break;
	case WHY_NETWORK:
		cause_network(d, p);
		break;
	case WHY_LOG_GROUP:
		snprintf(p->cause, sizeof(p->cause), "the log group %s does not exist, so the awslogs driver "
			 "cannot start", c->log_group);
		break;
	case WHY_ELB:
		snprintf(p->cause, sizeof(p->cause), "tasks start but are stopped for failing the ALB's health "
			 "checks; see target-timeout and alb-503");
		p->after = d->sg_problem;
		break;
	case WHY_EXITED:
		snprintf(p->cause, sizeof(p->cause), "the container exits after starting: see its logs");
		break;
	case WHY_NONE:
		if (n == 0)
			snprintf(p->cause + strlen(p->cause), sizeof(p->cause) - strlen(p->cause),
				 "; no task has stopped yet: the events above tell whether ECS can place them");
		fix(p, "awsphase 4b status   (watch the tasks and events; the runbook's causes: image missing "
		    "vs ECR_URI, IAM roles %s/%s, assignPublicIp in public subnets, NAT or endpoints in "
		    "private ones)", c->exec_role, c->task_role);
		break;
	}
	if (d->why != WHY_NONE && d->why != WHY_ELB && p->auto_fix == FIX_NONE) {
		const char *reason = h->json_str(d->why_task, "stoppedReason");
		const char *rfix;

		if (d->why == WHY_NONE || !reason || classify(d, reason) != d->why)
			reason = container_reason(h, d->why_task);
		rfix = p4b_reason_fix(c, reason, h->json_str(task_awsvpc(d), "assignPublicIp"),
				      obs_task_detail(d->why_task, "subnetId"));
		if (rfix)
			fix(p, "%s", rfix);
		fix(p, "then: awsphase 4b deploy   (a new deployment with the cause gone)");
	}
}

/* ---- alb-503: no healthy target, or the ALB does not answer ---- */

static void probe_task(struct diag *d, struct problem *p)
{
	const struct awsphase_host *h = d->h;
	const cJSON *task = obs_task(&d->o, 0, 0);
	const char *ip = obs_task_detail(task, "privateIPv4Address");
	char url[256], err[256], excerpt[160];
	char *body = NULL;
	long status;

	if (!ip) {
		evidence(p, "no running task to probe directly");
		return;
	}
	snprintf(url, sizeof(url), "http://%s:%d%s", ip, d->o.c.port, d->o.c.health_path);
	if (h->http_get(url, TASK_PROBE_TIMEOUT_S, &status, &body, err, sizeof(err)) < 0) {
		evidence(p, "direct probe %s: %s (task IPs are reachable only from inside the VPC)", url, err);
		return;
	}
	obs_excerpt(body, 100, excerpt, sizeof(excerpt));
	evidence(p, "direct probe %s: HTTP %ld %s%s", url, status, excerpt,
		 getenv("http_proxy") || getenv("HTTP_PROXY") ? " (through http_proxy)" : "");
	free(body);
}

static void diagnose_alb(struct diag *d)
{
	const struct awsphase_host *h = d->h;
	const struct p4b *c = &d->o.c;
	const cJSON *tg = obs_tg(&d->o), *t;
	char excerpt[200];
	int healthy, timeouts, total, mismatch = 0, unused = 0;
	const char *path = h->json_str(tg, "HealthCheckPath");
	struct problem *p;

	if (!obs_alb(&d->o)) {
		p = problem(d, C_ALB, "load balancer %s does not exist", c->alb_name);
		evidence(p, "describe-load-balancers --names %s: LoadBalancerNotFound", c->alb_name);
		fix(p, "awsphase 4b deploy");
		return;
	}
	if (!tg) {
		p = problem(d, C_ALB, "target group %s does not exist", c->tg_name);
		evidence(p, "describe-target-groups --names %s: TargetGroupNotFound", c->tg_name);
		fix(p, "awsphase 4b deploy");
		return;
	}
	if (d->probed && d->status == 200 && d->body && strstr(d->body, "\"success\""))
		return;
	if (!d->probed) {
		p = problem(d, C_ALB, "%s does not answer: %s", d->url, d->probe_err);
		evidence(p, "ALB %s state %s", h->json_str(obs_alb(&d->o), "DNSName"),
			 h->json_str(obs_alb(&d->o), "State.Code") ? h->json_str(obs_alb(&d->o), "State.Code") : "?");
		fix(p, "check that %s admits you on port 80 and that the ALB is active", c->alb_sg_name);
		return;
	}
	obs_excerpt(d->body, 120, excerpt, sizeof(excerpt));
	if (d->status != 503) {
		p = problem(d, C_ALB, "%s answers HTTP %ld, not 200 with {\"success\": true}", d->url, d->status);
		evidence(p, "body: %s", excerpt);
		if (d->status == 504)
			fix(p, "check that %s admits tcp/80 from your address and that the listener exists",
			    c->alb_sg_name);
		else
			fix(p, "check HEALTH_PATH (%s) against the backend's routes", c->health_path);
		return;
	}
	targets_summary(d, NULL, &healthy, &timeouts, &total);
	cJSON_ArrayForEach(t, obs_targets(&d->o)) {
		const char *reason = h->json_str(t, "TargetHealth.Reason");

		if (reason && strcmp(reason, "Target.ResponseCodeMismatch") == 0)
			mismatch++;
		if (reason && strcmp(reason, "Target.NotInUse") == 0)
			unused++;
	}
	p = problem(d, C_ALB, "%s answers 503: no healthy target in %s", d->url, c->tg_name);
	evidence(p, "health check of %s: path %s, interval %.0f s, timeout %.0f s, healthy/unhealthy "
		 "threshold %.0f/%.0f, matcher %s", c->tg_name, path ? path : "?",
		 h->json_num(tg, "HealthCheckIntervalSeconds", 0), h->json_num(tg, "HealthCheckTimeoutSeconds", 0),
		 h->json_num(tg, "HealthyThresholdCount", 0), h->json_num(tg, "UnhealthyThresholdCount", 0),
		 h->json_str(tg, "Matcher.HttpCode") ? h->json_str(tg, "Matcher.HttpCode") : "?");
	targets_summary(d, p, &healthy, &timeouts, &total);
	if (path && strcmp(path, c->health_path) != 0) {
		const char *args[] = { "--target-group-arn", h->json_str(tg, "TargetGroupArn"),
				       "--health-check-path", c->health_path, NULL };
		char cmd[1024];

		snprintf(p->cause + strlen(p->cause), sizeof(p->cause) - strlen(p->cause),
			 ": its health check asks for %s, but the backend answers on %s%s", path, c->health_path,
			 mismatch ? " (Target.ResponseCodeMismatch)" : "");
		obs_cmdline(&d->o, cmd, sizeof(cmd), "elbv2", "modify-target-group", args);
		fix(p, "%s", cmd);
		fix(p, "or: awsphase 4b deploy   (puts the target group's health check back to %s)", c->health_path);
	} else if (mismatch) {
		snprintf(p->cause + strlen(p->cause), sizeof(p->cause) - strlen(p->cause),
			 ": the targets answer the health check with an unexpected code (Target.ResponseCodeMismatch)");
		fix(p, "check the health check matcher of %s and the backend's %s", c->tg_name, c->health_path);
	} else if (timeouts) {
		snprintf(p->cause + strlen(p->cause), sizeof(p->cause) - strlen(p->cause),
			 ": the targets time out (see target-timeout)");
		p->after = d->sg_problem;
	} else if (unused) {
		snprintf(p->cause + strlen(p->cause), sizeof(p->cause) - strlen(p->cause),
			 ": no listener of %s forwards to it (Target.NotInUse)", c->alb_name);
		fix(p, "awsphase 4b deploy   (creates the HTTP:80 listener)");
	} else if (!total) {
		snprintf(p->cause + strlen(p->cause), sizeof(p->cause) - strlen(p->cause),
			 ": no target is registered, because no task runs (see %s)",
			 d->service_problem ? "service-state" : "tasks-starting");
		p->after = d->service_problem ? d->service_problem : d->tasks_problem;
	} else {
		snprintf(p->cause + strlen(p->cause), sizeof(p->cause) - strlen(p->cause),
			 ": the targets are still being registered or checked; wait a health-check interval");
	}
	probe_task(d, p);
}

/* ---- output and fixes ---- */

/* 1 when --fix can end the problem: it has a safe fix, or the problem it
 * follows from has one. */
static int resolved(const struct problem *p)
{
	int depth = 0;

	for (; p && depth < MAX_PROBLEMS; p = p->after, depth++)
		if (p->auto_fix != FIX_NONE)
			return 1;
	return 0;
}

static cJSON *strings(char *const *v, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	size_t i;

	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
	return a;
}

static void show(struct diag *d, const char *const *ok_detail)
{
	const struct awsphase_host *h = d->h;
	cJSON *arr = cJSON_CreateArray();
	size_t i, j;
	int k;

	for (k = 0; k < C_N; k++) {
		int found = 0;

		for (i = 0; i < d->n; i++) {
			struct problem *p = &d->p[i];
			int fixable = opt_fix && resolved(p);
			cJSON *o;

			if (p->cls != (enum cls)k)
				continue;
			found = 1;
			h->check(classes[k], fixable ? AWSPHASE_WARN : AWSPHASE_FAIL, "%s%s", p->cause,
				 fixable ? " (fixing, see below)" : "");
			for (j = 0; j < p->nev; j++)
				h->say("    evidence: %s", p->evidence[j]);
			for (j = 0; j < p->nfix; j++)
				h->say("    fix: %s", p->fix[j]);
			if (p->auto_fix != FIX_NONE && !opt_fix)
				h->say("    (awsphase 4b diagnose --fix applies it)");
			if (p->after && !p->nfix)
				h->say("    fix: the fix of %s", classes[p->after->cls]);
			o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "check", classes[k]);
			cJSON_AddStringToObject(o, "cause", p->cause);
			cJSON_AddItemToObject(o, "evidence", strings(p->evidence, p->nev));
			cJSON_AddItemToObject(o, "fix", strings(p->fix, p->nfix));
			cJSON_AddBoolToObject(o, "auto_fix", resolved(p));
			cJSON_AddItemToArray(arr, o);
		}
		if (!found)
			h->check(classes[k], AWSPHASE_OK, "%s", ok_detail[k]);
	}
	h->report_add("problems", arr);
}

static int apply(struct diag *d, enum fix_kind kind)
{
	const struct awsphase_host *h = d->h;
	const struct p4b *c = &d->o.c;
	struct awsphase_call *call;
	char cmd[1024], port[16];
	const char *name;
	int rc;

	snprintf(port, sizeof(port), "%d", c->port);
	if (kind == FIX_SG_RULE) {
		const char *args[] = { "--group-id", d->ecs_sg, "--protocol", "tcp", "--port", port,
				       "--source-group", d->alb_sg, NULL };

		name = "fix-sg-rule";
		obs_cmdline(&d->o, cmd, sizeof(cmd), "ec2", "authorize-security-group-ingress", args);
		size_t i;

		call = h->call_new("ec2", "authorize-security-group-ingress");
		h->call_accept(call, "InvalidPermission.Duplicate");
		for (i = 0; args[i]; i++)
			h->call_arg(call, args[i]);
	} else {
		const char *args[] = { "--cluster", c->cluster, "--service", c->service, "--force-new-deployment", NULL };
		size_t i;

		name = "fix-force-deployment";
		obs_cmdline(&d->o, cmd, sizeof(cmd), "ecs", "update-service", args);
		call = h->call_new("ecs", "update-service");
		for (i = 0; args[i]; i++)
			h->call_arg(call, args[i]);
	}
	h->say("applying: %s", cmd);
	rc = h->call_run(call);
	if (rc == 0 && h->call_state(call) == AWSPHASE_CALL_DRY_RUN) {
		h->check(name, AWSPHASE_FAIL, "not applied (--dry-run): %s", cmd);
		rc = AWSPHASE_EXIT_FAILED;
	} else if (rc == 0) {
		h->check(name, AWSPHASE_OK, "%s%s", cmd, h->call_state(call) == AWSPHASE_CALL_ACCEPTED ?
			 " (the rule was there already)" : "");
	} else {
		h->check(name, AWSPHASE_FAIL, "%s: %s %s", cmd, h->call_error(call), h->call_message(call));
	}
	h->call_free(call);
	return rc;
}

static void free_diag(struct diag *d)
{
	size_t i, j;

	for (i = 0; i < d->n; i++) {
		for (j = 0; j < d->p[i].nev; j++)
			free(d->p[i].evidence[j]);
		for (j = 0; j < d->p[i].nfix; j++)
			free(d->p[i].fix[j]);
	}
	for (i = 0; i < d->nextra; i++)
		d->h->call_free(d->extra[i]);
	p4b_view_free(&d->roles);
	free(d->body);
	obs_free(&d->o);
}

static void probe_alb(struct diag *d)
{
	const char *dns = d->h->json_str(obs_alb(&d->o), "DNSName");

	if (!dns)
		return;
	snprintf(d->url, sizeof(d->url), "http://%s%s", dns, d->o.c.health_path);
	d->probed = d->h->http_get(d->url, PROBE_TIMEOUT_S, &d->status, &d->body, d->probe_err,
				   sizeof(d->probe_err)) == 0;
}

int p4b_diagnose(const struct awsphase_host *h, int argc, const char **argv)
{
	struct diag d;
	char ok_text[C_N][1200];
	const char *ok_detail[C_N];
	const cJSON *svc, *dep;
	unsigned round2;
	size_t i;
	int rc, unfixed = 0, sg_fixed = 0, force_fixed = 0;

	if (argc > 1) {
		h->log(AWSPHASE_LOG_ERROR, "4b diagnose: unexpected argument '%s'; see awsphase 4b diagnose --help",
		       argv[1]);
		return AWSPHASE_EXIT_USAGE;
	}
	memset(&d, 0, sizeof(d));
	rc = obs_init(&d.o, h);
	if (rc)
		return rc;
	d.h = h;

	/* round 1: the service, the load balancer and its target group, the
	 * security groups; then the ALB itself */
	obs_read(&d.o, P4B_SERVICE | P4B_TG | P4B_ALB | P4B_TARGETS | P4B_SGS);
	if (d.o.rc == AWSPHASE_EXIT_INTERRUPTED)
		goto out;
	probe_alb(&d);
	/* round 2: target health; the evidence of tasks that do not start (the
	 * runbook's events and `logs tail --since 5m`); tasks to probe on 503 */
	round2 = 0;
	if (tasks_in_trouble(&d))
		round2 |= OBS_BIT(OBS_STOPPED_ARNS) | OBS_BIT(OBS_TASK_ARNS) | OBS_BIT(OBS_LOGS) |
			  OBS_BIT(OBS_TASKDEF);
	if (d.probed && d.status == 503)
		round2 |= OBS_BIT(OBS_TASK_ARNS);
	d.o.logs_start_ms = (long long)((obs_now() - 300) * 1000.0);
	obs_fetch(&d.o, round2);
	if (d.o.rc == AWSPHASE_EXIT_INTERRUPTED)
		goto out;
	/* round 3: the tasks, running and stopped */
	obs_fetch(&d.o, OBS_BIT(OBS_TASKS));
	if (d.o.rc == AWSPHASE_EXIT_INTERRUPTED)
		goto out;

	diagnose_sg(&d);
	diagnose_service(&d);
	if (tasks_in_trouble(&d)) {
		const cJSON *stopped[3];
		size_t n = recent_stopped(&d, stopped, 3);

		for (i = 0; i < n && d.why == WHY_NONE; i++) {
			d.why = classify(&d, h->json_str(stopped[i], "stoppedReason"));
			if (d.why == WHY_NONE)
				d.why = classify(&d, container_reason(h, stopped[i]));
		}
		/* round 4: what tells the runbook's causes apart */
		plan_extra(&d);
		if (d.nextra && h->call_run_all(d.extra, d.nextra) == AWSPHASE_EXIT_INTERRUPTED) {
			d.o.rc = AWSPHASE_EXIT_INTERRUPTED;
			goto out;
		}
		if (d.why == WHY_IAM && p4b_read(&d.o.c, P4B_ROLES, &d.roles) == AWSPHASE_EXIT_INTERRUPTED) {
			d.o.rc = AWSPHASE_EXIT_INTERRUPTED;
			goto out;
		}
		d.why = WHY_NONE;
	}
	diagnose_tasks(&d);
	diagnose_alb(&d);
	/* a failed deployment is the tasks' fault when they have a cause of their own */
	if (d.service_problem && d.service_problem->auto_fix == FIX_FORCE_DEPLOY && d.tasks_problem &&
	    d.tasks_problem->auto_fix == FIX_NONE && d.why != WHY_NONE && d.why != WHY_ELB)
		d.service_problem->auto_fix = FIX_NONE;

	svc = obs_service(&d.o);
	dep = obs_primary(&d.o);
	snprintf(ok_text[C_TIMEOUT], sizeof(ok_text[0]), "no target times out; %s admits %s on tcp/%d",
		 d.o.c.ecs_sg_name, d.o.c.alb_sg_name, d.o.c.port);
	snprintf(ok_text[C_SERVICE], sizeof(ok_text[0]), "%s, deployment %s %s",
		 h->json_str(svc, "status") ? h->json_str(svc, "status") : "?",
		 obs_or_unknown(h->json_str(dep, "id")),
		 h->json_str(dep, "rolloutState") ? h->json_str(dep, "rolloutState") : "?");
	snprintf(ok_text[C_TASKS], sizeof(ok_text[0]), "%.0f of %.0f tasks running",
		 h->json_num(svc, "runningCount", 0), h->json_num(svc, "desiredCount", 0));
	snprintf(ok_text[C_ALB], sizeof(ok_text[0]), "HTTP %ld from %s", d.status, d.url);
	for (i = 0; i < C_N; i++)
		ok_detail[i] = ok_text[i];
	show(&d, ok_detail);

	for (i = 0; i < d.n; i++) {
		struct problem *p = &d.p[i];

		if (!opt_fix || p->auto_fix == FIX_NONE)
			continue;
		if (p->auto_fix == FIX_SG_RULE && !sg_fixed)
			sg_fixed = apply(&d, FIX_SG_RULE) == 0 ? 1 : -1;
		if (p->auto_fix == FIX_FORCE_DEPLOY && !force_fixed)
			force_fixed = apply(&d, FIX_FORCE_DEPLOY) == 0 ? 1 : -1;
		p->fixed = (p->auto_fix == FIX_SG_RULE ? sg_fixed : force_fixed) > 0;
	}
	for (i = 0; i < d.n; i++) {
		const struct problem *p = &d.p[i];
		int depth = 0;

		while (p && !p->fixed && depth++ < MAX_PROBLEMS)
			p = p->after;
		if (!p || !p->fixed)
			unfixed++;
	}
	if (sg_fixed > 0)
		h->say("the targets turn healthy after a few health checks; then: awsphase 4b validate");
	if (force_fixed > 0)
		h->say("a new deployment started; follow it with: awsphase 4b status");
out:
	rc = d.o.rc;
	free_diag(&d);
	if (rc == AWSPHASE_EXIT_INTERRUPTED || h->interrupted())
		return AWSPHASE_EXIT_INTERRUPTED;
	if (sg_fixed < 0 || force_fixed < 0)
		return rc ? rc : AWSPHASE_EXIT_FAILED;
	if (rc)
		return rc;
	return unfixed ? AWSPHASE_EXIT_FAILED : AWSPHASE_EXIT_OK;
}
