"""Patches that make moto 5.2.1 answer as AWS does where awsphase depends on it.

ECS: create-service is not idempotent on an ACTIVE service and validates its load balancers;
grace period and deployment configuration are kept; update-service starts deployments where
ECS would; delete-service drains; list-tasks honours --service-name and defaults to RUNNING;
describe-tasks does not age tasks and reports MISSING ones; run-task (FARGATE) and stop-task go
through the simulator (ecs_tasks.py, ecs_commands.py); port mappings get AWS's defaults
(protocol tcp, hostPort = containerPort under awsvpc); list-services leaves INACTIVE
services out; a cluster with services or tasks cannot be deleted. ELBv2: load balancers provision
and take time to delete, creates are idempotent on identical settings (Duplicate* otherwise),
target health comes from the simulator. EC2: a security group still used by an ENI, a load
balancer or another group's rule cannot be deleted (DependencyViolation). describe-task-definition
of a family is its latest ACTIVE revision; list-task-definitions sorts (--sort DESC); secrets need
an execution role.
install() also installs ecr (put-image keeps the image a moved tag leaves), network (phase 1), datastores (RDS, ElastiCache) and services (S3, SQS,
Secrets Manager, SSM), and cfn (CloudFormation's resources as AWS makes them, a change set's outputs,
AWS's stack tags).
"""

from moto.ecs.exceptions import (ECSException, InvalidParameterException,
                                 TaskDefinitionNotFoundException)
from moto.ecs.models import EC2ContainerServiceBackend, Task
from moto.core.responses import ActionResult
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.elbv2.exceptions import (DuplicateListenerError, DuplicateLoadBalancerName,
                                   DuplicateTargetGroupName, LoadBalancerNotFoundError,
                                   TargetGroupNotFoundError)
from moto.elbv2.models import ELBv2Backend, FakeLoadBalancer, FakeTargetGroup
from moto.ec2.exceptions import DependencyViolationError
from moto.ec2.models.security_groups import SecurityGroupBackend
from moto.moto_api import state_manager

from . import ACCOUNT, REGION, cfn, datastores, ecr, network, services
from .backends import ecs, elbv2

SIM = None  # the Simulator, set by install()


class ServiceNotActiveException(ECSException):
    def __init__(self):
        super().__init__("ServiceNotActiveException", "Service was not ACTIVE.")


def install(sim):
    global SIM
    SIM = sim
    state_manager.set_transition("ecs::task", {"progression": "manual", "times": 10**9})
    Task.advance = lambda self: None
    _patch_ecs()
    _patch_elbv2()
    _patch_ec2()
    ecr.install(sim)
    network.install(sim)
    datastores.install(sim)
    services.install(sim)
    cfn.install(sim)


# ---- ECS ---------------------------------------------------------------------------------

def validate_load_balancers(load_balancers, task_def_arn):
    task_def = ecs().describe_task_definition(task_def_arn) if task_def_arn else None
    for lb in load_balancers or []:
        tg_arn = lb.get("targetGroupArn")
        if tg_arn:
            tg = elbv2().target_groups.get(tg_arn)
            if tg is None:
                raise InvalidParameterException(f"Target group not found: {tg_arn}")
            if not elbv2()._any_listener_using(tg_arn):
                raise InvalidParameterException(
                    f"The target group with targetGroupArn {tg_arn} does not have an associated "
                    "load balancer.")
            if task_def is not None and task_def.network_mode == "awsvpc" and tg.target_type != "ip":
                raise InvalidParameterException(
                    f"The provided target group {tg_arn} has target type {tg.target_type}, which "
                    "is incompatible with the awsvpc network mode specified in the task definition.")
        if task_def is not None:
            name, port = lb.get("containerName"), lb.get("containerPort")
            cdef = next((c for c in task_def.container_definitions if c.get("name") == name), None)
            if cdef is None:
                raise InvalidParameterException(
                    f"The container {name} does not exist in the task definition.")
            ports = {pm.get("containerPort") for pm in cdef.get("portMappings") or []}
            if port is not None and int(port) not in ports:
                raise InvalidParameterException(
                    f"The container {name} did not have a container port {port} defined.")


