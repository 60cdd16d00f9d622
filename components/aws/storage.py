"""Object storage on aws: ``ObjectStorage`` is the documents bucket (the guides' MinIO "documents" bucket): SSE-KMS
with the data key, its accesses logged to the region's log archive, and a policy that refuses object access to every
principal but the application's writers and AWS Backup.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from ..naming import ROLE_TAG
from .account import Account
from .buckets import ROLE_DOCUMENTS, BucketArgs, HardenedBucket, hardened_bucket, only_principals

OBJECT_STORAGE_TYPE = "webstack:aws:ObjectStorage"


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
