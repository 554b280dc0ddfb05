/* `aws logs tail` on either aws CLI: the host's logs_tail service
 * (module.h), for every phase with a log group. */
#ifndef AWSPHASE_LOGS_H
#define AWSPHASE_LOGS_H

/* The events of group from since ago ("30s", "5m"…; NULL: 5m) on that
 * match filter (NULL: all), oldest first, as "TIMESTAMP STREAM MESSAGE"
 * lines of data, or the report's "events" array under --output json;
 * follow polls for new ones until interrupted.  A group that does not
 * exist is reported with missing (a hint, looked up; may be NULL) after
 * it.  Returns 0 or an AWSPHASE_EXIT_* code, having reported why. */
int logs_tail(const char *group, const char *since, const char *filter, int follow,
	      const char *missing);

#endif
