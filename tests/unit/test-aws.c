/* The aws runner: classification of real aws CLI v1 and v2 error texts
 * (captured from the CLIs against an unreachable endpoint, moto, and a stub
 * server answering AWS error bodies), the mutating table, and, through
 * tests/unit/fake-aws, argv and env, retries with backoff, the budget,
 * timeouts, spawn errors, dry-run, tracing with quoting and redaction,
 * accepted codes and concurrent batches. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "aws.h"
#include "redact.h"
#include "run.h"
#include "strbuf.h"
#include "tap.h"
#include "wait.h"

struct fixture {
	const char *what;
	int exit_code;
	const char *text;
	enum aws_error_kind kind;
	const char *code, *operation, *message;
};

/* Verbatim stderr of aws-cli/1.45.11 (exit 255) and aws-cli/2.9.19 (254),
 * run with AWS_MAX_ATTEMPTS=1. */
static const struct fixture fixtures[] = {
	{ "v1 API error", 255,
	  "\nAn error occurred (ClusterNotFoundException) when calling the DescribeServices operation: Cluster not found.\n",
	  AWS_ERR_API, "ClusterNotFoundException", "DescribeServices", "Cluster not found." },
	{ "v2 API error with max retries", 254,
	  "\nAn error occurred (ClusterNotFoundException) when calling the DescribeServices operation (reached max retries: 0): Cluster not found.\n",
	  AWS_ERR_API, "ClusterNotFoundException", "DescribeServices", "Cluster not found." },
	{ "v2 EC2 code with a dot", 254,
	  "\nAn error occurred (InvalidGroup.NotFound) when calling the DescribeSecurityGroups operation (reached max retries: 0): The security group '{'sg-123'}' does not exist\n",
	  AWS_ERR_API, "InvalidGroup.NotFound", "DescribeSecurityGroups",
	  "The security group '{'sg-123'}' does not exist" },
	{ "v1 already exists", 255,
	  "\nAn error occurred (ResourceAlreadyExistsException) when calling the CreateLogGroup operation: The specified log group already exists\n",
	  AWS_ERR_API, "ResourceAlreadyExistsException", "CreateLogGroup",
	  "The specified log group already exists" },
	{ "v2 access denied", 254,
	  "\nAn error occurred (AccessDeniedException) when calling the DescribeServices operation (reached max retries: 0): User: arn:aws:iam::123456789012:user/dev is not authorized to perform: ecs:DescribeServices on resource: * because no identity-based policy allows the ecs:DescribeServices action\n",
	  AWS_ERR_API, "AccessDeniedException", "DescribeServices",
	  "User: arn:aws:iam::123456789012:user/dev is not authorized to perform: ecs:DescribeServices on resource: * because no identity-based policy allows the ecs:DescribeServices action" },
	{ "v1 JSON throttling", 255,
	  "\nAn error occurred (ThrottlingException) when calling the DescribeServices operation (reached max retries: 0): Rate exceeded\n",
	  AWS_ERR_THROTTLED, "ThrottlingException", "DescribeServices", "Rate exceeded" },
	{ "v2 EC2 throttling", 254,
	  "\nAn error occurred (RequestLimitExceeded) when calling the DescribeSecurityGroups operation (reached max retries: 0): Request limit exceeded.\n",
	  AWS_ERR_THROTTLED, "RequestLimitExceeded", "DescribeSecurityGroups", "Request limit exceeded." },
	{ "v1 query throttling", 255,
	  "\nAn error occurred (Throttling) when calling the DescribeLoadBalancers operation (reached max retries: 0): Rate exceeded\n",
	  AWS_ERR_THROTTLED, "Throttling", "DescribeLoadBalancers", "Rate exceeded" },
	{ "v2 ECS ServerException", 254,
	  "\nAn error occurred (ServerException) when calling the DescribeServices operation (reached max retries: 0): Service encountered an internal error.\n",
	  AWS_ERR_SERVER, "ServerException", "DescribeServices", "Service encountered an internal error." },
	{ "v1 503 ServiceUnavailableException", 255,
	  "\nAn error occurred (ServiceUnavailableException) when calling the DescribeServices operation (reached max retries: 0): Service Unavailable\n",
	  AWS_ERR_SERVER, "ServiceUnavailableException", "DescribeServices", "Service Unavailable" },
	{ "v2 bare 502 from a proxy", 254,
	  "\nAn error occurred (502) when calling the DescribeServices operation (reached max retries: 0): Bad Gateway\n",
	  AWS_ERR_SERVER, "502", "DescribeServices", "Bad Gateway" },
	{ "v1 elbv2 502 page from a proxy (XML expected)", 255,
	  "\nUnable to parse response (syntax error: line 1, column 0), invalid XML received. Further retries may succeed:\n"
	  "b'502 Bad Gateway\\n'\n",
	  AWS_ERR_SERVER, "502", "", "Bad Gateway" },
	{ "v2 elbv2 503 html page", 254,
	  "\nUnable to parse response (not well-formed (invalid token): line 1, column 2), invalid XML received. Further retries may succeed:\n"
	  "b'<html><head><title>503 Service Temporarily Unavailable</title></head></html>'\n",
	  AWS_ERR_SERVER, "503", "", "Service Temporarily Unavailable" },
	{ "v2 unparsable answer without a status", 254,
	  "\nUnable to parse response (syntax error: line 1, column 0), invalid XML received. Further retries may succeed:\nb'oops'\n",
	  AWS_ERR_SERVER, "", "", "the endpoint's answer was not AWS's (the aws CLI could not parse it)" },
	{ "v1 bare 504", 255,
	  "\nAn error occurred (504) when calling the DescribeServices operation (reached max retries: 0): Gateway Timeout\n",
	  AWS_ERR_SERVER, "504", "DescribeServices", "Gateway Timeout" },
	{ "v1 unrecognized client", 255,
	  "\nAn error occurred (UnrecognizedClientException) when calling the DescribeServices operation: The security token included in the request is invalid.\n",
	  AWS_ERR_CREDENTIALS, "UnrecognizedClientException", "DescribeServices",
	  "The security token included in the request is invalid." },
	{ "v2 expired token", 254,
	  "\nAn error occurred (ExpiredTokenException) when calling the DescribeServices operation (reached max retries: 0): The security token included in the request is expired\n",
	  AWS_ERR_CREDENTIALS, "ExpiredTokenException", "DescribeServices",
	  "The security token included in the request is expired" },
	{ "v2 STS invalid token", 254,
	  "\nAn error occurred (InvalidClientTokenId) when calling the GetCallerIdentity operation (reached max retries: 0): The security token included in the request is invalid.\n",
	  AWS_ERR_CREDENTIALS, "InvalidClientTokenId", "GetCallerIdentity",
	  "The security token included in the request is invalid." },
	{ "v1 STS expired", 255,
	  "\nAn error occurred (ExpiredToken) when calling the GetCallerIdentity operation: The security token included in the request is expired\n",
	  AWS_ERR_CREDENTIALS, "ExpiredToken", "GetCallerIdentity",
	  "The security token included in the request is expired" },
	{ "v1 connection refused", 255,
	  "\nCould not connect to the endpoint URL: \"http://127.0.0.1:9/\"\n",
	  AWS_ERR_CONNECTION, "", "", "Could not connect to the endpoint URL: \"http://127.0.0.1:9/\"" },
	{ "v2 connection refused", 255,
	  "\nCould not connect to the endpoint URL: \"http://127.0.0.1:9/\"\n",
	  AWS_ERR_CONNECTION, "", "", "Could not connect to the endpoint URL: \"http://127.0.0.1:9/\"" },
	{ "v2 read timeout", 255,
	  "\nRead timeout on endpoint URL: \"http://127.0.0.1:5056/\"\n",
	  AWS_ERR_CONNECTION, "", "", "Read timeout on endpoint URL: \"http://127.0.0.1:5056/\"" },
	{ "v1 connection closed", 255,
	  "\nConnection was closed before we received a valid response from endpoint URL: \"http://127.0.0.1:5056/\".\n",
	  AWS_ERR_CONNECTION, "", "",
	  "Connection was closed before we received a valid response from endpoint URL: \"http://127.0.0.1:5056/\"." },
	{ "v1 no credentials", 255,
	  "Unable to locate credentials. You can configure credentials by running \"aws configure\".\n",
	  AWS_ERR_CREDENTIALS, "", "",
	  "Unable to locate credentials. You can configure credentials by running \"aws configure\"." },
	{ "v2 no credentials (253)", 253,
	  "\nUnable to locate credentials. You can configure credentials by running \"aws configure\".\n",
	  AWS_ERR_CREDENTIALS, "", "",
	  "Unable to locate credentials. You can configure credentials by running \"aws configure\"." },
	{ "v2 SSO token missing", 255,
	  "\nError loading SSO Token: Token for https://example.awsapps.com/start does not exist\n",
	  AWS_ERR_CREDENTIALS, "", "",
	  "Error loading SSO Token: Token for https://example.awsapps.com/start does not exist" },
	{ "v1 unknown profile", 255,
	  "\nThe config profile (nosuch) could not be found\n",
	  AWS_ERR_CREDENTIALS, "", "", "The config profile (nosuch) could not be found" },
	{ "v1 usage error (exit 2)", 2,
	  "usage: \rNote: AWS CLI version 2, the latest major version of the AWS CLI, is now stable and recommended for general use. For more information, see the AWS CLI version 2 installation instructions at: https://docs.aws.amazon.com/cli/latest/userguide/install-cliv2.html\n\n"
	  "usage: aws [options] <command> <subcommand> [<subcommand> ...] [parameters]\nTo see help text, you can run:\n\n  aws help\n  aws <command> help\n  aws <command> <subcommand> help\n"
	  "aws: error: the following arguments are required: --services\n",
	  AWS_ERR_CLI, "", "", "aws: error: the following arguments are required: --services" },
	{ "v2 usage error (252)", 252,
	  "\nusage: aws [options] <command> <subcommand> [<subcommand> ...] [parameters]\nTo see help text, you can run:\n\n  aws help\n  aws <command> help\n  aws <command> <subcommand> help\n\n"
	  "aws: error: argument --output: Invalid choice, valid choices are:\n\njson                                     | text                                    \n"
	  "table                                    | yaml                                    \nyaml-stream                             \n\n\nInvalid choice: 'jsonx', maybe you meant:\n\n  * json\n\n",
	  AWS_ERR_CLI, "", "", "aws: error: argument --output: Invalid choice, valid choices are:" },
	{ "v1 unknown option (255)", 255,
	  "  aws <command> <subcommand> help\n\nUnknown options: --bogus, 1\n",
	  AWS_ERR_CLI, "", "", "Unknown options: --bogus, 1" },
	{ "v1 bad parameter value", 255,
	  "\ninvalid literal for int() with base 10: 'x'\n",
	  AWS_ERR_CLI, "", "", "invalid literal for int() with base 10: 'x'" },
	{ "pyenv shim without aws (127)", 127,
	  "pyenv: aws: command not found\n\nThe `aws' command exists in these Python versions:\n  3.11.7\n",
	  AWS_ERR_CLI, "", "", "the aws CLI was not found: pyenv: aws: command not found" },
	{ "invalid UTF-8 in stderr", 254,
	  "\nAn error occurred (AccessDenied) when calling the GetRole operation: bad \xff byte\n",
	  AWS_ERR_API, "AccessDenied", "GetRole", "bad ? byte" },
};

