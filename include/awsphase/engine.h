/* awsphase resource engine: what every phase module needs to converge AWS
 * resources, offered by the host (h->engine, module API 2).
 *
 * A module declares its resources as data plus the few functions only it
 * can know: how each is found, how it differs from what the env file
 * wants, how it is created, fixed and removed.  The engine does the rest:
 * it reads everything in as few concurrent rounds as the dependencies
 * allow (equal reads are made once), plans, prints the plan (--dry-run:
 * "would create/update/delete" lines with each difference and
 * "<name id>" placeholders for ids not known yet), applies in dependency
 * order with independent calls at once (--jobs), reads a resource again
 * after a create that finds it there, writes its outputs to the env file as
 * each resource settles, reports each resource (one line, one JSON entry),
 * and tears down in reverse dependency order, retrying deletes AWS calls
 * busy within the deadline, after the confirmation prompt.  There is no
 * state file: AWS, read again, is the truth, so a run killed anywhere is
 * finished by the next one.
 *
 * Why host services and not a library linked into each module: the engine
 * runs aws calls, writes the env file, prints and waits, all of which the
 * host owns; a module built against this header needs nothing else, and an
 * engine fix reaches every installed module without rebuilding it.
 *
 * Compatibility: every struct here starts with struct_size (set it with
 * AWSPHASE_RESOURCE / AWSPHASE_STACK) and is only ever appended to; arrays
 * are arrays of pointers, so the host never walks them with its own sizeof.
 *
 * Templates.  Arguments, names and matches may hold {…} fields, filled in
 * when the call is made:
 *   {KEY}        the env key KEY (A-Z, 0-9, _): its value, else the
 *                module's declared default
 *   {name}       the resource's name          {id}      its id
 *   {stack}      the stack's name             {region}  the region
 *   {@key}       the id of resource key (a placeholder under --dry-run
 *                while it does not exist)
 *   {@key.Path}  a field of resource key's item (dot path)
 *   {.Path}      a field of the resource's own item, or in `then` of the
 *                answer of `find`
 * "{{" is a literal "{".  A read whose template names a resource not read
 * yet waits for it, unless that resource's output key (its id or the field
 * named) is in the env file: then the value from the file is used at once
 * and the read is made again should the resource turn out to have another.
 */
#ifndef AWSPHASE_ENGINE_H
#define AWSPHASE_ENGINE_H

#include <awsphase/module.h>

