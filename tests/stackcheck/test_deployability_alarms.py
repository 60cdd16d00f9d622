"""The alarm check plants one mistake at a time into prod's real alarms and sees it reported.

Each planted mistake breaks a fact of AWS's documentation (cited in ``stackcheck/deployability/metrics.py``): the
ALB publishes ``HTTPCode_ELB_5XX_Count`` per load balancer and zone only; ``LoadBalancer`` is the ARN suffix;
ElastiCache's ``CacheClusterId`` is a member cluster; AWS WAF's ``WebACL`` is the web ACL's metric name; ``ReplicaLag``
exists for read replicas only; Container Insights metrics exist only for clusters that have it; metric math arrays
hold time series only.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from stackcheck.deployability import alarms, metric_math, metrics
from stackcheck.deployability.arns import StackView
from stackcheck.deployability.permissions import Problem
from stackcheck.engine.resources import RecordedResource
from tests.stackcheck.planting import named, planted

REGION = "us-east-1"


def problems(resources: list[RecordedResource]) -> list[Problem]:
    return alarms.check(StackView(resources, REGION)).problems


def test_prods_alarms_and_dashboard_watch_what_the_services_publish(prod_run: Any) -> None:
    tally = alarms.check(StackView(prod_run.resources, REGION))
    assert tally.problems == []
    assert tally.checked > 100


def test_a_dimension_the_metric_is_not_published_with_is_reported(prod_run: Any) -> None:
    alarm = "monitoring-high-error-rate-alb-warning"

    def add_target_group(inputs: dict[str, Any]) -> None:
        edge = next(q for q in inputs["metricQueries"] if q["id"] == "edge")
        assert edge["metric"]["metricName"] == "HTTPCode_ELB_5XX_Count"
        edge["metric"]["dimensions"]["TargetGroup"] = "targetgroup/edge-frontend-1794bbb/1794bbb626ee62bd"

    (problem,) = problems(planted(prod_run, alarm, add_target_group))
    assert problem.kind == "alarm-metric"
    assert problem.value.startswith("query edge: AWS/ApplicationELB HTTPCode_ELB_5XX_Count")
    assert "published with the dimensions LoadBalancer; AvailabilityZone, LoadBalancer:" in problem.rule
    assert problem.source == metrics.ALB_DOCS


def test_a_metric_the_namespace_does_not_publish_is_reported(prod_run: Any) -> None:
    def rename(inputs: dict[str, Any]) -> None:
        inputs["metricName"] = "UnhealthyHostCount"  # the ALB spells it UnHealthyHostCount

    (problem,) = problems(planted(prod_run, "monitoring-unhealthy-targets-frontend-targets-critical", rename))
    assert problem.rule == "AWS/ApplicationELB publishes no metric UnhealthyHostCount"


def test_a_namespace_outside_the_catalogue_is_reported_not_guessed(prod_run: Any) -> None:
    def move(inputs: dict[str, Any]) -> None:
        inputs["namespace"] = "AWS/ELB"

    (problem,) = problems(planted(prod_run, "monitoring-slow-responses-alb-warning", move))
    assert "AWS/ELB is not in the metric catalogue" in problem.rule


def test_a_load_balancer_named_by_its_name_instead_of_its_arn_suffix_is_reported(prod_run: Any) -> None:
    balancer = named(prod_run.resources, "edge-alb")

    def by_name(inputs: dict[str, Any]) -> None:
        inputs["dimensions"]["LoadBalancer"] = balancer.outputs["name"]

    (problem,) = problems(planted(prod_run, "monitoring-slow-responses-alb-critical", by_name))
    assert problem.kind == "alarm-dimension"
    assert problem.value == f"metric: LoadBalancer={balancer.outputs['name']}"
    assert "the final portion of the load balancer's ARN" in problem.rule
    assert "the value is the name of LoadBalancer edge-alb" in problem.rule


def test_a_cache_alarm_on_the_replication_groups_own_id_is_reported(prod_run: Any) -> None:
    group = named(prod_run.resources, "cache-group")

    def on_the_group(inputs: dict[str, Any]) -> None:
        inputs["dimensions"]["CacheClusterId"] = group.id

    (problem,) = problems(planted(prod_run, "monitoring-cache-evictions-cache-1-warning", on_the_group))
    assert "member clusters" in problem.rule
    assert "never the group's own id" in problem.rule


def test_the_web_acls_name_where_its_metric_name_is_meant_is_reported(prod_run: Any) -> None:
    acl = named(prod_run.resources, "edge-waf")
    assert acl.outputs["visibilityConfig"]["metricName"] != acl.outputs["name"]

    def by_name(inputs: dict[str, Any]) -> None:
        inputs["dimensions"]["WebACL"] = acl.outputs["name"]

    (problem,) = problems(planted(prod_run, "monitoring-blocked-requests-spike-waf-warning", by_name))
    assert "the metric name of the web ACL" in problem.rule
    assert "the value is the name of WebAcl edge-waf" in problem.rule


def test_a_rule_of_another_web_acl_and_another_region_are_reported(prod_run: Any) -> None:
    def elsewhere(inputs: dict[str, Any]) -> None:
        inputs["dimensions"].update(Rule="someone-elses-rule", Region="eu-west-1")

    found = problems(planted(prod_run, "monitoring-blocked-requests-spike-waf-warning", elsewhere))
    assert sorted(p.value for p in found) == ["metric: Region=eu-west-1", "metric: Rule=someone-elses-rule"]


def test_replica_lag_on_a_primary_is_reported(prod_run: Any) -> None:
    primary = named(prod_run.resources, "database-shard-0-primary")

    def on_the_primary(inputs: dict[str, Any]) -> None:
        inputs["dimensions"]["DBInstanceIdentifier"] = primary.outputs["identifier"]

    (problem,) = problems(planted(prod_run, "monitoring-replica-lag-high-shard-0-replica-0-warning", on_the_primary))
    assert problem.rule == "RDS publishes ReplicaLag for read replicas only: the instance replicates nothing"


def test_container_insights_metrics_of_a_cluster_without_it_are_reported(prod_run: Any) -> None:
    def switch_off(inputs: dict[str, Any]) -> None:
        inputs["settings"] = [{"name": "containerInsights", "value": "disabled"}]

    found = problems(planted(prod_run, "web-cluster", switch_off))
    assert {p.urn.rsplit("::", 1)[-1] for p in found} == {
        "monitoring-tasks-below-desired-frontend-critical",
        "monitoring-tasks-below-desired-backend-critical",
    }
    assert all("containerInsights setting" in p.rule for p in found)


def test_a_target_group_behind_no_listener_of_that_load_balancer_is_reported(prod_run: Any) -> None:
    def forward_elsewhere(inputs: dict[str, Any]) -> None:
        inputs["actions"][0]["targetGroupArn"] = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/x/1"

    found = problems(planted(prod_run, "edge-api", forward_elsewhere))
    assert [p.urn.rsplit("::", 1)[-1] for p in found] == ["monitoring-unhealthy-targets-backend-targets-critical"]
    assert "no listener or listener rule of it forwards to the group" in found[0].rule


def test_a_custom_metric_no_metric_filter_publishes_is_reported(prod_run: Any) -> None:
    def misspell(inputs: dict[str, Any]) -> None:
        inputs["metricName"] = "SlowQuery-shard-0-primary"

    (problem,) = problems(planted(prod_run, "monitoring-slow-database-queries-shard-0-primary-warning", misspell))
    assert "published by one of its log metric filters" in problem.rule


def test_a_dashboard_widget_on_a_wrong_dimension_is_reported(prod_run: Any) -> None:
    def wrong_widget(inputs: dict[str, Any]) -> None:
        body = json.loads(inputs["dashboardBody"])
        rows = body["widgets"][4]["properties"]["metrics"]
        assert rows[0][:3] == ["AWS/ElastiCache", "CacheHitRate", "CacheClusterId"]
        rows[0][2] = "ReplicationGroupId"
        inputs["dashboardBody"] = json.dumps(body)

    (problem,) = problems(planted(prod_run, "monitoring-dashboard", wrong_widget))
    assert problem.value.startswith("widget 5: AWS/ElastiCache CacheHitRate {'ReplicationGroupId'")


def test_a_composite_rule_naming_no_alarm_of_the_stack_is_reported(prod_run: Any) -> None:
    def misname(inputs: dict[str, Any]) -> None:
        inputs["alarmRule"] = inputs["alarmRule"].replace("-SiteDown-site-critical", "-SiteDown-critical")

    (problem,) = problems(planted(prod_run, "monitoring-service-degraded", misname))
    assert problem.kind == "alarm-rule"
    assert problem.value == "ALARM(webstack-prod-SiteDown-critical)"


# -- metric math -------------------------------------------------------------------------------------------------------
def query(expression: str, **extra: Any) -> dict[str, Any]:
    return {"id": "value", "expression": expression, "returnData": True, **extra}


def metric(query_id: str, period: int = 300) -> dict[str, Any]:
    return {
        "id": query_id,
        "returnData": False,
        "metric": {"namespace": "AWS/ApplicationELB", "metricName": "RequestCount", "period": period, "stat": "Sum"},
    }


def rules(*queries: dict[str, Any]) -> list[str]:
    return [rule for _, rule, _ in metric_math.check_queries(queries)]


def test_well_formed_expressions_pass() -> None:
    assert rules(metric("errors"), metric("requests"), query("100 * FILL(errors, 0) / FILL(requests, 0)")) == []
    assert rules(metric("a"), metric("b"), query("IF(a > 0 AND b > 0, SUM([a, b]) / 2, 0)")) == []
    assert rules(metric("a"), query("a - AVG(METRICS())")) == []


@pytest.mark.parametrize(
    ("expression", "rule"),
    [
        ("MAX([FILL(requests, 0), 1])", "an array holds time series only"),
        ("fill(requests, 0)", "functions are written in upper case"),
        ("100 * Requests", "names no query of the alarm"),
        ("requests / SUM(requests)", "AWS recommends not using it in alarms"),
        ("RUNNING_SUM(requests)", "AWS recommends not using it in alarms"),
        ("FLOOR(requests) +", "not a metric math expression"),
        ("PERIOD(requests)", "yields a single time series, not S"),
    ],
)
def test_expressions_against_the_documented_grammar(expression: str, rule: str) -> None:
    found = rules(metric("requests"), query(expression))
    assert any(rule in r for r in found), found


def test_an_alarm_watches_exactly_one_query_with_one_period() -> None:
    assert "exactly one query of an alarm returns data" in rules(metric("a"), metric("b"))[0]
    assert rules(metric("a", 60), metric("b", 300), query("a + b")) == [
        "every metric of an alarm's expression has the same period"
    ]
    assert rules(metric("Total"), query("Total"))[0].startswith("a query id starts with a lowercase letter")
    assert any("SEARCH" in r for r in rules(query("SEARCH('{AWS/EC2,InstanceId} CPUUtilization', 'Average', 300)")))
