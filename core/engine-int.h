/* The resource engine's insides, shared by core/engine*.c (see
 * include/awsphase/engine.h for what modules see). */
#ifndef AWSPHASE_ENGINE_INT_H
#define AWSPHASE_ENGINE_INT_H

#include <stddef.h>

#include "awsphase/engine.h"
#include "strbuf.h"

#define ENGINE_MAX_STEPS 4     /* reads of one resource: find, then, again… */
#define ENGINE_MAX_SPEC 4      /* env values a read used before their resource was read */

enum read_state {
	R_UNREAD = 0,
	R_WAITING,     /* a call of this round holds its answer */
	R_READ,
	R_FAILED,
};

/* What apply does next with a resource. */
enum act {
	ACT_NONE = 0,
	ACT_UNCHANGED,
	ACT_CREATE,
	ACT_FIX,
};

/* A read made once for every resource that asks the same (same argv and
 * codes): its call, kept until the stack is closed. */
struct shared_read {
	char *key;
	struct awsphase_call *call;
};

/* A changing call of apply, or a deletion step of teardown. */
struct step {
	struct awsphase_res *r;
	struct awsphase_call *call;
	int create;                 /* apply: the create */
	int final;                  /* teardown: the remove op itself */
	const char *const *gone, *const *busy;
	char *name;                 /* teardown: what the line names */
	char *verb_en, *verb_shown; /* "delete|deleted" */
	int done;
};

/* An env value a read used for a resource not read yet. */
struct spec_use {
	struct awsphase_res *dep;
	char *path;                 /* NULL: its id */
	char *value;
};

struct awsphase_res {
	struct awsphase_stack *s;
	struct awsphase_resource d;  /* ours: zero-filled past the module's struct_size */
	size_t index;
	int present;                 /* only_if holds */
	int wanted;                  /* the action's, or needed by one of them */
	int planned;                 /* plan/apply/teardown acts on it */
	char *name;

	/* read */
	enum read_state rstate;
	int lazy_skipped;            /* a first run did not read it */
	int found;
	int step;                    /* the read step being answered */
	struct awsphase_call *reads[ENGINE_MAX_STEPS];
	const cJSON *answers[ENGINE_MAX_STEPS];
	struct awsphase_call *again; /* what pick asked for, not run yet */
	const cJSON *item;           /* as read */
	cJSON *merged;               /* then: find's and then's answers in one */
	struct spec_use spec[ENGINE_MAX_SPEC];
	size_t nspec;
	char *id;
	char *error;
	char *state;                 /* wait_gone's progress text */

	/* deploy */
	enum act act;
	unsigned what;
	struct strbuf diff_en, diff_shown, note_en, note_shown;
	cJSON *diffs;                /* the differences, in English, for JSON */
	int conflicts;
	int settled, created, updated, would, failed, exists;
	int post_create;             /* its fix comes right after its create */
	int made_unsaid;             /* created, its line waiting for that fix */
	int said;                    /* its line (and JSON entry) is out */
	cJSON *todo;                 /* what the plan had it do, for "pending" */
	int awaiting;                /* made (or found) but not ready yet */
	const cJSON *now;            /* the last create/fix answer's item */
	struct step *pending[32];
	size_t npending;

	/* teardown */
	struct step *rm[64];
	size_t nrm;
	int rm_phase;                /* 0 steps first, 1 the remove op, 2 waiting, 3 gone */
	int kept;
};

struct awsphase_stack {
	const struct awsphase_host *h;
	struct awsphase_stack_spec spec;
	void *ctx;
	struct awsphase_res *res;
	size_t n;
	char *stack_name;
	enum awsphase_mode mode;
	int dry;
	int first_run;
	int planning;                /* plan(): decisions only */
	struct shared_read *reads;
	size_t nreads;
	char **strings;              /* what expand() handed out */
	size_t nstrings;
	cJSON **owned;               /* merged items and answers kept */
	size_t nowned;
	cJSON *report;               /* "resources" or "teardown" */
	const char *report_key;
	int record_failed;
	struct strbuf outputs;       /* env keys to write at the end of a round */
	const char **kv;
	size_t nkv;
	struct awsphase_res *current;
};

/* engine.c: h->engine's open and close */
struct awsphase_stack *engine_open(const struct awsphase_stack_spec *spec, void *ctx);
void engine_close(struct awsphase_stack *s);
struct awsphase_res *engine_find(struct awsphase_stack *s, const char *key);
char *engine_keep(struct awsphase_stack *s, char *str);      /* freed with the stack */
void engine_own(struct awsphase_stack *s, cJSON *json);
/* engine-template.c: ids, templates, outputs.  The item of r now: the last
 * create or fix answer's, else as read. */
const cJSON *engine_item(const struct awsphase_res *r);
/* A string, number or bool as text (malloc'ed); NULL for anything else. */
char *engine_json_text(const cJSON *v);
/* Expands tmpl for r (prev: the answer {.Path} reads in `then`).  NULL when
 * a field is missing; *wait (if not NULL) set when it names a resource not
 * read yet whose value the env file does not hold either. */
char *engine_expand(struct awsphase_res *r, const char *tmpl, const cJSON *prev, int *wait);
/* Adds the templates of op (with by-tags filters when find is 1) to call;
 * -1 when one cannot be expanded (*wait as engine_expand). */
