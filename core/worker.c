/* The worker pool: start, feed, watch, replace.  The wire format is described
 * in core/aws-worker.py and spoken in worker-proc.c, which also starts and
 * measures a worker process; finding the CLI and the helper: worker-find.c. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "i18n.h"
#include "log.h"
#include "share.h"
#include "worker-int.h"

#define MAX_WORKERS 64
/* An answer (exit code, stdout, stderr) past this is not read: the call
 * ends as too_big, as an aws process's would at RUN_MAX_OUTPUT. */
#define MAX_FRAME ((uint32_t)(RUN_MAX_OUTPUT + ((size_t)1 << 20)))
#define START_TIMEOUT_MS 60000  /* import awscli, load the command table */
#define EXIT_GRACE_MS 300       /* after EOF on stdin, before SIGTERM */
#define TERM_GRACE_MS 1000      /* after SIGTERM, before SIGKILL */
#define TICK_MS 100             /* poll at most this long: run_interrupt() has no way to wake us */

enum { W_FREE, W_STARTING, W_IDLE, W_BUSY };

struct worker {
	int state;
	pid_t pid;
	int to, from;            /* our ends of its stdin and stdout */
	struct strbuf in;        /* what it sent, not yet a whole frame */
	struct strbuf req;       /* the request being written */
	size_t req_off;
	struct run_cmd *cmd;     /* W_BUSY: the call it is answering */
	long since_ms, deadline_ms;
};

static struct {
	enum worker_mode mode;
	char *aws_path;
	size_t pool_size;
	int resolved;            /* 0: not yet; 1: usable; -1: not; -2: no such aws */
	struct worker_cli cli;
	char *helper;
	char *why;               /* why workers cannot be used */
	struct worker w[MAX_WORKERS];
	struct worker_stats stats;
	int ever_ready;          /* some worker said hello */
	int reported;            /* worker mode: the error was said */
	int atexit_done;
} pool;

int worker_parse_mode(const char *name, enum worker_mode *out)
{
	static const char *const names[] = { "auto", "exec", "worker" };
	int i;

	for (i = 0; i < 3; i++)
		if (name && strcmp(name, names[i]) == 0) {
			*out = (enum worker_mode)i;
			return 0;
		}
	return -1;
}

void worker_configure(enum worker_mode mode, const char *aws_path, size_t pool_size)
{
	const char *aws = aws_path && *aws_path ? aws_path : "aws";

	if (pool.resolved && (mode != pool.mode || strcmp(aws, pool.aws_path) != 0))
		worker_shutdown();
	if (!pool.aws_path || strcmp(aws, pool.aws_path) != 0 || mode != pool.mode) {
		free(pool.aws_path);
		pool.aws_path = xstrdup(aws);
		pool.resolved = 0;
		worker_cli_release(&pool.cli);
		free(pool.why);
		pool.why = NULL;
		pool.reported = 0;
	}
	pool.mode = mode;
	pool.pool_size = pool_size < 1 ? 1 : pool_size > MAX_WORKERS ? MAX_WORKERS : pool_size;
}

static void reset_slot(struct worker *w)
{
	run_close_fd(&w->to);
	run_close_fd(&w->from);
	strbuf_release(&w->in);
	strbuf_release(&w->req);
	w->req_off = 0;
	w->cmd = NULL;
	w->pid = 0;
	w->state = W_FREE;
}

static void note_usage(pid_t pid, double *cpu_ms)
{
	long rss = worker_proc_peak_rss_kib(pid);

	if (rss > pool.stats.peak_rss_kib)
		pool.stats.peak_rss_kib = rss;
	*cpu_ms = worker_proc_cpu_ms(pid);
}

