#!/usr/bin/env python3
# awsphase's aws CLI worker: imports the installed CLI's own driver once and
# runs each command line awsphase sends it, as `aws ARGS...` would in a fresh
# process, answering exit code, stdout and stderr.  Run by awsphase with the
# aws script's own interpreter (core/worker.c):
#
#     PYTHON aws-worker /path/to/aws      serve on stdin/stdout
#
# Protocol (integers u32 big-endian; a frame is its length, then that many
# bytes, the first of which says what it is):
#   'H' u32 n, n bytes     hello: the driver is loaded ("aws-cli/2.9.19 ...")
#   'E' u32 n, n bytes     cannot serve (why), then exit 3; instead of 'H'
#   'Q' u32 nenv, {u32 n, "KEY=VALUE"}*, u32 nargv, {u32 n, arg}*
#                          request: env on top of ours for this call only,
#                          argv[0] the aws path as exec would have it
#   'R' i32 exit, u32 n, stdout, u32 m, stderr     the answer
# EOF on stdin ends the worker.
#
# Every call gets a fresh botocore session and CLI driver (so config,
# credentials, event handlers and plugins are resolved as in a new process);
# only the data loader, whose parsed service models never change, is shared.
# What a call may change in this process is put back afterwards: environment,
# sys.argv, stdio, logging handlers, the history recorder, warnings, SIGINT.
# With AWSPHASE_AWS_WORKER_TEST=echo it imports nothing and answers test
# commands instead (tests/unit/test-worker.c).
import os
import sys

PROTO_VERSION = 1
MAX_FRAME = 1 << 30


def read_exact(fd, n):
    chunks = []
    while n > 0:
        b = os.read(fd, min(n, 1 << 20))
        if not b:
            return None
        chunks.append(b)
        n -= len(b)
    return b"".join(chunks)


def read_frame(fd):
    head = read_exact(fd, 4)
    if head is None:
        return None
    n = int.from_bytes(head, "big")
    if n == 0 or n > MAX_FRAME:
        raise ValueError("bad frame length %d" % n)
    return read_exact(fd, n)


def write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def u32(n):
    return n.to_bytes(4, "big")


def send_reply(fd, rc, out, err):
    body = b"R" + (rc & 0xFFFFFFFF).to_bytes(4, "big") + u32(len(out)) + out + u32(len(err)) + err
    write_all(fd, u32(len(body)) + body)


def send_text(fd, kind, text):
    data = text.encode("utf-8", "replace")
    body = kind + u32(len(data)) + data
    write_all(fd, u32(len(body)) + body)


def parse_request(frame):
    if frame[:1] != b"Q":
        raise ValueError("unknown frame %r" % frame[:1])
    pos = 1
    lists = []
    for _ in range(2):
        count = int.from_bytes(frame[pos:pos + 4], "big")
        pos += 4
        items = []
        for _ in range(count):
            n = int.from_bytes(frame[pos:pos + 4], "big")
            pos += 4
            if pos + n > len(frame):
                raise ValueError("truncated request")
            items.append(os.fsdecode(frame[pos:pos + n]))
            pos += n
        lists.append(items)
    if pos != len(frame):
        raise ValueError("trailing bytes in request")
    return lists[0], lists[1]


def exit_status(code):
    """What sys.exit(code) would leave as the process's exit status."""
    if code is None:
        return 0
    if isinstance(code, bool):
        return int(code)
    if isinstance(code, int):
        return code & 0xFF
    sys.stderr.write("%s\n" % (code,))
    return 1


