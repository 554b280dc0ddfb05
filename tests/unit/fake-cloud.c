/* A stand-in for the aws CLI that keeps a tiny cloud, for the engine's
 * unit tests: one service, "toy", whose things have a name, an id, a size,
 * an optional parent and tags, kept in a JSON file.  Invocations (run at
 * once by the engine) take a lock on the file and log their command line,
 * one per line, so a test can tell the order and the rounds.
 *
 *   FAKE_CLOUD_STATE  the state file: {"next": N, "things": [...]}
 *   FAKE_CLOUD_LOG    appended: "OPERATION ARG…" per invocation
 *
 *   toy get-thing --name N                  {"Thing": …} | ThingNotFound; a thing
 *                                           made with --pending N says State
 *                                           "pending" to its next N reads, then
 *                                           "available"
 *   toy list-things [--parent ID] [--filters F…]
 *                                           {"Things": [ … ]}, F as
 *                                           Name=tag:K,Values=V
 *   toy create-thing --name N [--size S] [--parent ID]
 *                    [--tag-specifications ResourceType=t,Tags=[{Key=K,Value=V},…]]
 *                                           {"Thing": …} | ThingExists
 *   toy set-size --id ID --size S           {"Thing": …}
 *   toy delete-thing --id ID                {} | ThingNotFound | DependencyViolation
 *                                           (a thing has it as parent), ResourceInUse
 *                                           while its "busy" count lasts
 * Global options (--region, --output, --endpoint-url, --profile) are taken
 * and ignored; errors look like the aws CLI v2's (exit 254). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <cjson/cJSON.h>

static int fail(const char *code, const char *op, const char *msg)
{
	fprintf(stderr, "\nAn error occurred (%s) when calling the %s operation: %s\n", code, op, msg);
	return 254;
}

static const char *opt(int argc, char **argv, const char *name)
{
	int i;

	for (i = 0; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return NULL;
}

static cJSON *find_by(cJSON *things, const char *key, const char *value)
{
	cJSON *t;

	cJSON_ArrayForEach(t, things) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, key);

		if (cJSON_IsString(v) && value && strcmp(v->valuestring, value) == 0)
			return t;
	}
	return NULL;
}

static int has_tag(const cJSON *t, const char *key, const char *value)
{
	const cJSON *tag;

	cJSON_ArrayForEach(tag, cJSON_GetObjectItemCaseSensitive(t, "Tags")) {
		const cJSON *k = cJSON_GetObjectItemCaseSensitive(tag, "Key");
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(tag, "Value");

		if (cJSON_IsString(k) && cJSON_IsString(v) && strcmp(k->valuestring, key) == 0 &&
		    strcmp(v->valuestring, value) == 0)
			return 1;
	}
	return 0;
}

/* "ResourceType=t,Tags=[{Key=K,Value=V},…]" → [{"Key":K,"Value":V},…] */
static cJSON *parse_tags(const char *spec)
{
	cJSON *tags = cJSON_CreateArray();
	const char *p = spec ? strstr(spec, "Tags=[") : NULL;

	while (p && (p = strstr(p, "{Key="))) {
		const char *k = p + 5, *comma = strstr(k, ",Value="), *end;
		cJSON *tag;
		char *key, *value;

		if (!comma || !(end = strchr(comma, '}')))
			break;
		key = strndup(k, (size_t)(comma - k));
		value = strndup(comma + 7, (size_t)(end - comma - 7));
		tag = cJSON_CreateObject();
		cJSON_AddStringToObject(tag, "Key", key);
		cJSON_AddStringToObject(tag, "Value", value);
		cJSON_AddItemToArray(tags, tag);
		free(key);
		free(value);
		p = end;
	}
	return tags;
}

static int matches_filters(const cJSON *t, int argc, char **argv)
{
	int i, in = 0;

	for (i = 0; i < argc; i++) {
		char key[256], value[256];

		if (strcmp(argv[i], "--filters") == 0 || strcmp(argv[i], "--filter") == 0) {
			in = 1;
			continue;
		}
		if (strncmp(argv[i], "--", 2) == 0) {
			in = 0;
			continue;
		}
		if (in && sscanf(argv[i], "Name=tag:%255[^,],Values=%255s", key, value) == 2 &&
		    !has_tag(t, key, value))
			return 0;
	}
	return 1;
}

static void print(const char *key, cJSON *item)
{
	cJSON *out = cJSON_CreateObject();
	char *text;

	if (key)
		cJSON_AddItemToObject(out, key, cJSON_Duplicate(item, 1));
	text = cJSON_Print(out);
	puts(text);
	free(text);
	cJSON_Delete(out);
}