static char fake_aws[4096];
static char tmpdir[] = "/tmp/awsphase-test-aws-XXXXXX";
static char state_path[4200], noexec_path[4200];
static FILE *trace, *trace_file;

static void find_fake_aws(const char *argv0)
{
	const char *top = getenv("top_builddir");
	const char *slash = strrchr(argv0, '/');

	if (top)
		snprintf(fake_aws, sizeof(fake_aws), "%s/tests/unit/fake-aws", top);
	else if (slash)
		snprintf(fake_aws, sizeof(fake_aws), "%.*s/fake-aws", (int)(slash - argv0), argv0);
	else
		snprintf(fake_aws, sizeof(fake_aws), "./fake-aws");
}

static void configure(const char *aws_path, int dry_run, double budget_s, int timeout_ms, int jobs)
{
	struct aws_options o = {
		.aws_path = aws_path ? aws_path : fake_aws,
		.region = "us-east-2",
		.dry_run = dry_run,
		.trace = trace,
		.trace_file = trace_file,
		.retry_budget_s = budget_s,
		.call_timeout_ms = timeout_ms,
		.jobs = jobs,
	};

	aws_configure(&o);
}

/* A fresh script, invocation counter, trace and trace file. */
static void script(const char *s)
{
	setenv("FAKE_AWS_SCRIPT", s, 1);
	unlink(state_path);
	if (ftruncate(fileno(trace), 0) < 0 || ftruncate(fileno(trace_file), 0) < 0)
		diag("cannot truncate: %s", strerror(errno));
	rewind(trace);
	rewind(trace_file);
	configure(NULL, 0, 30, 10000, 4);
}

