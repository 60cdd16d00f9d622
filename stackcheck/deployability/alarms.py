"""Alarms and dashboards against what the services publish (``metrics.NAMESPACES``), and metric math against
CloudWatch's documented grammar.

For every metric an alarm (a metric alarm, or a metric of its metric-math queries) or a dashboard widget names:

- the namespace and metric must be in the catalogue (a metric of an AWS namespace that is not is a problem: the table
  is extended with its source, never guessed), and the dimension names one of the metric's published sets;
- each dimension value must be the right output of the right kind of resource (``metrics.DIMENSIONS``): the check
  looks for it among the resources the alarm's property dependencies name for that input, then among all of the
  stack's, and says which output of which resource a wrong value is (a load balancer's name where its ARN suffix is
  meant, a replication group's id where a member cluster's is);
- dimensions that belong together must name resources that belong together (a target group behind that load
  balancer, a service of that cluster, a rule of that web ACL, the web ACL's own region);
- the watched resource must be one the service publishes the metric for (``ReplicaLag`` only for read replicas,
  Container Insights only on clusters with it on, WAF metrics only where the web ACL or rule enables them);
- a metric of a namespace of the stack's own is published by one of its log metric filters, with the same dimensions.

Metric-math expressions are checked by :mod:`stackcheck.deployability.metric_math`.

Composite alarm rules name alarms of the stack (CloudWatch user guide, "Create a composite alarm": ``ALARM``, ``OK``
and ``INSUFFICIENT_DATA`` take an alarm name or ARN).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from stackcheck.deployability import metrics
from stackcheck.deployability.arns import StackView
from stackcheck.deployability.metric_math import check_queries
from stackcheck.deployability.permissions import Problem, Tally
from stackcheck.engine.resources import RecordedResource

METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
COMPOSITE_ALARM = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
METRIC_FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"

COMPOSITE_DOCS = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create_Composite_Alarm.html"
FILTER_DOCS = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/MonitoringPolicyExamples.html"


@dataclass(frozen=True)
class MetricUse:
    """One metric an alarm or a dashboard names."""

    owner: RecordedResource
    namespace: str
    name: str
    dimensions: Mapping[str, str]
    dependency_key: str
    """The input whose property dependencies say where the dimension values come from."""
    where: str
    """``metric``, ``query <id>`` or ``widget <n>``, for the report."""
    period: float | None = None


def _problem(kind: str, use: MetricUse | RecordedResource, value: str, rule: str, source: str) -> Problem:
    owner = use.owner if isinstance(use, MetricUse) else use
    return Problem(kind, owner.urn, value, rule, source)


# -- what the resources name ------------------------------------------------------------------------------------------
def _dimensions(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): str(v) for k, v in value.items()}


def alarm_metrics(alarm: RecordedResource) -> list[MetricUse]:
    inputs = alarm.inputs
    found: list[MetricUse] = []
    if inputs.get("metricName"):
        found.append(
            MetricUse(
                alarm,
                str(inputs.get("namespace", "")),
                str(inputs["metricName"]),
                _dimensions(inputs.get("dimensions")),
                "dimensions",
                "metric",
                inputs.get("period"),
            )
        )
    for query in inputs.get("metricQueries") or []:
        metric = query.get("metric") if isinstance(query, Mapping) else None
        if isinstance(metric, Mapping):
            found.append(
                MetricUse(
                    alarm,
                    str(metric.get("namespace", "")),
                    str(metric.get("metricName", "")),
                    _dimensions(metric.get("dimensions")),
                    "metricQueries",
                    f"query {query.get('id')}",
                    metric.get("period"),
                )
            )
    return found


def dashboard_metrics(dashboard: RecordedResource) -> list[MetricUse]:
    """The metrics of a dashboard's metric widgets (``[namespace, name, key, value, ..., {options}]``, where ``"."``
    repeats the row above's element: CloudWatch API reference, "Dashboard body structure and syntax")."""
    try:
        body = json.loads(str(dashboard.inputs.get("dashboardBody", "")))
    except ValueError:
        return []
    found: list[MetricUse] = []
    for number, widget in enumerate(body.get("widgets", []) if isinstance(body, Mapping) else [], start=1):
        properties = widget.get("properties", {}) if isinstance(widget, Mapping) else {}
        previous: list[Any] = []
        for row in properties.get("metrics", []) if isinstance(properties, Mapping) else []:
            if not isinstance(row, list):
                continue
            parts = [p for p in row if not isinstance(p, Mapping)]
            parts = [previous[i] if p == "." and i < len(previous) else p for i, p in enumerate(parts)]
            previous = parts
            if len(parts) < 2 or any(isinstance(p, Mapping) for p in parts):
                continue
            pairs = parts[2:]
            dimensions = {str(pairs[i]): str(pairs[i + 1]) for i in range(0, len(pairs) - 1, 2)}
            found.append(
                MetricUse(dashboard, str(parts[0]), str(parts[1]), dimensions, "dashboardBody", f"widget {number}")
            )
    return found


