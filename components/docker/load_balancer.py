"""The edge on the docker platform: one nginx container, the only one that publishes public ports.

Creates:

- the certificate: the one given (``LoadBalancerArgs.certificate_pem`` and ``private_key_pem``, the key kept as a
  secret; the stack reads them from ``webstack:docker.tls.certificateFile`` / ``keyFile``), or, without them, a
  self-signed certificate for the domain and www from an ECDSA P-256 key (90 days, renewed in its last 30 when the
  stack is updated), for laptops and tests;
- a small config volume (:data:`components.docker.nginx.CONFIG_DIR`) that receives, at the container's creation,
  nginx.conf (:func:`components.docker.nginx.nginx_config`), the certificate and the key (0400, uploaded as a
  secret); the root filesystem stays read-only, with a tmpfs at ``/tmp`` for the pid file and nginx's temp files;
- the nginx container (role ``lb``, uid 101 of the unprivileged image) on the edge and app networks, publishing
  8080 as ``http_port`` (80) and 8443 as ``https_port`` (443) on ``bind_address`` (every interface), and
  health-checked on ``http://127.0.0.1:8080/healthz``.

Behind Cloudflare (a :class:`~components.docker.nginx.Proxy`, which says whose ``CF-Connecting-IP`` nginx believes)
the ports follow how Cloudflare connects: through a tunnel (``tunnel_network``) nginx publishes none (the container
joins the internal tunnel network and the app network, not ``edge``: only Cloudflare's connector reaches it);
directly, it publishes only ``https_port`` (Cloudflare redirects HTTP at the edge) and, with the proxy's
``client_ca_pem`` (Cloudflare's origin-pull CA), requires Cloudflare's client certificate.

nginx resolves its upstreams per request through Docker's DNS (see :mod:`components.docker.nginx`), so it follows web
containers that are recreated with new addresses; it is created after the web containers
(:attr:`LoadBalancerArgs.depends_on`) so that the first requests find them.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

import pulumi
import pulumi_docker as docker
import pulumi_tls as tls

from .common import ContainerSpec, HealthCheck, Port, Upload, container, container_name
from .nginx import (
    CERTIFICATE_FILE,
    CLIENT_CA_FILE,
    CONFIG_DIR,
    CONFIG_FILE,
    DEFAULT_RATE_LIMITS,
    HEALTH_PATH,
    HTTP_PORT,
    HTTPS_PORT,
    KEY_FILE,
    Proxy,
    RateLimitArgs,
    Site,
    Upstream,
    nginx_config,
)
from .web_tier import config_volume

T = TypeVar("T")

LOAD_BALANCER_TYPE = "webstack:docker:LoadBalancer"
ROLE = "lb"

#: The unprivileged nginx image's user and group.
NGINX_USER = "101:101"
#: The health check, run by Docker without a shell: BusyBox's wget, present in the Alpine-based nginx images.
HEALTH_COMMAND = ("wget", "-q", "-O", "/dev/null", f"http://127.0.0.1:{HTTP_PORT}{HEALTH_PATH}")
#: nginx without the image's entrypoint scripts (they rewrite files under /etc/nginx, which is read-only here).
ENTRYPOINT = ("nginx",)
COMMAND = ("-c", CONFIG_FILE, "-g", "daemon off;")
MEMORY_MB = 256
CPUS = 1.0
TMPFS = {"/tmp": "size=64m,mode=1777"}
#: Where the published ports listen on the host, and which, unless the Args say otherwise.
BIND_ADDRESS = "0.0.0.0"
PUBLISHED_HTTP_PORT = 80
PUBLISHED_HTTPS_PORT = 443

#: The self-signed certificate: lifetime, and how long before its end an update replaces it.
SELF_SIGNED_VALIDITY_HOURS = 90 * 24
SELF_SIGNED_EARLY_RENEWAL_HOURS = 30 * 24
SELF_SIGNED_ORGANIZATION = "webstack (self-signed)"


@dataclass(frozen=True)
class LoadBalancerArgs:
    """Inputs of :class:`LoadBalancer`."""

    domain: str
    """The site's domain: nginx serves it and its www name, and the self-signed certificate names both."""
    image: pulumi.Input[str]
    """Image id of the pinned nginx image (the unprivileged build: uid 101, ports 8080/8443)."""
    edge_network: pulumi.Input[str]
    """The Docker name of the ``edge`` network, nginx's way in from the host (not joined behind a tunnel)."""
    app_network: pulumi.Input[str]
    """The Docker name of the internal ``app`` network, where nginx reaches the web services."""
    frontend: Upstream
    """The frontend on the app network: its shared name and members (``host:port``); every other path goes here."""
    backend: Upstream
    """The backend on the app network; ``/api`` goes here."""
    tunnel_network: pulumi.Input[str] | None = None
    """Behind a Cloudflare Tunnel: the Docker name of the internal network its connector shares with nginx, which
    then joins it instead of ``edge`` and publishes no port. Default (None): no tunnel."""
    proxy: Proxy | None = None
    """Cloudflare in front (whose ``CF-Connecting-IP`` nginx believes, whom it serves); connected directly (no
    ``tunnel_network``), only HTTPS is published (Cloudflare redirects HTTP at its edge). Default (None): clients
    connect directly."""
    certificate_pem: pulumi.Input[str] | None = None
    """The site's certificate chain (PEM), with ``private_key_pem``. Default (None): a self-signed certificate for
    the domain and www from a new ECDSA P-256 key (90 days, renewed in its last 30), for laptops and tests."""
    private_key_pem: pulumi.Input[str] | None = None
    """The certificate's private key (PEM; kept a secret), with ``certificate_pem``."""
    http_port: int | None = None
    """Host port of plain HTTP (it only redirects to HTTPS). Default (None): 80."""
    https_port: int | None = None
    """Host port of HTTPS. Default (None): 443."""
    bind_address: str | None = None
    """Host address the published ports listen on. Default (None): ``0.0.0.0``, every interface."""
    stickiness: bool | None = None
    """Send each client address to one member of each service. Default (None): off, requests spread over the
    members."""
    api_rate_limit: RateLimitArgs | None = None
    """Requests per client address to the API. Default (None): 600 per 60 s under ``/api/`` (10 r/s)."""
    login_rate_limit: RateLimitArgs | None = None
    """Login requests per client address. Default (None): 10 per 120 s on paths containing ``login``."""
    general_rate_limit: RateLimitArgs | None = None
    """All requests per client address. Default (None): 1800 per 60 s (30 r/s)."""
    hsts_include_subdomains: bool | None = None
    """Add ``includeSubDomains`` to Strict-Transport-Security (binds every host of the domain). Default (None): off;
    HSTS is always sent for a year."""
    hsts_preload: bool | None = None
    """Add ``preload`` to Strict-Transport-Security. Default (None): off."""
    content_security_policy: str | None = None
    """The Content-Security-Policy of every response. Default (None): same-origin only, no plugins, no framing by
    other sites, upgrade-insecure-requests (:data:`components.settings.DEFAULT_CSP`)."""
    permissions_policy: str | None = None
    """The Permissions-Policy of every response. Default (None): camera, microphone, geolocation, payment and USB
    off (:data:`components.settings.DEFAULT_PERMISSIONS_POLICY`)."""
    depends_on: Sequence[docker.Container] | None = None
    """What exists before nginx starts: the web containers, whose names nginx resolves. Default (None): nothing."""


