/* Waiting for the service the way the runbook's operator watches it: new
 * service events as they come, the deployment's rollout state, running
 * against desired, then the target group.  A task of the deployment that
 * stops for a reason waiting cannot cure ends the wait at once, with the
 * runbook's fix, and so does a load balancer (or its listener) deleted
 * meanwhile, whose targets ECS would wait for until the deadline.  Reads
 * are spent sparingly: one describe-services a poll; describe-target-health
 * once the deployment is COMPLETED (or every 30 s while the service runs
 * what it wants and is not); the load balancer and its listeners only when
 * every target is unused; list-tasks and describe-tasks only when the
 * deployment's failedTasks grows.  When to look is deploy-pace.c's. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "deploy.h"

struct watch {
	struct p4b *c;
	const struct awsphase_host *h;
	const char *tg_arn;
	char dep_id[P4B_ID_SIZE];
	cJSON *seen;               /* service event ids already shown */
	cJSON *stopped;            /* stopped task ARNs already examined */
	int failed_seen;
	int warned_health;
	int empty_polls;           /* looks at an empty target group in a row */
	time_t since;              /* stopped tasks older than this are history */
	struct p4b_pace pace;
	double th_at;              /* the last describe-target-health */
};

static const char *or_default(const char *s)
{
	return s ? s : "(none)";
}

/* Ends a poll that failed: rc into *exit_code, -1 for the wait. */
static int fail(int *exit_code, int rc)
{
	*exit_code = rc;
	return -1;
}

/* Adds s to the strings of list (a JSON array) unless it is there. */
static void remember(cJSON *list, const char *s)
{
	if (s && !p4b_h->json_find(list, NULL, s))
		cJSON_AddItemToArray(list, cJSON_CreateString(s));
}

/* Events come newest first; show the unseen ones oldest first. */
static void show_events(struct watch *w, const cJSON *service, int quiet)
{
	const cJSON *events = cJSON_GetObjectItemCaseSensitive(service, "events");
	int i, n = cJSON_GetArraySize(events), last = -1;

	for (i = 0; i < n; i++) {
		const char *id = p4b_str(cJSON_GetArrayItem(events, i), "id");

		if (id && p4b_h->json_find(w->seen, NULL, id))
			break;
		last = i;
	}
	for (i = last; i >= 0; i--) {
		const cJSON *e = cJSON_GetArrayItem(events, i);

		if (!quiet && p4b_str(e, "message"))
			w->h->say("  %s", p4b_str(e, "message"));
		if (!quiet)
			p4b_pace_event(&w->pace, e);
		remember(w->seen, p4b_str(e, "id"));
	}
}

/* The stopped tasks of the deployment not looked at yet: -1 (reported)
 * when one stopped for a reason waiting cannot cure, else 0. */
static int stopped_tasks(struct watch *w, const cJSON *dep, int *exit_code)
{
	const struct awsphase_host *h = w->h;
	const struct p4b *c = w->c;
	const char *assign = p4b_str(p4b_awsvpc(dep), "assignPublicIp");
	const char *dep_id = p4b_str(dep, "id");
	struct awsphase_call *call;
	const cJSON *arn, *task;
	cJSON *list = NULL;
	int rc, fatal = 0, n = 0;

	rc = h->aws(&list, "ecs", "list-tasks", "--cluster", c->cluster, "--service-name", c->service,
		    "--desired-status", "STOPPED", NULL);
	p4b_pace_call(&w->pace);
	if (rc)
		return fail(exit_code, rc);
	call = h->call_new("ecs", "describe-tasks");
	h->call_args(call, "--cluster", c->cluster, "--tasks", NULL);
	cJSON_ArrayForEach(arn, h->json_get(list, "taskArns"))
		if (cJSON_IsString(arn) && !h->json_find(w->stopped, NULL, arn->valuestring) && n < 100) {
			h->call_arg(call, arn->valuestring);
			n++;
		}
	cJSON_Delete(list);
	if (!n) {
		h->call_free(call);
		return 0;
	}
	rc = h->call_run(call);
	p4b_pace_call(&w->pace);
	if (rc) {
		h->call_free(call);
		return fail(exit_code, rc);
	}
	cJSON_ArrayForEach(task, h->json_get(h->call_json(call), "tasks")) {
		const char *reason = p4b_str(task, "stoppedReason");
		const char *detail = h->json_str(task, "containers.0.reason");
		const char *why = reason, *fix, *tid;

		remember(w->stopped, p4b_str(task, "taskArn"));
		if (dep_id && p4b_str(task, "startedBy") && strcmp(p4b_str(task, "startedBy"), dep_id) != 0)
			continue;
		if (!reason || strncmp(reason, "Scaling activity", 16) == 0)
			continue; /* a scale-in, not a failure */
		if (w->since && h->json_time(cJSON_GetObjectItemCaseSensitive(task, "stoppedAt")) > 0 &&
		    h->json_time(cJSON_GetObjectItemCaseSensitive(task, "stoppedAt")) < w->since)
			continue;
		if (detail && !strstr(reason, detail) && p4b_reason_is_fatal(detail))
			why = detail;
		fix = p4b_reason_fix(c, why, assign, p4b_task_detail(task, "subnetId"));
		tid = p4b_arn_tail(p4b_str(task, "taskArn"));
		if (p4b_reason_is_fatal(why) && !fatal) {
			if (fix)
				h->log(AWSPHASE_LOG_ERROR, "task %s of service %s stopped: %s; %s",
				       tid, c->service, why, fix);
			else
				h->log(AWSPHASE_LOG_ERROR, "task %s of service %s stopped: %s; see "
				       "awsphase 4b diagnose", tid,
				       c->service, why);
			fatal = 1;
		} else if (!fatal && (!strstr(why, "ELB health checks") || !w->warned_health++)) {
			h->log(AWSPHASE_LOG_WARN, "task %s stopped: %s%s%s", tid,
			       why, fix ? "; " : "", fix ? fix : "");
		}
	}
	h->call_free(call);
	return fatal ? fail(exit_code, AWSPHASE_EXIT_FAILED) : 0;
}

