/* What a command tells its user: checks, tables, progress lines, and with
 * --output json one JSON document on stdout at the end.  Every line passes
 * through redaction. */
#ifndef AWSPHASE_REPORT_H
#define AWSPHASE_REPORT_H

#include <stdarg.h>
#include <stdio.h>
#include "awsphase/module.h"

/* command: "4b validate".  json: --output json; tty/color: how stdout
 * looks; quiet: -q drops progress lines (checks and tables stay). */
void report_begin(const char *command, int json, int tty, int color, int quiet);
void report_vcheck(const char *name, enum awsphase_status status, const char *fmt, va_list ap)
	AWSPHASE_PRINTF(3, 0);
void report_check(const char *name, enum awsphase_status status, const char *fmt, ...)
	AWSPHASE_PRINTF(3, 4);
void report_vsay(const char *fmt, va_list ap) AWSPHASE_PRINTF(1, 0);
void report_say(const char *fmt, ...) AWSPHASE_PRINTF(1, 2);
/* as report_vsay, but printed under -q too: the data the user asked for */
void report_vprint(const char *fmt, va_list ap) AWSPHASE_PRINTF(1, 0);
/* cells: rows × ncols strings (NULL shows as "-"); headers NULL-terminated. */
void report_table(const char *title, const char *const *headers, const char *const *cells, size_t rows);
void report_add(const char *key, cJSON *value);
/* Several commands, one document (awsphase up): while on, report_finish
 * keeps each command's JSON document instead of printing it;
 * report_print_collected prints them as one, under key, and turns it off. */
void report_collect(int on);
int report_print_collected(const char *command, int exit_code, const char *key);
/* Prints the JSON document under --output json; frees everything.
 * Returns 0, or -1 when stdout could not be written. */
int report_finish(int exit_code);
/* Display width of a UTF-8 string (code points; wide emoji count 2). */
size_t report_width(const char *s);

#endif
