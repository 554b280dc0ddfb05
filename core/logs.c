/* The host's logs_tail: `aws logs tail GROUP [--since 5m] [--follow]`.
 *
 * Built on `logs filter-log-events`, not `logs tail`: tail exists only in
 * aws CLI v2 (v1 lacks it), and it streams text, while filter-log-events
 * answers JSON with event ids in both CLIs.  The output imitates tail's:
 * "TIMESTAMP STREAM MESSAGE".
 *
 * --follow polls every POLL_S seconds.  CloudWatch Logs may ingest an event
 * a while after its timestamp (the awslogs driver sends batches), so each
 * poll asks again from LATE_S seconds back (or from the newest event seen,
 * when that is older) and drops the event ids it has printed: no line is
 * missed and none is printed twice. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws.h"
#include "host.h"
#include "i18n.h"
#include "json.h"
#include "log.h"
#include "logs.h"
#include "report.h"
#include "run.h"
#include "strbuf.h"
#include "wait.h"
#include "when.h"

#define POLL_S 2.0
#define LATE_S 20

/* Event ids printed, with their timestamps, so that a window polled again
 * prints nothing twice; ids older than the next window are dropped. */
struct seen {
	struct seen_id {
		long long ts;
		char *id;
	} *v;
	size_t n, cap;
};

static int seen_has(const struct seen *s, const char *id)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i].id, id) == 0)
			return 1;
	return 0;
}

static void seen_add(struct seen *s, const char *id, long long ts)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n].ts = ts;
	s->v[s->n].id = xstrdup(id);
	s->n++;
}

static void seen_prune(struct seen *s, long long before)
{
	size_t i, k = 0;

	for (i = 0; i < s->n; i++) {
		if (s->v[i].ts < before)
			free(s->v[i].id);
		else
			s->v[k++] = s->v[i];
	}
	s->n = k;
}

static void seen_free(struct seen *s)
{
	seen_prune(s, (long long)1 << 62);
	free(s->v);
}

static long long now_ms(void)
{
	return (long long)(when_now() * 1000.0);
}

/* Said as the module's own messages are: "4b logs: …". */
static void say_error(const char *fmt, ...) AWSPHASE_PRINTF(1, 2);
static void say_error(const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	strbuf_addf(&sb, "%s: ", host_command());
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	log_msg(AWSPHASE_LOG_ERROR, "%s", strbuf_str(&sb));
	strbuf_release(&sb);
}

static void print_line(const char *fmt, ...) AWSPHASE_PRINTF(1, 2);
static void print_line(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_vprint(fmt, ap);
	va_end(ap);
}

