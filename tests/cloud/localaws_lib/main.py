"""`localaws serve`: moto + middleware on one port, the ALB proxy on another, the simulator
thread, a scenario, the env file and the ready file. SIGTERM or SIGINT stops it (exit 0)."""

import argparse
import gc
import json
import os
import signal
import sys
import threading
import time
import urllib.request

from werkzeug.serving import WSGIRequestHandler, make_server

from . import patches
from .app import LocalAWSApp, World
from .config import PROFILES, Config
from .faults import Faults
from .proxy import Proxy
from .scenario import SCENARIOS, write_env
from .sim import Simulator


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="localaws", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the local AWS until SIGTERM")
    serve.add_argument("--port", type=int, required=True, help="0 picks a free port")
    serve.add_argument("--alb-port", type=int, default=0, help="ALB proxy port (0: free)")
    serve.add_argument("--scenario", choices=sorted(SCENARIOS), default="prereqs")
    serve.add_argument("--env-out", metavar="PATH", help="write aws-resources.env here")
    serve.add_argument("--time-scale", type=float, default=None)
    serve.add_argument("--timing", choices=sorted(PROFILES), default="fast",
                       help="fast: the tests' clock; aws: AWS's durations (README)")
    serve.add_argument("--faults", metavar="JSON", help='{"seed":N,"rules":[...]} or @FILE')
    serve.add_argument("--seed", type=int, default=None)
    serve.add_argument("--ready-file", metavar="PATH")
    return parser.parse_args(argv)


def write_atomic(path, text):
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def wait_answering(url, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url + "/_localaws/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def serve(args):
    config = Config()
    config.apply(PROFILES[args.timing])
    if args.time_scale is not None:
        config.apply({"time_scale": args.time_scale})
    lock = threading.RLock()
    faults = Faults(args.seed)
    if args.faults:
        spec = args.faults
        if spec.startswith("@"):
            with open(spec[1:]) as f:
                spec = f.read()
        faults.load(json.loads(spec), args.seed)
    sim = Simulator(lock, config, args.seed)
    patches.install(sim)
    world = World(lock, config, faults, sim, args.seed)

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    app = LocalAWSApp(DomainDispatcherApplication(create_backend_app), world)
    server = make_server("127.0.0.1", args.port, app, threaded=True, request_handler=QuietHandler)
    endpoint = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, name="localaws-api", daemon=True).start()
    proxy = Proxy(world)
    alb_port = proxy.serve(args.alb_port)
    world.endpoint_url = endpoint
    world.alb_proxy = f"http://127.0.0.1:{alb_port}"

    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())

    wait_answering(endpoint)
    seed = SCENARIOS[args.scenario]
    env_file = None
    if seed is not None:
        def settle():
            with lock:
                sim.timers.settle()
        values = seed(endpoint, settle)
        if args.env_out:
            env_file = os.path.abspath(args.env_out)
            write_env(env_file, values)
    gc.collect()  # the scenario's boto3 clients and their service models
    world.stats.reset()  # the scenario's own calls are not the client's
    sim.start()
    ready = {"endpoint_url": endpoint, "alb_proxy": world.alb_proxy,
             "control_url": endpoint + "/_localaws", "env_file": env_file, "pid": os.getpid()}
    if args.ready_file:
        write_atomic(args.ready_file, json.dumps(ready) + "\n")
    print(json.dumps(ready), flush=True)

    while not stopping.wait(0.5):
        pass
    sim.stop()
    proxy.shutdown()
    server.shutdown()
    server.server_close()
    return 0


def main(argv):
    args = parse_args(argv)
    try:
        return serve(args)
    except (ValueError, OSError) as exc:
        print(f"localaws: {exc}", file=sys.stderr)
        return 1
