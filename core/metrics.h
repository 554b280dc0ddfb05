/* CloudWatch metrics for a module (host service metrics, module.h): the
 * get-metric-statistics queries, periods lined up, and a table, sparklines
 * or JSON; the module says which metrics. */
#ifndef AWSPHASE_METRICS_H
#define AWSPHASE_METRICS_H

#include "awsphase/module.h"

/* metrics (NULL-terminated, each read as its struct_size says) over the
 * last minutes in period-second datapoints, shown as settings asks
 * (module.h says how).  Returns 0 or the first failure class of the
 * queries (aws_call_run_all); AWSPHASE_EXIT_USAGE, after saying so, for a
 * metric without struct_size, minutes or period below 1. */
int metrics_show(const struct awsphase_settings *settings, const struct awsphase_metric *const *metrics,
		 int minutes, int period, const char *heading);

#endif
