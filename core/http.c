/* libcurl is opened on first use, not linked: it pulls in some thirty
 * libraries (TLS, Kerberos, LDAP, ...) that would more than double
 * awsphase's resident memory for every command, while only the ALB probe
 * needs it. */
#include <curl/curl.h>
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "http.h"
#include "strbuf.h"

#define BODY_MAX (64 * 1024)

static int initialised;
static void *libcurl;
static struct {
	__typeof__(curl_global_init) *global_init;
	__typeof__(curl_global_cleanup) *global_cleanup;
	__typeof__(curl_easy_init) *init;
	__typeof__(curl_easy_setopt) *setopt;
	__typeof__(curl_easy_perform) *perform;
	__typeof__(curl_easy_getinfo) *getinfo;
	__typeof__(curl_easy_cleanup) *cleanup;
	__typeof__(curl_easy_strerror) *strerror;
} curl;

static int load_curl(char *err, size_t err_size)
{
	static const char *const names[] = { "libcurl.so.4", "libcurl.so", "libcurl-gnutls.so.4" };
	size_t i;

	if (libcurl)
		return 0;
	for (i = 0; !libcurl && i < sizeof(names) / sizeof(names[0]); i++)
		libcurl = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
	if (!libcurl) {
		snprintf(err, err_size, _("cannot load libcurl (%s); install libcurl4"), dlerror());
		return -1;
	}
#define SYM(field, name) *(void **)&curl.field = dlsym(libcurl, name)
	SYM(global_init, "curl_global_init");
	SYM(global_cleanup, "curl_global_cleanup");
	SYM(init, "curl_easy_init");
	SYM(setopt, "curl_easy_setopt");
	SYM(perform, "curl_easy_perform");
	SYM(getinfo, "curl_easy_getinfo");
	SYM(cleanup, "curl_easy_cleanup");
	SYM(strerror, "curl_easy_strerror");
#undef SYM
	if (!curl.global_init || !curl.global_cleanup || !curl.init || !curl.setopt ||
	    !curl.perform || !curl.getinfo || !curl.cleanup || !curl.strerror) {
		snprintf(err, err_size, "%s", _("libcurl lacks the easy interface; install libcurl4"));
		dlclose(libcurl);
		libcurl = NULL;
		return -1;
	}
	return 0;
}

static size_t collect(char *data, size_t size, size_t n, void *ctx)
{
	struct strbuf *sb = ctx;
	size_t len = size * n;

	if (sb->len < BODY_MAX)
		strbuf_add(sb, data, sb->len + len > BODY_MAX ? BODY_MAX - sb->len : len);
	return len;
}

int http_get(const char *url, double timeout_s, long *status, char **body,
	     char *err, size_t err_size)
{
	struct strbuf sb = STRBUF_INIT;
	char errbuf[CURL_ERROR_SIZE] = "";
	CURLcode rc;
	CURL *c;

	*status = 0;
	*body = NULL;
	if (load_curl(err, err_size) < 0)
		return -1;
	if (!initialised) {
		curl.global_init(CURL_GLOBAL_DEFAULT);
		initialised = 1;
	}
	c = curl.init();
	if (!c) {
		snprintf(err, err_size, "%s", _("cannot start libcurl"));
		return -1;
	}
	curl.setopt(c, CURLOPT_URL, url);
	curl.setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl.setopt(c, CURLOPT_WRITEDATA, &sb);
	curl.setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl.setopt(c, CURLOPT_TIMEOUT_MS, (long)(timeout_s * 1000));
	curl.setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(timeout_s * 1000));
	curl.setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl.setopt(c, CURLOPT_USERAGENT, "awsphase/" PACKAGE_VERSION);
	curl.setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	rc = curl.perform(c);
	if (rc != CURLE_OK) {
		snprintf(err, err_size, "%s", *errbuf ? errbuf : curl.strerror(rc));
		curl.cleanup(c);
		strbuf_release(&sb);
		return -1;
	}
	curl.getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl.cleanup(c);
	*body = strbuf_detach(&sb);
	return 0;
}

/* libcurl stays mapped until the process ends: unloading it (and the TLS,
 * GSSAPI and LDAP libraries it brought) at exit gains nothing, and
 * LeakSanitizer's exit-time scan, which walks every thread's TLS, was seen
 * to crash ("Tracer caught signal 11") after it, since deploy asks the ALB
 * on every run (issue 17). */
void http_cleanup(void)
{
	if (initialised)
		curl.global_cleanup();
	initialised = 0;
}
