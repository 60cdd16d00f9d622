"""What every container of the docker platform shares: pinned images, the three networks, and one constructor whose
defaults are the hardening the guides ask for.

Defaults of :func:`container`: a non-root user (required), every Linux capability dropped, ``no-new-privileges``, a
read-only root filesystem with tmpfs where the process writes, memory and CPU limits, a health check (required for
long-running containers), ``restart: unless-stopped``, bounded json-file logs, labels naming the stack and the
container's role (the policies read ``webstack.role``), and no published port unless given (only the load balancer
publishes public ports; admin tools bind to loopback).

Files a container needs (configuration, certificates, secrets) are uploaded at creation. A read-only root filesystem
refuses uploads, so containers that take files and keep their root read-only mount a small volume (``config_dir``)
and receive the files there; secret files are uploaded from Pulumi secrets and are never environment values.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import pulumi
import pulumi_docker as docker

from ..build_context import context_tag, docker_build
from ..settings import BuildSettings

#: The label every container and network carries with its part in the stack; the policy pack reads it.
ROLE_LABEL = "webstack.role"
STACK_LABEL = "webstack.stack"
#: Roles whose containers may publish a port on a non-loopback address.
PUBLIC_ROLES = ("lb",)


@dataclass(frozen=True)
class Networks:
    """``edge``: the load balancer's way in from the host. ``app``: load balancer <-> web services, internal.
    ``data``: web services <-> databases, cache, object storage, backups, exporters, internal. ``admin``: the
    monitoring tools, which publish their ports on the host's loopback address only (an internal network cannot
    publish ports)."""

    edge: docker.Network
    app: docker.Network
    data: docker.Network
    admin: docker.Network
    tunnel: docker.Network | None = None
    """Behind a Cloudflare Tunnel only: the internal network (a fixed subnet) that joins cloudflared and nginx, and
    nothing else; nginx believes CF-Connecting-IP from it alone."""


@dataclass(frozen=True)
class HealthCheck:
    """A Docker health check. ``test`` is the command, run with ``CMD`` (no shell) unless ``shell`` is set."""

    test: Sequence[str]
    interval_seconds: int = 30
    timeout_seconds: int = 5
    retries: int = 3
    start_period_seconds: int = 30
    shell: bool = False

    def args(self) -> docker.ContainerHealthcheckArgs:
        tests = ["CMD-SHELL", " ".join(self.test)] if self.shell else ["CMD", *self.test]
        return docker.ContainerHealthcheckArgs(
            tests=tests,
            interval=f"{self.interval_seconds}s",
            timeout=f"{self.timeout_seconds}s",
            retries=self.retries,
            start_period=f"{self.start_period_seconds}s",
        )


@dataclass(frozen=True)
class Upload:
    """A file placed in the container at creation. ``content`` may be a secret Output."""

    path: str
    content: pulumi.Input[str]
    mode: str = "0440"
    """Octal permissions; secrets and keys stay 0400/0440."""


@dataclass(frozen=True)
class Port:
    """A published port: ``internal`` in the container, ``external`` on the host at ``ip``."""

    internal: int
    external: int
    ip: str = "127.0.0.1"


@dataclass
class ContainerSpec:
    """Everything :func:`container` needs. Only ``image``, ``user``, ``role`` and ``networks`` have no default."""

    image: pulumi.Input[str]
    user: str
    role: str
    networks: Sequence[docker.Network | pulumi.Input[str]]
    """The networks the container joins: the networks, or their Docker names (a component's network inputs)."""
    health: HealthCheck | None
    memory_mb: int = 256
    cpus: float = 0.5
    command: Sequence[pulumi.Input[str]] | None = None
    entrypoint: Sequence[pulumi.Input[str]] | None = None
    envs: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Plain settings only: secrets go in ``uploads`` and reach the process as ``*_FILE`` paths."""
    uploads: Sequence[Upload] = ()
    read_only: bool = True
    tmpfs: Mapping[str, str] = field(default_factory=dict)
    """Mount point -> tmpfs options (e.g. ``rw,noexec,nosuid,size=64m``)."""
    volumes: Mapping[str, docker.Volume] = field(default_factory=dict)
    """Mount point -> named volume."""
    read_only_volumes: Mapping[str, docker.Volume] = field(default_factory=dict)
    """Mount point -> named volume, mounted read-only (another container's data, read by an exporter)."""
    read_only_binds: Mapping[str, str] = field(default_factory=dict)
    """Mount point -> host path, mounted read-only (container metrics only)."""
    ports: Sequence[Port] = ()
    aliases: Sequence[str] = ()
    """Extra DNS names on every network."""
    capabilities: Sequence[str] = ()
    """Capabilities added back after dropping all; empty for almost everything."""
    long_running: bool = True
    """False for one-shot jobs: no restart, not required to keep running."""
    run_to_completion: bool = False
    """A one-shot job that ``pulumi up`` waits for: the provider attaches to it until it exits and records its exit
    code (``exit_code``), which the caller checks (see components/docker/migrations.py). Implies not long-running."""
    seed_image: pulumi.Input[str] | None = None
    """Image of the seed container that delivers uploads to a read-only container (see :func:`container`); it must
    have ``true``. Default: ``image``."""


def container_name(name: str) -> str:
    """The Docker name :func:`container` gives the container with logical name ``name`` (also resolvable by that name
    on the container's networks), and :func:`labelled_volume` the volume."""
    return f"{pulumi.get_project()}-{pulumi.get_stack()}-{name}"


def labels(stack: str, role: str) -> list[docker.ContainerLabelArgs]:
    return [
        docker.ContainerLabelArgs(label=ROLE_LABEL, value=role),
        docker.ContainerLabelArgs(label=STACK_LABEL, value=stack),
    ]


def container(name: str, spec: ContainerSpec, opts: pulumi.ResourceOptions) -> docker.Container:
    """One hardened container (see the module docstring for the defaults).

    Uploads to a read-only container are delivered by a seed: the provider extracts uploads at ``/``, which Docker
    refuses on a read-only root filesystem, so every upload must sit under one of the container's volume mounts; a
    seed container (``<name>-seed``: the same user and volumes, writable root, no network, every capability dropped)
    receives the files into those volumes, runs ``true`` once and stops; the service mounts the volumes and is
    replaced whenever the seed is (its ``WEBSTACK_CONFIG_REVISION`` names the seed)."""
    if not spec.user or spec.user.split(":")[0] in ("root", "0"):
        raise ValueError(f"container {name} must run as a non-root user, got {spec.user!r}")
    if spec.long_running and spec.health is None:
        raise ValueError(f"container {name} runs continuously and needs a health check")
    if spec.read_only and spec.uploads:
        return _seeded(name, spec, opts)
    stack = pulumi.get_stack()
    owner, group = _owner(spec.user)
    mounts = [
        docker.ContainerMountArgs(target=path, type="tmpfs", tmpfs_options=_tmpfs(options))
        for path, options in sorted(spec.tmpfs.items())
    ]
    mounts += [
        docker.ContainerMountArgs(target=path, type="volume", source=volume.name)
        for path, volume in sorted(spec.volumes.items())
    ]
    mounts += [
        docker.ContainerMountArgs(target=path, type="volume", source=volume.name, read_only=True)
        for path, volume in sorted(spec.read_only_volumes.items())
    ]
    mounts += [
        docker.ContainerMountArgs(target=path, type="bind", source=host_path, read_only=True)
        for path, host_path in sorted(spec.read_only_binds.items())
    ]
    return docker.Container(
        name,
        name=container_name(name),
        image=spec.image,
        user=spec.user,
        command=list(spec.command) if spec.command is not None else None,
        entrypoints=list(spec.entrypoint) if spec.entrypoint is not None else None,
        envs=[pulumi.Output.concat(key, "=", value) for key, value in sorted(spec.envs.items())],
        uploads=[
            docker.ContainerUploadArgs(
                file=upload.path, content=upload.content, permissions=upload.mode, owner=owner, group=group
            )
            for upload in spec.uploads
        ],
        read_only=spec.read_only,
        mounts=mounts,
        capabilities=docker.ContainerCapabilitiesArgs(drops=["ALL"], adds=list(spec.capabilities)),
        security_opts=["no-new-privileges:true"],
        privileged=False,
        memory=spec.memory_mb,
        memory_swap=spec.memory_mb,
        cpus=str(spec.cpus),
        healthcheck=spec.health.args() if spec.health is not None else None,
        restart="unless-stopped" if spec.long_running else "no",
        must_run=spec.long_running,
        wait=False,
        # attach: the provider's create waits until the container stops (terraform-provider-docker,
        # resource_docker_container_funcs.go: ContainerWait(..., WaitConditionNotRunning)); its logs are kept.
        attach=True if spec.run_to_completion else None,
        logs=True if spec.run_to_completion else None,
        log_driver="json-file",
        log_opts={"max-size": "10m", "max-file": "5"},
        labels=labels(stack, spec.role),
        ports=[
            docker.ContainerPortArgs(internal=port.internal, external=port.external, ip=port.ip, protocol="tcp")
            for port in spec.ports
        ],
        networks_advanced=[
            docker.ContainerNetworksAdvancedArgs(name=network_name(network), aliases=list(spec.aliases))
            for network in spec.networks
        ],
        network_mode="none" if not spec.networks else None,
        opts=opts,
    )


def network_name(network: docker.Network | pulumi.Input[str]) -> pulumi.Input[str]:
    """The Docker name of a network given as the network or as its name."""
    return network.name if isinstance(network, docker.Network) else network


#: The service's environment variable that names its seed, so that new files replace the service.
REVISION_ENV = "WEBSTACK_CONFIG_REVISION"


def _seeded(name: str, spec: ContainerSpec, opts: pulumi.ResourceOptions) -> docker.Container:
    """A read-only container whose uploads a seed container delivers (see :func:`container`)."""
    mounts = sorted(spec.volumes, key=len, reverse=True)
    outside = [u.path for u in spec.uploads if not any(u.path.startswith(m.rstrip("/") + "/") for m in mounts)]
    if outside:
        raise ValueError(
            f"container {name} has a read-only root: its uploads must be under one of its volume mounts "
            f"({', '.join(sorted(spec.volumes)) or 'none'}), got {outside}"
        )
    seed = container(
        f"{name}-seed",
        ContainerSpec(
            image=spec.seed_image if spec.seed_image is not None else spec.image,
            user=spec.user,
            role=f"{spec.role}-seed",
            networks=[],
            health=None,
            memory_mb=32,
            cpus=0.1,
            entrypoint=["true"],
            command=[],
            uploads=spec.uploads,
            read_only=False,
            volumes=spec.volumes,
            long_running=False,
        ),
        opts,
    )
    return container(
        name,
        replace(spec, uploads=(), envs={**spec.envs, REVISION_ENV: seed.id}),
        pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[seed])),
    )


