/* deploy's resources outside the load balancer: IAM roles, security groups
 * and their rules, the cluster, the log group, the task definition. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploy.h"

static const char *jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

/* ---- what exists ---------------------------------------------------------------- */

const cJSON *p4b_deploy_sg(const struct deploy *d, const char *id)
{
	const cJSON *sg = p4b_sg_by_id(&d->v, id);

	if (!sg && d->extra_sgs) {
		struct p4b_view extra = { 0 };

		extra.sgs = d->extra_sgs;
		sg = p4b_sg_by_id(&extra, id);
	}
	return sg;
}

/* RDS_SG_ID / REDIS_SG_ID outside VPC_ID's listing: one more read. */
static int outside_groups(struct deploy *d)
{
	const struct p4b *c = d->c;
	const struct awsphase_host *h = d->h;
	const char *keys[2] = { "RDS_SG_ID", "REDIS_SG_ID" }, *ids[2] = { c->rds_sg, c->redis_sg };
	struct awsphase_call *call;
	int i, n = 0, rc, bad = 0;

	for (i = 0; i < 2; i++)
		if (ids[i] && !p4b_sg_by_id(&d->v, ids[i]))
			n++;
	if (!n)
		return 0;
	call = h->call_new("ec2", "describe-security-groups");
	h->call_arg(call, "--group-ids");
	for (i = 0; i < 2; i++)
		if (ids[i] && !p4b_sg_by_id(&d->v, ids[i]))
			h->call_arg(call, ids[i]);
	h->call_accept(call, "InvalidGroup.NotFound");
	h->call_accept(call, "InvalidGroupId.Malformed");
	rc = h->call_run(call);
	if (!rc && h->call_json(call))
		d->extra_sgs = cJSON_Duplicate(h->json_get(h->call_json(call), "SecurityGroups"), 1);
	for (i = 0; i < 2 && !rc; i++) {
		const cJSON *sg;

		if (!ids[i] || p4b_sg_by_id(&d->v, ids[i]))
			continue;
		sg = p4b_deploy_sg(d, ids[i]);
		if (!sg) {
			h->log(AWSPHASE_LOG_ERROR, "%s=%s: no such security group in %s; fix %s in %s "
			       "(phase 3) or remove the key", keys[i], ids[i], c->region, keys[i],
			       h->settings->env_file);
			bad++;
		} else {
			h->log(AWSPHASE_LOG_WARN, "%s=%s is in %s, not in VPC_ID=%s: a rule from %s "
			       "reaches it only through VPC peering", keys[i], ids[i],
			       jstr(sg, "VpcId") ? jstr(sg, "VpcId") : "another VPC", c->vpc,
			       c->ecs_sg_name);
		}
	}
	h->call_free(call);
	if (rc)
		return rc;
	return bad ? AWSPHASE_EXIT_USAGE : 0;
}

int p4b_known(struct deploy *d)
{
	const struct p4b *c = d->c;
	const struct p4b_view *v = &d->v;
	const cJSON *o;

	d->cluster_missing = v->cluster_missing;
	if ((o = p4b_role(v, c->exec_role)))
		p4b_copy(d->exec_arn, jstr(o, "Arn"));
	if ((o = p4b_role(v, c->task_role)))
		p4b_copy(d->task_arn, jstr(o, "Arn"));
	if ((o = p4b_sg_named(v, c->alb_sg_name))) {
		p4b_copy(d->alb_sg, p4b_sg_id(o));
		p4b_record(d, "ALB_SG_ID", d->alb_sg);
	}
	if ((o = p4b_sg_named(v, c->ecs_sg_name))) {
		p4b_copy(d->ecs_sg, p4b_sg_id(o));
		p4b_record(d, "ECS_SG_ID", d->ecs_sg);
	}
	if (v->tg) {
		p4b_copy(d->tg_arn, jstr(v->tg, "TargetGroupArn"));
		p4b_record(d, "TG_ARN", d->tg_arn);
	}
	if (v->alb) {
		p4b_copy(d->alb_arn, jstr(v->alb, "LoadBalancerArn"));
		p4b_copy(d->alb_dns, jstr(v->alb, "DNSName"));
		p4b_record(d, "ALB_ARN", d->alb_arn);
		p4b_record(d, "ALB_DNS", d->alb_dns);
	}
	if ((o = p4b_listener_on(v, 80))) {
		p4b_copy(d->listener_arn, jstr(o, "ListenerArn"));
		p4b_record(d, "LISTENER_ARN", d->listener_arn);
	}
	if (v->service && jstr(v->service, "status") && strcmp(jstr(v->service, "status"), "ACTIVE") == 0) {
		p4b_copy(d->service_arn, jstr(v->service, "serviceArn"));
		p4b_record(d, "SERVICE_ARN", d->service_arn);
		p4b_record(d, "TASK_DEF_ARN", jstr(v->service, "taskDefinition"));
	}
	return outside_groups(d);
}

