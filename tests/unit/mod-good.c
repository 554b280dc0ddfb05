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
	{ .name = "hello", .summary = "Say hello", .exec = hello, .args = "[WORD...]",
	  .flags = AWSPHASE_ACTION_READONLY },
	{ .name = "help-me", .summary = "Another action sharing a prefix", .exec = hello },
	{ .name = "calls", .summary = "Make N read-only aws calls", .exec = calls, .args = "[N]",
	  .flags = AWSPHASE_ACTION_READONLY },
	{ .name = "wipe", .summary = "An action that changes things", .exec = hello },
	{ NULL },
};

static struct awsphase_module good = {
	.name = "good",
	.aliases = "g goodmod",
	.title = "A test module",
	.actions = actions,
};

AWSPHASE_MODULE(good)
