#!/usr/bin/env bash
# Builds the Debian packages (debian/) from a copy of the source made by
# `make distdir`, so the tree you work in is left alone; installs them with
# dpkg into a scratch root; and runs awsphase from there.  TAP output.
#
#   make deb-check                       (from a configured build tree)
#   DEB_CHECK_TESTS=1 make deb-check     also run debian/rules' build-time tests
#   KEEP_WORK=1 make deb-check           keep the scratch folders
. "${top_srcdir:-$(dirname "$0")/..}/tests/scenarios/lib.sh"

for tool in dpkg-buildpackage dh dpkg-parsechangelog; do
	command -v "$tool" >/dev/null || { echo "Bail out! $tool missing: apt install dpkg-dev debhelper"; exit 1; }
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/awsphase-deb.XXXXXX")
# The source copy and the packages apart from WORK: the copy's test
# fixtures hold the local AWS's fake secret, which lib.sh looks for in WORK
# as a leak of awsphase's outputs.
build=$(mktemp -d "${TMPDIR:-/tmp}/awsphase-deb-build.XXXXXX")
trap 'rc=$?; [ -n "${KEEP_WORK:-}" ] || rm -rf "$build"; (exit $rc); cleanup' EXIT
plan 20

version=$(dpkg-parsechangelog -l "$top_srcdir/debian/changelog" -S Version)
pkgversion=$(sed -n 's/^PACKAGE_VERSION = //p' "$top_builddir/Makefile")
is "$version" "$pkgversion" "debian/changelog's version is configure.ac's"

src=$build/awsphase-$version
make -s -C "$top_builddir" distdir distdir="$src" >"$WORK/distdir.log" 2>&1
ok $? "make distdir: a clean copy of the source, debian/ included"

opts="parallel=$(nproc)" profiles=
[ -n "${DEB_CHECK_TESTS:-}" ] || { opts="$opts nocheck"; profiles=nocheck; }
start=$(date +%s)
(cd "$src" && DEB_BUILD_OPTIONS=$opts DEB_BUILD_PROFILES=$profiles dpkg-buildpackage -us -uc -b) \
	>"$WORK/build.log" 2>&1
rc=$?
ok $rc "dpkg-buildpackage -us -uc -b ($(($(date +%s) - start)) s, DEB_BUILD_OPTIONS=$opts)"
[ $rc -eq 0 ] || { diag "$(tail -n 30 "$WORK/build.log")"; echo "Bail out! no packages"; exit 1; }
deb=$(ls "$build"/awsphase_"$version"_*.deb)
devdeb=$(ls "$build"/awsphase-dev_"$version"_*.deb)

# installable here: each dependency (one of its alternatives) is installed
missing=
IFS=',' read -ra deps <<<"$(dpkg-deb -f "$deb" Depends)"
for dep in "${deps[@]}"; do
	found=
	IFS='|' read -ra alts <<<"$dep"
	for alt in "${alts[@]}"; do
		name=$(printf '%s' "$alt" | sed 's/[[:space:]]*(.*//; s/[[:space:]]//g; s/:any$//')
		dpkg-query -W -f='${Status}' "$name" 2>/dev/null | grep -q 'ok installed' && found=1
	done
	[ -n "$found" ] || missing="$missing [$dep]"
done
like "$(dpkg-deb -f "$deb" Depends)" 'awscli' "Depends on awscli ($(dpkg-deb -f "$deb" Depends | tr -s ' '))"
like "$(dpkg-deb -f "$deb" Depends)" 'libpopt0.*libcjson|libcjson.*libpopt0' "... and on the libraries it links"
is "$missing" "" "... every one of them installed on this machine"

root=$WORK/root
mkdir -p "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/info"
: >"$root/var/lib/dpkg/status"
dpkg --root="$root" --force-not-root --force-depends --force-script-chrootless \
	--log=/dev/null -i "$deb" "$devdeb" >"$WORK/install.log" 2>&1
ok $? "dpkg --root: both packages install into a scratch root"
[ $? -eq 0 ] || diag "$(tail -n 20 "$WORK/install.log")"
status=$(dpkg --root="$root" -l awsphase awsphase-dev 2>/dev/null | grep -c '^ii')
is "$status" 2 "... and dpkg there lists them installed"

multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
bin=$root/usr/bin/awsphase
moddir=$root/usr/lib/$multiarch/awsphase/modules
export AWSPHASE_MODULE_PATH=$moddir
out=$("$bin" --version 2>&1)
api=$(sed -n 's/^#define AWSPHASE_API_VERSION \([0-9]*\)$/\1/p' "$top_srcdir/include/awsphase/module.h")
is "$out" "awsphase $version (module API $api)" "awsphase --version from the scratch root"
out=$("$bin" list 2>&1)
like "$out" '^4b \(ecs-alb\)  ECS Fargate' "awsphase list: the packaged phase 4B module ($moddir)"
like "$out" '^4a \(ecr\)  Docker image repository on ECR' "... and the packaged phase 4A module"
like "$out" '^3 \(data\) +Data: RDS PostgreSQL, Redis, S3 and SQS' "... and the packaged phase 3 module"
like "$out" '^1 \(vpc\)  VPC, subnets, gateways and routes' "... and the packaged phase 1 module"
out=$("$bin" list --output json 2>&1)
like "$out" "\"path\":	\"$moddir/phase4b.so\"" "awsphase list --output json: loaded from the package"
out=$(AWSPHASE_LOCALEDIR=$root/usr/share/locale LANG=pt_BR.UTF-8 "$bin" --help 2>&1)
like "$out" '^Uso: awsphase' "the pt_BR catalogue is packaged"
for s in aws-phase4b-ecs-alb.sh fix-ecs-sg.sh; do
	[ -x "$root/usr/bin/$s" ]
	ok $? "the compat script $s is packaged, executable"
done
warnings=$(for p in "$root"/usr/share/man/man1/awsphase.1.gz "$root"/usr/share/man/man7/awsphase-module.7.gz; do
	[ -f "$p" ] || echo "missing $p"; zcat "$p" | groff -ww -man -z 2>&1; done)
is "$warnings" "" "awsphase(1) and awsphase-module(7) are packaged and render without warnings"
comp=$root/usr/share/bash-completion/completions/awsphase
out=$(PATH=$root/usr/bin:$PATH bash --norc -c '. "$1"; COMP_WORDS=(awsphase 4b de); COMP_CWORD=2
	_awsphase; echo "${COMPREPLY[*]}"' _ "$comp" 2>&1)
is "$out" "deploy" "the bash completion is where bash-completion looks, and completes"
[ -f "$root/usr/include/awsphase/module.h" ] && [ -f "$root/usr/include/awsphase/engine.h" ] &&
	[ -f "$root/usr/include/awsphase/cfn.h" ] &&
	[ -f "$root/usr/lib/$multiarch/pkgconfig/awsphase.pc" ]
ok $? "awsphase-dev: module.h, engine.h, cfn.h and awsphase.pc"
finish
