/* awsphase module ABI.
 *
 * A phase module is a shared object that exports exactly one symbol,
 * awsphase_module_entry, returning a pointer to a static struct awsphase_module
 * (use AWSPHASE_MODULE() to define it).  The module reaches AWS, the env file,
 * the terminal and the network only through the struct awsphase_host it is
 * handed, so it has no undefined references into the awsphase binary.
 *
 * Compatibility: members of the structs below are only ever appended.  The
 * loader copies min(sizeof ours, struct_size) bytes and zeroes the rest, so a
 * module built against an older header keeps working; the arrays of actions
 * and env keys are walked with the sizes the module was built with
 * (action_size, envvar_size), never the host's.  A host loads modules of
 * every API version from AWSPHASE_API_VERSION_MIN to AWSPHASE_API_VERSION;
 * what a module hands the host (struct awsphase_wait) is read as the
 * module's version defines it.
 *
 * API 2 added: action_size and envvar_size, the action's positional
 * arguments (args, checked by the host, which also writes the usage line),
 * the host's prefix of a module's messages with "PHASE ACTION: ",
 * settings_size, provides and needs (the order of awsphase up), the
 * resource engine (engine, see <awsphase/engine.h>),
 * confirm, env_keys, textc, textn, cmdline, json_time, now, duration,
 * format_time, excerpt, planned, logs_tail and metrics (struct
 * awsphase_metric), findings, grid_new, grid_put and grid_show, the
 * action's flags (AWSPHASE_ACTION_READONLY), lock, AWSPHASE_EXIT_LOCKED,
 * more_time, json_find, json_count, call_args, json_same_pairs, grid_json,
 * catf, env_in_file, verdict, json_same_set, secret_key and call_arg_file;
 * later, the module's export_cfn (<awsphase/cfn.h>).
 */
#ifndef AWSPHASE_MODULE_H
#define AWSPHASE_MODULE_H

#include <stddef.h>
#include <stdint.h>
#include <popt.h>
#include <cjson/cJSON.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AWSPHASE_API_VERSION 2
#define AWSPHASE_API_VERSION_MIN 1  /* the oldest this host loads */

#if defined(__GNUC__)
#define AWSPHASE_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define AWSPHASE_PRINTF(f, a)
#endif
/* GCC checks the NULL that ends h->aws()'s arguments; clang takes the
 * attribute on functions only, not on the host's function pointers. */
#if defined(__GNUC__) && !defined(__clang__)
#define AWSPHASE_SENTINEL __attribute__((sentinel))
#else
#define AWSPHASE_SENTINEL
#endif
/* What text() returns is a format string with the same conversions as its
 * argument: the compiler checks the arguments against the English one. */
#if defined(__GNUC__)
#define AWSPHASE_FORMAT_ARG(a) __attribute__((format_arg(a)))
#else
#define AWSPHASE_FORMAT_ARG(a)
#endif

/* Exit codes; an action returns one of these. */
enum awsphase_exit {
	AWSPHASE_EXIT_OK = 0,      /* success */
	AWSPHASE_EXIT_FAILED = 1,  /* checks failed or the deployment did not converge */
	AWSPHASE_EXIT_USAGE = 2,   /* usage or bad input (arguments, env file) */
	AWSPHASE_EXIT_AWS = 3,     /* AWS refused: API error, permissions, credentials */
	AWSPHASE_EXIT_TIMEOUT = 4, /* wait deadline or retry budget exhausted */
	AWSPHASE_EXIT_NOAWS = 5,   /* aws CLI missing or unusable */
	AWSPHASE_EXIT_CHANGES = 6, /* awsphase plan: changes would be made (drift) */
	AWSPHASE_EXIT_LOCKED = 7,  /* --no-wait-lock: another run holds the env file's lock */
	AWSPHASE_EXIT_INTERRUPTED = 130,
};

/* An env key the module reads or writes. */
enum {
	AWSPHASE_ENV_REQUIRED = 1 << 0, /* must be present before the module acts */
	AWSPHASE_ENV_WRITTEN = 1 << 1,  /* the module writes it back */
};

