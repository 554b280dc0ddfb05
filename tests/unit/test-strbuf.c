/* strbuf, redact and pattern: the small pieces every message goes through. */
#include <stdlib.h>
#include <string.h>

#include "pattern.h"
#include "redact.h"
#include "strbuf.h"
#include "tap.h"

static void test_strbuf(void)
{
	struct strbuf sb = STRBUF_INIT;
	char *s;
	size_t i, alloc;

	is_str(strbuf_str(&sb), "", "an empty strbuf reads as \"\"");
	strbuf_add(&sb, NULL, 0);
	ok(sb.len == 0, "adding nothing from NULL is fine");
	strbuf_addstr(&sb, "abc");
	strbuf_addch(&sb, '-');
	strbuf_add(&sb, "xyz", 2);
	strbuf_addf(&sb, "%d/%s", 42, "q");
	is_str(sb.buf, "abc-xy42/q", "add, addstr, addch and addf append");
	is_int(sb.len, strlen("abc-xy42/q"), "len follows the content");
	ok(sb.buf[sb.len] == '\0', "always NUL-terminated");

	alloc = sb.alloc;
	strbuf_reset(&sb);
	ok(sb.len == 0 && sb.buf[0] == '\0' && sb.alloc == alloc, "reset empties and keeps the buffer");

	for (i = 0; i < 100000; i++)
		strbuf_addf(&sb, "%05zu", i % 100000);
	ok(sb.len == 500000 && !memcmp(sb.buf + 499995, "99999", 5), "grows to half a megabyte");
	strbuf_addf(&sb, "%s", "");
	is_int(sb.len, 500000, "an empty format adds nothing");

	s = strbuf_detach(&sb);
	ok(sb.buf == NULL && sb.len == 0 && sb.alloc == 0 && strlen(s) == 500000,
	   "detach hands over the string and leaves the strbuf empty");
	free(s);
	s = strbuf_detach(&sb);
	is_str(s, "", "detach of an empty strbuf gives a malloc'd \"\"");
	free(s);

	s = xstrndup("ab", 10);
	is_str(s, "ab", "xstrndup stops at the NUL like strndup");
	free(s);
	s = xstrndup("abcdef", 3);
	is_str(s, "abc", "xstrndup copies at most n bytes");
	free(s);
	strbuf_release(&sb);
	strbuf_release(&sb);
	ok(sb.buf == NULL, "release twice is harmless");
}

static void quoted(const char *in, const char *want)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_add_shell_quoted(&sb, in);
	is_str(strbuf_str(&sb), want, "shell-quoted %s", strchr(want, '\n') ? "(with a newline)" : want);
	strbuf_release(&sb);
}

static void test_shell_quote(void)
{
	quoted("vpc-0a1b2c3d", "vpc-0a1b2c3d");
	quoted("arn:aws:ecs:us-east-2:1:service/a_b.c,d@e+f%g=h", "arn:aws:ecs:us-east-2:1:service/a_b.c,d@e+f%g=h");
	quoted("", "''");
	quoted("a b", "'a b'");
	quoted("it's", "'it'\\''s'");
	quoted("$(id)", "'$(id)'");
	quoted("`id`;x", "'`id`;x'");
	quoted("~/x", "'~/x'");
	quoted("a\nb", "'a\nb'");
	quoted("*", "'*'");
}

static void test_redact(void)
{
	char *s;

	ok(redact_key_is_secret("DB_PASSWORD"), "DB_PASSWORD is a secret");
	ok(redact_key_is_secret("api_token"), "api_token is a secret (any case)");
	ok(redact_key_is_secret("AWS_SECRET_ACCESS_KEY"), "AWS_SECRET_ACCESS_KEY is a secret");
	ok(redact_key_is_secret("SSH_PRIVATE_KEY"), "SSH_PRIVATE_KEY is a secret");
	ok(!redact_key_is_secret("VPC_ID"), "VPC_ID is not a secret");
	ok(!redact_key_is_secret("PRIVATE_SUBNET_1"), "PRIVATE_SUBNET_1 is a network tier, not a secret");
	ok(!redact_key_is_secret("PRIVATE_EGRESS"), "PRIVATE_EGRESS (none, nat, endpoints) is no secret either");
	ok(!redact_key_is_secret("ECS_SG_ID"), "ECS_SG_ID is not a secret");

	s = redact_apply("nothing registered");
	is_str(s, "nothing registered", "no secrets: a plain copy");
	free(s);

	redact_add("hunter2");
	redact_add("hunter2-long");
	redact_add("");
	redact_add(NULL);
	redact_add("hunter2");
	s = redact_apply("a=hunter2 b=hunter2-long c=hunter");
	is_str(s, "a=*** b=*** c=hunter", "every secret hidden, the longest match first");
	free(s);
	s = redact_apply("");
	is_str(s, "", "an empty line stays empty");
	free(s);
	s = redact_apply("hunter2hunter2");
	is_str(s, "******", "adjacent secrets are both hidden");
	free(s);

	redact_clear();
	s = redact_apply("hunter2");
	is_str(s, "hunter2", "clear forgets the secrets");
	free(s);
	redact_clear();
}

static void test_pattern(void)
{
	char out[16];

	is_int(pattern_match("b", "abc"), 1, "match finds a match anywhere");
	is_int(pattern_full_match("b", "abc"), 0, "full match is anchored at both ends");
	is_int(pattern_full_match("vpc-[0-9a-f]{8,17}", "vpc-0a1b2c3d"), 1, "a VPC id matches");
	is_int(pattern_full_match("vpc-[0-9a-f]{8,17}", "vpc-xyz"), 0, "vpc-xyz does not");
	is_int(pattern_full_match("vpc-[0-9a-f]{8,17}", "vpc-0a1b2c3d\n"), 0,
	       "a trailing newline does not pass the end anchor");
	is_int(pattern_full_match("vpc-[0-9a-f]{8,17}", "xvpc-0a1b2c3d"), 0, "nor a prefix");
	is_int(pattern_full_match("a|ab", "ab"), 1, "alternatives are anchored as a whole");
	is_int(pattern_full_match("caf.", "caf\xc3\xa9"), 1, "UTF-8 subjects match by character");
	is_int(pattern_full_match("[a-z]+", "abc\xff"), 0, "invalid UTF-8 is no match, not an error");
	is_int(pattern_match("(?i)secret", "MY_SECRET"), 1, "inline flags work");

	is_int(pattern_capture("An error occurred \\(([A-Za-z.]+)\\)",
			       "An error occurred (ThrottlingException) when calling", 1, out, sizeof(out)),
	       1, "capture matches");
	is_str(out, "ThrottlingExcep", "a capture too long for the buffer is truncated");
	is_int(pattern_capture("(a)(b)?", "a", 2, out, sizeof(out)), 1, "an unset group still matches");
	is_str(out, "", "and copies nothing");
	is_int(pattern_capture("x(y)", "zzz", 1, out, sizeof(out)), 0, "no match: 0");
	is_str(out, "", "and an empty capture");

	printf("# a bad pattern is reported on stderr:\n");
	fflush(stdout);
	is_int(pattern_match("(unclosed", "x"), -1, "a bad pattern: -1");
	pattern_free_all();
	is_int(pattern_full_match("a+", "aaa"), 1, "patterns compile again after free_all");
	pattern_free_all();
}

int main(void)
{
	plan(54);
	test_strbuf();
	test_shell_quote();
	test_redact();
	test_pattern();
	return done();
}
