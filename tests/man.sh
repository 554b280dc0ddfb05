#!/usr/bin/env bash
# The man pages: groff finds nothing to warn about, awsphase(1) documents
# every global option, every phase 1, 3, 4A and 4B action and its options, every exit
# code and every environment variable the core reads, and awsphase-module(7)
# every host service of module.h, with an example that builds and loads.
. "${top_srcdir:-$(dirname "$0")/..}/tests/scenarios/lib.sh"

command -v groff >/dev/null || skip_all "groff is not installed"
man1=$top_builddir/man/awsphase.1
man7=$top_builddir/man/awsphase-module.7
render() { groff -man -Tascii -P-cbou -rLL=200n "$1" 2>/dev/null; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; cleanup' EXIT
plan 13

for page in "$man1" "$man7"; do
	warnings=$(groff -ww -man -z "$page" 2>&1)
	is "$warnings" "" "groff -ww -man: no warnings in $(basename "$page")"
done
grep -n '@[A-Za-z_]*@' "$man1" "$man7" >"$tmp/unsubst"
is "$(cat "$tmp/unsubst")" "" "every @placeholder@ is filled in"

text1=$(render "$man1")
text7=$(render "$man7")
json=$("$AWSPHASE" list --output json)

# each option as --long, and -s where it has a short name
missing=$(python3 - "$json" "$text1" <<'PY'
import json, re, sys
doc, text = json.loads(sys.argv[1]), sys.argv[2]
miss = []
def look(opts, where):
    for o in opts:
        for name in ("--" + o["long"] if o["long"] else None, "-" + o["short"] if o["short"] else None):
            if name and not re.search(r"(^|[\s\[|,(])" + re.escape(name) + r"([\s\]|,=)]|$)", text, re.M):
                miss.append(where + name)
look(doc["options"], "")
for m in doc["modules"]:
    if m["name"] not in ("1", "3", "4a", "4b"):
        continue
    # the actions of phase NAME, under PHASE NAME ACTIONS
    part = re.search(r"^PHASE " + m["name"].upper() + r" ACTIONS$(.*?)^[A-Z]", text, re.M | re.S)
    part = part.group(1) if part else ""
    for a in m["actions"]:
        if not re.search(r"^ {7}" + re.escape(a["name"]) + r"( |$)", part, re.M):
            miss.append(m["name"] + " " + a["name"])
        look(a["options"], m["name"] + " " + a["name"] + " ")
print(" ".join(miss))
PY
)
is "$missing" "" "awsphase(1) documents every global option (awsphase list --output json)"
like "$json" '"name":	"4b"' "... and phase 4B is loaded to check its actions against"
is "$(printf '%s\n' "$missing" | grep -c '^[134][ab]\?\|[[:space:]][134][ab]\?')" 0 "... every phase 1, 3, 4A and 4B action and its options"

section=$(printf '%s\n' "$text1" | sed -n '/^EXIT STATUS/,/^[A-Z]/p')
codes=$(grep -ho 'AWSPHASE_EXIT_[A-Z]* = [0-9]*' "$top_srcdir/include/awsphase/module.h" | awk '{print $3}')
gone=
for c in $codes 143; do
	printf '%s\n' "$section" | grep -Eq "^ {7}$c( |,|$)|, $c\$" || gone="$gone $c"
done
is "$gone" "" "every exit code of module.h is under EXIT STATUS"

vars=$(grep -ho 'getenv("[A-Z_]*")' "$top_srcdir"/core/*.c | sed 's/getenv("\(.*\)")/\1/' | sort -u)
section=$(printf '%s\n' "$text1" | sed -n '/^ENVIRONMENT/,/^FILES/p')
gone=
for v in $vars; do printf '%s\n' "$section" | grep -qw -- "$v" || gone="$gone $v"; done
is "$gone" "" "every variable the core reads (getenv) is under ENVIRONMENT"

services=$(sed -n '/^struct awsphase_host {/,/^};/p' "$top_srcdir/include/awsphase/module.h" |
	grep -o '(\*[a-z_]*)' | tr -d '(*)')
gone=
for s in settings $services; do
	printf '%s\n' "$text7" | grep -Eq "(^ {7}|[ *])$s(\(| *$)" || gone="$gone $s"
done
is "$gone" "" "awsphase-module(7) describes every host service"
services=$(sed -n '/^struct awsphase_engine {/,/^};/p' "$top_srcdir/include/awsphase/engine.h" |
	grep -o '(\*[a-z_]*)' | tr -d '(*)')
members=$(sed -n '/^struct awsphase_resource {/,/^};/p' "$top_srcdir/include/awsphase/engine.h" |
	grep -oE '(\(\*[a-z_]+\)|[a-z_]+;|[a-z_]+, \*?[a-z_]+;)' | tr -d '(*);,' | tr ' ' '\n' | grep -v '^$')
gone=
for s in $services $members; do
	printf '%s\n' "$text7" | grep -Eq "(^ {7}|[ *(])$s(\(| |,|$)" || gone="$gone $s"
done
is "$gone" "" "... every service of the resource engine and member of a resource"

# the EXAMPLE section is a complete module
printf '%s\n' "$text7" | sed -n '/^EXAMPLE/,$p' |
	sed -n '/^ *#include <awsphase\/module.h>/,/^ *AWSPHASE_MODULE(hello_module)/p' |
	sed 's/^       //' >"$tmp/hello.c"
mkdir "$tmp/mods"
cc -shared -fPIC -Wall -Werror -I"$top_srcdir/include" -o "$tmp/mods/hello.so" "$tmp/hello.c" \
	2>"$tmp/cc.log"
ok $? "the example of awsphase-module(7) builds$( [ -s "$tmp/cc.log" ] && printf ': %s' "$(head -c 300 "$tmp/cc.log")")"
cd "$tmp" || exit 1
printf 'AWS_REGION=us-east-2\n' >aws-resources.env
out=$(AWSPHASE_MODULE_PATH=$tmp/mods "$AWSPHASE" hello --help 2>&1)
like "$out" 'GREETER +who says hello \(default awsphase\)' "... and loads: awsphase hello --help lists its key"
out=$(AWSPHASE_MODULE_PATH=$tmp/mods "$AWSPHASE" list 2>&1)
like "$out" 'hello  +Say who we are' "... and its action"
finish
