/* What awsphase prints about aws processes: --trace lines, --dry-run's
 * "would run:", --trace-file records.  Private to core/aws*.c. */
#ifndef AWSPHASE_AWS_TRACE_H
#define AWSPHASE_AWS_TRACE_H

#include <stdio.h>
#include "aws.h"

/* prefix and the command line as a shell takes it back: each argument
 * redacted, then quoted where needed.  Nothing when fp is NULL. */
void aws_trace_cmdline(FILE *fp, const char *prefix, const char *const *argv);
/* "# retry 2 after ThrottlingException (backoff 0.8 s)" */
void aws_trace_retry(FILE *fp, int attempt, const struct aws_error *last, double backoff_s);
/* The environment (--env) whose calls these are: each trace-file record
 * names it, for the environments of one run share the file; NULL: none. */
void aws_trace_set_env(const char *env);
/* One JSON object per line, flushed: {"argv":[argv[1]...], "mutating",
 * "dry_run", "exit", "ms", "attempt", "error": aws_error_name or null,
 * "env" when set}.
 * Returns 0, or -1 with errno set when fp cannot be written (0 when NULL). */
int aws_trace_record(FILE *fp, const char *const *argv, int mutating, int dry_run,
		      int exit_code, long ms, int attempt, const struct aws_error *e);

#endif
