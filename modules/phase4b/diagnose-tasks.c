/* awsphase 4b diagnose: service-state (INACTIVE, DRAINING, missing, a failed
 * deployment) and tasks-starting (PENDING or stopping tasks, and which of the
 * runbook's causes it is: image, IAM, network, log group). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose.h"

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

static void add_log_tail(struct diag *d, struct awsphase_finding *p, int max)
{
	const cJSON *events = d->h->json_get(obs_json(&d->o, "logs"), "events"), *ev;
	int n = cJSON_GetArraySize(events), i = 0;
	char when[40];

	if (!events) {
		d->f->evidence(p, "logs of %s: %s", d->o.c.log_group,
			 obs_error(&d->o, "logs") ? obs_error(&d->o, "logs") : d->h->text("not read"));
		return;
	}
	if (!n)
		d->f->evidence(p, "no log line in %s in the last 5 minutes", d->o.c.log_group);
	cJSON_ArrayForEach(ev, events) {
		if (i++ < n - max)
			continue;
		p4b_h->format_time(d->h->json_num(ev, "timestamp", 0) / 1000.0, 0, when, sizeof(when));
		d->f->evidence(p, "log %s %s %s", when, d->h->json_str(ev, "logStreamName") ?
			 d->h->json_str(ev, "logStreamName") : "?",
			 d->h->json_str(ev, "message") ? d->h->json_str(ev, "message") : "");
	}
}

static double task_when(const struct awsphase_host *h, const cJSON *t)
{
	double w = p4b_h->json_time(h->json_get(t, "stoppedAt"));

	if (w < 0)
		w = p4b_h->json_time(h->json_get(t, "stoppingAt"));
	if (w < 0)
		w = p4b_h->json_time(h->json_get(t, "createdAt"));
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
		const cJSON *tasks = obs_json(&d->o, "stopped-tasks");

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

static void add_stopped(struct diag *d, struct awsphase_finding *p, const cJSON *const *tasks, size_t n)
{
	const struct awsphase_host *h = d->h;
	char when[40];
	size_t i;

	for (i = 0; i < n; i++) {
		const char *reason = h->json_str(tasks[i], "stoppedReason");
		const char *creason = container_reason(h, tasks[i]);

		p4b_h->format_time(task_when(h, tasks[i]), 0, when, sizeof(when));
		d->f->evidence(p, "task %s stopped %s: %s%s%s", obs_short_id(h->json_str(tasks[i], "taskArn")), when,
			 h->json_str(tasks[i], "stopCode") ? h->json_str(tasks[i], "stopCode") : "",
			 h->json_str(tasks[i], "stopCode") ? ": " : "", reason ? reason : h->text("(no reason yet)"));
		if (creason && (!reason || strcmp(creason, reason) != 0))
			d->f->evidence(p, "container of task %s: %s", obs_short_id(h->json_str(tasks[i], "taskArn")),
				 creason);
	}
}

/* ---- service-state: INACTIVE, DRAINING, missing, or a failed deployment ---- */

