/* Secret values never reach the terminal, a trace or a log.  The env file
 * registers the value of every key that names a secret; every line awsphase
 * prints passes through redact_apply, every document it prints through
 * redact_apply on each of its strings before it is serialised. */
#ifndef AWSPHASE_REDACT_H
#define AWSPHASE_REDACT_H

#include <stddef.h>

/* The shortest value redaction can hide: a shorter one would match common
 * words and numbers, and its stars would spell it out. */
#define REDACT_MIN_LEN 8

/* 1 when the key names a secret: it contains PASSWORD, SECRET, TOKEN or
 * PRIVATE (any case), except PRIVATE_SUBNET, which names a network tier,
 * AWSPHASE_NOT_SECRET, and the keys given to redact_not_secret. */
int redact_key_is_secret(const char *key);
/* Keys that only look like secrets (AWSPHASE_NOT_SECRET in the env file):
 * names separated by spaces or commas.  Replaces the previous list. */
void redact_not_secret(const char *list);
/* Remember a value to hide (copied; empty values ignored). */
void redact_add(const char *value);
/* Registers value when key names a secret and the value is at least
 * REDACT_MIN_LEN bytes long.  A shorter one is not hidden: returns 1 the
 * first time for that key, so the caller can warn once, else 0. */
int redact_add_key(const char *key, const char *value);
/* A malloc'd copy of s with every remembered value that stands as a token of
 * its own (not inside a longer run of letters, digits, '_', '-' or '.')
 * replaced by "***", and the user:password@ of every URL by ***@. */
char *redact_apply(const char *s);
void redact_clear(void);

#endif
