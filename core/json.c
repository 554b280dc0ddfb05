#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

const cJSON *json_get(const cJSON *root, const char *path)
{
	const cJSON *cur = root;
	const char *p = path;
	char seg[256];

	while (cur && *p) {
		size_t n = strcspn(p, ".");
		size_t i;
		int digits = n > 0;

		if (n >= sizeof(seg))
			return NULL;
		memcpy(seg, p, n);
		seg[n] = '\0';
		for (i = 0; i < n; i++)
			digits &= isdigit((unsigned char)seg[i]) != 0;
		if (cJSON_IsArray(cur) && digits)
			cur = cJSON_GetArrayItem(cur, atoi(seg));
		else if (cJSON_IsObject(cur))
			cur = cJSON_GetObjectItemCaseSensitive(cur, seg);
		else
			return NULL;
		p += n;
		if (*p == '.')
			p++;
	}
	return cur;
}

const char *json_str(const cJSON *root, const char *path)
{
	const cJSON *v = json_get(root, path);

	return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

double json_num(const cJSON *root, const char *path, double def)
{
	const cJSON *v = json_get(root, path);

	return cJSON_IsNumber(v) ? v->valuedouble : def;
}

static int element_is(const cJSON *item, const char *path, const char *value)
{
	const char *s = path ? json_str(item, path) :
			cJSON_IsString(item) ? item->valuestring : NULL;

	return s && value && strcmp(s, value) == 0;
}

const cJSON *json_find(const cJSON *array, const char *path, const char *value)
{
	const cJSON *item, *list = cJSON_IsArray(array) ? array : NULL;

	cJSON_ArrayForEach(item, list)
		if (element_is(item, path, value))
			return item;
	return NULL;
}

size_t json_count(const cJSON *array, const char *path, const char *value)
{
	const cJSON *item, *list = cJSON_IsArray(array) ? array : NULL;
	size_t n = 0;

	cJSON_ArrayForEach(item, list)
		n += element_is(item, path, value);
	return n;
}

/* name=value pairs of an array of {name, value} (or of an options object)
 * as one sorted, newline-separated string, for comparing as sets. */
static char *pairs(const cJSON *o)
{
	const cJSON *item;
	char **lines = NULL, *out;
	size_t n = 0, len = 1, i, j;

	cJSON_ArrayForEach(item, o) {
		const char *k = cJSON_IsObject(item) ? json_str(item, "name") : item->string;
		const char *v = !cJSON_IsObject(item) ? (cJSON_IsString(item) ? item->valuestring : NULL) :
				json_str(item, "value") ? json_str(item, "value") : json_str(item, "valueFrom");
		char **grown = realloc(lines, (n + 1) * sizeof(*lines));
		size_t sz = strlen(k ? k : "") + strlen(v ? v : "") + 3;

		if (!grown)
			break;
		lines = grown;
		lines[n] = malloc(sz);
		if (!lines[n])
			break;
		snprintf(lines[n], sz, "%s=%s\n", k ? k : "", v ? v : "");
		len += sz;
		n++;
	}
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(lines[j - 1], lines[j]) > 0; j--) {
			char *t = lines[j];

			lines[j] = lines[j - 1];
			lines[j - 1] = t;
		}
	out = malloc(len);
	if (out) {
		out[0] = '\0';
		for (i = 0; i < n; i++)
			strcat(out, lines[i]);
	}
	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	return out;
}

int json_same_set(const cJSON *a, const char *const *b, size_t nb)
{
	const cJSON *item;
	size_t i;

	for (i = 0; i < nb; i++)
		if (b[i] && !json_find(a, NULL, b[i]))
			return 0;
	cJSON_ArrayForEach(item, a) {
		int found = 0;

		for (i = 0; i < nb && !found; i++)
			found = cJSON_IsString(item) && b[i] && strcmp(item->valuestring, b[i]) == 0;
		if (!found)
			return 0;
	}
	return 1;
}

int json_same_pairs(const cJSON *a, const cJSON *b)
{
	char *x = pairs(a), *y = pairs(b);
	int same = x && y && strcmp(x, y) == 0;

	free(x);
	free(y);
	return same;
}
