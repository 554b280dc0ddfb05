# Shared by the scenario tests: TAP output, a local AWS per test, and
# awsphase run against it through the real aws CLI.
#
#   . "$top_srcdir/tests/scenarios/lib.sh"
#   plan 5
#   localaws_start            # fresh local AWS with the prereqs scenario; cd's into $WORK
#   ap 4b deploy              # runs awsphase, sets $AP_RC, $AP_OUT, $AP_ERR
#   is "$AP_RC" 0 "deploy exits 0"
#
# Environment: AWSPHASE (the binary), AWSPHASE_MODULE_PATH, top_srcdir (set
# by make check); AWS_CLI picks the aws CLI: v2 (/usr/bin/aws, default) or v1.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${AWSPHASE:=$top_builddir/awsphase}"
: "${AWSPHASE_MODULE_PATH:=$top_builddir/modules/.libs}"
export AWSPHASE_MODULE_PATH

case "${AWS_CLI:-v2}" in
v2) AWS_BIN=/usr/bin/aws ;;
v1) AWS_BIN=$(PATH=$(printf %s "$PATH" | tr : '\n' | grep -v '^/usr/bin$' | paste -sd:) command -v aws) ;;
*) AWS_BIN=$AWS_CLI ;;
esac
# How awsphase runs aws: make check sets AWSPHASE_AWS_MODE=worker (aws CLI
# workers, ~25 ms a call); scenarios named in AWSPHASE_EXEC_SCENARIOS run
# one aws process per call instead, as awsphase does without workers.
case " ${AWSPHASE_EXEC_SCENARIOS:-} " in
*" ${0##*/} "*) AWSPHASE_AWS_MODE=exec ;;
esac
[ -n "${AWSPHASE_AWS_MODE:-}" ] && export AWSPHASE_AWS_MODE
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-2
export AWS_PAGER="" AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_PROFILE AWS_ENDPOINT_URL http_proxy HTTP_PROXY https_proxy HTTPS_PROXY

TAP_N=0
TAP_FAILED=0
plan() { echo "1..$1"; }
diag() { printf '# %s\n' "$@" | sed '2,$s/^/# /'; }
ok() { # ok COND-EXIT-STATUS DESCRIPTION
	TAP_N=$((TAP_N + 1))
	if [ "$1" -eq 0 ]; then echo "ok $TAP_N - $2"; else
		echo "not ok $TAP_N - $2"; TAP_FAILED=$((TAP_FAILED + 1)); fi
}
is() { # is GOT WANT DESCRIPTION
	if [ "$1" = "$2" ]; then ok 0 "$3"; else ok 1 "$3"; diag "got:  '$1'" "want: '$2'"; fi
}
like() { # like TEXT ERE DESCRIPTION
	if printf '%s' "$1" | grep -Eq -- "$2"; then ok 0 "$3"; else
		ok 1 "$3"; diag "no match for /$2/ in:" "$(printf '%s' "$1" | tail -n 20)"; fi
}
unlike() {
	if printf '%s' "$1" | grep -Eq -- "$2"; then
		ok 1 "$3"; diag "unexpected /$2/ in:" "$(printf '%s' "$1" | grep -E -- "$2" | head -n 5)"
	else ok 0 "$3"; fi
}
skip_all() { echo "1..0 # SKIP $1"; exit 0; }

