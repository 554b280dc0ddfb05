#!/usr/bin/env bash
# phases-private.sh with PRIVATE_EGRESS=nat: the tasks in the private
# subnets reach AWS through phase 1's NAT gateway.
EGRESS=nat
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/phases-private.sh"
