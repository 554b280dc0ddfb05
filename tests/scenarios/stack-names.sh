#!/usr/bin/env bash
# Two stacks in one account (issue 18, STACK): every default name derives
# from STACK, so an env file with STACK=kaviar-staging and one without
# deploy phase 4B side by side, each with its own names (as AWS reports
# them) and ids; neither finds the other's resources; a second deploy
# changes nothing.  From an empty account, up --to 3 makes two VPCs, two
# databases, two buckets.  A STACK too long, or one that makes a name a key
# cannot take, is exit 2 before any aws call, naming the key to set; 4b
# --help shows the names the env file's STACK makes.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
. "$top_srcdir/tests/scenarios/reliability-lib.sh"
plan 23

localaws_start
fast_sim
cp aws-resources.env a.env
cp aws-resources.env b.env
printf 'STACK=kaviar-staging\n' >>b.env
key() { sed -n "s/^$1=//p" "$2"; }
names() { awscli "$@" --output text | tr '\t' '\n' | sort | paste -sd' '; }

# --- bad input: exit 2, one line, no aws call
cp aws-resources.env bad.env
printf 'STACK=kaviar-staging-environment\n' >>bad.env
ap -e bad.env 4b deploy
is "$AP_RC:$(trace_count):$(grep -c . err)" 2:0:1 "a STACK of 26 characters: exit 2, one line, no aws call"
like "$AP_ERR" "bad.env:[0-9]+: STACK: 'kaviar-staging-environment' is not .*up to 19 .*; fix the value" \
	"... naming STACK, its limit and what to do"
sed -i 's/^STACK=.*/STACK=kaviar--x/' bad.env
ap -e bad.env 3 deploy
is "$AP_RC:$(trace_count):$(grep -c . err)" 2:0:1 "STACK=kaviar--x for phase 3: exit 2, one line, no aws call"
like "$AP_ERR" "STACK=kaviar--x makes DB_INSTANCE_ID 'kaviar--x-db', which is not .*; set DB_INSTANCE_ID=… in the env file or choose another STACK" \
	"... naming the derived name and the key to set"

# --- help shows what STACK makes
ap -e b.env 4b --help
like "$AP_OUT" 'ALB_NAME +.*\(default kaviar-staging-alb, from \{STACK\}-alb\)' \
	"4b --help: the default the env file's STACK makes, and its template"
like "$AP_OUT" 'EXEC_ROLE_NAME +.*\(default KaviarStagingEcsTaskExecutionRole, from \{Stack\}EcsTaskExecutionRole\)' \
	"... IAM's names in IAM's style"

# --- both deploy phase 4B in one account
ap -e a.env --timeout 120 4b deploy
is "$AP_RC" 0 "the default stack deploys"
[ "$AP_RC" -eq 0 ] || diag "$(tail -n 5 err)"
ap -e b.env --timeout 120 4b deploy
is "$AP_RC" 0 "STACK=kaviar-staging deploys next to it"
[ "$AP_RC" -eq 0 ] || diag "$(tail -n 5 err)"
is "$(names elbv2 describe-load-balancers --query 'LoadBalancers[].LoadBalancerName')" \
	"kaviar-alb kaviar-staging-alb" "two load balancers: kaviar-alb, kaviar-staging-alb"
is "$(names elbv2 describe-target-groups --query 'TargetGroups[].TargetGroupName')" \
	"kaviar-backend-tg kaviar-staging-backend-tg" "two target groups"
is "$(names ecs describe-services --cluster kaviar-staging-cluster --services kaviar-staging-backend-service \
	--query 'services[].[clusterArn, serviceName, status]')" \
	"ACTIVE arn:aws:ecs:us-east-2:123456789012:cluster/kaviar-staging-cluster kaviar-staging-backend-service" \
	"the staging service in the staging cluster"
is "$(names ec2 describe-security-groups --filters Name=group-name,Values='kaviar*-alb-sg,kaviar*-ecs-sg' \
	--query 'SecurityGroups[].GroupName')" "kaviar-alb-sg kaviar-ecs-sg kaviar-staging-alb-sg kaviar-staging-ecs-sg" \
	"four security groups"
is "$(names iam list-roles --query 'Roles[].RoleName')" \
	"KaviarEcsTaskExecutionRole KaviarEcsTaskRole KaviarStagingEcsTaskExecutionRole KaviarStagingEcsTaskRole" \
	"four roles"
is "$(names logs describe-log-groups --log-group-name-prefix /ecs/ --query 'logGroups[].logGroupName')" \
	"/ecs/kaviar-backend /ecs/kaviar-staging-backend" "two log groups"
is "$(names secretsmanager list-secrets --query 'SecretList[].Name')" \
	"kaviar-staging/db-password kaviar/db-password" "two secrets for DB_PASSWORD"
same=
for k in ALB_ARN ALB_DNS TG_ARN LISTENER_ARN ALB_SG_ID ECS_SG_ID SERVICE_ARN TASK_DEF_ARN; do
	a=$(key $k a.env) b=$(key $k b.env)
	{ [ -z "$a" ] || [ "$a" = "$b" ]; } && same="$same $k"
done
is "$same" "" "each env file has ids of its own"
like "$(key TASK_DEF_ARN b.env)" 'task-definition/kaviar-staging-backend:1$' "... a task family of its own"
ap -e b.env 4b deploy
is "$AP_RC:$(trace_count changes)" 0:0 "a second deploy of the staging stack changes nothing"
ap -e a.env 4b deploy
is "$AP_RC:$(trace_count changes)" 0:0 "... nor the default stack's"

# --- phases 1 and 3 from an empty account: two of each
"$top_srcdir/tests/cloud/localaws-stop" "$LOCALAWS_PID" >/dev/null 2>&1
cd / && rm -rf "$WORK"
localaws_start --scenario empty
fast_sim
printf 'AWS_REGION=us-east-2\n' >a.env
printf 'AWS_REGION=us-east-2\nSTACK=kaviar-staging\n' >b.env
ap -e a.env --timeout 300 up --to 3
rc=$AP_RC
ap -e b.env --timeout 300 up --to 3
is "$rc:$AP_RC" 0:0 "up --to 3 with each STACK: exit 0"
[ "$AP_RC" -eq 0 ] || diag "$(tail -n 5 err)"
is "$(names ec2 describe-vpcs --query 'Vpcs[].Tags[?Key==`Name`].Value[]'):$(names rds describe-db-instances \
	--query 'DBInstances[].DBInstanceIdentifier'):$(names s3api list-buckets --query 'Buckets[].Name')" \
	"kaviar kaviar-staging:kaviar-db kaviar-staging-db:kaviar-staging-uploads-123456789012 kaviar-uploads-123456789012" \
	"two VPCs, two databases, two buckets"
is "$(names ec2 describe-vpcs --vpc-ids "$(key VPC_ID a.env)" "$(key VPC_ID b.env)" \
	--query 'Vpcs[].Tags[?Key==`awsphase:stack`].Value[]')" "1 kaviar-staging/1" \
	"each env file has its VPC; the staging one tagged awsphase:stack=kaviar-staging/1, the default's as before"
ap -e b.env up --to 3
is "$AP_RC:$(trace_count mutating)" 0:0 "a second up --to 3 of the staging stack changes nothing"
finish
