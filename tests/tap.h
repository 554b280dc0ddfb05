/* A tiny TAP producer for automake's TAP driver.  plan(N) first, then ok()
 * and friends; done() returns the exit code. */
#ifndef AWSPHASE_TAP_H
#define AWSPHASE_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static inline void plan(int n)
{
	printf("1..%d\n", n);
	fflush(stdout);
}

__attribute__((format(printf, 2, 3)))
static inline int ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		tap_failed++;
	return cond;
}

#define is_int(got, want, ...)                                                  \
	do {                                                                    \
		long long g_ = (long long)(got), w_ = (long long)(want);        \
		if (!ok(g_ == w_, __VA_ARGS__))                                 \
			printf("#   got %lld, want %lld\n", g_, w_);            \
	} while (0)

#define is_str(got, want, ...)                                                  \
	do {                                                                    \
		const char *g_ = (got), *w_ = (want);                           \
		if (!ok(g_ && w_ ? strcmp(g_, w_) == 0 : g_ == w_, __VA_ARGS__)) \
			printf("#   got \"%s\", want \"%s\"\n", g_ ? g_ : "(null)", \
			       w_ ? w_ : "(null)");                             \
	} while (0)

__attribute__((format(printf, 1, 2)))
static inline void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static inline int done(void)
{
	return tap_failed ? 1 : 0;
}

#endif
