/* The engine's reads: every wanted resource in as few concurrent rounds as
 * their dependencies allow.  A round starts every read whose inputs are
 * known (from the env file, from resources read in earlier rounds, or from
 * an env value standing in for a resource not read yet), runs them at once,
 * and hands each answer to the resources that asked for it; equal reads are
 * made once and their answer shared. */
#include <stdlib.h>
#include <string.h>

#include "aws.h"
#include "engine.h"
#include "engine-int.h"
#include "json.h"
#include "log.h"
#include "run.h"

struct batch {
	struct awsphase_call **calls;
	size_t n;
};

static void batch_add(struct batch *b, struct awsphase_call *c)
{
	b->calls = xrealloc(b->calls, (b->n + 1) * sizeof(*b->calls));
	b->calls[b->n++] = c;
}

static char *text_at(const cJSON *item, const char *path)
{
	const cJSON *v = json_get(item, path);

	if (cJSON_IsString(v) && v->valuestring)
		return xstrdup(v->valuestring);
	return NULL;
}

static void resolve(struct awsphase_res *r, int found, const cJSON *item)
{
	r->rstate = R_READ;
	r->found = found && item;
	r->item = r->found ? item : NULL;
	free(r->id);
	r->id = r->found && r->d.id ? text_at(item, r->d.id) : NULL;
	if (r->found) {
		free(r->error);
		r->error = NULL;
	}
}

static void clear_spec(struct awsphase_res *r)
{
	size_t i;

	for (i = 0; i < r->nspec; i++) {
		free(r->spec[i].path);
		free(r->spec[i].value);
	}
	r->nspec = 0;
}

void engine_unread(struct awsphase_res *r)
{
	struct awsphase_stack *s = r->s;
	size_t i, k;

	/* a read made again is made anew, not answered from the one before */
	for (i = 0; i < ENGINE_MAX_STEPS; i++)
		for (k = 0; r->reads[i] && k < s->nreads; k++)
			if (s->reads[k].call == r->reads[i] && s->reads[k].key) {
				free(s->reads[k].key);
				s->reads[k].key = NULL;
			}
	memset(r->reads, 0, sizeof(r->reads));
	memset(r->answers, 0, sizeof(r->answers));
	if (r->again) {
		aws_call_free(r->again);
		r->again = NULL;
	}
	clear_spec(r);
	r->rstate = R_UNREAD;
	r->step = 0;
	r->found = 0;
	r->item = NULL;
	r->lazy_skipped = 0;
}

static int ready(struct awsphase_stack *s, const char *const *keys)
{
	for (; keys && *keys; keys++) {
		struct awsphase_res *d = engine_find(s, *keys);

		if (d && d->present && (d->rstate == R_UNREAD || d->rstate == R_WAITING))
			return 0;
	}
	return 1;
}

/* The item, after pick (or the declarative choice) has looked at answer.
 * Returns 0, or an exit code pick gave. */
static int picked(struct awsphase_res *r, const cJSON *answer, int step)
{
	const cJSON *item = NULL;
	int rc;

	if (!r->d.pick) {
		resolve(r, 1, engine_services()->select(r, answer));
		return 0;
	}
	rc = r->d.pick(r, answer, step, &item);
	if (rc < 0) {
		r->rstate = R_FAILED;
		return -rc;
	}
	if (rc == AWSPHASE_AGAIN && r->again && step + 1 < ENGINE_MAX_STEPS) {
		r->step = step + 1;
		r->rstate = R_WAITING;
		return 0;
	}
	resolve(r, rc == AWSPHASE_FOUND, item);
	return 0;
}

static int process(struct awsphase_res *r, struct batch *next);

/* r's answer for this step comes from call: a read already made with the
 * same argv, or a new one in the batch. */
static int attach(struct awsphase_res *r, struct awsphase_call *call, struct batch *b)
{
	struct awsphase_stack *s = r->s;
	char *key = aws_call_key(call);
	size_t i;

	for (i = 0; i < s->nreads; i++)
		if (s->reads[i].key && strcmp(s->reads[i].key, key) == 0)
			break;
	if (i < s->nreads) {
		aws_call_free(call);
		free(key);
		call = s->reads[i].call;
	} else {
		s->reads = xrealloc(s->reads, (s->nreads + 1) * sizeof(*s->reads));
		s->reads[s->nreads].key = key;
		s->reads[s->nreads++].call = call;
		batch_add(b, call);
	}
	r->reads[r->step] = call;
	r->rstate = R_WAITING;
	if (aws_call_state(call) != AWSPHASE_CALL_PENDING)
		return process(r, b);
	return 0;
}

