/* Phase 4B module: ECS Fargate behind an Application Load Balancer, as the
 * runbook RUNBOOK-fase-4b-ecs-alb.md deploys, checks and repairs it. */
#include <stddef.h>

#include "phase4b.h"
#include "stack.h"

#define ID(prefix) prefix "-[0-9a-f]{8,17}"
#define ARN(svc, rest) "arn:aws[a-z-]*:" svc ":[a-z0-9-]+:[0-9]{12}:" rest
#define NAME255 "[A-Za-z0-9_-]{1,255}"
#define LBNAME "[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?"
#define SGNAME "[A-Za-z0-9 ._:/()#,@\\[\\]+=&;{}!$*-]{1,255}"
#define ROLE "[A-Za-z0-9+=,.@_-]{1,64}"
#define HOST "[A-Za-z0-9.-]+"

const struct awsphase_envvar p4b_env[] = {
	{ "AWS_REGION", "[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-[0-9]", NULL, AWSPHASE_ENV_REQUIRED,
	  N_("the AWS region, e.g. us-east-2") },
	{ "VPC_ID", ID("vpc"), NULL, AWSPHASE_ENV_REQUIRED, N_("the VPC of phase 1, vpc-…") },
	{ "PUBLIC_SUBNET_1", ID("subnet"), NULL, AWSPHASE_ENV_REQUIRED, N_("a public subnet of phase 1, subnet-…") },
	{ "PUBLIC_SUBNET_2", ID("subnet"), NULL, AWSPHASE_ENV_REQUIRED, N_("a second public subnet in another AZ, subnet-…") },
	{ "PRIVATE_SUBNET_1", ID("subnet"), NULL, 0, N_("a private subnet of phase 1, subnet-…") },
	{ "PRIVATE_SUBNET_2", ID("subnet"), NULL, 0, N_("a second private subnet, subnet-…") },
	{ "RDS_ENDPOINT", HOST, NULL, 0, N_("the RDS endpoint host name of phase 3") },
	{ "RDS_SG_ID", ID("sg"), NULL, 0, N_("the RDS security group of phase 3, sg-…") },
	{ "REDIS_ENDPOINT", HOST, NULL, 0, N_("the Redis endpoint host name of phase 3") },
	{ "REDIS_SG_ID", ID("sg"), NULL, 0, N_("the Redis security group of phase 3, sg-…") },
	{ "S3_BUCKET", "[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", NULL, 0, N_("the S3 bucket name of phase 3") },
	{ "SQS_QUEUE_URL", "https?://[^\\s]+", NULL, 0, N_("the SQS queue URL of phase 3") },
	{ "DB_SECRET_ARN", ARN("secretsmanager", "secret:[A-Za-z0-9/_+=.@!-]+"), NULL, 0,
	  N_("the database's secret of phase 3 (RDS-managed, JSON username and password): the task gets "
	  "DB_PASSWORD and DB_USERNAME from it") },
	{ "DB_PASSWORD", NULL, NULL, 0, N_("the database password, without DB_SECRET_ARN: deploy keeps it "
	  "in Secrets Manager (DB_SECRET_NAME) and the task gets it as a secret, never as plain "
	  "environment") },
	{ "DB_SECRET_NAME", "[A-Za-z0-9/_+=.@-]{1,512}", "{STACK}/db-password", 0,
	  N_("the Secrets Manager secret deploy keeps DB_PASSWORD in") },
	{ "ECR_URI", "[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com(?:\\.cn)?/[a-z0-9._/-]+(?::[A-Za-z0-9_.-]{1,128}|@sha256:[0-9a-f]{64})?",
	  NULL, AWSPHASE_ENV_REQUIRED, N_("the image of phase 4A, ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG") },
	{ "ECS_CLUSTER", NAME255, "{STACK}-cluster", 0, N_("the ECS cluster name") },
	{ "ECS_SERVICE", NAME255, "{STACK}-backend-service", 0, N_("the ECS service name") },
	{ "TASK_FAMILY", NAME255, "{STACK}-backend", 0, N_("the task definition family") },
	{ "CONTAINER_NAME", NAME255, "kaviar-backend", 0, N_("the container name") },
	{ "CONTAINER_PORT", "[1-9][0-9]{0,4}", "3001", 0, N_("the container port, 1-65535") },
	{ "HEALTH_PATH", "/[!-~]*", "/api/health", 0, N_("the health check path, starting with /") },
	{ "TG_NAME", LBNAME, "{STACK}-backend-tg", 0, N_("the target group name, up to 32 letters, digits and -") },
	{ "ALB_NAME", LBNAME, "{STACK}-alb", 0, N_("the load balancer name, up to 32 letters, digits and -") },
	{ "ALB_SG_NAME", SGNAME, "{STACK}-alb-sg", 0, N_("the ALB security group name") },
	{ "ECS_SG_NAME", SGNAME, "{STACK}-ecs-sg", 0, N_("the ECS tasks security group name") },
	{ "LOG_GROUP", "[A-Za-z0-9_./#-]{1,512}", "/ecs/{STACK}-backend", 0, N_("the CloudWatch log group") },
	{ "EXEC_ROLE_NAME", ROLE, "{Stack}EcsTaskExecutionRole", 0, N_("the task execution role name") },
	{ "TASK_ROLE_NAME", ROLE, "{Stack}EcsTaskRole", 0, N_("the task role name") },
	{ "DESIRED_COUNT", "[0-9]{1,4}", "1", 0, N_("the number of tasks, 0-9999") },
	{ "TASK_CPU", "256|512|1024|2048|4096|8192|16384", "512", 0, N_("Fargate CPU units: 256, 512, 1024, …") },
	{ "TASK_MEMORY", "[0-9]{3,6}", "1024", 0, N_("Fargate memory in MiB, e.g. 1024") },
	{ "SUBNET_TIER", "public|private", "public", 0, N_("public (assignPublicIp=ENABLED) or private (needs NAT or VPC endpoints)") },
	{ "ALB_SG_ID", ID("sg"), NULL, AWSPHASE_ENV_WRITTEN, N_("written by deploy: the ALB security group") },
	{ "ECS_SG_ID", ID("sg"), NULL, AWSPHASE_ENV_WRITTEN, N_("written by deploy: the ECS security group") },
	{ "TG_ARN", ARN("elasticloadbalancing", "targetgroup/[A-Za-z0-9-]+/[0-9a-f]+"), NULL,
	  AWSPHASE_ENV_WRITTEN, N_("written by deploy: the target group ARN") },
	{ "ALB_ARN", ARN("elasticloadbalancing", "loadbalancer/app/[A-Za-z0-9-]+/[0-9a-f]+"), NULL,
	  AWSPHASE_ENV_WRITTEN, N_("written by deploy: the load balancer ARN") },
	{ "ALB_DNS", HOST, NULL, AWSPHASE_ENV_WRITTEN, N_("written by deploy: the load balancer DNS name") },
	{ "LISTENER_ARN", ARN("elasticloadbalancing", "listener/app/[A-Za-z0-9-]+/[0-9a-f]+/[0-9a-f]+"), NULL,
	  AWSPHASE_ENV_WRITTEN, N_("written by deploy: the HTTP:80 listener ARN") },
	{ "TASK_DEF_ARN", ARN("ecs", "task-definition/[A-Za-z0-9_-]+:[0-9]+"), NULL,
	  AWSPHASE_ENV_WRITTEN, N_("written by deploy: the task definition revision in service") },
	{ "SERVICE_ARN", ARN("ecs", "service/[A-Za-z0-9_/-]+"), NULL,
	  AWSPHASE_ENV_WRITTEN, N_("written by deploy: the ECS service ARN") },
	{ "LAST_GOOD_TASK_DEF_ARN", ARN("ecs", "task-definition/[A-Za-z0-9_-]+:[0-9]+"), NULL,
	  AWSPHASE_ENV_WRITTEN, N_("written by deploy and rollback: the last revision that deployed "
	  "successfully (automatic rollback goes back to it)") },
	{ "PREVIOUS_GOOD_TASK_DEF_ARN", ARN("ecs", "task-definition/[A-Za-z0-9_-]+:[0-9]+"), NULL,
	  AWSPHASE_ENV_WRITTEN, N_("written by deploy and rollback: the good revision before it "
	  "(rollback --previous)") },
	{ "BEFORE_DEPLOY", "[^\\x00-\\x08\\x0a-\\x1f\\x7f]{1,4096}", NULL, 0,
	  N_("a command deploy runs first (sh -c) as a one-off task of the revision it is to deploy, "
	  "moving the service only when it exits 0: migrations; deploy --before overrides it") },
	{ "IMAGE_PINNING", "digest|tag", "digest", 0, N_("digest: deploy registers the image as "
	  "REPO@sha256:… that ECR_URI's tag names now, so a new image under the same tag makes a new "
	  "revision and a rollback restores the image it ran; tag: ECR_URI as written") },
	/* rollout settings (issue 19): AWS's defaults (30 s x 5, 300 s) make a rolling deploy take
	 * 8 minutes or more; these make it about one, and stay safe (spec.c checks them) */
	{ "HEALTH_CHECK_INTERVAL", "[0-9]{1,3}", "10", 0, N_("seconds between target group health checks, 5-300") },
	{ "HEALTH_CHECK_TIMEOUT", "[0-9]{1,3}", "5", 0, N_("seconds a health check may take, 2-120, less than the interval") },
	{ "HEALTHY_THRESHOLD", "[0-9]{1,2}", "2", 0, N_("passing health checks that make a target healthy, 2-10") },
	{ "UNHEALTHY_THRESHOLD", "[0-9]{1,2}", "3", 0, N_("failing health checks that make a target unhealthy, 2-10") },
	{ "DEREGISTRATION_DELAY", "[0-9]{1,4}", "30", 0, N_("seconds an old target drains before it goes, 0-3600") },
	{ "MIN_HEALTHY_PERCENT", "[0-9]{1,3}", "100", 0, N_("service minimum healthy percent during a deploy, 0-100") },
	{ "MAX_PERCENT", "[0-9]{1,3}", "200", 0, N_("service maximum percent during a deploy, 100-200") },
	{ "HEALTH_EXPECT", NULL, NULL, 0, N_("a PCRE2 pattern deploy's last check requires in the body of "
	  "http://ALB_DNS/HEALTH_PATH, e.g. the version the new image reports") },
	{ "HEALTH_EXPECT_COUNT", "[1-9][0-9]?", "3", 0, N_("how many answers in a row must match "
	  "HEALTH_EXPECT, 1-99") },
	{ NULL },
};

