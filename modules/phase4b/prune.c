/* awsphase 4b prune: deregister the family's ACTIVE task definition
 * revisions beyond the newest --keep N, never one the service runs or a
 * deployment of it still runs, nor the last two good ones rollback goes
 * back to (LAST_GOOD_TASK_DEF_ARN, PREVIOUS_GOOD_TASK_DEF_ARN).  A revision
 * deregistered is INACTIVE, still describable: nothing is lost, so no
 * --delete-data.  One line (and JSON row) per revision: kept and why, or
 * deregistered. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "deploy.h"
#include "rollback.h"

#define PRUNE_MAX 1000 /* rows a run looks at; the rest waits for the next */

static int opt_keep, opt_yes;


const struct poptOption p4b_prune_options[] = {
	{ "keep", 0, POPT_ARG_INT, &opt_keep, 0,
	  N_("how many of the newest ACTIVE revisions to keep (1 or more; required)"), "N" },
	{ "yes", 'y', POPT_ARG_NONE, &opt_yes, 0,
	  N_("deregister without asking (required when stdin is not a terminal)"), NULL },
	POPT_TABLEEND
};

/* "FAMILY:N" of an ARN of family, else NULL (a family sharing the prefix). */
static const char *of_family(const cJSON *arn, const char *family)
{
	const char *name = cJSON_IsString(arn) ? p4b_arn_tail(arn->valuestring) : NULL;
	size_t n = strlen(family);

	return name && strncmp(name, family, n) == 0 && name[n] == ':' ? name : NULL;
}

static int same(const char *arn, const char *name)
{
	return arn && strcmp(p4b_arn_tail(arn), name) == 0;
}

/* Why name is kept, in English (marked for the catalogue), or NULL. */
static const char *kept_why(const struct awsphase_host *h, const cJSON *svc, const char *name,
			    int newest)
{
	const cJSON *d;

	if (same(h->json_str(svc, "taskDefinition"), name))
		return N_("in service");
	cJSON_ArrayForEach(d, h->json_get(svc, "deployments"))
		if (same(h->json_str(d, "taskDefinition"), name))
			return N_("a deployment runs it");
	if (same(h->env_get(P4B_LAST_GOOD_KEY), name))
		return N_("last good (LAST_GOOD_TASK_DEF_ARN)");
	if (same(h->env_get(P4B_PREVIOUS_GOOD_KEY), name))
		return N_("previous good (PREVIOUS_GOOD_TASK_DEF_ARN)");
	return newest ? N_("among the newest --keep") : NULL;
}

static const char *words(const struct awsphase_host *h, const char *s)
{
	return h->settings->json_output ? s : h->text(s);
}

/* One row per revision, newest first: kept and why, or what became of
 * its deregister-task-definition. */
static void show(const struct awsphase_host *h, const char *const *names, const char *const *why,
		 struct awsphase_call *const *calls, size_t n)
{
	static const char *const headers[] = { N_("Revision"), N_("Result"), N_("Why"), NULL };
	struct awsphase_grid *g = h->grid_new(3);
	size_t i;

	for (i = 0; i < n; i++) {
		enum awsphase_call_state st = calls[i] ? h->call_state(calls[i]) : AWSPHASE_CALL_OK;

		h->grid_put(g, i, 0, "%s", names[i]);
		h->grid_put(g, i, 1, "%s", words(h, why[i] ? N_("kept") :
			    st == AWSPHASE_CALL_DRY_RUN ? N_("would deregister") :
			    st == AWSPHASE_CALL_OK ? N_("deregistered") : N_("failed")));
		if (why[i])
			h->grid_put(g, i, 2, "%s", words(h, why[i]));
	}
	h->grid_show(g, N_("revisions"), headers);
}

int p4b_prune(const struct awsphase_host *h, int argc, const char **argv)
{
	struct awsphase_call *reads[2], *calls[PRUNE_MAX] = { NULL }, *drop[PRUNE_MAX];
	const char *names[PRUNE_MAX], *why[PRUNE_MAX];
	const cJSON *arn, *svc;
	struct p4b c;
	char list[4096] = "", text[4400];
	size_t n = 0, ndrop = 0, i;
	int rc, ask = !opt_yes && !h->settings->dry_run;

	if (opt_keep < 1) {
		h->log(AWSPHASE_LOG_ERROR, "--keep N: give how many of the newest revisions to keep, "
		       "1 or more (e.g. --keep 5)");
		return AWSPHASE_EXIT_USAGE;
	}
	if (ask && !isatty(STDIN_FILENO)) {
		h->log(AWSPHASE_LOG_ERROR, "it deregisters task definition revisions and asks first; "
		       "stdin is not a terminal to ask on: pass --yes to deregister without asking, or "
		       "--dry-run to see what it would deregister");
		return AWSPHASE_EXIT_USAGE;
	}
	rc = p4b_config(h, &c);
	if (rc)
		return rc;
	reads[0] = h->call_new("ecs", "describe-services");
	h->call_args(reads[0], "--cluster", c.cluster, "--services", c.service, NULL);
	h->call_accept(reads[0], "ClusterNotFoundException");
	reads[1] = h->call_new("ecs", "list-task-definitions");
	h->call_args(reads[1], "--family-prefix", c.family, "--status", "ACTIVE", "--sort", "DESC", NULL);
	rc = h->call_run_all(reads, 2);
	if (rc)
		goto out;
	svc = h->json_get(h->call_json(reads[0]), "services.0");
	/* newest first (--sort DESC); past PRUNE_MAX, the rest waits for the next run */
	cJSON_ArrayForEach(arn, h->json_get(h->call_json(reads[1]), "taskDefinitionArns")) {
		if (n == PRUNE_MAX || !(names[n] = of_family(arn, c.family)))
			continue;
		why[n] = kept_why(h, svc, names[n], (int)n < opt_keep);
		if (!why[n]) {
			calls[n] = drop[ndrop++] = h->call_new("ecs", "deregister-task-definition");
			h->call_args(calls[n], "--task-definition", names[n], NULL);
			h->catf(list, sizeof(list), "  • %s\n", names[n]);
		}
		n++;
	}
	if (ndrop && ask) {
		snprintf(text, sizeof(text), h->text("awsphase 4b prune will deregister these revisions "
			 "of %s (they stay describable, INACTIVE):\n%s"), c.family, list);
		if (h->confirm(text, h->text("Type yes to deregister them: ")) != 1) {
			h->log(AWSPHASE_LOG_ERROR, "not confirmed: nothing deregistered");
			rc = AWSPHASE_EXIT_FAILED;
			goto out;
		}
	}
	rc = ndrop ? h->call_run_all(drop, ndrop) : 0;
	show(h, names, why, calls, n);
	if (rc)
		goto out;
	if (h->settings->dry_run)
		h->say("dry run: %zu revision(s) of %s would be deregistered, %zu kept", ndrop, c.family,
		       n - ndrop);
	else if (ndrop)
		h->say("pruned %s: %zu revision(s) deregistered, %zu kept", c.family, ndrop, n - ndrop);
	else
		h->say("nothing to prune: %s keeps all its %zu ACTIVE revision(s)", c.family, n);
out:
	for (i = 0; i < ndrop; i++)
		h->call_free(drop[i]);
	h->call_free(reads[0]);
	h->call_free(reads[1]);
	return rc;
}
