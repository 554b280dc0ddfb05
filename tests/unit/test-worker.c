/* The aws CLI worker pool (core/worker.c, core/aws-worker.py): the wire
 * format both ways, a pool of N used concurrently, a worker that dies or
 * misses its deadline (killed, replaced, the call rerun as a process), an
 * interrupt; then against the local AWS with the real CLI v2 (and v1 when
 * present): answers, error texts and exit codes, and trace-file lines
 * identical to exec mode, and a worker killed mid-call.  The protocol tests
 * use the helper's echo mode (AWSPHASE_AWS_WORKER_TEST=echo), which imports
 * nothing; exec fallbacks there run tests/unit/fake-aws.  Each exec'd aws
 * costs ~1 s, so there are five. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "aws.h"
#include "run.h"
#include "strbuf.h"
#include "tap.h"
#include "worker.h"

#define AWS_V2 "/usr/bin/aws"

static char fake_aws[4096];
static const char *child_env[] = { "AWS_PAGER=", "AWS_MAX_ATTEMPTS=1", NULL };

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

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void cmd_init(struct run_cmd *c, const char **argv, int timeout_ms)
{
	memset(c, 0, sizeof(*c));
	c->argv = argv;
	c->env = child_env;
	c->timeout_ms = timeout_ms;
}

static int gone(pid_t pid)
{
	int i;

	for (i = 0; i < 200; i++) {
		if (kill(pid, 0) < 0 && errno == ESRCH)
			return 1;
		sleep_ms(10);
	}
	return 0;
}

static void test_modes(void)
{
	enum worker_mode m = WORKER_MODE_EXEC;

	ok(worker_parse_mode("auto", &m) == 0 && m == WORKER_MODE_AUTO &&
	   worker_parse_mode("worker", &m) == 0 && m == WORKER_MODE_WORKER &&
	   worker_parse_mode("exec", &m) == 0 && m == WORKER_MODE_EXEC,
	   "modes auto, worker and exec parse");
	ok(worker_parse_mode("Worker", &m) < 0 && worker_parse_mode("", &m) < 0 &&
	   worker_parse_mode(NULL, &m) < 0, "anything else does not");
}

static void test_frames(void)
{
	static const char want[] = "\0\0\0\x1b" "Q" "\0\0\0\1" "\0\0\0\3" "A=b"
				   "\0\0\0\2" "\0\0\0\3" "aws" "\0\0\0\0";
	const char *env[] = { "A=b", NULL }, *argv[] = { "aws", "", NULL };
	struct strbuf sb = STRBUF_INIT;
	const char reply[] = "R\xff\xff\xff\xfe" "\0\0\0\2" "{}" "\0\0\0\1" "!";
	const char *out, *err;
	size_t out_len, err_len;
	int code = 0;

	worker_encode_request(&sb, env, argv);
	ok(sb.len == sizeof(want) - 1 && memcmp(sb.buf, want, sb.len) == 0,
	   "a request frame: length, 'Q', env and argv as counted strings (an empty one too)");
	ok(worker_decode_reply(reply, sizeof(reply) - 1, &code, &out, &out_len, &err, &err_len) == 0 &&
	   code == -2 && out_len == 2 && memcmp(out, "{}", 2) == 0 && err_len == 1 && *err == '!',
	   "a reply frame: signed exit code, stdout, stderr");
	ok(worker_decode_reply(reply, sizeof(reply) - 2, &code, &out, &out_len, &err, &err_len) < 0 &&
	   worker_decode_reply("X", 1, &code, &out, &out_len, &err, &err_len) < 0,
	   "a short or unknown frame is refused");
	strbuf_release(&sb);
}

/* The helper decodes what C encoded and the other way round. */
static void test_echo_round_trip(void)
{
	const char *argv[] = { fake_aws, "ecs", "describe-services", "a b", "it's \"q\"", "",
			       "\xc3\xa9t\xc3\xa9", "$(id);", NULL };
	const char *env[] = { "AWS_PAGER=", "AWS_MAX_ATTEMPTS=1", "WORKER_TEST_EXIT=7", NULL };
	const char *big[] = { fake_aws, "big", "3000000", NULL };
	struct run_cmd c[2];
	cJSON *doc, *a;
	int i, same = 1;

	worker_configure(WORKER_MODE_WORKER, AWS_V2, 2);
	cmd_init(&c[0], argv, 10000);
	c[0].env = env;
	cmd_init(&c[1], big, 10000);
	is_int(worker_run_cmds(c, 2, 2), 0, "echo worker: two calls run");
	doc = cJSON_Parse(c[0].out);
	a = cJSON_GetObjectItem(doc, "argv");
	for (i = 1; argv[i]; i++)
		same &= cJSON_IsString(cJSON_GetArrayItem(a, i)) &&
			strcmp(cJSON_GetArrayItem(a, i)->valuestring, argv[i]) == 0;
	ok(same && cJSON_GetArraySize(a) == i, "argv arrives whole: spaces, quotes, empty, UTF-8, $(...)");
	ok(cJSON_IsString(cJSON_GetArrayItem(a, 0)) &&
	   strcmp(cJSON_GetArrayItem(a, 0)->valuestring, AWS_V2) == 0,
	   "sys.argv[0] is the script's path, as an exec'd script's is");
	a = cJSON_GetObjectItem(doc, "env");
	ok(cJSON_IsString(cJSON_GetObjectItem(a, "AWS_MAX_ATTEMPTS")) &&
	   strcmp(cJSON_GetObjectItem(a, "AWS_MAX_ATTEMPTS")->valuestring, "1") == 0 &&
	   cJSON_IsString(cJSON_GetObjectItem(a, "AWS_PAGER")) &&
	   strcmp(cJSON_GetObjectItem(a, "AWS_PAGER")->valuestring, "") == 0,
	   "the call's env is set in the worker");
	is_int(c[0].exit_code, 7, "the exit code comes back");
	is_str(c[0].err, "stderr \xc3\xa9\n", "stderr comes back, UTF-8 intact");
	ok(c[0].pid == 0 && c[0].ms >= 0 && c[0].ms < 10000 && !c[0].spawn_errno,
	   "pid 0 (no process), ms measured");
	ok(c[1].out_len == 3000000 && c[1].err_len == 1500000 && c[1].exit_code == 0,
	   "3 MB of stdout and 1.5 MB of stderr in one reply");
	cJSON_Delete(doc);
	run_cmd_release(&c[0]);
	run_cmd_release(&c[1]);

	cmd_init(&c[0], argv, 10000);
	worker_run_cmds(c, 1, 2);
	doc = cJSON_Parse(c[0].out);
	ok(!cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "env"), "WORKER_TEST_EXIT") &&
	   c[0].exit_code == 0, "the next call does not see the last one's env");
	cJSON_Delete(doc);
	run_cmd_release(&c[0]);
}

