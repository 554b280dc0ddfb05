/* awsphase 4b teardown: the runbook's "Rollback completo", in order and
 * idempotent.  One read finds what exists; the deletions are planned from
 * it as phases, each phase's calls run at once, and a step already done is
 * simply not planned, so a second teardown, or one after a teardown that
 * was killed halfway, makes only the calls that are still needed:
 *   1. service desired count 0          2. delete the service
 *      … wait until the service is INACTIVE
 *   3. delete the listeners             4. delete the load balancer
 *      … wait until the load balancer is gone (no fixed sleep)
 *   5. delete the target group (again while AWS says ResourceInUse)
 * and with --all:
 *   6. revoke the rules other groups hold on the 4B security groups (the
 *      RDS/Redis rules from kaviar-ecs-sg, kaviar-ecs-sg's rule from
 *      kaviar-alb-sg), detach and delete the roles' policies, deregister the
 *      family's revisions, delete the log group
 *   7. delete the security groups, the roles and the cluster (again while
 *      AWS says DependencyViolation / DeleteConflict / tasks still there)
 * The env keys naming what is gone are removed as each phase ends. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "teardown.h"

static int opt_yes, opt_all;

const struct poptOption p4b_teardown_options[] = {
	{ "yes", 'y', POPT_ARG_NONE, &opt_yes, 0,
	  N_("delete without asking (required when stdin is not a terminal)"), NULL },
	{ "all", 0, POPT_ARG_NONE, &opt_all, 0,
	  N_("also delete the security groups, log group, cluster, roles and task definition "
	  "revisions 4B created"), NULL },
	POPT_TABLEEND
};

/* ---- planning: what exists, what to delete ------------------------------------ */

static const char *jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

/* The permissions of list that refer to one of ids (not group's own),
 * reduced to those pairs; NULL when none. */
/* The permissions of list that refer to one of ids (not group's own),
 * reduced to those pairs; NULL when none. */
static cJSON *referring(const cJSON *list, const char *group, const char *const ids[2])
{
	cJSON *out = NULL, *perm, *pairs;
	const cJSON *p, *pair;
	static const char *const keep[] = { "IpProtocol", "FromPort", "ToPort" };
	size_t i;

	cJSON_ArrayForEach(p, list) {
		pairs = NULL;
		cJSON_ArrayForEach(pair, cJSON_GetObjectItemCaseSensitive(p, "UserIdGroupPairs")) {
			const char *id = jstr(pair, "GroupId");

			cJSON *one;

			if (!id || strcmp(id, group) == 0 || !((ids[0] && strcmp(id, ids[0]) == 0) ||
							       (ids[1] && strcmp(id, ids[1]) == 0)))
				continue;
			if (!pairs)
				pairs = cJSON_CreateArray();
			one = cJSON_CreateObject();
			cJSON_AddStringToObject(one, "GroupId", id);
			cJSON_AddItemToArray(pairs, one);
		}
		if (!pairs)
			continue;
		perm = cJSON_CreateObject();
		for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, keep[i]);

			if (v)
				cJSON_AddItemToObject(perm, keep[i], cJSON_Duplicate(v, 1));
		}
		cJSON_AddItemToObject(perm, "UserIdGroupPairs", pairs);
		if (!out)
			out = cJSON_CreateArray();
		cJSON_AddItemToArray(out, perm);
	}
	return out;
}

static void plan_references(struct teardown *t, const char *const ids[2])
{
	static const struct { const char *key, *op, *verb; } dirs[] = {
		{ "IpPermissions", "revoke-security-group-ingress",
		  N_("revoke its ingress rules naming the 4B groups|"
		     "ingress rules naming the 4B groups revoked") },
		{ "IpPermissionsEgress", "revoke-security-group-egress",
		  N_("revoke its egress rules naming the 4B groups|"
		     "egress rules naming the 4B groups revoked") },
	};
	const cJSON *lists[2] = { t->v.sgs, t->outside_sgs }, *sg;
	size_t l, k;

	for (l = 0; l < 2; l++)
		cJSON_ArrayForEach(sg, lists[l]) {
			const char *gid = jstr(sg, "GroupId");

			if (!gid || (l == 1 && p4b_sg_by_id(&t->v, gid)))
				continue;
			for (k = 0; k < 2; k++) {
				const cJSON *list = cJSON_GetObjectItemCaseSensitive(sg, dirs[k].key);
				cJSON *perms = referring(list, gid, ids);
				char *json;
				struct td_del *d;

				if (!perms)
					continue;
				json = cJSON_PrintUnformatted(perms);
				d = td_add(t, 6, "ec2", dirs[k].op, "security group",
					   jstr(sg, "GroupName"), gid, dirs[k].verb, "--group-id", gid,
					   "--ip-permissions", json, NULL);
				td_gone(d, "InvalidPermission.NotFound", "InvalidGroup.NotFound", NULL);
				free(json);
				cJSON_Delete(perms);
			}
		}
}

