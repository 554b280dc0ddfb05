#!/usr/bin/env bash
# Issue 20, phase 4B: what a hostile run showed.  A deploy stopped part way
# says what it did, not what it meant to (the JSON lists what is pending);
# a read that failed is "unknown", not "not found"; a load balancer deleted
# while deploy waits ends the wait at once, saying so, with no rollback that
# cannot help; a revision registered by someone else is no reason to
# register and roll.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
plan 32
localaws_start

resources() { # the JSON report's resources, one "kind|name|result|pending" a line
	python3 -c '
import json, sys
for r in json.loads(sys.argv[1]).get("resources", []):
    print("%s|%s|%s|%s" % (r["kind"], r["name"], r["result"], "; ".join(r.get("pending", []))))' "$1"
}
# --- 5: a first deploy stopped by a refused create-target-group
ctl faults '{"rules": [{"service": "elbv2", "action": "CreateTargetGroup", "error": "AccessDenied", "count": 1}]}' >/dev/null
ap --timeout 120 --output json 4b deploy
ctl faults '{"rules": []}' >/dev/null
is "$AP_RC" 3 "a deploy whose create-target-group is refused exits 3"
is "$(grep -c 'put-retention-policy' "$AP_TRACE_FILE")" 0 "put-retention-policy never ran"
like "$AP_OUT$AP_ERR" 'log group /ecs/kaviar-backend \(created\)' "the log group's line says it was created"
unlike "$AP_OUT$AP_ERR" 'retention 30 days' "and claims no retention it did not set"
res=$(resources "$AP_OUT")
like "$res" '^log group\|/ecs/kaviar-backend\|created\|retention never expire → 30 days$' \
	"JSON: the log group created, its retention pending"
like "$res" '^target group\|kaviar-backend-tg\|failed\|create$' "JSON: the target group failed, its create pending"
like "$res" '^service\|kaviar-backend-service\|not done\|create$' "JSON: the service not done, its create pending"
ap --timeout 120 4b deploy
is "$AP_RC" 0 "the next deploy finishes it"
[ "$AP_RC" -eq 0 ] || diag "$AP_ERR"
like "$AP_OUT" 'log group /ecs/kaviar-backend \(updated: retention never expire → 30 days\)' \
	"setting the retention, and saying so"
. "$WORK/aws-resources.env"

# --- 10: a revision registered by someone else
awscli ecs register-task-definition --family kaviar-backend \
	--container-definitions '[{"name": "other", "image": "nginx:1.27", "memory": 128}]' >/dev/null
ok $? "by hand: kaviar-backend:2 registered with another image"
ap --timeout 120 4b deploy
is "$AP_RC:$(trace_count mutating)" 0:0 "deploy exits 0 with no mutating call"
# 8, the DB_PASSWORD secret's two reads (issue 16), the image's digest (issue 17),
# the target group's attributes (issue 19), the account guard's sts call
# before a changing action (issue 18: AWS_ACCOUNT_ID is recorded)
[ "$(trace_count all)" -le 13 ]
ok $? "in at most 13 aws calls ($(trace_count all))"
like "$AP_OUT" 'task definition kaviar-backend:1 \(unchanged\)' "it compares with kaviar-backend:1, the revision the service runs"
is "$(ctl resources | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["task_definition_revisions"]["kaviar-backend"], d["services"]["kaviar-backend-service"]["task_definition"].rsplit("/", 1)[1])')" \
	"2 kaviar-backend:1" "no revision registered, the service still on kaviar-backend:1"

# --- 6: the aws CLI cannot answer
printf '#!/bin/sh\necho "<html>Service Unavailable</html>"\n' >"$WORK/junk-aws"
chmod +x "$WORK/junk-aws"
ap --aws "$WORK/nonexistent-aws" 4b status
is "$AP_RC" 5 "status without an aws CLI: exit 5"
like "$AP_OUT" "kaviar-backend-service +kaviar-cluster +unknown: cannot run" "the service's status is unknown, with why"
like "$AP_OUT" "kaviar-alb +unknown: cannot run" "so is the load balancer's"
unlike "$AP_OUT" 'not found' "nothing is 'not found'"
ap --aws "$WORK/junk-aws" --output json 4b status
is "$AP_RC:$(jget "$AP_OUT" 'd["service"][0]["Status"].split(":")[0] + " " + d["load balancer"][0]["State"].split(":")[0]')" \
	"5:unknown unknown" "status, aws answering garbage, JSON: exit 5, service and ALB unknown"