static int pid_of(const struct run_cmd *c)
{
	cJSON *doc = cJSON_Parse(c->out);
	int pid = cJSON_IsNumber(cJSON_GetObjectItem(doc, "pid")) ?
		cJSON_GetObjectItem(doc, "pid")->valueint : -1;

	cJSON_Delete(doc);
	return pid;
}

/* A reply past the cap is not read: the call ends too_big in the worker,
 * and is not run again as an aws process (which would say the same). */
static void test_echo_too_big(void)
{
	const char *big[] = { fake_aws, "big", "40000000", NULL };
	const char *echo[] = { fake_aws, "echo", NULL };
	struct worker_stats before, after;
	struct run_cmd c;

	worker_get_stats(&before);
	cmd_init(&c, big, 30000);
	worker_run_cmds(&c, 1, 1);
	worker_get_stats(&after);
	ok(c.too_big && c.pid == 0 && c.out_len <= RUN_MAX_OUTPUT && after.fallbacks == before.fallbacks,
	   "a 40 MB answer from a worker: too_big, not rerun (%zu bytes kept)", c.out_len);
	run_cmd_release(&c);
	cmd_init(&c, echo, 10000);
	worker_run_cmds(&c, 1, 1);
	ok(c.exit_code == 0 && !c.too_big && c.pid == 0, "the next call is answered by a worker");
	run_cmd_release(&c);
}

