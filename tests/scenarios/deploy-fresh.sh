#!/usr/bin/env bash
# A fresh deploy through the runbook's drop-in script, then the runbook's five
# acceptance criteria, exactly one of each resource, the keys written back
# once each, the secret never shown; a second deploy changes nothing; every
# aws operation is one the runbook's scripts would run, with its names; a
# --trace line runs as it is.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
plan 34
localaws_start

# --- the first run: the runbook's script, copied next to the env file with
# awsphase beside it, started from elsewhere
cp "$top_srcdir/scripts-compat/aws-phase4b-ecs-alb.sh" "$WORK/"
ln -s "$AWSPHASE" "$WORK/awsphase"
TRACE1=$WORK/trace.fresh.jsonl
(cd / && "$WORK/aws-phase4b-ecs-alb.sh" --aws "$AWS_BIN" --trace-file "$TRACE1" --timeout 120) \
	>"$WORK/out1" 2>"$WORK/err1"
rc=$?
is "$rc" 0 "aws-phase4b-ecs-alb.sh exits 0 on a fresh account"
[ "$rc" -eq 0 ] || diag "$(tail -n 15 "$WORK/err1")"
out1=$(cat "$WORK/out1")
like "$out1" 'service kaviar-backend-service .*\(created' "the service is created"
like "$out1" 'deployed service kaviar-backend-service: stable, targets healthy' "it waited until stable"
# awsphase's own bookkeeping, not the runbook's: the deploy history
# (issue 17) is an sts get-caller-identity and the calls on its log group
history=$(grep -cE '"get-caller-identity"|/awsphase/kaviar/history' "$TRACE1")
calls=$(($(grep -c . "$TRACE1") - history))
# the runbook's calls up to create-service: the sts call, now the account
# guard's before the first change (issue 18), is the history's too
before_wait=$(sed -n '1,/"create-service"/p' "$TRACE1" | grep -cvE '"get-caller-identity"|/awsphase/kaviar/history')
diag "fresh deploy: $calls aws calls, $(grep -c '"mutating": *true' "$TRACE1") mutating, $before_wait before the wait"
# A first deploy: 5 reads at once (service, task definition, security
# groups, the DB_PASSWORD secret, the image's digest: issue 17), 1 preflight
# read (the image's was made), 20 changes (issue 16:
# the secret and the two roles' inline policies); then the wait's polls, two
# per look (one look with the simulator's delays at zero, as bench/run has
# them); issue 19: one more, the target group's deregistration delay
# (modify-target-group-attributes: create-target-group cannot set it)
[ "$before_wait" -le 26 ] && [ "$calls" -le 34 ]
ok $? "a fresh deploy takes 26 aws calls up to create-service ($before_wait), at most 34 in all ($calls)"
# sts, a put-log-events that finds no group, the group, its retention, the
# stream and the put again: once per account; later deploys add two
is "$history" 6 "the first event of the deploy history adds 6 calls"

# --- exactly one of each, through the control API and the aws CLI
res=$(ctl resources)
is "$(jget "$res" 'd["security_groups"].get("kaviar-alb-sg", 0), d["security_groups"].get("kaviar-ecs-sg", 0)')" \
	"(1, 1)" "one kaviar-alb-sg and one kaviar-ecs-sg"
is "$(jget "$res" 'd["load_balancer_names"], d["target_group_names"], d["listeners"]')" \
	"(['kaviar-alb'], ['kaviar-backend-tg'], 1)" "one ALB, one target group, one listener"
is "$(jget "$res" 'd["cluster_names"], d["active_services"], d["task_definition_revisions"]')" \
	"(['kaviar-cluster'], 1, {'kaviar-backend': 1})" "one cluster, one service, one revision"
is "$(jget "$res" 'd["roles"], d["log_groups"].count("/ecs/kaviar-backend")')" \
	"(['KaviarEcsTaskExecutionRole', 'KaviarEcsTaskRole'], 1)" "the two roles and the log group"
is "$(awscli elbv2 describe-target-groups --names kaviar-backend-tg --query 'length(TargetGroups)' --output text)" \
	1 "aws elbv2 describe-target-groups --names kaviar-backend-tg finds one"
sgs=$(awscli ec2 describe-security-groups --filters Name=group-name,Values=kaviar-ecs-sg,kaviar-alb-sg \
	--query 'length(SecurityGroups)' --output text)
is "$sgs" 2 "aws ec2 describe-security-groups finds the two groups once each"
is "$(awscli iam list-attached-role-policies --role-name KaviarEcsTaskExecutionRole \
	--query 'AttachedPolicies[].PolicyName' --output text)" AmazonECSTaskExecutionRolePolicy \
	"the execution role has AmazonECSTaskExecutionRolePolicy"
is "$(awscli logs describe-log-groups --log-group-name-prefix /ecs/kaviar-backend \
	--query 'logGroups[0].retentionInDays' --output text)" 30 "the log group keeps 30 days"
