/* Phase 3's S3 bucket: the bucket, and three parts of it read and fixed on
 * their own — its public access block (all four on), its default
 * encryption (SSE-S3 unless it has another) and its versioning (Enabled) —
 * plus its object versions (data), for teardown, which empties it only
 * under --delete-data.
 *
 *   key         kind            found by                  needs
 *   bucket      S3 bucket       list-buckets              -
 *   bucket-pab  (part)          get-public-access-block   bucket
 *   bucket-enc  (part)          get-bucket-encryption     bucket
 *   bucket-ver  (part)          get-bucket-versioning     bucket
 *   objects     (data)          list-object-versions      -
 *
 * The bucket's name is S3_BUCKET, else {STACK}-uploads-ACCOUNT: a setting
 * the engine's templates cannot compute, so p3_open sets it (.name) before
 * it opens the stack. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phase3.h"

static int is(const char *s, const char *want)
{
	return s && strcmp(s, want) == 0;
}

/* create-bucket outside us-east-1 says where (there, it must not). */
static int bucket_args(struct awsphase_res *r, struct awsphase_call *call)
{
	const char *region = p3_h->settings->region;

	if (region && strcmp(region, "us-east-1") != 0) {
		p3_h->call_arg(call, "--create-bucket-configuration");
		p3_h->call_argf(call, "LocationConstraint=%s", region);
	}
	return 0;
}

static const char *const bucket_name[] = { "--bucket", "{name}", NULL };
static const char *const bucket_exists[] = { "BucketAlreadyOwnedByYou", NULL };
static const char *const bucket_gone[] = { "NoSuchBucket", NULL };
static const struct awsphase_output bucket_out[] = { { "S3_BUCKET", "Name" }, { NULL } };

/* With --delete-data (else teardown.c stops first): every version and
 * delete marker, 1000 a delete-objects call, then the bucket. */
static void bucket_remove(struct awsphase_res *r)
{
	static const char *const gone[] = { "NoSuchBucket", NULL };
	static const char *const lists[] = { "Versions", "DeleteMarkers" };
	const cJSON *answer = P3_E->item(r, "objects"), *v;
	cJSON *doc = NULL, *objects = NULL;
	int n = 0, total = p3_object_count(answer);
	size_t i;

	for (i = 0; i < 2; i++)
		cJSON_ArrayForEach(v, p3_h->json_get(answer, lists[i])) {
			cJSON *o;

			if (!doc) {
				doc = cJSON_CreateObject();
				objects = cJSON_AddArrayToObject(doc, "Objects");
				cJSON_AddTrueToObject(doc, "Quiet");
			}
			o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "Key", p3_h->json_str(v, "Key"));
			if (p3_h->json_str(v, "VersionId"))
				cJSON_AddStringToObject(o, "VersionId", p3_h->json_str(v, "VersionId"));
			cJSON_AddItemToArray(objects, o);
			if (++n % 1000 == 0 || n == total) {
				struct awsphase_call *call;
				char *text = cJSON_PrintUnformatted(doc);

				call = P3_E->remove_step(r, "s3api", "delete-objects", gone, NULL, NULL,
							 "delete %d object version(s)|%d object "
							 "version(s) deleted", cJSON_GetArraySize(objects),
							 cJSON_GetArraySize(objects));
				P3_E->args(r, call, "--bucket", "{name}", "--delete", NULL);
				p3_h->call_arg(call, text);
				cJSON_free(text);
				cJSON_Delete(doc);
				doc = NULL;
			}
		}
	cJSON_Delete(doc);
}

struct awsphase_resource p3_bucket = {
	AWSPHASE_RESOURCE, .key = "bucket", .kind = N_("S3 bucket"), .name = "{S3_BUCKET}",
	.flags = AWSPHASE_RES_REREAD,
	.find = { "s3api", "list-buckets" }, .list = "Buckets", .match = "Name", .outputs = bucket_out,
	.create = { "s3api", "create-bucket", bucket_name, bucket_exists }, .create_args = bucket_args,
	.created = "",
	.remove = { "s3api", "delete-bucket", bucket_name, bucket_gone },
	.remove_fn = bucket_remove,
};

int p3_object_count(const cJSON *answer)
{
	return cJSON_GetArraySize(p3_h->json_get(answer, "Versions")) +
	       cJSON_GetArraySize(p3_h->json_get(answer, "DeleteMarkers"));
}

static const char *const after_bucket[] = { "bucket", NULL };

/* ---- public access block ------------------------------------------------------------ */

static const char *const pab_keys[] = { "BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy",
	"RestrictPublicBuckets", NULL };

static void pab_put(struct awsphase_res *r, struct awsphase_call *call)
{
	P3_E->args(r, call, "--bucket", "{name}", "--public-access-block-configuration",
		   "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,"
		   "RestrictPublicBuckets=true", NULL);
}

static int pab_args(struct awsphase_res *r, struct awsphase_call *call)
{
	pab_put(r, call);
	return 0;
}

