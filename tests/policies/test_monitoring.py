"""Monitoring rules: each passes on what webstack registers for monitoring (encrypted alert topics with email and
chat subscriptions, metric alarms on every database shard, load balancer, target group, service and cache, an ALB
error-rate alarm built from metric queries, a composite alarm, a Prometheus alert manager routing to SNS, an SSO-only
Grafana workspace and a health-check canary) and fails when one thing changes. Props go through the analyzer's
read-only proxies unless a test says otherwise; alarms reach what they watch only through property dependencies."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UNKNOWN_STRING_VALUE, UnknownValueError

from policies.rules import alarms, monitoring
from policies.rules.alarms import (
    cloudwatch_alarm_actions,
    cloudwatch_alarm_description,
    monitoring_coverage,
    sns_topic_encrypted,
)
from policies.rules.monitoring import (
    amp_workspace_customer_key,
    amp_workspace_logging,
    grafana_no_api_keys,
    grafana_sso_only,
    monitoring_no_default_credentials,
)
from tests.policies.support import (
    Res,
    analyzed,
    check_resource,
    check_stack,
    stack_not_applicable,
    unknown_message,
    urns,
)

ACCOUNT = "123456789012"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9"
CRITICAL_TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:webstack-prod-alerts-critical"
WARNING_TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:webstack-prod-alerts-warning"
SLACK_WEBHOOK = "https://hooks.slack.com/services/T000/B000/XXXX"
ALB_SUFFIX = "app/webstack-prod/0123456789abcdef"

METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
COMPOSITE_ALARM = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
DB_INSTANCE = "aws:rds/instance:Instance"
ALB = "aws:lb/loadBalancer:LoadBalancer"
ALB_LEGACY = "aws:alb/loadBalancer:LoadBalancer"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
TARGET_GROUP_LEGACY = "aws:alb/targetGroup:TargetGroup"
ECS_CLUSTER = "aws:ecs/cluster:Cluster"
ECS_SERVICE = "aws:ecs/service:Service"
REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
WORKSPACE = "aws:grafana/workspace:Workspace"
API_KEY = "aws:grafana/workspaceApiKey:WorkspaceApiKey"
CANARY = "aws:synthetics/canary:Canary"
ALERT_MANAGER = "aws:amp/alertManagerDefinition:AlertManagerDefinition"
AMP_WORKSPACE = "aws:amp/workspace:Workspace"

ALERTS_TOPIC_ACTIONS = "alarm_actions=[<alerts topic>.arn]"


# -- what webstack registers -------------------------------------------------------------------------------------------
def alarm(**changes: Any) -> dict[str, Any]:
    """A metric alarm on one metric: the database's CPU unless a test says otherwise."""
    props: dict[str, Any] = {
        "name": "webstack-prod-db-0-cpu",
        "alarmDescription": "Database shard 0 CPU above 80% for 15 minutes. Runbook: docs/runbooks/database.md",
        "namespace": "AWS/RDS",
        "metricName": "CPUUtilization",
        "dimensions": {"DBInstanceIdentifier": "webstack-prod-db-0"},
        "statistic": "Average",
        "period": 300.0,
        "evaluationPeriods": 3.0,
        "threshold": 80.0,
        "comparisonOperator": "GreaterThanThreshold",
        "treatMissingData": "breaching",
        "alarmActions": [CRITICAL_TOPIC],
        "okActions": [CRITICAL_TOPIC],
        "actionsEnabled": True,
    }
    props.update(changes)
    return props


def error_rate_alarm(**changes: Any) -> dict[str, Any]:
    """The load balancer's 5XX rate: two metric queries and an expression."""

    def query(query_id: str, metric: str) -> dict[str, Any]:
        return {
            "id": query_id,
            "returnData": False,
            "metric": {
                "namespace": "AWS/ApplicationELB",
                "metricName": metric,
                "dimensions": {"LoadBalancer": ALB_SUFFIX},
                "period": 60.0,
                "stat": "Sum",
            },
        }

    props: dict[str, Any] = {
        "name": "webstack-prod-alb-5xx-rate",
        "alarmDescription": "More than 5% of requests fail with a 5XX from the app. Runbook: docs/runbooks/alb.md",
        "evaluationPeriods": 5.0,
        "threshold": 5.0,
        "comparisonOperator": "GreaterThanThreshold",
        "metricQueries": [
            query("errors", "HTTPCode_Target_5XX_Count"),
            query("requests", "RequestCount"),
            {"id": "error_rate", "expression": "100 * errors / requests", "label": "5XX rate (%)", "returnData": True},
        ],
        "alarmActions": [CRITICAL_TOPIC],
        "okActions": [CRITICAL_TOPIC],
        "actionsEnabled": True,
    }
    props.update(changes)
    return props


def composite_alarm(**changes: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "alarmName": "webstack-prod-site-down",
        "alarmDescription": "The site fails: 5XX rate high or no healthy targets. Runbook: docs/runbooks/site.md",
        "alarmRule": 'ALARM("webstack-prod-alb-5xx-rate") OR ALARM("webstack-prod-tg-app-unhealthy")',
        "alarmActions": [CRITICAL_TOPIC],
        "okActions": [CRITICAL_TOPIC],
        "actionsEnabled": True,
    }
    props.update(changes)
    return props


def topic(severity: str = "critical", **changes: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "name": f"webstack-prod-alerts-{severity}",
        "displayName": f"webstack-prod {severity} alerts",
        "kmsMasterKeyId": KEY_ARN,
    }
    props.update(changes)
    return props


EMAIL_SUBSCRIPTION = {"topic": CRITICAL_TOPIC, "protocol": "email", "endpoint": "ops@example.org"}
CHAT_SUBSCRIPTION = {"topic": CRITICAL_TOPIC, "protocol": "https", "endpoint": SLACK_WEBHOOK}

ALERT_MANAGER_DEFINITION = f"""alertmanager_config: |
  route:
    receiver: critical
    group_by: ['alertname', 'service']
    routes:
      - matchers: ['severity="warning"']
        receiver: warning
  receivers:
    - name: critical
      sns_configs:
        - topic_arn: {CRITICAL_TOPIC}
          sigv4:
            region: us-east-1
          attributes:
            severity: critical
    - name: warning
      sns_configs: [{{topic_arn: {WARNING_TOPIC}, sigv4: {{region: us-east-1}}}}]
"""


def workspace(**changes: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "name": "webstack-prod",
        "authenticationProviders": ["AWS_SSO"],
        "permissionType": "CUSTOMER_MANAGED",
        "accountAccessType": "CURRENT_ACCOUNT",
        "dataSources": ["PROMETHEUS", "CLOUDWATCH"],
        "configuration": json.dumps({"plugins": {"pluginAdminEnabled": False}, "unifiedAlerting": {"enabled": True}}),
    }
    props.update(changes)
    return props


