"""Load balancer, WAF and log group rules: each passes on what webstack registers and fails when one thing changes."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from policies.rules.load_balancer import (
    access_logs,
    alb_waf_protected,
    deletion_protection,
    desync_mitigation,
    drop_invalid_header_fields,
    http_listener_redirects_to_https,
    https_listener_tls,
    log_group_retention_and_kms,
    target_group_health_check,
    waf_rate_limits_and_managed_rules,
)
from tests.policies.support import Res, check_resource, check_stack, not_applicable

LISTENER = "aws:lb/listener:Listener"
ALB_LISTENER = "aws:alb/listener:Listener"
LISTENER_RULE = "aws:lb/listenerRule:ListenerRule"
ALB_LISTENER_RULE = "aws:alb/listenerRule:ListenerRule"
LB = "aws:lb/loadBalancer:LoadBalancer"
ALB = "aws:alb/loadBalancer:LoadBalancer"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
ALB_TARGET_GROUP = "aws:alb/targetGroup:TargetGroup"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
ACL_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"

ALLOWED_POLICIES = (
    "ELBSecurityPolicy-TLS13-1-2-2021-06, ELBSecurityPolicy-TLS13-1-2-Res-2021-06, "
    "ELBSecurityPolicy-TLS13-1-3-2021-06, ELBSecurityPolicy-FS-1-2-Res-2020-10, "
    "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"
)

# -- what webstack registers -------------------------------------------------------------------------------------------
HTTPS_LISTENER: dict[str, Any] = {
    "loadBalancerArn": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/1",
    "port": 443.0,
    "protocol": "HTTPS",
    "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "certificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/abc",
    "defaultActions": [{"type": "forward", "targetGroupArn": "arn:aws:elasticloadbalancing:tg/frontend"}],
}
HTTP_LISTENER: dict[str, Any] = {
    "loadBalancerArn": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/1",
    "port": 80.0,
    "protocol": "HTTP",
    "defaultActions": [
        {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}
    ],
}
API_RULE: dict[str, Any] = {
    "listenerArn": "arn:aws:elasticloadbalancing:listener/https",
    "priority": 10.0,
    "actions": [{"type": "forward", "targetGroupArn": "arn:aws:elasticloadbalancing:tg/backend"}],
    "conditions": [{"pathPattern": {"values": ["/api", "/api/*"]}}],
}
LOAD_BALANCER: dict[str, Any] = {
    "loadBalancerType": "application",
    "internal": False,
    "dropInvalidHeaderFields": True,
    "desyncMitigationMode": "defensive",
    "enableDeletionProtection": True,
    "accessLogs": {"bucket": "webstack-prod-lb-logs-abc", "enabled": True, "prefix": "alb"},
}
TARGET_GROUP_PROPS: dict[str, Any] = {
    "port": 3000.0,
    "protocol": "HTTP",
    "targetType": "ip",
    "healthCheck": {
        "enabled": True,
        "path": "/health",
        "matcher": "200-399",
        "interval": 30.0,
        "timeout": 10.0,
        "healthyThreshold": 2.0,
        "unhealthyThreshold": 3.0,
    },
}
LOG_GROUP_PROPS: dict[str, Any] = {
    "name": "/webstack-prod/ecs/backend",
    "retentionInDays": 30.0,
    "kmsKeyId": "arn:aws:kms:eu-west-1:123456789012:key/abc",
}


def visibility(metric: str) -> dict[str, Any]:
    return {"cloudwatchMetricsEnabled": True, "metricName": metric, "sampledRequestsEnabled": True}


def managed(name: str, priority: float, group: str) -> dict[str, Any]:
    return {
        "name": name,
        "priority": priority,
        "overrideAction": {"none": {}},
        "statement": {"managedRuleGroupStatement": {"name": group, "vendorName": "AWS"}},
        "visibilityConfig": visibility(name),
    }


RATE_RULE: dict[str, Any] = {
    "name": "api-rate",
    "priority": 1.0,
    "action": {"block": {}},
    "statement": {"rateBasedStatement": {"limit": 600.0, "aggregateKeyType": "IP", "evaluationWindowSec": 60.0}},
    "visibilityConfig": visibility("api-rate"),
}
ACL: dict[str, Any] = {
    "scope": "REGIONAL",
    "defaultAction": {"allow": {}},
    "visibilityConfig": visibility("webstack-prod-acl"),
    "rules": [
        RATE_RULE,
        managed("common", 10.0, "AWSManagedRulesCommonRuleSet"),
        managed("known-bad-inputs", 20.0, "AWSManagedRulesKnownBadInputsRuleSet"),
    ],
}


def changed(props: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``props`` with the field at a dotted path (list indexes allowed) set; None removes it."""
    result = copy.deepcopy(props)
    *parents, last = path.split(".")
    target: Any = result
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    if isinstance(target, list):
        target[int(last)] = value
    elif value is None:
        target.pop(last, None)
    else:
        target[last] = value
    return result


