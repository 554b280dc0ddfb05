/* Phase 1's private egress for the engine, by PRIVATE_EGRESS.
 *
 *   nat: an Elastic IP, a NAT gateway in public subnet 1 with it, and the
 *   private route table's 0.0.0.0/0 to the gateway.
 *
 *     key        kind               found by                          needs
 *     eip        Elastic IP         describe-addresses (tags)         igw-attach
 *     nat        NAT gateway        describe-nat-gateways (vpc, tags) public-1 eip igw-attach
 *     route-nat  (part of rt-private) its Routes, 0.0.0.0/0           rt-private nat
 *
 *   The NAT gateway is pending for a while: the engine waits until it is
 *   available before the route names it (ready).  At teardown it is deleted
 *   and read until it is gone (wait_gone) before its address is released:
 *   AWS refuses the release while a NAT gateway not yet deleted holds it,
 *   and the gateway's detach while the address is mapped in the VPC.
 *
 *   endpoints: a security group allowing 443 from VPC_CIDR; interface
 *   endpoints for ecr.api, ecr.dkr, logs, ssm and secretsmanager (where
 *   the task's database secret is: phase 3's, or the one 4B keeps
 *   DB_PASSWORD in) in the private subnets with private DNS; a gateway
 *   endpoint for s3 on the private route table.
 *
 *     key          kind               found by                        needs
 *     vpce-sg      security group     describe-security-groups (vpc,  vpc
 *                                     tags)
 *     vpce-https   (part of vpce-sg)  its IpPermissions               vpce-sg
 *     vpce-…       VPC endpoint       describe-vpc-endpoints (vpc,    the subnets, the group,
 *                                     service, tags)                  DNS (private DNS needs it)
 *     vpce-s3      VPC endpoint       the same                        rt-private
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "phase1.h"

enum { FIX_ROUTE = 1 << 0, FIX_DNS = 1 << 1, FIX_TABLE = 1 << 2 };

static int is(const char *s, const char *want)
{
	return s && want && strcmp(s, want) == 0;
}

/* ---- NAT gateway ----------------------------------------------------------------------- */

static const char *const eip_create[] = { "--domain", "vpc", NULL };
static const char *const eip_gone[] = { "InvalidAllocationID.NotFound", NULL };
static const char *const eip_busy[] = { "InvalidIPAddress.InUse", NULL };
static const char *const eip_needs[] = { "igw-attach", NULL };

/* "release", as AWS says it */
static void eip_remove(struct awsphase_res *r)
{
	struct awsphase_call *call = P1_E->remove_step(r, "ec2", "release-address", eip_gone, eip_busy,
						       NULL, "release|released");

	P1_E->args(r, call, "--allocation-id", "{id}", NULL);
}

static const struct awsphase_resource eip = {
	AWSPHASE_RESOURCE, .key = "eip", .kind = N_("Elastic IP"), .name = "{VPC_NAME}-nat",
	.flags = AWSPHASE_RES_TAGGED, .tag_type = "elastic-ip", .needs = eip_needs,
	.find = { "ec2", "describe-addresses" }, .list = "Addresses", .id = "AllocationId",
	.show = "{.PublicIp}",
	/* allocate-address answers the address itself, not inside a key */
	.create = { "ec2", "allocate-address", eip_create }, .created = "",
	.create_verb = "allocate|allocated",
	.remove_fn = eip_remove,
};

/* describe-nat-gateways spells it --filter.  A deleted gateway stays listed
 * for a while, and a failed one never will be available: neither is the
 * phase's (a failed one is replaced). */
static const char *const nat_find[] = { "--filter", "Name=vpc-id,Values={@vpc}",
	"Name=state,Values=pending,available,deleting", NULL };
static const char *const nat_create[] = { "--subnet-id", "{@public-1}", "--allocation-id", "{@eip}", NULL };
static const char *const nat_delete[] = { "--nat-gateway-id", "{id}", NULL };
static const char *const nat_gone[] = { "NatGatewayNotFound", "InvalidNatGatewayID.NotFound", NULL };
static const char *const nat_needs[] = { "vpc", "public-1", "eip", "igw-attach", NULL };

static void nat_differs(struct awsphase_res *r, const cJSON *have)
{
	P1_E->note(r, "in %s", P1_E->expand(r, "{VPC_NAME}-public-1"));
}

