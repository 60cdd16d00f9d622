"""Cloudflare DNS record rules, and the load balancer those records lead to: the site's records go through Cloudflare,
none names what must stay private, and the load balancer behind them takes traffic from Cloudflare only.

A record reaches a load balancer or a data store through ``property_dependencies["content"]``, and a load balancer its
security groups through ``property_dependencies["securityGroups"]``, never through names or ids, which are unknown
during a preview. A record whose name, type or content comes from another resource (the certificate's validation
records) is checked on what is known: its content through its dependencies, its proxying once name and type are
known.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._common import INGRESS_TYPES, SECURITY_GROUP, SECURITY_GROUP_RULE, ingress_of, schema, setting, within
from ._props import (
    UNKNOWN,
    as_text,
    depends_on,
    is_list,
    is_true,
    list_items,
    prop,
    unknown_message,
)
from .cdn import CLOUDFLARE_RANGES, DNS_RECORD
from .load_balancer import LOAD_BALANCER_TYPES

CERTIFICATE = "aws:acm/certificate:Certificate"


#: Records that serve the site; the others (TXT, MX, ...) cannot be proxied.
WEB_RECORD_TYPES = ("A", "AAAA", "CNAME")


#: Data stores a record must never name, with what messages call them.
DATA_STORE_TYPES = {
    "aws:rds/instance:Instance": "RDS instance",
    "aws:rds/cluster:Cluster": "RDS cluster",
    "aws:elasticache/replicationGroup:ReplicationGroup": "ElastiCache replication group",
    "aws:elasticache/cluster:Cluster": "ElastiCache cluster",
}


#: Endpoint names of RDS and ElastiCache (AWS and AWS China).
DATA_STORE_SUFFIXES = (".rds.amazonaws.com", ".rds.amazonaws.com.cn", ".cache.amazonaws.com", ".cache.amazonaws.com.cn")


HTTPS_PORT = 443


# -- proxied records ---------------------------------------------------------------------------------------------------
def _address_kind(text: str) -> str:
    """What kind of address nobody on the internet can reach ``text`` is; empty for a public address or a name."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return ""
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.version == 6 and address in ipaddress.ip_network("fc00::/7"):
        return "unique-local"
    if address.is_private:
        return "private"
    if address.is_reserved:
        return "reserved"
    return ""


def _record(record_type: Any, name: Any) -> str:
    """A record as messages name it: ``The CNAME record 'www'``, leaving out what is unknown."""
    kind = "" if record_type is UNKNOWN else f"{record_type} "
    named = "" if name is UNKNOWN else f" '{as_text(name)}'"
    return f"The {kind}record{named}"


def _target_problem(record: PolicyResource, what: str, content: Any) -> str:
    """Why a record's target must not have a public name; empty when it may. Content unknown during preview is
    judged by what it depends on: a load balancer is fine, and without a dependency there is nothing to judge."""
    stores = [d for d in record.property_dependencies.get("content") or [] if d.resource_type in DATA_STORE_TYPES]
    if stores:
        target = f"the {DATA_STORE_TYPES[stores[0].resource_type]} '{stores[0].name}'"
    elif content is UNKNOWN:
        return ""
    else:
        target = as_text(content).rstrip(".").lower()
        kind = _address_kind(target)
        if kind:
            return (
                f"{what} points at {target}, a {kind} address, which reveals internal addressing and serves nobody "
                "on the internet: remove the record, or point it at the load balancer (a CNAME to its dns_name, "
                "proxied)."
            )
        if not target.endswith(DATA_STORE_SUFFIXES):
            return ""
    return (
        f"{what} points at {target}, a database or cache endpoint, which must have no public name: remove the "
        "record; the app reaches the data store through its private endpoint."
    )


def _from_certificate(record: PolicyResource) -> bool:
    """Whether the record's name or type comes from a certificate (its DNS validation record)."""
    sources = [*record.property_dependencies.get("name", []), *record.property_dependencies.get("type", [])]
    return any(source.resource_type == CERTIFICATE for source in sources)


def _proxy_problems(record: PolicyResource) -> list[str]:
    props = record.props
    raw_type, name, proxied = prop(props, "type"), prop(props, "name"), prop(props, "proxied")
    record_type = UNKNOWN if raw_type is UNKNOWN else as_text(raw_type).upper()
    if record_type is not UNKNOWN and record_type not in WEB_RECORD_TYPES:
        return []
    # Underscore records (certificate validation, ...) are not web records. A name or type that is unknown during
    # preview is a certificate's validation record when it comes from the certificate; any other cannot be judged.
    if record_type is UNKNOWN or name is UNKNOWN:
        if not _from_certificate(record):
            return [unknown_message("type" if record_type is UNKNOWN else "name", "a literal value")]
        return []
    if as_text(name).startswith("_"):
        return []
    if proxied is UNKNOWN:
        return [unknown_message("proxied", "True")]
    if not is_true(proxied):
        return [
            f"{_record(record_type, name)} is not proxied, so it publishes the origin's address and its traffic "
            "bypasses Cloudflare's TLS settings, WAF and rate limits: set proxied=True (with ttl=1, automatic)."
        ]
    return []


