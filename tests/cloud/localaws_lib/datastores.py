"""Phase 3's RDS and ElastiCache as AWS does them, where moto 5.2.1 does not (see README
"Phases 1, 3 and 4A"): DB instances creating -> backing-up -> available, modifying, deleting
-> gone (with the final-snapshot rules); cache clusters and replication groups creating ->
available, deleting -> gone, with their node endpoints; subnet groups that refuse deletion
while used; an ENI in the subnet for each, carrying its security groups, so subnets and
security groups refuse deletion while a database or cache uses them.
"""

import json
import string
import types
import uuid

from moto.core.utils import utcnow
from moto.elasticache.exceptions import (CacheClusterNotFound, CacheSubnetGroupNotFound,
                                         ElastiCacheException, ReplicationGroupNotFound)
from moto.elasticache.models import CacheSubnetGroup, ElastiCacheBackend
from moto.elasticache.responses import ElastiCacheResponse
from moto.rds.exceptions import DBSubnetGroupNotFoundError, RDSClientError
from moto.rds.models import DBInstance, MasterUserSecret, RDSBackend

from . import ACCOUNT, REGION
from .backends import ec2
from .network import drop_eni, managed_eni

SIM = None

GONE_DB = ("deleting",)


def install(sim):
    global SIM
    SIM = sim
    _patch_rds()
    _patch_elasticache()


def _arg(kwargs, snake, pascal, default=None):
    value = kwargs.get(snake)
    if value is None:
        value = kwargs.get(pascal)
    return default if value is None else value


def _subnet_in_zone(subnet_ids, zone):
    subnets = [ec2().get_subnet(s) for s in subnet_ids]
    return next((s for s in subnets if s.availability_zone == zone), subnets[0] if subnets else None)


# ---- RDS -----------------------------------------------------------------------------

class InvalidDBInstanceState(RDSClientError):
    def __init__(self, message):
        super().__init__("InvalidDBInstanceState", message)


def db_subnet_ids(db):
    group = getattr(db, "db_subnet_group", None)
    return [s.id for s in getattr(group, "_subnets", [])] if group is not None else []


def _generated_password(rng, length=28):
    """Like the passwords RDS generates for a managed master user (no / @ " ' or spaces)."""
    alphabet = string.ascii_letters + string.digits + "!#$%&()*+,-.:;<=>?[]^_{|}~"
    return "".join(rng.choice(alphabet) for _ in range(length))