def compliant() -> list[Res]:
    """The edge webstack builds, reduced to what the stack rules look at."""
    return copy.deepcopy(
        [
            Res("urn:lb", LB, LOAD_BALANCER),
            Res("urn:https", LISTENER, HTTPS_LISTENER, {"loadBalancerArn": ["urn:lb"]}),
            Res("urn:http", LISTENER, HTTP_LISTENER, {"loadBalancerArn": ["urn:lb"]}),
            Res("urn:api-rule", LISTENER_RULE, API_RULE, {"listenerArn": ["urn:https"]}),
            Res("urn:acl", WEB_ACL, ACL),
            Res("urn:acl-association", ASSOCIATION, {}, {"resourceArn": ["urn:lb"], "webAclArn": ["urn:acl"]}),
            Res("urn:acl-logging", ACL_LOGGING, {"logDestinationConfigs": ["arn"]}, {"resourceArn": ["urn:acl"]}),
        ]
    )


def stack_changed(urn: str, path: str, value: Any) -> list[Res]:
    """The compliant stack with one field of one resource changed (None removes it)."""
    stack = compliant()
    for res in stack:
        if res.urn == urn:
            res.props = changed(res.props, path, value)
    return stack


def without(*urns: str) -> list[Res]:
    return [r for r in compliant() if r.urn not in urns]


