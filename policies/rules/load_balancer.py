"""Load balancer rules: HTTPS listeners, the HTTP redirect, the load balancer's own attributes and its target groups'
health checks.
"""

from __future__ import annotations

from collections.abc import Mapping
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
from ._props import prop_is_set

LISTENER_TYPES = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
LISTENER_RULE_TYPES = ("aws:lb/listenerRule:ListenerRule", "aws:alb/listenerRule:ListenerRule")
LOAD_BALANCER_TYPES = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
TARGET_GROUP_TYPES = ("aws:lb/targetGroup:TargetGroup", "aws:alb/targetGroup:TargetGroup")

#: Load balancer types that have no HTTP layer (no header handling, desync mitigation or ALB access logs).
NOT_HTTP_LOAD_BALANCERS = ("network", "gateway")

REDIRECT_TO_HTTPS = 'type="redirect" with redirect={protocol: "HTTPS", port: "443", status_code: "HTTP_301"}'


def lb_type(props: Mapping[str, Any]) -> str:
    return str(props.get("loadBalancerType") or "application")


def _http_load_balancer(args: ResourceValidationArgs, what: str) -> bool:
    """Whether the resource is an application load balancer; network and gateway ones are marked not applicable."""
    if args.resource_type not in LOAD_BALANCER_TYPES:
        return False
    kind = lb_type(args.props)
    if kind in NOT_HTTP_LOAD_BALANCERS:
        args.not_applicable(f"{kind} load balancers have no {what}")
        return False
    return True


# -- HTTPS listeners ---------------------------------------------------------------------------------------------------
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
    description="Checks that every HTTPS listener has a certificate and a TLS 1.2+ security policy from "
    "`allowedSslPolicies` (a missing policy fails: AWS's default still allows TLS 1.0).",
    validate=_https_listener_tls,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_TLS_SCHEMA,
    severity=Severity.HIGH,
    tags=["load-balancer", "encryption", "checklist:tls", "fsbp:ELB.17"],
    remediation_steps="Set certificate_arn to the validated ACM certificate and ssl_policy to "
    "ELBSecurityPolicy-TLS13-1-2-2021-06 (or another allowed policy) on the aws.lb.Listener.",
)


# -- HTTP listeners ----------------------------------------------------------------------------------------------------
def _serves_http(listener: PolicyResource) -> bool:
    """A listener that takes plain HTTP: protocol HTTP, or no protocol on an application load balancer (the default
    there is HTTP; gateway load balancer listeners have no protocol at all)."""
    protocol = listener.props.get("protocol")
    if protocol:
        return str(protocol).upper() == "HTTP"
    owners = [
        d for d in listener.property_dependencies.get("loadBalancerArn") or [] if d.resource_type in LOAD_BALANCER_TYPES
    ]
    return not any(lb_type(lb.props) in NOT_HTTP_LOAD_BALANCERS for lb in owners)


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
    description="Checks that every plain-HTTP listener only answers with a permanent redirect (HTTP 301) to HTTPS, "
    "and no listener rule on it forwards to targets.",
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


# -- load balancer attributes ------------------------------------------------------------------------------------------
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
    description="Checks that every application load balancer's desync mitigation mode is `defensive` or `strictest`.",
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
    description="Checks that every load balancer has deletion protection on.",
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


# -- target group health checks ----------------------------------------------------------------------------------------
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
    "explicitly (Lambda targets excepted).",
    validate=_health_check,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=["load-balancer", "resilience", "checklist:replication-health-checks"],
    remediation_steps='Set health_check={enabled: True, path: "/health", matcher: "200-399", healthy_threshold: 2, '
    "unhealthy_threshold: 3} on the aws.lb.TargetGroup (path and matcher only for HTTP/HTTPS health checks).",
)


POLICIES = [
    https_listener_tls,
    http_listener_redirects_to_https,
    drop_invalid_header_fields,
    desync_mitigation,
    deletion_protection,
    access_logs,
    target_group_health_check,
]