static int run(cJSON *state, int argc, char **argv)
{
	cJSON *things = cJSON_GetObjectItemCaseSensitive(state, "things"), *t;
	const char *op = argv[2];

	if (strcmp(op, "get-thing") == 0) {
		cJSON *pending;

		t = find_by(things, "Name", opt(argc, argv, "--name"));
		if (!t)
			return fail("ThingNotFound", "GetThing", "no such thing");
		pending = cJSON_GetObjectItemCaseSensitive(t, "PendingReads");
		if (cJSON_IsNumber(pending)) {
			cJSON_DeleteItemFromObjectCaseSensitive(t, "State");
			cJSON_AddStringToObject(t, "State", pending->valueint > 0 ? "pending" : "available");
			cJSON_SetNumberValue(pending, pending->valueint > 0 ? pending->valueint - 1 : 0);
		}
		print("Thing", t);
		return 0;
	}
	if (strcmp(op, "list-things") == 0) {
		cJSON *list = cJSON_CreateArray();
		const char *parent = opt(argc, argv, "--parent");
		const cJSON *p;

		cJSON_ArrayForEach(t, things)
			if (matches_filters(t, argc, argv) &&
			    (!parent || ((p = cJSON_GetObjectItemCaseSensitive(t, "Parent")) &&
					 cJSON_IsString(p) && strcmp(p->valuestring, parent) == 0)))
				cJSON_AddItemToArray(list, cJSON_Duplicate(t, 1));
		print("Things", list);
		cJSON_Delete(list);
		return 0;
	}
	if (strcmp(op, "create-thing") == 0) {
		const char *name = opt(argc, argv, "--name"), *size = opt(argc, argv, "--size");
		const char *parent = opt(argc, argv, "--parent");
		char id[32];
		int next = cJSON_GetObjectItemCaseSensitive(state, "next")->valueint;

		if (!name)
			return fail("ValidationError", "CreateThing", "--name is required");
		if (find_by(things, "Name", name) && !opt(argc, argv, "--tag-specifications"))
			return fail("ThingExists", "CreateThing", "a thing of that name exists");
		if (parent && !find_by(things, "Id", parent))
			return fail("InvalidParent", "CreateThing", "no such parent");
		snprintf(id, sizeof(id), "thing-%04d", next);
		cJSON_GetObjectItemCaseSensitive(state, "next")->valueint = next + 1;
		cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(state, "next"), next + 1);
		t = cJSON_CreateObject();
		cJSON_AddStringToObject(t, "Name", name);
		cJSON_AddStringToObject(t, "Id", id);
		cJSON_AddNumberToObject(t, "Size", size ? atoi(size) : 1);
		if (parent)
			cJSON_AddStringToObject(t, "Parent", parent);
		if (opt(argc, argv, "--pending")) {
			cJSON_AddNumberToObject(t, "PendingReads", atoi(opt(argc, argv, "--pending")));
			cJSON_AddStringToObject(t, "State", "pending");
		}
		cJSON_AddItemToObject(t, "Tags", parse_tags(opt(argc, argv, "--tag-specifications")));
		cJSON_AddItemToArray(things, t);
		print("Thing", t);
		return 0;
	}
	if (strcmp(op, "set-size") == 0) {
		t = find_by(things, "Id", opt(argc, argv, "--id"));
		if (!t)
			return fail("ThingNotFound", "SetSize", "no such thing");
		cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(t, "Size"),
				     atoi(opt(argc, argv, "--size") ? opt(argc, argv, "--size") : "0"));
		print("Thing", t);
		return 0;
	}
	if (strcmp(op, "delete-thing") == 0) {
		const char *id = opt(argc, argv, "--id");
		cJSON *busy;
		int i = 0;

		t = find_by(things, "Id", id);
		if (!t)
			return fail("ThingNotFound", "DeleteThing", "no such thing");
		if (find_by(things, "Parent", id))
			return fail("DependencyViolation", "DeleteThing", "a thing depends on it");
		busy = cJSON_GetObjectItemCaseSensitive(t, "Busy");
		if (cJSON_IsNumber(busy) && busy->valueint > 0) {
			cJSON_SetNumberValue(busy, busy->valueint - 1);
			return fail("ResourceInUse", "DeleteThing", "still in use");
		}
		cJSON_ArrayForEach(t, things) {
			if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(t, "Id")) &&
			    strcmp(cJSON_GetObjectItemCaseSensitive(t, "Id")->valuestring, id) == 0)
				break;
			i++;
		}
		cJSON_DeleteItemFromArray(things, i);
		print(NULL, NULL);
		return 0;
	}
	fprintf(stderr, "usage: aws [options] <command> <subcommand>\naws: error: argument "
		"operation: Invalid choice: '%s'\n", op);
	return 252;
}

int main(int argc, char **argv)
{
	const char *path = getenv("FAKE_CLOUD_STATE"), *logpath = getenv("FAKE_CLOUD_LOG");
	char *text = NULL;
	long len;
	FILE *f;
	cJSON *state;
	int fd, rc, i;

	if (argc < 3 || strcmp(argv[1], "toy") != 0 || !path)
		return fail("UnknownService", "Toy", "fake-cloud answers the toy service only");
	fd = open(path, O_RDWR | O_CREAT, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) < 0)
		return 99;
	f = fdopen(fd, "r+");
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	if (len > 0) {
		text = calloc(1, (size_t)len + 1);
		if (fread(text, 1, (size_t)len, f) != (size_t)len)
			return 99;
	}
	state = text ? cJSON_Parse(text) : NULL;
	free(text);
	if (!state) {
		state = cJSON_CreateObject();
		cJSON_AddNumberToObject(state, "next", 1);
		cJSON_AddArrayToObject(state, "things");
	}
	if (logpath) {
		FILE *log = fopen(logpath, "a");

		for (i = 2; log && i < argc && strcmp(argv[i], "--region") != 0; i++)
			fprintf(log, "%s%s", i > 2 ? " " : "", argv[i]);
		if (log) {
			fputc('\n', log);
			fclose(log);
		}
	}
	rc = run(state, argc, argv);
	text = cJSON_Print(state);
	rewind(f);
	if (ftruncate(fd, 0) < 0 || fputs(text, f) < 0)
		rc = 99;
	fflush(f);
	free(text);
	cJSON_Delete(state);
	fclose(f);
	return rc;
}