def _patch_rds():
    def generate_secret_string(self):
        # moto: {"username": "admin", "password": "P@55w0rd!"} whatever the instance
        return json.dumps({"username": getattr(self.resource, "master_username", None) or "admin",
                           "password": _generated_password(SIM.rng)})

    MasterUserSecret._generate_secret_string = generate_secret_string
    DBInstance.default_engine_versions = dict(DBInstance.default_engine_versions,
                                              postgres="16.4")
    orig_endpoint = DBInstance.endpoint
    orig_create_group = RDSBackend.create_subnet_group
    orig_delete_group = RDSBackend.delete_subnet_group
    orig_create = RDSBackend.create_db_instance
    orig_modify = RDSBackend.modify_db_instance
    orig_delete = RDSBackend.delete_db_instance

    def endpoint(self):
        # no address while the instance is being created (AWS leaves Endpoint out)
        if getattr(self, "_sim_no_endpoint", False):
            return None
        return orig_endpoint.fget(self)

    def create_subnet_group(self, subnet_name, description, subnets, tags):
        if subnet_name in self.subnet_groups:
            raise RDSClientError("DBSubnetGroupAlreadyExists",
                                 f"The DB subnet group '{subnet_name}' already exists.")
        zones = sorted({s.availability_zone for s in subnets})
        if len(zones) < 2:
            raise RDSClientError(
                "DBSubnetGroupDoesNotCoverEnoughAZs",
                "The DB subnet group doesn't meet Availability Zone (AZ) coverage requirement. "
                f"Current AZ coverage: {', '.join(zones)}. Add subnets to cover at least 2 AZs.")
        return orig_create_group(self, subnet_name, description, subnets, tags)

    def delete_subnet_group(self, subnet_name):
        if subnet_name not in self.subnet_groups:
            raise DBSubnetGroupNotFoundError(subnet_name)
        users = [db.db_instance_identifier for db in self.databases.values()
                 if getattr(getattr(db, "db_subnet_group", None), "name", None)
                 == subnet_name.lower()]
        if users:
            raise RDSClientError(
                "InvalidDBSubnetGroupStateFault",
                f"Cannot delete the subnet group '{subnet_name}' because at least one database "
                f"instance: {users[0]} is still using it.")
        return orig_delete_group(self, subnet_name)

    def create_db_instance(self, db_kwargs):
        db = orig_create(self, db_kwargs)
        if getattr(db, "db_cluster_identifier", None) is not None:
            return db
        if db.storage_encrypted and db.kms_key_id in (None, "default_kms_key_id"):
            db.kms_key_id = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/" \
                            f"{uuid.UUID(int=SIM.rng.getrandbits(128))}"
        subnet_ids = db_subnet_ids(db)
        if subnet_ids:
            subnet = _subnet_in_zone(subnet_ids, db.availability_zone)
            db.availability_zone = subnet.availability_zone
            eni = managed_eni(subnet, db.vpc_security_group_ids, "RDSNetworkInterface",
                              "interface")
            db._sim_eni = eni.id
        db.status = "creating"
        db._sim_no_endpoint = True
        db.pending_modified_values = {}

        def created():
            db._sim_no_endpoint = False
            if db.backup_retention_period:
                db.status = "backing-up"
                SIM.timers.later(("rds", db.db_instance_identifier),
                                 SIM.config["rds_backing_up_s"], available)
            else:
                available()

        def available():
            db.status = "available"
        SIM.timers.later(("rds", db.db_instance_identifier), SIM.config["rds_creating_s"], created)
        return db

    def modify_db_instance(self, db_instance_identifier, db_kwargs):
        db = self.describe_db_instances(db_instance_identifier)[0]
        if db.status != "available":
            raise InvalidDBInstanceState("Database instance is not in available state.")
        immediately = bool(_arg(db_kwargs, "apply_immediately", "ApplyImmediately", False))
        # changes that wait for the maintenance window unless applied immediately
        deferred = {"db_instance_class": "DBInstanceClass",
                    "allocated_storage": "AllocatedStorage",
                    "engine_version": "EngineVersion", "multi_az": "MultiAZ",
                    "storage_type": "StorageType"}
        changing = {}
        for snake, pascal in deferred.items():
            value = _arg(db_kwargs, snake, pascal)
            if value is not None and value != getattr(db, snake, None):
                changing[pascal] = value
        if not immediately and changing:
            pending = dict(db.pending_modified_values or {}, **changing)
            kwargs = {k: v for k, v in db_kwargs.items()
                      if k not in deferred and k not in deferred.values()}
            result = orig_modify(self, db_instance_identifier, kwargs)
            result.pending_modified_values = pending
            return result
        result = orig_modify(self, db_instance_identifier, db_kwargs)
        if changing or _arg(db_kwargs, "master_user_password", "MasterUserPassword"):
            result.pending_modified_values = {}
            result.status = "modifying"

            def modified():
                result.status = "available"
            SIM.timers.later(("rds", result.db_instance_identifier),
                             SIM.config["rds_modifying_s"], modified)
        return result

    def delete_db_instance(self, db_instance_identifier, final_db_snapshot_identifier=None,
                           skip_final_snapshot=False, delete_automated_backups=True):
        db = self.databases.get(db_instance_identifier.lower()) if db_instance_identifier \
            else None
        if db is None or getattr(db, "db_cluster_identifier", None) is not None:
            return orig_delete(self, db_instance_identifier, final_db_snapshot_identifier,
                               skip_final_snapshot, delete_automated_backups)
        if db.deletion_protection:
            raise RDSClientError("InvalidParameterCombination",
                                 "Cannot delete protected DB Instance, please disable deletion "
                                 "protection and try again.")
        if skip_final_snapshot and final_db_snapshot_identifier:
            raise RDSClientError("InvalidParameterCombination",
                                 "Cannot specify both SkipFinalSnapshot and "
                                 "FinalDBSnapshotIdentifier.")
        if not skip_final_snapshot and not final_db_snapshot_identifier:
            raise RDSClientError("InvalidParameterCombination",
                                 "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot "
                                 "is specified.")
        if db.status == "deleting":
            raise InvalidDBInstanceState(
                f"Instance {db.db_instance_identifier} is already being deleted.")
        if db.status not in ("available", "backing-up", "creating", "modifying", "failed",
                             "storage-full", "incompatible-parameters", "stopped"):
            raise InvalidDBInstanceState(
                f"Instance {db.db_instance_identifier} is not in a state that allows deletion.")
        snapshot = None
        if final_db_snapshot_identifier:
            snapshot = self.create_db_snapshot(db.db_instance_identifier,
                                               final_db_snapshot_identifier,
                                               snapshot_type="manual")
            snapshot.status = "creating"
        db.status = "deleting"
        SIM.timers.cancel(("rds", db.db_instance_identifier))

        def gone():
            if snapshot is not None:
                snapshot.status = "available"
            orig_delete(self, db.db_instance_identifier, None, True, delete_automated_backups)
            if getattr(db, "_sim_eni", None):
                drop_eni(db._sim_eni)
        SIM.timers.later(("rds", db.db_instance_identifier), SIM.config["rds_deleting_s"], gone)
        return db

    DBInstance.endpoint = property(endpoint)
    RDSBackend.create_subnet_group = create_subnet_group
    RDSBackend.delete_subnet_group = delete_subnet_group
    RDSBackend.create_db_instance = create_db_instance
    RDSBackend.modify_db_instance = modify_db_instance
    RDSBackend.delete_db_instance = delete_db_instance


