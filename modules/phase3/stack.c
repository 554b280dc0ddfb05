/* Phase 3's security groups, database and cache for the engine.
 *
 *   key            kind                 found by                      needs
 *   rds-sg         security group       describe-security-groups      -
 *   redis-sg       security group       (the same read)               -
 *   db-subnets     DB subnet group      describe-db-subnet-groups     -
 *   db             RDS instance         describe-db-instances         rds-sg, db-subnets
 *   cache-subnets  cache subnet group   describe-cache-subnet-groups  -
 *   redis          ElastiCache cluster  describe-cache-clusters       redis-sg, cache-subnets
 *
 * Every read names settings, not another's answer, so an action reads them
 * all (and the bucket's and queues', stack-s3.c, stack-sqs.c) in one
 * concurrent round.  The database and the cache take minutes: their ready
 * functions hold back what needs them (and the keys they write) until AWS
 * says available. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phase3.h"

const struct awsphase_host *p3_h;

static int is(const char *s, const char *want)
{
	return s && strcmp(s, want) == 0;
}

/* What the engine says of two of phase 3's kinds, with the kind as
 * context, for the catalogue: in Portuguese an instance and a queue are
 * feminine (the engine's words alone are masculine). */
static const char *const feminine[] __attribute__((unused)) = {
	NC_("RDS instance", "created"), NC_("RDS instance", "created: %s"),
	NC_("RDS instance", "would create"), NC_("RDS instance", "would create: %s"),
	NC_("RDS instance", "already there"), NC_("RDS instance", "already there: %s"),
	NC_("RDS instance", "unchanged"), NC_("RDS instance", "unchanged: %s"),
	NC_("RDS instance", "updated: %s"), NC_("RDS instance", "would update: %s"),
	NC_("RDS instance", "delete|deleted"),
	NC_("queue", "created"), NC_("queue", "created: %s"), NC_("queue", "would create"),
	NC_("queue", "would create: %s"), NC_("queue", "already there"),
	NC_("queue", "already there: %s"), NC_("queue", "unchanged"),
	NC_("queue", "unchanged: %s"), NC_("queue", "updated: %s"),
	NC_("queue", "would update: %s"), NC_("queue", "delete|deleted"),
};

/* ---- security groups ------------------------------------------------------------------ */

enum { FIX_REVOKE = 1 };

static const char *const sg_find[] = { "--filters", "Name=vpc-id,Values={VPC_ID}", NULL };
static const char *const sg_exists[] = { "InvalidGroup.Duplicate", NULL };
static const char *const sg_gone[] = { "InvalidGroup.NotFound", NULL };
static const char *const sg_busy[] = { "DependencyViolation", NULL };
static const char *const sg_by_id[] = { "--group-id", "{id}", NULL };
/* No ingress here: phase 4B's deploy lets kaviar-ecs-sg in on 5432 and
 * 6379, and nothing else reaches the data. */
static const char *const rds_sg_create[] = { "--group-name", "{name}", "--description",
	P3_RDS_SG_DESCRIPTION,
	"--vpc-id", "{VPC_ID}", NULL };
static const char *const redis_sg_create[] = { "--group-name", "{name}", "--description",
	P3_REDIS_SG_DESCRIPTION,
	"--vpc-id", "{VPC_ID}", NULL };
static const struct awsphase_output rds_sg_out[] = { { "RDS_SG_ID", "GroupId" }, { NULL } };
static const struct awsphase_output redis_sg_out[] = { { "REDIS_SG_ID", "GroupId" }, { NULL } };

static void add_source(char *buf, size_t size, int *n, const cJSON *perm, const char *src)
{
	const char *proto = p3_h->json_str(perm, "IpProtocol");
	int from = (int)p3_h->json_num(perm, "FromPort", -1), to = (int)p3_h->json_num(perm, "ToPort", -1);
	size_t len = strlen(buf);
	char ports[32] = "";

	if (is(proto, "-1"))
		snprintf(ports, sizeof(ports), "all");
	else if (from == to)
		snprintf(ports, sizeof(ports), "%s %d", proto ? proto : "?", from);
	else
		snprintf(ports, sizeof(ports), "%s %d-%d", proto ? proto : "?", from, to);
	if (len + 1 < size)
		snprintf(buf + len, size - len, "%s%s from %s", (*n)++ ? ", " : "", ports, src);
}

int p3_foreign_ingress(const cJSON *sg, char *buf, size_t size)
{
	const cJSON *perm, *range;
	int n = 0;

	buf[0] = '\0';
	cJSON_ArrayForEach(perm, p3_h->json_get(sg, "IpPermissions")) {
		cJSON_ArrayForEach(range, p3_h->json_get(perm, "IpRanges"))
			add_source(buf, size, &n, perm, p3_h->json_str(range, "CidrIp"));
		cJSON_ArrayForEach(range, p3_h->json_get(perm, "Ipv6Ranges"))
			add_source(buf, size, &n, perm, p3_h->json_str(range, "CidrIpv6"));
		cJSON_ArrayForEach(range, p3_h->json_get(perm, "PrefixListIds"))
			add_source(buf, size, &n, perm, p3_h->json_str(range, "PrefixListId"));
	}
	return n;
}

