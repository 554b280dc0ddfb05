/* awsphase 4b validate: the runbook's "Validação" 1–4 and its five
 * "Critérios de Aceite", each a check with the evidence behind it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "observe.h"

#define PROBE_TIMEOUT_S 10.0

static char since_default[] = "15m";
static char *opt_since = since_default;
static char *opt_log_pattern;

const struct poptOption p4b_validate_options[] = {
	{ "since", 0, POPT_ARG_STRING, &opt_since, 0,
	  N_("look this far back for the log line: 30s, 5m, 2h, 1d (default 15m)"), "DURATION" },
	{ "log-pattern", 0, POPT_ARG_STRING, &opt_log_pattern, 0,
	  N_("PCRE2 pattern the log must show (default: Backend running on port CONTAINER_PORT)"), "REGEX" },
	POPT_TABLEEND
};

struct buf {
	char s[2048];
};

/* Callers pass fmt through h->text() where it holds words: the check's
 * detail is '%s' by then, which the host cannot look up. */
#define add(b, ...) p4b_h->catf((b)->s, sizeof((b)->s), __VA_ARGS__)

/* Validação 1: Status=ACTIVE, Running=Desired — and a desired count above
 * zero whose PRIMARY deployment runs them all, since a service that runs
 * nothing or still serves the old deployment is not what was deployed. */
static int check_service(const struct obs *o)
{
	const struct awsphase_host *h = o->h;
	const cJSON *svc = obs_json(o, "service"), *dep = obs_primary(o);
	const char *status, *rollout;
	double running, desired, pending;
	struct buf b = { "" };
	int ok;

	if (!svc) {
		if (obs_unknown(o, "service"))
			h->check(N_("service"), AWSPHASE_FAIL, "service %s: unknown, describe-services "
				 "failed: %s", o->c.service, obs_unknown(o, "service"));
		else if (obs_cluster_missing(o))
			h->check(N_("service"), AWSPHASE_FAIL, "service %s not found: the cluster does "
				 "not exist", o->c.service);
		else if (h->engine->result_of(o->s, "service") == AWSPHASE_RESULT_ABSENT)
			h->check(N_("service"), AWSPHASE_FAIL, "service %s not found: describe-services "
				 "says MISSING", o->c.service);
		else
			h->check(N_("service"), AWSPHASE_FAIL, "service %s not found: no answer",
				 o->c.service);
		return 0;
	}
	status = h->json_str(svc, "status");
	running = h->json_num(svc, "runningCount", 0);
	desired = h->json_num(svc, "desiredCount", 0);
	pending = h->json_num(svc, "pendingCount", 0);
	ok = status && strcmp(status, "ACTIVE") == 0 && desired > 0 && running == desired;
	add(&b, h->text("Status %s, Running %.0f, Desired %.0f"), status ? status : "?", running, desired);
	if (pending > 0)
		add(&b, h->text(", Pending %.0f"), pending);
	rollout = h->json_str(dep, "rolloutState");
	if (dep && (cJSON_GetArraySize(h->json_get(svc, "deployments")) > 1 ||
		    (rollout && strcmp(rollout, "COMPLETED") != 0))) {
		double dr = h->json_num(dep, "runningCount", 0), dd = h->json_num(dep, "desiredCount", 0);
		double failed = h->json_num(dep, "failedTasks", 0);

		add(&b, h->text("; deployment %s %s: %.0f/%.0f running"), obs_or_unknown(h->json_str(dep, "id")),
		    rollout ? rollout : "?", dr, dd);
		if (failed > 0)
			add(&b, h->text(", %.0f failed tasks"), failed);
		if (dr < dd || (rollout && strcmp(rollout, "FAILED") == 0))
			ok = 0;
	}
	if (status && strcmp(status, "ACTIVE") == 0 && desired == 0)
		add(&b, "%s", h->text(" (desired count 0: the service runs no task)"));
	h->check(N_("service"), ok ? AWSPHASE_OK : AWSPHASE_FAIL, "%s", b.s);
	return ok;
}

