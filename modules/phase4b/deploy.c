/* awsphase 4b deploy: aws-phase4b-ecs-alb.sh as one idempotent run.
 *
 * One concurrent batch reads everything (p4b_read); a planning pass over the
 * resources counts what differs; if anything does, preflight's AWS checks
 * run, then four stages make the changes, each stage's calls at once:
 *   1. roles, security groups, cluster, log group, target group
 *   2. role policy, ingress rules, log retention, load balancer, task definition
 *   3. listener
 *   4. service
 * and the service is waited for unless it is already settled.
 *
 * A first deploy (see first_deploy) reads only the service, the task
 * definition and the security groups, and creates the rest without looking
 * for it first.  Should one of those creates find its resource there
 * already, that stage still ends, then deploy reads everything and converges
 * as any later run does. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploy.h"
#include "rollback.h"

static int no_wait, force, retention = P4B_LOG_RETENTION_DAYS;
static int no_rollback;

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
	POPT_TABLEEND
};

/* ---- the stage machinery ----------------------------------------------------- */

int p4b_change(struct deploy *d)
{
	d->changes++;
	return !d->planning;
}

struct awsphase_call *p4b_stage_call(struct deploy *d, const char *service, const char *op,
				     p4b_done_fn done, const void *arg)
{
	struct awsphase_call *call = d->h->call_new(service, op);

	if (d->n >= P4B_MAX_BATCH) { /* a stage makes at most 8 calls */
		d->h->log(AWSPHASE_LOG_ERROR, "4b: internal error: more than %d calls in one stage",
			  P4B_MAX_BATCH);
		abort();
	}
	d->calls[d->n] = call;
	d->done[d->n] = done;
	d->arg[d->n] = arg;
	d->n++;
	return call;
}

void p4b_args(struct deploy *d, struct awsphase_call *call, ...)
{
	const char *a;
	va_list ap;

	va_start(ap, call);
	while ((a = va_arg(ap, const char *)))
		d->h->call_arg(call, a);
	va_end(ap);
}

int p4b_stage_run(struct deploy *d)
{
	const struct awsphase_host *h = d->h;
	size_t i, n = d->n;
	int rc;

	if (!n)
		return 0;
	rc = h->call_run_all(d->calls, n);
	for (i = 0; i < n; i++) {
		if (h->call_state(d->calls[i]) != AWSPHASE_CALL_FAILED && d->done[i])
			d->done[i](d, d->calls[i], d->arg[i]);
		h->call_free(d->calls[i]);
	}
	d->n = 0;
	return rc;
}

/* The line in the user's language, the JSON entry's result in English:
 * scripts read it. */
static void resource(struct deploy *d, const char *kind, const char *name, const char *id,
		     const char *what, const char *shown)
{
	const struct awsphase_host *h = d->h;
	cJSON *r;

	if (!id || p4b_is_placeholder(id))
		id = "";
	h->say("%s %s %s%s%s (%s)", strncmp(what, "would", 5) == 0 ? "•" : "✓", p4b_kind_text(h, kind),
	       name, *id ? " " : "", id, shown);
	r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "kind", kind);
	cJSON_AddStringToObject(r, "name", name);
	if (*id)
		cJSON_AddStringToObject(r, "id", id);
	else
		cJSON_AddNullToObject(r, "id");
	cJSON_AddStringToObject(r, "result", what);
	cJSON_AddItemToArray(d->resources, r);
}

void p4b_resource(struct deploy *d, const char *kind, const char *name, const char *id,
		  const char *fmt, ...)
{
	char what[768], shown[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	va_start(ap, fmt);
	vsnprintf(shown, sizeof(shown), p4b_text_for(d->h, kind, fmt), ap);
	va_end(ap);
	resource(d, kind, name, id, what, shown);
}

/* fmt's one %s, filled: callers' formats are checked where they are written
 * (p4b_resource_why's format attribute), so this need not be. */
static void fill(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst, size, fmt, ap);
	va_end(ap);
}

void p4b_resource_why(struct deploy *d, const char *kind, const char *name, const char *id,
		      const char *fmt, const struct p4b_why *why)
{
	char what[768], shown[1024];

	fill(what, sizeof(what), fmt, why->en);
	fill(shown, sizeof(shown), p4b_text_for(d->h, kind, fmt), why->shown);
	resource(d, kind, name, id, what, shown);
}

void p4b_record(struct deploy *d, const char *key, const char *value)
{
	const char *old;

	if (!value || !*value || p4b_is_placeholder(value) || d->dry_run)
		return;
	old = d->h->env_get(key);
	if (old && strcmp(old, value) == 0)
		return;
	if (d->h->env_set(key, value) < 0)
		d->record_failed = 1;
}

void p4b_placeholder(char *dst, const char *name, const char *what)
{
	snprintf(dst, P4B_ID_SIZE, "<%s %s>", name, what);
}

int p4b_is_placeholder(const char *id)
{
	return id && id[0] == '<';
}

