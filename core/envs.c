/* Several environments at once; see envs.h.  Each environment's process
 * runs the action as a single-environment run does: its stdout is kept
 * for the report, its stderr relayed line by line as it comes, each line
 * after "[NAME] " so that interleaved lines still say whose they are. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "action.h"
#include "aws-trace.h"
#include "aws.h"
#include "envs.h"
#include "i18n.h"
#include "log.h"
#include "options.h"
#include "run-int.h"
#include "share.h"
#include "strbuf.h"

struct env_proc {
	const char *name;
	char *path;
	pid_t pid;
	int out, err;             /* read ends; -1 once at EOF */
	struct strbuf sout, line; /* its stdout; the start of a stderr line */
	int rc;
};

static int rank(int rc)
{
	return rc >= 128 ? 1000 + rc : rc == AWSPHASE_EXIT_CHANGES ? 1 : rc ? 10 + rc : 0;
}

int envs_worse(int a, int b)
{
	return rank(a) >= rank(b) ? a : b;
}

/* The relayed stderr: whole lines, each after its environment's name. */
static void relay(struct env_proc *e, int at_eof)
{
	char *nl;

	if (!e->line.len)
		return;
	while ((nl = memchr(e->line.buf, '\n', e->line.len)) || (at_eof && e->line.len)) {
		size_t n = nl ? (size_t)(nl - e->line.buf) + 1 : e->line.len;

		fprintf(stderr, "[%s] %.*s%s", e->name, (int)n, e->line.buf, nl ? "" : "\n");
		memmove(e->line.buf, e->line.buf + n, e->line.len - n);
		e->line.len -= n;
		e->line.buf[e->line.len] = '\0';
	}
}

/* In the new process: this environment only, its output to the pipes, and
 * no terminal to read: several runs cannot share one for their questions,
 * so what asks first (teardown, down) wants --yes, as it does in a script. */
static void become(struct env_proc *all, size_t i, int out[2], int err[2])
{
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	size_t j;

	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		close(null);
	}
	for (j = 0; j < i; j++) {
		close(all[j].out);
		close(all[j].err);
	}
	dup2(out[1], STDOUT_FILENO);
	dup2(err[1], STDERR_FILENO);
	run_close_pipe(out);
	run_close_pipe(err);
	options.env = options.envs[0] = (char *)all[i].name;
	aws_trace_set_env(options.env);
	options.env_file = all[i].path;
	options.nenvs = 1;
}

/* 1 in the new process; 0 here, with all[i].rc set when none started. */
static int start(struct env_proc *all, size_t i)
{
	int out[2], err[2];

	all[i].pid = -1;
	all[i].rc = AWSPHASE_EXIT_FAILED;
	if (action_signal) {
		all[i].rc = 128 + action_signal; /* stopped before it began */
		return 0;
	}
	if (pipe2(out, O_CLOEXEC) < 0) {
		error(_("cannot make a pipe: %s"), strerror(errno));
		return 0;
	}
	if (pipe2(err, O_CLOEXEC) < 0) {
		error(_("cannot make a pipe: %s"), strerror(errno));
		run_close_pipe(out);
		return 0;
	}
	all[i].pid = fork();
	if (all[i].pid == 0) {
		become(all, i, out, err);
		return 1;
	}
	close(out[1]);
	close(err[1]);
	all[i].out = out[0];
	all[i].err = err[0];
	if (all[i].pid < 0) {
		error(_("--env %s: cannot start a process for it: %s"), all[i].name, strerror(errno));
		run_close_fd(&all[i].out);
		run_close_fd(&all[i].err);
		return 0;
	}
	run_set_nonblock(all[i].out);
	run_set_nonblock(all[i].err);
	return 0;
}

/* Reads every environment's output until each has closed both; a signal
 * this process gets is passed on to each (once), and they end as a run
 * ends on it. */