/* Ends a worker: gentle (EOF first) at shutdown, at once when it misbehaved. */
static void stop_worker(struct worker *w, int gentle)
{
	long start = run_now_ms();
	int status, stage = gentle ? 0 : 2;
	double cpu = 0;

	if (w->state == W_FREE)
		return;
	note_usage(w->pid, &cpu);
	run_close_fd(&w->to); /* EOF: it exits */
	if (!gentle)
		kill(-w->pid, SIGKILL);
	for (;;) {
		pid_t r = waitpid(w->pid, &status, WNOHANG);
		struct timespec ts = { 0, 2000000 };
		long now = run_now_ms();

		if (r == w->pid || (r < 0 && errno != EINTR))
			break;
		if (stage == 0 && now - start >= EXIT_GRACE_MS) {
			kill(-w->pid, SIGTERM);
			stage = 1;
		} else if (stage == 1 && now - start >= EXIT_GRACE_MS + TERM_GRACE_MS) {
			kill(-w->pid, SIGKILL);
			stage = 2;
		}
		nanosleep(&ts, NULL);
	}
	kill(-w->pid, SIGKILL); /* anything it left in its group */
	pool.stats.cpu_ms += cpu;
	reset_slot(w);
}

void worker_shutdown(void)
{
	size_t i;

	for (i = 0; i < MAX_WORKERS; i++)
		if (pool.w[i].state != W_FREE)
			run_close_fd(&pool.w[i].to); /* all of them start exiting at once */
	for (i = 0; i < MAX_WORKERS; i++)
		stop_worker(&pool.w[i], 1);
}

static void at_exit(void)
{
	worker_shutdown();
}

/* 0, or -1 with pool.why set: whether workers can serve this CLI at all.
 * An aws that is not there (or not executable) is left to run_cmds(), in
 * every mode, so that it fails with the words exec mode has for it. */
static int resolve(void)
{
	char why[512] = "";
	int rc = -1;

	if (pool.resolved)
		return pool.resolved > 0 ? 0 : -1;
	pool.helper = pool.helper ? pool.helper : worker_find_helper();
	if (!pool.helper)
		snprintf(why, sizeof(why), _("the helper aws-worker is not installed "
			 "(set AWSPHASE_AWS_WORKER to core/aws-worker.py)"));
	else if ((rc = worker_find_cli(pool.aws_path, &pool.cli, why, sizeof(why))) == 0) {
		pool.resolved = 1;
		return 0;
	}
	pool.why = xstrdup(why);
	pool.resolved = rc == -2 ? -2 : -1;
	if (pool.mode == WORKER_MODE_AUTO || rc == -2)
		log_msg(AWSPHASE_LOG_VERBOSE, _("aws calls run as aws processes: %s"), why);
	return -1;
}

static int start_worker(struct worker *w)
{
	int rc = worker_spawn(&pool.cli, pool.helper, &w->pid, &w->to, &w->from);

	if (rc) {
		free(pool.why);
		pool.why = xstrdup(strerror(rc));
		return -1;
	}
	if (!pool.atexit_done) {
		atexit(at_exit);
		pool.atexit_done = 1;
	}
	w->state = W_STARTING;
	w->since_ms = run_now_ms();
	w->deadline_ms = w->since_ms + START_TIMEOUT_MS;
	pool.stats.started++;
	log_msg(AWSPHASE_LOG_DEBUG, _("aws worker %d: started: %s %s %s"), (int)w->pid,
		pool.cli.interp, pool.helper, pool.cli.script);
	return 0;
}

static void send_call(struct worker *w, struct run_cmd *cmd)
{
	strbuf_reset(&w->req);
	worker_encode_request(&w->req, cmd->env, cmd->argv);
	w->req_off = 0;
	w->cmd = cmd;
	w->state = W_BUSY;
	w->since_ms = cmd->start_ms = run_now_ms();
	cmd->timeout_ms = run_capped_timeout(cmd->timeout_ms);
	w->deadline_ms = cmd->timeout_ms > 0 ? w->since_ms + cmd->timeout_ms : 0;
}

/* Writes what it can; -1 when the worker is gone. */
static int flush_request(struct worker *w)
{
	while (w->req_off < w->req.len) {
		ssize_t n = write(w->to, w->req.buf + w->req_off, w->req.len - w->req_off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0)
			return -1;
		w->req_off += (size_t)n;
	}
	return 0;
}

/* Ends the call w is busy with as an aws process stopped by SIGTERM would
 * end, not to be run again; w is idle after it. */
static void end_call(struct worker *w)
{
	struct run_cmd *cmd = w->cmd;

	run_killed_by(cmd, SIGTERM);
	cmd->ms = run_now_ms() - cmd->start_ms;
	run_complete(cmd);
	w->cmd = NULL;
	w->state = W_IDLE;
}

