/* awsphase 4b rollback: the runbook's "Rollback para versão anterior da task
 * definition" — list the family's revisions, move the service to one,
 * wait as deploy does, then run validate's checks.  Also the automatic
 * rollback deploy runs when its wait fails (rollback.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploy.h"
#include "history.h"
#include "rollback.h"

#define MAX_REVISIONS 4096

static char *opt_to;
static int opt_previous;
static char moved_by[P4B_ID_SIZE]; /* the deployment move_service followed */
static int moved;                  /* it moved the service or followed a move */

const struct poptOption p4b_rollback_options[] = {
	{ "to", 0, POPT_ARG_STRING, &opt_to, 0,
	  N_("the revision to move the service to: N, FAMILY:N or its ARN"), "REVISION" },
	{ "previous", 0, POPT_ARG_NONE, &opt_previous, 0,
	  N_("the last revision that deployed successfully before the one in service (the default)"),
	  NULL },
	POPT_TABLEEND
};

/* The revision number REF names in family: "N", "FAMILY:N" or
 * "arn:…:task-definition/FAMILY:N".  -1 unreadable, -2 another family,
 * -3 a number past what a revision can be (not clamped: 2^64+1 is not
 * LONG_MAX). */
static long revision_of(const char *ref, const char *family)
{
	const char *name = p4b_arn_tail(ref), *colon = strrchr(name, ':');
	char *end;
	long n;

	if (strncmp(ref, "arn:", 4) == 0 && !strstr(ref, ":task-definition/"))
		return -1;
	if (colon) {
		if ((size_t)(colon - name) != strlen(family) || strncmp(name, family, strlen(family)) != 0)
			return -2;
		name = colon + 1;
	} else if (name != ref) {
		return -1;
	}
	errno = 0;
	n = strtol(name, &end, 10);
	if (*name && !*end && (errno == ERANGE || n > INT_MAX))
		return -3;
	return *name && !*end && n > 0 ? n : -1;
}

static void copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

int p4b_record_good(const struct awsphase_host *h, const char *td_arn)
{
	char last[P4B_ID_SIZE];

	if (!td_arn || !*td_arn || h->settings->dry_run)
		return 0;
	copy(last, sizeof(last), h->env_get(P4B_LAST_GOOD_KEY));
	if (strcmp(last, td_arn) == 0)
		return 0;
	if (*last && h->env_set(P4B_PREVIOUS_GOOD_KEY, last) < 0)
		return -1;
	if (h->env_set(P4B_LAST_GOOD_KEY, td_arn) < 0)
		return -1;
	h->log(AWSPHASE_LOG_VERBOSE, "recorded %s as the last revision that deployed successfully "
	       "(%s in %s)", p4b_arn_tail(td_arn), P4B_LAST_GOOD_KEY, h->settings->env_file);
	return 0;
}

/* A service a CloudFormation stack owns moves through the stack: 0 when
 * it is not one's, else exit 2 (reported, naming the stack). */
static int not_owned(struct p4b *c)
{
	static const char *const keys[] = { "service", NULL };
	const struct awsphase_engine *e = c->h->engine;
	struct p4b_run run = { .c = c };
	struct awsphase_stack *s = p4b_open(c->h, &run);
	int rc = s ? e->read(s, keys) : AWSPHASE_EXIT_FAILED;

	if (!rc)
		rc = e->owned(s, keys);
	if (s)
		e->close(s);
	return rc;
}

/* Moves the ACTIVE service svc to target (an ARN) and waits until it is
 * stable there; follows a deployment of target already under way (ECS's
 * circuit breaker rolling back) instead of starting one.  0 or an exit
 * code. */
