#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws.h"
#include "i18n.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "report.h"
#include "run.h"
#include "strbuf.h"
#include "when.h"

struct metric {
	struct awsphase_metric d;  /* ours: zero-filled past the module's struct_size */
	struct awsphase_call *call;
	const cJSON *points;       /* Datapoints */
};

static int period;

static void print(const char *fmt, ...) AWSPHASE_PRINTF(1, 2);
static void print(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_vprint(fmt, ap);
	va_end(ap);
}

static void add_time(struct awsphase_call *call, const char *opt, time_t t)
{
	struct tm tm;
	char buf[32];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	aws_call_arg(call, opt);
	aws_call_arg(call, buf);
}

static struct awsphase_call *query(const struct metric *m, time_t start, time_t end)
{
	struct awsphase_call *call = aws_call_new("cloudwatch", "get-metric-statistics");
	const char *const *dim;

	aws_call_arg(call, "--namespace");
	aws_call_arg(call, m->d.namespace_);
	aws_call_arg(call, "--metric-name");
	aws_call_arg(call, m->d.name);
	aws_call_arg(call, "--dimensions");
	for (dim = m->d.dimensions; *dim; dim++)
		aws_call_arg(call, *dim);
	add_time(call, "--start-time", start);
	add_time(call, "--end-time", end);
	aws_call_arg(call, "--period");
	aws_call_argf(call, "%d", period);
	aws_call_arg(call, "--statistics");
	aws_call_arg(call, m->d.statistic);
	return call;
}

/* The start of the period a datapoint falls in.  CloudWatch's periods
 * start at multiples of the period; moto's at the first datapoint, so
 * align them here to line the metrics up. */
static double slot(const cJSON *point)
{
	double t = when_json(json_get(point, "Timestamp"));

	return t < 0 ? -1 : (double)((long long)t / period * period);
}

/* The value of m in the period starting at t: the sum (Sum) or the mean
 * (Average) of its datapoints there; 0 when it has none. */
static int value_at(const struct metric *m, double t, double *v)
{
	const cJSON *p;
	int n = 0;

	*v = 0;
	cJSON_ArrayForEach(p, m->points)
		if (slot(p) == t) {
			*v += json_num(p, m->d.statistic, 0);
			n++;
		}
	if (n > 1 && strcmp(m->d.statistic, "Average") == 0)
		*v /= n;
	return n;
}

