#!/usr/bin/env bash
# A module built out of tree against the installed SDK (header + awsphase.pc)
# loads through AWSPHASE_MODULE_PATH, shows in `awsphase list` and runs.
# The binary run from its build tree finds the modules built beside it; an
# installed copy does not look there.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
plan 9

WORK=$(mktemp -d "${TMPDIR:-/tmp}/awsphase-oot.XXXXXX")
root=$WORK/root
make -s -C "$top_builddir" install DESTDIR="$root" >"$WORK/install.log" 2>&1
ok $? "make install DESTDIR=… installs the SDK"
pc=$(find "$root" -name awsphase.pc | head -n 1)
[ -n "$pc" ]
ok $? "awsphase.pc is installed"

mkdir -p "$WORK/mods"
cat >"$WORK/hello.c" <<'C'
#include <awsphase/module.h>

static int greet(const struct awsphase_host *h, int argc, const char **argv)
{
	h->check("greeting", AWSPHASE_OK, "hello %s from %s", argc > 1 ? argv[1] : "nobody",
		 h->env_get("GREETER"));
	return 0;
}

static const struct awsphase_action actions[] = {
	{ "greet", "Greet someone", "NAME", NULL, greet, NULL },
	{ NULL },
};

static const struct awsphase_envvar env[] = {
	{ "GREETER", "[a-z]+", "awsphase", 0, "who greets" },
	{ NULL },
};

static struct awsphase_module hello = { .name = "hello", .aliases = "hi", .title = "Out-of-tree hello",
	.env = env, .actions = actions };
AWSPHASE_MODULE(hello)
C
flags=$(PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --cflags awsphase)
ok $? "pkg-config awsphase gives the flags ($flags)"
cc -shared -fPIC -Wall -Werror -o "$WORK/mods/hello.so" "$WORK/hello.c" $flags 2>"$WORK/cc.log"
ok $? "the module builds against the installed header only"

out=$(cd "$WORK" && env -u AWSPHASE_MODULE_PATH "$top_builddir/awsphase" list 2>&1)
like "$out" '^4b \(ecs-alb\)  ' "./awsphase in its build tree finds the modules built there, no AWSPHASE_MODULE_PATH"
bin=$(find "$root" -path '*/bin/awsphase' | head -n 1)
out=$(cd "$WORK" && env -u AWSPHASE_MODULE_PATH "$bin" --help 2>&1)
unlike "$out" "$top_builddir/modules" "an installed copy does not look in the build tree"

export AWSPHASE_MODULE_PATH=$WORK/mods:$AWSPHASE_MODULE_PATH
out=$("$AWSPHASE" list)
like "$out" '^hello \(hi\)  Out-of-tree hello' "awsphase list shows it with its alias"

cd "$WORK" || exit 1
printf 'AWS_REGION=us-east-2\nGREETER=tester\n' >aws-resources.env
out=$("$AWSPHASE" hi greet world 2>&1)
ok $? "its action runs through the alias"
like "$out" 'greeting: hello world from tester' "the action used the host's env and report services"
finish