#ifdef __cplusplus
extern "C" {
#endif

struct awsphase_stack; /* one engine run over a module's resources */
struct awsphase_res;   /* one resource of a stack, as the engine tracks it */

/* One aws call as data.  codes: for find, the error codes meaning "there
 * is none"; for create, "it is there already" (the engine reads it again);
 * for remove, "it is gone already".  busy (remove only): "not yet" — the
 * delete is tried again within the deadline.  A code may be followed by
 * ": " and how the message starts, to count only that one of a code AWS
 * gives to many errors (call_accept). */
struct awsphase_op {
	const char *service;            /* "ec2" */
	const char *operation;          /* "describe-security-groups" */
	const char *const *args;        /* templates, NULL-terminated; may be NULL */
	const char *const *codes;
	const char *const *busy;
};

/* An env key the resource writes: the value at path in its item (a dot
 * path), written when the resource is found or made and removed with it.
 * path NULL: a key the module writes itself, removed with the resource. */
struct awsphase_output {
	const char *key;
	const char *path;
};

enum {
	/* Read only: never created, changed or deleted; read when an
	 * action's resources need it (other phases' resources, task lists). */
	AWSPHASE_RES_DATA = 1 << 0,
	/* Not read on a first run (see awsphase_stack.anchor): taken as
	 * absent and created; a create that finds it there makes the engine
	 * read every lazy resource and plan again. */
	AWSPHASE_RES_LAZY = 1 << 1,
	/* Found by the engine's tags: find gets --filters tag:Name={name} and
	 * tag:awsphase:stack={stack} (added to find's own --filters, or
	 * --filter as describe-nat-gateways spells it); create gets --tag-specifications with
	 * Name, awsphase:stack and awsphase:phase (tag_type names the EC2
	 * resource type).  For what AWS does not name uniquely (VPCs,
	 * subnets, route tables, gateways, addresses, endpoints): a run killed
	 * after the create finds it again, so it converges to one, not two. */
	AWSPHASE_RES_TAGGED = 1 << 2,
	/* Read again right after its create, when the create's answer does
	 * not hold what its outputs and the resources that need it read (an
	 * SQS queue's ARN). */
	AWSPHASE_RES_REREAD = 1 << 3,
};

/* What pick returns (negative: an exit code, already reported). */
enum awsphase_found {
	AWSPHASE_ABSENT = 0,
	AWSPHASE_FOUND = 1,
	AWSPHASE_AGAIN = 2,    /* pick added one more read with e->again() */
};

/* What the engine is doing, for functions that act differently. */
enum awsphase_mode {
	AWSPHASE_MODE_READ = 0,   /* read(): status, validate, diagnose */
	AWSPHASE_MODE_DEPLOY,     /* plan() and apply() */
	AWSPHASE_MODE_TEARDOWN,   /* teardown() */
};

/* What became of a resource in this run (result_of). */
enum awsphase_result {
	AWSPHASE_RESULT_NONE = 0,   /* not read, or not part of the action */
	AWSPHASE_RESULT_ABSENT,     /* read: not there */
	AWSPHASE_RESULT_FOUND,      /* read: there (nothing planned yet) */
	AWSPHASE_RESULT_UNCHANGED,
	AWSPHASE_RESULT_CREATED,
	AWSPHASE_RESULT_UPDATED,
	AWSPHASE_RESULT_REMOVED,
	AWSPHASE_RESULT_WOULD,      /* --dry-run: a change was listed */
	AWSPHASE_RESULT_FAILED,
};

struct awsphase_resource {
	uint32_t struct_size;           /* AWSPHASE_RESOURCE sets it */
	const char *key;                /* unique in the stack: "alb-sg" */
	const char *kind;               /* "security group": lines, JSON, and the
					 * catalogue's context for the words of
					 * its lines */
	const char *name;               /* template: "{ALB_SG_NAME}" */
	unsigned flags;                 /* AWSPHASE_RES_* */
	const char *only_if;            /* env key: in the stack only when set;
					 * "KEY1|KEY2": when any of them is */
	const char *const *needs;       /* keys made (or read) before this one
					 * and deleted after it; NULL-terminated */
	const char *part_of;            /* key of the resource it is part of (a
					 * rule of a group): reported as a change
					 * of that one, its note naming it */

	/* Finding it.  find's answer (shared by every resource with the same
	 * read), then the candidates at list, the one whose match field holds
	 * the name ("GroupName") or a template ("Port=80"), else the first;
	 * without list the item at item (NULL: the whole answer). */
	struct awsphase_op find;
	const char *list;
	const char *match;
	const char *item;
	/* A second read made with the first answer ({.Path}); its answer,
	 * at item, is the item. */
	struct awsphase_op then;
	/* Instead of a read: found in this resource's item (pick says how). */
	const char *from;
	/* Read once these are read (for pick and find_args). */
	const char *const *read_after;
	/* Adds arguments find's templates cannot say; returns AWSPHASE_FOUND
	 * to read, AWSPHASE_ABSENT when there is nothing to read (none
	 * there). */
	int (*find_args)(struct awsphase_res *r, struct awsphase_call *call);
	/* Picks the item out of an answer of step (0: find or from's item,
	 * then 1, 2… for reads pick added with e->again()); returns
	 * AWSPHASE_FOUND with *item set, AWSPHASE_ABSENT, AWSPHASE_AGAIN, or
	 * -exit code after reporting.  NULL: find/list/match/then decide. */
	int (*pick)(struct awsphase_res *r, const cJSON *answer, int step, const cJSON **item);
	const char *id;                 /* dot path of the id in the item */
	const char *show;               /* template shown after the name in its
					 * lines ("{.GroupId}"); NULL: nothing */
	const char *label;              /* template naming it in lines and JSON
					 * once its item is known
					 * ("{.family}:{.revision}"); NULL: name */
	const struct awsphase_output *outputs; /* ended by { NULL } */

	/* Deploying.  differs is called with the item as read (have), or NULL
	 * right after the create (or its dry run): it calls e->differs() for
	 * each difference (with a flag saying which fix it needs),
	 * e->conflict() for what cannot change in place, e->note() for what
	 * the line should say.  fix then adds the calls (e->call) that mend
	 * the differences whose flags are in what.  A resource with
	 * differences and no fix is made anew with create (a task definition
	 * revision).  Both run again when the resource's turn comes, with the
	 * ids its needs have by then. */
	struct awsphase_op create;      /* codes: "there already" */
	/* Adds what create's templates cannot say to its call; 0, or -exit
	 * code after reporting. */
	int (*create_args)(struct awsphase_res *r, struct awsphase_call *call);
	const char *created;            /* dot path of the item in the answer
					 * of create and of a fix call */
	const char *tag_type;           /* AWSPHASE_RES_TAGGED: EC2 ResourceType */
	const char *create_verb;        /* "register|registered"; NULL: create */
	void (*differs)(struct awsphase_res *r, const cJSON *have);
	void (*fix)(struct awsphase_res *r, const cJSON *have, unsigned what);

	/* Tearing down.  remove_fn (optional) adds the steps that go first
	 * (e->remove_step: scale to 0, detach policies, revoke rules) or
	 * calls e->keep() to leave the resource; then remove runs, if given.
	 * Resources go after every resource that needs them and after those
	 * in remove_after; wait_gone: after the delete, find is run again
	 * until the resource is absent (a service draining, a load balancer
	 * going). */
	struct awsphase_op remove;      /* codes: "gone already"; busy */
	void (*remove_fn)(struct awsphase_res *r);
	const char *const *remove_after;
	int wait_gone;

	/* Ready for what needs it: 1, 0 not yet (say how it stands with
	 * e->state), or -exit code when it never will be (it failed).  NULL:
	 * ready once made.  After its create, and when it is found not ready,
	 * the engine reads it again until it is, before anything that needs
	 * it goes on (a NAT gateway pending, a database creating). */
	int (*ready)(struct awsphase_res *r, const cJSON *item);
	/* env key: not in the stack when set (only_if's opposite) — a
	 * resource that stands in for one the env file names (a secret made
	 * from a password, unless the database's own secret is given). */
	const char *unless;
	/* An inline IAM policy of the role it is part_of, found in that role's
	 * item (from: the role, read by get-account-authorization-details):
	 * policy is its name (a template), policy_doc makes the document
	 * wanted (NULL: none wanted, nothing to do) and in what what it allows,
	 * for the line.  The engine then finds, compares and puts it
	 * (put-role-policy on the role's name) itself: pick, differs, create
	 * and fix are its own. */
	const char *policy;
	cJSON *(*policy_doc)(struct awsphase_res *r, char *what, size_t size);
	/* An IAM role named name: trusts is the service its trust policy lets
	 * sts:AssumeRole ("ecs-tasks.amazonaws.com"); managed, the AWS managed
	 * policies attached to it, as their paths after
	 * arn:PARTITION:iam::aws:policy/ (NULL-terminated, or NULL).  The
	 * engine finds it among every role of one read
	 * (get-account-authorization-details --filter Role, its item an entry
	 * of RoleDetailList, id Arn), creates it trusting that service, sets
	 * the trust and attaches the policies that differ, and removes it
	 * (iam_role_remove, delete-role): what the module leaves unset of
	 * find, create, differs, fix, remove and remove_fn is the engine's. */
	const char *trusts;
	const char *const *managed;
	/* An ingress rule of the security group it is part_of (from: that
	 * group): tcp ingress_port (a template, "{CONTAINER_PORT}") from the
	 * group that is resource ingress_from, or from 0.0.0.0/0 when that is
	 * NULL.  The engine finds it among the group's rules (sg_allows),
	 * authorizes it and names it in the line: pick, differs and create
	 * are its own. */
	const char *ingress_port;
	const char *ingress_from;
	/* append only */
};

#define AWSPHASE_RESOURCE .struct_size = sizeof(struct awsphase_resource)

struct awsphase_stack_spec {
	uint32_t struct_size;           /* AWSPHASE_STACK sets it */
	const struct awsphase_resource *const *resources; /* NULL-terminated */
	/* The stack's name, a template: "{STACK}"; NULL: the module's name, or
	 * STACK/module when the host key STACK is not its default. */
	const char *stack;
	/* A first run: none of the module's AWSPHASE_ENV_WRITTEN keys is in
	 * the env file and this resource (read with the others in the first
	 * round) is absent.  Then AWSPHASE_RES_LAZY resources are not read:
	 * they are created.  Never under --dry-run, whose plan is what a run
	 * would do.  NULL: every run reads everything. */
	const char *anchor;
	/* append only */
};

#define AWSPHASE_STACK .struct_size = sizeof(struct awsphase_stack_spec)

/* teardown flags */
enum {
	AWSPHASE_TEARDOWN_YES = 1 << 0,  /* do not ask */
};

struct awsphase_engine {
	uint32_t struct_size;

	/* ---- a stack, from an action ---- */

	/* A stack over spec's resources; ctx is handed back to the
	 * resources' functions (e->ctx).  NULL after reporting a bad spec. */
	struct awsphase_stack *(*open)(const struct awsphase_stack_spec *spec, void *ctx);
	/* Reads the resources named in keys (NULL-terminated; NULL: every
	 * one that is not DATA) and what their reads need (the resources
	 * their templates, from and read_after name), unless read already.
	 * A failed read does not stop the others: its error is kept
	 * (error_of).  0 or the first failure's exit code.  Before plan or
	 * teardown, it adds resources they only read. */
	int (*read)(struct awsphase_stack *s, const char *const *keys);
	/* Reads (first run: not the LAZY ones) and plans keys (NULL: every
	 * resource that is not DATA) without changing anything; *changes:
	 * how many resources would change.  Their needs order them; needs
	 * outside keys are not planned (nor read, unless a template names
	 * them).  A conflict (what cannot change in place) is reported and
	 * exits 1.  0 or an exit code. */
	int (*plan)(struct awsphase_stack *s, const char *const *keys, int *changes);
	/* Applies the plan (or lists it under --dry-run, mutating calls
	 * printed, not run), printing a line per resource that says only what
	 * was done; *calls: how many changing calls it made or listed.  A run
	 * that stops reports, in JSON, each resource it did not finish with
	 * "pending": the changes not made.  0 or an exit code. */
	int (*apply)(struct awsphase_stack *s, int *calls);
	/* Deletes keys (NULL: every resource that is not DATA) that exist,
	 * in reverse dependency order; asks first unless flags has
	 * AWSPHASE_TEARDOWN_YES or --dry-run.  *steps: the deletions made
	 * (or listed); 0 with nothing to do.  Removes the outputs of what is
	 * gone from the env file.  0, 1 when not confirmed, or an exit code. */
	int (*teardown)(struct awsphase_stack *s, const char *const *keys, unsigned flags,
			int *steps);
	/* Frees the stack, handing its report (resources or teardown, for
	 * --output json) to the host. */
	void (*close)(struct awsphase_stack *s);

	/* What a stack knows.  have: the item as read; now: after apply, the
	 * item the last create or fix answered (else have).  NULL when absent,
	 * not read, or not in the stack. */
	const cJSON *(*have)(struct awsphase_stack *s, const char *key);
	const cJSON *(*now)(struct awsphase_stack *s, const char *key);
	const char *(*id_of)(struct awsphase_stack *s, const char *key);
	enum awsphase_result (*result_of)(struct awsphase_stack *s, const char *key);
	/* "CODE: message" of a read that failed or found none; NULL when it
	 * found it or was not made.  Lives as long as the stack. */
	const char *(*error_of)(struct awsphase_stack *s, const char *key);
	/* The whole answer of resource key's read step (0: find), for what
	 * else it holds; NULL if none. */
	const cJSON *(*answer_of)(struct awsphase_stack *s, const char *key, int step);

	/* ---- inside a resource's functions ---- */

	void *(*ctx)(struct awsphase_res *r);
	enum awsphase_mode (*mode)(struct awsphase_res *r);
	const char *(*name)(struct awsphase_res *r);
	/* The id of resource key (NULL: this one's): "" when absent, a
	 * "<name id>" placeholder while it is only planned. */
	const char *(*id)(struct awsphase_res *r, const char *key);
	/* Resource key's item now (NULL: this one's). */
	const cJSON *(*item)(struct awsphase_res *r, const char *key);
	/* The answer of this resource's read step (0: find), NULL if none. */
	const cJSON *(*answer)(struct awsphase_res *r, int step);
	/* Expands one template for this resource (see above); the string
	 * lives as long as the stack.  NULL when a field it names is missing. */
	const char *(*expand)(struct awsphase_res *r, const char *tmpl);
	/* 1 when resource key was created or updated in this run. */
	int (*changed)(struct awsphase_res *r, const char *key);

	/* pick: the candidate find/list/match select in answer (NULL: none). */
	const cJSON *(*select)(struct awsphase_res *r, const cJSON *answer);
	/* pick: one more read, whose answer comes back to pick as the next
	 * step; return AWSPHASE_AGAIN.  codes: "none there". */
	struct awsphase_call *(*again)(struct awsphase_res *r, const char *service,
				       const char *operation, const char *const *codes);

	/* differs: one difference, fmt in English ("health check path %s →
	 * %s"), shown in the user's language; what: the fix's flag(s). */
	void (*differs)(struct awsphase_res *r, unsigned what, const char *fmt, ...)
		AWSPHASE_PRINTF(3, 4);
	/* differs: what cannot change in place and what to do; nothing is
	 * changed, the action exits 1. */
	void (*conflict)(struct awsphase_res *r, const char *fmt, ...) AWSPHASE_PRINTF(2, 3);
	/* differs: what the resource's line says after its result
	 * ("retention 30 days", "forward → kaviar-backend-tg"). */
	void (*note)(struct awsphase_res *r, const char *fmt, ...) AWSPHASE_PRINTF(2, 3);
	/* fix: a changing call, run when the fix's turn comes. */
	struct awsphase_call *(*call)(struct awsphase_res *r, const char *service, const char *operation);
	/* Adds template arguments to a call (NULL-terminated). */
	void (*args)(struct awsphase_res *r, struct awsphase_call *call, ...) AWSPHASE_SENTINEL;

	/* remove_fn: a deletion step before remove (name NULL: the
	 * resource's); verb "to do|done" ("detach %s|%s detached") formats
	 * with the arguments after it, in English for JSON and in the user's
	 * language for lines. */
	struct awsphase_call *(*remove_step)(struct awsphase_res *r, const char *service,
					     const char *operation, const char *const *gone,
					     const char *const *busy, const char *name,
					     const char *verb, ...) AWSPHASE_PRINTF(7, 8);
	/* remove_fn: leave the resource, saying why (a warning). */
	void (*keep)(struct awsphase_res *r, const char *fmt, ...) AWSPHASE_PRINTF(2, 3);
	/* wait_gone's pick: what the wait shows while it is still there
	 * ("status DRAINING, 1 running"). */
	void (*state)(struct awsphase_res *r, const char *fmt, ...) AWSPHASE_PRINTF(2, 3);

	/* ---- remove_fn's steps for kinds every phase has ---- */

	/* An IAM role whose item is an entry of get-account-authorization-
	 * details' RoleDetailList: detach its managed policies, delete its
	 * inline ones, take it out of its instance profiles — what IAM
	 * refuses delete-role for. */
	void (*iam_role_remove)(struct awsphase_res *r);
	/* A security group: revoke the ingress and egress rules of sg (an
	 * item of describe-security-groups) that name this group's id —
	 * what EC2 refuses delete-security-group for.  Call it for each group
	 * that may hold such rules (the VPC's, and any outside it). */
	void (*sg_revoke_naming)(struct awsphase_res *r, const cJSON *sg);

	/* ---- what a stack knows, continued ---- */

	/* Why nothing is known of key: "CODE: message" (or "no answer") of
	 * its read that failed, or of a read it was made after (from,
	 * read_after, a {@key} of its templates) — unknown is not absent.
	 * NULL when it and those were read, found or not. */
	const char *(*unknown_of)(struct awsphase_stack *s, const char *key);

	/* ---- what an item of a kind many phases have says (for differs,
	 * preflight checks and diagnoses: AWS's rules, written once) ---- */

	/* 1 when an ingress rule of sg (an item of describe-security-groups)
	 * lets tcp port in from the group src_sg (when not NULL) or from the
	 * CIDR cidr (when not NULL); rules of every protocol ("-1") count. */
	int (*sg_allows)(const cJSON *sg, int port, const char *src_sg, const char *cidr);
	/* 1 when the trust policy of role (its AssumeRolePolicyDocument, as
	 * either CLI prints it or URL-encoded) lets service
	 * ("ecs-tasks.amazonaws.com") sts:AssumeRole. */
	int (*iam_role_trusts)(const cJSON *role, const char *service);
	/* 1 when the managed policy policy_arn is attached to role (its
	 * AttachedManagedPolicies). */
	int (*iam_role_has_policy)(const cJSON *role, const char *policy_arn);
	/* The ARN partition of region: "aws", "aws-cn" or "aws-us-gov". */
	const char *(*partition)(const char *region);
	/* 1 when the route table of subnet (its own association, else the
	 * VPC's main one, among tables: describe-route-tables' RouteTables)
	 * sends 0.0.0.0/0 through a NAT gateway, an instance, a transit
	 * gateway or an ENI: egress for what has no public IP. */
	int (*subnet_nat)(const cJSON *tables, const char *subnet);
	/* 1 when Fargate runs a task of cpu units with mem MiB (256 with
	 * 512-2048, 512 with 1024-4096 in steps of 1024, …). */
	int (*fargate_size_ok)(int cpu, int mem);
	/* 1 when CloudWatch Logs offers a retention of days (1, 3, 5, 7, 14,
	 * 30, … 3653). */
	int (*log_retention_ok)(int days);
	/* The ingress rules of sg (an item of describe-security-groups) in
	 * the user's words, into buf: "tcp/3001 from sg-…, all from
	 * 0.0.0.0/0", or "none" — evidence of what a group admits. */
	void (*sg_ingress_words)(const cJSON *sg, char *buf, size_t size);
	/* An ECR image reference, ACCOUNT.dkr.ecr.REGION.amazonaws.com[.cn]/
	 * REPO[:TAG|@DIGEST], as an object of strings: account, region,
	 * repository, and tag ("latest" when none) or digest; NULL when uri
	 * is not one.  The caller frees it (cJSON_Delete). */
	cJSON *(*ecr_image)(const char *uri);
	/* 1 when endpoints (describe-vpc-endpoints' VpcEndpoints) hold one
	 * for com.amazonaws.REGION.service ("ecr.api", "logs", "s3") that is
	 * available. */
	int (*vpc_endpoint)(const cJSON *endpoints, const char *region, const char *service);
	/* 1 when a listener's (describe-listeners') one default action
	 * forwards to the target group tg_arn alone. */
	int (*listener_forwards)(const cJSON *listener, const char *tg_arn);
	/* The reason of the first target of describe-target-health's
	 * TargetHealthDescriptions in state ("unhealthy", "unused") that has
	 * one ("Target.Timeout"), else NULL. */
	const char *(*target_reason)(const cJSON *targets, const char *state);

	/* ---- inline role policies (a resource that is part_of its role,
	 * from the role's get-account-authorization-details item) ---- */

	/* The inline policy name of role (RolePolicyList) as a document,
	 * decoded when IAM's URL encoding reaches it (an empty object when it
	 * is not JSON), else NULL; compare it with cJSON_Compare.  The caller
	 * frees it (cJSON_Delete). */
	cJSON *(*iam_role_policy)(const cJSON *role, const char *name);
	/* Adds to *doc (made, Version 2012-10-17, when NULL) a statement Sid
	 * sid that allows actions (NULL-terminated; one: a string) on
	 * resource, as put-role-policy takes it. */
	void (*iam_allow)(cJSON **doc, const char *sid, const char *const *actions,
			  const char *resource);

	/* ---- ownership ---- */

	/* 0 when none of the resources keys (NULL-terminated; those read and
	 * found) belongs to a CloudFormation stack (its aws:cloudformation:
	 * stack-name tag); else reports which and whose ("the service S
	 * belongs to CloudFormation stack N; change it through the stack …")
	 * and returns AWSPHASE_EXIT_USAGE; under --dry-run it warns and
	 * returns 0.  For a change the engine does not make itself (a forced
	 * deployment, a rollback), called just before its first changing
	 * call; plan, apply and teardown check what they change.  Check
	 * struct_size before use. */
	int (*owned)(struct awsphase_stack *s, const char *const *keys);
	/* append only */
};

#ifdef __cplusplus
}
#endif
#endif
