#!/usr/bin/env bash
# Automatic rollback: a deploy whose image is missing from ECR when its tasks
# start fails fast with the pull error, moves the service back to the last
# revision that deployed successfully by itself, waits until it is healthy
# again, and exits 1.  When ECS's circuit breaker rolled back first, deploy
# follows that rollback instead of starting another; a deploy that times out
# rolls back just the same.  With --no-rollback it
# leaves the service alone, and rollback --previous then goes back to that
# last good revision (not n-1).  An image already missing at preflight stops
# deploy before any change.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
plan 28
localaws_start
export http_proxy=$LOCALAWS_ALB_PROXY no_proxy=127.0.0.1,localhost
ctl config '{"provisioning_s":0.1,"pending_s":0.2,"stop_s":0.1,"restart_delay_s":0.2,"health_initial_s":0.1,
	"interval_s":0.1,"drain_s":0.4,"lb_provisioning_s":0.3,"lb_delete_s":1.5,"grace_s":0.5}' >/dev/null

service() {
	awscli ecs describe-services --cluster kaviar-cluster --services kaviar-backend-service \
		--query 'services[0].[taskDefinition, deployments[0].rolloutState, runningCount, length(deployments)]' \
		--output text | sed 's#^[^\t]*/##' | tr '\t' ' '
}
envkey() { sed -n "s/^$1=//p" "$WORK/aws-resources.env" | sed 's#.*/##'; }
mutations() {
	python3 -c 'import json, sys
for line in open(sys.argv[1]):
    if line.startswith("{") and json.loads(line)["mutating"]:
        a = json.loads(line)["argv"]
        print(" ".join(a[:a.index("--region")]))' "$AP_TRACE_FILE"
}

# deploy_losing_image ARGS…: deploy with ECR_URI=…:v2, a tag preflight finds
# in ECR, deleted before any task of the new deployment starts: the local
# AWS stands still (manual time) from before deploy until its update-service.
deploy_losing_image() {
	local pid i
	awscli ecr put-image --repository-name kaviar-backend --image-tag v2 \
		--image-manifest "$manifest2" >/dev/null
	ctl config '{"manual": true}' >/dev/null
	AP_TRACE_FILE=$WORK/trace.lose.$TAP_N.jsonl
	: >"$AP_TRACE_FILE"
	"$AWSPHASE" --aws "$AWS_BIN" --trace-file "$AP_TRACE_FILE" --timeout 120 4b deploy "$@" \
		>"$WORK/out" 2>"$WORK/err" &
	pid=$!
	for i in $(seq 600); do
		grep -q '"update-service"' "$AP_TRACE_FILE" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	awscli ecr batch-delete-image --repository-name kaviar-backend --image-ids imageTag=v2 >/dev/null
	ctl config '{"manual": false}' >/dev/null
	wait "$pid"
	AP_RC=$?
	AP_OUT=$(cat "$WORK/out")
	AP_ERR=$(cat "$WORK/err")
}

ap --timeout 120 4b deploy
is "$AP_RC:$(envkey LAST_GOOD_TASK_DEF_ARN)" 0:kaviar-backend:1 "deploy of revision 1 exits 0 and records it as good"
manifest=$(awscli ecr batch-get-image --repository-name kaviar-backend --image-ids imageTag=latest \
	--query 'images[0].imageManifest' --output text)
