/* awsphase export: phase 3's data as CloudFormation's, as deploy makes it
 * (stack.c, stack-db.c, stack-s3.c, stack-sqs.c): the two security groups
 * with no ingress of their own (a 4B exported with them adds its rules
 * from the ECS group), the DB subnet group and the RDS PostgreSQL instance
 * (private, encrypted, backups kept, deletion protection, the master
 * password generated and kept by AWS), the cache subnet group and the
 * Redis cluster, the bucket (public access blocked, SSE-S3, versioning)
 * and the jobs queue with its dead-letter queue (SSE-SQS, redrive).
 * Tagged only where deploy tags (the DB subnet group and the instance).
 *
 * Data is never destroyed by the stack either: without --adopt the
 * instance is DeletionPolicy Snapshot (what AWS recommends for RDS: a
 * stack deleted or a replacing update keeps a final snapshot, while the
 * instance itself goes, as a stack's owner would expect) and the bucket
 * Retain (CloudFormation cannot delete a bucket with objects, and should
 * not try); under --adopt the core makes everything Retain. */
#include <stdio.h>
#include <string.h>

#include <awsphase/cfn.h>

#include "phase3.h"

static const struct awsphase_cfn *X;

#define OBJ(...) X->obj(cJSON_CreateObject(), __VA_ARGS__, NULL)
#define S(s) cJSON_CreateString(s)
#define K(k) X->key(k, 0)

static cJSON *list2(cJSON *a, cJSON *b)
{
	cJSON *l = cJSON_CreateArray();

	cJSON_AddItemToArray(l, a);
	if (b)
		cJSON_AddItemToArray(l, b);
	return l;
}

/* Name, awsphase:stack ("3", or "STACK/3" for a STACK other than the
 * default: the engine's {stack}) and awsphase:phase, as the creates put them. */
static cJSON *tags(const char *name_key)
{
	const char *stack = p3_h->env_get("STACK");
	char tag[64];

	snprintf(tag, sizeof(tag), "%s%s3", stack && strcmp(stack, "kaviar") != 0 ? stack : "",
		 stack && strcmp(stack, "kaviar") != 0 ? "/" : "");
	cJSON *t = list2(OBJ("Key", S("Name"), "Value", K(name_key)),
			 OBJ("Key", S("awsphase:stack"), "Value", S(tag)));

	cJSON_AddItemToArray(t, OBJ("Key", S("awsphase:phase"), "Value", S("3")));
	return t;
}

/* The env file's value of a key deploy writes (the live id under
 * --adopt), NULL when it has none: the resource is then left out. */
static const char *live(const char *key)
{
	return p3_h->env_in_file(key) ? p3_h->env_get(key) : NULL;
}

static void policy(cJSON *r, const char *what)
{
	if (r && !X->adopt) {
		cJSON_AddStringToObject(r, "DeletionPolicy", what);
		cJSON_AddStringToObject(r, "UpdateReplacePolicy", what);
	}
}

