/* STACK: the name every default resource name derives from, so that two
 * environments in one account do not collide.  A key of the host, not of a
 * module: every phase knows it, and a module's default names it as
 * {STACK} ("{STACK}-alb") or {Stack} ("{Stack}EcsTaskRole", the name with
 * each part's first letter upper case, for IAM's style). */
#ifndef AWSPHASE_STACK_H
#define AWSPHASE_STACK_H

#include "awsphase/module.h"
#include "envfile.h"

#define STACK_DEFAULT "kaviar"

/* The host's own keys, NULL-terminated (STACK). */
extern const struct awsphase_envvar stack_keys[];

/* STACK as ef has it, else the default. */
const char *stack_value(const struct envfile *ef);
/* def with {STACK} and {Stack} filled in from stack (malloc'ed), or NULL
 * when def names neither: a literal default stays literal. */
char *stack_expand(const char *def, const char *stack);
/* STACK against its pattern, then every default of vars that derives from
 * it and that ef leaves unset against that key's pattern; each problem on
 * its own line, naming the key to set.  Returns how many. */
int stack_validate(const struct envfile *ef, const struct awsphase_envvar *vars);

#endif
