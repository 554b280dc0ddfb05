/* Phase 4A module: the ECR repository the backend's image is pushed to, as
 * the runbook's fase 4A (Docker + ECR) makes it, on the host's resource
 * engine (stack.c).  It writes ECR_URI, which phase 4B reads, so awsphase up
 * runs it before 4B. */
#include <stddef.h>

#include "phase4a.h"

#define REPO "(?=.{2,256}$)(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*"

static const struct awsphase_envvar env[] = {
	{ "AWS_REGION", "[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-[0-9]", NULL, AWSPHASE_ENV_REQUIRED,
	  N_("the AWS region, e.g. us-east-2") },
	{ "ECR_REPOSITORY", REPO, "{STACK}-backend", 0,
	  N_("the ECR repository (one per account and region: two env files that name the same "
	  "one share its images)") },
	{ "ECR_TAG", "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}", "latest", 0,
	  N_("the image tag ECR_URI names") },
	{ "ECR_UNTAGGED_DAYS", "[1-9][0-9]{0,3}", "14", 0,
	  N_("days after which untagged images expire (lifecycle policy)") },
	{ "ECR_KEEP_IMAGES", "[1-9][0-9]{0,3}", "30", 0,
	  N_("how many images the lifecycle policy keeps, the newest") },
	{ "ECR_URI", "[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com(?:\\.cn)?/[a-z0-9._/-]+(?::[A-Za-z0-9_.-]{1,128}|@sha256:[0-9a-f]{64})?",
	  NULL, AWSPHASE_ENV_WRITTEN, N_("written by deploy: the image, ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG") },
	{ NULL },
};

static const struct awsphase_action actions[] = {
	{ .name = "deploy", .summary = N_("Create or fix the ECR repository; check its image is pushed"),
	  .options = p4a_deploy_options, .exec = p4a_deploy,
	  .help = N_("Creates the repository ECR_REPOSITORY when missing (scan on push, AES256 "
	  "encryption, MUTABLE tags) and fixes what differs: scan on push, tag mutability, the "
	  "lifecycle policy (untagged images expire after ECR_UNTAGGED_DAYS, the newest "
	  "ECR_KEEP_IMAGES kept).  Encryption cannot change in place: exit 1 saying what to do.  "
	  "Writes ECR_URI (the repository's URI:ECR_TAG), then checks the image is there: when it "
	  "is not, exit 1 with the docker commands that push it.  A second run changes nothing.") },
	{ .name = "validate", .summary = N_("Check the repository's settings and that the image is there"),
	  .exec = p4a_validate, .flags = AWSPHASE_ACTION_READONLY },
	{ .name = "status", .summary = N_("The repository, its settings, its images and the tag's digest"),
	  .exec = p4a_status, .flags = AWSPHASE_ACTION_READONLY },
	{ .name = "teardown", .summary = N_("Delete the repository (--delete-data: with its images)"),
	  .options = p4a_teardown_options, .exec = p4a_teardown,
	  .help = N_("Deletes the repository ECR_REPOSITORY and removes ECR_URI from the env file.  "
	  "While it holds images it refuses (exit 1): images are data, deleted only with "
	  "--delete-data (delete-repository --force).  Asks first on a terminal; elsewhere it "
	  "needs --yes.") },
	{ NULL },
};

static int p4a_init(const struct awsphase_host *h)
{
	p4a_h = h;
	if (!AWSPHASE_HAS(h, awsphase_host, grid_show) || !h->engine)
		return awsphase_host_too_old(h);
	return 0;
}

/* awsphase up's order: before phase 4B, which runs the image ECR_URI names */
static const char *const provides[] = { "ECR_URI", NULL };

static struct awsphase_module phase4a = {
	.name = "4a",
	.aliases = "ecr",
	.title = N_("Docker image repository on ECR (runbook fase 4A)"),
	.env = env,
	.actions = actions,
	.init = p4a_init,
	.provides = provides,
	.export_cfn = p4a_export_cfn,
};

AWSPHASE_MODULE(phase4a)
