"""Docker rules: the docker platform's containers run locked down, only the load balancer is reachable from outside
the host, the data tier sits on internal networks, images are pinned and no credential travels in plain text.

- ``docker-container-not-privileged``: not privileged, every capability dropped (none added outside an allow-list),
  ``no-new-privileges``, seccomp/AppArmor not switched off, no host devices.
- ``docker-container-non-root``: a user is set, and it is not root (roles in ``rootAllowedRoles`` excepted).
- ``docker-container-no-host-namespaces``: no host network, PID, IPC or user namespace; no Docker socket and no
  writable host path; read-only host paths only for roles in ``hostReadRoles``.
- ``docker-only-load-balancer-publishes``: only the load balancer publishes ports off the host's loopback, and only
  its HTTP/HTTPS container ports; nothing publishes every port.
- ``docker-container-health-and-restart``: services have a real health check and a restart policy; one-shot jobs
  never restart.
- ``docker-images-pinned`` (stack): every pulled image and every container's image is pinned to a tag other than
  ``latest``, or to a digest; a container running a RemoteImage's id is judged by that RemoteImage.
- ``docker-no-default-credentials``: no credential in environment values or on the command line, no default admin
  user, no known default password in uploaded files, and secret-looking files are not world-readable.
- ``docker-data-networks-internal`` (stack): app and data networks are internal, and data containers are attached
  only to internal networks.
- ``docker-container-resource-limits``: services have memory and CPU limits; web roles have a read-only root
  filesystem.
- ``docker-volumes-protected``: volumes that hold data are protected against deletion.

The rules read pulumi-docker 5.x engine properties (camelCase: ``networksAdvanced``, ``securityOpts``, ``readOnly``,
``capabilities.drops``, ``ports[].ip``, ``healthcheck.tests``, ``envs`` as ``NAME=value`` text, ``labels`` as
``{label, value}`` objects). A container's part in the stack is its ``webstack.role`` label, set by
``components/docker/common.py``; role settings accept shell-style patterns (``exporter-*``).

Unknown values: a setting a rule needs that is unknown during a preview is reported (it must come from configuration),
never taken as compliant. The exceptions are joins: a container's image and networks come from other resources of
the stack (a RemoteImage's id, a network's name), so the stack rules follow property dependencies to those resources
and judge them instead. An unknown ``webstack.role`` never grants an exemption.

Where the CIS Docker Benchmark has the same check, the rule carries a ``cis-docker:<item>`` tag (v1.6.0 numbering).
Messages never repeat an environment value, a command-line credential or a file's content.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import posixpath
import re
import shlex
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import unquote, urlsplit

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
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from ._common import pattern_setting, schema, setting
from ._props import (
    UNKNOWN,
    as_number,
    as_text,
    count_text,
    is_true,
    list_items,
    name_words,
    prop,
    str_list,
    unknown_message,
)
from .credentials import DEFAULT_CREDENTIAL_NAME_PATTERN, DEFAULT_DENY_LIST
from .monitoring import NOT_CREDENTIALS, REFERENCE_WORDS

CONTAINER = "docker:index/container:Container"
NETWORK = "docker:index/network:Network"
REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage"
VOLUME = "docker:index/volume:Volume"

#: The label that names a container's, network's or volume's part in the stack (components/docker/common.py).
ROLE_LABEL = "webstack.role"

#: Roles whose containers hold or serve the stack's data (databases, cache, object storage, backups, exporters).
DEFAULT_DATA_ROLES = ["db-primary", "db-replica", "cache", "object-storage", "backup", "exporter-*"]


# -- reading containers ----------------------------------------------------------------------------------------------
def _container(args: ResourceValidationArgs) -> Mapping[str, Any] | None:
    return args.props if args.resource_type == CONTAINER else None


def _role(props: Any) -> Any:
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


def _matches(role: Any, patterns: Iterable[Any]) -> bool:
    """Whether a known role matches one of the patterns (``exporter-*``); never for an unknown or missing role."""
    if role is UNKNOWN or not role:
        return False
    return any(fnmatchcase(str(role), str(pattern)) for pattern in patterns)


def _who(role: Any) -> str:
    """How messages name a container: by its role."""
    if role is UNKNOWN:
        return "The container (whose webstack.role label is unknown during preview)"
    return f"The container (role '{role}')" if role else "The container (no webstack.role label)"


def _long_running(props: Mapping[str, Any]) -> Any:
    """True for a service, False for a one-shot job (``mustRun`` false), :data:`UNKNOWN` when unknown. The provider's
    default is a service."""
    must_run = prop(props, "mustRun")
    if must_run is UNKNOWN:
        return UNKNOWN
    return not (must_run is False or (isinstance(must_run, str) and must_run.strip().lower() == "false"))


MUST_RUN_EXPECTED = "True (a service) or False (a one-shot job)"


# -- docker-container-not-privileged ---------------------------------------------------------------------------------
_PRIVILEGE_SCHEMA = schema(
    {
        "allowedCapabilities": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Linux capabilities (without the CAP_ prefix, e.g. NET_BIND_SERVICE) a container may add "
            "back after dropping ALL.",
        }
    }
)
#: ``securityOpts`` entries that stop a process gaining privileges through setuid binaries.
NO_NEW_PRIVILEGES = frozenset({"no-new-privileges", "no-new-privileges:true", "no-new-privileges=true"})
#: ``securityOpts`` entries that switch off the kernel confinement Docker applies by default.
UNCONFINED = frozenset(
    {"seccomp=unconfined", "seccomp:unconfined", "apparmor=unconfined", "apparmor:unconfined", "label=disable"}
)
CAPABILITIES_EXAMPLE = 'capabilities=docker.ContainerCapabilitiesArgs(drops=["ALL"])'


def _capability(value: Any) -> str:
    return as_text(value).upper().removeprefix("CAP_")


def _not_privileged(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = _container(args)
    if props is None:
        return
    privileged = prop(props, "privileged")
    if privileged is UNKNOWN:
        report(unknown_message("privileged", "False"), None)
    elif is_true(privileged):
        report(
            "The container is privileged: it gets every capability and every host device, so whoever controls its "
            "process controls the host: remove privileged=True.",
            None,
        )
    _capabilities(props, {_capability(c) for c in setting(args, _PRIVILEGE_SCHEMA, "allowedCapabilities")}, report)
    _security_options(props, report)
    devices = prop(props, "devices")
    if devices is UNKNOWN:
        report(unknown_message("devices", "nothing (no host devices)"), None)
    elif list_items(devices):
        paths = [as_text(prop(device, "hostPath")) for device in list_items(devices)]
        named = ", ".join(p for p in paths if p) or "host devices"
        report(f"The container is given host devices ({named}): remove devices; containers reach no hardware.", None)


def _capabilities(props: Mapping[str, Any], allowed: set[str], report: ReportViolation) -> None:
    capabilities = prop(props, "capabilities")
    if capabilities is UNKNOWN:
        report(unknown_message("capabilities", CAPABILITIES_EXAMPLE), None)
        return
    adds = prop(capabilities, "adds")
    added = list_items(adds)
    if adds is UNKNOWN or any(item is UNKNOWN for item in added):
        report(unknown_message("capabilities.adds", "a literal list of allowed capabilities (or nothing)"), None)
    extra = [_capability(c) for c in added if c is not UNKNOWN and _capability(c) and _capability(c) not in allowed]
    if extra:
        allowance = f" (allowed: {', '.join(sorted(allowed))})" if allowed else ""
        report(
            f"The container adds Linux capabilities {', '.join(extra)} outside the allow-list{allowance}: remove them "
            "from capabilities.adds, or run the process so that it does not need them (an unprivileged port, a "
            "writable volume instead of CHOWN/DAC_OVERRIDE).",
            None,
        )
    drops = prop(capabilities, "drops")
    dropped = list_items(drops)
    if any(_capability(item) == "ALL" for item in dropped if item is not UNKNOWN):
        return
    if drops is UNKNOWN or any(item is UNKNOWN for item in dropped):
        report(unknown_message("capabilities.drops", '["ALL"]'), None)
    else:
        report(
            "The container keeps Docker's default Linux capabilities (CHOWN, SETUID, NET_RAW, ...): set "
            f"{CAPABILITIES_EXAMPLE} and add back only what the process needs.",
            None,
        )


def _security_options(props: Mapping[str, Any], report: ReportViolation) -> None:
    options = prop(props, "securityOpts")
    items = list_items(options)
    texts = [as_text(item).lower().replace(" ", "") for item in items if item is not UNKNOWN]
    if not any(text in NO_NEW_PRIVILEGES for text in texts):
        if options is UNKNOWN or any(item is UNKNOWN for item in items):
            report(unknown_message("security_opts", '["no-new-privileges:true"]'), None)
        else:
            report(
                "The container's processes can gain privileges through setuid and setgid binaries: add "
                '"no-new-privileges:true" to security_opts.',
                None,
            )
    unconfined = [text for text in texts if text in UNCONFINED]
    if unconfined:
        report(
            f"The container switches off the kernel confinement Docker applies by default ({', '.join(unconfined)}): "
            "remove it from security_opts (or give a custom seccomp/AppArmor profile that is stricter).",
            None,
        )


docker_container_not_privileged = ResourceValidationPolicy(
    name="docker-container-not-privileged",
    description="Checks that Docker containers are not privileged, drop every Linux capability (adding back only "
    "allowed ones), set no-new-privileges, keep seccomp and AppArmor on and get no host devices.",
    validate=_not_privileged,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_PRIVILEGE_SCHEMA,
    severity=Severity.HIGH,
    tags=[
        "docker",
        "containers",
        "checklist:least-privilege",
        "cis-docker:5.4",
        "cis-docker:5.5",
        "cis-docker:5.18",
        "cis-docker:5.22",
        "cis-docker:5.26",
    ],
    remediation_steps="Build containers with components/docker/common.py container(...), which sets privileged=False, "
    'capabilities=ContainerCapabilitiesArgs(drops=["ALL"]) and security_opts=["no-new-privileges:true"]; pass a '
    "capability in ContainerSpec.capabilities only when it is in the policy's allowedCapabilities, and never pass "
    "devices.",
)


# -- docker-container-non-root ---------------------------------------------------------------------------------------
_ROOT_SCHEMA = schema(
    {
        "rootAllowedRoles": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "webstack.role values (patterns allowed) whose containers may run as root, e.g. a metrics "
            "agent that must read host files; they stay unprivileged (docker-container-not-privileged).",
        }
    }
)
USER_EXAMPLE = 'a non-root "uid:gid" such as "1000:1000"'


def _is_root(user: str) -> bool:
    return user.split(":", 1)[0].strip().lower() in ("root", "0")


def _non_root(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = _container(args)
    if props is None:
        return
    user = prop(props, "user")
    if user is UNKNOWN:
        report(unknown_message("user", USER_EXAMPLE), None)
        return
    role = _role(props)
    if _matches(role, setting(args, _ROOT_SCHEMA, "rootAllowedRoles")):
        return
    text = as_text(user)
    if not text:
        report(
            f"{_who(role)} sets no user, so it runs as the image's user, root unless the image says otherwise: set "
            f"user to {USER_EXAMPLE} that the image's files allow.",
            None,
        )
    elif _is_root(text):
        report(f"{_who(role)} runs as root (user '{text}'): set user to {USER_EXAMPLE}.", None)


docker_container_non_root = ResourceValidationPolicy(
    name="docker-container-non-root",
    description="Checks that every Docker container names a user, and that the user is not root (uid 0), except for "
    "roles the policy allows.",
    validate=_non_root,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_ROOT_SCHEMA,
    severity=Severity.HIGH,
    tags=["docker", "containers", "checklist:least-privilege", "cis-docker:4.1"],
    remediation_steps='Set user="<uid>:<gid>" (e.g. "101:101" for nginx-unprivileged, "70:70" for postgres-alpine) '
    "on the docker.Container (ContainerSpec.user), and give the paths it writes to that user; list a role in "
    "rootAllowedRoles only for an agent that must read root-owned host files.",
)


# -- docker-container-no-host-namespaces -----------------------------------------------------------------------------
_HOST_SCHEMA = schema(
    {
        "hostReadRoles": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["cadvisor"],
            "description": "webstack.role values (patterns allowed) whose containers may bind host paths read-only "
            "(container metrics). No container may bind a host path read-write.",
        }
    }
)
#: Container properties that must not be "host": the setting's Python name, what "host" exposes, and the fix.
_HOST_MODES = {
    "networkMode": (
        "network_mode",
        "shares the host's network stack (every interface, every host port, the host's loopback services)",
        "remove network_mode and attach the container to the stack's networks with networks_advanced",
    ),
    "pidMode": ("pid_mode", "sees and can signal the host's processes", "remove pid_mode"),
    "ipcMode": ("ipc_mode", "shares the host's IPC resources", 'remove ipc_mode (or set it to "private")'),
    "usernsMode": (
        "userns_mode",
        "runs in the host's user namespace even where the daemon remaps users",
        "remove userns_mode",
    ),
}
#: Where the Docker daemon listens; whoever reaches the socket controls every container and the host.
DOCKER_SOCKETS = frozenset({"/var/run/docker.sock", "/run/docker.sock"})


@dataclass(frozen=True)
class _Bind:
    """A host path mounted into the container."""

    where: str
    """How messages name it: ``mounts[2]`` or ``volumes[0]``."""
    source: Any
    """The host path (text), or :data:`UNKNOWN`."""
    read_only: Any
    """True, False, or :data:`UNKNOWN`."""

    def path(self) -> str:
        return "an unknown host path" if self.source is UNKNOWN else f"host path {self.source}"

    def is_socket(self) -> bool:
        return self.source is not UNKNOWN and posixpath.normpath(str(self.source)) in DOCKER_SOCKETS


def _binds(props: Mapping[str, Any]) -> tuple[list[_Bind], list[str]]:
    """Host paths bound into the container (``mounts`` of type bind, ``volumes`` with a ``hostPath``), and what of
    ``mounts``/``volumes`` is unknown during preview."""
    binds: list[_Bind] = []
    unknown: list[str] = []
    mounts = prop(props, "mounts")
    if mounts is UNKNOWN:
        unknown.append("mounts")
    for index, mount in enumerate(list_items(mounts)):
        kind = prop(mount, "type")
        if mount is UNKNOWN or kind is UNKNOWN:
            unknown.append(f"mounts[{index}]")
        elif as_text(kind).lower() == "bind":
            source = prop(mount, "source")
            binds.append(_Bind(f"mounts[{index}]", source if source is UNKNOWN else as_text(source), _flag(mount)))
    volumes = prop(props, "volumes")
    if volumes is UNKNOWN:
        unknown.append("volumes")
    for index, volume in enumerate(list_items(volumes)):
        host_path = prop(volume, "hostPath")
        if volume is UNKNOWN:
            unknown.append(f"volumes[{index}]")
        elif host_path is UNKNOWN or as_text(host_path):
            source = host_path if host_path is UNKNOWN else as_text(host_path)
            binds.append(_Bind(f"volumes[{index}]", source, _flag(volume)))
    return binds, unknown


def _flag(item: Any) -> Any:
    value = prop(item, "readOnly")
    return UNKNOWN if value is UNKNOWN else is_true(value)


def _no_host_namespaces(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = _container(args)
    if props is None:
        return
    for key, (setting_name, exposure, fix) in _HOST_MODES.items():
        value = prop(props, key)
        if value is UNKNOWN:
            report(unknown_message(setting_name, "nothing (a namespace of the container's own)"), None)
        elif as_text(value).lower() == "host":
            report(f'{setting_name} is "host", so the container {exposure}: {fix}.', None)
    role = _role(props)
    host_readers = setting(args, _HOST_SCHEMA, "hostReadRoles")
    binds, unknown = _binds(props)
    for name in unknown:
        report(unknown_message(name, "literal mounts (tmpfs, named volumes)"), None)
    for bind in binds:
        if bind.read_only is UNKNOWN:
            report(unknown_message(f"{bind.where}.read_only", "True"), None)
        elif not bind.read_only and bind.is_socket():
            report(
                f"{_who(role)} mounts the Docker socket ({bind.source}) read-write in {bind.where}: whoever controls "
                "the container can start a privileged container and own the host. Remove the mount.",
                None,
            )
        elif not bind.read_only:
            report(
                f"{_who(role)} mounts {bind.path()} read-write in {bind.where}, so it can change the host's files: "
                "use a named volume (docker.Volume) for its data, or mount the path read-only if its role may read "
                "host paths.",
                None,
            )
        elif not _matches(role, host_readers):
            allowed = ", ".join(str_list(host_readers)) or "none"
            report(
                f"{_who(role)} mounts {bind.path()} (read-only) in {bind.where}; only roles in hostReadRoles "
                f"({allowed}) may read host paths: use a named volume or an upload instead.",
                None,
            )


docker_container_no_host_namespaces = ResourceValidationPolicy(
    name="docker-container-no-host-namespaces",
    description="Checks that Docker containers share neither the host's network, PID, IPC nor user namespace, mount "
    "neither the Docker socket nor a writable host path, and bind host paths read-only only for allowed roles.",
    validate=_no_host_namespaces,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_HOST_SCHEMA,
    severity=Severity.HIGH,
    tags=[
        "docker",
        "containers",
        "checklist:least-privilege",
        "cis-docker:5.6",
        "cis-docker:5.10",
        "cis-docker:5.16",
        "cis-docker:5.17",
        "cis-docker:5.31",
        "cis-docker:5.32",
    ],
    remediation_steps="Leave network_mode, pid_mode, ipc_mode and userns_mode unset on the docker.Container and "
    "attach it to the stack's networks with networks_advanced; keep data in named volumes (ContainerSpec.volumes), "
    "never in host paths; only a role listed in hostReadRoles (container metrics) may have read_only_binds, and no "
    "container mounts /var/run/docker.sock read-write.",
)


# -- docker-only-load-balancer-publishes -----------------------------------------------------------------------------
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


def _is_loopback(address: str) -> bool:
    text = address.strip().strip("[]")
    if text.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(text).is_loopback
    except ValueError:
        return False


def _publishes(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = _container(args)
    if props is None:
        return
    role = _role(props)
    public = _matches(role, setting(args, _PUBLISH_SCHEMA, "publicRoles"))
    web_ports = {*WEB_PORTS, *(int(float(p)) for p in setting(args, _PUBLISH_SCHEMA, "publicContainerPorts"))}
    publish_all = prop(props, "publishAllPorts")
    if publish_all is UNKNOWN:
        report(unknown_message("publish_all_ports", "False"), None)
    elif is_true(publish_all):
        report(
            f"{_who(role)} publishes every port its image exposes, on every host interface: set "
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
        if _is_loopback(address):
            continue
        internal = prop(port, "internal")
        number = as_number(internal)
        label = "an unknown container port" if number is None else f"container port {count_text(number)}"
        if not public:
            report(
                f"{_who(role)} publishes {label} on {address}, outside the host's loopback, but only the load "
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
                f"{_who(role)} publishes {label} on {address}; the load balancer may publish only its HTTP and HTTPS "
                f'ports ({allowed}): remove the port, or bind it to the loopback (ip="127.0.0.1").',
                None,
            )


docker_only_load_balancer_publishes = ResourceValidationPolicy(
    name="docker-only-load-balancer-publishes",
    description="Checks that only the load balancer's Docker container publishes ports outside the host's loopback, "
    "and only its HTTP and HTTPS ports, and that no container publishes every port.",
    validate=_publishes,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_PUBLISH_SCHEMA,
    severity=Severity.HIGH,
    tags=["docker", "network", "checklist:firewall-only-80-443", "checklist:block-app-ports", "cis-docker:5.9"],
    remediation_steps='Publish ports only on the load balancer (role "lb"), mapping host ports 80/443 to nginx\'s '
    '8080/8443; give every other container\'s ports ip="127.0.0.1" (ContainerSpec.ports default) and reach admin '
    "tools through an SSH tunnel; never set publish_all_ports.",
)


# -- docker-container-health-and-restart -----------------------------------------------------------------------------
#: Restart policies that bring a service back after it exits or the host reboots.
SERVICE_RESTARTS = frozenset({"unless-stopped", "always", "on-failure"})
HEALTH_EXAMPLE = 'healthcheck=docker.ContainerHealthcheckArgs(tests=["CMD", ...], interval="30s", retries=3)'


def _health_and_restart(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = _container(args)
    if props is None:
        return
    long_running = _long_running(props)
    if long_running is UNKNOWN:
        report(unknown_message("must_run", MUST_RUN_EXPECTED), None)
        return
    restart = prop(props, "restart")
    policy = "" if restart is UNKNOWN else (as_text(restart).lower() or "no")
    if not long_running:
        if restart is UNKNOWN:
            report(unknown_message("restart", '"no"'), None)
        elif policy != "no":
            report(
                f"The one-shot job (must_run=False) has restart '{policy}', so it runs again whenever it exits or "
                'the daemon restarts: set restart="no".',
                None,
            )
        return
    _health_check(prop(props, "healthcheck"), report)
    if restart is UNKNOWN:
        report(unknown_message("restart", '"unless-stopped"'), None)
    elif policy.split(":", 1)[0] not in SERVICE_RESTARTS:
        report(
            f"The service's restart policy is '{policy}', so it stays down after it crashes or the host reboots: set "
            'restart="unless-stopped" (or "always", "on-failure").',
            None,
        )


def _health_check(health: Any, report: ReportViolation) -> None:
    if health is UNKNOWN:
        report(unknown_message("healthcheck", HEALTH_EXAMPLE), None)
        return
    if not isinstance(health, Mapping):
        report(
            "The service has no health check, so Docker cannot tell a hung process from a working one: set "
            f"{HEALTH_EXAMPLE}.",
            None,
        )
        return
    tests = prop(health, "tests")
    items = list_items(tests)
    if tests is UNKNOWN or (items and items[0] is UNKNOWN):
        report(unknown_message("healthcheck.tests", '["CMD", ...] or ["CMD-SHELL", "..."]'), None)
    elif not items:
        report(
            "The service's health check has no tests, so it only inherits the image's HEALTHCHECK (if any): set "
            'tests=["CMD", ...] with a command that fails when the service does not answer.',
            None,
        )
    elif as_text(items[0]).upper() == "NONE":
        report(
            'The service\'s health check is ["NONE"], which switches health checking off: set tests=["CMD", ...] '
            "with a command that fails when the service does not answer.",
            None,
        )
    elif as_text(items[0]).upper() not in ("CMD", "CMD-SHELL") or len(items) < 2:
        report(
            'The service\'s health check tests are not a command Docker runs: start them with "CMD" (then the '
            'program and its arguments) or "CMD-SHELL" (then one shell command).',
            None,
        )


docker_container_health_and_restart = ResourceValidationPolicy(
    name="docker-container-health-and-restart",
    description="Checks that long-running Docker containers have a health check and a restart policy that brings "
    'them back, and that one-shot jobs (must_run=False) never restart (restart="no").',
    validate=_health_and_restart,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=["docker", "availability", "checklist:replication-health-checks", "cis-docker:5.27"],
    remediation_steps="Give every long-running docker.Container a healthcheck whose tests run a real probe "
    '(["CMD", "wget", "-qO-", "http://127.0.0.1:8080/health"] or ["CMD-SHELL", "pg_isready ..."]) and '
    'restart="unless-stopped" (components/docker/common.py does both); run jobs with must_run=False and '
    'restart="no".',
)


# -- docker-images-pinned (stack) ------------------------------------------------------------------------------------
_PINNED_SCHEMA = schema(
    {
        "floatingTags": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["latest"],
            "description": "Tags that move to new images (compared case-insensitively) and so do not pin one.",
        }
    }
)
#: An OCI digest: ``@algorithm:hex`` (at least 32 hex digits).
_DIGEST = re.compile(r"@[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}$")
#: An image id, as a RemoteImage's ``imageId`` hands it to a container: immutable content.
_IMAGE_ID = re.compile(r"sha256:[0-9a-fA-F]{32,}")
PIN_EXAMPLE = '"nginxinc/nginx-unprivileged:1.27.3-alpine" or "postgres@sha256:<digest>"'


def pin_problem(reference: str, floating: Iterable[str] = ("latest",)) -> str | None:
    """What keeps an image reference from naming one image; None when it is pinned (a version tag or a digest)."""
    text = reference.strip()
    if not text:
        return "is empty, so Docker cannot tell which image to run"
    if _DIGEST.search(text):
        return None
    if "@" in text:
        return "has a malformed digest"
    last = text.rsplit("/", 1)[-1]
    if ":" not in last:
        return "has no tag, which means :latest, whatever image that is on the day it is pulled"
    tag = last.rsplit(":", 1)[1]
    if tag.lower() in {str(f).lower() for f in floating}:
        return f"is tagged '{tag}', which moves to a new image whenever one is pushed"
    if not tag:
        return "has an empty tag"
    return None


def _images_pinned(args: StackValidationArgs, report: ReportViolation) -> None:
    floating = str_list(setting(args, _PINNED_SCHEMA, "floatingTags"))
    for resource in args.resources:
        if resource.resource_type == REMOTE_IMAGE:
            name = prop(resource.props, "name")
            if name is UNKNOWN:
                report(unknown_message("The image's name", f"a pinned reference such as {PIN_EXAMPLE}"), resource.urn)
                continue
            problem = pin_problem(as_text(name), floating)
            if problem:
                report(
                    f"The image reference '{as_text(name)}' {problem}: pin it to a version tag or a digest, such as "
                    f"{PIN_EXAMPLE}.",
                    resource.urn,
                )
        elif resource.resource_type == CONTAINER:
            _container_image(resource, floating, report)


def _container_image(container: PolicyResource, floating: Sequence[str], report: ReportViolation) -> None:
    pulled = [d for d in container.property_dependencies.get("image") or [] if d.resource_type == REMOTE_IMAGE]
    if pulled:
        # The container runs the id of a RemoteImage: judge the reference that RemoteImage pulls. An unknown reference
        # is reported on the RemoteImage itself.
        for image in pulled:
            name = prop(image.props, "name")
            problem = None if name is UNKNOWN else pin_problem(as_text(name), floating)
            if problem:
                report(
                    f"The container runs the image pulled as '{as_text(name)}', which {problem}: pin that "
                    f"docker.RemoteImage's name to a version tag or a digest, such as {PIN_EXAMPLE}.",
                    container.urn,
                )
        return
    image = prop(container.props, "image")
    if image is UNKNOWN:
        report(
            unknown_message("image", f"a pinned reference such as {PIN_EXAMPLE}, or a pinned RemoteImage's image_id"),
            container.urn,
        )
        return
    text = as_text(image)
    if _IMAGE_ID.fullmatch(text):
        return
    problem = pin_problem(text, floating)
    if problem:
        report(
            f"The container's image '{text}' {problem}: pull it with a docker.RemoteImage pinned to a version tag or "
            f"a digest (such as {PIN_EXAMPLE}) and pass its image_id.",
            container.urn,
        )


docker_images_pinned = StackValidationPolicy(
    name="docker-images-pinned",
    description="Checks that every Docker image the stack pulls, and every container's image, is pinned to a version "
    "tag (not latest) or a digest, following a container's image to the RemoteImage it comes from.",
    validate=_images_pinned,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_PINNED_SCHEMA,
    severity=Severity.MEDIUM,
    tags=["docker", "supply-chain", "checklist:replication-health-checks"],
    remediation_steps="Pull every image with components/docker/common.py pinned_image(...) (a docker.RemoteImage "
    "whose name carries a version tag or @sha256 digest; webstack:docker.images overrides must be pinned too) and "
    "pass its image_id to the container; never run a bare or :latest reference.",
)


# -- docker-no-default-credentials -----------------------------------------------------------------------------------
#: Variables that name an account (not a credential) whose well-known default must not be used.
DEFAULT_USER_VARIABLES = {
    "GF_SECURITY_ADMIN_USER": ["admin"],
    "MINIO_ROOT_USER": ["minioadmin"],
    "RABBITMQ_DEFAULT_USER": ["guest"],
}
#: Settings that let clients in without any password: the values that do (empty: any non-empty value does, as the
#: mysql and mariadb images read these variables).
PASSWORDLESS: Mapping[str, frozenset[str]] = {
    "MYSQL_ALLOW_EMPTY_PASSWORD": frozenset(),
    "MARIADB_ALLOW_EMPTY_ROOT_PASSWORD": frozenset(),
    "MARIADB_ALLOW_EMPTY_PASSWORD": frozenset(),
    "ALLOW_EMPTY_PASSWORD": frozenset({"yes", "true", "1"}),
    "POSTGRES_HOST_AUTH_METHOD": frozenset({"trust"}),
}
#: Well-known credential variables whose names the word pattern does not split (``PGPASSWORD``).
CREDENTIAL_VARIABLES = frozenset({"PGPASSWORD", "MYSQL_PWD", "REDISCLI_AUTH"})
#: Command-line options whose value is a credential.
DEFAULT_CREDENTIAL_FLAGS = ["--requirepass", "--masterauth", "--password", "--passwd", "--token", "--secret"]
#: Programs whose ``-a <password>`` (redis-cli) or ``-p<password>`` (MySQL clients) takes a credential.
_SHORT_PASSWORD_OPTIONS = {
    "redis-cli": "-a",
    "mysql": "-p",
    "mysqladmin": "-p",
    "mysqldump": "-p",
    "mariadb": "-p",
    "mariadb-admin": "-p",
    "mariadb-dump": "-p",
}
#: Uploaded file paths that hold secrets.
DEFAULT_SECRET_FILE_PATTERN = (
    r"(^|/)(run/)?secrets?/|password|passwd|secret|token|credential|htpasswd|private|(\.|_|-)key$|\.(p12|pfx|env)$"
)
#: ``key = value`` / ``key: value`` / ``key value`` lines of configuration files whose key names a credential.
_CONFIG_CREDENTIAL = re.compile(
    r"^\s*[\w.-]*(?:pass|passwd|password|requirepass|masterauth|secret|token)[\w.-]*\s*(?:[=:]|\s)\s*"
    r"[\"']?([^\"'\s#;]+)",
    re.IGNORECASE | re.MULTILINE,
)
#: An environment assignment inside a shell command (``PGPASSWORD=... psql``).
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")

_DOCKER_CREDENTIALS_SCHEMA = schema(
    {
        "passwordDenyList": {
            "type": "array",
            "items": {"type": "string"},
            "default": DEFAULT_DENY_LIST,
            "description": "Known default and weak passwords (the same list as aws-no-default-passwords), compared "
            "case-insensitively with credential values in environment variables, command lines and uploaded files.",
        },
        "credentialNamePattern": {
            "type": "string",
            "default": DEFAULT_CREDENTIAL_NAME_PATTERN,
            "description": "A regular expression (matched case-insensitively, with camelCase split into _-separated "
            "words) for environment variable names that hold credentials: any literal value fails, unless the last "
            "word names a file (FILE, PATH: an absolute path) or a reference (ARN, ID, NAME, URL, ...).",
        },
        "defaultUsers": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "default": DEFAULT_USER_VARIABLES,
            "description": "Environment variables naming an administrator account, and the well-known default "
            "user names (compared case-insensitively) they must not be set to.",
        },
        "credentialFlags": {
            "type": "array",
            "items": {"type": "string"},
            "default": DEFAULT_CREDENTIAL_FLAGS,
            "description": "Command-line options (in command, entrypoints and healthcheck tests) whose value is a "
            "credential; a literal value fails, a shell expansion ($VAR, $(cat /run/secrets/...)) does not.",
        },
        "secretFilePattern": {
            "type": "string",
            "default": DEFAULT_SECRET_FILE_PATTERN,
            "description": "A regular expression (case-insensitive, searched in the path) for uploaded files that "
            "hold secrets: they must not be readable by other users.",
        },
    }
)
FILE_FIX = (
    "upload the credential as a file from a Pulumi secret (ContainerSpec.uploads, mode 0440) and point the image at "
    "it (NAME_FILE=/run/secrets/...)"
)
#: The last word of a credential-named variable that names a file holding the credential.
FILE_WORDS = frozenset({"FILE", "PATH"})


@dataclass(frozen=True)
class _CredentialJudge:
    credential: re.Pattern[str]
    deny: frozenset[str]
    users: Mapping[str, frozenset[str]]
    flags: frozenset[str]
    secret_file: re.Pattern[str]

    def default(self, text: str) -> bool:
        return text.strip().casefold() in self.deny

    def assignment(self, subject: str, name: str, value: str) -> list[str]:
        """What is wrong with ``name=value`` (an environment entry, or an assignment in a shell command)."""
        problems: list[str] = []
        url = _url_credentials(value, self.default)
        if url:
            problems.append(f"{subject} is a URL that carries {url}: {FILE_FIX}, or build the URL inside the container")
        words = name_words(name)
        last = words.upper().rsplit("_", 1)[-1]
        defaults = self.users.get(name.upper())
        if defaults and value.strip().casefold() in defaults:
            problems.append(
                f"{subject} is the well-known default user name '{value.strip()}', the first one attackers try: "
                "choose a name of your own"
            )
        passwordless = PASSWORDLESS.get(name.upper())
        if passwordless is not None and value.strip() and (not passwordless or value.strip().lower() in passwordless):
            problems.append(f"{subject} lets clients in without a password: remove it and set a generated password")
            return problems
        if not value.strip() or not (self.credential.search(words) or name.upper() in CREDENTIAL_VARIABLES):
            return problems
        if last in FILE_WORDS:
            if self.default(value):
                problems.append(f"{subject} is set to a known default password instead of a file path: {FILE_FIX}")
            elif not value.strip().startswith("/"):
                problems.append(f"{subject} should name a file (an absolute path), not hold the credential: {FILE_FIX}")
            return problems
        if self.default(value):
            problems.append(f"{subject} is set to a known default or weak password: {FILE_FIX}")
        elif last not in REFERENCE_WORDS and value.strip().lower() not in NOT_CREDENTIALS and not url:
            problems.append(
                f"{subject} holds a credential in plain text, which anyone who can run docker inspect (or read the "
                f"Pulumi state) can read: {FILE_FIX}"
            )
        return problems


def _url_credentials(text: str, default: Callable[[str], bool]) -> str:
    """What a URL with ``user:password@`` carries (a known default password, or credentials); "" for other text."""
    if "://" not in text or "@" not in text:
        return ""
    try:
        password = urlsplit(text.strip()).password
    except ValueError:
        return ""
    if password is None:
        return ""
    return "a known default password" if default(unquote(password)) else "credentials (user:password@)"


def _envs(props: Mapping[str, Any], judge: _CredentialJudge, pending: list[str]) -> list[str]:
    envs = prop(props, "envs")
    if envs is UNKNOWN:
        pending.append("envs")
    problems: list[str] = []
    for index, entry in enumerate(list_items(envs)):
        if entry is UNKNOWN:
            pending.append(f"envs.{index}")
            continue
        name, sep, value = as_text(entry).partition("=")
        if sep:
            problems.extend(judge.assignment(f"The variable {name.strip()}", name.strip(), value))
    return problems


def _tokens(values: Sequence[Any]) -> list[Any]:
    """Command-line words: each element, and the words of elements that are shell commands (``sh -c "..."``,
    ``CMD-SHELL``); an unknown element stays :data:`UNKNOWN`."""
    words: list[Any] = []
    for value in values:
        if value is UNKNOWN:
            words.append(UNKNOWN)
            continue
        text = as_text(value)
        if any(c.isspace() for c in text):
            try:
                words.extend(shlex.split(text))
            except ValueError:
                words.extend(text.split())
        else:
            words.append(text)
    return words


def _is_expansion(value: str) -> bool:
    """A shell expansion (``$VAR``, ``${VAR}``, ``$(cat /run/secrets/x)``): the value is read at run time."""
    return value.startswith(("$", "`"))


def _command_line(field: str, values: Any, judge: _CredentialJudge, pending: list[str]) -> list[str]:
    """Credentials passed as options or assignments in a command line. An unknown value right after a credential
    option is a credential on the command line whatever it is; any other unknown element goes to ``pending``."""
    if values is UNKNOWN:
        pending.append(field)
        return []
    elements = list_items(values)
    words = _tokens(elements)
    programs = {posixpath.basename(w) for w in words if w is not UNKNOWN}
    short = {option for program, option in _SHORT_PASSWORD_OPTIONS.items() if program in programs}
    found: list[str] = []
    after_option = False
    for index, word in enumerate(words):
        if word is UNKNOWN:
            if not after_option:
                pending.append(field)
            after_option = False
            continue
        option, sep, attached = word.partition("=")
        after_option = False
        if option.lower() in judge.flags or (option == "-a" and option in short):
            value = attached if sep else (words[index + 1] if index + 1 < len(words) else "")
            after_option = not sep
            if value is UNKNOWN or (value and not value.startswith("-") and not _is_expansion(value)):
                found.append(_option_problem(field, option, value, judge))
        elif "-p" in short and word.startswith("-p") and len(word) > 2 and not _is_expansion(word[2:]):
            found.append(_option_problem(field, "-p", word[2:], judge))
        elif _ASSIGNMENT.match(word):
            name, _, value = word.partition("=")
            if not _is_expansion(value):
                found.extend(judge.assignment(f"The assignment {name} in {field}", name, value))
    return [problem for index, problem in enumerate(found) if problem not in found[:index]]


def _option_problem(field: str, option: str, value: Any, judge: _CredentialJudge) -> str:
    kind = "a known default password" if value is not UNKNOWN and judge.default(str(value)) else "a credential"
    return (
        f"{field} passes {kind} with {option}, visible to anyone who can run docker inspect or ps: read it at run "
        'time from an uploaded file instead ("$(cat /run/secrets/...)", a config file with an include, or the '
        "program's *_FILE setting)"
    )


def _uploads(props: Mapping[str, Any], judge: _CredentialJudge, pending: list[str]) -> list[str]:
    uploads = prop(props, "uploads")
    if uploads is UNKNOWN:
        pending.append("uploads")
    problems: list[str] = []
    for index, upload in enumerate(list_items(uploads)):
        path = prop(upload, "file")
        if upload is UNKNOWN or path is UNKNOWN:
            pending.append(f"uploads.{index}")
            continue
        where = f"The uploaded file {as_text(path)}"
        content = _content(upload)
        if content is not None and (
            judge.default(content) or any(judge.default(m.group(1)) for m in _CONFIG_CREDENTIAL.finditer(content))
        ):
            problems.append(
                f"{where} holds a known default or weak password: generate it (pulumi_random.RandomPassword) and pass "
                "it as a Pulumi secret"
            )
        if not judge.secret_file.search(as_text(path)):
            continue
        permissions = prop(upload, "permissions")
        executable = prop(upload, "executable")
        if permissions is UNKNOWN:
            problems.append(unknown_message(f"uploads[{index}].permissions", '"0440" (or "0400")'))
        elif _readable_by_others(as_text(permissions)):
            mode = as_text(permissions) or ("0744" if is_true(executable) else "0644")
            problems.append(
                f"{where} looks like a secret but is readable by every user in the container (mode {mode}): set "
                'its permissions to "0440" (or "0400")'
            )
    return problems


def _content(upload: Any) -> str | None:
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


def _readable_by_others(mode: str) -> bool:
    """Whether an upload's mode lets other users read it (the provider's default is 0644, or 0744 if executable)."""
    if not mode:
        return True
    try:
        return bool(int(mode, 8) & 0o007)
    except ValueError:
        return True


def _credential_judge(args: Any) -> _CredentialJudge | str:
    """The configured judge, or what is wrong with the configuration."""
    patterns: dict[str, re.Pattern[str]] = {}
    for key in ("credentialNamePattern", "secretFilePattern"):
        pattern = pattern_setting(args, _DOCKER_CREDENTIALS_SCHEMA, key)
        if isinstance(pattern, str):
            return pattern
        patterns[key] = pattern
    users = setting(args, _DOCKER_CREDENTIALS_SCHEMA, "defaultUsers") or {}
    return _CredentialJudge(
        credential=patterns["credentialNamePattern"],
        deny=frozenset(
            str(p).strip().casefold() for p in setting(args, _DOCKER_CREDENTIALS_SCHEMA, "passwordDenyList")
        ),
        users={str(k).upper(): frozenset(str(v).strip().casefold() for v in vs) for k, vs in dict(users).items()},
        flags=frozenset(str(f).lower() for f in setting(args, _DOCKER_CREDENTIALS_SCHEMA, "credentialFlags")),
        secret_file=patterns["secretFilePattern"],
    )


def _no_default_credentials(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """Credentials reach a container only as uploaded files. What no rule can see: the analyzer hands resource rules
    secret values unwrapped, so whether an upload's content is a Pulumi secret (encrypted in the state) is invisible
    here. This rule checks what is visible: no credential in environment values or command lines (only *_FILE paths
    and run-time expansions), no known default anywhere (values, command lines, uploaded files), no default admin user
    name, no passwordless switch, and secret-looking uploaded files not readable by other users.

    An environment entry, argument or upload unknown during a preview is not a violation (its name is unknown too,
    and a seeded container always carries its seed's id): the rule reports what it could check, then lets the
    analyzer note that it cannot run during the preview; `pulumi up` checks the known values before creating the
    container. A credential option followed by an unknown value is a violation either way. An upload's content
    unknown during preview is a generated value, so it is not a default."""
    props = _container(args)
    if props is None:
        return
    judge = _credential_judge(args)
    if isinstance(judge, str):
        report(judge, None)
        return
    pending: list[str] = []
    health = prop(props, "healthcheck")
    problems = [
        *_envs(props, judge, pending),
        *_command_line("command", prop(props, "command"), judge, pending),
        *_command_line("entrypoints", prop(props, "entrypoints"), judge, pending),
        *_command_line("healthcheck.tests", UNKNOWN if health is UNKNOWN else prop(health, "tests"), judge, pending),
        *_uploads(props, judge, pending),
    ]
    for problem in problems:
        report(problem if problem.endswith(".") else f"{problem}.", None)
    if pending:
        # Environment values, arguments and files often come from other resources (a seed container's id, a
        # generated password): unknown during a preview, known when `pulumi up` checks the container again right
        # before creating it. The analyzer notes that this rule could not run during the preview; what was checkable
        # has been reported above.
        raise UnknownValueError(UNKNOWN_STRING_VALUE, pending[0].split("."))


docker_no_default_credentials = ResourceValidationPolicy(
    name="docker-no-default-credentials",
    description="Checks that Docker containers take no credential from environment values or the command line (only "
    "*_FILE paths to uploaded files), use no default password or default admin user name, and keep secret-looking "
    "uploaded files from other users.",
    validate=_no_default_credentials,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_DOCKER_CREDENTIALS_SCHEMA,
    severity=Severity.CRITICAL,
    tags=["docker", "secrets", "checklist:no-default-passwords", "checklist:secrets"],
    remediation_steps="Generate every password (pulumi_random.RandomPassword), upload it into the container as a file "
    "from the Pulumi secret (ContainerSpec.uploads, mode 0440) and point the image at it with its *_FILE variable "
    "(POSTGRES_PASSWORD_FILE, GF_SECURITY_ADMIN_PASSWORD__FILE, MINIO_ROOT_PASSWORD_FILE) or a config file (Redis "
    "requirepass in an uploaded redis.conf); choose admin user names of your own.",
)


# -- docker-data-networks-internal (stack) ---------------------------------------------------------------------------
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
#: ``networkMode`` values that mean Docker's default bridge network (not internal: it routes out and publishes).
DEFAULT_BRIDGE = frozenset({"", "bridge", "default"})


@dataclass(frozen=True)
class _Attachment:
    """A network a container is attached to: a network of the stack, or a description of another one."""

    network: PolicyResource | None
    outside: str = ""
    """Why the attachment is not to a known internal network, when ``network`` is None."""
    unknown: str = ""
    """The property that is unknown during preview, when neither is known."""


def _network_name(network: PolicyResource) -> str:
    name = prop(network.props, "name")
    return "" if name is UNKNOWN else as_text(name)


def _attachments(container: PolicyResource, by_name: Mapping[str, PolicyResource]) -> list[_Attachment]:
    """Every network the container is attached to, joined through the property dependencies of networksAdvanced and
    networkMode (a network's name may be unknown during preview) and else by name."""
    found: dict[str, _Attachment] = {}
    linked = [d for d in container.property_dependencies.get("networksAdvanced") or [] if d.resource_type == NETWORK]
    for network in linked:
        found[network.urn] = _Attachment(network)
    entries = prop(container.props, "networksAdvanced")
    items = list_items(entries)
    if entries is UNKNOWN and not linked:
        found["networksAdvanced"] = _Attachment(None, unknown="networks_advanced")
    for index, entry in enumerate(items):
        name = prop(entry, "name")
        if entry is UNKNOWN or name is UNKNOWN:
            if not linked:
                found[f"networksAdvanced[{index}]"] = _Attachment(None, unknown=f"networks_advanced[{index}].name")
            continue
        text = as_text(name)
        network = by_name.get(text) or next((n for n in linked if _network_name(n) == text), None)
        if network is not None:
            found[network.urn] = _Attachment(network)
        elif text in DEFAULT_BRIDGE - {""}:
            found[text] = _Attachment(None, outside="Docker's default bridge network")
        else:
            found[text] = _Attachment(None, outside=f"the network '{text}', which this stack does not create")
    mode = prop(container.props, "networkMode")
    if mode is UNKNOWN:
        found["networkMode"] = _Attachment(None, unknown="network_mode")
        return list(found.values())
    text = as_text(mode)
    if text.lower() in DEFAULT_BRIDGE:
        # The provider disconnects a container with networks_advanced from the default bridge.
        if not items and entries is not UNKNOWN and not linked:
            found["bridge"] = _Attachment(None, outside="Docker's default bridge network")
    elif text.lower() == "host":
        found["host"] = _Attachment(None, outside="the host's network stack")
    elif text.lower().startswith("container:"):
        found[text] = _Attachment(None, outside="another container's network stack, which this rule cannot follow")
    elif text.lower() != "none":
        moded = [d for d in container.property_dependencies.get("networkMode") or [] if d.resource_type == NETWORK]
        network = by_name.get(text) or (moded[0] if moded else None)
        found[f"mode:{text}"] = (
            _Attachment(network)
            if network is not None
            else _Attachment(None, outside=f"the network '{text}', which this stack does not create")
        )
    return list(found.values())


def _networks_internal(args: StackValidationArgs, report: ReportViolation) -> None:
    internal_roles = setting(args, _NETWORKS_SCHEMA, "internalRoles")
    data_roles = setting(args, _NETWORKS_SCHEMA, "dataRoles")
    networks = [r for r in args.resources if r.resource_type == NETWORK]
    for network in networks:
        role = _role(network.props)
        if role is UNKNOWN:
            report(unknown_message("The network's labels (webstack.role)", "a literal label"), network.urn)
        elif _matches(role, internal_roles):
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
    by_name = {name: n for n in networks if (name := _network_name(n))}
    for container in (r for r in args.resources if r.resource_type == CONTAINER):
        role = _role(container.props)
        if role is not UNKNOWN and not _matches(role, data_roles):
            continue
        for attachment in _attachments(container, by_name):
            _judge_attachment(container, role, attachment, report)


def _judge_attachment(container: PolicyResource, role: Any, attachment: _Attachment, report: ReportViolation) -> None:
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
            report(f"{_who(role)} is attached to {attachment.outside}: {fix}.", container.urn)
        return
    internal = prop(attachment.network.props, "internal")
    if internal is UNKNOWN:
        report(
            unknown_message(f"internal of the network '{_network_name(attachment.network)}'", "True"),
            container.urn,
        )
    elif not is_true(internal):
        name = _network_name(attachment.network) or attachment.network.name
        if role is UNKNOWN:
            report(
                unknown_message("The container's labels (webstack.role)", "a literal label")
                + f" It is attached to the network '{name}', which is not internal, where a data container must not "
                "be.",
                container.urn,
            )
        else:
            report(
                f"{_who(role)} is attached to the network '{name}', which is not internal, so the data tier can reach "
                f"the internet and be reached from outside the host: {fix}.",
                container.urn,
            )


docker_data_networks_internal = StackValidationPolicy(
    name="docker-data-networks-internal",
    description="Checks that the app and data Docker networks are internal, and that data containers (databases, "
    "cache, object storage, backups, exporters) are attached to internal networks only.",
    validate=_networks_internal,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_NETWORKS_SCHEMA,
    severity=Severity.HIGH,
    tags=["docker", "network", "checklist:db-not-public", "checklist:block-app-ports"],
    remediation_steps="Create the app and data networks with internal=True (components/docker/network.py) and give "
    "database, cache, object-storage, backup and exporter containers only networks_advanced=[data network]; "
    "Prometheus joins the data network to scrape them, never the other way round.",
)


# -- docker-container-resource-limits --------------------------------------------------------------------------------
_LIMITS_SCHEMA = schema(
    {
        "readOnlyRoles": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["frontend", "backend", "lb"],
            "description": "webstack.role values (patterns allowed) whose containers must have a read-only root "
            "filesystem.",
        }
    }
)


def _resource_limits(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = _container(args)
    if props is None:
        return
    role = _role(props)
    read_only_roles = setting(args, _LIMITS_SCHEMA, "readOnlyRoles")
    read_only = prop(props, "readOnly")
    if not is_true(read_only) and (role is UNKNOWN or _matches(role, read_only_roles)):
        if read_only is UNKNOWN:
            report(unknown_message("read_only", "True"), None)
        elif role is UNKNOWN:
            report(
                unknown_message("labels (webstack.role)", "a literal label")
                + " Its root filesystem is writable, which roles "
                f"{', '.join(str_list(read_only_roles))} may not have.",
                None,
            )
        else:
            report(
                f"{_who(role)} can write to its root filesystem, so an attacker can change its programs: set "
                "read_only=True and give the paths it writes tmpfs mounts (ContainerSpec.tmpfs) or volumes.",
                None,
            )
    long_running = _long_running(props)
    if long_running is UNKNOWN:
        report(unknown_message("must_run", MUST_RUN_EXPECTED), None)
        return
    if not long_running:
        return
    memory = prop(props, "memory")
    if memory is UNKNOWN:
        report(unknown_message("memory", "a number of megabytes"), None)
    elif (as_number(memory) or 0) <= 0:
        report(
            f"{_who(role)} has no memory limit, so one leak can starve every other container on the host: set memory "
            "(megabytes) and memory_swap to the same value.",
            None,
        )
    cpus, shares = prop(props, "cpus"), prop(props, "cpuShares")
    if (as_number(cpus) or 0) > 0 or (as_number(shares) or 0) > 0:
        return
    if cpus is UNKNOWN or shares is UNKNOWN:
        report(unknown_message("cpus", 'a literal number of CPUs such as "0.5"'), None)
    else:
        report(
            f"{_who(role)} has no CPU limit, so one busy container can slow every other on the host: set cpus (e.g. "
            '"0.5") or cpu_shares.',
            None,
        )


docker_container_resource_limits = ResourceValidationPolicy(
    name="docker-container-resource-limits",
    description="Checks that long-running Docker containers have memory and CPU limits, and that web-facing roles "
    "(frontend, backend, load balancer) have a read-only root filesystem.",
    validate=_resource_limits,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_LIMITS_SCHEMA,
    severity=Severity.MEDIUM,
    tags=["docker", "containers", "checklist:least-privilege", "cis-docker:5.11", "cis-docker:5.12", "cis-docker:5.13"],
    remediation_steps="Set memory, memory_swap and cpus on every long-running docker.Container (ContainerSpec."
    "memory_mb and cpus; components/docker/common.py sets them) and read_only=True on the frontend, backend and load "
    "balancer, with tmpfs mounts for the paths they write.",
)


# -- docker-volumes-protected ----------------------------------------------------------------------------------------
_VOLUMES_SCHEMA = schema(
    {
        "dataRoles": {
            "type": "array",
            "items": {"type": "string"},
            "default": DEFAULT_DATA_ROLES,
            "description": "webstack.role values (patterns allowed) of volumes that hold data and must be protected.",
        }
    }
)


def _volumes_protected(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != VOLUME:
        return
    role = _role(args.props)
    if role is UNKNOWN:
        report(unknown_message("labels (webstack.role)", "a literal label"), None)
    elif _matches(role, setting(args, _VOLUMES_SCHEMA, "dataRoles")) and not args.opts.protect:
        report(
            f"The '{role}' volume holds data but is not protected, so a replacement or a `pulumi destroy` deletes it "
            "with everything in it: create it with opts=pulumi.ResourceOptions(protect=True, retain_on_delete=True) "
            "(components/docker/common.py volume(...)).",
            None,
        )


docker_volumes_protected = ResourceValidationPolicy(
    name="docker-volumes-protected",
    description="Checks that Docker volumes holding data (database, cache, object storage, backups) are protected "
    "against deletion.",
    validate=_volumes_protected,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_VOLUMES_SCHEMA,
    severity=Severity.MEDIUM,
    tags=["docker", "resilience", "checklist:rto-rpo", "checklist:backups"],
    remediation_steps="Create data volumes with components/docker/common.py volume(...), which sets protect=True and "
    "retain_on_delete=True; to delete one, take a backup, unprotect it (pulumi state unprotect) and remove it by "
    "hand.",
)

POLICIES = [
    docker_container_not_privileged,
    docker_container_non_root,
    docker_container_no_host_namespaces,
    docker_only_load_balancer_publishes,
    docker_container_health_and_restart,
    docker_images_pinned,
    docker_no_default_credentials,
    docker_data_networks_internal,
    docker_container_resource_limits,
    docker_volumes_protected,
]
