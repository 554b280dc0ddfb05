#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "i18n.h"
#include "log.h"
#include "redact.h"
#include "run.h"
#include "wait.h"

static int progress = -1;

void wait_set_progress(int on)
{
	progress = on;
}

static int show_progress(void)
{
	if (progress < 0)
		progress = isatty(STDERR_FILENO) && log_verbosity() >= 0;
	return progress;
}

/* When a pause of pause_s from now ends: at the run's deadline at the latest. */
static long sleep_end(long now, double pause_s)
{
	long end = now + (long)(pause_s * 1000.0), left = run_time_left_ms();

	return left != LONG_MAX && now + left < end ? now + left : end;
}

int wait_sleep(double seconds)
{
	return run_sleep_until(sleep_end(run_now_ms(), seconds));
}

/* The first pause between polls; each next one doubles up to the interval. */
#define RAMP_FIRST_S 1.0

/* Uniform in [0.8, 1.2) × interval, so many waiters do not poll in step. */
static double jitter(double interval)
{
	return interval * (0.8 + 0.4 * ((double)rand() / ((double)RAND_MAX + 1.0)));
}

static void progress_line(const char *what, const char *state, long elapsed_ms)
{
	char *safe;
	char line[512];

	snprintf(line, sizeof(line), "\r\033[K⏳ %s: %s (%lds)", what, state, elapsed_ms / 1000);
	safe = redact_apply(line);
	fputs(safe, stderr);
	fflush(stderr);
	free(safe);
}

/* The run's --timeout ran out during the wait. */
static int run_out(const struct awsphase_wait *w, const char *state, int progress_on)
{
	if (progress_on)
		fputs("\r\033[K", stderr);
	error(_("the run's --timeout of %.0f s ran out waiting for %s; still: %s; "
		"raise --timeout or run 'diagnose' to see why"),
	      run_deadline_s(), w->what, *state ? state : _("no answer"));
	return AWSPHASE_EXIT_TIMEOUT;
}

int wait_run(const struct awsphase_wait *w, double default_timeout_s)
{
	double timeout = w->timeout_s > 0 ? w->timeout_s : default_timeout_s;
	double interval = w->interval_s > 0 ? w->interval_s : 2.0;
	double pause = RAMP_FIRST_S;
	long start = run_now_ms(), changed = start;
	char state[256] = "", last[256] = "";
	int rc, capped = 0;

	if (timeout <= 0)
		timeout = WAIT_DEFAULT_TIMEOUT_S;
	/* the run's --timeout bounds every wait, whatever the wait asks for */
	if (run_time_left_ms() != LONG_MAX && timeout * 1000.0 > (double)run_time_left_ms()) {
		timeout = run_time_left_ms() > 0 ? run_time_left_ms() / 1000.0 : 0;
		capped = 1;
	}
	for (;;) {
		int exit_code = AWSPHASE_EXIT_FAILED;
		long now;

		if (run_interrupted()) {
			rc = AWSPHASE_EXIT_INTERRUPTED;
			break;
		}
		if (capped && run_time_left_ms() <= 0)
			return run_out(w, last, show_progress());
		state[0] = '\0';
		rc = w->poll(w->ctx, state, sizeof(state), &exit_code);
		now = run_now_ms();
		if (rc > 0) {
			rc = 0;
			break;
		}
		if (rc < 0) {
			rc = exit_code ? exit_code : AWSPHASE_EXIT_FAILED;
			break;
		}
		if (strcmp(state, last) != 0) {
			snprintf(last, sizeof(last), "%s", state);
			changed = now;
		}
		if (show_progress())
			progress_line(w->what, state, now - start);
		if (capped && run_time_left_ms() <= 0)
			return run_out(w, state, show_progress());
		if (now - start >= (long)(timeout * 1000)) {
			if (show_progress())
				fputs("\r\033[K", stderr);
			error(_("timed out after %.0f s waiting for %s; still: %s; "
				"raise --timeout or run 'diagnose' to see why"),
			      timeout, w->what, *state ? state : _("no answer"));
			return AWSPHASE_EXIT_TIMEOUT;
		}
		if (w->no_progress_s > 0 && now - changed >= (long)(w->no_progress_s * 1000)) {
			if (show_progress())
				fputs("\r\033[K", stderr);
			error(_("no progress for %.0f s waiting for %s; stuck at: %s; "
				"run 'diagnose' to see why"), w->no_progress_s, w->what, state);
			return AWSPHASE_EXIT_TIMEOUT;
		}
		/* quick looks first (what a run waits for is often done in
		 * seconds), then every interval */
		if (pause > interval)
			pause = interval;
		if (run_sleep_until(sleep_end(now, jitter(pause))) < 0) {
			rc = AWSPHASE_EXIT_INTERRUPTED;
			break;
		}
		pause *= 2;
	}
	if (show_progress())
		fputs("\r\033[K", stderr);
	if (rc == AWSPHASE_EXIT_INTERRUPTED)
		error(_("interrupted while waiting for %s (last state: %s)"), w->what,
		      *state ? state : _("none yet"));
	return rc;
}
