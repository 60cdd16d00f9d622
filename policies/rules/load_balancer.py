"""Load balancer, WAF and log rules: what stands between the internet and the app, and what it records.

- ``aws-alb-https-listener-tls``: HTTPS listeners have a certificate and an allowed TLS 1.2+ security policy.
- ``aws-alb-http-listener-redirects-to-https``: plain-HTTP listeners only redirect (301) to HTTPS, and no listener
  rule forwards their traffic.
- ``aws-alb-drop-invalid-header-fields``: application load balancers drop invalid HTTP header fields.
- ``aws-alb-desync-mitigation``: application load balancers mitigate HTTP desync ("defensive" or "strictest").
- ``aws-alb-deletion-protection``: load balancers have deletion protection.
- ``aws-alb-access-logs``: application load balancers write access logs to a bucket.
- ``aws-alb-waf-protected``: internet-facing application load balancers have a web ACL, and that web ACL logs.
- ``aws-waf-rate-limits-and-managed-rules``: web ACLs rate-limit, with a blocking rule no looser than each of
  ``rateLimits`` (the stack's ``webstack:web.rateLimits``; by default the guides' API 10 r/s, login 5 r/min, general
  30 r/s), run the required AWS managed rule groups in blocking mode (a managed rule switched to count is blocked by
  its label in a later rule), and publish CloudWatch metrics.
- ``aws-alb-target-group-health-check``: target groups health-check their targets with explicit settings.
- ``aws-cloudwatch-log-group-retention-and-kms``: log groups expire their logs after a set period, no shorter than the
  minimum, and are encrypted with a KMS key.
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
from ._props import count_text, depends_on, prop_is_set

LISTENER_TYPES = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
LISTENER_RULE_TYPES = ("aws:lb/listenerRule:ListenerRule", "aws:alb/listenerRule:ListenerRule")
LOAD_BALANCER_TYPES = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
TARGET_GROUP_TYPES = ("aws:lb/targetGroup:TargetGroup", "aws:alb/targetGroup:TargetGroup")
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
WEB_ACL_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
WEB_ACL_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"

#: Load balancer types that have no HTTP layer (no header handling, desync mitigation or ALB access logs).
NOT_HTTP_LOAD_BALANCERS = ("network", "gateway")

REDIRECT_TO_HTTPS = 'type="redirect" with redirect={protocol: "HTTPS", port: "443", status_code: "HTTP_301"}'


def _lb_type(props: Mapping[str, Any]) -> str:
    return str(props.get("loadBalancerType") or "application")


def _http_load_balancer(args: ResourceValidationArgs, what: str) -> bool:
    """Whether the resource is an application load balancer; network and gateway ones are marked not applicable."""
    if args.resource_type not in LOAD_BALANCER_TYPES:
        return False
    kind = _lb_type(args.props)
    if kind in NOT_HTTP_LOAD_BALANCERS:
        args.not_applicable(f"{kind} load balancers have no {what}")
        return False
    return True


# -- HTTPS listeners -------------------------------------------------------------------------------------------------
_TLS_SCHEMA = schema(
    {
        "allowedSslPolicies": {
            "type": "array",
            "items": {"type": "string"},
            "default": [
                "ELBSecurityPolicy-TLS13-1-2-2021-06",
                "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
                "ELBSecurityPolicy-TLS13-1-3-2021-06",
                "ELBSecurityPolicy-FS-1-2-Res-2020-10",
                "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
            ],
            "description": "Security policies an HTTPS listener may use (TLS 1.2 or newer, forward secrecy).",
        }
    }
)


def _https_listener_tls(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in LISTENER_TYPES or str(args.props.get("protocol") or "").upper() != "HTTPS":
        return
    allowed = list(setting(args, _TLS_SCHEMA, "allowedSslPolicies"))
    policy = args.props.get("sslPolicy")
    if not policy:
        report(
            "The HTTPS listener sets no ssl_policy, so AWS applies ELBSecurityPolicy-2016-08, which still allows "
            f"TLS 1.0: set ssl_policy to one of {', '.join(allowed)}.",
            None,
        )
    elif policy not in allowed:
        report(f"The HTTPS listener uses ssl_policy {policy}: set it to one of {', '.join(allowed)}.", None)
    if not prop_is_set(args.props, "certificateArn"):
        report(
            "The HTTPS listener has no certificate_arn: set it to a validated ACM certificate "
            "(aws.acm.CertificateValidation(...).certificate_arn).",
            None,
        )


https_listener_tls = ResourceValidationPolicy(
    name="aws-alb-https-listener-tls",
    description="Checks that every HTTPS listener has a certificate and a TLS 1.2+ security policy from the allowed "
    "list.",
    validate=_https_listener_tls,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_TLS_SCHEMA,
    severity=Severity.HIGH,
    tags=["load-balancer", "encryption", "checklist:tls", "fsbp:ELB.17"],
    remediation_steps="Set certificate_arn to the validated ACM certificate and ssl_policy to "
    "ELBSecurityPolicy-TLS13-1-2-2021-06 (or another allowed policy) on the aws.lb.Listener.",
)


# -- HTTP listeners --------------------------------------------------------------------------------------------------
def _serves_http(listener: PolicyResource) -> bool:
    """A listener that takes plain HTTP: protocol HTTP, or no protocol on an application load balancer (the default
    there is HTTP; gateway load balancer listeners have no protocol at all)."""
    protocol = listener.props.get("protocol")
    if protocol:
        return str(protocol).upper() == "HTTP"
    owners = [
        d for d in listener.property_dependencies.get("loadBalancerArn") or [] if d.resource_type in LOAD_BALANCER_TYPES
    ]
    return not any(_lb_type(lb.props) in NOT_HTTP_LOAD_BALANCERS for lb in owners)


def _redirect_problem(actions: Any) -> str:
    """Why a listener's default actions are not exactly one permanent redirect to HTTPS; empty when they are."""
    actions = list(actions or [])
    if len(actions) != 1:
        return f"This HTTP listener has {len(actions)} default actions: give it exactly one, {REDIRECT_TO_HTTPS}."
    action = actions[0] or {}
    if action.get("type") != "redirect":
        return (
            f"This HTTP listener's default action is {action.get('type') or 'unset'}, so it serves plain HTTP: make "
            f"it {REDIRECT_TO_HTTPS}."
        )
    redirect = action.get("redirect") or {}
    protocol, status = redirect.get("protocol"), redirect.get("statusCode")
    if protocol != "HTTPS" or status != "HTTP_301":
        return (
            f"This HTTP listener redirects with protocol {protocol or 'unset'} and status_code {status or 'unset'}: "
            'redirect with protocol="HTTPS" and status_code="HTTP_301".'
        )
    return ""


