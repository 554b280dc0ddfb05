/* One aws CLI call: argv, run, parse, retry.  What a failure means is
 * decided in aws-classify.c, what gets printed about it in aws-trace.c. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aws.h"
#include "aws-trace.h"
#include "i18n.h"
#include "log.h"
#include "run.h"
#include "share.h"
#include "strbuf.h"
#include "worker.h"

#define BACKOFF_BASE_S 0.5
#define BACKOFF_CAP_S 20.0

struct awsphase_call {
	char *service, *operation;
	char **args;
	size_t nargs;
	char **accept;
	size_t naccept;

	enum awsphase_call_state state;
	cJSON *json;
	struct aws_error err;
	const char *hint;     /* what the user can do, for the error line */
	int attempts;
	int mutating;
	long next_ms;         /* a retry may start then */
	double backoff_s;     /* the last one, for the trace note */
	long started_ms;
	int past_deadline;    /* the run's --timeout ran out: 1 at the first try, 2 after
				 an error (which its message says) */
};

static struct {
	char *aws_path, *region, *profile, *endpoint_url, *trace_file_name;
	int trace_file_failed;  /* said so once; the run goes on */
	int dry_run;
	int (*planned)(const char *arg);
	FILE *trace, *trace_file, *dry_run_out;
	double budget_s;
	int timeout_ms, jobs;
	unsigned short rng[3];
	int seeded;
} cfg;

static struct aws_stats stats;

/* AWS_MAX_ATTEMPTS=1 turns off the CLI's own retries (v1: 5 attempts in
 * legacy mode, v2: 3 in standard mode): awsphase retries with its own
 * backoff inside its own budget, so one process is one HTTP attempt and the
 * attempt count in the trace is the truth.  AWS_PAGER="" keeps v2 from
 * piping output through less; AWS_CLI_AUTO_PROMPT=off keeps a v2 config with
 * cli_auto_prompt from waiting on a terminal. */
static const char *const child_env[] = {
	"AWS_PAGER=",
	"AWS_MAX_ATTEMPTS=1",
	"AWS_CLI_AUTO_PROMPT=off",
	NULL
};

static void set_str(char **dst, const char *src)
{
	free(*dst);
	*dst = src && *src ? xstrdup(src) : NULL;
}

int aws_default_jobs(void)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	return cores > 0 ? (int)cores : 1;
}

/* What an option left at 0 comes to; calls may run before aws_configure
 * (the unit tests'). */
static void apply_defaults(void)
{
	if (cfg.budget_s <= 0)
		cfg.budget_s = AWS_CALL_LIMIT_MS / 1000.0;
	if (cfg.timeout_ms <= 0)
		cfg.timeout_ms = AWS_CALL_LIMIT_MS;
	if (cfg.jobs < 1)
		cfg.jobs = aws_default_jobs();
}

void aws_configure(const struct aws_options *opts)
{
	set_str(&cfg.aws_path, opts->aws_path ? opts->aws_path : "aws");
	set_str(&cfg.region, opts->region);
	set_str(&cfg.profile, opts->profile);
	set_str(&cfg.endpoint_url, opts->endpoint_url);
	cfg.dry_run = opts->dry_run;
	cfg.planned = opts->planned;
	cfg.trace = opts->trace;
	cfg.trace_file = opts->trace_file;
	set_str(&cfg.trace_file_name, opts->trace_file_name);
	cfg.trace_file_failed = 0;
	cfg.dry_run_out = opts->dry_run_out ? opts->dry_run_out : stdout;
	cfg.budget_s = opts->retry_budget_s;
	cfg.timeout_ms = opts->call_timeout_ms;
	cfg.jobs = opts->jobs;
	apply_defaults();
	share_init(cfg.jobs);
	worker_configure((enum worker_mode)opts->mode, cfg.aws_path, (size_t)cfg.jobs);
}

void aws_shutdown(void)
{
	worker_shutdown();
	set_str(&cfg.aws_path, NULL);
	set_str(&cfg.region, NULL);
	set_str(&cfg.profile, NULL);
	set_str(&cfg.endpoint_url, NULL);
	set_str(&cfg.trace_file_name, NULL);
	cfg.trace = cfg.trace_file = NULL;
}

void aws_get_stats(struct aws_stats *out)
{
	*out = stats;
}

