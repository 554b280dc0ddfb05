/* aws-resources.env, read as bash reads it and kept byte for byte, so that an
 * update changes only the value it replaces.  Each line (a line continued
 * with a backslash or an open quote counts as one) is an entry that remembers
 * where its value sits in the text. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "envfile.h"
#include "i18n.h"
#include "log.h"
#include "pattern.h"
#include "redact.h"
#include "strbuf.h"

#define MAX_FILE (1024 * 1024)
#define MAX_LINE (64 * 1024)
#define BOM "\xEF\xBB\xBF"

struct entry {
	char *key;              /* NULL on blank and comment lines */
	char *value;
	size_t off, len;        /* the raw bytes in text, line end(s) included */
	size_t vstart, vend;    /* the value as written, quotes included */
	unsigned line;
	int exported;
};

struct envfile {
	char *path;
	int has_file;           /* from envfile_load: updates are written to path */
	int on_disk;            /* the file existed when read; st is its stat */
	struct stat st;
	char *text;             /* the bytes read, NUL-terminated */
	size_t len, bom;
	int open_end;           /* the last line ends in a backslash-newline */
	struct entry *e;
	size_t n, alloc;
	size_t *keys;           /* indexes of the assignments in e, file order */
	size_t nkeys, keys_alloc;
};

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

static int is_name(const char *s, size_t n)
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
	else if (a < p->len && s[a] == '=' && is_name(s + p->pos, w - p->pos))
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

static void push(struct envfile *ef, const struct entry *e)
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
	struct entry e = { 0 };
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
	if (k >= p->len || p->s[k] != '=' || !is_name(p->s + p->pos, k - p->pos))
		return not_assignment(p, e.exported);
	e.key = xstrndup(p->s + p->pos, k - p->pos);
	p->pos = e.vstart = k + 1;
	if (parse_value(p, &v))
		goto fail;
	e.vend = p->pos;
	e.value = strbuf_detach(&v);
	if (redact_key_is_secret(e.key))
		redact_add(e.value);
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

	if (p->len > MAX_FILE)
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

static int parse_into(struct envfile *ef, const char *text, size_t len)
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
	return check_duplicates(ef);
}

static struct envfile *ef_new(const char *name)
{
	struct envfile *ef = xcalloc(1, sizeof(*ef));

	ef->path = xstrdup(name);
	return ef;
}

static void ef_clear(struct envfile *ef)
{
	size_t i;

	for (i = 0; i < ef->n; i++) {
		free(ef->e[i].key);
		free(ef->e[i].value);
	}
	free(ef->e);
	free(ef->keys);
	free(ef->text);
}

void envfile_free(struct envfile *ef)
{
	if (!ef)
		return;
	ef_clear(ef);
	free(ef->path);
	free(ef);
}

/* Moves src's content into dst (keeping dst's path) and frees src. */
static void ef_take(struct envfile *dst, struct envfile *src)
{
	char *path = dst->path;
	int has_file = dst->has_file;

	ef_clear(dst);
	free(src->path);
	*dst = *src;
	dst->path = path;
	dst->has_file = has_file;
	free(src);
}

struct envfile *envfile_parse(const char *name, const char *text, size_t len)
{
	struct envfile *ef = ef_new(name);

	if (parse_into(ef, text, len)) {
		envfile_free(ef);
		return NULL;
	}
	return ef;
}

static const char *file_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return _("a directory");
	if (S_ISFIFO(mode))
		return _("a FIFO");
	if (S_ISCHR(mode))
		return _("a character device");
	if (S_ISBLK(mode))
		return _("a block device");
	if (S_ISSOCK(mode))
		return _("a socket");
	return _("not a regular file");
}

/* Reads path into sb; *exists = 0 (and returns 0) for a missing file when
 * missing_ok.  Refuses anything but a regular file before reading it. */