static void plan_role(struct teardown *t, const char *name)
{
	const cJSON *role = p4b_role(&t->v, name), *p;
	char verb[600];
	struct td_del *d;

	if (!role)
		return;
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(role, "AttachedManagedPolicies")) {
		snprintf(verb, sizeof(verb), "detach %s|%s detached", jstr(p, "PolicyName"),
			 jstr(p, "PolicyName"));
		d = td_add(t, 6, "iam", "detach-role-policy", "role", name, NULL, verb,
			   "--role-name", name, "--policy-arn", jstr(p, "PolicyArn"), NULL);
		td_shown(d, t->h->text("detach %s|%s detached"), jstr(p, "PolicyName"),
			 jstr(p, "PolicyName"));
		td_gone(d, "NoSuchEntity", NULL, NULL);
	}
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(role, "RolePolicyList")) {
		snprintf(verb, sizeof(verb), "delete inline policy %s|inline policy %s deleted",
			 jstr(p, "PolicyName"), jstr(p, "PolicyName"));
		d = td_add(t, 6, "iam", "delete-role-policy", "role", name, NULL, verb,
			   "--role-name", name, "--policy-name", jstr(p, "PolicyName"), NULL);
		td_shown(d, t->h->text("delete inline policy %s|inline policy %s deleted"),
			 jstr(p, "PolicyName"), jstr(p, "PolicyName"));
		td_gone(d, "NoSuchEntity", NULL, NULL);
	}
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(role, "InstanceProfileList")) {
		snprintf(verb, sizeof(verb), "remove from instance profile %s|removed from instance "
			 "profile %s", jstr(p, "InstanceProfileName"), jstr(p, "InstanceProfileName"));
		d = td_add(t, 6, "iam", "remove-role-from-instance-profile", "role", name, NULL, verb,
			   "--role-name", name, "--instance-profile-name",
			   jstr(p, "InstanceProfileName"), NULL);
		td_shown(d, t->h->text("remove from instance profile %s|removed from instance profile %s"),
			 jstr(p, "InstanceProfileName"), jstr(p, "InstanceProfileName"));
		td_gone(d, "NoSuchEntity", NULL, NULL);
	}
	d = td_add(t, 7, "iam", "delete-role", "role", name, NULL, "delete|deleted", "--role-name", name,
		   NULL);
	td_gone(d, "NoSuchEntity", NULL, NULL);
	td_busy(d, "DeleteConflict", NULL);
}

static void plan_all(struct teardown *t)
{
	const struct p4b *c = t->c;
	const cJSON *alb_sg = p4b_sg_named(&t->v, c->alb_sg_name);
	const cJSON *ecs_sg = p4b_sg_named(&t->v, c->ecs_sg_name), *arn;
	const char *ids[2] = { p4b_sg_id(ecs_sg), p4b_sg_id(alb_sg) };
	const char *cluster_status = jstr(t->cluster, "status");
	const char *svc_status = jstr(t->v.service, "status");
	struct td_del *d;
	size_t i;
	int others;

	plan_references(t, ids);
	plan_role(t, c->exec_role);
	plan_role(t, c->task_role);
	cJSON_ArrayForEach(arn, t->revisions) {
		const char *rev = cJSON_IsString(arn) ? strrchr(arn->valuestring, '/') : NULL;
		size_t flen = strlen(c->family);

		if (!rev || strncmp(rev + 1, c->family, flen) != 0 || rev[1 + flen] != ':')
			continue;
		d = td_add(t, 6, "ecs", "deregister-task-definition", "task definition", rev + 1,
			   NULL, "deregister|deregistered", "--task-definition", rev + 1, NULL);
		td_gone(d, "ClientException", NULL, NULL);
	}
	if (t->v.log_group) {
		d = td_add(t, 6, "logs", "delete-log-group", "log group", c->log_group, NULL,
			   "delete|deleted", "--log-group-name", c->log_group, NULL);
		td_gone(d, "ResourceNotFoundException", NULL, NULL);
	}
	for (i = 0; i < 2; i++) {
		const cJSON *sg = i ? alb_sg : ecs_sg;

		if (!sg)
			continue;
		d = td_add(t, 7, "ec2", "delete-security-group", "security group",
			   jstr(sg, "GroupName"), p4b_sg_id(sg), "delete|deleted", "--group-id",
			   p4b_sg_id(sg), NULL);
		td_gone(d, "InvalidGroup.NotFound", NULL, NULL);
		td_busy(d, "DependencyViolation", NULL);
	}
	if (cluster_status && strcmp(cluster_status, "ACTIVE") == 0) {
		/* a cluster that holds services other than ours is not 4B's to delete */
		others = (int)t->h->json_num(t->cluster, "activeServicesCount", 0) -
			 (svc_status && strcmp(svc_status, "INACTIVE") != 0);
		if (others > 0) {
			t->h->log(AWSPHASE_LOG_WARN, "4b teardown: cluster %s keeps %d other service%s: "
				  "not deleting it", c->cluster, others, others == 1 ? "" : "s");
		} else {
			d = td_add(t, 7, "ecs", "delete-cluster", "cluster", c->cluster, NULL,
				   "delete|deleted", "--cluster", c->cluster, NULL);
			td_gone(d, "ClusterNotFoundException", NULL, NULL);
			td_busy(d, "ClusterContainsTasksException", "ClusterContainsServicesException");
		}
	}
}

