/* What the engine knows of the AWS kinds every phase has, for remove_fn:
 * an IAM role cannot be deleted while policies are attached to it, inline
 * policies are in it or an instance profile holds it; a security group
 * cannot be deleted while another group's rule names it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws.h"
#include "engine.h"
#include "engine-int.h"
#include "i18n.h"
#include "json.h"

static const char *const iam_gone[] = { "NoSuchEntity", NULL };

void engine_iam_role_remove(struct awsphase_res *r)
{
	const struct awsphase_engine *e = engine_services();
	const cJSON *have = engine_item(r), *p;
	struct awsphase_call *call;
	const char *n;

	cJSON_ArrayForEach(p, json_get(have, "AttachedManagedPolicies")) {
		n = json_str(p, "PolicyName");
		call = e->remove_step(r, "iam", "detach-role-policy", iam_gone, NULL, NULL,
				      N_("detach %s|%s detached"), n, n);
		e->args(r, call, "--role-name", "{name}", "--policy-arn", NULL);
		aws_call_arg(call, json_str(p, "PolicyArn"));
	}
	cJSON_ArrayForEach(p, json_get(have, "RolePolicyList")) {
		n = json_str(p, "PolicyName");
		call = e->remove_step(r, "iam", "delete-role-policy", iam_gone, NULL, NULL,
				      N_("delete inline policy %s|inline policy %s deleted"), n, n);
		e->args(r, call, "--role-name", "{name}", "--policy-name", NULL);
		aws_call_arg(call, n);
	}
	cJSON_ArrayForEach(p, json_get(have, "InstanceProfileList")) {
		n = json_str(p, "InstanceProfileName");
		call = e->remove_step(r, "iam", "remove-role-from-instance-profile", iam_gone, NULL,
				      NULL, N_("remove from instance profile %s|removed from instance "
					       "profile %s"), n, n);
		e->args(r, call, "--role-name", "{name}", "--instance-profile-name", NULL);
		aws_call_arg(call, n);
	}
}

/* The permissions of list that name the group id (not on group itself),
 * cut down to those pairs; NULL when none. */
static cJSON *naming(const cJSON *list, const char *group, const char *id)
{
	static const char *const keep[] = { "IpProtocol", "FromPort", "ToPort" };
	cJSON *out = NULL, *perm, *pairs, *one;
	const cJSON *p, *pair;
	size_t i;

	cJSON_ArrayForEach(p, list) {
		pairs = NULL;
		cJSON_ArrayForEach(pair, cJSON_GetObjectItemCaseSensitive(p, "UserIdGroupPairs")) {
			const char *gid = json_str(pair, "GroupId");

			if (!gid || strcmp(gid, group) == 0 || strcmp(gid, id) != 0)
				continue;
			if (!pairs)
				pairs = cJSON_CreateArray();
			one = cJSON_CreateObject();
			cJSON_AddStringToObject(one, "GroupId", gid);
			cJSON_AddItemToArray(pairs, one);
		}
		if (!pairs)
			continue;
		perm = cJSON_CreateObject();
		for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
			if (cJSON_GetObjectItemCaseSensitive(p, keep[i]))
				cJSON_AddItemToObject(perm, keep[i], cJSON_Duplicate(
					cJSON_GetObjectItemCaseSensitive(p, keep[i]), 1));
		cJSON_AddItemToObject(perm, "UserIdGroupPairs", pairs);
		if (!out)
			out = cJSON_CreateArray();
		cJSON_AddItemToArray(out, perm);
	}
	return out;
}

void engine_sg_revoke_naming(struct awsphase_res *r, const cJSON *sg)
{
	static const struct { const char *key, *op; } dirs[] = {
		{ "IpPermissions", "revoke-security-group-ingress" },
		{ "IpPermissionsEgress", "revoke-security-group-egress" },
	};
	static const char *const gone[] = { "InvalidPermission.NotFound", "InvalidGroup.NotFound", NULL };
	const struct awsphase_engine *e = engine_services();
	const char *gid = json_str(sg, "GroupId"), *id = engine_id(r);
	size_t k;

	for (k = 0; gid && id && *id && k < 2; k++) {
		cJSON *perms = naming(json_get(sg, dirs[k].key), gid, id);
		struct awsphase_call *call;
		char *text;

		if (!perms)
			continue;
		text = cJSON_PrintUnformatted(perms);
		call = e->remove_step(r, "ec2", dirs[k].op, gone, NULL, json_str(sg, "GroupName"),
				      k ? N_("revoke its egress rules naming %s|egress rules naming %s revoked") :
				      N_("revoke its ingress rules naming %s|ingress rules naming %s revoked"),
				      r->name, r->name);
		aws_call_arg(call, "--group-id");
		aws_call_arg(call, gid);
		aws_call_arg(call, "--ip-permissions");
		aws_call_arg(call, text);
		free(text);
		cJSON_Delete(perms);
	}
}