def _owner(user: str) -> tuple[str | None, str | None]:
    """Numeric owner and group for uploaded files: the container's own uid[:gid] (names would be resolved on the
    machine that runs ``pulumi up``, not in the container)."""
    uid, _, gid = user.partition(":")
    if not uid.isdigit():
        return None, None
    return uid, gid if gid.isdigit() else uid


def _tmpfs(options: str) -> docker.ContainerMountTmpfsOptionsArgs:
    """``size=64m`` style options -> the provider's tmpfs arguments (size in bytes, mode)."""
    size, mode = 64 * 1024 * 1024, 0o1777
    for option in options.split(","):
        key, _, value = option.partition("=")
        if key == "size":
            units = {"k": 1024, "m": 1024**2, "g": 1024**3}
            size = int(value[:-1]) * units[value[-1].lower()] if value[-1].isalpha() else int(value)
        elif key == "mode":
            mode = int(value, 8)
    return docker.ContainerMountTmpfsOptionsArgs(size_bytes=size, mode=mode)


def pinned_image(name: str, reference: str, opts: pulumi.ResourceOptions) -> docker.RemoteImage:
    """Pull ``reference`` (pinned by tag or digest) and keep it on the host; containers run its image id."""
    if ":" not in reference.rsplit("/", 1)[-1] and "@sha256:" not in reference:
        raise ValueError(f"image {reference!r} must be pinned by tag or digest")
    if reference.endswith(":latest"):
        raise ValueError(f"image {reference!r} must be pinned to a version, not latest")
    return docker.RemoteImage(name, name=reference, keep_locally=True, opts=opts)