static int nat_ready(struct awsphase_res *r, const cJSON *item)
{
	const char *state = p1_h->json_str(item, "State");

	if (is(state, "available"))
		return 1;
	if (is(state, "pending")) {
		P1_E->state(r, "%s", state);
		return 0;
	}
	p1_h->log(AWSPHASE_LOG_ERROR, "NAT gateway %s %s is %s%s%s; run awsphase 1 deploy again "
		  "once it is gone (a failed one is replaced)", P1_E->name(r), P1_E->id(r, NULL),
		  state ? state : "?", p1_h->json_str(item, "FailureMessage") ? ": " : "",
		  p1_h->json_str(item, "FailureMessage") ? p1_h->json_str(item, "FailureMessage") : "");
	return -AWSPHASE_EXIT_FAILED;
}

static const struct awsphase_resource nat = {
	AWSPHASE_RESOURCE, .key = "nat", .kind = N_("NAT gateway"), .name = "{VPC_NAME}-nat",
	.flags = AWSPHASE_RES_TAGGED, .tag_type = "natgateway", .needs = nat_needs,
	.find = { "ec2", "describe-nat-gateways", nat_find }, .list = "NatGateways",
	.id = "NatGatewayId", .show = "{.State}",
	.create = { "ec2", "create-nat-gateway", nat_create }, .created = "NatGateway",
	.differs = nat_differs, .ready = nat_ready,
	.remove = { "ec2", "delete-nat-gateway", nat_delete, nat_gone }, .wait_gone = 1,
};

static const char *const route_nat_args[] = { "--route-table-id", "{@rt-private}",
	"--destination-cidr-block", "0.0.0.0/0", "--nat-gateway-id", "{@nat}", NULL };
static const char *const route_exists[] = { "RouteAlreadyExists", NULL };
static const char *const route_nat_needs[] = { "rt-private", "nat", NULL };

static void route_nat_differs(struct awsphase_res *r, const cJSON *have)
{
	const char *nat_id = p1_h->json_str(have, "NatGatewayId"), *want = P1_E->id(r, "nat");
	const char *other = nat_id ? nat_id : p1_h->json_str(have, "GatewayId");

	if (have && !is(nat_id, want))
		P1_E->differs(r, FIX_ROUTE, "0.0.0.0/0 → %s, not %s", other ? other : "?", want);
	else if (have && is(p1_h->json_str(have, "State"), "blackhole"))
		P1_E->differs(r, FIX_ROUTE, "0.0.0.0/0 → %s is a blackhole", nat_id);
	P1_E->note(r, "0.0.0.0/0 → %s", P1_E->expand(r, "{VPC_NAME}-nat"));
}

static void route_nat_fix(struct awsphase_res *r, const cJSON *have, unsigned what)
{
	P1_E->args(r, P1_E->call(r, "ec2", "replace-route"), "--route-table-id", "{@rt-private}",
		   "--destination-cidr-block", "0.0.0.0/0", "--nat-gateway-id", "{@nat}", NULL);
}

static const struct awsphase_resource route_nat = {
	AWSPHASE_RESOURCE, .key = "route-nat", .kind = N_("route table"), .name = "{VPC_NAME}-private",
	.needs = route_nat_needs, .part_of = "rt-private", .from = "rt-private",
	.list = "Routes", .match = "DestinationCidrBlock=0.0.0.0/0",
	.create = { "ec2", "create-route", route_nat_args, route_exists },
	.differs = route_nat_differs, .fix = route_nat_fix,
};

const struct awsphase_resource *const p1_nat[] = { &eip, &nat, &route_nat, NULL };

/* ---- VPC endpoints --------------------------------------------------------------------- */

static const char *const after_vpc[] = { "vpc", NULL };
static const char *const busy[] = { "DependencyViolation", NULL };
static const char *const in_vpc[] = { "--filters", "Name=vpc-id,Values={@vpc}", NULL };
static const char *const sg_create[] = { "--group-name", "{name}", "--description",
	"VPC endpoints of {VPC_NAME}: HTTPS from the VPC", "--vpc-id", "{@vpc}", NULL };
static const char *const sg_delete[] = { "--group-id", "{id}", NULL };
static const char *const sg_gone[] = { "InvalidGroup.NotFound", NULL };

