/* awsphase up | plan | down | status: every phase, in the order what the
 * phases declare gives.  A phase that needs a key another provides runs
 * after it (down: before it); where nothing says which comes first, the
 * names do.  No list of phases lives here, so a phase built out of tree
 * takes its place by what it declares.
 *
 * Each phase's action runs as "awsphase PHASE ACTION" would run it
 * (action.c), the env file read again for each, so a phase sees what the
 * one before it wrote.  plan runs every deploy under --dry-run; what an
 * earlier phase would write and has not is then "<KEY>" (host overlay),
 * and a read that needs such a value is not made: the later phase plans
 * on the placeholder, as a dry run of one phase plans on "<alb arn>". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "aws.h"
#include "cfn-env.h"
#include "envfile.h"
#include "export.h"
#include "envs.h"
#include "help.h"
#include "host.h"
#include "i18n.h"
#include "lock.h"
#include "log.h"
#include "module.h"
#include "options.h"
#include "pipeline.h"
#include "report.h"
#include "strbuf.h"

enum command { CMD_UP, CMD_PLAN, CMD_DOWN, CMD_STATUS, CMD_EXPORT, CMD_ENV };

/* popt's (put back by options_action_done), and our copies */
static char *opt_from, *opt_to;
static char *from, *to;
static int opt_yes, opt_delete_data;

static const struct poptOption range_options[] = {
	{ "from", 0, POPT_ARG_STRING, &opt_from, 0, N_("start at this phase (name or alias)"), N_("PHASE") },
	{ "to", 0, POPT_ARG_STRING, &opt_to, 0, N_("stop after this phase"), N_("PHASE") },
	POPT_TABLEEND
};
static const struct poptOption down_options[] = {
	{ "from", 0, POPT_ARG_STRING, &opt_from, 0, N_("start at this phase (name or alias)"), N_("PHASE") },
	{ "to", 0, POPT_ARG_STRING, &opt_to, 0, N_("stop after this phase"), N_("PHASE") },
	{ "yes", 'y', POPT_ARG_NONE, &opt_yes, 0, N_("do not ask before deleting"), NULL },
	{ "delete-data", 0, POPT_ARG_NONE, &opt_delete_data, 0,
	  N_("delete databases, buckets and their data too (else teardown stops before them)"), NULL },
	POPT_TABLEEND
};

/* What each command is, as an action is, for the option parser and --help;
 * action: the phases' action it runs. */
