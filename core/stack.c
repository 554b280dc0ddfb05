/* STACK, the host's own key (see stack.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "log.h"
#include "pattern.h"
#include "stack.h"
#include "strbuf.h"

/* Short enough that every name the in-tree phases derive from it fits its
 * AWS limit: "{STACK}-backend-tg" is 31 of a target group's 32. */
const struct awsphase_envvar stack_keys[] = {
	{ "STACK", "[a-z][a-z0-9-]{0,19}", STACK_DEFAULT, 0,
	  N_("the name every default resource name derives from (kaviar-alb, kaviar-staging-alb, …): "
	  "a lower case letter, then up to 19 letters, digits and -") },
	{ NULL },
};

const char *stack_value(const struct envfile *ef)
{
	const char *v = ef ? envfile_get(ef, "STACK") : NULL;

	return v && *v ? v : STACK_DEFAULT;
}

/* kaviar-staging → KaviarStaging */
static void add_camel(struct strbuf *sb, const char *stack)
{
	int up = 1;

	for (; *stack; stack++) {
		if (*stack == '-') {
			up = 1;
			continue;
		}
		strbuf_addch(sb, up ? toupper((unsigned char)*stack) : *stack);
		up = 0;
	}
}

char *stack_expand(const char *def, const char *stack)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = def, *brace;

	if (!def || (!strstr(def, "{STACK}") && !strstr(def, "{Stack}")))
		return NULL;
	while ((brace = strchr(p, '{'))) {
		strbuf_add(&sb, p, (size_t)(brace - p));
		if (strncmp(brace, "{STACK}", 7) == 0)
			strbuf_addstr(&sb, stack);
		else if (strncmp(brace, "{Stack}", 7) == 0)
			add_camel(&sb, stack);
		else {
			strbuf_addch(&sb, '{');
			p = brace + 1;
			continue;
		}
		p = brace + 7;
	}
	strbuf_addstr(&sb, p);
	return strbuf_detach(&sb);
}

int stack_validate(const struct envfile *ef, const struct awsphase_envvar *vars)
{
	const struct awsphase_envvar *v;
	const char *stack = stack_value(ef);
	int problems = envfile_validate(ef, stack_keys);

	for (v = vars; !problems && v && v->key; v++) {
		const char *set = envfile_get(ef, v->key);
		char *name;

		if ((set && *set) || !v->pattern || !(name = stack_expand(v->def, stack)))
			continue;
		if (pattern_full_match(v->pattern, name) == 0) {
			error(_("%s: STACK=%s makes %s '%s', which is not %s (pattern %s); set %s=… "
				"in the env file or choose another STACK"), envfile_path(ef), stack,
			      v->key, name, v->help ? i18n_lookup(v->help) : v->key, v->pattern, v->key);
			problems++;
		}
		free(name);
	}
	return problems;
}
