#!/usr/bin/env bash
# The fault matrix, a freeze: in the middle of each wait (deploy's after
# create-service, rollback's after update-service, teardown's after
# delete-service; validate has none, so its first ecs read) ecs holds one
# DescribeServices 20 s before answering.
# Each action exits 0 and leaves the state a clean run leaves
# (fixtures/clean-state.json, per GET /resources: same resources, none
# duplicated); the retries it took are reported as diag lines.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
. "$top_srcdir/tests/scenarios/reliability-lib.sh"
fault_matrix freeze '{"rules": []}' '{"rules": [{"service": "ecs", "action": "DescribeServices", "freeze_s": 20, "count": 1}]}'
finish
