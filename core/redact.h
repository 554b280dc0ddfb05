/* Secret values never reach the terminal, a trace or a log.  The env file
 * registers the value of every key that names a secret; every line awsphase
 * prints passes through redact_apply. */
#ifndef AWSPHASE_REDACT_H
#define AWSPHASE_REDACT_H

/* 1 when the key names a secret: it contains PASSWORD, SECRET, TOKEN or
 * PRIVATE (any case), except PRIVATE_SUBNET, which names a network tier. */
int redact_key_is_secret(const char *key);
/* Remember a value to hide (copied; empty values ignored). */
void redact_add(const char *value);
/* A malloc'd copy of s with every remembered value replaced by "***". */
char *redact_apply(const char *s);
void redact_clear(void);

#endif