/* The call w is busy with gets an answer too large to read: it ends as
 * an aws process's would (too_big, nothing kept), not run again. */
static void too_big(struct worker *w)
{
	w->cmd->too_big = 1;
	end_call(w);
}

/* Handles one whole frame; -1 when it makes no sense here. */
static int on_frame(struct worker *w, const char *f, size_t len)
{
	const char *out, *err;
	size_t out_len, err_len;
	int code;

	if (w->state == W_STARTING && len >= 5 && (f[0] == 'H' || f[0] == 'E') &&
	    worker_get_u32(f + 1) == len - 5) {
		if (f[0] == 'E') {
			free(pool.why);
			pool.why = xstrndup(f + 5, len - 5);
			return -1;
		}
		snprintf(pool.stats.version, sizeof(pool.stats.version), "%.*s", (int)(len - 5), f + 5);
		log_msg(AWSPHASE_LOG_DEBUG, _("aws worker %d: ready in %ld ms: %s"), (int)w->pid,
			run_now_ms() - w->since_ms, pool.stats.version);
		if (!pool.ever_ready)
			log_msg(AWSPHASE_LOG_VERBOSE, _("aws calls go to aws CLI workers (%s)"),
				pool.stats.version);
		w->state = W_IDLE;
		pool.ever_ready = 1;
		return 0;
	}
	if (w->state != W_BUSY || worker_decode_reply(f, len, &code, &out, &out_len, &err, &err_len))
		return -1;
	if (out_len > RUN_MAX_OUTPUT || err_len > RUN_MAX_OUTPUT) {
		too_big(w);
		pool.stats.calls++;
		return 0;
	}
	w->cmd->exit_code = code;
	w->cmd->out = xstrndup(out, out_len);
	w->cmd->out_len = out_len;
	w->cmd->err = xstrndup(err, err_len);
	w->cmd->err_len = err_len;
	w->cmd->ms = run_now_ms() - w->cmd->start_ms;
	run_complete(w->cmd);
	w->cmd = NULL;
	w->state = W_IDLE;
	pool.stats.calls++;
	return 0;
}

/* Reads what is there and handles the whole frames; -1 on EOF, an error or
 * a bad frame. */
static int read_frames(struct worker *w)
{
	if (!run_drain(w->from, &w->in, (size_t)MAX_FRAME + 4 + RUN_CHUNK))
		return -1;
	while (w->in.len >= 4) {
		uint32_t len = worker_get_u32(w->in.buf);

		if (len > MAX_FRAME && w->state == W_BUSY)
			too_big(w);
		if (len == 0 || len > MAX_FRAME)
			return -1;
		if (w->in.len - 4 < len)
			break;
		if (on_frame(w, w->in.buf + 4, len) < 0)
			return -1;
		memmove(w->in.buf, w->in.buf + 4 + len, w->in.len - 4 - len);
		w->in.len -= 4 + len;
	}
	return 0;
}

struct batch {
	struct run_cmd *cmds;
	size_t n, next;          /* calls handed out so far */
	size_t *rerun;           /* calls for run_cmds() afterwards */
	size_t nrerun;
	int start_failed;        /* a worker did not get ready */
	size_t held;             /* calls taken from the shared budget (share.h) */
};

/* A worker that died, broke the protocol or missed a deadline: kill it; its
 * call, if any, runs again as an aws process.  A worker that never got
 * ready says why workers cannot be used. */
static void lose(struct batch *b, struct worker *w, const char *what)
{
	if (w->state == W_BUSY) {
		pool.stats.lost++;
		pool.stats.fallbacks++;
		log_msg(AWSPHASE_LOG_VERBOSE, _("aws worker %d %s during a call; running it as an aws "
			"process instead"), (int)w->pid, what);
		b->rerun[b->nrerun++] = (size_t)(w->cmd - b->cmds);
	} else if (w->state == W_STARTING) {
		b->start_failed = 1;
		if (!pool.why)
			pool.why = xstrdup(what);
	} else if (w->state == W_IDLE) {
		log_msg(AWSPHASE_LOG_DEBUG, _("aws worker %d %s while idle"), (int)w->pid, what);
	}
	stop_worker(w, 0);
}