/* ---- IAM roles ------------------------------------------------------------------------ */

static int is_exec(const struct deploy *d, const void *arg)
{
	return arg == d->exec_arn;
}

static void role_created(struct deploy *d, struct awsphase_call *call, const void *arg)
{
	const struct awsphase_host *h = d->h;
	char *arn = (char *)arg;
	const char *name = is_exec(d, arg) ? d->c->exec_role : d->c->task_role;
	cJSON *doc = NULL;

	if (is_exec(d, arg))
		d->exec_created = 1;
	else
		d->task_created = 1;
	switch (h->call_state(call)) {
	case AWSPHASE_CALL_DRY_RUN:
		p4b_placeholder(arn, name, "arn");
		p4b_resource(d, "IAM role", name, NULL, "would create");
		return;
	case AWSPHASE_CALL_ACCEPTED: /* there already, or created meanwhile by someone else */
		d->collided = 1;
		if (d->first)
			return; /* deploy reads everything again */
		if (h->aws(&doc, "iam", "get-role", "--role-name", name, NULL) == 0)
			p4b_copy(arn, h->json_str(doc, "Role.Arn"));
		cJSON_Delete(doc);
		p4b_resource(d, "IAM role", name, arn, "already there");
		return;
	default:
		p4b_copy(arn, h->json_str(h->call_json(call), "Role.Arn"));
		p4b_resource(d, "IAM role", name, arn, "created");
	}
}

static void role_updated(struct deploy *d, struct awsphase_call *call, const void *arg)
{
	const char *what = arg;

	(void)call;
	if (strncmp(what, "trust:", 6) == 0 && d->dry_run)
		p4b_resource(d, "IAM role", what + 6, NULL, "would update: trust policy → %s",
			     P4B_TRUSTED_SERVICE);
	else if (strncmp(what, "trust:", 6) == 0)
		p4b_resource(d, "IAM role", what + 6, NULL, "updated: trust policy → %s",
			     P4B_TRUSTED_SERVICE);
	else if (!d->exec_created && d->dry_run)
		p4b_resource(d, "IAM role", what, NULL,
			     "would update: AmazonECSTaskExecutionRolePolicy attached");
	else if (!d->exec_created)
		p4b_resource(d, "IAM role", what, NULL, "updated: AmazonECSTaskExecutionRolePolicy attached");
}

static void one_role(struct deploy *d, int stage, const char *name, char *arn, int exec)
{
	static char trust_label[2][300];
	const cJSON *role = p4b_role(&d->v, name);
	const char *policy = p4b_exec_policy_arn(d->c);
	struct awsphase_call *call;

	if (stage == 1 && !role) {
		if (!p4b_change(d))
			return;
		call = p4b_stage_call(d, "iam", "create-role", role_created, arn);
		p4b_args(d, call, "--role-name", name, "--assume-role-policy-document",
			 p4b_trust_policy(), NULL);
		d->h->call_accept(call, "EntityAlreadyExists");
	} else if (stage == 1 && !p4b_role_trusts_ecs_tasks(role)) {
		if (!p4b_change(d))
			return;
		snprintf(trust_label[exec], sizeof(trust_label[exec]), "trust:%s", name);
		call = p4b_stage_call(d, "iam", "update-assume-role-policy", role_updated,
				      trust_label[exec]);
		p4b_args(d, call, "--role-name", name, "--policy-document", p4b_trust_policy(), NULL);
	} else if (stage == 2 && exec && (!role || !p4b_role_has_policy(role, policy))) {
		if (!p4b_change(d))
			return;
		call = p4b_stage_call(d, "iam", "attach-role-policy", role_updated, name);
		p4b_args(d, call, "--role-name", name, "--policy-arn", policy, NULL);
	} else if (stage == 1 && !d->planning && (!exec || p4b_role_has_policy(role, policy))) {
		p4b_resource(d, "IAM role", name, NULL, "unchanged");
	}
}

void p4b_roles(struct deploy *d, int stage)
{
	one_role(d, stage, d->c->exec_role, d->exec_arn, 1);
	one_role(d, stage, d->c->task_role, d->task_arn, 0);
}

/* ---- security groups ----------------------------------------------------------------- */

