"""Load balancer, WAF and log group rules: each passes on what webstack registers and fails when one thing changes."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pulumi_policy import ResourceValidationPolicy
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from components.settings import parse_settings
from policies.rules import ALL_POLICIES, PACK_ENFORCEMENT_LEVEL
from policies.rules.load_balancer import (
    access_logs,
    deletion_protection,
    desync_mitigation,
    drop_invalid_header_fields,
    http_listener_redirects_to_https,
    https_listener_tls,
    target_group_health_check,
)
from policies.rules.logs import log_group_encrypted, log_group_retention
from policies.rules.waf import (
    GUIDE_RATE_LIMITS,
    alb_waf_protected,
    waf_logging,
    waf_managed_rules,
    waf_metrics,
    waf_rate_limits,
)
from stackcheck.engine.evaluate import load_policy_config, resolve_settings
from stackcheck.engine.project import load_project, load_stack, stack_names
from tests.conftest import ROOT
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


#: One rule over every request at the strictest of the guides' rates (login: 10 per 120 s), so it bounds all three.
RATE_RULE: dict[str, Any] = {
    "name": "rate-limit",
    "priority": 1.0,
    "action": {"block": {}},
    "statement": {"rateBasedStatement": {"limit": 10.0, "aggregateKeyType": "IP", "evaluationWindowSec": 120.0}},
    "visibilityConfig": visibility("rate-limit"),
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
def test_waf_protected_passes_with_an_associated_web_acl() -> None:
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


def test_waf_protected_passes_when_the_web_acl_does_not_log() -> None:
    assert check_stack(alb_waf_protected, without("urn:acl-logging")) == []


# -- aws-waf-logging ---------------------------------------------------------------------------------------------------
def test_waf_logging_passes_when_the_protecting_web_acl_logs() -> None:
    assert check_stack(waf_logging, compliant()) == []


def test_waf_logging_fails_when_the_web_acl_does_not_log() -> None:
    ((urn, message),) = check_stack(waf_logging, without("urn:acl-logging"))
    assert urn == "urn:acl"
    assert message == (
        "This web ACL protects a load balancer but logs nothing: add an aws.wafv2.WebAclLoggingConfiguration("
        "resource_arn=<this web acl>.arn, log_destination_configs=[<a log group named aws-waf-logs-...>])."
    )


def test_waf_logging_reports_a_shared_web_acl_without_logging_once() -> None:
    stack = [
        *without("urn:acl-logging"),
        Res("urn:lb-2", LB, copy.deepcopy(LOAD_BALANCER)),
        Res("urn:acl-association-2", ASSOCIATION, {}, {"resourceArn": ["urn:lb-2"], "webAclArn": ["urn:acl"]}),
    ]
    assert [urn for urn, _ in check_stack(waf_logging, stack)] == ["urn:acl"]


def test_waf_logging_fails_when_logging_belongs_to_another_web_acl() -> None:
    stack = [*without("urn:acl-logging"), Res("urn:log-2", ACL_LOGGING, {}, {"resourceArn": ["urn:other-acl"]})]
    stack.append(Res("urn:other-acl", WEB_ACL, copy.deepcopy(ACL)))
    assert [urn for urn, _ in check_stack(waf_logging, stack)] == ["urn:acl"]


def test_waf_logging_leaves_load_balancers_without_a_web_acl_to_the_waf_rule() -> None:
    assert check_stack(waf_logging, without("urn:acl-association")) == []


# -- aws-alb-waf-protected: a web ACL of another stack -----------------------------------------------------------------
def test_waf_protected_fails_when_the_web_acl_is_not_in_the_stack() -> None:
    stack = [
        *without("urn:acl-association"),
        Res("urn:acl-association", ASSOCIATION, {"webAclArn": "arn:aws:wafv2:..."}, {"resourceArn": ["urn:lb"]}),
    ]
    ((urn, message),) = check_stack(alb_waf_protected, stack)
    assert urn == "urn:acl-association"
    assert message.startswith("This association's web ACL is not one of this stack's")


# -- aws-waf-rate-limits, aws-waf-managed-rules, aws-waf-metrics -------------------------------------------------------
@pytest.mark.parametrize("policy", [waf_rate_limits, waf_managed_rules, waf_metrics], ids=lambda p: p.name)
def test_waf_rules_pass_with_a_rate_limit_both_managed_groups_and_metrics(policy: ResourceValidationPolicy) -> None:
    assert check_resource(policy, WEB_ACL, ACL) == []


def test_waf_rules_fail_without_a_rate_based_rule() -> None:
    props = changed(ACL, "rules", ACL["rules"][1:])
    (message,) = check_resource(waf_rate_limits, WEB_ACL, props)
    assert message == (
        "The web ACL has no rate-based rule: add a rule with statement={rate_based_statement: {limit: 600, "
        'evaluation_window_sec: 60, aggregate_key_type: "IP"}} and action={block: {}}.'
    )


def test_waf_rules_fail_when_the_rate_based_rule_only_counts() -> None:
    props = changed(ACL, "rules.0.action", {"count": {}})
    (message,) = check_resource(waf_rate_limits, WEB_ACL, props)
    assert message == (
        "The web ACL's rate-based rules ('rate-limit') never block: set action={block: {}} (or captcha/challenge) on "
        "at least one of them."
    )


def test_waf_rules_fail_without_known_bad_inputs() -> None:
    props = changed(ACL, "rules", ACL["rules"][:2])
    (message,) = check_resource(waf_managed_rules, WEB_ACL, props)
    assert message == (
        "The web ACL lacks the AWS managed rule group AWSManagedRulesKnownBadInputsRuleSet: add a rule with "
        'statement={managed_rule_group_statement: {name: ..., vendor_name: "AWS"}} and override_action={none: {}} '
        "for each."
    )


def test_waf_rules_do_not_count_another_vendors_group() -> None:
    props = changed(ACL, "rules.1.statement.managedRuleGroupStatement.vendorName", "SomeVendor")
    (message,) = check_resource(waf_managed_rules, WEB_ACL, props)
    assert message.startswith("The web ACL lacks the AWS managed rule group AWSManagedRulesCommonRuleSet:")


def test_waf_rules_fail_when_a_managed_group_only_counts() -> None:
    props = changed(ACL, "rules.1.overrideAction", {"count": {}})
    (message,) = check_resource(waf_managed_rules, WEB_ACL, props)
    assert message == (
        "The managed rule group AWSManagedRulesCommonRuleSet (rule 'common') only counts requests, so it blocks "
        "nothing: set override_action={none: {}}."
    )


def test_waf_rules_fail_when_the_web_acl_publishes_no_metrics() -> None:
    props = changed(ACL, "visibilityConfig.cloudwatchMetricsEnabled", False)
    (message,) = check_resource(waf_metrics, WEB_ACL, props)
    assert message == (
        "The web ACL publishes no CloudWatch metrics: set visibility_config.cloudwatch_metrics_enabled=True."
    )


def test_waf_rules_fail_when_the_visibility_config_is_missing() -> None:
    assert len(check_resource(waf_metrics, WEB_ACL, changed(ACL, "visibilityConfig", None))) == 1


def test_waf_rules_fail_when_a_rule_publishes_no_metrics() -> None:
    props = changed(ACL, "rules.2.visibilityConfig.cloudwatchMetricsEnabled", False)
    (message,) = check_resource(waf_metrics, WEB_ACL, props)
    assert message == (
        "Rule 'known-bad-inputs' publishes no CloudWatch metrics: set "
        "visibility_config.cloudwatch_metrics_enabled=True on every rule."
    )


def test_waf_rules_fail_on_an_empty_web_acl() -> None:
    props = changed(ACL, "rules", None)
    (rate,) = check_resource(waf_rate_limits, WEB_ACL, props)
    assert rate.startswith("The web ACL has no rate-based rule:")
    (managed,) = check_resource(waf_managed_rules, WEB_ACL, props)
    assert managed.startswith(
        "The web ACL lacks the AWS managed rule groups AWSManagedRulesCommonRuleSet, "
        "AWSManagedRulesKnownBadInputsRuleSet:"
    )
    assert check_resource(waf_metrics, WEB_ACL, props) == []


@pytest.mark.parametrize("policy", [waf_rate_limits, waf_managed_rules, waf_metrics], ids=lambda p: p.name)
def test_waf_rules_judge_only_web_acls(policy: ResourceValidationPolicy) -> None:
    assert check_resource(policy, LB, LOAD_BALANCER) == []


def test_waf_required_groups_are_configurable() -> None:
    config = {"requiredManagedRuleGroups": ["AWSManagedRulesCommonRuleSet", "AWSManagedRulesSQLiRuleSet"]}
    (message,) = check_resource(waf_managed_rules, WEB_ACL, ACL, config=config)
    assert message.startswith("The web ACL lacks the AWS managed rule group AWSManagedRulesSQLiRuleSet:")
    props = changed(ACL, "rules", [RATE_RULE])
    assert check_resource(waf_managed_rules, WEB_ACL, props, config={"requiredManagedRuleGroups": []}) == []


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


# -- aws-cloudwatch-log-group-retention, aws-cloudwatch-log-group-encrypted --------------------------------------------
@pytest.mark.parametrize("policy", [log_group_retention, log_group_encrypted], ids=lambda p: p.name)
def test_log_group_passes_with_retention_and_a_key(policy: ResourceValidationPolicy) -> None:
    assert check_resource(policy, LOG_GROUP, LOG_GROUP_PROPS) == []


def test_log_group_accepts_integer_retention() -> None:
    assert check_resource(log_group_retention, LOG_GROUP, changed(LOG_GROUP_PROPS, "retentionInDays", 365)) == []


def test_log_group_fails_without_retention() -> None:
    (message,) = check_resource(log_group_retention, LOG_GROUP, changed(LOG_GROUP_PROPS, "retentionInDays", None))
    assert message == (
        "The log group's logs never expire (retention_in_days is not set): set retention_in_days to 30 or more (a "
        "value CloudWatch accepts, e.g. 30, 90, 365)."
    )


def test_log_group_fails_when_logs_never_expire() -> None:
    (message,) = check_resource(log_group_retention, LOG_GROUP, changed(LOG_GROUP_PROPS, "retentionInDays", 0.0))
    assert message.startswith("The log group's logs never expire (retention_in_days is 0)")


def test_log_group_fails_with_short_retention() -> None:
    (message,) = check_resource(log_group_retention, LOG_GROUP, changed(LOG_GROUP_PROPS, "retentionInDays", 14.0))
    assert message == "The log group keeps logs 14 days: set retention_in_days to 30 or more."


def test_log_group_minimum_retention_is_configurable() -> None:
    (message,) = check_resource(log_group_retention, LOG_GROUP, LOG_GROUP_PROPS, config={"minRetentionDays": 365})
    assert message == "The log group keeps logs 30 days: set retention_in_days to 365 or more."


def test_log_group_fails_without_a_key() -> None:
    (message,) = check_resource(log_group_encrypted, LOG_GROUP, changed(LOG_GROUP_PROPS, "kmsKeyId", None))
    assert message == (
        "The log group is not encrypted with a KMS key: set kms_key_id to a key whose policy lets "
        "logs.<region>.amazonaws.com use it (webstack's Keys component provides one)."
    )


def test_log_group_counts_a_key_unknown_during_preview_as_set() -> None:
    props = unknown_checking_proxy(changed(LOG_GROUP_PROPS, "kmsKeyId", UNKNOWN_STRING_VALUE))
    assert check_resource(log_group_encrypted, LOG_GROUP, props) == []


def test_delivery_log_groups_are_judged_only_on_their_key() -> None:
    props = {"logGroupClass": "DELIVERY", "retentionInDays": 2.0}
    assert not_applicable(log_group_retention, LOG_GROUP, props) == (
        "AWS fixes the retention of DELIVERY log groups at 2 days"
    )
    (message,) = check_resource(log_group_encrypted, LOG_GROUP, props)
    assert message.startswith("The log group is not encrypted with a KMS key")


def test_the_retention_rule_does_not_judge_the_key() -> None:
    assert check_resource(log_group_retention, LOG_GROUP, changed(LOG_GROUP_PROPS, "kmsKeyId", None)) == []


def test_log_group_rule_ignores_other_resources() -> None:
    assert check_resource(log_group_retention, "aws:cloudwatch/logStream:LogStream", {}) == []


# -- the rate rules are bounded by webstack:web.rateLimits -------------------------------------------------------------
def scoped(name: str, limit: float, window: float, constraint: str | None = None, text: str = "") -> dict[str, Any]:
    """A blocking rate rule as webstack's LoadBalancer writes it: over every request, or a lowercase URI-path match."""
    statement: dict[str, Any] = {"limit": limit, "aggregateKeyType": "IP", "evaluationWindowSec": window}
    if constraint:
        statement["scopeDownStatement"] = {
            "byteMatchStatement": {
                "positionalConstraint": constraint,
                "searchString": text,
                "fieldToMatch": {"uriPath": {}},
                "textTransformations": [{"priority": 0.0, "type": "LOWERCASE"}],
            }
        }
    return {
        "name": name,
        "priority": 1.0,
        "action": {"block": {}},
        "statement": {"rateBasedStatement": statement},
        "visibilityConfig": visibility(name),
    }


