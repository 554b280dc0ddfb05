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
#include "help.h"
#include "host.h"
#include "http.h"
#include "i18n.h"
#include "list.h"
#include "log.h"
#include "module.h"
#include "options.h"
#include "pattern.h"
#include "redact.h"
#include "report.h"
#include "run.h"
#include "strbuf.h"
#include "wait.h"
#include "worker.h"

#define DEFAULT_ENV_FILE "./aws-resources.env"

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
	run_interrupt();
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

/* How many of popt's leftover arguments there are (rest may be NULL). */
static int count_args(const char **rest)
{
	int n = 0;

	while (rest && rest[n])
		n++;
	return n;
}

/* Parses the action's own options (and global ones given after it).
 * Returns -1 to go on (argv_out set), else an exit code. */
static int parse_action(const struct loaded_module *lm, const struct awsphase_action *a,
			int argc, const char **argv, poptContext *pc_out, int *argc_out,
			const char ***argv_out)
{
	struct poptOption *heap = options_for_action(a);
	poptContext pc;
	const char **rest;
	int rc, n;

	pc = poptGetContext(a->name, argc, argv, heap, 0);
	*pc_out = pc;
	rc = options_next(pc);
	if (rc < -1)
		return bad_usage(_("%s %s: %s: %s; see awsphase %s %s --help"), lm->m.name, a->name,
				 poptBadOption(pc, 0), poptStrerror(rc), lm->m.name, a->name);
	if (options.help) {
		help_action(lm, a, pc);
		return 0;
	}
	rest = poptGetArgs(pc);
	n = count_args(rest);
	*argc_out = n + 1;
	*argv_out = xcalloc((size_t)n + 2, sizeof(char *));
	(*argv_out)[0] = a->name;
	if (n)
		memcpy(*argv_out + 1, rest, (size_t)n * sizeof(char *));
	return -1;
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
	const char *endpoint;
	char *region;
	int rc;

	if (options_endpoint(&endpoint) < 0)
		return AWSPHASE_EXIT_USAGE;
	settings.env_file = options.env_file ? options.env_file : DEFAULT_ENV_FILE;
	ef = envfile_load(settings.env_file, 0);
	if (!ef)
		return AWSPHASE_EXIT_USAGE;
	if (lm->m.env && envfile_validate(ef, lm->m.env) > 0) {
		/* each problem was reported on its own line, with its fix */
		envfile_free(ef);
		return AWSPHASE_EXIT_USAGE;
	}
	/* the env file's strings do not outlive an env_set */
	region = options_region(ef) ? xstrdup(options_region(ef)) : NULL;
	settings.region = region;
	if (!settings.region) {
		envfile_free(ef);
		return bad_usage(_("no AWS region: set AWS_REGION in %s or pass --region"), settings.env_file);
	}
	if (options.trace_file) {
		int fd = open(options.trace_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

		if (fd < 0 || !(trace_file = fdopen(fd, "a"))) {
			int e = errno;

			if (fd >= 0)
				close(fd);
			envfile_free(ef);
			free(region);
			return bad_usage(_("--trace-file %s: %s; give a writable path"), options.trace_file, strerror(e));
		}
	}
	settings.dry_run = options.dry_run;
	settings.verbosity = options.quiet ? -1 : options.verbose;
	settings.json_output = options.output && strcmp(options.output, "json") == 0;
	settings.tty = isatty(STDOUT_FILENO);
	settings.color = settings.tty && !options.no_color && !getenv("NO_COLOR");
	settings.timeout_s = options.timeout > 0 ? options.timeout : WAIT_DEFAULT_TIMEOUT_S;
	settings.jobs = options.jobs > 0 ? options.jobs : aws_default_jobs();

	ao.aws_path = options.aws ? options.aws : "aws";
	ao.region = settings.region;
	ao.profile = options.profile;
	ao.endpoint_url = endpoint;
	ao.dry_run = options.dry_run;
	ao.trace = options.trace ? stderr : NULL;
	ao.trace_file = trace_file;
	/* under --output json stdout holds only the document */
	ao.dry_run_out = settings.json_output ? stderr : stdout;
	ao.retry_budget_s = settings.timeout_s < AWS_CALL_LIMIT_MS / 1000.0 ? settings.timeout_s :
			    AWS_CALL_LIMIT_MS / 1000.0;
	ao.call_timeout_ms = (int)(ao.retry_budget_s * 1000);
	ao.jobs = settings.jobs;
	ao.mode = options.aws_mode;
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
	poptContext pc = poptGetContext("list", argc, argv, options_table, 0);
	const char *extra;
	int rc = options_next(pc);

	if (rc < -1)
		rc = bad_usage(_("list: %s: %s; see awsphase --help"), poptBadOption(pc, 0),
			       poptStrerror(rc));
	else if ((extra = poptGetArg(pc)))
		rc = bad_usage(_("list: %s: unexpected argument; list takes options only"), extra);
	else if (options.help)
		rc = (help_global(), 0);
	else if (options_check() < 0)
		rc = AWSPHASE_EXIT_USAGE;
	else {
		log_set_verbosity(options.quiet ? -1 : options.verbose);
		rc = list_modules(options.output && strcmp(options.output, "json") == 0);
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
			help_global();
			return argc == 0 && !options.help ? AWSPHASE_EXIT_USAGE : 0;
		}
		options.help = 1;
		return dispatch(argc - 1, rest + 1);
	}
	if (strcmp(rest[0], "list") == 0)
		return parse_list(argc, rest);
	lm = module_find(rest[0]);
	if (!lm)
		return bad_usage(_("%s: unknown phase; 'awsphase list' shows the phases (modules searched in %s)"),
				 rest[0], module_search_path());
	if (argc == 1 || strcmp(rest[1], "--help") == 0 || strcmp(rest[1], "-h") == 0) {
		help_phase(lm);
		return options.help || argc > 1 ? 0 : AWSPHASE_EXIT_USAGE;
	}
	a = module_find_action(lm, rest[1]);
	if (!a)
		return AWSPHASE_EXIT_USAGE;
	rc = parse_action(lm, a, argc - 1, rest + 1, &pc, &aargc, &aargv);
	if (rc < 0 && options_check() < 0) {
		rc = AWSPHASE_EXIT_USAGE;
	} else if (rc < 0) {
		log_set_verbosity(options.quiet ? -1 : options.verbose);
		rc = run_action(lm, a, aargc, aargv);
	}
	free(aargv);
	poptFreeContext(pc);
	options_action_done();
	return rc;
}

