"""Facts about the AWS account and region a provider deploys into, looked up once and handed to components so that
they can write exact ARNs into policies (no wildcards where an ARN is known)."""

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class Account:
    """The account, partition and region of one provider."""

    id: str
    """Account id, e.g. ``123456789012``."""
    partition: str
    """ARN partition: ``aws``, ``aws-us-gov`` or ``aws-cn``."""
    region: str
    """Region name, e.g. ``eu-west-1``."""
    dns_suffix: str = "amazonaws.com"
    """DNS suffix of service endpoints and principals in this partition."""

    def arn(self, service: str, resource: str, *, regional: bool = True, account: bool = True) -> str:
        """An ARN in this account: ``arn("logs", "log-group:/x")``."""
        region = self.region if regional else ""
        account_id = self.id if account else ""
        return f"arn:{self.partition}:{service}:{region}:{account_id}:{resource}"

    @property
    def root_principal(self) -> str:
        """The account's root principal: delegates key administration to the account's IAM policies."""
        return f"arn:{self.partition}:iam::{self.id}:root"

    def service_principal(self, service: str, *, regional: bool = False) -> str:
        """A service principal: ``vpc-flow-logs.amazonaws.com``, or with ``regional=True`` the regional form some
        services require in key policies (``logs.eu-west-1.amazonaws.com``)."""
        return f"{service}.{self.region}.{self.dns_suffix}" if regional else f"{service}.{self.dns_suffix}"

    def log_delivery_policy(self, group_arn: str, sid: str) -> dict[str, Any]:
        """A log group resource policy that lets CloudWatch Logs' delivery service (vended logs: WAF, Managed
        Prometheus) write into ``group_arn``, for this account only."""
        return {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": sid,
                    "Effect": "Allow",
                    "Principal": {"Service": "delivery.logs.amazonaws.com"},
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": f"{group_arn}:*",
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": self.id},
                        "ArnLike": {"aws:SourceArn": self.arn("logs", "*")},
                    },
                }
            ],
        }

    def trust_policy(self, service: str, *, source_arn: str | None = None) -> str:
        """A role's trust policy that lets one service assume it, for this account only (and, with ``source_arn``,
        only for resources matching it): the confused-deputy guard AWS recommends."""
        condition: dict[str, dict[str, str]] = {"StringEquals": {"aws:SourceAccount": self.id}}
        if source_arn is not None:
            condition["ArnLike"] = {"aws:SourceArn": source_arn}
        statement = {
            "Effect": "Allow",
            "Principal": {"Service": self.service_principal(service)},
            "Action": "sts:AssumeRole",
            "Condition": condition,
        }
        return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, sort_keys=True)


def lookup_account(provider: aws.Provider, region: str) -> Account:
    """Ask the provider who it is (answered by the mocks offline)."""
    opts = pulumi.InvokeOptions(provider=provider)
    identity = aws.get_caller_identity(opts=opts)
    partition = aws.get_partition(opts=opts)
    return Account(
        id=identity.account_id, partition=partition.partition, region=region, dns_suffix=partition.dns_suffix
    )
