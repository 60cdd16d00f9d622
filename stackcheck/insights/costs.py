"""A monthly cost estimate of a stack: what each component registered, priced from a table kept in the repository.

:func:`estimate` reads what the program registered (resource types and inputs: instance classes, Multi-AZ, storage,
task sizes and desired counts, node types and counts, alarms, log groups and their retention, canary schedules, web
ACL rules, keys, secrets, NAT gateways, load balancers, backup plans, ...) and prices it with the on-demand list prices
of ``stackcheck/prices.json``. Where the program says nothing about usage (traffic, data volumes, users), a named
constant below stands in, and every line that uses one says so next to its numbers.

It is pure and deterministic: the same resources give the same estimate, to the cent. Account-wide free tiers
(CloudWatch's 10 alarms and 3 dashboards, KMS's 20,000 requests, ...) are not applied, since other workloads share
them; per-resource allowances that come with a resource (RDS backup storage up to the allocated storage, one free
ElastiCache snapshot, 7 days of Performance Insights) are. The docker platform runs on a host of your own and is
estimated at zero. Resource types that cost nothing (or next to nothing) are listed as "not priced" with the reason,
so that nothing is dropped silently.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from components.settings import CLOUDFLARE_PLANS, PLAN_LIMITS
from stackcheck.engine.inventory import Inventory
from stackcheck.engine.resources import RecordedResource, is_secret

PRICES_PATH = Path(__file__).resolve().parents[1] / "prices.json"
#: Where a region's price is missing from the table, this region's price is used (and the estimate says so).
FALLBACK_REGION = "us-east-1"
CURRENCY = "USD"

# -- usage assumptions: what the program does not say ---------------------------------------------------------------
HOURS_PER_MONTH = 730
"""Hours in an average month (8,760 / 12), as AWS's own calculator counts them."""
DAYS_PER_MONTH = HOURS_PER_MONTH / 24
ALB_AVERAGE_LCUS = 1.0
"""Load balancer capacity units an ALB uses on average (new connections, active connections, bytes, rule checks)."""
NAT_GB_PER_GATEWAY = 100.0
"""GB a NAT gateway processes a month (image pulls, AWS APIs without endpoints, outbound calls)."""
LOG_GB_PER_GROUP = 10.0
"""GB a log group ingests a month; kept as long as its retention says."""
LOG_UNLIMITED_MONTHS = 12.0
"""Months of data counted for what is kept forever (logs, log buckets, backups): one year's worth."""
S3_DOCUMENTS_GB = 50.0
"""GB the documents bucket holds."""
S3_EXPORTS_GB = 50.0
"""GB of logical database dumps the exports bucket holds (the program makes the bucket, not the dumps)."""
S3_LOG_GB_PER_MONTH = 5.0
"""GB of access logs a log-sink bucket receives a month; kept until its lifecycle expires them."""
S3_OTHER_GB = 1.0
"""GB any other bucket holds (canary artifacts and the like)."""
S3_MONTHLY_WRITE_SHARE = 0.2
"""Share of a replicated bucket's data written (new or changed) in a month: what replication carries across regions."""
S3_GET_REQUESTS = 1_000_000
"""GET requests a month to the documents bucket."""
S3_PUT_REQUESTS = 100_000
"""PUT requests a month to the documents bucket."""
BACKUP_DAILY_CHANGE = 0.01
"""Share of a database's (or bucket's) data that changes a day: the size of each incremental backup."""
CACHE_DATA_SHARE = 0.5
"""Share of a cache node's memory holding data: the size of one snapshot."""
AMP_SAMPLES_PER_HOUR = 1_000_000
"""Samples a Prometheus workspace ingests an hour."""
AMP_BYTES_PER_SAMPLE = 2.0
"""Bytes a stored sample takes, compressed."""
AMP_RETENTION_DAYS = 150
"""Days Amazon Managed Service for Prometheus keeps samples (its default)."""
GRAFANA_EDITORS = 2
"""Active Grafana editors (or admins) a month."""
GRAFANA_VIEWERS = 3
"""Active Grafana viewers a month."""
WAF_REQUESTS_PER_MONTH = 10_000_000
"""Requests a web ACL inspects a month."""
KMS_REQUESTS_PER_KEY = 100_000
"""API requests a customer managed key serves a month (encrypt, decrypt, data keys)."""
ECR_GB_PER_REPOSITORY = 1.0
"""GB of images a repository keeps."""
SSM_STANDARD_MAX_BYTES = 4096
"""Largest value a standard-tier (free) SSM parameter holds."""

#: The usage constants above, in the order the estimate lists those it used.
USAGE_CONSTANTS = (
    "HOURS_PER_MONTH",
    "ALB_AVERAGE_LCUS",
    "NAT_GB_PER_GATEWAY",
    "LOG_GB_PER_GROUP",
    "LOG_UNLIMITED_MONTHS",
    "S3_DOCUMENTS_GB",
    "S3_EXPORTS_GB",
    "S3_LOG_GB_PER_MONTH",
    "S3_OTHER_GB",
    "S3_MONTHLY_WRITE_SHARE",
    "S3_GET_REQUESTS",
    "S3_PUT_REQUESTS",
    "BACKUP_DAILY_CHANGE",
    "CACHE_DATA_SHARE",
    "AMP_SAMPLES_PER_HOUR",
    "AMP_BYTES_PER_SAMPLE",
    "AMP_RETENTION_DAYS",
    "GRAFANA_EDITORS",
    "GRAFANA_VIEWERS",
    "WAF_REQUESTS_PER_MONTH",
    "KMS_REQUESTS_PER_KEY",
    "ECR_GB_PER_REPOSITORY",
)

DOCKER_ASSUMPTION = "runs on your own Docker host; the host's cost is not estimated"

