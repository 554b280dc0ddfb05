#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "log.h"
#include "redact.h"
#include "report.h"
#include "strbuf.h"

static struct {
	char *command;
	int json, tty, color, quiet;
	int failed;
	cJSON *checks;
	cJSON *extra;
} current;

void report_begin(const char *command, int json, int tty, int color, int quiet)
{
	free(current.command);
	current.command = xstrdup(command);
	current.json = json;
	current.tty = tty;
	current.color = color;
	current.quiet = quiet;
	current.failed = 0;
	cJSON_Delete(current.checks);
	cJSON_Delete(current.extra);
	current.checks = cJSON_CreateArray();
	current.extra = cJSON_CreateObject();
}

static void emit(FILE *f, const char *text)
{
	char *safe = redact_apply(text);

	fputs(safe, f);
	free(safe);
}

/* Hides secrets in every string of a document, keys included, before it
 * is serialised: numbers, booleans and the JSON syntax stay as they are. */
static void redact_tree(cJSON *node)
{
	cJSON *c;

	for (; node; node = node->next) {
		if (node->string) {
			char *safe = redact_apply(node->string);

			if (strcmp(safe, node->string) && !(node->type & cJSON_StringIsConst)) {
				cJSON_free(node->string);
				node->string = safe;
			} else {
				free(safe);
			}
		}
		if (cJSON_IsString(node) && node->valuestring) {
			char *safe = redact_apply(node->valuestring);

			cJSON_SetValuestring(node, safe);
			free(safe);
		}
		c = node->child;
		if (c)
			redact_tree(c);
	}
}

/* The document, secrets hidden, on stdout. */
static void print_doc(cJSON *doc)
{
	char *text;

	redact_tree(doc);
	text = cJSON_Print(doc);
	if (text) {
		fputs(text, stdout);
		fputc('\n', stdout);
	}
	cJSON_free(text);
}

static const char *const marks_tty[] = { "✅", "❌", "⚠️ ", "ℹ️ " };
static const char *const marks_plain[] = { "[ok]  ", "[FAIL]", "[warn]", "[info]" };
static const char *const status_names[] = { "ok", "fail", "warn", "info" };

void report_vcheck(const char *name, enum awsphase_status status, const char *fmt, va_list ap)
{
	struct strbuf detail = STRBUF_INIT, line = STRBUF_INIT;
	unsigned s = (unsigned)status < 4 ? (unsigned)status : AWSPHASE_INFO;

	strbuf_vaddf(&detail, fmt ? fmt : "", ap);
	if (s == AWSPHASE_FAIL)
		current.failed++;
	if (current.json) {
		cJSON *c = cJSON_CreateObject();

		cJSON_AddStringToObject(c, "name", name);
		cJSON_AddBoolToObject(c, "ok", s != AWSPHASE_FAIL);
		cJSON_AddStringToObject(c, "status", status_names[s]);
		cJSON_AddStringToObject(c, "detail", strbuf_str(&detail));
		cJSON_AddItemToArray(current.checks, c);
	} else {
		/* the name is a key under --output json, words of the user's
		 * language in text */
		strbuf_addf(&line, "%s %s", current.tty ? marks_tty[s] : marks_plain[s], i18n_lookup(name));
		if (detail.len)
			strbuf_addf(&line, ": %s", strbuf_str(&detail));
		strbuf_addch(&line, '\n');
		emit(stdout, strbuf_str(&line));
	}
	strbuf_release(&detail);
	strbuf_release(&line);
}

void report_check(const char *name, enum awsphase_status status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_vcheck(name, status, fmt, ap);
	va_end(ap);
}

void report_vsay(const char *fmt, va_list ap)
{
	if (!current.quiet)
		report_vprint(fmt, ap);
}

void report_vprint(const char *fmt, va_list ap)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_vaddf(&sb, fmt, ap);
	if (!sb.len || sb.buf[sb.len - 1] != '\n')
		strbuf_addch(&sb, '\n');
	/* under --output json stdout holds only the document */
	emit(current.json ? stderr : stdout, strbuf_str(&sb));
	strbuf_release(&sb);
}

void report_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_vsay(fmt, ap);
	va_end(ap);
}

size_t report_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t w = 0;

	while (*p) {
		if (*p < 0x80) {
			w++;
			p++;
		} else {
			size_t n = *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : 2;

			w += n == 4 ? 2 : 1;  /* emoji and other astral symbols are wide */
			while (n-- && *p)
				p++;
		}
	}
	return w;
}

static void pad(struct strbuf *sb, const char *s, size_t width)
{
	size_t w = report_width(s);

	strbuf_addstr(sb, s);
	while (w++ < width)
		strbuf_addch(sb, ' ');
}

