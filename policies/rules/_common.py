"""Helpers shared by the rules: settings with schema defaults, tags, and security-group ingress in one shape.

Rules are pure: they read the properties the analyzer hands them (camelCase engine names, numbers possibly as
floats) and never import a provider SDK, since the policy pack runs with only pulumi-policy installed.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import PolicyConfigSchema, PolicyResource

from ._props import is_list, is_set, prop

#: The tag that names a resource's part in the stack (set by webstack's components).
ROLE_TAG = "webstack:role"

#: A CIDR wider than this (IPv4 /8, IPv6 /16) counts as "the internet": 0.0.0.0/0, ::/0, and their halves.
INTERNET_PREFIX = {4: 8, 6: 16}

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
INGRESS_TYPES = (SECURITY_GROUP, SECURITY_GROUP_RULE, INGRESS_RULE)


def schema(properties: Mapping[str, Mapping[str, Any]]) -> PolicyConfigSchema:
    """A config schema whose defaults rules also use when called without configuration (as in tests)."""
    return PolicyConfigSchema(properties={key: dict(spec) for key, spec in properties.items()})


def setting(args: Any, config_schema: PolicyConfigSchema, key: str) -> Any:
    """A policy setting: the configured value, else the schema's default."""
    configured = args.get_config() or {}
    return configured.get(key, config_schema.properties[key].get("default"))


def pattern_setting(args: Any, config_schema: PolicyConfigSchema, key: str) -> re.Pattern[str] | str:
    """A regular-expression setting, compiled case-insensitively; what is wrong with it when it does not compile."""
    try:
        return re.compile(str(setting(args, config_schema, key)), re.IGNORECASE)
    except re.error as error:
        return f"The policy's {key} is not a valid regular expression ({error}): fix the pack config."


def tags_of(props: Mapping[str, Any] | None) -> dict[str, str]:
    tags = (props or {}).get("tags") or {}
    return {str(k): str(v) for k, v in dict(tags).items()}


def provider_default_tags(provider_props: Mapping[str, Any] | None) -> dict[str, str]:
    """The aws provider's default tags. Provider inputs reach the engine as JSON text."""
    if not provider_props:
        return {}
    default_tags = provider_props.get("defaultTags")
    if isinstance(default_tags, str):
        try:
            default_tags = json.loads(default_tags)
        except ValueError:
            return {}
    if not isinstance(default_tags, Mapping):
        return {}
    return {str(k): str(v) for k, v in dict(default_tags.get("tags") or {}).items()}


def is_internet(cidr: str) -> bool:
    try:
        network = ipaddress.ip_network(str(cidr), strict=False)
    except ValueError:
        return False
    return network.prefixlen < INTERNET_PREFIX[network.version]


def within(cidr: str, allowed: Iterable[str]) -> bool:
    """Whether ``cidr`` lies inside one of ``allowed``."""
    try:
        network = ipaddress.ip_network(str(cidr), strict=False)
    except ValueError:
        return False
    for item in allowed:
        try:
            outer = ipaddress.ip_network(str(item), strict=False)
        except ValueError:
            continue
        if network.version == outer.version and network.subnet_of(outer):  # type: ignore[arg-type]
            return True
    return False


@dataclass(frozen=True)
class Ingress:
    """One ingress permission, whichever resource expressed it."""

    urn: str
    """The resource that expressed it (a security group with inline rules, or a rule resource)."""
    protocol: str
    """``tcp``, ``udp``, ``icmp``, ... or ``all``."""
    from_port: int
    to_port: int
    cidrs: tuple[str, ...] = ()
    """IPv4 and IPv6 CIDR sources."""
    from_group: bool = False
    """The source is a security group (or the group itself)."""
    from_prefix_list: bool = False
    group: PolicyResource | None = field(default=None, compare=False)
    """The security group it opens, when known (stack policies only)."""

    def covers(self, port: int) -> bool:
        return self.protocol in ("tcp", "all") and self.from_port <= port <= self.to_port

    def describe_ports(self) -> str:
        if self.protocol == "all":
            return "all traffic"
        if self.from_port == self.to_port:
            return f"{self.protocol} port {self.from_port}"
        return f"{self.protocol} ports {self.from_port}-{self.to_port}"


