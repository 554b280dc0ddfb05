/* A growable NUL-terminated byte buffer.  Allocation failure aborts: awsphase
 * has no way to go on without memory and says so. */
#ifndef AWSPHASE_STRBUF_H
#define AWSPHASE_STRBUF_H

#include <stdarg.h>
#include <stddef.h>
#include "awsphase/module.h"

struct strbuf {
	char *buf;     /* always NUL-terminated once anything was added; NULL before */
	size_t len;
	size_t alloc;
};

#define STRBUF_INIT { NULL, 0, 0 }

void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, int c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) AWSPHASE_PRINTF(2, 3);
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap) AWSPHASE_PRINTF(2, 0);
/* Adds s quoted for a POSIX shell, only where it needs quoting. */
void strbuf_add_shell_quoted(struct strbuf *sb, const char *s);
void strbuf_reset(struct strbuf *sb);
/* Returns the string ("" when empty) and leaves sb empty; free() it. */
char *strbuf_detach(struct strbuf *sb);
const char *strbuf_str(const struct strbuf *sb);
void strbuf_release(struct strbuf *sb);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
