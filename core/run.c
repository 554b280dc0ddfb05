#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "run-int.h"
#include "share.h"
#include "strbuf.h"

/* At most this many children run at once; run_interrupt() finds their
 * process groups in a fixed table because a signal handler cannot allocate. */
#define MAX_RUNNING 64
#define KILL_GRACE_MS 2000   /* SIGTERM, then SIGKILL this much later */
#define ABANDON_MS 2000      /* after SIGKILL, or after the child exited, stop
				waiting for pipes a stray descendant holds open */

static volatile sig_atomic_t interrupt_flag;
static long start_ms, deadline_ms;
static double deadline_s;
static volatile sig_atomic_t running[MAX_RUNNING];
static volatile sig_atomic_t wake_fd = -1;

/* What struct run_cmd's killed_stage says was sent to the process group. */
enum { ALIVE, TERM_SENT, KILL_SENT };

/* Bookkeeping a struct run_cmd has no room for. */
struct slot {
	struct strbuf out, err;
	long kill_ms;       /* when TERM (then KILL) was sent */
	long exited_ms;     /* when the child was reaped, 0 before */
	long closed_ms;     /* when both output pipes reached EOF */
	int status;
	int active;
};

long run_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void run_interrupt(void)
{
	int saved = errno;
	size_t i;

	interrupt_flag = 1;
	for (i = 0; i < MAX_RUNNING; i++) {
		pid_t pgid = (pid_t)running[i];

		if (pgid > 0)
			kill(-pgid, SIGTERM);
	}
	if (wake_fd >= 0 && write(wake_fd, "", 1) < 0) {
		/* full pipe: the loop wakes anyway */
	}
	errno = saved;
}

int run_interrupted(void)
{
	return interrupt_flag != 0;
}

int run_resume(void)
{
	int was = interrupt_flag != 0;

	interrupt_flag = 0;
	return was;
}

int run_capped_timeout(int timeout_ms)
{
	long left = run_time_left_ms();

	if (left == LONG_MAX)
		return timeout_ms;
	if (left < 1)
		left = 1; /* started only to be stopped: one path for every deadline */
	return timeout_ms > 0 && timeout_ms < left ? timeout_ms : (int)(left < INT_MAX ? left : INT_MAX);
}

void run_mark_start(void)
{
	start_ms = run_now_ms();
}

void run_set_deadline(double seconds)
{
	if (!start_ms)
		run_mark_start();
	deadline_s = seconds > 0 ? seconds : 0;
	deadline_ms = seconds > 0 ? start_ms + (long)(seconds * 1000.0) : 0;
}

void run_extend_deadline(double seconds)
{
	long until = run_now_ms() + (long)(seconds * 1000.0);

	if (deadline_ms && until > deadline_ms)
		deadline_ms = until;
}

double run_deadline_s(void)
{
	return deadline_s;
}

long run_time_left_ms(void)
{
	return deadline_ms ? deadline_ms - run_now_ms() : LONG_MAX;
}

int run_sleep_until(long when_ms)
{
	while (!interrupt_flag) {
		long left = when_ms - run_now_ms();
		struct timespec ts;

		if (left <= 0)
			return 0;
		if (left > 100)
			left = 100; /* run_interrupt() cannot wake a nanosleep */
		ts.tv_sec = 0;
		ts.tv_nsec = left * 1000000L;
		nanosleep(&ts, NULL);
	}
	return -1;
}

static void track(pid_t pgid)
{
	size_t i;

	for (i = 0; i < MAX_RUNNING; i++)
		if (running[i] == 0) {
			running[i] = pgid;
			return;
		}
}

static void untrack(pid_t pgid)
{
	size_t i;

	for (i = 0; i < MAX_RUNNING; i++)
		if (running[i] == pgid)
			running[i] = 0;
}

/* Starts cmd in its own process group with stdio on fresh pipes.  Returns 0,
 * or -1 with cmd->spawn_errno set (nothing reported). */
