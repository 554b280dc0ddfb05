/* Running one action of a phase module (core/action.c), for main.c and
 * the pipeline. */
#ifndef AWSPHASE_ACTION_H
#define AWSPHASE_ACTION_H

#include <popt.h>
#include <signal.h>
#include "module.h"

/* The env file when --env-file does not name one. */
#define ACTION_ENV_FILE "./aws-resources.env"

/* An action of the core's own (env --from-stack) whose env file need not
 * exist yet: its first write creates it.  Past the module's flags. */
#define ACTION_CORE_CREATES_ENV (1u << 31)

/* The signal that stopped the run (SIGINT, SIGTERM), 0 if none; the
 * handler that notes it and stops the children. */
extern volatile sig_atomic_t action_signal;
void action_on_signal(int sig);

/* An error line, and AWSPHASE_EXIT_USAGE. */
int action_bad_usage(const char *fmt, ...) AWSPHASE_PRINTF(1, 2);
/* A top-level command's options (and global ones after it), read from ctx
 * (poptGetContext over its options_for_action table): -1 to go on, else an
 * exit code, said (0 after --help); a leftover argument is refused. */
int action_parse_command(const struct awsphase_action *a, poptContext ctx);
/* How many of popt's leftover arguments there are (rest may be NULL). */
int action_count_args(const char **rest);
/* Parses the action's own options (and global ones given after it) in
 * argv (argv[0] the action's name), into *pc_out (free it with
 * poptFreeContext, then options_action_done) and, for exec, *argc_out and
 * *argv_out (free() the array).  Returns -1 to go on, else an exit code
 * (0 after --help). */
int action_parse(const struct loaded_module *lm, const struct awsphase_action *a, int argc,
		 const char **argv, poptContext *pc_out, int *argc_out, const char ***argv_out);
/* The action main runs: name, as the user typed it (typed, maybe a
 * prefix), of phase. */
void action_named(const char *phase, const char *typed, const char *name);
/* Takes the env file's lock (lock.h) as --no-wait-lock and --timeout say;
 * under --dry-run nothing.  Refused (exit 2) for an action named by a
 * prefix: what changes things is named in full.  0, or an exit code
 * (reported); lock_release() undoes a 0. */
int action_lock(void);
/* Runs it: the env file's lock taken unless the action is read-only or it
 * is a dry run, the env file read and checked, the aws runner and the report set
 * up, init, exec, fini; its exit code (128 + signal when one stopped it). */
int action_run(const struct loaded_module *lm, const struct awsphase_action *a, int argc,
	       const char **argv);

#endif
