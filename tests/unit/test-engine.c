/* The resource engine against tests/unit/fake-cloud, a toy cloud whose
 * things have names, ids, sizes, parents and tags: reads in rounds and
 * shared, plan and apply in dependency order, ids and env outputs, drift,
 * --dry-run with placeholders, a first run that creates without looking and
 * reads again after a collision, env values standing in for reads, and
 * teardown in reverse order with busy retries and wait_gone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws.h"
#include "engine.h"
#include "envfile.h"
#include "host.h"
#include "json.h"
#include "log.h"
#include "report.h"
#include "strbuf.h"
#include "tap.h"

static char fake_cloud[4096];
static char dir[] = "/tmp/awsphase-test-engine-XXXXXX";
static char state_path[4200], log_path[4200], env_path[4200];
static const struct awsphase_host *h;
static const struct awsphase_engine *E;
static struct awsphase_settings settings;
static struct envfile *ef;
static FILE *devnull;

static const struct awsphase_envvar vars[] = {
	{ "AWS_REGION", NULL, NULL, 0, "region" },
	{ "STACK", NULL, "toy", 0, "the stack" },
	{ "SIZE", NULL, "1", 0, "the parent's size" },
	{ "PARENT_ID", NULL, NULL, AWSPHASE_ENV_WRITTEN, "written" },
	{ "CHILD_ID", NULL, NULL, AWSPHASE_ENV_WRITTEN, "written" },
	{ "WANT", NULL, NULL, 0, "only_if" },
	{ "GIVEN", NULL, NULL, 0, "unless" },
	{ NULL },
};

/* ---- the toy stack ---- */

static const char *const by_name[] = { "--name", "{name}", NULL };
static const char *const not_found[] = { "ThingNotFound", NULL };
static const char *const exists[] = { "ThingExists", NULL };
static const char *const busy[] = { "DependencyViolation", "ResourceInUse", NULL };
static const char *const by_id[] = { "--id", "{id}", NULL };
static const char *const make_parent[] = { "--name", "{name}", "--size", "{SIZE}", NULL };
static const char *const make_child[] = { "--name", "{name}", "--parent", "{@parent}", NULL };
static const char *const make_plain[] = { "--name", "{name}", NULL };
static const char *const list_args[] = { NULL };
static const char *const kids_args[] = { "--parent", "{@parent}", NULL };
static const char *const parent_needs[] = { "parent", NULL };
static const struct awsphase_output parent_out[] = { { "PARENT_ID", "Id" }, { NULL } };
static const struct awsphase_output child_out[] = { { "CHILD_ID", "Id" }, { NULL } };

static int conflict_on;

static void size_differs(struct awsphase_res *r, const cJSON *have)
{
	int want = atoi(E->expand(r, "{SIZE}"));

	if (have && (int)h->json_num(have, "Size", -1) != want)
		E->differs(r, 1, "size %d → %d", (int)h->json_num(have, "Size", -1), want);
	if (have && conflict_on)
		E->conflict(r, "thing %s cannot change in place; delete it", E->name(r));
	E->note(r, "size %d", want);
}

static void size_fix(struct awsphase_res *r, const cJSON *have, unsigned what)
{
	struct awsphase_call *call = E->call(r, "toy", "set-size");

	E->args(r, call, "--id", "{id}", "--size", "{SIZE}", NULL);
}

static const struct awsphase_resource parent = {
	AWSPHASE_RESOURCE, .key = "parent", .kind = "thing", .name = "{STACK}-parent",
	.find = { "toy", "get-thing", by_name, not_found }, .item = "Thing", .id = "Id",
	.show = "{.Id}", .outputs = parent_out,
	.create = { "toy", "create-thing", make_parent, exists }, .created = "Thing",
	.differs = size_differs, .fix = size_fix,
	.remove = { "toy", "delete-thing", by_id, not_found, busy },
};

