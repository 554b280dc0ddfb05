/* awsphase 4a teardown: deletes the repository.  Its images are data: while
 * it holds any, teardown refuses unless --delete-data says to delete them
 * with it (delete-repository --force).  ECR_URI leaves the env file. */
#include <unistd.h>

#include "phase4a.h"

static int opt_yes, opt_delete_data;

const struct poptOption p4a_teardown_options[] = {
	{ "yes", 'y', POPT_ARG_NONE, &opt_yes, 0,
	  N_("delete without asking (required when stdin is not a terminal)"), NULL },
	{ "delete-data", 0, POPT_ARG_NONE, &opt_delete_data, 0,
	  N_("delete the repository's images with it (else teardown stops while it holds any)"), NULL },
	POPT_TABLEEND
};

static const char *const read_keys[] = { "repo", "images", NULL };
static const char *const remove_keys[] = { "repo", NULL };

int p4a_teardown(const struct awsphase_host *h, int argc, const char **argv)
{
	const struct awsphase_engine *e = h->engine;
	const char *name = h->env_get("ECR_REPOSITORY");
	struct p4a_run run = { .delete_data = opt_delete_data };
	struct awsphase_stack *s;
	int rc, steps = 0, n;

	if (!opt_yes && !h->settings->dry_run && !isatty(STDIN_FILENO)) {
		h->log(AWSPHASE_LOG_ERROR, "it deletes the ECR repository %s, and asks first; stdin is "
		       "not a terminal to ask on: pass --yes to delete without asking, or --dry-run to "
		       "see what it would delete", name);
		return AWSPHASE_EXIT_USAGE;
	}
	s = p4a_open(&run, read_keys, &rc);
	if (!s)
		return rc;
	n = cJSON_GetArraySize(h->json_get(e->have(s, "images"), "imageDetails"));
	if (e->have(s, "repo") && n > 0 && !opt_delete_data) {
		h->log(AWSPHASE_LOG_ERROR, "the repository %s holds %d image(s), and teardown deletes "
		       "no data unasked: push them elsewhere first if you need them, then run "
		       "awsphase 4a teardown --delete-data to delete the repository with its images",
		       name, n);
		e->close(s);
		return AWSPHASE_EXIT_FAILED;
	}
	rc = e->teardown(s, remove_keys, opt_yes ? AWSPHASE_TEARDOWN_YES : 0, &steps);
	if (!rc && !steps)
		h->say("nothing to tear down: the repository %s does not exist", name);
	else if (!rc && h->settings->dry_run)
		h->say("dry run: the deletion above was listed, none made");
	else if (!rc)
		h->say("torn down: the repository %s is gone", name);
	e->close(s);
	return rc;
}
