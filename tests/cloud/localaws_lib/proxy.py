"""The ALB, as an HTTP proxy: clients send absolute-form requests (curl and libcurl do under
http_proxy) or origin-form with a Host header. A host equal to an active load balancer's DNS
name, on a port with an HTTP listener, is served from a healthy target of the listener's
target group by a stand-in for the kaviar backend."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from .backends import elbv2
from .checks import alb_admits_client
from .ecr import built_as

ALB_503 = (b"<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n"
           b"<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n"
           b"</body>\r\n</html>\r\n")


class Proxy:
    def __init__(self, world):
        self.world = world
        self.rr = 0
        self.server = None

    def route(self, host, port, path):
        """(status, content type, body, from_alb) for one request; caller holds the lock."""
        backend = elbv2()
        lb = next((b for b in backend.load_balancers.values()
                   if b.dns_name.lower() == host.lower() and b.state == "active"
                   and getattr(b, "_sim_deleting_at", None) is None), None)
        if lb is None:
            return None, 502, "text/plain", f"502 Bad Gateway: unknown host {host}\n".encode()
        if not alb_admits_client(lb, port, self.world.config["client_ip"]):
            return lb, 504, "text/plain", b"504 Gateway Timeout: connection to the load " \
                                          b"balancer timed out\n"
        listener = next((ln for ln in lb.listeners.values()
                         if str(ln.port) == str(port) and ln.protocol == "HTTP"), None)
        if listener is None:
            return lb, 504, "text/plain", f"504 Gateway Timeout: nothing listens on port " \
                                          f"{port}\n".encode()
        action = listener.default_actions[0].data if listener.default_actions else {}
        if action.get("Type") == "fixed-response":
            conf = action.get("FixedResponseConfig") or {}
            return lb, int(conf.get("StatusCode", 200)), conf.get("ContentType", "text/plain"), \
                str(conf.get("MessageBody", "")).encode()
        tg_arns = backend._get_target_group_arns_from(action_data=action)
        healthy = []
        for arn in tg_arns:
            tg = backend.target_groups.get(arn)
            for tid, rec in (getattr(tg, "_sim_health", None) or {}).items():
                if rec.state == "healthy" and rec.drain_until is None:
                    healthy.append((tg, tid, rec.port))
        if not healthy:
            return lb, 503, "text/html", ALB_503
        self.rr += 1
        tg, ip, tport = healthy[self.rr % len(healthy)]
        if path.split("?")[0] == self.world.config["backend_health_path"]:
            body = {"success": True, "status": "ok", "service": "kaviar-backend",
                    "version": self.version(ip), "target": f"{ip}:{tport}"}
            return lb, 200, "application/json; charset=utf-8", json.dumps(body).encode()
        body = {"success": False, "error": f"Cannot GET {path.split('?')[0]}"}
        return lb, 404, "application/json; charset=utf-8", json.dumps(body).encode()

    def version(self, ip):
        """What the app reports as its version: the one its image was built with, which the
        stand-in takes to be the tag its ECR image was first pushed with (ecr.built_as: so
        repo@sha256:… of an image pushed as v2 says "v2"), else its container's image
        reference, the tag after ':' or the digest after '@'; "" for a target that is no task."""
        task = self.world.sim.tasks_by_ip.get(ip)
        image = (task.containers[0].image or "") if task is not None and task.containers else ""
        built = built_as(image)
        if built:
            return built
        name = image.rsplit("/", 1)[-1]
        for sep in ("@", ":"):
            if sep in name:
                return name.split(sep, 1)[1]
        return "latest" if name else ""

    def handle(self, handler):
        target = handler.path
        if target.startswith("http://") or target.startswith("https://"):
            parts = urlsplit(target)
            host, port = parts.hostname or "", parts.port or 80
            path = parts.path or "/"
            if parts.query:
                path += "?" + parts.query
        else:
            hostport = handler.headers.get("Host", "")
            host, _, port = hostport.partition(":")
            port = int(port) if port.isdigit() else 80
            path = target
        with self.world.lock:
            lb, status, ctype, body = self.route(host, port, path)
            if lb is not None:
                self.world.sim.record_request(lb, status)
        if status == 504:
            time.sleep(self.world.config["client_timeout_s"])
        handler.server_name_header = "awselb/2.0" if status in (502, 503, 504) else "kaviar"
        handler.send_response(status)
        handler.send_header("Content-Type", ctype)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(body)

    def serve(self, port):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            server_name_header = "awselb/2.0"

            def log_message(self, fmt, *args):
                pass

            def version_string(self):
                return self.server_name_header

            def do_CONNECT(self):
                self.send_error(405, "CONNECT is not supported: the ALB listens on HTTP only")

            def _any(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                proxy.handle(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, name="localaws-alb",
                         daemon=True).start()
        return self.server.server_address[1]

    def shutdown(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
