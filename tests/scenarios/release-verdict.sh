#!/usr/bin/env bash
# deploy's verdict includes what users reach (issue 17, part 5): it ends by
# asking the ALB for HEALTH_PATH, and with HEALTH_EXPECT needs
# HEALTH_EXPECT_COUNT answers in a row whose body matches (the stand-in app
# reports its image's tag as "version", tests/cloud/README.md).  A pattern
# the app never says fails the deploy (exit 1) naming the body it saw; the
# new image's version passes only once its tasks alone serve; a deployment
# ECS's circuit breaker rolled back is exit 1 with its own result in JSON.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
plan 13
localaws_start
export http_proxy=$LOCALAWS_ALB_PROXY no_proxy=127.0.0.1,localhost
ctl config '{"provisioning_s":0.1,"pending_s":0.2,"stop_s":0.1,"restart_delay_s":0.2,"health_initial_s":0.1,
	"interval_s":0.1,"drain_s":0.4,"lb_provisioning_s":0.3,"lb_delete_s":1.5,"grace_s":0.5}' >/dev/null
envfile=$WORK/aws-resources.env
set_key() { sed -i "/^$1=/d" "$envfile"; printf '%s=%s\n' "$1" "$2" >>"$envfile"; }
result() { jget "$AP_OUT" 'd.get("result")'; }

# --- a bad pattern: exit 2, one line, no aws call
set_key HEALTH_EXPECT "'\"version\":(v2'"
ap 4b deploy
is "$AP_RC:$(trace_count all):$(grep -c . "$WORK/err")" 2:0:1 "HEALTH_EXPECT that is no PCRE2 pattern: exit 2, one line, no aws call"
like "$AP_ERR" 'HEALTH_EXPECT=.*not a PCRE2 pattern: .*missing closing parenthesis.*; fix the pattern' "it says why"

# --- the first deploy: the app reports the image's tag, "latest"
set_key HEALTH_EXPECT "'\"version\":\\s*\"latest\"'"
ap --timeout 120 --output json 4b deploy
is "$AP_RC:$(result)" 0:completed "HEALTH_EXPECT matching what the app says: deploy passes, result completed"
[ "$AP_RC" -eq 0 ] || diag "$AP_ERR"
like "$AP_ERR" 'checking what users reach: GET http://[^ ]*/api/health, 3 answers in a row matching' \
	"it asked the ALB for 3 answers in a row"

# --- a version the app never says: exit 1, the body it saw, what to do
set_key HEALTH_EXPECT "'\"version\":\\s*\"never\"'"
ap --timeout 120 --output json 4b deploy
is "$AP_RC:$(result)" 1:failed "HEALTH_EXPECT the app never says: deploy fails (exit 1), result failed"
like "$AP_ERR" 'not 3 in a row matching HEALTH_EXPECT /"version":\\s\*"never"/; the last: HTTP 200 \{"success": true.*"version": "latest"' \
	"the message has the body it last saw"
like "$AP_ERR" 'check the image \(ECR_URI\) and HEALTH_EXPECT' "and what to do"

# --- a new image (tag v2): the verdict needs v2 answers only, from the new tasks
manifest=$(awscli ecr batch-get-image --repository-name kaviar-backend --image-ids imageTag=latest \
	--query 'images[0].imageManifest' --output text)
# a new image, built as TAG (its own layer): the same image under a new tag
# would be no new revision (IMAGE_PINNING=digest)
new_image() {
	awscli ecr put-image --repository-name kaviar-backend --image-tag "$1" \
		--image-manifest "$(python3 -c 'import hashlib, json, sys
m = json.loads(sys.argv[1])
m["layers"][0]["digest"] = "sha256:" + hashlib.sha256(sys.argv[2].encode()).hexdigest()
print(json.dumps(m))' "$manifest" "$1")" >/dev/null
}
new_image v2
sed -i 's#^\(ECR_URI=.*\):latest#\1:v2#' "$envfile"
set_key HEALTH_EXPECT "'\"version\":\\s*\"v2\"'"
set_key HEALTH_EXPECT_COUNT 5
ap --timeout 120 --output json 4b deploy
is "$AP_RC:$(result)" 0:completed "a deploy of v2 expecting v2: passes once 5 answers in a row say v2"
[ "$AP_RC" -eq 0 ] || diag "$AP_ERR"
body=$(curl -s -m 10 "http://$(sed -n 's/^ALB_DNS=//p' "$envfile")/api/health")
like "$body" '"version": "v2"' "the ALB serves v2 now"

# --- the circuit breaker rolls a deployment back: exit 1, its own result.
# The old deployment's target stays healthy throughout: only targets of the
# new deployment's tasks could make this deploy green, and none turns healthy
ctl config '{"circuit_breaker_threshold": 1}' >/dev/null
new_image v3
sed -i 's#^\(ECR_URI=.*\):v2#\1:v3#' "$envfile"
set_key HEALTH_EXPECT "'\"version\":\\s*\"v3\"'"
ctl config '{"manual": true}' >/dev/null
AP_TRACE_FILE=$WORK/trace.cb.jsonl
: >"$AP_TRACE_FILE"
"$AWSPHASE" --aws "$AWS_BIN" --trace-file "$AP_TRACE_FILE" --timeout 120 --output json 4b deploy \
	>"$WORK/out" 2>"$WORK/err" &
pid=$!
for i in $(seq 600); do
	grep -q '"update-service"' "$AP_TRACE_FILE" && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.05
done
awscli ecr batch-delete-image --repository-name kaviar-backend --image-ids imageTag=v3 >/dev/null
ctl config '{"manual": false}' >/dev/null
wait "$pid"
AP_RC=$?
AP_OUT=$(cat "$WORK/out")
AP_ERR=$(cat "$WORK/err")
is "$AP_RC:$(result)" 1:rolled-back-by-circuit-breaker "circuit breaker rollback: exit 1, result rolled-back-by-circuit-breaker"
[ "$AP_RC" -eq 1 ] || diag "$AP_ERR"
like "$AP_ERR" 'circuit breaker' "it names the circuit breaker"
is "$(awscli ecs describe-services --cluster kaviar-cluster --services kaviar-backend-service \
	--query 'services[0].taskDefinition' --output text | sed 's#.*/##')" kaviar-backend:2 \
	"the service is back on revision 2 (v2)"
unlike "$AP_OUT" '"result":\s*"completed"' "never a green result"

finish
