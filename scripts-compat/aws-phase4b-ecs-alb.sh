#!/bin/sh
exec awsphase 4b deploy "$@"
