/* Updates: the new text, checked by reading it back, then written
 * atomically over the old file. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "envfile-int.h"
#include "i18n.h"
#include "log.h"
#include "strbuf.h"

/* The last operation on key in kv, or NULL. */
static const char *const *last_op(const char *const *kv, const char *key)
{
	const char *const *op, *const *last = NULL;

	for (op = kv; *op; op += 2)
		if (!strcmp(*op, key))
			last = op;
	return last;
}

/* 1 when the pair op of kv adds a key that ef lacks: the last pair for the
 * key, with a value. */
static int appends(const struct envfile *ef, const char *const *kv, const char *const *op)
{
	return op[1] && !envfile_find(ef, *op) && last_op(kv, *op) == op;
}

/* The text after applying kv (value NULL: remove the key). */
static char *render_ops(const struct envfile *ef, const char *const *kv, size_t *len)
{
	const char *nl = memchr(ef->text, '\n', ef->len);
	const char *eol = nl && nl > ef->text && nl[-1] == '\r' ? "\r\n" : "\n";
	struct strbuf sb = STRBUF_INIT;
	const char *const *op;
	int exported = ef->nkeys > 0, continued = 0;
	size_t i;

	strbuf_add(&sb, ef->text, ef->bom);
	for (i = 0; i < ef->n; i++) {
		const struct envfile_entry *e = &ef->e[i];

		op = e->key ? last_op(kv, e->key) : NULL;
		exported &= !e->key || e->exported;
		if (!op) {
			strbuf_add(&sb, ef->text + e->off, e->len);
			continued = ef->open_end && i == ef->n - 1;
		} else if (op[1]) {
			strbuf_add(&sb, ef->text + e->off, e->vstart - e->off);
			strbuf_add_shell_quoted(&sb, op[1]);
			strbuf_add(&sb, ef->text + e->vend, e->off + e->len - e->vend);
		}
	}
	for (op = kv; *op; op += 2) {
		if (!appends(ef, kv, op))
			continue;
		/* a line end, also to close a continuation that would take the new line in */
		if (sb.len > ef->bom && sb.buf[sb.len - 1] == '\r')
			strbuf_addch(&sb, '\n');
		else if (sb.len > ef->bom && sb.buf[sb.len - 1] != '\n')
			strbuf_addstr(&sb, eol);
		if (continued)
			strbuf_addstr(&sb, eol);
		continued = 0;
		strbuf_addf(&sb, "%s%s=", exported ? "export " : "", *op);
		strbuf_add_shell_quoted(&sb, op[1]);
		strbuf_addstr(&sb, eol);
	}
	*len = sb.len;
	return strbuf_detach(&sb);
}

/* 1 when fresh's next key (at *j, which moves on) is key with value. */
static int next_is(const struct envfile *fresh, size_t *j, const char *key, const char *value)
{
	const struct envfile_entry *f;

	if (*j >= fresh->nkeys)
		return 0;
	f = &fresh->e[fresh->keys[(*j)++]];
	return !strcmp(f->key, key) && !strcmp(f->value, value);
}

/* 1 when fresh reads back as old with kv applied: the same keys in the same
 * order with the same values, but for the ones kv sets, removes or appends. */
static int reads_back(const struct envfile *old, const struct envfile *fresh, const char *const *kv)
{
	const char *const *op;
	size_t i, j = 0;

	for (i = 0; i < old->nkeys; i++) {
		const struct envfile_entry *was = &old->e[old->keys[i]];

		op = last_op(kv, was->key);
		if (op && !op[1])
			continue;
		if (!next_is(fresh, &j, was->key, op ? op[1] : was->value))
			return 0;
	}
	for (op = kv; *op; op += 2)
		if (appends(old, kv, op) && !next_is(fresh, &j, *op, op[1]))
			return 0;
	return j == fresh->nkeys;
}

static int changed_on_disk(const struct envfile *ef)
{
	struct stat st;

	if (stat(ef->path, &st))
		return ef->on_disk || errno != ENOENT;
	return !ef->on_disk || st.st_ino != ef->st.st_ino || st.st_dev != ef->st.st_dev ||
	       st.st_size != ef->st.st_size || st.st_mtim.tv_sec != ef->st.st_mtim.tv_sec ||
	       st.st_mtim.tv_nsec != ef->st.st_mtim.tv_nsec;
}