#: The three rules webstack writes for the guides' limits (login 10/120 s, API 600/60 s, general 1800/60 s).
WEBSTACK_RATE_RULES = [
    scoped("rate-limit-login", 10.0, 120.0, "CONTAINS", "login"),
    scoped("rate-limit-api", 600.0, 60.0, "STARTS_WITH", "/api/"),
    scoped("rate-limit-general", 1800.0, 60.0),
]


def with_rate_rules(*rules: dict[str, Any]) -> dict[str, Any]:
    return changed(ACL, "rules", [*rules, *ACL["rules"][1:]])


def test_webstacks_rate_rules_meet_the_guides_limits() -> None:
    assert check_resource(waf_rate_limits, WEB_ACL, with_rate_rules(*WEBSTACK_RATE_RULES)) == []


def test_a_looser_rate_rule_fails() -> None:
    """The API limit at 100,000 a minute used to pass: any rate-based rule was enough."""
    api = scoped("rate-limit-api", 100000.0, 60.0, "STARTS_WITH", "/api/")
    rules = [WEBSTACK_RATE_RULES[0], api, scoped("rate-limit-general", 100000.0, 60.0)]
    messages = check_resource(waf_rate_limits, WEB_ACL, with_rate_rules(*rules))
    assert messages == [
        "The web ACL's rate-based rule 'rate-limit-api' allows 100000 requests per 60 s for paths that start with "
        "'/api/', more than webstack:web.rateLimits.api (600 per 60 s): set limit=600 (or the limit's own window).",
        "The web ACL's rate-based rule 'rate-limit-general' allows 100000 requests per 60 s for every request, more "
        "than webstack:web.rateLimits.general (1800 per 60 s): set limit=1800 (or the limit's own window).",
    ]


