/* awsphase 4b diagnose: the runbook's "Troubleshooting" as a decision
 * procedure.  Each of its four problems is a check; a problem found names
 * its cause, the evidence and the fix, and --fix applies the safe fixes
 * (the ALB → ECS security group rule, a forced deployment). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose.h"

#define PROBE_TIMEOUT_S 10.0

static int opt_fix;

const struct poptOption p4b_diagnose_options[] = {
	{ "fix", 0, POPT_ARG_NONE, &opt_fix, 0,
	  N_("apply the safe fixes (security group rule ALB → ECS, forced deployment) after showing them"), NULL },
	POPT_TABLEEND
};

const char *const diag_classes[C_N] = { N_("target-timeout"), N_("service-state"), N_("tasks-starting"),
					 N_("alb-503") };

struct problem *diag_problem(struct diag *d, enum cls cls, const char *fmt, ...)
{
	struct problem *p = &d->p[d->n < MAX_PROBLEMS ? d->n++ : MAX_PROBLEMS - 1];
	va_list ap;

	p->cls = cls;
	p->h = d->h;
	va_start(ap, fmt);
	vsnprintf(p->cause, sizeof(p->cause), d->h->text(fmt), ap);
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

void diag_evidence(struct problem *p, const char *fmt, ...)
{
	va_list ap;

	if (p->nev >= MAX_LINES)
		return;
	va_start(ap, fmt);
	p->evidence[p->nev] = vfmt(p->h->text(fmt), ap);
	va_end(ap);
	if (p->evidence[p->nev])
		p->nev++;
}

void diag_fix(struct problem *p, const char *fmt, ...)
{
	va_list ap;

	if (p->nfix >= 4)
		return;
	va_start(ap, fmt);
	p->fix[p->nfix] = vfmt(p->h->text(fmt), ap);
	va_end(ap);
	if (p->fix[p->nfix])
		p->nfix++;
}

/* ---- evidence ---- */

void diag_fix_unknown(struct problem *p)
{
	diag_fix(p, "make the aws CLI answer (aws sts get-caller-identity), then run awsphase 4b "
		 "diagnose again");
}

