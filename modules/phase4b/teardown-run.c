/* awsphase 4b teardown, carrying out the plan (teardown.h): each phase's
 * calls at once, again while AWS answers "in use", waits between phases. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "teardown.h"
#include "rollback.h"

static const char *const service_keys[] = { "SERVICE_ARN", "TASK_DEF_ARN", P4B_LAST_GOOD_KEY,
					    P4B_PREVIOUS_GOOD_KEY, NULL };
static const char *const listener_keys[] = { "LISTENER_ARN", NULL };
static const char *const alb_keys[] = { "ALB_ARN", "ALB_DNS", NULL };
static const char *const tg_keys[] = { "TG_ARN", NULL };
static const char *const sg_keys[] = { "ALB_SG_ID", "ECS_SG_ID", NULL };

static char *copy(const char *s)
{
	return strdup(s ? s : "");
}

void td_shown(struct td_del *d, const char *fmt, ...)
{
	va_list ap;

	if (!d)
		return;
	free(d->shown);
	va_start(ap, fmt);
	if (vasprintf(&d->shown, fmt, ap) < 0)
		d->shown = NULL;
	va_end(ap);
}

struct td_del *td_add(struct teardown *t, int phase, const char *service, const char *op,
		       const char *kind, const char *name, const char *id, const char *verb, ...)
{
	struct td_del *d;
	const char *a;
	size_t i = 0;
	va_list ap;

	if (t->n >= TD_MAX_DELS) {
		t->h->log(AWSPHASE_LOG_WARN, "4b teardown: more than %d deletions; run teardown again "
			  "for the rest", TD_MAX_DELS);
		return NULL;
	}
	d = &t->dels[t->n++];
	memset(d, 0, sizeof(*d));
	d->phase = phase;
	d->service = service;
	d->op = op;
	d->kind = kind;
	d->name = copy(name);
	d->id = copy(id);
	d->verb = copy(verb);
	va_start(ap, verb);
	while ((a = va_arg(ap, const char *)) && i < TD_MAX_ARGS)
		d->argv[i++] = copy(a);
	va_end(ap);
	return d;
}

void td_gone(struct td_del *d, const char *a, const char *b, const char *c)
{
	if (!d)
		return;
	d->gone[0] = a;
	d->gone[1] = b;
	d->gone[2] = c;
}

void td_busy(struct td_del *d, const char *a, const char *b)
{
	if (!d)
		return;
	d->busy[0] = a;
	d->busy[1] = b;
}

static int in(const char *const *codes, size_t n, const char *code)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (codes[i] && code && strcmp(codes[i], code) == 0)
			return 1;
	return 0;
}

static void record(struct teardown *t, const struct td_del *d, const char *result)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "kind", d->kind);
	cJSON_AddStringToObject(o, "name", d->name);
	if (*d->id)
		cJSON_AddStringToObject(o, "id", d->id);
	cJSON_AddStringToObject(o, "action", d->verb);
	*strchr(cJSON_GetObjectItemCaseSensitive(o, "action")->valuestring, '|') = '\0';
	cJSON_AddStringToObject(o, "result", result);
	cJSON_AddItemToArray(t->report, o);
}

/* d's "to do|done" in the user's language: what td_shown built, else the
 * verb looked up with the kind as context ("kind\004verb", gettext's
 * key), else alone; a translation without its '|' is not used. */
static const char *verb_text(const struct awsphase_host *h, const struct td_del *d)
{
	const char *t;

	if (d->shown && strchr(d->shown, '|'))
		return d->shown;
	t = p4b_text_for(h, d->kind, d->verb);
	return strchr(t, '|') ? t : d->verb;
}

/* "security group kaviar-ecs-sg sg-…" and then, by how: ": delete" (the
 * plan), " (deleted)", " (would delete)", " (already gone)".  ARNs are
 * left out: they are in --output json. */
enum how { PLAN, DONE, WOULD, GONE };

static void describe(const struct awsphase_host *h, const struct td_del *d, enum how how, char *buf,
		     size_t size)
{
	const char *verb = verb_text(h, d);
	const char *bar = strchr(verb, '|');
	int todo = (int)(bar - verb);
	int show_id = *d->id && strncmp(d->id, "arn:", 4) != 0;
	size_t len = (size_t)snprintf(buf, size, "%s %s%s%s", p4b_kind_text(h, d->kind), d->name,
				      show_id ? " " : "", show_id ? d->id : "");

	if (len >= size)
		return;
	if (how == PLAN)
		snprintf(buf + len, size - len, ": %.*s", todo, verb);
	else if (how == DONE)
		snprintf(buf + len, size - len, " (%s)", bar + 1);
	else if (how == WOULD)
		snprintf(buf + len, size - len, h->text(" (would %.*s)"), todo, verb);
	else
		snprintf(buf + len, size - len, "%s", h->text(" (already gone)"));
}

