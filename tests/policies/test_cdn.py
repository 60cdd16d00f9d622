"""Cloudflare rules: each passes on what webstack registers with the CDN on (one zone with its TLS, HTTPS and HSTS
settings and development mode off, proxied apex and www records pointing at the load balancer, unproxied
certificate-validation records, a rate limiting ruleset, a managed WAF ruleset, a response-header ruleset, a load
balancer group that admits Cloudflare's ranges only, and HTTP and HTTPS listeners, the HTTPS one adding the security
headers itself) and fails when one thing changes. Props go through the analyzer's read-only proxies; records reach
the load balancer and data stores, and the load balancer its security groups, only through property
dependencies."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import _NotApplicableError
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UNKNOWN_NUMBER_VALUE, UNKNOWN_STRING_VALUE

from policies.rules import cdn, cdn_records, cdn_rulesets, security_headers
from policies.rules.cdn import (
    CLOUDFLARE_RANGES,
    RETIRED_ZONE_SETTINGS,
    cloudflare_development_mode_off,
    cloudflare_zone_always_https,
    cloudflare_zone_hsts,
    cloudflare_zone_setting_not_retired,
    cloudflare_zone_strict_tls,
)
from policies.rules.cdn_records import (
    alb_cloudflare_only_origin,
    cloudflare_records_no_private_targets,
    cloudflare_web_records_proxied,
)
from policies.rules.cdn_rulesets import cloudflare_managed_waf, cloudflare_rate_limiting
from policies.rules.security_headers import security_headers_on_every_response
from tests.policies.support import (
    OPTIONS,
    At,
    Res,
    analyzed,
    check_resource,
    check_stack,
    provider_in,
    stack_not_applicable,
    stack_views,
    unknown_message,
    urns,
)

ZONE = "0123456789abcdef0123456789abcdef"
OTHER_ZONE = "fedcba9876543210fedcba9876543210"
DOMAIN = "app.example.org"
ALB_DNS = "webstack-prod-alb-1234567890.us-east-1.elb.amazonaws.com"
ROLE = "webstack:role"

ZONE_SETTING = "cloudflare:index/zoneSetting:ZoneSetting"
DNS_RECORD = "cloudflare:index/dnsRecord:DnsRecord"
RULESET = "cloudflare:index/ruleset:Ruleset"
VPC = "aws:ec2/vpc:Vpc"
SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
ALB = "aws:lb/loadBalancer:LoadBalancer"
ALB_LEGACY = "aws:alb/loadBalancer:LoadBalancer"
CERTIFICATE = "aws:acm/certificate:Certificate"
LISTENER = "aws:lb/listener:Listener"
LISTENER_LEGACY = "aws:alb/listener:Listener"
DB_INSTANCE = "aws:rds/instance:Instance"
DB_CLUSTER = "aws:rds/cluster:Cluster"
REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
CACHE_CLUSTER = "aws:elasticache/cluster:Cluster"

CLOUDFLARE_MANAGED = "efb7b8c949ac4650a09736fc376e9aee"
CLOUDFLARE_FREE_MANAGED = "77454fe2d30c4220b5701f6fdfb893ba"
OWASP_CORE = "4814384a9e5d4991b9815dcfc25d2f1f"

HSTS_FIX = '{"strict_transport_security": {"enabled": True, "max_age": 31536000, "nosniff": True}}'
RATE_LIMIT_EXAMPLE = (
    '{action: "block", expression: "true", ratelimit: {characteristics: ["cf.colo.id", "ip.src"], period: 60, '
    "requests_per_period: 600, mitigation_timeout: 60}}"
)


# -- calling stack rules -----------------------------------------------------------------------------------------------
def check(
    policy: StackValidationPolicy, resources: Sequence[Res], config: Mapping[str, Any] | None = None
) -> list[tuple[str, str]]:
    """The (urn, message) violations of a stack rule. AWS resources are :class:`At` (with the provider of their
    region); Cloudflare resources are plain :class:`Res`, with no aws provider."""
    return check_stack(policy, resources, config, default_region=None)


def outcome(policy: StackValidationPolicy, resources: Sequence[Res]) -> tuple[list[tuple[str, str]], str]:
    """The violations a rule reports before it finishes, and its not-applicable reason ("" when it applies)."""
    found: list[tuple[str, str]] = []
    try:
        policy.validate(
            StackValidationArgs(stack_views(resources), None),
            lambda message, urn=None: found.append((urn or "", message)),
        )
    except _NotApplicableError as error:
        return found, error.reason or ""
    return found, ""


# -- what webstack registers -------------------------------------------------------------------------------------------
def hsts(**changes: Any) -> dict[str, Any]:
    sts: dict[str, Any] = {
        "enabled": True,
        "max_age": 31536000.0,
        "include_subdomains": True,
        "preload": True,
        "nosniff": True,
    }
    sts.update(changes)
    return {"strict_transport_security": sts}


#: The zone settings webstack sets: the five the strict TLS rule requires, development mode off, and a few others.
SETTINGS: dict[str, Any] = {
    "ssl": "strict",
    "min_tls_version": "1.2",
    "always_use_https": "on",
    "security_header": hsts(),
    "tls_1_3": "on",
    "automatic_https_rewrites": "on",
    "http3": "on",
    "development_mode": "off",
    "ssl_automatic_mode": "custom",
}
CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'self'; "
    "form-action 'self'; upgrade-insecure-requests"
)
#: The headers webstack's Cloudflare rule sets on every response.
HEADERS: dict[str, str] = {
    "X-Frame-Options": "SAMEORIGIN",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Content-Security-Policy": CSP,
}
#: The response headers webstack's HTTPS listener sets: listener prop -> value.
LISTENER_HEADERS: dict[str, Any] = {
    "routingHttpResponseStrictTransportSecurityHeaderValue": "max-age=31536000; includeSubDomains; preload",
    "routingHttpResponseXContentTypeOptionsHeaderValue": "nosniff",
    "routingHttpResponseXFrameOptionsHeaderValue": "SAMEORIGIN",
    "routingHttpResponseContentSecurityPolicyHeaderValue": CSP,
    "routingHttpResponseServerEnabled": False,
}


def zone_setting(setting_id: str, value: Any, zone: str = ZONE, urn: str = "") -> Res:
    props = {"zoneId": zone, "settingId": setting_id, "value": value}
    return Res(urn or f"urn:zone-setting:{setting_id}", ZONE_SETTING, props)


def record(urn: str, name: str, content: str, *, kind: str = "CNAME", proxied: Any = True, to: str = "") -> Res:
    props = {"zoneId": ZONE, "name": name, "type": kind, "content": content, "proxied": proxied, "ttl": 1.0}
    if proxied is False:
        props["ttl"] = 60.0
    return Res(urn, DNS_RECORD, props, {"content": [to]} if to else {})


def validation_record(label: str, name: str, content: str) -> Res:
    """An ACM validation record: name, type and content come from the certificate."""
    props = {"zoneId": ZONE, "name": name, "type": "CNAME", "content": content, "proxied": False, "ttl": 60.0}
    deps = {key: ["urn:certificate"] for key in ("name", "type", "content")}
    return Res(f"urn:record:validation-{label}", DNS_RECORD, props, deps)


def rate_rule(description: str, expression: str, requests: float) -> dict[str, Any]:
    return {
        "description": description,
        "expression": expression,
        "action": "block",
        "enabled": True,
        "ratelimit": {
            "characteristics": ["cf.colo.id", "ip.src"],
            "period": 60.0,
            "requestsPerPeriod": requests,
            "mitigationTimeout": 60.0,
        },
    }


def execute(description: str, ruleset_id: str) -> dict[str, Any]:
    return {
        "description": description,
        "expression": "true",
        "action": "execute",
        "enabled": True,
        "actionParameters": {"id": ruleset_id},
    }


def header_rule(headers: Mapping[str, str] | None = None, **changes: Any) -> dict[str, Any]:
    """A response header rule for every response, setting ``headers`` (webstack's unless a test says otherwise)."""
    rule: dict[str, Any] = {
        "ref": "security_headers",
        "description": "security headers on every response",
        "expression": "true",
        "action": "rewrite",
        "actionParameters": {
            "headers": {
                name: {"operation": "set", "value": value}
                for name, value in (HEADERS if headers is None else headers).items()
            }
        },
    }
    rule.update(changes)
    return rule


def listener(urn: str, protocol: str = "HTTPS", kind: str = LISTENER, **changes: Any) -> At:
    """A listener of the load balancer: HTTPS with webstack's headers, or HTTP redirecting to HTTPS."""
    props: dict[str, Any]
    if protocol.upper() == "HTTPS":
        props = {
            "loadBalancerArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/edge/1",
            "port": 443.0,
            "protocol": protocol,
            "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
            "certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/1",
            "defaultActions": [{"type": "forward", "targetGroupArn": "arn:aws:elasticloadbalancing:tg/frontend"}],
            **LISTENER_HEADERS,
        }
    else:
        props = {
            "loadBalancerArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/edge/1",
            "port": 80.0,
            "protocol": protocol,
            "defaultActions": [
                {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}
            ],
        }
    props.update(changes)
    return At(urn, kind, {k: v for k, v in props.items() if v is not None}, {"loadBalancerArn": ["urn:alb"]})


def ingress(urn: str, group: str, port: int, cidr: str) -> At:
    props = {
        "securityGroupId": f"sg-{group}",
        "ipProtocol": "tcp",
        "fromPort": float(port),
        "toPort": float(port),
        "cidrIpv6" if ":" in cidr else "cidrIpv4": cidr,
        "description": "Cloudflare",
    }
    return At(urn, INGRESS, props, {"securityGroupId": [f"urn:sg-{group}"]})


def stack() -> list[Res]:
    """What webstack registers with the CDN on, reduced to what the rules look at."""
    return [
        *(zone_setting(setting_id, value) for setting_id, value in SETTINGS.items()),
        At("urn:vpc", VPC, {"cidrBlock": "10.0.0.0/16"}),
        At("urn:sg-lb", SG, {"vpcId": "vpc-1", "tags": {ROLE: "lb"}}, {"vpcId": ["urn:vpc"]}),
        At("urn:sg-app", SG, {"vpcId": "vpc-1", "tags": {ROLE: "app"}}, {"vpcId": ["urn:vpc"]}),
        *(
            ingress(f"urn:lb-{port}-{index}", "lb", port, cidr)
            for port in (80, 443)
            for index, cidr in enumerate(CLOUDFLARE_RANGES)
        ),
        At(
            "urn:app-8000",
            INGRESS,
            {
                "securityGroupId": "sg-app",
                "ipProtocol": "tcp",
                "fromPort": 8000.0,
                "toPort": 8000.0,
                "referencedSecurityGroupId": "sg-lb",
            },
            {"securityGroupId": ["urn:sg-app"], "referencedSecurityGroupId": ["urn:sg-lb"]},
        ),
        At(
            "urn:alb",
            ALB,
            {"loadBalancerType": "application", "internal": False, "securityGroups": ["sg-lb"]},
            {"securityGroups": ["urn:sg-lb"]},
        ),
        listener("urn:listener:http", "HTTP"),
        listener("urn:listener:https"),
        At("urn:db", DB_INSTANCE, {"engine": "postgres", "publiclyAccessible": False}),
        At("urn:cache", REPLICATION_GROUP, {"engine": "redis"}),
        At("urn:certificate", CERTIFICATE, {"domainName": DOMAIN, "validationMethod": "DNS"}),
        validation_record("apex", f"_3f2a9c.{DOMAIN}", "_9c1d7e.xlfgrmvvlj.acm-validations.aws"),
        validation_record("www", f"_8b4e01.www.{DOMAIN}", "_1a2b3c.xlfgrmvvlj.acm-validations.aws"),
        record("urn:record:apex", "@", ALB_DNS, to="urn:alb"),
        record("urn:record:www", "www", ALB_DNS, to="urn:alb"),
        Res(
            "urn:ruleset:rate-limits",
            RULESET,
            {
                "zoneId": ZONE,
                "kind": "zone",
                "phase": "http_ratelimit",
                "name": "webstack rate limits",
                "rules": [
                    rate_rule("api", 'starts_with(http.request.uri.path, "/api/")', 600.0),
                    rate_rule("login", 'http.request.uri.path contains "login"', 10.0),
                    rate_rule("general", "true", 1800.0),
                ],
            },
        ),
        Res(
            "urn:ruleset:managed-waf",
            RULESET,
            {
                "zoneId": ZONE,
                "kind": "zone",
                "phase": "http_request_firewall_managed",
                "name": "webstack managed WAF",
                "rules": [
                    execute("Cloudflare Managed Ruleset", CLOUDFLARE_MANAGED),
                    execute("Cloudflare OWASP Core Ruleset", OWASP_CORE),
                ],
            },
        ),
        Res(
            "urn:ruleset:headers",
            RULESET,
            {
                "zoneId": ZONE,
                "kind": "zone",
                "phase": "http_response_headers_transform",
                "name": "webstack headers",
                "rules": [header_rule()],
            },
        ),
    ]


def find(resources: Sequence[Res], urn: str) -> Res:
    return next(r for r in resources if r.urn == urn)


def drop(resources: list[Res], *gone: str) -> list[Res]:
    return [r for r in resources if r.urn not in gone]


def rules_of(resources: Sequence[Res], urn: str) -> list[dict[str, Any]]:
    return find(resources, urn).props["rules"]


def previewed(resources: list[Res]) -> list[Res]:
    """The stack as a preview of a new stack sees it: what comes from AWS (the validation records' name, type and
    content, the load balancer's DNS name, security group ids) is unknown; what the program writes is known."""
    result = copy.deepcopy(resources)
    for r in result:
        if r.urn.startswith("urn:record:validation-"):
            r.props.update(name=UNKNOWN_STRING_VALUE, type=UNKNOWN_STRING_VALUE, content=UNKNOWN_STRING_VALUE)
        elif r.type == DNS_RECORD:
            r.props["content"] = UNKNOWN_STRING_VALUE
        for key in ("securityGroupId", "referencedSecurityGroupId"):
            if key in r.props:
                r.props[key] = UNKNOWN_STRING_VALUE
        if r.type == ALB:
            r.props["securityGroups"] = [UNKNOWN_STRING_VALUE]
        if r.type == LISTENER:
            r.props["loadBalancerArn"] = UNKNOWN_STRING_VALUE
            r.props["defaultActions"][0]["targetGroupArn"] = UNKNOWN_STRING_VALUE
            if "certificateArn" in r.props:
                r.props["certificateArn"] = UNKNOWN_STRING_VALUE
    return result


def aws_only() -> list[Res]:
    """The stack with the CDN off: no Cloudflare resources, the load balancer open to the internet."""
    resources = [r for r in stack() if not r.type.startswith("cloudflare:")]
    resources = [r for r in resources if not r.urn.startswith("urn:lb-")]
    return [*resources, ingress("urn:lb-443-internet", "lb", 443, "0.0.0.0/0")]


# -- every rule --------------------------------------------------------------------------------------------------------
RULE_TAGS = {
    "cloudflare-zone-strict-tls": "checklist:tls",
    "cloudflare-zone-always-https": "checklist:http-to-https",
    "cloudflare-zone-hsts": "checklist:security-headers",
    "cloudflare-zone-setting-not-retired": "checklist:tls",
    "cloudflare-web-records-proxied": "checklist:rate-limiting",
    "cloudflare-records-no-private-targets": "checklist:db-not-public",
    "cloudflare-rate-limiting": "checklist:rate-limiting",
    "cloudflare-managed-waf": "checklist:rate-limiting",
    "cloudflare-development-mode-off": "checklist:debug-off",
    "security-headers-on-every-response": "checklist:security-headers",
    "aws-alb-cloudflare-only-origin": "checklist:firewall-only-80-443",
}
POLICIES = [*cdn.POLICIES, *cdn_records.POLICIES, *cdn_rulesets.POLICIES, *security_headers.POLICIES]
STACK_RULES = [p for p in POLICIES if isinstance(p, StackValidationPolicy)]


def test_the_cloudflare_modules_export_their_eleven_rules() -> None:
    assert sorted(p.name for p in POLICIES) == sorted(RULE_TAGS)
    assert [p for p in POLICIES if not isinstance(p, StackValidationPolicy)] == [
        cloudflare_zone_setting_not_retired,
        cloudflare_development_mode_off,
    ]
    assert isinstance(cloudflare_development_mode_off, ResourceValidationPolicy)


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_every_rule_is_described_for_people(policy: StackValidationPolicy | ResourceValidationPolicy) -> None:
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", policy.name)
    assert policy.description.startswith("Checks that ")
    assert policy.enforcement_level == EnforcementLevel.MANDATORY
    assert policy.severity is not None
    assert policy.remediation_steps
    assert next(tag for tag in policy.tags or [] if tag.startswith("checklist:")) == RULE_TAGS[policy.name]
    assert "cloudflare" in (policy.tags or [])
    for spec in (policy.config_schema.properties if policy.config_schema else {}).values():
        assert "type" in spec
        assert "default" in spec


@pytest.mark.parametrize("policy", STACK_RULES, ids=lambda p: p.name)
def test_every_rule_passes_on_what_webstack_registers(policy: StackValidationPolicy) -> None:
    assert check(policy, stack()) == []


@pytest.mark.parametrize("policy", STACK_RULES, ids=lambda p: p.name)
def test_every_rule_reads_plain_dicts_as_well_as_proxies(policy: StackValidationPolicy) -> None:
    resources = stack()
    views = {
        r.urn: PolicyResource(r.type, r.props, r.urn, r.urn, OPTIONS, provider_in(None), None, [], {})
        for r in resources
    }
    for r in resources:
        views[r.urn].property_dependencies = {k: [views[u] for u in us] for k, us in r.deps.items()}
    found: list[tuple[str, str]] = []
    policy.validate(
        StackValidationArgs(list(views.values()), None), lambda message, urn=None: found.append((urn or "", message))
    )
    assert found == []


@pytest.mark.parametrize("policy", STACK_RULES, ids=lambda p: p.name)
def test_every_rule_decides_the_preview_of_what_webstack_registers(policy: StackValidationPolicy) -> None:
    assert check(policy, previewed(stack())) == []


REASONS = {
    "cloudflare-zone-strict-tls": "the stack manages no Cloudflare zone",
    "cloudflare-zone-always-https": "the stack manages no Cloudflare zone",
    "cloudflare-zone-hsts": "the stack manages no Cloudflare zone",
    "cloudflare-web-records-proxied": "the stack has no Cloudflare DNS records",
    "cloudflare-records-no-private-targets": "the stack has no Cloudflare DNS records",
    "cloudflare-rate-limiting": "the stack manages no Cloudflare zone",
    "cloudflare-managed-waf": "the stack manages no Cloudflare zone",
    "security-headers-on-every-response": "the stack has neither a Cloudflare zone nor an HTTPS listener",
    "aws-alb-cloudflare-only-origin": "no proxied Cloudflare DNS record points at a load balancer of the stack",
}


@pytest.mark.parametrize("policy", STACK_RULES, ids=lambda p: p.name)
def test_every_rule_does_not_apply_to_a_stack_without_cloudflare(policy: StackValidationPolicy) -> None:
    """Without HTTPS listeners too: the security headers rule also checks the load balancer's."""
    without_https = [r for r in aws_only() if r.urn != "urn:listener:https"]
    assert outcome(policy, without_https) == ([], REASONS[policy.name])
    assert stack_not_applicable(policy, []) == REASONS[policy.name]


#: The rules that judge a zone's resources together.
ZONE_RULES = {
    "cloudflare-zone-strict-tls",
    "cloudflare-zone-always-https",
    "cloudflare-zone-hsts",
    "cloudflare-rate-limiting",
    "cloudflare-managed-waf",
    "security-headers-on-every-response",
}


@pytest.mark.parametrize("policy", STACK_RULES, ids=lambda p: p.name)
def test_every_rule_judges_resources_whose_zone_id_is_unknown_during_preview(policy: StackValidationPolicy) -> None:
    """A zone the program creates has an unknown id during preview: its resources are judged together, as the zone
    they come from, never skipped (a weak setting there is still reported)."""
    unknown_zone = [
        zone_setting("ssl", "flexible", UNKNOWN_STRING_VALUE, "urn:zone-setting:unknown-zone"),
        Res(
            "urn:ruleset:unknown-zone",
            RULESET,
            {"zoneId": UNKNOWN_STRING_VALUE, "kind": "zone", "phase": "http_ratelimit", "rules": []},
        ),
    ]
    found = check(policy, [*stack(), *unknown_zone])
    if policy.name in ZONE_RULES:
        assert {urn for urn, _ in found} & {r.urn for r in unknown_zone}, found
    else:
        assert found == []


# -- cloudflare-zone-strict-tls, cloudflare-zone-always-https, cloudflare-zone-hsts ------------------------------------
ZONE_SETTING_RULES = [cloudflare_zone_strict_tls, cloudflare_zone_always_https, cloudflare_zone_hsts]


def zone_settings_check(resources: list[Res], config: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    """The violations of the three zone-setting rules together."""
    return [found for policy in ZONE_SETTING_RULES for found in check(policy, resources, config)]


def test_strict_tls_fails_without_ssl_strict_on_the_zones_first_resource() -> None:
    resources = drop(stack(), "urn:zone-setting:ssl")
    ((urn, message),) = check(cloudflare_zone_strict_tls, resources)
    assert urn == "urn:zone-setting:min_tls_version"
    assert message == (
        f"Zone {ZONE} has no ssl zone setting, so Cloudflare may reach the origin over plain HTTP, or over HTTPS "
        f'without checking its certificate: add a cloudflare.ZoneSetting(zone_id="{ZONE}", setting_id="ssl", '
        'value="strict").'
    )


@pytest.mark.parametrize(
    ("setting_id", "start"),
    [
        ("min_tls_version", f"Zone {ZONE} has no min_tls_version zone setting, so visitors may connect with TLS 1.0"),
        ("always_use_https", f"Zone {ZONE} has no always_use_https zone setting, so visitors may use the site over"),
        ("security_header", f"Zone {ZONE} has no security_header zone setting, so browsers are not told to use"),
    ],
)
def test_the_zone_setting_rules_fail_for_each_missing_setting(setting_id: str, start: str) -> None:
    ((urn, message),) = zone_settings_check(drop(stack(), f"urn:zone-setting:{setting_id}"))
    assert urn == "urn:zone-setting:ssl"
    assert message.startswith(start)
    assert f'setting_id="{setting_id}", value=' in message


@pytest.mark.parametrize(
    ("setting_id", "value", "fix"),
    [
        ("ssl", "flexible", '"strict"'),
        ("ssl", "full", '"strict"'),
        ("ssl", "off", '"strict"'),
        ("min_tls_version", "1.0", '"1.2"'),
        ("min_tls_version", "1.1", '"1.2"'),
        ("always_use_https", "off", '"on"'),
    ],
)
def test_the_zone_setting_rules_fail_for_a_weak_value_on_the_setting(setting_id: str, value: str, fix: str) -> None:
    resources = stack()
    find(resources, f"urn:zone-setting:{setting_id}").props["value"] = value
    ((urn, message),) = zone_settings_check(resources)
    assert urn == f"urn:zone-setting:{setting_id}"
    assert message.startswith(f'The zone setting {setting_id} is "{value}", so ')
    assert message.endswith(f": set value={fix}.")


def test_strict_tls_names_the_weak_ssl_mode() -> None:
    resources = stack()
    find(resources, "urn:zone-setting:ssl").props["value"] = "full"
    assert check(cloudflare_zone_strict_tls, resources) == [
        (
            "urn:zone-setting:ssl",
            'The zone setting ssl is "full", so Cloudflare may reach the origin over plain HTTP, or over HTTPS '
            'without checking its certificate: set value="strict".',
        )
    ]


def test_strict_tls_fails_while_automatic_ssl_mode_may_override_strict() -> None:
    resources = stack()
    find(resources, "urn:zone-setting:ssl_automatic_mode").props["value"] = "auto"
    assert check(cloudflare_zone_strict_tls, resources) == [
        (
            "urn:zone-setting:ssl_automatic_mode",
            'The zone setting ssl_automatic_mode is "auto", so Cloudflare\'s automatic SSL/TLS mode, the default of '
            "new zones, chooses the encryption mode itself and may lower it below the ssl setting (Cloudflare docs, "
            '"Automatic SSL/TLS"): set value="custom".',
        )
    ]
    without = [r for r in stack() if r.urn != "urn:zone-setting:ssl_automatic_mode"]
    (found,) = check(cloudflare_zone_strict_tls, without)
    assert found[1].startswith(f"Zone {ZONE} has no ssl_automatic_mode zone setting")


def test_hsts_fails_on_preload_without_include_subdomains() -> None:
    resources = stack()
    find(resources, "urn:zone-setting:security_header").props["value"] = hsts(include_subdomains=False)
    assert check(cloudflare_zone_hsts, resources) == [
        (
            "urn:zone-setting:security_header",
            "The zone setting security_header asks for preload without include_subdomains, which browsers' preload "
            "lists refuse (hstspreload.org requires includeSubDomains): set include_subdomains=True "
            "(webstack:cdn.hstsIncludeSubdomains) or drop preload.",
        )
    ]


def test_hsts_passes_hsts_without_subdomains_or_preload() -> None:
    """Both bind every host of the domain for months: each stack opts in, so leaving them off passes."""
    resources = stack()
    find(resources, "urn:zone-setting:security_header").props["value"] = hsts(include_subdomains=False, preload=False)
    assert check(cloudflare_zone_hsts, resources) == []


def test_strict_tls_accepts_tls_1_3_as_the_minimum() -> None:
    resources = stack()
    find(resources, "urn:zone-setting:min_tls_version").props["value"] = "1.3"
    assert check(cloudflare_zone_strict_tls, resources) == []


def test_hsts_fails_when_hsts_is_too_short() -> None:
    resources = stack()
    find(resources, "urn:zone-setting:security_header").props["value"] = hsts(max_age=86400.0)
    ((urn, message),) = check(cloudflare_zone_hsts, resources)
    assert urn == "urn:zone-setting:security_header"
    assert message == (
        "The zone setting security_header sets max_age 86400, so browsers are not told to use the site over HTTPS "
        f"only for at least 31536000 seconds (HSTS): set value={HSTS_FIX}."
    )


@pytest.mark.parametrize(
    ("value", "what"),
    [
        (hsts(enabled=False), "does not enable strict_transport_security"),
        (hsts(enabled=False, max_age=0.0), "does not enable strict_transport_security and sets max_age 0"),
        ({"strict_transport_security": {"enabled": True}}, "sets no max_age"),
        ({}, "sets no strict_transport_security"),
        ("on", "sets no strict_transport_security"),
    ],
    ids=["disabled", "disabled-and-zero", "no-max-age", "empty", "text"],
)
def test_hsts_fails_when_hsts_is_off(value: Any, what: str) -> None:
    resources = stack()
    find(resources, "urn:zone-setting:security_header").props["value"] = value
    ((urn, message),) = check(cloudflare_zone_hsts, resources)
    assert urn == "urn:zone-setting:security_header"
    assert message.startswith(f"The zone setting security_header {what}, so browsers")


def test_hsts_reads_a_security_header_given_as_json_text() -> None:
    resources = stack()
    find(resources, "urn:zone-setting:security_header").props["value"] = json.dumps(hsts())
    assert check(cloudflare_zone_hsts, resources) == []
    find(resources, "urn:zone-setting:security_header").props["value"] = json.dumps(hsts(enabled=False))
    assert urns(check(cloudflare_zone_hsts, resources)) == ["urn:zone-setting:security_header"]


def test_hsts_minimum_hsts_age_is_configurable() -> None:
    config = {"minHstsMaxAgeSeconds": 63072000}
    ((_, message),) = check(cloudflare_zone_hsts, stack(), config)
    assert message.startswith("The zone setting security_header sets max_age 31536000, so browsers are not told to")
    assert '"max_age": 63072000' in message
    resources = stack()
    find(resources, "urn:zone-setting:security_header").props["value"] = hsts(max_age=86400.0)
    assert check(cloudflare_zone_hsts, resources, {"minHstsMaxAgeSeconds": 86400}) == []


def test_strict_tls_reports_each_weak_setting_once_per_zone() -> None:
    resources = [*stack(), zone_setting("ssl", "flexible", urn="urn:zone-setting:ssl-again")]
    find(resources, "urn:zone-setting:ssl").props["value"] = "full"
    ((urn, _),) = check(cloudflare_zone_strict_tls, resources)
    assert urn == "urn:zone-setting:ssl"


def test_strict_tls_passes_when_one_of_two_settings_for_an_id_is_strong() -> None:
    resources = [*stack(), zone_setting("ssl", "flexible", urn="urn:zone-setting:ssl-again")]
    assert check(cloudflare_zone_strict_tls, resources) == []


def test_the_zone_setting_rules_checks_every_zone_the_stack_manages() -> None:
    """A record in a second zone makes it managed: all five settings are missing there, reported on that record."""
    other = Res(
        "urn:record:other",
        DNS_RECORD,
        {"zoneId": OTHER_ZONE, "name": "www", "type": "CNAME", "content": ALB_DNS, "proxied": True},
    )
    found = zone_settings_check([*stack(), other])
    assert urns(found) == ["urn:record:other"] * 5
    assert [message.split(",")[0] for _, message in found] == [
        f"Zone {OTHER_ZONE} has no {setting_id} zone setting"
        for setting_id in ("ssl", "ssl_automatic_mode", "min_tls_version", "always_use_https", "security_header")
    ]


def test_the_zone_setting_rules_does_not_count_another_zones_settings() -> None:
    resources = stack()
    find(resources, "urn:zone-setting:always_use_https").props["zoneId"] = OTHER_ZONE
    found = zone_settings_check(resources)
    assert sorted(urns(found)) == ["urn:zone-setting:always_use_https"] * 4 + ["urn:zone-setting:ssl"]


def test_strict_tls_reports_a_value_unknown_during_preview() -> None:
    resources = stack()
    find(resources, "urn:zone-setting:ssl").props["value"] = UNKNOWN_STRING_VALUE
    assert check(cloudflare_zone_strict_tls, resources) == [
        ("urn:zone-setting:ssl", unknown_message("The ssl zone setting's value", '"strict"'))
    ]


def test_hsts_reports_an_hsts_age_unknown_during_preview() -> None:
    resources = stack()
    find(resources, "urn:zone-setting:security_header").props["value"] = hsts(max_age=UNKNOWN_NUMBER_VALUE)
    ((urn, message),) = check(cloudflare_zone_hsts, resources)
    assert urn == "urn:zone-setting:security_header"
    assert message == unknown_message("The security_header zone setting's value", HSTS_FIX)


@pytest.mark.parametrize("policy", ZONE_SETTING_RULES, ids=lambda p: p.name)
def test_the_zone_setting_rules_report_a_setting_id_unknown_during_preview_and_nothing_missing(
    policy: StackValidationPolicy,
) -> None:
    resources = stack()
    find(resources, "urn:zone-setting:ssl").props["settingId"] = UNKNOWN_STRING_VALUE
    ((urn, message),) = check(policy, resources)
    assert urn == "urn:zone-setting:ssl"
    assert message.startswith("setting_id is unknown during preview, so this rule cannot check it")


@pytest.mark.parametrize(
    ("policy", "setting_id"),
    [
        (cloudflare_zone_strict_tls, "always_use_https"),
        (cloudflare_zone_strict_tls, "security_header"),
        (cloudflare_zone_always_https, "ssl"),
        (cloudflare_zone_always_https, "security_header"),
        (cloudflare_zone_hsts, "ssl"),
        (cloudflare_zone_hsts, "always_use_https"),
    ],
    ids=lambda value: getattr(value, "name", value),
)
def test_each_zone_setting_rule_judges_only_its_own_settings(policy: StackValidationPolicy, setting_id: str) -> None:
    assert check(policy, drop(stack(), f"urn:zone-setting:{setting_id}")) == []


# -- cloudflare-web-records-proxied ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "name", "content"),
    [("A", "origin", "54.239.28.85"), ("AAAA", "origin6", "2600:1f18:1234::1"), ("CNAME", "api", ALB_DNS)],
)
def test_records_fail_when_a_web_record_is_not_proxied(kind: str, name: str, content: str) -> None:
    resources = [*stack(), record(f"urn:record:{name}", name, content, kind=kind, proxied=False)]
    ((urn, message),) = check(cloudflare_web_records_proxied, resources)
    assert urn == f"urn:record:{name}"
    assert message.startswith(f"The {kind} record '{name}' is not proxied, so it publishes the origin's address")


def test_records_fail_when_the_www_record_is_not_proxied() -> None:
    resources = stack()
    find(resources, "urn:record:www").props["proxied"] = False
    assert check(cloudflare_web_records_proxied, resources) == [
        (
            "urn:record:www",
            "The CNAME record 'www' is not proxied, so it publishes the origin's address and its traffic bypasses "
            "Cloudflare's TLS settings, WAF and rate limits: set proxied=True (with ttl=1, automatic).",
        )
    ]


def test_records_fail_when_proxied_is_not_set() -> None:
    resources = stack()
    find(resources, "urn:record:apex").props.pop("proxied")
    assert urns(check(cloudflare_web_records_proxied, resources)) == ["urn:record:apex"]


def test_records_exempt_underscore_records_and_other_types() -> None:
    resources = [
        *stack(),
        record("urn:record:dmarc", "_dmarc", "v=DMARC1; p=reject", kind="TXT", proxied=False),
        record("urn:record:mx", "@", "mail.example.org", kind="MX", proxied=False),
        record("urn:record:spf", "@", "v=spf1 -all", kind="TXT", proxied=False),
        record("urn:record:dkim", "_domainkey.mail", "dkim.example.net", proxied=False),
    ]
    assert check(cloudflare_web_records_proxied, resources) == []


def test_records_read_the_type_in_any_case() -> None:
    resources = [*stack(), record("urn:record:lower", "shop", ALB_DNS, kind="cname", proxied=False)]
    assert urns(check(cloudflare_web_records_proxied, resources)) == ["urn:record:lower"]


# -- cloudflare-records-no-private-targets -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "content", "what"),
    [
        ("A", "10.0.1.25", "private"),
        ("A", "172.16.4.4", "private"),
        ("A", "192.168.1.10", "private"),
        ("A", "127.0.0.1", "loopback"),
        ("A", "169.254.169.254", "link-local"),
        ("A", "0.0.0.0", "unspecified"),
        ("AAAA", "::1", "loopback"),
        ("AAAA", "fe80::1", "link-local"),
        ("AAAA", "fd12:3456:789a::1", "unique-local"),
        ("AAAA", "::", "unspecified"),
    ],
)
@pytest.mark.parametrize("proxied", [True, False])
def test_records_fail_when_pointing_at_an_address_nobody_can_reach(
    kind: str, content: str, what: str, proxied: bool
) -> None:
    resources = [*stack(), record("urn:record:internal", "internal", content, kind=kind, proxied=proxied)]
    ((urn, message),) = check(cloudflare_records_no_private_targets, resources)
    assert urn == "urn:record:internal"
    assert message.startswith(f"The {kind} record 'internal' points at {content}, a {what} address, ")
    assert urns(check(cloudflare_web_records_proxied, resources)) == ([] if proxied else ["urn:record:internal"])