static const struct awsphase_resource vpce_sg = {
	AWSPHASE_RESOURCE, .key = "vpce-sg", .kind = N_("security group"), .name = "{VPC_NAME}-vpce",
	.flags = AWSPHASE_RES_TAGGED, .tag_type = "security-group", .needs = after_vpc,
	.find = { "ec2", "describe-security-groups", in_vpc }, .list = "SecurityGroups", .id = "GroupId",
	/* create-security-group answers {"GroupId": …} */
	.create = { "ec2", "create-security-group", sg_create }, .created = "",
	.remove = { "ec2", "delete-security-group", sg_delete, sg_gone, busy },
};

/* tcp 443 from VPC_CIDR, in the group's IpPermissions */
static int https_pick(struct awsphase_res *r, const cJSON *sg, int step, const cJSON **item)
{
	const char *cidr = p1_h->env_get("VPC_CIDR");
	const cJSON *perm, *range;

	cJSON_ArrayForEach(perm, p1_h->json_get(sg, "IpPermissions")) {
		if (!is(p1_h->json_str(perm, "IpProtocol"), "tcp") ||
		    p1_h->json_num(perm, "FromPort", -1) != 443 || p1_h->json_num(perm, "ToPort", -1) != 443)
			continue;
		cJSON_ArrayForEach(range, p1_h->json_get(perm, "IpRanges"))
			if (is(p1_h->json_str(range, "CidrIp"), cidr)) {
				*item = perm;
				return AWSPHASE_FOUND;
			}
	}
	return AWSPHASE_ABSENT;
}

static const char *const https_args[] = { "--group-id", "{@vpce-sg}", "--protocol", "tcp",
	"--port", "443", "--cidr", "{VPC_CIDR}", NULL };
static const char *const https_exists[] = { "InvalidPermission.Duplicate", NULL };
static const char *const after_sg[] = { "vpce-sg", NULL };

static void https_differs(struct awsphase_res *r, const cJSON *have)
{
	P1_E->note(r, "HTTPS from %s", p1_h->env_get("VPC_CIDR"));
}

static const struct awsphase_resource vpce_https = {
	AWSPHASE_RESOURCE, .key = "vpce-https", .kind = N_("security group"), .name = "{VPC_NAME}-vpce",
	.needs = after_sg, .part_of = "vpce-sg", .from = "vpce-sg", .pick = https_pick,
	.create = { "ec2", "authorize-security-group-ingress", https_args, https_exists },
	.create_verb = "authorize|authorized", .differs = https_differs,
	/* no remove: it goes with the group */
};

static int vpce_ready(struct awsphase_res *r, const cJSON *item)
{
	const char *state = p1_h->json_str(item, "State");

	if (state && strcasecmp(state, "available") == 0)
		return 1;
	if (state && (strcasecmp(state, "pending") == 0 || strcasecmp(state, "pendingAcceptance") == 0)) {
		P1_E->state(r, "%s", state);
		return 0;
	}
	p1_h->log(AWSPHASE_LOG_ERROR, "VPC endpoint %s %s is %s; run awsphase 1 deploy again once "
		  "it is gone", P1_E->name(r), P1_E->id(r, NULL), state ? state : "?");
	return -AWSPHASE_EXIT_FAILED;
}

/* An interface endpoint without private DNS is not reached by the
 * service's usual name: turned on in place. */
static void interface_differs(struct awsphase_res *r, const cJSON *have)
{
	if (have && !cJSON_IsTrue(p1_h->json_get(have, "PrivateDnsEnabled")))
		P1_E->differs(r, FIX_DNS, "private DNS off → on");
	P1_E->note(r, "interface, private DNS, in %s and %s",
		   P1_E->expand(r, "{VPC_NAME}-private-1"), P1_E->expand(r, "{VPC_NAME}-private-2"));
}

static void interface_fix(struct awsphase_res *r, const cJSON *have, unsigned what)
{
	P1_E->args(r, P1_E->call(r, "ec2", "modify-vpc-endpoint"), "--vpc-endpoint-id", "{id}",
		   "--private-dns-enabled", NULL);
}

static const char *const vpce_delete[] = { "--vpc-endpoint-ids", "{id}", NULL };
static const char *const vpce_gone[] = { "InvalidVpcEndpointId.NotFound", NULL };
static const char *const interface_needs[] = { "vpc", "private-1", "private-2", "vpce-sg",
	"vpce-https", "dns-support", "dns-hostnames", NULL };