/* Runs the phase's deletions not done yet, at once.  Returns how many AWS
 * still refuses as busy (their codes in state), or -exit code. */
static int attempt(struct teardown *t, char *state, size_t size)
{
	const struct awsphase_host *h = t->h;
	struct awsphase_call *calls[TD_MAX_DELS];
	struct td_del *which[TD_MAX_DELS];
	size_t n = 0, i, k;
	int rc, still = 0, failed = 0;
	char what[600];

	for (i = 0; i < t->n; i++) {
		struct td_del *d = &t->dels[i];

		if (d->phase != t->phase || d->done)
			continue;
		calls[n] = h->call_new(d->service, d->op);
		for (k = 0; k < TD_MAX_ARGS && d->argv[k]; k++)
			h->call_arg(calls[n], d->argv[k]);
		for (k = 0; k < 3; k++) {
			if (d->gone[k])
				h->call_accept(calls[n], d->gone[k]);
			if (d->busy[k])
				h->call_accept(calls[n], d->busy[k]);
		}
		which[n++] = d;
	}
	if (!n)
		return 0;
	rc = h->call_run_all(calls, n);
	if (state && size)
		state[0] = '\0';
	for (i = 0; i < n; i++) {
		struct td_del *d = which[i];
		enum awsphase_call_state st = h->call_state(calls[i]);
		const char *code = h->call_error(calls[i]);

		if (st == AWSPHASE_CALL_ACCEPTED && in(d->busy, 3, code)) {
			still++;
			if (state && strlen(state) + strlen(code) + strlen(d->name) + 8 < size)
				snprintf(state + strlen(state), size - strlen(state), "%s%s %s: %s",
					 *state ? "; " : "", p4b_kind_text(h, d->kind), d->name, code);
			continue;
		}
		if (st == AWSPHASE_CALL_FAILED) {
			failed = 1;
			record(t, d, "failed");
			continue;
		}
		d->done = 1;
		if (st == AWSPHASE_CALL_DRY_RUN) {
			describe(h, d, WOULD, what, sizeof(what));
			h->say("• %s", what);
			record(t, d, "would run");
		} else if (st == AWSPHASE_CALL_ACCEPTED) {
			describe(h, d, GONE, what, sizeof(what));
			h->say("· %s", what);
			h->log(AWSPHASE_LOG_VERBOSE, "%s %s: %s", d->service, d->op, code);
			record(t, d, "already gone");
		} else {
			describe(h, d, DONE, what, sizeof(what));
			h->say("✓ %s", what);
			record(t, d, "done");
		}
	}
	for (i = 0; i < n; i++)
		h->call_free(calls[i]);
	if (failed || rc)
		return -(rc ? rc : AWSPHASE_EXIT_AWS);
	return still;
}

static int retry_poll(void *ctx, char *state, size_t size, int *exit_code)
{
	int left = attempt(ctx, state, size);

	if (left < 0) {
		*exit_code = -left;
		return -1;
	}
	return left == 0;
}

static int run_phase(struct teardown *t, int phase)
{
	struct awsphase_wait w = { 0 };
	char state[512];
	int left;

	t->phase = phase;
	left = attempt(t, state, sizeof(state));
	if (left <= 0)
		return -left;
	t->h->say("… %s: AWS is not done with what uses it yet; trying again", state);
	w.what = t->h->text("AWS to let the deletions through");
	w.interval_s = 2;
	w.poll = retry_poll;
	w.ctx = t;
	return t->h->wait(&w);
}

static int service_gone(void *ctx, char *state, size_t size, int *exit_code)
{
	struct teardown *t = ctx;
	const struct awsphase_host *h = t->h;
	struct awsphase_call *call = h->call_new("ecs", "describe-services");
	const char *status;
	int rc;

	h->call_arg(call, "--cluster");
	h->call_arg(call, t->c->cluster);
	h->call_arg(call, "--services");
	h->call_arg(call, t->c->service);
	h->call_accept(call, "ClusterNotFoundException");
	rc = h->call_run(call);
	if (rc) {
		h->call_free(call);
		*exit_code = rc;
		return -1;
	}
	status = h->json_str(h->call_json(call), "services.0.status");
	snprintf(state, size, h->text("status %s, %d running"), status ? status : h->text("gone"),
		 (int)h->json_num(h->call_json(call), "services.0.runningCount", 0));
	rc = !status || strcmp(status, "INACTIVE") == 0;
	h->call_free(call);
	return rc;
}