static size_t count(int state)
{
	size_t i, k = 0;

	for (i = 0; i < pool.pool_size; i++)
		k += pool.w[i].state == state;
	return k;
}

/* Workers cannot serve this CLI: in auto mode its calls go to aws
 * processes from now on; in worker mode they fail. */
static void give_up(struct batch *b)
{
	size_t i;

	for (i = 0; i < pool.pool_size; i++)
		if (pool.w[i].state == W_STARTING)
			stop_worker(&pool.w[i], 0);
	if (pool.mode == WORKER_MODE_WORKER) {
		if (!pool.reported)
			error(_("aws worker: cannot run %s in a worker: %s; use --aws-mode exec or auto"),
			      pool.aws_path, pool.why ? pool.why : _("unknown"));
		pool.reported = 1;
		for (; b->next < b->n; b->next++)
			run_not_started(&b->cmds[b->next], ENOEXEC, 0);
	} else {
		log_msg(AWSPHASE_LOG_VERBOSE, _("aws calls run as aws processes: %s"),
			pool.why ? pool.why : _("no worker"));
		for (; b->next < b->n; b->next++)
			b->rerun[b->nrerun++] = b->next;
	}
	pool.resolved = -1;
}

static void interrupt_all(struct batch *b)
{
	size_t i;

	for (i = 0; i < pool.pool_size; i++) {
		struct worker *w = &pool.w[i];

		if (w->state == W_BUSY) {
			w->cmd->interrupted = 1;
			end_call(w);
		}
		if (w->state != W_FREE)
			stop_worker(w, 0);
	}
	for (; b->next < b->n; b->next++)
		run_not_started(&b->cmds[b->next], EINTR, 1);
}

/* Starts workers up to what the calls left can use. */
static void grow(struct batch *b, size_t max_parallel)
{
	size_t want = (b->n - b->next) + count(W_BUSY), live, i;

	if (b->start_failed)
		return; /* not again in this batch */
	if (want > max_parallel)
		want = max_parallel;
	if (want > pool.pool_size)
		want = pool.pool_size;
	live = count(W_STARTING) + count(W_IDLE) + count(W_BUSY);
	for (i = 0; i < pool.pool_size && live < want; i++)
		if (pool.w[i].state == W_FREE) {
			if (start_worker(&pool.w[i]) < 0) {
				b->start_failed = 1;
				return;
			}
			live++;
		}
}

/* One round of poll; the calls it finishes are filled in. */
static void poll_once(struct batch *b)
{
	struct pollfd pfd[2 * MAX_WORKERS];
	struct worker *who[2 * MAX_WORKERS];
	long now = run_now_ms(), timeout = TICK_MS;
	size_t i, k = 0;

	for (i = 0; i < pool.pool_size; i++) {
		struct worker *w = &pool.w[i];

		if (w->state == W_IDLE && b->next < b->n && share_take(b->held)) {
			b->held++; /* given back as the busy ones end: settle() */
			while (b->next < b->n && b->cmds[b->next].stdin_data)
				b->rerun[b->nrerun++] = b->next++; /* the helper gives no stdin */
			if (b->next < b->n) {
				send_call(w, &b->cmds[b->next++]);
				if (flush_request(w) < 0) {
					lose(b, w, _("went away"));
					continue;
				}
			}
		}
		if (w->state == W_FREE)
			continue;
		if (w->deadline_ms && now >= w->deadline_ms) {
			lose(b, w, w->state == W_BUSY ? _("gave no answer before the call's deadline")
						      : _("did not get ready in time"));
			continue;
		}
		if (w->deadline_ms && w->deadline_ms - now < timeout)
			timeout = w->deadline_ms - now;
		pfd[k].fd = w->from;
		pfd[k].events = POLLIN;
		who[k++] = w;
		if (w->req_off < w->req.len) {
			pfd[k].fd = w->to;
			pfd[k].events = POLLOUT;
			who[k++] = w;
		}
	}
	if (k == 0)
		return;
	if (poll(pfd, (nfds_t)k, (int)(timeout > 0 ? timeout : 0)) <= 0)
		return;
	for (i = 0; i < k; i++) {
		struct worker *w = who[i];

		if (!pfd[i].revents || w->state == W_FREE)
			continue;
		if (pfd[i].fd == w->to) {
			if (flush_request(w) < 0)
				lose(b, w, _("went away"));
		} else if (read_frames(w) < 0) {
			lose(b, w, w->state == W_STARTING ? _("exited before it was ready") : _("died"));
		}
	}
}

