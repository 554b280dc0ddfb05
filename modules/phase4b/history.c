/* The deploy history (history.h) and awsphase 4b history. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploy.h"
#include "history.h"

#define STREAM "events"
#define READ_LIMIT 200          /* events rollback --previous looks through */

static int opt_limit = 20;

const struct poptOption p4b_history_options[] = {
	{ "limit", 0, POPT_ARG_INT, &opt_limit, 0, N_("show the newest N events (default 20)"), "N" },
	POPT_TABLEEND
};

static void group_name(const struct p4b *c, char *buf, size_t size)
{
	size_t n = strlen(c->cluster);

	if (n > 8 && strcmp(c->cluster + n - 8, "-cluster") == 0)
		n -= 8;
	snprintf(buf, size, "/awsphase/%.*s/history", (int)n, c->cluster);
}

/* The caller's ARN: the host's, which its account guard has asked already. */
static const char *caller(const struct awsphase_host *h)
{
	const char *arn = NULL;

	h->caller_identity(NULL, &arn);
	return arn ? arn : "";
}

const char *p4b_result_of(const struct p4b *c, int rc, int rolled_back)
{
	if (!rc)
		return "completed";
	if (c->cb_rolled_back)
		return "rolled-back-by-circuit-breaker";
	if (rolled_back)
		return "rolled-back-by-awsphase";
	return rc == AWSPHASE_EXIT_TIMEOUT ? "timed-out" : "failed";
}

/* A call that may find what it needs missing (accepted codes); 1 when it
 * did, 0 done, -1 failed (the host said why). */
static int run(struct awsphase_call *call, const char *accept)
{
	const struct awsphase_host *h = p4b_h;
	int rc, state;

	h->call_accept(call, accept);
	rc = h->call_run(call);
	state = h->call_state(call);
	h->call_free(call);
	return rc ? -1 : state == AWSPHASE_CALL_ACCEPTED;
}

static int put(const struct awsphase_host *h, const char *group, const char *events)
{
	struct awsphase_call *call = h->call_new("logs", "put-log-events");

	h->call_args(call, "--log-group-name", group, "--log-stream-name", STREAM, "--log-events",
		     events, NULL);
	return run(call, "ResourceNotFoundException");
}

/* The group (with its retention) and the stream, each once. */
static int make_group(const struct awsphase_host *h, const char *group)
{
	struct awsphase_call *call = h->call_new("logs", "create-log-group");
	int made;

	h->call_args(call, "--log-group-name", group, NULL);
	made = run(call, "ResourceAlreadyExistsException");
	if (made < 0)
		return -1;
	if (!made) {
		call = h->call_new("logs", "put-retention-policy");
		h->call_args(call, "--log-group-name", group, "--retention-in-days", NULL);
		h->call_argf(call, "%d", P4B_HISTORY_DAYS);
		if (run(call, "OperationAbortedException") < 0)
			return -1;
	}
	call = h->call_new("logs", "create-log-stream");
	h->call_args(call, "--log-group-name", group, "--log-stream-name", STREAM, NULL);
	return run(call, "ResourceAlreadyExistsException") < 0 ? -1 : 0;
}

/* A revision pinned to REPO@sha256:… names no tag: the tags ECR gives that
 * image now, ECR_URI's own if it is one of them, else the first. */
static void tag_of_digest(struct p4b *c, const char *image, const char *digest, char *tag,
			  size_t size)
{
	const struct awsphase_host *h = c->h;
	const char *slash = strchr(image, '/'), *t;
	char repo[256], id[128], path[64];
	struct p4b_image im;
	cJSON *doc = NULL;
	int i;

	if (!slash || strlen(digest) > 80)
		return;
	snprintf(repo, sizeof(repo), "%.*s", (int)strcspn(slash + 1, "@:"), slash + 1);
	snprintf(id, sizeof(id), "imageDigest=%s", digest);
	if (h->aws(&doc, "ecr", "describe-images", "--repository-name", repo, "--image-ids", id,
		   NULL) == 0) {
		for (i = 0; snprintf(path, sizeof(path), "imageDetails.0.imageTags.%d", i) > 0 &&
			    (t = h->json_str(doc, path)); i++) {
			if (!*tag || (p4b_parse_image(c->ecr_uri, &im) == 0 && strcmp(t, im.tag) == 0))
				snprintf(tag, size, "%s", t);
		}
	}
	cJSON_Delete(doc);
}

