#!/bin/sh
# The one definition of what goes into the awsphase catalogue: the sources
# xgettext reads and how it reads them.  make update-po and tests/i18n.sh
# both run it.  Usage: po/xgettext.sh OUTPUT.pot [XGETTEXT OPTION...]
#
# Sources: every core file that includes i18n.h (core/i18n.c is the
# machinery), the in-tree modules that are installed (not the example), and
# the SDK header, whose inline helpers log for every module.
# Modules link no gettext: the host looks their strings up (core/host.c),
# so xgettext finds them by the host services' names: h->log(LEVEL, FMT),
# h->say(FMT), h->check(NAME, STATUS, FMT), h->table(TITLE, ...), and the
# words a module builds text from, h->text(MSGID) (a format string where
# the module formats with it, hence c-format); and by the engine's:
# e->differs(R, WHAT, FMT), e->note/conflict/keep/state(R, FMT),
# e->remove_step(R, SERVICE, OP, GONE, BUSY, NAME, VERB).  Check names and
# table titles or headers that are not a literal argument are marked N_()
# where they are written, and words looked up with a resource's kind as
# their context (so a translation agrees with the kind) NC_(KIND, MSGID).
# problem, fine (preflight.c) and bad (spec.c) are phase4b's macros around
# log and check; why_add (spec-taskdef.c) is differs.  The findings'
# f->finding(D, CLASS, FMT), f->cause(F, APPEND, FMT), f->evidence(F, FMT)
# and f->fix(F, FMT) look their formats up too.
set -e
case $1 in /*) out=$1 ;; *) out=$PWD/$1 ;; esac
shift
cd "$(dirname "$0")/.."
files=$( { grep -l '^#include "i18n.h"' core/*.c | grep -v '^core/i18n\.c$'
	ls modules/*/*.c | grep -v '^modules/example/'
	echo include/awsphase/module.h; } )
# shellcheck disable=SC2086
exec "${XGETTEXT:-xgettext}" --language=C --from-code=UTF-8 \
	--keyword=_ --keyword=N_ \
	--keyword=log:2 --flag=log:2:c-format \
	--keyword=say:1 --flag=say:1:c-format \
	--keyword=check:3 --flag=check:3:c-format \
	--keyword=table:1 \
	--keyword=text:1 --flag=text:1:c-format \
	--keyword=problem:3 --flag=problem:3:c-format \
	--keyword=fine:3 --flag=fine:3:c-format \
	--keyword=bad:2 --flag=bad:2:c-format \
	--keyword=NC_:1c,2 \
	--keyword=differs:3 --flag=differs:3:c-format \
	--keyword=why_add:2 --flag=why_add:2:c-format \
	--keyword=note:2 --flag=note:2:c-format \
	--keyword=conflict:2 --flag=conflict:2:c-format \
	--keyword=keep:2 --flag=keep:2:c-format \
	--keyword=state:2 --flag=state:2:c-format \
	--keyword=remove_step:7 --flag=remove_step:7:c-format \
	--keyword=finding:3 --flag=finding:3:c-format \
	--keyword=cause:3 --flag=cause:3:c-format \
	--keyword=evidence:2 --flag=evidence:2:c-format \
	--keyword=fix:2 --flag=fix:2:c-format \
	--add-comments=TRANSLATORS: --no-wrap --sort-by-file --add-location=file \
	"$@" -o "$out" $files
