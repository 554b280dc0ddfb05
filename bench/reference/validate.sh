#!/usr/bin/env bash
# The runbook's validation 1-4 and its log criterion, as the runbook writes
# them (one aws call at a time), for bench/run.  Exit 0 when all pass.
set -uo pipefail
export AWS_PAGER=""
set -a; . ./aws-resources.env; set +a
R=$AWS_REGION CLUSTER=${ECS_CLUSTER:-kaviar-cluster} SERVICE=${ECS_SERVICE:-kaviar-backend-service}
fail=0
check() { if [ "$1" = yes ]; then echo "ok   $2"; else echo "FAIL $2"; fail=1; fi; }

read -r status running desired < <(aws ecs describe-services --cluster "$CLUSTER" --services "$SERVICE" \
	--region "$R" --query 'services[0].[status,runningCount,desiredCount]' --output text)
check "$([ "$status" = ACTIVE ] && [ "$running" = "$desired" ] && echo yes)" "1. service $status $running/$desired"

TG_ARN=$(aws elbv2 describe-target-groups --names "${TG_NAME:-kaviar-backend-tg}" --region "$R" \
	--query 'TargetGroups[0].TargetGroupArn' --output text)
healthy=$(aws elbv2 describe-target-health --target-group-arn "$TG_ARN" --region "$R" \
	--query "length(TargetHealthDescriptions[?TargetHealth.State=='healthy'])" --output text)
check "$([ "${healthy:-0}" -ge 1 ] && echo yes)" "2. $healthy healthy target(s)"

ALB_DNS=$(aws elbv2 describe-load-balancers --names "${ALB_NAME:-kaviar-alb}" --region "$R" \
	--query 'LoadBalancers[0].DNSName' --output text)
body=$(curl -s -m 10 "http://$ALB_DNS${HEALTH_PATH:-/api/health}")
check "$(echo "$body" | grep -q '"success": *true' && echo yes)" "3. /api/health: $body"

TASK=$(aws ecs list-tasks --cluster "$CLUSTER" --service-name "$SERVICE" --region "$R" \
	--query 'taskArns[0]' --output text)
ENI=$(aws ecs describe-tasks --cluster "$CLUSTER" --tasks "$TASK" --region "$R" \
	--query 'tasks[0].attachments[0].details[?name==`networkInterfaceId`].value' --output text)
groups=$(aws ec2 describe-network-interfaces --network-interface-ids "$ENI" --region "$R" \
	--query 'NetworkInterfaces[0].Groups[*].GroupName' --output text)
check "$(echo "$groups" | grep -qw "${ECS_SG_NAME:-kaviar-ecs-sg}" && echo yes)" "4. task groups: $groups"

lines=$(aws logs filter-log-events --log-group-name "${LOG_GROUP:-/ecs/kaviar-backend}" \
	--filter-pattern '"Backend running on port"' --region "$R" --query 'length(events)' --output text)
check "$([ "${lines:-0}" -ge 1 ] && echo yes)" "5. logs: $lines line(s) 'Backend running on port'"
exit $fail
