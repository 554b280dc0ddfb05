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
- A container's environment values are strings, as CloudFormation makes a number parameter
  that reaches one (moto keeps the number, which ECS's API never answers).
- A stack made from a change set (what `aws cloudformation deploy` does) has its Outputs: moto
  builds the stack's output map from the empty template the change set starts from and never
  again, so describe-stacks shows none (tests/scenarios/cfn-stack.sh reads them).
- The resources a stack makes carry AWS's three tags, aws:cloudformation:stack-name, -stack-id
  and -logical-id, on every type awsphase reads (ECS cluster, service, task definition; ELBv2
  load balancer, target group, listener; Logs group; IAM role), not only on EC2 resources
  (moto tags only those, and only through create-stack).  awsphase reads the stack-name tag to
  refuse changing what a stack owns.
- AWS::RDS::DBInstance creates the instance as RDS's API does, with every property phase 3's
  export sets (moto: no ManageMasterUserPassword, DeletionProtection or VPCSecurityGroups, whose
  name it misspells VpcSecurityGroupIds, and MySQL's port for any engine), and GetAtt
  MasterUserSecret.SecretArn is the secret RDS keeps the password in (moto: no such attribute).
- AWS::S3::Bucket applies its VersioningConfiguration and PublicAccessBlockConfiguration (moto
  drops both).
- AWS::ElastiCache::SubnetGroup and AWS::ElastiCache::CacheCluster (moto has no model of either):
  made as ElastiCache's API makes them, GetAtt RedisEndpoint.Address the first node's address.
"""
import inspect


import moto.cloudformation.parsing as parsing
from moto.cloudformation.parsing import ResourceMap
from moto.ec2.models.route_tables import RouteTable
from moto.ec2.models.subnets import SubnetRouteTableAssociation
from moto.ec2.models.vpcs import VPC
from moto.ecr.models import Repository
from moto.iam.models import Role
from moto.core.common_models import CloudFormationModel
from moto.core.utils import pascal_to_camelcase, remap_nested_keys
from moto.elasticache.models import ElastiCacheBackend
from moto.ec2.models.core import TaggedEC2Resource
from moto.ecs.models import Cluster, Service, TaskDefinition
from moto.elbv2.models import FakeListener, FakeLoadBalancer, FakeTargetGroup
from moto.cloudformation.models import ChangeSet
from moto.logs.models import LogGroup
from moto.rds.models import DBInstance
from moto.s3.models import FakeBucket

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


class CacheSubnetGroupModel(CloudFormationModel):
    """AWS::ElastiCache::SubnetGroup: Ref is its name."""

    def __init__(self, name):
        self.physical_resource_id = name

    @staticmethod
    def cloudformation_type():
        return "AWS::ElastiCache::SubnetGroup"

    @staticmethod
    def cloudformation_name_type():
        return "CacheSubnetGroupName"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                        region_name, **kwargs):
        p = cloudformation_json["Properties"]
        backend("elasticache").create_cache_subnet_group(resource_name, p["Description"],
                                                         p["SubnetIds"], p.get("Tags"))
        return cls(resource_name)

    def delete(self, account_id, region_name):
        backend("elasticache").delete_cache_subnet_group(self.physical_resource_id)


class CacheClusterModel(CloudFormationModel):
    """AWS::ElastiCache::CacheCluster: Ref is its id; RedisEndpoint.Address/Port its node's."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.physical_resource_id = cluster.cache_cluster_id

    @staticmethod
    def cloudformation_type():
        return "AWS::ElastiCache::CacheCluster"

    @staticmethod
    def cloudformation_name_type():
        return "ClusterName"

    @classmethod
    def has_cfn_attr(cls, attr):
        return attr in ("RedisEndpoint.Address", "RedisEndpoint.Port")

    def get_cfn_attribute(self, attr):
        node = self.cluster._sim_nodes[0]["Endpoint"]
        return node["Address"] if attr.endswith("Address") else str(node["Port"])

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                        region_name, **kwargs):
        p = cloudformation_json["Properties"]
        args = {a: None for a in CACHE_ARGS}
        args.update(cache_cluster_id=resource_name, engine=p.get("Engine"),
                    cache_node_type=p.get("CacheNodeType"),
                    num_cache_nodes=_number(p.get("NumCacheNodes", 1)),
                    engine_version=p.get("EngineVersion"), port=p.get("Port"),
                    cache_subnet_group_name=p.get("CacheSubnetGroupName"),
                    security_group_ids=p.get("VpcSecurityGroupIds", []),
                    preferred_availability_zone=p.get("PreferredAvailabilityZone"),
                    tags=p.get("Tags") or [])
        return cls(backend("elasticache").create_cache_cluster(**args))

    def delete(self, account_id, region_name):
        backend("elasticache").delete_cache_cluster(self.physical_resource_id)


# create_cache_cluster's parameters, read at import: moto's own, before datastores wraps it (*args)
CACHE_ARGS = [a for a in inspect.signature(ElastiCacheBackend.create_cache_cluster).parameters
              if a != "self"]


def install(sim):
    global SIM
    SIM = sim
    # the ElastiCache models above among those moto looks types up in
    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()
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
        containers = _camel(p.get("ContainerDefinitions", []))
        for container in containers:
            for pair in container.get("environment", []):
                pair["value"] = str(pair["value"])
        return ecs().register_task_definition(
            family=p.get("Family", resource_name), container_definitions=containers,
            volumes=_camel(p.get("Volumes", [])), network_mode=p.get("NetworkMode"),
            requires_compatibilities=p.get("RequiresCompatibilities"),
            cpu=None if p.get("Cpu") is None else str(p["Cpu"]),
            memory=None if p.get("Memory") is None else str(p["Memory"]),
            task_role_arn=p.get("TaskRoleArn"), execution_role_arn=p.get("ExecutionRoleArn"))

    TaskDefinition.create_from_cloudformation_json = classmethod(task_definition)

    def db_instance(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        p = cloudformation_json["Properties"]
        engine = p.get("Engine")
        return backend("rds").create_db_instance({
            "db_instance_identifier": resource_name, "engine": engine,
            "engine_version": p.get("EngineVersion"), "db_instance_class": p.get("DBInstanceClass"),
            "allocated_storage": _number(p.get("AllocatedStorage")), "db_name": p.get("DBName"),
            "master_username": p.get("MasterUsername"),
            "master_user_password": p.get("MasterUserPassword"),
            "manage_master_user_password": p.get("ManageMasterUserPassword"),
            "db_subnet_group_name": _name(p.get("DBSubnetGroupName"), "name"),
            "vpc_security_group_ids": p.get("VPCSecurityGroups", []),
            "publicly_accessible": p.get("PubliclyAccessible"),
            "storage_encrypted": p.get("StorageEncrypted"),
            "backup_retention_period": p.get("BackupRetentionPeriod"),
            "deletion_protection": p.get("DeletionProtection", False),
            "copy_tags_to_snapshot": p.get("CopyTagsToSnapshot"),
            "port": p.get("Port", DBInstance.default_port(engine)), "tags": p.get("Tags")})

    DBInstance.create_from_cloudformation_json = classmethod(db_instance)
    orig_has_attr, orig_attr = DBInstance.has_cfn_attr.__func__, DBInstance.get_cfn_attribute

    def has_cfn_attr(cls, attr):
        return attr == "MasterUserSecret.SecretArn" or orig_has_attr(cls, attr)

    def get_cfn_attribute(self, attr):
        if attr == "MasterUserSecret.SecretArn":
            return self.master_user_secret.secret_arn
        return orig_attr(self, attr)

    DBInstance.has_cfn_attr = classmethod(has_cfn_attr)
    DBInstance.get_cfn_attribute = get_cfn_attribute

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

    def bucket_after(bucket, p):
        s3 = backend("s3", region="aws")
        if p.get("VersioningConfiguration"):
            s3.put_bucket_versioning(bucket.name, p["VersioningConfiguration"]["Status"])
        if p.get("PublicAccessBlockConfiguration"):
            s3.put_public_access_block(bucket.name, p["PublicAccessBlockConfiguration"])

    for cls, after in ((FakeBucket, bucket_after), (VPC, vpc_after), (RouteTable, route_table_after), (Role, role_after),
                       (SubnetRouteTableAssociation, association_after),
                       (Repository, repository_after)):
        _then(cls, after)
    # the one region the local AWS serves
    parsing.DEFAULT_REGION = REGION
    _install_tags_and_outputs()


def _then(cls, after):
    """cls's CloudFormation create, then after(resource, properties)."""
    orig = cls.create_from_cloudformation_json.__func__

    def create(klass, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        made = orig(klass, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        after(made, cloudformation_json.get("Properties", {}))
        return made

    cls.create_from_cloudformation_json = classmethod(create)


def _tag(instance, tags):
    if isinstance(instance, TaggedEC2Resource):
        ec2().create_tags([instance.physical_resource_id], tags)
    elif isinstance(instance, (Cluster, Service, TaskDefinition)):
        arn = getattr(instance, "arn", None) or instance.physical_resource_id
        ecs().tag_resource(arn, [{"key": k, "value": v} for k, v in tags.items()])
    elif isinstance(instance, (FakeLoadBalancer, FakeTargetGroup, FakeListener)):
        elbv2().add_tags([instance.arn], [{"Key": k, "Value": v} for k, v in tags.items()])
    elif isinstance(instance, LogGroup):
        backend("logs").tag_log_group(instance.name, tags)
    elif isinstance(instance, Role):
        iam().tag_role(instance.name, [{"Key": k, "Value": v} for k, v in tags.items()])


def _tag_stack(resource_map):
    for logical_id, instance in list(resource_map._parsed_resources.items()):
        if instance is None or logical_id.startswith("AWS::") or isinstance(instance, str):
            continue
        _tag(instance, {"aws:cloudformation:stack-name": resource_map["AWS::StackName"],
                        "aws:cloudformation:stack-id": resource_map["AWS::StackId"],
                        "aws:cloudformation:logical-id": logical_id})


def _install_tags_and_outputs():
    create, update, apply = ResourceMap.create, ResourceMap.update, ChangeSet.apply

    def tagged_create(self, template):
        ready = create(self, template)
        _tag_stack(self)
        return ready

    def tagged_update(self, template, parameters=None):
        update(self, template, parameters)
        _tag_stack(self)

    def apply_with_outputs(self):
        apply(self)
        self.stack.template_dict = self.template_dict
        self.stack.output_map = self.stack._create_output_map()

    ResourceMap.create = tagged_create
    ResourceMap.update = tagged_update
    ChangeSet.apply = apply_with_outputs
