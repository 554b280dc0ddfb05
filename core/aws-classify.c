/* What an aws CLI failure means, from its exit code and stderr, and which
 * operations change anything.  Pure functions over the texts both CLI
 * versions print (tests/unit/test-aws.c holds captured samples). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws.h"
#include "i18n.h"
#include "pattern.h"
#include "strbuf.h"

#define API_ERROR "An error occurred \\((\\S+)\\) when calling the (\\w+) operation" \
	"(?: \\(reached max retries: \\d+\\))?: (.*)"

/* botocore's throttling codes, less LimitExceededException: that one is
 * mostly a quota, and retrying a quota only burns the budget. */
#define THROTTLING_CODES "Throttling|ThrottlingException|ThrottledException|" \
	"RequestThrottled|RequestThrottledException|RequestLimitExceeded|" \
	"TooManyRequestsException|ProvisionedThroughputExceededException|SlowDown|" \
	"BandwidthLimitExceeded|PriorRequestNotComplete|EC2ThrottledException"

/* 5xx and transient codes; a bare HTTP status is what the CLI prints when
 * the body had no code (a 502 from a proxy). */
#define SERVER_CODES "InternalError|InternalFailure|InternalServerError|" \
	"InternalServerErrorException|InternalServiceError|InternalServiceException|" \
	"ServiceUnavailable|ServiceUnavailableException|ServerException|ServiceFailure|" \
	"Unavailable|RequestTimeout|RequestTimeoutException|5\\d\\d"

#define CREDENTIAL_CODES "ExpiredToken|ExpiredTokenException|InvalidClientTokenId|" \
	"UnrecognizedClientException|InvalidAccessKeyId|SignatureDoesNotMatch|" \
	"InvalidSignatureException|AuthFailure|MissingAuthenticationToken|" \
	"IncompleteSignature|RequestExpired|TokenRefreshRequired"

/* botocore's connection errors as the CLI prints them */
#define CONNECTION_TEXT "Could not connect to the endpoint URL|Connection was closed" \
	"|Read timeout on endpoint URL|Connect timeout on endpoint URL|EndpointConnectionError" \
	"|ConnectionClosedError|ReadTimeoutError|ConnectTimeoutError|Connect timeout" \
	"|Connection reset by peer|An HTTP Client raised an unhandled exception" \
	"|Failed to establish a new connection|Max retries exceeded with url"

#define CREDENTIAL_TEXT "Unable to locate credentials|Partial credentials found" \
	"|Error loading SSO Token|The SSO session|Token has expired and refresh failed" \
	"|Error when retrieving token from sso|Error when retrieving credentials from" \
	"|The security token included in the request is (?:expired|invalid)" \
	"|ExpiredToken|InvalidClientTokenId|UnrecognizedClientException" \
	"|The config profile \\(.*\\) could not be found|Unable to parse config file" \
	"|You must specify a region"

#define USAGE_TEXT "(?m)^(?:aws: error: |usage: aws|Unknown options: |Parameter validation failed:)"

/* botocore could not parse the body of an answer (a proxy's "502 Bad
 * Gateway" page where the query protocol wants XML) and prints its bytes
 * repr; it says itself that retries may succeed.  The status, when the body
 * names one, is the code. */
#define UNPARSABLE_ANSWER "Unable to parse response \\([^\n]*\\), invalid (?:XML|JSON) received"
#define BODY_5XX "\\b(5\\d\\d) +([A-Z][A-Za-z]+(?:[ -][A-Z][A-Za-z]+)*)"

#define HTTP_5XX "(?:HTTP|[Ss]tatus(?: [Cc]ode)?:?) ?(50[0234])\\b"

static void copy_line(char *dst, size_t size, const char *src)
{
	size_t i = 0;

	while (*src == ' ' || *src == '\t')
		src++;
	while (src[i] && src[i] != '\n' && src[i] != '\r' && i + 1 < size) {
		dst[i] = (unsigned char)src[i] < 0x20 ? ' ' : src[i];
		i++;
	}
	while (i > 0 && (dst[i - 1] == ' ' || dst[i - 1] == '\t'))
		i--;
	dst[i] = '\0';
}

