#!/usr/bin/env bash
# Rollout settings (issue 19): a target group made by hand with AWS's
# defaults (30 s × 5, deregistration delay 300 s) under the name deploy
# expects is named slow by diagnose and preflight, with the next deploy's
# estimate; deploy converges it to awsphase's settings (10 s, 5 s, 2/3, 30 s)
# and a service's deployment percents changed by hand back to 100/200; a
# rerun changes nothing.  Bad settings are refused before anything is read.
# Fast timing: the local AWS's clock ignores the groups' own settings.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
plan 18
localaws_start
. "$WORK/aws-resources.env"

tg_settings() {
	awscli elbv2 describe-target-groups --names kaviar-backend-tg --query \
		'TargetGroups[0].[HealthCheckIntervalSeconds,HealthCheckTimeoutSeconds,HealthyThresholdCount,UnhealthyThresholdCount]' \
		--output text
}
dereg_delay() {
	awscli elbv2 describe-target-group-attributes --target-group-arn "$1" --query \
		'Attributes[?Key==`deregistration_delay.timeout_seconds`].Value' --output text
}
# the stack's changes, not the deploy history's event (issue 17)
mutations() {
	python3 -c 'import json, sys
t = [json.loads(l) for l in open(sys.argv[1])]
print(" ".join(c["argv"][1] for c in t if c["mutating"] and "/awsphase/kaviar/history" not in c["argv"]))' "$AP_TRACE_FILE"
}

echo "HEALTH_CHECK_TIMEOUT=10" >>aws-resources.env
ap 4b preflight
is "$AP_RC:$(trace_count all)" "2:0" "HEALTH_CHECK_TIMEOUT not under the interval: exit 2, no aws call"
like "$AP_ERR" 'HEALTH_CHECK_TIMEOUT=10 is not less than HEALTH_CHECK_INTERVAL=10' "it says why"
sed -i '/^HEALTH_CHECK_TIMEOUT=/d' aws-resources.env

tg=$(awscli elbv2 create-target-group --name kaviar-backend-tg --protocol HTTP --port 3001 \
	--vpc-id "$VPC_ID" --target-type ip --health-check-path /api/health --matcher HttpCode=200 \
	--health-check-interval-seconds 30 --health-check-timeout-seconds 5 \
	--healthy-threshold-count 5 --query 'TargetGroups[0].TargetGroupArn' --output text)
is "$(tg_settings) $(dereg_delay "$tg")" "30	5	5	2 300" "a target group by hand, with AWS's defaults"

ap 4b diagnose
like "$AP_OUT" 'rollout time: target group kaviar-backend-tg: health check every 30 s × 5 healthy → ≥150 s per new task; deregistration delay 300 s: the next deploy takes ≈505 s \(≈105 s with awsphase.s settings' \
	"diagnose names the slow settings and estimates the next deploy"
is "$(mutations)" "" "diagnose changes nothing"
ap 4b preflight
like "$AP_OUT" 'rollout time: target group kaviar-backend-tg: health check every 30 s × 5 healthy' \
	"so does preflight"

ap --timeout 120 4b deploy
is "$AP_RC" 0 "deploy exits 0"
[ "$AP_RC" -eq 0 ] || diag "$AP_ERR"
like "$AP_OUT$AP_ERR" 'health check every 30 s, timeout 5 s, 5 healthy/2 unhealthy → 10 s, 5 s, 2/3' \
	"it says what it changes in the health check"
like "$AP_OUT$AP_ERR" 'deregistration delay 300 s → 30 s' "and in the deregistration delay"
is "$(tg_settings) $(dereg_delay "$tg")" "10	5	2	3 30" "describe-target-groups and its attributes show awsphase's settings"

awscli ecs update-service --cluster kaviar-cluster --service kaviar-backend-service \
	--deployment-configuration 'deploymentCircuitBreaker={enable=true,rollback=true},maximumPercent=150,minimumHealthyPercent=50' >/dev/null
ap --timeout 120 4b deploy
is "$AP_RC:$(mutations)" "0:update-service" "deployment percents changed by hand: one update-service"
like "$AP_OUT$AP_ERR" 'minimum healthy 50%, maximum 150% → 100%, 200%' "saying what it puts back"
is "$(awscli ecs describe-services --cluster kaviar-cluster --services kaviar-backend-service --query \
	'services[0].deploymentConfiguration.[minimumHealthyPercent,maximumPercent]' --output text)" \
	"100	200" "the service's deployment configuration is 100/200 again"

ap --timeout 120 4b deploy
is "$AP_RC:$(trace_count mutating)" "0:0" "a rerun changes nothing"
ap 4b diagnose
unlike "$AP_OUT" 'rollout time' "diagnose no longer names them"
ap 4b preflight
like "$AP_OUT" 'rollout time: target group kaviar-backend-tg: health check every 10 s × 2 healthy, deregistration delay 30 s: the next deploy takes ≈105 s' \
	"preflight estimates ≈105 s"

# --- the wait: the local AWS keeps the group's timing (5 s x 2, delay 5 s,
# a 5 s stop); deploy declares success within 2 s of COMPLETED, spending at
# most 6 describe calls a minute
cat >>aws-resources.env <<'ENV'
HEALTH_CHECK_INTERVAL=5
HEALTH_CHECK_TIMEOUT=4
DEREGISTRATION_DELAY=5
ENV
ctl config '{"group_timing": true, "stop_s": 5}' >/dev/null
ap --timeout 120 4b deploy
ap --timeout 120 4b deploy --force-new-deployment
end=$(date +%s.%N)
[ "$AP_RC" -eq 0 ] || diag "$AP_ERR"
completed=$(awscli ecs describe-services --cluster kaviar-cluster --services kaviar-backend-service \
	--query 'services[0].events[?contains(message, `deployment completed`)].createdAt | [0]' --output text)
late=$(python3 -c 'import sys, datetime as d; print(round(float(sys.argv[1]) - d.datetime.fromisoformat(sys.argv[2]).timestamp(), 1))' "$end" "$completed")
python3 -c 'import sys; sys.exit(not 0 <= float(sys.argv[1]) <= 2.0)' "$late"
ok $? "a redeploy: success declared ${late} s after the deployment COMPLETED (at most 2 s)"
waits=$(python3 -c 'import json, sys
lines = [json.loads(l)["argv"][1] for l in open(sys.argv[1])]
print(sum(1 for op in lines[lines.index("update-service"):] if op.startswith(("describe-", "list-"))))' "$AP_TRACE_FILE")
[ "$waits" -le 6 ]
ok $? "its wait spent ${waits} describe calls over about 30 s (at most 6 a minute)"
[ "$waits" -le 6 ] ||
	diag "$(python3 -c 'import json, sys; print(" ".join(json.loads(l)["argv"][1] for l in open(sys.argv[1])))' "$AP_TRACE_FILE")" "$AP_ERR"
finish
