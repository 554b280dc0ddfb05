/* awsphase: deploy and operate phases of an AWS stack through the aws CLI.
 *
 *   awsphase [global options] PHASE ACTION [action options]
 *   awsphase list | help [PHASE [ACTION]] | --version
 */
#include <errno.h>
#include <fcntl.h>
#include <popt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "aws.h"
#include "envfile.h"
#include "host.h"
#include "http.h"
#include "i18n.h"
#include "log.h"
#include "module.h"
#include "pattern.h"
#include "redact.h"
#include "report.h"
#include "run.h"
#include "strbuf.h"
#include "worker.h"

#define DEFAULT_ENV_FILE "./aws-resources.env"

static struct {
	char *env_file, *region, *profile, *endpoint, *aws, *trace_file, *output;
	int dry_run, trace, no_color, quiet, verbose, version, help;
	char *timeout_arg, *jobs_arg, *aws_mode_arg;
	double timeout;
	int jobs;
	enum worker_mode aws_mode;
} o;

enum { OPT_VERBOSE = 1, OPT_QUIET, OPT_HELP, OPT_STRING, OPT_ACTION_STRING };

static struct poptOption global_options[] = {
	/* popt translates the descriptions below in this domain */
	{ NULL, 0, POPT_ARG_INTL_DOMAIN, (void *)PACKAGE, 0, NULL, NULL },
	{ "env-file", 'e', POPT_ARG_STRING, &o.env_file, OPT_STRING,
	  N_("the env file to read and update (default ./aws-resources.env)"), "PATH" },
	{ "region", 0, POPT_ARG_STRING, &o.region, OPT_STRING,
	  N_("AWS region (default: AWS_REGION in the env file, then the environment)"), "REGION" },
	{ "profile", 0, POPT_ARG_STRING, &o.profile, OPT_STRING, N_("aws CLI profile to use"), "NAME" },
	{ "endpoint-url", 0, POPT_ARG_STRING, &o.endpoint, OPT_STRING,
	  N_("endpoint passed to every aws call (also AWSPHASE_ENDPOINT_URL, then AWS_ENDPOINT_URL)"), "URL" },
	{ "aws", 0, POPT_ARG_STRING, &o.aws, OPT_STRING, N_("the aws CLI to run (default: aws on PATH)"), "PATH" },
	{ "dry-run", 'n', POPT_ARG_NONE, &o.dry_run, 0,
	  N_("run read-only calls; print mutating calls as 'would run: aws ...' instead"), NULL },
	{ "trace", 'x', POPT_ARG_NONE, &o.trace, 0,
	  N_("print every aws call on stderr as a copy-pasteable command line"), NULL },
	{ "trace-file", 0, POPT_ARG_STRING, &o.trace_file, OPT_STRING,
	  N_("append one JSON object per aws process to PATH"), "PATH" },
	{ "output", 'o', POPT_ARG_STRING, &o.output, OPT_STRING, N_("text (default) or json"), "FORMAT" },
	{ "no-color", 0, POPT_ARG_NONE, &o.no_color, 0, N_("no colors (also NO_COLOR)"), NULL },
	{ "quiet", 'q', POPT_ARG_NONE, NULL, OPT_QUIET, N_("errors and results only"), NULL },
	{ "verbose", 'v', POPT_ARG_NONE, NULL, OPT_VERBOSE, N_("more detail; twice for debug"), NULL },
	{ "timeout", 't', POPT_ARG_STRING, &o.timeout_arg, OPT_STRING,
	  N_("give up waiting after SECONDS (default 900)"), "SECONDS" },
	{ "jobs", 'j', POPT_ARG_STRING, &o.jobs_arg, OPT_STRING,
	  N_("aws calls run at once (default: number of cores)"), "N" },
	{ "aws-mode", 0, POPT_ARG_STRING, &o.aws_mode_arg, OPT_STRING,
	  N_("auto (default; also AWSPHASE_AWS_MODE), exec (an aws process per call) or worker "
	     "(persistent aws CLI workers, ~25 ms a call)"), "MODE" },
	{ "version", 'V', POPT_ARG_NONE, &o.version, 0, N_("print the version and exit"), NULL },
	{ "help", 'h', POPT_ARG_NONE, NULL, OPT_HELP, N_("show help (also after PHASE or ACTION)"), NULL },
	POPT_TABLEEND
};

