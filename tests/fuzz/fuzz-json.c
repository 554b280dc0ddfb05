/* libFuzzer target for the JSON result walkers: json_get/json_str/json_num
 * (core/json.c), the engine's judges of describe-target-health,
 * describe-security-groups, IAM roles and their inline policies, route
 * tables, VPC endpoints and listeners (core/engine-judge.c), and phase 4B's
 * readings of describe-services and task definitions
 * (modules/phase4b/spec-lookup.c, spec-taskdef.c),
 * over whatever JSON an aws CLI, a proxy or AWS itself may hand back.
 * Built and run by tests/fuzz/run.sh.
 *
 * Input: a path line (for json_get), then the JSON document.  Besides
 * memory errors it checks json_str/json_num agree with json_get, and that
 * every difference two task definitions show formats (through a stand-in
 * for the engine's differs). */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine-int.h"
#include "json.h"
#include "spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* spec-taskdef.c's secret warning reads the module's key table (phase4b.c,
 * which would pull in every action): an empty one will do */
const struct awsphase_envvar p4b_env[] = { { NULL, NULL, NULL, 0, NULL } };

/* The engine's differs, as far as spec-taskdef.c uses it: each difference
 * is formatted. */
static void differs(struct awsphase_res *r, unsigned what, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	(void)r;
	(void)what;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
}

static const struct awsphase_engine engine = { .differs = differs, .partition = engine_partition,
	.ecr_image = engine_ecr_image };
static const struct awsphase_host host = { .engine = &engine, .json_get = json_get,
	.json_str = json_str, .json_find = json_find, .json_count = json_count,
	.json_same_pairs = json_same_pairs };
const struct awsphase_host *p4b_h = &host;

static const char *const paths[] = {
	"services", "services.0.status", "services.0.deployments.0.rolloutState",
	"services.0.runningCount", "services.0.events.0.message", "TargetHealthDescriptions",
	"TargetHealthDescriptions.0.TargetHealth.State", "SecurityGroups.0.IpPermissions",
	"taskDefinition.containerDefinitions.0.environment", "LoadBalancers.0.DNSName",
	"RoleDetailList", "Listeners.0.DefaultActions", "failures.0.reason", "0", "", ".", "..",
};

static void walk(const cJSON *doc, const char *path)
{
	const cJSON *v = json_get(doc, path);
	const char *s = json_str(doc, path);
	double n = json_num(doc, path, -1.5);

	if (s && (!cJSON_IsString(v) || s != v->valuestring))
		abort();
	if (!cJSON_IsNumber(v) && n != -1.5)
		abort();
}

static void phase4b(const cJSON *doc)
{
	static const char *const states[] = { "healthy", "unhealthy", "initial", "draining", NULL };
	const cJSON *item, *sg;
	size_t i;

	cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(doc, "services")) {
		(void)p4b_primary(item);
		(void)p4b_awsvpc(item);
		(void)p4b_awsvpc(p4b_primary(item));
	}
	for (i = 0; states[i]; i++) {
		(void)p4b_targets_in(cJSON_GetObjectItemCaseSensitive(doc, "TargetHealthDescriptions"),
				     states[i]);
		(void)engine_target_reason(cJSON_GetObjectItemCaseSensitive(doc,
					   "TargetHealthDescriptions"), states[i]);
	}
	cJSON_ArrayForEach(sg, cJSON_GetObjectItemCaseSensitive(doc, "SecurityGroups")) {
		char words[512];

		(void)engine_sg_allows(sg, 3001, "sg-0123456789abcdef0", NULL);
		(void)engine_sg_allows(sg, 80, NULL, "0.0.0.0/0");
		engine_sg_ingress_words(sg, words, sizeof(words));
	}
	cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(doc, "RoleDetailList")) {
		(void)engine_iam_role_trusts(item, "ecs-tasks.amazonaws.com");
		(void)engine_iam_role_has_policy(item,
			"arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy");
		cJSON_Delete(engine_iam_role_policy(item, "awsphase-app-access"));
	}
	cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(doc, "Listeners"))
		(void)engine_listener_forwards(item, "arn:aws:elasticloadbalancing:us-east-2:"
					       "123456789012:targetgroup/kaviar-backend-tg/0123456789abcdef");
	(void)engine_subnet_nat(cJSON_GetObjectItemCaseSensitive(doc, "RouteTables"), "subnet-1");
	(void)engine_vpc_endpoint(cJSON_GetObjectItemCaseSensitive(doc, "VpcEndpoints"), "us-east-2",
				  "ecr.dkr");
	item = cJSON_GetObjectItemCaseSensitive(doc, "taskDefinition");
	if (item) {
		/* every difference formats, whatever either side holds */
		p4b_taskdef_differs(NULL, item, item);
		p4b_taskdef_differs(NULL, item, doc);
		p4b_taskdef_differs(NULL, doc, item);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t plen = nl ? (size_t)(nl - data) : 0, i;
	char *path;
	cJSON *doc;

	if (!nl)
		return 0;
	path = malloc(plen + 1);
	if (!path)
		return 0;
	memcpy(path, data, plen);
	path[plen] = '\0';
	doc = cJSON_ParseWithLength((const char *)nl + 1, size - plen - 1);
	walk(doc, path);
	for (i = 0; i < sizeof(paths) / sizeof(*paths); i++)
		walk(doc, paths[i]);
	if (doc)
		phase4b(doc);
	cJSON_Delete(doc);
	free(path);
	return 0;
}
