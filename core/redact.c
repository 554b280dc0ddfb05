#include <stdlib.h>
#include <string.h>

#include "redact.h"
#include "strbuf.h"

static char **secrets;
static size_t nsecrets;

/* 1 when s starts with word (upper case), in any case: ASCII only, as key
 * names are, whatever the locale says about case. */
static int starts_with(const char *s, const char *word)
{
	for (; *word; s++, word++)
		if ((*s >= 'a' && *s <= 'z' ? *s - 'a' + 'A' : *s) != *word)
			return 0;
	return 1;
}

/* PRIVATE_SUBNET_1/2 name a network tier, not a secret: hiding subnet ids
 * would make traces of the private tier impossible to paste.  Plain C, not
 * a pattern: pattern.c reports through log.c, which redacts. */
int redact_key_is_secret(const char *key)
{
	const char *p;

	for (p = key; *p; p++)
		if (starts_with(p, "PASSWORD") || starts_with(p, "SECRET") || starts_with(p, "TOKEN") ||
		    (starts_with(p, "PRIVATE") && !starts_with(p + 7, "_SUBNET")))
			return 1;
	return 0;
}

void redact_add(const char *value)
{
	size_t i;

	if (!value || !*value)
		return;
	for (i = 0; i < nsecrets; i++)
		if (strcmp(secrets[i], value) == 0)
			return;
	secrets = xrealloc(secrets, (nsecrets + 1) * sizeof(*secrets));
	secrets[nsecrets++] = xstrdup(value);
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

char *redact_apply(const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = s;

	if (!nsecrets)
		return xstrdup(s);
	while (*p) {
		size_t n = secret_at(p);

		if (n) {
			strbuf_addstr(&sb, "***");
			p += n;
		} else {
			strbuf_addch(&sb, *p++);
		}
	}
	return strbuf_detach(&sb);
}

void redact_clear(void)
{
	while (nsecrets)
		free(secrets[--nsecrets]);
	free(secrets);
	secrets = NULL;
}
