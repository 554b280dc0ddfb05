/* aws-resources.env: what bash reads, what must be refused, and updates that
 * change only the value they replace, atomically. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "envfile.h"
#include "redact.h"
#include "strbuf.h"
#include "tap.h"

static char dir[256];
static char paths[4][PATH_MAX];
static int saved_stderr = -1, capture_fd = -1;

/* A path in the test's temp dir; four at a time. */
static const char *in_dir(const char *name)
{
	static int i;
	char *p = paths[i++ % 4];

	snprintf(p, PATH_MAX, "%s/%s", dir, name);
	return p;
}

static void write_file(const char *path, const char *text, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd < 0 || write(fd, text, len) != (ssize_t)len || fchmod(fd, mode) || close(fd)) {
		printf("Bail out! cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

static char *slurp_fd(int fd, size_t *len)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		strbuf_add(&sb, buf, (size_t)n);
	if (len)
		*len = sb.len;
	return strbuf_detach(&sb);
}

static void write_str(const char *path, const char *text, mode_t mode)
{
	write_file(path, text, strlen(text), mode);
}

/* The file's bytes, or NULL when it cannot be read. */
static char *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	char *s;

	if (fd < 0)
		return NULL;
	s = slurp_fd(fd, len);
	close(fd);
	return s;
}

/* stderr into a pipe until capture_end(); messages here are far below the
 * pipe's buffer, and a pipe keeps working under RLIMIT_FSIZE. */
static void capture_start(void)
{
	int p[2];

	fflush(stderr);
	if (pipe(p)) {
		printf("Bail out! pipe: %s\n", strerror(errno));
		exit(1);
	}
	saved_stderr = dup(2);
	dup2(p[1], 2);
	close(p[1]);
	capture_fd = p[0];
}