static void pab_differs(struct awsphase_res *r, const cJSON *have)
{
	char off[128] = "";
	size_t i;

	for (i = 0; have && pab_keys[i]; i++)
		if (!cJSON_IsTrue(p3_h->json_get(have, pab_keys[i])))
			snprintf(off + strlen(off), sizeof(off) - strlen(off), "%s%s", *off ? " " : "",
				 pab_keys[i]);
	if (*off)
		P3_E->differs(r, 1, "public access %s off → blocked", off);
	P3_E->note(r, "public access blocked");
}

static void pab_fix(struct awsphase_res *r, const cJSON *have, unsigned what)
{
	pab_put(r, P3_E->call(r, "s3api", "put-public-access-block"));
}

static const char *const pab_none[] = { "NoSuchPublicAccessBlockConfiguration", "NoSuchBucket", NULL };

struct awsphase_resource p3_bucket_pab = {
	AWSPHASE_RESOURCE, .key = "bucket-pab", .kind = N_("public access block"), .name = "{S3_BUCKET}",
	.needs = after_bucket, .part_of = "bucket",
	.find = { "s3api", "get-public-access-block", bucket_name, pab_none },
	.item = "PublicAccessBlockConfiguration",
	.create = { "s3api", "put-public-access-block" }, .create_args = pab_args,
	.differs = pab_differs, .fix = pab_fix,
};

/* ---- default encryption ------------------------------------------------------------- */

#define SSE_S3 "{\"Rules\":[{\"ApplyServerSideEncryptionByDefault\":{\"SSEAlgorithm\":\"AES256\"}}]}"

static int enc_args(struct awsphase_res *r, struct awsphase_call *call)
{
	/* data, not a template: its braces are JSON's */
	P3_E->args(r, call, "--bucket", "{name}", "--server-side-encryption-configuration", NULL);
	p3_h->call_arg(call, SSE_S3);
	return 0;
}

/* Any default encryption will do (SSE-KMS is kept); none is fixed. */
static void enc_differs(struct awsphase_res *r, const cJSON *have)
{
	const char *alg = p3_h->json_str(have, "ApplyServerSideEncryptionByDefault.SSEAlgorithm");

	if (have && !alg)
		P3_E->differs(r, 1, "default encryption none → SSE-S3");
	P3_E->note(r, "encrypted (%s)", alg ? alg : "AES256");
}

static void enc_fix(struct awsphase_res *r, const cJSON *have, unsigned what)
{
	enc_args(r, P3_E->call(r, "s3api", "put-bucket-encryption"));
}

static const char *const enc_none[] = { "ServerSideEncryptionConfigurationNotFoundError",
	"NoSuchBucket", NULL };

struct awsphase_resource p3_bucket_enc = {
	AWSPHASE_RESOURCE, .key = "bucket-enc", .kind = N_("bucket encryption"), .name = "{S3_BUCKET}",
	.needs = after_bucket, .part_of = "bucket",
	.find = { "s3api", "get-bucket-encryption", bucket_name, enc_none },
	.item = "ServerSideEncryptionConfiguration.Rules.0",
	.create = { "s3api", "put-bucket-encryption" }, .create_args = enc_args,
	.differs = enc_differs, .fix = enc_fix,
};

/* ---- versioning --------------------------------------------------------------------- */

static int ver_args(struct awsphase_res *r, struct awsphase_call *call)
{
	P3_E->args(r, call, "--bucket", "{name}", "--versioning-configuration", "Status=Enabled", NULL);
	return 0;
}

static void ver_differs(struct awsphase_res *r, const cJSON *have)
{
	const char *status = p3_h->json_str(have, "Status");

	if (have && !is(status, "Enabled"))
		P3_E->differs(r, 1, "versioning %s → Enabled", status ? status : "never enabled");
	P3_E->note(r, "versioning");
}

static void ver_fix(struct awsphase_res *r, const cJSON *have, unsigned what)
{
	ver_args(r, P3_E->call(r, "s3api", "put-bucket-versioning"));
}

/* --query: the CLI prints nothing for a bucket never versioned ({}) */
static const char *const ver_find[] = { "--bucket", "{name}", "--query", "{{Status: Status}", NULL };
static const char *const ver_none[] = { "NoSuchBucket", NULL };

struct awsphase_resource p3_bucket_ver = {
	AWSPHASE_RESOURCE, .key = "bucket-ver", .kind = N_("bucket versioning"), .name = "{S3_BUCKET}",
	.needs = after_bucket, .part_of = "bucket",
	.find = { "s3api", "get-bucket-versioning", ver_find, ver_none },
	.create = { "s3api", "put-bucket-versioning" }, .create_args = ver_args,
	.differs = ver_differs, .fix = ver_fix,
};

/* ---- object versions (data) --------------------------------------------------------- */

/* --query: the CLI prints nothing for an empty bucket; keys and version
 * ids are all delete-objects needs */
static const char *const objects_find[] = { "--bucket", "{name}", "--query",
	"{{Versions: Versions[].{{Key: Key, VersionId: VersionId}, "
	"DeleteMarkers: DeleteMarkers[].{{Key: Key, VersionId: VersionId}}", NULL };

struct awsphase_resource p3_objects = {
	AWSPHASE_RESOURCE, .key = "objects", .kind = N_("S3 bucket"), .name = "{S3_BUCKET}",
	.flags = AWSPHASE_RES_DATA,
	.find = { "s3api", "list-object-versions", objects_find, ver_none },
};
