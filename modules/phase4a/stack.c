/* Phase 4A's resources for the engine: the ECR repository, its lifecycle
 * policy (a part of it: found with get-lifecycle-policy, put when missing or
 * different) and its images (data, for the image check, status and the
 * teardown's refusal to delete them unasked).
 *
 *   key        kind              found by                 needs
 *   repo       ECR repository    describe-repositories    -
 *   lifecycle  lifecycle policy  get-lifecycle-policy     repo (part of it)
 *   images     (data)            describe-images          -
 *
 * The three reads name the repository, not one another's answers, so an
 * action reads them in one concurrent round. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phase4a.h"

const struct awsphase_host *p4a_h;

enum { FIX_SCAN = 1 << 0, FIX_MUTABILITY = 1 << 1 };

int p4a_untagged_days(void)
{
	return atoi(p4a_h->env_get("ECR_UNTAGGED_DAYS"));
}

int p4a_keep_images(void)
{
	return atoi(p4a_h->env_get("ECR_KEEP_IMAGES"));
}

/* ---- repository ---------------------------------------------------------------------- */

static const char *const repo_find[] = { "--repository-names", "{name}", NULL };
static const char *const repo_none[] = { "RepositoryNotFoundException", NULL };
static const char *const repo_exists[] = { "RepositoryAlreadyExistsException", NULL };
/* Encryption is chosen at create and cannot change after; scan on push and
 * tag mutability are fixed in place.  MUTABLE: the runbook pushes :latest
 * again for every release. */
static const char *const repo_create[] = { "--repository-name", "{name}",
	"--image-scanning-configuration", "scanOnPush=true",
	"--encryption-configuration", "encryptionType=AES256",
	"--image-tag-mutability", "MUTABLE",
	"--tags", "Key=Name,Value={name}", "Key=awsphase:stack,Value={stack}",
	"Key=awsphase:phase,Value=4a", NULL };

static void repo_differs(struct awsphase_res *r, const cJSON *have)
{
	const char *enc, *mut;

	if (have) {
		enc = p4a_h->json_str(have, "encryptionConfiguration.encryptionType");
		mut = p4a_h->json_str(have, "imageTagMutability");
		if (enc && strcmp(enc, "AES256") != 0)
			P4A_E->conflict(r, "ECR repository %s: encryption is %s, not AES256, and cannot "
					"change in place: set ECR_REPOSITORY to a new repository, or delete "
					"this one with its images (awsphase 4a teardown --delete-data) and "
					"deploy again", P4A_E->name(r), enc);
		if (!cJSON_IsTrue(p4a_h->json_get(have, "imageScanningConfiguration.scanOnPush")))
			P4A_E->differs(r, FIX_SCAN, "scan on push off → on");
		if (mut && strcmp(mut, "MUTABLE") != 0)
			P4A_E->differs(r, FIX_MUTABILITY, "tag mutability %s → MUTABLE", mut);
	}
	P4A_E->note(r, "scan on push, AES256, tags MUTABLE");
}

static void repo_fix(struct awsphase_res *r, const cJSON *have, unsigned what)
{
	struct awsphase_call *call;

	if (what & FIX_SCAN) {
		call = P4A_E->call(r, "ecr", "put-image-scanning-configuration");
		P4A_E->args(r, call, "--repository-name", "{name}", "--image-scanning-configuration",
			    "scanOnPush=true", NULL);
	}
	if (what & FIX_MUTABILITY) {
		call = P4A_E->call(r, "ecr", "put-image-tag-mutability");
		P4A_E->args(r, call, "--repository-name", "{name}", "--image-tag-mutability", "MUTABLE",
			    NULL);
	}
}

/* Without --delete-data the delete has no --force: should an image have
 * been pushed since teardown looked, ECR refuses (RepositoryNotEmpty). */
static void repo_remove(struct awsphase_res *r)
{
	static const char *const gone[] = { "RepositoryNotFoundException", NULL };
	struct p4a_run *run = P4A_E->ctx(r);
	struct awsphase_call *call = P4A_E->remove_step(r, "ecr", "delete-repository", gone, NULL,
							NULL, "delete|deleted");

	P4A_E->args(r, call, "--repository-name", "{name}", NULL);
	if (run && run->delete_data)
		p4a_h->call_arg(call, "--force");
}