static void test_echo_pool(void)
{
	const char *sleepy[] = { fake_aws, "sleep", "0.4", NULL };
	const char *echo[] = { fake_aws, "echo", NULL };
	struct run_cmd c[6];
	struct worker_stats before, after;
	long t0;
	int i, first = 0, second = 0;

	worker_get_stats(&before);
	for (i = 0; i < 6; i++)
		cmd_init(&c[i], i < 4 ? sleepy : echo, 10000);
	t0 = run_now_ms();
	worker_run_cmds(c, 6, 2);
	t0 = run_now_ms() - t0;
	worker_get_stats(&after);
	ok(t0 >= 750 && t0 < 1500, "4 calls of 0.4 s on a pool of 2 take two rounds (%ld ms)", t0);
	for (i = 0; i < 4; i++) {
		int p = pid_of(&c[i]);

		if (!first)
			first = p;
		else if (p != first)
			second = p;
	}
	for (i = 0; i < 6; i++)
		run_cmd_release(&c[i]);
	is_int(after.started, before.started, "the pool of 2 is reused: no worker started");
	is_int(after.calls - before.calls, 6, "all six answered by workers");
	ok(first > 0 && second > 0, "the sleeping calls ran in two workers");
}

/* A worker that dies mid-call, or misses the deadline: killed, replaced,
 * the call rerun once as a process (here fake-aws, which answers at once). */
static void test_echo_failures(void)
{
	const char *die[] = { fake_aws, "exit", "9", NULL };
	const char *hang[] = { fake_aws, "sleep", "30", NULL };
	const char *echo[] = { fake_aws, "echo", NULL };
	struct worker_stats before, after;
	struct run_cmd c;
	int pids[8];
	size_t n;
	long t0;

	setenv("FAKE_AWS_SCRIPT", "0\t{\"from\":\"fake-aws\"}\t", 1);
	worker_get_stats(&before);
	cmd_init(&c, die, 10000);
	worker_run_cmds(&c, 1, 2);
	worker_get_stats(&after);
	ok(c.pid > 0 && c.exit_code == 0 && strstr(c.out, "fake-aws"),
	   "a worker that dies mid-call: the call is rerun as an aws process");
	ok(after.lost == before.lost + 1 && after.fallbacks == before.fallbacks + 1,
	   "counted as a lost worker and a fallback");
	run_cmd_release(&c);

	n = worker_pids(pids, 8);
	cmd_init(&c, echo, 10000);
	worker_run_cmds(&c, 1, 2);
	ok(n == 1 && c.pid == 0 && c.exit_code == 0, "the next call goes to a worker again");
	run_cmd_release(&c);

	worker_get_stats(&before);
	n = worker_pids(pids, 8);
	cmd_init(&c, hang, 500);
	t0 = run_now_ms();
	worker_run_cmds(&c, 1, 1);
	t0 = run_now_ms() - t0;
	worker_get_stats(&after);
	ok(c.pid > 0 && strstr(c.out, "fake-aws") && t0 < 2500,
	   "a worker past the call's deadline is killed and the call rerun (%ld ms)", t0);
	ok(after.lost == before.lost + 1 && n >= 1 && gone(pids[0]) && gone(pids[n - 1]),
	   "the stuck worker is gone");
	run_cmd_release(&c);

	cmd_init(&c, echo, 10000);
	worker_get_stats(&before);
	worker_run_cmds(&c, 1, 1);
	worker_get_stats(&after);
	ok(c.pid == 0 && after.started == before.started + (n == 2 ? 0u : 1u),
	   "and replaced when a call needs one");
	run_cmd_release(&c);
}

static void test_unusable(void)
{
	const char *argv[] = { fake_aws, "sts", "get-caller-identity", NULL };
	struct run_cmd c;
	FILE *saved = stderr;
	char *text = NULL;
	size_t len = 0;

	setenv("FAKE_AWS_SCRIPT", "0\t{}\t", 1);
	worker_configure(WORKER_MODE_AUTO, fake_aws, 2);
	cmd_init(&c, argv, 10000);
	worker_run_cmds(&c, 1, 2);
	ok(c.pid > 0 && c.exit_code == 0, "auto: a CLI that is not a Python script runs as a process");
	run_cmd_release(&c);

	worker_configure(WORKER_MODE_WORKER, fake_aws, 2);
	stderr = open_memstream(&text, &len);
	cmd_init(&c, argv, 10000);
	is_int(worker_run_cmds(&c, 1, 2), 1, "worker mode: such a CLI cannot be run");
	fclose(stderr);
	stderr = saved;
	ok(c.spawn_errno == ENOEXEC && c.exit_code == 126, "the call fails as not executable (ENOEXEC)");
	ok(text && strstr(text, "not a script") && strstr(text, "--aws-mode exec"),
	   "the reason and the fix are said");
	free(text);
	run_cmd_release(&c);
}