static const struct pipeline_command {
	struct awsphase_action a;
	const char *action;
} commands[] = {
	[CMD_UP] = { { .name = "up", .summary = N_("Deploy every phase, in order"), .args = "",
		       .options = range_options,
		       .help = N_("Runs each phase's deploy in the order their env keys give (a phase\n"
				  "that needs a key another provides runs after it).  A phase that fails\n"
				  "stops the run with its exit code; fix what it says and run\n"
				  "awsphase up --from PHASE.  A second run changes nothing.") },
	  "deploy" },
	[CMD_PLAN] = { { .name = "plan", .summary = N_("Show what up would change, changing nothing"),
			 .args = "", .options = range_options,
			 .help = N_("Reads every phase and lists each change up would make.  A phase whose\n"
				    "inputs an earlier phase would create is planned on placeholders\n"
				    "(<VPC_ID>).  Exits 0 when nothing would change and 6 when something\n"
				    "would: a CI job can detect drift.") },
	  "deploy" },
	[CMD_DOWN] = { { .name = "down", .summary = N_("Tear every phase down, in reverse order"),
			 .args = "", .options = down_options,
			 .help = N_("Runs each phase's teardown, the last phase first, with --all where it\n"
				    "has one: everything the phase made.  Data (databases, buckets) stays\n"
				    "unless --delete-data says otherwise: the phase that holds it stops, and\n"
				    "down with it, saying why.  Asks before deleting on a terminal;\n"
				    "elsewhere it needs --yes.") },
	  "teardown" },
	[CMD_STATUS] = { { .name = "status", .summary = N_("Every phase's status"), .args = "",
			   .options = range_options,
			   .help = N_("Runs each phase's status; exits with the worst of their codes.") },
	  "status" },
	/* not a run of every phase's action: core/export.c */
	[CMD_EXPORT] = { { .name = "export", .summary = N_("Write the phases as a CloudFormation template"),
			   .args = "", .options = export_options,
			   .help = N_("Writes a CloudFormation template (YAML) of what deploy converges for\n"
				      "the phases (default: every phase the env file has keys of): the\n"
				      "same settings, a Parameter for each setting whose Default is the\n"
				      "env file's value, an Output for each key the phases write (named\n"
				      "after it: ALB_DNS is AlbDns).  aws cloudformation deploy of it needs\n"
				      "no overrides for this environment.  --adopt also writes\n"
				      "FILE.import.json, the live id of each resource, for an IMPORT change\n"
				      "set, and keeps every resource on delete (DeletionPolicy Retain).") },
	  NULL },
	/* not a pipeline: the env file every phase reads, from a stack (cfn-env.c) */
	[CMD_ENV] = { { .name = "env", .summary = N_("Write a CloudFormation stack's outputs into the env file"),
			.usage = "--from-stack NAME", .options = cfn_env_options,
			.help = N_("Reads the stack (aws cloudformation describe-stacks) and writes each output\n"
				   "that carries an env key a phase declares into the env file (-e, default\n"
				   "./aws-resources.env, created when missing), in place and atomically,\n"
				   "comments and order kept, as deploy writes it: output AlbDns is ALB_DNS\n"
				   "(the key's parts at _, capitalised, joined).  Other outputs are ignored\n"
				   "(-v lists them).  A value a key's pattern refuses: exit 2, nothing\n"
				   "written.  Records CFN_STACK=NAME (and AWS_REGION when missing).  Then\n"
				   "validate, status, logs, metrics, diagnose and history serve the stack;\n"
				   "deploy refuses to change what the stack owns.  A stack that does not\n"
				   "exist or is not settled (*_COMPLETE): exit 2.") },
	  NULL },
};

int pipeline_is_command(const char *word)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(*commands); i++)
		if (strcmp(word, commands[i].a.name) == 0)
			return 1;
	return 0;
}

const struct awsphase_action *pipeline_command_at(size_t i)
{
	return i < sizeof(commands) / sizeof(*commands) ? &commands[i].a : NULL;
}

void pipeline_help_list(void)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(*commands); i++)
		if (commands[i].action)
			printf("  %-8s %s\n", commands[i].a.name, _(commands[i].a.summary));
	printf("\n%s\n", _("To and from CloudFormation:"));
	for (i = 0; i < sizeof(commands) / sizeof(*commands); i++)
		if (!commands[i].action)
			printf("  %-8s %s\n", commands[i].a.name, _(commands[i].a.summary));
}

/* ---- the order ------------------------------------------------------------ */

static int in_list(const char *const *list, const char *key)
{
	for (; list && *list; list++)
		if (strcmp(*list, key) == 0)
			return 1;
	return 0;
}

/* 1 when b needs a key a provides. */
static int before(const struct loaded_module *a, const struct loaded_module *b)
{
	const char *const *k;

	if (a == b)
		return 0;
	for (k = b->m.needs; k && *k; k++)
		if (in_list(a->m.provides, *k))
			return 1;
	return 0;
}

static const struct awsphase_action *phase_action(const struct loaded_module *lm, const char *name)
{
	const struct awsphase_action *a;

	for (a = lm->actions; a && a->name; a++)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}

