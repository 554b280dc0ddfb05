"""ECS services: deployments (PRIMARY/ACTIVE, rolloutState), the rolling update that keeps
desiredCount tasks, ELB health-check stops, the deployment circuit breaker, steady-state
events, DRAINING -> INACTIVE. Called by the moto patches (create/update/delete) and each tick.
"""

import copy
import math

from moto.core.exceptions import ServiceException
from moto.core.utils import utcnow

from .backends import ecs

DEFAULT_DEPLOYMENT_CONFIGURATION = {
    "deploymentCircuitBreaker": {"enable": False, "rollback": False},
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
    "alarms": {"alarmNames": [], "rollback": False, "enable": False},
}
STARTING = ("PROVISIONING", "PENDING", "ACTIVATING")
ALIVE = STARTING + ("RUNNING",)


class ServiceState:
    def __init__(self):
        self.steady = False
        self.next_start_at = 0.0
        self.last_completed = None    # snapshot of the last COMPLETED deployment
        self.rr = 0                   # round-robin over subnets
        self.place_event = (None, -1e9)
        self.unstable_warned = set()


def merge_deployment_configuration(current, given):
    merged = copy.deepcopy(current or DEFAULT_DEPLOYMENT_CONFIGURATION)
    for key, value in (given or {}).items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key].update(value)
        else:
            merged[key] = value
    return merged


def short(task):
    return task.task_arn.rsplit("/", 1)[-1]


