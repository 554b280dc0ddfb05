/* The JSON lookups of the host (json_find, json_count, json_same_pairs)
 * and what the engine says of security groups and IAM roles
 * (engine-judge.c), on answers shaped as the aws CLI prints them. */
#include <stdlib.h>
#include <string.h>

#include "engine-int.h"
#include "json.h"
#include "tap.h"

static void test_find(void)
{
	cJSON *deps = cJSON_Parse("[{\"id\":\"a\",\"status\":\"ACTIVE\"},{\"id\":\"b\",\"status\":\"PRIMARY\"},"
				  "{\"id\":\"c\",\"status\":\"ACTIVE\",\"h\":{\"s\":\"x\"}}]");
	cJSON *strs2 = cJSON_Parse("[\"sg-1\", \"sg-2\", \"sg-1\"]");
	cJSON *strs = cJSON_Parse("[\"sg-1\", 3, \"sg-2\"]"), *obj = cJSON_Parse("{\"id\":\"a\"}");

	is_str(json_str(json_find(deps, "status", "PRIMARY"), "id"), "b", "json_find: the PRIMARY deployment");
	ok(json_find(deps, "status", "DRAINING") == NULL, "json_find: none in that state is NULL");
	is_str(json_str(json_find(deps, "h.s", "x"), "id"), "c", "json_find: a dot path");
	ok(json_find(strs, NULL, "sg-2") != NULL && json_find(strs, NULL, "sg-3") == NULL,
	   "json_find: path NULL compares the strings themselves");
	ok(json_find(deps, "id", NULL) == NULL && json_find(NULL, "id", "a") == NULL &&
	   json_find(obj, "id", "a") == NULL, "json_find: NULL value, NULL or non-array: NULL");
	is_int(json_count(deps, "status", "ACTIVE"), 2, "json_count: two ACTIVE");
	is_int(json_count(obj, "id", "a"), 0, "json_count: an object is not an array");
	ok(json_same_set(strs2, (const char *const[]){ "sg-2", "sg-1", NULL }, 3) &&
	   !json_same_set(strs2, (const char *const[]){ "sg-1" }, 1) &&
	   !json_same_set(strs2, (const char *const[]){ "sg-1", "sg-2", "sg-3" }, 3),
	   "json_same_set: the same strings in any order, not fewer or more");
	cJSON_Delete(deps);
	cJSON_Delete(strs);
	cJSON_Delete(strs2);
	cJSON_Delete(obj);
}

static void test_pairs(void)
{
	cJSON *a = cJSON_Parse("[{\"name\":\"PORT\",\"value\":\"3001\"},{\"name\":\"NODE_ENV\",\"value\":\"production\"}]");
	cJSON *b = cJSON_Parse("[{\"name\":\"NODE_ENV\",\"value\":\"production\"},{\"name\":\"PORT\",\"value\":\"3001\"}]");
	cJSON *c = cJSON_Parse("[{\"name\":\"PORT\",\"value\":\"3002\"},{\"name\":\"NODE_ENV\",\"value\":\"production\"}]");
	cJSON *o1 = cJSON_Parse("{\"awslogs-group\":\"/ecs/x\",\"awslogs-region\":\"us-east-2\"}");
	cJSON *o2 = cJSON_Parse("{\"awslogs-region\":\"us-east-2\",\"awslogs-group\":\"/ecs/x\"}");

	ok(json_same_pairs(a, b), "json_same_pairs: the same environment in another order");
	ok(!json_same_pairs(a, c), "json_same_pairs: another value differs");
	ok(!json_same_pairs(a, NULL) && json_same_pairs(NULL, NULL), "json_same_pairs: none against some");
	ok(json_same_pairs(o1, o2), "json_same_pairs: objects of strings (log options)");
	cJSON_Delete(a);
	cJSON_Delete(b);
	cJSON_Delete(c);
	cJSON_Delete(o1);
	cJSON_Delete(o2);
}

static void test_sg(void)
{
	cJSON *sg = cJSON_Parse("{\"GroupId\":\"sg-ecs\",\"IpPermissions\":["
				"{\"IpProtocol\":\"tcp\",\"FromPort\":3000,\"ToPort\":3010,"
				"\"UserIdGroupPairs\":[{\"GroupId\":\"sg-alb\"}]},"
				"{\"IpProtocol\":\"tcp\",\"FromPort\":80,\"ToPort\":80,"
				"\"IpRanges\":[{\"CidrIp\":\"0.0.0.0/0\"}]},"
				"{\"IpProtocol\":\"udp\",\"FromPort\":53,\"ToPort\":53,"
				"\"UserIdGroupPairs\":[{\"GroupId\":\"sg-dns\"}]}]}");
	char words[200];
	cJSON *all = cJSON_Parse("{\"IpPermissions\":[{\"IpProtocol\":\"-1\","
				 "\"UserIdGroupPairs\":[{\"GroupId\":\"sg-alb\"}]}]}");

	ok(engine_sg_allows(sg, 3001, "sg-alb", NULL), "sg_allows: a port in a range, from a group");
	ok(!engine_sg_allows(sg, 3011, "sg-alb", NULL), "sg_allows: a port past the range");
	ok(!engine_sg_allows(sg, 3001, "sg-other", NULL), "sg_allows: another group");
	ok(engine_sg_allows(sg, 80, NULL, "0.0.0.0/0") && !engine_sg_allows(sg, 80, "sg-alb", NULL),
	   "sg_allows: a CIDR rule admits the CIDR only");
	ok(!engine_sg_allows(sg, 53, "sg-dns", NULL), "sg_allows: udp is not tcp");
	ok(engine_sg_allows(all, 5432, "sg-alb", NULL), "sg_allows: a -1 rule covers every port");
	engine_sg_ingress_words(sg, words, sizeof(words));
	is_str(words, "tcp/3000-3010 from sg-alb, tcp/80 from 0.0.0.0/0, udp/53 from sg-dns",
	       "sg_ingress_words: each rule's ports and source");
	engine_sg_ingress_words(NULL, words, sizeof(words));
	is_str(words, "none", "sg_ingress_words: none");
	cJSON_Delete(sg);
	cJSON_Delete(all);
}

