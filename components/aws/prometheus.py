"""Prometheus on aws (built before the services, which write to it):

- an Amazon Managed Prometheus workspace under the customer ``data`` key, logging to an encrypted log group;
- the alert catalog as a rule-group namespace, and an Alertmanager definition that routes each severity to its
  alert topic;
- optionally Amazon Managed Grafana, signed in through IAM Identity Center only, with the workspace and CloudWatch
  as data sources.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import pulumi
import pulumi_aws as aws
import yaml

from ..alerts import Severity, catalog, prometheus_rules
from ..settings import LOG_RETENTION_DAYS
from .account import Account
from .args_errors import check_threshold_overrides, invalid

PROMETHEUS_TYPE = "webstack:aws:Prometheus"


# -- Prometheus and Grafana --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PrometheusArgs:
    """Inputs of :class:`Prometheus`. The workspace and its logs are always encrypted with customer keys; the alerts
    are webstack's catalog (components/alerts.py) at the guides' thresholds unless ``thresholds`` says
    otherwise."""

    account: Account
    """The account and region (the log delivery policy, Alertmanager's SNS signing region, Grafana's role)."""
    name_prefix: str
    """Physical-name prefix, e.g. ``webstack-prod``: the workspace's alias and Grafana's name."""
    data_key_arn: pulumi.Input[str]
    """Customer KMS key of the workspace (and of Grafana)."""
    logs_key_arn: pulumi.Input[str]
    """Customer KMS key of its log group."""
    critical_topic_arn: pulumi.Input[str]
    """SNS topic Alertmanager sends critical alerts to."""
    warning_topic_arn: pulumi.Input[str]
    """SNS topic Alertmanager sends every other alert to."""
    thresholds: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    """Alert name -> severity (``warning``, ``critical``) -> threshold, instead of the catalog's (the guides').
    Empty: the catalog as it is."""
    grafana: bool = True
    """Amazon Managed Grafana over the workspace and CloudWatch, signed in through IAM Identity Center only (which the
    account must have)."""
    log_retention_days: int = 365
    """Days CloudWatch keeps the workspace's logs (a retention CloudWatch accepts: 30, 90, 365, ...)."""


def validate_prometheus_args(args: PrometheusArgs) -> None:
    """An alert or severity the catalog lacks, or a retention CloudWatch refuses: errors name the Args field."""
    check_threshold_overrides(args, "thresholds", args.thresholds)
    if args.log_retention_days not in LOG_RETENTION_DAYS:
        rule = "be a retention CloudWatch accepts (1, 3, 5, 7, 14, 30, 60, 90, ..., 3653)"
        raise invalid(args, "log_retention_days", rule, args.log_retention_days)


