"""S3 buckets: the hardening every bucket of the program shares, the log archive, and the documents bucket.

``hardened_bucket`` creates a bucket with, always: ACLs off (owner-enforced ownership), all four public access
blocks, default encryption, versioning, a TLS-only bucket policy (deny ``aws:SecureTransport=false``) ordered after
the public access block, and a lifecycle that aborts incomplete uploads after 7 days and expires old versions; plus,
when asked, an expiry for current objects and server access logging to a log bucket.

Encryption is SSE-KMS with a customer key and bucket keys, except for log sinks: AWS delivers load-balancer access
logs and S3 server access logs only to buckets encrypted with SSE-S3 (AES256), so a bucket created with
``log_sink=True`` uses SSE-S3, is tagged ``webstack:role=log-sink`` for the policy pack, and keeps every other
protection. A log sink does not log its own accesses (that would log forever).

``LogArchive`` is a region's log sink for S3 server access logs. ``ObjectStorage`` is the documents bucket (the
guides' MinIO "documents" bucket): SSE-KMS with the data key, its accesses logged to the archive, and a policy that
refuses object access to every principal but the application's writers and AWS Backup.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

import pulumi
import pulumi_aws as aws

from ..naming import ROLE_TAG
from .account import Account

ROLE_LOG_SINK = "log-sink"
ABORT_INCOMPLETE_UPLOADS_DAYS = 7

#: Given the bucket's ARN, extra statements for its policy (log-delivery grants, access limits); values may be
#: Outputs (role ARNs).
StatementsFor = Callable[[str], Sequence[Any]]

LOG_ARCHIVE_TYPE = "webstack:aws:LogArchive"
OBJECT_STORAGE_TYPE = "webstack:aws:ObjectStorage"
ROLE_DOCUMENTS = "documents"
ROLE_BACKUPS = "backups"
ROLE_REPLICA = "replica"


@dataclass(frozen=True)
class BucketArgs:
    """Inputs of :func:`hardened_bucket`."""

    name_prefix: str
    """Physical-name prefix, e.g. ``webstack-prod``; the bucket is ``<prefix>-<purpose>-<random>``."""
    purpose: str
    """What the bucket holds, in a few lowercase words joined by dashes, e.g. ``lb-logs``."""
    bucket_name: str = ""
    """A fixed bucket name (when others must know it before the bucket exists); empty: ``<prefix>-<purpose>-`` and
    a random suffix."""
    kms_key_arn: pulumi.Input[str] | None = None
    """Customer KMS key for SSE-KMS. Required unless ``log_sink``."""
    log_sink: bool = False
    """The bucket receives AWS service logs: SSE-S3, tagged ``webstack:role=log-sink``."""
    expire_days: int | None = None
    """Days after which current objects are deleted (None: kept)."""
    noncurrent_days: int = 30
    """Days an overwritten or deleted object version is kept."""
    access_log_bucket: pulumi.Input[str] | None = None
    """Name of the bucket that receives this bucket's server access logs (None: no access logging)."""
    statements: StatementsFor | None = None
    """Extra bucket-policy statements, given the bucket's ARN."""
    protect: bool = False
    """Protect the bucket from deletion by Pulumi (stateful: on in production)."""
    tags: dict[str, str] = field(default_factory=dict)
    """Tags besides the provider's default tags."""
    lifecycle_rules: Sequence[aws.s3.BucketLifecycleConfigurationRuleArgs] = ()
    """More lifecycle rules (per prefix expiry, archive transitions)."""
    object_lock_mode: Literal["GOVERNANCE", "COMPLIANCE"] | None = None
    """Lock every new object version for ``object_lock_days`` in this mode (None: no lock). Only takes effect when
    the bucket is created."""
    object_lock_days: int = 30


class HardenedBucket(NamedTuple):
    bucket: aws.s3.Bucket
    policy: aws.s3.BucketPolicy
    """Resources that write to the bucket as a service (log delivery) must wait for this."""
    versioning: aws.s3.BucketVersioning
    """Replication must wait for this."""