class Capture:
    """sys.stdin/stdout/stderr for one call, as a pipe would give them."""

    def __init__(self):
        import io
        self.io = io
        self.devnull = open(os.devnull, "r")
        out, err = sys.__stdout__, sys.__stderr__
        self.out_enc = (out.encoding, out.errors) if out else ("utf-8", "strict")
        self.err_enc = (err.encoding, err.errors) if err else ("utf-8", "backslashreplace")

    def begin(self):
        io = self.io
        self.saved = sys.stdin, sys.stdout, sys.stderr
        self.out = io.TextIOWrapper(io.BytesIO(), encoding=self.out_enc[0],
                                    errors=self.out_enc[1], write_through=True)
        self.err = io.TextIOWrapper(io.BytesIO(), encoding=self.err_enc[0],
                                    errors=self.err_enc[1], write_through=True)
        sys.stdin, sys.stdout, sys.stderr = self.devnull, self.out, self.err

    def end(self):
        for s in (self.out, self.err):
            try:
                s.flush()
            except Exception:
                pass
        sys.stdin, sys.stdout, sys.stderr = self.saved
        return self.out.buffer.getvalue(), self.err.buffer.getvalue()


class State:
    """What a call may change in this process, to put back after it."""

    def __init__(self, history):
        import logging
        import signal
        import warnings
        self.logging, self.signal, self.warnings = logging, signal, warnings
        self.history = history

    def save(self, env):
        logging = self.logging
        self.env = {}
        for item in env:
            key, _, value = item.partition("=")
            self.env.setdefault(key, os.environ.get(key))
            os.environ[key] = value
        self.argv = sys.argv
        manager = logging.Logger.manager
        self.loggers = {name: (lg.handlers[:], lg.level, lg.propagate, lg.disabled)
                        for name, lg in list(manager.loggerDict.items())
                        if isinstance(lg, logging.Logger)}
        root = logging.getLogger()
        self.root = (root.handlers[:], root.level)
        self.disable = logging.root.manager.disable
        if self.history is not None:
            self.hist = (self.history._enabled, self.history._handlers[:])
        self.sigint = self.signal.getsignal(self.signal.SIGINT)
        # entering invalidates the registries of warnings already shown, so a
        # warning shown once per process shows once per call
        self.warn = self.warnings.catch_warnings()
        self.warn.__enter__()

    def restore(self):
        logging = self.logging
        self.warn.__exit__(None, None, None)
        self.signal.signal(self.signal.SIGINT, self.sigint)
        if self.history is not None:
            self.history._enabled, self.history._handlers = self.hist[0], self.hist[1]
        for name, lg in list(logging.Logger.manager.loggerDict.items()):
            if not isinstance(lg, logging.Logger):
                continue
            handlers, level, propagate, disabled = self.loggers.get(name, ([], 0, True, False))
            lg.handlers[:] = handlers
            lg.level, lg.propagate, lg.disabled = level, propagate, disabled
        root = logging.getLogger()
        root.handlers[:], root.level = self.root
        logging.disable(self.disable)
        clear = getattr(logging.Logger.manager, "_clear_cache", None)
        if clear:  # Python 3.7+: the loggers' cached levels
            clear()
        sys.argv = self.argv
        for key, value in self.env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def load_cli(script):
    """Imports awscli as the aws script would; returns (run, version)."""
    with open(script, "rb") as f:
        text = f.read(65536)
    if b"awscli.clidriver" not in text or b"main()" not in text:
        raise RuntimeError("%s is not the aws CLI's own entry script" % script)
    # what the script does before importing the driver
    if os.environ.get("LC_CTYPE", "") == "UTF-8":
        os.environ["LC_CTYPE"] = "en_US.UTF-8"
    sys.path[0] = os.path.dirname(os.path.realpath(script))
    import awscli
    import awscli.clidriver as clidriver
    try:
        from awscli.botocore.history import get_global_history_recorder
    except ImportError:
        from botocore.history import get_global_history_recorder
    history = get_global_history_recorder()
    v2 = hasattr(clidriver, "AWSCLIEntryPoint")
    shared = {}

    def fresh_driver(args):
        driver = clidriver.create_clidriver(args) if v2 else clidriver.create_clidriver()
        loader = shared.get("loader")
        if loader is None:
            shared["loader"] = driver.session.get_component("data_loader")
        else:
            driver.session.register_component("data_loader", loader)
        return driver

    def run(args):
        driver = fresh_driver(args)
        if v2:
            return clidriver.AWSCLIEntryPoint(driver).main(args)
        rc = driver.main(args)
        clidriver.HISTORY_RECORDER.record("CLI_RC", rc, "CLI")
        return rc

    # load what every call needs: the CLI's command table, the service list
    fresh_driver(None)._get_command_table()
    version = "aws-cli/%s Python/%s v%d" % (awscli.__version__, sys.version.split()[0],
                                              2 if v2 else 1)
    return run, version, history