@dataclass(frozen=True)
class Certificate:
    """The certificate chain and its private key (a secret), as PEM."""

    certificate_pem: pulumi.Output[str]
    private_key_pem: pulumi.Output[str]


def site(args: LoadBalancerArgs) -> Site:
    """What nginx.conf says about the site: the Args with their defaults."""
    limits = {"api": args.api_rate_limit, "login": args.login_rate_limit, "general": args.general_rate_limit}
    defaults = Site(domain=args.domain)
    return Site(
        domain=args.domain,
        https_port=_or(args.https_port, PUBLISHED_HTTPS_PORT),
        rate_limits={name: _or(limit, DEFAULT_RATE_LIMITS[name]) for name, limit in limits.items()},
        stickiness=bool(args.stickiness),
        hsts_include_subdomains=bool(args.hsts_include_subdomains),
        hsts_preload=bool(args.hsts_preload),
        content_security_policy=_or(args.content_security_policy, defaults.content_security_policy),
        permissions_policy=_or(args.permissions_policy, defaults.permissions_policy),
    )


def _or(value: T | None, default: T) -> T:
    return default if value is None else value


def site_url(args: LoadBalancerArgs) -> str:
    """``https://<domain>``, with the published port unless it is 443 or Cloudflare serves the site."""
    port = _or(args.https_port, PUBLISHED_HTTPS_PORT)
    return f"https://{args.domain}" + ("" if port == 443 or args.proxy is not None else f":{port}")