static const char *const exit_codes_help = N_(
	"Exit codes:\n"
	"  0  success\n"
	"  1  checks failed or the deployment did not converge\n"
	"  2  usage or bad input (arguments, env file)\n"
	"  3  AWS refused (API error, permissions, credentials)\n"
	"  4  timed out (wait deadline or retry budget)\n"
	"  5  aws CLI missing or unusable\n"
	"  130/143  interrupted by SIGINT/SIGTERM\n");

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
	run_interrupt();
}

/* A module's title, summaries, usage, help and env key help in the user's
 * language: modules link no gettext, so the core looks them up where it
 * prints them (in-tree modules mark them N_(); others pass through).  Under
 * list --output json they stay as written: completion and scripts read them. */
static const char *words(const char *s)
{
	return s ? i18n_lookup(s) : "";
}

static int bad_usage(const char *fmt, ...) AWSPHASE_PRINTF(1, 2);
static int bad_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(AWSPHASE_LOG_ERROR, fmt, ap);
	va_end(ap);
	return AWSPHASE_EXIT_USAGE;
}

/* Runs popt over pc, counting -v and noting -q and -h; returns popt's last
 * code (-1 at the end, < -1 on a bad option). */
/* popt allocates each string option's value and overwrites the pointer
 * when the option comes again: every value seen is kept here and freed at
 * exit, so "--region a --region b" leaks nothing. */
static char **seen;
static size_t nseen;

static void remember_strings(void)
{
	char *const fields[] = { o.env_file, o.region, o.profile, o.endpoint, o.aws, o.trace_file,
				 o.output, o.timeout_arg, o.jobs_arg, o.aws_mode_arg };
	size_t i, j;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (!fields[i])
			continue;
		for (j = 0; j < nseen && seen[j] != fields[i]; j++)
			;
		if (j == nseen) {
			seen = xrealloc(seen, (nseen + 1) * sizeof(*seen));
			seen[nseen++] = fields[i];
		}
	}
}

static void free_option_strings(void)
{
	while (nseen)
		free(seen[--nseen]);
	free(seen);
	seen = NULL;
}

static void remember_action_strings(void);

static int next_options(poptContext pc)
{
	int rc;

	while ((rc = poptGetNextOpt(pc)) > 0) {
		if (rc == OPT_STRING)
			remember_strings();
		else if (rc == OPT_ACTION_STRING)
			remember_action_strings();
		else if (rc == OPT_VERBOSE)
			o.verbose++;
		else if (rc == OPT_QUIET)
			o.quiet = 1;
		else if (rc == OPT_HELP)
			o.help = 1;
	}
	return rc;
}

/* popt's option help without its own usage line (the first; "Usage:" may be
 * translated), which we write. */
static void print_options(poptContext pc)
{
	char *text = NULL, *body;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return;
	poptPrintHelp(pc, f, 0);
	fclose(f);
	body = strchr(text, '\n') ? strchr(text, '\n') + 1 : text;
	fputs(body, stdout);
	free(text);
}

static void print_global_help(void)
{
	poptContext pc = poptGetContext("awsphase", 0, NULL, global_options, 0);
	size_t i;

	fputs(_("Usage: awsphase [OPTION...] PHASE ACTION [ACTION OPTION...]\n"
		"       awsphase list [--output json] | help [PHASE [ACTION]] | --version\n\n"), stdout);
	fputs(_("Deploys and operates the phases of a stack on AWS through the installed aws CLI,\n"
		"as the phase runbooks do, idempotently: a second run changes nothing.\n"
		"Run it in the folder holding aws-resources.env.\n\n"), stdout);
	print_options(pc);
	poptFreeContext(pc);
	printf("\n%s\n", _("Phases:"));
	for (i = 0; i < module_count(); i++) {
		const struct loaded_module *lm = module_at(i);

		if (lm->m.aliases && *lm->m.aliases)
			printf(_("  %-8s %s (alias: %s)\n"), lm->m.name, words(lm->m.title), lm->m.aliases);
		else
			printf("  %-8s %s\n", lm->m.name, words(lm->m.title));
	}
	if (!module_count())
		printf(_("  (none found in %s; set AWSPHASE_MODULE_PATH)\n"), module_search_path());
	fputs(_("\nExamples:\n"
		"  awsphase 4b deploy               deploy phase 4B (aws-phase4b-ecs-alb.sh)\n"
		"  awsphase --dry-run 4b deploy     show what deploy would change\n"
		"  awsphase 4b validate             the runbook's checks\n"
		"  awsphase --trace 4b status       show the aws commands as they run\n\n"
		"Environment: AWSPHASE_MODULE_PATH (extra module directories), AWSPHASE_ENDPOINT_URL,\n"
		"NO_COLOR, and everything the aws CLI reads (AWS_PROFILE, AWS_REGION, ...).\n"
		"See man awsphase.\n\n"), stdout);
	fputs(_(exit_codes_help), stdout);
}

