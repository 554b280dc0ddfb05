/* STACK: defaults that derive from it, and the literal ones that do not. */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "envfile.h"
#include "stack.h"

static void expands(const char *def, const char *stack, const char *want)
{
	char *got = stack_expand(def, stack);

	is_str(got, want, "%s with STACK=%s", def ? def : "(null)", stack);
	free(got);
}

int main(void)
{
	struct envfile *set = envfile_parse("t.env", "STACK=kaviar-staging\n", 21);
	struct envfile *unset = envfile_parse("t.env", "AWS_REGION=us-east-2\nSTACK=\n", 28);

	plan(10);
	expands("kaviar-backend", "kaviar-staging", NULL); /* a literal stays literal */
	expands(NULL, "kaviar-staging", NULL);
	expands("{STACK}-alb", "kaviar", "kaviar-alb");
	expands("{STACK}-alb", "kaviar-staging", "kaviar-staging-alb");
	expands("/ecs/{STACK}-backend", "a1-b2", "/ecs/a1-b2-backend");
	expands("{Stack}EcsTaskRole", "kaviar", "KaviarEcsTaskRole");
	expands("{Stack}EcsTaskRole", "kaviar-staging-2", "KaviarStaging2EcsTaskRole");
	expands("{STACK}/{x}/{Stack}", "ab-cd", "ab-cd/{x}/AbCd");
	is_str(stack_value(set), "kaviar-staging", "STACK as the env file sets it");
	is_str(stack_value(unset), STACK_DEFAULT, "an empty STACK is the default");
	envfile_free(set);
	envfile_free(unset);
	return done();
}
