#!/usr/bin/env bash
# The bad-input catalogue: every case gets one line that names the cause and
# the fix, the documented exit code, an env file left byte for byte as it
# was, and no mutating aws call.  No AWS is needed: the env file is refused
# before any call, and the aws CLI's failures come from tests/unit/fake-aws.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"

FIXTURE=$top_srcdir/tests/scenarios/fixtures/aws-resources.env
FAKE=$top_builddir/tests/unit/fake-aws
WORK=$(mktemp -d "${TMPDIR:-/tmp}/awsphase-badinput.XXXXXX")
cd "$WORK" || exit 1
N_CASES=0

# check NAME WANT_RC ERE: after `run`, the four promises of one case.
check() {
	local name=$1 want=$2 ere=$3 lines
	N_CASES=$((N_CASES + 1))
	is "$RC" "$want" "$name: exit $want"
	lines=$(grep -c '^awsphase: ' "$WORK/err")
	like "$(grep '^awsphase: ' "$WORK/err" | tail -n 1)" "$ere" "$name: the message names the cause"
	if [ -e "$WORK/before" ]; then
		cmp -s "$WORK/before" "$ENVF" 2>/dev/null
		ok $? "$name: the env file is unchanged"
	else
		ok 0 "$name: (no env file to keep)"
	fi
	unlike "$(cat "$WORK/trace.jsonl" 2>/dev/null)" '"mutating": *true' "$name: no mutating call"
	[ "$lines" -ge 1 ] || diag "stderr: $(cat "$WORK/err")"
}

# run [awsphase args…]: deploy by default, against the env file in ENVF.
ENVF=$WORK/aws-resources.env
run() {
	: >"$WORK/trace.jsonl"
	rm -f "$WORK/before" "$WORK/fake.state"
	[ -f "$ENVF" ] && cp -p "$ENVF" "$WORK/before"
	FAKE_AWS_STATE=$WORK/fake.state "$AWSPHASE" --aws "${AWS_FOR_RUN:-$FAKE}" \
		--trace-file "$WORK/trace.jsonl" "$@" >"$WORK/out" 2>"$WORK/err" </dev/null
	RC=$?
}

# env_case NAME WANT_RC ERE: the fixture edited by the sed script on stdin.
env_with() { cp "$FIXTURE" "$ENVF"; chmod 600 "$ENVF"; }

plan $((51 * 4 + 2))

# ---- the env file ----------------------------------------------------------
rm -f "$ENVF"
run 4b deploy
check "no env file" 2 'aws-resources.env.*(No such file|not found|missing).*(--env-file|folder)'

mkdir "$WORK/adir"
run --env-file "$WORK/adir" 4b deploy
check "env file is a directory" 2 'adir.*(directory|not a regular file)'

ln -s /dev/zero "$WORK/zero.env"
run --env-file "$WORK/zero.env" 4b deploy
check "env file is a symlink to /dev/zero" 2 'zero.env.*(not a regular file|device)'

mkfifo "$WORK/fifo.env"
run --env-file "$WORK/fifo.env" 4b deploy
check "env file is a FIFO" 2 'fifo.env.*not a regular file'

edit() { env_with; python3 - "$ENVF" "$@"; }
pyedit='import sys; p=sys.argv[1]; s=open(p,"rb").read(); '

edit <<<"${pyedit}"'s=s.replace(b"VPC_ID=vpc-0a1b2c3d4e5f60718\n", b""); open(p,"wb").write(s)'
run 4b deploy
check "a required key is missing" 2 'VPC_ID is missing'

env_with; sed -i 's/^VPC_ID=.*/VPC_ID=vpc-xyz/' "$ENVF"
run 4b deploy
check "a bad VPC id" 2 "VPC_ID.*vpc-xyz"

env_with; sed -i 's/^PUBLIC_SUBNET_2=.*/PUBLIC_SUBNET_2=subnet-12/' "$ENVF"
run 4b deploy
check "a bad subnet id" 2 'PUBLIC_SUBNET_2'

env_with; sed -i 's|^ECR_URI=.*|ECR_URI=docker.io/kaviar:latest|' "$ENVF"
run 4b deploy
check "an ECR URI that is not ECR" 2 'ECR_URI'

env_with; sed -i 's/^S3_BUCKET=.*/S3_BUCKET=$(rm -rf ~)/' "$ENVF"
run 4b deploy
check "command substitution" 2 ':[0-9]+: .*(command substitution|\$\()'