int main(int argc, const char **argv)
{
	struct sigaction sa;
	poptContext pc;
	const char **rest;
	int rc, n;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	i18n_init();

	pc = poptGetContext("awsphase", argc, argv, options_table, POPT_CONTEXT_POSIXMEHARDER);
	rc = options_next(pc);
	if (rc < -1) {
		rc = bad_usage(_("%s: %s; see awsphase --help"), poptBadOption(pc, 0), poptStrerror(rc));
		poptFreeContext(pc);
		return rc;
	}
	log_set_verbosity(options.quiet ? -1 : options.verbose);
	log_set_color(isatty(STDERR_FILENO) && !options.no_color && !getenv("NO_COLOR"));
	if (options.version) {
		printf(_("awsphase %s (module API %d)\n"), PACKAGE_VERSION, AWSPHASE_API_VERSION);
		poptFreeContext(pc);
		return 0;
	}
	rest = poptGetArgs(pc);
	n = count_args(rest);
	module_load_all();
	rc = options.help && n == 0 ? (help_global(), 0) : dispatch(n, rest);
	module_unload_all();
	poptFreeContext(pc);
	pattern_free_all();
	redact_clear();
	http_cleanup();
	options_free();
	if (fflush(stdout) != 0 || ferror(stdout)) {
		error(_("cannot write to standard output: %s"), strerror(errno));
		if (rc == 0)
			rc = AWSPHASE_EXIT_FAILED;
	}
	return rc;
}
