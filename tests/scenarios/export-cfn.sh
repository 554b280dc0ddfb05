#!/usr/bin/env bash
# awsphase export --format cloudformation (issue 18, section 3): phases 1,
# 4A and 4B deployed by awsphase on the local AWS are exported; cfn-lint (else
# CloudFormation's validate-template) accepts the template; --adopt writes
# the import file with each resource's live id and Retain on every
# resource; then on a fresh local AWS `aws cloudformation deploy` of the
# template with no overrides (and the image pushed into the repository the
# stack made, as a team would, since a template holds no image) makes a stack
# whose settings match, field by field, those awsphase's own deploy made
# (fixtures/cfn-settings.py reads them, ids and ARNs left out); `awsphase
# env --from-stack` writes the stack's outputs into the env file, whose ids
# are then the stack's, and `4b validate` passes against the stack.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
. "$top_srcdir/tests/scenarios/reliability-lib.sh"
plan 21

settings() { python3 "$top_srcdir/tests/scenarios/fixtures/cfn-settings.py" "$LOCALAWS_ENDPOINT"; }
push_image() {
	local manifest
	manifest=$(python3 -c 'import json, sys; sys.path.insert(0, sys.argv[1])
from localaws_lib.scenario import IMAGE_MANIFEST; print(json.dumps(IMAGE_MANIFEST))' "$top_srcdir/tests/cloud")
	awscli ecr put-image --repository-name kaviar-backend --image-tag latest --image-manifest "$manifest" >/dev/null
}

# --- phases 1, 4A and 4B by awsphase, from an empty account (4A's first
# deploy makes the repository and asks for the image)
localaws_start --scenario empty
fast_sim
printf 'AWS_REGION=us-east-2\n' >aws-resources.env
ap --timeout 300 up --to 1 && ap 4a deploy && [ "$AP_RC" -eq 1 ] && push_image &&
	ap 4a deploy && ap --timeout 300 4b deploy
is "$AP_RC" 0 "phases 1 (up --to 1), 4A and 4B deploy on an empty account"
[ "$AP_RC" -eq 0 ] || diag "$(tail -n 8 err)"

# --- bad input: exit 2, one line, nothing written
ap export --phase nosuch -o bad.yaml
is "$AP_RC:$(grep -c . err):$([ -e bad.yaml ] && echo written)" "2:1:" "export --phase nosuch: exit 2, one line, no file"
ap export --adopt
is "$AP_RC:$(grep -c . err)" "2:1" "--adopt without -o FILE: exit 2, one line"
ap --output json export
is "$AP_RC:$(grep -c . err):$(grep -c . out)" "2:1:0" "--output json (where the template goes): exit 2, one line"

# --- the template
ap export --format cloudformation -o stack.yaml
is "$AP_RC:$(trace_count all)" 0:0 "export: exit 0, no aws call (the env file says everything)"
like "$(head -n 3 stack.yaml)" 'Description: awsphase export of phases 1, 4a, 4b' "phases 1, 4A and 4B, in the pipeline's order"
. ./aws-resources.env
outputs=$(python3 - stack.yaml <<'PY'
import sys, yaml
t = yaml.safe_load(open(sys.argv[1]))
print(" ".join(sorted(t["Outputs"])))
# 4B's VPC and image are phase 1's and 4A's resources, not parameters
print("VpcId" in t["Parameters"], "EcrUri" in t["Parameters"],
      t["Resources"]["TargetGroup"]["Properties"]["VpcId"],
      t["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"][0]["Image"]["Fn::Sub"][1]["U"])
print(t["Parameters"]["EcsCluster"]["Default"], t["Parameters"]["HealthCheckInterval"]["Default"])
PY
)
is "$(sed -n 1p <<<"$outputs")" "AlbArn AlbDns AlbSgId EcrUri EcsSgId ListenerArn PrivateSubnet1 PrivateSubnet2 PublicSubnet1 PublicSubnet2 ServiceArn TaskDefArn TgArn VpcId" \
	"an output for each key the phases write, named after it"
is "$(sed -n 2p <<<"$outputs")" "False False {'Ref': 'Vpc'} {'Fn::GetAtt': ['Repository', 'RepositoryUri']}" \
	"4B's VPC_ID and ECR_URI are references to phase 1's VPC and 4A's repository"
is "$(sed -n 3p <<<"$outputs")" "kaviar-cluster 10" "parameters default to the env file's values (or the module's defaults)"
# DB_PASSWORD (kept in Secrets Manager by deploy): never in the template,
# the task's secret a reference (read offline: no aws call without --adopt)
{ cat aws-resources.env; printf 'DB_PASSWORD="%s"\n' "$SECRET_VALUE"; } >secret.env
ap -e secret.env export --phase 4b -o secret.yaml
secret=$(python3 - secret.yaml <<'PY'
import sys, yaml
t = yaml.safe_load(open(sys.argv[1]))
c = t["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"][0]
print(c["Secrets"], "DbSecret" in t["Resources"])
PY
)
is "$AP_RC:$(grep -c "$SECRET_VALUE" secret.yaml):$(trace_count all):$secret" \
	"0:0:0:[{'Name': 'DB_PASSWORD', 'ValueFrom': {'Fn::Sub': ['\${V}', {'V': {'Ref': 'DbSecret'}}]}}] True" \
	"DB_PASSWORD: not in the template; the task reads the secret deploy made"

template_ok stack.yaml "the template"

# 4B alone with phase 3's keys and the private tier (the fixture env file,
# offline): the rules on phase 3's groups, the private subnets, no public IP
{ cat "$top_srcdir/tests/scenarios/fixtures/aws-resources.env"; echo SUBNET_TIER=private; } >p3.env
ap -e p3.env export --phase 4b -o p3.yaml
p3=$(python3 - p3.yaml <<'PY'
import sys, yaml
t = yaml.safe_load(open(sys.argv[1]))
r = t["Resources"]
net = r["Service"]["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]
print(r["RdsFromEcs"]["Properties"]["FromPort"], r["RedisFromEcs"]["Properties"]["GroupId"],
      net["Subnets"], net["AssignPublicIp"], t["Parameters"]["RdsSgId"]["Default"])
PY
)
is "$AP_RC:$p3" "0:5432 {'Ref': 'RedisSgId'} [{'Ref': 'PrivateSubnet1'}, {'Ref': 'PrivateSubnet2'}] DISABLED sg-0a1b2c3d4e5f60101" \
	"4B alone: rules on phase 3's groups, private subnets, no public IP; phase 1's ids are parameters"
template_ok p3.yaml "it too"

# --- --adopt: the import file, Retain everywhere
ap export -o adopt.yaml --adopt
is "$AP_RC:$(trace_count mutating)" 0:0 "export --adopt: exit 0, no mutating call"
check=$(python3 - adopt.yaml adopt.import.json <<PY
import json, sys, yaml
t = yaml.safe_load(open(sys.argv[1]))
imp = json.load(open(sys.argv[2]))
res = t["Resources"]
bad = [k for k, r in res.items() if r.get("DeletionPolicy") != "Retain"]
want = {"Vpc": {"VpcId": "$VPC_ID"}, "SubnetPublic1": {"SubnetId": "$PUBLIC_SUBNET_1"},
        "SubnetPrivate2": {"SubnetId": "$PRIVATE_SUBNET_2"},
        "AlbSecurityGroup": {"Id": "$ALB_SG_ID"}, "EcsSecurityGroup": {"Id": "$ECS_SG_ID"},
        "TargetGroup": {"TargetGroupArn": "$TG_ARN"}, "LoadBalancer": {"LoadBalancerArn": "$ALB_ARN"},
        "HttpListener": {"ListenerArn": "$LISTENER_ARN"}, "TaskDefinition": {"TaskDefinitionArn": "$TASK_DEF_ARN"},
        "Service": {"ServiceArn": "$SERVICE_ARN", "Cluster": "kaviar-cluster"},
        "Cluster": {"ClusterName": "kaviar-cluster"}, "ExecutionRole": {"RoleName": "KaviarEcsTaskExecutionRole"},
        "Repository": {"RepositoryName": "kaviar-backend"}}
got = {i["LogicalResourceId"]: i["ResourceIdentifier"] for i in imp}
wrong = [k for k, v in want.items() if got.get(k) != v]
unnamed = [i["LogicalResourceId"] for i in imp if i["LogicalResourceId"] not in res]
print(len(bad), wrong, unnamed, all(i["ResourceIdentifier"] and all(i["ResourceIdentifier"].values()) for i in imp))
PY
)
is "$check" "0 [] [] True" "every resource Retain; the import file names each by its live id (env file's)"
igw=$(awscli ec2 describe-internet-gateways --query 'InternetGateways[0].InternetGatewayId' --output text)
like "$(cat adopt.import.json)" "\"InternetGatewayId\":[[:space:]]*\"$igw\"" "... and the gateway by the id AWS has (one read)"

# --- a fresh local AWS: the stack by CloudFormation, no overrides
before=$(settings)
old=$WORK
"$top_srcdir/tests/cloud/localaws-stop" "$LOCALAWS_PID" >/dev/null 2>&1
localaws_start --scenario empty
cp "$old/stack.yaml" "$old/aws-resources.env" . && rm -rf "$old"
awscli cloudformation deploy --template-file stack.yaml --stack-name kaviar \
	--capabilities CAPABILITY_NAMED_IAM >cfn.out 2>&1
rc=$?
is "$rc:$(awscli cloudformation describe-stacks --stack-name kaviar --query 'Stacks[0].StackStatus' --output text)" \
	"0:CREATE_COMPLETE" "aws cloudformation deploy of the template, no overrides"
[ "$rc" -eq 0 ] || diag "$(tail -n 5 cfn.out)"
push_image
after=$(settings)
diff=$(diff <(printf '%s\n' "$before") <(printf '%s\n' "$after"))
# 12 kinds read (a read that failed would compare nothing with nothing)
is "$(jget "$before" 'len(d)'):$diff" "12:" "the stack's settings match awsphase's deploy's, field by field"

# --- the way back in: the stack's outputs into the env file, and awsphase
# serves the CloudFormation-made stack (its ids, not the first AWS's)
ap env --from-stack kaviar
is "$AP_RC:$(grep -c '^CFN_STACK=kaviar$' aws-resources.env)" 0:1 "env --from-stack kaviar: exit 0, CFN_STACK recorded"
is "$(sed -n 's/^ALB_ARN=//p' aws-resources.env) $(sed -n 's/^TG_ARN=//p' aws-resources.env) " \
	"$(awscli elbv2 describe-load-balancers --names kaviar-alb --query 'LoadBalancers[0].LoadBalancerArn' --output text) $(awscli elbv2 describe-target-groups --names kaviar-backend-tg --query 'TargetGroups[0].TargetGroupArn' --output text) " \
	"... the env file holds the stack's ALB and target group, as AWS reports them"
for _ in 1 2 3 4 5 6 7 8 9 10; do	# the service starts once the image is pushed
	ap 4b validate
	[ "$AP_RC" -eq 0 ] && break
	sleep 1
done
is "$AP_RC" 0 "4b validate passes against the CloudFormation stack"
[ "$AP_RC" -eq 0 ] || diag "$(tail -n 8 "$WORK/err")"

finish
