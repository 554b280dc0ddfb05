#!/usr/bin/env bash
# The fault matrix, server errors: 10% of the requests to every service fail
# with 500 or 503 (half each) while deploy, rollback, validate and teardown run.
# Each action exits 0 and leaves the state a clean run leaves
# (fixtures/clean-state.json, per GET /resources: same resources, none
# duplicated); the retries it took are reported as diag lines.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
. "$top_srcdir/tests/scenarios/reliability-lib.sh"
fault_matrix 5xx '{"seed": 9, "rules": [{"service": "*", "action": "*", "error": 500, "rate": 0.05}, {"service": "*", "action": "*", "error": 503, "rate": 0.0527}]}' 
finish