/* --- against the local AWS, through the aws runner */

static char endpoint[256], control[256], lpid[32], workdir[] = "/tmp/awsphase-test-worker-XXXXXX";

static int localaws_start(void)
{
	struct strbuf script = STRBUF_INIT;
	const char *top = getenv("top_srcdir") ? getenv("top_srcdir") : "../..";
	const char *argv[] = { NULL, workdir, NULL };
	struct run_cmd c = { 0 };
	char *p;
	int rc = -1;

	strbuf_addf(&script, "%s/tests/cloud/localaws-start", top);
	argv[0] = strbuf_str(&script);
	c.argv = argv;
	c.timeout_ms = 60000;
	if (run_cmd(&c) == 0 && c.exit_code == 0 && (p = strstr(c.out, "LOCALAWS_ENDPOINT="))) {
		sscanf(p, "LOCALAWS_ENDPOINT=%255s", endpoint);
		sscanf(strstr(c.out, "LOCALAWS_CONTROL="), "LOCALAWS_CONTROL=%255s", control);
		sscanf(strstr(c.out, "LOCALAWS_PID="), "LOCALAWS_PID=%31s", lpid);
		rc = 0;
	} else {
		diag("local AWS did not start: %s%s", c.out ? c.out : "", c.err ? c.err : "");
	}
	run_cmd_release(&c);
	strbuf_release(&script);
	return rc;
}

/* SIGTERM and go: localaws-stop would wait for it to exit. */
static void localaws_stop(void)
{
	if (atoi(lpid) > 0)
		kill(atoi(lpid), SIGTERM);
}

static void faults(const char *json)
{
	struct strbuf url = STRBUF_INIT;
	const char *argv[] = { "curl", "-s", "-X", "POST", "-H", "Content-Type: application/json",
			       "--data", json, NULL, NULL };
	struct run_cmd c = { 0 };

	strbuf_addf(&url, "%s/faults", control);
	argv[8] = strbuf_str(&url);
	c.argv = argv;
	c.timeout_ms = 10000;
	run_cmd(&c);
	run_cmd_release(&c);
	strbuf_release(&url);
}

static FILE *trace_file;

static void use(const char *aws, enum worker_mode mode, const char *ep, int jobs)
{
	struct aws_options o = {
		.aws_path = aws, .region = "us-east-2", .endpoint_url = ep,
		.trace_file = trace_file, .retry_budget_s = 0.001, .call_timeout_ms = 60000,
		.jobs = jobs, .mode = mode,
	};

	aws_configure(&o);
}

static int by_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The trace file so far, "ms" left out, sorted (calls of a batch are
 * recorded as they end, in whatever order), and emptied. */
static char *trace_lines(void)
{
	struct strbuf sb = STRBUF_INIT;
	char line[8192], *lines[64];
	size_t n = 0, i;

	fflush(trace_file);
	rewind(trace_file);
	while (n < 64 && fgets(line, sizeof(line), trace_file)) {
		char *ms = strstr(line, "\"ms\":"), *comma = ms ? strchr(ms, ',') : NULL;

		if (ms && comma)
			memmove(ms, comma + 1, strlen(comma + 1) + 1);
		lines[n++] = xstrdup(line);
	}
	qsort(lines, n, sizeof(*lines), by_text);
	for (i = 0; i < n; i++) {
		strbuf_addstr(&sb, lines[i]);
		free(lines[i]);
	}
	rewind(trace_file);
	if (ftruncate(fileno(trace_file), 0) < 0)
		diag("ftruncate: %s", strerror(errno));
	return strbuf_detach(&sb);
}

struct outcome {
	int rc;
	struct aws_error err;
	char *json;
};