def canary(variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
    run_config: dict[str, Any] = {"timeoutInSeconds": 60.0}
    if variables is not None:
        run_config["environmentVariables"] = dict(variables)
    return {
        "name": "webstack-prod-health",
        "runtimeVersion": "syn-nodejs-puppeteer-9.1",
        "handler": "index.handler",
        "schedule": {"expression": "rate(5 minutes)"},
        "runConfig": run_config,
    }


def check(policy: ResourceValidationPolicy, resource_type: str, props: Any, **kwargs: Any) -> list[str]:
    """The messages of a resource rule, with props read through the analyzer's read-only proxies."""
    return check_resource(policy, resource_type, analyzed(props), **kwargs)


POLICIES = [*alarms.POLICIES, *monitoring.POLICIES]


# -- the modules -------------------------------------------------------------------------------------------------------
def test_the_modules_export_their_ten_rules_in_order() -> None:
    assert [policy.name for policy in POLICIES] == [
        "aws-cloudwatch-alarm-actions",
        "aws-cloudwatch-alarm-description",
        "aws-alert-topics-reach-someone",
        "aws-sns-topic-encrypted",
        "aws-monitoring-coverage",
        "aws-grafana-sso-only",
        "aws-grafana-no-api-keys",
        "aws-amp-workspace-logging",
        "aws-amp-workspace-customer-key",
        "aws-monitoring-no-default-credentials",
    ]
    assert isinstance(monitoring_coverage, StackValidationPolicy)


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_every_rule_is_described_for_people(policy: ResourceValidationPolicy) -> None:
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", policy.name)
    assert policy.description.startswith("Checks that ")
    assert policy.enforcement_level == EnforcementLevel.MANDATORY
    assert policy.severity is not None
    assert policy.remediation_steps
    assert [tag for tag in policy.tags or [] if tag.startswith("checklist:")]
    for spec in (policy.config_schema.properties if policy.config_schema else {}).values():
        assert "type" in spec
        assert "default" in spec


# -- aws-cloudwatch-alarm-actions, aws-cloudwatch-alarm-description ----------------------------------------------------
NO_ACTIONS = (
    "The alarm has no alarm_actions, so it changes state without telling anyone: set alarm_actions=[<alerts "
    "topic>.arn] (an aws.sns.Topic whose subscriptions reach the on-call), and ok_actions too, to hear when it "
    "recovers."
)
ACTIONS_DISABLED = (
    "The alarm's actions_enabled is False, so it notifies nobody when it fires: remove actions_enabled (it defaults "
    "to True) or set it to True."
)
NO_DESCRIPTION = (
    "The alarm has no alarm_description, so whoever it pages learns neither what fired nor what to do: set "
    "alarm_description to what the alarm means and where its runbook is."
)


@pytest.mark.parametrize(
    ("resource_type", "props"),
    [(METRIC_ALARM, alarm()), (METRIC_ALARM, error_rate_alarm()), (COMPOSITE_ALARM, composite_alarm())],
    ids=["metric", "metric-queries", "composite"],
)
def test_alarm_actions_pass_for_webstacks_alarms(resource_type: str, props: dict[str, Any]) -> None:
    for policy in (cloudwatch_alarm_actions, cloudwatch_alarm_description):
        assert check(policy, resource_type, props) == []
        assert check_resource(policy, resource_type, props) == []  # plain dicts too


def test_alarm_actions_do_not_require_ok_actions_or_actions_enabled() -> None:
    props = alarm()
    del props["okActions"], props["actionsEnabled"]
    assert check(cloudwatch_alarm_actions, METRIC_ALARM, props) == []


@pytest.mark.parametrize("actions", [None, [], [""], ["  "]], ids=["absent", "empty", "empty-arn", "blank-arn"])
@pytest.mark.parametrize("resource_type", [METRIC_ALARM, COMPOSITE_ALARM])
def test_alarm_actions_fail_without_an_action(resource_type: str, actions: Any) -> None:
    props = alarm() if resource_type == METRIC_ALARM else composite_alarm()
    props["alarmActions"] = actions
    if actions is None:
        del props["alarmActions"]
    assert check(cloudwatch_alarm_actions, resource_type, props) == [NO_ACTIONS]


@pytest.mark.parametrize("enabled", [False, "false"], ids=["bool", "text"])
def test_alarm_actions_fail_when_actions_are_disabled(enabled: Any) -> None:
    assert check(cloudwatch_alarm_actions, METRIC_ALARM, alarm(actionsEnabled=enabled)) == [ACTIONS_DISABLED]


@pytest.mark.parametrize("description", [None, "", "   "], ids=["absent", "empty", "blank"])
def test_alarm_description_fails_without_a_description(description: Any) -> None:
    props = composite_alarm(alarmDescription=description)
    if description is None:
        del props["alarmDescription"]
    assert check(cloudwatch_alarm_description, COMPOSITE_ALARM, props) == [NO_DESCRIPTION]
    assert check(cloudwatch_alarm_actions, COMPOSITE_ALARM, props) == []


def test_alarm_actions_report_every_problem_of_a_bare_alarm() -> None:
    props = {"alarmName": "bare", "alarmRule": 'ALARM("x")', "actionsEnabled": False}
    assert check(cloudwatch_alarm_actions, COMPOSITE_ALARM, props) == [NO_ACTIONS, ACTIONS_DISABLED]
    assert check_resource(cloudwatch_alarm_actions, COMPOSITE_ALARM, props) == [NO_ACTIONS, ACTIONS_DISABLED]
    assert check(cloudwatch_alarm_description, COMPOSITE_ALARM, props) == [NO_DESCRIPTION]


def test_alarm_actions_and_descriptions_unknown_during_preview_count_as_set() -> None:
    """A topic's ARN, or a description built from another resource's output, is unknown during a first preview."""
    props = alarm(alarmActions=[UNKNOWN_STRING_VALUE], okActions=[UNKNOWN_STRING_VALUE])
    assert check(cloudwatch_alarm_actions, METRIC_ALARM, props) == []
    props = alarm(alarmActions=UNKNOWN_STRING_VALUE, alarmDescription=UNKNOWN_STRING_VALUE)
    assert check(cloudwatch_alarm_actions, METRIC_ALARM, props) == []
    assert check(cloudwatch_alarm_description, METRIC_ALARM, props) == []


def test_alarm_actions_report_actions_enabled_unknown_during_preview() -> None:
    props = alarm(actionsEnabled=UNKNOWN_BOOLEAN_VALUE)
    assert check(cloudwatch_alarm_actions, METRIC_ALARM, props) == [
        unknown_message("actions_enabled", "True (or leave it out)")
    ]


def test_alarm_actions_ignore_other_resources() -> None:
    assert check(cloudwatch_alarm_actions, TOPIC, {"name": "alerts"}) == []
    assert check(cloudwatch_alarm_description, TOPIC, {"name": "alerts"}) == []


# -- aws-sns-topic-encrypted -------------------------------------------------------------------------------------------
CUSTOMER_KEY = (
    "set kms_master_key_id to a customer-managed KMS key's ARN whose key policy lets cloudwatch.amazonaws.com (and "
    "the other services that publish alerts) use it."
)


@pytest.mark.parametrize("severity", ["critical", "warning"])
def test_topic_passes_under_a_customer_key(severity: str) -> None:
    assert check(sns_topic_encrypted, TOPIC, topic(severity)) == []
    assert check_resource(sns_topic_encrypted, TOPIC, topic(severity)) == []


@pytest.mark.parametrize(
    "key",
    [UNKNOWN_STRING_VALUE, "alias/webstack-prod-alerts", f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/webstack-alerts"],
    ids=["unknown", "customer-alias", "customer-alias-arn"],
)
def test_topic_passes_for_a_key_unknown_during_preview_or_a_customer_alias(key: str) -> None:
    assert check(sns_topic_encrypted, TOPIC, topic(kmsMasterKeyId=key)) == []


@pytest.mark.parametrize("key", [None, "", " "], ids=["absent", "empty", "blank"])
def test_topic_fails_unencrypted(key: Any) -> None:
    props = topic(kmsMasterKeyId=key)
    if key is None:
        del props["kmsMasterKeyId"]
    assert check(sns_topic_encrypted, TOPIC, props) == [
        "The topic names no kms_master_key_id, so SNS stores its messages (alert details, resource names) "
        f"unencrypted: {CUSTOMER_KEY}"
    ]


@pytest.mark.parametrize(
    "key", ["alias/aws/sns", f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/aws/sns"], ids=["alias", "alias-arn"]
)
def test_topic_fails_under_the_aws_managed_key(key: str) -> None:
    assert check(sns_topic_encrypted, TOPIC, topic(kmsMasterKeyId=key)) == [
        f"kms_master_key_id names the AWS-managed key {key}, whose key policy you cannot change, so CloudWatch alarms "
        f"cannot publish to the topic: {CUSTOMER_KEY}"
    ]


def test_topic_rule_ignores_other_resources() -> None:
    assert check(sns_topic_encrypted, SUBSCRIPTION, EMAIL_SUBSCRIPTION) == []


# -- aws-monitoring-coverage -------------------------------------------------------------------------------------------
SHARDS = (0, 1, 2)
#: Watched resources: (urn, metrics, dependencies of each alarm's dimensions besides the resource itself).
WATCHED: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    *((f"urn:db-{n}", ("CPUUtilization", "FreeStorageSpace", "DatabaseConnections"), ()) for n in SHARDS),
    *(
        (f"urn:db-{n}-replica", ("CPUUtilization", "FreeStorageSpace", "DatabaseConnections", "ReplicaLag"), ())
        for n in SHARDS
    ),
    ("urn:alb", ("TargetResponseTime",), ()),
    *((f"urn:tg-{name}", ("UnHealthyHostCount",), ("urn:alb",)) for name in ("app", "api")),
    *((f"urn:svc-{name}", ("CPUUtilization", "MemoryUtilization"), ("urn:ecs-cluster",)) for name in ("app", "worker")),
    ("urn:cache", ("DatabaseMemoryUsagePercentage", "Evictions", "CacheHitRate"), ()),
]


def metric_alarm(watched: str, metric: str, *others: str, urn: str = "", **changes: Any) -> Res:
    """An alarm on ``metric`` whose dimensions take ``watched``'s output (unknown during a first preview)."""
    label = watched.removeprefix("urn:")
    props = alarm(name=f"webstack-prod-{label}-{metric}", metricName=metric, dimensions={"Id": UNKNOWN_STRING_VALUE})
    props.update(changes)
    return Res(urn or f"urn:alarm:{label}:{metric}", METRIC_ALARM, props, {"dimensions": [watched, *others]})


def instance(urn: str, source: str = "") -> Res:
    props: dict[str, Any] = {"identifier": f"webstack-prod-{urn.removeprefix('urn:')}", "instanceClass": "db.r6g.large"}
    if source:
        props["replicateSourceDb"] = UNKNOWN_STRING_VALUE  # the primary's identifier
        return Res(urn, DB_INSTANCE, props, {"replicateSourceDb": [source]})
    return Res(urn, DB_INSTANCE, props)


def coverage_stack() -> list[Res]:
    """Three shards' primaries and replicas, an ALB with two target groups, two ECS services and a Redis group, each
    with an alarm per required metric (the ALB's 5XX errors through metric queries), alert topics and a composite
    alarm."""
    return [
        Res("urn:topic-critical", TOPIC, topic("critical")),
        Res("urn:topic-warning", TOPIC, topic("warning")),
        *(instance(f"urn:db-{n}") for n in SHARDS),
        *(instance(f"urn:db-{n}-replica", f"urn:db-{n}") for n in SHARDS),
        Res("urn:alb", ALB, {"loadBalancerType": "application", "internal": False}),
        *(Res(f"urn:tg-{name}", TARGET_GROUP, {"port": 8000.0, "protocol": "HTTP"}) for name in ("app", "api")),
        Res("urn:ecs-cluster", ECS_CLUSTER, {"name": "webstack-prod"}),
        *(
            Res(f"urn:svc-{name}", ECS_SERVICE, {"desiredCount": 2.0}, {"cluster": ["urn:ecs-cluster"]})
            for name in ("app", "worker")
        ),
        Res("urn:cache", REPLICATION_GROUP, {"engine": "redis", "numNodeGroups": 1.0}),
        *(metric_alarm(urn, metric, *others) for urn, metrics, others in WATCHED for metric in metrics),
        Res("urn:alarm:alb-5xx-rate", METRIC_ALARM, error_rate_alarm(), {"metricQueries": ["urn:alb"]}),
        Res("urn:alarm:site-down", COMPOSITE_ALARM, composite_alarm()),
    ]


def find(resources: Sequence[Res], urn: str) -> Res:
    return next(r for r in resources if r.urn == urn)


def drop(resources: Sequence[Res], *dropped: str) -> list[Res]:
    return [r for r in resources if r.urn not in dropped]


def test_coverage_passes_for_webstacks_alarms() -> None:
    assert check_stack(monitoring_coverage, coverage_stack()) == []


def test_coverage_fails_for_an_instance_without_alarms_and_lists_every_metric() -> None:
    resources = [r for r in coverage_stack() if not r.urn.startswith("urn:alarm:db-1:")]
    assert check_stack(monitoring_coverage, resources) == [
        (
            "urn:db-1",
            "This RDS instance has no CloudWatch alarm on CPUUtilization, DatabaseConnections, FreeStorageSpace, so "
            "nobody is told when it fails or runs out of capacity: add an aws.cloudwatch.MetricAlarm for each whose "
            'dimensions take this RDS instance\'s output (namespace="AWS/RDS", metric_name=<metric>, '
            'dimensions={"DBInstanceIdentifier": <this instance>.identifier}, '
            f"{ALERTS_TOPIC_ACTIONS}).",
        )
    ]


#: (the alarm dropped, the resource it watched, how messages name that resource, the metric, the namespace)
MISSING_ALARMS = [
    ("urn:alarm:db-0:FreeStorageSpace", "urn:db-0", "RDS instance", "FreeStorageSpace", "AWS/RDS"),
    ("urn:alarm:db-2-replica:ReplicaLag", "urn:db-2-replica", "RDS read replica", "ReplicaLag", "AWS/RDS"),
    ("urn:alarm:alb:TargetResponseTime", "urn:alb", "load balancer", "TargetResponseTime", "AWS/ApplicationELB"),
    ("urn:alarm:alb-5xx-rate", "urn:alb", "load balancer", "HTTPCode_Target_5XX_Count", "AWS/ApplicationELB"),
    ("urn:alarm:tg-api:UnHealthyHostCount", "urn:tg-api", "target group", "UnHealthyHostCount", "AWS/ApplicationELB"),
    ("urn:alarm:svc-worker:MemoryUtilization", "urn:svc-worker", "ECS service", "MemoryUtilization", "AWS/ECS"),
    ("urn:alarm:cache:Evictions", "urn:cache", "ElastiCache replication group", "Evictions", "AWS/ElastiCache"),
]


@pytest.mark.parametrize(
    ("alarm_urn", "urn", "what", "metric", "namespace"),
    MISSING_ALARMS,
    ids=["rds-primary", "rds-replica", "alb", "alb-metric-queries", "target-group", "ecs-service", "redis"],
)
def test_coverage_fails_for_each_resource_type_missing_an_alarm(
    alarm_urn: str, urn: str, what: str, metric: str, namespace: str
) -> None:
    ((found_urn, message),) = check_stack(monitoring_coverage, drop(coverage_stack(), alarm_urn))
    assert found_urn == urn
    assert message.startswith(f"This {what} has no CloudWatch alarm on {metric}, so nobody is told when it fails")
    assert f"add an aws.cloudwatch.MetricAlarm for each whose dimensions take this {what}'s output" in message
    assert f'namespace="{namespace}"' in message


def test_coverage_messages_show_the_dimensions_of_each_type() -> None:
    resources = drop(
        coverage_stack(),
        "urn:alarm:tg-app:UnHealthyHostCount",
        "urn:alarm:svc-app:CPUUtilization",
        "urn:alarm:cache:CacheHitRate",
    )
    found = dict(check_stack(monitoring_coverage, resources))
    assert (
        'dimensions={"TargetGroup": <this target group>.arn_suffix, "LoadBalancer": <its load balancer>.arn_suffix}'
        in found["urn:tg-app"]
    )
    assert 'dimensions={"ClusterName": <its cluster>.name, "ServiceName": <this service>.name}' in found["urn:svc-app"]
    assert '{"CacheClusterId": <this group>.member_clusters[<n>]} (one alarm per member node)' in found["urn:cache"]


def test_coverage_requires_replica_lag_of_replicas_only() -> None:
    resources = coverage_stack()
    resources.append(metric_alarm("urn:db-0", "ReplicaLag"))
    assert check_stack(monitoring_coverage, resources) == []
    resources = [r for r in coverage_stack() if not r.urn.endswith(":ReplicaLag")]
    assert urns(check_stack(monitoring_coverage, resources)) == [f"urn:db-{n}-replica" for n in SHARDS]


def test_coverage_knows_a_replica_by_its_source_db_alone() -> None:
    """A replica of an instance outside the stack names its source only in replicate_source_db."""
    resources = [*coverage_stack(), Res("urn:db-external-replica", DB_INSTANCE, {"replicateSourceDb": "arn:aws:rds:x"})]
    resources += [
        metric_alarm("urn:db-external-replica", metric)
        for metric in ("CPUUtilization", "FreeStorageSpace", "DatabaseConnections")
    ]
    ((urn, message),) = check_stack(monitoring_coverage, resources)
    assert urn == "urn:db-external-replica"
    assert message.startswith("This RDS read replica has no CloudWatch alarm on ReplicaLag, so nobody is told")


def test_coverage_does_not_count_an_alarm_on_another_resource() -> None:
    resources = drop(coverage_stack(), "urn:alarm:db-1:CPUUtilization")
    resources.append(metric_alarm("urn:db-2", "CPUUtilization", urn="urn:alarm:db-2:cpu-again"))
    assert urns(check_stack(monitoring_coverage, resources)) == ["urn:db-1"]


def test_coverage_does_not_count_an_alarm_whose_dimensions_name_the_resource_literally() -> None:
    """Without a property dependency nothing ties the alarm to the resource (ids are unknown during a preview)."""
    resources = drop(coverage_stack(), "urn:alarm:db-1:CPUUtilization")
    resources.append(
        Res("urn:alarm:literal", METRIC_ALARM, alarm(dimensions={"DBInstanceIdentifier": "webstack-prod-db-1"}))
    )
    assert urns(check_stack(monitoring_coverage, resources)) == ["urn:db-1"]


def test_coverage_does_not_count_a_metric_query_of_another_metric() -> None:
    resources = drop(coverage_stack(), "urn:alarm:alb-5xx-rate")
    props = error_rate_alarm()
    props["metricQueries"][0]["metric"]["metricName"] = "HTTPCode_ELB_5XX_Count"
    resources.append(Res("urn:alarm:elb-5xx", METRIC_ALARM, props, {"metricQueries": ["urn:alb"]}))
    ((urn, message),) = check_stack(monitoring_coverage, resources)
    assert urn == "urn:alb"
    assert message.startswith("This load balancer has no CloudWatch alarm on HTTPCode_Target_5XX_Count,")


def test_coverage_does_not_count_a_metric_through_the_other_setting() -> None:
    """metric_name counts with dimensions, metric queries with metric_queries: not one with the other."""
    resources = drop(coverage_stack(), "urn:alarm:alb-5xx-rate")
    resources.append(Res("urn:alarm:mixed", METRIC_ALARM, error_rate_alarm(), {"dimensions": ["urn:alb"]}))
    assert urns(check_stack(monitoring_coverage, resources)) == ["urn:alb"]


def test_coverage_checks_application_load_balancers_only() -> None:
    resources = [*coverage_stack(), Res("urn:nlb", ALB, {"loadBalancerType": "network"})]
    assert check_stack(monitoring_coverage, resources) == []
    find(resources, "urn:alb").props.pop("loadBalancerType")
    resources = [r for r in resources if not r.urn.startswith("urn:alarm:alb")]
    ((urn, message),) = check_stack(monitoring_coverage, resources)
    assert urn == "urn:alb"
    assert message.startswith("This load balancer has no CloudWatch alarm on HTTPCode_Target_5XX_Count, Target")


def test_coverage_reads_the_legacy_alb_tokens() -> None:
    resources = coverage_stack()
    find(resources, "urn:alb").type = ALB_LEGACY
    find(resources, "urn:tg-app").type = TARGET_GROUP_LEGACY
    assert check_stack(monitoring_coverage, resources) == []
    resources = drop(resources, "urn:alarm:alb:TargetResponseTime", "urn:alarm:tg-app:UnHealthyHostCount")
    assert urns(check_stack(monitoring_coverage, resources)) == ["urn:alb", "urn:tg-app"]


def test_coverage_required_metrics_are_configurable() -> None:
    config = {"requiredMetrics": {ECS_SERVICE: ["CPUUtilization", "MemoryUtilization", "RunningTaskCount"]}}
    found = check_stack(monitoring_coverage, drop(coverage_stack(), "urn:alarm:cache:Evictions"), config)
    assert urns(found) == ["urn:svc-app", "urn:svc-worker"]
    assert all(m.startswith("This ECS service has no CloudWatch alarm on RunningTaskCount,") for _, m in found)


def test_coverage_checks_configured_types_with_a_generic_fix() -> None:
    config = {"requiredMetrics": {"aws:sqs/queue:Queue": ["ApproximateAgeOfOldestMessage"]}}
    resources = [*coverage_stack(), Res("urn:queue", "aws:sqs/queue:Queue", {"name": "jobs"})]
    assert check_stack(monitoring_coverage, resources, config) == [
        (
            "urn:queue",
            "This aws:sqs/queue:Queue has no CloudWatch alarm on ApproximateAgeOfOldestMessage, so nobody is told "
            "when it fails or runs out of capacity: add an aws.cloudwatch.MetricAlarm for each whose dimensions take "
            "this aws:sqs/queue:Queue's output (metric_name=<metric>, dimensions={<dimension>: "
            f"<this resource>.<output>}}, {ALERTS_TOPIC_ACTIONS}).",
        )
    ]


def test_coverage_replica_metrics_are_configurable() -> None:
    resources = [r for r in coverage_stack() if not r.urn.endswith(":ReplicaLag")]
    assert check_stack(monitoring_coverage, resources, {"replicaMetrics": []}) == []
    found = check_stack(monitoring_coverage, coverage_stack(), {"replicaMetrics": ["ReplicaLag", "ReadIOPS"]})
    assert urns(found) == [f"urn:db-{n}-replica" for n in SHARDS]
    assert all(" alarm on ReadIOPS, " in message for _, message in found)


def test_coverage_does_not_apply_without_watched_resources() -> None:
    resources = [r for r in coverage_stack() if r.type in (TOPIC, METRIC_ALARM, COMPOSITE_ALARM)]
    assert stack_not_applicable(monitoring_coverage, resources) == (
        "the stack has none of the resource types that need alarms (requiredMetrics)"
    )


def test_coverage_reports_a_metric_name_unknown_during_preview_instead_of_the_gap() -> None:
    resources = drop(coverage_stack(), "urn:alarm:db-1:CPUUtilization")
    resources.append(metric_alarm("urn:db-1", "CPUUtilization", metricName=UNKNOWN_STRING_VALUE))
    assert check_stack(monitoring_coverage, resources) == [
        (
            "urn:alarm:db-1:CPUUtilization",
            unknown_message("metric_name", 'a literal metric name such as "CPUUtilization"'),
        )
    ]


def test_coverage_reports_metric_queries_unknown_during_preview() -> None:
    resources = drop(coverage_stack(), "urn:alarm:alb-5xx-rate")
    props = error_rate_alarm()
    props["metricQueries"][0]["metric"]["metricName"] = UNKNOWN_STRING_VALUE
    resources.append(Res("urn:alarm:alb-5xx-rate", METRIC_ALARM, props, {"metricQueries": ["urn:alb"]}))
    assert check_stack(monitoring_coverage, resources) == [
        (
            "urn:alarm:alb-5xx-rate",
            unknown_message("metric_queries[0].metric.metric_name", 'a literal metric name such as "CPUUtilization"'),
        )
    ]
    resources = drop(resources, "urn:alarm:alb-5xx-rate")
    resources.append(
        Res(
            "urn:alarm:alb-5xx-rate",
            METRIC_ALARM,
            error_rate_alarm(metricQueries=UNKNOWN_STRING_VALUE),
            {"metricQueries": ["urn:alb"]},
        )
    )
    assert urns(check_stack(monitoring_coverage, resources)) == ["urn:alarm:alb-5xx-rate"]


def test_coverage_ignores_an_unknown_metric_name_of_an_alarm_on_nothing_watched() -> None:
    resources = [*coverage_stack(), metric_alarm("urn:ecs-cluster", "x", metricName=UNKNOWN_STRING_VALUE)]
    assert check_stack(monitoring_coverage, resources) == []


def test_coverage_still_reports_other_resources_when_a_metric_name_is_unknown() -> None:
    resources = drop(coverage_stack(), "urn:alarm:db-1:CPUUtilization", "urn:alarm:cache:Evictions")
    resources.append(metric_alarm("urn:db-1", "CPUUtilization", metricName=UNKNOWN_STRING_VALUE))
    assert urns(check_stack(monitoring_coverage, resources)) == ["urn:alarm:db-1:CPUUtilization", "urn:cache"]


def test_coverage_reports_a_load_balancer_type_unknown_during_preview() -> None:
    resources = coverage_stack()
    find(resources, "urn:alb").props["loadBalancerType"] = UNKNOWN_STRING_VALUE
    assert check_stack(monitoring_coverage, resources) == [
        ("urn:alb", unknown_message("load_balancer_type", '"application"'))
    ]


# -- aws-grafana-sso-only ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("providers", [["AWS_SSO"], ["SAML"], ["AWS_SSO", "SAML"]], ids=["sso", "saml", "both"])
def test_grafana_passes_for_sso_providers(providers: list[str]) -> None:
    assert check(grafana_sso_only, WORKSPACE, workspace(authenticationProviders=providers)) == []
    assert check_resource(grafana_sso_only, WORKSPACE, workspace(authenticationProviders=providers)) == []


@pytest.mark.parametrize("providers", [None, []], ids=["absent", "empty"])
def test_grafana_fails_without_providers(providers: Any) -> None:
    props = workspace(authenticationProviders=providers)
    if providers is None:
        del props["authenticationProviders"]
    assert check(grafana_sso_only, WORKSPACE, props) == [
        "The workspace names no authentication_providers, so it is not tied to the organisation's SSO: set "
        'authentication_providers=["AWS_SSO"] (IAM Identity Center) or ["SAML"].'
    ]


def test_grafana_fails_for_a_provider_other_than_sso() -> None:
    props = workspace(authenticationProviders=["AWS_SSO", "GRAFANA_LOGIN", ""])
    assert check(grafana_sso_only, WORKSPACE, props) == [
        "The workspace signs users in through 'GRAFANA_LOGIN', '', which is not SSO: set "
        'authentication_providers=["AWS_SSO"] (IAM Identity Center) or ["SAML"] only.'
    ]


# -- aws-grafana-no-api-keys -------------------------------------------------------------------------------------------
def test_grafana_api_keys_pass_without_any() -> None:
    assert check(grafana_no_api_keys, WORKSPACE, workspace()) == []


def test_grafana_fails_for_every_api_key() -> None:
    props = {"keyName": "ci", "keyRole": "ADMIN", "secondsToLive": 2592000.0, "workspaceId": UNKNOWN_STRING_VALUE}
    assert check(grafana_sso_only, API_KEY, props) == []
    assert check(grafana_no_api_keys, API_KEY, props) == [
        "Grafana API keys are long-lived and bypass SSO, so whoever holds one keeps access after leaving: remove the "
        "aws.grafana.WorkspaceApiKey; sign people in as SSO users, and give automation a service account with "
        "short-lived tokens (aws.grafana.WorkspaceServiceAccount and an aws.grafana.WorkspaceServiceAccountToken with "
        "a short seconds_to_live)."
    ]


# -- aws-grafana-sso-only: values unknown during preview ---------------------------------------------------------------
@pytest.mark.parametrize(
    "providers", [UNKNOWN_STRING_VALUE, ["AWS_SSO", UNKNOWN_STRING_VALUE]], ids=["list", "element"]
)
def test_grafana_reports_providers_unknown_during_preview(providers: Any) -> None:
    assert check(grafana_sso_only, WORKSPACE, workspace(authenticationProviders=providers)) == [
        unknown_message("authentication_providers", '["AWS_SSO"]')
    ]


def test_grafana_rule_ignores_other_resources() -> None:
    assert check(grafana_sso_only, TOPIC, topic()) == []


# -- aws-amp-workspace-logging, aws-amp-workspace-customer-key ---------------------------------------------------------
LOG_GROUP_ARN = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/vendedlogs/prometheus/webstack-prod:*"
AMP_LOGGING_EXAMPLE = 'logging_configuration={"log_group_arn": <log group>.arn.apply(lambda arn: f"{arn}:*")}'
NO_AMP_LOGS = (
    "The workspace sends its logs nowhere, so failing recording and alerting rules and alerts the alert manager "
    f"cannot deliver go unnoticed: set {AMP_LOGGING_EXAMPLE}, a CloudWatch log group with retention and a "
    "customer-managed key."
)
NO_AMP_KEY = (
    "The workspace sets no kms_key_arn, so its metrics are encrypted under an AWS-owned key whose use you can neither "
    "audit nor revoke: set kms_key_arn to a customer-managed KMS key's ARN (it cannot be changed later; the workspace "
    "is replaced)."
)


def amp_workspace(**changes: Any) -> dict[str, Any]:
    """The Prometheus workspace webstack registers (None removes a key)."""
    props: dict[str, Any] = {
        "alias": "webstack-prod",
        "kmsKeyArn": KEY_ARN,
        "loggingConfiguration": {"logGroupArn": LOG_GROUP_ARN},
    }
    props.update(changes)
    return {key: value for key, value in props.items() if value is not None}


@pytest.mark.parametrize("policy", [amp_workspace_logging, amp_workspace_customer_key], ids=lambda p: p.name)
def test_amp_passes_for_the_workspace_webstack_registers(policy: ResourceValidationPolicy) -> None:
    assert check(policy, AMP_WORKSPACE, amp_workspace()) == []
    assert check_resource(policy, AMP_WORKSPACE, amp_workspace()) == []


@pytest.mark.parametrize(
    "logging",
    [None, {}, {"logGroupArn": ""}, {"logGroupArn": "  "}],
    ids=["absent", "empty-object", "empty-arn", "blank-arn"],
)
def test_amp_fails_without_a_log_group(logging: Any) -> None:
    props = amp_workspace(loggingConfiguration=logging)
    assert check(amp_workspace_logging, AMP_WORKSPACE, props) == [NO_AMP_LOGS]
    assert check(amp_workspace_customer_key, AMP_WORKSPACE, props) == []


@pytest.mark.parametrize("key", [None, "", " "], ids=["absent", "empty", "blank"])
def test_amp_fails_without_a_customer_key(key: Any) -> None:
    assert check(amp_workspace_customer_key, AMP_WORKSPACE, amp_workspace(kmsKeyArn=key)) == [NO_AMP_KEY]
    assert check(amp_workspace_logging, AMP_WORKSPACE, amp_workspace(kmsKeyArn=key)) == []


def test_amp_fails_under_an_aws_managed_key() -> None:
    key = f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/aws/aps"
    assert check(amp_workspace_customer_key, AMP_WORKSPACE, amp_workspace(kmsKeyArn=key)) == [
        f"kms_key_arn names the AWS-managed key {key}, whose key policy you cannot change: set kms_key_arn to a "
        "customer-managed KMS key's ARN."
    ]


def test_amp_counts_a_log_group_and_key_unknown_during_preview_as_set() -> None:
    """Both are other resources' ARNs (the log group's, the key's), never empty, and no AWS-managed alias."""
    props = amp_workspace(kmsKeyArn=UNKNOWN_STRING_VALUE, loggingConfiguration={"logGroupArn": UNKNOWN_STRING_VALUE})
    assert check(amp_workspace_logging, AMP_WORKSPACE, props) == []
    assert check(amp_workspace_customer_key, AMP_WORKSPACE, props) == []


def test_amp_reports_a_logging_configuration_unknown_during_preview() -> None:
    """An object built from another resource's output as a whole may be empty: it is reported, never passed."""
    props = amp_workspace(loggingConfiguration=UNKNOWN_STRING_VALUE)
    assert check(amp_workspace_logging, AMP_WORKSPACE, props) == [
        unknown_message("logging_configuration", f"a literal object ({AMP_LOGGING_EXAMPLE})"),
    ]


@pytest.mark.parametrize("policy", [amp_workspace_logging, amp_workspace_customer_key], ids=lambda p: p.name)
def test_amp_rules_ignore_other_resources(policy: ResourceValidationPolicy) -> None:
    assert check(policy, ALERT_MANAGER, {"workspaceId": "ws-1"}) == []
    assert check(policy, WORKSPACE, workspace()) == []


# -- aws-monitoring-no-default-credentials -----------------------------------------------------------------------------
CANARY_FIX = (
    "and anyone who can read the canary's configuration sees it: keep the credential in Secrets Manager and have the "
    "canary script read it at run time (grant the canary's execution role secretsmanager:GetSecretValue on that "
    "secret)."
)
SUBSCRIPTION_FIX = (
    "and anyone who can read the subscription's configuration sees it: remove the credentials from the URL and have "
    "the endpoint check that requests come from SNS (verify the message signature) instead; a chat webhook's own "
    "secret URL, passed as a Pulumi secret, needs no password."
)
ALERT_MANAGER_FIX = (
    "and anyone who can read the workspace's alert manager definition sees it: route alerts to SNS (receivers with "
    "sns_configs: [{topic_arn: <alerts topic>.arn, sigv4: {region: ...}}]), which needs no password or token, and "
    "keep credentials out of the definition."
)
GRAFANA_FIX = (
    "and anyone who can read the workspace's configuration sees it: keep the credential out of the workspace "
    'configuration: give data sources IAM access (permission_type "CUSTOMER_MANAGED" with a role of the stack) and '
    "keep any other secret in Secrets Manager."
)
GENERATED = "q7Rm2vXk9LpT4wZs8NbY3cHd6FjG1aE5"

#: What webstack registers: every one passes.
COMPLIANT: list[tuple[str, dict[str, Any]]] = [
    (CANARY, canary()),
    (CANARY, canary({"URL": "https://app.example.org/health"})),
    (CANARY, canary({"URL": "https://app.example.org/health", "EXPECTED_STATUS": "200", "STAGE": "test"})),
    (SUBSCRIPTION, EMAIL_SUBSCRIPTION),
    (SUBSCRIPTION, CHAT_SUBSCRIPTION),
    (SUBSCRIPTION, {"topic": CRITICAL_TOPIC, "protocol": "sqs", "endpoint": f"arn:aws:sqs:us-east-1:{ACCOUNT}:q"}),
    (ALERT_MANAGER, {"workspaceId": "ws-0123", "definition": ALERT_MANAGER_DEFINITION}),
    (WORKSPACE, workspace()),
    (WORKSPACE, workspace(configuration=None)),
]


@pytest.mark.parametrize(
    ("resource_type", "props"),
    COMPLIANT,
    ids=[
        "canary",
        "canary-url",
        "canary-configuration",
        "email",
        "chat-webhook",
        "sqs",
        "alert-manager",
        "grafana",
        "grafana-no-configuration",
    ],
)
def test_credentials_pass_for_webstacks_monitoring(resource_type: str, props: dict[str, Any]) -> None:
    assert check(monitoring_no_default_credentials, resource_type, props) == []
    assert check_resource(monitoring_no_default_credentials, resource_type, props) == []


def test_credentials_fail_for_a_default_password_in_a_canary_variable() -> None:
    props = canary({"URL": "https://app.example.org/health", "LOGIN_PASSWORD": "admin123"})
    assert check(monitoring_no_default_credentials, CANARY, props) == [
        f"Canary variable LOGIN_PASSWORD is set to a known default or weak password, {CANARY_FIX}"
    ]


@pytest.mark.parametrize("name", ["LOGIN_PASSWORD", "API_TOKEN", "clientSecret", "SMOKE_TEST_API_KEY", "DB_PASS"])
def test_credentials_fail_for_any_literal_in_a_credential_named_canary_variable(name: str) -> None:
    props = canary({name: GENERATED})
    assert check(monitoring_no_default_credentials, CANARY, props) == [
        f"Canary variable {name} holds a credential in plain text, {CANARY_FIX}"
    ]
    assert check_resource(monitoring_no_default_credentials, CANARY, props) == [
        f"Canary variable {name} holds a credential in plain text, {CANARY_FIX}"
    ]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LOGIN_SECRET_ARN", f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:login"),
        ("API_TOKEN_PARAMETER", "/webstack/prod/api-token"),
        ("AUTH_MODE", "sigv4"),
        ("LOGIN_SECRET", f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:login"),
        ("TOKEN_REFRESH", "false"),
        ("LOGIN_PASSWORD", ""),
    ],
    ids=["secret-arn", "parameter-name", "auth-mode", "arn-value", "boolean", "empty"],
)
def test_credentials_pass_for_references_to_credentials(name: str, value: str) -> None:
    assert check(monitoring_no_default_credentials, CANARY, canary({name: value})) == []