static void sg_created(struct deploy *d, struct awsphase_call *call, const void *arg)
{
	const struct awsphase_host *h = d->h;
	char *id = (char *)arg;
	int alb = id == d->alb_sg;
	const char *name = alb ? d->c->alb_sg_name : d->c->ecs_sg_name;
	cJSON *doc = NULL;

	if (alb)
		d->alb_sg_created = 1;
	else
		d->ecs_sg_created = 1;
	switch (h->call_state(call)) {
	case AWSPHASE_CALL_DRY_RUN:
		p4b_placeholder(id, name, "id");
		p4b_resource(d, "security group", name, NULL, "would create");
		return;
	case AWSPHASE_CALL_ACCEPTED: {
		/* JSON filters: a group name may hold commas, which shorthand splits on */
		cJSON *f = cJSON_CreateArray(), *o;
		char *filters;

		d->collided = 1;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "Name", "vpc-id");
		cJSON_AddItemToObject(o, "Values", cJSON_CreateStringArray(&d->c->vpc, 1));
		cJSON_AddItemToArray(f, o);
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "Name", "group-name");
		cJSON_AddItemToObject(o, "Values", cJSON_CreateStringArray(&name, 1));
		cJSON_AddItemToArray(f, o);
		filters = cJSON_PrintUnformatted(f);
		if (h->aws(&doc, "ec2", "describe-security-groups", "--filters", filters, NULL) == 0)
			p4b_copy(id, h->json_str(doc, "SecurityGroups.0.GroupId"));
		cJSON_free(filters);
		cJSON_Delete(f);
		cJSON_Delete(doc);
		p4b_resource(d, "security group", name, id, "already there");
		break;
	}
	default:
		p4b_copy(id, h->json_str(h->call_json(call), "GroupId"));
		p4b_resource(d, "security group", name, id, "created");
	}
	p4b_record(d, alb ? "ALB_SG_ID" : "ECS_SG_ID", id);
}

/* One ingress rule deploy keeps: on group (a known id), tcp port from a
 * group or a CIDR.  Static: one deploy per process. */
struct rule {
	const char *label;      /* the group's name for the progress line */
	const char *group;      /* id */
	int port;
	const char *from_sg, *from_cidr, *from_label;
	int quiet;              /* the group was created in this run: "created" says it */
};
static struct rule rules[4];

static void rule_done(struct deploy *d, struct awsphase_call *call, const void *arg)
{
	const struct rule *r = arg;

	if (d->h->call_state(call) != AWSPHASE_CALL_ACCEPTED)
		d->rule_added = 1;
	if (r->quiet) {
		d->h->log(AWSPHASE_LOG_VERBOSE, "security group %s: tcp %d from %s", r->label, r->port,
			  r->from_label);
		return;
	}
	if (d->dry_run)
		p4b_resource(d, "security group", r->label, r->group, "would update: tcp %d from %s added",
			     r->port, r->from_label);
	else if (d->h->call_state(call) == AWSPHASE_CALL_ACCEPTED)
		p4b_resource(d, "security group", r->label, r->group,
			     "updated: tcp %d from %s (already there)", r->port, r->from_label);
	else
		p4b_resource(d, "security group", r->label, r->group, "updated: tcp %d from %s added",
			     r->port, r->from_label);
}

static int rule_present(const struct deploy *d, const struct rule *r)
{
	const cJSON *sg = p4b_is_placeholder(r->group) || !*r->group ? NULL :
			  p4b_deploy_sg(d, r->group);

	return sg && !p4b_is_placeholder(r->from_sg ? r->from_sg : "") &&
	       (!r->from_sg || *r->from_sg) && p4b_sg_allows(sg, r->port, r->from_sg, r->from_cidr);
}

static void rule(struct deploy *d, struct rule *r)
{
	struct awsphase_call *call;

	if (rule_present(d, r) || !p4b_change(d))
		return;
	call = p4b_stage_call(d, "ec2", "authorize-security-group-ingress", rule_done, r);
	p4b_args(d, call, "--group-id", r->group, "--protocol", "tcp", NULL);
	d->h->call_arg(call, "--port");
	d->h->call_argf(call, "%d", r->port);
	if (r->from_sg)
		p4b_args(d, call, "--source-group", r->from_sg, NULL);
	else
		p4b_args(d, call, "--cidr", r->from_cidr, NULL);
	d->h->call_accept(call, "InvalidPermission.Duplicate");
}

static void create_sg(struct deploy *d, const char *name, char *id, const char *desc)
{
	struct awsphase_call *call;

	if (!p4b_change(d))
		return;
	call = p4b_stage_call(d, "ec2", "create-security-group", sg_created, id);
	p4b_args(d, call, "--group-name", name, "--description", desc, "--vpc-id", d->c->vpc, NULL);
	d->h->call_accept(call, "InvalidGroup.Duplicate");
}

