/* awsphase 4b preflight: what must hold before phase 4B changes anything.
 * Offline: every key present and valid, the cross-key rules (p4b_config),
 * secrets kept out of the task.  On AWS: the caller's identity (the
 * host's, asked once a run), then in one concurrent batch the subnets
 * (and through them the VPC), the ECR image, and for the private tier the
 * routes and VPC endpoints tasks need (the stack's data resources,
 * stack-data.c).  deploy
 * runs the AWS part itself, without the identity (its reads have proved
 * the credentials), and only when it is about to change something. */
#include <stdio.h>
#include <string.h>

#include "deploy.h"
#include "speed.h"

struct pf {
	struct p4b *c;
	const struct awsphase_host *h;
	int as_checks;
	int problems;
};

/* A problem: a failed check (awsphase 4b preflight), or an error when
 * deploy runs the preflight; fine: a check that passed, or a verbose line.
 * Macros, so that the format reaches the host, which looks it up in the
 * awsphase catalogue (po/xgettext.sh extracts the third argument; names are
 * marked N_()). */
#define problem(p, name, ...)                                                  \
	do {                                                                   \
		(p)->problems++;                                               \
		(p)->h->verdict((p)->as_checks, name, AWSPHASE_FAIL, __VA_ARGS__); \
	} while (0)
#define fine(p, name, ...) (p)->h->verdict((p)->as_checks, name, AWSPHASE_OK, __VA_ARGS__)

struct subnet_key {
	const char *key, *id;
	const cJSON *found;
};

static void check_subnets(struct pf *p, const cJSON *answer, const char *error,
			  struct subnet_key *keys, size_t n)
{
	const struct awsphase_host *h = p->h;
	const struct p4b *c = p->c;
	const char *az[2] = { NULL, NULL };
	size_t i;
	int bad = 0;

	for (i = 0; i < n; i++) {
		const char *vpc;

		keys[i].found = h->json_find(h->json_get(answer, "Subnets"), "SubnetId", keys[i].id);
		vpc = p4b_str(keys[i].found, "VpcId");

		if (!keys[i].found) {
			problem(p, N_("subnets"), "%s=%s: no such subnet in %s (%s); fix %s in %s (phase 1)",
				keys[i].key, keys[i].id, c->region, error ? error : "not found", keys[i].key,
				h->settings->env_file);
			bad++;
		} else if (!vpc || strcmp(vpc, c->vpc) != 0) {
			problem(p, N_("subnets"), "%s=%s is in %s, not in VPC_ID=%s; fix VPC_ID or %s in %s "
				"(phase 1)", keys[i].key, keys[i].id, vpc ? vpc : "no VPC", c->vpc,
				keys[i].key, h->settings->env_file);
			bad++;
		}
	}
	if (bad)
		return;
	az[0] = p4b_str(keys[0].found, "AvailabilityZone");
	az[1] = p4b_str(keys[1].found, "AvailabilityZone");
	if (az[0] && az[1] && strcmp(az[0], az[1]) == 0) {
		problem(p, N_("subnets"), "PUBLIC_SUBNET_1 and PUBLIC_SUBNET_2 are both in %s; an ALB "
			"needs subnets in two AZs: fix one of them in %s", az[0], h->settings->env_file);
		return;
	}
	fine(p, N_("subnets"), "%zu subnets in %s (%s, %s)", n, c->vpc, az[0] ? az[0] : "?",
	     az[1] ? az[1] : "?");
}

static void check_image(struct pf *p, const cJSON *image, const char *error)
{
	const struct awsphase_host *h = p->h;

	if (image) {
		fine(p, N_("ECR image"), "%s (pushed %s)", p->c->ecr_uri,
		     h->json_str(image, "imagePushedAt") ? h->json_str(image, "imagePushedAt") : "");
		return;
	}
	problem(p, N_("ECR image"), "ECR_URI=%s: %s (%s); push it (phase 4A: docker push %s) or fix "
		"ECR_URI in %s — else tasks stop with CannotPullContainerError", p->c->ecr_uri,
		error && strncmp(error, "RepositoryNotFoundException", 27) == 0 ?
		h->text("no such repository") : h->text("no such image"), error ? error : "",
		p->c->ecr_uri, h->settings->env_file);
}

