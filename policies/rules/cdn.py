"""Cloudflare rules: the zone in front of the site serves it over strict TLS, proxies it, rate-limits it and runs
managed WAF rules on it, stays out of development mode, and the load balancer behind it takes traffic from Cloudflare
only; and every response carries the security headers, from Cloudflare and from the load balancer.

- ``cloudflare-zone-strict-tls``: every zone the stack manages has the zone settings ssl "strict" with
  ssl_automatic_mode "custom" (new zones default to automatic SSL/TLS, which overrides ssl: Cloudflare docs,
  "Automatic SSL/TLS"), min_tls_version "1.2" or "1.3", always_use_https "on", and a security_header that enables
  HSTS for at least ``minHstsMaxAgeSeconds`` (a year), and never preload without includeSubDomains.
- ``cloudflare-zone-setting-not-retired`` (resource rule): no zone setting is one Cloudflare has retired
  (:data:`RETIRED_ZONE_SETTINGS`): a retired setting previews fine and fails on apply.
- ``cloudflare-web-records-proxied``: every A, AAAA and CNAME record is proxied, except underscore records
  (certificate validation, ...); and none, underscore records included, points at a private, loopback, link-local,
  unique-local, unspecified or reserved address, or at a database or cache endpoint.
- ``cloudflare-rate-limiting``: every zone has an ``http_ratelimit`` ruleset with an enabled rule that blocks or
  challenges clients counted per IP and Cloudflare data center (``cf.colo.id``, ``ip.src``).
- ``cloudflare-managed-waf``: every zone has an ``http_request_firewall_managed`` ruleset with an enabled rule that
  executes one of the allowed Cloudflare managed rulesets (``managedRulesetIds``; the OWASP Core Ruleset alone does
  not count).
- ``aws-alb-cloudflare-only-origin``: every security group of a load balancer that a proxied record points at admits
  CIDR sources only inside Cloudflare's published ranges (``cloudflareRanges``), and admits Cloudflare on port 443.
- ``cloudflare-development-mode-off`` (resource rule): no zone setting turns development_mode on.
- ``security-headers-on-every-response``: every zone has an ``http_response_headers_transform`` ruleset whose
  enabled rules for every response (expression "true") set X-Frame-Options DENY or SAMEORIGIN (``frameOptions``),
  X-Content-Type-Options nosniff and a Content-Security-Policy; and every HTTPS listener sets the same three headers
  and HSTS for at least ``minHstsMaxAge`` seconds (a year). The load balancer is the only place for them in a stack
  without Cloudflare, and stays a second one behind it.

All but ``cloudflare-development-mode-off`` and ``cloudflare-zone-setting-not-retired`` are stack rules. The zones
a stack manages are the literal ``zone_id`` values of its zone settings, DNS records and rulesets: Cloudflare
resources name their zone by id (the zone itself is not a resource of the program). A record reaches a load
balancer or a data store through ``property_dependencies["content"]``, and a load balancer its security groups through
``property_dependencies["securityGroups"]``, never through names or ids, which are unknown during a preview. Props
arrive with camelCase engine names; the value of a zone setting is passed through untranslated, so its keys stay
snake_case (``strict_transport_security``, ``max_age``).

Values unknown during a preview: a zone id that is unknown (the output of a zone the program creates) cannot be told
apart from another zone, so resources carrying one are skipped. A record whose name, type or content comes from
another resource (the certificate's validation records) is checked on what is known: its content through its
dependencies, its proxying once name and type are known. Settings the program writes literally (setting ids and
values, proxied, phases, rules, rule expressions, header values, listener protocols, CIDRs, ports) are reported when
unknown, with the advice to set them directly, so no rule passes silently or crashes on them.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._common import INGRESS_TYPES, SECURITY_GROUP, SECURITY_GROUP_RULE, ingress_of, schema, setting, within
from ._props import (
    UNKNOWN,
    as_number,
    as_text,
    count_text,
    depends_on,
    is_list,
    is_true,
    item_label,
    list_items,
    prop,
    unknown_message,
)
from .load_balancer import LISTENER_TYPES, LOAD_BALANCER_TYPES

ZONE_SETTING = "cloudflare:index/zoneSetting:ZoneSetting"
DNS_RECORD = "cloudflare:index/dnsRecord:DnsRecord"
RULESET = "cloudflare:index/ruleset:Ruleset"
CERTIFICATE = "aws:acm/certificate:Certificate"
#: The resources that name the zone they belong to (``zone_id``).
ZONE_TYPES = (ZONE_SETTING, DNS_RECORD, RULESET)

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

RATE_LIMIT_PHASE = "http_ratelimit"
MANAGED_WAF_PHASE = "http_request_firewall_managed"
RATE_LIMIT_ACTIONS = ("block", "managed_challenge", "challenge", "js_challenge")
#: What a rate limit counts per: the client's IP at each Cloudflare data center (Cloudflare requires cf.colo.id).
RATE_LIMIT_CHARACTERISTICS = ("cf.colo.id", "ip.src")
EXECUTE = "execute"
CLOUDFLARE_MANAGED_RULESET = "efb7b8c949ac4650a09736fc376e9aee"
CLOUDFLARE_FREE_MANAGED_RULESET = "77454fe2d30c4220b5701f6fdfb893ba"
OWASP_CORE_RULESET = "4814384a9e5d4991b9815dcfc25d2f1f"
#: Cloudflare's managed rulesets by id, for messages.
MANAGED_RULESET_NAMES = {
    CLOUDFLARE_MANAGED_RULESET: "the Cloudflare Managed Ruleset",
    CLOUDFLARE_FREE_MANAGED_RULESET: "the Cloudflare Free Managed Ruleset",
    OWASP_CORE_RULESET: "the Cloudflare OWASP Core Ruleset",
}

HTTPS_PORT = 443
#: Cloudflare's published ranges (https://www.cloudflare.com/ips/).
CLOUDFLARE_RANGES = [
    "173.245.48.0/20",
    "103.21.244.0/22",
    "103.22.200.0/22",
    "103.31.4.0/22",
    "141.101.64.0/18",
    "108.162.192.0/18",
    "190.93.240.0/20",
    "188.114.96.0/20",
    "197.234.240.0/22",
    "198.41.128.0/17",
    "162.158.0.0/15",
    "104.16.0.0/13",
    "104.24.0.0/14",
    "172.64.0.0/13",
    "131.0.72.0/22",
    "2400:cb00::/32",
    "2606:4700::/32",
    "2803:f800::/32",
    "2405:b500::/32",
    "2405:8100::/32",
    "2a06:98c0::/29",
    "2c0f:f248::/32",
]


# -- zones -----------------------------------------------------------------------------------------------------------
def zone_of(resource: PolicyResource) -> str:
    """The zone a Cloudflare resource belongs to: its literal zone id; "" when it names none. An id that is unknown
    during preview (a zone the stack creates) is told apart by the resource it comes from."""
    value = prop(resource.props, "zoneId")
    if value is not UNKNOWN:
        return as_text(value)
    sources = resource.property_dependencies.get("zoneId") or []
    return f"<the zone of {sources[0].urn}>" if sources else "<a zone unknown during preview>"


def managed_zones(args: StackValidationArgs) -> dict[str, PolicyResource]:
    """Every zone the stack manages, with the first of its resources (where a missing setting is reported). Marks the
    rule not applicable when the stack has no Cloudflare zone resources at all."""
    resources = [r for r in args.resources if r.resource_type in ZONE_TYPES]
    if not resources:
        args.not_applicable("the stack manages no Cloudflare zone")
    zones: dict[str, PolicyResource] = {}
    for resource in resources:
        zone = zone_of(resource)
        if zone:
            zones.setdefault(zone, resource)
    return zones


def in_zone(resources: Iterable[PolicyResource], resource_type: str, zone: str) -> list[PolicyResource]:
    return [r for r in resources if r.resource_type == resource_type and zone_of(r) == zone]


# -- strict TLS ------------------------------------------------------------------------------------------------------
#: A year in seconds: the HSTS max_age browsers' preload lists require.
ONE_YEAR = 31536000
_TLS_SCHEMA = schema(
    {
        "minHstsMaxAgeSeconds": {
            "type": "number",
            "default": ONE_YEAR,
            "minimum": 0,
            "description": "Fewest seconds the zone's HSTS header (security_header) tells browsers to use HTTPS only.",
        },
    }
)
SSL = "ssl"
SSL_AUTOMATIC_MODE = "ssl_automatic_mode"
MIN_TLS_VERSION = "min_tls_version"
ALWAYS_USE_HTTPS = "always_use_https"
SECURITY_HEADER = "security_header"
#: Zone settings with a text value: the values accepted, the value to set, and what goes wrong otherwise.
TEXT_SETTINGS = {
    SSL: (
        ("strict",),
        '"strict"',
        "Cloudflare may reach the origin over plain HTTP, or over HTTPS without checking its certificate",
    ),
    SSL_AUTOMATIC_MODE: (
        ("custom",),
        '"custom"',
        "Cloudflare's automatic SSL/TLS mode, the default of new zones, chooses the encryption mode itself and may "
        'lower it below the ssl setting (Cloudflare docs, "Automatic SSL/TLS")',
    ),
    MIN_TLS_VERSION: (("1.2", "1.3"), '"1.2"', "visitors may connect with TLS 1.0 or 1.1"),
    ALWAYS_USE_HTTPS: (("on",), '"on"', "visitors may use the site over plain HTTP"),
}
HSTS_RISK = "browsers are not told to use the site over HTTPS only (HSTS)"
REQUIRED_SETTINGS = (*TEXT_SETTINGS, SECURITY_HEADER)


def _hsts_fix(min_age: float) -> str:
    """HSTS as webstack sets it: includeSubDomains and preload are each stack's choice (they bind the whole domain)."""
    return (
        f'{{"strict_transport_security": {{"enabled": True, "max_age": {count_text(max(min_age, ONE_YEAR))}, '
        '"nosniff": True}}'
    )


