/* When the deploy's wait looks (issue 19): quickly when the end is near,
 * as the rollout settings predict it, sparingly before, and never more than
 * P4B_PACE_CALLS describe calls in any minute.  The wait sleeps in its poll
 * until the time this says (the host's own pauses are jittered by ±20 %,
 * too coarse to land a look a second before an end a minute away).
 *
 * The predicted end is anchored on what the service's events say happened
 * (their createdAt, AWS's clock): the new tasks' targets registered, then
 * healthy after interval × healthy threshold (checks of a new ALB start once
 * it is active); the old ones draining, then
 * gone after the deregistration delay and the task's stop.  Before any of
 * that, speed.c's estimate from the wait's start.  Quick first looks (1, 2,
 * 4 s… apart) catch what ends in seconds, as long as they leave RESERVE
 * calls of the minute before the predicted end for the looks around it. */
#include <string.h>

#include "deploy.h"
#include "speed.h"

#define NEAR_S 1.0     /* between looks around the end: it is seen within 2 s */
#define FAR_MAX_S 30.0 /* the longest pause while the budget allows: failures show */
#define RESERVE 3      /* calls kept for the looks around the predicted end */

void p4b_pace_event(struct p4b_pace *p, const cJSON *event)
{
	const char *msg = p4b_str(event, "message");
	double at = p4b_h->json_time(cJSON_GetObjectItemCaseSensitive(event, "createdAt"));

	if (!msg || at <= 0)
		return;
	if (strstr(msg, "has begun draining connections") && at > p->drain_at)
		p->drain_at = at;
	else if (strstr(msg, "registered ") && !strstr(msg, "deregistered") && at > p->reg_at)
		p->reg_at = at;
}

void p4b_pace_call(struct p4b_pace *p)
{
	p->calls[p->ncalls++ % P4B_PACE_CALLS] = p4b_h->now();
}

/* The end the settings predict, epoch seconds. */
static double predicted_end(const struct p4b_pace *p, const struct p4b *c, int old)
{
	double health = c->hc_interval * c->healthy, drain = old ? c->dereg_delay + P4B_STOP_S : 0;
	double checks = p->start + P4B_REACT_S + P4B_START_S; /* when targets' checks begin */

	if (p->drain_at > 0)
		return p->drain_at + c->dereg_delay + P4B_STOP_S;
	if (p->reg_at > 0)
		checks = p->reg_at;
	if (checks < c->lb_active_at)
		checks = c->lb_active_at;
	return checks + health + drain;
}

/* Calls made after t, of the last P4B_PACE_CALLS. */
static int calls_after(const struct p4b_pace *p, double t)
{
	int i, n = 0;

	for (i = 0; i < P4B_PACE_CALLS && i < (int)p->ncalls; i++)
		n += p->calls[i] > t;
	return n;
}

void p4b_pace_plan(struct p4b_pace *p, const struct p4b *c, int old)
{
	double now = p4b_h->now(), end = predicted_end(p, c, old), next = end - NEAR_S / 2;
	/* a look now costs up to 2 calls that are still in the end's minute */
	int spare = calls_after(p, end - 60.0) + 2 <= P4B_PACE_CALLS - RESERVE;

	if (next <= now + NEAR_S) {
		next = now + NEAR_S;
	} else if (spare) {
		if (next > now + p->ramp)
			next = now + p->ramp;
		if (next > now + FAR_MAX_S)
			next = now + FAR_MAX_S;
	}
	p->ramp *= 2;
	if (p->ncalls >= P4B_PACE_CALLS && next < p->calls[p->ncalls % P4B_PACE_CALLS] + 60.0)
		next = p->calls[p->ncalls % P4B_PACE_CALLS] + 60.0;
	p->next = next;
}

int p4b_pace_sleep(const struct p4b_pace *p)
{
	double left = p->next - p4b_h->now();

	if (left <= 0)
		return 0;
	if (p4b_h->sleep(left) < 0)
		return -1;
	/* the host's sleep ends at the run's deadline: no look then, the
	 * host's wait says what ran out */
	return p4b_h->now() < p->next - 0.05;
}
