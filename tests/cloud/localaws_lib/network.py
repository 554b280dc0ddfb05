"""Phase 1 networking as AWS does it, where moto 5.2.1 does not (see README "Phases 1, 3 and
4A"): what a VPC, subnet, route table, internet gateway or Elastic IP refuses while something
still depends on it; NAT gateways pending -> available (or failed) and deleting -> deleted;
VPC endpoints (interface: pending -> available, private DNS checked against the VPC) and
deleting -> gone; routes to a deleted NAT gateway or a detached internet gateway turn
`blackhole`. Callers of the helpers hold the world lock.
"""

import ipaddress
import re

import moto.ec2.models.elastic_ip_addresses as eip_models
from moto.ec2.exceptions import (DependencyViolationError, EC2ClientError,
                                 InvalidRouteTableIdError, InvalidServiceName,
                                 InvalidSubnetIdError)
from moto.ec2.models.availability_zones_and_regions import RegionsAndZonesBackend
from moto.ec2.models.elastic_ip_addresses import ElasticAddressBackend
from moto.ec2.models.internet_gateways import InternetGatewayBackend
from moto.ec2.models.nat_gateways import NatGateway, NatGatewayBackend
from moto.ec2.models.route_tables import Route, RouteBackend
from moto.ec2.models.security_groups import SecurityGroupBackend
from moto.ec2.models.subnets import SubnetBackend
from moto.ec2.models.vpcs import DEFAULT_VPC_ENDPOINT_SERVICES, VPCBackend, VPCEndPoint
from moto.core.utils import utcnow

from . import REGION
from .backends import ec2, elbv2

SIM = None

# AWS services with VPC endpoints in us-east-2 (short names), for create-vpc-endpoint
ENDPOINT_SERVICES = """
access-analyzer acm-pca airflow.api airflow.env airflow.ops app-integrations appconfig appconfigdata
application-autoscaling appmesh-envoy-management apprunner athena autoscaling autoscaling-plans
backup batch bedrock bedrock-agent bedrock-runtime cassandra cloudformation cloudhsmv2 cloudtrail
codeartifact.api codeartifact.repositories codebuild codecommit codedeploy codedeploy-commands-secure
codepipeline comprehend config databrew datasync dms dynamodb ebs ec2 ec2messages ecr.api ecr.dkr
ecs ecs-agent ecs-telemetry eks elasticache elasticbeanstalk elasticfilesystem elasticloadbalancing
elasticmapreduce email-smtp events execute-api git-codecommit glue iot.data kinesis-firehose
kinesis-streams kms lambda logs monitoring rds rds-data redshift redshift-data rekognition s3
sagemaker.api sagemaker.runtime secretsmanager servicecatalog sns sqs ssm ssm-contacts
ssm-incidents ssmmessages states storagegateway sts synthetics textract transfer transfer.server
xray""".split()

GONE_NAT = ("deleted", "failed")
GONE_VPCE = ("deleted", "failed", "rejected", "expired")


class NatGatewayNotFound(EC2ClientError):
    def __init__(self, nat_id):
        super().__init__("NatGatewayNotFound", f"The Nat Gateway {nat_id} was not found")


class InvalidNatGatewayIdNotFound(EC2ClientError):
    def __init__(self, nat_id):
        super().__init__("InvalidNatGatewayID.NotFound",
                         f"The natGateway ID '{nat_id}' does not exist")


def install(sim):
    global SIM
    SIM = sim
    eip_models.random_ip = lambda: (f"3.{sim.rng.randrange(128, 150)}.{sim.rng.randrange(256)}."
                                    f"{sim.rng.randrange(1, 255)}")
    _patch_zones()
    _patch_vpcs()
    _patch_subnets()
    _patch_route_tables()
    _patch_addresses()
    _patch_nat_gateways()
    _patch_endpoints()
    _patch_security_groups()


# ---- helpers ------------------------------------------------------------------------

def free_ip(subnet, rng):
    """A free address of the subnet; AWS reserves the first four and the last."""
    net = ipaddress.ip_network(subnet.cidr_block)
    used = {e.private_ip_address for e in ec2().enis.values() if e.subnet.id == subnet.id}
    first, last = 4, net.num_addresses - 2
    for _ in range(64):
        ip = str(net.network_address + rng.randint(first, last))
        if ip not in used:
            return ip
    return next((str(net.network_address + i) for i in range(first, last + 1)
                 if str(net.network_address + i) not in used), None)


