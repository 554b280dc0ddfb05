#!/usr/bin/env bash
# Issue 20, items 3 and 14: runs that change a stack take the env file's
# lock (ENV.lock beside it).  Two deploys of one env file at once both
# succeed, one after the other, making one of each resource and one task
# definition revision; --no-wait-lock refuses at once (exit 7) naming the
# holder's pid, changing nothing; the wait ends at --timeout (exit 4);
# read-only actions and dry runs run while the lock is held.  Two env files
# naming one stack race for real: the create that loses ("Creation of
# service was not idempotent.") reads the service again instead of exit 3.
# A prefix selects only read-only actions.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
. "$top_srcdir/tests/scenarios/reliability-lib.sh"
plan 40
localaws_start
fast_sim

# bg NAME ARGS…: awsphase in the background, its output and trace in
# $WORK/NAME.{out,err,jsonl}; $! is awsphase itself
bg() {
	local name=$1
	shift
	"$AWSPHASE" --aws "$AWS_BIN" --trace-file "$WORK/$name.jsonl" "$@" \
		>"$WORK/$name.out" 2>"$WORK/$name.err" &
}
mutating() { grep -c '"mutating": *true' "$1"; }
ENV_SUM() { sha256sum aws-resources.env | cut -d' ' -f1; }

# --- two deploys of one env file at once
bg a 4b deploy --timeout 120
pid_a=$!
bg b 4b deploy --timeout 120
pid_b=$!
wait "$pid_a"; rc_a=$?
wait "$pid_b"; rc_b=$?
is "$rc_a $rc_b" "0 0" "two deploys of one env file at once both exit 0"
[ "$rc_a$rc_b" = 00 ] || diag "$(tail -n 5 "$WORK/a.err" "$WORK/b.err")"
waited=$(grep -l 'another awsphase run (process [0-9]*) is changing it; waiting up to 120 s' "$WORK/a.err" "$WORK/b.err")
is "$(printf '%s\n' "$waited" | grep -c .)" 1 "one of them waited for the other, saying so in one line"
loser=${waited%.err}
unlike "$(cat "$WORK/a.err" "$WORK/b.err")" 'not idempotent|already exists' "neither met the other's creates"
is "$(mutating "$loser.jsonl")" 0 "the one that waited read what the other made and changed nothing"
res=$(ctl resources)
is "$(jget "$res" 'd["security_groups"].get("kaviar-alb-sg", 0), d["security_groups"].get("kaviar-ecs-sg", 0)')" \
	"(1, 1)" "one kaviar-alb-sg and one kaviar-ecs-sg"
is "$(jget "$res" 'd["load_balancer_names"], d["target_group_names"], d["listeners"]')" \
	"(['kaviar-alb'], ['kaviar-backend-tg'], 1)" "one ALB, one target group, one listener"
is "$(jget "$res" 'd["cluster_names"], d["active_services"], d["task_definition_revisions"]')" \
	"(['kaviar-cluster'], 1, {'kaviar-backend': 1})" "one cluster, one service, one task definition revision"
is "$(grep -c '^TG_ARN=' aws-resources.env) $(grep -c '^SERVICE_ARN=' aws-resources.env)" "1 1" \
	"the env file has each key once"
is "$(cat aws-resources.env.lock)" "" "the lock file stays, holding no pid once the runs ended"

# --- a run that holds the lock: a no-op deploy whose describe-services is
# held 30 s by the local AWS (it is stopped when done with)
ctl stats/reset '{}' >/dev/null
set_faults '{"rules":[{"service":"ecs","action":"DescribeServices","freeze_s":30,"count":1}]}'
bg holder 4b deploy --timeout 60
holder=$!
for i in $(seq 100); do
	[ "$(jget "$(ctl stats)" 'd["total_faulted"]')" -ge 1 ] && break
	sleep 0.1
done
is "$(cat aws-resources.env.lock)" "$holder" "the lock file names the holder's pid"
sum=$(ENV_SUM)

start=$(date +%s%N)
ap --no-wait-lock 4b deploy
ms=$((($(date +%s%N) - start) / 1000000))
is "$AP_RC" 7 "--no-wait-lock while another run holds the lock: exit 7"
like "$AP_ERR" "^awsphase: \./aws-resources\.env: another awsphase run \(process $holder\) is changing it .*nothing was done; run again when that one has ended" \
	"it names the holder's pid and what to do"
