"""The LoadBalancer component: a hardened ALB with its log bucket, HTTPS-only listeners, target groups, the
certificate (existing, or DNS-validated through Cloudflare beside it and waited for) and the WAF with its logs."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pulumi
import pulumi_cloudflare as cloudflare
import pytest

from components.aws.account import Account
from components.aws.certificate import validated_certificate
from components.aws.load_balancer import (
    ClientCertificateArgs,
    LoadBalancer,
    LoadBalancerArgs,
    LoadBalancerTargetArgs,
    hsts_header,
)
from components.aws.platform_args import load_balancer_args
from components.cdn import hsts_value
from components.cdn_validation import validation_writer
from components.settings import DEFAULT_CSP, CdnSettings, WebSettings
from stackcheck.engine.cloud import ACCOUNT_ID
from tests.conftest import IMAGES, TEST_REGION, ZONE_ID, construct, one, registered

ACCOUNT = Account(id=ACCOUNT_ID, partition="aws", region=TEST_REGION)
DOMAIN = "app.example.org"
VPC_ID = "vpc-0a1b2c3d4e5f60718"
SUBNET_IDS = ["subnet-0a1b2c3d4e5f60718", "subnet-0a1b2c3d4e5f60719"]
SECURITY_GROUP_ID = "sg-0a1b2c3d4e5f60718"
LOGS_KEY_ARN = f"arn:aws:kms:{TEST_REGION}:{ACCOUNT_ID}:key/logs"
CERTIFICATE_ARN = f"arn:aws:acm:{TEST_REGION}:{ACCOUNT_ID}:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
ELB_ACCOUNT_ROOT = "arn:aws:iam::156460612806:root"

CERTIFICATE = "aws:acm/certificate:Certificate"
VALIDATION = "aws:acm/certificateValidation:CertificateValidation"
DNS_RECORD = "cloudflare:index/dnsRecord:DnsRecord"

MANAGED_GROUPS = [
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
]

#: Every setting the load balancer reads, away from its default.
TUNED = {
    "frontend": {**IMAGES["frontend"], "port": 3100, "healthCheckPath": "/healthz"},
    "backend": {**IMAGES["backend"], "port": 8100, "healthCheckPath": "/api/health"},
    "sslPolicy": "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "desyncMitigation": "strictest",
    "accessLogDays": 90,
    "logRetentionDays": 90,
    "wafLogRetentionDays": 400,
    "healthCheck": {
        "intervalSeconds": 15,
        "timeoutSeconds": 5,
        "healthyThreshold": 3,
        "unhealthyThreshold": 4,
        "matcher": "200",
    },
    "deregistrationDelaySeconds": 10,
    "stickiness": True,
    "stickinessSeconds": 3600,
    "rateLimits": {
        "login": {"limit": 20, "windowSeconds": 300, "path": "/SignIn", "match": "contains"},
        "api": {"limit": 300, "windowSeconds": 120, "path": "/v1/"},
        "general": {"limit": 5000, "windowSeconds": 300},
    },
}


def load_balancer(
    name: str,
    web: dict[str, Any] | None = None,
    *,
    cdn: bool = False,
    protect: bool = False,
    clients: ClientCertificateArgs | None = None,
    csp: str | None = None,
    forwarded_ip_header: str | None = None,
    hsts: str | None = None,
) -> LoadBalancer:
    """A load balancer named ``name``, its Args from ``web`` as a stack maps them: with an existing certificate, or
    with one issued beside it and validated in the Cloudflare zone (by certificate validation records named
    ``<name>-cdn-validation``)."""
    settings = WebSettings.model_validate(web or IMAGES)

    def factory() -> LoadBalancer:
        certificate_arn: pulumi.Input[str] = CERTIFICATE_ARN
        fqdns = None
        if cdn:
            validate = validation_writer(
                f"{name}-cdn-validation",
                zone_id=ZONE_ID,
                name_prefix=f"webstack-{name}",
                opts=pulumi.ResourceOptions(provider=cloudflare.Provider(f"{name}-cloudflare", api_token="test-token")),
            )
            certificate_arn, fqdns = validated_certificate(name, DOMAIN, validate)
        args = load_balancer_args(
            settings,
            account=ACCOUNT,
            name_prefix=f"webstack-{name}",
            vpc_id=VPC_ID,
            subnet_ids=SUBNET_IDS,
            security_group_id=SECURITY_GROUP_ID,
            logs_key_arn=LOGS_KEY_ARN,
            certificate_arn=certificate_arn,
            certificate_validation_fqdns=fqdns,
            client_certificates=clients,
            protect=protect,
        )
        if csp is not None:
            args = replace(args, content_security_policy=csp)
        if hsts is not None:
            args = replace(args, strict_transport_security=hsts)
        args = replace(args, forwarded_ip_header=forwarded_ip_header)
        return LoadBalancer(name, args)

    return construct(factory)


@pytest.fixture(scope="module")
def default_lb() -> LoadBalancer:
    return load_balancer("lbdefault")


@pytest.fixture(scope="module")
def tuned_lb() -> LoadBalancer:
    return load_balancer("lbtuned", TUNED)


@pytest.fixture(scope="module")
def cdn_lb() -> LoadBalancer:
    return load_balancer("lbcdn", cdn=True)


@pytest.fixture(scope="module")
def forwarded_lb() -> LoadBalancer:
    """Behind Cloudflare: the client's address arrives in CF-Connecting-IP; HSTS as a zone that opts in sends it."""
    sts = hsts_header(
        hsts_value(
            CdnSettings.model_validate(
                {
                    "enabled": True,
                    "zoneId": ZONE_ID,
                    "plan": "business",
                    "hstsIncludeSubdomains": True,
                    "hstsPreload": True,
                }
            )
        )
    )
    return load_balancer("lbforwarded", forwarded_ip_header="CF-Connecting-IP", hsts=sts)