_PROTOCOLS = {"-1": "all", "all": "all", "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}


def _protocol(value: Any) -> str:
    text = str(value if value is not None else "-1").lower()
    return _PROTOCOLS.get(text, text)


def _ports(protocol: str, low: Any, high: Any) -> tuple[int, int]:
    if protocol == "all" or low is None or high is None:
        return 0, 65535
    low_port, high_port = int(float(low)), int(float(high))
    if low_port < 0 or high_port < 0:  # -1 means "all ports" for some protocols
        return 0, 65535
    return low_port, high_port


def _flat_texts(*values: Any) -> tuple[str, ...]:
    """Non-empty strings from single values and lists alike (lists may be the analyzer's read-only proxies)."""
    flat = [v for value in values for v in (value if is_list(value) else [value])]
    return tuple(str(v) for v in flat if v)


def _ingress(
    urn: str, props: Mapping[str, Any], protocol_key: str, cidrs: tuple[str, ...], from_group: bool,
    from_prefix_list: bool, group: PolicyResource | None,
) -> Ingress:  # fmt: skip
    protocol = _protocol(props.get(protocol_key))
    low, high = _ports(protocol, props.get("fromPort"), props.get("toPort"))
    return Ingress(urn, protocol, low, high, cidrs, from_group, from_prefix_list, group)


def ingress_of(
    resource_type: str, props: Mapping[str, Any], urn: str, group: PolicyResource | None = None
) -> list[Ingress]:
    """The ingress permissions a resource grants, in one shape; [] for anything else. The three ways to write a
    rule: inline ``ingress`` on a security group, ``ec2.SecurityGroupRule`` of type ingress, and
    ``vpc.SecurityGroupIngressRule``."""
    if resource_type == SECURITY_GROUP:
        return [
            _ingress(
                urn,
                rule,
                "protocol",
                _flat_texts(rule.get("cidrBlocks"), rule.get("ipv6CidrBlocks")),
                bool(rule.get("securityGroups")) or bool(rule.get("self")),
                bool(rule.get("prefixListIds")),
                group,
            )
            for rule in props.get("ingress") or []
        ]
    if resource_type == SECURITY_GROUP_RULE and props.get("type") == "ingress":
        return [
            _ingress(
                urn,
                props,
                "protocol",
                _flat_texts(props.get("cidrBlocks"), props.get("ipv6CidrBlocks")),
                bool(props.get("sourceSecurityGroupId")) or bool(props.get("self")),
                bool(props.get("prefixListIds")),
                group,
            )
        ]
    if resource_type == INGRESS_RULE:
        return [
            _ingress(
                urn,
                props,
                "ipProtocol",
                _flat_texts(props.get("cidrIpv4"), props.get("cidrIpv6")),
                bool(props.get("referencedSecurityGroupId")),
                bool(props.get("prefixListId")),
                group,
            )
        ]
    return []


def stack_ingress(resources: Iterable[PolicyResource]) -> list[Ingress]:
    """Every ingress permission of the stack, joined to the security group it opens through property dependencies
    (never through ids, which are unknown during a preview)."""
    found: list[Ingress] = []
    for resource in resources:
        if resource.resource_type not in INGRESS_TYPES:
            continue
        if resource.resource_type == SECURITY_GROUP:
            group: PolicyResource | None = resource
        else:
            owners = resource.property_dependencies.get("securityGroupId") or []
            group = next((o for o in owners if o.resource_type == SECURITY_GROUP), None)
        found.extend(ingress_of(resource.resource_type, resource.props, resource.urn, group))
    return found


def role_of(group: PolicyResource | None) -> str:
    """The ``webstack:role`` tag of a security group; empty when the group or its tag is unknown."""
    return tags_of(group.props).get(ROLE_TAG, "") if group is not None else ""


def names_replication_source(props: Any) -> bool:
    """Whether an RDS instance's props name the instance it replicates (``replicateSourceDb``; an unknown value is
    another instance's identifier, so it counts)."""
    return is_set(prop(props, "replicateSourceDb"))


def is_read_replica(instance: PolicyResource) -> bool:
    """An RDS read replica: it depends on its source through replicateSourceDb, or names one."""
    return bool(instance.property_dependencies.get("replicateSourceDb")) or names_replication_source(instance.props)