def test_records_name_the_private_address_and_the_fix() -> None:
    resources = [*stack(), record("urn:record:internal", "internal", "10.0.1.25", kind="A")]
    assert check(cloudflare_records_no_private_targets, resources) == [
        (
            "urn:record:internal",
            "The A record 'internal' points at 10.0.1.25, a private address, which reveals internal addressing and "
            "serves nobody on the internet: remove the record, or point it at the load balancer (a CNAME to its "
            "dns_name, proxied).",
        )
    ]


def test_records_fail_when_an_underscore_record_points_at_a_private_address() -> None:
    resources = [*stack(), record("urn:record:under", "_internal", "10.0.0.9", kind="A", proxied=False)]
    ((urn, message),) = check(cloudflare_records_no_private_targets, resources)
    assert urn == "urn:record:under"
    assert "a private address" in message


def test_records_pass_public_addresses() -> None:
    resources = [
        *stack(),
        record("urn:record:v4", "v4", "54.239.28.85", kind="A"),
        record("urn:record:v6", "v6", "2600:1f18:1234::1", kind="AAAA"),
    ]
    assert check(cloudflare_records_no_private_targets, resources) == []


@pytest.mark.parametrize(
    "content",
    [
        "webstack-prod-db.abcdefghij12.us-east-1.rds.amazonaws.com",
        "webstack-prod.cluster-abcdefghij12.us-east-1.rds.amazonaws.com.",
        "webstack-prod-db.abcdefghij12.cn-north-1.rds.amazonaws.com.cn",
        "master.webstack-prod-cache.abc123.use1.cache.amazonaws.com",
        "WEBSTACK-PROD-CACHE.ABC123.USE1.CACHE.AMAZONAWS.COM",
    ],
)
@pytest.mark.parametrize("name", ["db", "_db"])
def test_records_fail_when_pointing_at_a_database_or_cache_endpoint(content: str, name: str) -> None:
    resources = [*stack(), record("urn:record:db", name, content, proxied=name.startswith("_") is False)]
    ((urn, message),) = check(cloudflare_records_no_private_targets, resources)
    assert urn == "urn:record:db"
    assert message == (
        f"The CNAME record '{name}' points at {content.rstrip('.').lower()}, a database or cache endpoint, which must "
        "have no public name: remove the record; the app reaches the data store through its private endpoint."
    )


