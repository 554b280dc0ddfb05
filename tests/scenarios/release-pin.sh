#!/usr/bin/env bash
# Images pinned by digest (issue 17, part 1): deploy registers ECR_URI's
# image as REPO@sha256:… of what its tag names now, so a new image pushed
# under the same tag makes a plain deploy register a new revision and roll
# the service onto it, rollback --previous goes back to the first image
# (not to today's under the tag), and a rerun changes nothing.  deploy and
# status say tag and digest (text and JSON); describe-images is an ordinary
# call under --trace and --dry-run.  IMAGE_PINNING=tag keeps ECR_URI as
# written, and so does an ECR_URI that names a digest.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
plan 29
localaws_start
export http_proxy=$LOCALAWS_ALB_PROXY no_proxy=127.0.0.1,localhost
ctl config '{"provisioning_s":0.1,"pending_s":0.2,"stop_s":0.1,"restart_delay_s":0.2,"health_initial_s":0.1,
	"interval_s":0.1,"drain_s":0.4,"lb_provisioning_s":0.3,"lb_delete_s":1.5,"grace_s":0.5}' >/dev/null

repo=$(sed -n 's/^ECR_URI=//p' "$WORK/aws-resources.env")
repo=${repo%:latest}
digest() {
	awscli ecr describe-images --repository-name kaviar-backend --image-ids imageTag=latest \
		--query 'imageDetails[0].imageDigest' --output text
}
td_image() {
	awscli ecs describe-task-definition --task-definition "$1" \
		--query 'taskDefinition.containerDefinitions[0].image' --output text
}
service_td() {
	awscli ecs describe-services --cluster kaviar-cluster --services kaviar-backend-service \
		--query 'services[0].taskDefinition' --output text | sed 's#.*/##'
}
# what the running tasks run, as ECS reports it: image and imageDigest
running() {
	local arns
	arns=$(awscli ecs list-tasks --cluster kaviar-cluster --service-name kaviar-backend-service \
		--query 'taskArns' --output text)
	# shellcheck disable=SC2086
	awscli ecs describe-tasks --cluster kaviar-cluster --tasks $arns \
		--query 'tasks[].containers[0].[image, imageDigest]' --output text | sort -u
}
mutations() {
	python3 -c 'import json, sys
for line in open(sys.argv[1]):
    t = json.loads(line)
    if t["mutating"] and "/awsphase/kaviar/history" not in t["argv"]:  # not the deploy history
        a = t["argv"]
        print(" ".join(a[:a.index("--region")] if "--region" in a else a))' "$AP_TRACE_FILE"
}

# --- the first deploy: revision 1 names latest's digest
ap --timeout 120 4b deploy
is "$AP_RC" 0 "deploy of revision 1 exits 0"
[ "$AP_RC" -eq 0 ] || diag "$AP_ERR"
d1=$(digest)
is "$(td_image kaviar-backend:1)" "$repo@$d1" "revision 1 names the image by digest (REPO@sha256:…)"
like "$AP_OUT" "image $repo:latest \(${d1:0:19}…\)" "deploy says the tag and the digest"
is "$(running)" "$repo@$d1	$d1" "the running task runs that image (describe-tasks image, imageDigest)"

# --- a new image under the same tag: a plain deploy rolls onto it
manifest=$(awscli ecr batch-get-image --repository-name kaviar-backend --image-ids imageTag=latest \
	--query 'images[0].imageManifest' --output text)
awscli ecr put-image --repository-name kaviar-backend --image-tag latest \
	--image-manifest "$(python3 -c 'import json, sys
m = json.loads(sys.argv[1])
m["layers"][0]["digest"] = "sha256:" + "7" * 64
print(json.dumps(m))' "$manifest")" >/dev/null
d2=$(digest)
[ -n "$d2" ] && [ "$d2" != "$d1" ]
ok $? "aws ecr put-image: a new image under latest ($d2)"
ap --timeout 120 --output json 4b deploy
is "$AP_RC:$(service_td)" 0:kaviar-backend:2 "a plain deploy (no --force-new-deployment) moves the service to revision 2"
[ "$AP_RC" -eq 0 ] || diag "$AP_ERR"
is "$(td_image kaviar-backend:2)" "$repo@$d2" "revision 2 names the new digest"
is "$(mutations | sed 's/ --container-definitions .*//; s/ --\(task\|execution\)-role-arn [^ ]*//g; s#arn:[^ ]*task-definition/##')" \
"ecs register-task-definition --family kaviar-backend --network-mode awsvpc --requires-compatibilities FARGATE --cpu 512 --memory 1024
ecs update-service --cluster kaviar-cluster --service kaviar-backend-service --task-definition kaviar-backend:2" \
	"its changes: register-task-definition and update-service, no forced deployment"
