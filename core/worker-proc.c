/* One worker process: how it is started, how it is spoken to (the frames
 * core/aws-worker.py describes), what it costs.  Private to core/worker*.c,
 * apart from the frame functions worker.h exports for tests. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "worker-int.h"

static void put_u32(struct strbuf *sb, uint32_t v)
{
	unsigned char b[4] = { v >> 24, v >> 16, v >> 8, v };

	strbuf_add(sb, b, 4);
}

uint32_t worker_get_u32(const char *p)
{
	const unsigned char *b = (const unsigned char *)p;

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static void put_strings(struct strbuf *sb, const char *const *v)
{
	size_t n = 0, i;

	while (v && v[n])
		n++;
	put_u32(sb, (uint32_t)n);
	for (i = 0; i < n; i++) {
		put_u32(sb, (uint32_t)strlen(v[i]));
		strbuf_add(sb, v[i], strlen(v[i]));
	}
}

void worker_encode_request(struct strbuf *sb, const char *const *env, const char *const *argv)
{
	size_t at = sb->len, len;

	put_u32(sb, 0);
	strbuf_addch(sb, 'Q');
	put_strings(sb, env);
	put_strings(sb, argv);
	len = sb->len - at - 4;
	sb->buf[at] = (char)(len >> 24);
	sb->buf[at + 1] = (char)(len >> 16);
	sb->buf[at + 2] = (char)(len >> 8);
	sb->buf[at + 3] = (char)len;
}

int worker_decode_reply(const char *frame, size_t len, int *exit_code, const char **out,
			size_t *out_len, const char **err, size_t *err_len)
{
	size_t n, m;

	if (len < 13 || frame[0] != 'R')
		return -1;
	*exit_code = (int)(int32_t)worker_get_u32(frame + 1);
	n = worker_get_u32(frame + 5);
	if (n > len - 13)
		return -1;
	m = worker_get_u32(frame + 9 + n);
	if (m != len - 13 - n)
		return -1;
	*out = frame + 9;
	*out_len = n;
	*err = frame + 13 + n;
	*err_len = m;
	return 0;
}

int worker_spawn(const struct worker_cli *cli, const char *helper, pid_t *pid, int *to, int *from)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 };
	const char *argv[6], *env[2] = { NULL, NULL }, *old_path = getenv("PATH");
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	struct strbuf path = STRBUF_INIT;
	char **envp;
	size_t n = 0;
	int rc;

	argv[n++] = cli->interp;
	if (cli->interp_arg)
		argv[n++] = cli->interp_arg;
	argv[n++] = helper;
	argv[n++] = cli->script;
	argv[n] = NULL;
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
		rc = errno;
		run_close_pipe(in);
		run_close_pipe(out);
		return rc;
	}
	if (cli->path_prefix && old_path) {
		strbuf_addf(&path, "PATH=%s:%s", cli->path_prefix, old_path);
		env[0] = strbuf_str(&path);
	}
	envp = run_environ(env);
	/* its own group, killed as one; the helper reports through frames, so
	 * the tracebacks of a crash go nowhere */
	run_spawn_setup(&fa, &attr, in[0], out[1], -1);
	rc = posix_spawn(pid, argv[0], &fa, &attr, (char *const *)argv, envp);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	free(envp);
	strbuf_release(&path);
	run_close_fd(&in[0]);
	run_close_fd(&out[1]);
	if (rc) {
		run_close_fd(&in[1]);
		run_close_fd(&out[0]);
		return rc;
	}
	*to = in[1];
	*from = out[0];
	run_set_nonblock(*to);
	run_set_nonblock(*from);
	return 0;
}

static long proc_field_kib(pid_t pid, const char *field)
{
	char path[64], line[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, strlen(field)) == 0) {
			v = strtol(line + strlen(field), NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

double worker_proc_cpu_ms(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long utime, stime;
	double ms = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) &&
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) == 2)
		ms = (double)(utime + stime) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
	fclose(f);
	return ms;
}

long worker_proc_peak_rss_kib(pid_t pid)
{
	return proc_field_kib(pid, "VmHWM:");
}
