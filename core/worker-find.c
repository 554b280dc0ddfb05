/* Whether the aws CLI can run in a worker, and how to start one: the aws
 * command must resolve to the CLI's Python entry script (following a pyenv
 * shim the way `pyenv exec` does), whose #! interpreter runs the helper.
 * Whether that interpreter can import awscli is the helper's to say: it
 * answers 'E' instead of hello when it cannot.  Private to core/worker*.c. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "i18n.h"
#include "worker-int.h"

#ifndef AWSPHASE_WORKER_PATH
#define AWSPHASE_WORKER_PATH "/usr/local/libexec/awsphase/aws-worker"
#endif

/* What follows the last '/' of path, or path. */
static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static int is_exec_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* name when it has a '/', else its first match on PATH; malloc'd or NULL. */
static char *find_on_path(const char *name)
{
	const char *p = getenv("PATH");
	struct strbuf sb = STRBUF_INIT;

	if (strchr(name, '/'))
		return is_exec_file(name) ? xstrdup(name) : NULL;
	if (!p || !*p)
		p = "/usr/local/bin:/usr/bin:/bin";
	while (*p) {
		size_t len = strcspn(p, ":");

		strbuf_reset(&sb);
		if (len)
			strbuf_add(&sb, p, len);
		else
			strbuf_addch(&sb, '.');
		strbuf_addf(&sb, "/%s", name);
		if (is_exec_file(strbuf_str(&sb)))
			return strbuf_detach(&sb);
		p += len + (p[len] == ':');
	}
	strbuf_release(&sb);
	return NULL;
}

static size_t read_head(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	if (fd >= 0) {
		while (got < size - 1) {
			ssize_t n = read(fd, buf + got, size - 1 - got);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			got += (size_t)n;
		}
		close(fd);
	}
	buf[got] = '\0';
	return got;
}

/* The value between the double quotes after prefix on a line of text. */
static char *quoted_after(const char *text, const char *prefix, const char *suffix)
{
	const char *line = text;

	while (line && *line) {
		const char *end = strchr(line, '\n'), *q;

		if (!end)
			end = line + strlen(line);
		if (strncmp(line, prefix, strlen(prefix)) == 0) {
			const char *v = line + strlen(prefix);

			q = memchr(v, '"', (size_t)(end - v));
			if (q && (!suffix || (size_t)(end - q) >= strlen(suffix)) &&
			    (!suffix || strncmp(q, suffix, strlen(suffix)) == 0))
				return xstrndup(v, (size_t)(q - v));
		}
		line = *end ? end + 1 : NULL;
	}
	return NULL;
}

/* A pyenv shim: `pyenv which NAME` as the shim would run it. */
static char *follow_pyenv(const char *shim, const char *text, struct worker_cli *cli,
			  char *why, size_t whylen)
{
	char *pyenv = quoted_after(text, "exec \"", "\" exec \"$program\"");
	char *root = quoted_after(text, "export PYENV_ROOT=\"", NULL);
	const char *name = base_name(shim);
	const char *argv[] = { pyenv, "which", name, NULL };
	struct strbuf env0 = STRBUF_INIT;
	const char *env[] = { NULL, NULL };
	struct run_cmd cmd = { 0 };
	char *target = NULL, *slash;

	if (!pyenv) {
		snprintf(why, whylen, _("%s looks like a pyenv shim without its pyenv"), shim);
		goto out;
	}
	if (root) {
		strbuf_addf(&env0, "PYENV_ROOT=%s", root);
		env[0] = strbuf_str(&env0);
	}
	cmd.argv = argv;
	cmd.env = env;
	cmd.timeout_ms = 10000;
	if (run_cmd(&cmd) < 0 || cmd.exit_code != 0 || cmd.out_len == 0) {
		snprintf(why, whylen, _("`pyenv which %s` failed (exit %d)"), name, cmd.exit_code);
		goto out;
	}
	target = xstrndup(cmd.out, strcspn(cmd.out, "\r\n"));
	/* pyenv exec puts the version's bin folder first on PATH */
	slash = strrchr(target, '/');
	if (slash && slash != target) {
		free(cli->path_prefix);
		cli->path_prefix = xstrndup(target, (size_t)(slash - target));
	}
out:
	run_cmd_release(&cmd);
	strbuf_release(&env0);
	free(pyenv);
	free(root);
	return target;
}

