/* The services of the resource engine, as modules reach them through
 * h->engine: what a stack knows, and what a resource's functions may ask
 * and say. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws.h"
#include "engine.h"
#include "engine-int.h"
#include "host.h"
#include "i18n.h"
#include "json.h"
#include "log.h"
#include "report.h"

/* ---- what a stack knows --------------------------------------------------------------- */

static struct awsphase_res *known(struct awsphase_stack *s, const char *key)
{
	struct awsphase_res *r = s ? engine_find(s, key) : NULL;

	return r && r->present ? r : NULL;
}

static const cJSON *stack_have(struct awsphase_stack *s, const char *key)
{
	struct awsphase_res *r = known(s, key);

	return r && r->found ? r->item : NULL;
}

static const cJSON *stack_now(struct awsphase_stack *s, const char *key)
{
	struct awsphase_res *r = known(s, key);

	return r ? (r->now ? r->now : r->found ? r->item : NULL) : NULL;
}

static const char *stack_id(struct awsphase_stack *s, const char *key)
{
	struct awsphase_res *r = known(s, key);

	return r ? engine_id(r) : "";
}

static enum awsphase_result stack_result(struct awsphase_stack *s, const char *key)
{
	struct awsphase_res *r = known(s, key);

	if (!r)
		return AWSPHASE_RESULT_NONE;
	if (r->failed || r->rstate == R_FAILED)
		return AWSPHASE_RESULT_FAILED;
	if (r->rm_phase == 3 && r->nrm)
		return AWSPHASE_RESULT_REMOVED;
	if (r->would)
		return AWSPHASE_RESULT_WOULD;
	if (r->created)
		return AWSPHASE_RESULT_CREATED;
	if (r->updated)
		return AWSPHASE_RESULT_UPDATED;
	if (r->settled)
		return AWSPHASE_RESULT_UNCHANGED;
	if (r->rstate != R_READ)
		return AWSPHASE_RESULT_NONE;
	return r->found ? AWSPHASE_RESULT_FOUND : AWSPHASE_RESULT_ABSENT;
}

static const char *stack_error(struct awsphase_stack *s, const char *key)
{
	struct awsphase_res *r = known(s, key);

	return r && !r->found ? r->error : NULL;
}

static const cJSON *stack_answer(struct awsphase_stack *s, const char *key, int step)
{
	struct awsphase_res *r = known(s, key);

	return r && step >= 0 && step < ENGINE_MAX_STEPS ? r->answers[step] : NULL;
}

static const char *unknown(struct awsphase_stack *s, struct awsphase_res *r, int depth);

/* The first resource args name with {@key} whose read is unknown. */
static const char *unknown_refs(struct awsphase_stack *s, const char *const *args, int depth)
{
	const char *p, *why;
	char key[128];

	for (; args && *args; args++)
		for (p = *args; (p = strstr(p, "{@")); p += 2) {
			snprintf(key, sizeof(key), "%.*s", (int)strcspn(p + 2, ".}"), p + 2);
			if ((why = unknown(s, known(s, key), depth + 1)))
				return why;
		}
	return NULL;
}

/* A read that failed says nothing of whether its resource is there, and
 * neither does one made with what a failed read would have told. */
static const char *unknown(struct awsphase_stack *s, struct awsphase_res *r, int depth)
{
	const char *const *k;
	const char *why = NULL;

	if (!r || depth > 8)
		return NULL;
	if (r->failed || r->rstate == R_FAILED)
		return r->error && *r->error ? r->error : _("no answer");
	if (r->d.from)
		why = unknown(s, known(s, r->d.from), depth + 1);
	for (k = r->d.read_after; !why && k && *k; k++)
		why = unknown(s, known(s, *k), depth + 1);
	if (!why)
		why = unknown_refs(s, r->d.find.args, depth);
	return why ? why : unknown_refs(s, r->d.then.args, depth);
}

static const char *stack_unknown(struct awsphase_stack *s, const char *key)
{
	return unknown(s, known(s, key), 0);
}

static int stack_read(struct awsphase_stack *s, const char *const *keys)
{
	engine_select(s, keys, 0);
	return engine_read_all(s);
}

/* ---- inside a resource's functions -------------------------------------------------------- */

static void *res_ctx(struct awsphase_res *r)
{
	return r->s->ctx;
}

static enum awsphase_mode res_mode(struct awsphase_res *r)
{
	return r->s->mode;
}

static const char *res_name(struct awsphase_res *r)
{
	return r->name ? r->name : "";
}

