#!/usr/bin/env bash
# The fault matrix, throttling: 30% of the requests to every service are throttled
# (ThrottlingException, RequestLimitExceeded, Throttling, by protocol) while
# deploy, rollback, validate and teardown run.
# Each action exits 0 and leaves the state a clean run leaves
# (fixtures/clean-state.json, per GET /resources: same resources, none
# duplicated); the retries it took are reported as diag lines.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
. "$top_srcdir/tests/scenarios/reliability-lib.sh"
fault_matrix throttling '{"seed": 8, "rules": [{"service": "*", "action": "*", "error": "Throttling", "rate": 0.3}]}' 
finish
