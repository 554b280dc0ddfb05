/* PCRE2 patterns, compiled once (JIT where it works) and kept for the run. */
#ifndef AWSPHASE_PATTERN_H
#define AWSPHASE_PATTERN_H

#include <stddef.h>

/* 1 on a match anywhere in subject, 0 on none, -1 on a bad pattern or a
 * match error (reported). */
int pattern_match(const char *pattern, const char *subject);
/* Like pattern_match, anchored at both ends. */
int pattern_full_match(const char *pattern, const char *subject);
/* Matches and copies capture group `group` (0: whole match) into out;
 * returns 1, 0 or -1 as above. */
int pattern_capture(const char *pattern, const char *subject, int group,
		    char *out, size_t out_size);
/* 0 when pattern compiles, else -1 with PCRE2's reason in why; silent. */
int pattern_why(const char *pattern, char *why, size_t size);
void pattern_free_all(void);

#endif
