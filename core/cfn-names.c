/* CloudFormation names are alphanumeric, env keys are upper case with '_':
 * an output is named after the key it carries, so that awsphase export
 * writes it and env --from-stack finds the key again by computing the name
 * of every key the modules declare. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cfn-names.h"
#include "strbuf.h"

char *cfn_output_name(const char *key)
{
	char *out = xstrdup(key), *o = out;
	int start = 1;

	for (; *key; key++) {
		if (*key == '_') {
			start = 1;
			continue;
		}
		*o++ = (char)(start ? toupper((unsigned char)*key) : tolower((unsigned char)*key));
		start = 0;
	}
	*o = '\0';
	return out;
}