def test_credentials_fail_for_a_url_with_credentials_in_any_canary_variable() -> None:
    props = canary({"URL": f"https://monitor:{GENERATED}@app.example.org/health"})
    assert check(monitoring_no_default_credentials, CANARY, props) == [
        f"Canary variable URL is a URL with credentials (user:password@host), {CANARY_FIX}"
    ]


def test_credentials_pass_for_canary_values_unknown_during_preview() -> None:
    props = canary({"LOGIN_PASSWORD": UNKNOWN_STRING_VALUE, "URL": UNKNOWN_STRING_VALUE})
    assert check(monitoring_no_default_credentials, CANARY, props) == []


def test_credentials_leave_a_run_config_unknown_during_preview_to_the_analyzer() -> None:
    """The analyzer reports "can't run policy during preview" and the rule runs at update, when it is known."""
    props = canary()
    props["runConfig"]["environmentVariables"] = UNKNOWN_STRING_VALUE
    with pytest.raises(UnknownValueError):
        check(monitoring_no_default_credentials, CANARY, props)


@pytest.mark.parametrize(
    ("endpoint", "problem"),
    [
        (f"https://alerts:{GENERATED}@hooks.example.org/sns", "is a URL with credentials (user:password@host)"),
        (f"https://{GENERATED}@hooks.example.org/sns", "is a URL with credentials (user:password@host)"),
        ("https://admin:changeme@hooks.example.org/sns", "is a URL that carries a known default or weak password"),
    ],
    ids=["user-and-password", "token-as-user", "default-password"],
)
def test_credentials_fail_for_a_subscription_endpoint_with_credentials(endpoint: str, problem: str) -> None:
    props = {**CHAT_SUBSCRIPTION, "endpoint": endpoint}
    assert check(monitoring_no_default_credentials, SUBSCRIPTION, props) == [
        f"The endpoint {problem}, {SUBSCRIPTION_FIX}"
    ]


