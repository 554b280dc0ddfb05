#!/usr/bin/env bash
# awsphase 4b status, logs and metrics against one deployed stack, with the
# aws CLI v2 and, where it is installed, v1 (epoch timestamps, no `logs tail`).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
plan 32

localaws_start
export http_proxy=$LOCALAWS_ALB_PROXY no_proxy=127.0.0.1,localhost
V1=$(PATH=$(printf %s "$PATH" | tr : '\n' | grep -v '^/usr/bin$' | grep -v '^/bin$' | paste -sd:) command -v aws)

ap 4b deploy
is "$AP_RC" 0 "deploy exits 0"
[ "$AP_RC" = 0 ] || { diag "$AP_ERR"; echo "Bail out! deploy failed, nothing to observe"; exit 1; }
envval() { sed -n "s/^$1=//p" aws-resources.env | tail -n 1; }
ALB_DNS=$(envval ALB_DNS) ALB_ARN=$(envval ALB_ARN) ECS_SG=$(envval ECS_SG_ID)
ISO='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}'

# --- status
ap 4b status
is "$AP_RC" 0 "status exits 0"
titles=$(printf '%s\n' "$AP_OUT" | grep -E '^(service|deployments|tasks|targets|load balancer|events)$' | paste -sd,)
is "$titles" "service,deployments,tasks,targets,load balancer,events" "one screen: service, deployments, tasks, targets, ALB, events"
like "$AP_OUT" "^kaviar-backend-service +kaviar-cluster +ACTIVE +1 +1 +0 +kaviar-backend:1" "the service row"
like "$AP_OUT" "^ecs-svc/[0-9]+ +PRIMARY +COMPLETED +1 +1" "the deployment with its rollout state"
like "$AP_OUT" "^[0-9a-f]{32} +RUNNING +[A-Z]+ +10\.0\.[12]\.[0-9]+ +kaviar-ecs-sg \($ECS_SG\) +healthy +$ISO" \
	"the task: id, status, IP, SG, target health"
like "$AP_OUT" "^kaviar-alb +active +$ALB_DNS +kaviar-backend-tg" "the ALB's DNS name"
like "$AP_OUT" "^$ISO"'Z +\(service kaviar-backend-service\) has reached a steady state\.' "the last events"
# and the account guard's sts: the deploy recorded AWS_ACCOUNT_ID (issue 18)
is "$(trace_count)/$(trace_count mutating)" "8/0" "7 aws calls and sts, none mutating"
ap 4b status --output json
like "$(jget "$AP_OUT" "d['tasks'][0]['Security groups']")" "^kaviar-ecs-sg \($ECS_SG\)$" "--output json carries the tables"
if [ -n "$V1" ]; then
	ap --aws "$V1" 4b status
	like "$AP_OUT" "^$ISO"'Z +\(service kaviar-backend-service\) has reached a steady state\.' \
		"with aws CLI v1 (epoch timestamps) too"
else
	ok 0 "# SKIP no aws CLI v1"
fi

# --- logs
LINE="^$ISO"'\.[0-9]{6}\+00:00 ecs/kaviar-backend/[0-9a-f]{32} '
ap 4b logs --since 15m
is "$AP_RC" 0 "logs exits 0"
like "$AP_OUT" "${LINE}Backend running on port 3001$" "aws logs tail's format: TIMESTAMP STREAM MESSAGE"
grep -qF '"logs","filter-log-events","--log-group-name","/ecs/kaviar-backend","--start-time"' "$AP_TRACE_FILE"
# and the account guard's sts: the deploy recorded AWS_ACCOUNT_ID (issue 18)
is "$?/$(trace_count)" "0/2" "one filter-log-events call (and sts)"
ap 4b logs --since 15m --filter '"port 3001"'
is "$(printf '%s\n' "$AP_OUT" | grep -c .)/$(printf '%s\n' "$AP_OUT" | grep -c 'Backend running on port 3001')" "1/1" \
	"--filter passes a filter pattern"
grep -qF '"--filter-pattern","\"port 3001\""' "$AP_TRACE_FILE"
ok $? "… as --filter-pattern"
ap -q 4b logs --since 15m
like "$AP_OUT" "${LINE}Backend running on port 3001$" "-q keeps the log lines: they are what was asked for"
if [ -n "$V1" ]; then
	ap --aws "$V1" 4b logs --since 15m
	like "$AP_OUT" "${LINE}Backend running on port 3001$" "logs works with aws CLI v1 (which has no logs tail)"
else
	ok 0 "# SKIP no aws CLI v1"
fi

