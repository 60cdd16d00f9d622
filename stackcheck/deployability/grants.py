"""What AWS services ask of the resource policies of the resources they write into or read from: per service
principal, the actions it calls, on which kind of resource, with which condition keys in the request, each row from
the service's documentation (``source``).

``resource_policies.py`` finds every place the stack makes a service use one of its resources (an alarm's action on
a topic, a topic's key, a log group's key, a bucket that receives access logs, a key a service encrypts with for the
account) and decides each row's requests against the resource's policy with the package's IAM evaluator.

Principals:

- a service principal (``cloudwatch.amazonaws.com``; ``{region}`` is filled in): the resource policy must allow the
  request;
- ``account``: a principal of the stack's account acting through the service (``kms:ViaService``): the key policy
  must allow it, to the principal or to the account (whose IAM policies then decide);
- ``role``: the role the stack gives the service (S3 replication, AWS Backup): within one account an identity policy
  suffices, so the resource policy must only not deny it;
- ``elb``: Elastic Load Balancing's log delivery, the region's ELB account in regions opened before August 2022
  (``stackcheck.engine.cloud.ELB_ACCOUNTS``), its service principal
  ``logdelivery.elasticloadbalancing.amazonaws.com`` in later ones.

``context`` names the condition keys the service puts into its requests: ``aws:SourceAccount``, ``aws:SourceArn``
(the resource on whose behalf it acts), ``aws:SourceOwner`` (SNS's key for services that publish for the account),
``kms:ViaService`` and ``kms:CallerAccount`` for ``account``, ``kms:EncryptionContext:aws:logs:arn`` for CloudWatch
Logs. Every request is made over TLS (``aws:SecureTransport`` is true). EventBridge sets no condition keys when it
publishes to a topic (EventBridge user guide: "You can't use Condition blocks in Amazon SNS topic policies for
EventBridge"), so a topic or key policy that conditions its statement for EventBridge never allows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

SNS_KMS = "https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services"


@dataclass(frozen=True)
class Grant:
    principal: str
    actions: tuple[str, ...]
    resource: str
    """``sns-topic``, ``kms-key``, ``log-group``, ``s3-object``, ``s3-bucket``, ``lambda-function``."""
    context: tuple[str, ...]
    source: str
    via: str = ""
    """``account`` requests: the service whose endpoint calls KMS (``kms:ViaService``)."""


GRANTS: Mapping[str, Grant] = {
    # -- alarm and event sources publishing to topics (and encrypting for the encrypted ones) ----------------------
    "cloudwatch-alarm-publishes": Grant(
        "cloudwatch.amazonaws.com",
        ("sns:Publish",),
        "sns-topic",
        ("aws:SourceAccount", "aws:SourceArn", "aws:SourceOwner"),
        "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/US_SetupSNS.html",
    ),
    "cloudwatch-alarm-encrypts": Grant(
        "cloudwatch.amazonaws.com",
        ("kms:GenerateDataKey", "kms:Decrypt"),
        "kms-key",
        ("aws:SourceAccount", "aws:SourceArn"),
        SNS_KMS,
    ),
    "eventbridge-rule-publishes": Grant(
        "events.amazonaws.com",
        ("sns:Publish",),
        "sns-topic",
        (),
        "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions",
    ),
    "eventbridge-rule-encrypts": Grant(
        "events.amazonaws.com",
        ("kms:GenerateDataKey", "kms:Decrypt"),
        "kms-key",
        (),
        f"{SNS_KMS}; EventBridge sets no condition keys on the publish path "
        "(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions)",
    ),
    "backup-vault-publishes": Grant(
        "backup.amazonaws.com",
        ("sns:Publish",),
        "sns-topic",
        ("aws:SourceAccount", "aws:SourceArn", "aws:SourceOwner"),
        "https://docs.aws.amazon.com/aws-backup/latest/devguide/backup-notifications.html",
    ),
    "backup-vault-encrypts": Grant(
        "backup.amazonaws.com",
        ("kms:GenerateDataKey", "kms:Decrypt"),
        "kms-key",
        ("aws:SourceAccount", "aws:SourceArn"),
        SNS_KMS,
    ),
    "prometheus-alertmanager-publishes": Grant(
        "aps.amazonaws.com",
        ("sns:Publish", "sns:GetTopicAttributes"),
        "sns-topic",
        ("aws:SourceAccount", "aws:SourceArn", "aws:SourceOwner"),
        "https://docs.aws.amazon.com/prometheus/latest/userguide/AMP-alertmanager-receiver-AMPpermission.html",
    ),
    "prometheus-alertmanager-encrypts": Grant(
        "aps.amazonaws.com",
        ("kms:GenerateDataKey", "kms:Decrypt"),
        "kms-key",
        ("aws:SourceAccount", "aws:SourceArn"),
        "https://docs.aws.amazon.com/prometheus/latest/userguide/AMP-alertmanager-receiver-AMPpermission.html",
    ),
    "sns-invokes-subscribed-function": Grant(
        "sns.amazonaws.com",
        ("lambda:InvokeFunction",),
        "lambda-function",
        ("aws:SourceAccount", "aws:SourceArn"),
        "https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html",
    ),
    # -- logs ------------------------------------------------------------------------------------------------------
    "cloudwatch-logs-encrypts-log-group": Grant(
        "logs.{region}.amazonaws.com",
        ("kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey"),
        "kms-key",
        ("kms:EncryptionContext:aws:logs:arn",),
        "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html",
    ),
    "vended-logs-delivered": Grant(
        "delivery.logs.amazonaws.com",
        ("logs:CreateLogStream", "logs:PutLogEvents"),
        "log-group",
        ("aws:SourceAccount", "aws:SourceArn"),
        "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-and-resource-policy.html",
    ),
    "s3-server-access-logs-delivered": Grant(
        "logging.s3.amazonaws.com",
        ("s3:PutObject",),
        "s3-object",
        ("aws:SourceAccount", "aws:SourceArn"),
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html",
    ),
    "elb-access-logs-delivered": Grant(
        "elb",
        ("s3:PutObject",),
        "s3-object",
        (),
        "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html",
    ),
    # -- keys services use for the account (kms:ViaService) --------------------------------------------------------
    "rds-encrypts-storage": Grant(
        "account",
        ("kms:CreateGrant", "kms:DescribeKey"),
        "kms-key",
        ("kms:ViaService", "kms:CallerAccount"),
        "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.Keys.html",
        via="rds",
    ),
    "secrets-manager-encrypts-secret": Grant(
        "account",
        ("kms:GenerateDataKey", "kms:Decrypt"),
        "kms-key",
        ("kms:ViaService", "kms:CallerAccount"),
        "https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html",
        via="secretsmanager",
    ),
    "elasticache-encrypts-cache": Grant(
        "account",
        ("kms:CreateGrant", "kms:DescribeKey"),
        "kms-key",
        ("kms:ViaService", "kms:CallerAccount"),
        "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/at-rest-encryption.html",
        via="elasticache",
    ),
    "s3-encrypts-objects": Grant(
        "account",
        ("kms:GenerateDataKey", "kms:Decrypt"),
        "kms-key",
        ("kms:ViaService", "kms:CallerAccount"),
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html",
        via="s3",
    ),
    "s3-replication-decrypts-source": Grant(
        "account",
        ("kms:Decrypt",),
        "kms-key",
        ("kms:ViaService", "kms:CallerAccount"),
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html",
        via="s3",
    ),
    "s3-replication-encrypts-replica": Grant(
        "account",
        ("kms:Encrypt", "kms:GenerateDataKey"),
        "kms-key",
        ("kms:ViaService", "kms:CallerAccount"),
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html",
        via="s3",
    ),
    "backup-encrypts-vault": Grant(
        "account",
        ("kms:CreateGrant", "kms:GenerateDataKey", "kms:Decrypt", "kms:DescribeKey"),
        "kms-key",
        ("kms:ViaService", "kms:CallerAccount"),
        "https://docs.aws.amazon.com/aws-backup/latest/devguide/encryption.html",
        via="backup",
    ),
    "prometheus-encrypts-workspace": Grant(
        "account",
        ("kms:CreateGrant", "kms:DescribeKey", "kms:Decrypt", "kms:GenerateDataKey"),
        "kms-key",
        ("kms:ViaService", "kms:CallerAccount"),
        "https://docs.aws.amazon.com/prometheus/latest/userguide/encryption-at-rest-Amazon-Service-Prometheus.html",
        via="aps",
    ),
    "synthetics-encrypts-artifacts": Grant(
        "account",
        ("kms:GenerateDataKey", "kms:Decrypt"),
        "kms-key",
        ("kms:ViaService", "kms:CallerAccount"),
        "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Synthetics_artifact_encryption.html",
        via="s3",
    ),
    # -- roles the stack gives services, against bucket policies that deny -----------------------------------------
    "s3-replication-reads-source": Grant(
        "role",
        (
            "s3:GetReplicationConfiguration",
            "s3:ListBucket",
            "s3:GetObjectVersionForReplication",
            "s3:GetObjectVersionAcl",
            "s3:GetObjectVersionTagging",
        ),
        "s3-bucket",
        (),
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html",
    ),
    "s3-replication-writes-replica": Grant(
        "role",
        ("s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"),
        "s3-bucket",
        (),
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html",
    ),
    "backup-reads-selected-bucket": Grant(
        "role",
        (
            "s3:ListBucket",
            "s3:ListBucketVersions",
            "s3:GetBucketVersioning",
            "s3:GetObject",
            "s3:GetObjectVersion",
            "s3:GetObjectAcl",
            "s3:GetObjectTagging",
            "s3:GetObjectVersionTagging",
        ),
        "s3-bucket",
        (),
        "https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSBackupServiceRolePolicyForS3Backup.html",
    ),
}

#: Who delivers ELB logs in regions opened in or after August 2022 (no ELB account of their own).
ELB_SERVICE_PRINCIPAL = "logdelivery.elasticloadbalancing.amazonaws.com"

#: Actions a role needs on the bucket itself (the rest act on its objects).
BUCKET_ACTIONS = frozenset(
    {"s3:GetReplicationConfiguration", "s3:ListBucket", "s3:ListBucketVersions", "s3:GetBucketVersioning"}
)

#: What lets a vended-logs delivery write without a policy of the stack's own: "If the log group currently does not
#: have a resource policy, and the user setting up the logging has the logs:PutResourcePolicy,
#: logs:DescribeResourcePolicies, and logs:DescribeLogGroups permissions for the log group, then AWS automatically
#: creates" one (CloudWatch Logs user guide, "Enabling logging from AWS services").
AUTOMATIC_LOG_POLICY = ("logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups")

#: The default policy of a topic created without one (SNS developer guide, "Example cases for Amazon SNS access
#: control": ``__default_statement_ID`` admits the owner's account through ``AWS:SourceOwner``).
SNS_DEFAULT_ACTIONS = (
    "SNS:GetTopicAttributes",
    "SNS:SetTopicAttributes",
    "SNS:AddPermission",
    "SNS:RemovePermission",
    "SNS:DeleteTopic",
    "SNS:Subscribe",
    "SNS:ListSubscriptionsByTopic",
    "SNS:Publish",
)
