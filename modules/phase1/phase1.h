/* Phase 1 (VPC): what the actions share — the VPC, its gateways, subnets,
 * route tables and private egress as resources of the host's engine, and
 * the checks of the CIDRs the env file asks for. */
#ifndef PHASE1_H
#define PHASE1_H

#include <awsphase/engine.h>

/* Marks a declared string, check name or table header for the awsphase
 * catalogue (po/xgettext.sh), as phase4a.h does. */
#ifndef N_
#define N_(s) (s)
#endif
#define NC_(kind, s) (s)

extern const struct awsphase_host *p1_h;
#define P1_E (p1_h->engine)

/* PRIVATE_EGRESS */
enum p1_egress { P1_EGRESS_NONE = 0, P1_EGRESS_NAT, P1_EGRESS_ENDPOINTS };
enum p1_egress p1_egress(void);

/* Which resources a stack holds: the network (VPC, DNS, gateway, subnets,
 * route tables, routes, associations) always; a NAT gateway with its
 * address and route, or the endpoints with their security group, as
 * egress says; P1_ALL: both (teardown removes whatever is there). */
enum { P1_ALL = -1 };

/* The resources (stack-net.c, stack-egress.c), NULL-terminated lists. */
extern const struct awsphase_resource *const p1_net[];
extern const struct awsphase_resource *const p1_nat[];
extern const struct awsphase_resource *const p1_endpoints[];
/* The interface endpoints' services, in the order of p1_endpoints. */
extern const char *const p1_interface_services[];

/* Opens the stack for egress (an enum p1_egress or P1_ALL) and reads keys
 * (NULL-terminated; NULL: none yet); NULL after reporting, *rc set. */
struct awsphase_stack *p1_open(int egress, const char *const *keys, int *rc);

/* The env file's CIDRs: each one a network (no host bits), the subnets
 * inside VPC_CIDR and apart from one another.  0, or AWSPHASE_EXIT_USAGE
 * after one line saying what and what to do. */
int p1_check_cidrs(void);

/* The availability zones the region offers, after azs was read; at
 * least two, else AWSPHASE_EXIT_USAGE after saying so. */
int p1_check_azs(struct awsphase_stack *s);

/* The 0.0.0.0/0 route of a describe-route-tables item, or NULL. */
const cJSON *p1_default_route(const cJSON *route_table);
/* 1 when route_table has subnet (an id) associated. */
int p1_associated(const cJSON *route_table, const char *subnet);

#define P1_ACTION(fn)                                                           \
	int fn(const struct awsphase_host *h, int argc, const char **argv);     \
	extern const struct poptOption fn##_options[]

P1_ACTION(p1_deploy);
P1_ACTION(p1_teardown);
int p1_validate(const struct awsphase_host *h, int argc, const char **argv);
/* awsphase export (export.c) */
struct awsphase_cfn;
int p1_export_cfn(const struct awsphase_host *h, const struct awsphase_cfn *cfn);
int p1_status(const struct awsphase_host *h, int argc, const char **argv);

#endif