/* The then read, made with find's answer. */
static int start_then(struct awsphase_res *r, const cJSON *answer, struct batch *b)
{
	struct awsphase_call *call = aws_call_new(r->d.then.service, r->d.then.operation);
	const char *const *c;

	for (c = r->d.then.codes; c && *c; c++)
		aws_call_accept(call, *c);
	if (engine_add_args(r, call, r->d.then.args, answer, 0, NULL) < 0) {
		aws_call_free(call);
		resolve(r, 0, NULL);
		return 0;
	}
	r->step = 1;
	return attach(r, call, b);
}

/* One object of find's answer and then's. */
static const cJSON *merged(struct awsphase_res *r, const cJSON *first, const cJSON *second)
{
	cJSON *m = cJSON_CreateObject();
	const cJSON *it;

	cJSON_ArrayForEach(it, first)
		if (it->string)
			cJSON_AddItemToObject(m, it->string, cJSON_Duplicate(it, 1));
	cJSON_ArrayForEach(it, second)
		if (it->string && !cJSON_GetObjectItemCaseSensitive(m, it->string))
			cJSON_AddItemToObject(m, it->string, cJSON_Duplicate(it, 1));
	engine_own(r->s, m);
	return m;
}

/* The answer of r's current step is in: decide, or ask for the next read. */
static int process(struct awsphase_res *r, struct batch *next)
{
	struct awsphase_call *call = r->reads[r->step];
	const cJSON *answer;
	int class;

	switch (aws_call_state(call)) {
	case AWSPHASE_CALL_FAILED:
		class = aws_call_exit_class(call);
		engine_set_error(r, call);
		r->rstate = R_FAILED;
		return class ? class : AWSPHASE_EXIT_AWS;
	case AWSPHASE_CALL_ACCEPTED: /* a code meaning "none there" */
		engine_set_error(r, call);
		resolve(r, 0, NULL);
		return 0;
	case AWSPHASE_CALL_DRY_RUN:   /* a read is never one; be safe */
	case AWSPHASE_CALL_PENDING:
		resolve(r, 0, NULL);
		return 0;
	case AWSPHASE_CALL_OK:
		break;
	}
	answer = aws_call_json(call);
	r->answers[r->step] = answer;
	if (r->d.then.service && r->step == 0)
		return start_then(r, answer, next);
	if (r->d.then.service && r->step == 1)
		answer = merged(r, r->answers[0], answer);
	return picked(r, answer, r->step);
}

/* Starts r's read; 0 when started, waiting or settled, else an exit code. */
static int start(struct awsphase_res *r, struct batch *b, int *progress)
{
	struct awsphase_stack *s = r->s;
	struct awsphase_call *call;
	const char *const *c;
	int wait = 0;

	if (!ready(s, r->d.read_after))
		return 0;
	if (r->d.from) {
		struct awsphase_res *src = engine_find(s, r->d.from);

		if (src && src->present && (src->rstate == R_UNREAD || src->rstate == R_WAITING))
			return 0;
		*progress = 1;
		if (!src || !src->present || !src->found) {
			if (src && src->rstate == R_FAILED) {
				r->rstate = R_FAILED;
				free(r->error);
				r->error = src->error ? xstrdup(src->error) : NULL;
			} else {
				resolve(r, 0, NULL);
			}
			return 0;
		}
		return picked(r, src->now ? src->now : src->item, 0);
	}
	if (!r->d.find.service) {
		*progress = 1;
		resolve(r, 0, NULL);
		return 0;
	}
	call = aws_call_new(r->d.find.service, r->d.find.operation);
	for (c = r->d.find.codes; c && *c; c++)
		aws_call_accept(call, *c);
	if (engine_add_args(r, call, r->d.find.args, NULL, 1, &wait) < 0) {
		aws_call_free(call);
		clear_spec(r);
		if (wait)
			return 0;
		*progress = 1;
		resolve(r, 0, NULL); /* what it is found by does not exist */
		return 0;
	}
	if (r->d.find_args && r->d.find_args(r, call) != AWSPHASE_FOUND) {
		aws_call_free(call);
		*progress = 1;
		resolve(r, 0, NULL);
		return 0;
	}
	*progress = 1;
	r->step = 0;
	return attach(r, call, b);
}

