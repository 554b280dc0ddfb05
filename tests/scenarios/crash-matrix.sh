#!/usr/bin/env bash
# The crash matrix.  A fresh deploy is SIGKILLed right after its k-th
# mutating aws call (as its --trace-file shows it), for every k; the next
# deploy converges: exit 0, exactly one of each resource (GET /resources), the
# env file parses and holds each written key once, and a further deploy
# changes nothing (so the keys match AWS).  Then the same for teardown --all:
# killed after its k-th mutating call, the next teardown leaves nothing of
# the deploy and takes its keys out of the env file.
#
# Every k gets a fresh account of its own inside one local AWS: its own
# names (ECS_CLUSTER=kaviar-cluster-k3, ALB_NAME=kaviar-alb-k3, …) in an env
# file of its own, so CRASH_LANES (default 3) of them run at once.  k = 0 is
# the clean run that says how many mutating calls there are.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
. "$top_srcdir/tests/scenarios/reliability-lib.sh"
localaws_start --seed 11
fast_sim
LANES=${CRASH_LANES:-3}
HAS_TEARDOWN=0
has_action teardown && HAS_TEARDOWN=1
KEYS="ALB_SG_ID ECS_SG_ID TG_ARN ALB_ARN ALB_DNS LISTENER_ARN TASK_DEF_ARN SERVICE_ARN"

# ns_dir ID: the account ID (k3), its env file the local AWS's plus its names
ns_dir() {
	local d=$WORK/$1
	mkdir -p "$d"
	cp "$WORK/aws-resources.env" "$d/aws-resources.env"
	cat >>"$d/aws-resources.env" <<-EOF

	# crash-matrix.sh: the names of account $1
	ECS_CLUSTER=kaviar-cluster-$1
	ECS_SERVICE=kaviar-backend-service-$1
	TASK_FAMILY=kaviar-backend-$1
	TG_NAME=kaviar-backend-tg-$1
	ALB_NAME=kaviar-alb-$1
	ALB_SG_NAME=kaviar-alb-sg-$1
	ECS_SG_NAME=kaviar-ecs-sg-$1
	LOG_GROUP=/ecs/kaviar-backend-$1
	EXEC_ROLE_NAME=KaviarEcsTaskExecutionRole-$1
	TASK_ROLE_NAME=KaviarEcsTaskRole-$1
	DB_SECRET_NAME=kaviar/db-password-$1
	EOF
	echo "$d"
}

# one_of_each K: "" when /resources holds exactly one of each resource of
# account K, else what is not
ONE_PY='
import json, sys
d, k = json.loads(sys.argv[1]), sys.argv[2]
want = {
    "kaviar-alb-sg-" + k: d["security_groups"].get("kaviar-alb-sg-" + k),
    "kaviar-ecs-sg-" + k: d["security_groups"].get("kaviar-ecs-sg-" + k),
    "rules of kaviar-alb-sg-" + k: d["ingress_rules"].get("kaviar-alb-sg-" + k),
    "rules of kaviar-ecs-sg-" + k: d["ingress_rules"].get("kaviar-ecs-sg-" + k),
    "load balancer": d["load_balancer_names"].count("kaviar-alb-" + k),
    "target group": d["target_group_names"].count("kaviar-backend-tg-" + k),
    "cluster": d["cluster_names"].count("kaviar-cluster-" + k),
    "log group": d["log_groups"].count("/ecs/kaviar-backend-" + k),
    "execution role": d["roles"].count("KaviarEcsTaskExecutionRole-" + k),
    "task role": d["roles"].count("KaviarEcsTaskRole-" + k),
    "task definition revisions": d["task_definition_revisions"].get("kaviar-backend-" + k),
    "service": d["services"].get("kaviar-backend-service-" + k, {}).get("count"),
}
svc = d["services"].get("kaviar-backend-service-" + k, {})
if sys.argv[3] == "0":  # deregistered revisions stay, INACTIVE
    del want["task definition revisions"]
