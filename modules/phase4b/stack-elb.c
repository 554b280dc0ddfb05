/* Phase 4B's load balancer side for the engine: the target group, the ALB
 * and its HTTP:80 listener, and what of them cannot change in place. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack.h"

static const char *str(const cJSON *o, const char *key)
{
	return p4b_h->json_str(o, key);
}

static int is(const cJSON *o, const char *key, const char *want)
{
	const char *s = str(o, key);

	return s && want && strcmp(s, want) == 0;
}

static const char *or_none(const char *s)
{
	return s ? s : "(none)";
}

/* ---- target group -------------------------------------------------------------------- */

enum { TG_PATH = 1 << 0, TG_PORT = 1 << 1, TG_PROTOCOL = 1 << 2, TG_MATCHER = 1 << 3,
       TG_ENABLED = 1 << 4, TG_TIMING = 1 << 5, TG_DELAY = 1 << 6 };

int p4b_dereg_delay(const cJSON *attributes)
{
	const cJSON *a = p4b_h->json_find(p4b_h->json_get(attributes, "Attributes"), "Key",
					  "deregistration_delay.timeout_seconds");
	const char *v = str(a, "Value");

	return v ? atoi(v) : -1;
}

/* The group, then (deploy, or a read that asks) its attributes: the
 * deregistration delay is not in describe-target-groups' answer. */
static int tg_pick(struct awsphase_res *r, const cJSON *answer, int step, const cJSON **item)
{
	struct awsphase_call *call;

	*item = P4B_E->select(r, P4B_E->answer(r, 0));
	if (!*item || step > 0 || P4B_E->mode(r) == AWSPHASE_MODE_TEARDOWN ||
	    (P4B_E->mode(r) == AWSPHASE_MODE_READ && !p4b_run_of(r)->tg_attrs))
		return *item ? AWSPHASE_FOUND : AWSPHASE_ABSENT;
	call = P4B_E->again(r, "elbv2", "describe-target-group-attributes", NULL);
	p4b_h->call_args(call, "--target-group-arn", str(*item, "TargetGroupArn"), NULL);
	return AWSPHASE_AGAIN;
}

/* The health check's timing and the deregistration delay (issue 19); have
 * NULL: just created, with AWS's 300 s delay. */
static void tg_timing_differs(struct awsphase_res *r, const cJSON *tg)
{
	const struct p4b *c = p4b_run_of(r)->c;
	int delay = tg ? p4b_dereg_delay(P4B_E->answer(r, 1)) : 300;
	int interval = (int)p4b_h->json_num(tg, "HealthCheckIntervalSeconds", 0);
	int timeout = (int)p4b_h->json_num(tg, "HealthCheckTimeoutSeconds", 0);
	int up = (int)p4b_h->json_num(tg, "HealthyThresholdCount", 0);
	int down = (int)p4b_h->json_num(tg, "UnhealthyThresholdCount", 0);

	if (tg && (interval != c->hc_interval || timeout != c->hc_timeout || up != c->healthy ||
		   down != c->unhealthy))
		P4B_E->differs(r, TG_TIMING, "health check every %d s, timeout %d s, %d healthy/%d "
			       "unhealthy → %d s, %d s, %d/%d", interval, timeout, up, down,
			       c->hc_interval, c->hc_timeout, c->healthy, c->unhealthy);
	if (delay >= 0 && delay != c->dereg_delay)
		P4B_E->differs(r, TG_DELAY, "deregistration delay %d s → %d s", delay, c->dereg_delay);
}

