/* h->findings: the findings of a diagnosis, shown as checks (findings.h). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "findings.h"
#include "i18n.h"
#include "report.h"
#include "strbuf.h"

#define MAX_EVIDENCE 16
#define MAX_FIX 4

struct awsphase_finding {
	struct awsphase_finding *next;
	size_t cls;
	char *cause;
	char *evidence[MAX_EVIDENCE];
	size_t nev;
	char *fix[MAX_FIX];
	size_t nfix;
	unsigned autofix;
	const struct awsphase_finding *after;
	int fixed;
};

struct awsphase_diagnosis {
	const char *const *classes;
	size_t nclasses, n;
	struct awsphase_finding *first, **tail;
};

static char *vformat(const char *fmt, va_list ap) AWSPHASE_PRINTF(1, 0);
static char *vformat(const char *fmt, va_list ap)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_vaddf(&sb, fmt, ap);
	return strbuf_detach(&sb);
}

static struct awsphase_diagnosis *open_diagnosis(const char *const *classes)
{
	struct awsphase_diagnosis *d = xcalloc(1, sizeof(*d));

	d->classes = classes;
	while (classes && classes[d->nclasses])
		d->nclasses++;
	d->tail = &d->first;
	return d;
}

static struct awsphase_finding *finding(struct awsphase_diagnosis *d, size_t cls, const char *fmt, ...)
	AWSPHASE_PRINTF(3, 4);
static struct awsphase_finding *finding(struct awsphase_diagnosis *d, size_t cls, const char *fmt, ...)
{
	struct awsphase_finding *f = xcalloc(1, sizeof(*f));
	va_list ap;

	f->cls = cls;
	va_start(ap, fmt);
	f->cause = vformat(i18n_lookup(fmt), ap);
	va_end(ap);
	*d->tail = f;
	d->tail = &f->next;
	d->n++;
	return f;
}

static void cause(struct awsphase_finding *f, int append, const char *fmt, ...) AWSPHASE_PRINTF(3, 4);
static void cause(struct awsphase_finding *f, int append, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	if (append)
		strbuf_addstr(&sb, f->cause);
	va_start(ap, fmt);
	strbuf_vaddf(&sb, i18n_lookup(fmt), ap);
	va_end(ap);
	free(f->cause);
	f->cause = strbuf_detach(&sb);
}

static void evidence(struct awsphase_finding *f, const char *fmt, ...) AWSPHASE_PRINTF(2, 3);
static void evidence(struct awsphase_finding *f, const char *fmt, ...)
{
	va_list ap;

	if (f->nev >= MAX_EVIDENCE)
		return;
	va_start(ap, fmt);
	f->evidence[f->nev++] = vformat(i18n_lookup(fmt), ap);
	va_end(ap);
}

static void fix(struct awsphase_finding *f, const char *fmt, ...) AWSPHASE_PRINTF(2, 3);
static void fix(struct awsphase_finding *f, const char *fmt, ...)
{
	va_list ap;

	if (f->nfix >= MAX_FIX)
		return;
	va_start(ap, fmt);
	f->fix[f->nfix++] = vformat(i18n_lookup(fmt), ap);
	va_end(ap);
}

static void follows(struct awsphase_finding *f, const struct awsphase_finding *from)
{
	f->after = from;
}

static void autofix(struct awsphase_finding *f, unsigned kind)
{
	f->autofix = kind;
}

static unsigned autofix_of(const struct awsphase_finding *f)
{
	return f ? f->autofix : 0;
}

static int wants(const struct awsphase_diagnosis *d, unsigned kind)
{
	const struct awsphase_finding *f;

	for (f = d->first; f; f = f->next)
		if (kind && f->autofix == kind)
			return 1;
	return 0;
}

/* 1 when an automatic fix ends f: its own, or that of one it follows from
 * (a chain no longer than the list, should it loop). */
