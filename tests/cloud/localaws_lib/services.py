"""Phase 3's S3, SQS, Secrets Manager and SSM parameters as AWS does them, where moto 5.2.1
does not (see README "Phases 1, 3 and 4A"): S3 refuses the bucket names AWS refuses and gives
a new bucket AWS's defaults (public access blocked, SSE-S3, BucketOwnerEnforced); SQS answers
queue URLs as https://sqs.REGION.amazonaws.com/ACCOUNT/NAME, its redrive policy as AWS writes
it, and refuses a name deleted less than sqs_deleted_recently_s ago; Secrets Manager refuses a
name scheduled for deletion, and a new value for such a secret; an SSM SecureString read without
decryption is ciphertext.
"""

import base64
import hashlib
import ipaddress
import json
import re

from moto.s3.exceptions import InvalidBucketName
from moto.s3.models import PublicAccessBlock, S3Backend
from moto.secretsmanager.exceptions import InvalidRequestException
from moto.secretsmanager.models import SecretsManagerBackend
from moto.sqs.exceptions import SQSException
from moto.sqs.models import Queue, SQSBackend
from moto.ssm.models import Parameter

SIM = None

DEFAULT_ENCRYPTION = {"Rule": {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                               "BucketKeyEnabled": "false"}}
BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def install(sim):
    global SIM
    SIM = sim
    _patch_s3()
    _patch_sqs()
    _patch_secrets()
    _patch_ssm()


# ---- S3 ---------------------------------------------------------------------------------

def valid_bucket_name(name):
    """AWS's rules for general purpose buckets."""
    if not BUCKET_RE.match(name) or ".." in name or ".-" in name or "-." in name:
        return False
    try:
        ipaddress.ip_address(name)
        return False
    except ValueError:
        pass
    if name.startswith(("xn--", "sthree-", "amzn-s3-demo-")):
        return False
    return not name.endswith(("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"))


def _patch_s3():
    orig_create = S3Backend.create_bucket
    orig_get_encryption = S3Backend.get_bucket_encryption

    def create_bucket(self, bucket_name, region_name, bucket_namespace=None):
        if not valid_bucket_name(bucket_name):
            raise InvalidBucketName()
        bucket = orig_create(self, bucket_name, region_name, bucket_namespace=bucket_namespace)
        # what a bucket created since April 2023 has without being asked
        bucket.public_access_block = PublicAccessBlock(True, True, True, True)
        bucket.ownership_rule = "BucketOwnerEnforced"
        return bucket

    def get_bucket_encryption(self, bucket_name):
        # every bucket is encrypted (SSE-S3) unless configured otherwise, even after a delete
        return orig_get_encryption(self, bucket_name) or DEFAULT_ENCRYPTION

    S3Backend.create_bucket = create_bucket
    S3Backend.get_bucket_encryption = get_bucket_encryption


# ---- SQS -------------------------------------------------------------------------------

class QueueDeletedRecently(SQSException):
    def __init__(self):
        super().__init__("AWS.SimpleQueueService.QueueDeletedRecently",
                         "You must wait 60 seconds after deleting a queue before you can create "
                         "another with the same name.")


def _patch_sqs():
    orig_attributes = Queue.attributes
    orig_create = SQSBackend.create_queue
    orig_delete = SQSBackend.delete_queue

    def url(self, request_url):
        return f"https://sqs.{self.region}.amazonaws.com/{self.account_id}/{self.name}"

    def attributes(self):
        result = orig_attributes.fget(self)
        if self.redrive_policy:
            result["RedrivePolicy"] = json.dumps(self.redrive_policy, separators=(",", ":"))
        return result

    def create_queue(self, name, tags=None, **kwargs):
        deleted = getattr(self, "_sim_deleted", {})
        if name not in self.queues and name in deleted and \
                SIM.now - deleted[name] < SIM.config["sqs_deleted_recently_s"]:
            raise QueueDeletedRecently()
        deleted.pop(name, None)
        return orig_create(self, name, tags, **kwargs)

    def delete_queue(self, queue_name):
        orig_delete(self, queue_name)
        if not hasattr(self, "_sim_deleted"):
            self._sim_deleted = {}
        self._sim_deleted[queue_name] = SIM.now

    Queue.url = url
    Queue.attributes = property(attributes)
    SQSBackend.create_queue = create_queue
    SQSBackend.delete_queue = delete_queue


# ---- Secrets Manager and SSM -------------------------------------------------------------

def _patch_secrets():
    orig_create = SecretsManagerBackend.create_secret

    def create_secret(self, name, *args, **kwargs):
        existing = self.secrets.get(name)
        if existing is not None and getattr(existing, "is_deleted", lambda: False)():
            raise InvalidRequestException(
                "You can't create this secret because a secret with this name is already "
                "scheduled for deletion.")
        return orig_create(self, name, *args, **kwargs)

    orig_put = SecretsManagerBackend.put_secret_value

    def put_secret_value(self, secret_id, *args, **kwargs):
        secret = self.secrets.get(secret_id) if self._is_valid_identifier(secret_id) else None
        if secret is not None and getattr(secret, "is_deleted", lambda: False)():
            raise InvalidRequestException(
                "You can't perform this operation on the secret because it was marked for "
                "deletion.")
        return orig_put(self, secret_id, *args, **kwargs)

    SecretsManagerBackend.create_secret = create_secret
    SecretsManagerBackend.put_secret_value = put_secret_value


def ciphertext(parameter):
    """What GetParameter answers for a SecureString without --with-decryption: KMS ciphertext
    (base64), never the value."""
    digest = hashlib.sha256(f"{parameter.keyid}|{parameter.name}|{parameter.version}|"
                            f"{parameter.value}".encode()).digest()
    blob = b"\x01\x02\x02\x00x" + digest * 4
    return base64.b64encode(blob).decode()


def _patch_ssm():
    orig_response = Parameter.response_object

    def response_object(self, decrypt=False, region=None):
        result = orig_response(self, decrypt, region)
        if self.parameter_type == "SecureString" and not decrypt:
            result["Value"] = ciphertext(self)
        return result

    Parameter.response_object = response_object

