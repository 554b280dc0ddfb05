/* The engine's plan and apply.  plan reads and decides what each resource
 * needs, changing nothing; apply makes it so in rounds: a resource's turn
 * comes once everything it needs has settled, its calls join the round's,
 * and every round's calls run at once.  What a resource needs is decided
 * again when its turn comes, with the ids its needs have by then. */
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
#include "run.h"
#include "wait.h"

static void reset_decision(struct awsphase_res *r)
{
	r->act = ACT_NONE;
	r->what = 0;
	r->conflicts = 0;
	strbuf_reset(&r->diff_en);
	strbuf_reset(&r->diff_shown);
	strbuf_reset(&r->note_en);
	strbuf_reset(&r->note_shown);
	cJSON_Delete(r->diffs);
	r->diffs = NULL;
}

static int can_create(const struct awsphase_res *r)
{
	return r->d.create.service != NULL;
}

/* What r needs now: created, fixed, or nothing. */
static void decide(struct awsphase_res *r)
{
	const cJSON *have = r->now ? r->now : r->item;

	reset_decision(r);
	if (!r->found && !r->created && !r->would) {
		r->act = ACT_CREATE;
		return;
	}
	if (r->d.differs)
		r->d.differs(r, r->created || r->would ? NULL : have);
	if (r->conflicts)
		r->act = ACT_NONE;
	else if (!r->what && !r->diff_en.len)
		r->act = ACT_UNCHANGED;
	else
		r->act = r->d.fix ? ACT_FIX : ACT_CREATE;
}

static int first_run(struct awsphase_stack *s)
{
	const char *const *keys;

	if (s->dry || !s->spec.anchor || !engine_find(s, s->spec.anchor))
		return 0;
	for (keys = host_written_keys(); keys && *keys; keys++) {
		const char *v = s->h->env_get(*keys);

		if (v && *v)
			return 0;
	}
	return 1;
}

static void skip_lazy(struct awsphase_stack *s, int skip)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		struct awsphase_res *r = &s->res[i];

		if (!(r->d.flags & AWSPHASE_RES_LAZY) || !r->wanted)
			continue;
		if (skip && r->rstate == R_UNREAD)
			r->lazy_skipped = 1;
		else if (!skip && r->lazy_skipped)
			r->lazy_skipped = 0;
	}
}

/* What the plan has r do, in English, for the report of a run that stops
 * before it is done: its create, or the differences its fix mends. */
static void remember_todo(struct awsphase_res *r)
{
	char half[128];

	cJSON_Delete(r->todo);
	r->todo = NULL;
	if (r->act == ACT_CREATE) {
		engine_verb_half(r->d.create_verb ? r->d.create_verb : "create|created", 0, half,
				 sizeof(half));
		r->todo = cJSON_CreateArray();
		cJSON_AddItemToArray(r->todo, cJSON_CreateString(half));
	} else if (r->act == ACT_FIX && r->diffs) {
		r->todo = cJSON_Duplicate(r->diffs, 1);
	}
}

/* What a stack owns is not changed (engine-owner.c): what the plan would
 * change (a rule: its group) is looked at before anything is. */
static int refuse_owned(struct awsphase_stack *s)
{
	struct awsphase_res **list = xcalloc(s->n + 1, sizeof(*list));
	size_t i, n = 0;
	int rc;

	for (i = 0; i < s->n; i++)
		if (s->res[i].planned && (s->res[i].act == ACT_CREATE || s->res[i].act == ACT_FIX))
			list[n++] = &s->res[i];
	rc = n ? engine_refuse_owned(s, list, n) : 0;
	free(list);
	return rc;
}