# --follow: lines written while it runs show up once each, a late one too
awscli logs create-log-stream --log-group-name /ecs/kaviar-backend --log-stream-name test/follow
put() { # put MESSAGE [AGE_MS]
	awscli logs put-log-events --log-group-name /ecs/kaviar-backend --log-stream-name test/follow \
		--log-events "timestamp=$(($(date +%s%3N) - ${2:-0})),message=$1" >/dev/null
}
FOLLOW_TRACE=$WORK/follow.jsonl
"$AWSPHASE" --aws "$AWS_BIN" --trace-file "$FOLLOW_TRACE" 4b logs --follow --since 15m \
	>"$WORK/follow.out" 2>"$WORK/follow.err" &
follow=$!
sleep 1.5
put "follow line one"
put "follow line two"
put "follow line late" 4000   # stamped 4 s ago, ingested now
put "follow line three"
end=$((SECONDS + 20))
until [ "$(grep -c 'follow line' "$WORK/follow.out")" -ge 4 ] || [ "$SECONDS" -ge "$end" ]; do sleep 0.2; done
sleep 2.5   # one more poll: nothing may repeat
kill -INT "$follow"
wait "$follow"
rc=$?
out=$(cat "$WORK/follow.out")
is "$rc" 0 "SIGINT ends --follow with exit 0"
counts=""
for l in "follow line one" "follow line two" "follow line late" "follow line three" "Backend running on port 3001"; do
	counts="$counts$(printf '%s\n' "$out" | grep -c "$l$")"
done
is "$counts" "11111" "every line once: the ones written while it ran, a late one, the older ones"
like "$out" "^$ISO"'\.[0-9]{6}\+00:00 test/follow follow line two$' "in tail's format"
polls=$(grep -c . "$FOLLOW_TRACE")
ok $((polls < 3)) "it polled ($polls calls)"
is "$(cat "$WORK/follow.err")" "" "nothing on stderr"

# --- metrics: the simulator's ECS datapoints and RequestCount from ALB traffic
for _ in 1 2 3 4 5; do curl -s -o /dev/null -x "$LOCALAWS_ALB_PROXY" "http://$ALB_DNS/api/health"; done
sleep 1
ap 4b metrics --output json
is "$AP_RC" 0 "metrics exits 0"
is "$(jget "$AP_OUT" "' '.join(m['metric'] + '/' + m['statistic'] for m in d['metrics'])")" \
	"RequestCount/Sum CPUUtilization/Average MemoryUtilization/Average" "RequestCount, CPU and memory"
requests=$(jget "$AP_OUT" "int(sum(p['value'] for p in d['metrics'][0]['datapoints']))")
ok $((requests < 5)) "RequestCount counts the requests through the ALB ($requests ≥ 5)"
is "$(jget "$AP_OUT" "all(2 <= p['value'] <= 15 for p in d['metrics'][1]['datapoints']) and len(d['metrics'][1]['datapoints']) > 0")/$(jget "$AP_OUT" "all(18 <= p['value'] <= 35 for p in d['metrics'][2]['datapoints']) and len(d['metrics'][2]['datapoints']) > 0")" \
	"True/True" "CPU and memory show the simulator's datapoints"
lb_dim="Name=LoadBalancer,Value=${ALB_ARN#*:loadbalancer/}"
grep -qF "\"--dimensions\",\"$lb_dim\"" "$AP_TRACE_FILE" &&
	grep -qF '"--namespace","AWS/ECS","--metric-name","MemoryUtilization","--dimensions","Name=ServiceName,Value=kaviar-backend-service","Name=ClusterName,Value=kaviar-cluster"' "$AP_TRACE_FILE" &&
	grep -qF '"--period","300","--statistics","Sum"' "$AP_TRACE_FILE"
ok $? "the runbook's dimensions (LoadBalancer = the ARN after loadbalancer/), period and statistics"
is "$(trace_count)/$(trace_count mutating)" "5/0" "4 aws calls and the account guard's sts, none mutating"
ap 4b metrics --period 60
like "$AP_OUT" "^Time +RequestCount \(Sum\) +CPUUtilization % \(Average\) +MemoryUtilization % \(Average\)" "a table"
if command -v script >/dev/null; then
	tty_out=$(script -qec "$(printf '%q ' "$AWSPHASE" --aws "$AWS_BIN" 4b metrics --period 60)" /dev/null)
	like "$tty_out" "^CPUUtilization % \(Average\) +.*[▁▂▃▄▅▆▇█].* min [0-9.]+ +max" "a sparkline per metric on a terminal"
else
	ok 0 "# SKIP no script(1) for a terminal"
fi
if [ -n "$V1" ]; then
	ap --aws "$V1" 4b metrics --output json
	is "$(jget "$AP_OUT" "len(d['metrics'][1]['datapoints']) > 0 and d['metrics'][1]['datapoints'][0]['timestamp'][:2]")" \
		"20" "metrics works with aws CLI v1"
else
	ok 0 "# SKIP no aws CLI v1"
fi

finish
