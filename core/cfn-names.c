/* CloudFormation names are alphanumeric; env keys are upper case words
 * joined by '_'.  The agreed mapping (export writes it, env --from-stack
 * reverses it by computing it for every key a module declares): each
 * part capitalised, joined.  Anything else in a key is dropped. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cfn-names.h"
#include "strbuf.h"

char *cfn_output_name(const char *key)
{
	char *out = xmalloc(strlen(key) + 1), *o = out;
	int start = 1;

	for (; *key; key++) {
		if (!isalnum((unsigned char)*key)) {
			start = 1;
			continue;
		}
		*o++ = (char)(start ? toupper((unsigned char)*key) : tolower((unsigned char)*key));
		start = 0;
	}
	*o = '\0';
	return out;
}
