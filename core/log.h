/* Messages on stderr: "awsphase: context: detail".  Every message passes
 * through redact_apply, so a secret value never reaches the terminal. */
#ifndef AWSPHASE_LOG_H
#define AWSPHASE_LOG_H

#include <stdarg.h>
#include "awsphase/module.h"

/* -1 quiet (errors only), 0 normal (warnings too), 1 verbose, 2 debug. */
void log_set_verbosity(int verbosity);
int log_verbosity(void);
/* 1: "warning:" in yellow (main: stderr is a terminal, colors not turned off). */
void log_set_color(int color);

void log_msg(int level, const char *fmt, ...) AWSPHASE_PRINTF(2, 3);
void log_vmsg(int level, const char *fmt, va_list ap) AWSPHASE_PRINTF(2, 0);

/* Reports an error and returns -1: return error("cannot fork: %s", ...). */
int error(const char *fmt, ...) AWSPHASE_PRINTF(1, 2);
void warning(const char *fmt, ...) AWSPHASE_PRINTF(1, 2);

#endif
