#!/usr/bin/env bash
# Environments (issue 18): --env NAME reads aws-resources.NAME.env and tags
# what it creates awsphase:env=NAME (4A's repository, made; phase 1's VPC in
# a dry run: the engine's tag specifications; without --env the calls stay
# the runbook's); bad names, a missing env file and --env with
# --env-file exit 2 and change nothing.  Two environments in one account
# (distinct names in their env files) deploy 4B side by side in one run,
# under 30% throttling: both converge, the shared budget backs off and
# recovers (-v says so), each env file gets its own ids, no name collides.
# status over both is one JSON document with an entry each; SIGTERM reaches
# both and the document is still printed; one broken env file makes the run
# exit 2 while the other environment still reports.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
. "$top_srcdir/tests/scenarios/reliability-lib.sh"
plan 21

localaws_start
for e in staging prod; do
	{ cat aws-resources.env
	  printf 'ECS_CLUSTER=%s-cluster\nECS_SERVICE=%s-service\nTASK_FAMILY=%s-backend\n' $e $e $e
	  printf 'TG_NAME=%s-tg\nALB_NAME=%s-alb\nALB_SG_NAME=%s-alb-sg\nECS_SG_NAME=%s-ecs-sg\n' $e $e $e $e
	  printf 'LOG_GROUP=/ecs/%s-backend\nEXEC_ROLE_NAME=%sExecRole\nTASK_ROLE_NAME=%sTaskRole\n' $e $e $e
	  printf 'DB_SECRET_NAME=%s/db-password\n' $e
	} >aws-resources.$e.env
done
{ cat aws-resources.env; echo ECR_REPOSITORY=tools-backend; } >aws-resources.tools.env
cp aws-resources.prod.env prod.before

# --- bad input: exit 2, one line, no aws call
ap --env Prod 4b status
is "$AP_RC:$(trace_count):$(printf '%s\n' "$AP_ERR" | wc -l)" 2:0:1 "--env Prod: exit 2, one line, no aws call"
like "$AP_ERR" "^awsphase: --env Prod: not an environment name; give" "... saying what a name is"
ap --env qa 4b status
is "$AP_RC:$(trace_count)" 2:0 "--env qa without aws-resources.qa.env: exit 2, no aws call"
like "$AP_ERR" "^awsphase: \./aws-resources\.qa\.env: no such file: environment qa has no env file here; make it \(copy" \
	"... naming the file and how to make one"
ap --env staging -e aws-resources.env 4b status
like "$AP_RC:$AP_ERR" "^2:awsphase: --env staging and --env-file aws-resources.env: both say" "--env with --env-file: exit 2"