def test_a_missing_rule_for_a_configured_limit_fails() -> None:
    """Only the API rule is left: nothing counts login requests or all requests."""
    rules = WEBSTACK_RATE_RULES[1:2]
    assert check_resource(waf_rate_limits, WEB_ACL, with_rate_rules(*rules)) == [
        "The web ACL has no blocking rate-based rule for webstack:web.rateLimits.login (10 requests per 120 s, paths "
        "that contain 'login'): add one with statement={rate_based_statement: {limit: 10, evaluation_window_sec: 120, "
        "...}} and action={block: {}}.",
        "The web ACL has no blocking rate-based rule for webstack:web.rateLimits.general (1800 requests per 60 s, "
        "every request): add one with statement={rate_based_statement: {limit: 1800, evaluation_window_sec: 60, "
        "...}} and action={block: {}}.",
    ]


def test_only_the_general_rule_bounds_login_too_loosely() -> None:
    """The general rule counts login requests as well, at 1800 a minute: a rule of their own is missing."""
    rules = WEBSTACK_RATE_RULES[1:]
    assert check_resource(waf_rate_limits, WEB_ACL, with_rate_rules(*rules)) == [
        "The web ACL's rate-based rule 'rate-limit-general' allows 1800 requests per 60 s for paths that contain "
        "'login', more than webstack:web.rateLimits.login (10 per 120 s): add one with "
        "statement={rate_based_statement: {limit: 10, evaluation_window_sec: 120, ...}} and action={block: {}}, scoped "
        "to paths that contain 'login'."
    ]


