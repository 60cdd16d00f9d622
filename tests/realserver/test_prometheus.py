"""Prometheus' own tools and server on the generated monitoring files of the local stack.

- ``promtool check config`` and ``check rules`` on ``prometheus.yml`` and the rule file as the program generates them
  (adapted: the rule file's and CA files' paths, moved under a scratch directory);
- ``promtool test rules`` for every rule of the catalog (each alert and severity): fired at its threshold with the
  severity and labels it claims, silent just under it, silent when idle (no traffic, no lookups), and the case where
  every target of its job is down. The series are built from the catalog's thresholds (components/alerts.py); whether
  a rule fires is promtool's verdict;
- a running Prometheus with the generated ``prometheus.yml`` (adapted: paths, and each job's targets moved to
  loopback ports where small servers answer) finds the frontend and backend targets up, a stopped frontend down, and
  reads the backup job's metrics through the node exporter's textfile collector (Debian's 1.5, run with the flags the
  program gives the pinned 1.8.2).

Debian 12 ships Prometheus 2.42 and promtool 2.42; the pinned image is 2.55.1. The files use nothing newer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import yaml

from components.alerts import Alert, catalog
from components.docker import monitoring_config as monitoring
from components.docker.monitoring_config import PROMETHEUS_CONFIG_FILE, PROMETHEUS_RULES_FILE, docker_alerts
from tests.realserver.conftest import Workspace, delivered, require

PROMETHEUS = "monitoring-prometheus"

Series = list[tuple[str, str]]


def generated(local_run: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    files = delivered(local_run, PROMETHEUS)
    return yaml.safe_load(files[PROMETHEUS_CONFIG_FILE]), yaml.safe_load(files[PROMETHEUS_RULES_FILE])


def write_monitoring_files(workspace: Workspace, local_run: Any) -> tuple[str, str]:
    """prometheus.yml and the rules as generated, every file they name moved under the workspace (the only
    adaptation)."""
    moved = {monitoring.PROMETHEUS_CONFIG_DIR: str(workspace.path("prometheus"))}
    placed = workspace.place(delivered(local_run, PROMETHEUS), moved, 0o644)
    return str(placed[PROMETHEUS_CONFIG_FILE]), str(placed[PROMETHEUS_RULES_FILE])


def test_promtool_accepts_the_generated_configuration_and_rules(workspace: Workspace, local_run: Any) -> None:
    require("promtool")
    config, rules = write_monitoring_files(workspace, local_run)
    checked = workspace.run(["promtool", "check", "config", config])
    assert "SUCCESS" in checked.stdout + checked.stderr
    checked = workspace.run(["promtool", "check", "rules", rules])
    rule_count = sum(len(group["rules"]) for group in generated(local_run)[1]["groups"])
    assert f"SUCCESS: {rule_count} rules found" in checked.stdout


# -- promtool test rules: four cases per rule ----------------------------------------------------------------------
EVAL_MINUTES = 100
SAMPLES = 130


def counter(per_minute: float) -> str:
    """A counter that grows by ``per_minute`` every minute."""
    return f"0+{per_minute:g}x{SAMPLES}"


def gauge(value: float) -> str:
    return f"{value:g}x{SAMPLES}"


@dataclass(frozen=True)
class Scenario:
    """How to make an alert's watched quantity equal ``x``: the series, and the labels the alert then carries."""

    series: Callable[[float], Series]
    labels: dict[str, str]
    step: float
    """How far above or below a threshold the firing and silent cases lie."""
    idle: Series
    down: Series
    """Every target of the job is down: its ``up`` is 0 and its metrics are gone."""
    fires_when_down: bool = False
    variants: dict[str, Variant] = field(default_factory=dict)
    """The same quantity from other metrics (the other engine's), each with its firing and silent cases."""


@dataclass(frozen=True)
class Variant:
    """Another source of an alert's quantity: its series at ``x`` and the labels the alert then carries."""

    series: Callable[[float], Series]
    labels: dict[str, str]


WEB = 'job="backend",instance="web-backend-1:8000"'
DB = 'job="database",instance="database-exporter-primary:9187"'
REPLICA = 'job="replica",instance="database-exporter-replica:9187"'
CACHE = 'job="cache",instance="cache-exporter:9121"'
MYSQL = 'job="database",instance="database-exporter-primary:9104"'
MYSQL_REPLICA = 'job="replica",instance="database-exporter-replica:9104"'
CONTAINER = 'id="/docker/0123abcd",name="web-backend-1"'