struct awsphase_call *aws_call_new(const char *service, const char *operation)
{
	struct awsphase_call *c = xcalloc(1, sizeof(*c));

	c->service = xstrdup(service);
	c->operation = xstrdup(operation);
	return c;
}

void aws_call_arg(struct awsphase_call *c, const char *arg)
{
	c->args = xrealloc(c->args, (c->nargs + 1) * sizeof(*c->args));
	c->args[c->nargs++] = xstrdup(arg);
}

void aws_call_argf(struct awsphase_call *c, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	aws_call_arg(c, strbuf_str(&sb));
	strbuf_release(&sb);
}

void aws_call_accept(struct awsphase_call *c, const char *error_code)
{
	c->accept = xrealloc(c->accept, (c->naccept + 1) * sizeof(*c->accept));
	c->accept[c->naccept++] = xstrdup(error_code);
}

char *aws_call_key(const struct awsphase_call *c)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	strbuf_addf(&sb, "%s\037%s", c->service, c->operation);
	for (i = 0; i < c->nargs; i++)
		strbuf_addf(&sb, "\037%s", c->args[i]);
	strbuf_addch(&sb, '\036');
	for (i = 0; i < c->naccept; i++)
		strbuf_addf(&sb, "\037%s", c->accept[i]);
	return strbuf_detach(&sb);
}

struct awsphase_call *aws_call_copy(const struct awsphase_call *c)
{
	struct awsphase_call *copy = aws_call_new(c->service, c->operation);
	size_t i;

	for (i = 0; i < c->nargs; i++)
		aws_call_arg(copy, c->args[i]);
	for (i = 0; i < c->naccept; i++)
		aws_call_accept(copy, c->accept[i]);
	return copy;
}

enum awsphase_call_state aws_call_state(const struct awsphase_call *c)
{
	return c->state;
}

const cJSON *aws_call_json(const struct awsphase_call *c)
{
	return c->state == AWSPHASE_CALL_OK ? c->json : NULL;
}

const char *aws_call_error(const struct awsphase_call *c)
{
	return c->err.code;
}

const char *aws_call_message(const struct awsphase_call *c)
{
	return c->err.message;
}

const struct aws_error *aws_call_error_info(const struct awsphase_call *c)
{
	return &c->err;
}

int aws_call_attempts(const struct awsphase_call *c)
{
	return c->attempts;
}

void aws_call_free(struct awsphase_call *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->nargs; i++)
		free(c->args[i]);
	for (i = 0; i < c->naccept; i++)
		free(c->accept[i]);
	free(c->args);
	free(c->accept);
	cJSON_Delete(c->json);
	free(c->service);
	free(c->operation);
	free(c);
}

/* aws SERVICE OPERATION ARGS... --region R --output json [--profile P]
 * [--endpoint-url U]; the strings are borrowed from c and cfg. */
static const char **build_argv(const struct awsphase_call *c)
{
	const char **argv = xcalloc(c->nargs + 12, sizeof(*argv));
	size_t i, n = 0;

	argv[n++] = cfg.aws_path ? cfg.aws_path : "aws";
	argv[n++] = c->service;
	argv[n++] = c->operation;
	for (i = 0; i < c->nargs; i++)
		argv[n++] = c->args[i];
	if (cfg.region) {
		argv[n++] = "--region";
		argv[n++] = cfg.region;
	}
	argv[n++] = "--output";
	argv[n++] = "json";
	if (cfg.profile) {
		argv[n++] = "--profile";
		argv[n++] = cfg.profile;
	}
	if (cfg.endpoint_url) {
		argv[n++] = "--endpoint-url";
		argv[n++] = cfg.endpoint_url;
	}
	return argv;
}

static double random01(void)
{
	if (!cfg.seeded) {
		unsigned long seed = (unsigned long)time(NULL) ^ (unsigned long)getpid() ^
			(unsigned long)run_now_ms();

		cfg.rng[0] = (unsigned short)seed;
		cfg.rng[1] = (unsigned short)(seed >> 16);
		cfg.rng[2] = (unsigned short)(seed >> 32 ^ 0x330e);
		cfg.seeded = 1;
	}
	return erand48(cfg.rng);
}