def built_image(name: str, repository: str, build: BuildSettings, opts: pulumi.ResourceOptions) -> docker.Image:
    """Build ``build`` (an image of the project's own, ``webstack:web.<service>.build``) on the Docker host and keep it
    there, never pushed: tagged ``<repository>:<context tag>`` (components/build_context.py: a new tag exactly when
    the files the build sends change), and run by the image id the build yields (``repo_digest``: "for local
    images, the image ID", pulumi-docker ``Image.repo_digest``)."""
    return docker.Image(
        name,
        image_name=f"{repository}:{context_tag(build)}",
        build=docker_build(build),
        skip_push=True,
        opts=opts,
    )


def labelled_volume(name: str, role: str, opts: pulumi.ResourceOptions) -> docker.Volume:
    """A named volume labelled with its role and the stack; neither protected nor retained unless ``opts`` say so."""
    return docker.Volume(
        name,
        name=container_name(name),
        labels=[
            docker.VolumeLabelArgs(label=ROLE_LABEL, value=role),
            docker.VolumeLabelArgs(label=STACK_LABEL, value=pulumi.get_stack()),
        ],
        opts=opts,
    )


def volume(name: str, role: str, opts: pulumi.ResourceOptions) -> docker.Volume:
    """A named volume for state that must survive container replacement: protected, and kept if the stack is
    destroyed (delete it by hand, after a backup, to really lose the data)."""
    return labelled_volume(
        name, role, pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(protect=True, retain_on_delete=True))
    )