struct awsphase_envvar {
	const char *key;
	const char *pattern;     /* PCRE2, anchored by the host; NULL: anything */
	const char *def;         /* default when absent; NULL: none */
	unsigned flags;
	const char *help;        /* one line for --help and the docs; looked up in
	                          * the awsphase catalogue, like the action's texts */
};

/* Check and log levels. */
enum awsphase_status { AWSPHASE_OK = 0, AWSPHASE_FAIL = 1, AWSPHASE_WARN = 2, AWSPHASE_INFO = 3 };
enum awsphase_level { AWSPHASE_LOG_ERROR = 0, AWSPHASE_LOG_WARN, AWSPHASE_LOG_INFO, AWSPHASE_LOG_VERBOSE, AWSPHASE_LOG_DEBUG };

/* One aws CLI call.  Opaque: built with call_new/call_arg, run with
 * call_run (one) or call_run_all (several at once), read with call_json and
 * call_error, freed with call_free. */
struct awsphase_call;
struct awsphase_engine;
struct awsphase_grid; /* a table being filled: grid_new */
struct awsphase_cfn;  /* <awsphase/cfn.h> */

/* What became of a call. */
enum awsphase_call_state {
	AWSPHASE_CALL_PENDING = 0,
	AWSPHASE_CALL_OK,          /* exit 0, JSON parsed (json may be NULL on empty output) */
	AWSPHASE_CALL_ACCEPTED,    /* failed with an error code the caller declared acceptable */
	AWSPHASE_CALL_DRY_RUN,     /* mutating call not run under --dry-run */
	AWSPHASE_CALL_FAILED,      /* see call_error and call_exit_code */
};

/* A wait: awsphase's own poll loop.  poll() is called every interval; it
 * returns 1 when done, 0 to go on, or -1 to fail fast (it has reported why and
 * set *exit_code).  It writes a short current-state text into state; a state
 * that stays the same for no_progress_s seconds ends the wait as timed out. */
struct awsphase_wait {
	const char *what;             /* "service kaviar-backend-service to become stable" */
	double interval_s;            /* between polls (jittered by the host); 0: 2 s.
	                               * The first pauses are shorter: 1 s, 2 s, 4 s…
	                               * up to interval_s */
	double timeout_s;             /* deadline; 0: the global --timeout */
	double no_progress_s;         /* 0: none */
	int (*poll)(void *ctx, char *state, size_t state_size, int *exit_code);
	void *ctx;
};

/* Global settings, read-only for modules.  Members past those of API 1
 * are there when h->settings_size says so. */
struct awsphase_settings {
	const char *region;
	const char *env_file;
	int dry_run;
	int verbosity;          /* -1 quiet, 0 normal, 1+ verbose */
	int json_output;        /* --output json */
	int color;
	int tty;                /* stdout is a terminal */
	double timeout_s;       /* --timeout */
	int jobs;               /* concurrent aws calls */
};

/* One CloudWatch metric for the host's metrics(): the module says which,
 * the host queries and shows it.  Starts with struct_size (set it with
 * AWSPHASE_METRIC) and is only ever appended to. */
struct awsphase_metric {
	uint32_t struct_size;           /* AWSPHASE_METRIC sets it */
	const char *namespace_;         /* "AWS/ECS" */
	const char *name;               /* "CPUUtilization" */
	const char *statistic;          /* "Sum", "Average", "Maximum"… */
	const char *label;              /* its column and sparkline: "CPU % (Average)" */
	int decimals;                   /* of its values in the table */
	/* "Name=ClusterName,Value=web", NULL-terminated.  NULL: not queried
	 * (a dimension the module could not learn): an empty column, a
	 * sparkline of no datapoints, absent from JSON. */
	const char *const *dimensions;
	/* append only */
};

#define AWSPHASE_METRIC .struct_size = sizeof(struct awsphase_metric)

/* Services the core offers a module.  Every function that can fail returns
 * -1 after reporting the error (or 0 on success) unless it says otherwise. */
struct awsphase_host {
	uint32_t struct_size;
	uint32_t api_version;
	const struct awsphase_settings *settings;