env_with; sed -i 's/^S3_BUCKET=.*/S3_BUCKET=`id`/' "$ENVF"
run 4b deploy
check "backticks" 2 ':[0-9]+: .*(backtick|`)'

env_with; sed -i 's/^S3_BUCKET=.*/S3_BUCKET="$HOME-bucket"/' "$ENVF"
run 4b deploy
check "parameter expansion" 2 ':[0-9]+: .*(expansion|\$HOME)'

env_with; sed -i 's/^S3_BUCKET=.*/S3_BUCKET="kaviar-uploads/' "$ENVF"
run 4b deploy
check "an unterminated double quote" 2 ':[0-9]+: .*unterminated'

env_with; sed -i "s/^S3_BUCKET=.*/S3_BUCKET='kaviar-uploads/" "$ENVF"
run 4b deploy
check "an unterminated single quote" 2 ':[0-9]+: .*unterminated'

env_with; echo "VPC_ID=vpc-0a1b2c3d4e5f60719" >>"$ENVF"
run 4b deploy
check "a key set twice" 2 'VPC_ID.*twice'

env_with; python3 -c 'import sys; open(sys.argv[1],"a").write("NOTE=" + "x"*1048576 + "\n")' "$ENVF"
run 4b deploy
check "a 1 MB line" 2 '(too long|larger than|1 MiB|64 KiB)'

env_with; printf 'NOTE=a\0b\n' >>"$ENVF"
run 4b deploy
check "a NUL byte" 2 '(NUL|binary)'

env_with; echo "S3_BUCKET = kaviar" >>"$ENVF"
run 4b deploy
check "spaces around =" 2 ':[0-9]+: .*(space|=)'

env_with; echo "1ABC=x" >>"$ENVF"
run 4b deploy
check "an invalid key name" 2 ':[0-9]+: .*(key|name)'

env_with; echo "hello world" >>"$ENVF"
run 4b deploy
check "a line that is not an assignment" 2 ':[0-9]+: .*(assignment|KEY=VALUE)'

env_with; echo "CONTAINER_PORT=abc" >>"$ENVF"
run 4b deploy
check "a port that is not a number" 2 'CONTAINER_PORT'

env_with; echo "SUBNET_TIER=dmz" >>"$ENVF"
run 4b deploy
check "an unknown subnet tier" 2 'SUBNET_TIER'

env_with; echo "DESIRED_COUNT=-1" >>"$ENVF"
run 4b deploy
check "a negative desired count" 2 'DESIRED_COUNT'

env_with; echo "DESIRED_COUNT=99999999" >>"$ENVF"
run 4b deploy
check "a huge desired count" 2 'DESIRED_COUNT'

env_with; echo "TASK_CPU=300" >>"$ENVF"
run 4b deploy
check "a CPU size Fargate does not have" 2 'TASK_CPU'

env_with; sed -i 's/^DB_PASSWORD=.*/DB_PASSWORD="s3cr3t-Pa55w0rd!/' "$ENVF"
run 4b deploy
check "an unterminated secret" 2 ':[0-9]+: .*unterminated'
unlike "$(cat "$WORK/err" "$WORK/out")" 's3cr3t-Pa55w0rd' "an unterminated secret: its value is not printed"

# CRLF line ends and a UTF-8 BOM are read as bash reads them: the bad value
# on line 6 is found and named, not the line ends
edit <<<"${pyedit}"'s=b"\xef\xbb\xbf"+s.replace(b"\n", b"\r\n").replace(b"VPC_ID=vpc-0a1b2c3d4e5f60718", b"VPC_ID=vpc-xyz"); open(p,"wb").write(s)'
run 4b deploy
check "CRLF line ends and a BOM, with a bad VPC id" 2 "VPC_ID.*vpc-xyz"

# unreadable: root reads any file, so the run is nobody's when we are root
env_with; chmod 000 "$ENVF"
chmod 711 "$WORK"
as_user=()
[ "$(id -u)" -eq 0 ] && as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
: >"$WORK/trace.jsonl"
rm -f "$WORK/before"
cp -p "$ENVF" "$WORK/before"
"${as_user[@]}" "$AWSPHASE" --aws "$FAKE" 4b deploy >"$WORK/out" 2>"$WORK/err" </dev/null
RC=$?
chmod 700 "$WORK"
check "an unreadable env file" 2 'aws-resources.env.*(Permission denied|cannot open).*permissions'

