"""The security headers on every response: from Cloudflare's response-header rules, and from every HTTPS listener
(the only place for them in a stack without Cloudflare, and a second one behind it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
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
    as_text,
    count_text,
    list_items,
    prop,
    unknown_message,
)
from .cdn import ONE_YEAR, RULESET, ZONE_TYPES, Undecided, in_zone, managed_zones, rule_disabled
from .load_balancer import LISTENER_TYPES

# -- security headers --------------------------------------------------------------------------------------------------
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
    disabled = rule_disabled(rule)
    if isinstance(disabled, Undecided):
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
    description="Checks that every Cloudflare zone's response header rules set X-Frame-Options (DENY or SAMEORIGIN: "
    "`frameOptions`), X-Content-Type-Options nosniff and a Content-Security-Policy on every response, and every HTTPS "
    "listener sets the same three and HSTS for at least `minHstsMaxAge` seconds (a year).",
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

POLICIES = [
    security_headers_on_every_response,
]
