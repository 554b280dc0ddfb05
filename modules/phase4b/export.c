/* awsphase export: phase 4B's resources as CloudFormation's, with the
 * settings deploy converges (stack-*.c, spec.h): the same names, rules,
 * health check, retention, grace period, circuit breaker and task
 * definition (built by p4b_taskdef_want, so that both stay one).  The env
 * file's values come in through cfn->key: Parameters, or references to
 * phase 1's resources when it is exported too. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <awsphase/cfn.h>

#include "stack.h"

static const struct awsphase_cfn *X;

static cJSON *k(const char *key) { return X->key(key, 0); }
static cJSON *num(const char *key) { return X->key(key, 1); }
static cJSON *gid(const char *sg) { return X->getatt(sg, "GroupId"); }

/* props: name, value, name, value… up to a NULL name; a NULL value (a key
 * the env file lacks) leaves its member out. */
#define OBJ(...) X->obj(cJSON_CreateObject(), __VA_ARGS__, NULL)
#define S(s) cJSON_CreateString(s)
#define N(n) cJSON_CreateNumber(n)

static cJSON *arr(cJSON *a, cJSON *b)
{
	cJSON *r = cJSON_CreateArray();

	cJSON_AddItemToArray(r, a);
	if (b)
		cJSON_AddItemToArray(r, b);
	return r;
}

static cJSON *tcp_in(int port, cJSON *port_expr, const char *field, cJSON *from)
{
	return OBJ("IpProtocol", S("tcp"), "FromPort", port_expr ? port_expr : N(port), "ToPort",
		   port_expr ? cJSON_Duplicate(port_expr, 1) : N(port), field, from);
}

/* "{"Fn::Sub": [text, {"V": value}]}": value spliced into text as ${V}. */
static cJSON *sub1(const char *text, cJSON *value)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddItemToObject(o, "Fn::Sub", arr(S(text), OBJ("V", value)));
	return o;
}

/* ECS's API spells members camelCase, CloudFormation PascalCase; the
 * log driver's options are its own. */
static void pascal(cJSON *v)
{
	cJSON *e;

	cJSON_ArrayForEach(e, v) {
		if (e->string && strcmp(e->string, "options") == 0) {
			e->string[0] = 'O';
			continue;
		}
		if (e->string)
			e->string[0] = (char)toupper((unsigned char)e->string[0]);
		pascal(e);
	}
}

static void set(cJSON *o, const char *name, cJSON *v)
{
	if (v)
		cJSON_ReplaceItemInObjectCaseSensitive(o, name, v);
}

static cJSON *role(const char *name_key, const char *managed, const char *policy, cJSON *doc)
{
	cJSON *st = OBJ("Effect", S("Allow"), "Principal", OBJ("Service", S(P4B_TRUSTED_SERVICE)),
			"Action", S("sts:AssumeRole"));

	return OBJ("RoleName", k(name_key), "AssumeRolePolicyDocument",
		   OBJ("Version", S("2012-10-17"), "Statement", arr(st, NULL)),
		   "ManagedPolicyArns", managed ? arr(X->sub(managed), NULL) : NULL,
		   "Policies", doc ? arr(OBJ("PolicyName", S(policy), "PolicyDocument", doc), NULL) :
				     NULL);
}

/* A statement of doc (made on the first) allowing actions on resource. */
static void allow(cJSON **doc, const char *sid, const char *const *actions, cJSON *resource)
{
	cJSON *st;

	P4B_E->iam_allow(doc, sid, actions, "-");
	st = cJSON_GetArrayItem(cJSON_GetObjectItem(*doc, "Statement"),
				cJSON_GetArraySize(cJSON_GetObjectItem(*doc, "Statement")) - 1);
	set(st, "Resource", resource);
}

/* The database's secret as the task reads it: DB_SECRET_ARN, else the one
 * deploy made from DB_PASSWORD (DbSecret); NULL when neither.  A value
 * never goes in a template: the secret deploy made is adopted as it is; a
 * new stack's gets a generated value, which DB_PASSWORD then replaces
 * (aws secretsmanager put-secret-value) before the tasks need it. */
