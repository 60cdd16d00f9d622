"""Cloudflare in front of the site (platform-neutral: the origin is a hostname, an IP or a Cloudflare Tunnel).

Creates, in the zone named by ``webstack:cdn.zoneId``:

- zone settings, one ``ZoneSetting`` each: SSL strict (Cloudflare verifies the origin's certificate) with automatic
  SSL/TLS mode off so that strict holds, TLS 1.2 at least, TLS 1.3, HTTPS only with automatic rewrites, HSTS for a
  year (nosniff; includeSubDomains and preload only when ``hstsIncludeSubdomains`` / ``hstsPreload`` opt in), HTTP/3,
  development mode off. These are zone-wide: they apply to every host of the zone (see docs/cloudflare.md);
- one entry-point ruleset per phase: cache rules (static assets a year at the edge and in browsers; ``/api/*``
  bypassed unless ``cacheApi``), rate limits (the same ``webstack:web.rateLimits`` the origin enforces, per
  data centre and client IP, within what the zone's plan allows), the managed WAF (Cloudflare Managed and OWASP
  Core, or the Free Managed Ruleset), and security headers on every response. A zone has at most one entry-point
  ruleset per phase: those named in ``adoptRulesets`` are imported (and their rules replaced), the others created;
- optionally authenticated origin pulls (Cloudflare's client certificate to the origin).

Records are added by the methods, since they depend on what is built after the zone: :meth:`Cdn.validation_records`
writes certificate-validation records (unproxied), :meth:`Cdn.route` the proxied site record, and www where a
certificate covers it (an advanced certificate when ``www`` asks for one), :meth:`Cdn.tunnel` creates a Cloudflare
Tunnel (for an origin with no inbound port) and :meth:`Cdn.purge_on_deploy` empties the cache after a deployment.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_cloudflare as cloudflare
from pulumi_command import local

from .edge_common import (
    X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
    ValidationRecord,
    hsts_value,
)
from .settings import CdnSettings, RateLimit, RateLimits

CDN_TYPE = "webstack:cloudflare:Cdn"
#: Cloudflare's managed WAF rulesets (ids from Cloudflare's documentation).
CLOUDFLARE_MANAGED_RULESET = "efb7b8c949ac4650a09736fc376e9aee"
OWASP_CORE_RULESET = "4814384a9e5d4991b9815dcfc25d2f1f"
FREE_MANAGED_RULESET = "77454fe2d30c4220b5701f6fdfb893ba"
#: Static assets: the guides' nginx ``expires 1y`` list, plus web fonts.
STATIC_EXTENSIONS = ("css", "js", "png", "jpg", "jpeg", "gif", "svg", "ico", "woff", "woff2")
#: Zone settings: id -> value. HSTS (``security_header``) is added from :func:`hsts_value`.
#: ``ssl_automatic_mode`` "custom": new zones default to automatic SSL/TLS, which overrides ``ssl`` (Cloudflare
#: docs, "Automatic SSL/TLS"; API: PATCH /zones/{zone_id}/settings/ssl_automatic_mode, value "auto" or "custom").
#: Brotli is not here: the ``brotli`` setting reached end of life in 2024 and fails on apply (the retired settings
#: and their sources: ``policies.rules.cdn.RETIRED_ZONE_SETTINGS``); Cloudflare compresses with Brotli by itself.
ZONE_SETTINGS: dict[str, Any] = {
    "ssl_automatic_mode": "custom",
    "ssl": "strict",
    "min_tls_version": "1.2",
    "tls_1_3": "on",
    "always_use_https": "on",
    "automatic_https_rewrites": "on",
    "http3": "on",
    "development_mode": "off",
}
#: Settings that must exist before another is written: ``ssl`` holds only once automatic mode is off.
SETTING_AFTER = {"ssl": "ssl_automatic_mode"}
#: Where a zone's tunnel sends nothing it knows: the catch-all rule cloudflared requires last (cloudflared
#: ingress/ingress.go: "The last ingress rule must match all URLs").
TUNNEL_CATCH_ALL = "http_status:404"
#: The name a tunnel's proxied records point at (Cloudflare Tunnel docs, "DNS records").
TUNNEL_DOMAIN = "cfargotunnel.com"
#: Rate-limit counters: per Cloudflare data centre (required) and client IP.
RATE_LIMIT_CHARACTERISTICS = ["cf.colo.id", "ip.src"]


@dataclass(frozen=True)
class CdnArgs:
    """Inputs of :class:`Cdn`."""

    domain: str
    """The site's domain."""
    settings: CdnSettings
    """Zone, plan, caching, which rate limits, WAF, headers, origin pulls, HSTS, the www record, adopted rulesets."""
    rate_limits: RateLimits = field(default_factory=RateLimits)
    """The limits the origin's WAF enforces too (``webstack:web.rateLimits``)."""
    name_prefix: str = "webstack"
    """Names rulesets, tunnels and comments, e.g. ``webstack-prod``."""
    zone_name: str = ""
    """The zone's name (``Settings.zone_name``): an advanced certificate must name the zone's apex. Empty: the
    domain."""
    serve_www: bool = True
    """Whether www.<domain> gets a record (``Settings.serves_www``: only where a certificate covers it)."""


