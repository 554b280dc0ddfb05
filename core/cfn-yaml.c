/* YAML out of cJSON, for CloudFormation.  Block style throughout, two
 * spaces an indent.  A string goes out plain only when a YAML 1.1 reader
 * (CloudFormation's, cfn-lint's PyYAML) reads it back as that string: no
 * word it takes for a boolean or null, nothing that looks like a number,
 * no indicator first and no ": " or " #" inside; every other string is
 * double-quoted with JSON's escapes, which YAML's double quotes accept. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfn-yaml.h"

static int looks_special(const char *s)
{
	static const char *const words[] = { "y", "yes", "n", "no", "on", "off", "true", "false",
		"null", "~", NULL };
	const char *const *w;
	char *end;

	for (w = words; *w; w++)
		if (strcasecmp(s, *w) == 0)
			return 1;
	strtod(s, &end);
	if (end != s && *end == '\0')
		return 1;
	/* 1_000, 0x1f, 0o7, 1:20 (sexagesimal), .inf, .nan: YAML 1.1 numbers */
	if (isdigit((unsigned char)*s) || ((*s == '-' || *s == '+' || *s == '.') && s[1] &&
					     (isdigit((unsigned char)s[1]) || s[1] == 'i' ||
					      s[1] == 'I' || s[1] == 'n' || s[1] == 'N')))
		return strspn(s, "0123456789_:.+-eEoxXabcdefABCDEFinfINFna") == strlen(s);
	return 0;
}

static int plain_ok(const char *s)
{
	const unsigned char *p;

	if (!*s || strchr("-?:,[]{}#&*!|>'\"%@`= ", *s) || looks_special(s))
		return 0;
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f || *p >= 0x80)
			return 0;
		if ((*p == ':' && (p[1] == ' ' || !p[1])) || (*p == '#' && p[-1] == ' '))
			return 0;
	}
	return s[strlen(s) - 1] != ' ';
}

static void scalar_str(struct strbuf *sb, const char *s)
{
	const unsigned char *p;

	if (plain_ok(s)) {
		strbuf_addstr(sb, s);
		return;
	}
	strbuf_addch(sb, '"');
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			strbuf_addf(sb, "\\%c", *p);
		else if (*p == '\n')
			strbuf_addstr(sb, "\\n");
		else if (*p == '\t')
			strbuf_addstr(sb, "\\t");
		else if (*p < 0x20 || *p == 0x7f)
			strbuf_addf(sb, "\\u%04x", *p);
		else
			strbuf_addch(sb, *p);
	}
	strbuf_addch(sb, '"');
}

static void scalar(struct strbuf *sb, const cJSON *v)
{
	if (cJSON_IsString(v))
		scalar_str(sb, v->valuestring);
	else if (cJSON_IsBool(v))
		strbuf_addstr(sb, cJSON_IsTrue(v) ? "true" : "false");
	else if (cJSON_IsNumber(v) && v->valuedouble == (double)(long long)v->valuedouble)
		strbuf_addf(sb, "%lld", (long long)v->valuedouble);
	else if (cJSON_IsNumber(v))
		strbuf_addf(sb, "%.17g", v->valuedouble);
	else if (cJSON_IsArray(v))
		strbuf_addstr(sb, "[]");
	else if (cJSON_IsObject(v))
		strbuf_addstr(sb, "{}");
	else
		strbuf_addstr(sb, "null");
}

static int nested(const cJSON *v)
{
	return (cJSON_IsArray(v) || cJSON_IsObject(v)) && v->child;
}

static void node(struct strbuf *sb, const cJSON *v, int indent, int inline_first);

/* After "key:" or "- ": a scalar on the same line, a collection below
 * (a sequence's items may start on the dash's line). */
static void value(struct strbuf *sb, const cJSON *v, int indent)
{
	if (!nested(v)) {
		strbuf_addch(sb, ' ');
		scalar(sb, v);
		strbuf_addch(sb, '\n');
		return;
	}
	strbuf_addch(sb, '\n');
	node(sb, v, indent, 0);
}

/* A collection at indent; inline_first: its first line goes where the
 * cursor is (after "- "). */
static void node(struct strbuf *sb, const cJSON *v, int indent, int inline_first)
{
	const cJSON *e;
	int first = 1;

	cJSON_ArrayForEach(e, v) {
		if (!(first && inline_first))
			strbuf_addf(sb, "%*s", indent, "");
		first = 0;
		if (cJSON_IsArray(v)) {
			strbuf_addstr(sb, "-");
			if (cJSON_IsObject(e) && e->child) {
				strbuf_addch(sb, ' ');
				node(sb, e, indent + 2, 1);
			} else {
				value(sb, e, indent + 2);
			}
		} else {
			scalar_str(sb, e->string);
			strbuf_addch(sb, ':');
			value(sb, e, indent + 2);
		}
	}
}

void cfn_yaml(struct strbuf *sb, const cJSON *doc)
{
	node(sb, doc, 0, 0);
}