/* Validação 2: at least one target healthy. */
static int check_targets(const struct obs *o)
{
	const struct awsphase_host *h = o->h;
	const cJSON *t, *list = obs_json(o, "targets");
	struct buf b = { "" };
	int healthy = (int)h->json_count(list, "TargetHealth.State", "healthy"), n = 0;

	if (!obs_json(o, "tg") && obs_unknown(o, "tg")) {
		h->check(N_("target-health"), AWSPHASE_FAIL, "target group %s: unknown, "
			 "describe-target-groups failed: %s", o->c.tg_name, obs_unknown(o, "tg"));
		return 0;
	}
	if (!obs_json(o, "tg")) {
		h->check(N_("target-health"), AWSPHASE_FAIL, "target group %s not found", o->c.tg_name);
		return 0;
	}
	if (!list && obs_unknown(o, "targets")) {
		h->check(N_("target-health"), AWSPHASE_FAIL, "target health of %s: unknown, "
			 "describe-target-health failed: %s", o->c.tg_name, obs_unknown(o, "targets"));
		return 0;
	}
	if (!list) {
		h->check(N_("target-health"), AWSPHASE_FAIL, "no target health for %s (no answer)", o->c.tg_name);
		return 0;
	}
	cJSON_ArrayForEach(t, list) {
		const char *ip = h->json_str(t, "Target.Id"), *state = h->json_str(t, "TargetHealth.State");
		const char *reason = h->json_str(t, "TargetHealth.Reason");
		double port = h->json_num(t, "Target.Port", 0);

		add(&b, "%s%s:%.0f %s", n++ ? "; " : "", ip ? ip : "?", port, state ? state : "?");
		if (reason)
			add(&b, " (%s)", reason);
	}
	if (!n)
		add(&b, h->text("no target registered in %s"), o->c.tg_name);
	h->check(N_("target-health"), healthy ? AWSPHASE_OK : AWSPHASE_FAIL, "%d healthy: %s", healthy, b.s);
	return healthy > 0;
}

/* Validação 3: http://$ALB_DNS/api/health answers 200 with {"success": true}. */
static int check_alb(const struct obs *o)
{
	const struct awsphase_host *h = o->h;
	const cJSON *alb = obs_json(o, "alb");
	const char *dns = h->json_str(alb, "DNSName"), *state = h->json_str(alb, "State.Code");
	char url[1024], err[512], excerpt[200];
	char *body = NULL;
	cJSON *doc;
	long status = 0;
	int ok;

	if (!alb && obs_unknown(o, "alb")) {
		h->check(N_("alb-health"), AWSPHASE_FAIL, "load balancer %s: unknown, "
			 "describe-load-balancers failed: %s", o->c.alb_name, obs_unknown(o, "alb"));
		return 0;
	}
	if (!alb || !dns) {
		h->check(N_("alb-health"), AWSPHASE_FAIL, "load balancer %s not found", o->c.alb_name);
		return 0;
	}
	snprintf(url, sizeof(url), "http://%s%s", dns, o->c.health_path);
	if (h->http_get(url, PROBE_TIMEOUT_S, &status, &body, err, sizeof(err)) < 0) {
		h->check(N_("alb-health"), AWSPHASE_FAIL, "GET %s: %s (ALB state %s)", url, err,
			 state ? state : "?");
		return 0;
	}
	doc = cJSON_Parse(body);
	ok = status == 200 && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "success"));
	p4b_h->excerpt(body, 120, excerpt, sizeof(excerpt));
	if (status == 200 && !ok)
		h->check(N_("alb-health"), AWSPHASE_FAIL, "HTTP %ld from %s: %s (not JSON with success: "
			 "true)", status, url, excerpt);
	else
		h->check(N_("alb-health"), ok ? AWSPHASE_OK : AWSPHASE_FAIL, "HTTP %ld from %s: %s",
			 status, url, excerpt);
	cJSON_Delete(doc);
	free(body);
	return ok;
}

/* Validação 4: every running task's ENI carries ECS_SG_NAME. */
static int check_task_sgs(const struct obs *o)
{
	const struct awsphase_host *h = o->h;
	const cJSON *task;
	struct buf b = { "" };
	size_t i;
	int n = 0, bad = 0;

	for (i = 0; (task = obs_task(o, 0, i)); i++) {
		const char *st = h->json_str(task, "lastStatus");
		const char *eni_id = p4b_task_detail(task, "networkInterfaceId");
		const cJSON *eni = h->json_find(obs_json(o, "enis"), "NetworkInterfaceId", eni_id), *g;
		int k = 0;

		if (!st || strcmp(st, "RUNNING") != 0)
			continue;
		add(&b, h->text("%stask %s:"), n++ ? "; " : "", obs_short_id(h->json_str(task, "taskArn")));
		if (!eni) {
			add(&b, h->text(" ENI %s not found (%s)"), eni_id ? eni_id : "?",
			    obs_error(o, "enis") ? obs_error(o, "enis") : h->text("not in the answer"));
			bad++;
			continue;
		}
		cJSON_ArrayForEach(g, h->json_get(eni, "Groups")) {
			const char *id = h->json_str(g, "GroupId"), *name = h->json_str(g, "GroupName");

			add(&b, "%s %s %s", k++ ? "," : "", id ? id : "?", name ? name : "?");
		}
		if (!k)
			add(&b, "%s", h->text(" no security group"));
		if (!h->json_find(h->json_get(eni, "Groups"), "GroupName", o->c.ecs_sg_name)) {
			add(&b, h->text(" (no %s)"), o->c.ecs_sg_name);
			bad++;
		}
	}
	if (!n && obs_unknown(o, "tasks")) {
		h->check(N_("task-security-groups"), AWSPHASE_FAIL, "tasks of %s: unknown, list-tasks "
			 "failed: %s", o->c.service, obs_unknown(o, "tasks"));
		return 0;
	}
	if (!n) {
		h->check(N_("task-security-groups"), AWSPHASE_FAIL, "no running task of %s to check", o->c.service);
		return 0;
	}
	h->check(N_("task-security-groups"), bad ? AWSPHASE_FAIL : AWSPHASE_OK, "%s", b.s);
	return !bad;
}

