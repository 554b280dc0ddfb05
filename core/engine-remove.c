/* The engine's teardown: what exists is deleted in reverse dependency order,
 * a resource only once every resource that needs it (and those in its
 * remove_after) is gone.  Each round's deletions run at once; a deletion AWS
 * answers "busy" (DependencyViolation, ResourceInUse) is tried again within
 * the deadline; a resource with wait_gone is read until it is absent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws.h"
#include "engine.h"
#include "engine-int.h"
#include "host.h"
#include "i18n.h"
#include "log.h"
#include "report.h"
#include "run.h"
#include "wait.h"

enum { RM_STEPS = 0, RM_FINAL, RM_WAIT, RM_GONE };

/* The remove op itself, after remove_fn's steps. */
static void final_step(struct awsphase_res *r)
{
	struct awsphase_call *call;
	struct step *st;

	if (!r->d.remove.service || r->kept)
		return;
	call = engine_services()->remove_step(r, r->d.remove.service, r->d.remove.operation,
					      r->d.remove.codes, r->d.remove.busy, NULL, "delete|deleted");
	st = r->rm[r->nrm - 1];
	if (st->call != call)
		return; /* the table was full */
	st->final = 1;
	if (engine_add_args(r, call, r->d.remove.args, NULL, 0, NULL) < 0) {
		warning(_("%s %s: cannot say how to delete it (an input is missing); skipped"),
			r->d.kind, r->name);
		r->nrm--;
		aws_call_free(st->call);
		free(st->name);
		free(st->verb_en);
		free(st->verb_shown);
		free(st);
	}
}

static int gone_or_kept(const struct awsphase_res *q)
{
	return !q->planned || !q->found || q->kept || q->rm_phase == RM_GONE;
}

/* Every resource that needs r, and those r must follow, are gone. */
static int turn_came(struct awsphase_res *r)
{
	struct awsphase_stack *s = r->s;
	const char *const *k;
	size_t i;

	for (i = 0; i < s->n; i++) {
		struct awsphase_res *q = &s->res[i];

		if (q != r && q->present && engine_needs(q, r) && !gone_or_kept(q))
			return 0;
	}
	for (k = r->d.remove_after; k && *k; k++) {
		struct awsphase_res *q = engine_find(s, *k);

		if (q && q->present && !gone_or_kept(q))
			return 0;
	}
	return 1;
}

/* "security group kaviar-ecs-sg sg-…": ARNs are left out (JSON has them). */
static void what(const struct step *st, char *buf, size_t size)
{
	struct awsphase_res *r = st->r;
	const char *id = r->id && *r->id && strncmp(r->id, "arn:", 4) != 0 &&
			 strcmp(st->name, r->name) == 0 ? r->id : NULL;

	snprintf(buf, size, "%s %s%s%s", engine_kind_text(r->d.kind), st->name, id ? " " : "",
		 id ? id : "");
}

static void done_line(const struct step *st, const char *how)
{
	char buf[1024], half[512];

	what(st, buf, sizeof(buf));
	if (strcmp(how, "done") == 0) {
		engine_verb_half(st->verb_shown, 1, half, sizeof(half));
		report_say("✓ %s (%s)", buf, half);
	} else if (strcmp(how, "would run") == 0) {
		char tail[600];

		engine_verb_half(st->verb_shown, 0, half, sizeof(half));
		snprintf(tail, sizeof(tail), _(" (would %.*s)"), (int)strlen(half), half);
		report_say("• %s%s", buf, tail);
	} else {
		report_say("· %s%s", buf, _(" (already gone)"));
	}
}

/* The steps of r's current phase not done yet. */
static int phase_steps(struct awsphase_res *r, struct step **out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < r->nrm && n < max; i++)
		if (!r->rm[i]->done && (r->rm_phase == RM_FINAL) == r->rm[i]->final)
			out[n++] = r->rm[i];
	return (int)n;
}

static void advance(struct awsphase_res *r)
{
	struct step *left[1];

	while (r->rm_phase < RM_WAIT && !phase_steps(r, left, 1))
		r->rm_phase++;
	if (r->rm_phase == RM_WAIT && (!r->d.wait_gone || r->s->dry || r->kept))
		r->rm_phase = RM_GONE;
	if (r->rm_phase == RM_GONE)
		engine_forget_outputs(r);
}

struct attempt {
	struct awsphase_stack *s;
	struct step **steps;
	size_t n;
	int rc;
};

/* Runs the steps not done yet at once; how many AWS still calls busy (their
 * codes in state), or -exit code. */
