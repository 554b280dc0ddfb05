/* The struct awsphase_host handed to modules: core services by function
 * pointer, bound to this run's settings, env file and module. */
#ifndef AWSPHASE_HOST_H
#define AWSPHASE_HOST_H

#include "awsphase/module.h"
#include "envfile.h"

/* ef may be NULL (no env file for this command); vars is the module's env
 * table (defaults for env_get), may be NULL. */
const struct awsphase_host *host_init(const struct awsphase_settings *settings,
				      struct envfile *ef, const struct awsphase_envvar *vars);

/* Frees what host_init's env_get handed out; call after the module is done. */
void host_release(void);

#endif