static char *capture_end(void)
{
	char *s;

	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	s = slurp_fd(capture_fd, NULL);
	close(capture_fd);
	return s;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Expects text to be refused with one line holding every needle (NULL-terminated). */
static void rejects_n(const char *what, const char *text, size_t len, ...)
{
	struct envfile *ef;
	const char *needle;
	va_list ap;
	char *err;
	int good;

	capture_start();
	ef = envfile_parse("t.env", text, len);
	err = capture_end();
	good = !ef && count_lines(err) == 1;
	va_start(ap, len);
	while ((needle = va_arg(ap, const char *)))
		good = good && strstr(err, needle);
	va_end(ap);
	if (!ok(good, "rejects %s", what))
		diag("stderr: %s", err);
	envfile_free(ef);
	free(err);
}

#define PARSE(text) envfile_parse("t.env", text, strlen(text))
#define rejects(what, text, ...) rejects_n(what, text, strlen(text), __VA_ARGS__, (const char *)NULL)

/* Expects text to parse with key set to want. */
static void reads(const char *what, const char *text, const char *key, const char *want)
{
	struct envfile *ef = envfile_parse("t.env", text, strlen(text));

	is_str(ef ? envfile_get(ef, key) : "(refused)", want, "reads %s", what);
	envfile_free(ef);
}

static void test_accepted(void)
{
	reads("KEY=VALUE", "A=1\n", "A", "1");
	reads("export KEY=VALUE", "export A=1\n", "A", "1");
	reads("export with a tab", "export\tA=1\n", "A", "1");
	reads("whitespace around the line", "  \tA=1  \t\n", "A", "1");
	reads("single quotes literally", "A='$x \"y\" \\n `z`'\n", "A", "$x \"y\" \\n `z`");
	reads("double-quote escapes", "A=\"a\\\"b\\\\c\\$d\\`e\"\n", "A", "a\"b\\c$d`e");
	reads("other backslashes in double quotes kept", "A=\"a\\nb\"\n", "A", "a\\nb");
	reads("backslash-newline in double quotes", "A=\"ab\\\ncd\"\n", "A", "abcd");
	reads("a newline inside quotes", "A=\"x\ny\"\nB='p\nq'\n", "B", "p\nq");
	reads("a lone $ at the end of double quotes", "A=\"cost 5$\"\n", "A", "cost 5$");
	reads("a $ before a blank in double quotes", "A=\"a$ b\"\n", "A", "a$ b");
	reads("an unquoted $ at the end", "A=5$\n", "A", "5$");
	reads("a $ before a non-name char", "A=$/x$%\n", "A", "$/x$%");
	reads("unquoted backslash escapes", "A=a\\ b\\$c\\'d\n", "A", "a b$c'd");
	reads("an escaped #", "A=\\#x\n", "A", "#x");
	reads("an escaped ~", "A=\\~/x\n", "A", "~/x");
	reads("backslash-newline unquoted", "A=ab\\\ncd\nB=2\n", "A", "abcd");
	reads("adjacent quoted parts", "A=\"x\"'y'z\n", "A", "xyz");
	reads("a # inside a word", "A=a#b\n", "A", "a#b");
	reads("a trailing comment", "A=1 # one\n", "A", "1");
	reads("a trailing comment after a tab", "A=1\t#c\n", "A", "1");
	reads("a # in quotes", "A='a # b'\n", "A", "a # b");
	reads("an empty value", "A=\n", "A", "");
	reads("empty single quotes", "A=''\n", "A", "");
	reads("empty double quotes", "A=\"\"\n", "A", "");
	reads("an empty value with a comment", "A= # nothing\n", "A", "");
	reads("= in the value", "A=b=c\n", "A", "b=c");
	reads("a ~ inside a word", "A=x:y~z\n", "A", "x:y~z");
	reads("a quoted ~", "A='~/x'\n", "A", "~/x");
	reads("CRLF line ends", "A=1\r\nB=2\r\n", "B", "2");
	reads("CRLF after quotes", "A=\"x\"\r\n", "A", "x");
	reads("a final \\r as a line end", "A=1\r\nB=\"x\"\r", "B", "x");
	reads("a \\r inside quotes", "A='x\ry'\n", "A", "x\ry");
	reads("a blank last line of only \\r", "A=1\r\n\r", "A", "1");
	reads("a UTF-8 BOM", "\xEF\xBB\xBF" "A=1\n", "A", "1");
	reads("a key named export", "export=1\n", "export", "1");
	reads("no final newline", "A=1", "A", "1");
	reads("glob characters literally", "A=*.txt\n", "A", "*.txt");
	reads("braces literally", "A={a,b}\n", "A", "{a,b}");
	reads("UTF-8 values", "A=日本\n", "A", "日本");
	reads("a continuation at the end of the file", "A=x\\\n", "A", "x");
	reads("blank and comment lines", "\n# c\n   \n\t# d\nA=1\n\n", "A", "1");
}

static void test_structure(void)
{
	const char *text = "\xEF\xBB\xBF# c\nA=1\n\nB='x\ny'\nC=ab\\\ncd\nexport D=4 # d\n";
	struct envfile *ef = envfile_parse("t.env", text, strlen(text));
	char *r;
	size_t len;

	ok(ef != NULL, "a file of every form parses");
	if (!ef)
		return;
	is_int(envfile_count(ef), 4, "four keys");
	is_str(envfile_key_at(ef, 0), "A", "keys in file order (0)");
	is_str(envfile_key_at(ef, 3), "D", "keys in file order (3)");
	ok(envfile_key_at(ef, 4) == NULL, "key_at past the end is NULL");
	is_int(envfile_line(ef, "A"), 2, "line of A");
	is_int(envfile_line(ef, "B"), 4, "line of B");
	is_int(envfile_line(ef, "C"), 6, "line of C (after a quoted newline)");
	is_int(envfile_line(ef, "D"), 8, "line of D (after a continuation)");
	is_int(envfile_line(ef, "E"), 0, "line of an absent key is 0");
	ok(envfile_get(ef, "E") == NULL, "get of an absent key is NULL");
	is_str(envfile_path(ef), "t.env", "path is the name given");
	r = envfile_render(ef, &len);
	ok(len == strlen(text) && !memcmp(r, text, len), "render gives back every byte");
	free(r);
	envfile_free(ef);
}

static void test_rejected(void)
{
	static char big[70016];
	char *line;
	size_t n;

	rejects("$(...)", "A=1\nB=$(whoami)\n", "t.env:2:", "command substitution $(", "; ");
	rejects("$(...) in double quotes", "A=\"x$(id)\"\n", "t.env:1:", "command substitution");
	rejects("$((...))", "A=$((1+2))\n", "command substitution");
	rejects("backticks", "A=`id`\n", "t.env:1:", "command substitution `");
	rejects("backticks in double quotes", "A=\"x`id`\"\n", "command substitution `");
	rejects("$VAR", "A=1\nB=$HOME\n", "t.env:2:", "parameter expansion", "single quotes");
	rejects("${VAR}", "A=${HOME}\n", "parameter expansion");
	rejects("$VAR in double quotes", "A=\"$HOME\"\n", "parameter expansion");
	rejects("${VAR} in double quotes", "A=\"x${Y}z\"\n", "parameter expansion");
	rejects("$1", "A=x$1\n", "parameter expansion");
	rejects("$$ in double quotes", "A=\"$$\"\n", "parameter expansion");
	rejects("$'...'", "A=$'x'\n", "$'...' quoting is not supported");
	rejects("$\"...\"", "A=$\"x\"\n", "quoting is not supported");
	rejects("an unterminated single quote", "A=1\nB='abc\nC=2\n", "t.env:2:",
		"unterminated single quote", "closing '");
	rejects("an unterminated double quote", "A=\"abc\nB=2\n", "t.env:1:", "unterminated double quote");
	rejects("a double quote closed only by an escaped quote", "A=\"abc\\\"\n", "unterminated double quote");
	rejects_n("a NUL byte", "A=1\nB=x\0y\n", 10, "t.env:2:", "NUL byte", "recreate it as text",
		  (const char *)NULL);

	line = big;
	n = (size_t)sprintf(line, "A=1\n# c\nB=");
	memset(line + n, 'x', 65537);
	strcpy(line + n + 65537, "\n");
	rejects("a line over 64 KiB", line, "t.env:3:", "longer than 64 KiB");
	memset(line + n, 'x', 65536 - 2);
	strcpy(line + n + 65536 - 2, "\r\n");
	reads("a line of exactly 64 KiB", line, "A", "1");

	rejects("a key starting with a digit", "1A=x\n", "'1A' is not a valid key name", "letters, digits and _");
	rejects("a key with a dash", "A-B=x\n", "'A-B' is not a valid key name");
	rejects("a key with a dot", "A.B=x\n", "'A.B' is not a valid key name");
	rejects("a quoted key", "\"A\"=1\n", "is not a valid key name");
	rejects("+=", "A+=1\n", "'A+' is not a valid key name");
	rejects("a line starting with =", "=x\n", "starts with '='");
	rejects("a key set twice", "A=1\nB=2\nA=3\n", "t.env:3:", "A is set twice (lines 1 and 3); keep one");
	rejects("the first repetition", "B=1\nA=1\nA=2\nB=3\nA=4\n", "t.env:3:",
		"A is set twice (lines 2 and 3)");
	rejects("a key set twice, once with export", "A=1\nexport A=2\n", "A is set twice");
	rejects("spaces around =", "A = 1\n", "spaces around '='", "A=VALUE");
	rejects("a space before =", "A =1\n", "spaces around '='");
	rejects("a space after =", "A= 1\n", "spaces around '='");
	rejects("a command", "A=1\necho hi\n", "t.env:2:", "not a KEY=VALUE assignment", "comment it out");
	rejects("a bare word", "A\n", "not a KEY=VALUE assignment");
	rejects("export without a value", "export A\n", "export without a value");
	rejects("source", "source ./other.env\n", "not a KEY=VALUE assignment");
	rejects("two assignments on a line", "A=1 B=2\n", "text after the value of A", "single quotes");
	rejects("text after a quoted value", "A='x' y\n", "text after the value of A");
	rejects("an unquoted ;", "A=a;b\n", "unquoted ';'");
	rejects("an unquoted |", "A=a|b\n", "unquoted '|'");
	rejects("an unquoted &", "A=a&\n", "unquoted '&'");
	rejects("an unquoted >", "A=a>b\n", "unquoted '>'");
	rejects("an array", "A=(1 2)\n", "unquoted '('");
	rejects("a leading ~", "A=~/x\n", "unquoted ~");
	rejects("a ~ after :", "A=/x:~/y\n", "unquoted ~");
	rejects("a stray carriage return", "A=x\ry\n", "carriage return", "CRLF");
	rejects("a backslash at the end of the file", "A=abc\\", "backslash at the end of the file");

	n = 1024 * 1024 + 1;
	line = malloc(n + 1);
	memset(line, '#', n);
	line[n] = '\0';
	rejects("a text over 1 MiB", line, "over the 1 MiB limit");
	free(line);

	rejects("a secret value in a rejected line", "DB_PASSWORD=s3cr3tvalue$(x)\n", "command substitution");
	capture_start();
	envfile_free(PARSE("DB_PASSWORD=s3cr3tvalue$(x)\nAPI_TOKEN=tok-abc xyzzy\n"));
	line = capture_end();
	ok(!strstr(line, "s3cr3tvalue") && !strstr(line, "xyzzy"), "no part of a secret in a parse error");
	free(line);
	capture_start();
	envfile_free(PARSE("API_TOKEN=tok-abc xyzzy\n"));
	line = capture_end();
	ok(*line && !strstr(line, "tok-abc") && !strstr(line, "xyzzy"), "nor in 'text after the value'");
	free(line);
	redact_clear();
}

static void test_redact_registered(void)
{
	struct envfile *ef = PARSE("DB_PASSWORD='pw registered 1'\nVPC_ID=vpc-1\n");
	char *s = redact_apply("x pw registered 1 vpc-1");

	is_str(s, "x *** vpc-1", "a secret's value is registered for redaction as it loads");
	free(s);
	envfile_free(ef);
	redact_clear();
}

static const struct awsphase_envvar vars[] = {
	{ "AWS_REGION", "[a-z]{2}-[a-z]+-[0-9]", NULL, AWSPHASE_ENV_REQUIRED, "the AWS region, e.g. us-east-2" },
	{ "VPC_ID", "vpc-[0-9a-f]{8,17}", NULL, AWSPHASE_ENV_REQUIRED, "a VPC id, vpc-…" },
	{ "DB_PASSWORD", ".{12,}", NULL, 0, "a password of 12 characters or more" },
	{ "ECS_CLUSTER", "[A-Za-z0-9_-]{1,255}", "kaviar-cluster", 0, "the ECS cluster name" },
	{ "ALB_SG_ID", "sg-[0-9a-f]{8,17}", NULL, AWSPHASE_ENV_WRITTEN, NULL },
	{ NULL, NULL, NULL, 0, NULL },
};

/* Validates text against vars; returns the problems, *err the messages. */
static int validate(const char *text, char **err)
{
	struct envfile *ef = envfile_parse("t.env", text, strlen(text));
	int n;

	redact_clear(); /* the messages themselves must hide secrets */
	capture_start();
	n = ef ? envfile_validate(ef, vars) : -100;
	*err = capture_end();
	envfile_free(ef);
	return n;
}

static void test_validate(void)
{
	char *err;
	int n;

	n = validate("AWS_REGION=us-east-2\nVPC_ID=vpc-0a1b2c3d4e5f60718\nOTHER=whatever\nECS_CLUSTER=\n", &err);
	ok(n == 0 && !*err, "a good file has no problems and prints nothing");
	free(err);

	n = validate("AWS_REGION=us-east-2\nVPC_ID=vpc-xyz\nDB_PASSWORD='tiny-pw'\nALB_SG_ID=sg-nope\n", &err);
	is_int(n, 3, "three bad values, three problems");
	ok(strstr(err, "t.env:2: VPC_ID: 'vpc-xyz' is not a VPC id, vpc-… (pattern vpc-[0-9a-f]{8,17}); fix the value\n") != NULL,
	   "a bad id names the file, line, key, value, expectation and pattern");
	ok(strstr(err, "t.env:3: DB_PASSWORD: '***' is not a password") && !strstr(err, "tiny-pw"),
	   "a secret's bad value is shown as ***");
	ok(strstr(err, "t.env:4: ALB_SG_ID: 'sg-nope' does not match the pattern sg-") != NULL,
	   "without help text the pattern is named");
	is_int(count_lines(err), 3, "one line per problem");
	free(err);

	n = validate("AWS_REGION=us-east-2\nVPC_ID=vpc-\xe2\x80\xae" "1234\xe2\x81\xa6x\xe2\x80\x8f\n", &err);
	ok(n == 1 && strstr(err, "t.env:2: VPC_ID: 'vpc-?1234?x?' is not a VPC id") != NULL,
	   "bidi controls (U+202E, U+2066, U+200F) in a value are shown as ?: %s", err);
	ok(!strstr(err, "\xe2\x80\xae") && !strstr(err, "\xe2\x81\xa6") && !strstr(err, "\xe2\x80\x8f"),
	   "none reaches the terminal raw");
	free(err);
	n = validate("AWS_REGION=us-east-2\nVPC_ID=vpc-\xc3\xa9\xe2\x80\x94\n", &err);
	ok(n == 1 && strstr(err, "'vpc-\xc3\xa9\xe2\x80\x94'") != NULL, "other UTF-8 (é, an em dash) is kept");
	free(err);

	n = validate("# nothing yet\n", &err);
	is_int(n, 2, "two required keys missing");
	ok(strstr(err, "t.env: AWS_REGION is missing; add AWS_REGION=… (the AWS region, e.g. us-east-2)\n") &&
	   strstr(err, "t.env: VPC_ID is missing; add VPC_ID=…"), "a missing key says what to add");
	free(err);

	n = validate("AWS_REGION=us-east-2\nVPC_ID=\n", &err);
	ok(n == 1 && strstr(err, "t.env:2: VPC_ID is empty; set VPC_ID=…"), "an empty required key");
	free(err);

	n = validate("AWS_REGION=us-east-2\nVPC_ID=vpc-0a1b2c3d4e5f60718x\n", &err);
	ok(n == 1 && strstr(err, "'vpc-0a1b2c3d4e5f60718x'"), "patterns are anchored at the end");
	free(err);
	n = validate("AWS_REGION=xus-east-2\nVPC_ID=vpc-0a1b2c3d4e5f60718\n", &err);
	ok(n == 1 && strstr(err, "AWS_REGION"), "and at the start");
	free(err);

	n = validate("AWS_REGION=us-east-2\nVPC_ID='vpc-\x1b[31m'\n", &err);
	ok(n == 1 && !strchr(err, '\x1b'), "control characters of a value are not echoed");
	free(err);
}

/* Parses base, applies kv, and compares the rendered text with want. */
static void updates(const char *what, const char *base, size_t base_len, const char *const *kv,
		    const char *want)
{
	struct envfile *ef = envfile_parse("t.env", base, base_len);
	char *r = NULL;
	int rc = -2;

	if (ef && (rc = envfile_set_many(ef, kv)) == 0)
		r = envfile_render(ef, NULL);
	if (!ok(r && !strcmp(r, want), "%s", what))
		diag("rc %d, got [%s]", rc, r ? r : "(none)");
	free(r);
	envfile_free(ef);
}

#define U(what, base, want, ...)                                                        \
	do {                                                                            \
		const char *kv_[] = { __VA_ARGS__, NULL };                              \
		updates(what, base, strlen(base), kv_, want);                           \
	} while (0)

static void test_update_text(void)
{
	const char *base =
		"# header\n"
		"\n"
		"export AWS_REGION=us-east-2 # region\n"
		"  VPC_ID='vpc-0a1b2c3d'\t# spaces\n"
		"# ECS_CLUSTER=old\n"
		"DB_PASSWORD=\"never printed\"\n"
		"\n"
		"# tail\n";

	U("a replaced value keeps every other byte", base,
	  "# header\n\nexport AWS_REGION=us-east-2 # region\n  VPC_ID=vpc-99999999\t# spaces\n"
	  "# ECS_CLUSTER=old\nDB_PASSWORD=\"never printed\"\n\n# tail\n",
	  "VPC_ID", "vpc-99999999");
	U("export and the trailing comment stay", base,
	  "# header\n\nexport AWS_REGION=eu-west-1 # region\n  VPC_ID='vpc-0a1b2c3d'\t# spaces\n"
	  "# ECS_CLUSTER=old\nDB_PASSWORD=\"never printed\"\n\n# tail\n",
	  "AWS_REGION", "eu-west-1");
	U("a commented-out key is left alone and the key appended", base,
	  "# header\n\nexport AWS_REGION=us-east-2 # region\n  VPC_ID='vpc-0a1b2c3d'\t# spaces\n"
	  "# ECS_CLUSTER=old\nDB_PASSWORD=\"never printed\"\n\n# tail\nECS_CLUSTER=new\n",
	  "ECS_CLUSTER", "new");
	U("unset removes only the key's line", base,
	  "# header\n\nexport AWS_REGION=us-east-2 # region\n  VPC_ID='vpc-0a1b2c3d'\t# spaces\n"
	  "# ECS_CLUSTER=old\n\n# tail\n",
	  "DB_PASSWORD", NULL);
	U("export K=\"v\" # c, value needing quotes", "export K=\"v\" # c\n",
	  "export K='a b' # c\n", "K", "a b");
	U("a single quote is written as '\\''", "K=1\n", "K='it'\\''s'\n", "K", "it's");
	U("an empty value is written ''", "K=1\n", "K=''\n", "K", "");
	U("safe characters are written bare", "K=1\n",
	  "K=arn:aws:ecs:us-east-2:123456789012:service/c/s_1.x,y@z+a%b=c-d\n",
	  "K", "arn:aws:ecs:us-east-2:123456789012:service/c/s_1.x,y@z+a%b=c-d");
	U("append to a file without a final newline", "A=1", "A=1\nB=2\n", "B", "2");
	U("append after a last comment without a newline", "A=1\n# c", "A=1\n# c\nB=2\n", "B", "2");
	U("append to an empty file", "", "B=2\n", "B", "2");
	U("CRLF kept on replaced and new lines", "A=1\r\n# c\r\nB=2\r\n",
	  "A=x\r\n# c\r\nB=2\r\nC=y\r\n", "A", "x", "C", "y");
	U("CRLF used for the missing final line end", "A=1\r\nB=2", "A=1\r\nB=2\r\nC=3\r\n", "C", "3");
	U("the BOM stays when the first key changes", "\xEF\xBB\xBF" "A=1\nB=2\n",
	  "\xEF\xBB\xBF" "A=9\nB=2\n", "A", "9");
	U("the BOM stays when the first key goes", "\xEF\xBB\xBF" "A=1\nB=2\n",
	  "\xEF\xBB\xBF" "B=2\n", "A", NULL);
	U("a file of only a BOM", "\xEF\xBB\xBF", "\xEF\xBB\xBF" "A=1\n", "A", "1");
	U("a file of exports gets an export", "export A=1\nexport B=2\n",
	  "export A=1\nexport B=2\nexport C=3\n", "C", "3");
	U("a multi-line value is replaced whole", "A='x\ny'\nB=2\n", "A=z\nB=2\n", "A", "z");
	U("a continued value is replaced whole", "A=ab\\\ncd # c\nB=2\n", "A=q # c\nB=2\n", "A", "q");
	U("append to a CRLF file cut after its \\r", "A=1\r\nB=\"x\"\r", "A=1\r\nB=\"x\"\r\nC=3\r\n", "C", "3");
	U("append after a continuation at the end of the file", "A=x\\\n",
	  "A=x\\\n\nB=2\n", "B", "2");
	U("an empty value with a comment", "A= # c\n", "A=v # c\n", "A", "v");
	U("set_many: one key twice, the last wins", "A=1\n", "A=3\nN=y\n",
	  "A", "2", "N", "x", "A", "3", "N", "y");
	U("set then unset in one call", "A=1\nB=2\n", "A=1\n", "B", "3", "B", NULL);
	U("unset then set in one call", "A=1\nB=2\n", "A=1\nB=4\n", "B", NULL, "B", "4");
	U("unset of an absent key changes nothing", "A=1\n", "A=1\n", "Z", NULL);
}

static void round_trip(const char *value)
{
	struct envfile *ef = PARSE("# c\nK=old # k\nL=1\n"), *back = NULL;
	char *r = NULL;
	size_t len = 0;

	if (ef && !envfile_set(ef, "K", value) && !envfile_set(ef, "NEW", value))
		r = envfile_render(ef, &len);
	if (r)
		back = envfile_parse("t.env", r, len);
	ok(back && !strcmp(envfile_get(back, "K"), value) && !strcmp(envfile_get(back, "NEW"), value) &&
	   !strcmp(envfile_get(back, "L"), "1") && !strcmp(envfile_get(ef, "K"), value),
	   "round trip of [%s]", value);
	free(r);
	envfile_free(back);
	envfile_free(ef);
}

static void test_round_trips(void)
{
	static const char *const values[] = {
		"simple", "", "a b", "it's", "'", "''", "$HOME", "$(id)", "`id`", "a\\b", "#hash",
		"a#b", "~/x", "x:~", "tab\there", "日本語", "=", "a=b", "\"dq\"", " lead", "trail ",
		"*", "!x", "back\\", "a;b|c&d>e<f(g)h", "${X}", "\xff\xfe", NULL,
	};
	const char *const *v;
	struct envfile *ef = PARSE("A=1\n");
	char *r, *err, *big;
	int rc;

	for (v = values; *v; v++)
		round_trip(*v);

	capture_start();
	ok(envfile_set(ef, "A", "x\ny") == -1, "a value with a newline is refused");
	ok(envfile_set(ef, "A", "x\r") == -1, "a value with a carriage return is refused");
	ok(envfile_set(ef, "1A", "x") == -1, "an invalid key name is refused");
	ok(envfile_set(ef, "A B", "x") == -1, "a key with a space is refused");
	ok(envfile_unset(ef, "") == -1, "an empty key is refused");
	free(capture_end());
	big = malloc(70001);
	memset(big, 'v', 70000);
	big[70000] = '\0';
	capture_start();
	rc = envfile_set(ef, "A", big);
	err = capture_end();
	ok(rc == -1 && strstr(err, "longer than 64 KiB") && strstr(err, "nothing was changed"),
	   "a value that would make a line over 64 KiB is refused");
	free(err);
	free(big);
	r = envfile_render(ef, NULL);
	is_str(r, "A=1\n", "refused updates change nothing");
	free(r);
	envfile_free(ef);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void rm_rf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Files in dir whose name starts with .NAME. (temp files left behind). */
static int temp_files(const char *name)
{
	char prefix[256];
	struct dirent *d;
	DIR *dp = opendir(dir);
	int n = 0;

	snprintf(prefix, sizeof(prefix), ".%s.", name);
	while (dp && (d = readdir(dp)))
		n += !strncmp(d->d_name, prefix, strlen(prefix));
	if (dp)
		closedir(dp);
	return n;
}

/* Loads path expecting a refusal whose one line holds needle. */
static void load_refused(const char *what, const char *path, const char *needle)
{
	struct envfile *ef;
	char *err;

	capture_start();
	ef = envfile_load(path, 0);
	err = capture_end();
	if (!ok(!ef && strstr(err, path) && strstr(err, needle) && count_lines(err) == 1, "refuses %s", what))
		diag("stderr: %s", err);
	envfile_free(ef);
	free(err);
}

static void test_load(void)
{
	struct envfile *ef;
	char *big;
	size_t n = 1024 * 1024;

	ef = envfile_load(in_dir("missing.env"), 1);
	ok(ef && envfile_count(ef) == 0, "a missing file is an empty envfile when missing_ok");
	envfile_free(ef);
	load_refused("a missing file", in_dir("missing.env"), "No such file or directory; create it");
	mkdir(in_dir("adir"), 0755);
	load_refused("a directory", in_dir("adir"), "is a directory, not a regular file");
	mkfifo(in_dir("fifo"), 0600);
	load_refused("a FIFO (without blocking)", in_dir("fifo"), "is a FIFO");
	symlink("/dev/zero", in_dir("zero.env"));
	load_refused("a symlink to /dev/zero", in_dir("zero.env"), "is a character device");
	symlink("loop.env", in_dir("loop.env"));
	load_refused("a symlink loop", in_dir("loop.env"), strerror(ELOOP));
	write_str(in_dir("plain"), "A=1\n", 0644);
	load_refused("a path through a file", in_dir("plain/x.env"), strerror(ENOTDIR));
	if (geteuid() != 0) {
		write_str(in_dir("locked.env"), "A=1\n", 0);
		load_refused("an unreadable file", in_dir("locked.env"), strerror(EACCES));
	} else {
		ok(1, "# SKIP root reads a mode-0 file");
	}

	symlink("plain", in_dir("link.env"));
	ef = envfile_load(in_dir("link.env"), 0);
	ok(ef && !strcmp(envfile_get(ef, "A"), "1"), "a symlink to a regular file is followed");
	envfile_free(ef);

	big = malloc(n + 2);
	memset(big, '#', n);
	for (size_t i = 60000; i < n; i += 60000)
		big[i] = '\n';
	memcpy(big + n - 5, "\nA=1\n", 5);
	write_file(in_dir("full.env"), big, n, 0600);
	ef = envfile_load(in_dir("full.env"), 0);
	ok(ef && !strcmp(envfile_get(ef, "A"), "1"), "a file of exactly 1 MiB loads");
	envfile_free(ef);
	big[n] = '\n';
	write_file(in_dir("huge.env"), big, n + 1, 0600);
	load_refused("a file over 1 MiB", in_dir("huge.env"), "over the 1 MiB limit");
	memset(big, 'x', 1000000);
	memcpy(big, "A=", 2);
	big[1000000] = '\n';
	write_file(in_dir("longline.env"), big, 1000001, 0600);
	load_refused("a 1 MB line", in_dir("longline.env"), ":1: line is longer than 64 KiB");
	free(big);
	write_file(in_dir("nul.env"), "A=1\n\0\n", 6, 0600);
	load_refused("binary bytes", in_dir("nul.env"), ":2: NUL byte");
	write_str(in_dir("dup.env"), "A=1\nA=2\n", 0600);
	load_refused("a duplicate key", in_dir("dup.env"), ":2: A is set twice (lines 1 and 2)");
}

static int file_is(const char *path, const char *want)
{
	char *got = slurp(path, NULL);
	int same = got && !strcmp(got, want);

	if (!same)
		diag("%s: [%s], want [%s]", path, got ? got : "(unreadable)", want);
	free(got);
	return same;
}

static void test_write(void)
{
	const char *text = "# phase 1\nexport AWS_REGION=us-east-2 # r\r\n\nVPC_ID='vpc-1'\n";
	const char *p = in_dir("aws-resources.env");
	struct envfile *ef, *back;
	struct stat st, st2;
	const char *many[] = { "TG_ARN", "arn:x", "VPC_ID", "vpc-2", "AWS_REGION", NULL, NULL };
	char *r;
	size_t len;

	write_str(p, text, 0640);
	ef = envfile_load(p, 0);
	ok(ef != NULL, "loads the file");
	if (!ef)
		return;
	r = envfile_render(ef, &len);
	ok(len == strlen(text) && !strcmp(r, text), "render of a loaded file is the file, byte for byte");
	free(r);
	stat(p, &st);
	ok(envfile_set(ef, "VPC_ID", "vpc-0a1b2c3d") == 0, "set writes");
	ok(file_is(p, "# phase 1\nexport AWS_REGION=us-east-2 # r\r\n\nVPC_ID=vpc-0a1b2c3d\n"),
	   "the file has the new value and every other byte");
	stat(p, &st2);
	is_int(st2.st_mode & 07777, 0640, "mode 0640 stays 0640");
	ok(st2.st_ino != st.st_ino, "the file was replaced (rename), not rewritten in place");
	is_int(temp_files("aws-resources.env"), 0, "no temp file left");
	r = envfile_render(ef, NULL);
	ok(file_is(p, r), "render is exactly what was written");
	free(r);

	ok(envfile_set(ef, "VPC_ID", "vpc-0a1b2c3d") == 0, "setting the same value succeeds");
	stat(p, &st);
	ok(st.st_ino == st2.st_ino, "and does not rewrite the file");

	ok(envfile_set_many(ef, many) == 0, "set_many writes");
	ok(file_is(p, "# phase 1\n\nVPC_ID=vpc-2\nTG_ARN=arn:x\n"), "new, replaced and removed keys in one write");
	back = envfile_load(p, 0);
	ok(back && !strcmp(envfile_get(back, "TG_ARN"), "arn:x") && !envfile_get(back, "AWS_REGION"),
	   "a fresh load reads what was written");
	envfile_free(back);

	/* someone else edits the file between our load and our set */
	write_str(p, "# theirs\nVPC_ID=vpc-2\nTG_ARN=arn:x\nTHEIRS=1\n", 0640);
	ok(envfile_set(ef, "MINE", "2") == 0, "set after an edit on disk");
	ok(file_is(p, "# theirs\nVPC_ID=vpc-2\nTG_ARN=arn:x\nTHEIRS=1\nMINE=2\n"),
	   "the other edit is kept, not clobbered");
	ok(envfile_get(ef, "THEIRS") && !strcmp(envfile_get(ef, "THEIRS"), "1"), "and is seen in memory");
	write_str(p, "VPC_ID=$(evil)\n", 0640);
	capture_start();
	ok(envfile_set(ef, "MINE", "3") == -1, "a file broken on disk since the load is not overwritten");
	r = capture_end();
	ok(strstr(r, "changed on disk") != NULL && file_is(p, "VPC_ID=$(evil)\n"), "and says so");
	free(r);
	envfile_free(ef);

	ef = envfile_load(in_dir("new.env"), 1);
	ok(ef && envfile_unset(ef, "A") == 0 && access(in_dir("new.env"), F_OK) != 0,
	   "unset on a missing file creates nothing");
	ok(ef && envfile_set(ef, "A", "1") == 0 && file_is(in_dir("new.env"), "A=1\n"), "set creates a new file");
	stat(in_dir("new.env"), &st);
	is_int(st.st_mode & 07777, 0600, "a new file is 0600");
	envfile_free(ef);
}

static void test_write_symlink(void)
{
	struct envfile *ef;
	struct stat st;

	mkdir(in_dir("real"), 0700);
	write_str(in_dir("real/target.env"), "A=1\n", 0644);
	symlink("real/target.env", in_dir("linked.env"));
	ef = envfile_load(in_dir("linked.env"), 0);
	ok(ef && envfile_set(ef, "B", "2") == 0, "set through a symlink");
	ok(lstat(in_dir("linked.env"), &st) == 0 && S_ISLNK(st.st_mode), "the symlink stays a symlink");
	ok(file_is(in_dir("real/target.env"), "A=1\nB=2\n"), "the target has the update");
	ok(stat(in_dir("real/target.env"), &st) == 0 && (st.st_mode & 07777) == 0644, "the target keeps its mode");
	envfile_free(ef);

	symlink("real/nothing.env", in_dir("dangling.env"));
	ef = envfile_load(in_dir("dangling.env"), 1);
	capture_start();
	ok(ef && envfile_set(ef, "A", "1") == -1, "a dangling symlink is not replaced by a file");
	free(capture_end());
	ok(lstat(in_dir("dangling.env"), &st) == 0 && S_ISLNK(st.st_mode), "the link is still there");
	envfile_free(ef);
}

/* A temp file left by a writer killed before its rename goes at the next
 * write; a live writer's, and files merely named alike, stay. */
static void test_write_stale_temps(void)
{
	char dead[PATH_MAX], live[PATH_MAX], other[PATH_MAX];
	struct envfile *ef;
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0); /* pid is now a process that is gone */
	write_str(in_dir("stale.env"), "A=1\n", 0600);
	snprintf(dead, sizeof(dead), "%s/.stale.env.%ld.Ab12Cd", in_dir(""), (long)pid);
	snprintf(live, sizeof(live), "%s/.stale.env.%ld.Ef34Gh", in_dir(""), (long)getppid());
	snprintf(other, sizeof(other), "%s/.stale.env.backup", in_dir(""));
	write_str(dead, "A=0\nDB_PASSWORD=x\n", 0600);
	write_str(live, "A=0\n", 0600);
	write_str(other, "A=0\n", 0600);
	ef = envfile_load(in_dir("stale.env"), 0);
	ok(ef && envfile_set(ef, "B", "2") == 0 && file_is(in_dir("stale.env"), "A=1\nB=2\n"),
	   "a write next to stale temp files");
	ok(access(dead, F_OK) != 0, "removes the temp file of a writer that is gone");
	ok(access(live, F_OK) == 0 && access(other, F_OK) == 0,
	   "keeps a live writer's and a file that only looks alike");
	envfile_free(ef);
}

static void test_write_failures(void)
{
	const char *p = in_dir("fail.env");
	struct envfile *ef;
	struct rlimit old, lim;
	char *err;
	int rc;

	/* a write that fails even for root: over RLIMIT_FSIZE */
	write_str(p, "A=old-value\n# keep me\n", 0600);
	ef = envfile_load(p, 0);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 16;
	signal(SIGXFSZ, SIG_IGN);
	setrlimit(RLIMIT_FSIZE, &lim);
	capture_start();
	rc = ef ? envfile_set(ef, "A", "a-much-longer-new-value") : 0;
	err = capture_end();
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_DFL);
	ok(rc == -1, "a failed write returns -1");
	ok(strstr(err, "cannot write") && strstr(err, "the old file is unchanged") && count_lines(err) == 1,
	   "with one clear line");
	free(err);
	ok(file_is(p, "A=old-value\n# keep me\n"), "the old file is intact");
	is_int(temp_files("fail.env"), 0, "the temp file is removed");
	ok(ef && !strcmp(envfile_get(ef, "A"), "old-value"), "memory still holds the old value");
	ok(ef && envfile_set(ef, "A", "a-much-longer-new-value") == 0 &&
	   file_is(p, "A=a-much-longer-new-value\n# keep me\n"), "the same set works once it can");
	envfile_free(ef);

	/* the file turned into a non-empty directory after the load */
	write_str(p, "A=1\n", 0600);
	ef = envfile_load(p, 0);
	unlink(p);
	mkdir(p, 0700);
	write_str(in_dir("fail.env/inside"), "x", 0600);
	capture_start();
	rc = ef ? envfile_set(ef, "A", "2") : 0;
	err = capture_end();
	ok(rc == -1 && strstr(err, "fail.env"), "a target that became a directory is refused");
	ok(file_is(in_dir("fail.env/inside"), "x"), "and left as it was");
	is_int(temp_files("fail.env"), 0, "no temp file left");
	free(err);
	envfile_free(ef);
	rm_rf(p);

	/* the folder is gone */
	mkdir(in_dir("gone"), 0700);
	write_str(in_dir("gone/x.env"), "A=1\n", 0600);
	ef = envfile_load(in_dir("gone/x.env"), 0);
	unlink(in_dir("gone/x.env"));
	rmdir(in_dir("gone"));
	capture_start();
	rc = ef ? envfile_set(ef, "A", "2") : 0;
	err = capture_end();
	ok(rc == -1 && strstr(err, "cannot create a temp file"), "a folder that is gone: a clear error");
	free(err);
	envfile_free(ef);
}

