"""Every infrastructure image the docker platform runs, pinned to a version (never ``latest``), by role.

``webstack:docker.images`` overrides any of them (pinned too). The web services' images come from
``webstack:web.frontend.image`` / ``webstack:web.backend.image``.
"""

from collections.abc import Mapping

#: role -> image reference. nginx is the unprivileged build (it runs as uid 101 and listens on 8080/8443).
IMAGES: Mapping[str, str] = {
    "nginx": "nginxinc/nginx-unprivileged:1.27.3-alpine",
    "postgres": "postgres:16.6-alpine",
    "mysql": "mysql:8.0.40",
    "redis": "redis:7.4.1-alpine",
    "minio": "minio/minio:RELEASE.2024-11-07T00-52-20Z",
    "mc": "minio/mc:RELEASE.2024-11-17T19-35-25Z",
    "prometheus": "prom/prometheus:v2.55.1",
    "alertmanager": "prom/alertmanager:v0.27.0",
    "grafana": "grafana/grafana:11.3.1",
    "postgresExporter": "quay.io/prometheuscommunity/postgres-exporter:v0.16.0",
    "mysqlExporter": "prom/mysqld-exporter:v0.16.0",
    "redisExporter": "oliver006/redis_exporter:v1.66.0-alpine",
    "cadvisor": "gcr.io/cadvisor/cadvisor:v0.49.1",
    "nodeExporter": "prom/node-exporter:v1.8.2",
    # Cloudflare Tunnel's connector (distroless, uid 65532; `--token-file` since 2025.4.0 and `tunnel ready` since
    # 2024.12: cloudflare/cloudflared RELEASE_NOTES).
    "cloudflared": "cloudflare/cloudflared:2026.8.2",
}
#: Roles whose image follows another's unless overridden: the backup job's (see :func:`backup_image`).
DERIVED_ROLES = ("backup",)

#: PostgreSQL and MySQL images by the major version ``webstack:database.version`` names.
POSTGRES_BY_MAJOR: Mapping[str, str] = {
    "14": "postgres:14.15-alpine",
    "15": "postgres:15.10-alpine",
    "16": "postgres:16.6-alpine",
    "17": "postgres:17.2-alpine",
}
MYSQL_BY_MAJOR: Mapping[str, str] = {"8.0": "mysql:8.0.40", "8.4": "mysql:8.4.3"}


def image_for(role: str, overrides: Mapping[str, str], database_version: str = "") -> str:
    """The pinned reference for ``role``: an override, else the engine's major version, else the table."""
    if role in overrides:
        return overrides[role]
    if role == "postgres" and database_version:
        return POSTGRES_BY_MAJOR[database_version]
    if role == "mysql" and database_version:
        return MYSQL_BY_MAJOR[database_version]
    return IMAGES[role]


def backup_image(engine: str, overrides: Mapping[str, str], database_version: str = "") -> str:
    """The backup job's image: ``webstack:docker.images.backup``, else one with the server's dump tools and
    ``openssl``, which encrypts the dumps. MySQL's image has both (docker-library/mysql ``8.0/Dockerfile.oracle``
    installs openssl). The Alpine PostgreSQL images have no openssl command (docker-library/postgres
    ``16/alpine*/Dockerfile``: libssl only); the same release's Debian image has it (postgresql-common depends on
    ssl-cert, which depends on openssl), so ``postgres:X.Y-alpine`` becomes ``postgres:X.Y-bookworm``. A PostgreSQL
    image pinned otherwise (by digest, say) is used as it is: override ``backup`` if it lacks openssl."""
    if "backup" in overrides:
        return overrides["backup"]
    server = image_for(engine, overrides, database_version)
    if engine == "postgres" and server.endswith("-alpine"):
        return server.removesuffix("-alpine") + "-bookworm"
    return server
