/* awsphase 1 teardown: everything phase 1 made, whatever PRIVATE_EGRESS
 * says now (a NAT gateway made under nat is still deleted after a switch
 * to none), in the engine's reverse order: the NAT gateway, waited for
 * until deleted, before its address; endpoints, waited for, before the
 * subnets and their group; associations before subnets and tables; the
 * gateway detached before it is deleted; the VPC last.  VPC_ID and the
 * subnets' keys leave the env file. */
#include <unistd.h>

#include "phase1.h"

static int opt_yes;

const struct poptOption p1_teardown_options[] = {
	{ "yes", 'y', POPT_ARG_NONE, &opt_yes, 0,
	  N_("delete without asking (required when stdin is not a terminal)"), NULL },
	POPT_TABLEEND
};

int p1_teardown(const struct awsphase_host *h, int argc, const char **argv)
{
	const struct awsphase_engine *e = h->engine;
	const char *name = h->env_get("VPC_NAME");
	struct awsphase_stack *s;
	int rc, steps = 0;

	if (!opt_yes && !h->settings->dry_run && !isatty(STDIN_FILENO)) {
		h->log(AWSPHASE_LOG_ERROR, "it deletes the VPC %s and everything phase 1 made in it, "
		       "and asks first; stdin is not a terminal to ask on: pass --yes to delete without "
		       "asking, or --dry-run to see what it would delete", name);
		return AWSPHASE_EXIT_USAGE;
	}
	s = p1_open(P1_ALL, NULL, &rc);
	if (!s)
		return rc;
	rc = e->teardown(s, NULL, opt_yes ? AWSPHASE_TEARDOWN_YES : 0, &steps);
	if (!rc && !steps)
		h->say("nothing to tear down: phase 1 has nothing in AWS for VPC %s", name);
	else if (!rc && h->settings->dry_run)
		h->say("dry run: the deletions above were listed, none made");
	else if (!rc)
		h->say("torn down: the VPC %s and its parts are gone", name);
	e->close(s);
	return rc;
}