# -- dimension values --------------------------------------------------------------------------------------------------
def _output_values(view: StackView, resource: RecordedResource, path: str) -> set[str]:
    outputs = resource.outputs
    if path == "@region":
        return {view.region_of(resource)}
    if path == "id":
        return {resource.id}
    if path == "memberClusters":
        return _member_clusters(resource)
    if path == "visibilityConfig.metricName":
        config = outputs.get("visibilityConfig") or {}
        return {str(config["metricName"])} if isinstance(config, Mapping) and config.get("metricName") else set()
    if path == "rules[].visibilityConfig.metricName":
        return {name for name, _ in _rule_metrics(resource)}
    value = outputs.get(path)
    if isinstance(value, str) and value:
        return {value}
    return set()


def _member_clusters(group: RecordedResource) -> set[str]:
    """A replication group's member clusters: the group lists them (``memberClusters``); ElastiCache names them
    ``<group>-NNN`` (``<group>-NNNN-NNN`` per shard in cluster mode), as DescribeReplicationGroups shows."""
    found = {str(m) for m in group.outputs.get("memberClusters") or [] if isinstance(m, str)}
    group_id = str(group.outputs.get("replicationGroupId") or group.id)
    if str(group.inputs.get("clusterMode", "disabled")) == "enabled" or group.inputs.get("numNodeGroups"):
        shards = int(float(group.inputs.get("numNodeGroups") or 1))
        nodes = int(float(group.inputs.get("replicasPerNodeGroup") or 0)) + 1
        found.update(f"{group_id}-{s:04d}-{n:03d}" for s in range(1, shards + 1) for n in range(1, nodes + 1))
    else:
        found.update(f"{group_id}-{n:03d}" for n in range(1, int(float(group.inputs.get("numCacheClusters") or 1)) + 1))
    return found


def _rule_metrics(acl: RecordedResource) -> list[tuple[str, bool]]:
    found = []
    for rule in acl.outputs.get("rules") or []:
        config = rule.get("visibilityConfig") if isinstance(rule, Mapping) else None
        if isinstance(config, Mapping) and config.get("metricName"):
            found.append((str(config["metricName"]), bool(config.get("cloudwatchMetricsEnabled"))))
    return found


@dataclass
class _Resolved:
    """The resources a metric's dimension values name, by dimension."""

    resources: dict[str, RecordedResource] = field(default_factory=dict)