ssize_t pipeline_order(const char *action, struct loaded_module ***out)
{
	struct loaded_module **pool, **order;
	size_t n = 0, k = 0, i, j;

	pool = xcalloc(module_count() + 1, sizeof(*pool));
	order = xcalloc(module_count() + 1, sizeof(*order));
	for (i = 0; i < module_count(); i++) {
		struct loaded_module *lm = module_at(i);

		if ((lm->m.provides || lm->m.needs) && phase_action(lm, action))
			pool[n++] = lm;
		else
			log_msg(AWSPHASE_LOG_VERBOSE, _("%s: not a phase of the pipeline (%s)"), lm->m.name,
				lm->m.provides || lm->m.needs ? _("no such action") :
								_("declares no keys it provides or needs"));
	}
	while (k < n) {
		struct loaded_module *next = NULL;

		/* the first by name of those nothing left must precede */
		for (i = 0; i < n; i++) {
			int free_to_go = pool[i] != NULL;

			for (j = 0; free_to_go && j < n; j++)
				if (pool[j] && before(pool[j], pool[i]))
					free_to_go = 0;
			if (free_to_go && (!next || strcmp(pool[i]->m.name, next->m.name) < 0))
				next = pool[i];
		}
		if (!next) {
			struct strbuf sb = STRBUF_INIT;

			for (i = 0; i < n; i++)
				if (pool[i])
					strbuf_addf(&sb, "%s%s", sb.len ? ", " : "", pool[i]->m.name);
			error(_("phases %s: each needs a key another of them provides; fix what "
				"their modules declare (awsphase list --output json shows it)"), strbuf_str(&sb));
			strbuf_release(&sb);
			free(pool);
			free(order);
			return -1;
		}
		for (i = 0; i < n; i++)
			if (pool[i] == next)
				pool[i] = NULL;
		order[k++] = next;
	}
	free(pool);
	*out = order;
	return (ssize_t)n;
}

/* Where name (a phase or an alias) is in order; -1 after reporting. */
static ssize_t position(struct loaded_module **order, size_t n, const char *option,
			const char *name)
{
	const struct loaded_module *lm = module_find(name);
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	for (i = 0; lm && i < n; i++)
		if (order[i] == lm)
			return (ssize_t)i;
	for (i = 0; i < n; i++)
		strbuf_addf(&sb, "%s%s", i ? ", " : "", order[i]->m.name);
	action_bad_usage(_("%s %s: not a phase of the pipeline; give one of %s"), option, name,
			 n ? strbuf_str(&sb) : _("(none installed)"));
	strbuf_release(&sb);
	return -1;
}

/* ---- running -------------------------------------------------------------- */

/* Runs lm's action with args (NULL-terminated, after the action's name). */
static int run_phase(const struct loaded_module *lm, const struct awsphase_action *a,
		     const char *const *args)
{
	const char *argv[8] = { a->name };
	const char **aargv = NULL;
	poptContext pc = NULL;
	int argc = 1, aargc = 0, rc;

	while (args && *args && argc < 7)
		argv[argc++] = *args++;
	rc = action_parse(lm, a, argc, argv, &pc, &aargc, &aargv);
	if (rc < 0)
		rc = action_run(lm, a, aargc, aargv);
	free(aargv);
	poptFreeContext(pc);
	options_action_done();
	return rc;
}

static int has_option(const struct awsphase_action *a, const char *name)
{
	const struct poptOption *o;

	for (o = a->options; o && (o->longName || o->shortName || o->argInfo); o++)
		if (o->longName && strcmp(o->longName, name) == 0)
			return 1;
	return 0;
}

/* plan: after a phase, each key it provides that the env file lacks is
 * "<KEY>" for the phases after it. */
static void overlay_provided(const struct loaded_module *lm)
{
	const char *path = options.env_file ? options.env_file : ACTION_ENV_FILE;
	struct envfile *ef = envfile_load(path, 1);
	const char *const *k;

	for (k = lm->m.provides; k && *k; k++) {
		const char *v = ef ? envfile_get(ef, *k) : NULL;

		if (!v || !*v) {
			struct strbuf sb = STRBUF_INIT;

			strbuf_addf(&sb, "<%s>", *k);
			host_overlay_set(*k, strbuf_str(&sb));
			strbuf_release(&sb);
		}
	}
	envfile_free(ef);
}

/* down: a phase whose teardown cannot run (a key it needs is gone from the
 * env file, taken by the teardown of the phase that wrote it) and that has
 * none of its own keys left in the file was torn down already: a second
 * down goes past it.  Returns the missing key, else NULL. */