int engine_plan(struct awsphase_stack *s, const char *const *keys, int *changes)
{
	size_t i;
	int rc, n = 0, conflicts = 0;

	s->mode = AWSPHASE_MODE_DEPLOY;
	engine_select(s, keys, 1);
	s->first_run = first_run(s);
	if (s->first_run)
		skip_lazy(s, 1);
	rc = engine_read_all(s);
	if (!rc && s->first_run && engine_find(s, s->spec.anchor)->found) {
		s->first_run = 0;
		skip_lazy(s, 0);
		rc = engine_read_all(s);
	}
	if (rc)
		return rc;
	if (s->first_run)
		log_msg(AWSPHASE_LOG_VERBOSE, _("a first run: %s %s is not there and %s holds none of "
						"the keys this phase writes; creating without looking first"),
			engine_find(s, s->spec.anchor)->d.kind, engine_find(s, s->spec.anchor)->name,
			s->h->settings->env_file);
	s->planning = 1;
	for (i = 0; i < s->n; i++) {
		struct awsphase_res *r = &s->res[i];

		if (!r->planned)
			continue;
		decide(r);
		if (r->act == ACT_CREATE && !can_create(r)) {
			error(_("%s %s: not found, and this phase does not create it"), r->d.kind, r->name);
			conflicts++;
		}
		conflicts += r->conflicts > 0;
		n += r->act == ACT_CREATE || r->act == ACT_FIX;
		remember_todo(r);
	}
	s->planning = 0;
	rc = conflicts ? 0 : refuse_owned(s);
	for (i = 0; i < s->n; i++)
		reset_decision(&s->res[i]);
	if (changes)
		*changes = rc ? 0 : n; /* refused: nothing will change */
	return conflicts ? AWSPHASE_EXIT_FAILED : rc;
}

/* ---- a round -------------------------------------------------------------------------- */

static int check_ready(struct awsphase_res *r);

static int awaiting(const struct awsphase_stack *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->res[i].awaiting)
			return 1;
	return 0;
}

static struct step *new_step(struct awsphase_res *r, struct awsphase_call *call, int create)
{
	struct step *st = xcalloc(1, sizeof(*st));

	st->r = r;
	st->call = call;
	st->create = create;
	r->pending[r->npending++] = st;
	return st;
}

/* The create call: create's templates, create_args, the engine's tags. */
static int create_call(struct awsphase_res *r)
{
	struct awsphase_call *call = aws_call_new(r->d.create.service, r->d.create.operation);
	const char *const *c;
	int rc;

	for (c = r->d.create.codes; c && *c; c++)
		aws_call_accept(call, *c);
	if (engine_add_args(r, call, r->d.create.args, NULL, 0, NULL) < 0) {
		aws_call_free(call);
		return error(_("%s %s: cannot say how to create it yet (an input is missing)"),
			     r->d.kind, r->name);
	}
	if (r->d.create_args && (rc = r->d.create_args(r, call)) != 0) {
		aws_call_free(call);
		return -1;
	}
	if ((r->d.flags & AWSPHASE_RES_TAGGED) && r->d.tag_type) {
		aws_call_arg(call, "--tag-specifications");
		/* the environment's tag only when one is named: without --env
		 * the calls stay the runbook's, word for word */
		aws_call_argf(call, "ResourceType=%s,Tags=[{Key=Name,Value=%s},{Key=awsphase:stack,"
			      "Value=%s},{Key=awsphase:phase,Value=%s}%s%s%s]", r->d.tag_type, r->name,
			      r->s->stack_name, host_module_name(), options.env ? ",{Key=awsphase:env,Value=" : "",
			      options.env ? options.env : "", options.env ? "}" : "");
	}
	new_step(r, call, 1);
	return 0;
}

static int needs_settled(struct awsphase_res *r, int *blocked)
{
	const char *const *k;

	for (k = r->d.needs; k && *k; k++) {
		struct awsphase_res *dep = engine_find(r->s, *k);

		if (!dep || !dep->present || (!dep->planned && !dep->wanted))
			continue; /* not part of this action */
		if (dep->failed || dep->rstate == R_FAILED) {
			*blocked = 1;
			return 0;
		}
		if (dep->planned ? !dep->settled : dep->rstate != R_READ)
			return 0;
	}
	return 1;
}

