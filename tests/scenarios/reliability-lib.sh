# Shared by the reliability scenarios (issue 8: faults, crashes, signals,
# injection, secrets): sourced after lib.sh.
#
#   fast_sim                 the simulator's fast timings (a deploy in seconds)
#   has_action NAME          the 4b module has that action (rollback, teardown)
#   set_faults JSON          replace the local AWS's fault rules
#   shape                    the account's state from GET /resources, without
#                            what depends on timing (stopped tasks), settled
#   same_shape STEP DESC     that shape equals fixtures/clean-state.json[STEP]
#   retries                  retries of the last `ap` run: the trace file's
#                            attempts > 1 and the -vv stats line's retries=N

FAST_SIM='{"provisioning_s":0.1,"pending_s":0.2,"stop_s":0.1,"restart_delay_s":0.2,"health_initial_s":0.1,
	"interval_s":0.1,"drain_s":0.4,"lb_provisioning_s":0.3,"lb_delete_s":1.5,"grace_s":0.5}'
CLEAN_STATE=$top_srcdir/tests/scenarios/fixtures/clean-state.json

fast_sim() { ctl config "$FAST_SIM" >/dev/null; }

has_action() { "$AWSPHASE" 4b "$1" --help >/dev/null 2>&1; }

set_faults() { ctl faults "$1" >/dev/null; }

# The state, normalised: task counts other than RUNNING and the ENIs of
# tasks still stopping depend on timing, not on what awsphase did.  Waits
# until two snapshots agree and no task is between states (at most 15 s).
SHAPE_PY='
import json, sys
d = json.loads(sys.argv[1])
d["tasks"] = {"RUNNING": d["tasks"].get("RUNNING", 0)}
for k in ("network_interfaces", "task_network_interfaces"):
    d.pop(k, None)
for s in d["services"].values():
    s.pop("pending", None)
# the deploy history (issue 17) is made by the first operation recorded,
# which an interrupted or killed run is not: bookkeeping, not the stack
d["log_groups"] = [g for g in d["log_groups"] if not g.startswith("/awsphase/")]
print(json.dumps(d, sort_keys=True))'
shape() {
	local raw prev= i
	for i in $(seq 60); do
		raw=$(ctl resources)
		if [ "$raw" = "$prev" ] && ! printf '%s' "$raw" | grep -Eq '"(PROVISIONING|PENDING|ACTIVATING|DEACTIVATING|STOPPING|DEPROVISIONING)"'; then
			break
		fi
		prev=$raw
		sleep 0.25
	done
	python3 -c "$SHAPE_PY" "$raw"
}

# same_shape STEP DESCRIPTION [KEY…]: one test, the KEYs left out of the
# comparison; the difference as diag lines.
same_shape() {
	local got want step=$1 desc=$2
	shift 2
	got=$(shape | python3 -c 'import json, sys
d = json.load(sys.stdin)
for k in sys.argv[1:]:
    d.pop(k, None)
print(json.dumps(d, sort_keys=True))' "$@")
	want=$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))[sys.argv[2]]
for k in sys.argv[3:]:
    d.pop(k, None)
print(json.dumps(d, sort_keys=True))' "$CLEAN_STATE" "$step" "$@")
	if [ "$got" = "$want" ]; then ok 0 "$desc"; else
		ok 1 "$desc"
		diag "$(python3 -c 'import json, sys
g, w = json.loads(sys.argv[1]), json.loads(sys.argv[2])
for k in sorted(set(g) | set(w)):
    if g.get(k) != w.get(k):
        print(f"{k}: got {g.get(k)!r}, a clean run leaves {w.get(k)!r}")' "$got" "$want")"
	fi
}

# retries: "N M": attempts after the first in the trace file, and the stats
# line's count (needs -vv; "-" without it).
retries() {
	local t s
	t=$(grep -c '"attempt":\([2-9]\|[1-9][0-9]\)' "$AP_TRACE_FILE")
	s=$(printf '%s\n' "$AP_ERR" | sed -n 's/.*stats: .*retries=\([0-9]*\) .*/\1/p' | tail -n 1)
	echo "$t ${s:--}"
}

