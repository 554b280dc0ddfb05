#!/usr/bin/env bash
# awsphase export --format cloudformation of phase 3 (the data), with phase
# 1 under it: from an empty account `up --to 3`, then the template, written
# with no aws call, which cfn-lint (else validate-template) accepts, whose
# every phase 3 property matches, field by field, what awsphase's deploy
# made (fixtures/cfn-data-template.py against fixtures/cfn-data-settings.py),
# with an Output per key phase 3 writes and Snapshot on the database;
# --adopt's import ids are the live ones; 4B exported with it refers to
# its groups and instance.  Then on a fresh local AWS `aws
# cloudformation deploy` of the template makes a stack whose settings match
# awsphase's.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
. "$top_srcdir/tests/scenarios/reliability-lib.sh"
plan 16

settings() { python3 "$top_srcdir/tests/scenarios/fixtures/cfn-data-settings.py" "$LOCALAWS_ENDPOINT" "$S3_BUCKET"; }

localaws_start --scenario empty
fast_sim
printf 'AWS_REGION=us-east-2\n' >aws-resources.env
ap --timeout 300 up --to 3
is "$AP_RC" 0 "up --to 3 (phases 1 and 3) on an empty account"
[ "$AP_RC" -eq 0 ] || diag "$(tail -n 8 err)"
. ./aws-resources.env

# --- the template
ap export --phase 1 --phase 3 -o t.yaml
is "$AP_RC:$(trace_count all)" 0:0 "export --phase 1 --phase 3: exit 0, no aws call"
template_ok t.yaml "the template"
shape=$(python3 - t.yaml <<'PY'
import sys, yaml
t = yaml.safe_load(open(sys.argv[1]))
o, r = t["Outputs"], t["Resources"]
print(" ".join(sorted(k for k in o if not k.startswith(("Vpc", "PublicSubnet", "PrivateSubnet")))))
print(o["DbSecretArn"]["Value"], o["RedisEndpoint"]["Value"], r["Db"]["DeletionPolicy"], r["Bucket"]["DeletionPolicy"],
      r["Db"]["Properties"]["DBSubnetGroupName"], r["DbSubnets"]["Properties"]["SubnetIds"][0])
PY
)
is "$(sed -n 1p <<<"$shape")" "DbSecretArn RdsEndpoint RdsSgId RedisEndpoint RedisSgId S3Bucket SqsQueueUrl" \
	"an Output for each key phase 3 writes, named after it"
is "$(sed -n 2p <<<"$shape")" "{'Fn::GetAtt': ['Db', 'MasterUserSecret.SecretArn']} {'Fn::GetAtt': ['Redis', 'RedisEndpoint.Address']} Snapshot Retain {'Ref': 'DbSubnets'} {'Ref': 'SubnetPrivate1'}" \
	"DB_SECRET_ARN is the instance's secret; a final snapshot, the bucket kept; phase 1's subnets referenced"
settings >before.json
diff=$(python3 "$top_srcdir/tests/scenarios/fixtures/cfn-data-template.py" t.yaml before.json 2>fields)
is "$(cat fields):$diff" "29 fields:" "every property the template sets is what awsphase's deploy made"
[ -z "$diff" ] || diag "$diff"

# --- --adopt
ap export --phase 3 -o adopt.yaml --adopt
is "$AP_RC:$(trace_count all)" 0:0 "export --adopt: exit 0, no aws call (the ids are the env file's)"
dlq=$(awscli sqs get-queue-url --queue-name kaviar-jobs-dlq --query QueueUrl --output text)
check=$(python3 - adopt.yaml adopt.import.json <<PY
import json, sys, yaml
t = yaml.safe_load(open(sys.argv[1]))
got = {i["LogicalResourceId"]: i["ResourceIdentifier"] for i in json.load(open(sys.argv[2]))}
want = {"RdsSecurityGroup": {"Id": "$RDS_SG_ID"}, "RedisSecurityGroup": {"Id": "$REDIS_SG_ID"},
        "DbSubnets": {"DBSubnetGroupName": "kaviar-db-subnets"}, "Db": {"DBInstanceIdentifier": "kaviar-db"},
        "CacheSubnets": {"CacheSubnetGroupName": "kaviar-redis-subnets"}, "Redis": {"ClusterName": "kaviar-redis"},
        "Bucket": {"BucketName": "$S3_BUCKET"}, "Queue": {"QueueUrl": "$SQS_QUEUE_URL"},
        "DeadLetterQueue": {"QueueUrl": "$dlq"}}
print(sorted(k for k in want if got.get(k) != want[k]), sorted(set(got) - set(want)),
      sorted({r.get("DeletionPolicy") for r in t["Resources"].values()}))
PY
)
is "$check" "[] [] ['Retain']" "--adopt: the import file names all nine by their live ids; Retain on each"
live=$(awscli rds describe-db-instances --db-instance-identifier kaviar-db --query 'DBInstances[0].DBSubnetGroup.DBSubnetGroupName' --output text)
is "$live" kaviar-db-subnets "... the DB subnet group's name is the one the instance is in"

