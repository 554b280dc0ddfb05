#!/usr/bin/env bash
# The crash matrix of phases 1 and 3 (issue 16's acceptance): from an empty
# account and an env file with AWS_REGION only, `up --to 3` (phase 1, then
# 3) is SIGKILLed right after its k-th mutating aws call, for every k; the
# next `up --to 3` converges: exit 0, exactly one of each resource
# (GET /resources), the env file holds each key once, and a further
# `up --to 3` makes no mutating call (so the keys match AWS).
#
# Every k gets names of its own inside one local AWS (VPC_NAME=kaviar-k3 —
# phase 1 finds its parts by the tags Name and awsphase:stack, so distinct
# names are distinct stacks, CIDRs may repeat —, RDS_SG_NAME=kaviar-rds-sg-k3,
# DB_INSTANCE_ID=kaviar-db-k3, …), so CRASH_LANES (default 3) run at once.
# CRASH_KS="3 17" runs only those k's (to look at one again);
# CRASH_EGRESS=nat or endpoints sets PRIVATE_EGRESS in every account (the
# NAT gateway or the VPC endpoints' crash points too; longer, not in make
# check: the brief's env file has AWS_REGION only).
# k = 0 is the clean run that says how many mutating calls there are; at the
# end every count of GET /resources is k = 0's times the number of k's, so
# a stray without a name (an untagged VPC, a second secret) shows too.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
. "$top_srcdir/tests/scenarios/reliability-lib.sh"
localaws_start --scenario empty
fast_sim
ctl config '{"nat_pending_s":0.4,"nat_deleting_s":0.4,"vpce_pending_s":0.3,"vpce_deleting_s":0.3,
	"rds_creating_s":0.6,"rds_backing_up_s":0.3,"rds_modifying_s":0.3,"rds_deleting_s":0.6,
	"cache_creating_s":0.4,"cache_deleting_s":0.4,"sqs_deleted_recently_s":0.6}' >/dev/null
LANES=${CRASH_LANES:-3}
KEYS="VPC_ID PUBLIC_SUBNET_1 PUBLIC_SUBNET_2 PRIVATE_SUBNET_1 PRIVATE_SUBNET_2
	RDS_ENDPOINT RDS_SG_ID DB_SECRET_ARN REDIS_ENDPOINT REDIS_SG_ID S3_BUCKET SQS_QUEUE_URL"
NKEYS=$(echo $KEYS | wc -w)

# ns_dir ID: the names of account ID (k3) in an env file of its own
ns_dir() {
	local d=$WORK/$1
	mkdir -p "$d"
	cat >"$d/aws-resources.env" <<-EOF
	# crash-phases.sh: account $1
	AWS_REGION=us-east-2
	VPC_NAME=kaviar-$1
	RDS_SG_NAME=kaviar-rds-sg-$1
	REDIS_SG_NAME=kaviar-redis-sg-$1
	DB_INSTANCE_ID=kaviar-db-$1
	DB_SUBNET_GROUP=kaviar-db-subnets-$1
	REDIS_CLUSTER_ID=kaviar-redis-$1
	REDIS_SUBNET_GROUP=kaviar-redis-subnets-$1
	S3_BUCKET=kaviar-uploads-$1
	SQS_QUEUE_NAME=kaviar-jobs-$1
	EOF
	[ -z "${CRASH_EGRESS:-}" ] || echo "PRIVATE_EGRESS=$CRASH_EGRESS" >>"$d/aws-resources.env"
	echo "$d"
}

