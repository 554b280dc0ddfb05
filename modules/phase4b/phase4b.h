/* Phase 4B (ECS Fargate + ALB): what the actions share. */
#ifndef PHASE4B_H
#define PHASE4B_H

#include "awsphase/module.h"

/* Marks a check name or a table title or header for the awsphase catalogue
 * where it is not a literal argument of h->check() or h->table(): the host
 * translates it in text output (po/xgettext.sh). */
#ifndef N_
#define N_(s) (s)
#endif
/* The same, for a word the engine looks up with a kind as its context
 * (po/xgettext.sh extracts it as msgctxt). */
#define NC_(kind, s) (s)

/* The settings of one run, read from the env file (with the runbook's
 * defaults).  Strings belong to the host's env file. */
struct p4b {
	const struct awsphase_host *h;
	const char *region;
	const char *vpc;
	const char *public_subnet[2];
	const char *private_subnet[2];
	const char *ecr_uri;
	const char *rds_sg, *redis_sg;
	const char *cluster, *service, *family, *container;
	const char *health_path;
	const char *tg_name, *alb_name;
	const char *alb_sg_name, *ecs_sg_name;
	const char *log_group;
	const char *exec_role, *task_role;
	const char *cpu, *memory;
	const char *tier;       /* "public" or "private" */
	int port;
	int desired;
	int desired_set;        /* DESIRED_COUNT is in the env file: it is kept */
	int lb_gone;            /* deploy's wait found the ALB or its listener gone */
	int pin_tag;            /* IMAGE_PINNING=tag: ECR_URI as written, not its digest */
	/* rollout settings: the target group's health check and deregistration
	 * delay, the service's deployment percents (spec.c) */
	int hc_interval, hc_timeout, healthy, unhealthy, dereg_delay;
	int min_healthy, max_percent;
	const char *health_expect; /* HEALTH_EXPECT: a PCRE2 pattern the ALB's answers match */
	int health_expect_count;   /* HEALTH_EXPECT_COUNT: how many in a row */
	int cb_rolled_back;        /* the wait saw ECS's circuit breaker roll the deployment back */
	double lb_active_at;       /* a provisioning ALB: when it should turn active (epoch s) */
};

/* Fills c from the env file; 0, or an exit code after reporting. */
int p4b_config(const struct awsphase_host *h, struct p4b *c);

extern const struct awsphase_envvar p4b_env[];

#define P4B_ACTION(fn)                                                         \
	int fn(const struct awsphase_host *h, int argc, const char **argv);     \
	extern const struct poptOption fn##_options[]

P4B_ACTION(p4b_deploy);
P4B_ACTION(p4b_fix_sg);
int p4b_preflight(const struct awsphase_host *h, int argc, const char **argv);
P4B_ACTION(p4b_validate);
P4B_ACTION(p4b_diagnose);
P4B_ACTION(p4b_status);
P4B_ACTION(p4b_logs);
P4B_ACTION(p4b_metrics);
P4B_ACTION(p4b_rollback);
P4B_ACTION(p4b_teardown);
P4B_ACTION(p4b_run);
P4B_ACTION(p4b_prune);
P4B_ACTION(p4b_history);
struct awsphase_cfn;
int p4b_export_cfn(const struct awsphase_host *h, const struct awsphase_cfn *cfn);

#endif