static int move_service(struct p4b *c, const cJSON *svc, const char *target)
{
	const struct awsphase_host *h = c->h;
	const char *cur = h->json_str(svc, "taskDefinition");
	const cJSON *primary = p4b_primary(svc), *after;
	char tg[P4B_ID_SIZE], dep[P4B_ID_SIZE], ref[P4B_ID_SIZE];
	struct awsphase_call *call;
	cJSON *copy_after;
	int rc;

	copy(tg, sizeof(tg), h->json_str(svc, "loadBalancers.0.targetGroupArn"));
	if (!*tg)
		copy(tg, sizeof(tg), h->env_get("TG_ARN"));
	if (cur && strcmp(cur, target) == 0) {
		const char *ptd = h->json_str(primary, "taskDefinition");
		const char *rollout = h->json_str(primary, "rolloutState");

		if (p4b_service_settled(h, svc)) {
			h->say("✓ service %s already runs %s and is stable", c->service, p4b_arn_tail(target));
			return 0;
		}
		if (ptd && strcmp(ptd, target) == 0 && (!rollout || strcmp(rollout, "FAILED") != 0)) {
			h->say("… service %s is already moving to %s (deployment %s%s%s)", c->service,
			       p4b_arn_tail(target), h->json_str(primary, "id") ? h->json_str(primary, "id") : "?",
			       h->json_str(primary, "rolloutStateReason") ? ": " : "",
			       h->json_str(primary, "rolloutStateReason") ? h->json_str(primary, "rolloutStateReason") : "");
			if (h->settings->dry_run)
				return 0;
			copy(dep, sizeof(dep), h->json_str(primary, "id"));
			copy(moved_by, sizeof(moved_by), dep);
			moved = 1;
			return p4b_wait_service(c, tg, dep, svc, *dep != 0);
		}
	}
	rc = not_owned(c);
	if (rc)
		return rc;
	/* the runbook's form: --task-definition kaviar-backend:1 */
	copy(ref, sizeof(ref), p4b_arn_tail(target));
	call = h->call_new("ecs", "update-service");
	h->call_args(call, "--cluster", c->cluster, "--service", c->service, "--task-definition", ref, NULL);
	if (cur && strcmp(cur, target) == 0)
		h->call_arg(call, "--force-new-deployment"); /* its deployment failed: start another */
	rc = h->call_run(call);
	moved = 1;
	if (rc || h->call_state(call) == AWSPHASE_CALL_DRY_RUN) {
		if (!rc)
			h->say("• service %s: would move %s → %s", c->service, p4b_arn_tail(cur), ref);
		h->call_free(call);
		return rc;
	}
	after = h->json_get(h->call_json(call), "service");
	copy(dep, sizeof(dep), h->json_str(p4b_primary(after), "id"));
	copy(moved_by, sizeof(moved_by), dep);
	copy_after = cJSON_Duplicate(after, 1);
	h->call_free(call);
	h->say("✓ service %s: task definition %s → %s (deployment %s)", c->service, p4b_arn_tail(cur), ref,
	       *dep ? dep : "?");
	rc = p4b_wait_service(c, tg, dep, copy_after, *dep != 0);
	cJSON_Delete(copy_after);
	return rc;
}

static void report(const struct awsphase_host *h, const char *from, const char *to,
		   const char *why, int rc)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "from", from ? from : "");
	cJSON_AddStringToObject(o, "to", to ? to : "");
	if (why)
		cJSON_AddStringToObject(o, "reason", why);
	cJSON_AddStringToObject(o, "result", h->settings->dry_run ? "dry-run" : rc ? "failed" : "stable");
	cJSON_AddNumberToObject(o, "exit", rc);
	h->report_add("rollback", o);
}

