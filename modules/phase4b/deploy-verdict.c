/* The end of deploy's verdict: what users reach.  A deployment COMPLETED
 * with healthy targets can still serve the wrong thing, so deploy asks the
 * ALB itself, http://ALB_DNS/HEALTH_PATH as validate does, until enough
 * answers in a row are 200 — and, with HEALTH_EXPECT, have a body that
 * matches it (a 200 from an old task mid-rollout does not count). */
#include <stdio.h>
#include <stdlib.h>

#include "deploy.h"

#define PROBE_TIMEOUT_S 10.0
#define PROBE_SPARE 10          /* answers past the run needed before giving up */

struct probe {
	struct p4b *c;
	char url[1100];
	int need, row, tries;
	long status;
	char seen[200];         /* the last body (or error), one line */
};

static int probe_poll(void *ctx, char *state, size_t size, int *exit_code)
{
	struct probe *p = ctx;
	const struct awsphase_host *h = p->c->h;
	const char *expect = p->c->health_expect;
	char err[512], *body = NULL;
	int ok = 0;

	p->tries++;
	p->status = 0;
	if (h->http_get(p->url, PROBE_TIMEOUT_S, &p->status, &body, err, sizeof(err)) < 0) {
		h->excerpt(err, 160, p->seen, sizeof(p->seen));
	} else {
		h->excerpt(body ? body : "", 160, p->seen, sizeof(p->seen));
		ok = p->status == 200 && (!expect || h->match(expect, body ? body : "") == 1);
	}
	free(body);
	p->row = ok ? p->row + 1 : 0;
	snprintf(state, size, h->text("%d of %d answers in a row as expected; the last: HTTP %ld %s"),
		 p->row, p->need, p->status, p->seen);
	if (p->row >= p->need)
		return 1;
	if (p->tries < p->need + PROBE_SPARE)
		return 0;
	if (expect)
		h->log(AWSPHASE_LOG_ERROR, "GET %s: %d answers, not %d in a row matching HEALTH_EXPECT "
		       "/%s/; the last: HTTP %ld %s; the new tasks do not report what HEALTH_EXPECT says: "
		       "check the image (ECR_URI) and HEALTH_EXPECT", p->url, p->tries, p->need, expect,
		       p->status, p->seen);
	else
		h->log(AWSPHASE_LOG_ERROR, "GET %s: %d answers, not %d in a row with HTTP 200; the last: "
		       "HTTP %ld %s; see awsphase 4b validate and awsphase 4b diagnose", p->url, p->tries,
		       p->need, p->status, p->seen);
	*exit_code = AWSPHASE_EXIT_FAILED;
	return -1;
}

int p4b_probe_alb(struct p4b *c, const char *dns)
{
	const struct awsphase_host *h = c->h;
	struct probe p = { .c = c, .need = c->health_expect ? c->health_expect_count : 1 };
	struct awsphase_wait wait = { 0 };
	char what[1200];

	if (!dns || !*dns || c->desired == 0)
		return 0; /* nothing serves: desired count 0 is what was asked for */
	snprintf(p.url, sizeof(p.url), "http://%s%s", dns, c->health_path);
	snprintf(what, sizeof(what), h->text("%s to answer as expected"), p.url);
	wait.what = what;
	wait.interval_s = 1;
	wait.poll = probe_poll;
	wait.ctx = &p;
	if (c->health_expect)
		h->say("… checking what users reach: GET %s, %d answers in a row matching /%s/", p.url,
		       p.need, c->health_expect);
	else
		h->say("… checking what users reach: GET %s answers 200", p.url);
	return h->wait(&wait);
}
