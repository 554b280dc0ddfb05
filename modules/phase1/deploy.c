/* awsphase 1 deploy: the input checked first (CIDRs, then the region's
 * zones: exit 2 before any change), then the engine converges the VPC and
 * what PRIVATE_EGRESS asks for, writing VPC_ID and the subnets as each
 * settles. */
#include "phase1.h"

const struct poptOption p1_deploy_options[] = { POPT_TABLEEND };

/* read alone first: two zones or no change at all */
static const char *const zones[] = { "azs", NULL };

int p1_deploy(const struct awsphase_host *h, int argc, const char **argv)
{
	const struct awsphase_engine *e = h->engine;
	struct awsphase_stack *s;
	int rc = p1_check_cidrs();

	if (rc)
		return rc;
	s = p1_open(p1_egress(), zones, &rc);
	if (!s)
		return rc;
	rc = p1_check_azs(s);
	if (!rc)
		rc = e->plan(s, NULL, NULL);
	if (!rc)
		rc = e->apply(s, NULL);
	e->close(s);
	return rc;
}
