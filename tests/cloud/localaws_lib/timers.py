"""Delayed state changes of resources AWS takes time over (NAT gateways, VPC endpoints, RDS
instances, cache clusters, ...): a patch schedules `fn` to run `delay` simulated seconds from
now under the world lock, keyed so that a later schedule for the same resource replaces it."""


class Timers:
    def __init__(self, sim):
        self.sim = sim
        self.pending = {}  # key -> (due, seq, fn)
        self.seq = 0

    def later(self, key, delay, fn):
        self.seq += 1
        self.pending[key] = (self.sim.now + max(0.0, float(delay)), self.seq, fn)

    def cancel(self, key):
        self.pending.pop(key, None)

    def scheduled(self, key):
        return key in self.pending

    def step(self):
        due = sorted((v[0], v[1], k) for k, v in self.pending.items() if v[0] <= self.sim.now + 1e-9)
        for _, seq, key in due:
            entry = self.pending.get(key)
            if entry is None or entry[1] != seq:
                continue  # replaced or cancelled by an earlier callback
            del self.pending[key]
            entry[2]()

    def settle(self, rounds=100):
        """Run every pending change now, and those they schedule, whatever their time: what a
        scenario seeds is already there when the server is ready."""
        for _ in range(rounds):
            if not self.pending:
                return
            for key, (_, seq, fn) in sorted(self.pending.items(), key=lambda kv: kv[1][1]):
                if self.pending.get(key, (None, None))[1] == seq:
                    del self.pending[key]
                    fn()
