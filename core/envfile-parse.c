/* The env file's text as bash reads it: KEY=VALUE lines, quotes, escapes,
 * continuations, comments; everything bash would run or expand is refused
 * with the line and the fix. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "envfile-int.h"
#include "i18n.h"
#include "log.h"
#include "redact.h"
#include "strbuf.h"

#define MAX_LINE (64 * 1024)
#define BOM "\xEF\xBB\xBF"

struct parser {
	struct envfile *ef;
	const char *s;
	size_t len, pos;
	unsigned line;
};

static int perr(const struct parser *p, unsigned line, const char *fmt, ...) AWSPHASE_PRINTF(3, 4);

static int perr(const struct parser *p, unsigned line, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	strbuf_addf(&sb, "%s:%u: ", p->ef->path, line);
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	error("%s", sb.buf);
	strbuf_release(&sb);
	return -1;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int is_name_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int is_name_char(char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9');
}

int envfile_is_name(const char *s, size_t n)
{
	size_t i;

	if (!n || !is_name_start(s[0]))
		return 0;
	for (i = 1; i < n; i++)
		if (!is_name_char(s[i]))
			return 0;
	return 1;
}

/* Adds s for a message: at most 40 bytes, control and non-ASCII bytes as ?. */
static void add_shown(struct strbuf *sb, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < 40; i++) {
		unsigned char c = (unsigned char)s[i];

		strbuf_addch(sb, c < 0x20 || c >= 0x7f ? '?' : c);
	}
	if (n > 40)
		strbuf_addstr(sb, "...");
}

/* Length of the line end at pos: 1 for \n, 2 for \r\n, 1 for a \r that
 * ends the file (a CRLF file cut short), else 0. */
static size_t eol_len(const struct parser *p)
{
	if (p->pos < p->len && p->s[p->pos] == '\n')
		return 1;
	if (p->pos + 1 < p->len && p->s[p->pos] == '\r' && p->s[p->pos + 1] == '\n')
		return 2;
	return p->pos + 1 == p->len && p->s[p->pos] == '\r';
}

static int at_end(const struct parser *p)
{
	return p->pos >= p->len || eol_len(p);
}

static void skip_eol(struct parser *p)
{
	size_t n = eol_len(p);

	if (n) {
		p->pos += n;
		p->line++;
	}
}

static size_t skip_blanks(struct parser *p)
{
	size_t start = p->pos;

	while (p->pos < p->len && is_blank(p->s[p->pos]))
		p->pos++;
	return p->pos - start;
}

/* Why the $ at s[i] cannot be read as a literal $, or NULL when bash keeps it. */
static const char *dollar_problem(const struct parser *p, size_t i)
{
	char c = i + 1 < p->len ? p->s[i + 1] : '\0';

	if (c == '(')
		return _("command substitution $(...); write the value itself "
			 "(in single quotes if it has special characters)");
	if (c == '{' || is_name_char(c) || (c && strchr("[@*#?-$!", c)))
		return _("parameter expansion ($NAME, ${NAME}, $1, $$...); write the value itself, "
			 "or put it in single quotes to keep the $");
	return NULL;
}

static int backtick(const struct parser *p)
{
	return perr(p, p->line, _("command substitution `...`; write the value itself "
		    "(in single quotes if it has special characters)"));
}

static int single_quoted(struct parser *p, struct strbuf *v)
{
	const char *start = p->s + p->pos + 1;
	const char *end = memchr(start, '\'', p->len - p->pos - 1);
	const char *nl;

	if (!end)
		return perr(p, p->line, _("unterminated single quote; add the closing ' at the end of the value"));
	for (nl = start; (nl = memchr(nl, '\n', (size_t)(end - nl))); nl++)
		p->line++;
	strbuf_add(v, start, (size_t)(end - start));
	p->pos = (size_t)(end - p->s) + 1;
	return 0;
}

static int double_quoted(struct parser *p, struct strbuf *v)
{
	unsigned opened = p->line;
	const char *why;

	for (p->pos++; p->pos < p->len; p->pos++) {
		char c = p->s[p->pos];

		if (c == '"') {
			p->pos++;
			return 0;
		}
		if (c == '\\' && p->pos + 1 < p->len) {
			char n = p->s[p->pos + 1];
			size_t nl;

			if (n == '"' || n == '\\' || n == '$' || n == '`') {
				strbuf_addch(v, n);
				p->pos++;
				continue;
			}
			p->pos++;
			nl = eol_len(p);
			if (nl) {
				p->pos += nl - 1;
				p->line++;
				continue;
			}
			p->pos--;
		} else if (c == '$' && (why = dollar_problem(p, p->pos))) {
			return perr(p, p->line, "%s", why);
		} else if (c == '`') {
			return backtick(p);
		} else if (c == '\n') {
			p->line++;
		}
		strbuf_addch(v, c);
	}
	return perr(p, opened, _("unterminated double quote; add the closing \" at the end of the value"));
}

