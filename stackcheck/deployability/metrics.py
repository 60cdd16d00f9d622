"""The CloudWatch metrics AWS services publish, per namespace: each metric's valid dimension sets, from the service's
documentation page (cited per namespace, and per metric where the page says more). botocore's models carry no metric
catalogue, so this is AWS's documentation, re-read when an alarm starts using a metric not listed here: the check
reports a metric of an AWS namespace that is not in this table as a problem, so the table cannot silently fall behind.

``DIMENSIONS`` says, per dimension name, which pulumi-aws resource of the stack a value must come from and which of its
outputs it is (the documentation's definition of the dimension), so that the check can tell a load balancer's name
from its ARN suffix and a replication group's id from its member clusters' ids.

Pages, as cited below:

- ALB: Elastic Load Balancing user guide for Application Load Balancers, "CloudWatch metrics for your Application Load
  Balancer" (metrics table: each metric's dimensions; "Metric dimensions for Application Load Balancers":
  ``LoadBalancer`` is ``app/<name>/<id>``, the final portion of the load balancer's ARN, ``TargetGroup`` is
  ``targetgroup/<name>/<id>``, the final portion of the target group's ARN).
- ECS: Amazon ECS developer guide, "Amazon ECS CloudWatch metrics" (``CPUUtilization``/``MemoryUtilization``: valid
  dimensions ``ClusterName`` and ``ClusterName, ServiceName``; cluster-level utilization only for the EC2 launch
  type).
- Container Insights: CloudWatch user guide, "Amazon ECS Container Insights metrics" (namespace
  ``ECS/ContainerInsights``, each metric's dimension sets; published only for clusters with Container Insights on).
- RDS: RDS user guide, "Amazon CloudWatch metrics for Amazon RDS" (instance-level metrics; ``ReplicaLag`` for read
  replicas) and "Amazon CloudWatch dimensions for Amazon RDS" (``DBInstanceIdentifier``, ``DatabaseClass``,
  ``EngineName``, ``SourceRegion``).
- ElastiCache: ElastiCache user guide, "Host-level metrics" and "Metrics for Valkey and Redis OSS" (each metric is
  published per cache node: dimensions ``CacheClusterId`` and ``CacheClusterId, CacheNodeId``; a node-based cluster's
  metrics carry no ``ReplicationGroupId``: in a replication group, ``CacheClusterId`` is a member cluster,
  ``<group>-001`` or ``<group>-0001-001`` as DescribeReplicationGroups lists them in "Viewing a replication group's
  details").
- Synthetics: CloudWatch user guide, "CloudWatch metrics published by canaries" (``CanaryName``; ``CanaryName,
  StepName`` for steps).
- AWS WAF: AWS WAF developer guide, "AWS WAF metrics and dimensions" (``AWS/WAFV2``; ``WebACL`` is the web ACL's
  metric name, ``Rule`` a rule's metric name or ``ALL``, ``Region`` required for every protected resource but
  CloudFront distributions).
- AWS Backup: AWS Backup developer guide, "Monitoring AWS Backup metrics with CloudWatch" (jobs and recovery points by
  resource type and vault name; restore jobs by resource type).
- NAT gateways: Amazon VPC user guide, "CloudWatch metrics for NAT gateways" (``NatGatewayId``).
- Usage: CloudWatch user guide, "AWS usage metrics" (``AWS/Usage``: ``CallCount`` and ``ResourceCount`` with
  ``Service``, ``Type``, ``Resource``, ``Class``).

The dimension sets were also compared with the canned metrics that aws-cdk-lib generates from AWS's metric data
(``aws-*/lib/*-canned-metrics.generated.d.ts``); where the two differ, the documentation page is what is listed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

DimensionSet = frozenset[str]


def _sets(*sets: tuple[str, ...]) -> tuple[DimensionSet, ...]:
    return tuple(frozenset(names) for names in sets)


@dataclass(frozen=True)
class Metric:
    dimensions: tuple[DimensionSet, ...]
    """The dimension sets the service publishes the metric with (an alarm must use one of them exactly)."""
    applies_to: str = ""
    """A condition on the watched resource (``read-replica``, ``redis``, ``fargate-service``), checked by the alarm
    check: the service publishes the metric only for such resources."""


@dataclass(frozen=True)
class Namespace:
    source: str
    metrics: Mapping[str, Metric]
    requires: str = ""
    """A setting the publishing resource must have for the namespace to exist (``container-insights``,
    ``waf-metrics``)."""


@dataclass(frozen=True)
class Dimension:
    """Where a dimension's value comes from."""

    types: tuple[str, ...]
    """pulumi-aws types of the resource the value names."""
    outputs: tuple[str, ...]
    """The outputs of that resource the value is (any one of them)."""
    meaning: str
    """The documentation's definition, for the report."""