int p4b_rollback_to_last_good(struct p4b *c, const char *failed_td, const char *why)
{
	const struct awsphase_host *h = c->h;
	char last[P4B_ID_SIZE], from[P4B_ID_SIZE];
	const char *status;
	cJSON *doc = NULL;
	int rc;

	copy(last, sizeof(last), h->env_get(P4B_LAST_GOOD_KEY));
	copy(from, sizeof(from), failed_td);
	if (!*last && p4b_history_last_good(c, from, last, sizeof(last)) != 1)
		*last = '\0'; /* nor in the history every operator shares */
	if (!*last) {
		h->log(AWSPHASE_LOG_ERROR, "no automatic rollback: no revision of %s has deployed "
		       "successfully through awsphase yet (%s in %s); fix the cause and deploy again, "
		       "or move the service with awsphase 4b rollback --to N", c->family,
		       P4B_LAST_GOOD_KEY, h->settings->env_file);
		report(h, from, NULL, why, AWSPHASE_EXIT_FAILED);
		return AWSPHASE_EXIT_FAILED;
	}
	if (strcmp(last, from) == 0) {
		h->log(AWSPHASE_LOG_ERROR, "no automatic rollback: the deployment that failed runs %s, "
		       "the last revision that deployed successfully (the same content, so perhaps a new "
		       "image under the same tag): fix the image or move the service with awsphase 4b "
		       "rollback --to N", p4b_arn_tail(last));
		report(h, from, last, why, AWSPHASE_EXIT_FAILED);
		return AWSPHASE_EXIT_FAILED;
	}
	h->say("↩ deploy failed (%s): rolling back service %s to %s, the last revision that "
	       "deployed successfully", h->text(why), c->service, p4b_arn_tail(last));
	rc = h->aws(&doc, "ecs", "describe-services", "--cluster", c->cluster, "--services",
		    c->service, NULL);
	if (!rc) {
		status = h->json_str(doc, "services.0.status");
		if (!status || strcmp(status, "ACTIVE") != 0) {
			if (status)
				h->log(AWSPHASE_LOG_ERROR, "rollback: service %s is %s: nothing to roll "
				       "back; run awsphase 4b deploy again", c->service, status);
			else
				h->log(AWSPHASE_LOG_ERROR, "rollback: service %s is gone: nothing to roll "
				       "back; run awsphase 4b deploy again", c->service);
			rc = AWSPHASE_EXIT_FAILED;
		} else {
			rc = move_service(c, h->json_get(doc, "services.0"), last);
		}
	}
	cJSON_Delete(doc);
	if (!rc && !h->settings->dry_run)
		h->say("↩ rolled back: service %s runs %s again, stable with healthy targets",
		       c->service, p4b_arn_tail(last));
	else if (rc)
		h->log(AWSPHASE_LOG_ERROR, "the rollback to %s did not finish (exit %d): see awsphase "
		       "4b status and awsphase 4b diagnose", p4b_arn_tail(last), rc);
	report(h, from, last, why, rc);
	return rc;
}

/* ---- the rollback action ----------------------------------------------------- */

struct revisions {
	long n[MAX_REVISIONS];
	size_t count;
};

