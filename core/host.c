#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "aws.h"
#include "host.h"
#include "http.h"
#include "i18n.h"
#include "json.h"
#include "log.h"
#include "pattern.h"
#include "report.h"
#include "run.h"
#include "strbuf.h"
#include "wait.h"

static struct {
	const struct awsphase_settings *settings;
	struct envfile *ef;
	const struct awsphase_envvar *vars;
} ctx;

/* Modules link no gettext: the host looks what they say up in the awsphase
 * catalogue (their format strings are extracted with keywords, see
 * po/xgettext.sh).  print is data, not words: it is not looked up. */
static void host_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, i18n_lookup(fmt), ap);
	va_end(ap);
}

static void host_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_vsay(i18n_lookup(fmt), ap);
	va_end(ap);
}

static void host_print(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_vprint(fmt, ap);
	va_end(ap);
}

/* The same lookup, for words the module assembles itself (xgettext finds
 * them by the name text, with c-format). */
static const char *host_text(const char *msgid)
{
	return i18n_lookup(msgid);
}

static void host_check(const char *name, enum awsphase_status status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_vcheck(name, status, i18n_lookup(fmt), ap);
	va_end(ap);
}

static int host_aws(cJSON **out, const char *service, const char *operation, ...)
{
	va_list ap;
	int rc;

	va_start(ap, operation);
	rc = aws_vsimple(out, service, operation, ap);
	va_end(ap);
	return rc;
}

static const struct awsphase_envvar *declared(const char *key)
{
	const struct awsphase_envvar *v;

	for (v = ctx.vars; v && v->key; v++)
		if (strcmp(v->key, key) == 0)
			return v;
	return NULL;
}

/* Values handed to modules stay valid for the whole run, although an
 * env_set re-reads the file and frees the envfile's own strings. */
static char **kept;
static size_t nkept;

static const char *keep(const char *value)
{
	size_t i;

	for (i = 0; i < nkept; i++)
		if (strcmp(kept[i], value) == 0)
			return kept[i];
	kept = xrealloc(kept, (nkept + 1) * sizeof(*kept));
	kept[nkept] = xstrdup(value);
	return kept[nkept++];
}

void host_release(void)
{
	while (nkept)
		free(kept[--nkept]);
	free(kept);
	kept = NULL;
}

static const char *host_env_get(const char *key)
{
	const char *value = ctx.ef ? envfile_get(ctx.ef, key) : NULL;
	const struct awsphase_envvar *v;

	if (value && *value)
		return keep(value);
	v = declared(key);
	return v ? v->def : NULL;
}

static int host_env_set(const char *key, const char *value)
{
	const char *old = ctx.ef ? envfile_get(ctx.ef, key) : NULL;

	if (old && strcmp(old, value) == 0)
		return 0;
	if (!ctx.ef)
		return error(_("cannot record %s: this command has no env file"), key);
	if (ctx.settings->dry_run) {
		log_msg(AWSPHASE_LOG_VERBOSE, _("would write %s=%s to %s"), key, value, envfile_path(ctx.ef));
		return 0;
	}
	return envfile_set(ctx.ef, key, value);
}

static int host_env_unset(const char *key)
{
	if (!ctx.ef || !envfile_get(ctx.ef, key))
		return 0;
	if (ctx.settings->dry_run) {
		log_msg(AWSPHASE_LOG_VERBOSE, _("would remove %s from %s"), key, envfile_path(ctx.ef));
		return 0;
	}
	return envfile_unset(ctx.ef, key);
}

static int host_wait(const struct awsphase_wait *w)
{
	return wait_run(w, ctx.settings->timeout_s);
}

static int host_interrupted(void)
{
	return run_interrupted();
}

static struct awsphase_host host = {
	.struct_size = sizeof(struct awsphase_host),
	.api_version = AWSPHASE_API_VERSION,
	.log = host_log,
	.say = host_say,
	.call_new = aws_call_new,
	.call_arg = aws_call_arg,
	.call_argf = aws_call_argf,
	.call_accept = aws_call_accept,
	.call_run = aws_call_run,
	.call_run_all = aws_call_run_all,
	.call_state = aws_call_state,
	.call_json = aws_call_json,
	.call_error = aws_call_error,
	.call_message = aws_call_message,
	.call_free = aws_call_free,
	.aws = host_aws,
	.json_get = json_get,
	.json_str = json_str,
	.json_num = json_num,
	.env_get = host_env_get,
	.env_set = host_env_set,
	.env_unset = host_env_unset,
	.check = host_check,
	.table = report_table,
	.report_add = report_add,
	.wait = host_wait,
	.sleep = wait_sleep,
	.interrupted = host_interrupted,
	.http_get = http_get,
	.match = pattern_match,
	.print = host_print,
	.text = host_text,
};

const struct awsphase_host *host_init(const struct awsphase_settings *settings,
				      struct envfile *ef, const struct awsphase_envvar *vars)
{
	ctx.settings = settings;
	ctx.ef = ef;
	ctx.vars = vars;
	host.settings = settings;
	return &host;
}