def test_credentials_pass_for_a_subscription_endpoint_unknown_during_preview() -> None:
    props = {**CHAT_SUBSCRIPTION, "protocol": "lambda", "endpoint": UNKNOWN_STRING_VALUE}
    assert check(monitoring_no_default_credentials, SUBSCRIPTION, props) == []


WEBHOOK_RECEIVER = """
    - name: webhook
      webhook_configs:
        - url: https://hooks.example.org/alerts
          http_config:
"""


@pytest.mark.parametrize(
    ("extra", "keys"),
    [
        (
            "            basic_auth:\n              username: alerts\n              password: s3cr3t-Passw0rd\n",
            "password",
        ),
        ("            bearer_token: 'abc.def.ghi'\n", "bearer_token"),
        ('            basic_auth: {username: alerts, password: "hunter2"}\n', "password"),
        ("            authorization:\n              credentials: abc123def456\n", "credentials"),
        ("            basic_auth:\n              password: x\n            bearer_token: y\n", "password, bearer_token"),
    ],
    ids=["basic-auth", "bearer-token", "flow-style", "authorization", "both"],
)
def test_credentials_fail_for_literals_in_an_alert_manager_definition(extra: str, keys: str) -> None:
    definition = ALERT_MANAGER_DEFINITION + WEBHOOK_RECEIVER + extra
    assert check(monitoring_no_default_credentials, ALERT_MANAGER, {"definition": definition}) == [
        f"The alert manager definition writes {keys} in plain text, {ALERT_MANAGER_FIX}"
    ]


