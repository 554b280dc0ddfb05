/* Private to core/envfile*.c: what an envfile holds, and what its files
 * share.  envfile.c loads, frees and looks up; envfile-parse.c reads the
 * text as bash does; envfile-check.c checks keys against a module's
 * patterns; envfile-write.c applies updates and rewrites the file. */
#ifndef AWSPHASE_ENVFILE_INT_H
#define AWSPHASE_ENVFILE_INT_H

#include <stddef.h>
#include <sys/stat.h>
#include "envfile.h"

#define ENVFILE_MAX_FILE (1024 * 1024)

/* Each line (a line continued with a backslash or an open quote counts as
 * one) is an entry that remembers where its value sits in the text. */
struct envfile_entry {
	char *key;              /* NULL on blank and comment lines */
	char *value;
	size_t off, len;        /* the raw bytes in text, line end(s) included */
	size_t vstart, vend;    /* the value as written, quotes included */
	unsigned line;
	int exported;
};

struct envfile {
	char *path;
	int has_file;           /* from envfile_load: updates are written to path */
	int on_disk;            /* the file existed when read; st is its stat */
	struct stat st;
	char *text;             /* the bytes read, NUL-terminated */
	size_t len, bom;
	int open_end;           /* the last line ends in a backslash-newline */
	struct envfile_entry *e;
	size_t n, alloc;
	size_t *keys;           /* indexes of the assignments in e, file order */
	size_t nkeys, keys_alloc;
	/* envfile_defer_write_errors: kept across envfile_take, like path */
	int defer;
	char *unwritten;        /* "KEY, KEY" set in memory but not on disk, or NULL */
	char *why;              /* why the last write failed */
};

/* An empty envfile without a file; name is used in messages. */
struct envfile *envfile_new(const char *name);
/* Moves src's content into dst, keeping dst's path and whether it has a
 * file, and frees src. */
void envfile_take(struct envfile *dst, struct envfile *src);
/* Reads len bytes of text (copied) into the empty ef, as envfile_load
 * describes.  Returns 0, or -1 after reporting "NAME:LINE: problem; fix". */
int envfile_parse_into(struct envfile *ef, const char *text, size_t len);
/* The entry that sets key, or NULL. */
const struct envfile_entry *envfile_find(const struct envfile *ef, const char *key);
/* 1 when the n bytes at s are a variable name: [A-Za-z_][A-Za-z0-9_]*. */
int envfile_is_name(const char *s, size_t n);

#endif
