/* The one path to AWS: every aws CLI process awsphase starts is built, run,
 * traced, retried and classified here. */
#ifndef AWSPHASE_AWS_H
#define AWSPHASE_AWS_H

#include <stdarg.h>
#include <stdio.h>
#include "awsphase/module.h"

/* How long an aws call may take at most, by default: its retries
 * (retry_budget_s) and one aws process (call_timeout_ms).  A run's shorter
 * --timeout makes both shorter. */
#define AWS_CALL_LIMIT_MS 120000

struct aws_options {
	const char *aws_path;     /* default "aws" */
	const char *region;       /* --region, always passed */
	const char *profile;      /* NULL: none */
	const char *endpoint_url; /* NULL: none */
	int dry_run;
	FILE *trace;              /* "+ aws ..." lines, or NULL */
	FILE *trace_file;         /* one JSON object per aws process, or NULL */
	FILE *dry_run_out;        /* "would run: aws ..." lines; NULL: stdout */
	double retry_budget_s;    /* 0: AWS_CALL_LIMIT_MS */
	int call_timeout_ms;      /* one process; 0: AWS_CALL_LIMIT_MS */
	int jobs;                 /* concurrent calls; 0: aws_default_jobs() */
	int mode;                 /* enum worker_mode: auto (0), exec, worker */
	/* awsphase plan: 1 when an argument holds a value only planned
	 * ("<VPC_ID>"); a read with one is not made (it ends as a dry run). */
	int (*planned)(const char *arg);
	const char *trace_file_name; /* trace_file's path, for messages */
};

/* Copies the strings it needs. */
void aws_configure(const struct aws_options *opts);
/* Concurrent calls when --jobs is not given: the number of cores, at least 1. */
int aws_default_jobs(void);
void aws_shutdown(void);

enum aws_error_kind {
	AWS_ERR_NONE = 0,
	AWS_ERR_API,          /* AWS refused: fails at once */
	AWS_ERR_THROTTLED,    /* retried */
	AWS_ERR_SERVER,       /* 5xx: retried */
	AWS_ERR_CONNECTION,   /* endpoint unreachable, reset, read timeout: retried */
	AWS_ERR_CREDENTIALS,  /* none, expired, invalid: fails at once */
	AWS_ERR_CLI,          /* aws CLI missing, not executable, usage error, unparsable output */
	AWS_ERR_TIMEOUT,      /* the process ran past its deadline: retried */
	AWS_ERR_INTERRUPTED,
	AWS_ERR_TOO_BIG,      /* the answer passed RUN_MAX_OUTPUT: fails at once, exit 5 */
	AWS_ERR_REFUSED,      /* the gate refused the run: not made, not reported (the gate said why) */
};

struct aws_error {
	enum aws_error_kind kind;
	char code[128];       /* "ThrottlingException"; "" when the CLI gave none */
	char operation[128];  /* "DescribeServices" when the CLI named it */
	char message[512];    /* one line */
};

/* Classifies a failed aws CLI run from its exit code and stderr (v1 exits
 * 255, v2 254 on AWS errors; 252 usage; 253 config).  Pure function: no I/O. */
void aws_classify(int exit_code, const char *err_text, struct aws_error *out);
int aws_error_retryable(const struct aws_error *e);
/* The AWS code, else a name for the kind of failure ("ConnectionError",
 * "Timeout", "CliError", ...); NULL when there was none.  The trace file's
 * "error". */
const char *aws_error_name(const struct aws_error *e);
/* What the user can do about it, for the end of an error line; may be NULL. */
const char *aws_error_hint(const struct aws_error *e);

/* 1 when the operation (CLI spelling, "create-service") changes anything. */
int aws_is_mutating(const char *operation);

/* The call API; semantics as struct awsphase_host documents them. */
struct awsphase_call *aws_call_new(const char *service, const char *operation);
void aws_call_arg(struct awsphase_call *c, const char *arg);
void aws_call_argf(struct awsphase_call *c, const char *fmt, ...) AWSPHASE_PRINTF(2, 3);
void aws_call_accept(struct awsphase_call *c, const char *error_code);
int aws_call_run(struct awsphase_call *c);
int aws_call_run_all(struct awsphase_call *const *calls, size_t n);
enum awsphase_call_state aws_call_state(const struct awsphase_call *c);
const cJSON *aws_call_json(const struct awsphase_call *c);
const char *aws_call_error(const struct awsphase_call *c);
const char *aws_call_message(const struct awsphase_call *c);
const struct aws_error *aws_call_error_info(const struct awsphase_call *c);
int aws_call_attempts(const struct awsphase_call *c);
void aws_call_free(struct awsphase_call *c);
/* 0 unless the call failed; then the exit code its failure means (3, 4,
 * 5 or 130), as call_run returns it. */
int aws_call_exit_class(const struct awsphase_call *c);
/* What makes two calls the same: service, operation, arguments and the
 * codes they accept, as one string (free()).  The engine reads once what
 * several resources read alike. */
char *aws_call_key(const struct awsphase_call *c);
/* A new, unrun call with c's service, operation, arguments and codes. */
struct awsphase_call *aws_call_copy(const struct awsphase_call *c);
int aws_vsimple(cJSON **out, const char *service, const char *operation, va_list ap);

/* gate runs once, before the first call made after it is set (its own
 * calls pass): 0 lets that call and all later ones run; an exit code
 * refuses them all, unmade and unreported, each failing with that class
 * (the account guard, core/guard.c).  change runs once, before the first
 * mutating call that is made (not under --dry-run).  NULL: none. */
void aws_set_gate(int (*gate)(void), void (*change)(void));

/* Counters for the closing summary and benchmarks. */
/* dry_runs: mutating calls --dry-run listed instead of running. */
struct aws_stats { unsigned calls, processes, mutating, retries, failures, dry_runs; };
void aws_get_stats(struct aws_stats *out);

#endif
