/* awsphase env --from-stack NAME (core/cfn-env.c): a CloudFormation
 * stack's outputs into the env file. */
#ifndef AWSPHASE_CFN_ENV_H
#define AWSPHASE_CFN_ENV_H

#include <popt.h>
#include "awsphase/module.h"

/* Its options, for the command's entry in the pipeline's table. */
extern const struct poptOption cfn_env_options[];
/* Runs it: env is its entry (name, options, help), argv[0] "env".  The
 * exit code. */
int cfn_env_main(const struct awsphase_action *env, int argc, const char **argv);

#endif
