/* awsphase 4b deploy: aws-phase4b-ecs-alb.sh as one idempotent run.
 *
 * The engine reads the stack (stack.h) in one concurrent round, plans what
 * differs, and, when anything does, preflight's AWS checks run before it
 * applies the changes in dependency order, each round's calls at once:
 *   1. roles, security groups, cluster, log group, target group
 *   2. role policy, ingress rules, log retention, load balancer
 *   3. task definition, listener
 *   4. service
 * The service is then waited for unless it is already settled, and a
 * deployment that fails is rolled back to the last good revision.
 *
 * With a command to run first (--before, BEFORE_DEPLOY) the service is
 * planned and applied after the rest: once the revision it is to run is
 * registered, and only when the service is to run another revision (or is
 * to be created, or --force-new-deployment), the command runs as a one-off
 * task of it (oneoff.c); the service moves only when it exited 0.
 *
 * A first deploy (none of the keys deploy writes in the env file, no
 * cluster) reads only the service, the task definition and the security
 * groups, and creates the rest without looking for it first; should a
 * create find its resource there already, the engine reads what it skipped
 * and converges as any later run does. */

#include <string.h>

#include "deploy.h"
#include "history.h"
#include "speed.h"
#include "rollback.h"

static int no_wait, force, retention = P4B_LOG_RETENTION_DAYS;
static int no_rollback;
static char *before;

const struct poptOption p4b_deploy_options[] = {
	{ "no-wait", 0, POPT_ARG_NONE, &no_wait, 0,
	  N_("make the changes and return; do not wait for the service to become stable"), NULL },
	{ "force-new-deployment", 0, POPT_ARG_NONE, &force, 0,
	  N_("start new tasks even when nothing changed (a new image under the same tag)"), NULL },
	{ "log-retention-days", 0, POPT_ARG_INT, &retention, 0,
	  N_("retention of the log group (default 30)"), "DAYS" },
	{ "no-rollback", 0, POPT_ARG_NONE, &no_rollback, 0,
	  N_("when the deployment fails, leave the service on it instead of moving it back to the "
	  "last revision that deployed successfully"), NULL },
	{ "before", 0, POPT_ARG_STRING, &before, 0,
	  N_("run COMMAND (sh -c) as a one-off task of the new revision first, and move the service "
	  "only when it exits 0 (migrations); only when a deployment is to start; '' for none "
	  "(default: BEFORE_DEPLOY)"), "COMMAND" },
	POPT_TABLEEND
};

static void summary(const struct awsphase_host *h, struct awsphase_stack *s, const struct p4b *c,
		    int calls, int waited)
{
	const char *dns = h->json_str(h->engine->now(s, "alb"), "DNSName");

	if (!dns)
		dns = "<ALB DNS>";
	if (h->settings->dry_run) {
		if (calls == 1)
			h->say("dry run: %d change listed above, none made", calls);
		else
			h->say("dry run: %d changes listed above, none made", calls);
		return;
	}
	/* whole sentences: the host translates each as one */
	if (calls && waited)
		h->say("deployed service %s: stable, targets healthy; http://%s%s", c->service, dns,
		       c->health_path);
	else if (calls && no_wait)
		h->say("deployed service %s: not waited for (--no-wait); http://%s%s", c->service, dns,
		       c->health_path);
	else if (calls)
		h->say("deployed service %s: already stable; http://%s%s", c->service, dns, c->health_path);
	else if (waited)
		h->say("no changes: service %s: stable, targets healthy; http://%s%s", c->service, dns,
		       c->health_path);
	else if (no_wait)
		h->say("no changes: service %s: not waited for (--no-wait); http://%s%s", c->service, dns,
		       c->health_path);
	else
		h->say("no changes: service %s: already stable; http://%s%s", c->service, dns,
		       c->health_path);
}

/* After apply: wait for the service unless it is settled; remember the
 * revision that deployed, or move back from one that did not. */
