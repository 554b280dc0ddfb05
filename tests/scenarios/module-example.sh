#!/usr/bin/env bash
# modules/example, the phase that shows every host service once, runs
# against the local AWS: its aws calls (one expected to fail), the env file,
# checks, tables and --output json, the HTTP probe, waits, and --dry-run.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
plan 25

export AWSPHASE_MODULE_PATH=$top_builddir/modules/example/.libs:$AWSPHASE_MODULE_PATH
localaws_start

out=$("$AWSPHASE" list)
like "$out" '^example \(ex\)  Example phase' "awsphase list shows the example phase"

ap example whoami
is "$AP_RC" 0 "whoami exits 0"
like "$AP_OUT" 'Asking AWS who we are in us-east-2' "say(): progress with settings->region"
like "$AP_OUT" '\[ok\]   identity: arn:aws:' "check(): the caller's ARN"
like "$(cat aws-resources.env)" '^EXAMPLE_ACCOUNT=123456789012$' "env_set(): the account id written back"
like "$(cat "$AP_TRACE_FILE")" '"sts",.*"get-caller-identity"' "aws(): sts get-caller-identity through the aws CLI"
is "$(trace_count mutating)" 0 "... a read, not a mutating call"

ap -o json ex whoami
is "$AP_RC" 0 "whoami --output json, by the alias"
is "$(jget "$AP_OUT" 'd["account"]')" 123456789012 "report_add(): the account in the JSON document"
is "$(jget "$AP_OUT" 'd["checks"][0]["status"]')" ok "... with the check"

ap example calls
is "$AP_RC" 0 "calls exits 0: the missing role's NoSuchEntity is accepted"
like "$AP_OUT" 'sts get-caller-identity +ok +[A-Z0-9:]+$' "table(): the sts call ok, with json_get/json_str"
like "$AP_OUT" 'iam get-role +accepted +.*(role|Role)' "... the iam call accepted, with call_error/call_message"
is "$(trace_count all)" 2 "call_run_all(): two aws processes"

ap example probe --url "$LOCALAWS_CONTROL/health" --number sim_time
is "$AP_RC" 0 "probe exits 0"
like "$AP_OUT" "\\[ok\\]   probe: HTTP 200 from $LOCALAWS_CONTROL/health" "http_get(): HTTP 200"
like "$AP_OUT" '\[info\] sim_time: [0-9.]+' "json_num(): a number from the answer"
ap example probe
is "$AP_RC" 2 "probe without a URL is a usage error"

ap example wait --ticks 4
is "$AP_RC" 0 "wait exits 0"
like "$AP_OUT" '\[ok\]   wait: 4 polls' "wait(): polled until done"

ap --dry-run -v example forget
grep -q '^EXAMPLE_ACCOUNT=' aws-resources.env
ok $? "forget --dry-run leaves the env file alone"
like "$AP_ERR" 'would remove EXAMPLE_ACCOUNT' "... and says what it would do"
ap example forget
grep -q '^EXAMPLE_ACCOUNT=' aws-resources.env
ok $((!$?)) "env_unset(): forget removes EXAMPLE_ACCOUNT"

# the module's own texts stay English; the host's marks do not change
LANG=pt_BR.UTF-8 AWSPHASE_LOCALEDIR=$top_builddir/po/locale ap example wait
like "$AP_OUT" '^\[ok\]   wait: 3 polls' "LANG=pt_BR.UTF-8: check marks stay"
LANG=pt_BR.UTF-8 AWSPHASE_LOCALEDIR=$top_builddir/po/locale ap example calls
like "$AP_OUT" 'iam get-role +accepted +' "text(): words the catalogue lacks come back as given"
finish
