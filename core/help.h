/* What --help prints on stdout, at each level: awsphase, a phase, an
 * action.  A module's words are looked up in the user's language. */
#ifndef AWSPHASE_HELP_H
#define AWSPHASE_HELP_H

#include <popt.h>
#include "module.h"

/* Usage, the global options, the phases found, examples, exit codes. */
void help_global(void);
/* The phase's usage, actions and env keys. */
void help_phase(const struct loaded_module *lm);
/* The action's usage line after "awsphase PHASE ACTION": its usage, else
 * written from its options and positional arguments ("[--yes] [--all]
 * NAME..."); malloc'd. */
char *help_usage(const struct awsphase_action *a);
/* How many positional arguments an action's args allow (its usage's
 * words: "[X]" optional, "X..." any number): *max -1 for no limit. */
void help_arg_counts(const char *args, int *min, int *max);
/* The action's usage and help, and its options from pc, the action's popt
 * context (its own table with the global one included). */
void help_action(const struct loaded_module *lm, const struct awsphase_action *a, poptContext pc);
/* The same for a command of awsphase's own (up, plan...), whose words are
 * in awsphase's catalogue. */
void help_command(const struct awsphase_action *a, poptContext pc);
/* popt's option help for pc, without popt's usage line. */
void help_print_options(poptContext pc);

#endif