td=$(awscli ecs describe-task-definition --task-definition kaviar-backend)
is "$(jget "$td" '[d["taskDefinition"][k] for k in ("networkMode", "cpu", "memory", "requiresCompatibilities")]')" \
	"['awsvpc', '512', '1024', ['FARGATE']]" "task definition: awsvpc, 512/1024, FARGATE"
is "$(jget "$td" 'sorted(e["name"] for e in d["taskDefinition"]["containerDefinitions"][0]["environment"])')" \
	"['AWS_REGION', 'NODE_ENV', 'PORT', 'RDS_ENDPOINT', 'REDIS_ENDPOINT', 'S3_BUCKET', 'SQS_QUEUE_URL']" \
	"its environment: NODE_ENV, PORT and the phase-3 keys, no secret"

# --- the runbook's acceptance criteria
svc=$(awscli ecs describe-services --cluster kaviar-cluster --services kaviar-backend-service)
is "$(jget "$svc" '[(s["status"], s["runningCount"] == s["desiredCount"] == 1) for s in d["services"]][0]')" \
	"('ACTIVE', True)" "1. service ACTIVE with runningCount = desiredCount"
is "$(jget "$svc" '[(s["healthCheckGracePeriodSeconds"], s["deploymentConfiguration"]["deploymentCircuitBreaker"], s["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"]) for s in d["services"]][0]')" \
	"(120, {'enable': True, 'rollback': True}, 'ENABLED')" \
	"grace period 120, circuit breaker with rollback, public IP in the public tier"
. "$WORK/aws-resources.env"
th=$(awscli elbv2 describe-target-health --target-group-arn "$TG_ARN")
[ "$(jget "$th" 'sum(t["TargetHealth"]["State"] == "healthy" for t in d["TargetHealthDescriptions"])')" -ge 1 ]
ok $? "2. at least one healthy target in kaviar-backend-tg"
body=$(curl -s -m 10 -x "$LOCALAWS_ALB_PROXY" -w '\n%{http_code}' "http://$ALB_DNS/api/health")
is "$(printf '%s' "$body" | tail -n 1)" 200 "3. http://\$ALB_DNS/api/health answers 200"
is "$(jget "$(printf '%s' "$body" | head -n 1)" 'd["success"]')" True "   with JSON success: true"
task=$(awscli ecs list-tasks --cluster kaviar-cluster --service-name kaviar-backend-service --query 'taskArns[0]' --output text)
eni=$(awscli ecs describe-tasks --cluster kaviar-cluster --tasks "$task" \
	--query 'tasks[0].attachments[0].details[?name==`networkInterfaceId`].value' --output text)
is "$(awscli ec2 describe-network-interfaces --network-interface-ids "$eni" \
	--query 'NetworkInterfaces[0].Groups[*].GroupName' --output text)" kaviar-ecs-sg \
	"4. the task's ENI carries kaviar-ecs-sg"
logs=$(awscli logs filter-log-events --log-group-name /ecs/kaviar-backend \
	--filter-pattern '"Backend running on port 3001"' --query 'length(events)' --output text)
[ "${logs:-0}" -ge 1 ]
ok $? "5. the logs show \"Backend running on port 3001\""

# --- the env file: every key written once, the secret never shown
n=0
for key in ALB_SG_ID ECS_SG_ID TG_ARN ALB_ARN ALB_DNS LISTENER_ARN TASK_DEF_ARN SERVICE_ARN; do
	[ "$(grep -c "^$key=" aws-resources.env)" -eq 1 ] && n=$((n + 1))
done
is "$n" 8 "the eight keys deploy writes appear once each in aws-resources.env"
is "$TASK_DEF_ARN" "$(jget "$td" 'd["taskDefinition"]["taskDefinitionArn"]')" "TASK_DEF_ARN is the revision in service"
unlike "$(cat "$WORK/err1")" 'DB_PASSWORD is a secret' "DB_PASSWORD gets no warning: it is kept in Secrets Manager"
secret=$(sed -n 's/^DB_PASSWORD="\(.*\)"$/\1/p' aws-resources.env)
! grep -rqF -- "$secret" "$WORK/out1" "$WORK/err1" "$TRACE1"
ok $? "the secret's value is in no output and no trace"

# --- the second run changes nothing and reads little
cp aws-resources.env env.before
ap --trace --timeout 120 4b deploy
is "$AP_RC" 0 "a second deploy exits 0"
is "$(trace_count mutating)" 0 "it makes no mutating call"
# the 8 of before issue 16, the secret: describe-secret, get-secret-value,
# the image's digest: ecr describe-images (issue 17), and the target group's
# attributes, its deregistration delay (issue 19); and the account guard's
# sts call before a changing action (issue 18: AWS_ACCOUNT_ID is recorded)
[ "$(trace_count all)" -le 13 ]
ok $? "it makes at most 13 aws calls ($(trace_count all))"
like "$AP_OUT" 'no changes: service kaviar-backend-service: already stable' "it says nothing changed and does not wait"
cmp -s env.before aws-resources.env
ok $? "it leaves aws-resources.env as it was"
cmp -s env.before aws-resources.env || diag "$(diff env.before aws-resources.env)"
TRACE2=$AP_TRACE_FILE

