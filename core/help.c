#include <popt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "help.h"
#include "strbuf.h"
#include "i18n.h"
#include "module.h"
#include "options.h"
#include "action.h"
#include "pipeline.h"
#include "stack.h"

static const char *const exit_codes_help = N_(
	"Exit codes:\n"
	"  0  success\n"
	"  1  checks failed, the deployment did not converge, or env file keys not recorded\n"
	"  2  usage or bad input (arguments, env file)\n"
	"  3  AWS refused (API error, permissions, credentials)\n"
	"  4  timed out (the run's --timeout, a wait deadline or the retry budget)\n"
	"  5  aws CLI missing or unusable, or an answer not JSON or over 32 MiB\n"
	"  6  awsphase plan: something would change\n"
	"  128+N  stopped by signal N: 129 SIGHUP, 130 SIGINT, 138 SIGUSR1,\n"
	"         140 SIGUSR2, 141 SIGPIPE (quiet), 142 SIGALRM, 143 SIGTERM\n");

/* popt's option help without its own usage line (the first; "Usage:" may be
 * translated), which we write. */
void help_print_options(poptContext pc)
{
	char *text = NULL, *body;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return;
	poptPrintHelp(pc, f, 0);
	fclose(f);
	body = strchr(text, '\n') ? strchr(text, '\n') + 1 : text;
	fputs(body, stdout);
	free(text);
}

void help_global(void)
{
	poptContext pc = poptGetContext("awsphase", 0, NULL, options_table, 0);
	size_t i;

	fputs(_("Usage: awsphase [OPTION...] PHASE ACTION [ACTION OPTION...]\n"
		"       awsphase [OPTION...] up | plan | down | status [COMMAND OPTION...]\n"
		"       awsphase list [--output json] | help [PHASE [ACTION]] | --version\n\n"), stdout);
	fputs(_("Deploys and operates the phases of a stack on AWS through the installed aws CLI,\n"
		"as the phase runbooks do, idempotently: a second run changes nothing.\n"
		"Run it in the folder holding aws-resources.env.\n\n"), stdout);
	help_print_options(pc);
	poptFreeContext(pc);
	printf("\n%s\n", _("Phases:"));
	for (i = 0; i < module_count(); i++) {
		const struct loaded_module *lm = module_at(i);

		if (lm->m.aliases && *lm->m.aliases)
			printf(_("  %-8s %s (alias: %s)\n"), lm->m.name, i18n_words(lm->m.title), lm->m.aliases);
		else
			printf("  %-8s %s\n", lm->m.name, i18n_words(lm->m.title));
	}
	if (!module_count())
		printf(_("  (none found in %s; set AWSPHASE_MODULE_PATH)\n"), module_search_path());
	printf("\n%s\n", _("Every phase at once, in the order their env keys give:"));
	pipeline_help_list();
	fputs(_("\nExamples:\n"
		"  awsphase up                      deploy every phase, from an empty account\n"
		"  awsphase plan                    what up would change (exit 6: something)\n"
		"  awsphase 4b deploy               deploy phase 4B (aws-phase4b-ecs-alb.sh)\n"
		"  awsphase --dry-run 4b deploy     show what deploy would change\n"
		"  awsphase 4b validate             the runbook's checks\n"
		"  awsphase --trace 4b status       show the aws commands as they run\n\n"
		"Environment: AWSPHASE_MODULE_PATH (extra module directories), AWSPHASE_ENDPOINT_URL,\n"
		"NO_COLOR, and everything the aws CLI reads (AWS_PROFILE, AWS_REGION, ...).\n"
		"See man awsphase.\n\n"), stdout);
	fputs(_(exit_codes_help), stdout);
}