@pytest.mark.parametrize(
    ("store_type", "what"),
    [
        (DB_INSTANCE, "RDS instance"),
        (DB_CLUSTER, "RDS cluster"),
        (REPLICATION_GROUP, "ElastiCache replication group"),
        (CACHE_CLUSTER, "ElastiCache cluster"),
    ],
)
def test_records_fail_when_the_content_depends_on_a_data_store(store_type: str, what: str) -> None:
    """During preview the endpoint is unknown: the dependency tells what the record points at."""
    resources = [
        *stack(),
        At("urn:store", store_type, {}),
        record("urn:record:store", "store", UNKNOWN_STRING_VALUE, proxied=True, to="urn:store"),
    ]
    assert check(cloudflare_records_no_private_targets, resources) == [
        (
            "urn:record:store",
            f"The CNAME record 'store' points at the {what} 'store', a database or cache endpoint, which must have no "
            "public name: remove the record; the app reaches the data store through its private endpoint.",
        )
    ]


def test_records_fail_when_a_known_custom_endpoint_depends_on_the_database() -> None:
    resources = [*stack(), record("urn:record:db", "db", "db.internal.example.org", to="urn:db")]
    assert urns(check(cloudflare_records_no_private_targets, resources)) == ["urn:record:db"]


def test_records_skip_content_unknown_during_preview_unless_it_names_a_data_store() -> None:
    resources = [
        *stack(),
        record("urn:record:lb", "shop", UNKNOWN_STRING_VALUE, to="urn:alb"),
        record("urn:record:elsewhere", "docs", UNKNOWN_STRING_VALUE),
    ]
    assert check(cloudflare_records_no_private_targets, resources) == []
    assert check(cloudflare_web_records_proxied, resources) == []


