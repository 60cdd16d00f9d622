"""WAF rules: every internet-facing load balancer has a web ACL of the stack, and every web ACL logs, rate-limits with
the stack's limits, runs AWS's managed rule groups in blocking mode and publishes metrics.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
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
from ._props import count_text, depends_on
from .load_balancer import LOAD_BALANCER_TYPES, lb_type

WEB_ACL = "aws:wafv2/webAcl:WebAcl"


WEB_ACL_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"


WEB_ACL_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"


# -- WAF on the load balancer ------------------------------------------------------------------------------------------
def _protected_web_acls(args: StackValidationArgs, report: ReportViolation | None) -> list[PolicyResource]:
    """The web ACLs of this stack that protect an internet-facing application load balancer (joined through the
    associations' property dependencies). With ``report``, each such load balancer without a web ACL, and each
    association whose web ACL is not one of this stack's, is reported."""
    associations = [r for r in args.resources if r.resource_type == WEB_ACL_ASSOCIATION]
    found: dict[str, PolicyResource] = {}
    for lb in (r for r in args.resources if r.resource_type in LOAD_BALANCER_TYPES):
        if lb_type(lb.props) != "application" or lb.props.get("internal") is True:
            continue
        mine = [a for a in associations if depends_on(a, "resourceArn", lb.urn)]
        if not mine and report:
            report(
                "This internet-facing load balancer has no web ACL: add an aws.wafv2.WebAclAssociation("
                "resource_arn=<this lb>.arn, web_acl_arn=<a REGIONAL web ACL with rate limits and AWS managed "
                "rules>.arn).",
                lb.urn,
            )
        for association in mine:
            acls = [d for d in association.property_dependencies.get("webAclArn") or [] if d.resource_type == WEB_ACL]
            if not acls and report:
                report(
                    "This association's web ACL is not one of this stack's, so its rules and logging cannot be "
                    "checked: create the aws.wafv2.WebAcl in the program and pass its .arn as web_acl_arn.",
                    association.urn,
                )
            for acl in acls:
                found.setdefault(acl.urn, acl)
    return list(found.values())


def _waf_protected(args: StackValidationArgs, report: ReportViolation) -> None:
    _protected_web_acls(args, report)


alb_waf_protected = StackValidationPolicy(
    name="aws-alb-waf-protected",
    description="Checks that every internet-facing application load balancer is associated with a web ACL of the "
    "stack.",
    validate=_waf_protected,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=["load-balancer", "waf", "checklist:rate-limiting", "fsbp:ELB.16"],
    remediation_steps="Create an aws.wafv2.WebAcl (scope REGIONAL) and associate it with the load balancer through "
    "aws.wafv2.WebAclAssociation.",
)


def _waf_logging(args: StackValidationArgs, report: ReportViolation) -> None:
    log_configs = [r for r in args.resources if r.resource_type == WEB_ACL_LOGGING]
    for acl in _protected_web_acls(args, None):
        if not any(depends_on(config, "resourceArn", acl.urn) for config in log_configs):
            report(
                "This web ACL protects a load balancer but logs nothing: add an "
                "aws.wafv2.WebAclLoggingConfiguration(resource_arn=<this web acl>.arn, "
                "log_destination_configs=[<a log group named aws-waf-logs-...>]).",
                acl.urn,
            )


waf_logging = StackValidationPolicy(
    name="aws-waf-logging",
    description="Checks that every web ACL of the stack that protects a load balancer logs its requests.",
    validate=_waf_logging,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=["waf", "logging", "checklist:logging", "fsbp:WAF.11"],
    remediation_steps="Log every web ACL with aws.wafv2.WebAclLoggingConfiguration to a log group named "
    "aws-waf-logs-* (an encrypted log group that keeps them a year).",
)


# -- WAF rules ---------------------------------------------------------------------------------------------------------
#: The guides' limits (API 10 r/s, login 5 r/min, general 30 r/s), as WAF windows: login's 5 a minute is below the WAF's
#: minimum limit of 10, so it is 10 per 120 s, the same rate (AWS WAF developer guide, "Rate-based rule statement").
GUIDE_RATE_LIMITS = {
    "api": {"limit": 600, "windowSeconds": 60, "path": "/api/", "match": "prefix"},
    "login": {"limit": 10, "windowSeconds": 120, "path": "login", "match": "contains"},
    "general": {"limit": 1800, "windowSeconds": 60, "path": "", "match": "prefix"},
}


_RATE_SCHEMA = schema(
    {
        "rateLimits": {
            "type": "object",
            "default": GUIDE_RATE_LIMITS,
            "description": "The stack's webstack:web.rateLimits: name -> {limit, windowSeconds, path, match}. Every "
            "web ACL needs a blocking rate-based rule for each, counting at least the requests it counts (its path, "
            "or every request) at no higher a rate. Default: the guides' limits.",
        },
    }
)
_MANAGED_SCHEMA = schema(
    {
        "requiredManagedRuleGroups": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"],
            "description": "AWS managed rule groups (vendor AWS) every web ACL must run in blocking mode.",
        },
    }
)
BLOCKING_ACTIONS = ("block", "captcha", "challenge")


