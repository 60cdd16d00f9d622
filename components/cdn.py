"""Cloudflare in front of an origin (platform-neutral: a hostname, an IP address or a Cloudflare Tunnel).

Creates, in the zone ``CdnArgs.zone_id``, everything inside its constructor:

- zone settings, one ``ZoneSetting`` each: SSL strict (Cloudflare verifies the origin's certificate) with automatic
  SSL/TLS mode off so that strict holds, TLS 1.2 at least, TLS 1.3, HTTPS only with automatic rewrites, HSTS for a
  year (nosniff; includeSubDomains and preload only when ``hsts_include_subdomains`` / ``hsts_preload`` opt in),
  HTTP/3, development mode off. These are zone-wide: they apply to every host of the zone (see docs/cloudflare.md);
- one entry-point ruleset per phase: cache rules (static assets a year at the edge and in browsers; ``/api/*``
  bypassed unless ``cache_api``), rate limits (per data centre and client IP, within what the zone's plan allows),
  the managed WAF (Cloudflare Managed and OWASP Core, or the Free Managed Ruleset), and security headers on every
  response. A zone has at most one entry-point ruleset per phase: those named in ``adopt_rulesets`` are imported
  (and their rules replaced), the others created;
- optionally authenticated origin pulls (Cloudflare's client certificate to the origin);
- with ``tunnel``, a remotely managed Cloudflare Tunnel (for an origin with no inbound port) and its ingress;
- the proxied records that send the site, and www where a certificate covers it, to the origin (an advanced
  certificate first when ``advanced_certificate`` asks for one).

What depends on things built later lives beside it: a certificate's validation records
(``components.cdn_validation``, built before the load balancer that is this component's origin) and the cache purge
after a deployment (``components.cdn_purge``).
"""

import ipaddress
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import pulumi
import pulumi_cloudflare as cloudflare

from .edge_common import (
    X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
    ValidationRecord,
    hsts_value,
)
from .settings import DEFAULT_CSP, DEFAULT_PERMISSIONS_POLICY, ONE_YEAR, PLAN_LIMITS, RateLimits

__all__ = [
    "CDN_TYPE",
    "Cdn",
    "CdnArgs",
    "CdnRateLimitArgs",
    "CdnTunnelArgs",
    "Tunnel",
    "ValidationRecord",
    "cloudflare_ranges",
    "cloudflare_rate",
    "hsts_value",
    "rate_limit_expression",
]

#: DESIGN.md's token (``webstack:<area>:<Name>``).
CDN_TYPE = "webstack:cdn:Cdn"
#: The token the Cdn was registered with before: an alias from it keeps the component and, through Pulumi's
#: inherited child aliases, every child (``pulumi/runtime/resource.py``, ``all_aliases`` and
#: ``inherited_child_alias``: each of the parent's aliases yields one for the child, under the aliased parent).
LEGACY_CDN_TYPE = "webstack:cloudflare:Cdn"
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
#: How a rate limit's ``path`` matches the request path.
PATH_MATCHES = ("prefix", "contains")
#: The zone's entry-point ruleset of each phase, by label.
PHASES = {
    "cache": "http_request_cache_settings",
    "rate-limits": "http_ratelimit",
    "waf": "http_request_firewall_managed",
    "headers": "http_response_headers_transform",
}


@dataclass(frozen=True)
class CdnRateLimitArgs:
    """One rate limit Cloudflare enforces, per data centre and client IP."""

    name: str
    """Names the rule (``rate_limit_<name>``), e.g. ``login``. Required."""
    limit: int
    """Requests one client IP may send in ``window_seconds``. Required."""
    window_seconds: int
    """The window, in seconds. Required."""
    path: str = ""
    """Which requests count: empty for all of them, else a URL path text (case ignored). Default: all."""
    match: str = "prefix"
    """How ``path`` matches the request path: ``prefix`` or ``contains``. Default: ``prefix``."""


def _guides_rate_limits() -> list[CdnRateLimitArgs]:
    """The guides' limits, as the origin enforces them by default (``webstack:web.rateLimits``)."""
    limits = RateLimits()
    return [
        CdnRateLimitArgs(name, limit.limit, limit.window_seconds, limit.path, limit.match)
        for name, limit in (("api", limits.api), ("login", limits.login), ("general", limits.general))
    ]


