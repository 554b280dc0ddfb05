#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "action.h"
#include "aws.h"
#include "engine.h"
#include "findings.h"
#include "grid.h"
#include "guard.h"
#include "host.h"
#include "http.h"
#include "i18n.h"
#include "json.h"
#include "lock.h"
#include "log.h"
#include "logs.h"
#include "metrics.h"
#include "pattern.h"
#include "redact.h"
#include "report.h"
#include "run.h"
#include "stack.h"
#include "strbuf.h"
#include "wait.h"
#include "when.h"

static struct {
	const struct awsphase_settings *settings;
	struct envfile *ef;
	const struct awsphase_envvar *vars;
	const char *module, *action;
	unsigned api;                 /* the module's API version */
	char *command;                /* "4b deploy" */
	const char **written;         /* the module's AWSPHASE_ENV_WRITTEN keys */
	const char **keys;            /* env_keys() */
	const char *profile;
	int locked;                   /* lock() took the lock: release it */
} ctx;

/* API 2 modules' messages say where they come from: "4b deploy: …". */
static void module_vlog(int level, const char *fmt, va_list ap) AWSPHASE_PRINTF(2, 0);
static void module_vlog(int level, const char *fmt, va_list ap)
{
	struct strbuf sb = STRBUF_INIT;

	if (ctx.api < 2 || !ctx.command) {
		log_vmsg(level, fmt, ap);
		return;
	}
	strbuf_addf(&sb, "%s: ", ctx.command);
	strbuf_vaddf(&sb, fmt, ap);
	log_msg(level, "%s", strbuf_str(&sb));
	strbuf_release(&sb);
}

/* Modules link no gettext: the host looks what they say up in the awsphase
 * catalogue (their format strings are extracted with keywords, see
 * po/xgettext.sh).  print is data, not words: it is not looked up. */
static void host_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	module_vlog(level, i18n_lookup(fmt), ap);
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

