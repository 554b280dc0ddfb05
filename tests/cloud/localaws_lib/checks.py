"""What AWS would decide from the resources as they stand: can a starting Fargate task reach
ECR and CloudWatch Logs, does its image exist, may it assume its execution role, can the
ALB reach it. All functions read moto's state; callers hold the world lock.
"""

import ipaddress
import json
import re

from moto.ec2.exceptions import InvalidSubnetIdError

from . import ACCOUNT, REGION
from .backends import backend, ec2, iam, logs

ECR_IMAGE_RE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/"
    r"(?P<repo>[^:@]+)(?::(?P<tag>[^@]+))?(?:@(?P<digest>.+))?$")

AUTH_PREFIX = ("ResourceInitializationError: unable to pull secrets or registry auth: "
               "execution resource retrieval failed: unable to retrieve ecr registry auth: "
               "service call has been retried 3 time(s): ")
NETWORK_TIMEOUT = (AUTH_PREFIX + 'RequestError: send request failed caused by: Post '
                   f'"https://api.ecr.{REGION}.amazonaws.com/": dial tcp 3.33.161.94:443: '
                   "i/o timeout. Please check your task network configuration.")
LOGS_TIMEOUT = ("ResourceInitializationError: failed to validate logger args: create stream "
                "has been retried 1 times: failed to create Cloudwatch log stream: RequestError: "
                f'send request failed caused by: Post "https://logs.{REGION}.amazonaws.com/": '
                "dial tcp 52.95.17.42:443: i/o timeout : exit status 1")
LOG_GROUP_MISSING = ("ResourceInitializationError: failed to validate logger args: create stream "
                     "has been retried 1 times: failed to create Cloudwatch log stream: "
                     "ResourceNotFoundException: The specified log group does not exist. "
                     ": exit status 1")


# ---- routes and egress -------------------------------------------------------------

def route_table_for(subnet_id, vpc_id):
    main = None
    for rt in ec2().route_tables.values():
        if rt.vpc_id != vpc_id:
            continue
        if subnet_id in rt._associations.values():
            return rt
        if rt.main_association_id is not None:
            main = rt
    return main


def default_route_kind(subnet):
    """'igw', 'nat' or None for the subnet's 0.0.0.0/0 route."""
    rt = route_table_for(subnet.id, subnet.vpc_id)
    if rt is None:
        return None
    for route in rt.routes:
        if route.destination_cidr_block != "0.0.0.0/0":
            continue
        gateway = getattr(route, "gateway", None)
        if gateway is not None and str(getattr(gateway, "id", "")).startswith("igw-"):
            return "igw"
        if getattr(route, "nat_gateway", None) is not None or getattr(route, "instance", None) \
                is not None or getattr(route, "transit_gateway", None) is not None:
            return "nat"
    return None


def vpc_endpoint_services(vpc_id):
    """Short names ("ecr.dkr", "s3", "logs", ...) of the VPC's available endpoints."""
    prefix = f"com.amazonaws.{REGION}."
    return {ep.service_name[len(prefix):] if ep.service_name.startswith(prefix) else ep.service_name
            for ep in ec2().vpc_end_points.values()
            if ep.vpc_id == vpc_id and ep.state == "available"}


def rule_ports_cover(rule, port):
    if rule.ip_protocol in ("-1", "all", None):
        return True
    if str(rule.ip_protocol).lower() not in ("tcp", "6"):
        return False
    return rule.from_port is not None and rule.from_port <= port <= rule.to_port


def rule_cidr(rule):
    cidr = (rule.ip_range or {}).get("CidrIp")
    return ipaddress.ip_network(cidr, strict=False) if cidr else None


def sg_objects(sg_ids):
    out = []
    for sg_id in sg_ids:
        sg = ec2().get_security_group_from_id(sg_id)
        if sg is not None:
            out.append(sg)
    return out


def egress_allows(sgs, port, dest_ip=None, dest_sg_ids=()):
    for sg in sgs:
        for rule in sg.egress_rules:
            if not rule_ports_cover(rule, port):
                continue
            net = rule_cidr(rule)
            if net is not None and (dest_ip is None or ipaddress.ip_address(dest_ip) in net):
                return True
            if (rule.source_group or {}).get("GroupId") in dest_sg_ids:
                return True
    return False


def network_failure(subnet_id, assign_public_ip, sg_ids, uses_awslogs):
    """The ResourceInitializationError a task in this subnet would stop with, or None."""
    try:
        subnet = ec2().get_subnet(subnet_id)
    except InvalidSubnetIdError:
        return NETWORK_TIMEOUT
    kind = default_route_kind(subnet)
    if kind == "igw":
        ok = (assign_public_ip or "DISABLED") == "ENABLED"
        logs_ok = ok
    elif kind == "nat":
        ok = logs_ok = True
    else:
        endpoints = vpc_endpoint_services(subnet.vpc_id)
        ok = {"ecr.api", "ecr.dkr", "s3"} <= endpoints
        logs_ok = "logs" in endpoints
    if ok and not egress_allows(sg_objects(sg_ids), 443, "3.33.161.94" if kind else None):
        ok = False
    if not ok:
        return NETWORK_TIMEOUT
    if uses_awslogs and not logs_ok:
        return LOGS_TIMEOUT
    return None


# ---- IAM ----------------------------------------------------------------------------

def role_for_arn(arn):
    try:
        return iam().get_role(arn.rsplit("/", 1)[-1])
    except Exception:
        return None


def _statements(doc):
    if isinstance(doc, str):
        try:
            doc = json.loads(doc)
        except ValueError:
            return []
    stmts = (doc or {}).get("Statement", [])
    return stmts if isinstance(stmts, list) else [stmts]