static int spawn(struct run_cmd *cmd)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	char **envp;
	pid_t pid;
	int rc;

	if ((cmd->stdin_data && pipe2(in, O_CLOEXEC) < 0) ||
	    pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		cmd->spawn_errno = errno;
		goto fail;
	}
	run_spawn_setup(&fa, &attr, in[0], out[1], err[1]);
	envp = run_environ(cmd->env);
	rc = posix_spawnp(&pid, cmd->argv[0], &fa, &attr, (char *const *)cmd->argv, envp);
	free(envp);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	if (rc) {
		cmd->spawn_errno = rc;
		goto fail;
	}
	cmd->pid = pid;
	track(pid);
	if (interrupt_flag)
		kill(-pid, SIGTERM); /* the handler ran before the pid was in the table */
	run_close_fd(&in[0]);
	run_close_fd(&out[1]);
	run_close_fd(&err[1]);
	cmd->fd_in = in[1];
	cmd->fd_out = out[0];
	cmd->fd_err = err[0];
	if ((cmd->fd_in >= 0 && run_set_nonblock(cmd->fd_in) < 0) ||
	    run_set_nonblock(cmd->fd_out) < 0 || run_set_nonblock(cmd->fd_err) < 0) {
		/* cannot happen on a pipe; a blocking read only costs latency */
	}
	return 0;
fail:
	run_close_pipe(in);
	run_close_pipe(out);
	run_close_pipe(err);
	return -1;
}

void run_prepare(struct run_cmd *cmd)
{
	cmd->out = cmd->err = NULL;
	cmd->out_len = cmd->err_len = 0;
	cmd->exit_code = -1;
	cmd->signal = cmd->timed_out = cmd->interrupted = cmd->spawn_errno = 0;
	cmd->too_big = 0;
	cmd->ms = 0;
	cmd->pid = -1;
	cmd->fd_in = cmd->fd_out = cmd->fd_err = -1;
	cmd->in_off = 0;
	cmd->start_ms = 0;
	cmd->killed_stage = ALIVE;
}

void run_complete(struct run_cmd *cmd)
{
	if (!cmd->out)
		cmd->out = xstrdup("");
	if (!cmd->err)
		cmd->err = xstrdup("");
	if (cmd->done)
		cmd->done(cmd, cmd->done_arg);
}

void run_not_started(struct run_cmd *cmd, int err, int interrupted)
{
	cmd->spawn_errno = err;
	cmd->interrupted = interrupted;
	cmd->pid = -1;
	/* the shell's numbers for what could not start */
	cmd->exit_code = interrupted ? 130 : err == ENOENT ? 127 : 126;
	run_complete(cmd);
}

void run_killed_by(struct run_cmd *cmd, int sig)
{
	cmd->signal = sig;
	cmd->exit_code = 128 + sig;
}

/* A child that was started: its output, how it ended, how long it took. */
static void finish(struct run_cmd *cmd, struct slot *s)
{
	run_close_fd(&cmd->fd_in);
	run_close_fd(&cmd->fd_out);
	run_close_fd(&cmd->fd_err);
	cmd->out_len = s->out.len;
	cmd->out = strbuf_detach(&s->out);
	cmd->err_len = s->err.len;
	cmd->err = strbuf_detach(&s->err);
	if (WIFSIGNALED(s->status))
		run_killed_by(cmd, WTERMSIG(s->status));
	else
		cmd->exit_code = WEXITSTATUS(s->status);
	cmd->ms = run_now_ms() - cmd->start_ms;
	s->active = 0;
	run_complete(cmd);
}

static void signal_group(struct run_cmd *cmd, struct slot *s, int stage, long now)
{
	if (s->exited_ms && stage == TERM_SENT)
		stage = KILL_SENT; /* only strays left: no need to be gentle */
	kill(-cmd->pid, stage == TERM_SENT ? SIGTERM : SIGKILL);
	cmd->killed_stage = stage;
	s->kill_ms = now;
}

