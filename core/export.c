/* awsphase export --format cloudformation [--phase P…] [-o FILE] [--adopt]:
 * the phases' resources as a CloudFormation template, so that a team that
 * outgrows awsphase can hand its stack to the engine AWS runs.
 *
 * Each phase describes its own resources (struct awsphase_module's
 * export_cfn, <awsphase/cfn.h>); this file owns the template.  The phases
 * run in the pipeline's order, each as a read-only action "export" of its
 * own would (env file checked, host and module set up), so a later phase
 * finds the outputs of an earlier one: a key it needs becomes a reference
 * to that phase's resource when both are exported, and a Parameter whose
 * Default is the env file's value when not.  Secrets never enter the
 * template: a key the host counts as secret gets no Parameter. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "awsphase/cfn.h"
#include "action.h"
#include "cfn-names.h"
#include "cfn-yaml.h"
#include "envfile.h"
#include "export.h"
#include "help.h"
#include "i18n.h"
#include "log.h"
#include "module.h"
#include "options.h"
#include "pipeline.h"
#include "strbuf.h"

/* popt's (put back by options_action_done), and our copies */
static char *popt_format, *popt_file, *opt_format, *opt_file;
static char **opt_phases;
static int opt_adopt;

const struct poptOption export_options[] = {
	{ "format", 0, POPT_ARG_STRING, &popt_format, 0,
	  N_("the template's format: cloudformation (the default)"), "FORMAT" },
	{ "phase", 0, POPT_ARG_ARGV, &opt_phases, 0,
	  N_("export this phase (again for more; default: every phase the env file has keys of)"),
	  N_("PHASE") },
	{ "output-file", 'o', POPT_ARG_STRING, &popt_file, 0,
	  N_("write the template to FILE (default, or -: standard output)"), "FILE" },
	{ "adopt", 0, POPT_ARG_NONE, &opt_adopt, 0,
	  N_("also write FILE.import.json, the resources' live ids for an IMPORT change set"), NULL },
	POPT_TABLEEND
};

/* The template being written, and the host of the phase at work. */
static cJSON *tmpl, *params, *resources, *outputs, *imports;
static const struct awsphase_host *cur_h;
static const struct loaded_module *cur_lm;

static const char *name_of(const char *key, char *buf, size_t size)
{
	char *n = cfn_output_name(key);

	snprintf(buf, size, "%s", n);
	free(n);
	return buf;
}

static cJSON *ref(const char *id)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "Ref", id);
	return o;
}

static cJSON *getatt(const char *id, const char *attr)
{
	cJSON *o = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(o, "Fn::GetAtt");

	cJSON_AddItemToArray(a, cJSON_CreateString(id));
	cJSON_AddItemToArray(a, cJSON_CreateString(attr));
	return o;
}

static cJSON *sub(const char *text)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "Fn::Sub", text);
	return o;
}

static cJSON *key_value(const char *key, int number)
{
	const cJSON *out;
	const char *v;
	char name[256];
	cJSON *p;

	name_of(key, name, sizeof(name));
	/* an earlier phase's resource writes it */
	if ((out = cJSON_GetObjectItemCaseSensitive(outputs, name)))
		return cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(out, "Value"), 1);
	if (cJSON_GetObjectItemCaseSensitive(params, name))
		return ref(name);
	v = cur_h->env_get(key);
	if (!v || !*v)
		return NULL;
	if (cur_h->secret_key(key)) {
		log_msg(AWSPHASE_LOG_VERBOSE, _("%s: a secret, not put in the template"), key);
		return NULL;
	}
	p = cJSON_AddObjectToObject(params, name);
	cJSON_AddStringToObject(p, "Type", number ? "Number" : "String");
	cJSON_AddStringToObject(p, "Default", v);
	cJSON_AddStringToObject(p, "Description", key);
	return ref(name);
}

