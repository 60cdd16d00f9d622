"""From a stack's settings to the Cloudflare components' inputs: the composition both platforms share.

The components take flat Args and read no settings; this module maps ``webstack:cdn`` (and the web tier's rate
limits) onto them, once for the aws and the docker platform, and keeps what the stacks deployed before: the
validation records and the cache purge were children of the Cdn (``cdn``, then of type
``webstack:cloudflare:Cdn``) and get an alias under it.
"""

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import pulumi

from .edge_common import ValidationRecord
from .settings import CdnSettings, RateLimits, Settings

# The Cloudflare modules are imported where they are used: the Cloudflare SDK is the slowest of the SDKs to load,
# and a stack without the CDN uses none of it.
if TYPE_CHECKING:
    from pulumi_command import local

    from .cdn import CdnArgs

#: The Cdn's name in every stack.
CDN_NAME = "cdn"


def cdn_args(
    settings: Settings,
    name_prefix: str,
    *,
    origin: pulumi.Input[str] | None = None,
    tunnel_service: pulumi.Input[str] | None = None,
    tunnel_ca_pool: str = "",
) -> "CdnArgs":
    """The stack's Cdn's Args: the site routed to ``origin``, or through a tunnel to ``tunnel_service`` (verified
    against ``tunnel_ca_pool`` where the connector runs)."""
    return cdn_args_from(
        settings.cdn,
        settings.web.rate_limits,
        domain=settings.domain,
        name_prefix=name_prefix,
        zone_name=settings.zone_name,
        serve_www=settings.serves_www,
        origin=origin,
        tunnel_service=tunnel_service,
        tunnel_ca_pool=tunnel_ca_pool,
    )


def cdn_args_from(
    cdn: CdnSettings,
    limits: RateLimits,
    *,
    domain: str,
    name_prefix: str,
    zone_name: str = "",
    serve_www: bool = True,
    origin: pulumi.Input[str] | None = None,
    tunnel_service: pulumi.Input[str] | None = None,
    tunnel_ca_pool: str = "",
) -> "CdnArgs":
    """A Cdn's Args from ``webstack:cdn`` and the rate limits it names (of ``webstack:web.rateLimits``)."""
    from .cdn import CdnArgs, CdnRateLimitArgs, CdnTunnelArgs

    return CdnArgs(
        zone_id=cdn.zone_id,
        domain=domain,
        plan=cdn.plan or "free",
        origin=origin,
        tunnel=CdnTunnelArgs(account_id=cdn.account_id, service=tunnel_service, ca_pool=tunnel_ca_pool)
        if tunnel_service is not None
        else None,
        name_prefix=name_prefix,
        zone_name=zone_name,
        serve_www=serve_www,
        advanced_certificate=cdn.www == "advancedCertificate",
        rate_limits=[
            CdnRateLimitArgs(name, limit.limit, limit.window_seconds, limit.path, limit.match)
            for name in cdn.rate_limited
            for limit in (getattr(limits, name),)
        ],
        rate_limit_period_seconds=cdn.rate_limit_period_seconds,
        static_edge_ttl_seconds=cdn.static_edge_ttl_seconds,
        static_browser_ttl_seconds=cdn.static_browser_ttl_seconds,
        cache_api=cdn.cache_api,
        api_cache_ttl_seconds=cdn.api_cache_ttl_seconds,
        owasp=cdn.owasp,
        content_security_policy=cdn.content_security_policy,
        permissions_policy=cdn.permissions_policy,
        hsts_include_subdomains=cdn.hsts_include_subdomains,
        hsts_preload=cdn.hsts_preload,
        authenticated_origin_pulls=cdn.authenticated_origin_pulls,
        adopt_rulesets=dict(cdn.adopt_rulesets),
    )


def certificate_validation(
    cdn: CdnSettings, name_prefix: str, provider: pulumi.ProviderResource
) -> Callable[[Sequence[ValidationRecord]], list[pulumi.Output[str]]]:
    """What writes the load balancer's certificate validation records to the CDN's zone: a
    ``CertificateValidationRecords`` named ``cdn-validation``, whose records keep the URNs they had as the Cdn's
    children (``cdn-validation-<label>``) through an alias."""
    from .cdn_validation import validation_writer

    return validation_writer(
        f"{CDN_NAME}-validation",
        zone_id=cdn.zone_id,
        name_prefix=name_prefix,
        moved_from=_legacy_cdn_urn(),
        opts=pulumi.ResourceOptions(provider=provider),
    )


def cache_purge(
    cdn: CdnSettings,
    api_token: pulumi.Input[str] | None,
    triggers: Sequence[pulumi.Input[Any]],
    after: Sequence[pulumi.Resource] = (),
) -> "local.Command | None":
    """The zone's cache purged after each deployment (``webstack:cdn.purgeOnDeploy``), as ``cdn-purge``: the name
    it had as the Cdn's child, with an alias under it. None unless the setting asks for it."""
    if not cdn.purge_on_deploy:
        return None
    from .cdn_purge import purge_on_deploy

    return purge_on_deploy(
        f"{CDN_NAME}-purge",
        zone_id=cdn.zone_id,
        api_token=api_token,
        triggers=triggers,
        after=after,
        opts=pulumi.ResourceOptions(aliases=[pulumi.Alias(parent=_legacy_cdn_urn())]),
    )


def _legacy_cdn_urn() -> pulumi.Output[str]:
    """The URN the stack's Cdn had before it took ``webstack:cdn:Cdn`` (what its children's state names)."""
    from .cdn import LEGACY_CDN_TYPE

    return pulumi.create_urn(CDN_NAME, LEGACY_CDN_TYPE)