static int run_steps(struct attempt *a, char *state, size_t size)
{
	struct awsphase_call **calls = xcalloc(a->n ? a->n : 1, sizeof(*calls));
	size_t i, nc = 0;
	int busy = 0, failed = 0;

	for (i = 0; i < a->n; i++) {
		struct step *st = a->steps[i];

		if (st->done)
			continue;
		if (aws_call_state(st->call) != AWSPHASE_CALL_PENDING) {
			struct awsphase_call *again = aws_call_copy(st->call);

			aws_call_free(st->call);
			st->call = again;
		}
		calls[nc++] = st->call;
	}
	if (state && size)
		state[0] = '\0';
	if (nc)
		aws_call_run_all(calls, nc);
	free(calls);
	for (i = 0; i < a->n; i++) {
		struct step *st = a->steps[i];
		enum awsphase_call_state cs;
		const char *code;

		if (st->done)
			continue;
		cs = aws_call_state(st->call);
		code = aws_call_error(st->call);
		if (cs == AWSPHASE_CALL_ACCEPTED && engine_in(st->busy, code)) {
			busy++;
			if (state && strlen(state) + strlen(code) + strlen(st->name) + 8 < size)
				snprintf(state + strlen(state), size - strlen(state), "%s%s %s: %s",
					 *state ? "; " : "", engine_kind_text(st->r->d.kind), st->name, code);
			continue;
		}
		if (cs == AWSPHASE_CALL_FAILED) {
			failed = aws_call_exit_class(st->call);
			engine_teardown_entry(st->r, st, "failed");
			st->r->failed = 1;
			st->done = 1;
			continue;
		}
		st->done = 1;
		if (cs == AWSPHASE_CALL_DRY_RUN) {
			done_line(st, "would run");
			engine_teardown_entry(st->r, st, "would run");
		} else if (cs == AWSPHASE_CALL_ACCEPTED) {
			done_line(st, "already gone");
			log_msg(AWSPHASE_LOG_VERBOSE, "%s: %s", st->name, code);
			engine_teardown_entry(st->r, st, "already gone");
		} else {
			done_line(st, "done");
			engine_teardown_entry(st->r, st, "done");
		}
	}
	if (failed)
		return -failed;
	return busy;
}

static int retry_poll(void *ctx, char *state, size_t size, int *exit_code)
{
	int left = run_steps(ctx, state, size);

	if (left < 0) {
		*exit_code = -left;
		return -1;
	}
	return left == 0;
}

/* Waits for the resources in RM_WAIT to be gone: their find, again. */
static int gone_poll(void *ctx, char *state, size_t size, int *exit_code)
{
	struct awsphase_stack *s = ctx;
	size_t i;
	int left = 0, rc;

	state[0] = '\0';
	for (i = 0; i < s->n; i++) {
		struct awsphase_res *r = &s->res[i];

		if (r->rm_phase != RM_WAIT)
			continue;
		rc = engine_read_one(r);
		if (rc) {
			*exit_code = rc;
			return -1;
		}
		if (!r->found) {
			r->rm_phase = RM_GONE;
			engine_forget_outputs(r);
			engine_flush_outputs(s);
			continue;
		}
		left++;
		if (strlen(state) + 64 < size)
			snprintf(state + strlen(state), size - strlen(state), "%s%s %s: %s",
				 *state ? "; " : "", engine_kind_text(r->d.kind), r->name,
				 r->state ? r->state : _("still there"));
	}
	return left == 0;
}

static int is_going(const struct awsphase_res *r)
{
	return r->rm_phase == RM_WAIT;
}

static int wait_gone(struct awsphase_stack *s)
{
	return engine_wait(s, is_going, _(" to be gone"), 2, gone_poll);
}

/* One round: the steps of every resource whose turn came. */
static int round_once(struct awsphase_stack *s, int *progress)
{
	struct step **steps = NULL;
	struct attempt a = { s, NULL, 0, 0 };
	char state[512];
	size_t i;
	int left, rc = 0;

	for (i = 0; i < s->n; i++) {
		struct awsphase_res *r = &s->res[i];
		struct step *mine[64];
		int n, k;

		if (!r->planned || !r->found || r->rm_phase >= RM_WAIT || r->failed || !turn_came(r))
			continue;
		n = phase_steps(r, mine, 64);
		for (k = 0; k < n; k++) {
			steps = xrealloc(steps, (a.n + 1) * sizeof(*steps));
			steps[a.n++] = mine[k];
		}
	}
	a.steps = steps;
	if (a.n) {
		*progress = 1;
		left = run_steps(&a, state, sizeof(state));
		if (left > 0) {
			struct awsphase_wait w = { 0 };

			report_say(_("… %s: AWS is not done with what uses it yet; trying again"), state);
			w.what = _("AWS to let the deletions through");
			w.interval_s = 2;
			w.poll = retry_poll;
			w.ctx = &a;
			rc = wait_run(&w, s->h->settings->timeout_s);
		} else if (left < 0) {
			rc = -left;
		}
	}
	free(steps);
	for (i = 0; i < s->n; i++)
		if (s->res[i].planned && s->res[i].found && s->res[i].rm_phase < RM_WAIT &&
		    !s->res[i].failed) {
			int before = s->res[i].rm_phase;

			advance(&s->res[i]);
			if (s->res[i].rm_phase != before)
				*progress = 1;
		}
	engine_flush_outputs(s);
	if (!rc && run_interrupted())
		rc = AWSPHASE_EXIT_INTERRUPTED;
	if (!rc)
		rc = wait_gone(s);
	return rc;
}

