"""The docker platform's composition: one Docker host runs what the aws platform spreads over managed services.

edge network: nginx (the only public ports) -> app network: frontend x N, backend x M -> data network: PostgreSQL
(or MySQL) shards, each a primary and its streaming replicas, Redis, MinIO, the backup job and the exporters; admin
network: Prometheus, Alertmanager and Grafana on loopback ports. Every image is pulled pinned, or built on the host
from the project (the web services' ``webstack:web.<service>.build``, such as the reference application in ``app/``);
every credential is generated.

With ``webstack:cdn.enabled`` the same ``Cdn`` component as on aws fronts the server (zone settings, rulesets,
records), with the ``cloudflare`` provider, and the origin is reachable by Cloudflare only: through a Cloudflare
Tunnel whose connector (``cloudflared``) dials out, with no port published (``webstack:cdn.origin`` ``tunnel``, the
default), or on 443 from Cloudflare's ranges with its origin-pull certificate (``direct``).
"""

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_docker as docker

from ..cdn_compose import cache_purge
from ..naming import Naming
from ..settings import APP_SERVICES, RateLimit, Settings, StackSecrets
from .backups import Backups, BackupsArgs, BackupShardArgs
from .cache import Cache, CacheArgs
from .common import CacheEndpoint, DatabaseEndpoint, ScrapeTarget, StorageEndpoint, built_image, pinned_image, volume
from .database import Database, DatabaseArgs, shard_map_document, shard_map_text
from .database_config import shard_name
from .images import backup_image, image_for
from .load_balancer import LoadBalancer, LoadBalancerArgs
from .monitoring import Monitoring, MonitoringArgs
from .network import Network, NetworkArgs
from .nginx import Proxy, RateLimitArgs, Upstream
from .storage import ObjectStorage, ObjectStorageArgs
from .tls_ca import InternalCa, InternalCaArgs
from .tunnel import ORIGIN_CA_FILE, Tunnel, TunnelArgs
from .web_tier import WebServiceArgs, WebTier, WebTierArgs

if TYPE_CHECKING:  # the Cloudflare SDK is imported only when the CDN is on (it is slow to import)
    import pulumi_cloudflare as cloudflare

    from ..cdn import Cdn

#: Image roles the platform pulls, besides the web services' own images.
ROLES = (
    "nginx",
    "redis",
    "redisExporter",
    "minio",
    "mc",
    "prometheus",
    "alertmanager",
    "grafana",
    "cadvisor",
    "nodeExporter",
)


