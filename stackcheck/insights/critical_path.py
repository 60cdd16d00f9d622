"""How long a fresh ``pulumi up`` of a stack takes, and which chain of resources decides it.

Pulumi creates every resource as soon as everything it waits for exists, so independent resources are created in
parallel and the time of a fresh deployment is the longest chain of waits, summed over typical create durations.
:func:`critical_path` builds that chain from what a stack registered
(:class:`stackcheck.engine.resources.RecordedResource`).

What a resource waits for, as the engine and the Python SDK order a fresh deployment:

* its ``dependencies`` and every list in its ``property_dependencies`` (inputs that are other resources' outputs,
  and ``depends_on``);
* its explicit provider, when the provider is a registered resource;
* its parent, when the parent is a custom resource (a child's registration awaits its parent's URN, which resolves
  once the parent exists);
* whatever its ancestor components wait for: a component's registration awaits its own dependencies, and a child
  registers only once its parent component's URN has resolved;
* a dependency on a component resource stands for every custom resource under that component, which is how the SDK
  expands ``depends_on=[component]`` (children of custom resources are not included, as in the SDK).

Components take no time. Durations come from :data:`DURATIONS` (one entry per resource type, with the source of the
figure) and :data:`VARIANTS` (where a resource's inputs change the figure, such as a Multi-AZ RDS instance);
types with no entry count as :data:`DEFAULT_DURATION` and are listed in ``defaulted_types``. Everything here is pure
and deterministic: the same resources give the same path.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from stackcheck.engine.resources import RecordedResource


@dataclass(frozen=True)
class Duration:
    """A typical create duration and where the figure comes from."""

    seconds: int
    source: str


#: What the figures below cite, once each.
_RDS_OBSERVED = (
    "observation: 5-10 min Single-AZ, 15-20 min Multi-AZ (hashicorp/terraform#498, RDS event log of a create)"
)
_IAM_CONSISTENCY = (
    "AWS IAM User Guide, 'Changes that I make are not always immediately visible' (IAM is eventually consistent; "
    "providers retry the first use of a new role or policy): docs.aws.amazon.com/IAM/latest/UserGuide/"
    "troubleshoot_general.html#troubleshoot_general_eventual-consistency"
)
_TF_LOG_NETWORK = (
    "observation: terraform apply logs, VPC 20-39 s, subnet 5-12 s, route table 2 s, association 1 s "
    "(turbot/steampipe-plugin-aws#184, #246; devbhusal/terraform-ec2-RDS-wordpress#1)"
)
_TF_LOG_SUBNET_GROUP = "observation: subnet groups created in 2-8 s (turbot/steampipe-plugin-aws#184, #246)"
_TF_LOG_SG_RULE = "observation: security group rules created in 2-5 s (hashicorp-education/learn-terraform-variables#6)"
_ESTIMATE = "webstack estimate"
_INSTANT = "webstack estimate: computed locally by the provider, no API call"
_PROVIDER = "webstack estimate: configures a provider plugin (the plugin download is not counted)"

#: Typical create durations per resource type. ``source`` cites AWS documentation or a public observation where one
#: exists; "webstack estimate" marks a figure from experience with nothing better to cite.
DURATIONS: Final[Mapping[str, Duration]] = {
    # Relational database (Single-AZ primary; VARIANTS holds Multi-AZ and read replicas).
    "aws:rds/instance:Instance": Duration(600, _RDS_OBSERVED),
    "aws:rds/parameterGroup:ParameterGroup": Duration(3, _ESTIMATE),
    "aws:rds/subnetGroup:SubnetGroup": Duration(5, _TF_LOG_SUBNET_GROUP),
    "aws:rds/optionGroup:OptionGroup": Duration(3, _ESTIMATE),
    "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication": Duration(
        600,
        "webstack estimate: the provider waits for the copy to reach 'replicating' (default create timeout 75 min, "
        "hashicorp/terraform-provider-aws#25776, #25796)",
    ),
    # Cache.
    "aws:elasticache/replicationGroup:ReplicationGroup": Duration(
        720,
        "webstack estimate: typically 10-15 min; acceptance tests have exceeded 40-50 min, hence the provider's 60 min "
        "create timeout (hashicorp/terraform-provider-aws#2048, #4093)",
    ),
    "aws:elasticache/subnetGroup:SubnetGroup": Duration(5, _TF_LOG_SUBNET_GROUP),
    "aws:elasticache/parameterGroup:ParameterGroup": Duration(3, _ESTIMATE),
    # Network.
    "aws:ec2/vpc:Vpc": Duration(20, _TF_LOG_NETWORK),
    "aws:ec2/subnet:Subnet": Duration(8, _TF_LOG_NETWORK),
    "aws:ec2/routeTable:RouteTable": Duration(2, _TF_LOG_NETWORK),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": Duration(1, _TF_LOG_NETWORK),
    "aws:ec2/route:Route": Duration(2, _ESTIMATE),
    "aws:ec2/internetGateway:InternetGateway": Duration(2, _TF_LOG_NETWORK),
    "aws:ec2/natGateway:NatGateway": Duration(
        150,
        "observation: 'pending' to 'available' takes minutes, up to 10 (kubernetes/kops#944); 2.5 min is webstack's "
        "typical figure",
    ),
    "aws:ec2/eip:Eip": Duration(2, _ESTIMATE),
    "aws:ec2/securityGroup:SecurityGroup": Duration(3, _ESTIMATE),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": Duration(2, _ESTIMATE),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": Duration(2, _TF_LOG_SG_RULE),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": Duration(2, _TF_LOG_SG_RULE),
    "aws:ec2/flowLog:FlowLog": Duration(3, _ESTIMATE),
    # Load balancer, certificate, firewall.
    "aws:lb/loadBalancer:LoadBalancer": Duration(
        180,
        "webstack estimate: the ALB stays 'provisioning' for minutes and the provider waits for 'active' "
        "(hashicorp/terraform#10386, #11333)",
    ),
    "aws:lb/targetGroup:TargetGroup": Duration(3, _ESTIMATE),
    "aws:lb/listener:Listener": Duration(3, _ESTIMATE),
    "aws:lb/listenerRule:ListenerRule": Duration(2, _ESTIMATE),
    "aws:acm/certificate:Certificate": Duration(
        5, "webstack estimate: the request returns at once, validation records follow within seconds"
    ),
    "aws:acm/certificateValidation:CertificateValidation": Duration(
        300,
        "webstack estimate: ACM polls public DNS for the validation CNAMEs (docs.aws.amazon.com/acm/latest/userguide/"
        "dns-validation.html); a few minutes once the records exist",
    ),
    "aws:wafv2/webAcl:WebAcl": Duration(5, _ESTIMATE),
    "aws:wafv2/webAclAssociation:WebAclAssociation": Duration(
        30,
        "webstack estimate: the provider retries WAFUnavailableEntityException until the new ALB is visible to WAF, "
        "up to 5 min (hashicorp/terraform-provider-aws#17527, #29080)",
    ),
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": Duration(3, _ESTIMATE),
    # Containers.
    "aws:ecs/cluster:Cluster": Duration(10, _ESTIMATE),
    "aws:ecs/taskDefinition:TaskDefinition": Duration(2, _ESTIMATE),
    "aws:ecs/service:Service": Duration(
        240,
        "webstack estimate: the program waits for steady state: Fargate task start and image pull (~1 min), then "
        "two passing ALB health checks 30 s apart, then ECS's own stability polling",
    ),
    "aws:ecr/repository:Repository": Duration(2, _ESTIMATE),
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": Duration(
        2,
        "webstack estimate: one PutLifecyclePolicy call, read back (hashicorp/terraform-provider-aws "
        "internal/service/ecr/lifecycle_policy.go: no waiter)",
    ),
    "aws:appautoscaling/target:Target": Duration(3, _ESTIMATE),
    "aws:appautoscaling/policy:Policy": Duration(2, _ESTIMATE),
    # Identity and keys.
    "aws:iam/role:Role": Duration(10, _IAM_CONSISTENCY),
    "aws:iam/rolePolicy:RolePolicy": Duration(5, _IAM_CONSISTENCY),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": Duration(5, _IAM_CONSISTENCY),
    "aws:iam/policy:Policy": Duration(5, _IAM_CONSISTENCY),
    "aws:kms/key:Key": Duration(10, "webstack estimate: the provider waits for the new key to propagate"),
    "aws:kms/alias:Alias": Duration(2, _ESTIMATE),
    # Storage.
    "aws:s3/bucket:Bucket": Duration(5, _ESTIMATE),
    "aws:s3/bucketPolicy:BucketPolicy": Duration(2, _ESTIMATE),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": Duration(2, _ESTIMATE),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": Duration(2, _ESTIMATE),
    "aws:s3/bucketVersioning:BucketVersioning": Duration(2, _ESTIMATE),
    "aws:s3/bucketVersioningV2:BucketVersioningV2": Duration(2, _ESTIMATE),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": Duration(2, _ESTIMATE),
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": Duration(
        2, _ESTIMATE
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": Duration(2, _ESTIMATE),
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2": Duration(2, _ESTIMATE),
    "aws:s3/bucketLogging:BucketLogging": Duration(2, _ESTIMATE),
    "aws:s3/bucketLoggingV2:BucketLoggingV2": Duration(2, _ESTIMATE),
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": Duration(5, _ESTIMATE),
    # Secrets and parameters.
    "aws:secretsmanager/secret:Secret": Duration(3, _ESTIMATE),
    "aws:secretsmanager/secretVersion:SecretVersion": Duration(2, _ESTIMATE),
    "aws:ssm/parameter:Parameter": Duration(2, _ESTIMATE),
    # Monitoring.
    "aws:cloudwatch/logGroup:LogGroup": Duration(2, _ESTIMATE),
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": Duration(2, _ESTIMATE),
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": Duration(2, _ESTIMATE),
    "aws:cloudwatch/metricAlarm:MetricAlarm": Duration(2, _ESTIMATE),
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": Duration(2, _ESTIMATE),
    "aws:cloudwatch/dashboard:Dashboard": Duration(2, _ESTIMATE),
    "aws:cloudwatch/eventRule:EventRule": Duration(2, _ESTIMATE),
    "aws:cloudwatch/eventTarget:EventTarget": Duration(2, _ESTIMATE),
    "aws:synthetics/canary:Canary": Duration(
        90,
        "observation: 50-112 s per create-and-destroy acceptance test, 2m17s for one create "
        "(hashicorp/terraform-provider-aws#18404, #20382)",
    ),
    "aws:amp/workspace:Workspace": Duration(
        10,
        "observation: 'creating the workspace takes just a few seconds' "
        "(aws-observability/terraform-aws-observability-accelerator#181)",
    ),
    "aws:amp/ruleGroupNamespace:RuleGroupNamespace": Duration(20, _ESTIMATE),
    "aws:amp/alertManagerDefinition:AlertManagerDefinition": Duration(20, _ESTIMATE),
    "aws:grafana/workspace:Workspace": Duration(
        360,
        "webstack estimate: creation has outlasted the provider's former 10 min timeout, raised to 30 min "
        "(hashicorp/terraform-provider-aws#31422, #31547)",
    ),
    "aws:sns/topic:Topic": Duration(2, _ESTIMATE),
    "aws:sns/topicPolicy:TopicPolicy": Duration(2, _ESTIMATE),
    "aws:sns/topicSubscription:TopicSubscription": Duration(
        2, "webstack estimate: e-mail subscriptions stay pending confirmation, nothing waits for them"
    ),
    "aws:lambda/function:Function": Duration(
        15, "webstack estimate: the provider waits for the function to become Active, retrying a new role (IAM)"
    ),
    "aws:lambda/permission:Permission": Duration(2, _ESTIMATE),
    # Backups.
    "aws:backup/vault:Vault": Duration(5, _ESTIMATE),
    "aws:backup/vaultPolicy:VaultPolicy": Duration(2, _ESTIMATE),
    "aws:backup/vaultNotifications:VaultNotifications": Duration(2, _ESTIMATE),
    "aws:backup/plan:Plan": Duration(3, _ESTIMATE),
    "aws:backup/selection:Selection": Duration(5, _IAM_CONSISTENCY),
    "aws:backup/restoreTestingPlan:RestoreTestingPlan": Duration(3, _ESTIMATE),
    "aws:backup/restoreTestingSelection:RestoreTestingSelection": Duration(3, _ESTIMATE),
    "aws:backup/regionSettings:RegionSettings": Duration(2, _ESTIMATE),
    # DNS in Route 53.
    "aws:route53/record:Record": Duration(
        60,
        "Route 53 API reference, ChangeResourceRecordSets: changes generally reach every Route 53 authoritative server "
        "within 60 seconds; the provider waits for the change to be INSYNC",
    ),
    # Cloudflare.
    "cloudflare:index/dnsRecord:DnsRecord": Duration(2, _ESTIMATE),
    "cloudflare:index/record:Record": Duration(2, _ESTIMATE),
    "cloudflare:index/ruleset:Ruleset": Duration(3, _ESTIMATE),
    "cloudflare:index/zoneSetting:ZoneSetting": Duration(2, _ESTIMATE),
    "cloudflare:index/authenticatedOriginPullsSettings:AuthenticatedOriginPullsSettings": Duration(2, _ESTIMATE),
    "cloudflare:index/zeroTrustTunnelCloudflared:ZeroTrustTunnelCloudflared": Duration(3, _ESTIMATE),
    "cloudflare:index/zeroTrustTunnelCloudflaredConfig:ZeroTrustTunnelCloudflaredConfig": Duration(3, _ESTIMATE),
    "cloudflare:index/certificatePack:CertificatePack": Duration(
        5, "webstack estimate: the order is placed; issuance and validation go on at Cloudflare afterwards"
    ),
    # Local commands (smoke test, cache purge).
    "command:local:Command": Duration(
        10, "webstack estimate: one curl or API call when the site answers (the smoke test retries for longer)"
    ),
    # Docker.
    "docker:index/remoteImage:RemoteImage": Duration(
        30, "webstack estimate: one image pull on a decent link (images pull in parallel)"
    ),
    "docker:index/image:Image": Duration(
        90, "webstack estimate: a build of a small image (base image pull, packages, copy) on a decent link"
    ),
    "docker:index/network:Network": Duration(1, _ESTIMATE),
    "docker:index/volume:Volume": Duration(1, _ESTIMATE),
    "docker:index/container:Container": Duration(
        5, "webstack estimate: create and start; the provider does not wait for health unless `wait` is set"
    ),
    # Local computations.
    "random:index/randomPassword:RandomPassword": Duration(0, _INSTANT),
    "random:index/randomString:RandomString": Duration(0, _INSTANT),
    "random:index/randomId:RandomId": Duration(0, _INSTANT),
    "random:index/randomPet:RandomPet": Duration(0, _INSTANT),
    "tls:index/privateKey:PrivateKey": Duration(0, _INSTANT),
    "tls:index/selfSignedCert:SelfSignedCert": Duration(0, _INSTANT),
    "tls:index/certRequest:CertRequest": Duration(0, _INSTANT),
    "tls:index/locallySignedCert:LocallySignedCert": Duration(0, _INSTANT),
}

RDS_INSTANCE = "aws:rds/instance:Instance"
MULTI_AZ = "Multi-AZ"
READ_REPLICA = "read replica"

#: Durations that depend on a resource's inputs: (type, variant) -> duration; see :func:`variant_of`.
VARIANTS: Final[Mapping[tuple[str, str], Duration]] = {
    (RDS_INSTANCE, MULTI_AZ): Duration(1080, _RDS_OBSERVED),
    (RDS_INSTANCE, READ_REPLICA): Duration(
        720,
        "webstack estimate: RDS snapshots the source and restores the replica from it; AWS documents no figure "
        "(slow replica creation: hashicorp/terraform#6948)",
    ),
}

#: Provider resources (``pulumi:providers:<package>``) take no time of their own.
PROVIDER_DURATION: Final = Duration(0, _PROVIDER)

#: What a type missing from :data:`DURATIONS` counts as.
DEFAULT_DURATION: Final = Duration(5, "webstack default: no entry for this type")

#: What the estimate leaves out (the last sentence of :meth:`CriticalPath.markdown`).
NOT_INCLUDED = (
    "The estimate counts only the create times of the resources along this chain, assuming nothing limits "
    "parallelism. It does not include the Pulumi CLI's own work (installing or downloading provider plugins, running "
    "the program, previewing, saving state), image pulls on slow links, API throttling and retries, a lowered "
    "`--parallel`, a failed step and its retry, or the time the applications take to warm up after their resources "
    "exist."
)


class DependencyCycleError(ValueError):
    """The resources wait for each other in a circle (Pulumi forbids this, so the input is inconsistent)."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = list(names)
        super().__init__("dependency cycle: " + " -> ".join(self.names))