def hardened_bucket(
    name: str, args: BucketArgs, parent: pulumi.Resource, provider: pulumi.ProviderResource | None = None
) -> HardenedBucket:
    """A bucket with webstack's hardening; every child has ``parent`` as parent (and ``provider``, when given:
    another region)."""
    if not args.log_sink and args.kms_key_arn is None:
        raise ValueError(f"bucket {name}: a customer KMS key is required unless the bucket is a log sink")
    child = pulumi.ResourceOptions(parent=parent, provider=provider)
    tags = {**args.tags, **({ROLE_TAG: ROLE_LOG_SINK} if args.log_sink else {})}
    bucket = aws.s3.Bucket(
        name,
        bucket=args.bucket_name or None,
        bucket_prefix=None if args.bucket_name else f"{args.name_prefix}-{args.purpose}-",
        force_destroy=False,
        object_lock_enabled=True if args.object_lock_mode is not None else None,
        tags=tags or None,
        opts=pulumi.ResourceOptions(parent=parent, provider=provider, protect=args.protect),
    )
    ownership = aws.s3.BucketOwnershipControls(
        f"{name}-ownership",
        bucket=bucket.id,
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
        opts=child,
    )
    public_access = aws.s3.BucketPublicAccessBlock(
        f"{name}-public-access",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=child,
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-encryption",
        bucket=bucket.id,
        rules=[
            aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="AES256" if args.log_sink else "aws:kms",
                    kms_master_key_id=None if args.log_sink else args.kms_key_arn,
                ),
                bucket_key_enabled=not args.log_sink,
            )
        ],
        opts=child,
    )
    versioning = aws.s3.BucketVersioning(
        f"{name}-versioning",
        bucket=bucket.id,
        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
        opts=child,
    )
    aws.s3.BucketLifecycleConfiguration(
        f"{name}-lifecycle",
        bucket=bucket.id,
        rules=_lifecycle_rules(args),
        opts=pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=[versioning]),
    )
    policy = aws.s3.BucketPolicy(
        f"{name}-policy",
        bucket=bucket.id,
        policy=bucket.arn.apply(lambda arn: _policy_document(arn, args.statements)),
        # S3 rejects a policy while the public access block is still being written.
        opts=pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=[public_access, ownership]),
    )
    if args.object_lock_mode is not None:
        aws.s3.BucketObjectLockConfiguration(
            f"{name}-object-lock",
            bucket=bucket.id,
            object_lock_enabled="Enabled",
            rule=aws.s3.BucketObjectLockConfigurationRuleArgs(
                default_retention=aws.s3.BucketObjectLockConfigurationRuleDefaultRetentionArgs(
                    mode=args.object_lock_mode, days=args.object_lock_days
                )
            ),
            opts=pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=[versioning]),
        )
    if args.access_log_bucket is not None:
        aws.s3.BucketLogging(
            f"{name}-access-logging",
            bucket=bucket.id,
            target_bucket=args.access_log_bucket,
            target_prefix=f"s3/{args.purpose}/",
            opts=child,
        )
    return HardenedBucket(bucket, policy, versioning)


def _policy_document(arn: str, statements: StatementsFor | None) -> pulumi.Output[str]:
    extra = pulumi.Output.from_input(list(statements(arn)) if statements else [])
    return extra.apply(lambda resolved: json.dumps(bucket_policy(arn, resolved), sort_keys=True))


def bucket_policy(arn: str, statements: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    """The bucket policy: TLS only, plus the given statements."""
    deny_plain_http = {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    return {"Version": "2012-10-17", "Statement": [deny_plain_http, *statements]}


def _lifecycle_rules(args: BucketArgs) -> list[aws.s3.BucketLifecycleConfigurationRuleArgs]:
    everything = aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix="")
    rules = [
        aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="abort-incomplete-uploads",
            status="Enabled",
            filter=everything,
            abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                days_after_initiation=ABORT_INCOMPLETE_UPLOADS_DAYS
            ),
        ),
        aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="expire-old-versions",
            status="Enabled",
            filter=everything,
            noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                noncurrent_days=args.noncurrent_days
            ),
        ),
    ]
    rules.extend(args.lifecycle_rules)
    if args.expire_days is not None:
        rules.append(
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="expire-objects",
                status="Enabled",
                filter=everything,
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=args.expire_days),
            )
        )
    return rules


@dataclass(frozen=True)
class LogArchiveArgs:
    """Inputs of :class:`LogArchive`."""

    account: Account
    """The account and region (log-delivery grants are limited to this account)."""
    name_prefix: str
    """Physical-name prefix, e.g. ``webstack-prod``."""
    expire_days: int = 365
    """Days access logs are kept."""
    protect: bool = False
    """Protect the archive from deletion by Pulumi (it is the audit trail)."""


