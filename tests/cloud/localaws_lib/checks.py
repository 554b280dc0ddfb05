"""What AWS would decide from the resources as they stand: can a starting Fargate task reach
ECR and CloudWatch Logs, does its image exist, may it assume its execution role, can the
ALB reach it. All functions read moto's state; callers hold the world lock.
"""

import fnmatch
import ipaddress
import json
import re

from moto.ec2.exceptions import InvalidSubnetIdError

from . import ACCOUNT, REGION
from .backends import backend, ec2, iam, logs
from .network import nat_gives_egress, short_service, subnet_default_route

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
SECRETS_PREFIX = ("ResourceInitializationError: unable to pull secrets or registry auth: "
                  "execution resource retrieval failed: ")
SECRETS_TIMEOUT = {
    "secretsmanager": (SECRETS_PREFIX + "unable to retrieve secret from asm: service call has "
                       "been retried 5 time(s): RequestError: send request failed caused by: "
                       f'Post "https://secretsmanager.{REGION}.amazonaws.com/": dial tcp '
                       "52.94.233.104:443: i/o timeout"),
    "ssm": (SECRETS_PREFIX + "unable to retrieve secrets from ssm: service call has been "
            f'retried 5 time(s): RequestError: send request failed caused by: Post "https://ssm.'
            f'{REGION}.amazonaws.com/": dial tcp 52.95.19.240:443: i/o timeout'),
}
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


def reachable_endpoints(subnet, sg_ids):
    """Short names ("ecr.dkr", "s3", "logs", ...) of the VPC endpoints a task in this subnet with
    these security groups can use: `available`; interface endpoints with private DNS (in a VPC
    resolving DNS) whose security groups admit tcp/443 from the task's groups or from a CIDR
    holding the subnet, reached through the task's egress; gateway endpoints on the subnet's
    route table."""
    vpc = ec2().get_vpc(subnet.vpc_id)
    dns = str(vpc.enable_dns_support).lower() == "true"
    rt = route_table_for(subnet.id, subnet.vpc_id)
    task_sgs = sg_objects(sg_ids)
    subnet_net = ipaddress.ip_network(subnet.cidr_block)
    found = set()
    for ep in ec2().vpc_end_points.values():
        if ep.vpc_id != subnet.vpc_id or ep.state != "available":
            continue
        if ep.vpc_endpoint_type == "Gateway":
            if rt is not None and rt.id in (ep.route_table_ids or []):
                found.add(short_service(ep.service_name))
            continue
        if not (dns and ep.private_dns_enabled):
            continue
        ips = [ec2().enis[i].private_ip_address for i in ep.network_interface_ids
               if i in ec2().enis]
        admitted = False
        for sg in sg_objects(ep.security_group_ids):
            for rule in sg.ingress_rules:
                if not rule_ports_cover(rule, 443):
                    continue
                if (rule.source_group or {}).get("GroupId") in sg_ids:
                    admitted = True
                net = rule_cidr(rule)
                if net is not None and net.version == 4 and subnet_net.subnet_of(net):
                    admitted = True
        if admitted and ips and any(egress_allows(task_sgs, 443, ip, ep.security_group_ids)
                                    for ip in ips):
            found.add(short_service(ep.service_name))
    return found


def network_failure(subnet_id, assign_public_ip, sg_ids, uses_awslogs, secret_services=()):
    """The ResourceInitializationError a task in this subnet would stop with, or None.

    The task reaches the internet through the subnet's 0.0.0.0/0 route: an attached internet
    gateway with a public IP, or an `available` NAT gateway that itself sits in such a subnet
    (or an instance / transit gateway). Without that, VPC endpoints must cover ecr.api,
    ecr.dkr and s3 (and logs for awslogs, secretsmanager / ssm for the task's secrets)."""
    try:
        subnet = ec2().get_subnet(subnet_id)
    except InvalidSubnetIdError:
        return NETWORK_TIMEOUT
    kind, route = subnet_default_route(subnet)
    sgs = sg_objects(sg_ids)
    if kind == "igw":
        internet = (assign_public_ip or "DISABLED") == "ENABLED"
    elif kind == "nat":
        internet = nat_gives_egress(route.nat_gateway)
    else:
        internet = kind == "other"
    internet = internet and egress_allows(sgs, 443, "3.33.161.94")
    endpoints = set() if internet else reachable_endpoints(subnet, sg_ids)
    if not internet and not {"ecr.api", "ecr.dkr", "s3"} <= endpoints:
        return NETWORK_TIMEOUT
    for service in secret_services:
        if not internet and service not in endpoints:
            return SECRETS_TIMEOUT[service]
    if uses_awslogs and not internet and "logs" not in endpoints:
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


