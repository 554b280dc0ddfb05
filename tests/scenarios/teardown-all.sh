#!/usr/bin/env bash
# awsphase 4b teardown: the runbook's "Rollback completo" in order —
# desired count 0, delete the service, wait until INACTIVE, delete the
# listener and the ALB, wait until it is gone (no fixed sleep), delete the
# target group — then --all: the security groups (after the rules others hold
# on them), log group, cluster, roles and revisions.  It asks on a terminal,
# refuses without --yes elsewhere, --dry-run lists every deletion, the keys
# 4B wrote leave the env file, a second teardown changes nothing, and a
# deploy afterwards starts from scratch.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
plan 34
localaws_start
ctl config '{"provisioning_s":0.1,"pending_s":0.2,"stop_s":0.1,"restart_delay_s":0.2,"health_initial_s":0.1,
	"interval_s":0.1,"drain_s":0.4,"lb_provisioning_s":0.3,"lb_delete_s":1.5,"grace_s":0.5}' >/dev/null

operations() {
	python3 -c 'import json, sys
for line in open(sys.argv[1]):
    if line.startswith("{"):
        t = json.loads(line)
        if sys.argv[2] == "all" or t["mutating"]:
            a = t["argv"]
            print(" ".join(a[:2]))' "$AP_TRACE_FILE" "${1:-all}"
}
keys() { sed -n 's/^\([A-Za-z0-9_]*\)=.*/\1/p' "$WORK/aws-resources.env" | sort | tr '\n' ' '; }
res() { jget "$(ctl resources)" "$1"; }

ap --timeout 120 4b deploy
is "$AP_RC" 0 "deploy exits 0"
before=$(ctl resources)

# --- no terminal, no --yes: refused before any call
ap 4b teardown </dev/null
is "$AP_RC:$(trace_count all)" 2:0 "teardown without --yes and without a terminal: exit 2, no aws call"
like "$AP_ERR" 'pass --yes' "the message says to pass --yes"

# --- on a terminal it asks; anything but yes deletes nothing
out=$(printf 'no\n' | AWSPHASE_ENDPOINT_URL=$LOCALAWS_ENDPOINT script -qec \
	"'$AWSPHASE' --aws '$AWS_BIN' 4b teardown" /dev/null 2>&1)
rc=$?
is "$rc" 1 "on a terminal, answering no: exit 1"
like "$out" 'service kaviar-backend-service: scale to 0 tasks' "it lists what it would delete"
like "$out" 'Type yes to delete them' "and asks"
like "$out" 'not confirmed; nothing was deleted' "and nothing is deleted"

# --- --dry-run lists every deletion, makes none
ap --dry-run 4b teardown --all
is "$AP_RC:$(trace_count mutating):$(trace_count dry_run)" 0:18:18 \
	"--dry-run --all: exit 0, 18 deletions listed (the roles' inline policies too), none run"
for what in 'service kaviar-backend-service' 'listener kaviar-alb HTTP:80' 'load balancer kaviar-alb' \
	'target group kaviar-backend-tg' 'security group kaviar-ecs-sg sg-[0-9a-f]+' \
	'security group kaviar-alb-sg sg-[0-9a-f]+' 'log group /ecs/kaviar-backend' 'cluster kaviar-cluster' \
	'IAM role KaviarEcsTaskExecutionRole' 'IAM role KaviarEcsTaskRole'; do
	grep -Eq "^• $what \(would delete\)" "$WORK/out" || { diag "not listed: $what"; false; } || break
done
ok $? "it names the service, listener, ALB, target group, both groups, log group, cluster and roles"
is "$(ctl resources)" "$before" "nothing changed (/resources)"

# --- the runbook's "Rollback completo"
start=$(date +%s)
ap --timeout 120 4b teardown --yes
elapsed=$(($(date +%s) - start))
is "$AP_RC" 0 "teardown --yes exits 0"
[ "$AP_RC" -eq 0 ] || diag "$AP_ERR"
is "$(operations mutating | tr '\n' ,)" \
	"ecs update-service,ecs delete-service,elbv2 delete-listener,elbv2 delete-load-balancer,elbv2 delete-target-group," \
	"in the runbook's order: desired count 0, service, listener, ALB, target group"
is "$(operations all | sed -n '/delete-load-balancer/,/delete-target-group/p' | sort -u | tr '\n' ,)" \
	"elbv2 delete-load-balancer,elbv2 delete-target-group,elbv2 describe-load-balancers," \
	"between the ALB and the target group it polls the ALB until it is gone"
[ "$elapsed" -lt 60 ]
ok $? "no runbook sleep 60: it took $elapsed s"
is "$(res '(d["active_services"], d["load_balancers"], d["target_groups"], d["listeners"], d["tasks"].get("RUNNING", 0))')" \
	"(0, 0, 0, 0, 0)" "no service, ALB, target group, listener or running task left (/resources)"
is "$(res 'd["services"]["kaviar-backend-service"]["status"]')" INACTIVE "the service is INACTIVE"
is "$(res 'd["security_groups"].get("kaviar-ecs-sg"), d["cluster_names"]')" "(1, ['kaviar-cluster'])" \
	"without --all the security groups and the cluster stay"
