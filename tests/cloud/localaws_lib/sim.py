"""The simulator: a clock in simulated seconds and a thread that advances the world.

Every step runs under the world lock (the same lock every API request holds), in this order:
timed resource changes (NAT gateways, endpoints, RDS, ElastiCache, ...), load balancers,
tasks, services, target health, CloudWatch datapoints.
"""

import random
import threading
import time
import traceback
import uuid

from moto.core.utils import utcnow

from .backends import cloudwatch, ecs, elbv2
from .ecs_services import Services
from .ecs_tasks import Tasks
from .elb_health import Health, records
from .timers import Timers

MAX_STEP_S = 0.25


def lb_dimension(lb_arn):
    return lb_arn.split(":loadbalancer/", 1)[-1]


def tg_dimension(tg_arn):
    return tg_arn.split(":", 5)[-1]


class Simulator:
    def __init__(self, lock, config, seed=None):
        self.lock = lock
        self.config = config
        self.rng = random.Random(seed)
        self.now = 0.0
        self.tasks_by_ip = {}
        self.tasks = Tasks(self)
        self.services = Services(self)
        self.health = Health(self)
        self.timers = Timers(self)
        self.last_metrics_at = -1e9
        self.errors = 0
        self._stopping = threading.Event()
        self._thread = None

    # ---- the clock ----------------------------------------------------------------------

    def start(self):
        self._thread = threading.Thread(target=self._run, name="localaws-sim", daemon=True)
        self._thread.start()

    def stop(self):
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self):
        last = time.monotonic()
        while not self._stopping.wait(0.05):
            now = time.monotonic()
            elapsed, last = now - last, now
            with self.lock:
                if not self.config["manual"]:
                    try:
                        self.advance(elapsed * self.config["time_scale"])
                    except Exception:  # keep simulating; the log and /health show it
                        self.errors += 1
                        traceback.print_exc()

    def advance(self, seconds):
        """Move simulated time forward in steps of at most MAX_STEP_S (caller holds the lock)."""
        remaining = max(0.0, float(seconds))
        while True:
            dt = min(remaining, MAX_STEP_S)
            self.now += dt
            remaining -= dt
            self.step()
            if remaining <= 1e-9:
                break

    def step(self):
        self.timers.step()
        self.health.step_balancers()
        self.tasks.step()
        self.services.step()
        self.health.step()
        if self.now >= self.last_metrics_at + max(self.config["metrics_interval_s"], 0.1):
            self.last_metrics_at = self.now
            self.put_periodic_metrics()

    # ---- service events --------------------------------------------------------------------

    def event(self, service, message):
        service.events.insert(0, {"id": str(uuid.UUID(int=self.rng.getrandbits(128))),
                                  "createdAt": utcnow(),
                                  "message": f"(service {service.name}) {message}"})
        del service.events[100:]

    def target_unhealthy(self, tg, target_id, port, description):
        task = self.tasks_by_ip.get(target_id)
        if task is None or task._sim.service is None:
            return
        reason = description.rstrip(".")
        self.event(task._sim.service,
                   f"(task {task.task_arn.rsplit('/', 1)[-1]}) (port {port}) is unhealthy in "
                   f"(target-group {tg.arn}) due to (reason {reason}).")

    # ---- CloudWatch ---------------------------------------------------------------------

    def put_periodic_metrics(self):
        cw = cloudwatch()
        for service in ecs().services.values():
            if service.status != "ACTIVE" or not getattr(service, "running_count", 0):
                continue
            dims = [{"Name": "ServiceName", "Value": service.name},
                    {"Name": "ClusterName", "Value": service.cluster_name}]
            cw.put_metric_data("AWS/ECS", [
                {"MetricName": "CPUUtilization", "Value": round(self.rng.uniform(2, 15), 2),
                 "Unit": "Percent", "Dimensions": dims},
                {"MetricName": "MemoryUtilization", "Value": round(self.rng.uniform(18, 35), 2),
                 "Unit": "Percent", "Dimensions": dims}])
        backend = elbv2()
        for lb in backend.load_balancers.values():
            if lb.state != "active":
                continue
            for tg_arn in self.health.forwarded_arns(lb):
                tg = backend.target_groups.get(tg_arn)
                if tg is None:
                    continue
                states = [r.state for r in records(tg).values() if r.drain_until is None]
                dims = [{"Name": "TargetGroup", "Value": tg_dimension(tg_arn)},
                        {"Name": "LoadBalancer", "Value": lb_dimension(lb.arn)}]
                cw.put_metric_data("AWS/ApplicationELB", [
                    {"MetricName": "HealthyHostCount", "Value": states.count("healthy"),
                     "Unit": "Count", "Dimensions": dims},
                    {"MetricName": "UnHealthyHostCount", "Value": states.count("unhealthy"),
                     "Unit": "Count", "Dimensions": dims}])

    def record_request(self, lb, status):
        """Datapoints for one request through the ALB proxy (caller holds the lock)."""
        dims = [{"Name": "LoadBalancer", "Value": lb_dimension(lb.arn)}]
        data = [{"MetricName": "RequestCount", "Value": 1, "Unit": "Count", "Dimensions": dims}]
        if status >= 500 and status != 503:
            data.append({"MetricName": "HTTPCode_ELB_5XX_Count", "Value": 1, "Unit": "Count",
                         "Dimensions": dims})
        elif status == 503:
            data.append({"MetricName": "HTTPCode_ELB_503_Count", "Value": 1, "Unit": "Count",
                         "Dimensions": dims})
        else:
            data.append({"MetricName": f"HTTPCode_Target_{status // 100}XX_Count", "Value": 1,
                         "Unit": "Count", "Dimensions": dims})
        cloudwatch().put_metric_data("AWS/ApplicationELB", data)