def test_records_report_proxied_unknown_during_preview() -> None:
    resources = stack()
    find(resources, "urn:record:www").props["proxied"] = UNKNOWN_BOOLEAN_VALUE
    assert check(cloudflare_web_records_proxied, resources) == [("urn:record:www", unknown_message("proxied", "True"))]


def test_records_with_a_name_or_type_unknown_during_preview_may_be_validation_records() -> None:
    resources = stack()
    find(resources, "urn:record:validation-apex").props["name"] = UNKNOWN_STRING_VALUE
    find(resources, "urn:record:validation-www").props["type"] = UNKNOWN_STRING_VALUE
    assert check(cloudflare_web_records_proxied, resources) == []


def test_records_with_an_unknown_type_are_reported_and_still_may_not_name_a_data_store() -> None:
    resources = [*stack(), record("urn:record:db", "db", UNKNOWN_STRING_VALUE, kind=UNKNOWN_STRING_VALUE, to="urn:db")]
    assert check(cloudflare_web_records_proxied, resources) == [
        ("urn:record:db", unknown_message("type", "a literal value"))
    ]
    (data_store,) = check(cloudflare_records_no_private_targets, resources)
    assert data_store[0] == "urn:record:db"
    assert data_store[1].startswith("The record 'db' points at the RDS instance 'db', a database or cache endpoint")


# -- cloudflare-rate-limiting ------------------------------------------------------------------------------------------
def test_rate_limiting_fails_without_a_ruleset_on_the_zones_first_resource() -> None:
    assert check(cloudflare_rate_limiting, drop(stack(), "urn:ruleset:rate-limits")) == [
        (
            "urn:zone-setting:ssl",
            f"Zone {ZONE} has no rate limiting ruleset, so one client can flood the site and guess passwords: add a "
            f'cloudflare.Ruleset(zone_id="{ZONE}", kind="zone", phase="http_ratelimit", rules=[{RATE_LIMIT_EXAMPLE}]).',
        )
    ]


def test_rate_limiting_names_why_no_rule_counts() -> None:
    resources = stack()
    for rule in rules_of(resources, "urn:ruleset:rate-limits"):
        rule["action"] = "log"
    assert check(cloudflare_rate_limiting, resources) == [
        (
            "urn:ruleset:rate-limits",
            "The rate limiting ruleset has no rule that limits clients (rule 'api' has action 'log'; rule 'login' has "
            "action 'log'; rule 'general' has action 'log'): add an enabled rule with action \"block\" (or "
            f"managed_challenge, challenge, js_challenge) such as {RATE_LIMIT_EXAMPLE}.",
        )
    ]


def _disabled(rule: dict[str, Any]) -> None:
    rule["enabled"] = False