	/* Messages: "awsphase: ..." on stderr, by level and verbosity.
	 * Language: the format strings of log, say and check, check names,
	 * table titles and headers are looked up in the awsphase catalogue
	 * (gettext) before use, so a module needs no gettext code of its own;
	 * out-of-tree modules' strings pass through untranslated unless the
	 * catalogue has them.  Arguments are not looked up.  Under --output
	 * json check names, table titles and headers are keys of the document
	 * and stay as given (English). */
	void (*log)(int level, const char *fmt, ...) AWSPHASE_PRINTF(2, 3);
	/* Human progress and results on stdout (silenced by --output json and -q). */
	void (*say)(const char *fmt, ...) AWSPHASE_PRINTF(1, 2);

	/* aws calls.  service and operation as the aws CLI spells them
	 * ("ecs", "describe-services"); --region, --output json, --profile and
	 * --endpoint-url are added by the host. */
	struct awsphase_call *(*call_new)(const char *service, const char *operation);
	void (*call_arg)(struct awsphase_call *, const char *arg);          /* copied */
	void (*call_argf)(struct awsphase_call *, const char *fmt, ...) AWSPHASE_PRINTF(2, 3);
	/* An error that counts as success: its code ("ResourceInUseException"),
	 * or its code, ": " and how its message starts, for a code AWS gives
	 * to many errors ("InvalidParameterException: Creation of service was
	 * not idempotent"). */
	void (*call_accept)(struct awsphase_call *, const char *error_code);
	/* Run, with retries; returns the exit code class: 0 when the state is
	 * OK, ACCEPTED or DRY_RUN, else an AWSPHASE_EXIT_* (3, 4, 5 or 130). */
	int (*call_run)(struct awsphase_call *);
	/* Run several at once (bounded by settings->jobs); returns the first
	 * non-zero class in array order, or 0. */
	int (*call_run_all)(struct awsphase_call *const *calls, size_t n);
	enum awsphase_call_state (*call_state)(const struct awsphase_call *);
	const cJSON *(*call_json)(const struct awsphase_call *);       /* NULL unless OK */
	const char *(*call_error)(const struct awsphase_call *);        /* AWS code, "" if none */
	const char *(*call_message)(const struct awsphase_call *);      /* one line, "" if none */
	void (*call_free)(struct awsphase_call *);
	/* Convenience: new + args (NULL-terminated) + run.  On success *out
	 * owns the parsed JSON (free with cJSON_Delete; may be NULL).  Returns
	 * as call_run; errors are reported with the operation's name. */
	int (*aws)(cJSON **out, const char *service, const char *operation, ...) AWSPHASE_SENTINEL;

	/* JSON walkers.  path is dot-separated, array indexes as numbers:
	 * "services.0.deployments.0.rolloutState".  NULL/def when absent or of
	 * another type. */
	const cJSON *(*json_get)(const cJSON *, const char *path);
	const char *(*json_str)(const cJSON *, const char *path);
	double (*json_num)(const cJSON *, const char *path, double def);

	/* The env file.  env_get returns the value, else the module's declared
	 * default, else NULL; the string stays valid for the whole run, even
	 * across env_set.  env_set replaces the key in place (or appends it)
	 * and rewrites the file atomically at once; under --dry-run it changes
	 * nothing.  env_unset removes the key. */
	const char *(*env_get)(const char *key);
	int (*env_set)(const char *key, const char *value);
	int (*env_unset)(const char *key);

	/* Report: checks (✅/❌/⚠ on a TTY, text otherwise, or entries of the
	 * --output json document), tables and extra JSON members.  Names,
	 * titles and headers are translated in text output only (see log). */
	void (*check)(const char *name, enum awsphase_status status, const char *fmt, ...) AWSPHASE_PRINTF(3, 4);
	void (*table)(const char *title, const char *const *headers, const char *const *cells, size_t rows);
	void (*report_add)(const char *key, cJSON *value); /* takes ownership */

