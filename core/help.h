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
/* The action's usage and help, and its options from pc, the action's popt
 * context (its own table with the global one included). */
void help_action(const struct loaded_module *lm, const struct awsphase_action *a, poptContext pc);

#endif
