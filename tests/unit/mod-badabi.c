/* A module built for another API version. */
#include "awsphase/module.h"

static int noop(const struct awsphase_host *h, int argc, const char **argv)
{
	return 0;
}

static const struct awsphase_action actions[] = {
	{ .name = "noop", .summary = "Nothing", .exec = noop },
	{ NULL },
};

static struct awsphase_module badabi = { .name = "badabi", .actions = actions };

const struct awsphase_module *awsphase_module_entry(void);
const struct awsphase_module *awsphase_module_entry(void)
{
	badabi.struct_size = sizeof(badabi);
	badabi.api_version = 42; /* one no awsphase speaks */
	return &badabi;
}