	/* Wait until done, with a deadline, progress on a TTY and fail fast.
	 * Returns 0, the exit code the poll set, AWSPHASE_EXIT_TIMEOUT, or
	 * AWSPHASE_EXIT_INTERRUPTED. */
	int (*wait)(const struct awsphase_wait *);
	/* Sleep that ends early on SIGINT/SIGTERM; returns -1 when interrupted. */
	int (*sleep)(double seconds);
	int (*interrupted)(void);

	/* HTTP GET (libcurl; honours http_proxy/no_proxy).  Returns 0 when a
	 * response arrived (*status set, *body malloc'd and NUL-terminated,
	 * free()), -1 otherwise with a reason in err. */
	int (*http_get)(const char *url, double timeout_s, long *status, char **body,
			char *err, size_t err_size);

	/* PCRE2 match of subject against pattern (compiled once and cached).
	 * Returns 1 on match, 0 on none, -1 on a bad pattern (reported). */
	int (*match)(const char *pattern, const char *subject);

	/* The data the user asked for (log lines, a metric's sparkline) on
	 * stdout: unlike say, printed under -q too; on stderr under --output
	 * json, whose document owns stdout.  Data: fmt is not translated.
	 * Hosts older than this member
	 * have a smaller struct_size: check it before use. */
	void (*print)(const char *fmt, ...) AWSPHASE_PRINTF(1, 2);

	/* msgid in the user's language: its translation in the awsphase
	 * catalogue, else msgid itself (NULL and "" as given).  For the words
	 * a module puts together before handing them over (a sentence built
	 * with snprintf, a table cell, a wait's what), which the host's lookup
	 * of the final string cannot match; prefer whole sentences.  A format
	 * string comes back with the same conversions.  The string lives as
	 * long as the process.  Hosts older than this member have a smaller
	 * struct_size: check it before use. */
	const char *(*text)(const char *msgid) AWSPHASE_FORMAT_ARG(1);

