/* awsphase 4b fix-sg: fix-ecs-sg.sh.  The service's tasks must sit in
 * kaviar-ecs-sg, and kaviar-ecs-sg must let kaviar-alb-sg in on the
 * container port (runbook: "ALB → ECS na porta 3001 é CRÍTICO").  Creates
 * the group or the rule when missing, points the service at the group when
 * it uses another, forces a new deployment only when something changed,
 * and waits as deploy does. */
#include <string.h>

#include "deploy.h"

static int no_wait;

const struct poptOption p4b_fix_sg_options[] = {
	{ "no-wait", 0, POPT_ARG_NONE, &no_wait, 0,
	  N_("make the changes and return; do not wait for the service to become stable"), NULL },
	POPT_TABLEEND
};

/* fix-sg repairs a running service; the ALB's group and the target group
 * come with the deploy. */
static int precondition(const struct awsphase_host *h, struct awsphase_stack *s, const struct p4b *c)
{
	const struct awsphase_engine *e = h->engine;
	const char *why = e->error_of(s, "service");
	const char *status = h->json_str(e->have(s, "service"), "status");

	if (!status || strcmp(status, "ACTIVE") != 0) {
		if (why && strncmp(why, "ClusterNotFoundException", 24) == 0)
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
	if (!e->have(s, "alb-sg")) {
		h->log(AWSPHASE_LOG_ERROR, "security group %s: not found in %s; the ALB's group comes "
		       "with the deploy: run aws-phase4b-ecs-alb.sh (awsphase 4b deploy)",
		       c->alb_sg_name, c->vpc);
		return AWSPHASE_EXIT_FAILED;
	}
	if (!e->have(s, "tg")) {
		h->log(AWSPHASE_LOG_ERROR, "target group %s: not found; run aws-phase4b-ecs-alb.sh "
		       "(awsphase 4b deploy)", c->tg_name);
		return AWSPHASE_EXIT_FAILED;
	}
	return 0;
}

int p4b_fix_sg(const struct awsphase_host *h, int argc, const char **argv)
{
	static const char *const reads[] = { "alb-sg", "tg", "service", NULL };
	/* the group, its rule from the ALB, the service's groups (and a new
	 * deployment when the rule was added: the tasks that failed their
	 * health checks get replaced) */
	static const char *const fixes[] = { "ecs-sg", "ecs-from-alb", "service", NULL };
	const struct awsphase_engine *e = h->engine;
	struct p4b c;
	struct p4b_run run = { .c = &c, .only_sg = 1 };
	struct awsphase_stack *s;
	char dep[P4B_ID_SIZE];
	int rc, calls = 0, started;

	rc = p4b_config(h, &c);
	if (rc)
		return rc;
	s = p4b_open(h, &run);
	if (!s)
		return AWSPHASE_EXIT_FAILED;
	rc = e->read(s, reads);
	if (!rc)
		rc = precondition(h, s, &c);
	if (!rc)
		rc = e->plan(s, fixes, NULL);
	if (!rc)
		rc = e->apply(s, &calls);
	if (rc || h->settings->dry_run)
		goto out;
	if (!calls)
		h->say("✓ %s already lets %s in on tcp %d and the service uses it", c.ecs_sg_name,
		       c.alb_sg_name, c.port);
	/* a repair is only done when the targets say so: wait even when settled */
	started = p4b_started(s, dep, sizeof(dep));
	if (!no_wait)
		rc = p4b_wait_service(&c, e->id_of(s, "tg"), dep, e->now(s, "service"), started);
	if (!rc && !no_wait)
		h->say("fix-sg: service %s: stable, targets healthy", c.service);
out:
	e->close(s);
	return rc;
}
