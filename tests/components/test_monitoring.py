"""The monitoring components: Prometheus (an encrypted workspace logging through a delivery policy, the catalog as
rules, Alertmanager routing per severity, Grafana through IAM Identity Center) and Monitoring (an alarm per catalog
entry, severity and watched resource with its dimensions and actions, metric math, threshold overrides, the
composite "service degraded" alarm, slow-query metric filters, email and webhook routing with the URL kept secret,
the uptime canary and its artifacts, the dashboard); and the module's helpers."""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import json
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest
import yaml
from pulumi.provider.experimental.component import ComponentProvider

from components.alerts import Alert, Severity, catalog, prometheus_rules
from components.aws.account import Account
from components.aws.monitoring import (
    Monitoring,
    MonitoringArgs,
    WatchedArgs,
    WatchedDatabaseArgs,
    dashboard,
    instance_memory_gib,
    max_connections,
    validate_monitoring_args,
)
from components.aws.monitoring_functions import (
    CANARY_CODE,
    FORWARDER_CODE,
    canary_archive,
    canary_name,
    canary_policy,
    forwarder_policy,
)
from components.aws.platform_args import monitoring_args, prometheus_args
from components.aws.prometheus import Prometheus, PrometheusArgs, alertmanager_definition
from components.provider import PACKAGE, hosted
from components.settings import CANARY_RUNTIME, MonitoringSettings
from stackcheck.engine.cloud import ACCOUNT_ID
from stackcheck.engine.resources import REDACTED, RecordedResource, is_secret, redact
from tests.conftest import TEST_REGION, construct, one, registered

ACCOUNT = Account(id=ACCOUNT_ID, partition="aws", region=TEST_REGION)
DOMAIN = "app.example.org"
DATA_KEY_ARN = f"arn:aws:kms:{TEST_REGION}:{ACCOUNT_ID}:key/data"
LOGS_KEY_ARN = f"arn:aws:kms:{TEST_REGION}:{ACCOUNT_ID}:key/logs"
SECRETS_KEY_ARN = f"arn:aws:kms:{TEST_REGION}:{ACCOUNT_ID}:key/secrets"
ACCESS_LOG_BUCKET = "webstack-test-access-logs-0a1b2c3d4e5f"
CRITICAL_TOPIC = f"arn:aws:sns:{TEST_REGION}:{ACCOUNT_ID}:webstack-test-alerts-critical"
WARNING_TOPIC = f"arn:aws:sns:{TEST_REGION}:{ACCOUNT_ID}:webstack-test-alerts-warning"
TOPICS: dict[Severity, str] = {"critical": CRITICAL_TOPIC, "warning": WARNING_TOPIC}
WEBHOOK_URL = "https://hooks.slack.com/services/T0000/B0000/monitoring-test-webhook-token"
EMAILS = ["ops@example.org", "oncall@example.org"]
INSTANCE_CLASS = "db.r7g.large"
STORAGE_GB = 100

SERVICES = ("frontend", "backend")
SHARDS = 2
CACHE_NODES = 2
#: The subjects (alarm name parts) of each target's watched resources in the builds below: 2 shards of a primary and
#: one replica, 2 cache nodes, both services and their target groups.
SUBJECTS: dict[str, list[str]] = {
    "load_balancer": ["alb"],
    "target_group": [f"{service}-targets" for service in SERVICES],
    "service": list(SERVICES),
    "database": [f"shard-{shard}-{kind}" for shard in range(SHARDS) for kind in ("primary", "replica-0")],
    "replica": [f"shard-{shard}-replica-0" for shard in range(SHARDS)],
    "cache": [f"cache-{node}" for node in range(1, CACHE_NODES + 1)],
    "backup": ["backups"],
    "firewall": ["waf"],
    "uptime": ["site"],
}
DATABASES = SUBJECTS["database"]
DEGRADED_BY = ("HighErrorRate", "SlowResponses", "UnhealthyTargets", "TasksBelowDesired", "SiteDown")

PROMETHEUS_TYPE = "webstack:aws:Prometheus"
MONITORING_TYPE = "webstack:aws:Monitoring"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC_SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
CANARY_NAME_RE = re.compile(r"[0-9a-z_-]{1,21}")


# -- builds ------------------------------------------------------------------------------------------------------------
def settings_of(**settings: Any) -> MonitoringSettings:
    """``webstack:monitoring`` as configured (camelCase keys)."""
    return MonitoringSettings.model_validate(settings)


@dataclass
class BuiltPrometheus:
    component: Prometheus
    resolved: dict[str, str] = field(default_factory=dict)


def prometheus(name: str, **settings: Any) -> BuiltPrometheus:
    """A Prometheus named ``name`` (physical prefix ``webstack-<name>``) with the default catalog; its URLs resolved."""
    args = prometheus_args(
        settings_of(**settings),
        account=ACCOUNT,
        name_prefix=f"webstack-{name}",
        data_key_arn=DATA_KEY_ARN,
        logs_key_arn=LOGS_KEY_ARN,
        critical_topic_arn=CRITICAL_TOPIC,
        warning_topic_arn=WARNING_TOPIC,
        log_retention_days=365,
    )
    resolved: dict[str, str] = {}

    def factory() -> Prometheus:
        built = Prometheus(name, args)
        built.remote_write_url.apply(lambda url: resolved.__setitem__("remote_write", url))
        built.query_url.apply(lambda url: resolved.__setitem__("query", url))
        return built

    return BuiltPrometheus(construct(factory), resolved)


def monitoring(
    name: str,
    *,
    engine: str = "postgres",
    instance_class: str = INSTANCE_CLASS,
    webhook: bool = True,
    name_prefix: str = "",
    **settings: Any,
) -> Monitoring:
    """Monitoring named ``name`` (physical prefix ``name_prefix`` or ``webstack-<name>``) of watched resources named
    ``<name>src-...``, so ``registered(f"{name}-")`` is the component's own."""
    prefix = name_prefix or f"webstack-{name}"
    src = f"{name}src"
    monitoring_settings = settings_of(**settings)

    def factory() -> Monitoring:
        alb = aws.lb.LoadBalancer(f"{src}-alb", name=f"{prefix}-alb", load_balancer_type="application")
        groups = {
            service: aws.lb.TargetGroup(f"{src}-{service}-tg", port=8080, protocol="HTTP", target_type="ip")
            for service in SERVICES
        }
        cluster = aws.ecs.Cluster(f"{src}-cluster", name=f"{prefix}-cluster")
        services = {
            service: aws.ecs.Service(f"{src}-{service}", name=f"{prefix}-{service}", cluster=cluster.arn)
            for service in SERVICES
        }
        databases: list[WatchedDatabaseArgs] = []
        for shard in range(SHARDS):
            primary = aws.rds.Instance(
                f"{src}-shard-{shard}-primary",
                identifier=f"{prefix}-shard-{shard}-primary",
                engine=engine,
                instance_class=instance_class,
                allocated_storage=STORAGE_GB,
            )
            replica = aws.rds.Instance(
                f"{src}-shard-{shard}-replica-0",
                identifier=f"{prefix}-shard-{shard}-replica-0",
                replicate_source_db=primary.identifier,
                instance_class=instance_class,
            )
            log = "postgresql" if engine == "postgres" else "slowquery"
            for label, instance, is_replica in (
                (f"shard-{shard}-primary", primary, False),
                (f"shard-{shard}-replica-0", replica, True),
            ):
                databases.append(
                    WatchedDatabaseArgs(
                        label=label,
                        identifier=instance.identifier,
                        replica=is_replica,
                        engine=engine,
                        instance_class=instance_class,
                        allocated_storage_gb=STORAGE_GB,
                        slow_query_log_group=aws.cloudwatch.LogGroup(
                            f"{src}-{label}-{log}-logs", name=f"/aws/rds/instance/{prefix}-{label}/{log}"
                        ).name,
                    )
                )
        group = aws.elasticache.ReplicationGroup(
            f"{src}-cache",
            description="the cache",
            replication_group_id=f"{prefix}-cache",
            num_cache_clusters=CACHE_NODES,
        )
        nodes = [
            group.id.apply(lambda group_id, node=node: f"{group_id}-{node:03d}") for node in range(1, CACHE_NODES + 1)
        ]
        vault = aws.backup.Vault(f"{src}-vault", name=f"{prefix}-vault")
        web_acl = aws.wafv2.WebAcl(
            f"{src}-waf",
            name=f"{prefix}-waf",
            scope="REGIONAL",
            default_action=aws.wafv2.WebAclDefaultActionArgs(allow=aws.wafv2.WebAclDefaultActionAllowArgs()),
            visibility_config=aws.wafv2.WebAclVisibilityConfigArgs(
                cloudwatch_metrics_enabled=True, metric_name=f"{prefix}-waf", sampled_requests_enabled=True
            ),
        )
        return Monitoring(
            name,
            monitoring_args(
                monitoring_settings,
                account=ACCOUNT,
                name_prefix=prefix,
                domain=DOMAIN,
                watched=WatchedArgs(
                    load_balancer_arn_suffix=alb.arn_suffix,
                    cluster_name=cluster.name,
                    backup_vault_name=vault.name,
                    web_acl_metric_name=web_acl.visibility_config.apply(lambda config: config.metric_name),
                    target_group_arn_suffixes={service: group.arn_suffix for service, group in groups.items()},
                    service_names={service: ecs_service.name for service, ecs_service in services.items()},
                    databases=databases,
                    cache_node_ids=nodes,
                ),
                critical_topic_arn=CRITICAL_TOPIC,
                warning_topic_arn=WARNING_TOPIC,
                data_key_arn=DATA_KEY_ARN,
                logs_key_arn=LOGS_KEY_ARN,
                secrets_key_arn=SECRETS_KEY_ARN,
                access_log_bucket=ACCESS_LOG_BUCKET,
                webhook_url=WEBHOOK_URL if webhook else None,
                log_retention_days=365,
            ),
        )

    return construct(factory)


