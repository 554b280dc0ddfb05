/* What a function prints on stdout, for the unit tests of what the report
 * and the host services print. */
#ifndef AWSPHASE_TEST_CAPTURE_H
#define AWSPHASE_TEST_CAPTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "strbuf.h"

/* fn's stdout as a string (malloc'ed). */
static inline char *capture(void (*fn)(void))
{
	char path[] = "/tmp/awsphase-test-capture.XXXXXX";
	int fd = mkstemp(path), saved;
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	ssize_t n;

	fflush(stdout);
	saved = dup(1);
	dup2(fd, 1);
	fn();
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	lseek(fd, 0, SEEK_SET);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		strbuf_add(&sb, buf, (size_t)n);
	close(fd);
	unlink(path);
	return strbuf_detach(&sb);
}

#endif
