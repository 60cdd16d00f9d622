"""The alert catalog: what is watched, the guides' thresholds, and how each alert reads as a CloudWatch alarm and as a
Prometheus alerting rule.

One entry per alert, with one threshold per severity (``warning``, ``critical``). The aws platform renders every
entry as CloudWatch alarms against this stack's resources (``components/aws/monitoring.py``); every platform renders
the same entries as Prometheus rules (:func:`prometheus_rules`) for the metrics the app and the usual exporters
publish (``http_requests_total``, ``http_request_duration_seconds``, cAdvisor, node, mysqld/postgres and redis
exporters, blackbox probes). Thresholds come from the deployment guides; ``webstack:monitoring.thresholds``
overrides them per alert and severity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

Severity = Literal["warning", "critical"]
SEVERITIES: tuple[Severity, ...] = ("warning", "critical")
#: What an alert watches, one CloudWatch alarm per such resource (and severity).
Target = Literal[
    "load_balancer", "target_group", "service", "database", "replica", "cache", "backup", "firewall", "uptime"
]
Comparison = Literal["above", "below"]


@dataclass(frozen=True)
class Metric:
    """One CloudWatch metric; its dimensions come from the watched resource."""

    namespace: str
    name: str
    stat: str
    """``Average``, ``Sum``, ``Maximum``, ``Minimum``, or a percentile such as ``p95``."""


@dataclass(frozen=True)
class CloudWatch:
    """How an alert reads as a CloudWatch alarm."""

    metrics: Mapping[str, Metric]
    """The metrics, by the id an expression uses (a single metric needs no expression)."""
    expression: str = ""
    """Metric math over the ids; may name the watched resource's facts as ``{name}`` (e.g. ``{allocated_bytes}``)."""
    period: int = 300
    evaluation_periods: int = 1
    datapoints: int = 0
    """Datapoints out of ``evaluation_periods`` that must breach (0: all of them)."""
    scale: float = 1.0
    """Multiplies the catalog threshold into the metric's unit (milliseconds -> seconds: 0.001)."""
    missing_data: Literal["missing", "ignore", "breaching", "notBreaching"] = "notBreaching"


@dataclass(frozen=True)
class Prometheus:
    """How an alert reads as a Prometheus alerting rule; ``{threshold}`` stands for the severity's threshold."""

    expr: str
    for_: str = "5m"


@dataclass(frozen=True)
class Alert:
    """One entry of the catalog."""

    name: str
    """CamelCase, as Prometheus alert names go (the guides' HighErrorRate, SlowDatabaseQueries)."""
    summary: str
    target: Target
    comparison: Comparison
    thresholds: Mapping[Severity, float]
    unit: str
    guide: str
    """Where the threshold comes from."""
    cloudwatch: CloudWatch
    prometheus: Prometheus
    labels: Mapping[str, str] = field(default_factory=dict)

    def describe(self, severity: Severity) -> str:
        sign = ">" if self.comparison == "above" else "<"
        return f"{self.summary}: {sign} {_number(self.thresholds[severity])}{self.unit} ({severity})"


def _elb(name: str, stat: str) -> Metric:
    return Metric("AWS/ApplicationELB", name, stat)