#: The second Monitoring build: mysql on another class, no webhook or emails, a 1-minute check, another runtime,
#: threshold overrides (one of which adds a severity).
OVERRIDES: dict[str, dict[Severity, float]] = {
    "HighErrorRate": {"warning": 2},
    "SlowResponses": {"critical": 3000},
    "ServiceCpuHigh": {"critical": 95},
}
MYSQL_CLASS = "db.m7g.xlarge"
MYSQL_RUNTIME = "syn-python-selenium-6.0"


@pytest.fixture(scope="module")
def default_prometheus() -> BuiltPrometheus:
    return prometheus("promdefault")


@pytest.fixture(scope="module")
def default_monitoring() -> Monitoring:
    return monitoring("mondefault", alertEmails=EMAILS)


@pytest.fixture(scope="module")
def mysql_monitoring() -> Monitoring:
    return monitoring(
        "monmysql",
        engine="mysql",
        instance_class=MYSQL_CLASS,
        webhook=False,
        name_prefix="ws-mysql",
        uptimeIntervalMinutes=1,
        canaryRuntime=MYSQL_RUNTIME,
        thresholds=OVERRIDES,
    )


# -- helpers -----------------------------------------------------------------------------------------------------------
def prefix_of(name: str) -> str:
    return "ws-mysql" if name == "monmysql" else f"webstack-{name}"


def document(resource_name: str, key: str = "policy") -> dict[str, Any]:
    parsed = json.loads(one(resource_name).inputs[key])
    assert parsed["Version"] == "2012-10-17"
    return parsed


def trust(service: str, source_arn: str | None = None) -> dict[str, Any]:
    condition: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}
    if source_arn is not None:
        condition["ArnLike"] = {"aws:SourceArn": source_arn}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole", "Condition": condition}
        ],
    }


def handler_arguments(source: str, filename: str) -> list[str]:
    """The arguments of the module-level ``handler`` the source defines (after checking that it compiles)."""
    compile(source, filename, "exec")
    (handler,) = [
        node for node in ast.parse(source).body if isinstance(node, ast.FunctionDef) and node.name == "handler"
    ]
    return [argument.arg for argument in handler.args.args]


def alarms(name: str) -> dict[str, RecordedResource]:
    """The component's metric alarms by physical name (``<prefix>-<Alert>-<subject>-<severity>``)."""
    return {alarm.inputs["name"]: alarm for alarm in registered(f"{name}-", METRIC_ALARM)}


def alarm(name: str, alert: str, subject: str, severity: Severity) -> RecordedResource:
    return alarms(name)[f"{prefix_of(name)}-{alert}-{subject}-{severity}"]


def expected_alarm_names(prefix: str, alerts: Sequence[Alert]) -> set[str]:
    return {
        f"{prefix}-{alert.name}-{subject}-{severity}"
        for alert in alerts
        for severity in alert.thresholds
        for subject in SUBJECTS[alert.target]
    }


def metric_dimensions(resource: RecordedResource) -> list[dict[str, str] | None]:
    """The dimensions of every metric an alarm reads (None: the metric has none)."""
    inputs = resource.inputs
    if "metricQueries" in inputs:
        return [query["metric"].get("dimensions") for query in inputs["metricQueries"] if "metric" in query]
    return [inputs.get("dimensions")]


def watched_facts(name: str) -> dict[str, tuple[dict[str, str] | None, list[str]]]:
    """Per subject: the dimensions its alarms must carry and the URNs its dimensions depend on."""
    src = f"{name}src"
    alb = one(f"{src}-alb")
    suffix = alb.outputs["arnSuffix"]
    cluster = one(f"{src}-cluster")
    cache = one(f"{src}-cache")
    acl = one(f"{src}-waf")
    vault = one(f"{src}-vault")
    canary = one(f"{name}-uptime-canary")
    facts: dict[str, tuple[dict[str, str] | None, list[str]]] = {"alb": ({"LoadBalancer": suffix}, [alb.urn])}
    for service in SERVICES:
        group = one(f"{src}-{service}-tg")
        ecs = one(f"{src}-{service}")
        facts[f"{service}-targets"] = (
            {"TargetGroup": group.outputs["arnSuffix"], "LoadBalancer": suffix},
            sorted([group.urn, alb.urn]),
        )
        facts[service] = (
            {"ClusterName": cluster.outputs["name"], "ServiceName": ecs.outputs["name"]},
            sorted([cluster.urn, ecs.urn]),
        )
    for label in DATABASES:
        instance = one(f"{src}-{label}")
        facts[label] = ({"DBInstanceIdentifier": instance.outputs["identifier"]}, [instance.urn])
    for node in range(1, CACHE_NODES + 1):
        facts[f"cache-{node}"] = ({"CacheClusterId": f"{cache.id}-{node:03d}"}, [cache.urn])
    facts["backups"] = ({"BackupVaultName": vault.outputs["name"]}, [vault.urn])
    facts["waf"] = (
        {"WebACL": acl.outputs["visibilityConfig"]["metricName"], "Region": TEST_REGION, "Rule": "ALL"},
        [acl.urn],
    )
    facts["site"] = ({"CanaryName": canary.outputs["name"]}, [canary.urn])
    return facts