static char *slurp(FILE *f)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	size_t n;

	fflush(f);
	rewind(f);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(&sb, buf, n);
	return strbuf_detach(&sb);
}

static int invocations(void)
{
	FILE *f = fopen(state_path, "r");
	int n = 0;

	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

/* The trace file's records, as a JSON array. */
static cJSON *records(void)
{
	char *text = slurp(trace_file), *line, *save = NULL;
	cJSON *all = cJSON_CreateArray();

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		cJSON *r = cJSON_Parse(line);

		if (!r)
			diag("trace file line is not JSON: %s", line);
		else
			cJSON_AddItemToArray(all, r);
	}
	free(text);
	return all;
}

static const char *rec_str(const cJSON *records_, int i, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(records_, i), key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double rec_num(const cJSON *records_, int i, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(records_, i), key);

	return cJSON_IsNumber(v) ? v->valuedouble : -99;
}

static int rec_true(const cJSON *records_, int i, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(records_, i), key));
}

/* Captures what is written to fd (1 or 2) between begin and end. */
static int saved_fd = -1;
static char capture_path[4200];

static void capture_begin(int fd)
{
	int tmp;

	fflush(stdout);
	fflush(stderr);
	snprintf(capture_path, sizeof(capture_path), "%s/capture", tmpdir);
	tmp = open(capture_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	saved_fd = dup(fd);
	dup2(tmp, fd);
	close(tmp);
}

static char *capture_end(int fd)
{
	FILE *f;
	char *s;

	fflush(stdout);
	fflush(stderr);
	dup2(saved_fd, fd);
	close(saved_fd);
	f = fopen(capture_path, "r");
	s = f ? slurp(f) : xstrdup("");
	if (f)
		fclose(f);
	return s;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static const char *json_argv(const cJSON *json, int i)
{
	const cJSON *a = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(json, "argv"), i);

	return cJSON_IsString(a) ? a->valuestring : NULL;
}

static void test_classify(void)
{
	size_t i;

	for (i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		const struct fixture *f = &fixtures[i];
		struct aws_error e;

		aws_classify(f->exit_code, f->text, &e);
		if (!ok(e.kind == f->kind && strcmp(e.code, f->code) == 0 &&
			strcmp(e.operation, f->operation) == 0 && strcmp(e.message, f->message) == 0,
			"classify: %s", f->what))
			diag("got kind %d code '%s' op '%s' message '%s'", (int)e.kind, e.code,
			     e.operation, e.message);
	}
}

static void test_retryable(void)
{
	struct aws_error e = { 0 };
	enum aws_error_kind yes[] = { AWS_ERR_THROTTLED, AWS_ERR_SERVER, AWS_ERR_CONNECTION, AWS_ERR_TIMEOUT };
	enum aws_error_kind no[] = { AWS_ERR_API, AWS_ERR_CREDENTIALS, AWS_ERR_CLI, AWS_ERR_INTERRUPTED };
	int all_yes = 1, all_no = 1;
	size_t i;

	for (i = 0; i < 4; i++) {
		e.kind = yes[i];
		all_yes &= aws_error_retryable(&e);
		e.kind = no[i];
		all_no &= !aws_error_retryable(&e);
	}
	ok(all_yes, "throttling, 5xx, connection errors and timeouts are retried");
	ok(all_no, "API, credential, CLI errors and interrupts are not");
}

static void test_mutating(void)
{
	static const struct { const char *op; int mutating; } ops[] = {
		{ "create-service", 1 }, { "update-service", 1 }, { "delete-target-group", 1 },
		{ "register-task-definition", 1 }, { "deregister-targets", 1 },
		{ "authorize-security-group-ingress", 1 }, { "revoke-security-group-ingress", 1 },
		{ "put-retention-policy", 1 }, { "modify-target-group", 1 }, { "tag-resource", 1 },
		{ "run-task", 1 }, { "stop-task", 1 }, { "batch-delete-image", 1 },
		{ "set-subnets", 1 }, { "attach-role-policy", 1 },
		{ "describe-services", 0 }, { "list-tasks", 0 }, { "get-caller-identity", 0 },
		{ "filter-log-events", 0 }, { "tail", 0 }, { "wait", 0 }, { "get-metric-statistics", 0 },
		{ "describe-target-health", 0 }, { "batch-get-image", 0 }, { "lookup-events", 0 },
		{ "frobnicate-widget", 1 }, { "settings", 1 }, { "", 1 },
	};
	size_t i;
	int wrong = 0;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (aws_is_mutating(ops[i].op) != ops[i].mutating) {
			diag("aws_is_mutating(\"%s\") is %d", ops[i].op, aws_is_mutating(ops[i].op));
			wrong++;
		}
	ok(!wrong, "aws_is_mutating on %zu operations (unknown ones count as mutating)",
	   sizeof(ops) / sizeof(ops[0]));
}

static void test_call_argv(void)
{
	struct aws_options o = {
		.aws_path = fake_aws, .region = "us-east-2", .profile = "dev",
		.endpoint_url = "http://127.0.0.1:5055", .retry_budget_s = 10,
	};
	static const char *const want[] = { "ecs", "describe-services", "--cluster", "kaviar-cluster",
		"--region", "us-east-2", "--output", "json", "--profile", "dev",
		"--endpoint-url", "http://127.0.0.1:5055", NULL };
	struct awsphase_call *c;
	const cJSON *json, *env;
	int i, same = 1;

	script("echo");
	aws_configure(&o);
	c = aws_call_new("ecs", "describe-services");
	aws_call_arg(c, "--cluster");
	aws_call_argf(c, "%s-%s", "kaviar", "cluster");
	is_int(aws_call_run(c), 0, "a call through fake-aws succeeds");
	json = aws_call_json(c);
	for (i = 0; want[i]; i++)
		same &= json_argv(json, i) && strcmp(json_argv(json, i), want[i]) == 0;
	ok(same && !json_argv(json, i), "argv: SERVICE OP ARGS --region --output json --profile --endpoint-url");
	env = cJSON_GetObjectItemCaseSensitive(json, "env");
	ok(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(env, "AWS_PAGER")) &&
	   strcmp(cJSON_GetObjectItemCaseSensitive(env, "AWS_PAGER")->valuestring, "") == 0 &&
	   strcmp(cJSON_GetObjectItemCaseSensitive(env, "AWS_MAX_ATTEMPTS")->valuestring, "1") == 0,
	   "env: AWS_PAGER=\"\" and AWS_MAX_ATTEMPTS=1");
	ok(aws_call_state(c) == AWSPHASE_CALL_OK && aws_call_attempts(c) == 1 &&
	   strcmp(aws_call_error(c), "") == 0, "state OK after one attempt, no error code");
	aws_call_free(c);
}

