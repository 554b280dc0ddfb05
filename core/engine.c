/* The resource engine: stacks, resources, templates, ids and outputs, and
 * the table of services modules reach it through (h->engine).  Reading is
 * in engine-read.c, plan and apply in engine-apply.c, teardown in
 * engine-remove.c, lines and JSON in engine-report.c. */
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

/* ---- strings and JSON the stack keeps ---------------------------------------- */

char *engine_keep(struct awsphase_stack *s, char *str)
{
	if (!str)
		return NULL;
	s->strings = xrealloc(s->strings, (s->nstrings + 1) * sizeof(*s->strings));
	s->strings[s->nstrings++] = str;
	return str;
}

void engine_own(struct awsphase_stack *s, cJSON *json)
{
	if (!json)
		return;
	s->owned = xrealloc(s->owned, (s->nowned + 1) * sizeof(*s->owned));
	s->owned[s->nowned++] = json;
}

struct awsphase_res *engine_find(struct awsphase_stack *s, const char *key)
{
	size_t i;

	for (i = 0; key && i < s->n; i++)
		if (strcmp(s->res[i].d.key, key) == 0)
			return &s->res[i];
	return NULL;
}

int engine_in(const char *const *codes, const char *code)
{
	for (; codes && *codes && code; codes++)
		if (strcmp(*codes, code) == 0)
			return 1;
	return 0;
}

/* ---- ids ------------------------------------------------------------------ */

const char *engine_placeholder(struct awsphase_res *r, const char *what)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "<%s %s>", r->name, what);
	return engine_keep(r->s, strbuf_detach(&sb));
}

static const char *id_word(const struct awsphase_res *r)
{
	const char *p = r->d.id ? r->d.id + strlen(r->d.id) : NULL;

	return p && p - r->d.id >= 3 && strncasecmp(p - 3, "arn", 3) == 0 ? "arn" : "id";
}

/* A resource that is only planned (a plan, a dry run, or a create not made
 * yet) has a placeholder for an id. */
static int only_planned(const struct awsphase_res *r)
{
	return !r->found && !r->created && (r->would || r->act == ACT_CREATE ||
					    (r->planned && r->s->mode == AWSPHASE_MODE_DEPLOY));
}

const char *engine_id(struct awsphase_res *r)
{
	if (r->id && *r->id)
		return r->id;
	if (only_planned(r))
		return engine_placeholder(r, id_word(r));
	return "";
}

static char *json_text(const cJSON *v)
{
	struct strbuf sb = STRBUF_INIT;

	if (cJSON_IsString(v) && v->valuestring)
		return xstrdup(v->valuestring);
	if (cJSON_IsNumber(v)) {
		if (v->valuedouble == (double)(long long)v->valuedouble)
			strbuf_addf(&sb, "%lld", (long long)v->valuedouble);
		else
			strbuf_addf(&sb, "%g", v->valuedouble);
		return strbuf_detach(&sb);
	}
	if (cJSON_IsBool(v))
		return xstrdup(cJSON_IsTrue(v) ? "true" : "false");
	return NULL;
}

static const cJSON *res_item(const struct awsphase_res *r)
{
	return r->now ? r->now : r->item;
}

/* ---- templates ------------------------------------------------------------- */

/* The env value an output of dep gives for path (NULL: its id), when the
 * file has it: what a read may use before dep itself is read. */
static const char *env_output(struct awsphase_res *dep, const char *path)
{
	const struct awsphase_output *o;
	const char *want = path ? path : dep->d.id, *v;

	for (o = dep->d.outputs; o && o->key && want; o++)
		if (o->path && strcmp(o->path, want) == 0) {
			v = dep->s->h->env_get(o->key);
			if (v && *v)
				return v;
		}
	return NULL;
}

