/* awsphase 1 validate: what phase 4B counts on, as checks — the VPC with
 * DNS support and hostnames, four subnets in two availability zones, the
 * gateway attached, the public default route and the associations, and
 * the private egress PRIVATE_EGRESS chooses, in place and working. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "phase1.h"

static const char *const subnets[] = { "public-1", "public-2", "private-1", "private-2", NULL };

static int is(const char *s, const char *want)
{
	return s && want && strcmp(s, want) == 0;
}

static enum awsphase_status status(int ok, int *failed)
{
	*failed += !ok;
	return ok ? AWSPHASE_OK : AWSPHASE_FAIL;
}

static const char *az(struct awsphase_stack *s, const char *key)
{
	return p1_h->json_str(P1_E->have(s, key), "AvailabilityZone");
}

/* 0.0.0.0/0 of table → target (GatewayId or NatGatewayId), active */
static int routes_to(struct awsphase_stack *s, const char *table, const char *field, const char *target)
{
	const cJSON *route = p1_default_route(P1_E->have(s, table));

	return route && target && *target && is(p1_h->json_str(route, field), target) &&
	       is(p1_h->json_str(route, "State"), "active");
}

static int both_associated(struct awsphase_stack *s, const char *table, const char *a, const char *b)
{
	const cJSON *rt = P1_E->have(s, table);

	return rt && P1_E->id_of(s, a) && P1_E->id_of(s, b) && p1_associated(rt, P1_E->id_of(s, a)) &&
	       p1_associated(rt, P1_E->id_of(s, b));
}

static void check_endpoints(const struct awsphase_host *h, struct awsphase_stack *s, int *failed)
{
	static const char *const keys[] = { "vpce-ecr-api", "vpce-ecr-dkr", "vpce-logs", "vpce-ssm",
		"vpce-secretsmanager", NULL };
	char bad[512] = "";
	const char *const *k;
	const cJSON *ep, *t;
	int on = 0;

	for (k = keys; *k; k++) {
		const char *state, *svc = p1_interface_services[k - keys];

		ep = P1_E->have(s, *k);
		state = h->json_str(ep, "State");
		if (!ep || !state || strcasecmp(state, "available") != 0 ||
		    !cJSON_IsTrue(h->json_get(ep, "PrivateDnsEnabled")))
			snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad), "%s%s %s", *bad ? ", " : "",
				 svc, !ep ? h->text("missing") : state && strcasecmp(state, "available") != 0 ?
				 state : h->text("without private DNS"));
	}
	ep = P1_E->have(s, "vpce-s3");
	cJSON_ArrayForEach(t, h->json_get(ep, "RouteTableIds"))
		on |= cJSON_IsString(t) && is(t->valuestring, P1_E->id_of(s, "rt-private"));
	if (!ep || !on)
		snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad), "%ss3 %s", *bad ? ", " : "",
			 !ep ? h->text("missing") : h->text("not on the private route table"));
	if (*bad)
		h->check(N_("egress"), status(0, failed), "endpoints: %s (awsphase 1 deploy makes them)", bad);
	else
		h->check(N_("egress"), status(1, failed), "endpoints: ecr.api, ecr.dkr, logs, ssm, "
			 "secretsmanager (private DNS) and s3 on the private route table");
}