static int settle_service(const struct awsphase_host *h, struct awsphase_stack *s, struct p4b *c,
			  int calls, int *waited, int *rolled_back)
{
	const struct awsphase_engine *e = h->engine;
	const cJSON *svc = e->now(s, "service");
	char dep[P4B_ID_SIZE];
	int started = p4b_started(s, dep, sizeof(dep)), rc = 0;

	if (no_wait) {
		h->log(AWSPHASE_LOG_VERBOSE, "--no-wait: not waiting for the service");
		return 0;
	}
	if (calls || !p4b_service_settled(h, svc)) {
		const cJSON *alb = e->now(s, "alb");
		const char *state = h->json_str(alb, "State.Code");

		/* a new ALB checks its targets only once active: the end the
		 * wait expects is that much later */
		if (state && strcmp(state, "provisioning") == 0)
			c->lb_active_at = h->json_time(h->json_get(alb, "CreatedTime")) + P4B_ALB_S;
		rc = p4b_wait_service(c, e->id_of(s, "tg"), dep, svc, started);
		*waited = 1;
	}
	if (!rc)
		rc = p4b_probe_alb(c, h->json_str(e->now(s, "alb"), "DNSName"));
	if (!rc)
		return p4b_record_good(h, h->json_str(svc, "taskDefinition")) < 0 ? AWSPHASE_EXIT_FAILED : 0;
	if (*waited && c->lb_gone) {
		h->log(AWSPHASE_LOG_INFO, "no automatic rollback: what is missing is load balancer %s "
		       "or its listener, not a task definition that works; run awsphase 4b deploy again "
		       "to recreate it", c->alb_name);
	} else if (*waited && (rc == AWSPHASE_EXIT_FAILED || rc == AWSPHASE_EXIT_TIMEOUT)) {
		if (no_rollback) {
			h->log(AWSPHASE_LOG_INFO, "--no-rollback: service %s stays on the failed "
			       "deployment; awsphase 4b rollback --previous moves it back", c->service);
		} else {
			/* rolled back: the deploy failed (1), the service is as it was;
			 * else what the wait ended with (4: the deadline) stands.  A
			 * rollback after the deadline gets a --timeout of its own. */
			if (rc == AWSPHASE_EXIT_TIMEOUT)
				h->more_time(h->settings->timeout_s);
			if (p4b_rollback_to_last_good(c, e->id_of(s, "td"), rc == AWSPHASE_EXIT_TIMEOUT ?
						      N_("the deadline passed") :
						      N_("the deployment failed")) == 0) {
				rc = AWSPHASE_EXIT_FAILED;
				*rolled_back = 1;
			}
		}
	}
	return rc;
}

/* A deployment is to start: the service is to be created, to run another
 * revision, or forced. */
static int deployment_coming(struct awsphase_stack *s)
{
	const struct awsphase_engine *e = p4b_h->engine;
	const char *runs = p4b_h->json_str(e->have(s, "service"), "taskDefinition");

	return force || !runs || strcmp(runs, e->id_of(s, "td")) != 0;
}

/* Everything but the service, then the command, then the service. */
static int apply_gated(struct awsphase_stack *s, struct p4b *c, const char *command, int *calls,
		       int *applied)
{
	const struct awsphase_engine *e = p4b_h->engine;
	const struct awsphase_resource *const *r;
	const char *keys[64];
	size_t n = 0;
	int rc, changes = 0, more = 0, later = 0;

	for (r = p4b_stack.resources; *r && n < 63; r++)
		if (!((*r)->flags & AWSPHASE_RES_DATA) && strcmp((*r)->key, "service") != 0)
			keys[n++] = (*r)->key;
	keys[n] = NULL;
	rc = e->plan(s, keys, &changes);
	if (!rc && changes)
		rc = p4b_preflight_aws(s, c, 0, 0);
	if (!rc)
		rc = e->apply(s, calls);
	*applied = !rc;
	if (!rc)
		rc = e->plan(s, NULL, &more);
	if (!rc && more && !changes)
		rc = p4b_preflight_aws(s, c, 0, 0);
	if (!rc && deployment_coming(s))
		rc = p4b_before_deploy(s, c, command);
	else if (!rc)
		p4b_h->log(AWSPHASE_LOG_VERBOSE, "no deployment to start: not running the command "
			   "before it");
	if (!rc)
		rc = e->apply(s, &later);
	*calls += later;
	return rc;
}

