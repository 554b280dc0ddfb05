"""localaws: moto 5.2.1 plus a simulator of ECS, ALB health, logs, metrics and faults.

Everything here runs in one process: moto's WSGI app behind a middleware (faults,
stats, control API, one lock), a simulator thread and an HTTP proxy playing the ALB.
"""

import os

# moto reads these when it is first imported, so they are set before any submodule imports it.
os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

ACCOUNT = "123456789012"
REGION = "us-east-2"


def _trim_moto_memory():
    """moto.ec2 loads the instance type offerings of every region at import (~65 MiB of
    dicts); keep only our region's, so the server stays well under 300 MiB."""
    import moto.utilities.utils as utils
    load = utils.load_resource

    def load_resource(package, resource, *args, **kwargs):
        if "instance_type_offerings/" in resource and f"/{REGION}." not in resource:
            return []
        return load(package, resource, *args, **kwargs)

    utils.load_resource = load_resource


_trim_moto_memory()