def managed_eni(subnet, group_ids, description, interface_type):
    """An ENI AWS creates for a service (NAT gateway, endpoint, RDS, ElastiCache): an address
    from the subnet's CIDR, requester-managed, with the service's security groups."""
    backend = ec2()
    subnet = backend.get_subnet(subnet) if isinstance(subnet, str) else subnet
    eni = backend.create_network_interface(subnet, free_ip(subnet, SIM.rng),
                                           group_ids=list(group_ids or []),
                                           description=description)
    eni.requester_managed = True
    eni.interface_type = interface_type
    eni.private_dns_name = f"ip-{eni.private_ip_address.replace('.', '-')}.{REGION}.compute.internal"
    return eni


def drop_eni(eni_id):
    backend = ec2()
    eni = backend.enis.pop(eni_id, None)
    if eni is None:
        return
    for eip in backend.addresses:
        if eip.eni is eni:
            eip.eni = None
            eip.association_id = None


def attached_igw(vpc_id):
    return next((g for g in ec2().internet_gateways.values()
                 if g.vpc is not None and g.vpc.id == vpc_id), None)


def subnets_of(vpc_id):
    return [s for az in ec2().subnets.values() for s in az.values() if s.vpc_id == vpc_id]


def live_endpoints(vpc_id=None):
    return [e for e in ec2().vpc_end_points.values()
            if e.state not in GONE_VPCE and (vpc_id is None or e.vpc_id == vpc_id)]


def short_service(service_name):
    prefix = f"com.amazonaws.{REGION}."
    return service_name[len(prefix):] if service_name.startswith(prefix) else service_name


def private_dns_name(service_name):
    """The name an interface endpoint's private DNS answers for (what the SDKs call)."""
    short = short_service(service_name)
    if short == "ecr.api":
        return f"api.ecr.{REGION}.amazonaws.com"
    if short == "ecr.dkr":
        return f"*.dkr.ecr.{REGION}.amazonaws.com"
    return f"{short}.{REGION}.amazonaws.com"


def nat_of_allocation(allocation_id):
    return next((n for n in ec2().nat_gateways.values() if n.state not in GONE_NAT
                 and any(a.get("allocationId") == allocation_id for a in n.address_set)), None)


# ---- VPCs, internet gateways ------------------------------------------------------------

def _patch_zones():
    """impaired_zones (config): zones AWS reports impaired, not available — a region that
    offers fewer zones than a phase needs (moto: every zone of every region available)."""
    orig = RegionsAndZonesBackend.describe_availability_zones

    def describe_availability_zones(self, *args, **kwargs):
        impaired = {z.strip() for z in SIM.config["impaired_zones"].split(",") if z.strip()}
        for zone in self.zones.get(self.region_name, []):
            zone.state = "impaired" if zone.name in impaired else "available"
        return orig(self, *args, **kwargs)

    RegionsAndZonesBackend.describe_availability_zones = describe_availability_zones


def _patch_vpcs():
    orig_delete_vpc = VPCBackend.delete_vpc
    orig_detach = InternetGatewayBackend.detach_internet_gateway

    def delete_vpc(self, vpc_id):
        vpc = self.get_vpc(vpc_id)
        blocking = subnets_of(vpc_id) or attached_igw(vpc_id) or live_endpoints(vpc_id) or [
            g for g in self.groups.get(vpc_id, {}).values() if g.name != "default"]
        if blocking:
            raise DependencyViolationError(
                f"The vpc '{vpc.id}' has dependencies and cannot be deleted.")
        return orig_delete_vpc(self, vpc_id)

    def detach_internet_gateway(self, internet_gateway_id, vpc_id):
        igw = self.get_internet_gateway(internet_gateway_id)
        if igw.vpc is not None and igw.vpc.id == vpc_id:
            subnet_ids = {s.id for s in subnets_of(vpc_id)}
            if any(eip.eni is not None and eip.eni.subnet.id in subnet_ids
                   for eip in self.addresses):
                raise DependencyViolationError(
                    f"Network {vpc_id} has some mapped public address(es). Please unmap those "
                    "public address(es) before detaching the gateway.")
        return orig_detach(self, internet_gateway_id, vpc_id)

    VPCBackend.delete_vpc = delete_vpc
    InternetGatewayBackend.detach_internet_gateway = detach_internet_gateway


# ---- subnets ------------------------------------------------------------------------

