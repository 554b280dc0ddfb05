"""localaws: moto 5.2.1 plus a simulator of ECS, ALB health, logs, metrics and faults.

Everything here runs in one process: moto's WSGI app behind a middleware (faults,
stats, control API, one lock), a simulator thread and an HTTP proxy playing the ALB.
"""

import os

# moto reads these when it is first imported, so they are set before any submodule imports it.
os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

ACCOUNT = "123456789012"
REGION = "us-east-2"
