/* awsphase 3 deploy: every resource created or fixed through the engine,
 * which waits for the instance and the cluster to be available and writes
 * the keys as each settles. */
#include "phase3.h"

const struct poptOption p3_deploy_options[] = { POPT_TABLEEND };

int p3_deploy(const struct awsphase_host *h, int argc, const char **argv)
{
	const struct awsphase_engine *e = h->engine;
	struct awsphase_stack *s;
	int rc;

	s = p3_open(NULL, NULL, &rc);
	if (!s)
		return rc;
	rc = e->plan(s, NULL, NULL);
	if (!rc)
		rc = e->apply(s, NULL);
	e->close(s);
	return rc;
}