def build(settings: Settings, secrets: StackSecrets) -> dict[str, Any]:
    """Build the stack on Docker; returns the stack outputs."""
    provider = docker.Provider("docker", host=settings.docker.host or None)
    opts = pulumi.ResourceOptions(provider=provider)
    origin = settings.cdn_origin
    engine = settings.database.engine
    exporter_role = "postgresExporter" if engine == "postgres" else "mysqlExporter"
    roles = (*ROLES, engine, exporter_role, *(("cloudflared",) if origin == "tunnel" else ()))
    images = {
        role: pinned_image(
            f"image-{role.lower()}", image_for(role, settings.docker.images, settings.database.version), opts
        ).image_id
        for role in roles
    }
    backup_reference = backup_image(engine, settings.docker.images, settings.database.version)
    if backup_reference == image_for(engine, settings.docker.images, settings.database.version):
        images["backup"] = images[engine]
    else:
        images["backup"] = pinned_image("image-backup", backup_reference, opts).image_id
    web_images = {
        name: built_image(
            f"image-{name}", f"{settings.project}-{settings.stack}/{name}".lower(), service.build, opts
        ).repo_digest
        if service.build is not None
        else pinned_image(f"image-{name}", service.image, opts).image_id
        for name, service in (("frontend", settings.web.frontend), ("backend", settings.web.backend))
    }

    tunnel_subnet = settings.docker.tunnel_subnet if origin == "tunnel" else None
    network = Network("network", NetworkArgs(tunnel_subnet=tunnel_subnet), opts)
    networks = network.networks
    cloudflare_provider = _cloudflare(secrets) if settings.cdn.enabled else None
    # One internal CA signs every server certificate on the data network; clients verify against it.
    ca = InternalCa("ca", InternalCaArgs(), opts=opts)
    # Shard 0 is the component "database", as before sharding: its containers and volumes keep their names.
    shards = database_shards(settings, network.data_network, images[engine], images[exporter_role], ca, opts)
    database = shards[0]
    cache = Cache(
        "cache",
        CacheArgs(
            data_network=network.data_network,
            image=images["redis"],
            exporter_image=images["redisExporter"],
            maxmemory_policy=settings.cache.maxmemory_policy,
            ca_cert_pem=ca.cert_pem,
            ca_key_pem=ca.key_pem,
        ),
        opts,
    )
    storage = ObjectStorage(
        "storage",
        storage_args(settings, network.data_network, images["minio"], images["mc"], ca),
        opts,
    )
    web = WebTier(
        "web",
        web_tier_args(
            settings,
            web_images,
            app_network=network.app_network,
            data_network=network.data_network,
            database=database.endpoint,
            cache=cache.endpoint,
            storage=storage.endpoint,
            shard_map=shard_map_json(settings, shards),
            shard_passwords=[shard.endpoint.password for shard in shards],
            app_secrets=secrets.app,
            volumes=persistent_volumes(settings, opts),
        ),
        opts,
    )
    edge = LoadBalancer(
        "edge",
        load_balancer_args(
            settings,
            images["nginx"],
            (web.frontend, web.backend),
            edge_network=network.edge_network,
            app_network=network.app_network,
            tunnel_network=network.tunnel_network,
            # nginx resolves the web services per request; created after them, its first requests find them.
            depends_on=web.containers,
            cloudflare_ranges=(
                _ranges(cloudflare_provider) if cloudflare_provider is not None and origin == "direct" else ()
            ),
        ),
        opts,
    )
    cdn = _cdn(settings, cloudflare_provider, edge) if cloudflare_provider is not None else None
    if cdn is not None and cdn.tunnel is not None:
        Tunnel(
            "tunnel",
            TunnelArgs(
                edge_network=network.edge_network,
                tunnel_network=_required(network.tunnel_network, "the tunnel network"),
                image=images["cloudflared"],
                token=cdn.tunnel.token,
                origin_ca_pem=edge.certificate_pem,
                seed_image=images["nginx"],
            ),
            opts,
        )
    if cdn is not None:
        # A deployment that changes a service's image purges the zone's cache once the services and nginx run it.
        cache_purge(
            settings.cdn,
            secrets.cloudflare_api_token,
            triggers=[container.image for container in web.containers],
            after=[*web.containers, edge.container],
        )
    backups = Backups(
        "backups",
        backups_args(
            settings,
            network.data_network,
            (images["backup"], images["mc"], images["nodeExporter"]),
            shards,
            storage,
        ),
        opts,
    )
    monitoring = Monitoring(
        "monitoring",
        monitoring_args(
            settings,
            images,
            app_network=network.app_network,
            data_network=network.data_network,
            admin_network=network.admin_network,
            targets=[
                *web.scrape_targets,
                *(target for shard in shards for target in shard.scrape_targets),
                *cache.scrape_targets,
                *storage.scrape_targets,
                *backups.scrape_targets,
            ],
            webhook_url=secrets.alert_webhook_url,
        ),
        opts,
    )
    outputs: dict[str, Any] = {
        "url": edge.url,
        "grafanaUrl": monitoring.grafana_url,
        "prometheusUrl": monitoring.prometheus_url,
        "alertmanagerUrl": monitoring.alertmanager_url,
        "grafanaAdminPassword": pulumi.Output.secret(monitoring.admin_password),
        "restoreCommand": backups.restore_instructions,
        "shardMap": docker_shard_map(settings, shards),
        "networks": {"edge": networks.edge.name, "app": networks.app.name, "data": networks.data.name},
    }
    if cdn is not None:
        outputs["cdnZoneId"] = cdn.zone_id
        outputs["cdnRulesets"] = {label: ruleset.id for label, ruleset in cdn.rulesets.items()}
    return outputs


# -- the data tier -----------------------------------------------------------------------------------------------------
def database_args(
    settings: Settings,
    data_network: pulumi.Input[str],
    image: pulumi.Input[str],
    exporter_image: pulumi.Input[str],
    ca: InternalCa | None = None,
    shard: int = 0,
) -> DatabaseArgs:
    """Shard ``shard`` as ``webstack:database`` describes it (engine, port, replicas, names), its certificates from
    the stack's CA ``ca`` (None: its own)."""
    database = settings.database
    return DatabaseArgs(
        data_network=data_network,
        image=image,
        exporter_image=exporter_image,
        engine=database.engine,
        port=database.effective_port,
        replicas=database.replicas,
        database_name=database.database_name,
        master_username=database.master_username,
        shard=shard,
        ca_cert_pem=ca.cert_pem if ca is not None else None,
        ca_key_pem=ca.key_pem if ca is not None else None,
    )