def rate_limit(rule: dict[str, Any], aggregate: str = "IP") -> tuple[Any, ...]:
    """A rate rule as (limit, window, scope-down constraint, search string); no scope-down gives Nones."""
    statement = rule["statement"]["rateBasedStatement"]
    assert statement["aggregateKeyType"] == aggregate
    match = statement.get("scopeDownStatement", {}).get("byteMatchStatement")
    if match is not None:
        assert match["fieldToMatch"] == {"uriPath": {}}
        assert match["textTransformations"] == [{"priority": 0, "type": "LOWERCASE"}]
    return (
        statement["limit"],
        statement["evaluationWindowSec"],
        match["positionalConstraint"] if match else None,
        match["searchString"] if match else None,
    )


# -- the load balancer and its logs ------------------------------------------------------------------------------------
def test_defaults_are_secure(default_lb: LoadBalancer) -> None:
    alb = one("lbdefault-alb")
    bucket = one("lbdefault-logs")
    assert alb.inputs["loadBalancerType"] == "application"
    assert alb.inputs["internal"] is False
    assert alb.inputs["dropInvalidHeaderFields"] is True
    assert alb.inputs["desyncMitigationMode"] == "defensive"
    assert alb.inputs["enableDeletionProtection"] is True
    assert alb.inputs["subnets"] == SUBNET_IDS
    assert alb.inputs["securityGroups"] == [SECURITY_GROUP_ID]
    assert alb.inputs["accessLogs"] == {"bucket": bucket.outputs["bucket"], "enabled": True, "prefix": "alb"}
    assert alb.inputs["connectionLogs"] == {
        "bucket": bucket.outputs["bucket"],
        "enabled": True,
        "prefix": "alb-connections",
    }
    assert alb.property_dependencies["accessLogs"] == [bucket.urn]
    assert alb.property_dependencies["connectionLogs"] == [bucket.urn]
    assert one("lbdefault-logs-policy").urn in alb.dependencies


def test_the_desync_mitigation_follows_the_settings(tuned_lb: LoadBalancer) -> None:
    assert one("lbtuned-alb").inputs["desyncMitigationMode"] == "strictest"