unlike "$(keys)" 'SERVICE_ARN|TASK_DEF_ARN|TG_ARN|ALB_ARN|ALB_DNS|LISTENER_ARN|GOOD_TASK_DEF_ARN' \
	"the keys naming what is gone left the env file"
like "$(keys)" 'ALB_SG_ID .*ECS_SG_ID' "the security groups' keys stay with them"

ap 4b teardown --yes
is "$AP_RC:$(trace_count mutating)" 0:0 "a second teardown: exit 0, zero mutating calls"

# --- --all
ap --timeout 120 4b teardown --yes --all
is "$AP_RC" 0 "teardown --yes --all exits 0"
[ "$AP_RC" -eq 0 ] || diag "$AP_ERR"
like "$AP_ERR$(awscli secretsmanager describe-secret --secret-id kaviar/db-password --query Name)" \
	'secret kaviar/db-password \(DB_PASSWORD\) is kept; aws secretsmanager delete-secret .*"kaviar/db-password"' \
	"the DB_PASSWORD secret is kept (it holds the database's password), and said so"
# what must go first, each where AWS would refuse otherwise: the rules naming
# a group before the group, a role's policies and the revisions using it
# before the role, the revisions before the log group they write to, and the
# cluster last
order=$(python3 - "$AP_TRACE_FILE" <<'PY'
import json, sys
ops = []
for line in open(sys.argv[1]):
    t = json.loads(line)
    if t["mutating"]:
        a = t["argv"]
        arg = lambda k: a[a.index(k) + 1] if k in a else ""
        ops.append((a[1], arg("--role-name") or arg("--group-id")))
first = lambda op: min([i for i, (o, _) in enumerate(ops) if o == op], default=None)
last = lambda op: max([i for i, (o, _) in enumerate(ops) if o == op], default=-1)
bad = []
if last("revoke-security-group-ingress") > (first("delete-security-group") or 0):
    bad.append("a rule revoked after a group went")
for i, (o, role) in enumerate(ops):
    if o == "delete-role" and any(p in ("detach-role-policy", "delete-role-policy") and r == role
                                  for p, r in ops[i:]):
        bad.append("role %s deleted before its policies were detached or deleted" % role)
if last("deregister-task-definition") > (first("delete-role") or 0):
    bad.append("a revision deregistered after a role went")
if last("deregister-task-definition") > (first("delete-log-group") or 0):
    bad.append("a revision deregistered after its log group went")
if ops and ops[-1][0] != "delete-cluster":
    bad.append("the cluster is not last")
print("; ".join(bad) or "ok", len(ops))
PY
)
is "$order" "ok 13" \
	"the rules others hold on the groups, the roles' policies and the revisions go first, the cluster last"
is "$(res 'sorted(k for k in d["security_groups"] if k.startswith("kaviar-")), d["ingress_rules"].get("kaviar-rds-sg"), d["ingress_rules"].get("kaviar-redis-sg")')" \
	"(['kaviar-rds-sg', 'kaviar-redis-sg'], 1, 1)" \
	"both 4B groups gone; RDS and Redis keep only their own rule (/resources)"
is "$(res 'd["log_groups"], d["roles"], d["clusters"], d["active_services"], d["load_balancers"], d["target_groups"]')" \
	"(['/awsphase/kaviar/history'], [], 0, 0, 0, 0)" \
	"no log group but the deploy history's (data: --delete-data), no role, cluster, service, ALB or target group (/resources)"
is "$(awscli ecs list-task-definitions --family-prefix kaviar-backend --query 'length(taskDefinitionArns)')" 0 \
	"aws ecs list-task-definitions --family-prefix kaviar-backend: no ACTIVE revision"
is "$(awscli ec2 describe-security-groups --filters Name=group-name,Values=kaviar-alb-sg,kaviar-ecs-sg \
	--query 'length(SecurityGroups)')" 0 "aws ec2 describe-security-groups: neither 4B group"
like "$(awscli elbv2 describe-load-balancers --names kaviar-alb 2>&1 >/dev/null)" '\(LoadBalancerNotFound\)' \
	"aws elbv2 describe-load-balancers --names kaviar-alb: LoadBalancerNotFound"
like "$(awscli iam get-role --role-name KaviarEcsTaskExecutionRole 2>&1 >/dev/null)" '\(NoSuchEntity\)' \
	"aws iam get-role KaviarEcsTaskExecutionRole: NoSuchEntity"
is "$(awscli ecs describe-clusters --clusters kaviar-cluster --query 'clusters[?status==`ACTIVE`] | length(@)')" 0 \
	"aws ecs describe-clusters: kaviar-cluster is not ACTIVE"
unlike "$(keys)" 'ALB_SG_ID|ECS_SG_ID' "the security groups' keys left the env file too"
like "$(keys)" 'ECR_URI .*PUBLIC_SUBNET_1 .*VPC_ID' "the earlier phases' keys stay"

ap 4b teardown --yes --all
is "$AP_RC:$(trace_count mutating)" 0:0 "a second teardown --all: exit 0, zero mutating calls"

ap --timeout 120 4b deploy
is "$AP_RC" 0 "a deploy afterwards builds the stack again from scratch"
[ "$AP_RC" -eq 0 ] || diag "$AP_ERR"

finish
