/* awsphase 4a deploy: the repository with scan on push, AES256, MUTABLE tags
 * and the lifecycle policy, through the engine; ECR_URI written; then the
 * image ECR_URI names must be there, else the commands that push it.
 *
 * ECR_URI is written here with env_set, not as an engine output: outputs
 * are fields of the item, and ECR_URI is the repository's URI joined with
 * ECR_TAG, a setting.  The repository declares it (path NULL), so the
 * engine still removes it when teardown deletes the repository. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phase4a.h"

const struct poptOption p4a_deploy_options[] = { POPT_TABLEEND };

static const char *const read_keys[] = { "repo", "lifecycle", "images", NULL };

/* The commands that push the image, printed as data (copy-pasteable, also
 * under -q) and in the JSON document as "push". */
static void push_commands(const struct awsphase_host *h, const char *repo_uri, const char *uri)
{
	const char *repo = h->env_get("ECR_REPOSITORY");
	const char *slash = strchr(repo_uri, '/');
	int host_len = slash ? (int)(slash - repo_uri) : (int)strlen(repo_uri);
	cJSON *list = cJSON_CreateArray();
	char login[1024], line[2048];
	size_t i;

	if (h->cmdline(login, sizeof(login), "ecr", "get-login-password", NULL) < 0)
		snprintf(login, sizeof(login), "aws ecr get-login-password --region %s",
			 h->settings->region);
	snprintf(line, sizeof(line), "%s | docker login --username AWS --password-stdin %.*s", login,
		 host_len, repo_uri);
	cJSON_AddItemToArray(list, cJSON_CreateString(line));
	snprintf(line, sizeof(line), "docker build -t %s .", repo);
	cJSON_AddItemToArray(list, cJSON_CreateString(line));
	snprintf(line, sizeof(line), "docker tag %s %s", repo, uri);
	cJSON_AddItemToArray(list, cJSON_CreateString(line));
	snprintf(line, sizeof(line), "docker push %s", uri);
	cJSON_AddItemToArray(list, cJSON_CreateString(line));
	for (i = 0; i < (size_t)cJSON_GetArraySize(list); i++)
		h->print("  %s", cJSON_GetArrayItem(list, (int)i)->valuestring);
	h->report_add("push", list);
}

int p4a_deploy(const struct awsphase_host *h, int argc, const char **argv)
{
	const struct awsphase_engine *e = h->engine;
	const char *tag = h->env_get("ECR_TAG"), *repo_uri, *old;
	const cJSON *repo, *image;
	struct awsphase_stack *s;
	char uri[1024];
	int rc;

	s = p4a_open(NULL, read_keys, &rc);
	if (!s)
		return rc;
	rc = e->plan(s, NULL, NULL);
	if (!rc)
		rc = e->apply(s, NULL);
	repo = e->now(s, "repo");
	repo_uri = h->json_str(repo, "repositoryUri");
	if (rc || !repo_uri) {
		/* --dry-run of a first deploy: no URI until the create */
		e->close(s);
		return rc;
	}
	snprintf(uri, sizeof(uri), "%s:%s", repo_uri, tag);
	old = h->env_get("ECR_URI");
	if ((!old || strcmp(old, uri) != 0) && h->env_set("ECR_URI", uri) < 0)
		rc = AWSPHASE_EXIT_FAILED;
	image = e->result_of(s, "repo") == AWSPHASE_RESULT_CREATED ? NULL :
		p4a_tagged_image(e->have(s, "images"), tag);
	if (!rc && image) {
		h->say("image %s: %s", uri, h->json_str(image, "imageDigest"));
	} else if (!rc) {
		h->log(AWSPHASE_LOG_ERROR, "no image %s in the repository yet; push it with:", uri);
		push_commands(h, repo_uri, uri);
		h->say("then run awsphase 4a deploy again");
		rc = AWSPHASE_EXIT_FAILED;
	}
	e->close(s);
	return rc;
}