static cJSON *db_secret(const struct awsphase_host *h)
{
	const char *pw = h->env_get("DB_PASSWORD"), *arn = NULL;
	cJSON *found = NULL;

	if (h->env_get("DB_SECRET_ARN") && *h->env_get("DB_SECRET_ARN"))
		return k("DB_SECRET_ARN");
	if (!pw || !*pw)
		return NULL;
	if (X->adopt && h->aws(&found, "secretsmanager", "describe-secret", "--secret-id",
			       h->env_get("DB_SECRET_NAME"), NULL) == 0)
		arn = h->json_str(found, "ARN");
	X->resource("DbSecret", "AWS::SecretsManager::Secret",
		    OBJ("Name", k("DB_SECRET_NAME"), "Description",
			S("DB_PASSWORD of the Kaviar backend (awsphase 4b deploy)"),
			"GenerateSecretString", OBJ("ExcludePunctuation", cJSON_CreateTrue())),
		    (const char *const[]){ "Id", arn, NULL });
	cJSON_Delete(found);
	return X->ref("DbSecret");
}

/* The task role's: S3_BUCKET's objects and SQS_QUEUE_URL's queue (stack-iam.c). */
static cJSON *task_doc(const struct p4b *c)
{
	static const char *const objects[] = { "s3:GetObject", "s3:PutObject", "s3:DeleteObject",
		NULL };
	static const char *const list[] = { "s3:ListBucket", NULL };
	static const char *const queue[] = { "sqs:SendMessage", "sqs:ReceiveMessage",
		"sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility", NULL };
	const char *url = c->h->env_get("SQS_QUEUE_URL");
	cJSON *doc = NULL, *bucket = k("S3_BUCKET");
	char qarn[2048];

	if (bucket) {
		allow(&doc, "BucketObjects", objects,
		      sub1("arn:${AWS::Partition}:s3:::${V}/*", cJSON_Duplicate(bucket, 1)));
		allow(&doc, "ListBucket", list, sub1("arn:${AWS::Partition}:s3:::${V}", bucket));
	}
	if (url && *url && p4b_queue_arn(url, c->region, qarn, sizeof(qarn)) == 0)
		allow(&doc, "Queue", queue, S(qarn));
	return doc;
}

/* The task definition deploy registers, its values the template's. */
static cJSON *task_definition(const struct p4b *c, cJSON *secret)
{
	cJSON *td = p4b_taskdef_want(c, "-", "-", NULL), *ct, *e;
	const char *v;
	char text[64];

	if (secret)
		p4b_taskdef_db_secret(td, "@", c->h->env_get("DB_SECRET_ARN") != NULL &&
				      *c->h->env_get("DB_SECRET_ARN"));
	pascal(td);
	set(td, "Family", k("TASK_FAMILY"));
	set(td, "Cpu", k("TASK_CPU"));
	set(td, "Memory", k("TASK_MEMORY"));
	set(td, "ExecutionRoleArn", X->getatt("ExecutionRole", "Arn"));
	set(td, "TaskRoleArn", X->getatt("TaskRole", "Arn"));
	ct = cJSON_GetArrayItem(cJSON_GetObjectItem(td, "ContainerDefinitions"), 0);
	set(ct, "Name", k("CONTAINER_NAME"));
	set(ct, "Image", k("ECR_URI"));
	set(cJSON_GetArrayItem(cJSON_GetObjectItem(ct, "PortMappings"), 0), "ContainerPort",
	    num("CONTAINER_PORT"));
	e = cJSON_GetObjectItem(cJSON_GetObjectItem(ct, "LogConfiguration"), "Options");
	set(e, "awslogs-group", X->ref("ServiceLogGroup"));
	set(e, "awslogs-region", X->ref("AWS::Region"));
	/* the phase-3 keys the container gets, named as the env file names them */
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(ct, "Environment"))
		if (!(v = p4b_str(e, "Name")))
			continue;
		else if (strcmp(v, "PORT") == 0)
			set(e, "Value", sub1("${V}", num("CONTAINER_PORT")));
		else if (strcmp(v, "AWS_REGION") == 0)
			set(e, "Value", X->ref("AWS::Region"));
		else if (c->h->env_in_file(v))
			set(e, "Value", k(v));
	/* "@:password::": the secret's ARN spliced in where "@" stands */
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(ct, "Secrets")) {
		snprintf(text, sizeof(text), "${V}%s", p4b_str(e, "ValueFrom") + 1);
		set(e, "ValueFrom", sub1(text, cJSON_Duplicate(secret, 1)));
	}
	return td;
}

