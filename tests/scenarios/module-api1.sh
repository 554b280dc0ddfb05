#!/usr/bin/env bash
# A module built against module API 1 keeps loading and running: the
# example phase and its header as they were at 7c39cba, the commit before
# API 2 (kept in tests/abi/v1, checked against git when it is there), built
# out of tree and run in this awsphase against the local AWS.  Its tables
# were laid out without action_size/envvar_size; its messages are not
# prefixed by the host, as API 1 modules prefix their own; positional
# arguments are its own business.  Its actions cannot say they are
# read-only: each takes the env file's lock and needs its full name.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
plan 16

V1=$top_srcdir/tests/abi/v1
if git -C "$top_srcdir" cat-file -e 7c39cba 2>/dev/null; then
	git -C "$top_srcdir" show 7c39cba:include/awsphase/module.h | cmp -s - "$V1/awsphase/module.h" &&
		git -C "$top_srcdir" show 7c39cba:modules/example/example.c | cmp -s - "$V1/example.c"
	ok $? "tests/abi/v1 is the header and the example of 7c39cba"
else
	ok 0 "# SKIP no git history to compare tests/abi/v1 with"
fi
grep -q '#define AWSPHASE_API_VERSION 1$' "$V1/awsphase/module.h"
ok $? "that header speaks module API 1"

localaws_start
mkdir -p "$WORK/mods"
cc -shared -fPIC -Wall -Werror -I"$V1" $(pkg-config --cflags libcjson popt 2>/dev/null) \
	-o "$WORK/mods/example.so" "$V1/example.c" 2>"$WORK/cc.log"
ok $? "the API 1 example builds against its own header"
[ -s "$WORK/cc.log" ] && diag "$(cat "$WORK/cc.log")"
export AWSPHASE_MODULE_PATH=$WORK/mods:$AWSPHASE_MODULE_PATH

out=$("$AWSPHASE" list 2>&1)
like "$out" '^example \(ex\)  Example phase' "awsphase list shows it"
like "$("$AWSPHASE" example --help 2>&1)" 'EXAMPLE_ROLE +an IAM role that may or may not exist' \
	"its env keys are read with API 1's layout"

ap example whoami
is "$AP_RC" 0 "whoami (aws, json_str, match, check, env_set) exits 0"
like "$(cat aws-resources.env)" '^EXAMPLE_ACCOUNT=123456789012$' "the account id written back"
ap example calls
like "$AP_OUT" 'iam get-role +accepted +' "calls: the call API and table() work ($AP_RC)"
ap example wait --ticks 2
like "$AP_OUT" '\[ok\]   wait: 2 polls' "wait: its option (its action table, API 1's layout) and the wait"
ap example probe
is "$AP_RC" 2 "probe without a URL: its own usage error"
like "$AP_ERR" '^awsphase: example probe: no URL' "in its own words, not prefixed again by the host"
ap example ca
is "$AP_RC" 2 "a prefix of an API 1 action is refused"
like "$AP_ERR" '^awsphase: example ca: .*; give the full name: calls$' "... naming it in full"
python3 -c 'import fcntl, os, sys, time
fd = os.open("aws-resources.env.lock", os.O_RDWR | os.O_CREAT)
fcntl.lockf(fd, fcntl.LOCK_EX)
open("held", "w").close()
time.sleep(60)' &
holder=$!
for i in $(seq 100); do [ -e held ] && break; sleep 0.1; done
ap --no-wait-lock example calls
is "$AP_RC $(trace_count)" "7 0" "an API 1 action takes the env file's lock (--no-wait-lock: exit 7, no aws call)"
kill "$holder"
wait "$holder" 2>/dev/null
ap example forget
is "$AP_RC" 0 "forget (env_unset) exits 0"
ok $(grep -c '^EXAMPLE_ACCOUNT=' aws-resources.env) "EXAMPLE_ACCOUNT is gone"
finish