static void test_output(void)
{
	struct awsphase_call *c;
	char *err;

	script("0\t\t");
	c = aws_call_new("logs", "create-log-group");
	is_int(aws_call_run(c), 0, "empty stdout of a mutating call is a success");
	ok(aws_call_state(c) == AWSPHASE_CALL_OK && aws_call_json(c) == NULL, "... with no JSON");
	aws_call_free(c);

	c = aws_call_new("ecs", "describe-services");
	capture_begin(2);
	is_int(aws_call_run(c), AWSPHASE_EXIT_NOAWS, "empty stdout of a read is a broken CLI: class 5");
	err = capture_end(2);
	ok(strstr(err, "printed nothing for a read-only call") != NULL, "... and says so: %s", err);
	free(err);
	aws_call_free(c);

	script("0\tUsage: not the aws you wanted\\n\t");
	c = aws_call_new("ecs", "describe-services");
	capture_begin(2);
	is_int(aws_call_run(c), AWSPHASE_EXIT_NOAWS, "non-JSON stdout: exit class 5");
	err = capture_end(2);
	ok(aws_call_error_info(c)->kind == AWS_ERR_CLI &&
	   strcmp(aws_call_message(c), "aws printed something that is not JSON: Usage: not the aws you wanted") == 0,
	   "... a CLI error quoting the output");
	ok(count_lines(err) == 1 && strstr(err, "awsphase: aws ecs describe-services: aws printed something"),
	   "... reported on one line: %.*s", (int)strcspn(err, "\n"), err);
	free(err);
	aws_call_free(c);
}

#define THROTTLED "255\t\t\\nAn error occurred (ThrottlingException) when calling the DescribeServices " \
	"operation (reached max retries: 0): Rate exceeded\\n"
#define DENIED "254\t\t\\nAn error occurred (AccessDeniedException) when calling the DescribeServices " \
	"operation (reached max retries: 0): User: dev is not authorized to perform: ecs:DescribeServices\\n"
#define REFUSED "255\t\t\\nCould not connect to the endpoint URL: \"http://127.0.0.1:9/\"\\n"
#define SERVER "254\t\t\\nAn error occurred (ServerException) when calling the DescribeServices " \
	"operation (reached max retries: 0): Service encountered an internal error.\\n"
#define DUPLICATE "254\t\t\\nAn error occurred (InvalidPermission.Duplicate) when calling the " \
	"AuthorizeSecurityGroupIngress operation (reached max retries: 0): the specified rule already exists\\n"

#define NOT_IDEMPOTENT "254\t\t\\nAn error occurred (InvalidParameterException) when calling the " \
	"CreateService operation: Creation of service was not idempotent.\\n"