def _fix(setting_id: str, min_age: float) -> str:
    return _hsts_fix(min_age) if setting_id == SECURITY_HEADER else TEXT_SETTINGS[setting_id][1]


def _hsts_problem(value: Any, min_age: float) -> str:
    """Why a security_header value does not enable HSTS long enough; empty when it does."""
    if isinstance(value, str):  # the same object given as JSON text
        try:
            value = json.loads(value)
        except ValueError:
            value = None
    sts = prop(value, "strict_transport_security")
    enabled, max_age = prop(sts, "enabled"), prop(sts, "max_age")
    if any(v is UNKNOWN for v in (sts, enabled, max_age)):
        return unknown_message(f"The {SECURITY_HEADER} zone setting's value", _hsts_fix(min_age))
    if not isinstance(sts, Mapping):
        what = ["sets no strict_transport_security"]
    else:
        what = [] if is_true(enabled) else ["does not enable strict_transport_security"]
        age = as_number(max_age)
        if age is None:
            what.append("sets no max_age")
        elif age < min_age:
            what.append(f"sets max_age {count_text(age)}")
        preload, subdomains = prop(sts, "preload"), prop(sts, "include_subdomains")
        if preload is UNKNOWN or subdomains is UNKNOWN:
            return unknown_message(f"The {SECURITY_HEADER} zone setting's preload and include_subdomains", "booleans")
        if not what and is_true(preload) and not is_true(subdomains):
            return (
                f"The zone setting {SECURITY_HEADER} asks for preload without include_subdomains, which browsers' "
                "preload lists refuse (hstspreload.org requires includeSubDomains): set include_subdomains=True "
                "(webstack:cdn.hstsIncludeSubdomains) or drop preload."
            )
    if not what:
        return ""
    return (
        f"The zone setting {SECURITY_HEADER} {' and '.join(what)}, so browsers are not told to use the site over HTTPS "
        f"only for at least {count_text(min_age)} seconds (HSTS): set value={_hsts_fix(min_age)}."
    )