static void sg_differs(struct awsphase_res *r, const cJSON *have)
{
	char what[512];

	if (have && p3_foreign_ingress(have, what, sizeof(what)))
		P3_E->differs(r, FIX_REVOKE, "ingress %s → none", what);
	P3_E->note(r, "no ingress but from the ECS tasks' group");
}

/* One revoke of every rule that names a CIDR or prefix list; rules from
 * other groups (4B's kaviar-ecs-sg) stay. */
static void sg_fix(struct awsphase_res *r, const cJSON *have, unsigned what)
{
	cJSON *perms = cJSON_CreateArray();
	const cJSON *perm;
	struct awsphase_call *call;
	char *text;

	cJSON_ArrayForEach(perm, p3_h->json_get(have, "IpPermissions")) {
		static const char *const lists[] = { "IpRanges", "Ipv6Ranges", "PrefixListIds" };
		cJSON *p = cJSON_CreateObject();
		size_t i;
		int any = 0;

		cJSON_AddStringToObject(p, "IpProtocol", p3_h->json_str(perm, "IpProtocol"));
		if (p3_h->json_get(perm, "FromPort"))
			cJSON_AddNumberToObject(p, "FromPort", p3_h->json_num(perm, "FromPort", 0));
		if (p3_h->json_get(perm, "ToPort"))
			cJSON_AddNumberToObject(p, "ToPort", p3_h->json_num(perm, "ToPort", 0));
		for (i = 0; i < 3; i++) {
			const cJSON *l = p3_h->json_get(perm, lists[i]);

			if (cJSON_GetArraySize(l)) {
				cJSON_AddItemToObject(p, lists[i], cJSON_Duplicate(l, 1));
				any = 1;
			}
		}
		if (any)
			cJSON_AddItemToArray(perms, p);
		else
			cJSON_Delete(p);
	}
	text = cJSON_PrintUnformatted(perms);
	call = P3_E->call(r, "ec2", "revoke-security-group-ingress");
	P3_E->args(r, call, "--group-id", "{id}", "--ip-permissions", NULL);
	p3_h->call_arg(call, text);
	cJSON_free(text);
	cJSON_Delete(perms);
}

#define SECURITY_GROUP(var, key_, name_, create_, out_)                                          \
	const struct awsphase_resource var = {                                                   \
		AWSPHASE_RESOURCE, .key = key_, .kind = N_("security group"), .name = name_,     \
		.find = { "ec2", "describe-security-groups", sg_find },                          \
		.list = "SecurityGroups", .match = "GroupName", .id = "GroupId",                 \
		.show = "{.GroupId}", .outputs = out_,                                           \
		.create = { "ec2", "create-security-group", create_, sg_exists }, .created = "", \
		.differs = sg_differs, .fix = sg_fix,                                            \
		.remove = { "ec2", "delete-security-group", sg_by_id, sg_gone, sg_busy },        \
	}
SECURITY_GROUP(p3_rds_sg, "rds-sg", "{RDS_SG_NAME}", rds_sg_create, rds_sg_out);
SECURITY_GROUP(p3_redis_sg, "redis-sg", "{REDIS_SG_NAME}", redis_sg_create, redis_sg_out);

/* ---- subnet groups -------------------------------------------------------------------- */

enum { FIX_SUBNETS = 1 };

/* The subnets of a DB or cache subnet group against PRIVATE_SUBNET_1/2. */
static void subnets_differs(struct awsphase_res *r, const cJSON *have)
{
	const char *want[2] = { p3_h->env_get("PRIVATE_SUBNET_1"), p3_h->env_get("PRIVATE_SUBNET_2") };
	const cJSON *sn;
	int n = 0, hits = 0;

	cJSON_ArrayForEach(sn, p3_h->json_get(have, "Subnets")) {
		const char *id = p3_h->json_str(sn, "SubnetIdentifier");

		n++;
		hits += is(id, want[0]) || is(id, want[1]);
	}
	if (have && (n != 2 || hits != 2))
		P3_E->differs(r, FIX_SUBNETS, "subnets → %s %s", want[0], want[1]);
	P3_E->note(r, "private subnets %s %s", want[0], want[1]);
}

static void db_subnets_fix(struct awsphase_res *r, const cJSON *have, unsigned what)
{
	struct awsphase_call *call = P3_E->call(r, "rds", "modify-db-subnet-group");

	P3_E->args(r, call, "--db-subnet-group-name", "{name}", "--subnet-ids", "{PRIVATE_SUBNET_1}",
		   "{PRIVATE_SUBNET_2}", NULL);
}

static void cache_subnets_fix(struct awsphase_res *r, const cJSON *have, unsigned what)
{
	struct awsphase_call *call = P3_E->call(r, "elasticache", "modify-cache-subnet-group");

	P3_E->args(r, call, "--cache-subnet-group-name", "{name}", "--subnet-ids",
		   "{PRIVATE_SUBNET_1}", "{PRIVATE_SUBNET_2}", NULL);
}

