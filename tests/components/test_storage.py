"""The bucket hardening every bucket shares; log sinks use SSE-S3 and keep every other protection. The log archive
(a log sink admitting S3 log delivery from this account) and the documents bucket (SSE-KMS, logged to the archive, its
objects refused to all but the writers and the backup and replication roles; each writer's policy names it only)."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components.aws.account import Account
from components.aws.backups import backup_role_arns
from components.aws.buckets import BucketArgs, fixed_bucket_name, hardened_bucket
from components.aws.log_archive import LogArchive, LogArchiveArgs
from components.aws.storage import ObjectStorage, ObjectStorageArgs
from stackcheck.engine.cloud import ACCOUNT_ID
from tests.conftest import TEST_REGION, construct, one, registered

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


# -- the log archive ---------------------------------------------------------------------------------------------------
ACCOUNT = Account(id=ACCOUNT_ID, partition="aws", region=TEST_REGION)
BUCKET = "aws:s3/bucket:Bucket"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"


def log_archive(name: str, **args: Any) -> dict[str, str]:
    """A log archive named ``name`` (physical prefix ``webstack-<name>``); the URNs its ``bucket`` and ``policy``
    resolved to."""
    archive_args = LogArchiveArgs(account=ACCOUNT, name_prefix=f"webstack-{name}", **args)
    resolved: dict[str, str] = {}

    def factory() -> LogArchive:
        built = LogArchive(name, archive_args)
        built.bucket.urn.apply(lambda urn: resolved.__setitem__("bucket", urn))
        built.policy.urn.apply(lambda urn: resolved.__setitem__("policy", urn))
        return built

    construct(factory)
    return resolved


def policy_statements(resource_name: str) -> dict[str, dict[str, Any]]:
    """The statements of a bucket or role policy, by Sid."""
    document = json.loads(one(resource_name).inputs["policy"])
    assert document["Version"] == "2012-10-17"
    return {statement["Sid"]: statement for statement in document["Statement"]}


def lifecycle(resource_name: str) -> dict[str, dict[str, Any]]:
    return {rule["id"]: rule for rule in one(f"{resource_name}-lifecycle").inputs["rules"]}


def test_the_log_archive_is_an_sse_s3_log_sink_that_keeps_every_protection() -> None:
    resolved = log_archive("logarchive", expire_days=180, protect=True)
    component = one("logarchive")
    assert resolved == {"bucket": one("logarchive-bucket").urn, "policy": one("logarchive-bucket-policy").urn}
    assert component.type == "webstack:aws:LogArchive"
    bucket = one("logarchive-bucket")
    assert bucket.type == BUCKET
    assert bucket.parent == component.urn
    assert bucket.inputs["bucketPrefix"] == "webstack-logarchive-access-logs-"
    assert bucket.inputs["forceDestroy"] is False
    assert bucket.inputs["tags"] == {"webstack:role": "log-sink"}
    assert "objectLockEnabled" not in bucket.inputs
    (rule,) = one("logarchive-bucket-encryption").inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    assert rule["bucketKeyEnabled"] is False
    block = one("logarchive-bucket-public-access").inputs
    assert [
        block[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    ] == [True] * 4
    assert one("logarchive-bucket-ownership").inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    assert one("logarchive-bucket-versioning").inputs["versioningConfiguration"] == {"status": "Enabled"}
    rules = lifecycle("logarchive-bucket")
    assert set(rules) == {"abort-incomplete-uploads", "expire-old-versions", "expire-objects"}
    assert rules["expire-objects"]["expiration"] == {"days": 180}
    assert rules["expire-objects"]["filter"] == {"prefix": ""}
    assert rules["expire-old-versions"]["noncurrentVersionExpiration"] == {"noncurrentDays": 30}
    # A log sink does not log its own accesses.
    assert registered("logarchive-bucket-access-logging") == []
    assert [r.name for r in registered("logarchive-") if r.protect] == ["logarchive-bucket"]


def test_the_log_archive_admits_only_s3_log_delivery_from_this_account_over_tls() -> None:
    log_archive("logdelivery")
    arn = one("logdelivery-bucket").outputs["arn"]
    policy = one("logdelivery-bucket-policy")
    assert policy.inputs["bucket"] == one("logdelivery-bucket").outputs["bucket"]
    assert one("logdelivery-bucket-public-access").urn in policy.dependencies
    found = policy_statements("logdelivery-bucket-policy")
    assert list(found) == ["DenyInsecureTransport", "S3ServerAccessLogDelivery"]
    assert found["DenyInsecureTransport"] == {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    assert found["S3ServerAccessLogDelivery"] == {
        "Sid": "S3ServerAccessLogDelivery",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": f"{arn}/s3/*",
        "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}},
    }


def test_the_log_archive_keeps_logs_a_year_by_default_and_is_protected_only_when_asked() -> None:
    log_archive("logdefault")
    assert lifecycle("logdefault-bucket")["expire-objects"]["expiration"] == {"days": 365}
    assert [r.name for r in registered("logdefault-") if r.protect] == []


# -- object storage ----------------------------------------------------------------------------------------------------
def object_storage(name: str, writers: tuple[str, ...] = (), **args: Any) -> tuple[ObjectStorage, dict[str, str]]:
    """Documents storage named ``name`` (physical prefix ``webstack-<name>``) with a task role per writer and a log
    archive, both named ``<name>src-...``; and what its bucket's URN resolved to."""
    prefix = f"webstack-{name}"
    resolved: dict[str, str] = {}

    def factory() -> ObjectStorage:
        archive = LogArchive(f"{name}src-logs", LogArchiveArgs(account=ACCOUNT, name_prefix=prefix))
        roles = [
            aws.iam.Role(
                f"{name}src-{writer}",
                name=f"{prefix}-{writer}-task",
                assume_role_policy=json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                            }
                        ],
                    }
                ),
            )
            for writer in writers
        ]
        built = ObjectStorage(
            name,
            ObjectStorageArgs(
                account=ACCOUNT,
                name_prefix=prefix,
                data_key_arn=KEY_ARN,
                access_log_bucket=archive.bucket.id,
                bucket_name=fixed_bucket_name(ACCOUNT, prefix, "documents"),
                writers=roles,
                service_role_arns=backup_role_arns(ACCOUNT, prefix),
                **args,
            ),
        )
        built.bucket.urn.apply(lambda urn: resolved.__setitem__("bucket", urn))
        return built

    return construct(factory), resolved


