#!/usr/bin/env bash
# Drift made by hand after a deploy — the target group's health-check path,
# the ALB → ECS rule revoked, the desired count set to 0 — is fixed by the
# next deploy, and nothing else is touched.  --output json carries the
# resources; --dry-run on the converged account lists nothing to run.  The
# desired count is the env file's only where it names one: a service scaled
# by hand (or by autoscaling) keeps its count on a routine deploy.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
plan 19
localaws_start

ap --timeout 120 4b deploy
is "$AP_RC" 0 "a fresh deploy exits 0"
[ "$AP_RC" -eq 0 ] || diag "$AP_ERR"
. "$WORK/aws-resources.env"

awscli elbv2 modify-target-group --target-group-arn "$TG_ARN" --health-check-path /wrong >/dev/null &&
awscli ec2 revoke-security-group-ingress --group-id "$ECS_SG_ID" --protocol tcp --port 3001 \
	--source-group "$ALB_SG_ID" >/dev/null &&
awscli ecs update-service --cluster kaviar-cluster --service kaviar-backend-service \
	--desired-count 0 >/dev/null
ok $? "drift by hand: health-check path /wrong, ECS rule revoked, desired count 0"
echo DESIRED_COUNT=1 >>"$WORK/aws-resources.env"

ap --timeout 120 --output json 4b deploy
is "$AP_RC" 0 "the next deploy exits 0"
[ "$AP_RC" -eq 0 ] || diag "$AP_ERR"
ops=$(python3 - "$AP_TRACE_FILE" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["mutating"] and "/awsphase/kaviar/history" not in e["argv"]:  # not the deploy history
        a = e["argv"]
        print(" ".join(a[:2] + [x for x in a[2:a.index("--region")] if not x.startswith(("arn:", "sg-"))]))
PY
)
is "$ops" "elbv2 modify-target-group --target-group-arn --health-check-path /api/health
ec2 authorize-security-group-ingress --group-id --protocol tcp --port 3001 --source-group
ecs update-service --cluster kaviar-cluster --service kaviar-backend-service --desired-count 1" \
	"it makes exactly the three fixes, each with only what differs"
grep -q "\"--group-id\",\"$ECS_SG_ID\"" "$AP_TRACE_FILE" && grep -q "\"--source-group\",\"$ALB_SG_ID\"" "$AP_TRACE_FILE"
ok $? "the rule goes back on kaviar-ecs-sg, from kaviar-alb-sg"
is "$(jget "$AP_OUT" 'd["exit_code"], sorted(r["name"] for r in d["resources"] if r["result"].startswith("updated"))')" \
	"(0, ['kaviar-backend-service', 'kaviar-backend-tg', 'kaviar-ecs-sg'])" \
	"--output json lists the resources, the three fixed ones as updated"
like "$AP_ERR" 'health check path /wrong → /api/health' "the progress says what changed in the target group"
like "$AP_ERR" 'desired count 0 → 1' "and in the service"

is "$(awscli elbv2 describe-target-groups --names kaviar-backend-tg --query 'TargetGroups[0].HealthCheckPath' --output text)" \
	/api/health "the health-check path is /api/health again"
rules=$(awscli ec2 describe-security-groups --group-ids "$ECS_SG_ID" \
	--query 'SecurityGroups[0].IpPermissions[?ToPort==`3001`].UserIdGroupPairs[].GroupId' --output text)
is "$rules" "$ALB_SG_ID" "kaviar-ecs-sg lets kaviar-alb-sg in on 3001, once"
svc=$(awscli ecs describe-services --cluster kaviar-cluster --services kaviar-backend-service)
is "$(jget "$svc" '[(s["desiredCount"], s["runningCount"], len(s["deployments"])) for s in d["services"]][0]')" \
	"(1, 1, 1)" "the service runs 1 of 1 again, in one deployment"
is "$(awscli elbv2 describe-target-health --target-group-arn "$TG_ARN" \
	--query 'TargetHealthDescriptions[?TargetHealth.State==`healthy`] | length(@)' --output text)" 1 \
	"its target is healthy"

ap --dry-run 4b deploy
is "$AP_RC" 0 "--dry-run on the converged account exits 0"
is "$(trace_count mutating)" 0 "and has nothing to run"
unlike "$AP_OUT" 'would run' "it prints no 'would run' line"

# DESIRED_COUNT's default is for the create
sed -i '/^DESIRED_COUNT=/d' "$WORK/aws-resources.env"
awscli ecs update-service --cluster kaviar-cluster --service kaviar-backend-service \
	--desired-count 2 >/dev/null
ap --timeout 120 4b deploy
is "$AP_RC:$(trace_count mutating)" 0:0 \
	"scaled to 2 by hand, no DESIRED_COUNT in the env file: deploy exits 0 and changes nothing"
is "$(awscli ecs describe-services --cluster kaviar-cluster --services kaviar-backend-service \
	--query 'services[0].desiredCount' --output text)" 2 "the service still wants 2 tasks"
echo DESIRED_COUNT=1 >>"$WORK/aws-resources.env"
ap --dry-run 4b deploy
is "$AP_RC:$(trace_count changes)" 0:1 "DESIRED_COUNT=1 written in the env file: --dry-run lists one call (and the history's event)"
like "$AP_OUT" 'desired count 2 → 1 \(scaling in\)' "... and says it would scale the service in"

finish