void diag_events(struct diag *d, struct problem *p, int max)
{
	const cJSON *ev;
	char when[40];
	int n = 0;

	cJSON_ArrayForEach(ev, d->h->json_get(obs_service(&d->o), "events")) {
		if (n++ >= max)
			break;
		p4b_h->format_time(p4b_h->json_time(d->h->json_get(ev, "createdAt")), 0, when, sizeof(when));
		diag_evidence(p, "event %s %s", when, d->h->json_str(ev, "message") ? d->h->json_str(ev, "message") : "");
	}
	if (!n)
		diag_evidence(p, "the service has no events");
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
			if (fixable)
				h->check(diag_classes[k], AWSPHASE_WARN, "%s (fixing, see below)", p->cause);
			else
				h->check(diag_classes[k], AWSPHASE_FAIL, "%s", p->cause);
			for (j = 0; j < p->nev; j++)
				h->say("    evidence: %s", p->evidence[j]);
			for (j = 0; j < p->nfix; j++)
				h->say("    fix: %s", p->fix[j]);
			if (p->auto_fix != FIX_NONE && !opt_fix)
				h->say("    (awsphase 4b diagnose --fix applies it)");
			if (p->after && !p->nfix)
				h->say("    fix: the fix of %s", h->text(diag_classes[p->after->cls]));
			o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "check", diag_classes[k]);
			cJSON_AddStringToObject(o, "cause", p->cause);
			cJSON_AddItemToObject(o, "evidence", strings(p->evidence, p->nev));
			cJSON_AddItemToObject(o, "fix", strings(p->fix, p->nfix));
			cJSON_AddBoolToObject(o, "auto_fix", resolved(p));
			cJSON_AddItemToArray(arr, o);
		}
		if (!found)
			h->check(diag_classes[k], AWSPHASE_OK, "%s", ok_detail[k]);
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

		size_t i;

		name = "fix-sg-rule";
		d->h->cmdline(cmd, sizeof(cmd), "ec2", "authorize-security-group-ingress", args);
		call = h->call_new("ec2", "authorize-security-group-ingress");
		h->call_accept(call, "InvalidPermission.Duplicate");
		for (i = 0; args[i]; i++)
			h->call_arg(call, args[i]);
	} else {
		const char *args[] = { "--cluster", c->cluster, "--service", c->service, "--force-new-deployment", NULL };
		size_t i;

		name = "fix-force-deployment";
		d->h->cmdline(cmd, sizeof(cmd), "ecs", "update-service", args);
		call = h->call_new("ecs", "update-service");
		for (i = 0; args[i]; i++)
			h->call_arg(call, args[i]);
	}
	h->say("applying: %s", cmd);
	rc = h->call_run(call);
	if (rc == 0 && h->call_state(call) == AWSPHASE_CALL_DRY_RUN) {
		h->check(name, AWSPHASE_FAIL, "not applied (--dry-run): %s", cmd);
		rc = AWSPHASE_EXIT_FAILED;
	} else if (rc == 0 && h->call_state(call) == AWSPHASE_CALL_ACCEPTED) {
		h->check(name, AWSPHASE_OK, "%s (the rule was there already)", cmd);
	} else if (rc == 0) {
		h->check(name, AWSPHASE_OK, "%s", cmd);
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
	static const char *const round1[] = { "service", "tg", "alb", "targets", "alb-sg", "ecs-sg",
		NULL };
	static const char *const trouble[] = { "tasks", "stopped-tasks", "logs", "service-td", NULL };
	static const char *const running[] = { "tasks", NULL };
	static const char *const roles[] = { "exec-role", NULL };
	const cJSON *svc, *dep;
	size_t i;
	int rc, unfixed = 0, sg_fixed = 0, force_fixed = 0;

	memset(&d, 0, sizeof(d));
	rc = obs_init(&d.o, h);
	if (rc)
		return rc;
	d.h = h;

	/* the service, the load balancer and its target group and targets, the
	 * security groups; then the ALB itself */
	obs_read(&d.o, round1);
	if (d.o.rc == AWSPHASE_EXIT_INTERRUPTED)
		goto out;
	probe_alb(&d);
	/* the evidence of tasks that do not start (the runbook's events and
	 * `logs tail --since 5m`); tasks to probe on 503 */
	d.o.run.logs_start_ms = (long long)((p4b_h->now() - 300) * 1000.0);
	if (diag_tasks_in_trouble(&d))
		obs_read(&d.o, trouble);
	else if (d.probed && d.status == 503)
		obs_read(&d.o, running);
	if (d.o.rc == AWSPHASE_EXIT_INTERRUPTED)
		goto out;

	diag_sg(&d);
	diag_service(&d);
	if (diag_tasks_in_trouble(&d)) {
		diag_tasks_plan(&d);
		/* round 4: what tells the runbook's causes apart */
		if (d.nextra && h->call_run_all(d.extra, d.nextra) == AWSPHASE_EXIT_INTERRUPTED) {
			d.o.rc = AWSPHASE_EXIT_INTERRUPTED;
			goto out;
		}
		if (d.why == WHY_IAM && obs_read(&d.o, roles) == AWSPHASE_EXIT_INTERRUPTED) {
			d.o.rc = AWSPHASE_EXIT_INTERRUPTED;
			goto out;
		}
	}
	diag_tasks(&d);
	diag_alb(&d);
	/* a failed deployment is the tasks' fault when they have a cause of their own */
	if (d.service_problem && d.service_problem->auto_fix == FIX_FORCE_DEPLOY && d.tasks_problem &&
	    d.tasks_problem->auto_fix == FIX_NONE && d.why != WHY_NONE && d.why != WHY_ELB)
		d.service_problem->auto_fix = FIX_NONE;

	svc = obs_service(&d.o);
	dep = obs_primary(&d.o);
	snprintf(ok_text[C_TIMEOUT], sizeof(ok_text[0]), h->text("no target times out; %s admits %s on tcp/%d"),
		 d.o.c.ecs_sg_name, d.o.c.alb_sg_name, d.o.c.port);
	snprintf(ok_text[C_SERVICE], sizeof(ok_text[0]), h->text("%s, deployment %s %s"),
		 h->json_str(svc, "status") ? h->json_str(svc, "status") : "?",
		 obs_or_unknown(h->json_str(dep, "id")),
		 h->json_str(dep, "rolloutState") ? h->json_str(dep, "rolloutState") : "?");
	snprintf(ok_text[C_TASKS], sizeof(ok_text[0]), h->text("%.0f of %.0f tasks running"),
		 h->json_num(svc, "runningCount", 0), h->json_num(svc, "desiredCount", 0));
	snprintf(ok_text[C_ALB], sizeof(ok_text[0]), h->text("HTTP %ld from %s"), d.status, d.url);
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
