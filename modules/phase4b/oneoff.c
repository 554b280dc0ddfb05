/* One-off tasks: awsphase 4b run and deploy's --before gate.
 *
 * A task of a revision of the family runs with the service's network
 * (ecs run-task --launch-type FARGATE, the container's command overridden),
 * its log lines are read as they come from its own stream
 * (ecs/CONTAINER/TASK: logs get-log-events with the forward token, so no
 * line is read twice and no seen-set is kept) and it is waited for until
 * STOPPED.  Its essential container's exit code is the verdict.  A wait
 * that ends on SIGINT/SIGTERM or the deadline stops the task first
 * (ecs stop-task): a migration must not go on unseen. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploy.h"
#include "history.h"

#define TAIL_LINES 20

struct oneoff {
	struct p4b *c;
	const struct awsphase_host *h;
	const char *arn;
	char stream[768];
	char *token;            /* get-log-events' nextForwardToken */
	int live;               /* print lines as they come */
	cJSON *tail;            /* the last TAIL_LINES lines */
	cJSON *task;            /* describe-tasks' answer, the last one */
};

/* The lines logged since the last read; 0 or an exit code. */
static int read_log(struct oneoff *o)
{
	const struct awsphase_host *h = o->h;
	struct awsphase_call *call = h->call_new("logs", "get-log-events");
	const cJSON *ev;
	const char *next;
	int rc;

	h->call_args(call, "--log-group-name", o->c->log_group, "--log-stream-name", o->stream,
		     "--start-from-head", NULL);
	if (o->token)
		h->call_args(call, "--next-token", o->token, NULL);
	/* the stream comes with the first line */
	h->call_accept(call, "ResourceNotFoundException");
	rc = h->call_run(call);
	cJSON_ArrayForEach(ev, h->json_get(h->call_json(call), "events")) {
		const char *msg = p4b_str(ev, "message");
		size_t len = msg ? strcspn(msg, "\r\n") : 0;

		if (!msg)
			continue;
		if (o->live)
			h->print("%.*s", (int)len, msg);
		cJSON_AddItemToArray(o->tail, cJSON_CreateString(msg));
		if (cJSON_GetArraySize(o->tail) > TAIL_LINES)
			cJSON_DeleteItemFromArray(o->tail, 0);
	}
	next = h->json_str(h->call_json(call), "nextForwardToken");
	if (next) {
		free(o->token);
		o->token = strdup(next);
	}
	h->call_free(call);
	return rc;
}

static int task_poll(void *ctx, char *state, size_t size, int *exit_code)
{
	struct oneoff *o = ctx;
	const struct awsphase_host *h = o->h;
	const char *last;
	int rc;

	cJSON_Delete(o->task);
	o->task = NULL;
	rc = h->aws(&o->task, "ecs", "describe-tasks", "--cluster", o->c->cluster, "--tasks", o->arn,
		    NULL);
	if (!rc)
		rc = read_log(o); /* after the state: a STOPPED task's lines are all in */
	if (rc) {
		*exit_code = rc;
		return -1;
	}
	last = h->json_str(o->task, "tasks.0.lastStatus");
	snprintf(state, size, "%s", last ? last : h->text("(no status)"));
	return last && strcmp(last, "STOPPED") == 0;
}

/* The essential container: the one named CONTAINER_NAME, else the first. */
static const cJSON *container_of(struct oneoff *o, const cJSON *task)
{
	const cJSON *ct = o->h->json_find(o->h->json_get(task, "containers"), "name", o->c->container);

	return ct ? ct : o->h->json_get(task, "containers.0");
}

/* The verdict on a STOPPED task into out; 0 when its container exited 0. */
static int verdict(struct oneoff *o, const char *what, cJSON *out)
{
	const struct awsphase_host *h = o->h;
	const cJSON *task = h->json_get(o->task, "tasks.0"), *ct = container_of(o, task);
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(ct, "exitCode");
	const char *reason = p4b_str(task, "stoppedReason"), *why = p4b_str(ct, "reason");
	const char *tid = p4b_arn_tail(o->arn);
	char full[1024];

	snprintf(full, sizeof(full), "%s%s%s", reason ? reason : "", why && *why ? ": " : "",
		 why && *why ? why : "");
	cJSON_AddItemToObject(out, "exit_code", cJSON_IsNumber(code) ?
			      cJSON_CreateNumber(code->valuedouble) : cJSON_CreateNull());
	cJSON_AddStringToObject(out, "reason", full);
	if (cJSON_IsNumber(code) && code->valueint == 0) {
		h->say("%stask %s exited 0", what, tid);
		return 0;
	}
	if (cJSON_IsNumber(code))
		h->log(AWSPHASE_LOG_ERROR, "%stask %s: container %s exited %d (%s)", what, tid,
		       p4b_str(ct, "name"), code->valueint, full);
	else
		h->log(AWSPHASE_LOG_ERROR, "%stask %s stopped before its command ended: %s; see "
		       "awsphase 4b diagnose", what, tid, full);
	return AWSPHASE_EXIT_FAILED;
}