/* The same three calls: a success, an AWS error, an unreachable endpoint. */
static void three_calls(const char *aws, enum worker_mode mode, struct outcome out[3])
{
	struct awsphase_call *c[3];
	int i;

	use(aws, mode, endpoint, 2);
	c[0] = aws_call_new("sts", "get-caller-identity");
	c[1] = aws_call_new("ecs", "describe-services");
	aws_call_arg(c[1], "--cluster");
	aws_call_arg(c[1], "no-such-cluster");
	aws_call_arg(c[1], "--services");
	aws_call_arg(c[1], "x");
	aws_call_run_all(c, 2);
	use(aws, mode, "http://127.0.0.1:9", 2);
	c[2] = aws_call_new("ecs", "list-clusters");
	aws_call_run(c[2]);
	for (i = 0; i < 3; i++) {
		out[i].rc = aws_call_state(c[i]);
		out[i].err = *aws_call_error_info(c[i]);
		out[i].json = aws_call_json(c[i]) ? cJSON_PrintUnformatted(aws_call_json(c[i])) : NULL;
		aws_call_free(c[i]);
	}
}

static void compare_modes(const char *cli, const char *aws)
{
	struct outcome ex[3], wk[3];
	struct worker_stats before, after;
	char *t_exec, *t_worker;
	int i, same = 1;

	three_calls(aws, WORKER_MODE_EXEC, ex);
	t_exec = trace_lines();
	worker_get_stats(&before);
	three_calls(aws, WORKER_MODE_WORKER, wk);
	t_worker = trace_lines();
	worker_get_stats(&after);
	is_int(after.calls - before.calls, 3, "%s: worker mode answered the three calls", cli);
	ok(wk[0].rc == AWSPHASE_CALL_OK && wk[0].json && strstr(wk[0].json, "123456789012") &&
	   ex[0].json && strcmp(ex[0].json, wk[0].json) == 0,
	   "%s: sts get-caller-identity: the same JSON in both modes", cli);
	ok(strcmp(wk[1].err.code, "ClusterNotFoundException") == 0 &&
	   strcmp(ex[1].err.message, wk[1].err.message) == 0 && ex[1].err.kind == wk[1].err.kind,
	   "%s: an AWS error: the same code and message (%s)", cli, wk[1].err.code);
	ok(wk[2].err.kind == AWS_ERR_CONNECTION && strcmp(ex[2].err.message, wk[2].err.message) == 0,
	   "%s: an unreachable endpoint: the same connection error text", cli);
	for (i = 0; i < 3; i++)
		same &= ex[i].rc == wk[i].rc;
	is_str(t_worker, t_exec, "%s: identical trace-file lines (argv, exit, error) in both modes", cli);
	ok(same && strstr(t_worker, strcmp(cli, "v1") == 0 ? "\"exit\":255" : "\"exit\":254"),
	   "%s: AWS errors exit %s as from the CLI", cli, strcmp(cli, "v1") == 0 ? "255" : "254");
	for (i = 0; i < 3; i++) {
		cJSON_free(ex[i].json);
		cJSON_free(wk[i].json);
	}
	free(t_exec);
	free(t_worker);
}

/* A worker killed while a call waits on a slow answer (a latency fault on
 * the first call): the call is rerun as an aws process and succeeds. */
static void test_killed_mid_call(void)
{
	struct awsphase_call *c;
	struct worker_stats before, after;
	int pids[8];
	size_t n;
	pid_t killer;
	char *t;

	use(AWS_V2, WORKER_MODE_WORKER, endpoint, 1);
	c = aws_call_new("sts", "get-caller-identity");
	aws_call_run(c); /* a warm worker */
	aws_call_free(c);
	free(trace_lines());
	n = worker_pids(pids, 8);
	faults("{\"rules\":[{\"service\":\"sts\",\"action\":\"*\",\"latency_ms\":3000,\"count\":1}]}");
	killer = fork();
	if (killer == 0) {
		sleep_ms(400);
		kill(pids[0], SIGKILL);
		_exit(0); /* not exit(): the worker pool's atexit is the parent's */
	}
	worker_get_stats(&before);
	c = aws_call_new("sts", "get-caller-identity");
	is_int(aws_call_run(c), 0, "a worker killed mid-call: the call still succeeds");
	worker_get_stats(&after);
	waitpid(killer, NULL, 0);
	ok(n == 1 && after.fallbacks == before.fallbacks + 1 && gone(pids[0]),
	   "it was rerun as an aws process, the worker reaped");
	t = trace_lines();
	ok(strstr(t, "\"exit\":0") && strstr(t, "\"attempt\":1") && !strchr(strchr(t, '\n') + 1, '{'),
	   "one trace line, attempt 1, exit 0");
	free(t);
	aws_call_free(c);
	c = aws_call_new("sts", "get-caller-identity");
	worker_get_stats(&before);
	aws_call_run(c);
	worker_get_stats(&after);
	ok(aws_call_state(c) == AWSPHASE_CALL_OK && after.calls == before.calls + 1 &&
	   after.started == before.started + 1, "the next call gets a new worker");
	aws_call_free(c);
}