def _patch_ecs():
    orig_create = EC2ContainerServiceResponse.create_service
    orig_describe_tasks = EC2ContainerServiceResponse.describe_tasks
    orig_list_tasks = EC2ContainerServiceBackend.list_tasks
    orig_delete_cluster = EC2ContainerServiceBackend.delete_cluster
    orig_list_services = EC2ContainerServiceBackend.list_services
    orig_register = EC2ContainerServiceBackend.register_task_definition
    orig_describe_td = EC2ContainerServiceBackend.describe_task_definition
    orig_run_task = EC2ContainerServiceBackend.run_task
    orig_stop_task = EC2ContainerServiceBackend.stop_task

    def describe_task_definition(self, task_definition_str):
        """A family without a revision means its latest ACTIVE revision (moto: the latest)."""
        name = task_definition_str.split("/")[-1]
        if ":" not in name:
            revisions = self.task_definitions.get(name, {})
            active = [rev for rev, td in revisions.items() if td.status == "ACTIVE"]
            if not active:
                raise TaskDefinitionNotFoundException()
            return revisions[max(active)]
        return orig_describe_td(self, task_definition_str)

    def create_service(self):
        backend = self.ecs_backend
        cluster = backend._get_cluster(self._get_param("cluster", "default"))
        name = self._get_param("serviceName")
        existing = backend.services.get(f"{cluster.name}:{name}")
        if existing is not None and existing.status == "ACTIVE":
            raise InvalidParameterException("Creation of service was not idempotent.")
        if existing is not None and existing.status == "DRAINING":
            raise InvalidParameterException("Unable to Start a service that is still Draining.")
        task_def = self._get_param("taskDefinition")
        if task_def:
            task_def = backend.describe_task_definition(task_def).arn
        validate_load_balancers(self._get_param("loadBalancers"), task_def)
        result = orig_create(self)
        service = backend.services[f"{cluster.name}:{name}"]
        SIM.services.created(service, self._get_param("healthCheckGracePeriodSeconds"),
                             self._get_param("deploymentConfiguration"))
        return result

    def update_service(self, props):
        cluster = props.pop("cluster", "default")
        service = self._get_service(cluster, props.pop("service").split("/")[-1])
        if service.status != "ACTIVE" or getattr(service, "_sim", None) is None:
            raise ServiceNotActiveException()
        changes = {}
        if props.get("task_definition"):
            changes["taskDefinition"] = self.describe_task_definition(props.pop("task_definition")).arn
        if props.get("network_configuration"):
            changes["networkConfiguration"] = service._validate_network(
                props.pop("network_configuration"))
        if props.get("load_balancers") is not None:
            changes["loadBalancers"] = props.pop("load_balancers")
        if props.get("platform_version"):
            changes["platformVersion"] = props.pop("platform_version")
        if "loadBalancers" in changes or "taskDefinition" in changes:
            validate_load_balancers(changes.get("loadBalancers", service.load_balancers),
                                    changes.get("taskDefinition", service.task_definition))
        desired = props.pop("desired_count", None)
        if desired is not None and int(desired) < 0:
            raise InvalidParameterException("desiredCount must be >= 0")
        SIM.services.updated(
            service, changes, None if desired is None else int(desired),
            props.pop("health_check_grace_period_seconds", None),
            props.pop("deployment_configuration", None),
            props.pop("force_new_deployment", False))
        for key, value in props.items():
            if value is not None:
                setattr(service, key, value)
        return service

    def delete_service(self, cluster_name, service_name, force):
        service = self._get_service(cluster_name, service_name)
        if service.status == "INACTIVE":
            raise ServiceNotActiveException()
        if service.status == "ACTIVE":
            if service.desired_count > 0 and not force:
                raise InvalidParameterException(
                    "The service cannot be stopped while it is scaled above 0.")
            if getattr(service, "_sim", None) is None:
                service.status = "INACTIVE"
            else:
                SIM.services.deleted(service)
        return service

    def list_tasks(self, cluster_str=None, container_instance=None, family=None,
                   started_by=None, service_name=None, desiredStatus=None):
        if service_name:
            self._get_service(cluster_str or "default", service_name)
        tasks = orig_list_tasks(self, cluster_str, container_instance, family, started_by,
                                None, desiredStatus or "RUNNING")
        if service_name:
            group = "service:" + service_name.split("/")[-1]
            tasks = [t for t in tasks if t.group == group]
        return tasks

    def describe_tasks(self):
        result = orig_describe_tasks(self)
        wanted = self._get_param("tasks", [])
        found = {t.task_arn for t in result.result["tasks"]}
        found_ids = {a.rsplit("/", 1)[-1] for a in found}
        for ref in wanted:
            if ref not in found and ref.rsplit("/", 1)[-1] not in found_ids:
                arn = ref if ref.startswith("arn:") else \
                    f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{ref}"
                result.result["failures"].append({"arn": arn, "reason": "MISSING"})
        return result

    def delete_cluster(self, cluster_str):
        cluster = self._get_cluster(cluster_str)
        if any(s.cluster_name == cluster.name and s.status != "INACTIVE"
               for s in self.services.values()):
            raise ECSException("ClusterContainsServicesException",
                               "The Cluster cannot be deleted while Services are active.")
        if any(t.last_status != "STOPPED" for t in self.tasks.get(cluster.name, {}).values()):
            raise ECSException("ClusterContainsTasksException",
                               "The Cluster cannot be deleted while Tasks are active.")
        return orig_delete_cluster(self, cluster_str)

    def list_services(self, cluster_str, scheduling_strategy=None, launch_type=None):
        inactive = {s.arn for s in self.services.values() if s.status == "INACTIVE"}
        return [arn for arn in orig_list_services(self, cluster_str, scheduling_strategy,
                                                  launch_type) if arn not in inactive]

    def register_task_definition(self, *args, **kwargs):
        cdefs = kwargs.get("container_definitions") or (args[1] if len(args) > 1 else [])
        if not kwargs.get("execution_role_arn") and any(
                c.get("secrets") or (c.get("logConfiguration") or {}).get("secretOptions")
                for c in cdefs or []):
            raise ECSException("ClientException",
                               "When you are specifying container secrets, you must also "
                               "specify a value for 'executionRoleArn'.")
        task_def = orig_register(self, *args, **kwargs)
        for cdef in task_def.container_definitions:
            for mapping in cdef.get("portMappings") or []:
                mapping.setdefault("protocol", "tcp")
                if task_def.network_mode == "awsvpc" and "containerPort" in mapping:
                    mapping.setdefault("hostPort", mapping["containerPort"])
        return task_def

    def run_task(self, cluster_str, task_definition_str, count, overrides, started_by, tags,
                 launch_type, networking_configuration=None, group=None, platform_version=None):
        """FARGATE tasks are the simulator's (ecs_tasks.Tasks.run_task); others moto's."""
        if launch_type != "FARGATE":
            return orig_run_task(self, cluster_str, task_definition_str, count, overrides,
                                 started_by, tags, launch_type, networking_configuration, group,
                                 platform_version)
        cluster = self._get_cluster(cluster_str or "default")
        task_def = self.describe_task_definition(task_definition_str)
        if task_def.status != "ACTIVE":
            raise ECSException("ClientException", "TaskDefinition is inactive")
        net = (networking_configuration or {}).get("awsvpcConfiguration") or {}
        if not net.get("subnets"):
            raise InvalidParameterException(
                "Network Configuration must be provided when networkMode 'awsvpc' is specified.")
        names = {c.get("name") for c in task_def.container_definitions}
        for o in (overrides or {}).get("containerOverrides") or []:
            if o.get("name") not in names:
                raise InvalidParameterException(
                    f"Override for container named {o.get('name')} is not a container in the "
                    "TaskDefinition.")
        if not 1 <= int(count or 1) <= 10:
            raise InvalidParameterException("count must be between 1 and 10")
        return [SIM.tasks.run_task(cluster, task_def, net, group or f"family:{task_def.family}",
                                   started_by, overrides, tags) for _ in range(int(count or 1))]

    def stop_task(self, cluster_str, task_str, reason):
        """A simulated task stops the way ECS stops it (SIGTERM, STOPPING, ... STOPPED), with
        stopCode UserInitiated and the reason given, else "Task stopped by user"."""
        cluster = self._get_cluster(cluster_str or "default")
        task_id = task_str.split("/")[-1]
        task = next((t for arn, t in self.tasks.get(cluster.name, {}).items()
                     if arn.endswith("/" + task_id)), None)
        if task is None or getattr(task, "_sim", None) is None:
            if task is None:
                raise InvalidParameterException("The referenced task was not found.")
            return orig_stop_task(self, cluster_str, task_str, reason)
        SIM.tasks.request_stop(task, reason or "Task stopped by user", "UserInitiated")
        return task

    EC2ContainerServiceResponse.create_service = create_service
    EC2ContainerServiceBackend.run_task = run_task
    EC2ContainerServiceBackend.stop_task = stop_task
    EC2ContainerServiceBackend.describe_task_definition = describe_task_definition
    EC2ContainerServiceBackend.register_task_definition = register_task_definition
    EC2ContainerServiceBackend.list_services = list_services
    EC2ContainerServiceBackend.delete_cluster = delete_cluster
    EC2ContainerServiceResponse.describe_tasks = describe_tasks
    EC2ContainerServiceBackend.update_service = update_service
    EC2ContainerServiceBackend.delete_service = delete_service
    EC2ContainerServiceBackend.list_tasks = list_tasks
    EC2ContainerServiceResponse.list_task_definitions = list_task_definitions