/* The last line that says something, skipping the CLI's help boilerplate. */
static void last_line(char *dst, size_t size, const char *text)
{
	const char *p = text, *best = NULL;

	while (*p) {
		const char *q = p + strspn(p, " \t\r");

		if (*q && *q != '\n' && strncmp(q, "aws help", 8) != 0 &&
		    strncmp(q, "aws <command>", 13) != 0 && strncmp(q, "To see help text", 16) != 0)
			best = q;
		p = strchr(p, '\n');
		if (!p)
			break;
		p++;
	}
	copy_line(dst, size, best ? best : "");
}

/* stderr made safe for PCRE2's UTF mode: invalid sequences become '?'. */
static char *valid_utf8(const char *s)
{
	size_t len = strlen(s), i = 0;
	char *d;

	if (len > 262144) /* the end says what went wrong */
		s += len - 262144;
	d = xstrdup(s);
	while (d[i]) {
		unsigned char c = (unsigned char)d[i];
		size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 :
			(c & 0xf8) == 0xf0 ? 4 : 0;
		size_t k;

		for (k = 1; k < n; k++)
			if (((unsigned char)d[i + k] & 0xc0) != 0x80)
				break;
		if (n == 0 || k < n || (n == 2 && c < 0xc2)) {
			d[i++] = '?';
			continue;
		}
		i += n;
	}
	return d;
}

/* Copies the first line matching pattern (from the match on) into dst. */
static int grab(const char *pattern, const char *text, char *dst, size_t size)
{
	char line[512];

	if (pattern_capture(pattern, text, 0, line, sizeof(line)) != 1)
		return 0;
	copy_line(dst, size, line);
	return 1;
}

/* The line of a usage error that says what was wrong. */
static void usage_message(char *dst, size_t size, const char *text)
{
	char detail[400];

	if (grab("(?m)^aws: error: .*", text, dst, size) ||
	    grab("(?m)^Unknown options: .*", text, dst, size))
		return;
	if (pattern_capture("(?m)^Parameter validation failed:\\s*\\n(.*)", text, 1,
			    detail, sizeof(detail)) == 1) {
		copy_line(detail, sizeof(detail), detail);
		snprintf(dst, size, "Parameter validation failed: %s", detail);
		return;
	}
	last_line(dst, size, text);
}

static int matches(const char *pattern, const char *s)
{
	return pattern_match(pattern, s) == 1;
}

static enum aws_error_kind kind_of_code(const char *code)
{
	if (pattern_full_match(THROTTLING_CODES, code) == 1)
		return AWS_ERR_THROTTLED;
	if (pattern_full_match(SERVER_CODES, code) == 1)
		return AWS_ERR_SERVER;
	if (pattern_full_match(CREDENTIAL_CODES, code) == 1)
		return AWS_ERR_CREDENTIALS;
	return AWS_ERR_API;
}

void aws_classify(int exit_code, const char *err_text, struct aws_error *out)
{
	char *text = valid_utf8(err_text ? err_text : "");

	memset(out, 0, sizeof(*out));
	if (pattern_capture(API_ERROR, text, 1, out->code, sizeof(out->code)) == 1) {
		pattern_capture(API_ERROR, text, 2, out->operation, sizeof(out->operation));
		pattern_capture(API_ERROR, text, 3, out->message, sizeof(out->message));
		copy_line(out->message, sizeof(out->message), out->message);
		out->kind = kind_of_code(out->code);
	} else if (grab("(?m)^.*(?:" CONNECTION_TEXT ").*", text, out->message, sizeof(out->message))) {
		out->kind = AWS_ERR_CONNECTION;
	} else if (grab("(?m)^.*(?:" CREDENTIAL_TEXT ").*", text, out->message, sizeof(out->message))) {
		out->kind = AWS_ERR_CREDENTIALS;
	} else if (exit_code == 252 || exit_code == 2 || matches(USAGE_TEXT, text)) {
		out->kind = AWS_ERR_CLI;
		usage_message(out->message, sizeof(out->message), text);
	} else if (exit_code == 127 || exit_code == 126) {
		char line[400];

		out->kind = AWS_ERR_CLI;
		copy_line(line, sizeof(line), text + strspn(text, " \t\r\n"));
		if (exit_code == 127)
			snprintf(out->message, sizeof(out->message), _("the aws CLI was not found%s%s"),
				 *line ? ": " : "", line);
		else
			snprintf(out->message, sizeof(out->message), _("the aws CLI is not executable%s%s"),
				 *line ? ": " : "", line);
	} else if (exit_code == 253) {
		out->kind = AWS_ERR_CREDENTIALS; /* v2: the configuration is wrong */
		last_line(out->message, sizeof(out->message), text);
	} else if (matches(UNPARSABLE_ANSWER, text)) {
		out->kind = AWS_ERR_SERVER;
		if (pattern_capture(BODY_5XX, text, 1, out->code, sizeof(out->code)) == 1)
			pattern_capture(BODY_5XX, text, 2, out->message, sizeof(out->message));
		else
			snprintf(out->message, sizeof(out->message), "%s",
				 _("the endpoint's answer was not AWS's (the aws CLI could not parse it)"));
	} else if (pattern_capture(HTTP_5XX, text, 1, out->code, sizeof(out->code)) == 1) {
		out->kind = AWS_ERR_SERVER;
		last_line(out->message, sizeof(out->message), text);
	} else {
		/* not AWS speaking (that always reads "An error occurred"): the
		 * CLI itself failed */
		out->kind = AWS_ERR_CLI;
		last_line(out->message, sizeof(out->message), text);
		if (!out->message[0])
			snprintf(out->message, sizeof(out->message),
				 _("the aws CLI exited with %d and said nothing"), exit_code);
	}
	free(text);
}