static cJSON *resource(const char *id, const char *type, cJSON *props,
			const char *const *identifier)
{
	const char *const *i;
	cJSON *r, *imp, *ident;

	for (i = identifier; opt_adopt && i && *i; i += 2)
		if (!i[1] || !*i[1])
			break;
	/* no identifier: a type CloudFormation cannot import; no live id: a
	 * resource not deployed, which an import cannot add */
	if (opt_adopt && (!identifier || *i)) {
		log_msg(identifier ? AWSPHASE_LOG_WARN : AWSPHASE_LOG_VERBOSE,
			identifier ? _("%s: %s %s: no live id (not deployed?); left out of the template "
				       "and the import") :
				     _("%s: %s %s: CloudFormation cannot import it; left out"),
			cur_lm->m.name, type, id);
		cJSON_Delete(props);
		return NULL;
	}
	r = cJSON_AddObjectToObject(resources, id);
	cJSON_AddStringToObject(r, "Type", type);
	if (opt_adopt) {
		/* CloudFormation imports only what it would keep on delete */
		cJSON_AddStringToObject(r, "DeletionPolicy", "Retain");
		cJSON_AddStringToObject(r, "UpdateReplacePolicy", "Retain");
		imp = cJSON_CreateObject();
		cJSON_AddStringToObject(imp, "ResourceType", type);
		cJSON_AddStringToObject(imp, "LogicalResourceId", id);
		ident = cJSON_AddObjectToObject(imp, "ResourceIdentifier");
		for (i = identifier; *i; i += 2)
			cJSON_AddStringToObject(ident, i[0], i[1]);
		cJSON_AddItemToArray(imports, imp);
	}
	cJSON_AddItemToObject(r, "Properties", props);
	return r;
}

static void output(const char *key, cJSON *value)
{
	char name[256];
	cJSON *o;

	name_of(key, name, sizeof(name));
	cJSON_DeleteItemFromObjectCaseSensitive(outputs, name);
	o = cJSON_AddObjectToObject(outputs, name);
	cJSON_AddStringToObject(o, "Description", key);
	cJSON_AddItemToObject(o, "Value", value);
}

static cJSON *obj(cJSON *o, ...)
{
	const char *name;
	va_list ap;

	va_start(ap, o);
	while ((name = va_arg(ap, const char *))) {
		cJSON *v = va_arg(ap, cJSON *);

		if (v)
			cJSON_AddItemToObject(o, name, v);
	}
	va_end(ap);
	return o;
}

static const struct awsphase_cfn cfn = {
	.struct_size = sizeof(struct awsphase_cfn), .key = key_value, .resource = resource,
	.output = output, .ref = ref, .getatt = getatt, .sub = sub, .name = name_of, .obj = obj,
};

static int export_exec(const struct awsphase_host *h, int argc, const char **argv)
{
	struct awsphase_cfn c = cfn;

	(void)argc;
	(void)argv;
	cur_h = h;
	c.adopt = opt_adopt;
	return cur_lm->m.export_cfn(h, &c);
}

static const struct awsphase_action export_action = {
	.name = "export", .exec = export_exec, .flags = AWSPHASE_ACTION_READONLY,
};

/* ---- which phases ---------------------------------------------------------- */

/* 1 when the env file has a key the phase writes: it was deployed. */
static int deployed(const struct loaded_module *lm, const struct envfile *ef)
{
	const struct awsphase_envvar *v;

	for (v = lm->m.env; ef && v && v->key; v++)
		if ((v->flags & AWSPHASE_ENV_WRITTEN) && envfile_get(ef, v->key) &&
		    *envfile_get(ef, v->key))
			return 1;
	return 0;
}

/* The phases to export, in the pipeline's order, into *out (n of them);
 * 0, or an exit code after reporting. */
