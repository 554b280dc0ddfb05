#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "observe.h"

#define TASKS_MAX 100 /* describe-tasks takes at most 100 ARNs */

int obs_init(struct obs *o, const struct awsphase_host *h)
{
	memset(o, 0, sizeof(*o));
	o->h = h;
	o->v.h = h;
	return p4b_config(h, &o->c);
}

void obs_free(struct obs *o)
{
	int i;

	for (i = 0; i < OBS_N; i++)
		if (o->call[i])
			o->h->call_free(o->call[i]);
	memset(o->call, 0, sizeof(o->call));
	p4b_view_free(&o->v);
}

int obs_read(struct obs *o, unsigned what)
{
	int rc;

	if (o->v.read)
		return 0;
	rc = p4b_read(&o->c, what, &o->v);
	if (rc && !o->rc)
		o->rc = rc;
	return rc;
}

const cJSON *obs_json(const struct obs *o, enum obs_item i)
{
	return o->call[i] ? o->h->call_json(o->call[i]) : NULL;
}

const char *obs_error(const struct obs *o, enum obs_item i, char *buf, size_t size)
{
	const struct awsphase_host *h = o->h;
	enum awsphase_call_state st;
	const char *code, *msg;

	if (!o->call[i])
		return NULL;
	st = h->call_state(o->call[i]);
	if (st != AWSPHASE_CALL_ACCEPTED && st != AWSPHASE_CALL_FAILED)
		return NULL;
	code = h->call_error(o->call[i]);
	msg = h->call_message(o->call[i]);
	snprintf(buf, size, "%s%s%s", code, *code && *msg ? ": " : "", *msg ? msg : *code ? "" : h->text("failed"));
	return buf;
}

const cJSON *obs_service(const struct obs *o)
{
	return o->v.service;
}

const cJSON *obs_tg(const struct obs *o)
{
	return o->v.tg;
}

const cJSON *obs_alb(const struct obs *o)
{
	return o->v.alb;
}

const cJSON *obs_primary(const struct obs *o)
{
	return p4b_primary(o->v.service);
}

const cJSON *obs_targets(const struct obs *o)
{
	return o->v.targets;
}

static const cJSON *nth_task(const struct awsphase_host *h, const cJSON *tasks, int stopped,
			     size_t *n, const cJSON *skip)
{
	const cJSON *t;

	cJSON_ArrayForEach(t, tasks) {
		const char *desired = h->json_str(t, "desiredStatus");
		int is_stopped = desired && strcmp(desired, "STOPPED") == 0;
		const char *arn = h->json_str(t, "taskArn");
		const cJSON *u;
		int dup = 0;

		cJSON_ArrayForEach(u, skip)
			if (arn && h->json_str(u, "taskArn") && strcmp(arn, h->json_str(u, "taskArn")) == 0)
				dup = 1;
		if (dup || is_stopped != !!stopped)
			continue;
		if ((*n)-- == 0)
			return t;
	}
	return NULL;
}

const cJSON *obs_task(const struct obs *o, int stopped, size_t n)
{
	const cJSON *t = nth_task(o->h, o->v.tasks, stopped, &n, NULL);

	return t ? t : nth_task(o->h, o->h->json_get(obs_json(o, OBS_TASKS), "tasks"), stopped, &n, o->v.tasks);
}

const char *obs_task_detail(const cJSON *task, const char *key)
{
	const cJSON *att, *d;

	cJSON_ArrayForEach(att, cJSON_GetObjectItemCaseSensitive(task, "attachments")) {
		cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(att, "details")) {
			const cJSON *name = cJSON_GetObjectItemCaseSensitive(d, "name");
			const cJSON *value = cJSON_GetObjectItemCaseSensitive(d, "value");

			if (cJSON_IsString(name) && strcmp(name->valuestring, key) == 0 &&
			    cJSON_IsString(value))
				return value->valuestring;
		}
	}
	return NULL;
}

const char *obs_or_unknown(const char *s)
{
	return s ? s : "?";
}

const char *obs_short_id(const char *arn)
{
	const char *slash;

	if (!arn)
		return "-";
	slash = strrchr(arn, '/');
	return slash ? slash + 1 : arn;
}

const cJSON *obs_eni(const struct obs *o, const char *eni_id)
{
	const cJSON *e;

	if (!eni_id)
		return NULL;
	cJSON_ArrayForEach(e, o->h->json_get(obs_json(o, OBS_ENIS), "NetworkInterfaces")) {
		const char *id = o->h->json_str(e, "NetworkInterfaceId");

		if (id && strcmp(id, eni_id) == 0)
			return e;
	}
	return NULL;
}