static const char *sg_label(const struct deploy *d, const char *id, const char *key)
{
	const cJSON *sg = p4b_deploy_sg(d, id);

	return sg && jstr(sg, "GroupName") ? jstr(sg, "GroupName") : key;
}

/* The rules as the ids now stand (a missing group: "", its rule missing too). */
static size_t rules_now(struct deploy *d)
{
	const struct p4b *c = d->c;
	size_t n = 0;

	rules[n++] = (struct rule){ c->alb_sg_name, d->alb_sg, 80, NULL, "0.0.0.0/0", "0.0.0.0/0",
				    d->alb_sg_created };
	rules[n++] = (struct rule){ c->ecs_sg_name, d->ecs_sg, c->port, d->alb_sg, NULL,
				    c->alb_sg_name, d->ecs_sg_created };
	if (c->rds_sg)
		rules[n++] = (struct rule){ sg_label(d, c->rds_sg, "RDS_SG_ID"), c->rds_sg, 5432,
					    d->ecs_sg, NULL, c->ecs_sg_name, 0 };
	if (c->redis_sg)
		rules[n++] = (struct rule){ sg_label(d, c->redis_sg, "REDIS_SG_ID"), c->redis_sg, 6379,
					    d->ecs_sg, NULL, c->ecs_sg_name, 0 };
	return n;
}

void p4b_security_groups(struct deploy *d, int stage)
{
	const struct p4b *c = d->c;
	char desc[300];
	size_t i, n;

	if (stage == 1) {
		if (!*d->alb_sg && !d->only_ecs_sg) {
			snprintf(desc, sizeof(desc), "Kaviar ALB - HTTP 80 from the internet");
			create_sg(d, c->alb_sg_name, d->alb_sg, desc);
		}
		if (!*d->ecs_sg) {
			snprintf(desc, sizeof(desc), "Kaviar ECS tasks - port %d from the ALB", c->port);
			create_sg(d, c->ecs_sg_name, d->ecs_sg, desc);
		}
		/* what holds already is said now, in the order of the resources */
		n = rules_now(d);
		for (i = 0; i < n && !d->planning; i++)
			if (rule_present(d, &rules[i]) && (!d->only_ecs_sg || i == 1))
				p4b_resource(d, "security group", rules[i].label, rules[i].group,
					     "unchanged: tcp %d from %s", rules[i].port,
					     rules[i].from_label);
		return;
	}
	if (stage != 2)
		return;
	n = rules_now(d);
	for (i = 0; i < n; i++)
		if (!d->only_ecs_sg || i == 1)
			rule(d, &rules[i]);
	if (!d->planning && *d->ecs_sg && !p4b_is_placeholder(d->ecs_sg)) {
		const cJSON *ecs = p4b_deploy_sg(d, d->ecs_sg);

		if (ecs && p4b_sg_allows(ecs, c->port, NULL, "0.0.0.0/0"))
			d->h->log(AWSPHASE_LOG_WARN, "%s also lets tcp %d in from 0.0.0.0/0; the runbook "
				  "lets only %s in: aws ec2 revoke-security-group-ingress --group-id "
				  "%s --protocol tcp --port %d --cidr 0.0.0.0/0", c->ecs_sg_name,
				  c->port, c->alb_sg_name, d->ecs_sg, c->port);
	}
}

/* ---- cluster and log group --------------------------------------------------------------- */

static void cluster_done(struct deploy *d, struct awsphase_call *call, const void *arg)
{
	(void)arg;
	if (d->dry_run)
		p4b_resource(d, "cluster", d->c->cluster, NULL, "would create");
	else
		p4b_resource(d, "cluster", d->c->cluster,
			     d->h->json_str(d->h->call_json(call), "cluster.clusterArn"), "created");
}

void p4b_cluster(struct deploy *d, int stage)
{
	struct awsphase_call *call;

	if (stage != 1)
		return;
	if (!d->cluster_missing) {
		if (!d->planning)
			p4b_resource(d, "cluster", d->c->cluster, NULL, "unchanged");
		return;
	}
	if (!p4b_change(d))
		return;
	call = p4b_stage_call(d, "ecs", "create-cluster", cluster_done, NULL);
	p4b_args(d, call, "--cluster-name", d->c->cluster, NULL);
}