/* One word after KEY=, up to a blank or the line end, quotes removed. */
static int parse_value(struct parser *p, struct strbuf *v)
{
	int tilde = 1; /* bash expands ~ at the start and after ':' */
	const char *why;

	while (!at_end(p) && !is_blank(p->s[p->pos])) {
		char c = p->s[p->pos];
		int colon = 0;

		switch (c) {
		case '\'':
			if (single_quoted(p, v))
				return -1;
			break;
		case '"':
			if (double_quoted(p, v))
				return -1;
			break;
		case '\\':
			p->pos++;
			if (p->pos >= p->len)
				return perr(p, p->line, _("backslash at the end of the file; remove it"));
			if (eol_len(p)) {
				skip_eol(p);
				p->ef->open_end = p->pos >= p->len;
				continue;
			}
			strbuf_addch(v, p->s[p->pos++]);
			break;
		case '`':
			return backtick(p);
		case '$':
			if (p->pos + 1 < p->len && (p->s[p->pos + 1] == '\'' || p->s[p->pos + 1] == '"'))
				return perr(p, p->line, _("$%c...%c quoting is not supported; use plain quotes"),
					    p->s[p->pos + 1], p->s[p->pos + 1]);
			if ((why = dollar_problem(p, p->pos)))
				return perr(p, p->line, "%s", why);
			strbuf_addch(v, c);
			p->pos++;
			break;
		case ';': case '&': case '|': case '<': case '>': case '(': case ')':
			return perr(p, p->line, _("unquoted '%c' in the value (bash would run a command, "
				    "a pipe or a redirection); put the value in single quotes"), c);
		case '\r':
			return perr(p, p->line, _("a carriage return inside the value; save the file "
				    "with LF or CRLF line ends, or quote the value"));
		case '~':
			if (tilde)
				return perr(p, p->line, _("unquoted ~ at the start of a value or after ':' "
					    "is a home directory to bash; put the value in single quotes "
					    "or write the full path"));
			/* fall through */
		default:
			strbuf_addch(v, c);
			p->pos++;
			colon = c == ':';
		}
		tilde = colon;
	}
	return 0;
}

/* Says why the line at p->pos is not KEY=VALUE. */
static int not_assignment(const struct parser *p, int exported)
{
	const char *s = p->s;
	size_t w = p->pos, a;
	struct strbuf word = STRBUF_INIT;
	int rc;

	while (w < p->len && !is_blank(s[w]) && s[w] != '=' && s[w] != '\n' && s[w] != '\r')
		w++;
	for (a = w; a < p->len && is_blank(s[a]); a++)
		;
	add_shown(&word, s + p->pos, w - p->pos);
	if (w == p->pos && w < p->len && s[w] == '=')
		rc = perr(p, p->line, _("the line starts with '='; write KEY=VALUE"));
	else if (w < p->len && s[w] == '=')
		rc = perr(p, p->line, _("'%s' is not a valid key name; use letters, digits and _, "
			  "not starting with a digit"), word.buf);
	else if (a < p->len && s[a] == '=' && envfile_is_name(s + p->pos, w - p->pos))
		rc = perr(p, p->line, _("spaces around '=' (bash would run %s as a command); "
			  "write %s=VALUE with no spaces"), word.buf, word.buf);
	else if (a < p->len && s[a] == '=')
		rc = perr(p, p->line, _("'%s' is not a valid key name; use letters, digits and _, "
			  "not starting with a digit"), word.buf);
	else if (exported)
		rc = perr(p, p->line, _("export without a value; write export KEY=VALUE"));
	else
		rc = perr(p, p->line, _("not a KEY=VALUE assignment (bash would run it as a command); "
			  "fix it or comment it out with #"));
	strbuf_release(&word);
	return rc;
}

static void push(struct envfile *ef, const struct envfile_entry *e)
{
	if (ef->n == ef->alloc) {
		ef->alloc = ef->alloc ? 2 * ef->alloc : 16;
		ef->e = xrealloc(ef->e, ef->alloc * sizeof(*ef->e));
	}
	if (e->key) {
		if (ef->nkeys == ef->keys_alloc) {
			ef->keys_alloc = ef->keys_alloc ? 2 * ef->keys_alloc : 16;
			ef->keys = xrealloc(ef->keys, ef->keys_alloc * sizeof(*ef->keys));
		}
		ef->keys[ef->nkeys++] = ef->n;
	}
	ef->e[ef->n++] = *e;
}

