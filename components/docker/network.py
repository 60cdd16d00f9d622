"""The docker platform's networks (see :class:`components.docker.common.Networks`): ``edge`` is the only one whose
containers the host reaches from outside; ``app`` and ``data`` are internal (no route out of the host), so the web
services, databases and cache cannot reach or be reached from the internet; ``admin`` carries the monitoring tools,
whose ports are published on loopback only. Behind a Cloudflare Tunnel, ``tunnel`` (internal, on
``webstack:docker.tunnelSubnet``) joins the tunnel's connector and nginx only.

The component was ``DockerNetworks`` (``webstack:docker:Networks``); it is named for what it builds, as DESIGN.md
names components (``Network``, ``webstack:docker:Network``), and carries an alias from the old type, so the engine
takes the deployed component, and with it its networks, for this one: a child's aliases follow from its parent's
(pulumi SDK ``pulumi/runtime/resource.py``: ``all_aliases`` adds, for each alias of the parent, the child's URN
under the aliased parent, built by ``inherited_child_alias``; with alias specs, which current engines support and
the SDK then sends instead of URNs (``prepare_aliases``), the engine derives the same child aliases from the parent's
spec). The networks keep their names (``network-<role>``) and their Docker names.
"""

from dataclasses import dataclass

import pulumi
import pulumi_docker as docker

from .common import ROLE_LABEL, STACK_LABEL, Networks

NETWORK_TYPE = "webstack:docker:Network"
#: The type the component had before it was named for what it builds; kept as an alias (see the module docstring).
PREVIOUS_NETWORK_TYPE = "webstack:docker:Networks"
#: name -> internal. Only ``edge`` and ``admin`` can publish ports; ``app`` and ``data`` never leave the host.
NETWORKS = {"edge": False, "app": True, "data": True, "admin": False}
#: The role of the network that joins a Cloudflare Tunnel's connector and nginx (internal: the connector reaches
#: Cloudflare over ``edge``).
TUNNEL = "tunnel"


@dataclass(frozen=True)
class NetworkArgs:
    """Inputs of :class:`Network`."""

    tunnel_subnet: str | None = None
    """The subnet (CIDR) of the internal ``tunnel`` network that joins a Cloudflare Tunnel's connector and nginx.
    Default: none, no tunnel network (nginx is reached on the ``edge`` network)."""


class Network(pulumi.ComponentResource):
    """The bridge networks of one stack: ``edge``, internal ``app`` and ``data``, ``admin``, and, behind a tunnel,
    internal ``tunnel``."""

    edge_network: pulumi.Output[str]
    """The Docker name of the ``edge`` network, the only way in from the host."""
    app_network: pulumi.Output[str]
    """The Docker name of the internal ``app`` network (load balancer <-> web services)."""
    data_network: pulumi.Output[str]
    """The Docker name of the internal ``data`` network (web services <-> data stores, backups, exporters)."""
    admin_network: pulumi.Output[str]
    """The Docker name of the ``admin`` network (the monitoring tools)."""
    tunnel_network: pulumi.Output[str] | None
    """The Docker name of the internal ``tunnel`` network; none without ``tunnel_subnet``."""

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        previous = pulumi.ResourceOptions(aliases=[pulumi.Alias(type_=PREVIOUS_NETWORK_TYPE)])
        super().__init__(NETWORK_TYPE, name, None, pulumi.ResourceOptions.merge(opts, previous))
        child = pulumi.ResourceOptions(parent=self)
        prefix = f"{pulumi.get_project()}-{pulumi.get_stack()}"
        tunnel_subnet = args.tunnel_subnet
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
        self.networks: Networks = Networks(
            edge=built["edge"], app=built["app"], data=built["data"], admin=built["admin"], tunnel=built.get(TUNNEL)
        )
        """The networks themselves, for the components that place containers on them."""
        self.edge_network = built["edge"].name
        self.app_network = built["app"].name
        self.data_network = built["data"].name
        self.admin_network = built["admin"].name
        self.tunnel_network = built[TUNNEL].name if TUNNEL in built else None
        self.register_outputs({role: network.name for role, network in built.items()})
