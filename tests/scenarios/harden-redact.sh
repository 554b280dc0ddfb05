#!/usr/bin/env bash
# Issue 20, hardening: redaction hides secret values as tokens of their own
# and never inside another token, so --output json stays valid and every id
# exact whatever the env file holds; values too short to hide are said, not
# starred; AWSPHASE_NOT_SECRET is the way out for keys that only look like
# secrets; the user:password@ of an endpoint URL is masked where shown but
# reaches aws; a trace file that cannot be written is said once; bidi
# controls in env-file values are escaped in errors.  No AWS: the aws CLI is
# tests/unit/fake-aws (with --jobs 1, its scripted answers come in order).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"

FIXTURE=$top_srcdir/tests/scenarios/fixtures/aws-resources.env
FAKE=$top_builddir/tests/unit/fake-aws
WORK=$(mktemp -d "${TMPDIR:-/tmp}/awsphase-harden.XXXXXX")
cd "$WORK" || exit 1
ENVF=$WORK/aws-resources.env
TGARN=arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/kaviar-backend-tg/1a2b3c4d5e6f7081
SGID=sg-8bbefc321c12564
TD=arn:aws:ecs:us-east-2:123456789012:task-definition/kaviar-backend:11

# The answers of 4b status's five reads, in the order --jobs 1 makes them
# (target health last: it needs the target group's ARN).
STATUS_SCRIPT=$(printf '%s\n' \
	"0	{\"TargetGroups\":[{\"TargetGroupName\":\"kaviar-backend-tg\",\"TargetGroupArn\":\"$TGARN\"}]}	" \
	"0	{\"taskArns\":[]}	" \
	"0	{\"LoadBalancers\":[{\"LoadBalancerName\":\"kaviar-alb\",\"DNSName\":\"kaviar-alb-1.us-east-2.elb.amazonaws.com\",\"State\":{\"Code\":\"active\"},\"SecurityGroups\":[\"$SGID\"]}]}	" \
	"0	{\"services\":[{\"serviceName\":\"kaviar-backend-service\",\"status\":\"ACTIVE\",\"runningCount\":1,\"desiredCount\":1,\"pendingCount\":0,\"taskDefinition\":\"$TD\",\"deployments\":[],\"events\":[]}],\"failures\":[]}	" \
	"0	{\"TargetHealthDescriptions\":[{\"Target\":{\"Id\":\"10.0.1.11\",\"Port\":3001},\"TargetHealth\":{\"State\":\"healthy\"}}]}	")

# run ARGS…: awsphase on ENVF with fake-aws, -x on stderr, a trace file.
run() {
	: >"$WORK/trace.jsonl"
	rm -f "$WORK/fake.state"
	FAKE_AWS_STATE=$WORK/fake.state FAKE_AWS_SCRIPT=${SCRIPT:-$STATUS_SCRIPT} \
		"$AWSPHASE" --aws "${AWS_FOR_RUN:-$FAKE}" --aws-mode exec --jobs 1 -e "$ENVF" "$@" \
		>"$WORK/out" 2>"$WORK/err" </dev/null
	RC=$?
}
valid_json() { python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$1" 2>/dev/null; }
jq_() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }
fixture() { cp "$FIXTURE" "$ENVF"; chmod 600 "$ENVF"; printf '%s\n' "$@" >>"$ENVF"; }

plan 31

# ---- short values of keys that look like secrets --------------------------
fixture JWT_TOKEN_TTL_HOURS=1 API_SECRET=true SESSION_TOKEN=false
run -x --trace-file "$WORK/trace.jsonl" 4b status --output json
is "$RC" 0 "status with short 'secrets' in the env file: exit 0 as without them"
valid_json "$WORK/out"
ok $? "--output json is valid JSON (no \"ok\": ***)"
is "$(jq_ "$WORK/out" 'd["service"][0]["Running"], d["service"][0]["Task definition"], d["exit_code"], d["ok"]')" \
	"('1', 'kaviar-backend:11', 0, True)" "counts, ids, exit code and ok exact in the document"
is "$(jq_ "$WORK/out" 'd["targets"][0]["Target"], d["load balancer"][0]["DNS name"]')" \
	"('10.0.1.11:3001', 'kaviar-alb-1.us-east-2.elb.amazonaws.com')" "the target and the DNS name are whole"
unlike "$(cat "$WORK/out" "$WORK/err" "$WORK/trace.jsonl")" '\*\*\*' "nothing is starred: a one-letter value is not spelled out"
like "$(grep -F -- '+ ' "$WORK/err" | grep -F describe-target-health)" \
	"--target-group-arn $TGARN --region us-east-2" "the -x trace keeps ids exact (copy-pasteable)"
like "$(grep -F describe-target-health "$WORK/trace.jsonl")" "\"$TGARN\"" "so does the trace file"
is "$(grep -c '^awsphase: warning: .*too short to hide' "$WORK/err")" 3 "one warning per short value"
like "$(cat "$WORK/err")" \
	"awsphase: warning: $ENVF:2[0-9]: JWT_TOKEN_TTL_HOURS is too short to hide in output \\(under 8 characters\\).*; use a longer secret, or list JWT_TOKEN_TTL_HOURS in AWSPHASE_NOT_SECRET" \
	"the warning names file, line, key and both ways out"