@dataclass(frozen=True)
class CdnTunnelArgs:
    """A Cloudflare Tunnel as the origin: a connector next to it dials out, so the origin publishes no port."""

    account_id: str
    """Id of the Cloudflare account that owns the zone (the tunnel is an account resource). Required."""
    service: pulumi.Input[str]
    """The origin as the connector reaches it, ``https://host:port``. Required."""
    ca_pool: str
    """Path, where the connector runs, of the CA file the origin's certificate is verified against (always verified,
    for the site's name). Required."""


@dataclass(frozen=True)
class CdnArgs:
    """Inputs of :class:`Cdn`. Give ``origin`` or ``tunnel``."""

    zone_id: str
    """Id of the site's Cloudflare zone (32 hex digits). Required. A plain string, not an output: the import id of an
    adopted ruleset (``zones/<zone id>/<ruleset id>``) is a resource option, and options take no outputs."""
    domain: str
    """The site's domain, in the zone. Required."""
    plan: str
    """The zone's Cloudflare plan, ``free``, ``pro``, ``business`` or ``enterprise``: it decides how many
    rate-limiting rules, which mitigation timeouts and which managed WAF rulesets exist. Required."""
    origin: pulumi.Input[str] | None = None
    """Where Cloudflare sends the site: a hostname (a CNAME record), or an IPv4 or IPv6 address (A or AAAA).
    Default: none (give ``tunnel`` then)."""
    tunnel: CdnTunnelArgs | None = None
    """A Cloudflare Tunnel to the origin instead of ``origin``. Default: none."""
    name_prefix: str = "webstack"
    """Names rulesets and the tunnel and starts records' comments, e.g. ``webstack-prod``. Default: ``webstack``."""
    zone_name: str = ""
    """The zone's name: an advanced certificate must name the zone's apex. Default: the domain."""
    serve_www: bool = True
    """Whether www.<domain> gets a record too (only where a certificate covers it). Default: true."""
    advanced_certificate: bool = False
    """Order an advanced certificate (a paid Advanced Certificate Manager order) for the site and www, for a www
    that Universal SSL does not cover. Default: false."""
    rate_limits: list[CdnRateLimitArgs] = field(default_factory=_guides_rate_limits)
    """The limits Cloudflare enforces, one rule each (Free allows 1, Pro 2). Default: the guides' api (600 per
    60 s), login (10 per 120 s) and general (1,800 per 60 s), as the origin's WAF enforces them."""
    rate_limit_period_seconds: int | None = None
    """Cloudflare's counting period, when the plan does not offer a limit's window (Free: 10): each limit is scaled
    to it, keeping its rate. Default: each limit's own window."""
    static_edge_ttl_seconds: int = ONE_YEAR
    """How long Cloudflare caches static assets (css, js, images, fonts). Default: a year."""
    static_browser_ttl_seconds: int = ONE_YEAR
    """How long browsers cache static assets. Default: a year (the guides' ``expires 1y``)."""
    cache_api: bool = False
    """Cache /api/* at the edge for ``api_cache_ttl_seconds``: only for public answers identical for every user.
    Default: false (/api/* always reaches the origin)."""
    api_cache_ttl_seconds: int = 300
    """Edge TTL of /api/* when ``cache_api`` is on. Default: 300."""
    owasp: bool = True
    """Run the OWASP Core Ruleset next to the Cloudflare Managed Ruleset (Pro and up; Free runs the Free Managed
    Ruleset only). Default: true."""
    content_security_policy: str = DEFAULT_CSP
    """The Content-Security-Policy header on every response. Default: same-origin everything, no objects, no
    framing by others, upgrade-insecure-requests."""
    permissions_policy: str = DEFAULT_PERMISSIONS_POLICY
    """The Permissions-Policy header on every response. Default: no camera, microphone, geolocation, payment, usb."""
    hsts_include_subdomains: bool = False
    """Add includeSubDomains to HSTS: binds every host of the zone to HTTPS for a year. Default: false."""
    hsts_preload: bool = False
    """Add preload to HSTS (needs ``hsts_include_subdomains``). Default: false."""
    authenticated_origin_pulls: bool = False
    """Cloudflare presents its client certificate to the origin (the origin must then require it). Default: false."""
    adopt_rulesets: dict[str, str] = field(default_factory=dict)
    """Entry-point rulesets the zone already has, by phase (``http_ratelimit`` ...) -> ruleset id: imported, and
    their rules replaced. Default: none (every phase's ruleset is created)."""