def _http_redirects(args: StackValidationArgs, report: ReportViolation) -> None:
    http_listeners = [r for r in args.resources if r.resource_type in LISTENER_TYPES and _serves_http(r)]
    for listener in http_listeners:
        problem = _redirect_problem(listener.props.get("defaultActions"))
        if problem:
            report(problem, listener.urn)
    http_urns = {listener.urn for listener in http_listeners}
    for rule in (r for r in args.resources if r.resource_type in LISTENER_RULE_TYPES):
        if not any(dep.urn in http_urns for dep in rule.property_dependencies.get("listenerArn") or []):
            continue
        if any((action or {}).get("type") == "forward" for action in rule.props.get("actions") or []):
            report(
                "This listener rule forwards traffic that arrived over plain HTTP: attach it to the HTTPS listener "
                "(listener_arn=<https listener>.arn) and let the HTTP listener only redirect.",
                rule.urn,
            )


http_listener_redirects_to_https = StackValidationPolicy(
    name="aws-alb-http-listener-redirects-to-https",
    description="Checks that every plain-HTTP listener only redirects (HTTP 301) to HTTPS, and that no listener rule "
    "forwards its traffic to targets.",
    validate=_http_redirects,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=[
        "load-balancer",
        "encryption",
        "checklist:http-to-https",
        "fsbp:ELB.1",
        "awsguard:alb-http-to-https-redirection",
    ],
    remediation_steps="Give the port-80 aws.lb.Listener a single default action of type redirect "
    '(protocol "HTTPS", port "443", status_code "HTTP_301"), and attach forwarding listener rules to the HTTPS '
    "listener.",
)