# ---- arguments --------------------------------------------------------------
env_with
run 4x deploy
check "an unknown phase" 2 '4x: unknown phase.*awsphase list'
run 4b deploi
check "an unknown action" 2 'deploi: no such action.*--help'
run 4b deploy --frobnicate
check "an unknown option" 2 'frobnicate.*unknown option.*--help'
run --timeout -5 4b deploy
check "a negative timeout" 2 'timeout.*range'
run --timeout 1e9 4b deploy
check "a huge timeout" 2 'timeout.*range'
run --jobs 1000 4b deploy
check "too many jobs" 2 'jobs.*range'
run --jobs abc 4b deploy
check "jobs not a number" 2 "jobs abc.*whole number"
run --output yaml 4b deploy
check "an unknown output format" 2 'output yaml.*text or json'
run --region mars-north-9x 4b deploy
check "a region that is not one" 2 'region.*us-east-2'
run --endpoint-url not-a-url 4b deploy
check "an endpoint that is not a URL" 2 'not-a-url.*http'
run --trace-file "$WORK/no/such/dir/t.jsonl" 4b deploy
check "a trace file that cannot be written" 2 'trace-file.*(No such file|writable)'

# ---- the aws CLI --------------------------------------------------------------
AWS_FOR_RUN=$WORK/no-such-aws run 4b deploy
check "aws CLI missing" 5 "no-such-aws.*(install the aws CLI|--aws)"

printf '#!/bin/sh\necho {}\n' >"$WORK/not-exec"; chmod 644 "$WORK/not-exec"
AWS_FOR_RUN=$WORK/not-exec run 4b deploy
check "aws CLI not executable" 5 "not-exec.*(not executable|permission)"

export FAKE_AWS_SCRIPT
FAKE_AWS_SCRIPT=$'0\tHello, I am not the aws CLI\\n\t'
run 4b deploy
check "aws printing non-JSON" 5 'not JSON'

FAKE_AWS_SCRIPT=$'0\t{"Services": [{"status": "ACT\t'
run 4b deploy
check "aws printing truncated JSON" 5 'not JSON'

FAKE_AWS_SCRIPT=$'0\t\t'
run 4b deploy
check "aws exiting 0 with no output" 5 'printed nothing'

FAKE_AWS_SCRIPT=$'hang\t\t'
run --timeout 2 4b deploy
check "aws hanging" 4 '(no answer|gave up|timed out)'

FAKE_AWS_SCRIPT=$'254\t\t\\nAn error occurred (ExpiredTokenException) when calling the DescribeServices operation: The security token included in the request is expired\\n'
run 4b deploy
check "an expired token" 3 'ExpiredToken.*(credentials|sts get-caller-identity|profile)'

FAKE_AWS_SCRIPT=$'254\t\t\\nAn error occurred (AccessDeniedException) when calling the DescribeServices operation: User: arn:aws:iam::123456789012:user/ci is not authorized to perform: ecs:DescribeServices\\n'
run 4b deploy
check "access denied" 3 'AccessDenied.*not authorized'

# only one operation is refused: the read before it is answered (one at a
# time: the account guard's sts call, the security groups, then the service)
FAKE_AWS_SCRIPT=$'0\t{"Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/ci"}\t\necho\n254\t\t\\nAn error occurred (AccessDeniedException) when calling the DescribeServices operation: User: arn:aws:iam::123456789012:user/ci is not authorized to perform: ecs:DescribeServices\\n\necho'
run --jobs 1 4b deploy
check "access denied on one operation only" 3 'AccessDenied.*DescribeServices|describe-services.*AccessDenied'

FAKE_AWS_SCRIPT=$'254\t\t\\nAn error occurred (UnrecognizedClientException) when calling the DescribeServices operation: The security token included in the request is invalid.\\n'
run 4b deploy
check "invalid credentials" 3 'UnrecognizedClient'

FAKE_AWS_SCRIPT=$'253\t\t\\nThe config profile (prod) could not be found\\n'
run --profile prod 4b deploy
check "a profile that does not exist" 3 'profile.*prod'

FAKE_AWS_SCRIPT=$'255\t\t\\nCould not connect to the endpoint URL: "https://ecs.us-east-9.amazonaws.com/"\\n'
run --timeout 3 --region us-east-9 4b deploy
check "a wrong region (no endpoint)" 4 'connect.*(endpoint|network)'
unset FAKE_AWS_SCRIPT

AWS_FOR_RUN=$AWS_BIN run --timeout 3 --endpoint-url http://127.0.0.1:9 4b deploy
check "endpoint unreachable (real aws CLI)" 4 '(connect|endpoint)'

is "$N_CASES" 51 "the catalogue has 51 cases"
finish