static void help_key(const struct awsphase_envvar *v, const char *stack)
{
	char *derived = stack ? stack_expand(v->def, stack) : NULL;

	printf("  %c %-18s %s", v->flags & AWSPHASE_ENV_REQUIRED ? '*' : v->flags & AWSPHASE_ENV_WRITTEN ? '>' : ' ',
	       v->key, i18n_words(v->help));
	if (derived)
		printf(_(" (default %s, from %s)"), derived, v->def);
	else if (v->def)
		printf(_(" (default %s)"), v->def);
	putchar('\n');
	free(derived);
}

void help_phase(const struct loaded_module *lm)
{
	const struct awsphase_action *a;
	const struct awsphase_envvar *v;

	printf(_("Usage: awsphase [OPTION...] %s ACTION [ACTION OPTION...]\n"), lm->m.name);
	printf("\n%s\n\n%s\n", lm->m.title ? i18n_words(lm->m.title) : lm->m.name, _("Actions:"));
	for (a = lm->m.actions; a->name; a++)
		printf("  %-10s %s\n", a->name, i18n_words(a->summary));
	if (lm->m.env) {
		/* a name derived from STACK is shown as the env file makes it */
		struct envfile *ef = envfile_load(options.env_file ? options.env_file : ACTION_ENV_FILE, 1);

		printf("\n%s\n", _("Keys of aws-resources.env (* required, > written back):"));
		for (v = stack_keys; v->key; v++)
			help_key(v, NULL);
		for (v = lm->m.env; v->key; v++)
			help_key(v, stack_value(ef));
		envfile_free(ef);
	}
	printf(_("\nawsphase %s ACTION --help shows an action's options.\n"), lm->m.name);
}

char *help_usage(const struct awsphase_action *a)
{
	const struct poptOption *o;
	struct strbuf sb = STRBUF_INIT;

	if (a->usage)
		return xstrdup(i18n_words(a->usage));
	for (o = a->options; o && (o->longName || o->shortName || o->arg); o++) {
		unsigned type = o->argInfo & POPT_ARG_MASK;

		if (!o->longName || (o->argInfo & POPT_ARGFLAG_DOC_HIDDEN))
			continue;
		strbuf_addf(&sb, "%s[--%s", sb.len ? " " : "", o->longName);
		if (type != POPT_ARG_NONE && type != POPT_ARG_VAL)
			strbuf_addf(&sb, " %s", o->argDescrip ? o->argDescrip : "ARG");
		strbuf_addch(&sb, ']');
	}
	if (a->args)
		strbuf_addf(&sb, "%s%s", sb.len ? " " : "", a->args);
	return strbuf_detach(&sb);
}

void help_arg_counts(const char *args, int *min, int *max)
{
	const char *p = args;

	*min = *max = 0;
	while (p && *p) {
		size_t n = strcspn(p, " ");
		int optional = p[0] == '[';
		size_t end = optional && n > 1 && p[n - 1] == ']' ? n - 1 : n;

		if (end >= 3 && strncmp(p + end - 3, "...", 3) == 0)
			*max = -1;
		else if (*max >= 0)
			(*max)++;
		*min += !optional;
		p += n;
		p += strspn(p, " ");
	}
}

void help_command(const struct awsphase_action *a, poptContext pc)
{
	char *usage = help_usage(a);

	printf("%s: %s\n\n", a->name, _(a->summary));
	printf(_("Usage: awsphase [OPTION...] %s %s\n"), a->name, usage);
	free(usage);
	if (a->help)
		printf("\n%s\n", _(a->help));
	printf("\n");
	help_print_options(pc);
	printf("\n%s", _(exit_codes_help));
}

void help_action(const struct loaded_module *lm, const struct awsphase_action *a, poptContext pc)
{
	char *usage = help_usage(a);

	printf("%s %s: %s\n\n", lm->m.name, a->name, i18n_words(a->summary));
	printf(_("Usage: awsphase [OPTION...] %s %s %s\n"), lm->m.name, a->name, usage);
	free(usage);
	if (a->help)
		printf("\n%s\n", i18n_words(a->help));
	printf("\n");
	help_print_options(pc);
	printf("\n%s", _(exit_codes_help));
}
