"""Customer-managed KMS keys, one per purpose, each usable only by the services that need it.

Creates, per purpose: a ``kms.Key`` (rotation on, yearly; 30-day deletion window) and an alias
``alias/<project>-<stack>-<purpose>``. Each key policy has three parts and no wildcard principal:

- the account administers the key through IAM (every management action, none that touches data);
- principals of the account may use the key for data only through the AWS services of its purpose
  (``kms:ViaService``): RDS, ElastiCache, S3, ECR, Managed Prometheus, Managed Grafana and EFS for ``data``; Secrets
  Manager for ``secrets``; AWS Backup and S3 for ``backups``; SNS for ``alerts``;
- the services that encrypt on their own behalf are named as principals, limited to this account: CloudWatch Logs
  (``logs``), and CloudWatch alarms, AWS Backup and Prometheus's Alertmanager publishing to encrypted topics
  (``alerts``); EventBridge too, unconditioned, since its requests carry no condition keys.

Keys are protected in production: deleting one makes everything it encrypted unreadable. The DR region has its own
keys (``backups`` there encrypts the copied recovery points, the replicated exports and the replicated database
backups).
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from .account import Account
from .args_errors import invalid

KEYS_TYPE = "webstack:aws:Keys"

#: What each purpose's key encrypts.
PURPOSES: dict[str, str] = {
    "logs": "CloudWatch log groups of this stack",
    "data": "data at rest of this stack (databases, cache, documents, images)",
    "secrets": "the secrets of this stack",
    "backups": "the backups of this stack",
    "alerts": "the alert topics of this stack",
}

#: The services through which principals of the account may use each purpose's key.
VIA_SERVICES: dict[str, tuple[str, ...]] = {
    "logs": (),
    # Managed Grafana encrypts a workspace under the data key through grants it creates as the caller (Amazon Managed
    # Grafana user guide, "Encryption at rest").
    "data": ("rds", "elasticache", "s3", "ecr", "aps", "grafana", "elasticfilesystem"),
    "secrets": ("secretsmanager",),
    "backups": ("backup", "s3", "rds"),
    "alerts": ("sns",),
}

#: The services that publish alerts to the encrypted topics: CloudWatch alarms, EventBridge rules, AWS Backup vault
#: notifications and the Prometheus workspace's Alertmanager.
ALERT_PUBLISHERS = ("cloudwatch", "events", "backup", "aps")
#: Publishers whose requests carry no condition keys, so a statement for them can hold them to nothing: EventBridge
#: (EventBridge user guide, "Amazon SNS permissions": "You can't use Condition blocks in Amazon SNS topic policies for
#: EventBridge"; it sets no aws:SourceAccount on that path, for the topic nor for the topic's key).
UNCONDITIONED_PUBLISHERS = ("events",)

ADMIN_ACTIONS = [
    "kms:Create*",
    "kms:Describe*",
    "kms:Enable*",
    "kms:List*",
    "kms:Put*",
    "kms:Update*",
    "kms:Revoke*",
    "kms:Disable*",
    "kms:Get*",
    "kms:Delete*",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
    "kms:RotateKeyOnDemand",
]
USE_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]


@dataclass(frozen=True)
class KeysArgs:
    """Inputs of :class:`Keys`."""

    account: Account
    """The account and region the keys live in (their ARNs go into the key policies)."""
    name_prefix: str
    """Physical-name prefix, e.g. ``webstack-prod``; aliases are ``alias/<prefix>-<purpose>``."""
    purposes: Sequence[str] = ("logs", "data", "secrets", "backups", "alerts")
    """Which keys to create: any of ``logs``, ``data``, ``secrets``, ``backups`` and ``alerts``."""
    rotation_period_days: int = 365
    """Days between automatic rotations of the key material (90-2560; default yearly)."""
    deletion_window_days: int = 30
    """Days a deleted key can still be recovered (7-30; default the maximum)."""
    protect: bool = False
    """Protect the keys from deletion by Pulumi (on in production)."""


def key_policy(account: Account, purpose: str) -> dict[str, Any]:
    """The key policy of one purpose's key."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AccountAdministersTheKey",
            "Effect": "Allow",
            "Principal": {"AWS": account.root_principal},
            "Action": ADMIN_ACTIONS,
            "Resource": "*",
        }
    ]
    services = VIA_SERVICES[purpose]
    if services:
        statements.append(
            {
                "Sid": "AccountUsesTheKeyThroughItsServices",
                "Effect": "Allow",
                "Principal": {"AWS": account.root_principal},
                "Action": [*USE_ACTIONS, "kms:CreateGrant", "kms:ListGrants"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "kms:CallerAccount": account.id,
                        "kms:ViaService": [f"{service}.{account.region}.{account.dns_suffix}" for service in services],
                    }
                },
            }
        )
    if purpose == "logs":
        statements.append(
            {
                "Sid": "CloudWatchLogsEncryptsLogGroups",
                "Effect": "Allow",
                "Principal": {"Service": account.service_principal("logs", regional=True)},
                "Action": USE_ACTIONS,
                "Resource": "*",
                "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": account.arn("logs", "log-group:*")}},
            }
        )
    if purpose == "alerts":
        # SNS encrypts and decrypts with the key as the publisher: each needs kms:GenerateDataKey* and kms:Decrypt
        # (SNS developer guide, "Enable compatibility between event sources from AWS services and encrypted topics").
        conditioned = [s for s in ALERT_PUBLISHERS if s not in UNCONDITIONED_PUBLISHERS]
        statements.append(
            {
                "Sid": "AlertingServicesPublishToEncryptedTopics",
                "Effect": "Allow",
                "Principal": {"Service": [account.service_principal(s) for s in conditioned]},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account.id}},
            }
        )
        statements.append(
            {
                "Sid": "EventBridgePublishesToEncryptedTopics",
                "Effect": "Allow",
                "Principal": {"Service": [account.service_principal(s) for s in UNCONDITIONED_PUBLISHERS]},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


class Keys(pulumi.ComponentResource):
    """The stack's customer-managed KMS keys in one region, by purpose."""

    keys: dict[str, aws.kms.Key]
    """The keys by purpose."""

    def __init__(self, name: str, args: KeysArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        unknown = [purpose for purpose in args.purposes if purpose not in PURPOSES]
        if unknown:
            raise invalid(args, "purposes", f"name only {', '.join(PURPOSES)}", unknown)
        super().__init__(KEYS_TYPE, name, None, opts)
        self._args = args
        self.keys = {purpose: self._key(name, purpose) for purpose in args.purposes}
        self.register_outputs({f"{purpose}KeyArn": key.arn for purpose, key in self.keys.items()})

    @property
    def logs(self) -> aws.kms.Key:
        """Encrypts CloudWatch log groups."""
        return self.keys["logs"]

    @property
    def data(self) -> aws.kms.Key:
        """Encrypts data at rest that AWS services hold on the stack's behalf."""
        return self.keys["data"]

    @property
    def secrets(self) -> aws.kms.Key:
        """Encrypts secrets in Secrets Manager."""
        return self.keys["secrets"]

    @property
    def backups(self) -> aws.kms.Key:
        """Encrypts backups: vaults, exports, replicated database backups."""
        return self.keys["backups"]

    @property
    def alerts(self) -> aws.kms.Key:
        """Encrypts the alert topics."""
        return self.keys["alerts"]

    def _key(self, name: str, purpose: str) -> aws.kms.Key:
        args = self._args
        key = aws.kms.Key(
            f"{name}-{purpose}",
            description=f"{args.name_prefix}: encrypts {PURPOSES[purpose]}",
            enable_key_rotation=True,
            rotation_period_in_days=args.rotation_period_days,
            deletion_window_in_days=args.deletion_window_days,
            bypass_policy_lockout_safety_check=False,
            policy=json.dumps(key_policy(args.account, purpose), sort_keys=True),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        aws.kms.Alias(
            f"{name}-{purpose}-alias",
            name=f"alias/{args.name_prefix}-{purpose}",
            target_key_id=key.key_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return key
