#!/usr/bin/env bash
# awsphase 4b diagnose: the runbook's four Troubleshooting problems, each
# injected into one deployed stack in turn, are named with the right cause;
# --fix repairs the security group case and retries a deployment whose cause
# is gone.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
plan 36

localaws_start
export http_proxy=$LOCALAWS_ALB_PROXY no_proxy=127.0.0.1,localhost

ap 4b deploy
is "$AP_RC" 0 "deploy exits 0"
[ "$AP_RC" = 0 ] || { diag "$AP_ERR"; echo "Bail out! deploy failed, nothing to observe"; exit 1; }
envval() { sed -n "s/^$1=//p" aws-resources.env | tail -n 1; }
ALB_DNS=$(envval ALB_DNS) ECS_SG=$(envval ECS_SG_ID) ALB_SG=$(envval ALB_SG_ID) TG_ARN=$(envval TG_ARN)
SUBNETS="$(envval PUBLIC_SUBNET_1),$(envval PUBLIC_SUBNET_2)"

# diagnose_json [ARGS…]: FAILED = the checks that found a problem
diagnose_json() {
	ap 4b diagnose --output json "$@"
	FAILED=$(jget "$AP_OUT" "' '.join(c['name'] for c in d['checks'] if not c['ok'])" 2>/dev/null)
}
problem() { # problem CHECK FIELD: its cause, or its evidence/fix lines
	jget "$AP_OUT" "'\\n'.join('\\n'.join([p['$2']] if isinstance(p['$2'], str) else p['$2'])
		for p in d['problems'] if p['check'] == '$1')" 2>/dev/null
}
until_ok() {
	local end=$((SECONDS + $1)); shift
	until "$@"; do [ "$SECONDS" -ge "$end" ] && return 1; sleep 0.2; done
}
alb_says() { [ "$(curl -s -o /dev/null -w '%{http_code}' -x "$LOCALAWS_ALB_PROXY" "http://$ALB_DNS/api/health")" = "$1" ]; }
svc() { jget "$(ctl resources)" "d['services']['kaviar-backend-service']$1"; }
rollout_completed() { [ "$(svc "['rollout_state']")/$(svc "['deployments']")" = COMPLETED/1 ]; }
service_is() { [ "$(svc "['status']")" = "$1" ]; }
failed_task_in_deployment() {
	[ "$(awscli ecs describe-services --cluster kaviar-cluster --services kaviar-backend-service \
		--query 'services[0].deployments[?status==`PRIMARY`].failedTasks | [0]' --output text)" -ge 1 ]
}
force_deployment() {
	awscli ecs update-service --cluster kaviar-cluster --service kaviar-backend-service \
		--force-new-deployment "$@" >/dev/null
}
# ECS retries failing tasks with a growing delay; a long one keeps the state
# still while diagnose looks at it.  A long grace period keeps ECS from
# replacing tasks that fail health checks, as AWS's 120 s would for a while.
ctl config '{"grace_s": 100000, "restart_delay_s": 1000}' >/dev/null

# --- nothing wrong
diagnose_json
is "$AP_RC/$FAILED" "0/" "after a deploy diagnose finds nothing and exits 0"
is "$(jget "$AP_OUT" "' '.join(c['name'] for c in d['checks'])")" \
	"target-timeout service-state tasks-starting alb-503" "the runbook's four problems, in its order"
is "$(trace_count mutating)" 0 "no mutating call"
# without the account guard's sts: the deploy recorded AWS_ACCOUNT_ID (issue 18)
calls=$(($(trace_count) - $(grep -c '"get-caller-identity"' "$AP_TRACE_FILE")))
ok $((calls > 6)) "at most 6 aws calls on a healthy stack ($calls) and sts"

# --- problem 1: targets unhealthy with Target.Timeout (the ECS SG lost ALB → 3001)
awscli ec2 revoke-security-group-ingress --group-id "$ECS_SG" --protocol tcp --port 3001 \
	--source-group "$ALB_SG" >/dev/null
until_ok 30 alb_says 503
diagnose_json
is "$AP_RC/$FAILED" "1/target-timeout alb-503" "SG rule revoked: target-timeout, and the 503 it causes"
like "$(problem target-timeout cause)" "kaviar-ecs-sg \($ECS_SG\) does not let kaviar-alb-sg \($ALB_SG\) in on tcp/3001" \
	"the cause: the missing rule"
like "$(problem target-timeout evidence)" "unhealthy \(Target\.Timeout\)" "the evidence: Target.Timeout"
like "$(problem target-timeout fix)" "awsphase 4b fix-sg" "the fix: awsphase 4b fix-sg"
like "$(problem alb-503 cause)" "answers 503: no healthy target in kaviar-backend-tg: the targets time out" \
	"alb-503 points at the timeouts"
is "$(trace_count mutating)" 0 "without --fix nothing changes"

ap --dry-run 4b diagnose --fix
is "$AP_RC/$(trace_count mutating)/$(trace_count dry_run)" "1/1/1" "--fix --dry-run shows the fix, runs nothing, exits 1"
like "$AP_OUT" "would run: [^ ]*aws ec2 authorize-security-group-ingress --group-id $ECS_SG" "… and prints it"

ap 4b diagnose --fix
is "$AP_RC" 0 "--fix repairs it: exit 0"
grep -qF "\"ec2\",\"authorize-security-group-ingress\",\"--group-id\",\"$ECS_SG\",\"--protocol\",\"tcp\",\"--port\",\"3001\",\"--source-group\",\"$ALB_SG\"" \
	"$AP_TRACE_FILE"
ok $? "with authorize-security-group-ingress ALB SG → ECS SG on 3001"
is "$(trace_count mutating)" 1 "one mutating call"
like "$AP_OUT" "applying: aws ec2 authorize-security-group-ingress .*--region us-east-2" "the fix is shown first"
until_ok 30 alb_says 200
ok $? "the ALB answers 200 again"
diagnose_json
is "$AP_RC/$FAILED" "0/" "nothing wrong after the fix"

# --- problem 4: ALB 503 (the target group checks the wrong path)
awscli elbv2 modify-target-group --target-group-arn "$TG_ARN" --health-check-path /health >/dev/null
until_ok 30 alb_says 503
diagnose_json
is "$AP_RC/$FAILED" "1/alb-503" "wrong health check path: alb-503 alone"
like "$(problem alb-503 cause)" "its health check asks for /health, but the backend answers on /api/health" \
	"the cause: the target group's path"
like "$(problem alb-503 evidence)" "health check of kaviar-backend-tg: path /health, interval [0-9]+ s, timeout [0-9]+ s" \
	"the evidence: the target group's Path/Interval/Timeout"
like "$(problem alb-503 fix)" "aws elbv2 modify-target-group --target-group-arn $TG_ARN --health-check-path /api/health" \
	"the fix: modify-target-group"
awscli elbv2 modify-target-group --target-group-arn "$TG_ARN" --health-check-path /api/health >/dev/null
until_ok 30 alb_says 200

# --- problem 3: tasks do not start — the image is missing
manifest=$(awscli ecr batch-get-image --repository-name kaviar-backend --image-ids imageTag=latest \
	--query 'images[0].imageManifest' --output text)
awscli ecr batch-delete-image --repository-name kaviar-backend --image-ids imageTag=latest >/dev/null
force_deployment
until_ok 30 failed_task_in_deployment
diagnose_json
is "$AP_RC/$FAILED" "1/tasks-starting" "image deleted: tasks-starting alone (the old task still serves)"
like "$(problem tasks-starting cause)" "the image [^ ]+/kaviar-backend@sha256:[0-9a-f]{64} is not in ECR" "the cause: the image"
like "$(problem tasks-starting evidence)" "TaskFailedToStart: CannotPullContainerError" "the evidence: the stopped reason"
like "$(problem tasks-starting evidence)" "ecr describe-images: ImageNotFoundException" "… and ECR's answer"
awscli ecr put-image --repository-name kaviar-backend --image-tag latest --image-manifest "$manifest" >/dev/null
ap 4b diagnose --fix
grep -qF '"ecs","update-service","--cluster","kaviar-cluster","--service","kaviar-backend-service","--force-new-deployment"' \
	"$AP_TRACE_FILE"
is "$AP_RC/$?" "0/0" "image back: --fix forces a new deployment"
until_ok 30 rollout_completed
ok $? "which completes"

# --- problem 3 again: a public subnet without assignPublicIp=ENABLED
awscli ecs update-service --cluster kaviar-cluster --service kaviar-backend-service --network-configuration \
	"awsvpcConfiguration={subnets=[$SUBNETS],securityGroups=[$ECS_SG],assignPublicIp=DISABLED}" >/dev/null
until_ok 30 failed_task_in_deployment
diagnose_json
like "$FAILED/$(problem tasks-starting cause)" "^tasks-starting/tasks in a public subnet without assignPublicIp=ENABLED" \
	"assignPublicIp=DISABLED: named"

# --- problem 3 again: the execution role lost its policy
awscli ecs update-service --cluster kaviar-cluster --service kaviar-backend-service --network-configuration \
	"awsvpcConfiguration={subnets=[$SUBNETS],securityGroups=[$ECS_SG],assignPublicIp=ENABLED}" >/dev/null
until_ok 30 rollout_completed
awscli iam detach-role-policy --role-name KaviarEcsTaskExecutionRole \
	--policy-arn arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy >/dev/null
force_deployment
until_ok 30 failed_task_in_deployment
diagnose_json
like "$FAILED/$(problem tasks-starting cause)" "^tasks-starting/IAM: " "execution role without its policy: IAM named"
like "$(problem tasks-starting evidence)" "KaviarEcsTaskExecutionRole has no AmazonECSTaskExecutionRolePolicy attached" \
	"the evidence: the role's policies"

# --- problem 2: service INACTIVE or DRAINING
awscli ecs delete-service --cluster kaviar-cluster --service kaviar-backend-service --force >/dev/null
until_ok 30 service_is INACTIVE
diagnose_json
is "$AP_RC/$FAILED" "1/service-state alb-503" "service deleted: service-state, and the 503 it causes"
like "$(problem service-state cause)" "service kaviar-backend-service is INACTIVE" "the cause: INACTIVE"
fixes=$(problem service-state fix)
like "$fixes" "^awsphase 4b deploy" "the fix: redeploy"
like "$fixes" "aws ecs update-service --cluster kaviar-cluster --service kaviar-backend-service --force-new-deployment" \
	"… then the runbook's forced deployment"

finish
