#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "i18n.h"
#include "log.h"
#include "module.h"
#include "strbuf.h"

#ifndef AWSPHASE_MODULE_DIR
#define AWSPHASE_MODULE_DIR "/usr/local/lib/awsphase/modules"
#endif

static struct loaded_module **modules;
static size_t nmodules;
static char *search_path;

static int safe_mode(int is_dir, const char *path, const struct stat *st)
{
	if (!(st->st_mode & (S_IWGRP | S_IWOTH)))
		return 0;
	if (is_dir)
		return error(_("module directory %s: refusing it because it is group- or "
			       "world-writable; run chmod go-w %s"), path, path);
	return error(_("module file %s: refusing it because it is group- or world-writable; "
		       "run chmod go-w %s"), path, path);
}

/* The tables of API 1 modules, which do not say their element sizes. */
struct action_v1 {
	const char *name, *summary, *usage;
	const struct poptOption *options;
	int (*exec)(const struct awsphase_host *, int argc, const char **argv);
	const char *help;
};
struct envvar_v1 {
	const char *key, *pattern, *def;
	unsigned flags;
	const char *help;
};

#define MAX_ENTRIES 4096

/* A copy of the module's array of entries of `size` bytes each (ended by
 * one whose first pointer is NULL) as an array of ours of `ours` bytes
 * each, zero-filled past what the module has.  NULL when it is not ended
 * within MAX_ENTRIES. */
static void *copy_array(const void *theirs, size_t size, size_t ours)
{
	const char *p = theirs;
	size_t n = 0, i;
	char *out;

	while (n < MAX_ENTRIES && *(const char *const *)(const void *)(p + n * size))
		n++;
	if (n == MAX_ENTRIES)
		return NULL;
	out = xcalloc(n + 1, ours);
	for (i = 0; i < n; i++)
		memcpy(out + i * ours, p + i * size, size < ours ? size : ours);
	return out;
}

static void free_tables(struct loaded_module *lm)
{
	free(lm->actions);
	free(lm->env);
	lm->actions = NULL;
	lm->env = NULL;
}

/* Walks the module's actions and env keys with the sizes it was built with
 * (API 1: the sizes of then) and keeps host-sized copies, so that the rest
 * of the core may walk them with its own sizeof. */
static int copy_tables(struct loaded_module *lm, const char *path)
{
	size_t asize = lm->m.action_size, esize = lm->m.envvar_size;

	if (!lm->m.name || !*lm->m.name || !lm->m.actions) {
		error(_("module %s: it has no name or no actions; fill in .name and .actions"), path);
		return 0;
	}
	if (lm->m.api_version == 1) {
		asize = sizeof(struct action_v1);
		esize = sizeof(struct envvar_v1);
	}
	if (asize < sizeof(struct action_v1) || (lm->m.env && esize < sizeof(struct envvar_v1))) {
		error(_("module %s: its action or env key tables have no size; define the module "
			"with AWSPHASE_MODULE()"), path);
		return 0;
	}
	lm->actions = copy_array(lm->m.actions, asize, sizeof(struct awsphase_action));
	lm->env = lm->m.env ? copy_array(lm->m.env, esize, sizeof(struct awsphase_envvar)) : NULL;
	if (!lm->actions || (lm->m.env && !lm->env)) {
		error(_("module %s: its action or env key table has no end; end it with { NULL }"), path);
		return 0;
	}
	if (!lm->actions[0].name) {
		error(_("module %s: it has no name or no actions; fill in .name and .actions"), path);
		return 0;
	}
	lm->m.actions = lm->actions;
	lm->m.env = lm->env;
	lm->m.action_size = sizeof(struct awsphase_action);
	lm->m.envvar_size = sizeof(struct awsphase_envvar);
	return 1;
}

struct loaded_module *module_load(const char *path)
{
	typedef const struct awsphase_module *(*entry_fn)(void);
	const struct awsphase_module *m;
	struct loaded_module *lm;
	struct stat st;
	entry_fn entry;
	void *handle;
	void *sym;
	size_t n;