/* The wait ended without the task stopping: stop it, saying why. */
static void stop_task(struct oneoff *o, const char *what, int rc, cJSON *out)
{
	const struct awsphase_host *h = o->h;
	char reason[256];

	h->cleanup(30);
	snprintf(reason, sizeof(reason), "stopped by awsphase: %s",
		 rc == AWSPHASE_EXIT_TIMEOUT ? "--timeout ran out" : "interrupted");
	if (h->aws(NULL, "ecs", "stop-task", "--cluster", o->c->cluster, "--task", o->arn, "--reason",
		   reason, NULL) == 0)
		h->log(AWSPHASE_LOG_INFO, "%sstopped task %s (ecs stop-task)", what, p4b_arn_tail(o->arn));
	cJSON_AddNullToObject(out, "exit_code");
	cJSON_AddStringToObject(out, "reason", reason);
}

/* {"awsvpcConfiguration": awsvpc} and the container's command, as run-task
 * takes them (JSON: one argument each, whatever the words hold). */
static void run_args(struct p4b *c, struct awsphase_call *call, const cJSON *awsvpc,
		     const char *const *argv, int argc)
{
	cJSON *net = cJSON_CreateObject(), *ov = cJSON_CreateObject(), *co = cJSON_CreateObject();
	cJSON *cmd;
	char *a, *b;
	int i;

	cJSON_AddItemToObject(net, "awsvpcConfiguration", cJSON_Duplicate(awsvpc, 1));
	cJSON_AddStringToObject(co, "name", c->container);
	cmd = cJSON_AddArrayToObject(co, "command");
	for (i = 0; i < argc; i++)
		cJSON_AddItemToArray(cmd, cJSON_CreateString(argv[i]));
	cJSON_AddItemToArray(cJSON_AddArrayToObject(ov, "containerOverrides"), co);
	a = cJSON_PrintUnformatted(net);
	b = cJSON_PrintUnformatted(ov);
	c->h->call_args(call, "--network-configuration", a, "--overrides", b, NULL);
	cJSON_free(a);
	cJSON_free(b);
	cJSON_Delete(net);
	cJSON_Delete(ov);
}

int p4b_oneoff(struct p4b *c, const char *td, const cJSON *awsvpc, const char *const *argv,
	       int argc, const char *what, int live, cJSON *out)
{
	const struct awsphase_host *h = c->h;
	struct awsphase_call *call = h->call_new("ecs", "run-task");
	struct oneoff o = { .c = c, .h = h, .live = live };
	struct awsphase_wait w = { 0 };
	char waiting[256];
	int rc;

	h->call_args(call, "--cluster", c->cluster, "--task-definition", td, "--launch-type",
		     "FARGATE", "--started-by", "awsphase", NULL);
	run_args(c, call, awsvpc, argv, argc);
	rc = h->call_run(call);
	cJSON_AddStringToObject(out, "revision", p4b_arn_tail(td));
	if (!rc && h->call_state(call) == AWSPHASE_CALL_DRY_RUN) {
		h->say("%sdry run: the task is not started", what);
		h->call_free(call);
		return 0;
	}
	o.arn = h->json_str(h->call_json(call), "tasks.0.taskArn");
	if (!rc && !o.arn) {
		h->log(AWSPHASE_LOG_ERROR, "%secs run-task started no task: %s", what,
		       h->json_str(h->call_json(call), "failures.0.reason") ?
		       h->json_str(h->call_json(call), "failures.0.reason") : "(no reason given)");
		rc = AWSPHASE_EXIT_AWS;
	}
	if (rc) {
		h->call_free(call);
		return rc;
	}
	cJSON_AddStringToObject(out, "task", o.arn);
	cJSON_ReplaceItemInObject(out, "revision", cJSON_CreateString(p4b_arn_tail(
		h->json_str(h->call_json(call), "tasks.0.taskDefinitionArn"))));
	snprintf(o.stream, sizeof(o.stream), "%s/%s/%s", P4B_LOG_STREAM_PREFIX, c->container,
		 p4b_arn_tail(o.arn));
	o.tail = cJSON_AddArrayToObject(out, "log");
	h->say("%stask %s of %s started; its log: %s %s", what, p4b_arn_tail(o.arn),
	       p4b_str(out, "revision"), c->log_group, o.stream);
	snprintf(waiting, sizeof(waiting), h->text("task %s to stop"), p4b_arn_tail(o.arn));
	w.what = waiting;
	w.interval_s = 3;
	w.poll = task_poll;
	w.ctx = &o;
	rc = h->wait(&w);
	if (rc == AWSPHASE_EXIT_TIMEOUT || rc == AWSPHASE_EXIT_INTERRUPTED)
		stop_task(&o, what, rc, out);
	else if (!rc)
		rc = verdict(&o, what, out);
	h->call_free(call);
	cJSON_Delete(o.task);
	free(o.token);
	return rc;
}

/* ---- deploy --before ------------------------------------------------------------------ */

