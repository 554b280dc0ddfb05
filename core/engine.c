/* The resource engine: a stack and its resources, kept strings and JSON,
 * which resources an action wants, and opening and closing a stack.  Ids,
 * templates and outputs are in engine-template.c, the services modules
 * reach it through (h->engine) in engine-services.c, reading in
 * engine-read.c, plan and apply in engine-apply.c, teardown in
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
#include "stack.h"
#include "wait.h"

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

/* only_if: "KEY" or "KEY1|KEY2…", any of them set */
static int any_set(const struct awsphase_host *h, const char *keys)
{
	char key[128];

	while (*keys) {
		size_t n = strcspn(keys, "|");
		const char *v;

		snprintf(key, sizeof(key), "%.*s", (int)(n < sizeof(key) ? n : sizeof(key) - 1), keys);
		v = h->env_get(key);
		if (v && *v)
			return 1;
		keys += n + (keys[n] == '|');
	}
	return 0;
}

struct awsphase_stack *engine_open(const struct awsphase_stack_spec *spec, void *ctx)
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
		engine_policy_kind(&r->d);
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
		/* Two STACKs' resources in one account are two stacks
		 * ("kaviar-staging/1"); the default's keep the tag they were
		 * made with, so what they made is still found. */
		if (!s->spec.stack) {
			const char *stack = s->h->env_get("STACK");

			if (stack && *stack && strcmp(stack, STACK_DEFAULT) != 0) {
				char *was = s->stack_name;

				s->stack_name = xmalloc(strlen(stack) + strlen(was) + 2);
				sprintf(s->stack_name, "%s/%s", stack, was);
				free(was);
			}
		}
	}
	for (i = 0; i < n; i++) {
		struct awsphase_res *r = &s->res[i];
		const char *u = r->d.unless ? s->h->env_get(r->d.unless) : NULL;

		r->present = (!r->d.only_if || any_set(s->h, r->d.only_if)) && !(u && *u);
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
	cJSON_Delete(r->todo);
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

void engine_close(struct awsphase_stack *s)
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

int engine_wait(struct awsphase_stack *s, int (*which)(const struct awsphase_res *r),
		const char *to_be, double interval_s,
		int (*poll)(void *ctx, char *state, size_t size, int *exit_code))
{
	struct awsphase_wait w = { 0 };
	struct strbuf what = STRBUF_INIT;
	size_t i;
	int rc;

	for (i = 0; i < s->n; i++)
		if (which(&s->res[i]))
			strbuf_addf(&what, "%s%s %s", what.len ? ", " : "",
				    engine_kind_text(s->res[i].d.kind), s->res[i].name);
	if (!what.len)
		return 0;
	strbuf_addstr(&what, to_be);
	report_say(_("… waiting for %s"), strbuf_str(&what));
	w.what = strbuf_str(&what);
	w.interval_s = interval_s;
	w.poll = poll;
	w.ctx = s;
	rc = wait_run(&w, s->h->settings->timeout_s);
	strbuf_release(&what);
	return rc;
}