[ "$ms" -lt 3000 ]
ok $? "refused at once (${ms} ms)"
is "$(trace_count)" 0 "no aws call"
is "$(ENV_SUM)" "$sum" "the env file as it was"
ap --no-wait-lock 4b rollback --previous
is "$AP_RC" 7 "rollback --no-wait-lock: refused too"
ap --no-wait-lock up
is "$AP_RC $(trace_count)" "7 0" "awsphase up --no-wait-lock: refused before its first phase, no aws call"
ap --no-wait-lock 4b diagnose --fix
is "$AP_RC $(trace_count)" "7 0" "diagnose --fix takes the lock (refused, no aws call)"

ap -t 1 4b teardown --yes
is "$AP_RC" 4 "waiting for the lock ends at --timeout: exit 4"
like "$AP_ERR" "still holds it after 1 s; nothing was done; raise --timeout" "saying so, and what to do"
is "$(trace_count mutating)" 0 "and changing nothing"

# read-only actions and dry runs do not wait
for args in "4b status" "4b diagnose" "4b logs --since 1m" "-n 4b deploy" "status"; do
	start=$(date +%s%N)
	ap $args
	ms=$((($(date +%s%N) - start) / 1000000))
	# diagnose exits 1 here: it probes the ALB without the local AWS's proxy.
	# No clock limit (a shared machine's is no measure): it did not wait if it
	# never said so and finished while the holder, still running after the
	# loop, held the lock.
	[ "$AP_RC" -le 1 ] && ! grep -q 'waiting up to' "$WORK/err"
	ok $? "awsphase $args runs while the lock is held (exit $AP_RC, ${ms} ms)"
	[ "$AP_RC" -le 1 ] || diag "$(tail -n 3 "$WORK/err")"
done
kill -0 "$holder" 2>/dev/null
ok $? "the holder was still running throughout"
kill -TERM "$holder"
wait "$holder"
is "$? $(cat aws-resources.env.lock)" "143 " "the holder, stopped by SIGTERM, exits 143 and lets the lock go"
set_faults '{"rules":[]}'

# --- prefixes: read-only actions only
for case in "ro rollback" "de deploy" "t teardown" "f fix-sg" "pru prune"; do
	set -- $case
	ap 4b "$1" --yes
	[ "$AP_RC" -eq 2 ] && [ "$(trace_count)" -eq 0 ] &&
		printf '%s' "$AP_ERR" | grep -q "^awsphase: 4b $1: .*; give the full name: $2\$"
	ok $? "4b $1: exit 2, no aws call, 'give the full name: $2'"
done
ap 4b stat
is "$AP_RC" 0 "4b stat: a prefix of a read-only action runs it"
ap 4b diag --fix
[ "$AP_RC" -eq 2 ] && [ "$(trace_count)" -eq 0 ] &&
	printf '%s' "$AP_ERR" | grep -q "^awsphase: 4b diag: .*; give the full name: diagnose\$"
ok $? "4b diag --fix: a prefix, and --fix changes things: exit 2, no aws call, the full name"

# --- two env files naming one stack race for real: no lock can help, so
# the create-service that comes second must read the service again.  The
# service is deleted (teardown keeps the rest), and the first create-service
# is held 3 s so that the other run's goes through first.
ap 4b teardown --yes
is "$AP_RC" 0 "teardown (the service, ALB and target group)"
cp aws-resources.env other.env
ctl stats/reset '{}' >/dev/null
set_faults '{"rules":[{"service":"ecs","action":"CreateService","latency_ms":3000,"count":1}]}'
bg c 4b deploy --timeout 120
pid_c=$!
bg d -e other.env 4b deploy --timeout 120
pid_d=$!
wait "$pid_c"; rc_c=$?
wait "$pid_d"; rc_d=$?
is "$rc_c $rc_d" "0 0" "two env files, one stack, deployed at once: both exit 0"
[ "$rc_c$rc_d" = 00 ] || diag "$(tail -n 5 "$WORK/c.err" "$WORK/d.err")"
is "$(jget "$(ctl stats)" 'd["requests"].get("ecs:CreateService")')" 2 "both sent create-service"
like "$(cat "$WORK/c.out" "$WORK/d.out")" 'service kaviar-backend-service.*already there' \
	"the one that lost read the service again"
res=$(ctl resources)
is "$(jget "$res" 'd["active_services"], d["load_balancer_names"], d["target_group_names"]')" \
	"(1, ['kaviar-alb'], ['kaviar-backend-tg'])" "one service, one ALB, one target group"
set_faults '{"rules":[]}'
finish