/* Exponential backoff with full jitter: uniform in [0, min(cap, base * 2^(n-1))]. */
static double backoff(int attempt)
{
	double ceiling = BACKOFF_BASE_S;

	while (--attempt > 0 && ceiling < BACKOFF_CAP_S)
		ceiling *= 2;
	if (ceiling > BACKOFF_CAP_S)
		ceiling = BACKOFF_CAP_S;
	return ceiling * random01();
}

static void set_error(struct awsphase_call *c, enum aws_error_kind kind, const char *hint,
		      const char *fmt, ...) AWSPHASE_PRINTF(4, 5);

static void set_error(struct awsphase_call *c, enum aws_error_kind kind, const char *hint,
		      const char *fmt, ...)
{
	va_list ap;

	memset(&c->err, 0, sizeof(c->err));
	c->err.kind = kind;
	c->hint = hint;
	va_start(ap, fmt);
	vsnprintf(c->err.message, sizeof(c->err.message), fmt, ap);
	va_end(ap);
}

/* Exit 0: the JSON.  An empty answer is a success without a document for
 * a mutating call (many print nothing), but a broken CLI for a read: a
 * describe that says nothing must not pass for "nothing exists". */
static void parse_output(struct awsphase_call *c, const struct run_cmd *cmd)
{
	char excerpt[81];
	size_t i;

	if (cmd->out[strspn(cmd->out, " \t\r\n")] == '\0') {
		if (!c->mutating)
			set_error(c, AWS_ERR_CLI, _("is --aws pointing at the aws CLI?"),
				  _("aws exited 0 but printed nothing for a read-only call"));
		return;
	}
	c->json = cJSON_ParseWithLength(cmd->out, cmd->out_len);
	if (c->json)
		return;
	for (i = 0; i < sizeof(excerpt) - 1 && i < cmd->out_len; i++)
		excerpt[i] = (unsigned char)cmd->out[i] < 0x20 ? ' ' : cmd->out[i];
	while (i > 0 && excerpt[i - 1] == ' ')
		i--;
	excerpt[i] = '\0';
	set_error(c, AWS_ERR_CLI, _("is --aws pointing at the aws CLI?"),
		  _("aws printed something that is not JSON: %s%s"), excerpt,
		  cmd->out_len > sizeof(excerpt) - 1 ? "…" : "");
}

static void spawn_error(struct awsphase_call *c, const struct run_cmd *cmd)
{
	const char *name = cmd->argv[0];

	if (cmd->spawn_errno == EINTR)
		set_error(c, AWS_ERR_INTERRUPTED, NULL, "%s", _("interrupted"));
	else if (cmd->spawn_errno == ENOENT && strchr(name, '/') && access(name, F_OK) == 0)
		set_error(c, AWS_ERR_CLI, _("install the aws CLI or pass --aws PATH"),
			  _("cannot run '%s': its interpreter (the #! line) was not found"), name);
	else if (cmd->spawn_errno == ENOENT)
		set_error(c, AWS_ERR_CLI, _("install the aws CLI or pass --aws PATH"),
			  _("cannot run '%s': %s"), name,
			  strchr(name, '/') ? _("no such file") : _("not found on PATH"));
	else if (cmd->spawn_errno == EACCES)
		set_error(c, AWS_ERR_CLI, _("chmod +x it, install the aws CLI or pass --aws PATH"),
			  _("cannot run '%s': not executable (permission denied)"), name);
	else
		set_error(c, AWS_ERR_CLI, _("install the aws CLI or pass --aws PATH"),
			  _("cannot run '%s': %s"), name, strerror(cmd->spawn_errno));
}

/* The run's --timeout ran out: not retried, said the same way everywhere,
 * after what the attempt before said (prev, the error it had, or NULL). */
static void deadline_error(struct awsphase_call *c, const struct aws_error *prev)
{
	struct aws_error before = { AWS_ERR_NONE };
	const char *hint;

	if (prev)
		before = *prev;
	hint = before.kind != AWS_ERR_NONE ? aws_error_hint(&before) : NULL;
	if (before.kind != AWS_ERR_NONE && before.message[0])
		set_error(c, AWS_ERR_TIMEOUT, hint ? hint : _("raise --timeout"),
			  _("%s; then the run's --timeout of %.0f s ran out"), before.message,
			  run_deadline_s());
	else
		set_error(c, AWS_ERR_TIMEOUT, _("raise --timeout"),
			  _("no answer before the run's --timeout of %.0f s ran out"), run_deadline_s());
	c->state = AWSPHASE_CALL_FAILED;
	c->past_deadline = before.kind != AWS_ERR_NONE ? 2 : 1;
}

