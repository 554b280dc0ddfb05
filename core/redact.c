#include <stdlib.h>
#include <string.h>

#include "redact.h"
#include "strbuf.h"

static char **secrets;
static size_t nsecrets;
static char **not_secret, **warned;
static size_t nnot_secret, nwarned;

/* 1 when s starts with word (upper case), in any case: ASCII only, as key
 * names are, whatever the locale says about case. */
static int starts_with(const char *s, const char *word)
{
	for (; *word; s++, word++)
		if ((*s >= 'a' && *s <= 'z' ? *s - 'a' + 'A' : *s) != *word)
			return 0;
	return 1;
}

static int listed(char **list, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], key) == 0)
			return 1;
	return 0;
}

static void list_add(char ***list, size_t *n, const char *s, size_t len)
{
	*list = xrealloc(*list, (*n + 1) * sizeof(**list));
	(*list)[(*n)++] = xstrndup(s, len);
}

static void list_clear(char ***list, size_t *n)
{
	while (*n)
		free((*list)[--*n]);
	free(*list);
	*list = NULL;
}

/* PRIVATE_SUBNET_1/2 (and phase 1's PRIVATE_SUBNET_1_CIDR…) name a network
 * tier, not a secret: hiding subnet ids would make traces of the private
 * tier impossible to paste; PRIVATE_EGRESS (none, nat, endpoints) is how
 * that tier goes out, and hiding it hid the word "endpoints" everywhere;
 * nor is the list AWSPHASE_NOT_SECRET one.  Plain C, not
 * a pattern: pattern.c reports through log.c, which redacts. */
int redact_key_is_secret(const char *key)
{
	const char *p;
	size_t len = strlen(key);

	if (listed(not_secret, nnot_secret, key) || strcmp(key, "AWSPHASE_NOT_SECRET") == 0)
		return 0;
	/* DB_SECRET_ARN, DB_SECRET_NAME: where a secret is kept, not the
	 * secret; hiding them would hide the ARN every line names */
	if ((len > 4 && strcmp(key + len - 4, "_ARN") == 0) ||
	    (len > 5 && strcmp(key + len - 5, "_NAME") == 0))
		return 0;
	for (p = key; *p; p++)
		if (starts_with(p, "PASSWORD") || starts_with(p, "SECRET") || starts_with(p, "TOKEN") ||
		    (starts_with(p, "PRIVATE") && !starts_with(p + 7, "_SUBNET") &&
		     !starts_with(p + 7, "_EGRESS")))
			return 1;
	return 0;
}

void redact_not_secret(const char *list)
{
	const char *p = list ? list : "";

	list_clear(&not_secret, &nnot_secret);
	while (*p) {
		size_t n = strcspn(p, " \t,");

		if (n)
			list_add(&not_secret, &nnot_secret, p, n);
		p += n;
		p += strspn(p, " \t,");
	}
}

void redact_add(const char *value)
{
	if (!value || !*value || listed(secrets, nsecrets, value))
		return;
	list_add(&secrets, &nsecrets, value, strlen(value));
}

int redact_add_key(const char *key, const char *value)
{
	if (!value || !*value || !redact_key_is_secret(key))
		return 0;
	if (strlen(value) >= REDACT_MIN_LEN) {
		redact_add(value);
		return 0;
	}
	if (listed(warned, nwarned, key))
		return 0;
	list_add(&warned, &nwarned, key, strlen(key));
	return 1;
}

/* Letters, digits, '_' and any byte of a UTF-8 sequence make up a token;
 * '-' and '.' join two such characters into one (sg-0a1b, a.b.c). */
static int word_char(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       c == '_' || c >= 0x80;
}

static int joiner(unsigned char c)
{
	return c == '-' || c == '.';
}

/* The longest secret that starts at p, or 0. */
static size_t secret_at(const char *p)
{
	size_t i, best = 0;

	for (i = 0; i < nsecrets; i++) {
		size_t n = strlen(secrets[i]);

		if (n > best && strncmp(p, secrets[i], n) == 0)
			best = n;
	}
	return best;
}

/* 1 when the n bytes at p, inside s, continue a token on their left. */
static int glued_left(const char *s, const char *p)
{
	const unsigned char *q = (const unsigned char *)p;

	if (p == s || !word_char(q[0]))
		return 0;
	if (word_char(q[-1]))
		return 1;
	return joiner(q[-1]) && p - 1 > s && word_char(q[-2]);
}

/* 1 when the n bytes at p continue into a token on their right; another
 * secret right after is no token of its own. */
static int glued_right(const char *p, size_t n)
{
	const unsigned char *q = (const unsigned char *)p;

	if (!word_char(q[n - 1]) || !q[n] || secret_at(p + n))
		return 0;
	if (word_char(q[n]))
		return 1;
	return joiner(q[n]) && word_char(q[n + 1]);
}

/* At p, after "scheme://": the length of "user:password@" up to the last '@'
 * of the authority, or 0. */
static size_t userinfo_len(const char *p)
{
	size_t n = strcspn(p, "/?# \t\r\n\"'<>\\,;"), at = 0, i;

	for (i = 0; i < n; i++)
		if (p[i] == '@')
			at = i + 1;
	return at;
}

/* 1 when p follows a URL scheme: "://" right after letters, digits, + - . */
static int after_scheme(const char *s, const char *p)
{
	const char *q = p - 3;

	if (p - s < 4 || strncmp(q, "://", 3))
		return 0;
	return (q[-1] >= 'a' && q[-1] <= 'z') || (q[-1] >= 'A' && q[-1] <= 'Z');
}

char *redact_apply(const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = s;
	int left_free = 1;  /* the last thing added was a redaction */

	while (*p) {
		size_t n = secret_at(p), u;

		if (n && (left_free || !glued_left(s, p)) && !glued_right(p, n)) {
			strbuf_addstr(&sb, "***");
			p += n;
			left_free = 1;
			continue;
		}
		left_free = 0;
		if (after_scheme(s, p) && (u = userinfo_len(p)) > 0) {
			strbuf_addstr(&sb, "***@");
			p += u;
			continue;
		}
		strbuf_addch(&sb, *p++);
	}
	return strbuf_detach(&sb);
}

void redact_clear(void)
{
	list_clear(&secrets, &nsecrets);
	list_clear(&not_secret, &nnot_secret);
	list_clear(&warned, &nwarned);
}
