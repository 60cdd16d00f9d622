"""The web tier on the docker platform: the frontend and backend services as hardened containers.

Creates the frontend's ``desired_count`` containers on the app network and the backend's on the app and data networks
(the frontends never reach the data network; the stack sets each service from ``webstack:web.<service>``), each
with:

- the service's user (never root), every capability dropped, no-new-privileges, a read-only root filesystem with a
  tmpfs at ``/tmp``, the service's CPU (``cpu`` units / 1024) and memory (MiB) as limits, ``restart:
  unless-stopped`` (see :func:`components.docker.common.container`);
- a health check that fetches the service's ``health_check_path`` on its port from inside the container, on the
  Args' schedule (the stack's load-balancer schedule, ``webstack:web.healthCheck``);
- the service's ``environment`` plus the runtime environment every platform sets (production mode, no debugging);
- the service's ``secrets`` as files (see :mod:`components.docker.migrations`), and its persistent ``volume``.

The backends also receive where their data lives (database primary and replicas over verified TLS, cache, object
storage) and which header carries their client's address (``WEBSTACK_CLIENT_ADDRESS_HEADER``: X-Forwarded-For,
which nginx sets to the client's address alone) as plain settings, and the credentials as files: each backend
mounts a small config volume at :data:`SECRETS_DIR`, where the database and cache passwords, the object-storage keys
and the CAs are uploaded at creation, and the environment only names them (``DATABASE_PASSWORD_FILE``,
``REDIS_PASSWORD_FILE``, ``S3_ACCESS_KEY_FILE``, ``S3_SECRET_KEY_FILE``, ``DATABASE_CA_FILE``, ``S3_CA_FILE``). The
frontends get no credential at all.

Every container of a service also answers to the service's shared alias on the app network (``<name>-frontend``,
``<name>-backend``; Docker's DNS answers a shared alias with every member's address): the load balancer resolves it
per request (:attr:`WebTier.frontend`, :attr:`WebTier.backend`, see :mod:`components.docker.nginx`), and each
container's own alias (``<name>-frontend-1``, ...) for stickiness. Prometheus scrapes each frontend and each backend
at ``metrics_path`` (``webstack:monitoring.metricsPath``; jobs ``frontend`` and ``backend``,
:attr:`WebTier.scrape_targets`): a service's ``up`` is what the UnhealthyTargets and TasksBelowDesired alerts count,
so the frontend must answer there too (an empty 200 answer is a valid, empty scrape).
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_docker as docker

from ..edge_common import CLIENT_ADDRESS_ENV, FORWARDED_FOR_HEADER
from ..settings import RUNTIME_ENVIRONMENT
from .common import (
    CacheEndpoint,
    ContainerSpec,
    DatabaseEndpoint,
    HealthCheck,
    ScrapeTarget,
    StorageEndpoint,
    Upload,
    container,
    labelled_volume,
)
from .migrations import MIGRATION_ENV, app_secret_files, migration
from .nginx import Upstream

WEB_TIER_TYPE = "webstack:docker:WebTier"

#: The health check, run by Docker inside the container through ``/bin/sh -c``. It assumes the service image has
#: ``wget`` (BusyBox's in Alpine-based images, GNU wget in Debian-based ones); images without it (distroless,
#: slim Debian) need another command here, e.g. ``curl -fsS -o /dev/null http://127.0.0.1:{port}{path} || exit 1``
#: or the runtime's own (``node -e ...``, ``python -c ...``).
HEALTH_COMMAND = "wget -q -O /dev/null http://127.0.0.1:{port}{path} || exit 1"
#: Seconds a starting container has before failed checks count against it.
HEALTH_START_PERIOD_SECONDS = 30

#: Set in every service besides :data:`components.settings.RUNTIME_ENVIRONMENT` (which the aws platform sets too):
#: frameworks that read APP_ENV (Laravel, Symfony and others) start in production mode as well.
EXTRA_RUNTIME_ENVIRONMENT = {"APP_ENV": "production"}

#: Writable scratch space of every web container (the root filesystem is read-only).
TMPFS = {"/tmp": "size=128m,mode=1777"}

#: Where a backend finds its credentials and CAs (a per-container config volume; the root filesystem is read-only).
SECRETS_DIR = "/run/webstack"
DATABASE_PASSWORD_FILE = f"{SECRETS_DIR}/database-password"
DATABASE_CA_FILE = f"{SECRETS_DIR}/database-ca.pem"
REDIS_PASSWORD_FILE = f"{SECRETS_DIR}/redis-password"
S3_ACCESS_KEY_FILE = f"{SECRETS_DIR}/s3-access-key"
S3_SECRET_KEY_FILE = f"{SECRETS_DIR}/s3-secret-key"
S3_CA_FILE = f"{SECRETS_DIR}/s3-ca.pem"
#: The shard map (components/shard_map.py's document), and each shard's app password (a JSON list, by shard index).
SHARD_MAP_FILE = f"{SECRETS_DIR}/shard-map.json"
SHARD_PASSWORDS_FILE = f"{SECRETS_DIR}/shard-passwords.json"


#: Credentials: readable by their owner only. CAs are public.
SECRET_MODE = "0400"
PUBLIC_MODE = "0444"

#: The TLS mode that makes the client verify the server's certificate and name, per engine.
SSL_MODES = {"postgres": "verify-full", "mysql": "VERIFY_IDENTITY"}
#: The cache endpoint carries no CA: the cache is reached in plaintext on the internal data network.
REDIS_TLS = "false"
#: MinIO's region (path-style addressing: the bucket is not a DNS name on the data network).
S3_REGION = "us-east-1"


#: A service's size, count, user and probe unless its Args say otherwise (the guides' smallest service).
DESIRED_COUNT = 2
CPU_UNITS = 512
MEMORY_MB = 1024
USER = "1000:1000"
HEALTH_CHECK_PATH = "/health"
#: The health check's schedule unless the Args say otherwise (the guides: every 30 s, 10 s timeout, 3 failures).
HEALTH_CHECK_INTERVAL_SECONDS = 30
HEALTH_CHECK_TIMEOUT_SECONDS = 10
HEALTH_CHECK_RETRIES = 3
METRICS_PATH = "/metrics"


@dataclass(frozen=True)
class WebServiceArgs:
    """One service of the web tier (the frontend or the backend): its image, size and count, as containers."""

    image: pulumi.Input[str]
    """Image id of the service's pinned (or built) image."""
    port: int
    """The port the service listens on in its containers (1024-65535: it runs unprivileged)."""
    desired_count: int | None = None
    """Containers to run. Default (None): 2."""
    cpu: int | None = None
    """CPU units per container (1024 = one CPU), a limit. Default (None): 512."""
    memory: int | None = None
    """Memory per container in MiB, a limit. Default (None): 1024."""
    user: str | None = None
    """The user (``uid:gid``) the containers run as; never root. Default (None): ``1000:1000``."""
    health_check_path: str | None = None
    """The path the containers' health check fetches on ``port``. Default (None): ``/health``."""
    environment: Mapping[str, str] | None = None
    """Plain environment variables (never credentials); the runtime's production settings are set over them.
    Default (None): none."""
    secrets: Mapping[str, pulumi.Input[str]] | None = None
    """The application's secrets: each delivered as a 0400 file, named by a ``<NAME>_FILE`` variable, never an
    environment value. Default (None): none."""
    volume: docker.Volume | None = None
    """A persistent volume mounted at ``volume_path`` in every container. Default (None): none."""
    volume_path: str | None = None
    """Where ``volume`` is mounted; required with it."""