static int is_env_key(const char *s, size_t n)
{
	size_t i;

	if (!n || !(s[0] >= 'A' && s[0] <= 'Z'))
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

/* {@key} or {@key.Path} for r. */
static char *dep_field(struct awsphase_res *r, const char *ref, int *wait)
{
	const char *dot = strchr(ref, '.');
	char *key = dot ? xstrndup(ref, (size_t)(dot - ref)) : xstrdup(ref);
	const char *path = dot ? dot + 1 : NULL;
	struct awsphase_res *dep = engine_find(r->s, key);
	const char *v = NULL;
	char *out = NULL;

	free(key);
	if (!dep || !dep->present)
		return NULL;
	if (dep->rstate == R_READ || dep->created || dep->would || dep->act == ACT_CREATE) {
		if (!path) {
			v = engine_id(dep);
			return v && *v ? xstrdup(v) : NULL;
		}
		out = json_text(json_get(res_item(dep), path));
		if (!out && only_planned(dep))
			out = xstrdup(engine_placeholder(dep, path));
		return out;
	}
	/* not read yet: the env file may hold it */
	v = env_output(dep, path);
	if (!v) {
		if (wait)
			*wait = 1;
		return NULL;
	}
	if (r->rstate != R_READ && r->nspec < ENGINE_MAX_SPEC) {
		struct spec_use *u = &r->spec[r->nspec++];

		u->dep = dep;
		u->path = path ? xstrdup(path) : NULL;
		u->value = xstrdup(v);
	}
	return xstrdup(v);
}

static char *field(struct awsphase_res *r, const char *f, const cJSON *prev, int *wait)
{
	struct awsphase_stack *s = r->s;
	const char *v;

	if (strcmp(f, "name") == 0)
		return xstrdup(r->name ? r->name : "");
	if (strcmp(f, "stack") == 0)
		return xstrdup(s->stack_name ? s->stack_name : "");
	if (strcmp(f, "region") == 0)
		return s->h->settings->region ? xstrdup(s->h->settings->region) : NULL;
	if (strcmp(f, "id") == 0) {
		v = engine_id(r);
		return *v ? xstrdup(v) : NULL;
	}
	if (f[0] == '@')
		return dep_field(r, f + 1, wait);
	if (f[0] == '.')
		return json_text(json_get(prev ? prev : res_item(r), f + 1));
	if (is_env_key(f, strlen(f))) {
		v = s->h->env_get(f);
		return v ? xstrdup(v) : NULL;
	}
	return NULL;
}

char *engine_expand(struct awsphase_res *r, const char *tmpl, const cJSON *prev, int *wait)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = tmpl;

	if (!tmpl)
		return NULL;
	strbuf_addstr(&sb, "");
	while (*p) {
		const char *close;
		char *name, *v;

		if (p[0] == '{' && p[1] == '{') {
			strbuf_addch(&sb, '{');
			p += 2;
			continue;
		}
		if (*p != '{' || !(close = strchr(p, '}'))) {
			strbuf_addch(&sb, *p++);
			continue;
		}
		name = xstrndup(p + 1, (size_t)(close - p - 1));
		v = field(r, name, prev, wait);
		free(name);
		if (!v) {
			strbuf_release(&sb);
			return NULL;
		}
		strbuf_addstr(&sb, v);
		free(v);
		p = close + 1;
	}
	return strbuf_detach(&sb);
}

/* --filters values end at the next --option. */
static void tag_filters(struct awsphase_res *r, struct awsphase_call *call)
{
	struct awsphase_stack *s = r->s;

	s->h->call_argf(call, "Name=tag:Name,Values=%s", r->name);
	s->h->call_argf(call, "Name=tag:awsphase:stack,Values=%s", s->stack_name);
}

int engine_add_args(struct awsphase_res *r, struct awsphase_call *call, const char *const *args,
		    const cJSON *prev, int find, int *wait)
{
	const struct awsphase_host *h = r->s->h;
	int filters = 0, tagged = find && (r->d.flags & AWSPHASE_RES_TAGGED);

	for (; args && *args; args++) {
		char *v = engine_expand(r, *args, prev, wait);

		if (!v)
			return -1;
		if (tagged && filters && strncmp(v, "--", 2) == 0) {
			tag_filters(r, call);
			tagged = 0;
		}
		filters = strcmp(v, "--filters") == 0 || (filters && strncmp(v, "--", 2) != 0);
		h->call_arg(call, v);
		free(v);
	}
	if (tagged) {
		if (!filters)
			h->call_arg(call, "--filters");
		tag_filters(r, call);
	}
	return 0;
}