static const char *res_id(struct awsphase_res *r, const char *key)
{
	struct awsphase_res *o = key ? known(r->s, key) : r;

	return o ? engine_id(o) : "";
}

static const cJSON *res_item_of(struct awsphase_res *r, const char *key)
{
	struct awsphase_res *o = key ? known(r->s, key) : r;

	return o ? engine_item(o) : NULL;
}

static const cJSON *res_answer(struct awsphase_res *r, int step)
{
	return step >= 0 && step < ENGINE_MAX_STEPS ? r->answers[step] : NULL;
}

static const char *res_expand(struct awsphase_res *r, const char *tmpl)
{
	return engine_keep(r->s, engine_expand(r, tmpl, NULL, NULL));
}

static int res_changed(struct awsphase_res *r, const char *key)
{
	struct awsphase_res *o = key ? known(r->s, key) : r;

	return o && (o->created || o->updated || o->would);
}

static const cJSON *res_select(struct awsphase_res *r, const cJSON *answer)
{
	const cJSON *list, *c;
	char *want = NULL, *field = NULL;
	const char *eq;

	if (!r->d.list)
		return r->d.item ? json_get(answer, r->d.item) : answer;
	list = json_get(answer, r->d.list);
	if (!cJSON_IsArray(list))
		return NULL;
	if (!r->d.match)
		return cJSON_GetArrayItem(list, 0);
	eq = strchr(r->d.match, '=');
	field = eq ? xstrndup(r->d.match, (size_t)(eq - r->d.match)) : xstrdup(r->d.match);
	want = eq ? engine_expand(r, eq + 1, NULL, NULL) : xstrdup(r->name ? r->name : "");
	cJSON_ArrayForEach(c, list) {
		char *have = engine_json_text(json_get(c, field));
		int same = have && want && strcmp(have, want) == 0;

		free(have);
		if (same)
			break;
	}
	free(field);
	free(want);
	return c;
}

static struct awsphase_call *res_again(struct awsphase_res *r, const char *service,
				       const char *operation, const char *const *codes)
{
	struct awsphase_call *c = aws_call_new(service, operation);

	for (; codes && *codes; codes++)
		aws_call_accept(c, *codes);
	if (r->again)
		aws_call_free(r->again);
	r->again = c;
	return c;
}

static void add_item(struct strbuf *sb, const char *fmt, va_list ap) AWSPHASE_PRINTF(2, 0);
static void add_item(struct strbuf *sb, const char *fmt, va_list ap)
{
	if (sb->len)
		strbuf_addstr(sb, ", ");
	strbuf_vaddf(sb, fmt, ap);
}

static void res_differs(struct awsphase_res *r, unsigned what, const char *fmt, ...)
{
	va_list ap;

	r->what |= what;
	va_start(ap, fmt);
	add_item(&r->diff_en, fmt, ap);
	va_end(ap);
	{
		struct strbuf one = STRBUF_INIT;

		va_start(ap, fmt);
		strbuf_vaddf(&one, fmt, ap);
		va_end(ap);
		if (!r->diffs)
			r->diffs = cJSON_CreateArray();
		cJSON_AddItemToArray(r->diffs, cJSON_CreateString(strbuf_str(&one)));
		strbuf_release(&one);
	}
	va_start(ap, fmt);
	add_item(&r->diff_shown, i18n_lookup(fmt), ap);
	va_end(ap);
}

static void res_note(struct awsphase_res *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_item(&r->note_en, fmt, ap);
	va_end(ap);
	va_start(ap, fmt);
	add_item(&r->note_shown, i18n_lookup(fmt), ap);
	va_end(ap);
}

static void res_conflict(struct awsphase_res *r, const char *fmt, ...)
{
	va_list ap;

	r->conflicts++;
	if (!r->s->planning)
		return; /* said once, while planning */
	va_start(ap, fmt);
	log_vmsg(AWSPHASE_LOG_ERROR, i18n_lookup(fmt), ap);
	va_end(ap);
}

static struct awsphase_call *res_call(struct awsphase_res *r, const char *service, const char *operation)
{
	struct step *st;

	if (r->npending >= sizeof(r->pending) / sizeof(r->pending[0])) {
		error(_("engine: %s %s: more than %zu calls in one step"), r->d.kind, r->name,
		      sizeof(r->pending) / sizeof(r->pending[0]));
		abort();
	}
	st = xcalloc(1, sizeof(*st));
	st->r = r;
	st->call = aws_call_new(service, operation);
	r->pending[r->npending++] = st;
	return st->call;
}

