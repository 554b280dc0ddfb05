/* awsphase 3 validate: each resource's settings as checks, and the keys
 * deploy writes against what AWS holds.  Exit 1 when any fails. */
#include <stdio.h>
#include <string.h>

#include "phase3.h"

static const char *const read_keys[] = { "rds-sg", "redis-sg", "db", "redis", "bucket", "bucket-pab",
	"bucket-enc", "bucket-ver", "dlq", "queue", NULL };

static int is(const char *s, const char *want)
{
	return s && strcmp(s, want) == 0;
}

struct v {
	const struct awsphase_host *h;
	struct awsphase_stack *s;
	int failed;
};

static void sg_check(struct v *v, const char *check, const char *key, const char *name_key)
{
	const struct awsphase_host *h = v->h;
	const cJSON *sg = h->engine->have(v->s, key);
	char what[512];

	if (!sg) {
		h->check(check, AWSPHASE_FAIL, "%s does not exist (awsphase 3 deploy creates it)",
			 h->env_get(name_key));
		v->failed++;
	} else if (p3_foreign_ingress(sg, what, sizeof(what))) {
		h->check(check, AWSPHASE_FAIL, "%s lets in %s (awsphase 3 deploy revokes it)",
			 h->env_get(name_key), what);
		v->failed++;
	} else {
		h->check(check, AWSPHASE_OK, "%s %s, no ingress but from security groups",
			 h->env_get(name_key), h->json_str(sg, "GroupId"));
	}
}

static void db_check(struct v *v)
{
	const struct awsphase_host *h = v->h;
	const cJSON *db = h->engine->have(v->s, "db");
	const char *status = h->json_str(db, "DBInstanceStatus");
	char problem[256];

	if (!db) {
		h->check(N_("database"), AWSPHASE_FAIL, "%s does not exist (awsphase 3 deploy creates it)",
			 h->env_get("DB_INSTANCE_ID"));
		v->failed++;
	} else if (p3_db_problem(db, problem, sizeof(problem)) == 2) {
		h->check(N_("database"), AWSPHASE_FAIL, "%s: %s", h->env_get("DB_INSTANCE_ID"), problem);
		v->failed++;
	} else if (p3_db_problem(db, problem, sizeof(problem))) {
		h->check(N_("database"), AWSPHASE_FAIL, "%s: %s (awsphase 3 deploy fixes it)",
			 h->env_get("DB_INSTANCE_ID"), problem);
		v->failed++;
	} else if (!is(status, "available")) {
		h->check(N_("database"), AWSPHASE_FAIL, "%s is %s, not available",
			 h->env_get("DB_INSTANCE_ID"), status ? status : "?");
		v->failed++;
	} else {
		h->check(N_("database"), AWSPHASE_OK, "%s available, private, encrypted, backups %d days, "
			 "deletion protection, password in Secrets Manager", h->env_get("DB_INSTANCE_ID"),
			 (int)h->json_num(db, "BackupRetentionPeriod", 0));
	}
}

static void redis_check(struct v *v)
{
	const struct awsphase_host *h = v->h;
	const cJSON *c = h->engine->have(v->s, "redis");
	const char *status = h->json_str(c, "CacheClusterStatus");

	if (!c || !is(status, "available")) {
		if (!c)
			h->check(N_("cache"), AWSPHASE_FAIL, "%s does not exist (awsphase 3 deploy creates it)",
				 h->env_get("REDIS_CLUSTER_ID"));
		else
			h->check(N_("cache"), AWSPHASE_FAIL, "%s is %s, not available",
				 h->env_get("REDIS_CLUSTER_ID"), status ? status : "?");
		v->failed++;
		return;
	}
	h->check(N_("cache"), AWSPHASE_OK, "%s available", h->env_get("REDIS_CLUSTER_ID"));
}

static void bucket_check(struct v *v)
{
	static const char *const pab[] = { "BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy",
		"RestrictPublicBuckets", NULL };
	const struct awsphase_host *h = v->h;
	const struct awsphase_engine *e = h->engine;
	const cJSON *b = e->have(v->s, "bucket"), *block = e->have(v->s, "bucket-pab");
	const char *alg = h->json_str(e->have(v->s, "bucket-enc"),
				      "ApplyServerSideEncryptionByDefault.SSEAlgorithm");
	const char *ver = h->json_str(e->have(v->s, "bucket-ver"), "Status");
	const char *name = h->json_str(b, "Name");
	int blocked = block != NULL;
	size_t i;

	for (i = 0; block && pab[i]; i++)
		blocked &= cJSON_IsTrue(h->json_get(block, pab[i]));
	if (!b) {
		h->check(N_("bucket"), AWSPHASE_FAIL, "%s does not exist (awsphase 3 deploy creates it)",
			 p3_bucket.name);
	} else if (!blocked) {
		h->check(N_("bucket"), AWSPHASE_FAIL, "%s: public access not blocked (awsphase 3 deploy "
			 "blocks it)", name);
	} else if (!alg) {
		h->check(N_("bucket"), AWSPHASE_FAIL, "%s: no default encryption (awsphase 3 deploy "
			 "turns it on)", name);
	} else if (!is(ver, "Enabled")) {
		h->check(N_("bucket"), AWSPHASE_FAIL, "%s: versioning %s (awsphase 3 deploy enables it)",
			 name, ver ? ver : "off");
	} else {
		h->check(N_("bucket"), AWSPHASE_OK, "%s: public access blocked, encrypted (%s), "
			 "versioning", name, alg);
		return;
	}
	v->failed++;
}