# --- parity: the runbook's operations and names; trace lines run as they are
bad=$(python3 - "$TRACE1" "$TRACE2" <<'PY'
import json, sys
ALLOWED = {
    "ecs": {"describe-services", "describe-task-definition", "create-cluster",
            "register-task-definition", "create-service", "update-service", "list-tasks",
            "describe-tasks"},
    "ec2": {"describe-security-groups", "create-security-group",
            "authorize-security-group-ingress", "describe-subnets", "describe-route-tables",
            "describe-vpc-endpoints"},
    # issue 19: the deregistration delay is a target group attribute
    "elbv2": {"describe-target-groups", "create-target-group", "modify-target-group",
              "describe-target-group-attributes", "modify-target-group-attributes",
              "describe-load-balancers", "create-load-balancer", "set-security-groups",
              "set-subnets", "describe-listeners", "create-listener", "modify-listener",
              "describe-target-health"},
    "logs": {"describe-log-groups", "create-log-group", "put-retention-policy"},
    "iam": {"get-account-authorization-details", "get-role", "create-role",
            "update-assume-role-policy", "attach-role-policy", "put-role-policy"},
    # issue 16: DB_PASSWORD kept in Secrets Manager, not in the task's environment
    "secretsmanager": {"describe-secret", "get-secret-value", "create-secret",
                       "put-secret-value"},
    "ecr": {"describe-images"},
    "sts": {"get-caller-identity"},
}
NAMES = {
    "--cluster": {"kaviar-cluster"}, "--cluster-name": {"kaviar-cluster"},
    "--service": {"kaviar-backend-service"}, "--services": {"kaviar-backend-service"},
    "--service-name": {"kaviar-backend-service"}, "--family": {"kaviar-backend"},
    "--log-group-name": {"/ecs/kaviar-backend"}, "--log-group-name-prefix": {"/ecs/kaviar-backend"},
    "--role-name": {"KaviarEcsTaskExecutionRole", "KaviarEcsTaskRole"},
    "--group-name": {"kaviar-alb-sg", "kaviar-ecs-sg"},
    "--names": {"kaviar-backend-tg", "kaviar-alb"},
    "--name": {"kaviar-backend-tg", "kaviar-alb", "kaviar/db-password"},
    "--policy-name": {"awsphase-db-secret", "awsphase-app-access"},
}
# awsphase's deploy history (issue 17) is bookkeeping of its own, no
# operation of the runbook's: the calls on its log group are not compared
HISTORY = {"sts get-caller-identity", "logs put-log-events", "logs create-log-group",
           "logs put-retention-policy", "logs create-log-stream"}
bad = []
for path in sys.argv[1:]:
    for line in open(path):
        argv = json.loads(line)["argv"]
        svc, op = argv[0], argv[1]
        if f"{svc} {op}" in HISTORY and (svc == "sts" or "/awsphase/kaviar/history" in argv):
            continue
        if op not in ALLOWED.get(svc, ()):
            bad.append(f"{svc} {op}")
        for i, a in enumerate(argv[:-1]):
            if a in NAMES and argv[i + 1] not in NAMES[a]:
                bad.append(f"{svc} {op} {a} {argv[i + 1]}")
        # the family, or the family:revision the service runs
        if op == "describe-task-definition" and argv[3].split(":")[0] != "kaviar-backend":
            bad.append(f"{svc} {op} {argv[3]}")
print("\n".join(bad))
PY
)
is "$bad" "" "every aws operation is the runbook's, with the runbook's names"
grep '^+ ' "$WORK/err" | sed 's/^+ //' >"$WORK/lines"
is "$(grep -c . "$WORK/lines")" "$(trace_count all)" "--trace shows one line per aws call"
rerun=$(python3 - "$WORK/lines" <<'PY'
import json, shlex, subprocess, sys
ok = 0
for line in open(sys.argv[1]):
    argv = shlex.split(line)
    if argv[2] not in ("describe-services", "describe-security-groups", "describe-listeners"):
        continue
    p = subprocess.run(argv, capture_output=True, text=True)
    if p.returncode == 0 and json.loads(p.stdout):
        ok += 1
    else:
        print(f"failed: {line.strip()}: {p.stderr.strip()}", file=sys.stderr)
print(ok)
PY
)
is "$rerun" 3 "--trace lines (describe-services, describe-security-groups, describe-listeners) run as they are"

finish
