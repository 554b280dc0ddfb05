/* Phase 4B's secret and least-privilege policies (issue 16): the database
 * password kept in Secrets Manager, the execution role's inline policy that
 * may read exactly that secret, and the task role's that reaches exactly
 * S3_BUCKET's objects and SQS_QUEUE_URL's queue.
 *
 * The password's value goes to AWS only in a 0600 temporary file without a
 * name (--secret-string file:///proc/PID/fd/N: the host's call_arg_file),
 * never in an argument, and is compared with the secret's by get-secret-value — a read whose answer the runner neither
 * traces nor prints — so that a second deploy changes nothing. */
#include <stdio.h>
#include <string.h>

#include "stack.h"

#define EXEC_POLICY_NAME "awsphase-db-secret"
#define TASK_POLICY_NAME "awsphase-app-access"

/* ---- the secret ------------------------------------------------------------------ */

enum { SECRET_VALUE = 1, SECRET_RESTORE = 2 };

static const char *const secret_id[] = { "--secret-id", "{name}", NULL };
static const char *const secret_none[] = { "ResourceNotFoundException", NULL };
static const char *const secret_exists[] = { "ResourceExistsException", NULL };
static const char *const secret_create[] = { "--name", "{name}", "--description",
	"DB_PASSWORD of the Kaviar backend (awsphase 4b deploy)", NULL };

/* Deploy compares the value: a second read, get-secret-value, whose
 * answer stays in memory.  Not for a secret scheduled for deletion (its
 * value cannot be read; deploy restores it) nor for the other actions. */
static int secret_pick(struct awsphase_res *r, const cJSON *answer, int step, const cJSON **item)
{
	static const char *const unreadable[] = { "InvalidRequestException", NULL };
	struct awsphase_call *call;

	if (step > 0) {
		*item = P4B_E->answer(r, 0);
		return AWSPHASE_FOUND;
	}
	*item = answer;
	if (!p4b_h->json_str(answer, "ARN"))
		return AWSPHASE_ABSENT;
	if (P4B_E->mode(r) != AWSPHASE_MODE_DEPLOY || p4b_h->json_get(answer, "DeletedDate"))
		return AWSPHASE_FOUND;
	call = P4B_E->again(r, "secretsmanager", "get-secret-value", unreadable);
	p4b_h->call_arg(call, "--secret-id");
	p4b_h->call_arg(call, p4b_h->json_str(answer, "ARN"));
	return AWSPHASE_AGAIN;
}

/* The line never says the value, only that it changes. */
static void secret_differs(struct awsphase_res *r, const cJSON *have)
{
	const char *want = p4b_h->env_get("DB_PASSWORD");
	const char *now = p4b_h->json_str(P4B_E->answer(r, 1), "SecretString");

	P4B_E->note(r, "holds DB_PASSWORD");
	if (!have)
		return;
	/* restored alone: a fix's calls run at once, and AWS refuses
	 * put-secret-value on a secret scheduled for deletion; the next
	 * deploy compares the value it comes back with */
	if (p4b_h->json_get(have, "DeletedDate"))
		P4B_E->differs(r, SECRET_RESTORE, "scheduled for deletion → restored");
	else if (!now || !want || strcmp(now, want) != 0)
		P4B_E->differs(r, SECRET_VALUE, "value → the env file's DB_PASSWORD");
}

/* create-secret's and put-secret-value's, never an argument */
static int value_arg(struct awsphase_res *r, struct awsphase_call *call)
{
	(void)r;
	return p4b_h->call_arg_file(call, "--secret-string", p4b_h->env_get("DB_PASSWORD"),
				    "DB_PASSWORD");
}

static void secret_fix(struct awsphase_res *r, const cJSON *have, unsigned what)
{
	struct awsphase_call *call;

	if (what & SECRET_RESTORE) {
		call = P4B_E->call(r, "secretsmanager", "restore-secret");
		P4B_E->args(r, call, "--secret-id", "{id}", NULL);
	}
	if (what & SECRET_VALUE) {
		call = P4B_E->call(r, "secretsmanager", "put-secret-value");
		P4B_E->args(r, call, "--secret-id", "{id}", NULL);
		value_arg(r, call);
	}
}

/* Made from DB_PASSWORD unless phase 3 gave the database's own secret.
 * Teardown leaves it: it is not listed there (deleting a secret schedules
 * it for deletion, and the password it holds is the database's). */
const struct awsphase_resource p4b_db_secret = {
	AWSPHASE_RESOURCE, .key = "db-secret", .kind = N_("secret"), .name = "{DB_SECRET_NAME}",
	.only_if = "DB_PASSWORD", .unless = "DB_SECRET_ARN",
	.find = { "secretsmanager", "describe-secret", secret_id, secret_none },
	.pick = secret_pick, .id = "ARN", .show = "{.ARN}",
	.create = { "secretsmanager", "create-secret", secret_create, secret_exists },
	.create_args = value_arg, .created = "",
	.differs = secret_differs, .fix = secret_fix,
};