const char *aws_error_hint(const struct aws_error *e)
{
	switch (e->kind) {
	case AWS_ERR_API:
		if (pattern_full_match("AccessDenied(?:Exception)?|UnauthorizedOperation|"
				       "AuthorizationError|UnauthorizedException", e->code) == 1)
			return _("the caller lacks this permission: check the IAM policies of "
				 "`aws sts get-caller-identity`");
		return NULL;
	case AWS_ERR_CREDENTIALS:
		return _("check `aws sts get-caller-identity` / --profile");
	case AWS_ERR_THROTTLED:
		return _("AWS is throttling this account; retry later");
	case AWS_ERR_SERVER:
		return _("AWS is failing; retry later");
	case AWS_ERR_CONNECTION:
		return _("check --endpoint-url / network");
	case AWS_ERR_TIMEOUT:
		return _("check --endpoint-url / network, or retry later");
	case AWS_ERR_CLI:
		return _("check `aws --version`; awsphase needs aws CLI v1 or v2");
	default:
		return NULL;
	}
}

int aws_error_retryable(const struct aws_error *e)
{
	switch (e->kind) {
	case AWS_ERR_THROTTLED:
	case AWS_ERR_SERVER:
	case AWS_ERR_CONNECTION:
	case AWS_ERR_TIMEOUT:
		return 1;
	default:
		return 0;
	}
}

/* The first word of an operation decides; "batch-" looks at the second. */
static const struct {
	const char *verb;
	int mutating;
} verbs[] = {
	{ "add", 1 }, { "apply", 1 }, { "associate", 1 }, { "attach", 1 },
	{ "authorize", 1 }, { "cp", 1 }, { "create", 1 }, { "delete", 1 },
	{ "deregister", 1 }, { "detach", 1 }, { "disable", 1 }, { "disassociate", 1 },
	{ "enable", 1 }, { "modify", 1 }, { "mv", 1 }, { "put", 1 }, { "reboot", 1 },
	{ "register", 1 }, { "remove", 1 }, { "replace", 1 }, { "reset", 1 },
	{ "restore", 1 }, { "revoke", 1 }, { "rm", 1 }, { "run", 1 }, { "set", 1 },
	{ "start", 1 }, { "stop", 1 }, { "sync", 1 }, { "tag", 1 }, { "terminate", 1 },
	{ "untag", 1 }, { "update", 1 },

	{ "decode", 0 }, { "describe", 0 }, { "filter", 0 }, { "get", 0 }, { "head", 0 },
	{ "list", 0 }, { "lookup", 0 }, { "ls", 0 }, { "presign", 0 }, { "query", 0 },
	{ "scan", 0 }, { "search", 0 }, { "simulate", 0 }, { "tail", 0 }, { "test", 0 },
	{ "validate", 0 }, { "wait", 0 },
};

int aws_is_mutating(const char *operation)
{
	size_t i, len;

	if (!operation)
		return 1;
	if (strncmp(operation, "batch-", 6) == 0)
		operation += 6;
	len = strcspn(operation, "-");
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strlen(verbs[i].verb) == len && strncmp(verbs[i].verb, operation, len) == 0)
			return verbs[i].mutating;
	return 1; /* unknown: not run under --dry-run */
}