def unknown_arns(value: Any) -> Any:
    """``value`` as a preview sees it: every ARN (any key ending in Arn) unknown."""
    if isinstance(value, dict):
        return {k: UNKNOWN_STRING_VALUE if k.endswith("Arn") else unknown_arns(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unknown_arns(v) for v in value]
    return value


def test_the_stack_rules_run_during_a_preview_when_arns_are_unknown() -> None:
    """They join through property dependencies, so they never read an ARN (reading one would raise)."""
    stack = compliant()
    for res in stack:
        res.props = unknown_checking_proxy(unknown_arns(res.props))
    assert check_stack(http_listener_redirects_to_https, stack) == []
    assert check_stack(alb_waf_protected, stack) == []
    stack = [
        *stack,
        Res(
            "urn:http-rule",
            LISTENER_RULE,
            unknown_checking_proxy(unknown_arns(API_RULE)),
            {"listenerArn": ["urn:http"]},
        ),
    ]
    assert [urn for urn, _ in check_stack(http_listener_redirects_to_https, stack)] == ["urn:http-rule"]


# -- aws-alb-https-listener-tls ----------------------------------------------------------------------------------------
def test_tls_passes_with_a_certificate_and_a_tls13_policy() -> None:
    assert check_resource(https_listener_tls, LISTENER, HTTPS_LISTENER) == []


@pytest.mark.parametrize("policy", ALLOWED_POLICIES.split(", "))
def test_tls_accepts_every_default_policy(policy: str) -> None:
    assert check_resource(https_listener_tls, ALB_LISTENER, changed(HTTPS_LISTENER, "sslPolicy", policy)) == []


def test_tls_fails_without_an_ssl_policy_because_the_default_allows_tls_1_0() -> None:
    (message,) = check_resource(https_listener_tls, LISTENER, changed(HTTPS_LISTENER, "sslPolicy", None))
    assert message == (
        "The HTTPS listener sets no ssl_policy, so AWS applies ELBSecurityPolicy-2016-08, which still allows TLS 1.0: "
        f"set ssl_policy to one of {ALLOWED_POLICIES}."
    )


def test_tls_fails_with_an_old_policy() -> None:
    props = changed(HTTPS_LISTENER, "sslPolicy", "ELBSecurityPolicy-2016-08")
    (message,) = check_resource(https_listener_tls, LISTENER, props)
    assert (
        message == f"The HTTPS listener uses ssl_policy ELBSecurityPolicy-2016-08: set it to one of {ALLOWED_POLICIES}."
    )


def test_tls_fails_without_a_certificate() -> None:
    (message,) = check_resource(https_listener_tls, LISTENER, changed(HTTPS_LISTENER, "certificateArn", None))
    assert message == (
        "The HTTPS listener has no certificate_arn: set it to a validated ACM certificate "
        "(aws.acm.CertificateValidation(...).certificate_arn)."
    )


def test_tls_fails_with_an_empty_certificate_on_the_alb_token() -> None:
    assert len(check_resource(https_listener_tls, ALB_LISTENER, changed(HTTPS_LISTENER, "certificateArn", ""))) == 1


def test_tls_counts_a_certificate_unknown_during_preview_as_set() -> None:
    props = unknown_checking_proxy(changed(HTTPS_LISTENER, "certificateArn", UNKNOWN_STRING_VALUE))
    assert check_resource(https_listener_tls, LISTENER, props) == []


def test_tls_allowed_policies_are_configurable() -> None:
    config = {"allowedSslPolicies": ["ELBSecurityPolicy-TLS13-1-3-2021-06"]}
    (message,) = check_resource(https_listener_tls, LISTENER, HTTPS_LISTENER, config=config)
    assert message.startswith("The HTTPS listener uses ssl_policy ELBSecurityPolicy-TLS13-1-2-2021-06: set it to one")


def test_tls_does_not_judge_http_listeners_or_other_resources() -> None:
    assert check_resource(https_listener_tls, LISTENER, HTTP_LISTENER) == []
    assert check_resource(https_listener_tls, LB, {"protocol": "HTTPS"}) == []


# -- aws-alb-http-listener-redirects-to-https --------------------------------------------------------------------------
def test_redirect_passes_when_http_only_redirects_and_rules_sit_on_https() -> None:
    assert check_stack(http_listener_redirects_to_https, compliant()) == []


def test_redirect_fails_when_the_http_listener_forwards() -> None:
    stack = stack_changed("urn:http", "defaultActions", [{"type": "forward", "targetGroupArn": "arn"}])
    ((urn, message),) = check_stack(http_listener_redirects_to_https, stack)
    assert urn == "urn:http"
    assert message == (
        'This HTTP listener\'s default action is forward, so it serves plain HTTP: make it type="redirect" with '
        'redirect={protocol: "HTTPS", port: "443", status_code: "HTTP_301"}.'
    )


def test_redirect_fails_for_a_temporary_redirect() -> None:
    stack = stack_changed("urn:http", "defaultActions.0.redirect.statusCode", "HTTP_302")
    ((urn, message),) = check_stack(http_listener_redirects_to_https, stack)
    assert urn == "urn:http"
    assert message == (
        'This HTTP listener redirects with protocol HTTPS and status_code HTTP_302: redirect with protocol="HTTPS" '
        'and status_code="HTTP_301".'
    )


def test_redirect_fails_for_a_redirect_that_keeps_http() -> None:
    stack = stack_changed("urn:http", "defaultActions.0.redirect.protocol", None)
    ((_, message),) = check_stack(http_listener_redirects_to_https, stack)
    assert message.startswith("This HTTP listener redirects with protocol unset and status_code HTTP_301")


def test_redirect_fails_with_a_second_default_action() -> None:
    extra = {"type": "fixed-response", "fixedResponse": {"contentType": "text/plain", "statusCode": "404"}}
    stack = stack_changed("urn:http", "defaultActions", [*HTTP_LISTENER["defaultActions"], extra])
    ((_, message),) = check_stack(http_listener_redirects_to_https, stack)
    assert message.startswith('This HTTP listener has 2 default actions: give it exactly one, type="redirect"')


def test_redirect_fails_without_default_actions() -> None:
    ((_, message),) = check_stack(http_listener_redirects_to_https, stack_changed("urn:http", "defaultActions", None))
    assert message.startswith("This HTTP listener has 0 default actions")


def test_redirect_treats_a_listener_without_protocol_on_an_alb_as_http() -> None:
    stack = stack_changed("urn:http", "protocol", None)
    assert check_stack(http_listener_redirects_to_https, stack) == []
    stack = [*compliant(), Res("urn:bare", ALB_LISTENER, {"port": 8080.0, "defaultActions": [{"type": "forward"}]})]
    assert [urn for urn, _ in check_stack(http_listener_redirects_to_https, stack)] == ["urn:bare"]


def test_redirect_ignores_listeners_without_protocol_on_a_gateway_load_balancer() -> None:
    stack = [
        *compliant(),
        Res("urn:gwlb", LB, {"loadBalancerType": "gateway"}),
        Res(
            "urn:gwlb-listener", LISTENER, {"defaultActions": [{"type": "forward"}]}, {"loadBalancerArn": ["urn:gwlb"]}
        ),
    ]
    assert check_stack(http_listener_redirects_to_https, stack) == []


def test_redirect_fails_for_a_rule_that_forwards_plain_http() -> None:
    stack = [
        *compliant(),
        Res("urn:http-rule", ALB_LISTENER_RULE, copy.deepcopy(API_RULE), {"listenerArn": ["urn:http"]}),
    ]
    ((urn, message),) = check_stack(http_listener_redirects_to_https, stack)
    assert urn == "urn:http-rule"
    assert message == (
        "This listener rule forwards traffic that arrived over plain HTTP: attach it to the HTTPS listener "
        "(listener_arn=<https listener>.arn) and let the HTTP listener only redirect."
    )


def test_redirect_allows_a_fixed_response_rule_on_the_http_listener() -> None:
    props = changed(API_RULE, "actions", [{"type": "fixed-response", "fixedResponse": {"statusCode": "403"}}])
    stack = [*compliant(), Res("urn:http-rule", LISTENER_RULE, props, {"listenerArn": ["urn:http"]})]
    assert check_stack(http_listener_redirects_to_https, stack) == []


# -- aws-alb-drop-invalid-header-fields --------------------------------------------------------------------------------
def test_drop_invalid_headers_passes_when_on() -> None:
    assert check_resource(drop_invalid_header_fields, LB, LOAD_BALANCER) == []


def test_drop_invalid_headers_fails_when_off() -> None:
    (message,) = check_resource(
        drop_invalid_header_fields, LB, changed(LOAD_BALANCER, "dropInvalidHeaderFields", False)
    )
    assert message == (
        "The load balancer passes invalid HTTP header fields on to the targets: set drop_invalid_header_fields=True."
    )


def test_drop_invalid_headers_fails_when_unset_on_the_alb_token() -> None:
    assert (
        len(check_resource(drop_invalid_header_fields, ALB, changed(LOAD_BALANCER, "dropInvalidHeaderFields", None)))
        == 1
    )


def test_drop_invalid_headers_applies_when_the_type_is_unset() -> None:
    props = changed(changed(LOAD_BALANCER, "loadBalancerType", None), "dropInvalidHeaderFields", None)
    assert len(check_resource(drop_invalid_header_fields, LB, props)) == 1


@pytest.mark.parametrize("kind", ["network", "gateway"])
def test_drop_invalid_headers_does_not_apply_to_network_and_gateway_load_balancers(kind: str) -> None:
    assert not_applicable(drop_invalid_header_fields, LB, {"loadBalancerType": kind}) == (
        f"{kind} load balancers have no HTTP header handling"
    )


# -- aws-alb-desync-mitigation -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["defensive", "strictest"])
def test_desync_passes_for_defensive_and_strictest(mode: str) -> None:
    assert check_resource(desync_mitigation, LB, changed(LOAD_BALANCER, "desyncMitigationMode", mode)) == []


def test_desync_fails_in_monitor_mode() -> None:
    (message,) = check_resource(desync_mitigation, LB, changed(LOAD_BALANCER, "desyncMitigationMode", "monitor"))
    assert message == (
        'desync_mitigation_mode is monitor: set desync_mitigation_mode="defensive" (or "strictest") so requests '
        "that risk HTTP desync (request smuggling) are blocked."
    )


def test_desync_fails_when_unset_on_the_alb_token() -> None:
    (message,) = check_resource(desync_mitigation, ALB, changed(LOAD_BALANCER, "desyncMitigationMode", None))
    assert message.startswith('desync_mitigation_mode is not set: set desync_mitigation_mode="defensive"')


def test_desync_does_not_apply_to_network_load_balancers() -> None:
    assert not_applicable(desync_mitigation, ALB, {"loadBalancerType": "network"}) == (
        "network load balancers have no HTTP desync mitigation"
    )


# -- aws-alb-deletion-protection ---------------------------------------------------------------------------------------
def test_deletion_protection_passes_when_on() -> None:
    assert check_resource(deletion_protection, LB, LOAD_BALANCER) == []


def test_deletion_protection_fails_when_off() -> None:
    (message,) = check_resource(deletion_protection, LB, changed(LOAD_BALANCER, "enableDeletionProtection", False))
    assert message.startswith("Deletion protection is off: set enable_deletion_protection=True")


def test_deletion_protection_fails_when_unset_on_the_alb_token() -> None:
    assert len(check_resource(deletion_protection, ALB, changed(LOAD_BALANCER, "enableDeletionProtection", None))) == 1


def test_deletion_protection_applies_to_network_load_balancers_too() -> None:
    assert len(check_resource(deletion_protection, LB, {"loadBalancerType": "network"})) == 1


def test_deletion_protection_ignores_other_resources() -> None:
    assert check_resource(deletion_protection, TARGET_GROUP, {}) == []


# -- aws-alb-access-logs -----------------------------------------------------------------------------------------------
def test_access_logs_pass_when_enabled_with_a_bucket() -> None:
    assert check_resource(access_logs, LB, LOAD_BALANCER) == []


def test_access_logs_fail_when_disabled() -> None:
    (message,) = check_resource(access_logs, LB, changed(LOAD_BALANCER, "accessLogs.enabled", False))
    assert message == (
        "Access logs are off: set access_logs={bucket: <an SSE-S3 log bucket>, enabled: True} (enabled defaults to "
        "false even when a bucket is set)."
    )


def test_access_logs_fail_when_a_bucket_is_set_but_enabled_is_not() -> None:
    assert len(check_resource(access_logs, ALB, changed(LOAD_BALANCER, "accessLogs.enabled", None))) == 1


def test_access_logs_fail_when_not_configured() -> None:
    (message,) = check_resource(access_logs, ALB, changed(LOAD_BALANCER, "accessLogs", None))
    assert message.startswith("Access logs are off")


def test_access_logs_fail_without_a_bucket() -> None:
    (message,) = check_resource(access_logs, LB, changed(LOAD_BALANCER, "accessLogs.bucket", ""))
    assert message == (
        "Access logs are enabled but name no bucket: set access_logs.bucket to an SSE-S3 encrypted log bucket whose "
        "policy lets the ELB service write to it."
    )


def test_access_logs_count_a_bucket_unknown_during_preview_as_set() -> None:
    props = unknown_checking_proxy(changed(LOAD_BALANCER, "accessLogs.bucket", UNKNOWN_STRING_VALUE))
    assert check_resource(access_logs, LB, props) == []


def test_access_logs_do_not_apply_to_gateway_load_balancers() -> None:
    assert (
        not_applicable(access_logs, LB, {"loadBalancerType": "gateway"}) == "gateway load balancers have no access logs"
    )


# -- aws-alb-waf-protected ---------------------------------------------------------------------------------------------
def test_waf_protected_passes_with_an_associated_logging_web_acl() -> None:
    assert check_stack(alb_waf_protected, compliant()) == []


def test_waf_protected_fails_without_an_association() -> None:
    ((urn, message),) = check_stack(alb_waf_protected, without("urn:acl-association"))
    assert urn == "urn:lb"
    assert message == (
        "This internet-facing load balancer has no web ACL: add an aws.wafv2.WebAclAssociation(resource_arn=<this "
        "lb>.arn, web_acl_arn=<a REGIONAL web ACL with rate limits and AWS managed rules>.arn)."
    )


def test_waf_protected_fails_when_the_association_protects_another_load_balancer() -> None:
    stack = [*compliant(), Res("urn:lb-2", ALB, copy.deepcopy(LOAD_BALANCER))]
    assert [urn for urn, _ in check_stack(alb_waf_protected, stack)] == ["urn:lb-2"]


def test_waf_protected_treats_an_unset_internal_flag_as_internet_facing() -> None:
    stack = [*compliant(), Res("urn:lb-2", LB, changed(LOAD_BALANCER, "internal", None))]
    assert [urn for urn, _ in check_stack(alb_waf_protected, stack)] == ["urn:lb-2"]


def test_waf_protected_ignores_internal_and_network_load_balancers() -> None:
    stack = [
        *without("urn:acl-association"),
        Res("urn:nlb", LB, {"loadBalancerType": "network"}),
    ]
    stack[0].props["internal"] = True
    assert check_stack(alb_waf_protected, stack) == []


def test_waf_protected_fails_when_the_web_acl_does_not_log() -> None:
    ((urn, message),) = check_stack(alb_waf_protected, without("urn:acl-logging"))
    assert urn == "urn:acl"
    assert message == (
        "This web ACL protects a load balancer but logs nothing: add an aws.wafv2.WebAclLoggingConfiguration("
        "resource_arn=<this web acl>.arn, log_destination_configs=[<a log group named aws-waf-logs-...>])."
    )


def test_waf_protected_reports_a_shared_web_acl_without_logging_once() -> None:
    stack = [
        *without("urn:acl-logging"),
        Res("urn:lb-2", LB, copy.deepcopy(LOAD_BALANCER)),
        Res("urn:acl-association-2", ASSOCIATION, {}, {"resourceArn": ["urn:lb-2"], "webAclArn": ["urn:acl"]}),
    ]
    assert [urn for urn, _ in check_stack(alb_waf_protected, stack)] == ["urn:acl"]


def test_waf_protected_fails_when_logging_belongs_to_another_web_acl() -> None:
    stack = [*without("urn:acl-logging"), Res("urn:log-2", ACL_LOGGING, {}, {"resourceArn": ["urn:other-acl"]})]
    stack.append(Res("urn:other-acl", WEB_ACL, copy.deepcopy(ACL)))
    assert [urn for urn, _ in check_stack(alb_waf_protected, stack)] == ["urn:acl"]


def test_waf_protected_fails_when_the_web_acl_is_not_in_the_stack() -> None:
    stack = [
        *without("urn:acl-association"),
        Res("urn:acl-association", ASSOCIATION, {"webAclArn": "arn:aws:wafv2:..."}, {"resourceArn": ["urn:lb"]}),
    ]
    ((urn, message),) = check_stack(alb_waf_protected, stack)
    assert urn == "urn:acl-association"
    assert message.startswith("This association's web ACL is not one of this stack's")


# -- aws-waf-rate-limits-and-managed-rules -----------------------------------------------------------------------------
def test_waf_rules_pass_with_a_rate_limit_and_both_managed_groups() -> None:
    assert check_resource(waf_rate_limits_and_managed_rules, WEB_ACL, ACL) == []


def test_waf_rules_fail_without_a_rate_based_rule() -> None:
    props = changed(ACL, "rules", ACL["rules"][1:])
    (message,) = check_resource(waf_rate_limits_and_managed_rules, WEB_ACL, props)
    assert message == (
        "The web ACL has no rate-based rule: add a rule with statement={rate_based_statement: {limit: 600, "
        'evaluation_window_sec: 60, aggregate_key_type: "IP"}} and action={block: {}}.'
    )


def test_waf_rules_fail_when_the_rate_based_rule_only_counts() -> None:
    props = changed(ACL, "rules.0.action", {"count": {}})
    (message,) = check_resource(waf_rate_limits_and_managed_rules, WEB_ACL, props)
    assert message == (
        "The web ACL's rate-based rules ('api-rate') never block: set action={block: {}} (or captcha/challenge) on at "
        "least one of them."
    )


def test_waf_rules_fail_without_known_bad_inputs() -> None:
    props = changed(ACL, "rules", ACL["rules"][:2])
    (message,) = check_resource(waf_rate_limits_and_managed_rules, WEB_ACL, props)
    assert message == (
        "The web ACL lacks the AWS managed rule group AWSManagedRulesKnownBadInputsRuleSet: add a rule with "
        'statement={managed_rule_group_statement: {name: ..., vendor_name: "AWS"}} and override_action={none: {}} '
        "for each."
    )


def test_waf_rules_do_not_count_another_vendors_group() -> None:
    props = changed(ACL, "rules.1.statement.managedRuleGroupStatement.vendorName", "SomeVendor")
    (message,) = check_resource(waf_rate_limits_and_managed_rules, WEB_ACL, props)
    assert message.startswith("The web ACL lacks the AWS managed rule group AWSManagedRulesCommonRuleSet:")


def test_waf_rules_fail_when_a_managed_group_only_counts() -> None:
    props = changed(ACL, "rules.1.overrideAction", {"count": {}})
    (message,) = check_resource(waf_rate_limits_and_managed_rules, WEB_ACL, props)
    assert message == (
        "The managed rule group AWSManagedRulesCommonRuleSet (rule 'common') only counts requests, so it blocks "
        "nothing: set override_action={none: {}}."
    )


def test_waf_rules_fail_when_the_web_acl_publishes_no_metrics() -> None:
    props = changed(ACL, "visibilityConfig.cloudwatchMetricsEnabled", False)
    (message,) = check_resource(waf_rate_limits_and_managed_rules, WEB_ACL, props)
    assert message == (
        "The web ACL publishes no CloudWatch metrics: set visibility_config.cloudwatch_metrics_enabled=True."
    )


def test_waf_rules_fail_when_the_visibility_config_is_missing() -> None:
    assert len(check_resource(waf_rate_limits_and_managed_rules, WEB_ACL, changed(ACL, "visibilityConfig", None))) == 1


def test_waf_rules_fail_when_a_rule_publishes_no_metrics() -> None:
    props = changed(ACL, "rules.2.visibilityConfig.cloudwatchMetricsEnabled", False)
    (message,) = check_resource(waf_rate_limits_and_managed_rules, WEB_ACL, props)
    assert message == (
        "Rule 'known-bad-inputs' publishes no CloudWatch metrics: set "
        "visibility_config.cloudwatch_metrics_enabled=True on every rule."
    )


def test_waf_rules_fail_on_an_empty_web_acl() -> None:
    messages = check_resource(waf_rate_limits_and_managed_rules, WEB_ACL, changed(ACL, "rules", None))
    assert [m.split(":")[0] for m in messages] == [
        "The web ACL has no rate-based rule",
        "The web ACL lacks the AWS managed rule groups AWSManagedRulesCommonRuleSet, "
        "AWSManagedRulesKnownBadInputsRuleSet",
    ]


def test_waf_required_groups_are_configurable() -> None:
    config = {"requiredManagedRuleGroups": ["AWSManagedRulesCommonRuleSet", "AWSManagedRulesSQLiRuleSet"]}
    (message,) = check_resource(waf_rate_limits_and_managed_rules, WEB_ACL, ACL, config=config)
    assert message.startswith("The web ACL lacks the AWS managed rule group AWSManagedRulesSQLiRuleSet:")
    props = changed(ACL, "rules", [RATE_RULE])
    assert (
        check_resource(waf_rate_limits_and_managed_rules, WEB_ACL, props, config={"requiredManagedRuleGroups": []})
        == []
    )


# -- aws-alb-target-group-health-check ---------------------------------------------------------------------------------
def test_health_check_passes_with_explicit_settings() -> None:
    assert check_resource(target_group_health_check, TARGET_GROUP, TARGET_GROUP_PROPS) == []
    assert check_resource(target_group_health_check, ALB_TARGET_GROUP, TARGET_GROUP_PROPS) == []


def test_health_check_passes_when_enabled_is_left_to_its_default() -> None:
    props = changed(TARGET_GROUP_PROPS, "healthCheck.enabled", None)
    assert check_resource(target_group_health_check, TARGET_GROUP, props) == []


def test_health_check_fails_without_one() -> None:
    props = changed(TARGET_GROUP_PROPS, "healthCheck", None)
    (message,) = check_resource(target_group_health_check, ALB_TARGET_GROUP, props)
    assert message == (
        'The target group has no health check: set health_check={enabled: True, path: "/health", matcher: "200-399", '
        "healthy_threshold: 2, unhealthy_threshold: 3}."
    )


def test_health_check_fails_when_disabled() -> None:
    props = changed(TARGET_GROUP_PROPS, "healthCheck.enabled", False)
    (message,) = check_resource(target_group_health_check, TARGET_GROUP, props)
    assert message == (
        "The health check is disabled, so failed targets keep receiving traffic: set health_check.enabled=True."
    )


def test_health_check_fails_without_a_path() -> None:
    props = changed(TARGET_GROUP_PROPS, "healthCheck.path", None)
    (message,) = check_resource(target_group_health_check, TARGET_GROUP, props)
    assert message == (
        'The health check leaves path unset: set it on health_check (e.g. path="/health", matcher="200-399", '
        "healthy_threshold=2, unhealthy_threshold=3)."
    )


@pytest.mark.parametrize(
    ("field", "name"),
    [("matcher", "matcher"), ("healthyThreshold", "healthy_threshold"), ("unhealthyThreshold", "unhealthy_threshold")],
)
def test_health_check_fails_without_each_setting(field: str, name: str) -> None:
    props = changed(TARGET_GROUP_PROPS, f"healthCheck.{field}", None)
    (message,) = check_resource(target_group_health_check, TARGET_GROUP, props)
    assert message.startswith(f"The health check leaves {name} unset: set it on health_check")


def test_health_check_names_every_missing_setting() -> None:
    props = {"targetType": "ip", "healthCheck": {"enabled": True}}
    (message,) = check_resource(target_group_health_check, TARGET_GROUP, props)
    assert message.startswith(
        "The health check leaves path, matcher, healthy_threshold, unhealthy_threshold unset: set them on health_check"
    )


def test_a_tcp_health_check_needs_thresholds_but_no_path_or_matcher() -> None:
    props = {"protocol": "TCP", "healthCheck": {"protocol": "TCP", "healthyThreshold": 3.0, "unhealthyThreshold": 3.0}}
    assert check_resource(target_group_health_check, TARGET_GROUP, props) == []
    (message,) = check_resource(
        target_group_health_check, TARGET_GROUP, changed(props, "healthCheck.healthyThreshold", None)
    )
    assert message.startswith("The health check leaves healthy_threshold unset")


def test_an_https_health_check_needs_a_path() -> None:
    props = changed(changed(TARGET_GROUP_PROPS, "healthCheck.protocol", "HTTPS"), "healthCheck.path", "")
    assert len(check_resource(target_group_health_check, TARGET_GROUP, props)) == 1


def test_lambda_target_groups_are_not_judged() -> None:
    assert not_applicable(target_group_health_check, TARGET_GROUP, {"targetType": "lambda"}) == (
        "lambda target groups are invoked, not health-checked"
    )


# -- aws-cloudwatch-log-group-retention-and-kms ------------------------------------------------------------------------
def test_log_group_passes_with_retention_and_a_key() -> None:
    assert check_resource(log_group_retention_and_kms, LOG_GROUP, LOG_GROUP_PROPS) == []


def test_log_group_accepts_integer_retention() -> None:
    assert (
        check_resource(log_group_retention_and_kms, LOG_GROUP, changed(LOG_GROUP_PROPS, "retentionInDays", 365)) == []
    )


def test_log_group_fails_without_retention() -> None:
    (message,) = check_resource(
        log_group_retention_and_kms, LOG_GROUP, changed(LOG_GROUP_PROPS, "retentionInDays", None)
    )
    assert message == (
        "The log group's logs never expire (retention_in_days is not set): set retention_in_days to 30 or more (a "
        "value CloudWatch accepts, e.g. 30, 90, 365)."
    )


def test_log_group_fails_when_logs_never_expire() -> None:
    (message,) = check_resource(
        log_group_retention_and_kms, LOG_GROUP, changed(LOG_GROUP_PROPS, "retentionInDays", 0.0)
    )
    assert message.startswith("The log group's logs never expire (retention_in_days is 0)")


def test_log_group_fails_with_short_retention() -> None:
    (message,) = check_resource(
        log_group_retention_and_kms, LOG_GROUP, changed(LOG_GROUP_PROPS, "retentionInDays", 14.0)
    )
    assert message == "The log group keeps logs 14 days: set retention_in_days to 30 or more."


def test_log_group_minimum_retention_is_configurable() -> None:
    (message,) = check_resource(
        log_group_retention_and_kms, LOG_GROUP, LOG_GROUP_PROPS, config={"minRetentionDays": 365}
    )
    assert message == "The log group keeps logs 30 days: set retention_in_days to 365 or more."


def test_log_group_fails_without_a_key() -> None:
    (message,) = check_resource(log_group_retention_and_kms, LOG_GROUP, changed(LOG_GROUP_PROPS, "kmsKeyId", None))
    assert message == (
        "The log group is not encrypted with a KMS key: set kms_key_id to a key whose policy lets "
        "logs.<region>.amazonaws.com use it (webstack's Keys component provides one)."
    )


def test_log_group_counts_a_key_unknown_during_preview_as_set() -> None:
    props = unknown_checking_proxy(changed(LOG_GROUP_PROPS, "kmsKeyId", UNKNOWN_STRING_VALUE))
    assert check_resource(log_group_retention_and_kms, LOG_GROUP, props) == []


def test_delivery_log_groups_are_judged_only_on_their_key() -> None:
    props = {"logGroupClass": "DELIVERY", "retentionInDays": 2.0}
    (message,) = check_resource(log_group_retention_and_kms, LOG_GROUP, props)
    assert message.startswith("The log group is not encrypted with a KMS key")


def test_log_group_rule_ignores_other_resources() -> None:
    assert check_resource(log_group_retention_and_kms, "aws:cloudwatch/logStream:LogStream", {}) == []
