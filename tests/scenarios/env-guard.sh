#!/usr/bin/env bash
# The account and region guard (issue 18, section 1): the first deploy
# records AWS_ACCOUNT_ID; a caller in another account (the local AWS serves
# one through sts assume-role, as AWS does) is refused before any mutating
# call, with both ids and the profile named and the env file untouched, also
# when only the ARNs in the env file say whose it is; a run in another region
# than the ARNs' is refused with no call at all.  Read-only actions and
# --dry-run warn and go on; one sts call a run at most, none for a read-only
# run of an env file that records no account.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
plan 25
localaws_start
ctl config '{"provisioning_s":0.1,"pending_s":0.2,"stop_s":0.1,"restart_delay_s":0.2,"health_initial_s":0.1,
	"interval_s":0.1,"drain_s":0.4,"lb_provisioning_s":0.3,"lb_delete_s":1.5,"grace_s":0.5}' >/dev/null
envfile=$WORK/aws-resources.env
sts() { grep -c '"get-caller-identity"' "$AP_TRACE_FILE"; }
warned() { printf "%s\n" "$AP_ERR" | grep -cE "^awsphase: warning: .*$1"; }

# --- a read-only run of an env file that records no account: no sts call
ap 4b status
is "$AP_RC:$(sts)" "1:0" "4b status before any deploy: no sts call (nothing recorded to compare with)"

# --- the first deploy records the account, with the one sts call the history needs too
ap --timeout 120 4b deploy
is "$AP_RC" 0 "the first deploy exits 0"
[ "$AP_RC" -eq 0 ] || diag "$(tail -n 15 "$WORK/err")"
is "$(grep -c '^AWS_ACCOUNT_ID=123456789012$' "$envfile"):$(sts)" "1:1" \
	"it records AWS_ACCOUNT_ID=123456789012 in the env file, with one sts call"
cp "$envfile" "$WORK/deployed.env"

# --- the second changes nothing, adds nothing, asks once
ap --timeout 120 4b deploy
is "$AP_RC:$(trace_count changes):$(sts)" "0:0:1" "a second deploy: exit 0, no mutating call, one sts call"
cmp -s "$envfile" "$WORK/deployed.env"
ok $? "the env file is byte for byte as the first deploy left it"

# --- credentials of another account (sts assume-role into 210987654321)
creds=$(awscli sts assume-role --role-arn arn:aws:iam::210987654321:role/deployer \
	--role-session-name env-guard --query Credentials)
other() {
	AWS_ACCESS_KEY_ID=$(jget "$creds" 'd["AccessKeyId"]') \
	AWS_SECRET_ACCESS_KEY=$(jget "$creds" 'd["SecretAccessKey"]') \
	AWS_SESSION_TOKEN=$(jget "$creds" 'd["SessionToken"]') ap "$@"
}
printf '[prod]\naws_access_key_id = %s\naws_secret_access_key = %s\naws_session_token = %s\n' \
	"$(jget "$creds" 'd["AccessKeyId"]')" "$(jget "$creds" 'd["SecretAccessKey"]')" \
	"$(jget "$creds" 'd["SessionToken"]')" >"$WORK/credentials"
AWS_SHARED_CREDENTIALS_FILE=$WORK/credentials ap --profile prod 4b deploy
is "$AP_RC:$(trace_count):$(trace_count mutating)" "2:1:0" \
	"another account's credentials (--profile prod): deploy exits 2 after the sts call alone"
is "$AP_ERR" "awsphase: ./aws-resources.env: recorded for account 123456789012, but the credentials (profile prod) are for account 210987654321; use the profile of 123456789012, or another env file" \
	"one line naming both accounts and the profile"
cmp -s "$envfile" "$WORK/deployed.env"
ok $? "the env file is byte for byte unchanged"
# a read-only action that is to change things after all
AWS_SHARED_CREDENTIALS_FILE=$WORK/credentials ap --profile prod 4b diagnose --fix
is "$AP_RC:$(trace_count mutating)" "2:0" "diagnose --fix with them: exit 2, no mutating call"

# an env file from before the guard: its ARNs say whose it is
grep -v '^AWS_ACCOUNT_ID=' "$WORK/deployed.env" >"$WORK/old.env"
cp "$WORK/old.env" "$WORK/old0.env"
other -e old.env 4b deploy
is "$AP_RC:$(trace_count mutating)" "2:0" "no AWS_ACCOUNT_ID, ARNs of 123456789012, another caller: exit 2, no mutating call"
like "$AP_ERR" '^awsphase: old\.env: [A-Z_]+_ARN is an ARN of account 123456789012, but the credentials \(profile default\) are for account 210987654321; ' \
	"it names the key, both accounts and the profile"
cmp -s "$WORK/old.env" "$WORK/old0.env"
ok $? "nothing recorded"

# --- read-only and --dry-run: a warning, and on
ap 4b preflight
is "$AP_RC:$(sts)" "0:1" "4b preflight of the recorded account: exit 0, one sts call (the guard's is its own)"
ap 1 status
like "$AP_RC:$(sts)" '^[0-9]+:1$' "1 status of it: one sts call"
sed 's/^AWS_ACCOUNT_ID=.*/AWS_ACCOUNT_ID=210987654321/' "$WORK/deployed.env" >"$WORK/moved.env"
ap -e moved.env --output json 4b status
is "$AP_RC:$(sts)" "0:1" "4b status of an env file recorded for another account: exit 0, one sts call"
is "$(warned 'recorded for account 210987654321, but the credentials \(profile default\) are for account 123456789012')" 1 \
	"it warns once on stderr"
like "$(jget "$AP_OUT" 'd["warnings"]')" 'moved.env: recorded for account 210987654321.*for account 123456789012' \
	"the JSON document has the warning in \"warnings\""
like "$(jget "$AP_OUT" 'd["service"] if "service" in d else d')" 'kaviar-backend-service' "and the status itself"
ap -e moved.env --dry-run 4b deploy
is "$AP_RC:$(trace_count mutating)" "0:0" "--dry-run deploy: exit 0, nothing run"
is "$(warned 'recorded for account 210987654321')" 1 "--dry-run warns instead of refusing"
grep -q '^AWS_ACCOUNT_ID=210987654321$' "$WORK/moved.env"
ok $? "and records nothing"

# --- another region than the ARNs': refused before any call
ap --region us-east-1 4b deploy
is "$AP_RC:$(trace_count)" "2:0" "--region us-east-1 with ARNs of us-east-2: deploy exits 2, no aws call"
like "$AP_ERR" '^awsphase: \./aws-resources\.env: [A-Z_]+_ARN is an ARN of region us-east-2, but this run is for region us-east-1; run with --region us-east-2, or use another env file$' \
	"one line naming the key and both regions"
cp "$WORK/deployed.env" "$WORK/west.env"
echo 'BACKUP_VAULT_ARN=arn:aws:backup:us-west-2:123456789012:backup-vault:kaviar' >>"$WORK/west.env"
ap -e west.env 4b deploy
is "$AP_RC:$(trace_count)" "2:0" "an ARN of us-west-2 in an env file of us-east-2: deploy exits 2, no aws call"
ap -e west.env 4b status
is "$AP_RC:$(warned 'BACKUP_VAULT_ARN is an ARN of region us-west-2')" "0:1" "4b status warns and works"
finish