const cJSON *obs_target(const struct obs *o, const char *ip)
{
	const cJSON *t;

	if (!ip)
		return NULL;
	cJSON_ArrayForEach(t, o->v.targets) {
		const char *id = o->h->json_str(t, "Target.Id");

		if (id && strcmp(id, ip) == 0)
			return t;
	}
	return NULL;
}

/* ---- building the calls ---- */

static struct awsphase_call *new_call(const struct obs *o, const char *service, const char *op,
				      const char *const *accept)
{
	struct awsphase_call *c = o->h->call_new(service, op);

	while (accept && *accept)
		o->h->call_accept(c, *accept++);
	return c;
}

static void add_arns(const struct obs *o, struct awsphase_call *c, enum obs_item from, size_t *n)
{
	const cJSON *a;

	cJSON_ArrayForEach(a, o->h->json_get(obs_json(o, from), "taskArns")) {
		if (*n >= TASKS_MAX)
			return;
		if (cJSON_IsString(a)) {
			o->h->call_arg(c, a->valuestring);
			(*n)++;
		}
	}
}

static size_t count_arns(const struct obs *o, enum obs_item from)
{
	return (size_t)cJSON_GetArraySize(o->h->json_get(obs_json(o, from), "taskArns"));
}

static struct awsphase_call *build(const struct obs *o, enum obs_item i)
{
	static const char *const list_accept[] = { "ClusterNotFoundException", "ServiceNotFoundException", NULL };
	static const char *const logs_accept[] = { "ResourceNotFoundException", NULL };
	static const char *const td_accept[] = { "ClientException", NULL };
	static const char *const eni_accept[] = { "InvalidNetworkInterfaceID.NotFound", NULL };
	const struct awsphase_host *h = o->h;
	const struct p4b *c = &o->c;
	struct awsphase_call *call = NULL;
	const cJSON *t;
	const char *s;
	size_t n = 0;

	switch (i) {
	case OBS_TASK_ARNS:
	case OBS_STOPPED_ARNS:
		call = new_call(o, "ecs", "list-tasks", list_accept);
		h->call_arg(call, "--cluster");
		h->call_arg(call, c->cluster);
		h->call_arg(call, "--service-name");
		h->call_arg(call, c->service);
		if (i == OBS_STOPPED_ARNS) {
			h->call_arg(call, "--desired-status");
			h->call_arg(call, "STOPPED");
		}
		break;
	case OBS_LOGS:
		call = new_call(o, "logs", "filter-log-events", logs_accept);
		h->call_arg(call, "--log-group-name");
		h->call_arg(call, c->log_group);
		h->call_arg(call, "--start-time");
		h->call_argf(call, "%lld", o->logs_start_ms);
		if (o->logs_filter) {
			h->call_arg(call, "--filter-pattern");
			h->call_arg(call, o->logs_filter);
		}
		break;
	case OBS_TASKS:
		if (count_arns(o, OBS_TASK_ARNS) + count_arns(o, OBS_STOPPED_ARNS) == 0)
			return NULL;
		call = new_call(o, "ecs", "describe-tasks", NULL);
		h->call_arg(call, "--cluster");
		h->call_arg(call, c->cluster);
		h->call_arg(call, "--tasks");
		add_arns(o, call, OBS_TASK_ARNS, &n);
		add_arns(o, call, OBS_STOPPED_ARNS, &n);
		break;
	case OBS_TASKDEF:
		s = h->json_str(o->v.service, "taskDefinition");
		if (!s)
			return NULL;
		call = new_call(o, "ecs", "describe-task-definition", td_accept);
		h->call_arg(call, "--task-definition");
		h->call_arg(call, s);
		break;
	case OBS_ENIS:
		for (n = 0; (t = obs_task(o, 0, n)); n++)
			if (obs_task_detail(t, "networkInterfaceId"))
				break;
		if (!t)
			return NULL;
		call = new_call(o, "ec2", "describe-network-interfaces", eni_accept);
		h->call_arg(call, "--network-interface-ids");
		for (n = 0; (t = obs_task(o, 0, n)); n++)
			if ((s = obs_task_detail(t, "networkInterfaceId")))
				h->call_arg(call, s);
		break;
	case OBS_N:
		break;
	}
	return call;
}

int obs_fetch(struct obs *o, unsigned mask)
{
	struct awsphase_call *batch[OBS_N];
	size_t n = 0;
	int i, rc;

	for (i = 0; i < OBS_N; i++) {
		if (!(mask & OBS_BIT(i)) || o->call[i])
			continue;
		o->call[i] = build(o, (enum obs_item)i);
		if (o->call[i])
			batch[n++] = o->call[i];
	}
	if (!n)
		return 0;
	rc = o->h->call_run_all(batch, n);
	if (rc && !o->rc)
		o->rc = rc;
	return rc;
}

