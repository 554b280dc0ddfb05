/* awsphase 4b diagnose, shared by its files: the problems found, the state
 * they were found in.  diagnose.c runs the procedure and shows the result;
 * diagnose-net.c judges security groups and the ALB (target-timeout,
 * alb-503); diagnose-tasks.c the service and its tasks (service-state,
 * tasks-starting). */
#ifndef PHASE4B_DIAGNOSE_H
#define PHASE4B_DIAGNOSE_H

#include "observe.h"

#define MAX_LINES 16
#define MAX_PROBLEMS 8

/* The runbook's four problems, in its order. */
enum cls { C_TIMEOUT, C_SERVICE, C_TASKS, C_ALB, C_N };

extern const char *const diag_classes[C_N];

enum fix_kind { FIX_NONE, FIX_SG_RULE, FIX_FORCE_DEPLOY };

struct problem {
	const struct awsphase_host *h;
	enum cls cls;
	char cause[768];
	char *evidence[MAX_LINES];
	size_t nev;
	char *fix[4];
	size_t nfix;
	enum fix_kind auto_fix;
	struct problem *after; /* its fix ends this one too */
	int fixed;
};

/* Why tasks do not start, from their stopped reasons. */
enum why { WHY_NONE, WHY_IAM, WHY_LOG_GROUP, WHY_IMAGE, WHY_NETWORK, WHY_ELB, WHY_EXITED };

struct diag {
	struct obs o;
	const struct awsphase_host *h;
	struct problem p[MAX_PROBLEMS];
	size_t n;
	/* the ALB probe */
	int probed;
	long status;
	char probe_err[256];
	char url[1024];
	char *body;
	/* security groups */
	const char *alb_sg, *ecs_sg;
	int rule_ok;
	struct problem *sg_problem, *service_problem, *tasks_problem;
	/* cause-specific lookups */
	struct awsphase_call *extra[4];
	size_t nextra;
	const char *image;
	enum why why;
	const cJSON *why_task;
};

/* A problem of class cls with its cause; evidence and fix lines follow.
 * Their formats are looked up in the catalogue (po/xgettext.sh knows these
 * three): the finished lines are the user's words, in text and JSON alike. */
struct problem *diag_problem(struct diag *d, enum cls cls, const char *fmt, ...) AWSPHASE_PRINTF(3, 4);
void diag_evidence(struct problem *p, const char *fmt, ...) AWSPHASE_PRINTF(2, 3);
void diag_fix(struct problem *p, const char *fmt, ...) AWSPHASE_PRINTF(2, 3);
/* The fix of what is unknown because a read failed (obs_unknown). */
void diag_fix_unknown(struct problem *p);
/* The service's last max events as evidence. */
void diag_events(struct diag *d, struct problem *p, int max);
/* Counts the targets (healthy, Target.Timeout, all); with p, each is evidence. */
void diag_targets(struct diag *d, struct problem *p, int *healthy, int *timeouts, int *total);

/* The four problems; each adds what it finds to d. */
void diag_sg(struct diag *d);
void diag_service(struct diag *d);
void diag_tasks(struct diag *d);
void diag_alb(struct diag *d);
/* 1 when the ACTIVE service runs fewer tasks than it should. */
int diag_tasks_in_trouble(struct diag *d);
/* Tells from the stopped tasks why they stop (d->why, d->why_task) and
 * queues in d->extra the calls that tell its causes apart. */
void diag_tasks_plan(struct diag *d);

#endif