static int accepted(const struct awsphase_call *c)
{
	size_t i;

	for (i = 0; i < c->naccept && c->err.code[0]; i++) {
		const char *a = c->accept[i], *colon = strstr(a, ": ");
		size_t len = colon ? (size_t)(colon - a) : strlen(a);

		/* "Code: start of the message": that code with that message only */
		if (strlen(c->err.code) == len && strncmp(a, c->err.code, len) == 0 &&
		    (!colon || strncmp(c->err.message, colon + 2, strlen(colon + 2)) == 0))
			return 1;
	}
	return 0;
}

/* A trace file that cannot be written (a full disk, /dev/full) is said
 * once; the run goes on, as it would without --trace-file. */
static void record(const char *const *argv, int mutating, int dry_run, int exit_code, long ms,
		   int attempt, const struct aws_error *e)
{
	if (aws_trace_record(cfg.trace_file, argv, mutating, dry_run, exit_code, ms, attempt, e) < 0 &&
	    !cfg.trace_file_failed) {
		cfg.trace_file_failed = 1;
		warning(_("--trace-file %s: cannot write: %s; free some space or give another path "
			  "(the run goes on without its trace)"),
			cfg.trace_file_name ? cfg.trace_file_name : "?", strerror(errno));
	}
}

/* What one process said, recorded in the trace file as soon as it ends: a
 * batch can run long, and a trace file must show every call that finished
 * before awsphase was killed. */
struct attempt {
	struct awsphase_call *c;
	const char *const *argv;
	int recorded;
};

static void outcome(const struct run_cmd *cmd, void *arg)
{
	struct attempt *a = arg;
	struct awsphase_call *c = a->c;
	struct aws_error prev = c->err; /* the attempt before's, if any */

	if (a->recorded)
		return;
	a->recorded = 1;
	c->attempts++;
	memset(&c->err, 0, sizeof(c->err));
	c->hint = NULL;
	if (cmd->pid > 0)
		stats.processes++;
	if (cmd->spawn_errno)
		spawn_error(c, cmd);
	else if (cmd->interrupted && cmd->exit_code != 0)
		set_error(c, AWS_ERR_INTERRUPTED, NULL, "%s", _("interrupted"));
	else if (cmd->too_big)
		set_error(c, AWS_ERR_TOO_BIG, _("narrow the query, or check that --endpoint-url is AWS"),
			  _("answer larger than %d MiB; awsphase stopped reading it and the aws "
			    "process was stopped"), RUN_MAX_OUTPUT_MIB);
	else if (cmd->timed_out && run_time_left_ms() <= 0)
		deadline_error(c, &prev);
	else if (cmd->timed_out)
		set_error(c, AWS_ERR_TIMEOUT, NULL, _("no answer within %.0f s; the aws process was killed"),
			  cmd->timeout_ms / 1000.0);
	else if (cmd->exit_code == 0)
		parse_output(c, cmd);
	else
		aws_classify(cmd->exit_code, cmd->err, &c->err);
	if (c->err.kind == AWS_ERR_THROTTLED || c->err.kind == AWS_ERR_NONE)
		share_note(c->err.kind == AWS_ERR_THROTTLED);
	if (!c->hint)
		c->hint = aws_error_hint(&c->err);
	record(a->argv, c->mutating, 0, cmd->exit_code, cmd->ms, c->attempts, &c->err);
}

/* What the attempt comes to: done (OK, ACCEPTED, FAILED) or another try. */
static void judge_attempt(struct awsphase_call *c, long budget_end)
{
	long now = run_now_ms();

	if (c->err.kind == AWS_ERR_NONE) {
		c->state = AWSPHASE_CALL_OK;
	} else if (accepted(c)) {
		c->state = AWSPHASE_CALL_ACCEPTED;
	} else if (aws_error_retryable(&c->err) && !run_interrupted() && run_time_left_ms() > 0) {
		c->backoff_s = backoff(c->attempts);
		c->next_ms = now + (long)(c->backoff_s * 1000.0);
		if (c->next_ms > budget_end) {
			c->state = AWSPHASE_CALL_FAILED;
			return;
		}
		stats.retries++;
		log_msg(AWSPHASE_LOG_VERBOSE, _("aws %s %s: %s; retry %d in %.1f s"), c->service,
			c->operation, aws_error_name(&c->err), c->attempts + 1, c->backoff_s);
	} else {
		c->state = AWSPHASE_CALL_FAILED;
	}
}

