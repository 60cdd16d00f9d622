"""The web tier on the docker platform: the frontend and backend services as hardened containers.

Creates ``webstack:web.frontend.desiredCount`` frontend containers on the app network and
``webstack:web.backend.desiredCount`` backend containers on the app and data networks (the frontends never reach the
data network), each with:

- the service's user (never root), every capability dropped, no-new-privileges, a read-only root filesystem with a
  tmpfs at ``/tmp``, the service's CPU (``cpu`` units / 1024) and memory (MiB) as limits, ``restart:
  unless-stopped`` (see :func:`components.docker.common.container`);
- a health check that fetches the service's ``healthCheckPath`` on its port from inside the container, on the load
  balancer's schedule (``webstack:web.healthCheck``);
- the service's ``environment`` plus the runtime environment every platform sets (production mode, no debugging).

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
at ``webstack:monitoring.metricsPath`` (jobs ``frontend`` and ``backend``, :attr:`WebTier.scrape_targets`): a
service's ``up`` is what the UnhealthyTargets and TasksBelowDesired alerts count, so the frontend must answer there
too (an empty 200 answer is a valid, empty scrape).
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_docker as docker

from ..edge_common import CLIENT_ADDRESS_ENV, FORWARDED_FOR_HEADER
from ..settings import RUNTIME_ENVIRONMENT, ServiceSettings, Settings
from .common import (
    CacheEndpoint,
    ContainerSpec,
    DatabaseEndpoint,
    HealthCheck,
    Networks,
    ScrapeTarget,
    StorageEndpoint,
    Upload,
    container,
    labelled_volume,
)
from .migrations import MIGRATION_ENV, app_secret_files, migration
from .nginx import Upstream

WEB_TIER_TYPE = "webstack:docker:WebTier"
SERVICES = ("frontend", "backend")

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


@dataclass(frozen=True)
class WebTierArgs:
    """Inputs of :class:`WebTier`."""

    settings: Settings
    """``web`` (services, health checks) and ``monitoring.metricsPath``."""
    networks: Networks
    frontend_image: pulumi.Input[str]
    """Image id of the pinned frontend image."""
    backend_image: pulumi.Input[str]
    database: DatabaseEndpoint
    """Shard 0's endpoint."""
    cache: CacheEndpoint
    storage: StorageEndpoint
    shard_map: str = ""
    """The shard map (JSON), delivered to the backends as :data:`SHARD_MAP_FILE`; empty: none."""
    shard_passwords: Sequence[pulumi.Output[str]] = ()
    """Each shard's app password (secrets), delivered together as :data:`SHARD_PASSWORDS_FILE`."""
    app_secrets: Mapping[str, Mapping[str, pulumi.Input[str]]] = field(default_factory=dict)
    """Per service, the application's secrets (``webstack:appSecrets``): delivered as ``<NAME>_FILE`` files."""
    volumes: Mapping[str, docker.Volume] = field(default_factory=dict)
    """Per service, its persistent volume (``webstack:app.<service>.volume``), mounted in its containers."""


def config_volume(name: str, role: str, opts: pulumi.ResourceOptions) -> docker.Volume:
    """A small volume for the files a read-only container receives at creation (configuration, certificates,
    credentials). Unlike :func:`components.docker.common.volume` it is neither protected nor retained: it holds
    nothing the next deployment does not upload again, so it goes with its container (and scaling in never trips
    over a protected volume)."""
    return labelled_volume(name, role, opts)


def service_environment(
    service: ServiceSettings, computed: Mapping[str, pulumi.Input[str]] | None = None
) -> dict[str, pulumi.Input[str]]:
    """The service's own environment, then what the program computed (endpoints), then the runtime environment every
    platform sets: later entries win, so settings can neither redirect a connection nor turn debugging on."""
    return {**service.environment, **(computed or {}), **RUNTIME_ENVIRONMENT, **EXTRA_RUNTIME_ENVIRONMENT}


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


