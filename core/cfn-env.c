/* awsphase env --from-stack NAME: a CloudFormation stack's outputs into
 * the env file, so that the phases' read-only actions (validate, status,
 * logs, metrics, diagnose, history) serve a stack awsphase did not make.
 *
 * An output carries the env key whose CloudFormation name it has
 * (cfn_output_name: ALB_DNS <-> AlbDns); the keys are those the loaded
 * modules declare, so a module added out of tree reads its own outputs
 * too.  The file is written as deploy writes it (one atomic rewrite,
 * comments and order kept), under the env file's lock, as a run of a
 * phase's action: the same runner, report and messages
 * ("env --from-stack: …"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "cfn-env.h"
#include "cfn-names.h"
#include "guard.h"
#include "help.h"
#include "host.h"
#include "i18n.h"
#include "log.h"
#include "module.h"
#include "options.h"
#include "pattern.h"
#include "redact.h"
#include "strbuf.h"

static char *opt_stack;

const struct poptOption cfn_env_options[] = {
	{ "from-stack", 0, POPT_ARG_STRING, &opt_stack, 0,
	  N_("write the outputs of this CloudFormation stack into the env file"), N_("NAME") },
	POPT_TABLEEND
};

/* The declared key whose output name is output, and the first of its
 * declarations (the one with a pattern, when one has) into *var. */
static const char *key_of(const char *output, const struct awsphase_envvar **var)
{
	const char *key = NULL;
	size_t i;

	*var = NULL;
	for (i = 0; i < module_count(); i++) {
		const struct awsphase_envvar *v;

		for (v = module_at(i)->env; v && v->key; v++) {
			char *name = cfn_output_name(v->key);
			int same = strcmp(name, output) == 0;

			free(name);
			if (!same || (key && strcmp(key, v->key) != 0))
				continue;
			key = v->key;
			if (!*var || (!(*var)->pattern && v->pattern))
				*var = v;
		}
	}
	return key;
}

/* A value the key's pattern refuses: one line naming output and key, the
 * value shown unless it is a secret. */
static int bad_value(const char *output, const struct awsphase_envvar *v, const char *value)
{
	error(_("env --from-stack: output %s (%s): '%s' is not %s (pattern %s); fix the stack's "
		"output, nothing was written"), output, v->key,
	      redact_key_is_secret(v->key) ? "***" : value, v->help ? _(v->help) : v->key, v->pattern);
	return AWSPHASE_EXIT_USAGE;
}

/* The stack, read; NULL after reporting (*rc set). */
static const cJSON *read_stack(const struct awsphase_host *h, struct awsphase_call *c,
			       const char *name, int *rc)
{
	const char *status;

	h->call_args(c, "--stack-name", name, NULL);
	h->call_accept(c, "ValidationError: Stack with id");
	*rc = h->call_run(c);
	if (*rc) {
		error(_("env --from-stack: cloudformation describe-stacks: %s: %s"), h->call_error(c),
		      h->call_message(c));
		return NULL;
	}
	status = h->json_str(h->call_json(c), "Stacks.0.StackStatus");
	if (h->call_state(c) == AWSPHASE_CALL_ACCEPTED || !status) {
		*rc = AWSPHASE_EXIT_USAGE;
		error(_("env --from-stack: no stack %s in %s; check the name and the region "
			"(aws cloudformation list-stacks)"), name, h->settings->region);
		return NULL;
	}
	/* ROLLBACK_COMPLETE: its create failed and what it made is gone */
	if (strlen(status) < 9 || strcmp(status + strlen(status) - 9, "_COMPLETE") != 0 ||
	    strcmp(status, "ROLLBACK_COMPLETE") == 0 || strcmp(status, "DELETE_COMPLETE") == 0) {
		*rc = AWSPHASE_EXIT_USAGE;
		error(_("env --from-stack: stack %s is %s, not settled; wait until it is CREATE_COMPLETE "
			"or UPDATE_COMPLETE (aws cloudformation describe-stacks --stack-name %s)"),
		      name, status, name);
		return NULL;
	}
	return h->json_get(h->call_json(c), "Stacks.0");
}

/* The outputs' env keys and values into kv (pairs), checked against the
 * keys' patterns; the outputs that carry none into ignored.  0 or exit 2. */
static int take(const struct awsphase_host *h, const cJSON *outputs, const char **kv, size_t *n,
		struct strbuf *ignored)
{
	const cJSON *o;

