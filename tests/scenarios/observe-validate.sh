#!/usr/bin/env bash
# awsphase 4b validate: the runbook's checks pass after a deploy, and each
# injected fault fails exactly the checks it should — one local AWS, one
# deploy, the faults one after another.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
plan 25

localaws_start
# the ALB probe goes through the local ALB proxy; the aws CLI must not
export http_proxy=$LOCALAWS_ALB_PROXY no_proxy=127.0.0.1,localhost

ap 4b deploy
is "$AP_RC" 0 "deploy exits 0"
[ "$AP_RC" = 0 ] || { diag "$AP_ERR"; echo "Bail out! deploy failed, nothing to observe"; exit 1; }
envval() { sed -n "s/^$1=//p" aws-resources.env | tail -n 1; }
ALB_DNS=$(envval ALB_DNS) ALB_ARN=$(envval ALB_ARN) ECS_SG=$(envval ECS_SG_ID) ALB_SG=$(envval ALB_SG_ID)

# validate_json [ARGS…]: runs validate --output json; FAILED = names of the failed checks
validate_json() {
	ap 4b validate --output json "$@"
	FAILED=$(jget "$AP_OUT" "' '.join(c['name'] for c in d['checks'] if not c['ok'])" 2>/dev/null)
}
detail() { jget "$AP_OUT" "[c['detail'] for c in d['checks'] if c['name'] == '$1'][0]" 2>/dev/null; }
# until SECONDS CMD…: retries CMD every 0.2 s until it succeeds or time is up
until_ok() {
	local end=$((SECONDS + $1)); shift
	until "$@"; do [ "$SECONDS" -ge "$end" ] && return 1; sleep 0.2; done
}
alb_says() { [ "$(curl -s -o /dev/null -w '%{http_code}' -x "$LOCALAWS_ALB_PROXY" "http://$ALB_DNS/api/health")" = "$1" ]; }
svc() { jget "$(ctl resources)" "d['services']['kaviar-backend-service']$1"; }
failed_task_in_deployment() {
	[ "$(awscli ecs describe-services --cluster kaviar-cluster --services kaviar-backend-service \
		--query 'services[0].deployments[?status==`PRIMARY`].failedTasks | [0]' --output text)" -ge 1 ]
}
running_is() { [ "$(svc "['running']")" = "$1" ]; }
rollout_completed() { [ "$(svc "['rollout_state']")/$(svc "['deployments']")" = COMPLETED/1 ]; }
no_load_balancers() { [ "$(jget "$(ctl resources)" "d['load_balancers']")" = 0 ]; }

# --- a healthy deployment: all five pass
validate_json
is "$AP_RC" 0 "validate exits 0 after a deploy"
is "$FAILED" "" "no check fails"
is "$(jget "$AP_OUT" "' '.join(c['name'] for c in d['checks'])")" \
	"service target-health alb-health task-security-groups logs" "the five checks, in the runbook's order"
# and the account guard's sts: the deploy recorded AWS_ACCOUNT_ID (issue 18)
is "$(trace_count)" 9 "8 aws calls and sts"
is "$(trace_count mutating)" 0 "none of them mutating"
runbook_ops=1
for op in '"ecs","describe-services","--cluster","kaviar-cluster","--services","kaviar-backend-service"' \
	'"elbv2","describe-target-groups","--names","kaviar-backend-tg"' \
	'"elbv2","describe-load-balancers","--names","kaviar-alb"' \
	'"ecs","list-tasks","--cluster","kaviar-cluster","--service-name","kaviar-backend-service"' \
	'"elbv2","describe-target-health","--target-group-arn"' \
	'"ecs","describe-tasks","--cluster","kaviar-cluster","--tasks"' \
	'"ec2","describe-network-interfaces","--network-interface-ids"' \
	'"logs","filter-log-events","--log-group-name","/ecs/kaviar-backend"'; do
	grep -qF "$op" "$AP_TRACE_FILE" || { diag "not in the trace: $op"; runbook_ops=0; }
done
ok $((1 - runbook_ops)) "the runbook's operations with its names"
like "$(detail alb-health)" "^HTTP 200 from http://$ALB_DNS/api/health: .*\"success\": true" \
	"alb-health shows the status and a body excerpt"
like "$(detail task-security-groups)" "$ECS_SG kaviar-ecs-sg" "task-security-groups names GroupId and GroupName"

ap 4b validate
like "$AP_OUT" "^\[ok\] +logs: \"Backend running on port 3001\" at " "text output: one line per check"

# --- no log line: a pattern that cannot match, a window before the line
validate_json --log-pattern 'Backend crashed on port [0-9]+'
is "$AP_RC/$FAILED" "1/logs" "--log-pattern that cannot match: only logs fails"
sleep 1
validate_json --since 1s
is "$AP_RC/$FAILED" "1/logs" "--since 1s, after the line: only logs fails"
ap 4b validate --since 5x
is "$AP_RC" 2 "--since 5x is a usage error"

# --- the ECS security group loses ALB → 3001 (a long grace period keeps
#     ECS from replacing the unhealthy task meanwhile, as AWS's 120 s would)
ctl config '{"grace_s": 100000}' >/dev/null
awscli ec2 revoke-security-group-ingress --group-id "$ECS_SG" --protocol tcp --port 3001 \
	--source-group "$ALB_SG" >/dev/null
until_ok 30 alb_says 503
validate_json
is "$AP_RC/$FAILED" "1/target-health alb-health" "SG rule revoked: target-health and alb-health fail"
like "$(detail target-health)" "unhealthy \(Target\.Timeout\)" "target-health shows IP, state and reason"
awscli ec2 authorize-security-group-ingress --group-id "$ECS_SG" --protocol tcp --port 3001 \
	--source-group "$ALB_SG" >/dev/null
until_ok 30 alb_says 200

# --- the image is deleted, then a forced deployment cannot start tasks
manifest=$(awscli ecr batch-get-image --repository-name kaviar-backend --image-ids imageTag=latest \
	--query 'images[0].imageManifest' --output text)
awscli ecr batch-delete-image --repository-name kaviar-backend --image-ids imageTag=latest >/dev/null
awscli ecs update-service --cluster kaviar-cluster --service kaviar-backend-service \
	--force-new-deployment >/dev/null
until_ok 30 failed_task_in_deployment
validate_json
is "$AP_RC/$FAILED" "1/service" "image deleted + forced deployment: only service fails"
like "$(detail service)" "deployment ecs-svc/[0-9]+ IN_PROGRESS: 0/1 running, [0-9]+ failed tasks" \
	"service shows the stuck deployment"
awscli ecr put-image --repository-name kaviar-backend --image-tag latest --image-manifest "$manifest" >/dev/null
until_ok 30 rollout_completed
ok $? "with the image back the deployment completes"

# --- desired count 0
awscli ecs update-service --cluster kaviar-cluster --service kaviar-backend-service \
	--desired-count 0 >/dev/null
until_ok 30 running_is 0
until_ok 30 alb_says 503
validate_json
is "$AP_RC/$FAILED" "1/service target-health alb-health task-security-groups" \
	"desired count 0: all but logs fail"
like "$(detail service)" "Desired 0 \(desired count 0: the service runs no task\)" "service says why"
awscli ecs update-service --cluster kaviar-cluster --service kaviar-backend-service \
	--desired-count 1 >/dev/null
until_ok 30 alb_says 200
ok $? "desired count 1 again: the ALB answers 200"

# --- the ALB is deleted
awscli elbv2 delete-load-balancer --load-balancer-arn "$ALB_ARN" >/dev/null
until_ok 30 no_load_balancers
validate_json
is "$AP_RC/$FAILED" "1/target-health alb-health" \
	"ALB deleted: alb-health fails, and target-health (no listener uses the targets)"
like "$(detail alb-health)" "load balancer kaviar-alb not found" "alb-health says the ALB is gone"
like "$(detail target-health)" "unused \(Target\.NotInUse\)" "target-health says why"
unlike "$AP_OUT$AP_ERR" 's3cr3t-Pa55w0rd!' "the env file's secret never shows"

finish