ALB_DOCS = "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html"
ECS_DOCS = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/available-metrics.html"
INSIGHTS_DOCS = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-metrics-ECS.html"
RDS_DOCS = "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-metrics.html"
RDS_DIMENSIONS = "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/dimensions.html"
CACHE_DOCS = "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheMetrics.Redis.html"
CACHE_HOST_DOCS = "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheMetrics.HostLevel.html"
CACHE_MEMBERS = "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Replication.ViewDetails.html"
SYNTHETICS_DOCS = (
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Synthetics_Canaries_metrics.html"
)
WAF_DOCS = "https://docs.aws.amazon.com/waf/latest/developerguide/waf-metrics.html"
BACKUP_DOCS = "https://docs.aws.amazon.com/aws-backup/latest/devguide/cloudwatch.html"
NAT_DOCS = "https://docs.aws.amazon.com/vpc/latest/userguide/vpc-nat-gateway-cloudwatch.html"
USAGE_DOCS = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Usage-Metrics.html"

_ALB_BALANCER = _sets(("LoadBalancer",), ("AvailabilityZone", "LoadBalancer"))
_ALB_TARGETS = (
    *_ALB_BALANCER,
    *_sets(("LoadBalancer", "TargetGroup"), ("AvailabilityZone", "LoadBalancer", "TargetGroup"), ("TargetGroup",)),
)
_ALB_HEALTH = _sets(("LoadBalancer", "TargetGroup"), ("AvailabilityZone", "LoadBalancer", "TargetGroup"))
_ECS_UTILIZATION = _sets(("ClusterName",), ("ClusterName", "ServiceName"))
_INSIGHTS_TASKS = _sets(("ClusterName", "ServiceName"))
_INSIGHTS_USAGE = _sets(("ClusterName",), ("ClusterName", "ServiceName"), ("ClusterName", "TaskDefinitionFamily"))
_RDS = _sets((), ("DBInstanceIdentifier",), ("DatabaseClass",), ("EngineName",), ("SourceRegion",))
_CACHE = _sets((), ("CacheClusterId",), ("CacheClusterId", "CacheNodeId"))
_WAF = _sets(
    ("Region", "Rule", "WebACL"),
    ("Region", "RuleGroup", "WebACL"),
    ("Region", "Rule", "RuleGroup"),
    ("Rule", "WebACL"),
    ("RuleGroup", "WebACL"),
    ("Rule", "RuleGroup"),
)
_BACKUP_JOBS = _sets((), ("ResourceType",), ("BackupVaultName",), ("BackupVaultName", "ResourceType"))
_BACKUP_RESTORES = _sets((), ("ResourceType",))
_NAT = _sets(("NatGatewayId",))
_USAGE = _sets(("Class", "Resource", "Service", "Type"))


def _all(names: tuple[str, ...], dimensions: tuple[DimensionSet, ...], applies_to: str = "") -> dict[str, Metric]:
    return {name: Metric(dimensions, applies_to) for name in names}


