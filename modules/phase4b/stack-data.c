/* What phase 4B's actions read but never change (AWSPHASE_RES_DATA): the
 * target group's health, the service's tasks, the log lines, the revision
 * in service, the tasks' network interfaces, and preflight's subnets,
 * image, route tables and VPC endpoints. */
#include <stdio.h>
#include <string.h>

#include "stack.h"

#define TASKS_MAX 100 /* describe-tasks takes at most 100 ARNs */

/* ---- target health, tasks ------------------------------------------------------------ */

static const char *const targets_find[] = { "--target-group-arn", "{@tg}", NULL };
static const char *const targets_none[] = { "TargetGroupNotFound", NULL };

const struct awsphase_resource p4b_targets = {
	AWSPHASE_RESOURCE, .key = "targets", .kind = N_("target group"), .name = "{TG_NAME}",
	.flags = AWSPHASE_RES_DATA,
	.find = { "elbv2", "describe-target-health", targets_find, targets_none },
	.item = "TargetHealthDescriptions",
};

/* list-tasks, then describe-tasks of what it listed (none: an empty list). */
static int tasks_pick(struct awsphase_res *r, const cJSON *answer, int step, const cJSON **item)
{
	const cJSON *arn;
	struct awsphase_call *call;
	int n = 0;

	if (step == 1) {
		*item = p4b_h->json_get(answer, "tasks");
		return AWSPHASE_FOUND;
	}
	*item = p4b_h->json_get(answer, "taskArns");
	if (!cJSON_GetArraySize(*item))
		return AWSPHASE_FOUND;
	call = P4B_E->again(r, "ecs", "describe-tasks", NULL);
	P4B_E->args(r, call, "--cluster", "{ECS_CLUSTER}", "--tasks", NULL);
	cJSON_ArrayForEach(arn, *item)
		if (cJSON_IsString(arn) && n++ < TASKS_MAX)
			p4b_h->call_arg(call, arn->valuestring);
	return AWSPHASE_AGAIN;
}

static const char *const tasks_find[] = { "--cluster", "{ECS_CLUSTER}", "--service-name",
	"{ECS_SERVICE}", NULL };
static const char *const stopped_find[] = { "--cluster", "{ECS_CLUSTER}", "--service-name",
	"{ECS_SERVICE}", "--desired-status", "STOPPED", NULL };
static const char *const tasks_none[] = { "ClusterNotFoundException", "ServiceNotFoundException",
	NULL };

const struct awsphase_resource p4b_tasks = {
	AWSPHASE_RESOURCE, .key = "tasks", .kind = N_("service"), .name = "{ECS_SERVICE}",
	.flags = AWSPHASE_RES_DATA,
	.find = { "ecs", "list-tasks", tasks_find, tasks_none }, .pick = tasks_pick,
};

const struct awsphase_resource p4b_stopped_tasks = {
	AWSPHASE_RESOURCE, .key = "stopped-tasks", .kind = N_("service"), .name = "{ECS_SERVICE}",
	.flags = AWSPHASE_RES_DATA,
	.find = { "ecs", "list-tasks", stopped_find, tasks_none }, .pick = tasks_pick,
};

/* ---- logs, the revision in service, the tasks' ENIs --------------------------------------- */

static int logs_args(struct awsphase_res *r, struct awsphase_call *call)
{
	struct p4b_run *run = p4b_run_of(r);

	p4b_h->call_arg(call, "--start-time");
	p4b_h->call_argf(call, "%lld", run->logs_start_ms);
	if (run->logs_filter) {
		p4b_h->call_arg(call, "--filter-pattern");
		p4b_h->call_arg(call, run->logs_filter);
	}
	return AWSPHASE_FOUND;
}

static const char *const logs_find[] = { "--log-group-name", "{LOG_GROUP}", NULL };
static const char *const logs_none[] = { "ResourceNotFoundException", NULL };

const struct awsphase_resource p4b_logs_res = {
	AWSPHASE_RESOURCE, .key = "logs", .kind = N_("log group"), .name = "{LOG_GROUP}",
	.flags = AWSPHASE_RES_DATA,
	.find = { "logs", "filter-log-events", logs_find, logs_none }, .find_args = logs_args,
};

static const char *const service_td_find[] = { "--task-definition", "{@service.taskDefinition}",
	NULL };
static const char *const td_none[] = { "ClientException", NULL };

const struct awsphase_resource p4b_service_td = {
	AWSPHASE_RESOURCE, .key = "service-td", .kind = N_("task definition"), .name = "{TASK_FAMILY}",
	.flags = AWSPHASE_RES_DATA,
	.find = { "ecs", "describe-task-definition", service_td_find, td_none },
	.item = "taskDefinition",
};