def database_shards(
    settings: Settings,
    data_network: pulumi.Input[str],
    image: pulumi.Input[str],
    exporter_image: pulumi.Input[str],
    ca: InternalCa | None,
    opts: pulumi.ResourceOptions | None = None,
) -> list[Database]:
    """``webstack:database.shards`` independent shards (see :mod:`components.docker.database` for their names)."""
    return [
        Database(shard_name(index), database_args(settings, data_network, image, exporter_image, ca, index), opts)
        for index in range(settings.database.shards)
    ]


def storage_args(
    settings: Settings,
    data_network: pulumi.Input[str],
    image: pulumi.Input[str],
    mc_image: pulumi.Input[str],
    ca: InternalCa | None = None,
) -> ObjectStorageArgs:
    """MinIO with the retention of ``webstack:backups`` (daily dumps, object lock), ``webstack:docker`` (weekly
    dumps) and ``webstack:storage`` (old document versions), its certificate from the stack's CA ``ca``."""
    lock = settings.backups.object_lock
    return ObjectStorageArgs(
        data_network=data_network,
        image=image,
        mc_image=mc_image,
        daily_retention_days=settings.backups.daily_retention_days,
        weekly_retention_days=settings.docker.weekly_retention_days,
        noncurrent_version_days=settings.storage.noncurrent_version_days,
        object_lock_mode=lock.mode,
        object_lock_days=lock.days,
        ca_cert_pem=ca.cert_pem if ca is not None else None,
        ca_key_pem=ca.key_pem if ca is not None else None,
    )


def backups_args(
    settings: Settings,
    data_network: pulumi.Input[str],
    images: tuple[pulumi.Input[str], pulumi.Input[str], pulumi.Input[str]],
    shards: list[Database],
    storage: ObjectStorage,
) -> BackupsArgs:
    """The daily dump of every shard at ``webstack:docker.backupHourUtc`` into ``storage``'s backups bucket, on the
    ``images`` of the roles ``backup``, ``mc`` and ``nodeExporter``, in that order."""
    database = settings.database
    return BackupsArgs(
        data_network=data_network,
        backup_image=images[0],
        mc_image=images[1],
        metrics_image=images[2],
        shards=[
            BackupShardArgs(
                host=shard.host,
                backup_password=shard.backup_password,
                primary_container_name=shard.primary_container_name,
                backup_user=shard.backup_user,
                primary=shard.primary,
            )
            for shard in shards
        ],
        database_ca_pem=shards[0].ca_pem,
        storage_host=storage.host,
        storage_ca_pem=storage.ca_pem,
        storage_access_key=storage.backup_access_key,
        storage_secret_key=storage.backup_secret_key,
        engine=database.engine,
        port=database.effective_port,
        database_name=database.database_name,
        master_username=database.master_username,
        backup_hour_utc=settings.docker.backup_hour_utc,
        storage_setup=storage.setup,
    )


def docker_shard_map(settings: Settings, shards: list[Database]) -> dict[str, Any]:
    """The shard map of ``shards`` with ``webstack:database``'s table routing and hash ring."""
    return shard_map_document(shards, settings.database.tables, settings.database.virtual_nodes)


def shard_map_json(settings: Settings, shards: list[Database]) -> str:
    """The shard map as the file the backend reads."""
    return shard_map_text(docker_shard_map(settings, shards))


def _cloudflare(secrets: StackSecrets) -> "cloudflare.Provider":
    """The Cloudflare provider, for ``webstack:cdn.enabled`` (the SDK is imported only then)."""
    import pulumi_cloudflare as cloudflare

    return cloudflare.Provider("cloudflare", api_token=secrets.cloudflare_api_token)


def _ranges(provider: "cloudflare.Provider") -> list[str]:
    """Cloudflare's published ranges, from Cloudflare (the list the aws platform's security groups use)."""
    from ..cdn import cloudflare_ranges

    return cloudflare_ranges(provider)