CATALOG: tuple[Alert, ...] = (
    Alert(
        name="HighErrorRate",
        summary="5xx responses, % of requests over 5 minutes",
        target="load_balancer",
        comparison="above",
        thresholds={"warning": 1, "critical": 5},
        unit=" %",
        guide="certificate-verification guide (HighErrorRate; error rate target < 1 %); 5 % is the BlackCnote "
        "(PHP, sharded MySQL) guide's error-rate level",
        cloudwatch=CloudWatch(
            metrics={
                "target": _elb("HTTPCode_Target_5XX_Count", "Sum"),
                "edge": _elb("HTTPCode_ELB_5XX_Count", "Sum"),
                "requests": _elb("RequestCount", "Sum"),
            },
            # No requests: the division by zero drops the data point, which counts as not breaching. (MAX over an
            # array holding the scalar 1 is not metric math: arrays hold time series only, CloudWatch user guide,
            # "Using metric math".)
            expression="100 * (FILL(target, 0) + FILL(edge, 0)) / FILL(requests, 0)",
        ),
        prometheus=Prometheus(
            '100 * sum(rate(http_requests_total{status=~"5.."}[5m])) / clamp_min(sum(rate(http_requests_total[5m])), '
            "1e-9) > {threshold}"
        ),
    ),
    Alert(
        name="SlowResponses",
        summary="95th percentile response time over 5 minutes",
        target="load_balancer",
        comparison="above",
        thresholds={"warning": 500, "critical": 2000},
        unit=" ms",
        guide="BlackCnote guide: response time 2.0 s (critical here); 500 ms is webstack's early warning for p95",
        cloudwatch=CloudWatch(metrics={"p95": _elb("TargetResponseTime", "p95")}, scale=0.001),
        prometheus=Prometheus(
            "1000 * histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m]))) "
            "> {threshold}"
        ),
    ),
    Alert(
        name="UnhealthyTargets",
        summary="targets failing the load balancer's health check, for 2 minutes",
        target="target_group",
        comparison="above",
        thresholds={"critical": 0},
        unit="",
        guide="certificate-verification guide: health checks on /health (redundancy checklist)",
        cloudwatch=CloudWatch(
            metrics={"unhealthy": _elb("UnHealthyHostCount", "Maximum")}, period=60, evaluation_periods=2
        ),
        prometheus=Prometheus('count(up{job=~"frontend|backend"} == 0) > {threshold}', for_="2m"),
    ),
    Alert(
        name="ServiceCpuHigh",
        summary="service CPU, % of its reservation over 5 minutes",
        target="service",
        comparison="above",
        thresholds={"warning": 70},
        unit=" %",
        guide="BlackCnote guide: CPU load threshold 70 %",
        cloudwatch=CloudWatch(metrics={"cpu": Metric("AWS/ECS", "CPUUtilization", "Average")}),
        prometheus=Prometheus(
            '100 * sum by (name) (rate(container_cpu_usage_seconds_total{name=~".+"}[5m])) > {threshold}'
        ),
    ),
    Alert(
        name="ServiceMemoryHigh",
        summary="service memory, % of its reservation over 5 minutes",
        target="service",
        comparison="above",
        thresholds={"warning": 80, "critical": 90},
        unit=" %",
        guide="BlackCnote guide: memory usage 80 % warning, 90 % critical",
        cloudwatch=CloudWatch(metrics={"memory": Metric("AWS/ECS", "MemoryUtilization", "Average")}),
        prometheus=Prometheus(
            '100 * container_memory_working_set_bytes{name=~".+"} / (container_spec_memory_limit_bytes{name=~".+"} '
            "> 0) > {threshold}"
        ),
    ),
    Alert(
        name="TasksBelowDesired",
        summary="tasks missing from the desired count, for 5 minutes",
        target="service",
        comparison="above",
        thresholds={"critical": 0},
        unit="",
        guide="certificate-verification guide: redundancy checklist (every instance behind the load balancer)",
        cloudwatch=CloudWatch(
            metrics={
                "desired": Metric("ECS/ContainerInsights", "DesiredTaskCount", "Average"),
                "running": Metric("ECS/ContainerInsights", "RunningTaskCount", "Average"),
            },
            expression="FILL(desired, 0) - FILL(running, 0)",
            period=60,
            evaluation_periods=5,
        ),
        # Targets down per service: 1 - up summed, so that a service whose every target is down counts them all
        # (a difference of counts has no value then: count() of nothing is no series).
        prometheus=Prometheus('sum by (job) (1 - up{job=~"frontend|backend"}) > {threshold}'),
    ),
    Alert(
        name="DatabaseCpuHigh",
        summary="database CPU over 5 minutes",
        target="database",
        comparison="above",
        thresholds={"warning": 70},
        unit=" %",
        guide="BlackCnote guide: CPU load threshold 70 %",
        cloudwatch=CloudWatch(metrics={"cpu": Metric("AWS/RDS", "CPUUtilization", "Average")}),
        prometheus=Prometheus(
            '100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{job="database", mode="idle"}[5m]))) '
            "> {threshold}"
        ),
    ),
    Alert(
        name="DatabaseStorageLow",
        summary="database free storage, % of the storage allocated at creation",
        target="database",
        comparison="below",
        thresholds={"critical": 10},
        unit=" %",
        guide="webstack default (the guides set no disk threshold): 10 % free gives storage autoscaling time",
        cloudwatch=CloudWatch(
            metrics={"free": Metric("AWS/RDS", "FreeStorageSpace", "Minimum")},
            expression="100 * free / {allocated_bytes}",
        ),
        prometheus=Prometheus(
            '100 * node_filesystem_avail_bytes{job="database", mountpoint="/"} / '
            'node_filesystem_size_bytes{job="database", mountpoint="/"} < {threshold}'
        ),
    ),
    Alert(
        name="DatabaseConnectionsHigh",
        summary="database connections, % of max_connections",
        target="database",
        comparison="above",
        thresholds={"warning": 80, "critical": 90},
        unit=" %",
        guide="webstack default (the guides set none): 80 % / 90 % of RDS's max_connections for the class",
        cloudwatch=CloudWatch(
            metrics={"connections": Metric("AWS/RDS", "DatabaseConnections", "Maximum")},
            expression="100 * connections / {max_connections}",
        ),
        prometheus=Prometheus(
            "100 * max by (instance) (mysql_global_status_threads_connected / mysql_global_variables_max_connections "
            "or sum by (instance) (pg_stat_activity_count) / max by (instance) (pg_settings_max_connections)) "
            "> {threshold}"
        ),
    ),
    Alert(
        name="SlowDatabaseQueries",
        summary="slow queries (over 2 s; on MySQL also queries without an index) in 5 minutes",
        target="database",
        comparison="above",
        thresholds={"warning": 10},
        unit="",
        guide="certificate-verification guide: SlowDatabaseQueries, mysql_slow_queries > 10 for 5m",
        cloudwatch=CloudWatch(metrics={"slow": Metric("{slow_query_namespace}", "{slow_query_metric}", "Sum")}),
        # MySQL counts slow queries itself (mysqld_exporter: mysql_global_status_slow_queries). PostgreSQL has no such
        # counter: postgres_exporter's stat_statements collector exports pg_stat_statements' calls and total time
        # per statement, so this counts the calls, in 5 minutes, of statements whose mean time then was over 2 s
        # (the slow-query limit of both engines' settings: long_query_time, log_min_duration_statement).
        prometheus=Prometheus(
            "(increase(mysql_global_status_slow_queries[5m]) or sum by (instance) "
            "(increase(pg_stat_statements_calls_total[5m]) and on (instance, user, datname, queryid) "
            "(rate(pg_stat_statements_seconds_total[5m]) / rate(pg_stat_statements_calls_total[5m]) > 2))) "
            "> {threshold}"
        ),
    ),
    Alert(
        name="ReplicaLagHigh",
        summary="replica lag behind its primary",
        target="replica",
        comparison="above",
        thresholds={"warning": 30},
        unit=" s",
        guide="webstack default (the guides replicate MySQL but set no lag threshold): 30 s of stale reads",
        cloudwatch=CloudWatch(
            metrics={"lag": Metric("AWS/RDS", "ReplicaLag", "Maximum")}, period=60, evaluation_periods=5
        ),
        prometheus=Prometheus(
            "max by (instance) (mysql_slave_status_seconds_behind_master or pg_replication_lag_seconds) > {threshold}"
        ),
    ),
    Alert(
        name="CacheMemoryHigh",
        summary="Redis memory, % of maxmemory",
        target="cache",
        comparison="above",
        thresholds={"warning": 80, "critical": 90},
        unit=" %",
        guide="BlackCnote guide: memory usage 80 % warning, 90 % critical",
        cloudwatch=CloudWatch(
            metrics={"memory": Metric("AWS/ElastiCache", "DatabaseMemoryUsagePercentage", "Maximum")}
        ),
        prometheus=Prometheus("100 * redis_memory_used_bytes / (redis_memory_max_bytes > 0) > {threshold}"),
    ),
    Alert(
        name="CacheEvictions",
        summary="keys evicted from Redis in 5 minutes",
        target="cache",
        comparison="above",
        thresholds={"warning": 100},
        unit="",
        guide="webstack default (the guides set none): evictions mean the working set no longer fits",
        cloudwatch=CloudWatch(metrics={"evictions": Metric("AWS/ElastiCache", "Evictions", "Sum")}),
        prometheus=Prometheus("increase(redis_evicted_keys_total[5m]) > {threshold}"),
    ),
    Alert(
        name="CacheHitRateLow",
        summary="Redis hit rate over 15 minutes",
        target="cache",
        comparison="below",
        thresholds={"warning": 70},
        unit=" %",
        guide="ProvChainOrg (provenance) guide: cache_hit_rate_threshold = 0.70",
        cloudwatch=CloudWatch(
            metrics={"hits": Metric("AWS/ElastiCache", "CacheHitRate", "Average")},
            evaluation_periods=3,
            missing_data="notBreaching",
        ),
        # Only while there are lookups: an idle cache has no hit rate, not a low one.
        prometheus=Prometheus(
            "100 * rate(redis_keyspace_hits_total[15m]) / clamp_min(rate(redis_keyspace_hits_total[15m]) + "
            "rate(redis_keyspace_misses_total[15m]), 1e-9) < {threshold} and (rate(redis_keyspace_hits_total[15m]) "
            "+ rate(redis_keyspace_misses_total[15m])) > 0",
            for_="15m",
        ),
    ),
    Alert(
        name="BackupJobFailed",
        summary="failed backup jobs in the last hour",
        target="backup",
        comparison="above",
        thresholds={"critical": 0},
        unit="",
        guide="certificate-verification guide: backup strategy (security checklist); any failed job alerts",
        cloudwatch=CloudWatch(metrics={"failed": Metric("AWS/Backup", "NumberOfBackupJobsFailed", "Sum")}, period=3600),
        prometheus=Prometheus("increase(webstack_backup_failures_total[1h]) > {threshold}", for_="0m"),
    ),
    Alert(
        name="BlockedRequestsSpike",
        summary="requests the WAF blocked in 5 minutes",
        target="firewall",
        comparison="above",
        thresholds={"warning": 1000},
        unit="",
        guide="webstack default; the blocks come from the guides' rate limits (API 10 r/s, login 5 r/min)",
        cloudwatch=CloudWatch(metrics={"blocked": Metric("AWS/WAFV2", "BlockedRequests", "Sum")}),
        prometheus=Prometheus('sum(increase(http_requests_total{status=~"403|429"}[5m])) > {threshold}'),
    ),
    Alert(
        name="SiteDown",
        summary="https://<domain>/health answering, % of synthetic checks over two runs",
        target="uptime",
        comparison="below",
        thresholds={"critical": 100},
        unit=" %",
        guide="certificate-verification guide: the /health endpoint; two failed checks in a row is downtime",
        cloudwatch=CloudWatch(
            metrics={"success": Metric("CloudWatchSynthetics", "SuccessPercent", "Average")},
            evaluation_periods=2,
            missing_data="breaching",
        ),
        prometheus=Prometheus('100 * max_over_time(probe_success{job="uptime"}[10m]) < {threshold}', for_="0m"),
    ),
)