static void plan(struct teardown *t)
{
	const struct p4b *c = t->c;
	const struct awsphase_host *h = t->h;
	const cJSON *svc = t->v.service, *l;
	const char *status = jstr(svc, "status"), *arn = jstr(svc, "serviceArn");
	static const char *const svc_gone[] = { "ServiceNotFoundException",
		"ServiceNotActiveException", "ClusterNotFoundException" };
	char name[300];
	struct td_del *d;

	if (status && strcmp(status, "ACTIVE") == 0) {
		if (h->json_num(svc, "desiredCount", 0) > 0) {
			d = td_add(t, 1, "ecs", "update-service", "service", c->service, arn,
				   "scale to 0 tasks|scaled to 0 tasks", "--cluster", c->cluster,
				   "--service", c->service, "--desired-count", "0", NULL);
			td_gone(d, svc_gone[0], svc_gone[1], svc_gone[2]);
		}
		d = td_add(t, 2, "ecs", "delete-service", "service", c->service, arn, "delete|deleted",
			   "--cluster", c->cluster, "--service", c->service, NULL);
		td_gone(d, svc_gone[0], svc_gone[1], svc_gone[2]);
	}
	t->wait_service = status && strcmp(status, "INACTIVE") != 0;
	cJSON_ArrayForEach(l, t->v.listeners) {
		/* no words: the same name goes into the JSON and every language */
		snprintf(name, sizeof(name), "%s %s:%d", c->alb_name,
			 jstr(l, "Protocol") ? jstr(l, "Protocol") : "?",
			 (int)h->json_num(l, "Port", 0));
		d = td_add(t, 3, "elbv2", "delete-listener", "listener", name, jstr(l, "ListenerArn"),
			   "delete|deleted", "--listener-arn", jstr(l, "ListenerArn"), NULL);
		td_gone(d, "ListenerNotFound", "LoadBalancerNotFound", NULL);
	}
	if (t->v.alb) {
		d = td_add(t, 4, "elbv2", "delete-load-balancer", "load balancer", c->alb_name,
			   jstr(t->v.alb, "LoadBalancerArn"), "delete|deleted", "--load-balancer-arn",
			   jstr(t->v.alb, "LoadBalancerArn"), NULL);
		td_gone(d, "LoadBalancerNotFound", NULL, NULL);
		t->wait_alb = 1;
	}
	if (t->v.tg) {
		d = td_add(t, 5, "elbv2", "delete-target-group", "target group", c->tg_name,
			   jstr(t->v.tg, "TargetGroupArn"), "delete|deleted", "--target-group-arn",
			   jstr(t->v.tg, "TargetGroupArn"), NULL);
		td_gone(d, "TargetGroupNotFound", NULL, NULL);
		td_busy(d, "ResourceInUse", NULL);
	}
	if (opt_all)
		plan_all(t);
}

/* p4b_read, and with --all the cluster, the family's ACTIVE revisions and the
 * RDS/Redis groups when they are outside the VPC's listing. */
