/* awsphase export --format cloudformation: what a module hands its
 * export_cfn (struct awsphase_module) to describe its resources as a
 * CloudFormation template's.  The core owns the template: a module adds
 * resources and outputs and asks for the value of an env key, which is a
 * reference to another exported phase's resource or a Parameter whose
 * Default is the env file's value.  Only ever appended to; check
 * struct_size before using a member past those below.
 *
 * Names: a Parameter or Output that carries env key KEY is named by
 * cfn_name(KEY): KEY split at '_', each part with its first letter upper
 * case and the rest lower case, joined (ALB_DNS → AlbDns), so that
 * awsphase env --from-stack maps a stack's outputs back to keys. */
#ifndef AWSPHASE_CFN_H
#define AWSPHASE_CFN_H

#include <stdint.h>
#include <cjson/cJSON.h>

#ifdef __cplusplus
extern "C" {
#endif

struct awsphase_cfn {
	uint32_t struct_size;
	/* --adopt: every resource gets DeletionPolicy Retain and an entry of
	 * the import file from its live id; a resource without one is left
	 * out (an import adds no new resource), said in verbose. */
	int adopt;
	/* The value of env key: a new {"Ref": …} or {"Fn::GetAtt": […]} to
	 * the resource of a phase exported with this one that writes key,
	 * else a Ref to the Parameter cfn_name(key) (added once, Type String,
	 * or Number when number is set, Default the env file's value or the
	 * module's default).  NULL when key has no value at all. */
	cJSON *(*key)(const char *key, int number);
	/* Adds resource id of type with props (taken) and returns it (to add
	 * DependsOn), or NULL when left out.  identifier: the import file's
	 * ResourceIdentifier as property, live id pairs up to a NULL property
	 * ({ "RoleName", "KaviarEcsTaskRole", NULL }); under adopt a NULL or
	 * "" live id leaves the resource out (it cannot be imported). */
	cJSON *(*resource)(const char *id, const char *type, cJSON *props,
			   const char *const *identifier);
	/* Adds the Output cfn_name(key) of value (taken): what the stack's
	 * deploy writes to key. */
	void (*output)(const char *key, cJSON *value);
	/* New intrinsics: {"Ref": id}, {"Fn::GetAtt": [id, attr]}, {"Fn::Sub": text}. */
	cJSON *(*ref)(const char *id);
	cJSON *(*getatt)(const char *id, const char *attr);
	cJSON *(*sub)(const char *text);
	/* cfn_name(key) into buf. */
	const char *(*name)(const char *key, char *buf, size_t size);
	/* o with members: name, value (taken), name, value… up to a NULL name;
	 * a NULL value (a key the env file lacks) leaves its member out. */
	cJSON *(*obj)(cJSON *o, ...);
	/* append only */
};

#ifdef __cplusplus
}
#endif
#endif
