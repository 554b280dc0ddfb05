/* Typed walkers over cJSON trees: json_str(obj, "services.0.status"). */
#ifndef AWSPHASE_JSON_H
#define AWSPHASE_JSON_H

#include <cjson/cJSON.h>

/* path is dot-separated; a segment of digits indexes an array.  NULL when
 * any step is missing or of another type. */
const cJSON *json_get(const cJSON *root, const char *path);
const char *json_str(const cJSON *root, const char *path);
double json_num(const cJSON *root, const char *path, double def);
/* The first element of array whose string at path (NULL: the element
 * itself) is value, else NULL; how many are. */
const cJSON *json_find(const cJSON *array, const char *path, const char *value);
size_t json_count(const cJSON *array, const char *path, const char *value);
/* 1 when a and b hold the same name=value pairs, in any order: arrays of
 * {name, value} objects (an environment) or objects of strings (options). */
int json_same_pairs(const cJSON *a, const cJSON *b);
/* 1 when the strings of array a are the strings of b[0..nb) (NULLs
 * skipped), order and duplicates ignored. */
int json_same_set(const cJSON *a, const char *const *b, size_t nb);

#endif
