/* awsphase export: phase 1's network as CloudFormation's (stack-net.c):
 * the VPC with DNS support and hostnames, its internet gateway, the four
 * subnets in the region's first two zones, the two route tables, the
 * public default route and the associations, tagged as deploy tags them
 * (Name, awsphase:stack, awsphase:phase), so that phase 1's deploy finds
 * what the stack made.  The private subnets' egress (PRIVATE_EGRESS nat or
 * endpoints) is not exported yet: said, and left out. */
#include <stdio.h>
#include <string.h>

#include <awsphase/cfn.h>

#include "phase1.h"

static const struct awsphase_cfn *X;

static cJSON *tags(const char *suffix)
{
	cJSON *t = cJSON_CreateArray(), *name = cJSON_CreateObject(), *v;
	const char *stack = p1_h->env_get("STACK");
	char text[64], tag[64];
	/* the engine's: "1", or "STACK/1" for a STACK other than the default */
	const char *const fixed[][2] = { { "awsphase:stack", stack && strcmp(stack, "kaviar") != 0 ?
					   (snprintf(tag, sizeof(tag), "%s/1", stack), tag) : "1" },
					 { "awsphase:phase", "1" } };
	size_t i;

	snprintf(text, sizeof(text), "${V}%s", suffix);
	v = cJSON_CreateObject();
	cJSON_AddItemToObject(v, "Fn::Sub", cJSON_CreateArray());
	cJSON_AddItemToArray(cJSON_GetObjectItem(v, "Fn::Sub"), cJSON_CreateString(text));
	cJSON_AddItemToArray(cJSON_GetObjectItem(v, "Fn::Sub"), cJSON_CreateObject());
	cJSON_AddItemToObject(cJSON_GetArrayItem(cJSON_GetObjectItem(v, "Fn::Sub"), 1), "V",
			      X->key("VPC_NAME", 0));
	cJSON_AddStringToObject(name, "Key", "Name");
	cJSON_AddItemToObject(name, "Value", v);
	cJSON_AddItemToArray(t, name);
	for (i = 0; i < 2; i++) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "Key", fixed[i][0]);
		cJSON_AddStringToObject(o, "Value", fixed[i][1]);
		cJSON_AddItemToArray(t, o);
	}
	return t;
}

/* The id of the VPC's item of a describe call whose Name tag is name
 * (--adopt: route tables and the gateway are not in the env file). */
static const char *live(cJSON **doc, const char *op, const char *filter, const char *list,
			const char *id, const char *name)
{
	const cJSON *item, *tag;
	const char *vpc = p1_h->env_get("VPC_ID");
	char f[128];

	if (!X->adopt || !vpc)
		return NULL;
	snprintf(f, sizeof(f), "Name=%s,Values=%s", filter, vpc);
	if (!*doc && p1_h->aws(doc, "ec2", op, "--filters", f, NULL) != 0)
		return NULL;
	cJSON_ArrayForEach(item, p1_h->json_get(*doc, list))
		cJSON_ArrayForEach(tag, p1_h->json_get(item, "Tags"))
			if (strcmp(p1_h->json_str(tag, "Key") ? p1_h->json_str(tag, "Key") : "", "Name") == 0 &&
			    strcmp(p1_h->json_str(tag, "Value") ? p1_h->json_str(tag, "Value") : "", name) == 0)
				return p1_h->json_str(item, id);
	return NULL;
}

static cJSON *props(cJSON *o, const char *name, cJSON *v)
{
	if (v)
		cJSON_AddItemToObject(o, name, v);
	return o;
}