/* ---- outputs ----------------------------------------------------------------- */

static void queue_kv(struct awsphase_stack *s, const char *key, const char *value)
{
	size_t i;

	for (i = 0; i + 1 < s->nkv; i += 2)
		if (strcmp(s->kv[i], key) == 0) {
			s->kv[i + 1] = value;
			return;
		}
	s->kv = xrealloc(s->kv, (s->nkv + 3) * sizeof(*s->kv));
	s->kv[s->nkv++] = key;
	s->kv[s->nkv++] = value;
	s->kv[s->nkv] = NULL;
}

void engine_record_outputs(struct awsphase_res *r, const cJSON *item)
{
	struct awsphase_stack *s = r->s;
	const struct awsphase_output *o;

	if (s->dry || s->mode != AWSPHASE_MODE_DEPLOY || !item)
		return;
	for (o = r->d.outputs; o && o->key; o++) {
		char *v = o->path ? json_text(json_get(item, o->path)) : NULL;
		const char *old;

		if (!v || !*v || v[0] == '<') {
			free(v);
			continue;
		}
		old = s->h->env_get(o->key);
		if (old && strcmp(old, v) == 0) {
			free(v);
			continue;
		}
		queue_kv(s, o->key, engine_keep(s, v));
	}
}

void engine_forget_outputs(struct awsphase_res *r)
{
	const struct awsphase_output *o;

	if (r->s->dry)
		return;
	for (o = r->d.outputs; o && o->key; o++)
		if (r->s->h->env_get(o->key) && r->s->h->env_get(o->key)[0])
			queue_kv(r->s, o->key, NULL);
}

int engine_flush_outputs(struct awsphase_stack *s)
{
	int rc;

	if (!s->nkv)
		return 0;
	rc = host_env_set_many(s->kv);
	free(s->kv);
	s->kv = NULL;
	s->nkv = 0;
	if (rc < 0)
		s->record_failed = 1;
	return rc;
}

void engine_set_error(struct awsphase_res *r, struct awsphase_call *call)
{
	struct strbuf sb = STRBUF_INIT;
	const char *code = aws_call_error(call), *msg = aws_call_message(call);

	strbuf_addf(&sb, "%s%s%s", code, *code && *msg ? ": " : "", *msg ? msg : *code ? "" : _("failed"));
	free(r->error);
	r->error = strbuf_detach(&sb);
}

/* ---- selection ------------------------------------------------------------------ */

int engine_wants(const struct awsphase_res *r, const char *const *keys)
{
	if (!keys)
		return !(r->d.flags & AWSPHASE_RES_DATA);
	for (; *keys; keys++)
		if (strcmp(*keys, r->d.key) == 0)
			return 1;
	return 0;
}

int engine_needs(const struct awsphase_res *r, const struct awsphase_res *dep)
{
	const char *const *n;

	for (n = r->d.needs; n && *n; n++)
		if (strcmp(*n, dep->d.key) == 0)
			return 1;
	return 0;
}

/* The resources a template list names with {@key}. */
static void want_refs(struct awsphase_stack *s, const char *const *args);

/* r is to be read, and so is what its read needs. */
static void want(struct awsphase_res *r)
{
	const char *const *k;

	if (!r || !r->present || r->wanted)
		return;
	r->wanted = 1;
	if (r->d.from)
		want(engine_find(r->s, r->d.from));
	for (k = r->d.read_after; k && *k; k++)
		want(engine_find(r->s, *k));
	want_refs(r->s, r->d.find.args);
	want_refs(r->s, r->d.then.args);
}

