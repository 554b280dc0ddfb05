#include <popt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "help.h"
#include "i18n.h"
#include "module.h"
#include "options.h"

static const char *const exit_codes_help = N_(
	"Exit codes:\n"
	"  0  success\n"
	"  1  checks failed or the deployment did not converge\n"
	"  2  usage or bad input (arguments, env file)\n"
	"  3  AWS refused (API error, permissions, credentials)\n"
	"  4  timed out (wait deadline or retry budget)\n"
	"  5  aws CLI missing or unusable\n"
	"  130/143  interrupted by SIGINT/SIGTERM\n");

/* popt's option help without its own usage line (the first; "Usage:" may be
 * translated), which we write. */
static void print_options(poptContext pc)
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
		"       awsphase list [--output json] | help [PHASE [ACTION]] | --version\n\n"), stdout);
	fputs(_("Deploys and operates the phases of a stack on AWS through the installed aws CLI,\n"
		"as the phase runbooks do, idempotently: a second run changes nothing.\n"
		"Run it in the folder holding aws-resources.env.\n\n"), stdout);
	print_options(pc);
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
	fputs(_("\nExamples:\n"
		"  awsphase 4b deploy               deploy phase 4B (aws-phase4b-ecs-alb.sh)\n"
		"  awsphase --dry-run 4b deploy     show what deploy would change\n"
		"  awsphase 4b validate             the runbook's checks\n"
		"  awsphase --trace 4b status       show the aws commands as they run\n\n"
		"Environment: AWSPHASE_MODULE_PATH (extra module directories), AWSPHASE_ENDPOINT_URL,\n"
		"NO_COLOR, and everything the aws CLI reads (AWS_PROFILE, AWS_REGION, ...).\n"
		"See man awsphase.\n\n"), stdout);
	fputs(_(exit_codes_help), stdout);
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
		printf("\n%s\n", _("Keys of aws-resources.env (* required, > written back):"));
		for (v = lm->m.env; v->key; v++) {
			printf("  %c %-18s %s",
			       v->flags & AWSPHASE_ENV_REQUIRED ? '*' : v->flags & AWSPHASE_ENV_WRITTEN ? '>' : ' ',
			       v->key, i18n_words(v->help));
			if (v->def)
				printf(_(" (default %s)"), v->def);
			putchar('\n');
		}
	}
	printf(_("\nawsphase %s ACTION --help shows an action's options.\n"), lm->m.name);
}

void help_action(const struct loaded_module *lm, const struct awsphase_action *a, poptContext pc)
{
	printf("%s %s: %s\n\n", lm->m.name, a->name, i18n_words(a->summary));
	printf(_("Usage: awsphase [OPTION...] %s %s %s\n"), lm->m.name, a->name, i18n_words(a->usage));
	if (a->help)
		printf("\n%s\n", i18n_words(a->help));
	printf("\n");
	print_options(pc);
	printf("\n%s", _(exit_codes_help));
}