void p4b_copy(char *dst, const char *src)
{
	snprintf(dst, P4B_ID_SIZE, "%s", src ? src : "");
}

/* ---- deploy ------------------------------------------------------------------ */

static int valid_retention(int days)
{
	static const int ok[] = { 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
				  1096, 1827, 2192, 2557, 2922, 3288, 3653 };
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (ok[i] == days)
			return 1;
	return 0;
}

typedef void (*stage_fn)(struct deploy *d, int stage);

static int cluster_inactive(struct deploy *d);

static const stage_fn resources[] = {
	p4b_roles, p4b_security_groups, p4b_cluster, p4b_log_group, p4b_target_group,
	p4b_load_balancer, p4b_task_definition, p4b_listener,
};

static int stage(struct deploy *d, int n)
{
	size_t i;

	for (i = 0; i < sizeof(resources) / sizeof(resources[0]); i++)
		resources[i](d, n);
	if (n == 4)
		return p4b_service_stage(d, 0);
	return 0;
}

static int plan(struct deploy *d)
{
	int n, rc = 0;

	d->planning = 1;
	d->changes = 0;
	for (n = 1; n <= 4 && !rc; n++)
		rc = stage(d, n);
	d->planning = 0;
	return rc;
}

static int apply(struct deploy *d)
{
	int n, rc = 0;

	d->changes = 0;
	for (n = 1; n <= 4 && !rc && !(d->first && d->collided); n++) {
		rc = stage(d, n);
		if (!rc)
			rc = p4b_stage_run(d);
	}
	return rc;
}

/* What deploy reads; a first deploy, FIRST_READS of it to begin with. */
#define DEPLOY_READS (P4B_SERVICE | P4B_TASKDEF | P4B_SGS | P4B_TG | P4B_ALB | P4B_LISTENERS | \
		      P4B_LOGGROUP | P4B_ROLES)
#define FIRST_READS (P4B_SERVICE | P4B_TASKDEF | P4B_SGS)

/* A first deploy: the env file holds none of the keys deploy writes, and
 * there is no cluster.  Then the target group, load balancer, log group and
 * roles are almost surely not there either, and their four reads (of the
 * seven) would only say so: each is created, and a create that finds its
 * resource already there (EntityAlreadyExists, DuplicateTargetGroupName, …)
 * sends deploy back to reading everything.  Never under --dry-run, whose
 * listing is what a run would do. */
static int first_deploy(const struct deploy *d)
{
	const struct awsphase_envvar *e;
	const char *value;

	if (d->dry_run)
		return 0;
	for (e = p4b_env; e->key; e++) {
		value = d->h->env_get(e->key);
		if ((e->flags & AWSPHASE_ENV_WRITTEN) && value && *value)
			return 0;
	}
	return 1;
}

/* Reads what deploy converges from (a first deploy: FIRST_READS, and the
 * rest only if there is a cluster after all), then plans: 0 or an exit
 * code. */
static int look(struct deploy *d)
{
	int rc = p4b_read(d->c, d->first ? FIRST_READS : DEPLOY_READS, &d->v);

	if (!rc && d->first && !d->v.cluster_missing) {
		d->first = 0;
		rc = p4b_read_more(d->c, DEPLOY_READS, &d->v);
	}
	if (!rc)
		rc = p4b_known(d);
	if (!rc)
		rc = cluster_inactive(d);
	if (!rc)
		rc = p4b_conflicts(d);
	if (!rc)
		rc = plan(d);
	return rc;
}

/* The first pass of a first deploy found something there: read it all
 * and converge, keeping what the pass made. */
static int again(struct deploy *d)
{
	int made = d->changes, rc;

	d->h->log(AWSPHASE_LOG_INFO, "4b deploy: some resources were there already (their keys "
		  "are not in %s): reading them all", d->h->settings->env_file);
	d->first = 0;
	d->collided = 0;
	p4b_view_free(&d->v);
	rc = look(d);
	if (!rc)
		rc = apply(d);
	d->changes += made;
	return rc;
}

void p4b_deploy_init(struct deploy *d, struct p4b *c, const struct awsphase_host *h)
{
	memset(d, 0, sizeof(*d));
	d->c = c;
	d->h = h;
	d->dry_run = h->settings->dry_run;
	d->retention_days = P4B_LOG_RETENTION_DAYS;
	d->resources = cJSON_CreateArray();
}

void p4b_deploy_release(struct deploy *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		d->h->call_free(d->calls[i]);
	d->n = 0;
	p4b_view_free(&d->v);
	cJSON_Delete(d->extra_sgs);
	cJSON_Delete(d->service_after);
	if (d->resources)
		d->h->report_add("resources", d->resources);
	d->resources = NULL;
}