	/* ---- API 2 ---- */
	uint32_t settings_size;                 /* sizeof *settings as the host has it */
	/* The resource engine: <awsphase/engine.h>. */
	const struct awsphase_engine *engine;
	/* Shows text (what will be done, a line each) and question ("Type
	 * yes to delete them: ") on stderr and reads the answer from stdin;
	 * 1 when it is yes, 0 when it is not, -1 when stdin is not a terminal
	 * to ask on (nothing was shown). */
	int (*confirm)(const char *text, const char *question);
	/* The keys of the env file, in file order, NULL-terminated; valid
	 * until the next env_set/env_unset.  Values: env_get. */
	const char *const *(*env_keys)(void);
	/* text() with a context (gettext's msgctxt: "kind" for words that
	 * agree with a kind's gender), else without it, else msgid. */
	const char *(*textc)(const char *context, const char *msgid) AWSPHASE_FORMAT_ARG(2);
	/* The singular or plural of msgid for n, in the user's language
	 * ("%d task", "%d tasks"). */
	const char *(*textn)(const char *msgid, const char *plural, unsigned long n)
		AWSPHASE_FORMAT_ARG(1) AWSPHASE_FORMAT_ARG(2);
	/* The aws command line a user would type for service operation args
	 * (with this run's --region and --profile), shell-quoted where needed,
	 * for "fix:" hints: "aws ecs update-service --cluster c … --region R".
	 * Returns its length, or -1 when it did not fit in size. */
	int (*cmdline)(char *buf, size_t size, const char *service, const char *operation,
		       const char *const *args);
	/* Epoch seconds of a timestamp as either aws CLI prints it (v1: a
	 * number; v2: ISO 8601 with an offset), or -1; and of now. */
	double (*json_time)(const cJSON *v);
	double (*now)(void);
	/* "30s", "5m", "2h", "1d", "1w" (or bare seconds) in seconds; -1
	 * when unreadable. */
	double (*duration)(const char *text);
	/* t as "2024-05-01T12:03:04Z" (UTC), with ms "…04.123Z"; "-" for t < 0. */
	void (*format_time)(double t, int ms, char *buf, size_t size);
	/* The first len bytes of s on one line in buf: runs of blanks and
	 * control characters as one space, "…" when cut. */
	void (*excerpt)(const char *s, size_t len, char *buf, size_t size);
	/* 1 when text holds a value an earlier phase would give
	 * ("<VPC_ID>" under awsphase plan, where that phase is only
	 * planned): a check on it waits for the real value.  The aws runner
	 * makes no read with such a value (the call ends as a dry run). */
	int (*planned)(const char *text);
	/* `aws logs tail GROUP`, on aws CLI v1 too (logs filter-log-events):
	 * the events from since ago ("30s", "5m", "2h", "1d"; NULL: "5m")
	 * that match filter (a CloudWatch Logs filter pattern; NULL: all),
	 * oldest first, a line each "TIMESTAMP STREAM MESSAGE" as print()
	 * shows data, or under --output json the report's "events" array
	 * (timestamp, stream, message, eventId).  follow polls every 2 s and
	 * prints no event twice until interrupted, which then returns 0.
	 * An unreadable since: exit 2, reported as "--since SINCE: …".  A
	 * group that does not exist: exit 1, reported with missing after it
	 * (a hint such as "awsphase 4b deploy creates it", looked up as log's
	 * format is; may be NULL).  Returns 0 or an AWSPHASE_EXIT_* code. */
	int (*logs_tail)(const char *group, const char *since, const char *filter, int follow,
			 const char *missing);
	/* cloudwatch get-metric-statistics of each of metrics (NULL-terminated)
	 * over the last minutes, one datapoint per period seconds, queried at
	 * once.  Text: heading (said; NULL: none), a table "metrics" of the
	 * periods (aligned to multiples of period) by the metrics' labels, and
	 * on a terminal a sparkline each (print); --output json: the members
	 * "window" (start, end, period) and "metrics" (namespace, metric,
	 * statistic, dimensions, datapoints in time order).  Returns as
	 * call_run_all, or AWSPHASE_EXIT_USAGE on a bad metric, minutes or
	 * period < 1.  Hosts older than this member have a smaller struct_size. */
	int (*metrics)(const struct awsphase_metric *const *metrics, int minutes, int period,
		       const char *heading);
	/* Findings: what a diagnose found wrong, class by class, shown as
	 * checks with evidence and fix lines (struct awsphase_findings,
	 * below).  Hosts older than this member have a smaller struct_size:
	 * check it before use. */
	const struct awsphase_findings *findings;
	/* A table filled cell by cell for table(): grid_new(ncols);
	 * grid_put adds to cell (row, col) (rows grow as needed; a cell
	 * keeps 255 bytes, whole characters; fmt is data, not looked up);
	 * grid_show shows it as table() does (an empty cell as "-") and
	 * frees it.  Check struct_size before use. */
	struct awsphase_grid *(*grid_new)(size_t ncols);
	void (*grid_put)(struct awsphase_grid *, size_t row, size_t col, const char *fmt, ...)
		AWSPHASE_PRINTF(4, 5);
	void (*grid_show)(struct awsphase_grid *, const char *title, const char *const *headers);
	/* Takes the env file's lock (ENV.lock beside it) now, as the host
	 * does before every action not marked AWSPHASE_ACTION_READONLY: for
	 * a read-only action that is to change something after all
	 * (diagnose --fix).  Waits for another awsphase run that holds it
	 * (up to --timeout), or refuses at once under --no-wait-lock.  Held
	 * until the action returns.  Returns 0 (also under --dry-run, which
	 * takes no lock, and when held already), or AWSPHASE_EXIT_LOCKED,
	 * AWSPHASE_EXIT_TIMEOUT, AWSPHASE_EXIT_USAGE (no lock file can be
	 * made) or AWSPHASE_EXIT_INTERRUPTED, reported: return it.  Hosts
	 * older than this member have a smaller struct_size. */
	int (*lock)(void);
	/* The run goes on past its --timeout for seconds from now: the time
	 * a recovery gets of its own, such as a rollback after a deploy whose
	 * wait ran out of time, so that what the deadline stopped is not left
	 * half done.  Nothing without a --timeout, or when the run's deadline
	 * is later anyway.  Hosts older than this member have a smaller
	 * struct_size. */
	void (*more_time)(double seconds);
	/* The first element of array whose string at path (a json_get path;
	 * NULL: the element itself) is value, else NULL (also when array is
	 * not an array); and how many are.  Hosts older than these members
	 * have a smaller struct_size. */
	const cJSON *(*json_find)(const cJSON *array, const char *path, const char *value);
	size_t (*json_count)(const cJSON *array, const char *path, const char *value);
	/* Adds arguments to a call, each copied, up to a NULL: call_arg for
	 * a list, as aws() takes it.  Check struct_size before use. */
	void (*call_args)(struct awsphase_call *, ...) AWSPHASE_SENTINEL;
	/* 1 when a and b hold the same name=value pairs in any order: arrays
	 * of {"name", "value"} or {"name", "valueFrom"} objects (a container's
	 * environment, its secrets) or objects of strings (log options).
	 * Check struct_size before use. */
	int (*json_same_pairs)(const cJSON *a, const cJSON *b);
	/* Fills cells (row, col), (row, col + 1)… with the values at paths
	 * (NULL-terminated) of item: "status" a string ("-" when absent or
	 * empty), "#runningCount" a number without decimals (0 when absent),
	 * "@updatedAt" a timestamp as format_time shows it, "/taskDefinition"
	 * what follows the last '/' of an ARN.  Check struct_size before use. */
	void (*grid_json)(struct awsphase_grid *, size_t row, size_t col, const cJSON *item,
			  const char *const *paths);
	/* Appends fmt (data, not looked up) to the NUL-terminated string in
	 * buf of size bytes, cut to fit: a check's detail put together piece
	 * by piece.  Check struct_size before use. */
	void (*catf)(char *buf, size_t size, const char *fmt, ...) AWSPHASE_PRINTF(3, 4);
	/* 1 when key is written in the env file, not only the module's
	 * declared default env_get falls back on (a setting the user chose
	 * is kept).  Check struct_size before use. */
	int (*env_in_file)(const char *key);
	/* check() when as_check, else a message of the same words, for an
	 * action that runs another's checks before it acts (deploy runs
	 * preflight's): FAIL an error, WARN a warning, OK and INFO verbose.
	 * Check struct_size before use. */
	void (*verdict)(int as_check, const char *name, enum awsphase_status status, const char *fmt, ...)
		AWSPHASE_PRINTF(4, 5);
	/* 1 when the strings of array a are b[0..nb) (NULLs skipped), order
	 * and duplicates ignored: a service's subnets or security groups as
	 * wanted.  Check struct_size before use. */
	int (*json_same_set)(const cJSON *a, const char *const *b, size_t nb);
	/* 1 when the env key's value is a secret the host keeps out of every
	 * output, trace and argv: its name holds PASSWORD, SECRET, TOKEN or
	 * PRIVATE, unless it only names where a secret is kept (…_ARN,
	 * …_NAME), a network tier (PRIVATE_SUBNET_…, PRIVATE_EGRESS), or is
	 * listed in AWSPHASE_NOT_SECRET.  Check struct_size before use. */
	int (*secret_key)(const char *key);
	/* Adds flag and file://PATH to a call, PATH a 0600 temporary file
	 * holding value, which must never be an argument (a secret the call
	 * stores: "--secret-string"); the host removes the file after the
	 * run, and where /proc is it has no name even while the call runs.
	 * --dry-run shows a placeholder naming what ("DB_PASSWORD").  0, or
	 * -AWSPHASE_EXIT_FAILED after reporting that no file could be written.
	 * Check struct_size before use. */
	int (*call_arg_file)(struct awsphase_call *, const char *flag, const char *value,
			     const char *what);
	/* After a wait that ended on SIGINT or SIGTERM (or the deadline):
	 * the calls that stop what the action started and must not leave
	 * running (ecs stop-task of a task it ran) run after this — the
	 * interrupt is cleared, a second signal interrupts them — within
	 * seconds from now at least.  Returns 1 when a signal had come: the
	 * action then returns AWSPHASE_EXIT_INTERRUPTED and the run still
	 * exits 128 + the signal.  Check struct_size before use. */
	int (*cleanup)(double seconds);
	/* 0 when pattern is a PCRE2 pattern that compiles, else -1 with why
	 * (PCRE2's message and offset) in why; reports nothing, so that the
	 * caller says in one line which setting holds it.  Check struct_size
	 * before use. */
	int (*pattern_why)(const char *pattern, char *why, size_t size);
	/* The caller's account id and ARN (sts get-caller-identity), asked
	 * once a run and shared: the host's account guard asks it before the
	 * first call of an action that changes things, so a module that needs
	 * it (who made a deploy) costs no call of its own.  0 with both set (valid for the
	 * process), or the call's exit code (reported) with both NULL.
	 * Check struct_size before use. */
	int (*caller_identity)(const char **account, const char **arn);
	/* append only */
};