/* The resources a template list names with {@key}. */
static void want_refs(struct awsphase_stack *s, const char *const *args)
{
	for (; args && *args; args++) {
		const char *p = *args;

		while ((p = strstr(p, "{@"))) {
			size_t n = strcspn(p + 2, ".}");
			char *key = xstrndup(p + 2, n);

			want(engine_find(s, key));
			free(key);
			p += 2 + n;
		}
	}
}

void engine_select(struct awsphase_stack *s, const char *const *keys, int plan)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		struct awsphase_res *r = &s->res[i];

		if (!r->present || !engine_wants(r, keys))
			continue;
		if (plan)
			r->planned = !(r->d.flags & AWSPHASE_RES_DATA);
		want(r);
	}
}

/* ---- open and close --------------------------------------------------------------- */

static int check_spec(const struct awsphase_stack_spec *spec)
{
	const struct awsphase_resource *const *rp;
	size_t i, j, n = 0;

	if (!spec || spec->struct_size < offsetof(struct awsphase_stack_spec, anchor) +
	    sizeof(spec->anchor) || !spec->resources)
		return error(_("engine: the stack has no resources or was built against another "
			       "engine.h; rebuild the module"));
	for (rp = spec->resources; *rp; rp++, n++) {
		const struct awsphase_resource *d = *rp;

		if (d->struct_size < offsetof(struct awsphase_resource, wait_gone) + sizeof(d->wait_gone) ||
		    !d->key || !d->kind || !d->name)
			return error(_("engine: resource %zu has no key, kind or name, or was built "
				       "against another engine.h; use AWSPHASE_RESOURCE and fill them in"), n);
		for (j = 0; j < n; j++)
			if (strcmp(spec->resources[j]->key, d->key) == 0)
				return error(_("engine: two resources are called '%s'; give each its "
					       "own key"), d->key);
	}
	for (i = 0; i < n; i++) {
		const struct awsphase_resource *d = spec->resources[i];
		const char *const *k;

		for (k = d->needs; k && *k; k++) {
			for (j = 0; j < n && strcmp(spec->resources[j]->key, *k) != 0; j++)
				;
			if (j == n)
				return error(_("engine: resource '%s' needs '%s', which the stack does "
					       "not have"), d->key, *k);
		}
	}
	return 0;
}

/* Orders resources so that each comes after what it needs (a stable sort by
 * depth); a cycle is an error. */
static int depth(struct awsphase_stack *s, size_t i, int *memo, int level)
{
	const char *const *k;
	int best = 0;

	if (memo[i] >= 0)
		return memo[i];
	if (level > (int)s->n)
		return -1;
	for (k = s->res[i].d.needs; k && *k; k++) {
		struct awsphase_res *dep = engine_find(s, *k);
		int dd = depth(s, dep->index, memo, level + 1);

		if (dd < 0)
			return -1;
		if (dd + 1 > best)
			best = dd + 1;
	}
	return memo[i] = best;
}

static struct awsphase_stack *sort_stack(struct awsphase_stack *s)
{
	int *memo = xmalloc(s->n * sizeof(*memo));
	struct awsphase_res *sorted = xcalloc(s->n, sizeof(*sorted));
	size_t i, k = 0;
	int d, maxd = 0;

	for (i = 0; i < s->n; i++)
		memo[i] = -1;
	for (i = 0; i < s->n; i++) {
		d = depth(s, i, memo, 0);
		if (d < 0) {
			error(_("engine: resource '%s' needs itself through what it needs; break the "
				"cycle"), s->res[i].d.key);
			free(memo);
			free(sorted);
			return NULL;
		}
		if (d > maxd)
			maxd = d;
	}
	for (d = 0; d <= maxd; d++)
		for (i = 0; i < s->n; i++)
			if (memo[i] == d)
				sorted[k++] = s->res[i];
	free(s->res);
	s->res = sorted;
	for (i = 0; i < s->n; i++)
		s->res[i].index = i;
	free(memo);
	return s;
}

static struct awsphase_stack *stack_open(const struct awsphase_stack_spec *spec, void *ctx)
{
	struct awsphase_stack *s;
	size_t i, n = 0;

