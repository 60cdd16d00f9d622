"""The Cdn component: secure zone settings, one entry-point ruleset per phase (cache rules, rate limits within the
plan, the managed WAF, security headers), optional authenticated origin pulls, the proxied site records, the
certificate-validation records and the cache purge after a deployment; and the rate helpers behind the limits."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_cloudflare as cloudflare
import pulumi_random as random
import pytest
from pulumi_command import local

from components.cdn import Cdn, CdnArgs, ValidationRecord, cloudflare_rate, rate_limit_expression
from components.settings import DEFAULT_CSP, DEFAULT_PERMISSIONS_POLICY, CdnSettings, RateLimit
from stackcheck.engine.resources import RecordedResource, is_secret, redact
from tests.conftest import ZONE_ID, construct, one, registered

DOMAIN = "app.example.org"
ALB_DNS_NAME = "some-alb-123.us-east-1.elb.amazonaws.com"
API_TOKEN = "cf-deploy-token-0123456789"
PURGE_URL = f"https://api.cloudflare.com/client/v4/zones/{ZONE_ID}/purge_cache"
ONE_YEAR = 31_536_000

CDN_TYPE = "webstack:cloudflare:Cdn"
ZONE_SETTING = "cloudflare:index/zoneSetting:ZoneSetting"
RULESET = "cloudflare:index/ruleset:Ruleset"
DNS_RECORD = "cloudflare:index/dnsRecord:DnsRecord"
ORIGIN_PULLS = "cloudflare:index/authenticatedOriginPullsSettings:AuthenticatedOriginPullsSettings"
COMMAND = "command:local:Command"

CLOUDFLARE_MANAGED = {
    "ref": "cloudflare_managed",
    "description": "Cloudflare Managed Ruleset",
    "expression": "true",
    "action": "execute",
    "actionParameters": {"id": "efb7b8c949ac4650a09736fc376e9aee"},
}
OWASP_CORE = {
    "ref": "owasp_core",
    "description": "Cloudflare OWASP Core Ruleset",
    "expression": "true",
    "action": "execute",
    "actionParameters": {"id": "4814384a9e5d4991b9815dcfc25d2f1f"},
}
FREE_MANAGED = {
    "ref": "free_managed",
    "description": "Cloudflare Free Managed Ruleset",
    "expression": "true",
    "action": "execute",
    "actionParameters": {"id": "77454fe2d30c4220b5701f6fdfb893ba"},
}
API_EXPRESSION = '(starts_with(lower(http.request.uri.path), "/api/"))'
#: The cache rule follows the load balancer's routing, which is case-sensitive.
CACHE_API_EXPRESSION = '(starts_with(http.request.uri.path, "/api/"))'
LOGIN_EXPRESSION = '(lower(http.request.uri.path) contains "login")'
CERTIFICATE_PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

#: What a certificate authority hands over: fully qualified, with trailing dots.
VALIDATIONS = {
    "apex": ("_a1b2c3.app.example.org.", "_d4e5f6.acm-validations.aws."),
    "www": ("_0f9e8d.www.app.example.org.", "_7c6b5a.acm-validations.aws."),
}


@dataclass
class Built:
    """A Cdn and what its methods returned, with the Outputs among them resolved."""

    cdn: Cdn
    routes: list[cloudflare.DnsRecord]
    purge: local.Command | None
    resolved: dict[str, Any] = field(default_factory=dict)


def cdn_settings(**options: Any) -> CdnSettings:
    """Settings of an enabled CDN on the business plan; ``options`` as a stack file writes them (camelCase)."""
    return CdnSettings.model_validate({"enabled": True, "zoneId": ZONE_ID, "plan": "business", **options})


def new_cdn(name: str, settings: CdnSettings) -> Cdn:
    """A Cdn named ``name`` with a Cloudflare provider of its own; call it inside ``construct``."""
    provider = cloudflare.Provider(f"{name}-cloudflare", api_token="test-token")
    return Cdn(
        name,
        CdnArgs(domain=DOMAIN, settings=settings, name_prefix=f"webstack-{name}"),
        opts=pulumi.ResourceOptions(provider=provider),
    )


def cdn(
    name: str,
    origin: Callable[[], pulumi.Input[str]] | str = ALB_DNS_NAME,
    validations: Sequence[ValidationRecord] = (),
    **options: Any,
) -> Built:
    """A Cdn used as the platform uses it: the site routed to ``origin`` (a literal, or a factory of a resource's
    output), the validation records written, and a purge asked for after a deployment."""
    settings = cdn_settings(**options)

    def factory() -> Built:
        built = new_cdn(name, settings)
        routes = built.route(origin() if callable(origin) else origin)
        names = built.validation_records(validations)
        purge = built.purge_on_deploy(API_TOKEN, triggers=["deployment-1"])
        result = Built(built, routes, purge)
        pulumi.Output.all(*names).apply(lambda values: result.resolved.__setitem__("validation-names", values))
        return result

    return construct(factory)


def rules(name: str, label: str) -> list[dict[str, Any]]:
    return one(f"{name}-{label}").inputs["rules"]


def rate_rule(limit: str, period: int, requests: int, timeout: int, expression: str) -> dict[str, Any]:
    """A rate-limiting rule as the ruleset should hold it."""
    return {
        "ref": f"rate_limit_{limit}",
        "description": f"{limit}: {requests} requests per {period} s per client IP",
        "expression": expression,
        "action": "block",
        "ratelimit": {
            "characteristics": ["cf.colo.id", "ip.src"],
            "period": period,
            "requestsPerPeriod": requests,
            "mitigationTimeout": timeout,
        },
    }


def assert_in_zone(resource: RecordedResource, name: str) -> None:
    """On the test zone, a child of the Cdn ``name``, created through its Cloudflare provider."""
    assert resource.inputs["zoneId"] == ZONE_ID, resource.name
    assert resource.parent == one(name).urn, resource.name
    assert resource.provider_urn == one(f"{name}-cloudflare").urn, resource.name


@pytest.fixture(scope="module")
def default_cdn() -> Built:
    validations = [
        ValidationRecord(
            label=label,
            name=record_name,
            type="CNAME",
            content=content,
            aliases=[pulumi.Alias(name=f"cdndefault-certificate-{label}")] if label == "apex" else (),
        )
        for label, (record_name, content) in VALIDATIONS.items()
    ]
    return cdn("cdndefault", validations=validations)


# -- defaults are secure -----------------------------------------------------------------------------------------------
def test_defaults_are_secure(default_cdn: Built) -> None:
    assert one("cdndefault").type == CDN_TYPE
    settings = {r.inputs["settingId"]: r for r in registered("cdndefault-", ZONE_SETTING)}
    assert {setting_id: r.inputs["value"] for setting_id, r in settings.items()} == {
        "ssl_automatic_mode": "custom",
        "ssl": "strict",
        "min_tls_version": "1.2",
        "tls_1_3": "on",
        "always_use_https": "on",
        "automatic_https_rewrites": "on",
        "http3": "on",
        "development_mode": "off",
        "security_header": {
            "strict_transport_security": {
                "enabled": True,
                "max_age": ONE_YEAR,
                "include_subdomains": False,
                "preload": False,
                "nosniff": True,
            }
        },
    }
    assert settings["security_header"].name == "cdndefault-security-header"
    assert settings["min_tls_version"].name == "cdndefault-min-tls-version"
    for resource in settings.values():
        assert_in_zone(resource, "cdndefault")
    assert set(default_cdn.cdn.zone_settings) == set(settings)

    rulesets = registered("cdndefault-", RULESET)
    assert {r.name: r.inputs["phase"] for r in rulesets} == {
        "cdndefault-cache": "http_request_cache_settings",
        "cdndefault-rate-limits": "http_ratelimit",
        "cdndefault-waf": "http_request_firewall_managed",
        "cdndefault-headers": "http_response_headers_transform",
    }
    for ruleset in rulesets:
        assert ruleset.inputs["kind"] == "zone"
        assert_in_zone(ruleset, "cdndefault")
    assert one("cdndefault-cache").inputs["name"] == "webstack-cdndefault cache"
    assert list(default_cdn.cdn.rulesets) == ["cache", "rate-limits", "waf", "headers"]

    assert registered("cdndefault-", ORIGIN_PULLS) == []
    assert registered("cdndefault-", COMMAND) == []
    assert default_cdn.purge is None


def test_static_assets_are_cached_a_year_and_the_api_never(default_cdn: Built) -> None:
    static, api = rules("cdndefault", "cache")
    assert static == {
        "ref": "static_assets",
        "description": "static assets: a year at the edge and in browsers",
        "expression": (
            '(http.request.uri.path.extension in {"css" "js" "png" "jpg" "jpeg" "gif" "svg" "ico" "woff" "woff2"})'
        ),
        "action": "set_cache_settings",
        "actionParameters": {
            "cache": True,
            "edgeTtl": {"mode": "override_origin", "default": ONE_YEAR},
            "browserTtl": {"mode": "override_origin", "default": ONE_YEAR},
        },
    }
    assert api == {
        "ref": "api",
        "description": "/api/*: never cached",
        "expression": CACHE_API_EXPRESSION,
        "action": "set_cache_settings",
        "actionParameters": {"cache": False},
    }


def test_the_default_rate_limits_are_the_wafs_per_data_centre_and_ip(default_cdn: Built) -> None:
    assert rules("cdndefault", "rate-limits") == [
        rate_rule("api", 60, 600, 60, API_EXPRESSION),
        rate_rule("login", 120, 10, 120, LOGIN_EXPRESSION),
        rate_rule("general", 60, 1800, 60, "true"),
    ]


def test_the_waf_runs_cloudflare_managed_then_owasp_core(default_cdn: Built) -> None:
    assert rules("cdndefault", "waf") == [CLOUDFLARE_MANAGED, OWASP_CORE]


def test_security_headers_are_set_on_every_response(default_cdn: Built) -> None:
    (rule,) = rules("cdndefault", "headers")
    assert rule["expression"] == "true"
    assert rule["action"] == "rewrite"
    assert rule["actionParameters"]["headers"] == {
        "X-Frame-Options": {"operation": "set", "value": "SAMEORIGIN"},
        "X-Content-Type-Options": {"operation": "set", "value": "nosniff"},
        "Referrer-Policy": {"operation": "set", "value": "strict-origin-when-cross-origin"},
        "Permissions-Policy": {"operation": "set", "value": DEFAULT_PERMISSIONS_POLICY},
        "Content-Security-Policy": {"operation": "set", "value": DEFAULT_CSP},
    }
    assert "frame-ancestors 'self'" in DEFAULT_CSP


# -- route() -----------------------------------------------------------------------------------------------------------
def test_the_site_is_proxied_to_the_origin_hostname(default_cdn: Built) -> None:
    expected = {"cdndefault-apex": DOMAIN, "cdndefault-www": f"www.{DOMAIN}"}
    for record_name, host in expected.items():
        record = one(record_name)
        assert record.type == DNS_RECORD
        assert_in_zone(record, "cdndefault")
        assert record.inputs["name"] == host
        assert record.inputs["type"] == "CNAME"
        assert record.inputs["content"] == ALB_DNS_NAME
        assert record.inputs["proxied"] is True
        assert record.inputs["ttl"] == 1
        assert record.inputs["comment"] == "webstack-cdndefault: the site, through Cloudflare"
        assert record.property_dependencies["content"] == []
    assert default_cdn.routes == [default_cdn.cdn.records["apex"], default_cdn.cdn.records["www"]]


def test_the_records_follow_a_load_balancer_they_are_given() -> None:
    balancer: dict[str, aws.lb.LoadBalancer] = {}

    def origin() -> pulumi.Output[str]:
        balancer["alb"] = aws.lb.LoadBalancer("cdnalb-alb", load_balancer_type="application")
        return balancer["alb"].dns_name

    cdn("cdnalb", origin=origin)
    alb = one("cdnalb-alb")
    assert alb.outputs["dnsName"].endswith(".elb.amazonaws.com")
    for label in ("apex", "www"):
        record = one(f"cdnalb-{label}")
        assert record.inputs["type"] == "CNAME"
        assert record.inputs["content"] == alb.outputs["dnsName"]
        assert record.property_dependencies["content"] == [alb.urn]
        assert record.property_dependencies["type"] == [alb.urn]
        assert alb.urn in record.dependencies


def test_an_elastic_ip_origin_gets_a_records() -> None:
    def origin() -> pulumi.Output[str]:
        return aws.ec2.Eip("cdneip-ip", domain="vpc").public_ip

    cdn("cdneip", origin=origin)
    address = one("cdneip-ip")
    for label in ("apex", "www"):
        record = one(f"cdneip-{label}")
        assert record.inputs["type"] == "A"
        assert record.inputs["content"] == address.outputs["publicIp"]
        assert record.property_dependencies["content"] == [address.urn]


@pytest.mark.parametrize(
    ("name", "origin", "record_type"),
    [("cdnipv4", "198.51.100.7", "A"), ("cdnipv6", "2001:db8::10", "AAAA"), ("cdnhost", "origin.example.net", "CNAME")],
)
def test_the_record_type_follows_a_literal_origin(name: str, origin: str, record_type: str) -> None:
    cdn(name, origin=origin)
    records = registered(f"{name}-", DNS_RECORD)
    assert sorted(r.name for r in records) == [f"{name}-apex", f"{name}-www"]  # registered in any order
    for record in records:
        assert record.inputs["type"] == record_type
        assert record.inputs["content"] == origin
        assert record.inputs["proxied"] is True
        assert record.inputs["ttl"] == 1


# -- validation_records() ----------------------------------------------------------------------------------------------
def test_validation_records_are_unproxied_without_trailing_dots(default_cdn: Built) -> None:
    for label, (record_name, content) in VALIDATIONS.items():
        record = one(f"cdndefault-validation-{label}")
        assert record.type == DNS_RECORD
        assert_in_zone(record, "cdndefault")
        assert record.inputs["name"] == record_name.rstrip(".")
        assert record.inputs["content"] == content.rstrip(".")
        assert record.inputs["type"] == "CNAME"
        assert record.inputs["proxied"] is False
        assert record.inputs["ttl"] == 60
        assert record.inputs["comment"] == "webstack-cdndefault: certificate validation"
    assert default_cdn.resolved["validation-names"] == [
        "_a1b2c3.app.example.org",
        "_0f9e8d.www.app.example.org",
    ]
    assert default_cdn.resolved["validation-names"] == [
        one(f"cdndefault-validation-{label}").outputs["name"] for label in VALIDATIONS
    ]


def test_validation_record_aliases_are_passed_through(default_cdn: Built) -> None:
    def own(record: RecordedResource) -> list[str]:
        return [alias for alias in record.aliases if alias.startswith("name=")]

    assert own(one("cdndefault-validation-apex")) == ["name=cdndefault-certificate-apex"]
    assert own(one("cdndefault-validation-www")) == []
    assert own(one("cdndefault-apex")) == []


# -- plans and settings ------------------------------------------------------------------------------------------------
def test_the_free_plan_runs_the_free_ruleset_and_a_scaled_login_limit() -> None:
    cdn("cdnfree", plan="free", owasp=True, rateLimited=["login"], rateLimitPeriodSeconds=10)
    assert rules("cdnfree", "waf") == [FREE_MANAGED]
    assert rules("cdnfree", "rate-limits") == [rate_rule("login", 10, 1, 10, LOGIN_EXPRESSION)]


def test_the_pro_plan_counts_over_a_minute() -> None:
    cdn("cdnpro", plan="pro", rateLimited=["api", "login"], rateLimitPeriodSeconds=60)
    assert rules("cdnpro", "rate-limits") == [
        rate_rule("api", 60, 600, 60, API_EXPRESSION),
        rate_rule("login", 60, 5, 60, LOGIN_EXPRESSION),
    ]
    assert rules("cdnpro", "waf") == [CLOUDFLARE_MANAGED, OWASP_CORE]


def test_owasp_off_leaves_only_cloudflare_managed() -> None:
    cdn("cdnnoowasp", owasp=False)
    assert rules("cdnnoowasp", "waf") == [CLOUDFLARE_MANAGED]


def test_cache_api_caches_the_api_at_the_edge_only() -> None:
    cdn("cdncacheapi", cacheApi=True)
    static, api = rules("cdncacheapi", "cache")
    assert static["ref"] == "static_assets"
    assert api == {
        "ref": "api",
        "description": "/api/*: 300 s at the edge (cacheApi), never in browsers",
        "expression": CACHE_API_EXPRESSION,
        "action": "set_cache_settings",
        "actionParameters": {
            "cache": True,
            "edgeTtl": {"mode": "override_origin", "default": 300},
            "browserTtl": {"mode": "bypass"},
        },
    }


def test_custom_policies_reach_the_headers() -> None:
    csp = "default-src 'self' https://cdn.example.net; frame-ancestors 'none'"
    permissions = "camera=(self), geolocation=()"
    cdn("cdnpolicies", contentSecurityPolicy=csp, permissionsPolicy=permissions)
    (rule,) = rules("cdnpolicies", "headers")
    headers = rule["actionParameters"]["headers"]
    assert headers["Content-Security-Policy"] == {"operation": "set", "value": csp}
    assert headers["Permissions-Policy"] == {"operation": "set", "value": permissions}
    assert headers["X-Frame-Options"] == {"operation": "set", "value": "SAMEORIGIN"}


def test_authenticated_origin_pulls_are_enabled_on_the_zone(tmp_path: Path) -> None:
    bundle = tmp_path / "origin-pull-ca.pem"
    bundle.write_text(CERTIFICATE_PEM)
    cdn("cdnpulls", authenticatedOriginPulls=True, originPullCaBundle=str(bundle))
    (pulls,) = registered("cdnpulls-", ORIGIN_PULLS)
    assert pulls.name == "cdnpulls-origin-pulls"
    assert pulls.inputs == {"zoneId": ZONE_ID, "enabled": True}
    assert_in_zone(pulls, "cdnpulls")


# -- purge_on_deploy() -------------------------------------------------------------------------------------------------
def secret_token(environment: Any) -> str:
    """The CLOUDFLARE_API_TOKEN of a command's environment; fails unless it is recorded as a secret."""
    if is_secret(environment):
        return environment["value"]["CLOUDFLARE_API_TOKEN"]
    value = environment["CLOUDFLARE_API_TOKEN"]
    assert is_secret(value), "CLOUDFLARE_API_TOKEN is not a secret"
    return value["value"]


