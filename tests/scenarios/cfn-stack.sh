#!/usr/bin/env bash
# A phase-4B stack CloudFormation made (fixtures/cfn-4b.yaml, deployed with
# aws cloudformation deploy): env --from-stack writes its outputs into an
# env file (a new one; then one with comments, kept), refuses a stack that is
# not there and a value a key's pattern refuses; status and validate serve
# the stack; deploy --force-new-deployment, rollback and teardown refuse to
# change what the stack owns, naming it, with no changing call; a deploy
# that changes nothing exits 0.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
plan 34

localaws_start --scenario prereqs
val() { sed -n "s/^$1=//p" "${2:-aws-resources.env}"; }
ops() { python3 -c 'import json, sys
print(" ".join(json.loads(l)["argv"][1] for l in open(sys.argv[1]) if json.loads(l)["mutating"]))' "$AP_TRACE_FILE"; }
digest=$(awscli ecr describe-images --repository-name kaviar-backend --query 'imageDetails[0].imageDigest' --output text)
image=$(val ECR_URI) && image=${image%:latest}@$digest
awscli cloudformation deploy --stack-name kaviar-prod --capabilities CAPABILITY_NAMED_IAM \
	--template-file "$top_srcdir/tests/scenarios/fixtures/cfn-4b.yaml" --parameter-overrides \
	VpcId="$(val VPC_ID)" PublicSubnet1="$(val PUBLIC_SUBNET_1)" PublicSubnet2="$(val PUBLIC_SUBNET_2)" \
	EcrUri="$image" >/dev/null
ok $? "aws cloudformation deploy makes the 4B-shaped stack kaviar-prod"
dns=$(awscli elbv2 describe-load-balancers --names kaviar-alb --query 'LoadBalancers[0].DNSName' --output text)

# --- env --from-stack into a file that does not exist
ap -e s.env -v env --from-stack kaviar-prod
is "$AP_RC:$(trace_count):$(trace_count mutating)" 0:2:0 \
	"env --from-stack: exit 0, two reads (the account guard's sts get-caller-identity, describe-stacks), no change"
is "$(val ALB_DNS s.env):$(val CFN_STACK s.env):$(val AWS_REGION s.env):$(val AWS_ACCOUNT_ID s.env)" \
	"$dns:kaviar-prod:us-east-2:123456789012" "ALB_DNS from output AlbDns, CFN_STACK, AWS_REGION and the account recorded"
is "$(cut -d= -f1 s.env | tr '\n' ' ')" "VPC_ID PUBLIC_SUBNET_1 PUBLIC_SUBNET_2 ECR_URI ECS_CLUSTER ECS_SERVICE SERVICE_ARN TASK_DEF_ARN TG_ARN ALB_ARN ALB_DNS LISTENER_ARN ALB_SG_ID ECS_SG_ID LOG_GROUP CFN_STACK AWS_REGION AWS_ACCOUNT_ID " \
	"every output that carries a key, in the stack's order, then CFN_STACK"
is "$(val ECS_SG_ID s.env)" "$(awscli ec2 describe-security-groups --filters Name=group-name,Values=kaviar-ecs-sg --query 'SecurityGroups[0].GroupId' --output text)" \
	"ECS_SG_ID is the stack's group"
like "$AP_ERR" 'ignored: ExportNote$' "-v names the output that carries no key"
like "$AP_OUT" '^ALB_DNS +AlbDns +' "the table shows key, output and value"
is "$(stat -c %a s.env)" 600 "a new env file is 0600"

# --- a file with comments: values replaced in place, the rest kept byte for byte
printf '# staging, from the stack\nAWS_REGION=us-east-2\n\n# the ALB\nALB_DNS=old.example.com # stale\nOWN_KEY=kept\n' >c.env
ap -e c.env env --from-stack kaviar-prod
is "$AP_RC:$(head -5 c.env | tr '\n' '|')" "0:# staging, from the stack|AWS_REGION=us-east-2||# the ALB|ALB_DNS=$dns # stale|" \
	"comments, blank line and the key's trailing comment kept, ALB_DNS replaced in place"
is "$(sed -n 6p c.env):$(grep -c . c.env)" "OWN_KEY=kept:21" "a key of the user's kept, the stack's keys appended once"
cp c.env c.before
ap -e c.env --output json env --from-stack kaviar-prod
is "$(cmp -s c.env c.before; echo $?):$(jget "$AP_OUT" '[o["output"] for o in d["outputs"] if o["key"] == "ALB_DNS"]')" \
	"0:['AlbDns']" "a second run changes nothing in the file; --output json lists key, output and value"

# --- a stack that is not there; a value a key refuses
ap -e c.env env --from-stack kaviar-nope
is "$AP_RC:$(echo "$AP_ERR" | wc -l)" 2:1 "no such stack: exit 2, one line"
like "$AP_ERR" '^awsphase: env --from-stack: no stack kaviar-nope in us-east-2; check the name' "it says which and what to check"
printf 'Resources:\n  Lg: { Type: AWS::Logs::LogGroup, Properties: { LogGroupName: /bad } }\nOutputs:\n  AlbDns: { Value: "not a host!" }\n' >bad.yaml
awscli cloudformation deploy --stack-name kaviar-bad --template-file bad.yaml >/dev/null
ap -e c.env env --from-stack kaviar-bad
is "$AP_RC" 2 "an output a key's pattern refuses: exit 2"
like "$AP_ERR" "output AlbDns \\(ALB_DNS\\): 'not a host!' is not" "it names the output, the key and the value"
ok "$(cmp -s c.env c.before; echo $?)" "... and writes nothing"
ap -e c.env env
is "$AP_RC" 2 "env without --from-stack: exit 2"

# --- the stack served: status, validate
ap -e s.env 4b status
is "$AP_RC" 0 "4b status reads the stack's service"
for _ in 1 2 3 4 5 6 7 8; do
	ap -e s.env 4b validate
	[ "$AP_RC" = 0 ] && break
	sleep 1
done
is "$AP_RC" 0 "4b validate passes against the stack (service, targets, ALB, groups, logs)"

# --- what the stack owns is not changed
deployments() { awscli ecs describe-services --cluster kaviar-cluster --services kaviar-backend-service \
	--query 'services[0].deployments[].id' --output text; }
before=$(deployments)
ap -e s.env 4b deploy --force-new-deployment
is "$AP_RC:$(trace_count mutating)" 2:0 "deploy --force-new-deployment: exit 2, no changing call"
like "$AP_ERR" '^awsphase: 4b deploy: the service kaviar-backend-service belongs to CloudFormation stack kaviar-prod; change it through the stack' \
	"it names the service and its stack"
is "$(deployments)" "$before" "the service's deployments are unchanged"
ap -e s.env --dry-run 4b deploy --force-new-deployment
like "$AP_RC:$AP_ERR" '^0:.*warning: 4b deploy: the service kaviar-backend-service belongs to CloudFormation stack kaviar-prod: a run would refuse' \
	"--dry-run lists the change and warns that a run would refuse it"
ap -e s.env 4b deploy
is "$AP_RC:$(trace_count mutating)" 0:0 "a deploy that would change nothing: exit 0, no changing call"
# drift on what the stack owns is the stack's to mend: refused, read from
# the log group's tags (a call), then from the group's item (none)
awscli logs put-retention-policy --log-group-name /ecs/kaviar-backend --retention-in-days 7
ap -e s.env 4b deploy
is "$AP_RC:$(ops)" "2:" "log group retention drifted: deploy refuses, no changing call"
like "$AP_ERR" 'the log group /ecs/kaviar-backend belongs to CloudFormation stack kaviar-prod' "it names the log group"
awscli logs put-retention-policy --log-group-name /ecs/kaviar-backend --retention-in-days 30
sg=$(val ECS_SG_ID s.env)
awscli ec2 revoke-security-group-ingress --group-id "$sg" --protocol tcp --port 3001 \
	--source-group "$(val ALB_SG_ID s.env)" >/dev/null
ap -e s.env 4b deploy
is "$AP_RC:$(ops):$(grep -c 'tags' "$AP_TRACE_FILE")" "2::0" \
	"a rule gone from the stack's group: refused, its tags read from describe-security-groups"
like "$AP_ERR" 'the security group kaviar-ecs-sg belongs to CloudFormation stack kaviar-prod' "it names the group"
awscli ec2 authorize-security-group-ingress --group-id "$sg" --protocol tcp --port 3001 \
	--source-group "$(val ALB_SG_ID s.env)" >/dev/null
# the load balancer's, listener's and target group's tags: one describe-tags
tg=$(val TG_ARN s.env)
awscli elbv2 modify-target-group --target-group-arn "$tg" --health-check-interval-seconds 30 >/dev/null
ap -e s.env 4b deploy
is "$AP_RC:$(ops):$(grep -c '"describe-tags"' "$AP_TRACE_FILE")" "2::1" \
	"the target group's health check drifted: refused, one describe-tags call, no changing call"
like "$AP_ERR" 'the target group kaviar-backend-tg belongs to CloudFormation stack kaviar-prod' "it names the target group"
awscli ecs register-task-definition --family kaviar-backend --memory 1024 --container-definitions \
	'[{"name":"kaviar-backend","image":"'"$image"'","essential":true}]' >/dev/null
ap -e s.env 4b rollback --to 2
is "$AP_RC:$(ops)" "2:" "rollback of the stack's service to a revision there is: exit 2, no changing call"
like "$AP_ERR" '^awsphase: 4b rollback: the service kaviar-backend-service belongs to CloudFormation stack kaviar-prod' \
	"it names the stack"
ap -e s.env 4b teardown --yes
is "$AP_RC:$(ops)" "2:" "teardown: exit 2, nothing deleted"
like "$AP_ERR" 'belongs to CloudFormation stack kaviar-prod; delete it with the stack' "teardown says to delete it with the stack"
finish
