/* What an item of a kind many phases have says, and what AWS accepts, for
 * differs, preflight checks and diagnoses (h->engine): whether a security
 * group admits a port and its ingress in words, whether an IAM role trusts
 * a service and has a managed policy, a subnet's NAT route, a VPC
 * endpoint, a listener's forward, a target's reason, an ECR image
 * reference, Fargate sizes, log retentions and the ARN partition.  Phase
 * modules judged these each on their own; the rules of AWS's JSON (a "-1"
 * rule counts for every port, a trust policy may arrive URL-encoded,
 * Action and Principal may be a string or a list) are the same for all. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine-int.h"
#include "i18n.h"
#include "json.h"

static int rule_covers(const cJSON *perm, int port)
{
	const char *proto = json_str(perm, "IpProtocol");
	const cJSON *from = json_get(perm, "FromPort"), *to = json_get(perm, "ToPort");

	if (!proto)
		return 0;
	if (strcmp(proto, "-1") == 0 || strcmp(proto, "all") == 0)
		return 1;
	if (strcmp(proto, "tcp") != 0 && strcmp(proto, "6") != 0)
		return 0;
	return cJSON_IsNumber(from) && cJSON_IsNumber(to) && from->valueint <= port &&
	       port <= to->valueint;
}

static int str_is(const cJSON *o, const char *path, const char *want)
{
	const char *s = json_str(o, path);

	return s && want && strcmp(s, want) == 0;
}

int engine_sg_allows(const cJSON *sg, int port, const char *src_sg, const char *cidr)
{
	const cJSON *perm, *item;

	cJSON_ArrayForEach(perm, json_get(sg, "IpPermissions")) {
		if (!rule_covers(perm, port))
			continue;
		if (src_sg)
			cJSON_ArrayForEach(item, json_get(perm, "UserIdGroupPairs"))
				if (str_is(item, "GroupId", src_sg))
					return 1;
		if (cidr)
			cJSON_ArrayForEach(item, json_get(perm, "IpRanges"))
				if (str_is(item, "CidrIp", cidr))
					return 1;
	}
	return 0;
}

/* "tcp/3001 from sg-…" for each source of list (key: GroupId, CidrIp). */
static void add_from(char *buf, size_t size, const char *ports, const cJSON *list, const char *key)
{
	const cJSON *x;
	size_t len;

	cJSON_ArrayForEach(x, list) {
		len = strlen(buf);
		snprintf(buf + len, size - len, _("%s%s from %s"), *buf ? ", " : "", ports,
			 json_str(x, key) ? json_str(x, key) : "?");
	}
}

void engine_sg_ingress_words(const cJSON *sg, char *buf, size_t size)
{
	const cJSON *perm;

	if (!size)
		return;
	buf[0] = '\0';
	cJSON_ArrayForEach(perm, json_get(sg, "IpPermissions")) {
		const char *proto = json_str(perm, "IpProtocol");
		char ports[40];

		if (proto && strcmp(proto, "-1") == 0)
			snprintf(ports, sizeof(ports), "all");
		else if (json_num(perm, "FromPort", -1) == json_num(perm, "ToPort", -1))
			snprintf(ports, sizeof(ports), "%s/%.0f", proto ? proto : "?", json_num(perm, "FromPort", -1));
		else
			snprintf(ports, sizeof(ports), "%s/%.0f-%.0f", proto ? proto : "?",
				 json_num(perm, "FromPort", -1), json_num(perm, "ToPort", -1));
		add_from(buf, size, ports, json_get(perm, "UserIdGroupPairs"), "GroupId");
		add_from(buf, size, ports, json_get(perm, "IpRanges"), "CidrIp");
	}
	if (!*buf)
		snprintf(buf, size, "%s", _("none"));
}

static int hexval(int ch)
{
	return isdigit(ch) ? ch - '0' : tolower(ch) - 'a' + 10;
}

/* IAM documents arrive decoded from both CLIs; a URL-encoded string is
 * what the API itself sends, so take that too. */
static cJSON *policy_doc(const cJSON *v)
{
	const char *s;
	char *dec, *d;
	cJSON *doc;

	if (cJSON_IsObject(v))
		return cJSON_Duplicate(v, 1);
	if (!cJSON_IsString(v) || !v->valuestring)
		return NULL;
	s = v->valuestring;
	dec = d = malloc(strlen(s) + 1);
	if (!dec)
		return NULL;
	while (*s) {
		if (s[0] == '%' && isxdigit((unsigned char)s[1]) && isxdigit((unsigned char)s[2])) {
			*d++ = (char)(hexval((unsigned char)s[1]) * 16 + hexval((unsigned char)s[2]));
			s += 3;
		} else {
			*d++ = *s == '+' ? ' ' : *s;
			s++;
		}
	}
	*d = '\0';
	doc = cJSON_Parse(dec);
	free(dec);
	return doc;
}

