#include "phase4b.h"

const struct poptOption p4b_fix_sg_options[] = {
	POPT_TABLEEND
};

int p4b_fix_sg(const struct awsphase_host *h, int argc, const char **argv)
{
	h->log(AWSPHASE_LOG_ERROR, "4b fix_sg: not implemented yet");
	return AWSPHASE_EXIT_USAGE;
}
