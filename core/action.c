/* One action of a phase module, run: its options parsed, the env file
 * read and checked, the aws runner, the report and the host set up for it,
 * its exec called, everything put away after.  main.c runs one; the
 * pipeline (pipeline.c) runs one per phase. */
#include <errno.h>
#include <fcntl.h>
#include <popt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "action.h"
#include "aws.h"
#include "envfile.h"
#include "guard.h"
#include "help.h"
#include "host.h"
#include "i18n.h"
#include "lock.h"
#include "log.h"
#include "options.h"
#include "report.h"
#include "run.h"
#include "stack.h"
#include "strbuf.h"
#include "wait.h"
#include "worker.h"

volatile sig_atomic_t action_signal;

void action_on_signal(int sig)
{
	if (!action_signal)
		action_signal = sig;
	run_interrupt();
}

int action_bad_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(AWSPHASE_LOG_ERROR, fmt, ap);
	va_end(ap);
	return AWSPHASE_EXIT_USAGE;
}

int action_parse_command(const struct awsphase_action *a, poptContext ctx)
{
	const char *extra;
	int rc = options_next(ctx);

	if (rc < -1)
		return action_bad_usage(_("%s: %s: %s; see awsphase %s --help"), a->name,
					poptBadOption(ctx, 0), poptStrerror(rc), a->name);
	if (options.help)
		return help_command(a, ctx), 0;
	if ((extra = poptGetArg(ctx)))
		return action_bad_usage(_("%s: unexpected argument '%s'; see awsphase %s --help"),
					a->name, extra, a->name);
	return options_check() < 0 ? AWSPHASE_EXIT_USAGE : -1;
}

/* How many of popt's leftover arguments there are (rest may be NULL). */
int action_count_args(const char **rest)
{
	int n = 0;

	while (rest && rest[n])
		n++;
	return n;
}

/* Parses the action's own options (and global ones given after it).
 * Returns -1 to go on (argv_out set), else an exit code. */
