#!/usr/bin/env bash
# No injection: env-file values with ;, $(…), backticks, spaces and quotes
# reach the aws CLI as single argv elements, whole, and AWS stores them as
# written; the --trace line quotes them so that a shell gives the same argv
# back; no shell ever runs them.  A newline, which the env file allows inside
# quotes, is refused by the keys that reach aws, before any call.
#
# ECS_SG_NAME (its pattern allows spaces ; $ ( ) & { } ! * #) becomes
# create-security-group --group-name; SQS_QUEUE_URL (anything but blanks)
# goes into register-task-definition's container environment.  The first
# deploy runs aws processes (posix_spawn), the second aws CLI workers.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
. "$top_srcdir/tests/scenarios/reliability-lib.sh"
plan 18
localaws_start --seed 13
fast_sim

SG_NAME='kaviar ecs;$(touch PWNED-sg)&&{touch,PWNED-brace}!*# x'
SQS1="https://sqs.us-east-2.amazonaws.com/123456789012/q;\$(touch\${IFS}PWNED-1)\`touch\${IFS}PWNED-2\`\"'x"
SQS2="https://sqs.us-east-2.amazonaws.com/123456789012/q2;\`id\`\$(id)\"\"''&&|>PWNED-3"
sed -i '/^SQS_QUEUE_URL=/d' aws-resources.env
# as a person would write them: single quotes, and double quotes with \ escapes
cat >>aws-resources.env <<'EOF'
ECS_SG_NAME='kaviar ecs;$(touch PWNED-sg)&&{touch,PWNED-brace}!*# x'
SQS_QUEUE_URL="https://sqs.us-east-2.amazonaws.com/123456789012/q;\$(touch\${IFS}PWNED-1)\`touch\${IFS}PWNED-2\`\"'x"
EOF

# argv_after TRACE OPERATION FLAG [ELEMENT]: the argv element after FLAG in
# the trace file's record of OPERATION (its last; with ELEMENT, the last that
# also carries that element), as JSON.  Records are written as calls end, so
# two calls of one stage (the ALB's and the ECS's create-security-group, run
# side by side) come in either order: name the one meant.
argv_after() {
	python3 -c 'import json, sys
for line in open(sys.argv[1]):
    if line.startswith("{"):
        a = json.loads(line)["argv"]
        if a[1] == sys.argv[2] and sys.argv[3] in a and (len(sys.argv) < 5 or sys.argv[4] in a):
            v = a[a.index(sys.argv[3]) + 1]
print(json.dumps(v))' "$@"
}
# trace_line_after OPERATION FLAG [TEXT]: the same from the --trace line (the
# last of OPERATION; with TEXT, the last holding it), as a shell splits it
trace_line_after() {
	grep "^+ [^ ]* [a-z0-9]* $1 " "$WORK/err" | grep -F -e "${3:-}" | tail -n 1 | sed 's/^+ //' | python3 -c 'import json, shlex, sys
a = shlex.split(sys.stdin.read())
print(json.dumps(a[a.index(sys.argv[1]) + 1]))' "$2"
}
# env_value CONTAINER_DEFINITIONS_JSON: SQS_QUEUE_URL in it, as JSON
env_value() {
	python3 -c 'import json, sys
c = json.loads(json.loads(sys.argv[1]))
print(json.dumps([e["value"] for e in c[0]["environment"] if e["name"] == "SQS_QUEUE_URL"]))' "$1"
}
js() { python3 -c 'import json, sys; print(json.dumps(sys.argv[1]))' "$1"; }

# --- aws processes
ap --aws-mode exec -x --timeout 120 4b deploy
is "$AP_RC" 0 "deploy (an aws process per call) exits 0 with the awkward values"
[ "$AP_RC" -eq 0 ] || diag "$(grep -v '^+ ' "$WORK/err" | tail -n 5)"
like "$AP_OUT" 'stable, targets healthy' "the service on the awkward group name is stable, its targets healthy"
is "$(argv_after "$AP_TRACE_FILE" create-security-group --group-name \
	'Kaviar ECS tasks - port 3001 from the ALB' | tail -n 1)" "$(js "$SG_NAME")" \
	"trace file: --group-name is one argv element, the value whole"
is "$(trace_line_after create-security-group --group-name 'Kaviar ECS tasks' | tail -n 1)" "$(js "$SG_NAME")" \
	"--trace: the shell splits the line back into the same element"