def _doc_allows_ecr_auth(doc):
    for st in _statements(doc):
        if st.get("Effect") != "Allow":
            continue
        actions = st.get("Action", [])
        actions = actions if isinstance(actions, list) else [actions]
        if any(a in ("*", "ecr:*", "ecr:Get*", "ecr:GetAuthorizationToken") for a in actions):
            return True
    return False


def role_can_pull(role):
    for arn, policy in role.managed_policies.items():
        if arn.endswith("/AmazonECSTaskExecutionRolePolicy"):
            return True
        version = next((v for v in getattr(policy, "versions", []) if v.is_default), None)
        if version is not None and _doc_allows_ecr_auth(version.document):
            return True
    return any(_doc_allows_ecr_auth(doc) for doc in role.policies.values())


# ---- images and log groups -------------------------------------------------------------

def image_failure(image):
    """CannotPullContainerError for an ECR image missing from moto's ECR, else None."""
    m = ECR_IMAGE_RE.match(image or "")
    if not m:
        return None
    repos = backend("ecr", region=m["region"], account=m["account"]).repositories
    repo = repos.get(m["repo"])
    found = False
    if repo is not None:
        for img in repo.images:
            if m["digest"]:
                found = img.get_image_digest() == m["digest"]
            else:
                found = (m["tag"] or "latest") in img.image_tags
            if found:
                break
    if found:
        return None
    return ("CannotPullContainerError: pull image manifest has been retried 1 time(s): "
            f"failed to resolve ref {image}: not found")


def is_private_ecr(image):
    m = ECR_IMAGE_RE.match(image or "")
    return bool(m)


def awslogs_options(container):
    lc = container.get("logConfiguration") or {}
    if lc.get("logDriver") != "awslogs":
        return None
    return lc.get("options") or {}


def task_start_failure(task_def, subnet_id, net_conf, task_id, check_role_policy=True):
    """The stoppedReason of a task that cannot start (checked in ECS's order), or None."""
    exec_arn = getattr(task_def, "execution_role_arn", None)
    role = None
    if exec_arn:
        role = role_for_arn(exec_arn)
        if role is None:
            return (AUTH_PREFIX + f"AccessDeniedException: ECS was unable to assume the role "
                    f"'{exec_arn}' that was provided for this task. Please verify that the role "
                    "being passed has the proper trust relationship and permissions and that your "
                    "IAM user has permissions to pass this role.")
    containers = task_def.container_definitions
    uses_awslogs = any(awslogs_options(c) is not None for c in containers)
    failure = network_failure(subnet_id, net_conf.get("assignPublicIp"),
                              net_conf.get("securityGroups") or [], uses_awslogs)
    if failure:
        return failure
    private = [c["image"] for c in containers if is_private_ecr(c.get("image"))]
    if private and role is None:
        return ("CannotPullContainerError: pull image manifest has been retried 1 time(s): "
                f"failed to resolve ref {private[0]}: pull access denied, repository does not "
                "exist or may require authorization: authorization failed: no basic auth credentials")
    if private and check_role_policy and not role_can_pull(role):
        return (AUTH_PREFIX + f"AccessDeniedException: User: arn:aws:sts::{ACCOUNT}:assumed-role/"
                f"{role.name}/{task_id} is not authorized to perform: ecr:GetAuthorizationToken on "
                "resource: * because no identity-based policy allows the "
                "ecr:GetAuthorizationToken action")
    for c in containers:
        failure = image_failure(c.get("image"))
        if failure:
            return failure
    for c in containers:
        opts = awslogs_options(c)
        if opts is None:
            continue
        group = opts.get("awslogs-group")
        if group and group not in logs().groups:
            if str(opts.get("awslogs-create-group", "")).lower() == "true":
                logs().create_log_group(group, {})
            else:
                return LOG_GROUP_MISSING
    return None


# ---- ALB -> target reachability ------------------------------------------------------

def alb_reaches(lb, target_ip, port):
    """True if one of the target's ENI security groups lets the ALB in on tcp `port`
    (from one of the ALB's security groups, or a CIDR covering all of the ALB's subnets)
    and the ALB's security groups let it out."""
    eni = next((e for e in ec2().enis.values() if e.private_ip_address == target_ip), None)
    if eni is None:
        return False
    alb_sg_ids = set(lb.security_groups or [])
    alb_nets = [ipaddress.ip_network(s.cidr_block) for s in lb.subnets]
    target_sg_ids = [g.id for g in eni.group_set]
    allowed = False
    for sg in sg_objects(target_sg_ids):
        for rule in sg.ingress_rules:
            if not rule_ports_cover(rule, port):
                continue
            if (rule.source_group or {}).get("GroupId") in alb_sg_ids:
                allowed = True
            net = rule_cidr(rule)
            if net is not None and alb_nets and all(n.subnet_of(net) for n in alb_nets
                                                    if n.version == net.version):
                allowed = True
    if not allowed:
        return False
    alb_sgs = sg_objects(alb_sg_ids)
    return not alb_sgs or egress_allows(alb_sgs, port, target_ip, set(target_sg_ids))


def alb_admits_client(lb, port, client_ip):
    """True if the ALB's security groups accept tcp `port` from the client address."""
    sgs = sg_objects(lb.security_groups or [])
    if not sgs:
        return True
    for sg in sgs:
        for rule in sg.ingress_rules:
            net = rule_cidr(rule)
            if rule_ports_cover(rule, port) and net is not None and \
                    ipaddress.ip_address(client_ip) in net:
                return True
    return False
