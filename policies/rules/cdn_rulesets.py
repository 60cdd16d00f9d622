"""Cloudflare ruleset rules: every zone rate-limits clients and runs Cloudflare's managed WAF rules.

A zone's rulesets are its ``cloudflare.Ruleset`` resources of a phase; one rule that counts is enough, and a rule
whose deciding values are unknown during a preview is reported rather than passed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._common import schema, setting
from ._props import (
    UNKNOWN,
    as_number,
    as_text,
    item_label,
    list_items,
    prop,
    unknown_message,
)
from .cdn import RULESET, Undecided, in_zone, managed_zones, rule_disabled

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


#: Why a rule does not count ("" when it does), or which of its values is unknown.
Judge = Callable[[Any], str | Undecided]


def _ruleset_problem(ruleset: PolicyResource, judge: Judge, weak: Callable[[list[str]], str]) -> str:
    """Empty when one of the ruleset's rules counts; else the violation: what is unknown, or ``weak`` of why each rule
    does not count."""
    rules = prop(ruleset.props, "rules")
    if rules is UNKNOWN:
        return unknown_message("rules", "a literal list of rules")
    reasons: list[str] = []
    unknown: list[str] = []
    for index, rule in enumerate(list_items(rules)):
        verdict = Undecided("") if rule is UNKNOWN else judge(rule)
        if isinstance(verdict, Undecided):
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


# -- rate limiting -----------------------------------------------------------------------------------------------------
RATE_LIMIT_EXAMPLE = (
    '{action: "block", expression: "true", ratelimit: {characteristics: ["cf.colo.id", "ip.src"], period: 60, '
    "requests_per_period: 600, mitigation_timeout: 60}}"
)


def _rate_limit_verdict(rule: Any) -> str | Undecided:
    disabled = rule_disabled(rule)
    if disabled is True or isinstance(disabled, Undecided):
        return "is disabled" if disabled is True else disabled
    action = prop(rule, "action")
    if action is UNKNOWN:
        return Undecided("action")
    if as_text(action) not in RATE_LIMIT_ACTIONS:
        return f"has action '{as_text(action)}'" if as_text(action) else "has no action"
    limit = prop(rule, "ratelimit")
    if limit is UNKNOWN:
        return Undecided("ratelimit")
    if not isinstance(limit, Mapping):
        return "has no ratelimit"
    characteristics = prop(limit, "characteristics")
    items = list_items(characteristics)
    if characteristics is UNKNOWN or any(item is UNKNOWN for item in items):
        return Undecided("ratelimit.characteristics")
    missing = [c for c in RATE_LIMIT_CHARACTERISTICS if c not in {as_text(item) for item in items}]
    if missing:
        return f"does not count per {' and '.join(missing)}"
    period, requests = prop(limit, "period"), prop(limit, "requestsPerPeriod")
    if period is UNKNOWN or requests is UNKNOWN:
        return Undecided("ratelimit.period" if period is UNKNOWN else "ratelimit.requests_per_period")
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
    description="Checks that every Cloudflare zone the stack manages has a rate-limiting ruleset (`http_ratelimit`) "
    "with an enabled rule that blocks or challenges clients counted per data centre and client IP, with a period and "
    "a request limit.",
    validate=_rate_limiting,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=["cloudflare", "waf", "checklist:rate-limiting", "prowler:zone_rate_limiting"],
    remediation_steps=f'Add a cloudflare.Ruleset(kind="zone", phase="{RATE_LIMIT_PHASE}") for the zone with rules '
    'whose action is "block" and whose ratelimit counts per ["cf.colo.id", "ip.src"] with a period and '
    "requests_per_period (e.g. API 600 per 60 s, login 10 per 60 s), with mitigation_timeout.",
)


# -- managed WAF -------------------------------------------------------------------------------------------------------
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

    def verdict(rule: Any) -> str | Undecided:
        disabled = rule_disabled(rule)
        if disabled is True or isinstance(disabled, Undecided):
            return "is disabled" if disabled is True else disabled
        action = prop(rule, "action")
        if action is UNKNOWN:
            return Undecided("action")
        if as_text(action) != EXECUTE:
            return f"has action '{as_text(action)}'" if as_text(action) else "has no action"
        parameters = prop(rule, "actionParameters")
        ruleset_id = prop(parameters, "id")
        if parameters is UNKNOWN or ruleset_id is UNKNOWN:
            return Undecided("action_parameters.id")
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
    description="Checks that every Cloudflare zone the stack manages runs the Cloudflare Managed (or Free Managed) "
    "ruleset (`managedRulesetIds`) from an enabled rule of its `http_request_firewall_managed` ruleset; the OWASP "
    "Core Ruleset alone does not count.",
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

POLICIES = [
    cloudflare_rate_limiting,
    cloudflare_managed_waf,
]
