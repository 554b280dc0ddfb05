/* awsphase 4b metrics: the runbook's "Monitoramento" — ALB RequestCount
 * (Sum) and ECS CPUUtilization and MemoryUtilization (Average; the runbook
 * promises both but queries only CPU) from `cloudwatch
 * get-metric-statistics`, as a table and, on a terminal, a sparkline each.
 * Which metrics and their dimensions are 4B's; the host (h->metrics)
 * queries and shows them. */
#include <stdio.h>
#include <string.h>

#include "phase4b.h"

static int opt_minutes = 10;
static int opt_period = 300;

const struct poptOption p4b_metrics_options[] = {
	{ "minutes", 0, POPT_ARG_INT, &opt_minutes, 0, N_("how far back to look (default 10)"), "N" },
	{ "period", 0, POPT_ARG_INT, &opt_period, 0,
	  N_("seconds per datapoint, a multiple of 60 (default 300, the runbook's)"), "SECONDS" },
	POPT_TABLEEND
};

int p4b_metrics(const struct awsphase_host *h, int argc, const char **argv)
{
	char svc_dim[300], cluster_dim[300], lb_dim[400], heading[1024];
	const char *ecs_dims[] = { svc_dim, cluster_dim, NULL }, *lb_dims[] = { lb_dim, NULL };
	struct awsphase_metric requests = { AWSPHASE_METRIC, .namespace_ = "AWS/ApplicationELB",
		.name = "RequestCount", .statistic = "Sum", .label = "RequestCount (Sum)" };
	struct awsphase_metric cpu = { AWSPHASE_METRIC, .namespace_ = "AWS/ECS",
		.name = "CPUUtilization", .statistic = "Average",
		.label = "CPUUtilization % (Average)", .decimals = 1, .dimensions = ecs_dims };
	struct awsphase_metric memory = { AWSPHASE_METRIC, .namespace_ = "AWS/ECS",
		.name = "MemoryUtilization", .statistic = "Average",
		.label = "MemoryUtilization % (Average)", .decimals = 1, .dimensions = ecs_dims };
	const struct awsphase_metric *const ms[] = { &requests, &cpu, &memory, NULL };
	const char *alb_arn, *lb_value = NULL;
	struct awsphase_call *alb;
	struct p4b c;
	int rc, rc2;

	if (opt_minutes < 1 || opt_minutes > 60 * 24 * 15) {
		h->log(AWSPHASE_LOG_ERROR, "--minutes %d: give 1 to 21600", opt_minutes);
		return AWSPHASE_EXIT_USAGE;
	}
	if (opt_period < 60 || opt_period % 60) {
		h->log(AWSPHASE_LOG_ERROR, "--period %d: give a multiple of 60 seconds", opt_period);
		return AWSPHASE_EXIT_USAGE;
	}
	rc = p4b_config(h, &c);
	if (rc)
		return rc;
	snprintf(svc_dim, sizeof(svc_dim), "Name=ServiceName,Value=%s", c.service);
	snprintf(cluster_dim, sizeof(cluster_dim), "Name=ClusterName,Value=%s", c.cluster);

	/* The LoadBalancer dimension is the ARN's part after "loadbalancer/":
	 * arn:aws:elasticloadbalancing:us-east-2:123456789012:loadbalancer/app/kaviar-alb/50dc6c495c0c9188
	 * → app/kaviar-alb/50dc6c495c0c9188.  The runbook's `cut -d: -f6` yields the
	 * sixth colon field, "loadbalancer/app/kaviar-alb/50dc…", and prefixes
	 * "app/kaviar-alb/" to it again: a dimension no datapoint has. */
	alb = h->call_new("elbv2", "describe-load-balancers");
	h->call_accept(alb, "LoadBalancerNotFound");
	h->call_args(alb, "--names", c.alb_name, NULL);
	rc = h->call_run(alb);
	alb_arn = h->json_str(h->call_json(alb), "LoadBalancers.0.LoadBalancerArn");
	if (alb_arn && strstr(alb_arn, ":loadbalancer/"))
		lb_value = strstr(alb_arn, ":loadbalancer/") + strlen(":loadbalancer/");
	if (rc == AWSPHASE_EXIT_INTERRUPTED || h->interrupted())
		goto out;
	if (lb_value) {
		snprintf(lb_dim, sizeof(lb_dim), "Name=LoadBalancer,Value=%s", lb_value);
		requests.dimensions = lb_dims;
	} else if (!alb_arn && rc == 0) {
		h->check(N_("alb"), AWSPHASE_WARN, "load balancer %s not found: no RequestCount", c.alb_name);
	}
	snprintf(heading, sizeof(heading), h->text("last %d minutes, %d s periods; ALB %s, service %s in %s"),
		 opt_minutes, opt_period, lb_value ? lb_value : c.alb_name, c.service, c.cluster);
	rc2 = h->metrics(ms, opt_minutes, opt_period, heading);
	if (!rc)
		rc = rc2;
out:
	h->call_free(alb);
	if (h->interrupted())
		return AWSPHASE_EXIT_INTERRUPTED;
	return rc;
}
