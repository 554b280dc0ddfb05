#include <errno.h>
#include <popt.h>
#include <stdlib.h>
#include <string.h>

#include "aws-trace.h"
#include "i18n.h"
#include "log.h"
#include "options.h"
#include "pattern.h"
#include "strbuf.h"

struct options options;

enum { OPT_VERBOSE = 1, OPT_QUIET, OPT_HELP, OPT_STRING, OPT_ACTION_STRING, OPT_ENV };

struct poptOption options_table[] = {
	/* popt translates the descriptions below in this domain */
	{ NULL, 0, POPT_ARG_INTL_DOMAIN, (void *)PACKAGE, 0, NULL, NULL },
	{ "env-file", 'e', POPT_ARG_STRING, &options.env_file, OPT_STRING,
	  N_("the env file to read and update (default ./aws-resources.env)"), "PATH" },
	{ "region", 0, POPT_ARG_STRING, &options.region, OPT_STRING,
	  N_("AWS region (default: AWS_REGION in the env file, then the environment)"), "REGION" },
	{ "profile", 0, POPT_ARG_STRING, &options.profile, OPT_STRING, N_("aws CLI profile to use"), "NAME" },
	{ "endpoint-url", 0, POPT_ARG_STRING, &options.endpoint, OPT_STRING,
	  N_("endpoint passed to every aws call (also AWSPHASE_ENDPOINT_URL, then AWS_ENDPOINT_URL)"), "URL" },
	{ "aws", 0, POPT_ARG_STRING, &options.aws, OPT_STRING, N_("the aws CLI to run (default: aws on PATH)"), "PATH" },
	{ "dry-run", 'n', POPT_ARG_NONE, &options.dry_run, 0,
	  N_("run read-only calls; print mutating calls as 'would run: aws ...' instead"), NULL },
	{ "trace", 'x', POPT_ARG_NONE, &options.trace, 0,
	  N_("print every aws call on stderr as a copy-pasteable command line"), NULL },
	{ "trace-file", 0, POPT_ARG_STRING, &options.trace_file, OPT_STRING,
	  N_("append one JSON object per aws process to PATH"), "PATH" },
	{ "output", 'o', POPT_ARG_STRING, &options.output, OPT_STRING, N_("text (default) or json"), "FORMAT" },
	{ "no-color", 0, POPT_ARG_NONE, &options.no_color, 0, N_("no colors (also NO_COLOR)"), NULL },
	{ "quiet", 'q', POPT_ARG_NONE, NULL, OPT_QUIET, N_("errors and results only"), NULL },
	{ "verbose", 'v', POPT_ARG_NONE, NULL, OPT_VERBOSE, N_("more detail; twice for debug"), NULL },
	{ "timeout", 't', POPT_ARG_STRING, &options.timeout_arg, OPT_STRING,
	  N_("how long the whole run may take (default 900)"), "SECONDS" },
	{ "no-wait-lock", 0, POPT_ARG_NONE, &options.no_wait_lock, 0,
	  N_("when another awsphase run is changing the env file's stack, exit 7 at once "
	     "instead of waiting (up to --timeout) for it"), NULL },
	{ "jobs", 'j', POPT_ARG_STRING, &options.jobs_arg, OPT_STRING,
	  N_("aws calls run at once (default: number of cores)"), "N" },
	{ "aws-mode", 0, POPT_ARG_STRING, &options.aws_mode_arg, OPT_STRING,
	  N_("auto (default; also AWSPHASE_AWS_MODE), exec (an aws process per call) or worker "
	     "(persistent aws CLI workers, ~25 ms a call)"), "MODE" },
	{ "env", 0, POPT_ARG_STRING, &options.env_arg, OPT_ENV,
	  N_("the environment: its env file is ./aws-resources.NAME.env and what awsphase creates is "
	     "tagged awsphase:env=NAME (also AWSPHASE_ENV); more than once: those environments at "
	     "once"), "NAME" },
	{ "version", 'V', POPT_ARG_NONE, &options.version, 0, N_("print the version and exit"), NULL },
	{ "help", 'h', POPT_ARG_NONE, NULL, OPT_HELP, N_("show help (also after PHASE or ACTION)"), NULL },
	POPT_TABLEEND
};

/* popt allocates each string option's value and overwrites the pointer
 * when the option comes again: every value seen is kept here and freed at
 * exit, so "--region a --region b" leaks nothing. */