def variant_of(resource: RecordedResource) -> str:
    """The variant of a resource whose duration depends on its inputs, or ``""``.

    An RDS instance with ``replicateSourceDb`` is a read replica; one with ``multiAz`` true is a Multi-AZ primary.
    """
    if resource.type == RDS_INSTANCE:
        if resource.inputs.get("replicateSourceDb"):
            return READ_REPLICA
        if resource.inputs.get("multiAz") is True:
            return MULTI_AZ
    return ""


def duration_of(resource: RecordedResource) -> tuple[Duration, bool]:
    """The typical create duration of a resource, and whether it is the default (its type has no entry)."""
    if not resource.custom:
        return Duration(0, "component: takes no time of its own"), False
    variant = variant_of(resource)
    if variant:
        return VARIANTS[(resource.type, variant)], False
    if resource.type.startswith("pulumi:providers:"):
        return PROVIDER_DURATION, False
    known = DURATIONS.get(resource.type)
    return (known, False) if known is not None else (DEFAULT_DURATION, True)


@dataclass(frozen=True)
class Step:
    """One resource on the critical path."""

    name: str
    type: str
    urn: str
    seconds: int
    source: str
    variant: str = ""
    """How the resource's inputs refined its duration (e.g. ``Multi-AZ``), or empty."""

    @property
    def label(self) -> str:
        return f"{self.type} ({self.variant})" if self.variant else self.type


