"""Target health as an ALB sees it, and load balancers provisioning -> active -> gone.

A registered target starts `initial` (Elb.RegistrationInProgress); health checks then run every
interval and move it to `healthy` after healthy-threshold passes or `unhealthy` after
unhealthy-threshold failures. A check passes when the target is a RUNNING task whose application
has started (app_start_s), the security groups let the ALB reach it (checks.alb_reaches) and the
health-check path is the backend's. Deregistered targets are `draining` for the deregistration
delay, then gone. The figures are the config's (health_initial_s, interval_s, thresholds, drain_s)
or, with group_timing, each target group's own: the first check one interval after registration,
a check that times out counted HealthCheckTimeoutSeconds after it began, and the group's
deregistration_delay.timeout_seconds.
"""

from moto.elbv2.models import FakeHealthStatus

from .backends import elbv2
from .checks import alb_reaches

REASONS = {
    "initial": ("Elb.RegistrationInProgress", "Target registration is in progress"),
    "unused": ("Target.NotInUse", "Target group is not configured to receive traffic from the "
                                  "load balancer"),
    "draining": ("Target.DeregistrationInProgress", "Target deregistration is in progress"),
    "timeout": ("Target.Timeout", "Request timed out"),
    "notregistered": ("Target.NotRegistered", "Target is not registered to the target group"),
}


class TargetHealth:
    def __init__(self, port, now, first_check):
        self.port = port
        self.state = "initial"
        self.reason, self.description = REASONS["initial"]
        self.ok_streak = 0
        self.fail_streak = 0
        self.next_check = now + first_check
        self.drain_until = None
        self.verdict = None   # (when, probe result) of a check still waiting for its timeout


def records(tg):
    if not hasattr(tg, "_sim_health"):
        tg._sim_health = {}
    return tg._sim_health


