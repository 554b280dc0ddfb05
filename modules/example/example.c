/* The example phase: every host service once, in a few small actions.  Copy
 * it to start a phase (modules/README.md says how); it is built in tree and
 * tested by tests/scenarios/module-example.sh, never installed.
 *
 *   awsphase example whoami     aws(), json_str, match, check, env_set, report_add
 *   awsphase example calls      call_new/arg/argf/accept, call_run_all, call_state,
 *                               call_json, json_get, call_error/message, call_free,
 *                               table, text
 *   awsphase example probe      http_get, json_num
 *   awsphase example wait       wait, sleep, interrupted
 *   awsphase example forget     env_unset
 * log and say appear along the way; init and fini bracket every action. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <awsphase/module.h>

static const struct awsphase_envvar env[] = {
	{ "AWS_REGION", "[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-[0-9]", NULL, AWSPHASE_ENV_REQUIRED,
	  "the AWS region, e.g. us-east-2" },
	{ "EXAMPLE_ROLE", "[A-Za-z0-9+=,.@_-]{1,64}", "awsphase-example-role", 0,
	  "an IAM role that may or may not exist (calls)" },
	{ "EXAMPLE_URL", "https?://[^\\s]+", NULL, 0, "what probe fetches when --url is not given" },
	{ "EXAMPLE_ACCOUNT", "[0-9]{12}", NULL, AWSPHASE_ENV_WRITTEN, "written by whoami: the account id" },
	{ NULL },
};

static char *probe_url, *probe_number;

/* A host built before a service was appended has a smaller struct_size:
 * check for the last member this module uses. */
static int example_init(const struct awsphase_host *h)
{
	if (!AWSPHASE_HAS(h, awsphase_host, text))
		return awsphase_host_too_old(h);
	return 0;
}

/* The core frees the string option values popt allocated and puts the
 * defaults back after the action; fini only forgets them. */
static void example_fini(void)
{
	probe_url = probe_number = NULL;
}

/* The convenience call: new + args + run, JSON out. */
static int whoami(const struct awsphase_host *h, int argc, const char **argv)
{
	const char *account;
	cJSON *out = NULL;
	int rc;

	h->say("Asking AWS who we are in %s", h->settings->region);
	rc = h->aws(&out, "sts", "get-caller-identity", NULL);
	if (rc != 0)
		return rc;
	account = h->json_str(out, "Account");
	if (!account || h->match("^[0-9]{12}$", account) != 1) {
		h->check("identity", AWSPHASE_FAIL, "no account id in the answer");
		cJSON_Delete(out);
		return AWSPHASE_EXIT_FAILED;
	}
	h->check("identity", AWSPHASE_OK, "%s", h->json_str(out, "Arn"));
	rc = h->env_set("EXAMPLE_ACCOUNT", account) < 0 ? AWSPHASE_EXIT_FAILED : 0;
	h->report_add("account", cJSON_CreateString(account));
	cJSON_Delete(out);
	return rc;
}

/* Two calls at once; an expected error code counts as success. */
static int calls(const struct awsphase_host *h, int argc, const char **argv)
{
	static const char *const names[] = { "sts get-caller-identity", "iam get-role" };
	static const char *const headers[] = { "call", "state", "detail", NULL };
	static const char *const states[] = { "pending", "ok", "accepted", "dry-run", "failed" };
	struct awsphase_call *c[2];
	const char *cells[2 * 3];
	int rc, i;

	c[0] = h->call_new("sts", "get-caller-identity");
	c[1] = h->call_new("iam", "get-role");
	h->call_arg(c[1], "--role-name");
	h->call_argf(c[1], "%s", h->env_get("EXAMPLE_ROLE"));
	h->call_accept(c[1], "NoSuchEntity");
	rc = h->call_run_all(c, 2);
	for (i = 0; i < 2; i++) {
		enum awsphase_call_state st = h->call_state(c[i]);
		const cJSON *json = h->call_json(c[i]);

		cells[i * 3] = names[i];
		/* cells are not looked up by the host: the module's words
		 * are, where a catalogue has them */
		cells[i * 3 + 1] = (unsigned)st < 5 ? h->text(states[st]) : "?";
		if (json && h->json_get(json, "Role.Arn"))
			cells[i * 3 + 2] = h->json_str(json, "Role.Arn");
		else if (json)
			cells[i * 3 + 2] = h->json_str(json, "UserId");
		else
			cells[i * 3 + 2] = *h->call_error(c[i]) ? h->call_message(c[i]) : NULL;
	}
	h->table("calls", headers, cells, 2);
	for (i = 0; i < 2; i++)
		h->call_free(c[i]);
	return rc;
}

