#!/usr/bin/env bash
# Phase 4A on an empty account: --dry-run's plan, deploy creating the ECR
# repository with scan on push, AES256, MUTABLE tags and the lifecycle
# policy, ECR_URI written, exit 1 with the push commands while there is no
# image; with one, exit 0 and a rerun with no mutating call; drift (scan on
# push off, policy deleted) fixed by the next deploy; validate and status;
# teardown refusing to delete images without --delete-data.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
plan 28

localaws_start --scenario empty
printf 'AWS_REGION=us-east-2\n' >a.env
p4a() { ap -e a.env "$@"; }
repo() { awscli ecr describe-repositories --repository-names kaviar-backend --query "repositories[0].$1" --output text; }
ops() { python3 -c 'import json, sys
print(" ".join(json.loads(l)["argv"][1] for l in open(sys.argv[1]) if json.loads(l)["mutating"]))' "$AP_TRACE_FILE"; }
URI=123456789012.dkr.ecr.us-east-2.amazonaws.com/kaviar-backend

# --- the plan
p4a --dry-run ecr deploy
is "$AP_RC:$(trace_count):$(ops)" "0:5:create-repository put-lifecycle-policy" \
	"--dry-run: exit 0, three reads, the create and the policy listed, none run"
like "$AP_OUT" '^• ECR repository kaviar-backend \(would create: scan on push, AES256, tags MUTABLE\)$' \
	"the plan lists the create with its settings"
is "$(cat a.env)" "AWS_REGION=us-east-2" "nothing written"

# --- deploy: the repository, no image yet
p4a 4a deploy
is "$AP_RC:$(ops)" "1:create-repository put-lifecycle-policy" "deploy creates the repository and its policy, exits 1: no image"
is "$(repo '[imageScanningConfiguration.scanOnPush, encryptionConfiguration.encryptionType, imageTagMutability]' | tr '\t' ' ')" \
	"True AES256 MUTABLE" "scan on push, AES256, MUTABLE (aws ecr describe-repositories)"
policy=$(awscli ecr get-lifecycle-policy --repository-name kaviar-backend --query lifecyclePolicyText --output text)
is "$(jget "$policy" '[(r["selection"]["tagStatus"], r["selection"]["countType"], r["selection"]["countNumber"]) for r in d["rules"]]')" \
	"[('untagged', 'sinceImagePushed', 14), ('any', 'imageCountMoreThan', 30)]" \
	"lifecycle: untagged expire after 14 days, the newest 30 kept (aws ecr get-lifecycle-policy)"
is "$(grep ^ECR_URI= a.env)" "ECR_URI=$URI:latest" "ECR_URI written: the repository's URI and ECR_TAG"
like "$AP_ERR" "4a deploy: no image $URI:latest in the repository yet; push it with:" "it says the image is missing"
is "$(printf '%s\n' "$AP_OUT" | sed -n 's/^  //p')" \
"aws ecr get-login-password --region us-east-2 | docker login --username AWS --password-stdin 123456789012.dkr.ecr.us-east-2.amazonaws.com
docker build -t kaviar-backend .
docker tag kaviar-backend $URI:latest
docker push $URI:latest" "... and prints the commands that push it"

# --- the image pushed (moto's put-image takes a manifest)
manifest='{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":7023,"digest":"sha256:'$(printf 'b%.0s' $(seq 64))'"},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":32654,"digest":"sha256:'$(printf 'e%.0s' $(seq 64))'"}]}'
awscli ecr put-image --repository-name kaviar-backend --image-tag latest --image-manifest "$manifest" >/dev/null
ok $? "an image pushed as latest (aws ecr put-image)"
digest=$(awscli ecr describe-images --repository-name kaviar-backend --query 'imageDetails[0].imageDigest' --output text)
p4a 4a deploy
# the fourth read: the account guard's sts call (issue 18), the account recorded
is "$AP_RC:$(trace_count mutating):$(trace_count)" 0:0:4 "deploy: exit 0, no mutating call, three reads and sts"
like "$AP_OUT" "^image $URI:latest: $digest$" "it names the image and its digest"
like "$AP_OUT" '^✓ ECR repository kaviar-backend [^ ]+ \(unchanged: lifecycle policy \(untagged images expire after 14 days, the newest 30 kept\)\)$' \
	"the policy line says what it keeps"

# --- validate and status
p4a 4a validate
is "$AP_RC" 0 "validate: exit 0"
like "$AP_OUT" "image: $URI:latest $digest" "validate shows the tag and its digest"
p4a --output json 4a status
is "$AP_RC:$(jget "$AP_OUT" '[r["value"] for r in d["repository"] if r["setting"] in ("scan on push", "images", "latest")]')" \
	"0:['on', '1', '$digest']" "status --output json: scan on push, the image count, the tag's digest"

# --- drift by hand
awscli ecr put-image-scanning-configuration --repository-name kaviar-backend \
	--image-scanning-configuration scanOnPush=false >/dev/null &&
	awscli ecr delete-lifecycle-policy --repository-name kaviar-backend >/dev/null
ok $? "drift: scan on push off, the lifecycle policy deleted"
p4a 4a validate
like "$AP_RC:$(printf '%s' "$AP_OUT" | grep FAIL | paste -sd' ')" '^1:\[FAIL\] scan on push: off .*\[FAIL\] lifecycle policy: none ' \
	"validate fails on both, and only them"
p4a --output json 4a deploy
is "$AP_RC:$(ops)" "0:put-image-scanning-configuration put-lifecycle-policy" "the next deploy makes the two fixes"
is "$(jget "$AP_OUT" '[r["result"] for r in d["resources"]]')" \
	"['updated: scan on push off → on', 'updated: lifecycle policy (untagged images expire after 14 days, the newest 30 kept) added']" \
	"--output json: what each fix did"
is "$(repo imageScanningConfiguration.scanOnPush)" True "scan on push is on again"
p4a 4a deploy
is "$AP_RC:$(trace_count mutating)" 0:0 "then a deploy makes no mutating call"

# --- teardown: images are data
p4a 4a teardown --yes
is "$AP_RC:$(trace_count mutating)" 1:0 "teardown with an image in the repository: exit 1, nothing deleted"
like "$AP_ERR" 'holds 1 image\(s\), and teardown deletes no data unasked.*--delete-data' "... saying why and what to run"
p4a --output json ecr teardown --yes --delete-data
is "$AP_RC:$(ops)" "0:delete-repository" "--delete-data --yes: one delete"
like "$(grep '"delete-repository"' "$AP_TRACE_FILE")" '"--force"' "... with --force, images and all"
is "$(awscli ecr describe-repositories --query 'length(repositories)')" 0 "no repository left (aws ecr)"
is "$(grep -c ^ECR_URI= a.env)" 0 "ECR_URI left the env file"
finish