@pytest.mark.parametrize(
    "extra",
    [
        "            basic_auth:\n              username: alerts\n              password_file: /etc/alertmanager/pw\n",
        "            bearer_token_file: /etc/alertmanager/token\n",
        "            basic_auth:\n              username: alerts\n              password: ''\n",
        "            basic_auth:\n              username: alerts\n              password:  # set by the operator\n",
    ],
    ids=["password-file", "token-file", "empty", "comment"],
)
def test_credentials_pass_for_an_alert_manager_definition_without_literals(extra: str) -> None:
    definition = ALERT_MANAGER_DEFINITION + WEBHOOK_RECEIVER + extra
    assert check(monitoring_no_default_credentials, ALERT_MANAGER, {"definition": definition}) == []


def test_credentials_fail_for_a_url_with_credentials_in_an_alert_manager_definition() -> None:
    definition = ALERT_MANAGER_DEFINITION + WEBHOOK_RECEIVER.replace("https://", "https://alerts:pass@")
    assert check(monitoring_no_default_credentials, ALERT_MANAGER, {"definition": definition}) == [
        f"A URL in the alert manager definition is a URL that carries a known default or weak password, "
        f"{ALERT_MANAGER_FIX}"
    ]


def test_credentials_leave_a_definition_unknown_during_preview_to_the_analyzer() -> None:
    with pytest.raises(UnknownValueError):
        check(monitoring_no_default_credentials, ALERT_MANAGER, {"definition": UNKNOWN_STRING_VALUE})


