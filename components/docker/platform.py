"""The docker platform's composition: one Docker host runs what the aws platform spreads over managed services.

edge network: nginx (the only public ports) -> app network: frontend x N, backend x M -> data network: PostgreSQL
(or MySQL) primary and streaming replica, Redis, MinIO, the backup job and the exporters; admin network: Prometheus,
Alertmanager and Grafana on loopback ports. Every image is pulled pinned; every credential is generated.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_docker as docker

from components.docker.backups import Backups, BackupsArgs
from components.docker.cache import Cache, CacheArgs
from components.docker.common import pinned_image, volume
from components.docker.database import Database, DatabaseArgs
from components.docker.edge import LoadBalancer, LoadBalancerArgs
from components.docker.images import image_for
from components.docker.monitoring import Monitoring, MonitoringArgs
from components.docker.network import DockerNetworks
from components.docker.storage import ObjectStorage, ObjectStorageArgs
from components.docker.tls_ca import InternalCa
from components.docker.web import WebTier, WebTierArgs
from components.settings import Settings, StackSecrets

#: Image roles the platform pulls, besides the web services' own images.
ROLES = ("nginx", "redis", "redisExporter", "minio", "mc", "prometheus", "alertmanager", "grafana", "cadvisor")


def build(settings: Settings, secrets: StackSecrets) -> dict[str, Any]:
    """Build the stack on Docker; returns the stack outputs."""
    provider = docker.Provider("docker", host=settings.docker.host or None)
    opts = pulumi.ResourceOptions(provider=provider)
    engine = settings.database.engine
    exporter_role = "postgresExporter" if engine == "postgres" else "mysqlExporter"
    roles = (*ROLES, engine, exporter_role)
    images = {
        role: pinned_image(
            f"image-{role.lower()}", image_for(role, settings.docker.images, settings.database.version), opts
        ).image_id
        for role in roles
    }
    web_images = {
        name: pinned_image(f"image-{name}", service.image, opts).image_id
        for name, service in (("frontend", settings.web.frontend), ("backend", settings.web.backend))
    }

    networks = DockerNetworks("network", opts).networks
    # One internal CA signs every server certificate on the data network; clients verify against it.
    ca = InternalCa("ca", opts)
    database = Database(
        "database",
        DatabaseArgs(
            settings=settings,
            networks=networks,
            image=images[engine],
            exporter_image=images[exporter_role],
            ca=ca,
        ),
        opts,
    )
    cache = Cache(
        "cache",
        CacheArgs(
            settings=settings,
            networks=networks,
            image=images["redis"],
            exporter_image=images["redisExporter"],
            ca=ca,
        ),
        opts,
    )
    storage = ObjectStorage(
        "storage",
        ObjectStorageArgs(settings=settings, networks=networks, image=images["minio"], mc_image=images["mc"], ca=ca),
        opts,
    )
    web = WebTier(
        "web",
        WebTierArgs(
            settings=settings,
            networks=networks,
            frontend_image=web_images["frontend"],
            backend_image=web_images["backend"],
            database=database.endpoint,
            cache=cache.endpoint,
            storage=storage.endpoint,
            app_secrets=secrets.app,
            volumes=persistent_volumes(settings, opts),
        ),
        opts,
    )
    edge = LoadBalancer(
        "edge",
        LoadBalancerArgs(
            settings=settings,
            networks=networks,
            image=images["nginx"],
            frontend=web.frontend_hosts,
            backend=web.backend_hosts,
            # nginx resolves its upstreams when it starts: the web containers must exist first.
            depends_on=[web],
        ),
        opts,
    )
    backups = Backups(
        "backups",
        BackupsArgs(
            settings=settings,
            networks=networks,
            database_image=images[engine],
            mc_image=images["mc"],
            database=database,
            storage=storage,
        ),
        opts,
    )
    monitoring = Monitoring(
        "monitoring",
        MonitoringArgs(
            settings=settings,
            networks=networks,
            images={role: images[role] for role in ("prometheus", "alertmanager", "grafana", "cadvisor")},
            targets=[*web.scrape_targets, *database.scrape_targets, *cache.scrape_targets, *storage.scrape_targets],
            webhook_url=secrets.alert_webhook_url,
        ),
        opts,
    )
    return {
        "url": edge.url,
        "grafanaUrl": monitoring.grafana_url,
        "prometheusUrl": monitoring.prometheus_url,
        "alertmanagerUrl": monitoring.alertmanager_url,
        "grafanaAdminPassword": pulumi.Output.secret(monitoring.admin_password),
        "restoreCommand": backups.restore_instructions,
        "networks": {"edge": networks.edge.name, "app": networks.app.name, "data": networks.data.name},
    }


def persistent_volumes(settings: Settings, opts: pulumi.ResourceOptions) -> dict[str, docker.Volume]:
    """A protected named volume (kept when the stack is destroyed) per service with a
    ``webstack:app.<service>.volume``."""
    return {
        service: volume(f"web-{service}-files", f"{service}-files", opts)
        for service in ("frontend", "backend")
        if settings.app.service(service).volume is not None
    }
