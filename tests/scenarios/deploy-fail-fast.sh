#!/usr/bin/env bash
# Waits end early when waiting cannot help.  Tasks in a public subnet without
# a public IP stop with ResourceInitializationError: fix-sg (which does not
# touch it) fails fast with the runbook's assignPublicIp note, and deploy sets
# it back, saying why.  An image gone from ECR: deploy's preflight refuses a
# new deployment before any change, and a deployment started by hand fails
# fast with CannotPullContainerError, long before the deadline.  The image
# by tag (IMAGE_PINNING=tag): pinned by digest, a tag that names no image is
# a difference the preflight refuses, and the wait would not be reached.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
plan 13
localaws_start
echo IMAGE_PINNING=tag >>"$WORK/aws-resources.env"

ap --timeout 120 4b deploy
is "$AP_RC" 0 "a fresh deploy exits 0"
[ "$AP_RC" -eq 0 ] || diag "$AP_ERR"
. "$WORK/aws-resources.env"

# --- public subnets, no public IP, no circuit breaker to roll it back
awscli ecs update-service --cluster kaviar-cluster --service kaviar-backend-service \
	--network-configuration "awsvpcConfiguration={subnets=[$PUBLIC_SUBNET_1,$PUBLIC_SUBNET_2],securityGroups=[$ECS_SG_ID],assignPublicIp=DISABLED}" \
	--deployment-configuration 'deploymentCircuitBreaker={enable=false,rollback=false}' >/dev/null
ok $? "by hand: assignPublicIp=DISABLED in the public subnets, circuit breaker off"
start=$(date +%s)
ap --timeout 120 4b fix-sg
is "$AP_RC" 1 "fix-sg fails fast (exit 1) on the tasks that cannot start"
like "$AP_ERR" 'stopped: ResourceInitializationError: .*tasks in a public subnet need assignPublicIp=ENABLED' \
	"with the stopped reason and the runbook's assignPublicIp note"
[ $(($(date +%s) - start)) -lt 60 ]
ok $? "long before its 120 s deadline ($(($(date +%s) - start)) s)"
ap --timeout 120 4b deploy
is "$AP_RC" 0 "deploy repairs it"
[ "$AP_RC" -eq 0 ] || diag "$AP_ERR"
like "$AP_OUT$AP_ERR" 'assignPublicIp DISABLED → ENABLED.*circuit breaker with rollback' "saying what it set back"
like "$AP_ERR" 'tasks in public subnets need assignPublicIp=ENABLED' "and why (the runbook's note)"

# --- the image gone from ECR
awscli ecr batch-delete-image --repository-name kaviar-backend --image-ids imageTag=latest >/dev/null
ok $? "by hand: the image is deleted from ECR"
ap --timeout 120 4b deploy --force-new-deployment
is "$AP_RC:$(trace_count changes)" "2:0" "deploy --force-new-deployment stops at preflight (exit 2), before any change (to the stack: the deploy history has it)"
awscli ecs update-service --cluster kaviar-cluster --service kaviar-backend-service \
	--force-new-deployment >/dev/null
start=$(date +%s)
ap --timeout 120 4b deploy
elapsed=$(($(date +%s) - start))
is "$AP_RC" 1 "with a deployment started by hand, deploy fails fast (exit 1)"
like "$AP_ERR" 'stopped: CannotPullContainerError: .*check ECR_URI in \./aws-resources\.env' \
	"with the pull error and the runbook's fix"
[ "$elapsed" -lt 60 ]
ok $? "long before its 120 s deadline ($elapsed s)"

finish
