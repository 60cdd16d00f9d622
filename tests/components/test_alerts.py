"""The alert catalog: the guides' numbers, overrides, and Prometheus rule files that Prometheus would load."""

from __future__ import annotations

import re

import promql_parser
import pytest
import yaml

from components.alerts import ALERT_NAMES, CATALOG, SEVERITIES, catalog, for_target, prometheus_rules

#: The thresholds the issue and the guides give, by alert and severity.
EXPECTED = {
    "HighErrorRate": {"warning": 1, "critical": 5},
    "SlowResponses": {"warning": 500, "critical": 2000},
    "UnhealthyTargets": {"critical": 0},
    "ServiceCpuHigh": {"warning": 70},
    "ServiceMemoryHigh": {"warning": 80, "critical": 90},
    "TasksBelowDesired": {"critical": 0},
    "DatabaseCpuHigh": {"warning": 70},
    "DatabaseStorageLow": {"critical": 10},
    "DatabaseConnectionsHigh": {"warning": 80, "critical": 90},
    "SlowDatabaseQueries": {"warning": 10},
    "ReplicaLagHigh": {"warning": 30},
    "CacheMemoryHigh": {"warning": 80, "critical": 90},
    "CacheEvictions": {"warning": 100},
    "CacheHitRateLow": {"warning": 70},
    "BackupJobFailed": {"critical": 0},
    "BlockedRequestsSpike": {"warning": 1000},
    "SiteDown": {"critical": 100},
}
DURATION = re.compile(r"^\d+[smhd]$")


def test_the_catalog_carries_the_guides_thresholds() -> None:
    assert {alert.name: dict(alert.thresholds) for alert in CATALOG} == EXPECTED
    assert tuple(EXPECTED) == ALERT_NAMES
    below = {alert.name for alert in CATALOG if alert.comparison == "below"}
    assert below == {"DatabaseStorageLow", "CacheHitRateLow", "SiteDown"}


def test_every_entry_names_its_source_and_can_be_read_both_ways() -> None:
    for alert in CATALOG:
        assert alert.guide, alert.name
        assert alert.summary, alert.name
        assert alert.cloudwatch.metrics, alert.name
        assert "{threshold}" in alert.prometheus.expr, alert.name
        assert DURATION.match(alert.prometheus.for_), alert.name
        if len(alert.cloudwatch.metrics) > 1:
            assert alert.cloudwatch.expression, f"{alert.name}: several metrics need an expression"
        for metric_id in alert.cloudwatch.metrics:
            assert re.fullmatch(r"[a-z][a-zA-Z0-9_]*", metric_id), "CloudWatch metric ids start with a lowercase letter"


def test_the_slowest_thresholds_convert_to_cloudwatch_units() -> None:
    (slow,) = [alert for alert in CATALOG if alert.name == "SlowResponses"]
    assert slow.cloudwatch.scale == 0.001  # ms -> s: TargetResponseTime is in seconds
    assert slow.cloudwatch.metrics["p95"].stat == "p95"
    assert slow.thresholds["critical"] * slow.cloudwatch.scale == 2.0


def test_targets_group_the_catalog() -> None:
    targets = {alert.target for alert in CATALOG}
    assert targets == {
        "load_balancer",
        "target_group",
        "service",
        "database",
        "replica",
        "cache",
        "backup",
        "firewall",
        "uptime",
    }
    assert [alert.name for alert in for_target(CATALOG, "replica")] == ["ReplicaLagHigh"]
    assert len(for_target(CATALOG, "database")) == 4


# -- overrides ---------------------------------------------------------------------------------------------------------
def test_overrides_replace_a_threshold_and_may_add_a_severity() -> None:
    alerts = {
        alert.name: alert for alert in catalog({"HighErrorRate": {"warning": 2}, "ServiceCpuHigh": {"critical": 95}})
    }
    assert dict(alerts["HighErrorRate"].thresholds) == {"warning": 2, "critical": 5}
    assert dict(alerts["ServiceCpuHigh"].thresholds) == {"warning": 70, "critical": 95}
    assert list(alerts["ServiceCpuHigh"].thresholds) == list(SEVERITIES)
    assert dict(CATALOG[0].thresholds) == {"warning": 1, "critical": 5}  # the catalog itself is untouched


def test_unknown_overrides_are_refused() -> None:
    with pytest.raises(ValueError, match="no such alert: HighErrorRates"):
        catalog({"HighErrorRates": {"warning": 2}})
    with pytest.raises(ValueError, match="HighErrorRate: no such severity: info"):
        catalog({"HighErrorRate": {"info": 2}})  # type: ignore[dict-item]


# -- the Prometheus rule file ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def rule_file() -> dict[str, object]:
    """The rules as Prometheus would read them: through YAML."""
    return yaml.safe_load(yaml.safe_dump(prometheus_rules(catalog()), sort_keys=False))


def test_the_rule_file_has_prometheus_shape(rule_file: dict[str, object]) -> None:
    assert set(rule_file) == {"groups"}
    groups = rule_file["groups"]
    assert isinstance(groups, list)
    names = [group["name"] for group in groups]
    assert len(names) == len(set(names))
    for group in groups:
        assert set(group) == {"name", "rules"}
        for rule in group["rules"]:
            assert set(rule) == {"alert", "expr", "for", "labels", "annotations"}
            assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", rule["alert"])
            assert DURATION.match(rule["for"])
            assert rule["labels"]["severity"] in SEVERITIES
            assert set(rule["annotations"]) == {"summary", "description"}
            assert all(isinstance(value, str) for value in rule["annotations"].values())


def test_every_expression_is_valid_promql(rule_file: dict[str, object]) -> None:
    groups = rule_file["groups"]
    assert isinstance(groups, list)
    for group in groups:
        for rule in group["rules"]:
            assert "{threshold}" not in rule["expr"]
            promql_parser.parse(rule["expr"])  # raises on a syntax error


def test_the_parser_would_catch_a_broken_expression() -> None:
    with pytest.raises(ValueError, match="unclosed left parenthesis"):
        promql_parser.parse("sum(rate(http_requests_total[5m]) > 1")


def test_one_rule_per_alert_and_severity_with_its_threshold(rule_file: dict[str, object]) -> None:
    groups = rule_file["groups"]
    assert isinstance(groups, list)
    rules = [(rule["alert"], rule["labels"]["severity"], rule["expr"]) for group in groups for rule in group["rules"]]
    assert sorted((alert, severity) for alert, severity, _ in rules) == sorted(
        (name, severity) for name, levels in EXPECTED.items() for severity in levels
    )
    by_key = {(alert, severity): expr for alert, severity, expr in rules}
    assert by_key[("HighErrorRate", "warning")].endswith("> 1")
    assert by_key[("HighErrorRate", "critical")].endswith("> 5")
    assert "< 70 and" in by_key[("CacheHitRateLow", "warning")]
    assert by_key[("SlowDatabaseQueries", "warning")].startswith("(increase(mysql_global_status_slow_queries[5m]) or ")
    assert by_key[("SlowDatabaseQueries", "warning")].endswith(") > 10")


def test_overridden_thresholds_reach_the_rules() -> None:
    document = prometheus_rules(catalog({"ReplicaLagHigh": {"warning": 5, "critical": 60}}))
    groups = document["groups"]
    assert isinstance(groups, list)
    (replica,) = [group for group in groups if group["name"] == "webstack-replica"]
    assert [(rule["labels"]["severity"], rule["expr"].rsplit(" ", 1)[-1]) for rule in replica["rules"]] == [
        ("warning", "5"),
        ("critical", "60"),
    ]