/* ---- time, text ---- */

double obs_now(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

double obs_parse_iso8601(const char *s)
{
	struct tm tm;
	int y, mo, d, hh, mm, ss, used = 0;
	double t, frac = 0;
	const char *p;

	if (!s || sscanf(s, "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &y, &mo, &d, &hh, &mm, &ss, &used) < 6 ||
	    !used)
		return -1;
	p = s + used;
	if (*p == '.' || *p == ',') {
		double scale = 0.1;

		for (p++; isdigit((unsigned char)*p); p++, scale /= 10)
			frac += (*p - '0') * scale;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	t = (double)timegm(&tm) + frac;
	if (*p == '+' || *p == '-') {
		int oh = 0, om = 0, sign = *p == '-' ? -1 : 1;

		if (sscanf(p + 1, "%2d:%2d", &oh, &om) < 1 && sscanf(p + 1, "%2d%2d", &oh, &om) < 1)
			return -1;
		t -= sign * (oh * 3600.0 + om * 60.0);
	}
	return t;
}

double obs_time(const cJSON *v)
{
	if (cJSON_IsNumber(v))
		return v->valuedouble;
	if (cJSON_IsString(v))
		return obs_parse_iso8601(v->valuestring);
	return -1;
}

void obs_fmt_time(double t, int ms, char *buf, size_t size)
{
	time_t sec = (time_t)t;
	struct tm tm;
	char base[32];

	if (t < 0 || !gmtime_r(&sec, &tm)) {
		snprintf(buf, size, "-");
		return;
	}
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	if (ms)
		snprintf(buf, size, "%s.%03dZ", base, (int)((t - (double)sec) * 1000.0) % 1000);
	else
		snprintf(buf, size, "%sZ", base);
}

double obs_duration(const char *s)
{
	char *end;
	double v;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	v = strtod(s, &end);
	if (end == s || v < 0)
		return -1;
	if (!*end || strcmp(end, "s") == 0)
		return v;
	if (strcmp(end, "m") == 0)
		return v * 60;
	if (strcmp(end, "h") == 0)
		return v * 3600;
	if (strcmp(end, "d") == 0)
		return v * 86400;
	if (strcmp(end, "w") == 0)
		return v * 7 * 86400;
	return -1;
}

void obs_excerpt(const char *s, size_t len, char *buf, size_t size)
{
	size_t i = 0, j = 0;

	if (!size)
		return;
	while (s && s[i] && i < len && j + 1 < size) {
		unsigned char ch = (unsigned char)s[i++];

		if (ch < 0x20 || ch == 0x7f || ch == ' ') {
			if (j > 0 && buf[j - 1] != ' ')
				buf[j++] = ' ';
			continue;
		}
		buf[j++] = (char)ch;
	}
	/* cut inside a UTF-8 sequence: drop its first half */
	if (s && ((unsigned char)s[i] & 0xc0) == 0x80) {
		while (j > 0 && ((unsigned char)buf[j - 1] & 0xc0) == 0x80)
			j--;
		if (j > 0 && (unsigned char)buf[j - 1] >= 0xc0)
			j--;
	}
	while (j > 0 && buf[j - 1] == ' ')
		j--;
	buf[j] = '\0';
	if (s && s[i] && j + 4 < size)
		strcat(buf, "…");
}

static void add_word(char *buf, size_t size, const char *w)
{
	size_t len = strlen(buf);
	const char *p;
	int plain = *w != '\0';

	for (p = w; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-_./:=@,+", *p))
			plain = 0;
	if (plain) {
		snprintf(buf + len, size - len, " %s", w);
		return;
	}
	snprintf(buf + len, size - len, " '");
	for (p = w; *p && (len = strlen(buf)) + 5 < size; p++) {
		if (*p == '\'')
			snprintf(buf + len, size - len, "'\\''");
		else
			snprintf(buf + len, size - len, "%c", *p);
	}
	len = strlen(buf);
	snprintf(buf + len, size - len, "'");
}

void obs_cmdline(const struct obs *o, char *buf, size_t size, const char *service,
		 const char *operation, const char *const *args)
{
	snprintf(buf, size, "aws %s %s", service, operation);
	while (args && *args)
		add_word(buf, size, *args++);
	add_word(buf, size, "--region");
	add_word(buf, size, o->h->settings->region ? o->h->settings->region : "us-east-2");
}
