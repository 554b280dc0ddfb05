"""Simulator timings and switches, changed at run time by POST /_localaws/config.

Durations are simulated seconds; simulated time runs `time_scale` times faster than
real time unless `manual` is set, in which case only POST /_localaws/tick moves it.
"""

DEFAULTS = {
    "time_scale": 1.0,
    "manual": False,
    # task lifecycle
    "provisioning_s": 1.0,      # PROVISIONING -> PENDING (ENI attached)
    "pending_s": 1.5,           # PENDING -> RUNNING (image pulled), or the start failure
    "stop_s": 0.3,              # each of STOPPING and DEPROVISIONING
    "restart_delay_s": 1.0,     # a service waits this long after a failed task
    "app_start_s": 0.0,         # RUNNING -> the application answers its health check
    "scheduler_s": 0.0,         # create/update-service -> the scheduler starts tasks
    # target health: these figures, or with group_timing each target group's own settings
    "group_timing": False,      # HealthCheckInterval/Timeout, thresholds, deregistration delay
    "new_target_one_check": False,  # group_timing: a new target is healthy after one pass
    "health_initial_s": 1.0,    # registration -> first health check
    "interval_s": 0.5,
    "healthy_threshold": 2,
    "unhealthy_threshold": 2,
    "drain_s": 1.0,             # deregistration delay (draining -> gone)
    "grace_scale": 0.05,        # service healthCheckGracePeriodSeconds x this
    "grace_s": None,            # or a fixed grace period, overriding grace_scale
    # load balancers
    "lb_provisioning_s": 2.0,
    "lb_delete_s": 2.0,
    # deployments
    "circuit_breaker_threshold": None,  # None: AWS's rule, ceil(desired/2) clamped to [3, 200]
    "placement_error": None,    # a reason string: services cannot place tasks
    "max_tasks": 100,           # Fargate task quota of the account
    # checks a starting task goes through
    "check_exec_role_policy": True,
    "backend_health_path": "/api/health",
    "client_ip": "203.0.113.10",  # where the ALB proxy's clients appear to come from
    "client_timeout_s": 0.5,    # real seconds the proxy holds a blocked client before 504
    "metrics_interval_s": 5.0,
    # phases 1 and 3: what AWS takes minutes for (see README "Phases 1, 3 and 4A")
    "nat_pending_s": 2.0,       # NAT gateway pending -> available (or failed)
    "nat_deleting_s": 2.0,      # NAT gateway deleting -> deleted (its address is freed)
    "vpce_pending_s": 1.0,      # interface VPC endpoint pending -> available
    "vpce_deleting_s": 1.0,     # VPC endpoint deleting -> gone
    "rds_creating_s": 3.0,      # DB instance creating -> backing-up
    "rds_backing_up_s": 1.0,    # backing-up -> available (with backups kept; else skipped)
    "rds_modifying_s": 1.0,     # modifying -> available
    "rds_deleting_s": 2.0,      # deleting -> gone (final snapshot then available)
    "cache_creating_s": 2.0,    # cache cluster / replication group creating -> available
    "cache_deleting_s": 2.0,    # deleting -> gone
    "sqs_deleted_recently_s": 1.0,  # a deleted queue's name cannot be reused this long (AWS: 60)
    "impaired_zones": "",       # comma-separated zones describe-availability-zones says impaired
}

INTEGER_KEYS = {"healthy_threshold", "unhealthy_threshold", "max_tasks",
                "circuit_breaker_threshold"}
BOOL_KEYS = {"manual", "check_exec_role_policy", "group_timing", "new_target_one_check"}
STRING_KEYS = {"placement_error", "backend_health_path", "client_ip", "impaired_zones"}
NULLABLE_KEYS = {"grace_s", "circuit_breaker_threshold", "placement_error"}

# `localaws serve --timing NAME`: fast is DEFAULTS (the tests' clock); aws is AWS's own clock,
# each figure and its source in README "Timing profiles".
PROFILES = {
    "fast": {},
    "aws": {"group_timing": True, "lb_provisioning_s": 180.0, "lb_delete_s": 60.0,
            "provisioning_s": 20.0, "pending_s": 25.0, "app_start_s": 5.0, "stop_s": 5.0,
            "scheduler_s": 5.0, "restart_delay_s": 15.0, "grace_scale": 1.0,
            "metrics_interval_s": 60.0},
}


class Config(dict):
    def __init__(self):
        super().__init__(DEFAULTS)

    def apply(self, changes):
        """Validate and merge a JSON object; raise ValueError naming the bad key."""
        if not isinstance(changes, dict):
            raise ValueError("config must be a JSON object")
        checked = {}
        for key, value in changes.items():
            if key not in DEFAULTS:
                raise ValueError(f"unknown config key {key!r}; known: {', '.join(sorted(DEFAULTS))}")
            if value is None:
                if key not in NULLABLE_KEYS:
                    raise ValueError(f"{key} cannot be null")
            elif key in BOOL_KEYS:
                if not isinstance(value, bool):
                    raise ValueError(f"{key} must be true or false")
            elif key in STRING_KEYS:
                if not isinstance(value, str):
                    raise ValueError(f"{key} must be a string")
            else:
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                    raise ValueError(f"{key} must be a number >= 0")
                if key in INTEGER_KEYS:
                    value = int(value)
            checked[key] = value
        if checked.get("time_scale") == 0:
            raise ValueError("time_scale must be > 0 (use manual for stopped time)")
        self.update(checked)