static int pick(struct loaded_module ***out, size_t *nout)
{
	const char *path = options.env_file ? options.env_file : ACTION_ENV_FILE;
	struct loaded_module **order = NULL, **keep;
	struct envfile *ef;
	ssize_t n = pipeline_order("deploy", &order);
	size_t i, k = 0;
	char **p;

	if (n < 0)
		return AWSPHASE_EXIT_USAGE;
	for (p = opt_phases; p && *p; p++) {
		const struct loaded_module *lm = module_find(*p);

		for (i = 0; lm && i < (size_t)n && order[i] != lm; i++)
			;
		if (!lm || i == (size_t)n || !lm->m.export_cfn) {
			free(order);
			return action_bad_usage(_("export: --phase %s: %s; awsphase list shows the phases"),
						*p, !lm ? _("no such phase") :
						i == (size_t)n ? _("not a phase of the pipeline") :
						_("its module cannot export itself"));
		}
	}
	if (!(ef = envfile_load(path, 0))) {
		free(order);
		return AWSPHASE_EXIT_USAGE;
	}
	keep = xcalloc((size_t)n + 1, sizeof(*keep));
	for (i = 0; i < (size_t)n; i++) {
		int asked = !opt_phases;

		for (p = opt_phases; p && *p; p++)
			asked |= module_find(*p) == order[i];
		if (asked && order[i]->m.export_cfn && (opt_phases || deployed(order[i], ef)))
			keep[k++] = order[i];
	}
	envfile_free(ef);
	free(order);
	if (!k) {
		free(keep);
		return action_bad_usage(_("export: %s has no keys a phase that can export itself "
					  "writes: nothing deployed; deploy first, or name the phases "
					  "with --phase"), path);
	}
	*out = keep;
	*nout = k;
	return 0;
}

/* ---- writing --------------------------------------------------------------- */

/* path's contents become text, atomically (a temporary file beside it). */
static int write_file(const char *path, const char *text)
{
	struct strbuf tmp = STRBUF_INIT;
	FILE *f;
	int ok;

	strbuf_addf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	f = fopen(strbuf_str(&tmp), "w");
	ok = f && fputs(text, f) >= 0;
	ok = f && fclose(f) == 0 && ok;
	if (ok && rename(strbuf_str(&tmp), path) == 0) {
		strbuf_release(&tmp);
		return 0;
	}
	error(_("export: cannot write %s: %s; give a writable path with -o"), path, strerror(errno));
	unlink(strbuf_str(&tmp));
	strbuf_release(&tmp);
	return AWSPHASE_EXIT_FAILED;
}

/* FILE.yaml → FILE.import.json (also of .yml, .json, .template). */
static char *import_path(const char *file)
{
	static const char *const exts[] = { ".yaml", ".yml", ".json", ".template", NULL };
	size_t len = strlen(file), i;
	struct strbuf sb = STRBUF_INIT;

	for (i = 0; exts[i]; i++)
		if (len > strlen(exts[i]) && strcmp(file + len - strlen(exts[i]), exts[i]) == 0) {
			len -= strlen(exts[i]);
			break;
		}
	strbuf_add(&sb, file, len);
	strbuf_addstr(&sb, ".import.json");
	return strbuf_detach(&sb);
}

/* A Parameter only what is left refers to: a resource left out (--adopt)
 * takes its own with it. */
static void prune_params(void)
{
	char *text = cJSON_PrintUnformatted(resources), *otext = cJSON_PrintUnformatted(outputs);
	cJSON *p = params->child, *next;
	struct strbuf sb = STRBUF_INIT;

	for (; p; p = next) {
		next = p->next;
		strbuf_reset(&sb);
		strbuf_addf(&sb, "{\"Ref\":\"%s\"}", p->string);
		if (!strstr(text, strbuf_str(&sb)) && !strstr(otext, strbuf_str(&sb)))
			cJSON_Delete(cJSON_DetachItemViaPointer(params, p));
	}
	strbuf_release(&sb);
	free(text);
	free(otext);
}