/* An action: "awsphase 4b deploy".  The core looks summary, usage, help,
 * the module's title and the descriptions of the action's options up in the
 * awsphase catalogue where it prints them (text output; list --output json
 * keeps them as written). */
struct awsphase_action {
	const char *name;
	const char *summary;                   /* one line for `awsphase list` */
	const char *usage;                     /* "[--timeout SECONDS]"; may be NULL */
	/* The action's own options, may be NULL.  String values popt
	 * allocates are freed by the core after exec and the variables reset
	 * to what they held before: don't free them. */
	const struct poptOption *options;
	int (*exec)(const struct awsphase_host *, int argc, const char **argv);
	const char *help;                      /* longer text for --help; may be NULL */
	/* ---- API 2 ---- */
	/* The positional arguments as the usage line shows them: NULL none,
	 * "NAME" one, "[NAME]" at most one, "NAME..." one or more, "[NAME...]"
	 * any.  When usage is NULL the host writes the usage line from the
	 * options and args; when args is set or usage is NULL it refuses
	 * other arguments before exec (exit 2).  An action with its own usage
	 * line and no args counts its arguments itself (as under API 1). */
	const char *args;
	/* AWSPHASE_ACTION_* flags.  0 (and every API 1 action): the action
	 * may change something, so the host takes the env file's lock before
	 * it runs (not under --dry-run) and runs it only by its full name. */
	unsigned flags;
	/* append only */
};

