/* What phase 1's actions share: the stack for PRIVATE_EGRESS, and the
 * checks of the input that come before any aws call changes something —
 * CIDRs the env file's patterns cannot judge, and the region's zones. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phase1.h"

const struct awsphase_host *p1_h;

enum p1_egress p1_egress(void)
{
	const char *e = p1_h->env_get("PRIVATE_EGRESS");

	if (e && strcmp(e, "nat") == 0)
		return P1_EGRESS_NAT;
	if (e && strcmp(e, "endpoints") == 0)
		return P1_EGRESS_ENDPOINTS;
	return P1_EGRESS_NONE;
}

static size_t add(const struct awsphase_resource **to, size_t n, const struct awsphase_resource *const *from)
{
	for (; *from; from++)
		to[n++] = *from;
	return n;
}

/* The spec outlives the stack: one per process is all an action needs. */
static const struct awsphase_resource *list[64];
static struct awsphase_stack_spec spec = { AWSPHASE_STACK, .resources = list };

struct awsphase_stack *p1_open(int egress, const char *const *keys, int *rc)
{
	struct awsphase_stack *s;
	size_t n = add(list, 0, p1_net);

	if (egress == P1_ALL || egress == P1_EGRESS_NAT)
		n = add(list, n, p1_nat);
	if (egress == P1_ALL || egress == P1_EGRESS_ENDPOINTS)
		n = add(list, n, p1_endpoints);
	list[n] = NULL;
	s = P1_E->open(&spec, NULL);
	*rc = s ? 0 : AWSPHASE_EXIT_FAILED;
	if (s && keys)
		*rc = P1_E->read(s, keys);
	if (s && *rc) {
		P1_E->close(s);
		s = NULL;
	}
	return s;
}

/* ---- CIDRs ------------------------------------------------------------------------------ */

struct cidr {
	const char *key, *text;
	uint32_t base, mask;
};

/* The env file's pattern checked the shape; the octets and the host bits
 * are checked here. */
static int parse(struct cidr *c, const char *key)
{
	unsigned a, b, d, e, bits;
	char tail;

	c->key = key;
	c->text = p1_h->env_get(key);
	if (!c->text || sscanf(c->text, "%u.%u.%u.%u/%u%c", &a, &b, &d, &e, &bits, &tail) != 5 ||
	    a > 255 || b > 255 || d > 255 || e > 255 || bits < 16 || bits > 28) {
		p1_h->log(AWSPHASE_LOG_ERROR, "%s=%s: not an IPv4 CIDR from /16 to /28; set it to one "
			  "such as 10.0.1.0/24 in %s", key, c->text ? c->text : "",
			  p1_h->settings->env_file);
		return -1;
	}
	c->base = a << 24 | b << 16 | d << 8 | e;
	c->mask = 0xffffffffu << (32 - bits);
	if (c->base & ~c->mask) {
		uint32_t n = c->base & c->mask;

		p1_h->log(AWSPHASE_LOG_ERROR, "%s=%s: has host bits set, so it names no network; set "
			  "it to %u.%u.%u.%u/%u in %s", key, c->text, n >> 24, n >> 16 & 255, n >> 8 & 255,
			  n & 255, bits, p1_h->settings->env_file);
		return -1;
	}
	return 0;
}

/* 1 when a's range holds all of b's */
static int inside(const struct cidr *a, const struct cidr *b)
{
	return b->mask >= a->mask && (b->base & a->mask) == a->base;
}

int p1_check_cidrs(void)
{
	static const char *const keys[] = { "VPC_CIDR", "PUBLIC_SUBNET_1_CIDR", "PUBLIC_SUBNET_2_CIDR",
		"PRIVATE_SUBNET_1_CIDR", "PRIVATE_SUBNET_2_CIDR" };
	const char *file = p1_h->settings->env_file;
	struct cidr c[5];
	size_t i, k;

	for (i = 0; i < 5; i++)
		if (parse(&c[i], keys[i]) < 0)
			return AWSPHASE_EXIT_USAGE;
	for (i = 1; i < 5; i++)
		if (!inside(&c[0], &c[i])) {
			p1_h->log(AWSPHASE_LOG_ERROR, "%s=%s: outside VPC_CIDR=%s; choose a subnet "
				  "inside it, or a VPC_CIDR that holds every subnet, in %s", c[i].key,
				  c[i].text, c[0].text, file);
			return AWSPHASE_EXIT_USAGE;
		}
	for (i = 1; i < 5; i++)
		for (k = i + 1; k < 5; k++)
			if (inside(&c[i], &c[k]) || inside(&c[k], &c[i])) {
				p1_h->log(AWSPHASE_LOG_ERROR, "%s=%s: overlaps %s=%s; give each subnet "
					  "a range of its own in %s", c[k].key, c[k].text, c[i].key,
					  c[i].text, file);
				return AWSPHASE_EXIT_USAGE;
			}
	return 0;
}

int p1_check_azs(struct awsphase_stack *s)
{
	const cJSON *zones = p1_h->json_get(P1_E->have(s, "azs"), "AvailabilityZones");
	int n = cJSON_GetArraySize(zones);

	if (n >= 2)
		return 0;
	p1_h->log(AWSPHASE_LOG_ERROR, "AWS_REGION=%s: %d availability zone(s) available, and phase 1 "
		  "puts its subnets in two (an ALB needs them); choose a region with two or more in %s",
		  p1_h->settings->region, n, p1_h->settings->env_file);
	return AWSPHASE_EXIT_USAGE;
}
