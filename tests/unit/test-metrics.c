/* The metrics host service (core/metrics.c) over tests/unit/fake-aws:
 * what it refuses, which metrics it queries, periods lined up and
 * averaged, the table and the JSON members. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws.h"
#include "metrics.h"
#include "report.h"
#include "strbuf.h"
#include "tap.h"
#include "unit/capture.h"

#define POINTS "{\"Datapoints\":[" \
	"{\"Timestamp\":\"2024-05-01T12:01:05Z\",\"Average\":30.0,\"Unit\":\"Percent\"}," \
	"{\"Timestamp\":\"2024-05-01T12:00:10Z\",\"Average\":10.0,\"Unit\":\"Percent\"}," \
	"{\"Timestamp\":\"2024-05-01T12:00:50Z\",\"Average\":20.0,\"Unit\":\"Percent\"}]}"

static const char *const dims[] = { "Name=ServiceName,Value=web", "Name=ClusterName,Value=c1", NULL };
static struct awsphase_metric cpu = { AWSPHASE_METRIC, .namespace_ = "AWS/ECS",
	.name = "CPUUtilization", .statistic = "Average", .label = "CPU %", .decimals = 1,
	.dimensions = dims };
static struct awsphase_metric requests = { AWSPHASE_METRIC, .namespace_ = "AWS/ApplicationELB",
	.name = "RequestCount", .statistic = "Sum", .label = "Requests" };
static const struct awsphase_metric *const both[] = { &requests, &cpu, NULL };
static struct awsphase_settings settings;
static int rc;

static void text(void)
{
	settings.json_output = 0;
	report_begin("4b metrics", 0, 0, 0, 0);
	rc = metrics_show(&settings, both, 10, 60, "last 10 minutes");
	report_finish(rc);
}

static void json(void)
{
	settings.json_output = 1;
	report_begin("4b metrics", 1, 0, 0, 0);
	rc = metrics_show(&settings, both, 10, 60, "not in JSON");
	report_finish(rc);
}

int main(int argc, char **argv)
{
	const char *top = getenv("top_builddir"), *slash = strrchr(argv[0], '/');
	struct awsphase_metric old = cpu;
	const struct awsphase_metric *const bad[] = { &old, NULL };
	char fake_aws[4096];
	struct aws_options o = { .region = "us-east-2", .jobs = 1 };
	char *out, *first;
	cJSON *doc;

	(void)argc;
	if (top)
		snprintf(fake_aws, sizeof(fake_aws), "%s/tests/unit/fake-aws", top);
	else
		snprintf(fake_aws, sizeof(fake_aws), "%.*s/fake-aws", slash ? (int)(slash - argv[0]) : 1,
			 slash ? argv[0] : ".");
	o.aws_path = fake_aws;
	aws_configure(&o);
	unsetenv("FAKE_AWS_STATE");
	setenv("FAKE_AWS_SCRIPT", "0\t" POINTS "\t", 1);
	plan(10);

	old.struct_size = 8;
	is_int(metrics_show(&settings, bad, 10, 60, NULL), AWSPHASE_EXIT_USAGE,
	       "a metric without its struct_size is refused");
	is_int(metrics_show(&settings, both, 0, 60, NULL), AWSPHASE_EXIT_USAGE, "... and 0 minutes");

	out = capture(text);
	is_int(rc, 0, "text: exit 0");
	ok(strstr(out, "last 10 minutes\n") != NULL, "... the heading");
	ok(strstr(out, "Time                  Requests  CPU %\n") != NULL,
	   "... a column per metric, by label");
	ok(strstr(out, "2024-05-01T12:00:00Z  -         15.0\n") != NULL,
	   "... two datapoints of a period averaged (Average); a metric not queried: -");
	ok(strstr(out, "2024-05-01T12:01:00Z  -         30.0\n") != NULL, "... the next period");
	free(out);

	out = capture(json);
	doc = cJSON_Parse(out);
	is_int(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "metrics")), 1,
	       "json: only the metrics queried");
	ok(strstr(out, "\"ServiceName\":\t\"web\"") && strstr(out, "\"ClusterName\":\t\"c1\""),
	   "... the dimensions as an object");
	first = strstr(out, "\"timestamp\":\t\"2024-05-01T12:00:10Z\"");
	ok(first && strstr(first, "12:00:50Z") && strstr(first, "12:01:05Z") &&
	   strstr(out, "\"period\":\t60"), "... datapoints in time order, the window's period");
	cJSON_Delete(doc);
	free(out);
	aws_shutdown();
	return done();
}
