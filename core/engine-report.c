/* What the engine tells the user about each resource: one line in the
 * user's language ("✓ security group kaviar-ecs-sg sg-… (created)") and
 * one JSON entry in English (kind, name, id, result, differences). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "engine-int.h"
#include "i18n.h"
#include "json.h"
#include "log.h"
#include "report.h"

/* The words of the engine's lines, for the catalogue: the msgids
 * engine_say_made, engine_say_updated, engine_say_unchanged (below) and the
 * teardown's lines (engine-remove.c) put together.  Looked up with the
 * resource's kind as context first (a module marks those NC_(KIND, MSGID)),
 * then alone. */
static const char *const words[] __attribute__((unused)) = {
	N_("created"), N_("created: %s"), N_("would create"), N_("would create: %s"),
	N_("already there"), N_("already there: %s"), N_("unchanged"), N_("unchanged: %s"),
	N_("updated: %s"), N_("would update: %s"), N_("updated: %s added"),
	N_("would update: %s added"), N_("updated: %s (already there)"), N_("delete|deleted"),
};

const char *engine_kind_text(const char *kind)
{
	return i18n_lookup(kind);
}

/* gettext's key for a message with a context is "context\004msgid"
 * (po/xgettext.sh extracts the engine's and modules' as msgctxt), so a
 * translation can agree with the kind's gender; else the msgid alone. */
const char *engine_text_for(const char *kind, const char *msgid)
{
	struct strbuf key = STRBUF_INIT;
	const char *t;

	if (!kind || !msgid || !*msgid)
		return i18n_lookup(msgid);
	strbuf_addf(&key, "%s\004%s", kind, msgid);
	t = i18n_lookup(strbuf_str(&key));
	if (t == strbuf_str(&key))
		t = i18n_lookup(msgid); /* no translation with that context */
	strbuf_release(&key);
	return t;
}

void engine_fill(struct strbuf *sb, const char *fmt, const char *arg)
{
	const char *p;

	for (p = fmt; *p; p++) {
		if (p[0] == '%' && p[1] == 's') {
			strbuf_addstr(sb, arg ? arg : "");
			p++;
		} else if (p[0] == '%' && p[1] == '%') {
			strbuf_addch(sb, '%');
			p++;
		} else {
			strbuf_addch(sb, *p);
		}
	}
}

void engine_verb_half(const char *verb, int which, char *buf, size_t size)
{
	const char *bar = verb ? strchr(verb, '|') : NULL;

	if (!verb)
		verb = "";
	if (!bar)
		snprintf(buf, size, "%s", verb);
	else if (which == 0)
		snprintf(buf, size, "%.*s", (int)(bar - verb), verb);
	else
		snprintf(buf, size, "%s", bar + 1);
}

static cJSON *report_array(struct awsphase_stack *s, const char *key)
{
	if (!s->report) {
		s->report = cJSON_CreateArray();
		s->report_key = key;
	}
	return s->report;
}

/* What the line shows after the name: show's template over the item; a
 * placeholder or nothing shows as nothing. */
static char *shown_id(struct awsphase_res *r)
{
	char *v = r->d.show ? engine_expand(r, r->d.show, NULL, NULL) : NULL;

	if (v && (!*v || v[0] == '<')) {
		free(v);
		v = NULL;
	}
	return v;
}

void engine_line(struct awsphase_res *r, const char *mark, const char *result_en,
		 const char *result_shown)
{
	struct awsphase_res *p = r->d.part_of ? engine_find(r->s, r->d.part_of) : NULL;
	const char *id;
	char *show, *label;
	cJSON *o;

	if (!p || !p->present)
		p = r;
	show = shown_id(p);
	label = p->d.label ? engine_expand(p, p->d.label, NULL, NULL) : NULL;
	if (label && (!*label || label[0] == '<')) {
		free(label);
		label = NULL;
	}
	report_say("%s %s %s%s%s (%s)", mark, engine_kind_text(p->d.kind), label ? label : p->name,
		   show ? " " : "", show ? show : "", result_shown);
	free(show);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "kind", p->d.kind);
	cJSON_AddStringToObject(o, "name", label ? label : p->name);
	free(label);
	id = p->id && *p->id && p->id[0] != '<' ? p->id : NULL;
	if (id)
		cJSON_AddStringToObject(o, "id", id);
	else
		cJSON_AddNullToObject(o, "id");
	cJSON_AddStringToObject(o, "result", result_en);
	if (r->diffs && cJSON_GetArraySize(r->diffs))
		cJSON_AddItemToObject(o, r->made_unsaid ? "pending" : "differences",
				      cJSON_Duplicate(r->diffs, 1));
	cJSON_AddItemToArray(report_array(r->s, "resources"), o);
	r->said = 1;
}

