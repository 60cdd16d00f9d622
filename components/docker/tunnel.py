"""Cloudflare Tunnel's connector on the docker platform: the way in when the server publishes no port at all.

``webstack:cdn.origin`` ``tunnel`` (the default behind Cloudflare): the ``Cdn`` component creates a remotely managed
tunnel whose ingress sends the site's names to nginx (see :meth:`components.cdn.Cdn.tunnel`), and this component runs
the pinned ``cloudflared`` container that dials out to Cloudflare and carries the site's requests back:

- on the ``edge`` network, the only one with a route out, and on the internal ``tunnel`` network, which it shares with
  nginx alone (nginx believes ``CF-Connecting-IP`` from that network only);
- its token (a secret) uploaded into a small config volume as a 0400 file owned by the connector's user and read with
  ``--token-file``: never an environment value or a command-line argument, which ``docker inspect`` and ``ps`` show;
- nginx's certificate uploaded next to it, so that the connector verifies the origin (``caPool``) for the site's name;
- no published port, every capability dropped, a read-only root filesystem, the metrics and readiness server on its
  loopback only, and a health check that asks it whether the tunnel is connected (``cloudflared tunnel ready``).
"""

from dataclasses import dataclass

import pulumi

from .common import ContainerSpec, HealthCheck, Upload, container
from .web_tier import config_volume

TUNNEL_TYPE = "webstack:docker:Tunnel"
ROLE = "tunnel"

#: The distroless image's nonroot user (cloudflare/cloudflared Dockerfile: USER 65532:65532).
CLOUDFLARED_USER = "65532:65532"
#: Where the connector receives its files.
CONFIG_DIR = "/etc/cloudflared"
TOKEN_FILE = f"{CONFIG_DIR}/token"
ORIGIN_CA_FILE = f"{CONFIG_DIR}/origin-ca.pem"
#: The connector's metrics and readiness server: loopback only, for the health check.
METRICS_ADDRESS = "127.0.0.1:20241"
#: The image's entrypoint is ``cloudflared --no-autoupdate``: the command is the rest.
COMMAND = ("tunnel", "--metrics", METRICS_ADDRESS, "run", "--token-file", TOKEN_FILE)
#: ``cloudflared tunnel ready`` exits 0 once the connector has a connection to Cloudflare (its /ready endpoint).
HEALTH_COMMAND = ("cloudflared", "tunnel", "--metrics", METRICS_ADDRESS, "ready")
MEMORY_MB = 256
CPUS = 0.5


@dataclass(frozen=True)
class TunnelArgs:
    """Inputs of :class:`Tunnel`."""

    edge_network: pulumi.Input[str]
    """The Docker name of the ``edge`` network: the connector's way out to Cloudflare."""
    tunnel_network: pulumi.Input[str]
    """The Docker name of the internal ``tunnel`` network, shared with nginx only (``Network`` with a
    ``tunnel_subnet``)."""
    image: pulumi.Input[str]
    """Image id of the pinned cloudflared image."""
    token: pulumi.Input[str]
    """The tunnel's token (a secret): :attr:`components.cdn.Tunnel.token`."""
    origin_ca_pem: pulumi.Input[str]
    """What signed nginx's certificate (the certificate itself when self-signed): the connector verifies nginx."""
    seed_image: pulumi.Input[str]
    """An image with ``true`` for the seed that delivers the files (the cloudflared image is distroless)."""


class Tunnel(pulumi.ComponentResource):
    """The cloudflared container: a Cloudflare Tunnel's connector, which dials out and publishes no port."""

    container_name: pulumi.Output[str]
    """The connector container's Docker name."""

    def __init__(self, name: str, args: TunnelArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TUNNEL_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        config = config_volume(f"{name}-config", ROLE, child)
        self.container = container(
            f"{name}-cloudflared",
            ContainerSpec(
                image=args.image,
                user=CLOUDFLARED_USER,
                role=ROLE,
                networks=[args.edge_network, args.tunnel_network],
                health=HealthCheck(test=HEALTH_COMMAND, interval_seconds=30, start_period_seconds=20),
                memory_mb=MEMORY_MB,
                cpus=CPUS,
                command=COMMAND,
                uploads=[
                    Upload(TOKEN_FILE, pulumi.Output.secret(args.token), "0400"),
                    Upload(ORIGIN_CA_FILE, args.origin_ca_pem, "0444"),
                ],
                volumes={CONFIG_DIR: config},
                seed_image=args.seed_image,
            ),
            child,
        )
        self.container_name = self.container.name
        self.register_outputs({})
