/* Phase 1's network for the engine: the VPC and its DNS attributes, the
 * internet gateway and its attachment, the availability zones (data), the
 * four subnets, the two route tables, the public default route and the
 * subnets' associations.
 *
 *   key           kind                found by                        needs
 *   vpc           VPC                 describe-vpcs (tags)            -
 *   dns-support   (part of vpc)       describe-vpc-attribute          vpc
 *   dns-hostnames (part of vpc)       describe-vpc-attribute          vpc
 *   igw           internet gateway    describe-internet-gateways      -
 *   igw-attach    (part of igw)       igw's Attachments               igw vpc
 *   azs           (data)              describe-availability-zones     -
 *   public-1/2,   subnet              describe-subnets (vpc, tags)    vpc
 *   private-1/2
 *   rt-public,    route table         describe-route-tables (vpc,     vpc
 *   rt-private                        tags)
 *   route-public  (part of rt-public) its Routes, 0.0.0.0/0           rt-public igw-attach
 *   assoc-…       (part of its table) its Associations, the subnet    the table, the subnet
 *
 * Nothing here has a name AWS keeps unique: each is found by the Name and
 * awsphase:stack tags the engine puts on it at create (AWSPHASE_RES_TAGGED),
 * and what lives in the VPC also by vpc-id, so a run killed right after a
 * create finds what it made instead of making a second one.  The parts
 * (attributes, attachment, routes, associations) are read out of their
 * owner's answer or with one call, and made with one. */
#include <string.h>

#include "phase1.h"

enum { FIX_ON = 1 << 0, FIX_ROUTE = 1 << 1 };

/* What the engine says of three of phase 1's kinds, with the kind as
 * context, for the catalogue: in Portuguese a VPC, a subnet (sub-rede) and a
 * route table (tabela de rotas) are feminine, the engine's words alone
 * masculine; and the Elastic IP's own verb. */
static const char *const words[] __attribute__((unused)) = {
	NC_("VPC", "created"), NC_("VPC", "created: %s"), NC_("VPC", "would create"),
	NC_("VPC", "would create: %s"), NC_("VPC", "already there"),
	NC_("VPC", "already there: %s"), NC_("VPC", "updated: %s"),
	NC_("VPC", "would update: %s"), NC_("VPC", "updated: %s added"),
	NC_("VPC", "would update: %s added"), NC_("VPC", "updated: %s (already there)"),
	NC_("subnet", "created"), NC_("subnet", "created: %s"), NC_("subnet", "would create"),
	NC_("subnet", "would create: %s"), NC_("subnet", "already there"),
	NC_("subnet", "already there: %s"), NC_("subnet", "updated: %s"),
	NC_("subnet", "would update: %s"), NC_("subnet", "updated: %s added"),
	NC_("subnet", "would update: %s added"), NC_("subnet", "updated: %s (already there)"),
	NC_("route table", "created"), NC_("route table", "created: %s"),
	NC_("route table", "would create"), NC_("route table", "would create: %s"),
	NC_("route table", "already there"), NC_("route table", "already there: %s"),
	NC_("route table", "updated: %s"), NC_("route table", "would update: %s"),
	NC_("route table", "updated: %s added"), NC_("route table", "would update: %s added"),
	NC_("route table", "updated: %s (already there)"),
	NC_("Elastic IP", "allocated"), NC_("Elastic IP", "would allocate"),
};

static const char *const after_vpc[] = { "vpc", NULL };
static const char *const busy[] = { "DependencyViolation", NULL };

static int is(const char *s, const char *want)
{
	return s && want && strcmp(s, want) == 0;
}

/* ---- VPC ------------------------------------------------------------------------------ */

static const char *const vpc_create[] = { "--cidr-block", "{VPC_CIDR}", NULL };
static const char *const vpc_delete[] = { "--vpc-id", "{id}", NULL };
static const char *const vpc_gone[] = { "InvalidVpcID.NotFound", NULL };
static const struct awsphase_output vpc_out[] = { { "VPC_ID", "VpcId" }, { NULL } };

static void vpc_differs(struct awsphase_res *r, const cJSON *have)
{
	const char *want = p1_h->env_get("VPC_CIDR"), *cidr = p1_h->json_str(have, "CidrBlock");

	if (have && cidr && !is(cidr, want))
		P1_E->conflict(r, "VPC %s: its CIDR is %s, not VPC_CIDR=%s, and cannot change in "
			       "place: set VPC_CIDR=%s, or tear phase 1 down (awsphase 1 teardown) "
			       "and deploy again", P1_E->name(r), cidr, want, cidr);
	P1_E->note(r, "%s", want);
}

