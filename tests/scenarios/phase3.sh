#!/usr/bin/env bash
# Phase 3 (data) on an account with a VPC and two private subnets: the
# --dry-run plan; a bucket name AWS would refuse is bad input; deploys
# SIGKILLed after their first create-security-group and create-db-instance
# converge on the next with one of each; the settings as awscli reads them
# (RDS private, encrypted, backups, deletion protection, password in
# Secrets Manager and nowhere else; bucket blocked, encrypted, versioned;
# queues with SSE and a redrive policy); a second deploy makes no mutating
# call (also with the CLI v1); drift shown by --dry-run and fixed; teardown
# stopping before the data without --delete-data, leaving nothing with it.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
plan 52

localaws_start --scenario empty
ctl config '{"rds_creating_s":0.6,"rds_backing_up_s":0.3,"rds_modifying_s":0.3,"rds_deleting_s":0.6,
	"cache_creating_s":0.4,"cache_deleting_s":0.4,"sqs_deleted_recently_s":0.6}' >/dev/null
vpc=$(awscli ec2 create-vpc --cidr-block 10.0.0.0/16 --query Vpc.VpcId --output text)
sn() { awscli ec2 create-subnet --vpc-id "$vpc" --cidr-block "$1" --availability-zone "$2" --query Subnet.SubnetId --output text; }
s1=$(sn 10.0.11.0/24 us-east-2a) && s2=$(sn 10.0.12.0/24 us-east-2b)
ENV0=$(printf 'AWS_REGION=us-east-2\nVPC_ID=%s\nPRIVATE_SUBNET_1=%s\nPRIVATE_SUBNET_2=%s' "$vpc" "$s1" "$s2")
printf '%s\n' "$ENV0" >a.env
p3() { ap -e a.env --timeout 120 "$@"; }
ops() { python3 -c 'import json, sys
print(" ".join(json.loads(l)["argv"][1] for l in open(sys.argv[1]) if json.loads(l)["mutating"]))' "$AP_TRACE_FILE" | tr ' ' '\n' | sort | paste -sd' '; }
res() { jget "$(ctl resources)" "$1"; }
BUCKET=kaviar-uploads-123456789012
DB='rds describe-db-instances --db-instance-identifier kaviar-db --query DBInstances[0]'

# --- its place in up: after phase 1 (VPC_ID, PRIVATE_SUBNET_*), before 4B
ap list --output json
is "$(jget "$AP_OUT" '[(m["name"], m["up_order"] is not None) for m in d["modules"] if m["name"] in ("3", "4b")] + [sorted(m["provides"]) for m in d["modules"] if m["name"] == "3"]')" \
	"[('3', True), ('4b', True), ['DB_SECRET_ARN', 'RDS_ENDPOINT', 'RDS_SG_ID', 'REDIS_ENDPOINT', 'REDIS_SG_ID', 'S3_BUCKET', 'SQS_QUEUE_URL']]" \
	"list: phase 3 is in up and provides the keys 4B reads"
like "$(ap list; printf '%s' "$AP_OUT")" '^awsphase up runs: (.* → )?3 → (.* → )?4b' "up runs 3 before 4b"

# --- the plan
p3 --dry-run data deploy
is "$AP_RC:$(trace_count mutating):$(trace_count dry_run)" "0:12:12" "--dry-run: exit 0, twelve creates and puts listed, none run"
like "$AP_OUT" '^• RDS instance kaviar-db \(would create: PostgreSQL, private, encrypted, backups 7 days, deletion protection, password in Secrets Manager\)$' \
	"the plan lists the database with its settings"
is "$(cat a.env)" "$ENV0" "nothing written"

# --- bad input: a bucket name AWS refuses
for bad in Kaviar_Uploads "kaviar-uploads-$(printf 'x%.0s' $(seq 50))"; do
	printf '%s\nS3_BUCKET=%s\n' "$ENV0" "$bad" >bad.env
	ap -e bad.env 3 deploy
	is "$AP_RC:$(trace_count):$(printf '%s\n' "$AP_ERR" | grep -c .)" "2:0:1" "S3_BUCKET=${bad:0:20}…: exit 2, no aws call, one line"
done
like "$AP_ERR" "^awsphase: .*bad.env:[0-9]+: S3_BUCKET: '.*' is not .*; fix the value$" "... saying what, why and what to do"
is "$(res 'd["buckets"], d["security_groups"].get("kaviar-rds-sg", 0)')" "(0, 0)" "nothing made"

# --- deploys killed halfway
# killed_after OP ACTION…: awsphase 3 ACTION…, SIGKILLed once its trace shows a mutating OP
killed_after() {
	local pid end op=$1 trace=$WORK/trace.killed.$1.jsonl
	shift
	: >"$trace"
	"$AWSPHASE" --aws "$AWS_BIN" --trace-file "$trace" --timeout 120 -e a.env 3 "$@" >"$WORK/out" 2>"$WORK/err" &
	pid=$!
	end=$(($(date +%s) + 60))
	while [ "$(date +%s)" -lt "$end" ] && ! grep -q "\"$op\".*\"mutating\": *true" "$trace"; do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.01
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	KILLED_RC=$?
}
killed_after create-security-group deploy
is "$KILLED_RC" 137 "a deploy SIGKILLed after its first create-security-group"
killed_after create-db-instance deploy
is "$KILLED_RC" 137 "the next SIGKILLed after create-db-instance, while the instance is creating"
p3 3 deploy
is "$AP_RC" 0 "the next deploy exits 0"
[ "$AP_RC" -eq 0 ] || diag "$AP_ERR"
unlike "$(ops)" 'create-db-instance|create-security-group' "... creating neither the instance nor a group again"
is "$(res '[d[k] for k in ("db_instances", "cache_clusters", "buckets", "queues", "secrets")] + [d["security_groups"].get(g) for g in ("kaviar-rds-sg", "kaviar-redis-sg")] + [d["db_subnet_groups"], d["cache_subnet_groups"]]')" \
	"[1, 1, 1, 2, 1, 1, 1, ['kaviar-db-subnets'], ['kaviar-redis-subnets']]" \
	"one of each: instance, cluster, bucket, two queues, secret, groups, subnet groups"

# --- what AWS holds
is "$(awscli $DB'.[StorageEncrypted, DeletionProtection, PubliclyAccessible, BackupRetentionPeriod > `0`, DBInstanceStatus, DBSubnetGroup.DBSubnetGroupName]' --output text | tr '\t' ' ')" \
	"True True False True available kaviar-db-subnets" "RDS: encrypted, deletion protection, not public, backups kept, available, in its subnet group"
secret=$(awscli $DB.MasterUserSecret.SecretArn --output text)
like "$secret" '^arn:aws:secretsmanager:us-east-2:123456789012:secret:rds!db-' "the master password is in Secrets Manager (MasterUserSecret)"
. ./a.env
is "$RDS_ENDPOINT:$DB_SECRET_ARN:$RDS_SG_ID" \
	"$(awscli $DB.Endpoint.Address --output text):$secret:$(awscli ec2 describe-security-groups --filters Name=group-name,Values=kaviar-rds-sg --query 'SecurityGroups[0].GroupId' --output text)" \
	"RDS_ENDPOINT, DB_SECRET_ARN and RDS_SG_ID written"
like "$REDIS_ENDPOINT:$REDIS_SG_ID:$S3_BUCKET:$SQS_QUEUE_URL" \
	"^kaviar-redis\..*\.cache\.amazonaws\.com:sg-[0-9a-f]+:$BUCKET:https://sqs\.us-east-2\.amazonaws\.com/123456789012/kaviar-jobs$" \
	"REDIS_ENDPOINT, REDIS_SG_ID, S3_BUCKET and SQS_QUEUE_URL written"
password=$(awscli secretsmanager get-secret-value --secret-id "$secret" --query SecretString --output text | jget "$(cat)" 'd["password"]')
[ ${#password} -ge 16 ] && ! grep -rqF -- "$password" "$WORK"
ok $? "the generated password is in no output, trace or env file"
is "$(awscli ec2 describe-security-groups --group-ids "$RDS_SG_ID" "$REDIS_SG_ID" --query 'length(SecurityGroups[].IpPermissions[])')" 0 \
	"the groups let nothing in of their own"
is "$(awscli s3api get-public-access-block --bucket $BUCKET --query 'PublicAccessBlockConfiguration.[BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets]' --output text | tr '\t' ' ')" \
	"True True True True" "S3: public access blocked"
is "$(awscli s3api get-bucket-encryption --bucket $BUCKET --query 'ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm' --output text):$(awscli s3api get-bucket-versioning --bucket $BUCKET --query Status --output text)" \
	"AES256:Enabled" "S3: default encryption, versioning"
q=$(awscli sqs get-queue-attributes --queue-url "$SQS_QUEUE_URL" --attribute-names All --query Attributes)
is "$(jget "$q" 'd["SqsManagedSseEnabled"] + " " + d["RedrivePolicy"]')" \
	"true {\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-2:123456789012:kaviar-jobs-dlq\",\"maxReceiveCount\":5}" \
	"SQS: SSE and the redrive policy to kaviar-jobs-dlq"
is "$(awscli sqs get-queue-attributes --queue-url "${SQS_QUEUE_URL}-dlq" --attribute-names SqsManagedSseEnabled --query Attributes.SqsManagedSseEnabled --output text)" \
	true "SQS: the dead-letter queue is encrypted too"

# --- converged
p3 3 deploy
# and the account guard's sts call before a changing action (issue 18)
is "$AP_RC:$(trace_count mutating):$(trace_count)" "0:0:14" "a second deploy: exit 0, no mutating call, thirteen reads and sts"
p3 3 validate
is "$AP_RC:$(printf '%s\n' "$AP_OUT" | grep -c '^\[ok\]')" "0:7" "validate: exit 0, seven checks pass"
p3 --output json 3 status
is "$AP_RC:$(jget "$AP_OUT" '[r["state"] for r in d["phase 3"] if r["resource"] in ("RDS instance", "ElastiCache cluster")]')" \
	"0:['available', 'available']" "status --output json: the instance and the cluster available"
V1=$(PATH=$(printf %s "$PATH" | tr : '\n' | grep -v '^/usr/bin$' | paste -sd:) command -v aws)
if [ -n "$V1" ] && "$V1" --version 2>&1 | grep -q '^aws-cli/1\.'; then
	AWS_BIN=$V1 p3 3 deploy
	is "$AP_RC:$(trace_count mutating)" "0:0" "with the aws CLI v1 too: exit 0, no mutating call"
else
	ok 0 "# SKIP no aws CLI v1 on PATH"
fi

# --- an instance made otherwise, unencrypted (as the runbook's scripts made it): not taken over
awscli rds create-db-instance --db-instance-identifier legacy-db --engine postgres --db-instance-class db.t3.micro \
	--allocated-storage 20 --master-username kaviar --master-user-password not-the-secret-1 \
	--db-subnet-group-name kaviar-db-subnets --no-publicly-accessible >/dev/null
printf '%s\nDB_INSTANCE_ID=legacy-db\n' "$ENV0" >legacy.env
ap -e legacy.env 3 deploy
is "$AP_RC:$(trace_count mutating)" "1:0" "an unencrypted instance: deploy exits 1, changing nothing"
like "$AP_ERR" 'RDS instance legacy-db: its storage is not encrypted, and encryption cannot be turned on in place: .*restore it as a new instance' \
	"... saying what to do"
awscli rds delete-db-instance --db-instance-identifier legacy-db --skip-final-snapshot >/dev/null

# --- drift: public access allowed, the redrive policy removed, the database's group opened and its
# deletion protection turned off
awscli rds modify-db-instance --db-instance-identifier kaviar-db --no-deletion-protection --apply-immediately >/dev/null &&
	awscli s3api put-public-access-block --bucket $BUCKET --public-access-block-configuration \
	BlockPublicAcls=false,IgnorePublicAcls=false,BlockPublicPolicy=false,RestrictPublicBuckets=false &&
	awscli sqs set-queue-attributes --queue-url "$SQS_QUEUE_URL" --attributes RedrivePolicy= &&
	awscli ec2 authorize-security-group-ingress --group-id "$RDS_SG_ID" --protocol tcp --port 5432 --cidr 0.0.0.0/0 >/dev/null
ok $? "drift made by hand"
p3 3 validate
is "$AP_RC:$(printf '%s\n' "$AP_OUT" | grep -c '^\[FAIL\]')" "1:4" "validate fails on the four"
p3 --dry-run 3 deploy
is "$AP_RC:$(trace_count mutating):$(trace_count dry_run)" "0:4:4" "--dry-run: exit 0, four fixes listed, none run"
like "$AP_OUT" '• S3 bucket kaviar-uploads-123456789012 \(would update: public access BlockPublicAcls IgnorePublicAcls BlockPublicPolicy RestrictPublicBuckets off → blocked\)' \
	"it shows the public access block"
like "$AP_OUT" '• queue kaviar-jobs https://[^ ]+ \(would update: redrive policy none → kaviar-jobs-dlq after 5 receives\)' "... the redrive policy"
like "$AP_OUT" '• security group kaviar-rds-sg sg-[0-9a-f]+ \(would update: ingress tcp 5432 from 0.0.0.0/0 → none\)' "... the open group"
like "$AP_OUT" '• RDS instance kaviar-db [^ ]+ \(would update: deletion protection off → on\)' "... and the deletion protection"
p3 3 deploy
is "$AP_RC:$(ops)" "0:modify-db-instance put-public-access-block revoke-security-group-ingress set-queue-attributes" \
	"deploy makes the four fixes"
is "$(awscli s3api get-public-access-block --bucket $BUCKET --query 'PublicAccessBlockConfiguration.BlockPublicAcls'):$(awscli sqs get-queue-attributes --queue-url "$SQS_QUEUE_URL" --attribute-names RedrivePolicy --query 'Attributes.RedrivePolicy' --output text | grep -c kaviar-jobs-dlq)" \
	"true:1" "public access blocked again, the redrive policy back"
is "$(awscli $DB.DeletionProtection)" true "deletion protection on again"
p3 3 deploy
is "$AP_RC:$(trace_count mutating)" "0:0" "then a deploy makes no mutating call"

# --- teardown: the data only with --delete-data
awscli s3api put-object --bucket $BUCKET --key uploads/a.txt --body a.env >/dev/null &&
	awscli s3api delete-object --bucket $BUCKET --key uploads/a.txt >/dev/null
ok $? "an object put and deleted: a version and a delete marker"
p3 3 teardown --yes
is "$AP_RC:$(trace_count mutating)" "1:0" "teardown --yes: exit 1, nothing deleted"
like "$AP_ERR" 'RDS instance kaviar-db has deletion protection on, and teardown deletes no data unasked.*--delete-data' \
	"... stopping before the database, saying why"
like "$AP_ERR" "S3 bucket $BUCKET holds 2 object version\(s\), and teardown deletes no data unasked.*--delete-data" \
	"... and before the bucket"
# Calls in flight when awsphase dies still reach AWS: the instance's
# modify-db-instance (deletion protection off) is held 3 s by the local AWS,
# so the kill always comes before the delete-db-instance that follows it.
ctl faults '{"rules": [{"service": "rds", "action": "ModifyDBInstance", "count": 1, "freeze_s": 3}]}' >/dev/null
killed_after delete-objects teardown --yes --delete-data
ctl faults '{"rules": []}' >/dev/null
is "$KILLED_RC:$(res 'd["db_instances"]')" "137:1" \
	"teardown --delete-data SIGKILLed after it began emptying the bucket: the instance is there"
p3 3 teardown --yes
is "$AP_RC:$(trace_count mutating)" "1:0" "... and still kept without --delete-data"
p3 3 teardown --yes --delete-data
is "$AP_RC" 0 "teardown --yes --delete-data exits 0"
[ "$AP_RC" -eq 0 ] || diag "$AP_ERR"
like "$(grep '"delete-db-instance"' "$AP_TRACE_FILE")" '"--skip-final-snapshot"' "the instance deleted without a final snapshot"
is "$(res '[d[k] for k in ("db_instances", "cache_clusters", "buckets", "queues", "secrets")] + [d["security_groups"].get(g, 0) for g in ("kaviar-rds-sg", "kaviar-redis-sg")] + [d["db_subnet_groups"], d["cache_subnet_groups"], d["db_snapshots"]]')" \
	"[0, 0, 0, 0, 0, 0, 0, [], [], []]" "nothing of phase 3 is left, no snapshot either (/resources)"
# the account it was deployed with stays: the env file is still that account's (issue 18)
is "$(cat a.env)" "$ENV0
AWS_ACCOUNT_ID=123456789012" "its keys left the env file, the account stays"
p3 3 teardown --yes
is "$AP_RC:$(trace_count mutating)" "0:0" "a second teardown: exit 0, no mutating call"
finish
