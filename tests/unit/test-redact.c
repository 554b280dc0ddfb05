/* Redaction: a secret is hidden where it stands as a token of its own and
 * nowhere inside another one; short values are not hidden but reported;
 * the user:password@ of a URL is hidden. */
#include <stdlib.h>
#include <string.h>

#include "redact.h"
#include "tap.h"

static void shown(const char *in, const char *want, const char *what)
{
	char *s = redact_apply(in);

	is_str(s, want, "%s", what);
	free(s);
}

static void test_tokens(void)
{
	redact_add("8bbefc32");
	shown("sg-8bbefc321c12564", "sg-8bbefc321c12564", "a secret inside an id leaves the id exact");
	shown("sg-08bbefc32", "sg-08bbefc32", "nor at the end of an id");
	shown("id 8bbefc32-x.y", "id 8bbefc32-x.y", "nor at the start of a dashed token");
	shown("pw 8bbefc32.", "pw ***.", "a secret at the end of a sentence is hidden");
	shown("--value=8bbefc32", "--value=***", "after '=' it is hidden");
	shown("{\"value\":\"8bbefc32\"}", "{\"value\":\"***\"}", "inside a JSON string it is hidden");
	shown("name=DB,value=8bbefc32}", "name=DB,value=***}", "in CLI shorthand it is hidden");
	shown("8bbefc328bbefc32", "******", "the same secret twice in a row is hidden twice");
	redact_clear();

	redact_add("s3cr3t-Pa55w0rd!");
	shown("x s3cr3t-Pa55w0rd!y", "x ***y", "a secret ending in punctuation needs no boundary after it");
	shown("postgres://app:s3cr3t-Pa55w0rd!@db:5432", "postgres://***@db:5432",
	      "a secret as a URL password is hidden");
	redact_clear();
}

static void test_keys(void)
{
	ok(redact_key_is_secret("JWT_TOKEN_TTL_HOURS"), "JWT_TOKEN_TTL_HOURS looks like a secret");
	redact_not_secret("JWT_TOKEN_TTL_HOURS, SESSION_SECRET_ROTATION");
	ok(!redact_key_is_secret("JWT_TOKEN_TTL_HOURS"), "AWSPHASE_NOT_SECRET lists it: not a secret");
	ok(!redact_key_is_secret("SESSION_SECRET_ROTATION"), "nor the second name of the list");
	ok(redact_key_is_secret("DB_PASSWORD"), "DB_PASSWORD still is");
	ok(!redact_key_is_secret("AWSPHASE_NOT_SECRET"), "nor is the list itself a secret");
	ok(!redact_key_is_secret("DB_SECRET_ARN") && !redact_key_is_secret("DB_SECRET_NAME"),
	   "DB_SECRET_ARN, DB_SECRET_NAME: where a secret is kept, not one");
	ok(redact_key_is_secret("ARN_SECRET") && redact_key_is_secret("SECRET_NAMES"),
	   "only as the key's last part: ARN_SECRET and SECRET_NAMES are secrets");
	is_int(redact_add_key("JWT_TOKEN_TTL_HOURS", "1"), 0, "a key listed as not secret is not registered");
	shown("1 task of 1", "1 task of 1", "so its value is shown");

	is_int(redact_add_key("DB_PASSWORD", "true"), 1, "a secret under 8 characters is refused, once");
	is_int(redact_add_key("DB_PASSWORD", "true"), 0, "and said only once");
	shown("\"ok\": true", "\"ok\": true", "a short value is never replaced");
	is_int(redact_add_key("DB_PASSWORD", "long-enough-pw"), 0, "a long one is registered");
	shown("pw long-enough-pw", "pw ***", "and hidden");
	is_int(redact_add_key("VPC_ID", "vpc-1"), 0, "a value of no secret key is not registered");
	redact_clear();
	ok(redact_key_is_secret("JWT_TOKEN_TTL_HOURS"), "clear forgets the list");
}

static void test_urls(void)
{
	shown("--endpoint-url http://user:pass@127.0.0.1:5000/x", "--endpoint-url http://***@127.0.0.1:5000/x",
	      "a URL's user:password is hidden");
	shown("'https://AKIA:x@y@host'", "'https://***@host'", "up to the last @ of the authority");
	shown("http://host/path@x", "http://host/path@x", "an @ after the host is no userinfo");
	shown("mailto:a@b and a@b", "mailto:a@b and a@b", "no :// no URL");
	shown("http://127.0.0.1:5000", "http://127.0.0.1:5000", "a URL without userinfo is kept");
}

int main(void)
{
	plan(31);
	test_tokens();
	test_keys();
	test_urls();
	return done();
}
