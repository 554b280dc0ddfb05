/* awsphase 4b fix-sg: fix-ecs-sg.sh.  The service's tasks must sit in
 * kaviar-ecs-sg, and kaviar-ecs-sg must let kaviar-alb-sg in on the
 * container port (runbook: "ALB → ECS na porta 3001 é CRÍTICO").  Creates
 * the group or the rule when missing, points the service at the group when
 * it uses another, forces a new deployment only when something changed,
 * and waits as deploy does. */
#include <stdio.h>
#include <string.h>

#include "deploy.h"

static int no_wait;

const struct poptOption p4b_fix_sg_options[] = {
	{ "no-wait", 0, POPT_ARG_NONE, &no_wait, 0,
	  N_("make the changes and return; do not wait for the service to become stable"), NULL },
	POPT_TABLEEND
};

static int precondition(struct deploy *d)
{
	const struct p4b *c = d->c;
	const struct awsphase_host *h = d->h;
	const cJSON *svc = d->v.service;
	const char *status = h->json_str(svc, "status");

	if (!status || strcmp(status, "ACTIVE") != 0) {
		if (d->v.cluster_missing)
			h->log(AWSPHASE_LOG_ERROR, "service %s in cluster %s: no such cluster; fix-sg "
			       "repairs a running service: deploy it first with aws-phase4b-ecs-alb.sh "
			       "(awsphase 4b deploy)", c->service, c->cluster);
		else if (!status)
			h->log(AWSPHASE_LOG_ERROR, "service %s in cluster %s: no such service; fix-sg "
			       "repairs a running service: deploy it first with aws-phase4b-ecs-alb.sh "
			       "(awsphase 4b deploy)", c->service, c->cluster);
		else
			h->log(AWSPHASE_LOG_ERROR, "service %s in cluster %s: %s; fix-sg repairs a running "
			       "service: deploy it first with aws-phase4b-ecs-alb.sh (awsphase 4b deploy)",
			       c->service, c->cluster, status);
		return AWSPHASE_EXIT_FAILED;
	}
	if (!*d->alb_sg) {
		h->log(AWSPHASE_LOG_ERROR, "security group %s: not found in %s; the ALB's group comes "
		       "with the deploy: run aws-phase4b-ecs-alb.sh (awsphase 4b deploy)",
		       c->alb_sg_name, c->vpc);
		return AWSPHASE_EXIT_FAILED;
	}
	if (!d->v.tg) {
		h->log(AWSPHASE_LOG_ERROR, "target group %s: not found; run aws-phase4b-ecs-alb.sh "
		       "(awsphase 4b deploy)", c->tg_name);
		return AWSPHASE_EXIT_FAILED;
	}
	return 0;
}

int p4b_fix_sg(const struct awsphase_host *h, int argc, const char **argv)
{
	struct p4b c;
	struct deploy d;
	int rc, n;

	if (argc > 1) {
		h->log(AWSPHASE_LOG_ERROR, "4b fix-sg: unexpected argument '%s'; see awsphase 4b "
		       "fix-sg --help", argv[1]);
		return AWSPHASE_EXIT_USAGE;
	}
	rc = p4b_config(h, &c);
	if (rc)
		return rc;
	p4b_deploy_init(&d, &c, h);
	rc = p4b_read(&c, P4B_SERVICE | P4B_SGS | P4B_TG, &d.v);
	if (!rc)
		rc = p4b_known(&d);
	if (!rc)
		rc = precondition(&d);
	if (rc)
		goto out;
	d.only_ecs_sg = 1;
	for (n = 1; n <= 2 && !rc; n++) {
		p4b_security_groups(&d, n);
		rc = p4b_stage_run(&d);
	}
	/* the tasks that failed their health checks get replaced */
	d.force = d.rule_added;
	if (!rc)
		rc = p4b_service_stage(&d, 1);
	if (!rc)
		rc = p4b_stage_run(&d);
	if (rc || d.dry_run)
		goto out;
	if (!d.changes)
		h->say("✓ %s already lets %s in on tcp %d and the service uses it", c.ecs_sg_name,
		       c.alb_sg_name, c.port);
	/* a repair is only done when the targets say so: wait even when settled */
	if (!no_wait)
		rc = p4b_wait_service(&c, d.tg_arn, d.dep_id, d.service_after ? d.service_after :
				      d.v.service, d.started);
	if (!rc && !no_wait)
		h->say("fix-sg: service %s: stable, targets healthy", c.service);
out:
	if (!rc && d.record_failed)
		rc = AWSPHASE_EXIT_FAILED;
	p4b_deploy_release(&d);
	return rc;
}