def _setting_problem(setting_id: str, value: Any, min_age: float) -> str:
    """Why a zone setting's value is weak; empty when it is strong enough."""
    if value is UNKNOWN:
        return unknown_message(f"The {setting_id} zone setting's value", _fix(setting_id, min_age))
    if setting_id == SECURITY_HEADER:
        return _hsts_problem(value, min_age)
    accepted, fix, risk = TEXT_SETTINGS[setting_id]
    text = as_text(value)
    if text in accepted:
        return ""
    shown = f'"{text}"' if text else "not set"
    return f"The zone setting {setting_id} is {shown}, so {risk}: set value={fix}."


def _missing_setting(zone: str, setting_id: str, min_age: float) -> str:
    risk = HSTS_RISK if setting_id == SECURITY_HEADER else TEXT_SETTINGS[setting_id][2]
    return (
        f'Zone {zone} has no {setting_id} zone setting, so {risk}: add a cloudflare.ZoneSetting(zone_id="{zone}", '
        f'setting_id="{setting_id}", value={_fix(setting_id, min_age)}).'
    )


def _strict_tls(args: StackValidationArgs, report: ReportViolation) -> None:
    min_age = float(setting(args, _TLS_SCHEMA, "minHstsMaxAgeSeconds"))
    for zone, first in managed_zones(args).items():
        settings = in_zone(args.resources, ZONE_SETTING, zone)
        unnamed = [s for s in settings if prop(s.props, "settingId") is UNKNOWN]
        for zone_setting in unnamed:
            report(
                unknown_message("setting_id", 'a literal setting name ("ssl", "min_tls_version", ...)'),
                zone_setting.urn,
            )
        for setting_id in REQUIRED_SETTINGS:
            problems = [
                (s, _setting_problem(setting_id, prop(s.props, "value"), min_age))
                for s in settings
                if as_text(prop(s.props, "settingId")) == setting_id
            ]
            if any(not problem for _, problem in problems):
                continue
            if problems:
                weakest, problem = problems[0]
                report(problem, weakest.urn)
            elif not unnamed:  # a setting whose id is unknown may be this one
                report(_missing_setting(zone, setting_id, min_age), first.urn)


cloudflare_zone_strict_tls = StackValidationPolicy(
    name="cloudflare-zone-strict-tls",
    description="Checks that every Cloudflare zone the stack manages reaches the origin with SSL mode strict, accepts "
    "TLS 1.2 or newer only, redirects HTTP to HTTPS, and sends HSTS for at least a year (configurable).",
    validate=_strict_tls,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_TLS_SCHEMA,
    severity=Severity.HIGH,
    tags=[
        "cloudflare",
        "cdn",
        "tls",
        "hsts",
        "checklist:tls",
        "checklist:http-to-https",
        "checklist:security-headers",
        "prowler:zone_hsts_enabled",
    ],
    remediation_steps='Add cloudflare.ZoneSetting resources for the zone: ssl "strict", ssl_automatic_mode "custom", '
    'min_tls_version "1.2", always_use_https "on", and security_header {"strict_transport_security": {"enabled": True, '
    '"max_age": 31536000, "nosniff": True}} (include_subdomains and preload only once every host of the domain serves '
    "HTTPS); give the origin a certificate Cloudflare trusts (ACM on the load balancer).",
)


# -- retired zone settings -------------------------------------------------------------------------------------------
#: Zone settings Cloudflare has retired, with when and the source: writing one previews fine and fails on apply (as
#: ``sha1_support`` did: terraform-provider-cloudflare PR #5296).
RETIRED_ZONE_SETTINGS = {
    "brotli": "reached end of life in 2024 (Cloudflare API deprecations page, end of life moved from 2024-06-14 to "
    "2024-08-15; cloudflare/cloudflare-docs#14443): Cloudflare compresses with Brotli by itself, and Compression "
    "Rules choose the algorithm",
    "minify": "was retired with Auto Minify in 2024 (terraform-provider-cloudflare's v5 migration guide drops it as "
    "deprecated)",
    "sha1_support": "was retired (terraform-provider-cloudflare PR #5296)",
    "cname_flattening": "moved from the zone settings API to the DNS settings API on 2025-03-21 (Cloudflare API "
    "deprecations page)",
}


