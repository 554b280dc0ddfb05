"""ECR as AWS keeps images: moto 5.2.1's put-image deletes the image a moved tag pointed at,
while ECR keeps it, untagged (no imageTags), until a lifecycle rule expires it or someone
deletes it by digest. A task definition pinned to REPO@sha256:… of such an image (what
awsphase registers, and rolls back to) must still pull, as on AWS.

image_digest() is the digest a task's image resolves to, for describe-tasks' imageDigest;
built_as() the tag an image was first pushed with, which the stand-in app reports as the version
built into it (a real image carries its version inside: retagging or pinning it by digest does
not change what it says)."""

from moto.ecr.models import ECRBackend

from .checks import ECR_IMAGE_RE
from .backends import backend


BUILT_AS = {}


def install(sim):
    orig_put_image = ECRBackend.put_image

    def put_image(self, repository_name, image_manifest, image_tag, *args, **kwargs):
        repo = self.repositories.get(repository_name)
        if repo is not None and image_tag:
            # raises as moto does for an IMMUTABLE tag; else the images holding the tag
            for image in self._resolve_image_tag_mutability(repo, image_tag):
                if image.image_manifest != image_manifest:
                    image.remove_tag(image_tag)
                    if not image.image_tags:
                        image.image_tag = None
        image = orig_put_image(self, repository_name, image_manifest, image_tag, *args, **kwargs)
        if image_tag:
            BUILT_AS.setdefault(image.get_image_digest(), image_tag)
        return image

    ECRBackend.put_image = put_image


def image_digest(image):
    """The digest of the ECR image REPO:TAG or REPO@DIGEST names, or None."""
    m = ECR_IMAGE_RE.match(image or "")
    if not m:
        return None
    repo = backend("ecr", region=m["region"], account=m["account"]).repositories.get(m["repo"])
    for img in repo.images if repo is not None else []:
        if img.get_image_digest() == m["digest"] or (
                not m["digest"] and (m["tag"] or "latest") in img.image_tags):
            return img.get_image_digest()
    return None


def built_as(image):
    """The tag the image REPO:TAG or REPO@DIGEST names was first pushed with, or None."""
    return BUILT_AS.get(image_digest(image))
