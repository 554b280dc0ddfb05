"""The control API, JSON over HTTP under /_localaws/ on the moto port (see README.md)."""

import json
from collections import Counter

from .backends import backend, ec2, ecs, elbv2, iam, logs
from .network import GONE_NAT, GONE_VPCE, short_service


def _reply(start_response, status, obj):
    body = (json.dumps(obj, indent=1, sort_keys=True, default=str) + "\n").encode()
    start_response(status, [("Content-Type", "application/json"),
                            ("Content-Length", str(len(body)))])
    return [body]


def _json_body(body):
    if not body.strip():
        return {}
    return json.loads(body)


def handle(world, environ, body, start_response):
    method = environ.get("REQUEST_METHOD", "GET")
    path = environ.get("PATH_INFO", "").rstrip("/")[len("/_localaws"):] or "/"
    route = ROUTES.get((method, path))
    if route is None:
        known = sorted(f"{m} /_localaws{p}" for m, p in ROUTES)
        return _reply(start_response, "404 Not Found",
                      {"error": f"no such control call: {method} {path}", "known": known})
    try:
        return _reply(start_response, "200 OK", route(world, _json_body(body)))
    except (ValueError, TypeError) as exc:
        return _reply(start_response, "400 Bad Request", {"error": str(exc)})


def health(world, _):
    with world.lock:
        return {"ok": True, "sim_time": round(world.sim.now, 3), "sim_errors": world.sim.errors}


def stats(world, _):
    return world.stats.snapshot()


def stats_reset(world, _):
    world.stats.reset()
    return world.stats.snapshot()


def faults_get(world, _):
    return {"rules": world.faults.describe()}


def faults_set(world, spec):
    world.faults.load(spec, world.seed)
    return {"rules": world.faults.describe()}


def config_get(world, _):
    with world.lock:
        return dict(world.config)


def config_set(world, changes):
    with world.lock:
        world.config.apply(changes)
        return dict(world.config)


def tick(world, req):
    seconds = req.get("seconds", 1)
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
        raise ValueError("seconds must be a number >= 0")
    with world.lock:
        world.sim.advance(seconds)
        return {"sim_time": round(world.sim.now, 3)}


def resources(world, _):
    with world.lock:
        return snapshot_resources()


def snapshot_resources():
    groups = [g for vpc in ec2().groups.values() for g in vpc.values()]
    sg_names = Counter(g.name for g in groups)
    ingress = Counter()
    for g in groups:
        ingress[g.name] += len(g.ingress_rules)
    elb = elbv2()
    services = {}
    active = Counter()
    for svc in ecs().services.values():
        deployments = getattr(svc, "deployments", [])
        entry = {"status": svc.status, "cluster": svc.cluster_name,
                 "desired": svc.desired_count, "running": svc.running_count,
                 "pending": svc.pending_count, "task_definition": svc.task_definition,
                 "deployments": len(deployments),
                 "rollout_state": deployments[0].get("rolloutState") if deployments else None}
        if svc.status != "INACTIVE":
            active[svc.name] += 1
        if svc.name not in services or svc.status != "INACTIVE":
            services[svc.name] = entry
    for name, entry in services.items():
        entry["count"] = active[name]
    tasks = Counter(t.last_status for ts in ecs().tasks.values() for t in ts.values())
    revisions = {fam: len(revs) for fam, revs in ecs().task_definitions.items()}
    return {
        "security_groups": dict(sorted(sg_names.items())),
        "ingress_rules": dict(sorted(ingress.items())),
        "load_balancers": len(elb.load_balancers),
        "load_balancer_names": sorted(lb.name for lb in elb.load_balancers.values()),
        "target_groups": len(elb.target_groups),
        "target_group_names": sorted(tg.name for tg in elb.target_groups.values()),
        "listeners": sum(len(lb.listeners) for lb in elb.load_balancers.values()),
        "services": services,
        "active_services": sum(active.values()),
        "tasks": dict(tasks),
        "task_definition_revisions": revisions,
        "log_groups": sorted(logs().groups),
        "roles": sorted(r.name for r in iam().get_roles()),
        "clusters": sum(1 for c in ecs().clusters.values() if c.status == "ACTIVE"),
        "cluster_names": sorted(c.name for c in ecs().clusters.values() if c.status == "ACTIVE"),
        "network_interfaces": len(ec2().enis),
        "task_network_interfaces": sum(1 for e in ec2().enis.values()
                                       if str(e.description).startswith("arn:aws:ecs:")),
        **phase_resources(),
    }