static void feed(struct run_cmd *cmd)
{
	while (cmd->in_off < cmd->stdin_len) {
		size_t len = cmd->stdin_len - cmd->in_off;
		ssize_t n = write(cmd->fd_in, cmd->stdin_data + cmd->in_off,
				  len < RUN_CHUNK ? len : RUN_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) { /* EPIPE: the child does not want the rest */
			run_close_fd(&cmd->fd_in);
			return;
		}
		cmd->in_off += (size_t)n;
	}
	run_close_fd(&cmd->fd_in);
}

static int reap(struct run_cmd *cmd, struct slot *s)
{
	pid_t r;

	if (s->exited_ms)
		return 1;
	do
		r = waitpid(cmd->pid, &s->status, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return 0;
	if (r < 0)
		s->status = 0x7f00; /* ECHILD: someone else reaped it; call it 127 */
	untrack(cmd->pid);
	s->exited_ms = run_now_ms();
	return 1;
}

/* Does what the child's deadline, an interrupt or its exit call for (TERM,
 * then KILL; reap; finish) and returns how long poll may sleep for it. */
static long supervise(struct run_cmd *cmd, struct slot *s, long now)
{
	long wait = 250;

	if (interrupt_flag && !cmd->interrupted) {
		cmd->interrupted = 1;
		if (cmd->killed_stage == ALIVE)
			signal_group(cmd, s, TERM_SENT, now);
	}
	if (cmd->killed_stage == ALIVE && cmd->timeout_ms > 0) {
		long left = cmd->start_ms + cmd->timeout_ms - now;

		if (left <= 0) {
			cmd->timed_out = 1;
			signal_group(cmd, s, TERM_SENT, now);
		} else if (left < wait) {
			wait = left;
		}
	}
	if (cmd->killed_stage == TERM_SENT) {
		long left = s->kill_ms + KILL_GRACE_MS - now;

		if (left <= 0)
			signal_group(cmd, s, KILL_SENT, now);
		else if (left < wait)
			wait = left;
	}
	if (reap(cmd, s) && (cmd->fd_out >= 0 || cmd->fd_err >= 0)) {
		/* exited, but a descendant still holds the pipes */
		long since = now - (s->kill_ms > s->exited_ms ? s->kill_ms : s->exited_ms);

		if (cmd->killed_stage != KILL_SENT && since >= ABANDON_MS / 2)
			signal_group(cmd, s, KILL_SENT, now);
		else if (since >= ABANDON_MS)
			finish(cmd, s);
	}
	if (cmd->fd_out < 0 && cmd->fd_err < 0 && s->active) {
		if (!s->closed_ms)
			s->closed_ms = now;
		if (reap(cmd, s))
			finish(cmd, s);
		else if (wait > 10) /* pipes closed: exit is near */
			wait = now - s->closed_ms < 20 ? 1 : 10;
	}
	return wait;
}

static int start(struct run_cmd *cmd, struct slot *s)
{
	memset(s, 0, sizeof(*s));
	if (interrupt_flag) { /* start nothing new */
		run_not_started(cmd, EINTR, 1);
		return -1;
	}
	cmd->start_ms = run_now_ms();
	cmd->timeout_ms = run_capped_timeout(cmd->timeout_ms);
	if (spawn(cmd) < 0) {
		run_not_started(cmd, cmd->spawn_errno, 0);
		return -1;
	}
	s->active = 1;
	if (cmd->fd_in >= 0)
		feed(cmd);
	return 0;
}

/* Sets fd of pollfd p when fd is open; returns the next free pollfd. */
static struct pollfd *want(struct pollfd *p, int fd, short events)
{
	if (fd < 0)
		return p;
	p->fd = fd;
	p->events = events;
	p->revents = 0;
	return p + 1;
}

/* Reads what *fd has into sb; past RUN_MAX_OUTPUT, stops reading and
 * has the child killed rather than hold more. */
static void drain(struct run_cmd *cmd, struct slot *s, int *fd, struct strbuf *sb)
{
	int r = run_drain(*fd, sb, RUN_MAX_OUTPUT);

	if (r == 1)
		return;
	run_close_fd(fd);
	if (r == 2) {
		cmd->too_big = 1;
		if (cmd->killed_stage == ALIVE)
			signal_group(cmd, s, TERM_SENT, run_now_ms());
	}
}

static void pump(struct run_cmd *cmds, struct slot *slots, size_t n, struct pollfd *pfd)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct pollfd *p;
		struct run_cmd *cmd = &cmds[i];

		if (!slots[i].active)
			continue;
		for (p = pfd; p->fd != -2; p++) {
			if (!p->revents)
				continue;
			if (p->fd == cmd->fd_in)
				feed(cmd);
			else if (p->fd == cmd->fd_out)
				drain(cmd, &slots[i], &cmd->fd_out, &slots[i].out);
			else if (p->fd == cmd->fd_err)
				drain(cmd, &slots[i], &cmd->fd_err, &slots[i].err);
		}
	}
}

