"""CloudFormation as AWS runs it, where moto 5.2.1's falls short of what awsphase export's
templates need (tests/scenarios/export-cfn.sh).

- A Number parameter left at its Default is a number, as one passed in is (moto keeps the
  Default's string, and then compares '5' with '10' as strings).
- AWS::ECS::TaskDefinition registers every property (moto: family, containers, volumes and
  memory only), through the local AWS's register_task_definition.
- AWS::ECS::Service creates the service as ECS's API does, with its launch type, network
  configuration, load balancers, grace period and deployment configuration (moto: cluster,
  name, count and task definition only), and the simulator runs it as one made by the API.
- AWS::ElasticLoadBalancingV2::TargetGroup applies TargetGroupAttributes (moto drops them).
- AWS::EC2::VPC sets EnableDnsSupport and EnableDnsHostnames, AWS::EC2::RouteTable its Tags,
  AWS::IAM::Role attaches its ManagedPolicyArns (moto drops all three); an
  AWS::EC2::SubnetRouteTableAssociation is one describe-route-tables shows (moto keeps it apart).
- AWS::ECR::Repository keeps its scanning and encryption configuration as the API spells them
  (moto: PascalCase, which describe-repositories then shows) and puts its LifecyclePolicy
  (moto drops it).
- Fn::GetAZs "" is the stack's region's zones (moto: us-east-1's).
"""

import moto.cloudformation.parsing as parsing
from moto.cloudformation.parsing import ResourceMap
from moto.ec2.models.route_tables import RouteTable
from moto.ec2.models.subnets import SubnetRouteTableAssociation
from moto.ec2.models.vpcs import VPC
from moto.ecr.models import Repository
from moto.iam.models import Role
from moto.core.utils import pascal_to_camelcase, remap_nested_keys
from moto.ecs.models import Service, TaskDefinition
from moto.elbv2.models import FakeTargetGroup

from . import REGION
from .backends import backend, ec2, ecs, elbv2, iam

SIM = None


def _number(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return float(value)
        except (TypeError, ValueError):
            return value


def _camel(value):
    """PascalCase keys to the API's camelCase, all but the log driver's own options."""
    if isinstance(value, list):
        return [_camel(v) for v in value]
    if not isinstance(value, dict):
        return value
    return {pascal_to_camelcase(k): (v if k == "Options" else _camel(v)) for k, v in value.items()}


def _name(value, attr):
    return getattr(value, attr) if hasattr(value, attr) else value


def install(sim):
    global SIM
    SIM = sim
    orig_load = ResourceMap.load_parameters

    def load_parameters(self):
        orig_load(self)
        for name, slot in self._template.get("Parameters", {}).items():
            if slot.get("Type") == "Number" and isinstance(self.resolved_parameters.get(name), str):
                self.resolved_parameters[name] = _number(self.resolved_parameters[name])
                self._parsed_resources[name] = self.resolved_parameters[name]

    ResourceMap.load_parameters = load_parameters

    def task_definition(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        p = cloudformation_json["Properties"]
        return ecs().register_task_definition(
            family=p.get("Family", resource_name),
            container_definitions=_camel(p.get("ContainerDefinitions", [])),
            volumes=_camel(p.get("Volumes", [])), network_mode=p.get("NetworkMode"),
            requires_compatibilities=p.get("RequiresCompatibilities"),
            cpu=None if p.get("Cpu") is None else str(p["Cpu"]),
            memory=None if p.get("Memory") is None else str(p["Memory"]),
            task_role_arn=p.get("TaskRoleArn"), execution_role_arn=p.get("ExecutionRoleArn"))

    TaskDefinition.create_from_cloudformation_json = classmethod(task_definition)

    def service(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        p = cloudformation_json["Properties"]
        backend = ecs()
        cluster = _name(p.get("Cluster", "default"), "name")
        task_def = _name(p.get("TaskDefinition"), "arn")
        svc = backend.create_service(
            cluster, p.get("ServiceName", resource_name), p.get("DesiredCount", 1),
            task_definition_str=task_def, load_balancers=_camel(p.get("LoadBalancers", [])),
            launch_type=p.get("LaunchType"),
            network_configuration=_camel(p.get("NetworkConfiguration")))
        SIM.services.created(svc, p.get("HealthCheckGracePeriodSeconds"),
                             _camel(p.get("DeploymentConfiguration")))
        return svc

    Service.create_from_cloudformation_json = classmethod(service)

    orig_tg = FakeTargetGroup.create_from_cloudformation_json.__func__

    def target_group(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        tg = orig_tg(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        attrs = cloudformation_json["Properties"].get("TargetGroupAttributes")
        if attrs:
            elbv2().modify_target_group_attributes(
                tg.arn, {a["Key"]: str(a["Value"]) for a in attrs})
        return tg

    FakeTargetGroup.create_from_cloudformation_json = classmethod(target_group)

    def vpc_after(vpc, p):
        for prop, attr in (("EnableDnsSupport", "enable_dns_support"),
                           ("EnableDnsHostnames", "enable_dns_hostnames")):
            if prop in p:
                ec2().modify_vpc_attribute(vpc.id, attr, str(p[prop]).lower() == "true")

    def route_table_after(rt, p):
        if p.get("Tags"):
            ec2().create_tags([rt.id], {t["Key"]: t["Value"] for t in p["Tags"]})

    def role_after(role, p):
        for arn in p.get("ManagedPolicyArns", []):
            iam().attach_role_policy(arn, role.name)

    def association_after(assoc, p):
        ec2().associate_route_table(p["RouteTableId"], subnet_id=p["SubnetId"])

    def repository_after(repo, p):
        if p.get("ImageScanningConfiguration"):
            repo.image_scanning_configuration = _camel(p["ImageScanningConfiguration"])
        if p.get("EncryptionConfiguration"):
            repo.encryption_configuration = _camel(p["EncryptionConfiguration"])
        text = (p.get("LifecyclePolicy") or {}).get("LifecyclePolicyText")
        if text:
            backend("ecr").put_lifecycle_policy(repo.registry_id, repo.name, text)

    for cls, after in ((VPC, vpc_after), (RouteTable, route_table_after), (Role, role_after),
                       (SubnetRouteTableAssociation, association_after),
                       (Repository, repository_after)):
        _then(cls, after)
    # the one region the local AWS serves
    parsing.DEFAULT_REGION = REGION


def _then(cls, after):
    """cls's CloudFormation create, then after(resource, properties)."""
    orig = cls.create_from_cloudformation_json.__func__

    def create(klass, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        made = orig(klass, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        after(made, cloudformation_json.get("Properties", {}))
        return made

    cls.create_from_cloudformation_json = classmethod(create)
