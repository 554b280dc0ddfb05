/* awsphase: deploy and operate phases of an AWS stack through the aws CLI.
 *
 *   awsphase [global options] PHASE ACTION [action options]
 *   awsphase [global options] up | plan | down | status [options]
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

#include "action.h"
#include "aws.h"
#include "envfile.h"
#include "envs.h"
#include "help.h"
#include "host.h"
#include "http.h"
#include "i18n.h"
#include "list.h"
#include "log.h"
#include "module.h"
#include "options.h"
#include "pattern.h"
#include "pipeline.h"
#include "redact.h"
#include "report.h"
#include "run.h"
#include "strbuf.h"
#include "wait.h"
#include "worker.h"

/* awsphase list [OPTION...]: global options may follow, as after an action. */
static int parse_list(int argc, const char **argv)
{
	poptContext pc = poptGetContext("list", argc, argv, options_table, 0);
	const char *extra;
	int rc = options_next(pc);

	if (rc < -1)
		rc = action_bad_usage(_("list: %s: %s; see awsphase --help"), poptBadOption(pc, 0),
			       poptStrerror(rc));
	else if ((extra = poptGetArg(pc)))
		rc = action_bad_usage(_("list: %s: unexpected argument; list takes options only"), extra);
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
	if (pipeline_is_command(rest[0]))
		return pipeline_main(argc, rest);
	lm = module_find(rest[0]);
	if (!lm)
		return action_bad_usage(_("%s: unknown phase; 'awsphase list' shows the phases (modules searched in %s)"),
				 rest[0], module_search_path());
	if (argc == 1 || strcmp(rest[1], "--help") == 0 || strcmp(rest[1], "-h") == 0) {
		help_phase(lm);
		return options.help || argc > 1 ? 0 : AWSPHASE_EXIT_USAGE;
	}
	a = module_find_action(lm, rest[1]);
	if (!a)
		return AWSPHASE_EXIT_USAGE;
	action_named(lm->m.name, rest[1], a->name);
	rc = action_parse(lm, a, argc - 1, rest + 1, &pc, &aargc, &aargv);
	if (rc < 0 && options_check() < 0) {
		rc = AWSPHASE_EXIT_USAGE;
	} else if (rc < 0) {
		log_set_verbosity(options.quiet ? -1 : options.verbose);
		/* several --env: each environment's process goes on here */
		if ((rc = envs_fork()) < 0)
			rc = action_run(lm, a, aargc, aargv);
	}
	free(aargv);
	poptFreeContext(pc);
	options_action_done();
	return rc;
}

/* The signals that would end awsphase at once (a closed ssh session's
 * SIGHUP, a stray SIGALRM or SIGUSR1, SIGPIPE) end it as SIGINT does: the
 * children stopped, the document printed, exit 128 + the signal.  One
 * ignored when awsphase starts (nohup) stays ignored. */
static void catch_signals(void)
{
	static const int ours[] = { SIGINT, SIGTERM }, theirs[] = { SIGHUP, SIGPIPE, SIGALRM,
								    SIGUSR1, SIGUSR2 };
	struct sigaction sa, old;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = action_on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
		sigaction(ours[i], &sa, NULL);
	for (i = 0; i < sizeof(theirs) / sizeof(theirs[0]); i++)
		if (sigaction(theirs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
			sigaction(theirs[i], &sa, NULL);
	/* a write past the file size limit fails (EFBIG) as on a full disk */
	sa.sa_handler = SIG_IGN;
	sigaction(SIGXFSZ, &sa, NULL);
}

static const char *signal_name(int sig)
{
	switch (sig) {
	case SIGHUP: return "SIGHUP";
	case SIGINT: return "SIGINT";
	case SIGPIPE: return "SIGPIPE";
	case SIGALRM: return "SIGALRM";
	case SIGTERM: return "SIGTERM";
	case SIGUSR1: return "SIGUSR1";
	case SIGUSR2: return "SIGUSR2";
	default: return "?";
	}
}

/* The last word on the exit code: stdout flushed (a reader gone away ends
 * it quietly with 141, as SIGPIPE would), a signal said once. */
static int finish(int rc)
{
	int e = 0;

	if (fflush(stdout) != 0 || ferror(stdout)) {
		e = errno;
		if (e == EPIPE || action_signal == SIGPIPE) {
			rc = 128 + SIGPIPE;
		} else {
			error(_("cannot write to standard output: %s"), strerror(e));
			if (rc == 0)
				rc = AWSPHASE_EXIT_FAILED;
		}
	}
	if (action_signal && action_signal != SIGPIPE && rc == 128 + action_signal)
		error(_("stopped by %s: the aws calls in flight were stopped; run the same command "
			"again to finish"), signal_name(action_signal));
	return rc;
}

int main(int argc, const char **argv)
{
	poptContext pc;
	const char **rest;
	int rc, n;

	run_mark_start();
	catch_signals();
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	i18n_init();

	pc = poptGetContext("awsphase", argc, argv, options_table, POPT_CONTEXT_POSIXMEHARDER);
	rc = options_next(pc);
	if (rc < -1) {
		rc = action_bad_usage(_("%s: %s; see awsphase --help"), poptBadOption(pc, 0), poptStrerror(rc));
		poptFreeContext(pc);
		return finish(rc);
	}
	log_set_verbosity(options.quiet ? -1 : options.verbose);
	log_set_color(isatty(STDERR_FILENO) && !options.no_color && !getenv("NO_COLOR"));
	if (options.version) {
		printf(_("awsphase %s (module API %d)\n"), PACKAGE_VERSION, AWSPHASE_API_VERSION);
		poptFreeContext(pc);
		return finish(0);
	}
	rest = poptGetArgs(pc);
	n = action_count_args(rest);
	module_load_all();
	rc = options.help && n == 0 ? (help_global(), 0) : dispatch(n, rest);
	module_unload_all();
	poptFreeContext(pc);
	pattern_free_all();
	redact_clear();
	http_cleanup();
	options_free();
	return finish(rc);
}
