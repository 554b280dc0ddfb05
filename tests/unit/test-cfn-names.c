/* The CloudFormation name of an env key: what awsphase export names an
 * output and env --from-stack matches (the convention both keep). */
#include <stdlib.h>

#include "cfn-names.h"
#include "tap.h"

static void named(const char *key, const char *want)
{
	char *name = cfn_output_name(key);

	is_str(name, want, "%s is output %s", key, want);
	free(name);
}

int main(void)
{
	plan(7);
	named("ALB_DNS", "AlbDns");
	named("S3_BUCKET", "S3Bucket");
	named("SUBNET_PUBLIC_1", "SubnetPublic1");
	named("TG_ARN", "TgArn");
	named("VPC_ID", "VpcId");
	named("LAST_GOOD_TASK_DEF_ARN", "LastGoodTaskDefArn");
	named("REGION", "Region");
	return done();
}