/* The running tasks' ENIs, for the groups they carry. */
static int enis_args(struct awsphase_res *r, struct awsphase_call *call)
{
	const cJSON *t;
	int n = 0;

	cJSON_ArrayForEach(t, P4B_E->item(r, "tasks")) {
		const char *eni = p4b_task_detail(t, "networkInterfaceId");

		if (!eni)
			continue;
		if (!n++)
			p4b_h->call_arg(call, "--network-interface-ids");
		p4b_h->call_arg(call, eni);
	}
	return n ? AWSPHASE_FOUND : AWSPHASE_ABSENT;
}

static const char *const after_tasks[] = { "tasks", NULL };
static const char *const enis_none[] = { "InvalidNetworkInterfaceID.NotFound", NULL };

const struct awsphase_resource p4b_enis = {
	AWSPHASE_RESOURCE, .key = "enis", .kind = N_("service"), .name = "{ECS_SERVICE}",
	.flags = AWSPHASE_RES_DATA, .read_after = after_tasks,
	.find = { "ec2", "describe-network-interfaces", NULL, enis_none }, .find_args = enis_args,
	.item = "NetworkInterfaces",
};

/* ---- preflight's ---------------------------------------------------------------------- */

/* The subnets tasks and the ALB use (the private ones only for that tier). */
static int subnets_args(struct awsphase_res *r, struct awsphase_call *call)
{
	const struct p4b *c = p4b_run_of(r)->c;

	p4b_h->call_arg(call, "--subnet-ids");
	p4b_h->call_arg(call, c->public_subnet[0]);
	p4b_h->call_arg(call, c->public_subnet[1]);
	if (strcmp(c->tier, "private") == 0) {
		p4b_h->call_arg(call, c->private_subnet[0]);
		p4b_h->call_arg(call, c->private_subnet[1]);
	}
	return AWSPHASE_FOUND;
}

static const char *const subnets_none[] = { "InvalidSubnetID.NotFound", "InvalidSubnetID.Malformed",
	NULL };

const struct awsphase_resource p4b_subnets = {
	AWSPHASE_RESOURCE, .key = "subnets", .kind = N_("subnets"), .name = "{VPC_ID}",
	.flags = AWSPHASE_RES_DATA,
	.find = { "ec2", "describe-subnets", NULL, subnets_none }, .find_args = subnets_args,
};

/* ECR_URI's image, when it is in this region (the host puts --region on
 * every call, so another region's registry cannot be asked); not for
 * teardown, which reads the task definitions that name it. */
static int image_args(struct awsphase_res *r, struct awsphase_call *call)
{
	const struct p4b *c = p4b_run_of(r)->c;
	struct p4b_image im;

	if (P4B_E->mode(r) == AWSPHASE_MODE_TEARDOWN || p4b_parse_image(c->ecr_uri, &im) < 0 ||
	    strcmp(im.region, c->region) != 0)
		return AWSPHASE_ABSENT;
	p4b_h->call_arg(call, "--registry-id");
	p4b_h->call_arg(call, im.account);
	p4b_h->call_arg(call, "--repository-name");
	p4b_h->call_arg(call, im.repo);
	p4b_h->call_arg(call, "--image-ids");
	p4b_h->call_argf(call, im.digest[0] ? "imageDigest=%s" : "imageTag=%s",
			 im.digest[0] ? im.digest : im.tag);
	return AWSPHASE_FOUND;
}

static const char *const image_none[] = { "RepositoryNotFoundException", "ImageNotFoundException",
	NULL };

const struct awsphase_resource p4b_image = {
	AWSPHASE_RESOURCE, .key = "image", .kind = N_("ECR image"), .name = "{ECR_URI}",
	.flags = AWSPHASE_RES_DATA,
	.find = { "ecr", "describe-images", NULL, image_none }, .find_args = image_args,
	.item = "imageDetails.0",
};

static const char *const in_vpc[] = { "--filters", "Name=vpc-id,Values={VPC_ID}", NULL };

const struct awsphase_resource p4b_route_tables = {
	AWSPHASE_RESOURCE, .key = "route-tables", .kind = "route tables", .name = "{VPC_ID}",
	.flags = AWSPHASE_RES_DATA, .find = { "ec2", "describe-route-tables", in_vpc },
};

const struct awsphase_resource p4b_endpoints = {
	AWSPHASE_RESOURCE, .key = "endpoints", .kind = "VPC endpoints", .name = "{VPC_ID}",
	.flags = AWSPHASE_RES_DATA, .find = { "ec2", "describe-vpc-endpoints", in_vpc },
};