static int parse_line(struct parser *p)
{
	struct strbuf v = STRBUF_INIT;
	struct envfile_entry e = { 0 };
	size_t k;

	e.off = p->pos;
	e.line = p->line;
	skip_blanks(p);
	if (at_end(p) || p->s[p->pos] == '#')
		goto rest;
	if (p->len - p->pos > 6 && !memcmp(p->s + p->pos, "export", 6) && is_blank(p->s[p->pos + 6])) {
		e.exported = 1;
		p->pos += 6;
		skip_blanks(p);
	}
	for (k = p->pos; k < p->len && is_name_char(p->s[k]); k++)
		;
	if (k >= p->len || p->s[k] != '=' || !envfile_is_name(p->s + p->pos, k - p->pos))
		return not_assignment(p, e.exported);
	e.key = xstrndup(p->s + p->pos, k - p->pos);
	p->pos = e.vstart = k + 1;
	if (parse_value(p, &v))
		goto fail;
	e.vend = p->pos;
	e.value = strbuf_detach(&v);
	if (skip_blanks(p) && !at_end(p) && p->s[p->pos] != '#') {
		if (e.vstart == e.vend)
			perr(p, p->line, _("spaces around '=' (bash would run the value as a command); "
			     "write %s=VALUE with no spaces"), e.key);
		else
			perr(p, p->line, _("text after the value of %s; put the value in single quotes "
			     "if it has spaces, and write one KEY=VALUE a line"), e.key);
		goto fail;
	}
rest:
	while (!at_end(p))
		p->pos++;
	skip_eol(p);
	e.len = p->pos - e.off;
	push(p->ef, &e);
	return 0;
fail:
	free(e.key);
	free(e.value);
	strbuf_release(&v);
	return -1;
}

/* NUL bytes and overlong lines, before anything is read as bash would. */
static int prescan(const struct parser *p)
{
	struct parser at = *p;
	size_t i = 0;

	if (p->len > ENVFILE_MAX_FILE)
		return error(_("%s: is %zu bytes, over the 1 MiB limit for an env file; "
			     "is it the right file?"), p->ef->path, p->len);
	for (at.line = 1; i < p->len; at.line++) {
		const char *nl = memchr(p->s + i, '\n', p->len - i);
		size_t end = nl ? (size_t)(nl - p->s) : p->len;
		size_t n = end - i;

		if (memchr(p->s + i, '\0', n))
			return perr(&at, at.line, _("NUL byte: this is a binary file, not an env file; "
				    "recreate it as text"));
		if (n && p->s[end - 1] == '\r')
			n--;
		if (n > MAX_LINE)
			return perr(&at, at.line, _("line is longer than 64 KiB; an env file holds short "
				    "KEY=VALUE lines, is it the right file?"));
		i = end + 1;
	}
	return 0;
}

struct keyline {
	const char *key;
	unsigned line;
};

static int cmp_keyline(const void *a, const void *b)
{
	const struct keyline *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : (x->line > y->line) - (x->line < y->line);
}

static int check_duplicates(const struct envfile *ef)
{
	struct keyline *k;
	size_t i, best = 0;
	int rc = 0;

	if (ef->nkeys < 2)
		return 0;
	k = xmalloc(ef->nkeys * sizeof(*k));
	for (i = 0; i < ef->nkeys; i++) {
		k[i].key = ef->e[ef->keys[i]].key;
		k[i].line = ef->e[ef->keys[i]].line;
	}
	qsort(k, ef->nkeys, sizeof(*k), cmp_keyline);
	/* the first repetition in the file: smallest second line of a key */
	for (i = 1; i < ef->nkeys; i++)
		if (!strcmp(k[i].key, k[i - 1].key) && (i < 2 || strcmp(k[i - 2].key, k[i].key)) &&
		    (!best || k[i].line < k[best].line))
			best = i;
	if (best)
		rc = error(_("%s:%u: %s is set twice (lines %u and %u); keep one"), ef->path,
			   k[best].line, k[best].key, k[best - 1].line, k[best].line);
	free(k);
	return rc;
}

/* Hands the values of secret keys to redaction, once the whole file says
 * which keys only look like secrets (AWSPHASE_NOT_SECRET, anywhere in it). */
static void register_secrets(const struct envfile *ef)
{
	const struct envfile_entry *ns = envfile_find(ef, "AWSPHASE_NOT_SECRET");
	size_t i;

	redact_not_secret(ns ? ns->value : NULL);
	for (i = 0; i < ef->n; i++) {
		const struct envfile_entry *e = &ef->e[i];

		if (e->key && redact_add_key(e->key, e->value))
			warning(_("%s:%u: %s is too short to hide in output (under %d characters), so "
				  "awsphase shows it as it is; use a longer secret, or list %s in "
				  "AWSPHASE_NOT_SECRET if it is not one"),
				ef->path, e->line, e->key, REDACT_MIN_LEN, e->key);
	}
}

int envfile_parse_into(struct envfile *ef, const char *text, size_t len)
{
	struct parser p = { ef, NULL, len, 0, 1 };

	ef->text = xmalloc(len + 1);
	if (len)
		memcpy(ef->text, text, len);
	ef->text[len] = '\0';
	ef->len = len;
	p.s = ef->text;
	if (prescan(&p))
		return -1;
	if (len >= 3 && !memcmp(p.s, BOM, 3))
		p.pos = ef->bom = 3;
	while (p.pos < p.len)
		if (parse_line(&p))
			return -1;
	if (check_duplicates(ef))
		return -1;
	register_secrets(ef);
	return 0;
}