void report_table(const char *title, const char *const *headers, const char *const *cells, size_t rows)
{
	struct strbuf sb = STRBUF_INIT;
	size_t ncols = 0, i, j, *width;
	const char **shown;

	while (headers[ncols])
		ncols++;
	if (current.json) {
		cJSON *arr = cJSON_CreateArray();

		for (i = 0; i < rows; i++) {
			cJSON *row = cJSON_CreateObject();

			for (j = 0; j < ncols; j++) {
				const char *c = cells[i * ncols + j];

				if (c)
					cJSON_AddStringToObject(row, headers[j], c);
				else
					cJSON_AddNullToObject(row, headers[j]);
			}
			cJSON_AddItemToArray(arr, row);
		}
		report_add(title, arr);
		return;
	}
	/* title and headers are keys under --output json (above), words of
	 * the user's language in text */
	shown = xcalloc(ncols, sizeof(*shown));
	for (j = 0; j < ncols; j++)
		shown[j] = i18n_lookup(headers[j]);
	headers = shown;
	width = xcalloc(ncols, sizeof(*width));
	for (j = 0; j < ncols; j++)
		width[j] = report_width(headers[j]);
	for (i = 0; i < rows; i++)
		for (j = 0; j < ncols; j++) {
			const char *c = cells[i * ncols + j];
			size_t w = report_width(c ? c : "-");

			if (w > width[j])
				width[j] = w;
		}
	if (title && *title)
		strbuf_addf(&sb, current.tty && current.color ? "\033[1m%s\033[0m\n" : "%s\n", i18n_lookup(title));
	for (j = 0; j < ncols; j++) {
		if (j)
			strbuf_addstr(&sb, "  ");
		if (j + 1 < ncols)
			pad(&sb, headers[j], width[j]);
		else
			strbuf_addstr(&sb, headers[j]);
	}
	strbuf_addch(&sb, '\n');
	for (j = 0; j < ncols; j++) {
		size_t k;

		if (j)
			strbuf_addstr(&sb, "  ");
		for (k = 0; k < width[j]; k++)
			strbuf_addstr(&sb, current.tty ? "─" : "-");
	}
	strbuf_addch(&sb, '\n');
	if (!rows)
		strbuf_addf(&sb, "%s\n", _("(none)"));
	for (i = 0; i < rows; i++) {
		for (j = 0; j < ncols; j++) {
			const char *c = cells[i * ncols + j];

			if (j)
				strbuf_addstr(&sb, "  ");
			if (j + 1 < ncols)
				pad(&sb, c ? c : "-", width[j]);
			else
				strbuf_addstr(&sb, c ? c : "-");
		}
		strbuf_addch(&sb, '\n');
	}
	emit(stdout, strbuf_str(&sb));
	strbuf_release(&sb);
	free(width);
	free(shown);
}

void report_add(const char *key, cJSON *value)
{
	if (!current.extra)
		current.extra = cJSON_CreateObject();
	if (cJSON_GetObjectItemCaseSensitive(current.extra, key))
		cJSON_ReplaceItemInObjectCaseSensitive(current.extra, key, value);
	else
		cJSON_AddItemToObject(current.extra, key, value);
}

/* report_collect's documents, when on. */
static cJSON *collected;

void report_collect(int on)
{
	if (on && !collected)
		collected = cJSON_CreateArray();
	else if (!on) {
		cJSON_Delete(collected);
		collected = NULL;
	}
}

/* A reader that went away (EPIPE: `| head`) is not an error to report:
 * main exits 141, as the SIGPIPE a shell expects. */
static int stdout_failed(void)
{
	if (errno == EPIPE)
		return -1;
	return error(_("cannot write to standard output"));
}

int report_print_collected(const char *command, int exit_code, const char *key)
{
	cJSON *doc = cJSON_CreateObject();
	int rc = 0;

	cJSON_AddStringToObject(doc, "command", command);
	cJSON_AddBoolToObject(doc, "ok", exit_code == 0);
	cJSON_AddNumberToObject(doc, "exit_code", exit_code);
	cJSON_AddItemToObject(doc, key, collected ? collected : cJSON_CreateArray());
	collected = NULL;
	print_doc(doc);
	cJSON_Delete(doc);
	if (fflush(stdout) != 0 || ferror(stdout))
		rc = stdout_failed();
	return rc;
}

int report_finish(int exit_code)
{
	int rc = 0;

	if (current.json && current.command) {
		cJSON *doc = cJSON_CreateObject();
		cJSON *item;

		cJSON_AddStringToObject(doc, "command", current.command);
		cJSON_AddBoolToObject(doc, "ok", exit_code == 0 && current.failed == 0);
		cJSON_AddNumberToObject(doc, "exit_code", exit_code);
		cJSON_AddItemToObject(doc, "checks", current.checks);
		current.checks = NULL;
		while (current.extra && current.extra->child) {
			item = cJSON_DetachItemViaPointer(current.extra, current.extra->child);
			cJSON_AddItemToObject(doc, item->string, item);
		}
		if (collected) {
			cJSON_AddItemToArray(collected, doc);
		} else {
			print_doc(doc);
			cJSON_Delete(doc);
		}
	}
	if (fflush(stdout) != 0 || ferror(stdout))
		rc = stdout_failed();
	cJSON_Delete(current.checks);
	cJSON_Delete(current.extra);
	free(current.command);
	memset(&current, 0, sizeof(current));
	return rc;
}
