#!/usr/bin/env bash
# Phase 4B deployed the ordinary way, for bench/run to compare awsphase with:
# the runbook's work in plain bash, one aws call at a time, describe then
# create, `aws ... wait` for the waits.  Idempotent in the simple sense: what
# exists is not created again, a task definition revision is registered only
# when image, CPU or memory changed, the service is updated only then.
# Run in the folder holding aws-resources.env; `aws` is whatever is on PATH.
set -euo pipefail
export AWS_PAGER=""
set -a; . ./aws-resources.env; set +a
R=$AWS_REGION
CLUSTER=${ECS_CLUSTER:-kaviar-cluster} SERVICE=${ECS_SERVICE:-kaviar-backend-service}
FAMILY=${TASK_FAMILY:-kaviar-backend} CONTAINER=${CONTAINER_NAME:-kaviar-backend}
PORT=${CONTAINER_PORT:-3001} HEALTH=${HEALTH_PATH:-/api/health}
TG=${TG_NAME:-kaviar-backend-tg} ALB=${ALB_NAME:-kaviar-alb}
ALB_SG=${ALB_SG_NAME:-kaviar-alb-sg} ECS_SG=${ECS_SG_NAME:-kaviar-ecs-sg}
LOGS=${LOG_GROUP:-/ecs/kaviar-backend}
EXEC_ROLE=${EXEC_ROLE_NAME:-KaviarEcsTaskExecutionRole} TASK_ROLE=${TASK_ROLE_NAME:-KaviarEcsTaskRole}
CPU=${TASK_CPU:-512} MEM=${TASK_MEMORY:-1024} COUNT=${DESIRED_COUNT:-1}

save() { # save KEY VALUE: into aws-resources.env, replacing the old line
	if grep -q "^$1=" aws-resources.env; then sed -i "s|^$1=.*|$1=$2|" aws-resources.env
	else echo "$1=$2" >>aws-resources.env; fi
}

echo "== IAM roles"
TRUST='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
for role in "$EXEC_ROLE" "$TASK_ROLE"; do
	if ! aws iam get-role --role-name "$role" --region "$R" >/dev/null 2>&1; then
		aws iam create-role --role-name "$role" --assume-role-policy-document "$TRUST" --region "$R" >/dev/null
	fi
done
POLICY=arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy
if ! aws iam list-attached-role-policies --role-name "$EXEC_ROLE" --region "$R" \
	--query 'AttachedPolicies[].PolicyArn' --output text | grep -q AmazonECSTaskExecutionRolePolicy; then
	aws iam attach-role-policy --role-name "$EXEC_ROLE" --policy-arn "$POLICY" --region "$R"
fi
EXEC_ARN=$(aws iam get-role --role-name "$EXEC_ROLE" --region "$R" --query Role.Arn --output text)
TASK_ARN_ROLE=$(aws iam get-role --role-name "$TASK_ROLE" --region "$R" --query Role.Arn --output text)

echo "== security groups"
# sg NAME PORT: "ID|GROUPS-ALLOWED-IN|CIDRS-ALLOWED-IN" on that port, or None
sg() {
	aws ec2 describe-security-groups --region "$R" \
		--filters "Name=vpc-id,Values=$VPC_ID" "Name=group-name,Values=$1" \
		--query "SecurityGroups[0].[GroupId, join(',', IpPermissions[?FromPort==\`$2\`].UserIdGroupPairs[].GroupId), join(',', IpPermissions[?FromPort==\`$2\`].IpRanges[].CidrIp)]" \
		--output text | tr '\t' '|'
}
IFS='|' read -r ALB_SG_ID _ ALB_CIDRS < <(sg "$ALB_SG" 80)
if [ "$ALB_SG_ID" = None ]; then
	ALB_SG_ID=$(aws ec2 create-security-group --group-name "$ALB_SG" --description "Kaviar ALB" \
		--vpc-id "$VPC_ID" --region "$R" --query GroupId --output text)
fi
case ",${ALB_CIDRS:-}," in *,0.0.0.0/0,*) ;; *)
	aws ec2 authorize-security-group-ingress --group-id "$ALB_SG_ID" --protocol tcp --port 80 \
		--cidr 0.0.0.0/0 --region "$R" >/dev/null ;;
