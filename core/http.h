/* The ALB health probe: one HTTP GET with libcurl, which honours
 * http_proxy / no_proxy from the environment. */
#ifndef AWSPHASE_HTTP_H
#define AWSPHASE_HTTP_H

#include <stddef.h>

/* Returns 0 when a response arrived (*status, *body malloc'd,
 * NUL-terminated, at most 64 KiB kept), -1 with err filled otherwise. */
int http_get(const char *url, double timeout_s, long *status, char **body,
	     char *err, size_t err_size);
void http_cleanup(void);

#endif
