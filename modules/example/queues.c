/* A phase on the resource engine: an SQS queue whose failed messages go to
 * a dead-letter queue.  Two resources as data plus what only this phase
 * knows (the redrive policy); the engine reads, plans, applies, writes the
 * keys back and tears down.  modules/README.md walks through it.
 *   cc -shared -fPIC -o queues.so queues.c $(pkg-config --cflags --libs awsphase) */
#include <stdlib.h>
#include <string.h>

#include <awsphase/engine.h>

static const struct awsphase_host *h;

static const struct awsphase_envvar env[] = {
	{ "AWS_REGION", "[a-z]{2}(?:-gov)?-[a-z]+-[0-9]", NULL, AWSPHASE_ENV_REQUIRED, "the AWS region" },
	{ "QUEUE_NAME", "[A-Za-z0-9_-]{1,75}", "demo-jobs", 0, "the queue; its dead letters go to NAME-dlq" },
	{ "MAX_RECEIVES", "[1-9][0-9]{0,2}", "5", 0, "receives before a message is a dead letter" },
	{ "QUEUE_URL", NULL, NULL, AWSPHASE_ENV_WRITTEN, "written by deploy" },
	{ "DLQ_URL", NULL, NULL, AWSPHASE_ENV_WRITTEN, "written by deploy" },
	{ "DLQ_ARN", NULL, NULL, AWSPHASE_ENV_WRITTEN, "written by deploy" },
	{ NULL },
};

/* Found by name, then read whole: get-queue-url, get-queue-attributes. */
static const char *const by_name[] = { "--queue-name", "{name}", NULL };
static const char *const attrs[] = { "--queue-url", "{.QueueUrl}", "--attribute-names", "All", NULL };
static const char *const by_url[] = { "--queue-url", "{id}", NULL };
static const char *const none[] = { "AWS.SimpleQueueService.NonExistentQueue", NULL };
static const char *const after_dlq[] = { "dlq", NULL };
static const struct awsphase_output dlq_out[] = {
	{ "DLQ_URL", "QueueUrl" }, { "DLQ_ARN", "Attributes.QueueArn" }, { NULL } };
static const struct awsphase_output queue_out[] = { { "QUEUE_URL", "QueueUrl" }, { NULL } };

/* {"RedrivePolicy": "{\"deadLetterTargetArn\":…,\"maxReceiveCount\":…}"} */
static int redrive(struct awsphase_res *r, struct awsphase_call *call)
{
	cJSON *policy = cJSON_CreateObject(), *attributes = cJSON_CreateObject();
	char *inner, *outer;

	cJSON_AddStringToObject(policy, "deadLetterTargetArn", h->engine->expand(r, "{@dlq.Attributes.QueueArn}"));
	cJSON_AddStringToObject(policy, "maxReceiveCount", h->engine->expand(r, "{MAX_RECEIVES}"));
	inner = cJSON_PrintUnformatted(policy);
	cJSON_AddStringToObject(attributes, "RedrivePolicy", inner);
	outer = cJSON_PrintUnformatted(attributes);
	h->call_arg(call, "--attributes");
	h->call_arg(call, outer);
	cJSON_free(inner);
	cJSON_free(outer);
	cJSON_Delete(policy);
	cJSON_Delete(attributes);
	return 0;
}

/* have NULL: just created with its policy; else the policy as it is. */
static void queue_differs(struct awsphase_res *r, const cJSON *have)
{
	const struct awsphase_engine *e = h->engine;
	const char *text = h->json_str(have, "Attributes.RedrivePolicy");
	cJSON *now = cJSON_Parse(text ? text : "{}");
	const char *target = h->json_str(now, "deadLetterTargetArn");
	const char *dlq = e->expand(r, "{@dlq.Attributes.QueueArn}");
	const cJSON *count = h->json_get(now, "maxReceiveCount");
	int max = atoi(e->expand(r, "{MAX_RECEIVES}"));

	if (have && (!target || !dlq || strcmp(target, dlq) != 0 ||
		     (cJSON_IsString(count) ? atoi(count->valuestring) : (int)h->json_num(now, "maxReceiveCount", 0)) != max))
		e->differs(r, 1, "redrive %s → %s-dlq after %d receives", target ? "changed" : "none", e->name(r), max);
	e->note(r, "dead letters to %s-dlq", e->name(r));
	cJSON_Delete(now);
}