# -- load balancer attributes ----------------------------------------------------------------------------------------
def _drop_invalid_headers(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not _http_load_balancer(args, "HTTP header handling"):
        return
    if args.props.get("dropInvalidHeaderFields") is not True:
        report(
            "The load balancer passes invalid HTTP header fields on to the targets: set "
            "drop_invalid_header_fields=True.",
            None,
        )


drop_invalid_header_fields = ResourceValidationPolicy(
    name="aws-alb-drop-invalid-header-fields",
    description="Checks that every application load balancer drops HTTP headers with invalid fields.",
    validate=_drop_invalid_headers,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=["load-balancer", "fsbp:ELB.4", "checklist:replication-health-checks"],
    remediation_steps="Set drop_invalid_header_fields=True on the aws.lb.LoadBalancer.",
)

DESYNC_MODES = ("defensive", "strictest")


def _desync_mitigation(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not _http_load_balancer(args, "HTTP desync mitigation"):
        return
    mode = args.props.get("desyncMitigationMode")
    if mode not in DESYNC_MODES:
        report(
            f'desync_mitigation_mode is {mode or "not set"}: set desync_mitigation_mode="defensive" (or '
            '"strictest") so requests that risk HTTP desync (request smuggling) are blocked.',
            None,
        )


desync_mitigation = ResourceValidationPolicy(
    name="aws-alb-desync-mitigation",
    description='Checks that every application load balancer sets desync_mitigation_mode to "defensive" or '
    '"strictest".',
    validate=_desync_mitigation,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=["load-balancer", "fsbp:ELB.12", "checklist:replication-health-checks"],
    remediation_steps='Set desync_mitigation_mode="defensive" (or "strictest") on the aws.lb.LoadBalancer.',
)


def _deletion_protection(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in LOAD_BALANCER_TYPES:
        return
    if args.props.get("enableDeletionProtection") is not True:
        report(
            "Deletion protection is off: set enable_deletion_protection=True, so the load balancer cannot be "
            "deleted by accident (Pulumi's protect option does not stop the console or the API).",
            None,
        )


deletion_protection = ResourceValidationPolicy(
    name="aws-alb-deletion-protection",
    description="Checks that every load balancer has deletion protection enabled.",
    validate=_deletion_protection,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=[
        "load-balancer",
        "resilience",
        "fsbp:ELB.6",
        "checklist:replication-health-checks",
        "checklist:rto-rpo",
        "awsguard:elb-deletion-protection",
    ],
    remediation_steps="Set enable_deletion_protection=True on the aws.lb.LoadBalancer (turn it off in a separate "
    "update before deleting the stack).",
)


def _access_logs(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not _http_load_balancer(args, "access logs"):
        return
    logs = args.props.get("accessLogs") or {}
    if logs.get("enabled") is not True:
        report(
            "Access logs are off: set access_logs={bucket: <an SSE-S3 log bucket>, enabled: True} (enabled defaults "
            "to false even when a bucket is set).",
            None,
        )
    elif not prop_is_set(logs, "bucket"):
        report(
            "Access logs are enabled but name no bucket: set access_logs.bucket to an SSE-S3 encrypted log bucket "
            "whose policy lets the ELB service write to it.",
            None,
        )


access_logs = ResourceValidationPolicy(
    name="aws-alb-access-logs",
    description="Checks that every application load balancer writes access logs to an S3 bucket.",
    validate=_access_logs,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=["load-balancer", "logging", "checklist:logging", "fsbp:ELB.5", "awsguard:elb-logging-enabled"],
    remediation_steps="Set access_logs={bucket: <log bucket>, enabled: True, prefix: ...} on the aws.lb.LoadBalancer; "
    "the bucket must use SSE-S3 (AES256) and allow the ELB service to write.",
)


# -- WAF on the load balancer ----------------------------------------------------------------------------------------
def _waf_protected(args: StackValidationArgs, report: ReportViolation) -> None:
    associations = [r for r in args.resources if r.resource_type == WEB_ACL_ASSOCIATION]
    log_configs = [r for r in args.resources if r.resource_type == WEB_ACL_LOGGING]
    checked: set[str] = set()
    for lb in (r for r in args.resources if r.resource_type in LOAD_BALANCER_TYPES):
        if _lb_type(lb.props) != "application" or lb.props.get("internal") is True:
            continue
        mine = [a for a in associations if depends_on(a, "resourceArn", lb.urn)]
        if not mine:
            report(
                "This internet-facing load balancer has no web ACL: add an aws.wafv2.WebAclAssociation("
                "resource_arn=<this lb>.arn, web_acl_arn=<a REGIONAL web ACL with rate limits and AWS managed "
                "rules>.arn).",
                lb.urn,
            )
        for association in mine:
            acls = [d for d in association.property_dependencies.get("webAclArn") or [] if d.resource_type == WEB_ACL]
            if not acls:
                report(
                    "This association's web ACL is not one of this stack's, so its rules and logging cannot be "
                    "checked: create the aws.wafv2.WebAcl in the program and pass its .arn as web_acl_arn.",
                    association.urn,
                )
            for acl in acls:
                if acl.urn in checked:
                    continue
                checked.add(acl.urn)
                if not any(depends_on(config, "resourceArn", acl.urn) for config in log_configs):
                    report(
                        "This web ACL protects a load balancer but logs nothing: add an "
                        "aws.wafv2.WebAclLoggingConfiguration(resource_arn=<this web acl>.arn, "
                        "log_destination_configs=[<a log group named aws-waf-logs-...>]).",
                        acl.urn,
                    )


alb_waf_protected = StackValidationPolicy(
    name="aws-alb-waf-protected",
    description="Checks that every internet-facing application load balancer is associated with a web ACL of the "
    "stack, and that the web ACL has logging configured.",
    validate=_waf_protected,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=[
        "load-balancer",
        "waf",
        "logging",
        "checklist:rate-limiting",
        "fsbp:ELB.16",
        "fsbp:WAF.11",
        "checklist:logging",
    ],
    remediation_steps="Create an aws.wafv2.WebAcl (scope REGIONAL), associate it with the load balancer through "
    "aws.wafv2.WebAclAssociation, and log it with aws.wafv2.WebAclLoggingConfiguration to a log group named "
    "aws-waf-logs-*.",
)


# -- WAF rules -------------------------------------------------------------------------------------------------------
#: The guides' limits (API 10 r/s, login 5 r/min, general 30 r/s), as WAF windows: login's 5 a minute is below the WAF's
#: minimum limit of 10, so it is 10 per 120 s, the same rate (AWS WAF developer guide, "Rate-based rule statement").
GUIDE_RATE_LIMITS = {
    "api": {"limit": 600, "windowSeconds": 60, "path": "/api/", "match": "prefix"},
    "login": {"limit": 10, "windowSeconds": 120, "path": "login", "match": "contains"},
    "general": {"limit": 1800, "windowSeconds": 60, "path": "", "match": "prefix"},
}
_WAF_SCHEMA = schema(
    {
        "requiredManagedRuleGroups": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"],
            "description": "AWS managed rule groups (vendor AWS) every web ACL must run in blocking mode.",
        },
        "rateLimits": {
            "type": "object",
            "default": GUIDE_RATE_LIMITS,
            "description": "The stack's webstack:web.rateLimits: name -> {limit, windowSeconds, path, match}. Every "
            "web ACL needs a blocking rate-based rule for each, counting at least the requests it counts (its path, "
            "or every request) at no higher a rate. Default: the guides' limits.",
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


def _waf_rules(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != WEB_ACL:
        return
    required = list(setting(args, _WAF_SCHEMA, "requiredManagedRuleGroups"))
    rules = [rule or {} for rule in args.props.get("rules") or []]
    rate_rules = [r for r in rules if ((r.get("statement") or {}).get("rateBasedStatement")) is not None]
    blocking = [r for r in rate_rules if any((r.get("action") or {}).get(a) is not None for a in BLOCKING_ACTIONS)]
    for problem in _rate_bounds(blocking, dict(setting(args, _WAF_SCHEMA, "rateLimits"))) if blocking else []:
        report(problem, None)
    if not rate_rules:
        report(
            "The web ACL has no rate-based rule: add a rule with statement={rate_based_statement: {limit: 600, "
            'evaluation_window_sec: 60, aggregate_key_type: "IP"}} and action={block: {}}.',
            None,
        )
    elif not any(any((r.get("action") or {}).get(a) is not None for a in BLOCKING_ACTIONS) for r in rate_rules):
        names = ", ".join(f"'{_rule_name(r)}'" for r in rate_rules)
        report(
            f"The web ACL's rate-based rules ({names}) never block: set action={{block: {{}}}} (or captcha/challenge) "
            "on at least one of them.",
            None,
        )
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


waf_rate_limits_and_managed_rules = ResourceValidationPolicy(
    name="aws-waf-rate-limits-and-managed-rules",
    description="Checks that every web ACL has a blocking rate-based rule no looser than each of the stack's rate "
    "limits (configurable; the guides' by default), runs the required AWS managed rule groups in blocking mode, and "
    "publishes CloudWatch metrics for itself and every rule.",
    validate=_waf_rules,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_WAF_SCHEMA,
    severity=Severity.HIGH,
    tags=["waf", "checklist:rate-limiting", "fsbp:WAF.10", "fsbp:WAF.12"],
    remediation_steps="Add a rate_based_statement rule with action block (e.g. 600 requests per 60 s per IP), the "
    "AWSManagedRulesCommonRuleSet and AWSManagedRulesKnownBadInputsRuleSet groups with override_action none, and "
    "visibility_config.cloudwatch_metrics_enabled=True on the web ACL and on each rule.",
)


# -- target group health checks --------------------------------------------------------------------------------------
HTTP_HEALTH_CHECKS = ("HTTP", "HTTPS")


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def _health_check(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in TARGET_GROUP_TYPES:
        return
    if args.props.get("targetType") == "lambda":
        args.not_applicable("lambda target groups are invoked, not health-checked")
        return
    check = args.props.get("healthCheck")
    if check is None:
        report(
            'The target group has no health check: set health_check={enabled: True, path: "/health", '
            'matcher: "200-399", healthy_threshold: 2, unhealthy_threshold: 3}.',
            None,
        )
        return
    if check.get("enabled") is False:
        report(
            "The health check is disabled, so failed targets keep receiving traffic: set health_check.enabled=True.",
            None,
        )
        return
    protocol = str(check.get("protocol") or "HTTP").upper()
    fields = ["path", "matcher"] if protocol in HTTP_HEALTH_CHECKS else []
    fields += ["healthyThreshold", "unhealthyThreshold"]
    missing = [_snake(key) for key in fields if not prop_is_set(check, key)]
    if missing:
        report(
            f"The health check leaves {', '.join(missing)} unset: set {'them' if len(missing) > 1 else 'it'} on "
            'health_check (e.g. path="/health", matcher="200-399", healthy_threshold=2, unhealthy_threshold=3).',
            None,
        )


target_group_health_check = ResourceValidationPolicy(
    name="aws-alb-target-group-health-check",
    description="Checks that every target group health-checks its targets, with path, matcher and thresholds set "
    "explicitly.",
    validate=_health_check,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=["load-balancer", "resilience", "checklist:replication-health-checks"],
    remediation_steps='Set health_check={enabled: True, path: "/health", matcher: "200-399", healthy_threshold: 2, '
    "unhealthy_threshold: 3} on the aws.lb.TargetGroup (path and matcher only for HTTP/HTTPS health checks).",
)


# -- log groups ------------------------------------------------------------------------------------------------------
_LOG_SCHEMA = schema(
    {
        "minRetentionDays": {
            "type": "integer",
            "default": 30,
            "description": "Fewest days a log group may keep its logs (0, never expire, is not allowed either).",
        }
    }
)


def _log_group(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != LOG_GROUP:
        return
    minimum = int(setting(args, _LOG_SCHEMA, "minRetentionDays"))
    retention = args.props.get("retentionInDays")
    days = int(float(retention)) if retention is not None else 0
    if args.props.get("logGroupClass") == "DELIVERY":
        pass  # AWS fixes the retention of DELIVERY log groups at 2 days: only the key is up to the program
    elif days == 0:
        setting_text = "0" if retention is not None else "not set"
        report(
            f"The log group's logs never expire (retention_in_days is {setting_text}): set retention_in_days to "
            f"{minimum} or more (a value CloudWatch accepts, e.g. 30, 90, 365).",
            None,
        )
    elif days < minimum:
        report(f"The log group keeps logs {days} days: set retention_in_days to {minimum} or more.", None)
    if not prop_is_set(args.props, "kmsKeyId"):
        report(
            "The log group is not encrypted with a KMS key: set kms_key_id to a key whose policy lets "
            "logs.<region>.amazonaws.com use it (webstack's Keys component provides one).",
            None,
        )


log_group_retention_and_kms = ResourceValidationPolicy(
    name="aws-cloudwatch-log-group-retention-and-kms",
    description="Checks that every CloudWatch log group expires its logs after at least the minimum retention "
    "period and is encrypted with a KMS key.",
    validate=_log_group,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_LOG_SCHEMA,
    severity=Severity.MEDIUM,
    tags=["logging", "encryption", "checklist:logging", "fsbp:CloudWatch.16"],
    remediation_steps="Set retention_in_days (30 or more; 365 for audit logs) and kms_key_id on the "
    "aws.cloudwatch.LogGroup.",
)

POLICIES = [
    https_listener_tls,
    http_listener_redirects_to_https,
    drop_invalid_header_fields,
    desync_mitigation,
    deletion_protection,
    access_logs,
    alb_waf_protected,
    waf_rate_limits_and_managed_rules,
    target_group_health_check,
    log_group_retention_and_kms,
]
