#include <stdlib.h>
#include <string.h>

#include "pattern.h"
#include "redact.h"
#include "strbuf.h"

static char **secrets;
static size_t nsecrets;

/* PRIVATE_SUBNET_1/2 name a network tier, not a secret: hiding subnet ids
 * would make traces of the private tier impossible to paste. */
int redact_key_is_secret(const char *key)
{
	return pattern_match("(?i)PASSWORD|SECRET|TOKEN|PRIVATE(?!_SUBNET)", key) == 1;
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