static void print_phase_help(const struct loaded_module *lm)
{
	const struct awsphase_action *a;
	const struct awsphase_envvar *v;

	printf(_("Usage: awsphase [OPTION...] %s ACTION [ACTION OPTION...]\n"), lm->m.name);
	printf("\n%s\n\n%s\n", lm->m.title ? words(lm->m.title) : lm->m.name, _("Actions:"));
	for (a = lm->m.actions; a->name; a++)
		printf("  %-10s %s\n", a->name, words(a->summary));
	if (lm->m.env) {
		printf("\n%s\n", _("Keys of aws-resources.env (* required, > written back):"));
		for (v = lm->m.env; v->key; v++) {
			printf("  %c %-18s %s",
			       v->flags & AWSPHASE_ENV_REQUIRED ? '*' : v->flags & AWSPHASE_ENV_WRITTEN ? '>' : ' ',
			       v->key, words(v->help));
			if (v->def)
				printf(_(" (default %s)"), v->def);
			putchar('\n');
		}
	}
	printf(_("\nawsphase %s ACTION --help shows an action's options.\n"), lm->m.name);
}

static void print_action_help(const struct loaded_module *lm, const struct awsphase_action *a,
			      poptContext pc)
{
	printf("%s %s: %s\n\n", lm->m.name, a->name, words(a->summary));
	printf(_("Usage: awsphase [OPTION...] %s %s %s\n"), lm->m.name, a->name, words(a->usage));
	if (a->help)
		printf("\n%s\n", words(a->help));
	printf("\n");
	print_options(pc);
	printf("\n%s", _(exit_codes_help));
}

/* A popt table as JSON: [{"long", "short", "arg" (null: takes none), "help"}],
 * included tables flattened. */
static void add_options(cJSON *arr, const struct poptOption *t)
{
	for (; t && (t->longName || t->shortName || t->arg); t++) {
		unsigned type = t->argInfo & POPT_ARG_MASK;
		char shortname[2] = { t->shortName, '\0' };
		cJSON *opt;

		if (type == POPT_ARG_INCLUDE_TABLE) {
			add_options(arr, t->arg);
			continue;
		}
		if ((!t->longName && !t->shortName) || (t->argInfo & POPT_ARGFLAG_DOC_HIDDEN))
			continue;
		opt = cJSON_CreateObject();
		cJSON_AddStringToObject(opt, "long", t->longName ? t->longName : "");
		cJSON_AddStringToObject(opt, "short", shortname);
		if (type == POPT_ARG_NONE || type == POPT_ARG_VAL)
			cJSON_AddNullToObject(opt, "arg");
		else
			cJSON_AddStringToObject(opt, "arg", t->argDescrip ? t->argDescrip : "ARG");
		cJSON_AddStringToObject(opt, "help", t->descrip ? _(t->descrip) : "");
		cJSON_AddItemToArray(arr, opt);
	}
}