class _Checker:
    def __init__(self, view: StackView) -> None:
        self.view = view
        self.tally = Tally(kind="alarms")
        self.by_urn = {r.urn: r for r in view.resources}
        self.by_type: dict[str, list[RecordedResource]] = {}
        for resource in view.resources:
            self.by_type.setdefault(resource.type, []).append(resource)
        self.filters = [f.inputs.get("metricTransformation") or {} for f in self.by_type.get(METRIC_FILTER, [])]

    def problem(self, kind: str, use: MetricUse | RecordedResource, value: str, rule: str, source: str) -> None:
        self.tally.problems.append(_problem(kind, use, value, rule, source))

    # -- one metric ------------------------------------------------------------------------------------------------
    def metric(self, use: MetricUse) -> None:
        self.tally.checked += 1
        shown = f"{use.where}: {use.namespace} {use.name} {dict(sorted(use.dimensions.items()))}"
        if not metrics.is_aws_namespace(use.namespace):
            self.custom(use, shown)
            return
        namespace = metrics.NAMESPACES.get(use.namespace)
        if namespace is None:
            self.problem(
                "alarm-metric",
                use,
                shown,
                f"{use.namespace} is not in the metric catalogue: add the namespace's metrics with their documented "
                "dimensions before alarming on them",
                "stackcheck/deployability/metrics.py",
            )
            return
        metric = namespace.metrics.get(use.name)
        if metric is None:
            self.problem(
                "alarm-metric",
                use,
                shown,
                f"{use.namespace} publishes no metric {use.name}",
                namespace.source,
            )
            return
        names = frozenset(use.dimensions)
        if names not in metric.dimensions:
            published = "; ".join(", ".join(sorted(s)) or "(none)" for s in metric.dimensions)
            self.problem(
                "alarm-metric",
                use,
                shown,
                f"{use.name} is published with the dimensions {published}: an alarm on another set watches a metric "
                "that never has data",
                namespace.source,
            )
            return
        resolved = self.values(use)
        self.together(use, resolved)
        self.applies(use, metric, namespace, resolved)

    def custom(self, use: MetricUse, shown: str) -> None:
        for transformation in self.filters:
            if (
                transformation.get("namespace") == use.namespace
                and transformation.get("name") == use.name
                and set((transformation.get("dimensions") or {}).keys()) == set(use.dimensions)
            ):
                return
        self.problem(
            "alarm-metric",
            use,
            shown,
            "a metric of the stack's own namespace must be published by one of its log metric filters, with the same "
            "name and dimensions",
            FILTER_DOCS,
        )

    def values(self, use: MetricUse) -> _Resolved:
        resolved = _Resolved()
        dependencies = [
            self.by_urn[urn]
            for urn in use.owner.property_dependencies.get(use.dependency_key, [])
            if urn in self.by_urn
        ]
        for key, value in use.dimensions.items():
            rule = metrics.DIMENSIONS.get((use.namespace, key))
            if rule is None:
                continue
            match = self._match(rule, value, dependencies) or self._match(
                rule, value, [r for t in rule.types for r in self.by_type.get(t, [])]
            )
            if match is not None:
                resolved.resources[key] = match
                continue
            self.problem(
                "alarm-dimension",
                use,
                f"{use.where}: {key}={value}",
                f"{key} is {rule.meaning}; {self._what_it_is(value, dependencies)}",
                metrics.NAMESPACES[use.namespace].source,
            )
        return resolved

    def _match(
        self, rule: metrics.Dimension, value: str, candidates: Iterable[RecordedResource]
    ) -> RecordedResource | None:
        for candidate in candidates:
            if candidate.type in rule.types and any(
                value in _output_values(self.view, candidate, path) for path in rule.outputs
            ):
                return candidate
        return None

    def _what_it_is(self, value: str, dependencies: Sequence[RecordedResource]) -> str:
        for candidate in [*dependencies, *self.view.resources]:
            keys = [k for k, v in candidate.outputs.items() if v == value]
            if candidate.id == value:
                keys.insert(0, "id")
            if keys:
                return f"the value is the {keys[0]} of {candidate.type.rsplit(':', 1)[-1]} {candidate.name}"
        return "no resource of the stack has that value"

    def together(self, use: MetricUse, resolved: _Resolved) -> None:
        found = resolved.resources
        group, balancer = found.get("TargetGroup"), found.get("LoadBalancer")
        if group is not None and balancer is not None and not self._behind(group, balancer):
            self.problem(
                "alarm-dimension",
                use,
                _shown(use, "TargetGroup", "LoadBalancer"),
                "the target group receives no traffic from that load balancer (no listener or listener rule of it "
                "forwards to the group): the pair has no data",
                metrics.ALB_DOCS,
            )
        service, cluster = found.get("ServiceName"), found.get("ClusterName")
        if service is not None and cluster is not None:
            named = str(service.inputs.get("cluster", ""))
            if named not in {cluster.id, str(cluster.outputs.get("arn")), str(cluster.outputs.get("name"))}:
                self.problem(
                    "alarm-dimension",
                    use,
                    _shown(use, "ServiceName", "ClusterName"),
                    "the service runs in another cluster: the pair has no data",
                    metrics.ECS_DOCS,
                )
        acl = found.get("WebACL")
        if acl is not None:
            region = use.dimensions.get("Region")
            if region is not None and region != self.view.region_of(acl):
                self.problem(
                    "alarm-dimension",
                    use,
                    f"{use.where}: Region={region}",
                    f"Region is the region of the web ACL's protected resources ({self.view.region_of(acl)})",
                    metrics.WAF_DOCS,
                )
            rule = use.dimensions.get("Rule")
            names = {name for name, _ in _rule_metrics(acl)}
            if rule is not None and rule != "ALL" and rule not in names:
                self.problem(
                    "alarm-dimension",
                    use,
                    f"{use.where}: Rule={rule}",
                    "Rule is the metric name of one of that web ACL's rules, or ALL",
                    metrics.WAF_DOCS,
                )

    def _behind(self, group: RecordedResource, balancer: RecordedResource) -> bool:
        group_arn, balancer_arn = str(group.outputs.get("arn")), str(balancer.outputs.get("arn"))
        listeners = {
            str(listener.outputs.get("arn"))
            for listener in self.by_type.get("aws:lb/listener:Listener", [])
            if listener.inputs.get("loadBalancerArn") == balancer_arn
        }
        for listener in self.by_type.get("aws:lb/listener:Listener", []):
            if str(listener.outputs.get("arn")) in listeners and group_arn in _forwarded(
                listener.inputs.get("defaultActions")
            ):
                return True
        for rule in self.by_type.get("aws:lb/listenerRule:ListenerRule", []):
            if rule.inputs.get("listenerArn") in listeners and group_arn in _forwarded(rule.inputs.get("actions")):
                return True
        return False

    def applies(
        self, use: MetricUse, metric: metrics.Metric, namespace: metrics.Namespace, resolved: _Resolved
    ) -> None:
        found = resolved.resources
        if metric.applies_to == "read-replica":
            instance = found.get("DBInstanceIdentifier")
            if instance is not None and not instance.inputs.get("replicateSourceDb"):
                self.problem(
                    "alarm-metric",
                    use,
                    f"{use.where}: {use.name} of {instance.name}",
                    f"RDS publishes {use.name} for read replicas only: the instance replicates nothing",
                    metrics.RDS_DOCS,
                )
        if metric.applies_to == "redis":
            cluster = found.get("CacheClusterId")
            engine = str(cluster.inputs.get("engine", "redis")) if cluster is not None else "redis"
            if engine not in ("redis", "valkey"):
                self.problem(
                    "alarm-metric",
                    use,
                    f"{use.where}: {use.name} of {engine}",
                    f"{use.name} is a Valkey and Redis OSS engine metric",
                    metrics.CACHE_DOCS,
                )
        if metric.applies_to in ("service-or-ec2-cluster", "ec2-cluster"):
            cluster = found.get("ClusterName")
            cluster_level = metric.applies_to == "ec2-cluster" or "ServiceName" not in use.dimensions
            if cluster is not None and cluster_level and self._fargate_only(cluster):
                self.problem(
                    "alarm-metric",
                    use,
                    f"{use.where}: {use.name} of cluster {cluster.name}",
                    "cluster-level utilization and reservation count tasks of the EC2 launch type only: the cluster "
                    "runs Fargate services",
                    metrics.ECS_DOCS,
                )
        if namespace.requires == "container-insights":
            cluster = found.get("ClusterName")
            if cluster is not None and not _container_insights(cluster):
                self.problem(
                    "alarm-metric",
                    use,
                    f"{use.where}: {use.namespace} {use.name} of cluster {cluster.name}",
                    "ECS publishes Container Insights metrics only for clusters with the containerInsights setting "
                    "enabled or enhanced",
                    metrics.INSIGHTS_DOCS,
                )
        if namespace.requires == "waf-metrics":
            acl = found.get("WebACL")
            if acl is not None:
                config = acl.inputs.get("visibilityConfig") or {}
                enabled = bool(config.get("cloudwatchMetricsEnabled")) if isinstance(config, Mapping) else False
                rule = use.dimensions.get("Rule")
                rules = dict(_rule_metrics(acl))
                if rule is not None and rule != "ALL" and rule in rules:
                    enabled = rules[rule]
                if not enabled:
                    self.problem(
                        "alarm-metric",
                        use,
                        f"{use.where}: {use.name} of {acl.name}",
                        "AWS WAF publishes metrics only where visibility_config.cloudwatch_metrics_enabled is true",
                        metrics.WAF_DOCS,
                    )

    def _fargate_only(self, cluster: RecordedResource) -> bool:
        names = {cluster.id, str(cluster.outputs.get("arn")), str(cluster.outputs.get("name"))}
        services = [s for s in self.by_type.get("aws:ecs/service:Service", []) if s.inputs.get("cluster") in names]
        return bool(services) and all(s.inputs.get("launchType") == "FARGATE" for s in services)

    # -- whole alarms ----------------------------------------------------------------------------------------------
    def metric_alarm(self, alarm: RecordedResource) -> None:
        for use in alarm_metrics(alarm):
            self.metric(use)
        queries = [q for q in alarm.inputs.get("metricQueries") or [] if isinstance(q, Mapping)]
        if queries:
            self.tally.checked += 1
            for problem in check_queries(queries):
                self.problem("alarm-math", alarm, problem[0], problem[1], problem[2])

    def composite(self, alarm: RecordedResource, names: set[str]) -> None:
        self.tally.checked += 1
        rule = str(alarm.inputs.get("alarmRule", ""))
        for state, name in re.findall(r"\b(ALARM|OK|INSUFFICIENT_DATA)\(\s*\"?([^\")]+?)\"?\s*\)", rule):
            named = name.rsplit(":alarm:", 1)[-1]
            if named not in names:
                self.problem(
                    "alarm-rule",
                    alarm,
                    f"{state}({name})",
                    "a composite alarm's rule names alarms of the stack: no alarm has that name",
                    COMPOSITE_DOCS,
                )


