#!/usr/bin/env bash
# The private tier from an empty account (issue 16): SUBNET_TIER=private
# puts the tasks in phase 1's private subnets, without public addresses,
# so they start only where PRIVATE_EGRESS gives them a way to ECR, S3,
# CloudWatch Logs and the database's secret.  EGRESS=endpoints (this file):
# with PRIVATE_EGRESS=none 4B's preflight says why tasks would not start;
# set to endpoints, up adds them, the tasks start in the private subnets and
# the runbook's criteria pass.  EGRESS=nat: phases-private-nat.sh.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
. "$top_srcdir/tests/scenarios/reliability-lib.sh"
EGRESS=${EGRESS:-endpoints}
[ "$EGRESS" = nat ] && plan 6 || plan 9

localaws_start --scenario empty
fast_sim
ctl config '{"nat_pending_s":0.3,"nat_deleting_s":0.3,"vpce_pending_s":0.2,"vpce_deleting_s":0.2}' >/dev/null
first=$EGRESS
[ "$EGRESS" = endpoints ] && first=none
printf 'AWS_REGION=us-east-2\nSUBNET_TIER=private\nPRIVATE_EGRESS=%s\n' "$first" >aws-resources.env

ap --timeout 300 up
is "$AP_RC" 1 "PRIVATE_EGRESS=$first: up makes phases 1, 3 and 4A and stops at 4A for the image"
manifest=$(python3 -c 'import json, sys; sys.path.insert(0, sys.argv[1])
from localaws_lib.scenario import IMAGE_MANIFEST; print(json.dumps(IMAGE_MANIFEST))' "$top_srcdir/tests/cloud")
awscli ecr put-image --repository-name kaviar-backend --image-tag latest --image-manifest "$manifest" >/dev/null
ok $? "the image put"

if [ "$EGRESS" = endpoints ]; then
	ap 4b preflight
	is "$AP_RC" 2 "PRIVATE_EGRESS=none: 4B's preflight fails (exit 2: the setup cannot work)"
	[ "$AP_RC" -eq 2 ] || diag "$AP_ERR"
	like "$AP_OUT$AP_ERR" 'private tier egress.*no NAT route and no VPC endpoints' \
		"... saying the private subnets have no way out for the tasks"
	sed -i 's/^PRIVATE_EGRESS=none$/PRIVATE_EGRESS=endpoints/' aws-resources.env
	ap 4b preflight
	is "$AP_RC" 2 "before up adds the endpoints, preflight still fails"
fi

ap --timeout 300 up
is "$AP_RC" 0 "PRIVATE_EGRESS=$EGRESS: up finishes"
[ "$AP_RC" -eq 0 ] || diag "$(tail -n 8 err)"
like "$AP_OUT" 'stable, targets healthy' "the tasks started in the private subnets: stable, targets healthy"
. ./aws-resources.env
task=$(awscli ecs list-tasks --cluster kaviar-cluster --service-name kaviar-backend-service --query 'taskArns[0]' --output text)
eni=$(awscli ecs describe-tasks --cluster kaviar-cluster --tasks "$task" \
	--query 'tasks[0].attachments[0].details[?name==`networkInterfaceId`].value' --output text)
is "$(awscli ec2 describe-network-interfaces --network-interface-ids "$eni" \
	--query 'NetworkInterfaces[0].[SubnetId == `'"$PRIVATE_SUBNET_1"'` || SubnetId == `'"$PRIVATE_SUBNET_2"'`, Association.PublicIp == null]' --output text | tr '\t' ' ')" \
	"True True" "the task's interface is in a private subnet, with no public address"
http_proxy=$LOCALAWS_ALB_PROXY no_proxy=127.0.0.1,localhost ap 4b validate
is "$AP_RC" 0 "4b validate: the runbook's checks and criteria pass"
[ "$AP_RC" -eq 0 ] || diag "$(grep -v '^\[ok\]' out | head -n 5)"
finish