static const char *const dbsg_find[] = { "--db-subnet-group-name", "{name}", NULL };
static const char *const dbsg_none[] = { "DBSubnetGroupNotFoundFault", NULL };
static const char *const dbsg_exists[] = { "DBSubnetGroupAlreadyExists", NULL };
static const char *const dbsg_busy[] = { "InvalidDBSubnetGroupStateFault", NULL };
static const char *const dbsg_create[] = { "--db-subnet-group-name", "{name}",
	"--db-subnet-group-description", "Kaviar database - private subnets",
	"--subnet-ids", "{PRIVATE_SUBNET_1}", "{PRIVATE_SUBNET_2}",
	"--tags", "Key=Name,Value={name}", "Key=awsphase:stack,Value={stack}",
	"Key=awsphase:phase,Value=3", NULL };

const struct awsphase_resource p3_db_subnets = {
	AWSPHASE_RESOURCE, .key = "db-subnets", .kind = N_("DB subnet group"), .name = "{DB_SUBNET_GROUP}",
	.find = { "rds", "describe-db-subnet-groups", dbsg_find, dbsg_none },
	.item = "DBSubnetGroups.0",
	.create = { "rds", "create-db-subnet-group", dbsg_create, dbsg_exists },
	.created = "DBSubnetGroup",
	.differs = subnets_differs, .fix = db_subnets_fix,
	.remove = { "rds", "delete-db-subnet-group", dbsg_find, dbsg_none, dbsg_busy },
};

static const char *const csg_find[] = { "--cache-subnet-group-name", "{name}", NULL };
static const char *const csg_none[] = { "CacheSubnetGroupNotFoundFault", NULL };
static const char *const csg_exists[] = { "CacheSubnetGroupAlreadyExists", NULL };
static const char *const csg_busy[] = { "CacheSubnetGroupInUse", NULL };
static const char *const csg_create[] = { "--cache-subnet-group-name", "{name}",
	"--cache-subnet-group-description", "Kaviar Redis - private subnets",
	"--subnet-ids", "{PRIVATE_SUBNET_1}", "{PRIVATE_SUBNET_2}", NULL };

const struct awsphase_resource p3_cache_subnets = {
	AWSPHASE_RESOURCE, .key = "cache-subnets", .kind = N_("cache subnet group"),
	.name = "{REDIS_SUBNET_GROUP}",
	.find = { "elasticache", "describe-cache-subnet-groups", csg_find, csg_none },
	.item = "CacheSubnetGroups.0",
	.create = { "elasticache", "create-cache-subnet-group", csg_create, csg_exists },
	.created = "CacheSubnetGroup",
	.differs = subnets_differs, .fix = cache_subnets_fix,
	.remove = { "elasticache", "delete-cache-subnet-group", csg_find, csg_none, csg_busy },
};

/* ---- the stack ---------------------------------------------------------------------- */

static const struct awsphase_stack_spec p3_stack = {
	AWSPHASE_STACK,
	.resources = (const struct awsphase_resource *const[]){
		&p3_rds_sg, &p3_redis_sg, &p3_db_subnets, &p3_db, &p3_cache_subnets, &p3_redis,
		&p3_bucket, &p3_bucket_pab, &p3_bucket_enc, &p3_bucket_ver, &p3_objects,
		&p3_dlq, &p3_queue, NULL },
};

const char *p3_bucket_name(int *rc)
{
	static char name[64];
	const char *set = p3_h->env_get("S3_BUCKET"), *account = NULL;

	*rc = 0;
	if (set && *set)
		return set;
	if (name[0])
		return name;
	/* the host's: its account guard has asked already when deploy runs */
	*rc = p3_h->caller_identity(&account, NULL);
	if (*rc)
		return NULL;
	if (strlen(account) != 12) {
		p3_h->log(AWSPHASE_LOG_ERROR, "sts get-caller-identity: no account in its answer, so "
			  "no bucket name; set S3_BUCKET in the env file");
		*rc = AWSPHASE_EXIT_AWS;
		return NULL;
	}
	/* STACK (the host's key, ≤ 20 characters) keeps two stacks' buckets apart */
	snprintf(name, sizeof(name), "%s-uploads-%s", p3_h->env_get("STACK"), account);
	return name;
}

struct awsphase_stack *p3_open(struct p3_run *run, const char *const *keys, int *rc)
{
	struct awsphase_resource *bucket[] = { &p3_bucket, &p3_bucket_pab, &p3_bucket_enc,
		&p3_bucket_ver, &p3_objects };
	const char *name = p3_bucket_name(rc);
	struct awsphase_stack *s;
	size_t i;

	if (!name)
		return NULL;
	/* a bucket name holds no "{": the engine takes it as it is */
	for (i = 0; i < sizeof(bucket) / sizeof(*bucket); i++)
		bucket[i]->name = name;
	s = P3_E->open(&p3_stack, run);
	*rc = s ? P3_E->read(s, keys) : AWSPHASE_EXIT_FAILED;
	if (s && *rc) {
		P3_E->close(s);
		s = NULL;
	}
	return s;
}