# --- 4B exported with phase 3 (the fixture env file, offline): its rules on
# phase 3's groups and the task's database secret are references to them
{ cat "$top_srcdir/tests/scenarios/fixtures/aws-resources.env"
  echo 'DB_SECRET_ARN=arn:aws:secretsmanager:us-east-2:123456789012:secret:rds!db-1-AbCdEf'; } >p4b.env
ap -e p4b.env export --phase 3 --phase 4b -o p4b.yaml
refs=$(python3 - p4b.yaml <<'PY'
import sys, yaml
t = yaml.safe_load(open(sys.argv[1]))
r = t["Resources"]
c = r["TaskDefinition"]["Properties"]["ContainerDefinitions"][0]
print(r["RdsFromEcs"]["Properties"]["GroupId"], r["RedisFromEcs"]["Properties"]["GroupId"],
      c["Secrets"][0]["ValueFrom"]["Fn::Sub"][1]["V"], sorted(k for k in t["Parameters"] if k in ("RdsSgId", "RedisSgId", "DbSecretArn")))
PY
)
is "$AP_RC:$(trace_count all):$refs" "0:0:{'Fn::GetAtt': ['RdsSecurityGroup', 'GroupId']} {'Fn::GetAtt': ['RedisSecurityGroup', 'GroupId']} {'Fn::GetAtt': ['Db', 'MasterUserSecret.SecretArn']} []" \
	"with 4B: its rules and the task's secret refer to phase 3's groups and instance, not parameters"

# --- a fresh local AWS: the stack by CloudFormation, every resource (the
# local AWS's CloudFormation made to make RDS instances, buckets and
# ElastiCache as AWS does: tests/cloud/localaws_lib/cfn.py)
old=$WORK
"$top_srcdir/tests/cloud/localaws-stop" "$LOCALAWS_PID" >/dev/null 2>&1
localaws_start --scenario empty
cp "$old/t.yaml" "$old/before.json" . && rm -rf "$old"
awscli cloudformation deploy --template-file t.yaml --stack-name kaviar-data >cfn.out 2>&1
rc=$?
is "$rc:$(awscli cloudformation describe-stacks --stack-name kaviar-data --query 'Stacks[0].StackStatus' --output text)" \
	"0:CREATE_COMPLETE" "aws cloudformation deploy of the template, no overrides"
[ "$rc" -eq 0 ] || diag "$(tail -n 5 cfn.out)"
settings >after.json
diff=$(python3 - before.json after.json <<'PY'
import json, sys
b, a = (json.load(open(f)) for f in sys.argv[1:])
print(sum(1 for k in b if b[k] is not None and b[k] == a[k]))
for k in b:
    if b[k] != a[k]:
        print(k, b[k], a[k])
PY
)
is "$diff" 6 "the stack's groups, database, cache, bucket and queues match awsphase's deploy's, field by field"
out=$(awscli cloudformation describe-stacks --stack-name kaviar-data --query 'Stacks[0].Outputs[?OutputKey==`DbSecretArn`||OutputKey==`S3Bucket`||OutputKey==`RedisEndpoint`].OutputValue' --output text)
like "$out" "arn:aws:secretsmanager:us-east-2:[0-9]{12}:secret:.*" "the DbSecretArn output is the secret RDS keeps the password in"
like "$out" "$S3_BUCKET" "... S3Bucket the bucket's name"
like "$out" "kaviar-redis\\.[0-9a-f]+\\.0001\\.use2\\.cache\\.amazonaws\\.com" "... and RedisEndpoint the cache node's address"

# the groups' description is one EC2 takes (phase 3's had an apostrophe,
# which cfn-lint caught and AWS refuses: the local AWS refuses it too now)
vpc=$(awscli ec2 describe-vpcs --query 'Vpcs[?IsDefault==`false`]|[0].VpcId' --output text)
awscli ec2 create-security-group --group-name quote-sg --vpc-id "$vpc" \
	--description "ingress only from the ECS tasks' group" >/dev/null 2>quote.err
like "$?:$(tr -s "\n" " " <quote.err)" "^[1-9][0-9]*:.*InvalidParameterValue.*Invalid security group description" \
	"an apostrophe in a group's description is refused, as EC2 does"

finish