static int (*gate)(void);
static int gate_rc;
static void (*first_change)(void);

void aws_set_gate(int (*fn)(void), void (*change)(void))
{
	gate = fn;
	gate_rc = 0;
	first_change = change;
}

int aws_call_exit_class(const struct awsphase_call *c)
{
	if (c->state != AWSPHASE_CALL_FAILED)
		return 0;
	if (c->err.kind == AWS_ERR_REFUSED)
		return gate_rc ? gate_rc : AWSPHASE_EXIT_USAGE;
	if (aws_error_retryable(&c->err))
		return AWSPHASE_EXIT_TIMEOUT; /* retried until the budget ran out */
	switch (c->err.kind) {
	case AWS_ERR_CLI:
	case AWS_ERR_TOO_BIG:
		return AWSPHASE_EXIT_NOAWS;
	case AWS_ERR_INTERRUPTED:
		return AWSPHASE_EXIT_INTERRUPTED;
	default:
		return AWSPHASE_EXIT_AWS;
	}
}

/* One line: awsphase: aws ecs describe-services: CODE: message; what to do */
static void report_failure(const struct awsphase_call *c)
{
	struct strbuf sb = STRBUF_INIT;

	static int said_past_deadline;

	if (c->err.kind == AWS_ERR_INTERRUPTED)
		return; /* main says so once */
	if (c->past_deadline == 1 && said_past_deadline)
		return; /* what ended the run is said: every call left ends the same way */
	if (run_time_left_ms() <= 0)
		said_past_deadline = 1;
	strbuf_addf(&sb, "aws %s %s: ", c->service, c->operation);
	if (c->err.code[0])
		strbuf_addf(&sb, "%s: ", c->err.code);
	strbuf_addstr(&sb, c->err.message[0] ? c->err.message : _("failed"));
	if (c->attempts > 1)
		strbuf_addf(&sb, _(" (gave up after %d attempts in %.1f s)"), c->attempts,
			    (run_now_ms() - c->started_ms) / 1000.0);
	if (c->hint) {
		if (sb.buf[sb.len - 1] == '.')
			sb.buf[--sb.len] = '\0'; /* "found.; check" reads badly */
		strbuf_addf(&sb, "; %s", c->hint);
	}
	error("%s", strbuf_str(&sb));
	strbuf_release(&sb);
}

static void reset(struct awsphase_call *c, long now)
{
	cJSON_Delete(c->json);
	c->json = NULL;
	memset(&c->err, 0, sizeof(c->err));
	c->hint = NULL;
	c->attempts = 0;
	c->state = AWSPHASE_CALL_PENDING;
	c->mutating = aws_is_mutating(c->operation);
	c->next_ms = c->started_ms = now;
	c->backoff_s = 0;
	c->past_deadline = 0;
}

/* Runs every call that is due, side by side; returns how many ran, 0 when
 * the ones left are waiting out a backoff, -1 when none is left. */