# -- what components hand each other ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class DatabaseEndpoint:
    """How the app reaches the database: the primary for writes, the replicas for reads, over TLS."""

    engine: str
    """``postgres`` or ``mysql``."""
    host: str
    """DNS name of the primary on the data network."""
    replica_hosts: Sequence[str]
    """DNS names of the streaming replicas (reads), on the data network."""
    port: int
    """The port of the primary and of every replica."""
    name: str
    """The application's database."""
    user: str
    """The application's login."""
    password: pulumi.Input[str]
    """The application's password (a secret)."""
    ca_pem: pulumi.Input[str]
    """The CA that signed the servers' certificates: clients verify against it."""


@dataclass(frozen=True)
class CacheEndpoint:
    """How the app reaches Redis."""

    host: str
    """Redis's DNS name on the data network."""
    port: int
    """Redis's port."""
    password: pulumi.Input[str]
    """The password of Redis's default user (a secret)."""


@dataclass(frozen=True)
class StorageEndpoint:
    """The S3-compatible object storage (MinIO) and the app's own credentials, limited to the documents bucket."""

    url: str
    """``https://<host>:<port>`` on the data network."""
    documents_bucket: str
    """The bucket the app keeps its documents in."""
    backups_bucket: str
    """The bucket the backups go to (the app's credentials cannot reach it)."""
    access_key: pulumi.Input[str]
    """The app's access key."""
    secret_key: pulumi.Input[str]
    """The app's secret key (a secret)."""
    ca_pem: pulumi.Input[str]
    """The CA that signed MinIO's certificate: clients verify against it."""


@dataclass(frozen=True)
class ScrapeTarget:
    """Something Prometheus scrapes, on a network Prometheus joins."""

    job: str
    """The Prometheus job it belongs to (its targets share the path and scheme)."""
    address: str
    """``host:port``."""
    metrics_path: str | None = None
    """Where the metrics are served. Default (None): ``/metrics``."""
    scheme: str | None = None
    """``http`` or ``https``. Default (None): ``http``."""
    ca_pem: pulumi.Input[str] | None = None
    """For ``https`` targets: the CA that signed the target's certificate, which Prometheus verifies. Default
    (None): none."""

    def __post_init__(self) -> None:
        # The defaults, filled in: every reader sees the path and scheme Prometheus uses.
        object.__setattr__(self, "metrics_path", self.metrics_path or "/metrics")
        object.__setattr__(self, "scheme", self.scheme or "http")
