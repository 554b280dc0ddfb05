"""Fargate tasks of services and of run-task: PROVISIONING -> PENDING -> RUNNING, and the stop
path DEACTIVATING -> STOPPING -> DEPROVISIONING -> STOPPED, with ENIs, target registration and
log lines. A run-task whose container override has a command runs it (ecs_commands.py) and
stops when it exits. Times are simulated seconds (sim.now); timestamps shown to clients are
wall clock.
"""

import time
import uuid

import moto.ecs.models as ecs_models
from moto.core.utils import utcnow
from moto.ec2.models.elastic_network_interfaces import NetworkInterface

from . import ACCOUNT, REGION
from .backends import ec2, ecs, elbv2, logs
from .checks import awslogs_options, task_start_failure
from .ecr import image_digest
from .ecs_commands import Run
from .network import free_ip

# moto's Task() asks this for the ENI's address; we hand it one from the subnet's CIDR.
_ip_hint = []


def _hinted_private_ip(*_args, **_kwargs):
    return _ip_hint.pop() if _ip_hint else None


ecs_models.random_private_ip = _hinted_private_ip
# moto sets this only in VPCs with DNS hostnames, but Task() reads it for every ENI.
NetworkInterface.private_dns_name = None


class TaskState:
    def __init__(self, service, deployment_id, subnet_id, net, until, run=None):
        self.service = service        # the moto Service that started it, or None (run-task)
        self.run = run                # the overriding command being run (ecs_commands.Run)
        self.run_container = None     # the name of the container that runs it
        self.net = net                # the awsvpcConfiguration it was started with
        self.deployment_id = deployment_id
        self.subnet_id = subnet_id
        self.until = until            # sim time the current phase ends
        self.running_since = None     # sim time it became RUNNING
        self.targets = []             # [(tg_arn, ip, port)] registered while RUNNING
        self.failed = False           # counts against the deployment (circuit breaker)


def short_id(task):
    return task.task_arn.rsplit("/", 1)[-1]


