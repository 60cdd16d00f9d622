"""The stack as IAM sees it: each resource's ARN, region, tags, and the resources its inputs refer to.

ARNs are built in the shapes AWS's catalogue documents for each resource type (``Policies.json`` ``ARNFormats``),
from the recorded registrations and the mocks' account, partition and regions; a test holds every ARN built for prod
and staging against those formats.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any

from stackcheck.deployability import data
from stackcheck.deployability.types import TYPES
from stackcheck.engine.cloud import ACCOUNT_ID, PARTITION
from stackcheck.engine.resources import RecordedResource

GLOBAL_REGION = "us-east-1"
"""The region IAM requests are made in (``aws:RequestedRegion`` of IAM calls)."""


@dataclass(frozen=True)
class Target:
    """The resource a request names: its ARN, IAM service and catalogue resource type, and its tags."""

    arn: str
    service: str = ""
    resource_type: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()


ANY = Target("*")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _digest(*parts: str, length: int = 17) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


#: Outputs under which a resource is named by others (ids, ARNs, names, and the type-specific names).
_KEYS = ("id", "arn", "name", "bucket", "identifier", "replicationGroupId", "keyId", "alarmName", "secretArn")


class StackView:
    """Lookups over one stack's recorded registrations."""

    def __init__(self, resources: Sequence[RecordedResource], region: str) -> None:
        self.region = region
        self.resources = [r for r in resources if r.custom and r.type.startswith("aws:")]
        self.providers = {r.urn: r for r in resources if r.type == "pulumi:providers:aws"}
        index: dict[str, list[RecordedResource]] = defaultdict(list)
        for resource in self.resources:
            for key in _KEYS:
                value = resource.id if key == "id" else resource.outputs.get(key)
                if isinstance(value, str) and len(value) > 2 and resource not in index[value]:
                    index[value].append(resource)
        self._index = index
        self._identities: dict[str, Target | None] = {}

    # -- facts about one resource ----------------------------------------------------------------------------------
    def region_of(self, resource: RecordedResource) -> str:
        provider = self.providers.get(resource.provider_urn)
        region = provider.inputs.get("region") if provider else None
        return str(region) if isinstance(region, str) and region else self.region

    def tags_of(self, resource: RecordedResource) -> dict[str, str]:
        """The tags AWS would hold: the provider's default tags and the resource's own."""
        tags: dict[str, str] = {}
        provider = self.providers.get(resource.provider_urn)
        default = provider.inputs.get("defaultTags") if provider else None
        if isinstance(default, str):  # provider configuration arrives JSON-encoded
            try:
                default = json.loads(default)
            except ValueError:
                default = None
        if isinstance(default, Mapping) and isinstance(default.get("tags"), Mapping):
            tags.update({str(k): str(v) for k, v in default["tags"].items()})
        own = resource.inputs.get("tags")
        if isinstance(own, Mapping):
            tags.update({str(k): str(v) for k, v in own.items() if isinstance(v, str)})
        return tags

    def resolve(self, value: Any) -> RecordedResource | None:
        if not isinstance(value, str):
            return None
        found = self._index.get(value)
        return found[0] if found else None

    def references(self, resource: RecordedResource) -> list[RecordedResource]:
        """The recorded resources whose id, ARN or name one of the inputs holds (JSON documents are not read)."""
        found: list[RecordedResource] = []
        for text in _strings(resource.inputs):
            for other in self._index.get(text, ()):
                if other is not resource and other not in found:
                    found.append(other)
        return found

    @cached_property
    def _aliases(self) -> dict[str, tuple[str, ...]]:
        aliases: dict[str, list[str]] = defaultdict(list)
        for resource in self.resources:
            if resource.type == "aws:kms/alias:Alias":
                key = self.resolve(resource.inputs.get("targetKeyId"))
                if key is not None:
                    aliases[key.urn].append(str(resource.inputs.get("name", "")))
        return {urn: tuple(names) for urn, names in aliases.items()}

    def trusted_services(self, role: RecordedResource) -> list[str]:
        """The service principals a role's trust policy admits (what the role is passed to)."""
        try:
            document = json.loads(str(role.inputs.get("assumeRolePolicy", "")))
        except ValueError:
            return []
        services: list[str] = []
        for statement in document.get("Statement", []):
            if statement.get("Effect") != "Allow":
                continue
            principal = statement.get("Principal", {})
            named = principal.get("Service", []) if isinstance(principal, Mapping) else []
            for service in [named] if isinstance(named, str) else named:
                if service not in services:
                    services.append(str(service))
        return services

    def created_with(self, resource: RecordedResource) -> list[Target]:
        """Resources a service creates for this one, which its handlers' calls name: an RDS instance's managed master
        password secret; a canary's Lambda function and layer (``cwsyn-<canary>-<id>``, CloudWatch user guide,
        "Synthetics: permissions") and its artifact bucket."""
        region, found = self.region_of(resource), []
        if resource.type == "aws:rds/instance:Instance":
            for secret in resource.outputs.get("masterUserSecrets") or []:
                if isinstance(secret, Mapping) and secret.get("secretArn"):
                    found.append(Target(str(secret["secretArn"]), "secretsmanager", "Secret", self.tags_of(resource)))
        if resource.type == "aws:synthetics/canary:Canary":
            name = f"cwsyn-{resource.inputs.get('name', '')}-{_digest(resource.urn, length=8)}"
            prefix = f"arn:{PARTITION}:lambda:{region}:{ACCOUNT_ID}"
            found.append(Target(f"{prefix}:function:{name}", "lambda", "function", self.tags_of(resource)))
            found.append(Target(f"{prefix}:layer:{name}", "lambda", "layer"))
            found.append(Target(f"{prefix}:layer:{name}:1", "lambda", "layerVersion"))
            location = str(resource.inputs.get("artifactS3Location", ""))
            bucket = self.resolve(location.removeprefix("s3://").split("/", 1)[0])
            target = self.identity(bucket) if bucket is not None else None
            if target is not None:
                found.append(target)
                found.append(Target(f"{target.arn}/canary/*", "s3", "object"))
        return found

    # -- identities ------------------------------------------------------------------------------------------------
    def identity(self, resource: RecordedResource) -> Target | None:
        if resource.urn not in self._identities:
            self._identities[resource.urn] = None  # a cycle of @parent references ends here
            self._identities[resource.urn] = self._build(resource)
        return self._identities[resource.urn]

    def _build(self, resource: RecordedResource) -> Target | None:
        entry = TYPES.get(resource.type)
        spec = entry.identity if entry else None
        if spec is None:
            return None
        if spec.arn == "@parent":
            parent = self.resolve(resource.inputs.get(spec.parent))
            if parent is not None:
                return self.identity(parent)
            if not spec.fallback:
                return None
            # The parent is not the stack's (a log group RDS creates): its ARN from its name.
            arn = spec.fallback.format(
                partition=PARTITION,
                region=self.region_of(resource),
                account=ACCOUNT_ID,
                name=resource.inputs.get(spec.parent, ""),
            )
            return Target(arn, spec.service, spec.resource_type)
        outputs = resource.outputs
        if spec.arn == "@arn":
            arn = outputs.get("arn")
        elif spec.arn == "{listener_rule}":
            listener = str(resource.inputs.get("listenerArn", ""))
            arn = f"{listener.replace(':listener/', ':listener-rule/')}/{_digest(resource.urn, length=16)}"
        else:
            cluster = str(resource.inputs.get("cluster", "")).rsplit("/", 1)[-1]
            arn = spec.arn.format(
                partition=PARTITION,
                region=self.region_of(resource),
                account=ACCOUNT_ID,
                name=resource.id if spec.name == "id" else outputs.get(spec.name, ""),
                workspaceId=resource.inputs.get("workspaceId", ""),
                cluster=cluster,
                digest=_digest(resource.urn),
            )
        if not isinstance(arn, str) or not arn:
            return None
        return Target(
            arn,
            spec.service,
            spec.resource_type,
            self.tags_of(resource),
            self._aliases.get(resource.urn, ()),
        )


