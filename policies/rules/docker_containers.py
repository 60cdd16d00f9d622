"""Docker container rules: every container runs locked down (unprivileged, not root, in namespaces of its own, within
limits).

Where the CIS Docker Benchmark has the same check, the rule carries a ``cis-docker:<item>`` tag (v1.6.0 numbering).
A setting a rule needs that is unknown during a preview is reported (it must come from configuration), never taken as
compliant.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from ._common import schema, setting
from ._docker import MUST_RUN_EXPECTED, container_props, docker_role, long_running, role_matches, who
from ._props import (
    UNKNOWN,
    as_number,
    as_text,
    is_true,
    list_items,
    prop,
    str_list,
    unknown_message,
)

# -- docker-container-not-privileged -----------------------------------------------------------------------------------
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
    props = container_props(args)
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
    description="Checks that no Docker container is privileged, keeps Docker's default capabilities (it drops ALL and "
    "adds back only `allowedCapabilities`), lacks no-new-privileges, switches seccomp or AppArmor off, or gets host "
    "devices.",
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


# -- docker-container-non-root -----------------------------------------------------------------------------------------
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
    props = container_props(args)
    if props is None:
        return
    user = prop(props, "user")
    if user is UNKNOWN:
        report(unknown_message("user", USER_EXAMPLE), None)
        return
    role = docker_role(props)
    if role_matches(role, setting(args, _ROOT_SCHEMA, "rootAllowedRoles")):
        return
    text = as_text(user)
    if not text:
        report(
            f"{who(role)} sets no user, so it runs as the image's user, root unless the image says otherwise: set "
            f"user to {USER_EXAMPLE} that the image's files allow.",
            None,
        )
    elif _is_root(text):
        report(f"{who(role)} runs as root (user '{text}'): set user to {USER_EXAMPLE}.", None)


docker_container_non_root = ResourceValidationPolicy(
    name="docker-container-non-root",
    description="Checks that every Docker container names a user, and not root (uid 0), except roles in "
    "`rootAllowedRoles`.",
    validate=_non_root,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_ROOT_SCHEMA,
    severity=Severity.HIGH,
    tags=["docker", "containers", "checklist:least-privilege", "cis-docker:4.1"],
    remediation_steps='Set user="<uid>:<gid>" (e.g. "101:101" for nginx-unprivileged, "70:70" for postgres-alpine) '
    "on the docker.Container (ContainerSpec.user), and give the paths it writes to that user; list a role in "
    "rootAllowedRoles only for an agent that must read root-owned host files.",
)


# -- docker-container-no-host-namespaces -------------------------------------------------------------------------------
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
    props = container_props(args)
    if props is None:
        return
    for key, (setting_name, exposure, fix) in _HOST_MODES.items():
        value = prop(props, key)
        if value is UNKNOWN:
            report(unknown_message(setting_name, "nothing (a namespace of the container's own)"), None)
        elif as_text(value).lower() == "host":
            report(f'{setting_name} is "host", so the container {exposure}: {fix}.', None)


docker_container_no_host_namespaces = ResourceValidationPolicy(
    name="docker-container-no-host-namespaces",
    description="Checks that no Docker container shares the host's network, PID, IPC or user namespace.",
    validate=_no_host_namespaces,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=[
        "docker",
        "containers",
        "checklist:least-privilege",
        "cis-docker:5.10",
        "cis-docker:5.16",
        "cis-docker:5.17",
        "cis-docker:5.31",
    ],
    remediation_steps="Leave network_mode, pid_mode, ipc_mode and userns_mode unset on the docker.Container and "
    "attach it to the stack's networks with networks_advanced.",
)


def _no_host_mounts(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = container_props(args)
    if props is None:
        return
    role = docker_role(props)
    host_readers = setting(args, _HOST_SCHEMA, "hostReadRoles")
    binds, unknown = _binds(props)
    for name in unknown:
        report(unknown_message(name, "literal mounts (tmpfs, named volumes)"), None)
    for bind in binds:
        if bind.read_only is UNKNOWN:
            report(unknown_message(f"{bind.where}.read_only", "True"), None)
        elif not bind.read_only and bind.is_socket():
            report(
                f"{who(role)} mounts the Docker socket ({bind.source}) read-write in {bind.where}: whoever controls "
                "the container can start a privileged container and own the host. Remove the mount.",
                None,
            )
        elif not bind.read_only:
            report(
                f"{who(role)} mounts {bind.path()} read-write in {bind.where}, so it can change the host's files: "
                "use a named volume (docker.Volume) for its data, or mount the path read-only if its role may read "
                "host paths.",
                None,
            )
        elif not role_matches(role, host_readers):
            allowed = ", ".join(str_list(host_readers)) or "none"
            report(
                f"{who(role)} mounts {bind.path()} (read-only) in {bind.where}; only roles in hostReadRoles "
                f"({allowed}) may read host paths: use a named volume or an upload instead.",
                None,
            )


docker_container_no_host_mounts = ResourceValidationPolicy(
    name="docker-container-no-host-mounts",
    description="Checks that no Docker container mounts the Docker socket or a writable host path, and only roles in "
    "`hostReadRoles` (cAdvisor) bind host paths, read-only.",
    validate=_no_host_mounts,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_HOST_SCHEMA,
    severity=Severity.HIGH,
    tags=["docker", "containers", "checklist:least-privilege", "cis-docker:5.6", "cis-docker:5.32"],
    remediation_steps="Keep data in named volumes (ContainerSpec.volumes), never in host paths; only a role listed in "
    "hostReadRoles (container metrics) may have read_only_binds, and no container mounts /var/run/docker.sock "
    "read-write.",
)


# -- docker-container-resource-limits ----------------------------------------------------------------------------------
_READ_ONLY_SCHEMA = schema(
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


def _read_only_root(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = container_props(args)
    if props is None:
        return
    role = docker_role(props)
    read_only_roles = setting(args, _READ_ONLY_SCHEMA, "readOnlyRoles")
    read_only = prop(props, "readOnly")
    if not is_true(read_only) and (role is UNKNOWN or role_matches(role, read_only_roles)):
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
                f"{who(role)} can write to its root filesystem, so an attacker can change its programs: set "
                "read_only=True and give the paths it writes tmpfs mounts (ContainerSpec.tmpfs) or volumes.",
                None,
            )


docker_container_read_only_root_filesystem = ResourceValidationPolicy(
    name="docker-container-read-only-root-filesystem",
    description="Checks that the web-facing Docker containers (`readOnlyRoles`: frontend, backend, load balancer) "
    "have a read-only root filesystem.",
    validate=_read_only_root,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_READ_ONLY_SCHEMA,
    severity=Severity.MEDIUM,
    tags=["docker", "containers", "checklist:least-privilege", "cis-docker:5.13"],
    remediation_steps="Set read_only=True on the frontend, backend and load balancer docker.Containers, with tmpfs "
    "mounts (ContainerSpec.tmpfs) or volumes for the paths they write.",
)


def _resource_limits(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = container_props(args)
    if props is None:
        return
    role = docker_role(props)
    service = long_running(props)
    if service is UNKNOWN:
        report(unknown_message("must_run", MUST_RUN_EXPECTED), None)
        return
    if not service:
        return
    memory = prop(props, "memory")
    if memory is UNKNOWN:
        report(unknown_message("memory", "a number of megabytes"), None)
    elif (as_number(memory) or 0) <= 0:
        report(
            f"{who(role)} has no memory limit, so one leak can starve every other container on the host: set memory "
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
            f"{who(role)} has no CPU limit, so one busy container can slow every other on the host: set cpus (e.g. "
            '"0.5") or cpu_shares.',
            None,
        )


docker_container_resource_limits = ResourceValidationPolicy(
    name="docker-container-resource-limits",
    description="Checks that every long-running Docker container has a memory and a CPU limit.",
    validate=_resource_limits,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=["docker", "containers", "checklist:least-privilege", "cis-docker:5.11", "cis-docker:5.12"],
    remediation_steps="Set memory, memory_swap and cpus on every long-running docker.Container (ContainerSpec."
    "memory_mb and cpus; components/docker/common.py sets them).",
)

POLICIES = [
    docker_container_not_privileged,
    docker_container_non_root,
    docker_container_no_host_namespaces,
    docker_container_no_host_mounts,
    docker_container_read_only_root_filesystem,
    docker_container_resource_limits,
]