esac
IFS='|' read -r ECS_SG_ID ECS_FROM _ < <(sg "$ECS_SG" "$PORT")
if [ "$ECS_SG_ID" = None ]; then
	ECS_SG_ID=$(aws ec2 create-security-group --group-name "$ECS_SG" --description "Kaviar ECS tasks" \
		--vpc-id "$VPC_ID" --region "$R" --query GroupId --output text)
fi
case ",${ECS_FROM:-}," in *,"$ALB_SG_ID",*) ;; *)
	aws ec2 authorize-security-group-ingress --group-id "$ECS_SG_ID" --protocol tcp --port "$PORT" \
		--source-group "$ALB_SG_ID" --region "$R" >/dev/null ;;
esac
# the phase-3 groups let the tasks in: RDS 5432, Redis 6379
for pair in "${RDS_SG_ID:-}:5432" "${REDIS_SG_ID:-}:6379"; do
	id=${pair%:*} port=${pair#*:}
	[ -n "$id" ] || continue
	from=$(aws ec2 describe-security-groups --group-ids "$id" --region "$R" \
		--query "join(',', SecurityGroups[0].IpPermissions[?FromPort==\`$port\`].UserIdGroupPairs[].GroupId)" \
		--output text)
	case ",$from," in *,"$ECS_SG_ID",*) ;; *)
		aws ec2 authorize-security-group-ingress --group-id "$id" --protocol tcp --port "$port" \
			--source-group "$ECS_SG_ID" --region "$R" >/dev/null ;;
	esac
done

echo "== cluster and log group"
if [ "$(aws ecs describe-clusters --clusters "$CLUSTER" --region "$R" \
	--query 'clusters[0].status' --output text)" != ACTIVE ]; then
	aws ecs create-cluster --cluster-name "$CLUSTER" --region "$R" >/dev/null
fi
if [ -z "$(aws logs describe-log-groups --log-group-name-prefix "$LOGS" --region "$R" \
	--query "logGroups[?logGroupName=='$LOGS'].logGroupName" --output text)" ]; then
	aws logs create-log-group --log-group-name "$LOGS" --region "$R"
	aws logs put-retention-policy --log-group-name "$LOGS" --retention-in-days 30 --region "$R"
fi

echo "== task definition"
CURRENT=$(aws ecs describe-task-definition --task-definition "$FAMILY" --region "$R" \
	--query '[taskDefinition.containerDefinitions[0].image,taskDefinition.cpu,taskDefinition.memory,taskDefinition.taskDefinitionArn]' \
	--output text 2>/dev/null || echo none)
if [ "$(echo "$CURRENT" | cut -f1-3)" = "$(printf '%s\t%s\t%s' "$ECR_URI" "$CPU" "$MEM")" ]; then
	TASK_DEF_ARN=$(echo "$CURRENT" | cut -f4)
	NEW_TD=no
else
	CONTAINERS=$(cat <<JSON
[{"name":"$CONTAINER","image":"$ECR_URI","essential":true,
  "portMappings":[{"containerPort":$PORT,"protocol":"tcp"}],
  "environment":[{"name":"NODE_ENV","value":"production"},{"name":"PORT","value":"$PORT"},
    {"name":"DB_HOST","value":"${RDS_ENDPOINT:-}"},{"name":"REDIS_HOST","value":"${REDIS_ENDPOINT:-}"},
    {"name":"S3_BUCKET","value":"${S3_BUCKET:-}"},{"name":"SQS_QUEUE_URL","value":"${SQS_QUEUE_URL:-}"}],
  "logConfiguration":{"logDriver":"awslogs","options":{"awslogs-group":"$LOGS",
    "awslogs-region":"$R","awslogs-stream-prefix":"ecs"}}}]
JSON
)
	TASK_DEF_ARN=$(aws ecs register-task-definition --family "$FAMILY" --network-mode awsvpc \
		--requires-compatibilities FARGATE --cpu "$CPU" --memory "$MEM" \
		--execution-role-arn "$EXEC_ARN" --task-role-arn "$TASK_ARN_ROLE" \
		--container-definitions "$CONTAINERS" --region "$R" \
		--query taskDefinition.taskDefinitionArn --output text)
	NEW_TD=yes
