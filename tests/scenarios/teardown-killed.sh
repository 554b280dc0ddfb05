#!/usr/bin/env bash
# A teardown killed halfway (SIGKILL right after its k-th mutating call, as
# the trace file shows it) finishes on the next run: every step is skipped
# when done and redone when not.  Killed twice in a row: while waiting for
# the service to become INACTIVE (k = 2), then the next run among the --all
# deletions (k = 5); the third finishes, a fourth changes nothing.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
plan 13
localaws_start
ctl config '{"provisioning_s":0.1,"pending_s":0.2,"stop_s":0.1,"restart_delay_s":0.2,"health_initial_s":0.1,
	"interval_s":0.1,"drain_s":0.4,"lb_provisioning_s":0.3,"lb_delete_s":1.5,"grace_s":0.5}' >/dev/null

res() { jget "$(ctl resources)" "$1"; }
# the deploy history's log group is data: teardown --all keeps it (issue 17)
nothing_left='d["active_services"], d["load_balancers"], d["target_groups"], d["listeners"], [g for g in d["log_groups"] if not g.startswith("/awsphase/")], d["roles"], d["clusters"], sorted(k for k in d["security_groups"] if k in ("kaviar-alb-sg", "kaviar-ecs-sg"))'

# teardown_killed_after K: teardown --yes --all, SIGKILLed once its trace
# shows K mutating calls; sets KILLED_AT to the operations done by then
teardown_killed_after() {
	local pid end trace=$WORK/trace.killed.$1.jsonl
	: >"$trace"
	"$AWSPHASE" --aws "$AWS_BIN" --trace-file "$trace" --timeout 120 4b teardown --yes --all \
		>"$WORK/out" 2>"$WORK/err" &
	pid=$!
	end=$(($(date +%s) + 120))
	while [ "$(date +%s)" -lt "$end" ]; do
		[ "$(grep -c '"mutating": *true' "$trace")" -ge "$1" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.01
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	KILLED_RC=$?
	KILLED_AT=$(grep '"mutating": *true' "$trace" | python3 -c 'import json, sys
print(",".join(json.loads(l)["argv"][1] for l in sys.stdin))')
}

ap --timeout 120 4b deploy
is "$AP_RC" 0 "deploy exits 0"

# --- killed while the service drains
teardown_killed_after 2
is "$KILLED_RC" 137 "teardown killed (SIGKILL)"
like "$KILLED_AT" '^update-service,delete-service$' "after desired count 0 and delete-service ($KILLED_AT)"
is "$(res 'd["load_balancers"], d["target_groups"]')" "(1, 1)" "the ALB and the target group are still there"

# --- the next one, killed among the --all deletions
teardown_killed_after 5
is "$KILLED_RC" 137 "the next teardown, killed too"
like "$KILLED_AT" '^delete-listener,delete-load-balancer,delete-target-group,' \
	"it went on with the listener, ALB and target group, not the service again ($KILLED_AT)"
[ "$(res 'len([k for k in d["security_groups"] if k in ("kaviar-alb-sg", "kaviar-ecs-sg")]) + len(d["roles"]) + d["clusters"]')" -gt 0 ]
ok $? "some --all resources are still there"

# --- the third finishes
ap --timeout 120 4b teardown --yes --all
is "$AP_RC" 0 "the third teardown exits 0"
[ "$AP_RC" -eq 0 ] || diag "$AP_ERR"
unlike "$(grep '"mutating": *true' "$AP_TRACE_FILE")" '"(update-service|delete-service|delete-listener|delete-load-balancer|delete-target-group)"' \
	"it does not touch the service, listener, ALB or target group again"
is "$(res "$nothing_left")" "(0, 0, 0, 0, [], [], 0, [])" "nothing of 4B is left (/resources)"
is "$(awscli ecs list-task-definitions --family-prefix kaviar-backend --query 'length(taskDefinitionArns)')" 0 \
	"no ACTIVE revision of kaviar-backend (aws CLI)"
unlike "$(sed -n 's/=.*//p' "$WORK/aws-resources.env")" '^(SERVICE_ARN|TG_ARN|ALB_ARN|LISTENER_ARN|ECS_SG_ID|ALB_SG_ID)$' \
	"the env file names none of them any more"

ap 4b teardown --yes --all
is "$AP_RC:$(trace_count mutating)" 0:0 "a fourth teardown: exit 0, zero mutating calls"

finish