def _not_retired(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != ZONE_SETTING:
        return
    setting_id = prop(args.props, "settingId")
    if setting_id is UNKNOWN:
        report(unknown_message("setting_id", "a literal setting name"), None)
        return
    retired = RETIRED_ZONE_SETTINGS.get(as_text(setting_id))
    if retired:
        report(
            f"The zone setting {as_text(setting_id)} {retired}; writing it fails when the stack is deployed: remove "
            "the cloudflare.ZoneSetting (its deletion changes nothing in the zone).",
            None,
        )


cloudflare_zone_setting_not_retired = ResourceValidationPolicy(
    name="cloudflare-zone-setting-not-retired",
    description="Checks that no Cloudflare zone setting is one Cloudflare has retired (brotli, minify, sha1_support, "
    "cname_flattening): they preview fine and fail on apply.",
    validate=_not_retired,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=["cloudflare", "cdn", "checklist:tls"],
    remediation_steps="Remove the cloudflare.ZoneSetting resources of retired settings; Cloudflare applies Brotli by "
    "itself, and Compression Rules (a ruleset of phase http_response_compression) choose algorithms per request.",
)


# -- proxied records -------------------------------------------------------------------------------------------------
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


def _record_problems(record: PolicyResource) -> list[str]:
    props = record.props
    raw_type, name, proxied = prop(props, "type"), prop(props, "name"), prop(props, "proxied")
    record_type = UNKNOWN if raw_type is UNKNOWN else as_text(raw_type).upper()
    if record_type is not UNKNOWN and record_type not in WEB_RECORD_TYPES:
        return []
    what = _record(record_type, name)
    problems: list[str] = []
    # Underscore records (certificate validation, ...) are not web records. A name or type that is unknown during
    # preview is a certificate's validation record when it comes from the certificate; any other cannot be judged.
    if record_type is UNKNOWN or name is UNKNOWN:
        if not _from_certificate(record):
            problems.append(unknown_message("type" if record_type is UNKNOWN else "name", "a literal value"))
    elif not as_text(name).startswith("_"):
        if proxied is UNKNOWN:
            problems.append(unknown_message("proxied", "True"))
        elif not is_true(proxied):
            problems.append(
                f"{what} is not proxied, so it publishes the origin's address and its traffic bypasses Cloudflare's "
                "TLS settings, WAF and rate limits: set proxied=True (with ttl=1, automatic)."
            )
    target = _target_problem(record, what, prop(props, "content"))
    if target:
        problems.append(target)
    return problems


def _records_proxied(args: StackValidationArgs, report: ReportViolation) -> None:
    records = [r for r in args.resources if r.resource_type == DNS_RECORD]
    if not records:
        args.not_applicable("the stack has no Cloudflare DNS records")
    for record in records:
        for problem in _record_problems(record):
            report(problem, record.urn)


cloudflare_web_records_proxied = StackValidationPolicy(
    name="cloudflare-web-records-proxied",
    description="Checks that every Cloudflare A, AAAA and CNAME record except underscore records is proxied, and "
    "that no record points at a private, loopback or link-local address or at a database or cache endpoint.",
    validate=_records_proxied,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=["cloudflare", "dns", "checklist:db-not-public", "prowler:dns_record_proxied"],
    remediation_steps="Set proxied=True (ttl=1) on the site's records, which point at the load balancer; keep only "
    "certificate-validation and other underscore records unproxied, and remove records that name private addresses, "
    "databases or caches.",
)


# -- rulesets --------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Undecided:
    """A rule whose value ``field`` is unknown during preview."""

    field: str


#: Why a rule does not count ("" when it does), or which of its values is unknown.
Judge = Callable[[Any], str | _Undecided]


def _disabled(rule: Any) -> bool | _Undecided:
    enabled = prop(rule, "enabled")
    if enabled is UNKNOWN:
        return _Undecided("enabled")
    return enabled is False or as_text(enabled).lower() == "false"


def _ruleset_problem(ruleset: PolicyResource, judge: Judge, weak: Callable[[list[str]], str]) -> str:
    """Empty when one of the ruleset's rules counts; else the violation: what is unknown, or ``weak`` of why each rule
    does not count."""
    rules = prop(ruleset.props, "rules")
    if rules is UNKNOWN:
        return unknown_message("rules", "a literal list of rules")
    reasons: list[str] = []
    unknown: list[str] = []
    for index, rule in enumerate(list_items(rules)):
        verdict = _Undecided("") if rule is UNKNOWN else judge(rule)
        if isinstance(verdict, _Undecided):
            unknown.append(f"rules[{index}]{'.' if verdict.field else ''}{verdict.field}")
        elif not verdict:
            return ""
        else:
            reasons.append(f"rule {item_label(rule, index, 'description', 'ref')} {verdict}")
    if unknown:
        return unknown_message(", ".join(unknown), "literal values")
    return weak(reasons)


def _check_rulesets(
    args: StackValidationArgs, report: ReportViolation, phase: str, judge: Judge,
    weak: Callable[[list[str]], str], missing: Callable[[str], str],
) -> None:  # fmt: skip
    """Every managed zone has a ruleset of ``phase`` with a rule that counts."""
    for zone, first in managed_zones(args).items():
        found: list[tuple[PolicyResource, str]] = []
        for ruleset in in_zone(args.resources, RULESET, zone):
            value = prop(ruleset.props, "phase")
            if value is UNKNOWN:
                found.append((ruleset, unknown_message("phase", f'a literal phase such as "{phase}"')))
            elif as_text(value) == phase:
                found.append((ruleset, _ruleset_problem(ruleset, judge, weak)))
        if any(not problem for _, problem in found):
            continue
        for ruleset, problem in found:
            report(problem, ruleset.urn)
        if not found:
            report(missing(zone), first.urn)


# -- rate limiting ---------------------------------------------------------------------------------------------------
RATE_LIMIT_EXAMPLE = (
    '{action: "block", expression: "true", ratelimit: {characteristics: ["cf.colo.id", "ip.src"], period: 60, '
    "requests_per_period: 600, mitigation_timeout: 60}}"
)


def _rate_limit_verdict(rule: Any) -> str | _Undecided:
    disabled = _disabled(rule)
    if disabled is True or isinstance(disabled, _Undecided):
        return "is disabled" if disabled is True else disabled
    action = prop(rule, "action")
    if action is UNKNOWN:
        return _Undecided("action")
    if as_text(action) not in RATE_LIMIT_ACTIONS:
        return f"has action '{as_text(action)}'" if as_text(action) else "has no action"
    limit = prop(rule, "ratelimit")
    if limit is UNKNOWN:
        return _Undecided("ratelimit")
    if not isinstance(limit, Mapping):
        return "has no ratelimit"
    characteristics = prop(limit, "characteristics")
    items = list_items(characteristics)
    if characteristics is UNKNOWN or any(item is UNKNOWN for item in items):
        return _Undecided("ratelimit.characteristics")
    missing = [c for c in RATE_LIMIT_CHARACTERISTICS if c not in {as_text(item) for item in items}]
    if missing:
        return f"does not count per {' and '.join(missing)}"
    period, requests = prop(limit, "period"), prop(limit, "requestsPerPeriod")
    if period is UNKNOWN or requests is UNKNOWN:
        return _Undecided("ratelimit.period" if period is UNKNOWN else "ratelimit.requests_per_period")
    if as_number(period) is None:
        return "has no period"
    count = as_number(requests)
    if count is None or count <= 0:
        return "has no requests_per_period above 0"
    return ""


def _rate_limit_weak(reasons: list[str]) -> str:
    why = "; ".join(reasons) if reasons else "it has no rules"
    return (
        f"The rate limiting ruleset has no rule that limits clients ({why}): add an enabled rule with action "
        f'"block" (or managed_challenge, challenge, js_challenge) such as {RATE_LIMIT_EXAMPLE}.'
    )


def _rate_limit_missing(zone: str) -> str:
    return (
        f"Zone {zone} has no rate limiting ruleset, so one client can flood the site and guess passwords: add a "
        f'cloudflare.Ruleset(zone_id="{zone}", kind="zone", phase="{RATE_LIMIT_PHASE}", rules=[{RATE_LIMIT_EXAMPLE}]).'
    )


def _rate_limiting(args: StackValidationArgs, report: ReportViolation) -> None:
    _check_rulesets(args, report, RATE_LIMIT_PHASE, _rate_limit_verdict, _rate_limit_weak, _rate_limit_missing)


cloudflare_rate_limiting = StackValidationPolicy(
    name="cloudflare-rate-limiting",
    description="Checks that every Cloudflare zone the stack manages has an http_ratelimit ruleset with an enabled "
    "rule that blocks or challenges clients counted per IP and data center, with a period and a request limit.",
    validate=_rate_limiting,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=["cloudflare", "waf", "checklist:rate-limiting", "prowler:zone_rate_limiting"],
    remediation_steps=f'Add a cloudflare.Ruleset(kind="zone", phase="{RATE_LIMIT_PHASE}") for the zone with rules '
    'whose action is "block" and whose ratelimit counts per ["cf.colo.id", "ip.src"] with a period and '
    "requests_per_period (e.g. API 600 per 60 s, login 10 per 60 s), with mitigation_timeout.",
)


# -- managed WAF -----------------------------------------------------------------------------------------------------
_WAF_SCHEMA = schema(
    {
        "managedRulesetIds": {
            "type": "array",
            "items": {"type": "string"},
            "default": [CLOUDFLARE_MANAGED_RULESET, CLOUDFLARE_FREE_MANAGED_RULESET],
            "description": "Ids of the Cloudflare managed rulesets of which each zone must execute one (default: the "
            "Cloudflare Managed Ruleset and the Cloudflare Free Managed Ruleset).",
        },
    }
)


def _ruleset_name(ruleset_id: str) -> str:
    if not ruleset_id:
        return "no ruleset"
    return f"{MANAGED_RULESET_NAMES[ruleset_id]} ({ruleset_id})" if ruleset_id in MANAGED_RULESET_NAMES else ruleset_id


def _waf_example(allowed: Sequence[str]) -> str:
    return f'{{action: "{EXECUTE}", expression: "true", action_parameters: {{id: "{allowed[0]}"}}}}'


def _managed_waf(args: StackValidationArgs, report: ReportViolation) -> None:
    allowed = [str(i) for i in setting(args, _WAF_SCHEMA, "managedRulesetIds")] or [CLOUDFLARE_MANAGED_RULESET]
    names = " or ".join(_ruleset_name(i) for i in allowed)

    def verdict(rule: Any) -> str | _Undecided:
        disabled = _disabled(rule)
        if disabled is True or isinstance(disabled, _Undecided):
            return "is disabled" if disabled is True else disabled
        action = prop(rule, "action")
        if action is UNKNOWN:
            return _Undecided("action")
        if as_text(action) != EXECUTE:
            return f"has action '{as_text(action)}'" if as_text(action) else "has no action"
        parameters = prop(rule, "actionParameters")
        ruleset_id = prop(parameters, "id")
        if parameters is UNKNOWN or ruleset_id is UNKNOWN:
            return _Undecided("action_parameters.id")
        if as_text(ruleset_id) not in allowed:
            return f"executes {_ruleset_name(as_text(ruleset_id))}"
        return ""

    def weak(reasons: list[str]) -> str:
        why = "; ".join(reasons) if reasons else "it has no rules"
        return (
            f"The managed WAF ruleset executes none of the required managed rulesets ({why}): add an enabled rule "
            f"{_waf_example(allowed)} that executes {names}; the OWASP Core Ruleset alone does not count."
        )

    def missing(zone: str) -> str:
        return (
            f"Zone {zone} runs no managed WAF rules, so known attacks (SQL injection, cross-site scripting, known "
            f'CVEs) reach the origin: add a cloudflare.Ruleset(zone_id="{zone}", kind="zone", '
            f'phase="{MANAGED_WAF_PHASE}", rules=[{_waf_example(allowed)}]) executing {names}.'
        )

    _check_rulesets(args, report, MANAGED_WAF_PHASE, verdict, weak, missing)


cloudflare_managed_waf = StackValidationPolicy(
    name="cloudflare-managed-waf",
    description="Checks that every Cloudflare zone the stack manages has an http_request_firewall_managed ruleset "
    "with an enabled rule that executes the Cloudflare Managed Ruleset or the Cloudflare Free Managed Ruleset "
    "(configurable).",
    validate=_managed_waf,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_WAF_SCHEMA,
    severity=Severity.HIGH,
    tags=["cloudflare", "waf", "checklist:rate-limiting", "prowler:zone_waf_owasp"],
    remediation_steps=f'Add a cloudflare.Ruleset(kind="zone", phase="{MANAGED_WAF_PHASE}") for the zone with a rule '
    f'{{action: "execute", expression: "true", action_parameters: {{id: "{CLOUDFLARE_MANAGED_RULESET}"}}}} (the '
    f'Cloudflare Managed Ruleset; "{CLOUDFLARE_FREE_MANAGED_RULESET}" on the Free plan), and the OWASP Core Ruleset '
    "next to it if wanted.",
)


# -- development mode ------------------------------------------------------------------------------------------------
DEVELOPMENT_MODE = "development_mode"


def _development_mode(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != ZONE_SETTING:
        return
    setting_id = prop(args.props, "settingId")
    if setting_id is UNKNOWN:
        report(unknown_message("setting_id", f'a literal setting name (such as "{DEVELOPMENT_MODE}")'), None)
        return
    if as_text(setting_id) != DEVELOPMENT_MODE:
        return
    value = prop(args.props, "value")
    if value is UNKNOWN:
        report(unknown_message(f"The {DEVELOPMENT_MODE} zone setting's value", '"off"'), None)
    elif as_text(value).lower() in ("on", "true", "1"):
        report(
            "Development mode is on, so Cloudflare bypasses its cache and passes every request to the origin, whose "
            'errors then reach visitors with nothing cached to fall back on: set value="off" (Cloudflare turns it '
            "off by itself after three hours, and the next deployment would turn it on again).",
            None,
        )


cloudflare_development_mode_off = ResourceValidationPolicy(
    name="cloudflare-development-mode-off",
    description="Checks that no Cloudflare zone setting turns development mode on (it bypasses the cache and sends "
    "every request, and every origin error, straight through).",
    validate=_development_mode,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=["cloudflare", "cdn", "checklist:debug-off", "prowler:zone_development_mode_disabled"],
    remediation_steps=f'Set value="off" on the cloudflare.ZoneSetting with setting_id="{DEVELOPMENT_MODE}" (as '
    "webstack's Cdn component does), and purge the cache after a deployment instead of turning development mode on.",
)


# -- security headers ------------------------------------------------------------------------------------------------
HEADERS_PHASE = "http_response_headers_transform"
REWRITE = "rewrite"
#: Header operations that put the header on the response ("remove" takes it away).
HEADER_OPERATIONS = ("set", "add")
X_FRAME_OPTIONS = "X-Frame-Options"
X_CONTENT_TYPE_OPTIONS = "X-Content-Type-Options"
CONTENT_SECURITY_POLICY = "Content-Security-Policy"
STRICT_TRANSPORT_SECURITY = "Strict-Transport-Security"
NOSNIFF = "nosniff"
#: What goes wrong without each header.
HEADER_RISKS = {
    X_FRAME_OPTIONS: "other sites can frame the pages (clickjacking)",
    X_CONTENT_TYPE_OPTIONS: "browsers may sniff a response's type and run an upload as a script",
    CONTENT_SECURITY_POLICY: "an injected script runs with nothing to restrict it",
    STRICT_TRANSPORT_SECURITY: "browsers are not told to use the site over HTTPS only",
}
#: The listener arguments that set each header: engine name, argument name.
LISTENER_HEADERS = {
    STRICT_TRANSPORT_SECURITY: (
        "routingHttpResponseStrictTransportSecurityHeaderValue",
        "routing_http_response_strict_transport_security_header_value",
    ),
    X_CONTENT_TYPE_OPTIONS: (
        "routingHttpResponseXContentTypeOptionsHeaderValue",
        "routing_http_response_x_content_type_options_header_value",
    ),
    X_FRAME_OPTIONS: (
        "routingHttpResponseXFrameOptionsHeaderValue",
        "routing_http_response_x_frame_options_header_value",
    ),
    CONTENT_SECURITY_POLICY: (
        "routingHttpResponseContentSecurityPolicyHeaderValue",
        "routing_http_response_content_security_policy_header_value",
    ),
}
CSP_EXAMPLE = "default-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'self'"
_MAX_AGE = re.compile(r"""(?:^|;)\s*max-age\s*=\s*"?(\d+)"?\s*(?:;|$)""", re.IGNORECASE)
_PRELOAD = re.compile(r"(?:^|;)\s*preload\s*(?:;|$)", re.IGNORECASE)
_SUBDOMAINS = re.compile(r"(?:^|;)\s*includesubdomains\s*(?:;|$)", re.IGNORECASE)
_HEADERS_SCHEMA = schema(
    {
        "minHstsMaxAge": {
            "type": "number",
            "default": ONE_YEAR,
            "minimum": 0,
            "description": "Fewest seconds an HTTPS listener's Strict-Transport-Security header (max-age) tells "
            "browsers to use HTTPS only.",
        },
        "frameOptions": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["DENY", "SAMEORIGIN"],
            "description": "X-Frame-Options values accepted (compared case-insensitively).",
        },
    }
)


def _header_fixes(frame_options: Sequence[str]) -> dict[str, str]:
    """The value to advise for each header: SAMEORIGIN, as webstack sets it, unless the configuration refuses it."""
    accepted = [o.strip().upper() for o in frame_options]
    return {
        X_FRAME_OPTIONS: "SAMEORIGIN" if "SAMEORIGIN" in accepted or not accepted else accepted[0],
        X_CONTENT_TYPE_OPTIONS: NOSNIFF,
        CONTENT_SECURITY_POLICY: CSP_EXAMPLE,
    }


def _header_problem(header: str, value: str | None, frame_options: Sequence[str]) -> str:
    """Why a header's value (None: the header is not set) does not count; empty when it does."""
    if value is None or not value.strip():
        return f"sets no {header}"
    if header == X_FRAME_OPTIONS and value.strip().upper() not in {o.strip().upper() for o in frame_options}:
        return f"sets {header} to '{value.strip()}'"
    if header == X_CONTENT_TYPE_OPTIONS and value.strip().lower() != NOSNIFF:
        return f"sets {header} to '{value.strip()}'"
    return ""


def _risks(headers: Iterable[str]) -> str:
    return ", ".join(HEADER_RISKS[header] for header in headers)


def _rule_headers(rule: Any, found: dict[str, str], unknown: list[str], where: str) -> None:
    """Apply an enabled rule for every response to ``found`` (lowercase header name -> value), as Cloudflare runs
    rules in order: a later rule's value replaces an earlier one's, and "remove" takes the header away. The values that
    keep the rule from being judged go to ``unknown``."""
    disabled = _disabled(rule)
    if isinstance(disabled, _Undecided):
        unknown.append(f"{where}.enabled")
        return
    if disabled:
        return
    action, expression = prop(rule, "action"), prop(rule, "expression")
    if action is UNKNOWN or expression is UNKNOWN:
        unknown.append(f"{where}.{'action' if action is UNKNOWN else 'expression'}")
        return
    if as_text(action) != REWRITE or as_text(expression).lower() != "true":
        return
    parameters = prop(rule, "actionParameters")
    headers = prop(parameters, "headers")
    if parameters is UNKNOWN or headers is UNKNOWN:
        unknown.append(f"{where}.action_parameters.headers")
        return
    if not isinstance(headers, Mapping):
        return
    wanted = {h.lower() for h in (X_FRAME_OPTIONS, X_CONTENT_TYPE_OPTIONS, CONTENT_SECURITY_POLICY)}
    for name in headers:
        if str(name).lower() not in wanted:
            continue
        header = prop(headers, str(name))
        operation, value = prop(header, "operation"), prop(header, "value")
        if header is UNKNOWN or operation is UNKNOWN or value is UNKNOWN:
            unknown.append(f"{where}.action_parameters.headers[{name}]")
        elif as_text(operation).lower() in HEADER_OPERATIONS:
            found[str(name).lower()] = as_text(value)
        elif as_text(operation).lower() == "remove":
            found.pop(str(name).lower(), None)


def _zone_header_problems(
    zone: str, first: PolicyResource, resources: Sequence[PolicyResource], frame_options: Sequence[str]
) -> list[tuple[str, str]]:
    """The (urn, message) violations of one zone's response-header rules."""
    fixes = _header_fixes(frame_options)
    example = (
        '{action: "rewrite", expression: "true", action_parameters: {headers: {'
        + ", ".join(f'"{h}": {{operation: "set", value: "{v}"}}' for h, v in fixes.items())
        + "}}}"
    )
    found: dict[str, str] = {}
    unknown: list[tuple[str, str]] = []
    rulesets: list[PolicyResource] = []
    for ruleset in in_zone(resources, RULESET, zone):
        phase = prop(ruleset.props, "phase")
        if phase is UNKNOWN:
            unknown.append((ruleset.urn, unknown_message("phase", f'a literal phase such as "{HEADERS_PHASE}"')))
            continue
        if as_text(phase) != HEADERS_PHASE:
            continue
        rulesets.append(ruleset)
        rules = prop(ruleset.props, "rules")
        if rules is UNKNOWN:
            unknown.append((ruleset.urn, unknown_message("rules", "a literal list of rules")))
            continue
        fields: list[str] = []
        for index, rule in enumerate(list_items(rules)):
            if rule is UNKNOWN:
                fields.append(f"rules[{index}]")
            else:
                _rule_headers(rule, found, fields, f"rules[{index}]")
        if fields:
            unknown.append((ruleset.urn, unknown_message(", ".join(fields), "literal values")))
    problems = [
        (header, problem)
        for header in (X_FRAME_OPTIONS, X_CONTENT_TYPE_OPTIONS, CONTENT_SECURITY_POLICY)
        if (problem := _header_problem(header, found.get(header.lower()), frame_options))
    ]
    if not problems:
        return []
    if unknown:  # what is unknown may set the missing headers
        return unknown
    if not rulesets:
        return [
            (
                first.urn,
                f"Zone {zone} has no {HEADERS_PHASE} ruleset, so Cloudflare adds no security headers and "
                f'{_risks(h for h, _ in problems)}: add a cloudflare.Ruleset(zone_id="{zone}", kind="zone", '
                f'phase="{HEADERS_PHASE}", rules=[{example}]).',
            )
        ]
    return [
        (
            rulesets[0].urn,
            f'The zone\'s response header rules for every response (enabled, expression "true") '
            f"{' and '.join(p for _, p in problems)}, so {_risks(h for h, _ in problems)}: set "
            + ", ".join(f'"{h}": {{operation: "set", value: "{fixes[h]}"}}' for h, _ in problems)
            + ' in the headers of an enabled rule with expression "true" and action "rewrite".',
        )
    ]


def _hsts_max_age(value: str) -> int | None:
    match = _MAX_AGE.search(value)
    return int(match.group(1)) if match else None


def _listener_problems(listener: PolicyResource, min_age: float, frame_options: Sequence[str]) -> list[str]:
    """The violations of one HTTPS listener's response headers."""
    hsts_fix = f"max-age={count_text(max(min_age, ONE_YEAR))}"
    fixes = {STRICT_TRANSPORT_SECURITY: hsts_fix, **_header_fixes(frame_options)}
    unknown: list[str] = []
    problems: list[tuple[str, str]] = []
    for header, (key, argument) in LISTENER_HEADERS.items():
        value = prop(listener.props, key)
        if value is UNKNOWN:
            unknown.append(argument)
            continue
        text = as_text(value)
        if header != STRICT_TRANSPORT_SECURITY:
            problem = _header_problem(header, text or None, frame_options)
        elif not text:
            problem = f"sets no {header}"
        elif (age := _hsts_max_age(text)) is None:
            problem = f"sets {header} '{text}' without a max-age"
        elif age < min_age:
            problem = f"sets {header} max-age {age}, under {count_text(min_age)} seconds"
        elif _PRELOAD.search(text) and not _SUBDOMAINS.search(text):
            problem = (
                f"sets {header} '{text}' with preload but without includeSubDomains, which browsers' preload lists "
                "refuse"
            )
        else:
            problem = ""
        if problem:
            problems.append((header, problem))
    found: list[str] = []
    if unknown:
        found.append(unknown_message(", ".join(unknown), "literal header values"))
    if problems:
        found.append(
            f"This HTTPS listener {' and '.join(p for _, p in problems)}, so {_risks(h for h, _ in problems)}: set "
            + ", ".join(f'{LISTENER_HEADERS[h][1]}="{fixes[h]}"' for h, _ in problems)
            + " on the aws.lb.Listener."
        )
    return found


def _security_headers(args: StackValidationArgs, report: ReportViolation) -> None:
    zone_resources = [r for r in args.resources if r.resource_type in ZONE_TYPES]
    listeners = [r for r in args.resources if r.resource_type in LISTENER_TYPES]
    https = [r for r in listeners if as_text(prop(r.props, "protocol")).upper() == "HTTPS"]
    undecided = [r for r in listeners if prop(r.props, "protocol") is UNKNOWN]
    if not zone_resources and not https and not undecided:
        args.not_applicable("the stack has neither a Cloudflare zone nor an HTTPS listener")
    for listener in undecided:
        report(unknown_message("protocol", '"HTTPS" or "HTTP"'), listener.urn)
    frame_options = [str(o) for o in setting(args, _HEADERS_SCHEMA, "frameOptions")] or ["SAMEORIGIN"]
    min_age = float(setting(args, _HEADERS_SCHEMA, "minHstsMaxAge"))
    if zone_resources:
        for zone, first in managed_zones(args).items():
            for urn, message in _zone_header_problems(zone, first, args.resources, frame_options):
                report(message, urn)
    for listener in https:
        for message in _listener_problems(listener, min_age, frame_options):
            report(message, listener.urn)


security_headers_on_every_response = StackValidationPolicy(
    name="security-headers-on-every-response",
    description="Checks that every Cloudflare zone adds X-Frame-Options (DENY or SAMEORIGIN), X-Content-Type-Options "
    "nosniff and a Content-Security-Policy to every response, and that every HTTPS listener adds the same three and "
    "HSTS for at least a year (configurable).",
    validate=_security_headers,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_HEADERS_SCHEMA,
    severity=Severity.MEDIUM,
    tags=["cloudflare", "load-balancer", "hsts", "checklist:security-headers"],
    remediation_steps=f'Add a cloudflare.Ruleset(kind="zone", phase="{HEADERS_PHASE}") with an enabled rule '
    '{action: "rewrite", expression: "true"} that sets X-Frame-Options "SAMEORIGIN", X-Content-Type-Options "nosniff" '
    "and a Content-Security-Policy; and set routing_http_response_strict_transport_security_header_value="
    '"max-age=31536000", routing_http_response_x_content_type_options_header_value='
    '"nosniff", routing_http_response_x_frame_options_header_value="SAMEORIGIN" and '
    "routing_http_response_content_security_policy_header_value on every HTTPS aws.lb.Listener (webstack's "
    "LoadBalancer takes the CSP from webstack:cdn.contentSecurityPolicy).",
)


# -- the origin takes traffic from Cloudflare only -------------------------------------------------------------------
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


def _proxied_load_balancers(resources: Iterable[PolicyResource]) -> list[PolicyResource]:
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
    balancers = _proxied_load_balancers(args.resources)
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
    "points at it) admits CIDR sources only inside Cloudflare's published ranges, and admits Cloudflare on port 443.",
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
    cloudflare_zone_strict_tls,
    cloudflare_zone_setting_not_retired,
    cloudflare_web_records_proxied,
    cloudflare_rate_limiting,
    cloudflare_managed_waf,
    cloudflare_development_mode_off,
    security_headers_on_every_response,
    alb_cloudflare_only_origin,
]