/* Every target is unused (Target.NotInUse): no active load balancer
 * forwards to the target group.  -1 (reported) when the load balancer is
 * gone or no listener of it forwards to the group; 0 while it does (or is
 * still being made), as AWS says unused for a moment then too. */
static int lb_gone(struct watch *w, int *exit_code)
{
	const struct awsphase_host *h = w->h;
	struct p4b *c = w->c;
	struct awsphase_call *call = h->call_new("elbv2", "describe-load-balancers");
	const char *arn, *state;
	const cJSON *l;
	cJSON *doc = NULL;
	int rc, forwards = 0;

	h->call_args(call, "--names", c->alb_name, NULL);
	h->call_accept(call, "LoadBalancerNotFound");
	rc = h->call_run(call);
	p4b_pace_call(&w->pace);
	if (rc) {
		h->call_free(call);
		return fail(exit_code, rc);
	}
	arn = h->json_str(h->call_json(call), "LoadBalancers.0.LoadBalancerArn");
	state = h->json_str(h->call_json(call), "LoadBalancers.0.State.Code");
	if (!arn) {
		h->call_free(call);
		h->log(AWSPHASE_LOG_ERROR, "load balancer %s: gone while waiting for service %s, so its "
		       "targets in %s are unused (Target.NotInUse) and can never turn healthy; run "
		       "awsphase 4b deploy again to recreate it", c->alb_name, c->service, c->tg_name);
		c->lb_gone = 1;
		return fail(exit_code, AWSPHASE_EXIT_FAILED);
	}
	if (state && strcmp(state, "active") != 0) {
		h->call_free(call);
		return 0;
	}
	rc = h->aws(&doc, "elbv2", "describe-listeners", "--load-balancer-arn", arn, NULL);
	p4b_pace_call(&w->pace);
	h->call_free(call);
	if (rc)
		return fail(exit_code, rc);
	cJSON_ArrayForEach(l, h->json_get(doc, "Listeners"))
		forwards |= h->json_find(h->json_get(l, "DefaultActions"), "TargetGroupArn", w->tg_arn) != NULL;
	cJSON_Delete(doc);
	if (forwards)
		return 0;
	h->log(AWSPHASE_LOG_ERROR, "load balancer %s: no listener forwards to target group %s any more "
	       "(deleted while waiting for service %s), so its targets are unused (Target.NotInUse); "
	       "run awsphase 4b deploy again to recreate the listener", c->alb_name, c->tg_name,
	       c->service);
	c->lb_gone = 1;
	return fail(exit_code, AWSPHASE_EXIT_FAILED);
}

static const cJSON *deployment(const cJSON *service, const char *id)
{
	if (!*id)
		return p4b_primary(service);
	return p4b_h->json_find(p4b_h->json_get(service, "deployments"), "id", id);
}

