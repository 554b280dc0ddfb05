/* What a CloudFormation stack owns, awsphase does not change.  A stack
 * tags what it makes with aws:cloudformation:stack-name; a change made
 * beside the stack is drift the stack's next update undoes, or a resource
 * the stack then fails to update.  So deploy, rollback and teardown refuse
 * to change such a resource, naming the stack, before their first
 * changing call, and look only at what they are about to change: a run
 * that changes nothing makes no extra call.
 *
 * The tags come from the item where its read carries them (EC2, IAM's
 * authorization details), else from calls made all at once: ECS
 * list-tags-for-resource and logs list-tags-log-group per resource, one
 * ELBv2 describe-tags for the load balancer, listener and target group. */
#include <stdlib.h>
#include <string.h>

#include "aws.h"
#include "engine-int.h"
#include "host.h"
#include "i18n.h"
#include "json.h"
#include "log.h"

#define OWNER_TAG "aws:cloudformation:stack-name"

/* The stack-name tag in tags: [{Key, Value}], [{key, value}] or {k: v}. */
static const char *stack_tag(const cJSON *tags)
{
	const cJSON *t;

	if (cJSON_IsObject(tags)) {
		t = cJSON_GetObjectItemCaseSensitive(tags, OWNER_TAG);
		return cJSON_IsString(t) ? t->valuestring : NULL;
	}
	cJSON_ArrayForEach(t, tags) {
		const char *k = json_str(t, "Key") ? json_str(t, "Key") : json_str(t, "key");

		if (k && strcmp(k, OWNER_TAG) == 0)
			return json_str(t, "Value") ? json_str(t, "Value") : json_str(t, "value");
	}
	return NULL;
}

/* The call that reads r's tags, with the path of the tags in its answer;
 * NULL when its item has them (*path the item's), when *elb (a load
 * balancer's, read with the others in one describe-tags) or none is known. */
static struct awsphase_call *tags_call(struct awsphase_res *r, const char **path, int *elb)
{
	const cJSON *item = engine_item(r);
	const char *id = engine_id(r), *group = json_str(item, "logGroupName");
	struct awsphase_call *c = NULL;

	*elb = 0;
	*path = json_get(item, "Tags") ? "Tags" : json_get(item, "tags") ? "tags" : NULL;
	if (*path)
		return NULL;
	if (id && strstr(id, ":ecs:")) {
		c = aws_call_new("ecs", "list-tags-for-resource");
		aws_call_arg(c, "--resource-arn");
		aws_call_arg(c, id);
		*path = "tags";
	} else if (id && strstr(id, ":elasticloadbalancing:")) {
		*elb = 1;
		*path = "Tags";
	} else if (group) {
		c = aws_call_new("logs", "list-tags-log-group");
		aws_call_arg(c, "--log-group-name");
		aws_call_arg(c, group);
		*path = "tags";
	}
	return c;
}

/* r itself, or what it is part of (a rule: its group). */
static struct awsphase_res *whole(struct awsphase_stack *s, struct awsphase_res *r)
{
	struct awsphase_res *p = r->d.part_of ? engine_find(s, r->d.part_of) : NULL;

	return p ? p : r;
}

int engine_refuse_owned(struct awsphase_stack *s, struct awsphase_res **list, size_t n)
{
	struct awsphase_res **res = xcalloc(n + 1, sizeof(*res));
	struct awsphase_call **calls = xcalloc(n + 1, sizeof(*calls)), *elb_call = NULL;
	const char **paths = xcalloc(n + 1, sizeof(*paths));
	int *elb = xcalloc(n + 1, sizeof(*elb));
	size_t i, j, k = 0, nc = 0, nelb = 0;
	int rc = 0;

	for (i = 0; i < n; i++) {
		struct awsphase_res *r = whole(s, list[i]);

		for (j = 0; j < k && res[j] != r; j++)
			;
		if (j < k || !r->found || (r->d.flags & AWSPHASE_RES_DATA))
			continue;
		res[k] = r;
		calls[k] = tags_call(r, &paths[k], &elb[k]);
		nc += calls[k] != NULL;
		/* describe-tags takes up to 20 ARNs: one call for a stack's few */
		if (elb[k] && nelb < 20) {
			if (!elb_call) {
				elb_call = aws_call_new("elbv2", "describe-tags");
				aws_call_arg(elb_call, "--resource-arns");
				nc++;
			}
			aws_call_arg(elb_call, engine_id(r));
			nelb++;
		} else {
			elb[k] = 0;
		}
		k++;
	}
	if (nc) {
		struct awsphase_call **batch = xcalloc(nc, sizeof(*batch));

		for (i = 0, j = 0; i < k; i++)
			if (calls[i])
				batch[j++] = calls[i];
		if (elb_call)
			batch[j++] = elb_call;
		aws_call_run_all(batch, nc);
		free(batch);
	}
	for (i = 0; i < k && !rc; i++) {
		struct awsphase_call *c = elb[i] ? elb_call : calls[i];
		const cJSON *tags = !c ? engine_item(res[i]) : !elb[i] ? aws_call_json(c) :
				    json_find(json_get(aws_call_json(c), "TagDescriptions"), "ResourceArn",
					      engine_id(res[i]));
		const char *stack = paths[i] ? stack_tag(json_get(tags, paths[i])) : NULL;

		if (c && aws_call_state(c) != AWSPHASE_CALL_OK)
			log_msg(AWSPHASE_LOG_VERBOSE, _("%s %s: its tags could not be read (%s); "
							"taken as not a CloudFormation stack's"),
				res[i]->d.kind, res[i]->name, aws_call_error(c));
		if (!stack)
			continue;
		if (s->dry) {
			log_msg(AWSPHASE_LOG_WARN, _("%s: the %s %s belongs to CloudFormation stack %s: a "
						     "run would refuse to change it"),
				host_command(), engine_kind_text(res[i]->d.kind), res[i]->name, stack);
			continue;
		}
		if (s->mode == AWSPHASE_MODE_TEARDOWN)
			error(_("%s: the %s %s belongs to CloudFormation stack %s; delete it with the "
				"stack (aws cloudformation delete-stack --stack-name %s), or remove it from "
				"the stack first; nothing was deleted"), host_command(),
			      engine_kind_text(res[i]->d.kind), res[i]->name, stack, stack);
		else
			error(_("%s: the %s %s belongs to CloudFormation stack %s; change it through the "
				"stack (aws cloudformation deploy --stack-name %s …), or remove it from the "
				"stack first; nothing was changed"), host_command(),
			      engine_kind_text(res[i]->d.kind), res[i]->name, stack, stack);
		rc = AWSPHASE_EXIT_USAGE;
	}
	for (i = 0; i < k; i++)
		aws_call_free(calls[i]);
	aws_call_free(elb_call);
	free(elb);
	free(res);
	free(calls);
	free(paths);
	return rc;
}

int engine_owned(struct awsphase_stack *s, const char *const *keys)
{
	struct awsphase_res *list[64];
	size_t n = 0;

	for (; keys && *keys && n < 64; keys++)
		if (engine_find(s, *keys))
			list[n++] = engine_find(s, *keys);
	return engine_refuse_owned(s, list, n);
}