def _patch_subnets():
    orig_delete = SubnetBackend.delete_subnet

    def delete_subnet(self, subnet_id):
        subnet = self.get_subnet(subnet_id)
        in_use = any(e.subnet.id == subnet.id for e in self.enis.values())
        in_use = in_use or any(subnet.id in [s.id for s in lb.subnets]
                               for lb in elbv2().load_balancers.values())
        in_use = in_use or any(n.subnet_id == subnet.id for n in self.nat_gateways.values()
                               if n.state not in GONE_NAT)
        if in_use:
            raise DependencyViolationError(
                f"The subnet '{subnet.id}' has dependencies and cannot be deleted.")
        for rt in self.route_tables.values():
            for assoc_id, target in list(rt._associations.items()):
                if target == subnet.id:
                    del rt._associations[assoc_id]
        return orig_delete(self, subnet_id)

    SubnetBackend.delete_subnet = delete_subnet


# ---- route tables and routes ------------------------------------------------------------

def route_state(route):
    nat = route.nat_gateway
    if nat is not None and nat.state in GONE_NAT:
        return "blackhole"
    gw = route.gateway
    if gw is not None and str(getattr(gw, "id", "")).startswith("igw-"):
        if gw.vpc is None or gw.vpc.id != route.route_table.vpc_id:
            return "blackhole"
    return "active"


def _patch_route_tables():
    orig_associate = RouteBackend.associate_route_table
    orig_create_route = RouteBackend.create_route
    orig_replace_route = RouteBackend.replace_route

    def associate_route_table(self, route_table_id, gateway_id=None, subnet_id=None):
        route_table = self.get_route_table(route_table_id)
        if subnet_id is not None:
            subnet = self.get_subnet(subnet_id)
            if subnet.vpc_id != route_table.vpc_id:
                raise EC2ClientError(
                    "InvalidParameterValue", f"Route table {route_table_id} and subnet "
                    f"{subnet_id} belong to different networks")
            for rt in self.route_tables.values():
                if subnet_id in rt._associations.values():
                    raise EC2ClientError(
                        "Resource.AlreadyAssociated",
                        f"the specified association for route table {route_table_id} conflicts "
                        "with an existing association")
        return orig_associate(self, route_table_id, gateway_id, subnet_id)

    def check_targets(self, route_table_id, gateway_id, nat_gateway_id):
        route_table = self.route_tables.get(route_table_id)
        if route_table is None:
            raise InvalidRouteTableIdError(route_table_id)
        if nat_gateway_id is not None:
            nat = self.nat_gateways.get(nat_gateway_id)
            if nat is None or nat.state in GONE_NAT:
                raise InvalidNatGatewayIdNotFound(nat_gateway_id)
        if gateway_id and gateway_id.startswith("igw-"):
            igw = self.get_internet_gateway(gateway_id)
            if igw.vpc is None or igw.vpc.id != route_table.vpc_id:
                raise EC2ClientError(
                    "InvalidParameterValue", f"route table {route_table_id} and network gateway "
                    f"{gateway_id} belong to different networks")

    def create_route(self, route_table_id, destination_cidr_block, *args, **kwargs):
        check_targets(self, route_table_id, kwargs.get("gateway_id"),
                      kwargs.get("nat_gateway_id"))
        return orig_create_route(self, route_table_id, destination_cidr_block, *args, **kwargs)

    def replace_route(self, route_table_id, destination_cidr_block, *args, **kwargs):
        check_targets(self, route_table_id, kwargs.get("gateway_id"),
                      kwargs.get("nat_gateway_id"))
        return orig_replace_route(self, route_table_id, destination_cidr_block, *args, **kwargs)

    Route.state = property(route_state)
    RouteBackend.associate_route_table = associate_route_table
    RouteBackend.create_route = create_route
    RouteBackend.replace_route = replace_route


# ---- Elastic IPs ------------------------------------------------------------------------

def _patch_addresses():
    orig_release = ElasticAddressBackend.release_address

    def release_address(self, address=None, allocation_id=None):
        eips = self.address_by_ip([address]) if address else \
            self.address_by_allocation([allocation_id])
        eip = eips[0]
        if nat_of_allocation(eip.allocation_id) is not None:
            # AWS's answer while a NAT gateway (even a deleting one) holds the address
            raise EC2ClientError("AuthFailure",
                                 "You do not have permission to access the specified resource.")
        if eip.eni is not None or eip.instance is not None:
            raise EC2ClientError("InvalidIPAddress.InUse",
                                 f"Address {eip.allocation_id or eip.public_ip} is in use.")
        return orig_release(self, address, allocation_id)

    ElasticAddressBackend.release_address = release_address