static void summary(struct deploy *d, int waited)
{
	const struct p4b *c = d->c;
	const char *dns = *d->alb_dns ? d->alb_dns : "<ALB DNS>";

	if (d->dry_run) {
		d->h->say("dry run: %d change%s listed above, none made", d->changes,
			  d->changes == 1 ? "" : "s");
		return;
	}
	/* whole sentences: the host translates each as one */
	if (d->changes && waited)
		d->h->say("deployed service %s: stable, targets healthy; http://%s%s", c->service,
			  dns, c->health_path);
	else if (d->changes && no_wait)
		d->h->say("deployed service %s: not waited for (--no-wait); http://%s%s", c->service,
			  dns, c->health_path);
	else if (d->changes)
		d->h->say("deployed service %s: already stable; http://%s%s", c->service, dns,
			  c->health_path);
	else if (waited)
		d->h->say("no changes: service %s: stable, targets healthy; http://%s%s", c->service,
			  dns, c->health_path);
	else if (no_wait)
		d->h->say("no changes: service %s: not waited for (--no-wait); http://%s%s",
			  c->service, dns, c->health_path);
	else
		d->h->say("no changes: service %s: already stable; http://%s%s", c->service, dns,
			  c->health_path);
}

/* describe-services answers for a deleted (INACTIVE) cluster, as teardown
 * --all leaves one, as for a live cluster without the service: the service
 * would be created in a cluster that is gone.  When the service is to be
 * created, make sure the cluster is ACTIVE; create-cluster brings back an
 * INACTIVE one.  One read, only on that path. */
static int cluster_inactive(struct deploy *d)
{
	const char *status = d->h->json_str(d->v.service, "status");
	cJSON *doc = NULL;
	int rc;

	if (d->cluster_missing || (status && strcmp(status, "INACTIVE") != 0))
		return 0;
	rc = d->h->aws(&doc, "ecs", "describe-clusters", "--clusters", d->c->cluster, NULL);
	if (!rc) {
		status = d->h->json_str(doc, "clusters.0.status");
		d->cluster_missing = !status || strcmp(status, "ACTIVE") != 0;
	}
	cJSON_Delete(doc);
	return rc;
}

int p4b_deploy(const struct awsphase_host *h, int argc, const char **argv)
{
	struct p4b c;
	struct deploy d;
	int rc, changes, waited = 0;

	if (argc > 1) {
		h->log(AWSPHASE_LOG_ERROR, "4b deploy: unexpected argument '%s'; see awsphase 4b "
		       "deploy --help", argv[1]);
		return AWSPHASE_EXIT_USAGE;
	}
	if (!valid_retention(retention)) {
		h->log(AWSPHASE_LOG_ERROR, "4b deploy: --log-retention-days %d: CloudWatch Logs does "
		       "not offer it; give 1, 3, 5, 7, 14, 30, 60, 90, 180, 365, …", retention);
		return AWSPHASE_EXIT_USAGE;
	}
	rc = p4b_config(h, &c);
	if (rc)
		return rc;
	p4b_warn_secrets(&c);
	p4b_deploy_init(&d, &c, h);
	d.force = force;
	d.retention_days = retention;

	d.first = first_deploy(&d);
	rc = look(&d);
	if (rc)
		goto out;
	changes = d.changes;
	h->log(AWSPHASE_LOG_VERBOSE, "4b deploy: %d change%s to make", changes, changes == 1 ? "" : "s");
	if (changes) {
		rc = p4b_preflight_aws(&c, 0, 0);
		if (rc)
			goto out;
	}
	rc = apply(&d);
	if (!rc && d.first && d.collided)
		rc = again(&d);
	if (rc || d.dry_run)
		goto out;
	if (no_wait) {
		h->log(AWSPHASE_LOG_VERBOSE, "4b deploy: --no-wait: not waiting for the service");
	} else if (d.changes || !p4b_service_settled(h, d.service_after ? d.service_after :
						     d.v.service)) {
		rc = p4b_wait_service(&c, d.tg_arn, d.dep_id,
				      d.service_after ? d.service_after : d.v.service, d.started);
		waited = 1;
	}
	/* rollback.c: remember the revision that deployed, or move back from one that did not */
	if (!rc && !no_wait) {
		if (p4b_record_good(h, h->json_str(d.service_after ? d.service_after : d.v.service,
						   "taskDefinition")) < 0)
			d.record_failed = 1;
	} else if (waited && (rc == AWSPHASE_EXIT_FAILED || rc == AWSPHASE_EXIT_TIMEOUT)) {
		if (no_rollback) {
			h->log(AWSPHASE_LOG_INFO, "--no-rollback: service %s stays on the failed "
			       "deployment; awsphase 4b rollback --previous moves it back", c.service);
		} else {
			p4b_rollback_to_last_good(&c, d.td_arn, rc == AWSPHASE_EXIT_TIMEOUT ?
						  N_("the deadline passed") : N_("the deployment failed"));
			rc = AWSPHASE_EXIT_FAILED; /* the deploy failed, whatever the rollback did */
		}
	}
out:
	if (!rc && d.record_failed)
		rc = AWSPHASE_EXIT_FAILED;
	if (!rc)
		summary(&d, waited);
	p4b_deploy_release(&d);
	return rc;
}
