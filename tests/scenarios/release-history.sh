#!/usr/bin/env bash
# The deploy history every operator sees (issue 17, part 3): a deploy, a
# failed deploy (an image missing from ECR), a deploy ECS's circuit breaker
# rolled back and a rollback each record one JSON event in the stack's log
# group /awsphase/kaviar/history; 4b history shows the four, newest first,
# as a table and as JSON, also from a second work folder whose env file
# lacks the last good revision, where rollback --previous finds it in the
# history.  Recording costs an sts call a run and a put-log-events an
# operation; under --dry-run the put is shown, not run.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
plan 19
localaws_start
export http_proxy=$LOCALAWS_ALB_PROXY no_proxy=127.0.0.1,localhost
ctl config '{"provisioning_s":0.1,"pending_s":0.2,"stop_s":0.1,"restart_delay_s":0.2,"health_initial_s":0.1,
	"interval_s":0.1,"drain_s":0.4,"lb_provisioning_s":0.3,"lb_delete_s":1.5,"grace_s":0.5}' >/dev/null
envfile=$WORK/aws-resources.env
service() {
	awscli ecs describe-services --cluster kaviar-cluster --services kaviar-backend-service \
		--query 'services[0].[taskDefinition, deployments[0].rolloutState]' --output text |
		sed 's#^[^\t]*/##' | tr '\t' ' '
}
# the history's calls: sts, and logs calls on /awsphase/kaviar/history
ops() { python3 -c 'import json, sys
for line in open(sys.argv[1]):
    a = json.loads(line)["argv"]
    if a[0] == "sts" or "/awsphase/kaviar/history" in a:
        print(a[0], a[1])' "$AP_TRACE_FILE"; }

# --- no history yet: said, exit 0
ap 4b history
is "$AP_RC" 0 "4b history before any deploy: exit 0"
like "$AP_OUT" 'no deploy history yet in log group /awsphase/kaviar/history' "it says there is no history yet"

# --- 1. a deploy: completed; the first event makes the group (400 days)
ap --timeout 120 4b deploy
is "$AP_RC" 0 "deploy of revision 1 exits 0"
[ "$AP_RC" -eq 0 ] || diag "$AP_ERR"
is "$(ops | tr '\n' ,)" "sts get-caller-identity,logs put-log-events,logs create-log-group,logs put-retention-policy,logs create-log-stream,logs put-log-events," \
	"the first event: sts, put-log-events (missing), create-log-group, put-retention-policy, create-log-stream, put-log-events"
is "$(awscli logs describe-log-groups --log-group-name-prefix /awsphase/kaviar/history \
	--query 'logGroups[0].retentionInDays' --output text)" 400 "the history's log group keeps 400 days"

# --- 2. a failed deploy: ECR_URI names a tag the repository lacks
sed -i 's#^\(ECR_URI=.*\):latest#\1:missing#' "$envfile"
ap --timeout 120 4b deploy
is "$AP_RC" 2 "deploy of an image missing from ECR fails (exit 2, preflight)"
is "$(ops | sort | tr '\n' ',')" "logs put-log-events,sts get-caller-identity," \
	"the history costs it two calls: sts get-caller-identity and one put-log-events"

# --- 3. ECS's circuit breaker rolls the deployment of v2 back to revision 1
manifest=$(awscli ecr batch-get-image --repository-name kaviar-backend --image-ids imageTag=latest \
	--query 'images[0].imageManifest' --output text)
# an image of its own (another layer): the same image under v2 would be no
# new revision, the task definition naming it by digest
manifest=$(python3 -c 'import json, sys
m = json.loads(sys.argv[1])
m["layers"][0]["digest"] = "sha256:" + "2" * 64
print(json.dumps(m))' "$manifest")
awscli ecr put-image --repository-name kaviar-backend --image-tag v2 --image-manifest "$manifest" >/dev/null
ctl config '{"circuit_breaker_threshold": 1, "manual": true}' >/dev/null
sed -i 's#^\(ECR_URI=.*\):missing#\1:v2#' "$envfile"
AP_TRACE_FILE=$WORK/trace.cb.jsonl
: >"$AP_TRACE_FILE"
"$AWSPHASE" --aws "$AWS_BIN" --trace-file "$AP_TRACE_FILE" --timeout 120 4b deploy >"$WORK/out" 2>"$WORK/err" &
pid=$!
for i in $(seq 600); do
	grep -q '"update-service"' "$AP_TRACE_FILE" && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.05
done
awscli ecr batch-delete-image --repository-name kaviar-backend --image-ids imageTag=v2 >/dev/null
ctl config '{"manual": false}' >/dev/null
wait "$pid"
is "$?:$(service)" "1:kaviar-backend:1 COMPLETED" "the circuit breaker rolled revision 2 back: exit 1, the service on revision 1"

# --- 4. a rollback: to revision 2, its image back in ECR
awscli ecr put-image --repository-name kaviar-backend --image-tag v2 --image-manifest "$manifest" >/dev/null
ap --timeout 120 4b rollback --to 2
is "$AP_RC:$(service)" "0:kaviar-backend:2 COMPLETED" "rollback --to 2 exits 0, the service on revision 2"
[ "$AP_RC" -eq 0 ] || diag "$AP_ERR"
[ "$(ops | grep -c .)" -eq 2 ]
ok $? "the rollback's history costs sts once and put-log-events once"

# --- the history: four events, newest first
ap 4b history
is "$AP_RC" 0 "4b history exits 0"
is "$(printf '%s\n' "$AP_OUT" | grep -oE 'rolled-back-by-circuit-breaker|completed|failed' | tr '\n' ' ')" \
	"completed rolled-back-by-circuit-breaker failed completed " "the table: the four results, newest first"
like "$AP_OUT" 'rollback +completed +kaviar-backend:2 +v2' "with action, revision and image tag"
ap --output json 4b history
is "$(jget "$AP_OUT" '[(e["action"], e["result"], e["revision"], e["image_tag"]) for e in d["history"]]')" \
	"[('rollback', 'completed', 'kaviar-backend:2', 'v2'), ('deploy', 'rolled-back-by-circuit-breaker', 'kaviar-backend:2', 'v2'), ('deploy', 'failed', '', 'missing'), ('deploy', 'completed', 'kaviar-backend:1', 'latest')]" \
	"--output json: the four events, newest first"
is "$(jget "$AP_OUT" 'all(e["who"].startswith("arn:aws:") and e["when"].endswith("Z") and e["duration_s"] >= 0 for e in d["history"]) and bool(d["history"][1]["deployment"])')" \
	True "each says who (the caller's ARN), when (UTC), how long; the deployment id is kept"
ap --output json 4b history --limit 1
is "$(jget "$AP_OUT" '[e["action"] for e in d["history"]]')" "['rollback']" "--limit 1: the newest only"

# --- a second work folder: no last good revision in its env file
mkdir "$WORK/other"
grep -vE '^(LAST_GOOD|PREVIOUS_GOOD)_TASK_DEF_ARN=' "$envfile" >"$WORK/other/aws-resources.env"
cd "$WORK/other" || exit 1
ap 4b history
is "$(printf '%s\n' "$AP_OUT" | grep -cE ' (completed|failed|rolled-back-by-circuit-breaker) ')" 4 \
	"from another work folder: the same four events"
ap --timeout 120 --dry-run 4b rollback --previous
like "$AP_ERR$AP_OUT" 'would run: [^ ]*aws logs put-log-events --log-group-name /awsphase/kaviar/history' "--dry-run shows the put-log-events, does not run it"
ap --timeout 120 4b rollback --previous
is "$AP_RC:$(service)" "0:kaviar-backend:1 COMPLETED" \
	"rollback --previous there goes to revision 1, the newest completed one other than the one in service"
[ "$AP_RC" -eq 0 ] || diag "$AP_ERR"

finish