	if (lstat(path, &st) < 0) {
		error(_("module %s: %s; check AWSPHASE_MODULE_PATH"), path, strerror(errno));
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		error(_("module %s: not a regular file; a module is a shared object (.so)"), path);
		return NULL;
	}
	if (safe_mode(0, path, &st) < 0)
		return NULL;
	handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		error(_("module %s: cannot load: %s; rebuild it against this awsphase"), path, dlerror());
		return NULL;
	}
	dlerror();
	sym = dlsym(handle, AWSPHASE_MODULE_SYMBOL);
	if (!sym) {
		const char *why = dlerror();

		error(_("module %s: no %s symbol (%s); define the module with AWSPHASE_MODULE()"),
		      path, AWSPHASE_MODULE_SYMBOL, why ? why : _("not found"));
		dlclose(handle);
		return NULL;
	}
	*(void **)&entry = sym;
	m = entry();
	if (!m || m->struct_size < offsetof(struct awsphase_module, actions) + sizeof(m->actions)) {
		error(_("module %s: its module struct is too small; rebuild it against include/awsphase/module.h"), path);
		dlclose(handle);
		return NULL;
	}
	if (m->api_version < AWSPHASE_API_VERSION_MIN || m->api_version > AWSPHASE_API_VERSION) {
		error(_("module %s: built for module API %u, this awsphase speaks %u to %u; "
			"rebuild the module against this awsphase's module.h"),
		      path, (unsigned)m->api_version, (unsigned)AWSPHASE_API_VERSION_MIN,
		      (unsigned)AWSPHASE_API_VERSION);
		dlclose(handle);
		return NULL;
	}
	lm = xcalloc(1, sizeof(*lm));
	n = m->struct_size < sizeof(lm->m) ? m->struct_size : sizeof(lm->m);
	memcpy(&lm->m, m, n);
	if (!copy_tables(lm, path)) {
		dlclose(handle);
		free_tables(lm);
		free(lm);
		return NULL;
	}
	for (n = 0; lm->m.actions[n].name; n++)
		if (!lm->m.actions[n].exec) {
			error(_("module %s: action '%s' has no exec function"), path, lm->m.actions[n].name);
			dlclose(handle);
			free_tables(lm);
			free(lm);
			return NULL;
		}
	lm->path = xstrdup(path);
	lm->handle = handle;
	return lm;
}

void module_free(struct loaded_module *lm)
{
	if (!lm)
		return;
	dlclose(lm->handle);
	free_tables(lm);
	free(lm->path);
	free(lm);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void load_dir(const char *dir)
{
	struct stat st;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, i;
	DIR *d;

	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return;
	if (safe_mode(1, dir, &st) < 0)
		return;
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (len > 3 && strcmp(de->d_name + len - 3, ".so") == 0) {
			names = xrealloc(names, (n + 1) * sizeof(*names));
			names[n++] = xstrdup(de->d_name);
		}
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++) {
		struct strbuf path = STRBUF_INIT;
		struct loaded_module *lm;

		strbuf_addf(&path, "%s/%s", dir, names[i]);
		lm = module_load(strbuf_str(&path));
		if (lm && module_find(lm->m.name)) {
			log_msg(AWSPHASE_LOG_VERBOSE, _("module %s: '%s' already loaded from an earlier directory; skipped"),
				lm->path, lm->m.name);
			module_free(lm);
		} else if (lm) {
			modules = xrealloc(modules, (nmodules + 1) * sizeof(*modules));
			modules[nmodules++] = lm;
		}
		strbuf_release(&path);
		free(names[i]);
	}
	free(names);
}

/* Run from its build tree (config.status beside the binary, as a
 * configured tree has) without AWSPHASE_MODULE_PATH, awsphase uses the
 * modules built beside it before the installed ones, as git's and nbdkit's
 * uninstalled binaries do: what `./awsphase` runs is what was just built. */
