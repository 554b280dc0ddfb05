/* JSON walkers, the report (checks, tables, the --output json document) and
 * the wait loop (done, fail fast, deadline, no progress). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "log.h"
#include "redact.h"
#include "report.h"
#include "run.h"
#include "strbuf.h"
#include "tap.h"
#include "unit/capture.h"
#include "wait.h"

static void text_report(void)
{
	static const char *const headers[] = { "IP", "State", "Reason", NULL };
	static const char *const cells[] = { "10.0.1.5", "healthy", NULL,
					     "10.0.2.17", "unhealthy", "Target.Timeout" };

	report_begin("4b validate", 0, 0, 0, 0);
	report_check("service", AWSPHASE_OK, "ACTIVE %d/%d", 1, 1);
	report_check("targets", AWSPHASE_FAIL, "none healthy");
	report_table("Targets", headers, cells, 2);
	report_say("password is hunter2");
	report_finish(1);
}

static void json_report(void)
{
	report_begin("4b validate", 1, 0, 0, 0);
	report_check("service", AWSPHASE_OK, "ACTIVE");
	report_check("alb", AWSPHASE_WARN, "slow");
	report_add("alb_dns", cJSON_CreateString("kaviar-alb-1.elb.amazonaws.com"));
	report_finish(0);
}

struct counter { int n, done_at, fail_at; long at[4]; };

static int poll_count(void *ctx, char *state, size_t size, int *exit_code)
{
	struct counter *c = ctx;

	if (c->n < 4)
		c->at[c->n] = run_now_ms();
	c->n++;
	snprintf(state, size, "poll %d", c->n);
	if (c->fail_at && c->n >= c->fail_at) {
		*exit_code = AWSPHASE_EXIT_FAILED;
		return -1;
	}
	return c->done_at && c->n >= c->done_at;
}

static int poll_stuck(void *ctx, char *state, size_t size, int *exit_code)
{
	snprintf(state, size, "PENDING");
	return 0;
}

int main(void)
{
	cJSON *doc = cJSON_Parse("{\"services\":[{\"status\":\"ACTIVE\",\"runningCount\":2,"
				 "\"deployments\":[{\"rolloutState\":\"COMPLETED\"}]}]}");
	struct counter c = { 0 };
	struct awsphase_wait w = { .what = "test", .interval_s = 0.01, .timeout_s = 5, .poll = poll_count, .ctx = &c };
	cJSON *parsed;
	char *out;

	plan(19);
	is_str(json_str(doc, "services.0.status"), "ACTIVE", "json_str walks objects and arrays");
	is_str(json_str(doc, "services.0.deployments.0.rolloutState"), "COMPLETED", "nested path");
	ok(json_num(doc, "services.0.runningCount", -1) == 2, "json_num reads a number");
	ok(json_num(doc, "services.0.status", -1) == -1, "json_num of a string gives the default");
	ok(json_get(doc, "services.3") == NULL && json_str(doc, "nope.x") == NULL, "missing paths are NULL");
	cJSON_Delete(doc);

	is_int(report_width("✅ ok"), 4, "an emoji counts two columns");
	redact_add("hunter2");
	out = capture(text_report);
	ok(strstr(out, "[ok]   service: ACTIVE 1/1") != NULL, "plain check line: %s", out);
	ok(strstr(out, "[FAIL] targets: none healthy") != NULL, "failed check line");
	ok(strstr(out, "IP         State      Reason\n") != NULL, "table header aligned");
	ok(strstr(out, "10.0.1.5   healthy    -\n") != NULL, "NULL cell shows as -");
	ok(strstr(out, "hunter2") == NULL && strstr(out, "password is ***") != NULL, "a secret is redacted");
	free(out);

	out = capture(json_report);
	parsed = cJSON_Parse(out);
	ok(parsed && cJSON_IsFalse(cJSON_GetObjectItem(parsed, "ok")) == 0 &&
	   strcmp(json_str(parsed, "command"), "4b validate") == 0, "--output json document: %s", out);
	ok(parsed && cJSON_GetArraySize(cJSON_GetObjectItem(parsed, "checks")) == 2 &&
	   strcmp(json_str(parsed, "alb_dns"), "kaviar-alb-1.elb.amazonaws.com") == 0,
	   "checks and extra members are in it");
	cJSON_Delete(parsed);
	free(out);

	wait_set_progress(0);
	c.done_at = 3;
	is_int(wait_run(&w, 900), 0, "wait ends when the poll says done");
	c.n = 0, c.done_at = 0, c.fail_at = 2;
	is_int(wait_run(&w, 900), AWSPHASE_EXIT_FAILED, "a poll failing fast ends the wait with its code");
	log_set_verbosity(-1);
	c.n = 0, c.fail_at = 0;
	w.timeout_s = 0.1;
	is_int(wait_run(&w, 900), AWSPHASE_EXIT_TIMEOUT, "the deadline ends the wait with 4");
	w.poll = poll_stuck;
	w.timeout_s = 5;
	w.no_progress_s = 0.1;
	is_int(wait_run(&w, 900), AWSPHASE_EXIT_TIMEOUT, "no progress ends the wait with 4");
	/* interval 3 s: pauses of 1 s (0.8-1.2 jittered), then 2 s (1.6-2.4),
	 * not 3 s (2.4-3.6) from the start */
	w.poll = poll_count;
	w.interval_s = 3;
	w.no_progress_s = 0;
	c = (struct counter){ .done_at = 3 };
	is_int(wait_run(&w, 900), 0, "a wait with a 3 s interval");
	ok(c.at[1] - c.at[0] < 2200 && c.at[2] - c.at[1] >= 1500,
	   "its first pauses ramp up: %ld ms, then %ld ms", c.at[1] - c.at[0], c.at[2] - c.at[1]);
	redact_clear();
	return done();
}