# -- Prometheus --------------------------------------------------------------------------------------------------------
def test_prometheus_workspace_is_encrypted_and_logs_to_an_encrypted_group(default_prometheus: BuiltPrometheus) -> None:
    assert one("promdefault").type == PROMETHEUS_TYPE
    logs = one("promdefault-logs")
    assert logs.type == "aws:cloudwatch/logGroup:LogGroup"
    assert logs.inputs == {
        "name": "/aws/vendedlogs/prometheus/webstack-promdefault",
        "retentionInDays": 365,
        "kmsKeyId": LOGS_KEY_ARN,
    }
    delivery = one("promdefault-log-delivery")
    assert delivery.type == "aws:cloudwatch/logResourcePolicy:LogResourcePolicy"
    assert delivery.inputs["policyName"] == "webstack-promdefault-prometheus-log-delivery"
    assert json.loads(delivery.inputs["policyDocument"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PrometheusLogDelivery",
                "Effect": "Allow",
                "Principal": {"Service": "delivery.logs.amazonaws.com"},
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"{logs.outputs['arn']}:*",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
                    "ArnLike": {"aws:SourceArn": f"arn:aws:logs:{TEST_REGION}:{ACCOUNT_ID}:*"},
                },
            }
        ],
    }
    assert delivery.property_dependencies["policyDocument"] == [logs.urn]

    workspace = one("promdefault-workspace")
    assert workspace.type == "aws:amp/workspace:Workspace"
    assert workspace.inputs == {
        "alias": "webstack-promdefault",
        "kmsKeyArn": DATA_KEY_ARN,
        "loggingConfiguration": {"logGroupArn": f"{logs.outputs['arn']}:*"},
    }
    assert delivery.urn in workspace.dependencies
    assert default_prometheus.component.grafana is not None


def test_prometheus_rules_are_the_catalog(default_prometheus: BuiltPrometheus) -> None:
    rules = one("promdefault-rules")
    workspace = one("promdefault-workspace")
    assert rules.type == "aws:amp/ruleGroupNamespace:RuleGroupNamespace"
    assert rules.inputs["name"] == "webstack-alerts"
    assert rules.inputs["workspaceId"] == workspace.id
    assert rules.property_dependencies["workspaceId"] == [workspace.urn]
    parsed = yaml.safe_load(rules.inputs["data"])
    assert parsed == prometheus_rules(catalog())
    assert [group["name"] for group in parsed["groups"]][:2] == ["webstack-load_balancer", "webstack-target_group"]


def test_alertmanager_routes_critical_to_the_critical_topic_and_the_rest_to_warning(
    default_prometheus: BuiltPrometheus,
) -> None:
    definition = one("promdefault-alertmanager")
    workspace = one("promdefault-workspace")
    assert definition.type == "aws:amp/alertManagerDefinition:AlertManagerDefinition"
    assert definition.inputs["workspaceId"] == workspace.id
    outer = yaml.safe_load(definition.inputs["definition"])
    assert list(outer) == ["alertmanager_config"]
    assert isinstance(outer["alertmanager_config"], str)
    config = yaml.safe_load(outer["alertmanager_config"])
    assert config["route"]["receiver"] == "warning"
    assert config["route"]["routes"] == [{"receiver": "critical", "match": {"severity": "critical"}}]
    assert config["route"]["group_by"] == ["alertname", "severity"]
    receivers = {receiver["name"]: receiver["sns_configs"] for receiver in config["receivers"]}
    assert set(receivers) == {"critical", "warning"}
    for severity, topic in TOPICS.items():
        (sns,) = receivers[severity]
        assert sns == {
            "topic_arn": topic,
            "sigv4": {"region": TEST_REGION},
            "subject": f"[{severity}] {{{{ .CommonLabels.alertname }}}}",
            "attributes": {"severity": severity},
        }
    assert definition.inputs["definition"] == alertmanager_definition(
        {"critical": CRITICAL_TOPIC, "warning": WARNING_TOPIC}, TEST_REGION
    )


def test_grafana_signs_in_through_identity_center_with_a_role_of_its_own(default_prometheus: BuiltPrometheus) -> None:
    grafana = one("promdefault-grafana")
    role = one("promdefault-grafana-role")
    assert grafana.type == "aws:grafana/workspace:Workspace"
    inputs = grafana.inputs
    assert inputs["name"] == "webstack-promdefault"
    assert inputs["authenticationProviders"] == ["AWS_SSO"]
    # botocore's grafana model (CreateWorkspace.permissionType): AWS creates the roles of SERVICE_MANAGED workspaces
    # only for workspaces created in the console; through the API the workspace brings a role of its own.
    assert inputs["permissionType"] == "CUSTOMER_MANAGED"
    assert inputs["accountAccessType"] == "CURRENT_ACCOUNT"
    assert inputs["dataSources"] == ["PROMETHEUS", "CLOUDWATCH"]
    assert inputs["kmsKeyId"] == DATA_KEY_ARN
    assert inputs["roleArn"] == role.outputs["arn"]
    assert grafana.property_dependencies["roleArn"] == [role.urn]

    # Only Grafana workspaces of this account may assume the role (the confused-deputy guard).
    assert json.loads(role.inputs["assumeRolePolicy"]) == trust(
        "grafana.amazonaws.com", source_arn=f"arn:aws:grafana:{TEST_REGION}:{ACCOUNT_ID}:/workspaces/*"
    )
    assert registered("promdefault-grafana-", ROLE_POLICY_ATTACHMENT) == []


def test_grafana_reads_this_prometheus_workspace_and_cloudwatch_only(default_prometheus: BuiltPrometheus) -> None:
    """Least privilege for the two data sources: the Prometheus queries of AmazonPrometheusQueryAccess on this
    workspace only (plus finding it), and the CloudWatch reads of AmazonGrafanaCloudWatchAccess (AWS managed policy
    references), in this account and region where IAM scopes them; nothing that writes."""
    role = one("promdefault-grafana-role")
    (policy,) = [r for r in registered("promdefault-", ROLE_POLICY) if r.property_dependencies["role"] == [role.urn]]
    workspace = one("promdefault-workspace").outputs["arn"]
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    assert statements["QueryThisPrometheusWorkspace"] == {
        "Sid": "QueryThisPrometheusWorkspace",
        "Effect": "Allow",
        "Action": ["aps:DescribeWorkspace", "aps:GetLabels", "aps:GetMetricMetadata", "aps:GetSeries",
                   "aps:QueryMetrics"],
        "Resource": workspace,
    }  # fmt: skip
    assert statements["FindPrometheusWorkspaces"]["Action"] == "aps:ListWorkspaces"
    assert statements["ReadMetrics"]["Action"] == [
        "cloudwatch:DescribeAlarmsForMetric",
        "cloudwatch:GetMetricData",
        "cloudwatch:GetMetricStatistics",
        "cloudwatch:ListMetrics",
    ]
    assert statements["ReadAlarms"] == {
        "Sid": "ReadAlarms",
        "Effect": "Allow",
        "Action": ["cloudwatch:DescribeAlarmHistory", "cloudwatch:DescribeAlarms"],
        "Resource": f"arn:aws:cloudwatch:{TEST_REGION}:{ACCOUNT_ID}:alarm:*",
    }
    assert statements["QueryLogs"]["Resource"] == f"arn:aws:logs:{TEST_REGION}:{ACCOUNT_ID}:log-group:*"
    granted = [a for s in statements.values() for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])]
    reads = ("Describe", "Get", "List", "Query", "StartQuery", "StopQuery")
    assert all(action.split(":")[1].startswith(reads) for action in granted), granted
    assert all(s["Effect"] == "Allow" for s in statements.values())


def test_remote_write_and_query_urls_come_from_the_workspace_endpoint(default_prometheus: BuiltPrometheus) -> None:
    endpoint = one("promdefault-workspace").outputs["prometheusEndpoint"]
    assert endpoint.endswith("/")
    assert default_prometheus.resolved == {
        "remote_write": f"{endpoint}api/v1/remote_write",
        "query": f"{endpoint}api/v1/query",
    }


