"""The Notifications component: one alert topic per severity, encrypted with the customer alerts key, whose policy lets
the account manage it and only the alerting services of this account publish to it; its outputs are the topic ARNs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.aws.account import Account
from components.aws.notifications import Notifications, NotificationsArgs
from stackcheck.engine.cloud import ACCOUNT_ID
from tests.conftest import TEST_REGION, construct, one, registered

ACCOUNT = Account(id=ACCOUNT_ID, partition="aws", region=TEST_REGION)
ALERTS_KEY_ARN = f"arn:aws:kms:{TEST_REGION}:{ACCOUNT_ID}:key/alerts"
SEVERITIES = ("critical", "warning")

TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
PUBLISHERS = ["cloudwatch.amazonaws.com", "events.amazonaws.com", "backup.amazonaws.com", "aps.amazonaws.com"]


def notifications(name: str) -> tuple[Notifications, dict[str, str]]:
    """Alert topics named ``name`` (physical prefix ``webstack-<name>``) and what their ARNs resolved to, by
    ``<severity>`` from ``topics`` and ``<severity>-property`` from the ``critical``/``warning`` properties."""
    args = NotificationsArgs(account=ACCOUNT, name_prefix=f"webstack-{name}", key_arn=ALERTS_KEY_ARN)
    arns: dict[str, str] = {}

    def factory() -> Notifications:
        built = Notifications(name, args)
        for severity, topic in built.topics.items():
            topic.arn.apply(lambda arn, severity=severity: arns.__setitem__(severity, arn))
        built.critical.arn.apply(lambda arn: arns.__setitem__("critical-property", arn))
        built.warning.arn.apply(lambda arn: arns.__setitem__("warning-property", arn))
        return built

    return construct(factory), arns


def statements(name: str, severity: str) -> dict[str, dict[str, Any]]:
    """The statements of one topic's policy, by Sid."""
    document = json.loads(one(f"{name}-{severity}-policy").inputs["policy"])
    assert document["Version"] == "2012-10-17"
    return {statement["Sid"]: statement for statement in document["Statement"]}


@pytest.fixture(scope="module")
def default_notifications() -> tuple[Notifications, dict[str, str]]:
    return notifications("ntfdefault")


# -- defaults are secure -----------------------------------------------------------------------------------------------
def test_defaults_are_secure(default_notifications: tuple[Notifications, dict[str, str]]) -> None:
    component = one("ntfdefault")
    assert component.type == "webstack:aws:Notifications"
    assert sorted(r.name for r in registered("ntfdefault-", TOPIC)) == ["ntfdefault-critical", "ntfdefault-warning"]
    for severity in SEVERITIES:
        topic = one(f"ntfdefault-{severity}")
        assert topic.type == TOPIC
        assert topic.parent == component.urn
        assert topic.inputs["name"] == f"webstack-ntfdefault-alerts-{severity}"
        assert topic.inputs["displayName"] == f"webstack-ntfdefault {severity} alerts"
        assert topic.inputs["kmsMasterKeyId"] == ALERTS_KEY_ARN
        assert topic.outputs["arn"] == f"arn:aws:sns:{TEST_REGION}:{ACCOUNT_ID}:webstack-ntfdefault-alerts-{severity}"

        policy = one(f"ntfdefault-{severity}-policy")
        assert policy.type == TOPIC_POLICY
        assert policy.parent == component.urn
        assert policy.inputs["arn"] == topic.outputs["arn"]
        assert policy.property_dependencies["arn"] == [topic.urn]
        assert set(statements("ntfdefault", severity)) == {
            "AccountManagesTheTopic",
            "AlertingServicesPublish",
            "AlertmanagerPublishes",
            "EventBridgePublishes",
            "DenyInsecureTransport",
        }
    assert [r.name for r in registered("ntfdefault-") if r.protect] == []


# -- topic policies ----------------------------------------------------------------------------------------------------
def test_only_the_alerting_services_of_this_account_publish(
    default_notifications: tuple[Notifications, dict[str, str]],
) -> None:
    this_account = {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}
    for severity in SEVERITIES:
        arn = one(f"ntfdefault-{severity}").outputs["arn"]
        found = statements("ntfdefault", severity)
        assert found["AlertingServicesPublish"] == {
            "Sid": "AlertingServicesPublish",
            "Effect": "Allow",
            "Principal": {"Service": ["cloudwatch.amazonaws.com", "backup.amazonaws.com"]},
            "Action": "sns:Publish",
            "Resource": arn,
            "Condition": this_account,
        }
        # Alertmanager reads the topic's attributes before it publishes.
        assert found["AlertmanagerPublishes"] == {
            "Sid": "AlertmanagerPublishes",
            "Effect": "Allow",
            "Principal": {"Service": ["aps.amazonaws.com"]},
            "Action": ["sns:Publish", "sns:GetTopicAttributes"],
            "Resource": arn,
            "Condition": this_account,
        }
        # EventBridge's requests carry no condition keys: a condition would refuse every one of them.
        assert found["EventBridgePublishes"] == {
            "Sid": "EventBridgePublishes",
            "Effect": "Allow",
            "Principal": {"Service": ["events.amazonaws.com"]},
            "Action": "sns:Publish",
            "Resource": arn,
        }
        allowed = {p for s in found.values() if s["Effect"] == "Allow" for p in s["Principal"].get("Service", [])}
        assert allowed == set(PUBLISHERS)


def test_the_account_manages_the_topic_and_nobody_else_is_admitted(
    default_notifications: tuple[Notifications, dict[str, str]],
) -> None:
    for severity in SEVERITIES:
        arn = one(f"ntfdefault-{severity}").outputs["arn"]
        found = statements("ntfdefault", severity)
        assert found["AccountManagesTheTopic"] == {
            "Sid": "AccountManagesTheTopic",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
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
        }
        for statement in found.values():
            if statement["Effect"] == "Allow":
                assert statement["Principal"] != "*"
                assert statement["Principal"] not in ({"AWS": "*"}, {"Service": "*"})
                assert statement["Resource"] == arn


def test_nobody_publishes_without_tls(default_notifications: tuple[Notifications, dict[str, str]]) -> None:
    for severity in SEVERITIES:
        arn = one(f"ntfdefault-{severity}").outputs["arn"]
        assert statements("ntfdefault", severity)["DenyInsecureTransport"] == {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sns:Publish",
            "Resource": arn,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }


# -- outputs -----------------------------------------------------------------------------------------------------------
def test_outputs_expose_the_topic_arns(default_notifications: tuple[Notifications, dict[str, str]]) -> None:
    built, arns = default_notifications
    assert set(built.topics) == set(SEVERITIES)
    expected = {severity: one(f"ntfdefault-{severity}").outputs["arn"] for severity in SEVERITIES}
    assert arns == {**expected, **{f"{severity}-property": arn for severity, arn in expected.items()}}
    assert arns["critical"] != arns["warning"]
