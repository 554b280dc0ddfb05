#include <cjson/cJSON.h>
#include <popt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "help.h"
#include "list.h"
#include "log.h"
#include "module.h"
#include "options.h"
#include "pipeline.h"

/* A popt table as JSON: [{"long", "short", "arg" (null: takes none), "help"}],
 * included tables flattened. */
static void add_options(cJSON *arr, const struct poptOption *t)
{
	for (; t && (t->longName || t->shortName || t->arg); t++) {
		unsigned type = t->argInfo & POPT_ARG_MASK;
		char shortname[2] = { t->shortName, '\0' };
		cJSON *opt;

		if (type == POPT_ARG_INCLUDE_TABLE) {
			add_options(arr, t->arg);
			continue;
		}
		if ((!t->longName && !t->shortName) || (t->argInfo & POPT_ARGFLAG_DOC_HIDDEN))
			continue;
		opt = cJSON_CreateObject();
		cJSON_AddStringToObject(opt, "long", t->longName ? t->longName : "");
		cJSON_AddStringToObject(opt, "short", shortname);
		if (type == POPT_ARG_NONE || type == POPT_ARG_VAL)
			cJSON_AddNullToObject(opt, "arg");
		else
			cJSON_AddStringToObject(opt, "arg", t->argDescrip ? t->argDescrip : "ARG");
		cJSON_AddStringToObject(opt, "help", t->descrip ? _(t->descrip) : "");
		cJSON_AddItemToArray(arr, opt);
	}
}

static void add_keys(cJSON *m, const char *name, const char *const *keys)
{
	cJSON *arr = cJSON_AddArrayToObject(m, name);

	for (; keys && *keys; keys++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(*keys));
}

/* Where lm is in awsphase up's order (1-based), 0 when not in it. */
static size_t up_position(struct loaded_module **order, ssize_t n, const struct loaded_module *lm)
{
	ssize_t i;

	for (i = 0; i < n; i++)
		if (order[i] == lm)
			return (size_t)i + 1;
	return 0;
}

int list_modules(int json)
{
	struct loaded_module **order = NULL;
	ssize_t norder = pipeline_order("deploy", &order);
	size_t i;

	if (json) {
		cJSON *doc = cJSON_CreateObject(), *arr;
		char *text;

		add_options(cJSON_AddArrayToObject(doc, "options"), options_table);
		arr = cJSON_AddArrayToObject(doc, "commands");
		for (i = 0; pipeline_command_at(i); i++) {
			const struct awsphase_action *a = pipeline_command_at(i);
			cJSON *c = cJSON_CreateObject();

			cJSON_AddStringToObject(c, "name", a->name);
			cJSON_AddStringToObject(c, "summary", _(a->summary));
			add_options(cJSON_AddArrayToObject(c, "options"), a->options);
			cJSON_AddItemToArray(arr, c);
		}
		arr = cJSON_AddArrayToObject(doc, "modules");

		for (i = 0; i < module_count(); i++) {
			const struct loaded_module *lm = module_at(i);
			const struct awsphase_action *a;
			cJSON *m = cJSON_CreateObject(), *acts;

			cJSON_AddStringToObject(m, "name", lm->m.name);
			cJSON_AddStringToObject(m, "aliases", lm->m.aliases ? lm->m.aliases : "");
			cJSON_AddStringToObject(m, "title", lm->m.title ? lm->m.title : "");
			cJSON_AddStringToObject(m, "path", lm->path);
			add_keys(m, "provides", lm->m.provides);
			add_keys(m, "needs", lm->m.needs);
			if (up_position(order, norder, lm))
				cJSON_AddNumberToObject(m, "up_order", (double)up_position(order, norder, lm));
			else
				cJSON_AddNullToObject(m, "up_order");
			acts = cJSON_AddArrayToObject(m, "actions");
			for (a = lm->m.actions; a->name; a++) {
				cJSON *ac = cJSON_CreateObject();
				char *usage;

				cJSON_AddStringToObject(ac, "name", a->name);
				cJSON_AddStringToObject(ac, "summary", a->summary ? a->summary : "");
				usage = help_usage(a);
				cJSON_AddStringToObject(ac, "usage", usage);
				free(usage);
				add_options(cJSON_AddArrayToObject(ac, "options"), a->options);
				cJSON_AddItemToArray(acts, ac);
			}
			cJSON_AddItemToArray(arr, m);
		}
		text = cJSON_Print(doc);
		puts(text);
		free(text);
		cJSON_Delete(doc);
		free(order);
		return norder < 0 ? AWSPHASE_EXIT_USAGE : 0;
	}
	if (!module_count()) {
		printf(_("No phase modules found in %s; set AWSPHASE_MODULE_PATH to a folder of modules.\n"),
		       module_search_path());
		return 0;
	}
	for (i = 0; i < module_count(); i++) {
		const struct loaded_module *lm = module_at(i);
		const struct awsphase_action *a;

		printf("%s%s%s%s  %s\n", lm->m.name, lm->m.aliases && *lm->m.aliases ? " (" : "",
		       lm->m.aliases ? lm->m.aliases : "", lm->m.aliases && *lm->m.aliases ? ")" : "",
		       i18n_words(lm->m.title));
		if (log_verbosity() > 0)
			printf(_("  from %s\n"), lm->path);
		for (a = lm->m.actions; a->name; a++)
			printf("  %-10s %s\n", a->name, i18n_words(a->summary));
	}
	if (norder > 0) {
		printf("\n%s", _("awsphase up runs:"));
		for (i = 0; i < (size_t)norder; i++)
			printf("%s%s", i ? " → " : " ", order[i]->m.name);
		printf("\n");
	}
	free(order);
	return norder < 0 ? AWSPHASE_EXIT_USAGE : 0;
}