/* ECR_URI joins the repository's URI with ECR_TAG: deploy writes it
 * (deploy.c); declared here so that teardown removes it with the
 * repository. */
static const struct awsphase_output repo_out[] = { { "ECR_URI", NULL }, { NULL } };

static const struct awsphase_resource repo = {
	AWSPHASE_RESOURCE, .key = "repo", .kind = N_("ECR repository"), .name = "{ECR_REPOSITORY}",
	.find = { "ecr", "describe-repositories", repo_find, repo_none },
	.list = "repositories", .match = "repositoryName",
	.id = "repositoryArn", .show = "{.repositoryUri}", .outputs = repo_out,
	.create = { "ecr", "create-repository", repo_create, repo_exists }, .created = "repository",
	.differs = repo_differs, .fix = repo_fix,
	.remove_fn = repo_remove,
};

/* ---- lifecycle policy ---------------------------------------------------------------- */

/* One expire rule: images of tag_status past number (of count_type, in
 * count_unit when it has one). */
static void add_rule(cJSON *rules, int priority, const char *description, const char *tag_status,
		     const char *count_type, const char *count_unit, int number)
{
	cJSON *rule = cJSON_CreateObject(), *sel;

	cJSON_AddNumberToObject(rule, "rulePriority", priority);
	cJSON_AddStringToObject(rule, "description", description);
	sel = cJSON_AddObjectToObject(rule, "selection");
	cJSON_AddStringToObject(sel, "tagStatus", tag_status);
	cJSON_AddStringToObject(sel, "countType", count_type);
	if (count_unit)
		cJSON_AddStringToObject(sel, "countUnit", count_unit);
	cJSON_AddNumberToObject(sel, "countNumber", number);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(rule, "action"), "type", "expire");
	cJSON_AddItemToArray(rules, rule);
}

char *p4a_policy_text(void)
{
	cJSON *policy = cJSON_CreateObject(), *rules = cJSON_AddArrayToObject(policy, "rules");
	char desc[96];
	char *text;

	snprintf(desc, sizeof(desc), "expire untagged images after %d days", p4a_untagged_days());
	add_rule(rules, 1, desc, "untagged", "sinceImagePushed", "days", p4a_untagged_days());
	snprintf(desc, sizeof(desc), "keep only the newest %d images", p4a_keep_images());
	add_rule(rules, 2, desc, "any", "imageCountMoreThan", NULL, p4a_keep_images());

	text = cJSON_PrintUnformatted(policy);
	cJSON_Delete(policy);
	return text;
}

static int is(const char *s, const char *want)
{
	return s && strcmp(s, want) == 0;
}

void p4a_policy_read(const char *text, struct p4a_policy *p)
{
	cJSON *policy = text ? cJSON_Parse(text) : NULL;
	const cJSON *rule;

	p->untagged_days = p->keep = -1;
	p->others = 0;
	cJSON_ArrayForEach(rule, cJSON_GetObjectItemCaseSensitive(policy, "rules")) {
		const char *status = p4a_h->json_str(rule, "selection.tagStatus");
		const char *count = p4a_h->json_str(rule, "selection.countType");
		int n = (int)p4a_h->json_num(rule, "selection.countNumber", -1);

		if (!is(p4a_h->json_str(rule, "action.type"), "expire"))
			p->others++;
		else if (is(status, "untagged") && is(count, "sinceImagePushed") &&
			 is(p4a_h->json_str(rule, "selection.countUnit"), "days") && p->untagged_days < 0)
			p->untagged_days = n;
		else if (is(status, "any") && is(count, "imageCountMoreThan") && p->keep < 0)
			p->keep = n;
		else
			p->others++;
	}
	cJSON_Delete(policy);
}

int p4a_policy_ok(const struct p4a_policy *p)
{
	return p->untagged_days == p4a_untagged_days() && p->keep == p4a_keep_images() && !p->others;
}