static char **seen;
static size_t nseen;

static void keep_value(char *v)
{
	size_t i;

	for (i = 0; i < nseen && seen[i] != v; i++)
		;
	if (i == nseen) {
		seen = xrealloc(seen, (nseen + 1) * sizeof(*seen));
		seen[nseen++] = v;
	}
}

static void remember_strings(void)
{
	char *const fields[] = { options.env_file, options.region, options.profile, options.endpoint,
				 options.aws, options.trace_file, options.output, options.timeout_arg,
				 options.jobs_arg, options.aws_mode_arg };
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (fields[i])
			keep_value(fields[i]);
}

void options_free(void)
{
	while (nseen)
		free(seen[--nseen]);
	free(seen);
	seen = NULL;
	free(options.envs);
	options.envs = NULL;
	options.nenvs = 0;
}

/* The action's string options, as popt fills them: the value each had
 * before parsing (a module's default) and every value popt allocated, so
 * they can be freed and the defaults put back once the action is done. */
static struct action_string {
	char **field;
	char *before;
} *action_strings;
static size_t naction_strings;
static struct poptOption *action_table;

static void remember_action_strings(void)
{
	size_t i;

	for (i = 0; i < naction_strings; i++) {
		char *v = *action_strings[i].field;

		if (v && v != action_strings[i].before)
			keep_value(v);
	}
}

int options_next(poptContext pc)
{
	int rc;

	while ((rc = poptGetNextOpt(pc)) > 0) {
		if (rc == OPT_STRING)
			remember_strings();
		else if (rc == OPT_ACTION_STRING)
			remember_action_strings();
		else if (rc == OPT_VERBOSE)
			options.verbose++;
		else if (rc == OPT_QUIET)
			options.quiet = 1;
		else if (rc == OPT_HELP)
			options.help = 1;
		else if (rc == OPT_ENV) {
			keep_value(options.env_arg);
			options.envs = xrealloc(options.envs, (options.nenvs + 1) * sizeof(*options.envs));
			options.envs[options.nenvs++] = options.env_arg;
		}
	}
	return rc;
}

/* The modules' defaults go back before the values popt allocated are freed
 * with the global ones. */
void options_action_done(void)
{
	while (naction_strings) {
		naction_strings--;
		*action_strings[naction_strings].field = action_strings[naction_strings].before;
	}
	free(action_strings);
	action_strings = NULL;
	free(action_table);
	action_table = NULL;
}

/* Our copy of the action's table: string options report back
 * (OPT_ACTION_STRING) so that their values are kept track of. */
struct poptOption *options_for_action(const struct awsphase_action *a)
{
	size_t n = 0, i, k = 0;

	while (a->options && (a->options[n].longName || a->options[n].shortName || a->options[n].argInfo))
		n++;
	action_table = xcalloc(n + 3, sizeof(*action_table));
	/* popt translates the module's option descriptions in our domain too */
	action_table[k].argInfo = POPT_ARG_INTL_DOMAIN;
	action_table[k++].arg = (void *)PACKAGE;
	for (i = 0; i < n; i++) {
		struct poptOption *opt = &action_table[k++];

		*opt = a->options[i];
		if ((opt->argInfo & POPT_ARG_MASK) == POPT_ARG_STRING && opt->arg && opt->val == 0) {
			opt->val = OPT_ACTION_STRING;
			action_strings = xrealloc(action_strings, (naction_strings + 1) * sizeof(*action_strings));
			action_strings[naction_strings].field = opt->arg;
			action_strings[naction_strings++].before = *(char **)opt->arg;
		}
	}
	action_table[k].argInfo = POPT_ARG_INCLUDE_TABLE;
	action_table[k].arg = options_table;
	action_table[k].descrip = _("Global options:");
	return action_table;
}

static int parse_number(const char *text, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(text, &end);
	return errno || end == text || *end || *out != *out ? -1 : 0;
}

static int is_http_url(const char *s)
{
	return pattern_full_match("https?://[^\\s]+", s) == 1;
}

char *options_env_path(const char *name)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "./aws-resources.%s.env", name);
	return strbuf_detach(&sb);
}

/* A name that is safe in a file name and a tag value, and short. */
static int bad_env_name(const char *what, const char *name)
{
	if (pattern_full_match("[a-z0-9][a-z0-9-]{0,31}", name) == 1)
		return 0;
	return error(_("%s%s: not an environment name; give 1 to 32 lower-case letters, digits or "
		       "'-', starting with a letter or digit (e.g. staging)"), what, name);
}