def test_thresholds_of_the_args_change_the_rules_and_bad_ones_are_refused_naming_the_field() -> None:
    name = catalog()[0].name
    args = PrometheusArgs(
        account=ACCOUNT, name_prefix="webstack-promthr", data_key_arn=DATA_KEY_ARN, logs_key_arn=LOGS_KEY_ARN,
        critical_topic_arn=CRITICAL_TOPIC, warning_topic_arn=WARNING_TOPIC, thresholds={name: {"warning": 7}},
    )  # fmt: skip
    construct(lambda: Prometheus("promthr", args))
    parsed = yaml.safe_load(one("promthr-rules").inputs["data"])
    assert parsed == prometheus_rules(catalog({name: {"warning": 7}}))
    assert parsed != prometheus_rules(catalog())
    with pytest.raises(ValueError, match=r"^PrometheusArgs\.thresholds must name alerts of the catalog \("):
        Prometheus("prombad", replace(args, thresholds={"NoSuchAlert": {"warning": 1}}))
    with pytest.raises(
        ValueError, match=f"^PrometheusArgs\\.thresholds\\['{name}'\\] must name severities warning or "
        "critical, got 'page'$"
    ):  # fmt: skip
        Prometheus("prombad", replace(args, thresholds={name: {"page": 1}}))
    with pytest.raises(ValueError, match=r"^PrometheusArgs\.log_retention_days must be a retention CloudWatch"):
        Prometheus("prombad", replace(args, log_retention_days=0))


def test_grafana_off_creates_no_grafana_resources() -> None:
    built = prometheus("promnografana", grafana=False)
    assert built.component.grafana is None
    assert [r.name for r in registered("promnografana-grafana")] == []
    assert [r for r in registered("promnografana-") if r.type.startswith(("aws:grafana", "aws:iam"))] == []
    assert one("promnografana-workspace").inputs["kmsKeyArn"] == DATA_KEY_ARN


# -- alarms ------------------------------------------------------------------------------------------------------------
def test_one_alarm_per_entry_severity_and_watched_resource(default_monitoring: Monitoring) -> None:
    assert one("mondefault").type == MONITORING_TYPE
    alerts = catalog()
    expected = sum(len(alert.thresholds) * len(SUBJECTS[alert.target]) for alert in alerts)
    recorded = alarms("mondefault")
    assert len(default_monitoring.alarms) == expected
    assert len(registered("mondefault-", METRIC_ALARM)) == expected
    assert set(recorded) == expected_alarm_names("webstack-mondefault", alerts)
    # replicas get the database alerts and their own
    replica_alerts = {alarm.inputs["tags"]["webstack:alert"] for alarm in recorded.values() if "replica" in alarm.name}
    assert "ReplicaLagHigh" in replica_alerts
    assert "DatabaseCpuHigh" in replica_alerts
    assert not any("ReplicaLagHigh" in alarm_name and "primary" in alarm_name for alarm_name in recorded)


def test_every_alarm_notifies_its_severitys_topic_and_names_the_guide(default_monitoring: Monitoring) -> None:
    by_name = {alert.name: alert for alert in catalog()}
    for alarm_name, resource in alarms("mondefault").items():
        inputs = resource.inputs
        alert = by_name[inputs["tags"]["webstack:alert"]]
        severity: Severity = inputs["tags"]["webstack:severity"]
        assert alarm_name.endswith(f"-{severity}")
        topic = TOPICS[severity]
        assert inputs["alarmActions"] == [topic], alarm_name
        assert inputs["okActions"] == [topic], alarm_name
        assert inputs["actionsEnabled"] is True, alarm_name
        assert inputs["alarmDescription"].startswith(alert.describe(severity)), alarm_name
        assert alert.guide in inputs["alarmDescription"], alarm_name
        operator = "GreaterThanThreshold" if alert.comparison == "above" else "LessThanThreshold"
        assert inputs["comparisonOperator"] == operator, alarm_name
        assert inputs["threshold"] == alert.thresholds[severity] * alert.cloudwatch.scale, alarm_name
        assert inputs["evaluationPeriods"] == alert.cloudwatch.evaluation_periods, alarm_name
        assert inputs["datapointsToAlarm"] == alert.cloudwatch.evaluation_periods, alarm_name
        assert inputs["treatMissingData"] == alert.cloudwatch.missing_data, alarm_name
        assert resource.parent == one("mondefault").urn


def test_alarm_dimensions_name_the_watched_resource_and_depend_on_it(default_monitoring: Monitoring) -> None:
    facts = watched_facts("mondefault")
    checked: set[str] = set()
    for resource in alarms("mondefault").values():
        alert_name = resource.inputs["tags"]["webstack:alert"]
        subject = resource.inputs["name"].removeprefix(f"webstack-mondefault-{alert_name}-").rsplit("-", 1)[0]
        dimensions, urns = facts[subject]
        checked.add(subject)
        key = "metricQueries" if "metricQueries" in resource.inputs else "dimensions"
        if alert_name == "SlowDatabaseQueries":
            assert metric_dimensions(resource) == [None]
            assert all(found == [] for found in resource.property_dependencies.values()), resource.name
            continue
        assert all(found == dimensions for found in metric_dimensions(resource)), resource.name
        assert sorted(resource.property_dependencies[key]) == urns, resource.name
    assert checked == set(facts)


def test_error_rate_is_metric_math_over_the_load_balancers_counts(default_monitoring: Monitoring) -> None:
    suffix = one("mondefaultsrc-alb").outputs["arnSuffix"]
    dimensions = {"LoadBalancer": suffix}
    levels: list[tuple[Severity, float]] = [("warning", 1), ("critical", 5)]
    for severity, threshold in levels:
        inputs = alarm("mondefault", "HighErrorRate", "alb", severity).inputs
        assert inputs["threshold"] == threshold
        assert inputs["comparisonOperator"] == "GreaterThanThreshold"
        assert "metricName" not in inputs
        assert "namespace" not in inputs
        assert "statistic" not in inputs
        assert inputs["metricQueries"] == [
            {
                "id": metric_id,
                "returnData": False,
                "metric": {
                    "namespace": "AWS/ApplicationELB",
                    "metricName": metric_name,
                    "dimensions": dimensions,
                    "period": 300,
                    "stat": "Sum",
                },
            }
            for metric_id, metric_name in (
                ("target", "HTTPCode_Target_5XX_Count"),
                ("edge", "HTTPCode_ELB_5XX_Count"),
                ("requests", "RequestCount"),
            )
        ] + [
            {
                "id": "value",
                "expression": "100 * (FILL(target, 0) + FILL(edge, 0)) / FILL(requests, 0)",
                "label": "5xx responses, % of requests over 5 minutes",
                "returnData": True,
            }
        ]


def test_storage_and_connections_compute_with_the_databases_facts(default_monitoring: Monitoring) -> None:
    for label in DATABASES:
        storage = alarm("mondefault", "DatabaseStorageLow", label, "critical").inputs
        assert storage["comparisonOperator"] == "LessThanThreshold"
        assert storage["threshold"] == 10
        *metrics, value = storage["metricQueries"]
        assert [(m["id"], m["metric"]["metricName"], m["metric"]["stat"]) for m in metrics] == [
            ("free", "FreeStorageSpace", "Minimum")
        ]
        assert value["expression"] == "100 * free / 107374182400"
        assert 100 * 1024**3 == 107374182400
        levels: list[tuple[Severity, float]] = [("warning", 80), ("critical", 90)]
        for severity, threshold in levels:
            connections = alarm("mondefault", "DatabaseConnectionsHigh", label, severity).inputs
            assert connections["threshold"] == threshold
            *metrics, value = connections["metricQueries"]
            assert [(m["id"], m["metric"]["metricName"], m["metric"]["stat"]) for m in metrics] == [
                ("connections", "DatabaseConnections", "Maximum")
            ]
            # postgres on db.r7g.large: min(16 GiB // 9531392, 5000)
            assert value["expression"] == "100 * connections / 1802"


def test_mysql_connections_use_its_formula(mysql_monitoring: Monitoring) -> None:
    for label in DATABASES:
        (*_, value) = alarm("monmysql", "DatabaseConnectionsHigh", label, "critical").inputs["metricQueries"]
        # mysql on db.m7g.xlarge: 16 GiB // 12582880
        assert value["expression"] == "100 * connections / 1365"


