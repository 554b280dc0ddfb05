/* The module loader: a good module loads, finds by name and alias, and
 * resolves actions by unique prefix (read-only ones only); a wrong ABI, a missing entry symbol
 * and a writable file are refused with a message that says what to do. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "module.h"
#include "strbuf.h"
#include "tap.h"

static char stderr_file[] = "/tmp/awsphase-test-module.XXXXXX";
static int saved_stderr;

static void capture_begin(void)
{
	int fd = mkstemp(stderr_file);

	fflush(stderr);
	saved_stderr = dup(2);
	dup2(fd, 2);
	close(fd);
}

static char *capture_end(void)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	size_t n;
	FILE *f;

	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	f = fopen(stderr_file, "r");
	while (f && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(&sb, buf, n);
	if (f)
		fclose(f);
	unlink(stderr_file);
	strcpy(stderr_file + strlen(stderr_file) - 6, "XXXXXX");
	return strbuf_detach(&sb);
}

static char *so(const char *name)
{
	const char *b = getenv("top_builddir");
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "%s/tests/unit/.libs/%s.so", b ? b : ".", name);
	return strbuf_detach(&sb);
}

int main(void)
{
	char *good = so("mod-good"), *badabi = so("mod-badabi"), *nosym = so("mod-nosym");
	struct loaded_module *lm;
	char *err, *copy_dir, *copy;
	struct strbuf cmd = STRBUF_INIT;

	plan(20);

	lm = module_load(good);
	ok(lm != NULL, "a good module loads");
	is_str(lm ? lm->m.name : NULL, "good", "its name is read");
	ok(lm && lm->m.struct_size == sizeof(struct awsphase_module), "struct_size filled by AWSPHASE_MODULE");
	ok(lm && module_find_action(lm, "hello") == &lm->m.actions[0], "exact action name found");
	ok(lm && module_find_action(lm, "hell") == &lm->m.actions[0], "unique prefix found");
	ok(lm && module_find_action(lm, "wipe") == &lm->m.actions[3], "an action that changes things, by its full name");
	ok(lm && !(lm->m.actions[3].flags & AWSPHASE_ACTION_READONLY) &&
	   (lm->m.actions[0].flags & AWSPHASE_ACTION_READONLY), "the action flags are copied");
	capture_begin();
	ok(lm && module_find_action(lm, "w") == NULL, "a prefix of an action that changes things refused");
	err = capture_end();
	ok(strstr(err, "good w: ") && strstr(err, "give the full name: wipe"),
	   "the refusal names the full name: %s", err);
	free(err);
	capture_begin();
	ok(lm && module_find_action(lm, "he") == NULL, "ambiguous prefix refused");
	err = capture_end();
	ok(strstr(err, "ambiguous") != NULL, "ambiguity is explained: %s", err);
	free(err);
	module_free(lm);

	capture_begin();
	lm = module_load(badabi);
	err = capture_end();
	ok(lm == NULL, "a module of another API version is refused");
	ok(strstr(err, "API 42") && strstr(err, "rebuild"), "message names the version and the fix: %s", err);
	free(err);

	capture_begin();
	lm = module_load(nosym);
	err = capture_end();
	ok(lm == NULL, "a shared object without the entry symbol is refused");
	ok(strstr(err, "awsphase_module_entry") && strstr(err, "AWSPHASE_MODULE()"),
	   "message names the symbol and the macro: %s", err);
	free(err);

	copy_dir = xstrdup("/tmp/awsphase-mods.XXXXXX");
	if (!mkdtemp(copy_dir))
		return 1;
	copy = xmalloc(strlen(copy_dir) + 32);
	sprintf(copy, "%s/good.so", copy_dir);
	strbuf_addf(&cmd, "cp '%s' '%s'", good, copy);
	ok(system(cmd.buf) == 0, "copied the good module");
	chmod(copy, 0666);
	capture_begin();
	lm = module_load(copy);
	err = capture_end();
	ok(lm == NULL, "a world-writable module file is refused");
	ok(strstr(err, "chmod go-w") != NULL, "message says how to fix it: %s", err);
	free(err);

	chmod(copy, 0755);
	setenv("AWSPHASE_MODULE_PATH", copy_dir, 1);
	ok(module_load_all() >= 1 && module_find("goodmod") != NULL, "found by alias through AWSPHASE_MODULE_PATH");
	ok(strncmp(module_search_path(), copy_dir, strlen(copy_dir)) == 0, "the search path starts with AWSPHASE_MODULE_PATH");
	module_unload_all();

	unlink(copy);
	rmdir(copy_dir);
	free(copy);
	free(copy_dir);
	strbuf_release(&cmd);
	free(good);
	free(badabi);
	free(nosym);
	return done();
}