static int read_env(const char *path, int missing_ok, struct strbuf *sb,
		    struct stat *st, int *exists)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	int rc = -1;

	*exists = 1;
	if (fd < 0 && errno == ENOENT && missing_ok) {
		*exists = 0;
		return 0;
	}
	if (fd < 0 && errno == ENOENT)
		return error(_("%s: %s; create it (see aws-resources.env.example) or pass --env-file PATH"),
			     path, strerror(errno));
	if (fd < 0)
		return error(_("%s: cannot open: %s; check the path and its permissions"), path, strerror(errno));
	if (fstat(fd, st)) {
		error(_("%s: cannot stat: %s"), path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st->st_mode)) {
		error(_("%s: is %s, not a regular file; point --env-file at the env file itself"),
		      path, file_kind(st->st_mode));
		goto out;
	}
	if (st->st_size > MAX_FILE) {
		error(_("%s: is %lld bytes, over the 1 MiB limit for an env file; is it the right file?"),
		      path, (long long)st->st_size);
		goto out;
	}
	for (;;) {
		ssize_t n;

		strbuf_grow(sb, 65536);
		n = read(fd, sb->buf + sb->len, sb->alloc - sb->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error(_("%s: cannot read: %s; check the file and its permissions"), path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		sb->len += (size_t)n;
		sb->buf[sb->len] = '\0';
		if (sb->len > MAX_FILE) {
			error(_("%s: is over the 1 MiB limit for an env file; is it the right file?"), path);
			goto out;
		}
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

struct envfile *envfile_load(const char *path, int missing_ok)
{
	struct strbuf sb = STRBUF_INIT;
	struct envfile *ef;
	struct stat st;
	int exists;

	if (read_env(path, missing_ok, &sb, &st, &exists)) {
		strbuf_release(&sb);
		return NULL;
	}
	ef = ef_new(path);
	ef->has_file = 1;
	ef->on_disk = exists;
	if (exists)
		ef->st = st;
	if (parse_into(ef, strbuf_str(&sb), sb.len)) {
		envfile_free(ef);
		ef = NULL;
	}
	strbuf_release(&sb);
	return ef;
}

const char *envfile_path(const struct envfile *ef)
{
	return ef->path;
}

static const struct entry *find(const struct envfile *ef, const char *key)
{
	size_t i;

	for (i = 0; i < ef->nkeys; i++)
		if (!strcmp(ef->e[ef->keys[i]].key, key))
			return &ef->e[ef->keys[i]];
	return NULL;
}

const char *envfile_get(const struct envfile *ef, const char *key)
{
	const struct entry *e = find(ef, key);

	return e ? e->value : NULL;
}

unsigned envfile_line(const struct envfile *ef, const char *key)
{
	const struct entry *e = find(ef, key);

	return e ? e->line : 0;
}

size_t envfile_count(const struct envfile *ef)
{
	return ef->nkeys;
}

const char *envfile_key_at(const struct envfile *ef, size_t i)
{
	return i < ef->nkeys ? ef->e[ef->keys[i]].key : NULL;
}

/* A value for a message: *** for secrets, else at most 80 bytes, controls as ?. */
static void add_value_shown(struct strbuf *sb, const char *key, const char *value)
{
	size_t i, n = strlen(value);

	if (redact_key_is_secret(key)) {
		strbuf_addstr(sb, "***");
		return;
	}
	for (i = 0; i < n && i < 80; i++) {
		unsigned char c = (unsigned char)value[i];

		strbuf_addch(sb, c < 0x20 || c == 0x7f ? '?' : c);
	}
	if (n > 80)
		strbuf_addstr(sb, "...");
}

int envfile_validate(const struct envfile *ef, const struct awsphase_envvar *vars)
{
	const struct awsphase_envvar *v;
	struct strbuf sb = STRBUF_INIT;
	int problems = 0;

	for (v = vars; v && v->key; v++) {
		const struct entry *e = find(ef, v->key);
		int rc = 0;

		strbuf_reset(&sb);
		if (!e || !*e->value) {
			if (!(v->flags & AWSPHASE_ENV_REQUIRED))
				continue;
			if (e)
				strbuf_addf(&sb, _("%s:%u: %s is empty; set %s=…"), ef->path, e->line, v->key, v->key);
			else
				strbuf_addf(&sb, _("%s: %s is missing; add %s=…"), ef->path, v->key, v->key);
			if (v->help)
				strbuf_addf(&sb, " (%s)", i18n_lookup(v->help));
			error("%s", sb.buf);
			problems++;
			continue;
		}
		if (!v->pattern || (rc = pattern_full_match(v->pattern, e->value)) == 1)
			continue;
		problems++;
		if (rc < 0)
			continue; /* a bad pattern, reported */
		strbuf_addf(&sb, "%s:%u: %s: '", ef->path, e->line, v->key);
		add_value_shown(&sb, v->key, e->value);
		if (v->help)
			strbuf_addf(&sb, _("' is not %s (pattern %s); fix the value"), i18n_lookup(v->help),
				    v->pattern);
		else
			strbuf_addf(&sb, _("' does not match the pattern %s; fix the value"), v->pattern);
		error("%s", sb.buf);
	}
	strbuf_release(&sb);
	return problems;
}

char *envfile_render(const struct envfile *ef, size_t *len)
{
	char *s = xmalloc(ef->len + 1);

	memcpy(s, ef->text, ef->len + 1);
	if (len)
		*len = ef->len;
	return s;
}

/* The last operation on key in kv, or NULL. */
static const char *const *last_op(const char *const *kv, const char *key)
{
	const char *const *op, *const *last = NULL;

	for (op = kv; *op; op += 2)
		if (!strcmp(*op, key))
			last = op;
	return last;
}

/* The text after applying kv (value NULL: remove the key). */
static char *render_ops(const struct envfile *ef, const char *const *kv, size_t *len)
{
	const char *nl = memchr(ef->text, '\n', ef->len);
	const char *eol = nl && nl > ef->text && nl[-1] == '\r' ? "\r\n" : "\n";
	struct strbuf sb = STRBUF_INIT;
	const char *const *op;
	int exported = ef->nkeys > 0, continued = 0;
	size_t i;

	strbuf_add(&sb, ef->text, ef->bom);
	for (i = 0; i < ef->n; i++) {
		const struct entry *e = &ef->e[i];

		op = e->key ? last_op(kv, e->key) : NULL;
		exported &= !e->key || e->exported;
		if (!op) {
			strbuf_add(&sb, ef->text + e->off, e->len);
			continued = ef->open_end && i == ef->n - 1;
		} else if (op[1]) {
			strbuf_add(&sb, ef->text + e->off, e->vstart - e->off);
			strbuf_add_shell_quoted(&sb, op[1]);
			strbuf_add(&sb, ef->text + e->vend, e->off + e->len - e->vend);
		}
	}
	for (op = kv; *op; op += 2) {
		if (!op[1] || find(ef, *op) || last_op(kv, *op) != op)
			continue;
		/* a line end, also to close a continuation that would take the new line in */
		if (sb.len > ef->bom && sb.buf[sb.len - 1] == '\r')
			strbuf_addch(&sb, '\n');
		else if (sb.len > ef->bom && sb.buf[sb.len - 1] != '\n')
			strbuf_addstr(&sb, eol);
		if (continued)
			strbuf_addstr(&sb, eol);
		continued = 0;
		strbuf_addf(&sb, "%s%s=", exported ? "export " : "", *op);
		strbuf_add_shell_quoted(&sb, op[1]);
		strbuf_addstr(&sb, eol);
	}
	*len = sb.len;
	return strbuf_detach(&sb);
}

/* 1 when fresh reads back as old with kv applied: the same keys in the same
 * order with the same values, but for the ones kv sets, removes or appends. */
static int reads_back(const struct envfile *old, const struct envfile *fresh, const char *const *kv)
{
	const char *const *op;
	const struct entry *f;
	size_t i, j = 0;

	for (i = 0; i < old->nkeys; i++) {
		const struct entry *o = &old->e[old->keys[i]];

		op = last_op(kv, o->key);
		if (op && !op[1])
			continue;
		if (j >= fresh->nkeys)
			return 0;
		f = &fresh->e[fresh->keys[j++]];
		if (strcmp(f->key, o->key) || strcmp(f->value, op ? op[1] : o->value))
			return 0;
	}
	for (op = kv; *op; op += 2) {
		if (!op[1] || find(old, *op) || last_op(kv, *op) != op)
			continue;
		if (j >= fresh->nkeys)
			return 0;
		f = &fresh->e[fresh->keys[j++]];
		if (strcmp(f->key, *op) || strcmp(f->value, op[1]))
			return 0;
	}
	return j == fresh->nkeys;
}

static int changed_on_disk(const struct envfile *ef)
{
	struct stat st;

	if (stat(ef->path, &st))
		return ef->on_disk || errno != ENOENT;
	return !ef->on_disk || st.st_ino != ef->st.st_ino || st.st_dev != ef->st.st_dev ||
	       st.st_size != ef->st.st_size || st.st_mtim.tv_sec != ef->st.st_mtim.tv_sec ||
	       st.st_mtim.tv_nsec != ef->st.st_mtim.tv_nsec;
}

/* The path to replace: a symlink's target, so that the link stays. */
static char *write_target(const char *path)
{
	char *real = realpath(path, NULL);
	struct stat st;
	int e = errno;

	if (real)
		return real;
	if (e == ENOENT && lstat(path, &st) && errno == ENOENT)
		return xstrdup(path);
	if (e == ENOENT && S_ISLNK(st.st_mode))
		error(_("%s: is a symlink to a missing file; create the target or remove the link"), path);
	else
		error(_("%s: cannot resolve the path: %s"), path, strerror(e));
	return NULL;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Temp files are .NAME.PID.XXXXXX.  One whose writer is gone (killed between
 * mkostemp and rename: SIGKILL, a crash) would stay forever, a copy of the
 * file and its secrets; the next write removes it.  A live writer's is left
 * alone. */
static void remove_stale_temps(const char *dir, const char *base)
{
	DIR *d = opendir(dir);
	size_t blen = strlen(base);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		const char *p = e->d_name;
		char *end;
		long pid;

		if (p[0] != '.' || strncmp(p + 1, base, blen) != 0 || p[1 + blen] != '.')
			continue;
		p += blen + 2;
		errno = 0;
		pid = strtol(p, &end, 10);
		if (errno || end == p || pid <= 0 || *end != '.' || strlen(end + 1) != 6 ||
		    pid == (long)getpid())
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) == 0)
			log_msg(AWSPHASE_LOG_VERBOSE, _("%s/%s: removed, left by process %ld, which is gone"),
				dir, e->d_name, pid);
	}
	closedir(d);
}

/* Replaces path with text: a temp file in the same folder, fsync, the old
 * mode (0600 when new), rename over, fsync of the folder.  *st is the new
 * file's stat. */
static int write_atomic(const char *path, const char *text, size_t len, struct stat *st)
{
	char *target = write_target(path), *dir = NULL, *tmp = NULL;
	const char *base, *what = NULL;
	struct stat old;
	int fd = -1, dfd, have_old, rc = -1, e;

	if (!target)
		return -1;
	have_old = !stat(target, &old);
	base = strrchr(target, '/');
	dir = base ? xstrndup(target, base == target ? 1 : (size_t)(base - target)) : xstrdup(".");
	base = base ? base + 1 : target;
	tmp = xmalloc(strlen(dir) + strlen(base) + 32);
	sprintf(tmp, "%s/.%s.%ld.XXXXXX", dir, base, (long)getpid());
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		error(_("%s: cannot create a temp file in %s: %s; check that the folder exists and is "
		      "writable"), path, dir, strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (write_all(fd, text, len))
		what = _("write");
	else if (fsync(fd))
		what = "fsync";
	else if (have_old && (old.st_uid != geteuid() || old.st_gid != getegid()) &&
		 fchown(fd, old.st_uid, old.st_gid) && errno != EPERM)
		what = "chown";
	else if (fchmod(fd, have_old ? old.st_mode & 07777 : 0600))
		what = "chmod";
	else if (fstat(fd, st))
		what = "stat";
	e = errno;
	if (close(fd) && !what) {
		what = _("close");
		e = errno;
	}
	fd = -1;
	if (!what && rename(tmp, target)) {
		what = _("rename over the old file");
		e = errno;
	}
	if (what) {
		error(_("%s: cannot %s %s: %s; the old file is unchanged (check free space and "
		      "permissions)"), path, what, tmp, strerror(e));
		goto out;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || (fsync(dfd) && errno != EINVAL))
		warning(_("%s: cannot fsync %s: %s; the file is written but may not survive a crash"),
			path, dir, strerror(errno));
	if (dfd >= 0)
		close(dfd);
	remove_stale_temps(dir, base);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc && tmp)
		unlink(tmp);
	free(tmp);
	free(dir);
	free(target);
	return rc;
}

int envfile_set_many(struct envfile *ef, const char *const *kv)
{
	const char *const *op;
	struct envfile *fresh;
	struct stat st;
	size_t len;
	char *text;

	for (op = kv; *op; op += 2) {
		if (!is_name(*op, strlen(*op)))
			return error(_("%s: cannot set '%s': not a valid key name; use letters, digits "
				     "and _, not starting with a digit"), ef->path, *op);
		if (op[1] && strpbrk(op[1], "\r\n"))
			return error(_("%s: cannot set %s: the value has a line break; a value must fit "
				     "on one line"), ef->path, *op);
	}
	if (ef->has_file && changed_on_disk(ef)) {
		fresh = envfile_load(ef->path, 1);
		if (!fresh)
			return error(_("%s: changed on disk since it was read and cannot be read again; "
				     "fix it, then run again"), ef->path);
		ef_take(ef, fresh);
	}
	text = render_ops(ef, kv, &len);
	if (len == ef->len && !memcmp(text, ef->text, len)) {
		free(text);
		return 0;
	}
	fresh = ef_new(ef->path);
	if (parse_into(fresh, text, len)) {
		error(_("%s: the updated file would not read back (see above); nothing was changed"),
		      ef->path);
		goto fail;
	}
	if (!reads_back(ef, fresh, kv)) {
		error(_("%s: internal error: the updated file would not read back as written; "
		      "nothing was changed"), ef->path);
		goto fail;
	}
	if (ef->has_file) {
		if (write_atomic(ef->path, text, len, &st))
			goto fail;
		fresh->on_disk = 1;
		fresh->st = st;
	}
	free(text);
	ef_take(ef, fresh);
	return 0;
fail:
	free(text);
	envfile_free(fresh);
	return -1;
}

int envfile_set(struct envfile *ef, const char *key, const char *value)
{
	const char *kv[] = { key, value, NULL };

	return envfile_set_many(ef, kv);
}

int envfile_unset(struct envfile *ef, const char *key)
{
	const char *kv[] = { key, NULL, NULL };

	return envfile_set_many(ef, kv);
}