#define BAD_PARAMETER "254\t\t\\nAn error occurred (InvalidParameterException) when calling the " \
	"CreateService operation: subnet-0 does not exist\\n"

static void test_retry(void)
{
	struct awsphase_call *c;
	struct aws_stats before, after;
	cJSON *recs;
	char *tr;

	aws_get_stats(&before);
	script(THROTTLED "\n" THROTTLED "\necho");
	c = aws_call_new("ecs", "describe-services");
	is_int(aws_call_run(c), 0, "throttled twice, then a success");
	recs = records();
	ok(aws_call_attempts(c) == 3 && cJSON_GetArraySize(recs) == 3 && invocations() == 3,
	   "three processes, three trace-file records");
	ok(rec_num(recs, 0, "attempt") == 1 && rec_num(recs, 2, "attempt") == 3 &&
	   rec_num(recs, 0, "exit") == 255 && rec_num(recs, 2, "exit") == 0 &&
	   strcmp(rec_str(recs, 1, "error"), "ThrottlingException") == 0 &&
	   cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(recs, 2), "error")),
	   "records carry attempt, exit and error");
	ok(rec_num(recs, 0, "ms") >= 0 && !rec_true(recs, 0, "mutating") && !rec_true(recs, 0, "dry_run"),
	   "... and ms, mutating false, dry_run false");
	tr = slurp(trace);
	ok(strstr(tr, "# retry 2 after ThrottlingException (backoff ") &&
	   strstr(tr, "# retry 3 after ThrottlingException (backoff "), "the trace notes each retry");
	ok(count_lines(tr) == 5, "three command lines and two notes in the trace");
	aws_get_stats(&after);
	ok(after.processes - before.processes == 3 && after.retries - before.retries == 2 &&
	   after.calls - before.calls == 1, "stats: 1 call, 3 processes, 2 retries");
	free(tr);
	cJSON_Delete(recs);
	aws_call_free(c);

	script(REFUSED "\n" SERVER "\necho");
	c = aws_call_new("ecs", "describe-services");
	ok(aws_call_run(c) == 0 && aws_call_attempts(c) == 3,
	   "a connection error and a 5xx are retried too");
	aws_call_free(c);
}

static void test_no_retry(void)
{
	struct awsphase_call *c;
	char *err;

	script(DENIED "\necho");
	c = aws_call_new("ecs", "describe-services");
	capture_begin(2);
	is_int(aws_call_run(c), AWSPHASE_EXIT_AWS, "access denied: exit class 3");
	err = capture_end(2);
	ok(aws_call_attempts(c) == 1 && invocations() == 1, "not retried");
	ok(aws_call_state(c) == AWSPHASE_CALL_FAILED && strcmp(aws_call_error(c), "AccessDeniedException") == 0,
	   "FAILED with the AWS code");
	ok(count_lines(err) == 1 &&
	   strncmp(err, "awsphase: aws ecs describe-services: AccessDeniedException: User: dev is not "
		   "authorized to perform: ecs:DescribeServices; ", 101) == 0,
	   "one error line: %.*s", (int)strcspn(err, "\n"), err);
	free(err);
	aws_call_free(c);

	script("252\t\t\\naws: error: argument --output: Invalid choice\\n\necho");
	c = aws_call_new("ecs", "describe-services");
	capture_begin(2);
	is_int(aws_call_run(c), AWSPHASE_EXIT_NOAWS, "a usage error: exit class 5, not retried");
	free(capture_end(2));
	is_int(aws_call_attempts(c), 1, "... one attempt");
	aws_call_free(c);

	script("255\t\t\\nUnable to locate credentials. You can configure credentials by running \"aws configure\".\\n");
	c = aws_call_new("sts", "get-caller-identity");
	capture_begin(2);
	is_int(aws_call_run(c), AWSPHASE_EXIT_AWS, "no credentials: exit class 3");
	err = capture_end(2);
	ok(strstr(err, "; check `aws sts get-caller-identity` / --profile\n") != NULL,
	   "... with a hint: %.*s", (int)strcspn(err, "\n"), err);
	free(err);
	aws_call_free(c);
}

static void test_budget(void)
{
	struct awsphase_call *c;
	long t0;
	char *err;

	script(THROTTLED);
	configure(NULL, 0, 1.5, 10000, 4);
	c = aws_call_new("ecs", "describe-services");
	t0 = run_now_ms();
	capture_begin(2);
	is_int(aws_call_run(c), AWSPHASE_EXIT_TIMEOUT, "always throttled: exit class 4");
	err = capture_end(2);
	ok(run_now_ms() - t0 < 3000 && aws_call_attempts(c) >= 2,
	   "gave up within the 1.5 s budget (%ld ms, %d attempts)", run_now_ms() - t0,
	   aws_call_attempts(c));
	ok(count_lines(err) == 1 && strstr(err, "ThrottlingException: Rate exceeded (gave up after ") &&
	   strstr(err, "; AWS is throttling this account; retry later\n"), "one line: %.*s", (int)strcspn(err, "\n"), err);
	free(err);
	aws_call_free(c);

	script("hang");
	configure(NULL, 0, 1.0, 300, 4);
	c = aws_call_new("ecs", "describe-services");
	t0 = run_now_ms();
	capture_begin(2);
	is_int(aws_call_run(c), AWSPHASE_EXIT_TIMEOUT, "a hanging aws: exit class 4");
	free(capture_end(2));
	ok(aws_call_error_info(c)->kind == AWS_ERR_TIMEOUT && aws_call_attempts(c) >= 2 &&
	   run_now_ms() - t0 < 4000, "killed at 300 ms and retried inside the budget (%d attempts)",
	   aws_call_attempts(c));
	aws_call_free(c);
}

