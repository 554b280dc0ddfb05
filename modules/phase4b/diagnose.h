/* awsphase 4b diagnose, shared by its files: the state the problems were
 * found in; the problems are the host's findings (h->findings).
 * diagnose.c runs the procedure and applies the fixes; diagnose-net.c
 * judges security groups and the ALB (target-timeout, alb-503);
 * diagnose-tasks.c the service and its tasks (service-state,
 * tasks-starting). */
#ifndef PHASE4B_DIAGNOSE_H
#define PHASE4B_DIAGNOSE_H

#include "observe.h"

/* The runbook's four problems, in its order: the classes of the host's
 * findings (h->findings). */
enum cls { C_TIMEOUT, C_SERVICE, C_TASKS, C_ALB, C_N };
extern const char *const diag_classes[C_N + 1];

/* The automatic fixes of --fix (a finding's autofix). */
enum fix_kind { FIX_NONE, FIX_SG_RULE, FIX_FORCE_DEPLOY };

/* Why tasks do not start, from their stopped reasons. */
enum why { WHY_NONE, WHY_IAM, WHY_LOG_GROUP, WHY_IMAGE, WHY_NETWORK, WHY_ELB, WHY_EXITED };

struct diag {
	struct obs o;
	const struct awsphase_host *h;
	const struct awsphase_findings *f;
	struct awsphase_diagnosis *found;
	/* the ALB probe */
	int probed;
	long status;
	char probe_err[256];
	char url[1024];
	char *body;
	/* security groups */
	const char *alb_sg, *ecs_sg;
	int rule_ok;
	struct awsphase_finding *sg_problem, *service_problem, *tasks_problem;
	/* cause-specific lookups */
	struct awsphase_call *extra[4];
	size_t nextra;
	const char *image;
	enum why why;
	const cJSON *why_task;
};

/* The fix of what is unknown because a read failed (obs_unknown); p. */
struct awsphase_finding *diag_fix_unknown(struct diag *d, struct awsphase_finding *p);
/* The service's last max events as evidence. */
void diag_events(struct diag *d, struct awsphase_finding *p, int max);
/* Counts the targets (healthy, Target.Timeout, all); with p, each is evidence. */
void diag_targets(struct diag *d, struct awsphase_finding *p, int *healthy, int *timeouts, int *total);

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