/* aws logs tail's timestamp: ISO 8601 in UTC with microseconds. */
static void tail_time(long long ms, char *buf, size_t size)
{
	time_t sec = (time_t)(ms / 1000);
	struct tm tm;
	char base[32];

	gmtime_r(&sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%03d000+00:00", base, (int)(ms % 1000));
}

static int by_time(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
	double tx = json_num(x, "timestamp", 0), ty = json_num(y, "timestamp", 0);
	double ix = json_num(x, "ingestionTime", 0), iy = json_num(y, "ingestionTime", 0);

	if (tx != ty)
		return tx < ty ? -1 : 1;
	if (ix != iy)
		return ix < iy ? -1 : 1;
	return 0;
}

static void event_id(const cJSON *ev, char *buf, size_t size)
{
	const char *id = json_str(ev, "eventId");
	const char *stream = json_str(ev, "logStreamName"), *msg = json_str(ev, "message");

	if (id)
		snprintf(buf, size, "%s", id);
	else
		snprintf(buf, size, "%s/%.0f/%s", stream ? stream : "", json_num(ev, "timestamp", 0),
			 msg ? msg : "");
}

/* Prints (or, under --output json, collects) the events not seen yet, in
 * time order; returns the newest timestamp among them, or newest. */
static long long show(const cJSON *events, struct seen *seen, long long newest, cJSON *out)
{
	const cJSON *ev, **v;
	size_t n = 0, i;
	char id[1024], when[48];

	v = xcalloc((size_t)cJSON_GetArraySize(events) + 1, sizeof(*v));
	cJSON_ArrayForEach(ev, events)
		v[n++] = ev;
	qsort(v, n, sizeof(*v), by_time);
	for (i = 0; i < n; i++) {
		long long ts = (long long)json_num(v[i], "timestamp", 0);
		const char *stream = json_str(v[i], "logStreamName");
		const char *msg = json_str(v[i], "message");
		size_t len = msg ? strlen(msg) : 0;

		event_id(v[i], id, sizeof(id));
		if (seen_has(seen, id))
			continue;
		seen_add(seen, id, ts);
		if (ts > newest)
			newest = ts;
		tail_time(ts, when, sizeof(when));
		if (out) {
			cJSON *e = cJSON_CreateObject();

			cJSON_AddStringToObject(e, "timestamp", when);
			cJSON_AddStringToObject(e, "stream", stream ? stream : "");
			cJSON_AddStringToObject(e, "message", msg ? msg : "");
			cJSON_AddStringToObject(e, "eventId", id);
			cJSON_AddItemToArray(out, e);
			continue;
		}
		while (len && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
			len--;
		print_line("%s %s %.*s", when, stream ? stream : "-", (int)len, msg ? msg : "");
	}
	free(v);
	return newest;
}

/* One filter-log-events from window on; 0 or an exit code. */
static int poll_once(const char *group, const char *filter, const char *missing, long long window,
		     struct seen *seen, long long *newest, cJSON *out)
{
	struct awsphase_call *call = aws_call_new("logs", "filter-log-events");
	int rc;

	aws_call_accept(call, "ResourceNotFoundException");
	aws_call_arg(call, "--log-group-name");
	aws_call_arg(call, group);
	aws_call_arg(call, "--start-time");
	aws_call_argf(call, "%lld", window);
	if (filter) {
		aws_call_arg(call, "--filter-pattern");
		aws_call_arg(call, filter);
	}
	rc = aws_call_run(call);
	if (rc == 0 && aws_call_state(call) == AWSPHASE_CALL_ACCEPTED) {
		if (missing && *missing)
			say_error(_("log group %s does not exist; %s"), group, i18n_lookup(missing));
		else
			say_error(_("log group %s does not exist"), group);
		rc = AWSPHASE_EXIT_FAILED;
	} else if (rc == 0) {
		*newest = show(json_get(aws_call_json(call), "events"), seen, *newest, out);
	}
	aws_call_free(call);
	return rc;
}

int logs_tail(const char *group, const char *since, const char *filter, int follow,
	      const char *missing)
{
	struct seen seen = { 0 };
	cJSON *out = NULL;
	double back;
	long long start, window, newest = -1;
	int rc;

	if (!since)
		since = "5m";
	back = when_duration(since);
	if (back < 0) {
		say_error(_("--since %s: give a duration such as 30s, 5m, 2h or 1d"), since);
		return AWSPHASE_EXIT_USAGE;
	}
	if (host_get()->settings->json_output)
		out = cJSON_CreateArray();
	if (follow)
		run_set_deadline(0); /* --follow runs until stopped, whatever --timeout says */
	start = window = now_ms() - (long long)(back * 1000.0);
	for (;;) {
		long long polled = now_ms();

		rc = poll_once(group, filter, missing, window, &seen, &newest, out);
		fflush(stdout);
		if (rc || !follow)
			break;
		/* the next window: LATE_S back, or the newest event seen if older */
		window = polled - LATE_S * 1000LL;
		if (newest >= 0 && newest < window)
			window = newest;
		if (window < start)
			window = start;
		seen_prune(&seen, window);
		if (wait_sleep(POLL_S) < 0)
			break;
	}
	seen_free(&seen);
	if (out)
		report_add("events", out);
	/* Ctrl-C ends --follow: that is how it is meant to stop */
	if (follow && (rc == AWSPHASE_EXIT_INTERRUPTED || run_interrupted()))
		return AWSPHASE_EXIT_OK;
	return rc;
}