static void test_missing_cli(void)
{
	struct awsphase_call *c;
	char *err;
	int fd;

	script("echo");
	configure("/nonexistent/aws", 0, 10, 1000, 1);
	c = aws_call_new("ecs", "describe-services");
	capture_begin(2);
	is_int(aws_call_run(c), AWSPHASE_EXIT_NOAWS, "--aws /nonexistent/aws: exit class 5");
	err = capture_end(2);
	ok(strcmp(err, "awsphase: aws ecs describe-services: cannot run '/nonexistent/aws': no such file; "
		   "install the aws CLI or pass --aws PATH\n") == 0, "one line: %.*s", (int)strcspn(err, "\n"), err);
	ok(aws_call_attempts(c) == 1, "not retried");
	free(err);
	aws_call_free(c);

	configure("awsphase-test-no-such-aws", 0, 10, 1000, 1);
	c = aws_call_new("ecs", "describe-services");
	capture_begin(2);
	is_int(aws_call_run(c), AWSPHASE_EXIT_NOAWS, "an aws not on PATH: exit class 5");
	err = capture_end(2);
	ok(strstr(err, "cannot run 'awsphase-test-no-such-aws': not found on PATH; install the aws CLI") != NULL,
	   "says not found on PATH");
	free(err);
	aws_call_free(c);

	fd = open(noexec_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0)
		close(fd);
	configure(noexec_path, 0, 10, 1000, 1);
	c = aws_call_new("ecs", "describe-services");
	capture_begin(2);
	is_int(aws_call_run(c), AWSPHASE_EXIT_NOAWS, "an aws without x permission: exit class 5");
	err = capture_end(2);
	ok(strstr(err, "not executable") != NULL, "says not executable");
	free(err);
	aws_call_free(c);

	fd = open(noexec_path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (fd >= 0) {
		if (write(fd, "#!/nonexistent/interpreter\n", 27) != 27)
			diag("cannot write %s", noexec_path);
		close(fd);
	}
	chmod(noexec_path, 0755);
	c = aws_call_new("ecs", "describe-services");
	capture_begin(2);
	is_int(aws_call_run(c), AWSPHASE_EXIT_NOAWS, "an aws whose #! interpreter is missing: exit class 5");
	err = capture_end(2);
	ok(strstr(err, "': its interpreter (the #! line) was not found; install the aws CLI") != NULL,
	   "says the interpreter is missing, not the file: %.*s", (int)strcspn(err, "\n"), err);
	free(err);
	aws_call_free(c);
}

static void test_accept(void)
{
	struct awsphase_call *c;
	char *err;

	script(DUPLICATE);
	c = aws_call_new("ec2", "authorize-security-group-ingress");
	aws_call_accept(c, "InvalidPermission.Duplicate");
	capture_begin(2);
	is_int(aws_call_run(c), 0, "an accepted error code is a success");
	err = capture_end(2);
	ok(aws_call_state(c) == AWSPHASE_CALL_ACCEPTED && aws_call_json(c) == NULL &&
	   strcmp(aws_call_error(c), "InvalidPermission.Duplicate") == 0,
	   "state ACCEPTED, the code still readable");
	is_str(err, "", "nothing reported");
	free(err);
	aws_call_free(c);

	/* a code AWS gives to many errors: accepted with its message only */
	script(NOT_IDEMPOTENT);
	c = aws_call_new("ecs", "create-service");
	aws_call_accept(c, "InvalidParameterException: Creation of service was not idempotent");
	capture_begin(2);
	is_int(aws_call_run(c), 0, "code and message start accepted: a success");
	free(capture_end(2));
	ok(aws_call_state(c) == AWSPHASE_CALL_ACCEPTED, "state ACCEPTED");
	aws_call_free(c);
	script(BAD_PARAMETER);
	c = aws_call_new("ecs", "create-service");
	aws_call_accept(c, "InvalidParameterException: Creation of service was not idempotent");
	capture_begin(2);
	is_int(aws_call_run(c), AWSPHASE_EXIT_AWS, "the same code with another message: still an error");
	err = capture_end(2);
	ok(aws_call_state(c) == AWSPHASE_CALL_FAILED && strstr(err, "subnet-0") != NULL,
	   "FAILED, and reported: %.*s", (int)strcspn(err, "\n"), err);
	free(err);
	aws_call_free(c);
}

static void test_dry_run(void)
{
	struct awsphase_call *c;
	cJSON *recs;
	char *out, *want;
	struct strbuf sb = STRBUF_INIT;
	int rc;

	script("echo");
	configure(NULL, 1, 10, 5000, 4);
	c = aws_call_new("ecs", "create-service");
	aws_call_arg(c, "--service-name");
	aws_call_arg(c, "kaviar backend");
	capture_begin(1);
	rc = aws_call_run(c);
	out = capture_end(1);
	is_int(rc, 0, "dry-run: a mutating call returns 0");
	strbuf_addf(&sb, "would run: %s ecs create-service --service-name 'kaviar backend' "
		    "--region us-east-2 --output json\n", fake_aws);
	want = strbuf_detach(&sb);
	is_str(out, want, "... prints would run: on stdout");
	ok(aws_call_state(c) == AWSPHASE_CALL_DRY_RUN && invocations() == 0, "... and does not run it");
	recs = records();
	ok(cJSON_GetArraySize(recs) == 1 && rec_true(recs, 0, "dry_run") && rec_true(recs, 0, "mutating") &&
	   rec_num(recs, 0, "exit") == -1, "... recorded with dry_run true, exit -1");
	cJSON_Delete(recs);
	free(out);
	free(want);
	aws_call_free(c);

	c = aws_call_new("ecs", "describe-services");
	is_int(aws_call_run(c), 0, "dry-run: a read-only call runs");
	ok(aws_call_state(c) == AWSPHASE_CALL_OK && invocations() == 1 && aws_call_json(c),
	   "... for real, with its JSON");
	aws_call_free(c);
}

static void test_trace_quoting(void)
{
	struct awsphase_call *c;
	struct strbuf sb = STRBUF_INIT;
	const char *argv[4] = { "sh", "-c", NULL, NULL };
	struct run_cmd replay = { .argv = argv };
	char *tr, *tf, *want;
	cJSON *json;

	redact_add("s3cr3t");
	script("echo");
	c = aws_call_new("ssm", "put-parameter");
	aws_call_arg(c, "--name");
	aws_call_arg(c, "a b");
	aws_call_arg(c, "it's");
	aws_call_arg(c, "$(rm -rf /)");
	aws_call_arg(c, "x;y");
	aws_call_arg(c, "--value=s3cr3t");
	is_int(aws_call_run(c), 0, "a call with awkward arguments");
	tr = slurp(trace);
	strbuf_addf(&sb, "+ %s ssm put-parameter --name 'a b' 'it'\\''s' '$(rm -rf /)' 'x;y' "
		    "'--value=***' --region us-east-2 --output json\n", fake_aws);
	want = strbuf_detach(&sb);
	is_str(tr, want, "trace: quoted only where needed, secret redacted");
	ok(strcmp(json_argv(aws_call_json(c), 7), "--value=s3cr3t") == 0, "the CLI itself got the secret");
	tf = slurp(trace_file);
	ok(!strstr(tf, "s3cr3t") && strstr(tf, "\"--value=***\"") && strstr(tf, "\"$(rm -rf /)\""),
	   "trace file: argv redacted");

	/* copy-pasteable: the shell gives back the same argv */
	argv[2] = tr + 2;
	tr[strlen(tr) - 1] = '\0';
	run_cmd(&replay);
	json = cJSON_Parse(replay.out);
	ok(json && strcmp(json_argv(json, 3), "a b") == 0 && strcmp(json_argv(json, 4), "it's") == 0 &&
	   strcmp(json_argv(json, 5), "$(rm -rf /)") == 0 && strcmp(json_argv(json, 6), "x;y") == 0 &&
	   strcmp(json_argv(json, 7), "--value=***") == 0, "the trace line pasted into sh runs the same argv");
	cJSON_Delete(json);
	run_cmd_release(&replay);
	free(tr);
	free(tf);
	free(want);
	aws_call_free(c);
	redact_clear();
}

static void test_run_all(void)
{
	struct awsphase_call *calls[4];
	char *tr, *p;
	long t0, wall;
	int i, mapped = 1, ordered = 1;
	cJSON *recs;

	script("echo@600");
	for (i = 0; i < 4; i++) {
		calls[i] = aws_call_new("ecs", "describe-services");
		aws_call_argf(calls[i], "--marker=m%d", i);
	}
	t0 = run_now_ms();
	is_int(aws_call_run_all(calls, 4), 0, "four calls at once");
	wall = run_now_ms() - t0;
	ok(wall < 1800, "they overlap: %ld ms for 4 x 600 ms", wall);
	for (i = 0; i < 4; i++) {
		char want[32];

		snprintf(want, sizeof(want), "--marker=m%d", i);
		mapped &= aws_call_json(calls[i]) && strcmp(json_argv(aws_call_json(calls[i]), 2), want) == 0;
	}
	ok(mapped, "each call got its own answer");
	tr = slurp(trace);
	for (i = 0, p = tr; i < 4; i++) {
		char want[32];

		snprintf(want, sizeof(want), "--marker=m%d", i);
		p = strstr(p, want);
		ordered &= p != NULL;
		if (!p)
			break;
	}
	ok(ordered && count_lines(tr) == 4, "traced in array order");
	free(tr);
	for (i = 0; i < 4; i++)
		aws_call_free(calls[i]);

	/* one job at a time, so invocation order is array order */
	script("echo\n" THROTTLED "\necho\necho\n" DENIED);
	configure(NULL, 0, 30, 5000, 1);
	for (i = 0; i < 4; i++)
		calls[i] = aws_call_new("ecs", "describe-services");
	capture_begin(2);
	is_int(aws_call_run_all(calls, 4), AWSPHASE_EXIT_AWS, "a batch with a failure returns its class");
	free(capture_end(2));
	ok(aws_call_state(calls[0]) == AWSPHASE_CALL_OK && aws_call_state(calls[2]) == AWSPHASE_CALL_OK,
	   "the others succeeded");
	ok(aws_call_state(calls[1]) == AWSPHASE_CALL_FAILED && aws_call_attempts(calls[1]) == 2 &&
	   strcmp(aws_call_error(calls[1]), "AccessDeniedException") == 0,
	   "the throttled one was retried (and then denied)");
	ok(aws_call_state(calls[3]) == AWSPHASE_CALL_OK, "the fourth ran before the retry");
	recs = records();
	is_int(cJSON_GetArraySize(recs), 5, "five processes recorded");
	cJSON_Delete(recs);
	for (i = 0; i < 4; i++)
		aws_call_free(calls[i]);
}

static int simple(cJSON **out, const char *service, const char *operation, ...)
{
	va_list ap;
	int rc;

	va_start(ap, operation);
	rc = aws_vsimple(out, service, operation, ap);
	va_end(ap);
	return rc;
}

static void test_simple(void)
{
	cJSON *json = NULL;

	script("echo");
	is_int(simple(&json, "elbv2", "describe-load-balancers", "--names", "kaviar-alb", NULL), 0,
	       "aws_vsimple: new + args + run");
	ok(json && strcmp(json_argv(json, 3), "kaviar-alb") == 0, "... *out owns the JSON");
	cJSON_Delete(json);

	script(DENIED);
	json = (cJSON *)1;
	capture_begin(2);
	is_int(simple(&json, "ecs", "describe-services", NULL), AWSPHASE_EXIT_AWS, "aws_vsimple failing: 3");
	free(capture_end(2));
	ok(json == NULL, "... *out NULL");
}

static void on_alarm(int sig)
{
	(void)sig;
	run_interrupt();
}

static int never_done(void *ctx, char *state, size_t size, int *exit_code)
{
	(void)ctx;
	(void)exit_code;
	snprintf(state, size, "PENDING");
	return 0;
}

/* The run's deadline (--timeout) caps a call's budget and deadline and a
 * wait's timeout, however long they ask for, and says so in one line. */
static void test_run_deadline(void)
{
	struct awsphase_wait w = { .what = "the thing to settle", .interval_s = 0.2,
				   .timeout_s = 600, .poll = never_done };
	struct awsphase_call *c;
	long t0;
	char *err;

	script("hang");
	configure(NULL, 0, 120, 120000, 4);
	run_mark_start();
	run_set_deadline(1.0);
	c = aws_call_new("ecs", "describe-services");
	t0 = run_now_ms();
	capture_begin(2);
	is_int(aws_call_run(c), AWSPHASE_EXIT_TIMEOUT, "a hanging aws, 120 s budget, run deadline 1 s: exit class 4");
	err = capture_end(2);
	t0 = run_now_ms() - t0;
	ok(t0 < 2000 && aws_call_attempts(c) == 1, "over at the run's deadline (%ld ms), not retried", t0);
	ok(count_lines(err) == 1 && strstr(err, "no answer before the run's --timeout of 1 s ran out; raise --timeout"),
	   "one line: %.*s", (int)strcspn(err, "\n"), err);
	free(err);
	aws_call_free(c);

	run_mark_start();
	run_set_deadline(1.0);
	t0 = run_now_ms();
	capture_begin(2);
	is_int(wait_run(&w, 900), AWSPHASE_EXIT_TIMEOUT, "a 600 s wait, run deadline 1 s: exit 4");
	err = capture_end(2);
	t0 = run_now_ms() - t0;
	ok(t0 >= 900 && t0 < 1600, "over at the run's deadline (%ld ms)", t0);
	ok(count_lines(err) == 1 && strstr(err, "the run's --timeout of 1 s ran out waiting for the thing to settle; still: PENDING"),
	   "one line: %.*s", (int)strcspn(err, "\n"), err);
	free(err);
	run_set_deadline(0);
}

static void test_interrupt(void)
{
	struct itimerval it = { { 0, 0 }, { 0, 300000 } };
	struct awsphase_call *c;
	struct sigaction sa;
	char *err;
	long t0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	script("hang");
	c = aws_call_new("ecs", "describe-services");
	setitimer(ITIMER_REAL, &it, NULL);
	t0 = run_now_ms();
	capture_begin(2);
	is_int(aws_call_run(c), AWSPHASE_EXIT_INTERRUPTED, "interrupted: exit class 130");
	err = capture_end(2);
	ok(run_now_ms() - t0 < 2000 && aws_call_error_info(c)->kind == AWS_ERR_INTERRUPTED,
	   "at once, kind INTERRUPTED, no retry");
	is_str(err, "", "no error line (main reports the signal)");
	free(err);
	aws_call_free(c);
}

/* A trace file that cannot be written: one warning, the calls go on. */
static void test_trace_file_full(void)
{
	FILE *full = fopen("/dev/full", "a");
	struct aws_options o = { .aws_path = fake_aws, .region = "us-east-2", .jobs = 1,
				 .trace_file_name = "/dev/full" };
	struct awsphase_call *c;
	char *err;
	int i, rc = 0;

	if (!full) {
		ok(1, "# SKIP no /dev/full");
		ok(1, "# SKIP no /dev/full");
		return;
	}
	o.trace_file = full;
	setenv("FAKE_AWS_SCRIPT", "0\t{}\t", 1);
	aws_configure(&o);
	capture_begin(2);
	for (i = 0; i < 3; i++) {
		c = aws_call_new("ecs", "describe-services");
		rc |= aws_call_run(c);
		aws_call_free(c);
	}
	err = capture_end(2);
	is_int(rc, 0, "three calls with the trace file on /dev/full all succeed");
	ok(count_lines(err) == 1 &&
	   strstr(err, "awsphase: warning: --trace-file /dev/full: cannot write: ") &&
	   strstr(err, "; free some space or give another path"), "and it is said once: %s", err);
	free(err);
	fclose(full);
}

int main(int argc, char **argv)
{
	(void)argc;
	find_fake_aws(argv[0]);
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(state_path, sizeof(state_path), "%s/state", tmpdir);
	snprintf(noexec_path, sizeof(noexec_path), "%s/aws", tmpdir);
	setenv("FAKE_AWS_STATE", state_path, 1);
	trace = tmpfile();
	trace_file = tmpfile();

	plan(119);
	test_classify();
	test_retryable();
	test_mutating();
	test_call_argv();
	test_output();
	test_retry();
	test_no_retry();
	test_budget();
	test_missing_cli();
	test_accept();
	test_dry_run();
	test_trace_quoting();
	test_run_all();
	test_simple();
	test_trace_file_full();
	test_run_deadline();
	test_interrupt();

	aws_shutdown();
	fclose(trace);
	fclose(trace_file);
	unlink(state_path);
	unlink(noexec_path);
	unlink(capture_path);
	rmdir(tmpdir);
	return done();
}