/* VPC_ID in the env file and no VPC with phase 1's tags: the VPC was made
 * otherwise (the runbook's scripts).  A deploy would make a second one and
 * point VPC_ID at it, away from everything already in the first: refuse,
 * before any change, and say the two ways on. */
static int vpc_pick(struct awsphase_res *r, const cJSON *answer, int step, const cJSON **item)
{
	const char *id = p1_h->env_get("VPC_ID");

	(void)step;
	*item = P1_E->select(r, answer);
	if (*item)
		return AWSPHASE_FOUND;
	if (P1_E->mode(r) != AWSPHASE_MODE_DEPLOY || !id || !*id)
		return AWSPHASE_ABSENT;
	p1_h->log(AWSPHASE_LOG_ERROR, "VPC_ID=%s: not a VPC phase 1 made (no VPC has its tags Name=%s "
		  "and awsphase:stack=%s), and a deploy would make a second one; to keep this VPC, "
		  "leave phase 1 out (awsphase up --from 3); for a new one, remove VPC_ID and the "
		  "subnets' keys from the env file", id, P1_E->name(r), P1_E->expand(r, "{stack}"));
	return -AWSPHASE_EXIT_FAILED;
}

static const struct awsphase_resource vpc = {
	AWSPHASE_RESOURCE, .key = "vpc", .kind = N_("VPC"), .name = "{VPC_NAME}",
	.flags = AWSPHASE_RES_TAGGED, .tag_type = "vpc",
	.find = { "ec2", "describe-vpcs" }, .list = "Vpcs", .pick = vpc_pick, .id = "VpcId",
	.outputs = vpc_out,
	.create = { "ec2", "create-vpc", vpc_create }, .created = "Vpc",
	.differs = vpc_differs,
	.remove = { "ec2", "delete-vpc", vpc_delete, vpc_gone, busy },
};

/* DNS support and hostnames are attributes describe-vpcs does not show:
 * each is a part of the VPC read with describe-vpc-attribute and set with
 * modify-vpc-attribute, on a new VPC as on one found with it off. */
static const char *const support_find[] = { "--vpc-id", "{@vpc}", "--attribute", "enableDnsSupport", NULL };
static const char *const support_set[] = { "--vpc-id", "{@vpc}", "--enable-dns-support", "Value=true", NULL };
static const char *const hostnames_find[] = { "--vpc-id", "{@vpc}", "--attribute", "enableDnsHostnames", NULL };
static const char *const hostnames_set[] = { "--vpc-id", "{@vpc}", "--enable-dns-hostnames", "Value=true", NULL };

/* whole sentences, not "%s off → on": the catalogue translates formats, not
 * their arguments */
static void support_differs(struct awsphase_res *r, const cJSON *have)
{
	if (have && !cJSON_IsTrue(p1_h->json_get(have, "Value")))
		P1_E->differs(r, FIX_ON, "DNS support off → on");
	P1_E->note(r, "DNS support on");
}

static void hostnames_differs(struct awsphase_res *r, const cJSON *have)
{
	if (have && !cJSON_IsTrue(p1_h->json_get(have, "Value")))
		P1_E->differs(r, FIX_ON, "DNS hostnames off → on");
	P1_E->note(r, "DNS hostnames on");
}

static void support_fix(struct awsphase_res *r, const cJSON *have, unsigned what)
{
	P1_E->args(r, P1_E->call(r, "ec2", "modify-vpc-attribute"), "--vpc-id", "{@vpc}",
		   "--enable-dns-support", "Value=true", NULL);
}

/* DNS hostnames only once DNS support is on: AWS refuses them without it. */
static const char *const after_support[] = { "vpc", "dns-support", NULL };

static void hostnames_fix(struct awsphase_res *r, const cJSON *have, unsigned what)
{
	P1_E->args(r, P1_E->call(r, "ec2", "modify-vpc-attribute"), "--vpc-id", "{@vpc}",
		   "--enable-dns-hostnames", "Value=true", NULL);
}

static const struct awsphase_resource dns_support = {
	AWSPHASE_RESOURCE, .key = "dns-support", .kind = N_("VPC"), .name = "{VPC_NAME}",
	.needs = after_vpc, .part_of = "vpc",
	.find = { "ec2", "describe-vpc-attribute", support_find, vpc_gone }, .item = "EnableDnsSupport",
	.create = { "ec2", "modify-vpc-attribute", support_set },
	.differs = support_differs, .fix = support_fix,
};

