#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "aws-trace.h"
#include "redact.h"
#include "strbuf.h"

/* The command line as a shell would take it back, secrets hidden. */
static void add_cmdline(struct strbuf *sb, const char *const *argv)
{
	size_t i;

	for (i = 0; argv[i]; i++) {
		char *safe = redact_apply(argv[i]);

		if (i)
			strbuf_addch(sb, ' ');
		strbuf_add_shell_quoted(sb, safe);
		free(safe);
	}
}

void aws_trace_cmdline(FILE *fp, const char *prefix, const char *const *argv)
{
	struct strbuf sb = STRBUF_INIT;

	if (!fp)
		return;
	strbuf_addstr(&sb, prefix);
	add_cmdline(&sb, argv);
	strbuf_addch(&sb, '\n');
	fflush(stdout);
	fputs(strbuf_str(&sb), fp);
	fflush(fp);
	strbuf_release(&sb);
}

static const char *kind_label(const struct aws_error *e)
{
	switch (e->kind) {
	case AWS_ERR_NONE:
		return NULL;
	case AWS_ERR_THROTTLED:
		return "Throttling";
	case AWS_ERR_SERVER:
		return "ServerError";
	case AWS_ERR_CONNECTION:
		return "ConnectionError";
	case AWS_ERR_CREDENTIALS:
		return "CredentialsError";
	case AWS_ERR_CLI:
		return "CliError";
	case AWS_ERR_TIMEOUT:
		return "Timeout";
	case AWS_ERR_INTERRUPTED:
		return "Interrupted";
	case AWS_ERR_TOO_BIG:
		return "AnswerTooLarge";
	default:
		return "Error";
	}
}

const char *aws_error_name(const struct aws_error *e)
{
	return e->kind == AWS_ERR_NONE ? NULL : e->code[0] ? e->code : kind_label(e);
}

void aws_trace_retry(FILE *fp, int attempt, const struct aws_error *last, double backoff_s)
{
	if (!fp)
		return;
	fprintf(fp, "# retry %d after %s (backoff %.1f s)\n", attempt, aws_error_name(last), backoff_s);
	fflush(fp);
}

static const char *trace_env;

void aws_trace_set_env(const char *env)
{
	trace_env = env;
}

int aws_trace_record(FILE *fp, const char *const *argv, int mutating, int dry_run,
		      int exit_code, long ms, int attempt, const struct aws_error *e)
{
	cJSON *o, *a;
	const char *name = aws_error_name(e);
	char *line;
	size_t i;
	int rc = 0, e_no = 0;

	if (!fp)
		return 0;
	o = cJSON_CreateObject();
	a = cJSON_AddArrayToObject(o, "argv");
	for (i = 1; argv[i]; i++) {
		char *safe = redact_apply(argv[i]);

		cJSON_AddItemToArray(a, cJSON_CreateString(safe));
		free(safe);
	}
	cJSON_AddBoolToObject(o, "mutating", mutating);
	cJSON_AddBoolToObject(o, "dry_run", dry_run);
	cJSON_AddNumberToObject(o, "exit", exit_code);
	cJSON_AddNumberToObject(o, "ms", (double)ms);
	cJSON_AddNumberToObject(o, "attempt", attempt);
	if (trace_env)
		cJSON_AddStringToObject(o, "env", trace_env);
	if (name)
		cJSON_AddStringToObject(o, "error", name);
	else
		cJSON_AddNullToObject(o, "error");
	line = cJSON_PrintUnformatted(o);
	if (line) {
		errno = 0;
		if (fprintf(fp, "%s\n", line) < 0 || fflush(fp) != 0 || ferror(fp)) {
			e_no = errno ? errno : EIO;
			clearerr(fp);
			rc = -1;
		}
	}
	cJSON_free(line);
	cJSON_Delete(o);
	errno = e_no;
	return rc;
}
