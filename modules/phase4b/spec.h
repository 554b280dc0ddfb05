/* Phase 4B: the resources as the runbook names them, what AWS holds of them,
 * and what they should look like.  Every action of the module reads AWS
 * through p4b_read and judges what it got with the lookups below, so that
 * deploy, fix-sg, preflight, validate, diagnose, status, logs and metrics
 * agree on names, on the aws operations they run and on what "right" means.
 *
 * Strings returned by the lookups point into the JSON of a struct p4b_view
 * (valid until p4b_view_free) or into static storage; none is to be freed.
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
#define P4B_EXEC_POLICY "iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"

/* What p4b_read fetches: one aws call each (P4B_TASKS: two), all in one
 * concurrent batch, every name as the runbook spells it. */
enum p4b_what {
	P4B_SERVICE = 1 << 0,   /* ecs describe-services --cluster C --services S */
	P4B_TASKDEF = 1 << 1,   /* ecs describe-task-definition --task-definition FAMILY
				 * (the latest ACTIVE revision) */
	P4B_SGS = 1 << 2,       /* ec2 describe-security-groups --filters Name=vpc-id,Values=VPC
				 * (the ALB, ECS, RDS and Redis groups and their rules at once) */
	P4B_TG = 1 << 3,        /* elbv2 describe-target-groups --names TG_NAME */
	P4B_ALB = 1 << 4,       /* elbv2 describe-load-balancers --names ALB_NAME */
	P4B_LISTENERS = 1 << 5, /* elbv2 describe-listeners --load-balancer-arn: in the batch
				 * when ALB_ARN is in the env file, else (or when the ALB found
				 * has another ARN) right after it; skipped when there is no ALB */
	P4B_LOGGROUP = 1 << 6,  /* logs describe-log-groups --log-group-name-prefix LOG_GROUP */
	P4B_ROLES = 1 << 7,     /* iam get-account-authorization-details --filter Role */
	P4B_TARGETS = 1 << 8,   /* elbv2 describe-target-health --target-group-arn: like
				 * P4B_LISTENERS, from TG_ARN or after P4B_TG */
	P4B_TASKS = 1 << 9,     /* ecs list-tasks --cluster C --service-name S, then
				 * ecs describe-tasks of those (RUNNING and PENDING ones) */
};

/* What AWS holds.  A NULL member means "absent" when its bit is in read. */
struct p4b_view {
	unsigned read;                 /* the P4B_* bits fetched */
	int cluster_missing;           /* describe-services: ClusterNotFoundException */
	const cJSON *service;          /* services[0] in any status; NULL: none */
	const cJSON *taskdef;          /* taskDefinition; NULL: no ACTIVE revision */
	const cJSON *sgs;              /* SecurityGroups of the VPC (array) */
	const cJSON *tg;               /* TargetGroups[0] */
	const cJSON *alb;              /* LoadBalancers[0] */
	const cJSON *listeners;        /* Listeners of the ALB found (array) */
	const cJSON *log_group;        /* the logGroups entry named exactly LOG_GROUP */
	const cJSON *roles;            /* RoleDetailList (array) */
	const cJSON *targets;          /* TargetHealthDescriptions (array) */
	const cJSON *tasks;            /* tasks of describe-tasks (array) */
	int calls;                     /* aws calls it took */
	const struct awsphase_host *h;
	struct awsphase_call *owned[16];
	size_t nowned;
};

/* Fetches what (P4B_* bits) concurrently into v.  Not-found answers make
 * the member NULL; any other failure was reported by the host and its exit
 * code is returned (v is then partly filled; free it anyway).  0 on success. */
int p4b_read(struct p4b *c, unsigned what, struct p4b_view *v);
/* Fetches what more into a view p4b_read filled (bits it has not read). */
int p4b_read_more(struct p4b *c, unsigned what, struct p4b_view *v);
void p4b_view_free(struct p4b_view *v);

/* Security groups of the view: by GroupName in the VPC, by GroupId. */
const cJSON *p4b_sg_named(const struct p4b_view *v, const char *name);
const cJSON *p4b_sg_by_id(const struct p4b_view *v, const char *id);
/* 1 when an ingress rule of sg lets tcp port in from the group src_sg (when
 * not NULL) or from the CIDR cidr (when not NULL); "-1" (all) rules count. */
int p4b_sg_allows(const cJSON *sg, int port, const char *src_sg, const char *cidr);
const char *p4b_sg_id(const cJSON *sg);