static const char *torn_down(const struct loaded_module *lm)
{
	const char *path = options.env_file ? options.env_file : ACTION_ENV_FILE;
	struct envfile *ef = envfile_load(path, 1);
	const struct awsphase_envvar *v;
	const char *missing = NULL;

	for (v = lm->m.env; ef && v && v->key; v++) {
		const char *value = envfile_get(ef, v->key);
		int set = value && *value;

		if (set && (v->flags & AWSPHASE_ENV_WRITTEN)) {
			missing = NULL;
			break;
		}
		if (!set && (v->flags & AWSPHASE_ENV_REQUIRED) && !missing)
			missing = v->key;
	}
	envfile_free(ef);
	return missing;
}

static void list_names(struct strbuf *sb, struct loaded_module **phases, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		strbuf_addf(sb, "%s%s", i ? ", " : "", phases[i]->m.name);
}

static int run_all(enum command cmd, struct loaded_module **order, size_t first, size_t last)
{
	const struct pipeline_command *pc = &commands[cmd];
	int quiet = options.quiet || (options.output && strcmp(options.output, "json") == 0);
	struct loaded_module **changed = xcalloc(last - first + 2, sizeof(*changed));
	size_t nchanged = 0, count = last - first + 1, step;
	int rc = 0, worst = 0;

	for (step = 0; step < count; step++) {
		size_t i = cmd == CMD_DOWN ? last - step : first + step;
		const struct loaded_module *lm = order[i];
		const struct awsphase_action *a = phase_action(lm, pc->action);
		const char *args[4] = { NULL }, *missing;
		struct aws_stats before, after;
		int n = 0;

		/* down takes everything a phase made: --all where teardown keeps
		 * some by default (4B keeps the cluster, roles and groups) */
		if (cmd == CMD_DOWN && has_option(a, "all"))
			args[n++] = "--all";
		if (cmd == CMD_DOWN && opt_yes && has_option(a, "yes"))
			args[n++] = "--yes";
		if (cmd == CMD_DOWN && opt_delete_data && has_option(a, "delete-data"))
			args[n++] = "--delete-data";
		if (!quiet)
			printf("%s== %s %s: %s\n", step ? "\n" : "", lm->m.name, a->name,
			       lm->m.title ? i18n_words(lm->m.title) : lm->m.name);
		fflush(stdout);
		if (cmd == CMD_DOWN && (missing = torn_down(lm))) {
			if (!quiet)
				printf(_("%s: nothing to tear down: %s, which it needs, is not in the "
					 "env file, nor any key it writes\n"), lm->m.name, missing);
			continue;
		}
		aws_get_stats(&before);
		rc = run_phase(lm, a, args);
		aws_get_stats(&after);
		if (cmd == CMD_PLAN && rc == 0) {
			if (after.dry_runs > before.dry_runs)
				changed[nchanged++] = order[i];
			overlay_provided(lm);
		}
		/* status shows every phase, however the one before it stands */
		if (cmd == CMD_STATUS && !action_signal) {
			if (rc > worst)
				worst = rc;
			continue;
		}
		if (rc != 0) {
			/* the phase said what went wrong; this says where the run stands */
			if (action_signal)
				break;
			if (step + 1 < count || cmd == CMD_DOWN)
				error(_("%s: phase %s stopped it (exit %d); fix what it said, then go on "
					"with: awsphase %s --from %s"), pc->a.name, lm->m.name, rc, pc->a.name,
				      lm->m.name);
			else
				error(_("%s: phase %s failed (exit %d)"), pc->a.name, lm->m.name, rc);
			break;
		}
	}
	if (cmd == CMD_STATUS)
		rc = worst;
	if (rc == 0 && !options.quiet) {
		struct strbuf sb = STRBUF_INIT;
		FILE *out = quiet ? stderr : stdout;

		if (cmd == CMD_PLAN && nchanged) {
			list_names(&sb, changed, nchanged);
			fprintf(out, _("\nplan: changes in %zu of %zu phases (%s); awsphase up makes them\n"),
				nchanged, count, strbuf_str(&sb));
		} else if (cmd == CMD_PLAN) {
			list_names(&sb, order + first, count);
			fprintf(out, _("\nplan: no changes in %zu phases (%s)\n"), count, strbuf_str(&sb));
		} else if (cmd != CMD_STATUS) {
			list_names(&sb, order + first, count);
			fprintf(out, cmd == CMD_UP ? _("\nup: %zu phases deployed (%s)\n") :
						     _("\ndown: %zu phases torn down (%s)\n"),
				count, strbuf_str(&sb));
		}
		strbuf_release(&sb);
	}
	if (cmd == CMD_PLAN && rc == 0 && nchanged)
		rc = AWSPHASE_EXIT_CHANGES;
	free(changed);
	return rc;
}

