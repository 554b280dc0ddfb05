/* awsphase 4b metrics: the runbook's "Monitoramento" — ALB RequestCount
 * (Sum) and ECS CPUUtilization and MemoryUtilization (Average; the runbook
 * promises both but queries only CPU) from `cloudwatch
 * get-metric-statistics`, as a table and, on a terminal, a sparkline each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "observe.h"

#define NMETRICS 3

static int opt_minutes = 10;
static int opt_period = 300;

const struct poptOption p4b_metrics_options[] = {
	{ "minutes", 0, POPT_ARG_INT, &opt_minutes, 0, N_("how far back to look (default 10)"), "N" },
	{ "period", 0, POPT_ARG_INT, &opt_period, 0,
	  N_("seconds per datapoint, a multiple of 60 (default 300, the runbook's)"), "SECONDS" },
	POPT_TABLEEND
};

struct metric {
	const char *namespace_, *name, *statistic, *label;
	int decimals;
	struct awsphase_call *call;
	const cJSON *points;    /* Datapoints */
};

static void add_time(const struct awsphase_host *h, struct awsphase_call *call, const char *opt, time_t t)
{
	struct tm tm;
	char buf[32];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	h->call_arg(call, opt);
	h->call_arg(call, buf);
}

static struct awsphase_call *query(const struct awsphase_host *h, const struct metric *m,
				   const char *const *dims, time_t start, time_t end)
{
	struct awsphase_call *call = h->call_new("cloudwatch", "get-metric-statistics");

	h->call_arg(call, "--namespace");
	h->call_arg(call, m->namespace_);
	h->call_arg(call, "--metric-name");
	h->call_arg(call, m->name);
	h->call_arg(call, "--dimensions");
	while (*dims)
		h->call_arg(call, *dims++);
	add_time(h, call, "--start-time", start);
	add_time(h, call, "--end-time", end);
	h->call_arg(call, "--period");
	h->call_argf(call, "%d", opt_period);
	h->call_arg(call, "--statistics");
	h->call_arg(call, m->statistic);
	return call;
}

/* The start of the period a datapoint falls in.  CloudWatch's periods
 * start at multiples of the period; moto's at the first datapoint, so
 * align them here to line the three metrics up. */
static double slot(const struct awsphase_host *h, const cJSON *point)
{
	double t = p4b_h->json_time(h->json_get(point, "Timestamp"));

	return t < 0 ? -1 : (double)((long long)t / opt_period * opt_period);
}

/* The value of m in the period starting at t: the sum (Sum) or the mean
 * (Average) of its datapoints there; 0 when it has none. */
static int value_at(const struct awsphase_host *h, const struct metric *m, double t, double *v)
{
	const cJSON *p;
	int n = 0;

	*v = 0;
	cJSON_ArrayForEach(p, m->points)
		if (slot(h, p) == t) {
			*v += h->json_num(p, m->statistic, 0);
			n++;
		}
	if (n > 1 && strcmp(m->statistic, "Average") == 0)
		*v /= n;
	return n;
}

