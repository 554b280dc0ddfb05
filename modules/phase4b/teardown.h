/* Phase 4B teardown inside the module: teardown.c plans the deletions from
 * what exists; teardown-run.c carries them out phase by phase, with the
 * waits between and the retries while AWS says a resource is still in use. */
#ifndef P4B_TEARDOWN_H
#define P4B_TEARDOWN_H

#include "spec.h"

#define TD_MAX_DELS 128
#define TD_MAX_ARGS 8
#define TD_PHASES 7

/* One deletion (or the scale-down before one). */
struct td_del {
	int phase;
	const char *service, *op;
	char *argv[TD_MAX_ARGS];
	const char *gone[3];    /* AWS codes meaning "already gone": success */
	const char *busy[3];    /* codes meaning "not yet": tried again */
	const char *kind;       /* "service", "listener", … */
	char *name, *id;
	char *verb;             /* "to do|done": "delete|deleted", … */
	char *shown;            /* verb in the user's language, when built
	                         * from a format (td_shown); else looked up */
	int done;
};

struct teardown {
	struct p4b *c;
	const struct awsphase_host *h;
	struct p4b_view v;
	struct awsphase_call *extra[3];  /* --all: clusters, revisions, outside groups */
	const cJSON *cluster, *revisions, *outside_sgs;
	struct td_del dels[TD_MAX_DELS];
	size_t n;
	int wait_service, wait_alb;
	int phase;                       /* the one running */
	int dry;
	int all;                         /* --all */
	cJSON *report;                   /* --output json: what became of each */
};

/* A deletion in phase (1-7): aws service op with the NULL-terminated args;
 * kind, name and id say what it deletes, verb what it does as "to do|done"
 * ("delete|deleted").  NULL (warned) when the table is full.  kind and verb
 * stay English in --output json; text output looks verb up with kind as
 * its context (po/xgettext.sh), so a translation agrees with the kind. */
struct td_del *td_add(struct teardown *t, int phase, const char *service, const char *op,
			  const char *kind, const char *name, const char *id, const char *verb, ...)
	AWSPHASE_SENTINEL;
/* d's verb as the user reads it, when the verb was built with snprintf
 * (the catalogue cannot match it): fmt is the translated format.  d may
 * be NULL (a full table). */
void td_shown(struct td_del *d, const char *fmt, ...) AWSPHASE_PRINTF(2, 3);
/* The AWS error codes that mean "already gone" (success) and "not yet"
 * (tried again within the --timeout budget); NULL for fewer. */
void td_gone(struct td_del *d, const char *a, const char *b, const char *c);
void td_busy(struct td_del *d, const char *a, const char *b);

/* Lists the plan on stderr and asks; 1 when the answer is yes. */
int td_confirm(struct teardown *t);
/* Runs the phases in order: after 2 waits until the service is INACTIVE,
 * after 4 until the load balancer is gone (neither under --dry-run); the
 * env keys of what is gone are removed as each phase ends.  0 or an exit
 * code. */
int td_act(struct teardown *t);
/* Removes the env keys of everything teardown (with all, --all) deletes. */
void td_forget(struct teardown *t);
/* Frees what t holds and hands its report to the host. */
void td_release(struct teardown *t);

#endif