/* The role's inline policy name as JSON: the CLI decodes IAM's URL-encoded
 * documents, the API does not.  One that is not JSON is an empty object,
 * there but like no document a module wants. */
cJSON *engine_iam_role_policy(const cJSON *role, const char *name)
{
	const cJSON *p;
	cJSON *doc;

	cJSON_ArrayForEach(p, json_get(role, "RolePolicyList")) {
		if (!str_is(p, "PolicyName", name))
			continue;
		doc = policy_doc(json_get(p, "PolicyDocument"));
		return doc ? doc : cJSON_CreateObject();
	}
	return NULL;
}

/* A document is built statement by statement, so "none wanted" stays NULL
 * until the first. */
void engine_iam_allow(cJSON **doc, const char *sid, const char *const *actions, const char *resource)
{
	cJSON *st = cJSON_CreateObject(), *a;

	if (!*doc) {
		*doc = cJSON_CreateObject();
		cJSON_AddStringToObject(*doc, "Version", "2012-10-17");
		cJSON_AddArrayToObject(*doc, "Statement");
	}
	cJSON_AddStringToObject(st, "Sid", sid);
	cJSON_AddStringToObject(st, "Effect", "Allow");
	if (actions[1]) {
		a = cJSON_AddArrayToObject(st, "Action");
		for (; *actions; actions++)
			cJSON_AddItemToArray(a, cJSON_CreateString(*actions));
	} else {
		cJSON_AddStringToObject(st, "Action", actions[0]);
	}
	cJSON_AddStringToObject(st, "Resource", resource);
	cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(*doc, "Statement"), st);
}

/* Action and Principal.Service are a string or a list of them. */
static int one_or_many_has(const cJSON *v, const char *want)
{
	const cJSON *item;

	if (cJSON_IsString(v))
		return strcmp(v->valuestring, want) == 0;
	cJSON_ArrayForEach(item, v)
		if (cJSON_IsString(item) && strcmp(item->valuestring, want) == 0)
			return 1;
	return 0;
}

static int statement_trusts(const cJSON *st, const char *service)
{
	return str_is(st, "Effect", "Allow") && one_or_many_has(json_get(st, "Action"), "sts:AssumeRole") &&
	       one_or_many_has(json_get(st, "Principal.Service"), service);
}

int engine_iam_role_trusts(const cJSON *role, const char *service)
{
	cJSON *doc = policy_doc(json_get(role, "AssumeRolePolicyDocument"));
	const cJSON *stmts, *st;
	int ok = 0;

	if (!doc || !service)
		return 0;
	/* one statement may stand alone, not in a list */
	stmts = json_get(doc, "Statement");
	if (cJSON_IsObject(stmts))
		ok = statement_trusts(stmts, service);
	else
		cJSON_ArrayForEach(st, stmts)
			ok |= statement_trusts(st, service);
	cJSON_Delete(doc);
	return ok;
}

int engine_iam_role_has_policy(const cJSON *role, const char *policy_arn)
{
	const cJSON *p;

	cJSON_ArrayForEach(p, json_get(role, "AttachedManagedPolicies"))
		if (str_is(p, "PolicyArn", policy_arn))
			return 1;
	return 0;
}

/* The route table of a subnet: its own association, else the VPC's main one. */
static const cJSON *route_table(const cJSON *tables, const char *subnet)
{
	const cJSON *t, *a, *main = NULL;

	cJSON_ArrayForEach(t, tables)
		cJSON_ArrayForEach(a, json_get(t, "Associations")) {
			if (str_is(a, "SubnetId", subnet))
				return t;
			if (cJSON_IsTrue(json_get(a, "Main")))
				main = t;
		}
	return main;
}

int engine_subnet_nat(const cJSON *tables, const char *subnet)
{
	const cJSON *r;

	cJSON_ArrayForEach(r, json_get(route_table(tables, subnet), "Routes")) {
		if (!str_is(r, "DestinationCidrBlock", "0.0.0.0/0") || str_is(r, "State", "blackhole"))
			continue;
		/* an internet gateway's route is no egress without a public IP */
		if (json_str(r, "NatGatewayId") || json_str(r, "InstanceId") || json_str(r, "TransitGatewayId") ||
		    (json_str(r, "NetworkInterfaceId") && !json_str(r, "GatewayId")))
			return 1;
	}
	return 0;
}

