/* A block-style YAML writer for the CloudFormation templates export
 * writes (core/cfn-yaml.c). */
#ifndef AWSPHASE_CFN_YAML_H
#define AWSPHASE_CFN_YAML_H

#include <cjson/cJSON.h>
#include "strbuf.h"

/* doc, an object, as YAML: block mappings and sequences, strings plain
 * where YAML reads them back as the same string, else double-quoted.
 * Intrinsics stay long-form ("Ref:", "Fn::GetAtt:"): no tags needed. */
void cfn_yaml(struct strbuf *sb, const cJSON *doc);

#endif
