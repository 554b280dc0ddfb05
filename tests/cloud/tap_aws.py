"""Support for test-localaws: TAP output, a local AWS started with localaws-start, and the
real aws CLIs.

The aws CLI v2 runs in this process: /usr/bin/aws is `awscli.clidriver.main()` under
/usr/bin/python3, and one reused driver answers a call in ~25 ms instead of ~1 s a process.
The CLI v1 runs the same way in one child process of its own interpreter. A few calls go
through real `aws` processes too (CLI.process)."""

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
import traceback
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))

CLEAN_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
             "AWS_DEFAULT_REGION": "us-east-2", "AWS_PAGER": "",
             "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}


def clean_environment():
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE",
                "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY"):
        os.environ.pop(key, None)
    os.environ.update(CLEAN_ENV)


class TAP:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, desc, *diag):
        self.n += 1
        print(f"{'ok' if cond else 'not ok'} {self.n} - {desc}", flush=True)
        if not cond:
            self.failed += 1
            for line in diag:
                self.diag(line)
        return bool(cond)

    def is_(self, got, want, desc):
        return self.ok(got == want, desc, f"got:  {got!r}", f"want: {want!r}")

    def like(self, text, pattern, desc):
        text = text if isinstance(text, str) else json.dumps(text, default=str)
        return self.ok(re.search(pattern, text or ""), desc,
                       f"no match for /{pattern}/ in:", (text or "")[-1500:])

    @staticmethod
    def diag(text):
        for line in str(text).splitlines() or [""]:
            print(f"# {line}", flush=True)

    def section(self, name, fn, *args):
        self.diag(f"--- {name}")
        started = time.monotonic()
        try:
            fn(*args)
        except Exception:
            self.ok(False, f"{name}: ran to the end", traceback.format_exc())
        self.diag(f"    {name}: {time.monotonic() - started:.1f} s")

    def finish(self):
        print(f"1..{self.n}", flush=True)
        return 0 if self.failed == 0 else 1


class Result:
    def __init__(self, rc, out, err):
        self.rc, self.out, self.err = rc, out, err

    def json(self):
        return json.loads(self.out) if self.out.strip() else {}

    def __repr__(self):
        return f"rc={self.rc} out={self.out[:800]!r} err={self.err[:800]!r}"


TOLERANT_BOOL_PAIRS = r"""
import awscli.customizations.toplevelbool as _toplevelbool
_validate = _toplevelbool.validate_boolean_mutex_groups
def _tolerant(boolean_pairs, parsed_args, **kwargs):
    pairs = [(p, n) for p, n in boolean_pairs
             if hasattr(parsed_args, p.py_name) and hasattr(parsed_args, n.py_name)]
    return _validate(pairs, parsed_args, **kwargs)
_toplevelbool.validate_boolean_mutex_groups = _tolerant
"""


def tolerate_reused_driver():
    """An ec2 command with `--flag/--no-flag` booleans (modify-vpc-attribute --enable-dns-support,
    create-subnet ...) registers, in both CLIs, a check on 'operation-args-parsed.ec2.*' that
    stays in the reused driver and fails every later ec2 command ('Namespace' object has no
    attribute 'enable_dns_hostnames'). A real `aws` process builds one command and exits, so
    the check is made to skip the arguments the current command does not have."""
    exec(TOLERANT_BOOL_PAIRS, {})


class CLIv2:
    """aws CLI v2 (awscli 2.x under /usr/bin/python3), in process."""

    def __init__(self, endpoint):
        from awscli.clidriver import create_clidriver
        tolerate_reused_driver()
        self.driver = create_clidriver()
        self.endpoint = endpoint

    def run(self, *argv, env=None):
        out, err = io.StringIO(), io.StringIO()
        saved = {k: os.environ.get(k) for k in (env or {})}
        os.environ.update(env or {})
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    rc = self.driver.main(["--endpoint-url", self.endpoint] + [str(a) for a in argv])
                except SystemExit as exc:
                    rc = exc.code
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        return Result(rc, out.getvalue(), err.getvalue())

    def j(self, *argv, **kw):
        res = self.run(*argv, **kw)
        if res.rc != 0:
            raise AssertionError(f"aws {' '.join(map(str, argv))} failed: {res}")
        return res.json()


