#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "log.h"
#include "pattern.h"
#include "strbuf.h"

struct compiled {
	char *source;
	int anchored;
	pcre2_code *code;
	pcre2_match_data *md;
	struct compiled *next;
};

static struct compiled *cache;

static struct compiled *compile(const char *pattern, int anchored)
{
	struct compiled *c;
	int errcode;
	PCRE2_SIZE erroff;
	pcre2_code *code;

	for (c = cache; c; c = c->next)
		if (c->anchored == anchored && strcmp(c->source, pattern) == 0)
			return c;
	code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
			     PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | (anchored ? PCRE2_ANCHORED | PCRE2_ENDANCHORED : 0),
			     &errcode, &erroff, NULL);
	if (!code) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(errcode, msg, sizeof(msg));
		error(_("pattern '%s': %s at offset %zu"), pattern, (char *)msg, (size_t)erroff);
		return NULL;
	}
	(void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE); /* JIT unsupported is fine */
	c = xcalloc(1, sizeof(*c));
	c->source = xstrdup(pattern);
	c->anchored = anchored;
	c->code = code;
	c->md = pcre2_match_data_create_from_pattern(code, NULL);
	c->next = cache;
	cache = c;
	return c;
}

static int match_compiled(struct compiled *c, const char *subject)
{
	int rc = pcre2_match(c->code, (PCRE2_SPTR)subject, strlen(subject), 0, 0, c->md, NULL);

	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc < 0) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(rc, msg, sizeof(msg));
		return error(_("pattern '%s': match failed: %s"), c->source, (char *)msg);
	}
	return 1;
}

int pattern_why(const char *pattern, char *why, size_t size)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE erroff;
	pcre2_code *code;
	int errcode;

	code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
			     PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &errcode, &erroff, NULL);
	if (code) {
		pcre2_code_free(code);
		return 0;
	}
	pcre2_get_error_message(errcode, msg, sizeof(msg));
	snprintf(why, size, _("%s at offset %zu"), (char *)msg, (size_t)erroff);
	return -1;
}

int pattern_match(const char *pattern, const char *subject)
{
	struct compiled *c = compile(pattern, 0);

	return c ? match_compiled(c, subject) : -1;
}

int pattern_full_match(const char *pattern, const char *subject)
{
	struct compiled *c = compile(pattern, 1);

	return c ? match_compiled(c, subject) : -1;
}

int pattern_capture(const char *pattern, const char *subject, int group,
		    char *out, size_t out_size)
{
	struct compiled *c = compile(pattern, 0);
	PCRE2_SIZE len = out_size;
	int rc;

	if (out_size)
		out[0] = '\0';
	if (!c)
		return -1;
	rc = match_compiled(c, subject);
	if (rc <= 0)
		return rc;
	if (pcre2_substring_copy_bynumber(c->md, (uint32_t)group, (PCRE2_UCHAR *)out, &len) < 0) {
		PCRE2_SIZE need;

		/* too long or unset: copy what fits */
		if (out_size && pcre2_substring_length_bynumber(c->md, (uint32_t)group, &need) == 0) {
			PCRE2_SIZE *ov = pcre2_get_ovector_pointer(c->md);
			size_t n = need < out_size - 1 ? need : out_size - 1;

			memcpy(out, subject + ov[2 * group], n);
			out[n] = '\0';
		}
	}
	return 1;
}

void pattern_free_all(void)
{
	while (cache) {
		struct compiled *c = cache;

		cache = c->next;
		pcre2_match_data_free(c->md);
		pcre2_code_free(c->code);
		free(c->source);
		free(c);
	}
}
