/* aws-resources.env: read the forms people write as bash reads them, reject
 * what cannot be read safely, update keys in place atomically. */
#ifndef AWSPHASE_ENVFILE_H
#define AWSPHASE_ENVFILE_H

#include <stddef.h>
#include "awsphase/module.h"

struct envfile;

/* Parses path.  Accepts KEY=VALUE, `export KEY=VALUE`, single and double
 * quotes (with \" \\ \$ \` escapes in double quotes), unquoted values with
 * backslash escapes, trailing `# comments` after whitespace, blank lines,
 * CRLF line ends and a UTF-8 BOM.  Rejects, as "PATH:LINE: problem; fix":
 * command substitution ($(...) and backticks), parameter expansion ($VAR,
 * ${VAR}, $1, $$...) in unquoted or double-quoted values, $'...', unquoted
 * ; & | < > ( ) and a leading ~, unterminated quotes, NUL bytes, lines over
 * 64 KiB, invalid key names, spaces around '=', a line that is not an
 * assignment, a key set twice, and a file that is not a regular file
 * (directory, device, FIFO; symlinks are followed only to regular files) or
 * larger than 1 MiB.  Values are never echoed in these messages.
 * A missing file is an empty envfile when missing_ok, else an error.
 * Values of secret keys are registered with redact_add.
 * Returns NULL after reporting the error (errno-style detail in the message). */
struct envfile *envfile_load(const char *path, int missing_ok);
/* Parses text in memory (for tests and fuzzing); name is used in messages. */
struct envfile *envfile_parse(const char *name, const char *text, size_t len);
void envfile_free(struct envfile *ef);

const char *envfile_path(const struct envfile *ef);
/* NULL when absent. */
const char *envfile_get(const struct envfile *ef, const char *key);
/* Line number where key is set, 0 when absent. */
unsigned envfile_line(const struct envfile *ef, const char *key);
size_t envfile_count(const struct envfile *ef);
/* i-th key in file order, for listing. */
const char *envfile_key_at(const struct envfile *ef, size_t i);

/* Validates the present keys that vars declares, against their anchored
 * PCRE2 pattern, and that every AWSPHASE_ENV_REQUIRED key is present and
 * not empty.  Reports each problem as "PATH:LINE: KEY: 'value' is not HELP
 * (pattern P); fix the value" or "PATH: KEY is missing; add KEY=… (HELP)"
 * (secret values shown as ***) and returns the number of problems. */
int envfile_validate(const struct envfile *ef, const struct awsphase_envvar *vars);
/* The same, but keys in planned (NULL-terminated), which an earlier phase
 * would write (awsphase plan), may be missing. */
int envfile_validate_planned(const struct envfile *ef, const struct awsphase_envvar *vars,
			     const char *const *planned);

/* Sets key to value in memory: replaces the value in place on its line,
 * keeping the line's `export` and trailing comment, and the rest of the file
 * byte for byte (line ends, comments, order); a new key is appended at the
 * end, a commented-out one is left alone.  Values are written bare when
 * they only hold [A-Za-z0-9_./:@%+,=-], else single-quoted; a value with a
 * line break is refused.  Then writes the file atomically: a temp file in
 * the same folder, fsync, rename over the old one, fsync of the folder;
 * same mode as before (0600 for a new file); a symlink is written through.
 * If the file changed on disk since it was read, the change is applied to
 * what is there now.  Nothing is written when nothing changes.  Returns -1
 * (reported) on failure, leaving the old file in place.  An envfile from
 * envfile_parse has no file: only memory changes. */
int envfile_set(struct envfile *ef, const char *key, const char *value);
/* Removes key's line; 0 when absent. */
int envfile_unset(struct envfile *ef, const char *key);
/* Several at once, one rewrite: key, value pairs ended by a NULL key; a
 * NULL value removes the key; the last pair for a key wins. */
int envfile_set_many(struct envfile *ef, const char *const *kv);

/* With on, a failed write (a full disk, a read-only folder) is not
 * reported and does not fail the set: the change is kept in memory, the
 * keys remembered, and each later set tries to write them all again.  The
 * caller says once, at the end, what envfile_unwritten() lists. */
void envfile_defer_write_errors(struct envfile *ef, int on);
/* "KEY, KEY" that are set in memory but not written, or NULL; *why (may
 * be NULL) says why the last write failed. */
const char *envfile_unwritten(const struct envfile *ef, const char **why);

/* The file as the last write left it (or as read): the bytes the next
 * write keeps; NUL-terminated, free(). */
char *envfile_render(const struct envfile *ef, size_t *len);

#endif
