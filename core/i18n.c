#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"

#ifndef LOCALEDIR
#define LOCALEDIR "/usr/local/share/locale"
#endif

#ifdef ENABLE_NLS
static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* glibc reads LANGUAGE in any locale but C, and C.UTF-8 is always there:
 * "pt_BR.UTF-8@x" becomes LANGUAGE=pt_BR under C.UTF-8. */
static void fall_back_to_c_utf8(void)
{
	const char *lang = env("LC_ALL");
	char buf[64];

	if (!lang)
		lang = env("LC_MESSAGES");
	if (!lang)
		lang = env("LANG");
	if (!setlocale(LC_CTYPE, "C.UTF-8") || !setlocale(LC_MESSAGES, "C.UTF-8"))
		return;
	if (!lang || env("LANGUAGE") || strcmp(lang, "C") == 0 || strcmp(lang, "POSIX") == 0 ||
	    strlen(lang) >= sizeof(buf))
		return;
	strcpy(buf, lang);
	buf[strcspn(buf, ".@")] = '\0';
	if (*buf)
		setenv("LANGUAGE", buf, 1);
}
#endif

void i18n_init(void)
{
#ifdef ENABLE_NLS
	const char *dir = env("AWSPHASE_LOCALEDIR");

	if (!setlocale(LC_CTYPE, "") || !setlocale(LC_MESSAGES, ""))
		fall_back_to_c_utf8();
	bindtextdomain(PACKAGE, dir ? dir : LOCALEDIR);
	textdomain(PACKAGE);
#endif
}