int p1_validate(const struct awsphase_host *h, int argc, const char **argv)
{
	const struct awsphase_engine *e = h->engine;
	const char *const *k;
	const cJSON *vpc, *nat;
	struct awsphase_stack *s;
	char missing[256] = "";
	int rc, failed = 0, ok;

	s = p1_open(p1_egress(), NULL, &rc);
	if (!s)
		return rc;
	rc = e->read(s, NULL);
	if (rc) {
		e->close(s);
		return rc;
	}
	vpc = e->have(s, "vpc");
	if (!vpc) {
		h->check(N_("VPC"), AWSPHASE_FAIL, "%s does not exist (awsphase 1 deploy creates it)",
			 h->env_get("VPC_NAME"));
		e->close(s);
		return AWSPHASE_EXIT_FAILED;
	}
	ok = is(h->json_str(vpc, "CidrBlock"), h->env_get("VPC_CIDR"));
	h->check(N_("VPC"), status(ok, &failed), "%s %s%s", e->id_of(s, "vpc"), h->json_str(vpc, "CidrBlock"),
		 ok ? "" : h->text(" (not VPC_CIDR)"));

	ok = cJSON_IsTrue(h->json_get(e->have(s, "dns-support"), "Value")) &&
	     cJSON_IsTrue(h->json_get(e->have(s, "dns-hostnames"), "Value"));
	h->check(N_("DNS"), status(ok, &failed), "%s", ok ? h->text("support and hostnames on") :
		 h->text("support or hostnames off (awsphase 1 deploy turns them on)"));

	for (k = subnets; *k; k++)
		if (!e->have(s, *k))
			snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "%s%s",
				 *missing ? ", " : "", *k);
	if (*missing)
		h->check(N_("subnets"), status(0, &failed), "missing: %s (awsphase 1 deploy makes them)", missing);
	else
		h->check(N_("subnets"), status(1, &failed), "public %s %s, private %s %s",
			 e->id_of(s, "public-1"), e->id_of(s, "public-2"), e->id_of(s, "private-1"),
			 e->id_of(s, "private-2"));

	ok = !*missing && !is(az(s, "public-1"), az(s, "public-2")) && !is(az(s, "private-1"), az(s, "private-2"));
	if (ok)
		h->check(N_("availability zones"), status(ok, &failed), "public %s %s, private %s %s",
			 az(s, "public-1"), az(s, "public-2"), az(s, "private-1"), az(s, "private-2"));
	else
		h->check(N_("availability zones"), status(ok, &failed), "%s",
			 h->text("the subnets of a tier are not in two zones"));

	ok = e->have(s, "igw-attach") != NULL;
	h->check(N_("internet gateway"), status(ok, &failed), "%s", ok ? e->id_of(s, "igw") :
		 h->text("missing or not attached to the VPC (awsphase 1 deploy attaches it)"));

	ok = routes_to(s, "rt-public", "GatewayId", e->id_of(s, "igw")) &&
	     both_associated(s, "rt-public", "public-1", "public-2");
	h->check(N_("public routes"), status(ok, &failed), "%s", ok ?
		 h->text("0.0.0.0/0 → the internet gateway, both public subnets associated") :
		 h->text("no active 0.0.0.0/0 to the internet gateway, or a public subnet not "
			 "associated (awsphase 1 deploy fixes it)"));
	ok = both_associated(s, "rt-private", "private-1", "private-2");
	h->check(N_("private routes"), status(ok, &failed), "%s", ok ?
		 h->text("both private subnets on their own route table") :
		 h->text("a private subnet not on the private route table (awsphase 1 deploy fixes it)"));

	switch (p1_egress()) {
	case P1_EGRESS_NONE:
		h->check(N_("egress"), status(1, &failed), "%s",
			 h->text("none: the private subnets reach nothing outside the VPC (PRIVATE_EGRESS=none)"));
		break;
	case P1_EGRESS_NAT:
		nat = e->have(s, "nat");
		ok = is(h->json_str(nat, "State"), "available") &&
		     routes_to(s, "rt-private", "NatGatewayId", e->id_of(s, "nat"));
		if (ok)
			h->check(N_("egress"), status(1, &failed), "NAT gateway %s available, 0.0.0.0/0 → it",
				 e->id_of(s, "nat"));
		else
			h->check(N_("egress"), status(0, &failed), "NAT gateway %s, or no active private "
				 "0.0.0.0/0 to it (awsphase 1 deploy makes them)",
				 nat ? h->json_str(nat, "State") : h->text("missing"));
		break;
	case P1_EGRESS_ENDPOINTS:
		check_endpoints(h, s, &failed);
		break;
	}
	e->close(s);
	return failed ? AWSPHASE_EXIT_FAILED : AWSPHASE_EXIT_OK;
}
