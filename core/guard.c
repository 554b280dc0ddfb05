/* The account and region guard (guard.h).  Deploying staging's env file
 * with production's credentials is the classic accident: the env file says
 * which account it belongs to (AWS_ACCOUNT_ID, and the account and region
 * in every ARN it holds), and a run that is to change something compares
 * before its first aws call, and records the account before its first
 * change.  It costs one sts call a process at most, shared with the
 * modules (the host's caller_identity), and none for a read-only run of
 * an env file that records no account. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "aws.h"
#include "guard.h"
#include "i18n.h"
#include "json.h"
#include "log.h"
#include "redact.h"
#include "report.h"
#include "strbuf.h"

static struct {
	int state;              /* 0 not asked, 2 asking, 1 known, -1 failed (rc) */
	int rc;
	char account[32], arn[512];
} who;

/* Each mismatch is said once a process (awsphase status runs four
 * phases), but goes into every phase's document. */
static unsigned warned;

int guard_identity(const char **account, const char **arn)
{
	if (!who.state) {
		struct awsphase_call *c = aws_call_new("sts", "get-caller-identity");
		const char *a, *r;

		who.state = 2;
		who.rc = aws_call_run(c);
		a = json_str(aws_call_json(c), "Account");
		r = json_str(aws_call_json(c), "Arn");
		if (!who.rc && (!a || !*a)) {
			error(_("sts get-caller-identity: no account in its answer, so the env "
				"file's account cannot be checked; check --aws and --endpoint-url"));
			who.rc = AWSPHASE_EXIT_NOAWS;
		}
		who.state = who.rc ? -1 : 1;
		snprintf(who.account, sizeof(who.account), "%s", a ? a : "");
		snprintf(who.arn, sizeof(who.arn), "%s", r ? r : "");
		aws_call_free(c);
	}
	if (account)
		*account = who.state > 0 ? who.account : NULL;
	if (arn)
		*arn = who.state > 0 ? who.arn : NULL;
	return who.rc;
}

/* Field (3 region, 4 account) of the ARN at s ("arn:aws:SERVICE:REGION:
 * ACCOUNT:…") into buf; 0 when s is no ARN or the field is empty (IAM's
 * and S3's have no region, S3's and AWS's managed policies no account
 * of twelve digits). */
static int arn_field(const char *s, int field, char *buf, size_t size)
{
	const char *p = s + 4, *end;
	int i;

	if (strncmp(s, "arn:aws", 7) != 0)
		return 0;
	for (i = 1; i < field; i++) {
		p = strchr(p, ':');
		if (!p)
			return 0;
		p++;
	}
	end = strchr(p, ':');
	if (!end || end == p || (size_t)(end - p) >= size)
		return 0;
	for (i = 0; p + i < end; i++)
		if (!(field == 4 ? isdigit((unsigned char)p[i]) :
				   islower((unsigned char)p[i]) || isdigit((unsigned char)p[i]) || p[i] == '-'))
			return 0;
	if (field == 4 && end - p != 12)
		return 0;
	memcpy(buf, p, (size_t)(end - p));
	buf[end - p] = '\0';
	return 1;
}

/* The first key of ef holding an ARN whose field is not want, with that
 * field in buf; NULL when none.  Secrets are not looked into. */
static const char *arn_other(const struct envfile *ef, int field, const char *want, char *buf,
			     size_t size)
{
	size_t i;

	for (i = 0; i < envfile_count(ef); i++) {
		const char *key = envfile_key_at(ef, i), *v = envfile_get(ef, key), *p;

		if (!v || redact_key_is_secret(key))
			continue;
		for (p = strstr(v, "arn:"); p; p = strstr(p + 4, "arn:"))
			if ((p == v || !isalnum((unsigned char)p[-1])) &&
			    arn_field(p, field, buf, size) && strcmp(buf, want) != 0)
				return key;
	}
	return NULL;
}

/* What this action is checked against: the env file, the run's region
 * and profile, and whether it changes things (refuse) or only reads. */
static struct {
	struct envfile *ef;
	const char *region, *profile;
	int refuse;
	int fired;              /* the gate has run: the account is compared */
	int refused;            /* the exit code every later call gets */
	cJSON *warnings;        /* the document's "warnings", once added */
} armed;

/* One mismatch: refused (an error), or a warning and a JSON entry. */
static int mismatch(unsigned bit, const char *text)
{
	if (armed.refuse) {
		error("%s", text);
		return AWSPHASE_EXIT_USAGE;
	}
	if (!(warned & bit))
		warning("%s", text);
	warned |= bit;
	if (!armed.warnings) {
		armed.warnings = cJSON_CreateArray();
		report_add("warnings", armed.warnings);
	}
	cJSON_AddItemToArray(armed.warnings, cJSON_CreateString(text));
	return 0;
}

