"""Which AWS call a request is, and the faults injected into it.

The service is the SigV4 signing name from the credential scope (elbv2 signs as
"elasticloadbalancing", cloudwatch as "monitoring"); the action comes from X-Amz-Target
(JSON protocols) or the Action form field (query and EC2 protocols).
"""

import json
import random
import re
import threading
import uuid
from urllib.parse import parse_qs

SCOPE_RE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")

# Names a rule may use for a service, mapped to the signing name.
SERVICE_ALIASES = {"elbv2": "elasticloadbalancing", "cloudwatch": "monitoring"}

JSON_THROTTLING = {"monitoring": "Throttling"}  # query-compatible JSON keeps the query code


# S3 (REST): the action from the method, whether a key is named, and the sub-resource.
S3_SUBRESOURCES = {
    "publicAccessBlock": "PublicAccessBlock", "encryption": "BucketEncryption",
    "versioning": "BucketVersioning", "ownershipControls": "BucketOwnershipControls",
    "policy": "BucketPolicy", "tagging": "BucketTagging", "lifecycle": "BucketLifecycleConfiguration",
    "location": "BucketLocation", "acl": "BucketAcl", "cors": "BucketCors",
}
S3_VERBS = {"GET": "Get", "PUT": "Put", "DELETE": "Delete"}


def s3_action(environ):
    method = environ.get("REQUEST_METHOD", "GET")
    parts = [p for p in environ.get("PATH_INFO", "").split("/") if p]
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    if not parts:
        return "ListBuckets"
    if len(parts) == 1:
        for key, name in S3_SUBRESOURCES.items():
            if key in query:
                if key == "location":
                    return "GetBucketLocation"
                return S3_VERBS.get(method, method.title()) + name
        if "versions" in query:
            return "ListObjectVersions"
        if "delete" in query and method == "POST":
            return "DeleteObjects"
        return {"PUT": "CreateBucket", "DELETE": "DeleteBucket", "HEAD": "HeadBucket",
                "GET": "ListObjectsV2" if query.get("list-type") == ["2"] else "ListObjects"
                }.get(method, method + " bucket")
    return {"PUT": "PutObject", "GET": "GetObject", "DELETE": "DeleteObject",
            "HEAD": "HeadObject"}.get(method, method + " object")


def classify(environ, body):
    """Return (service, action, protocol); protocol is json, ec2, query or rest-xml (s3)."""
    service = "unknown"
    m = SCOPE_RE.search(environ.get("HTTP_AUTHORIZATION", ""))
    if m:
        service = m.group(1)
    if service == "s3":
        return service, s3_action(environ), "rest-xml"
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return service, target.rsplit(".", 1)[-1], "json"
    action = None
    ctype = environ.get("CONTENT_TYPE", "")
    if body and "x-www-form-urlencoded" in ctype:
        action = (parse_qs(body.decode("utf-8", "replace")).get("Action") or [None])[0]
    if not action and environ.get("QUERY_STRING"):
        action = (parse_qs(environ["QUERY_STRING"]).get("Action") or [None])[0]
    if not action:
        path = environ.get("PATH_INFO", "")
        action = environ.get("REQUEST_METHOD", "GET") + " " + path.split("?")[0]
    return service, action, "ec2" if service == "ec2" else "query"


def normalise_service(name):
    return SERVICE_ALIASES.get(name, name)


class Rule:
    KEYS = {"service", "action", "error", "rate", "count", "latency_ms", "freeze_s", "status"}

    def __init__(self, spec):
        if not isinstance(spec, dict):
            raise ValueError("each rule must be a JSON object")
        unknown = set(spec) - self.KEYS
        if unknown:
            raise ValueError(f"unknown rule keys: {', '.join(sorted(unknown))}")
        self.service = normalise_service(str(spec.get("service", "*")))
        self.action = str(spec.get("action", "*"))
        self.error = spec.get("error")
        if self.error is not None and not isinstance(self.error, (str, int)):
            raise ValueError("error must be a code string or an HTTP status number")
        self.rate = spec.get("rate")
        self.count = spec.get("count")
        if self.rate is not None and not (isinstance(self.rate, (int, float)) and 0 <= self.rate <= 1):
            raise ValueError("rate must be a number between 0 and 1")
        if self.count is not None and not (isinstance(self.count, int) and self.count >= 0):
            raise ValueError("count must be an integer >= 0")
        self.latency_ms = float(spec.get("latency_ms") or 0)
        self.freeze_s = float(spec.get("freeze_s") or 0)
        self.status = spec.get("status")
        if self.error is None and not self.latency_ms and not self.freeze_s:
            raise ValueError("a rule needs error, latency_ms or freeze_s")

    def matches(self, service, action):
        return (self.service in ("*", service)) and (self.action in ("*", action))

    def fires(self, rng):
        if self.count is not None:
            if self.count <= 0:
                return False
            self.count -= 1
            return True
        if self.rate is not None:
            return rng.random() < self.rate
        return True

    def describe(self):
        d = {"service": self.service, "action": self.action}
        for key in ("error", "rate", "count", "status"):
            if getattr(self, key) is not None:
                d[key] = getattr(self, key)
        if self.latency_ms:
            d["latency_ms"] = self.latency_ms
        if self.freeze_s:
            d["freeze_s"] = self.freeze_s
        return d


