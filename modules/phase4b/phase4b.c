#include "awsphase/module.h"

static struct awsphase_module phase4b = { .name = "4b" };

AWSPHASE_MODULE(phase4b)