#: Why a resource type has no price of its own. A type not listed here and not priced is reported as "not in the
#: price table" (the tests insist that every type the stacks register is one or the other).
NOT_PRICED: dict[str, str] = {
    "aws:acm/certificate:Certificate": "free: public ACM certificates cost nothing",
    "aws:acm/certificateValidation:CertificateValidation": "free: waits for validation, creates nothing billable",
    "aws:amp/alertManagerDefinition:AlertManagerDefinition": "negligible: rule and alert evaluation is billed as "
    "query samples processed (USD 0.10 per billion)",
    "aws:amp/ruleGroupNamespace:RuleGroupNamespace": "negligible: rule and alert evaluation is billed as query "
    "samples processed (USD 0.10 per billion)",
    "aws:appautoscaling/policy:Policy": "free",
    "aws:appautoscaling/target:Target": "free",
    "aws:backup/regionSettings:RegionSettings": "free: the region's AWS Backup opt-in, an account setting",
    "aws:backup/restoreTestingPlan:RestoreTestingPlan": "priced through its restore testing selections",
    "aws:backup/selection:Selection": "priced through the backup plan's lines (what it selects)",
    "aws:backup/vault:Vault": "free: the recovery points in it are priced under the backup plan",
    "aws:backup/vaultNotifications:VaultNotifications": "negligible: SNS notifications",
    "aws:backup/vaultPolicy:VaultPolicy": "free",
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration": "free",
    "aws:cloudwatch/eventRule:EventRule": "free: AWS service events delivered by EventBridge cost nothing",
    "aws:cloudwatch/eventTarget:EventTarget": "free",
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": "free: metric filters cost nothing (their metrics are "
    "covered by the alarms)",
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": "free",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "free",
    "aws:ec2/flowLog:FlowLog": "priced as the ingestion and storage of the log group it writes to",
    "aws:ec2/internetGateway:InternetGateway": "free (data transfer out is not estimated)",
    "aws:ec2/routeTable:RouteTable": "free",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "free",
    "aws:ec2/securityGroup:SecurityGroup": "free",
    "aws:ec2/subnet:Subnet": "free",
    "aws:ec2/vpc:Vpc": "free",
    "aws:ecs/cluster:Cluster": "free; Container Insights metrics are billed by CloudWatch per observation and "
    "depend on the task count: not estimated",
    "aws:ecs/taskDefinition:TaskDefinition": "priced through the services that run it",
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": "free: a repository setting (ECR bills image storage and data "
    "transfer only, https://aws.amazon.com/ecr/pricing/; its expirations bound the repository's storage line)",
    "aws:elasticache/parameterGroup:ParameterGroup": "free",
    "aws:elasticache/subnetGroup:SubnetGroup": "free",
    "aws:iam/role:Role": "free",
    "aws:iam/rolePolicy:RolePolicy": "free",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "free",
    "aws:kms/alias:Alias": "free",
    "aws:lambda/function:Function": "negligible: a few invocations a month, inside Lambda's free requests",
    "aws:lb/listener:Listener": "free: listeners' traffic is counted in the load balancer's LCUs",
    "aws:lb/listenerRule:ListenerRule": "free: rule evaluations are counted in the load balancer's LCUs",
    "aws:lb/targetGroup:TargetGroup": "free",
    "aws:rds/parameterGroup:ParameterGroup": "free",
    "aws:rds/subnetGroup:SubnetGroup": "free",
    "aws:route53/record:Record": "free: records of a hosted zone the stack does not create (the zone and its "
    "queries are billed to the zone's owner: USD 0.50 a month and USD 0.40 per million queries)",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "free: a bucket setting (its expirations "
    "shape the bucket's storage line)",
    "aws:s3/bucketLogging:BucketLogging": "free: a bucket setting (the logs are priced in the log bucket)",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "free: a bucket setting",
    "aws:s3/bucketPolicy:BucketPolicy": "free: a bucket setting",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "free: a bucket setting",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": "free: a bucket "
    "setting (KMS requests are priced with the keys)",
    "aws:s3/bucketVersioning:BucketVersioning": "free: a bucket setting (noncurrent versions are not estimated)",
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": "free: a bucket setting",
    "aws:secretsmanager/secretVersion:SecretVersion": "free: a version of a secret priced on its own",
    "aws:sns/topic:Topic": "negligible: the first million publishes and 1,000 email deliveries a month are free, "
    "and alerts are far fewer",
    "aws:sns/topicPolicy:TopicPolicy": "free",
    "aws:sns/topicSubscription:TopicSubscription": "negligible: email deliveries (1,000 a month free)",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "free",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "free",
    "aws:wafv2/webAclAssociation:WebAclAssociation": "free",
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": "priced as the ingestion and storage of the "
    "log group it writes to",
    "cloudflare:index/dnsRecord:DnsRecord": "included in the zone's Cloudflare plan",
    "cloudflare:index/ruleset:Ruleset": "included in the zone's Cloudflare plan",
    "cloudflare:index/zoneSetting:ZoneSetting": "included in the zone's Cloudflare plan",
    "cloudflare:index/authenticatedOriginPullsSettings:AuthenticatedOriginPullsSettings": "included in the zone's "
    "Cloudflare plan",
    "cloudflare:index/zeroTrustTunnelCloudflared:ZeroTrustTunnelCloudflared": "included: Cloudflare Tunnel is part of "
    "every plan",
    "cloudflare:index/zeroTrustTunnelCloudflaredConfig:ZeroTrustTunnelCloudflaredConfig": "included: a tunnel's "
    "configuration",
    "cloudflare:index/certificatePack:CertificatePack": "an Advanced Certificate Manager subscription for the zone "
    "(a paid add-on on every plan), not estimated",
    "command:local:Command": "runs on the machine that runs Pulumi: no cloud cost",
}
#: Reasons by type prefix, for whole providers that cost nothing in the cloud.
NOT_PRICED_PREFIXES: dict[str, str] = {
    "pulumi:providers:": "a provider: no cloud resource",
    "random:": "generated by Pulumi: no cloud resource",
    "tls:": "generated by Pulumi: no cloud resource",
    "docker:": DOCKER_ASSUMPTION,
}
UNKNOWN_REASON = "not in the price table"

#: Cloudflare's Free Managed Ruleset (the same id as ``components.cdn.FREE_MANAGED_RULESET``; not imported from
#: there, since components.cdn loads the Cloudflare SDK): any other managed ruleset needs a paid plan.
FREE_MANAGED_RULESET = "77454fe2d30c4220b5701f6fdfb893ba"

_HOURS = f"HOURS_PER_MONTH = {HOURS_PER_MONTH} h"


# -- the price table ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Price:
    """One entry of the price table, as used for one line."""

    key: str
    price: float
    unit: str
    source: str
    as_of: str
    region: str
    """The region the price is for (``"global"`` for Cloudflare)."""
    reason: str = ""
    """Why the price is 0, when it is."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Other facts the entry records (e.g. ``memory_gib`` of a cache node type)."""


class PriceTable:
    """``stackcheck/prices.json``: prices per region, plus global ones (Cloudflare)."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.note = str(document.get("note", ""))
        self.currency = str(document.get("currency", CURRENCY))
        self.regions: dict[str, dict[str, Mapping[str, Any]]] = {
            region: dict(entries) for region, entries in (document.get("regions") or {}).items()
        }
        self.globals: dict[str, Mapping[str, Any]] = dict(document.get("global") or {})

    @classmethod
    def load(cls, path: Path = PRICES_PATH) -> PriceTable:
        return cls(json.loads(path.read_text()))

    def entries(self) -> Iterable[tuple[str, str, Mapping[str, Any]]]:
        """Every entry as (region or ``"global"``, key, entry)."""
        for region, entries in sorted(self.regions.items()):
            for key, entry in sorted(entries.items()):
                yield region, key, entry
        for key, entry in sorted(self.globals.items()):
            yield "global", key, entry

    def as_of(self) -> str:
        """The month of the prices (a range when they differ)."""
        months = sorted({str(entry.get("as_of", "")) for _, _, entry in self.entries()})
        return months[0] if len(months) == 1 else f"{months[0]} to {months[-1]}" if months else ""

    def lookup(self, key: str, region: str) -> tuple[Price | None, str]:
        """The price of ``key`` in ``region`` (global keys have no region) and, when the region had to fall back to
        :data:`FALLBACK_REGION`, a note saying so."""
        if key in self.globals:
            return _price(key, self.globals[key], "global"), ""
        if key in self.regions.get(region, {}):
            return _price(key, self.regions[region][key], region), ""
        if key in self.regions.get(FALLBACK_REGION, {}):
            note = f"no {region} price for {key} in the table: the {FALLBACK_REGION} price is used"
            return _price(key, self.regions[FALLBACK_REGION][key], FALLBACK_REGION), note
        return None, f"no price for {key} in the table: counted as 0"


def _price(key: str, entry: Mapping[str, Any], region: str) -> Price:
    known = {"price", "unit", "source", "as_of", "reason"}
    return Price(
        key=key,
        price=float(entry["price"]),
        unit=str(entry["unit"]),
        source=str(entry["source"]),
        as_of=str(entry["as_of"]),
        region=region,
        reason=str(entry.get("reason", "")),
        extra={k: v for k, v in entry.items() if k not in known},
    )


@cache
def default_prices() -> PriceTable:
    """The repository's price table (read once)."""
    return PriceTable.load()


# -- the estimate ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CostLine:
    """One priced item of a component: ``quantity`` ``unit`` at ``unit_price`` a unit, ``monthly`` in total."""

    item: str
    quantity: float
    unit: str
    unit_price: float
    monthly: float
    """Rounded to cents."""
    assumption: str
    """The usage assumptions behind the quantity (constant names and values), or ""."""
    source: str
    """The pricing page the unit price comes from."""
    resource_type: str
    """The resource type the line prices."""
    region: str


@dataclass(frozen=True)
class NotPriced:
    """Resources of one type a component registered that have no price of their own, and why."""

    type: str
    count: int
    reason: str


@dataclass
class ComponentCost:
    """One top-level component (named as :class:`stackcheck.engine.inventory.Inventory` groups it) and its priced
    lines."""

    name: str
    lines: list[CostLine] = field(default_factory=list)
    not_priced: list[NotPriced] = field(default_factory=list)

    @property
    def monthly(self) -> float:
        return _cents(sum(line.monthly for line in self.lines))


@dataclass
class CostEstimate:
    """The monthly estimate of one stack."""

    stack: str
    components: list[ComponentCost]
    assumptions: list[str]
    currency: str = CURRENCY
    region: str = FALLBACK_REGION
    prices_note: str = ""
    prices_as_of: str = ""
    price_sources: list[str] = field(default_factory=list)
    """The pricing pages the lines' prices come from."""

    @property
    def total(self) -> float:
        return _cents(sum(component.monthly for component in self.components))

    def largest_lines(self, count: int | None = None) -> list[tuple[str, CostLine]]:
        """The ``count`` most expensive lines (all by default), with their components' names."""
        pairs = [(c.name, line) for c in self.components for line in c.lines]
        return sorted(pairs, key=lambda pair: (-pair[1].monthly, pair[0], pair[1].item))[:count]

    @property
    def priced_types(self) -> set[str]:
        return {line.resource_type for component in self.components for line in component.lines}

    @property
    def not_priced(self) -> list[NotPriced]:
        """Not-priced resources over all components, by type."""
        counts: Counter[tuple[str, str]] = Counter()
        for component in self.components:
            for entry in component.not_priced:
                counts[(entry.type, entry.reason)] += entry.count
        return [NotPriced(type_, count, reason) for (type_, reason), count in sorted(counts.items())]

    def to_json(self) -> dict[str, Any]:
        """The estimate as JSON-ready data; money rounded to cents."""
        return {
            "stack": self.stack,
            "currency": self.currency,
            "region": self.region,
            "total": self.total,
            "components": [
                {
                    "name": c.name,
                    "monthly": c.monthly,
                    "lines": [
                        {
                            "item": line.item,
                            "quantity": _quantity(line.quantity),
                            "unit": line.unit,
                            "unitPrice": round(line.unit_price, 6),
                            "monthly": line.monthly,
                            "assumption": line.assumption,
                            "source": line.source,
                            "region": line.region,
                            "resourceType": line.resource_type,
                        }
                        for line in c.lines
                    ],
                    "notPriced": [{"type": n.type, "count": n.count, "reason": n.reason} for n in c.not_priced],
                }
                for c in self.components
            ],
            "notPriced": [{"type": n.type, "count": n.count, "reason": n.reason} for n in self.not_priced],
            "assumptions": list(self.assumptions),
            "prices": {
                "table": "stackcheck/prices.json",
                "asOf": self.prices_as_of,
                "note": self.prices_note,
                "sources": list(self.price_sources),
            },
        }

    def text(self) -> list[str]:
        """A short table for the text report: per component and total, then the assumptions."""
        lines = [
            f"{self.currency} a month at {self.region} on-demand list prices as of {self.prices_as_of} "
            "(not re-checked live)"
            if self.region
            else f"{self.currency} a month: nothing runs in a cloud"
        ]
        width = max([len(c.name) for c in self.components] + [len("total")])
        lines += [f"  {c.name:<{width}}  {_money(c.monthly):>12}" for c in self.components]
        lines.append(f"  {'total':<{width}}  {_money(self.total):>12}")
        if self.assumptions:
            lines.append("Assumptions")
            lines += [f"  - {assumption}" for assumption in self.assumptions]
        return lines

    def markdown(self) -> str:
        """``## Monthly cost estimate``: the total, a table per component with the assumptions next to the numbers,
        what is not priced, the assumptions, and the price table's source and month."""
        out = [
            "## Monthly cost estimate",
            "",
            f"Stack `{self.stack}`: **{self.currency} {_money(self.total)}** a month, at on-demand list prices "
            f"({self.region}; price table as of {self.prices_as_of}, not re-checked live)."
            if self.region
            else f"Stack `{self.stack}`: **{self.currency} {_money(self.total)}** a month: nothing runs in a cloud.",
            "",
            f"| Component | Monthly ({self.currency}) |",
            "| --- | ---: |",
        ]
        out += [f"| {_md(c.name)} | {_money(c.monthly)} |" for c in self.components]
        out += [f"| **Total** | **{_money(self.total)}** |", ""]
        for c in self.components:
            if not c.lines:
                continue
            out += [
                f"### {_md(c.name)}: {self.currency} {_money(c.monthly)}",
                "",
                "| Item | Quantity | Unit | Unit price | Monthly | Assumption | Price source |",
                "| --- | ---: | --- | ---: | ---: | --- | --- |",
            ]
            out += [
                f"| {_md(line.item)} | {_number(line.quantity)} | {_md(line.unit)} | {_unit_price(line.unit_price)} "
                f"| {_money(line.monthly)} | {_md(line.assumption)} | {line.source} |"
                for line in c.lines
            ]
            out.append("")
        if self.not_priced:
            out += ["### Not priced", "", "| Type | Count | Why |", "| --- | ---: | --- |"]
            out += [f"| `{n.type}` | {n.count} | {_md(n.reason)} |" for n in self.not_priced]
            out.append("")
        if self.assumptions:
            out += ["### Assumptions", ""]
            out += [f"- {_md(assumption)}" for assumption in self.assumptions]
            out.append("")
        if self.price_sources:
            out += [
                "### Prices",
                "",
                f"From `stackcheck/prices.json`, as of {self.prices_as_of}. {self.prices_note}",
                "",
                "Sources: " + ", ".join(self.price_sources) + ".",
                "",
            ]
        return "\n".join(out)


def estimate(resources: Sequence[RecordedResource], stack: str, prices: PriceTable | None = None) -> CostEstimate:
    """The monthly cost of what ``resources`` register, per top-level component and in total."""
    return _Estimator(resources, stack, prices or default_prices()).run()


# -- how each type is priced ----------------------------------------------------------------------------------------
class _Estimator:
    def __init__(self, resources: Sequence[RecordedResource], stack: str, prices: PriceTable) -> None:
        self.stack = stack
        self.prices = prices
        self.resources = list(resources)
        inventory = Inventory.of(self.resources)
        self.by_urn = inventory.by_urn
        self.groups = inventory.groups
        self.tops = inventory.components
        self.constants: dict[str, str] = {}
        """The usage constants the lines used, by name."""
        self.notes: list[str] = []
        """Everything else the estimate assumed or left out."""
        self.provider_regions = {
            r.urn: str(_get(r, "region"))
            for r in self.resources
            if r.type == "pulumi:providers:aws" and _get(r, "region")
        }
        self.region = self._primary_region()

    # -- driver ---------------------------------------------------------------------------------------------------
    def run(self) -> CostEstimate:
        handlers: dict[str, Callable[[list[RecordedResource]], list[CostLine]]] = {
            "aws:lb/loadBalancer:LoadBalancer": self._load_balancers,
            "aws:ec2/natGateway:NatGateway": self._nat_gateways,
            "aws:ec2/eip:Eip": self._elastic_ips,
            "aws:ecs/service:Service": self._services,
            "aws:rds/instance:Instance": self._rds_instances,
            "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication": self._rds_replication,
            "aws:elasticache/replicationGroup:ReplicationGroup": self._caches,
            "aws:s3/bucket:Bucket": self._buckets,
            "aws:s3/bucketReplicationConfig:BucketReplicationConfig": self._bucket_replication,
            "aws:backup/plan:Plan": self._backup_plans,
            "aws:backup/restoreTestingSelection:RestoreTestingSelection": self._restore_tests,
            "aws:cloudwatch/metricAlarm:MetricAlarm": self._alarms,
            "aws:cloudwatch/compositeAlarm:CompositeAlarm": self._composite_alarms,
            "aws:cloudwatch/dashboard:Dashboard": self._dashboards,
            "aws:cloudwatch/logGroup:LogGroup": self._log_groups,
            "aws:synthetics/canary:Canary": self._canaries,
            "aws:amp/workspace:Workspace": self._prometheus,
            "aws:grafana/workspace:Workspace": self._grafana,
            "aws:wafv2/webAcl:WebAcl": self._web_acls,
            "aws:kms/key:Key": self._keys,
            "aws:secretsmanager/secret:Secret": self._secrets,
            "aws:ssm/parameter:Parameter": self._parameters,
            "aws:ecr/repository:Repository": self._repositories,
        }
        components = []
        for name, members in self.groups.items():
            component = ComponentCost(name)
            by_type: dict[str, list[RecordedResource]] = {}
            for member in sorted(members, key=lambda r: r.urn):
                by_type.setdefault(member.type, []).append(member)
            lines: list[CostLine] = []
            for type_, handler in handlers.items():
                if type_ in by_type:
                    lines += handler(by_type[type_])
            lines += self._cloudflare(name, members)
            component.lines = _merge(lines)
            priced = {line.resource_type for line in component.lines}
            component.not_priced = [
                NotPriced(type_, len(of_type), _not_priced_reason(type_))
                for type_, of_type in sorted(by_type.items())
                if (of_type[0].custom or type_.startswith("pulumi:providers:")) and type_ not in priced
            ]
            components.append(component)
        if not any(r.type.startswith("aws:") or r.type.startswith("cloudflare:") for r in self.resources) and any(
            r.type.startswith("docker:") for r in self.resources
        ):
            self._note(DOCKER_ASSUMPTION)
        self._general_notes()
        constants = [self.constants[name] for name in USAGE_CONSTANTS if name in self.constants]
        return CostEstimate(
            stack=self.stack,
            components=components,
            assumptions=constants + self.notes,
            currency=self.prices.currency,
            region=self.region,
            prices_note=self.prices.note,
            prices_as_of=self.prices.as_of(),
            price_sources=sorted({line.source for c in components for line in c.lines if line.source}),
        )

    def _general_notes(self) -> None:
        types = {r.type for r in self.resources}
        if not any(t.startswith("aws:") for t in types):
            return
        self._assume("HOURS_PER_MONTH", HOURS_PER_MONTH, "hours in a month: everything runs all month")
        self._note(
            "On-demand list prices; no reserved instances, savings plans or account-wide free tiers (CloudWatch "
            "alarms and dashboards, KMS requests, ...: other workloads share them)"
        )
        self._note(
            "Data transfer out to the internet and between availability zones depends on traffic and is not "
            "estimated; nor are taxes or AWS support plans"
        )
        if "aws:rds/instance:Instance" in types:
            self._note(
                "RDS Enhanced Monitoring metrics and the log exports go to CloudWatch log groups that RDS creates "
                "itself: not estimated"
            )
        if "aws:ecs/service:Service" in types:
            self._note(
                "Fargate services run their desiredCount all month; scaling out above it is not estimated; the "
                "first 20 GB of ephemeral storage per task is free"
            )

    # -- helpers ----------------------------------------------------------------------------------------------------
    def _primary_region(self) -> str:
        counts: Counter[str] = Counter()
        for r in self.resources:
            if r.type.startswith("aws:"):
                counts[self.provider_regions.get(r.provider_urn, "")] += 1
        regions = sorted((n, region) for region, n in counts.items() if region)
        if regions:
            return max(regions)[1]
        if counts:
            self._note(f"the stack's AWS region is not recorded: {FALLBACK_REGION} prices are used")
            return FALLBACK_REGION
        return ""

    def _region(self, r: RecordedResource) -> str:
        return self.provider_regions.get(r.provider_urn, self.region or FALLBACK_REGION)

    def _note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def _assume(self, name: str, value: float, meaning: str) -> str:
        """``NAME = value meaning``, also listed once among the estimate's assumptions."""
        text = f"{name} = {_number(value)} {meaning}"
        self.constants[name] = text
        return text

    def _forever(self) -> str:
        """What is counted for data kept forever."""
        return self._assume("LOG_UNLIMITED_MONTHS", LOG_UNLIMITED_MONTHS, "months counted for data kept forever")

    def _line(
        self,
        r: RecordedResource | str,
        item: str,
        quantity: float,
        key: str,
        assumption: str = "",
        region: str | None = None,
        factor: float = 1.0,
        unit: str | None = None,
    ) -> CostLine:
        """A line of ``quantity`` units of price ``key`` (times ``factor``, e.g. 2 for Multi-AZ)."""
        type_ = r if isinstance(r, str) else r.type
        where = region or (self.region if isinstance(r, str) else self._region(r)) or FALLBACK_REGION
        price, note = self.prices.lookup(key, where)
        notes = [assumption] if assumption else []
        if note:
            self._note(note)
            notes.append(note)
        unit_price = (price.price if price else 0.0) * factor
        return CostLine(
            item=item if where == self.region or price is None or price.region == "global" else f"{item} ({where})",
            quantity=quantity,
            unit=unit or (price.unit if price else "unit"),
            unit_price=unit_price,
            monthly=_cents(quantity * unit_price),
            assumption="; ".join(notes),
            source=price.source if price else "",
            resource_type=type_,
            region=where if price is None or price.region != "global" else "global",
        )

    def _find(self, r: RecordedResource, prop: str, type_: str) -> RecordedResource | None:
        """The resource of ``type_`` that ``r``'s property ``prop`` depends on."""
        for urn in r.property_dependencies.get(prop, []):
            target = self.by_urn.get(urn)
            if target is not None and target.type == type_:
                return target
        return None

    def _rds_by_reference(self, reference: Any) -> RecordedResource | None:
        """The RDS instance an identifier or ARN names."""
        text = str(reference or "")
        if not text:
            return None
        for r in self.resources:
            if r.type != "aws:rds/instance:Instance":
                continue
            names = {str(_get(r, "identifier") or ""), r.id}
            arn = str(r.outputs.get("arn") or "")
            if text in names or (arn and text == arn) or any(n and text.endswith(f":db:{n}") for n in names):
                return r
        return None

    def _bucket_by_reference(self, reference: Any) -> RecordedResource | None:
        """The S3 bucket a name or ARN names."""
        text = str(reference or "")
        name = text.rsplit(":::", 1)[-1]
        for r in self.resources:
            if r.type == "aws:s3/bucket:Bucket" and name and name in {str(_get(r, "bucket") or ""), r.id}:
                return r
        return None

    def _source_storage(self, instance: RecordedResource) -> tuple[float, RecordedResource]:
        """Allocated GB of an RDS instance (a read replica's is its source's), and the instance that says so."""
        allocated = _num(_get(instance, "allocatedStorage"))
        if allocated is not None:
            return allocated, instance
        source = self._find(instance, "replicateSourceDb", instance.type) or self._rds_by_reference(
            _get(instance, "replicateSourceDb")
        )
        if source is not None and source is not instance:
            return self._source_storage(source)
        return 0.0, instance

    def _bucket_gb(self, bucket: RecordedResource) -> tuple[float, str, str]:
        """GB a bucket holds, its storage class and the assumption behind the size."""
        role = str((_get(bucket, "tags") or {}).get("webstack:role", ""))
        if role == "documents":
            return S3_DOCUMENTS_GB, "STANDARD", self._assume("S3_DOCUMENTS_GB", S3_DOCUMENTS_GB, "GB of documents")
        if role == "backups":
            return (
                S3_EXPORTS_GB,
                "STANDARD",
                self._assume("S3_EXPORTS_GB", S3_EXPORTS_GB, "GB of logical dumps (all counted as S3 Standard)"),
            )
        if role == "log-sink":
            days = self._expiration_days(bucket)
            months = days / DAYS_PER_MONTH if days else LOG_UNLIMITED_MONTHS
            kept = f"kept {days:g} days" if days else self._forever()
            return (
                S3_LOG_GB_PER_MONTH * months,
                "STANDARD",
                (
                    self._assume("S3_LOG_GB_PER_MONTH", S3_LOG_GB_PER_MONTH, "GB of access logs a month per log bucket")
                    + f"; {kept}"
                ),
            )
        if role == "replica":
            for config in self.resources:
                if config.type != "aws:s3/bucketReplicationConfig:BucketReplicationConfig":
                    continue
                for rule in _get(config, "rules") or []:
                    destination = rule.get("destination") or {}
                    if self._bucket_by_reference(destination.get("bucket")) is bucket:
                        source = self._find(config, "bucket", bucket.type) or self._bucket_by_reference(
                            _get(config, "bucket")
                        )
                        if source is not None:
                            gb, _, why = self._bucket_gb(source)
                            return gb, str(destination.get("storageClass") or "STANDARD"), f"a replica of {why}"
            return S3_OTHER_GB, "STANDARD", self._assume("S3_OTHER_GB", S3_OTHER_GB, "GB in any other bucket")
        return S3_OTHER_GB, "STANDARD", self._assume("S3_OTHER_GB", S3_OTHER_GB, "GB in any other bucket")

    def _expiration_days(self, bucket: RecordedResource) -> float:
        """The longest expiration the bucket's lifecycle sets (0: objects never expire)."""
        days = 0.0
        for config in self.resources:
            if config.type != "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration":
                continue
            target = self._find(config, "bucket", bucket.type) or self._bucket_by_reference(_get(config, "bucket"))
            if target is not bucket:
                continue
            for rule in _get(config, "rules") or []:
                if rule.get("status", "Enabled") == "Enabled":
                    days = max(days, _num((rule.get("expiration") or {}).get("days")) or 0.0)
        return days

    # -- network and edge -------------------------------------------------------------------------------------------
    def _load_balancers(self, members: list[RecordedResource]) -> list[CostLine]:
        lines = []
        for r in members:
            kind = str(_get(r, "loadBalancerType") or "application")
            if kind != "application":
                self._note(f"{r.name}: {kind} load balancers are not in the price table: counted as 0")
                continue
            lines.append(self._line(r, "Application Load Balancer", HOURS_PER_MONTH, "elb.alb.hour", _HOURS))
            lines.append(
                self._line(
                    r,
                    "ALB load balancer capacity units",
                    ALB_AVERAGE_LCUS * HOURS_PER_MONTH,
                    "elb.alb.lcu_hour",
                    self._assume("ALB_AVERAGE_LCUS", ALB_AVERAGE_LCUS, "LCU on average, all month"),
                )
            )
            if not _get(r, "internal"):
                zones = len(_get(r, "subnets") or _get(r, "subnetMappings") or []) or 1
                lines.append(
                    self._line(
                        r,
                        "public IPv4 addresses of the ALB",
                        zones * HOURS_PER_MONTH,
                        "vpc.public_ipv4.hour",
                        f"one address per subnet ({zones}); {_HOURS}",
                    )
                )
        return lines

    def _nat_gateways(self, members: list[RecordedResource]) -> list[CostLine]:
        count = len(members)
        r = members[0]
        gb = self._assume("NAT_GB_PER_GATEWAY", NAT_GB_PER_GATEWAY, "GB processed a month per NAT gateway")
        return [
            self._line(r, f"NAT gateways ({count})", count * HOURS_PER_MONTH, "vpc.nat.hour", _HOURS),
            self._line(r, "NAT gateway data processed", count * NAT_GB_PER_GATEWAY, "vpc.nat.gb", gb),
        ]

    def _elastic_ips(self, members: list[RecordedResource]) -> list[CostLine]:
        count = len(members)
        return [
            self._line(
                members[0],
                f"Elastic IP addresses ({count})",
                count * HOURS_PER_MONTH,
                "vpc.public_ipv4.hour",
                f"every public IPv4 address is billed, attached or not; {_HOURS}",
            )
        ]

    def _web_acls(self, members: list[RecordedResource]) -> list[CostLine]:
        lines = []
        for r in members:
            rules = _get(r, "rules") or []
            paid = [
                str(((rule.get("statement") or {}).get("managedRuleGroupStatement") or {}).get("name", ""))
                for rule in rules
            ]
            for name in paid:
                if any(word in name for word in ("BotControl", "ATP", "ACFP", "AntiDDoS")):
                    self._note(f"the WAF rule group {name} has its own subscription and request fees: not estimated")
            requests = self._assume(
                "WAF_REQUESTS_PER_MONTH", WAF_REQUESTS_PER_MONTH, "requests inspected a month per web ACL"
            )
            lines += [
                self._line(r, "WAF web ACL", 1, "waf.web_acl.month"),
                self._line(r, f"WAF rules ({len(rules)})", len(rules), "waf.rule.month", "as registered"),
                self._line(r, "WAF requests", WAF_REQUESTS_PER_MONTH / 1e6, "waf.requests.per_million", requests),
            ]
        return lines

    def _cloudflare(self, name: str, members: list[RecordedResource]) -> list[CostLine]:
        """The Cloudflare plan of each zone a component manages."""
        zones = sorted(
            {str(_get(r, "zoneId")) for r in members if r.type.startswith("cloudflare:") and _get(r, "zoneId")}
        )
        top = self.tops.get(name)
        lines = []
        for zone in zones:
            in_zone = [r for r in members if r.type.startswith("cloudflare:") and str(_get(r, "zoneId")) == zone]
            declared = _get(top, "plan") if top is not None else None
            if declared in CLOUDFLARE_PLANS:
                plan, why = str(declared), "the plan the Cdn component records"
            else:
                plan, why = _infer_plan(in_zone)
                self._note(f"Cloudflare zone {zone}: {why}")
            price, _ = self.prices.lookup(f"cloudflare.plan.{plan}", "global")
            if price is not None and price.reason:
                why = f"{why}; {price.reason}"
            resource_type = top.type if top is not None else in_zone[0].type
            lines.append(
                self._line(resource_type, f"Cloudflare {plan} plan, zone {zone}", 1, f"cloudflare.plan.{plan}", why)
            )
        return lines

    # -- compute ----------------------------------------------------------------------------------------------------
    def _services(self, members: list[RecordedResource]) -> list[CostLine]:
        lines = []
        for r in members:
            launch = str(_get(r, "launchType") or "FARGATE")
            if launch != "FARGATE":
                self._note(f"{r.name}: {launch} launch type is not priced (its instances would be)")
                continue
            task = self._find(r, "taskDefinition", "aws:ecs/taskDefinition:TaskDefinition") or self._task_by_arn(
                _get(r, "taskDefinition")
            )
            if task is None:
                self._note(f"{r.name}: its task definition is not among the resources: not priced")
                continue
            vcpu = (_num(_get(task, "cpu")) or 0.0) / 1024
            memory = (_num(_get(task, "memory")) or 0.0) / 1024
            platform = _get(task, "runtimePlatform") or {}
            arch = str(platform.get("cpuArchitecture") or "X86_64").lower()
            os_family = str(platform.get("operatingSystemFamily") or "LINUX")
            if os_family != "LINUX":
                self._note(f"{r.name}: Fargate on {os_family} is not in the price table: counted as 0")
            count = _num(_get(r, "desiredCount")) or 0.0
            running = f"desiredCount = {_number(count)} tasks all month; {_HOURS}"
            label = f"{r.name}: {_number(count)} x {_number(vcpu)} vCPU / {_number(memory)} GB, Linux/{arch}"
            lines += [
                self._line(
                    r,
                    f"Fargate vCPU, {label}",
                    count * vcpu * HOURS_PER_MONTH,
                    f"fargate.linux.{arch}.vcpu_hour",
                    running,
                ),
                self._line(
                    r,
                    f"Fargate memory, {label}",
                    count * memory * HOURS_PER_MONTH,
                    f"fargate.linux.{arch}.gb_hour",
                    running,
                ),
            ]
        return lines

    def _task_by_arn(self, arn: Any) -> RecordedResource | None:
        match = re.search(r"task-definition/([^:/]+)", str(arn or ""))
        for r in self.resources:
            if r.type == "aws:ecs/taskDefinition:TaskDefinition" and match and _get(r, "family") == match.group(1):
                return r
        return None

    def _repositories(self, members: list[RecordedResource]) -> list[CostLine]:
        gb = self._assume("ECR_GB_PER_REPOSITORY", ECR_GB_PER_REPOSITORY, "GB of images per repository")
        count = len(members)
        return [
            self._line(
                members[0],
                f"ECR image storage ({count} repositories)",
                count * ECR_GB_PER_REPOSITORY,
                "ecr.storage.gb_month",
                gb,
            )
        ]

    # -- data -------------------------------------------------------------------------------------------------------
    def _rds_instances(self, members: list[RecordedResource]) -> list[CostLine]:
        lines = []
        for r in members:
            allocated, source = self._source_storage(r)
            replica = source is not r or bool(_get(r, "replicateSourceDb"))
            engine = str(_get(r, "engine") or _get(source, "engine") or "postgres")
            engine = (
                "postgres" if engine.startswith("postgres") else "mysql" if engine in ("mysql", "mariadb") else engine
            )
            if engine not in ("postgres", "mysql"):
                self._note(f"{r.name}: the {engine} engine is not in the price table: counted as 0")
            instance_class = str(_get(r, "instanceClass") or "")
            multi_az = bool(_get(r, "multiAz"))
            deployment = "Multi-AZ" if multi_az else "Single-AZ"
            role = " read replica" if replica else ""
            factor = 2.0 if multi_az else 1.0
            doubling = "Multi-AZ: twice the Single-AZ price (one standby); " if multi_az else ""
            lines.append(
                self._line(
                    r,
                    f"RDS {engine} {instance_class}, {deployment}{role}",
                    HOURS_PER_MONTH,
                    f"rds.{engine}.{instance_class}.hour",
                    f"{doubling}{_HOURS}",
                    factor=factor,
                    unit="instance-hour",
                )
            )
            storage_type = str(_get(r, "storageType") or _get(source, "storageType") or "gp2")
            if _num(_get(r, "iops")) or _num(_get(r, "storageThroughput")):
                self._note(f"{r.name}: provisioned IOPS or throughput above the gp3 baseline is not priced")
            size = f"allocatedStorage = {_number(allocated)} GB" + (" (its source's)" if source is not r else "")
            lines.append(
                self._line(
                    r,
                    f"RDS {storage_type} storage, {deployment}{role}",
                    allocated,
                    f"rds.{storage_type}.gb_month",
                    f"{doubling}{size}; storage autoscaling not estimated",
                    factor=factor,
                    unit="GB-month",
                )
            )
            retention = _num(_get(r, "backupRetentionPeriod")) or 0.0
            if not replica and retention > 0:
                change = self._assume(
                    "BACKUP_DAILY_CHANGE", BACKUP_DAILY_CHANGE, "of the data changes a day (incremental backups)"
                )
                lines.append(
                    self._line(
                        r,
                        "RDS automated backups beyond the free allowance",
                        allocated * BACKUP_DAILY_CHANGE * retention,
                        "rds.backup.gb_month",
                        f"backups = allocated x (1 + {BACKUP_DAILY_CHANGE:g} x {retention:g} days); the first 100% of "
                        f"allocated storage is free; {change}",
                        unit="GB-month",
                    )
                )
            if _get(r, "performanceInsightsEnabled"):
                days = _num(_get(r, "performanceInsightsRetentionPeriod")) or 7.0
                if days > 7:
                    self._note(f"{r.name}: Performance Insights kept {days:g} days is billed and not estimated")
                lines.append(
                    self._line(
                        r,
                        "Performance Insights, 7 days of history",
                        1,
                        "rds.performance_insights.free_tier",
                        "free tier: 7 days of history" + ("" if days <= 7 else f" (kept {days:g}: not estimated)"),
                        unit="instance-month",
                    )
                )
            if _get(r, "manageMasterUserPassword"):
                lines.append(
                    self._line(
                        r,
                        "Secrets Manager secret of the RDS-managed master password",
                        1,
                        "secretsmanager.secret.month",
                        "manageMasterUserPassword: RDS keeps the password in Secrets Manager",
                    )
                )
        return lines

    def _rds_replication(self, members: list[RecordedResource]) -> list[CostLine]:
        lines = []
        for r in members:
            source = self._find(r, "sourceDbInstanceArn", "aws:rds/instance:Instance") or self._rds_by_reference(
                _get(r, "sourceDbInstanceArn")
            )
            if source is None:
                self._note(f"{r.name}: the replicated database is not among the resources: not priced")
                continue
            allocated, _ = self._source_storage(source)
            retention = _num(_get(r, "retentionPeriod")) or 7.0
            change = self._assume(
                "BACKUP_DAILY_CHANGE", BACKUP_DAILY_CHANGE, "of the data changes a day (incremental backups)"
            )
            lines += [
                self._line(
                    r,
                    "RDS automated backups replicated to the DR region",
                    allocated * (1 + BACKUP_DAILY_CHANGE * retention),
                    "rds.backup.gb_month",
                    f"allocated x (1 + {BACKUP_DAILY_CHANGE:g} x {retention:g} days); no free allowance in the "
                    f"destination region; {change}",
                    unit="GB-month",
                ),
                self._line(
                    r,
                    "cross-region transfer of replicated RDS backups",
                    allocated * BACKUP_DAILY_CHANGE * DAYS_PER_MONTH,
                    "transfer.inter_region.gb",
                    f"a month of changed data; the first full copy is not counted; {change}",
                    region=self._region(source),
                    unit="GB",
                ),
            ]
        return lines

    def _caches(self, members: list[RecordedResource]) -> list[CostLine]:
        lines = []
        for r in members:
            node_type = str(_get(r, "nodeType") or "")
            engine = str(_get(r, "engine") or "redis")
            groups = _num(_get(r, "numNodeGroups"))
            if _num(_get(r, "numCacheClusters")):
                nodes, shards = _num(_get(r, "numCacheClusters")) or 1.0, 1.0
            elif groups:
                nodes, shards = groups * (1 + (_num(_get(r, "replicasPerNodeGroup")) or 0.0)), groups
            else:
                nodes, shards = 1.0, 1.0
            key = f"elasticache.{engine}.{node_type}.hour"
            lines.append(
                self._line(
                    r,
                    f"ElastiCache {engine} {node_type} nodes ({_number(nodes)})",
                    nodes * HOURS_PER_MONTH,
                    key,
                    _HOURS,
                )
            )
            snapshots = _num(_get(r, "snapshotRetentionLimit")) or 0.0
            price, _ = self.prices.lookup(key, self._region(r))
            memory = _num(price.extra.get("memory_gib")) if price else None
            if snapshots > 1 and memory:
                share = self._assume("CACHE_DATA_SHARE", CACHE_DATA_SHARE, "of a node's memory holds data")
                lines.append(
                    self._line(
                        r,
                        "ElastiCache snapshots beyond the free one",
                        (snapshots - 1) * shards * memory * CACHE_DATA_SHARE,
                        "elasticache.backup.gb_month",
                        f"{snapshots - 1:g} more daily snapshots x {_number(shards)} shard(s) x {memory:g} GiB x "
                        f"{CACHE_DATA_SHARE:g}; {share}",
                        unit="GB-month",
                    )
                )
        return lines

    def _buckets(self, members: list[RecordedResource]) -> list[CostLine]:
        lines = []
        for r in members:
            gb, storage_class, why = self._bucket_gb(r)
            key = "s3.standard_ia.gb_month" if storage_class == "STANDARD_IA" else "s3.standard.gb_month"
            if storage_class not in ("STANDARD", "STANDARD_IA"):
                self._note(f"{r.name}: {storage_class} storage is priced as S3 Standard")
            label = "Standard-IA" if storage_class == "STANDARD_IA" else "Standard"
            lines.append(self._line(r, f"S3 {label} storage, {r.name}", gb, key, why, unit="GB-month"))
            if str((_get(r, "tags") or {}).get("webstack:role", "")) == "documents":
                gets = self._assume("S3_GET_REQUESTS", S3_GET_REQUESTS, "GET requests a month to the documents")
                puts = self._assume("S3_PUT_REQUESTS", S3_PUT_REQUESTS, "PUT requests a month to the documents")
                lines += [
                    self._line(r, f"S3 GET requests, {r.name}", S3_GET_REQUESTS / 1000, "s3.get.per_1000", gets),
                    self._line(r, f"S3 PUT requests, {r.name}", S3_PUT_REQUESTS / 1000, "s3.put.per_1000", puts),
                ]
        return lines

    def _bucket_replication(self, members: list[RecordedResource]) -> list[CostLine]:
        lines = []
        for r in members:
            source = self._find(r, "bucket", "aws:s3/bucket:Bucket") or self._bucket_by_reference(_get(r, "bucket"))
            if source is None:
                continue
            gb, _, _ = self._bucket_gb(source)
            for rule in _get(r, "rules") or []:
                destination = self._bucket_by_reference((rule.get("destination") or {}).get("bucket"))
                if destination is None or self._region(destination) == self._region(source):
                    continue
                share = self._assume(
                    "S3_MONTHLY_WRITE_SHARE", S3_MONTHLY_WRITE_SHARE, "of a replicated bucket is written each month"
                )
                lines.append(
                    self._line(
                        r,
                        f"S3 replication to {self._region(destination)}, {source.name}",
                        gb * S3_MONTHLY_WRITE_SHARE,
                        "transfer.inter_region.gb",
                        f"{_number(gb)} GB x {S3_MONTHLY_WRITE_SHARE:g}; {share}",
                        region=self._region(source),
                        unit="GB",
                    )
                )
        return lines

    # -- backups ----------------------------------------------------------------------------------------------------
    def _backup_plans(self, members: list[RecordedResource]) -> list[CostLine]:
        lines = []
        plans = [r for r in self.resources if r.type == "aws:backup/plan:Plan"]
        for plan in members:
            sources: list[tuple[str, float, RecordedResource]] = []
            for selection in self.resources:
                if selection.type != "aws:backup/selection:Selection":
                    continue
                owner = self._find(selection, "planId", plan.type)
                if owner is not plan and not (owner is None and len(plans) == 1):
                    continue
                for arn in _get(selection, "resources") or []:
                    instance = self._rds_by_reference(arn)
                    bucket = None if instance else self._bucket_by_reference(arn)
                    if instance is not None:
                        sources.append(("rds", self._source_storage(instance)[0], instance))
                    elif bucket is not None and str(arn).startswith("arn:aws:s3"):
                        sources.append(("s3", self._bucket_gb(bucket)[0], bucket))
                    else:
                        self._note(f"backup selection {selection.name}: {arn} is not priced")
                if _get(selection, "selectionTags") or _get(selection, "conditions"):
                    self._note(f"backup selection {selection.name}: resources selected by tag are not priced")
            if not sources:
                continue
            home = self._region(plan)
            kept: dict[str, float] = {}
            copies = 0
            continuous = False
            for rule in _get(plan, "rules") or []:
                days = _num((rule.get("lifecycle") or {}).get("deleteAfter")) or 0.0
                if not days:
                    self._note(f"backup rule {rule.get('ruleName')}: kept forever; {self._forever()}")
                    days = LOG_UNLIMITED_MONTHS * DAYS_PER_MONTH
                kept[home] = max(kept.get(home, 0.0), days)
                continuous = continuous or bool(rule.get("enableContinuousBackup"))
                for copy in rule.get("copyActions") or []:
                    region = _arn_region(copy.get("destinationVaultArn")) or home
                    copy_days = _num((copy.get("lifecycle") or {}).get("deleteAfter")) or days
                    kept[region] = max(kept.get(region, 0.0), copy_days)
                    copies += region != home
            change = self._assume(
                "BACKUP_DAILY_CHANGE", BACKUP_DAILY_CHANGE, "of the data changes a day (incremental backups)"
            )
            if continuous and any(kind == "rds" for kind, _, _ in sources):
                self._note(
                    "AWS Backup's continuous backup of RDS (point-in-time restore) uses the instances' automated "
                    "backups, priced with the database"
                )
            for kind, label in (("rds", "RDS snapshots"), ("s3", "S3 backups")):
                gb = sum(size for k, size, _ in sources if k == kind)
                if not gb:
                    continue
                count = sum(1 for k, _, _ in sources if k == kind)
                for region, days in sorted(kept.items(), key=lambda item: (item[0] != home, item[0])):
                    vault = "vault" if region == home else "DR vault"
                    lines.append(
                        self._line(
                            plan,
                            f"AWS Backup {label} in the {vault}, {count} resource(s) kept {days:g} days",
                            gb * (1 + BACKUP_DAILY_CHANGE * days),
                            f"backup.{kind}.gb_month",
                            f"{_number(gb)} GB x (1 + {BACKUP_DAILY_CHANGE:g} x {days:g} days); {change}",
                            region=region,
                            unit="GB-month",
                        )
                    )
                if copies:
                    lines.append(
                        self._line(
                            plan,
                            f"AWS Backup cross-region copies of {label}, {copies} copy rule(s)",
                            copies * gb * BACKUP_DAILY_CHANGE * DAYS_PER_MONTH,
                            "transfer.inter_region.gb",
                            f"each copy rule carries a month of changed data; the first full copy is not counted; "
                            f"{change}",
                            region=home,
                            unit="GB",
                        )
                    )
        return lines

    def _restore_tests(self, members: list[RecordedResource]) -> list[CostLine]:
        lines = []
        for r in members:
            if str(_get(r, "protectedResourceType") or "") != "RDS":
                self._note(f"{r.name}: restore tests of {_get(r, 'protectedResourceType')} are not priced")
                continue
            plan = next(
                (
                    p
                    for p in self.resources
                    if p.type == "aws:backup/restoreTestingPlan:RestoreTestingPlan"
                    and _get(p, "name") == _get(r, "restoreTestingPlanName")
                ),
                None,
            )
            runs = _runs_per_month(str(_get(plan, "scheduleExpression") or "")) if plan is not None else None
            if runs is None:
                runs = 1.0
                self._note(f"{r.name}: restore test schedule unknown: once a month assumed")
            hours = _num(_get(r, "validationWindowHours")) or 24.0
            instances = [self._rds_by_reference(arn) for arn in _get(r, "protectedResourceArns") or []]
            by_class: Counter[tuple[str, str]] = Counter()
            storage = 0.0
            for instance in instances:
                if instance is None:
                    continue
                engine = str(_get(instance, "engine") or "postgres")
                engine = "postgres" if engine.startswith("postgres") else engine
                by_class[(engine, str(_get(instance, "instanceClass") or ""))] += 1
                storage += self._source_storage(instance)[0]
            why = (
                f"{_number(runs)} test(s) a month, each restored instance (Single-AZ) kept for the "
                f"{hours:g} h validation window; any per-test AWS Backup fee is not included"
            )
            for (engine, instance_class), count in sorted(by_class.items()):
                lines.append(
                    self._line(
                        r,
                        f"restore tests: RDS {engine} {instance_class} ({count} database(s))",
                        count * runs * hours,
                        f"rds.{engine}.{instance_class}.hour",
                        why,
                        unit="instance-hour",
                    )
                )
            if storage:
                lines.append(
                    self._line(
                        r,
                        "restore tests: restored storage",
                        storage * runs * hours / HOURS_PER_MONTH,
                        "rds.gp3.gb_month",
                        why,
                        unit="GB-month",
                    )
                )
        return lines

    # -- observability ----------------------------------------------------------------------------------------------
    def _alarms(self, members: list[RecordedResource]) -> list[CostLine]:
        standard = high = 0
        for r in members:
            queries = _get(r, "metricQueries") or []
            if queries:
                metrics = [q.get("metric") or {} for q in queries if q.get("metric")]
                periods = [_num(m.get("period")) or 60.0 for m in metrics]
                count = len(metrics) or 1
            else:
                periods = [_num(_get(r, "period")) or 60.0]
                count = 1
            if _get(r, "thresholdMetricId"):
                count *= 3  # an anomaly detection alarm is billed as three metrics
            if min(periods, default=60.0) < 60:
                high += count
            else:
                standard += count
        lines = []
        alarms = f"{len(members)} alarms: each metric an alarm reads is billed"
        if standard:
            lines.append(
                self._line(
                    members[0],
                    f"CloudWatch alarm metrics, standard resolution ({alarms})",
                    standard,
                    "cloudwatch.alarm.standard",
                )
            )
        if high:
            lines.append(
                self._line(
                    members[0],
                    f"CloudWatch alarm metrics, high resolution ({alarms})",
                    high,
                    "cloudwatch.alarm.high_resolution",
                )
            )
        return lines

    def _composite_alarms(self, members: list[RecordedResource]) -> list[CostLine]:
        return [
            self._line(
                members[0], f"CloudWatch composite alarms ({len(members)})", len(members), "cloudwatch.alarm.composite"
            )
        ]

    def _dashboards(self, members: list[RecordedResource]) -> list[CostLine]:
        return [
            self._line(
                members[0],
                f"CloudWatch dashboards ({len(members)})",
                len(members),
                "cloudwatch.dashboard",
                "the account's 3 free dashboards are not applied",
            )
        ]

    def _log_groups(self, members: list[RecordedResource]) -> list[CostLine]:
        lines = []
        gb = self._assume("LOG_GB_PER_GROUP", LOG_GB_PER_GROUP, "GB ingested a month per log group")
        for r in members:
            name = str(_get(r, "name") or r.name)
            infrequent = str(_get(r, "logGroupClass") or "STANDARD") == "INFREQUENT_ACCESS"
            days = _num(_get(r, "retentionInDays")) or 0.0
            months = days / DAYS_PER_MONTH if days else LOG_UNLIMITED_MONTHS
            kept = f"kept {days:g} days" if days else self._forever()
            lines += [
                self._line(
                    r,
                    f"CloudWatch Logs ingestion, {name}",
                    LOG_GB_PER_GROUP,
                    "cloudwatch.logs.ingest_ia_gb" if infrequent else "cloudwatch.logs.ingest_gb",
                    gb,
                    unit="GB",
                ),
                self._line(
                    r,
                    f"CloudWatch Logs storage, {name}",
                    LOG_GB_PER_GROUP * months,
                    "cloudwatch.logs.store_gb_month",
                    f"{gb}; {kept}; stored uncompressed (an upper bound)",
                    unit="GB-month",
                ),
            ]
        return lines

    def _canaries(self, members: list[RecordedResource]) -> list[CostLine]:
        lines = []
        for r in members:
            expression = str((_get(r, "schedule") or {}).get("expression") or "")
            runs = _runs_per_month(expression)
            if runs is None:
                runs = DAYS_PER_MONTH * 24 * 12
                self._note(f"{r.name}: schedule {expression!r} not understood: every 5 minutes assumed")
            lines.append(
                self._line(
                    r,
                    f"CloudWatch Synthetics canary runs, {_get(r, 'name') or r.name}",
                    runs,
                    "synthetics.canary_run",
                    f"{expression}, all month; the canary's Lambda and S3 use are negligible",
                )
            )
        return lines

    def _prometheus(self, members: list[RecordedResource]) -> list[CostLine]:
        lines = []
        samples = AMP_SAMPLES_PER_HOUR * HOURS_PER_MONTH
        ingest = self._assume("AMP_SAMPLES_PER_HOUR", AMP_SAMPLES_PER_HOUR, "samples ingested an hour per workspace")
        stored = samples * AMP_BYTES_PER_SAMPLE * (AMP_RETENTION_DAYS / DAYS_PER_MONTH) / 1e9
        size = (
            f"{self._assume('AMP_BYTES_PER_SAMPLE', AMP_BYTES_PER_SAMPLE, 'bytes per stored sample')}, "
            f"{self._assume('AMP_RETENTION_DAYS', AMP_RETENTION_DAYS, 'days kept (the service default)')}"
        )
        for r in members:
            lines += [
                self._line(
                    r, "Managed Prometheus samples ingested", samples / 1e7, "amp.ingest.per_10m_samples", ingest
                ),
                self._line(
                    r,
                    "Managed Prometheus metrics storage",
                    stored,
                    "amp.storage.gb_month",
                    f"{ingest}; {size}",
                    unit="GB-month",
                ),
            ]
        return lines

    def _grafana(self, members: list[RecordedResource]) -> list[CostLine]:
        lines = []
        editors = self._assume("GRAFANA_EDITORS", GRAFANA_EDITORS, "active editors a month")
        viewers = self._assume("GRAFANA_VIEWERS", GRAFANA_VIEWERS, "active viewers a month")
        for r in members:
            lines += [
                self._line(r, "Managed Grafana editors", GRAFANA_EDITORS, "grafana.editor.month", editors),
                self._line(r, "Managed Grafana viewers", GRAFANA_VIEWERS, "grafana.viewer.month", viewers),
            ]
        return lines

    # -- security ---------------------------------------------------------------------------------------------------
    def _keys(self, members: list[RecordedResource]) -> list[CostLine]:
        count = len(members)
        requests = self._assume("KMS_REQUESTS_PER_KEY", KMS_REQUESTS_PER_KEY, "requests a month per key")
        rotation = (
            "first year; each yearly rotation adds USD 1 a month to a key, for its first two rotations"
            if any(_get(r, "enableKeyRotation") for r in members)
            else ""
        )
        return [
            self._line(members[0], f"KMS customer managed keys ({count})", count, "kms.key.month", rotation),
            self._line(
                members[0], "KMS requests", count * KMS_REQUESTS_PER_KEY / 10_000, "kms.requests.per_10000", requests
            ),
        ]

    def _secrets(self, members: list[RecordedResource]) -> list[CostLine]:
        return [
            self._line(
                members[0],
                f"Secrets Manager secrets ({len(members)})",
                len(members),
                "secretsmanager.secret.month",
                "API calls (USD 0.05 per 10,000) are negligible",
            )
        ]

    def _parameters(self, members: list[RecordedResource]) -> list[CostLine]:
        lines = []
        for r in members:
            tier = str(_get(r, "tier") or "Standard")
            value = r.inputs.get("insecureValue", r.inputs.get("value"))
            size = len(str(value).encode()) if isinstance(value, str) else 0
            advanced = tier == "Advanced" or (tier == "Intelligent-Tiering" and size > SSM_STANDARD_MAX_BYTES)
            why = f"tier {tier}, value of {size} bytes" if size else f"tier {tier}"
            key = "ssm.parameter.advanced.month" if advanced else "ssm.parameter.standard.month"
            label = "advanced" if advanced else "standard"
            lines.append(self._line(r, f"SSM parameter ({label} tier), {_get(r, 'name') or r.name}", 1, key, why))
        return lines


# -- plain functions ------------------------------------------------------------------------------------------------
def _get(r: RecordedResource | None, key: str) -> Any:
    """An input as registered (an output when the input is missing, as in state exports); secrets unwrapped."""
    if r is None:
        return None
    value: Any = r.inputs.get(key, r.outputs.get(key))
    return value.get("value") if is_secret(value) else value


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _cents(value: float) -> float:
    """Money rounded to cents (never ``-0.0``)."""
    return round(value, 2) + 0.0


def _quantity(value: float) -> float:
    return round(value, 4)


def _number(value: float) -> str:
    """A quantity for people: no trailing zeros, thousands separated."""
    rounded = round(value, 4)
    if rounded == int(rounded):
        return f"{int(rounded):,}"
    return f"{rounded:,.4f}".rstrip("0").rstrip(".")


def _money(value: float) -> str:
    return f"{value:,.2f}"


def _unit_price(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".") if value else "0"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _arn_region(arn: Any) -> str:
    parts = str(arn or "").split(":")
    return parts[3] if len(parts) > 3 else ""


def _not_priced_reason(type_: str) -> str:
    if type_ in NOT_PRICED:
        return NOT_PRICED[type_]
    for prefix, reason in NOT_PRICED_PREFIXES.items():
        if type_.startswith(prefix):
            return reason
    return UNKNOWN_REASON


def _merge(lines: Iterable[CostLine]) -> list[CostLine]:
    """Lines that differ only in quantity, added up (e.g. the six read replicas of one class)."""
    merged: dict[tuple[Any, ...], CostLine] = {}
    for line in lines:
        key = (line.item, line.unit, line.unit_price, line.assumption, line.source, line.resource_type, line.region)
        if key in merged:
            quantity = merged[key].quantity + line.quantity
            merged[key] = replace(merged[key], quantity=quantity, monthly=_cents(quantity * line.unit_price))
        else:
            merged[key] = line
    return list(merged.values())


_DAY_NAMES = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_MONTH_NAMES = {
    name: number
    for number, name in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1
    )
}


def _field_count(text: str, low: int, high: int, names: Mapping[str, int] | None = None) -> int:
    """How many values one field of a cron expression matches."""
    if text in ("*", "?"):
        return high - low + 1
    for name, number in (names or {}).items():
        text = text.replace(name, str(number))
    total = 0
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = int(step_text)
        if part in ("*", ""):
            start, end = low, high
        elif "-" in part:
            first, last = part.split("-", 1)
            start, end = int(first), int(last)
        elif part.rstrip("LW#0123456789") == "" and not part.isdigit():
            start = end = low  # L, W, 5L, 2#1: one day
        else:
            start = int(part.split("#")[0])
            end = start if step == 1 else high
        total += len(range(start, end + 1, step))
    return total


def _runs_per_month(expression: str) -> float | None:
    """How often an EventBridge-style ``rate(...)`` or ``cron(...)`` schedule fires in a month (None: unknown)."""
    rate = re.fullmatch(r"\s*rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)\s*", expression)
    if rate:
        every, unit = int(rate.group(1)), rate.group(2).rstrip("s")
        if every == 0:
            return 0.0
        per_hour = {"minute": 60.0, "hour": 1.0, "day": 1 / 24}[unit]
        return HOURS_PER_MONTH * per_hour / every
    cron = re.fullmatch(r"\s*cron\((.+)\)\s*", expression)
    if not cron:
        return None
    fields = cron.group(1).split()
    if len(fields) != 6:
        return None
    minutes, hours, day_of_month, month, day_of_week, _ = fields
    try:
        per_day = _field_count(minutes, 0, 59) * _field_count(hours, 0, 23)
        if day_of_month not in ("*", "?"):
            days = float(_field_count(day_of_month, 1, 31))
        elif day_of_week not in ("*", "?"):
            days = _field_count(day_of_week, 1, 7, _DAY_NAMES) * DAYS_PER_MONTH / 7
        else:
            days = DAYS_PER_MONTH
        months = _field_count(month, 1, 12, _MONTH_NAMES) / 12
    except ValueError:
        return None
    return per_day * days * months


def _infer_plan(zone: Sequence[RecordedResource]) -> tuple[str, str]:
    """The cheapest Cloudflare plan that allows a zone's rulesets, and a sentence saying how it was found."""
    rate_rules: list[Mapping[str, Any]] = []
    managed = False
    edge_ttls: list[float] = []
    for r in zone:
        if r.type != "cloudflare:index/ruleset:Ruleset":
            continue
        phase, rules = _get(r, "phase"), _get(r, "rules") or []
        if phase == "http_ratelimit":
            rate_rules += [rule.get("ratelimit") or {} for rule in rules]
        elif phase == "http_request_firewall_managed":
            managed = managed or any(
                rule.get("action") == "execute"
                and (rule.get("actionParameters") or {}).get("id") not in (None, FREE_MANAGED_RULESET)
                for rule in rules
            )
        elif phase == "http_request_cache_settings":
            for rule in rules:
                ttl = _num(((rule.get("actionParameters") or {}).get("edgeTtl") or {}).get("default"))
                if ttl is not None:
                    edge_ttls.append(ttl)
    periods = [_num(rule.get("period")) or 0.0 for rule in rate_rules]
    timeouts = [_num(rule.get("mitigationTimeout")) or 0.0 for rule in rate_rules]
    needs = [f"{len(rate_rules)} rate-limiting rule(s)"]
    if periods:
        needs.append(f"counting periods up to {max(periods):g} s")
    if managed:
        needs.append("the Cloudflare Managed ruleset")
    for plan in CLOUDFLARE_PLANS:
        limits = PLAN_LIMITS[plan]
        if (
            len(rate_rules) <= limits.rate_limit_rules
            and all(p <= limits.longest_period for p in periods)
            and all(t <= limits.longest_timeout for t in timeouts)
            and (limits.managed_rulesets or not managed)
            and all(ttl >= limits.shortest_edge_ttl for ttl in edge_ttls)
        ):
            return plan, (
                f"the plan is not recorded in the resources: {plan}, the cheapest plan that allows the zone's rules "
                f"({', '.join(needs)}), is assumed"
            )
    return "enterprise", "the zone's rules need the Enterprise plan (no list price)"
