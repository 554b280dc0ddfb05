/* Times as either aws CLI prints them (v1: epoch seconds; v2: ISO 8601
 * with an offset), durations as people type them, and text cut to one line:
 * host services of API 2 (module.h). */
#ifndef AWSPHASE_WHEN_H
#define AWSPHASE_WHEN_H

#include <stddef.h>
#include <cjson/cJSON.h>

/* Epoch seconds, now. */
double when_now(void);
/* Epoch seconds of "2024-05-01T12:03:04.5+00:00" (T or blank, a fraction,
 * Z or an offset), or -1. */
double when_parse_iso8601(const char *s);
/* Epoch seconds of a JSON timestamp as either CLI prints it, or -1. */
double when_json(const cJSON *v);
/* "2024-05-01T12:03:04Z" (UTC); with ms, "…04.123Z"; "-" for t < 0. */
void when_format(double t, int ms, char *buf, size_t size);
/* "30s", "5m", "2h", "1d", "1w" (or bare seconds) → seconds; -1 when unreadable. */
double when_duration(const char *s);
/* The first len bytes of s on one line in buf: runs of blanks and control
 * characters as one space, "…" when cut (never inside a UTF-8 sequence). */
void when_excerpt(const char *s, size_t len, char *buf, size_t size);

#endif