class Tasks:
    def __init__(self, sim):
        self.sim = sim

    # ---- creation ---------------------------------------------------------------------

    def free_ip(self, subnet):
        return free_ip(subnet, self.sim.rng)

    def start(self, service, deployment, subnet_id):
        """Create one task of the deployment in the subnet; raises if it cannot be placed."""
        backend = ecs()
        net = (deployment.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
        task = self.create(backend._get_cluster(service.cluster_name),
                           backend.describe_task_definition(deployment["taskDefinition"]),
                           subnet_id, net, f"service:{service.name}", deployment["id"])
        task._sim = TaskState(service, deployment["id"], subnet_id, net,
                              self.sim.now + self.sim.config["provisioning_s"])
        return task

    def run_task(self, cluster, task_def, net, group, started_by, overrides, tags):
        """run-task of one FARGATE task (the caller checked its parameters): in one of the
        subnets, running the overriding command of a container if there is one."""
        subnet_id = self.sim.rng.choice(list(net.get("subnets") or []))
        task = self.create(cluster, task_def, subnet_id, net, group, started_by or "",
                           overrides, tags)
        task._sim = TaskState(None, None, subnet_id, net,
                              self.sim.now + self.sim.config["provisioning_s"])
        for o in (overrides or {}).get("containerOverrides") or []:
            if o.get("command"):
                task._sim.run = Run(o["command"])
                task._sim.run_container = o.get("name")
                break
        return task

    def create(self, cluster, task_def, subnet_id, net, group, started_by, overrides=None,
               tags=None):
        backend = ecs()
        subnet = ec2().get_subnet(subnet_id)
        ip = self.free_ip(subnet)
        if ip is None:
            raise RuntimeError(f"subnet {subnet_id} has no free IP addresses")
        _ip_hint[:] = [ip]
        try:
            task = ecs_models.Task(
                cluster, task_def, None, None, backend, group,
                launch_type="FARGATE", started_by=started_by, overrides=overrides, tags=tags,
                networking_configuration={"awsvpcConfiguration": {
                    "subnets": [subnet_id], "securityGroups": list(net.get("securityGroups") or []),
                    "assignPublicIp": net.get("assignPublicIp", "DISABLED")}},
                platform_version="1.4.0")
        finally:
            _ip_hint.clear()
        task.id = task.id.replace("-", "")  # Fargate task ids are 32 hex digits
        backend.tasks.setdefault(cluster.name, {})[task.task_arn] = task
        now = utcnow()
        task.status = "PROVISIONING"
        task.desired_status = "RUNNING"
        task.created_at = now
        task.version = 1
        task.cpu = task_def.cpu
        task.memory = task_def.memory
        task.availability_zone = subnet.availability_zone
        task.platform_family = "Linux"
        task.health_status = "UNKNOWN"
        task.connectivity = "CONNECTED"
        task.stopped_reason = None
        task.attachments[0]["status"] = "PRECREATED"
        eni = ec2().get_network_interface(self.detail(task, "networkInterfaceId"))
        eni.description = f"arn:aws:ecs:{REGION}:{ACCOUNT}:attachment/{task.attachments[0]['id']}"
        eni.private_dns_name = f"ip-{ip.replace('.', '-')}.{REGION}.compute.internal"
        for d in task.attachments[0]["details"]:
            if d["name"] == "privateDnsName":
                d["value"] = eni.private_dns_name
        eni.requester_managed = True
        eni.interface_type = "interface"
        if net.get("assignPublicIp") == "ENABLED":
            eni.public_ip = f"3.{self.sim.rng.randrange(128, 150)}.{self.sim.rng.randrange(256)}." \
                            f"{self.sim.rng.randrange(1, 255)}"
        task.containers = []
        for cdef in task_def.container_definitions:
            c = ecs_models.Container(task_def)
            c.container_arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:container/{cluster.name}/" \
                              f"{short_id(task)}/{uuid.UUID(int=self.sim.rng.getrandbits(128))}"
            c.task_arn = task.task_arn
            c.name = cdef.get("name")
            c.image = cdef.get("image")
            c.cpu = str(cdef.get("cpu", 0))
            c.memory = str(cdef["memory"]) if cdef.get("memory") else None
            c.exitCode = None
            c.health_status = "UNKNOWN"
            c.network_interfaces = [{"attachmentId": task.attachments[0]["id"],
                                     "privateIpv4Address": ip}]
            task.containers.append(c)
        self.sim.tasks_by_ip[ip] = task
        return task

    @staticmethod
    def detail(task, name):
        for att in task.attachments:
            for d in att.get("details", []):
                if d["name"] == name:
                    return d["value"]
        return None

    # ---- lifecycle --------------------------------------------------------------------

    def step(self):
        for cluster_tasks in list(ecs().tasks.values()):
            for task in list(cluster_tasks.values()):
                st = getattr(task, "_sim", None)
                if st is None or task.last_status == "STOPPED" or self.sim.now < st.until:
                    continue
                getattr(self, "_after_" + task.last_status.lower())(task, st)

    def _after_provisioning(self, task, st):
        if task.desired_status == "STOPPED":
            return self._to(task, "DEPROVISIONING", self.sim.config["stop_s"])
        task.attachments[0]["status"] = "ATTACHED"
        task.pull_started_at = utcnow()
        self._to(task, "PENDING", self.sim.config["pending_s"])

    def _after_pending(self, task, st):
        if task.desired_status == "STOPPED":
            return self._to(task, "DEPROVISIONING", self.sim.config["stop_s"])
        task_def = ecs().describe_task_definition(task.task_definition_arn)
        service = st.service
        reason = task_start_failure(task_def, st.subnet_id, st.net, short_id(task),
                                    self.sim.config["check_exec_role_policy"])
        if reason:
            task.pull_stopped_at = utcnow()
            for c in task.containers:
                c.reason = reason
            st.failed = True
            self.request_stop(task, reason, "TaskFailedToStart")
            if service:
                self.sim.services.task_failed(service, task)
            return
        now = utcnow()
        task.pull_stopped_at = now
        task.started_at = now
        task.connectivity_at = now
        task.status = "RUNNING"
        st.running_since = self.sim.now
        st.until = float("inf")
        for c in task.containers:
            c.last_status = "RUNNING"
            c.runtime_id = f"{short_id(task)}-{self.sim.rng.randrange(10**9, 10**10)}"
            # what ECS reports: the digest the image resolved to when pulled
            c.image_digest = image_digest(c.image) or \
                "sha256:" + "%064x" % self.sim.rng.getrandbits(256)
        if st.run is not None:
            return self._after_running(task, st)
        self.write_logs(task, task_def, ["> kaviar-backend@1.0.0 start", "> node dist/server.js",
                                         f"Backend running on port {self.port(task_def)}"])
        if service:
            self.register_targets(service, task)

    def _after_running(self, task, st):
        """The overriding command goes on: until it sleeps, or exits and the task stops."""
        task_def = ecs().describe_task_definition(task.task_definition_arn)
        lines = []
        sleep = st.run.step(lines.append)
        self.write_logs(task, task_def, lines, st.run_container)
        if sleep is not None:
            st.until = self.sim.now + sleep
            return
        for c in task.containers:
            if c.name == st.run_container or st.run_container is None:
                c.exitCode = st.run.exit_code
        self.request_stop(task, "Essential container in task exited", "EssentialContainerExited")

    def _after_deactivating(self, task, st):
        self._to(task, "STOPPING", self.sim.config["stop_s"])

    def _after_stopping(self, task, st):
        now = utcnow()
        task.execution_stopped_at = now
        for c in task.containers:
            c.last_status = "STOPPED"
            # stopped while running: an app ends on SIGTERM (0); a task that failed, or a
            # command whose shell (PID 1) ignores SIGTERM, is killed after stopTimeout (137)
            if c.exitCode is None and task.started_at and not st.failed and st.run is None:
                c.exitCode = 0
            elif c.exitCode is None and task.started_at:
                c.exitCode = 137
        self._to(task, "DEPROVISIONING", self.sim.config["stop_s"])

    def _after_deprovisioning(self, task, st):
        task.status = "STOPPED"
        task.stopped_at = utcnow()
        task.execution_stopped_at = getattr(task, "execution_stopped_at", None) or task.stopped_at
        task.connectivity = None
        for c in task.containers:
            c.last_status = "STOPPED"
        eni_id = self.detail(task, "networkInterfaceId")
        if eni_id:
            ec2().enis.pop(eni_id, None)
        task.attachments[0]["status"] = "DELETED"
        ip = self.detail(task, "privateIPv4Address")
        if self.sim.tasks_by_ip.get(ip) is task:
            del self.sim.tasks_by_ip[ip]
        st.until = float("inf")

    def _to(self, task, status, seconds):
        task.status = status
        task._sim.until = self.sim.now + seconds

    def request_stop(self, task, reason, stop_code="ServiceSchedulerInitiated"):
        """Ask a task to stop. A RUNNING one deregisters its targets and drains; one still
        starting goes on to DEPROVISIONING when its current phase ends."""
        if task.desired_status == "STOPPED":
            return
        st = task._sim
        task.desired_status = "STOPPED"
        task.stopped_reason = reason
        task.stop_code = stop_code
        task.stopping_at = utcnow()
        if task.last_status == "RUNNING":
            if st.targets:
                delay = max(self.sim.health.drain_s(elbv2().target_groups.get(arn))
                            for arn, _, _ in st.targets)
                self.deregister_targets(st.service, task)
                self._to(task, "DEACTIVATING", delay)
            else:
                self._to(task, "STOPPING", self.sim.config["stop_s"])

    # ---- load balancer targets and logs ---------------------------------------------

    def register_targets(self, service, task):
        ip = self.detail(task, "privateIPv4Address")
        dep = self.sim.services.deployment(service, task._sim.deployment_id)
        for lb in (dep or {}).get("_lbs", service.load_balancers) or []:
            tg = elbv2().target_groups.get(lb.get("targetGroupArn"))
            if tg is None:
                continue
            port = int(lb.get("containerPort"))
            tg.register([{"Id": ip, "Port": port}])
            task._sim.targets.append((tg.arn, ip, port))
            self.sim.event(service, f"registered 1 targets in (target-group {tg.arn})")

    def deregister_targets(self, service, task):
        for tg_arn, ip, port in task._sim.targets:
            tg = elbv2().target_groups.get(tg_arn)
            if tg is not None and ip in tg.targets:
                tg.deregister([{"Id": ip, "Port": port}])
                if service is not None:
                    self.sim.event(service, f"deregistered 1 targets in (target-group {tg_arn})")
        task._sim.targets = []
        if service is not None:
            self.sim.event(service, "has begun draining connections on 1 tasks.")

    @staticmethod
    def port(task_def):
        for cdef in task_def.container_definitions:
            for pm in cdef.get("portMappings") or []:
                return pm.get("containerPort")
        return 3001

    def write_logs(self, task, task_def, lines, container=None):
        """lines as the awslogs driver sends them: to each container's (or container's) group,
        stream <prefix>/<container>/<task id>."""
        for cdef in task_def.container_definitions:
            if container is not None and cdef.get("name") != container:
                continue
            opts = awslogs_options(cdef)
            if opts is None or opts.get("awslogs-group") not in logs().groups:
                continue
            group = opts["awslogs-group"]
            prefix = opts.get("awslogs-stream-prefix")
            stream = f"{prefix}/{cdef['name']}/{short_id(task)}" if prefix else short_id(task)
            if stream not in logs().groups[group].streams:
                logs().create_log_stream(group, stream)
            if not lines:
                continue
            ms = int(time.time() * 1000)
            logs().put_log_events(group, stream, [{"timestamp": ms + i, "message": line}
                                                  for i, line in enumerate(lines)])
