/* Phase 3's RDS PostgreSQL instance and ElastiCache Redis cluster.
 *
 * The instance is created private, encrypted, with backups kept and
 * deletion protection on, its master password generated and kept by AWS
 * in Secrets Manager (--manage-master-user-password): awsphase never sees
 * it, so it is in no argv, trace, output or env file; DB_SECRET_ARN names
 * the secret.  What drifts in place is fixed with one modify-db-instance
 * (applied immediately); encryption cannot change in place (a conflict).
 * Teardown deletes it only under --delete-data (teardown.c refuses
 * otherwise): deletion protection off, then delete-db-instance without a
 * final snapshot — --delete-data says the data goes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phase3.h"

static int is(const char *s, const char *want)
{
	return s && strcmp(s, want) == 0;
}

/* ---- RDS instance ------------------------------------------------------------------- */

enum { FIX_PUBLIC = 1 << 0, FIX_PROTECT = 1 << 1, FIX_BACKUPS = 1 << 2, FIX_SECRET = 1 << 3,
       FIX_GROUPS = 1 << 4 };

static int backup_days(void)
{
	return atoi(p3_h->env_get("DB_BACKUP_DAYS"));
}

/* 1 when the instance's groups are exactly the one rds-sg has. */
static int groups_ok(const cJSON *db, const char *want)
{
	const cJSON *g;
	int n = 0, hit = 0;

	cJSON_ArrayForEach(g, p3_h->json_get(db, "VpcSecurityGroups")) {
		n++;
		hit += is(p3_h->json_str(g, "VpcSecurityGroupId"), want);
	}
	return n == 1 && hit == 1;
}

int p3_db_problem(const cJSON *db, char *buf, size_t size)
{
	int days = (int)p3_h->json_num(db, "BackupRetentionPeriod", 0);

	if (!cJSON_IsTrue(p3_h->json_get(db, "StorageEncrypted"))) {
		snprintf(buf, size, "%s", p3_h->text("storage not encrypted (only a new instance "
						     "changes it)"));
		return 2;
	}
	if (cJSON_IsTrue(p3_h->json_get(db, "PubliclyAccessible")))
		snprintf(buf, size, "%s", p3_h->text("publicly accessible"));
	else if (!cJSON_IsTrue(p3_h->json_get(db, "DeletionProtection")))
		snprintf(buf, size, "%s", p3_h->text("deletion protection off"));
	else if (days < 1)
		snprintf(buf, size, "%s", p3_h->text("no backups kept"));
	else if (!p3_h->json_str(db, "MasterUserSecret.SecretArn"))
		snprintf(buf, size, "%s", p3_h->text("master password not kept in Secrets Manager"));
	else
		return 0;
	return 1;
}

static void db_differs(struct awsphase_res *r, const cJSON *have)
{
	const char *sg = P3_E->id(r, "rds-sg");
	int days = backup_days();

	if (have) {
		int now = (int)p3_h->json_num(have, "BackupRetentionPeriod", 0);

		if (!cJSON_IsTrue(p3_h->json_get(have, "StorageEncrypted")))
			P3_E->conflict(r, "RDS instance %s: its storage is not encrypted, and encryption "
				       "cannot be turned on in place: snapshot it, copy the snapshot "
				       "encrypted, restore it as a new instance and set DB_INSTANCE_ID "
				       "to that one", P3_E->name(r));
		if (cJSON_IsTrue(p3_h->json_get(have, "PubliclyAccessible")))
			P3_E->differs(r, FIX_PUBLIC, "publicly accessible → private");
		if (!cJSON_IsTrue(p3_h->json_get(have, "DeletionProtection")))
			P3_E->differs(r, FIX_PROTECT, "deletion protection off → on");
		if (now != days)
			P3_E->differs(r, FIX_BACKUPS, "backups kept %d → %d days", now, days);
		if (!p3_h->json_str(have, "MasterUserSecret.SecretArn"))
			P3_E->differs(r, FIX_SECRET, "master password → kept by AWS in Secrets Manager");
		if (sg && *sg && sg[0] != '<' && !groups_ok(have, sg))
			P3_E->differs(r, FIX_GROUPS, "security groups → %s only", sg);
	}
	P3_E->note(r, "PostgreSQL, private, encrypted, backups %d days, deletion protection, "
		   "password in Secrets Manager", days);
}

