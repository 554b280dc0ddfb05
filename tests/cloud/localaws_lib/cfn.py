"""CloudFormation as AWS runs it, where moto 5.2.1 does not.

- A stack made from a change set (what `aws cloudformation deploy` does) has its Outputs:
  moto builds the stack's output map from the empty template the change set starts from and
  never again, so describe-stacks shows none.
- The resources a stack makes carry AWS's three tags, aws:cloudformation:stack-name, -stack-id
  and -logical-id, on every type awsphase reads (ECS cluster, service, task definition; ELBv2
  load balancer, target group, listener; Logs group; IAM role), not only on EC2 resources
  (moto tags only those, and only through create-stack).  awsphase reads the stack-name tag to
  refuse changing what a stack owns.
- A service and task definition a stack makes are what their properties say: moto's
  AWS::ECS::Service drops LaunchType, NetworkConfiguration, LoadBalancers and the revision,
  its AWS::ECS::TaskDefinition NetworkMode, Cpu, the compatibilities and the roles, its
  AWS::IAM::Role ManagedPolicyArns, its AWS::ElasticLoadBalancingV2::TargetGroup
  TargetGroupAttributes; a container's environment values are strings, as CloudFormation
  makes a number parameter that reaches them; and it runs tasks, as one
  create-service makes does (the simulator takes it with the stack's grace period and
  deployment configuration).
"""

from moto.cloudformation.models import ChangeSet
from moto.cloudformation.parsing import ResourceMap
from moto.ec2.models.core import TaggedEC2Resource
from moto.core.utils import pascal_to_camelcase, remap_nested_keys
from moto.ecs.models import Cluster, Service, TaskDefinition
from moto.elbv2.models import FakeListener, FakeLoadBalancer, FakeTargetGroup
from moto.iam.models import Role
from moto.logs.models import LogGroup

from .backends import backend


def _tag(instance, tags):
    if isinstance(instance, TaggedEC2Resource):
        backend("ec2").create_tags([instance.physical_resource_id], tags)
    elif isinstance(instance, (Cluster, Service, TaskDefinition)):
        arn = getattr(instance, "arn", None) or instance.physical_resource_id
        backend("ecs").tag_resource(arn, [{"key": k, "value": v} for k, v in tags.items()])
    elif isinstance(instance, (FakeLoadBalancer, FakeTargetGroup, FakeListener)):
        backend("elbv2").add_tags([instance.arn], [{"Key": k, "Value": v} for k, v in tags.items()])
    elif isinstance(instance, LogGroup):
        backend("logs").tag_log_group(instance.name, tags)
    elif isinstance(instance, Role):
        backend("iam").tag_role(instance.name, [{"Key": k, "Value": v} for k, v in tags.items()])


def _camel(value):
    """CloudFormation's property names as the ECS API spells them (MaximumPercent: maximumPercent)."""
    if isinstance(value, dict):
        return {k[:1].lower() + k[1:]: _camel(v) for k, v in value.items()}
    return value


def _tag_stack(sim, resource_map):
    for logical_id, instance in list(resource_map._parsed_resources.items()):
        if instance is None or logical_id.startswith("AWS::") or isinstance(instance, str):
            continue
        if isinstance(instance, Service) and not hasattr(instance, "_sim"):
            props = resource_map._resource_json_map.get(logical_id, {}).get("Properties", {})
            grace = props.get("HealthCheckGracePeriodSeconds")
            sim.services.created(instance, int(grace) if grace is not None else None,
                                 _camel(props.get("DeploymentConfiguration")))
        _tag(instance, {"aws:cloudformation:stack-name": resource_map["AWS::StackName"],
                        "aws:cloudformation:stack-id": resource_map["AWS::StackId"],
                        "aws:cloudformation:logical-id": logical_id})


def _service_from_stack(cls, resource_name, cloudformation_json, account_id, region_name,
                        **kwargs):
    props = cloudformation_json["Properties"]
    ref = lambda v, attr: getattr(v, attr, v)  # a Ref moto resolves to the resource itself
    balancers = [{**_camel(lb), "targetGroupArn": ref(lb.get("TargetGroupArn"), "arn")}
                 for lb in props.get("LoadBalancers", [])]
    return backend("ecs", region_name, account_id).create_service(
        ref(props["Cluster"], "name"), resource_name, int(props.get("DesiredCount", 1)),
        task_definition_str=ref(props["TaskDefinition"], "arn"), load_balancers=balancers,
        launch_type=props.get("LaunchType"),
        network_configuration=_camel(props.get("NetworkConfiguration")),
        platform_version=props.get("PlatformVersion"))


def _task_definition_from_stack(cls, resource_name, cloudformation_json, account_id,
                                region_name, **kwargs):
    props = cloudformation_json["Properties"]
    containers = remap_nested_keys(props.get("ContainerDefinitions", []), pascal_to_camelcase)
    for container in containers:
        for pair in container.get("environment", []):
            pair["value"] = str(pair["value"])
    return backend("ecs", region_name, account_id).register_task_definition(
        family=props["Family"], container_definitions=containers,
        volumes=remap_nested_keys(props.get("Volumes", []), pascal_to_camelcase),
        network_mode=props.get("NetworkMode"), cpu=props.get("Cpu"), memory=props.get("Memory"),
        requires_compatibilities=props.get("RequiresCompatibilities"),
        task_role_arn=props.get("TaskRoleArn"), execution_role_arn=props.get("ExecutionRoleArn"))


def install(sim):
    role_from_stack = Role.create_from_cloudformation_json

    def role_with_policies(cls, resource_name, cloudformation_json, account_id, region_name,
                           **kwargs):
        role = role_from_stack(resource_name, cloudformation_json, account_id, region_name,
                               **kwargs)
        for arn in cloudformation_json["Properties"].get("ManagedPolicyArns", []):
            backend("iam", account=account_id).attach_role_policy(arn, role.name)
        return role

    Role.create_from_cloudformation_json = classmethod(role_with_policies)
    tg_from_stack = FakeTargetGroup.create_from_cloudformation_json

    def tg_with_attributes(cls, resource_name, cloudformation_json, account_id, region_name,
                           **kwargs):
        tg = tg_from_stack(resource_name, cloudformation_json, account_id, region_name, **kwargs)
        attributes = cloudformation_json["Properties"].get("TargetGroupAttributes", [])
        if attributes:
            backend("elbv2", region_name, account_id).modify_target_group_attributes(
                tg.arn, {a["Key"]: str(a["Value"]) for a in attributes})
        return tg

    FakeTargetGroup.create_from_cloudformation_json = classmethod(tg_with_attributes)
    TaskDefinition.create_from_cloudformation_json = classmethod(_task_definition_from_stack)
    Service.create_from_cloudformation_json = classmethod(_service_from_stack)
    create, update, apply = ResourceMap.create, ResourceMap.update, ChangeSet.apply

    def tagged_create(self, template):
        ready = create(self, template)
        _tag_stack(sim, self)
        return ready

    def tagged_update(self, template, parameters=None):
        update(self, template, parameters)
        _tag_stack(sim, self)

    def apply_with_outputs(self):
        apply(self)
        self.stack.template_dict = self.template_dict
        self.stack.output_map = self.stack._create_output_map()

    ResourceMap.create = tagged_create
    ResourceMap.update = tagged_update
    ChangeSet.apply = apply_with_outputs
