"""Monitoring on aws: the alert catalog as CloudWatch alarms, where alerts go, and how the site looks from outside
(the catalog's Prometheus rules are :class:`~.prometheus.Prometheus`'s; the functions it deploys, their code and
permissions are in ``monitoring_functions.py``).

:class:`Monitoring` (built last, since it watches everything):

- subscriptions of the alert topics: every address in ``alert_emails`` (a stack's
  ``webstack:monitoring.alertEmails``), and a small forwarder (Lambda) that posts each alert to ``webhook_url`` (a
  stack's ``webstack:alertWebhookUrl``: a Slack incoming webhook or any HTTPS endpoint), the URL kept in Secrets
  Manager;
- a CloudWatch alarm per catalog entry, severity and watched resource (the load balancer and its target groups,
  both services, every shard's primary and replicas, every cache node, the backup vault, the web ACL, the uptime
  check), each with alarm and OK actions to its severity's topic, and a composite "service degraded" alarm;
- slow-query counts from the databases' exported logs (metric filters);
- a CloudWatch dashboard with the guides' key metrics;
- a CloudWatch Synthetics canary that fetches ``https://<domain>/health`` on a schedule: the uptime alarm's metric.
"""

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import pulumi
import pulumi_aws as aws

from ..alerts import Alert, Severity, catalog, for_target
from ..settings import CANARY_RUNTIME, DEPRECATED_CANARY_RUNTIMES
from .account import Account
from .args_errors import check_threshold_overrides, invalid
from .buckets import BucketArgs, hardened_bucket
from .monitoring_functions import FORWARDER_CODE, canary_archive, canary_name, canary_policy, forwarder_policy

MONITORING_TYPE = "webstack:aws:Monitoring"


#: Gibibytes of memory per vCPU by instance family letter (db.r*: 8, db.m*: 4, db.x*: 16).
_MEMORY_PER_VCPU = {"r": 8, "m": 4, "x": 16, "z": 8}


_VCPUS = {"large": 2, "xlarge": 4}


_BURSTABLE_MEMORY = {"micro": 1, "small": 2, "medium": 4, "large": 8, "xlarge": 16, "2xlarge": 32}


# -- what the alarms watch ---------------------------------------------------------------------------------------------
# Each id, name or ARN suffix is best passed as the watched resource's output: an alarm then depends on what it
# watches, and the policy pack (policies/rules/alarms.py) sees which resource each alarm covers.
@dataclass(frozen=True)
class WatchedDatabaseArgs:
    """One RDS instance and what its alarms need to know."""

    label: str
    """Names its alarms, e.g. ``shard-0-primary``, ``shard-1-replica-0``."""
    identifier: pulumi.Input[str]
    """Its DBInstanceIdentifier (``aws.rds.Instance.identifier``)."""
    engine: str
    """``postgres`` or ``mysql``: how slow queries read in its log."""
    instance_class: str
    """Its class, e.g. ``db.m7g.large``: the connection alarm's ceiling is the class's default max_connections."""
    allocated_storage_gb: int
    """Its storage: the free-storage alarm's reference."""
    slow_query_log_group: pulumi.Input[str]
    """Name of the log group it exports its slow queries to (``postgresql`` or ``slowquery``)."""
    replica: bool = False
    """A read replica: its replica alarms (lag) as well as the database ones."""


@dataclass(frozen=True)
class WatchedArgs:
    """The resources of the stack the catalog's alarms watch."""

    load_balancer_arn_suffix: pulumi.Input[str]
    """The application load balancer's ARN suffix (``aws.lb.LoadBalancer.arn_suffix``)."""
    cluster_name: pulumi.Input[str]
    """The ECS cluster of the services."""
    backup_vault_name: pulumi.Input[str]
    """The backup vault whose jobs are watched."""
    web_acl_metric_name: pulumi.Input[str]
    """The web ACL's CloudWatch metric name (its ``visibility_config.metric_name``; AWS/WAFV2's WebACL dimension is
    that, not the ACL's name: AWS WAF developer guide, "AWS WAF metrics and dimensions")."""
    target_group_arn_suffixes: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Each service's target group ARN suffix, by service name."""
    service_names: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Each ECS service's name, by service name (``frontend``, ``backend``)."""
    databases: Sequence[WatchedDatabaseArgs] = ()
    """Every database instance, primaries and replicas."""
    cache_node_ids: Sequence[pulumi.Input[str]] = ()
    """The cache's node ids (CacheClusterId)."""