static void db_fix(struct awsphase_res *r, const cJSON *have, unsigned what)
{
	struct awsphase_call *call = P3_E->call(r, "rds", "modify-db-instance");

	P3_E->args(r, call, "--db-instance-identifier", "{name}", "--apply-immediately", NULL);
	if (what & FIX_PUBLIC)
		p3_h->call_arg(call, "--no-publicly-accessible");
	if (what & FIX_PROTECT)
		p3_h->call_arg(call, "--deletion-protection");
	if (what & FIX_BACKUPS)
		P3_E->args(r, call, "--backup-retention-period", "{DB_BACKUP_DAYS}", NULL);
	if (what & FIX_SECRET)
		p3_h->call_arg(call, "--manage-master-user-password");
	if (what & FIX_GROUPS)
		P3_E->args(r, call, "--vpc-security-group-ids", "{@rds-sg}", NULL);
}

/* Ready once available; a state it will not leave by itself fails. */
static int db_ready(struct awsphase_res *r, const cJSON *item)
{
	static const char *const broken[] = { "failed", "incompatible-network",
		"incompatible-parameters", "incompatible-restore", "incompatible-option-group",
		"inaccessible-encryption-credentials", "storage-full", "restore-error", "deleting",
		"stopped", NULL };
	const char *status = p3_h->json_str(item, "DBInstanceStatus");
	size_t i;

	if (is(status, "available"))
		return 1;
	for (i = 0; status && broken[i]; i++)
		if (is(status, broken[i])) {
			p3_h->log(AWSPHASE_LOG_ERROR, "RDS instance %s is %s and will not become "
				  "available by itself; see the RDS console's events for why, fix it, "
				  "then run awsphase 3 deploy again", P3_E->name(r), status);
			return -AWSPHASE_EXIT_FAILED;
		}
	P3_E->state(r, "%s", status ? status : "?");
	return 0;
}

/* With --delete-data only (teardown.c): deletion protection off first. */
static void db_remove(struct awsphase_res *r)
{
	static const char *const gone[] = { "DBInstanceNotFound", NULL };
	static const char *const busy[] = { "InvalidDBInstanceState", NULL };
	const cJSON *db = P3_E->item(r, NULL);
	struct awsphase_call *call;

	if (!cJSON_IsTrue(p3_h->json_get(db, "DeletionProtection")))
		return;
	call = P3_E->remove_step(r, "rds", "modify-db-instance", gone, busy, NULL,
				 "turn deletion protection off|deletion protection turned off");
	P3_E->args(r, call, "--db-instance-identifier", "{name}", "--no-deletion-protection",
		   "--apply-immediately", NULL);
}

static const char *const db_find[] = { "--db-instance-identifier", "{name}", NULL };
static const char *const db_none[] = { "DBInstanceNotFound", NULL };
static const char *const db_exists[] = { "DBInstanceAlreadyExists", NULL };
/* InvalidDBInstanceState: still creating or modifying, or already being
 * deleted — tried again until it is gone (DBInstanceNotFound). */
static const char *const db_busy[] = { "InvalidDBInstanceState", NULL };
static const char *const db_delete[] = { "--db-instance-identifier", "{name}",
	"--skip-final-snapshot", "--delete-automated-backups", NULL };
static const char *const db_create[] = { "--db-instance-identifier", "{name}",
	"--engine", "postgres", "--db-instance-class", "{DB_INSTANCE_CLASS}",
	"--allocated-storage", "{DB_ALLOCATED_STORAGE}", "--db-name", "{DB_NAME}",
	"--master-username", "{DB_MASTER_USERNAME}", "--manage-master-user-password",
	"--db-subnet-group-name", "{DB_SUBNET_GROUP}",
	"--vpc-security-group-ids", "{@rds-sg}", "--no-publicly-accessible",
	"--storage-encrypted", "--backup-retention-period", "{DB_BACKUP_DAYS}",
	"--deletion-protection", "--copy-tags-to-snapshot",
	"--tags", "Key=Name,Value={name}", "Key=awsphase:stack,Value={stack}",
	"Key=awsphase:phase,Value=3", NULL };