static void image_parts(struct p4b *c, const char *image, cJSON *o, const struct p4b_event *ev)
{
	const char *name = image ? strrchr(image, '/') : NULL, *at, *colon;
	char tag[256] = "";

	name = name ? name + 1 : image ? image : "";
	at = strchr(name, '@');
	colon = strchr(name, ':');
	if (colon && (!at || colon < at))
		snprintf(tag, sizeof(tag), "%.*s", (int)((at ? at : colon + strlen(colon)) - colon - 1), colon + 1);
	else if (*name && !at)
		snprintf(tag, sizeof(tag), "latest");
	else if (at && !ev->image_tag)
		tag_of_digest(c, image, at + 1, tag, sizeof(tag));
	cJSON_AddStringToObject(o, "image_tag", ev->image_tag ? ev->image_tag : tag);
	cJSON_AddStringToObject(o, "image_digest", ev->image_digest ? ev->image_digest : at ? at + 1 : "");
}

void p4b_history_record(struct p4b *c, const struct p4b_event *ev)
{
	const struct awsphase_host *h = c->h;
	const char *td = ev->td_arn ? ev->td_arn : "";
	char group[600], when[40];
	cJSON *o = cJSON_CreateObject(), *doc = NULL, *events = cJSON_CreateArray(), *e;
	char *msg, *text;
	int rc;

	h->format_time(h->now(), 0, when, sizeof(when));
	cJSON_AddStringToObject(o, "who", caller(h));
	cJSON_AddStringToObject(o, "when", when);
	cJSON_AddStringToObject(o, "action", ev->action);
	if (!ev->image && *td)
		h->aws(&doc, "ecs", "describe-task-definition", "--task-definition", td, NULL);
	image_parts(c, ev->image ? ev->image : h->json_str(doc, "taskDefinition.containerDefinitions.0.image"),
		    o, ev);
	cJSON_Delete(doc);
	cJSON_AddStringToObject(o, "revision", *td ? p4b_arn_tail(td) : "");
	cJSON_AddStringToObject(o, "revision_arn", td);
	cJSON_AddStringToObject(o, "deployment", ev->deployment ? ev->deployment : "");
	if (ev->result)
		cJSON_AddStringToObject(o, "result", ev->result);
	else
		cJSON_AddNumberToObject(o, "result", ev->exit_code);
	cJSON_AddNumberToObject(o, "duration_s", (double)(long)(h->now() - ev->started + 0.5));
	msg = cJSON_PrintUnformatted(o);
	e = cJSON_CreateObject();
	cJSON_AddNumberToObject(e, "timestamp", (double)(long long)(h->now() * 1000));
	cJSON_AddStringToObject(e, "message", msg);
	cJSON_AddItemToArray(events, e);
	text = cJSON_PrintUnformatted(events);
	group_name(c, group, sizeof(group));
	rc = put(h, group, text);
	if (rc == 1)
		rc = make_group(h, group) < 0 ? -1 : put(h, group, text);
	if (rc)
		h->log(AWSPHASE_LOG_WARN, "the deploy history in log group %s does not have this %s "
		       "(%s): the %s itself is unaffected; check the logs:CreateLogGroup and "
		       "logs:PutLogEvents permissions", group, ev->action, msg, ev->action);
	else
		h->log(AWSPHASE_LOG_VERBOSE, "recorded in the deploy history (%s): %s", group, msg);
	cJSON_Delete(o);
	cJSON_Delete(events);
	free(msg);
	free(text);
}

int p4b_history_drop(struct p4b *c, int delete)
{
	const struct awsphase_host *h = c->h;
	struct awsphase_call *call;
	char group[600];

	group_name(c, group, sizeof(group));
	if (!delete) {
		h->log(AWSPHASE_LOG_VERBOSE, "the deploy history (log group %s) is kept: --delete-data "
		       "deletes it", group);
		return 0;
	}
	call = h->call_new("logs", "delete-log-group");
	h->call_args(call, "--log-group-name", group, NULL);
	return run(call, "ResourceNotFoundException") < 0 ? AWSPHASE_EXIT_AWS : 0;
}

/* The newest limit events, newest first, parsed; NULL with *rc set when
 * there are none (0: no group yet or empty, else an exit code). */
