/* The resource engine's ids (placeholders while a resource is only
 * planned), templates ({KEY}, {@key.Path}, {.Path}…) and the env keys a
 * resource writes. */
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
#include "options.h"
#include "report.h"

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

char *engine_json_text(const cJSON *v)
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

const cJSON *engine_item(const struct awsphase_res *r)
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
		out = engine_json_text(json_get(engine_item(dep), path));
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
		return engine_json_text(json_get(prev ? prev : engine_item(r), f + 1));
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

/* Where the tag filters go: EC2 spells the option --filters, except
 * describe-nat-gateways (and a few others), whose is --filter. */
static int is_filters(const char *arg)
{
	return strcmp(arg, "--filters") == 0 || strcmp(arg, "--filter") == 0;
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
		filters = is_filters(v) || (filters && strncmp(v, "--", 2) != 0);
		h->call_arg(call, v);
		free(v);
		/* a module's --tags (create-repository, create-db-instance…) carry
		 * the environment's next to the stack's */
		if (options.env && strncmp(*args, "Key=awsphase:stack,Value=", 25) == 0)
			h->call_argf(call, "Key=awsphase:env,Value=%s", options.env);
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
		char *v = o->path ? engine_json_text(json_get(item, o->path)) : NULL;
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