static void on_alarm(int sig)
{
	(void)sig;
	run_interrupt();
}

/* Last: run_interrupt() makes every later run fail. */
static void test_interrupt(void)
{
	const char *hang[] = { fake_aws, "sleep", "30", NULL };
	struct itimerval it = { { 0, 0 }, { 0, 300000 } };
	struct sigaction sa;
	struct run_cmd c;
	int pids[8];
	size_t n;
	long t0;

	setenv("AWSPHASE_AWS_WORKER_TEST", "echo", 1);
	worker_configure(WORKER_MODE_WORKER, AWS_V2, 1);
	worker_shutdown();
	cmd_init(&c, hang, 60000);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	t0 = run_now_ms();
	worker_run_cmds(&c, 1, 1);
	t0 = run_now_ms() - t0;
	n = worker_pids(pids, 8);
	ok(c.interrupted && (c.exit_code == 143 || c.exit_code == 130) && t0 < 1500,
	   "an interrupt ends a call in a worker at once (%ld ms), exit %d", t0, c.exit_code);
	ok(n == 0, "and the worker with it");
	run_cmd_release(&c);
}

int main(int argc, char **argv)
{
	int have_v2, have_v1;
	char *v1 = NULL;
	const char *path = getenv("PATH");

	(void)argc;
	find_fake_aws(argv[0]);
	plan(48);
	test_modes();
	test_frames();
	have_v2 = access(AWS_V2, X_OK) == 0;
	if (!have_v2 || !getenv("AWSPHASE_AWS_WORKER")) {
		int i;

		for (i = 0; i < 43; i++)
			ok(1, "# SKIP needs %s and AWSPHASE_AWS_WORKER (make check sets it)", AWS_V2);
		return done();
	}
	setenv("AWSPHASE_AWS_WORKER_TEST", "echo", 1);
	test_echo_round_trip();
	test_echo_pool();
	test_echo_failures();
	test_echo_too_big();
	worker_shutdown();
	unsetenv("AWSPHASE_AWS_WORKER_TEST");
	test_unusable();

	setenv("AWS_ACCESS_KEY_ID", "testing", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "testing", 1);
	setenv("AWS_CONFIG_FILE", "/dev/null", 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null", 1);
	unsetenv("AWS_PROFILE");
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	trace_file = tmpfile();
	if (!mkdtemp(workdir) || localaws_start() < 0) {
		int i;

		for (i = 0; i < 18; i++)
			ok(0, "the local AWS is needed");
		return done();
	}
	/* the CLI v1 is the first aws on PATH without /usr/bin (pyenv here) */
	if (path) {
		struct strbuf sb = STRBUF_INIT;
		const char *p = path;

		while (*p) {
			size_t len = strcspn(p, ":");

			if (len && strncmp(p, "/usr/bin", len) != 0 && strncmp(p, "/bin", len) != 0) {
				strbuf_reset(&sb);
				strbuf_add(&sb, p, len);
				strbuf_addstr(&sb, "/aws");
				if (access(strbuf_str(&sb), X_OK) == 0) {
					v1 = strbuf_detach(&sb);
					break;
				}
			}
			p += len + (p[len] == ':');
		}
		strbuf_release(&sb);
	}
	compare_modes("v2", AWS_V2);
	have_v1 = v1 != NULL;
	if (have_v1) {
		compare_modes("v1", v1);
	} else {
		int i;

		for (i = 0; i < 6; i++)
			ok(1, "# SKIP no aws CLI v1 on PATH");
	}
	test_killed_mid_call();
	aws_shutdown();
	localaws_stop();
	test_interrupt();
	fclose(trace_file);
	free(v1);
	return done();
}
