/* awsphase 4a validate: the repository's settings as checks, and the
 * image ECR_URI names (ECR_TAG in ECR_REPOSITORY), tag and digest shown. */
#include <string.h>

#include "phase4a.h"

static const char *const read_keys[] = { "repo", "lifecycle", "images", NULL };

static int is(const char *s, const char *want)
{
	return s && strcmp(s, want) == 0;
}

static enum awsphase_status status(int ok, int *failed)
{
	*failed += !ok;
	return ok ? AWSPHASE_OK : AWSPHASE_FAIL;
}

int p4a_validate(const struct awsphase_host *h, int argc, const char **argv)
{
	const struct awsphase_engine *e = h->engine;
	const char *name = h->env_get("ECR_REPOSITORY"), *tag = h->env_get("ECR_TAG");
	const char *enc, *mut, *uri;
	const cJSON *repo, *image;
	struct awsphase_stack *s;
	struct p4a_policy policy;
	int rc, failed = 0, ok;

	s = p4a_open(NULL, read_keys, &rc);
	if (!s)
		return rc;
	repo = e->have(s, "repo");
	if (!repo) {
		h->check(N_("repository"), AWSPHASE_FAIL, "%s does not exist (awsphase 4a deploy creates it)",
			 name);
		e->close(s);
		return AWSPHASE_EXIT_FAILED;
	}
	uri = h->json_str(repo, "repositoryUri");
	h->check(N_("repository"), AWSPHASE_OK, "%s", uri);

	ok = cJSON_IsTrue(h->json_get(repo, "imageScanningConfiguration.scanOnPush"));
	h->check(N_("scan on push"), status(ok, &failed), "%s",
		 ok ? h->text("on") : h->text("off (awsphase 4a deploy turns it on)"));

	enc = h->json_str(repo, "encryptionConfiguration.encryptionType");
	ok = !enc || is(enc, "AES256");
	if (ok)
		h->check(N_("encryption"), status(ok, &failed), "AES256");
	else
		h->check(N_("encryption"), status(ok, &failed), "%s, not AES256 (only a new repository "
			 "changes it)", enc);

	mut = h->json_str(repo, "imageTagMutability");
	ok = is(mut, "MUTABLE");
	if (ok)
		h->check(N_("tag mutability"), status(ok, &failed), "MUTABLE");
	else
		h->check(N_("tag mutability"), status(ok, &failed), "%s, not MUTABLE (awsphase 4a deploy "
			 "changes it)", mut ? mut : "?");

	p4a_policy_read(h->json_str(e->have(s, "lifecycle"), "lifecyclePolicyText"), &policy);
	ok = e->have(s, "lifecycle") && p4a_policy_ok(&policy);
	if (!e->have(s, "lifecycle"))
		h->check(N_("lifecycle policy"), status(ok, &failed), "none (awsphase 4a deploy puts it)");
	else if (ok)
		h->check(N_("lifecycle policy"), status(ok, &failed), "%s", p4a_policy_words(&policy));
	else
		h->check(N_("lifecycle policy"), status(ok, &failed), "%s (awsphase 4a deploy puts the "
			 "wanted one)", p4a_policy_words(&policy));

	image = p4a_tagged_image(e->have(s, "images"), tag);
	if (image)
		h->check(N_("image"), status(1, &failed), "%s:%s %s", uri, tag,
			 h->json_str(image, "imageDigest"));
	else
		h->check(N_("image"), status(0, &failed), "no image tagged %s (awsphase 4a deploy says how "
			 "to push it)", tag);
	e->close(s);
	return failed ? AWSPHASE_EXIT_FAILED : AWSPHASE_EXIT_OK;
}