V1_RUNNER = TOLERANT_BOOL_PAIRS + r"""
import contextlib, io, json, sys
from awscli.clidriver import create_clidriver
driver = create_clidriver()
for line in sys.stdin:
    argv = json.loads(line)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = driver.main(argv)
        except SystemExit as exc:
            rc = exc.code
    sys.stdout.write(json.dumps([rc, out.getvalue(), err.getvalue()]) + "\n")
    sys.stdout.flush()
"""


def v1_aws():
    """The aws CLI v1 on PATH (not /usr/bin's v2) and its interpreter."""
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep)
                           if os.path.realpath(p) != "/usr/bin")
    aws = shutil.which("aws", path=path)
    if aws is None:
        return None, None
    with open(aws, "rb") as f:
        first = f.readline().decode(errors="replace")
    interp = first[2:].strip().split()[0] if first.startswith("#!") else None
    if interp and interp.endswith("/env"):
        interp = shutil.which(first[2:].split()[1], path=path)
    if interp is None:  # a pyenv shim: ask it
        probe = subprocess.run([aws, "--version"], capture_output=True, text=True)
        if probe.returncode != 0:
            return None, None
        interp = shutil.which("python3", path=path)
    return aws, interp


class CLIv1:
    """aws CLI v1, in one child process of its own Python."""

    def __init__(self, endpoint, interpreter):
        self.endpoint = endpoint
        self.proc = subprocess.Popen([interpreter, "-c", V1_RUNNER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=dict(os.environ))

    def run(self, *argv):
        self.proc.stdin.write(json.dumps(["--endpoint-url", self.endpoint]
                                         + [str(a) for a in argv]) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError("the aws CLI v1 runner died")
        return Result(*json.loads(line))

    def j(self, *argv):
        res = self.run(*argv)
        if res.rc != 0:
            raise AssertionError(f"aws(v1) {' '.join(map(str, argv))} failed: {res}")
        return res.json()

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


def aws_process(binary, endpoint, *argv, env=None):
    """One real `aws` process."""
    proc = subprocess.run([binary, "--endpoint-url", endpoint] + [str(a) for a in argv],
                          capture_output=True, text=True, env=dict(os.environ, **(env or {})))
    return Result(proc.returncode, proc.stdout, proc.stderr)


class LocalAWS:
    """A local AWS started by localaws-start in `directory`."""

    def __init__(self, directory, *serve_args):
        self.dir = directory
        proc = subprocess.run([os.path.join(HERE, "localaws-start"), directory, *serve_args],
                              capture_output=True, text=True, timeout=60)
        self.start_rc, self.start_out, self.start_err = proc.returncode, proc.stdout, proc.stderr
        self.vars = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
        self.pid = int(self.vars.get("LOCALAWS_PID", 0))
        self.endpoint = self.vars.get("LOCALAWS_ENDPOINT")
        self.control = self.vars.get("LOCALAWS_CONTROL")
        self.alb_proxy = self.vars.get("LOCALAWS_ALB_PROXY")

    def env_file(self):
        return os.path.join(self.dir, "aws-resources.env")

    def env(self):
        values = {}
        with open(self.env_file()) as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith("#"):
                    key, value = line.split("=", 1)
                    values[key] = value.strip('"')
        return values

    def ctl(self, path, body=None, expect_error=False):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.control}/{path}", data=data,
                                     method="GET" if body is None else "POST",
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            if not expect_error:
                raise
            return {"status": exc.code, **json.loads(exc.read())}

    def http(self, url, timeout=10):
        """GET through the ALB proxy: (status, headers, body)."""
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": self.alb_proxy}))
        try:
            with opener.open(url, timeout=timeout) as resp:
                return resp.status, dict(resp.headers), resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read().decode()

    def stop(self):
        subprocess.run([os.path.join(HERE, "localaws-stop"), str(self.pid)], timeout=30)


def wait_until(fn, timeout, interval=0.1):
    """Call fn until it returns something truthy; return that, or None at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


def skip_all(reason):
    print(f"1..0 # SKIP {reason}", flush=True)
    sys.exit(0)