def _cdn(settings: Settings, provider: "cloudflare.Provider", edge: LoadBalancer) -> "Cdn":
    """The same Cdn component the aws platform builds, in front of nginx: through a tunnel to it
    (``webstack:cdn.origin`` ``tunnel``), or to the server's public address."""
    from ..cdn import Cdn
    from ..cdn_compose import cdn_args

    prefix = Naming.from_settings(settings).prefix
    if settings.cdn_origin == "tunnel":
        args = cdn_args(settings, prefix, tunnel_service=edge.origin_url, tunnel_ca_pool=ORIGIN_CA_FILE)
    else:
        args = cdn_args(settings, prefix, origin=settings.docker.public_address)
    return Cdn("cdn", args, opts=pulumi.ResourceOptions(provider=provider))


def _required(value: pulumi.Output[str] | None, what: str) -> pulumi.Output[str]:
    if value is None:
        raise ValueError(f"the docker platform built no {what}")
    return value


def persistent_volumes(settings: Settings, opts: pulumi.ResourceOptions) -> dict[str, docker.Volume]:
    """A protected named volume (kept when the stack is destroyed) per service with a
    ``webstack:app.<service>.volume``."""
    return {
        service: volume(f"web-{service}-files", f"{service}-files", opts)
        for service in APP_SERVICES
        if settings.app.service(service).volume is not None
    }


# -- the load balancer -------------------------------------------------------------------------------------------------
def load_balancer_args(
    settings: Settings,
    image: pulumi.Input[str],
    upstreams: tuple[Upstream, Upstream],
    *,
    edge_network: pulumi.Input[str],
    app_network: pulumi.Input[str],
    tunnel_network: pulumi.Input[str] | None = None,
    depends_on: Sequence[docker.Container] = (),
    cloudflare_ranges: Sequence[str] = (),
) -> LoadBalancerArgs:
    """The load balancer in front of the frontend and backend ``upstreams``, on the networks named, from
    ``webstack:domain``, ``docker`` (ports, bind address, certificate files), ``web`` (stickiness, rate limits) and
    ``cdn`` (headers, origin), behind Cloudflare's ``cloudflare_ranges`` when it connects directly."""
    docker_settings, cdn, limits = settings.docker, settings.cdn, settings.web.rate_limits
    files = docker_settings.tls
    certificate: str | None = None
    key: pulumi.Output[str] | None = None
    if files.certificate_file:
        certificate, key = provided_certificate(files.certificate_file, files.key_file)
    return LoadBalancerArgs(
        domain=settings.domain,
        image=image,
        edge_network=edge_network,
        app_network=app_network,
        frontend=upstreams[0],
        backend=upstreams[1],
        tunnel_network=tunnel_network if settings.cdn_origin == "tunnel" else None,
        proxy=cloudflare_proxy(settings, cloudflare_ranges),
        certificate_pem=certificate,
        private_key_pem=key,
        http_port=docker_settings.http_port,
        https_port=docker_settings.https_port,
        bind_address=docker_settings.bind_address,
        stickiness=settings.web.stickiness,
        api_rate_limit=rate_limit_args(limits.api),
        login_rate_limit=rate_limit_args(limits.login),
        general_rate_limit=rate_limit_args(limits.general),
        hsts_include_subdomains=cdn.hsts_include_subdomains,
        hsts_preload=cdn.hsts_preload,
        content_security_policy=cdn.content_security_policy,
        permissions_policy=cdn.permissions_policy,
        depends_on=list(depends_on),
    )


def rate_limit_args(limit: RateLimit) -> RateLimitArgs:
    return RateLimitArgs(limit=limit.limit, window_seconds=limit.window_seconds, path=limit.path, match=limit.match)


def cloudflare_proxy(settings: Settings, cloudflare_ranges: Sequence[str]) -> Proxy | None:
    """Whom nginx believes and serves behind Cloudflare: the tunnel network (nothing else reaches nginx then), or,
    connected directly, Cloudflare's published ranges, with its origin-pull certificate required."""
    origin = settings.cdn_origin
    if origin is None:
        return None
    if origin == "tunnel":
        return Proxy(trusted=[settings.docker.tunnel_subnet])
    return Proxy(
        trusted=cloudflare_ranges,
        admitted=cloudflare_ranges,
        client_ca_pem=Path(settings.cdn.origin_pull_ca_bundle).read_text(),
    )