/* r's calls for this round; 1 when it has some, 0 when it settled without
 * any, -1 after an error. */
static int take_turn(struct awsphase_res *r)
{
	if (!r->post_create)
		decide(r);
	switch (r->act) {
	case ACT_CREATE:
		if (!can_create(r))
			return error(_("%s %s: not found, and this phase does not create it"), r->d.kind,
				     r->name);
		return create_call(r) < 0 ? -1 : 1;
	case ACT_FIX:
		r->d.fix(r, r->post_create ? NULL : r->now ? r->now : r->item, r->what);
		if (r->npending)
			return 1;
		/* the fix found nothing to call */
		/* fall through */
	case ACT_UNCHANGED:
		if (r->made_unsaid) {
			r->made_unsaid = 0;
			engine_say_made(r, 0, 0);
		} else if (!r->post_create && !r->exists) {
			engine_say_unchanged(r);
		}
		r->settled = 1;
		return check_ready(r) ? -1 : 0;
	case ACT_NONE:
		break;
	}
	return error(_("%s %s: cannot change in place; see above"), r->d.kind, r->name);
}

static const cJSON *answer_item(struct awsphase_res *r, struct awsphase_call *call)
{
	const cJSON *json = aws_call_json(call);

	if (!json || !r->d.created)
		return NULL;
	json = json_get(json, r->d.created);
	if (json) {
		cJSON *copy = cJSON_Duplicate(json, 1);

		engine_own(r->s, copy);
		json = copy;
	}
	return json;
}

/* After the create (or its dry run): what it still needs right after.  A
 * resource made anew (it differed and has no fix) says what differed. */
static void after_create(struct awsphase_res *r, int would)
{
	struct strbuf why_en = STRBUF_INIT, why_shown = STRBUF_INIT;
	cJSON *diffs = NULL;

	if (r->found && r->diff_en.len) {
		strbuf_addstr(&why_en, strbuf_str(&r->diff_en));
		strbuf_addstr(&why_shown, strbuf_str(&r->diff_shown));
		diffs = r->diffs;
		r->diffs = NULL;
	}
	reset_decision(r);
	if (r->d.differs)
		r->d.differs(r, NULL);
	if (why_en.len) {
		strbuf_reset(&r->note_en);
		strbuf_reset(&r->note_shown);
		strbuf_addstr(&r->note_en, strbuf_str(&why_en));
		strbuf_addstr(&r->note_shown, strbuf_str(&why_shown));
		cJSON_Delete(r->diffs);
		r->diffs = diffs;
	}
	strbuf_release(&why_en);
	strbuf_release(&why_shown);
	if (r->what || r->diff_en.len) {
		r->post_create = 1;
		r->act = r->d.fix ? ACT_FIX : ACT_NONE;
		if (!r->d.fix)
			r->settled = 1;
		/* its note tells what the fix makes true: said once the fix is done */
		if (r->d.fix && !would)
			r->made_unsaid = 1;
		else
			engine_say_made(r, would, 0);
	} else {
		engine_say_made(r, would, 0);
		r->settled = 1;
	}
	if (!would && r->d.ready) { /* what needs it waits until it is ready */
		r->awaiting = 1;
		r->settled = 0;
	}
}

/* A found resource that is not ready yet is waited for too. */
static int check_ready(struct awsphase_res *r)
{
	int rr;

	if (!r->d.ready || r->s->dry || !(r->now ? r->now : r->item))
		return 0;
	rr = r->d.ready(r, r->now ? r->now : r->item);
	if (rr < 0)
		return -rr;
	if (rr == 0) {
		r->awaiting = 1;
		r->settled = 0;
	}
	return 0;
}

