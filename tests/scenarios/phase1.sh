#!/usr/bin/env bash
# Phase 1 (VPC) on an empty account: bad input refused before any change
# (overlapping or outside CIDRs, an unknown PRIVATE_EGRESS, a region with
# one available zone), and a VPC_ID phase 1 did not make; --dry-run's plan;
# deploy making one VPC, four subnets in two zones, an attached gateway and
# the routes, writing the five keys; a rerun with no mutating call; a route
# deleted by hand shown by --dry-run and put back; teardown leaving nothing,
# twice.  PRIVATE_EGRESS=nat (the NAT gateway available and the private
# default route, teardown waiting for it before releasing its address) and
# =endpoints (six endpoints).  A deploy SIGKILLed right after each kind of
# create converges to one of each.  And a short run with the aws CLI v1.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
plan 56

localaws_start --scenario empty
ctl config '{"nat_pending_s":0.3,"nat_deleting_s":0.3,"vpce_pending_s":0.2,"vpce_deleting_s":0.2}' >/dev/null
printf 'AWS_REGION=us-east-2\n' >a.env
p1() { ap -e a.env "$@"; }
# the mutating operations of the last run (or of trace file $1), in order
ops() { python3 -c 'import json, sys
print(" ".join(json.loads(l)["argv"][1] for l in open(sys.argv[1]) if json.loads(l)["mutating"]))' "${1:-$AP_TRACE_FILE}"; }
res() { jget "$(ctl resources)" "$1"; }
key() { sed -n "s/^$1=//p" "${2:-a.env}"; }

# --- bad input: exit 2, one line, nothing changed
bad() { # bad ENV-LINE WHAT ERE
	printf 'AWS_REGION=us-east-2\n%s\n' "$1" >bad.env
	ap -e bad.env 1 deploy
	is "$AP_RC:$(trace_count mutating):$(printf '%s\n' "$AP_ERR" | grep -c .)" 2:0:1 \
		"$2: exit 2, one line, no mutating call"
	like "$AP_ERR" "$3" "... saying what and what to do"
}
bad PUBLIC_SUBNET_2_CIDR=10.0.1.128/25 "overlapping subnets" \
	'PUBLIC_SUBNET_2_CIDR=10.0.1.128/25: overlaps PUBLIC_SUBNET_1_CIDR=10.0.1.0/24; give each subnet a range of its own'
is "$(trace_count)" 0 "... found before any aws call"
bad PRIVATE_SUBNET_1_CIDR=10.1.11.0/24 "a subnet outside VPC_CIDR" \
	'PRIVATE_SUBNET_1_CIDR=10.1.11.0/24: outside VPC_CIDR=10.0.0.0/16; choose'
bad PRIVATE_EGRESS=vpn "PRIVATE_EGRESS=vpn" 'PRIVATE_EGRESS'
ctl config '{"impaired_zones":"us-east-2b,us-east-2c"}' >/dev/null
bad "" "a region with one available zone" \
	'AWS_REGION=us-east-2: 1 availability zone\(s\) available.*choose a region with two or more'
# the account guard's sts before the first call of a changing action (issue 18)
is "$(ops):$(trace_count)" ":2" "... after the account guard's sts and describe-availability-zones alone"
ctl config '{"impaired_zones":""}' >/dev/null
# a VPC made otherwise (the runbook's scripts): VPC_ID in the file, no tags
printf 'AWS_REGION=us-east-2\nVPC_ID=vpc-0a1b2c3d4e5f60718\n' >own.env
ap -e own.env 1 deploy
is "$AP_RC:$(trace_count mutating):$(res 'd["vpcs"]')" 1:0:0 "VPC_ID of a VPC phase 1 did not make: exit 1, nothing made"
like "$AP_ERR" '^awsphase: 1 deploy: VPC_ID=vpc-0a1b2c3d4e5f60718: not a VPC phase 1 made .*leave phase 1 out \(awsphase up --from 3\)' \
	"... saying a deploy would make a second VPC, and the ways on"

# --- the plan
p1 --dry-run vpc deploy
is "$AP_RC:$(trace_count dry_run):$(res 'd["vpcs"]')" 0:16:0 "--dry-run: exit 0, 16 changes listed, none made"
like "$AP_OUT" '^• subnet kaviar-public-2 \(would create: 10.0.2.0/24\)$' "the plan lists a subnet with its CIDR"
is "$(cat a.env)" "AWS_REGION=us-east-2" "nothing written"

# --- deploy
p1 1 deploy
is "$AP_RC:$(trace_count mutating)" 0:16 "deploy: exit 0, 16 mutating calls"
[ "$AP_RC" -eq 0 ] || diag "$AP_ERR"
is "$(grep -cE '^(VPC_ID=vpc|PUBLIC_SUBNET_[12]=subnet|PRIVATE_SUBNET_[12]=subnet)-[0-9a-f]+$' a.env)" 5 \
	"the five keys written, once each"
VPC=$(key VPC_ID)
is "$(awscli ec2 describe-vpcs --filters Name=tag:awsphase:stack,Values=1 --query 'Vpcs[].[VpcId,CidrBlock]' --output text)" \
	"$VPC	10.0.0.0/16" "one VPC, 10.0.0.0/16 (aws ec2 describe-vpcs)"
subnets=$(awscli ec2 describe-subnets --filters "Name=vpc-id,Values=$VPC")
is "$(jget "$subnets" 'sorted((s["CidrBlock"], s["AvailabilityZone"]) for s in d["Subnets"])')" \
	"[('10.0.1.0/24', 'us-east-2a'), ('10.0.11.0/24', 'us-east-2a'), ('10.0.12.0/24', 'us-east-2b'), ('10.0.2.0/24', 'us-east-2b')]" \
	"four subnets, each tier in two zones (aws ec2 describe-subnets)"
is "$(awscli ec2 describe-internet-gateways --filters "Name=attachment.vpc-id,Values=$VPC" --query 'length(InternetGateways)')" 1 \
	"one internet gateway attached (aws ec2 describe-internet-gateways)"
tables=$(awscli ec2 describe-route-tables --filters "Name=vpc-id,Values=$VPC")
routes='sorted((next(t["Value"] for t in r.get("Tags", []) if t["Key"] == "Name"), [(x.get("DestinationCidrBlock"), (x.get("GatewayId") or x.get("NatGatewayId") or "?")[:3]) for x in r["Routes"]], len(r["Associations"])) for r in d["RouteTables"] if not any(a.get("Main") for a in r["Associations"]))'
is "$(jget "$tables" "$routes")" \
	"[('kaviar-private', [('10.0.0.0/16', 'loc')], 2), ('kaviar-public', [('10.0.0.0/16', 'loc'), ('0.0.0.0/0', 'igw')], 2)]" \
	"public table 0.0.0.0/0 → igw, private table local only, two subnets each (aws ec2 describe-route-tables)"
RT_PUBLIC=$(jget "$tables" '[r["RouteTableId"] for r in d["RouteTables"] if {"Key": "Name", "Value": "kaviar-public"} in r.get("Tags", [])][0]')

p1 1 deploy
is "$AP_RC:$(trace_count mutating)" 0:0 "a second deploy makes no mutating call"
p1 1 validate
is "$AP_RC:$(printf '%s\n' "$AP_OUT" | grep -c '^\[ok\]')" 0:8 "validate: exit 0, eight checks ok"

# --- drift: the public default route deleted by hand
awscli ec2 delete-route --route-table-id "$RT_PUBLIC" --destination-cidr-block 0.0.0.0/0 >/dev/null
ok $? "drift: 0.0.0.0/0 deleted from kaviar-public (aws ec2 delete-route)"
p1 1 validate
like "$AP_RC $(printf '%s\n' "$AP_OUT" | grep -v '^\[ok\]')" '^1 \[FAIL\] public routes: no active 0.0.0.0/0' \
	"validate fails on the public routes, and only them"
p1 --dry-run 1 deploy
is "$AP_RC:$(ops)" "0:create-route" "--dry-run lists the route, and only it"
like "$AP_OUT" 'create-route --route-table-id '"$RT_PUBLIC"' --destination-cidr-block 0.0.0.0/0 --gateway-id igw-' \
	"... to the gateway"
p1 1 deploy
is "$AP_RC:$(ops)" "0:create-route" "deploy puts it back"
is "$(awscli ec2 describe-route-tables --route-table-ids "$RT_PUBLIC" --query 'RouteTables[0].Routes[?DestinationCidrBlock==`0.0.0.0/0`].State' --output text)" \
	active "0.0.0.0/0 is there again, active"

p1 1 status
like "$AP_RC $(printf '%s\n' "$AP_OUT" | grep kaviar-private-2)" "^0 subnet +kaviar-private-2 +$(key PRIVATE_SUBNET_2) +10.0.12.0/24 us-east-2b" \
	"status: exit 0, a row per resource"

# --- teardown
p1 1 teardown --yes
is "$AP_RC:$(res '(d["vpcs"], d["subnets"], d["internet_gateways"], d["route_tables"])')" "0:(0, 0, 0, 0)" \
	"teardown --yes: exit 0, no VPC, subnet, gateway or route table left"
is "$(awscli ec2 describe-vpcs --filters Name=tag:awsphase:stack,Values=1 --query 'length(Vpcs)')" 0 \
	"no VPC of phase 1 (aws ec2 describe-vpcs)"
# the account it was deployed with stays: the env file is still that account's (issue 18)
is "$(cat a.env)" "AWS_REGION=us-east-2
AWS_ACCOUNT_ID=123456789012" "its keys left the env file, the account stays"
p1 1 teardown --yes
is "$AP_RC:$(trace_count mutating)" 0:0 "a second teardown makes no mutating call"

# --- PRIVATE_EGRESS=nat
printf 'AWS_REGION=us-east-2\nVPC_NAME=kn\nPRIVATE_EGRESS=nat\n' >n.env
ap -e n.env 1 deploy
like "$AP_RC:$(ops)" '^0:.*allocate-address .*create-nat-gateway create-route$' \
	"nat: deploy exits 0, the route made after the NAT gateway"
[ "$AP_RC" -eq 0 ] || diag "$AP_ERR"
nat=$(awscli ec2 describe-nat-gateways --filter Name=tag:Name,Values=kn-nat)
is "$(jget "$nat" '[(n["State"], n["SubnetId"]) for n in d["NatGateways"]]')" "[('available', '$(key PUBLIC_SUBNET_1 n.env)')]" \
	"one NAT gateway, available, in public subnet 1 (aws ec2 describe-nat-gateways)"
NAT=$(jget "$nat" 'd["NatGateways"][0]["NatGatewayId"]')
is "$(awscli ec2 describe-route-tables --filters Name=tag:Name,Values=kn-private --query 'RouteTables[0].Routes[?DestinationCidrBlock==`0.0.0.0/0`].[NatGatewayId,State]' --output text)" \
	"$NAT	active" "the private default route goes to it"
ap -e n.env 1 validate
like "$AP_RC $(printf '%s\n' "$AP_OUT" | grep egress)" "^0 \[ok\] +egress: NAT gateway $NAT available, 0.0.0.0/0 → it" \
	"validate: the NAT egress ok"
ap -e n.env 1 teardown --yes
is "$AP_RC:$(res '(d["nat_gateways"], d["elastic_ips"], d["vpcs"])')" "0:(0, 0, 0)" \
	"teardown: exit 0, the NAT gateway, its address and the VPC gone"
is "$(python3 -c 'import json, sys
ops = [json.loads(l)["argv"][1] for l in open(sys.argv[1])]
d, r = ops.index("delete-nat-gateway"), ops.index("release-address")
print(d < r and "describe-nat-gateways" in ops[d:r])' "$AP_TRACE_FILE")" True \
	"the NAT gateway read again after its delete, before release-address"

# --- PRIVATE_EGRESS=endpoints
printf 'AWS_REGION=us-east-2\nVPC_NAME=ke\nPRIVATE_EGRESS=endpoints\n' >e.env
ap -e e.env 1 deploy
is "$AP_RC" 0 "endpoints: deploy exits 0"
[ "$AP_RC" -eq 0 ] || diag "$AP_ERR"
eps=$(awscli ec2 describe-vpc-endpoints --filters "Name=vpc-id,Values=$(key VPC_ID e.env)")
is "$(jget "$eps" 'sorted((e["ServiceName"].split(".", 3)[3], e["VpcEndpointType"], e["State"], e["PrivateDnsEnabled"]) for e in d["VpcEndpoints"])')" \
	"[('ecr.api', 'Interface', 'available', True), ('ecr.dkr', 'Interface', 'available', True), ('logs', 'Interface', 'available', True), ('s3', 'Gateway', 'available', False), ('secretsmanager', 'Interface', 'available', True), ('ssm', 'Interface', 'available', True)]" \
	"the six endpoints, available (aws ec2 describe-vpc-endpoints)"
ap -e e.env 1 validate
like "$AP_RC $(printf '%s\n' "$AP_OUT" | grep egress)" '^0 \[ok\] +egress: endpoints: ecr.api, ecr.dkr, logs, ssm, secretsmanager' \
	"validate: the endpoints ok"
ap -e e.env 1 deploy
is "$AP_RC:$(trace_count mutating)" 0:0 "a second deploy makes no mutating call"
ap -e e.env 1 teardown --yes
is "$AP_RC:$(res '(d["vpc_endpoints"], [k for k in d["security_groups"] if k != "default"], d["vpcs"])')" "0:(0, [], 0)" \
	"teardown: exit 0, endpoints, their group and the VPC gone"

# --- SIGKILL right after each kind of create: the next deploy converges
# killed_after OP ENV [ACTION…]: deploy (or ACTION), SIGKILLed once its
# trace shows OP made
killed_after() {
	local pid end trace=$WORK/trace.killed.$1.jsonl op=$1 env=$2
	shift 2
	: >"$trace"
	"$AWSPHASE" --aws "$AWS_BIN" --trace-file "$trace" -e "$env" 1 "${@:-deploy}" >/dev/null 2>&1 &
	pid=$!
	end=$(($(date +%s) + 60))
	while [ "$(date +%s)" -lt "$end" ] && kill -0 "$pid" 2>/dev/null; do
		grep '"mutating": *true' "$trace" | grep -q "\"$op\"" && break
		sleep 0.01
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	KILLED_RC=$?
	KILLED_OPS=$(ops "$trace")
}
i=0
for op in create-vpc create-internet-gateway create-subnet create-route-table allocate-address create-nat-gateway; do
	i=$((i + 1))
	printf 'AWS_REGION=us-east-2\nVPC_NAME=kc%s\nPRIVATE_EGRESS=nat\n' $i >c$i.env
	killed_after $op c$i.env
	ap -e c$i.env 1 deploy
	counts=$(res "(d['vpc_names'].count('kc$i'), len([n for n in d['subnet_names'] if n.startswith('kc$i-')]), d['internet_gateway_names'].count('kc$i-igw'), len([n for n in d['route_table_names'] if n.startswith('kc$i-')]))")
	is "$KILLED_RC:$AP_RC:$counts" "137:0:(1, 4, 1, 2)" \
		"killed after $op ($KILLED_OPS): the next deploy converges to 1 VPC, 4 subnets, 1 gateway, 2 tables"
	[ "$AP_RC" -eq 0 ] || diag "$AP_ERR"
done
nats=$(awscli ec2 describe-nat-gateways --filter Name=state,Values=pending,available)
addrs=$(awscli ec2 describe-addresses)
name='next(t["Value"] for t in x.get("Tags", []) if t["Key"] == "Name")'
is "$(jget "$nats" "sorted($name for x in d['NatGateways'])"):$(jget "$addrs" "sorted($name for x in d['Addresses'])")" \
	"$(python3 -c 'print(sorted("kc%d-nat" % i for i in range(1, 7)))'):$(python3 -c 'print(sorted("kc%d-nat" % i for i in range(1, 7)))')" \
	"... and one NAT gateway and one Elastic IP each (aws ec2 describe-nat-gateways, describe-addresses)"

# a teardown killed right after delete-nat-gateway: the next one waits for
# the gateway, releases its address and finishes
killed_after delete-nat-gateway c6.env teardown --yes
ap -e c6.env 1 teardown --yes
is "$KILLED_RC:$AP_RC:$(res "(d['vpc_names'].count('kc6'), len([n for n in d['subnet_names'] if n.startswith('kc6-')]))")" \
	"137:0:(0, 0)" "teardown killed after delete-nat-gateway ($KILLED_OPS): the next one finishes"
like "$(ops)" 'release-address' "... releasing the address once the gateway is gone"

# --- the aws CLI v1
V1=$(PATH=$(printf %s "$PATH" | tr : '\n' | grep -v '^/usr/bin$' | paste -sd:) command -v aws)
if [ -n "$V1" ] && "$V1" --version 2>&1 | grep -q '^aws-cli/1\.'; then
	printf 'AWS_REGION=us-east-2\nVPC_NAME=k1\n' >v1.env
	AWS_BIN=$V1 ap -e v1.env 1 deploy
	is "$AP_RC:$(grep -c SUBNET v1.env)" 0:4 "aws CLI v1: deploy exits 0, the subnets written"
	AWS_BIN=$V1 ap -e v1.env 1 deploy
	is "$AP_RC:$(trace_count mutating)" 0:0 "aws CLI v1: a second deploy makes no mutating call"
else
	ok 0 "# SKIP no aws CLI v1 on PATH"
	ok 0 "# SKIP no aws CLI v1 on PATH"
fi
finish