@pytest.fixture(scope="module")
def documents() -> tuple[ObjectStorage, dict[str, str]]:
    return object_storage("objstore", writers=("backend", "worker"), noncurrent_version_days=45, protect=True)


def test_the_documents_bucket_is_hardened_and_logged_to_the_archive(
    documents: tuple[ObjectStorage, dict[str, str]],
) -> None:
    built, resolved = documents
    component = one("objstore")
    assert component.type == "webstack:aws:ObjectStorage"
    bucket = one("objstore-documents")
    assert bucket.parent == component.urn
    assert resolved == {"bucket": bucket.urn}
    assert built.bucket is built.hardened.bucket
    assert built.key_arn == KEY_ARN
    assert bucket.inputs["bucket"] == f"webstack-objstore-documents-{ACCOUNT_ID}-{TEST_REGION}"
    assert "bucketPrefix" not in bucket.inputs
    assert bucket.inputs["forceDestroy"] is False
    assert bucket.inputs["tags"] == {"webstack:role": "documents"}
    (rule,) = one("objstore-documents-encryption").inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY_ARN}
    assert rule["bucketKeyEnabled"] is True
    block = one("objstore-documents-public-access").inputs
    assert [
        block[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    ] == [True] * 4
    assert one("objstore-documents-ownership").inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    assert one("objstore-documents-versioning").inputs["versioningConfiguration"] == {"status": "Enabled"}
    rules = lifecycle("objstore-documents")
    assert set(rules) == {"abort-incomplete-uploads", "expire-old-versions"}
    assert rules["expire-old-versions"]["noncurrentVersionExpiration"] == {"noncurrentDays": 45}

    archive = one("objstoresrc-logs-bucket")
    logging = one("objstore-documents-access-logging")
    assert logging.inputs["bucket"] == bucket.outputs["bucket"]
    assert logging.inputs["targetBucket"] == archive.outputs["bucket"]
    assert logging.property_dependencies["targetBucket"] == [archive.urn]
    assert logging.inputs["targetPrefix"] == "s3/documents/"
    # The archive admits log delivery under s3/ only: the documents' prefix is inside it.
    delivery = policy_statements("objstoresrc-logs-bucket-policy")["S3ServerAccessLogDelivery"]
    assert delivery["Resource"] == f"{archive.outputs['arn']}/s3/*"

    assert [r.name for r in registered("objstore-") if r.protect] == ["objstore-documents"]


def test_the_bucket_policy_refuses_documents_to_all_but_the_writers_and_the_service_roles(
    documents: tuple[ObjectStorage, dict[str, str]],
) -> None:
    arn = one("objstore-documents").outputs["arn"]
    policy = one("objstore-documents-policy")
    assert one("objstore-documents-public-access").urn in policy.dependencies
    found = policy_statements("objstore-documents-policy")
    assert list(found) == ["DenyInsecureTransport", "OnlyTheApplicationBackupsAndReplicationTouchDocuments"]
    assert found["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    admitted = sorted(
        [
            one("objstoresrc-backend").outputs["arn"],
            one("objstoresrc-worker").outputs["arn"],
            f"arn:aws:iam::{ACCOUNT_ID}:role/webstack-objstore-backup",
            f"arn:aws:iam::{ACCOUNT_ID}:role/webstack-objstore-replication",
        ]
    )
    assert found["OnlyTheApplicationBackupsAndReplicationTouchDocuments"] == {
        "Sid": "OnlyTheApplicationBackupsAndReplicationTouchDocuments",
        "Effect": "Deny",
        "Principal": "*",
        "Action": [
            "s3:GetObject*",
            "s3:PutObject*",
            "s3:DeleteObject*",
            "s3:RestoreObject",
            "s3:Replicate*",
            "s3:ListBucketVersions",
            "s3:ListBucketMultipartUploads",
        ],
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"StringNotEquals": {"aws:PrincipalArn": admitted}},
    }