def provided_certificate(certificate_file: str, key_file: str) -> tuple[str, pulumi.Output[str]]:
    """The certificate and key from the PEM files ``webstack:docker.tls`` names; the key never leaves a secret."""
    certificate = Path(certificate_file).read_text()
    if "-----BEGIN CERTIFICATE-----" not in certificate:
        raise ValueError(f"webstack:docker.tls.certificateFile {certificate_file} holds no PEM certificate")
    key = Path(key_file).read_text()
    if "PRIVATE KEY-----" not in key:
        # The message names the file only, never its content.
        raise ValueError(f"webstack:docker.tls.keyFile {key_file} holds no PEM private key")
    return certificate, pulumi.Output.secret(key)


# -- monitoring --------------------------------------------------------------------------------------------------------
def monitoring_args(
    settings: Settings,
    images: Mapping[str, pulumi.Input[str]],
    *,
    app_network: pulumi.Input[str],
    data_network: pulumi.Input[str],
    admin_network: pulumi.Input[str],
    targets: Sequence[ScrapeTarget] = (),
    webhook_url: pulumi.Input[str] | None = None,
) -> MonitoringArgs:
    """Monitoring from ``webstack:monitoring`` (alert emails, thresholds), ``docker`` (SMTP relay, admin bind
    address), the stack's name and environment (Prometheus's external labels) and the images by role."""
    monitoring = settings.monitoring
    return MonitoringArgs(
        app_network=app_network,
        data_network=data_network,
        admin_network=admin_network,
        prometheus_image=images["prometheus"],
        alertmanager_image=images["alertmanager"],
        grafana_image=images["grafana"],
        cadvisor_image=images["cadvisor"],
        targets=list(targets),
        alert_emails=list(monitoring.alert_emails),
        smtp_smarthost=settings.docker.smtp_smarthost,
        smtp_from=f"alertmanager@{settings.domain}",
        webhook_url=webhook_url,
        thresholds={
            name: {str(severity): value for severity, value in levels.items()}
            for name, levels in monitoring.thresholds.items()
        },
        external_labels={"stack": settings.stack, "environment": settings.environment},
        admin_bind_address=settings.docker.admin_bind_address,
    )


# -- the web tier ------------------------------------------------------------------------------------------------------
def web_tier_args(
    settings: Settings,
    images: Mapping[str, pulumi.Input[str]],
    *,
    app_network: pulumi.Input[str],
    data_network: pulumi.Input[str],
    database: DatabaseEndpoint,
    cache: CacheEndpoint,
    storage: StorageEndpoint,
    shard_map: str = "",
    shard_passwords: Sequence[pulumi.Input[str]] = (),
    app_secrets: Mapping[str, Mapping[str, pulumi.Input[str]]] | None = None,
    volumes: Mapping[str, docker.Volume] | None = None,
) -> WebTierArgs:
    """The web tier from ``webstack:web`` (services, health check schedule), ``app`` (volumes' paths, migration),
    ``monitoring.metricsPath``, the services' images by name, their secrets (``webstack:appSecrets``) and persistent
    volumes by service."""
    web, app = settings.web, settings.app

    def service(name: str) -> WebServiceArgs:
        service = web.frontend if name == "frontend" else web.backend
        volume = (volumes or {}).get(name)
        volume_settings = app.service(name).volume
        return WebServiceArgs(
            image=images[name],
            port=service.port,
            desired_count=service.desired_count,
            cpu=service.cpu,
            memory=service.memory,
            user=service.user,
            health_check_path=service.health_check_path,
            environment=dict(service.environment),
            secrets=dict((app_secrets or {}).get(name, {})),
            volume=volume if volume_settings is not None else None,
            volume_path=volume_settings.path if volume is not None and volume_settings is not None else None,
        )

    schedule = web.health_check
    return WebTierArgs(
        app_network=app_network,
        data_network=data_network,
        frontend=service("frontend"),
        backend=service("backend"),
        database=database,
        cache=cache,
        storage=storage,
        health_check_interval_seconds=schedule.interval_seconds,
        health_check_timeout_seconds=schedule.timeout_seconds,
        health_check_retries=schedule.unhealthy_threshold,
        metrics_path=settings.monitoring.metrics_path,
        migration_command=list(app.migration.command),
        shard_map=shard_map,
        shard_passwords=list(shard_passwords),
    )
