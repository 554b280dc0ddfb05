#!/usr/bin/env bash
# valgrind memcheck of awsphase against the local AWS: deploy, validate,
# status, a rollback, teardown --all, and the paths that fail (a bad env
# file, AWS refusing, a retried throttle, SIGTERM with a call in flight),
# through aws CLI workers and aws processes.  Each: the exit code it should have, no memory
# error, no definite or indirect leak (valgrind --error-exitcode=99).
#
# valgrind needs a build without sanitizers: under an ASan build (CI) this
# skips, and tests/valgrind.sh (make check-valgrind) builds a plain copy
# aside and runs this file against it.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
. "$top_srcdir/tests/scenarios/reliability-lib.sh"
command -v valgrind >/dev/null || skip_all "valgrind is not installed"
if grep -q __asan_init "$AWSPHASE" 2>/dev/null; then
	skip_all "$AWSPHASE is built with AddressSanitizer; tests/valgrind.sh runs this on a plain build"
fi
plan 42
localaws_start --seed 15
fast_sim
export http_proxy=$LOCALAWS_ALB_PROXY no_proxy=127.0.0.1,localhost
VG_RUNS=0
VG_ERRORS=0

# vg WANT_RC LABEL ARGS…: awsphase ARGS under memcheck; two tests
vg() {
	local want=$1 label=$2 logs pid i
	shift 2
	VG_RUNS=$((VG_RUNS + 1))
	AP_TRACE_FILE=$WORK/trace.vg.$VG_RUNS.jsonl
	: >"$AP_TRACE_FILE"
	valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
		--show-leak-kinds=definite,indirect --num-callers=30 \
		--log-file="$WORK/vg.$VG_RUNS.%p.log" \
		"$AWSPHASE" --aws "$AWS_BIN" --trace-file "$AP_TRACE_FILE" --timeout 120 "$@" \
		>"$WORK/out" 2>"$WORK/err" &
	pid=$!
	if [ -n "${VG_BG:-}" ]; then # SIGTERM once a frozen poll of the wait is in flight
		ctl stats/reset '{}' >/dev/null
		for i in $(seq 3000); do
			grep -q '"update-service"' "$AP_TRACE_FILE" && break
			sleep 0.05
		done
		set_faults '{"rules": [{"service": "ecs", "action": "DescribeServices", "freeze_s": 60, "count": 1}]}'
		for i in $(seq 600); do
			[ "$(jget "$(ctl stats)" 'd["total_faulted"]')" -ge 1 ] && break
			sleep 0.1
		done
		sleep 0.5
		kill -TERM "$pid"
	fi
	wait "$pid" 2>/dev/null
	AP_RC=$?
	AP_OUT=$(cat "$WORK/out")
	AP_ERR=$(cat "$WORK/err")
	is "$AP_RC" "$want" "$label: exit $want"
	[ "$AP_RC" = "$want" ] || diag "$(grep -v '^+ ' "$WORK/err" | tail -n 5)"
	logs=$(cat "$WORK"/vg.$VG_RUNS.*.log 2>/dev/null)
	is "$logs" "" "$label: no memory error, no leak"
	[ -z "$logs" ] && return
	VG_ERRORS=$((VG_ERRORS + 1))
	diag "$(printf '%s\n' "$logs" | head -n 60)"
}

vg 0 "deploy (workers)" 4b deploy
vg 0 "validate (workers, the ALB probe)" 4b validate
vg 0 "status --output json (aws processes)" --aws-mode exec -o json 4b status
echo TASK_MEMORY=2048 >>aws-resources.env
vg 0 "deploy of a new revision, --trace -vv" --trace -vv 4b deploy
vg 0 "rollback --previous" 4b rollback --previous
vg 0 "diagnose" 4b diagnose
# the release loop (issue 17): a one-off task followed to its end, the
# history read back, old revisions pruned
vg 0 "run -- echo migrated (a one-off task, its log followed)" 4b run -- echo migrated
vg 0 "history --output json" -o json 4b history
vg 0 "prune --keep 1 --yes" 4b prune --keep 1 --yes
# environments and CloudFormation (issue 18): two env files' status at
# once, the stack exported with its import file, a stack's outputs read
cp aws-resources.env aws-resources.a.env && cp aws-resources.env aws-resources.b.env
vg 0 "status of two environments at once (--env a --env b)" --env a --env b -o json 4b status
vg 0 "export --phase 4b --adopt (template and import file)" export --phase 4b -o t.yaml --adopt
awscli cloudformation create-stack --stack-name vg --template-body \
	'{"Resources": {"G": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/vg/g"}}},
	  "Outputs": {"LogGroup": {"Value": {"Ref": "G"}}}}' >/dev/null
vg 0 "env --from-stack (a stack's outputs into a new env file)" -e vg.env env --from-stack vg

set_faults '{"seed": 3, "rules": [{"service": "ecs", "action": "DescribeServices", "error": "Throttling", "count": 2}]}'
vg 0 "status through two throttled calls (retries)" 4b status
set_faults '{"rules": [{"service": "ecs", "action": "DescribeServices", "error": "AccessDeniedException", "count": 1}]}'
vg 3 "status, AWS refusing (AccessDenied)" 4b status
set_faults '{"rules": []}'
cp aws-resources.env env.good
echo 'VPC_ID=$(oops)' >>aws-resources.env
vg 2 "deploy with a bad env file" 4b deploy
cp env.good aws-resources.env
# interrupted in its wait, the frozen describe-services in flight (a worker,
# then an aws process): the paths that stop children and unwind
VG_BG=1
for mode in worker exec; do
	sed -i '/^TASK_MEMORY=/d' aws-resources.env
	echo "TASK_MEMORY=$([ "$mode" = worker ] && echo 3072 || echo 4096)" >>aws-resources.env
	vg 143 "deploy SIGTERMed in its wait ($mode)" --aws-mode "$mode" 4b deploy
done
VG_BG=
set_faults '{"rules": []}'
vg 0 "deploy after them" 4b deploy
vg 0 "teardown --all" 4b teardown --yes --all
vg 0 "a second teardown (nothing to do)" 4b teardown --yes --all
vg 2 "an unknown action" 4b frobnicate

diag "memcheck: $VG_RUNS runs of awsphase under valgrind, $VG_ERRORS with errors or leaks"
finish