def purge(name: str, api_token: str | None) -> dict[str, str]:
    """A Cdn with purgeOnDeploy whose purge follows a revision and waits for two services; the URNs it saw."""
    settings = cdn_settings(purgeOnDeploy=True)
    urns: dict[str, str] = {}

    def factory() -> local.Command | None:
        built = new_cdn(name, settings)
        revision = random.RandomString(f"{name}-revision", length=12, special=False)
        services = [random.RandomPet(f"{name}-service-{index}") for index in range(2)]
        command = built.purge_on_deploy(api_token, triggers=[revision.result, "deployment-1"], after=services)
        assert command is not None
        command.urn.apply(lambda urn: urns.__setitem__("command", urn))
        return command

    construct(factory)
    return urns


def test_purge_on_deploy_empties_the_cache_with_the_token_kept_secret() -> None:
    urns = purge("cdnpurge", API_TOKEN)
    command = one("cdnpurge-purge")
    assert command.type == COMMAND
    assert command.urn == urns["command"]
    assert command.parent == one("cdnpurge").urn
    create = command.inputs["create"]
    # The token goes to curl on stdin (printf is a shell builtin), never in an argument list.
    assert create.startswith("printf 'Authorization: Bearer %s\\n' \"$CLOUDFLARE_API_TOKEN\" | curl --fail ")
    assert "-X POST -H @- " in create
    assert f"--data '{{\"purge_everything\":true}}' {PURGE_URL} ||" in create
    assert create.endswith("exit 1; }")
    assert API_TOKEN not in create
    assert command.inputs["logging"] == "stderr"

    assert secret_token(command.inputs["environment"]) == API_TOKEN
    assert API_TOKEN not in json.dumps(redact(command.inputs))

    revision = one("cdnpurge-revision")
    assert command.inputs["triggers"] == [revision.outputs["result"], "deployment-1"]
    assert command.property_dependencies["triggers"] == [revision.urn]
    services = [one(f"cdnpurge-service-{index}").urn for index in range(2)]
    assert set(command.dependencies) == {*services, revision.urn}


