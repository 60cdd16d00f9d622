"""``webstack:cdn``: Cloudflare in front of the site: zone, plan (and what each plan allows: rate-limit periods and
rules, managed rulesets, edge TTLs), caching, security headers, authenticated origin pulls, the origin (tunnel or
direct) and the entry-point rulesets a shared zone already has."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from .base import _LABEL_RE, _got, _Model, _problem, _suggest

#: Cloudflare plans, and what each lets rate-limiting rules use (Cloudflare's "availability by plan" table).
CLOUDFLARE_PLANS = ("free", "pro", "business", "enterprise")
#: Counting periods and mitigation timeouts Cloudflare accepts, in seconds.
CLOUDFLARE_PERIODS = (10, 15, 20, 30, 40, 45, 60, 90, 120, 180, 240, 300, 480, 600, 900, 1200, 1800, 2400, 3600,
                      65535, 86400)  # fmt: skip


@dataclass(frozen=True)
class CloudflarePlan:
    """What one Cloudflare plan allows the rules webstack writes."""

    longest_period: int
    """Longest rate-limit counting period, seconds."""
    longest_timeout: int
    """Longest mitigation timeout, seconds."""
    rate_limit_rules: int
    """Rate-limiting rules per zone."""
    managed_rulesets: bool
    """The Cloudflare Managed and OWASP Core rulesets (else only the Free Managed Ruleset)."""
    shortest_edge_ttl: int
    """Shortest edge cache TTL a cache rule may set, seconds."""

    def periods(self) -> tuple[int, ...]:
        return tuple(p for p in CLOUDFLARE_PERIODS if p <= self.longest_period)


PLAN_LIMITS = {
    "free": CloudflarePlan(10, 10, 1, False, 7200),
    "pro": CloudflarePlan(60, 3600, 2, True, 3600),
    "business": CloudflarePlan(600, 86400, 5, True, 1),
    "enterprise": CloudflarePlan(65535, 86400, 100, True, 1),
}
RATE_LIMIT_NAMES = ("api", "login", "general")
#: Sent with every response (the guides' nginx headers, plus a CSP and a Permissions-Policy).
DEFAULT_CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'self'; "
    "form-action 'self'; upgrade-insecure-requests"
)
DEFAULT_PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
ONE_YEAR = 31_536_000


class CdnSettings(_Model):
    """``webstack:cdn``: Cloudflare in front of the site."""

    enabled: bool = Field(
        default=False,
        description="Serve the site through Cloudflare. The zone's DNS then also validates the certificate, and the "
        "load balancer admits Cloudflare's addresses only.",
    )
    zone_id: str = Field(default="", description="Id of the site's Cloudflare zone (32 hex digits). Required when on.")
    plan: Literal["free", "pro", "business", "enterprise"] | None = Field(
        default=None,
        description="The zone's Cloudflare plan: free, pro, business or enterprise. Required when on: it decides "
        "which rate-limit periods, how many rate-limiting rules and which managed WAF rulesets exist.",
    )
    rate_limited: list[Literal["api", "login", "general"]] = Field(
        default=["api", "login", "general"],
        description="Which of webstack:web.rateLimits Cloudflare enforces too (one rule each; Free allows 1, Pro 2).",
    )
    rate_limit_period_seconds: int | None = Field(
        default=None,
        description="Cloudflare's counting period, when the plan does not offer a limit's windowSeconds (Free: 10). "
        "Each limit is scaled to it, keeping its rate. Unset: each limit's own window.",
    )
    static_edge_ttl_seconds: Annotated[int, Field(ge=1, le=ONE_YEAR)] = Field(
        default=ONE_YEAR, description="How long Cloudflare caches static assets (css, js, images, fonts)."
    )
    static_browser_ttl_seconds: Annotated[int, Field(ge=0, le=ONE_YEAR)] = Field(
        default=ONE_YEAR, description="How long browsers cache static assets (the guides: expires 1y)."
    )
    cache_api: bool = Field(
        default=False,
        description="Cache /api/* responses at the edge for apiCacheTtlSeconds. Only for public, per-user-identical "
        "answers: a cached personal response is served to everyone. Off: /api/* always reaches the origin.",
    )
    api_cache_ttl_seconds: Annotated[int, Field(ge=1, le=86400)] = Field(
        default=300, description="Edge TTL of /api/* responses when cacheApi is on (the guides: 300)."
    )
    owasp: bool = Field(
        default=True,
        description="Run the OWASP Core Ruleset next to the Cloudflare Managed Ruleset (Pro and up; the free plan "
        "runs the Free Managed Ruleset only, whatever this says).",
    )
    content_security_policy: str = Field(
        default=DEFAULT_CSP,
        description="The Content-Security-Policy header added to every response, by Cloudflare and by the load "
        "balancer (which alone adds it when the CDN is off).",
    )
    permissions_policy: str = Field(
        default=DEFAULT_PERMISSIONS_POLICY, description="The Permissions-Policy header added to every response."
    )
    authenticated_origin_pulls: bool = Field(
        default=False,
        description="Cloudflare presents its client certificate to the origin, and the load balancer refuses any "
        "connection without it (mutual TLS). Needs originPullCaBundle.",
    )
    origin_pull_ca_bundle: str = Field(
        default="",
        description="Path, in the project, of Cloudflare's origin-pull CA certificate (PEM, from Cloudflare's "
        "authenticated origin pulls documentation): the load balancer's trust store.",
    )
    purge_on_deploy: bool = Field(
        default=False,
        description="Purge the zone's cache after a deployment changes the services (needs curl where pulumi runs).",
    )
    # -- Cloudflare in front of every platform: the origin, and a zone shared with other hosts ---------------------
    origin: Literal["tunnel", "direct"] | None = Field(
        default=None,
        description="How Cloudflare reaches the docker platform's nginx: `tunnel` (the default there: a cloudflared "
        "container dials out to a Cloudflare Tunnel and the server publishes no port) or `direct` (nginx publishes "
        "443 to Cloudflare's ranges only and requires authenticated origin pulls). The aws platform's origin is its "
        "load balancer: `direct` or unset.",
    )
    account_id: str = Field(
        default="",
        description="Id of the Cloudflare account that owns the zone (32 hex digits). Required with origin `tunnel`: "
        "the tunnel is an account resource.",
    )
    zone_name: str = Field(
        default="",
        description="The zone's name, e.g. `example.org`. Empty: the domain's last two labels; set it when the zone "
        "has more (`example.co.uk`). It decides which names Cloudflare's Universal SSL certificate covers.",
    )
    www: Literal["auto", "advancedCertificate", "none"] = Field(
        default="auto",
        description="The www record. `auto`: only where Cloudflare's Universal SSL certificate covers it (the site at "
        "the zone's apex: www is one level below; for a site one level below, www.<site> is two and is left out). "
        "`advancedCertificate`: www.<site> too, with an advanced certificate (a paid Advanced Certificate Manager "
        "order) for the site and www. `none`: no www record.",
    )
    hsts_include_subdomains: bool = Field(
        default=False,
        description="Add includeSubDomains to HSTS. Off by default: it binds every host of the zone (HSTS is a "
        "zone-wide Cloudflare setting) to HTTPS for a year, including hosts of other teams and internal names.",
    )
    hsts_preload: bool = Field(
        default=False,
        description="Add preload to HSTS (needs hstsIncludeSubdomains). Off by default: browsers then ship the whole "
        "domain as HTTPS-only, and leaving the preload list takes months.",
    )
    adopt_rulesets: dict[str, str] = Field(
        default={},
        description="Entry-point rulesets the zone already has (a zone has one per phase; creating a second fails), "
        "by phase: `http_request_cache_settings`, `http_ratelimit`, `http_request_firewall_managed`, "
        "`http_response_headers_transform` -> the ruleset's id (32 hex digits). webstack imports each and then "
        "replaces its rules with its own. Unset phases are created.",
    )

    @model_validator(mode="after")
    def _zone(self) -> CdnSettings:
        # Header values first: the load balancer sends the Content-Security-Policy with the CDN off too.
        for name, value in (("contentSecurityPolicy", self.content_security_policy),
                            ("permissionsPolicy", self.permissions_policy)):  # fmt: skip
            if not value.strip() or any(c in value for c in "\r\n"):
                raise _problem(f"must be one non-empty line, got {_got(value)}", name)
        # The load balancer sends HSTS with the CDN off too; hstspreload.org refuses preload without includeSubDomains.
        if self.hsts_preload and not self.hsts_include_subdomains:
            raise _problem(
                "needs hstsIncludeSubdomains: browsers' preload lists accept only a header with includeSubDomains "
                "(hstspreload.org's submission requirements), got hstsPreload true alone",
                "hstsPreload",
            )
        self._shared_zone()
        if not self.enabled:
            return self
        if not re.fullmatch(r"[0-9a-f]{32}", self.zone_id):
            raise _problem(
                f"must be a Cloudflare zone id (32 hex digits) when the CDN is on, got {_got(self.zone_id)}", "zoneId"
            )
        if self.plan is None:
            raise _problem("is required when the CDN is on: free, pro, business or enterprise, got nothing", "plan")
        limits = PLAN_LIMITS[self.plan]
        if len(set(self.rate_limited)) != len(self.rate_limited):
            raise _problem(f"must not repeat a limit, got {_got(self.rate_limited)}", "rateLimited")
        if len(self.rate_limited) > limits.rate_limit_rules:
            raise _problem(
                f"must name at most {limits.rate_limit_rules} of api, login and general: the Cloudflare {self.plan} "
                f"plan allows {limits.rate_limit_rules} rate-limiting "
                f"rule{'s' if limits.rate_limit_rules > 1 else ''}, got {_got(self.rate_limited)}",
                "rateLimited",
            )
        period = self.rate_limit_period_seconds
        if period is not None and period not in limits.periods():
            raise _problem(
                f"must be one of {', '.join(map(str, limits.periods()))} on the Cloudflare {self.plan} plan, got "
                f"{period}",
                "rateLimitPeriodSeconds",
            )
        if self.cache_api and self.api_cache_ttl_seconds < limits.shortest_edge_ttl:
            raise _problem(
                f"must be at least {limits.shortest_edge_ttl} on the Cloudflare {self.plan} plan, the shortest edge "
                f"TTL it offers, got {self.api_cache_ttl_seconds}",
                "apiCacheTtlSeconds",
            )
        if self.static_edge_ttl_seconds < limits.shortest_edge_ttl:
            raise _problem(
                f"must be at least {limits.shortest_edge_ttl} on the Cloudflare {self.plan} plan, the shortest edge "
                f"TTL it offers, got {self.static_edge_ttl_seconds}",
                "staticEdgeTtlSeconds",
            )
        if self.authenticated_origin_pulls:
            bundle = self.origin_pull_ca_bundle
            if not bundle:
                raise _problem(
                    "is required with authenticatedOriginPulls: the path of Cloudflare's origin-pull CA certificate "
                    "(PEM), got nothing",
                    "originPullCaBundle",
                )
            if not Path(bundle).is_file() or "BEGIN CERTIFICATE" not in Path(bundle).read_text(errors="replace"):
                raise _problem(
                    f"must be a PEM certificate file of the project, got {_got(bundle)}", "originPullCaBundle"
                )
        return self

    @property
    def limits(self) -> CloudflarePlan:
        """What the zone's plan allows (the free plan's when none is set)."""
        return PLAN_LIMITS[self.plan or "free"]

    # -- Cloudflare in front of every platform ---------------------------------------------------------------------
    def _shared_zone(self) -> None:
        if self.account_id and not re.fullmatch(r"[0-9a-f]{32}", self.account_id):
            raise _problem(f"must be a Cloudflare account id (32 hex digits), got {_got(self.account_id)}", "accountId")
        labels = self.zone_name.split(".")
        if self.zone_name and (len(labels) < 2 or not all(map(_LABEL_RE.match, labels))):
            raise _problem(f"must be a lowercase domain name like example.org, got {_got(self.zone_name)}", "zoneName")
        for phase, ruleset_id in self.adopt_rulesets.items():
            if phase not in ENTRY_POINT_PHASES:
                raise _problem(
                    f"is not a phase webstack writes{_suggest(phase, ENTRY_POINT_PHASES)}", f"adoptRulesets.{phase}"
                )
            if not re.fullmatch(r"[0-9a-f]{32}", ruleset_id):
                raise _problem(
                    f"must be a ruleset id (32 hex digits), got {_got(ruleset_id)}", f"adoptRulesets.{phase}"
                )


#: The zone's entry-point rulesets webstack writes, one per phase (a zone has at most one per phase).
ENTRY_POINT_PHASES = (
    "http_request_cache_settings",
    "http_ratelimit",
    "http_request_firewall_managed",
    "http_response_headers_transform",
)
