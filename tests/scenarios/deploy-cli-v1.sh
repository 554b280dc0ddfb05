#!/usr/bin/env bash
# The smoke run with the aws CLI v1 (epoch timestamps, its own error exit
# code): a fresh deploy converges and serves /api/health; a second one
# changes nothing.
AWS_CLI=v1
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
[ -n "$AWS_BIN" ] && "$AWS_BIN" --version 2>&1 | grep -q '^aws-cli/1\.' || skip_all "no aws CLI v1 on PATH"
plan 5
localaws_start

ap --timeout 120 4b deploy
is "$AP_RC" 0 "a fresh deploy with the aws CLI v1 exits 0"
[ "$AP_RC" -eq 0 ] || diag "$AP_ERR"
like "$AP_OUT" 'deployed service kaviar-backend-service: stable, targets healthy' "it waited until stable"
. "$WORK/aws-resources.env"
is "$(curl -s -m 10 -o /dev/null -w '%{http_code}' -x "$LOCALAWS_ALB_PROXY" "http://$ALB_DNS/api/health")" 200 \
	"http://\$ALB_DNS/api/health answers 200"
ap --timeout 120 4b deploy
is "$AP_RC:$(trace_count mutating)" "0:0" "a second deploy exits 0 with no mutating call"
# 8, the DB_PASSWORD secret's two reads (issue 16), the image's digest (issue 17),
# the target group's attributes (issue 19), the account guard's sts call
# before a changing action (issue 18: AWS_ACCOUNT_ID is recorded)
[ "$(trace_count all)" -le 13 ]
ok $? "in at most 13 aws calls ($(trace_count all))"

finish
