"""The bucket hardening every bucket shares; log sinks use SSE-S3 and keep every other protection."""

from __future__ import annotations

import json

import pulumi
import pytest

from components.aws.storage import BucketArgs, hardened_bucket
from tests.conftest import construct, one

KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/data"


class Holder(pulumi.ComponentResource):
    def __init__(self, name: str, args: BucketArgs) -> None:
        super().__init__("webstack:test:Holder", name, None, None)
        self.parts = hardened_bucket(f"{name}-bucket", args, parent=self)
        self.register_outputs({})


def build(name: str, **args: object) -> Holder:
    return construct(lambda: Holder(name, BucketArgs(name_prefix="webstack-test", **args)))  # type: ignore[arg-type]


def test_defaults_are_secure() -> None:
    build("docs", purpose="documents", kms_key_arn=KEY_ARN)
    bucket = one("docs-bucket")
    assert bucket.inputs["bucketPrefix"] == "webstack-test-documents-"
    assert bucket.inputs["forceDestroy"] is False
    assert one("docs-bucket-ownership").inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    block = one("docs-bucket-public-access").inputs
    assert [
        block[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    ] == [True] * 4
    (rule,) = one("docs-bucket-encryption").inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY_ARN}
    assert rule["bucketKeyEnabled"] is True
    assert one("docs-bucket-versioning").inputs["versioningConfiguration"] == {"status": "Enabled"}
    rules = {r["id"]: r for r in one("docs-bucket-lifecycle").inputs["rules"]}
    assert rules["abort-incomplete-uploads"]["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}
    assert rules["expire-old-versions"]["noncurrentVersionExpiration"] == {"noncurrentDays": 30}
    assert "expire-objects" not in rules
    assert "webstack:role" not in (bucket.inputs.get("tags") or {})


def test_the_policy_allows_only_tls_and_waits_for_the_public_access_block() -> None:
    build("tls", purpose="tls", kms_key_arn=KEY_ARN)
    policy = one("tls-bucket-policy")
    (statement,) = json.loads(policy.inputs["policy"])["Statement"]
    arn = one("tls-bucket").outputs["arn"]
    assert statement == {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    assert one("tls-bucket-public-access").urn in policy.dependencies


def test_a_log_sink_uses_sse_s3_and_is_marked() -> None:
    build("sink", purpose="lb-logs", log_sink=True, expire_days=90)
    assert one("sink-bucket").inputs["tags"] == {"webstack:role": "log-sink"}
    (rule,) = one("sink-bucket-encryption").inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    assert rule["bucketKeyEnabled"] is False
    rules = {r["id"]: r for r in one("sink-bucket-lifecycle").inputs["rules"]}
    assert rules["expire-objects"]["expiration"] == {"days": 90}
    assert one("sink-bucket-versioning").inputs["versioningConfiguration"] == {"status": "Enabled"}


def test_extra_statements_and_access_logging() -> None:
    statement = {
        "Sid": "Extra",
        "Effect": "Allow",
        "Principal": {"Service": "x.amazonaws.com"},
        "Action": "s3:GetObject",
    }
    build(
        "extra",
        purpose="extra",
        kms_key_arn=KEY_ARN,
        access_log_bucket="webstack-test-logs",
        statements=lambda arn: [{**statement, "Resource": f"{arn}/*"}],
    )
    sids = [s["Sid"] for s in json.loads(one("extra-bucket-policy").inputs["policy"])["Statement"]]
    assert sids == ["DenyInsecureTransport", "Extra"]
    logging = one("extra-bucket-access-logging").inputs
    assert (logging["targetBucket"], logging["targetPrefix"]) == ("webstack-test-logs", "s3/extra/")


def test_a_bucket_that_is_not_a_log_sink_needs_a_customer_key() -> None:
    with pytest.raises(ValueError, match="a customer KMS key is required unless the bucket is a log sink"):
        build("nokey", purpose="nokey")


def test_protect_keeps_the_bucket() -> None:
    build("kept", purpose="kept", kms_key_arn=KEY_ARN, protect=True)
    assert one("kept-bucket").protect is True