static const char *const db_needs[] = { "rds-sg", "db-subnets", NULL };
static const struct awsphase_output db_out[] = { { "RDS_ENDPOINT", "Endpoint.Address" },
	{ "DB_SECRET_ARN", "MasterUserSecret.SecretArn" }, { NULL } };

const struct awsphase_resource p3_db = {
	AWSPHASE_RESOURCE, .key = "db", .kind = N_("RDS instance"), .name = "{DB_INSTANCE_ID}",
	.needs = db_needs,
	.find = { "rds", "describe-db-instances", db_find, db_none }, .item = "DBInstances.0",
	.id = "DBInstanceArn", .show = "{.Endpoint.Address}", .outputs = db_out,
	.create = { "rds", "create-db-instance", db_create, db_exists }, .created = "DBInstance",
	.differs = db_differs, .fix = db_fix, .ready = db_ready,
	.remove = { "rds", "delete-db-instance", db_delete, db_none, db_busy },
	.remove_fn = db_remove, .wait_gone = 1,
};

/* ---- ElastiCache Redis -------------------------------------------------------------- */

static void redis_differs(struct awsphase_res *r, const cJSON *have)
{
	P3_E->note(r, "Redis, %s, private subnets", p3_h->env_get("REDIS_NODE_TYPE"));
}

static int redis_ready(struct awsphase_res *r, const cJSON *item)
{
	const char *status = p3_h->json_str(item, "CacheClusterStatus");

	if (is(status, "available"))
		return 1;
	if (is(status, "deleting") || is(status, "create-failed") || is(status, "incompatible-network")) {
		p3_h->log(AWSPHASE_LOG_ERROR, "ElastiCache cluster %s is %s and will not become "
			  "available by itself; see its events (aws elasticache describe-events), fix "
			  "it, then run awsphase 3 deploy again", P3_E->name(r), status);
		return -AWSPHASE_EXIT_FAILED;
	}
	P3_E->state(r, "%s", status ? status : "?");
	return 0;
}

static const char *const cache_find[] = { "--cache-cluster-id", "{name}", "--show-cache-node-info",
	NULL };
static const char *const cache_id[] = { "--cache-cluster-id", "{name}", NULL };
static const char *const cache_none[] = { "CacheClusterNotFound", NULL };
static const char *const cache_exists[] = { "CacheClusterAlreadyExists", NULL };
static const char *const cache_busy[] = { "InvalidCacheClusterState", NULL };
static const char *const cache_create[] = { "--cache-cluster-id", "{name}", "--engine", "redis",
	"--cache-node-type", "{REDIS_NODE_TYPE}", "--num-cache-nodes", "1",
	"--cache-subnet-group-name", "{REDIS_SUBNET_GROUP}",
	"--security-group-ids", "{@redis-sg}", NULL };
static const char *const cache_needs[] = { "redis-sg", "cache-subnets", NULL };
static const struct awsphase_output cache_out[] = {
	{ "REDIS_ENDPOINT", "CacheNodes.0.Endpoint.Address" }, { NULL } };

const struct awsphase_resource p3_redis = {
	AWSPHASE_RESOURCE, .key = "redis", .kind = N_("ElastiCache cluster"), .name = "{REDIS_CLUSTER_ID}",
	.needs = cache_needs,
	.find = { "elasticache", "describe-cache-clusters", cache_find, cache_none },
	.item = "CacheClusters.0", .show = "{.CacheNodes.0.Endpoint.Address}", .outputs = cache_out,
	.create = { "elasticache", "create-cache-cluster", cache_create, cache_exists },
	.created = "CacheCluster",
	.differs = redis_differs, .ready = redis_ready,
	.remove = { "elasticache", "delete-cache-cluster", cache_id, cache_none, cache_busy },
	.wait_gone = 1,
};
