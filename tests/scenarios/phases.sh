#!/usr/bin/env bash
# The whole way from an empty account (issue 16's acceptance): an env file
# with AWS_REGION only; awsphase up runs phases 1, 3, 4A and 4B in the order
# their keys give and stops at 4A asking for the image; with the image put
# where 4A says, up finishes; the runbook's five criteria pass (4b
# validate); a second up makes no mutating call; drift in phases 1 and 3 (a
# route, the bucket's public access block, the queue's redrive) is shown by
# plan and mended by up; down without --delete-data stops before the
# database and the bucket, saying why; down --delete-data leaves no
# resource of any phase (the aws CLI and GET /resources count); a second
# down makes no mutating call.  With the aws CLI v1: phases-cli-v1.sh.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
. "$top_srcdir/tests/scenarios/reliability-lib.sh"
if [ "${AWS_CLI:-v2}" = v1 ]; then
	[ -n "$AWS_BIN" ] && "$AWS_BIN" --version 2>&1 | grep -q '^aws-cli/1\.' || skip_all "no aws CLI v1 on PATH"
fi
plan 28

localaws_start --scenario empty
fast_sim
printf '# a new environment\nAWS_REGION=us-east-2\n' >aws-resources.env
headers() { printf '%s\n' "$AP_OUT" | sed -n 's/^== \([^ ]*\) \([a-z]*\):.*/\1 \2/p' | paste -sd' '; }
res() { jget "$(ctl resources)" "$1"; }

# --- up: phases 1 and 3 made, 4A's repository, then no image: stop
ap --timeout 300 up
is "$AP_RC" 1 "up on an empty account stops with 4A's exit 1: no image yet"
is "$(headers)" "1 deploy 3 deploy 4a deploy" "phases 1, 3 and 4A ran, in that order; 4B did not"
like "$AP_ERR" 'awsphase: up: phase 4a' "up names the phase that stopped it"
like "$AP_ERR$AP_OUT" 'docker push' "... and 4A says how to push the image"
. ./aws-resources.env
like "$VPC_ID:$PRIVATE_SUBNET_2:$RDS_ENDPOINT:$S3_BUCKET:$ECR_URI" '^vpc-.*:subnet-.*:.+:kaviar-uploads-123456789012:123456789012\.dkr\.ecr\.' \
	"phases 1, 3 and 4A wrote their keys"

# --- the image, where 4A asks for it (moto's put-image takes a manifest)
manifest=$(python3 -c 'import json, sys; sys.path.insert(0, sys.argv[1])
from localaws_lib.scenario import IMAGE_MANIFEST; print(json.dumps(IMAGE_MANIFEST))' "$top_srcdir/tests/cloud")
awscli ecr put-image --repository-name kaviar-backend --image-tag latest --image-manifest "$manifest" >/dev/null
ok $? "the image put with aws ecr put-image"

ap --timeout 300 up
is "$AP_RC" 0 "up again: exit 0"
[ "$AP_RC" -eq 0 ] || diag "$(tail -n 5 err)"
is "$(headers)" "1 deploy 3 deploy 4a deploy 4b deploy" "every phase, 4B last"
like "$AP_OUT" 'stable, targets healthy' "4B's service is stable, its targets healthy"

# --- the runbook's five criteria
http_proxy=$LOCALAWS_ALB_PROXY no_proxy=127.0.0.1,localhost ap 4b validate
is "$AP_RC" 0 "4b validate: the runbook's checks and criteria pass"
[ "$AP_RC" -eq 0 ] || diag "$(grep -i fail out | head -n 5)"

ap up
is "$AP_RC:$(trace_count mutating)" 0:0 "a second up: exit 0, no mutating call"
ap plan
is "$AP_RC:$(trace_count mutating)" 0:0 "plan: exit 0, nothing would change"

# --- drift in phases 1 and 3: plan shows it, up mends it
rt=$(awscli ec2 describe-route-tables --filters Name=tag:Name,Values=kaviar-public --query 'RouteTables[0].RouteTableId' --output text)
awscli ec2 delete-route --route-table-id "$rt" --destination-cidr-block 0.0.0.0/0 &&
	awscli s3api put-public-access-block --bucket "$S3_BUCKET" --public-access-block-configuration \
	BlockPublicAcls=false,IgnorePublicAcls=false,BlockPublicPolicy=false,RestrictPublicBuckets=false &&
	awscli sqs set-queue-attributes --queue-url "$SQS_QUEUE_URL" --attributes RedrivePolicy=
ok $? "drift by hand: the public default route, the bucket's public access block, the queue's redrive"
ap plan
is "$AP_RC:$(trace_count mutating):$(trace_count dry_run)" 6:3:3 "plan: exit 6 (changes), the three fixes listed (dry run), none made"
like "$AP_OUT" 'plan: changes in 2 of 4 phases \(1, 3\)' "... in phases 1 and 3"
ap up
is "$AP_RC:$(trace_count mutating)" 0:3 "up mends the three"
ap plan
is "$AP_RC" 0 "plan: nothing left to change"

# --- down stops at data unless told
ap down --yes
is "$AP_RC" 1 "down --yes without --delete-data: exit 1"
like "$AP_ERR" 'delete-data' "... saying --delete-data is what deletes the data"
is "$(res '(d["db_instances"], d["buckets"])')" "(1, 1)" "the database and the bucket are still there"
is "$(res 'd["active_services"], d["load_balancers"]')" "(0, 0)" "4B went first: no service, no load balancer"

ap --timeout 300 down --yes --delete-data
is "$AP_RC" 0 "down --yes --delete-data: exit 0"
[ "$AP_RC" -eq 0 ] || diag "$(tail -n 5 err)"
left=$(res '{k: v for k, v in d.items() if k not in ("network_interfaces", "nat_gateway_states", "tasks", "task_definition_revisions", "security_groups", "ingress_rules", "services") and v not in (0, [], {}, None)}')
is "$left" "{}" "GET /resources: nothing of any phase left"
is "$(res '[n for n, c in d["security_groups"].items() if n != "default" and c]')" "[]" "no security group but the default ones"
is "$(awscli ec2 describe-vpcs --filters Name=tag:awsphase:stack,Values=kaviar --query 'length(Vpcs)'):$(awscli rds describe-db-instances --query 'length(DBInstances)'):$(awscli s3api list-buckets --query 'length(Buckets)')" \
	"0:0:0" "the aws CLI agrees: no VPC of the stack, no database, no bucket"
. ./aws-resources.env 2>/dev/null
is "$(grep -cE '^(VPC_ID|RDS_ENDPOINT|S3_BUCKET|ECR_URI|ALB_ARN)=' aws-resources.env)" 0 "the phases' keys are gone from the env file"

ap down --yes --delete-data
is "$AP_RC:$(trace_count mutating)" 0:0 "a second down: exit 0, no mutating call"
like "$AP_OUT" '4b: nothing to tear down: VPC_ID, which it needs, is not in the env file' \
	"... going past 4B, whose teardown needs what phase 1's took"
finish
