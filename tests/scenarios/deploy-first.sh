#!/usr/bin/env bash
# A first deploy (no key deploy writes in the env file, no cluster) creates
# without looking first; here some of what it creates is there already, made
# by hand and drifted: the execution role trusting ec2, the target group
# checking /wrong, the log group keeping logs forever.  Deploy notices on the
# first create that finds its resource, reads everything, converges exactly
# as a later run would, and leaves one of each; the next run changes nothing.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
plan 10
localaws_start
. "$WORK/aws-resources.env"

ec2_trust='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
awscli iam create-role --role-name KaviarEcsTaskExecutionRole \
	--assume-role-policy-document "$ec2_trust" >/dev/null &&
awscli elbv2 create-target-group --name kaviar-backend-tg --protocol HTTP --port 3001 \
	--vpc-id "$VPC_ID" --target-type ip --health-check-path /wrong >/dev/null &&
awscli logs create-log-group --log-group-name /ecs/kaviar-backend >/dev/null
ok $? "by hand: the execution role (trusting ec2), the target group (/wrong), the log group"

ap --timeout 120 4b deploy
is "$AP_RC" 0 "deploy exits 0"
[ "$AP_RC" -eq 0 ] || diag "$(tail -n 15 "$WORK/err")"
like "$AP_ERR" 'some resources were there already .*reading them all' "it says why it reads everything"
ops=$(python3 - "$AP_TRACE_FILE" <<'PY'
import json, sys
seen = []
for line in open(sys.argv[1]):
    e = json.loads(line)
    seen.append(e["argv"][1] + ("=" + e["error"] if e.get("error") else ""))
# the first create that found its resource, then the reads it had skipped
first = min(i for i, op in enumerate(seen) if "AlreadyExists" in op or "Duplicate" in op)
later = [op.split("=")[0] for op in seen[first + 1:]]
print(all(op in later for op in ("describe-target-groups", "describe-log-groups",
                                 "get-account-authorization-details", "describe-load-balancers")))
PY
)
is "$ops" True "after the first create that finds its resource, it reads what it had skipped"

res=$(ctl resources)
is "$(jget "$res" 'd["target_group_names"], d["roles"], d["log_groups"].count("/ecs/kaviar-backend"), d["active_services"]')" \
	"(['kaviar-backend-tg'], ['KaviarEcsTaskExecutionRole', 'KaviarEcsTaskRole'], 1, 1)" \
	"one target group, the two roles, one log group, one service"
is "$(awscli elbv2 describe-target-groups --names kaviar-backend-tg \
	--query 'TargetGroups[0].HealthCheckPath' --output text)" /api/health \
	"the target group checks /api/health"
is "$(awscli iam get-role --role-name KaviarEcsTaskExecutionRole \
	--query 'Role.AssumeRolePolicyDocument.Statement[0].Principal.Service' --output text)" \
	ecs-tasks.amazonaws.com "the execution role trusts ecs-tasks.amazonaws.com"
is "$(awscli logs describe-log-groups --log-group-name-prefix /ecs/kaviar-backend \
	--query 'logGroups[0].retentionInDays' --output text)" 30 "the log group keeps 30 days"

ap --timeout 120 4b deploy
is "$AP_RC" 0 "the next deploy exits 0"
is "$(trace_count mutating)" 0 "and makes no mutating call"
finish
