#!/usr/bin/env bash
# phases.sh with the aws CLI v1: from an empty account to a validated
# backend and back, every phase through the older CLI's answers.
AWS_CLI=v1
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenarios/phases.sh"
