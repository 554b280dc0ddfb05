"""Shortcuts to moto's backends for our one account and region."""

from moto.backends import get_backend

from . import ACCOUNT, REGION


def backend(name, region=REGION, account=ACCOUNT):
    if name == "iam":
        region = "global"
    return get_backend(name)[account][region]


def ecs():
    return backend("ecs")


def ec2():
    return backend("ec2")


def elbv2():
    return backend("elbv2")


def logs():
    return backend("logs")


def cloudwatch():
    return backend("cloudwatch")


def iam():
    return backend("iam")
