/* Phase 3's SQS queues: the jobs queue and its dead-letter queue, both
 * encrypted (SSE-SQS), the jobs queue's failed messages going to the
 * dead-letter queue after SQS_MAX_RECEIVES receives (its redrive policy).
 * As modules/example/queues.c, with SSE.
 *
 *   key    kind   found by                                   needs
 *   dlq    queue  get-queue-url, then get-queue-attributes   -
 *   queue  queue  (the same)                                 dlq */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phase3.h"

enum { FIX_SSE = 1 << 0, FIX_REDRIVE = 1 << 1 };

static int sse_on(const cJSON *q)
{
	return p3_h->json_str(q, "Attributes.KmsMasterKeyId") ||
	       strcmp(p3_h->json_str(q, "Attributes.SqsManagedSseEnabled") ?
		      p3_h->json_str(q, "Attributes.SqsManagedSseEnabled") : "", "true") == 0;
}

/* The redrive policy as AWS would write it. */
static char *redrive_text(struct awsphase_res *r)
{
	cJSON *policy = cJSON_CreateObject();
	char *text;

	cJSON_AddStringToObject(policy, "deadLetterTargetArn", P3_E->expand(r, "{@dlq.Attributes.QueueArn}"));
	cJSON_AddNumberToObject(policy, "maxReceiveCount", atoi(p3_h->env_get("SQS_MAX_RECEIVES")));
	text = cJSON_PrintUnformatted(policy);
	cJSON_Delete(policy);
	return text;
}

/* --attributes of a create or fix: SSE, and for the jobs queue its
 * redrive policy. */
static void attributes(struct awsphase_res *r, struct awsphase_call *call, unsigned what)
{
	cJSON *attrs = cJSON_CreateObject();
	char *text;

	if (what & FIX_SSE)
		cJSON_AddStringToObject(attrs, "SqsManagedSseEnabled", "true");
	if (what & FIX_REDRIVE) {
		char *policy = redrive_text(r);

		cJSON_AddStringToObject(attrs, "RedrivePolicy", policy);
		cJSON_free(policy);
	}
	text = cJSON_PrintUnformatted(attrs);
	p3_h->call_arg(call, "--attributes");
	p3_h->call_arg(call, text);
	cJSON_free(text);
	cJSON_Delete(attrs);
}

static int is_queue(struct awsphase_res *r)
{
	return strcmp(P3_E->name(r), p3_h->env_get("SQS_QUEUE_NAME")) == 0;
}

static int create_args(struct awsphase_res *r, struct awsphase_call *call)
{
	attributes(r, call, FIX_SSE | (is_queue(r) ? FIX_REDRIVE : 0));
	return 0;
}

static void queue_differs(struct awsphase_res *r, const cJSON *have)
{
	int max = atoi(p3_h->env_get("SQS_MAX_RECEIVES"));

	if (have && !sse_on(have))
		P3_E->differs(r, FIX_SSE, "encryption off → SSE-SQS");
	if (have && is_queue(r)) {
		const char *text = p3_h->json_str(have, "Attributes.RedrivePolicy");
		cJSON *now = text ? cJSON_Parse(text) : NULL;
		const char *target = p3_h->json_str(now, "deadLetterTargetArn");
		const char *dlq = P3_E->expand(r, "{@dlq.Attributes.QueueArn}");
		const cJSON *count = p3_h->json_get(now, "maxReceiveCount");
		int n = cJSON_IsString(count) ? atoi(count->valuestring) : (int)p3_h->json_num(now,
											    "maxReceiveCount", 0);

		if (!now)
			P3_E->differs(r, FIX_REDRIVE, "redrive policy none → %s-dlq after %d receives",
				      P3_E->name(r), max);
		else if (!target || !dlq || strcmp(target, dlq) != 0 || n != max)
			P3_E->differs(r, FIX_REDRIVE, "redrive policy %s after %d → %s-dlq after %d receives",
				      target ? strrchr(target, ':') + 1 : "?", n, P3_E->name(r), max);
		cJSON_Delete(now);
	}
	if (is_queue(r))
		P3_E->note(r, "SSE, dead letters to %s-dlq after %d receives", P3_E->name(r), max);
	else
		P3_E->note(r, "SSE");
}

static void queue_fix(struct awsphase_res *r, const cJSON *have, unsigned what)
{
	struct awsphase_call *call = P3_E->call(r, "sqs", "set-queue-attributes");

	P3_E->args(r, call, "--queue-url", "{id}", NULL);
	attributes(r, call, what);
}

static const char *const by_name[] = { "--queue-name", "{name}", NULL };
static const char *const attrs[] = { "--queue-url", "{.QueueUrl}", "--attribute-names", "All", NULL };
static const char *const by_url[] = { "--queue-url", "{id}", NULL };
static const char *const none[] = { "AWS.SimpleQueueService.NonExistentQueue", NULL };
static const char *const after_dlq[] = { "dlq", NULL };
static const struct awsphase_output queue_out[] = { { "SQS_QUEUE_URL", "QueueUrl" }, { NULL } };

const struct awsphase_resource p3_dlq = {
	AWSPHASE_RESOURCE, .key = "dlq", .kind = N_("queue"), .name = "{SQS_QUEUE_NAME}-dlq",
	.flags = AWSPHASE_RES_REREAD,
	.find = { "sqs", "get-queue-url", by_name, none }, .then = { "sqs", "get-queue-attributes", attrs },
	.id = "QueueUrl", .show = "{.QueueUrl}",
	.create = { "sqs", "create-queue", by_name }, .create_args = create_args, .created = "",
	.differs = queue_differs, .fix = queue_fix,
	.remove = { "sqs", "delete-queue", by_url, none },
};

const struct awsphase_resource p3_queue = {
	AWSPHASE_RESOURCE, .key = "queue", .kind = N_("queue"), .name = "{SQS_QUEUE_NAME}",
	.needs = after_dlq,
	.find = { "sqs", "get-queue-url", by_name, none }, .then = { "sqs", "get-queue-attributes", attrs },
	.id = "QueueUrl", .show = "{.QueueUrl}", .outputs = queue_out,
	.create = { "sqs", "create-queue", by_name }, .create_args = create_args, .created = "",
	.differs = queue_differs, .fix = queue_fix,
	.remove = { "sqs", "delete-queue", by_url, none },
};
