#!/bin/sh
# fix-ecs-sg.sh — drop-in for the runbook's SG fix (fase 4B): runs
# `awsphase 4b fix-sg`: kaviar-ecs-sg with the ALB → 3001 rule, the service on it,
# a new deployment only if something changed, then the wait.  Idempotent; exit 0
# on success.  Extra arguments go to awsphase (--no-wait, --dry-run, --trace, …).
#
# Runs in the folder holding aws-resources.env: the current one, else this
# script's own.  Uses the awsphase next to this script, else the one on PATH.
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd) || exit 1
if [ ! -f aws-resources.env ] && [ -f "$here/aws-resources.env" ]; then
	cd "$here" || exit 1
fi
if [ -f "$here/awsphase" ] && [ -x "$here/awsphase" ]; then
	exec "$here/awsphase" 4b fix-sg "$@"
fi
if command -v awsphase >/dev/null 2>&1; then
	exec awsphase 4b fix-sg "$@"
fi
echo "fix-ecs-sg.sh: awsphase: not found next to this script ($here) or on PATH; install awsphase or add it to PATH" >&2
exit 127
