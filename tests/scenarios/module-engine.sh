#!/usr/bin/env bash
# A phase on the resource engine, out of tree: modules/example/queues.c (at
# most 150 lines), built with pkg-config against the installed SDK, declares
# two dependent resources — an SQS dead-letter queue and a queue that
# redrives to it — and the engine does the rest: --dry-run's plan with
# placeholders, deploy in order with the outputs written back, a rerun with
# no mutating call, drift fixed, --output json, teardown in reverse order.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
plan 22

SRC=$top_srcdir/modules/example/queues.c
[ "$(wc -l <"$SRC")" -le 150 ]
ok $? "queues.c is $(wc -l <"$SRC") lines"
localaws_start
root=$WORK/root
make -s -C "$top_builddir" install DESTDIR="$root" >"$WORK/install.log" 2>&1
pc=$(find "$root" -name awsphase.pc | head -n 1)
mkdir -p "$WORK/mods"
flags=$(PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --cflags awsphase)
cc -shared -fPIC -Wall -Werror -o "$WORK/mods/queues.so" "$SRC" $flags 2>"$WORK/cc.log"
ok $? "it builds against the installed SDK alone (pkg-config: $flags)"
[ -s "$WORK/cc.log" ] && diag "$(cat "$WORK/cc.log")"
export AWSPHASE_MODULE_PATH=$WORK/mods:$AWSPHASE_MODULE_PATH
printf 'AWS_REGION=us-east-2\nQUEUE_NAME=demo-jobs\n' >q.env
queues() { ap -e q.env "$@"; }
mutating_ops() { python3 -c 'import json, sys
print(" ".join(json.loads(l)["argv"][1] + ":" + (json.loads(l)["argv"][json.loads(l)["argv"].index("--queue-name") + 1] if "--queue-name" in json.loads(l)["argv"] else "")
               for l in open(sys.argv[1]) if json.loads(l)["mutating"]))' "$AP_TRACE_FILE"; }

# --- the plan
queues --dry-run q deploy
is "$AP_RC:$(trace_count mutating):$(trace_count dry_run)" 0:2:2 "--dry-run: exit 0, two creates listed, none run"
like "$AP_OUT" '^• queue demo-jobs-dlq \(would create\)$' "the dead-letter queue, first"
like "$AP_OUT" '^• queue demo-jobs \(would create: dead letters to demo-jobs-dlq\)$' "then the queue, with its note"
like "$AP_OUT" 'create-queue --queue-name demo-jobs --attributes .*deadLetterTargetArn.*<demo-jobs-dlq Attributes.QueueArn>' \
	"what is not made yet is named by a placeholder"
is "$(cat q.env)" "$(printf 'AWS_REGION=us-east-2\nQUEUE_NAME=demo-jobs')" "nothing written"

# --- deploy
queues q deploy
is "$AP_RC" 0 "deploy exits 0"
is "$(mutating_ops)" "create-queue:demo-jobs-dlq create-queue:demo-jobs" "the dead-letter queue is made before the queue"
. ./q.env
like "$DLQ_ARN" '^arn:aws:sqs:us-east-2:123456789012:demo-jobs-dlq$' "DLQ_ARN written back"
like "$QUEUE_URL$DLQ_URL" 'demo-jobs.*demo-jobs-dlq' "QUEUE_URL and DLQ_URL too"
policy=$(awscli sqs get-queue-attributes --queue-url "$QUEUE_URL" --attribute-names RedrivePolicy \
	--query Attributes.RedrivePolicy --output text)
is "$(jget "$policy" 'd["deadLetterTargetArn"], int(d["maxReceiveCount"])')" "('$DLQ_ARN', 5)" \
	"the queue redrives to the dead-letter queue after 5 receives (aws sqs)"

queues q deploy
is "$AP_RC:$(trace_count mutating)" 0:0 "a second deploy makes no mutating call"

# --- drift: the redrive removed by hand
awscli sqs set-queue-attributes --queue-url "$QUEUE_URL" --attributes RedrivePolicy= >/dev/null
ok $? "drift by hand: the redrive policy removed"
queues --output json q deploy
is "$AP_RC:$(mutating_ops)" "0:set-queue-attributes:" "the next deploy makes one call, set-queue-attributes"
is "$(jget "$AP_OUT" '[(r["kind"], r["name"], r["result"].split(":")[0], len(r.get("differences", []))) for r in d["resources"]]')" \
	"[('queue', 'demo-jobs-dlq', 'unchanged', 0), ('queue', 'demo-jobs', 'updated', 1)]" \
	"--output json: one entry per resource, the fixed one with its difference"
policy=$(awscli sqs get-queue-attributes --queue-url "$QUEUE_URL" --attribute-names RedrivePolicy \
	--query Attributes.RedrivePolicy --output text)
is "$(jget "$policy" 'd["deadLetterTargetArn"]')" "$DLQ_ARN" "the redrive is back"

# --- teardown
queues q teardown --yes
is "$AP_RC" 0 "teardown exits 0"
is "$(mutating_ops | tr -d :)" "delete-queue delete-queue" "two deletes"
python3 - "$AP_TRACE_FILE" "$QUEUE_URL" "$DLQ_URL" <<'PY'
import json, sys
urls = [json.loads(l)["argv"][json.loads(l)["argv"].index("--queue-url") + 1]
        for l in open(sys.argv[1]) if json.loads(l)["argv"][1] == "delete-queue"]
sys.exit(0 if urls == [sys.argv[2], sys.argv[3]] else 1)
PY
ok $? "the queue goes before the dead-letter queue it needs"
is "$(awscli sqs list-queues --queue-name-prefix demo-jobs --query 'length(QueueUrls || `[]`)')" 0 \
	"no demo-jobs queue is left (aws sqs)"
is "$(grep -c '^\(QUEUE_URL\|DLQ_URL\|DLQ_ARN\)=' q.env)" 0 "their keys left the env file"
finish