/* The path to replace: a symlink's target, so that the link stays. */
static char *write_target(const char *path)
{
	char *real = realpath(path, NULL);
	struct stat st;
	int e = errno;

	if (real)
		return real;
	if (e == ENOENT && lstat(path, &st) && errno == ENOENT)
		return xstrdup(path);
	if (e == ENOENT && S_ISLNK(st.st_mode))
		error(_("%s: is a symlink to a missing file; create the target or remove the link"), path);
	else
		error(_("%s: cannot resolve the path: %s"), path, strerror(e));
	return NULL;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Temp files are .NAME.PID.XXXXXX.  One whose writer is gone (killed between
 * mkostemp and rename: SIGKILL, a crash) would stay forever, a copy of the
 * file and its secrets; the next write removes it.  A live writer's is left
 * alone. */
static void remove_stale_temps(const char *dir, const char *base)
{
	DIR *d = opendir(dir);
	size_t blen = strlen(base);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		const char *p = e->d_name;
		char *end;
		long pid;

		if (p[0] != '.' || strncmp(p + 1, base, blen) != 0 || p[1 + blen] != '.')
			continue;
		p += blen + 2;
		errno = 0;
		pid = strtol(p, &end, 10);
		if (errno || end == p || pid <= 0 || *end != '.' || strlen(end + 1) != 6 ||
		    pid == (long)getpid())
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) == 0)
			log_msg(AWSPHASE_LOG_VERBOSE, _("%s/%s: removed, left by process %ld, which is gone"),
				dir, e->d_name, pid);
	}
	closedir(d);
}

static char *fmt_why(const char *fmt, ...) AWSPHASE_PRINTF(1, 2);

static char *fmt_why(const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	return strbuf_detach(&sb);
}

/* Replaces path with text: a temp file in the same folder, fsync, the old
 * mode (0600 when new), rename over, fsync of the folder.  *st is the new
 * file's stat. */
static int write_atomic(const char *path, const char *text, size_t len, struct stat *st,
			char **why)
{
	char *target = write_target(path), *dir = NULL, *tmp = NULL;
	const char *base, *what = NULL;
	struct stat old;
	int fd = -1, dfd, have_old, rc = -1, e;

	if (!target)
		return -1;
	have_old = !stat(target, &old);
	base = strrchr(target, '/');
	dir = base ? xstrndup(target, base == target ? 1 : (size_t)(base - target)) : xstrdup(".");
	base = base ? base + 1 : target;
	tmp = xmalloc(strlen(dir) + strlen(base) + 32);
	sprintf(tmp, "%s/.%s.%ld.XXXXXX", dir, base, (long)getpid());
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		if (why)
			*why = fmt_why(_("cannot create a temp file in %s: %s"), dir, strerror(errno));
		else
			error(_("%s: cannot create a temp file in %s: %s; check that the folder exists "
			      "and is writable"), path, dir, strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (write_all(fd, text, len))
		what = _("write");
	else if (fsync(fd))
		what = "fsync";
	else if (have_old && (old.st_uid != geteuid() || old.st_gid != getegid()) &&
		 fchown(fd, old.st_uid, old.st_gid) && errno != EPERM)
		what = "chown";
	else if (fchmod(fd, have_old ? old.st_mode & 07777 : 0600))
		what = "chmod";
	else if (fstat(fd, st))
		what = "stat";
	e = errno;
	if (close(fd) && !what) {
		what = _("close");
		e = errno;
	}
	fd = -1;
	if (!what && rename(tmp, target)) {
		what = _("rename over the old file");
		e = errno;
	}
	if (what && why) {
		*why = fmt_why(_("cannot %s %s: %s"), what, tmp, strerror(e));
		goto out;
	}
	if (what) {
		error(_("%s: cannot %s %s: %s; the old file is unchanged (check free space and "
		      "permissions)"), path, what, tmp, strerror(e));
		goto out;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || (fsync(dfd) && errno != EINVAL))
		warning(_("%s: cannot fsync %s: %s; the file is written but may not survive a crash"),
			path, dir, strerror(errno));
	if (dfd >= 0)
		close(dfd);
	remove_stale_temps(dir, base);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc && tmp)
		unlink(tmp);
	free(tmp);
	free(dir);
	free(target);
	return rc;
}

