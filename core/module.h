/* Phase modules: found in $AWSPHASE_MODULE_PATH, then the installed module
 * directory; loaded with dlopen and checked before use. */
#ifndef AWSPHASE_MODULE_LOADER_H
#define AWSPHASE_MODULE_LOADER_H

#include "awsphase/module.h"

struct loaded_module {
	struct awsphase_module m;  /* our copy, zero-filled past the module's struct_size;
				    * m.actions and m.env point at the copies below */
	struct awsphase_action *actions;  /* host-sized copies of the module's tables */
	struct awsphase_envvar *env;
	char *path;
	void *handle;
};

/* Loads one shared object.  Returns NULL after reporting why: not a
 * regular file, group- or world-writable, dlopen failure, no entry symbol,
 * an API version we do not speak, a struct too small, or no name/actions. */
struct loaded_module *module_load(const char *path);
/* Unloads one module_load gave (NULL: nothing). */
void module_free(struct loaded_module *lm);

/* Loads every *.so in the search path: each directory of
 * $AWSPHASE_MODULE_PATH (colon-separated), then AWSPHASE_MODULE_DIR.
 * A module that fails to load is reported as a warning and skipped; a
 * name already taken by an earlier directory is skipped quietly.
 * Returns the number loaded. */
int module_load_all(void);
size_t module_count(void);
struct loaded_module *module_at(size_t i);
/* By name or alias; NULL when none. */
struct loaded_module *module_find(const char *name);
/* By name, alias-free; exact name, else a unique prefix of a read-only
 * action's (AWSPHASE_ACTION_READONLY); NULL (reported) when none, ambiguous
 * or the prefix of an action that changes things. */
const struct awsphase_action *module_find_action(const struct loaded_module *lm,
						 const char *name);
void module_unload_all(void);
/* The directories searched, for messages: "a:b:/usr/lib/awsphase/modules". */
const char *module_search_path(void);

#endif