static void pump(struct env_proc *all, size_t n)
{
	struct pollfd *pfd = xcalloc(2 * n, sizeof(*pfd));
	int passed = 0;

	for (;;) {
		size_t i, k = 0;

		if (action_signal && !passed) {
			for (i = 0; i < n; i++)
				if (all[i].pid > 0)
					kill(all[i].pid, action_signal);
			passed = 1;
		}
		for (i = 0; i < n; i++) {
			pfd[k].fd = all[i].out;
			pfd[k++].events = POLLIN;
			pfd[k].fd = all[i].err;
			pfd[k++].events = POLLIN;
		}
		for (i = 0; i < k && pfd[i].fd < 0; i++)
			;
		if (i == k)
			break;
		if (poll(pfd, (nfds_t)k, 100) <= 0)
			continue; /* a signal, or time to look at one */
		for (i = 0; i < n; i++) {
			if (pfd[2 * i].revents && run_drain(all[i].out, &all[i].sout, 0) == 0)
				run_close_fd(&all[i].out);
			if (pfd[2 * i + 1].revents) {
				int more = run_drain(all[i].err, &all[i].line, 0);

				relay(&all[i], !more);
				if (!more)
					run_close_fd(&all[i].err);
			}
		}
	}
	free(pfd);
}

static void wait_all(struct env_proc *all, size_t n)
{
	size_t i;
	int st;

	for (i = 0; i < n; i++) {
		if (all[i].pid <= 0)
			continue;
		while (waitpid(all[i].pid, &st, 0) < 0 && errno == EINTR)
			;
		all[i].rc = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) :
			    AWSPHASE_EXIT_FAILED;
	}
}

/* {"environments":[{"env","env_file","exit","result"},…],"exit":worst};
 * a result that is not JSON (a run that ended before its report) is null. */
static int print_json(struct env_proc *all, size_t n, int worst)
{
	cJSON *doc = cJSON_CreateObject(), *list = cJSON_AddArrayToObject(doc, "environments");
	char *text;
	size_t i;

	for (i = 0; i < n; i++) {
		cJSON *e = cJSON_CreateObject(), *r = cJSON_Parse(strbuf_str(&all[i].sout));

		cJSON_AddStringToObject(e, "env", all[i].name);
		cJSON_AddStringToObject(e, "env_file", all[i].path);
		cJSON_AddNumberToObject(e, "exit", all[i].rc);
		cJSON_AddItemToObject(e, "result", r ? r : cJSON_CreateNull());
		cJSON_AddItemToArray(list, e);
	}
	cJSON_AddNumberToObject(doc, "exit", worst);
	text = cJSON_Print(doc);
	if (text)
		printf("%s\n", text);
	free(text);
	cJSON_Delete(doc);
	return text ? 0 : -1;
}

static void print_text(struct env_proc *all, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i)
			putchar('\n');
		/* TRANSLATORS: the header of one environment's report: name, env file, exit code */
		printf(_("=== environment %s (%s): exit %d ===\n"), all[i].name, all[i].path, all[i].rc);
		fwrite(all[i].sout.buf ? all[i].sout.buf : "", 1, all[i].sout.len, stdout);
		if (all[i].sout.len && all[i].sout.buf[all[i].sout.len - 1] != '\n')
			putchar('\n');
	}
}

int envs_fork(void)
{
	size_t n = (size_t)options.nenvs, i;
	struct env_proc *all;
	int worst = 0;

	if (n < 2)
		return -1;
	all = xcalloc(n, sizeof(*all));
	/* the budget is made before the processes, so that they share it */
	share_init(options.jobs > 0 ? options.jobs : aws_default_jobs());
	fflush(stdout);
	fflush(stderr);
	for (i = 0; i < n; i++) {
		all[i].name = options.envs[i];
		all[i].path = options_env_path(all[i].name);
		all[i].out = all[i].err = -1;
	}
	for (i = 0; i < n; i++)
		if (start(all, i) > 0) {
			/* this process is environment i's now: the others' are theirs */
			size_t j;

			for (j = 0; j < n; j++)
				if (j != i) {
					free(all[j].path);
					strbuf_release(&all[j].sout);
					strbuf_release(&all[j].line);
				}
			/* all[i].path stays: options.env_file */
			free(all);
			return -1;
		}
	log_msg(AWSPHASE_LOG_VERBOSE, _("%zu environments at once, %d aws calls at once in all"), n,
		share_limit());
	pump(all, n);
	wait_all(all, n);
	for (i = 0; i < n; i++)
		worst = envs_worse(worst, all[i].rc);
	if (options.output && strcmp(options.output, "json") == 0) {
		if (print_json(all, n, worst) < 0 && !worst)
			worst = AWSPHASE_EXIT_FAILED;
	} else {
		print_text(all, n);
	}
	for (i = 0; i < n; i++) {
		free(all[i].path);
		strbuf_release(&all[i].sout);
		strbuf_release(&all[i].line);
	}
	free(all);
	return worst;
}