# ---- ElastiCache -----------------------------------------------------------------------

class ElastiCacheError(ElastiCacheException):
    def __init__(self, code, message):
        super().__init__(code, message)


def _to_region(value):
    """moto builds replication-group endpoints and zones for us-east-1 whatever the region."""
    if isinstance(value, str):
        return value.replace(".use1.", ".use2.").replace("us-east-1", REGION)
    if isinstance(value, list):
        return [_to_region(v) for v in value]
    if isinstance(value, dict):
        return {k: _to_region(v) for k, v in value.items()}
    return value


def cache_view(cluster, show_nodes):
    """What describe-cache-clusters shows of a cluster: CacheNodes only with
    --show-cache-node-info, and their endpoints only once the cluster is available."""
    view = types.SimpleNamespace(**vars(cluster))
    view.cache_nodes = None
    if show_nodes:
        nodes = []
        for i, node in enumerate(getattr(cluster, "_sim_nodes", [])):
            entry = dict(node)
            if cluster.cache_cluster_status not in ("available", "modifying", "snapshotting"):
                entry.pop("Endpoint", None)
            entry["CacheNodeStatus"] = cluster.cache_cluster_status \
                if cluster.cache_cluster_status != "deleting" else "deleting"
            nodes.append(entry)
        view.cache_nodes = nodes
    return view


