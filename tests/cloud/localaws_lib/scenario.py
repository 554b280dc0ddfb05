"""Scenarios: `prereqs` seeds what phases 1, 3 and 4A leave behind (through the AWS API of
the running server, with boto3) and writes aws-resources.env; `empty` seeds nothing."""

import json
import os
import tempfile

from . import ACCOUNT, REGION

DB_PASSWORD = "s3cr3t-Pa55w0rd!"
REPO = "kaviar-backend"

ENV_TEMPLATE = """\
# aws-resources.env — what earlier phases leave behind and what phase 4B reads and writes.
# Written by tests/cloud/localaws (scenario prereqs) for the local AWS at {endpoint}.
# One KEY=VALUE a line; `export KEY=VALUE`, quotes and comments are allowed, as bash reads it.

# Phase 1 (VPC)
AWS_REGION={region}
VPC_ID={vpc}
PUBLIC_SUBNET_1={pub1}
PUBLIC_SUBNET_2={pub2}
PRIVATE_SUBNET_1={priv1}
PRIVATE_SUBNET_2={priv2}

# Phase 3 (RDS, Redis, S3, SQS)
RDS_ENDPOINT={rds}
RDS_SG_ID={rds_sg}
REDIS_ENDPOINT={redis}
REDIS_SG_ID={redis_sg}
S3_BUCKET={bucket}
SQS_QUEUE_URL={queue}
DB_PASSWORD="{password}"

# Phase 4A (Docker + ECR)
ECR_URI={ecr_uri}
"""

IMAGE_MANIFEST = {
    "schemaVersion": 2,
    "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
    "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 7023,
               "digest": "sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7"},
    "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 32654,
                "digest": "sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f"}],
}


def _clients(endpoint):
    import boto3  # imported late: only scenarios need it
    session = boto3.session.Session(aws_access_key_id="testing",
                                    aws_secret_access_key="testing", region_name=REGION)
    return lambda name: session.client(name, endpoint_url=endpoint)


def _name(resource_type, name):
    return [{"ResourceType": resource_type, "Tags": [{"Key": "Name", "Value": name}]}]


def seed_prereqs(endpoint, settle):
    """Create the resources and return the env file's values."""
    client = _clients(endpoint)
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16",
                         TagSpecifications=_name("vpc", "kaviar-vpc"))["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    igw = ec2.create_internet_gateway(
        TagSpecifications=_name("internet-gateway", "kaviar-igw"))["InternetGateway"]
    ec2.attach_internet_gateway(InternetGatewayId=igw["InternetGatewayId"], VpcId=vpc)
    subnets = {}
    for key, cidr, az in (("pub1", "10.0.1.0/24", "a"), ("pub2", "10.0.2.0/24", "b"),
                          ("priv1", "10.0.11.0/24", "a"), ("priv2", "10.0.12.0/24", "b")):
        kind = "public" if key.startswith("pub") else "private"
        subnets[key] = ec2.create_subnet(
            VpcId=vpc, CidrBlock=cidr, AvailabilityZone=REGION + az,
            TagSpecifications=_name("subnet", f"kaviar-{kind}-{REGION}{az}"))["Subnet"]["SubnetId"]
    public_rt = ec2.create_route_table(
        VpcId=vpc, TagSpecifications=_name("route-table", "kaviar-public-rt"))["RouteTable"]
    ec2.create_route(RouteTableId=public_rt["RouteTableId"], DestinationCidrBlock="0.0.0.0/0",
                     GatewayId=igw["InternetGatewayId"])
    private_rt = ec2.create_route_table(
        VpcId=vpc, TagSpecifications=_name("route-table", "kaviar-private-rt"))["RouteTable"]
    for key in ("pub1", "pub2"):
        ec2.associate_route_table(RouteTableId=public_rt["RouteTableId"], SubnetId=subnets[key])
        ec2.modify_subnet_attribute(SubnetId=subnets[key], MapPublicIpOnLaunch={"Value": True})
    for key in ("priv1", "priv2"):
        ec2.associate_route_table(RouteTableId=private_rt["RouteTableId"], SubnetId=subnets[key])

    def security_group(name, description, port):
        sg = ec2.create_security_group(GroupName=name, Description=description, VpcId=vpc,
                                       TagSpecifications=_name("security-group", name))["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": port, "ToPort": port,
            "IpRanges": [{"CidrIp": "10.0.0.0/16", "Description": "from the VPC"}]}])
        return sg

    rds_sg = security_group("kaviar-rds-sg", "Kaviar RDS PostgreSQL", 5432)
    redis_sg = security_group("kaviar-redis-sg", "Kaviar ElastiCache Redis", 6379)

    rds = client("rds")
    rds.create_db_subnet_group(DBSubnetGroupName="kaviar-db-subnets",
                               DBSubnetGroupDescription="Kaviar private subnets",
                               SubnetIds=[subnets["priv1"], subnets["priv2"]])
    rds.create_db_instance(
        DBInstanceIdentifier="kaviar-db", DBInstanceClass="db.t3.micro", Engine="postgres",
        MasterUsername="kaviar", MasterUserPassword=DB_PASSWORD, AllocatedStorage=20,
        DBSubnetGroupName="kaviar-db-subnets", VpcSecurityGroupIds=[rds_sg],
        PubliclyAccessible=False)

    cache = client("elasticache")
    cache.create_cache_subnet_group(CacheSubnetGroupName="kaviar-redis-subnets",
                                    CacheSubnetGroupDescription="Kaviar private subnets",
                                    SubnetIds=[subnets["priv1"], subnets["priv2"]])
    cache.create_cache_cluster(
        CacheClusterId="kaviar-redis", Engine="redis", CacheNodeType="cache.t3.micro",
        NumCacheNodes=1, CacheSubnetGroupName="kaviar-redis-subnets",
        SecurityGroupIds=[redis_sg])

    bucket = f"kaviar-uploads-{ACCOUNT}"
    client("s3").create_bucket(Bucket=bucket,
                               CreateBucketConfiguration={"LocationConstraint": REGION})
    client("sqs").create_queue(QueueName="kaviar-jobs")
    queue = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/kaviar-jobs"

    ecr = client("ecr")
    ecr.create_repository(repositoryName=REPO)
    ecr.put_image(repositoryName=REPO, imageManifest=json.dumps(IMAGE_MANIFEST),
                  imageManifestMediaType=IMAGE_MANIFEST["mediaType"], imageTag="latest")
    settle()  # what phases 1, 3 and 4A leave behind is there, not still being created
    db = rds.describe_db_instances(DBInstanceIdentifier="kaviar-db")["DBInstances"][0]
    rds_endpoint = db["Endpoint"]["Address"]
    cluster = cache.describe_cache_clusters(CacheClusterId="kaviar-redis",
                                            ShowCacheNodeInfo=True)["CacheClusters"][0]
    redis_endpoint = cluster["CacheNodes"][0]["Endpoint"]["Address"]
    return {
        "endpoint": endpoint, "region": REGION, "vpc": vpc, **subnets,
        "rds": rds_endpoint, "rds_sg": rds_sg, "redis": redis_endpoint, "redis_sg": redis_sg,
        "bucket": bucket, "queue": queue, "password": DB_PASSWORD,
        "ecr_uri": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{REPO}:latest",
    }


def write_env(path, values):
    """Write the env file 0600, atomically (temp file in the same directory, then rename)."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".aws-resources.", dir=directory)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(ENV_TEMPLATE.format(**values))
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.rename(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


SCENARIOS = {"prereqs": seed_prereqs, "empty": None}