/* The plan on stderr, in the order it will run, and the question. */
static int confirm(struct awsphase_stack *s)
{
	struct strbuf lines = STRBUF_INIT;
	char buf[1024], half[512];
	size_t i, k;
	int ok;

	strbuf_addf(&lines, _("awsphase %s will, in this order:\n"), host_command());
	for (i = s->n; i-- > 0;) {
		struct awsphase_res *r = &s->res[i];

		for (k = 0; r->planned && r->found && k < r->nrm; k++) {
			what(r->rm[k], buf, sizeof(buf));
			engine_verb_half(r->rm[k]->verb_shown, 0, half, sizeof(half));
			strbuf_addf(&lines, "  • %s: %s\n", buf, half);
		}
	}
	ok = host_ask(strbuf_str(&lines));
	strbuf_release(&lines);
	return ok;
}

/* What a stack owns is not deleted: the stack would fail its next
 * update, or make it again (engine-owner.c). */
static int refuse_owned(struct awsphase_stack *s)
{
	struct awsphase_res **list = xcalloc(s->n + 1, sizeof(*list));
	size_t i, n = 0;
	int rc;

	for (i = 0; i < s->n; i++)
		if (s->res[i].planned && s->res[i].found && s->res[i].nrm && !s->res[i].kept)
			list[n++] = &s->res[i];
	rc = n ? engine_refuse_owned(s, list, n) : 0;
	free(list);
	return rc;
}

int engine_teardown(struct awsphase_stack *s, const char *const *keys, unsigned flags, int *nsteps)
{
	size_t i, total = 0;
	int rc, progress;

	s->mode = AWSPHASE_MODE_TEARDOWN;
	s->report_key = "teardown";
	if (!s->report)
		s->report = cJSON_CreateArray();
	engine_select(s, keys, 1);
	rc = engine_read_all(s);
	if (nsteps)
		*nsteps = 0;
	if (rc)
		return rc;
	for (i = 0; i < s->n; i++) {
		struct awsphase_res *r = &s->res[i];

		if (!r->planned)
			continue;
		if (!r->found) {
			r->rm_phase = RM_GONE;
			engine_forget_outputs(r);
			continue;
		}
		if (r->d.remove_fn)
			r->d.remove_fn(r);
		final_step(r);
		total += r->nrm;
	}
	if (nsteps)
		*nsteps = (int)total;
	if (!total) {
		for (i = 0; i < s->n; i++)
			if (s->res[i].planned && s->res[i].found && !s->res[i].kept && s->res[i].d.wait_gone)
				total++;
		if (!total) {
			engine_flush_outputs(s);
			return 0;
		}
	}
	rc = refuse_owned(s);
	if (rc)
		return rc;
	if (!(flags & AWSPHASE_TEARDOWN_YES) && !s->dry && !confirm(s)) {
		error(_("%s: not confirmed; nothing was deleted"), host_command());
		return AWSPHASE_EXIT_FAILED;
	}
	for (i = 0; i < s->n; i++)
		if (s->res[i].planned && s->res[i].found && !s->res[i].nrm)
			advance(&s->res[i]);
	do {
		progress = 0;
		rc = round_once(s, &progress);
	} while (!rc && progress);
	for (i = 0; i < s->n && !rc; i++)
		if (s->res[i].planned && s->res[i].found && s->res[i].rm_phase != RM_GONE &&
		    !s->res[i].kept)
			rc = s->res[i].failed ? AWSPHASE_EXIT_AWS : AWSPHASE_EXIT_FAILED;
	engine_flush_outputs(s);
	if (!rc && s->record_failed)
		rc = AWSPHASE_EXIT_FAILED;
	return rc;
}