static int alb_gone(void *ctx, char *state, size_t size, int *exit_code)
{
	struct teardown *t = ctx;
	const struct awsphase_host *h = t->h;
	struct awsphase_call *call = h->call_new("elbv2", "describe-load-balancers");
	const char *code;
	int rc;

	h->call_arg(call, "--names");
	h->call_arg(call, t->c->alb_name);
	h->call_accept(call, "LoadBalancerNotFound");
	rc = h->call_run(call);
	if (rc) {
		h->call_free(call);
		*exit_code = rc;
		return -1;
	}
	code = h->json_str(h->call_json(call), "LoadBalancers.0.State.Code");
	if (code)
		snprintf(state, size, h->text("still listed, state %s"), code);
	else
		snprintf(state, size, "%s", h->text("still listed"));
	rc = h->call_state(call) == AWSPHASE_CALL_ACCEPTED;
	h->call_free(call);
	return rc;
}

static int wait_for(struct teardown *t, const char *what,
		    int (*poll)(void *, char *, size_t, int *))
{
	struct awsphase_wait w = { 0 };

	if (t->dry)
		return 0;
	t->h->say("… waiting for %s", what);
	w.what = what;
	w.interval_s = 2;
	w.poll = poll;
	w.ctx = t;
	return t->h->wait(&w);
}

static void unset(struct teardown *t, const char *const *keys)
{
	for (; *keys; keys++)
		t->h->env_unset(*keys);
}

int td_act(struct teardown *t)
{
	const struct p4b *c = t->c;
	char what[512];
	int rc = 0, phase;

	for (phase = 1; phase <= TD_PHASES && !rc; phase++) {
		rc = run_phase(t, phase);
		if (rc)
			break;
		switch (phase) {
		case 2:
			if (t->wait_service) {
				snprintf(what, sizeof(what), t->h->text("service %s to become INACTIVE"), c->service);
				rc = wait_for(t, what, service_gone);
			}
			if (!rc)
				unset(t, service_keys);
			break;
		case 3:
			unset(t, listener_keys);
			break;
		case 4:
			if (t->wait_alb) {
				snprintf(what, sizeof(what), t->h->text("load balancer %s to be gone"), c->alb_name);
				rc = wait_for(t, what, alb_gone);
			}
			if (!rc)
				unset(t, alb_keys);
			break;
		case 5:
			unset(t, tg_keys);
			break;
		case 7:
			if (t->all)
				unset(t, sg_keys);
			break;
		}
	}
	return rc;
}

int td_confirm(struct teardown *t)
{
	char what[600], answer[32];
	size_t i;
	int phase;

	/* on stderr, where the prompt is: stdout may be --output json */
	fprintf(stderr, "%s", t->h->text("awsphase 4b teardown will, in this order:\n"));
	for (phase = 1; phase <= TD_PHASES; phase++)
		for (i = 0; i < t->n; i++) {
			if (t->dels[i].phase != phase)
				continue;
			describe(t->h, &t->dels[i], PLAN, what, sizeof(what));
			fprintf(stderr, "  • %s\n", what);
		}
	fprintf(stderr, "%s", t->h->text("Type yes to delete them: "));
	fflush(stderr);
	if (!fgets(answer, sizeof(answer), stdin))
		return 0;
	answer[strcspn(answer, "\r\n")] = '\0';
	return strcmp(answer, "yes") == 0 || strcmp(answer, "y") == 0;
}

void td_release(struct teardown *t)
{
	size_t i, k;

	for (i = 0; i < t->n; i++) {
		for (k = 0; k < TD_MAX_ARGS; k++)
			free(t->dels[i].argv[k]);
		free(t->dels[i].name);
		free(t->dels[i].id);
		free(t->dels[i].verb);
		free(t->dels[i].shown);
	}
	for (i = 0; i < sizeof(t->extra) / sizeof(t->extra[0]); i++)
		if (t->extra[i])
			t->h->call_free(t->extra[i]);
	p4b_view_free(&t->v);
	if (t->report)
		t->h->report_add("teardown", t->report);
}

void td_forget(struct teardown *t)
{
	if (t->dry)
		return;
	unset(t, service_keys);
	unset(t, listener_keys);
	unset(t, alb_keys);
	unset(t, tg_keys);
	if (t->all)
		unset(t, sg_keys);
}