def test_purge_without_a_token_uses_the_deployers_environment() -> None:
    purge("cdnpurgeenv", None)
    command = one("cdnpurgeenv-purge")
    assert "environment" not in command.inputs
    assert "$CLOUDFLARE_API_TOKEN" in command.inputs["create"]
    assert PURGE_URL in command.inputs["create"]


def test_no_purge_unless_asked(default_cdn: Built) -> None:
    assert default_cdn.purge is None
    assert registered("cdndefault-purge") == []
    assert [r.type for r in registered("cdndefault") if r.type.startswith("command:")] == []


# -- a disabled CDN ----------------------------------------------------------------------------------------------------
def test_a_disabled_cdn_is_refused() -> None:
    settings = CdnSettings(enabled=False)
    with pytest.raises(ValueError, match=r"cdn cdnoff: webstack:cdn\.enabled is false"):
        construct(lambda: new_cdn("cdnoff", settings))
    assert [r.type for r in registered("cdnoff")] == ["pulumi:providers:cloudflare"]  # its provider only


# -- rate helpers ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("limit", "window", "period", "expected"),
    [
        (600, 60, None, (60, 600)),
        (600, 60, 60, (60, 600)),
        (10, 120, 120, (120, 10)),
        (10, 120, 10, (10, 1)),
        (10, 120, 60, (60, 5)),
        (1800, 60, 10, (10, 300)),
        (25, 60, 10, (10, 5)),
        (10, 600, 10, (10, 1)),
        (10, 120, 600, (600, 50)),
    ],
)
def test_cloudflare_rate_keeps_the_rate_rounding_up(
    limit: int, window: Any, period: int | None, expected: tuple[int, int]
) -> None:
    assert cloudflare_rate(RateLimit(limit=limit, window_seconds=window), period) == expected


