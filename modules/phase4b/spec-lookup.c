/* The shared lookups: what AWS's JSON says about each resource of the
 * runbook (spec.h). */
#include <stdio.h>
#include <string.h>

#include "stack.h"

const char *p4b_str(const cJSON *o, const char *key)
{
	return p4b_h->json_str(o, key);
}

int p4b_str_is(const cJSON *o, const char *key, const char *want)
{
	const char *s = p4b_str(o, key);

	return s && want && strcmp(s, want) == 0;
}

const char *p4b_exec_policy_arn(const struct p4b *c)
{
	static char arn[128];

	snprintf(arn, sizeof(arn), "arn:%s:" P4B_EXEC_POLICY, P4B_E->partition(c->region));
	return arn;
}

int p4b_targets_in(const cJSON *targets, const char *state)
{
	return (int)p4b_h->json_count(targets, "TargetHealth.State", state);
}

const cJSON *p4b_primary(const cJSON *service)
{
	return p4b_h->json_find(p4b_h->json_get(service, "deployments"), "status", "PRIMARY");
}

const cJSON *p4b_awsvpc(const cJSON *o)
{
	return p4b_h->json_get(o, "networkConfiguration.awsvpcConfiguration");
}

void p4b_task_subnets(const struct p4b *c, const char *out[2])
{
	int priv = c->tier && strcmp(c->tier, "private") == 0;

	out[0] = priv ? c->private_subnet[0] : c->public_subnet[0];
	out[1] = priv ? c->private_subnet[1] : c->public_subnet[1];
}

int p4b_subnet_of(const char *subnet, const char *const pair[2])
{
	return subnet && ((pair[0] && strcmp(subnet, pair[0]) == 0) ||
			  (pair[1] && strcmp(subnet, pair[1]) == 0));
}

const char *p4b_assign_public_ip(const struct p4b *c)
{
	return c->tier && strcmp(c->tier, "private") == 0 ? "DISABLED" : "ENABLED";
}

const char *p4b_task_detail(const cJSON *task, const char *key)
{
	const cJSON *att, *d;

	cJSON_ArrayForEach(att, cJSON_GetObjectItemCaseSensitive(task, "attachments"))
		cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(att, "details"))
			if (p4b_str_is(d, "name", key) && p4b_str(d, "value"))
				return p4b_str(d, "value");
	return NULL;
}

const char *p4b_arn_tail(const char *arn)
{
	const char *slash = arn ? strrchr(arn, '/') : NULL;

	return slash ? slash + 1 : arn ? arn : "(none)";
}

int p4b_parse_image(const char *uri, struct p4b_image *im)
{
	cJSON *o = P4B_E->ecr_image(uri);
	const char *region = p4b_str(o, "region");

	memset(im, 0, sizeof(*im));
	if (!o || strlen(region) >= sizeof(im->region)) {
		cJSON_Delete(o);
		return -1;
	}
	snprintf(im->account, sizeof(im->account), "%s", p4b_str(o, "account"));
	snprintf(im->region, sizeof(im->region), "%s", region);
	snprintf(im->repo, sizeof(im->repo), "%s", p4b_str(o, "repository"));
	snprintf(im->tag, sizeof(im->tag), "%s", p4b_str(o, "tag") ? p4b_str(o, "tag") : "");
	snprintf(im->digest, sizeof(im->digest), "%s", p4b_str(o, "digest") ? p4b_str(o, "digest") : "");
	cJSON_Delete(o);
	return 0;
}
