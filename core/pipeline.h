/* awsphase up | plan | down | status: every phase, ordered by the env keys
 * each declares it provides and needs (core/pipeline.c). */
#ifndef AWSPHASE_PIPELINE_H
#define AWSPHASE_PIPELINE_H

#include <sys/types.h>
#include "module.h"

/* 1 when word is one of those commands. */
int pipeline_is_command(const char *word);
/* The i-th command as an action (its name, summary, options), NULL past
 * the last: for awsphase list. */
const struct awsphase_action *pipeline_command_at(size_t i);
/* The commands and their summaries, a line each, for awsphase --help. */
void pipeline_help_list(void);
/* The phases (modules that declare what they provide or need, and have
 * action), in order, into *out (free it).  Returns how many, or -1 after
 * reporting a cycle. */
ssize_t pipeline_order(const char *action, struct loaded_module ***out);
/* Runs one: argv[0] the command, then its options.  Its exit code. */
int pipeline_main(int argc, const char **argv);

#endif