ALERT_NAMES = tuple(alert.name for alert in CATALOG)


def catalog(overrides: Mapping[str, Mapping[Severity, float]] | None = None) -> tuple[Alert, ...]:
    """The catalog with ``overrides`` (alert name -> severity -> threshold) applied; an override may add a severity
    the entry lacks. Unknown names or severities are an error (settings check them first)."""
    overrides = overrides or {}
    unknown = sorted(set(overrides) - set(ALERT_NAMES))
    if unknown:
        raise ValueError(f"no such alert: {', '.join(unknown)}")
    alerts = []
    for alert in CATALOG:
        changes: dict[str, float] = {str(key): value for key, value in overrides.get(alert.name, {}).items()}
        bad = sorted(set(changes) - set(SEVERITIES))
        if bad:
            raise ValueError(f"{alert.name}: no such severity: {', '.join(bad)}")
        thresholds: dict[str, float] = {**alert.thresholds, **changes}
        ordered = {severity: thresholds[severity] for severity in SEVERITIES if severity in thresholds}
        alerts.append(replace(alert, thresholds=ordered))
    return tuple(alerts)


def for_target(alerts: Sequence[Alert], target: Target) -> list[Alert]:
    return [alert for alert in alerts if alert.target == target]


def prometheus_rules(alerts: Sequence[Alert], job_labels: Mapping[str, str] | None = None) -> dict[str, object]:
    """The catalog as a Prometheus rule file: one group per target, one rule per alert and severity."""
    groups: dict[str, list[dict[str, object]]] = {}
    for alert in alerts:
        for severity, threshold in alert.thresholds.items():
            groups.setdefault(alert.target, []).append(
                {
                    "alert": alert.name,
                    "expr": alert.prometheus.expr.replace("{threshold}", _number(threshold)),
                    "for": alert.prometheus.for_,
                    "labels": {"severity": severity, **alert.labels, **(job_labels or {})},
                    "annotations": {
                        "summary": alert.describe(severity),
                        "description": f"{alert.summary}. Threshold: {alert.guide}.",
                    },
                }
            )
    return {"groups": [{"name": f"webstack-{target}", "rules": rules} for target, rules in groups.items()]}


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
