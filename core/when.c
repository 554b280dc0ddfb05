/* Times and text as the aws CLIs print them and a person reads them. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "when.h"

double when_now(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

double when_parse_iso8601(const char *s)
{
	struct tm tm;
	int y, mo, d, hh, mm, ss, used = 0;
	double t, frac = 0;
	const char *p;

	if (!s || sscanf(s, "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &y, &mo, &d, &hh, &mm, &ss, &used) < 6 ||
	    !used)
		return -1;
	p = s + used;
	if (*p == '.' || *p == ',') {
		double scale = 0.1;

		for (p++; isdigit((unsigned char)*p); p++, scale /= 10)
			frac += (*p - '0') * scale;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	t = (double)timegm(&tm) + frac;
	if (*p == '+' || *p == '-') {
		int oh = 0, om = 0, sign = *p == '-' ? -1 : 1;

		if (sscanf(p + 1, "%2d:%2d", &oh, &om) < 1 && sscanf(p + 1, "%2d%2d", &oh, &om) < 1)
			return -1;
		t -= sign * (oh * 3600.0 + om * 60.0);
	}
	return t;
}

double when_json(const cJSON *v)
{
	if (cJSON_IsNumber(v))
		return v->valuedouble;
	if (cJSON_IsString(v))
		return when_parse_iso8601(v->valuestring);
	return -1;
}

void when_format(double t, int ms, char *buf, size_t size)
{
	time_t sec = (time_t)t;
	struct tm tm;
	char base[32];

	if (t < 0 || !gmtime_r(&sec, &tm)) {
		snprintf(buf, size, "-");
		return;
	}
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	if (ms)
		snprintf(buf, size, "%s.%03dZ", base, (int)((t - (double)sec) * 1000.0) % 1000);
	else
		snprintf(buf, size, "%sZ", base);
}

double when_duration(const char *s)
{
	char *end;
	double v;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	v = strtod(s, &end);
	if (end == s || v < 0)
		return -1;
	if (!*end || strcmp(end, "s") == 0)
		return v;
	if (strcmp(end, "m") == 0)
		return v * 60;
	if (strcmp(end, "h") == 0)
		return v * 3600;
	if (strcmp(end, "d") == 0)
		return v * 86400;
	if (strcmp(end, "w") == 0)
		return v * 7 * 86400;
	return -1;
}

void when_excerpt(const char *s, size_t len, char *buf, size_t size)
{
	size_t i = 0, j = 0;

	if (!size)
		return;
	while (s && s[i] && i < len && j + 1 < size) {
		unsigned char ch = (unsigned char)s[i++];

		if (ch < 0x20 || ch == 0x7f || ch == ' ') {
			if (j > 0 && buf[j - 1] != ' ')
				buf[j++] = ' ';
			continue;
		}
		buf[j++] = (char)ch;
	}
	/* cut inside a UTF-8 sequence: drop its first half */
	if (s && ((unsigned char)s[i] & 0xc0) == 0x80) {
		while (j > 0 && ((unsigned char)buf[j - 1] & 0xc0) == 0x80)
			j--;
		if (j > 0 && (unsigned char)buf[j - 1] >= 0xc0)
			j--;
	}
	while (j > 0 && buf[j - 1] == ' ')
		j--;
	buf[j] = '\0';
	if (s && s[i] && j + 4 < size)
		strcat(buf, "…");
}