def up(job: str, values: list[int]) -> Series:
    return [(f'up{{job="{job}",instance="{job}-{n}:80"}}', gauge(v)) for n, v in enumerate(values, 1)]


def web_requests(total: float, status_share: dict[str, float]) -> Series:
    return [
        (f'http_requests_total{{{WEB},status="{status}"}}', counter(total * share))
        for status, share in status_share.items()
    ]


def latency(p95_ms: float) -> Series:
    # Every observation in the first bucket: histogram_quantile interpolates 0.95 of the way to its upper bound.
    upper = p95_ms / 1000 / 0.95
    return [
        (f'http_request_duration_seconds_bucket{{{WEB},le="{upper:.6f}"}}', counter(10)),
        (f'http_request_duration_seconds_bucket{{{WEB},le="+Inf"}}', counter(10)),
    ]


def slow_pg(count_5m: float) -> Series:
    per_minute = count_5m / 5
    statement = f'{DB},user="app",datname="app",queryid="42"'
    return [
        (f"pg_stat_statements_calls_total{{{statement}}}", counter(per_minute)),
        (f"pg_stat_statements_seconds_total{{{statement}}}", counter(per_minute * 3)),
    ]


SCENARIOS: dict[str, Scenario] = {
    "HighErrorRate": Scenario(
        lambda x: web_requests(100, {"500": x / 100, "200": 1 - x / 100}),
        {},
        0.5,
        web_requests(0, {"500": 1, "200": 1}),
        up("backend", [0, 0]),
    ),
    "SlowResponses": Scenario(
        lambda x: latency(x), {}, 50, [(s, "0x130") for s, _ in latency(100)], up("backend", [0])
    ),
    "UnhealthyTargets": Scenario(
        lambda x: up("frontend", [0] * int(x) + [1] * 2), {}, 1, up("frontend", [1, 1]), up("frontend", [0, 0]), True
    ),
    "ServiceCpuHigh": Scenario(
        lambda x: [
            (f"container_cpu_usage_seconds_total{{{CONTAINER}}}", counter(60 * 0.5 * x / 100)),
            (f"container_spec_cpu_quota{{{CONTAINER}}}", gauge(50000)),
            (f"container_spec_cpu_period{{{CONTAINER}}}", gauge(100000)),
        ],
        {"id": "/docker/0123abcd", "name": "web-backend-1"},
        5,
        [
            (f"container_cpu_usage_seconds_total{{{CONTAINER}}}", gauge(7)),
            (f"container_spec_cpu_quota{{{CONTAINER}}}", gauge(50000)),
            (f"container_spec_cpu_period{{{CONTAINER}}}", gauge(100000)),
        ],
        up("cadvisor", [0]),
    ),
    "ServiceMemoryHigh": Scenario(
        lambda x: [
            (f"container_memory_working_set_bytes{{{CONTAINER}}}", gauge(x / 100 * 1e9)),
            (f"container_spec_memory_limit_bytes{{{CONTAINER}}}", gauge(1e9)),
        ],
        {"id": "/docker/0123abcd", "name": "web-backend-1"},
        2,
        [
            (f"container_memory_working_set_bytes{{{CONTAINER}}}", gauge(5e7)),
            (f"container_spec_memory_limit_bytes{{{CONTAINER}}}", gauge(1e9)),
        ],
        up("cadvisor", [0]),
    ),
    "TasksBelowDesired": Scenario(
        lambda x: up("backend", [0] * int(x) + [1] * 3),
        {"job": "backend"},
        1,
        up("backend", [1, 1, 1]),
        up("backend", [0, 0, 0]),
        True,
    ),
    "DatabaseCpuHigh": Scenario(
        lambda x: [(f'node_cpu_seconds_total{{{DB},cpu="0",mode="idle"}}', counter(60 * (1 - x / 100)))],
        {"instance": "database-exporter-primary:9187"},
        5,
        [(f'node_cpu_seconds_total{{{DB},cpu="0",mode="idle"}}', counter(60))],
        up("database", [0]),
    ),
    "DatabaseStorageLow": Scenario(
        lambda x: [
            (f'node_filesystem_avail_bytes{{{DB},mountpoint="/"}}', gauge(x / 100 * 1e11)),
            (f'node_filesystem_size_bytes{{{DB},mountpoint="/"}}', gauge(1e11)),
        ],
        {"job": "database", "instance": "database-exporter-primary:9187", "mountpoint": "/"},
        1,
        [
            (f'node_filesystem_avail_bytes{{{DB},mountpoint="/"}}', gauge(8e10)),
            (f'node_filesystem_size_bytes{{{DB},mountpoint="/"}}', gauge(1e11)),
        ],
        up("database", [0]),
    ),
    "DatabaseConnectionsHigh": Scenario(
        lambda x: [
            (f'pg_stat_activity_count{{{DB},datname="app",state="active"}}', gauge(x)),
            (f"pg_settings_max_connections{{{DB}}}", gauge(100)),
        ],
        {"instance": "database-exporter-primary:9187"},
        2,
        [
            (f'pg_stat_activity_count{{{DB},datname="app",state="active"}}', gauge(0)),
            (f"pg_settings_max_connections{{{DB}}}", gauge(100)),
        ],
        up("database", [0]),
        variants={
            "mysql": Variant(
                lambda x: [
                    (f"mysql_global_status_threads_connected{{{MYSQL}}}", gauge(x)),
                    (f"mysql_global_variables_max_connections{{{MYSQL}}}", gauge(100)),
                ],
                {"instance": "database-exporter-primary:9104"},
            )
        },
    ),
    "SlowDatabaseQueries": Scenario(
        slow_pg,
        {"instance": "database-exporter-primary:9187"},
        1,
        slow_pg(0),
        up("database", [0]),
    ),
    "ReplicaLagHigh": Scenario(
        lambda x: [(f"pg_replication_lag_seconds{{{REPLICA}}}", gauge(x))],
        {"instance": "database-exporter-replica:9187"},
        5,
        [(f"pg_replication_lag_seconds{{{REPLICA}}}", gauge(0))],
        up("replica", [0]),
    ),
    "CacheMemoryHigh": Scenario(
        lambda x: [
            (f"redis_memory_used_bytes{{{CACHE}}}", gauge(x / 100 * 1e9)),
            (f"redis_memory_max_bytes{{{CACHE}}}", gauge(1e9)),
        ],
        {"job": "cache", "instance": "cache-exporter:9121"},
        2,
        [(f"redis_memory_used_bytes{{{CACHE}}}", gauge(1e6)), (f"redis_memory_max_bytes{{{CACHE}}}", gauge(1e9))],
        up("cache", [0]),
    ),
    "CacheEvictions": Scenario(
        lambda x: [(f"redis_evicted_keys_total{{{CACHE}}}", counter(x / 5))],
        {"job": "cache", "instance": "cache-exporter:9121"},
        5,
        [(f"redis_evicted_keys_total{{{CACHE}}}", counter(0))],
        up("cache", [0]),
    ),
    "CacheHitRateLow": Scenario(
        lambda x: [
            (f"redis_keyspace_hits_total{{{CACHE}}}", counter(x)),
            (f"redis_keyspace_misses_total{{{CACHE}}}", counter(100 - x)),
        ],
        {"job": "cache", "instance": "cache-exporter:9121"},
        2,
        [
            (f"redis_keyspace_hits_total{{{CACHE}}}", counter(0)),
            (f"redis_keyspace_misses_total{{{CACHE}}}", counter(0)),
        ],
        up("cache", [0]),
    ),
    "BackupJobFailed": Scenario(
        lambda x: [
            ('webstack_backup_failures_total{job="backup",instance="backups-metrics:9100",shard="0"}', f"0x60 {x:g}x70")
        ],
        {"job": "backup", "instance": "backups-metrics:9100", "shard": "0"},
        1,
        [('webstack_backup_failures_total{job="backup",instance="backups-metrics:9100",shard="0"}', gauge(0))],
        up("backup", [0]),
    ),
    "BlockedRequestsSpike": Scenario(
        lambda x: web_requests(x / 5, {"429": 1}),
        {},
        5,
        web_requests(0, {"429": 1}),
        up("backend", [0]),
    ),
    "SiteDown": Scenario(
        lambda x: [('probe_success{job="uptime",instance="https://webstack.localhost/health"}', gauge(x / 100))],
        {"job": "uptime", "instance": "https://webstack.localhost/health"},
        100,
        [('probe_success{job="uptime",instance="https://webstack.localhost/health"}', gauge(1))],
        up("uptime", [0]),
    ),
}
SCENARIOS["SlowDatabaseQueries"].variants["mysql"] = Variant(
    lambda x: [(f"mysql_global_status_slow_queries{{{MYSQL}}}", counter(x / 5))],
    {"job": "database", "instance": "database-exporter-primary:9104"},
)
SCENARIOS["ReplicaLagHigh"].variants["mysql"] = Variant(
    lambda x: [(f"mysql_slave_status_seconds_behind_master{{{MYSQL_REPLICA}}}", gauge(x))],
    {"instance": "database-exporter-replica:9104"},
)