def list_task_definitions(self):
    """As ECS: by family and revision number, --sort ASC (the default) or DESC (moto: in
    registration order, --sort ignored)."""
    arns = self.ecs_backend.list_task_definitions(self._get_param("familyPrefix"),
                                                  self._get_param("status", "ACTIVE"))
    arns.sort(key=lambda a: (a.rsplit("/", 1)[1].rsplit(":", 1)[0], int(a.rsplit(":", 1)[1])),
              reverse=self._get_param("sort") == "DESC")
    return ActionResult({"taskDefinitionArns": arns})


# ---- ELBv2 -------------------------------------------------------------------------------

def _action_signature(actions):
    sig = []
    for a in actions:
        data = a.data if hasattr(a, "data") else a
        tgs = {data.get("TargetGroupArn")} | {
            t.get("TargetGroupArn") for t in
            ((data.get("ForwardConfig") or {}).get("TargetGroups") or [])}
        sig.append((data.get("Type"), tuple(sorted(x for x in tgs if x))))
    return sorted(sig)


TG_TIMING = (("healthcheck_interval_seconds", "health_check_interval_seconds"),
             ("healthcheck_timeout_seconds", "health_check_timeout_seconds"),
             ("healthy_threshold_count", "healthy_threshold_count"),
             ("unhealthy_threshold_count", "unhealthy_threshold_count"))