# ---- NAT gateways -------------------------------------------------------------------

def _nat_matches(nat, filters):
    for name, values in (filters or {}).items():
        if name.startswith("tag:"):
            ok = nat.get_tags() and any(t["key"] == name[4:] and t["value"] in values
                                        for t in nat.get_tags())
        elif name == "tag-key":
            ok = any(t["key"] in values for t in nat.get_tags())
        elif name == "state":
            ok = nat.state in values
        elif name == "subnet-id":
            ok = nat.subnet_id in values
        elif name == "vpc-id":
            ok = nat.vpc_id in values
        elif name == "nat-gateway-id":
            ok = nat.id in values
        else:
            raise EC2ClientError("InvalidParameterValue",
                                 f"The filter '{name}' is invalid")
        if not ok:
            return False
    return True


def _patch_nat_gateways():
    def create_nat_gateway(self, subnet_id, allocation_id, tags=None, connectivity_type="public"):
        connectivity_type = connectivity_type or "public"
        subnet = self.get_subnet(subnet_id)
        failure = None
        eip = None
        if connectivity_type == "public":
            if not allocation_id:
                raise EC2ClientError("MissingParameter",
                                     "The request must include the AllocationId parameter. "
                                     "Add the required parameter and retry the request.")
            eip = self.address_by_allocation([allocation_id])[0]
            if eip.eni is not None or nat_of_allocation(allocation_id) is not None:
                failure = ("Resource.AlreadyAssociated",
                           f"Elastic IP address [{allocation_id}] is already associated")
            elif attached_igw(subnet.vpc_id) is None:
                failure = ("Gateway.NotAttached",
                           f"Network {subnet.vpc_id} has no Internet gateway attached")
        nat = NatGateway.__new__(NatGateway)
        nat.id = f"nat-{SIM.rng.getrandbits(68):017x}"
        nat.subnet_id = subnet.id
        nat.vpc_id = subnet.vpc_id
        nat.address_set = []
        nat.connectivity_type = connectivity_type
        nat._created_at = utcnow()
        nat.ec2_backend = self
        nat.state = "pending"
        nat.failure_code = nat.failure_message = None
        nat.delete_time = None
        eni = managed_eni(subnet, [], f"Interface for NAT Gateway {nat.id}", "nat_gateway")
        nat._eni = eni
        nat.private_ip = eni.private_ip_address
        address = {"networkInterfaceId": eni.id, "privateIp": eni.private_ip_address,
                   "isPrimary": True}
        if eip is not None:
            address.update(allocationId=allocation_id, publicIp=eip.public_ip)
        nat.address_set.append(address)
        nat.add_tags(tags or {})
        self.nat_gateways[nat.id] = nat

        def settle():
            if failure is not None:
                nat.state = "failed"
                nat.failure_code, nat.failure_message = failure
                nat.delete_time = utcnow()
                drop_eni(eni.id)
                return
            if eip is not None:
                self.associate_address(eni=eni, allocation_id=allocation_id)
                address["associationId"] = eip.association_id
            nat.state = "available"
        SIM.timers.later(("nat", nat.id), SIM.config["nat_pending_s"], settle)
        return nat

    def describe_nat_gateways(self, filters, nat_gateway_ids):
        for nat_id in nat_gateway_ids or []:
            if nat_id not in self.nat_gateways:
                raise NatGatewayNotFound(nat_id)
        nats = [self.nat_gateways[i] for i in nat_gateway_ids] if nat_gateway_ids else \
            list(self.nat_gateways.values())
        return [n for n in nats if _nat_matches(n, filters)]

    def delete_nat_gateway(self, nat_gateway_id):
        nat = self.nat_gateways.get(nat_gateway_id)
        if nat is None:
            raise NatGatewayNotFound(nat_gateway_id)
        if nat.state in ("deleting",) + GONE_NAT:
            return nat
        nat.state = "deleting"

        def deleted():
            nat.state = "deleted"
            nat.delete_time = utcnow()
            for address in nat.address_set:
                address.pop("associationId", None)
            drop_eni(nat._eni.id)
        SIM.timers.later(("nat", nat.id), SIM.config["nat_deleting_s"], deleted)
        return nat

    NatGatewayBackend.create_nat_gateway = create_nat_gateway
    NatGatewayBackend.describe_nat_gateways = describe_nat_gateways
    NatGatewayBackend.delete_nat_gateway = delete_nat_gateway