def test_slow_responses_read_the_p95_in_seconds(default_monitoring: Monitoring) -> None:
    suffix = one("mondefaultsrc-alb").outputs["arnSuffix"]
    levels: list[tuple[Severity, float]] = [("warning", 0.5), ("critical", 2.0)]
    for severity, seconds in levels:
        inputs = alarm("mondefault", "SlowResponses", "alb", severity).inputs
        assert inputs["namespace"] == "AWS/ApplicationELB"
        assert inputs["metricName"] == "TargetResponseTime"
        assert inputs["extendedStatistic"] == "p95"
        assert "statistic" not in inputs
        assert inputs["dimensions"] == {"LoadBalancer": suffix}
        assert inputs["period"] == 300
        assert inputs["threshold"] == seconds


def test_threshold_overrides_reach_the_alarms_and_may_add_a_severity(mysql_monitoring: Monitoring) -> None:
    alerts = catalog(OVERRIDES)
    recorded = alarms("monmysql")
    assert set(recorded) == expected_alarm_names("ws-mysql", alerts)
    default_count = sum(len(alert.thresholds) * len(SUBJECTS[alert.target]) for alert in catalog())
    assert len(mysql_monitoring.alarms) == default_count + len(SERVICES)

    assert alarm("monmysql", "HighErrorRate", "alb", "warning").inputs["threshold"] == 2
    assert alarm("monmysql", "HighErrorRate", "alb", "critical").inputs["threshold"] == 5
    assert alarm("monmysql", "SlowResponses", "alb", "critical").inputs["threshold"] == 3.0
    assert alarm("monmysql", "SlowResponses", "alb", "warning").inputs["threshold"] == 0.5
    for service in SERVICES:
        added = alarm("monmysql", "ServiceCpuHigh", service, "critical").inputs
        assert added["threshold"] == 95
        assert added["alarmActions"] == [CRITICAL_TOPIC]
        assert added["okActions"] == [CRITICAL_TOPIC]
        assert added["alarmDescription"].startswith(
            "service CPU, % of its reservation over 5 minutes: > 95 % (critical)"
        )
        assert alarm("monmysql", "ServiceCpuHigh", service, "warning").inputs["threshold"] == 70


def test_the_composite_alarm_is_the_critical_alarms_of_the_degrading_alerts(default_monitoring: Monitoring) -> None:
    prefix = "webstack-mondefault"
    degrading = {
        f"{prefix}-HighErrorRate-alb-critical",
        f"{prefix}-SlowResponses-alb-critical",
        *(f"{prefix}-UnhealthyTargets-{service}-targets-critical" for service in SERVICES),
        *(f"{prefix}-TasksBelowDesired-{service}-critical" for service in SERVICES),
        f"{prefix}-SiteDown-site-critical",
    }
    composite = one("mondefault-service-degraded")
    assert composite.type == "aws:cloudwatch/compositeAlarm:CompositeAlarm"
    inputs = composite.inputs
    assert inputs["alarmName"] == f"{prefix}-service-degraded"
    assert inputs["alarmRule"] == " OR ".join(f'ALARM("{name}")' for name in sorted(degrading))
    assert inputs["alarmActions"] == [CRITICAL_TOPIC]
    assert inputs["okActions"] == [CRITICAL_TOPIC]
    assert inputs["actionsEnabled"] is True
    recorded = alarms("mondefault")
    assert sorted(composite.property_dependencies["alarmRule"]) == sorted(recorded[name].urn for name in degrading)
    assert default_monitoring.degraded is not None


def test_an_added_critical_severity_outside_the_degrading_alerts_stays_out_of_the_composite(
    mysql_monitoring: Monitoring,
) -> None:
    rule = one("monmysql-service-degraded").inputs["alarmRule"]
    assert rule.count("ALARM(") == 7
    assert "ServiceCpuHigh" not in rule


# -- slow queries ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "log", "pattern"),
    [("mondefault", "postgresql", '"duration:"'), ("monmysql", "slowquery", '"Query_time"')],
)
def test_slow_queries_are_counted_from_each_databases_log(
    default_monitoring: Monitoring, mysql_monitoring: Monitoring, name: str, log: str, pattern: str
) -> None:
    prefix = prefix_of(name)
    filters = registered(f"{name}-", "aws:cloudwatch/logMetricFilter:LogMetricFilter")
    assert sorted(f.name for f in filters) == sorted(f"{name}-{label}-slow-queries" for label in DATABASES)
    for label in DATABASES:
        instance = one(f"{name}src-{label}")
        group = one(f"{name}src-{label}-{log}-logs")
        metric_filter = one(f"{name}-{label}-slow-queries")
        assert group.inputs["name"] == f"/aws/rds/instance/{instance.outputs['identifier']}/{log}"
        assert metric_filter.inputs == {
            "logGroupName": group.outputs["name"],
            "pattern": pattern,
            "metricTransformation": {
                "namespace": prefix,
                "name": f"SlowQueries-{label}",
                "value": "1",
                "defaultValue": "0",
                "unit": "Count",
            },
        }
        # The filter goes on the group the database component creates before the instance: no race with RDS.
        assert metric_filter.property_dependencies["logGroupName"] == [group.urn]

        slow = alarm(name, "SlowDatabaseQueries", label, "warning").inputs
        assert slow["namespace"] == prefix
        assert slow["metricName"] == f"SlowQueries-{label}"
        assert slow["statistic"] == "Sum"
        assert slow["threshold"] == 10
        assert "dimensions" not in slow


# -- alert routing -----------------------------------------------------------------------------------------------------
def test_every_address_subscribes_to_every_topic(default_monitoring: Monitoring) -> None:
    emails = [s for s in registered("mondefault-", TOPIC_SUBSCRIPTION) if s.inputs["protocol"] == "email"]
    assert len(emails) == len(EMAILS) * len(TOPICS)
    for severity, topic in TOPICS.items():
        for index, address in enumerate(EMAILS):
            subscription = one(f"mondefault-{severity}-email-{index}")
            assert subscription.inputs == {"topic": topic, "protocol": "email", "endpoint": address}


def test_the_webhook_url_is_kept_as_a_secret_and_never_in_plaintext(default_monitoring: Monitoring) -> None:
    secret = one("mondefault-webhook-url")
    assert secret.type == "aws:secretsmanager/secret:Secret"
    assert secret.inputs["namePrefix"] == "webstack-mondefault/alert-webhook-"
    assert secret.inputs["kmsKeyId"] == SECRETS_KEY_ARN
    assert secret.inputs["recoveryWindowInDays"] == 7
    version = one("mondefault-webhook-url-value")
    assert version.property_dependencies["secretId"] == [secret.urn]
    assert is_secret(version.inputs["secretString"])
    assert version.inputs["secretString"]["value"] == WEBHOOK_URL
    assert redact(version.inputs)["secretString"] == REDACTED

    found: set[str] = set()
    for resource in [one("mondefault"), *registered("mondefault-")]:
        assert WEBHOOK_URL not in json.dumps(redact(resource.inputs, found), default=repr), resource.name
        if resource is not version:
            assert WEBHOOK_URL not in json.dumps(resource.outputs, default=repr), resource.name
    assert WEBHOOK_URL in found