static int ready_poll(void *ctx, char *state, size_t size, int *exit_code)
{
	struct awsphase_stack *s = ctx;
	size_t i;
	int left = 0, rc, rr;

	state[0] = '\0';
	for (i = 0; i < s->n; i++) {
		struct awsphase_res *r = &s->res[i];

		if (!r->awaiting)
			continue;
		rc = engine_read_one(r);
		if (!rc && !r->found)
			rc = error(_("%s %s: gone while waiting for it to be ready"), r->d.kind, r->name);
		rr = rc ? -rc : r->d.ready(r, r->item);
		if (rr < 0) {
			r->failed = 1;
			*exit_code = rc ? rc : -rr;
			return -1;
		}
		if (rr == 1) {
			r->awaiting = 0;
			r->now = r->item;
			engine_record_outputs(r, r->item);
			r->settled = !r->post_create;
			continue;
		}
		left++;
		if (strlen(state) + 64 < size)
			snprintf(state + strlen(state), size - strlen(state), "%s%s %s: %s",
				 *state ? "; " : "", engine_kind_text(r->d.kind), r->name,
				 r->state ? r->state : _("not ready"));
	}
	engine_flush_outputs(s);
	return left == 0;
}

/* Waits for what was made (or found) not ready; 0 when there was none. */
static int is_awaiting(const struct awsphase_res *r)
{
	return r->awaiting;
}

static int wait_ready(struct awsphase_stack *s)
{
	return engine_wait(s, is_awaiting, _(" to be ready"), 5, ready_poll);
}

/* Handles a create's answer; 0, or an exit code. */
static int created(struct awsphase_res *r, struct step *st, int *collided)
{
	enum awsphase_call_state state = aws_call_state(st->call);
	const cJSON *item;
	int rc;

	switch (state) {
	case AWSPHASE_CALL_DRY_RUN:
		r->would = 1;
		after_create(r, 1);
		return 0;
	case AWSPHASE_CALL_ACCEPTED: /* there already, or made meanwhile by someone else */
		r->exists = 1;
		if (r->d.from) { /* a part found in another's item: there, and settled */
			reset_decision(r);
			if (r->d.differs)
				r->d.differs(r, NULL);
			engine_say_made(r, 0, 1);
			r->settled = 1;
			return 0;
		}
		if (r->s->first_run) {
			*collided = 1;
			engine_unread(r);
			return 0;
		}
		rc = engine_read_one(r);
		if (rc)
			return rc;
		if (!r->found)
			return error(_("%s %s: AWS says it exists, yet it cannot be found; run again"),
				     r->d.kind, r->name);
		reset_decision(r);
		engine_say_made(r, 0, 1);
		engine_record_outputs(r, r->item);
		return 0;
	case AWSPHASE_CALL_OK:
		item = answer_item(r, st->call);
		r->created = 1;
		r->now = item;
		if (item && r->d.id) {
			const char *id = json_str(item, r->d.id);

			if (id) {
				free(r->id);
				r->id = xstrdup(id);
			}
		}
		if ((r->d.flags & AWSPHASE_RES_REREAD) && (rc = engine_read_one(r)) != 0)
			return rc;
		if (r->d.flags & AWSPHASE_RES_REREAD)
			r->now = item = r->found ? r->item : item;
		engine_record_outputs(r, item);
		after_create(r, 0);
		return 0;
	default:
		r->failed = 1;
		rc = aws_call_exit_class(st->call);
		return rc ? rc : AWSPHASE_EXIT_AWS;
	}
}

/* Handles the answers of r's fix calls; 0, or an exit code. */
static int fixed(struct awsphase_res *r)
{
	int would = 0, rc = 0;
	size_t i;

	for (i = 0; i < r->npending; i++) {
		struct step *st = r->pending[i];
		const cJSON *item;

		switch (aws_call_state(st->call)) {
		case AWSPHASE_CALL_DRY_RUN:
			would = 1;
			break;
		case AWSPHASE_CALL_OK:
		case AWSPHASE_CALL_ACCEPTED:
			item = answer_item(r, st->call);
			if (item) {
				r->now = item;
				engine_record_outputs(r, item);
			}
			break;
		default:
			r->failed = 1;
			if (!rc)
				rc = aws_call_exit_class(st->call);
		}
	}
	if (r->failed)
		return rc ? rc : AWSPHASE_EXIT_AWS;
	if (would)
		r->would = 1;
	else
		r->updated = !r->post_create;
	engine_say_updated(r, would);
	if (r->made_unsaid) {
		r->made_unsaid = 0;
		engine_say_made(r, 0, 0);
	}
	r->settled = 1;
	return check_ready(r) ? AWSPHASE_EXIT_FAILED : 0;
}

