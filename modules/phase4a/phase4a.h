/* Phase 4A (Docker + ECR): what the actions share — the repository, its
 * lifecycle policy and its images as resources of the host's engine, and
 * how their settings read. */
#ifndef PHASE4A_H
#define PHASE4A_H

#include <awsphase/engine.h>

/* Marks a declared string, check name or table header for the awsphase
 * catalogue (po/xgettext.sh), as phase4b.h does. */
#ifndef N_
#define N_(s) (s)
#endif
#define NC_(kind, s) (s)

/* What an action tells the resources' functions (e->ctx). */
struct p4a_run {
	int delete_data;        /* teardown --delete-data: delete-repository --force */
};

/* The stack: "repo" (ECR repository), "lifecycle" (its lifecycle policy,
 * part of it) and "images" (data: describe-images of the repository). */
extern const struct awsphase_stack_spec p4a_stack;
extern const struct awsphase_host *p4a_h;
#define P4A_E (p4a_h->engine)

/* Opens the stack and reads keys (NULL-terminated) in one round; NULL
 * after reporting, *rc set. */
struct awsphase_stack *p4a_open(struct p4a_run *run, const char *const *keys, int *rc);

/* The lifecycle policy as the env file wants it (ECR_UNTAGGED_DAYS,
 * ECR_KEEP_IMAGES), compact JSON; free() it. */
char *p4a_policy_text(void);

/* What a live policy text says: the days after which untagged images
 * expire (-1: no such rule), how many images are kept (-1: no such rule),
 * and how many other rules it has.  text NULL: no policy. */
struct p4a_policy {
	int untagged_days;
	int keep;
	int others;
};
void p4a_policy_read(const char *text, struct p4a_policy *p);
/* 1 when p is what the env file wants. */
int p4a_policy_ok(const struct p4a_policy *p);
/* "untagged images expire after 14 days, the newest 30 kept", in the
 * user's language; a static buffer. */
const char *p4a_policy_words(const struct p4a_policy *p);

int p4a_untagged_days(void);
int p4a_keep_images(void);

/* The image of ECR_TAG in a describe-images answer, or NULL. */
const cJSON *p4a_tagged_image(const cJSON *images, const char *tag);

#define P4A_ACTION(fn)                                                         \
	int fn(const struct awsphase_host *h, int argc, const char **argv);     \
	extern const struct poptOption fn##_options[]

P4A_ACTION(p4a_deploy);
P4A_ACTION(p4a_teardown);
int p4a_validate(const struct awsphase_host *h, int argc, const char **argv);
int p4a_status(const struct awsphase_host *h, int argc, const char **argv);
/* awsphase export (export.c) */
struct awsphase_cfn;
int p4a_export_cfn(const struct awsphase_host *h, const struct awsphase_cfn *cfn);

#endif