# --- the environment's tag, only with --env
ap --env tools 4a deploy
ops=$(python3 -c 'import json, sys
print(" ".join(a for l in open(sys.argv[1]) for a in json.loads(l)["argv"] if "awsphase:" in a))' "$AP_TRACE_FILE")
like "$ops" "Key=awsphase:stack,Value=[^ ]+ Key=awsphase:env,Value=tools Key=awsphase:phase,Value=4a" \
	"--env tools 4a deploy: create-repository --tags carries awsphase:env=tools"
arn=$(awscli ecr describe-repositories --repository-names tools-backend --query 'repositories[0].repositoryArn' --output text)
is "$(awscli ecr list-tags-for-resource --resource-arn "$arn" --query 'tags[?Key==`awsphase:env`].Value' --output text)" \
	tools "the repository is tagged awsphase:env=tools (aws ecr list-tags-for-resource)"
printf 'AWS_REGION=us-east-2\n' >aws-resources.net.env
ap --env net --dry-run 1 deploy
like "$AP_OUT" "^would run: [^ ]*aws ec2 create-vpc .*--tag-specifications 'ResourceType=vpc,Tags=\[\{Key=Name,Value=kaviar\},\{Key=awsphase:stack,Value=[^}]+\},\{Key=awsphase:phase,Value=1\},\{Key=awsphase:env,Value=net\}\]'" \
	"--env net 1 deploy: the engine's --tag-specifications carry awsphase:env=net"
{ cat aws-resources.env; echo ECR_REPOSITORY=plain-backend; } >plain.env
ap -e plain.env --dry-run 4a deploy
like "$AP_OUT" "^would run: [^ ]*aws ecr create-repository .*--tags Key=Name,Value=plain-backend Key=awsphase:stack,Value=[^ ]+ Key=awsphase:phase,Value=4a" \
	"without --env: no awsphase:env tag (the runbook's call)"

# --- two environments at once, under 30% throttling
fast_sim
ctl faults '{"seed": 18, "rules": [{"service": "*", "action": "*", "error": "Throttling", "rate": 0.3}]}' >/dev/null
ap --env staging --env prod -v --jobs 4 --timeout 300 4b deploy
ctl faults '{"rules": []}' >/dev/null
is "$AP_RC" 0 "--env staging --env prod 4b deploy under 30% throttling: both converge, exit 0"
[ "$AP_RC" -eq 0 ] || diag "$(tail -n 20 "$WORK/err")"
like "$AP_OUT" "^=== environment staging \(./aws-resources.staging.env\): exit 0 ===$" "a report per environment, under its header"
like "$AP_ERR" "^\[(staging|prod)\] AWS is throttling: aws calls at once cut to" "-v: the shared budget backs off"
like "$AP_ERR" "^\[(staging|prod)\] aws calls at once back up to" "-v: ... and recovers"
# side by side: each one's first call comes before the other's last
is "$(python3 -c 'import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
at = lambda e: [i for i, l in enumerate(lines) if l.get("env") == e]
print(len(at("prod")) > 20, len(at("staging")) > 20,
      min(at("prod")) < max(at("staging")) and min(at("staging")) < max(at("prod")))' "$AP_TRACE_FILE")" \
	"True True True" "the two deploys ran side by side (their calls, each marked env, interleave in the one trace file)"
ids() { grep -E '^(ALB_ARN|TG_ARN|SERVICE_ARN|ECS_SG_ID|ALB_SG_ID|LISTENER_ARN)=' "$1" | sort; }
is "$(ids aws-resources.staging.env | wc -l):$(ids aws-resources.prod.env | wc -l):$(comm -12 <(ids aws-resources.staging.env) <(ids aws-resources.prod.env) | wc -l)" \
	"6:6:0" "each env file has its own six ids, none shared"
res=$(ctl resources)
is "$(jget "$res" 'sorted(d["target_group_names"]), d["active_services"]')" \
	"(['prod-tg', 'staging-tg'], 2)" "two target groups, two services: no name collided"

# --- status of both: one document
ap --env staging --env prod -o json 4b status
is "$AP_RC:$(jget "$AP_OUT" '[(e["env"], e["exit"], type(e["result"]).__name__) for e in d["environments"]], d["exit"]')" \
	"0:([('staging', 0, 'dict'), ('prod', 0, 'dict')], 0)" "status -o json: one document, an entry per environment"

# --- a signal reaches every environment, and the document is still printed
"$AWSPHASE" --aws "$AWS_BIN" --env staging --env prod -o json 4b logs --follow >sig.out 2>sig.err &
pid=$!
sleep 4
kill -TERM $pid
wait $pid
rc=$?
is "$rc:$(jget "$(cat sig.out)" '[(e["env"], e["exit"]) for e in d["environments"]]')" \
	"0:[('staging', 0), ('prod', 0)]" "SIGTERM: both logs --follow stop as asked (exit 0), one document"
is "$(pgrep -f -- "--env staging --env prod -o json 4b logs" | wc -l)" 0 "... and no process of the run is left"

# --- one broken env file: exit 2 for it, the other still reports
printf 'DESIRED_COUNT=many\n' >>aws-resources.prod.env
ap --env staging --env prod -o json 4b status
is "$AP_RC:$(jget "$AP_OUT" '[(e["env"], e["exit"]) for e in d["environments"]], d["exit"]')" \
	"2:([('staging', 0), ('prod', 2)], 2)" "prod's env file broken: prod exits 2, staging still 0, the run 2"
like "$AP_ERR" "^\[prod\] awsphase: .*DESIRED_COUNT" "prod's error line says whose it is"
finish
