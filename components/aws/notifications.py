"""Where alerts go: one SNS topic per severity (critical, warning), encrypted with the customer ``alerts`` key.

Each topic's policy lets the account manage it and lets exactly the AWS services that raise alerts publish to it:
CloudWatch alarms, AWS Backup vault notifications and the Prometheus workspace's Alertmanager for this account only,
EventBridge rules unconditioned (EventBridge sets no condition keys when it publishes); nobody publishes without TLS.
Subscriptions (email, the webhook forwarder) are added by the monitoring component.
"""

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from .account import Account
from .keys import ALERT_PUBLISHERS, UNCONDITIONED_PUBLISHERS

NOTIFICATIONS_TYPE = "webstack:aws:Notifications"
SEVERITIES = ("critical", "warning")
PUBLISHERS = ALERT_PUBLISHERS
#: What each publisher calls: Prometheus's Alertmanager reads the topic's attributes before it publishes (Amazon
#: Managed Service for Prometheus user guide, "Giving Amazon Managed Service for Prometheus permission to send alert
#: messages to your Amazon SNS topic": sns:Publish and sns:GetTopicAttributes).
PUBLISHER_ACTIONS: dict[str, tuple[str, ...]] = {"aps": ("sns:Publish", "sns:GetTopicAttributes")}


@dataclass(frozen=True)
class NotificationsArgs:
    """Inputs of :class:`Notifications`."""

    account: Account
    """The account and region (the topic policies' conditions)."""
    name_prefix: str
    """Physical-name prefix, e.g. ``webstack-prod``; topics are ``<prefix>-alerts-<severity>``."""
    key_arn: pulumi.Input[str]
    """Customer KMS key of the topics (the ``alerts`` key, whose policy admits the publishers)."""


class Notifications(pulumi.ComponentResource):
    """The alert topics."""

    topics: dict[str, aws.sns.Topic]

    def __init__(self, name: str, args: NotificationsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(NOTIFICATIONS_TYPE, name, None, opts)
        self.topics = {}
        for severity in SEVERITIES:
            topic = aws.sns.Topic(
                f"{name}-{severity}",
                name=f"{args.name_prefix}-alerts-{severity}",
                display_name=f"{args.name_prefix} {severity} alerts",
                kms_master_key_id=args.key_arn,
                opts=pulumi.ResourceOptions(parent=self),
            )
            aws.sns.TopicPolicy(
                f"{name}-{severity}-policy",
                arn=topic.arn,
                policy=topic.arn.apply(lambda arn: json.dumps(topic_policy(arn, args.account), sort_keys=True)),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.topics[severity] = topic
        self.register_outputs({f"{severity}TopicArn": topic.arn for severity, topic in self.topics.items()})

    @property
    def critical(self) -> aws.sns.Topic:
        return self.topics["critical"]

    @property
    def warning(self) -> aws.sns.Topic:
        return self.topics["warning"]


def topic_policy(arn: str, account: Account) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountManagesTheTopic",
                "Effect": "Allow",
                "Principal": {"AWS": account.root_principal},
                "Action": [
                    "sns:GetTopicAttributes",
                    "sns:SetTopicAttributes",
                    "sns:AddPermission",
                    "sns:RemovePermission",
                    "sns:DeleteTopic",
                    "sns:Subscribe",
                    "sns:ListSubscriptionsByTopic",
                    "sns:Publish",
                ],
                "Resource": arn,
            },
            *_publisher_statements(arn, account),
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sns:Publish",
                "Resource": arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    }


def _publisher_statements(arn: str, account: Account) -> list[dict[str, Any]]:
    """The publishers of this account, each allowed what it calls; EventBridge without a condition (its requests
    carry none, so any condition would refuse it)."""
    this_account = {"StringEquals": {"aws:SourceAccount": account.id}}

    def principals(services: list[str]) -> dict[str, list[str]]:
        return {"Service": [account.service_principal(service) for service in services]}

    plain = [s for s in PUBLISHERS if s not in PUBLISHER_ACTIONS and s not in UNCONDITIONED_PUBLISHERS]
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AlertingServicesPublish",
            "Effect": "Allow",
            "Principal": principals(plain),
            "Action": "sns:Publish",
            "Resource": arn,
            "Condition": this_account,
        }
    ]
    statements += [
        {
            "Sid": "AlertmanagerPublishes",
            "Effect": "Allow",
            "Principal": principals([service]),
            "Action": list(actions),
            "Resource": arn,
            "Condition": this_account,
        }
        for service, actions in PUBLISHER_ACTIONS.items()
    ]
    statements.append(
        {
            "Sid": "EventBridgePublishes",
            "Effect": "Allow",
            "Principal": principals(list(UNCONDITIONED_PUBLISHERS)),
            "Action": "sns:Publish",
            "Resource": arn,
        }
    )
    return statements
