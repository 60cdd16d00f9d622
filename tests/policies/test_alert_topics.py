"""aws-alert-topics-reach-someone: every SNS topic an alarm notifies has a subscription, so that an alarm that fires
is heard (an alarm with actions to a topic nobody subscribes to passes aws-cloudwatch-alarm-actions and tells no
one)."""

from __future__ import annotations

from policies.rules.alarms import alert_topics_reach_someone
from tests.policies.support import Res, check_stack

TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
COMPOSITE_ALARM = "aws:cloudwatch/compositeAlarm:CompositeAlarm"


def alarm(urn: str, *topics: str, kind: str = METRIC_ALARM) -> Res:
    return Res(
        urn,
        kind,
        {"alarmActions": [f"arn:{t}" for t in topics], "okActions": [f"arn:{t}" for t in topics]},
        {"alarmActions": [f"urn:{t}" for t in topics], "okActions": [f"urn:{t}" for t in topics]},
    )


def subscription(urn: str, topic: str, protocol: str = "email") -> Res:
    return Res(urn, SUBSCRIPTION, {"topic": f"arn:{topic}", "protocol": protocol, "endpoint": "oncall@example.org"},
               {"topic": [f"urn:{topic}"]})  # fmt: skip


def alerting(*subscriptions: Res) -> list[Res]:
    """Two alert topics, alarms on both (one composite), and the given subscriptions."""
    return [
        Res("urn:critical", TOPIC, {"name": "webstack-prod-alerts-critical"}),
        Res("urn:warning", TOPIC, {"name": "webstack-prod-alerts-warning"}),
        alarm("urn:cpu-critical", "critical"),
        alarm("urn:cpu-warning", "warning"),
        alarm("urn:degraded", "critical", kind=COMPOSITE_ALARM),
        *subscriptions,
    ]


def test_alert_topics_pass_when_every_notified_topic_has_a_subscriber() -> None:
    stack = alerting(
        subscription("urn:mail-critical", "critical"), subscription("urn:hook-warning", "warning", "lambda")
    )
    assert check_stack(alert_topics_reach_someone, stack) == []


def test_alert_topics_fail_for_a_topic_nobody_subscribes_to() -> None:
    assert check_stack(alert_topics_reach_someone, alerting(subscription("urn:mail-critical", "critical"))) == [
        (
            "urn:warning",
            "Alarms notify this topic ('cpu-warning'), but nothing subscribes to it, so nobody hears them: subscribe "
            "the on-call to it (webstack:monitoring.alertEmails, or webstack:alertWebhookUrl for a chat webhook).",
        )
    ]


def test_alert_topics_fail_for_every_silent_topic_and_name_its_alarms() -> None:
    found = check_stack(alert_topics_reach_someone, alerting())
    assert [urn for urn, _ in found] == ["urn:critical", "urn:warning"]
    assert found[0][1].startswith("Alarms notify this topic ('cpu-critical', 'degraded'), but nothing subscribes")


def test_alert_topics_name_three_alarms_and_count_the_rest() -> None:
    stack = [
        *alerting(subscription("urn:mail-warning", "warning")),
        *(alarm(f"urn:a{n}", "critical") for n in range(4)),
    ]
    ((_, message),) = check_stack(alert_topics_reach_someone, stack)
    assert message.startswith("Alarms notify this topic ('a0', 'a1', 'a2' and 3 more), but nothing subscribes")


def test_alert_topics_ignore_topics_no_alarm_notifies() -> None:
    stack = [Res("urn:other", TOPIC, {"name": "uploads"}), alarm("urn:cpu", "critical"), Res("urn:critical", TOPIC, {}),
             subscription("urn:mail", "critical")]  # fmt: skip
    assert check_stack(alert_topics_reach_someone, stack) == []
