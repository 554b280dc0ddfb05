/* Phase 1 module: the VPC the backend runs in, as the runbook's fase 1 makes
 * it — a VPC with DNS, an internet gateway, two public and two private
 * subnets in two availability zones, their route tables, and the private
 * subnets' way out (none, a NAT gateway, or VPC endpoints) — on the host's
 * resource engine (stack-net.c, stack-egress.c).  It writes VPC_ID and the
 * four subnets, which phase 4B reads, so awsphase up runs it first. */
#include <stddef.h>
#include <string.h>

#include "phase1.h"

#define ID(prefix) prefix "-[0-9a-f]{8,17}"
/* syntax only; p1_check_cidrs says what else is wrong with one */
#define CIDR "(?:[0-9]{1,3}\\.){3}[0-9]{1,3}/(?:1[6-9]|2[0-8])"

static const struct awsphase_envvar env[] = {
	{ "AWS_REGION", "[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-[0-9]", NULL, AWSPHASE_ENV_REQUIRED,
	  N_("the AWS region, e.g. us-east-2 (it must offer two availability zones)") },
	{ "VPC_NAME", "[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", "{STACK}", 0,
	  N_("the Name tag of the VPC, and the prefix of its parts' (kaviar-igw, kaviar-public-1, …)") },
	{ "VPC_CIDR", CIDR, "10.0.0.0/16", 0, N_("the VPC's address range, /16 to /28") },
	{ "PUBLIC_SUBNET_1_CIDR", CIDR, "10.0.1.0/24", 0,
	  N_("public subnet 1 (first availability zone), inside VPC_CIDR") },
	{ "PUBLIC_SUBNET_2_CIDR", CIDR, "10.0.2.0/24", 0,
	  N_("public subnet 2 (second availability zone), inside VPC_CIDR") },
	{ "PRIVATE_SUBNET_1_CIDR", CIDR, "10.0.11.0/24", 0,
	  N_("private subnet 1 (first availability zone), inside VPC_CIDR") },
	{ "PRIVATE_SUBNET_2_CIDR", CIDR, "10.0.12.0/24", 0,
	  N_("private subnet 2 (second availability zone), inside VPC_CIDR") },
	{ "PRIVATE_EGRESS", "none|nat|endpoints", "none", 0,
	  N_("how the private subnets reach AWS: none, nat (a NAT gateway) or endpoints (VPC endpoints)") },
	{ "VPC_ID", ID("vpc"), NULL, AWSPHASE_ENV_WRITTEN, N_("written by deploy: the VPC, vpc-…") },
	{ "PUBLIC_SUBNET_1", ID("subnet"), NULL, AWSPHASE_ENV_WRITTEN,
	  N_("written by deploy: public subnet 1, subnet-…") },
	{ "PUBLIC_SUBNET_2", ID("subnet"), NULL, AWSPHASE_ENV_WRITTEN,
	  N_("written by deploy: public subnet 2, subnet-…") },
	{ "PRIVATE_SUBNET_1", ID("subnet"), NULL, AWSPHASE_ENV_WRITTEN,
	  N_("written by deploy: private subnet 1, subnet-…") },
	{ "PRIVATE_SUBNET_2", ID("subnet"), NULL, AWSPHASE_ENV_WRITTEN,
	  N_("written by deploy: private subnet 2, subnet-…") },
	{ NULL },
};

static const struct awsphase_action actions[] = {
	{ .name = "deploy", .summary = N_("Create or fix the VPC, its subnets, gateways and routes"),
	  .options = p1_deploy_options, .exec = p1_deploy,
	  .help = N_("Creates what is missing and fixes what differs: the VPC (VPC_CIDR, DNS support "
	  "and hostnames on), an internet gateway attached to it, public subnets 1 and 2 in two "
	  "availability zones on a route table with 0.0.0.0/0 to the gateway, private subnets 1 and "
	  "2 on a route table of their own, and by PRIVATE_EGRESS: nat, a NAT gateway with an "
	  "Elastic IP in public subnet 1 as the private default route; endpoints, VPC endpoints "
	  "(interface: ecr.api, ecr.dkr, logs, ssm, secretsmanager, private DNS, a security group "
	  "allowing 443 from the VPC; gateway: s3 on the private route table).  Each is found again "
	  "by the tags "
	  "awsphase puts on it, so a run killed anywhere converges to one of each.  Bad CIDRs, or a "
	  "region with fewer than two availability zones: exit 2, nothing changed.  A CIDR that "
	  "differs from AWS cannot change in place: exit 1 saying what to do.  Writes VPC_ID, "
	  "PUBLIC_SUBNET_1/2 and PRIVATE_SUBNET_1/2.  A second run changes nothing.") },
	{ .name = "validate", .summary = N_("Check two AZs, DNS, the gateway, routes and the chosen egress"),
	  .exec = p1_validate, .flags = AWSPHASE_ACTION_READONLY },
	{ .name = "status", .summary = N_("The VPC's resources, their ids and states"),
	  .exec = p1_status, .flags = AWSPHASE_ACTION_READONLY },
	{ .name = "teardown", .summary = N_("Delete the VPC and everything phase 1 made in it"),
	  .options = p1_teardown_options, .exec = p1_teardown,
	  .help = N_("Deletes, in this order, the NAT gateway (waiting until it is deleted) and then "
	  "its Elastic IP, the VPC endpoints and their security group, the route table "
	  "associations, subnets and route tables, the internet gateway (detached first) and the "
	  "VPC — whatever PRIVATE_EGRESS says now — and removes VPC_ID and the subnets' keys from "
	  "the env file.  Asks first on a terminal; elsewhere it needs --yes.  Killed halfway, the "
	  "next run finishes; a second run makes no change.") },
	{ NULL },
};

static int p1_init(const struct awsphase_host *h)
{
	p1_h = h;
	if (!AWSPHASE_HAS(h, awsphase_host, grid_show) || !h->engine)
		return awsphase_host_too_old(h);
	return 0;
}

/* awsphase up's order: first, before every phase that runs in the VPC */
static const char *const provides[] = { "VPC_ID", "PUBLIC_SUBNET_1", "PUBLIC_SUBNET_2",
	"PRIVATE_SUBNET_1", "PRIVATE_SUBNET_2", NULL };

static struct awsphase_module phase1 = {
	.name = "1",
	.aliases = "vpc",
	.title = N_("VPC, subnets, gateways and routes (runbook fase 1)"),
	.env = env,
	.actions = actions,
	.init = p1_init,
	.provides = provides,
	.export_cfn = p1_export_cfn,
};

AWSPHASE_MODULE(phase1)
