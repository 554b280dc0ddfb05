#!/bin/sh
exec awsphase 4b fix-sg "$@"