NAMESPACES: Mapping[str, Namespace] = {
    "AWS/ApplicationELB": Namespace(
        ALB_DOCS,
        {
            **_all(
                (
                    "ActiveConnectionCount",
                    "ConsumedLCUs",
                    "HTTPCode_ELB_3XX_Count",
                    "HTTPCode_ELB_4XX_Count",
                    "HTTPCode_ELB_5XX_Count",
                    "HTTPCode_ELB_502_Count",
                    "HTTPCode_ELB_503_Count",
                    "HTTPCode_ELB_504_Count",
                    "NewConnectionCount",
                    "ProcessedBytes",
                    "RejectedConnectionCount",
                    "ClientTLSNegotiationErrorCount",
                ),
                _ALB_BALANCER,
            ),
            **_all(
                (
                    "HTTPCode_Target_2XX_Count",
                    "HTTPCode_Target_3XX_Count",
                    "HTTPCode_Target_4XX_Count",
                    "HTTPCode_Target_5XX_Count",
                    "RequestCount",
                    "TargetConnectionErrorCount",
                    "TargetResponseTime",
                    "TargetTLSNegotiationErrorCount",
                ),
                _ALB_TARGETS,
            ),
            "RequestCountPerTarget": Metric(_sets(("TargetGroup",), ("LoadBalancer", "TargetGroup"))),
            **_all(("HealthyHostCount", "UnHealthyHostCount"), _ALB_HEALTH),
        },
    ),
    "AWS/ECS": Namespace(
        ECS_DOCS,
        {
            "CPUUtilization": Metric(_ECS_UTILIZATION, "service-or-ec2-cluster"),
            "MemoryUtilization": Metric(_ECS_UTILIZATION, "service-or-ec2-cluster"),
            "CPUReservation": Metric(_sets(("ClusterName",)), "ec2-cluster"),
            "MemoryReservation": Metric(_sets(("ClusterName",)), "ec2-cluster"),
        },
    ),
    "ECS/ContainerInsights": Namespace(
        INSIGHTS_DOCS,
        {
            **_all(
                ("DesiredTaskCount", "RunningTaskCount", "PendingTaskCount", "DeploymentCount", "TaskSetCount"),
                _INSIGHTS_TASKS,
            ),
            **_all(
                (
                    "CpuUtilized",
                    "CpuReserved",
                    "MemoryUtilized",
                    "MemoryReserved",
                    "NetworkRxBytes",
                    "NetworkTxBytes",
                    "StorageReadBytes",
                    "StorageWriteBytes",
                    "EphemeralStorageReserved",
                    "EphemeralStorageUtilized",
                ),
                _INSIGHTS_USAGE,
            ),
            **_all(("TaskCount", "ServiceCount", "ContainerInstanceCount"), _sets(("ClusterName",))),
        },
        requires="container-insights",
    ),
    "AWS/RDS": Namespace(
        RDS_DOCS,
        {
            **_all(
                (
                    "BinLogDiskUsage",
                    "BurstBalance",
                    "CPUCreditBalance",
                    "CPUUtilization",
                    "DatabaseConnections",
                    "DiskQueueDepth",
                    "FreeStorageSpace",
                    "FreeableMemory",
                    "MaximumUsedTransactionIDs",
                    "NetworkReceiveThroughput",
                    "NetworkTransmitThroughput",
                    "ReadIOPS",
                    "ReadLatency",
                    "ReadThroughput",
                    "SwapUsage",
                    "TransactionLogsDiskUsage",
                    "WriteIOPS",
                    "WriteLatency",
                    "WriteThroughput",
                ),
                _RDS,
            ),
            "ReplicaLag": Metric(_RDS, "read-replica"),
        },
    ),
    "AWS/ElastiCache": Namespace(
        CACHE_DOCS,
        {
            **_all(
                ("CPUUtilization", "FreeableMemory", "NetworkBytesIn", "NetworkBytesOut", "SwapUsage"),
                _CACHE,
            ),
            **_all(
                (
                    "BytesUsedForCache",
                    "CacheHitRate",
                    "CacheHits",
                    "CacheMisses",
                    "CurrConnections",
                    "CurrItems",
                    "DatabaseMemoryUsagePercentage",
                    "EngineCPUUtilization",
                    "Evictions",
                    "NewConnections",
                    "Reclaimed",
                ),
                _CACHE,
                "redis",
            ),
            "ReplicationLag": Metric(_CACHE, "redis"),
        },
    ),
    "CloudWatchSynthetics": Namespace(
        SYNTHETICS_DOCS,
        {
            **_all(("SuccessPercent", "Duration"), _sets(("CanaryName",), ("CanaryName", "StepName"))),
            **_all(("Failed", "Failed requests", "2xx", "4xx", "5xx"), _sets(("CanaryName",))),
        },
    ),
    "AWS/WAFV2": Namespace(
        WAF_DOCS,
        _all(
            (
                "AllowedRequests",
                "BlockedRequests",
                "CountedRequests",
                "CaptchaRequests",
                "ChallengeRequests",
                "PassedRequests",
                "RequestsWithValidCaptchaToken",
                "RequestsWithValidChallengeToken",
            ),
            _WAF,
        ),
        requires="waf-metrics",
    ),
    "AWS/Backup": Namespace(
        BACKUP_DOCS,
        {
            **_all(
                tuple(
                    f"NumberOf{kind}{state}"
                    for kind in ("BackupJobs", "CopyJobs")
                    for state in ("Created", "Pending", "Running", "Aborted", "Completed", "Failed", "Expired")
                ),
                _BACKUP_JOBS,
            ),
            **_all(
                tuple(
                    f"NumberOfRecoveryPoints{state}"
                    for state in ("Completed", "Partial", "Expired", "Deleting", "Cold", "Warm")
                ),
                _BACKUP_JOBS,
            ),
            **_all(
                tuple(
                    f"NumberOfRestoreJobs{state}" for state in ("Pending", "Running", "Completed", "Aborted", "Failed")
                ),
                _BACKUP_RESTORES,
            ),
        },
    ),
    "AWS/NATGateway": Namespace(
        NAT_DOCS,
        _all(
            (
                "ActiveConnectionCount",
                "BytesInFromDestination",
                "BytesInFromSource",
                "BytesOutToDestination",
                "BytesOutToSource",
                "ConnectionAttemptCount",
                "ConnectionEstablishedCount",
                "ErrorPortAllocation",
                "IdleTimeoutCount",
                "PacketsDropCount",
                "PacketsInFromDestination",
                "PacketsInFromSource",
                "PacketsOutToDestination",
                "PacketsOutToSource",
            ),
            _NAT,
        ),
    ),
    "AWS/Usage": Namespace(USAGE_DOCS, _all(("CallCount", "ResourceCount"), _USAGE)),
}


