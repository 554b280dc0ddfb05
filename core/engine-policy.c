/* Inline IAM role policies as the engine's own kind of resource (engine.h:
 * a resource with policy_doc): found in its role's item, compared with
 * the document the module wants, put with put-role-policy.  Every phase
 * with a role of least privilege needs the same, so the module says only
 * what the document allows. */
#include <string.h>

#include "engine-int.h"
#include "engine.h"
#include "host.h"
#include "i18n.h"

#define E engine_services()

static const char *policy_name(struct awsphase_res *r)
{
	return E->expand(r, r->d.policy);
}

/* In the role's item: there, or none wanted (nothing to do). */
static int policy_pick(struct awsphase_res *r, const cJSON *role, int step, const cJSON **item)
{
	char what[512];
	cJSON *want = r->d.policy_doc(r, what, sizeof(what));
	cJSON *have = engine_iam_role_policy(role, policy_name(r));
	int found = !want || have;

	(void)step;
	cJSON_Delete(want);
	cJSON_Delete(have);
	*item = role;
	return found ? AWSPHASE_FOUND : AWSPHASE_ABSENT;
}

static void policy_differs(struct awsphase_res *r, const cJSON *role)
{
	char what[512];
	cJSON *want = r->d.policy_doc(r, what, sizeof(what)), *have;

	if (!want)
		return;
	E->note(r, "policy %s: %s", policy_name(r), what);
	have = role ? engine_iam_role_policy(role, policy_name(r)) : NULL;
	if (role && !cJSON_Compare(want, have, 1))
		E->differs(r, 1, "policy %s → %s", policy_name(r), what);
	cJSON_Delete(want);
	cJSON_Delete(have);
}

/* put-role-policy on the role it is part of, by that role's name. */
static int policy_put(struct awsphase_res *r, struct awsphase_call *call)
{
	struct awsphase_res *role = engine_find(r->s, r->d.part_of);
	char what[512], *text;
	cJSON *want = r->d.policy_doc(r, what, sizeof(what));

	text = want ? cJSON_PrintUnformatted(want) : NULL;
	E->args(r, call, "--role-name", role ? role->d.name : "", "--policy-name", r->d.policy,
		"--policy-document", NULL);
	host_get()->call_arg(call, text ? text : "{}");
	cJSON_free(text);
	cJSON_Delete(want);
	return 0;
}

static void policy_fix(struct awsphase_res *r, const cJSON *have, unsigned what)
{
	(void)have;
	(void)what;
	policy_put(r, E->call(r, "iam", "put-role-policy"));
}

void engine_policy_kind(struct awsphase_resource *d)
{
	if (!d->policy_doc)
		return;
	d->pick = policy_pick;
	d->differs = policy_differs;
	d->fix = policy_fix;
	d->create.service = "iam";
	d->create.operation = "put-role-policy";
	d->create_args = policy_put;
}