static int by_number(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Every timestamp of every metric, sorted, without duplicates; returns n. */
static size_t timeline(const struct awsphase_host *h, const struct metric *ms, double **out)
{
	size_t n = 0, k = 0, i;
	const cJSON *p;
	double *t;

	for (i = 0; i < NMETRICS; i++)
		n += (size_t)cJSON_GetArraySize(ms[i].points);
	t = calloc(n + 1, sizeof(*t));
	if (!t)
		abort();
	for (i = 0; i < NMETRICS; i++)
		cJSON_ArrayForEach(p, ms[i].points) {
			double v = slot(h, p);

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

static void show_table(const struct awsphase_host *h, const struct metric *ms, const double *t, size_t n)
{
	const char *headers[NMETRICS + 2] = { N_("Time") };
	char (*cells)[48] = calloc(n * (NMETRICS + 1) + 1, sizeof(*cells));
	const char **ptr = calloc(n * (NMETRICS + 1) + 1, sizeof(*ptr));
	size_t i, j;

	if (!cells || !ptr)
		abort();
	for (j = 0; j < NMETRICS; j++)
		headers[j + 1] = ms[j].label;
	for (i = 0; i < n; i++) {
		p4b_h->format_time(t[i], 0, cells[i * (NMETRICS + 1)], sizeof(cells[0]));
		ptr[i * (NMETRICS + 1)] = cells[i * (NMETRICS + 1)];
		for (j = 0; j < NMETRICS; j++) {
			size_t k = i * (NMETRICS + 1) + j + 1;
			double v;

			if (!value_at(h, &ms[j], t[i], &v))
				continue;
			snprintf(cells[k], sizeof(cells[0]), "%.*f", ms[j].decimals, v);
			ptr[k] = cells[k];
		}
	}
	h->table("metrics", headers, ptr, n);
	free(ptr);
	free(cells);
}

/* ▁▂▃▄▅▆▇█ over the periods from start to end; a space where no datapoint. */
static void show_sparkline(const struct awsphase_host *h, const struct metric *m, double first, size_t periods)
{
	static const char *const bars[] = { "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" };
	char line[4096] = "";
	double lo = 0, hi = 0, last = 0, v;
	size_t i;
	int have = 0;

	for (i = 0; i < periods; i++) {
		if (!value_at(h, m, first + (double)i * opt_period, &v))
			continue;
		lo = !have || v < lo ? v : lo;
		hi = !have || v > hi ? v : hi;
		have++;
	}
	for (i = 0; i < periods && strlen(line) + 8 < sizeof(line); i++) {
		int level;

		if (!value_at(h, m, first + (double)i * opt_period, &v)) {
			strcat(line, " ");
			continue;
		}
		last = v;
		level = hi > lo ? (int)((last - lo) / (hi - lo) * 7.0 + 0.5) : last > 0 ? 3 : 0;
		strcat(line, bars[level < 0 ? 0 : level > 7 ? 7 : level]);
	}
	if (!have)
		h->print("%-28s (no datapoints)", m->label);
	else
		h->print("%-28s %s  min %.4g  max %.4g  last %.4g", m->label, line, lo, hi, last);
}

static const struct awsphase_host *sort_host;

static int by_timestamp(const void *a, const void *b)
{
	double x = p4b_h->json_time(sort_host->json_get(*(const cJSON *const *)a, "Timestamp"));
	double y = p4b_h->json_time(sort_host->json_get(*(const cJSON *const *)b, "Timestamp"));

	return x < y ? -1 : x > y;
}

/* The metric as CloudWatch answered it, datapoints in time order. */
static cJSON *as_json(const struct awsphase_host *h, const struct metric *m, const cJSON *dims)
{
	cJSON *o = cJSON_CreateObject(), *pts = cJSON_CreateArray();
	const cJSON *p, **v = calloc((size_t)cJSON_GetArraySize(m->points) + 1, sizeof(*v));
	size_t n = 0, i;

	if (!v)
		abort();
	cJSON_AddStringToObject(o, "namespace", m->namespace_);
	cJSON_AddStringToObject(o, "metric", m->name);
	cJSON_AddStringToObject(o, "statistic", m->statistic);
	cJSON_AddItemToObject(o, "dimensions", cJSON_Duplicate(dims, 1));
	cJSON_ArrayForEach(p, m->points)
		v[n++] = p;
	sort_host = h;
	qsort(v, n, sizeof(*v), by_timestamp);
	for (i = 0; i < n; i++) {
		cJSON *d = cJSON_CreateObject();
		char when[40];

		p4b_h->format_time(p4b_h->json_time(h->json_get(v[i], "Timestamp")), 0, when, sizeof(when));
		cJSON_AddStringToObject(d, "timestamp", when);
		cJSON_AddNumberToObject(d, "value", h->json_num(v[i], m->statistic, 0));
		if (h->json_str(v[i], "Unit"))
			cJSON_AddStringToObject(d, "unit", h->json_str(v[i], "Unit"));
		cJSON_AddItemToArray(pts, d);
	}
	free(v);
	cJSON_AddItemToObject(o, "datapoints", pts);
	return o;
}

static cJSON *dims_json(const char *a, const char *av, const char *b, const char *bv)
{
	cJSON *d = cJSON_CreateObject();

	cJSON_AddStringToObject(d, a, av);
	if (b)
		cJSON_AddStringToObject(d, b, bv);
	return d;
}

int p4b_metrics(const struct awsphase_host *h, int argc, const char **argv)
{
	struct metric ms[NMETRICS] = {
		{ "AWS/ApplicationELB", "RequestCount", "Sum", "RequestCount (Sum)", 0, NULL, NULL },
		{ "AWS/ECS", "CPUUtilization", "Average", "CPUUtilization % (Average)", 1, NULL, NULL },
		{ "AWS/ECS", "MemoryUtilization", "Average", "MemoryUtilization % (Average)", 1, NULL, NULL },
	};
	struct awsphase_call *batch[3];
	char svc_dim[300], cluster_dim[300], lb_dim[400];
	const char *ecs_dims[] = { svc_dim, cluster_dim, NULL }, *lb_dims[] = { lb_dim, NULL };
	const char *alb_arn, *lb_value = NULL;
	struct awsphase_call *alb;
	struct p4b c;
	time_t end, start;
	double *t = NULL, first;
	size_t n, i;
	int rc;

	if (opt_minutes < 1 || opt_minutes > 60 * 24 * 15) {
		h->log(AWSPHASE_LOG_ERROR, "--minutes %d: give 1 to 21600", opt_minutes);
		return AWSPHASE_EXIT_USAGE;
	}
	if (opt_period < 60 || opt_period % 60) {
		h->log(AWSPHASE_LOG_ERROR, "--period %d: give a multiple of 60 seconds", opt_period);
		return AWSPHASE_EXIT_USAGE;
	}
	rc = p4b_config(h, &c);
	if (rc)
		return rc;
	end = time(NULL);
	start = end - (time_t)opt_minutes * 60;
	snprintf(svc_dim, sizeof(svc_dim), "Name=ServiceName,Value=%s", c.service);
	snprintf(cluster_dim, sizeof(cluster_dim), "Name=ClusterName,Value=%s", c.cluster);

	/* round 1: the ALB's ARN (the runbook's describe-load-balancers) and the
	 * ECS metrics, which need nothing from it */
	alb = h->call_new("elbv2", "describe-load-balancers");
	h->call_accept(alb, "LoadBalancerNotFound");
	h->call_arg(alb, "--names");
	h->call_arg(alb, c.alb_name);
	ms[1].call = query(h, &ms[1], ecs_dims, start, end);
	ms[2].call = query(h, &ms[2], ecs_dims, start, end);
	batch[0] = alb;
	batch[1] = ms[1].call;
	batch[2] = ms[2].call;
	rc = h->call_run_all(batch, 3);

	/* The LoadBalancer dimension is the ARN's part after "loadbalancer/":
	 * arn:aws:elasticloadbalancing:us-east-2:123456789012:loadbalancer/app/kaviar-alb/50dc6c495c0c9188
	 * → app/kaviar-alb/50dc6c495c0c9188.  The runbook's `cut -d: -f6` yields the
	 * sixth colon field, "loadbalancer/app/kaviar-alb/50dc…", and prefixes
	 * "app/kaviar-alb/" to it again: a dimension no datapoint has. */
	alb_arn = h->json_str(h->call_json(alb), "LoadBalancers.0.LoadBalancerArn");
	if (alb_arn && strstr(alb_arn, ":loadbalancer/"))
		lb_value = strstr(alb_arn, ":loadbalancer/") + strlen(":loadbalancer/");
	if (lb_value && rc != AWSPHASE_EXIT_INTERRUPTED) {
		snprintf(lb_dim, sizeof(lb_dim), "Name=LoadBalancer,Value=%s", lb_value);
		ms[0].call = query(h, &ms[0], lb_dims, start, end);
		i = (size_t)h->call_run(ms[0].call);
		if (i && !rc)
			rc = (int)i;
	} else if (!alb_arn && rc == 0) {
		h->check(N_("alb"), AWSPHASE_WARN, "load balancer %s not found: no RequestCount", c.alb_name);
	}
	if (rc == AWSPHASE_EXIT_INTERRUPTED || h->interrupted())
		goto out;
	for (i = 0; i < NMETRICS; i++)
		ms[i].points = ms[i].call ? h->json_get(h->call_json(ms[i].call), "Datapoints") : NULL;

	if (h->settings->json_output) {
		cJSON *arr = cJSON_CreateArray(), *win = cJSON_CreateObject(), *dims[NMETRICS];
		char when[40];

		dims[0] = dims_json("LoadBalancer", lb_value ? lb_value : "", NULL, NULL);
		dims[1] = dims_json("ServiceName", c.service, "ClusterName", c.cluster);
		dims[2] = dims_json("ServiceName", c.service, "ClusterName", c.cluster);
		for (i = 0; i < NMETRICS; i++) {
			if (ms[i].call)
				cJSON_AddItemToArray(arr, as_json(h, &ms[i], dims[i]));
			cJSON_Delete(dims[i]);
		}
		p4b_h->format_time((double)start, 0, when, sizeof(when));
		cJSON_AddStringToObject(win, "start", when);
		p4b_h->format_time((double)end, 0, when, sizeof(when));
		cJSON_AddStringToObject(win, "end", when);
		cJSON_AddNumberToObject(win, "period", opt_period);
		h->report_add("window", win);
		h->report_add("metrics", arr);
		goto out;
	}
	n = timeline(h, ms, &t);
	h->say("last %d minutes, %d s periods; ALB %s, service %s in %s", opt_minutes, opt_period,
	       lb_value ? lb_value : c.alb_name, c.service, c.cluster);
	show_table(h, ms, t, n);
	if (h->settings->tty) {
		/* CloudWatch aligns periods to the period from the epoch */
		first = (double)(start / opt_period * opt_period);
		for (i = 0; i < NMETRICS; i++)
			show_sparkline(h, &ms[i], first, (size_t)(((double)end - first) / opt_period) + 1);
	}
	free(t);
out:
	h->call_free(alb);
	for (i = 0; i < NMETRICS; i++)
		if (ms[i].call)
			h->call_free(ms[i].call);
	if (h->interrupted())
		return AWSPHASE_EXIT_INTERRUPTED;
	return rc;
}
