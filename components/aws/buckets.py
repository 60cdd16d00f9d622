"""S3 buckets: the hardening every bucket of the program shares.

``hardened_bucket`` creates a bucket with, always: ACLs off (owner-enforced ownership), all four public access
blocks, default encryption, versioning, a TLS-only bucket policy (deny ``aws:SecureTransport=false``) ordered after
the public access block, and a lifecycle that aborts incomplete uploads after 7 days and expires old versions; plus,
when asked, an expiry for current objects and server access logging to a log bucket.

Encryption is SSE-KMS with a customer key and bucket keys, except for log sinks: AWS delivers load-balancer access
logs and S3 server access logs only to buckets encrypted with SSE-S3 (AES256), so a bucket created with
``log_sink=True`` uses SSE-S3, is tagged ``webstack:role=log-sink`` for the policy pack, and keeps every other
protection. A log sink does not log its own accesses (that would log forever).

``only_principals`` limits a bucket's objects to named principals; ``fixed_bucket_name`` names a bucket in advance.
"""

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