@dataclass(frozen=True)
class _Service:
    """A service's Args with their defaults."""

    image: pulumi.Input[str]
    port: int
    desired_count: int
    cpu: int
    memory: int
    user: str
    health_check_path: str
    environment: Mapping[str, str]
    secrets: Mapping[str, pulumi.Input[str]]
    volumes: Mapping[str, docker.Volume]


def _service_of(field: str, args: WebServiceArgs) -> _Service:
    if (args.volume is None) != (args.volume_path is None):
        raise ValueError(f"WebTierArgs.{field}.volume and volume_path go together")
    count = args.desired_count if args.desired_count is not None else DESIRED_COUNT
    if count < 1:
        raise ValueError(f"WebTierArgs.{field}.desired_count must be at least 1, got {count}")
    return _Service(
        image=args.image,
        port=args.port,
        desired_count=count,
        cpu=args.cpu if args.cpu is not None else CPU_UNITS,
        memory=args.memory if args.memory is not None else MEMORY_MB,
        user=args.user if args.user is not None else USER,
        health_check_path=args.health_check_path if args.health_check_path is not None else HEALTH_CHECK_PATH,
        environment=args.environment or {},
        secrets=args.secrets or {},
        volumes={args.volume_path: args.volume} if args.volume is not None and args.volume_path is not None else {},
    )