enum {
	/* The action changes nothing (status, validate, logs): it runs
	 * while another run holds the lock, and a unique prefix of its
	 * name selects it.  One that changes something only when asked
	 * (diagnose --fix) takes the lock then with h->lock(). */
	AWSPHASE_ACTION_READONLY = 1 << 0,
};

struct awsphase_module {
	uint32_t struct_size;                  /* filled by AWSPHASE_MODULE() */
	uint32_t api_version;
	const char *name;                      /* "4b" */
	const char *aliases;                   /* space-separated: "ecs-alb" */
	const char *title;                     /* "ECS Fargate + ALB" */
	const struct awsphase_envvar *env;     /* terminated by { NULL } */
	const struct awsphase_action *actions; /* terminated by { NULL } */
	int (*init)(const struct awsphase_host *); /* optional */
	void (*fini)(void);                    /* optional */
	/* ---- API 2 ---- */
	uint32_t action_size;                  /* filled by AWSPHASE_MODULE() */
	uint32_t envvar_size;
	/* awsphase up, plan, down and status run every phase's deploy,
	 * teardown and status in the order these make: the env keys this
	 * phase writes that later phases read, and those it reads that an
	 * earlier phase writes (NULL-terminated; may be NULL).  A phase that
	 * needs ECS_SG_ID runs after the one that provides it, in tree or not. */
	const char *const *provides;
	const char *const *needs;
	/* awsphase export --format cloudformation: describes the phase's
	 * resources, as deploy converges them, into the template through
	 * cfn (<awsphase/cfn.h>); 0, or an exit code after reporting.  Runs
	 * as a read-only action "export" of the phase would (init first).
	 * NULL: the phase cannot be exported. */
	int (*export_cfn)(const struct awsphase_host *h, const struct awsphase_cfn *cfn);
	/* append only */
};

