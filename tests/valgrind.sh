#!/usr/bin/env bash
# valgrind memcheck of awsphase (tests/scenarios/memcheck.sh) on a build
# without sanitizers: valgrind and AddressSanitizer do not mix, and CI builds
# with ASan.  When the build in this tree is plain, it is used; else (or
# when VALGRIND_BUILD names a folder) a copy of the source (what git tracks
# plus new files it does not ignore, with the generated autotools files) is
# configured and built aside, in VALGRIND_BUILD or a temp folder removed
# afterwards.
#
#   tests/valgrind.sh            # or: make check-valgrind
#
# Prints memcheck.sh's TAP; exits non-zero when a test fails.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
build=${VALGRIND_BUILD:-}

if [ -z "$build" ] && [ -x awsphase ] && ! grep -q __asan_init awsphase; then
	bin=$top
else
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/awsphase-valgrind.XXXXXX")
	[ -n "$build" ] || trap 'rm -rf "$tmp"' EXIT
	build=${build:-$tmp/src}
	mkdir -p "$build"
	echo "valgrind.sh: a plain build in $build" >&2
	clean=
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		{
			git ls-files --cached --others --exclude-standard
			ls configure Makefile.in aclocal.m4 2>/dev/null
			find build-aux m4 -type f 2>/dev/null
		} | sort -u | while IFS= read -r f; do [ -f "$f" ] && printf '%s\n' "$f"; done |
			tar -cf - -T - | tar -xf - -C "$build" || exit 2
	else # a release tarball: all of it, and the objects cleaned after configure
		cp -a . "$build/" || exit 2
		clean=1
	fi
	(
		cd "$build" || exit 2
		[ -x configure ] || autoreconf -fi >/dev/null 2>&1 || exit 2
		./configure -q CFLAGS="-g -O1" 2> >(grep -v "cannot remove 'core'" >&2) || exit 2
		[ -z "$clean" ] || make -s clean >/dev/null 2>&1
		make -s -j"$(nproc)" awsphase modules/phase4b.la core/aws-worker >/dev/null || exit 2
	) || { echo "valgrind.sh: the plain build in $build failed" >&2; exit 2; }
	bin=$build
fi

export top_srcdir=$top top_builddir=$bin
export AWSPHASE=$bin/awsphase AWSPHASE_MODULE_PATH=$bin/modules/.libs
export AWSPHASE_AWS_WORKER=$top/core/aws-worker.py
exec bash "$top/tests/scenarios/memcheck.sh"