bad = [f"{n}: {v}" for n, v in want.items() if (v or 0) != int(sys.argv[3])]
if sys.argv[3] == "1" and (svc.get("running"), svc.get("rollout_state")) != (1, "COMPLETED"):
    bad.append("service running %s, %s" % (svc.get("running"), svc.get("rollout_state")))
print("; ".join(bad))'
count_of_each() { python3 -c "$ONE_PY" "$(ctl resources)" "$1" "$2"; }

# result lines of a lane: "ok<TAB>description" or "not ok<TAB>…", "#<TAB>diag"
res() { printf '%s\t%s\n' "$1" "$2" >>"$RES"; }
check() { if [ "$1" -eq 0 ]; then res ok "$2"; else res "not ok" "$2"; fi; }
rdiag() { printf '%s\n' "$@" | sed 's/^/#\t/' >>"$RES"; }

# crash_k K: the deploy and teardown crash points k; K_DEPLOY and
# K_TEARDOWN are the clean runs' counts
crash_k() {
	local k=$1 d t n left
	d=$(ns_dir "k$k")
	t=$d/trace
	RES=$WORK/result.$k

	killed_after "$k" "$d" "$t.1" 4b deploy
	n=$(echo "$DONE" | tr ',' '\n' | grep -c .)
	check $([ "$RC" -eq 137 ] && [ "$n" -ge "$k" ]; echo $?) \
		"deploy k=$k: SIGKILLed right after mutating call $k, $(echo "$DONE" | cut -d, -f"$k") ($n done)"
	rdiag "deploy k=$k: done when killed: $DONE"
	left=$(env_sane "$d")
	check $([ -z "$left" ]; echo $?) "deploy k=$k: the env file has no key twice${left:+: $left}"
	left=$(ls -A "$d" | grep -E '^\.aws-resources\.env\.')
	[ -z "$left" ] || rdiag "deploy k=$k: killed while writing the env file: $left left beside it"
	check $([ -z "$STRAYS" ]; echo $?) "deploy k=$k: its aws workers end by themselves${STRAYS:+: still alive: $STRAYS}"
	run_in "$d" "$t.2" 4b deploy
	check "$RC" "deploy k=$k: the next deploy exits 0 (after $(mutations "$t.2") mutating calls)"
	[ "$RC" -eq 0 ] || rdiag "$(grep -v '^+ ' "$t.2.err" | tail -n 5)"
	left=$(count_of_each "k$k" 1)
	check $([ -z "$left" ]; echo $?) "deploy k=$k: exactly one of each resource${left:+: $left}"
	n=0
	for key in $KEYS; do
		[ "$(grep -c "^$key=" "$d/aws-resources.env")" -eq 1 ] && n=$((n + 1))
	done
	left=$(env_sane "$d" temps)
	check $([ "$n" -eq 8 ] && [ -z "$left" ]; echo $?) \
		"deploy k=$k: the env file holds the 8 written keys once each ($n), no temp file beside it${left:+; $left}"
	cp "$d/aws-resources.env" "$d/env.converged"
	run_in "$d" "$t.3" -j 1 4b deploy
	check $([ "$RC" -eq 0 ] && [ "$(mutations "$t.3")" -eq 0 ] && cmp -s "$d/env.converged" "$d/aws-resources.env"; echo $?) \
		"deploy k=$k: a further deploy changes nothing in AWS or in the env file (exit $RC, $(mutations "$t.3") mutating)"

	[ "$HAS_TEARDOWN" = 1 ] && [ "$k" -le "$K_TEARDOWN" ] || return 0
	killed_after "$k" "$d" "$t.4" 4b teardown --yes --all
	n=$(echo "$DONE" | tr ',' '\n' | grep -c .)
	check $([ "$RC" -eq 137 ] && [ "$n" -ge "$k" ]; echo $?) \
		"teardown k=$k: SIGKILLed right after mutating call $k, $(echo "$DONE" | cut -d, -f"$k") ($n done)"
	rdiag "teardown k=$k: done when killed: $DONE"
	left=$(env_sane "$d")
	check $([ -z "$left" ]; echo $?) "teardown k=$k: the env file has no key twice${left:+: $left}"
	run_in "$d" "$t.5" 4b teardown --yes --all
	check "$RC" "teardown k=$k: the next teardown exits 0 (after $(mutations "$t.5") mutating calls)"
	[ "$RC" -eq 0 ] || rdiag "$(grep -v '^+ ' "$t.5.err" | tail -n 5)"
	left=$(count_of_each "k$k" 0)
	check $([ -z "$left" ]; echo $?) "teardown k=$k: nothing of the deploy is left${left:+: $left}"
	left=$(env_sane "$d" temps)
	n=$(grep -cE "^($(echo $KEYS | tr ' ' '|'))=" "$d/aws-resources.env")
	check $([ "$n" -eq 0 ] && [ -z "$left" ]; echo $?) \
		"teardown k=$k: its keys are out of the env file ($n left), no temp file beside it${left:+; $left}"
}

