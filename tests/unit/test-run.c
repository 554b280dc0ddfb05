/* Child processes: exit codes, signals, big output on both pipes, stdin,
 * deadlines that kill a whole process group, spawn errors, parallel runs,
 * descriptor hygiene and interruption. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "run.h"
#include "strbuf.h"
#include "tap.h"

static char fake_aws[4096];

static void find_fake_aws(const char *argv0)
{
	const char *top = getenv("top_builddir");
	const char *slash = strrchr(argv0, '/');

	if (top)
		snprintf(fake_aws, sizeof(fake_aws), "%s/tests/unit/fake-aws", top);
	else if (slash)
		snprintf(fake_aws, sizeof(fake_aws), "%.*s/fake-aws", (int)(slash - argv0), argv0);
	else
		snprintf(fake_aws, sizeof(fake_aws), "./fake-aws");
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int sh(struct run_cmd *cmd, const char *script, int timeout_ms)
{
	static const char *argv[4];

	memset(cmd, 0, sizeof(*cmd));
	argv[0] = "sh";
	argv[1] = "-c";
	argv[2] = script;
	argv[3] = NULL;
	cmd->argv = argv;
	cmd->timeout_ms = timeout_ms;
	return run_cmd(cmd);
}

/* 1 when pid is gone (or a zombie nobody reaps yet), waiting up to 2 s. */
static int process_gone(pid_t pid)
{
	int i;

	for (i = 0; i < 200; i++) {
		char path[64], buf[512];
		FILE *f;
		char *p;

		if (kill(pid, 0) < 0 && errno == ESRCH)
			return 1;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		f = fopen(path, "r");
		if (!f)
			return 1;
		p = fgets(buf, sizeof(buf), f);
		fclose(f);
		p = p ? strrchr(buf, ')') : NULL;
		if (p && p[1] == ' ' && p[2] == 'Z')
			return 1;
		usleep(10000);
	}
	return 0;
}

static void test_basics(void)
{
	struct run_cmd cmd;

	is_int(sh(&cmd, "echo out; echo err >&2; exit 3", 0), 0, "a failing command ran");
	is_int(cmd.exit_code, 3, "exit code 3");
	is_str(cmd.out, "out\n", "stdout captured");
	is_str(cmd.err, "err\n", "stderr captured");
	ok(cmd.signal == 0 && !cmd.timed_out && !cmd.spawn_errno && !cmd.interrupted,
	   "no signal, timeout or spawn error");
	run_cmd_release(&cmd);

	sh(&cmd, "exit 127", 0);
	ok(cmd.exit_code == 127 && cmd.spawn_errno == 0,
	   "a command exiting 127 is a failing command, not a missing one");
	run_cmd_release(&cmd);

	sh(&cmd, "kill -TERM $$", 0);
	ok(cmd.exit_code == 128 + SIGTERM && cmd.signal == SIGTERM, "killed by SIGTERM: 143");
	run_cmd_release(&cmd);

	sh(&cmd, "true", 0);
	ok(cmd.out && cmd.err && cmd.out_len == 0 && cmd.err_len == 0 && !*cmd.out && !*cmd.err,
	   "empty output is \"\", never NULL");
	run_cmd_release(&cmd);
}

static void test_big_output(void)
{
	static const char *env[] = { "FAKE_AWS_SCRIPT=big:5000000", NULL };
	const char *argv[] = { fake_aws, "ecs", "list-services", NULL };
	struct run_cmd cmd = { .argv = argv, .env = env, .timeout_ms = 30000 };

	is_int(run_cmd(&cmd), 0, "fake-aws writing 5 MB to both pipes, interleaved");
	ok(cmd.out_len == 5000000 + 12 && cmd.err_len == 5000000 && cmd.exit_code == 0,
	   "got all of both (%zu, %zu bytes)", cmd.out_len, cmd.err_len);
	ok(strlen(cmd.out) == cmd.out_len, "stdout is NUL-terminated");
	run_cmd_release(&cmd);

	sh(&cmd, "head -c 3000000 /dev/zero | tr '\\0' e >&2; head -c 3000000 /dev/zero | tr '\\0' o",
	   30000);
	ok(cmd.out_len == 3000000 && cmd.err_len == 3000000 && !cmd.timed_out,
	   "3 MB on stderr first, then 3 MB on stdout: no deadlock");
	run_cmd_release(&cmd);
}

/* An answer past RUN_MAX_OUTPUT: what was read stops there, the child is
 * stopped rather than read to the end, and the cmd says so. */
