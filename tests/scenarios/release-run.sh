#!/usr/bin/env bash
# awsphase 4b run and deploy --before (issue 17, part 2): a one-off task of
# the service's revision with its network, its lines shown, its container's
# exit code the verdict (message and JSON); --next registers what the next
# deploy would, once; deploy --before moves the service only when the
# command exits 0, and runs it only when a deployment is to start; under
# --dry-run run-task is printed (copy-pasteable), not run; SIGINT and the
# deadline stop the task (ecs stop-task) before awsphase exits.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
. "$top_srcdir/tests/scenarios/reliability-lib.sh"
plan 38
localaws_start
fast_sim

service_td() {
	awscli ecs describe-services --cluster kaviar-cluster --services kaviar-backend-service \
		--query 'services[0].taskDefinition' --output text | sed 's#.*/##'
}
# the aws operations of the last run, one a line: all, or the mutating ones
operations() {
	python3 -c 'import json, sys
for line in open(sys.argv[1]):
    t = json.loads(line) if line.startswith("{") else {}
    history = "/awsphase/kaviar/history" in t.get("argv", [])  # the deploy history (issue 17)
    if t and (sys.argv[2] == "all" or t["mutating"] and not history):
        print(t["argv"][1])' "$AP_TRACE_FILE" "${1:-all}"
}
task_of() { # the task id the last run's output names
	printf '%s\n' "$AP_OUT" | sed -n 's/^\(--before: \)\{0,1\}task \([0-9a-f]*\) of .*/\2/p' | head -n 1
}
stopped_task() { # TASK-ID: lastStatus, stoppedReason, exitCode once it is STOPPED (5 s at most)
	local i out
	for i in $(seq 50); do
		out=$(awscli ecs describe-tasks --cluster kaviar-cluster --tasks "$1" --query \
			'tasks[0].[lastStatus, stoppedReason, containers[0].exitCode]' --output text)
		case $out in STOPPED*) break ;; esac
		sleep 0.1
	done
	printf '%s' "$out" | tr '\t' '|'
}

ap --timeout 120 4b deploy
is "$AP_RC:$(service_td)" 0:kaviar-backend:1 "deploy: the service runs kaviar-backend:1"

# --- 4b run: the verdict is the container's exit code
ap --output json 4b run -- exit 3
is "$AP_RC" 1 "4b run -- exit 3: exit 1"
like "$AP_ERR" 'task [0-9a-f]{32}: container kaviar-backend exited 3 \(Essential container in task exited\)' \
	"the message names the container's exit code 3 and the stopped reason"
is "$(jget "$AP_OUT" '[d["run"][k] for k in ("exit_code", "reason", "revision")]')" \
	"[3, 'Essential container in task exited', 'kaviar-backend:1']" \
	"JSON: run.exit_code 3, run.reason, run.revision the service's"
like "$(jget "$AP_OUT" 'd["run"]["task"]')" '^arn:aws:ecs:us-east-2:123456789012:task/kaviar-cluster/[0-9a-f]{32}$' \
	"JSON: run.task is the task's ARN"
ap 4b run -- echo migrated
is "$AP_RC" 0 "4b run -- echo migrated: exit 0"
like "$AP_OUT" '^migrated$' "the line 'migrated' is shown"
# the deploy history's (issue 17): sts, the revision's image and its tag
# (describe-task-definition, describe-images), put-log-events
is "$(operations | sort | uniq -c | awk '$2 !~ /^(describe-tasks|get-log-events|get-caller-identity|describe-task-definition|describe-images|put-log-events)$/ {print $2 "=" $1}' | paste -sd' ')" \
	"describe-services=1 run-task=1" "its calls: one describe-services, one run-task, then the polls"
like "$(trace_count)" '^([4-9]|1[0-6])$' "… $(trace_count) calls in all"
net=$(awscli ecs describe-tasks --cluster kaviar-cluster --tasks "$(task_of)" --query \
	'tasks[0].[launchType, attachments[0].details[?name==`subnetId`].value | [0]]' --output text)
