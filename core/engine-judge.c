/* What an item of a kind every phase has says, for differs and for the
 * read-only actions (h->engine): whether a security group admits a port
 * from a group or a CIDR, whether an IAM role trusts a service and has a
 * managed policy, and the ARN partition of a region.  Phase modules judged
 * these each on their own before; the rules of AWS's JSON (a "-1" rule
 * counts for every port, a trust policy may arrive URL-encoded, Action
 * and Principal may be a string or a list) are the same for every one. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "engine-int.h"
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

const char *engine_partition(const char *region)
{
	if (region && strncmp(region, "cn-", 3) == 0)
		return "aws-cn";
	if (region && strncmp(region, "us-gov-", 7) == 0)
		return "aws-us-gov";
	return "aws";
}