def test_a_rule_over_a_wider_scope_bounds_a_narrower_limit() -> None:
    """/api counts every /api/ request; a rule over every request counts them all."""
    wider = scoped("rate-limit-api", 600.0, 60.0, "STARTS_WITH", "/api")
    rules = [WEBSTACK_RATE_RULES[0], wider, WEBSTACK_RATE_RULES[2]]
    assert check_resource(waf_rate_limits, WEB_ACL, with_rate_rules(*rules)) == []
    assert check_resource(waf_rate_limits, WEB_ACL, with_rate_rules(RATE_RULE)) == []


def test_a_case_sensitive_or_unrelated_match_does_not_bound_a_limit() -> None:
    case_sensitive = scoped("rate-limit-login", 10.0, 120.0, "CONTAINS", "login")
    case_sensitive["statement"]["rateBasedStatement"]["scopeDownStatement"]["byteMatchStatement"][
        "textTransformations"
    ] = [{"priority": 0.0, "type": "NONE"}]
    elsewhere = scoped("rate-limit-login", 10.0, 120.0, "STARTS_WITH", "/admin/")
    for login in (case_sensitive, elsewhere):
        (message,) = check_resource(waf_rate_limits, WEB_ACL, with_rate_rules(login, *WEBSTACK_RATE_RULES[1:]))
        # Only the general rule counts login requests (a case-sensitive match misses /Login).
        assert message.startswith(
            "The web ACL's rate-based rule 'rate-limit-general' allows 1800 requests per 60 s for paths that contain "
            "'login', more than webstack:web.rateLimits.login"
        )