	if (check_spec(spec) < 0)
		return NULL;
	while (spec->resources[n])
		n++;
	s = xcalloc(1, sizeof(*s));
	s->h = host_get();
	memcpy(&s->spec, spec, spec->struct_size < sizeof(s->spec) ? spec->struct_size : sizeof(s->spec));
	s->ctx = ctx;
	s->dry = s->h->settings->dry_run;
	s->n = n;
	s->res = xcalloc(n, sizeof(*s->res));
	for (i = 0; i < n; i++) {
		struct awsphase_res *r = &s->res[i];
		const struct awsphase_resource *d = spec->resources[i];

		r->s = s;
		memcpy(&r->d, d, d->struct_size < sizeof(r->d) ? d->struct_size : sizeof(r->d));
		r->index = i;
	}
	if (!sort_stack(s)) {
		free(s->res);
		free(s);
		return NULL;
	}
	{
		struct awsphase_res tmp = { 0 };

		tmp.s = s;
		s->stack_name = engine_expand(&tmp, s->spec.stack ? s->spec.stack : host_module_name(), NULL,
					      NULL);
		if (!s->stack_name || !*s->stack_name) {
			free(s->stack_name);
			s->stack_name = xstrdup(host_module_name());
		}
	}
	for (i = 0; i < n; i++) {
		struct awsphase_res *r = &s->res[i];
		const char *v = r->d.only_if ? s->h->env_get(r->d.only_if) : NULL;

		r->present = !r->d.only_if || (v && *v);
		r->name = r->present ? engine_expand(r, r->d.name, NULL, NULL) : NULL;
		if (r->present && !r->name) {
			error(_("engine: the name of '%s' (%s) names a key that is not set"), r->d.key,
			      r->d.name);
			r->present = 0;
		}
	}
	return s;
}

static void release_res(struct awsphase_res *r)
{
	size_t i;

	free(r->name);
	free(r->id);
	free(r->error);
	free(r->state);
	if (r->again)
		aws_call_free(r->again);
	for (i = 0; i < r->nspec; i++) {
		free(r->spec[i].path);
		free(r->spec[i].value);
	}
	strbuf_release(&r->diff_en);
	strbuf_release(&r->diff_shown);
	strbuf_release(&r->note_en);
	strbuf_release(&r->note_shown);
	cJSON_Delete(r->diffs);
	for (i = 0; i < r->nrm; i++) {
		if (r->rm[i]->call)
			aws_call_free(r->rm[i]->call);
		free(r->rm[i]->name);
		free(r->rm[i]->verb_en);
		free(r->rm[i]->verb_shown);
		free(r->rm[i]);
	}
	for (i = 0; i < r->npending; i++) {
		if (r->pending[i]->call)
			aws_call_free(r->pending[i]->call);
		free(r->pending[i]);
	}
}

static void stack_close(struct awsphase_stack *s)
{
	size_t i;

	if (!s)
		return;
	engine_flush_outputs(s);
	for (i = 0; i < s->n; i++)
		release_res(&s->res[i]);
	for (i = 0; i < s->nreads; i++) {
		free(s->reads[i].key);
		aws_call_free(s->reads[i].call);
	}
	for (i = 0; i < s->nstrings; i++)
		free(s->strings[i]);
	for (i = 0; i < s->nowned; i++)
		cJSON_Delete(s->owned[i]);
	if (s->report)
		report_add(s->report_key, s->report);
	free(s->reads);
	free(s->strings);
	free(s->owned);
	free(s->kv);
	free(s->res);
	free(s->stack_name);
	strbuf_release(&s->outputs);
	free(s);
}

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

	return o ? res_item(o) : NULL;
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
		char *have = json_text(json_get(c, field));
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
	.open = stack_open,
	.read = stack_read,
	.plan = engine_plan,
	.apply = engine_apply,
	.teardown = engine_teardown,
	.close = stack_close,
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
};

const struct awsphase_engine *engine_services(void)
{
	return &ops;
}