@dataclass(frozen=True)
class WebTierArgs:
    """Inputs of :class:`WebTier`."""

    app_network: pulumi.Input[str]
    """The Docker name of the internal ``app`` network, where the load balancer reaches both services."""
    data_network: pulumi.Input[str]
    """The Docker name of the internal ``data`` network, where the backends reach the data stores (the frontends
    never join it)."""
    frontend: WebServiceArgs
    """The frontend service."""
    backend: WebServiceArgs
    """The backend (API) service: it alone receives where the data lives and the credentials."""
    database: DatabaseEndpoint
    """Shard 0's endpoint."""
    cache: CacheEndpoint
    """The cache's endpoint."""
    storage: StorageEndpoint
    """The object storage's endpoint and the app's keys."""
    health_check_interval_seconds: int | None = None
    """Seconds between the containers' health checks. Default (None): 30."""
    health_check_timeout_seconds: int | None = None
    """Seconds before a check counts as failed; less than the interval. Default (None): 10."""
    health_check_retries: int | None = None
    """Consecutive failures before a container is unhealthy. Default (None): 3."""
    metrics_path: str | None = None
    """Where Prometheus scrapes each container (:attr:`WebTier.scrape_targets`). Default (None): ``/metrics``."""
    migration_command: Sequence[str] | None = None
    """A command (exec list) run once from the backend's image, with its environment and files, before the backends
    of a new version start; a non-zero exit fails the update. Default (None): no migration."""
    shard_map: str | None = None
    """The shard map (JSON), delivered to the backends as :data:`SHARD_MAP_FILE`. Default (None): none."""
    shard_passwords: Sequence[pulumi.Input[str]] | None = None
    """Each shard's app password (secrets), delivered together as :data:`SHARD_PASSWORDS_FILE`. Default (None):
    none."""


def config_volume(name: str, role: str, opts: pulumi.ResourceOptions) -> docker.Volume:
    """A small volume for the files a read-only container receives at creation (configuration, certificates,
    credentials). Unlike :func:`components.docker.common.volume` it is neither protected nor retained: it holds
    nothing the next deployment does not upload again, so it goes with its container (and scaling in never trips
    over a protected volume)."""
    return labelled_volume(name, role, opts)


def service_environment(
    environment: Mapping[str, str], computed: Mapping[str, pulumi.Input[str]] | None = None
) -> dict[str, pulumi.Input[str]]:
    """The service's own environment, then what the program computed (endpoints), then the runtime environment every
    platform sets: later entries win, so settings can neither redirect a connection nor turn debugging on."""
    return {**environment, **(computed or {}), **RUNTIME_ENVIRONMENT, **EXTRA_RUNTIME_ENVIRONMENT}


def backend_environment(database: DatabaseEndpoint, cache: CacheEndpoint, storage: StorageEndpoint) -> dict[str, str]:
    """Where the backend finds its data, and the files that hold its credentials; never a credential itself. Names
    follow the aws platform's (``DATABASE_SSL_MODE``, ``DOCUMENTS_BUCKET``, ...) with the usual aliases."""
    ssl_mode = SSL_MODES[database.engine]
    return {
        "DATABASE_ENGINE": database.engine,
        "DATABASE_HOST": database.host,
        "DATABASE_READ_HOSTS": ",".join(database.replica_hosts),
        "DATABASE_PORT": str(database.port),
        "DATABASE_NAME": database.name,
        "DATABASE_USER": database.user,
        "DATABASE_SSL_MODE": ssl_mode,
        "DATABASE_SSLMODE": ssl_mode,
        "DATABASE_CA_FILE": DATABASE_CA_FILE,
        "DATABASE_PASSWORD_FILE": DATABASE_PASSWORD_FILE,
        "REDIS_HOST": cache.host,
        "REDIS_PORT": str(cache.port),
        "REDIS_TLS": REDIS_TLS,
        "REDIS_PASSWORD_FILE": REDIS_PASSWORD_FILE,
        "S3_ENDPOINT": storage.url,
        "S3_REGION": S3_REGION,
        "S3_FORCE_PATH_STYLE": "true",
        "S3_BUCKET": storage.documents_bucket,
        "DOCUMENTS_BUCKET": storage.documents_bucket,
        "S3_CA_FILE": S3_CA_FILE,
        "AWS_CA_BUNDLE": S3_CA_FILE,
        "S3_ACCESS_KEY_FILE": S3_ACCESS_KEY_FILE,
        "S3_SECRET_KEY_FILE": S3_SECRET_KEY_FILE,
        CLIENT_ADDRESS_ENV: FORWARDED_FOR_HEADER,
    }