@pytest.mark.parametrize(
    ("path", "match", "expected"),
    [
        ("", "prefix", "true"),
        ("", "contains", "true"),
        ("/api/", "prefix", '(starts_with(lower(http.request.uri.path), "/api/"))'),
        ("Login", "contains", '(lower(http.request.uri.path) contains "login")'),
        ('/a"b\\c', "prefix", '(starts_with(lower(http.request.uri.path), "/a\\"b\\\\c"))'),
        ('say"hi', "contains", '(lower(http.request.uri.path) contains "say\\"hi")'),
    ],
)
def test_rate_limit_expression(path: str, match: Any, expected: str) -> None:
    assert rate_limit_expression(RateLimit(limit=10, window_seconds=60, path=path, match=match)) == expected


# -- a zone that is safe to share ----------------------------------------------------------------------------------
CERTIFICATE_PACK = "cloudflare:index/certificatePack:CertificatePack"
TUNNEL = "cloudflare:index/zeroTrustTunnelCloudflared:ZeroTrustTunnelCloudflared"
TUNNEL_CONFIG = "cloudflare:index/zeroTrustTunnelCloudflaredConfig:ZeroTrustTunnelCloudflaredConfig"
ACCOUNT_ID = "89abcdef0123456789abcdef01234567"


def shared_cdn(name: str, *, serve_www: bool, origin: str = ALB_DNS_NAME, **options: Any) -> Cdn:
    """A routed Cdn for app.example.org in the zone example.org."""
    settings = cdn_settings(**options)

    def factory() -> Cdn:
        provider = cloudflare.Provider(f"{name}-cloudflare", api_token="test-token")
        built = Cdn(
            name,
            CdnArgs(
                domain=DOMAIN,
                settings=settings,
                name_prefix=f"webstack-{name}",
                zone_name="example.org",
                serve_www=serve_www,
            ),
            opts=pulumi.ResourceOptions(provider=provider),
        )
        built.route(origin)
        return built

    return construct(factory)