static void check_private(struct pf *p, const cJSON *rt, const cJSON *ep,
			  const struct subnet_key *keys, size_t n)
{
	/* the task's database secret (DB_SECRET_ARN, or the one deploy keeps
	 * DB_PASSWORD in) is read from Secrets Manager at its start */
	static const char *const need[] = { "ecr.api", "ecr.dkr", "logs", "s3", "secretsmanager" };
	const struct awsphase_host *h = p->h;
	const struct p4b *c = p->c;
	const cJSON *tables = h->json_get(rt, "RouteTables");
	int secret = (h->env_get("DB_SECRET_ARN") && *h->env_get("DB_SECRET_ARN")) ||
		     (h->env_get("DB_PASSWORD") && *h->env_get("DB_PASSWORD"));
	size_t i, k, nneed = sizeof(need) / sizeof(need[0]) - !secret;
	char missing[200] = "";
	int bad = 0;

	for (k = 0; k < nneed; k++)
		if (!h->engine->vpc_endpoint(h->json_get(ep, "VpcEndpoints"), c->region, need[k]))
			h->catf(missing, sizeof(missing), "%s%s", *missing ? ", " : "", need[k]);
	for (i = 2; i < n; i++) {
		if (h->engine->subnet_nat(tables, keys[i].id) || !*missing)
			continue;
		problem(p, N_("private tier egress"), "%s=%s: no NAT route and no VPC endpoints for %s: "
			"tasks there cannot pull the image, read their secret or write logs; add a NAT "
			"gateway route or the VPC endpoints (awsphase 1 deploy with "
			"PRIVATE_EGRESS=endpoints), or set SUBNET_TIER=public",
			keys[i].key, keys[i].id, missing);
		bad++;
	}
	if (bad)
		return;
	/* whole sentences, so that each is translated as one */
	if (*missing)
		fine(p, N_("private tier egress"), "a NAT route from each private subnet");
	else if (secret)
		fine(p, N_("private tier egress"), "VPC endpoints for ECR api/dkr, CloudWatch Logs, S3 and "
		     "Secrets Manager");
	else
		fine(p, N_("private tier egress"), "VPC endpoints for ECR api/dkr, CloudWatch Logs and S3");
}

