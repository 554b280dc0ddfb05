#!/usr/bin/env bash
# The runbook's "Rollback completo" as a plain script for bench/run: scale
# to 0, delete the service, the load balancer (and its listener with it),
# then the target group, with `aws ... wait` where the runbook sleeps.
set -euo pipefail
export AWS_PAGER=""
set -a; . ./aws-resources.env; set +a
R=$AWS_REGION CLUSTER=${ECS_CLUSTER:-kaviar-cluster} SERVICE=${ECS_SERVICE:-kaviar-backend-service}

if [ "$(aws ecs describe-services --cluster "$CLUSTER" --services "$SERVICE" --region "$R" \
	--query 'services[0].status' --output text)" = ACTIVE ]; then
	aws ecs update-service --cluster "$CLUSTER" --service "$SERVICE" --desired-count 0 --region "$R" >/dev/null
	aws ecs delete-service --cluster "$CLUSTER" --service "$SERVICE" --region "$R" >/dev/null
	aws ecs wait services-inactive --cluster "$CLUSTER" --services "$SERVICE" --region "$R"
fi
ALB_ARN=$(aws elbv2 describe-load-balancers --names "${ALB_NAME:-kaviar-alb}" --region "$R" \
	--query 'LoadBalancers[0].LoadBalancerArn' --output text 2>/dev/null || echo None)
if [ "$ALB_ARN" != None ]; then
	aws elbv2 delete-load-balancer --load-balancer-arn "$ALB_ARN" --region "$R"
	aws elbv2 wait load-balancers-deleted --load-balancer-arns "$ALB_ARN" --region "$R"
fi
TG_ARN=$(aws elbv2 describe-target-groups --names "${TG_NAME:-kaviar-backend-tg}" --region "$R" \
	--query 'TargetGroups[0].TargetGroupArn' --output text 2>/dev/null || echo None)
if [ "$TG_ARN" != None ]; then
	aws elbv2 delete-target-group --target-group-arn "$TG_ARN" --region "$R"
fi
echo "== torn down"
