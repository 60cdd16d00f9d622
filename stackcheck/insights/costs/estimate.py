"""The estimate of one stack: each top-level component's resources priced by type (:data:`HANDLERS`, one pricing
function per type in the module of its service family), what has no price listed with the reason, and the
assumptions the lines used."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from stackcheck.engine.resources import RecordedResource
from stackcheck.insights.costs import backups, cache, compute, databases, edge, monitoring, network, security, storage
from stackcheck.insights.costs.core import Estimator
from stackcheck.insights.costs.model import ComponentCost, CostEstimate, CostLine, NotPriced, merge
from stackcheck.insights.costs.not_priced import DOCKER_ASSUMPTION, not_priced_reason
from stackcheck.insights.costs.prices import PriceTable, default_prices
from stackcheck.insights.costs.usage import HOURS_PER_MONTH, USAGE_CONSTANTS

#: How each type is priced, in the order a component's lines are listed.
HANDLERS: dict[str, Callable[[Estimator, list[RecordedResource]], list[CostLine]]] = {
    "aws:lb/loadBalancer:LoadBalancer": network.load_balancers,
    "aws:ec2/natGateway:NatGateway": network.nat_gateways,
    "aws:ec2/eip:Eip": network.elastic_ips,
    "aws:ecs/service:Service": compute.services,
    "aws:rds/instance:Instance": databases.rds_instances,
    "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication": databases.rds_replication,
    "aws:elasticache/replicationGroup:ReplicationGroup": cache.caches,
    "aws:s3/bucket:Bucket": storage.buckets,
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": storage.bucket_replication,
    "aws:backup/plan:Plan": backups.backup_plans,
    "aws:backup/restoreTestingSelection:RestoreTestingSelection": backups.restore_tests,
    "aws:cloudwatch/metricAlarm:MetricAlarm": monitoring.alarms,
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": monitoring.composite_alarms,
    "aws:cloudwatch/dashboard:Dashboard": monitoring.dashboards,
    "aws:cloudwatch/logGroup:LogGroup": monitoring.log_groups,
    "aws:synthetics/canary:Canary": monitoring.canaries,
    "aws:amp/workspace:Workspace": monitoring.prometheus,
    "aws:grafana/workspace:Workspace": monitoring.grafana,
    "aws:wafv2/webAcl:WebAcl": edge.web_acls,
    "aws:kms/key:Key": security.keys,
    "aws:secretsmanager/secret:Secret": security.secrets,
    "aws:ssm/parameter:Parameter": security.parameters,
    "aws:ecr/repository:Repository": compute.repositories,
}


def estimate(resources: Sequence[RecordedResource], stack: str, prices: PriceTable | None = None) -> CostEstimate:
    """The monthly cost of what ``resources`` register, per top-level component and in total."""
    est = Estimator(resources, stack, prices or default_prices())
    components = []
    for name, members in est.groups.items():
        component = ComponentCost(name)
        by_type: dict[str, list[RecordedResource]] = {}
        for member in sorted(members, key=lambda r: r.urn):
            by_type.setdefault(member.type, []).append(member)
        lines: list[CostLine] = []
        for type_, handler in HANDLERS.items():
            if type_ in by_type:
                lines += handler(est, by_type[type_])
        lines += edge.cloudflare(est, name, members)
        component.lines = merge(lines)
        priced = {line.resource_type for line in component.lines}
        component.not_priced = [
            NotPriced(type_, len(of_type), not_priced_reason(type_))
            for type_, of_type in sorted(by_type.items())
            if (of_type[0].custom or type_.startswith("pulumi:providers:")) and type_ not in priced
        ]
        components.append(component)
    if not any(r.type.startswith("aws:") or r.type.startswith("cloudflare:") for r in est.resources) and any(
        r.type.startswith("docker:") for r in est.resources
    ):
        est.note(DOCKER_ASSUMPTION)
    _general_notes(est)
    constants = [est.constants[name] for name in USAGE_CONSTANTS if name in est.constants]
    return CostEstimate(
        stack=est.stack,
        components=components,
        assumptions=constants + est.notes,
        currency=est.prices.currency,
        region=est.region,
        prices_note=est.prices.note,
        prices_as_of=est.prices.as_of(),
        price_sources=sorted({line.source for c in components for line in c.lines if line.source}),
    )


def _general_notes(est: Estimator) -> None:
    types = {r.type for r in est.resources}
    if not any(t.startswith("aws:") for t in types):
        return
    est.assume("HOURS_PER_MONTH", HOURS_PER_MONTH, "hours in a month: everything runs all month")
    est.note(
        "On-demand list prices; no reserved instances, savings plans or account-wide free tiers (CloudWatch "
        "alarms and dashboards, KMS requests, ...: other workloads share them)"
    )
    est.note(
        "Data transfer out to the internet and between availability zones depends on traffic and is not "
        "estimated; nor are taxes or AWS support plans"
    )
    if "aws:rds/instance:Instance" in types:
        est.note(
            "RDS Enhanced Monitoring metrics and the log exports go to CloudWatch log groups that RDS creates "
            "itself: not estimated"
        )
    if "aws:ecs/service:Service" in types:
        est.note(
            "Fargate services run their desiredCount all month; scaling out above it is not estimated; the "
            "first 20 GB of ephemeral storage per task is free"
        )