@dataclass(frozen=True)
class Tunnel:
    """A Cloudflare Tunnel the site's records point at, and what a connector needs to run it."""

    id: pulumi.Output[str]
    cname: pulumi.Output[str]
    """``<id>.cfargotunnel.com``: what the proxied records point at."""
    token: pulumi.Output[str]
    """The connector's token (a secret): whoever holds it can run the tunnel."""


class Cdn(pulumi.ComponentResource):
    """Cloudflare in front of an origin: the zone's TLS and HSTS settings, cache, rate-limit, WAF and header
    rulesets, optionally a tunnel, and the site's proxied records."""

    zone_id: pulumi.Output[str]
    """The zone's id."""
    ruleset_ids: pulumi.Output[dict[str, str]]
    """The zone's entry-point rulesets by label: cache, rate-limits, waf, headers."""
    hostnames: pulumi.Output[list[str]]
    """The names Cloudflare serves: the domain, and www.<domain> with ``serve_www``."""
    tunnel_token: pulumi.Output[str] | None
    """The tunnel connector's token (a secret), with ``tunnel``."""

    def __init__(self, name: str, args: CdnArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        _check(name, args)
        super().__init__(
            CDN_TYPE,
            name,
            None,
            pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=[pulumi.Alias(type_=LEGACY_CDN_TYPE)])),
        )
        self._name, self._args = name, args
        self.zone_id = pulumi.Output.from_input(args.zone_id)
        self.zone_settings: dict[str, cloudflare.ZoneSetting] = {}
        security_header = hsts_value(args)
        for setting, value in {**ZONE_SETTINGS, "security_header": security_header}.items():
            after = [self.zone_settings[SETTING_AFTER[setting]]] if setting in SETTING_AFTER else []
            self.zone_settings[setting] = cloudflare.ZoneSetting(
                f"{name}-{setting.replace('_', '-')}",
                zone_id=args.zone_id,
                setting_id=setting,
                value=value,
                opts=pulumi.ResourceOptions(parent=self, depends_on=after),
            )
        rules = {
            "cache": self._cache_rules(),
            "rate-limits": self._rate_limit_rules(),
            "waf": self._managed_waf_rules(),
            "headers": [self._header_rule()],
        }
        self.rulesets: dict[str, cloudflare.Ruleset] = {
            label: self._ruleset(label, PHASES[label], rules[label]) for label in PHASES
        }
        if args.authenticated_origin_pulls:
            cloudflare.AuthenticatedOriginPullsSettings(
                f"{name}-origin-pulls", zone_id=args.zone_id, enabled=True, opts=pulumi.ResourceOptions(parent=self)
            )
        hosts = [("apex", args.domain)] + ([("www", f"www.{args.domain}")] if args.serve_www else [])
        self.tunnel_config: cloudflare.ZeroTrustTunnelCloudflaredConfig | None = None
        names = [host for _, host in hosts]
        self.tunnel = self._tunnel(args.tunnel, names) if args.tunnel is not None else None
        # _check made sure there is one of the two.
        origin = self.tunnel.cname if self.tunnel is not None else pulumi.Output.from_input(cast(str, args.origin))
        self.certificate = self._advanced_certificate(names) if args.advanced_certificate else None
        record_type = origin.apply(_record_type)
        self.records: dict[str, cloudflare.DnsRecord] = {
            label: cloudflare.DnsRecord(
                f"{name}-{label}",
                zone_id=args.zone_id,
                name=host,
                type=record_type,
                content=origin,
                proxied=True,
                ttl=1,
                comment=f"{args.name_prefix}: the site, through Cloudflare",
                opts=pulumi.ResourceOptions(parent=self),
            )
            for label, host in hosts
        }
        self.ruleset_ids = pulumi.Output.all(**{label: ruleset.id for label, ruleset in self.rulesets.items()})
        self.hostnames = pulumi.Output.from_input(names)
        self.tunnel_token = self.tunnel.token if self.tunnel is not None else None
        self.register_outputs(
            {
                "zoneId": self.zone_id,
                "rulesetIds": self.ruleset_ids,
                "hostnames": self.hostnames,
                "tunnelToken": self.tunnel_token,
            }
        )

    def _advanced_certificate(self, hosts: Sequence[str]) -> cloudflare.CertificatePack:
        """An advanced certificate for ``hosts`` (Universal SSL covers the apex and one level below it only). The
        order must name the zone's apex (Cloudflare's certificate-pack API); it cannot change in place, so new hosts
        replace it (create before delete: the old one serves meanwhile)."""
        apex = self._args.zone_name or self._args.domain
        return cloudflare.CertificatePack(
            f"{self._name}-certificate",
            zone_id=self._args.zone_id,
            type="advanced",
            hosts=list(dict.fromkeys([apex, *hosts])),
            certificate_authority="lets_encrypt",
            validation_method="txt",
            validity_days=90,
            cloudflare_branding=False,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _tunnel(self, tunnel_args: CdnTunnelArgs, hosts: Sequence[str]) -> Tunnel:
        """A remotely managed Cloudflare Tunnel for the site: the connector reaches the origin at ``service``,
        verified against the CA file ``ca_pool`` for the site's name; every other hostname and path gets 404."""
        args = self._args
        child = pulumi.ResourceOptions(parent=self)
        tunnel = cloudflare.ZeroTrustTunnelCloudflared(
            f"{self._name}-tunnel",
            account_id=tunnel_args.account_id,
            name=args.name_prefix,
            config_src="cloudflare",
            opts=child,
        )
        origin_request = cloudflare.ZeroTrustTunnelCloudflaredConfigConfigIngressOriginRequestArgs(
            origin_server_name=args.domain, ca_pool=tunnel_args.ca_pool, no_tls_verify=False
        )
        self.tunnel_config = cloudflare.ZeroTrustTunnelCloudflaredConfig(
            f"{self._name}-tunnel-config",
            account_id=tunnel_args.account_id,
            tunnel_id=tunnel.id,
            config=cloudflare.ZeroTrustTunnelCloudflaredConfigConfigArgs(
                ingresses=[
                    *(
                        cloudflare.ZeroTrustTunnelCloudflaredConfigConfigIngressArgs(
                            hostname=host, service=tunnel_args.service, origin_request=origin_request
                        )
                        for host in hosts
                    ),
                    cloudflare.ZeroTrustTunnelCloudflaredConfigConfigIngressArgs(service=TUNNEL_CATCH_ALL),
                ]
            ),
            opts=child,
        )
        token = cloudflare.get_zero_trust_tunnel_cloudflared_token_output(
            account_id=tunnel_args.account_id, tunnel_id=tunnel.id, opts=pulumi.InvokeOutputOptions(parent=self)
        ).token
        return Tunnel(
            id=tunnel.id,
            cname=tunnel.id.apply(lambda tunnel_id: f"{tunnel_id}.{TUNNEL_DOMAIN}"),
            token=pulumi.Output.secret(token),
        )

    # -- rulesets --------------------------------------------------------------------------------------------------
    def _ruleset(self, label: str, phase: str, rules: list[cloudflare.RulesetRuleArgs]) -> cloudflare.Ruleset:
        """The zone's entry-point ruleset of ``phase``: imported when ``adopt_rulesets`` names the one the zone has
        (the provider's import id is ``zones/<zone id>/<ruleset id>``), else created."""
        args = self._args
        adopted = args.adopt_rulesets.get(phase)
        return cloudflare.Ruleset(
            f"{self._name}-{label}",
            zone_id=args.zone_id,
            kind="zone",
            phase=phase,
            name=f"{args.name_prefix} {label}",
            description=f"{args.name_prefix}: {label} (managed by webstack)",
            rules=rules,
            opts=pulumi.ResourceOptions(parent=self, import_=f"zones/{args.zone_id}/{adopted}" if adopted else None),
        )

    def _cache_rules(self) -> list[cloudflare.RulesetRuleArgs]:
        args = self._args
        extensions = " ".join(f'"{extension}"' for extension in STATIC_EXTENSIONS)
        static = cloudflare.RulesetRuleArgs(
            ref="static_assets",
            description="static assets: a year at the edge and in browsers",
            expression=f"(http.request.uri.path.extension in {{{extensions}}})",
            action="set_cache_settings",
            action_parameters=cloudflare.RulesetRuleActionParametersArgs(
                cache=True,
                edge_ttl=cloudflare.RulesetRuleActionParametersEdgeTtlArgs(
                    mode="override_origin", default=args.static_edge_ttl_seconds
                ),
                browser_ttl=cloudflare.RulesetRuleActionParametersBrowserTtlArgs(
                    mode="override_origin", default=args.static_browser_ttl_seconds
                ),
            ),
        )
        api_expression = '(starts_with(http.request.uri.path, "/api/"))'
        if args.cache_api:
            api = cloudflare.RulesetRuleArgs(
                ref="api",
                description=f"/api/*: {args.api_cache_ttl_seconds} s at the edge (cacheApi), never in browsers",
                expression=api_expression,
                action="set_cache_settings",
                action_parameters=cloudflare.RulesetRuleActionParametersArgs(
                    cache=True,
                    edge_ttl=cloudflare.RulesetRuleActionParametersEdgeTtlArgs(
                        mode="override_origin", default=args.api_cache_ttl_seconds
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
        args = self._args
        rules = []
        for limit in args.rate_limits:
            period, requests = cloudflare_rate(limit, args.rate_limit_period_seconds)
            rules.append(
                cloudflare.RulesetRuleArgs(
                    ref=f"rate_limit_{limit.name}",
                    description=f"{limit.name}: {requests} requests per {period} s per client IP",
                    expression=rate_limit_expression(limit),
                    action="block",
                    ratelimit=cloudflare.RulesetRuleRatelimitArgs(
                        characteristics=RATE_LIMIT_CHARACTERISTICS,
                        period=period,
                        requests_per_period=requests,
                        mitigation_timeout=min(period, PLAN_LIMITS[args.plan].longest_timeout),
                    ),
                )
            )
        return rules

    def _managed_waf_rules(self) -> list[cloudflare.RulesetRuleArgs]:
        args = self._args
        if not PLAN_LIMITS[args.plan].managed_rulesets:
            rulesets = [("free_managed", FREE_MANAGED_RULESET, "Cloudflare Free Managed Ruleset")]
        else:
            rulesets = [("cloudflare_managed", CLOUDFLARE_MANAGED_RULESET, "Cloudflare Managed Ruleset")]
            if args.owasp:
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
        args = self._args
        headers = {
            "X-Frame-Options": X_FRAME_OPTIONS,
            "X-Content-Type-Options": X_CONTENT_TYPE_OPTIONS,
            "Referrer-Policy": "strict-origin-when-cross-origin",
            "Permissions-Policy": args.permissions_policy,
            "Content-Security-Policy": args.content_security_policy,
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


def _check(name: str, args: CdnArgs) -> None:
    """The Args a Cdn cannot be built from, named as the Args spell them (a stack's settings are checked, with
    their config keys, in ``components.settings.cdn``)."""
    if (args.origin is None) == (args.tunnel is None):
        raise ValueError(f"cdn {name}: give origin or tunnel, not {'both' if args.origin is not None else 'neither'}")
    if args.tunnel is not None and not args.tunnel.account_id:
        raise ValueError(f"cdn {name}: tunnel.account_id is required: the tunnel is a resource of the zone's account")
    if args.plan not in PLAN_LIMITS:
        raise ValueError(f"cdn {name}: plan must be one of {', '.join(PLAN_LIMITS)}, got {args.plan!r}")
    allowed = PLAN_LIMITS[args.plan].rate_limit_rules
    if len(args.rate_limits) > allowed:
        raise ValueError(
            f"cdn {name}: rate_limits has {len(args.rate_limits)} limits, the Cloudflare {args.plan} plan allows "
            f"{allowed} rate-limiting rule{'s' if allowed > 1 else ''}"
        )
    for limit in args.rate_limits:
        if limit.match not in PATH_MATCHES:
            raise ValueError(
                f"cdn {name}: rate_limits[{limit.name}].match must be prefix or contains, got {limit.match!r}"
            )
    if args.hsts_preload and not args.hsts_include_subdomains:
        raise ValueError(f"cdn {name}: hsts_preload needs hsts_include_subdomains (browsers' preload lists require it)")


def cloudflare_rate(limit: CdnRateLimitArgs, period: int | None) -> tuple[int, int]:
    """(period, requests per period) for Cloudflare: the limit's own window, or ``period`` with the limit scaled to
    keep its rate (rounded up, never below one request)."""
    if period is None or period == limit.window_seconds:
        return limit.window_seconds, limit.limit
    return period, max(1, math.ceil(limit.limit * period / limit.window_seconds))


def rate_limit_expression(limit: CdnRateLimitArgs) -> str:
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