@dataclass(frozen=True)
class MonitoringArgs:
    """Inputs of :class:`Monitoring`. The alarms are the alert catalog's (``components/alerts.py``), with the
    guides' thresholds unless overridden."""

    account: Account
    """The account and region."""
    name_prefix: str
    """Physical-name prefix, e.g. ``webstack-prod``."""
    domain: str
    """The site's domain: the uptime check fetches ``https://<domain>/health``."""
    watched: WatchedArgs
    """What the alarms watch."""
    critical_topic_arn: pulumi.Input[str]
    """The SNS topic of critical alerts (alarm and OK actions, subscriptions)."""
    warning_topic_arn: pulumi.Input[str]
    """The SNS topic of warnings."""
    data_key_arn: pulumi.Input[str]
    """Customer KMS key of the uptime check's artifacts."""
    logs_key_arn: pulumi.Input[str]
    """Customer KMS key of the forwarder's logs."""
    secrets_key_arn: pulumi.Input[str]
    """Customer KMS key of the webhook's secret."""
    access_log_bucket: pulumi.Input[str]
    """The log archive of the artifacts bucket's access logs."""
    thresholds: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    """Overrides of the catalog's thresholds: alert name -> severity (``warning``, ``critical``) -> threshold, e.g.
    ``{"HighErrorRate": {"warning": 2}}``. Empty: the guides' thresholds."""
    alert_emails: Sequence[str] = ()
    """Addresses subscribed to every alert topic (each confirms by email)."""
    uptime_interval_minutes: int = 5
    """Minutes between the uptime check's runs (1-60)."""
    canary_runtime: str = CANARY_RUNTIME
    """CloudWatch Synthetics runtime of the uptime check: a Python (``syn-python-selenium-*``) runtime AWS has not
    deprecated."""
    webhook_url: pulumi.Input[str] | None = None
    """Where alerts are posted (a Slack incoming webhook or any HTTPS endpoint): a secret, kept in Secrets Manager.
    None: no forwarder."""
    log_retention_days: int = 365
    """Days the forwarder's logs are kept."""


def validate_monitoring_args(args: MonitoringArgs) -> None:
    """Settings CloudWatch would refuse or alarms that could not be built; errors name the Args field (a stack's
    settings are validated, naming their keys, in ``components/settings/monitoring.py``)."""
    check_threshold_overrides(args, "thresholds", args.thresholds)
    # CloudWatch Synthetics runs a rate schedule from rate(1 minute) to rate(1 hour) (API reference,
    # CanaryScheduleInput).
    if not 1 <= args.uptime_interval_minutes <= 60:
        raise invalid(args, "uptime_interval_minutes", "be between 1 and 60", args.uptime_interval_minutes)
    runtime = args.canary_runtime
    if not runtime.startswith("syn-python-selenium-") or runtime in DEPRECATED_CANARY_RUNTIMES:
        raise invalid(args, "canary_runtime", "be a Python runtime AWS has not deprecated", runtime)


