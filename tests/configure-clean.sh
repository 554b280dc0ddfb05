#!/usr/bin/env bash
# configure cleans up after itself although the tree has a core/ folder:
# autoconf's "rm -f core ..." is patched in configure.ac to spare it, so the
# exit trap goes on to remove confdefs.h and conftest*, and no compile test
# prints "rm: cannot remove 'core'".
. "${top_srcdir:-$(dirname "$0")/..}/tests/scenarios/lib.sh"

configure=$top_srcdir/configure
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
plan 4

leftovers() { # what configure's exit trap removes, in each tree
	local dir
	for dir in "$@"; do
		(cd "$dir" && ls -d confdefs* conftest* 2>/dev/null | sed "s|^|$dir/|")
	done | sort -u
}
is "$(leftovers "$top_builddir" "$top_srcdir")" "" "configure left no confdefs* or conftest* behind"

# configure's own exit trap, run where core is a folder
sed -n "/^trap 'exit_status=\$?/,/^' 0\$/p" "$configure" >"$tmp/trap.sh"
mkdir "$tmp/tree" "$tmp/tree/core"
touch "$tmp/tree/confdefs.h" "$tmp/tree/conftest.c" "$tmp/tree/core/main.c"
(cd "$tmp/tree" && sh -c 'as_nl="
" as_me=configure; . "$1"; exit 0' sh "$tmp/trap.sh" 5>/dev/null 2>"$tmp/err")
is "$(leftovers "$tmp/tree")" "" "configure's exit trap removes confdefs.h and conftest* beside core/"
is "$(cat "$tmp/err")$(ls "$tmp/tree/core")" "main.c" "... quietly, and leaves core/ alone"
is "$(grep -n 'rm -f core' "$configure" | grep -v 'test -d core || rm -f core;')" "" \
	"every 'rm -f core' in configure spares a folder named core"