static int attempt_due_calls(struct awsphase_call *const *calls, const char ***argvs, size_t n,
			     long budget_end)
{
	struct run_cmd *cmds = xcalloc(n, sizeof(*cmds));
	struct attempt *att = xcalloc(n, sizeof(*att));
	size_t *idx = xcalloc(n, sizeof(*idx));
	long now = run_now_ms(), earliest = LONG_MAX;
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		struct awsphase_call *c = calls[i];

		if (c->state != AWSPHASE_CALL_PENDING)
			continue;
		if (c->next_ms > now) {
			if (c->next_ms < earliest)
				earliest = c->next_ms;
			continue;
		}
		if (run_time_left_ms() <= 0) {
			deadline_error(c, &c->err);
			continue;
		}
		if (c->attempts)
			aws_trace_retry(cfg.trace, c->attempts + 1, &c->err, c->backoff_s);
		aws_trace_cmdline(cfg.trace, "+ ", argvs[i]);
		cmds[k].argv = argvs[i];
		cmds[k].env = child_env;
		cmds[k].timeout_ms = cfg.timeout_ms;
		att[k].c = c;
		att[k].argv = argvs[i];
		cmds[k].done = outcome;
		cmds[k].done_arg = &att[k];
		idx[k++] = i;
	}
	if (k) {
		worker_run_cmds(cmds, k, (size_t)cfg.jobs);
		for (i = 0; i < k; i++) {
			outcome(&cmds[i], &att[i]); /* no-op unless a path forgot to */
			judge_attempt(calls[idx[i]], budget_end);
			run_cmd_release(&cmds[i]);
		}
	} else if (earliest != LONG_MAX && run_sleep_until(earliest) < 0) {
		for (i = 0; i < n; i++)
			if (calls[i]->state == AWSPHASE_CALL_PENDING) {
				set_error(calls[i], AWS_ERR_INTERRUPTED, NULL, "%s", _("interrupted"));
				calls[i]->state = AWSPHASE_CALL_FAILED;
			}
	}
	free(cmds);
	free(att);
	free(idx);
	return k ? (int)k : earliest == LONG_MAX ? -1 : 0;
}

/* A read that names what an earlier phase has only planned (awsphase plan). */
static int uses_planned(const char **argv)
{
	for (; cfg.planned && *argv; argv++)
		if (cfg.planned(*argv))
			return 1;
	return 0;
}

int aws_call_run_all(struct awsphase_call *const *calls, size_t n)
{
	const char ***argvs = xcalloc(n ? n : 1, sizeof(*argvs));
	long now = run_now_ms(), budget_end;
	int rc = 0;
	size_t i;

	if (gate) {
		int (*fn)(void) = gate;

		gate = NULL; /* its own call passes */
		gate_rc = fn();
	}
	if (gate_rc) {
		for (i = 0; i < n; i++) {
			reset(calls[i], now);
			calls[i]->err.kind = AWS_ERR_REFUSED;
			calls[i]->state = AWSPHASE_CALL_FAILED;
		}
		free(argvs);
		return gate_rc;
	}
	apply_defaults();
	budget_end = now + (long)(cfg.budget_s * 1000.0);
	if (run_time_left_ms() != LONG_MAX && budget_end > now + run_time_left_ms())
		budget_end = now + run_time_left_ms();
	for (i = 0; i < n; i++) {
		struct awsphase_call *c = calls[i];

		reset(c, now);
		argvs[i] = build_argv(c);
		stats.calls++;
		if (c->mutating && cfg.dry_run) {
			c->state = AWSPHASE_CALL_DRY_RUN;
			stats.dry_runs++;
			/* TRANSLATORS: before a command line a dry run did not run */
			aws_trace_cmdline(cfg.dry_run_out, _("would run: "), argvs[i]);
			record(argvs[i], 1, 1, -1, 0, 0, &c->err);
		} else if (c->mutating) {
			if (first_change) {
				void (*fn)(void) = first_change;

				first_change = NULL;
				fn();
			}
			stats.mutating++;
		} else if (uses_planned(argvs[i])) {
			c->state = AWSPHASE_CALL_DRY_RUN;
			log_msg(AWSPHASE_LOG_VERBOSE, _("not read yet: aws %s %s uses what an earlier phase would create"),
				c->service, c->operation);
		}
	}
	while (attempt_due_calls(calls, argvs, n, budget_end) >= 0)
		;
	for (i = 0; i < n; i++) {
		int class = aws_call_exit_class(calls[i]);

		if (class) {
			stats.failures++;
			report_failure(calls[i]);
		}
		if (class && !rc)
			rc = class;
		free(argvs[i]);
	}
	free(argvs);
	return rc;
}

int aws_call_run(struct awsphase_call *c)
{
	return aws_call_run_all(&c, 1);
}

int aws_vsimple(cJSON **out, const char *service, const char *operation, va_list ap)
{
	struct awsphase_call *c = aws_call_new(service, operation);
	const char *arg;
	int rc;

	while ((arg = va_arg(ap, const char *)))
		aws_call_arg(c, arg);
	rc = aws_call_run(c);
	if (out) {
		*out = c->state == AWSPHASE_CALL_OK ? c->json : NULL;
		if (*out)
			c->json = NULL;
	}
	aws_call_free(c);
	return rc;
}
