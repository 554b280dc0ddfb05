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

/* Which module and action the host serves (messages of API 2 modules are
 * prefixed "MODULE ACTION: "), and the aws profile for cmdline(). */
void host_bind(const char *module, const char *action, unsigned api_version, const char *profile);

/* Frees what host_init's env_get handed out; call after the module is done. */
void host_release(void);

/* call_arg_file (core/argfile.c), and the removal of its files that
 * host_release makes once the module is done. */
int host_call_arg_file(struct awsphase_call *call, const char *flag, const char *value,
		       const char *what);
void argfile_release(void);

/* awsphase plan: a value an earlier phase would write ("<VPC_ID>"), which
 * env_get gives where the env file has none, and the env file's checks
 * leave alone; what it holds for a key (NULL: none); the keys that have
 * one (NULL-terminated, valid until the next set); forget them all. */
void host_overlay_set(const char *key, const char *value);
const char *host_overlay_get(const char *key);
const char *const *host_overlay_keys(void);
void host_overlay_clear(void);
/* 1 when text holds one of those values (the host's planned service, and
 * the aws runner's: it makes no read with one). */
int host_planned(const char *text);

/* For the engine (core/engine*.c): the host handed to modules; the module's
 * name; "MODULE ACTION"; its AWSPHASE_ENV_WRITTEN keys (NULL-terminated);
 * several env keys written in one rewrite (key, value pairs ended by NULL;
 * a NULL value removes the key; nothing under --dry-run); the teardown
 * question on a terminal, 1 when answered yes. */
const struct awsphase_host *host_get(void);
const char *host_module_name(void);
const char *host_command(void);
const char *const *host_written_keys(void);
int host_env_set_many(const char *const *kv);
int host_ask(const char *text);

#endif
