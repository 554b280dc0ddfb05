/* IAM roles and their inline policies as the engine's own kinds of
 * resource (engine.h: a resource with trusts, or with policy_doc): a role
 * found among every role of one read, made trusting a service, its
 * managed policies attached; an inline policy found in its role's item,
 * compared with the document the module wants, put with put-role-policy.
 * Every phase with a role of least privilege needs the same, so the module
 * says only whom the role trusts and what its documents allow.  And a
 * security group's ingress rule (ingress_port), the same for every phase
 * that opens a port from another group. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine-int.h"
#include "engine.h"
#include "host.h"
#include "i18n.h"
#include "strbuf.h"

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

/* ---- roles ---- */

enum { ROLE_TRUST = 1, ROLE_MANAGED = 2 };

static const char *const role_find[] = { "--filter", "Role", NULL };
static const char *const role_name[] = { "--role-name", "{name}", NULL };
static const char *const role_exists[] = { "EntityAlreadyExists", NULL };
static const char *const role_gone[] = { "NoSuchEntity", NULL };
static const char *const role_busy[] = { "DeleteConflict", NULL };

/* The trust policy create-role and update-assume-role-policy get. */
static void trust_arg(struct awsphase_res *r, struct awsphase_call *call)
{
	char doc[512];

	snprintf(doc, sizeof(doc), "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
		 "\"Principal\":{\"Service\":\"%s\"},\"Action\":\"sts:AssumeRole\"}]}", r->d.trusts);
	host_get()->call_arg(call, doc);
}

static const char *managed_arn(struct awsphase_res *r, const char *path)
{
	char arn[512];

	snprintf(arn, sizeof(arn), "arn:%s:iam::aws:policy/%s",
		 engine_partition(E->expand(r, "{region}")), path);
	return engine_keep(r->s, xstrdup(arn));
}

static int role_create(struct awsphase_res *r, struct awsphase_call *call)
{
	host_get()->call_arg(call, "--assume-role-policy-document");
	trust_arg(r, call);
	return 0;
}

/* have NULL: just created, trusting the service, with no policy attached. */
static void role_differs(struct awsphase_res *r, const cJSON *have)
{
	const char *const *m;

	if (have && !engine_iam_role_trusts(have, r->d.trusts))
		E->differs(r, ROLE_TRUST, "trust policy → %s", r->d.trusts);
	for (m = r->d.managed; m && *m; m++)
		if (!engine_iam_role_has_policy(have, managed_arn(r, *m)))
			E->differs(r, ROLE_MANAGED, "%s attached", strrchr(*m, '/') ?
				   strrchr(*m, '/') + 1 : *m);
}

static void role_fix(struct awsphase_res *r, const cJSON *have, unsigned what)
{
	const char *const *m;
	struct awsphase_call *call;

	if (what & ROLE_TRUST) {
		call = E->call(r, "iam", "update-assume-role-policy");
		E->args(r, call, "--role-name", "{name}", "--policy-document", NULL);
		trust_arg(r, call);
	}
	for (m = r->d.managed; (what & ROLE_MANAGED) && m && *m; m++) {
		if (engine_iam_role_has_policy(have, managed_arn(r, *m)))
			continue;
		call = E->call(r, "iam", "attach-role-policy");
		E->args(r, call, "--role-name", "{name}", "--policy-arn", NULL);
		host_get()->call_arg(call, managed_arn(r, *m));
	}
}

/* ---- ingress rules ---- */

static const char *const rule_exists[] = { "InvalidPermission.Duplicate", NULL };

/* "{@key}": the template of resource key's id. */
static const char *id_of(struct awsphase_res *r, const char *key)
{
	char t[256];

	snprintf(t, sizeof(t), "{@%s}", key);
	return engine_keep(r->s, xstrdup(t));
}

/* In the group's item: a rule of tcp port from the source group, whose id
 * must be known (a group not made yet has no rule naming it). */
static int rule_pick(struct awsphase_res *r, const cJSON *sg, int step, const cJSON **item)
{
	const char *from = r->d.ingress_from ? E->id(r, r->d.ingress_from) : NULL;
	const char *port = E->expand(r, r->d.ingress_port);

	(void)step;
	*item = sg;
	if (r->d.ingress_from && (!from || !*from || from[0] == '<'))
		return AWSPHASE_ABSENT;
	return engine_sg_allows(sg, port ? atoi(port) : 0, from, from ? NULL : "0.0.0.0/0") ?
	       AWSPHASE_FOUND : AWSPHASE_ABSENT;
}

static void rule_note(struct awsphase_res *r, const cJSON *have)
{
	struct awsphase_res *src = r->d.ingress_from ? engine_find(r->s, r->d.ingress_from) : NULL;

	(void)have;
	E->note(r, "tcp %s from %s", E->expand(r, r->d.ingress_port),
		src ? E->expand(r, src->d.name) : "0.0.0.0/0");
}

static int rule_create(struct awsphase_res *r, struct awsphase_call *call)
{
	E->args(r, call, "--group-id", id_of(r, r->d.part_of), "--protocol", "tcp", "--port",
		r->d.ingress_port, NULL);
	if (r->d.ingress_from)
		E->args(r, call, "--source-group", id_of(r, r->d.ingress_from), NULL);
	else
		E->args(r, call, "--cidr", "0.0.0.0/0", NULL);
	return 0;
}

/* What the module leaves unset of a role, the engine's. */
static void role_kind(struct awsphase_resource *d)
{
	if (!d->find.operation) {
		d->find = (struct awsphase_op){ "iam", "get-account-authorization-details", role_find,
					     NULL, NULL };
		d->list = "RoleDetailList";
		d->match = "RoleName";
	}
	d->id = d->id ? d->id : "Arn";
	if (!d->create.operation) {
		d->create = (struct awsphase_op){ "iam", "create-role", role_name, role_exists, NULL };
		d->create_args = role_create;
		d->created = "Role";
	}
	d->differs = d->differs ? d->differs : role_differs;
	d->fix = d->fix ? d->fix : role_fix;
	if (!d->remove.operation)
		d->remove = (struct awsphase_op){ "iam", "delete-role", role_name, role_gone, role_busy };
	d->remove_fn = d->remove_fn ? d->remove_fn : engine_iam_role_remove;
}

void engine_policy_kind(struct awsphase_resource *d)
{
	if (d->trusts)
		role_kind(d);
	if (d->ingress_port) {
		d->pick = rule_pick;
		d->differs = rule_note;
		d->create = (struct awsphase_op){ "ec2", "authorize-security-group-ingress", NULL,
						  rule_exists, NULL };
		d->create_args = rule_create;
	}
	if (!d->policy_doc)
		return;
	d->pick = policy_pick;
	d->differs = policy_differs;
	d->fix = policy_fix;
	d->create.service = "iam";
	d->create.operation = "put-role-policy";
	d->create_args = policy_put;
}