ap --profile no-such-profile 4b validate
is "$AP_RC" 3 "validate with a profile that does not exist: exit 3"
like "$AP_OUT" 'service kaviar-backend-service: unknown, describe-services failed' "validate: the service is unknown"
unlike "$AP_OUT" 'not found|MISSING|no running task' "validate claims nothing is missing"
ap --aws "$WORK/junk-aws" 4b diagnose
is "$AP_RC" 5 "diagnose, aws answering garbage: exit 5"
unlike "$AP_OUT" 'does not exist|\[ok\]' "diagnose claims nothing missing, and nothing fine"

# --- 7: the load balancer deleted while deploy waits for a new revision
manifest=$(awscli ecr batch-get-image --repository-name kaviar-backend --image-ids imageTag=latest \
	--query 'images[0].imageManifest' --output text)
# a new image (pinned by digest, the same image under v2 would change nothing)
awscli ecr put-image --repository-name kaviar-backend --image-tag v2 --image-manifest "$(python3 -c 'import json, sys
m = json.loads(sys.argv[1])
m["layers"][0]["digest"] = "sha256:" + "7" * 64
print(json.dumps(m))' "$manifest")" >/dev/null
sed -i 's#^\(ECR_URI=.*\):latest#\1:v2#' "$WORK/aws-resources.env"
ctl config '{"pending_s": 4}' >/dev/null
# deploy_deleting WHAT ARGS…: deploy ARGS in the background; once its
# update-service is made (it waits then), the elbv2 delete-WHAT of $ARN
deploy_deleting() {
	local what=$1 start i pid
	shift
	AP_TRACE_FILE=$WORK/trace.$what.jsonl
	: >"$AP_TRACE_FILE"
	start=$(date +%s)
	"$AWSPHASE" --aws "$AWS_BIN" --trace-file "$AP_TRACE_FILE" --timeout 120 4b deploy "$@" \
		>"$WORK/out" 2>"$WORK/err" &
	pid=$!
	for i in $(seq 600); do
		grep -q '"update-service"' "$AP_TRACE_FILE" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	awscli elbv2 "delete-$what" "--$what-arn" "$ARN" >/dev/null
	wait "$pid"
	AP_RC=$?
	ELAPSED=$(($(date +%s) - start))
	AP_OUT=$(cat "$WORK/out") AP_ERR=$(cat "$WORK/err")
}
ARN=$ALB_ARN deploy_deleting load-balancer
is "$AP_RC" 1 "the wait fails (exit 1)"
[ "$ELAPSED" -lt 60 ]
ok $? "fast, long before its 120 s deadline ($ELAPSED s)"
like "$AP_ERR" 'load balancer kaviar-alb: gone while waiting for service kaviar-backend-service, so its targets in kaviar-backend-tg are unused \(Target.NotInUse\).*run awsphase 4b deploy again to recreate it' \
	"naming the load balancer, the unused targets and what to do"
is "$(grep -c '"update-service"' "$AP_TRACE_FILE")" 1 "no rollback: rolling back cannot bring the load balancer back"
ap --timeout 120 4b deploy
is "$AP_RC:$(grep -c '"create-load-balancer"' "$AP_TRACE_FILE")" 0:1 "deploy again recreates it (exit 0)"
[ "$AP_RC" -eq 0 ] || diag "$AP_ERR"

# --- 7: its listener deleted while deploy waits
. "$WORK/aws-resources.env"
ARN=$LISTENER_ARN deploy_deleting listener --force-new-deployment
is "$AP_RC:$(grep -c '"update-service"' "$AP_TRACE_FILE")" 1:1 "the wait fails (exit 1), with no rollback"
like "$AP_ERR" 'load balancer kaviar-alb: no listener forwards to target group kaviar-backend-tg any more .*run awsphase 4b deploy again to recreate the listener' \
	"saying the listener is gone and what to do"
ap --timeout 120 4b deploy
is "$AP_RC:$(grep -c '"create-listener"' "$AP_TRACE_FILE")" 0:1 "deploy again recreates it (exit 0)"
ctl config '{"pending_s": 1.5}' >/dev/null

finish
