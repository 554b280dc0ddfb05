/* export's pieces that need no AWS: the names env keys get in a template
 * (the convention env --from-stack reverses) and the YAML writer, whose
 * plain scalars must read back as the same strings. */
#include <stdlib.h>
#include <string.h>

#include "cfn-names.h"
#include "cfn-yaml.h"
#include "tap.h"

static void name_is(const char *key, const char *want)
{
	char *got = cfn_output_name(key);

	is_str(got, want, "%s", key);
	free(got);
}

/* value as a one-member document's "k: …" line, without "k: " and "\n" */
static char *yaml_of(cJSON *value)
{
	cJSON *doc = cJSON_CreateObject();
	struct strbuf sb = STRBUF_INIT;
	char *s;

	cJSON_AddItemToObject(doc, "k", value);
	cfn_yaml(&sb, doc);
	cJSON_Delete(doc);
	s = strbuf_detach(&sb);
	memmove(s, s + 3, strlen(s + 3) + 1);
	s[strlen(s) - 1] = '\0';
	return s;
}

static void scalar_is(const char *in, const char *want)
{
	char *got = yaml_of(cJSON_CreateString(in));

	is_str(got, want, "%s", in);
	free(got);
}

int main(void)
{
	cJSON *doc;
	struct strbuf sb = STRBUF_INIT;

	plan(25);
	name_is("ALB_DNS", "AlbDns");
	name_is("S3_BUCKET", "S3Bucket");
	name_is("SUBNET_PUBLIC_1", "SubnetPublic1");
	name_is("TG_ARN", "TgArn");
	name_is("VPC_ID", "VpcId");
	name_is("PUBLIC_SUBNET_1_CIDR", "PublicSubnet1Cidr");

	/* plain where YAML reads the same string back */
	scalar_is("kaviar-alb", "kaviar-alb");
	scalar_is("/api/health", "/api/health");
	scalar_is("arn:${AWS::Partition}:s3:::b/*", "arn:${AWS::Partition}:s3:::b/*");
	scalar_is("0.0.0.0/0", "0.0.0.0/0");
	/* quoted where it would not: booleans, null, numbers, indicators */
	scalar_is("yes", "\"yes\"");
	scalar_is("Off", "\"Off\"");
	scalar_is("null", "\"null\"");
	scalar_is("3001", "\"3001\"");
	scalar_is("1e3", "\"1e3\"");
	scalar_is("0x1f", "\"0x1f\"");
	scalar_is("2010-09-09", "\"2010-09-09\"");
	scalar_is("a: b", "\"a: b\"");
	scalar_is("a #b", "\"a #b\"");
	scalar_is("*ref", "\"*ref\"");
	scalar_is("", "\"\"");
	scalar_is("say \"hi\"\n", "\"say \\\"hi\\\"\\n\"");

	doc = cJSON_Parse("{\"R\":{\"Fn::GetAtt\":[\"Lb\",\"DNSName\"]},"
			  "\"L\":[{\"Key\":\"Name\",\"Value\":\"x\"},7,[],{}],\"T\":true}");
	cfn_yaml(&sb, doc);
	is_str(strbuf_str(&sb), "R:\n  Fn::GetAtt:\n    - Lb\n    - DNSName\n"
	       "L:\n  - Key: Name\n    Value: x\n  - 7\n  - []\n  - {}\nT: true\n",
	       "block mappings and sequences; a mapping in a sequence starts on the dash's line");
	cJSON_Delete(doc);
	strbuf_release(&sb);
	{
		char *n = yaml_of(cJSON_CreateNumber(120)), *f = yaml_of(cJSON_CreateNumber(0.5));

		is_str(n, "120", "an integral number without decimals");
		is_str(f, "0.5", "a fraction as it is");
		free(n);
		free(f);
	}
	return done();
}
