/* awsphase 4b diagnose: the runbook's "Troubleshooting" as a decision
 * procedure.  Each of its four problems is a check; a problem found names
 * its cause, the evidence and the fix, and --fix applies the safe fixes
 * (the ALB → ECS security group rule, a forced deployment). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose.h"
#include "speed.h"

#define PROBE_TIMEOUT_S 10.0

static int opt_fix;

const struct poptOption p4b_diagnose_options[] = {
	{ "fix", 0, POPT_ARG_NONE, &opt_fix, 0,
	  N_("apply the safe fixes (security group rule ALB → ECS, forced deployment) after showing them"), NULL },
	POPT_TABLEEND
};

const char *const diag_classes[C_N + 1] = { N_("target-timeout"), N_("service-state"), N_("tasks-starting"),
					     N_("alb-503"), NULL };

/* ---- evidence ---- */

struct awsphase_finding *diag_fix_unknown(struct diag *d, struct awsphase_finding *p)
{
	d->f->fix(p, "make the aws CLI answer (aws sts get-caller-identity), then run awsphase 4b "
		  "diagnose again");
	return p;
}

void diag_events(struct diag *d, struct awsphase_finding *p, int max)
{
	const cJSON *ev;
	char when[40];
	int n = 0;

	cJSON_ArrayForEach(ev, d->h->json_get(obs_json(&d->o, "service"), "events")) {
		if (n++ >= max)
			break;
		p4b_h->format_time(p4b_h->json_time(d->h->json_get(ev, "createdAt")), 0, when, sizeof(when));
		d->f->evidence(p, "event %s %s", when, d->h->json_str(ev, "message") ? d->h->json_str(ev, "message") : "");
	}
	if (!n)
		d->f->evidence(p, "the service has no events");
}

/* ---- fixes ---- */

/* --fix: runs fix kind when a finding wants it and marks what it ends as
 * fixed; 1 applied, -1 failed (reported), -2 refused (a stack's), 0 not
 * wanted. */
static int apply(struct diag *d, enum fix_kind kind)
{
	const struct awsphase_host *h = d->h;
	const struct p4b *c = &d->o.c;
	struct awsphase_call *call;
	char cmd[1024], port[16];
	const char *sg_rule[] = { "--group-id", d->ecs_sg, "--protocol", "tcp", "--port", port,
				  "--source-group", d->alb_sg, NULL };
	const char *force[] = { "--cluster", c->cluster, "--service", c->service, "--force-new-deployment", NULL };
	const char *const *args = kind == FIX_SG_RULE ? sg_rule : force;
	const char *service = kind == FIX_SG_RULE ? "ec2" : "ecs";
	const char *op = kind == FIX_SG_RULE ? "authorize-security-group-ingress" : "update-service";
	const char *name = kind == FIX_SG_RULE ? "fix-sg-rule" : "fix-force-deployment";
	size_t i;
	int rc;

	if (!opt_fix || !d->f->wants(d->found, kind))
		return 0;
	/* what a CloudFormation stack owns is fixed through the stack */
	if (h->engine->owned(d->o.s, (const char *const[]){ kind == FIX_SG_RULE ? "ecs-sg" : "service", NULL }))
		return -2;
	snprintf(port, sizeof(port), "%d", c->port);
	h->cmdline(cmd, sizeof(cmd), service, op, args);
	call = h->call_new(service, op);
	if (kind == FIX_SG_RULE)
		h->call_accept(call, "InvalidPermission.Duplicate");
	for (i = 0; args[i]; i++)
		h->call_arg(call, args[i]);
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
	if (!rc)
		d->f->fixed(d->found, kind);
	return rc ? -1 : 1;
}

static void free_diag(struct diag *d)
{
	size_t i;

	d->f->close(d->found);
	for (i = 0; i < d->nextra; i++)
		d->h->call_free(d->extra[i]);
	free(d->body);
	obs_free(&d->o);
}

static void probe_alb(struct diag *d)
{
	const char *dns = d->h->json_str(obs_json(&d->o, "alb"), "DNSName");

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
	struct awsphase_findings_show show = { .struct_size = sizeof(show),
		.hint = N_("(awsphase 4b diagnose --fix applies it)") };
	const cJSON *svc, *dep;
	size_t i, unfixed = 0;
	int rc, sg_fixed = 0, force_fixed = 0;

	/* --fix changes things: the env file's lock first, so that what is
	 * read is not what another run is changing (p4b_init made sure the
	 * host has lock) */
	if (opt_fix && (rc = h->lock()) != 0)
		return rc;
	memset(&d, 0, sizeof(d));
	rc = obs_init(&d.o, h);
	if (rc)
		return rc;
	d.h = h;
	d.f = h->findings;
	d.found = d.f->open(diag_classes);
	d.o.run.tg_attrs = 1; /* the deregistration delay, for the rollout time */

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
	if (d.f->autofix_of(d.service_problem) == FIX_FORCE_DEPLOY && d.tasks_problem &&
	    d.f->autofix_of(d.tasks_problem) == FIX_NONE && d.why != WHY_NONE && d.why != WHY_ELB)
		d.f->autofix(d.service_problem, FIX_NONE);

	svc = obs_json(&d.o, "service");
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
	show.ok = ok_detail;
	show.fixing = opt_fix;
	d.f->show(d.found, &show);
	/* the runbook's four problems, then what slows the next deploy */
	p4b_rollout_report(d.o.s, &d.o.c, 1, 1);

	sg_fixed = apply(&d, FIX_SG_RULE);
	force_fixed = apply(&d, FIX_FORCE_DEPLOY);
	unfixed = d.f->unfixed(d.found);
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
		return rc ? rc : sg_fixed == -2 || force_fixed == -2 ? AWSPHASE_EXIT_USAGE :
								   AWSPHASE_EXIT_FAILED;
	if (rc)
		return rc;
	return unfixed ? AWSPHASE_EXIT_FAILED : AWSPHASE_EXIT_OK;
}
