"""The docker platform's networks (see :class:`components.docker.common.Networks`): ``edge`` is the only one whose
containers the host reaches from outside; ``app`` and ``data`` are internal (no route out of the host), so the web
services, databases and cache cannot reach or be reached from the internet; ``admin`` carries the monitoring tools,
whose ports are published on loopback only. Behind a Cloudflare Tunnel, ``tunnel`` (internal, on
``webstack:docker.tunnelSubnet``) joins the tunnel's connector and nginx only."""

from __future__ import annotations

import pulumi
import pulumi_docker as docker

from .common import ROLE_LABEL, STACK_LABEL, Networks

#: name -> internal. Only ``edge`` and ``admin`` can publish ports; ``app`` and ``data`` never leave the host.
NETWORKS = {"edge": False, "app": True, "data": True, "admin": False}
#: The role of the network that joins a Cloudflare Tunnel's connector and nginx (internal: the connector reaches
#: Cloudflare over ``edge``).
TUNNEL = "tunnel"


class DockerNetworks(pulumi.ComponentResource):
    """The four bridge networks of one stack."""

    networks: Networks

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None, tunnel_subnet: str | None = None) -> None:
        super().__init__("webstack:docker:Networks", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        prefix = f"{pulumi.get_project()}-{pulumi.get_stack()}"
        roles = {**NETWORKS, **({TUNNEL: True} if tunnel_subnet else {})}
        built = {
            role: docker.Network(
                f"{name}-{role}",
                name=f"{prefix}-{role}",
                driver="bridge",
                internal=internal,
                # A fixed subnet for the tunnel network: nginx's configuration names it (set_real_ip_from).
                ipam_configs=[docker.NetworkIpamConfigArgs(subnet=tunnel_subnet)] if role == TUNNEL else None,
                labels=[
                    docker.NetworkLabelArgs(label=ROLE_LABEL, value=role),
                    docker.NetworkLabelArgs(label=STACK_LABEL, value=pulumi.get_stack()),
                ],
                opts=child,
            )
            for role, internal in roles.items()
        }
        self.networks = Networks(
            edge=built["edge"], app=built["app"], data=built["data"], admin=built["admin"], tunnel=built.get(TUNNEL)
        )
        self.register_outputs({role: network.name for role, network in built.items()})