int engine_vpc_endpoint(const cJSON *endpoints, const char *region, const char *service)
{
	const cJSON *e;
	char name[160];

	snprintf(name, sizeof(name), "com.amazonaws.%s.%s", region ? region : "", service);
	cJSON_ArrayForEach(e, endpoints)
		if (str_is(e, "ServiceName", name) &&
		    (!json_str(e, "State") || strcasecmp(json_str(e, "State"), "available") == 0))
			return 1;
	return 0;
}

int engine_listener_forwards(const cJSON *listener, const char *tg_arn)
{
	const cJSON *actions = json_get(listener, "DefaultActions");
	const cJSON *a = cJSON_GetArrayItem(actions, 0), *groups = json_get(a, "ForwardConfig.TargetGroups");

	if (cJSON_GetArraySize(actions) != 1 || !str_is(a, "Type", "forward"))
		return 0;
	/* the short form names one group; ForwardConfig may name several */
	if (json_str(a, "TargetGroupArn"))
		return str_is(a, "TargetGroupArn", tg_arn);
	return cJSON_GetArraySize(groups) == 1 && str_is(cJSON_GetArrayItem(groups, 0), "TargetGroupArn", tg_arn);
}

const char *engine_target_reason(const cJSON *targets, const char *state)
{
	const cJSON *t;

	cJSON_ArrayForEach(t, targets)
		if (str_is(t, "TargetHealth.State", state) && json_str(t, "TargetHealth.Reason"))
			return json_str(t, "TargetHealth.Reason");
	return NULL;
}

/* Fargate's CPU/memory pairs: memory in [lo, hi] MiB in steps of step. */
int engine_fargate_size_ok(int cpu, int mem)
{
	static const struct { int cpu, lo, hi, step; } sizes[] = {
		{ 256, 512, 2048, 512 }, { 512, 1024, 4096, 1024 }, { 1024, 2048, 8192, 1024 },
		{ 2048, 4096, 16384, 1024 }, { 4096, 8192, 30720, 1024 },
		{ 8192, 16384, 61440, 4096 }, { 16384, 32768, 122880, 8192 },
	};
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (sizes[i].cpu == cpu)
			return mem >= sizes[i].lo && mem <= sizes[i].hi &&
			       (mem - sizes[i].lo) % sizes[i].step == 0;
	return 0;
}

/* The retentions CloudWatch Logs offers (put-retention-policy). */
int engine_log_retention_ok(int days)
{
	static const int ok[] = { 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
				  1096, 1827, 2192, 2557, 2922, 3288, 3653 };
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (ok[i] == days)
			return 1;
	return 0;
}

/* s[0..n) as member key of o. */
static void add_part(cJSON *o, const char *key, const char *s, size_t n)
{
	char *v = malloc(n + 1);

	if (!v)
		return;
	memcpy(v, s, n);
	v[n] = '\0';
	cJSON_AddStringToObject(o, key, v);
	free(v);
}

cJSON *engine_ecr_image(const char *uri)
{
	const char *p, *dot = uri ? strchr(uri, '.') : NULL, *slash, *at, *colon, *end;
	cJSON *im;

	if (!dot || dot - uri != 12 || strncmp(dot, ".dkr.ecr.", 9) != 0)
		return NULL;
	p = dot + 9;
	dot = strstr(p, ".amazonaws.com");
	slash = strchr(p, '/');
	if (!dot || !slash || dot > slash)
		return NULL;
	at = strchr(slash + 1, '@');
	colon = strrchr(slash + 1, ':');
	end = at ? at : colon ? colon : slash + 1 + strlen(slash + 1);
	if (end == slash + 1)
		return NULL; /* no repository */
	im = cJSON_CreateObject();
	add_part(im, "account", uri, 12);
	add_part(im, "region", p, (size_t)(dot - p));
	add_part(im, "repository", slash + 1, (size_t)(end - slash - 1));
	if (at)
		cJSON_AddStringToObject(im, "digest", at + 1);
	else
		cJSON_AddStringToObject(im, "tag", colon ? colon + 1 : "latest");
	return im;
}

const char *engine_partition(const char *region)
{
	if (region && strncmp(region, "cn-", 3) == 0)
		return "aws-cn";
	if (region && strncmp(region, "us-gov-", 7) == 0)
		return "aws-us-gov";
	return "aws";
}