class Services:
    def __init__(self, sim):
        self.sim = sim

    def get(self, key):
        return ecs().services.get(key)

    @staticmethod
    def deployment(service, dep_id):
        return next((d for d in service.deployments if d["id"] == dep_id), None)

    def tasks_of(self, service):
        out = []
        for task in ecs().tasks.get(service.cluster_name, {}).values():
            st = getattr(task, "_sim", None)
            if st is not None and st.service is service:
                out.append(task)
        return out

    # ---- hooks from the patched API --------------------------------------------------

    def created(self, service, grace, deployment_configuration):
        service.health_check_grace_period_seconds = grace if grace is not None else \
            (0 if service.load_balancers else None)
        service.deployment_configuration = merge_deployment_configuration(
            None, deployment_configuration)
        service.created_at = utcnow()
        service.platform_version = service.platform_version or "LATEST"
        service.platform_family = "Linux"
        service.running_count = 0
        service.pending_count = 0
        service.events = []
        service.deployments = []
        service._sim = ServiceState()
        self.new_deployment(service)

    def updated(self, service, changes, desired_count, grace, deployment_configuration, force):
        if grace is not None:
            service.health_check_grace_period_seconds = grace
        if deployment_configuration:
            service.deployment_configuration = merge_deployment_configuration(
                service.deployment_configuration, deployment_configuration)
        new = bool(force)
        attrs = {"taskDefinition": "task_definition", "networkConfiguration": "network_configuration",
                 "loadBalancers": "load_balancers", "platformVersion": "platform_version"}
        for key, value in changes.items():
            if getattr(service, attrs[key]) != value:
                setattr(service, attrs[key], value)
                new = True
        if desired_count is not None:
            service.desired_count = desired_count
            service.deployments[0]["desiredCount"] = desired_count
        service._sim.steady = False
        if new:
            self.new_deployment(service)

    def deleted(self, service):
        service.status = "DRAINING"
        service.desired_count = 0
        for dep in service.deployments:
            dep["desiredCount"] = 0
        service._sim.steady = False

    def new_deployment(self, service, reason=None):
        dep_id = f"ecs-svc/{self.sim.rng.randrange(10**18, 10**19)}"
        now = utcnow()
        for dep in service.deployments:
            if dep["status"] == "PRIMARY":
                dep["status"] = "ACTIVE"
                dep["updatedAt"] = now
        dep = {
            "id": dep_id, "status": "PRIMARY", "taskDefinition": service.task_definition,
            "desiredCount": service.desired_count, "pendingCount": 0, "runningCount": 0,
            "failedTasks": 0, "createdAt": now, "updatedAt": now, "launchType": "FARGATE",
            "platformVersion": "1.4.0", "platformFamily": "Linux",
            "networkConfiguration": copy.deepcopy(service.network_configuration),
            "rolloutState": "IN_PROGRESS",
            "rolloutStateReason": reason or f"ECS deployment {dep_id} in progress.",
            "_lbs": copy.deepcopy(service.load_balancers),
        }
        service.deployments.insert(0, dep)
        service._sim.steady = False
        service._sim.next_start_at = self.sim.now + self.sim.config["scheduler_s"]
        return dep

    # ---- failures and the circuit breaker ----------------------------------------------

    def failure_threshold(self, service):
        if self.sim.config["circuit_breaker_threshold"] is not None:
            return max(1, self.sim.config["circuit_breaker_threshold"])
        return min(max(math.ceil(service.desired_count * 0.5), 3), 200)

    def task_failed(self, service, task):
        dep = self.deployment(service, task._sim.deployment_id)
        service._sim.next_start_at = self.sim.now + self.sim.config["restart_delay_s"]
        if dep is None:
            return
        dep["failedTasks"] += 1
        dep["updatedAt"] = utcnow()
        breaker = service.deployment_configuration.get("deploymentCircuitBreaker") or {}
        primary = service.deployments[0]
        if dep is not primary or dep["rolloutState"] != "IN_PROGRESS":
            return
        if not breaker.get("enable"):
            if dep["failedTasks"] >= 5 and dep["id"] not in service._sim.unstable_warned:
                service._sim.unstable_warned.add(dep["id"])
                self.sim.event(service, "is unable to consistently start tasks successfully. For "
                               "more information, see the Troubleshooting section of the Amazon "
                               "ECS Developer Guide.")
            return
        if dep["failedTasks"] < self.failure_threshold(service):
            return
        dep["rolloutState"] = "FAILED"
        dep["rolloutStateReason"] = "ECS deployment circuit breaker: tasks failed to start."
        self.sim.event(service, f"(deployment {dep['id']}) deployment failed: tasks failed to start.")
        last = service._sim.last_completed
        if breaker.get("rollback") and last and last["id"] != dep["id"]:
            service.task_definition = last["taskDefinition"]
            service.network_configuration = copy.deepcopy(last["networkConfiguration"])
            service.load_balancers = copy.deepcopy(last["_lbs"])
            self.new_deployment(service, "ECS deployment circuit breaker: rolling back to "
                                         f"deploymentId {last['id']}.")

    # ---- the reconcile loop ----------------------------------------------------------

    def grace(self, service):
        if self.sim.config["grace_s"] is not None:
            return self.sim.config["grace_s"]
        return (service.health_check_grace_period_seconds or 0) * self.sim.config["grace_scale"]

    def is_healthy(self, task):
        if task.last_status != "RUNNING" or task.desired_status != "RUNNING":
            return False
        return all(self.sim.health.state(tg, ip) == "healthy" for tg, ip, _ in task._sim.targets)

    def step(self):
        for service in list(ecs().services.values()):
            if getattr(service, "_sim", None) is not None and service.status != "INACTIVE":
                self.reconcile(service)
        self.update_cluster_counts()

    def stop_many(self, service, tasks, reason, failed=False):
        stopped = []
        for task in tasks:
            was_running = task.last_status == "RUNNING"
            self.sim.tasks.request_stop(task, reason)
            if failed:
                task._sim.failed = True
                self.task_failed(service, task)
            if was_running:
                stopped.append(task)
        if stopped:
            ids = " ".join(f"(task {short(t)})" for t in stopped)
            self.sim.event(service, f"has stopped {len(stopped)} running tasks: {ids}.")

    def reconcile(self, service):
        now = self.sim.now
        tasks = self.tasks_of(service)
        alive = [t for t in tasks if t.desired_status == "RUNNING"]
        draining = service.status == "DRAINING"
        desired = 0 if draining else service.desired_count

        # tasks that stay unhealthy in the target group past the grace period
        grace = self.grace(service)
        for task in alive:
            st = task._sim
            if task.last_status != "RUNNING" or not st.targets or now < st.running_since + grace:
                continue
            bad = [tg for tg, ip, _ in st.targets if self.sim.health.state(tg, ip) == "unhealthy"]
            if bad:
                self.sim.event(service, f"(task {short(task)}) failed ELB health checks in "
                                        f"(target-group {bad[0]}).")
                self.stop_many(service, [task], f"Task failed ELB health checks in "
                                                f"(target-group {bad[0]})", failed=True)
        alive = [t for t in alive if t.desired_status == "RUNNING"]
        primary = service.deployments[0]  # after a rollback, the new one
        mine = [t for t in alive if t._sim.deployment_id == primary["id"]]
        old = [t for t in alive if t._sim.deployment_id != primary["id"]]
        scaling = f"Scaling activity initiated by (deployment {primary['id']})"

        # scale the primary deployment in
        if len(mine) > desired:
            order = sorted(mine, key=lambda t: (t.last_status == "RUNNING", t.task_arn))
            excess = order[:len(mine) - desired]
            self.stop_many(service, excess, scaling)
            mine = [t for t in mine if t not in excess]

        # start what the primary deployment lacks, within maximumPercent
        conf = service.deployment_configuration
        if not draining and primary["rolloutState"] != "FAILED" and now >= service._sim.next_start_at:
            max_total = math.floor(desired * conf.get("maximumPercent", 200) / 100)
            count = min(desired - len(mine), max(max_total, desired) - len(mine) - len(old))
            if count > 0:
                mine += self.launch(service, primary, count)

        # stop older deployments' tasks while minimumHealthyPercent allows
        min_healthy = math.ceil(desired * conf.get("minimumHealthyPercent", 100) / 100)
        healthy = sum(1 for t in mine + old if self.is_healthy(t))
        to_stop = []
        for task in sorted(old, key=lambda t: self.is_healthy(t)):
            if not self.is_healthy(task):
                to_stop.append(task)
            elif healthy - 1 >= min_healthy:
                to_stop.append(task)
                healthy -= 1
        self.stop_many(service, to_stop, scaling)

        tasks = self.tasks_of(service)
        self.update_counts(service, tasks)
        if draining:
            if all(t.last_status == "STOPPED" for t in tasks):
                service.status = "INACTIVE"
            return
        live_old = service.deployments[1:]
        mine_healthy = [t for t in mine if self.is_healthy(t)]
        if primary["rolloutState"] == "IN_PROGRESS" and not live_old and \
                len(mine_healthy) >= desired and len(mine) == desired:
            primary["rolloutState"] = "COMPLETED"
            primary["rolloutStateReason"] = f"ECS deployment {primary['id']} completed."
            primary["updatedAt"] = utcnow()
            service._sim.last_completed = copy.deepcopy(primary)
            self.sim.event(service, f"(deployment {primary['id']}) deployment completed.")
        settled = all(t.last_status == "STOPPED" or t in mine_healthy for t in tasks)
        steady = not live_old and len(mine_healthy) == desired and settled
        if steady and not service._sim.steady:
            self.sim.event(service, "has reached a steady state.")
        service._sim.steady = steady

    def launch(self, service, dep, count):
        cfg = self.sim.config
        reason = cfg["placement_error"]
        alive_total = sum(1 for ts in ecs().tasks.values() for t in ts.values()
                          if t.desired_status == "RUNNING" and t.last_status in ALIVE)
        if not reason and alive_total + count > cfg["max_tasks"]:
            reason = ("You've reached the limit on the number of tasks you can run concurrently. "
                      "For more information, see the Troubleshooting section of the Amazon ECS "
                      "Developer Guide")
        started = []
        if not reason:
            subnets = ((dep.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}) \
                .get("subnets") or []
            for _ in range(count):
                if not subnets:
                    reason = "No subnets given in the awsvpcConfiguration"
                    break
                subnet = subnets[service._sim.rr % len(subnets)]
                service._sim.rr += 1
                try:
                    started.append(self.sim.tasks.start(service, dep, subnet))
                except (ServiceException, RuntimeError) as exc:  # a subnet or SG that is gone
                    reason = getattr(exc, "message", None) or str(exc)
                    break
        if started:
            ids = " ".join(f"(task {short(t)})" for t in started)
            self.sim.event(service, f"has started {len(started)} tasks: {ids}.")
        if reason:
            last_reason, at = service._sim.place_event
            if last_reason != reason or self.sim.now - at >= 30:
                self.sim.event(service, f"was unable to place a task. Reason: {reason}.")
                service._sim.place_event = (reason, self.sim.now)
            service._sim.next_start_at = self.sim.now + cfg["restart_delay_s"]
        return started

    def update_counts(self, service, tasks):
        total_running = total_pending = 0
        keep = []
        for i, dep in enumerate(service.deployments):
            dep_tasks = [t for t in tasks if t._sim.deployment_id == dep["id"]]
            running = sum(1 for t in dep_tasks if t.last_status == "RUNNING"
                          and t.desired_status == "RUNNING")
            pending = sum(1 for t in dep_tasks if t.last_status in STARTING
                          and t.desired_status == "RUNNING")
            if i > 0:
                dep["desiredCount"] = sum(1 for t in dep_tasks if t.desired_status == "RUNNING")
                if all(t.last_status == "STOPPED" for t in dep_tasks):
                    continue  # a drained ACTIVE deployment leaves the list
            if (dep["runningCount"], dep["pendingCount"]) != (running, pending):
                dep["runningCount"], dep["pendingCount"] = running, pending
                dep["updatedAt"] = utcnow()
            total_running += running
            total_pending += pending
            keep.append(dep)
        service.deployments[:] = keep
        service.running_count = total_running
        service.pending_count = total_pending

    @staticmethod
    def update_cluster_counts():
        backend = ecs()
        for cluster in backend.clusters.values():
            tasks = backend.tasks.get(cluster.name, {}).values()
            cluster.running_tasks_count = sum(1 for t in tasks if t.last_status == "RUNNING")
            cluster.pending_tasks_count = sum(1 for t in tasks if t.last_status in STARTING)
            cluster.active_services_count = sum(
                1 for s in backend.services.values()
                if s.cluster_name == cluster.name and s.status == "ACTIVE")