void diag_service(struct diag *d)
{
	const struct awsphase_host *h = d->h;
	const struct p4b *c = &d->o.c;
	const cJSON *svc = obs_json(&d->o, "service"), *dep = obs_primary(&d->o);
	const char *status = h->json_str(svc, "status"), *rollout = h->json_str(dep, "rolloutState");
	char cmd[1024];
	const char *args[] = { "--cluster", c->cluster, "--service", c->service, "--force-new-deployment", NULL };
	struct awsphase_finding *p;

	d->h->cmdline(cmd, sizeof(cmd), "ecs", "update-service", args);
	if (!svc && obs_unknown(&d->o, "service")) {
		p = d->f->finding(d->found, C_SERVICE, "service %s: unknown, describe-services failed: %s",
				 c->service, obs_unknown(&d->o, "service"));
		d->service_problem = diag_fix_unknown(d, p);
		return;
	}
	if (!svc) {
		p = d->f->finding(d->found, C_SERVICE, "service %s does not exist in cluster %s%s", c->service, c->cluster,
			    obs_cluster_missing(&d->o) ? h->text(" (nor does the cluster)") : "");
		d->f->fix(p, "awsphase 4b deploy");
		d->service_problem = p;
		return;
	}
	if (status && (strcmp(status, "INACTIVE") == 0 || strcmp(status, "DRAINING") == 0)) {
		p = d->f->finding(d->found, C_SERVICE, "service %s is %s: the previous deployment failed or is stuck, or "
			    "the service was deleted", c->service, status);
		d->f->evidence(p, "status %s, running %.0f, desired %.0f", status, h->json_num(svc, "runningCount", 0),
			 h->json_num(svc, "desiredCount", 0));
		diag_events(d, p, 5);
		d->f->fix(p, "awsphase 4b deploy   (creates the service again: an %s service cannot be updated, "
		    "so the runbook's forced deployment fails with ServiceNotActiveException)", status);
		d->f->fix(p, "once ACTIVE, the runbook's forced deployment: %s", cmd);
		d->service_problem = p;
		return;
	}
	if (rollout && strcmp(rollout, "FAILED") == 0) {
		p = d->f->finding(d->found, C_SERVICE, "deployment %s FAILED: %s", obs_or_unknown(h->json_str(dep, "id")),
			    h->json_str(dep, "rolloutStateReason") ? h->json_str(dep, "rolloutStateReason") : "?");
		d->f->evidence(p, "status %s, running %.0f, desired %.0f, failed tasks %.0f", status ? status : "?",
			 h->json_num(svc, "runningCount", 0), h->json_num(svc, "desiredCount", 0),
			 h->json_num(dep, "failedTasks", 0));
		diag_events(d, p, 5);
		d->f->fix(p, "the runbook's forced deployment, once the cause under tasks-starting is gone: %s", cmd);
		d->f->autofix(p, FIX_FORCE_DEPLOY);
		d->service_problem = p;
	}
}

/* ---- tasks-starting: PENDING or stopping tasks, and which cause it is ---- */

int diag_tasks_in_trouble(struct diag *d)
{
	const struct awsphase_host *h = d->h;
	const cJSON *svc = obs_json(&d->o, "service"), *dep = obs_primary(&d->o);
	const char *status = h->json_str(svc, "status");
	double desired = h->json_num(svc, "desiredCount", 0);

	if (!svc || !status || strcmp(status, "ACTIVE") != 0 || desired <= 0)
		return 0;
	return h->json_num(svc, "runningCount", 0) < desired ||
	       (dep && h->json_num(dep, "runningCount", 0) < h->json_num(dep, "desiredCount", 0));
}

static const char *taskdef_image(struct diag *d)
{
	const cJSON *defs = d->h->json_get(obs_json(&d->o, "service-td"), "containerDefinitions");
	const cJSON *named = d->h->json_find(defs, "name", d->o.c.container);

	/* CONTAINER_NAME's, else the first container's */
	return d->h->json_str(named ? named : cJSON_GetArrayItem(defs, 0), "image");
}

static const char *role_name(struct diag *d, const char *key, const char *def)
{
	const char *arn = d->h->json_str(obs_json(&d->o, "service-td"), key);

	return arn ? obs_short_id(arn) : def;
}

void diag_tasks_plan(struct diag *d)
{
	const struct awsphase_host *h = d->h;
	struct awsphase_call *call;
	struct p4b_image im;
	char tag[160];
	const cJSON *stopped[3];
	size_t n = recent_stopped(d, stopped, 3), i;

	for (i = 0; i < n && d->why == WHY_NONE; i++) {
		d->why = classify(d, h->json_str(stopped[i], "stoppedReason"));
		if (d->why == WHY_NONE)
			d->why = classify(d, container_reason(h, stopped[i]));
		d->why_task = stopped[i];
	}
	/* the calls that tell one cause from another */
	switch (d->why) {
	case WHY_IMAGE:
		d->image = taskdef_image(d);
		if (p4b_parse_image(d->image, &im) < 0)
			break;
		snprintf(tag, sizeof(tag), im.digest[0] ? "imageDigest=%s" : "imageTag=%s",
			 im.digest[0] ? im.digest : im.tag);
		call = h->call_new("ecr", "describe-images");
		h->call_accept(call, "ImageNotFoundException");
		h->call_accept(call, "RepositoryNotFoundException");
		h->call_args(call, "--repository-name", im.repo, "--image-ids", tag, NULL);
		d->extra[d->nextra++] = call;
		break;
	default:
		break;
	}
}

