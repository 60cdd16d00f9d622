"""Customer-managed KMS keys, one per purpose, so that each key's policy admits exactly the services that use it.

Creates, per purpose: a ``kms.Key`` (rotation on, yearly; 30-day deletion window; a key policy that lets the
account administer the key through IAM and lets only the named AWS services use it, never a wildcard principal) and
an alias ``alias/<project>-<stack>-<purpose>``. Keys are protected in production: deleting one makes everything it
encrypted unreadable.

Purposes so far: ``logs`` (CloudWatch log groups: flow logs, container, WAF and cache logs), ``data`` (data at rest
that services reach through IAM: database storage, Performance Insights, the cache, container images) and
``secrets`` (Secrets Manager: the database master passwords, the cache's AUTH token).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.aws.account import Account

KEYS_TYPE = "webstack:aws:Keys"


@dataclass(frozen=True)
class KeysArgs:
    """Inputs of :class:`Keys`."""

    account: Account
    """The account and region the keys live in (their ARNs go into the key policies)."""
    name_prefix: str
    """Physical-name prefix, e.g. ``webstack-prod``; aliases are ``alias/<prefix>-<purpose>``."""
    rotation_period_days: int = 365
    """Days between automatic rotations of the key material (90-2560; default yearly)."""
    deletion_window_days: int = 30
    """Days a deleted key can still be recovered (7-30; default the maximum)."""
    protect: bool = False
    """Protect the keys from deletion by Pulumi (on in production)."""


def key_policy(account: Account, *service_statements: dict[str, Any]) -> str:
    """A key policy: the account administers the key through IAM; the given statements admit services."""
    administer = {
        "Sid": "AccountAdministersKeyThroughIam",
        "Effect": "Allow",
        "Principal": {"AWS": account.root_principal},
        "Action": "kms:*",
        "Resource": "*",
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [administer, *service_statements]}, sort_keys=True)


def cloudwatch_logs_statement(account: Account) -> dict[str, Any]:
    """Lets CloudWatch Logs of this region use the key, only for log groups of this account and region."""
    return {
        "Sid": "CloudWatchLogsEncryptsLogGroups",
        "Effect": "Allow",
        "Principal": {"Service": account.service_principal("logs", regional=True)},
        "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        "Resource": "*",
        "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": account.arn("logs", "log-group:*")}},
    }


class Keys(pulumi.ComponentResource):
    """The stack's customer-managed KMS keys."""

    logs: aws.kms.Key
    """Encrypts CloudWatch log groups."""
    data: aws.kms.Key
    """Encrypts data at rest that AWS services use on the caller's behalf (RDS, ElastiCache, ECR)."""
    secrets: aws.kms.Key
    """Encrypts secrets in Secrets Manager."""

    def __init__(self, name: str, args: KeysArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(KEYS_TYPE, name, None, opts)
        self._args = args
        self.logs = self._key(
            name, "logs", "CloudWatch log groups of this stack", cloudwatch_logs_statement(args.account)
        )
        # Services that encrypt on a caller's behalf (ECR) use grants the caller's IAM permissions allow.
        self.data = self._key(name, "data", "data at rest of this stack")
        self.secrets = self._key(name, "secrets", "the secrets of this stack")
        self.register_outputs(
            {"logsKeyArn": self.logs.arn, "dataKeyArn": self.data.arn, "secretsKeyArn": self.secrets.arn}
        )

    def _key(self, name: str, purpose: str, what: str, *statements: dict[str, Any]) -> aws.kms.Key:
        args = self._args
        key = aws.kms.Key(
            f"{name}-{purpose}",
            description=f"{args.name_prefix}: encrypts {what}",
            enable_key_rotation=True,
            rotation_period_in_days=args.rotation_period_days,
            deletion_window_in_days=args.deletion_window_days,
            bypass_policy_lockout_safety_check=False,
            policy=key_policy(args.account, *statements),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        aws.kms.Alias(
            f"{name}-{purpose}-alias",
            name=f"alias/{args.name_prefix}-{purpose}",
            target_key_id=key.key_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return key