def _target_problems(record: PolicyResource) -> list[str]:
    props = record.props
    raw_type, name = prop(props, "type"), prop(props, "name")
    record_type = UNKNOWN if raw_type is UNKNOWN else as_text(raw_type).upper()
    if record_type is not UNKNOWN and record_type not in WEB_RECORD_TYPES:
        return []
    target = _target_problem(record, _record(record_type, name), prop(props, "content"))
    return [target] if target else []


def _check_records(
    args: StackValidationArgs, report: ReportViolation, problems: Callable[[PolicyResource], list[str]]
) -> None:
    records = [r for r in args.resources if r.resource_type == DNS_RECORD]
    if not records:
        args.not_applicable("the stack has no Cloudflare DNS records")
    for record in records:
        for problem in problems(record):
            report(problem, record.urn)


def _records_proxied(args: StackValidationArgs, report: ReportViolation) -> None:
    _check_records(args, report, _proxy_problems)


cloudflare_web_records_proxied = StackValidationPolicy(
    name="cloudflare-web-records-proxied",
    description="Checks that every Cloudflare A, AAAA and CNAME record is proxied, underscore records (certificate "
    "validation, ...) excepted.",
    validate=_records_proxied,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=["cloudflare", "dns", "checklist:rate-limiting", "prowler:dns_record_proxied"],
    remediation_steps="Set proxied=True (ttl=1) on the site's records, which point at the load balancer; keep only "
    "certificate-validation and other underscore records unproxied.",
)


def _records_private(args: StackValidationArgs, report: ReportViolation) -> None:
    _check_records(args, report, _target_problems)


cloudflare_records_no_private_targets = StackValidationPolicy(
    name="cloudflare-records-no-private-targets",
    description="Checks that no Cloudflare A, AAAA or CNAME record, underscore records included, points at a "
    "private, loopback, link-local, unique-local, unspecified or reserved address, or at a database or cache "
    "endpoint.",
    validate=_records_private,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=["cloudflare", "dns", "checklist:db-not-public"],
    remediation_steps="Remove records that name private addresses, databases or caches: point the site's records "
    "at the load balancer, and let the app reach its data stores through their private endpoints.",
)


_ORIGIN_SCHEMA = schema(
    {
        "cloudflareRanges": {
            "type": "array",
            "items": {"type": "string"},
            "default": CLOUDFLARE_RANGES,
            "description": "Cloudflare's published IPv4 and IPv6 ranges (https://www.cloudflare.com/ips/): the only "
            "CIDRs a load balancer served through Cloudflare may admit.",
        },
    }
)


#: Ingress values that name a security group or prefix list: unknown during preview they still name one.
REFERENCE_KEYS = frozenset(
    {"securityGroups", "self", "prefixListIds", "sourceSecurityGroupId", "referencedSecurityGroupId", "prefixListId"}
)


#: Ingress values without which a rule's sources and ports cannot be told: engine name -> argument name.
DECIDING_KEYS = {
    "ingress": "ingress",
    "type": "type",
    "protocol": "protocol",
    "ipProtocol": "ip_protocol",
    "fromPort": "from_port",
    "toPort": "to_port",
    "cidrBlocks": "cidr_blocks",
    "ipv6CidrBlocks": "ipv6_cidr_blocks",
    "cidrIpv4": "cidr_ipv4",
    "cidrIpv6": "cidr_ipv6",
}


#: What an unknown reference reads as: set, to a group or prefix list of another resource's output.
_UNKNOWN_REFERENCE = "<unknown during preview>"


def _known(value: Any, key: str, unknown: set[str]) -> Any:
    """``value`` as plain values: an unknown reference reads as set, any other unknown value as absent; the engine
    names of unknown values are added to ``unknown``."""
    if value is UNKNOWN:
        unknown.add(key)
        return _UNKNOWN_REFERENCE if key in REFERENCE_KEYS else None
    if isinstance(value, Mapping):
        return {str(k): _known(prop(value, str(k)), str(k), unknown) for k in value}
    if is_list(value):
        return [_known(item, key, unknown) for item in list_items(value)]
    return value


def proxied_load_balancers(resources: Iterable[PolicyResource]) -> list[PolicyResource]:
    """The load balancers that a proxied record points at (through its content)."""
    found: dict[str, PolicyResource] = {}
    for record in resources:
        if record.resource_type != DNS_RECORD:
            continue
        proxied = prop(record.props, "proxied")
        if not (is_true(proxied) or proxied is UNKNOWN):
            continue
        for target in record.property_dependencies.get("content") or []:
            if target.resource_type in LOAD_BALANCER_TYPES:
                found.setdefault(target.urn, target)
    return list(found.values())


