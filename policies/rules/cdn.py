"""Cloudflare zone rules: the zone settings of every zone the stack manages (strict TLS, HTTPS only, HSTS, no retired
setting, development mode off), and how the other Cloudflare rules find those zones.

The zones a stack manages are the literal ``zone_id`` values of its zone settings, DNS records and rulesets:
Cloudflare resources name their zone by id (the zone itself is not a resource of the program). Props arrive with
camelCase engine names; the value of a zone setting is passed through untranslated, so its keys stay snake_case
(``strict_transport_security``, ``max_age``).

Values unknown during a preview: a zone id that is unknown (the output of a zone the program creates) cannot be told
apart from another zone, so resources carrying one are judged together, as the zone they come from. Settings the
program writes literally (setting ids and values, phases, rules, rule expressions, header values) are reported when
unknown, with the advice to set them directly, so no rule passes silently or crashes on them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
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

from ._common import schema, setting
from ._props import (
    UNKNOWN,
    as_number,
    as_text,
    count_text,
    is_true,
    prop,
    unknown_message,
)

ZONE_SETTING = "cloudflare:index/zoneSetting:ZoneSetting"
DNS_RECORD = "cloudflare:index/dnsRecord:DnsRecord"
RULESET = "cloudflare:index/ruleset:Ruleset"
#: The resources that name the zone they belong to (``zone_id``).
ZONE_TYPES = (ZONE_SETTING, DNS_RECORD, RULESET)


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


# -- zones -------------------------------------------------------------------------------------------------------------
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


# -- strict TLS, HTTPS only, HSTS --------------------------------------------------------------------------------------
#: A year in seconds: the HSTS max_age browsers' preload lists require.
ONE_YEAR = 31536000
_HSTS_SCHEMA = schema(
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


def _zone_settings(args: StackValidationArgs, report: ReportViolation, required: Sequence[str], min_age: float) -> None:
    """Every zone the stack manages sets each of ``required`` strongly enough; a setting whose id is unknown during
    preview is reported (it may be one of them)."""
    for zone, first in managed_zones(args).items():
        settings = in_zone(args.resources, ZONE_SETTING, zone)
        unnamed = [s for s in settings if prop(s.props, "settingId") is UNKNOWN]
        for zone_setting in unnamed:
            report(
                unknown_message("setting_id", 'a literal setting name ("ssl", "min_tls_version", ...)'),
                zone_setting.urn,
            )
        for setting_id in required:
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


def _strict_tls(args: StackValidationArgs, report: ReportViolation) -> None:
    _zone_settings(args, report, (SSL, SSL_AUTOMATIC_MODE, MIN_TLS_VERSION), ONE_YEAR)


cloudflare_zone_strict_tls = StackValidationPolicy(
    name="cloudflare-zone-strict-tls",
    description="Checks that every Cloudflare zone the stack manages reaches the origin with SSL mode strict, with "
    "automatic SSL/TLS mode off (`ssl_automatic_mode` custom), and accepts TLS 1.2 or newer only.",
    validate=_strict_tls,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=["cloudflare", "cdn", "tls", "checklist:tls"],
    remediation_steps='Add cloudflare.ZoneSetting resources for the zone: ssl "strict", ssl_automatic_mode "custom" '
    'and min_tls_version "1.2"; give the origin a certificate Cloudflare trusts (ACM on the load balancer).',
)


def _always_https(args: StackValidationArgs, report: ReportViolation) -> None:
    _zone_settings(args, report, (ALWAYS_USE_HTTPS,), ONE_YEAR)


cloudflare_zone_always_https = StackValidationPolicy(
    name="cloudflare-zone-always-https",
    description="Checks that every Cloudflare zone the stack manages redirects plain HTTP to HTTPS "
    "(`always_use_https` on).",
    validate=_always_https,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=["cloudflare", "cdn", "tls", "checklist:http-to-https"],
    remediation_steps='Add a cloudflare.ZoneSetting for the zone with setting_id "always_use_https" and value "on".',
)


def _hsts(args: StackValidationArgs, report: ReportViolation) -> None:
    _zone_settings(args, report, (SECURITY_HEADER,), float(setting(args, _HSTS_SCHEMA, "minHstsMaxAgeSeconds")))


cloudflare_zone_hsts = StackValidationPolicy(
    name="cloudflare-zone-hsts",
    description="Checks that every Cloudflare zone the stack manages sends HSTS for at least a year "
    "(`minHstsMaxAgeSeconds`), and never asks for preload without includeSubDomains.",
    validate=_hsts,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_HSTS_SCHEMA,
    severity=Severity.HIGH,
    tags=["cloudflare", "cdn", "hsts", "checklist:security-headers", "prowler:zone_hsts_enabled"],
    remediation_steps='Add a cloudflare.ZoneSetting for the zone with setting_id "security_header" and value '
    '{"strict_transport_security": {"enabled": True, "max_age": 31536000, "nosniff": True}} (include_subdomains and '
    "preload only once every host of the domain serves HTTPS).",
)


# -- retired zone settings ---------------------------------------------------------------------------------------------
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
    description="Checks that no Cloudflare zone setting is one Cloudflare retired (brotli, minify, sha1_support, "
    "cname_flattening): they preview fine and fail on apply.",
    validate=_not_retired,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=["cloudflare", "cdn", "checklist:tls"],
    remediation_steps="Remove the cloudflare.ZoneSetting resources of retired settings; Cloudflare applies Brotli by "
    "itself, and Compression Rules (a ruleset of phase http_response_compression) choose algorithms per request.",
)


# -- rulesets ----------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Undecided:
    """A rule whose value ``field`` is unknown during preview."""

    field: str


def rule_disabled(rule: Any) -> bool | Undecided:
    enabled = prop(rule, "enabled")
    if enabled is UNKNOWN:
        return Undecided("enabled")
    return enabled is False or as_text(enabled).lower() == "false"


# -- development mode --------------------------------------------------------------------------------------------------
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
    description="Checks that no Cloudflare zone setting turns development mode on (it bypasses the cache and passes "
    "every request, and every origin error, straight through).",
    validate=_development_mode,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=["cloudflare", "cdn", "checklist:debug-off", "prowler:zone_development_mode_disabled"],
    remediation_steps=f'Set value="off" on the cloudflare.ZoneSetting with setting_id="{DEVELOPMENT_MODE}" (as '
    "webstack's Cdn component does), and purge the cache after a deployment instead of turning development mode on.",
)

POLICIES = [
    cloudflare_zone_strict_tls,
    cloudflare_zone_always_https,
    cloudflare_zone_hsts,
    cloudflare_zone_setting_not_retired,
    cloudflare_development_mode_off,
]
