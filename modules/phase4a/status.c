/* awsphase 4a status: the repository, its settings, how many images it
 * holds, and the digest and push time of ECR_TAG's image. */
#include "phase4a.h"

static const char *const read_keys[] = { "repo", "lifecycle", "images", NULL };

/* A word of a cell: the user's language in text, English in JSON. */
static const char *word(const struct awsphase_host *h, const char *s)
{
	return h->settings->json_output ? s : h->text(s);
}

int p4a_status(const struct awsphase_host *h, int argc, const char **argv)
{
	static const char *const headers[] = { N_("setting"), N_("value"), NULL };
	const struct awsphase_engine *e = h->engine;
	const char *tag = h->env_get("ECR_TAG"), *enc;
	const cJSON *repo, *image;
	struct awsphase_stack *s;
	struct awsphase_grid *g;
	struct p4a_policy policy;
	char when[64];
	size_t row = 0;
	int rc;

	s = p4a_open(NULL, read_keys, &rc);
	if (!s)
		return rc;
	repo = e->have(s, "repo");
	if (!repo) {
		h->check(N_("repository"), AWSPHASE_FAIL, "%s does not exist (awsphase 4a deploy creates it)",
			 h->env_get("ECR_REPOSITORY"));
		e->close(s);
		return AWSPHASE_EXIT_FAILED;
	}
	image = p4a_tagged_image(e->have(s, "images"), tag);
	enc = h->json_str(repo, "encryptionConfiguration.encryptionType");
	p4a_policy_read(h->json_str(e->have(s, "lifecycle"), "lifecyclePolicyText"), &policy);
	g = h->grid_new(2);
	h->grid_put(g, row, 0, "%s", word(h, N_("repository")));
	h->grid_put(g, row++, 1, "%s", h->json_str(repo, "repositoryUri"));
	h->grid_put(g, row, 0, "%s", word(h, N_("scan on push")));
	h->grid_put(g, row++, 1, "%s", word(h, cJSON_IsTrue(h->json_get(repo,
		    "imageScanningConfiguration.scanOnPush")) ? N_("on") : N_("off")));
	h->grid_put(g, row, 0, "%s", word(h, N_("encryption")));
	h->grid_put(g, row++, 1, "%s", enc ? enc : "AES256");
	h->grid_put(g, row, 0, "%s", word(h, N_("tag mutability")));
	h->grid_put(g, row++, 1, "%s", h->json_str(repo, "imageTagMutability"));
	h->grid_put(g, row, 0, "%s", word(h, N_("lifecycle policy")));
	h->grid_put(g, row++, 1, "%s", e->have(s, "lifecycle") ? p4a_policy_words(&policy) :
		    word(h, N_("none")));
	h->grid_put(g, row, 0, "%s", word(h, N_("images")));
	h->grid_put(g, row++, 1, "%d", cJSON_GetArraySize(h->json_get(e->have(s, "images"),
										 "imageDetails")));
	h->grid_put(g, row, 0, "%s", tag);
	h->grid_put(g, row++, 1, "%s", image ? h->json_str(image, "imageDigest") :
		    word(h, N_("no image with this tag")));
	h->format_time(image ? h->json_time(h->json_get(image, "imagePushedAt")) : -1, 0, when,
		       sizeof(when));
	h->grid_put(g, row, 0, "%s", word(h, N_("pushed")));
	h->grid_put(g, row++, 1, "%s", when);
	h->grid_show(g, N_("repository"), headers);
	e->close(s);
	return image ? AWSPHASE_EXIT_OK : AWSPHASE_EXIT_FAILED;
}