# v2: a new image (pinned by digest, latest's image under v2 would change nothing)
manifest2=$(python3 -c 'import json, sys
m = json.loads(sys.argv[1])
m["layers"][0]["digest"] = "sha256:" + "7" * 64
print(json.dumps(m))' "$manifest")

# --- an image missing at preflight: no change at all
sed -i 's#^\(ECR_URI=.*\):latest#\1:missing#' "$WORK/aws-resources.env"
ap --timeout 120 4b deploy
is "$AP_RC:$(trace_count changes):$(service)" "2:0:kaviar-backend:1 COMPLETED 1 1" \
	"ECR_URI with a missing tag: preflight refuses (exit 2), no change (but to the history), the service stays on revision 1"

# --- the image goes missing once the deployment started; ECS's circuit
# breaker would need 100 failed tasks, so deploy's fail-fast sees it first
ctl config '{"circuit_breaker_threshold": 100}' >/dev/null
sed -i 's#^\(ECR_URI=.*\):missing#\1:v2#' "$WORK/aws-resources.env"
start=$(date +%s)
deploy_losing_image
elapsed=$(($(date +%s) - start))
is "$AP_RC" 1 "the deploy of revision 2 fails: exit 1"
like "$AP_ERR" 'stopped: CannotPullContainerError' "fast, with the pull error"
like "$AP_OUT" 'deploy failed \(the deployment failed\): rolling back service kaviar-backend-service to kaviar-backend:1' \
	"it says it rolls back to the last good revision"
like "$AP_OUT" 'rolled back: service kaviar-backend-service runs kaviar-backend:1 again, stable with healthy targets' \
	"and that the rollback finished"
is "$(mutations | grep -c 'ecs update-service .*--task-definition kaviar-backend:1$')" 1 \
	"one update-service --task-definition kaviar-backend:1 moved it back"
is "$(service)" "kaviar-backend:1 COMPLETED 1 1" "the service is on revision 1 again, COMPLETED, 1 running, one deployment"
[ "$elapsed" -lt 90 ]
ok $? "all long before the 120 s deadline ($elapsed s)"
is "$(envkey LAST_GOOD_TASK_DEF_ARN)" kaviar-backend:1 "the last good revision is still 1"
ap 4b validate
is "$AP_RC" 0 "validate passes: the service is healthy again"
[ "$AP_RC" -eq 0 ] || diag "$AP_OUT"

# --- ECS's circuit breaker rolls back first (after 1 failed task): deploy
# follows that rollback, starting none of its own
ctl config '{"circuit_breaker_threshold": 1}' >/dev/null
deploy_losing_image
is "$AP_RC" 1 "circuit breaker: the deploy fails, exit 1"
like "$AP_OUT" 'rolled back: service kaviar-backend-service runs kaviar-backend:1 again' \
	"and reports the service back on revision 1"
is "$(mutations | grep -c 'task-definition kaviar-backend:1')" 0 "no update-service of its own: ECS's rollback was enough"
is "$(service)" "kaviar-backend:1 COMPLETED 1 1" "the service is on revision 1, COMPLETED"
ctl config '{"circuit_breaker_threshold": 100}' >/dev/null

# --- the same with --no-rollback: the service is left on the failed revision
deploy_losing_image --no-rollback
is "$AP_RC" 1 "deploy --no-rollback fails: exit 1"
unlike "$AP_OUT" 'rolling back' "and does not roll back"
like "$AP_ERR" 'no-rollback.*awsphase 4b rollback --previous' "it names the way back"
like "$(service)" '^kaviar-backend:2 ' "the service stays on revision 2"
is "$(mutations | grep -c 'task-definition kaviar-backend:1')" 0 "no call moved it to revision 1"

ap --timeout 120 4b rollback --previous
is "$AP_RC" 0 "rollback --previous exits 0"
[ "$AP_RC" -eq 0 ] || diag "$AP_ERR"
is "$(service)" "kaviar-backend:1 COMPLETED 1 1" "it went to revision 1, the last that deployed successfully"
like "$AP_OUT" 'logs: ' "and ran validate's checks"
unlike "$AP_OUT" '\[fail\]' "which pass"

# --- the deadline: revision 3's targets never turn healthy (the backend
# answers another health path); deploy gives up at --timeout, rolls back to
# revision 1 (the health path is put right once its update-service ran),
# within a --timeout of the rollback's own, and exits 1, not 4
ctl config '{"backend_health_path": "/nowhere", "grace_s": 100000}' >/dev/null
sed -i 's#^\(ECR_URI=.*\):v2#\1:latest#' "$WORK/aws-resources.env"
echo TASK_MEMORY=2048 >>"$WORK/aws-resources.env"
AP_TRACE_FILE=$WORK/trace.deadline.jsonl
: >"$AP_TRACE_FILE"
"$AWSPHASE" --aws "$AWS_BIN" --trace-file "$AP_TRACE_FILE" --timeout 20 4b deploy >"$WORK/out" 2>"$WORK/err" &
pid=$!
end=$(($(date +%s) + 120))
while [ "$(date +%s)" -lt "$end" ] && kill -0 "$pid" 2>/dev/null &&
	[ "$(grep -c '"update-service"' "$AP_TRACE_FILE")" -lt 2 ]; do
	sleep 0.1
done
ctl config '{"backend_health_path": "/api/health", "grace_s": 0.5}' >/dev/null
wait "$pid"
AP_RC=$?
AP_OUT=$(cat "$WORK/out")
AP_ERR=$(cat "$WORK/err")
is "$AP_RC" 1 "deploy that never turns healthy: exit 1 after the rollback (not 4)"
like "$AP_ERR" "the run's --timeout of 20 s ran out waiting for service kaviar-backend-service" "it hit its deadline"
like "$AP_OUT" 'deploy failed \(the deadline passed\): rolling back service kaviar-backend-service to kaviar-backend:1' \
	"then rolled back to the last good revision"
is "$(service)" "kaviar-backend:1 COMPLETED 1 1" "the service is on revision 1, COMPLETED"

finish
