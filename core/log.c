#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "log.h"
#include "redact.h"
#include "strbuf.h"

static int verbosity;
static int color;

void log_set_verbosity(int v)
{
	verbosity = v;
}

int log_verbosity(void)
{
	return verbosity;
}

void log_set_color(int c)
{
	color = c;
}

static int shown(int level)
{
	switch (level) {
	case AWSPHASE_LOG_ERROR:
		return 1;
	case AWSPHASE_LOG_WARN:
	case AWSPHASE_LOG_INFO:
		return verbosity >= 0;
	case AWSPHASE_LOG_VERBOSE:
		return verbosity >= 1;
	default:
		return verbosity >= 2;
	}
}

void log_vmsg(int level, const char *fmt, va_list ap)
{
	struct strbuf sb = STRBUF_INIT;
	char *safe;

	if (!shown(level))
		return;
	if (level == AWSPHASE_LOG_ERROR || level == AWSPHASE_LOG_WARN)
		strbuf_addstr(&sb, "awsphase: ");
	if (level == AWSPHASE_LOG_WARN)
		strbuf_addf(&sb, color ? "\033[33m%s\033[0m " : "%s ",
			    /* TRANSLATORS: the prefix of warnings, after "awsphase: " */
			    _("warning:"));
	strbuf_vaddf(&sb, fmt, ap);
	if (sb.len == 0 || sb.buf[sb.len - 1] != '\n')
		strbuf_addch(&sb, '\n');
	safe = redact_apply(strbuf_str(&sb));
	fflush(stdout);
	fputs(safe, stderr);
	free(safe);
	strbuf_release(&sb);
}

void log_msg(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

int error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(AWSPHASE_LOG_ERROR, fmt, ap);
	va_end(ap);
	return -1;
}

void warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(AWSPHASE_LOG_WARN, fmt, ap);
	va_end(ap);
}