int engine_add_args(struct awsphase_res *r, struct awsphase_call *call, const char *const *args,
		    const cJSON *prev, int find, int *wait);
const char *engine_id(struct awsphase_res *r);
const char *engine_placeholder(struct awsphase_res *r, const char *what);
int engine_wants(const struct awsphase_res *r, const char *const *keys);
int engine_needs(const struct awsphase_res *r, const struct awsphase_res *dep);
void engine_record_outputs(struct awsphase_res *r, const cJSON *item);
void engine_forget_outputs(struct awsphase_res *r);
int engine_flush_outputs(struct awsphase_stack *s);
void engine_set_error(struct awsphase_res *r, struct awsphase_call *call);
int engine_in(const char *const *codes, const char *code);
/* Waits, with a progress line naming them, until poll says the resources
 * which() picks are done ("… waiting for KIND NAME, … to be ready"); 0 at
 * once when there are none, else what wait_run returns. */
int engine_wait(struct awsphase_stack *s, int (*which)(const struct awsphase_res *r),
		const char *to_be, double interval_s,
		int (*poll)(void *ctx, char *state, size_t size, int *exit_code));
/* Marks keys (NULL: all but DATA) and what their reads need as wanted;
 * plan: keys (but DATA) are also what the action acts on. */
void engine_select(struct awsphase_stack *s, const char *const *keys, int plan);

/* engine-read.c: reads every wanted resource that is not read; 0 or the
 * first failure's exit code. */
int engine_read_all(struct awsphase_stack *s);
/* Reads r alone again now (after a create that found it, in a wait). */
int engine_read_one(struct awsphase_res *r);
void engine_unread(struct awsphase_res *r);

/* engine-apply.c */
int engine_plan(struct awsphase_stack *s, const char *const *keys, int *changes);
int engine_apply(struct awsphase_stack *s, int *calls);

/* engine-kinds.c: a resource with trusts gets the engine's find, create,
 * differs, fix and remove for an IAM role (what the module leaves unset);
 * one with policy_doc its pick, differs, create and fix for an inline role
 * policy; one with ingress_port its pick, differs and create for a rule. */
void engine_policy_kind(struct awsphase_resource *d);

/* engine-remove.c */
int engine_teardown(struct awsphase_stack *s, const char *const *keys, unsigned flags, int *steps);

/* engine-aws.c: h->engine's iam_role_remove and sg_revoke_naming */
void engine_iam_role_remove(struct awsphase_res *r);
void engine_sg_revoke_naming(struct awsphase_res *r, const cJSON *sg);

/* engine-judge.c: h->engine's sg_allows, iam_role_trusts,
 * iam_role_has_policy and partition */
int engine_sg_allows(const cJSON *sg, int port, const char *src_sg, const char *cidr);
int engine_iam_role_trusts(const cJSON *role, const char *service);
int engine_iam_role_has_policy(const cJSON *role, const char *policy_arn);
cJSON *engine_iam_role_policy(const cJSON *role, const char *name);
void engine_iam_allow(cJSON **doc, const char *sid, const char *const *actions, const char *resource);
const char *engine_partition(const char *region);
int engine_subnet_nat(const cJSON *tables, const char *subnet);
int engine_fargate_size_ok(int cpu, int mem);
int engine_log_retention_ok(int days);
void engine_sg_ingress_words(const cJSON *sg, char *buf, size_t size);
cJSON *engine_ecr_image(const char *uri);
int engine_vpc_endpoint(const cJSON *endpoints, const char *region, const char *service);
int engine_listener_forwards(const cJSON *listener, const char *tg_arn);
const char *engine_target_reason(const cJSON *targets, const char *state);

/* engine-report.c: a resource's line and JSON entry; the kind, and msgid
 * looked up with the kind as context. */
void engine_line(struct awsphase_res *r, const char *mark, const char *result_en,
		 const char *result_shown);
void engine_teardown_entry(struct awsphase_res *r, const struct step *st, const char *result);
/* Deploy's line of r: made (would: the dry run's "would create"; exists:
 * "already there"), updated, unchanged. */
void engine_say_made(struct awsphase_res *r, int would, int exists);
void engine_say_updated(struct awsphase_res *r, int would);
void engine_say_unchanged(struct awsphase_res *r);
/* After an apply that stopped: a line for what was created but not
 * finished ("created", no note: what the fix would have made true), and a
 * JSON entry for every resource the plan changes and the run did not
 * finish, its "pending" list the changes not made. */
void engine_say_left(struct awsphase_stack *s);
const char *engine_kind_text(const char *kind);
const char *engine_text_for(const char *kind, const char *msgid);
/* fmt (a msgid of the engine's with at most one %s, or its translation)
 * with arg in place of %s, added to sb: formats chosen at run time are not
 * given to printf. */
void engine_fill(struct strbuf *sb, const char *fmt, const char *arg);
/* "verb|done" halves: which 0 (to do) or 1 (done) into buf. */
void engine_verb_half(const char *verb, int which, char *buf, size_t size);
/* engine-owner.c: refuses (exit 2, naming the stack; --dry-run: warns, 0)
 * when one of list (or what it is part of), found, belongs to a
 * CloudFormation stack; 0 when none does.  engine_owned: of keys. */
int engine_refuse_owned(struct awsphase_stack *s, struct awsphase_res **list, size_t n);
int engine_owned(struct awsphase_stack *s, const char *const *keys);

#endif
