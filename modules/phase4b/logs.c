/* awsphase 4b logs: the runbook's `aws logs tail /ecs/kaviar-backend
 * [--since 5m] [--follow]`.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "observe.h"

#define POLL_S 2.0
#define LATE_S 20

static char since_default[] = "5m";
static char *opt_since = since_default;
static int opt_follow;
static char *opt_filter;

const struct poptOption p4b_logs_options[] = {
	{ "since", 0, POPT_ARG_STRING, &opt_since, 0,
	  N_("start this far back: 30s, 5m, 2h, 1d (default 5m)"), "DURATION" },
	{ "follow", 'f', POPT_ARG_NONE, &opt_follow, 0,
	  N_("keep polling for new lines until interrupted (Ctrl-C)"), NULL },
	{ "filter", 0, POPT_ARG_STRING, &opt_filter, 0,
	  N_("CloudWatch Logs filter pattern (filter-log-events --filter-pattern)"), "PATTERN" },
	POPT_TABLEEND
};

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
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (!s->v)
			abort();
	}
	s->v[s->n].ts = ts;
	s->v[s->n].id = strdup(id);
	if (!s->v[s->n].id)
		abort();
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
	return (long long)(p4b_h->now() * 1000.0);
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

static const struct awsphase_host *sort_host;

static int by_time(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
	double tx = sort_host->json_num(x, "timestamp", 0), ty = sort_host->json_num(y, "timestamp", 0);
	double ix = sort_host->json_num(x, "ingestionTime", 0), iy = sort_host->json_num(y, "ingestionTime", 0);

	if (tx != ty)
		return tx < ty ? -1 : 1;
	if (ix != iy)
		return ix < iy ? -1 : 1;
	return 0;
}

static void event_id(const struct awsphase_host *h, const cJSON *ev, char *buf, size_t size)
{
	const char *id = h->json_str(ev, "eventId");

	if (id)
		snprintf(buf, size, "%s", id);
	else
		snprintf(buf, size, "%s/%.0f/%s", h->json_str(ev, "logStreamName") ?
			 h->json_str(ev, "logStreamName") : "", h->json_num(ev, "timestamp", 0),
			 h->json_str(ev, "message") ? h->json_str(ev, "message") : "");
}

/* Prints (or, under --output json, collects) the events not seen yet, in
 * time order; returns the newest timestamp among them, or newest. */
static long long show(const struct awsphase_host *h, const cJSON *events, struct seen *seen,
		      long long newest, cJSON *out)
{
	const cJSON *ev, **v;
	size_t n = 0, i;
	char id[1024], when[48];

	v = calloc((size_t)cJSON_GetArraySize(events) + 1, sizeof(*v));
	if (!v)
		abort();
	cJSON_ArrayForEach(ev, events)
		v[n++] = ev;
	sort_host = h;
	qsort(v, n, sizeof(*v), by_time);
	for (i = 0; i < n; i++) {
		long long ts = (long long)h->json_num(v[i], "timestamp", 0);
		const char *stream = h->json_str(v[i], "logStreamName");
		const char *msg = h->json_str(v[i], "message");
		size_t len = msg ? strlen(msg) : 0;

		event_id(h, v[i], id, sizeof(id));
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
		h->print("%s %s %.*s", when, stream ? stream : "-", (int)len, msg ? msg : "");
	}
	free(v);
	return newest;
}

int p4b_logs(const struct awsphase_host *h, int argc, const char **argv)
{
	struct seen seen = { 0 };
	struct p4b c;
	cJSON *out = NULL;
	double since;
	long long start, window, newest = -1;
	int rc;

	since = p4b_h->duration(opt_since);
	if (since < 0) {
		h->log(AWSPHASE_LOG_ERROR, "--since %s: give a duration such as 30s, 5m, 2h or 1d",
		       opt_since);
		return AWSPHASE_EXIT_USAGE;
	}
	rc = p4b_config(h, &c);
	if (rc)
		return rc;
	if (h->settings->json_output)
		out = cJSON_CreateArray();
	start = window = now_ms() - (long long)(since * 1000.0);
	for (;;) {
		struct awsphase_call *call = h->call_new("logs", "filter-log-events");
		long long polled = now_ms();

		h->call_accept(call, "ResourceNotFoundException");
		h->call_arg(call, "--log-group-name");
		h->call_arg(call, c.log_group);
		h->call_arg(call, "--start-time");
		h->call_argf(call, "%lld", window);
		if (opt_filter) {
			h->call_arg(call, "--filter-pattern");
			h->call_arg(call, opt_filter);
		}
		rc = h->call_run(call);
		if (rc == 0 && h->call_state(call) == AWSPHASE_CALL_ACCEPTED) {
			h->log(AWSPHASE_LOG_ERROR, "log group %s does not exist; awsphase 4b deploy "
			       "creates it", c.log_group);
			rc = AWSPHASE_EXIT_FAILED;
		} else if (rc == 0) {
			newest = show(h, h->json_get(h->call_json(call), "events"), &seen, newest, out);
		}
		h->call_free(call);
		fflush(stdout);
		if (rc || !opt_follow)
			break;
		/* the next window: LATE_S back, or the newest event seen if older */
		window = polled - LATE_S * 1000LL;
		if (newest >= 0 && newest < window)
			window = newest;
		if (window < start)
			window = start;
		seen_prune(&seen, window);
		if (h->sleep(POLL_S) < 0)
			break;
	}
	seen_free(&seen);
	if (out)
		h->report_add("events", out);
	/* Ctrl-C ends --follow: that is how it is meant to stop */
	if (opt_follow && (rc == AWSPHASE_EXIT_INTERRUPTED || h->interrupted()))
		return AWSPHASE_EXIT_OK;
	return rc;
}