def test_the_log_bucket_is_a_sink_that_only_elb_log_delivery_may_write_to(default_lb: LoadBalancer) -> None:
    bucket = one("lbdefault-logs")
    assert bucket.inputs["tags"] == {"webstack:role": "log-sink"}
    (rule,) = one("lbdefault-logs-encryption").inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    rules = {r["id"]: r for r in one("lbdefault-logs-lifecycle").inputs["rules"]}
    assert rules["expire-objects"]["expiration"] == {"days": 365}

    arn = bucket.outputs["arn"]
    statements = json.loads(one("lbdefault-logs-policy").inputs["policy"])["Statement"]
    assert [s["Sid"] for s in statements if s["Effect"] == "Deny"] == ["DenyInsecureTransport"]
    grants = [s for s in statements if s["Effect"] == "Allow"]
    assert [s["Principal"] for s in grants] == [
        {"AWS": ELB_ACCOUNT_ROOT},
        {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"},
    ]
    for grant in grants:
        assert grant["Action"] == "s3:PutObject"
        assert grant["Resource"] == [
            f"{arn}/alb/AWSLogs/{ACCOUNT_ID}/*",
            f"{arn}/alb-connections/AWSLogs/{ACCOUNT_ID}/*",
        ]


def test_access_logs_expire_after_the_configured_days(tuned_lb: LoadBalancer) -> None:
    rules = {r["id"]: r for r in one("lbtuned-logs-lifecycle").inputs["rules"]}
    assert rules["expire-objects"]["expiration"] == {"days": 90}


# -- listeners ---------------------------------------------------------------------------------------------------------
def test_the_http_listener_only_redirects_to_https(default_lb: LoadBalancer) -> None:
    http = one("lbdefault-http")
    assert http.inputs["protocol"] == "HTTP"
    assert http.inputs["port"] == 80
    assert http.property_dependencies["loadBalancerArn"] == [one("lbdefault-alb").urn]
    assert http.inputs["defaultActions"] == [
        {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}
    ]


def test_the_https_listener_forwards_to_the_frontend_and_injects_the_security_headers(
    default_lb: LoadBalancer, tuned_lb: LoadBalancer
) -> None:
    https = one("lbdefault-https")
    frontend = one("lbdefault-frontend")
    assert https.inputs["protocol"] == "HTTPS"
    assert https.inputs["port"] == 443
    assert https.property_dependencies["loadBalancerArn"] == [one("lbdefault-alb").urn]
    assert https.inputs["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert https.inputs["certificateArn"] == CERTIFICATE_ARN
    assert https.inputs["defaultActions"] == [{"type": "forward", "targetGroupArn": frontend.outputs["arn"]}]
    assert https.property_dependencies["defaultActions"] == [frontend.urn]
    # A year, without includeSubDomains or preload: both bind every host of the zone, so they are opt-in.
    assert https.inputs["routingHttpResponseStrictTransportSecurityHeaderValue"] == "max-age=31536000"
    assert https.inputs["routingHttpResponseXContentTypeOptionsHeaderValue"] == "nosniff"
    assert https.inputs["routingHttpResponseXFrameOptionsHeaderValue"] == "SAMEORIGIN"
    assert https.inputs["routingHttpResponseContentSecurityPolicyHeaderValue"] == DEFAULT_CSP
    assert https.inputs["routingHttpResponseServerEnabled"] is False

    assert one("lbtuned-https").inputs["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-3-2021-06"


def test_the_https_listener_sends_the_hsts_cloudflare_sends(forwarded_lb: LoadBalancer) -> None:
    """One source of truth: the listener's HSTS is the zone's security_header setting, written as a header: with
    both opt-ins, the form hstspreload.org asks for."""
    expected = "max-age=31536000; includeSubDomains; preload"
    assert one("lbforwarded-https").inputs["routingHttpResponseStrictTransportSecurityHeaderValue"] == expected


def test_the_https_listener_sends_the_configured_content_security_policy() -> None:
    csp = "default-src 'self'; script-src 'self' https://cdn.example.org"
    load_balancer("lbcsp", csp=csp)
    assert one("lbcsp-https").inputs["routingHttpResponseContentSecurityPolicyHeaderValue"] == csp


def test_the_http_listener_sets_no_response_headers(default_lb: LoadBalancer) -> None:
    """Port 80 only redirects; the headers belong to the responses of :443."""
    assert not any(key.startswith("routingHttpResponse") for key in one("lbdefault-http").inputs)


def test_api_paths_go_to_the_backend(default_lb: LoadBalancer) -> None:
    rule = one("lbdefault-api")
    backend = one("lbdefault-backend")
    assert rule.property_dependencies["listenerArn"] == [one("lbdefault-https").urn]
    assert rule.inputs["conditions"] == [{"pathPattern": {"values": ["/api", "/api/*"]}}]
    assert rule.inputs["actions"] == [{"type": "forward", "targetGroupArn": backend.outputs["arn"]}]
    assert rule.property_dependencies["actions"] == [backend.urn]
    assert default_lb.listeners == [default_lb.http_listener, default_lb.https_listener, default_lb.rules["api"]]


# -- target groups -----------------------------------------------------------------------------------------------------
def test_target_groups_use_ip_targets_and_the_guides_health_checks(default_lb: LoadBalancer) -> None:
    for service, port in (("frontend", 3000), ("backend", 8000)):
        group = one(f"lbdefault-{service}")
        assert group.inputs["targetType"] == "ip"
        assert group.inputs["protocol"] == "HTTP"
        assert group.inputs["port"] == port
        assert group.inputs["vpcId"] == VPC_ID
        assert group.inputs["deregistrationDelay"] == 30
        assert group.inputs["healthCheck"] == {
            "enabled": True,
            "protocol": "HTTP",
            "path": "/health",
            "interval": 30,
            "timeout": 10,
            "healthyThreshold": 2,
            "unhealthyThreshold": 3,
            "matcher": "200-399",
        }
        assert group.inputs["stickiness"] == {"type": "lb_cookie", "enabled": False, "cookieDuration": 86400}
    assert set(default_lb.target_groups) == {"frontend", "backend"}


def test_target_groups_follow_the_settings(tuned_lb: LoadBalancer) -> None:
    for service, port, path in (("frontend", 3100, "/healthz"), ("backend", 8100, "/api/health")):
        group = one(f"lbtuned-{service}")
        assert group.inputs["port"] == port
        assert group.inputs["deregistrationDelay"] == 10
        assert group.inputs["healthCheck"] == {
            "enabled": True,
            "protocol": "HTTP",
            "path": path,
            "interval": 15,
            "timeout": 5,
            "healthyThreshold": 3,
            "unhealthyThreshold": 4,
            "matcher": "200",
        }
        assert group.inputs["stickiness"] == {"type": "lb_cookie", "enabled": True, "cookieDuration": 3600}


# -- the certificate ---------------------------------------------------------------------------------------------------
def test_with_the_cdn_the_certificate_is_validated_through_cloudflare_dns(cdn_lb: LoadBalancer) -> None:
    certificate = one("lbcdn-certificate")
    assert certificate.inputs["domainName"] == DOMAIN
    assert certificate.inputs["subjectAlternativeNames"] == [f"www.{DOMAIN}"]
    assert certificate.inputs["validationMethod"] == "DNS"
    assert certificate.inputs["keyAlgorithm"] == "RSA_2048"
    assert certificate.inputs["options"] == {"certificateTransparencyLoggingPreference": "ENABLED"}

    # Beside the load balancer, not inside it: under the name, and with an alias of the URN, it had as its child.
    assert certificate.parent != one("lbcdn").urn
    assert f"parent={one('lbcdn').urn}" in certificate.aliases

    provider = one("lbcdn-cloudflare")
    options = {o["domainName"]: o for o in certificate.outputs["domainValidationOptions"]}
    # The CDN writes the records; the load balancer waits for them.
    assert len(registered("lbcdn-cdn-", DNS_RECORD)) == 2
    names = []
    for label, domain in (("apex", DOMAIN), ("www", f"www.{DOMAIN}")):
        record = one(f"lbcdn-cdn-validation-{label}")
        assert record.parent == one("lbcdn-cdn-validation").urn
        # Written by the load balancer before the CDN component existed: moved, not recreated.
        assert f"{one('lbcdn').urn.rsplit('::', 1)[0]}${DNS_RECORD}::lbcdn-certificate-{label}" in record.aliases
        assert record.type == DNS_RECORD
        assert record.provider.startswith(provider.urn)
        assert record.inputs["zoneId"] == ZONE_ID
        assert record.inputs["type"] == "CNAME"
        assert record.inputs["ttl"] == 60
        assert record.inputs["proxied"] is False
        assert record.inputs["name"] == options[domain]["resourceRecordName"].rstrip(".")
        assert record.inputs["content"] == options[domain]["resourceRecordValue"].rstrip(".")
        assert not record.inputs["name"].endswith(".")
        assert not record.inputs["content"].endswith(".")
        names.append(record.inputs["name"])

    validation = one("lbcdn-certificate-validation")
    assert validation.inputs["validationRecordFqdns"] == names
    assert validation.inputs["certificateArn"] == certificate.outputs["arn"]
    assert validation.property_dependencies["certificateArn"] == [certificate.urn]
    https = one("lbcdn-https")
    assert https.property_dependencies["certificateArn"] == [validation.urn]
    assert https.inputs["certificateArn"] == certificate.outputs["arn"]


def test_with_an_existing_certificate_nothing_is_issued(default_lb: LoadBalancer) -> None:
    for type_ in (CERTIFICATE, VALIDATION, DNS_RECORD):
        assert registered("lbdefault-", type_) == []
    https = one("lbdefault-https")
    assert https.inputs["certificateArn"] == CERTIFICATE_ARN
    assert https.property_dependencies["certificateArn"] == []


# -- the WAF -----------------------------------------------------------------------------------------------------------
def test_the_waf_rate_limits_then_runs_the_aws_managed_rules(default_lb: LoadBalancer) -> None:
    acl = one("lbdefault-waf")
    assert acl.inputs["scope"] == "REGIONAL"
    assert acl.inputs["defaultAction"] == {"allow": {}}
    assert acl.inputs["visibilityConfig"] == {
        "cloudwatchMetricsEnabled": True,
        "metricName": "webstack-lbdefault-waf",
        "sampledRequestsEnabled": True,
    }
    rules = acl.inputs["rules"]
    assert [(r["name"], r["priority"]) for r in rules] == [
        ("rate-limit-login", 1),
        ("rate-limit-api", 2),
        ("rate-limit-general", 3),
        *((group, 10 * (index + 1)) for index, group in enumerate(MANAGED_GROUPS)),
    ]
    for rule in rules:
        visibility = rule["visibilityConfig"]
        assert visibility["cloudwatchMetricsEnabled"] is True, rule["name"]
        assert visibility["sampledRequestsEnabled"] is True, rule["name"]
        assert visibility["metricName"] == f"webstack-lbdefault-{rule['name']}"

    limits = {rule["name"]: rule for rule in rules[:3]}
    for rule in limits.values():
        assert rule["action"] == {"block": {}}
        assert "overrideAction" not in rule
    assert rate_limit(limits["rate-limit-login"]) == (10, 120, "CONTAINS", "login")
    assert rate_limit(limits["rate-limit-api"]) == (600, 60, "STARTS_WITH", "/api/")
    assert rate_limit(limits["rate-limit-general"]) == (1800, 60, None, None)

    for rule, group in zip(rules[3:], MANAGED_GROUPS, strict=True):
        assert rule["overrideAction"] == {"none": {}}
        assert "action" not in rule
        assert rule["statement"] == {"managedRuleGroupStatement": {"name": group, "vendorName": "AWS"}}


def test_behind_cloudflare_the_rate_rules_count_the_forwarded_client(forwarded_lb: LoadBalancer) -> None:
    rules = one("lbforwarded-waf").inputs["rules"]
    limits = {rule["name"]: rule for rule in rules if "rateBasedStatement" in rule["statement"]}
    assert rate_limit(limits["rate-limit-login"], "FORWARDED_IP") == (10, 120, "CONTAINS", "login")
    assert rate_limit(limits["rate-limit-api"], "FORWARDED_IP") == (600, 60, "STARTS_WITH", "/api/")
    assert rate_limit(limits["rate-limit-general"], "FORWARDED_IP") == (1800, 60, None, None)
    for rule in limits.values():
        # A header without a valid address counts as matching: fail closed (AWS WAF ForwardedIPConfig).
        assert rule["statement"]["rateBasedStatement"]["forwardedIpConfig"] == {
            "headerName": "CF-Connecting-IP",
            "fallbackBehavior": "MATCH",
        }


def test_behind_cloudflare_the_ip_reputation_group_is_left_out(forwarded_lb: LoadBalancer) -> None:
    """The IP reputation group judges the connection's address only (AWS WAF developer guide): behind Cloudflare
    that is an edge server, which it could block for every visitor behind it."""
    groups = [
        r["statement"]["managedRuleGroupStatement"]["name"]
        for r in one("lbforwarded-waf").inputs["rules"]
        if "managedRuleGroupStatement" in r["statement"]
    ]
    assert groups == MANAGED_GROUPS[1:]
    assert MANAGED_GROUPS[0] == "AWSManagedRulesAmazonIpReputationList"


def test_without_cloudflare_the_rate_rules_count_the_connection(default_lb: LoadBalancer) -> None:
    for rule in one("lbdefault-waf").inputs["rules"][:3]:
        statement = rule["statement"]["rateBasedStatement"]
        assert statement["aggregateKeyType"] == "IP"
        assert "forwardedIpConfig" not in statement


#: AWS WAF developer guide, "Baseline rule groups": the Core rule set's SizeRestrictions_BODY blocks bodies over 8 KB
#: and labels what it matches awswaf:managed:aws:core-rule-set:SizeRestrictions_Body; a label is visible to the rules
#: evaluated after the rule that adds it ("Using labels in AWS WAF").
BODY_SIZE_LABEL = "awswaf:managed:aws:core-rule-set:SizeRestrictions_Body"


def test_by_default_every_path_keeps_the_8_kb_body_limit(default_lb: LoadBalancer) -> None:
    rules = {rule["name"]: rule for rule in one("lbdefault-waf").inputs["rules"]}
    assert "ruleActionOverrides" not in rules["AWSManagedRulesCommonRuleSet"]["statement"]["managedRuleGroupStatement"]
    assert "body-size-outside-uploads" not in rules


def test_upload_paths_take_large_bodies_while_every_other_path_keeps_the_limit() -> None:
    load_balancer("lbuploads", {**IMAGES, "uploadPaths": ["/api/documents", "/api/avatars"]})
    rules = one("lbuploads-waf").inputs["rules"]
    by_name = {rule["name"]: rule for rule in rules}
    common = by_name["AWSManagedRulesCommonRuleSet"]
    # The rule group stays in force; only its body-size rule counts (and labels) instead of blocking ...
    assert common["overrideAction"] == {"none": {}}
    assert common["statement"]["managedRuleGroupStatement"]["ruleActionOverrides"] == [
        {"name": "SizeRestrictions_BODY", "actionToUse": {"count": {}}}
    ]
    # ... and the next rule blocks what it labelled, unless the path is an upload path.
    body = by_name["body-size-outside-uploads"]
    assert body["priority"] == common["priority"] + 1
    assert [r["name"] for r in rules].index("body-size-outside-uploads") == [r["name"] for r in rules].index(
        "AWSManagedRulesCommonRuleSet"
    ) + 1
    assert body["action"] == {"block": {}}
    assert body["visibilityConfig"]["metricName"] == "webstack-lbuploads-body-size-outside-uploads"
    label, exception = body["statement"]["andStatement"]["statements"]
    assert label == {"labelMatchStatement": {"scope": "LABEL", "key": BODY_SIZE_LABEL}}
    paths = exception["notStatement"]["statement"]["orStatement"]["statements"]
    assert [p["byteMatchStatement"]["searchString"] for p in paths] == ["/api/documents", "/api/avatars"]
    for path in paths:
        assert path["byteMatchStatement"]["positionalConstraint"] == "STARTS_WITH"
        assert path["byteMatchStatement"]["fieldToMatch"] == {"uriPath": {}}
        assert path["byteMatchStatement"]["textTransformations"] == [{"priority": 0, "type": "NONE"}]


def test_a_single_upload_path_needs_no_or_statement() -> None:
    load_balancer("lbupload", {**IMAGES, "uploadPaths": ["/upload"]})
    body = {rule["name"]: rule for rule in one("lbupload-waf").inputs["rules"]}["body-size-outside-uploads"]
    _, exception = body["statement"]["andStatement"]["statements"]
    assert exception["notStatement"]["statement"]["byteMatchStatement"]["searchString"] == "/upload"


def test_configured_rate_limits_reach_the_waf_rules(tuned_lb: LoadBalancer) -> None:
    rules = {rule["name"]: rule for rule in one("lbtuned-waf").inputs["rules"]}
    assert rate_limit(rules["rate-limit-login"]) == (20, 300, "CONTAINS", "/signin")
    assert rate_limit(rules["rate-limit-api"]) == (300, 120, "STARTS_WITH", "/v1/")
    assert rate_limit(rules["rate-limit-general"]) == (5000, 300, None, None)


def test_the_waf_guards_the_alb_and_logs_to_an_encrypted_group_without_credentials(
    default_lb: LoadBalancer,
) -> None:
    alb, acl = one("lbdefault-alb"), one("lbdefault-waf")
    association = one("lbdefault-waf-association")
    assert association.inputs["resourceArn"] == alb.outputs["arn"]
    assert association.inputs["webAclArn"] == acl.outputs["arn"]
    assert association.property_dependencies["resourceArn"] == [alb.urn]
    assert association.property_dependencies["webAclArn"] == [acl.urn]

    group = one("lbdefault-waf-logs")
    assert group.inputs["name"] == "aws-waf-logs-webstack-lbdefault"
    assert group.inputs["kmsKeyId"] == LOGS_KEY_ARN
    # A security log: kept a year, whatever the application logs keep (webstack:web.logRetentionDays, 30).
    assert group.inputs["retentionInDays"] == 365

    delivery = one("lbdefault-waf-log-delivery")
    (statement,) = json.loads(delivery.inputs["policyDocument"])["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
    assert statement["Resource"] == f"{group.outputs['arn']}:*"
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
        "ArnLike": {"aws:SourceArn": f"arn:aws:logs:{TEST_REGION}:{ACCOUNT_ID}:*"},
    }

    logging = one("lbdefault-waf-logging")
    assert logging.inputs["resourceArn"] == acl.outputs["arn"]
    assert logging.property_dependencies["resourceArn"] == [acl.urn]
    assert logging.inputs["logDestinationConfigs"] == [group.outputs["arn"]]
    assert logging.inputs["redactedFields"] == [
        {"singleHeader": {"name": "authorization"}},
        {"singleHeader": {"name": "cookie"}},
    ]
    assert delivery.urn in logging.dependencies


def test_waf_logs_are_kept_the_configured_days(tuned_lb: LoadBalancer) -> None:
    assert one("lbtuned-waf-logs").inputs["retentionInDays"] == 400


# -- protection --------------------------------------------------------------------------------------------------------
def test_protect_keeps_the_log_bucket_and_only_it(default_lb: LoadBalancer) -> None:
    load_balancer("lbprotected", protect=True)
    assert one("lbprotected-logs").protect is True
    assert [r.name for r in registered("lbprotected-") if r.protect] == ["lbprotected-logs"]
    assert one("lbdefault-logs").protect is False


# -- mutual TLS (authenticated origin pulls) ---------------------------------------------------------------------------
PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
DATA_KEY_ARN = f"arn:aws:kms:{TEST_REGION}:{ACCOUNT_ID}:key/data"


def test_with_client_certificates_only_their_holders_connect_on_443() -> None:
    load_balancer(
        "lbmtls",
        clients=ClientCertificateArgs(
            ca_bundle_pem=PEM, kms_key_arn=DATA_KEY_ARN, access_log_bucket="webstack-lbmtls-access-logs"
        ),
    )
    bucket = one("lbmtls-client-cas")
    assert bucket.type == "aws:s3/bucket:Bucket"
    (rule,) = one("lbmtls-client-cas-encryption").inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": DATA_KEY_ARN}
    assert one("lbmtls-client-cas-access-logging").inputs["targetBucket"] == "webstack-lbmtls-access-logs"
    bundle_object = one("lbmtls-client-cas-bundle")
    assert bundle_object.inputs["bucket"] == bucket.outputs["bucket"]
    assert bundle_object.inputs["key"] == "origin-pull-ca.pem"
    assert bundle_object.inputs["content"] == PEM
    assert bundle_object.inputs["serverSideEncryption"] == "aws:kms"
    assert bundle_object.inputs["kmsKeyId"] == DATA_KEY_ARN
    store = one("lbmtls-trust-store")
    assert store.type == "aws:lb/trustStore:TrustStore"
    assert store.inputs["caCertificatesBundleS3Bucket"] == bucket.outputs["bucket"]
    assert store.inputs["caCertificatesBundleS3Key"] == "origin-pull-ca.pem"
    https = one("lbmtls-https")
    assert https.inputs["mutualAuthentication"] == {"mode": "verify", "trustStoreArn": store.outputs["arn"]}
    assert "mutualAuthentication" not in one("lbmtls-http").inputs


def test_without_client_certificates_any_client_connects(default_lb: LoadBalancer) -> None:
    assert "mutualAuthentication" not in one("lbdefault-https").inputs
    assert registered("lbdefault-trust-store") == registered("lbdefault-client-cas") == []


# -- the Args alone, as another program gives them ---------------------------------------------------------------------
def minimal_args(name: str, **changes: Any) -> LoadBalancerArgs:
    """Only what has no default: the network, the logs key, the certificate and one service."""
    args = LoadBalancerArgs(
        account=ACCOUNT,
        name_prefix=f"webstack-{name}",
        vpc_id=VPC_ID,
        subnet_ids=SUBNET_IDS,
        security_group_id=SECURITY_GROUP_ID,
        logs_key_arn=LOGS_KEY_ARN,
        certificate_arn=CERTIFICATE_ARN,
        services={"site": LoadBalancerTargetArgs(port=8080)},
        default_service="site",
    )
    return replace(args, **changes)


def test_the_args_defaults_are_secure_without_any_settings() -> None:
    """A program that gives only what has no default gets what the guides and the policy pack ask for."""
    construct(lambda: LoadBalancer("lbbare", minimal_args("lbbare")))
    alb = one("lbbare-alb")
    assert alb.inputs["enableDeletionProtection"] is True
    assert alb.inputs["desyncMitigationMode"] == "defensive"
    assert alb.inputs["dropInvalidHeaderFields"] is True
    https = one("lbbare-https")
    assert https.inputs["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert https.inputs["routingHttpResponseStrictTransportSecurityHeaderValue"] == "max-age=31536000"
    assert https.inputs["routingHttpResponseContentSecurityPolicyHeaderValue"] == DEFAULT_CSP
    assert https.inputs["routingHttpResponseServerEnabled"] is False
    assert "mutualAuthentication" not in https.inputs
    group = one("lbbare-site")
    assert group.inputs["port"] == 8080
    assert group.inputs["healthCheck"]["path"] == "/health"
    assert group.inputs["stickiness"]["enabled"] is False
    assert https.inputs["defaultActions"] == [{"type": "forward", "targetGroupArn": group.outputs["arn"]}]
    assert registered("lbbare-", "aws:lb/listenerRule:ListenerRule") == []
    assert registered("lbbare-", VALIDATION) == []
    rules = one("lbbare-waf").inputs["rules"]
    limits = {rule["name"]: rate_limit(rule) for rule in rules if "rateBasedStatement" in rule["statement"]}
    # The guides' limits, as the settings' defaults give them (test_target_groups_use_..., test_the_waf_rate_...).
    assert limits == {
        "rate-limit-login": (10, 120, "CONTAINS", "login"),
        "rate-limit-api": (600, 60, "STARTS_WITH", "/api/"),
        "rate-limit-general": (1800, 60, None, None),
    }
    assert one("lbbare-waf-logs").inputs["retentionInDays"] == 365
    assert {r["id"]: r for r in one("lbbare-logs-lifecycle").inputs["rules"]}["expire-objects"]["expiration"] == {
        "days": 365
    }


def test_the_stack_mapping_gives_the_args_defaults() -> None:
    """``webstack:web``'s defaults and the Args' own defaults are the same choices."""
    mapped = load_balancer_args(
        WebSettings.model_validate(IMAGES),
        account=ACCOUNT,
        name_prefix="webstack-x",
        vpc_id=VPC_ID,
        subnet_ids=SUBNET_IDS,
        security_group_id=SECURITY_GROUP_ID,
        logs_key_arn=LOGS_KEY_ARN,
        certificate_arn=CERTIFICATE_ARN,
    )
    bare = minimal_args("x", services=mapped.services, default_service="frontend", routes=mapped.routes)
    assert mapped == bare
    assert mapped.services["frontend"] == LoadBalancerTargetArgs(port=3000)
    assert mapped.services["backend"] == LoadBalancerTargetArgs(port=8000)


def test_routes_forward_their_paths_to_their_service() -> None:
    from components.aws.load_balancer import LoadBalancerRouteArgs

    construct(
        lambda: LoadBalancer(
            "lbroutes",
            minimal_args(
                "lbroutes",
                services={"site": LoadBalancerTargetArgs(port=8080), "docs": LoadBalancerTargetArgs(port=9000)},
                routes={"manual": LoadBalancerRouteArgs(service="docs", paths=["/docs/*"], priority=7)},
            ),
        )
    )
    rule = one("lbroutes-manual")
    assert rule.inputs["priority"] == 7
    assert rule.inputs["conditions"] == [{"pathPattern": {"values": ["/docs/*"]}}]
    assert rule.inputs["actions"] == [{"type": "forward", "targetGroupArn": one("lbroutes-docs").outputs["arn"]}]
    assert rule.property_dependencies["listenerArn"] == [one("lbroutes-https").urn]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"ssl_policy": "ELBSecurityPolicy-2016-08"},
            r"LoadBalancerArgs.ssl_policy must be a TLS 1.2\+ policy .*, got .ELBSecurityPolicy-2016-08.",
        ),
        ({"desync_mitigation": "monitor"}, "LoadBalancerArgs.desync_mitigation must be defensive or strictest"),
        ({"default_service": "www"}, "LoadBalancerArgs.default_service must be a key of services, got 'www'"),
        ({"certificate_arn": ""}, "LoadBalancerArgs.certificate_arn must name an ACM certificate"),
        ({"upload_paths": ["/"]}, r"LoadBalancerArgs.upload_paths\[0\] must be a path below /"),
        (
            {"services": {"site": LoadBalancerTargetArgs(port=8080, health_check_timeout_seconds=30)}},
            r"LoadBalancerArgs.services\['site'\].health_check_timeout_seconds must be less than "
            r"health_check_interval_seconds \(30\), got 30",
        ),
    ],
)
def test_args_the_alb_would_refuse_are_refused_by_field(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LoadBalancer("lbbad", minimal_args("lbbad", **changes))


def test_rate_limits_the_waf_would_refuse_are_refused_by_field() -> None:
    """botocore's wafv2 model: RateLimit min 10; EvaluationWindowSec 60, 120, 300 or 600."""
    from components.aws.load_balancer import LoadBalancerRateLimitArgs

    for limit, field_name, message in (
        (LoadBalancerRateLimitArgs("api", 9), "limit", "be at least 10, got 9"),
        (LoadBalancerRateLimitArgs("api", 100, 90), "window_seconds", "be 60, 120, 300 or 600, got 90"),
        (LoadBalancerRateLimitArgs("api", 100, 60, "/x", "suffix"), "match", "be prefix or contains, got 'suffix'"),
    ):
        with pytest.raises(ValueError, match=rf"LoadBalancerArgs.rate_limits\[0\].{field_name} must {message}"):
            LoadBalancer("lbbad", minimal_args("lbbad", rate_limits=[limit]))


def test_a_route_to_no_service_is_refused() -> None:
    from components.aws.load_balancer import LoadBalancerRouteArgs

    route = LoadBalancerRouteArgs(service="api", paths=["/api/*"], priority=1)
    with pytest.raises(ValueError, match=r"LoadBalancerArgs.routes\['api'\].service must be a key of services"):
        LoadBalancer("lbbad", minimal_args("lbbad", routes={"api": route}))