like "$net" "^FARGATE	($(sed -n 's/^PUBLIC_SUBNET_[12]=//p' aws-resources.env | paste -sd'|'))$" \
	"a FARGATE task in one of the service's subnets"
ap --output json 4b history --limit 2
is "$(jget "$AP_OUT" '[(e["action"], e["result"], e["revision"]) for e in d["history"]]')" \
	"[('run', 0, 'kaviar-backend:1'), ('run', 3, 'kaviar-backend:1')]" \
	"4b history: both runs, newest first, their exit codes as results"

# --- a shell script is one word after sh -c; --dry-run prints run-task, copy-pasteable
script='echo "it'"'"'s two words" && exit 0'
ap --dry-run 4b run -- sh -c "$script"
is "$AP_RC:$(trace_count mutating):$(trace_count dry_run)" 0:1:1 "--dry-run: run-task listed, not run"
line=$(printf '%s\n' "$AP_OUT" | sed -n 's/^would run: //p')
arn=$(eval "$line" | python3 -c 'import json, sys; print(json.load(sys.stdin)["tasks"][0]["taskArn"])')
cmd=$(awscli ecs describe-tasks --cluster kaviar-cluster --tasks "$arn" --query \
	'tasks[0].overrides.containerOverrides[0].command')
is "$(python3 -c 'import json, sys; print(json.loads(sys.argv[1]) == ["sh", "-c", sys.argv[2]])' "$cmd" "$script")" \
	True "the printed command, pasted into a shell, runs that task: [sh, -c, SCRIPT]"
ap 4b run -- sh -c "$script"
is "$AP_RC:$(printf '%s\n' "$AP_OUT" | grep -c "^it's two words\$")" 0:1 \
	"4b run -- sh -c SCRIPT runs the script: exit 0, its line shown"

# --- --next registers what deploy would, once; --revision N
echo TASK_MEMORY=2048 >>"$WORK/aws-resources.env"
ap --output json 4b run --next -- echo next
is "$AP_RC:$(jget "$AP_OUT" 'd["run"]["revision"]'):$(service_td)" 0:kaviar-backend:2:kaviar-backend:1 \
	"4b run --next: a task of the new revision 2, registered now; the service still on 1"
is "$(operations mutating | paste -sd' ')" "register-task-definition run-task" "… its changes: the registration and the task"
ap --output json 4b run --revision 1 -- true
is "$AP_RC:$(jget "$AP_OUT" 'd["run"]["revision"]')" 0:kaviar-backend:1 "4b run --revision 1: a task of kaviar-backend:1"
ap 4b run --revision 1 --next -- true
is "$AP_RC:$(trace_count)" 2:0 "--revision with --next: exit 2, no call"
ap 4b run
is "$AP_RC" 2 "no command: exit 2"

# --- deploy --before: the gate
ap --dry-run --timeout 120 4b deploy --before 'echo dry'
# printed, none run: the task, the service's update, the deploy history's event
is "$AP_RC:$(operations mutating | paste -sd' '):$(trace_count dry_run):$(service_td)" \
	"0:run-task update-service:3:kaviar-backend:1" "--dry-run: the task and the update-service listed in that order, none run"
ap --output json --timeout 120 4b deploy --before 'echo migrating; exit 1'
is "$AP_RC:$(service_td)" 1:kaviar-backend:1 "deploy --before 'echo migrating; exit 1': exit 1, the service stays on 1"
like "$AP_ERR" 'service kaviar-backend-service not moved: it stays on kaviar-backend:1' "saying so"
like "$AP_ERR" "the task's last log lines:" "with the task's last log lines …"
like "$AP_ERR" '^  migrating$' "… its 'migrating'"
is "$(jget "$AP_OUT" '[d["before"][k] for k in ("exit_code", "revision", "command")]')" \
	"[1, 'kaviar-backend:2', 'echo migrating; exit 1']" "JSON: before.exit_code 1, the revision it ran, the command"
