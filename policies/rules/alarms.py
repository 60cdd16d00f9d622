"""Alarm rules: every CloudWatch alarm tells someone and says why, the topics it notifies reach someone and are
encrypted under a customer key, and the resources that serve the site have alarms on the metrics that show them
failing.

An alarm watches a resource when its dimensions (``property_dependencies["dimensions"]``), or its metric queries
(``property_dependencies["metricQueries"]``), take that resource's output; never through ids, names or ARN suffixes,
which are unknown during a preview. The legacy ``aws:alb`` load balancer and target group tokens count as their
``aws:lb`` equivalents. References to other resources (alarm actions, descriptions built from outputs, KMS keys) that
are unknown during a preview count as set; settings the program writes literally (metric names, actions_enabled, load
balancer types) are reported when unknown.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._common import is_read_replica, schema, setting
from ._props import UNKNOWN, as_text, aws_managed_key, is_set, list_items, prop, unknown_message
from .load_balancer import LOAD_BALANCER_TYPES, TARGET_GROUP_TYPES

METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


COMPOSITE_ALARM = "aws:cloudwatch/compositeAlarm:CompositeAlarm"


ALARM_TYPES = (METRIC_ALARM, COMPOSITE_ALARM)


TOPIC = "aws:sns/topic:Topic"


TOPIC_SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"


RDS_INSTANCE = "aws:rds/instance:Instance"


LOAD_BALANCER = LOAD_BALANCER_TYPES[0]


TARGET_GROUP = TARGET_GROUP_TYPES[0]


ECS_SERVICE = "aws:ecs/service:Service"


REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"


ALERTS_TOPIC_ACTIONS = "alarm_actions=[<alerts topic>.arn]"


# -- alarm actions -----------------------------------------------------------------------------------------------------
def _is_false(value: Any) -> bool:
    """A boolean setting that is off (the engine gives bools; accept "false" as text too)."""
    return value is False or (isinstance(value, str) and value.strip().lower() == "false")


def _alarm_actions(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in ALARM_TYPES:
        return
    actions = prop(args.props, "alarmActions")
    # An action unknown during preview is a topic's ARN: it counts as set.
    if actions is not UNKNOWN and not any(is_set(action) for action in list_items(actions)):
        report(
            f"The alarm has no alarm_actions, so it changes state without telling anyone: set {ALERTS_TOPIC_ACTIONS} "
            "(an aws.sns.Topic whose subscriptions reach the on-call), and ok_actions too, to hear when it recovers.",
            None,
        )
    enabled = prop(args.props, "actionsEnabled")
    if enabled is UNKNOWN:
        report(unknown_message("actions_enabled", "True (or leave it out)"), None)
    elif _is_false(enabled):
        report(
            "The alarm's actions_enabled is False, so it notifies nobody when it fires: remove actions_enabled (it "
            "defaults to True) or set it to True.",
            None,
        )


cloudwatch_alarm_actions = ResourceValidationPolicy(
    name="aws-cloudwatch-alarm-actions",
    description="Checks that every CloudWatch metric and composite alarm notifies someone: alarm actions set and "
    "enabled.",
    validate=_alarm_actions,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=["cloudwatch", "alerting", "checklist:alerts", "fsbp:CloudWatch.15", "fsbp:CloudWatch.17"],
    remediation_steps=f"Give every aws.cloudwatch.MetricAlarm and CompositeAlarm {ALERTS_TOPIC_ACTIONS} (and "
    "ok_actions), and leave actions_enabled out or True.",
)


def _alarm_description(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type in ALARM_TYPES and not is_set(prop(args.props, "alarmDescription")):
        report(
            "The alarm has no alarm_description, so whoever it pages learns neither what fired nor what to do: set "
            "alarm_description to what the alarm means and where its runbook is.",
            None,
        )


cloudwatch_alarm_description = ResourceValidationPolicy(
    name="aws-cloudwatch-alarm-description",
    description="Checks that every CloudWatch metric and composite alarm says what it means (an alarm description).",
    validate=_alarm_description,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.LOW,
    tags=["cloudwatch", "alerting", "checklist:alerts"],
    remediation_steps="Set alarm_description on every aws.cloudwatch.MetricAlarm and CompositeAlarm to what the alarm "
    "means and where its runbook is.",
)


# -- SNS topic encryption ----------------------------------------------------------------------------------------------
_CUSTOMER_KEY = (
    "set kms_master_key_id to a customer-managed KMS key's ARN whose key policy lets cloudwatch.amazonaws.com (and "
    "the other services that publish alerts) use it"
)


def _topic_encrypted(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != TOPIC:
        return
    key = prop(args.props, "kmsMasterKeyId")
    if not is_set(key):
        report(
            "The topic names no kms_master_key_id, so SNS stores its messages (alert details, resource names) "
            f"unencrypted: {_CUSTOMER_KEY}.",
            None,
        )
    elif aws_managed_key(key):
        report(
            f"kms_master_key_id names the AWS-managed key {as_text(key)}, whose key policy you cannot change, so "
            f"CloudWatch alarms cannot publish to the topic: {_CUSTOMER_KEY}.",
            None,
        )


sns_topic_encrypted = ResourceValidationPolicy(
    name="aws-sns-topic-encrypted",
    description="Checks that every SNS topic is encrypted under a customer-managed KMS key, not `alias/aws/sns` "
    "(whose key policy does not let CloudWatch publish).",
    validate=_topic_encrypted,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=["sns", "alerting", "encryption", "checklist:encryption-at-rest", "checklist:alerts", "fsbp:SNS.1"],
    remediation_steps="Set kms_master_key_id=<customer-managed key>.arn on every aws.sns.Topic, with a key policy that "
    "lets cloudwatch.amazonaws.com (and the other publishers: events, backup) call kms:GenerateDataKey* and "
    "kms:Decrypt.",
)


# -- alert topics reach someone ----------------------------------------------------------------------------------------
#: Alarm properties that name the topics an alarm notifies.
ALARM_ACTION_KEYS = ("alarmActions", "okActions", "insufficientDataActions")


def _alert_topics_reach_someone(args: StackValidationArgs, report: ReportViolation) -> None:
    notified: dict[str, tuple[PolicyResource, set[str]]] = {}
    subscribed: set[str] = set()
    for resource in args.resources:
        if resource.resource_type in ALARM_TYPES:
            for key in ALARM_ACTION_KEYS:
                for topic in resource.property_dependencies.get(key) or []:
                    if topic.resource_type == TOPIC:
                        notified.setdefault(topic.urn, (topic, set()))[1].add(resource.name)
        elif resource.resource_type == TOPIC_SUBSCRIPTION:
            subscribed.update(dep.urn for dep in resource.property_dependencies.get("topic") or [])
    for urn in sorted(set(notified) - subscribed):
        _, alarms = notified[urn]
        shown = sorted(alarms)[:3]
        names = ", ".join(f"'{name}'" for name in shown) + (
            f" and {len(alarms) - len(shown)} more" if len(alarms) > len(shown) else ""
        )
        report(
            f"Alarms notify this topic ({names}), but nothing subscribes to it, so nobody hears them: subscribe the "
            "on-call to it (webstack:monitoring.alertEmails, or webstack:alertWebhookUrl for a chat webhook).",
            urn,
        )


alert_topics_reach_someone = StackValidationPolicy(
    name="aws-alert-topics-reach-someone",
    description="Checks that every SNS topic a CloudWatch alarm notifies has a subscription in the stack, so an alarm "
    "that fires reaches somebody.",
    validate=_alert_topics_reach_someone,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=["sns", "alerting", "checklist:alerts"],
    remediation_steps="Add an aws.sns.TopicSubscription (email, or a Lambda that posts to the team's chat) to every "
    "topic in the alarms' alarm_actions (webstack:monitoring.alertEmails, webstack:alertWebhookUrl). Email "
    "subscriptions take effect once their address confirms them.",
)


# -- coverage ----------------------------------------------------------------------------------------------------------
DEFAULT_REQUIRED_METRICS: dict[str, list[str]] = {
    RDS_INSTANCE: ["CPUUtilization", "FreeStorageSpace", "DatabaseConnections"],
    LOAD_BALANCER: ["HTTPCode_Target_5XX_Count", "TargetResponseTime"],
    TARGET_GROUP: ["UnHealthyHostCount"],
    ECS_SERVICE: ["CPUUtilization", "MemoryUtilization"],
    REPLICATION_GROUP: ["DatabaseMemoryUsagePercentage", "Evictions", "CacheHitRate"],
}


DEFAULT_REPLICA_METRICS = ["ReplicaLag"]


_COVERAGE_SCHEMA = schema(
    {
        "requiredMetrics": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "default": DEFAULT_REQUIRED_METRICS,
            "description": "The CloudWatch metrics each resource of a type needs an alarm on, by type token. A "
            "configured object replaces the default: list every type to check. Load balancers are checked only when "
            "they are application load balancers.",
        },
        "replicaMetrics": {
            "type": "array",
            "items": {"type": "string"},
            "default": DEFAULT_REPLICA_METRICS,
            "description": "The CloudWatch metrics every RDS read replica needs an alarm on, besides those "
            "requiredMetrics names for aws:rds/instance:Instance.",
        },
    }
)


#: The legacy tokens of load balancers and target groups, as their aws:lb equivalents.
_CANONICAL = {LOAD_BALANCER_TYPES[1]: LOAD_BALANCER, TARGET_GROUP_TYPES[1]: TARGET_GROUP}


@dataclass(frozen=True)
class _Watched:
    """How messages name a watched resource type, and the alarm that watches it."""

    what: str
    namespace: str
    dimensions: str


_WATCHED = {
    RDS_INSTANCE: _Watched("RDS instance", "AWS/RDS", '{"DBInstanceIdentifier": <this instance>.identifier}'),
    LOAD_BALANCER: _Watched("load balancer", "AWS/ApplicationELB", '{"LoadBalancer": <this load balancer>.arn_suffix}'),
    TARGET_GROUP: _Watched(
        "target group",
        "AWS/ApplicationELB",
        '{"TargetGroup": <this target group>.arn_suffix, "LoadBalancer": <its load balancer>.arn_suffix}',
    ),
    ECS_SERVICE: _Watched(
        "ECS service", "AWS/ECS", '{"ClusterName": <its cluster>.name, "ServiceName": <this service>.name}'
    ),
    REPLICATION_GROUP: _Watched(
        "ElastiCache replication group",
        "AWS/ElastiCache",
        '{"CacheClusterId": <this group>.member_clusters[<n>]} (one alarm per member node)',
    ),
}


def _canonical(resource_type: str) -> str:
    return _CANONICAL.get(resource_type, resource_type)


def _metric_names(value: Any) -> list[str]:
    return [as_text(item) for item in list_items(value) if as_text(item)]


def _required_metrics(args: StackValidationArgs) -> dict[str, list[str]]:
    configured = setting(args, _COVERAGE_SCHEMA, "requiredMetrics")
    if not isinstance(configured, Mapping):
        return {}
    return {str(resource_type): _metric_names(configured[resource_type]) for resource_type in configured}


def _metric_of(query: Any) -> Any:
    """The metric name of a metric query: "" for an expression, :data:`UNKNOWN` when unknown during preview."""
    metric = UNKNOWN if query is UNKNOWN else prop(query, "metric")
    name = UNKNOWN if metric is UNKNOWN else prop(metric, "metricName")
    return UNKNOWN if name is UNKNOWN else as_text(name)


def _watches(alarm: PolicyResource) -> Iterator[tuple[str, Any, set[str]]]:
    """(setting, metric name, URNs watched) for each metric of a metric alarm that takes another resource's output:
    its own metric through ``dimensions``, and each metric query through ``metric_queries``."""
    dimensions = {d.urn for d in alarm.property_dependencies.get("dimensions") or []}
    if dimensions:
        name = prop(alarm.props, "metricName")
        yield "metric_name", UNKNOWN if name is UNKNOWN else as_text(name), dimensions
    queried = {d.urn for d in alarm.property_dependencies.get("metricQueries") or []}
    if queried:
        queries = prop(alarm.props, "metricQueries")
        if queries is UNKNOWN:
            yield "metric_queries", UNKNOWN, queried
        for index, query in enumerate(list_items(queries)):
            yield f"metric_queries[{index}].metric.metric_name", _metric_of(query), queried


def _needs(
    resource: PolicyResource, required: Mapping[str, list[str]], replica_metrics: list[str], report: ReportViolation
) -> tuple[str, list[str]]:
    """How messages name the resource, and the metrics it needs alarms on (none: not watched)."""
    resource_type = _canonical(resource.resource_type)
    watched = _WATCHED.get(resource_type)
    what = watched.what if watched else resource_type
    metrics = list(required.get(resource_type, []))
    if resource_type == LOAD_BALANCER and metrics:
        kind = prop(resource.props, "loadBalancerType")
        if kind is UNKNOWN:
            report(unknown_message("load_balancer_type", '"application"'), resource.urn)
            return what, []
        if as_text(kind) not in ("", "application"):
            return what, []
    if resource_type == RDS_INSTANCE and is_read_replica(resource):
        return "RDS read replica", [*metrics, *replica_metrics]
    return what, metrics


def _missing_message(resource_type: str, what: str, missing: list[str]) -> str:
    watched = _WATCHED.get(resource_type)
    if watched:
        example = f'namespace="{watched.namespace}", metric_name=<metric>, dimensions={watched.dimensions}'
    else:
        example = "metric_name=<metric>, dimensions={<dimension>: <this resource>.<output>}"
    return (
        f"This {what} has no CloudWatch alarm on {', '.join(missing)}, so nobody is told when it fails or runs out "
        f"of capacity: add an aws.cloudwatch.MetricAlarm for each whose dimensions take this {what}'s output "
        f"({example}, {ALERTS_TOPIC_ACTIONS})."
    )


def _coverage(args: StackValidationArgs, report: ReportViolation) -> None:
    required = _required_metrics(args)
    replica_metrics = _metric_names(setting(args, _COVERAGE_SCHEMA, "replicaMetrics"))
    types = set(required) | ({RDS_INSTANCE} if replica_metrics else set())
    candidates = [r for r in args.resources if _canonical(r.resource_type) in types]
    if not candidates:
        args.not_applicable("the stack has none of the resource types that need alarms (requiredMetrics)")
        return
    needs: dict[str, tuple[PolicyResource, str, list[str]]] = {}
    for resource in candidates:
        what, metrics = _needs(resource, required, replica_metrics, report)
        if metrics:
            needs[resource.urn] = (resource, what, metrics)
    covered: dict[str, set[str]] = {urn: set() for urn in needs}
    #: Resources an alarm whose metric name is unknown during preview may watch (the unknown is reported instead).
    undecided: set[str] = set()
    for alarm in (r for r in args.resources if r.resource_type == METRIC_ALARM):
        unknown: list[str] = []
        for setting_name, metric, urns in _watches(alarm):
            watched = {urn for urn in urns if urn in needs}
            if metric is UNKNOWN:
                if watched:
                    unknown.append(setting_name)
                    undecided |= watched
                continue
            for urn in watched:
                covered[urn].add(metric)
        if unknown:
            report(unknown_message(", ".join(unknown), 'a literal metric name such as "CPUUtilization"'), alarm.urn)
    for urn, (resource, what, metrics) in needs.items():
        missing = sorted(set(metrics) - covered[urn])
        if missing and urn not in undecided:
            report(_missing_message(_canonical(resource.resource_type), what, missing), urn)


monitoring_coverage = StackValidationPolicy(
    name="aws-monitoring-coverage",
    description="Checks that every RDS instance (read replicas also on ReplicaLag), application load balancer, target "
    "group, ECS service and ElastiCache replication group has a CloudWatch alarm on each metric that shows it failing "
    "(`requiredMetrics`, per type).",
    validate=_coverage,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_COVERAGE_SCHEMA,
    severity=Severity.MEDIUM,
    tags=["cloudwatch", "alerting", "checklist:alerts"],
    remediation_steps="Add an aws.cloudwatch.MetricAlarm per required metric whose dimensions take the resource's "
    "output (an RDS instance's identifier, a load balancer's or target group's arn_suffix, an ECS service's and its "
    "cluster's names, an ElastiCache group's member_clusters), with alarm_actions=[<alerts topic>.arn]; metric "
    "queries count when the query's metric names the resource.",
)

POLICIES = [
    cloudwatch_alarm_actions,
    cloudwatch_alarm_description,
    alert_topics_reach_someone,
    sns_topic_encrypted,
    monitoring_coverage,
]