static void queue_fix(struct awsphase_res *r, const cJSON *have, unsigned what)
{
	struct awsphase_call *call = h->engine->call(r, "sqs", "set-queue-attributes");

	h->engine->args(r, call, "--queue-url", "{id}", NULL);
	redrive(r, call);
}

static const struct awsphase_resource dlq = {
	AWSPHASE_RESOURCE, .key = "dlq", .kind = "queue", .name = "{QUEUE_NAME}-dlq",
	.flags = AWSPHASE_RES_REREAD,
	.find = { "sqs", "get-queue-url", by_name, none }, .then = { "sqs", "get-queue-attributes", attrs },
	.id = "QueueUrl", .show = "{.QueueUrl}", .outputs = dlq_out,
	.create = { "sqs", "create-queue", by_name }, .created = "",
	.remove = { "sqs", "delete-queue", by_url, none },
};

static const struct awsphase_resource queue = {
	AWSPHASE_RESOURCE, .key = "queue", .kind = "queue", .name = "{QUEUE_NAME}", .needs = after_dlq,
	.find = { "sqs", "get-queue-url", by_name, none }, .then = { "sqs", "get-queue-attributes", attrs },
	.id = "QueueUrl", .show = "{.QueueUrl}", .outputs = queue_out,
	.create = { "sqs", "create-queue", by_name }, .create_args = redrive, .created = "",
	.differs = queue_differs, .fix = queue_fix,
	.remove = { "sqs", "delete-queue", by_url, none },
};

static const struct awsphase_stack_spec stack = {
	AWSPHASE_STACK, .resources = (const struct awsphase_resource *const[]){ &dlq, &queue, NULL },
};

static int yes;
static const struct poptOption teardown_options[] = {
	{ "yes", 'y', POPT_ARG_NONE, &yes, 0, "delete without asking", NULL }, POPT_TABLEEND,
};

static int deploy(const struct awsphase_host *host, int argc, const char **argv)
{
	struct awsphase_stack *s = host->engine->open(&stack, NULL);
	int rc = s ? host->engine->plan(s, NULL, NULL) : AWSPHASE_EXIT_FAILED;

	if (!rc)
		rc = host->engine->apply(s, NULL);
	host->engine->close(s);
	return rc;
}

static int teardown(const struct awsphase_host *host, int argc, const char **argv)
{
	struct awsphase_stack *s = host->engine->open(&stack, NULL);
	int rc = s ? host->engine->teardown(s, NULL, yes ? AWSPHASE_TEARDOWN_YES : 0, NULL) :
		     AWSPHASE_EXIT_FAILED;

	host->engine->close(s);
	return rc;
}

static int init(const struct awsphase_host *host)
{
	h = host;
	if (host->struct_size < offsetof(struct awsphase_host, engine) + sizeof(host->engine)) {
		host->log(AWSPHASE_LOG_ERROR, "this awsphase has no resource engine; update it");
		return AWSPHASE_EXIT_USAGE;
	}
	return 0;
}

static const struct awsphase_action actions[] = {
	{ .name = "deploy", .summary = "Create or fix the queue and its dead-letter queue", .exec = deploy },
	{ .name = "teardown", .summary = "Delete both queues", .options = teardown_options,
	  .exec = teardown },
	{ NULL },
};

static struct awsphase_module queues = {
	.name = "queues", .aliases = "q", .title = "An SQS queue and its dead-letter queue",
	.env = env, .actions = actions, .init = init,
};

AWSPHASE_MODULE(queues)
