"""The type table (:mod:`stackcheck.deployability.types`) of monitoring: Managed Prometheus and Grafana, CloudWatch
(alarms, dashboards, logs, events), SNS notifications, Synthetics canaries."""

from __future__ import annotations

from stackcheck.deployability.types.model import TF, Identity, TypeMap, ops

TYPES: dict[str, TypeMap] = {
    # -- managed prometheus and grafana ----------------------------------------------------------------------------
    "aws:amp/workspace:Workspace": TypeMap(
        "resource",
        "AWS::APS::Workspace",
        identity=Identity("aps", "workspace", "arn:{partition}:aps:{region}:{account}:workspace/{name}", name="id"),
    ),
    "aws:amp/ruleGroupNamespace:RuleGroupNamespace": TypeMap(
        "resource",
        "AWS::APS::RuleGroupsNamespace",
        identity=Identity(
            "aps",
            "rulegroupsnamespace",
            "arn:{partition}:aps:{region}:{account}:rulegroupsnamespace/{workspaceId}/{name}",
        ),
    ),
    "aws:amp/alertManagerDefinition:AlertManagerDefinition": TypeMap(
        "property",
        "AWS::APS::Workspace",
        prop="AlertManagerDefinition",
        root="definition",
        actions=ops(
            ("aps:CreateAlertManagerDefinition", "aps:DescribeAlertManagerDefinition"),
            ("aps:DescribeAlertManagerDefinition",),
            ("aps:PutAlertManagerDefinition", "aps:DescribeAlertManagerDefinition"),
            ("aps:DeleteAlertManagerDefinition", "aps:DescribeAlertManagerDefinition"),
        ),
        source=f"{TF}amp/alert_manager_definition.go",
        identity=Identity("aps", "workspace", "@parent", parent="workspaceId"),
    ),
    "aws:grafana/workspace:Workspace": TypeMap(
        "resource", "AWS::Grafana::Workspace", identity=Identity("grafana", "workspace")
    ),
    # -- cloudwatch, logs, events ----------------------------------------------------------------------------------
    "aws:cloudwatch/metricAlarm:MetricAlarm": TypeMap(
        "resource",
        "AWS::CloudWatch::Alarm",
        renames={"name": "AlarmName"},
        identity=Identity("cloudwatch", "alarm", "arn:{partition}:cloudwatch:{region}:{account}:alarm:{name}"),
    ),
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": TypeMap(
        "resource",
        "AWS::CloudWatch::CompositeAlarm",
        identity=Identity(
            "cloudwatch", "alarm", "arn:{partition}:cloudwatch:{region}:{account}:alarm:{name}", "alarmName"
        ),
    ),
    "aws:cloudwatch/dashboard:Dashboard": TypeMap(
        "resource",
        "AWS::CloudWatch::Dashboard",
        identity=Identity(
            "cloudwatch", "dashboard", "arn:{partition}:cloudwatch::{account}:dashboard/{name}", "dashboardName"
        ),
    ),
    "aws:cloudwatch/eventRule:EventRule": TypeMap(
        "resource",
        "AWS::Events::Rule",
        identity=Identity(
            "events", "rule-on-default-event-bus", "arn:{partition}:events:{region}:{account}:rule/{name}"
        ),
    ),
    "aws:cloudwatch/eventTarget:EventTarget": TypeMap(
        "property",
        "AWS::Events::Rule",
        prop="Targets",
        actions=ops(
            ("events:PutTargets", "events:ListTargetsByRule"),
            ("events:ListTargetsByRule",),
            ("events:PutTargets", "events:ListTargetsByRule"),
            ("events:RemoveTargets",),
        ),
        source=f"{TF}events/target.go",
        identity=Identity("events", "rule-on-default-event-bus", "@parent", parent="rule"),
    ),
    "aws:cloudwatch/logGroup:LogGroup": TypeMap(
        "resource",
        "AWS::Logs::LogGroup",
        renames={"name": "LogGroupName"},
        identity=Identity("logs", "log-group", "arn:{partition}:logs:{region}:{account}:log-group:{name}"),
    ),
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": TypeMap(
        "resource",
        "AWS::Logs::MetricFilter",
        renames={"name": "FilterName", "pattern": "FilterPattern", "metricTransformation": "MetricTransformations"},
        identity=Identity(
            "logs",
            "log-group",
            "@parent",
            parent="logGroupName",
            fallback="arn:{partition}:logs:{region}:{account}:log-group:{name}",
        ),
    ),
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": TypeMap("resource", "AWS::Logs::ResourcePolicy"),
    # -- notifications ---------------------------------------------------------------------------------------------
    "aws:sns/topic:Topic": TypeMap(
        "resource", "AWS::SNS::Topic", renames={"name": "TopicName"}, identity=Identity("sns", "topic")
    ),
    "aws:sns/topicPolicy:TopicPolicy": TypeMap(
        "resource",
        "AWS::SNS::TopicPolicy",
        renames={"policy": "PolicyDocument", "arn": "Topics"},
        identity=Identity("sns", "topic", "@parent", parent="arn"),
    ),
    "aws:sns/topicSubscription:TopicSubscription": TypeMap(
        "resource",
        "AWS::SNS::Subscription",
        renames={"topic": "TopicArn"},
        identity=Identity("sns", "topic", "@parent", parent="topic"),
    ),
    # -- uptime ----------------------------------------------------------------------------------------------------
    "aws:synthetics/canary:Canary": TypeMap(
        "resource",
        "AWS::Synthetics::Canary",
        identity=Identity("synthetics", "canary", "arn:{partition}:synthetics:{region}:{account}:canary:{name}"),
    ),
}