int run_cmds(struct run_cmd *cmds, size_t n, size_t max_parallel)
{
	struct slot *slots = xcalloc(n, sizeof(*slots));
	struct pollfd *pfd = xcalloc(3 * MAX_RUNNING + 2, sizeof(*pfd));
	struct sigaction ign, old_pipe;
	int wake[2] = { -1, -1 }, failed = 0, feeding = 0;
	size_t i, next = 0, active = 0;

	if (max_parallel == 0 || max_parallel > n)
		max_parallel = n;
	if (max_parallel > MAX_RUNNING)
		max_parallel = MAX_RUNNING;
	for (i = 0; i < n; i++) {
		run_prepare(&cmds[i]);
		feeding |= cmds[i].stdin_data != NULL;
	}
	if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) == 0)
		wake_fd = wake[1];
	if (feeding) {
		/* a child that exits without reading its stdin gives EPIPE, not death */
		memset(&ign, 0, sizeof(ign));
		ign.sa_handler = SIG_IGN;
		sigaction(SIGPIPE, &ign, &old_pipe);
	}
	for (;;) {
		struct pollfd *p = pfd;
		long now, timeout = -1;

		/* the budget shared with other environments may hold some back */
		while (active < max_parallel && next < n && share_take(active)) {
			if (start(&cmds[next], &slots[next]) < 0) {
				failed++;
				share_give();
			} else {
				active++;
			}
			next++;
		}
		if (!active)
			break;
		now = run_now_ms();
		for (i = 0; i < next; i++) {
			long t;

			if (!slots[i].active)
				continue;
			t = supervise(&cmds[i], &slots[i], now);
			if (!slots[i].active) {
				active--;
				share_give();
				continue;
			}
			if (timeout < 0 || t < timeout)
				timeout = t;
			p = want(p, cmds[i].fd_in, POLLOUT);
			p = want(p, cmds[i].fd_out, POLLIN);
			p = want(p, cmds[i].fd_err, POLLIN);
		}
		if (!active)
			continue;
		if (next < n && (timeout < 0 || timeout > 50))
			timeout = 50; /* another environment's call may end first */
		p = want(p, wake[0], POLLIN);
		p->fd = -2; /* end marker for pump() */
		if (poll(pfd, (nfds_t)(p - pfd), (int)timeout) > 0) {
			char junk[64];

			pump(cmds, slots, next, pfd);
			while (wake[0] >= 0 && read(wake[0], junk, sizeof(junk)) > 0)
				;
		}
	}
	if (feeding)
		sigaction(SIGPIPE, &old_pipe, NULL);
	wake_fd = -1;
	run_close_fd(&wake[0]);
	run_close_fd(&wake[1]);
	free(pfd);
	free(slots);
	return failed;
}

int run_cmd(struct run_cmd *cmd)
{
	return run_cmds(cmd, 1, 1) == 0 ? 0 : -1;
}

void run_cmd_release(struct run_cmd *cmd)
{
	free(cmd->out);
	free(cmd->err);
	cmd->out = cmd->err = NULL;
	cmd->out_len = cmd->err_len = 0;
}
