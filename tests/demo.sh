#!/usr/bin/env bash
# The README's demo: a full phase-4B deploy and validation against the local
# AWS (tests/cloud), with the aws CLI v2 and the drop-in script, as an
# operator would run it.  Leaves nothing behind.
set -uo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
export AWSPHASE_MODULE_PATH=${AWSPHASE_MODULE_PATH:-$top_builddir/modules/.libs}
export PATH="$top_builddir:$PATH"
export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_PAGER=""
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null

work=$(mktemp -d "${TMPDIR:-/tmp}/awsphase-demo.XXXXXX")
pid=
cleanup() {
	[ -n "$pid" ] && "$top_srcdir/tests/cloud/localaws-stop" "$pid" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "starting the local AWS (moto + simulator) with phases 1, 3 and 4A in place"
out=$("$top_srcdir/tests/cloud/localaws-start" "$work") || exit 1
eval "$out"
pid=$LOCALAWS_PID
export AWSPHASE_ENDPOINT_URL=$LOCALAWS_ENDPOINT
cd "$work" || exit 1
echo "endpoint $LOCALAWS_ENDPOINT, env file $work/aws-resources.env"

step "./aws-phase4b-ecs-alb.sh   (awsphase 4b deploy, aws CLI v2)"
"$top_srcdir/scripts-compat/aws-phase4b-ecs-alb.sh" --aws /usr/bin/aws || exit $?

step "awsphase 4b validate   (the runbook's checks and acceptance criteria)"
# the ALB answers through the local AWS proxy; the aws calls go direct
http_proxy=$LOCALAWS_ALB_PROXY no_proxy=127.0.0.1,localhost awsphase --aws /usr/bin/aws 4b validate || exit $?

step "second run: nothing to change"
awsphase --aws /usr/bin/aws --trace-file "$work/trace.jsonl" 4b deploy -q || exit $?
echo "aws calls: $(grep -c . "$work/trace.jsonl"), mutating: $(grep -c '"mutating": *true' "$work/trace.jsonl" || true)"

step "what phase 4B wrote back to aws-resources.env"
grep -E '^(ALB_SG_ID|ECS_SG_ID|TG_ARN|ALB_ARN|ALB_DNS|LISTENER_ARN|TASK_DEF_ARN|SERVICE_ARN)=' aws-resources.env
echo
echo "demo: deploy and validation passed"
