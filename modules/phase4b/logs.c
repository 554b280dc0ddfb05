/* awsphase 4b logs: the runbook's `aws logs tail /ecs/kaviar-backend
 * [--since 5m] [--follow]`, by the host's logs_tail (module.h) on the
 * log group LOG_GROUP. */
#include "phase4b.h"

static char since_default[] = "5m";
static char *opt_since = since_default;
static int opt_follow;
static char *opt_filter;

const struct poptOption p4b_logs_options[] = {
	{ "since", 0, POPT_ARG_STRING, &opt_since, 0,
	  N_("start this far back: 30s, 5m, 2h, 1d (default 5m)"), "DURATION" },
	{ "follow", 'f', POPT_ARG_NONE, &opt_follow, 0,
	  N_("keep polling for new lines until interrupted (Ctrl-C)"), NULL },
	{ "filter", 0, POPT_ARG_STRING, &opt_filter, 0,
	  N_("CloudWatch Logs filter pattern (filter-log-events --filter-pattern)"), "PATTERN" },
	POPT_TABLEEND
};

int p4b_logs(const struct awsphase_host *h, int argc, const char **argv)
{
	struct p4b c;
	int rc;

	rc = p4b_config(h, &c);
	if (rc)
		return rc;
	return h->logs_tail(c.log_group, opt_since, opt_filter, opt_follow,
			    N_("awsphase 4b deploy creates it"));
}
