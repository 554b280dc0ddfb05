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