def published_ports(args: LoadBalancerArgs) -> list[Port]:
    """What the host publishes: HTTP and HTTPS without Cloudflare, HTTPS alone when Cloudflare connects directly
    (it redirects HTTP at the edge), nothing behind a tunnel."""
    bind = _or(args.bind_address, BIND_ADDRESS)
    https = Port(internal=HTTPS_PORT, external=_or(args.https_port, PUBLISHED_HTTPS_PORT), ip=bind)
    if args.tunnel_network is not None:
        return []
    if args.proxy is not None:
        return [https]
    return [Port(internal=HTTP_PORT, external=_or(args.http_port, PUBLISHED_HTTP_PORT), ip=bind), https]


def self_signed_certificate(name: str, domain: str, opts: pulumi.ResourceOptions) -> Certificate:
    """A self-signed certificate for ``domain`` and www from a new ECDSA P-256 key."""
    key = tls.PrivateKey(f"{name}-key", algorithm="ECDSA", ecdsa_curve="P256", opts=opts)
    private_key_pem = pulumi.Output.secret(key.private_key_pem)
    certificate = tls.SelfSignedCert(
        f"{name}-certificate",
        private_key_pem=private_key_pem,
        subject=tls.SelfSignedCertSubjectArgs(common_name=domain, organization=SELF_SIGNED_ORGANIZATION),
        dns_names=[domain, f"www.{domain}"],
        validity_period_hours=SELF_SIGNED_VALIDITY_HOURS,
        early_renewal_hours=SELF_SIGNED_EARLY_RENEWAL_HOURS,
        allowed_uses=["digital_signature", "server_auth"],
        is_ca_certificate=False,
        opts=opts,
    )
    return Certificate(certificate_pem=certificate.cert_pem, private_key_pem=private_key_pem)


class LoadBalancer(pulumi.ComponentResource):
    """nginx in front of the web tier: HTTPS, redirects, security headers, rate limits, routing."""

    url: str
    """``https://<domain>``, with the port unless 443."""
    certificate_pem: pulumi.Output[str]
    """The certificate nginx serves (PEM): the one given, or the self-signed one (a tunnel's connector trusts it)."""
    config: str
    """The nginx.conf the container runs."""
    container: docker.Container
    """The nginx container."""
    origin_url: str
    """How a container on nginx's networks reaches HTTPS: ``https://<container name>:8443`` (a tunnel's service)."""

    def __init__(self, name: str, args: LoadBalancerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(LOAD_BALANCER_TYPE, name, None, opts)
        if (args.certificate_pem is None) != (args.private_key_pem is None):
            raise ValueError("LoadBalancerArgs.certificate_pem and LoadBalancerArgs.private_key_pem go together")
        child = pulumi.ResourceOptions(parent=self)
        if args.certificate_pem is not None and args.private_key_pem is not None:
            certificate = Certificate(
                certificate_pem=pulumi.Output.from_input(args.certificate_pem),
                private_key_pem=pulumi.Output.secret(args.private_key_pem),
            )
        else:
            certificate = self_signed_certificate(name, args.domain, child)
        self.certificate_pem = certificate.certificate_pem
        self.url = site_url(args)
        proxy = args.proxy
        self.config = nginx_config(site(args), args.frontend, args.backend, proxy)
        uploads = [
            Upload(CONFIG_FILE, self.config, "0444"),
            Upload(CERTIFICATE_FILE, certificate.certificate_pem, "0444"),
            Upload(KEY_FILE, certificate.private_key_pem, "0400"),
        ]
        if proxy is not None and proxy.client_ca_pem is not None:
            uploads.append(Upload(CLIENT_CA_FILE, proxy.client_ca_pem, "0444"))
        # Behind a tunnel nginx joins no network with a route out: the connector alone reaches it.
        first = args.tunnel_network if args.tunnel_network is not None else args.edge_network
        config = config_volume(f"{name}-config", ROLE, child)
        self.origin_url = f"https://{container_name(f'{name}-nginx')}:{HTTPS_PORT}"
        self.container = container(
            f"{name}-nginx",
            ContainerSpec(
                image=args.image,
                user=NGINX_USER,
                role=ROLE,
                networks=[first, args.app_network],
                health=HealthCheck(test=HEALTH_COMMAND, interval_seconds=15, start_period_seconds=10),
                memory_mb=MEMORY_MB,
                cpus=CPUS,
                entrypoint=ENTRYPOINT,
                command=COMMAND,
                uploads=uploads,
                tmpfs=TMPFS,
                volumes={CONFIG_DIR: config},
                ports=published_ports(args),
            ),
            pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on or ())),
        )
        self.register_outputs({"url": self.url, "certificatePem": self.certificate_pem})
