#include <stdlib.h>

#include "phase4b.h"

int p4b_config(const struct awsphase_host *h, struct p4b *c)
{
	c->h = h;
	return 0;
}