#: How a rate rule's scope-down byte match relates to webstack's ``match`` values.
CONSTRAINTS = {"STARTS_WITH": "prefix", "CONTAINS": "contains"}


def _rule_name(rule: Mapping[str, Any]) -> str:
    return str(rule.get("name") or f"at priority {rule.get('priority')}")


def _scope(statement: Mapping[str, Any]) -> tuple[str, str] | None:
    """What a rate rule counts: ("all", "") for every request, (match, lowercase path) for a byte match on the URI
    path, None for any other scope (which this rule cannot compare)."""
    down = statement.get("scopeDownStatement")
    if not down:
        return "all", ""
    match = down.get("byteMatchStatement")
    if not match or (match.get("fieldToMatch") or {}).get("uriPath") is None:
        return None
    kind = CONSTRAINTS.get(str(match.get("positionalConstraint")))
    lowered = any((t or {}).get("type") == "LOWERCASE" for t in match.get("textTransformations") or [])
    text = str(match.get("searchString") or "")
    if kind is None or not lowered:  # a case-sensitive match misses /Login, which the limit counts
        return None
    return kind, text.lower()


def _covers(scope: tuple[str, str], match: str, path: str) -> bool:
    """Whether a rule of ``scope`` counts every request a limit (``match`` on ``path``; no path: every request)
    counts."""
    kind, text = scope
    path = path.lower()
    if kind == "all":
        return True
    if not path:
        return False
    if kind == "prefix":
        return match == "prefix" and path.startswith(text)
    return text in path  # contains: every path that starts with or contains ``path`` contains ``text``


def _rate_bounds(rate_rules: Sequence[Mapping[str, Any]], limits: Mapping[str, Any]) -> list[str]:
    """A violation for each configured limit that none of the (blocking) ``rate_rules`` enforces, or only a looser
    one."""
    problems = []
    for name, limit in limits.items():
        want, window = float(limit["limit"]), float(limit["windowSeconds"])
        path, match = str(limit.get("path") or ""), str(limit.get("match") or "prefix")
        verb = "start with" if match == "prefix" else "contain"
        what = f"paths that {verb} '{path}'" if path else "every request"
        enforcing = []
        for rule in rate_rules:
            statement = (rule.get("statement") or {}).get("rateBasedStatement") or {}
            scope = _scope(statement)
            if scope is not None and _covers(scope, match, path):
                rule_window = float(statement.get("evaluationWindowSec") or 300)
                exact = scope == ((match, path.lower()) if path else ("all", ""))
                enforcing.append((float(statement.get("limit") or 0) / rule_window, rule, rule_window, exact))
        add = (
            f"add one with statement={{rate_based_statement: {{limit: {count_text(want)}, evaluation_window_sec: "
            f"{count_text(window)}, ...}}}} and action={{block: {{}}}}"
        )
        if not enforcing:
            problems.append(
                f"The web ACL has no blocking rate-based rule for webstack:web.rateLimits.{name} ({count_text(want)} "
                f"requests per {count_text(window)} s, {what}): {add}."
            )
            continue
        rate, rule, rule_window, exact = min(enforcing, key=lambda item: item[0])
        if rate > want / window:
            allowed = rate * rule_window
            fixed = max(10, int(want * rule_window / window))
            fix = f"set limit={fixed} (or the limit's own window)" if exact else f"{add}, scoped to {what}"
            problems.append(
                f"The web ACL's rate-based rule '{_rule_name(rule)}' allows {count_text(allowed)} requests per "
                f"{count_text(rule_window)} s for {what}, more than webstack:web.rateLimits.{name} "
                f"({count_text(want)} per {count_text(window)} s): {fix}."
            )
    return problems