class Faults:
    """The current rule list; `pick` is thread-safe and consumes counts and RNG draws."""

    def __init__(self, seed=None):
        self.lock = threading.Lock()
        self.rules = []
        self.rng = random.Random(seed)

    def load(self, spec, default_seed=None):
        if isinstance(spec, list):
            spec = {"rules": spec}
        if not isinstance(spec, dict):
            raise ValueError('faults must be {"seed":N,"rules":[...]}')
        unknown = set(spec) - {"seed", "rules"}
        if unknown:
            raise ValueError(f"unknown keys: {', '.join(sorted(unknown))}")
        rules = [Rule(r) for r in spec.get("rules") or []]
        seed = spec.get("seed", default_seed)
        with self.lock:
            self.rules = rules
            self.rng = random.Random(seed)

    def describe(self):
        with self.lock:
            return [r.describe() for r in self.rules]

    def pick(self, service, action):
        with self.lock:
            for rule in self.rules:
                if rule.matches(service, action) and rule.fires(self.rng):
                    return rule
        return None


def _status_and_code(error, service, protocol):
    """Map a rule's error to (HTTP status, AWS code) in the protocol's own terms."""
    if isinstance(error, int) or (isinstance(error, str) and error.isdigit()):
        status = int(error)
        if status == 503:
            return 503, "Unavailable" if protocol == "ec2" else "ServiceUnavailable"
        if status >= 500:
            if protocol in ("ec2", "rest-xml"):
                return status, "InternalError"
            return status, "ServerException" if service == "ecs" else "InternalFailure"
        return status, "ValidationError"
    if error == "Throttling":
        if protocol == "rest-xml":
            return 503, "SlowDown"
        if protocol == "ec2":
            return 503, "RequestLimitExceeded"
        if protocol == "json":
            return 400, JSON_THROTTLING.get(service, "ThrottlingException")
        return 400, "Throttling"
    if error in ("InternalError", "InternalFailure", "ServerException", "InternalServerError"):
        return 500, error
    if error in ("ServiceUnavailable", "Unavailable", "ServiceUnavailableException"):
        return 503, error
    if error in ("RequestLimitExceeded", "ThrottlingException"):
        return (503 if protocol == "ec2" else 400), error
    return 400, error


MESSAGES = {
    "RequestLimitExceeded": "Request limit exceeded.",
    "Throttling": "Rate exceeded",
    "ThrottlingException": "Rate exceeded",
    "SlowDown": "Please reduce your request rate.",
}


def error_response(rule, service, protocol, environ):
    """Return (status line, headers, body bytes) for the rule's error."""
    status, code = _status_and_code(rule.error, service, protocol)
    if rule.status:
        status = int(rule.status)
    if status >= 500 and code not in MESSAGES:
        message = "We encountered an internal error. Please try again." if status == 500 \
            else "Service is unavailable. Please try again later."
    else:
        message = MESSAGES.get(code, f"Injected fault: {code}")
    request_id = str(uuid.uuid4())
    fault_type = "Receiver" if status >= 500 else "Sender"
    headers = [("x-amzn-RequestId", request_id)]
    if protocol == "json":
        ctype = environ.get("CONTENT_TYPE") or "application/x-amz-json-1.1"
        body = json.dumps({"__type": code, "message": message}).encode()
        headers += [("Content-Type", ctype), ("x-amzn-query-error", f"{code};{fault_type}")]
    elif protocol == "rest-xml":
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error>'
                f"<Code>{code}</Code><Message>{message}</Message>"
                f"<RequestId>{request_id}</RequestId></Error>").encode()
        if environ.get("REQUEST_METHOD") == "HEAD":
            body = b""  # S3 answers HEAD errors with the status alone
        headers.append(("Content-Type", "application/xml"))
    elif protocol == "ec2":
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
                f"<Code>{code}</Code><Message>{message}</Message></Error></Errors>"
                f"<RequestID>{request_id}</RequestID></Response>").encode()
        headers.append(("Content-Type", "text/xml;charset=UTF-8"))
    else:
        body = ("<ErrorResponse><Error>"
                f"<Type>{fault_type}</Type><Code>{code}</Code><Message>{message}</Message>"
                f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>").encode()
        headers.append(("Content-Type", "text/xml"))
    headers.append(("Content-Length", str(len(body))))
    reason = {400: "Bad Request", 403: "Forbidden", 404: "Not Found",
              500: "Internal Server Error", 503: "Service Unavailable"}
    return f"{status} {reason.get(status, 'Error')}", headers, body