static const struct poptOption probe_options[] = {
	{ "url", 0, POPT_ARG_STRING, &probe_url, 0, "what to fetch (default EXAMPLE_URL)", "URL" },
	{ "number", 0, POPT_ARG_STRING, &probe_number, 0,
	  "a number in the JSON answer to show, as a dot path", "PATH" },
	POPT_TABLEEND
};

static int probe(const struct awsphase_host *h, int argc, const char **argv)
{
	const char *url = probe_url ? probe_url : h->env_get("EXAMPLE_URL");
	char err[256], *body = NULL;
	long status = 0;
	cJSON *doc;

	if (!url) {
		h->log(AWSPHASE_LOG_ERROR, "example probe: no URL; pass --url or set EXAMPLE_URL");
		return AWSPHASE_EXIT_USAGE;
	}
	if (h->http_get(url, 10, &status, &body, err, sizeof(err)) < 0) {
		h->check("probe", AWSPHASE_FAIL, "GET %s: %s", url, err);
		return AWSPHASE_EXIT_FAILED;
	}
	h->check("probe", status == 200 ? AWSPHASE_OK : AWSPHASE_FAIL, "HTTP %ld from %s", status, url);
	doc = cJSON_Parse(body);
	if (probe_number)
		h->check(probe_number, doc && h->json_get(doc, probe_number) ? AWSPHASE_INFO : AWSPHASE_WARN,
			 "%g", h->json_num(doc, probe_number, -1));
	cJSON_Delete(doc);
	free(body);
	return status == 200 ? 0 : AWSPHASE_EXIT_FAILED;
}

static int ticks = 3;

static const struct poptOption wait_options[] = {
	{ "ticks", 0, POPT_ARG_INT, &ticks, 0, "polls until done (default 3)", "N" },
	POPT_TABLEEND
};

static int poll_ticks(void *ctx, char *state, size_t state_size, int *exit_code)
{
	int *seen = ctx;

	snprintf(state, state_size, "tick %d of %d", ++*seen, ticks);
	return *seen >= ticks;
}

static int wait_action(const struct awsphase_host *h, int argc, const char **argv)
{
	int seen = 0, rc;
	struct awsphase_wait w = {
		.what = "the example's ticks", .interval_s = 0.05, .timeout_s = 10,
		.no_progress_s = 0, .poll = poll_ticks, .ctx = &seen,
	};

	rc = h->wait(&w);
	if (rc == 0 && h->sleep(0.05) < 0)
		rc = AWSPHASE_EXIT_INTERRUPTED;
	if (h->interrupted())
		return AWSPHASE_EXIT_INTERRUPTED;
	h->check("wait", rc == 0 ? AWSPHASE_OK : AWSPHASE_FAIL, "%d polls", seen);
	return rc;
}

static int forget(const struct awsphase_host *h, int argc, const char **argv)
{
	h->log(AWSPHASE_LOG_VERBOSE, "example: removing EXAMPLE_ACCOUNT from %s", h->settings->env_file);
	return h->env_unset("EXAMPLE_ACCOUNT") < 0 ? AWSPHASE_EXIT_FAILED : 0;
}

static const struct awsphase_action actions[] = {
	{ "whoami", "Ask AWS who we are and record the account id", NULL, NULL, whoami,
	  "Runs sts get-caller-identity and writes EXAMPLE_ACCOUNT to the env file.", NULL, 0 },
	{ "calls", "Two aws calls at once, one of them expected to fail", NULL, NULL, calls, NULL, NULL,
	  AWSPHASE_ACTION_READONLY },
	{ "probe", "HTTP GET a URL and show a number from its JSON", "[--url URL] [--number PATH]",
	  probe_options, probe, NULL, NULL, AWSPHASE_ACTION_READONLY },
	{ "wait", "Poll until done, with a deadline", "[--ticks N]", wait_options, wait_action, NULL, NULL,
	  AWSPHASE_ACTION_READONLY },
	{ "forget", "Remove EXAMPLE_ACCOUNT from the env file", NULL, NULL, forget, NULL, NULL, 0 },
	{ NULL },
};

static struct awsphase_module example = {
	.name = "example",
	.aliases = "ex",
	.title = "Example phase: every host service once",
	.env = env,
	.actions = actions,
	.init = example_init,
	.fini = example_fini,
};

AWSPHASE_MODULE(example)