def _rules(args: ResourceValidationArgs) -> list[Mapping[str, Any]] | None:
    """A web ACL's rules; None for anything else."""
    if args.resource_type != WEB_ACL:
        return None
    return [rule or {} for rule in args.props.get("rules") or []]


def _blocks(rule: Mapping[str, Any]) -> bool:
    return any((rule.get("action") or {}).get(a) is not None for a in BLOCKING_ACTIONS)


def _rate_limits(args: ResourceValidationArgs, report: ReportViolation) -> None:
    rules = _rules(args)
    if rules is None:
        return
    rate_rules = [r for r in rules if ((r.get("statement") or {}).get("rateBasedStatement")) is not None]
    blocking = [r for r in rate_rules if _blocks(r)]
    for problem in _rate_bounds(blocking, dict(setting(args, _RATE_SCHEMA, "rateLimits"))) if blocking else []:
        report(problem, None)
    if not rate_rules:
        report(
            "The web ACL has no rate-based rule: add a rule with statement={rate_based_statement: {limit: 600, "
            'evaluation_window_sec: 60, aggregate_key_type: "IP"}} and action={block: {}}.',
            None,
        )
    elif not blocking:
        names = ", ".join(f"'{_rule_name(r)}'" for r in rate_rules)
        report(
            f"The web ACL's rate-based rules ({names}) never block: set action={{block: {{}}}} (or captcha/challenge) "
            "on at least one of them.",
            None,
        )


def _managed_rules(args: ResourceValidationArgs, report: ReportViolation) -> None:
    rules = _rules(args)
    if rules is None:
        return
    required = list(setting(args, _MANAGED_SCHEMA, "requiredManagedRuleGroups"))
    present: set[str] = set()
    for rule in rules:
        group = (rule.get("statement") or {}).get("managedRuleGroupStatement")
        if group is None:
            continue
        if group.get("vendorName") == "AWS":
            present.add(str(group.get("name")))
        if (rule.get("overrideAction") or {}).get("count") is not None:
            report(
                f"The managed rule group {group.get('name')} (rule '{_rule_name(rule)}') only counts requests, so it "
                "blocks nothing: set override_action={none: {}}.",
                None,
            )
    _counted_rules_blocked_later(rules, report)
    missing = [name for name in required if name not in present]
    if missing:
        report(
            f"The web ACL lacks the AWS managed rule group{'s' if len(missing) > 1 else ''} {', '.join(missing)}: add "
            'a rule with statement={managed_rule_group_statement: {name: ..., vendor_name: "AWS"}} and '
            "override_action={none: {}} for each.",
            None,
        )


def _metrics(args: ResourceValidationArgs, report: ReportViolation) -> None:
    rules = _rules(args)
    if rules is None:
        return
    if (args.props.get("visibilityConfig") or {}).get("cloudwatchMetricsEnabled") is not True:
        report(
            "The web ACL publishes no CloudWatch metrics: set visibility_config.cloudwatch_metrics_enabled=True.", None
        )
    quiet = [r for r in rules if (r.get("visibilityConfig") or {}).get("cloudwatchMetricsEnabled") is not True]
    if quiet:
        names = ", ".join(f"'{_rule_name(r)}'" for r in quiet)
        report(
            f"Rule{'s' if len(quiet) > 1 else ''} {names} publish{'' if len(quiet) > 1 else 'es'} no CloudWatch "
            "metrics: set visibility_config.cloudwatch_metrics_enabled=True on every rule.",
            None,
        )


#: Label namespaces of the AWS managed rule groups (AWS WAF developer guide, "AWS Managed Rules rule groups list").
LABEL_NAMESPACES = {
    "AWSManagedRulesCommonRuleSet": "core-rule-set",
    "AWSManagedRulesKnownBadInputsRuleSet": "known-bad-inputs",
    "AWSManagedRulesSQLiRuleSet": "sql-database",
    "AWSManagedRulesAmazonIpReputationList": "amazon-ip-list",
}