def test_the_same_rate_over_a_longer_window_passes_and_a_faster_one_fails() -> None:
    slower = scoped("rate-limit-api", 1200.0, 120.0, "STARTS_WITH", "/api/")  # 10 r/s, as the limit
    faster = scoped("rate-limit-api", 1300.0, 120.0, "STARTS_WITH", "/api/")
    assert (
        check_resource(
            waf_rate_limits,
            WEB_ACL,
            with_rate_rules(WEBSTACK_RATE_RULES[0], slower, WEBSTACK_RATE_RULES[2]),
        )
        == []
    )
    (message,) = check_resource(
        waf_rate_limits,
        WEB_ACL,
        with_rate_rules(WEBSTACK_RATE_RULES[0], faster, *WEBSTACK_RATE_RULES[2:]),
    )
    assert message == (
        "The web ACL's rate-based rule 'rate-limit-api' allows 1300 requests per 120 s for paths that start with "
        "'/api/', more than webstack:web.rateLimits.api (600 per 60 s): set limit=1200 (or the limit's own window)."
    )


def test_the_rate_limits_follow_the_stacks_policy_config() -> None:
    tighter = {**GUIDE_RATE_LIMITS, "api": {"limit": 300, "windowSeconds": 60, "path": "/api/", "match": "prefix"}}
    (message,) = check_resource(
        waf_rate_limits,
        WEB_ACL,
        with_rate_rules(*WEBSTACK_RATE_RULES),
        config={"rateLimits": tighter},
    )
    assert message.startswith(
        "The web ACL's rate-based rule 'rate-limit-api' allows 600 requests per 60 s for paths that start with "
        "'/api/', more than webstack:web.rateLimits.api (300 per 60 s)"
    )


def test_the_policys_default_limits_are_the_settings_defaults() -> None:
    """The pack's default bound and webstack's default webstack:web.rateLimits are both the guides' limits."""
    from components.settings import RateLimits

    assert {name: limit.model_dump(by_alias=True) for name, limit in RateLimits()} == GUIDE_RATE_LIMITS


@pytest.mark.parametrize("stack", stack_names(ROOT))
def test_every_stacks_policy_config_bounds_the_waf_by_the_stacks_own_rate_limits(stack: str) -> None:
    """A stack that loosens webstack:web.rateLimits must loosen its policy config too: a reviewed, visible change."""
    config = load_stack(ROOT, load_project(ROOT), stack)
    settings = parse_settings(config.values, config.secret_keys, stack=stack)
    resolved = resolve_settings(
        ALL_POLICIES, load_policy_config(ROOT / "policies" / "config" / f"{stack}.json"), PACK_ENFORCEMENT_LEVEL
    )
    configured = resolved[waf_rate_limits.name].config["rateLimits"]
    assert configured == {name: limit.model_dump(by_alias=True) for name, limit in settings.web.rate_limits}
