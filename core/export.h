/* awsphase export --format cloudformation (core/export.c). */
#ifndef AWSPHASE_EXPORT_H
#define AWSPHASE_EXPORT_H

#include <popt.h>
#include "module.h"

/* Its options, for the pipeline's table of commands (list, help). */
extern const struct poptOption export_options[];
/* Runs it: a the command (the pipeline's table has it), argv[0]
 * "export", then its options.  The exit code. */
int export_main(const struct awsphase_action *a, int argc, const char **argv);

#endif