def _check_group(
    resources: Iterable[PolicyResource], group: PolicyResource, ranges: list[str], report: ReportViolation
) -> bool:
    """Report the group's CIDR ingress from outside Cloudflare's ranges. Whether the group may admit Cloudflare on
    port 443: a Cloudflare CIDR or a prefix list (which may hold Cloudflare's ranges) does, and so may a rule whose
    sources or ports are unknown during preview (reported as such)."""
    admits_cloudflare = False
    for resource in resources:
        if resource.resource_type not in INGRESS_TYPES:
            continue
        if resource.urn != group.urn and not depends_on(resource, "securityGroupId", group.urn):
            continue
        unknown: set[str] = set()
        if resource.resource_type == SECURITY_GROUP:  # only its inline ingress (egress may be anything)
            props = {"ingress": _known(prop(resource.props, "ingress"), "ingress", unknown)}
        else:
            props = _known(resource.props, "", unknown)
        if resource.resource_type == SECURITY_GROUP_RULE and "type" not in unknown and props.get("type") != "ingress":
            continue
        deciding = sorted(DECIDING_KEYS[key] for key in unknown if key in DECIDING_KEYS)
        if deciding:
            report(unknown_message(", ".join(deciding), "literal values (Cloudflare's ranges, ports)"), resource.urn)
            admits_cloudflare = True
            continue
        for rule in ingress_of(resource.resource_type, props, resource.urn, group):
            outside = [cidr for cidr in rule.cidrs if not within(cidr, ranges)]
            if outside:
                report(
                    f"{rule.describe_ports()} is open to {', '.join(outside)}, outside Cloudflare's published ranges, "
                    "on the security group of a load balancer served through Cloudflare: anyone can reach it "
                    "directly and bypass Cloudflare's TLS settings, WAF and rate limits. Admit only Cloudflare's "
                    "ranges (https://www.cloudflare.com/ips/), or security groups.",
                    rule.urn,
                )
            if rule.covers(HTTPS_PORT) and (rule.from_prefix_list or any(within(c, ranges) for c in rule.cidrs)):
                admits_cloudflare = True
    return admits_cloudflare


def _cloudflare_only_origin(args: StackValidationArgs, report: ReportViolation) -> None:
    balancers = proxied_load_balancers(args.resources)
    if not balancers:
        args.not_applicable("no proxied Cloudflare DNS record points at a load balancer of the stack")
    ranges = [str(r) for r in setting(args, _ORIGIN_SCHEMA, "cloudflareRanges")]
    #: Whether each group checked so far may admit Cloudflare on port 443.
    admits: dict[str, bool] = {}
    unreachable: set[str] = set()
    for balancer in balancers:
        deps = balancer.property_dependencies.get("securityGroups") or []
        groups = [g for g in deps if g.resource_type == SECURITY_GROUP]
        if not groups:
            report(
                "This load balancer is served through Cloudflare but has no security group of this stack, so nobody "
                "can tell that only Cloudflare reaches it: pass security_groups=[<an aws.ec2.SecurityGroup of this "
                "program>.id] that admits only Cloudflare's ranges.",
                balancer.urn,
            )
            continue
        for group in groups:
            if group.urn not in admits:
                admits[group.urn] = _check_group(args.resources, group, ranges, report)
        if any(admits[group.urn] for group in groups) or groups[0].urn in unreachable:
            continue
        unreachable.add(groups[0].urn)
        several = len(groups) > 1
        report(
            f"The load balancer's security group{'s admit' if several else ' admits'} nothing from Cloudflare on port "
            "443, so the site, served through Cloudflare, is unreachable: add an aws.vpc.SecurityGroupIngressRule("
            'security_group_id=<this group>.id, ip_protocol="tcp", from_port=443, to_port=443, cidr_ipv4=<range>) '
            "for each of Cloudflare's ranges (cidr_ipv6 for the IPv6 ones).",
            groups[0].urn,
        )


alb_cloudflare_only_origin = StackValidationPolicy(
    name="aws-alb-cloudflare-only-origin",
    description="Checks that every security group of a load balancer served through Cloudflare (a proxied record "
    "points at it) admits CIDR sources only inside Cloudflare's published ranges (`cloudflareRanges`), and admits "
    "Cloudflare on 443.",
    validate=_cloudflare_only_origin,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_ORIGIN_SCHEMA,
    severity=Severity.HIGH,
    tags=["cloudflare", "load-balancer", "network", "checklist:firewall-only-80-443"],
    remediation_steps="Replace the load balancer group's CIDR ingress with one aws.vpc.SecurityGroupIngressRule per "
    "Cloudflare range (https://www.cloudflare.com/ips/) on ports 80 and 443, so that nobody bypasses Cloudflare by "
    "calling the load balancer directly.",
)

POLICIES = [
    cloudflare_web_records_proxied,
    cloudflare_records_no_private_targets,
    alb_cloudflare_only_origin,
]