/* IAM: the role named name in the view (RoleDetailList entry); whether its
 * trust policy lets ecs-tasks.amazonaws.com assume it; whether a managed
 * policy ARN is attached.  p4b_exec_policy_arn: AmazonECSTaskExecutionRolePolicy
 * in the region's partition. */
const cJSON *p4b_role(const struct p4b_view *v, const char *name);
int p4b_role_trusts_ecs_tasks(const cJSON *role);
int p4b_role_has_policy(const cJSON *role, const char *policy_arn);
const char *p4b_exec_policy_arn(const struct p4b *c);
/* The trust policy document create-role and update-assume-role-policy get. */
const char *p4b_trust_policy(void);
/* "aws", "aws-cn" or "aws-us-gov" for the region. */
const char *p4b_partition(const char *region);

/* Listeners: the one on port (NULL if none); whether its default action
 * forwards to tg_arn alone. */
const cJSON *p4b_listener_on(const struct p4b_view *v, int port);
int p4b_listener_forwards_to(const cJSON *listener, const char *tg_arn);

/* Target health: how many TargetHealthDescriptions are in state ("healthy",
 * "unhealthy", "initial", "draining", …); the reason of the first target
 * in state (NULL if none), e.g. "Target.Timeout". */
int p4b_targets_in(const cJSON *targets, const char *state);
const char *p4b_targets_reason(const cJSON *targets, const char *state);

/* The service: its PRIMARY deployment (NULL if none); its awsvpcConfiguration. */
const cJSON *p4b_primary(const cJSON *service);
const cJSON *p4b_awsvpc(const cJSON *service_or_deployment);
/* The subnets the tier puts tasks in, and the assignPublicIp it needs. */
void p4b_task_subnets(const struct p4b *c, const char *out[2]);
const char *p4b_assign_public_ip(const struct p4b *c);

/* The task definition deploy registers (a new cJSON object, caller frees):
 * family, FARGATE, awsvpc, TASK_CPU/TASK_MEMORY, the two role ARNs, one
 * essential container CONTAINER_NAME from ECR_URI on CONTAINER_PORT/tcp,
 * awslogs to LOG_GROUP (region, stream prefix "ecs"), environment
 * NODE_ENV=production, PORT and the phase-3 keys present in the env file
 * (RDS_ENDPOINT, REDIS_ENDPOINT, S3_BUCKET, SQS_QUEUE_URL, AWS_REGION),
 * named as the env file names them.  Never a secret: keep_from, when not
 * NULL, is the current revision whose container `secrets` are carried over. */
cJSON *p4b_taskdef_want(const struct p4b *c, const char *exec_role_arn,
			const char *task_role_arn, const cJSON *keep_from);
/* A resource kind as deploy and teardown name it ("security group"), in the
 * user's language; kind itself when it is none of theirs. */
const char *p4b_kind_text(const struct awsphase_host *h, const char *kind);
/* msgid in the user's language, looked up first with kind as its context
 * (gettext's "kind\004msgid" key, which po/xgettext.sh extracts as msgctxt,
 * so a translation can agree with the kind's gender), then alone. */
const char *p4b_text_for(const struct awsphase_host *h, const char *kind, const char *msgid)
	AWSPHASE_FORMAT_ARG(3);

/* What differs about a resource, as a list ("image a → b, environment"),
 * twice: in English (the JSON result, and what decides a call's arguments)
 * and in the user's language (the line printed). */
struct p4b_why {
	char en[512];
	char shown[768];
};
void p4b_why_reset(struct p4b_why *w);
/* Appends fmt's item to both lists; fmt is looked up with h->text for the
 * shown one, so it is a literal xgettext extracts (keyword p4b_why_add). */
void p4b_why_add(const struct awsphase_host *h, struct p4b_why *w, const char *fmt, ...)
	AWSPHASE_PRINTF(3, 4);

/* 0 when have (a describe-task-definition taskDefinition) matches want in
 * every field want sets (normalised: environment order, default protocol,
 * essential, hostPort); else 1 with the differences in why ("image …"). */
int p4b_taskdef_differs(const struct awsphase_host *h, const cJSON *want, const cJSON *have,
			struct p4b_why *why);

/* Keys of the env file that name secrets (PASSWORD, SECRET, TOKEN, PRIVATE)
 * and are not the module's own: warns about each once, naming the fix
 * (Secrets Manager / SSM Parameter Store under the container's `secrets`).
 * Values are never read into a message.  Returns how many. */
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

/* Small helpers: cJSON array of strings contains s; a string set of two
 * arrays is equal (order and duplicates ignored). */
int p4b_json_has(const cJSON *array, const char *s);
int p4b_json_same_set(const cJSON *a, const char *const *b, size_t nb);

#endif
