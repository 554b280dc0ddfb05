#!/usr/bin/env bash
# awsphase 4b rollback: after revision 2 is deployed, --to 1 moves the
# service back to revision 1 and validate passes; revisions that do not exist
# or are INACTIVE are refused (exit 2) with the valid ones; a second
# --to 1 changes nothing; --previous goes to the last revision that deployed
# successfully other than the one in service (here 2, not 1 - 1).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
plan 24
localaws_start
export http_proxy=$LOCALAWS_ALB_PROXY no_proxy=127.0.0.1,localhost
ctl config '{"provisioning_s":0.1,"pending_s":0.2,"stop_s":0.1,"restart_delay_s":0.2,"health_initial_s":0.1,
	"interval_s":0.1,"drain_s":0.4,"lb_provisioning_s":0.3,"lb_delete_s":1.5,"grace_s":0.5}' >/dev/null

service_td() {
	awscli ecs describe-services --cluster kaviar-cluster --services kaviar-backend-service \
		--query 'services[0].taskDefinition' --output text | sed 's#.*/##'
}
# the aws calls of the last run (without --region and what follows), one a
# line: all of them, or the mutating ones
operations() {
	python3 -c 'import json, sys
for line in open(sys.argv[1]):
    if line.startswith("{"):
        t = json.loads(line)
        if sys.argv[2] == "all" or t["mutating"]:
            a = t["argv"]
            print(" ".join(a[:a.index("--region")] if "--region" in a else a))' "$AP_TRACE_FILE" "${1:-all}"
}
# the stack's changes: not the deploy history's put-log-events
mutations() { operations mutating | grep -v ' /awsphase/[^ ]*/history'; }
envkey() { sed -n "s/^$1=//p" "$WORK/aws-resources.env" | sed 's#.*/##'; }

ap --timeout 120 4b deploy
is "$AP_RC" 0 "deploy of revision 1 exits 0"
is "$(envkey LAST_GOOD_TASK_DEF_ARN)" kaviar-backend:1 "it records kaviar-backend:1 as the last good revision"
echo TASK_MEMORY=2048 >>"$WORK/aws-resources.env"
ap --timeout 120 4b deploy
is "$AP_RC:$(service_td)" 0:kaviar-backend:2 "a deploy with TASK_MEMORY=2048 moves the service to revision 2"
is "$(envkey LAST_GOOD_TASK_DEF_ARN)/$(envkey PREVIOUS_GOOD_TASK_DEF_ARN)" kaviar-backend:2/kaviar-backend:1 \
	"last good: 2, previous good: 1"
ap --timeout 120 4b deploy
is "$AP_RC:$(trace_count mutating)" 0:0 "a no-op redeploy records nothing in AWS: zero mutating calls"
[ "$AP_RC" -eq 0 ] || diag "$AP_ERR"

# --- refusals: exit 2, nothing changed, the valid revisions listed
ap 4b rollback --to 7
is "$AP_RC:$(trace_count mutating)" 2:0 "--to 7 (no such revision): exit 2, no change"
like "$AP_ERR" 'kaviar-backend:7 does not exist; valid revisions: kaviar-backend:1, kaviar-backend:2 \(in service\)' \
	"the message lists the valid revisions"
td=$(awscli ecs describe-task-definition --task-definition kaviar-backend:2 --query taskDefinition)
awscli ecs register-task-definition --cli-input-json "$(python3 -c 'import json, sys
d = json.loads(sys.argv[1])
print(json.dumps({k: d[k] for k in ("family", "containerDefinitions", "networkMode",
      "requiresCompatibilities", "cpu", "memory", "executionRoleArn", "taskRoleArn") if k in d}))' "$td")" \
	>/dev/null && awscli ecs deregister-task-definition --task-definition kaviar-backend:3 >/dev/null
ok $? "by hand: revision 3 registered, then deregistered (INACTIVE)"
ap 4b rollback --to kaviar-backend:3
is "$AP_RC:$(trace_count mutating)" 2:0 "--to kaviar-backend:3 (INACTIVE): exit 2, no change"
like "$AP_ERR" 'kaviar-backend:3 is INACTIVE.*valid revisions: kaviar-backend:1, kaviar-backend:2' "saying it is INACTIVE"
ap 4b rollback --to other-family:1
is "$AP_RC" 2 "--to another family's revision: exit 2"
ap 4b rollback --to 1 --previous
is "$AP_RC" 2 "--to with --previous: exit 2"

# --- the runbook's rollback: --to 1
ap --timeout 120 4b rollback --dry-run --to 1
is "$AP_RC:$(trace_count changes):$(trace_count dry_run):$(service_td)" 0:1:2:kaviar-backend:2 \
	"--dry-run lists the update-service (and the history's put-log-events), runs none"
ap --timeout 120 4b rollback --to 1
is "$AP_RC" 0 "rollback --to 1 exits 0"
[ "$AP_RC" -eq 0 ] || diag "$AP_ERR"
is "$(mutations)" "ecs update-service --cluster kaviar-cluster --service kaviar-backend-service --task-definition kaviar-backend:1" \
	"its one change is the runbook's update-service --task-definition kaviar-backend:1"
like "$(operations)" 'ecs list-task-definitions --family-prefix kaviar-backend' \
	"it lists the revisions as the runbook does (list-task-definitions --family-prefix kaviar-backend)"
like "$AP_OUT" 'service: Status ACTIVE, Running 1, Desired 1' "and runs validate's checks"
unlike "$AP_OUT" '\[fail\]|❌' "which all pass"
res=$(ctl resources)
is "$(jget "$res" 'd["services"]["kaviar-backend-service"]["task_definition"].split("/")[-1], d["services"]["kaviar-backend-service"]["rollout_state"], d["services"]["kaviar-backend-service"]["running"]')" \
	"('kaviar-backend:1', 'COMPLETED', 1)" "the service runs revision 1, deployment COMPLETED (/resources)"
is "$(service_td)" kaviar-backend:1 "aws ecs describe-services: taskDefinition kaviar-backend:1"
ap 4b validate
is "$AP_RC" 0 "awsphase 4b validate passes on revision 1"

ap --timeout 120 4b rollback --to 1
is "$AP_RC:$(trace_count mutating)" 0:0 "rollback --to 1 again: exit 0, zero mutating calls"

# --- --previous: the last good revision that is not the one in service
ap --timeout 120 4b rollback --previous
is "$AP_RC:$(service_td)" 0:kaviar-backend:2 "--previous goes back to revision 2 (last good before 1)"
is "$(envkey LAST_GOOD_TASK_DEF_ARN)/$(envkey PREVIOUS_GOOD_TASK_DEF_ARN)" kaviar-backend:2/kaviar-backend:1 \
	"and records it: last good 2, previous 1"

finish