@dataclass(frozen=True)
class Tunnel:
    """A Cloudflare Tunnel the site's records point at, and what a connector needs to run it."""

    id: pulumi.Output[str]
    cname: pulumi.Output[str]
    """``<id>.cfargotunnel.com``: what the proxied records point at."""
    token: pulumi.Output[str]
    """The connector's token (a secret): whoever holds it can run the tunnel."""


class Cdn(pulumi.ComponentResource):
    """Zone settings and rulesets now; records through :meth:`validation_records` and :meth:`route`."""

    zone_settings: dict[str, cloudflare.ZoneSetting]
    rulesets: dict[str, cloudflare.Ruleset]
    records: dict[str, cloudflare.DnsRecord]
    certificate: cloudflare.CertificatePack | None = None
    """The advanced certificate for the site and www (``www: advancedCertificate``)."""
    tunnel_config: cloudflare.ZeroTrustTunnelCloudflaredConfig | None = None

    def __init__(self, name: str, args: CdnArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        settings = args.settings
        if not settings.enabled:
            raise ValueError(f"cdn {name}: webstack:cdn.enabled is false; build no Cdn then")
        super().__init__(CDN_TYPE, name, None, opts)
        self._name, self._args = name, args
        self.zone_id = settings.zone_id
        self.records = {}
        child = pulumi.ResourceOptions(parent=self)
        self.zone_settings = {}
        for setting, value in {**ZONE_SETTINGS, "security_header": hsts_value(settings)}.items():
            after = [self.zone_settings[SETTING_AFTER[setting]]] if setting in SETTING_AFTER else []
            self.zone_settings[setting] = cloudflare.ZoneSetting(
                f"{name}-{setting.replace('_', '-')}",
                zone_id=self.zone_id,
                setting_id=setting,
                value=value,
                opts=pulumi.ResourceOptions(parent=self, depends_on=after),
            )
        self.rulesets = {
            "cache": self._ruleset("cache", "http_request_cache_settings", self._cache_rules()),
            "rate-limits": self._ruleset("rate-limits", "http_ratelimit", self._rate_limit_rules()),
            "waf": self._ruleset("waf", "http_request_firewall_managed", self._managed_waf_rules()),
            "headers": self._ruleset("headers", "http_response_headers_transform", [self._header_rule()]),
        }
        if settings.authenticated_origin_pulls:
            cloudflare.AuthenticatedOriginPullsSettings(
                f"{name}-origin-pulls", zone_id=self.zone_id, enabled=True, opts=child
            )
        self.register_outputs(
            {"zoneId": self.zone_id, "rulesets": {label: ruleset.id for label, ruleset in self.rulesets.items()}}
        )

    # -- records ---------------------------------------------------------------------------------------------------
    def validation_records(self, records: Sequence[ValidationRecord]) -> list[pulumi.Output[str]]:
        """Unproxied records for a certificate authority; returns their names, to wait for."""
        created = []
        for record in records:
            created.append(
                self._record(
                    f"validation-{record.label}",
                    name=pulumi.Output.from_input(record.name).apply(lambda value: value.rstrip(".")),
                    type=record.type,
                    content=pulumi.Output.from_input(record.content).apply(lambda value: value.rstrip(".")),
                    proxied=False,
                    ttl=60,
                    comment="certificate validation",
                    aliases=record.aliases,
                )
            )
        return [record.name for record in created]

    def route(self, origin: pulumi.Input[str]) -> list[cloudflare.DnsRecord]:
        """Proxied records that send the site to ``origin`` (a hostname, or an IPv4/IPv6 address: A/AAAA records
        then): the site's own, and www.<site> where a certificate covers it (``serve_www``; with
        ``www: advancedCertificate`` an advanced certificate for both is ordered first)."""
        if "apex" in self.records:
            raise ValueError(f"cdn {self._name}: the site is routed already")
        args = self._args
        record_type = pulumi.Output.from_input(origin).apply(_record_type)
        hosts = [("apex", args.domain)] + ([("www", f"www.{args.domain}")] if args.serve_www else [])
        if args.settings.www == "advancedCertificate":
            self.certificate = self._advanced_certificate([host for _, host in hosts])
        routed = [
            self._record(
                label,
                name=host,
                type=record_type,
                content=origin,
                proxied=True,
                ttl=1,
                comment="the site, through Cloudflare",
            )
            for label, host in hosts
        ]
        return routed

    def _advanced_certificate(self, hosts: Sequence[str]) -> cloudflare.CertificatePack:
        """An advanced certificate for ``hosts`` (Universal SSL covers the apex and one level below it only). The
        order must name the zone's apex (Cloudflare's certificate-pack API); it cannot change in place, so new hosts
        replace it (create before delete: the old one serves meanwhile)."""
        apex = self._args.zone_name or self._args.domain
        return cloudflare.CertificatePack(
            f"{self._name}-certificate",
            zone_id=self.zone_id,
            type="advanced",
            hosts=list(dict.fromkeys([apex, *hosts])),
            certificate_authority="lets_encrypt",
            validation_method="txt",
            validity_days=90,
            cloudflare_branding=False,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def tunnel(self, service: str, ca_pool: str) -> Tunnel:
        """A remotely managed Cloudflare Tunnel for the site: ``service`` is the origin as the connector reaches it
        (``https://host:port``), verified against the CA file ``ca_pool`` (a path where the connector runs) for the
        site's name; every other hostname and path gets 404. Route the site to :attr:`Tunnel.cname`."""
        args = self._args
        account_id = args.settings.account_id
        if not account_id:
            raise ValueError(f"cdn {self._name}: a tunnel needs webstack:cdn.accountId")
        child = pulumi.ResourceOptions(parent=self)
        tunnel = cloudflare.ZeroTrustTunnelCloudflared(
            f"{self._name}-tunnel",
            account_id=account_id,
            name=args.name_prefix,
            config_src="cloudflare",
            opts=child,
        )
        origin_request = cloudflare.ZeroTrustTunnelCloudflaredConfigConfigIngressOriginRequestArgs(
            origin_server_name=args.domain, ca_pool=ca_pool, no_tls_verify=False
        )
        hosts = [args.domain] + ([f"www.{args.domain}"] if args.serve_www else [])
        self.tunnel_config = cloudflare.ZeroTrustTunnelCloudflaredConfig(
            f"{self._name}-tunnel-config",
            account_id=account_id,
            tunnel_id=tunnel.id,
            config=cloudflare.ZeroTrustTunnelCloudflaredConfigConfigArgs(
                ingresses=[
                    *(
                        cloudflare.ZeroTrustTunnelCloudflaredConfigConfigIngressArgs(
                            hostname=host, service=service, origin_request=origin_request
                        )
                        for host in hosts
                    ),
                    cloudflare.ZeroTrustTunnelCloudflaredConfigConfigIngressArgs(service=TUNNEL_CATCH_ALL),
                ]
            ),
            opts=child,
        )
        token = cloudflare.get_zero_trust_tunnel_cloudflared_token_output(
            account_id=account_id, tunnel_id=tunnel.id, opts=pulumi.InvokeOutputOptions(parent=self)
        ).token
        return Tunnel(
            id=tunnel.id,
            cname=tunnel.id.apply(lambda tunnel_id: f"{tunnel_id}.{TUNNEL_DOMAIN}"),
            token=pulumi.Output.secret(token),
        )

    def purge_on_deploy(
        self,
        api_token: pulumi.Input[str] | None,
        triggers: Sequence[pulumi.Input[Any]],
        after: Sequence[pulumi.Resource] = (),
    ) -> local.Command | None:
        """Purge the zone's cache whenever ``triggers`` change (a new deployment), after ``after``; nothing unless
        ``purgeOnDeploy``. The token (None: the deployer's own CLOUDFLARE_API_TOKEN, as the provider reads it)
        reaches curl through the environment and its standard input, never a command line (``ps``) or the logs."""
        if not self._args.settings.purge_on_deploy:
            return None
        url = f"https://api.cloudflare.com/client/v4/zones/{self.zone_id}/purge_cache"
        return local.Command(
            f"{self._name}-purge",
            create=(
                # printf is a shell builtin: the header reaches curl on stdin, not in its arguments.
                "printf 'Authorization: Bearer %s\\n' \"$CLOUDFLARE_API_TOKEN\" | "
                "curl --fail --silent --show-error --output /dev/null --max-time 30 --retry 3 -X POST -H @- "
                f"-H 'Content-Type: application/json' --data '{{\"purge_everything\":true}}' {url} "
                f"|| {{ echo 'cache purge failed: {url}' >&2; exit 1; }}"
            ),
            environment=None if api_token is None else {"CLOUDFLARE_API_TOKEN": pulumi.Output.secret(api_token)},
            triggers=list(triggers),
            logging=local.Logging.STDERR,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(after)),
        )

    def _record(self, label: str, aliases: Sequence[pulumi.Alias] = (), **record: Any) -> cloudflare.DnsRecord:
        created = cloudflare.DnsRecord(
            f"{self._name}-{label}",
            zone_id=self.zone_id,
            comment=f"{self._args.name_prefix}: {record.pop('comment')}",
            opts=pulumi.ResourceOptions(parent=self, aliases=list(aliases)),
            **record,
        )
        self.records[label] = created
        return created

    # -- rulesets --------------------------------------------------------------------------------------------------
    def _ruleset(self, label: str, phase: str, rules: list[cloudflare.RulesetRuleArgs]) -> cloudflare.Ruleset:
        """The zone's entry-point ruleset of ``phase``: imported when ``adoptRulesets`` names the one the zone has
        (the provider's import id is ``zones/<zone id>/<ruleset id>``), else created."""
        adopted = self._args.settings.adopt_rulesets.get(phase)
        return cloudflare.Ruleset(
            f"{self._name}-{label}",
            zone_id=self.zone_id,
            kind="zone",
            phase=phase,
            name=f"{self._args.name_prefix} {label}",
            description=f"{self._args.name_prefix}: {label} (managed by webstack)",
            rules=rules,
            opts=pulumi.ResourceOptions(parent=self, import_=f"zones/{self.zone_id}/{adopted}" if adopted else None),
        )

    def _cache_rules(self) -> list[cloudflare.RulesetRuleArgs]:
        settings = self._args.settings
        extensions = " ".join(f'"{extension}"' for extension in STATIC_EXTENSIONS)
        static = cloudflare.RulesetRuleArgs(
            ref="static_assets",
            description="static assets: a year at the edge and in browsers",
            expression=f"(http.request.uri.path.extension in {{{extensions}}})",
            action="set_cache_settings",
            action_parameters=cloudflare.RulesetRuleActionParametersArgs(
                cache=True,
                edge_ttl=cloudflare.RulesetRuleActionParametersEdgeTtlArgs(
                    mode="override_origin", default=settings.static_edge_ttl_seconds
                ),
                browser_ttl=cloudflare.RulesetRuleActionParametersBrowserTtlArgs(
                    mode="override_origin", default=settings.static_browser_ttl_seconds
                ),
            ),
        )
        api_expression = '(starts_with(http.request.uri.path, "/api/"))'
        if settings.cache_api:
            api = cloudflare.RulesetRuleArgs(
                ref="api",
                description=f"/api/*: {settings.api_cache_ttl_seconds} s at the edge (cacheApi), never in browsers",
                expression=api_expression,
                action="set_cache_settings",
                action_parameters=cloudflare.RulesetRuleActionParametersArgs(
                    cache=True,
                    edge_ttl=cloudflare.RulesetRuleActionParametersEdgeTtlArgs(
                        mode="override_origin", default=settings.api_cache_ttl_seconds
                    ),
                    browser_ttl=cloudflare.RulesetRuleActionParametersBrowserTtlArgs(mode="bypass"),
                ),
            )
        else:
            api = cloudflare.RulesetRuleArgs(
                ref="api",
                description="/api/*: never cached",
                expression=api_expression,
                action="set_cache_settings",
                action_parameters=cloudflare.RulesetRuleActionParametersArgs(cache=False),
            )
        return [static, api]

    def _rate_limit_rules(self) -> list[cloudflare.RulesetRuleArgs]:
        settings = self._args.settings
        rules = []
        for name in settings.rate_limited:
            limit: RateLimit = getattr(self._args.rate_limits, name)
            period, requests = cloudflare_rate(limit, settings.rate_limit_period_seconds)
            rules.append(
                cloudflare.RulesetRuleArgs(
                    ref=f"rate_limit_{name}",
                    description=f"{name}: {requests} requests per {period} s per client IP",
                    expression=rate_limit_expression(limit),
                    action="block",
                    ratelimit=cloudflare.RulesetRuleRatelimitArgs(
                        characteristics=RATE_LIMIT_CHARACTERISTICS,
                        period=period,
                        requests_per_period=requests,
                        mitigation_timeout=min(period, settings.limits.longest_timeout),
                    ),
                )
            )
        return rules

    def _managed_waf_rules(self) -> list[cloudflare.RulesetRuleArgs]:
        settings = self._args.settings
        if not settings.limits.managed_rulesets:
            rulesets = [("free_managed", FREE_MANAGED_RULESET, "Cloudflare Free Managed Ruleset")]
        else:
            rulesets = [("cloudflare_managed", CLOUDFLARE_MANAGED_RULESET, "Cloudflare Managed Ruleset")]
            if settings.owasp:
                rulesets.append(("owasp_core", OWASP_CORE_RULESET, "Cloudflare OWASP Core Ruleset"))
        return [
            cloudflare.RulesetRuleArgs(
                ref=ref,
                description=description,
                expression="true",
                action="execute",
                action_parameters=cloudflare.RulesetRuleActionParametersArgs(id=ruleset_id),
            )
            for ref, ruleset_id, description in rulesets
        ]

    def _header_rule(self) -> cloudflare.RulesetRuleArgs:
        settings = self._args.settings
        headers = {
            "X-Frame-Options": X_FRAME_OPTIONS,
            "X-Content-Type-Options": X_CONTENT_TYPE_OPTIONS,
            "Referrer-Policy": "strict-origin-when-cross-origin",
            "Permissions-Policy": settings.permissions_policy,
            "Content-Security-Policy": settings.content_security_policy,
        }
        return cloudflare.RulesetRuleArgs(
            ref="security_headers",
            description="security headers on every response",
            expression="true",
            action="rewrite",
            action_parameters=cloudflare.RulesetRuleActionParametersArgs(
                headers={
                    header: cloudflare.RulesetRuleActionParametersHeadersArgs(operation="set", value=value)
                    for header, value in headers.items()
                }
            ),
        )


def cloudflare_rate(limit: RateLimit, period: int | None) -> tuple[int, int]:
    """(period, requests per period) for Cloudflare: the limit's own window, or ``period`` with the limit scaled to
    keep its rate (rounded up, never below one request)."""
    if period is None or period == limit.window_seconds:
        return limit.window_seconds, limit.limit
    return period, max(1, math.ceil(limit.limit * period / limit.window_seconds))


def rate_limit_expression(limit: RateLimit) -> str:
    """Which requests a limit counts, in Cloudflare's rules language (path fields only: the Free plan's), ignoring
    case as the AWS WAF's rule does."""
    if not limit.path:
        return "true"
    quoted = limit.path.lower().replace("\\", "\\\\").replace('"', '\\"')
    if limit.match == "contains":
        return f'(lower(http.request.uri.path) contains "{quoted}")'
    return f'(starts_with(lower(http.request.uri.path), "{quoted}"))'


def cloudflare_ranges(provider: cloudflare.Provider) -> list[str]:
    """Cloudflare's published edge ranges, IPv4 and IPv6, from Cloudflare's API (https://www.cloudflare.com/ips/):
    all that may reach an origin through the CDN, and the only peers whose CF-Connecting-IP an origin believes."""
    ranges = cloudflare.get_ip_ranges(opts=pulumi.InvokeOptions(provider=provider))
    return [*ranges.ipv4_cidrs, *ranges.ipv6_cidrs]


def _record_type(origin: str) -> str:
    try:
        address = ipaddress.ip_address(origin)
    except ValueError:
        return "CNAME"
    return "A" if address.version == 4 else "AAAA"
