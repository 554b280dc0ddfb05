#!/usr/bin/env bash
# fix-ecs-sg.sh, the runbook's fix for "Targets unhealthy com Target.Timeout":
# with the ALB → ECS rule revoked the targets go unhealthy (Target.Timeout);
# the script puts the rule back, forces one new deployment and waits until a
# target is healthy.  With the service moved to another group by hand, it
# points the service back at kaviar-ecs-sg.  Run again, it changes nothing.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
plan 11
localaws_start

# the drop-ins from the env file's folder, awsphase found on PATH
dropin() {
	script=$1
	shift
	AP_TRACE_FILE=$WORK/trace.$TAP_N.$$.jsonl
	: >"$AP_TRACE_FILE"
	PATH=$(dirname "$AWSPHASE"):$PATH "$top_srcdir/scripts-compat/$script" --aws "$AWS_BIN" \
		--trace-file "$AP_TRACE_FILE" --timeout 120 "$@" >"$WORK/out" 2>"$WORK/err"
	AP_RC=$?
	AP_OUT=$(cat "$WORK/out")
	AP_ERR=$(cat "$WORK/err")
}
mutating_ops() {
	python3 -c 'import json, sys
print(" ".join(json.loads(l)["argv"][1] + ("+force" if "--force-new-deployment" in json.loads(l)["argv"] else "")
               for l in open(sys.argv[1]) if json.loads(l)["mutating"]))' "$AP_TRACE_FILE"
}
health() {
	awscli elbv2 describe-target-health --target-group-arn "$TG_ARN" \
		--query 'TargetHealthDescriptions[].[TargetHealth.State,TargetHealth.Reason]' --output text
}

dropin aws-phase4b-ecs-alb.sh
is "$AP_RC" 0 "aws-phase4b-ecs-alb.sh deploys"
[ "$AP_RC" -eq 0 ] || diag "$AP_ERR"
. "$WORK/aws-resources.env"

awscli ec2 revoke-security-group-ingress --group-id "$ECS_SG_ID" --protocol tcp --port 3001 \
	--source-group "$ALB_SG_ID" >/dev/null
state=
for _ in $(seq 40); do
	state=$(health)
	case $state in *unhealthy*Target.Timeout*) break ;; esac
	sleep 0.5
done
like "$state" 'unhealthy[[:space:]]+Target\.Timeout' "with the rule revoked by hand the target goes unhealthy (Target.Timeout)"

dropin fix-ecs-sg.sh
is "$AP_RC" 0 "fix-ecs-sg.sh exits 0"
[ "$AP_RC" -eq 0 ] || diag "$AP_ERR"
is "$(mutating_ops)" "authorize-security-group-ingress update-service+force" \
	"it adds the rule and forces one new deployment"
like "$(health)" '^healthy' "the target is healthy again"
like "$AP_OUT" 'fix-sg: service kaviar-backend-service: stable, targets healthy' "it waited for that"

dropin fix-ecs-sg.sh
is "$AP_RC:$(mutating_ops)" "0:" "run again, it changes nothing"

default_sg=$(awscli ec2 describe-security-groups --filters "Name=vpc-id,Values=$VPC_ID" Name=group-name,Values=default \
	--query 'SecurityGroups[0].GroupId' --output text)
# (the circuit breaker off: else it may roll the move back before fix-sg looks)
awscli ecs update-service --cluster kaviar-cluster --service kaviar-backend-service \
	--network-configuration "awsvpcConfiguration={subnets=[$PUBLIC_SUBNET_1,$PUBLIC_SUBNET_2],securityGroups=[$default_sg],assignPublicIp=ENABLED}" \
	--deployment-configuration 'deploymentCircuitBreaker={enable=false,rollback=false}' >/dev/null
ok $? "by hand: the service moved to the VPC's default group"
dropin fix-ecs-sg.sh
is "$AP_RC" 0 "fix-ecs-sg.sh exits 0"
[ "$AP_RC" -eq 0 ] || diag "$AP_OUT" "$AP_ERR"
is "$(mutating_ops)" "update-service" "it changes only the service's groups (a new deployment by itself)"
is "$(awscli ecs describe-services --cluster kaviar-cluster --services kaviar-backend-service \
	--query 'services[0].networkConfiguration.awsvpcConfiguration.[securityGroups[0],assignPublicIp]' --output text)" \
	"$ECS_SG_ID	ENABLED" "the service is on kaviar-ecs-sg again, its public IP setting kept"

finish