class Monitoring(pulumi.ComponentResource):
    """Alarms, alert subscriptions, the dashboard and the uptime check."""

    alarms: dict[str, aws.cloudwatch.MetricAlarm]
    """Every alarm, by ``<alert>/<subject>-<severity>``."""
    degraded: aws.cloudwatch.CompositeAlarm
    """"Service degraded": any critical alarm of errors, slowness, unhealthy targets, missing tasks or downtime."""
    dashboard: aws.cloudwatch.Dashboard
    """The guides' key metrics."""
    canary: aws.synthetics.Canary
    """The uptime check."""

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        validate_monitoring_args(args)
        super().__init__(MONITORING_TYPE, name, None, opts)
        self._name, self._args = name, args
        # Ordered as the alert topics are created: critical, then warning.
        self._topics: dict[Severity, pulumi.Input[str]] = {
            "critical": args.critical_topic_arn,
            "warning": args.warning_topic_arn,
        }
        self._alerts = catalog(cast(Mapping[str, Mapping[Severity, float]], args.thresholds))
        self.alarms = {}
        self._subscriptions()
        self.canary = self._canary()
        self._alarms()
        critical = [
            alarm
            for key, alarm in self.alarms.items()
            if key.endswith("-critical") and key.split("/")[0] in DEGRADED_BY
        ]
        self.degraded = aws.cloudwatch.CompositeAlarm(
            f"{name}-service-degraded",
            alarm_name=f"{args.name_prefix}-service-degraded",
            alarm_description=f"{args.domain} is failing its users: errors, slowness, unhealthy targets or downtime.",
            alarm_rule=pulumi.Output.all(*(alarm.name for alarm in critical)).apply(
                lambda names: " OR ".join(f'ALARM("{alarm_name}")' for alarm_name in sorted(names))
            ),
            alarm_actions=[args.critical_topic_arn],
            ok_actions=[args.critical_topic_arn],
            actions_enabled=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=args.name_prefix,
            dashboard_body=self._dashboard_body(),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs(
            {
                "dashboardName": self.dashboard.dashboard_name,
                "canaryName": self.canary.name,
                "alarmCount": len(self.alarms),
            }
        )

    # -- alert routing -------------------------------------------------------------------------------------------
    def _subscriptions(self) -> None:
        args, name = self._args, self._name
        for severity, topic in self._topics.items():
            for index, address in enumerate(args.alert_emails):
                aws.sns.TopicSubscription(
                    f"{name}-{severity}-email-{index}",
                    topic=topic,
                    protocol="email",
                    endpoint=address,
                    opts=pulumi.ResourceOptions(parent=self),
                )
        if args.webhook_url is not None:
            self._forwarder(args.webhook_url)

    def _forwarder(self, webhook_url: pulumi.Input[str]) -> None:
        """A Lambda that posts each alert to the webhook; the URL stays in Secrets Manager."""
        args, name = self._args, f"{self._name}-webhook"
        child = pulumi.ResourceOptions(parent=self)
        secret = aws.secretsmanager.Secret(
            f"{name}-url",
            name_prefix=f"{args.name_prefix}/alert-webhook-",
            description=f"{args.name_prefix}: where alerts are posted",
            kms_key_id=args.secrets_key_arn,
            recovery_window_in_days=7,
            opts=child,
        )
        aws.secretsmanager.SecretVersion(
            f"{name}-url-value",
            secret_id=secret.id,
            secret_string=pulumi.Output.secret(webhook_url),
            opts=child,
        )
        logs = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/lambda/{args.name_prefix}-alert-webhook",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.logs_key_arn,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-role",
            description=f"{args.name_prefix}: posts alerts to the webhook",
            assume_role_policy=args.account.trust_policy("lambda"),
            opts=child,
        )
        access = aws.iam.RolePolicy(
            f"{name}-policy",
            role=role.id,
            policy=pulumi.Output.all(logs.arn, secret.arn, args.secrets_key_arn).apply(
                lambda values: json.dumps(forwarder_policy(*values, account=args.account), sort_keys=True)
            ),
            opts=child,
        )
        function = aws.lambda_.Function(
            f"{name}-function",
            name=f"{args.name_prefix}-alert-webhook",
            description="Posts alerts from the alert topics to the webhook",
            runtime="python3.12",
            architectures=["arm64"],
            handler="index.handler",
            code=pulumi.AssetArchive({"index.py": pulumi.StringAsset(FORWARDER_CODE)}),
            role=role.arn,
            timeout=15,
            memory_size=128,
            environment=aws.lambda_.FunctionEnvironmentArgs(variables={"WEBHOOK_SECRET_ARN": secret.arn}),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(log_format="Text", log_group=logs.name),
            # Its first invocation must find its permissions in place.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[access]),
        )
        for severity, topic in self._topics.items():
            permission = aws.lambda_.Permission(
                f"{name}-{severity}-invoke",
                action="lambda:InvokeFunction",
                function=function.name,
                principal="sns.amazonaws.com",
                source_arn=topic,
                opts=child,
            )
            aws.sns.TopicSubscription(
                f"{name}-{severity}",
                topic=topic,
                protocol="lambda",
                endpoint=function.arn,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[permission]),
            )

    # -- alarms --------------------------------------------------------------------------------------------------
    def _alarms(self) -> None:
        args = self._args
        watched, alerts = args.watched, self._alerts
        alb_suffix = watched.load_balancer_arn_suffix
        for alert in for_target(alerts, "load_balancer"):
            self._alarm(alert, "alb", {"LoadBalancer": alb_suffix})
        for service, group in watched.target_group_arn_suffixes.items():
            for alert in for_target(alerts, "target_group"):
                self._alarm(alert, f"{service}-targets", {"TargetGroup": group, "LoadBalancer": alb_suffix})
        for service, service_name in watched.service_names.items():
            for alert in for_target(alerts, "service"):
                self._alarm(alert, service, {"ClusterName": watched.cluster_name, "ServiceName": service_name})
        for database in watched.databases:
            facts = self._database_facts(database)
            dimensions = {"DBInstanceIdentifier": database.identifier}
            kinds = ["database", "replica"] if database.replica else ["database"]
            for alert in (a for kind in kinds for a in for_target(alerts, kind)):  # type: ignore[arg-type]
                if alert.name == "SlowDatabaseQueries":
                    self._alarm(alert, database.label, {}, facts)
                else:
                    self._alarm(alert, database.label, dimensions, facts)
        for node, node_id in enumerate(watched.cache_node_ids, start=1):
            for alert in for_target(alerts, "cache"):
                self._alarm(alert, f"cache-{node}", {"CacheClusterId": node_id})
        for alert in for_target(alerts, "backup"):
            self._alarm(alert, "backups", {"BackupVaultName": watched.backup_vault_name})
        # Rule=ALL counts every rule of the web ACL.
        acl_metric = watched.web_acl_metric_name
        for alert in for_target(alerts, "firewall"):
            self._alarm(alert, "waf", {"WebACL": acl_metric, "Region": args.account.region, "Rule": "ALL"})
        # A period shorter than the check's interval would have no datapoint, and missing data counts as down.
        every = max(300, args.uptime_interval_minutes * 60)
        for alert in for_target(alerts, "uptime"):
            self._alarm(alert, "site", {"CanaryName": self.canary.name}, period=every)

    def _database_facts(self, database: WatchedDatabaseArgs) -> dict[str, Any]:
        """What a database's alarms compute with; and its slow-query count, from its exported log."""
        args = self._args
        pattern = '"duration:"' if database.engine == "postgres" else '"Query_time"'
        metric = f"SlowQueries-{database.label}"
        aws.cloudwatch.LogMetricFilter(
            f"{self._name}-{database.label}-slow-queries",
            log_group_name=database.slow_query_log_group,
            pattern=pattern,
            metric_transformation=aws.cloudwatch.LogMetricFilterMetricTransformationArgs(
                namespace=args.name_prefix, name=metric, value="1", default_value="0", unit="Count"
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return {
            "allocated_bytes": database.allocated_storage_gb * 1024**3,
            "max_connections": max_connections(database.engine, database.instance_class),
            "slow_query_namespace": args.name_prefix,
            "slow_query_metric": metric,
        }

    def _alarm(
        self,
        alert: Alert,
        subject: str,
        dimensions: Mapping[str, pulumi.Input[str]],
        facts: Mapping[str, Any] | None = None,
        period: int | None = None,
    ) -> None:
        args, facts = self._args, facts or {}
        watch = alert.cloudwatch
        period = period or watch.period
        for severity, threshold in alert.thresholds.items():
            topic = self._topics[severity]
            key = f"{alert.name}/{subject}-{severity}"
            common: dict[str, Any] = {
                "name": f"{args.name_prefix}-{alert.name}-{subject}-{severity}",
                "alarm_description": f"{alert.describe(severity)} on {subject}. Threshold: {alert.guide}.",
                "comparison_operator": "GreaterThanThreshold" if alert.comparison == "above" else "LessThanThreshold",
                "threshold": threshold * watch.scale,
                "evaluation_periods": watch.evaluation_periods,
                "datapoints_to_alarm": watch.datapoints or watch.evaluation_periods,
                "treat_missing_data": watch.missing_data,
                "alarm_actions": [topic],
                "ok_actions": [topic],
                "actions_enabled": True,
                "tags": {"webstack:alert": alert.name, "webstack:severity": severity},
            }
            if watch.expression or len(watch.metrics) > 1:
                queries = [
                    aws.cloudwatch.MetricAlarmMetricQueryArgs(
                        id=metric_id,
                        return_data=False,
                        metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                            namespace=metric.namespace.format_map(facts),
                            metric_name=metric.name.format_map(facts),
                            dimensions=dict(dimensions) or None,
                            period=period,
                            stat=metric.stat,
                        ),
                    )
                    for metric_id, metric in watch.metrics.items()
                ]
                queries.append(
                    aws.cloudwatch.MetricAlarmMetricQueryArgs(
                        id="value",
                        expression=watch.expression.format_map(facts),
                        label=alert.summary,
                        return_data=True,
                    )
                )
                spec: dict[str, Any] = {"metric_queries": queries}
            else:
                (metric,) = watch.metrics.values()
                percentile = metric.stat.startswith("p")
                spec = {
                    "namespace": metric.namespace.format_map(facts),
                    "metric_name": metric.name.format_map(facts),
                    "dimensions": dict(dimensions) or None,
                    "period": period,
                    "statistic": None if percentile else metric.stat,
                    "extended_statistic": metric.stat if percentile else None,
                }
            self.alarms[key] = aws.cloudwatch.MetricAlarm(
                f"{self._name}-{_kebab(alert.name)}-{subject}-{severity}",
                **common,
                **spec,
                opts=pulumi.ResourceOptions(parent=self),
            )

    # -- the dashboard -------------------------------------------------------------------------------------------
    def _dashboard_body(self) -> pulumi.Output[str]:
        args, watched = self._args, self._args.watched
        region = args.account.region
        return pulumi.Output.all(
            alb=watched.load_balancer_arn_suffix,
            databases=[db.identifier for db in watched.databases if not db.replica],
            cache=list(watched.cache_node_ids),
            cluster=watched.cluster_name,
            services=list(watched.service_names.values()),
        ).apply(lambda v: json.dumps(dashboard(v, region), sort_keys=True))

    # -- the uptime check ----------------------------------------------------------------------------------------
    def _canary(self) -> aws.synthetics.Canary:
        args, name = self._args, f"{self._name}-uptime"
        artifacts = hardened_bucket(
            f"{name}-artifacts",
            BucketArgs(
                name_prefix=args.name_prefix,
                purpose="uptime",
                kms_key_arn=args.data_key_arn,
                access_log_bucket=args.access_log_bucket,
                expire_days=31,
            ),
            parent=self,
        )
        role = aws.iam.Role(
            f"{name}-role",
            description=f"{args.name_prefix}: the uptime check of https://{args.domain}/health",
            assume_role_policy=args.account.trust_policy("lambda"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        access = aws.iam.RolePolicy(
            f"{name}-policy",
            role=role.id,
            policy=pulumi.Output.all(artifacts.bucket.arn, args.data_key_arn).apply(
                lambda values: json.dumps(canary_policy(*values, account=args.account), sort_keys=True)
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        minutes = args.uptime_interval_minutes
        return aws.synthetics.Canary(
            f"{name}-canary",
            name=canary_name(args.name_prefix),
            artifact_s3_location=artifacts.bucket.id.apply(lambda bucket: f"s3://{bucket}/"),
            artifact_config=aws.synthetics.CanaryArtifactConfigArgs(
                s3_encryption=aws.synthetics.CanaryArtifactConfigS3EncryptionArgs(
                    encryption_mode="SSE_KMS", kms_key_arn=args.data_key_arn
                )
            ),
            execution_role_arn=role.arn,
            runtime_version=args.canary_runtime,
            handler="uptime.handler",
            zip_file=str(canary_archive()),
            schedule=aws.synthetics.CanaryScheduleArgs(
                expression=f"rate({minutes} minute{'s' if minutes > 1 else ''})"
            ),
            run_config=aws.synthetics.CanaryRunConfigArgs(
                timeout_in_seconds=60, environment_variables={"URL": f"https://{args.domain}/health"}
            ),
            start_canary=True,
            delete_lambda=True,
            success_retention_period=7,
            failure_retention_period=31,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[artifacts.policy, access]),
        )


#: Alerts whose critical alarms make the service "degraded".
DEGRADED_BY = ("HighErrorRate", "SlowResponses", "UnhealthyTargets", "TasksBelowDesired", "SiteDown")


def instance_memory_gib(instance_class: str) -> float | None:
    """Memory of an RDS instance class, from its family and size (None when the class is not one webstack knows)."""
    match = re.fullmatch(r"db\.([a-z])(\d+)[a-z-]*\.(\d*)(micro|small|medium|large|xlarge)", instance_class)
    if match is None:
        return None
    family, _, multiple, size = match.groups()
    if family == "t":
        return _BURSTABLE_MEMORY.get(f"{multiple}{size}")
    per_vcpu = _MEMORY_PER_VCPU.get(family)
    if per_vcpu is None or size not in _VCPUS:
        return None
    return per_vcpu * _VCPUS[size] * (int(multiple) if multiple else 1)


def max_connections(engine: str, instance_class: str) -> int:
    """RDS's default max_connections for the class (its formula over DBInstanceClassMemory); 1000 when the class's
    memory is unknown."""
    memory = instance_memory_gib(instance_class)
    if memory is None:
        return 1000
    memory_bytes = memory * 1024**3
    if engine == "postgres":
        return int(min(memory_bytes // 9_531_392, 5000))
    return int(memory_bytes // 12_582_880)


def dashboard(values: Mapping[str, Any], region: str) -> dict[str, Any]:
    """The guides' key metrics: response time, throughput, error rate, database time, cache hit rate."""
    alb = values["alb"]

    def widget(title: str, metrics: list[list[Any]], stat: str = "Average", x: int = 0, y: int = 0) -> dict[str, Any]:
        return {
            "type": "metric",
            "x": x,
            "y": y,
            "width": 12,
            "height": 6,
            "properties": {"title": title, "region": region, "stat": stat, "period": 60, "metrics": metrics},
        }

    elb = "AWS/ApplicationELB"
    widgets = [
        widget("Response time p95 (s)", [[elb, "TargetResponseTime", "LoadBalancer", alb]], "p95", 0, 0),
        widget("Throughput (requests/min)", [[elb, "RequestCount", "LoadBalancer", alb]], "Sum", 12, 0),
        widget(
            "Errors (5xx/min)",
            [[elb, metric, "LoadBalancer", alb] for metric in ("HTTPCode_Target_5XX_Count", "HTTPCode_ELB_5XX_Count")],
            "Sum",
            0,
            6,
        ),
        widget(
            "Database time (read/write latency, s)",
            [["AWS/RDS", metric, "DBInstanceIdentifier", db] for db in values["databases"]
             for metric in ("ReadLatency", "WriteLatency")],
            "Average",
            12,
            6,
        ),
        widget(
            "Cache hit rate (%)",
            [["AWS/ElastiCache", "CacheHitRate", "CacheClusterId", node] for node in values["cache"]],
            "Average",
            0,
            12,
        ),
        widget(
            "Service CPU and memory (%)",
            [["AWS/ECS", metric, "ClusterName", values["cluster"], "ServiceName", service]
             for service in values["services"] for metric in ("CPUUtilization", "MemoryUtilization")],
            "Average",
            12,
            12,
        ),
    ]  # fmt: skip
    return {"widgets": widgets}


def _kebab(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()
