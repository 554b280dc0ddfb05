/* What differs about a resource, in English and in the user's language
 * (spec.h, struct p4b_why). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "spec.h"

void p4b_why_reset(struct p4b_why *w)
{
	w->en[0] = '\0';
	w->shown[0] = '\0';
}

static void append(char *list, size_t size, const char *fmt, va_list ap) AWSPHASE_PRINTF(3, 0);

static void append(char *list, size_t size, const char *fmt, va_list ap)
{
	size_t len = strlen(list);

	if (len + 8 >= size)
		return;
	if (len)
		len += (size_t)snprintf(list + len, size - len, ", ");
	vsnprintf(list + len, size - len, fmt, ap);
}

void p4b_why_add(const struct awsphase_host *h, struct p4b_why *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	append(w->en, sizeof(w->en), fmt, ap);
	va_end(ap);
	va_start(ap, fmt);
	append(w->shown, sizeof(w->shown), h->text(fmt), ap);
	va_end(ap);
}
