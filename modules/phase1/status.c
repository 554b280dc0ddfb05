/* awsphase 1 status: one row per resource of the VPC — what it is, its
 * name, its id and how it stands (CIDR and zone, state, route). */
#include <string.h>

#include "phase1.h"

/* A word of a cell: the user's language in text, English in JSON. */
static const char *word(const struct awsphase_host *h, const char *s)
{
	return h->settings->json_output ? s : h->text(s);
}

struct row {
	const char *key, *kind;
	const char *detail[2];  /* fields of the item shown, space-separated */
};

static const struct row rows[] = {
	{ "vpc", N_("VPC"), { "CidrBlock" } },
	{ "igw", N_("internet gateway"), { NULL } },
	{ "public-1", N_("subnet"), { "CidrBlock", "AvailabilityZone" } },
	{ "public-2", N_("subnet"), { "CidrBlock", "AvailabilityZone" } },
	{ "private-1", N_("subnet"), { "CidrBlock", "AvailabilityZone" } },
	{ "private-2", N_("subnet"), { "CidrBlock", "AvailabilityZone" } },
	{ "rt-public", N_("route table"), { NULL } },
	{ "rt-private", N_("route table"), { NULL } },
	{ "eip", N_("Elastic IP"), { "PublicIp" } },
	{ "nat", N_("NAT gateway"), { "State" } },
	{ "vpce-sg", N_("security group"), { NULL } },
	{ "vpce-ecr-api", N_("VPC endpoint"), { "ServiceName", "State" } },
	{ "vpce-ecr-dkr", N_("VPC endpoint"), { "ServiceName", "State" } },
	{ "vpce-logs", N_("VPC endpoint"), { "ServiceName", "State" } },
	{ "vpce-ssm", N_("VPC endpoint"), { "ServiceName", "State" } },
	{ "vpce-secretsmanager", N_("VPC endpoint"), { "ServiceName", "State" } },
	{ "vpce-s3", N_("VPC endpoint"), { "ServiceName", "State" } },
	{ NULL },
};

static const char *str(const struct awsphase_host *h, const cJSON *item, const char *path)
{
	const char *v = h->json_str(item, path);

	return v ? v : "";
}

/* The Name tag awsphase put on it */
static const char *tag_name(const struct awsphase_host *h, const cJSON *item)
{
	const cJSON *t;

	cJSON_ArrayForEach(t, h->json_get(item, "Tags"))
		if (strcmp(str(h, t, "Key"), "Name") == 0)
			return str(h, t, "Value");
	return "";
}

/* What is in AWS of every kind phase 1 makes, whatever PRIVATE_EGRESS says
 * now; rows of the chosen egress are shown missing too.  Exit 1 when the
 * VPC or a part the env file asks for is missing. */
int p1_status(const struct awsphase_host *h, int argc, const char **argv)
{
	static const char *const headers[] = { N_("resource"), N_("name"), N_("id"), N_("detail"), NULL };
	const struct awsphase_engine *e = h->engine;
	int egress = p1_egress(), missing = 0, rc;
	const struct row *w;
	struct awsphase_stack *s;
	struct awsphase_grid *g;
	size_t n = 0;

	s = p1_open(P1_ALL, NULL, &rc);
	if (!s)
		return rc;
	rc = e->read(s, NULL);
	if (rc) {
		e->close(s);
		return rc;
	}
	g = h->grid_new(4);
	for (w = rows; w->key; w++) {
		const cJSON *item = e->have(s, w->key);
		int wanted = strncmp(w->key, "vpce-", 5) == 0 ? egress == P1_EGRESS_ENDPOINTS :
			     strcmp(w->key, "eip") == 0 || strcmp(w->key, "nat") == 0 ?
			     egress == P1_EGRESS_NAT : 1;
		if (!item && !wanted)
			continue;
		missing += !item;
		h->grid_put(g, n, 0, "%s", word(h, w->kind));
		h->grid_put(g, n, 1, "%s", item ? tag_name(h, item) : "");
		h->grid_put(g, n, 2, "%s", item ? e->id_of(s, w->key) : word(h, N_("missing")));
		h->grid_put(g, n++, 3, "%s%s%s", item && w->detail[0] ? str(h, item, w->detail[0]) : "",
			    item && w->detail[1] ? " " : "", item && w->detail[1] ? str(h, item, w->detail[1]) : "");
	}
	h->grid_show(g, N_("VPC"), headers);
	e->close(s);
	return missing ? AWSPHASE_EXIT_FAILED : AWSPHASE_EXIT_OK;
}