def _logs(rule: dict[str, Any]) -> None:
    rule["action"] = "log"


def _no_action(rule: dict[str, Any]) -> None:
    rule.pop("action")


def _per_ip_only(rule: dict[str, Any]) -> None:
    rule["ratelimit"]["characteristics"] = ["ip.src"]


def _per_colo_only(rule: dict[str, Any]) -> None:
    rule["ratelimit"]["characteristics"] = ["cf.colo.id"]


def _no_ratelimit(rule: dict[str, Any]) -> None:
    rule.pop("ratelimit")


def _no_period(rule: dict[str, Any]) -> None:
    rule["ratelimit"].pop("period")


def _zero_requests(rule: dict[str, Any]) -> None:
    rule["ratelimit"]["requestsPerPeriod"] = 0.0


def _no_requests(rule: dict[str, Any]) -> None:
    rule["ratelimit"].pop("requestsPerPeriod")


@pytest.mark.parametrize(
    ("break_it", "reason"),
    [
        (_disabled, "is disabled"),
        (_logs, "has action 'log'"),
        (_no_action, "has no action"),
        (_per_ip_only, "does not count per cf.colo.id"),
        (_per_colo_only, "does not count per ip.src"),
        (_no_ratelimit, "has no ratelimit"),
        (_no_period, "has no period"),
        (_zero_requests, "has no requests_per_period above 0"),
        (_no_requests, "has no requests_per_period above 0"),
    ],
    ids=lambda value: getattr(value, "__name__", "") or "",
)
def test_rate_limiting_fails_when_no_rule_limits_clients(break_it: Any, reason: str) -> None:
    resources = stack()
    for rule in rules_of(resources, "urn:ruleset:rate-limits"):
        break_it(rule)
    ((urn, message),) = check(cloudflare_rate_limiting, resources)
    assert urn == "urn:ruleset:rate-limits"
    assert f"(rule 'api' {reason}; rule 'login' {reason}; rule 'general' {reason})" in message


def test_rate_limiting_passes_when_one_rule_limits_clients() -> None:
    resources = stack()
    api, login, _ = rules_of(resources, "urn:ruleset:rate-limits")
    _disabled(api)
    _per_ip_only(login)
    assert check(cloudflare_rate_limiting, resources) == []


@pytest.mark.parametrize("action", ["managed_challenge", "challenge", "js_challenge"])
def test_rate_limiting_accepts_challenges(action: str) -> None:
    resources = stack()
    for rule in rules_of(resources, "urn:ruleset:rate-limits"):
        rule["action"] = action
    assert check(cloudflare_rate_limiting, resources) == []


def test_rate_limiting_fails_on_a_ruleset_without_rules() -> None:
    resources = stack()
    find(resources, "urn:ruleset:rate-limits").props["rules"] = []
    ((urn, message),) = check(cloudflare_rate_limiting, resources)
    assert urn == "urn:ruleset:rate-limits"
    assert message.startswith("The rate limiting ruleset has no rule that limits clients (it has no rules): ")


def test_rate_limiting_names_rules_without_a_description_by_position() -> None:
    resources = stack()
    rules = rules_of(resources, "urn:ruleset:rate-limits")
    for rule in rules:
        rule.pop("description")
        _logs(rule)
    rules[1]["ref"] = "login_limit"
    ((_, message),) = check(cloudflare_rate_limiting, resources)
    assert "(rule #1 has action 'log'; rule 'login_limit' has action 'log'; rule #3 has action 'log')" in message


def test_rate_limiting_counts_only_the_ratelimit_phase_of_the_same_zone() -> None:
    resources = stack()
    find(resources, "urn:ruleset:rate-limits").props["phase"] = "http_request_firewall_custom"
    assert urns(check(cloudflare_rate_limiting, resources)) == ["urn:zone-setting:ssl"]
    resources = stack()
    find(resources, "urn:ruleset:rate-limits").props["zoneId"] = OTHER_ZONE
    assert urns(check(cloudflare_rate_limiting, resources)) == ["urn:zone-setting:ssl"]


def test_rate_limiting_reports_values_unknown_during_preview() -> None:
    resources = stack()
    for rule in rules_of(resources, "urn:ruleset:rate-limits"):
        rule["ratelimit"]["requestsPerPeriod"] = UNKNOWN_NUMBER_VALUE
    assert check(cloudflare_rate_limiting, resources) == [
        (
            "urn:ruleset:rate-limits",
            unknown_message(
                "rules[0].ratelimit.requests_per_period, rules[1].ratelimit.requests_per_period, "
                "rules[2].ratelimit.requests_per_period",
                "literal values",
            ),
        )
    ]


def test_rate_limiting_reports_rules_or_a_phase_unknown_during_preview() -> None:
    resources = stack()
    find(resources, "urn:ruleset:rate-limits").props["rules"] = UNKNOWN_STRING_VALUE
    assert check(cloudflare_rate_limiting, resources) == [
        ("urn:ruleset:rate-limits", unknown_message("rules", "a literal list of rules"))
    ]
    resources = stack()
    find(resources, "urn:ruleset:rate-limits").props["phase"] = UNKNOWN_STRING_VALUE
    assert check(cloudflare_rate_limiting, resources) == [
        ("urn:ruleset:rate-limits", unknown_message("phase", 'a literal phase such as "http_ratelimit"'))
    ]


# -- cloudflare-managed-waf --------------------------------------------------------------------------------------------
WAF_EXAMPLE = f'{{action: "execute", expression: "true", action_parameters: {{id: "{CLOUDFLARE_MANAGED}"}}}}'
REQUIRED_RULESETS = (
    f"the Cloudflare Managed Ruleset ({CLOUDFLARE_MANAGED}) or the Cloudflare Free Managed Ruleset "
    f"({CLOUDFLARE_FREE_MANAGED})"
)


def test_managed_waf_fails_without_a_ruleset_on_the_zones_first_resource() -> None:
    assert check(cloudflare_managed_waf, drop(stack(), "urn:ruleset:managed-waf")) == [
        (
            "urn:zone-setting:ssl",
            f"Zone {ZONE} runs no managed WAF rules, so known attacks (SQL injection, cross-site scripting, known "
            f'CVEs) reach the origin: add a cloudflare.Ruleset(zone_id="{ZONE}", kind="zone", '
            f'phase="http_request_firewall_managed", rules=[{WAF_EXAMPLE}]) executing {REQUIRED_RULESETS}.',
        )
    ]


def test_managed_waf_fails_when_only_the_owasp_ruleset_runs() -> None:
    resources = stack()
    find(resources, "urn:ruleset:managed-waf").props["rules"] = [execute("OWASP", OWASP_CORE)]
    assert check(cloudflare_managed_waf, resources) == [
        (
            "urn:ruleset:managed-waf",
            "The managed WAF ruleset executes none of the required managed rulesets (rule 'OWASP' executes the "
            f"Cloudflare OWASP Core Ruleset ({OWASP_CORE})): add an enabled rule {WAF_EXAMPLE} that executes "
            f"{REQUIRED_RULESETS}; the OWASP Core Ruleset alone does not count.",
        )
    ]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"enabled": False}, "is disabled"),
        ({"action": "skip"}, "has action 'skip'"),
        ({"actionParameters": {"id": "0123456789abcdef"}}, "executes 0123456789abcdef"),
        ({"actionParameters": {}}, "executes no ruleset"),
    ],
    ids=["disabled", "skip", "other-ruleset", "no-id"],
)
def test_managed_waf_fails_when_the_managed_ruleset_does_not_run(change: dict[str, Any], reason: str) -> None:
    resources = stack()
    rules_of(resources, "urn:ruleset:managed-waf")[0].update(change)
    ((urn, message),) = check(cloudflare_managed_waf, resources)
    assert urn == "urn:ruleset:managed-waf"
    assert f"(rule 'Cloudflare Managed Ruleset' {reason}; rule 'Cloudflare OWASP Core Ruleset' executes " in message


def test_managed_waf_accepts_the_free_managed_ruleset() -> None:
    resources = stack()
    find(resources, "urn:ruleset:managed-waf").props["rules"] = [execute("Free", CLOUDFLARE_FREE_MANAGED)]
    assert check(cloudflare_managed_waf, resources) == []


def test_managed_waf_ruleset_ids_are_configurable() -> None:
    config = {"managedRulesetIds": [CLOUDFLARE_FREE_MANAGED]}
    ((urn, message),) = check(cloudflare_managed_waf, stack(), config)
    assert urn == "urn:ruleset:managed-waf"
    assert f'action_parameters: {{id: "{CLOUDFLARE_FREE_MANAGED}"}}' in message
    assert check(cloudflare_managed_waf, stack(), {"managedRulesetIds": [OWASP_CORE]}) == []


def test_managed_waf_counts_only_the_managed_phase() -> None:
    resources = stack()
    find(resources, "urn:ruleset:managed-waf").props["phase"] = "http_request_firewall_custom"
    assert urns(check(cloudflare_managed_waf, resources)) == ["urn:zone-setting:ssl"]


def test_managed_waf_reports_a_ruleset_id_unknown_during_preview() -> None:
    resources = stack()
    find(resources, "urn:ruleset:managed-waf").props["rules"] = [
        {**execute("Managed", CLOUDFLARE_MANAGED), "actionParameters": {"id": UNKNOWN_STRING_VALUE}}
    ]
    assert check(cloudflare_managed_waf, resources) == [
        ("urn:ruleset:managed-waf", unknown_message("rules[0].action_parameters.id", "literal values"))
    ]


# -- cloudflare-development-mode-off -----------------------------------------------------------------------------------
DEVELOPMENT_MODE_ON = (
    "Development mode is on, so Cloudflare bypasses its cache and passes every request to the origin, whose errors "
    'then reach visitors with nothing cached to fall back on: set value="off" (Cloudflare turns it off by itself '
    "after three hours, and the next deployment would turn it on again)."
)


def development_mode(value: Any, setting_id: Any = "development_mode") -> list[str]:
    props = {"zoneId": ZONE, "settingId": setting_id, "value": value}
    return check_resource(cloudflare_development_mode_off, ZONE_SETTING, analyzed(props))


# -- retired zone settings ---------------------------------------------------------------------------------------------
def test_no_zone_setting_webstack_registers_is_retired() -> None:
    for r in stack():
        assert check_resource(cloudflare_zone_setting_not_retired, r.type, analyzed(r.props)) == [], r.urn