static void add_build_tree(struct strbuf *sp)
{
	char self[PATH_MAX];
	struct strbuf probe = STRBUF_INIT;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0)
		return;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (!slash)
		return;
	*slash = '\0';
	strbuf_addf(&probe, "%s/config.status", self);
	if (access(strbuf_str(&probe), F_OK) == 0)
		strbuf_addf(sp, "%s/modules/.libs:", self);
	strbuf_release(&probe);
}

int module_load_all(void)
{
	const char *env = getenv("AWSPHASE_MODULE_PATH");
	struct strbuf sp = STRBUF_INIT, seen = STRBUF_INIT;
	char *copy, *dir, *save = NULL;

	if (env && *env) {
		strbuf_addstr(&sp, env);
		strbuf_addch(&sp, ':');
	} else {
		add_build_tree(&sp);
	}
	strbuf_addstr(&sp, AWSPHASE_MODULE_DIR);
	strbuf_addch(&seen, '\n');
	free(search_path);
	search_path = strbuf_detach(&sp);
	copy = xstrdup(search_path);
	for (dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		char *real = realpath(dir, NULL);
		struct strbuf line = STRBUF_INIT;

		/* a folder named twice (the build tree's, also in the path) is read once */
		strbuf_addf(&line, "\n%s\n", real ? real : "");
		if (real && !strstr(strbuf_str(&seen), strbuf_str(&line))) {
			strbuf_addf(&seen, "%s\n", real);
			load_dir(dir);
		}
		strbuf_release(&line);
		free(real);
	}
	strbuf_release(&seen);
	free(copy);
	return (int)nmodules;
}

const char *module_search_path(void)
{
	return search_path ? search_path : AWSPHASE_MODULE_DIR;
}

size_t module_count(void)
{
	return nmodules;
}

struct loaded_module *module_at(size_t i)
{
	return i < nmodules ? modules[i] : NULL;
}

static int has_alias(const char *aliases, const char *name)
{
	size_t len = strlen(name);
	const char *p = aliases;

	while (p && *p) {
		size_t n = strcspn(p, " ,");

		if (n == len && strncmp(p, name, n) == 0)
			return 1;
		p += n;
		p += strspn(p, " ,");
	}
	return 0;
}

struct loaded_module *module_find(const char *name)
{
	size_t i;

	for (i = 0; i < nmodules; i++)
		if (strcmp(modules[i]->m.name, name) == 0 || has_alias(modules[i]->m.aliases, name))
			return modules[i];
	return NULL;
}

const struct awsphase_action *module_find_action(const struct loaded_module *lm, const char *name)
{
	const struct awsphase_action *a, *found = NULL;
	size_t len = strlen(name);
	int matches = 0;

	for (a = lm->m.actions; a->name; a++) {
		if (strcmp(a->name, name) == 0)
			return a;
		if (len && strncmp(a->name, name, len) == 0) {
			found = a;
			matches++;
		}
	}
	/* a slip of the keyboard must not roll a service back: a prefix
	 * selects only what changes nothing */
	if (matches == 1 && (found->flags & AWSPHASE_ACTION_READONLY))
		return found;
	if (matches == 1) {
		error(_("%s %s: a prefix selects only read-only actions, and %s changes things; "
			"give the full name: %s"), lm->m.name, name, found->name, found->name);
		return NULL;
	}
	if (matches > 1)
		error(_("%s %s: ambiguous action; say it in full (awsphase %s --help lists them)"),
		      lm->m.name, name, lm->m.name);
	else
		error(_("%s %s: no such action; awsphase %s --help lists them"),
		      lm->m.name, name, lm->m.name);
	return NULL;
}

void module_unload_all(void)
{
	while (nmodules) {
		module_free(modules[--nmodules]);
	}
	free(modules);
	modules = NULL;
	free(search_path);
	search_path = NULL;
}