def _shown(use: MetricUse, *keys: str) -> str:
    return f"{use.where}: " + ", ".join(f"{key}={use.dimensions[key]}" for key in keys)


def _forwarded(actions: Any) -> set[str]:
    found: set[str] = set()
    for action in actions or []:
        if not isinstance(action, Mapping):
            continue
        if action.get("targetGroupArn"):
            found.add(str(action["targetGroupArn"]))
        forward = action.get("forward")
        if isinstance(forward, Mapping):
            found.update(str(g.get("arn")) for g in forward.get("targetGroups") or [] if isinstance(g, Mapping))
    return found


def _container_insights(cluster: RecordedResource) -> bool:
    for setting in cluster.inputs.get("settings") or []:
        if isinstance(setting, Mapping) and setting.get("name") == "containerInsights":
            return setting.get("value") in ("enabled", "enhanced")
    return False


def check(view: StackView) -> Tally:
    checker = _Checker(view)
    names = {
        str(r.inputs.get("name") or r.outputs.get("name") or "") for r in checker.by_type.get(METRIC_ALARM, [])
    } | {str(r.inputs.get("alarmName") or "") for r in checker.by_type.get(COMPOSITE_ALARM, [])}
    for alarm in checker.by_type.get(METRIC_ALARM, []):
        checker.metric_alarm(alarm)
    for alarm in checker.by_type.get(COMPOSITE_ALARM, []):
        checker.composite(alarm, names)
    for dashboard in checker.by_type.get(DASHBOARD, []):
        for use in dashboard_metrics(dashboard):
            checker.metric(use)
    return checker.tally