# ---- the fault matrix: one sequence of actions under one kind of fault

# run_step STEP TRIGGER ARGS…: `ap -vv ARGS…`; with TRIGGER (an aws
# operation, e.g. create-service) and FREEZE set, FREEZE becomes the fault
# rules once the trace file shows that operation done: a wait is frozen in
# its middle.  Sets STEP_S to the run's seconds.
FREEZE=
run_step() {
	local step=$1 trigger=$2 start=$SECONDS pid i
	shift 2
	AP_TRACE_FILE=$WORK/trace.$step.jsonl
	: >"$AP_TRACE_FILE"
	"$AWSPHASE" --aws "$AWS_BIN" --trace-file "$AP_TRACE_FILE" -vv "$@" >"$WORK/out" 2>"$WORK/err" &
	pid=$!
	if [ -n "$FREEZE" ] && [ -n "$trigger" ]; then
		for i in $(seq 6000); do
			grep -q "\"argv\":\[\"[a-z0-9]*\",\"$trigger\"" "$AP_TRACE_FILE" && break
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.02
		done
		set_faults "$FREEZE"
	fi
	wait "$pid"
	AP_RC=$?
	AP_OUT=$(cat "$WORK/out")
	AP_ERR=$(cat "$WORK/err")
	STEP_S=$((SECONDS - start))
}

# fault_matrix LABEL RULES [FREEZE]: deploy; a second deploy (TASK_MEMORY=2048,
# revision 2) and rollback --previous when rollback exists; validate;
# teardown --yes --all when teardown exists.  RULES hold throughout; FREEZE
# (rules) is set in the middle of each wait.  Each step: exit 0 and the state
# a clean run leaves (fixtures/clean-state.json).  Prints its own plan.
fault_matrix() {
	local label=$1 rules=$2 n=7 r total_retries=0 steps=0 rb=0 td=0
	FREEZE=${3:-}
	has_action rollback && rb=1 && n=$((n + 4))
	has_action teardown && td=1 && n=$((n + 2))
	[ -n "$FREEZE" ] && n=$((n + 2 + 2 * rb + td))
	plan "$n"
	localaws_start --seed "${FAULT_SEED:-8}"
	fast_sim
	export http_proxy=$LOCALAWS_ALB_PROXY no_proxy=127.0.0.1,localhost
	set_faults "$rules"

	# step ACTION-LABEL TRIGGER STATE ARGS…: run it, check it, report retries
	step() {
		local what=$1 trigger=$2 state=$3
		shift 3
		local before
		before=$(jget "$(ctl stats)" 'd["total_faulted"]')
		run_step "${what// /-}" "$trigger" --timeout 300 "$@"
		is "$AP_RC" 0 "$label: $what exits 0 (${STEP_S} s)"
		if [ -n "$FREEZE" ]; then
			[ "$(jget "$(ctl stats)" 'd["total_faulted"]')" -gt "$before" ] && [ "$STEP_S" -ge 20 ]
			ok $? "$label: $what: one ecs DescribeServices was held 20 s"
		fi
		[ "$AP_RC" -eq 0 ] || diag "$(printf '%s\n' "$AP_ERR" | grep -v '^+ ' | tail -n 8)"
		r=$(retries)
		diag "$label: $what: ${r% *} retried aws calls in the trace file, retries=${r#* } in the stats line, ${STEP_S} s"
		total_retries=$((total_retries + ${r% *}))
		steps=$((steps + 1))
		# the freeze rule fired once per step: back to the rate rules
		[ -n "$FREEZE" ] && set_faults "$rules"
		if [ -n "$state" ]; then
			set_faults '{"rules": []}' # read the state through no faults
			same_shape "$state" "$label: after $what, the state a clean run leaves (/resources)"
			set_faults "$rules"
		fi
	}

	step deploy create-service deploy 4b deploy
	like "$AP_OUT" 'deployed service kaviar-backend-service: stable, targets healthy' "$label: deploy waited until stable and healthy"
	if [ "$rb" = 1 ]; then
		echo TASK_MEMORY=2048 >>"$WORK/aws-resources.env"
		step "deploy of revision 2" update-service deploy2 4b deploy
		step "rollback --previous" update-service rollback 4b rollback --previous
	fi
	[ -n "$FREEZE" ] && set_faults "$FREEZE" # validate has no wait: its first ecs read
	step validate "" "" 4b validate
	like "$AP_OUT" 'alb-health: HTTP 200' "$label: validate's ALB probe answered 200"
	unlike "$AP_OUT" '^\[FAIL\]' "$label: no validate check failed"
	if [ "$td" = 1 ]; then
		step "teardown --all" delete-service teardown 4b teardown --yes --all
	fi
	faulted=$(jget "$(ctl stats)" 'd["total_faulted"]')
	[ "$faulted" -gt 0 ]
	ok $? "$label: the local AWS faulted $faulted requests"
	diag "$label: $steps actions, $faulted faulted requests, $total_retries retried aws calls"
	[ "$rb" = 1 ] || diag "rollback not built yet: not covered"
	[ "$td" = 1 ] || diag "teardown not built yet: not covered"
}