static const struct awsphase_resource child = {
	AWSPHASE_RESOURCE, .key = "child", .kind = "thing", .name = "{STACK}-child",
	.needs = parent_needs,
	.find = { "toy", "get-thing", by_name, not_found }, .item = "Thing", .id = "Id",
	.outputs = child_out,
	.create = { "toy", "create-thing", make_child, exists }, .created = "Thing",
	.remove = { "toy", "delete-thing", by_id, not_found, busy },
	.wait_gone = 1,
};

/* two resources found in one list: one read */
static const struct awsphase_resource peer1 = {
	AWSPHASE_RESOURCE, .key = "peer1", .kind = "thing", .name = "{STACK}-peer1",
	.find = { "toy", "list-things", list_args }, .list = "Things", .match = "Name", .id = "Id",
	.create = { "toy", "create-thing", make_plain, exists }, .created = "Thing",
	.flags = AWSPHASE_RES_LAZY,
};
static const struct awsphase_resource peer2 = {
	AWSPHASE_RESOURCE, .key = "peer2", .kind = "thing", .name = "{STACK}-peer2",
	.find = { "toy", "list-things", list_args }, .list = "Things", .match = "Name", .id = "Id",
	.create = { "toy", "create-thing", make_plain, exists }, .created = "Thing",
	.flags = AWSPHASE_RES_LAZY,
};

/* no unique name: found by the engine's tags */
static const struct awsphase_resource tagged = {
	AWSPHASE_RESOURCE, .key = "tagged", .kind = "thing", .name = "{STACK}-tagged",
	.flags = AWSPHASE_RES_TAGGED, .tag_type = "thing",
	.find = { "toy", "list-things", list_args }, .list = "Things", .id = "Id",
	.create = { "toy", "create-thing", make_plain }, .created = "Thing",
	.remove = { "toy", "delete-thing", by_id, not_found, busy },
};

/* read with the parent's id: from the env file before the parent is read */
static const struct awsphase_resource kids = {
	AWSPHASE_RESOURCE, .key = "kids", .kind = "things", .name = "children",
	.flags = AWSPHASE_RES_DATA, .find = { "toy", "list-things", kids_args }, .item = "Things",
};

/* made pending; what needs it waits until it is available */
static const char *const make_slow[] = { "--name", "{name}", "--pending", "2", NULL };
static const char *const slow_needs[] = { "slow", NULL };

static int slow_ready(struct awsphase_res *r, const cJSON *item)
{
	const char *state = h->json_str(item, "State");

	E->state(r, "state %s", state ? state : "?");
	return state && strcmp(state, "available") == 0;
}

static const struct awsphase_resource slow = {
	AWSPHASE_RESOURCE, .key = "slow", .kind = "thing", .name = "{STACK}-slow",
	.find = { "toy", "get-thing", by_name, not_found }, .item = "Thing", .id = "Id",
	.create = { "toy", "create-thing", make_slow, exists }, .created = "Thing",
	.ready = slow_ready,
};
static const struct awsphase_resource after_slow = {
	AWSPHASE_RESOURCE, .key = "after", .kind = "thing", .name = "{STACK}-after",
	.needs = slow_needs, .find = { "toy", "get-thing", by_name, not_found }, .item = "Thing",
	.id = "Id", .create = { "toy", "create-thing", make_plain, exists }, .created = "Thing",
};

/* made when WANT is set, unless GIVEN is (a secret made from a password
 * unless the database's own is given) */
static const struct awsphase_resource made = {
	AWSPHASE_RESOURCE, .key = "made", .kind = "thing", .name = "{STACK}-made",
	.only_if = "WANT", .unless = "GIVEN",
	.find = { "toy", "get-thing", by_name, not_found }, .item = "Thing", .id = "Id",
	.create = { "toy", "create-thing", make_plain, exists }, .created = "Thing",
};

static const struct awsphase_resource *const family[] = { &child, &parent, NULL };
static const struct awsphase_resource *const conditional[] = { &made, NULL };
static const struct awsphase_resource *const waits[] = { &slow, &after_slow, NULL };
static const struct awsphase_resource *const peers[] = { &parent, &peer1, &peer2, NULL };
/* found with describe-nat-gateways' spelling, --filter, and a filter of
 * its own the engine's tag filters must join, not follow as a second
 * option */