def test_automatic_ssl_mode_is_off_before_strict_is_written(default_cdn: Built) -> None:
    """New zones default to automatic SSL/TLS, which overrides the ssl setting (Cloudflare docs)."""
    automatic, ssl = one("cdndefault-ssl-automatic-mode"), one("cdndefault-ssl")
    assert (automatic.inputs["settingId"], automatic.inputs["value"]) == ("ssl_automatic_mode", "custom")
    assert automatic.urn in ssl.dependencies


def test_hsts_binds_subdomains_and_preload_only_when_the_settings_opt_in() -> None:
    cdn("cdnhsts", hstsIncludeSubdomains=True, hstsPreload=True)
    sts = one("cdnhsts-security-header").inputs["value"]["strict_transport_security"]
    assert sts == {"enabled": True, "max_age": ONE_YEAR, "include_subdomains": True, "preload": True, "nosniff": True}


def test_www_gets_no_record_where_the_universal_certificate_does_not_cover_it() -> None:
    built = shared_cdn("cdnnowww", serve_www=False)
    assert set(built.records) == {"apex"}
    assert registered("cdnnowww-", CERTIFICATE_PACK) == []
    assert [r.inputs["name"] for r in registered("cdnnowww-", DNS_RECORD)] == [DOMAIN]


def test_an_advanced_certificate_covers_the_site_and_www_and_names_the_zones_apex() -> None:
    built = shared_cdn("cdnacm", serve_www=True, www="advancedCertificate")
    assert set(built.records) == {"apex", "www"}
    (pack,) = registered("cdnacm-", CERTIFICATE_PACK)
    assert_in_zone(pack, "cdnacm")
    # Cloudflare's certificate-pack API: the hosts must contain the zone apex.
    assert pack.inputs["hosts"] == ["example.org", DOMAIN, f"www.{DOMAIN}"]
    assert (pack.inputs["type"], pack.inputs["validationMethod"], pack.inputs["validityDays"]) == (
        "advanced",
        "txt",
        90,
    )
    assert pack.inputs["certificateAuthority"] == "lets_encrypt"


