/* The keys a module declares, against their patterns. */
#include <string.h>

#include "envfile-int.h"
#include "i18n.h"
#include "log.h"
#include "pattern.h"
#include "redact.h"
#include "strbuf.h"

/* The length of the bidirectional control at s (U+061C, U+200E/F,
 * U+202A-E, U+2066-9: they reorder what the terminal shows after them), or 0. */
static size_t bidi_len(const unsigned char *s)
{
	if (s[0] == 0xd8 && s[1] == 0x9c)
		return 2;
	if (s[0] != 0xe2 || !s[1] || !s[2])
		return 0;
	if (s[1] == 0x80 && (s[2] == 0x8e || s[2] == 0x8f || (s[2] >= 0xaa && s[2] <= 0xae)))
		return 3;
	if (s[1] == 0x81 && s[2] >= 0xa6 && s[2] <= 0xa9)
		return 3;
	return 0;
}

/* A value for a message: *** for secrets, else at most 80 bytes, control
 * characters (bidirectional ones too) as ?. */
static void add_value_shown(struct strbuf *sb, const char *key, const char *value)
{
	const unsigned char *v = (const unsigned char *)value;
	size_t i, n = strlen(value);

	if (redact_key_is_secret(key)) {
		strbuf_addstr(sb, "***");
		return;
	}
	for (i = 0; i < n && i < 80; i++) {
		size_t b = bidi_len(v + i);

		if (b) {
			strbuf_addch(sb, '?');
			i += b - 1;
			continue;
		}
		strbuf_addch(sb, v[i] < 0x20 || v[i] == 0x7f ? '?' : v[i]);
	}
	if (n > 80)
		strbuf_addstr(sb, "...");
}

static int planned_key(const char *const *planned, const char *key)
{
	for (; planned && *planned; planned++)
		if (strcmp(*planned, key) == 0)
			return 1;
	return 0;
}

int envfile_validate(const struct envfile *ef, const struct awsphase_envvar *vars)
{
	return envfile_validate_planned(ef, vars, NULL);
}

int envfile_validate_planned(const struct envfile *ef, const struct awsphase_envvar *vars,
			     const char *const *planned)
{
	const struct awsphase_envvar *v;
	struct strbuf sb = STRBUF_INIT;
	int problems = 0;

	for (v = vars; v && v->key; v++) {
		const struct envfile_entry *e = envfile_find(ef, v->key);
		int rc = 0;

		strbuf_reset(&sb);
		if ((!e || !*e->value) && planned_key(planned, v->key))
			continue; /* awsphase plan: an earlier phase would write it */
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
