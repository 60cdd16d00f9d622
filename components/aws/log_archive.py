"""The log archive: a region's log sink for S3 server access logs (a hardened bucket, SSE-S3 as AWS's log delivery
requires, that admits the S3 logging service of this account only)."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .account import Account
from .buckets import BucketArgs, hardened_bucket

LOG_ARCHIVE_TYPE = "webstack:aws:LogArchive"


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
