#!/usr/bin/env bash
# The README's demo: from an account the local AWS (tests/cloud) starts
# empty to a validated backend, with the aws CLI v2, as an operator would
# run it: awsphase up (phases 1, 3, 4A, 4B), the image put where 4A asks,
# up again, 4b validate, and the drop-in script's second run changing
# nothing.  Leaves nothing behind.
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

step "starting the local AWS (moto + simulator): an empty account"
out=$("$top_srcdir/tests/cloud/localaws-start" "$work" --scenario empty) || exit 1
eval "$out"
pid=$LOCALAWS_PID
export AWSPHASE_ENDPOINT_URL=$LOCALAWS_ENDPOINT
# the ALB answers through the local AWS's proxy, as an internet-facing one
# does on AWS (deploy's verdict and validate ask it); the aws calls go direct
export http_proxy=$LOCALAWS_ALB_PROXY no_proxy=127.0.0.1,localhost
cd "$work" || exit 1
printf '# Kaviar, a new environment\nAWS_REGION=us-east-2\n' >aws-resources.env
echo "endpoint $LOCALAWS_ENDPOINT, env file $work/aws-resources.env: AWS_REGION only"

step "awsphase up   (phases 1, 3, 4A: VPC, data, ECR; 4B needs the image first)"
awsphase --aws /usr/bin/aws up
rc=$?
[ "$rc" -eq 1 ] || { echo "demo: up should stop at 4A asking for the image (exit 1), not exit $rc"; exit 1; }

step "the image, where 4A asks for it   (aws ecr put-image: the local AWS has no docker registry)"
manifest=$(python3 -c 'import json, sys; sys.path.insert(0, sys.argv[1])
from localaws_lib.scenario import IMAGE_MANIFEST; print(json.dumps(IMAGE_MANIFEST))' "$top_srcdir/tests/cloud")
aws --endpoint-url "$LOCALAWS_ENDPOINT" --region us-east-2 ecr put-image --repository-name kaviar-backend \
	--image-tag latest --image-manifest "$manifest" --query 'image.imageId' --output text || exit $?

step "awsphase up   (again: 4B, the service behind the load balancer)"
awsphase --aws /usr/bin/aws up || exit $?

step "awsphase 4b validate   (the runbook's checks and acceptance criteria)"
awsphase --aws /usr/bin/aws 4b validate || exit $?

step "./aws-phase4b-ecs-alb.sh   (the drop-in script, a second run: nothing to change)"
"$top_srcdir/scripts-compat/aws-phase4b-ecs-alb.sh" --aws /usr/bin/aws -q --trace-file "$work/trace.jsonl" || exit $?
echo "aws calls: $(grep -c . "$work/trace.jsonl"), mutating: $(grep -c '"mutating": *true' "$work/trace.jsonl" || true)"

step "what the phases wrote to aws-resources.env"
grep -vE '^(#|$)' aws-resources.env
echo
echo "demo: from an empty account to a validated backend"
