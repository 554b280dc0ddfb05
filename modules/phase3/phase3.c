/* Phase 3 module: the data the backend keeps — RDS PostgreSQL, ElastiCache
 * Redis, an S3 bucket and an SQS queue with its dead-letter queue — as the
 * runbook's fase 3 makes them, on the host's resource engine, in the
 * private subnets phase 1 writes.  It writes RDS_ENDPOINT, RDS_SG_ID,
 * REDIS_ENDPOINT, REDIS_SG_ID, S3_BUCKET, SQS_QUEUE_URL and DB_SECRET_ARN,
 * which phase 4B reads, so awsphase up runs it after phase 1 and before
 * 4B. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "phase3.h"

/* AWS's rules for a general purpose bucket's name (3-63 characters, lower
 * case, digits, dots, hyphens; no IP address, no reserved prefix or
 * suffix): a name AWS would refuse is bad input before anything is made. */
#define BUCKET "(?=.{3,63}$)(?!xn--|sthree-|amzn-s3-demo-)(?![0-9]{1,3}(?:\\.[0-9]{1,3}){3}$)" \
	"(?!.*(?:\\.\\.|\\.-|-\\.))(?!.*(?:-s3alias|--ol-s3|\\.mrap|--x-s3|--table-s3)$)"          \
	"[a-z0-9][a-z0-9.-]*[a-z0-9]"
#define SUBNET "subnet-[0-9a-f]{8,17}"
#define SG_NAME "(?!sg-)[A-Za-z0-9 ._:/()#,@+=&;{}!$*\\[\\]-]{1,255}"

static const struct awsphase_envvar env[] = {
	{ "AWS_REGION", "[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-[0-9]", NULL, AWSPHASE_ENV_REQUIRED,
	  N_("the AWS region, e.g. us-east-2") },
	{ "VPC_ID", "vpc-[0-9a-f]{8,17}", NULL, AWSPHASE_ENV_REQUIRED, N_("the VPC (phase 1)") },
	{ "PRIVATE_SUBNET_1", SUBNET, NULL, AWSPHASE_ENV_REQUIRED,
	  N_("a private subnet (phase 1), in one AZ") },
	{ "PRIVATE_SUBNET_2", SUBNET, NULL, AWSPHASE_ENV_REQUIRED,
	  N_("a private subnet (phase 1), in another AZ") },
	{ "RDS_SG_NAME", SG_NAME, "{STACK}-rds-sg", 0, N_("the database's security group") },
	{ "REDIS_SG_NAME", SG_NAME, "{STACK}-redis-sg", 0, N_("the cache's security group") },
	{ "DB_INSTANCE_ID", "[a-zA-Z](?:-?[a-zA-Z0-9]){0,62}", "{STACK}-db", 0,
	  N_("the RDS PostgreSQL instance") },
	{ "DB_SUBNET_GROUP", "[a-z0-9._-]{1,255}", "{STACK}-db-subnets", 0,
	  N_("the instance's DB subnet group (the private subnets)") },
	{ "DB_INSTANCE_CLASS", "db\\.[a-z0-9]+\\.[a-z0-9]+", "db.t3.micro", 0,
	  N_("the instance class, used when it is created") },
	{ "DB_ALLOCATED_STORAGE", "[2-9][0-9]|[1-9][0-9]{2,4}", "20", 0,
	  N_("storage in GiB, used when it is created") },
	{ "DB_NAME", "[a-zA-Z][a-zA-Z0-9_]{0,62}", "kaviar", 0, N_("the database created in it") },
	{ "DB_MASTER_USERNAME", "[a-zA-Z][a-zA-Z0-9_]{0,15}", "kaviar", 0,
	  N_("the master user (its password is generated and kept by AWS)") },
	{ "DB_BACKUP_DAYS", "[1-9]|[12][0-9]|3[0-5]", "7", 0, N_("days automated backups are kept (1-35)") },
	{ "REDIS_CLUSTER_ID", "[a-z](?:-?[a-z0-9]){0,39}", "{STACK}-redis", 0,
	  N_("the ElastiCache Redis cluster") },
	{ "REDIS_SUBNET_GROUP", "[a-zA-Z0-9-]{1,255}", "{STACK}-redis-subnets", 0,
	  N_("the cluster's cache subnet group (the private subnets)") },
	{ "REDIS_NODE_TYPE", "cache\\.[a-z0-9]+\\.[a-z0-9]+", "cache.t3.micro", 0,
	  N_("the cache node type, used when it is created") },
	{ "S3_BUCKET", BUCKET, NULL, AWSPHASE_ENV_WRITTEN,
	  N_("the uploads bucket (default {STACK}-uploads-ACCOUNT; written by deploy)") },
	{ "SQS_QUEUE_NAME", "[A-Za-z0-9_-]{1,76}", "{STACK}-jobs", 0,
	  N_("the jobs queue; its dead letters go to NAME-dlq") },
	{ "SQS_MAX_RECEIVES", "[1-9][0-9]{0,2}", "5", 0,
	  N_("receives before a message goes to the dead-letter queue") },
	{ "RDS_ENDPOINT", "[a-z0-9.-]+", NULL, AWSPHASE_ENV_WRITTEN,
	  N_("written by deploy: the database's address") },
	{ "RDS_SG_ID", "sg-[0-9a-f]{8,17}", NULL, AWSPHASE_ENV_WRITTEN,
	  N_("written by deploy: the database's security group") },
	{ "DB_SECRET_ARN", "arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+", NULL,
	  AWSPHASE_ENV_WRITTEN, N_("written by deploy: the Secrets Manager secret holding the master "
	  "user's password") },
	{ "REDIS_ENDPOINT", "[a-z0-9.-]+", NULL, AWSPHASE_ENV_WRITTEN,
	  N_("written by deploy: the cache node's address") },
	{ "REDIS_SG_ID", "sg-[0-9a-f]{8,17}", NULL, AWSPHASE_ENV_WRITTEN,
	  N_("written by deploy: the cache's security group") },
	{ "SQS_QUEUE_URL", "https://[a-z0-9.-]+/[0-9]{12}/[A-Za-z0-9_-]{1,80}", NULL, AWSPHASE_ENV_WRITTEN,
	  N_("written by deploy: the jobs queue's URL") },
	{ NULL },
};

