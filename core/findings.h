/* Findings, the host service of module.h (h->findings): what a diagnosis
 * found, class by class, shown as checks with evidence and fix lines and a
 * "problems" array for --output json. */
#ifndef AWSPHASE_FINDINGS_H
#define AWSPHASE_FINDINGS_H

#include "awsphase/module.h"

/* The service table handed to modules. */
const struct awsphase_findings *findings_services(void);

#endif
