#!/bin/sh
# aws-phase4b-ecs-alb.sh — drop-in for the runbook's script (fase 4B): runs
# `awsphase 4b deploy`, which creates what is missing, fixes drift and waits
# for the service.  Idempotent; exit 0 on success.  Extra arguments go to
# awsphase (--no-wait, --dry-run, --timeout 600, --trace, …).
#
# Runs in the folder holding aws-resources.env: the current one, else this
# script's own.  Uses the awsphase next to this script, else the one on PATH.
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd) || exit 1
if [ ! -f aws-resources.env ] && [ -f "$here/aws-resources.env" ]; then
	cd "$here" || exit 1
fi
if [ -f "$here/awsphase" ] && [ -x "$here/awsphase" ]; then
	exec "$here/awsphase" 4b deploy "$@"
fi
if command -v awsphase >/dev/null 2>&1; then
	exec awsphase 4b deploy "$@"
fi
echo "aws-phase4b-ecs-alb.sh: awsphase: not found next to this script ($here) or on PATH; install awsphase or add it to PATH" >&2
exit 127