static int watch_poll(void *ctx, char *state, size_t size, int *exit_code)
{
	struct watch *w = ctx;
	const struct awsphase_host *h = w->h;
	const struct p4b *c = w->c;
	const cJSON *svc, *dep, *targets;
	const char *rollout, *status;
	cJSON *doc = NULL, *th = NULL;
	int rc, done = 0, running, desired, pending, ndeps, failed, healthy, unused, settled;

	rc = p4b_pace_sleep(&w->pace);
	if (rc)
		return rc < 0 ? fail(exit_code, AWSPHASE_EXIT_INTERRUPTED) : 0;
	rc = h->aws(&doc, "ecs", "describe-services", "--cluster", c->cluster, "--services",
		    c->service, NULL);
	p4b_pace_call(&w->pace);
	if (rc)
		return fail(exit_code, rc);
	svc = h->json_get(doc, "services.0");
	status = p4b_str(svc, "status");
	if (!status || strcmp(status, "ACTIVE") != 0) {
		if (status)
			h->log(AWSPHASE_LOG_ERROR, "service %s: %s while waiting for it; someone deleted "
			       "it: run awsphase 4b deploy again", c->service, status);
		else
			h->log(AWSPHASE_LOG_ERROR, "service %s: gone while waiting for it; someone deleted "
			       "it: run awsphase 4b deploy again", c->service);
		cJSON_Delete(doc);
		return fail(exit_code, AWSPHASE_EXIT_FAILED);
	}
	show_events(w, svc, 0);
	dep = deployment(svc, w->dep_id);
	/* ECS's circuit breaker marks the deployment FAILED and starts one of
	 * the last that completed: its reason says so */
	if (*w->dep_id && p4b_primary(svc) != dep &&
	    strstr(or_default(p4b_str(p4b_primary(svc), "rolloutStateReason")), "circuit breaker"))
		w->c->cb_rolled_back = 1;
	if (!dep) {
		h->log(AWSPHASE_LOG_ERROR, "service %s: deployment %s is gone, replaced by %s (%s); "
		       "another deploy or a rollback took over: see awsphase 4b status", c->service,
		       w->dep_id, or_default(p4b_str(p4b_primary(svc), "id")),
		       or_default(p4b_str(p4b_primary(svc), "rolloutStateReason")));
		cJSON_Delete(doc);
		return fail(exit_code, AWSPHASE_EXIT_FAILED);
	}
	rollout = p4b_str(dep, "rolloutState");
	failed = (int)h->json_num(dep, "failedTasks", 0);
	if (failed > w->failed_seen || (rollout && strcmp(rollout, "FAILED") == 0)) {
		w->failed_seen = failed;
		if (stopped_tasks(w, dep, exit_code) < 0) {
			cJSON_Delete(doc);
			return -1;
		}
	}
	if (rollout && strcmp(rollout, "FAILED") == 0) {
		h->log(AWSPHASE_LOG_ERROR, "deployment %s of service %s FAILED: %s; see awsphase 4b "
		       "diagnose", p4b_str(dep, "id"), c->service,
		       or_default(p4b_str(dep, "rolloutStateReason")));
		cJSON_Delete(doc);
		return fail(exit_code, AWSPHASE_EXIT_FAILED);
	}
	running = (int)h->json_num(svc, "runningCount", 0);
	desired = (int)h->json_num(svc, "desiredCount", 0);
	pending = (int)h->json_num(svc, "pendingCount", 0);
	ndeps = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(svc, "deployments"));
	snprintf(state, size, h->text("deployment %s, %d/%d running, %d pending%s%s"),
		 rollout ? rollout : h->text("(no rollout state)"), running, desired, pending,
		 ndeps > 1 ? h->text(", older deployment still draining") : "",
		 failed ? h->text(", tasks failed to start") : "");
	settled = (!rollout || strcmp(rollout, "COMPLETED") == 0) && ndeps == 1;
	if (settled && desired == 0 && running == 0 && pending == 0) {
		done = 1;
	} else if (running == desired && pending == 0 && desired > 0 &&
		   (settled || h->now() - w->th_at >= 30)) {
		/* it runs what it wants: what it waits for now is its targets
		 * (with one deployment left, every registered target is one of
		 * its tasks) */
		rc = h->aws(&th, "elbv2", "describe-target-health", "--target-group-arn", w->tg_arn,
			    NULL);
		p4b_pace_call(&w->pace);
		w->th_at = h->now();
		if (rc) {
			cJSON_Delete(doc);
			return fail(exit_code, rc);
		}
		targets = h->json_get(th, "TargetHealthDescriptions");
		healthy = p4b_targets_in(targets, "healthy");
		unused = p4b_targets_in(targets, "unused");
		if (!healthy && unused && unused == cJSON_GetArraySize(targets) &&
		    lb_gone(w, exit_code) < 0) {
			cJSON_Delete(th);
			cJSON_Delete(doc);
			return -1;
		}
		w->empty_polls = cJSON_GetArraySize(targets) ? 0 : w->empty_polls + 1;
		if (settled && w->empty_polls >= 3) {
			h->log(AWSPHASE_LOG_ERROR, "target group %s: no target although service %s runs "
			       "%d task(s) of a completed deployment, so the ALB has nothing to send "
			       "requests to; see awsphase 4b diagnose", c->tg_name, c->service, running);
			cJSON_Delete(th);
			cJSON_Delete(doc);
			return fail(exit_code, AWSPHASE_EXIT_FAILED);
		}
		if (settled && healthy > 0) {
			done = 1;
		} else if (!healthy) {
			const char *reason = h->engine->target_reason(targets, "unhealthy");

			if (!reason)
				reason = h->engine->target_reason(targets, "unused");
			snprintf(state, size, h->text("deployment %s, %d/%d running; targets of %s: 0 "
				 "healthy, %d initial, %d unhealthy, %d unused%s%s%s"),
				 rollout ? rollout : h->text("(no rollout state)"), running, desired,
				 c->tg_name, p4b_targets_in(targets, "initial"),
				 p4b_targets_in(targets, "unhealthy"), unused, reason ? " (" : "",
				 reason ? reason : "", reason ? ")" : "");
		}
		cJSON_Delete(th);
	}
	cJSON_Delete(doc);
	p4b_pace_plan(&w->pace, c, ndeps > 1);
	return done;
}

