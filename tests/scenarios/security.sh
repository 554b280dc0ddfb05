#!/usr/bin/env bash
# Security: group- or world-writable module folders and files are refused
# (through AWSPHASE_MODULE_PATH, a copy of the built module); the env file
# keeps its mode when deploy writes it back, whatever the umask, and the
# trace file is created 0600; the secret DB_PASSWORD value (the local AWS's
# fixture writes DB_PASSWORD="s3cr3t-Pa55w0rd!") appears in no stdout,
# stderr, --trace or --trace-file of deploy, validate, status, diagnose,
# logs and metrics run with --trace --trace-file -vv (text and JSON), nor in
# AWS.  (lib.sh's cleanup greps every scenario's files for it as well.)
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
. "$top_srcdir/tests/scenarios/reliability-lib.sh"
plan 19
localaws_start --seed 14
fast_sim
export http_proxy=$LOCALAWS_ALB_PROXY no_proxy=127.0.0.1,localhost

# --- module permissions
mods=$WORK/mods
mkdir -m 755 "$mods"
cp "$AWSPHASE_MODULE_PATH/phase4b.so" "$mods/"
chmod 644 "$mods/phase4b.so"
# modules: exit status and stderr of `awsphase list` with only $mods
modules() {
	AWSPHASE_MODULE_PATH=$mods "$AWSPHASE" list >"$WORK/out" 2>"$WORK/err"
	MOD_RC=$?
	MOD_OUT=$(cat "$WORK/out")
	MOD_ERR=$(cat "$WORK/err")
}
modules
like "$MOD_OUT" '^4b ' "a 755 folder with a 644 module: the module loads"
chmod 777 "$mods"
modules
unlike "$MOD_OUT" '^4b ' "a 777 folder: its module is not loaded"
like "$MOD_ERR" "module directory $mods: refusing it because it is group- or world-writable; run chmod go-w" \
	"... and awsphase says why and what to do"
chmod 775 "$mods"
modules
unlike "$MOD_OUT" '^4b ' "a group-writable (775) folder: refused too"
chmod 755 "$mods"
chmod 666 "$mods/phase4b.so"
modules
unlike "$MOD_OUT" '^4b ' "a 666 module file: refused"
like "$MOD_ERR" "module file $mods/phase4b.so: refusing it because it is group- or world-writable" \
	"... saying so"
: >"$WORK/trace.refused"
AWSPHASE_MODULE_PATH=$mods "$AWSPHASE" --trace-file "$WORK/trace.refused" 4b deploy >/dev/null 2>"$WORK/err"
is "$?:$(grep -c . "$WORK/trace.refused")" 2:0 "awsphase 4b deploy with it: exit 2 (unknown phase), no aws call"

# --- modes: the env file keeps its own, the trace file is private
chmod 640 aws-resources.env
(umask 077 && "$AWSPHASE" --aws "$AWS_BIN" --trace --trace-file "$WORK/trace.deploy" -vv \
	--timeout 120 4b deploy >"$WORK/out.deploy" 2>"$WORK/err.deploy")
is "$?" 0 "deploy exits 0"
grep -q '^SERVICE_ARN=' aws-resources.env
ok $? "it wrote its keys into the env file"
is "$(stat -c %a aws-resources.env)" 640 "the env file is still 0640 (umask 077 in force)"
is "$(ls -A | grep -c '^\.aws-resources\.env\.')" 0 "no temp file beside it"
is "$(stat -c %a "$WORK/trace.deploy")" 600 "the new trace file is 0600"
chmod 604 aws-resources.env
sed -i '/^LAST_GOOD_TASK_DEF_ARN=/d' aws-resources.env
(umask 000 && "$AWSPHASE" --aws "$AWS_BIN" --timeout 120 4b deploy >/dev/null 2>&1)
is "$?:$(stat -c %a aws-resources.env)" 0:604 "a deploy that writes under umask 000 keeps 0604"
chmod 600 aws-resources.env

# --- the secret, everywhere: text and JSON, every action that reads AWS
secret=$(sed -n 's/^DB_PASSWORD="\(.*\)"$/\1/p' aws-resources.env)
is "$secret" 's3cr3t-Pa55w0rd!' "the env file holds the fixture's secret"
i=0
for action in "4b validate" "4b status" "4b diagnose" "4b logs --since 10m" "4b metrics" \
	"-o json 4b status" "-o json 4b validate" "-o json 4b diagnose" "--dry-run 4b deploy"; do
	i=$((i + 1))
	# shellcheck disable=SC2086 # the action's words
	"$AWSPHASE" --aws "$AWS_BIN" --trace --trace-file "$WORK/trace.$i" -vv --timeout 120 $action \
		>"$WORK/out.$i" 2>"$WORK/err.$i"
	echo "$? $action" >>"$WORK/rcs"
done
is "$(awk '$1 > 1' "$WORK/rcs")" "" "validate, status, diagnose, logs, metrics (text and JSON), a dry run: no exit above 1"
[ -z "$(awk '$1 > 1' "$WORK/rcs")" ] || diag "$(cat "$WORK/rcs")"
n=$(cat "$WORK"/trace.deploy "$WORK"/trace.[0-9]* | grep -c .)
[ "$n" -ge 40 ] && grep -q '^+ ' "$WORK"/err.1
ok $? "the artifacts are there: $n trace-file records, --trace lines on stderr"
leaks=$(grep -lF -- "$secret" "$WORK"/out.* "$WORK"/err.* "$WORK"/trace.*)
is "$leaks" "" "the secret is in no stdout, stderr, --trace or trace file of the $((i + 1)) runs"
td=$(awscli ecs describe-task-definition --task-definition kaviar-backend)
unlike "$td" "$secret" "nor in the task definition AWS holds"
is "$(jget "$td" '[s["name"] for s in d["taskDefinition"]["containerDefinitions"][0]["secrets"]]')" \
	"['DB_PASSWORD']" "where it has DB_PASSWORD as a secret, from Secrets Manager"
finish
