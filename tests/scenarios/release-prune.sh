#!/usr/bin/env bash
# awsphase 4b prune (issue 17, part 4): of a family of eight revisions,
# --keep 2 deregisters those beyond the newest two except the one in service
# and the last two good ones (the env file's); a second run changes nothing;
# --dry-run lists and changes nothing; --keep missing or < 1, and no
# terminal without --yes: exit 2, one line, no aws call.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
plan 17
localaws_start
ctl config '{"provisioning_s":0.1,"pending_s":0.2,"stop_s":0.1,"restart_delay_s":0.2,"health_initial_s":0.1,
	"interval_s":0.1,"drain_s":0.4,"lb_provisioning_s":0.3,"lb_delete_s":1.5,"grace_s":0.5}' >/dev/null

active() {
	awscli ecs list-task-definitions --family-prefix kaviar-backend --status ACTIVE \
		--query 'taskDefinitionArns' --output text | tr '\t' '\n' | sed 's#.*/##' | sort -t: -k2n | xargs
}

ap --timeout 120 4b deploy
is "$AP_RC" 0 "deploy of revision 1 exits 0"
[ "$AP_RC" -eq 0 ] || diag "$AP_ERR"
# revisions 2-8 by hand, as CI would register them
td=$(awscli ecs describe-task-definition --task-definition kaviar-backend:1 --query taskDefinition)
input=$(python3 -c 'import json, sys
d = json.loads(sys.argv[1])
print(json.dumps({k: d[k] for k in ("family", "containerDefinitions", "networkMode",
      "requiresCompatibilities", "cpu", "memory", "executionRoleArn", "taskRoleArn") if k in d}))' "$td")
for i in 2 3 4 5 6 7 8; do
	awscli ecs register-task-definition --cli-input-json "$input" >/dev/null || break
done
is "$(active)" "kaviar-backend:1 kaviar-backend:2 kaviar-backend:3 kaviar-backend:4 kaviar-backend:5 kaviar-backend:6 kaviar-backend:7 kaviar-backend:8" \
	"eight ACTIVE revisions of kaviar-backend"
# the service on revision 3 (the local AWS's clock stopped meanwhile); the
# env file's last good 5, previous good 4
ctl config '{"manual": true}' >/dev/null
awscli ecs update-service --cluster kaviar-cluster --service kaviar-backend-service \
	--task-definition kaviar-backend:3 >/dev/null
# while revision 1's deployment still runs, it is kept for that
ap --dry-run 4b prune --keep 2
like "$AP_OUT" 'kaviar-backend:1 +kept +a deployment runs it' "a revision a deployment still runs is kept"
ctl config '{"manual": false}' >/dev/null
for _ in $(seq 300); do
	[ "$(awscli ecs describe-services --cluster kaviar-cluster --services kaviar-backend-service \
		--query 'length(services[0].deployments)' --output text)" = 1 ] && break
	sleep 0.1
done
arn=$(sed -n 's/^TASK_DEF_ARN=//p' "$WORK/aws-resources.env")
sed -i '/^\(LAST\|PREVIOUS\)_GOOD_TASK_DEF_ARN=/d' "$WORK/aws-resources.env"
printf 'LAST_GOOD_TASK_DEF_ARN=%s\nPREVIOUS_GOOD_TASK_DEF_ARN=%s\n' "${arn%:1}:5" "${arn%:1}:4" \
	>>"$WORK/aws-resources.env"

# --- refusals: exit 2, one line, no aws call
ap 4b prune --yes
is "$AP_RC:$(trace_count all):$(printf '%s\n' "$AP_ERR" | grep -c .)" 2:0:1 "--keep missing: exit 2, one line, no call"
like "$AP_ERR" '--keep N' "naming --keep N"
ap 4b prune --keep 0 --yes
is "$AP_RC:$(trace_count all)" 2:0 "--keep 0: exit 2, no call"
ap 4b prune --keep 2 </dev/null
is "$AP_RC:$(trace_count all):$(printf '%s\n' "$AP_ERR" | grep -c .)" 2:0:1 "no terminal, no --yes: exit 2, one line"
like "$AP_ERR" '--yes' "saying to add --yes"

# --- --dry-run lists, changes nothing
ap --dry-run 4b prune --keep 2
is "$AP_RC:$(trace_count mutating):$(trace_count dry_run)" 0:3:3 "--dry-run: three deregistrations listed (6, 2, 1), none made"
like "$AP_OUT" 'kaviar-backend:3 +kept +in service' "it says why revision 3 is kept (in service)"
is "$(active | wc -w)" 8 "nothing deregistered"

# --- the run
ap --output json 4b prune --keep 2 --yes
is "$AP_RC" 0 "prune --keep 2 --yes exits 0"
[ "$AP_RC" -eq 0 ] || diag "$AP_ERR"
is "$(active)" "kaviar-backend:3 kaviar-backend:4 kaviar-backend:5 kaviar-backend:7 kaviar-backend:8" \
	"left ACTIVE: the newest two (8, 7), in service (3), last good (5), previous good (4)"
is "$(jget "$AP_OUT" '" ".join("%s=%s" % (r["Revision"].split(":")[1], r["Result"] if r["Result"] != "kept" else r["Why"].split(" ")[0]) for r in d["revisions"])')" \
	"8=among 7=among 6=deregistered 5=last 4=previous 3=in 2=deregistered 1=deregistered" \
	"--output json: a row per revision, newest first, kept and why or deregistered"
is "$(awscli ecs describe-task-definition --task-definition kaviar-backend:1 --query taskDefinition.status --output text)" \
	INACTIVE "a deregistered revision is INACTIVE, still describable"

# --- again: nothing to do
ap 4b prune --keep 2 --yes
is "$AP_RC:$(trace_count mutating)" 0:0 "a second run makes no mutating call"
like "$AP_OUT" 'nothing to prune' "and says so"

finish