#: The namespaces AWS services own: ``AWS/...`` and the few without the prefix.
AWS_NAMESPACES = ("AWS/", "ECS/ContainerInsights", "CloudWatchSynthetics")


def is_aws_namespace(namespace: str) -> bool:
    return namespace.startswith(AWS_NAMESPACES[0]) or namespace in AWS_NAMESPACES[1:]


LB = "aws:lb/loadBalancer:LoadBalancer"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"

#: (namespace, dimension name) -> where its value comes from. AWS/WAFV2's ``Rule`` and ``Region`` are held against
#: the web ACL its ``WebACL`` names (a rule's metric name or ``ALL``; the web ACL's region). Dimensions that name no
#: resource (an availability zone, a resource type, a node id, a step) are not listed.
DIMENSIONS: Mapping[tuple[str, str], Dimension] = {
    ("AWS/ApplicationELB", "LoadBalancer"): Dimension(
        (LB, "aws:alb/loadBalancer:LoadBalancer"),
        ("arnSuffix",),
        "the final portion of the load balancer's ARN (app/<name>/<id>): its arn_suffix",
    ),
    ("AWS/ApplicationELB", "TargetGroup"): Dimension(
        (TARGET_GROUP, "aws:alb/targetGroup:TargetGroup"),
        ("arnSuffix",),
        "the final portion of the target group's ARN (targetgroup/<name>/<id>): its arn_suffix",
    ),
    ("AWS/ECS", "ClusterName"): Dimension(("aws:ecs/cluster:Cluster",), ("name",), "the cluster's name"),
    ("AWS/ECS", "ServiceName"): Dimension(("aws:ecs/service:Service",), ("name",), "the service's name"),
    ("ECS/ContainerInsights", "ClusterName"): Dimension(("aws:ecs/cluster:Cluster",), ("name",), "the cluster's name"),
    ("ECS/ContainerInsights", "ServiceName"): Dimension(("aws:ecs/service:Service",), ("name",), "the service's name"),
    ("ECS/ContainerInsights", "TaskDefinitionFamily"): Dimension(
        ("aws:ecs/taskDefinition:TaskDefinition",), ("family",), "the task definition's family"
    ),
    ("AWS/RDS", "DBInstanceIdentifier"): Dimension(
        ("aws:rds/instance:Instance",), ("identifier",), "the DB instance's identifier"
    ),
    ("AWS/ElastiCache", "CacheClusterId"): Dimension(
        ("aws:elasticache/replicationGroup:ReplicationGroup", "aws:elasticache/cluster:Cluster"),
        ("memberClusters", "clusterId"),
        "a cache cluster's id: in a replication group one of its member clusters (<group>-001, or <group>-0001-001 "
        "in cluster mode), never the group's own id",
    ),
    ("CloudWatchSynthetics", "CanaryName"): Dimension(
        ("aws:synthetics/canary:Canary",), ("name",), "the canary's name"
    ),
    ("AWS/WAFV2", "WebACL"): Dimension(
        ("aws:wafv2/webAcl:WebAcl",),
        ("visibilityConfig.metricName",),
        "the metric name of the web ACL (its visibility_config.metric_name), not its name",
    ),
    ("AWS/Backup", "BackupVaultName"): Dimension(("aws:backup/vault:Vault",), ("name",), "the backup vault's name"),
    ("AWS/NATGateway", "NatGatewayId"): Dimension(("aws:ec2/natGateway:NatGateway",), ("id",), "the NAT gateway's id"),
}
