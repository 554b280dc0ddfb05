#include <string.h>

#include "observe.h"

int obs_init(struct obs *o, const struct awsphase_host *h)
{
	int rc;

	memset(o, 0, sizeof(*o));
	o->h = h;
	rc = p4b_config(h, &o->c);
	if (rc)
		return rc;
	o->run.c = &o->c;
	o->s = p4b_open(h, &o->run);
	return o->s ? 0 : AWSPHASE_EXIT_FAILED;
}

void obs_free(struct obs *o)
{
	if (o->s)
		o->h->engine->close(o->s);
	o->s = NULL;
}

int obs_read(struct obs *o, const char *const *keys)
{
	int rc = o->h->engine->read(o->s, keys);

	if (rc && !o->rc)
		o->rc = rc;
	return rc;
}

const cJSON *obs_json(const struct obs *o, const char *key)
{
	return o->h->engine->have(o->s, key);
}

const char *obs_error(const struct obs *o, const char *key)
{
	return o->h->engine->error_of(o->s, key);
}

int obs_cluster_missing(const struct obs *o)
{
	const char *why = obs_error(o, "service");

	return why && strncmp(why, "ClusterNotFoundException", 24) == 0;
}

const char *obs_unknown(const struct obs *o, const char *key)
{
	return o->h->engine->unknown_of(o->s, key);
}

const cJSON *obs_primary(const struct obs *o)
{
	return p4b_primary(obs_json(o, "service"));
}

const cJSON *obs_awsvpc(const struct obs *o)
{
	const cJSON *net = p4b_awsvpc(obs_primary(o));

	return net ? net : p4b_awsvpc(obs_json(o, "service"));
}

static const cJSON *nth_task(const struct awsphase_host *h, const cJSON *tasks, int stopped,
			     size_t *n, const cJSON *skip)
{
	const cJSON *t;

	cJSON_ArrayForEach(t, tasks) {
		const char *desired = h->json_str(t, "desiredStatus");
		int is_stopped = desired && strcmp(desired, "STOPPED") == 0;
		const char *arn = h->json_str(t, "taskArn");

		if ((arn && h->json_find(skip, "taskArn", arn)) || is_stopped != !!stopped)
			continue;
		if ((*n)-- == 0)
			return t;
	}
	return NULL;
}

const cJSON *obs_task(const struct obs *o, int stopped, size_t n)
{
	const cJSON *running = obs_json(o, "tasks");
	const cJSON *t = nth_task(o->h, running, stopped, &n, NULL);

	return t ? t : nth_task(o->h, obs_json(o, "stopped-tasks"), stopped, &n, running);
}

const char *obs_or_unknown(const char *s)
{
	return s ? s : "?";
}

const char *obs_short_id(const char *arn)
{
	return arn ? p4b_arn_tail(arn) : "-";
}