# ---- VPC endpoints ----------------------------------------------------------------------

def _patch_endpoints():
    from moto.ec2.responses.vpcs import VPCs
    from moto.core.responses import ActionResult

    def known_services(self):
        # moto's own list imports every service's backend (~20 MiB): only used once something
        # has asked describe-vpc-endpoint-services for it
        names = {f"com.amazonaws.{REGION}.{short}" for short in ENDPOINT_SERVICES}
        return names | {s["ServiceName"] for s in DEFAULT_VPC_ENDPOINT_SERVICES.get(REGION, [])}

    def create_vpc_endpoint(self, vpc_id, service_name, endpoint_type, policy_document,
                            route_table_ids, subnet_ids=None, network_interface_ids=None,
                            dns_entries=None, client_token=None, security_group_ids=None,
                            tags=None, private_dns_enabled=None):
        vpc = self.get_vpc(vpc_id)
        endpoint_type = (endpoint_type or "Gateway").capitalize()
        if endpoint_type == "Gatewayloadbalancer":
            endpoint_type = "GatewayLoadBalancer"
        if service_name not in known_services(self):
            raise InvalidServiceName(service_name)
        interface = endpoint_type == "Interface"
        if interface:
            private_dns_enabled = True if private_dns_enabled is None else private_dns_enabled
            subnets = [self.get_subnet(s) for s in subnet_ids or []]
            zones = [s.availability_zone for s in subnets]
            for s in subnets:
                if s.vpc_id != vpc.id:
                    raise EC2ClientError("InvalidParameter",
                                         f"The subnet {s.id} does not belong to {vpc.id}")
                if zones.count(s.availability_zone) > 1:
                    raise EC2ClientError(
                        "DuplicateSubnetsInSameZone",
                        f"Found another VPC endpoint subnet in the availability zone of {s.id}. "
                        "VPC endpoint subnets should be in different availability zones "
                        "supported by the VPC endpoint service.")
            if private_dns_enabled:
                support = str(vpc.enable_dns_support).lower() == "true"
                hostnames = str(vpc.enable_dns_hostnames).lower() == "true"
                if not (support and hostnames):
                    raise EC2ClientError(
                        "InvalidParameter",
                        "Enabling private DNS requires both enableDnsSupport and "
                        f"enableDnsHostnames VPC attributes set to true for {vpc.id}")
                for other in live_endpoints(vpc.id):
                    if other.service_name == service_name and other.private_dns_enabled \
                            and other.vpc_endpoint_type == "Interface":
                        raise EC2ClientError(
                            "InvalidParameter",
                            "private-dns-enabled cannot be set because there is already a "
                            f"conflicting DNS domain for {private_dns_name(service_name)} in "
                            f"the VPC {vpc.id}")
            groups = list(security_group_ids or [])
            if not groups:
                default = self.get_default_security_group(vpc.id)
                groups = [default.id] if default else []
            for g in groups:
                if self.get_security_group_from_id(g) is None:
                    raise EC2ClientError("InvalidSecurityGroupId.NotFound",
                                         f"The security group '{g}' does not exist")
        else:
            private_dns_enabled = False
            groups = []
            for rt_id in route_table_ids or []:
                if rt_id not in self.route_tables:
                    raise InvalidRouteTableIdError(rt_id)
        endpoint_id = f"vpce-{SIM.rng.getrandbits(68):017x}"
        ep = VPCEndPoint(self, endpoint_id, vpc.id, service_name, endpoint_type,
                         policy_document, list(route_table_ids or []) if not interface else [],
                         list(subnet_ids or []) if interface else [], [], dns_entries=[],
                         client_token=client_token, security_group_ids=groups, tags=tags,
                         private_dns_enabled=private_dns_enabled)
        self.vpc_end_points[endpoint_id] = ep
        if interface:
            ep.network_interface_ids = [
                managed_eni(s, groups, f"VPC Endpoint Interface {endpoint_id}",
                            "vpc_endpoint").id for s in subnet_ids or []]
            suffix = private_dns_name(service_name).lstrip("*.")
            suffix = suffix[:-len(".amazonaws.com")] if suffix.endswith(".amazonaws.com") else suffix
            rand = f"{SIM.rng.getrandbits(32):08x}"
            ep.dns_entries = [{"DnsName": f"{endpoint_id}-{rand}.{suffix}.vpce.amazonaws.com",
                               "HostedZoneId": "ZC8PG0KIFKBRI"}]
            if private_dns_enabled:
                ep.dns_entries.append({"DnsName": private_dns_name(service_name),
                                       "HostedZoneId": "Z0848862ZN6YOKT0HFSH"})
            ep.state = "pending"

            def available():
                ep.state = "available"
            SIM.timers.later(("vpce", endpoint_id), SIM.config["vpce_pending_s"], available)
        else:
            ep.state = "available"
            prefix = next((p for p in self.managed_prefix_lists.values()
                           if p.prefix_list_name == service_name), None)
            ep.destination_prefix_list_id = prefix.id if prefix else None
            if prefix is not None:
                for rt_id in ep.route_table_ids:
                    self.create_route(rt_id, None, gateway_id=endpoint_id,
                                      destination_prefix_list_id=prefix.id)
        return ep

    def delete_endpoint(self, ep):
        """Start deleting one endpoint: deleting, then its ENIs and routes go and it is gone."""
        ep.state = "deleting"

        def gone():
            for eni_id in ep.network_interface_ids:
                drop_eni(eni_id)
            for rt_id in ep.route_table_ids:
                rt = self.route_tables.get(rt_id)
                if rt is None:
                    continue
                for route_id, route in list(rt._routes.items()):
                    if getattr(route, "gateway", None) is ep or route.gateway_id == ep.id:
                        del rt._routes[route_id]
            self.vpc_end_points.pop(ep.id, None)
        SIM.timers.later(("vpce", ep.id), SIM.config["vpce_deleting_s"], gone)

    def delete_vpc_endpoints_response(self):
        ids = self._get_param("VpcEndpointIds", [])
        unsuccessful = []
        for vpce_id in ids:
            ep = self.ec2_backend.vpc_end_points.get(vpce_id)
            if ep is None or ep.state in GONE_VPCE:
                unsuccessful.append({"Error": {
                    "Code": "InvalidVpcEndpoint.NotFound",
                    "Message": f"The Vpc Endpoint Id '{vpce_id}' does not exist"},
                    "ResourceId": vpce_id})
            elif ep.state != "deleting":
                delete_endpoint(self.ec2_backend, ep)
        return ActionResult({"Unsuccessful": unsuccessful})

    VPCBackend.create_vpc_endpoint = create_vpc_endpoint
    VPCs.delete_vpc_endpoints = delete_vpc_endpoints_response