static const struct awsphase_resource dns_hostnames = {
	AWSPHASE_RESOURCE, .key = "dns-hostnames", .kind = N_("VPC"), .name = "{VPC_NAME}",
	.needs = after_support, .part_of = "vpc",
	.find = { "ec2", "describe-vpc-attribute", hostnames_find, vpc_gone }, .item = "EnableDnsHostnames",
	.create = { "ec2", "modify-vpc-attribute", hostnames_set },
	.differs = hostnames_differs, .fix = hostnames_fix,
};

/* ---- internet gateway ------------------------------------------------------------------ */

static const char *const igw_delete[] = { "--internet-gateway-id", "{id}", NULL };
static const char *const igw_gone[] = { "InvalidInternetGatewayID.NotFound", NULL };

static const struct awsphase_resource igw = {
	AWSPHASE_RESOURCE, .key = "igw", .kind = N_("internet gateway"), .name = "{VPC_NAME}-igw",
	.flags = AWSPHASE_RES_TAGGED, .tag_type = "internet-gateway",
	.find = { "ec2", "describe-internet-gateways" }, .list = "InternetGateways",
	.id = "InternetGatewayId",
	.create = { "ec2", "create-internet-gateway" }, .created = "InternetGateway",
	.remove = { "ec2", "delete-internet-gateway", igw_delete, igw_gone, busy },
};

/* The attachment: the gateway's Attachments entry for the VPC.  Detached
 * before the gateway is deleted; AWS refuses while an address is mapped in
 * the VPC (the NAT gateway's, released before: it needs this). */
static const char *const attach_args[] = { "--internet-gateway-id", "{@igw}", "--vpc-id", "{@vpc}", NULL };
static const char *const attach_gone[] = { "Gateway.NotAttached", "InvalidInternetGatewayID.NotFound", NULL };
static const char *const attach_needs[] = { "igw", "vpc", NULL };

static void attach_differs(struct awsphase_res *r, const cJSON *have)
{
	P1_E->note(r, "attached to %s", P1_E->expand(r, "{VPC_NAME}"));
}

/* "detach", not the engine's "delete": the gateway itself goes after */
static void attach_remove(struct awsphase_res *r)
{
	struct awsphase_call *call = P1_E->remove_step(r, "ec2", "detach-internet-gateway", attach_gone,
						       busy, NULL, "detach from %s|detached from %s",
						       P1_E->expand(r, "{VPC_NAME}"), P1_E->expand(r, "{VPC_NAME}"));

	P1_E->args(r, call, "--internet-gateway-id", "{@igw}", "--vpc-id", "{@vpc}", NULL);
}

static const struct awsphase_resource igw_attach = {
	AWSPHASE_RESOURCE, .key = "igw-attach", .kind = N_("internet gateway"), .name = "{VPC_NAME}-igw",
	.needs = attach_needs, .part_of = "igw", .from = "igw", .read_after = after_vpc,
	.list = "Attachments", .match = "VpcId={@vpc}",
	.create = { "ec2", "attach-internet-gateway", attach_args, NULL },
	.create_verb = "attach|attached", .differs = attach_differs, .remove_fn = attach_remove,
};

/* ---- availability zones (data) ------------------------------------------------------- */

static const char *const azs_find[] = { "--filters", "Name=state,Values=available", NULL };

static const struct awsphase_resource azs = {
	AWSPHASE_RESOURCE, .key = "azs", .kind = N_("availability zones"), .name = "{region}",
	.flags = AWSPHASE_RES_DATA,
	.find = { "ec2", "describe-availability-zones", azs_find },
};

/* ---- subnets -------------------------------------------------------------------------- */

static const char *const in_vpc[] = { "--filters", "Name=vpc-id,Values={@vpc}", NULL };
static const char *const subnet_delete[] = { "--subnet-id", "{id}", NULL };
static const char *const subnet_gone[] = { "InvalidSubnetID.NotFound", NULL };

/* The CIDR AWS has against the key's: a subnet's range cannot change. */
static void subnet_check(struct awsphase_res *r, const cJSON *have, const char *key)
{
	const char *want = p1_h->env_get(key), *cidr = p1_h->json_str(have, "CidrBlock");

	if (have && cidr && !is(cidr, want))
		P1_E->conflict(r, "subnet %s: its CIDR is %s, not %s=%s, and cannot change in place: "
			       "set %s=%s, or tear phase 1 down (awsphase 1 teardown) and deploy again",
			       P1_E->name(r), cidr, key, want, key, cidr);
	P1_E->note(r, "%s", want);
}