def test_the_forwarder_posts_alerts_with_least_privilege(default_monitoring: Monitoring) -> None:
    secret = one("mondefault-webhook-url")
    logs = one("mondefault-webhook-logs")
    assert logs.inputs == {
        "name": "/aws/lambda/webstack-mondefault-alert-webhook",
        "retentionInDays": 365,
        "kmsKeyId": LOGS_KEY_ARN,
    }
    role = one("mondefault-webhook-role")
    assert json.loads(role.inputs["assumeRolePolicy"]) == trust("lambda.amazonaws.com")
    policy = one("mondefault-webhook-policy")
    assert policy.inputs["role"] == role.id
    assert json.loads(policy.inputs["policy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WriteItsLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"{logs.outputs['arn']}:*",
            },
            {
                "Sid": "ReadTheWebhook",
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": secret.outputs["arn"],
            },
            {
                "Sid": "DecryptTheWebhook",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": SECRETS_KEY_ARN,
                "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{TEST_REGION}.amazonaws.com"}},
            },
        ],
    }
    assert sorted(policy.property_dependencies["policy"]) == sorted([logs.urn, secret.urn])

    function = one("mondefault-webhook-function")
    assert function.type == "aws:lambda/function:Function"
    inputs = function.inputs
    assert inputs["name"] == "webstack-mondefault-alert-webhook"
    assert inputs["runtime"] == "python3.12"
    assert inputs["handler"] == "index.handler"
    assert inputs["architectures"] == ["arm64"]
    assert inputs["role"] == role.outputs["arn"]
    assert inputs["environment"] == {"variables": {"WEBHOOK_SECRET_ARN": secret.outputs["arn"]}}
    assert inputs["loggingConfig"] == {"logFormat": "Text", "logGroup": logs.outputs["name"]}
    code = inputs["code"]
    assert isinstance(code, pulumi.AssetArchive)
    assert list(code.assets) == ["index.py"]
    index = code.assets["index.py"]
    assert isinstance(index, pulumi.StringAsset)
    assert index.text == FORWARDER_CODE
    assert handler_arguments(FORWARDER_CODE, "index.py") == ["event", "context"]

    for severity, topic in TOPICS.items():
        permission = one(f"mondefault-webhook-{severity}-invoke")
        assert permission.inputs == {
            "action": "lambda:InvokeFunction",
            "function": function.outputs["name"],
            "principal": "sns.amazonaws.com",
            "sourceArn": topic,
        }
        subscription = one(f"mondefault-webhook-{severity}")
        assert subscription.type == TOPIC_SUBSCRIPTION
        assert subscription.inputs == {"topic": topic, "protocol": "lambda", "endpoint": function.outputs["arn"]}
        assert permission.urn in subscription.dependencies
    lambdas = [s for s in registered("mondefault-", TOPIC_SUBSCRIPTION) if s.inputs["protocol"] == "lambda"]
    assert len(lambdas) == len(TOPICS)


def test_forwarder_policy_grants_its_log_group_its_secret_and_decryption_via_secrets_manager() -> None:
    policy = forwarder_policy("arn:log-group", "arn:secret", "arn:key", account=ACCOUNT)
    statements = {statement["Sid"]: statement for statement in policy["Statement"]}
    assert set(statements) == {"WriteItsLogs", "ReadTheWebhook", "DecryptTheWebhook"}
    assert statements["WriteItsLogs"]["Resource"] == "arn:log-group:*"
    assert statements["ReadTheWebhook"]["Action"] == "secretsmanager:GetSecretValue"
    assert statements["ReadTheWebhook"]["Resource"] == "arn:secret"
    assert statements["DecryptTheWebhook"]["Action"] == "kms:Decrypt"
    assert statements["DecryptTheWebhook"]["Condition"] == {
        "StringEquals": {"kms:ViaService": f"secretsmanager.{TEST_REGION}.amazonaws.com"}
    }
    assert all(statement["Effect"] == "Allow" and statement["Resource"] != "*" for statement in statements.values())


def test_without_a_webhook_or_addresses_nothing_subscribes(mysql_monitoring: Monitoring) -> None:
    assert registered("monmysql-webhook") == []
    assert registered("monmysql-", TOPIC_SUBSCRIPTION) == []
    types = {r.type for r in registered("monmysql-")}
    assert not types & {
        "aws:lambda/function:Function",
        "aws:lambda/permission:Permission",
        "aws:secretsmanager/secret:Secret",
        "aws:secretsmanager/secretVersion:SecretVersion",
    }
    assert [r.name for r in registered("monmysql-", "aws:cloudwatch/logGroup:LogGroup")] == []


# -- uptime ------------------------------------------------------------------------------------------------------------
def test_the_canary_checks_the_health_endpoint_every_five_minutes(default_monitoring: Monitoring) -> None:
    canary = one("mondefault-uptime-canary")
    assert canary.type == "aws:synthetics/canary:Canary"
    inputs = canary.inputs
    # "webstack-mondefault-up" is 22 characters: shortened with a hash
    digest = hashlib.sha256(b"webstack-mondefault-up").hexdigest()[:6]
    assert inputs["name"] == f"webstack-monde-{digest}"
    assert CANARY_NAME_RE.fullmatch(inputs["name"])
    assert inputs["schedule"] == {"expression": "rate(5 minutes)"}
    assert inputs["runtimeVersion"] == CANARY_RUNTIME
    assert inputs["handler"] == "uptime.handler"
    assert inputs["runConfig"] == {"timeoutInSeconds": 60, "environmentVariables": {"URL": f"https://{DOMAIN}/health"}}
    assert inputs["startCanary"] is True

    bucket = one("mondefault-uptime-artifacts")
    assert inputs["artifactS3Location"] == f"s3://{bucket.outputs['bucket']}/"
    assert inputs["artifactConfig"] == {"s3Encryption": {"encryptionMode": "SSE_KMS", "kmsKeyArn": DATA_KEY_ARN}}
    role = one("mondefault-uptime-role")
    assert inputs["executionRoleArn"] == role.outputs["arn"]
    assert json.loads(role.inputs["assumeRolePolicy"]) == trust("lambda.amazonaws.com")
    assert one("mondefault-uptime-artifacts-policy").urn in canary.dependencies
    assert canary.parent == one("mondefault").urn


def test_the_canary_artifacts_bucket_is_hardened(default_monitoring: Monitoring) -> None:
    bucket = one("mondefault-uptime-artifacts")
    assert bucket.inputs["bucketPrefix"] == "webstack-mondefault-uptime-"
    (rule,) = one("mondefault-uptime-artifacts-encryption").inputs["rules"]
    assert rule == {
        "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": DATA_KEY_ARN},
        "bucketKeyEnabled": True,
    }
    logging = one("mondefault-uptime-artifacts-access-logging").inputs
    assert (logging["targetBucket"], logging["targetPrefix"]) == (ACCESS_LOG_BUCKET, "s3/uptime/")
    block = one("mondefault-uptime-artifacts-public-access").inputs
    assert [
        block[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    ] == [True] * 4
    rules = {r["id"]: r for r in one("mondefault-uptime-artifacts-lifecycle").inputs["rules"]}
    assert rules["expire-objects"]["expiration"] == {"days": 31}


def test_the_canary_code_is_a_zip_of_python_uptime(default_monitoring: Monitoring) -> None:
    path = Path(one("mondefault-uptime-canary").inputs["zipFile"])
    assert path.exists()
    assert zipfile.is_zipfile(path)
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == ["python/uptime.py"]
        (entry,) = archive.infolist()
        # a fixed timestamp and mode: the archive does not depend on the clock or the umask
        assert entry.date_time == (2020, 1, 1, 0, 0, 0)
        assert entry.external_attr == 0o644 << 16
        source = archive.read("python/uptime.py").decode()
    assert source == CANARY_CODE
    assert handler_arguments(source, "uptime.py") == ["event", "context"]


def test_canary_archive_is_byte_identical_across_calls() -> None:
    first = canary_archive()
    first_bytes = first.read_bytes()
    second = canary_archive()
    assert second == first
    assert second.read_bytes() == first_bytes
    assert first.name == f"uptime-{hashlib.sha256(first_bytes).hexdigest()[:16]}.zip"
    assert str(first.parent) == ".webstack-build"  # the same relative path on every machine


def test_the_canary_policy_writes_artifacts_metrics_and_logs_only(default_monitoring: Monitoring) -> None:
    bucket_arn = one("mondefault-uptime-artifacts").outputs["arn"]
    expected = canary_policy(bucket_arn, DATA_KEY_ARN, account=ACCOUNT)
    assert document("mondefault-uptime-policy") == expected
    statements = {statement["Sid"]: statement for statement in expected["Statement"]}
    assert statements["PublishCanaryMetrics"] == {
        "Sid": "PublishCanaryMetrics",
        "Effect": "Allow",
        "Action": "cloudwatch:PutMetricData",
        "Resource": "*",
        "Condition": {"StringEquals": {"cloudwatch:namespace": "CloudWatchSynthetics"}},
    }
    assert (
        statements["WriteCanaryLogs"]["Resource"]
        == f"arn:aws:logs:{TEST_REGION}:{ACCOUNT_ID}:log-group:/aws/lambda/cwsyn-*"
    )
    assert statements["EncryptArtifacts"] == {
        "Sid": "EncryptArtifacts",
        "Effect": "Allow",
        "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
        "Resource": DATA_KEY_ARN,
        "Condition": {"StringEquals": {"kms:ViaService": f"s3.{TEST_REGION}.amazonaws.com"}},
    }
    assert statements["WriteArtifacts"]["Resource"] == f"{bucket_arn}/*"
    assert statements["FindTheBucket"]["Resource"] == bucket_arn
    unscoped = sorted(sid for sid, statement in statements.items() if statement["Resource"] == "*")
    assert unscoped == ["ListBuckets", "PublishCanaryMetrics"]
    assert statements["ListBuckets"]["Action"] == "s3:ListAllMyBuckets"


def test_the_settings_reach_the_canary(mysql_monitoring: Monitoring) -> None:
    inputs = one("monmysql-uptime-canary").inputs
    assert inputs["name"] == "ws-mysql-up"
    assert inputs["schedule"] == {"expression": "rate(1 minute)"}
    assert inputs["runtimeVersion"] == MYSQL_RUNTIME
    assert inputs["runConfig"]["environmentVariables"] == {"URL": f"https://{DOMAIN}/health"}
    site = alarm("monmysql", "SiteDown", "site", "critical").inputs
    assert site["dimensions"] == {"CanaryName": "ws-mysql-up"}
    assert site["namespace"] == "CloudWatchSynthetics"
    assert site["metricName"] == "SuccessPercent"
    assert site["treatMissingData"] == "breaching"


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("webstack-prod", "webstack-prod-up"),
        ("Web.Stack_Stg", "web-stack_stg-up"),
        ("webstack-staging", "webstack-staging-up"),
    ],
)
def test_canary_name_keeps_short_prefixes(prefix: str, expected: str) -> None:
    assert canary_name(prefix) == expected