def test_credentials_fail_for_a_password_in_the_grafana_configuration() -> None:
    configuration = {"unifiedAlerting": {"enabled": True}, "smtp": {"user": "grafana", "password": GENERATED}}
    props = workspace(configuration=json.dumps(configuration))
    assert check(monitoring_no_default_credentials, WORKSPACE, props) == [
        f"The configuration's key 'smtp.password' holds a credential in plain text, {GRAFANA_FIX}"
    ]


def test_credentials_fail_for_a_default_secret_or_url_in_the_grafana_configuration() -> None:
    configuration = {
        "auth": {"clientSecret": "changeme", "enabled": True},
        "dataSources": [{"url": "https://grafana:admin@prometheus.internal"}],
    }
    props = workspace(configuration=configuration)  # already an object
    assert check(monitoring_no_default_credentials, WORKSPACE, props) == [
        f"The configuration's key 'auth.clientSecret' is set to a known default or weak password, {GRAFANA_FIX}",
        f"The configuration's key 'dataSources.[0].url' is a URL that carries a known default or weak password, "
        f"{GRAFANA_FIX}",
    ]


def test_credentials_pass_for_grafana_configuration_that_is_not_json() -> None:
    assert check(monitoring_no_default_credentials, WORKSPACE, workspace(configuration="password=admin")) == []