WORK=
LOCALAWS_PID=
# The local AWS's fixture secret (DB_PASSWORD in the env file it writes, and
# in fixtures/aws-resources.env) may be in WORK only in env files: a file
# without a DB_PASSWORD= line that holds it is a leak (an output, a trace, a
# trace file), and fails the scenario.
SECRET_VALUE='s3cr3t-Pa55w0rd!'
secret_leaks() {
	grep -rlF -- "$SECRET_VALUE" "$WORK" 2>/dev/null | while IFS= read -r f; do
		grep -q '^DB_PASSWORD=' "$f" || echo "${f#"$WORK"/}"
	done
}
cleanup() {
	local rc=$? leaks=
	[ -n "$LOCALAWS_PID" ] && "$top_srcdir/tests/cloud/localaws-stop" "$LOCALAWS_PID" >/dev/null 2>&1
	[ -n "$WORK" ] && [ -d "$WORK" ] && leaks=$(secret_leaks)
	if [ -n "$leaks" ]; then
		echo "Bail out! the secret DB_PASSWORD value leaked into: $(echo $leaks)"
		rc=1
	fi
	[ -n "$WORK" ] && [ -z "${KEEP_WORK:-}" ] && rm -rf "$WORK"
	exit $rc
}
trap cleanup EXIT
trap 'exit 143' TERM INT

# localaws_start [serve args…]: a fresh local AWS; WORK holds its env file.
localaws_start() {
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/awsphase-scenario.XXXXXX")
	eval "$("$top_srcdir/tests/cloud/localaws-start" "$WORK" "$@")" || {
		echo "Bail out! local AWS did not start"; exit 1; }
	export AWSPHASE_ENDPOINT_URL=$LOCALAWS_ENDPOINT
	# the ALB answers every client, as an internet-facing one does on AWS:
	# deploy's verdict asks it (the aws CLI talks to the endpoint directly)
	export http_proxy=$LOCALAWS_ALB_PROXY no_proxy=127.0.0.1,localhost
	cd "$WORK" || exit 1
}

# ap ARGS…: run awsphase against the local AWS with a trace file.
AP_TRACE_FILE=
ap() {
	AP_TRACE_FILE=$WORK/trace.$TAP_N.$$.jsonl
	: >"$AP_TRACE_FILE"
	"$AWSPHASE" --aws "$AWS_BIN" --trace-file "$AP_TRACE_FILE" "$@" >"$WORK/out" 2>"$WORK/err"
	AP_RC=$?
	AP_OUT=$(cat "$WORK/out")
	AP_ERR=$(cat "$WORK/err")
	return 0
}

# aws ARGS…: the real aws CLI against the local AWS, JSON out.
awscli() {
	"$AWS_BIN" --endpoint-url "$LOCALAWS_ENDPOINT" --region us-east-2 --output json "$@"
}

# Counts lines of the last trace file: trace_count [mutating|dry_run|all]
trace_count() {
	case "${1:-all}" in
	all) grep -c . "$AP_TRACE_FILE" ;;
	mutating) grep -c '"mutating": *true' "$AP_TRACE_FILE" ;;
	# mutating calls on the stack, not awsphase's deploy history
	changes) grep '"mutating": *true' "$AP_TRACE_FILE" | grep -vc '"/awsphase/[^"]*/history"' ;;
	dry_run) grep -c '"dry_run": *true' "$AP_TRACE_FILE" ;;
	esac
}

# ctl PATH [JSON]: the local AWS control API.
ctl() {
	if [ $# -gt 1 ]; then
		curl -s -X POST -H 'Content-Type: application/json' --data "$2" "$LOCALAWS_CONTROL/$1"
	else
		curl -s "$LOCALAWS_CONTROL/$1"
	fi
}

# jget JSON EXPR: a value out of JSON (python3 is there for the local AWS).
jget() {
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2], {"d": d}))' "$1" "$2"
}

# template_ok FILE WHAT: one test, a CloudFormation template accepted by
# cfn-lint with nothing to say, or (no cfn-lint here) by CloudFormation's
# validate-template.
template_ok() {
	local lint
	if command -v cfn-lint >/dev/null 2>&1; then
		lint=$(cfn-lint "$1" 2>&1)
		is "$?:$lint" "0:" "cfn-lint accepts $2"
	else
		diag "no cfn-lint here: CloudFormation's validate-template instead"
		awscli cloudformation validate-template --template-body "file://$1" >/dev/null
		ok $? "validate-template accepts $2"
	fi
}

finish() { [ "$TAP_FAILED" -eq 0 ]; exit $?; }