/* Critério 5: the log group shows the backend's start line. */
static int check_logs(const struct obs *o, const char *pattern, const char *since)
{
	const struct awsphase_host *h = o->h;
	const cJSON *ev, *best = NULL, *events = h->json_get(obs_json(o, "logs"), "events");
	double best_ts = -1;
	char when[40], excerpt[200];
	int matches = 0, lines = 0;

	if (!events) {
		h->check(N_("logs"), AWSPHASE_FAIL, "log group %s: %s", o->c.log_group,
			 obs_error(o, "logs") ? obs_error(o, "logs") : h->text("no answer"));
		return 0;
	}
	cJSON_ArrayForEach(ev, events) {
		const char *msg = h->json_str(ev, "message");
		double ts = h->json_num(ev, "timestamp", 0);

		lines++;
		if (msg && h->match(pattern, msg) == 1) {
			matches++;
			if (ts >= best_ts) {
				best_ts = ts;
				best = ev;
			}
		}
	}
	if (!best) {
		h->check(N_("logs"), AWSPHASE_FAIL, "no line matching /%s/ in %s in the last %s (%d line%s read)",
			 pattern, o->c.log_group, since, lines, lines == 1 ? "" : "s");
		return 0;
	}
	p4b_h->format_time(best_ts / 1000.0, 0, when, sizeof(when));
	p4b_h->excerpt(h->json_str(best, "message"), 160, excerpt, sizeof(excerpt));
	h->check(N_("logs"), AWSPHASE_OK, "\"%s\" at %s in %s (%d match%s in the last %s)", excerpt, when,
		 h->json_str(best, "logStreamName") ? h->json_str(best, "logStreamName") : "?",
		 matches, matches == 1 ? "" : "es", since);
	return 1;
}

/* A pattern with no PCRE2 metacharacter is a plain phrase: CloudWatch can
 * filter on it ("quoted term"), so only matching lines come back. */
static int is_literal(const char *p)
{
	return *p && !strpbrk(p, "\\^$.|?*+()[]{}\"");
}

int p4b_validate(const struct awsphase_host *h, int argc, const char **argv)
{
	static const char *const reads[] = { "service", "tg", "alb", "targets", "tasks", "enis",
		"logs", NULL };
	struct obs o;
	char pattern_buf[64], filter[1100];
	const char *pattern;
	double since;
	int rc, failed;

	since = p4b_h->duration(opt_since);
	if (since <= 0) {
		h->log(AWSPHASE_LOG_ERROR, "--since %s: give a duration such as 30s, 5m, 2h or 1d",
		       opt_since);
		return AWSPHASE_EXIT_USAGE;
	}
	rc = obs_init(&o, h);
	if (rc)
		return rc;
	snprintf(pattern_buf, sizeof(pattern_buf), "Backend running on port %d", o.c.port);
	pattern = opt_log_pattern ? opt_log_pattern : pattern_buf;
	if (h->match(pattern, "") < 0) {
		h->log(AWSPHASE_LOG_ERROR, "--log-pattern: fix the regular expression");
		return AWSPHASE_EXIT_USAGE;
	}
	o.run.logs_start_ms = (long long)((p4b_h->now() - since) * 1000.0);
	if (is_literal(pattern) && strlen(pattern) < sizeof(filter) - 3) {
		snprintf(filter, sizeof(filter), "\"%s\"", pattern);
		o.run.logs_filter = filter;
	}

	/* what the runbook looks up by name and the log lines, then what needs
	 * an ARN or a task from them */
	obs_read(&o, reads);
	if (o.rc == AWSPHASE_EXIT_INTERRUPTED || h->interrupted()) {
		obs_free(&o);
		return AWSPHASE_EXIT_INTERRUPTED;
	}

	failed = !check_service(&o);
	failed += !check_targets(&o);
	failed += !check_alb(&o);
	failed += !check_task_sgs(&o);
	failed += !check_logs(&o, pattern, opt_since);

	rc = o.rc;
	obs_free(&o);
	if (rc)
		return rc;
	if (h->interrupted())
		return AWSPHASE_EXIT_INTERRUPTED;
	return failed ? AWSPHASE_EXIT_FAILED : AWSPHASE_EXIT_OK;
}