@pytest.mark.parametrize("prefix", ["webstack-production-eu", "Acme.Webstack.Production.EU-West-1"])
def test_canary_name_hashes_long_prefixes(prefix: str) -> None:
    long_name = re.sub(r"[^0-9a-z_-]", "-", f"{prefix}-up".lower())
    name = canary_name(prefix)
    assert len(name) == 21
    assert CANARY_NAME_RE.fullmatch(name)
    assert name == f"{long_name[:14]}-{hashlib.sha256(long_name.encode()).hexdigest()[:6]}"
    assert canary_name(prefix + "x") != name


# -- the dashboard -----------------------------------------------------------------------------------------------------
DASHBOARD_VALUES = {
    "alb": "app/webstack-prod-alb/0123456789abcdef",
    "databases": ["webstack-prod-shard-0", "webstack-prod-shard-1"],
    "cache": ["webstack-prod-cache-001", "webstack-prod-cache-002"],
    "cluster": "webstack-prod",
    "services": ["webstack-prod-frontend", "webstack-prod-backend"],
}


def expected_widgets(values: Mapping[str, Any]) -> list[tuple[str, str, list[list[Any]]]]:
    """(title, stat, metrics) of the six widgets."""
    alb = values["alb"]
    elb = "AWS/ApplicationELB"
    return [
        ("Response time p95 (s)", "p95", [[elb, "TargetResponseTime", "LoadBalancer", alb]]),
        ("Throughput (requests/min)", "Sum", [[elb, "RequestCount", "LoadBalancer", alb]]),
        (
            "Errors (5xx/min)",
            "Sum",
            [
                [elb, "HTTPCode_Target_5XX_Count", "LoadBalancer", alb],
                [elb, "HTTPCode_ELB_5XX_Count", "LoadBalancer", alb],
            ],
        ),
        (
            "Database time (read/write latency, s)",
            "Average",
            [
                ["AWS/RDS", metric, "DBInstanceIdentifier", db]
                for db in values["databases"]
                for metric in ("ReadLatency", "WriteLatency")
            ],
        ),
        (
            "Cache hit rate (%)",
            "Average",
            [["AWS/ElastiCache", "CacheHitRate", "CacheClusterId", node] for node in values["cache"]],
        ),
        (
            "Service CPU and memory (%)",
            "Average",
            [
                ["AWS/ECS", metric, "ClusterName", values["cluster"], "ServiceName", service]
                for service in values["services"]
                for metric in ("CPUUtilization", "MemoryUtilization")
            ],
        ),
    ]


def widget_summary(body: Mapping[str, Any], region: str) -> list[tuple[str, str, list[list[Any]]]]:
    summary = []
    for widget in body["widgets"]:
        assert widget["type"] == "metric"
        assert (widget["width"], widget["height"]) == (12, 6)
        properties = widget["properties"]
        assert properties["region"] == region
        assert properties["period"] == 60
        summary.append((properties["title"], properties["stat"], properties["metrics"]))
    return summary


def test_dashboard_shows_the_guides_key_metrics() -> None:
    body = dashboard(DASHBOARD_VALUES, "us-east-1")
    assert widget_summary(body, "us-east-1") == expected_widgets(DASHBOARD_VALUES)
    assert body["widgets"][3]["properties"]["metrics"][:2] == [
        ["AWS/RDS", "ReadLatency", "DBInstanceIdentifier", "webstack-prod-shard-0"],
        ["AWS/RDS", "WriteLatency", "DBInstanceIdentifier", "webstack-prod-shard-0"],
    ]
    positions = [(w["x"], w["y"]) for w in body["widgets"]]
    assert positions == [(0, 0), (12, 0), (0, 6), (12, 6), (0, 12), (12, 12)]


def test_the_dashboard_resource_charts_this_stacks_resources(default_monitoring: Monitoring) -> None:
    resource = one("mondefault-dashboard")
    assert resource.type == "aws:cloudwatch/dashboard:Dashboard"
    assert resource.inputs["dashboardName"] == "webstack-mondefault"
    src = "mondefaultsrc"
    group_id = one(f"{src}-cache").id
    values = {
        "alb": one(f"{src}-alb").outputs["arnSuffix"],
        "databases": [one(f"{src}-shard-{shard}-primary").outputs["identifier"] for shard in range(SHARDS)],
        "cache": [f"{group_id}-{node:03d}" for node in range(1, CACHE_NODES + 1)],
        "cluster": one(f"{src}-cluster").outputs["name"],
        "services": [one(f"{src}-{service}").outputs["name"] for service in SERVICES],
    }
    assert values["databases"] == ["webstack-mondefault-shard-0-primary", "webstack-mondefault-shard-1-primary"]
    body = json.loads(resource.inputs["dashboardBody"])
    assert widget_summary(body, TEST_REGION) == expected_widgets(values)


# -- instance memory and max_connections -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("instance_class", "gib"),
    [
        ("db.r7g.large", 16),
        ("db.m7g.xlarge", 16),
        ("db.t4g.medium", 4),
        ("db.r6g.2xlarge", 64),
        ("db.t3.micro", 1),
        ("db.m5.4xlarge", 64),
        ("db.serverless", None),
        ("db.r6i.metal", None),
        ("cache.r7g.large", None),
    ],
)
def test_instance_memory_gib(instance_class: str, gib: float | None) -> None:
    assert instance_memory_gib(instance_class) == gib