/* JSON only: a resource the run did not get to, or whose change failed. */
static void left_entry(struct awsphase_res *r)
{
	const cJSON *todo = r->diffs && cJSON_GetArraySize(r->diffs) ? r->diffs : r->todo;
	cJSON *o;

	if (!todo || !cJSON_GetArraySize(todo))
		return;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "kind", r->d.kind);
	cJSON_AddStringToObject(o, "name", r->name);
	if (r->id && *r->id && r->id[0] != '<')
		cJSON_AddStringToObject(o, "id", r->id);
	else
		cJSON_AddNullToObject(o, "id");
	cJSON_AddStringToObject(o, "result", r->failed ? "failed" : "not done");
	cJSON_AddItemToObject(o, "pending", cJSON_Duplicate(todo, 1));
	cJSON_AddItemToArray(report_array(r->s, "resources"), o);
	r->said = 1;
}

void engine_say_left(struct awsphase_stack *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		struct awsphase_res *r = &s->res[i];

		if (!r->planned || r->said || s->dry)
			continue;
		if (r->made_unsaid) {
			/* "created", without the note its fix would have made true */
			strbuf_reset(&r->note_en);
			strbuf_reset(&r->note_shown);
			engine_say_made(r, 0, 0);
			r->made_unsaid = 0;
		} else if (!r->settled && !r->d.part_of) {
			left_entry(r);
		}
	}
}

void engine_teardown_entry(struct awsphase_res *r, const struct step *st, const char *result)
{
	cJSON *o = cJSON_CreateObject();
	char half[512];

	cJSON_AddStringToObject(o, "kind", r->d.kind);
	cJSON_AddStringToObject(o, "name", st->name);
	if (r->id && *r->id && strcmp(st->name, r->name) == 0)
		cJSON_AddStringToObject(o, "id", r->id);
	engine_verb_half(st->verb_en, 0, half, sizeof(half));
	cJSON_AddStringToObject(o, "action", half);
	cJSON_AddStringToObject(o, "result", result);
	cJSON_AddItemToArray(report_array(r->s, "teardown"), o);
}

/* ---- deploy's lines ----------------------------------------------------------------------- */

static struct awsphase_res *parent(struct awsphase_res *r)
{
	struct awsphase_res *p = r->d.part_of ? engine_find(r->s, r->d.part_of) : NULL;

	return p && p->present ? p : NULL;
}

/* "created" or "created: NOTE"; with the module's verb ("register|registered")
 * when it has one; would: the dry run's "would create". */
void engine_say_made(struct awsphase_res *r, int would, int exists)
{
	struct strbuf en = STRBUF_INIT, fmt = STRBUF_INIT, shown = STRBUF_INIT;
	const char *note_en = r->note_en.len ? strbuf_str(&r->note_en) : NULL;
	const char *note_shown = r->note_shown.len ? strbuf_str(&r->note_shown) : NULL;
	char half[128];

	if (parent(r)) {
		struct awsphase_res *p = parent(r);

		if (p->created || (p->would && !p->found)) {
			log_msg(AWSPHASE_LOG_VERBOSE, "%s %s: %s", p->d.kind, p->name, note_en ? note_en : "");
			return;
		}
		strbuf_addstr(&fmt, exists ? "updated: %s (already there)" : would ? "would update: %s added" :
			      "updated: %s added");
	} else if (exists) {
		strbuf_addstr(&fmt, note_en ? "already there: %s" : "already there");
	} else {
		engine_verb_half(r->d.create_verb ? r->d.create_verb : "create|created", would ? 0 : 1,
				 half, sizeof(half));
		strbuf_addf(&fmt, "%s%s%s", would ? "would " : "", half, note_en ? ": %s" : "");
	}
	engine_fill(&en, strbuf_str(&fmt), note_en);
	engine_fill(&shown, engine_text_for(r->d.kind, strbuf_str(&fmt)), note_shown);
	engine_line(r, would ? "•" : "✓", strbuf_str(&en), strbuf_str(&shown));
	strbuf_release(&en);
	strbuf_release(&fmt);
	strbuf_release(&shown);
}

void engine_say_updated(struct awsphase_res *r, int would)
{
	struct strbuf en = STRBUF_INIT, shown = STRBUF_INIT;
	const char *fmt = would ? "would update: %s" : "updated: %s";

	if (r->post_create) {
		log_msg(AWSPHASE_LOG_VERBOSE, "%s %s: %s", r->d.kind, r->name, strbuf_str(&r->diff_en));
		return;
	}
	engine_fill(&en, fmt, strbuf_str(&r->diff_en));
	engine_fill(&shown, engine_text_for(r->d.kind, fmt), strbuf_str(&r->diff_shown));
	engine_line(r, would ? "•" : "✓", strbuf_str(&en), strbuf_str(&shown));
	strbuf_release(&en);
	strbuf_release(&shown);
}

void engine_say_unchanged(struct awsphase_res *r)
{
	struct strbuf en = STRBUF_INIT, shown = STRBUF_INIT;
	const char *fmt = r->note_en.len ? "unchanged: %s" : "unchanged";

	engine_fill(&en, fmt, strbuf_str(&r->note_en));
	engine_fill(&shown, engine_text_for(r->d.kind, fmt), strbuf_str(&r->note_shown));
	engine_line(r, "✓", strbuf_str(&en), strbuf_str(&shown));
	strbuf_release(&en);
	strbuf_release(&shown);
}
