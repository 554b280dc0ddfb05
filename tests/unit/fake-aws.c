/* A stand-in for the aws CLI, for the error paths a real AWS cannot be made
 * to take on demand.  What each invocation does comes from the environment:
 *
 *   FAKE_AWS_SCRIPT  one step per line: ACTION<TAB>STDOUT<TAB>STDERR, where
 *                    STDOUT and STDERR take \n, \t and \\ escapes and ACTION is
 *                      N        exit with status N
 *                      echo     print {"argv":[...],"env":{...}} and exit 0
 *                      hang     sleep for ten minutes
 *                      hang+child   the same, with a grandchild that sleeps too
 *                      big:N    write N bytes to stdout (as a JSON document)
 *                               and N to stderr, interleaved, then exit 0
 *                      kill:S   raise signal S
 *                    any ACTION may end in @MS: sleep MS milliseconds first.
 *                    Invocation i (from 0) runs step i; past the end, the last.
 *   FAKE_AWS_STATE   a file counting the invocations (locked, so concurrent
 *                    runs each get their own step); without it, always step 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int next_invocation(void)
{
	const char *path = getenv("FAKE_AWS_STATE");
	char buf[32] = "";
	int fd, n = 0;
	ssize_t len;

	if (!path || !*path)
		return 0;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		perror("fake-aws: FAKE_AWS_STATE");
		exit(99);
	}
	len = read(fd, buf, sizeof(buf) - 1);
	if (len > 0) {
		buf[len] = '\0';
		n = atoi(buf);
	}
	snprintf(buf, sizeof(buf), "%d\n", n + 1);
	if (lseek(fd, 0, SEEK_SET) < 0 || ftruncate(fd, 0) < 0 ||
	    write(fd, buf, strlen(buf)) < 0) {
		perror("fake-aws: FAKE_AWS_STATE");
		exit(99);
	}
	close(fd);
	return n;
}

/* Step number `which` of the script, or the last one; malloc'd. */
static char *pick_step(const char *script, int which)
{
	const char *line = script, *nl;
	int i;

	for (i = 0; i < which; i++) {
		nl = strchr(line, '\n');
		if (!nl || !nl[1])
			break;
		line = nl + 1;
	}
	nl = strchr(line, '\n');
	return strndup(line, nl ? (size_t)(nl - line) : strlen(line));
}

/* Decodes \n, \t and \\ in place. */
static void unescape(char *s)
{
	char *d = s;

	for (; *s; s++) {
		if (*s == '\\' && s[1]) {
			s++;
			*d++ = *s == 'n' ? '\n' : *s == 't' ? '\t' : *s;
		} else {
			*d++ = *s;
		}
	}
	*d = '\0';
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void echo(int argc, char **argv)
{
	static const char *const vars[] = { "AWS_PAGER", "AWS_MAX_ATTEMPTS", "AWS_CLI_AUTO_PROMPT", NULL };
	int i;

	printf("{\"argv\":[");
	for (i = 1; i < argc; i++) {
		if (i > 1)
			putchar(',');
		json_string(argv[i]);
	}
	printf("],\"env\":{");
	for (i = 0; vars[i]; i++) {
		const char *v = getenv(vars[i]);

		printf("%s", i ? "," : "");
		json_string(vars[i]);
		putchar(':');
		if (v)
			json_string(v);
		else
			printf("null");
	}
	printf("}}\n");
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			exit(98);
		p += w;
		n -= (size_t)w;
	}
}

static void big(long n)
{
	static char chunk[8192];
	long done = 0;

	memset(chunk, 'x', sizeof(chunk));
	write_all(1, "{\"data\":\"", 9);
	while (done < n) {
		size_t len = n - done < (long)sizeof(chunk) ? (size_t)(n - done) : sizeof(chunk);

		write_all(1, chunk, len);
		write_all(2, chunk, len);
		done += (long)len;
	}
	write_all(1, "\"}\n", 3);
}

int main(int argc, char **argv)
{
	const char *script = getenv("FAKE_AWS_SCRIPT");
	char *step, *out = NULL, *err = NULL, *at;

	if (!script || !*script) {
		fprintf(stderr, "fake-aws: set FAKE_AWS_SCRIPT\n");
		return 99;
	}
	step = pick_step(script, next_invocation());
	if ((out = strchr(step, '\t'))) {
		*out++ = '\0';
		if ((err = strchr(out, '\t')))
			*err++ = '\0';
	}
	if ((at = strchr(step, '@'))) {
		*at++ = '\0';
		sleep_ms(atol(at));
	}
	if (strcmp(step, "echo") == 0) {
		echo(argc, argv);
		return 0;
	}
	if (strncmp(step, "hang", 4) == 0) {
		if (strcmp(step, "hang+child") == 0 && fork() == 0)
			sleep_ms(600000);
		sleep_ms(600000);
		return 0;
	}
	if (strncmp(step, "big:", 4) == 0) {
		big(atol(step + 4));
		return 0;
	}
	if (strncmp(step, "kill:", 5) == 0) {
		fflush(stdout);
		raise(atoi(step + 5));
		return 97;
	}
	if (out) {
		unescape(out);
		fputs(out, stdout);
	}
	if (err) {
		unescape(err);
		fputs(err, stderr);
	}
	return atoi(step);
}
