#!/usr/bin/env bash
# SIGINT and SIGTERM during a wait: the aws child in flight (a worker, or an
# aws process with --aws-mode exec) is stopped and nothing of awsphase's is
# left running, awsphase says what it was waiting for, exits 130 or 143, and
# nothing is half-written (the env file parses, no temp file beside it, every
# trace file line is whole JSON).  The next run converges; a deploy after
# the teardown brings the deleted cluster back.
#
# An aws call is held in flight by freezing ecs DescribeServices (the local
# AWS's faults) once the trace file shows the wait has begun.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
. "$top_srcdir/tests/scenarios/reliability-lib.sh"
HAS_TEARDOWN=0
has_action teardown && HAS_TEARDOWN=1
plan $((4 * 6 + 3 + HAS_TEARDOWN * 10))
localaws_start --seed 12
fast_sim
FREEZE='{"rules": [{"service": "ecs", "action": "DescribeServices", "freeze_s": 60, "count": 1}]}'

descendants() {
	local p
	for p in $(pgrep -P "$1"); do
		echo "$p"
		descendants "$p"
	done
}

# interrupted LABEL SIGNAL TRIGGER INFLIGHT ARGS…: run awsphase ARGS; once its
# trace shows TRIGGER (an aws operation) done, and with INFLIGHT=1 once the
# frozen DescribeServices is in flight, send SIGNAL; then six tests
interrupted() {
	local label=$1 sig=$2 trigger=$3 inflight=$4 pid kids i want alive
	shift 4
	AP_TRACE_FILE=$WORK/trace.$label.jsonl
	: >"$AP_TRACE_FILE"
	cp aws-resources.env env.before
	ctl stats/reset '{}' >/dev/null
	"$AWSPHASE" --aws "$AWS_BIN" --trace-file "$AP_TRACE_FILE" --timeout 120 "$@" >"$WORK/out" 2>"$WORK/err" &
	pid=$!
	for i in $(seq 3000); do
		grep -q "\"argv\":\[\"[a-z0-9]*\",\"$trigger\"" "$AP_TRACE_FILE" && break
		sleep 0.02
	done
	if [ "$inflight" = 1 ]; then
		set_faults "$FREEZE"
		for i in $(seq 1500); do
			[ "$(jget "$(ctl stats)" 'd["total_faulted"]')" -ge 1 ] && break
			sleep 0.02
		done
		sleep 0.3
	else
		sleep 0.3 # inside the wait's first pause (1 s), before its first poll
	fi
	kids=$(descendants "$pid")
	kill -s "$sig" "$pid"
	wait "$pid" 2>/dev/null
	AP_RC=$?
	set_faults '{"rules": []}'
	AP_ERR=$(cat "$WORK/err")
	want=$((128 + $(kill -l "$sig")))
	is "$AP_RC" "$want" "$label: SIG$sig: exit $want"
	like "$AP_ERR" "interrupted while waiting for service kaviar-backend-service to become stable|interrupted while waiting for service kaviar-backend-service to be gone" \
		"$label: it says what it was waiting for"
	[ "$AP_RC" = "$want" ] || diag "$(grep -v '^+ ' "$WORK/err" | tail -n 5)"
	alive=$(for p in $kids; do kill -0 "$p" 2>/dev/null && ps -o pid=,args= -p "$p"; done)
	# in flight there is a child to stop; in a pause only a worker (an
	# aws process exists only during its call)
	[ -z "$alive" ] && { [ -n "$kids" ] || [ "$inflight" = 0 ]; }
	ok $? "$label: its $(echo $kids | wc -w) child processes are gone when it exits${alive:+: $alive}"
	[ -z "$alive" ] || kill -KILL $alive 2>/dev/null
	# the in-flight call, when there was one, was stopped, not waited out
	if [ "$inflight" = 1 ]; then
		grep -E '"argv":\["ecs","describe-services".*"error":"Interrupted"' "$AP_TRACE_FILE" >/dev/null
		ok $? "$label: the frozen describe-services is recorded as interrupted, not waited out"
	else
		is "$(sed -n "/\"$trigger\"/,\$p" "$AP_TRACE_FILE" | grep -c '"describe-services"')" 0 \
			"$label: stopped before its first poll"
	fi
	left=$(ls -A "$WORK" | grep -E '^\.aws-resources\.env\.')
	is "$left" "" "$label: no temp file beside the env file"
	python3 -c 'import json, sys
for line in open(sys.argv[1]):
    if line.startswith("{"):
        json.loads(line)' "$AP_TRACE_FILE" 2>/dev/null
	ok $? "$label: every trace file line is whole JSON"
}

# --- deploy's wait, a worker in flight: SIGINT
interrupted "deploy, worker" INT create-service 1 --aws-mode worker 4b deploy
ap --timeout 120 4b status
is "$AP_RC" 0 "the env file still parses: status exits 0"

# --- deploy's wait, an aws process in flight: SIGTERM
echo TASK_MEMORY=2048 >>aws-resources.env
interrupted "deploy, aws process" TERM update-service 1 --aws-mode exec 4b deploy

# --- deploy's first pause, nothing in flight: SIGINT, then SIGTERM
sed -i 's/^TASK_MEMORY=.*/TASK_MEMORY=3072/' aws-resources.env
interrupted "deploy, pause" INT update-service 0 4b deploy
sed -i 's/^TASK_MEMORY=.*/TASK_MEMORY=4096/' aws-resources.env
interrupted "deploy, pause" TERM update-service 0 4b deploy

ap --timeout 120 4b deploy
is "$AP_RC" 0 "the next deploy converges: exit 0"
[ "$AP_RC" -eq 0 ] || diag "$(grep -v '^+ ' "$WORK/err" | tail -n 5)"
is "$(jget "$(shape)" '[(s["count"], s["running"], s["rollout_state"], s["task_definition"][-16:]) for s in d["services"].values()], d["task_definition_revisions"]')" \
	"([(1, 1, 'COMPLETED', 'kaviar-backend:4')], {'kaviar-backend': 4})" \
	"one service, on revision 4 (TASK_MEMORY=4096), stable; one revision per change"

# --- teardown's wait for the service to go: SIGTERM
if [ "$HAS_TEARDOWN" = 1 ]; then
	interrupted "teardown" TERM delete-service 1 4b teardown --yes --all
	ap --timeout 120 4b teardown --yes --all
	is "$AP_RC" 0 "the next teardown exits 0"
	# four revisions here, one there: the rest must be the same
	same_shape teardown "it leaves what a clean teardown leaves (but for the revisions)" \
		services task_definition_revisions
	ap --timeout 120 4b deploy
	is "$AP_RC" 0 "a deploy after teardown --all exits 0"
	is "$(jget "$(ctl resources)" 'd["cluster_names"], [(s["count"], s["status"], s["running"], s["task_definition"][-16:]) for s in d["services"].values()]')" \
		"(['kaviar-cluster'], [(1, 'ACTIVE', 1, 'kaviar-backend:5')])" \
		"it brings the cluster back and runs a new revision, not a deregistered one"
fi
finish