/* Findings (h->findings): a diagnosis is a list of findings, each of one
 * of the classes (check names) it was opened with: a cause, evidence and
 * fix lines, the module's own automatic fix and the finding whose fix ends
 * it too.  show prints every class in order: its findings as FAIL checks
 * (WARN "… (fixing, see below)" when fixing and a fix ends it) each with
 * "evidence:" and "fix:" lines, or one OK check; and a "problems" array
 * for --output json.  Formats (cause, evidence, fix) are looked up in the
 * catalogue like say's; the finished lines are the user's words, in text
 * and JSON alike.  At most 16 evidence and 4 fix lines a finding. */
struct awsphase_diagnosis;
struct awsphase_finding;

struct awsphase_findings_show {
	uint32_t struct_size;  /* sizeof, for appending */
	const char *const *ok; /* per class, the detail of its OK check (as given) */
	int fixing;            /* --fix: a finding a fix ends is WARN, not FAIL */
	const char *hint;      /* under a finding with a fix when not fixing,
	                        * looked up: "(awsphase 4b diagnose --fix applies it)" */
};

struct awsphase_findings {
	uint32_t struct_size;
	/* classes: NULL-terminated check names, in the order shown. */
	struct awsphase_diagnosis *(*open)(const char *const *classes);
	/* A finding of classes[cls] with its cause. */
	struct awsphase_finding *(*finding)(struct awsphase_diagnosis *, size_t cls, const char *fmt, ...)
		AWSPHASE_PRINTF(3, 4);
	/* Replaces its cause, or with append adds to it. */
	void (*cause)(struct awsphase_finding *, int append, const char *fmt, ...) AWSPHASE_PRINTF(3, 4);
	void (*evidence)(struct awsphase_finding *, const char *fmt, ...) AWSPHASE_PRINTF(2, 3);
	void (*fix)(struct awsphase_finding *, const char *fmt, ...) AWSPHASE_PRINTF(2, 3);
	/* from's fix ends it too ("fix: the fix of CLASS" when it has none). */
	void (*follows)(struct awsphase_finding *, const struct awsphase_finding *from);
	/* The module's automatic fix that ends it (its number, 0: none), and
	 * which it has. */
	void (*autofix)(struct awsphase_finding *, unsigned kind);
	unsigned (*autofix_of)(const struct awsphase_finding *);
	/* 1 when a finding has automatic fix kind. */
	int (*wants)(const struct awsphase_diagnosis *, unsigned kind);
	void (*show)(struct awsphase_diagnosis *, const struct awsphase_findings_show *how);
	/* Fix kind was applied: the findings it ends are fixed, and so are
	 * those that follow from them.  unfixed: how many are not. */
	void (*fixed)(struct awsphase_diagnosis *, unsigned kind);
	size_t (*unfixed)(const struct awsphase_diagnosis *);
	void (*close)(struct awsphase_diagnosis *);
	/* append only */
};

#define AWSPHASE_MODULE_SYMBOL "awsphase_module_entry"

#define AWSPHASE_MODULE(m)                                                     \
	const struct awsphase_module *awsphase_module_entry(void);             \
	const struct awsphase_module *awsphase_module_entry(void)              \
	{                                                                      \
		(m).struct_size = sizeof(m);                                   \
		(m).api_version = AWSPHASE_API_VERSION;                        \
		(m).action_size = sizeof(struct awsphase_action);              \
		(m).envvar_size = sizeof(struct awsphase_envvar);              \
		return &(m);                                                   \
	}

/* 1 when p, a host table (struct awsphase_host, or one it points to:
 * awsphase_engine, awsphase_findings), is new enough to hold member.  A
 * module's init checks the newest member it uses and, on an older host,
 * returns awsphase_host_too_old(h): a run that reached that member would
 * read past the table's end. */
#define AWSPHASE_HAS(p, type, member)                                          \
	((p) && (p)->struct_size >= offsetof(struct type, member) + sizeof((p)->member))

static inline int awsphase_host_too_old(const struct awsphase_host *h)
{
	h->log(AWSPHASE_LOG_ERROR, "this awsphase is older than the module; install both from "
	       "one release");
	return AWSPHASE_EXIT_USAGE;
}

#ifdef __cplusplus
}
#endif
#endif