static void cause_image(struct diag *d, struct awsphase_finding *p)
{
	const struct awsphase_host *h = d->h;
	const char *ecr_uri = d->o.c.ecr_uri;
	struct awsphase_call *call = d->nextra ? d->extra[0] : NULL;
	enum awsphase_call_state st = call ? h->call_state(call) : AWSPHASE_CALL_PENDING;
	const char *image = d->image ? d->image : "?";

	if (st == AWSPHASE_CALL_OK) {
		d->f->cause(p, 0, "tasks could not pull %s, but ECR has it now: a forced "
			 "deployment retries", image);
		d->f->evidence(p, "ecr describe-images: %s is there (pushed %s)", image,
			 h->json_str(h->call_json(call), "imageDetails.0.imagePushedAt") ?
			 h->json_str(h->call_json(call), "imageDetails.0.imagePushedAt") : "?");
		d->f->autofix(p, FIX_FORCE_DEPLOY);
	} else {
		d->f->cause(p, 0, "the image %s is not in ECR (CannotPullContainerError)", image);
		if (call)
			d->f->evidence(p, "ecr describe-images: %s%s%s", h->call_error(call),
				 *h->call_message(call) ? ": " : "", h->call_message(call));
	}
	if (ecr_uri && d->image && !p4b_image_of_uri(&d->o.c, d->image))
		d->f->evidence(p, "the task definition uses %s, but ECR_URI in %s is %s", d->image,
			 h->settings->env_file ? h->settings->env_file : "aws-resources.env", ecr_uri);
	else if (ecr_uri)
		d->f->evidence(p, "ECR_URI is %s", ecr_uri);
}

static void cause_iam(struct diag *d, struct awsphase_finding *p)
{
	const struct p4b *c = &d->o.c;
	const char *names[2] = { role_name(d, "executionRoleArn", c->exec_role),
				 role_name(d, "taskRoleArn", c->task_role) };
	size_t i;
	int bad = 0;

	for (i = 0; i < 2; i++) {
		const cJSON *roles = d->h->json_get(d->h->engine->answer_of(d->o.s, "exec-role", 0),
						    "RoleDetailList");
		const cJSON *role = d->h->json_find(roles, "RoleName", names[i]);

		if (!roles) {
			d->f->evidence(p, "the IAM roles could not be read");
			break;
		}
		if (!role) {
			d->f->evidence(p, "role %s does not exist", names[i]);
			bad++;
		} else if (!P4B_E->iam_role_trusts(role, P4B_TRUSTED_SERVICE)) {
			d->f->evidence(p, "role %s does not trust %s", names[i], P4B_TRUSTED_SERVICE);
			bad++;
		} else if (i == 0 && !P4B_E->iam_role_has_policy(role, p4b_exec_policy_arn(c))) {
			d->f->evidence(p, "role %s has no AmazonECSTaskExecutionRolePolicy attached", names[i]);
			bad++;
		} else {
			d->f->evidence(p, "role %s exists and trusts %s", names[i], P4B_TRUSTED_SERVICE);
		}
	}
	d->f->cause(p, 0, "IAM: the task roles %s and %s are missing, not trusted by "
		 "%s or lack permissions%s", names[0], names[1], P4B_TRUSTED_SERVICE,
		 bad ? "" : d->h->text(" (the roles look right now; IAM changes take a moment to apply)"));
}