static int emit(struct loaded_module **phases, size_t n)
{
	struct strbuf sb = STRBUF_INIT, desc = STRBUF_INIT;
	const cJSON *p;
	int rc = 0;
	size_t i;

	for (p = params ? params->child : NULL; p; p = p->next)
		if (cJSON_GetObjectItemCaseSensitive(resources, p->string))
			return error(_("export: %s is both a parameter and a resource of the template; "
				       "the module that names the resource must rename it"), p->string),
			       AWSPHASE_EXIT_FAILED;
	prune_params();
	strbuf_addstr(&desc, "awsphase export of phase");
	for (i = 0; i < n; i++)
		strbuf_addf(&desc, "%s %s", i ? "," : n > 1 ? "s" : "", phases[i]->m.name);
	cJSON_AddStringToObject(tmpl, "Description", strbuf_str(&desc));
	/* CloudFormation's order reads best: parameters, resources, outputs */
	cJSON_AddItemToObject(tmpl, "Parameters", params);
	cJSON_AddItemToObject(tmpl, "Resources", resources);
	cJSON_AddItemToObject(tmpl, "Outputs", outputs);
	params = resources = outputs = NULL;
	cfn_yaml(&sb, tmpl);
	if (!opt_file || strcmp(opt_file, "-") == 0)
		rc = fputs(strbuf_str(&sb), stdout) < 0 ? AWSPHASE_EXIT_FAILED : 0;
	else
		rc = write_file(opt_file, strbuf_str(&sb));
	if (rc == 0 && opt_adopt) {
		char *ipath = import_path(opt_file), *text = cJSON_Print(imports);

		rc = write_file(ipath, text);
		if (rc == 0)
			log_msg(AWSPHASE_LOG_INFO, _("export: %s: %d resources to import (aws "
						     "cloudformation create-change-set "
						     "--change-set-type IMPORT --resources-to-import "
						     "file://%s)"), ipath, cJSON_GetArraySize(imports), ipath);
		free(text);
		free(ipath);
	}
	strbuf_release(&sb);
	strbuf_release(&desc);
	return rc;
}

/* The command's options (and global ones after it): -1 to go on, else an
 * exit code (0 after --help).  Its strings are copied: popt's go back
 * with options_action_done. */
static int parse(const struct awsphase_action *a, int argc, const char **argv)
{
	poptContext ctx = poptGetContext(a->name, argc, argv, options_for_action(a), 0);
	int rc = action_parse_command(a, ctx);

	opt_format = popt_format ? xstrdup(popt_format) : NULL;
	opt_file = popt_file ? xstrdup(popt_file) : NULL;
	poptFreeContext(ctx);
	options_action_done();
	return rc;
}

int export_main(const struct awsphase_action *a, int argc, const char **argv)
{
	struct loaded_module **phases = NULL;
	size_t n = 0, i;
	int rc = parse(a, argc, argv);

	if (rc >= 0)
		goto out;
	log_set_verbosity(options.quiet ? -1 : options.verbose);
	if (opt_format && strcmp(opt_format, "cloudformation") != 0) {
		rc = action_bad_usage(_("export: --format %s: not a format export writes; give "
					"--format cloudformation"), opt_format);
		goto out;
	}
	/* each phase's run would print its JSON document where the template goes */
	if (options.output && strcmp(options.output, "json") == 0) {
		rc = action_bad_usage(_("export: --output json: export writes a YAML template, not a "
					"report; leave --output out"));
		goto out;
	}
	if (opt_adopt && (!opt_file || strcmp(opt_file, "-") == 0)) {
		rc = action_bad_usage(_("export: --adopt writes FILE.import.json beside the template; "
					"give the template's file with -o FILE"));
		goto out;
	}
	rc = pick(&phases, &n);
	if (rc)
		goto out;
	tmpl = cJSON_CreateObject();
	cJSON_AddStringToObject(tmpl, "AWSTemplateFormatVersion", "2010-09-09");
	params = cJSON_CreateObject();
	resources = cJSON_CreateObject();
	outputs = cJSON_CreateObject();
	imports = cJSON_CreateArray();
	for (i = 0; i < n && rc == 0; i++) {
		cur_lm = phases[i];
		rc = action_run(phases[i], &export_action, 0, NULL);
	}
	if (rc == 0)
		rc = emit(phases, n);
	cJSON_Delete(tmpl);
	cJSON_Delete(params);
	cJSON_Delete(resources);
	cJSON_Delete(outputs);
	cJSON_Delete(imports);
	tmpl = params = resources = outputs = imports = NULL;
out:
	free(phases);
	free(opt_format);
	free(opt_file);
	for (i = 0; opt_phases && opt_phases[i]; i++)
		free(opt_phases[i]);
	free(opt_phases);
	opt_format = opt_file = NULL;
	opt_phases = NULL;
	opt_adopt = 0;
	return rc;
}