def test_credentials_deny_list_and_name_pattern_are_configurable() -> None:
    props = canary({"LOGIN_PASSWORD": "Tr0ub4dor&3", "PROBE_PIN": "4821"})
    (message,) = check(monitoring_no_default_credentials, CANARY, props, config={"passwordDenyList": ["tr0ub4dor&3"]})
    assert message.startswith("Canary variable LOGIN_PASSWORD is set to a known default or weak password, ")
    found = check(monitoring_no_default_credentials, CANARY, props, config={"credentialNamePattern": r"(^|_)PIN$"})
    assert found == [f"Canary variable PROBE_PIN holds a credential in plain text, {CANARY_FIX}"]


def test_credentials_report_an_invalid_name_pattern_instead_of_raising() -> None:
    (message,) = check(
        monitoring_no_default_credentials, CANARY, canary(), config={"credentialNamePattern": "(unclosed"}
    )
    assert message.startswith("The policy's credentialNamePattern is not a valid regular expression (")
    assert message.endswith("): fix the pack config.")


def test_credentials_messages_never_contain_the_credential() -> None:
    cases: list[tuple[str, dict[str, Any]]] = [
        (CANARY, canary({"LOGIN_PASSWORD": GENERATED, "URL": f"https://u:{GENERATED}@h"})),
        (SUBSCRIPTION, {**CHAT_SUBSCRIPTION, "endpoint": f"https://u:{GENERATED}@h/x"}),
        (ALERT_MANAGER, {"definition": f"{WEBHOOK_RECEIVER}            bearer_token: {GENERATED}\n"}),
        (WORKSPACE, workspace(configuration=json.dumps({"smtp": {"password": GENERATED}}))),
    ]
    for resource_type, props in cases:
        found = check(monitoring_no_default_credentials, resource_type, copy.deepcopy(props))
        assert found
        assert all(GENERATED not in message for message in found)


def test_credentials_rule_ignores_other_resources() -> None:
    assert check(monitoring_no_default_credentials, TOPIC, {"name": "admin", "policy": "password: admin"}) == []