/* envfile_defer_write_errors: a write that fails (over RLIMIT_FSIZE, as
 * on a full disk) says nothing and fails nothing; memory has the values,
 * envfile_unwritten names each key once; the first write that works
 * records them all. */
static void test_write_deferred(void)
{
	const char *p = in_dir("defer.env"), *why = NULL, *keys;
	const char *two[] = { "B", "bee", "C", "sea", NULL };
	struct envfile *ef;
	struct rlimit old, lim;
	char *err;
	int rc;

	write_str(p, "A=old-value\n", 0600);
	ef = envfile_load(p, 0);
	envfile_defer_write_errors(ef, 1);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 4;
	signal(SIGXFSZ, SIG_IGN);
	setrlimit(RLIMIT_FSIZE, &lim);
	capture_start();
	rc = envfile_set(ef, "A", "new-value");
	rc |= envfile_set_many(ef, two);
	rc |= envfile_set(ef, "A", "newer-value");
	err = capture_end();
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_DFL);
	ok(rc == 0 && *err == '\0', "deferred: three failed writes return 0 and say nothing");
	free(err);
	keys = envfile_unwritten(ef, &why);
	is_str(keys ? keys : "(null)", "A, B, C", "each key not written is named once");
	ok(why && strstr(why, "cannot write") && strstr(why, "File too large"), "and why (%s)", why ? why : "");
	ok(!strcmp(envfile_get(ef, "A"), "newer-value") && !strcmp(envfile_get(ef, "C"), "sea"),
	   "memory has the values");
	ok(file_is(p, "A=old-value\n"), "the file is as it was");
	is_int(temp_files("defer.env"), 0, "no temp file left");
	ok(envfile_set(ef, "D", "dee") == 0 && file_is(p, "A=newer-value\nB=bee\nC=sea\nD=dee\n") &&
	   !envfile_unwritten(ef, NULL), "the next write that works records them all");
	envfile_free(ef);
}