def _name(resource):
    tags = {t["key"]: t["value"] for t in resource.get_tags()}
    return tags.get("Name", resource.id)


def phase_resources():
    """What phases 1, 3 and 4A make, outside moto's default VPC: counts, names (the Name tag, else
    the id) and states, for "exactly one of each" and "none left" checks."""
    e = ec2()
    default_vpcs = {v.id for v in e.vpcs.values() if v.is_default}
    vpcs = [v for v in e.vpcs.values() if not v.is_default]
    subnets = [s for az in e.subnets.values() for s in az.values()
               if s.vpc_id not in default_vpcs]
    route_tables = [rt for rt in e.route_tables.values()
                    if rt.vpc_id not in default_vpcs and rt.main_association_id is None]
    igws = [g for g in e.internet_gateways.values()
            if g.vpc is None or g.vpc.id not in default_vpcs]
    nats = list(e.nat_gateways.values())
    endpoints = list(e.vpc_end_points.values())
    live_endpoints = [ep for ep in endpoints if ep.state not in GONE_VPCE]
    rds = backend("rds")
    cache = backend("elasticache")
    s3 = backend("s3", region="aws")
    sqs = backend("sqs")
    secrets = list(dict.values(backend("secretsmanager").secrets))
    ssm = backend("ssm")
    ecr = backend("ecr")
    return {
        "vpcs": len(vpcs), "vpc_names": sorted(_name(v) for v in vpcs),
        "subnets": len(subnets), "subnet_names": sorted(_name(s) for s in subnets),
        "route_tables": len(route_tables),  # not counting each VPC's main route table
        "route_table_names": sorted(_name(rt) for rt in route_tables),
        "internet_gateways": len(igws), "internet_gateway_names": sorted(_name(g) for g in igws),
        "nat_gateways": sum(1 for n in nats if n.state not in GONE_NAT),  # pending/available/deleting
        "nat_gateway_states": dict(Counter(n.state for n in nats)),
        "elastic_ips": len(e.addresses),
        "vpc_endpoints": len(live_endpoints),  # pending, available or deleting
        "vpc_endpoint_services": sorted(short_service(ep.service_name) for ep in live_endpoints),
        "vpc_endpoint_states": dict(Counter(ep.state for ep in endpoints)),
        "db_instances": len(rds.databases),
        "db_instance_states": {i: db.status for i, db in rds.databases.items()},
        "db_subnet_groups": sorted(rds.subnet_groups),
        "db_snapshots": sorted(i for i, snap in rds.database_snapshots.items()
                               if getattr(snap, "snapshot_type", "manual") == "manual"),
        "cache_clusters": len(cache.cache_clusters),
        "cache_cluster_states": {i: c.cache_cluster_status for i, c in cache.cache_clusters.items()},
        "cache_subnet_groups": sorted(cache.cache_subnet_groups),
        "replication_groups": {i: g.status for i, g in cache.replication_groups.items()},
        "buckets": len(s3.buckets), "bucket_names": sorted(s3.buckets),
        "queues": len(sqs.queues), "queue_names": sorted(sqs.queues),
        "secrets": sum(1 for x in secrets if not x.is_deleted()),
        "secret_names": sorted(x.name for x in secrets if not x.is_deleted()),
        "secrets_scheduled_for_deletion": sorted(x.name for x in secrets if x.is_deleted()),
        "ssm_parameters": sorted(ssm._parameters),
        "repositories": len(ecr.repositories), "repository_names": sorted(ecr.repositories),
        "images": {name: len(repo.images) for name, repo in ecr.repositories.items()},
    }


ROUTES = {
    ("GET", "/health"): health,
    ("GET", "/stats"): stats,
    ("POST", "/stats/reset"): stats_reset,
    ("GET", "/faults"): faults_get,
    ("POST", "/faults"): faults_set,
    ("GET", "/config"): config_get,
    ("POST", "/config"): config_set,
    ("POST", "/tick"): tick,
    ("GET", "/resources"): resources,
}
