/* aws-resources.env, read as bash reads it and kept byte for byte, so that an
 * update changes only the value it replaces: loading and looking up.  The
 * parser is in envfile-parse.c, the key checks in envfile-check.c, updates
 * and the atomic rewrite in envfile-write.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "envfile-int.h"
#include "i18n.h"
#include "log.h"
#include "strbuf.h"

struct envfile *envfile_new(const char *name)
{
	struct envfile *ef = xcalloc(1, sizeof(*ef));

	ef->path = xstrdup(name);
	return ef;
}

static void ef_clear(struct envfile *ef)
{
	size_t i;

	for (i = 0; i < ef->n; i++) {
		free(ef->e[i].key);
		free(ef->e[i].value);
	}
	free(ef->e);
	free(ef->keys);
	free(ef->text);
}

void envfile_free(struct envfile *ef)
{
	if (!ef)
		return;
	ef_clear(ef);
	free(ef->path);
	free(ef->unwritten);
	free(ef->why);
	free(ef);
}

void envfile_take(struct envfile *dst, struct envfile *src)
{
	char *path = dst->path, *unwritten = dst->unwritten, *why = dst->why;
	int has_file = dst->has_file, defer = dst->defer;

	ef_clear(dst);
	free(src->path);
	free(src->unwritten);
	free(src->why);
	*dst = *src;
	dst->path = path;
	dst->has_file = has_file;
	dst->defer = defer;
	dst->unwritten = unwritten;
	dst->why = why;
	free(src);
}

struct envfile *envfile_parse(const char *name, const char *text, size_t len)
{
	struct envfile *ef = envfile_new(name);

	if (envfile_parse_into(ef, text, len)) {
		envfile_free(ef);
		return NULL;
	}
	return ef;
}

static const char *file_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return _("a directory");
	if (S_ISFIFO(mode))
		return _("a FIFO");
	if (S_ISCHR(mode))
		return _("a character device");
	if (S_ISBLK(mode))
		return _("a block device");
	if (S_ISSOCK(mode))
		return _("a socket");
	return _("not a regular file");
}

/* Reads path into sb; *exists = 0 (and returns 0) for a missing file when
 * missing_ok.  Refuses anything but a regular file before reading it. */
static int read_env(const char *path, int missing_ok, struct strbuf *sb,
		    struct stat *st, int *exists)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	int rc = -1;

	*exists = 1;
	if (fd < 0 && errno == ENOENT && missing_ok) {
		*exists = 0;
		return 0;
	}
	if (fd < 0 && errno == ENOENT)
		return error(_("%s: %s; create it (see aws-resources.env.example) or pass --env-file PATH"),
			     path, strerror(errno));
	if (fd < 0)
		return error(_("%s: cannot open: %s; check the path and its permissions"), path, strerror(errno));
	if (fstat(fd, st)) {
		error(_("%s: cannot stat: %s"), path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st->st_mode)) {
		error(_("%s: is %s, not a regular file; point --env-file at the env file itself"),
		      path, file_kind(st->st_mode));
		goto out;
	}
	if (st->st_size > ENVFILE_MAX_FILE) {
		error(_("%s: is %lld bytes, over the 1 MiB limit for an env file; is it the right file?"),
		      path, (long long)st->st_size);
		goto out;
	}
	for (;;) {
		ssize_t n;

		strbuf_grow(sb, 65536);
		n = read(fd, sb->buf + sb->len, sb->alloc - sb->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error(_("%s: cannot read: %s; check the file and its permissions"), path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		sb->len += (size_t)n;
		sb->buf[sb->len] = '\0';
		if (sb->len > ENVFILE_MAX_FILE) {
			error(_("%s: is over the 1 MiB limit for an env file; is it the right file?"), path);
			goto out;
		}
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

struct envfile *envfile_load(const char *path, int missing_ok)
{
	struct strbuf sb = STRBUF_INIT;
	struct envfile *ef;
	struct stat st;
	int exists;

	if (read_env(path, missing_ok, &sb, &st, &exists)) {
		strbuf_release(&sb);
		return NULL;
	}
	ef = envfile_new(path);
	ef->has_file = 1;
	ef->on_disk = exists;
	if (exists)
		ef->st = st;
	if (envfile_parse_into(ef, strbuf_str(&sb), sb.len)) {
		envfile_free(ef);
		ef = NULL;
	}
	strbuf_release(&sb);
	return ef;
}

const char *envfile_path(const struct envfile *ef)
{
	return ef->path;
}

const struct envfile_entry *envfile_find(const struct envfile *ef, const char *key)
{
	size_t i;

	for (i = 0; i < ef->nkeys; i++)
		if (!strcmp(ef->e[ef->keys[i]].key, key))
			return &ef->e[ef->keys[i]];
	return NULL;
}

const char *envfile_get(const struct envfile *ef, const char *key)
{
	const struct envfile_entry *e = envfile_find(ef, key);

	return e ? e->value : NULL;
}

unsigned envfile_line(const struct envfile *ef, const char *key)
{
	const struct envfile_entry *e = envfile_find(ef, key);

	return e ? e->line : 0;
}

size_t envfile_count(const struct envfile *ef)
{
	return ef->nkeys;
}

const char *envfile_key_at(const struct envfile *ef, size_t i)
{
	return i < ef->nkeys ? ef->e[ef->keys[i]].key : NULL;
}

char *envfile_render(const struct envfile *ef, size_t *len)
{
	char *s = xmalloc(ef->len + 1);

	memcpy(s, ef->text, ef->len + 1);
	if (len)
		*len = ef->len;
	return s;
}