void envfile_defer_write_errors(struct envfile *ef, int on)
{
	ef->defer = on;
}

const char *envfile_unwritten(const struct envfile *ef, const char **why)
{
	if (why)
		*why = ef->why;
	return ef->unwritten;
}

/* Adds kv's keys to ef->unwritten (each once) and takes why. */
static void remember_unwritten(struct envfile *ef, const char *const *kv, char *why)
{
	struct strbuf sb = STRBUF_INIT;
	const char *const *op;

	if (ef->unwritten)
		strbuf_addstr(&sb, ef->unwritten);
	for (op = kv; *op; op += 2) {
		const char *at = sb.len ? strstr(strbuf_str(&sb), *op) : NULL;
		size_t n = strlen(*op);

		while (at && !((at == sb.buf || at[-1] == ' ') && (at[n] == ',' || at[n] == '\0')))
			at = strstr(at + 1, *op);
		if (at)
			continue;
		if (sb.len)
			strbuf_addstr(&sb, ", ");
		strbuf_addstr(&sb, *op);
	}
	free(ef->unwritten);
	ef->unwritten = strbuf_detach(&sb);
	free(ef->why);
	ef->why = why;
}

int envfile_set_many(struct envfile *ef, const char *const *kv)
{
	const char *const *op;
	struct envfile *fresh;
	struct stat st;
	size_t len;
	char *text;

	for (op = kv; *op; op += 2) {
		if (!envfile_is_name(*op, strlen(*op)))
			return error(_("%s: cannot set '%s': not a valid key name; use letters, digits "
				     "and _, not starting with a digit"), ef->path, *op);
		if (op[1] && strpbrk(op[1], "\r\n"))
			return error(_("%s: cannot set %s: the value has a line break; a value must fit "
				     "on one line"), ef->path, *op);
	}
	if (ef->has_file && changed_on_disk(ef)) {
		fresh = envfile_load(ef->path, 1);
		if (!fresh)
			return error(_("%s: changed on disk since it was read and cannot be read again; "
				     "fix it, then run again"), ef->path);
		envfile_take(ef, fresh);
	}
	text = render_ops(ef, kv, &len);
	if (len == ef->len && !memcmp(text, ef->text, len)) {
		free(text);
		return 0;
	}
	fresh = envfile_new(ef->path);
	if (envfile_parse_into(fresh, text, len)) {
		error(_("%s: the updated file would not read back (see above); nothing was changed"),
		      ef->path);
		goto fail;
	}
	if (!reads_back(ef, fresh, kv)) {
		error(_("%s: internal error: the updated file would not read back as written; "
		      "nothing was changed"), ef->path);
		goto fail;
	}
	if (ef->has_file) {
		char *why = NULL;

		if (write_atomic(ef->path, text, len, &st, ef->defer ? &why : NULL)) {
			if (!why)
				goto fail;
			/* the disk keeps what it had; memory has the change */
			fresh->on_disk = ef->on_disk;
			fresh->st = ef->st;
			free(text);
			envfile_take(ef, fresh);
			remember_unwritten(ef, kv, why);
			return 0;
		}
		fresh->on_disk = 1;
		fresh->st = st;
	}
	free(text);
	envfile_take(ef, fresh);
	free(ef->unwritten); /* the file has them all now */
	ef->unwritten = NULL;
	return 0;
fail:
	free(text);
	envfile_free(fresh);
	return -1;
}

int envfile_set(struct envfile *ef, const char *key, const char *value)
{
	const char *kv[] = { key, value, NULL };

	return envfile_set_many(ef, kv);
}

int envfile_unset(struct envfile *ef, const char *key)
{
	const char *kv[] = { key, NULL, NULL };

	return envfile_set_many(ef, kv);
}