int p1_export_cfn(const struct awsphase_host *h, const struct awsphase_cfn *cfn)
{
	static const struct { const char *id, *key, *cidr, *suffix, *table; int az; } subnets[] = {
		{ "SubnetPublic1", "PUBLIC_SUBNET_1", "PUBLIC_SUBNET_1_CIDR", "-public-1", "RouteTablePublic", 0 },
		{ "SubnetPublic2", "PUBLIC_SUBNET_2", "PUBLIC_SUBNET_2_CIDR", "-public-2", "RouteTablePublic", 1 },
		{ "SubnetPrivate1", "PRIVATE_SUBNET_1", "PRIVATE_SUBNET_1_CIDR", "-private-1", "RouteTablePrivate", 0 },
		{ "SubnetPrivate2", "PRIVATE_SUBNET_2", "PRIVATE_SUBNET_2_CIDR", "-private-2", "RouteTablePrivate", 1 },
	};
	cJSON *igws = NULL, *rts = NULL, *o, *az, *r;
	char name[128], id[64];
	const char *vname = h->env_get("VPC_NAME");
	size_t i;

	X = cfn;
	if (p1_egress() != P1_EGRESS_NONE)
		h->log(AWSPHASE_LOG_WARN, "PRIVATE_EGRESS=%s: the template has no private egress yet "
		       "(export writes the network without it)", h->env_get("PRIVATE_EGRESS"));
	o = cJSON_CreateObject();
	props(o, "CidrBlock", X->key("VPC_CIDR", 0));
	cJSON_AddTrueToObject(o, "EnableDnsSupport");
	cJSON_AddTrueToObject(o, "EnableDnsHostnames");
	X->resource("Vpc", "AWS::EC2::VPC", props(o, "Tags", tags("")),
		    (const char *const[]){ "VpcId", h->env_get("VPC_ID"), NULL });
	snprintf(name, sizeof(name), "%s-igw", vname);
	X->resource("InternetGateway", "AWS::EC2::InternetGateway",
		    props(cJSON_CreateObject(), "Tags", tags("-igw")),
		    (const char *const[]){ "InternetGatewayId",
			live(&igws, "describe-internet-gateways", "attachment.vpc-id",
			     "InternetGateways", "InternetGatewayId", name), NULL });
	o = props(cJSON_CreateObject(), "VpcId", X->ref("Vpc"));
	X->resource("GatewayAttachment", "AWS::EC2::VPCGatewayAttachment",
		    props(o, "InternetGatewayId", X->ref("InternetGateway")), NULL);
	for (i = 0; i < 2; i++) {
		const char *rt = i ? "RouteTablePrivate" : "RouteTablePublic";

		snprintf(name, sizeof(name), "%s-%s", vname, i ? "private" : "public");
		X->resource(rt, "AWS::EC2::RouteTable",
			    props(props(cJSON_CreateObject(), "VpcId", X->ref("Vpc")), "Tags",
				  tags(i ? "-private" : "-public")),
			    (const char *const[]){ "RouteTableId",
				live(&rts, "describe-route-tables", "vpc-id", "RouteTables",
				     "RouteTableId", name), NULL });
	}
	for (i = 0; i < 4; i++) {
		az = cJSON_CreateObject();
		o = cJSON_AddArrayToObject(az, "Fn::Select");
		cJSON_AddItemToArray(o, cJSON_CreateNumber(subnets[i].az));
		cJSON_AddItemToArray(o, cJSON_CreateObject());
		cJSON_AddStringToObject(cJSON_GetArrayItem(o, 1), "Fn::GetAZs", "");
		o = props(cJSON_CreateObject(), "VpcId", X->ref("Vpc"));
		props(o, "CidrBlock", X->key(subnets[i].cidr, 0));
		props(o, "AvailabilityZone", az);
		X->resource(subnets[i].id, "AWS::EC2::Subnet", props(o, "Tags", tags(subnets[i].suffix)),
			    (const char *const[]){ "SubnetId", h->env_get(subnets[i].key), NULL });
		o = props(cJSON_CreateObject(), "SubnetId", X->ref(subnets[i].id));
		snprintf(id, sizeof(id), "%sRoutes", subnets[i].id);
		X->resource(id, "AWS::EC2::SubnetRouteTableAssociation",
			    props(o, "RouteTableId", X->ref(subnets[i].table)), NULL);
		X->output(subnets[i].key, X->ref(subnets[i].id));
	}
	o = props(cJSON_CreateObject(), "RouteTableId", X->ref("RouteTablePublic"));
	cJSON_AddStringToObject(o, "DestinationCidrBlock", "0.0.0.0/0");
	r = X->resource("PublicDefaultRoute", "AWS::EC2::Route",
			props(o, "GatewayId", X->ref("InternetGateway")), NULL);
	/* a route to a gateway only once it is attached */
	if (r)
		cJSON_AddStringToObject(r, "DependsOn", "GatewayAttachment");
	X->output("VPC_ID", X->ref("Vpc"));
	cJSON_Delete(igws);
	cJSON_Delete(rts);
	return 0;
}