/* --env (each once; not with --env-file), else AWSPHASE_ENV unless
 * --env-file names the file; one environment gives env and env_file, several
 * are run each in a process of its own (envs.c), which sets its own. */
static int check_envs(void)
{
	char *path = options.nenvs == 1 ? options_env_path(options.envs[0]) : NULL;
	const char *from_env = getenv("AWSPHASE_ENV");
	int i, j;

	if (path)
		keep_value(path); /* freed with the options */
	for (i = 0; i < options.nenvs; i++) {
		if (bad_env_name("--env ", options.envs[i]) < 0)
			return -1;
		for (j = 0; j < i; j++)
			if (strcmp(options.envs[i], options.envs[j]) == 0)
				return error(_("--env %s: given twice; name each environment once"),
					     options.envs[i]);
	}
	/* the env file set here, in an earlier check, is not the user's --env-file */
	if (options.nenvs && options.env_file && (!path || strcmp(options.env_file, path) != 0))
		return error(_("--env %s and --env-file %s: both say which env file to use; give one "
			       "of them"), options.envs[0], options.env_file);
	if (options.nenvs == 1)
		options.env = options.envs[0];
	else if (!options.nenvs && !options.env_file && from_env && *from_env) {
		if (bad_env_name("AWSPHASE_ENV=", from_env) < 0)
			return -1;
		options.env = from_env;
	}
	aws_trace_set_env(options.env);
	if (options.env && !options.env_file) {
		if (!path)
			keep_value(path = options_env_path(options.env));
		options.env_file = path;
	}
	return 0;
}

int options_check(void)
{
	const char *mode_env = getenv("AWSPHASE_AWS_MODE");

	if (options.output && strcmp(options.output, "text") != 0 && strcmp(options.output, "json") != 0)
		return error(_("--output %s: unknown format; use text or json"), options.output);
	if (options.timeout_arg && (parse_number(options.timeout_arg, &options.timeout) < 0 ||
				    options.timeout < 1 || options.timeout > 86400))
		return error(_("--timeout %s: not a number of seconds or out of range; give 1 to 86400"),
			     options.timeout_arg);
	if (options.jobs_arg) {
		double jobs;

		if (parse_number(options.jobs_arg, &jobs) < 0 || jobs != (int)jobs || jobs < 1 || jobs > 64)
			return error(_("--jobs %s: not a whole number or out of range; give 1 to 64"),
				     options.jobs_arg);
		options.jobs = (int)jobs;
	}
	if (options.aws_mode_arg ? worker_parse_mode(options.aws_mode_arg, &options.aws_mode) < 0 :
	    mode_env && *mode_env && worker_parse_mode(mode_env, &options.aws_mode) < 0)
		return error(_("%s%s: unknown aws mode; use auto, exec or worker"),
			     options.aws_mode_arg ? "--aws-mode " : "AWSPHASE_AWS_MODE=",
			     options.aws_mode_arg ? options.aws_mode_arg : mode_env);
	if (options.endpoint && !is_http_url(options.endpoint))
		return error(_("--endpoint-url %s: not an http(s) URL; give e.g. http://127.0.0.1:5000"),
			     options.endpoint);
	if (options.region &&
	    pattern_full_match("[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]", options.region) != 1)
		return error(_("--region %s: not a region name; give e.g. us-east-2"), options.region);
	return check_envs();
}

const char *options_region(const struct envfile *ef)
{
	const char *r = options.region;

	if (!r && ef)
		r = envfile_get(ef, "AWS_REGION");
	if (!r || !*r)
		r = getenv("AWS_REGION");
	if (!r || !*r)
		r = getenv("AWS_DEFAULT_REGION");
	return r && *r ? r : NULL;
}

int options_endpoint(const char **url)
{
	const char *e = options.endpoint;

	if (!e || !*e)
		e = getenv("AWSPHASE_ENDPOINT_URL");
	if (!e || !*e)
		e = getenv("AWS_ENDPOINT_URL");
	*url = e && *e ? e : NULL;
	if (*url && !is_http_url(*url))
		return error(_("endpoint %s: not an http(s) URL; fix AWSPHASE_ENDPOINT_URL or --endpoint-url"),
			     *url);
	return 0;
}