def _minutes(seconds: int) -> str:
    return f"about {max(1, round(seconds / 60))} min" if seconds else "no time"


def _clock(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


@dataclass
class CriticalPath:
    """The longest chain of resources that a fresh deployment creates one after another."""

    steps: list[Step]
    total_seconds: int
    defaulted_types: list[str] = field(default_factory=list)
    """Types of the stack's custom resources that have no entry in the table and counted as the default."""

    def cumulative(self) -> list[int]:
        """The time at which each step is done, from the start of the deployment."""
        done, total = [], 0
        for step in self.steps:
            total += step.seconds
            done.append(total)
        return done

    def top(self) -> Step | None:
        """The step that takes longest (the first such step on ties)."""
        return max(self.steps, key=lambda s: s.seconds, default=None)

    def to_json(self) -> dict[str, Any]:
        return {
            "totalSeconds": self.total_seconds,
            "totalMinutes": round(self.total_seconds / 60),
            "steps": [
                {
                    "name": step.name,
                    "type": step.type,
                    "variant": step.variant,
                    "urn": step.urn,
                    "seconds": step.seconds,
                    "doneAtSeconds": done,
                    "source": step.source,
                }
                for step, done in zip(self.steps, self.cumulative(), strict=True)
            ],
            "defaulted": list(self.defaulted_types),
            "defaultSeconds": DEFAULT_DURATION.seconds,
        }

    def text(self) -> list[str]:
        """One line per step (done-at time, the step's own time, name and type), then the total."""
        lines = [
            f"  {_clock(done):>6}  +{step.seconds:>4}s  {step.name}  {step.label}"
            for step, done in zip(self.steps, self.cumulative(), strict=True)
        ]
        lines.append(f"  total: {_minutes(self.total_seconds)} ({self.total_seconds} s) for a fresh deployment")
        if self.defaulted_types:
            lines.append(
                f"  counted at the default {DEFAULT_DURATION.seconds} s (no entry): " + ", ".join(self.defaulted_types)
            )
        return lines

    def markdown(self) -> str:
        """``## Fresh deployment: critical path``: the chain as a table, the total and what it leaves out."""
        out = [
            "## Fresh deployment: critical path",
            "",
            "Pulumi creates resources in parallel as soon as what they wait for exists, so a fresh `pulumi up` takes "
            "as long as the longest chain of resources that must be created one after another. For this stack that "
            f"chain takes {_minutes(self.total_seconds)}:",
            "",
        ]
        if self.steps:
            out += ["| # | Resource | Type | Takes | Done at | Source |", "| --- | --- | --- | --- | --- | --- |"]
            for number, (step, done) in enumerate(zip(self.steps, self.cumulative(), strict=True), start=1):
                source = step.source.replace("|", "\\|")
                out.append(
                    f"| {number} | `{step.name}` | `{step.type}`{f' ({step.variant})' if step.variant else ''} "
                    f"| {step.seconds} s | {_clock(done)} | {source} |"
                )
            out.append("")
        out.append(f"**Total: {_minutes(self.total_seconds)}** ({self.total_seconds} s).")
        out += ["", NOT_INCLUDED]
        if self.defaulted_types:
            names = ", ".join(f"`{t}`" for t in self.defaulted_types)
            out += ["", f"Types with no entry in the duration table, counted at {DEFAULT_DURATION.seconds} s: {names}."]
        return "\n".join(out) + "\n"


def _own_waits(resource: RecordedResource) -> list[str]:
    """The URNs a resource names as dependencies: ``dependencies`` and every property's, in order, once each."""
    seen: dict[str, None] = dict.fromkeys(resource.dependencies)
    for urns in resource.property_dependencies.values():
        seen.update(dict.fromkeys(urns))
    return list(seen)


def dependency_graph(resources: Sequence[RecordedResource]) -> dict[str, list[str]]:
    """For each custom resource's URN, the custom resources' URNs it waits for (in registration order).

    See the module docstring for the rules. URNs that name no registered resource (the stack itself) are ignored.
    """
    by_urn: dict[str, RecordedResource] = {}
    order: dict[str, int] = {}
    children: dict[str, list[RecordedResource]] = {}
    for index, resource in enumerate(resources):
        if resource.urn in by_urn:
            continue
        by_urn[resource.urn] = resource
        order[resource.urn] = index
    for resource in by_urn.values():
        if resource.parent in by_urn:
            children.setdefault(resource.parent, []).append(resource)

    expanded: dict[str, list[str]] = {}

    def expand(urn: str) -> list[str]:
        """A dependency on ``urn`` as custom resources: itself, or every custom resource under a component."""
        if urn in expanded:
            return expanded[urn]
        target = by_urn.get(urn)
        if target is None:
            result: list[str] = []
        elif target.custom:
            result = [urn]
        else:
            found: dict[str, None] = {}
            pending, visited = [target], {urn}
            while pending:
                component = pending.pop(0)
                for child in children.get(component.urn, []):
                    if child.custom:
                        found[child.urn] = None
                    elif child.urn not in visited:
                        visited.add(child.urn)
                        pending.append(child)
            result = list(found)
        expanded[urn] = result
        return result

    graph: dict[str, list[str]] = {}
    for resource in by_urn.values():
        if not resource.custom:
            continue
        waits: dict[str, None] = {}
        for urn in _own_waits(resource):
            waits.update(dict.fromkeys(expand(urn)))
        if resource.provider_urn in by_urn:
            waits.update(dict.fromkeys(expand(resource.provider_urn)))
        ancestor, climbed = by_urn.get(resource.parent), {resource.urn}
        while ancestor is not None and ancestor.urn not in climbed:
            climbed.add(ancestor.urn)
            if ancestor.custom:
                waits[ancestor.urn] = None
            else:
                for urn in _own_waits(ancestor):
                    waits.update(dict.fromkeys(expand(urn)))
            ancestor = by_urn.get(ancestor.parent)
        graph[resource.urn] = sorted(waits, key=order.__getitem__)
    return graph


def _find_cycle(stuck: set[str], graph: Mapping[str, Sequence[str]]) -> list[str]:
    """A cycle among ``stuck`` (nodes a topological sort could not place: each waits for another stuck node)."""
    node = min(stuck)
    path: list[str] = []
    position: dict[str, int] = {}
    while node not in position:
        position[node] = len(path)
        path.append(node)
        node = next(p for p in graph[node] if p in stuck)
    return [*path[position[node] :], node]


def critical_path(resources: Sequence[RecordedResource]) -> CriticalPath:
    """The longest chain, by summed typical create durations, of resources a fresh deployment creates in sequence.

    Raises :class:`DependencyCycleError` when the resources wait for each other in a circle.
    """
    graph = dependency_graph(resources)
    by_urn = {r.urn: r for r in reversed(resources)}
    # Ties are broken by URN, never by registration order, which the program's concurrency may vary.
    index = {urn: i for i, urn in enumerate(sorted(graph))}
    durations = {urn: duration_of(by_urn[urn]) for urn in graph}

    # Kahn's algorithm, always taking the first ready resource by URN, so the result is deterministic.
    waiting = {urn: len(preds) for urn, preds in graph.items()}
    dependents: dict[str, list[str]] = {urn: [] for urn in graph}
    for urn, preds in graph.items():
        for pred in preds:
            dependents[pred].append(urn)
    ready = [(index[urn], urn) for urn, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    done_at: dict[str, int] = {}
    via: dict[str, str | None] = {}
    while ready:
        _, urn = heapq.heappop(ready)
        best = max(graph[urn], key=lambda pred: (done_at[pred], -index[pred]), default=None)
        via[urn] = best
        done_at[urn] = (done_at[best] if best is not None else 0) + durations[urn][0].seconds
        for dependent in dependents[urn]:
            waiting[dependent] -= 1
            if waiting[dependent] == 0:
                heapq.heappush(ready, (index[dependent], dependent))
    if len(done_at) < len(graph):
        cycle = _find_cycle(set(graph) - set(done_at), graph)
        raise DependencyCycleError([by_urn[urn].name for urn in cycle])

    defaulted = sorted({by_urn[urn].type for urn, (_, default) in durations.items() if default})
    if not done_at:
        return CriticalPath(steps=[], total_seconds=0, defaulted_types=defaulted)
    end: str | None = max(graph, key=lambda urn: (done_at[urn], -index[urn]))
    chain: list[str] = []
    while end is not None:
        chain.append(end)
        end = via[end]
    steps = [_step(by_urn[urn], durations[urn][0]) for urn in reversed(chain)]
    return CriticalPath(steps=steps, total_seconds=sum(s.seconds for s in steps), defaulted_types=defaulted)


def _step(resource: RecordedResource, duration: Duration) -> Step:
    return Step(
        name=resource.name,
        type=resource.type,
        urn=resource.urn,
        seconds=duration.seconds,
        source=duration.source,
        variant=variant_of(resource),
    )


def resources_from_json(rows: Iterable[Mapping[str, Any]]) -> list[RecordedResource]:
    """Rebuild recorded resources from ``python -m stackcheck STACK --json``'s ``resources`` (what this module reads:
    urn, type, name, custom, parent, provider, dependencies, property dependencies and inputs)."""
    return [
        RecordedResource(
            urn=row["urn"],
            type=row["type"],
            name=row["name"],
            custom=bool(row.get("custom", True)),
            parent=row.get("parent", ""),
            provider=row.get("provider", ""),
            protect=bool(row.get("protect", False)),
            dependencies=list(row.get("dependencies", [])),
            property_dependencies={k: list(v) for k, v in (row.get("propertyDependencies") or {}).items()},
            inputs=dict(row.get("inputs") or {}),
        )
        for row in rows
    ]