def test_the_retired_brotli_setting_fails() -> None:
    props = {"zoneId": ZONE, "settingId": "brotli", "value": "on"}
    assert check_resource(cloudflare_zone_setting_not_retired, ZONE_SETTING, analyzed(props)) == [
        "The zone setting brotli reached end of life in 2024 (Cloudflare API deprecations page, end of life moved "
        "from 2024-06-14 to 2024-08-15; cloudflare/cloudflare-docs#14443): Cloudflare compresses with Brotli by "
        "itself, and Compression Rules choose the algorithm; writing it fails when the stack is deployed: remove the "
        "cloudflare.ZoneSetting (its deletion changes nothing in the zone)."
    ]


@pytest.mark.parametrize("setting_id", ["minify", "sha1_support", "cname_flattening"])
def test_every_retired_setting_fails(setting_id: str) -> None:
    props = {"zoneId": ZONE, "settingId": setting_id, "value": "on"}
    (message,) = check_resource(cloudflare_zone_setting_not_retired, ZONE_SETTING, analyzed(props))
    assert message.startswith(f"The zone setting {setting_id} ")


def test_a_retired_setting_id_unknown_during_preview_is_reported() -> None:
    props = {"zoneId": ZONE, "settingId": UNKNOWN_STRING_VALUE, "value": "on"}
    assert check_resource(cloudflare_zone_setting_not_retired, ZONE_SETTING, analyzed(props)) == [
        unknown_message("setting_id", "a literal setting name")
    ]


def test_the_cdn_component_writes_no_retired_setting() -> None:
    """The component's settings against the policy's list, which names Cloudflare's sources."""
    from components.cdn import ZONE_SETTINGS

    assert not set(ZONE_SETTINGS) & set(RETIRED_ZONE_SETTINGS)
    assert "brotli" in RETIRED_ZONE_SETTINGS


def test_development_mode_passes_on_every_zone_setting_webstack_registers() -> None:
    for r in stack():
        assert check_resource(cloudflare_development_mode_off, r.type, analyzed(r.props)) == [], r.urn


@pytest.mark.parametrize("value", ["on", "ON", " on ", True, "true"])
def test_development_mode_fails_when_it_is_on(value: Any) -> None:
    assert development_mode(value) == [DEVELOPMENT_MODE_ON]


@pytest.mark.parametrize("value", ["off", "OFF", False, None])
def test_development_mode_passes_when_it_is_off_or_unset(value: Any) -> None:
    assert development_mode(value) == []


def test_development_mode_judges_only_its_own_setting() -> None:
    assert development_mode("on", "always_online") == []
    assert development_mode("on", "http3") == []
    props = {"zoneId": ZONE, "type": "A", "name": "dev", "content": "203.0.113.7", "proxied": True}
    assert check_resource(cloudflare_development_mode_off, DNS_RECORD, analyzed(props)) == []


def test_development_mode_is_judged_whatever_the_zone() -> None:
    """A zone the program creates has an unknown id during preview: its development mode is judged all the same."""
    props = {"zoneId": UNKNOWN_STRING_VALUE, "settingId": "development_mode", "value": "on"}
    assert check_resource(cloudflare_development_mode_off, ZONE_SETTING, analyzed(props)) == [DEVELOPMENT_MODE_ON]


def test_development_mode_reports_a_value_unknown_during_preview() -> None:
    assert development_mode(UNKNOWN_STRING_VALUE) == [
        unknown_message("The development_mode zone setting's value", '"off"')
    ]


def test_development_mode_reports_a_setting_id_unknown_during_preview() -> None:
    """The setting may be development mode: it is reported, never passed."""
    assert development_mode("on", UNKNOWN_STRING_VALUE) == [
        unknown_message("setting_id", 'a literal setting name (such as "development_mode")')
    ]


# -- security-headers-on-every-response --------------------------------------------------------------------------------
RISKS = {
    "X-Frame-Options": "other sites can frame the pages (clickjacking)",
    "X-Content-Type-Options": "browsers may sniff a response's type and run an upload as a script",
    "Content-Security-Policy": "an injected script runs with nothing to restrict it",
    "Strict-Transport-Security": "browsers are not told to use the site over HTTPS only",
}
CSP_FIX = "default-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'self'"
HEADER_FIXES = {
    "X-Frame-Options": "SAMEORIGIN",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": CSP_FIX,
}
HSTS_HEADER = "routingHttpResponseStrictTransportSecurityHeaderValue"
XCTO_HEADER = "routingHttpResponseXContentTypeOptionsHeaderValue"
XFO_HEADER = "routingHttpResponseXFrameOptionsHeaderValue"
CSP_HEADER = "routingHttpResponseContentSecurityPolicyHeaderValue"


def headers_check(resources: Sequence[Res], config: Mapping[str, Any] | None = None) -> list[tuple[str, str]]:
    return check(security_headers_on_every_response, resources, config)


def with_headers(headers: Mapping[str, str] | None = None, **changes: Any) -> list[Res]:
    """The stack with the header rule changed."""
    resources = stack()
    find(resources, "urn:ruleset:headers").props["rules"] = [header_rule(headers, **changes)]
    return resources


def without(header: str) -> dict[str, str]:
    return {name: value for name, value in HEADERS.items() if name != header}


def zone_message(*problems: tuple[str, str]) -> str:
    return (
        'The zone\'s response header rules for every response (enabled, expression "true") '
        + " and ".join(problem for _, problem in problems)
        + ", so "
        + ", ".join(RISKS[header] for header, _ in problems)
        + ": set "
        + ", ".join(f'"{h}": {{operation: "set", value: "{HEADER_FIXES[h]}"}}' for h, _ in problems)
        + ' in the headers of an enabled rule with expression "true" and action "rewrite".'
    )


def test_headers_pass_on_cloudflare_and_the_load_balancer_alone() -> None:
    """Staging has no Cloudflare: the HTTPS listener is its only place for the headers, and is checked."""
    assert headers_check(stack()) == []
    assert headers_check(aws_only()) == []
    resources = aws_only()
    find(resources, "urn:listener:https").props.pop(CSP_HEADER)
    assert urns(headers_check(resources)) == ["urn:listener:https"]


def test_headers_fail_without_a_headers_ruleset_on_the_zones_first_resource() -> None:
    assert headers_check(drop(stack(), "urn:ruleset:headers")) == [
        (
            "urn:zone-setting:ssl",
            f"Zone {ZONE} has no http_response_headers_transform ruleset, so Cloudflare adds no security headers and "
            f"{RISKS['X-Frame-Options']}, {RISKS['X-Content-Type-Options']}, {RISKS['Content-Security-Policy']}: add "
            f'a cloudflare.Ruleset(zone_id="{ZONE}", kind="zone", phase="http_response_headers_transform", '
            'rules=[{action: "rewrite", expression: "true", action_parameters: {headers: {"X-Frame-Options": '
            '{operation: "set", value: "SAMEORIGIN"}, "X-Content-Type-Options": {operation: "set", value: '
            f'"nosniff"}}, "Content-Security-Policy": {{operation: "set", value: "{CSP_FIX}"}}}}}}}}]).',
        )
    ]


@pytest.mark.parametrize(
    ("headers", "problem"),
    [
        (without("X-Frame-Options"), ("X-Frame-Options", "sets no X-Frame-Options")),
        ({**HEADERS, "X-Frame-Options": "ALLOWALL"}, ("X-Frame-Options", "sets X-Frame-Options to 'ALLOWALL'")),
        (
            {**HEADERS, "X-Frame-Options": "ALLOW-FROM https://example.org"},
            ("X-Frame-Options", "sets X-Frame-Options to 'ALLOW-FROM https://example.org'"),
        ),
        (without("X-Content-Type-Options"), ("X-Content-Type-Options", "sets no X-Content-Type-Options")),
        (
            {**HEADERS, "X-Content-Type-Options": "sniff"},
            ("X-Content-Type-Options", "sets X-Content-Type-Options to 'sniff'"),
        ),
        (without("Content-Security-Policy"), ("Content-Security-Policy", "sets no Content-Security-Policy")),
        ({**HEADERS, "Content-Security-Policy": " "}, ("Content-Security-Policy", "sets no Content-Security-Policy")),
    ],
    ids=["no-xfo", "xfo-allowall", "xfo-allow-from", "no-xcto", "xcto-sniff", "no-csp", "blank-csp"],
)
def test_headers_fail_when_the_zone_misses_a_header(headers: dict[str, str], problem: tuple[str, str]) -> None:
    assert headers_check(with_headers(headers)) == [("urn:ruleset:headers", zone_message(problem))]


def test_headers_name_every_missing_header_of_the_zone() -> None:
    found = headers_check(with_headers({"Referrer-Policy": "no-referrer"}))
    assert found == [
        (
            "urn:ruleset:headers",
            zone_message(
                ("X-Frame-Options", "sets no X-Frame-Options"),
                ("X-Content-Type-Options", "sets no X-Content-Type-Options"),
                ("Content-Security-Policy", "sets no Content-Security-Policy"),
            ),
        )
    ]


@pytest.mark.parametrize(
    "change",
    [{"enabled": False}, {"enabled": "false"}, {"expression": '(http.request.uri.path eq "/")'}, {"action": "remove"}],
    ids=["disabled", "disabled-text", "some-responses", "other-action"],
)
def test_headers_count_only_enabled_rewrite_rules_for_every_response(change: dict[str, Any]) -> None:
    assert urns(headers_check(with_headers(**change))) == ["urn:ruleset:headers"]


def test_headers_accept_deny_any_case_and_header_names_in_any_case() -> None:
    headers = {"x-frame-options": "deny", "X-CONTENT-TYPE-OPTIONS": "NoSniff", "content-security-policy": CSP}
    assert headers_check(with_headers(headers)) == []


def test_headers_may_come_from_several_rules_and_rulesets_order_matters() -> None:
    resources = stack()
    find(resources, "urn:ruleset:headers").props["rules"] = [
        header_rule(without("Content-Security-Policy")),
        header_rule({"Content-Security-Policy": CSP}, ref="csp"),
    ]
    assert headers_check(resources) == []
    rules = find(resources, "urn:ruleset:headers").props["rules"]
    rules.append(header_rule(ref="strip"))
    rules[-1]["actionParameters"]["headers"] = {"Content-Security-Policy": {"operation": "remove"}}
    assert headers_check(resources) == [
        ("urn:ruleset:headers", zone_message(("Content-Security-Policy", "sets no Content-Security-Policy")))
    ]


def test_headers_a_later_rule_replaces_an_earlier_value() -> None:
    resources = stack()
    find(resources, "urn:ruleset:headers").props["rules"] = [
        header_rule(),
        header_rule({"X-Frame-Options": "ALLOWALL"}, ref="frames"),
    ]
    assert headers_check(resources) == [
        ("urn:ruleset:headers", zone_message(("X-Frame-Options", "sets X-Frame-Options to 'ALLOWALL'")))
    ]


