#!/usr/bin/env bash
# Issue 16: the database password reaches the container as a secret, never
# as plain environment, and the roles get least-privilege inline policies.
# DB_PASSWORD in the env file: deploy keeps it in Secrets Manager (through a
# 0600 file, never an argument: a wrapper records every aws argv), the task
# definition's `secrets` reference it, the execution role may read exactly
# that secret, the task role exactly S3_BUCKET's objects and the queue; a
# second deploy changes nothing; a changed password is put, a policy edited
# by hand is shown by --dry-run and fixed, a deleted secret restored; DB_SECRET_ARN (phase 3's
# RDS-managed secret) is used as given, no secret made.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
plan 26
localaws_start

ACCOUNT=123456789012
BUCKET=$(sed -n 's/^S3_BUCKET=//p' aws-resources.env)
QUEUE=$(sed -n 's/^SQS_QUEUE_URL=//p' aws-resources.env)
ops() { python3 -c 'import json, sys
print(" ".join(a[1] for a in (json.loads(l)["argv"] for l in open(sys.argv[1]) if json.loads(l)["mutating"])
               if "/awsphase/kaviar/history" not in a))' "$AP_TRACE_FILE"; }  # not the deploy history
td() { awscli ecs describe-task-definition --task-definition kaviar-backend --query "taskDefinition.containerDefinitions[0].$1"; }
inline() { awscli iam get-role-policy --role-name "$1" --policy-name "$2" --query PolicyDocument; }

# --- the first deploy, each aws process's argv recorded (one process a call)
cat >"$WORK/aws-wrapper" <<EOF
#!/bin/sh
printf '%s\n' "\$*" >>"$WORK/argv.log"
for a; do case \$a in file://*) stat -L -c '%a' "\${a#file://}" >>"$WORK/files.log"
	ls -A "$WORK/tmp" >>"$WORK/files.log";; esac; done
exec "$AWS_BIN" "\$@"
EOF
chmod +x "$WORK/aws-wrapper"
AP_TRACE_FILE=$WORK/trace.first.jsonl
mkdir "$WORK/tmp"
TMPDIR=$WORK/tmp "$AWSPHASE" --aws "$WORK/aws-wrapper" --aws-mode exec --trace --trace-file "$AP_TRACE_FILE" \
	--timeout 120 4b deploy >"$WORK/out.first" 2>"$WORK/err.first"
is "$?" 0 "deploy with DB_PASSWORD in the env file exits 0"
like "$(cat "$WORK/out.first")" '^✓ secret kaviar/db-password arn:aws:secretsmanager:[^ ]+ \(created: holds DB_PASSWORD\)$' \
	"it creates secret kaviar/db-password"
ARN=$(awscli secretsmanager describe-secret --secret-id kaviar/db-password --query ARN --output text)
[ "$(awscli secretsmanager get-secret-value --secret-id "$ARN" --query SecretString --output text)" = "$SECRET_VALUE" ]
ok $? "the secret holds DB_PASSWORD's value (aws secretsmanager get-secret-value)"
is "$(jget "$(td secrets)" 'd')" "[{'name': 'DB_PASSWORD', 'valueFrom': '$ARN'}]" \
	"the task definition's secrets: DB_PASSWORD from the secret's ARN"
is "$(jget "$(td environment)" '[e["name"] for e in d if "PASSWORD" in e["name"]]')" "[]" \
	"no DB_PASSWORD in its environment"
is "$(jget "$(inline KaviarEcsTaskExecutionRole awsphase-db-secret)" '[(s["Effect"], s["Action"], s["Resource"]) for s in d["Statement"]]')" \
	"[('Allow', 'secretsmanager:GetSecretValue', '$ARN')]" \
	"the execution role may GetSecretValue on exactly that ARN"
is "$(jget "$(inline KaviarEcsTaskRole awsphase-app-access)" '[(s["Action"], s["Resource"]) for s in d["Statement"]]')" \
	"[(['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], 'arn:aws:s3:::$BUCKET/*'), ('s3:ListBucket', 'arn:aws:s3:::$BUCKET'), (['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'], 'arn:aws:sqs:us-east-2:$ACCOUNT:${QUEUE##*/}')]" \
	"the task role's policy names exactly S3_BUCKET's objects and the queue's ARN"
grep -q '^+ .*secretsmanager create-secret' "$WORK/err.first" && grep -c . "$WORK/argv.log" | grep -qv '^0$'
ok $? "the artifacts are there: --trace lines, the argv of every aws process"
is "$(secret_leaks)" "" "the value is in no stdout, stderr, --trace, trace file, nor any aws argv"
like "$(grep -h 'create-secret' "$WORK/argv.log")" '--secret-string file:///' "create-secret reads it from a file"
is "$(cat "$WORK/files.log")" 600 "a file only its owner reads, with no name in TMPDIR while aws reads it"
is "$(ls -A "$WORK/tmp")" "" "nor after"

unlike "$(cat "$WORK/err.first")" 'DB_PASSWORD is a secret' "no warning: DB_PASSWORD is taken care of"

# --- converged: a second deploy changes nothing (it reads the value: in
# JSON and at -vv too, the value shows nowhere, as the leak check at the end
# proves for every file of the work dir)
ap -o json -vv --timeout 120 4b deploy
is "$AP_RC:$(ops)" "0:" "a second deploy: exit 0, no mutating call"

# --- a new password: put, no new revision
sed -i 's/^DB_PASSWORD=.*/DB_PASSWORD="n3w-Pa55w0rd-2"/' aws-resources.env
ap --timeout 120 4b deploy
is "$AP_RC:$(ops)" "0:put-secret-value" "a changed DB_PASSWORD: put-secret-value alone"
like "$AP_OUT" 'secret kaviar/db-password .*\(updated: value → the env file.s DB_PASSWORD' "its line says so, not the value"
unlike "$AP_OUT$AP_ERR$(cat "$AP_TRACE_FILE")" 'n3w-Pa55w0rd-2' "nor shows the new one"

# --- a policy changed by hand: shown by --dry-run, fixed by deploy
awscli iam put-role-policy --role-name KaviarEcsTaskRole --policy-name awsphase-app-access \
	--policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'
ap --dry-run 4b deploy
# (and the deploy history's event, listed too)
is "$AP_RC:$(grep '"dry_run": *true' "$AP_TRACE_FILE" | grep -vc '/awsphase/kaviar/history')" 0:1 \
	"--dry-run: one call listed, none run"
like "$AP_OUT" "IAM role KaviarEcsTaskRole \(would update: policy awsphase-app-access → s3 $BUCKET, sqs ${QUEUE##*/}" \
	"it shows the task role's policy differs"
ap --timeout 120 4b deploy
is "$AP_RC:$(ops)" "0:put-role-policy" "deploy puts it back"
like "$(inline KaviarEcsTaskRole awsphase-app-access)" "arn:aws:s3:::$BUCKET/\*" "the least-privilege policy again"

# --- the secret deleted by hand (scheduled for deletion): restored
awscli secretsmanager delete-secret --secret-id kaviar/db-password >/dev/null
ap --timeout 120 4b deploy
is "$AP_RC:$(ops)" "0:restore-secret" "a secret scheduled for deletion: deploy restores it"
ap --timeout 120 4b deploy
is "$AP_RC:$(ops)" "0:" "then nothing to do: the value it came back with is the env file's"

# --- DB_SECRET_ARN: phase 3's secret, used as given
SECRETS_BEFORE=$(awscli secretsmanager list-secrets --query 'length(SecretList)')
RDS_ARN=$(awscli secretsmanager create-secret --name "rds!db-0f1e2d3c" \
	--secret-string '{"username":"kaviar","password":"rds-managed-pw"}' --query ARN --output text)
echo "DB_SECRET_ARN=$RDS_ARN" >>aws-resources.env
ap --timeout 120 4b deploy
is "$AP_RC:$(ops)" "0:put-role-policy register-task-definition update-service" \
	"with DB_SECRET_ARN: the execution role's policy, a revision, the service; no secret made"
is "$(jget "$(td secrets)" 'sorted((s["name"], s["valueFrom"]) for s in d)')" \
	"[('DB_PASSWORD', '$RDS_ARN:password::'), ('DB_USERNAME', '$RDS_ARN:username::')]" \
	"valueFrom: its password and username"
is "$(jget "$(inline KaviarEcsTaskExecutionRole awsphase-db-secret)" '[s["Resource"] for s in d["Statement"]]'):$(awscli secretsmanager list-secrets --query 'length(SecretList)')" \
	"['$RDS_ARN']:$((SECRETS_BEFORE + 1))" "the execution role reads that one; no other secret was made"
finish
