"""CloudFormation as AWS runs it, where moto 5.2.1 does not.

- A stack made from a change set (what `aws cloudformation deploy` does) has its Outputs:
  moto builds the stack's output map from the empty template the change set starts from and
  never again, so describe-stacks shows none.
- The resources a stack makes carry AWS's three tags, aws:cloudformation:stack-name, -stack-id
  and -logical-id, on every type awsphase reads (ECS cluster, service, task definition; ELBv2
  load balancer, target group, listener; Logs group; IAM role), not only on EC2 resources
  (moto tags only those, and only through create-stack).  awsphase reads the stack-name tag to
  refuse changing what a stack owns.
"""

from moto.cloudformation.models import ChangeSet
from moto.cloudformation.parsing import ResourceMap
from moto.ec2.models.core import TaggedEC2Resource
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


def _tag_stack(resource_map):
    for logical_id, instance in list(resource_map._parsed_resources.items()):
        if instance is None or logical_id.startswith("AWS::") or isinstance(instance, str):
            continue
        _tag(instance, {"aws:cloudformation:stack-name": resource_map["AWS::StackName"],
                        "aws:cloudformation:stack-id": resource_map["AWS::StackId"],
                        "aws:cloudformation:logical-id": logical_id})


def install(sim):
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