def _patch_elbv2():
    orig_create_lb = ELBv2Backend.create_load_balancer
    orig_create_tg = ELBv2Backend.create_target_group
    orig_create_listener = ELBv2Backend.create_listener
    orig_register = FakeTargetGroup.register
    orig_deregister = FakeTargetGroup.deregister

    FakeLoadBalancer.activate = lambda self: None

    def create_load_balancer(self, name, security_groups, subnet_ids, subnet_mappings=None,
                             scheme="internet-facing", loadbalancer_type=None,
                             ip_address_type="ipv4", tags=None):
        wanted_subnets = sorted(subnet_ids or [m["SubnetId"] for m in subnet_mappings or []])
        for lb in self.load_balancers.values():
            if lb.name != name:
                continue
            same = (sorted(s.id for s in lb.subnets) == wanted_subnets
                    and sorted(lb.security_groups or []) == sorted(security_groups or [])
                    and lb.scheme == (scheme or "internet-facing")
                    and getattr(lb, "_sim_deleting_at", None) is None)
            if not same:
                raise DuplicateLoadBalancerName()
            return lb
        lb = orig_create_lb(self, name, security_groups, subnet_ids, subnet_mappings,
                            scheme or "internet-facing", loadbalancer_type, ip_address_type, tags)
        lb.dns_name = f"{name}-{SIM.rng.randrange(10**9, 2 * 10**9)}.{self.region_name}" \
                      ".elb.amazonaws.com"
        lb._sim_created_at = SIM.now
        return lb

    def delete_load_balancer(self, arn):
        lb = self.load_balancers.get(arn)
        if lb is not None and getattr(lb, "_sim_deleting_at", None) is None:
            lb._sim_deleting_at = SIM.now

    def create_target_group(self, name, **kwargs):
        for tg in self.target_groups.values():
            if tg.name != name:
                continue
            same = (tg.protocol == kwargs.get("protocol")
                    and str(tg.port) == str(kwargs.get("port"))
                    and tg.vpc_id == kwargs.get("vpc_id")
                    and tg.target_type == (kwargs.get("target_type") or "instance")
                    and kwargs.get("healthcheck_path") in (None, tg.health_check_path)
                    # AWS: the same name with other health-check timing is a duplicate
                    and all(kwargs.get(k) is None or str(kwargs[k]) == str(getattr(tg, a))
                            for k, a in TG_TIMING))
            if not same:
                raise DuplicateTargetGroupName()
            return tg
        return orig_create_tg(self, name, **kwargs)

    def create_listener(self, load_balancer_arn, protocol, port, ssl_policy, certificate,
                        actions, alpn_policy=None, tags=None):
        lb = self.load_balancers.get(load_balancer_arn)
        if lb is None:
            raise LoadBalancerNotFoundError()
        for listener in lb.listeners.values():
            if str(listener.port) == str(port):
                if listener.protocol == protocol and \
                        _action_signature(listener.default_actions) == _action_signature(actions):
                    return listener
                raise DuplicateListenerError()
        return orig_create_listener(self, load_balancer_arn, protocol, port, ssl_policy,
                                    certificate, actions, alpn_policy, tags)

    def describe_target_health(self, target_group_arn, targets):
        tg = self.target_groups.get(target_group_arn)
        if tg is None:
            raise TargetGroupNotFoundError()
        return SIM.health.describe(tg, targets)

    def register(self, targets):
        orig_register(self, targets)
        for t in targets:
            SIM.health.registered(self, t["Id"], int(t.get("Port") or self.port))

    def deregister(self, targets):
        orig_deregister(self, targets)
        for t in targets:
            SIM.health.deregistered(self, t["Id"], int(t.get("Port") or self.port))

    ELBv2Backend.create_load_balancer = create_load_balancer
    ELBv2Backend.delete_load_balancer = delete_load_balancer
    ELBv2Backend.create_target_group = create_target_group
    ELBv2Backend.create_listener = create_listener
    ELBv2Backend.describe_target_health = describe_target_health
    FakeTargetGroup.register = register
    FakeTargetGroup.deregister = deregister


# ---- EC2 ---------------------------------------------------------------------------------

def _patch_ec2():
    orig_delete = SecurityGroupBackend._delete_security_group

    def _delete_security_group(self, vpc_id, group_id):
        used = any(group_id in [g.id for g in eni.group_set] for eni in self.enis.values())
        used = used or any(group_id in (lb.security_groups or [])
                           for lb in elbv2().load_balancers.values())
        for groups in self.groups.values():
            for other in groups.values():
                if other.id != group_id and any(
                        (rule.source_group or {}).get("GroupId") == group_id
                        for rule in other.ingress_rules + other.egress_rules):
                    used = True
        if used:
            raise DependencyViolationError(f"resource {group_id} has a dependent object")
        return orig_delete(self, vpc_id, group_id)

    SecurityGroupBackend._delete_security_group = _delete_security_group
