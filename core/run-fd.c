/* The plumbing of a child process, shared by run.c and the worker pool:
 * descriptors, reading a pipe, the environment, the spawn attributes. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run-int.h"
#include "strbuf.h"

extern char **environ;

void run_close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

char **run_environ(const char *const *extra)
{
	size_t n = 0, m = 0, i, j;
	char **envp;

	while (environ[n])
		n++;
	while (extra && extra[m])
		m++;
	envp = xcalloc(n + m + 1, sizeof(*envp));
	for (i = j = 0; i < n; i++) {
		size_t k, klen = strcspn(environ[i], "=");
		int overridden = 0;

		for (k = 0; k < m && !overridden; k++)
			overridden = strncmp(extra[k], environ[i], klen) == 0 && extra[k][klen] == '=';
		if (!overridden)
			envp[j++] = environ[i];
	}
	for (i = 0; i < m; i++)
		envp[j++] = (char *)extra[i];
	return envp;
}

void run_close_pipe(int p[2])
{
	run_close_fd(&p[0]);
	run_close_fd(&p[1]);
}

int run_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

void run_spawn_setup(posix_spawn_file_actions_t *fa, posix_spawnattr_t *attr, int in, int out, int err)
{
	const int from[3] = { in, out, err };
	sigset_t mask, deflt;
	int fd;

	posix_spawn_file_actions_init(fa);
	for (fd = 0; fd < 3; fd++) {
		if (from[fd] >= 0)
			posix_spawn_file_actions_adddup2(fa, from[fd], fd);
		else
			posix_spawn_file_actions_addopen(fa, fd, "/dev/null", fd ? O_WRONLY : O_RDONLY, 0);
	}
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
	/* descriptors someone opened without O_CLOEXEC stay with us */
	posix_spawn_file_actions_addclosefrom_np(fa, 3);
#endif
	posix_spawnattr_init(attr);
	sigemptyset(&mask);
	sigfillset(&deflt);
	posix_spawnattr_setsigmask(attr, &mask);
	posix_spawnattr_setsigdefault(attr, &deflt);
	posix_spawnattr_setpgroup(attr, 0);
	posix_spawnattr_setflags(attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
				 POSIX_SPAWN_SETSIGDEF);
}

int run_drain(int fd, struct strbuf *sb, size_t max)
{
	for (;;) {
		size_t want = RUN_CHUNK;
		ssize_t n;

		if (max && sb->len >= max) {
			char probe;

			do
				n = read(fd, &probe, 1);
			while (n < 0 && errno == EINTR);
			return n > 0 ? 2 : n < 0 && errno == EAGAIN;
		}
		if (max && max - sb->len < want)
			want = max - sb->len;
		strbuf_grow(sb, want);
		sb->buf[sb->len] = '\0'; /* a fresh buffer is not terminated yet */
		n = read(fd, sb->buf + sb->len, want);
		if (n > 0) {
			sb->len += (size_t)n;
			sb->buf[sb->len] = '\0';
			if ((size_t)n < want)
				return 1;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 && errno == EAGAIN;
	}
}
