/* Messages in the user's language (gettext, domain "awsphase"; catalogues in
 * po/).  English is the source language; LANG/LC_ALL/LC_MESSAGES/LANGUAGE
 * pick a catalogue the way every gettext program does. */
#ifndef AWSPHASE_I18N_H
#define AWSPHASE_I18N_H

#ifdef ENABLE_NLS
#include <libintl.h>
#define _(s) gettext(s)
#else
#define _(s) (s)
#endif
/* Marks a string for xgettext where it cannot be translated yet (static
 * tables); translate it with _() where it is used. */
#define N_(s) (s)

/* _() for strings that are not literals (what modules hand the host, table
 * headers): NULL and "" come back as they are, since gettext("") is the
 * catalogue's header. */
#if defined(__GNUC__)
__attribute__((format_arg(1)))
#endif
static inline const char *i18n_lookup(const char *s)
{
	return s && *s ? _(s) : s;
}

/* A module's words for the user (its title, summaries, usage, help, env key
 * help) in the user's language, "" for NULL: modules link no gettext, so
 * the core looks them up where it prints them (in-tree modules mark them
 * N_(); others pass through). */
static inline const char *i18n_words(const char *s)
{
	return s ? i18n_lookup(s) : "";
}

/* Sets LC_CTYPE and LC_MESSAGES from the environment (never LC_NUMERIC:
 * numbers in JSON and traces keep their dot) and binds the catalogue
 * directory: $AWSPHASE_LOCALEDIR (uninstalled builds, tests), else the
 * compiled-in LOCALEDIR.  When LANG names a locale this machine has not
 * generated (pt_BR.UTF-8 on a fresh container), messages still come from
 * that language's catalogue, in UTF-8. */
void i18n_init(void);

#endif