static const struct awsphase_action actions[] = {
	{ .name = "deploy", .summary = N_("Create or fix the database, cache, bucket and queues"),
	  .options = p3_deploy_options, .exec = p3_deploy,
	  .help = N_("Creates what is missing and fixes what differs: the security groups "
	  "RDS_SG_NAME and REDIS_SG_NAME with no ingress but what phase 4B adds from its ECS "
	  "group (other rules are revoked); the RDS PostgreSQL instance DB_INSTANCE_ID in the DB "
	  "subnet group DB_SUBNET_GROUP (PRIVATE_SUBNET_1/2): not publicly accessible, storage "
	  "encrypted, backups kept DB_BACKUP_DAYS days, deletion protection on, the master "
	  "password generated and kept by AWS in Secrets Manager; the ElastiCache Redis cluster "
	  "REDIS_CLUSTER_ID in its own subnet group; the S3 bucket S3_BUCKET (default "
	  "{STACK}-uploads-ACCOUNT) with public access blocked, default encryption and "
	  "versioning; the SQS queue SQS_QUEUE_NAME and its dead-letter queue NAME-dlq, both "
	  "encrypted (SSE-SQS), with a redrive policy after SQS_MAX_RECEIVES receives.  Waits "
	  "until the instance and the cluster are available, then writes RDS_ENDPOINT, "
	  "RDS_SG_ID, DB_SECRET_ARN, REDIS_ENDPOINT, REDIS_SG_ID, S3_BUCKET and SQS_QUEUE_URL.  "
	  "An unencrypted instance cannot be fixed in place: exit 1 saying what to do.  A second "
	  "run changes nothing.") },
	{ .name = "validate", .summary = N_("Check every resource's settings and the keys written"),
	  .exec = p3_validate, .flags = AWSPHASE_ACTION_READONLY },
	{ .name = "status", .summary = N_("Each resource, its state and its address"),
	  .exec = p3_status, .flags = AWSPHASE_ACTION_READONLY },
	{ .name = "teardown", .summary = N_("Delete the phase's resources (the data only with --delete-data)"),
	  .options = p3_teardown_options, .exec = p3_teardown,
	  .help = N_("Deletes the queues, the cluster, the instance, the bucket, the subnet groups "
	  "and the security groups, and removes their keys from the env file.  The data is never "
	  "deleted by surprise: while the instance exists (deletion protection, and no final "
	  "snapshot) or the bucket holds any object version, it stops before deleting anything "
	  "(exit 1), saying why.  With --delete-data it turns deletion protection off, deletes "
	  "the instance without a final snapshot and with its automated backups, and empties the "
	  "bucket (every version and delete marker).  Asks first on a terminal; elsewhere it "
	  "needs --yes.") },
	{ NULL },
};

static int p3_init(const struct awsphase_host *h)
{
	p3_h = h;
	if (!AWSPHASE_HAS(h, awsphase_host, caller_identity) || !h->engine)
		return awsphase_host_too_old(h);
	return 0;
}

/* awsphase up's order: after phase 1 (the VPC and its private subnets),
 * before phase 4B, which reads what this writes */
static const char *const provides[] = { "RDS_ENDPOINT", "RDS_SG_ID", "DB_SECRET_ARN",
	"REDIS_ENDPOINT", "REDIS_SG_ID", "S3_BUCKET", "SQS_QUEUE_URL", NULL };
static const char *const needs[] = { "VPC_ID", "PRIVATE_SUBNET_1", "PRIVATE_SUBNET_2", NULL };

static struct awsphase_module phase3 = {
	.name = "3",
	.aliases = "data",
	.title = N_("Data: RDS PostgreSQL, Redis, S3 and SQS (runbook fase 3)"),
	.env = env,
	.actions = actions,
	.init = p3_init,
	.provides = provides,
	.needs = needs,
	.export_cfn = p3_export_cfn,
};

AWSPHASE_MODULE(phase3)
