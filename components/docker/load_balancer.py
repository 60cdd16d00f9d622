"""The edge on the docker platform: one nginx container, the only one that publishes public ports.

Creates:

- the certificate: the PEM files ``webstack:docker.tls.certificateFile`` / ``keyFile`` name (read where ``pulumi up``
  runs; the key is kept as a secret), or, without them, a self-signed certificate for the domain and www from an
  ECDSA P-256 key (90 days, renewed in its last 30 when the stack is updated), for laptops and tests;
- a small config volume (:data:`components.docker.nginx.CONFIG_DIR`) that receives, at the container's creation,
  nginx.conf (:func:`components.docker.nginx.nginx_config`), the certificate and the key (0400, uploaded as a
  secret); the root filesystem stays read-only, with a tmpfs at ``/tmp`` for the pid file and nginx's temp files;
- the nginx container (role ``lb``, uid 101 of the unprivileged image) on the edge and app networks, publishing
  8080 as ``webstack:docker.httpPort`` and 8443 as ``webstack:docker.httpsPort`` on ``webstack:docker.bindAddress``,
  and health-checked on ``http://127.0.0.1:8080/healthz``.

Behind Cloudflare (``webstack:cdn.enabled``) the ports follow ``webstack:cdn.origin``: ``tunnel`` publishes none (the
container joins the internal tunnel network and the app network, not ``edge``: only Cloudflare's connector reaches
it); ``direct`` publishes only ``webstack:docker.httpsPort`` (443: Cloudflare redirects HTTP at the edge) and uploads
Cloudflare's origin-pull CA, whose client certificate nginx then requires. The :class:`~components.docker.nginx.Proxy`
says whose ``CF-Connecting-IP`` nginx believes.

nginx resolves its upstreams per request through Docker's DNS (see :mod:`components.docker.nginx`), so it follows web
containers that are recreated with new addresses; it is created after the web tier
(:attr:`LoadBalancerArgs.depends_on`) so that the first requests find them.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_docker as docker
import pulumi_tls as tls

from ..settings import Settings
from .common import ContainerSpec, HealthCheck, Networks, Port, Upload, container, container_name
from .nginx import (
    CERTIFICATE_FILE,
    CLIENT_CA_FILE,
    CONFIG_DIR,
    CONFIG_FILE,
    HEALTH_PATH,
    HTTP_PORT,
    HTTPS_PORT,
    KEY_FILE,
    Proxy,
    Upstream,
    nginx_config,
)
from .web_tier import config_volume

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

#: The self-signed certificate: lifetime, and how long before its end an update replaces it.
SELF_SIGNED_VALIDITY_HOURS = 90 * 24
SELF_SIGNED_EARLY_RENEWAL_HOURS = 30 * 24
SELF_SIGNED_ORGANIZATION = "webstack (self-signed)"


@dataclass(frozen=True)
class LoadBalancerArgs:
    """Inputs of :class:`LoadBalancer`."""

    settings: Settings
    """``domain``, ``docker`` (ports, bind address, certificate files), ``web`` (stickiness, rate limits) and
    ``cdn`` (the Content-Security-Policy and Permissions-Policy headers)."""
    networks: Networks
    image: pulumi.Input[str]
    """Image id of the pinned nginx image (the unprivileged build: uid 101, ports 8080/8443)."""
    frontend: Upstream
    """The frontend on the app network: its shared name and members (``host:port``)."""
    backend: Upstream
    depends_on: Sequence[pulumi.Resource] = ()
    """What exists before nginx starts: the web tier, whose names nginx resolves."""
    proxy: Proxy | None = None
    """Cloudflare in front (see :func:`cloudflare_proxy`); None: clients connect directly."""


@dataclass(frozen=True)
class Certificate:
    """The certificate chain and its private key (a secret), as PEM."""

    certificate_pem: pulumi.Output[str]
    private_key_pem: pulumi.Output[str]


def site_url(settings: Settings) -> str:
    """``https://<domain>``, with the published port unless it is 443 or Cloudflare serves the site."""
    port = settings.docker.https_port
    return f"https://{settings.domain}" + ("" if port == 443 or settings.cdn.enabled else f":{port}")


