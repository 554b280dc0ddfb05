#include <ctype.h>
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