static int list_modules(void)
{
	size_t i;

	if (o.output && strcmp(o.output, "json") == 0) {
		cJSON *doc = cJSON_CreateObject(), *arr;
		char *text;

		add_options(cJSON_AddArrayToObject(doc, "options"), global_options);
		arr = cJSON_AddArrayToObject(doc, "modules");

		for (i = 0; i < module_count(); i++) {
			const struct loaded_module *lm = module_at(i);
			const struct awsphase_action *a;
			cJSON *m = cJSON_CreateObject(), *acts;

			cJSON_AddStringToObject(m, "name", lm->m.name);
			cJSON_AddStringToObject(m, "aliases", lm->m.aliases ? lm->m.aliases : "");
			cJSON_AddStringToObject(m, "title", lm->m.title ? lm->m.title : "");
			cJSON_AddStringToObject(m, "path", lm->path);
			acts = cJSON_AddArrayToObject(m, "actions");
			for (a = lm->m.actions; a->name; a++) {
				cJSON *ac = cJSON_CreateObject();

				cJSON_AddStringToObject(ac, "name", a->name);
				cJSON_AddStringToObject(ac, "summary", a->summary ? a->summary : "");
				cJSON_AddStringToObject(ac, "usage", a->usage ? a->usage : "");
				add_options(cJSON_AddArrayToObject(ac, "options"), a->options);
				cJSON_AddItemToArray(acts, ac);
			}
			cJSON_AddItemToArray(arr, m);
		}
		text = cJSON_Print(doc);
		puts(text);
		free(text);
		cJSON_Delete(doc);
		return 0;
	}
	if (!module_count()) {
		printf(_("No phase modules found in %s; set AWSPHASE_MODULE_PATH to a folder of modules.\n"),
		       module_search_path());
		return 0;
	}
	for (i = 0; i < module_count(); i++) {
		const struct loaded_module *lm = module_at(i);
		const struct awsphase_action *a;

		printf("%s%s%s%s  %s\n", lm->m.name, lm->m.aliases && *lm->m.aliases ? " (" : "",
		       lm->m.aliases ? lm->m.aliases : "", lm->m.aliases && *lm->m.aliases ? ")" : "",
		       words(lm->m.title));
		if (log_verbosity() > 0)
			printf(_("  from %s\n"), lm->path);
		for (a = lm->m.actions; a->name; a++)
			printf("  %-10s %s\n", a->name, words(a->summary));
	}
	return 0;
}

/* Parses the action's own options (and global ones given after it).
 * Returns -1 to go on (argv_out set), else an exit code. */
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
	size_t i, j;

	for (i = 0; i < naction_strings; i++) {
		char *v = *action_strings[i].field;

		if (!v || v == action_strings[i].before)
			continue;
		for (j = 0; j < nseen && seen[j] != v; j++)
			;
		if (j == nseen) {
			seen = xrealloc(seen, (nseen + 1) * sizeof(*seen));
			seen[nseen++] = v;
		}
	}
}

/* Puts the modules' defaults back before the values popt allocated are
 * freed with the global ones. */
static void restore_action_strings(void)
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

/* Our copy of the action's table, with the global options after it; string
 * options report back (OPT_ACTION_STRING) so their values are tracked. */
static struct poptOption *action_options(const struct awsphase_action *a)
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
	action_table[k].arg = global_options;
	action_table[k].descrip = _("Global options:");
	return action_table;
}

static int parse_action(const struct loaded_module *lm, const struct awsphase_action *a,
			int argc, const char **argv, poptContext *pc_out, int *argc_out,
			const char ***argv_out)
{
	struct poptOption *heap = action_options(a);
	poptContext pc;
	const char **rest;
	int rc, n = 0;

	pc = poptGetContext(a->name, argc, argv, heap, 0);
	*pc_out = pc;
	rc = next_options(pc);
	if (rc < -1)
		return bad_usage(_("%s %s: %s: %s; see awsphase %s %s --help"), lm->m.name, a->name,
				 poptBadOption(pc, 0), poptStrerror(rc), lm->m.name, a->name);
	if (o.help) {
		print_action_help(lm, a, pc);
		return 0;
	}
	rest = poptGetArgs(pc);
	while (rest && rest[n])
		n++;
	*argc_out = n + 1;
	*argv_out = xcalloc((size_t)n + 2, sizeof(char *));
	(*argv_out)[0] = a->name;
	if (n)
		memcpy(*argv_out + 1, rest, (size_t)n * sizeof(char *));
	return -1;
}