/* Gives the shared budget back what no busy worker uses any more. */
static void settle(struct batch *b)
{
	for (; b->held > count(W_BUSY); b->held--)
		share_give();
}

static void rerun(struct batch *b, size_t max_parallel)
{
	struct run_cmd *cmds;
	size_t i;

	if (!b->nrerun)
		return;
	cmds = xcalloc(b->nrerun, sizeof(*cmds));
	for (i = 0; i < b->nrerun; i++) {
		struct run_cmd *c = &b->cmds[b->rerun[i]];

		free(c->out);
		free(c->err);
		cmds[i].argv = c->argv;
		cmds[i].env = c->env;
		cmds[i].timeout_ms = c->timeout_ms;
		cmds[i].stdin_data = c->stdin_data;
		cmds[i].stdin_len = c->stdin_len;
		cmds[i].done = c->done;
		cmds[i].done_arg = c->done_arg;
	}
	run_cmds(cmds, b->nrerun, max_parallel);
	for (i = 0; i < b->nrerun; i++)
		b->cmds[b->rerun[i]] = cmds[i];
	free(cmds);
}

int worker_run_cmds(struct run_cmd *cmds, size_t n, size_t max_parallel)
{
	struct sigaction ign, old_pipe;
	struct batch b = { cmds, n, 0, NULL, 0, 0, 0 };
	size_t i;
	int failed = 0;

	if (pool.mode == WORKER_MODE_EXEC || n == 0 ||
	    (resolve() < 0 && (pool.mode == WORKER_MODE_AUTO || pool.resolved == -2)))
		return run_cmds(cmds, n, max_parallel);
	if (max_parallel == 0 || max_parallel > pool.pool_size)
		max_parallel = pool.pool_size;
	for (i = 0; i < n; i++) {
		run_prepare(&cmds[i]);
		cmds[i].pid = 0; /* a worker answers it */
	}
	b.rerun = xcalloc(n, sizeof(*b.rerun));
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &ign, &old_pipe); /* a dead worker's pipe gives EPIPE */
	if (pool.resolved < 0)
		give_up(&b);
	while (b.next < b.n || count(W_BUSY)) {
		if (run_interrupted()) {
			interrupt_all(&b);
			break;
		}
		if (b.start_failed && !pool.ever_ready) {
			give_up(&b);
			continue;
		}
		grow(&b, max_parallel);
		if (!count(W_STARTING) && !count(W_IDLE) && !count(W_BUSY)) {
			if (pool.ever_ready) { /* none will start now: finish as processes */
				for (; b.next < b.n; b.next++)
					b.rerun[b.nrerun++] = b.next;
			} else {
				give_up(&b);
			}
			continue;
		}
		poll_once(&b);
		settle(&b);
	}
	settle(&b);
	sigaction(SIGPIPE, &old_pipe, NULL);
	pool.stats.active = pool.resolved > 0;
	rerun(&b, max_parallel);
	for (i = 0; i < n; i++)
		failed += cmds[i].spawn_errno != 0;
	free(b.rerun);
	return failed;
}

void worker_get_stats(struct worker_stats *out)
{
	double live_cpu = 0;
	size_t i;

	for (i = 0; i < MAX_WORKERS; i++)
		if (pool.w[i].state != W_FREE) {
			double cpu = 0;

			note_usage(pool.w[i].pid, &cpu);
			live_cpu += cpu;
		}
	*out = pool.stats;
	out->cpu_ms += live_cpu;
	out->active = pool.resolved > 0 && pool.mode != WORKER_MODE_EXEC;
}

size_t worker_pids(int *pids, size_t max)
{
	size_t i, k = 0;

	for (i = 0; i < MAX_WORKERS && k < max; i++)
		if (pool.w[i].state != W_FREE)
			pids[k++] = (int)pool.w[i].pid;
	return k;
}