def test_headers_frame_options_are_configurable() -> None:
    config = {"frameOptions": ["DENY"]}
    found = headers_check(stack(), config)
    assert urns(found) == ["urn:ruleset:headers", "urn:listener:https"]
    assert "sets X-Frame-Options to 'SAMEORIGIN'" in found[0][1]
    assert 'value: "DENY"' in found[0][1]
    assert 'routing_http_response_x_frame_options_header_value="DENY"' in found[1][1]
    deny = with_headers({**HEADERS, "X-Frame-Options": "DENY"})
    assert urns(headers_check(deny, {"frameOptions": ["deny"]})) == ["urn:listener:https"]


def test_headers_do_not_count_another_zones_ruleset_and_check_every_zone() -> None:
    resources = stack()
    find(resources, "urn:ruleset:headers").props["zoneId"] = OTHER_ZONE
    found = headers_check([*resources, zone_setting("ssl", "strict", OTHER_ZONE, "urn:zone-setting:other-ssl")])
    assert urns(found) == ["urn:zone-setting:ssl"]
    assert found[0][1].startswith(f"Zone {ZONE} has no http_response_headers_transform ruleset")


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"enabled": UNKNOWN_BOOLEAN_VALUE}, "rules[0].enabled"),
        ({"expression": UNKNOWN_STRING_VALUE}, "rules[0].expression"),
        ({"action": UNKNOWN_STRING_VALUE}, "rules[0].action"),
        ({"actionParameters": UNKNOWN_STRING_VALUE}, "rules[0].action_parameters.headers"),
    ],
)
def test_headers_report_a_rule_unknown_during_preview(change: dict[str, Any], fields: str) -> None:
    assert headers_check(with_headers(**change)) == [("urn:ruleset:headers", unknown_message(fields, "literal values"))]


def test_headers_report_a_header_value_unknown_during_preview_never_pass_it() -> None:
    resources = stack()
    rule = rules_of(resources, "urn:ruleset:headers")[0]
    rule["actionParameters"]["headers"]["Content-Security-Policy"]["value"] = UNKNOWN_STRING_VALUE
    assert headers_check(resources) == [
        (
            "urn:ruleset:headers",
            unknown_message("rules[0].action_parameters.headers[Content-Security-Policy]", "literal values"),
        )
    ]


def test_headers_ignore_unknown_values_once_every_header_is_set() -> None:
    resources = stack()
    rules = rules_of(resources, "urn:ruleset:headers")
    rules[0]["actionParameters"]["headers"]["Referrer-Policy"]["value"] = UNKNOWN_STRING_VALUE
    rules.append(header_rule(ref="later", enabled=UNKNOWN_BOOLEAN_VALUE))
    assert headers_check(resources) == []


def test_headers_report_rules_or_a_phase_unknown_during_preview() -> None:
    resources = stack()
    find(resources, "urn:ruleset:headers").props["rules"] = UNKNOWN_STRING_VALUE
    assert headers_check(resources) == [("urn:ruleset:headers", unknown_message("rules", "a literal list of rules"))]
    resources = stack()
    find(resources, "urn:ruleset:headers").props["phase"] = UNKNOWN_STRING_VALUE
    assert headers_check(resources) == [
        (
            "urn:ruleset:headers",
            unknown_message("phase", 'a literal phase such as "http_response_headers_transform"'),
        )
    ]


def listener_message(*problems: tuple[str, str, str]) -> str:
    """The message for an HTTPS listener's (header, problem, argument="fix") problems."""
    return (
        "This HTTPS listener "
        + " and ".join(problem for _, problem, _ in problems)
        + ", so "
        + ", ".join(RISKS[header] for header, _, _ in problems)
        + ": set "
        + ", ".join(fix for _, _, fix in problems)
        + " on the aws.lb.Listener."
    )


HSTS_ARG = 'routing_http_response_strict_transport_security_header_value="max-age=31536000"'
XCTO_ARG = 'routing_http_response_x_content_type_options_header_value="nosniff"'
XFO_ARG = 'routing_http_response_x_frame_options_header_value="SAMEORIGIN"'
CSP_ARG = f'routing_http_response_content_security_policy_header_value="{CSP_FIX}"'


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({HSTS_HEADER: None}, ("Strict-Transport-Security", "sets no Strict-Transport-Security", HSTS_ARG)),
        (
            {HSTS_HEADER: "max-age=86400; includeSubDomains"},
            (
                "Strict-Transport-Security",
                "sets Strict-Transport-Security max-age 86400, under 31536000 seconds",
                HSTS_ARG,
            ),
        ),
        (
            {HSTS_HEADER: "includeSubDomains; preload"},
            (
                "Strict-Transport-Security",
                "sets Strict-Transport-Security 'includeSubDomains; preload' without a max-age",
                HSTS_ARG,
            ),
        ),
        ({XCTO_HEADER: None}, ("X-Content-Type-Options", "sets no X-Content-Type-Options", XCTO_ARG)),
        ({XFO_HEADER: None}, ("X-Frame-Options", "sets no X-Frame-Options", XFO_ARG)),
        (
            {XFO_HEADER: "ALLOW-FROM https://example.org"},
            ("X-Frame-Options", "sets X-Frame-Options to 'ALLOW-FROM https://example.org'", XFO_ARG),
        ),
        ({CSP_HEADER: None}, ("Content-Security-Policy", "sets no Content-Security-Policy", CSP_ARG)),
        ({CSP_HEADER: ""}, ("Content-Security-Policy", "sets no Content-Security-Policy", CSP_ARG)),
    ],
    ids=["no-hsts", "short-hsts", "hsts-without-max-age", "no-xcto", "no-xfo", "xfo-allow-from", "no-csp", "empty-csp"],
)
def test_headers_fail_when_an_https_listener_misses_a_header(
    changes: dict[str, Any], problem: tuple[str, str, str]
) -> None:
    resources = [r for r in stack() if r.urn != "urn:listener:https"]
    resources.append(listener("urn:listener:https", **changes))
    assert headers_check(resources) == [("urn:listener:https", listener_message(problem))]


def test_headers_name_every_missing_header_of_a_bare_https_listener() -> None:
    headers: dict[str, Any] = dict.fromkeys(LISTENER_HEADERS)
    bare = listener("urn:listener:bare", **headers)
    assert headers_check([*stack(), bare]) == [
        (
            "urn:listener:bare",
            listener_message(
                ("Strict-Transport-Security", "sets no Strict-Transport-Security", HSTS_ARG),
                ("X-Content-Type-Options", "sets no X-Content-Type-Options", XCTO_ARG),
                ("X-Frame-Options", "sets no X-Frame-Options", XFO_ARG),
                ("Content-Security-Policy", "sets no Content-Security-Policy", CSP_ARG),
            ),
        )
    ]


@pytest.mark.parametrize(
    "hsts_value",
    ["max-age=31536000", "MAX-AGE=63072000; includeSubDomains", 'includeSubDomains; max-age="31536000"; preload'],
)
def test_headers_read_hsts_max_age_wherever_it_stands(hsts_value: str) -> None:
    assert headers_check([*aws_only(), listener("urn:listener:other", **{HSTS_HEADER: hsts_value})]) == []


def test_headers_minimum_hsts_age_is_configurable() -> None:
    assert headers_check(stack(), {"minHstsMaxAge": 63072000}) == [
        (
            "urn:listener:https",
            listener_message(
                (
                    "Strict-Transport-Security",
                    "sets Strict-Transport-Security max-age 31536000, under 63072000 seconds",
                    'routing_http_response_strict_transport_security_header_value="max-age=63072000"',
                )
            ),
        )
    ]
    short = listener("urn:listener:short", **{HSTS_HEADER: "max-age=86400"})
    assert headers_check([*stack(), short], {"minHstsMaxAge": 86400}) == []


def test_headers_check_only_https_listeners_of_either_token() -> None:
    bare: dict[str, Any] = dict.fromkeys(LISTENER_HEADERS)
    assert headers_check([*stack(), listener("urn:listener:http-8080", "HTTP", port=8080.0)]) == []
    legacy = listener("urn:listener:legacy", "https", LISTENER_LEGACY, **bare)
    assert urns(headers_check([*stack(), legacy])) == ["urn:listener:legacy"]


def test_headers_report_listener_values_unknown_during_preview() -> None:
    resources = [r for r in stack() if r.urn != "urn:listener:https"]
    resources.append(listener("urn:listener:https", **{CSP_HEADER: UNKNOWN_STRING_VALUE, XFO_HEADER: "ALLOWALL"}))
    assert headers_check(resources) == [
        (
            "urn:listener:https",
            unknown_message("routing_http_response_content_security_policy_header_value", "literal header values"),
        ),
        (
            "urn:listener:https",
            listener_message(("X-Frame-Options", "sets X-Frame-Options to 'ALLOWALL'", XFO_ARG)),
        ),
    ]


def test_headers_report_a_listener_protocol_unknown_during_preview() -> None:
    """The listener may be an HTTPS one: reported, never passed; the rule applies for it alone."""
    undecided = listener("urn:listener:https")
    undecided.props["protocol"] = UNKNOWN_STRING_VALUE
    resources = [*[r for r in aws_only() if r.type != LISTENER], undecided]
    assert headers_check(resources) == [("urn:listener:https", unknown_message("protocol", '"HTTPS" or "HTTP"'))]


# -- aws-alb-cloudflare-only-origin ------------------------------------------------------------------------------------
OUTSIDE = (
    "outside Cloudflare's published ranges, on the security group of a load balancer served through Cloudflare: "
    "anyone can reach it directly and bypass Cloudflare's TLS settings, WAF and rate limits. Admit only Cloudflare's "
    "ranges (https://www.cloudflare.com/ips/), or security groups."
)
UNREACHABLE = (
    "The load balancer's security group admits nothing from Cloudflare on port 443, so the site, served through "
    "Cloudflare, is unreachable: add an aws.vpc.SecurityGroupIngressRule(security_group_id=<this group>.id, "
    'ip_protocol="tcp", from_port=443, to_port=443, cidr_ipv4=<range>) for each of Cloudflare\'s ranges (cidr_ipv6 '
    "for the IPv6 ones)."
)


def test_origin_fails_for_the_internet_on_443() -> None:
    resources = [*stack(), ingress("urn:lb-443-internet", "lb", 443, "0.0.0.0/0")]
    assert check(alb_cloudflare_only_origin, resources) == [
        ("urn:lb-443-internet", f"tcp port 443 is open to 0.0.0.0/0, {OUTSIDE}")
    ]