	cJSON_ArrayForEach(o, outputs) {
		const char *out = h->json_str(o, "OutputKey"), *value = h->json_str(o, "OutputValue");
		const struct awsphase_envvar *v;
		const char *key = out ? key_of(out, &v) : NULL;

		if (!key || !value) {
			strbuf_addf(ignored, "%s%s", ignored->len ? ", " : "", out ? out : "?");
			continue;
		}
		if (v->pattern && pattern_full_match(v->pattern, value) != 1)
			return bad_value(out, v, value);
		kv[(*n)++] = key;
		kv[(*n)++] = value;
	}
	return 0;
}

static int from_stack(const struct awsphase_host *h, int argc, const char **argv)
{
	struct awsphase_call *c = h->call_new("cloudformation", "describe-stacks");
	const char *name = argv[argc - 1], **kv = NULL, *account = NULL;
	struct strbuf ignored = STRBUF_INIT;
	const cJSON *stack, *outputs;
	struct awsphase_grid *g;
	size_t n = 0, i;
	int rc;

	stack = read_stack(h, c, name, &rc);
	if (!stack)
		goto out;
	outputs = h->json_get(stack, "Outputs");
	kv = xcalloc(2 * (size_t)cJSON_GetArraySize(outputs) + 7, sizeof(*kv));
	rc = take(h, outputs, kv, &n, &ignored);
	if (rc)
		goto out;
	if (ignored.len)
		log_msg(AWSPHASE_LOG_VERBOSE, _("env --from-stack: outputs that carry no env key a "
						"module declares, ignored: %s"), strbuf_str(&ignored));
	g = h->grid_new(3);
	for (i = 0; i < n; i += 2) {
		const char *shown = redact_key_is_secret(kv[i]) ? "***" : kv[i + 1];
		char *output = cfn_output_name(kv[i]);

		h->grid_put(g, i / 2, 0, "%s", kv[i]);
		h->grid_put(g, i / 2, 1, "%s", output);
		h->grid_put(g, i / 2, 2, "%s", shown);
		free(output);
	}
	/* also the document's "outputs" under --output json */
	h->grid_show(g, "outputs", (const char *const[]){ "key", "output", "value", NULL });
	/* the file now describes a stack: later runs know whose it is */
	kv[n++] = "CFN_STACK";
	kv[n++] = name;
	if (!h->env_in_file("AWS_REGION")) {
		kv[n++] = "AWS_REGION";
		kv[n++] = h->settings->region;
	}
	/* and whose account: the guard asked before describe-stacks (no call) */
	if (!h->env_in_file(GUARD_ACCOUNT_KEY) && h->caller_identity(&account, NULL) == 0 &&
	    account && *account) {
		kv[n++] = GUARD_ACCOUNT_KEY;
		kv[n++] = account;
	}
	rc = host_env_set_many(kv) < 0 ? AWSPHASE_EXIT_FAILED : 0;
	if (rc == 0)
		h->say(h->settings->dry_run ? _("%s: would take the outputs of stack %s\n") :
					      _("%s: the outputs of stack %s written\n"),
		       h->settings->env_file, name);
out:
	strbuf_release(&ignored);
	free(kv);
	h->call_free(c);
	return rc;
}

static const struct awsphase_action from_stack_action = {
	.name = "--from-stack",
	.exec = from_stack,
	.flags = ACTION_CORE_CREATES_ENV,
};

int cfn_env_main(const struct awsphase_action *env, int argc, const char **argv)
{
	static struct loaded_module lm;
	poptContext ctx = poptGetContext(env->name, argc, argv, options_for_action(env), 0);
	const char *args[2] = { "--from-stack", NULL };
	char *stack = NULL;
	int rc = action_parse_command(env, ctx);

	if (rc < 0 && (!opt_stack || !*opt_stack))
		rc = action_bad_usage(_("env: which stack? give --from-stack NAME"));
	else if (rc < 0 && pattern_full_match("[A-Za-z][A-Za-z0-9-]{0,127}|arn:aws[a-z-]*:cloudformation:.+",
				    opt_stack) != 1)
		rc = action_bad_usage(_("env --from-stack %s: not a stack name (a letter, then letters, "
					"digits and -, up to 128) nor a stack ARN; give the stack's name"),
				      opt_stack);
	stack = opt_stack ? xstrdup(opt_stack) : NULL;
	poptFreeContext(ctx);
	options_action_done();
	if (rc >= 0)
		goto out;
	log_set_verbosity(options.quiet ? -1 : options.verbose);
	lm.m.name = "env";
	lm.m.api_version = AWSPHASE_API_VERSION;
	args[1] = stack;
	rc = action_run(&lm, &from_stack_action, 2, args);
out:
	free(stack);
	return rc;
}