is "$(running)" "$repo@$d2	$d2" "the running tasks run the new image"
is "$(jget "$AP_OUT" 'd["image_tag"], d["image_digest"]')" "('latest', '$d2')" \
	"--output json: image_tag and image_digest"

# --- nothing changed: nothing done, the digest read like any other call
ap --trace --timeout 120 4b deploy
is "$AP_RC:$(trace_count mutating)" 0:0 "a rerun with nothing changed makes no mutating call"
line=$(sed -n 's/^+ \(.* ecr describe-images .*\)$/\1/p' "$WORK/err")
like "$line" "ecr describe-images --registry-id 123456789012 --repository-name kaviar-backend --image-ids imageTag=latest" \
	"--trace shows the describe-images call"
is "$(eval "$line" | python3 -c 'import json, sys; print(json.load(sys.stdin)["imageDetails"][0]["imageDigest"])')" \
	"$d2" "and the line runs as it is"

# --- rollback --previous: the first image, not today's latest
ap --timeout 120 4b rollback --previous
is "$AP_RC:$(service_td)" 0:kaviar-backend:1 "rollback --previous moves the service to revision 1"
[ "$AP_RC" -eq 0 ] || diag "$AP_ERR"
is "$(td_image kaviar-backend:1)" "$repo@$d1" "which names the first digest"
is "$(running)" "$repo@$d1	$d1" "and its tasks run the first image again, though latest names the second"

# --- status: tag and digest of what runs
ap 4b status
like "$AP_OUT" "image $repo:latest \(${d1:0:19}…\)" "status says the tag and the digest that runs"
ap --output json 4b status
is "$(jget "$AP_OUT" 'd["image_tag"], d["image_digest"]')" "('latest', '$d1')" \
	"status --output json: image_tag and image_digest"

# --- --dry-run: reads the digest, would move the service to revision 2 (no new revision)
ap --timeout 120 --dry-run 4b deploy
# the deploy history's put-log-events is printed too (issue 17)
is "$AP_RC:$(trace_count changes):$(trace_count dry_run):$(service_td)" 0:1:2:kaviar-backend:1 \
	"--dry-run: one change listed (update-service), none made"
like "$AP_OUT" "kaviar-backend:2" "it names revision 2, which has the digest latest names"
grep -q '"describe-images"' "$AP_TRACE_FILE"
ok $? "describe-images was read under --dry-run too"

# --- IMAGE_PINNING=tag: ECR_URI as written
echo IMAGE_PINNING=tag >>"$WORK/aws-resources.env"
ap --timeout 120 4b deploy
is "$AP_RC:$(service_td)" 0:kaviar-backend:3 "IMAGE_PINNING=tag: a deploy registers revision 3"
[ "$AP_RC" -eq 0 ] || diag "$AP_ERR"
is "$(td_image kaviar-backend:3)" "$repo:latest" "which names $repo:latest"
like "$AP_OUT" "image $repo:latest \(${d2:0:19}…\)" "deploy still says the digest latest names"
ap --timeout 120 4b deploy
is "$AP_RC:$(trace_count mutating)" 0:0 "a rerun changes nothing"

# --- ECR_URI given by digest: used as it is
sed -i "s#^ECR_URI=.*#ECR_URI=$repo@$d1#; s/^IMAGE_PINNING=tag\$/IMAGE_PINNING=digest/" "$WORK/aws-resources.env"
ap --timeout 120 --output json 4b deploy
is "$AP_RC:$(service_td):$(td_image kaviar-backend:4)" "0:kaviar-backend:4:$repo@$d1" \
	"ECR_URI=REPO@sha256:…: revision 4 names it as given"
[ "$AP_RC" -eq 0 ] || diag "$AP_ERR"
is "$(jget "$AP_OUT" 'd["image_tag"], d["image_digest"]')" "(None, '$d1')" "no tag, its digest"
sed -i 's/^IMAGE_PINNING=digest$/IMAGE_PINNING=sha/' "$WORK/aws-resources.env"
ap --timeout 120 4b deploy
is "$AP_RC:$(trace_count all)" 2:0 "IMAGE_PINNING=sha: exit 2 before any aws call"
like "$AP_ERR" "IMAGE_PINNING" "naming the key"

finish