def backend_uploads(database: DatabaseEndpoint, cache: CacheEndpoint, storage: StorageEndpoint) -> list[Upload]:
    """The backend's credential and CA files; credentials are uploaded as secrets, readable by their owner only."""
    return [
        Upload(DATABASE_PASSWORD_FILE, pulumi.Output.secret(database.password), SECRET_MODE),
        Upload(DATABASE_CA_FILE, database.ca_pem, PUBLIC_MODE),
        Upload(REDIS_PASSWORD_FILE, pulumi.Output.secret(cache.password), SECRET_MODE),
        Upload(S3_ACCESS_KEY_FILE, pulumi.Output.secret(storage.access_key), SECRET_MODE),
        Upload(S3_SECRET_KEY_FILE, pulumi.Output.secret(storage.secret_key), SECRET_MODE),
        Upload(S3_CA_FILE, storage.ca_pem, PUBLIC_MODE),
    ]


def health_check(args: WebTierArgs, service: _Service) -> HealthCheck:
    """:data:`HEALTH_COMMAND` against the service's health path, on the Args' schedule."""
    interval = _or(args.health_check_interval_seconds, HEALTH_CHECK_INTERVAL_SECONDS)
    timeout = _or(args.health_check_timeout_seconds, HEALTH_CHECK_TIMEOUT_SECONDS)
    if timeout >= interval:
        raise ValueError(
            f"WebTierArgs.health_check_timeout_seconds must be less than the interval ({interval}), got {timeout}"
        )
    return HealthCheck(
        test=[HEALTH_COMMAND.format(port=service.port, path=service.health_check_path)],
        interval_seconds=interval,
        timeout_seconds=timeout,
        retries=_or(args.health_check_retries, HEALTH_CHECK_RETRIES),
        start_period_seconds=HEALTH_START_PERIOD_SECONDS,
        shell=True,
    )


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