/* The command's options (and global ones after it) into opt_*, copied:
 * each phase's action parses its own after.  -1 to go on, else an exit
 * code (0 after --help). */
static int parse(const struct pipeline_command *pc, int argc, const char **argv)
{
	poptContext ctx = poptGetContext(pc->a.name, argc, argv, options_for_action(&pc->a), 0);
	int rc = action_parse_command(&pc->a, ctx);

	from = opt_from ? xstrdup(opt_from) : NULL;
	to = opt_to ? xstrdup(opt_to) : NULL;
	poptFreeContext(ctx);
	options_action_done();
	return rc;
}

int pipeline_main(int argc, const char **argv)
{
	const struct pipeline_command *pc = NULL;
	struct loaded_module **order = NULL;
	ssize_t n, first, last;
	int rc, locked = 0;
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(*commands); i++)
		if (strcmp(argv[0], commands[i].a.name) == 0)
			pc = &commands[i];
	if (!pc)
		return action_bad_usage(_("%s: not a pipeline command"), argv[0]);
	if (pc == &commands[CMD_EXPORT])
		return export_main(&pc->a, argc, argv);
	if (pc == &commands[CMD_ENV])
		return cfn_env_main(&pc->a, argc, argv);
	rc = parse(pc, argc, argv);
	if (rc >= 0)
		goto out;
	log_set_verbosity(options.quiet ? -1 : options.verbose);
	if ((rc = envs_fork()) >= 0) /* several --env: each environment's process goes on */
		goto out;
	n = pipeline_order(pc->action, &order);
	if (n < 0) {
		rc = AWSPHASE_EXIT_USAGE;
		goto out;
	}
	if (n == 0) {
		rc = action_bad_usage(_("%s: no phase installed declares what it provides and needs "
					"(modules searched in %s); see awsphase list"),
				      pc->a.name, module_search_path());
		goto out;
	}
	first = from ? position(order, (size_t)n, "--from", from) : 0;
	last = to ? position(order, (size_t)n, "--to", to) : n - 1;
	if (first < 0 || last < 0) {
		rc = AWSPHASE_EXIT_USAGE;
		goto out;
	}
	if (first > last) {
		rc = action_bad_usage(_("%s: --from %s comes after --to %s (the order is %s ... %s); "
					"swap them"), pc->a.name, order[first]->m.name,
				      order[last]->m.name, order[0]->m.name, order[n - 1]->m.name);
		goto out;
	}
	if (pc == &commands[CMD_PLAN])
		options.dry_run = 1;
	if (options.output && strcmp(options.output, "json") == 0)
		report_collect(1);
	/* up and down hold the lock from the first phase to the last: no
	 * other run changes the stack between two of them */
	if (pc == &commands[CMD_UP] || pc == &commands[CMD_DOWN]) {
		rc = action_lock();
		if (rc)
			goto out;
		locked = 1;
	}
	rc = run_all((enum command)(pc - commands), order, (size_t)first, (size_t)last);
	if (options.output && strcmp(options.output, "json") == 0 &&
	    report_print_collected(pc->a.name, rc, "phases") < 0 && rc == 0)
		rc = AWSPHASE_EXIT_FAILED;
out:
	if (locked)
		lock_release();
	host_overlay_clear();
	free(order);
	free(from);
	free(to);
	from = to = NULL;
	return rc;
}