def role_documents(role):
    for policy in role.managed_policies.values():
        version = next((v for v in getattr(policy, "versions", []) if v.is_default), None)
        if version is not None:
            yield version.document
    yield from role.policies.values()


def _listed(value):
    return value if isinstance(value, list) else [value]


def role_allows(role, action, resource):
    """IAM's answer for identity policies only: an Allow matching action and resource and no
    Deny (wildcards * and ?, actions case-insensitive)."""
    allowed = False
    for doc in role_documents(role):
        for st in _statements(doc):
            actions = [a.lower() for a in _listed(st.get("Action", []))]
            resources = _listed(st.get("Resource", "*"))
            if not any(fnmatch.fnmatchcase(action.lower(), a) for a in actions):
                continue
            if not any(fnmatch.fnmatchcase(resource, r) for r in resources):
                continue
            if st.get("Effect") == "Deny":
                return False
            if st.get("Effect") == "Allow":
                allowed = True
    return allowed


# ---- secrets of the task definition ------------------------------------------------------

def container_secrets(task_def):
    """valueFrom of every secret the containers ask for (secrets and log secretOptions)."""
    out = []
    for c in task_def.container_definitions:
        for secret in (c.get("secrets") or []) + \
                ((c.get("logConfiguration") or {}).get("secretOptions") or []):
            if secret.get("valueFrom"):
                out.append(secret["valueFrom"])
    return out


def secret_service(value_from):
    return "secretsmanager" if value_from.startswith("arn:") and ":secretsmanager:" in value_from \
        else "ssm"


def secret_json_key_failure(value_from, secret):
    """ARN:json-key:… names a key of a JSON secret (an RDS-managed one's password): AWS fails
    the task when the current value is no JSON object or lacks the key; moto has no tasks."""
    parts = value_from.split(":")
    key = parts[7] if len(parts) > 7 else ""
    if not key:
        return None
    version = secret.versions.get(secret.default_version_id) or {}
    try:
        doc = json.loads(version.get("secret_string") or "")
    except ValueError:
        doc = None
    if isinstance(doc, dict) and key in doc:
        return None
    return (SECRETS_PREFIX + "unable to retrieve secret from asm: service call has been retried "
            f"1 time(s): retrieved secret from Secrets Manager did not contain json key {key}")


def secret_failure(value_from, role, task_id, check_role_policy):
    """Why ECS could not fetch this secret for the task (missing, or the execution role may not
    read it), or None."""
    who = f"arn:aws:sts::{ACCOUNT}:assumed-role/{role.name}/{task_id}"
    if secret_service(value_from) == "secretsmanager":
        arn = ":".join(value_from.split(":")[:7])  # drop :json-key:version-stage:version-id
        secret = backend("secretsmanager").secrets.get(arn)
        asm = (SECRETS_PREFIX + "unable to retrieve secret from asm: service call has been "
               f"retried 1 time(s): failed to fetch secret {arn} from secrets manager: ")
        if check_role_policy and not role_allows(role, "secretsmanager:GetSecretValue",
                                                 secret.arn if secret else arn):
            return (asm + f"AccessDeniedException: User: {who} is not authorized to perform: "
                    f"secretsmanager:GetSecretValue on resource: {arn} because no "
                    "identity-based policy allows the secretsmanager:GetSecretValue action")
        if secret is None or secret.is_deleted():
            return asm + "ResourceNotFoundException: Secrets Manager can't find the specified secret."
        return secret_json_key_failure(value_from, secret)
    name = value_from.split(":parameter", 1)[1] if value_from.startswith("arn:") else value_from
    name = name if name.startswith("/") else "/" + name
    arn = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{name}"
    ssm = SECRETS_PREFIX + "unable to retrieve secrets from ssm: service call has been retried " \
        "1 time(s): "
    if check_role_policy and not role_allows(role, "ssm:GetParameters", arn):
        return (ssm + f"AccessDeniedException: User: {who} is not authorized to perform: "
                f"ssm:GetParameters on resource: {arn} because no identity-based policy allows "
                "the ssm:GetParameters action")
    if backend("ssm").get_parameter(value_from) is None:
        return ssm + f"invalid parameters: {value_from}"
    return None


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
    secrets = container_secrets(task_def)
    failure = network_failure(subnet_id, net_conf.get("assignPublicIp"),
                              net_conf.get("securityGroups") or [], uses_awslogs,
                              sorted({secret_service(v) for v in secrets}))
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
    for value_from in secrets if role is not None else []:
        failure = secret_failure(value_from, role, task_id, check_role_policy)
        if failure:
            return failure
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
