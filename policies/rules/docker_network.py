"""Docker network rules: only the load balancer is reachable from outside the host, and the data tier sits on internal
networks.

A container's networks come from other resources of the stack (a network's name), so the stack rule follows property
dependencies to those networks and judges them; any other setting unknown during a preview is reported.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._common import schema, setting
from ._docker import (
    CONTAINER,
    DEFAULT_DATA_ROLES,
    NETWORK,
    Attachment,
    attachments,
    container_props,
    docker_role,
    is_loopback,
    network_name,
    role_matches,
    who,
)
from ._props import (
    UNKNOWN,
    as_number,
    as_text,
    count_text,
    is_true,
    list_items,
    prop,
    str_list,
    unknown_message,
)

# -- docker-only-load-balancer-publishes -------------------------------------------------------------------------------
_PUBLISH_SCHEMA = schema(
    {
        "publicRoles": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["lb"],
            "description": "webstack.role values (patterns allowed) whose containers may publish ports on an address "
            "other than the host's loopback.",
        },
        "publicContainerPorts": {
            "type": "array",
            "items": {"type": "integer"},
            "default": [8080, 8443],
            "description": "Container ports (besides 80 and 443) a public role may publish: where the unprivileged "
            "nginx image serves HTTP and HTTPS.",
        },
    }
)


#: Container ports a public role may always publish.
WEB_PORTS = (80, 443)


#: A port entry without ``ip`` listens on every interface.
ALL_INTERFACES = "0.0.0.0"


def _publishes(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = container_props(args)
    if props is None:
        return
    role = docker_role(props)
    public = role_matches(role, setting(args, _PUBLISH_SCHEMA, "publicRoles"))
    web_ports = {*WEB_PORTS, *(int(float(p)) for p in setting(args, _PUBLISH_SCHEMA, "publicContainerPorts"))}
    publish_all = prop(props, "publishAllPorts")
    if publish_all is UNKNOWN:
        report(unknown_message("publish_all_ports", "False"), None)
    elif is_true(publish_all):
        report(
            f"{who(role)} publishes every port its image exposes, on every host interface: set "
            "publish_all_ports=False and publish only the ports it needs in ports.",
            None,
        )
    ports = prop(props, "ports")
    if ports is UNKNOWN:
        report(unknown_message("ports", 'literal mappings (ip="127.0.0.1" except on the load balancer)'), None)
        return
    for index, port in enumerate(list_items(ports)):
        ip = prop(port, "ip")
        if port is UNKNOWN or ip is UNKNOWN:
            report(unknown_message(f"ports[{index}].ip", '"127.0.0.1" (or the load balancer\'s bind address)'), None)
            continue
        address = as_text(ip) or ALL_INTERFACES
        if is_loopback(address):
            continue
        internal = prop(port, "internal")
        number = as_number(internal)
        label = "an unknown container port" if number is None else f"container port {count_text(number)}"
        if not public:
            report(
                f"{who(role)} publishes {label} on {address}, outside the host's loopback, but only the load "
                f"balancer (roles: {', '.join(str_list(setting(args, _PUBLISH_SCHEMA, 'publicRoles')))}) may take "
                'traffic from outside the host: bind it to the loopback (ip="127.0.0.1") and reach it through an '
                "SSH tunnel, or remove the port.",
                None,
            )
        elif internal is UNKNOWN:
            report(unknown_message(f"ports[{index}].internal", "the load balancer's HTTP or HTTPS port"), None)
        elif number is None or int(number) not in web_ports:
            allowed = ", ".join(str(p) for p in sorted(web_ports))
            report(
                f"{who(role)} publishes {label} on {address}; the load balancer may publish only its HTTP and HTTPS "
                f'ports ({allowed}): remove the port, or bind it to the loopback (ip="127.0.0.1").',
                None,
            )


docker_only_load_balancer_publishes = ResourceValidationPolicy(
    name="docker-only-load-balancer-publishes",
    description="Checks that only the load balancer's Docker container publishes ports off the host's loopback, and "
    "only its HTTP and HTTPS ports; nothing publishes every port.",
    validate=_publishes,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_PUBLISH_SCHEMA,
    severity=Severity.HIGH,
    tags=["docker", "network", "checklist:firewall-only-80-443", "checklist:block-app-ports", "cis-docker:5.9"],
    remediation_steps='Publish ports only on the load balancer (role "lb"), mapping host ports 80/443 to nginx\'s '
    '8080/8443; give every other container\'s ports ip="127.0.0.1" (ContainerSpec.ports default) and reach admin '
    "tools through an SSH tunnel; never set publish_all_ports.",
)


# -- docker-data-networks-internal (stack) -----------------------------------------------------------------------------
_NETWORKS_SCHEMA = schema(
    {
        "internalRoles": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["app", "data"],
            "description": "webstack.role values (patterns allowed) of networks that must be internal (no route out "
            "of the host, no published ports).",
        },
        "dataRoles": {
            "type": "array",
            "items": {"type": "string"},
            "default": DEFAULT_DATA_ROLES,
            "description": "webstack.role values (patterns allowed) of containers that may be attached to internal "
            "networks only.",
        },
    }
)


def _networks_internal(args: StackValidationArgs, report: ReportViolation) -> None:
    internal_roles = setting(args, _NETWORKS_SCHEMA, "internalRoles")
    data_roles = setting(args, _NETWORKS_SCHEMA, "dataRoles")
    networks = [r for r in args.resources if r.resource_type == NETWORK]
    for network in networks:
        role = docker_role(network.props)
        if role is UNKNOWN:
            report(unknown_message("The network's labels (webstack.role)", "a literal label"), network.urn)
        elif role_matches(role, internal_roles):
            internal = prop(network.props, "internal")
            if internal is UNKNOWN:
                report(unknown_message("internal", "True"), network.urn)
            elif not is_true(internal):
                report(
                    f"The '{role}' network is not internal, so its containers can reach the internet and be reached "
                    "through ports published on it: set internal=True (its containers then talk only to each other; "
                    "only the load balancer's edge network and the admin network publish ports).",
                    network.urn,
                )
    by_name = {name: n for n in networks if (name := network_name(n))}
    for container in (r for r in args.resources if r.resource_type == CONTAINER):
        role = docker_role(container.props)
        if role is not UNKNOWN and not role_matches(role, data_roles):
            continue
        for attachment in attachments(container, by_name):
            _judge_attachment(container, role, attachment, report)


def _judge_attachment(container: PolicyResource, role: Any, attachment: Attachment, report: ReportViolation) -> None:
    fix = (
        "attach data containers only to the internal data network (networks_advanced), and reach them from the web "
        "services and exporters over it"
    )
    if attachment.unknown:
        report(unknown_message(attachment.unknown, "a network of this stack"), container.urn)
        return
    if attachment.network is None:
        if role is UNKNOWN:
            report(
                unknown_message("The container's labels (webstack.role)", "a literal label")
                + f" It is attached to {attachment.outside}, where a data container must not be.",
                container.urn,
            )
        else:
            report(f"{who(role)} is attached to {attachment.outside}: {fix}.", container.urn)
        return
    internal = prop(attachment.network.props, "internal")
    if internal is UNKNOWN:
        report(
            unknown_message(f"internal of the network '{network_name(attachment.network)}'", "True"),
            container.urn,
        )
    elif not is_true(internal):
        name = network_name(attachment.network) or attachment.network.name
        if role is UNKNOWN:
            report(
                unknown_message("The container's labels (webstack.role)", "a literal label")
                + f" It is attached to the network '{name}', which is not internal, where a data container must not "
                "be.",
                container.urn,
            )
        else:
            report(
                f"{who(role)} is attached to the network '{name}', which is not internal, so the data tier can reach "
                f"the internet and be reached from outside the host: {fix}.",
                container.urn,
            )


docker_data_networks_internal = StackValidationPolicy(
    name="docker-data-networks-internal",
    description="Checks that the app and data Docker networks are internal, and data containers (databases, cache, "
    "object storage, backups, exporters) join internal networks only.",
    validate=_networks_internal,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_NETWORKS_SCHEMA,
    severity=Severity.HIGH,
    tags=["docker", "network", "checklist:db-not-public", "checklist:block-app-ports"],
    remediation_steps="Create the app and data networks with internal=True (components/docker/network.py) and give "
    "database, cache, object-storage, backup and exporter containers only networks_advanced=[data network]; "
    "Prometheus joins the data network to scrape them, never the other way round.",
)

POLICIES = [
    docker_only_load_balancer_publishes,
    docker_data_networks_internal,
]