static int looks_like_python(const char *interp)
{
	const char *base = base_name(interp);

	return strncmp(base, "python", 6) == 0 || strncmp(base, "pypy", 4) == 0;
}

int worker_find_cli(const char *aws, struct worker_cli *cli, char *why, size_t whylen)
{
	char *path = find_on_path(aws);
	char head[4096];
	int depth;

	memset(cli, 0, sizeof(*cli));
	if (!path) {
		snprintf(why, whylen, _("%s: not found or not executable"), aws);
		return -2;
	}
	for (depth = 0; depth < 3; depth++) {
		char *line, *interp, *arg, *next;

		read_head(path, head, sizeof(head));
		if (strncmp(head, "#!", 2) != 0) {
			snprintf(why, whylen, _("%s is not a script (a packaged binary?)"), path);
			break;
		}
		if (strstr(head, "libexec/pyenv\" exec \"$program\"")) {
			next = follow_pyenv(path, head, cli, why, whylen);
			if (!next)
				break;
			free(path);
			path = next;
			continue;
		}
		line = head + 2;
		line[strcspn(line, "\r\n")] = '\0';
		interp = line + strspn(line, " \t");
		arg = interp + strcspn(interp, " \t");
		if (*arg) {
			*arg++ = '\0';
			arg += strspn(arg, " \t");
			arg[strcspn(arg, "\r\n")] = '\0';
			while (*arg && strchr(" \t", arg[strlen(arg) - 1]))
				arg[strlen(arg) - 1] = '\0';
		}
		if (strcmp(base_name(interp), "env") == 0) {
			if (!*arg || strchr(arg, ' ') || arg[0] == '-') {
				snprintf(why, whylen, _("%s: #!%s %s is not a plain interpreter"), path,
					 interp, arg);
				break;
			}
			cli->interp = find_on_path(arg);
			arg = "";
			if (!cli->interp) {
				snprintf(why, whylen, _("%s: its interpreter is not on PATH"), path);
				break;
			}
		} else {
			cli->interp = xstrdup(interp);
		}
		if (!looks_like_python(cli->interp)) {
			snprintf(why, whylen, _("%s is run by %s, not by Python"), path, cli->interp);
			break;
		}
		cli->interp_arg = *arg ? xstrdup(arg) : NULL;
		cli->script = path;
		return 0;
	}
	if (depth == 3)
		snprintf(why, whylen, _("%s: too many shims"), path);
	free(path);
	worker_cli_release(cli);
	return -1;
}

void worker_cli_release(struct worker_cli *cli)
{
	free(cli->interp);
	free(cli->interp_arg);
	free(cli->script);
	free(cli->path_prefix);
	memset(cli, 0, sizeof(*cli));
}

char *worker_find_helper(void)
{
	const char *env = getenv("AWSPHASE_AWS_WORKER");
	char self[PATH_MAX];
	ssize_t n;

	if (env && *env)
		return xstrdup(env);
	if (access(AWSPHASE_WORKER_PATH, R_OK) == 0)
		return xstrdup(AWSPHASE_WORKER_PATH);
	/* not installed: the build tree's copy, next to the awsphase binary */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		struct strbuf sb = STRBUF_INIT;
		char *slash;

		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			strbuf_addf(&sb, "%s/core/aws-worker", self);
			if (access(strbuf_str(&sb), R_OK) == 0)
				return strbuf_detach(&sb);
		}
		strbuf_release(&sb);
	}
	return NULL;
}
