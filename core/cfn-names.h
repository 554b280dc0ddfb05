/* CloudFormation names of env keys (core/cfn-names.c). */
#ifndef AWSPHASE_CFN_NAMES_H
#define AWSPHASE_CFN_NAMES_H

/* The Output (and Parameter) name that carries env key key: split at '_',
 * each part capitalised, the rest lower case, joined: ALB_DNS → AlbDns,
 * SUBNET_PUBLIC_1 → SubnetPublic1.  Malloc'd; free it. */
char *cfn_output_name(const char *key);

#endif