def echo_cli():
    """AWSPHASE_AWS_WORKER_TEST=echo: answers test commands, imports nothing.
    argv[1]: "sleep" S | "exit" N (dies mid-call) | "big" N | anything (echo)."""
    import json
    import time

    def run(args):
        if args[:1] == ["sleep"]:
            time.sleep(float(args[1]))
        elif args[:1] == ["exit"]:
            os._exit(int(args[1]))
        elif args[:1] == ["big"]:
            n = int(args[1])
            sys.stdout.write("x" * n)
            sys.stderr.write("y" * (n // 2))
            return 0
        keys = sorted(k for k in os.environ if k.startswith(("AWS_", "WORKER_TEST_")))
        sys.stdout.write(json.dumps({"argv": sys.argv, "env": {k: os.environ[k] for k in keys},
                                     "pid": os.getpid()}))
        sys.stderr.write("stderr \u00e9\n")
        return int(os.environ.get("WORKER_TEST_EXIT", "0"))

    return run, "echo Python/%s" % sys.version.split()[0], None


def serve(script):
    # the protocol moves off fds 0 and 1, which become /dev/null, so nothing
    # written there by a library or a child can corrupt a frame
    proto_in, proto_out = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)
    for fd in (proto_in, proto_out):
        os.set_inheritable(fd, False)

    import io
    boot = io.StringIO()
    saved_err = sys.stderr
    sys.stderr = boot
    try:
        if os.environ.get("AWSPHASE_AWS_WORKER_TEST") == "echo":
            run, version, history = echo_cli()
        else:
            run, version, history = load_cli(script)
    except BaseException as e:  # noqa: B902 -- anything means "use exec"
        sys.stderr = saved_err
        send_text(proto_out, b"E", "%s: %s" % (type(e).__name__, e))
        return 3
    sys.stderr = saved_err
    # what an exec'd aws prints to stderr while importing (deprecation
    # warnings...) it prints on every call
    preamble = boot.getvalue().encode(sys.__stderr__.encoding or "utf-8", "backslashreplace")

    import gc
    import traceback
    gc.collect()
    if hasattr(gc, "freeze"):  # Python 3.7+: what the import made is not scanned again
        gc.freeze()
    capture = Capture()
    state = State(history)
    send_text(proto_out, b"H", "%s proto/%d" % (version, PROTO_VERSION))
    while True:
        frame = read_frame(proto_in)
        if frame is None:
            return 0
        env, argv = parse_request(frame)
        state.save(env)
        capture.begin()
        try:
            # the kernel gives an exec'd script its own path as argv[0]
            sys.argv = [script] + argv[1:]
            rc = exit_status(run(argv[1:]))
        except SystemExit as e:
            rc = exit_status(e.code)
        except BaseException:  # noqa: B902 -- as the interpreter would report it
            traceback.print_exc()
            rc = 1
        out, err = capture.end()
        state.restore()
        send_reply(proto_out, rc, out, preamble + err if preamble else err)


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1].startswith("-"):
        sys.stderr.write("usage: aws-worker AWS_SCRIPT  (run by awsphase, protocol on stdin/stdout)\n")
        sys.exit(2)
    sys.exit(serve(sys.argv[1]))
