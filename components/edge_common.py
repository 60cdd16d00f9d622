"""What every edge of the site agrees on, whichever serves it (Cloudflare, the ALB, nginx): the security headers
they send, the header that carries the client's address from Cloudflare, and the DNS records a certificate authority
checks. A module of plain values, with no provider SDK: the docker platform's nginx and a stack without the CDN use
these without loading the Cloudflare SDK (``components.cdn`` re-exports them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import pulumi


class HstsOptions(Protocol):
    """What HSTS opts into beyond a year with nosniff: ``webstack:cdn``'s settings, or a Cdn's Args."""

    @property
    def hsts_include_subdomains(self) -> bool: ...
    @property
    def hsts_preload(self) -> bool: ...


#: Response headers every edge (Cloudflare, or the load balancer without it) sets.
X_FRAME_OPTIONS = "SAMEORIGIN"
X_CONTENT_TYPE_OPTIONS = "nosniff"

#: HSTS for a year, as webstack sends it by default. Keys inside ``value`` are snake_case: the value is passed to
#: Cloudflare untranslated.
HSTS_MAX_AGE = 31_536_000
HSTS = {
    "strict_transport_security": {
        "enabled": True,
        "max_age": HSTS_MAX_AGE,
        "include_subdomains": False,
        "preload": False,
        "nosniff": True,
    }
}
#: The request header in which Cloudflare's edge hands the origin the client's address (Cloudflare docs, "HTTP
#: request headers": CF-Connecting-IP "provides the client IP address connecting to Cloudflare to the origin").
CLIENT_ADDRESS_HEADER = "CF-Connecting-IP"
#: The header whose last entry is the client's address as the platform's own last hop saw it: nginx sets it to the
#: client's address alone (components/docker/nginx.py), the ALB appends the address it was connected from
#: (``xff_header_processing_mode="append"``; ELB user guide, "X-Forwarded headers").
FORWARDED_FOR_HEADER = "X-Forwarded-For"
#: The backend's variable naming the header its client's address is in (docs/moving-in.md): CF-Connecting-IP on aws
#: behind Cloudflare (only Cloudflare reaches the load balancer), else X-Forwarded-For (its last entry).
CLIENT_ADDRESS_ENV = "WEBSTACK_CLIENT_ADDRESS_HEADER"


def hsts_value(settings: HstsOptions) -> dict[str, Any]:
    """The ``security_header`` zone setting: HSTS for a year with nosniff, and includeSubDomains and preload only as
    ``hstsIncludeSubdomains`` and ``hstsPreload`` opt in (both bind every host of the domain, for months)."""
    return {
        "strict_transport_security": {
            **HSTS["strict_transport_security"],
            "include_subdomains": settings.hsts_include_subdomains,
            "preload": settings.hsts_preload,
        }
    }


def hsts_header(security_header: Mapping[str, Any]) -> str:
    """The Strict-Transport-Security header that a Cloudflare ``security_header`` zone setting sends."""
    sts = security_header["strict_transport_security"]
    directives = [f"max-age={int(sts['max_age'])}"]
    if sts.get("include_subdomains"):
        directives.append("includeSubDomains")
    if sts.get("preload"):
        directives.append("preload")
    return "; ".join(directives)


@dataclass(frozen=True)
class ValidationRecord:
    """A DNS record a certificate authority checks (name, type and content as the authority gives them)."""

    label: str
    name: pulumi.Input[str]
    type: pulumi.Input[str]
    content: pulumi.Input[str]
    aliases: Sequence[pulumi.Alias] = ()
    """Earlier identities of the record, so that moving it is no delete-and-create (a duplicate name)."""