def health_check(settings: Settings, service: ServiceSettings) -> HealthCheck:
    """:data:`HEALTH_COMMAND` against the service's health path, on the load balancer's schedule."""
    schedule = settings.web.health_check
    return HealthCheck(
        test=[HEALTH_COMMAND.format(port=service.port, path=service.health_check_path)],
        interval_seconds=schedule.interval_seconds,
        timeout_seconds=schedule.timeout_seconds,
        retries=schedule.unhealthy_threshold,
        start_period_seconds=HEALTH_START_PERIOD_SECONDS,
        shell=True,
    )


class WebTier(pulumi.ComponentResource):
    """The frontend and backend containers."""

    frontends: list[docker.Container]
    backends: list[docker.Container]
    frontend_hosts: list[str]
    """``alias:port`` of each frontend on the app network (the load balancer's upstream members)."""
    backend_hosts: list[str]
    """``alias:port`` of each backend on the app network."""
    frontend: Upstream
    """The frontends as the load balancer reaches them: the shared alias and each member."""
    backend: Upstream
    scrape_targets: list[ScrapeTarget]
    """Each frontend's and each backend's metrics endpoint (jobs ``frontend`` and ``backend``)."""

    def __init__(self, name: str, args: WebTierArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(WEB_TIER_TYPE, name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)
        networks = args.networks
        frontend, backend = settings.web.frontend, settings.web.backend

        metrics_path = settings.monitoring.metrics_path
        app_files = {service: app_secret_files(args.app_secrets.get(service, {})) for service in SERVICES}
        persistent = {
            service: {volume_settings.path: args.volumes[service]}
            for service in SERVICES
            if service in args.volumes and (volume_settings := settings.app.service(service).volume) is not None
        }
        self.frontends, self.frontend_hosts, self.scrape_targets = [], [], []
        front_uploads, front_environment = app_files["frontend"]
        for index in range(1, frontend.desired_count + 1):
            alias = f"{name}-frontend-{index}"
            front_volumes = dict(persistent.get("frontend", {}))
            if front_uploads:
                front_volumes[SECRETS_DIR] = config_volume(f"{alias}-secrets", "frontend", child)
            self.frontends.append(
                self._service(
                    alias,
                    "frontend",
                    settings,
                    frontend,
                    args.frontend_image,
                    [networks.app],
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

        back_uploads, back_environment = app_files["backend"]
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
        self.migration: docker.Container | None = None
        command = settings.app.migration.command
        if command:
            spec = ContainerSpec(
                image=args.backend_image,
                user=backend.user,
                role="backend",
                networks=[networks.app, networks.data],
                health=None,
                memory_mb=backend.memory,
                cpus=backend.cpu / 1024,
                envs=service_environment(backend, environment),
                uploads=uploads,
                tmpfs=TMPFS,
            )
            secrets_volume = config_volume(f"{name}-migrate-secrets", "migration", child)
            self.migration, gate = migration(f"{name}-migrate", spec, command, {SECRETS_DIR: secrets_volume}, child)
            environment[MIGRATION_ENV] = gate
        self.backends, self.backend_hosts = [], []
        for index in range(1, backend.desired_count + 1):
            alias = f"{name}-backend-{index}"
            secrets = config_volume(f"{alias}-secrets", "backend", child)
            self.backends.append(
                self._service(
                    alias,
                    "backend",
                    settings,
                    backend,
                    args.backend_image,
                    [networks.app, networks.data],
                    environment,
                    child,
                    uploads=uploads,
                    volumes={SECRETS_DIR: secrets, **persistent.get("backend", {})},
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
        settings: Settings,
        service: ServiceSettings,
        image: pulumi.Input[str],
        networks: Sequence[docker.Network],
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
                image=image,
                user=service.user,
                role=role,
                networks=networks,
                health=health_check(settings, service),
                memory_mb=service.memory,
                cpus=service.cpu / 1024,
                envs=service_environment(service, environment),
                uploads=uploads,
                tmpfs=TMPFS,
                volumes=volumes or {},
                aliases=[alias, shared_alias],
            ),
            opts,
        )
