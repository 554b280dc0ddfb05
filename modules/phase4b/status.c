/* awsphase 4b status: the service, its deployments, tasks, targets, the ALB
 * and the last events on one screen, from the runbook's describe calls. */

#include "observe.h"

#define EVENTS 5

const struct poptOption p4b_status_options[] = {
	POPT_TABLEEND
};

/* A cell's own words (N_() marks them), in the user's language in text
 * output; under --output json the cells are values beside ACTIVE and
 * healthy, and stay English as the headers, their keys, do. */
static const char *words(const struct awsphase_host *h, const char *s)
{
	return h->settings->json_output ? s : h->text(s);
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

/* "unknown: why" — a read that failed says nothing of whether it is there. */
static void put_unknown(struct awsphase_grid *g, size_t row, size_t col, const struct obs *o,
			const char *why)
{
	o->h->grid_put(g, row, col, "%s: %s", words(o->h, N_("unknown")), why);
}

static void show_service(const struct obs *o)
{
	static const char *const headers[] = { N_("Service"), N_("Cluster"), N_("Status"), N_("Running"), N_("Desired"),
					       N_("Pending"), N_("Task definition"), NULL };
	static const char *const cells[] = { "status", "#runningCount", "#desiredCount", "#pendingCount",
					     "/taskDefinition", NULL };
	const struct awsphase_host *h = o->h;
	const cJSON *svc = obs_json(o, "service");
	struct awsphase_grid *g = h->grid_new(7);

	h->grid_put(g, 0, 0, "%s", o->c.service);
	h->grid_put(g, 0, 1, "%s", o->c.cluster);
	if (svc) {
		h->grid_json(g, 0, 2, svc, cells);
	} else if (obs_unknown(o, "service")) {
		put_unknown(g, 0, 2, o, obs_unknown(o, "service"));
	} else {
		h->grid_put(g, 0, 2, "%s", words(h, obs_cluster_missing(o) ? N_("no cluster") : N_("not found")));
	}
	h->grid_show(g, N_("service"), headers);
}

static void show_deployments(const struct obs *o)
{
	static const char *const headers[] = { N_("Deployment"), N_("Status"), N_("Rollout"), N_("Running"), N_("Desired"),
					       N_("Pending"), N_("Failed"), N_("Task definition"), N_("Updated"), NULL };
	static const char *const cells[] = { "status", "rolloutState", "#runningCount", "#desiredCount",
					     "#pendingCount", "#failedTasks", "/taskDefinition", "@updatedAt", NULL };
	const struct awsphase_host *h = o->h;
	const cJSON *d;
	struct awsphase_grid *g = h->grid_new(9);
	size_t r = 0;

	cJSON_ArrayForEach(d, h->json_get(obs_json(o, "service"), "deployments")) {
		h->grid_put(g, r, 0, "%s", obs_or_unknown(h->json_str(d, "id")));
		h->grid_json(g, r++, 1, d, cells);
	}
	h->grid_show(g, obs_unknown(o, "service") ? N_("deployments (unknown)") : N_("deployments"), headers);
}

static void show_tasks(const struct obs *o)
{
	static const char *const headers[] = { N_("Task"), N_("Status"), N_("Health"), N_("IP"), N_("Security groups"),
					       N_("Target"), N_("Started"), NULL };
	static const char *const cells[] = { "/taskArn", "lastStatus", "healthStatus", NULL };
	static const char *const started[] = { "@startedAt", NULL };
	const struct awsphase_host *h = o->h;
	const cJSON *t, *grp;
	struct awsphase_grid *g = h->grid_new(7);
	size_t i, r = 0;

	for (i = 0; (t = obs_task(o, 0, i)); i++) {
		const char *ip = p4b_task_detail(t, "privateIPv4Address");
		const cJSON *eni = h->json_find(obs_json(o, "enis"), "NetworkInterfaceId",
						p4b_task_detail(t, "networkInterfaceId"));
		const cJSON *target = h->json_find(obs_json(o, "targets"), "Target.Id", ip);
		int k = 0;

		h->grid_json(g, r, 0, t, cells);
		h->grid_put(g, r, 3, "%s", or_dash(ip));
		cJSON_ArrayForEach(grp, h->json_get(eni, "Groups"))
			h->grid_put(g, r, 4, "%s%s (%s)", k++ ? ", " : "", or_dash(h->json_str(grp, "GroupName")),
				    or_dash(h->json_str(grp, "GroupId")));
		if (target)
			h->grid_put(g, r, 5, "%s%s%s%s", or_dash(h->json_str(target, "TargetHealth.State")),
			    h->json_str(target, "TargetHealth.Reason") ? " (" : "",
			    h->json_str(target, "TargetHealth.Reason") ? h->json_str(target, "TargetHealth.Reason") : "",
			    h->json_str(target, "TargetHealth.Reason") ? ")" : "");
		h->grid_json(g, r++, 6, t, started);
	}
	h->grid_show(g, obs_unknown(o, "tasks") ? N_("tasks (unknown)") : N_("tasks"), headers);
}

static void show_targets(const struct obs *o)
{
	static const char *const headers[] = { N_("Target"), N_("State"), N_("Reason"), N_("Description"), NULL };
	static const char *const cells[] = { "TargetHealth.State", "TargetHealth.Reason",
					     "TargetHealth.Description", NULL };
	const struct awsphase_host *h = o->h;
	const cJSON *t;
	struct awsphase_grid *g = h->grid_new(4);
	size_t r = 0;

	cJSON_ArrayForEach(t, obs_json(o, "targets")) {
		h->grid_put(g, r, 0, "%s:%.0f", or_dash(h->json_str(t, "Target.Id")), h->json_num(t, "Target.Port", 0));
		h->grid_json(g, r++, 1, t, cells);
	}
	h->grid_show(g, obs_unknown(o, "targets") ? N_("targets (unknown)") : obs_json(o, "tg") ? N_("targets") :
	     N_("targets (no target group)"), headers);
}

static void show_alb(const struct obs *o)
{
	static const char *const headers[] = { N_("Load balancer"), N_("State"), N_("DNS name"), N_("Target group"), NULL };
	const struct awsphase_host *h = o->h;
	const cJSON *alb = obs_json(o, "alb");
	struct awsphase_grid *g = h->grid_new(4);

	h->grid_put(g, 0, 0, "%s", o->c.alb_name);
	if (alb)
		h->grid_put(g, 0, 1, "%s", or_dash(h->json_str(alb, "State.Code")));
	else if (obs_unknown(o, "alb"))
		put_unknown(g, 0, 1, o, obs_unknown(o, "alb"));
	else
		h->grid_put(g, 0, 1, "%s", words(h, N_("not found")));
	if (alb)
		h->grid_put(g, 0, 2, "%s", or_dash(h->json_str(alb, "DNSName")));
	h->grid_put(g, 0, 3, "%s%s", o->c.tg_name, obs_json(o, "tg") ? "" : obs_unknown(o, "tg") ?
	    words(h, N_(" (unknown)")) : words(h, N_(" (not found)")));
	h->grid_show(g, N_("load balancer"), headers);
}

static void show_events(const struct obs *o)
{
	static const char *const headers[] = { N_("Time"), N_("Event"), NULL };
	static const char *const cells[] = { "@createdAt", "message", NULL };
	const struct awsphase_host *h = o->h;
	const cJSON *ev;
	struct awsphase_grid *g = h->grid_new(2);
	size_t r = 0;

	cJSON_ArrayForEach(ev, h->json_get(obs_json(o, "service"), "events"))
		if (r < EVENTS)
			h->grid_json(g, r++, 0, ev, cells);
	h->grid_show(g, obs_unknown(o, "service") ? N_("events (unknown)") : N_("events"), headers);
}

/* The image a running task runs, as ECS reports it (its container's image
 * and imageDigest): no read of its own. */
static void show_image(const struct obs *o)
{
	const struct awsphase_host *h = o->h;
	const cJSON *cts = h->json_get(obs_task(o, 0, 0), "containers");
	const cJSON *ct = h->json_find(cts, "name", o->c.container);

	if (!ct)
		ct = cJSON_GetArrayItem(cts, 0);
	p4b_image_report(&o->c, h->json_str(ct, "image"), h->json_str(ct, "imageDigest"));
}

int p4b_status(const struct awsphase_host *h, int argc, const char **argv)
{
	static const char *const reads[] = { "service", "tg", "alb", "targets", "tasks", "enis", NULL };
	struct obs o;
	int rc;

	rc = obs_init(&o, h);
	if (rc)
		return rc;
	/* the service and its tasks, their ENIs for their security groups */
	obs_read(&o, reads);
	if (o.rc == AWSPHASE_EXIT_INTERRUPTED || h->interrupted()) {
		obs_free(&o);
		return AWSPHASE_EXIT_INTERRUPTED;
	}
	show_service(&o);
	show_deployments(&o);
	show_tasks(&o);
	show_targets(&o);
	show_alb(&o);
	show_events(&o);
	show_image(&o);
	rc = o.rc ? o.rc : obs_json(&o, "service") ? AWSPHASE_EXIT_OK : AWSPHASE_EXIT_FAILED;
	obs_free(&o);
	return rc;
}
