#!/usr/bin/env bash
# The fault matrix, latency: every request to every service is answered 500 ms
# late while deploy, rollback, validate and teardown run.
# Each action exits 0 and leaves the state a clean run leaves
# (fixtures/clean-state.json, per GET /resources: same resources, none
# duplicated); the retries it took are reported as diag lines.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/lib.sh"
. "$top_srcdir/tests/scenarios/reliability-lib.sh"
fault_matrix latency '{"seed": 10, "rules": [{"service": "*", "action": "*", "latency_ms": 500, "rate": 1.0}]}' 
finish