static const struct awsphase_action actions[] = {
	{ .name = "deploy", .summary = N_("Deploy the ECS service behind the ALB (aws-phase4b-ecs-alb.sh)"),
	  .options = p4b_deploy_options, .exec = p4b_deploy,
	  .help = N_("Creates what is missing and fixes what differs, nothing else: IAM roles, the ALB and "
	  "ECS security groups and their rules (and 5432/6379 on RDS_SG_ID/REDIS_SG_ID), the "
	  "cluster, the log group, the task definition (a new revision only when it differs), the "
	  "target group, the ALB and its HTTP:80 listener, the service.  Then waits (--timeout, "
	  "default 900 s) until the deployment is COMPLETED, running = desired and a target is "
	  "healthy, failing fast when tasks stop for a reason waiting cannot cure.  Writes the ids "
	  "and ARNs back to the env file.  A second run against a converged account changes "
	  "nothing.  Exit 0 ok, 1 not converged, 2 bad input, 3 AWS refused, 4 deadline, 5 no aws "
	  "CLI.") },
	{ .name = "fix-sg", .summary = N_("Give the service kaviar-ecs-sg with ALB → 3001 (fix-ecs-sg.sh)"),
	  .options = p4b_fix_sg_options, .exec = p4b_fix_sg,
	  .help = N_("Creates kaviar-ecs-sg or its rule (tcp CONTAINER_PORT from kaviar-alb-sg) when missing, "
	  "points the service at it when it uses another group, forces a new deployment only when "
	  "something changed, and waits as deploy does until a target is healthy.") },
	{ .name = "preflight", .summary = N_("Check the aws CLI, credentials, env file, VPC, subnets and image"),
	  .exec = p4b_preflight, .flags = AWSPHASE_ACTION_READONLY,
	  .help = N_("Offline: every key present and valid, SUBNET_TIER=private with its subnets, a Fargate "
	  "CPU/memory pair, secrets kept out of the task.  On AWS: sts get-caller-identity, the "
	  "subnets in VPC_ID and two AZs, the ECR_URI image, and for the private tier a NAT route "
	  "or the VPC endpoints (ECR api/dkr, CloudWatch Logs, S3).  Exit 2 on bad input, 3 when "
	  "AWS refuses.  deploy runs the AWS checks itself before its first change.") },
	{ .name = "validate", .summary = N_("Run the runbook's validation and acceptance checks"),
	  .options = p4b_validate_options, .exec = p4b_validate, .flags = AWSPHASE_ACTION_READONLY },
	{ .name = "diagnose", .summary = N_("Find the runbook's troubleshooting cases and name the fix"),
	  .options = p4b_diagnose_options, .exec = p4b_diagnose, .flags = AWSPHASE_ACTION_READONLY },
	{ .name = "status", .summary = N_("Service, deployments, tasks, targets and events on one screen"),
	  .options = p4b_status_options, .exec = p4b_status, .flags = AWSPHASE_ACTION_READONLY },
	{ .name = "logs", .summary = N_("Show the service's logs (aws logs tail, on CLI v1 too)"),
	  .options = p4b_logs_options, .exec = p4b_logs, .flags = AWSPHASE_ACTION_READONLY },
	{ .name = "metrics", .summary = N_("ALB request count and ECS CPU/memory from CloudWatch"),
	  .options = p4b_metrics_options, .exec = p4b_metrics, .flags = AWSPHASE_ACTION_READONLY },
	{ .name = "rollback", .summary = N_("Move the service to an earlier task definition revision and validate it"),
	  .options = p4b_rollback_options, .exec = p4b_rollback,
	  .help = N_("Lists the family's revisions (ecs list-task-definitions), moves the service to the one\n"
	  "chosen (ecs update-service --task-definition FAMILY:N), waits as deploy does, then runs\n"
	  "validate's checks.  --previous, the default, is the last revision that deployed\n"
	  "successfully other than the one in service, as deploy and rollback record it in the env\n"
	  "file (LAST_GOOD_TASK_DEF_ARN, PREVIOUS_GOOD_TASK_DEF_ARN).  A revision that does not\n"
	  "exist or is INACTIVE: exit 2 with the valid ones.  A failed deploy rolls back by itself\n"
	  "unless given --no-rollback.") },
	{ .name = "teardown", .summary = N_("Delete the service, ALB and target group in order (--all: every 4B resource)"),
	  .options = p4b_teardown_options, .exec = p4b_teardown,
	  .help = N_("In order, each step skipped when already done: desired count 0, delete the service, wait\n"
	  "until it is INACTIVE, delete the listener and the load balancer, wait until it is gone,\n"
	  "delete the target group.  --all also revokes the rules other groups hold on the 4B\n"
	  "security groups and deletes them, the log group, the cluster, the roles (policies\n"
	  "detached first) and deregisters the family's revisions.  Asks first on a terminal;\n"
	  "elsewhere it needs --yes.  Removes the keys of what it deleted from the env file.\n"
	  "Killed halfway, the next run finishes; a second run makes no change.") },
	{ .name = "run", .summary = N_("Run a command as a one-off task of the service's task definition"),
	  .options = p4b_run_options, .exec = p4b_run, .args = "COMMAND...",
	  .help = N_("A task of the revision the service runs (--revision N: of FAMILY:N; --next: of the\n"
	  "one the next deploy would register, registered now unless there already), with the\n"
	  "service's subnets, security groups and assignPublicIp, launch type FARGATE and the\n"
	  "container's command overridden by the words after --, each one argument: give a\n"
	  "shell script as -- sh -c 'npm run migrate && echo done'.  Its log lines are shown as\n"
	  "they come and it is waited for until STOPPED (the global --timeout, default 900 s).\n"
	  "Exit 0 when the container exits 0, 1 otherwise (its exit code and stopped reason in\n"
	  "the message and in JSON's run: task, revision, exit_code, reason, log).  Ctrl-C or\n"
	  "SIGTERM stops the task (ecs stop-task) before awsphase exits 130 or 143; the deadline\n"
	  "stops it too, exit 4.  Under --dry-run run-task is printed, not run.") },
	{ .name = "prune", .summary = N_("Deregister old task definition revisions, keeping the newest N"),
	  .options = p4b_prune_options, .exec = p4b_prune,
	  .help = N_("Lists the family's ACTIVE revisions (ecs list-task-definitions --status ACTIVE\n"
	  "--sort DESC) and deregisters those beyond the newest --keep N, never the one in\n"
	  "service, one a deployment of the service still runs, or the last two good ones\n"
	  "(LAST_GOOD_TASK_DEF_ARN, PREVIOUS_GOOD_TASK_DEF_ARN).  A line per revision says\n"
	  "why it is kept or that it was deregistered (INACTIVE: still describable, nothing\n"
	  "lost).  Asks first on a terminal; elsewhere it needs --yes.  --dry-run lists them.\n"
	  "A second run makes no change.") },
	{ .name = "history", .summary = N_("Show the deploy history every operator shares, newest first"),
	  .options = p4b_history_options, .exec = p4b_history, .flags = AWSPHASE_ACTION_READONLY,
	  .help = N_("Every deploy, rollback and run records one JSON event (who, when, action, image tag\n"
	  "and digest, revision, deployment, result, duration) in the log group\n"
	  "/awsphase/NAME/history of the stack (NAME: ECS_CLUSTER less -cluster), kept 400 days.\n"
	  "history reads the newest (aws logs get-log-events): a table, or --output json.  No\n"
	  "history yet: says so, exit 0.  rollback --previous reads it when the env file lacks\n"
	  "LAST_GOOD_TASK_DEF_ARN.") },
	{ NULL },
};