fi

echo "== target group, load balancer, listener"
TG_ARN=$(aws elbv2 describe-target-groups --names "$TG" --region "$R" \
	--query 'TargetGroups[0].TargetGroupArn' --output text 2>/dev/null || echo None)
if [ "$TG_ARN" = None ]; then
	TG_ARN=$(aws elbv2 create-target-group --name "$TG" --protocol HTTP --port "$PORT" \
		--vpc-id "$VPC_ID" --target-type ip --health-check-path "$HEALTH" --matcher HttpCode=200 \
		--region "$R" --query 'TargetGroups[0].TargetGroupArn' --output text)
fi
ALB_ARN=$(aws elbv2 describe-load-balancers --names "$ALB" --region "$R" \
	--query 'LoadBalancers[0].LoadBalancerArn' --output text 2>/dev/null || echo None)
if [ "$ALB_ARN" = None ]; then
	ALB_ARN=$(aws elbv2 create-load-balancer --name "$ALB" --type application --scheme internet-facing \
		--subnets "$PUBLIC_SUBNET_1" "$PUBLIC_SUBNET_2" --security-groups "$ALB_SG_ID" \
		--region "$R" --query 'LoadBalancers[0].LoadBalancerArn' --output text)
	aws elbv2 wait load-balancer-available --load-balancer-arns "$ALB_ARN" --region "$R"
fi
ALB_DNS=$(aws elbv2 describe-load-balancers --load-balancer-arns "$ALB_ARN" --region "$R" \
	--query 'LoadBalancers[0].DNSName' --output text)
LISTENER_ARN=$(aws elbv2 describe-listeners --load-balancer-arn "$ALB_ARN" --region "$R" \
	--query 'Listeners[?Port==`80`].ListenerArn | [0]' --output text)
if [ "$LISTENER_ARN" = None ]; then
	LISTENER_ARN=$(aws elbv2 create-listener --load-balancer-arn "$ALB_ARN" --protocol HTTP --port 80 \
		--default-actions "Type=forward,TargetGroupArn=$TG_ARN" --region "$R" \
		--query 'Listeners[0].ListenerArn' --output text)
fi

echo "== service"
NETWORK="awsvpcConfiguration={subnets=[$PUBLIC_SUBNET_1,$PUBLIC_SUBNET_2],securityGroups=[$ECS_SG_ID],assignPublicIp=ENABLED}"
STATUS=$(aws ecs describe-services --cluster "$CLUSTER" --services "$SERVICE" --region "$R" \
	--query 'services[0].status' --output text)
if [ "$STATUS" = ACTIVE ]; then
	if [ "$NEW_TD" = yes ]; then
		aws ecs update-service --cluster "$CLUSTER" --service "$SERVICE" --task-definition "$TASK_DEF_ARN" \
			--desired-count "$COUNT" --region "$R" >/dev/null
		aws ecs wait services-stable --cluster "$CLUSTER" --services "$SERVICE" --region "$R"
	fi
else
	aws ecs create-service --cluster "$CLUSTER" --service-name "$SERVICE" --task-definition "$TASK_DEF_ARN" \
		--desired-count "$COUNT" --launch-type FARGATE --network-configuration "$NETWORK" \
		--load-balancers "targetGroupArn=$TG_ARN,containerName=$CONTAINER,containerPort=$PORT" \
		--health-check-grace-period-seconds 120 \
		--deployment-configuration "deploymentCircuitBreaker={enable=true,rollback=true}" \
		--region "$R" >/dev/null
	aws ecs wait services-stable --cluster "$CLUSTER" --services "$SERVICE" --region "$R"
fi
SERVICE_ARN=$(aws ecs describe-services --cluster "$CLUSTER" --services "$SERVICE" --region "$R" \
	--query 'services[0].serviceArn' --output text)

for k in ALB_SG_ID ECS_SG_ID TG_ARN ALB_ARN ALB_DNS LISTENER_ARN TASK_DEF_ARN SERVICE_ARN; do
	save "$k" "${!k}"
done
echo "== deployed: http://$ALB_DNS/api/health"