#define SUBNET(var, k, nm, cidr_key, az, out_key)                                            \
	static const char *const var##_create[] = { "--vpc-id", "{@vpc}", "--cidr-block",      \
		"{" cidr_key "}", "--availability-zone", "{@azs.AvailabilityZones." #az ".ZoneName}", \
		NULL };                                                                        \
	static const struct awsphase_output var##_out[] = { { out_key, "SubnetId" }, { NULL } }; \
	static void var##_differs(struct awsphase_res *r, const cJSON *have)                   \
	{                                                                                      \
		subnet_check(r, have, cidr_key);                                               \
	}                                                                                      \
	static const struct awsphase_resource var = {                                          \
		AWSPHASE_RESOURCE, .key = k, .kind = N_("subnet"), .name = "{VPC_NAME}-" nm,   \
		.flags = AWSPHASE_RES_TAGGED, .tag_type = "subnet", .needs = after_vpc,        \
		.find = { "ec2", "describe-subnets", in_vpc }, .list = "Subnets",              \
		.id = "SubnetId", .show = "{.AvailabilityZone}", .outputs = var##_out,         \
		.create = { "ec2", "create-subnet", var##_create }, .created = "Subnet",       \
		.differs = var##_differs,                                                      \
		.remove = { "ec2", "delete-subnet", subnet_delete, subnet_gone, busy },        \
	}

/* one AZ apart: subnet 1 of each tier in the region's first available zone,
 * subnet 2 in its second */
SUBNET(public_1, "public-1", "public-1", "PUBLIC_SUBNET_1_CIDR", 0, "PUBLIC_SUBNET_1");
SUBNET(public_2, "public-2", "public-2", "PUBLIC_SUBNET_2_CIDR", 1, "PUBLIC_SUBNET_2");
SUBNET(private_1, "private-1", "private-1", "PRIVATE_SUBNET_1_CIDR", 0, "PRIVATE_SUBNET_1");
SUBNET(private_2, "private-2", "private-2", "PRIVATE_SUBNET_2_CIDR", 1, "PRIVATE_SUBNET_2");

/* ---- route tables, the public default route, associations ---------------------------- */

static const char *const rt_create[] = { "--vpc-id", "{@vpc}", NULL };
static const char *const rt_delete[] = { "--route-table-id", "{id}", NULL };
static const char *const rt_gone[] = { "InvalidRouteTableID.NotFound", NULL };

#define ROUTE_TABLE(var, k, nm)                                                                \
	static const struct awsphase_resource var = {                                          \
		AWSPHASE_RESOURCE, .key = k, .kind = N_("route table"), .name = "{VPC_NAME}-" nm, \
		.flags = AWSPHASE_RES_TAGGED, .tag_type = "route-table", .needs = after_vpc,   \
		.find = { "ec2", "describe-route-tables", in_vpc }, .list = "RouteTables",     \
		.id = "RouteTableId",                                                          \
		.create = { "ec2", "create-route-table", rt_create }, .created = "RouteTable", \
		.remove = { "ec2", "delete-route-table", rt_delete, rt_gone, busy },           \
	}

ROUTE_TABLE(rt_public, "rt-public", "public");
ROUTE_TABLE(rt_private, "rt-private", "private");

const cJSON *p1_default_route(const cJSON *route_table)
{
	const cJSON *route;

	cJSON_ArrayForEach(route, p1_h->json_get(route_table, "Routes"))
		if (is(p1_h->json_str(route, "DestinationCidrBlock"), "0.0.0.0/0"))
			return route;
	return NULL;
}

int p1_associated(const cJSON *route_table, const char *subnet)
{
	const cJSON *a;

	cJSON_ArrayForEach(a, p1_h->json_get(route_table, "Associations"))
		if (is(p1_h->json_str(a, "SubnetId"), subnet))
			return 1;
	return 0;
}

/* 0.0.0.0/0 → the gateway.  One that names another target, or a gateway
 * gone (blackhole), is replaced in place. */
static const char *const route_public_args[] = { "--route-table-id", "{@rt-public}",
	"--destination-cidr-block", "0.0.0.0/0", "--gateway-id", "{@igw}", NULL };
static const char *const route_exists[] = { "RouteAlreadyExists", NULL };
static const char *const route_public_needs[] = { "rt-public", "igw", "igw-attach", NULL };

static void route_public_differs(struct awsphase_res *r, const cJSON *have)
{
	const char *gw = p1_h->json_str(have, "GatewayId"), *state = p1_h->json_str(have, "State");
	const char *want = P1_E->id(r, "igw");

	if (have && !is(gw, want))
		P1_E->differs(r, FIX_ROUTE, "0.0.0.0/0 → %s, not %s", gw ? gw :
			      p1_h->json_str(have, "NatGatewayId") ? p1_h->json_str(have, "NatGatewayId") :
			      "?", want);
	else if (have && is(state, "blackhole"))
		P1_E->differs(r, FIX_ROUTE, "0.0.0.0/0 → %s is a blackhole", gw);
	P1_E->note(r, "0.0.0.0/0 → %s", P1_E->expand(r, "{VPC_NAME}-igw"));
}

static void route_public_fix(struct awsphase_res *r, const cJSON *have, unsigned what)
{
	P1_E->args(r, P1_E->call(r, "ec2", "replace-route"), "--route-table-id", "{@rt-public}",
		   "--destination-cidr-block", "0.0.0.0/0", "--gateway-id", "{@igw}", NULL);
}

static const struct awsphase_resource route_public = {
	AWSPHASE_RESOURCE, .key = "route-public", .kind = N_("route table"), .name = "{VPC_NAME}-public",
	.needs = route_public_needs, .part_of = "rt-public", .from = "rt-public",
	.list = "Routes", .match = "DestinationCidrBlock=0.0.0.0/0",
	.create = { "ec2", "create-route", route_public_args, route_exists },
	.differs = route_public_differs, .fix = route_public_fix,
	/* no remove: it goes with its table */
};

static const char *const assoc_gone[] = { "InvalidAssociationID.NotFound", NULL };

/* "disassociate" the subnet, under the table's name */
static void assoc_remove(struct awsphase_res *r, const char *table, const char *subnet)
{
	struct awsphase_call *call = P1_E->remove_step(r, "ec2", "disassociate-route-table", assoc_gone,
						       NULL, P1_E->expand(r, table),
						       "disassociate %s|%s disassociated",
						       P1_E->expand(r, subnet), P1_E->expand(r, subnet));

	P1_E->args(r, call, "--association-id", "{id}", NULL);
}

#define ASSOC(var, k, table, table_nm, subnet, nm)                                                       \
	static const char *const var##_args[] = { "--route-table-id", "{@" table "}",          \
		"--subnet-id", "{@" subnet "}", NULL };                                        \
	static const char *const var##_needs[] = { table, subnet, NULL };                      \
	static const char *const var##_after[] = { subnet, NULL };                             \
	static void var##_differs(struct awsphase_res *r, const cJSON *have)                   \
	{                                                                                      \
		P1_E->note(r, "%s associated", P1_E->expand(r, "{VPC_NAME}-" nm));             \
	}                                                                                      \
	static void var##_remove(struct awsphase_res *r)                                       \
	{                                                                                      \
		assoc_remove(r, "{VPC_NAME}-" table_nm, "{VPC_NAME}-" nm);                     \
	}                                                                                      \
	static const struct awsphase_resource var = {                                          \
		AWSPHASE_RESOURCE, .key = k, .kind = N_("route table"),                        \
		.name = "{VPC_NAME}-" nm, .needs = var##_needs, .part_of = table,              \
		.from = table, .read_after = var##_after, .list = "Associations",              \
		.match = "SubnetId={@" subnet "}", .id = "RouteTableAssociationId",            \
		.create = { "ec2", "associate-route-table", var##_args },                       \
		.create_verb = "associate|associated", .differs = var##_differs,               \
		.remove_fn = var##_remove,                                                     \
	}

ASSOC(assoc_public_1, "assoc-public-1", "rt-public", "public", "public-1", "public-1");
ASSOC(assoc_public_2, "assoc-public-2", "rt-public", "public", "public-2", "public-2");
ASSOC(assoc_private_1, "assoc-private-1", "rt-private", "private", "private-1", "private-1");
ASSOC(assoc_private_2, "assoc-private-2", "rt-private", "private", "private-2", "private-2");

const struct awsphase_resource *const p1_net[] = {
	&vpc, &dns_support, &dns_hostnames, &igw, &igw_attach, &azs,
	&public_1, &public_2, &private_1, &private_2,
	&rt_public, &rt_private, &route_public,
	&assoc_public_1, &assoc_public_2, &assoc_private_1, &assoc_private_2,
	NULL,
};