/* The secret's ARN the task reads: phase 3's, else the one made here ("" when
 * neither; a placeholder while it is only planned). */
const char *p4b_db_secret_arn(struct awsphase_res *r, int *json_keys)
{
	const char *arn = p4b_h->env_get("DB_SECRET_ARN");

	*json_keys = arn && *arn;
	if (*json_keys)
		return arn;
	if (!p4b_h->env_get("DB_PASSWORD") || !*p4b_h->env_get("DB_PASSWORD"))
		return "";
	arn = P4B_E->id(r, "db-secret");
	return arn ? arn : "";
}

/* ---- inline policies: parts of their roles ----------------------------------------- */

/* arn:PARTITION:sqs:REGION:ACCOUNT:NAME of https://sqs.REGION.amazonaws.com/ACCOUNT/NAME
 * (the region: the URL's, else AWS_REGION's); 0, or -1 when url is not one. */
int p4b_queue_arn(const char *url, const char *region, char *out, size_t size)
{
	const char *host = strstr(url ? url : "", "://"), *path, *name;
	char reg[64] = "";
	size_t n;

	if (!host)
		return -1;
	host += 3;
	path = strchr(host, '/');
	if (!path || !(name = strchr(path + 1, '/')) || name - path - 1 != 12 || !name[1] ||
	    strchr(name + 1, '/'))
		return -1;
	if (strncmp(host, "sqs.", 4) == 0 && (n = strcspn(host + 4, "./")) < sizeof(reg) &&
	    strncmp(host + 4 + n, ".amazonaws.com", 14) == 0)
		snprintf(reg, sizeof(reg), "%.*s", (int)n, host + 4);
	if (!*reg)
		snprintf(reg, sizeof(reg), "%s", region);
	snprintf(out, size, "arn:%s:sqs:%s:%.12s:%s", P4B_E->partition(reg), reg, path + 1, name + 1);
	return 0;
}

/* The document the role should hold, or NULL when it needs none; *what:
 * what it allows, for the line. */
static cJSON *want_doc(struct awsphase_res *r, char *what, size_t size)
{
	static const char *const get_secret[] = { "secretsmanager:GetSecretValue", NULL };
	static const char *const objects[] = { "s3:GetObject", "s3:PutObject", "s3:DeleteObject",
		NULL };
	static const char *const list[] = { "s3:ListBucket", NULL };
	static const char *const queue[] = { "sqs:SendMessage", "sqs:ReceiveMessage",
		"sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility", NULL };
	const struct p4b *c = p4b_run_of(r)->c;
	const char *bucket = p4b_h->env_get("S3_BUCKET"), *url = p4b_h->env_get("SQS_QUEUE_URL");
	const char *part = P4B_E->partition(c->region);
	cJSON *doc = NULL;
	char res[2048];
	size_t len = 0;
	int json_keys;

	*what = '\0';
	if (strcmp(P4B_E->name(r), "exec-policy") == 0) {
		const char *arn = p4b_db_secret_arn(r, &json_keys);

		if (*arn) {
			P4B_E->iam_allow(&doc, "ReadDbSecret", get_secret, arn);
			snprintf(what, size, "GetSecretValue on %s", arn);
		}
	} else {
		if (bucket && *bucket) {
			snprintf(res, sizeof(res), "arn:%s:s3:::%s/*", part, bucket);
			P4B_E->iam_allow(&doc, "BucketObjects", objects, res);
			snprintf(res, sizeof(res), "arn:%s:s3:::%s", part, bucket);
			P4B_E->iam_allow(&doc, "ListBucket", list, res);
			len = (size_t)snprintf(what, size, "s3 %s", bucket);
		}
		if (url && *url && p4b_queue_arn(url, c->region, res, sizeof(res)) == 0) {
			P4B_E->iam_allow(&doc, "Queue", queue, res);
			if (len < size)
				snprintf(what + len, size - len, "%ssqs %s", len ? ", " : "",
					 strrchr(res, ':') + 1);
		}
	}
	return doc;
}

static const char *const exec_policy_needs[] = { "exec-role", "db-secret", NULL };
static const char *const task_policy_needs[] = { "task-role", NULL };

/* The engine finds, compares and puts them (engine.h: policy_doc); only
 * where there is something to allow: put-role-policy refuses a document
 * without statements (MalformedPolicyDocument). */
#define POLICY(var, key_, parent, needs_, name_, when)                                           \
	const struct awsphase_resource var = {                                                   \
		AWSPHASE_RESOURCE, .key = key_, .kind = N_("IAM role"), .name = key_,            \
		.only_if = when, .needs = needs_, .part_of = parent, .from = parent,             \
		.read_after = needs_, .policy = name_, .policy_doc = want_doc,                   \
	}
POLICY(p4b_exec_policy, "exec-policy", "exec-role", exec_policy_needs, EXEC_POLICY_NAME,
       "DB_SECRET_ARN|DB_PASSWORD");
POLICY(p4b_task_policy, "task-policy", "task-role", task_policy_needs, TASK_POLICY_NAME,
       "S3_BUCKET|SQS_QUEUE_URL");