class Prometheus(pulumi.ComponentResource):
    """The Prometheus workspace, its rules and routing, and Grafana."""

    workspace: aws.amp.Workspace
    """The Amazon Managed Prometheus workspace."""
    remote_write_url: pulumi.Output[str]
    """Where collectors remote-write their samples."""
    query_url: pulumi.Output[str]
    """The workspace's query endpoint."""
    grafana: aws.grafana.Workspace | None
    """The Grafana workspace, when ``grafana``."""

    def __init__(self, name: str, args: PrometheusArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        validate_prometheus_args(args)
        super().__init__(PROMETHEUS_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        logs = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/vendedlogs/prometheus/{args.name_prefix}",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.logs_key_arn,
            opts=child,
        )
        delivery = aws.cloudwatch.LogResourcePolicy(
            f"{name}-log-delivery",
            policy_name=f"{args.name_prefix}-prometheus-log-delivery",
            policy_document=logs.arn.apply(
                lambda arn: json.dumps(args.account.log_delivery_policy(arn, "PrometheusLogDelivery"), sort_keys=True)
            ),
            opts=child,
        )
        self.workspace = aws.amp.Workspace(
            f"{name}-workspace",
            alias=args.name_prefix,
            kms_key_arn=args.data_key_arn,
            logging_configuration=aws.amp.WorkspaceLoggingConfigurationArgs(
                log_group_arn=logs.arn.apply(lambda arn: f"{arn}:*")
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[delivery]),
        )
        self.remote_write_url = self.workspace.prometheus_endpoint.apply(
            lambda endpoint: f"{endpoint.rstrip('/')}/api/v1/remote_write"
        )
        self.query_url = self.workspace.prometheus_endpoint.apply(
            lambda endpoint: f"{endpoint.rstrip('/')}/api/v1/query"
        )
        aws.amp.RuleGroupNamespace(
            f"{name}-rules",
            name="webstack-alerts",
            workspace_id=self.workspace.id,
            data=yaml.safe_dump(
                # The severities are checked above: the catalog's two.
                prometheus_rules(catalog(cast(Mapping[str, Mapping[Severity, float]], args.thresholds))),
                sort_keys=False,
                width=1000,
            ),
            opts=child,
        )
        aws.amp.AlertManagerDefinition(
            f"{name}-alertmanager",
            workspace_id=self.workspace.id,
            definition=pulumi.Output.all(critical=args.critical_topic_arn, warning=args.warning_topic_arn).apply(
                lambda topics: alertmanager_definition(topics, args.account.region)
            ),
            opts=child,
        )
        self.grafana = self._grafana(name, args) if args.grafana else None
        self.register_outputs(
            {
                "workspaceArn": self.workspace.arn,
                "remoteWriteUrl": self.remote_write_url,
                "grafanaUrl": self.grafana.endpoint if self.grafana else None,
            }
        )

    def _grafana(self, name: str, args: PrometheusArgs) -> aws.grafana.Workspace:
        account = args.account
        role = aws.iam.Role(
            f"{name}-grafana-role",
            description=f"{args.name_prefix}: Grafana reads Prometheus and CloudWatch",
            # Only Grafana workspaces of this account may assume it (the confused-deputy guard).
            assume_role_policy=account.trust_policy("grafana", source_arn=account.arn("grafana", "/workspaces/*")),
            opts=pulumi.ResourceOptions(parent=self),
        )
        access = aws.iam.RolePolicy(
            f"{name}-grafana-access",
            role=role.id,
            policy=self.workspace.arn.apply(lambda arn: json.dumps(grafana_policy(arn, account), sort_keys=True)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Through the API, AWS creates no roles for a workspace (botocore's grafana model, CreateWorkspace:
        # SERVICE_MANAGED roles come only with workspaces created in the console): CUSTOMER_MANAGED with the role above.
        return aws.grafana.Workspace(
            f"{name}-grafana",
            name=args.name_prefix,
            description=f"{args.name_prefix}: dashboards over Prometheus and CloudWatch",
            account_access_type="CURRENT_ACCOUNT",
            authentication_providers=["AWS_SSO"],
            permission_type="CUSTOMER_MANAGED",
            kms_key_id=args.data_key_arn,
            data_sources=["PROMETHEUS", "CLOUDWATCH"],
            role_arn=role.arn,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[access]),
        )


def grafana_policy(workspace_arn: str, account: Account) -> dict[str, Any]:
    """What Grafana's two data sources read, and nothing else: the Prometheus queries of AWS's
    AmazonPrometheusQueryAccess on this stack's workspace, and the CloudWatch metrics, alarms and Logs Insights reads of
    AWS's AmazonGrafanaCloudWatchAccess, scoped to this account and region where IAM can scope them (the actions on
    Resource "*" have no resource-level permissions)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "QueryThisPrometheusWorkspace",
                "Effect": "Allow",
                "Action": ["aps:DescribeWorkspace", "aps:GetLabels", "aps:GetMetricMetadata", "aps:GetSeries",
                           "aps:QueryMetrics"],
                "Resource": workspace_arn,
            },
            {"Sid": "FindPrometheusWorkspaces", "Effect": "Allow", "Action": "aps:ListWorkspaces", "Resource": "*"},
            {
                "Sid": "ReadMetrics",
                "Effect": "Allow",
                "Action": ["cloudwatch:DescribeAlarmsForMetric", "cloudwatch:GetMetricData",
                           "cloudwatch:GetMetricStatistics", "cloudwatch:ListMetrics"],
                "Resource": "*",
            },
            {
                "Sid": "ReadAlarms",
                "Effect": "Allow",
                "Action": ["cloudwatch:DescribeAlarmHistory", "cloudwatch:DescribeAlarms"],
                "Resource": account.arn("cloudwatch", "alarm:*"),
            },
            {
                "Sid": "QueryLogs",
                "Effect": "Allow",
                "Action": ["logs:DescribeLogGroups", "logs:GetLogEvents", "logs:GetLogGroupFields", "logs:StartQuery"],
                "Resource": account.arn("logs", "log-group:*"),
            },
            {
                "Sid": "FollowLogQueries",
                "Effect": "Allow",
                "Action": ["logs:GetQueryResults", "logs:StopQuery"],
                "Resource": "*",
            },
            {
                "Sid": "FindDimensionValues",
                "Effect": "Allow",
                "Action": ["ec2:DescribeRegions", "tag:GetResources"],
                "Resource": "*",
            },
        ],
    }  # fmt: skip


def alertmanager_definition(topics: Mapping[str, str], region: str) -> str:
    """Alertmanager routing: critical alerts to the critical topic, everything else to the warning topic."""
    receivers = [
        {
            "name": severity,
            "sns_configs": [
                {
                    "topic_arn": topics[severity],
                    "sigv4": {"region": region},
                    "subject": f"[{severity}] {{{{ .CommonLabels.alertname }}}}",
                    "attributes": {"severity": severity},
                }
            ],
        }
        for severity in ("critical", "warning")
    ]
    config = {
        "route": {
            "receiver": "warning",
            "group_by": ["alertname", "severity"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "routes": [{"receiver": "critical", "match": {"severity": "critical"}}],
        },
        "receivers": receivers,
    }
    return yaml.safe_dump({"alertmanager_config": yaml.safe_dump(config, sort_keys=False)}, sort_keys=False)