def subnet_default_route(subnet):
    """(kind, route) of the subnet's 0.0.0.0/0 route: kind is 'igw', 'nat', 'other' or None;
    a blackhole route counts as none."""
    from .checks import route_table_for
    rt = route_table_for(subnet.id, subnet.vpc_id)
    if rt is None:
        return None, None
    for route in rt.routes:
        if route.destination_cidr_block != "0.0.0.0/0" or route_state(route) != "active":
            continue
        gw = getattr(route, "gateway", None)
        if gw is not None and str(getattr(gw, "id", "")).startswith("igw-"):
            return "igw", route
        if route.nat_gateway is not None:
            return "nat", route
        if route.instance is not None or route.transit_gateway is not None:
            return "other", route
    return None, None


def nat_gives_egress(nat):
    """An available public NAT gateway in a subnet routed to an attached internet gateway."""
    if nat is None or nat.state != "available" or nat.connectivity_type != "public":
        return False
    try:
        subnet = ec2().get_subnet(nat.subnet_id)
    except InvalidSubnetIdError:
        return False
    return subnet_default_route(subnet)[0] == "igw"


# ---- security groups ----------------------------------------------------------------

# A VPC group's description: what EC2 allows (moto takes anything)
SG_DESCRIPTION = re.compile(r"[a-zA-Z0-9. _\-:/()#,@\[\]+=&;{}!$*]{0,255}")


def _patch_security_groups():
    orig_create = SecurityGroupBackend.create_security_group

    def create_security_group(self, name, description, *args, **kwargs):
        if description and not SG_DESCRIPTION.fullmatch(description):
            raise EC2ClientError(
                "InvalidParameterValue",
                "Invalid security group description. Valid descriptions are strings less than 256 "
                "characters from the following set:  a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*")
        return orig_create(self, name, description, *args, **kwargs)

    SecurityGroupBackend.create_security_group = create_security_group