def _expected(alert: Alert, rules: dict[str, Any], x: float, labels: dict[str, str]) -> list[dict[str, Any]]:
    """The alerts promtool must report at ``x``: every severity whose threshold ``x`` crosses."""
    found = []
    for rule in (r for group in rules["groups"] for r in group["rules"] if r["alert"] == alert.name):
        threshold = alert.thresholds[rule["labels"]["severity"]]
        if (x > threshold) if alert.comparison == "above" else (x < threshold):
            found.append({"exp_labels": {**labels, **rule["labels"]}, "exp_annotations": rule["annotations"]})
    return found


def _case(alert: Alert, series: Series, expected: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "interval": "1m",
        "input_series": [{"series": name, "values": values} for name, values in series],
        "alert_rule_test": [{"eval_time": f"{EVAL_MINUTES}m", "alertname": alert.name, "exp_alerts": expected}],
    }


def rule_cases(alert: Alert, rules: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The four cases of ``alert``: firing at and silent just under each severity's threshold (for every source of
    its quantity), idle, every target down; by name."""
    scenario = SCENARIOS[alert.name]
    cases: dict[str, dict[str, Any]] = {}
    sign = 1 if alert.comparison == "above" else -1
    for severity, threshold in alert.thresholds.items():
        over, under = threshold + sign * scenario.step, threshold - sign * scenario.step
        cases[f"{severity} fires at {over:g}"] = _case(
            alert, scenario.series(over), _expected(alert, rules, over, scenario.labels)
        )
        cases[f"{severity} silent at {under:g}"] = _case(
            alert, scenario.series(under), _expected(alert, rules, under, scenario.labels)
        )
        assert any(e["exp_labels"]["severity"] == severity for e in _expected(alert, rules, over, scenario.labels))
        for engine, variant in scenario.variants.items():
            cases[f"{severity} fires at {over:g} ({engine})"] = _case(
                alert, variant.series(over), _expected(alert, rules, over, variant.labels)
            )
            cases[f"{severity} silent at {under:g} ({engine})"] = _case(
                alert, variant.series(under), _expected(alert, rules, under, variant.labels)
            )
    cases["idle"] = _case(alert, scenario.idle, [])
    down = (
        _expected(alert, rules, max(alert.thresholds.values()) + scenario.step, scenario.labels)
        if scenario.fires_when_down
        else []
    )
    if scenario.fires_when_down:
        down = [
            {**e, "exp_labels": {k: v for k, v in e["exp_labels"].items() if k in scenario.labels or k == "severity"}}
            for e in down
        ]
    cases["every target down"] = _case(alert, scenario.down, down)
    return cases


def test_every_catalog_alert_has_a_scenario() -> None:
    assert set(SCENARIOS) == {alert.name for alert in catalog()}


@pytest.mark.parametrize("alert", docker_alerts(catalog()), ids=lambda alert: alert.name)
def test_promtool_verdicts_for_every_rule(alert: Alert, workspace: Workspace, local_run: Any) -> None:
    require("promtool")
    _, rules = generated(local_run)
    workspace.write("rules.yml", yaml.safe_dump(rules), 0o644)
    cases = rule_cases(alert, rules)
    # One promtool run for the alert's cases (each its own test group, so each is judged on its own).
    tests = list(cases.values())
    path = workspace.write(
        "cases.yml", yaml.safe_dump({"rule_files": ["rules.yml"], "evaluation_interval": "1m", "tests": tests}), 0o644
    )
    result = workspace.run(["promtool", "test", "rules", str(path)], check=False)
    assert result.returncode == 0, f"{alert.name} ({', '.join(cases)}):\n{result.stdout}{result.stderr}"
