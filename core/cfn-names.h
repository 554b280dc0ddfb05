/* CloudFormation names of awsphase's env keys (core/cfn-names.c): what
 * awsphase export names a stack's outputs and env --from-stack reads. */
#ifndef AWSPHASE_CFN_NAMES_H
#define AWSPHASE_CFN_NAMES_H

/* The output that carries env key key: the key split at '_', each part
 * with its first letter upper case and the rest lower case, joined
 * (ALB_DNS -> AlbDns, S3_BUCKET -> S3Bucket, SUBNET_PUBLIC_1 ->
 * SubnetPublic1).  malloc'd: free() it. */
char *cfn_output_name(const char *key);

#endif