class LogArchive(pulumi.ComponentResource):
    """The log sink that receives the S3 server access logs of the region's buckets."""

    bucket: aws.s3.Bucket
    policy: aws.s3.BucketPolicy

    def __init__(self, name: str, args: LogArchiveArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(LOG_ARCHIVE_TYPE, name, None, opts)
        account = args.account
        self.bucket, self.policy, _ = hardened_bucket(
            f"{name}-bucket",
            BucketArgs(
                name_prefix=args.name_prefix,
                purpose="access-logs",
                log_sink=True,
                expire_days=args.expire_days,
                statements=lambda arn: [
                    {
                        "Sid": "S3ServerAccessLogDelivery",
                        "Effect": "Allow",
                        "Principal": {"Service": account.service_principal("logging.s3")},
                        "Action": "s3:PutObject",
                        "Resource": f"{arn}/s3/*",
                        "Condition": {"StringEquals": {"aws:SourceAccount": account.id}},
                    }
                ],
                protect=args.protect,
            ),
            parent=self,
        )
        self.register_outputs({"bucket": self.bucket.id})


#: What only a restricted bucket's admitted principals may do: read, write, delete, restore and replicate objects,
#: and list versions and uploads. ``s3:ListBucket`` stays with IAM: HeadBucket, which every deployment, refresh
#: preview and drift check calls on the bucket, needs it, and it lists object names only, never their contents.
DOCUMENT_ACTIONS = [
    "s3:GetObject*",
    "s3:PutObject*",
    "s3:DeleteObject*",
    "s3:RestoreObject",
    "s3:Replicate*",
    "s3:ListBucketVersions",
    "s3:ListBucketMultipartUploads",
]


def only_principals(sid: str, principals: pulumi.Input[Sequence[str]]) -> StatementsFor:
    """Bucket-policy statements that deny the documents and their listing to every principal but ``principals``
    (role ARNs). Administrators keep the bucket's configuration, so they can still replace the policy in an
    emergency."""
    return lambda arn: [
        {
            "Sid": sid,
            "Effect": "Deny",
            "Principal": "*",
            "Action": DOCUMENT_ACTIONS,
            "Resource": [arn, f"{arn}/*"],
            "Condition": {"StringNotEquals": {"aws:PrincipalArn": principals}},
        }
    ]


def fixed_bucket_name(account: Account, name_prefix: str, purpose: str) -> str:
    """A bucket name known in advance and unique across accounts and regions (S3 names are global)."""
    name = f"{name_prefix}-{purpose}-{account.id}-{account.region}"
    if len(name) > 63:
        digest = hashlib.sha256(name.encode()).hexdigest()[:12]
        name = f"{name_prefix[: 63 - len(purpose) - 14]}-{purpose}-{digest}"
    return name


@dataclass(frozen=True)
class ObjectStorageArgs:
    """Inputs of :class:`ObjectStorage`."""

    account: Account
    """The account and region (the writers' key access goes through S3 here only)."""
    name_prefix: str
    """Physical-name prefix, e.g. ``webstack-prod``."""
    data_key_arn: pulumi.Input[str]
    """Customer KMS key of the documents."""
    access_log_bucket: pulumi.Input[str]
    """The region's log archive (server access logs)."""
    bucket_name: str
    """The documents bucket's name (see :func:`fixed_bucket_name`): the application is told it in advance."""
    writers: Sequence[aws.iam.Role] = ()
    """Roles that read and write documents (the backend's task role); each gets an IAM policy for it."""
    service_role_arns: Sequence[pulumi.Input[str]] = ()
    """The roles AWS Backup and S3 replication work as, which may read and restore documents too."""
    noncurrent_version_days: int = 30
    """Days an overwritten or deleted document version stays recoverable."""
    protect: bool = False
    """Protect the bucket from deletion by Pulumi (on in production)."""


class ObjectStorage(pulumi.ComponentResource):
    """The documents bucket (the guides' MinIO "documents" bucket), reachable by its writers and backups only."""

    bucket: aws.s3.Bucket
    hardened: HardenedBucket
    key_arn: pulumi.Input[str]
    """The documents' KMS key."""
    noncurrent_version_days: int
    """Days an overwritten or deleted document version stays recoverable (its DR replica keeps them as long)."""

    def __init__(self, name: str, args: ObjectStorageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(OBJECT_STORAGE_TYPE, name, None, opts)
        if not args.writers and not args.service_role_arns:
            raise ValueError(f"object storage {name}: nobody could read the documents; give writers or service roles")
        self.key_arn = args.data_key_arn
        self.noncurrent_version_days = args.noncurrent_version_days
        principals = pulumi.Output.all(*(role.arn for role in args.writers), *args.service_role_arns).apply(
            lambda arns: sorted(set(arns))
        )
        self.hardened = hardened_bucket(
            f"{name}-documents",
            BucketArgs(
                name_prefix=args.name_prefix,
                purpose="documents",
                bucket_name=args.bucket_name,
                kms_key_arn=args.data_key_arn,
                noncurrent_days=args.noncurrent_version_days,
                access_log_bucket=args.access_log_bucket,
                statements=only_principals("OnlyTheApplicationBackupsAndReplicationTouchDocuments", principals),
                protect=args.protect,
                tags={ROLE_TAG: ROLE_DOCUMENTS},
            ),
            parent=self,
        )
        self.bucket = self.hardened.bucket
        for index, role in enumerate(args.writers):
            aws.iam.RolePolicy(
                f"{name}-documents-writer-{index}",
                role=role.id,
                policy=pulumi.Output.all(self.bucket.arn, args.data_key_arn).apply(
                    lambda values: json.dumps(writer_policy(values[0], values[1], args.account), sort_keys=True)
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({"bucket": self.bucket.id, "bucketArn": self.bucket.arn})


def writer_policy(bucket_arn: str, key_arn: str, account: Account) -> dict[str, Any]:
    """Read, write and list the documents, and use their key through S3 only."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ListDocuments", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": bucket_arn},
            {
                "Sid": "ReadAndWriteDocuments",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                "Resource": f"{bucket_arn}/*",
            },
            {
                "Sid": "UseTheirKeyThroughS3",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": key_arn,
                "Condition": {"StringEquals": {"kms:ViaService": f"s3.{account.region}.{account.dns_suffix}"}},
            },
        ],
    }
