"""The WSGI middleware in front of moto: control API under /_localaws/, per-call statistics,
fault injection, and the one world lock every moto request and simulator step holds."""

import io
import threading
import time
from collections import Counter

from . import control
from .faults import classify, error_response


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.requests = Counter()
            self.faulted = Counter()

    def count(self, key, faulted):
        with self.lock:
            self.requests[key] += 1
            if faulted:
                self.faulted[key] += 1

    def snapshot(self):
        with self.lock:
            return {"requests": dict(sorted(self.requests.items())),
                    "faulted": dict(sorted(self.faulted.items())),
                    "total": sum(self.requests.values()),
                    "total_faulted": sum(self.faulted.values())}


class World:
    """What the middleware, control API, simulator and proxy share."""

    def __init__(self, lock, config, faults, sim, seed=None):
        self.lock = lock
        self.config = config
        self.faults = faults
        self.sim = sim
        self.seed = seed
        self.stats = Stats()
        self.alb_proxy = None
        self.endpoint_url = None


def read_body(environ):
    stream = environ.get("wsgi.input")
    length = environ.get("CONTENT_LENGTH")
    if stream is None:
        return b""
    if length:
        return stream.read(int(length))
    if environ.get("wsgi.input_terminated"):
        return stream.read()
    return b""


class LocalAWSApp:
    def __init__(self, moto_app, world):
        self.moto_app = moto_app
        self.world = world

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        body = read_body(environ)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        if path == "/_localaws" or path.startswith("/_localaws/"):
            return control.handle(self.world, environ, body, start_response)
        if not path.startswith("/moto-api"):
            service, action, protocol = classify(environ, body)
            rule = self.world.faults.pick(service, action)
            self.world.stats.count(f"{service}:{action}", rule is not None)
            if rule is not None:
                delay = rule.latency_ms / 1000.0 + rule.freeze_s
                if delay:
                    time.sleep(delay)  # outside the lock: only this connection waits
                if rule.error is not None:
                    status, headers, payload = error_response(rule, service, protocol, environ)
                    start_response(status, headers)
                    return [payload]
        result = self.call_moto(environ, start_response)
        if path.startswith("/moto-api/reset"):
            with self.world.lock:
                self.world.sim.tasks_by_ip.clear()
                self.world.sim.timers.pending.clear()
        return result

    def call_moto(self, environ, start_response):
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: captured.setdefault("early", []).append(data)

        with self.world.lock:
            result = self.moto_app(environ, capture)
            try:
                payload = b"".join(captured.get("early", []) + list(result))
            finally:
                if hasattr(result, "close"):
                    result.close()
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(payload))))
        start_response(captured["status"], headers)
        return [payload]