static int read_state(struct teardown *t)
{
	const struct awsphase_host *h = t->h;
	struct p4b *c = t->c;
	const char *outside[2];
	size_t n = 0, no = 0, i;
	struct awsphase_call *call;
	int rc;

	rc = p4b_read(c, P4B_SERVICE | P4B_ALB | P4B_LISTENERS | P4B_TG |
		      (opt_all ? P4B_SGS | P4B_LOGGROUP | P4B_ROLES : 0), &t->v);
	if (rc || !opt_all)
		return rc;
	call = t->extra[n++] = h->call_new("ecs", "describe-clusters");
	h->call_arg(call, "--clusters");
	h->call_arg(call, c->cluster);
	call = t->extra[n++] = h->call_new("ecs", "list-task-definitions");
	h->call_arg(call, "--family-prefix");
	h->call_arg(call, c->family);
	if (c->rds_sg && !p4b_sg_by_id(&t->v, c->rds_sg))
		outside[no++] = c->rds_sg;
	if (c->redis_sg && !p4b_sg_by_id(&t->v, c->redis_sg))
		outside[no++] = c->redis_sg;
	if (no) {
		call = t->extra[n++] = h->call_new("ec2", "describe-security-groups");
		h->call_arg(call, "--group-ids");
		for (i = 0; i < no; i++)
			h->call_arg(call, outside[i]);
		h->call_accept(call, "InvalidGroup.NotFound");
	}
	rc = h->call_run_all(t->extra, n);
	if (rc)
		return rc;
	t->cluster = h->json_get(h->call_json(t->extra[0]), "clusters.0");
	t->revisions = h->json_get(h->call_json(t->extra[1]), "taskDefinitionArns");
	if (no)
		t->outside_sgs = h->json_get(h->call_json(t->extra[2]), "SecurityGroups");
	return 0;
}

/* ---- the action ---------------------------------------------------------------- */

int p4b_teardown(const struct awsphase_host *h, int argc, const char **argv)
{
	struct teardown t;
	struct p4b c;
	int rc;

	if (argc > 1) {
		h->log(AWSPHASE_LOG_ERROR, "4b teardown: unexpected argument '%s'; see awsphase 4b "
		       "teardown --help", argv[1]);
		return AWSPHASE_EXIT_USAGE;
	}
	if (!opt_yes && !h->settings->dry_run && !isatty(STDIN_FILENO)) {
		if (opt_all)
			h->log(AWSPHASE_LOG_ERROR, "4b teardown deletes the service, the load balancer and "
			       "the target group (--all: also the security groups, log group, cluster, "
			       "roles and task definitions), and asks first; stdin is not a terminal to "
			       "ask on: pass --yes to delete without asking, or --dry-run to see what it "
			       "would delete");
		else
			h->log(AWSPHASE_LOG_ERROR, "4b teardown deletes the service, the load balancer and "
			       "the target group, and asks first; stdin is not a terminal to ask on: pass "
			       "--yes to delete without asking, or --dry-run to see what it would delete");
		return AWSPHASE_EXIT_USAGE;
	}
	rc = p4b_config(h, &c);
	if (rc)
		return rc;
	memset(&t, 0, sizeof(t));
	t.c = &c;
	t.h = h;
	t.dry = h->settings->dry_run;
	t.all = opt_all;
	t.report = cJSON_CreateArray();
	rc = read_state(&t);
	if (rc)
		goto out;
	plan(&t);
	if (!t.n && !t.wait_service && !t.wait_alb) {
		td_forget(&t);
		if (opt_all)
			h->say("nothing to tear down: none of the 4B resources exist");
		else
			h->say("nothing to tear down: none of the 4B resources (service, listener, "
			       "load balancer, target group) exist");
		goto out;
	}
	if (t.n && !opt_yes && !t.dry && !td_confirm(&t)) {
		h->log(AWSPHASE_LOG_ERROR, "4b teardown: not confirmed; nothing was deleted");
		rc = AWSPHASE_EXIT_FAILED;
		goto out;
	}
	rc = td_act(&t);
	if (!rc && t.dry)
		h->say("dry run: the deletions above were listed, none made");
	else if (!rc && opt_all)
		h->say("torn down: every 4B resource is gone");
	else if (!rc)
		h->say("torn down: service, listener, load balancer and target group are gone (--all "
		       "also removes the security groups, log group, cluster, roles and task "
		       "definitions)");
out:
	td_release(&t);
	return rc;
}