static const char *const singular_filter[] = { "--filter", "Name=tag:kind,Values=odd", NULL };
static const struct awsphase_resource tagged_odd = {
	AWSPHASE_RESOURCE, .key = "odd", .kind = "thing", .name = "{STACK}-odd",
	.flags = AWSPHASE_RES_TAGGED, .tag_type = "thing",
	.find = { "toy", "list-things", singular_filter }, .list = "Things", .id = "Id",
	.create = { "toy", "create-thing", make_plain }, .created = "Thing",
};
static const struct awsphase_resource *const tags[] = { &tagged, NULL };
static const struct awsphase_resource *const odd[] = { &tagged_odd, NULL };
static const struct awsphase_resource *const watch[] = { &parent, &kids, NULL };

/* ---- harness ---- */

static void find_fake_cloud(const char *argv0)
{
	const char *top = getenv("top_builddir");
	const char *slash = strrchr(argv0, '/');

	if (top)
		snprintf(fake_cloud, sizeof(fake_cloud), "%s/tests/unit/fake-cloud", top);
	else if (slash)
		snprintf(fake_cloud, sizeof(fake_cloud), "%.*s/fake-cloud", (int)(slash - argv0), argv0);
	else
		snprintf(fake_cloud, sizeof(fake_cloud), "./fake-cloud");
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static char *slurp(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	size_t n;
	FILE *f = fopen(path, "r");

	strbuf_addstr(&sb, "");
	while (f && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(&sb, buf, n);
	if (f)
		fclose(f);
	return strbuf_detach(&sb);
}

static int count(const char *text, const char *needle)
{
	int n = 0;
	const char *p = text;

	while ((p = strstr(p, needle))) {
		n++;
		p += strlen(needle);
	}
	return n;
}

/* A run: the env file as it is on disk, the log emptied. */
static void begin(int dry_run, int jobs)
{
	struct aws_options o = { .aws_path = fake_cloud, .region = "us-east-2", .dry_run = dry_run,
				 .retry_budget_s = 10, .call_timeout_ms = 10000, .jobs = jobs,
				 .dry_run_out = devnull };

	if (ef)
		envfile_free(ef);
	ef = envfile_load(env_path, 1);
	unlink(log_path);
	settings.region = "us-east-2";
	settings.env_file = env_path;
	settings.dry_run = dry_run;
	settings.timeout_s = 30;
	settings.jobs = jobs;
	aws_configure(&o);
	report_begin("toy deploy", 0, 0, 0, 1);
	h = host_init(&settings, ef, vars);
	host_bind("toy", "deploy", 2, NULL);
	E = h->engine;
}

static const char *env(const char *key)
{
	return envfile_get(ef, key);
}

static void end(void)
{
	report_finish(0);
	host_release();
}

static int deploy(const struct awsphase_resource *const *res, const char *anchor, int *changes,
		  int *calls)
{
	struct awsphase_stack_spec spec = { AWSPHASE_STACK, .resources = res, .stack = "{STACK}",
					    .anchor = anchor };
	struct awsphase_stack *s = E->open(&spec, NULL);
	int rc;

	*changes = *calls = -1;
	rc = E->plan(s, NULL, changes);
	if (!rc)
		rc = E->apply(s, calls);
	E->close(s);
	return rc;
}

/* ---- tests ---- */

static void test_deploy(void)
{
	char *log, *state;
	int changes, calls, rc;

	write_file(env_path, "AWS_REGION=us-east-2\nSIZE=2\n");
	unlink(state_path);
	begin(0, 4);
	rc = deploy(family, NULL, &changes, &calls);
	log = slurp(log_path);
	is_int(rc, 0, "a fresh deploy succeeds");
	is_int(changes, 2, "plan: two things to create");
	is_int(calls, 2, "apply: two calls");
	ok(strstr(log, "create-thing --name toy-parent --size 2") &&
	   strstr(log, "create-thing --name toy-child --parent thing-0001") &&
	   strstr(log, "toy-parent --size") < strstr(log, "toy-child --parent"),
	   "the parent is made first, and the child gets its id");
	is_str(env("PARENT_ID"), "thing-0001", "PARENT_ID written back");
	is_str(env("CHILD_ID"), "thing-0002", "CHILD_ID written back");
	free(log);
	end();

	begin(0, 4);
	rc = deploy(family, NULL, &changes, &calls);
	log = slurp(log_path);
	is_int(rc, 0, "a second deploy succeeds");
	ok(changes == 0 && calls == 0, "and changes nothing (%d changes, %d calls)", changes, calls);
	is_int(count(log, "\n"), 2, "it reads the two things, nothing else");
	free(log);
	end();

	/* drift: the parent's size by hand */
	state = slurp(state_path);
	{
		char *p = strstr(state, "\"Size\":\t2");

		if (p)
			p[8] = '7';
		write_file(state_path, state);
	}
	free(state);
	begin(0, 4);
	rc = deploy(family, NULL, &changes, &calls);
	log = slurp(log_path);
	ok(rc == 0 && changes == 1 && calls == 1, "drift: one change, one call (%d, %d)", changes, calls);
	ok(strstr(log, "set-size --id thing-0001 --size 2") != NULL, "set-size puts the size back");
	free(log);
	end();

	/* a conflict stops the plan */
	conflict_on = 1;
	begin(0, 4);
	rc = deploy(family, NULL, &changes, &calls);
	log = slurp(log_path);
	is_int(rc, AWSPHASE_EXIT_FAILED, "a conflict exits 1");
	ok(!strstr(log, "create-thing") && !strstr(log, "set-size"), "and changes nothing");
	free(log);
	end();
	conflict_on = 0;
}

static void test_dry_run(void)
{
	char *log, *state;
	int changes, calls, rc;

	write_file(env_path, "AWS_REGION=us-east-2\n");
	unlink(state_path);
	begin(1, 4);
	rc = deploy(family, NULL, &changes, &calls);
	log = slurp(log_path);
	state = slurp(state_path);
	is_int(rc, 0, "--dry-run on an empty cloud succeeds");
	is_int(calls, 2, "it lists the two creates");
	ok(!strstr(log, "create-thing"), "and runs neither");
	ok(!strstr(state, "toy-parent"), "nothing was made");
	ok(env("PARENT_ID") == NULL, "nothing was written");
	free(log);
	free(state);
	end();
}

static void test_teardown(void)
{
	struct awsphase_stack_spec spec = { AWSPHASE_STACK, .resources = family, .stack = "{STACK}" };
	struct awsphase_stack *s;
	char *log, *state, *p;
	int steps, rc, changes, calls;

	write_file(env_path, "AWS_REGION=us-east-2\n");
	unlink(state_path);
	begin(0, 4);
	deploy(family, NULL, &changes, &calls);
	end();
	/* the parent stays busy once */
	state = slurp(state_path);
	p = strstr(state, "\"Name\":\t\"toy-parent\"");
	if (p) {
		struct strbuf sb = STRBUF_INIT;

		strbuf_add(&sb, state, (size_t)(p - state));
		strbuf_addstr(&sb, "\"Busy\": 1, ");
		strbuf_addstr(&sb, p);
		write_file(state_path, strbuf_str(&sb));
		strbuf_release(&sb);
	}
	free(state);

	begin(0, 4);
	s = E->open(&spec, NULL);
	rc = E->teardown(s, NULL, AWSPHASE_TEARDOWN_YES, &steps);
	E->close(s);
	log = slurp(log_path);
	state = slurp(state_path);
	is_int(rc, 0, "teardown succeeds");
	is_int(steps, 2, "two deletions");
	ok(strstr(log, "delete-thing --id thing-0002") &&
	   strstr(log, "delete-thing --id thing-0002") < strstr(log, "delete-thing --id thing-0001"),
	   "the child goes first");
	ok(strstr(strstr(log, "delete-thing --id thing-0002"), "get-thing --name toy-child") != NULL,
	   "wait_gone reads the child again after its delete");
	is_int(count(log, "delete-thing --id thing-0001"), 2, "the busy parent is deleted again");
	ok(!strstr(state, "toy-parent") && !strstr(state, "toy-child"), "both are gone");
	ok(!env("PARENT_ID") && !env("CHILD_ID"), "their keys left the env file");
	free(log);
	free(state);
	end();

	begin(0, 4);
	s = E->open(&spec, NULL);
	rc = E->teardown(s, NULL, AWSPHASE_TEARDOWN_YES, &steps);
	E->close(s);
	log = slurp(log_path);
	ok(rc == 0 && steps == 0 && !strstr(log, "delete-thing"), "a second teardown has nothing to do");
	free(log);
	end();
}

static void test_shared_and_first_run(void)
{
	char *log;
	int changes, calls, rc;

	/* peer2 made by hand: a first run (no key written, anchor absent)
	 * does not read the lazy peers, and its create finds peer2 */
	write_file(env_path, "AWS_REGION=us-east-2\n");
	write_file(state_path, "{\"next\": 50, \"things\": [{\"Name\": \"toy-peer2\", \"Id\": \"thing-0049\","
		   " \"Size\": 1, \"Tags\": []}]}");
	begin(0, 4);
	rc = deploy(peers, "parent", &changes, &calls);
	log = slurp(log_path);
	is_int(rc, 0, "a first run that collides succeeds");
	ok(strncmp(log, "get-thing --name toy-parent\n", 28) == 0 && count(log, "list-things") == 1,
	   "it read the anchor alone first, then the peers once, in one read");
	ok(strstr(log, "create-thing --name toy-peer2") &&
	   strstr(strstr(log, "create-thing --name toy-peer2"), "list-things") != NULL,
	   "after the create that found peer2 it read what it had skipped");
	is_int(count(log, "create-thing --name toy-peer1"), 1, "peer1 is made once");
	free(log);
	end();

	begin(0, 4);
	rc = deploy(peers, "parent", &changes, &calls);
	log = slurp(log_path);
	ok(rc == 0 && changes == 0 && calls == 0, "the next run changes nothing");
	is_int(count(log, "list-things"), 1, "the two peers share one list-things");
	free(log);
	end();
}

static void test_tags(void)
{
	char *log, *state;
	int changes, calls, rc;

	write_file(env_path, "AWS_REGION=us-east-2\n");
	unlink(state_path);
	begin(0, 4);
	rc = deploy(tags, NULL, &changes, &calls);
	log = slurp(log_path);
	is_int(rc, 0, "a tagged thing is made");
	ok(strstr(log, "list-things --filters Name=tag:Name,Values=toy-tagged "
		  "Name=tag:awsphase:stack,Values=toy") != NULL, "found by the engine's tags");
	ok(strstr(log, "--tag-specifications ResourceType=thing,Tags=[{Key=Name,Value=toy-tagged},"
		  "{Key=awsphase:stack,Value=toy},{Key=awsphase:phase,Value=toy}]") != NULL,
	   "and made with them");
	free(log);
	end();
	begin(0, 4);
	rc = deploy(tags, NULL, &changes, &calls);
	state = slurp(state_path);
	ok(rc == 0 && calls == 0 && count(state, "\"Value\":\t\"toy-tagged\"") == 1,
	   "a second run finds it by its tags: one, not two");
	free(state);
	end();
	begin(0, 4);
	rc = deploy(odd, NULL, &changes, &calls);
	log = slurp(log_path);
	ok(rc == 0 && strstr(log, "list-things --filter Name=tag:kind,Values=odd "
		  "Name=tag:Name,Values=toy-odd Name=tag:awsphase:stack,Values=toy") != NULL &&
	   !strstr(log, "--filters"), "--filter (describe-nat-gateways) takes the tag filters too");
	free(log);
	end();
}

static void test_speculative(void)
{
	struct awsphase_stack_spec spec = { AWSPHASE_STACK, .resources = watch, .stack = "{STACK}" };
	static const char *const keys[] = { "kids", "parent", NULL };
	struct awsphase_stack *s;
	char *log;
	int rc;

	write_file(env_path, "AWS_REGION=us-east-2\nPARENT_ID=thing-0999\n");
	write_file(state_path, "{\"next\": 3, \"things\": [{\"Name\": \"toy-parent\", \"Id\": \"thing-0001\","
		   " \"Size\": 1, \"Tags\": []}, {\"Name\": \"k\", \"Id\": \"thing-0002\", \"Size\": 1,"
		   " \"Parent\": \"thing-0001\", \"Tags\": []}]}");
	begin(0, 1);
	s = E->open(&spec, NULL);
	rc = E->read(s, keys);
	log = slurp(log_path);
	is_int(rc, 0, "a read with a stale env value succeeds");
	ok(strstr(log, "list-things --parent thing-0999") && strstr(log, "list-things --parent thing-0001"),
	   "the value from the env file is used at once, then the read made again");
	is_int(cJSON_GetArraySize(E->have(s, "kids")), 1, "with what the parent has now");
	E->close(s);
	free(log);
	end();

	write_file(env_path, "AWS_REGION=us-east-2\nPARENT_ID=thing-0001\n");
	begin(0, 1);
	s = E->open(&spec, NULL);
	rc = E->read(s, keys);
	log = slurp(log_path);
	ok(rc == 0 && count(log, "\n") == 2, "a right one costs no second read (%d calls)",
	   count(log, "\n"));
	E->close(s);
	free(log);
	end();
}

static void test_ready(void)
{
	char *log, *made_slow, *made_after;
	int changes, calls, rc;

	write_file(env_path, "AWS_REGION=us-east-2\n");
	unlink(state_path);
	begin(0, 4);
	rc = deploy(waits, NULL, &changes, &calls);
	log = slurp(log_path);
	is_int(rc, 0, "a deploy that waits for a pending thing succeeds");
	made_slow = strstr(log, "create-thing --name toy-slow");
	made_after = strstr(log, "create-thing --name toy-after");
	ok(made_slow && made_after && made_slow < made_after &&
	   count(made_slow, "get-thing --name toy-slow") - count(made_after, "get-thing --name toy-slow") >= 2,
	   "what needs it is made once it is available, after reading it again");
	free(log);
	end();
	begin(0, 4);
	rc = deploy(waits, NULL, &changes, &calls);
	ok(rc == 0 && calls == 0, "the next run finds both, available, and changes nothing");
	end();
}

static void test_unless(void)
{
	static const struct { const char *env; int calls; const char *what; } runs[] = {
		{ "AWS_REGION=us-east-2\n", 0, "without WANT: not in the stack, no call" },
		{ "AWS_REGION=us-east-2\nWANT=1\nGIVEN=x\n", 0, "WANT and GIVEN: unless keeps it out" },
		{ "AWS_REGION=us-east-2\nWANT=1\nGIVEN=\n", 2, "WANT, GIVEN empty: read and made" },
	};
	size_t i;
	int changes, calls, rc;
	char *log;

	unlink(state_path);
	for (i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		write_file(env_path, runs[i].env);
		begin(0, 4);
		rc = deploy(conditional, NULL, &changes, &calls);
		log = slurp(log_path);
		calls = count(log, "toy-made");
		free(log);
		is_int(rc == 0 ? calls : -1, runs[i].calls, "%s", runs[i].what);
		end();
	}
}

int main(int argc, char **argv)
{
	(void)argc;
	find_fake_cloud(argv[0]);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(state_path, sizeof(state_path), "%s/state.json", dir);
	snprintf(log_path, sizeof(log_path), "%s/calls.log", dir);
	snprintf(env_path, sizeof(env_path), "%s/aws-resources.env", dir);
	setenv("FAKE_CLOUD_STATE", state_path, 1);
	setenv("FAKE_CLOUD_LOG", log_path, 1);
	log_set_verbosity(-1);
	devnull = fopen("/dev/null", "w");

	plan(47);
	test_deploy();
	test_dry_run();
	test_teardown();
	test_shared_and_first_run();
	test_tags();
	test_speculative();
	test_ready();
	test_unless();

	envfile_free(ef);
	aws_shutdown();
	unlink(state_path);
	unlink(log_path);
	unlink(env_path);
	rmdir(dir);
	fclose(devnull);
	return done();
}