static void test_output_cap(void)
{
	static const char *env[] = { "FAKE_AWS_SCRIPT=big:40000000", NULL };
	const char *argv[] = { fake_aws, "ecs", "list-services", NULL };
	struct run_cmd cmd = { .argv = argv, .env = env, .timeout_ms = 30000 };

	is_int(run_cmd(&cmd), 0, "fake-aws writing 40 MB to both pipes");
	ok(cmd.too_big && cmd.out_len <= RUN_MAX_OUTPUT && cmd.err_len <= RUN_MAX_OUTPUT &&
	   cmd.out_len + cmd.err_len >= RUN_MAX_OUTPUT && strlen(cmd.out) == cmd.out_len,
	   "too_big, at most %d MiB of each kept (%zu, %zu bytes)", RUN_MAX_OUTPUT_MIB,
	   cmd.out_len, cmd.err_len);
	/* the pipe is closed as the child is signalled: whichever comes
	 * first ends it, SIGTERM or the SIGPIPE of its next write */
	ok((cmd.signal == SIGTERM || cmd.signal == SIGPIPE) && !cmd.timed_out,
	   "the child was stopped, not read to its end (signal %d)", cmd.signal);
	run_cmd_release(&cmd);

	sh(&cmd, "head -c 33554432 /dev/zero | tr '\\0' o", 30000);
	ok(!cmd.too_big && cmd.out_len == RUN_MAX_OUTPUT && cmd.exit_code == 0,
	   "exactly %d MiB is not too big", RUN_MAX_OUTPUT_MIB);
	run_cmd_release(&cmd);
}

/* The run's deadline caps every child's own, and one with none. */
static void test_run_deadline(void)
{
	struct run_cmd cmd;
	long t0;

	run_mark_start();
	run_set_deadline(0.5);
	t0 = run_now_ms();
	sh(&cmd, "sleep 30", 60000);
	t0 = run_now_ms() - t0;
	ok(cmd.timed_out && t0 < 2000, "a 60 s call ends at the run's 0.5 s deadline (%ld ms)", t0);
	run_cmd_release(&cmd);
	t0 = run_now_ms();
	sh(&cmd, "sleep 30", 0);
	t0 = run_now_ms() - t0;
	ok(cmd.timed_out && t0 < 500, "past the deadline, even a call without one ends at once (%ld ms)", t0);
	run_cmd_release(&cmd);
	run_set_deadline(0);
	ok(run_time_left_ms() == LONG_MAX, "run_set_deadline(0): no deadline");
}

static void test_stdin(void)
{
	const char *argv[] = { "cat", NULL };
	struct run_cmd cmd = { .argv = argv, .timeout_ms = 30000 };
	size_t n = 3 * 1024 * 1024, i;
	char *data = xmalloc(n);

	for (i = 0; i < n; i++)
		data[i] = (char)('a' + i % 26);
	cmd.stdin_data = data;
	cmd.stdin_len = n;
	run_cmd(&cmd);
	ok(cmd.out_len == n && memcmp(cmd.out, data, n) == 0,
	   "3 MB through cat's stdin and back while both pipes fill");
	run_cmd_release(&cmd);

	memset(&cmd, 0, sizeof(cmd));
	cmd.argv = argv;
	cmd.timeout_ms = 5000;
	run_cmd(&cmd);
	ok(cmd.exit_code == 0 && cmd.out_len == 0 && !cmd.timed_out, "without data, stdin is /dev/null");
	run_cmd_release(&cmd);

	sh(&cmd, "exit 0", 0);
	run_cmd_release(&cmd);
	memset(&cmd, 0, sizeof(cmd));
	{
		const char *a[] = { "sh", "-c", "exit 4", NULL };

		cmd.argv = a;
		cmd.stdin_data = data;
		cmd.stdin_len = n;
		run_cmd(&cmd);
		ok(cmd.exit_code == 4, "a child that ignores its stdin: EPIPE, not SIGPIPE for us");
		run_cmd_release(&cmd);
	}
	free(data);
}

static void test_env(void)
{
	static const char *env[] = { "RUNTEST_NEW=fresh", "RUNTEST_OLD=new", NULL };
	const char *argv[] = { "sh", "-c", "printf '%s %s %s' \"$RUNTEST_NEW\" \"$RUNTEST_OLD\" \"$RUNTEST_KEEP\"", NULL };
	struct run_cmd cmd = { .argv = argv, .env = env };

	setenv("RUNTEST_OLD", "old", 1);
	setenv("RUNTEST_KEEP", "kept", 1);
	run_cmd(&cmd);
	is_str(cmd.out, "fresh new kept", "env is laid on top of environ");
	run_cmd_release(&cmd);
}

