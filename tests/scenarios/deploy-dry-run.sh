#!/usr/bin/env bash
# --dry-run on an account without phase 4B lists every create and makes none;
# preflight passes for the public tier and names the fix for a private tier
# without NAT or endpoints; values with spaces, quotes, $(…) and ; reach aws
# as single arguments, and a --trace line with them runs as it is.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
plan 17
localaws_start

before=$(ctl resources)
sum_before=$(md5sum <aws-resources.env)
ap --dry-run 4b deploy
is "$AP_RC" 0 "deploy --dry-run exits 0 on a fresh account"
is "$(ctl resources)" "$before" "it creates nothing (the local AWS's resources are unchanged)"
is "$(md5sum <aws-resources.env)" "$sum_before" "it writes nothing to aws-resources.env"
is "$(trace_count dry_run)" "$(trace_count mutating)" "every mutating call in the trace is a dry run"
listed=$(printf '%s\n' "$AP_OUT" | sed -n 's/^would run: [^ ]* \([a-z0-9]*\) \([a-z-]*\) .*/\1 \2/p' | sort | tr '\n' ' ')
is "$listed" "ec2 authorize-security-group-ingress ec2 authorize-security-group-ingress ec2 authorize-security-group-ingress ec2 authorize-security-group-ingress ec2 create-security-group ec2 create-security-group ecs create-cluster ecs create-service ecs register-task-definition elbv2 create-listener elbv2 create-load-balancer elbv2 create-target-group elbv2 modify-target-group-attributes iam attach-role-policy iam create-role iam create-role iam put-role-policy iam put-role-policy logs create-log-group logs put-log-events logs put-retention-policy secretsmanager create-secret " \
	"it lists every create: roles and their policies, the secret, groups and rules, cluster, log group, target group, ALB, listener, task definition, service (and the deploy history's event)"
like "$AP_OUT" "would run: .* ecs create-service .*securityGroups=\[<kaviar-ecs-sg id>\]" \
	"later calls name what a dry run did not create by placeholder"
like "$AP_OUT" 'dry run: 21 changes listed above, none made' "it sums up"

ap 4b preflight
is "$AP_RC" 0 "preflight passes on the public tier"
like "$AP_OUT" 'ECR image: 123456789012\.dkr\.ecr' "it found the image"
cp aws-resources.env env.public
echo SUBNET_TIER=private >>aws-resources.env
ap 4b preflight
is "$AP_RC" 2 "preflight on a private tier without NAT or endpoints exits 2"
like "$AP_OUT" 'PRIVATE_SUBNET_1=subnet-[0-9a-f]+: no NAT route and no VPC endpoints for ecr.api, ecr.dkr, logs, s3, secretsmanager: .*NAT gateway route or the VPC endpoints \(awsphase 1 deploy with PRIVATE_EGRESS=endpoints\)' \
	"it names the endpoints missing (Secrets Manager too: the task reads DB_PASSWORD's secret) and the runbook's fix"
cp env.public aws-resources.env

# a group name with spaces, ; and $(…), a queue URL with a quote, ; and $(…)
cat >>aws-resources.env <<'ENV'
ECS_SG_NAME='kaviar ecs; $(touch pwned) sg'
ENV
sed -i "s|^SQS_QUEUE_URL=.*|SQS_QUEUE_URL='https://sqs.us-east-2.amazonaws.com/123456789012/kaviar\"jobs;\$(touch\${IFS}pwned)'|" aws-resources.env
ap --trace --timeout 120 4b deploy --no-wait
is "$AP_RC" 0 "deploy with those values exits 0"
[ "$AP_RC" -eq 0 ] || diag "$AP_ERR"
# (moto reads filter values as patterns: a JMESPath query compares exactly)
is "$(awscli ec2 describe-security-groups \
	--query "SecurityGroups[?GroupName=='kaviar ecs; \$(touch pwned) sg'] | length(@)" --output text)" 1 \
	"the group is named exactly so"
is "$(awscli ecs describe-task-definition --task-definition kaviar-backend \
	--query 'taskDefinition.containerDefinitions[0].environment[?name==`SQS_QUEUE_URL`].value' --output text)" \
	'https://sqs.us-east-2.amazonaws.com/123456789012/kaviar"jobs;$(touch${IFS}pwned)' \
	"the queue URL reaches the task definition exactly"
[ ! -e "$WORK/pwned" ] && [ ! -e /pwned ]
ok $? "no shell ran anything"
line=$(printf '%s\n' "$AP_ERR" | grep '^+ .* ec2 create-security-group .*kaviar ecs' | sed 's/^+ //')
again=$(python3 -c 'import shlex, subprocess, sys
p = subprocess.run(shlex.split(sys.argv[1]), capture_output=True, text=True)
print(p.returncode, p.stderr.strip())' "$line")
like "$again" "^25[45] .*InvalidGroup.Duplicate.*kaviar ecs; \\\$\(touch pwned\) sg" \
	"its --trace line, run again as it is, names the very group (it exists now)"
ap --timeout 120 4b deploy
is "$AP_RC:$(trace_count mutating)" "0:0" "the next deploy finds it all in place"

finish