static void log_group_done(struct deploy *d, struct awsphase_call *call, const void *arg)
{
	const char *what = arg;

	if (strcmp(what, "create") == 0 && d->h->call_state(call) == AWSPHASE_CALL_ACCEPTED) {
		d->collided = 1;
		if (!d->first)
			p4b_resource(d, "log group", d->c->log_group, NULL, "already there");
	} else if (strcmp(what, "create") == 0) {
		d->log_created = 1;
		if (d->dry_run)
			p4b_resource(d, "log group", d->c->log_group, NULL, "would create, retention %d days",
				     d->retention_days);
		else
			p4b_resource(d, "log group", d->c->log_group, NULL, "created, retention %d days",
				     d->retention_days);
	} else if (!d->log_created && d->dry_run) {
		p4b_resource(d, "log group", d->c->log_group, NULL, "would update: retention %s → %d days",
			     what, d->retention_days);
	} else if (!d->log_created) {
		p4b_resource(d, "log group", d->c->log_group, NULL, "updated: retention %s → %d days",
			     what, d->retention_days);
	}
}

void p4b_log_group(struct deploy *d, int stage)
{
	static char before[32];
	const cJSON *lg = d->v.log_group;
	const cJSON *days = cJSON_GetObjectItemCaseSensitive(lg, "retentionInDays");
	struct awsphase_call *call;
	char n[16];

	if (stage == 1 && !lg) {
		if (!p4b_change(d))
			return;
		call = p4b_stage_call(d, "logs", "create-log-group", log_group_done, "create");
		p4b_args(d, call, "--log-group-name", d->c->log_group, NULL);
		d->h->call_accept(call, "ResourceAlreadyExistsException");
	} else if (stage == 2 && (!lg || !cJSON_IsNumber(days) || days->valueint != d->retention_days)) {
		if (!p4b_change(d))
			return;
		if (cJSON_IsNumber(days))
			snprintf(before, sizeof(before), "%d days", days->valueint);
		else
			snprintf(before, sizeof(before), "never expire");
		snprintf(n, sizeof(n), "%d", d->retention_days);
		call = p4b_stage_call(d, "logs", "put-retention-policy", log_group_done, before);
		p4b_args(d, call, "--log-group-name", d->c->log_group, "--retention-in-days", n, NULL);
	} else if (stage == 1 && !d->planning && cJSON_IsNumber(days) &&
		   days->valueint == d->retention_days) {
		p4b_resource(d, "log group", d->c->log_group, NULL, "unchanged, retention %d days",
			     d->retention_days);
	}
}

/* ---- task definition ------------------------------------------------------------------------ */

static struct p4b_why td_why;

static const char *revision(const char *arn)
{
	const char *slash = arn ? strrchr(arn, '/') : NULL;

	return slash ? slash + 1 : arn ? arn : "";
}

static void td_done(struct deploy *d, struct awsphase_call *call, const void *arg)
{
	(void)arg;
	if (d->h->call_state(call) == AWSPHASE_CALL_DRY_RUN) {
		p4b_placeholder(d->td_arn, d->c->family, "new revision");
		p4b_resource_why(d, "task definition", d->c->family, NULL, "would register: %s", &td_why);
		return;
	}
	p4b_copy(d->td_arn, d->h->json_str(d->h->call_json(call), "taskDefinition.taskDefinitionArn"));
	p4b_resource_why(d, "task definition", revision(d->td_arn), NULL, "registered: %s", &td_why);
}

void p4b_task_definition(struct deploy *d, int stage)
{
	const struct p4b *c = d->c;
	cJSON *want;
	char *containers;
	struct awsphase_call *call;

	if (stage != 2)
		return;
	want = p4b_taskdef_want(c, d->exec_arn, d->task_arn, d->v.taskdef);
	if (!p4b_taskdef_differs(d->h, want, d->v.taskdef, &td_why)) {
		p4b_copy(d->td_arn, jstr(d->v.taskdef, "taskDefinitionArn"));
		if (!d->planning)
			p4b_resource(d, "task definition", revision(d->td_arn), NULL, "unchanged");
		cJSON_Delete(want);
		return;
	}
	if (!p4b_change(d)) {
		cJSON_Delete(want);
		return;
	}
	containers = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(want,
									   "containerDefinitions"));
	call = p4b_stage_call(d, "ecs", "register-task-definition", td_done, NULL);
	p4b_args(d, call, "--family", c->family, "--task-role-arn", d->task_arn,
		 "--execution-role-arn", d->exec_arn, "--network-mode", "awsvpc",
		 "--requires-compatibilities", "FARGATE", "--cpu", c->cpu, "--memory", c->memory,
		 "--container-definitions", containers, NULL);
	cJSON_free(containers);
	cJSON_Delete(want);
}