const char *p4a_policy_words(const struct p4a_policy *p)
{
	static char buf[256];
	char days[96], keep[96];

	if (p->untagged_days < 0)
		snprintf(days, sizeof(days), "%s", p4a_h->text("untagged images never expire"));
	else
		snprintf(days, sizeof(days), p4a_h->text("untagged images expire after %d days"),
			 p->untagged_days);
	if (p->keep < 0)
		snprintf(keep, sizeof(keep), "%s", p4a_h->text("every image kept"));
	else
		snprintf(keep, sizeof(keep), p4a_h->text("the newest %d kept"), p->keep);
	snprintf(buf, sizeof(buf), "%s, %s", days, keep);
	return buf;
}

static const char *const policy_find[] = { "--repository-name", "{name}", NULL };
static const char *const policy_none[] = { "LifecyclePolicyNotFoundException",
	"RepositoryNotFoundException", NULL };
static const char *const after_repo[] = { "repo", NULL };

static int policy_args(struct awsphase_res *r, struct awsphase_call *call)
{
	char *text = p4a_policy_text();

	P4A_E->args(r, call, "--repository-name", "{name}", NULL);
	p4a_h->call_arg(call, "--lifecycle-policy-text");
	p4a_h->call_arg(call, text);
	cJSON_free(text);
	return 0;
}

/* have NULL: just put.  Else the live policy against the wanted one. */
static void policy_differs(struct awsphase_res *r, const cJSON *have)
{
	struct p4a_policy now, want = { p4a_untagged_days(), p4a_keep_images(), 0 };

	if (have) {
		p4a_policy_read(p4a_h->json_str(have, "lifecyclePolicyText"), &now);
		if (now.untagged_days < 0 && now.untagged_days != want.untagged_days)
			P4A_E->differs(r, 1, "untagged images never expire → after %d days",
				       want.untagged_days);
		else if (now.untagged_days != want.untagged_days)
			P4A_E->differs(r, 1, "untagged images expire after %d → %d days",
				       now.untagged_days, want.untagged_days);
		if (now.keep < 0)
			P4A_E->differs(r, 1, "every image kept → the newest %d", want.keep);
		else if (now.keep != want.keep)
			P4A_E->differs(r, 1, "images kept %d → %d", now.keep, want.keep);
		if (now.others)
			P4A_E->differs(r, 1, "%d other lifecycle rule(s) → none", now.others);
	}
	P4A_E->note(r, "lifecycle policy (%s)", p4a_policy_words(&want));
}

static void policy_fix(struct awsphase_res *r, const cJSON *have, unsigned what)
{
	policy_args(r, P4A_E->call(r, "ecr", "put-lifecycle-policy"));
}

static const struct awsphase_resource lifecycle = {
	AWSPHASE_RESOURCE, .key = "lifecycle", .kind = N_("lifecycle policy"), .name = "{ECR_REPOSITORY}",
	.needs = after_repo, .part_of = "repo",
	.find = { "ecr", "get-lifecycle-policy", policy_find, policy_none },
	.create = { "ecr", "put-lifecycle-policy" }, .create_args = policy_args,
	.differs = policy_differs, .fix = policy_fix,
	/* no remove: it goes with the repository */
};

/* ---- images (data) ------------------------------------------------------------------- */

static const struct awsphase_resource images = {
	AWSPHASE_RESOURCE, .key = "images", .kind = N_("images"), .name = "{ECR_REPOSITORY}",
	.flags = AWSPHASE_RES_DATA,
	.find = { "ecr", "describe-images", policy_find, repo_none },
};

const cJSON *p4a_tagged_image(const cJSON *answer, const char *tag)
{
	const cJSON *image, *t;

	cJSON_ArrayForEach(image, p4a_h->json_get(answer, "imageDetails"))
		cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(image, "imageTags"))
			if (cJSON_IsString(t) && is(t->valuestring, tag))
				return image;
	return NULL;
}

const struct awsphase_stack_spec p4a_stack = {
	AWSPHASE_STACK,
	.resources = (const struct awsphase_resource *const[]){ &repo, &lifecycle, &images, NULL },
};

struct awsphase_stack *p4a_open(struct p4a_run *run, const char *const *keys, int *rc)
{
	struct awsphase_stack *s = P4A_E->open(&p4a_stack, run);

	*rc = s ? P4A_E->read(s, keys) : AWSPHASE_EXIT_FAILED;
	if (s && *rc) {
		P4A_E->close(s);
		s = NULL;
	}
	return s;
}
