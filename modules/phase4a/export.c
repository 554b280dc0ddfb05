/* awsphase export: phase 4A's ECR repository as CloudFormation's, as
 * deploy makes it (stack.c): scan on push, AES256, tags MUTABLE, the
 * lifecycle policy of ECR_UNTAGGED_DAYS and ECR_KEEP_IMAGES (the text
 * deploy puts), tagged as deploy tags it.  ECR_URI is the repository's URI
 * and ECR_TAG.  A stack that makes the repository has no image in it: the
 * service of a 4B exported with it starts once the image is pushed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <awsphase/cfn.h>

#include "phase4a.h"

static cJSON *tag(const char *key, cJSON *value)
{
	cJSON *t = cJSON_CreateObject();

	cJSON_AddStringToObject(t, "Key", key);
	cJSON_AddItemToObject(t, "Value", value);
	return t;
}

int p4a_export_cfn(const struct awsphase_host *h, const struct awsphase_cfn *cfn)
{
	cJSON *p = cJSON_CreateObject(), *o, *tags, *sub;
	const char *stack;
	char stack_tag[64];
	char *policy = p4a_policy_text();

	cJSON_AddItemToObject(p, "RepositoryName", cfn->key("ECR_REPOSITORY", 0));
	cJSON_AddTrueToObject(cJSON_AddObjectToObject(p, "ImageScanningConfiguration"), "ScanOnPush");
	cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "EncryptionConfiguration"),
				"EncryptionType", "AES256");
	cJSON_AddStringToObject(p, "ImageTagMutability", "MUTABLE");
	cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "LifecyclePolicy"), "LifecyclePolicyText",
				policy);
	free(policy);
	tags = cJSON_AddArrayToObject(p, "Tags");
	cJSON_AddItemToArray(tags, tag("Name", cfn->key("ECR_REPOSITORY", 0)));
	/* the engine's: "4a", or "STACK/4a" for a STACK other than the default */
	stack = h->env_get("STACK");
	snprintf(stack_tag, sizeof(stack_tag), "%s%s4a", stack && strcmp(stack, "kaviar") != 0 ?
		 stack : "", stack && strcmp(stack, "kaviar") != 0 ? "/" : "");
	cJSON_AddItemToArray(tags, tag("awsphase:stack", cJSON_CreateString(stack_tag)));
	cJSON_AddItemToArray(tags, tag("awsphase:phase", cJSON_CreateString("4a")));
	cfn->resource("Repository", "AWS::ECR::Repository", p,
		      (const char *const[]){ "RepositoryName", h->env_in_file("ECR_URI") ?
					     h->env_get("ECR_REPOSITORY") : NULL, NULL });
	/* {"Fn::Sub": ["${U}:${T}", {"U": GetAtt …RepositoryUri, "T": ECR_TAG}]} */
	o = cJSON_CreateObject();
	sub = cJSON_AddArrayToObject(o, "Fn::Sub");
	cJSON_AddItemToArray(sub, cJSON_CreateString("${U}:${T}"));
	p = cJSON_CreateObject();
	cJSON_AddItemToObject(p, "U", cfn->getatt("Repository", "RepositoryUri"));
	cJSON_AddItemToObject(p, "T", cfn->key("ECR_TAG", 0));
	cJSON_AddItemToArray(sub, p);
	cfn->output("ECR_URI", o);
	return 0;
}