int action_parse(const struct loaded_module *lm, const struct awsphase_action *a,
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
		return action_bad_usage(_("%s %s: %s: %s; see awsphase %s %s --help"), lm->m.name, a->name,
				 poptBadOption(pc, 0), poptStrerror(rc), lm->m.name, a->name);
	if (options.help) {
		help_action(lm, a, pc);
		return 0;
	}
	rest = poptGetArgs(pc);
	n = action_count_args(rest);
	/* the host counts them for an API 2 action that says which it takes,
	 * or that leaves its usage line to the host; an older one counts its own */
	if (lm->m.api_version >= 2 && (a->args || !a->usage)) {
		int min, max;

		help_arg_counts(a->args, &min, &max);
		if (max >= 0 && n > max)
			return action_bad_usage(_("%s %s: unexpected argument '%s'; see awsphase %s %s --help"),
					 lm->m.name, a->name, rest[max], lm->m.name, a->name);
		if (n < min)
			return action_bad_usage(_("%s %s: missing %s; see awsphase %s %s --help"), lm->m.name,
					 a->name, a->args, lm->m.name, a->name);
	}
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

/* Keys the action set that the env file could not take (a full disk, a
 * read-only folder): one line naming them all, and exit 1 if all else
 * went well, since what AWS now has is not recorded. */
static int not_recorded(const struct envfile *ef, int rc)
{
	const char *why, *keys = envfile_unwritten(ef, &why);

	if (!keys)
		return rc;
	error(_("%s: not recorded: %s (%s); AWS has them: free space or make the folder "
		"writable and run the command again, or add them by hand"),
	      envfile_path(ef), keys, why ? why : _("write failed"));
	return rc == AWSPHASE_EXIT_OK ? AWSPHASE_EXIT_FAILED : rc;
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
	int rc, bad;

	if (options_endpoint(&endpoint) < 0)
		return AWSPHASE_EXIT_USAGE;
	settings.env_file = options.env_file ? options.env_file : ACTION_ENV_FILE;
	/* an environment's env file is made by hand, from another, or by
	 * env --from-stack */
	if (options.env && !(a->flags & ACTION_CORE_CREATES_ENV) && access(settings.env_file, F_OK) != 0 &&
	    errno == ENOENT)
		return action_bad_usage(_("%s: no such file: environment %s has no env file here; make it "
					  "(copy aws-resources.env.example or another environment's env file, "
					  "and give it this environment's names)"), settings.env_file, options.env);
	ef = envfile_load(settings.env_file, (a->flags & ACTION_CORE_CREATES_ENV) != 0);
	if (!ef)
		return AWSPHASE_EXIT_USAGE;
	envfile_defer_write_errors(ef, 1); /* said once, after the action: not_recorded() */
	bad = lm->m.env ? envfile_validate_planned(ef, lm->m.env, host_overlay_keys()) : 0;
	if (bad + stack_validate(ef, lm->m.env) > 0) {
		/* each problem was reported on its own line, with its fix */
		envfile_free(ef);
		return AWSPHASE_EXIT_USAGE;
	}
	/* the env file's strings do not outlive an env_set */
	region = options_region(ef) ? xstrdup(options_region(ef)) : NULL;
	settings.region = region;
	if (!settings.region) {
		envfile_free(ef);
		return action_bad_usage(_("no AWS region: set AWS_REGION in %s or pass --region"), settings.env_file);
	}
	if (options.trace_file) {
		int fd = open(options.trace_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

		if (fd < 0 || !(trace_file = fdopen(fd, "a"))) {
			int e = errno;

			if (fd >= 0)
				close(fd);
			envfile_free(ef);
			free(region);
			return action_bad_usage(_("--trace-file %s: %s; give a writable path"), options.trace_file, strerror(e));
		}
		/* a line in one write(): the environments of a run append to one file */
		setvbuf(trace_file, NULL, _IOFBF, (size_t)1 << 16);
	}
	settings.dry_run = options.dry_run;
	settings.verbosity = options.quiet ? -1 : options.verbose;
	settings.json_output = options.output && strcmp(options.output, "json") == 0;
	settings.tty = isatty(STDOUT_FILENO);
	settings.color = settings.tty && !options.no_color && !getenv("NO_COLOR");
	settings.timeout_s = options.timeout > 0 ? options.timeout : WAIT_DEFAULT_TIMEOUT_S;
	run_set_deadline(settings.timeout_s); /* the whole run's, from main's start */
	settings.jobs = options.jobs > 0 ? options.jobs : aws_default_jobs();

	ao.aws_path = options.aws ? options.aws : "aws";
	ao.region = settings.region;
	ao.profile = options.profile;
	ao.endpoint_url = endpoint;
	ao.dry_run = options.dry_run;
	ao.trace = options.trace ? stderr : NULL;
	ao.trace_file = trace_file;
	ao.trace_file_name = options.trace_file;
	/* under --output json stdout holds only the document */
	ao.dry_run_out = settings.json_output ? stderr : stdout;
	ao.retry_budget_s = settings.timeout_s < AWS_CALL_LIMIT_MS / 1000.0 ? settings.timeout_s :
			    AWS_CALL_LIMIT_MS / 1000.0;
	ao.call_timeout_ms = (int)(ao.retry_budget_s * 1000);
	ao.jobs = settings.jobs;
	ao.mode = options.aws_mode;
	ao.planned = host_planned;
	aws_configure(&ao);

	strbuf_addf(&command, "%s %s", lm->m.name, a->name);
	report_begin(strbuf_str(&command), settings.json_output, settings.tty, settings.color,
		     settings.verbosity < 0);
	host = host_init(&settings, ef, lm->m.env);
	host_bind(lm->m.name, a->name, lm->m.api_version, options.profile);
	/* by the module's first call: an action that changes things with
	 * another account's credentials, or in another region, is refused */
	rc = guard_begin(ef, settings.region, options.profile,
			 !(a->flags & AWSPHASE_ACTION_READONLY) && !options.dry_run);
	if (rc == 0)
		rc = lm->m.init ? lm->m.init(host) : 0;
	if (rc == 0) {
		rc = a->exec(host, argc, argv);
		if (lm->m.fini)
			lm->m.fini();
	}
	rc = guard_end(rc);
	/* An action that ends on a signal exits 130/143; one that takes it as
	 * its way to stop (logs --follow) and returns 0 keeps its 0. */
	if (action_signal && rc != AWSPHASE_EXIT_OK)
		rc = 128 + action_signal;
	rc = not_recorded(ef, rc);
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


/* The action as the user named it, when that was a prefix: a read-only
 * action that is to change something after all (diagnose --fix) wants its
 * full name, as every changing action does. */
static struct {
	const char *phase, *typed, *name;
} named;

void action_named(const char *phase, const char *typed, const char *name)
{
	named.phase = phase;
	named.typed = typed && name && strcmp(typed, name) != 0 ? typed : NULL;
	named.name = name;
}

int action_lock(void)
{
	const char *env_file = options.env_file ? options.env_file : ACTION_ENV_FILE;

	if (named.typed) {
		error(_("%s %s: a prefix selects only read-only actions, and %s changes things as "
			"asked; give the full name: %s"), named.phase, named.typed, named.name,
		      named.name);
		return AWSPHASE_EXIT_USAGE;
	}
	if (options.dry_run)
		return 0;
	return lock_take(env_file, !options.no_wait_lock,
			 options.timeout > 0 ? options.timeout : WAIT_DEFAULT_TIMEOUT_S);
}

/* The lock comes before the env file is read: a run that waited for
 * another reads what that one wrote. */
int action_run(const struct loaded_module *lm, const struct awsphase_action *a,
	       int argc, const char **argv)
{
	int locked = !(a->flags & AWSPHASE_ACTION_READONLY) && !options.dry_run;
	int rc;

	if (locked && (rc = action_lock()) != 0)
		return rc;
	rc = run_action(lm, a, argc, argv);
	if (locked)
		lock_release();
	return rc;
}