int p3_export_cfn(const struct awsphase_host *h, const struct awsphase_cfn *cfn)
{
	const char *url = live("SQS_QUEUE_URL");
	char dlq_url[512] = "";
	cJSON *bucket, *sse, *redrive;

	X = cfn;
	X->resource("RdsSecurityGroup", "AWS::EC2::SecurityGroup",
		    OBJ("GroupName", K("RDS_SG_NAME"), "GroupDescription",
			S(P3_RDS_SG_DESCRIPTION),
			"VpcId", K("VPC_ID")),
		    (const char *const[]){ "Id", live("RDS_SG_ID"), NULL });
	X->resource("RedisSecurityGroup", "AWS::EC2::SecurityGroup",
		    OBJ("GroupName", K("REDIS_SG_NAME"), "GroupDescription",
			S(P3_REDIS_SG_DESCRIPTION),
			"VpcId", K("VPC_ID")),
		    (const char *const[]){ "Id", live("REDIS_SG_ID"), NULL });
	/* the subnet groups' names: deployed when the instance or cluster is */
	X->resource("DbSubnets", "AWS::RDS::DBSubnetGroup",
		    OBJ("DBSubnetGroupName", K("DB_SUBNET_GROUP"), "DBSubnetGroupDescription",
			S("Kaviar database - private subnets"), "SubnetIds",
			list2(K("PRIVATE_SUBNET_1"), K("PRIVATE_SUBNET_2")), "Tags", tags("DB_SUBNET_GROUP")),
		    (const char *const[]){ "DBSubnetGroupName",
			live("RDS_ENDPOINT") ? h->env_get("DB_SUBNET_GROUP") : NULL, NULL });
	policy(X->resource("Db", "AWS::RDS::DBInstance",
			   OBJ("DBInstanceIdentifier", K("DB_INSTANCE_ID"), "Engine", S("postgres"),
			       "DBInstanceClass", K("DB_INSTANCE_CLASS"),
			       "AllocatedStorage", K("DB_ALLOCATED_STORAGE"), "DBName", K("DB_NAME"),
			       "MasterUsername", K("DB_MASTER_USERNAME"),
			       "ManageMasterUserPassword", cJSON_CreateTrue(),
			       "DBSubnetGroupName", X->ref("DbSubnets"),
			       "VPCSecurityGroups", list2(X->getatt("RdsSecurityGroup", "GroupId"), NULL),
			       "PubliclyAccessible", cJSON_CreateFalse(),
			       "StorageEncrypted", cJSON_CreateTrue(),
			       "BackupRetentionPeriod", X->key("DB_BACKUP_DAYS", 1),
			       "DeletionProtection", cJSON_CreateTrue(),
			       "CopyTagsToSnapshot", cJSON_CreateTrue(), "Tags", tags("DB_INSTANCE_ID")),
			   (const char *const[]){ "DBInstanceIdentifier",
				live("RDS_ENDPOINT") ? h->env_get("DB_INSTANCE_ID") : NULL, NULL }),
	       "Snapshot");
	X->resource("CacheSubnets", "AWS::ElastiCache::SubnetGroup",
		    OBJ("CacheSubnetGroupName", K("REDIS_SUBNET_GROUP"), "Description",
			S("Kaviar Redis - private subnets"), "SubnetIds",
			list2(K("PRIVATE_SUBNET_1"), K("PRIVATE_SUBNET_2"))),
		    (const char *const[]){ "CacheSubnetGroupName",
			live("REDIS_ENDPOINT") ? h->env_get("REDIS_SUBNET_GROUP") : NULL, NULL });
	X->resource("Redis", "AWS::ElastiCache::CacheCluster",
		    OBJ("ClusterName", K("REDIS_CLUSTER_ID"), "Engine", S("redis"),
			"CacheNodeType", K("REDIS_NODE_TYPE"), "NumCacheNodes", cJSON_CreateNumber(1),
			"CacheSubnetGroupName", X->ref("CacheSubnets"),
			"VpcSecurityGroupIds", list2(X->getatt("RedisSecurityGroup", "GroupId"), NULL)),
		    (const char *const[]){ "ClusterName",
			live("REDIS_ENDPOINT") ? h->env_get("REDIS_CLUSTER_ID") : NULL, NULL });
	/* S3_BUCKET, else deploy's default {STACK}-uploads-ACCOUNT */
	bucket = K("S3_BUCKET");
	if (!bucket)
		bucket = OBJ("Fn::Sub", list2(S("${S}-uploads-${AWS::AccountId}"), OBJ("S", K("STACK"))));
	sse = OBJ("ServerSideEncryptionByDefault", OBJ("SSEAlgorithm", S("AES256")));
	policy(X->resource("Bucket", "AWS::S3::Bucket",
			   OBJ("BucketName", bucket, "PublicAccessBlockConfiguration",
			       OBJ("BlockPublicAcls", cJSON_CreateTrue(), "IgnorePublicAcls", cJSON_CreateTrue(),
				   "BlockPublicPolicy", cJSON_CreateTrue(),
				   "RestrictPublicBuckets", cJSON_CreateTrue()),
			       "BucketEncryption", OBJ("ServerSideEncryptionConfiguration", list2(sse, NULL)),
			       "VersioningConfiguration", OBJ("Status", S("Enabled"))),
			   (const char *const[]){ "BucketName", live("S3_BUCKET"), NULL }),
	       "Retain");
	/* the dead-letter queue's URL is the queue's with -dlq: same account and region */
	if (url)
		snprintf(dlq_url, sizeof(dlq_url), "%s-dlq", url);
	X->resource("DeadLetterQueue", "AWS::SQS::Queue",
		    OBJ("QueueName", OBJ("Fn::Sub", list2(S("${Q}-dlq"), OBJ("Q", K("SQS_QUEUE_NAME")))),
			"SqsManagedSseEnabled", cJSON_CreateTrue()),
		    (const char *const[]){ "QueueUrl", *dlq_url ? dlq_url : NULL, NULL });
	redrive = OBJ("deadLetterTargetArn", X->getatt("DeadLetterQueue", "Arn"),
		      "maxReceiveCount", X->key("SQS_MAX_RECEIVES", 1));
	X->resource("Queue", "AWS::SQS::Queue",
		    OBJ("QueueName", K("SQS_QUEUE_NAME"), "SqsManagedSseEnabled", cJSON_CreateTrue(),
			"RedrivePolicy", redrive),
		    (const char *const[]){ "QueueUrl", url, NULL });
	X->output("RDS_ENDPOINT", X->getatt("Db", "Endpoint.Address"));
	X->output("RDS_SG_ID", X->getatt("RdsSecurityGroup", "GroupId"));
	X->output("DB_SECRET_ARN", X->getatt("Db", "MasterUserSecret.SecretArn"));
	X->output("REDIS_ENDPOINT", X->getatt("Redis", "RedisEndpoint.Address"));
	X->output("REDIS_SG_ID", X->getatt("RedisSecurityGroup", "GroupId"));
	X->output("S3_BUCKET", X->ref("Bucket"));
	X->output("SQS_QUEUE_URL", X->ref("Queue"));
	return 0;
}