int p4b_wait_service(struct p4b *c, const char *tg_arn, const char *dep_id,
		     const cJSON *before, int just_started)
{
	const struct awsphase_host *h = c->h;
	struct watch w;
	struct awsphase_wait wait = { 0 };
	char what[512];
	int rc;

	memset(&w, 0, sizeof(w));
	w.c = c;
	w.h = h;
	w.tg_arn = tg_arn;
	w.seen = cJSON_CreateArray();
	w.stopped = cJSON_CreateArray();
	w.pace.start = h->now();
	w.pace.ramp = 1;
	w.th_at = w.pace.start; /* targets of a service not settled: from 30 s on */
	/* a deployment this run did not start is followed as the PRIMARY */
	snprintf(w.dep_id, sizeof(w.dep_id), "%s", dep_id && just_started ? dep_id : "");
	if (before) {
		const cJSON *dep = deployment(before, w.dep_id);

		show_events(&w, before, 1);
		/* failures of a settled service are history, not this wait's news */
		if (p4b_service_settled(h, before))
			w.failed_seen = (int)h->json_num(dep, "failedTasks", 0);
	}
	if (!just_started) {
		/* no deployment of ours to tell old stops from new: a minute back
		 * covers what made the service unsettled, not last hour's */
		w.since = time(NULL) - 60;
	}
	snprintf(what, sizeof(what), h->text("service %s to become stable"), c->service);
	wait.what = what;
	wait.interval_s = 0.05; /* the poll sleeps until its next look (deploy-pace.c) */
	wait.poll = watch_poll;
	wait.ctx = &w;
	if (*w.dep_id)
		h->say("… waiting for %s: deployment %s", what, w.dep_id);
	else
		h->say("… waiting for %s", what);
	/* what ECS reports at once is the request just made: the first look
	 * comes a moment later */
	if (just_started && h->sleep(1) < 0) {
		/* what the wait itself says when interrupted later */
		h->log(AWSPHASE_LOG_ERROR, "interrupted while waiting for %s (last state: none yet)",
		       what);
		rc = AWSPHASE_EXIT_INTERRUPTED;
	} else {
		rc = h->wait(&wait);
	}
	cJSON_Delete(w.seen);
	cJSON_Delete(w.stopped);
	return rc;
}

int p4b_service_settled(const struct awsphase_host *h, const cJSON *service)
{
	const cJSON *primary = p4b_primary(service);
	const char *rollout = p4b_str(primary, "rolloutState");

	return service && p4b_str(service, "status") && strcmp(p4b_str(service, "status"), "ACTIVE") == 0 &&
	       cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(service, "deployments")) == 1 &&
	       (!rollout || strcmp(rollout, "COMPLETED") == 0) &&
	       h->json_num(service, "runningCount", -1) == h->json_num(service, "desiredCount", -2) &&
	       h->json_num(service, "pendingCount", 0) == 0;
}

int p4b_started(struct awsphase_stack *s, char *dep, size_t size)
{
	const struct awsphase_engine *e = p4b_h->engine;
	const char *now = p4b_str(p4b_primary(e->now(s, "service")), "id");
	const char *before = p4b_str(p4b_primary(e->have(s, "service")), "id");
	enum awsphase_result res = e->result_of(s, "service");

	snprintf(dep, size, "%s", now ? now : "");
	return now && (res == AWSPHASE_RESULT_CREATED || res == AWSPHASE_RESULT_UPDATED) &&
	       (!before || strcmp(before, now) != 0);
}