static void free_steps(struct awsphase_res *r)
{
	size_t i;

	for (i = 0; i < r->npending; i++) {
		aws_call_free(r->pending[i]->call);
		free(r->pending[i]);
	}
	r->npending = 0;
}

/* Starts again from what AWS holds after a first run's create found its
 * resource: every lazy resource is read, and those not settled decided anew. */
static int read_again(struct awsphase_stack *s)
{
	size_t i;

	log_msg(AWSPHASE_LOG_INFO, _("some resources were there already (their keys are not in %s): "
				     "reading them all"), s->h->settings->env_file);
	s->first_run = 0;
	for (i = 0; i < s->n; i++) {
		struct awsphase_res *r = &s->res[i];

		if (r->lazy_skipped || (r->exists && !r->settled))
			engine_unread(r);
	}
	return engine_read_all(s);
}

static void record_found(struct awsphase_stack *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->res[i].planned && s->res[i].found)
			engine_record_outputs(&s->res[i], s->res[i].item);
	engine_flush_outputs(s);
}

int engine_apply(struct awsphase_stack *s, int *ncalls)
{
	int rc = 0, total = 0;
	size_t i;

	s->mode = AWSPHASE_MODE_DEPLOY;
	record_found(s);
	for (;;) {
		struct awsphase_call **batch = NULL;
		size_t nb = 0, open = 0;
		int collided = 0, blocked = 0, progress = 0;

		for (i = 0; i < s->n; i++) {
			struct awsphase_res *r = &s->res[i];
			size_t k;
			int t;

			if (!r->planned || r->settled || r->failed)
				continue;
			open++;
			if (r->awaiting || !needs_settled(r, &blocked))
				continue;
			t = take_turn(r);
			progress = 1;
			if (t < 0) {
				r->failed = 1;
				if (!rc)
					rc = AWSPHASE_EXIT_FAILED;
				continue;
			}
			for (k = 0; k < r->npending; k++) {
				batch = xrealloc(batch, (nb + 1) * sizeof(*batch));
				batch[nb++] = r->pending[k]->call;
			}
		}
		if (!nb && progress && !rc)
			continue; /* what settled without a call may let others go */
		if (!nb && !rc && awaiting(s)) {
			free(batch);
			rc = wait_ready(s);
			if (rc)
				break;
			continue; /* what was waited for lets others go */
		}
		if (!nb) {
			free(batch);
			if (open && !rc && !blocked && !run_interrupted()) {
				error(_("engine: some resources wait for each other; nothing was left to do"));
				rc = AWSPHASE_EXIT_FAILED;
			}
			break;
		}
		aws_call_run_all(batch, nb);
		total += (int)nb;
		free(batch);
		if (run_interrupted()) {
			rc = AWSPHASE_EXIT_INTERRUPTED;
			break;
		}
		for (i = 0; i < s->n; i++) {
			struct awsphase_res *r = &s->res[i];
			int class;

			if (!r->npending)
				continue;
			if (r->pending[0]->create) {
				class = created(r, r->pending[0], &collided);
			} else {
				class = fixed(r);
				r->post_create = 0;
			}
			free_steps(r);
			if (class && !rc)
				rc = class;
		}
		engine_flush_outputs(s);
		if (!rc && collided) {
			rc = read_again(s);
			record_found(s);
		}
		if (rc)
			break;
	}
	engine_flush_outputs(s);
	engine_say_left(s);
	if (ncalls)
		*ncalls = total;
	if (!rc && s->record_failed)
		rc = AWSPHASE_EXIT_FAILED;
	return rc;
}
