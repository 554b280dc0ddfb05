#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "awsphase/module.h"
#include "i18n.h"
#include "lock.h"
#include "log.h"
#include "run.h"
#include "strbuf.h"
#include "wait.h"

static int lock_fd = -1;
static unsigned depth;

/* Between two tries while another run holds it. */
#define LOCK_POLL_S 0.2

static int try_lock(int fd)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

	if (fcntl(fd, F_SETLK, &fl) == 0)
		return 1;
	return errno == EACCES || errno == EAGAIN ? 0 : -1;
}

/* The pid of the process that holds it: the kernel's answer, else what the
 * holder wrote in the file; 0 when neither says, -1 when it is free now. */
static long holder(int fd)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char buf[32];
	ssize_t n;

	if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type == F_UNLCK)
		return -1;
	if (fl.l_type != F_UNLCK && fl.l_pid > 0)
		return (long)fl.l_pid;
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtol(buf, NULL, 10) > 0 ? strtol(buf, NULL, 10) : 0;
}

static void who(char *buf, size_t size, long pid)
{
	if (pid > 0)
		snprintf(buf, size, _("process %ld"), pid);
	else
		snprintf(buf, size, "%s", _("process unknown"));
}

static int show_progress(void)
{
	return isatty(STDERR_FILENO) && log_verbosity() >= 0;
}

/* Waits until fd is locked: 0, or an exit code (reported). */
static int acquire(int fd, const char *env_file, int wait, double timeout_s)
{
	long start = run_now_ms(), now;
	int announced = 0, r;
	char by[64];
	long pid;

	for (;;) {
		r = try_lock(fd);
		if (r > 0)
			break;
		if (r < 0) {
			error(_("%s.lock: cannot lock it: %s; put the env file on a file system "
				"that supports locks"), env_file, strerror(errno));
			return AWSPHASE_EXIT_USAGE;
		}
		pid = holder(fd);
		if (pid < 0)
			continue; /* let go in between: try again */
		who(by, sizeof(by), pid);
		if (!wait) {
			error(_("%s: another awsphase run (%s) is changing it (it holds %s.lock); "
				"nothing was done; run again when that one has ended, or drop "
				"--no-wait-lock to wait for it"), env_file, by, env_file);
			return AWSPHASE_EXIT_LOCKED;
		}
		now = run_now_ms();
		if (now - start >= (long)(timeout_s * 1000)) {
			if (show_progress())
				fputs("\r\033[K", stderr);
			error(_("%s: another awsphase run (%s) still holds it after %.0f s; nothing "
				"was done; raise --timeout, or see what that run is doing"), env_file,
			      by, timeout_s);
			return AWSPHASE_EXIT_TIMEOUT;
		}
		if (show_progress()) {
			fprintf(stderr, "\r\033[K⏳ ");
			fprintf(stderr, _("%s: waiting for another awsphase run (%s) to end (%lds)"),
				env_file, by, (now - start) / 1000);
			fflush(stderr);
		} else if (!announced) {
			struct strbuf line = STRBUF_INIT;

			strbuf_addf(&line, _("%s: another awsphase run (%s) is changing it; waiting up "
					     "to %.0f s for it to end (--no-wait-lock: refuse instead)"),
				    env_file, by, timeout_s);
			log_msg(AWSPHASE_LOG_INFO, "awsphase: %s", strbuf_str(&line));
			strbuf_release(&line);
		}
		announced = 1;
		if (wait_sleep(LOCK_POLL_S) < 0) {
			if (show_progress())
				fputs("\r\033[K", stderr);
			error(_("%s: interrupted while waiting for another awsphase run (%s) to end"),
			      env_file, by);
			return AWSPHASE_EXIT_INTERRUPTED;
		}
	}
	if (announced && show_progress())
		fputs("\r\033[K", stderr);
	if (announced)
		log_msg(AWSPHASE_LOG_VERBOSE, _("%s: locked after %.1f s"), env_file,
			(double)(run_now_ms() - start) / 1000.0);
	return 0;
}

int lock_take(const char *env_file, int wait, double timeout_s)
{
	struct strbuf path = STRBUF_INIT;
	char pid[32];
	int fd, rc;

	if (depth) {
		depth++;
		return 0;
	}
	/* none, or one we may not read: the action says so, as it would have */
	if (access(env_file, R_OK) != 0) {
		depth++;
		return 0;
	}
	strbuf_addf(&path, "%s.lock", env_file);
	fd = open(strbuf_str(&path), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
	if (fd < 0) {
		error(_("%s: cannot open it to lock the env file: %s; make its folder writable "
			"(the env file is rewritten there too)"), strbuf_str(&path), strerror(errno));
		strbuf_release(&path);
		return AWSPHASE_EXIT_USAGE;
	}
	strbuf_release(&path);
	rc = acquire(fd, env_file, wait, timeout_s);
	if (rc) {
		close(fd);
		return rc;
	}
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	/* for people: awsphase itself asks the kernel who holds it */
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, strlen(pid), 0) < 0)
		log_msg(AWSPHASE_LOG_VERBOSE, "%s.lock: %s", env_file, strerror(errno));
	lock_fd = fd;
	depth = 1;
	return 0;
}

void lock_release(void)
{
	if (!depth || --depth)
		return;
	if (lock_fd >= 0) {
		/* the pid goes first: a reader then never sees ours on a free lock */
		if (ftruncate(lock_fd, 0) < 0)
			log_msg(AWSPHASE_LOG_VERBOSE, "lock: %s", strerror(errno));
		close(lock_fd);
	}
	lock_fd = -1;
}