# ---- the crash matrices (crash-matrix.sh, crash-phases.sh) ----

# run_in DIR TRACE ARGS…: awsphase in DIR; sets RC
run_in() {
	local d=$1 trace=$2
	shift 2
	: >"$trace"
	(cd "$d" && exec "$AWSPHASE" --aws "$AWS_BIN" --trace-file "$trace" --timeout 120 "$@") \
		>"$trace.out" 2>"$trace.err"
	RC=$?
}

# killed_after K DIR TRACE ARGS…: awsphase in DIR, SIGKILLed as soon as TRACE
# shows K mutating calls; sets RC, DONE (the mutating operations done) and
# STRAYS (its aws workers still alive 10 s later)
killed_after() {
	local k=$1 d=$2 trace=$3 pid kids i n line
	shift 3
	: >"$trace"
	(cd "$d" && exec "$AWSPHASE" --aws "$AWS_BIN" --trace-file "$trace" --timeout 120 "$@") \
		>"$trace.out" 2>"$trace.err" &
	pid=$!
	n=0
	while IFS= read -r line; do
		case $line in *'"mutating":true'*) n=$((n + 1)) ;; esac
		[ "$n" -ge "$k" ] && break
	done < <(exec tail -n +1 -f --pid="$pid" "$trace")
	kids=$(pgrep -P "$pid")
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	RC=$?
	DONE=$(grep '"mutating":true' "$trace" | python3 -c 'import json, sys
print(",".join(json.loads(l)["argv"][1] for l in sys.stdin))')
	STRAYS=
	for i in $(seq 50); do
		STRAYS=$(for p in $kids; do kill -0 "$p" 2>/dev/null && echo "$p"; done)
		[ -z "$STRAYS" ] && break
		sleep 0.2
	done
}

# mutations TRACE: how many mutating calls
mutations() { grep -c '"mutating":true' "$1"; }

# env_sane DIR [temps]: what is wrong with the env file: a key set twice;
# with "temps", a temp file beside it.  (That awsphase reads it, the next run
# shows.)  A SIGKILL during a write leaves a temp file; the next write
# removes it.
env_sane() {
	local d=$1
	grep -E '^(export +)?[A-Za-z_][A-Za-z0-9_]*=' "$d/aws-resources.env" |
		sed -E 's/^(export +)?([A-Za-z0-9_]*)=.*/\2/' | sort | uniq -d | sed 's/^/set twice: /'
	[ "${2:-}" = temps ] && ls -A "$d" | grep -E '^\.aws-resources\.env\.' | sed 's/^/temp file left: /'
}
