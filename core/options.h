/* The global options, as popt fills them in and awsphase checks them: the
 * values given, the region and endpoint they come to, and the bookkeeping
 * that frees every string popt allocates, for the global options and for an
 * action's own. */
#ifndef AWSPHASE_OPTIONS_H
#define AWSPHASE_OPTIONS_H

#include <popt.h>
#include "awsphase/module.h"
#include "envfile.h"
#include "worker.h"

struct options {
	char *env_file, *region, *profile, *endpoint, *aws, *trace_file, *output;
	int dry_run, trace, no_color, quiet, verbose, version, help, no_wait_lock;
	char *timeout_arg, *jobs_arg, *aws_mode_arg;
	double timeout;            /* --timeout once options_check passed; 0: not given */
	int jobs;                  /* --jobs likewise; 0: not given */
	enum worker_mode aws_mode; /* --aws-mode, else AWSPHASE_AWS_MODE, else auto */
	char *env_arg;             /* the last --env popt filled in */
	char **envs;               /* every --env NAME given, in order */
	int nenvs;
	const char *env;           /* the environment this process works on (--env, else
				      AWSPHASE_ENV); NULL: none named, nothing tagged */
};

/* What the command line said, in every popt context parsed so far. */
extern struct options options;
/* The global options' popt table; its descriptions are in our domain. */
extern struct poptOption options_table[];

/* Runs popt over pc to the end: counts -v, notes -q and -h, and keeps every
 * string value popt allocates for options_free.  Returns popt's last code:
 * -1 at the end, < -1 on a bad option (poptBadOption says which). */
int options_next(poptContext pc);
/* A popt table for action a: its own options, then the global ones (an
 * included table, "Global options:"), so that they may follow the action.
 * Its string options are kept track of as the global ones are.  Valid until
 * options_action_done. */
struct poptOption *options_for_action(const struct awsphase_action *a);
/* Puts back the defaults of the action's string options (the module's) and
 * frees the table. */
void options_action_done(void);
/* Frees every string value popt allocated. */
void options_free(void);

/* Checks --output, --timeout, --jobs, --aws-mode (else AWSPHASE_AWS_MODE),
 * --endpoint-url, --region and --env (else AWSPHASE_ENV), filling in
 * timeout, jobs, aws_mode, and for one environment env and env_file.
 * Returns 0, or -1 after reporting the first that is wrong and what to give
 * instead. */
int options_check(void);
/* --region, else AWS_REGION in ef (which may be NULL), else AWS_REGION,
 * then AWS_DEFAULT_REGION in the environment; NULL when none is set. */
const char *options_region(const struct envfile *ef);
/* Sets *url to --endpoint-url, else AWSPHASE_ENDPOINT_URL, else
 * AWS_ENDPOINT_URL; NULL when none is set.  Returns 0, or -1 after
 * reporting one that is not an http(s) URL (options_check has said so for
 * --endpoint-url already). */
int options_endpoint(const char **url);

/* The env file of environment name: ./aws-resources.NAME.env (malloc'd). */
char *options_env_path(const char *name);

#endif