static void queue_check(struct v *v)
{
	const struct awsphase_host *h = v->h;
	const struct awsphase_engine *e = h->engine;
	const cJSON *q = e->have(v->s, "queue"), *dlq = e->have(v->s, "dlq");
	const char *text = h->json_str(q, "Attributes.RedrivePolicy");
	const char *dlq_arn = h->json_str(dlq, "Attributes.QueueArn");
	cJSON *policy = text ? cJSON_Parse(text) : NULL;
	int sse = is(h->json_str(q, "Attributes.SqsManagedSseEnabled"), "true") ||
		  h->json_str(q, "Attributes.KmsMasterKeyId");
	int dlq_sse = is(h->json_str(dlq, "Attributes.SqsManagedSseEnabled"), "true") ||
		      h->json_str(dlq, "Attributes.KmsMasterKeyId");

	if (!q || !dlq) {
		h->check(N_("queue"), AWSPHASE_FAIL, "%s%s does not exist (awsphase 3 deploy creates it)",
			 h->env_get("SQS_QUEUE_NAME"), q ? "-dlq" : "");
	} else if (!sse || !dlq_sse) {
		h->check(N_("queue"), AWSPHASE_FAIL, "%s%s: not encrypted (awsphase 3 deploy turns SSE on)",
			 h->env_get("SQS_QUEUE_NAME"), sse ? "-dlq" : "");
	} else if (!dlq_arn || !is(h->json_str(policy, "deadLetterTargetArn"), dlq_arn)) {
		h->check(N_("queue"), AWSPHASE_FAIL, "%s: failed messages do not go to %s-dlq (awsphase 3 "
			 "deploy sets its redrive policy)", h->env_get("SQS_QUEUE_NAME"),
			 h->env_get("SQS_QUEUE_NAME"));
	} else {
		h->check(N_("queue"), AWSPHASE_OK, "%s: SSE, dead letters to %s-dlq",
			 h->env_get("SQS_QUEUE_NAME"), h->env_get("SQS_QUEUE_NAME"));
		cJSON_Delete(policy);
		return;
	}
	cJSON_Delete(policy);
	v->failed++;
}

/* Each key deploy writes, against AWS. */
static void keys_check(struct v *v)
{
	static const struct { const char *key, *res, *path; } keys[] = {
		{ "RDS_ENDPOINT", "db", "Endpoint.Address" },
		{ "DB_SECRET_ARN", "db", "MasterUserSecret.SecretArn" },
		{ "RDS_SG_ID", "rds-sg", "GroupId" },
		{ "REDIS_ENDPOINT", "redis", "CacheNodes.0.Endpoint.Address" },
		{ "REDIS_SG_ID", "redis-sg", "GroupId" },
		{ "S3_BUCKET", "bucket", "Name" },
		{ "SQS_QUEUE_URL", "queue", "QueueUrl" },
	};
	const struct awsphase_host *h = v->h;
	char bad[256] = "";
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
		const char *want = h->json_str(h->engine->have(v->s, keys[i].res), keys[i].path);
		const char *got = h->env_get(keys[i].key);

		if (!want || !got || strcmp(want, got) != 0)
			snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad), "%s%s", *bad ? " " : "",
				 keys[i].key);
	}
	if (*bad) {
		h->check(N_("env file"), AWSPHASE_FAIL, "%s missing or not what AWS holds (awsphase 3 "
			 "deploy writes them)", bad);
		v->failed++;
	} else {
		h->check(N_("env file"), AWSPHASE_OK, "the keys phase 4B reads are what AWS holds");
	}
}

int p3_validate(const struct awsphase_host *h, int argc, const char **argv)
{
	struct v v = { h, NULL, 0 };
	int rc;

	v.s = p3_open(NULL, read_keys, &rc);
	if (!v.s)
		return rc;
	sg_check(&v, N_("database security group"), "rds-sg", "RDS_SG_NAME");
	sg_check(&v, N_("cache security group"), "redis-sg", "REDIS_SG_NAME");
	db_check(&v);
	redis_check(&v);
	bucket_check(&v);
	queue_check(&v);
	keys_check(&v);
	h->engine->close(v.s);
	return v.failed ? AWSPHASE_EXIT_FAILED : AWSPHASE_EXIT_OK;
}