@cache
def catalogue_pattern(service: str, resource_type: str) -> list[re.Pattern[str]]:
    """The catalogue's ARN formats of a resource type, as regular expressions."""
    formats = data.catalogue_resource_types(service).get(resource_type, {}).get("ARNFormats", [])
    patterns = []
    for text in formats:
        expression = re.escape(text).replace(re.escape(".*"), ".*")
        expression = re.sub(r"\\\$\\\{[A-Za-z]+\\\}", "[^:]+", expression)
        patterns.append(re.compile(f"^{expression}$"))
    return patterns


@cache
def resource_type_keys(service: str) -> dict[str, str]:
    """The catalogue's resource types by a normalised name: the catalogue spells one type differently under its
    actions and its resources ("backupVault" and "backupvault", "listener/app" and "listener/app/")."""
    return {k.lower().rstrip("/"): k for k in data.catalogue_resource_types(service)}


def matches_catalogue(target: Target) -> bool:
    key = resource_type_keys(target.service).get(target.resource_type.lower().rstrip("/"), "")
    return any(p.match(target.arn) for p in catalogue_pattern(target.service, key))


def placeholder_arns(service: str, resource_types: Iterable[str], region: str) -> list[str]:
    """For an action on resource types the stack does not create: the catalogue's ARN format of the first one with
    every name left open (``*``), so that only a policy that allows every such resource allows it."""
    for resource_type in resource_types:
        for text in data.catalogue_resource_types(service).get(resource_type, {}).get("ARNFormats", []):
            arn = text.replace("${Partition}", PARTITION).replace("${Region}", region)
            arn = arn.replace("${Account}", ACCOUNT_ID).replace(".*", "*")
            return [re.sub(r"\$\{[A-Za-z]+\}", "*", arn)]
    return ["*"]