# --- k = 0: the clean runs
d0=$(ns_dir k0)
run_in "$d0" "$d0/trace.deploy" 4b deploy
is "$RC" 0 "a clean deploy exits 0"
K_DEPLOY=$(mutations "$d0/trace.deploy")
is "$(count_of_each k0 1)" "" "it leaves exactly one of each resource"
K_TEARDOWN=0
if [ "$HAS_TEARDOWN" = 1 ]; then
	run_in "$d0" "$d0/trace.teardown" 4b teardown --yes --all
	is "$RC" 0 "a clean teardown --all exits 0"
	K_TEARDOWN=$(mutations "$d0/trace.teardown")
	is "$(count_of_each k0 0)" "" "it leaves nothing of the deploy"
else
	diag "teardown is not built yet: its crash points are not covered"
fi
diag "a fresh deploy makes $K_DEPLOY mutating calls, teardown --all $K_TEARDOWN: $((K_DEPLOY + K_TEARDOWN)) crash points, $LANES at a time"

# --- k = 1…K, LANES at once
for lane in $(seq 0 $((LANES - 1))); do
	(
		for k in $(seq 1 "$K_DEPLOY"); do
			[ $((k % LANES)) -eq "$lane" ] && crash_k "$k"
		done
	) &
done
wait
for k in $(seq 1 "$K_DEPLOY"); do
	while IFS=$'\t' read -r status text; do
		case "$status" in
		'#') diag "$text" ;;
		ok) ok 0 "$text" ;;
		*) ok 1 "$text" ;;
		esac
	done <"$WORK/result.$k"
done

# --- across all accounts: the phase-3 groups hold one rule per live ECS group
res_all=$(ctl resources)
live=$(jget "$res_all" 'sum(n for k, n in d["security_groups"].items() if k.startswith("kaviar-ecs-sg-k"))')
is "$(jget "$res_all" 'd["ingress_rules"]["kaviar-rds-sg"], d["ingress_rules"]["kaviar-redis-sg"]')" \
	"($((1 + live)), $((1 + live)))" "kaviar-rds-sg and kaviar-redis-sg hold the seeded rule and one per account still deployed ($live)"
is "$(jget "$res_all" 'd["listeners"] == d["load_balancers"]')" True "one listener per load balancer"
survived=$(cat "$WORK"/result.* | awk -F'\t' '$1 != "#" { split($2, w, ":"); bad[w[1]] += ($1 != "ok") }
	END { for (p in bad) if (!bad[p]) n++; print n + 0 }')
diag "crash points survived: $survived of $((K_DEPLOY + K_TEARDOWN)) (deploy $K_DEPLOY, teardown --all $K_TEARDOWN)"
echo "1..$TAP_N"
finish