int p4b_preflight_aws(struct awsphase_stack *s, struct p4b *c, int with_identity, int as_checks)
{
	const struct awsphase_host *h = c->h;
	const struct awsphase_engine *e = h->engine;
	struct pf p = { c, h, as_checks, 0 };
	struct subnet_key keys[4];
	struct p4b_image im;
	const char *reads[6], *account, *arn;
	size_t n = 0, nkeys = 0, k;
	int priv = strcmp(c->tier, "private") == 0, rc, id_rc, subnets_planned = 0, image_planned;

	keys[nkeys++] = (struct subnet_key){ "PUBLIC_SUBNET_1", c->public_subnet[0], NULL };
	keys[nkeys++] = (struct subnet_key){ "PUBLIC_SUBNET_2", c->public_subnet[1], NULL };
	/* the private subnets only when tasks go there (p4b_config made sure
	 * they are set then) */
	if (priv) {
		keys[nkeys++] = (struct subnet_key){ "PRIVATE_SUBNET_1", c->private_subnet[0], NULL };
		keys[nkeys++] = (struct subnet_key){ "PRIVATE_SUBNET_2", c->private_subnet[1], NULL };
	}
	/* awsphase plan: what phase 1 or 4A would make is checked once it is there */
	for (k = 0; k < nkeys; k++)
		subnets_planned |= h->planned(keys[k].id);
	image_planned = h->planned(c->ecr_uri);
	if (!subnets_planned)
		reads[n++] = "subnets";
	if (!image_planned)
		reads[n++] = "image";
	if (priv && !subnets_planned) {
		reads[n++] = "route-tables";
		reads[n++] = "endpoints";
	}
	reads[n] = NULL;
	if (subnets_planned)
		fine(&p, N_("subnets"), "the subnets come from an earlier phase: checked when it has made them");
	if (image_planned)
		fine(&p, N_("ECR image"), "ECR_URI comes from an earlier phase: its image is checked when it "
		     "is there");
	else if (p4b_parse_image(c->ecr_uri, &im) < 0)
		problem(&p, N_("ECR image"), "ECR_URI=%s: not an ECR image reference; give "
			"ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG in %s", c->ecr_uri,
			h->settings->env_file);
	else if (strcmp(im.region, c->region) != 0)
		/* the host puts --region on every call: another region cannot be asked */
		h->log(AWSPHASE_LOG_WARN, "ECR_URI is in %s, not %s: its image was not checked; "
		       "tasks pull it across regions", im.region, c->region);
	/* the host's identity: the account guard's call, when it made one */
	id_rc = with_identity ? h->caller_identity(&account, &arn) : 0;
	if (with_identity && !id_rc)
		fine(&p, N_("aws CLI and credentials"), "account %s as %s, region %s", account, arn,
		     c->region);
	else if (with_identity && as_checks)
		h->check(N_("aws CLI and credentials"), AWSPHASE_FAIL, "sts get-caller-identity failed "
			 "(see above)");
	rc = e->read(s, reads);
	rc = rc ? rc : id_rc;
	if (!subnets_planned && e->result_of(s, "subnets") != AWSPHASE_RESULT_FAILED)
		check_subnets(&p, e->have(s, "subnets"), e->error_of(s, "subnets"), keys, nkeys);
	if (!image_planned && e->result_of(s, "image") != AWSPHASE_RESULT_FAILED &&
	    p4b_parse_image(c->ecr_uri, &im) == 0 &&
	    strcmp(im.region, c->region) == 0)
		check_image(&p, e->have(s, "image"), e->error_of(s, "image"));
	if (priv && e->have(s, "route-tables") && e->have(s, "endpoints") && nkeys == 4)
		check_private(&p, e->have(s, "route-tables"), e->have(s, "endpoints"), keys, nkeys);
	if (rc)
		return rc;
	return p.problems ? AWSPHASE_EXIT_USAGE : 0;
}

int p4b_preflight(const struct awsphase_host *h, int argc, const char **argv)
{
	struct p4b c;
	struct p4b_run run = { .c = &c, .tg_attrs = 1 };
	static const char *const rollout[] = { "tg", NULL };
	struct awsphase_stack *s;
	int rc, secrets;

	rc = p4b_config(h, &c);
	if (rc) {
		h->check(N_("env file"), AWSPHASE_FAIL, "%s: fix the keys named above", h->settings->env_file);
		return rc;
	}
	h->check(N_("env file"), AWSPHASE_OK, "%s: required keys present and valid; region %s, "
		 "SUBNET_TIER=%s", h->settings->env_file, c.region, c.tier);
	secrets = p4b_warn_secrets(&c);
	/* singular and plural whole: the host translates each as one */
	if (secrets == 1)
		h->check(N_("secrets"), AWSPHASE_WARN, "%d secret key in the env file stays out of the "
			 "task's plain environment (see above)", secrets);
	else if (secrets)
		h->check(N_("secrets"), AWSPHASE_WARN, "%d secret keys in the env file stay out of the "
			 "task's plain environment (see above)", secrets);
	s = p4b_open(h, &run);
	if (!s)
		return AWSPHASE_EXIT_FAILED;
	rc = p4b_preflight_aws(s, &c, 1, 1);
	/* an existing stack: how long its next deploy takes */
	if (!rc && !h->engine->read(s, rollout))
		p4b_rollout_report(s, &c, 1, 0);
	h->engine->close(s);
	return rc;
}