. ./aws-resources.env
is "$(awscli ec2 describe-security-groups --group-ids "$ECS_SG_ID" --query 'SecurityGroups[0].GroupName' --output json | python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)))')" \
	"$(js "$SG_NAME")" "AWS stored the group name as written (aws ec2 describe-security-groups)"
is "$(env_value "$(argv_after "$AP_TRACE_FILE" register-task-definition --container-definitions)")" \
	"[$(js "$SQS1")]" "trace file: the container environment carries SQS_QUEUE_URL whole"
is "$(env_value "$(trace_line_after register-task-definition --container-definitions)")" \
	"[$(js "$SQS1")]" "--trace: the same, through the shell"
td=$(awscli ecs describe-task-definition --task-definition kaviar-backend:1 --query 'taskDefinition.containerDefinitions[0].environment' --output json)
is "$(python3 -c 'import json, sys; print(json.dumps([e["value"] for e in json.loads(sys.argv[1]) if e["name"] == "SQS_QUEUE_URL"]))' "$td")" \
	"[$(js "$SQS1")]" "AWS stored SQS_QUEUE_URL as written (aws ecs describe-task-definition)"
task=$(awscli ecs list-tasks --cluster kaviar-cluster --service-name kaviar-backend-service --query 'taskArns[0]' --output text)
eni=$(awscli ecs describe-tasks --cluster kaviar-cluster --tasks "$task" \
	--query 'tasks[0].attachments[0].details[?name==`networkInterfaceId`].value' --output text)
is "$(awscli ec2 describe-network-interfaces --network-interface-ids "$eni" \
	--query 'NetworkInterfaces[0].Groups[*].GroupName' --output json | python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)))')" \
	"[$(js "$SG_NAME")]" "the task's ENI carries the group of that name"

# --- aws CLI workers: a new value, a new revision
python3 - "$SQS2" <<'PY'
import re, sys
v = sys.argv[1]
q = '"' + re.sub(r'([$`"\\])', r'\\\1', v) + '"'
lines = [l for l in open("aws-resources.env") if not l.startswith("SQS_QUEUE_URL=")]
open("aws-resources.env", "w").write("".join(lines) + "SQS_QUEUE_URL=" + q + "\n")
PY
ap --aws-mode worker -x --timeout 120 4b deploy
is "$AP_RC" 0 "deploy (aws CLI workers) exits 0 with a new awkward SQS_QUEUE_URL"
[ "$AP_RC" -eq 0 ] || diag "$(grep -v '^+ ' "$WORK/err" | tail -n 5)"
is "$(env_value "$(argv_after "$AP_TRACE_FILE" register-task-definition --container-definitions)")" \
	"[$(js "$SQS2")]" "trace file: SQS_QUEUE_URL whole in revision 2"
td=$(awscli ecs describe-task-definition --task-definition kaviar-backend:2 --query 'taskDefinition.containerDefinitions[0].environment' --output json)
is "$(python3 -c 'import json, sys; print(json.dumps([e["value"] for e in json.loads(sys.argv[1]) if e["name"] == "SQS_QUEUE_URL"]))' "$td")" \
	"[$(js "$SQS2")]" "AWS stored it as written"
ap --timeout 120 4b deploy
is "$AP_RC:$(trace_count mutating)" 0:0 "a third deploy sees the values it stored as the same: no change"

found=$(find "$WORK" /tmp -maxdepth 2 -name 'PWNED*' 2>/dev/null)
is "$found" "" "no PWNED file anywhere: no shell ran a value"

# --- a newline, quoted, in a key that reaches aws: refused before any call
cp aws-resources.env env.before
printf 'ECS_SG_NAME="kaviar\nsg"\n' >env.tail
sed -i '/^ECS_SG_NAME=/d' aws-resources.env
cat env.tail >>aws-resources.env
cp aws-resources.env env.newline
ap --timeout 120 4b deploy
is "$AP_RC" 2 "a newline in ECS_SG_NAME: exit 2"
like "$AP_ERR" 'ECS_SG_NAME' "the message names ECS_SG_NAME"
is "$(trace_count all)" 0 "no aws call at all"
cmp -s env.newline aws-resources.env
ok $? "the env file is left as it was"
finish