@pytest.mark.parametrize(
    ("engine", "instance_class", "expected"),
    [
        ("postgres", "db.r7g.large", 1802),
        ("postgres", "db.t4g.medium", 450),
        ("postgres", "db.r6g.2xlarge", 5000),
        ("mysql", "db.r7g.large", 1365),
        ("mysql", "db.m7g.xlarge", 1365),
        ("mysql", "db.r6g.2xlarge", 5461),
        ("postgres", "db.serverless", 1000),
        ("mysql", "db.unknown.large", 1000),
    ],
)
def test_max_connections(engine: str, instance_class: str, expected: int) -> None:
    assert max_connections(engine, instance_class) == expected
    memory = instance_memory_gib(instance_class)
    if memory is not None:
        memory_bytes = int(memory * 1024**3)
        formula = min(memory_bytes // 9531392, 5000) if engine == "postgres" else memory_bytes // 12582880
        assert expected == formula


def test_a_slow_uptime_check_is_judged_over_its_own_interval() -> None:
    """Every 15 minutes: a 5-minute period would mostly hold no datapoint, and missing data counts as down."""
    monitoring("monslowcheck", webhook=False, uptimeIntervalMinutes=15)
    assert one("monslowcheck-uptime-canary").inputs["schedule"] == {"expression": "rate(15 minutes)"}
    site = alarm("monslowcheck", "SiteDown", "site", "critical").inputs
    assert (site["period"], site["evaluationPeriods"]) == (900, 2)
    assert alarm("monslowcheck", "ServiceCpuHigh", "backend", "warning").inputs["period"] == 300


# -- the Args as a program sees them -----------------------------------------------------------------------------------
#: The wiring of a Monitoring whose watched resources are given by name (no resource of this stack behind them).
WIRING: dict[str, Any] = {
    "account": ACCOUNT,
    "name_prefix": "webstack-monargs",
    "domain": DOMAIN,
    "watched": WatchedArgs(
        load_balancer_arn_suffix="app/webstack-monargs-alb/0123456789abcdef",
        cluster_name="webstack-monargs-cluster",
        backup_vault_name="webstack-monargs-vault",
        web_acl_metric_name="webstack-monargs-waf",
    ),
    "critical_topic_arn": CRITICAL_TOPIC,
    "warning_topic_arn": WARNING_TOPIC,
    "data_key_arn": DATA_KEY_ARN,
    "logs_key_arn": LOGS_KEY_ARN,
    "secrets_key_arn": SECRETS_KEY_ARN,
    "access_log_bucket": ACCESS_LOG_BUCKET,
}


def monitoring_args_of(**fields: Any) -> MonitoringArgs:
    return MonitoringArgs(**{**WIRING, **fields})


def test_the_args_defaults_are_the_settings_defaults() -> None:
    """A program that sets nothing gets what a stack that sets nothing gets (``webstack:monitoring`` unset)."""
    mapped = monitoring_args(MonitoringSettings(), **WIRING, webhook_url=None, log_retention_days=365)
    defaults = monitoring_args_of()
    for item in dataclasses.fields(MonitoringArgs):
        expected = getattr(defaults, item.name)
        assert getattr(mapped, item.name) == (list(expected) if isinstance(expected, tuple) else expected), item.name


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"thresholds": {"HighErrorRates": {"warning": 2}}},
            "MonitoringArgs.thresholds must name alerts of the catalog",
        ),
        (
            {"thresholds": {"HighErrorRate": {"info": 2}}},
            "MonitoringArgs.thresholds['HighErrorRate'] must name severities warning or critical, got 'info'",
        ),
        ({"uptime_interval_minutes": 0}, "MonitoringArgs.uptime_interval_minutes must be between 1 and 60, got 0"),
        ({"uptime_interval_minutes": 61}, "MonitoringArgs.uptime_interval_minutes must be between 1 and 60, got 61"),
        (
            {"canary_runtime": "syn-python-selenium-1.0"},
            "MonitoringArgs.canary_runtime must be a Python runtime AWS has not deprecated, "
            "got 'syn-python-selenium-1.0'",
        ),
        (
            {"canary_runtime": "syn-nodejs-puppeteer-9.1"},
            "MonitoringArgs.canary_runtime must be a Python runtime AWS has not deprecated",
        ),
    ],
)
def test_args_cloudwatch_would_refuse_are_refused_by_field(fields: dict[str, Any], message: str) -> None:
    validate_monitoring_args(monitoring_args_of())
    validate_monitoring_args(monitoring_args_of(uptime_interval_minutes=7, thresholds={"SiteDown": {"warning": 1}}))
    with pytest.raises(ValueError, match=re.escape(message)):
        validate_monitoring_args(monitoring_args_of(**fields))


def test_the_schema_nests_the_watched_resources_and_takes_one_topic_per_severity() -> None:
    schema = json.loads(ComponentProvider([hosted(Monitoring)], PACKAGE, version="0.0.0").schema)  # type: ignore[attr-defined]
    resource = schema["resources"][f"{PACKAGE}:index:Monitoring"]
    inputs = resource["inputProperties"]
    assert {"criticalTopicArn", "warningTopicArn", "watched"} <= set(resource["requiredInputs"])
    assert inputs["watched"]["$ref"] == f"#/types/{PACKAGE}:index:WatchedArgs"
    assert inputs["thresholds"]["additionalProperties"]["additionalProperties"]["type"] == "number"
    watched = schema["types"][f"{PACKAGE}:index:WatchedArgs"]["properties"]
    assert watched["databases"]["items"]["$ref"] == f"#/types/{PACKAGE}:index:WatchedDatabaseArgs"
    assert watched["serviceNames"]["additionalProperties"]["type"] == "string"
    assert "webhookUrl" not in resource["requiredInputs"]


def test_a_construct_call_through_the_package_watches_the_resources_it_is_given() -> None:
    provider = ComponentProvider([hosted(Monitoring)], PACKAGE, version="0.0.0")
    watched = {
        "loadBalancerArnSuffix": "app/webstack-monhosted-alb/0123456789abcdef",
        "clusterName": "webstack-monhosted-cluster",
        "backupVaultName": "webstack-monhosted-vault",
        "webAclMetricName": "webstack-monhosted-waf",
        "serviceNames": {"backend": "webstack-monhosted-backend"},
        "databases": [
            {
                "label": "shard-0-primary",
                "identifier": "webstack-monhosted-shard-0-primary",
                "engine": "postgres",
                "instanceClass": INSTANCE_CLASS,
                "allocatedStorageGb": STORAGE_GB,
                "slowQueryLogGroup": "/aws/rds/instance/webstack-monhosted-shard-0-primary/postgresql",
            }
        ],
    }

    def build() -> str:
        inputs = {
            "account": {"id": ACCOUNT_ID, "partition": "aws", "region": TEST_REGION},
            "namePrefix": "webstack-monhosted",
            "domain": DOMAIN,
            "watched": watched,
            "criticalTopicArn": CRITICAL_TOPIC,
            "warningTopicArn": WARNING_TOPIC,
            "dataKeyArn": DATA_KEY_ARN,
            "logsKeyArn": LOGS_KEY_ARN,
            "secretsKeyArn": SECRETS_KEY_ARN,
            "accessLogBucket": ACCESS_LOG_BUCKET,
            "thresholds": {"ServiceCpuHigh": {"critical": 95}},
        }
        return provider.construct("monhosted", f"{PACKAGE}:index:Monitoring", inputs, pulumi.ResourceOptions()).urn  # type: ignore[return-value]

    construct(build)
    (component,) = registered("monhosted", f"{PACKAGE}:index:Monitoring")
    cpu = alarm("monhosted", "ServiceCpuHigh", "backend", "critical")
    assert cpu.parent == component.urn
    assert cpu.inputs["dimensions"] == {
        "ClusterName": "webstack-monhosted-cluster",
        "ServiceName": "webstack-monhosted-backend",
    }
    assert cpu.inputs["threshold"] == 95
    assert cpu.inputs["alarmActions"] == [CRITICAL_TOPIC]
    cpu_db = alarm("monhosted", "DatabaseCpuHigh", "shard-0-primary", "warning").inputs
    assert cpu_db["dimensions"] == {"DBInstanceIdentifier": "webstack-monhosted-shard-0-primary"}
    assert cpu_db["alarmActions"] == [WARNING_TOPIC]
    slow = one("monhosted-shard-0-primary-slow-queries").inputs
    assert slow["logGroupName"] == watched["databases"][0]["slowQueryLogGroup"]