static void tg_differs(struct awsphase_res *r, const cJSON *tg)
{
	const struct p4b *c = p4b_run_of(r)->c;
	const char *path = str(tg, "HealthCheckPath"), *hc_port = str(tg, "HealthCheckPort");
	const char *code = p4b_h->json_str(tg, "Matcher.HttpCode");
	char port[16];

	tg_timing_differs(r, tg);
	if (!tg)
		return;
	snprintf(port, sizeof(port), "%d", c->port);
	if (!is(tg, "Protocol", "HTTP") || (int)p4b_h->json_num(tg, "Port", 0) != c->port ||
	    !is(tg, "VpcId", c->vpc) || !is(tg, "TargetType", "ip"))
		P4B_E->conflict(r, "target group %s: is %s %d, target type %s, in %s; the runbook's is "
				"HTTP %d, target type ip, in %s, and these cannot change in place; delete "
				"it (aws elbv2 delete-target-group --target-group-arn %s) or set TG_NAME to "
				"another name", c->tg_name, or_none(str(tg, "Protocol")),
				(int)p4b_h->json_num(tg, "Port", 0), or_none(str(tg, "TargetType")),
				or_none(str(tg, "VpcId")), c->port, c->vpc,
				or_none(str(tg, "TargetGroupArn")));
	if (!path || strcmp(path, c->health_path) != 0)
		P4B_E->differs(r, TG_PATH, "health check path %s → %s", or_none(path), c->health_path);
	if (hc_port && strcmp(hc_port, "traffic-port") != 0 && strcmp(hc_port, port) != 0)
		P4B_E->differs(r, TG_PORT, "health check port %s → traffic-port", hc_port);
	if (str(tg, "HealthCheckProtocol") && !is(tg, "HealthCheckProtocol", "HTTP"))
		P4B_E->differs(r, TG_PROTOCOL, "health check protocol → HTTP");
	if (!code || strcmp(code, "200") != 0)
		P4B_E->differs(r, TG_MATCHER, "matcher %s → 200", or_none(code));
	if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(tg, "HealthCheckEnabled")))
		P4B_E->differs(r, TG_ENABLED, "health check enabled");
}

/* One modify-target-group with what differs, decided by differs' flags;
 * the delay is an attribute, with a call of its own. */
static void tg_fix(struct awsphase_res *r, const cJSON *tg, unsigned what)
{
	struct awsphase_call *call;

	if (what & TG_DELAY) {
		call = P4B_E->call(r, "elbv2", "modify-target-group-attributes");
		P4B_E->args(r, call, "--target-group-arn", "{id}", "--attributes",
			    "Key=deregistration_delay.timeout_seconds,Value={DEREGISTRATION_DELAY}", NULL);
	}
	if (!(what & ~TG_DELAY))
		return;
	call = P4B_E->call(r, "elbv2", "modify-target-group");
	P4B_E->args(r, call, "--target-group-arn", "{id}", NULL);
	if (what & TG_TIMING)
		P4B_E->args(r, call, "--health-check-interval-seconds", "{HEALTH_CHECK_INTERVAL}",
			    "--health-check-timeout-seconds", "{HEALTH_CHECK_TIMEOUT}",
			    "--healthy-threshold-count", "{HEALTHY_THRESHOLD}",
			    "--unhealthy-threshold-count", "{UNHEALTHY_THRESHOLD}", NULL);
	if (what & TG_PATH)
		P4B_E->args(r, call, "--health-check-path", "{HEALTH_PATH}", NULL);
	if (what & TG_PORT)
		P4B_E->args(r, call, "--health-check-port", "traffic-port", NULL);
	if (what & TG_PROTOCOL)
		P4B_E->args(r, call, "--health-check-protocol", "HTTP", NULL);
	if (what & TG_MATCHER)
		P4B_E->args(r, call, "--matcher", "HttpCode=200", NULL);
	if (what & TG_ENABLED)
		P4B_E->args(r, call, "--health-check-enabled", NULL);
}

static const char *const tg_find[] = { "--names", "{name}", NULL };
static const char *const tg_none[] = { "TargetGroupNotFound", NULL };
static const char *const tg_create[] = { "--name", "{name}", "--protocol", "HTTP", "--port",
	"{CONTAINER_PORT}", "--vpc-id", "{VPC_ID}", "--target-type", "ip", "--health-check-protocol",
	"HTTP", "--health-check-path", "{HEALTH_PATH}", "--matcher", "HttpCode=200",
	"--health-check-interval-seconds", "{HEALTH_CHECK_INTERVAL}", "--health-check-timeout-seconds",
	"{HEALTH_CHECK_TIMEOUT}", "--healthy-threshold-count", "{HEALTHY_THRESHOLD}",
	"--unhealthy-threshold-count", "{UNHEALTHY_THRESHOLD}", NULL };
static const char *const tg_exists[] = { "DuplicateTargetGroupName", NULL };
static const char *const tg_remove[] = { "--target-group-arn", "{id}", NULL };
static const char *const tg_busy[] = { "ResourceInUse", NULL };
static const char *const after_alb[] = { "alb", NULL };
static const struct awsphase_output tg_out[] = { { "TG_ARN", "TargetGroupArn" }, { NULL } };