static void test_nat(void)
{
	cJSON *t = cJSON_Parse("[{\"Associations\":[{\"Main\":true}],\"Routes\":[{\"DestinationCidrBlock\":"
			       "\"0.0.0.0/0\",\"GatewayId\":\"igw-1\"}]},"
			       "{\"Associations\":[{\"SubnetId\":\"subnet-a\"}],\"Routes\":[{\"DestinationCidrBlock\":"
			       "\"0.0.0.0/0\",\"NatGatewayId\":\"nat-1\"}]},"
			       "{\"Associations\":[{\"SubnetId\":\"subnet-b\"}],\"Routes\":[{\"DestinationCidrBlock\":"
			       "\"0.0.0.0/0\",\"NatGatewayId\":\"nat-2\",\"State\":\"blackhole\"}]}]");

	ok(engine_subnet_nat(t, "subnet-a"), "subnet_nat: its own table routes through a NAT gateway");
	ok(!engine_subnet_nat(t, "subnet-c"), "subnet_nat: the main table's internet gateway is no NAT");
	ok(!engine_subnet_nat(t, "subnet-b"), "subnet_nat: a blackhole route is none");
	cJSON_Delete(t);
}

static void test_iam(void)
{
	cJSON *list = cJSON_Parse("{\"AssumeRolePolicyDocument\":{\"Statement\":[{\"Effect\":\"Allow\","
				  "\"Principal\":{\"Service\":[\"ec2.amazonaws.com\",\"ecs-tasks.amazonaws.com\"]},"
				  "\"Action\":\"sts:AssumeRole\"}]},\"AttachedManagedPolicies\":["
				  "{\"PolicyArn\":\"arn:aws:iam::aws:policy/P\"}]}");
	cJSON *one = cJSON_Parse("{\"AssumeRolePolicyDocument\":{\"Statement\":{\"Effect\":\"Allow\","
				 "\"Principal\":{\"Service\":\"ecs-tasks.amazonaws.com\"},"
				 "\"Action\":[\"sts:AssumeRole\"]}}}");
	cJSON *encoded = cJSON_Parse("{\"AssumeRolePolicyDocument\":\"%7B%22Statement%22%3A%5B%7B%22Effect"
				     "%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22ecs-tasks."
				     "amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D\"}");
	cJSON *im, *deny = cJSON_Parse("{\"AssumeRolePolicyDocument\":{\"Statement\":[{\"Effect\":\"Deny\","
				  "\"Principal\":{\"Service\":\"ecs-tasks.amazonaws.com\"},"
				  "\"Action\":\"sts:AssumeRole\"}]}}");

	ok(engine_iam_role_trusts(list, "ecs-tasks.amazonaws.com"), "iam_role_trusts: a service in a list");
	ok(!engine_iam_role_trusts(list, "lambda.amazonaws.com"), "iam_role_trusts: not another service");
	ok(engine_iam_role_trusts(one, "ecs-tasks.amazonaws.com"), "iam_role_trusts: one statement, not a list");
	ok(engine_iam_role_trusts(encoded, "ecs-tasks.amazonaws.com"), "iam_role_trusts: URL-encoded, as the API sends it");
	ok(!engine_iam_role_trusts(deny, "ecs-tasks.amazonaws.com"), "iam_role_trusts: Deny does not trust");
	ok(engine_iam_role_has_policy(list, "arn:aws:iam::aws:policy/P") &&
	   !engine_iam_role_has_policy(one, "arn:aws:iam::aws:policy/P"), "iam_role_has_policy");
	is_str(engine_partition("cn-north-1"), "aws-cn", "partition: China");
	im = engine_ecr_image("123456789012.dkr.ecr.us-east-2.amazonaws.com/team/app:v1");
	ok(im && !strcmp(json_str(im, "account"), "123456789012") && !strcmp(json_str(im, "region"), "us-east-2") &&
	   !strcmp(json_str(im, "repository"), "team/app") && !strcmp(json_str(im, "tag"), "v1"),
	   "ecr_image: account, region, repository and tag");
	cJSON_Delete(im);
	im = engine_ecr_image("123456789012.dkr.ecr.us-east-2.amazonaws.com/app@sha256:ab");
	ok(im && !strcmp(json_str(im, "digest"), "sha256:ab") && !json_str(im, "tag"), "ecr_image: a digest");
	cJSON_Delete(im);
	im = engine_ecr_image("123456789012.dkr.ecr.us-east-2.amazonaws.com/app");
	ok(im && !strcmp(json_str(im, "tag"), "latest"), "ecr_image: no tag is latest");
	cJSON_Delete(im);
	ok(!engine_ecr_image("docker.io/library/nginx:1") && !engine_ecr_image(NULL) &&
	   !engine_ecr_image("123456789012.dkr.ecr.us-east-2.amazonaws.com/"), "ecr_image: not an ECR image");
	is_str(engine_partition("us-gov-west-1"), "aws-us-gov", "partition: GovCloud");
	is_str(engine_partition("us-east-2"), "aws", "partition: the rest");
	cJSON_Delete(list);
	cJSON_Delete(one);
	cJSON_Delete(encoded);
	cJSON_Delete(deny);
}

int main(void)
{
	plan(36);
	test_find();
	test_pairs();
	test_sg();
	test_nat();
	test_iam();
	return done();
}
