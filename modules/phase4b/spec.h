/* Phase 4B: the resources as the runbook names them and what they should
 * look like.  Every action reads AWS through the engine's resources
 * (stack.h) and judges what it got with the lookups below, so that deploy,
 * fix-sg, preflight, validate, diagnose, status, logs and metrics agree on
 * names, on the aws operations they run and on what "right" means.
 *
 * Strings returned by the lookups point into the JSON they are given or
 * into static storage; none is to be freed.
 */
#ifndef P4B_SPEC_H
#define P4B_SPEC_H

#include <stddef.h>

#include "phase4b.h"

/* The runbook's fixed values. */
#define P4B_GRACE_S 120                 /* health-check grace period */
#define P4B_LOG_RETENTION_DAYS 30
#define P4B_LOG_STREAM_PREFIX "ecs"
#define P4B_TRUSTED_SERVICE "ecs-tasks.amazonaws.com"
#define P4B_EXEC_POLICY_PATH "service-role/AmazonECSTaskExecutionRolePolicy"
#define P4B_EXEC_POLICY "iam::aws:policy/" P4B_EXEC_POLICY_PATH

/* What a security group, a role (whom it trusts, whether a managed policy
 * is attached), a listener (whether it forwards to a target group alone)
 * say is the engine's: sg_allows, iam_role_trusts, iam_role_has_policy,
 * listener_forwards (engine.h).  p4b_exec_policy_arn:
 * AmazonECSTaskExecutionRolePolicy in the region's partition. */
const char *p4b_exec_policy_arn(const struct p4b *c);

/* Target health: how many TargetHealthDescriptions are in state ("healthy",
 * "unhealthy", "initial", "draining", …); the reason of the first is the
 * engine's target_reason. */
int p4b_targets_in(const cJSON *targets, const char *state);

/* The service: its PRIMARY deployment (NULL if none); its awsvpcConfiguration. */
const cJSON *p4b_primary(const cJSON *service);
const cJSON *p4b_awsvpc(const cJSON *service_or_deployment);
/* The subnets the tier puts tasks in, and the assignPublicIp it needs. */
void p4b_task_subnets(const struct p4b *c, const char *out[2]);
const char *p4b_assign_public_ip(const struct p4b *c);
/* 1 when subnet is one of the pair (public_subnet, private_subnet). */
int p4b_subnet_of(const char *subnet, const char *const pair[2]);

/* The task definition deploy registers (a new cJSON object, caller frees):
 * family, FARGATE, awsvpc, TASK_CPU/TASK_MEMORY, the two role ARNs, one
 * essential container CONTAINER_NAME from ECR_URI on CONTAINER_PORT/tcp,
 * awslogs to LOG_GROUP (region, stream prefix "ecs"), environment
 * NODE_ENV=production, PORT and the phase-3 keys present in the env file
 * (RDS_ENDPOINT, REDIS_ENDPOINT, S3_BUCKET, SQS_QUEUE_URL, AWS_REGION),
 * named as the env file names them.  Never a secret in environment:
 * keep_from, when not NULL, is the current revision whose container
 * `secrets` are carried over (p4b_taskdef_db_secret adds the database's). */
cJSON *p4b_taskdef_want(const struct p4b *c, const char *exec_role_arn,
			const char *task_role_arn, const cJSON *keep_from);
/* Sets the container's secrets DB_PASSWORD (and with json_keys, the
 * RDS-managed secret's, DB_USERNAME) of td to come from the secret arn:
 * "ARN:password::" and "ARN:username::", or the whole ARN.  Nothing when arn
 * is NULL or "". */
void p4b_taskdef_db_secret(cJSON *td, const char *arn, int json_keys);
/* Says each difference between want and have (a describe-task-definition
 * taskDefinition) in every field want sets (normalised: environment order,
 * default protocol, essential, hostPort) to the engine, for resource r. */
struct awsphase_res;
void p4b_taskdef_differs(struct awsphase_res *r, const cJSON *want, const cJSON *have);
/* 1 when have is what want describes (no difference p4b_taskdef_differs
 * would say). */
int p4b_taskdef_same(const cJSON *want, const cJSON *have);

/* Keys of the env file that name secrets (PASSWORD, SECRET, TOKEN, PRIVATE)
 * and are not the module's own (DB_PASSWORD is: deploy keeps it in Secrets
 * Manager): warns about each once, naming the fix
 * (Secrets Manager / SSM Parameter Store under the container's `secrets`).
 * Values are never read.  Returns how many. */
int p4b_warn_secrets(const struct p4b *c);

/* The runbook's fix for a task's stoppedReason (or a service event), or NULL
 * when it names none.  assign_public_ip and subnet are the task's (may be
 * NULL): a ResourceInitializationError in a public subnet without a public
 * IP gets the assignPublicIp note, in a private one the NAT/VPC endpoints
 * note. */
const char *p4b_reason_fix(const struct p4b *c, const char *reason,
			   const char *assign_public_ip, const char *subnet);
/* 1 when a stoppedReason means the task cannot start at all (image, network,
 * IAM, log group): waiting longer cannot help. */
int p4b_reason_is_fatal(const char *reason);

/* Small helpers: the string at o's key (NULL if none or not a string), and
 * whether it is want (an array holding a string, two string sets alike:
 * the host's json_find and json_same_set); attachments[].details[name ==
 * key].value of a task; the last part of an ARN ("…/abc" → "abc",
 * "kaviar-backend:3" of a task definition's). */
const char *p4b_str(const cJSON *o, const char *key);
int p4b_str_is(const cJSON *o, const char *key, const char *want);
const char *p4b_task_detail(const cJSON *task, const char *key);
const char *p4b_arn_tail(const char *arn);

/* ACCOUNT.dkr.ecr.REGION.amazonaws.com[.cn]/REPO[:TAG|@DIGEST]; 0, or -1
 * when uri is not one. */
struct p4b_image {
	char account[16], region[32], repo[256], tag[160], digest[96];
};
int p4b_parse_image(const char *uri, struct p4b_image *im);

/* pin.c: the image the task definition names: with IMAGE_PINNING=digest
 * (the default) ECR_URI's repository @ the imageDigest of image (ECR_URI's
 * describe-images item) into buf, else (tag pinning, ECR_URI given by
 * digest, no image found) ECR_URI.  p4b_image_report says the image in use
 * as "image ECR_URI (sha256:…)", its digest ref's when ref names one, else
 * digest (NULL: unknown), and adds image_tag and image_digest to the JSON
 * report.  p4b_image_of_uri: 1 when image is ECR_URI or its repository
 * pinned by digest. */
const char *p4b_image_ref(const struct p4b *c, const cJSON *image, char *buf, size_t size);
void p4b_image_report(const struct p4b *c, const char *ref, const char *digest);
int p4b_image_of_uri(const struct p4b *c, const char *image);

#endif