@pytest.mark.parametrize(
    "cidr",
    ["::/0", "10.0.0.0/8", "203.0.113.7/32", "104.16.0.0/12", "2606:4700::/31", "2001:db8::/32"],
    ids=["ipv6-internet", "private", "one-address", "wider-than-a-range", "wider-ipv6", "other-ipv6"],
)
def test_origin_fails_for_any_cidr_outside_cloudflare(cidr: str) -> None:
    resources = [*stack(), ingress("urn:lb-80-extra", "lb", 80, cidr)]
    assert check(alb_cloudflare_only_origin, resources) == [
        ("urn:lb-80-extra", f"tcp port 80 is open to {cidr}, {OUTSIDE}")
    ]


def test_origin_passes_for_parts_of_cloudflare_ranges() -> None:
    resources = [
        *stack(),
        ingress("urn:lb-443-part", "lb", 443, "104.16.8.0/24"),
        ingress("urn:lb-443-part6", "lb", 443, "2606:4700:10::/48"),
    ]
    assert check(alb_cloudflare_only_origin, resources) == []


def test_origin_fails_for_inline_and_classic_rules() -> None:
    resources = stack()
    find(resources, "urn:sg-lb").props["ingress"] = [
        {"protocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "cidrBlocks": ["173.245.48.0/20", "0.0.0.0/0"]},
        {"protocol": "-1", "fromPort": 0.0, "toPort": 0.0, "ipv6CidrBlocks": ["::/0"]},
    ]
    find(resources, "urn:sg-lb").props["egress"] = [{"protocol": "-1", "cidrBlocks": ["0.0.0.0/0"]}]
    classic = At(
        "urn:classic",
        SG_RULE,
        {"type": "ingress", "protocol": "tcp", "fromPort": 8080.0, "toPort": 8080.0, "cidrBlocks": ["10.0.0.0/16"]},
        {"securityGroupId": ["urn:sg-lb"]},
    )
    egress = At(
        "urn:classic-out",
        SG_RULE,
        {"type": "egress", "protocol": "-1", "fromPort": 0.0, "toPort": 0.0, "cidrBlocks": ["0.0.0.0/0"]},
        {"securityGroupId": ["urn:sg-lb"]},
    )
    found = check(alb_cloudflare_only_origin, [*resources, classic, egress])
    assert found == [
        ("urn:sg-lb", f"tcp port 443 is open to 0.0.0.0/0, {OUTSIDE}"),
        ("urn:sg-lb", f"all traffic is open to ::/0, {OUTSIDE}"),
        ("urn:classic", f"tcp port 8080 is open to 10.0.0.0/16, {OUTSIDE}"),
    ]


def test_origin_passes_for_security_group_and_prefix_list_sources() -> None:
    resources = [
        *stack(),
        At(
            "urn:lb-from-group",
            INGRESS,
            {"ipProtocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "referencedSecurityGroupId": "sg-app"},
            {"securityGroupId": ["urn:sg-lb"], "referencedSecurityGroupId": ["urn:sg-app"]},
        ),
        At(
            "urn:lb-from-prefix-list",
            INGRESS,
            {"ipProtocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "prefixListId": "pl-0123456789abcdef0"},
            {"securityGroupId": ["urn:sg-lb"]},
        ),
    ]
    assert check(alb_cloudflare_only_origin, resources) == []


def test_origin_fails_when_nothing_from_cloudflare_reaches_443() -> None:
    resources = [r for r in stack() if not r.urn.startswith("urn:lb-443-")]
    assert check(alb_cloudflare_only_origin, resources) == [("urn:sg-lb", UNREACHABLE)]


def test_origin_fails_when_the_group_admits_only_other_groups_on_443() -> None:
    resources = [r for r in stack() if not r.urn.startswith("urn:lb-")]
    resources.append(
        At(
            "urn:lb-from-group",
            INGRESS,
            {"ipProtocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "referencedSecurityGroupId": "sg-app"},
            {"securityGroupId": ["urn:sg-lb"]},
        )
    )
    assert check(alb_cloudflare_only_origin, resources) == [("urn:sg-lb", UNREACHABLE)]


def test_origin_counts_a_prefix_list_on_443_as_possibly_cloudflare() -> None:
    """Cloudflare's ranges are often kept in a managed prefix list, whose entries the rule cannot see."""
    resources = [r for r in stack() if not r.urn.startswith("urn:lb-443-")]
    resources.append(
        At(
            "urn:lb-443-prefix-list",
            INGRESS,
            {"ipProtocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "prefixListId": "pl-0123456789abcdef0"},
            {"securityGroupId": ["urn:sg-lb"]},
        )
    )
    assert check(alb_cloudflare_only_origin, resources) == []


def test_origin_checks_every_group_of_the_load_balancer_once() -> None:
    resources = [
        *stack(),
        At("urn:sg-extra", SG, {"tags": {ROLE: "lb"}}),
        ingress("urn:extra-443", "extra", 443, "0.0.0.0/0"),
        record("urn:record:shop", "shop", ALB_DNS, to="urn:alb"),
    ]
    find(resources, "urn:alb").deps["securityGroups"] = ["urn:sg-lb", "urn:sg-extra"]
    assert check(alb_cloudflare_only_origin, resources) == [
        ("urn:extra-443", f"tcp port 443 is open to 0.0.0.0/0, {OUTSIDE}")
    ]


def test_origin_reports_an_unreachable_load_balancer_once_on_its_first_group() -> None:
    """Security groups add up: the load balancer is unreachable only when none of its groups admits Cloudflare."""
    resources = [
        *(r for r in stack() if not r.urn.startswith("urn:lb-443-")),
        At("urn:sg-extra", SG, {"tags": {ROLE: "lb"}}),
        ingress("urn:extra-8443", "extra", 8443, "173.245.48.0/20"),
    ]
    find(resources, "urn:alb").deps["securityGroups"] = ["urn:sg-lb", "urn:sg-extra"]
    ((urn, message),) = check(alb_cloudflare_only_origin, resources)
    assert urn == "urn:sg-lb"
    assert message.startswith("The load balancer's security groups admit nothing from Cloudflare on port 443, ")


def test_origin_ignores_groups_of_other_load_balancers_and_unproxied_records() -> None:
    resources = [
        *stack(),
        At("urn:sg-internal", SG, {"tags": {ROLE: "lb"}}),
        ingress("urn:internal-443", "internal", 443, "10.0.0.0/16"),
        At("urn:alb-internal", ALB, {"internal": True}, {"securityGroups": ["urn:sg-internal"]}),
        record("urn:record:intranet", "intranet", "internal.example.org", proxied=False, to="urn:alb-internal"),
    ]
    assert check(alb_cloudflare_only_origin, resources) == []


def test_origin_does_not_apply_when_the_site_is_not_proxied() -> None:
    resources = stack()
    for urn in ("urn:record:apex", "urn:record:www"):
        find(resources, urn).props["proxied"] = False
    assert outcome(alb_cloudflare_only_origin, resources) == ([], REASONS["aws-alb-cloudflare-only-origin"])


def test_origin_reads_the_legacy_alb_token() -> None:
    resources = [*stack(), ingress("urn:lb-443-internet", "lb", 443, "0.0.0.0/0")]
    find(resources, "urn:alb").type = ALB_LEGACY
    assert urns(check(alb_cloudflare_only_origin, resources)) == ["urn:lb-443-internet"]


def test_origin_fails_on_a_load_balancer_without_a_group_of_the_stack() -> None:
    resources = stack()
    find(resources, "urn:alb").deps.pop("securityGroups")
    ((urn, message),) = check(alb_cloudflare_only_origin, resources)
    assert urn == "urn:alb"
    assert message.startswith("This load balancer is served through Cloudflare but has no security group of this stack")


def test_origin_ranges_are_configurable() -> None:
    config = {"cloudflareRanges": ["173.245.48.0/20"]}
    found = check(alb_cloudflare_only_origin, stack(), config)
    assert len(found) == 2 * (len(CLOUDFLARE_RANGES) - 1)
    assert "urn:lb-443-0" not in urns(found)


def test_origin_reports_a_cidr_unknown_during_preview_and_leaves_443_undecided() -> None:
    resources = [r for r in stack() if not r.urn.startswith("urn:lb-443-")]
    resources.append(ingress("urn:lb-443-unknown", "lb", 443, "0.0.0.0/0"))
    find(resources, "urn:lb-443-unknown").props["cidrIpv4"] = UNKNOWN_STRING_VALUE
    assert check(alb_cloudflare_only_origin, resources) == [
        ("urn:lb-443-unknown", unknown_message("cidr_ipv4", "literal values (Cloudflare's ranges, ports)"))
    ]


def test_origin_reads_unknown_references_as_groups() -> None:
    resources = [
        *stack(),
        At(
            "urn:lb-from-group",
            INGRESS,
            {
                "ipProtocol": "tcp",
                "fromPort": 443.0,
                "toPort": 443.0,
                "referencedSecurityGroupId": UNKNOWN_STRING_VALUE,
            },
            {"securityGroupId": ["urn:sg-lb"]},
        ),
    ]
    find(resources, "urn:sg-lb").props["ingress"] = [
        {"protocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "securityGroups": [UNKNOWN_STRING_VALUE]}
    ]
    assert check(alb_cloudflare_only_origin, resources) == []


def test_origin_counts_a_record_whose_proxied_is_unknown_during_preview_as_proxied() -> None:
    resources = [*stack(), ingress("urn:lb-443-internet", "lb", 443, "0.0.0.0/0")]
    for urn in ("urn:record:apex", "urn:record:www"):
        find(resources, urn).props["proxied"] = UNKNOWN_BOOLEAN_VALUE
    found, not_applicable = outcome(alb_cloudflare_only_origin, resources)
    assert not_applicable == ""
    assert [urn for urn, _ in found] == ["urn:lb-443-internet"]


def test_headers_fail_when_a_listener_asks_for_preload_without_subdomains() -> None:
    bad = listener("urn:listener:preload", **{HSTS_HEADER: "max-age=31536000; preload"})
    assert headers_check([*stack(), bad]) == [
        (
            "urn:listener:preload",
            listener_message(
                (
                    "Strict-Transport-Security",
                    "sets Strict-Transport-Security 'max-age=31536000; preload' with preload but without "
                    "includeSubDomains, which browsers' preload lists refuse",
                    HSTS_ARG,
                )
            ),
        )
    ]
    good = listener("urn:listener:opted-in", **{HSTS_HEADER: "max-age=31536000; includeSubDomains; preload"})
    plain = listener("urn:listener:plain", **{HSTS_HEADER: "max-age=31536000"})
    assert headers_check([*stack(), good, plain]) == []