/* A host built before a service was appended has a smaller struct_size:
 * check for the last member this module uses. */
static int p4b_init(const struct awsphase_host *h)
{
	p4b_h = h;
	if (!AWSPHASE_HAS(h, awsphase_host, caller_identity) ||
	    !AWSPHASE_HAS(h->findings, awsphase_findings, close) ||
	    !AWSPHASE_HAS(h->engine, awsphase_engine, owned))
		return awsphase_host_too_old(h);
	return 0;
}

/* awsphase up's order: after the VPC (phase 1), the data (phase 3) and the
 * image (phase 4A) */
static const char *const provides[] = { "ALB_SG_ID", "ECS_SG_ID", "TG_ARN", "ALB_ARN", "ALB_DNS",
	"LISTENER_ARN", "TASK_DEF_ARN", "SERVICE_ARN", NULL };
static const char *const needs[] = { "VPC_ID", "PUBLIC_SUBNET_1", "PUBLIC_SUBNET_2",
	"PRIVATE_SUBNET_1", "PRIVATE_SUBNET_2", "RDS_ENDPOINT", "RDS_SG_ID", "REDIS_ENDPOINT",
	"REDIS_SG_ID", "S3_BUCKET", "SQS_QUEUE_URL", "DB_SECRET_ARN", "ECR_URI", NULL };

static struct awsphase_module phase4b = {
	.name = "4b",
	.aliases = "ecs-alb",
	.title = N_("ECS Fargate + ALB (runbook fase 4B)"),
	.env = p4b_env,
	.actions = actions,
	.init = p4b_init,
	.provides = provides,
	.needs = needs,
	.export_cfn = p4b_export_cfn,
};

AWSPHASE_MODULE(phase4b)
