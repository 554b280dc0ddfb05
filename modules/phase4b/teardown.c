/* awsphase 4b teardown: the runbook's "Rollback completo", in order and
 * idempotent, through the engine: one read finds what exists, and each
 * resource goes once what needs it is gone (stack.h), so a second
 * teardown, or one after a teardown that was killed halfway, makes only the
 * calls that are still needed:
 *   1. service desired count 0          2. delete the service
 *      … wait until the service is INACTIVE
 *   3. delete the listeners             4. delete the load balancer
 *      … wait until the load balancer is gone (no fixed sleep)
 *   5. delete the target group (again while AWS says ResourceInUse)
 * and with --all:
 *   - deregister the family's revisions, then delete the log group and
 *     the roles (their policies detached first); delete the cluster
 *   - revoke the rules other groups hold on each 4B security group (the
 *     RDS/Redis rules from kaviar-ecs-sg, kaviar-ecs-sg's rule from
 *     kaviar-alb-sg), then delete it (again while AWS says
 *     DependencyViolation / DeleteConflict / tasks still there)
 *   - the roles' inline policies go with them; the DB_PASSWORD secret
 *     stays (said)
 * The env keys naming what is gone are removed as each resource goes. */
#include <unistd.h>

#include "history.h"
#include "stack.h"

static int opt_yes, opt_all, opt_delete_data;

const struct poptOption p4b_teardown_options[] = {
	{ "yes", 'y', POPT_ARG_NONE, &opt_yes, 0,
	  N_("delete without asking (required when stdin is not a terminal)"), NULL },
	{ "all", 0, POPT_ARG_NONE, &opt_all, 0,
	  N_("also delete the security groups, log group, cluster, roles and task definition "
	  "revisions 4B created"), NULL },
	{ "delete-data", 0, POPT_ARG_NONE, &opt_delete_data, 0,
	  N_("with --all, also delete the deploy history (the log group /awsphase/NAME/history)"), NULL },
	POPT_TABLEEND
};

int p4b_teardown(const struct awsphase_host *h, int argc, const char **argv)
{
	const struct awsphase_engine *e = h->engine;
	struct p4b c;
	struct p4b_run run = { .c = &c };
	struct awsphase_stack *s;
	int rc, steps = 0;

	if (!opt_yes && !h->settings->dry_run && !isatty(STDIN_FILENO)) {
		if (opt_all)
			h->log(AWSPHASE_LOG_ERROR, "it deletes the service, the load balancer and the "
			       "target group (--all: also the security groups, log group, cluster, roles "
			       "and task definitions), and asks first; stdin is not a terminal to ask on: "
			       "pass --yes to delete without asking, or --dry-run to see what it would "
			       "delete");
		else
			h->log(AWSPHASE_LOG_ERROR, "it deletes the service, the load balancer and the "
			       "target group, and asks first; stdin is not a terminal to ask on: pass "
			       "--yes to delete without asking, or --dry-run to see what it would delete");
		return AWSPHASE_EXIT_USAGE;
	}
	rc = p4b_config(h, &c);
	if (rc)
		return rc;
	s = p4b_open(h, &run);
	if (!s)
		return AWSPHASE_EXIT_FAILED;
	rc = e->teardown(s, opt_all ? p4b_teardown_all_keys : p4b_teardown_keys,
			 opt_yes ? AWSPHASE_TEARDOWN_YES : 0, &steps);
	if (!rc && !steps && opt_all)
		h->say("nothing to tear down: none of the 4B resources exist");
	else if (!rc && !steps)
		h->say("nothing to tear down: none of the 4B resources (service, listener, load "
		       "balancer, target group) exist");
	else if (!rc && h->settings->dry_run)
		h->say("dry run: the deletions above were listed, none made");
	else if (!rc && opt_all)
		h->say("torn down: every 4B resource is gone");
	if (!rc && opt_all)
		rc = p4b_history_drop(&c, opt_delete_data);
	/* it holds the database's password, which the database still has */
	if (!rc && opt_all && h->env_get("DB_PASSWORD") && *h->env_get("DB_PASSWORD") &&
	    !(h->env_get("DB_SECRET_ARN") && *h->env_get("DB_SECRET_ARN")))
		h->log(AWSPHASE_LOG_INFO, "secret %s (DB_PASSWORD) is kept; aws secretsmanager "
		       "delete-secret --secret-id %s deletes it", h->env_get("DB_SECRET_NAME"),
		       h->env_get("DB_SECRET_NAME"));
	else if (!rc)
		h->say("torn down: service, listener, load balancer and target group are gone (--all "
		       "also removes the security groups, log group, cluster, roles and task "
		       "definitions)");
	e->close(s);
	return rc;
}
