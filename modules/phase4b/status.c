#include "phase4b.h"

const struct poptOption p4b_status_options[] = {
	POPT_TABLEEND
};

int p4b_status(const struct awsphase_host *h, int argc, const char **argv)
{
	h->log(AWSPHASE_LOG_ERROR, "4b status: not implemented yet");
	return AWSPHASE_EXIT_USAGE;
}