int p4b_deploy(const struct awsphase_host *h, int argc, const char **argv)
{
	const struct awsphase_engine *e = h->engine;
	const char *command = before ? before : h->env_get("BEFORE_DEPLOY");
	struct p4b c;
	struct p4b_run run = { .c = &c };
	struct awsphase_stack *s;
	struct p4b_event ev = { .action = "deploy", .started = h->now() };
	const cJSON *td;
	char dep[P4B_ID_SIZE] = "";
	const cJSON *image;
	struct p4b_image im;
	char ref[512];
	int rc, changes = 0, calls = 0, waited = 0, rolled_back = 0, applied = 0;

	if (!e->log_retention_ok(retention)) {
		h->log(AWSPHASE_LOG_ERROR, "--log-retention-days %d: CloudWatch Logs does not offer it; "
		       "give 1, 3, 5, 7, 14, 30, 60, 90, 180, 365, …", retention);
		return AWSPHASE_EXIT_USAGE;
	}
	rc = p4b_config(h, &c);
	if (rc)
		return rc;
	p4b_warn_secrets(&c);
	run.force = force;
	run.retention_days = retention;
	s = p4b_open(h, &run);
	if (!s)
		return AWSPHASE_EXIT_FAILED;
	if (command && *command) {
		rc = apply_gated(s, &c, command, &calls, &applied);
	} else {
		rc = e->plan(s, NULL, &changes);
		h->log(AWSPHASE_LOG_VERBOSE, "%d resource(s) to change", changes);
		if (!rc && changes)
			rc = p4b_preflight_aws(s, &c, 0, 0);
		if (!rc)
			rc = e->apply(s, &calls);
		applied = !rc;
	}
	if (!rc && !h->settings->dry_run) {
		p4b_started(s, dep, sizeof(dep));
		rc = settle_service(h, s, &c, calls, &waited, &rolled_back);
	}
	image = e->have(s, "image");
	if (!rc) {
		summary(h, s, &c, calls, waited);
		/* what the service runs now, or would under --dry-run */
		p4b_image_report(&c, p4b_image_ref(&c, image, ref, sizeof(ref)),
				 h->json_str(image, "imageDigest"));
	}
	/* a deploy that changed something or failed is history; one that
	 * found nothing to do is not (a second run makes no mutating call),
	 * nor one AWS or the aws CLI refused or never answered before its
	 * changes (3, 5, 4: recording would fail too) */
	if (rc ? (applied && (rc == AWSPHASE_EXIT_FAILED || rc == AWSPHASE_EXIT_TIMEOUT)) ||
		 (rc == AWSPHASE_EXIT_USAGE && changes) : calls) {
		td = applied ? e->now(s, "td") : NULL;
		ev.td_arn = applied ? e->id_of(s, "td") : NULL;
		ev.image = td ? h->json_str(td, "containerDefinitions.0.image") : c.ecr_uri;
		ev.image_tag = p4b_parse_image(c.ecr_uri, &im) == 0 && im.tag[0] ? im.tag : NULL;
		ev.image_digest = h->json_str(image, "imageDigest");
		ev.deployment = dep;
		ev.result = p4b_result_of(&c, rc, rolled_back);
		h->report_add("result", cJSON_CreateString(ev.result));
		p4b_history_record(&c, &ev);
	}
	e->close(s);
	return rc;
}