def test_existing_entry_point_rulesets_are_imported_and_the_others_created() -> None:
    ruleset_id = "3a0c1a4b7e9f4d2c8b6a5f4e3d2c1b0a"
    cdn("cdnadopt", adoptRulesets={"http_ratelimit": ruleset_id})
    assert one("cdnadopt-rate-limits").import_id == f"zones/{ZONE_ID}/{ruleset_id}"
    for label in ("cache", "waf", "headers"):
        assert one(f"cdnadopt-{label}").import_id == ""


def test_a_tunnel_sends_the_site_to_the_origin_and_nothing_else() -> None:
    settings = cdn_settings(accountId=ACCOUNT_ID)
    found: dict[str, Any] = {}

    def factory() -> None:
        provider = cloudflare.Provider("cdntunnel-cloudflare", api_token="test-token")
        built = Cdn(
            "cdntunnel",
            CdnArgs(domain=DOMAIN, settings=settings, name_prefix="webstack-cdntunnel", serve_www=False),
            opts=pulumi.ResourceOptions(provider=provider),
        )
        tunnel = built.tunnel("https://nginx:8443", ca_pool="/etc/cloudflared/origin-ca.pem")
        built.route(tunnel.cname)
        tunnel.token.apply(lambda token: found.setdefault("token", token))

    construct(factory)
    tunnel = one("cdntunnel-tunnel")
    assert tunnel.type == TUNNEL
    assert (tunnel.inputs["accountId"], tunnel.inputs["configSrc"], tunnel.inputs["name"]) == (
        ACCOUNT_ID,
        "cloudflare",
        "webstack-cdntunnel",
    )
    config = one("cdntunnel-tunnel-config")
    assert config.type == TUNNEL_CONFIG
    assert config.inputs["tunnelId"] == tunnel.id
    origin = {"originServerName": DOMAIN, "caPool": "/etc/cloudflared/origin-ca.pem", "noTlsVerify": False}
    assert config.inputs["config"]["ingresses"] == [
        {"hostname": DOMAIN, "service": "https://nginx:8443", "originRequest": origin},
        {"service": "http_status:404"},
    ]
    (record,) = registered("cdntunnel-", DNS_RECORD)
    assert (record.inputs["type"], record.inputs["content"]) == ("CNAME", f"{tunnel.id}.cfargotunnel.com")
    assert record.inputs["proxied"] is True
    assert found["token"]


def test_a_tunnel_needs_the_account() -> None:
    def factory() -> None:
        provider = cloudflare.Provider("cdnnoaccount-cloudflare", api_token="test-token")
        built = Cdn(
            "cdnnoaccount",
            CdnArgs(domain=DOMAIN, settings=cdn_settings(), name_prefix="webstack-cdnnoaccount"),
            opts=pulumi.ResourceOptions(provider=provider),
        )
        built.tunnel("https://nginx:8443", ca_pool="/ca.pem")

    with pytest.raises(ValueError, match=r"a tunnel needs webstack:cdn\.accountId"):
        construct(factory)