const struct awsphase_resource p4b_tg = {
	AWSPHASE_RESOURCE, .key = "tg", .kind = N_("target group"), .name = "{TG_NAME}",
	.flags = AWSPHASE_RES_LAZY,
	.find = { "elbv2", "describe-target-groups", tg_find, tg_none }, .list = "TargetGroups",
	.pick = tg_pick, .id = "TargetGroupArn", .show = "{.TargetGroupArn}", .outputs = tg_out,
	.create = { "elbv2", "create-target-group", tg_create, tg_exists }, .created = "TargetGroups.0",
	.differs = tg_differs, .fix = tg_fix,
	/* while the ALB is going it holds the group (ResourceInUse) */
	.remove = { "elbv2", "delete-target-group", tg_remove, tg_none, tg_busy },
	.remove_after = after_alb,
};

/* ---- load balancer ------------------------------------------------------------------- */

enum { ALB_SG = 1 << 0, ALB_SUBNETS = 1 << 1 };

static void alb_differs(struct awsphase_res *r, const cJSON *alb)
{
	const struct p4b *c = p4b_run_of(r)->c;
	const cJSON *az;
	const char *subnets[8];
	size_t n = 0;

	if (!alb)
		return;
	if (!is(alb, "Scheme", "internet-facing") || !is(alb, "Type", "application") ||
	    !is(alb, "VpcId", c->vpc))
		P4B_E->conflict(r, "load balancer %s: is %s %s in %s; the runbook's is an internet-facing "
				"application load balancer in %s, and this cannot change in place; "
				"delete it (see the runbook's \"Rollback completo\") or set ALB_NAME to "
				"another name", c->alb_name, or_none(str(alb, "Scheme")),
				or_none(str(alb, "Type")), or_none(str(alb, "VpcId")), c->vpc);
	if (!p4b_h->json_find(p4b_h->json_get(alb, "SecurityGroups"), NULL, P4B_E->id(r, "alb-sg")))
		P4B_E->differs(r, ALB_SG, "security groups → %s", c->alb_sg_name);
	cJSON_ArrayForEach(az, cJSON_GetObjectItemCaseSensitive(alb, "AvailabilityZones"))
		if (n < 8 && str(az, "SubnetId"))
			subnets[n++] = str(az, "SubnetId");
	if (n != 2 ||
	    !((strcmp(subnets[0], c->public_subnet[0]) == 0 && strcmp(subnets[1], c->public_subnet[1]) == 0) ||
	      (strcmp(subnets[0], c->public_subnet[1]) == 0 && strcmp(subnets[1], c->public_subnet[0]) == 0)))
		P4B_E->differs(r, ALB_SUBNETS, "subnets → %s", "PUBLIC_SUBNET_1/2");
}

static void alb_fix(struct awsphase_res *r, const cJSON *alb, unsigned what)
{
	struct awsphase_call *call;

	if (what & ALB_SG) {
		call = P4B_E->call(r, "elbv2", "set-security-groups");
		P4B_E->args(r, call, "--load-balancer-arn", "{id}", "--security-groups", "{@alb-sg}", NULL);
	}
	if (what & ALB_SUBNETS) {
		call = P4B_E->call(r, "elbv2", "set-subnets");
		P4B_E->args(r, call, "--load-balancer-arn", "{id}", "--subnets", "{PUBLIC_SUBNET_1}",
			    "{PUBLIC_SUBNET_2}", NULL);
	}
}

static const char *const alb_find[] = { "--names", "{name}", NULL };
static const char *const alb_none[] = { "LoadBalancerNotFound", NULL };
static const char *const alb_create[] = { "--name", "{name}", "--subnets", "{PUBLIC_SUBNET_1}",
	"{PUBLIC_SUBNET_2}", "--security-groups", "{@alb-sg}", "--scheme", "internet-facing",
	"--type", "application", NULL };
static const char *const alb_exists[] = { "DuplicateLoadBalancerName", NULL };
static const char *const alb_remove[] = { "--load-balancer-arn", "{id}", NULL };
static const char *const alb_needs[] = { "alb-sg", NULL };
static const struct awsphase_output alb_out[] = {
	{ "ALB_ARN", "LoadBalancerArn" }, { "ALB_DNS", "DNSName" }, { NULL },
};