static int by_number(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

/* "kaviar-backend:1, kaviar-backend:2 (in service)", the newest 20. */
static void list_valid(const struct p4b *c, const struct revisions *r, long current, long last,
		       char *buf, size_t size)
{
	size_t i = r->count > 20 ? r->count - 20 : 0, len = 0, k = 0;

	buf[0] = '\0';
	if (!r->count) {
		snprintf(buf, size, c->h->text("none: the family %s has no ACTIVE revision"), c->family);
		return;
	}
	if (i)
		len += (size_t)snprintf(buf, size, "… ");
	for (; i < r->count && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s:%ld%s%s", k++ ? ", " : "",
					c->family, r->n[i], r->n[i] == current ? c->h->text(" (in service)") : "",
					r->n[i] == last ? c->h->text(" (last good)") : "");
}

/* Why n is not in the ACTIVE list: INACTIVE or missing. */
static const char *absent_why(const struct p4b *c, long n)
{
	const struct awsphase_host *h = c->h;
	struct awsphase_call *call = h->call_new("ecs", "describe-task-definition");
	const char *status, *why = h->text("does not exist");

	h->call_arg(call, "--task-definition");
	h->call_argf(call, "%s:%ld", c->family, n);
	h->call_accept(call, "ClientException");
	if (h->call_run(call) == 0 && h->call_state(call) == AWSPHASE_CALL_OK) {
		status = h->json_str(h->call_json(call), "taskDefinition.status");
		if (status && strcmp(status, "ACTIVE") != 0)
			why = h->text("is INACTIVE (deregistered): a service cannot move to it");
	}
	h->call_free(call);
	return why;
}

static int usage(const struct awsphase_host *h, const char *msg)
{
	h->log(AWSPHASE_LOG_ERROR, "%s; see awsphase 4b rollback --help", msg);
	return AWSPHASE_EXIT_USAGE;
}

int p4b_rollback(const struct awsphase_host *h, int argc, const char **argv)
{
	static const char *validate_argv[] = { "validate", NULL };
	struct p4b_event ev = { .action = "rollback" };
	struct awsphase_call *calls[2];
	struct revisions *revs;
	struct p4b c;
	const cJSON *svc, *arn;
	const char *status;
	char target[P4B_ID_SIZE], cur[P4B_ID_SIZE], last[P4B_ID_SIZE], prev[P4B_ID_SIZE];
	char valid[2048], msg[3072];
	long want = -1, ncur, nlast;
	int rc;

	if (opt_to && opt_previous)
		return usage(h, h->text("give --to REVISION or --previous, not both"));
	rc = p4b_config(h, &c);
	if (rc)
		return rc;
	if (opt_to) {
		want = revision_of(opt_to, c.family);
		if (want == -2) {
			snprintf(msg, sizeof(msg), h->text("--to %s: not a revision of the family %s (TASK_FAMILY)"),
				 opt_to, c.family);
			return usage(h, msg);
		}
		if (want == -3) {
			snprintf(msg, sizeof(msg), h->text("--to %s: out of range: a revision is a number "
				 "from 1 to %d; give one that exists (awsphase 4b status shows it)"),
				 opt_to, INT_MAX);
			return usage(h, msg);
		}
		if (want < 0) {
			snprintf(msg, sizeof(msg), h->text("--to %s: give a revision number, %s:N or its ARN"),
				 opt_to, c.family);
			return usage(h, msg);
		}
	}
	copy(last, sizeof(last), h->env_get(P4B_LAST_GOOD_KEY));
	copy(prev, sizeof(prev), h->env_get(P4B_PREVIOUS_GOOD_KEY));
	ev.started = h->now();

	/* the runbook's "Listar versões", with the service, at once */
	calls[0] = h->call_new("ecs", "describe-services");
	h->call_args(calls[0], "--cluster", c.cluster, "--services", c.service, NULL);
	h->call_accept(calls[0], "ClusterNotFoundException");
	calls[1] = h->call_new("ecs", "list-task-definitions");
	h->call_args(calls[1], "--family-prefix", c.family, NULL);
	rc = h->call_run_all(calls, 2);
	revs = calloc(1, sizeof(*revs));
	if (rc || !revs)
		goto out;
	svc = h->json_get(h->call_json(calls[0]), "services.0");
	status = h->json_str(svc, "status");
	cJSON_ArrayForEach(arn, h->json_get(h->call_json(calls[1]), "taskDefinitionArns")) {
		long n = cJSON_IsString(arn) ? revision_of(arn->valuestring, c.family) : -1;

		if (n > 0 && revs->count < MAX_REVISIONS)
			revs->n[revs->count++] = n;
	}
	qsort(revs->n, revs->count, sizeof(revs->n[0]), by_number);
	copy(cur, sizeof(cur), h->json_str(svc, "taskDefinition"));
	ncur = *cur ? revision_of(cur, c.family) : -1;
	nlast = *last ? revision_of(last, c.family) : -1;
	list_valid(&c, revs, ncur, nlast, valid, sizeof(valid));
	if (!status || strcmp(status, "ACTIVE") != 0) {
		if (status)
			h->log(AWSPHASE_LOG_ERROR, "service %s in cluster %s is %s: there is "
			       "nothing to roll back; deploy it with awsphase 4b deploy", c.service,
			       c.cluster, status);
		else
			h->log(AWSPHASE_LOG_ERROR, "service %s in cluster %s is not there: "
			       "there is nothing to roll back; deploy it with awsphase 4b deploy",
			       c.service, c.cluster);
		rc = AWSPHASE_EXIT_FAILED;
		goto out;
	}
	/* another operator's machine: the history in AWS knows */
	if (!opt_to && !*last) {
		rc = p4b_history_last_good(&c, cur, last, sizeof(last));
		if (rc > 1)
			goto out;
		rc = 0;
	}
	if (!opt_to) {
		/* the newest good revision that is not the one in service */
		const char *pick = *last && strcmp(last, cur) != 0 ? last :
				   *prev && strcmp(prev, cur) != 0 ? prev : NULL;

		if (!pick) {
			h->log(AWSPHASE_LOG_ERROR, "--previous: awsphase has recorded no "
			       "revision that deployed successfully other than the one in service (%s); "
			       "give one with --to N; valid revisions: %s", p4b_arn_tail(cur), valid);
			rc = AWSPHASE_EXIT_USAGE;
			goto out;
		}
		want = revision_of(pick, c.family);
		if (want < 0) {
			h->log(AWSPHASE_LOG_ERROR, "--previous: %s names %s, not a revision of "
			       "%s (TASK_FAMILY changed?); give one with --to N; valid revisions: %s",
			       pick == last ? P4B_LAST_GOOD_KEY : P4B_PREVIOUS_GOOD_KEY, pick, c.family,
			       valid);
			rc = AWSPHASE_EXIT_USAGE;
			goto out;
		}
	}
	/* revs is sorted (qsort above) */
	if (!bsearch(&want, revs->n, revs->count, sizeof(revs->n[0]), by_number)) {
		h->log(AWSPHASE_LOG_ERROR, "%s:%ld %s; valid revisions: %s", c.family, want,
		       absent_why(&c, want), valid);
		rc = AWSPHASE_EXIT_USAGE;
		goto out;
	}
	/* the ARN as AWS spells it: the one in service's prefix, another number */
	if (*cur && strrchr(cur, ':') && ncur > 0)
		snprintf(target, sizeof(target), "%.*s:%ld", (int)(strrchr(cur, ':') - cur), cur, want);
	else
		snprintf(target, sizeof(target), "%s:%ld", c.family, want);
	if (opt_to)
		h->say("↩ rolling back service %s: %s → %s:%ld", c.service, p4b_arn_tail(cur), c.family, want);
	else
		h->say("↩ rolling back service %s: %s → %s:%ld (the last revision that deployed "
		       "successfully before it)", c.service, p4b_arn_tail(cur), c.family, want);
	rc = move_service(&c, svc, target);
	report(h, cur, target, opt_to ? "--to" : "--previous", rc);
	ev.td_arn = target;
	ev.deployment = moved_by;
	ev.result = p4b_result_of(&c, rc, 0);
	/* not a rollback that found it done (no mutating call), nor one AWS
	 * refused (the record would be refused too) */
	if (moved && (!rc || rc == AWSPHASE_EXIT_FAILED || rc == AWSPHASE_EXIT_TIMEOUT))
		p4b_history_record(&c, &ev);
	if (rc || h->settings->dry_run)
		goto out;
	if (p4b_record_good(h, target) < 0)
		rc = AWSPHASE_EXIT_FAILED;
	h->call_free(calls[0]);
	h->call_free(calls[1]);
	free(revs);
	if (rc)
		return rc;
	/* the runbook's checks; validate reads the names again (p4b_config) */
	return p4b_validate(h, 1, validate_argv);
out:
	h->call_free(calls[0]);
	h->call_free(calls[1]);
	free(revs);
	return rc;
}
