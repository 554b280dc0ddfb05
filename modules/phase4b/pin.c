/* IMAGE_PINNING=digest: deploy registers ECR_URI's image by the digest its
 * tag names now (ecr describe-images, the stack's "image" resource, which
 * preflight checks too), so that a new image pushed under the same tag is a
 * new revision and a real deployment, and a revision rolled back to runs
 * the very image it ran — not today's image under its tag. */
#include <stdio.h>
#include <string.h>

#include "stack.h"

/* The length of ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO in uri, before
 * its :TAG or @DIGEST. */
static size_t repo_len(const char *uri)
{
	const char *slash = strrchr(uri, '/');

	return slash ? (size_t)(slash - uri) + strcspn(slash, ":@") : strlen(uri);
}

const char *p4b_image_ref(const struct p4b *c, const cJSON *image, char *buf, size_t size)
{
	const char *digest = p4b_str(image, "imageDigest");

	/* given as REPO@sha256:… already, or not found (preflight says so) */
	if (c->pin_tag || !digest || strncmp(digest, "sha256:", 7) != 0 || strchr(c->ecr_uri, '@'))
		return c->ecr_uri;
	snprintf(buf, size, "%.*s@%s", (int)repo_len(c->ecr_uri), c->ecr_uri, digest);
	return buf;
}

int p4b_image_of_uri(const struct p4b *c, const char *image)
{
	size_t n = repo_len(c->ecr_uri);

	return image && (strcmp(image, c->ecr_uri) == 0 ||
			 (strncmp(image, c->ecr_uri, n) == 0 && image[n] == '@'));
}

void p4b_image_report(const struct p4b *c, const char *ref, const char *digest)
{
	const struct awsphase_host *h = c->h;
	struct p4b_image im;
	const char *at = ref ? strchr(ref, '@') : NULL;
	const char *tag = p4b_parse_image(c->ecr_uri, &im) == 0 && im.tag[0] ? im.tag : NULL;

	if (at)
		digest = at + 1;
	h->report_add("image_tag", tag ? cJSON_CreateString(tag) : cJSON_CreateNull());
	h->report_add("image_digest", digest ? cJSON_CreateString(digest) : cJSON_CreateNull());
	/* sha256: and 12 of its 64 digits, as docker shows an image id */
	if (digest)
		h->say("image %s (%.19s…)", c->ecr_uri, digest);
	else
		h->say("image %s (digest unknown)", c->ecr_uri);
}
