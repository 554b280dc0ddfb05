#!/usr/bin/env bash
# awsphase up / plan / down / status over phases 4A and 4B and a phase built
# out of tree (fixtures/after4b.c: "0audit", which needs ECS_SG_ID): the order
# comes from what the modules declare, not from their names (4A provides the
# ECR_URI 4B needs); plan changes nothing and exits 6 while something would
# change, 0 once nothing would; a phase that fails stops the run and says how
# to go on; down runs in reverse, and stops at data it was not told to delete.
# The whole way from an empty account, with phases 1, 3 and 4A: phases.sh.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
plan 35

localaws_start
mkdir -p mods
cc -shared -fPIC -Wall -Werror -I"$top_srcdir/include" -o mods/after4b.so \
	"$top_srcdir/tests/scenarios/fixtures/after4b.c" 2>cc.log
ok $? "the out-of-tree phase builds"
# Not phase 3: the prereqs account's data is as the runbook's scripts left it
# (the database unencrypted), which phase 3 refuses to take as its own; its
# place in up is checked in phase3.sh.  Nor phase 1: the prereqs account's
# VPC is the runbook's, untagged, and phase 1 would make one of its own.
for so in "${AWSPHASE_MODULE_PATH%%:*}"/*.so; do
	case ${so##*/} in phase1.so | phase3.so) ;; *) cp "$so" mods/ ;; esac
done
export AWSPHASE_MODULE_PATH=$WORK/mods
cp aws-resources.env before.env
headers() { printf '%s\n' "$AP_OUT" | sed -n 's/^== \([^ ]*\) \([a-z]*\):.*/\1 \2/p' | paste -sd' '; }

# --- the order, offline
ap list --output json
is "$(jget "$AP_OUT" '[(m["name"], m["up_order"], m["needs"][:1]) for m in d["modules"]]')" \
	"[('0audit', 3, ['ECS_SG_ID']), ('4a', 1, []), ('4b', 2, ['VPC_ID'])]" \
	"list: 0audit needs ECS_SG_ID, so up runs it last though its name sorts first; 4a, which provides ECR_URI, first"
ap list
like "$AP_OUT" '^awsphase up runs: 4a → 4b → 0audit$' "list says the order"
ap up --from nosuch
is "$AP_RC" 2 "up --from an unknown phase: exit 2"
like "$AP_ERR" "^awsphase: --from nosuch: not a phase of the pipeline; give one of 4a, 4b, 0audit$" \
	"... naming the phases there are"
ap up --from 0audit --to 4b
is "$AP_RC:$(trace_count)" 2:0 "--from after --to: exit 2, no aws call"
like "$AP_ERR" "up: --from 0audit comes after --to 4b" "... saying so"
ap up extra
is "$AP_RC" 2 "up takes no arguments: exit 2"

# --- plan on an account without phase 4B (and 4A's repository without its settings)
ap plan
listed=$(trace_count dry_run)
is "$AP_RC:$(trace_count mutating)" "6:$listed" "plan: exit 6 (changes); every mutating call only listed ($listed)"
is "$(headers)" "4a deploy 4b deploy 0audit deploy" "4a is planned before 4b, 4b before 0audit"
like "$AP_OUT" '^audit: ECS_SG_ID=<ECS_SG_ID>$' "0audit plans on the placeholder of what 4b would write"
like "$AP_OUT" 'plan: changes in 2 of 3 phases \(4a, 4b\); awsphase up makes them' "the summary names the phases"
cmp -s aws-resources.env before.env
ok $? "plan writes nothing to the env file"
ap --output json plan
is "$(jget "$AP_OUT" '(d["command"], d["exit_code"], [p["command"] for p in d["phases"]])')" \
	"('plan', 6, ['4a deploy', '4b deploy', '0audit deploy'])" "--output json: one document, every phase in it"

# --- a phase that fails stops up
sed 's/^SUBNET_TIER=.*//' before.env >bad.env
echo SUBNET_TIER=sideways >>bad.env
ap -e bad.env up --from 4b
is "$AP_RC:$(trace_count)" 2:0 "4b refuses its input: up exits with its code 2, no aws call"
is "$(headers)" "4b deploy" "0audit did not run"
like "$AP_ERR" "awsphase: up: phase 4b stopped it \(exit 2\); fix what it said, then go on with: awsphase up --from 4b" \
	"up says which phase stopped it and how to go on"

# --- up
ap up
is "$AP_RC" 0 "up: exit 0"
is "$(headers)" "4a deploy 4b deploy 0audit deploy" "4a deployed, then 4b, then 0audit"
. ./aws-resources.env
like "$ECS_SG_ID" '^sg-' "4b wrote ECS_SG_ID"
is "$AUDITED_SG" "$ECS_SG_ID" "0audit saw the ECS_SG_ID 4b had just written"
like "$AP_OUT" 'up: 3 phases deployed \(4a, 4b, 0audit\)' "the summary"
ap up
is "$AP_RC:$(trace_count mutating)" 0:0 "a second up: exit 0, no mutating call"
ap plan
is "$AP_RC:$(trace_count mutating)" 0:0 "plan after up: exit 0 (nothing would change)"
like "$AP_OUT" 'plan: no changes in 3 phases \(4a, 4b, 0audit\)' "... and says so"

# --- a later phase fails: up --from resumes there
echo AUDIT_FAIL=1 >>aws-resources.env
ap up
is "$AP_RC" 3 "0audit fails: up exits with its code, 3"
like "$AP_ERR" "awsphase: up: phase 0audit failed \(exit 3\)" "... naming it"
sed -i '/^AUDIT_FAIL=/d' aws-resources.env
ap up --from 0audit
is "$AP_RC:$(headers):$(trace_count)" "0:0audit deploy:0" "up --from 0audit runs only 0audit"

# --- status, then down in reverse
ap status
is "$(headers)" "4a status 4b status 0audit status" "status: every phase"
ap down --yes
is "$AP_RC" 1 "down --yes: exit 1, as 4a keeps the image it holds"
is "$(headers)" "0audit teardown 4b teardown 4a teardown" "down runs the last phase first"
is "$(awscli ecs describe-clusters --clusters kaviar-cluster --query 'clusters[?status==`ACTIVE`] | length(@)')" 0 \
	"down took all of 4b (its teardown --all): no cluster"
unlike "$(cat aws-resources.env)" '^(AUDITED_SG|ECS_SG_ID|ALB_ARN)=' "their keys are gone from the env file"
like "$AP_ERR" 'kaviar-backend holds 1 image\(s\), and teardown deletes no data unasked' "4a says why it stopped"
ap down --yes --delete-data --to 4a
is "$AP_RC:$(headers):$(awscli ecr describe-repositories --query 'length(repositories)')" "0:4a teardown:0" \
	"down --delete-data --to 4a: the repository goes, with its image"
finish