def _patch_elasticache():
    orig_create_cluster = ElastiCacheBackend.create_cache_cluster
    orig_create_group = ElastiCacheBackend.create_replication_group
    orig_group_init = CacheSubnetGroup.__init__

    def group_init(self, *args, **kwargs):
        orig_group_init(self, *args, **kwargs)
        for subnet in self.subnets:
            zone = subnet.get("subnet_availability_zone")
            if isinstance(zone, str):
                subnet["subnet_availability_zone"] = {"Name": zone}

    def create_cache_cluster(self, cache_cluster_id, *args, **kwargs):
        cluster = orig_create_cluster(self, cache_cluster_id, *args, **kwargs)
        cluster.cache_cluster_status = cluster.status = "creating"
        cluster.engine_version = cluster.engine_version or (
            "7.1.0" if cluster.engine == "redis" else "1.6.22")
        cluster.cache_parameter_group = {
            "CacheParameterGroupName": cluster.cache_parameter_group_name or (
                "default.redis7" if cluster.engine == "redis" else "default.memcached1.6"),
            "ParameterApplyStatus": "in-sync", "CacheNodeIdsToReboot": []}
        cluster.security_groups = [{"SecurityGroupId": g, "Status": "active"}
                                   for g in cluster.security_group_ids]
        subnet_ids = []
        group = self.cache_subnet_groups.get(cluster.cache_subnet_group_name or "")
        if group is not None:
            subnet_ids = list(group.subnet_ids)
        rand = f"{SIM.rng.getrandbits(24):06x}"
        cluster._sim_nodes = []
        cluster._sim_enis = []
        zone = cluster.preferred_availability_zone
        for i in range(int(cluster.num_cache_nodes or 1)):
            node_id = f"{i + 1:04d}"
            subnet = _subnet_in_zone(subnet_ids, zone) if subnet_ids else None
            if subnet is not None:
                zone = zone or subnet.availability_zone
                cluster._sim_enis.append(managed_eni(
                    subnet, cluster.security_group_ids, f"ElastiCache {cache_cluster_id}",
                    "interface").id)
            cluster._sim_nodes.append({
                "CacheNodeId": node_id, "CacheNodeCreateTime": utcnow(),
                "Endpoint": {"Address": f"{cache_cluster_id}.{rand}.{node_id}.use2.cache."
                                        "amazonaws.com", "Port": cluster.port},
                "ParameterGroupStatus": "in-sync",
                "CustomerAvailabilityZone": zone or f"{REGION}a"})
        cluster.preferred_availability_zone = zone or f"{REGION}a"

        def available():
            cluster.cache_cluster_status = cluster.status = "available"
        SIM.timers.later(("cache", cache_cluster_id), SIM.config["cache_creating_s"], available)
        return cluster

    def delete_cache_cluster(self, cache_cluster_id):
        cluster = self.cache_clusters.get(cache_cluster_id) if cache_cluster_id else None
        if cluster is None:
            raise CacheClusterNotFound(cache_cluster_id)
        if cluster.cache_cluster_status != "available":
            raise ElastiCacheError("InvalidCacheClusterState",
                                   f"Cache cluster {cache_cluster_id} is not in a valid state to "
                                   "be deleted.")
        cluster.cache_cluster_status = cluster.status = "deleting"

        def gone():
            self.cache_clusters.pop(cache_cluster_id, None)
            for eni_id in getattr(cluster, "_sim_enis", []):
                drop_eni(eni_id)
        SIM.timers.later(("cache", cache_cluster_id), SIM.config["cache_deleting_s"], gone)
        return cluster

    def delete_cache_subnet_group(self, cache_subnet_group_name):
        group = self.cache_subnet_groups.get(cache_subnet_group_name)
        if group is None:
            raise CacheSubnetGroupNotFound(cache_subnet_group_name)
        used = [c for c in self.cache_clusters.values()
                if c.cache_subnet_group_name == cache_subnet_group_name]
        used += [g for g in self.replication_groups.values()
                 if getattr(g, "cache_subnet_group_name", None) == cache_subnet_group_name]
        if used:
            raise ElastiCacheError("CacheSubnetGroupInUse",
                                   f"Cache subnet group {cache_subnet_group_name} is currently "
                                   "in use by a cache cluster.")
        return self.cache_subnet_groups.pop(cache_subnet_group_name)

    def create_replication_group(self, replication_group_id, *args, **kwargs):
        group = orig_create_group(self, replication_group_id, *args, **kwargs)
        group.node_groups = _to_region(group.node_groups)
        for attr in ("configuration_endpoint", "primary_endpoint", "reader_endpoint"):
            if hasattr(group, attr):
                setattr(group, attr, _to_region(getattr(group, attr)))
        group.cache_subnet_group_name = kwargs.get("cache_subnet_group_name")
        group.status = "creating"
        for ng in group.node_groups:
            if isinstance(ng, dict):
                ng["status"] = "creating"

        def available():
            group.status = "available"
            for ng in group.node_groups:
                if isinstance(ng, dict):
                    ng["status"] = "available"
        SIM.timers.later(("cache-rg", replication_group_id), SIM.config["cache_creating_s"],
                         available)
        return group

    def delete_replication_group(self, replication_group_id, retain_primary_cluster=None):
        group = self.replication_groups.get(replication_group_id)
        if group is None:
            raise ReplicationGroupNotFound(replication_group_id)
        if group.status != "available":
            raise ElastiCacheError("InvalidReplicationGroupState",
                                   f"Replication group {replication_group_id} is not in a valid "
                                   "state to be deleted.")
        group.status = "deleting"

        def gone():
            self.replication_groups.pop(replication_group_id, None)
        SIM.timers.later(("cache-rg", replication_group_id), SIM.config["cache_deleting_s"],
                         gone)
        return group

    def describe_cache_clusters_response(self):
        from moto.core.responses import ActionResult
        cluster_id = self._get_param("CacheClusterId")
        show = self._get_bool_param("ShowCacheNodeInfo", False)
        clusters = self.elasticache_backend.describe_cache_clusters(cache_cluster_id=cluster_id)
        return ActionResult({"CacheClusters": [cache_view(c, show) for c in clusters]})

    def create_cache_cluster_response(self):
        result = orig_create_cluster_response(self)
        cluster = self.elasticache_backend.cache_clusters[self._get_param("CacheClusterId")]
        return type(result)({"CacheCluster": cache_view(cluster, False)})

    def delete_cache_cluster_response(self):
        result = orig_delete_cluster_response(self)
        cluster_id = self._get_param("CacheClusterId")
        cluster = self.elasticache_backend.cache_clusters.get(cluster_id)
        return type(result)({"CacheCluster": cache_view(cluster, False)}) if cluster else result

    def delete_cache_subnet_group_response(self):
        from moto.core.responses import EmptyResult
        self.elasticache_backend.delete_cache_subnet_group(
            self._get_param("CacheSubnetGroupName"))
        return EmptyResult()

    orig_create_cluster_response = ElastiCacheResponse.create_cache_cluster
    orig_delete_cluster_response = ElastiCacheResponse.delete_cache_cluster
    CacheSubnetGroup.__init__ = group_init
    ElastiCacheBackend.create_cache_cluster = create_cache_cluster
    ElastiCacheBackend.delete_cache_cluster = delete_cache_cluster
    ElastiCacheBackend.delete_cache_subnet_group = delete_cache_subnet_group
    ElastiCacheBackend.create_replication_group = create_replication_group
    ElastiCacheBackend.delete_replication_group = delete_replication_group
    ElastiCacheResponse.describe_cache_clusters = describe_cache_clusters_response
    ElastiCacheResponse.create_cache_cluster = create_cache_cluster_response
    ElastiCacheResponse.delete_cache_cluster = delete_cache_cluster_response
    ElastiCacheResponse.delete_cache_subnet_group = delete_cache_subnet_group_response