/* The region needs no call. */
static int check_region(void)
{
	struct strbuf sb = STRBUF_INIT;
	const char *key;
	char other[64];
	int rc = 0;

	key = armed.region ? arn_other(armed.ef, 3, armed.region, other, sizeof(other)) : NULL;
	if (key) {
		strbuf_addf(&sb, _("%s: %s is an ARN of region %s, but this run is for region %s; run "
				   "with --region %s, or use another env file"), envfile_path(armed.ef),
			    key, other, armed.region, other);
		rc = mismatch(1, strbuf_str(&sb));
	}
	strbuf_release(&sb);
	return rc;
}

/* A change needs the account, to compare or to record; a read only when
 * one is recorded (an env file of ARNs alone is not worth a call). */
static int check_account(void)
{
	const char *path = envfile_path(armed.ef), *recorded = envfile_get(armed.ef, GUARD_ACCOUNT_KEY);
	const char *key, *account = NULL, *profile = armed.profile;
	struct strbuf sb = STRBUF_INIT;
	char other[64];
	int rc;

	if (recorded && !*recorded)
		recorded = NULL;
	if (!armed.refuse && !recorded)
		return 0;
	rc = guard_identity(&account, NULL);
	if (rc)
		return armed.refuse ? rc : 0;
	if (!profile || !*profile)
		profile = getenv("AWS_PROFILE") && *getenv("AWS_PROFILE") ? getenv("AWS_PROFILE") : "default";
	if (recorded && strcmp(recorded, account) != 0) {
		strbuf_addf(&sb, _("%s: recorded for account %s, but the credentials (profile %s) are "
				   "for account %s; use the profile of %s, or another env file"), path,
			    recorded, profile, account, recorded);
		rc = mismatch(2, strbuf_str(&sb));
	} else if ((key = arn_other(armed.ef, 4, account, other, sizeof(other)))) {
		strbuf_addf(&sb, _("%s: %s is an ARN of account %s, but the credentials (profile %s) "
				   "are for account %s; use the profile of %s, or another env file"),
			    path, key, other, profile, account, other);
		rc = mismatch(4, strbuf_str(&sb));
	}
	strbuf_release(&sb);
	return rc;
}

/* The first change a run makes: the account, compared by the gate just
 * before, is the env file's from now on (recorded before the change, so
 * that a run killed after it has recorded it too). */
static void record(void)
{
	const char *recorded = envfile_get(armed.ef, GUARD_ACCOUNT_KEY);

	if ((recorded && *recorded) || who.state != 1)
		return;
	if (envfile_set(armed.ef, GUARD_ACCOUNT_KEY, who.account) == 0)
		log_msg(AWSPHASE_LOG_VERBOSE, _("%s: recorded %s=%s: later runs with another "
						"account's credentials are refused"), envfile_path(armed.ef),
			GUARD_ACCOUNT_KEY, who.account);
}

/* The aws runner's gate: before the action's first call, after every
 * check the module makes offline (bad input stays "no aws call"). */
static int gate(void)
{
	int rc;

	if (who.state == 2) { /* a module's caller_identity first: the next call compares */
		aws_set_gate(gate, record);
		return 0;
	}
	rc = armed.refused ? armed.refused : check_account();

	armed.fired = 1;
	if (armed.refuse && rc)
		armed.refused = rc;
	return armed.refuse ? rc : 0;
}

int guard_begin(struct envfile *ef, const char *region, const char *profile, int refuse)
{
	int rc;

	memset(&armed, 0, sizeof(armed));
	armed.ef = ef;
	armed.region = region;
	armed.profile = profile;
	armed.refuse = refuse;
	rc = check_region();
	if (rc)
		armed.refused = rc;
	else
		aws_set_gate(gate, record);
	return rc;
}

int guard_lock(void)
{
	int rc;

	if (!armed.ef || armed.refuse)
		return armed.refused;
	armed.refuse = 1;
	rc = check_region();
	if (!rc && !armed.fired)
		return 0; /* the gate, still set, now refuses */
	rc = rc ? rc : check_account();
	if (rc) {
		armed.refused = rc;
		aws_set_gate(gate, record); /* every later call refused */
	}
	return rc;
}

int guard_end(int rc)
{
	aws_set_gate(NULL, NULL);
	if (armed.refused)
		rc = armed.refused;
	memset(&armed, 0, sizeof(armed));
	return rc;
}