# count_of_each K: "" when /resources holds exactly one of each resource of
# account K (its groups, kaviar-K-vpce among them, with as many ingress
# rules as account k0's: R0, GET /resources after k0), else what is not
ONE_PY='
import json, sys
d, k, d0 = json.loads(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
want = {}
def count(key, name):
    want["%s %s" % (key, name)] = d[key].count(name)
count("vpc_names", "kaviar-" + k)
for s in ("public-1", "public-2", "private-1", "private-2"):
    count("subnet_names", "kaviar-%s-%s" % (k, s))
for s in ("public", "private"):
    count("route_table_names", "kaviar-%s-%s" % (k, s))
count("internet_gateway_names", "kaviar-%s-igw" % k)
count("db_subnet_groups", "kaviar-db-subnets-" + k)
count("cache_subnet_groups", "kaviar-redis-subnets-" + k)
count("bucket_names", "kaviar-uploads-" + k)
count("queue_names", "kaviar-jobs-" + k)
count("queue_names", "kaviar-jobs-%s-dlq" % k)
def mine(g, k):  # a group of account k: kaviar-k3-vpce, kaviar-rds-sg-k3, …
    return g.startswith("kaviar-%s-" % k) or g.endswith("-" + k)
for g in ("kaviar-rds-sg-" + k, "kaviar-redis-sg-" + k):
    want["security group " + g] = d["security_groups"].get(g, 0)
for g in d0["security_groups"]:
    if mine(g, "k0"):
        g = g.replace("-k0", "-" + k)
        want["security group " + g] = d["security_groups"].get(g, 0)
for g, n in d["security_groups"].items():
    if mine(g, k):
        want["security group " + g] = n
bad = ["%s: %s" % (n, v) for n, v in want.items() if v != 1]
for what, key in (("database", "db_instance_states"), ("cache cluster", "cache_cluster_states")):
    name = {"db_instance_states": "kaviar-db-", "cache_cluster_states": "kaviar-redis-"}[key] + k
    if d[key].get(name) != "available":
        bad.append("%s %s: %s" % (what, name, d[key].get(name)))
for g0, n0 in d0["ingress_rules"].items():
    if mine(g0, "k0"):
        g = g0.replace("-k0", "-" + k)
        if d["ingress_rules"].get(g, 0) != n0:
            bad.append("ingress rules of %s: %s, not %s" % (g, d["ingress_rules"].get(g, 0), n0))
print("; ".join(bad))'
count_of_each() { python3 -c "$ONE_PY" "$(ctl resources)" "$1" "$R0"; }

# the counts of GET /resources that phases 1 and 3 make
TOTALS_PY='
import json, sys
d = json.loads(sys.argv[1])
t = {k: d[k] for k in ("vpcs", "subnets", "route_tables", "internet_gateways", "nat_gateways",
     "elastic_ips", "vpc_endpoints", "db_instances", "cache_clusters", "buckets", "queues", "secrets")}
t["db_subnet_groups"] = len(d["db_subnet_groups"])
t["cache_subnet_groups"] = len(d["cache_subnet_groups"])
t["security groups (not default)"] = sum(n for g, n in d["security_groups"].items() if g != "default")
t["ingress rules (not default)"] = sum(n for g, n in d["ingress_rules"].items() if g != "default")
if len(sys.argv) > 2:  # want: N times these
    n, t0 = int(sys.argv[2]), json.loads(sys.argv[3])
    print("; ".join("%s: %s, not %s" % (k, v, n * t0[k]) for k, v in t.items() if v != n * t0[k]))
else:
    print(json.dumps(t))'

res() { printf '%s\t%s\n' "$1" "$2" >>"$RES"; }
check() { if [ "$1" -eq 0 ]; then res ok "$2"; else res "not ok" "$2"; fi; }
rdiag() { printf '%s\n' "$@" | sed 's/^/#\t/' >>"$RES"; }

# crash_k K: up --to 3 killed after its K-th mutating call, then twice more
crash_k() {
	local k=$1 d t n left key
	d=$(ns_dir "k$k")
	t=$d/trace
	RES=$WORK/result.$k

	killed_after "$k" "$d" "$t.1" up --to 3
	n=$(echo "$DONE" | tr ',' '\n' | grep -c .)
	check $([ "$RC" -eq 137 ] && [ "$n" -ge "$k" ]; echo $?) \
		"k=$k: SIGKILLed right after mutating call $k, $(echo "$DONE" | cut -d, -f"$k") ($n done)"
	rdiag "k=$k: done when killed: $DONE"
	left=$(env_sane "$d")
	check $([ -z "$left" ]; echo $?) "k=$k: the env file has no key twice${left:+: $left}"
	run_in "$d" "$t.2" up --to 3
	check "$RC" "k=$k: the next up --to 3 exits 0 (after $(mutations "$t.2") mutating calls)"
	[ "$RC" -eq 0 ] || rdiag "$(grep -v '^+ ' "$t.2.err" | tail -n 5)"
	left=$(count_of_each "k$k")
	check $([ -z "$left" ]; echo $?) "k=$k: exactly one of each resource${left:+: $left}"
	n=0
	for key in $KEYS; do
		[ "$(grep -c "^$key=" "$d/aws-resources.env")" -eq 1 ] && n=$((n + 1))
	done
	left=$(env_sane "$d" temps)
	check $([ "$n" -eq "$NKEYS" ] && [ -z "$left" ]; echo $?) \
		"k=$k: the env file holds the $NKEYS written keys once each ($n), no key twice, no temp file${left:+; $left}"
	cp "$d/aws-resources.env" "$d/env.converged"
	run_in "$d" "$t.3" up --to 3
	check $([ "$RC" -eq 0 ] && [ "$(mutations "$t.3")" -eq 0 ] && cmp -s "$d/env.converged" "$d/aws-resources.env"; echo $?) \
		"k=$k: a further up --to 3 changes nothing in AWS or in the env file (exit $RC, $(mutations "$t.3") mutating)"
}

# --- k = 0: the clean run
ap list
like "$AP_OUT" '^awsphase up runs: 1 → 3( |$)' "up runs phase 1, then phase 3"
d0=$(ns_dir k0)
run_in "$d0" "$d0/trace" up --to 3
is "$RC" 0 "a clean up --to 3 exits 0"
[ "$RC" -eq 0 ] || diag "$(tail -n 5 "$d0/trace.err")"
is "$(sed -n 's/^== \([^ ]*\) \([a-z]*\):.*/\1 \2/p' "$d0/trace.out" | paste -sd' ')" "1 deploy 3 deploy" \
	"it deployed phases 1 and 3, nothing else"
K=$(mutations "$d0/trace")
R0=$(ctl resources)
is "$(count_of_each k0)" "" "it leaves exactly one of each resource"
T0=$(python3 -c "$TOTALS_PY" "$R0")
diag "a fresh up --to 3 makes $K mutating calls: $K crash points, $LANES at a time"
diag "k=0 makes: $T0"

# --- k = 1…K, LANES at once
KS=${CRASH_KS:-$(seq 1 "$K")}
start=$(date +%s)
for lane in $(seq 0 $((LANES - 1))); do
	(
		for k in $KS; do
			[ $((k % LANES)) -eq "$lane" ] && crash_k "$k"
		done
	) &
done
wait
for k in $KS; do
	[ -f "$WORK/result.$k" ] || { ok 1 "k=$k: its lane gave no result"; continue; }
	while IFS=$'\t' read -r status text; do
		case "$status" in
		'#') diag "$text" ;;
		ok) ok 0 "$text" ;;
		*) ok 1 "$text" ;;
		esac
	done <"$WORK/result.$k"
done

# --- across all accounts: nothing without a name either
n=$(($(echo $KS | wc -w) + 1))
is "$(python3 -c "$TOTALS_PY" "$(ctl resources)" $n "$T0")" "" \
	"every count of GET /resources is $n times k=0's: no stray of any kind"
survived=$(cat "$WORK"/result.* | awk -F'\t' '$1 != "#" { split($2, w, ":"); bad[w[1]] += ($1 != "ok") }
	END { for (p in bad) if (!bad[p]) n++; print n + 0 }')
diag "crash points survived: $survived of $(echo $KS | wc -w), in $(($(date +%s) - start)) s"
echo "1..$TAP_N"
finish