def cloudflare_proxy(settings: Settings, cloudflare_ranges: Sequence[str]) -> Proxy | None:
    """Whom nginx believes and serves behind Cloudflare: the tunnel network (nothing else reaches nginx then), or,
    connected directly, Cloudflare's published ranges, with its origin-pull certificate required."""
    origin = settings.cdn_origin
    if origin is None:
        return None
    if origin == "tunnel":
        return Proxy(trusted=[settings.docker.tunnel_subnet])
    return Proxy(trusted=cloudflare_ranges, admitted=cloudflare_ranges, client_ca_file=CLIENT_CA_FILE)


def published_ports(settings: Settings) -> list[Port]:
    """What the host publishes: HTTP and HTTPS without Cloudflare, HTTPS alone when Cloudflare connects directly
    (it redirects HTTP at the edge), nothing behind a tunnel."""
    docker_settings = settings.docker
    bind = docker_settings.bind_address
    https = Port(internal=HTTPS_PORT, external=docker_settings.https_port, ip=bind)
    origin = settings.cdn_origin
    if origin == "tunnel":
        return []
    if origin == "direct":
        return [https]
    return [Port(internal=HTTP_PORT, external=docker_settings.http_port, ip=bind), https]


def provided_certificate(certificate_file: str, key_file: str) -> Certificate:
    """The certificate and key from PEM files; the key never leaves a secret."""
    certificate = Path(certificate_file).read_text()
    if "-----BEGIN CERTIFICATE-----" not in certificate:
        raise ValueError(f"webstack:docker.tls.certificateFile {certificate_file} holds no PEM certificate")
    key = Path(key_file).read_text()
    if "PRIVATE KEY-----" not in key:
        # The message names the file only, never its content.
        raise ValueError(f"webstack:docker.tls.keyFile {key_file} holds no PEM private key")
    return Certificate(certificate_pem=pulumi.Output.from_input(certificate), private_key_pem=pulumi.Output.secret(key))


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
    config: str
    """The nginx.conf the container runs."""
    container: docker.Container
    origin_url: str
    """How a container on nginx's networks reaches HTTPS: ``https://<container name>:8443`` (a tunnel's service)."""

    def __init__(self, name: str, args: LoadBalancerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(LOAD_BALANCER_TYPE, name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)
        files = settings.docker.tls
        if files.certificate_file:
            certificate = provided_certificate(files.certificate_file, files.key_file)
        else:
            certificate = self_signed_certificate(name, settings.domain, child)
        self.certificate_pem = certificate.certificate_pem
        self.url = site_url(settings)
        proxy = args.proxy
        self.config = nginx_config(settings, args.frontend, args.backend, proxy)
        uploads = [
            Upload(CONFIG_FILE, self.config, "0444"),
            Upload(CERTIFICATE_FILE, certificate.certificate_pem, "0444"),
            Upload(KEY_FILE, certificate.private_key_pem, "0400"),
        ]
        if proxy is not None and proxy.client_ca_file:
            uploads.append(Upload(proxy.client_ca_file, Path(settings.cdn.origin_pull_ca_bundle).read_text(), "0444"))
        tunnel = args.networks.tunnel if settings.cdn_origin == "tunnel" else None
        # Behind a tunnel nginx joins no network with a route out: the connector alone reaches it.
        networks = [tunnel, args.networks.app] if tunnel is not None else [args.networks.edge, args.networks.app]

        config = config_volume(f"{name}-config", ROLE, child)
        self.origin_url = f"https://{container_name(f'{name}-nginx')}:{HTTPS_PORT}"
        self.container = container(
            f"{name}-nginx",
            ContainerSpec(
                image=args.image,
                user=NGINX_USER,
                role=ROLE,
                networks=networks,
                health=HealthCheck(test=HEALTH_COMMAND, interval_seconds=15, start_period_seconds=10),
                memory_mb=MEMORY_MB,
                cpus=CPUS,
                entrypoint=ENTRYPOINT,
                command=COMMAND,
                uploads=uploads,
                tmpfs=TMPFS,
                volumes={CONFIG_DIR: config},
                ports=published_ports(settings),
            ),
            pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on)),
        )
        self.register_outputs({"url": self.url, "certificatePem": self.certificate_pem})
