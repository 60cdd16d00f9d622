"""The docker platform's Network component: named for what it builds (``webstack:docker:Network``), with an alias
from its previous type (``webstack:docker:Networks``) under which its networks were deployed, so none is replaced."""

from typing import Any

import pulumi
from pulumi.runtime.resource import all_aliases

from components.docker.network import NETWORK_TYPE, PREVIOUS_NETWORK_TYPE, Network, NetworkArgs
from tests.conftest import construct, one, registered

PROJECT_STACK = "urn:pulumi:test::webstack"


def test_the_component_is_named_for_what_it_builds_and_aliased_from_its_old_type() -> None:
    construct(lambda: Network("renamed-net", NetworkArgs()))
    component = one("renamed-net")
    assert component.type == NETWORK_TYPE == "webstack:docker:Network"
    assert component.aliases == [f"type={PREVIOUS_NETWORK_TYPE}"]


def test_each_network_answers_to_the_urn_it_was_deployed_under() -> None:
    # The SDK's own derivation of a child's aliases from its parent's (pulumi/runtime/resource.py, all_aliases): the
    # URN each network had under the old component type is among them, so the engine matches it, not a new one.
    inherited: dict[str, list[str]] = {}

    def factory() -> Network:
        network = Network("aliased-net", NetworkArgs(tunnel_subnet="192.168.255.248/29"))
        for child in network.networks.edge, network.networks.app, network.networks.data, network.networks.tunnel:
            assert child is not None
            aliases: list[Any] = all_aliases(None, child._name, child._type, network)
            pulumi.Output.all(*aliases).apply(lambda urns, name=child._name: inherited.__setitem__(name, urns))
        return network

    construct(factory)
    old = f"{PROJECT_STACK}::{PREVIOUS_NETWORK_TYPE}$docker:index/network:Network"
    assert inherited == {
        f"aliased-net-{role}": [f"{old}::aliased-net-{role}"] for role in ("edge", "app", "data", "tunnel")
    }
    new = f"{PROJECT_STACK}::{NETWORK_TYPE}$docker:index/network:Network"
    assert sorted(r.urn for r in registered("aliased-net-")) == sorted(
        f"{new}::aliased-net-{role}" for role in ("admin", "app", "data", "edge", "tunnel")
    )


def test_defaults_are_secure() -> None:
    # Without a tunnel: four networks, app and data internal (no route off the host).
    construct(lambda: Network("plain-net", NetworkArgs()))
    internal = {r.name.removeprefix("plain-net-"): r.inputs["internal"] for r in registered("plain-net-")}
    assert internal == {"edge": False, "app": True, "data": True, "admin": False}
