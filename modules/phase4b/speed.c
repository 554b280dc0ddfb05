/* Rollout time (issue 19): what the target group's health check and
 * deregistration delay make the next deploy of an existing stack take, for
 * preflight and diagnose, and for the deploy's wait to know when to look.
 *
 * The estimate is deliberately simple, each term a figure of
 * tests/cloud/README.md "Timing profiles" (the local AWS's aws profile):
 *   start   provisioning + image pull + application start   50 s
 *   health  interval × healthy threshold (a new task's targets)
 *   drain   deregistration delay (the old tasks' targets)
 *   react   the ECS scheduler acting on the update           5 s
 * next deploy ≈ start + health + drain + react. */
#include "speed.h"

/* A verdict named "rollout time"; a macro named as po/xgettext.sh extracts
 * it (fine:3), so that the host finds the format in the catalogue. */
#define fine(as_check, status, ...) h->verdict(as_check, N_("rollout time"), status, __VA_ARGS__)

int p4b_rollout_s(int interval, int healthy, int delay)
{
	return P4B_START_S + interval * healthy + (delay > 0 ? delay : 0) + P4B_REACT_S;
}

void p4b_rollout_report(struct awsphase_stack *s, const struct p4b *c, int as_check, int only_slow)
{
	const struct awsphase_host *h = c->h;
	const cJSON *tg = h->engine->have(s, "tg");
	int interval = (int)h->json_num(tg, "HealthCheckIntervalSeconds", 30);
	int healthy = (int)h->json_num(tg, "HealthyThresholdCount", 5);
	int delay = p4b_dereg_delay(h->engine->answer_of(s, "tg", 1));
	int now, want = p4b_rollout_s(c->hc_interval, c->healthy, c->dereg_delay);

	if (!tg)
		return;
	if (delay < 0)
		delay = 300; /* unknown: AWS's default */
	now = p4b_rollout_s(interval, healthy, delay);
	if (interval * healthy > c->hc_interval * c->healthy || delay > c->dereg_delay)
		fine(as_check, AWSPHASE_WARN, "target group %s: health check "
			   "every %d s × %d healthy → ≥%d s per new task; deregistration delay %d s: "
			   "the next deploy takes ≈%d s (≈%d s with awsphase's settings: awsphase 4b "
			   "deploy sets them)", c->tg_name, interval, healthy, interval * healthy, delay,
			   now, want);
	else if (!only_slow)
		fine(as_check, AWSPHASE_OK, "target group %s: health check "
			   "every %d s × %d healthy, deregistration delay %d s: the next deploy takes "
			   "≈%d s", c->tg_name, interval, healthy, delay, now);
}
