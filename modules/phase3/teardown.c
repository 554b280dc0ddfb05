/* awsphase 3 teardown: the queues, the cluster, the instance, the bucket,
 * the subnet groups and the security groups, in reverse dependency order.
 * Data is never deleted by surprise: while the instance exists (it has
 * deletion protection, and a delete would have to choose about a final
 * snapshot) or the bucket holds an object version, teardown stops before
 * deleting anything unless --delete-data says the data goes (db_remove
 * and bucket_remove then make it so). */
#include <string.h>
#include <unistd.h>

#include "phase3.h"

static int opt_yes, opt_delete_data;

const struct poptOption p3_teardown_options[] = {
	{ "yes", 'y', POPT_ARG_NONE, &opt_yes, 0,
	  N_("delete without asking (required when stdin is not a terminal)"), NULL },
	{ "delete-data", 0, POPT_ARG_NONE, &opt_delete_data, 0,
	  N_("delete the database without a final snapshot and empty the bucket (else teardown "
	     "stops while they hold data)"), NULL },
	POPT_TABLEEND
};

static const char *const read_keys[] = { "rds-sg", "redis-sg", "db-subnets", "db", "cache-subnets",
	"redis", "bucket", "objects", "dlq", "queue", NULL };
static const char *const remove_keys[] = { "rds-sg", "redis-sg", "db-subnets", "db",
	"cache-subnets", "redis", "bucket", "dlq", "queue", NULL };

/* What stops a teardown without --delete-data; how many. */
static int data_held(const struct awsphase_host *h, struct awsphase_stack *s)
{
	const struct awsphase_engine *e = h->engine;
	const cJSON *db = e->have(s, "db");
	const char *status = h->json_str(db, "DBInstanceStatus");
	int n = 0, objects = p3_object_count(e->have(s, "objects"));

	if (db && !(status && strcmp(status, "deleting") == 0)) {
		if (cJSON_IsTrue(h->json_get(db, "DeletionProtection")))
			h->log(AWSPHASE_LOG_ERROR, "the RDS instance %s has deletion protection on, and "
			       "teardown deletes no data unasked: snapshot it if you need its data "
			       "(aws rds create-db-snapshot), then run awsphase 3 teardown --delete-data "
			       "to delete it without a final snapshot", h->env_get("DB_INSTANCE_ID"));
		else
			h->log(AWSPHASE_LOG_ERROR, "the RDS instance %s holds the database, and teardown "
			       "deletes no data unasked (nor takes a final snapshot): snapshot it if you "
			       "need its data (aws rds create-db-snapshot), then run awsphase 3 teardown "
			       "--delete-data to delete it without a final snapshot",
			       h->env_get("DB_INSTANCE_ID"));
		n++;
	}
	if (e->have(s, "bucket") && objects > 0) {
		h->log(AWSPHASE_LOG_ERROR, "the S3 bucket %s holds %d object version(s), and teardown "
		       "deletes no data unasked: copy them elsewhere if you need them, then run "
		       "awsphase 3 teardown --delete-data to empty and delete the bucket",
		       h->json_str(e->have(s, "bucket"), "Name"), objects);
		n++;
	}
	return n;
}

int p3_teardown(const struct awsphase_host *h, int argc, const char **argv)
{
	const struct awsphase_engine *e = h->engine;
	struct p3_run run = { .delete_data = opt_delete_data };
	struct awsphase_stack *s;
	int rc, steps = 0;

	if (!opt_yes && !h->settings->dry_run && !isatty(STDIN_FILENO)) {
		h->log(AWSPHASE_LOG_ERROR, "it deletes phase 3's database, cache, bucket and queues, "
		       "and asks first; stdin is not a terminal to ask on: pass --yes to delete "
		       "without asking, or --dry-run to see what it would delete");
		return AWSPHASE_EXIT_USAGE;
	}
	s = p3_open(&run, read_keys, &rc);
	if (!s)
		return rc;
	if (!opt_delete_data && data_held(h, s)) {
		h->say("nothing was deleted");
		e->close(s);
		return AWSPHASE_EXIT_FAILED;
	}
	rc = e->teardown(s, remove_keys, opt_yes ? AWSPHASE_TEARDOWN_YES : 0, &steps);
	if (!rc && !steps)
		h->say("nothing to tear down: none of phase 3's resources exists");
	else if (!rc && h->settings->dry_run)
		h->say("dry run: the deletions above were listed, none made");
	else if (!rc)
		h->say("torn down: phase 3's resources are gone");
	e->close(s);
	return rc;
}
