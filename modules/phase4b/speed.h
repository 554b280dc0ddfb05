/* Rollout time: the next deploy's length from the stack's settings (speed.c). */
#ifndef P4B_SPEED_H
#define P4B_SPEED_H

#include "stack.h"

#define P4B_START_S 50  /* a new task: provisioning, image pull, application start */
#define P4B_REACT_S 5   /* the ECS scheduler acting on an update */
#define P4B_STOP_S 10   /* an old task's stop: SIGTERM, exit, deprovisioning */
#define P4B_ALB_S 180   /* a new ALB's provisioning: its targets' checks start after it */

/* Seconds the next deploy takes with these settings (the formula of speed.c). */
int p4b_rollout_s(int interval, int healthy, int delay);
/* A check (or, as_check 0, a warning when slow) naming the target group's
 * settings that slow a deploy and the estimate; s has read "tg" with its
 * attributes (run.tg_attrs).  Nothing when there is no target group, nor
 * with only_slow when they are not slow. */
void p4b_rollout_report(struct awsphase_stack *s, const struct p4b *c, int as_check, int only_slow);

#endif