int p4b_export_cfn(const struct awsphase_host *h, const struct awsphase_cfn *cfn)
{
	static const char *const get_secret[] = { "secretsmanager:GetSecretValue", NULL };
	static const char *const rules[][3] = { { "RDS_SG_ID", "5432", "RdsFromEcs" },
						 { "REDIS_SG_ID", "6379", "RedisFromEcs" } };
	const char *tg_arn = h->env_get("TG_ARN");
	cJSON *secret, *exec_doc = NULL, *tg_attr, *r;
	struct p4b c;
	size_t i;
	int rc;

	X = cfn;
	if ((rc = p4b_config(h, &c)) != 0)
		return rc;
	secret = db_secret(h);
	if (secret)
		allow(&exec_doc, "ReadDbSecret", get_secret, cJSON_Duplicate(secret, 1));
	X->resource("ExecutionRole", "AWS::IAM::Role",
		    role("EXEC_ROLE_NAME", "arn:${AWS::Partition}:" P4B_EXEC_POLICY, "awsphase-db-secret",
			 exec_doc), (const char *const[]){ "RoleName", c.exec_role, NULL });
	X->resource("TaskRole", "AWS::IAM::Role", role("TASK_ROLE_NAME", NULL, "awsphase-app-access",
						      task_doc(&c)),
		    (const char *const[]){ "RoleName", c.task_role, NULL });
	X->resource("AlbSecurityGroup", "AWS::EC2::SecurityGroup",
		    OBJ("GroupName", k("ALB_SG_NAME"), "GroupDescription",
			S("Kaviar ALB - HTTP 80 from the internet"), "VpcId", k("VPC_ID"),
			"SecurityGroupIngress", arr(tcp_in(80, NULL, "CidrIp", S("0.0.0.0/0")), NULL)),
		    (const char *const[]){ "Id", h->env_get("ALB_SG_ID"), NULL });
	X->resource("EcsSecurityGroup", "AWS::EC2::SecurityGroup",
		    OBJ("GroupName", k("ECS_SG_NAME"), "GroupDescription",
			sub1("Kaviar ECS tasks - port ${V} from the ALB", num("CONTAINER_PORT")),
			"VpcId", k("VPC_ID"), "SecurityGroupIngress",
			arr(tcp_in(0, num("CONTAINER_PORT"), "SourceSecurityGroupId",
				   gid("AlbSecurityGroup")), NULL)),
		    (const char *const[]){ "Id", h->env_get("ECS_SG_ID"), NULL });
	/* the rules on phase 3's groups are 4B's, the groups are not; a rule
	 * has no id in the env file: not adopted */
	for (i = 0; i < 2; i++)
		if (h->env_get(rules[i][0]) && *h->env_get(rules[i][0]))
			X->resource(rules[i][2], "AWS::EC2::SecurityGroupIngress",
				    X->obj(tcp_in(atoi(rules[i][1]), NULL, "SourceSecurityGroupId",
					       gid("EcsSecurityGroup")), "GroupId", k(rules[i][0]), NULL),
				    NULL);
	X->resource("Cluster", "AWS::ECS::Cluster", OBJ("ClusterName", k("ECS_CLUSTER")),
		    (const char *const[]){ "ClusterName", c.cluster, NULL });
	X->resource("ServiceLogGroup", "AWS::Logs::LogGroup",
		    OBJ("LogGroupName", k("LOG_GROUP"), "RetentionInDays", N(P4B_LOG_RETENTION_DAYS)),
		    (const char *const[]){ "LogGroupName", c.log_group, NULL });
	X->resource("TaskDefinition", "AWS::ECS::TaskDefinition", task_definition(&c, secret),
		    (const char *const[]){ "TaskDefinitionArn", h->env_get("TASK_DEF_ARN"), NULL });
	tg_attr = OBJ("Key", S("deregistration_delay.timeout_seconds"), "Value",
		      k("DEREGISTRATION_DELAY"));
	X->resource("TargetGroup", "AWS::ElasticLoadBalancingV2::TargetGroup",
		    OBJ("Name", k("TG_NAME"), "Protocol", S("HTTP"), "Port", num("CONTAINER_PORT"),
			"VpcId", k("VPC_ID"), "TargetType", S("ip"),
			"HealthCheckEnabled", cJSON_CreateTrue(), "HealthCheckProtocol", S("HTTP"),
			"HealthCheckPath", k("HEALTH_PATH"), "HealthCheckPort", S("traffic-port"),
			"HealthCheckIntervalSeconds", num("HEALTH_CHECK_INTERVAL"),
			"HealthCheckTimeoutSeconds", num("HEALTH_CHECK_TIMEOUT"),
			"HealthyThresholdCount", num("HEALTHY_THRESHOLD"),
			"UnhealthyThresholdCount", num("UNHEALTHY_THRESHOLD"),
			"Matcher", OBJ("HttpCode", S("200")), "TargetGroupAttributes",
			arr(tg_attr, NULL)),
		    (const char *const[]){ "TargetGroupArn", tg_arn, NULL });
	X->resource("LoadBalancer", "AWS::ElasticLoadBalancingV2::LoadBalancer",
		    OBJ("Name", k("ALB_NAME"), "Scheme", S("internet-facing"), "Type",
			S("application"), "Subnets", arr(k("PUBLIC_SUBNET_1"), k("PUBLIC_SUBNET_2")),
			"SecurityGroups", arr(gid("AlbSecurityGroup"), NULL)),
		    (const char *const[]){ "LoadBalancerArn", h->env_get("ALB_ARN"), NULL });
	X->resource("HttpListener", "AWS::ElasticLoadBalancingV2::Listener",
		    OBJ("LoadBalancerArn", X->ref("LoadBalancer"), "Protocol", S("HTTP"), "Port", N(80),
			"DefaultActions", arr(OBJ("Type", S("forward"), "TargetGroupArn",
						  X->ref("TargetGroup")), NULL)),
		    (const char *const[]){ "ListenerArn", h->env_get("LISTENER_ARN"), NULL });
	r = X->resource("Service", "AWS::ECS::Service",
			OBJ("ServiceName", k("ECS_SERVICE"), "Cluster", X->ref("Cluster"),
			    "TaskDefinition", X->ref("TaskDefinition"), "DesiredCount",
			    num("DESIRED_COUNT"), "LaunchType", S("FARGATE"),
			    "NetworkConfiguration", OBJ("AwsvpcConfiguration", OBJ(
				"Subnets", strcmp(c.tier, "private") == 0 ?
				arr(k("PRIVATE_SUBNET_1"), k("PRIVATE_SUBNET_2")) :
				arr(k("PUBLIC_SUBNET_1"), k("PUBLIC_SUBNET_2")),
				"SecurityGroups", arr(gid("EcsSecurityGroup"), NULL),
				"AssignPublicIp", S(p4b_assign_public_ip(&c)))),
			    "LoadBalancers", arr(OBJ("TargetGroupArn", X->ref("TargetGroup"),
						     "ContainerName", k("CONTAINER_NAME"),
						     "ContainerPort", num("CONTAINER_PORT")), NULL),
			    "HealthCheckGracePeriodSeconds", N(P4B_GRACE_S),
			    "DeploymentConfiguration", OBJ(
				"DeploymentCircuitBreaker", OBJ("Enable", cJSON_CreateTrue(),
								"Rollback", cJSON_CreateTrue()),
				"MaximumPercent", num("MAX_PERCENT"),
				"MinimumHealthyPercent", num("MIN_HEALTHY_PERCENT"))),
			(const char *const[]){ "ServiceArn", h->env_get("SERVICE_ARN"), "Cluster",
					       c.cluster, NULL });
	/* a service joins a target group only once a listener forwards to it */
	if (r)
		cJSON_AddStringToObject(r, "DependsOn", "HttpListener");
	X->output("ALB_SG_ID", gid("AlbSecurityGroup"));
	X->output("ECS_SG_ID", gid("EcsSecurityGroup"));
	X->output("TG_ARN", X->ref("TargetGroup"));
	X->output("ALB_ARN", X->ref("LoadBalancer"));
	X->output("ALB_DNS", X->getatt("LoadBalancer", "DNSName"));
	X->output("LISTENER_ARN", X->ref("HttpListener"));
	X->output("TASK_DEF_ARN", X->ref("TaskDefinition"));
	X->output("SERVICE_ARN", X->ref("Service"));
	cJSON_Delete(secret);
	return 0;
}