static int resolved(const struct awsphase_diagnosis *d, const struct awsphase_finding *f)
{
	size_t depth;

	for (depth = 0; f && depth <= d->n; f = f->after, depth++)
		if (f->autofix)
			return 1;
	return 0;
}

static cJSON *strings(char *const *v, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	size_t i;

	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
	return a;
}

static void show_one(const struct awsphase_diagnosis *d, const struct awsphase_finding *f,
		     const struct awsphase_findings_show *how, cJSON *arr)
{
	const char *name = d->classes[f->cls];
	cJSON *o;
	size_t j;

	if (how->fixing && resolved(d, f))
		report_check(name, AWSPHASE_WARN, _("%s (fixing, see below)"), f->cause);
	else
		report_check(name, AWSPHASE_FAIL, "%s", f->cause);
	for (j = 0; j < f->nev; j++)
		report_say(_("    evidence: %s"), f->evidence[j]);
	for (j = 0; j < f->nfix; j++)
		report_say(_("    fix: %s"), f->fix[j]);
	if (f->autofix && !how->fixing && how->hint)
		report_say("    %s", i18n_lookup(how->hint));
	if (f->after && !f->nfix && f->after->cls < d->nclasses)
		report_say(_("    fix: the fix of %s"), i18n_lookup(d->classes[f->after->cls]));
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "check", name);
	cJSON_AddStringToObject(o, "cause", f->cause);
	cJSON_AddItemToObject(o, "evidence", strings(f->evidence, f->nev));
	cJSON_AddItemToObject(o, "fix", strings(f->fix, f->nfix));
	cJSON_AddBoolToObject(o, "auto_fix", resolved(d, f));
	cJSON_AddItemToArray(arr, o);
}

static void show(struct awsphase_diagnosis *d, const struct awsphase_findings_show *given)
{
	struct awsphase_findings_show how = { 0 };
	cJSON *arr = cJSON_CreateArray();
	const struct awsphase_finding *f;
	size_t k;

	if (given)
		memcpy(&how, given, given->struct_size < sizeof(how) ? given->struct_size : sizeof(how));
	for (k = 0; k < d->nclasses; k++) {
		int found = 0;

		for (f = d->first; f; f = f->next) {
			if (f->cls != k)
				continue;
			found = 1;
			show_one(d, f, &how, arr);
		}
		if (!found)
			report_check(d->classes[k], AWSPHASE_OK, "%s", how.ok && how.ok[k] ? how.ok[k] : "");
	}
	report_add("problems", arr);
}

static void fixed(struct awsphase_diagnosis *d, unsigned kind)
{
	struct awsphase_finding *f;

	for (f = d->first; f; f = f->next)
		if (kind && f->autofix == kind)
			f->fixed = 1;
}

static size_t unfixed(const struct awsphase_diagnosis *d)
{
	const struct awsphase_finding *f, *p;
	size_t n = 0, depth;

	for (f = d->first; f; f = f->next) {
		for (p = f, depth = 0; p && !p->fixed && depth <= d->n; depth++)
			p = p->after;
		if (!p || !p->fixed)
			n++;
	}
	return n;
}

static void close_diagnosis(struct awsphase_diagnosis *d)
{
	struct awsphase_finding *f, *next;
	size_t j;

	if (!d)
		return;
	for (f = d->first; f; f = next) {
		next = f->next;
		free(f->cause);
		for (j = 0; j < f->nev; j++)
			free(f->evidence[j]);
		for (j = 0; j < f->nfix; j++)
			free(f->fix[j]);
		free(f);
	}
	free(d);
}

static const struct awsphase_findings services = {
	.struct_size = sizeof(struct awsphase_findings),
	.open = open_diagnosis,
	.finding = finding,
	.cause = cause,
	.evidence = evidence,
	.fix = fix,
	.follows = follows,
	.autofix = autofix,
	.autofix_of = autofix_of,
	.wants = wants,
	.show = show,
	.fixed = fixed,
	.unfixed = unfixed,
	.close = close_diagnosis,
};

const struct awsphase_findings *findings_services(void)
{
	return &services;
}