static void cause_network(struct diag *d, struct awsphase_finding *p)
{
	const struct awsphase_host *h = d->h;
	const struct p4b *c = &d->o.c;
	const cJSON *net = obs_awsvpc(&d->o), *in = h->json_get(net, "subnets");
	const char *assign = h->json_str(net, "assignPublicIp");
	int public_ = h->json_find(in, NULL, c->public_subnet[0]) || h->json_find(in, NULL, c->public_subnet[1]);
	int private_ = h->json_find(in, NULL, c->private_subnet[0]) || h->json_find(in, NULL, c->private_subnet[1]);
	char *subnets;

	if (!public_ && !private_) {
		private_ = strcmp(c->tier, "private") == 0;
		public_ = !private_;
	}
	subnets = cJSON_PrintUnformatted(in);
	if (public_)
		d->f->evidence(p, "tasks run in public subnets %s with assignPublicIp=%s", subnets ? subnets : "?",
			      assign ? assign : "DISABLED");
	else
		d->f->evidence(p, "tasks run in private subnets %s with assignPublicIp=%s", subnets ? subnets : "?",
			      assign ? assign : "DISABLED");
	free(subnets);
	if (public_ && (!assign || strcmp(assign, "ENABLED") != 0)) {
		d->f->cause(p, 0, "tasks in a public subnet without assignPublicIp=ENABLED "
			 "cannot reach ECR and CloudWatch Logs");
	} else if (private_) {
		d->f->cause(p, 0, "tasks in a private subnet without a NAT gateway or VPC "
			 "endpoints (ecr.api, ecr.dkr, s3, logs) cannot reach ECR and CloudWatch Logs");
	} else {
		d->f->cause(p, 0, "tasks cannot reach ECR although they have a public IP: "
			 "the security group's egress on tcp/443 or the subnets' route to the internet "
			 "gateway is missing");
	}
}

void diag_tasks(struct diag *d)
{
	const struct awsphase_host *h = d->h;
	const struct p4b *c = &d->o.c;
	const cJSON *svc = obs_json(&d->o, "service"), *dep = obs_primary(&d->o);
	const cJSON *stopped[3];
	size_t n;
	struct awsphase_finding *p;

	if (!svc && obs_unknown(&d->o, "service")) {
		p = d->f->finding(d->found, C_TASKS, "tasks of %s: unknown, describe-services failed: %s",
				 c->service, obs_unknown(&d->o, "service"));
		d->tasks_problem = diag_fix_unknown(d, p);
		return;
	}
	if (!diag_tasks_in_trouble(d))
		return;
	n = recent_stopped(d, stopped, 3);
	p = d->f->finding(d->found, C_TASKS, "tasks do not reach RUNNING: %.0f of %.0f running, %.0f pending",
		    h->json_num(svc, "runningCount", 0), h->json_num(svc, "desiredCount", 0),
		    h->json_num(svc, "pendingCount", 0));
	d->tasks_problem = p;
	if (dep)
		d->f->evidence(p, "deployment %s %s: %.0f/%.0f running, %.0f failed tasks",
			 obs_or_unknown(h->json_str(dep, "id")), h->json_str(dep, "rolloutState") ?
			 h->json_str(dep, "rolloutState") : "?", h->json_num(dep, "runningCount", 0),
			 h->json_num(dep, "desiredCount", 0), h->json_num(dep, "failedTasks", 0));
	diag_events(d, p, 5);
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
		d->f->cause(p, 0, "the log group %s does not exist, so the awslogs driver "
			 "cannot start", c->log_group);
		break;
	case WHY_ELB:
		d->f->cause(p, 0, "tasks start but are stopped for failing the ALB's health "
			 "checks; see target-timeout and alb-503");
		d->f->follows(p, d->sg_problem);
		break;
	case WHY_EXITED:
		d->f->cause(p, 0, "the container exits after starting: see its logs");
		break;
	case WHY_NONE:
		if (n == 0)
			d->f->cause(p, 1, "; no task has stopped yet: the events above tell whether ECS can place them");
		d->f->fix(p, "awsphase 4b status   (watch the tasks and events; the runbook's causes: image missing "
		    "vs ECR_URI, IAM roles %s/%s, assignPublicIp in public subnets, NAT or endpoints in "
		    "private ones)", c->exec_role, c->task_role);
		break;
	}
	if (d->why != WHY_NONE && d->why != WHY_ELB && d->f->autofix_of(p) == FIX_NONE) {
		const char *reason = h->json_str(d->why_task, "stoppedReason");
		const char *rfix;

		if (!reason || classify(d, reason) != d->why)
			reason = container_reason(h, d->why_task);
		rfix = p4b_reason_fix(c, reason, h->json_str(obs_awsvpc(&d->o), "assignPublicIp"),
				      p4b_task_detail(d->why_task, "subnetId"));
		if (rfix)
			d->f->fix(p, "%s", rfix);
		d->f->fix(p, "then: awsphase 4b deploy   (a new deployment with the cause gone)");
	}
}