static int parse_number(const char *text, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(text, &end);
	return errno || end == text || *end || *out != *out ? -1 : 0;
}

static int check_settings(void)
{
	if (o.output && strcmp(o.output, "text") != 0 && strcmp(o.output, "json") != 0)
		return bad_usage(_("--output %s: unknown format; use text or json"), o.output);
	if (o.timeout_arg && (parse_number(o.timeout_arg, &o.timeout) < 0 || o.timeout < 1 || o.timeout > 86400))
		return bad_usage(_("--timeout %s: not a number of seconds or out of range; give 1 to 86400"),
				 o.timeout_arg);
	if (o.jobs_arg) {
		double jobs;

		if (parse_number(o.jobs_arg, &jobs) < 0 || jobs != (int)jobs || jobs < 1 || jobs > 64)
			return bad_usage(_("--jobs %s: not a whole number or out of range; give 1 to 64"),
					 o.jobs_arg);
		o.jobs = (int)jobs;
	}
	if (o.aws_mode_arg ? worker_parse_mode(o.aws_mode_arg, &o.aws_mode) < 0 :
	    getenv("AWSPHASE_AWS_MODE") && *getenv("AWSPHASE_AWS_MODE") &&
	    worker_parse_mode(getenv("AWSPHASE_AWS_MODE"), &o.aws_mode) < 0)
		return bad_usage(_("%s%s: unknown aws mode; use auto, exec or worker"),
				 o.aws_mode_arg ? "--aws-mode " : "AWSPHASE_AWS_MODE=",
				 o.aws_mode_arg ? o.aws_mode_arg : getenv("AWSPHASE_AWS_MODE"));
	if (o.endpoint && pattern_full_match("https?://[^\\s]+", o.endpoint) != 1)
		return bad_usage(_("--endpoint-url %s: not an http(s) URL; give e.g. http://127.0.0.1:5000"),
				 o.endpoint);
	if (o.region && pattern_full_match("[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]", o.region) != 1)
		return bad_usage(_("--region %s: not a region name; give e.g. us-east-2"), o.region);
	return 0;
}

static const char *pick_region(struct envfile *ef)
{
	const char *r = o.region;

	if (!r && ef)
		r = envfile_get(ef, "AWS_REGION");
	if (!r || !*r)
		r = getenv("AWS_REGION");
	if (!r || !*r)
		r = getenv("AWS_DEFAULT_REGION");
	return r && *r ? r : NULL;
}

static const char *pick_endpoint(void)
{
	const char *e = o.endpoint;

	if (!e || !*e)
		e = getenv("AWSPHASE_ENDPOINT_URL");
	if (!e || !*e)
		e = getenv("AWS_ENDPOINT_URL");
	return e && *e ? e : NULL;
}

/* Peak RSS of this program: VmHWM belongs to the running image, while
 * ru_maxrss keeps the high-water mark of whatever forked us (a 20 MiB
 * Python that spawns awsphase makes awsphase "use" 20 MiB). */
static long peak_rss_kib(const struct rusage *self)
{
	char line[256];
	long kib = self->ru_maxrss;
	FILE *f = fopen("/proc/self/status", "re");

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "VmHWM:", 6) == 0)
			kib = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kib;
}

/* -vv: what this run cost awsphase itself, apart from its aws children
 * (the benchmarks read this line). */
static void log_stats(void)
{
	struct aws_stats st;
	struct worker_stats ws;
	struct rusage self;

	if (log_verbosity() < 2 || getrusage(RUSAGE_SELF, &self) < 0)
		return;
	aws_get_stats(&st);
	worker_get_stats(&ws);
	log_msg(AWSPHASE_LOG_DEBUG, "stats: aws_calls=%u processes=%u mutating=%u retries=%u "
		"self_cpu_ms=%.1f peak_rss_kib=%ld aws_mode=%s workers=%u worker_calls=%u "
		"worker_fallbacks=%u worker_cpu_ms=%.0f worker_peak_rss_kib=%ld", st.calls,
		st.processes, st.mutating, st.retries,
		(double)(self.ru_utime.tv_sec + self.ru_stime.tv_sec) * 1000.0 +
			(double)(self.ru_utime.tv_usec + self.ru_stime.tv_usec) / 1000.0,
		peak_rss_kib(&self), ws.active ? "worker" : "exec", ws.started, ws.calls, ws.fallbacks,
		ws.cpu_ms, ws.peak_rss_kib);
}