static void test_deadline(void)
{
	struct run_cmd cmd;
	long t0 = run_now_ms();
	pid_t grandchild = 0;

	sh(&cmd, "sleep 60 & echo $!; sleep 60", 300);
	ok(cmd.timed_out && cmd.signal == SIGTERM && cmd.exit_code == 128 + SIGTERM,
	   "deadline: SIGTERM to the process group (exit %d)", cmd.exit_code);
	ok(run_now_ms() - t0 < 2000, "returned soon after the deadline (%ld ms)", run_now_ms() - t0);
	grandchild = (pid_t)atoi(cmd.out);
	ok(grandchild > 0 && process_gone(grandchild), "the grandchild (pid %d) died with it", (int)grandchild);
	run_cmd_release(&cmd);

	t0 = run_now_ms();
	sh(&cmd, "trap '' TERM; sleep 60", 200);
	ok(cmd.timed_out && cmd.signal == SIGKILL, "SIGTERM ignored: SIGKILL follows");
	ok(cmd.ms >= 2000 && cmd.ms < 5000, "about 2 s after SIGTERM (%ld ms)", cmd.ms);
	run_cmd_release(&cmd);

	t0 = run_now_ms();
	sh(&cmd, "sleep 30 & echo started", 0);
	ok(cmd.exit_code == 0 && strcmp(cmd.out, "started\n") == 0 && run_now_ms() - t0 < 4000,
	   "a background process holding the pipes does not keep us waiting (%ld ms)",
	   run_now_ms() - t0);
	run_cmd_release(&cmd);
}