class Health:
    def __init__(self, sim):
        self.sim = sim

    # ---- hooks from the patched FakeTargetGroup.register/deregister ------------------------

    def registered(self, tg, target_id, port):
        recs = records(tg)
        rec = recs.get(target_id)
        if rec is None or rec.drain_until is not None:
            recs[target_id] = TargetHealth(port, self.sim.now, self.timing(tg)["initial"])

    def deregistered(self, tg, target_id, port):
        rec = records(tg).get(target_id) or TargetHealth(port, self.sim.now, 0)
        rec.state = "draining"
        rec.reason, rec.description = REASONS["draining"]
        rec.drain_until = self.sim.now + self.drain_s(tg)
        records(tg)[target_id] = rec

    # ---- the figures: the config's, or with group_timing the group's own ------------------

    def timing(self, tg):
        cfg = self.sim.config
        if not cfg["group_timing"]:
            return {"initial": cfg["health_initial_s"], "interval": cfg["interval_s"],
                    "timeout": 0.0, "healthy": cfg["healthy_threshold"],
                    "unhealthy": cfg["unhealthy_threshold"]}
        interval = float(tg.health_check_interval_seconds)
        return {"initial": interval, "interval": interval,
                "timeout": float(tg.health_check_timeout_seconds),
                "healthy": int(tg.healthy_threshold_count),
                "unhealthy": int(tg.unhealthy_threshold_count)}

    def drain_s(self, tg):
        if tg is None or not self.sim.config["group_timing"]:
            return self.sim.config["drain_s"]
        return float(tg.attributes.get("deregistration_delay.timeout_seconds", 300))

    # ---- queries --------------------------------------------------------------------

    def state(self, tg_arn, target_id):
        tg = elbv2().target_groups.get(tg_arn)
        rec = records(tg).get(target_id) if tg is not None else None
        return rec.state if rec is not None else None

    def describe(self, tg, targets):
        """FakeHealthStatus list for describe-target-health."""
        recs = records(tg)
        if not targets:
            ids = list(tg.targets) + [i for i, r in recs.items()
                                      if r.drain_until is not None and i not in tg.targets]
            targets = [{"Id": i} for i in ids]
        out = []
        for target in targets:
            tid = target["Id"]
            rec = recs.get(tid)
            port = target.get("Port") or (rec.port if rec else tg.port)
            hc_port = str(port) if tg.health_check_port in (None, "traffic-port") \
                else tg.health_check_port
            if rec is None or (tid not in tg.targets and rec.drain_until is None):
                state, (reason, desc) = "unused", REASONS["notregistered"]
            else:
                state, reason, desc = rec.state, rec.reason, rec.description
            if state == "healthy":
                reason = desc = None
            out.append(FakeHealthStatus(tid, str(port), hc_port, state, reason, desc))
        return out

    def balancers_for(self, tg):
        """Active, not deleting load balancers with a listener forwarding to the group."""
        return [lb for lb in elbv2().load_balancers.values()
                if lb.state == "active" and getattr(lb, "_sim_deleting_at", None) is None
                and tg.arn in self.forwarded_arns(lb)]

    def any_balancer(self, tg):
        return any(tg.arn in self.forwarded_arns(lb) for lb in elbv2().load_balancers.values())

    @staticmethod
    def forwarded_arns(lb):
        backend = elbv2()
        arns = set()
        for listener in lb.listeners.values():
            for rule in listener.rules.values():
                for action in rule.actions:
                    arns.update(backend._get_target_group_arns_from(action_data=action.data))
        return arns

    # ---- each tick ----------------------------------------------------------------------

    def step(self):
        now = self.sim.now
        for tg in list(elbv2().target_groups.values()):
            recs = records(tg)
            tm = self.timing(tg)
            lbs = None
            for tid, rec in list(recs.items()):
                if rec.drain_until is not None:
                    if now >= rec.drain_until:
                        del recs[tid]
                    continue
                if tid not in tg.targets:
                    del recs[tid]
                    continue
                if lbs is None:
                    lbs = self.balancers_for(tg)
                if not lbs:
                    if self.any_balancer(tg):   # the load balancer is still provisioning
                        if self.sim.config["group_timing"]:  # checks start once it is active
                            rec.next_check = max(rec.next_check, now + tm["initial"])
                        continue
                    rec.state = "unused"
                    rec.reason, rec.description = REASONS["unused"]
                    continue
                if rec.state == "unused":
                    rec.state = "initial"
                    rec.reason, rec.description = REASONS["initial"]
                    rec.next_check = now + tm["initial"]
                    continue
                checks = 0
                while (rec.verdict or rec.next_check <= now) and checks < 100:
                    if rec.verdict and rec.verdict[0] <= min(now, rec.next_check):
                        self.judge(tg, tid, rec, tm, rec.verdict[1])
                        rec.verdict = None
                        continue
                    if rec.next_check > now:
                        break
                    checks += 1
                    began = rec.next_check
                    rec.next_check += max(tm["interval"], 0.01)
                    result = self.probe(tg, tid, rec.port, lbs)
                    if result[1] == "Target.Timeout" and tm["timeout"] > 0:
                        rec.verdict = (began + tm["timeout"], result)
                    else:
                        self.judge(tg, tid, rec, tm, result)

    def judge(self, tg, tid, rec, tm, result):
        ok, reason, desc = result
        if ok:
            rec.ok_streak += 1
            rec.fail_streak = 0
        else:
            rec.fail_streak += 1
            rec.ok_streak = 0
        old = rec.state
        need = 1 if old == "initial" and self.sim.config["group_timing"] and \
            self.sim.config["new_target_one_check"] else tm["healthy"]
        if old in ("initial", "unhealthy") and ok and rec.ok_streak >= need:
            rec.state = "healthy"
            rec.reason = rec.description = None
        elif old in ("initial", "healthy", "unhealthy") and not ok and \
                rec.fail_streak >= tm["unhealthy"]:
            rec.state = "unhealthy"
            rec.reason, rec.description = reason, desc
        if rec.state == "unhealthy" and old != "unhealthy":
            self.sim.target_unhealthy(tg, tid, rec.port, desc)

    def probe(self, tg, tid, port, lbs):
        task = self.sim.tasks_by_ip.get(tid)
        hc_port = port if tg.health_check_port in (None, "traffic-port") else int(tg.health_check_port)
        if task is None or task.last_status != "RUNNING" or hc_port != port:
            return (False,) + REASONS["timeout"]
        if not all(alb_reaches(lb, tid, port) for lb in lbs):
            return (False,) + REASONS["timeout"]
        if self.sim.now < task._sim.running_since + self.sim.config["app_start_s"]:
            return False, "Target.FailedHealthChecks", "Health checks failed"
        path = (tg.health_check_path or "/").split("?")[0]
        codes = str((getattr(tg, "matcher", None) or {}).get("HttpCode", "200"))
        status = 200 if path == self.sim.config["backend_health_path"] else 404
        if not code_matches(codes, status):
            return (False, "Target.ResponseCodeMismatch",
                    f"Health checks failed with these codes: [{status}]")
        return True, None, None

    # ---- load balancers -------------------------------------------------------------------

    def step_balancers(self):
        now = self.sim.now
        cfg = self.sim.config
        backend = elbv2()
        for arn, lb in list(backend.load_balancers.items()):
            born = getattr(lb, "_sim_created_at", None)
            if born is None:
                lb._sim_created_at = born = now
            deleting = getattr(lb, "_sim_deleting_at", None)
            if deleting is not None and now >= deleting + cfg["lb_delete_s"]:
                del backend.load_balancers[arn]
                for tg in backend.target_groups.values():
                    if arn in tg.load_balancer_arns:
                        tg.load_balancer_arns.remove(arn)
            elif lb.state == "provisioning" and now >= born + cfg["lb_provisioning_s"]:
                lb.state = "active"


def code_matches(spec, status):
    for part in spec.split(","):
        part = part.strip()
        if "-" in part:
            lo, hi = part.split("-", 1)
            if int(lo) <= status <= int(hi):
                return True
        elif part and int(part) == status:
            return True
    return False