is "$(operations mutating | paste -sd' ')" "run-task" "revision 2 is not registered again; no update-service"
ap --trace --timeout 120 4b deploy --before 'echo ok'
is "$AP_RC:$(service_td)" 0:kaviar-backend:2 "deploy --before 'echo ok': exit 0, the service moves to 2"
is "$(printf '%s\n' "$AP_OUT" | awk '/^--before: task [0-9a-f]+ exited 0$/ { b = NR }
	/service kaviar-backend-service .*updated/ { s = NR } END { print (b && s && b < s) }')" 1 \
	"the command ran before the service moved"
like "$AP_ERR" "\+ /[^ ]*aws ecs run-task .* --overrides '\{\"containerOverrides\":\[\{\"name\":\"kaviar-backend\",\"command\":\[\"sh\",\"-c\",\"echo ok\"\]\}\]\}'" \
	"--trace: run-task with the overrides JSON quoted, the command as sh -c COMMAND"
is "$(awscli ecs list-task-definitions --family-prefix kaviar-backend --query 'length(taskDefinitionArns)')" 2 \
	"two revisions in all"
echo "BEFORE_DEPLOY='exit 1'" >>"$WORK/aws-resources.env"
ap --timeout 120 4b deploy
is "$AP_RC:$(trace_count mutating)" 0:0 "BEFORE_DEPLOY set, nothing to deploy: exit 0, no task, no change"

sed 's/^BEFORE_DEPLOY=.*/BEFORE_DEPLOY="migrate\x01"/' aws-resources.env >"$WORK/bad.env"
ap -e "$WORK/bad.env" 4b deploy
like "$AP_RC:$(trace_count):$AP_ERR" '^2:0:.*BEFORE_DEPLOY: .*fix the value' \
	"BEFORE_DEPLOY with a control character: exit 2 before any call, naming the key"

# a service to create: the command runs first, with the network the env file gives it
mkdir "$WORK/other" && sed 's/^BEFORE_DEPLOY=.*/BEFORE_DEPLOY="echo first; exit 1"/' aws-resources.env \
	>"$WORK/other/aws-resources.env" && echo ECS_SERVICE=kaviar-other >>"$WORK/other/aws-resources.env"
(cd "$WORK/other" && ap --timeout 120 4b deploy && printf '%s\n%s\n%s' "$AP_RC" "$AP_OUT" "$AP_ERR" >"$WORK/other/result")
is "$(head -n 1 "$WORK/other/result"):$(awscli ecs describe-services --cluster kaviar-cluster --services kaviar-other \
	--query 'length(services)')" 1:0 "a first deploy of service kaviar-other, BEFORE_DEPLOY failing: exit 1, no service"
like "$(cat "$WORK/other/result")" 'service kaviar-other not created: the command before it failed' "… saying so"

# --- SIGINT stops the task; so does the deadline
AP_TRACE_FILE=$WORK/trace.sigint.jsonl
"$AWSPHASE" --aws "$AWS_BIN" --trace-file "$AP_TRACE_FILE" 4b run -- sleep 60 >"$WORK/out" 2>"$WORK/err" &
pid=$!
for i in $(seq 300); do # RUNNING: its container has started (and ignores SIGTERM)
	AP_OUT=$(cat "$WORK/out")
	[ -n "$(task_of)" ] && [ "$(awscli ecs describe-tasks --cluster kaviar-cluster --tasks "$(task_of)" \
		--query 'tasks[0].lastStatus' --output text)" = RUNNING ] && break
	sleep 0.1
done
kill -INT "$pid"
wait "$pid"
AP_RC=$? AP_OUT=$(cat "$WORK/out") AP_ERR=$(cat "$WORK/err")
is "$AP_RC" 130 "SIGINT during 4b run -- sleep 60: exit 130"
is "$(stopped_task "$(task_of)")" "STOPPED|stopped by awsphase: interrupted|137" \
	"the task is STOPPED with awsphase's reason (ecs stop-task), exit 137"
like "$AP_ERR" "stopped task $(task_of) \(ecs stop-task\)" "saying it stopped it"
ap --timeout 3 4b run -- sleep 60
is "$AP_RC:$(stopped_task "$(task_of)")" "4:STOPPED|stopped by awsphase: --timeout ran out|137" \
	"the deadline (--timeout 3): exit 4, the task stopped"
finish