static int run_action(const struct loaded_module *lm, const struct awsphase_action *a,
		      int argc, const char **argv)
{
	struct awsphase_settings settings = { 0 };
	struct aws_options ao = { 0 };
	struct strbuf command = STRBUF_INIT;
	const struct awsphase_host *host;
	struct envfile *ef;
	FILE *trace_file = NULL;
	const char *endpoint = pick_endpoint();
	char *region;
	int rc;

	if (endpoint && pattern_full_match("https?://[^\\s]+", endpoint) != 1)
		return bad_usage(_("endpoint %s: not an http(s) URL; fix AWSPHASE_ENDPOINT_URL or --endpoint-url"),
				 endpoint);
	settings.env_file = o.env_file ? o.env_file : DEFAULT_ENV_FILE;
	ef = envfile_load(settings.env_file, 0);
	if (!ef)
		return AWSPHASE_EXIT_USAGE;
	if (lm->m.env && envfile_validate(ef, lm->m.env) > 0) {
		/* each problem was reported on its own line, with its fix */
		envfile_free(ef);
		return AWSPHASE_EXIT_USAGE;
	}
	/* the env file's strings do not outlive an env_set */
	region = pick_region(ef) ? xstrdup(pick_region(ef)) : NULL;
	settings.region = region;
	if (!settings.region) {
		envfile_free(ef);
		return bad_usage(_("no AWS region: set AWS_REGION in %s or pass --region"), settings.env_file);
	}
	if (o.trace_file) {
		int fd = open(o.trace_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

		if (fd < 0 || !(trace_file = fdopen(fd, "a"))) {
			int e = errno;

			if (fd >= 0)
				close(fd);
			envfile_free(ef);
			free(region);
			return bad_usage(_("--trace-file %s: %s; give a writable path"), o.trace_file, strerror(e));
		}
	}
	settings.dry_run = o.dry_run;
	settings.verbosity = o.quiet ? -1 : o.verbose;
	settings.json_output = o.output && strcmp(o.output, "json") == 0;
	settings.tty = isatty(STDOUT_FILENO);
	settings.color = settings.tty && !o.no_color && !getenv("NO_COLOR");
	settings.timeout_s = o.timeout > 0 ? o.timeout : 900;
	settings.jobs = o.jobs > 0 ? o.jobs : (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (settings.jobs < 1)
		settings.jobs = 1;

	ao.aws_path = o.aws ? o.aws : "aws";
	ao.region = settings.region;
	ao.profile = o.profile;
	ao.endpoint_url = endpoint;
	ao.dry_run = o.dry_run;
	ao.trace = o.trace ? stderr : NULL;
	ao.trace_file = trace_file;
	/* under --output json stdout holds only the document */
	ao.dry_run_out = settings.json_output ? stderr : stdout;
	ao.retry_budget_s = settings.timeout_s < 120 ? settings.timeout_s : 120;
	ao.call_timeout_ms = settings.timeout_s < 120 ? (int)(settings.timeout_s * 1000) : 120000;
	ao.jobs = settings.jobs;
	ao.mode = o.aws_mode;
	aws_configure(&ao);

	strbuf_addf(&command, "%s %s", lm->m.name, a->name);
	report_begin(strbuf_str(&command), settings.json_output, settings.tty, settings.color,
		     settings.verbosity < 0);
	host = host_init(&settings, ef, lm->m.env);
	rc = lm->m.init ? lm->m.init(host) : 0;
	if (rc == 0) {
		rc = a->exec(host, argc, argv);
		if (lm->m.fini)
			lm->m.fini();
	}
	/* An action that ends on a signal exits 130/143; one that takes it as
	 * its way to stop (logs --follow) and returns 0 keeps its 0. */
	if (got_signal && rc != AWSPHASE_EXIT_OK)
		rc = 128 + got_signal;
	log_stats();
	if (report_finish(rc) < 0 && rc == 0)
		rc = AWSPHASE_EXIT_FAILED;
	aws_shutdown();
	if (trace_file)
		fclose(trace_file);
	host_release();
	envfile_free(ef);
	free(region);
	strbuf_release(&command);
	return rc;
}

/* awsphase list [OPTION...]: global options may follow, as after an action. */
static int parse_list(int argc, const char **argv)
{
	poptContext pc = poptGetContext("list", argc, argv, global_options, 0);
	const char *extra;
	int rc = next_options(pc);

	if (rc < -1)
		rc = bad_usage(_("list: %s: %s; see awsphase --help"), poptBadOption(pc, 0),
			       poptStrerror(rc));
	else if ((extra = poptGetArg(pc)))
		rc = bad_usage(_("list: %s: unexpected argument; list takes options only"), extra);
	else if (o.help)
		rc = (print_global_help(), 0);
	else if ((rc = check_settings()) == 0) {
		log_set_verbosity(o.quiet ? -1 : o.verbose);
		rc = list_modules();
	}
	poptFreeContext(pc);
	return rc;
}

static int dispatch(int argc, const char **rest)
{
	const struct loaded_module *lm;
	const struct awsphase_action *a;
	const char **aargv = NULL;
	poptContext pc = NULL;
	int aargc = 0, rc;

	if (argc == 0 || strcmp(rest[0], "help") == 0) {
		if (argc <= 1) {
			print_global_help();
			return argc == 0 && !o.help ? AWSPHASE_EXIT_USAGE : 0;
		}
		o.help = 1;
		return dispatch(argc - 1, rest + 1);
	}
	if (strcmp(rest[0], "list") == 0)
		return parse_list(argc, rest);
	lm = module_find(rest[0]);
	if (!lm)
		return bad_usage(_("%s: unknown phase; 'awsphase list' shows the phases (modules searched in %s)"),
				 rest[0], module_search_path());
	if (argc == 1 || strcmp(rest[1], "--help") == 0 || strcmp(rest[1], "-h") == 0) {
		print_phase_help(lm);
		return o.help || argc > 1 ? 0 : AWSPHASE_EXIT_USAGE;
	}
	a = module_find_action(lm, rest[1]);
	if (!a)
		return AWSPHASE_EXIT_USAGE;
	rc = parse_action(lm, a, argc - 1, rest + 1, &pc, &aargc, &aargv);
	if (rc < 0) {
		rc = check_settings();
		if (rc == 0) {
			log_set_verbosity(o.quiet ? -1 : o.verbose);
			rc = run_action(lm, a, aargc, aargv);
		}
	}
	free(aargv);
	poptFreeContext(pc);
	restore_action_strings();
	return rc;
}

int main(int argc, const char **argv)
{
	struct sigaction sa;
	poptContext pc;
	const char **rest;
	int rc, n = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	i18n_init();

	pc = poptGetContext("awsphase", argc, argv, global_options, POPT_CONTEXT_POSIXMEHARDER);
	rc = next_options(pc);
	if (rc < -1) {
		rc = bad_usage(_("%s: %s; see awsphase --help"), poptBadOption(pc, 0), poptStrerror(rc));
		poptFreeContext(pc);
		return rc;
	}
	log_set_verbosity(o.quiet ? -1 : o.verbose);
	log_set_color(isatty(STDERR_FILENO) && !o.no_color && !getenv("NO_COLOR"));
	if (o.version) {
		printf(_("awsphase %s (module API %d)\n"), PACKAGE_VERSION, AWSPHASE_API_VERSION);
		poptFreeContext(pc);
		return 0;
	}
	rest = poptGetArgs(pc);
	while (rest && rest[n])
		n++;
	module_load_all();
	rc = o.help && n == 0 ? (print_global_help(), 0) : dispatch(n, rest);
	module_unload_all();
	poptFreeContext(pc);
	pattern_free_all();
	redact_clear();
	http_cleanup();
	free_option_strings();
	if (fflush(stdout) != 0 || ferror(stdout)) {
		error(_("cannot write to standard output: %s"), strerror(errno));
		if (rc == 0)
			rc = AWSPHASE_EXIT_FAILED;
	}
	return rc;
}
