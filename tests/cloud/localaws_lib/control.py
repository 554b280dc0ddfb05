"""The control API, JSON over HTTP under /_localaws/ on the moto port (see README.md)."""

import json
from collections import Counter

from .backends import ec2, ecs, elbv2, iam, logs


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