static cJSON *read_events(struct p4b *c, int limit, char *group, size_t size, int *rc)
{
	const struct awsphase_host *h = c->h;
	struct awsphase_call *call = h->call_new("logs", "get-log-events");
	cJSON *list = cJSON_CreateArray();
	const cJSON *e;

	group_name(c, group, size);
	h->call_args(call, "--log-group-name", group, "--log-stream-name", STREAM, "--limit", NULL);
	h->call_argf(call, "%d", limit);
	h->call_accept(call, "ResourceNotFoundException");
	*rc = h->call_run(call);
	/* get-log-events answers the newest, oldest first */
	cJSON_ArrayForEach(e, h->json_get(h->call_json(call), "events")) {
		cJSON *ev = cJSON_Parse(h->json_str(e, "message") ? h->json_str(e, "message") : "");

		if (cJSON_IsObject(ev))
			cJSON_InsertItemInArray(list, 0, ev);
		else
			cJSON_Delete(ev);
	}
	h->call_free(call);
	if (*rc || !cJSON_GetArraySize(list)) {
		cJSON_Delete(list);
		return NULL;
	}
	return list;
}

int p4b_history_last_good(struct p4b *c, const char *current, char *out, size_t size)
{
	const struct awsphase_host *h = c->h;
	char group[600];
	const cJSON *ev;
	int rc, found = 0;
	cJSON *list = read_events(c, READ_LIMIT, group, sizeof(group), &rc);

	cJSON_ArrayForEach(ev, list) {
		const char *arn = h->json_str(ev, "revision_arn"), *action = h->json_str(ev, "action");
		const char *result = h->json_str(ev, "result");

		if (arn && *arn && (!current || strcmp(arn, current) != 0) && result &&
		    strcmp(result, "completed") == 0 && action &&
		    (strcmp(action, "deploy") == 0 || strcmp(action, "rollback") == 0)) {
			snprintf(out, size, "%s", arn);
			found = 1;
			break;
		}
	}
	cJSON_Delete(list);
	if (found)
		h->log(AWSPHASE_LOG_VERBOSE, "the last good revision other than the one in service, "
		       "from the deploy history (%s): %s", group, out);
	return rc ? rc : found;
}

int p4b_history(const struct awsphase_host *h, int argc, const char **argv)
{
	static const char *const headers[] = { N_("when"), N_("action"), N_("result"),
		N_("revision"), N_("image"), N_("deployment"), N_("seconds"), N_("who"), NULL };
	static const char *const first[] = { "when", "action", NULL };
	static const char *const last[] = { "deployment", "#duration_s", "who", NULL };
	struct awsphase_grid *g;
	struct p4b c;
	char group[600];
	const cJSON *ev;
	cJSON *list;
	size_t row = 0;
	int rc;

	if (opt_limit < 1 || opt_limit > 10000) {
		h->log(AWSPHASE_LOG_ERROR, "--limit %d: give 1-10000; see awsphase 4b history --help",
		       opt_limit);
		return AWSPHASE_EXIT_USAGE;
	}
	rc = p4b_config(h, &c);
	if (rc)
		return rc;
	list = read_events(&c, opt_limit, group, sizeof(group), &rc);
	if (rc)
		return rc;
	if (h->settings->json_output) {
		h->report_add("history", list ? list : cJSON_CreateArray());
		return 0;
	}
	if (!list) {
		h->say("no deploy history yet in log group %s: deploy, rollback and run record theirs "
		       "there", group);
		return 0;
	}
	g = h->grid_new(8);
	cJSON_ArrayForEach(ev, list) {
		const char *tag = h->json_str(ev, "image_tag"), *digest = h->json_str(ev, "image_digest");

		h->grid_json(g, row, 0, ev, first);
		if (cJSON_IsNumber(h->json_get(ev, "result")))
			h->grid_put(g, row, 2, "exit %.0f", h->json_num(ev, "result", 0));
		else
			h->grid_put(g, row, 2, "%s", h->json_str(ev, "result") ? h->json_str(ev, "result") : "");
		h->grid_put(g, row, 3, "%s", h->json_str(ev, "revision") ? h->json_str(ev, "revision") : "");
		/* the tag, and the digest's start: enough to tell images apart */
		h->grid_put(g, row, 4, "%s%s%.19s", tag ? tag : "", tag && *tag && digest && *digest ? " " : "",
			    digest ? digest : "");
		h->grid_json(g, row++, 5, ev, last);
	}
	h->grid_show(g, N_("deploy history"), headers);
	cJSON_Delete(list);
	return 0;
}