def _label_keys(statement: Any) -> Iterator[str]:
    """The keys of every label match (scope LABEL) inside a statement, at any depth."""
    if isinstance(statement, Mapping):
        match = statement.get("labelMatchStatement")
        if isinstance(match, Mapping) and match.get("scope") == "LABEL" and match.get("key"):
            yield str(match["key"])
        for value in statement.values():
            yield from _label_keys(value)
    elif isinstance(statement, Sequence) and not isinstance(statement, str):
        for item in statement:
            yield from _label_keys(item)


def _counted_rules_blocked_later(rules: Sequence[Mapping[str, Any]], report: ReportViolation) -> None:
    """A managed rule switched to count (rule_action_overrides) only labels what it matches: a later rule must block
    on that label (labels are visible to the rules evaluated after the one that adds them), or the protection is off."""
    for rule in rules:
        group = (rule.get("statement") or {}).get("managedRuleGroupStatement")
        if group is None:
            continue
        for override in group.get("ruleActionOverrides") or []:
            if (override.get("actionToUse") or {}).get("count") is None:
                continue
            counted = str(override.get("name"))
            blocked = any(
                float(later.get("priority") or 0) > float(rule.get("priority") or 0)
                and any((later.get("action") or {}).get(a) is not None for a in BLOCKING_ACTIONS)
                and any(
                    key.startswith("awswaf:managed:aws:") and key.rsplit(":", 1)[-1].lower() == counted.lower()
                    for key in _label_keys(later.get("statement"))
                )
                for later in rules
            )
            if not blocked:
                namespace = LABEL_NAMESPACES.get(str(group.get("name")), "<the group's label namespace>")
                report(
                    f"The managed rule group {group.get('name')} (rule '{_rule_name(rule)}') counts its rule {counted} "
                    "instead of blocking it, and no later rule blocks the label it adds, so that protection is off "
                    f"everywhere: add a rule after '{_rule_name(rule)}' with action={{block: {{}}}} and a "
                    f"label_match_statement on its label (awswaf:managed:aws:{namespace}:{counted}, spelt as AWS's "
                    "rule group documentation lists it), scoped down to the requests it must still block, or remove "
                    "the override.",
                    None,
                )


waf_rate_limits = ResourceValidationPolicy(
    name="aws-waf-rate-limits",
    description="Checks that every web ACL blocks with a rate-based rule no looser than each of `rateLimits` (the "
    "stack's `webstack:web.rateLimits`, by default the guides' API 10 r/s, login 5 r/min and general 30 r/s; none "
    "missing).",
    validate=_rate_limits,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_RATE_SCHEMA,
    severity=Severity.HIGH,
    tags=["waf", "checklist:rate-limiting"],
    remediation_steps="Add a rate_based_statement rule with action block for each of webstack:web.rateLimits (e.g. "
    "600 requests per 60 s per IP under /api/), scoped down to its path with a lower-cased byte match.",
)

waf_managed_rules = ResourceValidationPolicy(
    name="aws-waf-managed-rules",
    description="Checks that every web ACL runs the required AWS managed rule groups (by default the common and "
    "known-bad-inputs rule sets) in blocking mode, and a managed rule switched to count is blocked by its label in a "
    "later rule.",
    validate=_managed_rules,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_MANAGED_SCHEMA,
    severity=Severity.HIGH,
    tags=["waf", "checklist:rate-limiting", "fsbp:WAF.10"],
    remediation_steps="Add the AWSManagedRulesCommonRuleSet and AWSManagedRulesKnownBadInputsRuleSet groups with "
    "override_action none; for a rule of theirs switched to count, add a later rule that blocks on its label.",
)

waf_metrics = ResourceValidationPolicy(
    name="aws-waf-metrics",
    description="Checks that every web ACL publishes CloudWatch metrics for itself and for every rule.",
    validate=_metrics,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=["waf", "checklist:alerts", "fsbp:WAF.12"],
    remediation_steps="Set visibility_config.cloudwatch_metrics_enabled=True on the web ACL and on each of its rules.",
)

POLICIES = [alb_waf_protected, waf_logging, waf_rate_limits, waf_managed_rules, waf_metrics]