int p4b_before_deploy(struct awsphase_stack *s, struct p4b *c, const char *command)
{
	const struct awsphase_host *h = c->h;
	const struct awsphase_engine *e = h->engine;
	const char *argv[] = { "sh", "-c", command }, *subnets[2], *sg = e->id_of(s, "ecs-sg");
	const char *runs = h->json_str(e->have(s, "service"), "taskDefinition");
	cJSON *net = cJSON_CreateObject(), *out = cJSON_CreateObject();
	const cJSON *line;
	int rc;

	/* the network the service gets (it may not exist yet) */
	p4b_task_subnets(c, subnets);
	cJSON_AddItemToObject(net, "subnets", cJSON_CreateStringArray(subnets, 2));
	cJSON_AddItemToObject(net, "securityGroups", cJSON_CreateStringArray(&sg, 1));
	cJSON_AddStringToObject(net, "assignPublicIp", p4b_assign_public_ip(c));
	cJSON_AddStringToObject(out, "command", command);
	rc = p4b_oneoff(c, e->id_of(s, "td"), net, argv, 3, "--before: ", 0, out);
	if (rc && cJSON_GetArraySize(h->json_get(out, "log"))) {
		h->log(AWSPHASE_LOG_INFO, "--before: the task's last log lines:");
		cJSON_ArrayForEach(line, h->json_get(out, "log"))
			h->print("  %s", line->valuestring);
	}
	if (rc && runs)
		h->log(AWSPHASE_LOG_ERROR, "service %s not moved: it stays on %s; fix what the command "
		       "reports and deploy again (%s is registered and runs the command first again)",
		       c->service, p4b_arn_tail(runs), p4b_arn_tail(e->id_of(s, "td")));
	else if (rc)
		h->log(AWSPHASE_LOG_ERROR, "service %s not created: the command before it failed; fix "
		       "what it reports and deploy again", c->service);
	h->report_add("before", out);
	cJSON_Delete(net);
	return rc;
}

/* ---- awsphase 4b run ------------------------------------------------------------------- */

static int opt_revision, opt_next;

const struct poptOption p4b_run_options[] = {
	{ "revision", 0, POPT_ARG_INT, &opt_revision, 0,
	  N_("a task of revision N of the family instead of the service's"), "N" },
	{ "next", 0, POPT_ARG_NONE, &opt_next, 0,
	  N_("a task of the revision the next deploy would register, registered now when it is "
	  "not there yet"), NULL },
	POPT_TABLEEND
};

int p4b_run(const struct awsphase_host *h, int argc, const char **argv)
{
	static const char *const service_key[] = { "service", NULL }, *const td_key[] = { "td", NULL };
	const struct awsphase_engine *e = h->engine;
	struct p4b c;
	struct p4b_run run = { .c = &c };
	struct awsphase_stack *s;
	const cJSON *svc;
	const char *td;
	char rev[P4B_ID_SIZE];
	cJSON *out;
	struct p4b_event ev = { .action = "run", .started = h->now() };
	int rc, calls = 0;

	if (opt_next && opt_revision) {
		h->log(AWSPHASE_LOG_ERROR, "--revision and --next name two revisions; give one");
		return AWSPHASE_EXIT_USAGE;
	}
	if (opt_revision < 0) {
		h->log(AWSPHASE_LOG_ERROR, "--revision %d: give a revision number, 1 or more",
		       opt_revision);
		return AWSPHASE_EXIT_USAGE;
	}
	rc = p4b_config(h, &c);
	if (rc)
		return rc;
	s = p4b_open(h, &run);
	if (!s)
		return AWSPHASE_EXIT_FAILED;
	rc = opt_next ? e->plan(s, td_key, NULL) : e->read(s, service_key);
	svc = e->have(s, "service");
	if (!rc && !p4b_str_is(svc, "status", "ACTIVE")) {
		h->log(AWSPHASE_LOG_ERROR, "service %s is not in cluster %s, and a one-off task "
		       "runs with its network configuration; run awsphase 4b deploy first", c.service,
		       c.cluster);
		rc = AWSPHASE_EXIT_FAILED;
	}
	if (!rc && opt_next)
		rc = e->apply(s, &calls);
	if (!rc) {
		snprintf(rev, sizeof(rev), "%s:%d", c.family, opt_revision);
		td = opt_next ? e->id_of(s, "td") : opt_revision ? rev : p4b_str(svc, "taskDefinition");
		out = cJSON_CreateObject();
		rc = p4b_oneoff(&c, td, p4b_awsvpc(svc), argv + 1, argc - 1, "", 1, out);
		/* a task that ran is history: its exit code is the result */
		if (h->json_str(out, "task")) {
			ev.td_arn = h->json_str(out, "revision");
			ev.exit_code = cJSON_IsNumber(cJSON_GetObjectItem(out, "exit_code")) ?
				       cJSON_GetObjectItem(out, "exit_code")->valueint : -1;
			ev.result = ev.exit_code < 0 ? "failed" : NULL;
			p4b_history_record(&c, &ev);
		}
		h->report_add("run", out);
	}
	e->close(s);
	return rc;
}
