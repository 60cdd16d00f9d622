"""Reading the docker platform's resources: containers, networks, images and volumes as pulumi-docker 5.x hands them
to the analyzer, and the ``webstack.role`` label that names each one's part in the stack.

The engine properties are camelCase (``networksAdvanced``, ``securityOpts``, ``readOnly``, ``capabilities.drops``,
``ports[].ip``, ``healthcheck.tests``, ``envs`` as ``NAME=value`` text, ``labels`` as ``{label, value}`` objects). A
resource's role is its ``webstack.role`` label, set by ``components/docker/common.py``; role settings accept
shell-style patterns (``exporter-*``). An unknown ``webstack.role`` never grants an exemption.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from pulumi_policy import (
    PolicyResource,
    ResourceValidationArgs,
)

from ._props import (
    UNKNOWN,
    as_text,
    list_items,
    prop,
)

CONTAINER = "docker:index/container:Container"


NETWORK = "docker:index/network:Network"


REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage"


VOLUME = "docker:index/volume:Volume"


#: The label that names a container's, network's or volume's part in the stack (components/docker/common.py).
ROLE_LABEL = "webstack.role"


#: Roles whose containers hold or serve the stack's data (databases, cache, object storage, backups, exporters).
DEFAULT_DATA_ROLES = ["db-primary", "db-replica", "cache", "object-storage", "backup", "exporter-*"]


# -- reading containers ------------------------------------------------------------------------------------------------
def container_props(args: ResourceValidationArgs) -> Mapping[str, Any] | None:
    return args.props if args.resource_type == CONTAINER else None


def docker_role(props: Any) -> Any:
    """The ``webstack.role`` label: its text, "" when there is none, :data:`UNKNOWN` when it (or a label that could
    be it) is unknown during preview. ``labels`` is a list of ``{label, value}``; a plain map is read too."""
    labels = prop(props, "labels")
    if labels is UNKNOWN:
        return UNKNOWN
    if isinstance(labels, Mapping):
        value = prop(labels, ROLE_LABEL)
        return UNKNOWN if value is UNKNOWN else as_text(value)
    unknown_entry = False
    for item in list_items(labels):
        name = prop(item, "label")
        if item is UNKNOWN or name is UNKNOWN:
            unknown_entry = True
        elif as_text(name) == ROLE_LABEL:
            value = prop(item, "value")
            return UNKNOWN if value is UNKNOWN else as_text(value)
    return UNKNOWN if unknown_entry else ""


def role_matches(role: Any, patterns: Iterable[Any]) -> bool:
    """Whether a known role matches one of the patterns (``exporter-*``); never for an unknown or missing role."""
    if role is UNKNOWN or not role:
        return False
    return any(fnmatchcase(str(role), str(pattern)) for pattern in patterns)


def who(role: Any) -> str:
    """How messages name a container: by its role."""
    if role is UNKNOWN:
        return "The container (whose webstack.role label is unknown during preview)"
    return f"The container (role '{role}')" if role else "The container (no webstack.role label)"


def long_running(props: Mapping[str, Any]) -> Any:
    """True for a service, False for a one-shot job (``mustRun`` false), :data:`UNKNOWN` when unknown. The provider's
    default is a service."""
    must_run = prop(props, "mustRun")
    if must_run is UNKNOWN:
        return UNKNOWN
    return not (must_run is False or (isinstance(must_run, str) and must_run.strip().lower() == "false"))


MUST_RUN_EXPECTED = "True (a service) or False (a one-shot job)"


def is_loopback(address: str) -> bool:
    text = address.strip().strip("[]")
    if text.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(text).is_loopback
    except ValueError:
        return False


def upload_text(upload: Any) -> str | None:
    """An upload's known text (``content``, or ``contentBase64`` decoded); None when absent, unknown or binary."""
    content = prop(upload, "content")
    if isinstance(content, str) and content:
        return content
    encoded = prop(upload, "contentBase64")
    if isinstance(encoded, str) and encoded:
        try:
            return base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            return None
    return None


#: ``networkMode`` values that mean Docker's default bridge network (not internal: it routes out and publishes).
DEFAULT_BRIDGE = frozenset({"", "bridge", "default"})


@dataclass(frozen=True)
class Attachment:
    """A network a container is attached to: a network of the stack, or a description of another one."""

    network: PolicyResource | None
    outside: str = ""
    """Why the attachment is not to a known internal network, when ``network`` is None."""
    unknown: str = ""
    """The property that is unknown during preview, when neither is known."""


def network_name(network: PolicyResource) -> str:
    name = prop(network.props, "name")
    return "" if name is UNKNOWN else as_text(name)


def attachments(container: PolicyResource, by_name: Mapping[str, PolicyResource]) -> list[Attachment]:
    """Every network the container is attached to, joined through the property dependencies of networksAdvanced and
    networkMode (a network's name may be unknown during preview) and else by name."""
    found: dict[str, Attachment] = {}
    linked = [d for d in container.property_dependencies.get("networksAdvanced") or [] if d.resource_type == NETWORK]
    for network in linked:
        found[network.urn] = Attachment(network)
    entries = prop(container.props, "networksAdvanced")
    items = list_items(entries)
    if entries is UNKNOWN and not linked:
        found["networksAdvanced"] = Attachment(None, unknown="networks_advanced")
    for index, entry in enumerate(items):
        name = prop(entry, "name")
        if entry is UNKNOWN or name is UNKNOWN:
            if not linked:
                found[f"networksAdvanced[{index}]"] = Attachment(None, unknown=f"networks_advanced[{index}].name")
            continue
        text = as_text(name)
        network = by_name.get(text) or next((n for n in linked if network_name(n) == text), None)
        if network is not None:
            found[network.urn] = Attachment(network)
        elif text in DEFAULT_BRIDGE - {""}:
            found[text] = Attachment(None, outside="Docker's default bridge network")
        else:
            found[text] = Attachment(None, outside=f"the network '{text}', which this stack does not create")
    mode = prop(container.props, "networkMode")
    if mode is UNKNOWN:
        found["networkMode"] = Attachment(None, unknown="network_mode")
        return list(found.values())
    text = as_text(mode)
    if text.lower() in DEFAULT_BRIDGE:
        # The provider disconnects a container with networks_advanced from the default bridge.
        if not items and entries is not UNKNOWN and not linked:
            found["bridge"] = Attachment(None, outside="Docker's default bridge network")
    elif text.lower() == "host":
        found["host"] = Attachment(None, outside="the host's network stack")
    elif text.lower().startswith("container:"):
        found[text] = Attachment(None, outside="another container's network stack, which this rule cannot follow")
    elif text.lower() != "none":
        moded = [d for d in container.property_dependencies.get("networkMode") or [] if d.resource_type == NETWORK]
        network = by_name.get(text) or (moded[0] if moded else None)
        found[f"mode:{text}"] = (
            Attachment(network)
            if network is not None
            else Attachment(None, outside=f"the network '{text}', which this stack does not create")
        )
    return list(found.values())