#define INTERFACE(var, k, svc)                                                                 \
	static const char *const var##_find[] = { "--filters", "Name=vpc-id,Values={@vpc}",    \
		"Name=service-name,Values=com.amazonaws.{region}." svc, NULL };                \
	static const char *const var##_create[] = { "--vpc-id", "{@vpc}", "--vpc-endpoint-type", \
		"Interface", "--service-name", "com.amazonaws.{region}." svc, "--subnet-ids",  \
		"{@private-1}", "{@private-2}", "--security-group-ids", "{@vpce-sg}",          \
		"--private-dns-enabled", NULL };                                               \
	static const struct awsphase_resource var = {                                          \
		AWSPHASE_RESOURCE, .key = k, .kind = N_("VPC endpoint"),                       \
		.name = "{VPC_NAME}-" svc, .flags = AWSPHASE_RES_TAGGED,                       \
		.tag_type = "vpc-endpoint", .needs = interface_needs,                          \
		.find = { "ec2", "describe-vpc-endpoints", var##_find }, .list = "VpcEndpoints", \
		.id = "VpcEndpointId", .show = "{.State}",                                     \
		.create = { "ec2", "create-vpc-endpoint", var##_create }, .created = "VpcEndpoint", \
		.differs = interface_differs, .fix = interface_fix, .ready = vpce_ready,       \
		.remove = { "ec2", "delete-vpc-endpoints", vpce_delete, vpce_gone }, .wait_gone = 1, \
	}

INTERFACE(vpce_ecr_api, "vpce-ecr-api", "ecr.api");
INTERFACE(vpce_ecr_dkr, "vpce-ecr-dkr", "ecr.dkr");
INTERFACE(vpce_logs, "vpce-logs", "logs");
INTERFACE(vpce_ssm, "vpce-ssm", "ssm");
INTERFACE(vpce_secrets, "vpce-secretsmanager", "secretsmanager");

const char *const p1_interface_services[] = { "ecr.api", "ecr.dkr", "logs", "ssm", "secretsmanager",
	NULL };

/* The s3 gateway endpoint: on the private route table, where it puts the
 * s3 prefix list's route; put back on it when it is not. */
static const char *const s3_find[] = { "--filters", "Name=vpc-id,Values={@vpc}",
	"Name=service-name,Values=com.amazonaws.{region}.s3", NULL };
static const char *const s3_create[] = { "--vpc-id", "{@vpc}", "--vpc-endpoint-type", "Gateway",
	"--service-name", "com.amazonaws.{region}.s3", "--route-table-ids", "{@rt-private}", NULL };
static const char *const s3_needs[] = { "vpc", "rt-private", NULL };

static void s3_differs(struct awsphase_res *r, const cJSON *have)
{
	const char *rt = P1_E->id(r, "rt-private");
	const cJSON *t;
	int on = 0;

	cJSON_ArrayForEach(t, p1_h->json_get(have, "RouteTableIds"))
		on |= cJSON_IsString(t) && is(t->valuestring, rt);
	if (have && !on)
		P1_E->differs(r, FIX_TABLE, "not on %s → on it", P1_E->expand(r, "{VPC_NAME}-private"));
	P1_E->note(r, "gateway, on %s", P1_E->expand(r, "{VPC_NAME}-private"));
}

static void s3_fix(struct awsphase_res *r, const cJSON *have, unsigned what)
{
	P1_E->args(r, P1_E->call(r, "ec2", "modify-vpc-endpoint"), "--vpc-endpoint-id", "{id}",
		   "--add-route-table-ids", "{@rt-private}", NULL);
}

static const struct awsphase_resource vpce_s3 = {
	AWSPHASE_RESOURCE, .key = "vpce-s3", .kind = N_("VPC endpoint"), .name = "{VPC_NAME}-s3",
	.flags = AWSPHASE_RES_TAGGED, .tag_type = "vpc-endpoint", .needs = s3_needs,
	.find = { "ec2", "describe-vpc-endpoints", s3_find }, .list = "VpcEndpoints",
	.id = "VpcEndpointId", .show = "{.State}",
	.create = { "ec2", "create-vpc-endpoint", s3_create }, .created = "VpcEndpoint",
	.differs = s3_differs, .fix = s3_fix, .ready = vpce_ready,
	.remove = { "ec2", "delete-vpc-endpoints", vpce_delete, vpce_gone }, .wait_gone = 1,
};

const struct awsphase_resource *const p1_endpoints[] = {
	&vpce_ecr_api, &vpce_ecr_dkr, &vpce_logs, &vpce_ssm, &vpce_secrets, &vpce_s3, &vpce_sg,
	&vpce_https, NULL,
};