def test_each_writer_may_use_this_bucket_and_its_key_only(documents: tuple[ObjectStorage, dict[str, str]]) -> None:
    arn = one("objstore-documents").outputs["arn"]
    policies = registered("objstore-documents-writer-", ROLE_POLICY)
    assert sorted(p.name for p in policies) == ["objstore-documents-writer-0", "objstore-documents-writer-1"]
    for index, writer in enumerate(("backend", "worker")):
        role = one(f"objstoresrc-{writer}")
        policy = one(f"objstore-documents-writer-{index}")
        assert policy.parent == one("objstore").urn
        assert policy.inputs["role"] == role.id == f"webstack-objstore-{writer}-task"
        assert policy.property_dependencies["role"] == [role.urn]
        document = json.loads(policy.inputs["policy"])
        assert document == {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "ListDocuments", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": arn},
                {
                    "Sid": "ReadAndWriteDocuments",
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                    "Resource": f"{arn}/*",
                },
                {
                    "Sid": "UseTheirKeyThroughS3",
                    "Effect": "Allow",
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                    "Resource": KEY_ARN,
                    "Condition": {"StringEquals": {"kms:ViaService": f"s3.{TEST_REGION}.amazonaws.com"}},
                },
            ],
        }


def test_without_writers_only_the_service_roles_are_admitted_and_nothing_is_protected() -> None:
    object_storage("objplain")
    deny = policy_statements("objplain-documents-policy")["OnlyTheApplicationBackupsAndReplicationTouchDocuments"]
    assert deny["Condition"] == {
        "StringNotEquals": {
            "aws:PrincipalArn": [
                f"arn:aws:iam::{ACCOUNT_ID}:role/webstack-objplain-backup",
                f"arn:aws:iam::{ACCOUNT_ID}:role/webstack-objplain-replication",
            ]
        }
    }
    assert registered("objplain-", ROLE_POLICY) == []
    rules = lifecycle("objplain-documents")
    assert rules["expire-old-versions"]["noncurrentVersionExpiration"] == {"noncurrentDays": 30}
    assert [r.name for r in registered("objplain-") if r.protect] == []


def test_object_storage_nobody_could_read_is_refused() -> None:
    with pytest.raises(ValueError, match="nobody could read the documents"):
        ObjectStorage(
            "objnobody",
            ObjectStorageArgs(
                account=ACCOUNT,
                name_prefix="webstack-objnobody",
                data_key_arn=KEY_ARN,
                access_log_bucket="webstack-objnobody-logs",
                bucket_name=fixed_bucket_name(ACCOUNT, "webstack-objnobody", "documents"),
            ),
        )