static void test_secrets_on_disk(void)
{
	const char *p = in_dir("secret.env");
	struct envfile *ef;
	char *err;

	write_str(p, "DB_PASSWORD='pw-on-disk-123'\nVPC_ID=vpc-xyz\n", 0600);
	capture_start();
	ef = envfile_load(p, 0);
	if (ef) {
		envfile_validate(ef, vars);
		envfile_set(ef, "DB_PASSWORD", "pw-new\n456");
		envfile_set(ef, "DB_PASSWORD", "pw-new-789");
		envfile_set(ef, "1BAD", "pw-new-789");
	}
	err = capture_end();
	ok(ef && *err && !strstr(err, "pw-on-disk-123") && !strstr(err, "pw-new"),
	   "no secret value in any error of load, validate or set");
	free(err);
	envfile_free(ef);
	redact_clear();
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");

	plan(243);
	snprintf(dir, sizeof(dir), "%s/test-envfile.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp %s: %s\n", dir, strerror(errno));
		return 1;
	}
	test_accepted();
	test_structure();
	test_rejected();
	test_redact_registered();
	test_validate();
	test_update_text();
	test_round_trips();
	test_load();
	test_write();
	test_write_symlink();
	test_write_stale_temps();
	test_write_failures();
	test_write_deferred();
	test_secrets_on_disk();
	rm_rf(dir);
	redact_clear();
	return done();
}