/* A read that used an env value for a resource read since: made again
 * when the resource has another value, dropped when it is absent. */
static void check_spec(struct awsphase_res *r)
{
	size_t i;

	for (i = 0; i < r->nspec; i++) {
		struct spec_use *u = &r->spec[i];
		char *actual;
		int same;

		if (u->dep->rstate != R_READ)
			return;
		if (!u->dep->found) {
			clear_spec(r);
			resolve(r, 0, NULL);
			return;
		}
		actual = u->path ? text_at(u->dep->item, u->path) : u->dep->id ? xstrdup(u->dep->id) : NULL;
		same = actual && strcmp(actual, u->value) == 0;
		free(actual);
		if (!same) {
			log_msg(AWSPHASE_LOG_VERBOSE, "%s %s: read again with what %s %s has now",
				r->d.kind, r->name, u->dep->d.kind, u->dep->name);
			engine_unread(r);
			return;
		}
	}
	clear_spec(r);
}

int engine_read_all(struct awsphase_stack *s)
{
	struct batch carry = { NULL, 0 };
	int rc = 0;
	size_t i;

	for (;;) {
		struct batch b = carry;
		int progress = 0, class;

		carry.calls = NULL;
		carry.n = 0;
		for (i = 0; i < s->n; i++) {
			struct awsphase_res *r = &s->res[i];

			if (!r->present || !r->wanted)
				continue;
			if (r->rstate == R_WAITING && r->again) {
				struct awsphase_call *again = r->again;

				r->again = NULL;
				progress = 1;
				class = attach(r, again, &b);
			} else if (r->rstate == R_UNREAD && !r->lazy_skipped) {
				class = start(r, &b, &progress);
			} else {
				continue;
			}
			if (class && !rc)
				rc = class;
		}
		if (b.n) {
			class = aws_call_run_all(b.calls, b.n);
			if (class == AWSPHASE_EXIT_INTERRUPTED || run_interrupted()) {
				free(b.calls);
				free(carry.calls);
				return AWSPHASE_EXIT_INTERRUPTED;
			}
			/* answers in; reads they lead to (then) go in the next round */
			for (i = 0; i < s->n; i++) {
				struct awsphase_res *r = &s->res[i];
				size_t k;

				if (r->rstate != R_WAITING || r->again)
					continue;
				for (k = 0; k < b.n && b.calls[k] != r->reads[r->step]; k++)
					;
				if (k == b.n)
					continue;
				class = process(r, &carry);
				if (class && !rc)
					rc = class;
			}
		}
		free(b.calls);
		for (i = 0; i < s->n; i++)
			if (s->res[i].nspec && s->res[i].rstate == R_READ)
				check_spec(&s->res[i]);
		if (rc) {
			/* what a failed round leaves unread stays so: no more calls
			 * after a refusal, one error line at the end */
			free(carry.calls);
			return rc;
		}
		if (!b.n && !progress && !carry.n)
			break;
	}
	/* what still waits names a resource that will not be read */
	for (i = 0; i < s->n; i++)
		if (s->res[i].present && s->res[i].wanted && s->res[i].rstate == R_UNREAD &&
		    !s->res[i].lazy_skipped)
			resolve(&s->res[i], 0, NULL);
	return rc;
}

int engine_read_one(struct awsphase_res *r)
{
	struct awsphase_stack *s = r->s;
	int *wanted = xcalloc(s->n, sizeof(*wanted)), rc;
	size_t i;

	for (i = 0; i < s->n; i++) {
		wanted[i] = s->res[i].wanted;
		s->res[i].wanted = 0;
	}
	engine_unread(r);
	r->wanted = 1;
	rc = engine_read_all(s);
	for (i = 0; i < s->n; i++)
		s->res[i].wanted = wanted[i];
	free(wanted);
	return rc;
}