const struct awsphase_resource p4b_alb = {
	AWSPHASE_RESOURCE, .key = "alb", .kind = N_("load balancer"), .name = "{ALB_NAME}",
	.flags = AWSPHASE_RES_LAZY, .needs = alb_needs,
	.find = { "elbv2", "describe-load-balancers", alb_find, alb_none }, .list = "LoadBalancers",
	.id = "LoadBalancerArn", .show = "{.DNSName}", .outputs = alb_out,
	.create = { "elbv2", "create-load-balancer", alb_create, alb_exists },
	.created = "LoadBalancers.0",
	.differs = alb_differs, .fix = alb_fix,
	/* a deleted load balancer lingers, holding its group and target group */
	.remove = { "elbv2", "delete-load-balancer", alb_remove, alb_none }, .wait_gone = 1,
};

/* ---- listener ------------------------------------------------------------------------ */

static int forwards_to_tg(struct awsphase_res *r, const cJSON *l)
{
	return is(l, "Protocol", "HTTP") && P4B_E->listener_forwards(l, P4B_E->id(r, "tg"));
}

static void listener_differs(struct awsphase_res *r, const cJSON *l)
{
	const struct p4b *c = p4b_run_of(r)->c;

	if (!l) {
		P4B_E->note(r, "forward → %s", c->tg_name);
		return;
	}
	if (!forwards_to_tg(r, l))
		P4B_E->differs(r, 1, "forward → %s", c->tg_name);
}

static void listener_fix(struct awsphase_res *r, const cJSON *l, unsigned what)
{
	struct awsphase_call *call = P4B_E->call(r, "elbv2", "modify-listener");

	P4B_E->args(r, call, "--listener-arn", "{id}", "--protocol", "HTTP", "--port", "80",
		    "--default-actions", "Type=forward,TargetGroupArn={@tg}", NULL);
}

/* Teardown: every listener of the load balancer, named by port. */
static void listener_remove(struct awsphase_res *r)
{
	static const char *const gone[] = { "ListenerNotFound", "LoadBalancerNotFound", NULL };
	const struct p4b *c = p4b_run_of(r)->c;
	const cJSON *l;
	char name[300];

	cJSON_ArrayForEach(l, p4b_h->json_get(P4B_E->answer(r, 0), "Listeners")) {
		struct awsphase_call *call;

		/* no words: the same name goes into the JSON and every language */
		snprintf(name, sizeof(name), "%s %s:%d", c->alb_name,
			 str(l, "Protocol") ? str(l, "Protocol") : "?", (int)p4b_h->json_num(l, "Port", 0));
		call = P4B_E->remove_step(r, "elbv2", "delete-listener", gone, NULL, name,
					  "delete|deleted");
		p4b_h->call_arg(call, "--listener-arn");
		p4b_h->call_arg(call, str(l, "ListenerArn"));
	}
}

static const char *const listener_find[] = { "--load-balancer-arn", "{@alb}", NULL };
static const char *const listener_none[] = { "LoadBalancerNotFound", "ListenerNotFound", NULL };
static const char *const listener_create[] = { "--load-balancer-arn", "{@alb}", "--protocol",
	"HTTP", "--port", "80", "--default-actions", "Type=forward,TargetGroupArn={@tg}", NULL };
static const char *const listener_exists[] = { "DuplicateListener", NULL };
static const char *const listener_needs[] = { "alb", "tg", NULL };
static const struct awsphase_output listener_out[] = { { "LISTENER_ARN", "ListenerArn" }, { NULL } };

const struct awsphase_resource p4b_listener = {
	AWSPHASE_RESOURCE, .key = "listener", .kind = N_("listener"), .name = "HTTP:80",
	.needs = listener_needs,
	.find = { "elbv2", "describe-listeners", listener_find, listener_none },
	.list = "Listeners", .match = "Port=80", .id = "ListenerArn", .show = "{.ListenerArn}",
	.outputs = listener_out,
	.create = { "elbv2", "create-listener", listener_create, listener_exists },
	.created = "Listeners.0",
	.differs = listener_differs, .fix = listener_fix,
	.remove_fn = listener_remove,
};