class WebTier(pulumi.ComponentResource):
    """The frontend and backend containers."""

    frontends: list[docker.Container]
    """The frontend containers."""
    backends: list[docker.Container]
    """The backend containers."""
    frontend_hosts: list[str]
    """``alias:port`` of each frontend on the app network (the load balancer's upstream members)."""
    backend_hosts: list[str]
    """``alias:port`` of each backend on the app network."""
    frontend: Upstream
    """The frontends as the load balancer reaches them: the shared alias and each member."""
    backend: Upstream
    """The backends as the load balancer reaches them: the shared alias and each member."""
    scrape_targets: list[ScrapeTarget]
    """Each frontend's and each backend's metrics endpoint (jobs ``frontend`` and ``backend``)."""

    def __init__(self, name: str, args: WebTierArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        frontend, backend = _service_of("frontend", args.frontend), _service_of("backend", args.backend)
        front_health, back_health = health_check(args, frontend), health_check(args, backend)
        super().__init__(WEB_TIER_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        metrics_path = args.metrics_path if args.metrics_path is not None else METRICS_PATH
        self.frontends, self.frontend_hosts, self.scrape_targets = [], [], []
        front_uploads, front_environment = app_secret_files(frontend.secrets)
        for index in range(1, frontend.desired_count + 1):
            alias = f"{name}-frontend-{index}"
            front_volumes = dict(frontend.volumes)
            if front_uploads:
                front_volumes[SECRETS_DIR] = config_volume(f"{alias}-secrets", "frontend", child)
            self.frontends.append(
                self._service(
                    alias,
                    "frontend",
                    frontend,
                    front_health,
                    [args.app_network],
                    front_environment,
                    child,
                    uploads=front_uploads,
                    volumes=front_volumes,
                    shared_alias=f"{name}-frontend",
                )
            )
            self.frontend_hosts.append(f"{alias}:{frontend.port}")
            self.scrape_targets.append(
                ScrapeTarget(job="frontend", address=f"{alias}:{frontend.port}", metrics_path=metrics_path)
            )

        back_uploads, back_environment = app_secret_files(backend.secrets)
        environment: dict[str, pulumi.Input[str]] = {
            **backend_environment(args.database, args.cache, args.storage),
            **back_environment,
        }
        uploads = [*backend_uploads(args.database, args.cache, args.storage), *back_uploads]
        if args.shard_map:
            environment["SHARD_MAP_FILE"] = SHARD_MAP_FILE
            uploads.append(Upload(SHARD_MAP_FILE, args.shard_map, PUBLIC_MODE))
        if args.shard_passwords:
            environment["SHARD_PASSWORDS_FILE"] = SHARD_PASSWORDS_FILE
            passwords = pulumi.Output.all(*args.shard_passwords).apply(lambda values: json.dumps(list(values)))
            uploads.append(Upload(SHARD_PASSWORDS_FILE, pulumi.Output.secret(passwords), SECRET_MODE))
        back_networks = [args.app_network, args.data_network]
        self.migration: docker.Container | None = None
        """The run-once migration container (with ``migration_command``)."""
        if args.migration_command:
            spec = ContainerSpec(
                image=backend.image,
                user=backend.user,
                role="backend",
                networks=back_networks,
                health=None,
                memory_mb=backend.memory,
                cpus=backend.cpu / 1024,
                envs=service_environment(backend.environment, environment),
                uploads=uploads,
                tmpfs=TMPFS,
            )
            secrets_volume = config_volume(f"{name}-migrate-secrets", "migration", child)
            self.migration, gate = migration(
                f"{name}-migrate", spec, args.migration_command, {SECRETS_DIR: secrets_volume}, child
            )
            environment[MIGRATION_ENV] = gate
        self.backends, self.backend_hosts = [], []
        for index in range(1, backend.desired_count + 1):
            alias = f"{name}-backend-{index}"
            secrets = config_volume(f"{alias}-secrets", "backend", child)
            self.backends.append(
                self._service(
                    alias,
                    "backend",
                    backend,
                    back_health,
                    back_networks,
                    environment,
                    child,
                    uploads=uploads,
                    volumes={SECRETS_DIR: secrets, **backend.volumes},
                    shared_alias=f"{name}-backend",
                )
            )
            self.backend_hosts.append(f"{alias}:{backend.port}")
            self.scrape_targets.append(
                ScrapeTarget(job="backend", address=f"{alias}:{backend.port}", metrics_path=metrics_path)
            )
        self.containers: list[docker.Container] = [
            *self.frontends,
            *self.backends,
            *([self.migration] if self.migration is not None else []),
        ]
        """Every container the tier runs (what the load balancer waits for)."""
        self.frontend = Upstream(service=f"{name}-frontend:{frontend.port}", members=tuple(self.frontend_hosts))
        self.backend = Upstream(service=f"{name}-backend:{backend.port}", members=tuple(self.backend_hosts))

        self.register_outputs(
            {
                "frontendHosts": self.frontend_hosts,
                "backendHosts": self.backend_hosts,
                "frontendContainers": [c.name for c in self.frontends],
                "backendContainers": [c.name for c in self.backends],
            }
        )

    @staticmethod
    def _service(
        alias: str,
        role: str,
        service: _Service,
        health: HealthCheck,
        networks: Sequence[pulumi.Input[str]],
        environment: Mapping[str, pulumi.Input[str]],
        opts: pulumi.ResourceOptions,
        *,
        uploads: Sequence[Upload] = (),
        volumes: Mapping[str, docker.Volume] | None = None,
        shared_alias: str,
    ) -> docker.Container:
        return container(
            alias,
            ContainerSpec(
                image=service.image,
                user=service.user,
                role=role,
                networks=networks,
                health=health,
                memory_mb=service.memory,
                cpus=service.cpu / 1024,
                envs=service_environment(service.environment, environment),
                uploads=uploads,
                tmpfs=TMPFS,
                volumes=volumes or {},
                aliases=[alias, shared_alias],
            ),
            opts,
        )
