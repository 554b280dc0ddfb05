/* libFuzzer target for the env-file parser and, on what it accepts, the
 * in-memory update path.  Not built by make; from the top of the tree:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *     -Iinclude -Icore $(pkg-config --cflags libpcre2-8 libcjson) \
 *     tests/fuzz/fuzz-envfile.c core/envfile*.c core/strbuf.c core/log.c \
 *     core/i18n.c core/redact.c core/pattern.c $(pkg-config --libs libpcre2-8) -o fuzz-envfile
 *   ./fuzz-envfile -max_total_time=60 -close_fd_mask=2 tests/fuzz/corpus-envfile
 *
 * Besides memory errors it checks what callers rely on: render gives back
 * the input byte for byte, and an update reads back with the new value and
 * no other key changed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "envfile.h"
#include "redact.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct awsphase_envvar vars[] = {
	{ "A", "[a-z0-9-]+", NULL, AWSPHASE_ENV_REQUIRED, "lower-case" },
	{ "DB_PASSWORD", ".{4,}", NULL, 0, "four or more" },
	{ "VPC_ID", "vpc-[0-9a-f]{8,17}", NULL, 0, NULL },
	{ NULL, NULL, NULL, 0, NULL },
};

/* Every key but FUZZ_NEW and skip has the value it had in keys/values. */
static void check_others(const struct envfile *ef, char **keys, char **values, size_t n,
			 const char *skip)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const char *v = envfile_get(ef, keys[i]);

		if (strcmp(keys[i], skip) && strcmp(keys[i], "FUZZ_NEW") && (!v || strcmp(v, values[i])))
			abort();
	}
}

static void check_update(struct envfile *ef, size_t size)
{
	size_t i, n = envfile_count(ef);
	char **keys = xcalloc(n + 1, sizeof(*keys)), **values = xcalloc(n + 1, sizeof(*values));
	const char *v;

	for (i = 0; i < n; i++) {
		keys[i] = xstrdup(envfile_key_at(ef, i));
		values[i] = xstrdup(envfile_get(ef, keys[i]));
		if (envfile_line(ef, keys[i]) == 0)
			abort();
	}
	/* an update can only fail when a line would pass 64 KiB or the file 1 MiB */
	if (envfile_set(ef, "FUZZ_NEW", "a b'c$(d)`e`") == 0) {
		v = envfile_get(ef, "FUZZ_NEW");
		if (!v || strcmp(v, "a b'c$(d)`e`"))
			abort();
		check_others(ef, keys, values, n, "FUZZ_NEW");
	} else if (size < 60000) {
		abort();
	}
	if (n && envfile_set(ef, keys[0], "x y") == 0) {
		v = envfile_get(ef, keys[0]);
		if (!v || strcmp(v, "x y"))
			abort();
		check_others(ef, keys, values, n, keys[0]);
		if (envfile_unset(ef, keys[0]) || envfile_get(ef, keys[0]))
			abort();
		check_others(ef, keys, values, n, keys[0]);
	}
	for (i = 0; i < n; i++) {
		free(keys[i]);
		free(values[i]);
	}
	free(keys);
	free(values);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct envfile *ef = envfile_parse("fuzz.env", (const char *)data, size);
	size_t len;
	char *r;

	if (ef) {
		r = envfile_render(ef, &len);
		if (len != size || (size && memcmp(r, data, size)))
			abort();
		free(r);
		envfile_validate(ef, vars);
		check_update(ef, size);
		envfile_free(ef);
	}
	redact_clear();
	return 0;
}
