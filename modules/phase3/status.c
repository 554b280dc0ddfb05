/* awsphase 3 status: each resource, its state and its address (a table);
 * exit 1 while one is missing or not available. */
#include <string.h>

#include "phase3.h"

static const char *const read_keys[] = { "rds-sg", "redis-sg", "db-subnets", "db", "cache-subnets",
	"redis", "bucket", "bucket-ver", "objects", "dlq", "queue", NULL };

/* A word of a cell: the user's language in text, English in JSON. */
static const char *word(const struct awsphase_host *h, const char *s)
{
	return h->settings->json_output ? s : h->text(s);
}

struct row {
	const char *key, *kind, *name_key, *state_path, *detail_path;
};

int p3_status(const struct awsphase_host *h, int argc, const char **argv)
{
	static const char *const headers[] = { N_("resource"), N_("name"), N_("state"), N_("detail"), NULL };
	static const struct row rows[] = {
		{ "rds-sg", N_("security group"), "RDS_SG_NAME", NULL, "GroupId" },
		{ "redis-sg", N_("security group"), "REDIS_SG_NAME", NULL, "GroupId" },
		{ "db-subnets", N_("DB subnet group"), "DB_SUBNET_GROUP", "SubnetGroupStatus", "VpcId" },
		{ "db", N_("RDS instance"), "DB_INSTANCE_ID", "DBInstanceStatus", "Endpoint.Address" },
		{ "cache-subnets", N_("cache subnet group"), "REDIS_SUBNET_GROUP", NULL, "VpcId" },
		{ "redis", N_("ElastiCache cluster"), "REDIS_CLUSTER_ID", "CacheClusterStatus",
		  "CacheNodes.0.Endpoint.Address" },
		{ "bucket", N_("S3 bucket"), NULL, NULL, NULL },
		{ "dlq", N_("queue"), "SQS_QUEUE_NAME", NULL, "QueueUrl" },
		{ "queue", N_("queue"), "SQS_QUEUE_NAME", NULL, "QueueUrl" },
	};
	const struct awsphase_engine *e = h->engine;
	struct awsphase_stack *s;
	struct awsphase_grid *g;
	size_t i;
	int rc, bad = 0;

	s = p3_open(NULL, read_keys, &rc);
	if (!s)
		return rc;
	g = h->grid_new(4);
	for (i = 0; i < sizeof(rows) / sizeof(*rows); i++) {
		const cJSON *item = e->have(s, rows[i].key);
		const char *state = rows[i].state_path ? h->json_str(item, rows[i].state_path) : NULL;
		const char *detail = rows[i].detail_path ? h->json_str(item, rows[i].detail_path) : NULL;

		h->grid_put(g, i, 0, "%s", word(h, rows[i].kind));
		h->grid_put(g, i, 1, "%s%s", rows[i].name_key ? h->env_get(rows[i].name_key) :
			    p3_bucket.name, strcmp(rows[i].key, "dlq") == 0 ? "-dlq" : "");
		if (!item) {
			h->grid_put(g, i, 2, "%s", word(h, N_("missing")));
			bad++;
		} else {
			h->grid_put(g, i, 2, "%s", state ? state : word(h, N_("present")));
			bad += state && strcmp(state, "available") != 0 && strcmp(state, "Complete") != 0;
		}
		if (strcmp(rows[i].key, "bucket") == 0 && item) {
			const char *ver = h->json_str(e->have(s, "bucket-ver"), "Status");

			h->grid_put(g, i, 3, h->text("versioning %s, %d object version(s)"),
				    ver ? ver : "off", p3_object_count(e->have(s, "objects")));
		} else if (detail) {
			h->grid_put(g, i, 3, "%s", detail);
		}
	}
	h->grid_show(g, N_("phase 3"), headers);
	e->close(s);
	return bad ? AWSPHASE_EXIT_FAILED : AWSPHASE_EXIT_OK;
}
