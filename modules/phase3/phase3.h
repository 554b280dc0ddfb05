/* Phase 3 (data: RDS PostgreSQL, ElastiCache Redis, S3, SQS): what the
 * actions share — the resources as the host's engine converges them and
 * the settings they read. */
#ifndef PHASE3_H
#define PHASE3_H

#include <awsphase/engine.h>

/* Marks a declared string, check name or table header for the awsphase
 * catalogue (po/xgettext.sh), as phase4b.h does. */
#ifndef N_
#define N_(s) (s)
#endif
#define NC_(kind, s) (s)

/* What an action tells the resources' functions (e->ctx). */
struct p3_run {
	int delete_data;        /* teardown --delete-data */
};

/* The stack (stack.c, stack-s3.c, stack-sqs.c):
 *   rds-sg, redis-sg       security groups with no ingress of their own
 *   db-subnets, db         DB subnet group, RDS PostgreSQL instance
 *   cache-subnets, redis   cache subnet group, ElastiCache Redis cluster
 *   bucket, bucket-pab, bucket-enc, bucket-ver   the bucket and its settings
 *   objects                (data) the bucket's object versions
 *   dlq, queue             the dead-letter queue and the jobs queue */
extern const struct awsphase_host *p3_h;
/* The groups' descriptions (create-security-group's, the template's): in
 * the characters EC2 allows in a VPC group's description, which has no
 * apostrophe. */
#define P3_RDS_SG_DESCRIPTION \
	"Kaviar RDS PostgreSQL - ingress only from the ECS tasks group (phase 4B)"
#define P3_REDIS_SG_DESCRIPTION \
	"Kaviar ElastiCache Redis - ingress only from the ECS tasks group (phase 4B)"
#define P3_E (p3_h->engine)

extern const struct awsphase_resource p3_rds_sg, p3_redis_sg, p3_db_subnets, p3_db,
	p3_cache_subnets, p3_redis, p3_dlq, p3_queue;
extern struct awsphase_resource p3_bucket, p3_bucket_pab, p3_bucket_enc, p3_bucket_ver,
	p3_objects;

/* The bucket's name: S3_BUCKET, else {STACK}-uploads-ACCOUNT (the host's
 * caller_identity, one sts call a run); NULL after reporting, *rc set. */
const char *p3_bucket_name(int *rc);

/* Opens the stack (the bucket named as p3_bucket_name says) and reads keys
 * (NULL: every resource that is not data); NULL after reporting, *rc set. */
struct awsphase_stack *p3_open(struct p3_run *run, const char *const *keys, int *rc);

/* Ingress rules of a security group (an item of describe-security-groups)
 * that do not come from another group: CIDRs and prefix lists, as text
 * ("tcp 5432 from 10.0.0.0/16, …") in buf; how many. */
int p3_foreign_ingress(const cJSON *sg, char *buf, size_t size);

/* A DB instance's settings against what phase 3 wants: the first that
 * differs in buf; 0 when none does, 1 when deploy fixes it, 2 when it
 * cannot (encryption). */
int p3_db_problem(const cJSON *db, char *buf, size_t size);

/* The count of object versions and delete markers in a
 * list-object-versions answer. */
int p3_object_count(const cJSON *answer);

#define P3_ACTION(fn)                                                          \
	int fn(const struct awsphase_host *h, int argc, const char **argv);     \
	extern const struct poptOption fn##_options[]

P3_ACTION(p3_deploy);
P3_ACTION(p3_teardown);
int p3_validate(const struct awsphase_host *h, int argc, const char **argv);
int p3_status(const struct awsphase_host *h, int argc, const char **argv);

struct awsphase_cfn;
/* awsphase export --format cloudformation (export.c) */
int p3_export_cfn(const struct awsphase_host *h, const struct awsphase_cfn *cfn);

#endif