static void test_spawn_errors(void)
{
	const char *missing[] = { "awsphase-test-no-such-program", NULL };
	const char *missing_path[] = { "/nonexistent/aws", NULL };
	char path[] = "/tmp/awsphase-test-noexec-XXXXXX";
	const char *noexec[] = { path, NULL };
	struct run_cmd cmd = { .argv = missing };
	int fd;

	is_int(run_cmd(&cmd), -1, "a program not on PATH cannot be started");
	ok(cmd.spawn_errno == ENOENT && cmd.exit_code == 127 && cmd.out && cmd.err,
	   "spawn_errno ENOENT, exit code 127");
	run_cmd_release(&cmd);

	memset(&cmd, 0, sizeof(cmd));
	cmd.argv = missing_path;
	ok(run_cmd(&cmd) == -1 && cmd.spawn_errno == ENOENT, "a missing path: ENOENT");
	run_cmd_release(&cmd);

	fd = mkstemp(path);
	if (fd >= 0) {
		if (write(fd, "#!/bin/sh\necho hi\n", 18) != 18) {
			/* the test below fails and says so */
		}
		close(fd);
		chmod(path, 0644);
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.argv = noexec;
	ok(run_cmd(&cmd) == -1 && cmd.spawn_errno == EACCES && cmd.exit_code == 126,
	   "a file without x permission: EACCES, exit code 126");
	run_cmd_release(&cmd);
	unlink(path);
}

static void test_parallel(void)
{
	const char *sleeper[] = { "sleep", "0.5", NULL };
	const char *missing[] = { "awsphase-test-no-such-program", NULL };
	const char *echo[] = { "sh", "-c", "echo $0", "second", NULL };
	struct run_cmd cmds[4];
	long t0, wall;
	size_t i;

	memset(cmds, 0, sizeof(cmds));
	for (i = 0; i < 4; i++)
		cmds[i].argv = sleeper;
	t0 = run_now_ms();
	is_int(run_cmds(cmds, 4, 0), 0, "four sleeps at once");
	wall = run_now_ms() - t0;
	ok(wall < 1500, "they overlap: %ld ms for 4 x 500 ms", wall);
	for (i = 0; i < 4; i++)
		run_cmd_release(&cmds[i]);

	memset(cmds, 0, sizeof(cmds));
	for (i = 0; i < 4; i++)
		cmds[i].argv = sleeper;
	t0 = run_now_ms();
	run_cmds(cmds, 4, 2);
	wall = run_now_ms() - t0;
	ok(wall >= 1000 && wall < 2500, "max_parallel 2: two rounds (%ld ms)", wall);
	for (i = 0; i < 4; i++)
		run_cmd_release(&cmds[i]);

	memset(cmds, 0, sizeof(cmds));
	cmds[0].argv = echo;
	cmds[1].argv = missing;
	cmds[2].argv = echo;
	is_int(run_cmds(cmds, 3, 0), 1, "one of three could not start");
	ok(strcmp(cmds[0].out, "second\n") == 0 && cmds[1].spawn_errno == ENOENT &&
	   strcmp(cmds[2].out, "second\n") == 0, "the others ran, each with its own output");
	for (i = 0; i < 3; i++)
		run_cmd_release(&cmds[i]);
}

struct done_log {
	long at[3];
	int calls[3], exit[3];
};

static void on_done(const struct run_cmd *cmd, void *arg)
{
	struct done_log *log = arg;
	int i = cmd->argv[1][0] == '0' ? 0 : cmd->argv[1][0] == '1' ? 1 : 2;

	log->at[i] = run_now_ms();
	log->calls[i]++;
	log->exit[i] = cmd->exit_code;
}

/* The done hook fires as each command ends, not when the batch does. */
static void test_done_hook(void)
{
	const char *fast[] = { "sleep", "0", NULL };
	const char *slow[] = { "sleep", "1", NULL };
	const char *missing[] = { "awsphase-test-no-such-program", "2", NULL };
	struct done_log log;
	struct run_cmd cmds[3];
	long end;
	size_t i;

	memset(&log, 0, sizeof(log));
	memset(cmds, 0, sizeof(cmds));
	cmds[0].argv = fast;
	cmds[1].argv = slow;
	cmds[2].argv = missing;
	for (i = 0; i < 3; i++) {
		cmds[i].done = on_done;
		cmds[i].done_arg = &log;
	}
	run_cmds(cmds, 3, 0);
	end = run_now_ms();
	ok(log.calls[0] == 1 && log.calls[1] == 1 && log.calls[2] == 1,
	   "done is called once for each command, one that could not start too");
	ok(log.at[0] > 0 && end - log.at[0] >= 700 && end - log.at[1] < 300,
	   "for the fast one %ld ms before the batch ended, for the slow one at its end",
	   end - log.at[0]);
	ok(log.exit[0] == 0 && log.exit[2] == 127, "with the results final (exit %d, %d)",
	   log.exit[0], log.exit[2]);
	for (i = 0; i < 3; i++)
		run_cmd_release(&cmds[i]);
}

static void on_alarm(int sig)
{
	(void)sig;
	run_interrupt();
}

static void test_interrupt(void)
{
	const char *sleeper[] = { "sleep", "30", NULL };
	struct itimerval it = { { 0, 0 }, { 0, 300000 } };
	struct sigaction sa;
	struct run_cmd cmds[3];
	long t0;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	memset(cmds, 0, sizeof(cmds));
	for (i = 0; i < 3; i++)
		cmds[i].argv = sleeper;
	setitimer(ITIMER_REAL, &it, NULL);
	t0 = run_now_ms();
	is_int(run_cmds(cmds, 3, 2), 1, "interrupted: the third never started");
	ok(run_now_ms() - t0 < 2000, "run_interrupt stopped the loop (%ld ms)", run_now_ms() - t0);
	ok(cmds[0].interrupted && cmds[1].interrupted && cmds[0].signal == SIGTERM,
	   "running children were killed and marked interrupted");
	ok(cmds[2].interrupted && cmds[2].spawn_errno == EINTR, "the unstarted one is marked too");
	for (i = 0; i < 3; i++)
		run_cmd_release(&cmds[i]);
	ok(run_interrupted(), "run_interrupted() says so");
	memset(cmds, 0, sizeof(cmds));
	cmds[0].argv = sleeper;
	ok(run_cmd(&cmds[0]) == -1 && cmds[0].interrupted, "later runs fail at once");
	run_cmd_release(&cmds[0]);
	/* the host's cleanup(): what stops what the action started runs */
	is_int(run_resume(), 1, "run_resume() after an interrupt: 1");
	ok(!run_interrupted() && run_resume() == 0, "the interrupt is cleared, once");
	memset(cmds, 0, sizeof(cmds));
	cmds[0].argv = (const char *[]){ "true", NULL };
	ok(run_cmd(&cmds[0]) == 0 && !cmds[0].interrupted && cmds[0].exit_code == 0,
	   "then a command runs again");
	run_cmd_release(&cmds[0]);
}

int main(int argc, char **argv)
{
	int fds;

	(void)argc;
	find_fake_aws(argv[0]);
	plan(52);
	fds = count_fds();
	test_basics();
	test_big_output();
	test_output_cap();
	test_run_deadline();
	test_stdin();
	test_env();
	test_deadline();
	test_spawn_errors();
	test_parallel();
	test_done_hook();
	is_int(count_fds(), fds, "no descriptor leaked (%d open)", fds);
	test_interrupt();
	is_int(count_fds(), fds, "none after the interrupt either");
	return done();
}
