/* A well-formed module for the loader's tests and the out-of-tree module
 * test; `calls N` makes N read-only aws calls (the overhead benchmark). */
#include <stdlib.h>

#include "awsphase/module.h"

static int hello(const struct awsphase_host *h, int argc, const char **argv)
{
	h->say("hello from the test module, %d args", argc - 1);
	return 0;
}

static int calls(const struct awsphase_host *h, int argc, const char **argv)
{
	int i, n = argc > 1 ? atoi(argv[1]) : 1;

	for (i = 0; i < n; i++) {
		cJSON *out = NULL;
		int rc = h->aws(&out, "sts", "get-caller-identity", NULL);

		cJSON_Delete(out);
		if (rc)
			return rc;
	}
	h->check("calls", AWSPHASE_OK, "%d aws calls", n);
	return 0;
}

static const struct awsphase_action actions[] = {
	{ "hello", "Say hello", NULL, NULL, hello, NULL },
	{ "help-me", "Another action sharing a prefix", NULL, NULL, hello, NULL },
	{ "calls", "Make N read-only aws calls", "N", NULL, calls, NULL },
	{ NULL },
};

static struct awsphase_module good = {
	.name = "good",
	.aliases = "g goodmod",
	.title = "A test module",
	.actions = actions,
};

AWSPHASE_MODULE(good)