static void res_args(struct awsphase_res *r, struct awsphase_call *call, ...)
{
	const char *a;
	va_list ap;

	va_start(ap, call);
	while ((a = va_arg(ap, const char *))) {
		char *v = engine_expand(r, a, NULL, NULL);

		aws_call_arg(call, v ? v : a);
		free(v);
	}
	va_end(ap);
}

static struct awsphase_call *res_remove_step(struct awsphase_res *r, const char *service,
					     const char *operation, const char *const *gone,
					     const char *const *busy, const char *name,
					     const char *verb, ...)
{
	struct step *st;
	struct strbuf en = STRBUF_INIT, shown = STRBUF_INIT;
	const char *const *c;
	va_list ap;

	if (r->nrm >= sizeof(r->rm) / sizeof(r->rm[0])) {
		warning(_("%s %s: more than %zu deletions; run teardown again for the rest"),
			r->d.kind, r->name, sizeof(r->rm) / sizeof(r->rm[0]));
		return res_again(r, service, operation, NULL); /* a call that is never run */
	}
	va_start(ap, verb);
	if (strcmp(verb, "%s") == 0) {
		/* a verb from a table (marked N_() there): it is the msgid */
		const char *word = va_arg(ap, const char *);

		strbuf_addstr(&en, word);
		strbuf_addstr(&shown, engine_text_for(r->d.kind, word));
	} else {
		strbuf_vaddf(&en, verb, ap);
	}
	va_end(ap);
	if (strcmp(verb, "%s") != 0) {
		va_start(ap, verb);
		strbuf_vaddf(&shown, engine_text_for(r->d.kind, verb), ap);
		va_end(ap);
	}
	st = xcalloc(1, sizeof(*st));
	st->r = r;
	st->call = aws_call_new(service, operation);
	st->gone = gone;
	st->busy = busy;
	for (c = gone; c && *c; c++)
		aws_call_accept(st->call, *c);
	for (c = busy; c && *c; c++)
		aws_call_accept(st->call, *c);
	st->name = xstrdup(name ? name : r->name);
	st->verb_en = strbuf_detach(&en);
	st->verb_shown = strbuf_detach(&shown);
	r->rm[r->nrm++] = st;
	return st->call;
}

static void res_keep(struct awsphase_res *r, const char *fmt, ...)
{
	va_list ap;

	r->kept = 1;
	va_start(ap, fmt);
	log_vmsg(AWSPHASE_LOG_WARN, i18n_lookup(fmt), ap);
	va_end(ap);
}

static void res_state(struct awsphase_res *r, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, i18n_lookup(fmt), ap);
	va_end(ap);
	free(r->state);
	r->state = strbuf_detach(&sb);
}

static const struct awsphase_engine ops = {
	.struct_size = sizeof(struct awsphase_engine),
	.open = engine_open,
	.read = stack_read,
	.plan = engine_plan,
	.apply = engine_apply,
	.teardown = engine_teardown,
	.close = engine_close,
	.have = stack_have,
	.now = stack_now,
	.id_of = stack_id,
	.result_of = stack_result,
	.error_of = stack_error,
	.answer_of = stack_answer,
	.ctx = res_ctx,
	.mode = res_mode,
	.name = res_name,
	.id = res_id,
	.item = res_item_of,
	.answer = res_answer,
	.expand = res_expand,
	.changed = res_changed,
	.select = res_select,
	.again = res_again,
	.differs = res_differs,
	.conflict = res_conflict,
	.note = res_note,
	.call = res_call,
	.args = res_args,
	.remove_step = res_remove_step,
	.keep = res_keep,
	.state = res_state,
	.iam_role_remove = engine_iam_role_remove,
	.sg_revoke_naming = engine_sg_revoke_naming,
	.sg_allows = engine_sg_allows,
	.iam_role_trusts = engine_iam_role_trusts,
	.iam_role_has_policy = engine_iam_role_has_policy,
	.partition = engine_partition,
	.unknown_of = stack_unknown,
	.subnet_nat = engine_subnet_nat,
	.fargate_size_ok = engine_fargate_size_ok,
	.log_retention_ok = engine_log_retention_ok,
	.sg_ingress_words = engine_sg_ingress_words,
	.ecr_image = engine_ecr_image,
	.vpc_endpoint = engine_vpc_endpoint,
	.listener_forwards = engine_listener_forwards,
	.target_reason = engine_target_reason,
	.iam_role_policy = engine_iam_role_policy,
	.iam_allow = engine_iam_allow,
	.owned = engine_owned,
};

const struct awsphase_engine *engine_services(void)
{
	return &ops;
}