# ---- the way out: AWSPHASE_NOT_SECRET -------------------------------------
fixture 'AWSPHASE_NOT_SECRET="JWT_TOKEN_TTL_HOURS API_SECRET,SESSION_TOKEN"' \
	JWT_TOKEN_TTL_HOURS=1 API_SECRET=true SESSION_TOKEN=false STRIPE_API_TOKEN=sk-live-0123456789
run 4b status --output json
is "$RC" 0 "AWSPHASE_NOT_SECRET: exit 0 as before"
unlike "$(cat "$WORK/err")" 'too short|JWT_TOKEN_TTL_HOURS is a secret' "the listed keys are no secrets: no warning"
valid_json "$WORK/out"
ok $? "and the document is valid"
SCRIPT=$'0\t{}\t' run 4b deploy --dry-run
unlike "$(cat "$WORK/err")" '(JWT_TOKEN_TTL_HOURS|API_SECRET|SESSION_TOKEN|AWSPHASE_NOT_SECRET) is a secret' \
	"deploy does not call the listed keys, or the list, secrets"
like "$(cat "$WORK/err")" 'STRIPE_API_TOKEN is a secret and is not passed' "a key not listed still is one"
unlike "$(cat "$WORK/err")" 'DB_PASSWORD is a secret' "DB_PASSWORD is no warning: deploy keeps it in Secrets Manager"

# ---- a long secret next to ids it is part of --------------------------------
# 1a2b3c4d starts the last part of the target group ARN, backend-service
# ends the service name: parts of other tokens, not tokens of their own.
fixture APP_SECRET_A=1a2b3c4d APP_SECRET_B=backend-service
run -x --trace-file "$WORK/trace.jsonl" 4b status --output json
valid_json "$WORK/out"
ok $? "long secrets: valid JSON"
like "$(cat "$WORK/out")" '"Service":	"kaviar-backend-service"' "a secret inside the service name leaves it exact"
like "$(cat "$WORK/err")" "--target-group-arn $TGARN " "and one inside the ARN in the -x trace"
unlike "$(cat "$WORK/out" "$WORK/err" "$WORK/trace.jsonl")" '\*\*\*' "nothing is starred"

# ---- the secret itself still never shows ------------------------------------
fixture DEPLOY_TOKEN=prod-cluster-2026 ECS_CLUSTER=prod-cluster-2026
SCRIPT=$'0\t{}\t' run -x --trace-file "$WORK/trace.jsonl" 4b status --output json
valid_json "$WORK/out"
ok $? "a secret used as a value: valid JSON"
unlike "$(cat "$WORK/out" "$WORK/err" "$WORK/trace.jsonl")" 'prod-cluster-2026' "it is in no output, -x line or trace file"
like "$(grep -F list-tasks "$WORK/err")" "--cluster '\\*\\*\\*' " "-x hides it, quoted for the shell"
like "$(grep -F list-tasks "$WORK/trace.jsonl")" '"--cluster","\*\*\*"' "the trace file hides it"
is "$(secret_leaks)" "" "DB_PASSWORD's value is in no output, trace or trace file"

# ---- credentials in URLs ----------------------------------------------------
fixture
printf '#!/bin/sh\nprintf "%%s\\n" "$@" >>"%s/argv.log"\nexec "%s" "$@"\n' "$WORK" "$FAKE" >"$WORK/aws-log"
chmod +x "$WORK/aws-log"
URL='http://AKIDEXAMPLE:hunter2-url-pass@127.0.0.1:1'
SCRIPT=$'0\t{}\t' AWS_FOR_RUN=$WORK/aws-log run -x --trace-file "$WORK/trace.jsonl" --endpoint-url "$URL" 4b status
unlike "$(cat "$WORK/out" "$WORK/err" "$WORK/trace.jsonl")" 'AKIDEXAMPLE|hunter2-url-pass' \
	"--endpoint-url: user and password in no output, -x line or trace file"
like "$(cat "$WORK/err")" "--endpoint-url 'http://\\*\\*\\*@127.0.0.1:1'" "-x shows the URL with ***@"
grep -qxF -- "$URL" "$WORK/argv.log"
ok $? "the aws process got the real URL"
rm -f "$WORK/argv.log"
SCRIPT=$'0\t{}\t' AWS_ENDPOINT_URL=$URL run --trace-file "$WORK/trace.jsonl" 4b status
SCRIPT=$'0\t{}\t' AWSPHASE_ENDPOINT_URL=$URL run -x 4b status
unlike "$(cat "$WORK/trace.jsonl" "$WORK/err")" 'AKIDEXAMPLE|hunter2-url-pass' \
	"from AWS_ENDPOINT_URL / AWSPHASE_ENDPOINT_URL: masked too"
rm -f "$WORK/aws-log"

# ---- a trace file that cannot be written ------------------------------------
SCRIPT=$'0\t{}\t' run --trace-file /dev/full 4b status
is "$RC:$(grep -c '^awsphase: warning: --trace-file /dev/full: cannot write: ' "$WORK/err")" 1:1 \
	"--trace-file /dev/full: one warning, the run goes on (exit 1 as without it)"
like "$(grep -F /dev/full "$WORK/err")" '; free some space or give another path' "the warning says what to do"

# ---- bidi controls in env-file values ---------------------------------------
fixture "$(printf 'DESIRED_COUNT=1\342\200\256\342\201\2460')"
run 4b status
like "$RC:$(grep DESIRED_COUNT "$WORK/err")" "^2:awsphase: .*DESIRED_COUNT: '1\\?\\?0' is not" \
	"a U+202E / U+2066 in a value is shown as ? in the error"
finish
