/* A value that must not appear in an aws call's arguments (a secret the
 * call stores: --secret-string, a password) goes to the aws CLI as
 * file://PATH, PATH a 0600 temporary file the host removes after the run.
 * Every phase that stores a secret needs it, and only the host knows when
 * the last call that reads the file has run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws.h"
#include "host.h"
#include "i18n.h"
#include "strbuf.h"

/* Each file: its descriptor, and its name while it has one. */
static struct held {
	int fd;
	char *path;
} *held;
static size_t nheld;

void argfile_release(void)
{
	while (nheld) {
		struct held *f = &held[--nheld];

		if (f->path)
			unlink(f->path);
		free(f->path);
		close(f->fd);
	}
	free(held);
	held = NULL;
}

/* The value in a file only its owner reads (mkstemp's 0600).  Where /proc
 * is, the file loses its name at once and the aws CLI opens it as
 * /proc/PID/fd/N: nothing is left on disk even if awsphase is killed
 * before its calls are done; elsewhere it is removed once they are.  The
 * worker and the aws CLI run as this user, so they may open that path. */
int host_call_arg_file(struct awsphase_call *call, const char *flag, const char *value,
		       const char *what)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	size_t len = value ? strlen(value) : 0;
	int fd;

	aws_call_arg(call, flag);
	if (host_get()->settings->dry_run) {
		aws_call_argf(call, "file://(a 0600 temporary file with %s)", what);
		return 0;
	}
	snprintf(path, sizeof(path), "%s/awsphase-secret.XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, value ? value : "", len) != (ssize_t)len) {
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
		host_get()->log(AWSPHASE_LOG_ERROR, "cannot write a temporary file for %s in %s; set "
				"TMPDIR to a writable directory", what, dir && *dir ? dir : "/tmp");
		return -AWSPHASE_EXIT_FAILED;
	}
	held = xrealloc(held, (nheld + 1) * sizeof(*held));
	held[nheld].fd = fd;
	held[nheld].path = NULL;
	if (access("/proc/self/fd", X_OK) == 0 && unlink(path) == 0) {
		aws_call_argf(call, "file:///proc/%ld/fd/%d", (long)getpid(), fd);
	} else {
		held[nheld].path = xstrdup(path);
		aws_call_argf(call, "file://%s", path);
	}
	nheld++;
	return 0;
}