static void host_verdict(int as_check, const char *name, enum awsphase_status status,
			 const char *fmt, ...)
{
	static const int level[] = { AWSPHASE_LOG_VERBOSE, AWSPHASE_LOG_ERROR, AWSPHASE_LOG_WARN,
				     AWSPHASE_LOG_VERBOSE };
	va_list ap;

	va_start(ap, fmt);
	if (as_check)
		report_vcheck(name, status, i18n_lookup(fmt), ap);
	else
		module_vlog(level[status <= AWSPHASE_INFO ? status : AWSPHASE_FAIL], i18n_lookup(fmt), ap);
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

static void host_catf(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strnlen(buf, size);
	va_list ap;

	if (len + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
}

static void host_call_args(struct awsphase_call *call, ...)
{
	const char *arg;
	va_list ap;

	va_start(ap, call);
	while ((arg = va_arg(ap, const char *)))
		aws_call_arg(call, arg);
	va_end(ap);
}

static const struct awsphase_envvar *declared(const char *key)
{
	const struct awsphase_envvar *v;

	for (v = ctx.vars; v && v->key; v++)
		if (strcmp(v->key, key) == 0)
			return v;
	for (v = stack_keys; v->key; v++) /* the host's own, every phase's */
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
	if (ctx.locked)
		lock_release();
	ctx.locked = 0;
	argfile_release();
	while (nkept)
		free(kept[--nkept]);
	free(kept);
	kept = NULL;
	free(ctx.written);
	free(ctx.keys);
	free(ctx.command);
	ctx.written = NULL;
	ctx.keys = NULL;
	ctx.command = NULL;
}

/* awsphase plan: what earlier phases would write, as "<KEY>" placeholders:
 * pairs of key and value, NULL-terminated; the keys alone. */
static char **overlay;
static size_t noverlay;
static const char **overlay_keys;

void host_overlay_set(const char *key, const char *value)
{
	size_t i;

	for (i = 0; i < noverlay; i += 2)
		if (strcmp(overlay[i], key) == 0)
			return;
	overlay = xrealloc(overlay, (noverlay + 3) * sizeof(*overlay));
	overlay[noverlay++] = xstrdup(key);
	overlay[noverlay++] = xstrdup(value);
	overlay[noverlay] = NULL;
	overlay_keys = xrealloc(overlay_keys, (noverlay / 2 + 1) * sizeof(*overlay_keys));
	for (i = 0; i < noverlay; i += 2)
		overlay_keys[i / 2] = overlay[i];
	overlay_keys[noverlay / 2] = NULL;
}

const char *host_overlay_get(const char *key)
{
	size_t i;

	for (i = 0; i < noverlay; i += 2)
		if (strcmp(overlay[i], key) == 0)
			return overlay[i + 1];
	return NULL;
}

const char *const *host_overlay_keys(void)
{
	static const char *const none[] = { NULL };

	return overlay_keys ? overlay_keys : none;
}

int host_planned(const char *text)
{
	size_t i;

	for (i = 1; text && i < noverlay; i += 2)
		if (strstr(text, overlay[i]))
			return 1;
	return 0;
}

void host_overlay_clear(void)
{
	while (noverlay)
		free(overlay[--noverlay]);
	free(overlay);
	free(overlay_keys);
	overlay = NULL;
	overlay_keys = NULL;
}

static const char *host_env_get(const char *key)
{
	const char *value = ctx.ef ? envfile_get(ctx.ef, key) : NULL;
	const struct awsphase_envvar *v;
	const char *kept_name;
	char *name;

	if ((!value || !*value) && host_overlay_get(key))
		return host_overlay_get(key);
	if (value && *value)
		return keep(value);
	v = declared(key);
	if (!v || !(name = stack_expand(v->def, stack_value(ctx.ef))))
		return v ? v->def : NULL;
	kept_name = keep(name); /* "{STACK}-alb" → "kaviar-staging-alb" */
	free(name);
	return kept_name;
}

int host_env_set_many(const char *const *kv)
{
	size_t i;

	if (!kv || !kv[0])
		return 0;
	if (!ctx.ef)
		return error(_("cannot record %s: this command has no env file"), kv[0]);
	if (ctx.settings->dry_run) {
		for (i = 0; kv[i]; i += 2)
			if (kv[i + 1])
				log_msg(AWSPHASE_LOG_VERBOSE, _("would write %s=%s to %s"), kv[i], kv[i + 1],
					envfile_path(ctx.ef));
			else
				log_msg(AWSPHASE_LOG_VERBOSE, _("would remove %s from %s"), kv[i],
					envfile_path(ctx.ef));
		return 0;
	}
	return envfile_set_many(ctx.ef, kv);
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

/* The action still ends as the signal says (action.c: 128 + it). */
static int host_cleanup(double seconds)
{
	int was = run_resume();

	run_extend_deadline(seconds);
	if (was)
		log_msg(AWSPHASE_LOG_VERBOSE, _("interrupted: stopping what this run started first"));
	return was;
}

/* ---- API 2 ---- */

static int host_confirm(const char *text, const char *question)
{
	char answer[32];

	if (!isatty(STDIN_FILENO))
		return -1;
	/* on stderr, where the prompt is: stdout may be --output json */
	fprintf(stderr, "%s%s", text ? text : "", question ? question : "");
	fflush(stderr);
	if (!fgets(answer, sizeof(answer), stdin))
		return 0;
	answer[strcspn(answer, "\r\n")] = '\0';
	return strcmp(answer, "yes") == 0 || strcmp(answer, "y") == 0;
}

int host_ask(const char *text)
{
	int rc = host_confirm(text, _("Type yes to delete them: "));

	return rc > 0;
}

static const char *const *host_env_keys(void)
{
	size_t i, n = ctx.ef ? envfile_count(ctx.ef) : 0;

	free(ctx.keys);
	ctx.keys = xcalloc(n + 1, sizeof(*ctx.keys));
	for (i = 0; i < n; i++)
		ctx.keys[i] = keep(envfile_key_at(ctx.ef, i));
	return ctx.keys;
}

static int host_env_in_file(const char *key)
{
	size_t i, n = ctx.ef ? envfile_count(ctx.ef) : 0;

	for (i = 0; key && i < n; i++)
		if (strcmp(envfile_key_at(ctx.ef, i), key) == 0)
			return 1;
	return 0;
}

static const char *host_textc(const char *context, const char *msgid)
{
	return engine_text_for(context, msgid);
}

static const char *host_textn(const char *msgid, const char *plural, unsigned long n)
{
#ifdef ENABLE_NLS
	return ngettext(msgid, plural, n);
#else
	return n == 1 ? msgid : plural;
#endif
}

static int host_cmdline(char *buf, size_t size, const char *service, const char *operation,
			const char *const *args)
{
	struct strbuf sb = STRBUF_INIT;
	int len;

	strbuf_addf(&sb, "aws %s %s", service, operation);
	for (; args && *args; args++) {
		strbuf_addch(&sb, ' ');
		strbuf_add_shell_quoted(&sb, *args);
	}
	if (ctx.settings && ctx.settings->region) {
		strbuf_addstr(&sb, " --region ");
		strbuf_add_shell_quoted(&sb, ctx.settings->region);
	}
	if (ctx.profile) {
		strbuf_addstr(&sb, " --profile ");
		strbuf_add_shell_quoted(&sb, ctx.profile);
	}
	len = (int)sb.len;
	if (size)
		snprintf(buf, size, "%s", strbuf_str(&sb));
	strbuf_release(&sb);
	return (size_t)len < size ? len : -1;
}

static int host_metrics(const struct awsphase_metric *const *metrics, int minutes, int period,
			const char *heading)
{
	return metrics_show(ctx.settings, metrics, minutes, period, heading);
}

static int host_lock(void)
{
	int rc;

	if (ctx.locked || ctx.settings->dry_run)
		return 0;
	rc = action_lock();
	ctx.locked = rc == 0;
	/* a read-only action about to change things after all: the guard
	 * refuses now what it only warned about */
	if (!rc)
		rc = guard_lock();
	return rc;
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
	.settings_size = sizeof(struct awsphase_settings),
	.confirm = host_confirm,
	.env_keys = host_env_keys,
	.textc = host_textc,
	.textn = host_textn,
	.cmdline = host_cmdline,
	.json_time = when_json,
	.now = when_now,
	.duration = when_duration,
	.format_time = when_format,
	.planned = host_planned,
	.excerpt = when_excerpt,
	.logs_tail = logs_tail,
	.metrics = host_metrics,
	.grid_new = grid_new,
	.grid_put = grid_put,
	.grid_show = grid_show,
	.lock = host_lock,
	.more_time = run_extend_deadline,
	.json_find = json_find,
	.json_count = json_count,
	.call_args = host_call_args,
	.json_same_pairs = json_same_pairs,
	.grid_json = grid_json,
	.catf = host_catf,
	.env_in_file = host_env_in_file,
	.verdict = host_verdict,
	.json_same_set = json_same_set,
	.secret_key = redact_key_is_secret,
	.call_arg_file = host_call_arg_file,
	.cleanup = host_cleanup,
	.pattern_why = pattern_why,
	.caller_identity = guard_identity,
};

const struct awsphase_host *host_init(const struct awsphase_settings *settings,
				      struct envfile *ef, const struct awsphase_envvar *vars)
{
	const struct awsphase_envvar *v;
	size_t n = 0;

	ctx.settings = settings;
	ctx.ef = ef;
	ctx.vars = vars;
	free(ctx.written);
	for (v = vars; v && v->key; v++)
		n++;
	ctx.written = xcalloc(n + 1, sizeof(*ctx.written));
	n = 0;
	for (v = vars; v && v->key; v++)
		if (v->flags & AWSPHASE_ENV_WRITTEN)
			ctx.written[n++] = v->key;
	host.settings = settings;
	host.engine = engine_services();
	host.findings = findings_services();
	return &host;
}

void host_bind(const char *module, const char *action, unsigned api_version, const char *profile)
{
	struct strbuf sb = STRBUF_INIT;

	ctx.module = module;
	ctx.action = action;
	ctx.api = api_version;
	ctx.profile = profile;
	free(ctx.command);
	strbuf_addf(&sb, "%s %s", module ? module : "", action ? action : "");
	ctx.command = strbuf_detach(&sb);
}

const struct awsphase_host *host_get(void)
{
	return &host;
}

const char *host_module_name(void)
{
	return ctx.module ? ctx.module : "awsphase";
}

const char *host_command(void)
{
	return ctx.command ? ctx.command : host_module_name();
}

const char *const *host_written_keys(void)
{
	return ctx.written;
}