static int by_number(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Every period of every metric, sorted, without duplicates; returns n. */
static size_t timeline(const struct metric *ms, size_t nm, double **out)
{
	size_t n = 0, k = 0, i;
	const cJSON *p;
	double *t;

	for (i = 0; i < nm; i++)
		n += (size_t)cJSON_GetArraySize(ms[i].points);
	t = xcalloc(n + 1, sizeof(*t));
	for (i = 0; i < nm; i++)
		cJSON_ArrayForEach(p, ms[i].points) {
			double v = slot(p);

			if (v >= 0)
				t[k++] = v;
		}
	qsort(t, k, sizeof(*t), by_number);
	for (i = 0, n = 0; i < k; i++)
		if (!n || t[i] != t[n - 1])
			t[n++] = t[i];
	*out = t;
	return n;
}

static void show_table(const struct metric *ms, size_t nm, const double *t, size_t n)
{
	const char **headers = xcalloc(nm + 2, sizeof(*headers));
	char (*cells)[48] = xcalloc(n * (nm + 1) + 1, sizeof(*cells));
	const char **ptr = xcalloc(n * (nm + 1) + 1, sizeof(*ptr));
	size_t i, j;

	headers[0] = N_("Time");
	for (j = 0; j < nm; j++)
		headers[j + 1] = ms[j].d.label;
	for (i = 0; i < n; i++) {
		when_format(t[i], 0, cells[i * (nm + 1)], sizeof(cells[0]));
		ptr[i * (nm + 1)] = cells[i * (nm + 1)];
		for (j = 0; j < nm; j++) {
			size_t k = i * (nm + 1) + j + 1;
			double v;

			if (!value_at(&ms[j], t[i], &v))
				continue;
			snprintf(cells[k], sizeof(cells[0]), "%.*f", ms[j].d.decimals, v);
			ptr[k] = cells[k];
		}
	}
	report_table(N_("metrics"), headers, ptr, n);
	free(ptr);
	free(cells);
	free(headers);
}

/* ▁▂▃▄▅▆▇█ over the periods from first on; a space where no datapoint. */
static void show_sparkline(const struct metric *m, double first, size_t periods)
{
	static const char *const bars[] = { "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" };
	char line[4096] = "";
	double lo = 0, hi = 0, last = 0, v;
	size_t i;
	int have = 0;

	for (i = 0; i < periods; i++) {
		if (!value_at(m, first + (double)i * period, &v))
			continue;
		lo = !have || v < lo ? v : lo;
		hi = !have || v > hi ? v : hi;
		have++;
	}
	for (i = 0; i < periods && strlen(line) + 8 < sizeof(line); i++) {
		int level;

		if (!value_at(m, first + (double)i * period, &v)) {
			strcat(line, " ");
			continue;
		}
		last = v;
		level = hi > lo ? (int)((last - lo) / (hi - lo) * 7.0 + 0.5) : last > 0 ? 3 : 0;
		strcat(line, bars[level < 0 ? 0 : level > 7 ? 7 : level]);
	}
	if (!have)
		print("%-28s (no datapoints)", m->d.label);
	else
		print("%-28s %s  min %.4g  max %.4g  last %.4g", m->d.label, line, lo, hi, last);
}

static int by_timestamp(const void *a, const void *b)
{
	double x = when_json(json_get(*(const cJSON *const *)a, "Timestamp"));
	double y = when_json(json_get(*(const cJSON *const *)b, "Timestamp"));

	return x < y ? -1 : x > y;
}

/* "Name=N,Value=V" dimensions as { "N": "V" }. */
static cJSON *dims_json(const char *const *dims)
{
	cJSON *o = cJSON_CreateObject();

	for (; *dims; dims++) {
		const char *v = strstr(*dims, ",Value=");
		char *name;

		if (strncmp(*dims, "Name=", 5) || !v)
			continue;
		name = xstrndup(*dims + 5, (size_t)(v - *dims - 5));
		cJSON_AddStringToObject(o, name, v + 7);
		free(name);
	}
	return o;
}

/* The metric as CloudWatch answered it, datapoints in time order. */
static cJSON *as_json(const struct metric *m)
{
	cJSON *o = cJSON_CreateObject(), *pts = cJSON_CreateArray();
	const cJSON *p, **v = xcalloc((size_t)cJSON_GetArraySize(m->points) + 1, sizeof(*v));
	size_t n = 0, i;

	cJSON_AddStringToObject(o, "namespace", m->d.namespace_);
	cJSON_AddStringToObject(o, "metric", m->d.name);
	cJSON_AddStringToObject(o, "statistic", m->d.statistic);
	cJSON_AddItemToObject(o, "dimensions", dims_json(m->d.dimensions));
	cJSON_ArrayForEach(p, m->points)
		v[n++] = p;
	qsort(v, n, sizeof(*v), by_timestamp);
	for (i = 0; i < n; i++) {
		cJSON *d = cJSON_CreateObject();
		char when[40];

		when_format(when_json(json_get(v[i], "Timestamp")), 0, when, sizeof(when));
		cJSON_AddStringToObject(d, "timestamp", when);
		cJSON_AddNumberToObject(d, "value", json_num(v[i], m->d.statistic, 0));
		if (json_str(v[i], "Unit"))
			cJSON_AddStringToObject(d, "unit", json_str(v[i], "Unit"));
		cJSON_AddItemToArray(pts, d);
	}
	free(v);
	cJSON_AddItemToObject(o, "datapoints", pts);
	return o;
}

static void show_json(const struct metric *ms, size_t nm, time_t start, time_t end)
{
	cJSON *arr = cJSON_CreateArray(), *win = cJSON_CreateObject();
	char when[40];
	size_t i;

	for (i = 0; i < nm; i++)
		if (ms[i].call)
			cJSON_AddItemToArray(arr, as_json(&ms[i]));
	when_format((double)start, 0, when, sizeof(when));
	cJSON_AddStringToObject(win, "start", when);
	when_format((double)end, 0, when, sizeof(when));
	cJSON_AddStringToObject(win, "end", when);
	cJSON_AddNumberToObject(win, "period", period);
	report_add("window", win);
	report_add("metrics", arr);
}

static int check_metrics(const struct awsphase_metric *const *metrics, size_t *nm)
{
	const struct awsphase_metric *const *mp;

	for (mp = metrics, *nm = 0; mp && *mp; mp++, (*nm)++)
		if ((*mp)->struct_size < offsetof(struct awsphase_metric, dimensions) +
		    sizeof((*mp)->dimensions) || !(*mp)->namespace_ || !(*mp)->name ||
		    !(*mp)->statistic || !(*mp)->label)
			return error(_("metrics: metric %zu has no namespace, name, statistic or "
				       "label, or was built against another module.h; use "
				       "AWSPHASE_METRIC and fill them in"), *nm);
	return 0;
}

int metrics_show(const struct awsphase_settings *settings, const struct awsphase_metric *const *metrics,
		 int minutes, int period_s, const char *heading)
{
	struct awsphase_call **batch;
	struct metric *ms;
	size_t nm, nb = 0, n, i;
	time_t end, start;
	double *t;
	int rc;

	if (check_metrics(metrics, &nm))
		return AWSPHASE_EXIT_USAGE;
	if (minutes < 1 || period_s < 1) {
		error(_("metrics: %d minutes in %d s periods: give at least 1 of each"), minutes, period_s);
		return AWSPHASE_EXIT_USAGE;
	}
	period = period_s;
	ms = xcalloc(nm + 1, sizeof(*ms));
	batch = xcalloc(nm + 1, sizeof(*batch));
	end = time(NULL);
	start = end - (time_t)minutes * 60;
	for (i = 0; i < nm; i++) {
		memcpy(&ms[i].d, metrics[i], metrics[i]->struct_size < sizeof(ms[i].d) ?
		       metrics[i]->struct_size : sizeof(ms[i].d));
		if (ms[i].d.dimensions)
			batch[nb++] = ms[i].call = query(&ms[i], start, end);
	}
	rc = aws_call_run_all(batch, nb);
	if (rc == AWSPHASE_EXIT_INTERRUPTED || run_interrupted())
		goto out;
	for (i = 0; i < nm; i++)
		ms[i].points = ms[i].call ? json_get(aws_call_json(ms[i].call), "Datapoints") : NULL;

	if (settings->json_output) {
		show_json(ms, nm, start, end);
		goto out;
	}
	n = timeline(ms, nm, &t);
	if (heading)
		report_say("%s", heading);
	show_table(ms, nm, t, n);
	if (settings->tty) {
		/* CloudWatch aligns periods to the period from the epoch */
		double first = (double)(start / period * period);

		for (i = 0; i < nm; i++)
			show_sparkline(&ms[i], first, (size_t)(((double)end - first) / period) + 1);
	}
	free(t);
out:
	for (i = 0; i < nb; i++)
		aws_call_free(batch[i]);
	free(batch);
	free(ms);
	return run_interrupted() ? AWSPHASE_EXIT_INTERRUPTED : rc;
}
